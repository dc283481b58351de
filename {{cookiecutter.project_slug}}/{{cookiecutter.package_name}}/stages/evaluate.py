"""Evaluate: model + test CSV -> metrics, plot data, and one MLflow run.

Reads `--model`, `--test` and params `data` and `evaluate`; writes `--metrics` (for
`dvc metrics`), and `--predictions` and the `--plots` folder (plots.py: one CSV file per
plot, for `dvc plots`). Then it logs the run to MLflow with every param, metric and lineage
tag, those files and the plots as PNG images, registers the model and moves the `champion`
alias if this model beats the current one on evaluate.primary_metric.
"""

import logging
import math
import pickle
from collections.abc import Callable
from typing import Literal

import mlflow
import pandas as pd
from mlflow.exceptions import MlflowException
from pydantic import ValidationInfo, field_validator
from threadpoolctl import threadpool_limits

from .. import plots, tracking
from ..data import write_table
from ..features import features_and_target
from ..files import write_json_atomic
from ..metrics import METRICS, Scored, predict, score, task_metrics
from ..models import requirements_of
from ..params import DataParams, Section, read_params
from ..paths import PARAMS as PARAMS_FILE
from . import core_limit, read_input, start

log = logging.getLogger(__name__)


class EvaluateParams(Section):
    # The metric that decides which model version holds `champion`; its direction
    # (higher or lower is better) comes from metrics.py.
    primary_metric: Literal[tuple(METRICS)]

    @field_validator("primary_metric")
    @classmethod
    def fits_the_task(cls, metric: str, info: ValidationInfo) -> str:
        task = getattr(info.context, "task", None)
        if task and METRICS[metric].task != task:
            raise ValueError(f"{metric!r} does not fit {task}; use {', '.join(task_metrics(task))}")
        return metric


PARAMS = {"data": DataParams, "evaluate": EvaluateParams}
FILES = ("model", "test", "metrics", "predictions", "plots")


def prediction_table(scored: Scored) -> pd.DataFrame:
    """Actual and predicted value per test row: the data behind `dvc plots show`."""
    return pd.DataFrame({"actual": scored.actual, "predicted": scored.predicted})


def incumbent_scorer(scored: Scored, metric: str) -> Callable[[str], float | None]:
    """Score a registered model on this run's test rows, so the champion decision compares
    like with like (another split, or a metric added since, would not)."""

    def score_incumbent(model_uri: str) -> float | None:
        try:
            incumbent = mlflow.sklearn.load_model(model_uri)
            return float(
                METRICS[metric].compute(predict(incumbent, scored.features, scored.actual))
            )
        except (MlflowException, ValueError, TypeError, KeyError, AttributeError) as error:
            log.warning(
                "the champion (%s) cannot be scored on these test rows (%s); the new model "
                "takes its place", model_uri, tracking.first_line(error)
            )  # fmt: skip
            return None

    return score_incumbent


def check_finite(metrics: dict[str, float], primary: str) -> None:
    if not math.isfinite(metrics[primary]):
        raise SystemExit(f"ERROR: evaluate: {primary} is {metrics[primary]}; cannot rank the model")


def main() -> None:
    params, files = start(PARAMS, FILES)
    threadpool_limits(limits=core_limit())  # for the rest of this process (predictions)
    data, primary = params["data"], params["evaluate"].primary_metric
    model = pickle.loads(files.model.read_bytes())
    features, actual = features_and_target(read_input(files.test), data)
    scored = predict(model, features, actual)
    metrics = score(scored, data.task)
    check_finite(metrics, primary)
    write_json_atomic(metrics, files.metrics)
    write_table(prediction_table(scored), files.predictions)
    tables = plots.plot_tables(scored, data.task, primary)
    for name, table in tables.items():
        write_table(table, files.plots / f"{name}.csv")
    figures = plots.figures(scored, tables, data.task, primary)
    try:
        everything = read_params()
        with plots.figure_files(figures) as images:
            result = tracking.record_run(
                model,
                features,
                metrics,
                everything,
                tracking.Ranking(
                    primary, METRICS[primary].direction, incumbent_scorer(scored, primary)
                ),
                model_file=files.model,
                artifacts=(files.metrics, files.predictions, files.plots, images, PARAMS_FILE),
                requirements=requirements_of(everything.get("train", {}).get("model")),
            )
    except tracking.STORE_ERRORS as error:
        reason = tracking.first_line(error)
        raise SystemExit(f"ERROR: MLflow at {tracking.tracking_uri()}: {reason}") from None
    log.info("metrics %s", metrics)
    log.info(
        "MLflow run %s; model version %s%s",
        result["run_id"],
        result["version"],
        " is champion" if result["champion"] else "",
    )
    if result["dirty"]:
        log.warning(
            "this run was made on uncommitted changes: they are logged with it, so "
            "`reproduce` can rebuild it, but git does not have them yet; commit before "
            "`dvc repro` (or use `dvc exp run`) to record runs of a commit"
        )


if __name__ == "__main__":
    main()
