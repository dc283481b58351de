"""Maintained by the template (arrives with `cruft update`).

How metrics.py's functions are registered and computed. `@metric(task, direction)` puts a
function in METRICS under its own name: params validation (`evaluate.primary_metric`),
`score()`, the champion decision (the direction), monitor and the tests all read METRICS.
"""

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any, Literal

import pandas as pd
from pydantic import ValidationInfo, field_validator

from .params import GateParams, Section

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


_REGISTERED: dict[str, Metric] = {}


def metric(task: str, direction: str) -> Callable:
    """Register the decorated function as a metric of `task`, better in `direction`."""

    def register(compute: Callable[[Scored], float]) -> Callable[[Scored], float]:
        _REGISTERED[compute.__name__] = Metric(compute, task, direction)
        return compute

    return register


@cache
def registered() -> dict[str, Metric]:
    """Every metric, once metrics.py (yours) has registered its functions."""
    importlib.import_module(f"{__package__.rpartition('.')[0]}.metrics")
    return _REGISTERED


def task_metrics(task: str) -> list[str]:
    return [name for name, entry in registered().items() if entry.task == task]


def predict(model: Any, features: pd.DataFrame, actual: pd.Series) -> Scored:
    """The model's predictions for the test rows, with what metrics need beside them."""
    return Scored(model, features, actual, model.predict(features))


def score(scored: Scored, task: str, tolerant: bool = False) -> dict[str, float | None]:
    """Every metric of the task on the test rows. `tolerant`: None for a metric these rows
    cannot give (ROC AUC with a class the model never saw) instead of the error."""
    found: dict[str, float | None] = {}
    for name in task_metrics(task):
        try:
            found[name] = float(registered()[name].compute(scored))
        except (ValueError, TypeError):
            if not tolerant:
                raise
            found[name] = None
    return found


@cache
def evaluate_params_model() -> type[Section]:
    """The `evaluate` section: the metric that decides which version holds `champion`, and
    the gate a version must pass to hold it."""

    class EvaluateParams(Section):
        # Its direction (higher or lower is better) comes from metrics.py.
        primary_metric: Literal[tuple(registered())]
        gate: GateParams = GateParams()

        @field_validator("primary_metric")
        @classmethod
        def fits_the_task(cls, name: str, info: ValidationInfo) -> str:
            task = getattr(info.context, "task", None)
            if task and registered()[name].task != task:
                raise ValueError(
                    f"{name!r} does not fit {task}; use {', '.join(task_metrics(task))}"
                )
            return name

    return EvaluateParams
