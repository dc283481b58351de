"""Maintained by the template (arrives with `cruft update`).

The step that runs features.py's DERIVED_COLUMNS, your own transformers, on the raw rows
inside the saved model. It remembers the raw input columns, so predict and monitor check a
batch against the columns the model reads, not the ones it derives.
"""

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin


class DerivedColumns(TransformerMixin, BaseEstimator):
    """Apply `steps` ((name, transformer) pairs, DataFrame in and out) one after the other."""

    def __init__(self, steps: list[tuple[str, Any]] | None = None) -> None:
        self.steps = steps

    def fit(self, rows: pd.DataFrame, actual: Any = None) -> "DerivedColumns":
        self.feature_names_in_ = np.asarray([str(c) for c in rows.columns], dtype=object)
        self.n_features_in_ = len(rows.columns)
        for _, step in self.steps or []:
            rows = step.fit(rows, actual).transform(rows)
        return self

    def transform(self, rows: pd.DataFrame) -> pd.DataFrame:
        for _, step in self.steps or []:
            rows = step.transform(rows)
        return rows
