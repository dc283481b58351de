"""Maintained by the template (arrives with `cruft update`).

The promotion gate (params.yaml's evaluate.gate): what a model must reach before it may
hold `champion` at all. It must beat a baseline that knows nothing of the features (the
training rows' class priors, or their mean), scored on the same test rows, and reach an
optional absolute floor. A model that fails stays registered, with no alias; the rule it
failed is tagged on its run and version. The third rule, `min_improvement`, is the margin a
challenger needs over the champion's value on the same rows (champion.Ranking applies it).
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.dummy import DummyClassifier, DummyRegressor

from .metric_registry import MAXIMIZE, Scored, predict, score
from .params import CLASSIFICATION, REGRESSION, GateParams
from .tags import GATE_PASSED

# The rules, by their keys in evaluate.gate: what registry.gate says a model failed.
PASSED, BEAT_BASELINE, MIN_VALUE, MIN_IMPROVEMENT = (
    GATE_PASSED,
    "beat_baseline",
    "min_value",
    "min_improvement",
)
# The baseline of each task: scikit-learn's model and its strategy (the log line names both).
BASELINES = {CLASSIFICATION: (DummyClassifier, "prior"), REGRESSION: (DummyRegressor, "mean")}


def close(one: float, other: float) -> bool:
    """Equal but for float noise: such a model does not beat (nor fall short of) the other."""
    return math.isclose(one, other, rel_tol=1e-9, abs_tol=1e-12)


def improvement(value: float, other: float, direction: str) -> float:
    """How much better `value` is than `other` in the metric's direction (negative: worse)."""
    return value - other if direction == MAXIMIZE else other - value


def beats(value: float, other: float, direction: str) -> bool:
    """Whether `value` is better than `other` by more than float noise."""
    return improvement(value, other, direction) > 0 and not close(value, other)


def fit_baseline(train_target: pd.Series, task: str) -> DummyClassifier | DummyRegressor:
    """A model that ignores the features: the training rows' class priors, or their mean."""
    kind, strategy = BASELINES[task]
    return kind(strategy=strategy).fit(np.zeros((len(train_target), 1)), train_target)


def baseline_metrics(train_target: pd.Series, scored: Scored, task: str) -> dict[str, float | None]:
    """Every metric of the task for the baseline on the model's test rows (None: not
    computable there, such as ROC AUC with a class the training rows lack)."""
    baseline = fit_baseline(train_target, task)
    return score(predict(baseline, scored.features, scored.actual), task, tolerant=True)


@dataclass(frozen=True)
class Verdict:
    """The gate's outcome for one model: the rule it failed (or PASSED), and why, in words
    that follow `is not champion: ` in the stage's log."""

    rule: str
    baseline: Mapping[str, float | None]
    baseline_value: float | None
    baseline_name: str
    reason: str = ""

    @property
    def passed(self) -> bool:
        return self.rule == PASSED


def check(
    value: float,
    metric: str,
    direction: str,
    baseline: Mapping[str, float | None],
    gate: GateParams,
    task: str,
) -> Verdict:
    """Whether a model scoring `value` on `metric` passes `gate`, given the baseline's
    metrics on the same rows. A baseline that cannot be scored there is not a rule."""
    kind, strategy = BASELINES[task]
    named = f"{kind.__name__}, {strategy}"
    to_beat = baseline.get(metric)
    if gate.beat_baseline and to_beat is not None and not beats(value, to_beat, direction):
        reason = f"it does not beat the baseline ({named}: {metric} {to_beat:.4g})"
        return Verdict(BEAT_BASELINE, baseline, to_beat, named, reason)
    least = gate.min_value
    if least is not None and improvement(value, least, direction) < 0 and not close(value, least):
        bound = "at least" if direction == MAXIMIZE else "at most"
        reason = f"it does not reach evaluate.gate.min_value ({metric} {bound} {least:.4g})"
        return Verdict(MIN_VALUE, baseline, to_beat, named, reason)
    return Verdict(PASSED, baseline, to_beat, named)
