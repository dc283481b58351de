"""Maintained by the template (arrives with `cruft update`).

Permutation importance of each input column, computed as scikit-learn's
`permutation_importance` does (shuffle one column, score again, take the drop), but with
all the shuffled copies of the rows predicted together, a few large calls instead of one
call per column and repeat. Gradient boosting pays about 0.08 s per call before its cost per
row (a Python loop over its trees): 60 columns x 3 repeats of a 32-class model on 200 rows
took 18 s one call at a time.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from .metric_registry import MAXIMIZE, Scored, registered

# Each input column is shuffled this many times, with this seed, on at most IMPORTANCE_ROWS
# test rows (a seeded sample beyond that): reproducible, and seconds rather than minutes on
# a million-row table. Its cost is
# rows x columns x repeats x classes predictions (a classifier's trees grow with its
# classes); beyond IMPORTANCE_BUDGET fewer rows are sampled, never fewer than
# IMPORTANCE_MIN_ROWS (60 columns, 32 classes: 200 rows).
IMPORTANCE_REPEATS = 3
IMPORTANCE_SEED = 0
IMPORTANCE_ROWS = 2_000
IMPORTANCE_BUDGET = 240_000
IMPORTANCE_MIN_ROWS = 200
# Shuffled rows predicted per call at most: bounds the memory a wide table needs.
BATCH_ROWS = 100_000


class Batch:
    """Shuffled copies of the rows, stacked: predicted once, probabilities only if asked."""

    def __init__(self, model: Any, frames: list[pd.DataFrame]) -> None:
        self.model = model
        self.rows = pd.concat(frames, ignore_index=True)
        self.predicted = np.asarray(model.predict(self.rows))

    @cached_property
    def probabilities(self) -> Any:
        return self.model.predict_proba(self.rows)


@dataclass(frozen=True)
class Block(Scored):
    """One shuffled copy within a Batch, as a metric sees it."""

    batch: Batch | None = None
    part: slice | None = None

    @cached_property
    def probabilities(self) -> Any:
        return self.batch.probabilities[self.part]


def shuffled(rows: pd.DataFrame, column: Any, order: np.ndarray) -> pd.DataFrame:
    copy = rows.copy()
    copy[column] = rows[column].iloc[order].reset_index(drop=True)
    return copy


def permutation_drops(
    scored: Scored, compute: Callable[[Scored], float], repeats: int, seed: int, rows: int
) -> dict[str, np.ndarray]:
    """Per input column, how much `compute` (higher is better) drops when that column is
    shuffled, `repeats` times, on a seeded sample of `rows` test rows."""
    rng = np.random.RandomState(seed)
    features, actual = scored.features, scored.actual
    if rows < len(features):
        chosen = rng.choice(len(features), rows, replace=False)
        features, actual = features.iloc[chosen], actual.iloc[chosen]
    features, actual = features.reset_index(drop=True), actual.reset_index(drop=True)
    copies = [(None, features)] + [
        (column, shuffled(features, column, rng.permutation(len(features))))
        for column in features.columns
        for _ in range(repeats)
    ]
    per_call = max(1, BATCH_ROWS // len(features))
    values: dict[Any, list[float]] = {}
    for start in range(0, len(copies), per_call):
        group = copies[start : start + per_call]
        batch = Batch(scored.model, [frame for _, frame in group])
        for i, (column, _) in enumerate(group):
            part = slice(i * len(features), (i + 1) * len(features))
            block = Block(scored.model, batch.rows.iloc[part], actual, batch.predicted[part],
                          batch, part)  # fmt: skip
            values.setdefault(column, []).append(float(compute(block)))
    baseline = values.pop(None)[0]
    return {str(column): baseline - np.asarray(scores) for column, scores in values.items()}


def importance_rows(scored: Scored) -> int:
    """How many test rows permutation importance shuffles (IMPORTANCE_BUDGET's rule)."""
    classes = len(getattr(scored.model, "classes_", ()))
    per_row = scored.features.shape[1] * IMPORTANCE_REPEATS * (classes if classes > 2 else 1)
    rows = max(IMPORTANCE_MIN_ROWS, IMPORTANCE_BUDGET // max(1, per_row))
    return min(len(scored.features), IMPORTANCE_ROWS, rows)


def importance_table(scored: Scored, metric: str) -> pd.DataFrame:
    """Permutation importance of each input column on the test rows: how much `metric`
    gets worse when the column is shuffled (mean and std over IMPORTANCE_REPEATS), most
    important first. Seeded, so reruns give the same numbers."""
    entry = registered()[metric]
    sign = 1.0 if entry.direction == MAXIMIZE else -1.0
    drops = permutation_drops(
        scored,
        lambda block: sign * entry.compute(block),
        repeats=IMPORTANCE_REPEATS,
        seed=IMPORTANCE_SEED,
        rows=importance_rows(scored),
    )
    table = pd.DataFrame(
        {
            "feature": list(drops),
            "importance": [float(np.mean(drop)) for drop in drops.values()],
            "std": [float(np.std(drop)) for drop in drops.values()],
        }
    )
    ordered = table.sort_values(["importance", "feature"], ascending=[False, True], kind="stable")
    return ordered.reset_index(drop=True)
