"""Maintained by the template (arrives with `cruft update`).

Drift statistics: how far one column of a new batch has moved from the training data.

Pure functions on pandas Series, no I/O; `monitor` reads the data, applies the thresholds
of params.yaml and reports. Numeric columns get scipy's two-sample Kolmogorov-Smirnov test
(could the batch come from the training distribution?) and the population stability index
(PSI: how far did it move?) over bins cut at the training data's quantiles. Categorical
columns get a chi-square test of their category counts and PSI over the categories. Every
column gets the change in its share of missing values. A date column is compared by its day
of year (its season), read with the model's own format: a value that format does not read
counts as missing.

Free text (a column the model reads as text, columns.input_kinds) is not categories: every
review is its own, so the chi-square test of unique strings says nothing (p = 0.46 for a
batch of only short reviews). Text moves in two ways the model feels: its length (KS and PSI
of the character counts, as for a number) and its words: the share of the batch's words the
training data never had (the model has no weight for them), and PSI of the word counts over
the training data's most frequent words, the rest pooled in one bin (chi-square of those
counts as its test). Words are TfidfVectorizer's: 2 or more word characters, lowercased.

A test alone flags harmless shifts in a large batch and PSI alone flags the noise of a small
one, so a column drifts when its test is significant *and* its PSI is past the threshold,
or when its share of missing values moved too far (`reasons`).
"""

import re
import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

# The share an empty bin counts as, so PSI stays finite (the customary 0.0001).
EPSILON = 1e-4
# A word, as scikit-learn's TfidfVectorizer finds them by default.
WORD = re.compile(r"(?u)\b\w\w+\b")
TESTS = {"numeric": "KS", "categorical": "chi-square", "text": "KS", "date": "KS", "datetime": "KS"}
DATES = ("date", "datetime")


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


def word_counts(texts: pd.Series) -> pd.Series:
    """How often each word occurs in `texts`, most frequent first (ties in word order)."""
    words = texts.str.lower().str.findall(WORD.pattern).explode().dropna()
    counts = words.value_counts()
    return counts.iloc[np.lexsort((counts.index.to_numpy(str), -counts.to_numpy()))]


def vocabulary_drift(reference: pd.Series, current: pd.Series, terms: int) -> dict[str, Any]:
    """Share of the batch's words unseen in training, and PSI and chi-square of the word
    counts over the training data's `terms` most frequent words plus one bin for the rest."""
    before, after = word_counts(reference), word_counts(current)
    if before.empty or after.empty:
        return {"unseen_share": None, "terms_psi": None, "terms_p_value": None, "terms": 0}
    top = before.index[:terms]
    kept = [before.reindex(top).to_numpy(), after.reindex(top, fill_value=0).to_numpy()]
    counts = np.array([np.append(side, whole.sum() - side.sum()) for side, whole in
                       zip(kept, (before, after), strict=True)])  # fmt: skip
    counts = counts[:, counts.sum(axis=0) > 0]  # no "rest" bin when training has few words
    p_value = float(stats.chi2_contingency(counts).pvalue) if counts.shape[1] > 1 else None
    return {
        "unseen_share": float(after[~after.index.isin(before.index)].sum() / after.sum()),
        "terms_psi": psi(counts[0], counts[1]),
        "terms_p_value": p_value,
        "terms": len(top),
    }


def text_drift(reference: pd.Series, current: pd.Series, bins: int, terms: int) -> dict[str, Any]:
    """KS and PSI of the texts' lengths in characters, and their vocabulary_drift."""
    reference, current = reference.dropna().astype(str), current.dropna().astype(str)
    length = numeric_drift(reference.str.len(), current.str.len(), bins)
    medians = {
        "median_length": float(reference.str.len().median()) if len(reference) else None,
        "median_length_batch": float(current.str.len().median()) if len(current) else None,
    }
    return length | {"kind": "text"} | medians | vocabulary_drift(reference, current, terms)


def season_drift(reference: pd.Series, current: pd.Series, bins: int) -> dict[str, Any]:
    """A date column by its day of year: new days are what production brings (a batch of
    later years passes), a batch of other seasons than training's is drift."""
    with warnings.catch_warnings():  # days tie often: scipy says it takes the asymptotic KS
        warnings.simplefilter("ignore", RuntimeWarning)
        return numeric_drift(reference.dt.day_of_year, current.dt.day_of_year, bins)


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


def feature_drift(
    reference: pd.Series,
    current: pd.Series,
    bins: int = 10,
    kind: str | None = None,
    terms: int = 100,
) -> dict[str, Any]:
    """Every statistic of one column. `kind` is what the model takes it for (input_kinds):
    text gets text_drift; otherwise numeric if the training column is numeric (`current`
    already coerced the way the model coerces it), else categorical."""
    if kind == "text":
        found = text_drift(reference, current, bins, terms)
    elif kind in DATES:  # timestamps (monitor read them with the model's format)
        found = season_drift(reference, current, bins) | {"kind": kind}
    elif is_numeric(reference):
        found = numeric_drift(reference, current, bins)
    else:
        found = categorical_drift(reference, current)
    return found | missing_rates(reference, current)


def reasons(found: dict[str, Any], limits: Any) -> list[str]:
    """Why a column counts as drifted, in words for the report; empty when it does not.
    `limits`: the `monitor` section (p_value, psi, missing_rate_change, text_unseen_share)."""
    why = []
    significant = found["p_value"] is not None and found["p_value"] < limits.p_value
    if significant and found["psi"] is not None and found["psi"] > limits.psi:
        what = {"text": "length PSI", "date": "day-of-year PSI", "datetime": "day-of-year PSI"}.get(
            found["kind"], "PSI"
        )
        test = f"{TESTS[found['kind']]} p={found['p_value']:.2g}"
        if found["kind"] == "text":
            test += f"; median {found['median_length']:g} -> {found['median_length_batch']:g} chars"
        why.append(f"{what} {found['psi']:.3g} > {limits.psi:g} ({test})")
    if found["kind"] == "text":
        why += word_reasons(found, limits)
    if abs(found["missing_rate_change"]) > limits.missing_rate_change:
        before, after = found["missing_rate"], found["missing_rate_batch"]
        limit = limits.missing_rate_change
        why.append(f"missing {before:.0%} -> {after:.0%} (limit ±{limit:.0%})")
    return why


def word_reasons(found: dict[str, Any], limits: Any) -> list[str]:
    """Why a text column's words count as drifted (vocabulary_drift's figures)."""
    why = []
    unseen, limit = found["unseen_share"], limits.text_unseen_share
    if unseen is not None and unseen > limit:
        why.append(f"{unseen:.0%} of words unseen in training (limit {limit:.0%})")
    significant = found["terms_p_value"] is not None and found["terms_p_value"] < limits.p_value
    if significant and found["terms_psi"] > limits.psi:
        why.append(
            f"word PSI {found['terms_psi']:.3g} > {limits.psi:g} over the {found['terms']} most "
            f"frequent training words (chi-square p={found['terms_p_value']:.2g})"
        )
    return why
