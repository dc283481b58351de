"""Maintained by the template (arrives with `cruft update`).

The model's steps for free text and dates, as scikit-learn transformers, so they live inside
the saved Pipeline and the served model takes raw text and raw date strings. features.py
chooses their settings; this package's code is logged with the model, so they load wherever
the model does.
"""

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from threadpoolctl import threadpool_limits

from .data import DataError


def one_column(values: Any) -> pd.Series:
    """The single column a ColumnTransformer hands over (a frame or a 2-D array) as a Series."""
    if isinstance(values, pd.DataFrame):
        return values.iloc[:, 0]
    return pd.Series(np.asarray(values, dtype=object).reshape(len(values), -1)[:, 0])


class TextColumn(TransformerMixin, BaseEstimator):
    """One text column as TF-IDF weights of its words and word pairs (a gap: no words).

    `dense_components`: for a model that refuses sparse input (gradient boosting), that many
    components of a TruncatedSVD of the weights instead; computed on one thread with a fixed
    seed, so the model file is the same bytes on any machine.
    """

    def __init__(
        self, max_features=20_000, ngram_range=(1, 2), min_df=1, dense_components=None, seed=0
    ):
        self.max_features = max_features
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.dense_components = dense_components
        self.seed = seed

    def fit(self, values, y=None):
        texts = one_column(values)
        self.column_ = str(texts.name) if texts.name is not None else "text"
        self.vectorizer_ = TfidfVectorizer(
            ngram_range=tuple(self.ngram_range),
            max_features=self.max_features,
            min_df=self.min_df,
            sublinear_tf=True,
            dtype=np.float32,
        )
        try:
            weights = self.vectorizer_.fit_transform(as_texts(texts))
        except ValueError:  # scikit-learn's "empty vocabulary"
            raise DataError(
                f"text column {self.column_!r} has no words to learn from; set its kind in "
                "data.column_kinds (params.yaml) or drop it (data.drop_columns)"
            ) from None
        self.svd_ = None
        terms = weights.shape[1]
        if self.dense_components and terms > 1:
            components = min(self.dense_components, terms - 1)
            with threadpool_limits(limits=1):
                self.svd_ = TruncatedSVD(components, random_state=self.seed).fit(weights)
        return self

    def transform(self, values):
        weights = self.vectorizer_.transform(as_texts(one_column(values)))
        if self.svd_ is not None:
            with threadpool_limits(limits=1):
                return self.svd_.transform(weights)
        return weights.toarray() if self.dense_components else weights

    def get_feature_names_out(self, input_features=None):
        if self.svd_ is not None:
            count = self.svd_.n_components
            return np.asarray([f"{self.column_}_svd{i}" for i in range(count)], dtype=object)
        terms = self.vectorizer_.get_feature_names_out()
        return np.asarray([f"{self.column_}_{term}" for term in terms], dtype=object)


def as_texts(column: pd.Series) -> np.ndarray:
    """Every value as a string, a gap as the empty string."""
    return column.astype(object).where(column.notna(), "").astype(str).to_numpy()


def read_dates(column: pd.Series, format: str) -> pd.Series:
    """The values as timestamps read with `format`; a gap, or a value it does not read, NaT."""
    return pd.to_datetime(column.astype(object), format=format, errors="coerce")


# Numeric parts of a date: name -> how pandas computes it.
DATE_PARTS = {
    "year": lambda when: when.dt.year,
    "month": lambda when: when.dt.month,
    "day_of_year": lambda when: when.dt.day_of_year,
    "day_of_week": lambda when: when.dt.day_of_week,
}
TIME_PARTS = {"hour": lambda when: when.dt.hour}


class DateParts(TransformerMixin, BaseEstimator):
    """A date column, parsed with the format prepare found, as numbers a model can split on:
    year, month, day of year, day of week (and hour for a datetime). A gap, or a value the
    format does not read, is missing in every part."""

    def __init__(self, format="mixed", with_time=False):
        self.format = format
        self.with_time = with_time

    def fit(self, values, y=None):
        column = one_column(values)
        self.column_ = str(column.name) if column.name is not None else "date"
        return self

    def parts(self) -> dict:
        return DATE_PARTS | (TIME_PARTS if self.with_time else {})

    def transform(self, values):
        when = read_dates(one_column(values), self.format)
        columns = [
            part(when).to_numpy(dtype=float, na_value=np.nan) for part in self.parts().values()
        ]
        return np.column_stack(columns)

    def get_feature_names_out(self, input_features=None):
        return np.asarray([f"{self.column_}_{part}" for part in self.parts()], dtype=object)
