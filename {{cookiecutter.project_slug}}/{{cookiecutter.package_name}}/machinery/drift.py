"""Maintained by the template (arrives with `cruft update`).

Drift statistics: how far one column of a new batch has moved from the training data.

Pure functions on pandas Series, no I/O; `monitor` reads the data, applies the thresholds
of params.yaml and reports. Numeric columns get scipy's two-sample Kolmogorov-Smirnov test
(could the batch come from the training distribution?) and the population stability index
(PSI: how far did it move?) over bins cut at the training data's quantiles. Text columns get
a chi-square test of their category counts and PSI over the categories. Every column gets
the change in its share of missing values.

A test alone flags harmless shifts in a large batch and PSI alone flags the noise of a small
one, so a column drifts when its test is significant *and* its PSI is past the threshold,
or when its share of missing values moved too far (`reasons`).
"""

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

# The share an empty bin counts as, so PSI stays finite (the customary 0.0001).
EPSILON = 1e-4


def psi(expected: np.ndarray, actual: np.ndarray) -> float:
    """Population stability index of two distributions over the same bins (counts or
    shares): 0 when identical; 0.1 is a small shift, past 0.2 a large one, by convention."""
    expected = np.clip(np.asarray(expected, float) / np.sum(expected), EPSILON, None)
    actual = np.clip(np.asarray(actual, float) / np.sum(actual), EPSILON, None)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def quantile_edges(reference: pd.Series, bins: int) -> np.ndarray:
    """Inner bin edges at the reference's quantiles; ties (few distinct values) merge bins."""
    return np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1)[1:-1]))


def binned(values: pd.Series, edges: np.ndarray) -> np.ndarray:
    """How many values fall in each bin: below the first edge, between edges, above the last."""
    return np.bincount(np.searchsorted(edges, values, side="right"), minlength=len(edges) + 1)


def numeric_drift(reference: pd.Series, current: pd.Series, bins: int = 10) -> dict[str, Any]:
    """KS test and PSI of the non-missing values; None where a side has no values."""
    reference, current = reference.dropna(), current.dropna()
    if reference.empty or current.empty:
        return {"kind": "numeric", "statistic": None, "p_value": None, "psi": None}
    test = stats.ks_2samp(reference, current)
    edges = quantile_edges(reference, bins)
    return {
        "kind": "numeric",
        "statistic": float(test.statistic),
        "p_value": float(test.pvalue),
        "psi": psi(binned(reference, edges), binned(current, edges)),
    }


def categorical_drift(reference: pd.Series, current: pd.Series) -> dict[str, Any]:
    """Chi-square test of the category counts (the two samples as a contingency table) and
    PSI over the categories; a category new in the batch counts as an empty bin in training."""
    reference, current = reference.dropna().astype(str), current.dropna().astype(str)
    if reference.empty or current.empty:
        return {"kind": "categorical", "statistic": None, "p_value": None, "psi": None}
    categories = sorted(set(reference) | set(current))
    counts = np.array(
        [
            reference.value_counts().reindex(categories, fill_value=0),
            current.value_counts().reindex(categories, fill_value=0),
        ]
    )
    statistic, p_value = (None, None)
    if len(categories) > 1:
        test = stats.chi2_contingency(counts)
        statistic, p_value = float(test.statistic), float(test.pvalue)
    return {
        "kind": "categorical",
        "statistic": statistic,
        "p_value": p_value,
        "psi": psi(counts[0], counts[1]),
    }


def missing_rates(reference: pd.Series, current: pd.Series) -> dict[str, float]:
    """Share of missing values on each side and the change (batch minus training)."""
    before = float(reference.isna().mean()) if len(reference) else 0.0
    after = float(current.isna().mean()) if len(current) else 0.0
    return {
        "missing_rate": before,
        "missing_rate_batch": after,
        "missing_rate_change": after - before,
    }


def is_numeric(column: pd.Series) -> bool:
    """Whether the model treats the column as numbers (features.make_preprocessor's rule)."""
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def feature_drift(reference: pd.Series, current: pd.Series, bins: int = 10) -> dict[str, Any]:
    """Every statistic of one column: numeric if the training column is numeric (`current`
    already coerced the way the model coerces it), else categorical."""
    if is_numeric(reference):
        found = numeric_drift(reference, current, bins)
    else:
        found = categorical_drift(reference, current)
    return found | missing_rates(reference, current)


def reasons(found: dict[str, Any], p_value: float, psi_limit: float, missing: float) -> list[str]:
    """Why a column counts as drifted, in words for the report; empty when it does not."""
    why = []
    significant = found["p_value"] is not None and found["p_value"] < p_value
    if significant and found["psi"] is not None and found["psi"] > psi_limit:
        test = "KS" if found["kind"] == "numeric" else "chi-square"
        why.append(f"PSI {found['psi']:.3g} > {psi_limit:g} ({test} p={found['p_value']:.2g})")
    if abs(found["missing_rate_change"]) > missing:
        before, after = found["missing_rate"], found["missing_rate_batch"]
        why.append(f"missing {before:.0%} -> {after:.0%} (limit ±{missing:.0%})")
    return why
