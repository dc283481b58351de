"""What the model sees: the columns it gets and every transform it applies to them. Yours.

All of it lives inside the saved scikit-learn Pipeline, so the registered model takes rows
exactly as `pd.read_csv` gives them (extra columns are ignored). It applies prepare's rule
for numeric columns itself: a value that is not a number ("unknown") in a numeric column is
a gap, whoever reads the rows.

A column the model needs at prediction time (a ratio of two inputs, say) belongs here, as a
transformer in DERIVED_COLUMNS, not in a stage: a stage's output is not there when the
champion is served. This package's code is logged with the model, so your transformers
load wherever the model does (docs/extending.md shows one).
"""

from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    OneHotEncoder,
    OrdinalEncoder,
    StandardScaler,
)

from .machinery.data import DataError
from .machinery.derive import DerivedColumns
from .machinery.params import DataParams

# Rarer categories beyond this many per column are pooled into one "infrequent" column.
MAX_CATEGORIES = 20

# ---- Your own transformers: (name, transformer) pairs, run in order on the raw rows before
# make_preprocessor's steps. Each takes a DataFrame and returns one, with columns added or
# changed; make_preprocessor then treats a new numeric column like any other.
DERIVED_COLUMNS: list[tuple[str, Any]] = []


def features_and_target(frame: pd.DataFrame, data: DataParams) -> tuple[pd.DataFrame, pd.Series]:
    """The model's input columns (all but the target and data.drop_columns), and the target."""
    features = frame.drop(columns=[data.target, *data.drop_columns], errors="ignore")
    if features.columns.empty:
        raise DataError(
            f"no input columns are left for the model besides the target {data.target!r}; "
            "keep some (see data.drop_columns in params.yaml)"
        )
    return features, frame[data.target]


def as_objects() -> FunctionTransformer:
    """Text columns of any pandas dtype as an object array with NaN gaps, for the imputer.

    A reference to pandas' own method, so the pickled model does not depend on this file.
    """
    return FunctionTransformer(
        pd.DataFrame.to_numpy,
        kw_args={"dtype": object, "na_value": np.nan},
        feature_names_out="one-to-one",
    )


def as_numbers() -> FunctionTransformer:
    """Numeric columns as numbers, the rest of their values missing (data.decide_types' rule).

    References to pandas' own functions, so the pickled model does not depend on this file.
    """
    return FunctionTransformer(
        pd.DataFrame.apply,
        kw_args={"func": pd.to_numeric, "errors": "coerce"},
        feature_names_out="one-to-one",
    )


def numeric_inputs(model: Pipeline) -> list[str]:
    """The input columns a fitted Pipeline of make_preprocessor's treats as numbers."""
    preprocess = model.named_steps["preprocess"]
    return [
        str(c)
        for name, _, columns in preprocess.transformers_
        if name == "numeric"
        for c in columns
    ]


def reads_categories(estimator: Any) -> bool:
    """Whether the model takes categories as integer codes itself (gradient boosting's
    `categorical_features`), so it needs neither one-hot columns nor imputed gaps."""
    return "categorical_features" in estimator.get_params()


def column_kinds(features: pd.DataFrame) -> tuple[list[str], list[str]]:
    """The numeric input columns, and the others (the categorical ones), in table order."""
    numeric = features.select_dtypes(include="number").columns.tolist()
    return numeric, [column for column in features.columns if column not in numeric]


def make_preprocessor(features: pd.DataFrame, native_categories: bool = False) -> ColumnTransformer:
    """Impute and scale numeric columns; impute and one-hot encode the others.

    With `native_categories` (reads_categories), numbers go as they are, gaps and all, and
    each other column as one column of category codes (a gap or an unseen value: missing):
    a million rows then cost a few columns of floats instead of a dense one-hot matrix and
    object copies of the text.
    """
    numeric, categorical = column_kinds(features)
    if native_categories:
        codes = OrdinalEncoder(
            handle_unknown="use_encoded_value",
            unknown_value=np.nan,
            max_categories=MAX_CATEGORIES,
        )
        return ColumnTransformer(
            [("numeric", as_numbers(), numeric), ("categorical", codes, categorical)]
        )
    numeric_steps = Pipeline(
        [
            ("as_numbers", as_numbers()),
            ("impute", SimpleImputer(strategy="median")),
            ("scale", StandardScaler()),
        ]
    )
    categorical_steps = Pipeline(
        [
            ("as_objects", as_objects()),
            ("impute", SimpleImputer(strategy="most_frequent")),
            (
                "encode",
                OneHotEncoder(
                    handle_unknown="infrequent_if_exist",
                    max_categories=MAX_CATEGORIES,
                    sparse_output=False,
                ),
            ),
        ]
    )
    return ColumnTransformer(
        [("numeric", numeric_steps, numeric), ("categorical", categorical_steps, categorical)]
    )


def feature_steps(features: pd.DataFrame, estimator: Any) -> list[tuple[str, Any]]:
    """The saved Pipeline's steps before `estimator`: DERIVED_COLUMNS (if any), then
    make_preprocessor's, chosen by the columns the derived rows have. A model that reads
    categories natively is told which of its input columns are codes."""
    steps: list[tuple[str, Any]] = []
    if DERIVED_COLUMNS:
        derive = DerivedColumns(DERIVED_COLUMNS)
        steps.append(("derive", derive))
        features = derive.fit_transform(features)
    native = reads_categories(estimator)
    preprocess = make_preprocessor(features, native_categories=native)
    if native:  # make_preprocessor puts the numeric columns first, the categorical after
        numeric, _ = column_kinds(features)
        estimator.set_params(categorical_features=list(range(len(numeric), features.shape[1])))
    return [*steps, ("preprocess", preprocess)]
