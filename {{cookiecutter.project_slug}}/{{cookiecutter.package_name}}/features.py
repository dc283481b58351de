"""What the model sees: the columns it gets and every transform it applies to them. Yours.

All of it lives inside the saved scikit-learn Pipeline, so the registered model takes rows
exactly as `pd.read_csv` gives them (extra columns are ignored). It applies prepare's rule
for numeric columns itself: a value that is not a number ("unknown") in a numeric column is
a gap, whoever reads the rows.

Each input column is learned by its kind, which prepare decides once and records
(machinery/columns.py has the rules; `data.column_kinds` in params.yaml corrects them):
numbers are imputed and scaled, categories one-hot encoded (or given as codes to a model
that reads them natively), free text as TF-IDF weights of its words and word pairs, dates as
their year, month, day of year and day of week. Identifiers (unique in every row) are left out.

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

from .machinery.column_steps import DateParts, TextColumn
from .machinery.columns import (
    CATEGORICAL,
    DATE,
    DATETIME,
    IDENTIFIER,
    NUMERIC,
    TEXT,
    ColumnKinds,
    keep_kinds,
    kinds_of,
)
from .machinery.data import DataError
from .machinery.derive import DerivedColumns
from .machinery.params import DataParams

# Rarer categories beyond this many per column are pooled into one "infrequent" column.
MAX_CATEGORIES = 20
# Free text: TF-IDF weights of words and word pairs, the most frequent this many per column.
TEXT_TERMS = 20_000
TEXT_NGRAMS = (1, 2)
# A model that refuses sparse input (gradient boosting) gets this many components of the
# weights per text column instead (a seeded TruncatedSVD).
TEXT_DENSE_COMPONENTS = 100

# ---- Your own transformers: (name, transformer) pairs, run in order on the raw rows before
# make_preprocessor's steps. Each takes a DataFrame and returns one, with columns added or
# changed; make_preprocessor then treats a new numeric column like any other.
DERIVED_COLUMNS: list[tuple[str, Any]] = []


def features_and_target(frame: pd.DataFrame, data: DataParams) -> tuple[pd.DataFrame, pd.Series]:
    """The model's input columns (all but the target, data.drop_columns and identifiers),
    carrying their kinds, and the target."""
    inputs = frame.drop(columns=[data.target, *data.drop_columns], errors="ignore")
    kinds = kinds_of(inputs, data.column_kinds)
    features = inputs.drop(columns=kinds.of(IDENTIFIER))
    if features.columns.empty:
        raise DataError(
            f"no input columns are left for the model besides the target {data.target!r}; "
            "keep some (see data.drop_columns and data.column_kinds in params.yaml)"
        )
    kept = {name: kind for name, kind in kinds.items() if kind != IDENTIFIER}
    return keep_kinds(features, ColumnKinds(kept, kinds.formats)), frame[data.target]


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


def accepts_sparse(estimator: Any) -> bool:
    """Whether the model takes a sparse matrix (linear models, forests) or needs dense rows."""
    return bool(estimator.__sklearn_tags__().input_tags.sparse)


def kind_steps(kinds: ColumnKinds, native_categories: bool, dense: bool) -> list[tuple]:
    """One (name, transformer, columns) entry per date and text column; machinery/columns.py's
    input_kinds reads the kinds back from these names."""
    steps = []
    for name in kinds.of(DATE, DATETIME):
        parts = DateParts(
            format=kinds.formats.get(name, "mixed"), with_time=kinds[name] == DATETIME
        )
        if not native_categories:  # numbers like any other: gaps imputed, then scaled
            parts = Pipeline(
                [
                    ("parts", parts),
                    ("impute", SimpleImputer(strategy="median")),
                    ("scale", StandardScaler()),
                ]
            )
        steps.append((f"{kinds[name]}_{name}", parts, [name]))
    for name in kinds.of(TEXT):
        components = TEXT_DENSE_COMPONENTS if dense else None
        text = TextColumn(
            max_features=TEXT_TERMS, ngram_range=TEXT_NGRAMS, dense_components=components
        )
        steps.append((f"text_{name}", text, [name]))
    return steps


def make_preprocessor(
    features: pd.DataFrame, native_categories: bool = False, dense: bool = False
) -> ColumnTransformer:
    """Impute and scale numeric columns; impute and one-hot encode categorical ones; text
    and dates by kind_steps.

    With `native_categories` (reads_categories), numbers go as they are, gaps and all, and
    each categorical column as one column of codes (a gap or an unseen value: missing),
    first, so the model can be told which they are: a million rows then cost a few columns
    of floats instead of a dense one-hot matrix and object copies of the text.
    """
    kinds = kinds_of(features)
    numeric, categorical = kinds.of(NUMERIC), kinds.of(CATEGORICAL)
    by_kind = kind_steps(kinds, native_categories, dense)
    sparse_text = bool(kinds.of(TEXT)) and not dense
    # Text's sparse weights stay sparse beside the dense columns (0.3, the default, would
    # make a dense matrix of every term once the other columns fill a third of it).
    threshold = 1.0 if sparse_text else 0.3
    if native_categories:
        codes = OrdinalEncoder(
            handle_unknown="use_encoded_value",
            unknown_value=np.nan,
            max_categories=MAX_CATEGORIES,
        )
        return ColumnTransformer(
            [("categorical", codes, categorical), ("numeric", as_numbers(), numeric), *by_kind],
            sparse_threshold=threshold,
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
        [
            ("numeric", numeric_steps, numeric),
            ("categorical", categorical_steps, categorical),
            *by_kind,
        ],
        sparse_threshold=threshold,
    )


def feature_steps(features: pd.DataFrame, estimator: Any) -> list[tuple[str, Any]]:
    """The saved Pipeline's steps before `estimator`: DERIVED_COLUMNS (if any), then
    make_preprocessor's, chosen by the columns the derived rows have. A model that reads
    categories natively is told which of its input columns are codes (the first ones)."""
    steps: list[tuple[str, Any]] = []
    kinds = kinds_of(features)  # decided once here when no decision came with the table
    if DERIVED_COLUMNS:
        derive = DerivedColumns(DERIVED_COLUMNS)
        steps.append(("derive", derive))
        features = derive.fit_transform(features)
    features = keep_kinds(features, kinds)  # make_preprocessor's kinds_of reads it back
    native = reads_categories(estimator)
    preprocess = make_preprocessor(
        features, native_categories=native, dense=not accepts_sparse(estimator)
    )
    if native:
        categorical = kinds_of(features).of(CATEGORICAL)  # derived columns included
        estimator.set_params(categorical_features=list(range(len(categorical))))
    return [*steps, ("preprocess", preprocess)]
