"""The metrics evaluate computes: one decorated function per metric. Add yours here.

`@metric(task, direction)` registers a function under its own name. That one entry is all
there is: params validation (`evaluate.primary_metric`), `score()`, the champion decision
(the direction) and the project's tests all read METRICS. For example:

    @metric(CLASSIFICATION, MAXIMIZE)
    def balanced_accuracy(scored: Scored) -> float:
        return balanced_accuracy_score(scored.actual, scored.predicted)
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pandas as pd
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    mean_absolute_error,
    r2_score,
    roc_auc_score,
    root_mean_squared_error,
)

from .params import CLASSIFICATION, REGRESSION

MAXIMIZE, MINIMIZE = "maximize", "minimize"


@dataclass(frozen=True)
class Scored:
    """What a metric may look at: the fitted model, the test features, truth and predictions."""

    model: Any
    features: pd.DataFrame
    actual: pd.Series
    predicted: Any

    @cached_property
    def probabilities(self) -> Any:
        """The classifier's class probabilities per row (columns: model.classes_), computed
        once for every metric and plot that needs them."""
        return self.model.predict_proba(self.features)


@dataclass(frozen=True)
class Metric:
    compute: Callable[[Scored], float]
    task: str
    direction: str


METRICS: dict[str, Metric] = {}


def metric(task: str, direction: str) -> Callable:
    """Register the decorated function as a metric of `task`, better in `direction`."""

    def register(compute: Callable[[Scored], float]) -> Callable[[Scored], float]:
        METRICS[compute.__name__] = Metric(compute, task, direction)
        return compute

    return register


def task_metrics(task: str) -> list[str]:
    return [name for name, entry in METRICS.items() if entry.task == task]


def predict(model: Any, features: pd.DataFrame, actual: pd.Series) -> Scored:
    """The model's predictions for the test rows, with what metrics need beside them."""
    return Scored(model, features, actual, model.predict(features))


def score(scored: Scored, task: str, tolerant: bool = False) -> dict[str, float | None]:
    """Every metric of the task on the test rows. `tolerant`: None for a metric these rows
    cannot give (ROC AUC with a class the model never saw) instead of the error."""
    found: dict[str, float | None] = {}
    for name in task_metrics(task):
        try:
            found[name] = float(METRICS[name].compute(scored))
        except (ValueError, TypeError):
            if not tolerant:
                raise
            found[name] = None
    return found


@metric(CLASSIFICATION, MAXIMIZE)
def accuracy(scored: Scored) -> float:
    return accuracy_score(scored.actual, scored.predicted)


@metric(CLASSIFICATION, MAXIMIZE)
def f1_macro(scored: Scored) -> float:
    return f1_score(scored.actual, scored.predicted, average="macro")


@metric(CLASSIFICATION, MAXIMIZE)
def roc_auc(scored: Scored) -> float:
    """One-vs-rest macro ROC AUC, for two classes or more."""
    probabilities = scored.probabilities
    classes = scored.model.classes_
    if len(classes) == 2:
        return roc_auc_score(scored.actual == classes[1], probabilities[:, 1])
    return roc_auc_score(
        scored.actual, probabilities, multi_class="ovr", average="macro", labels=classes
    )


@metric(REGRESSION, MINIMIZE)
def rmse(scored: Scored) -> float:
    return root_mean_squared_error(scored.actual, scored.predicted)


@metric(REGRESSION, MINIMIZE)
def mae(scored: Scored) -> float:
    return mean_absolute_error(scored.actual, scored.predicted)


@metric(REGRESSION, MAXIMIZE)
def r2(scored: Scored) -> float:
    return r2_score(scored.actual, scored.predicted)
