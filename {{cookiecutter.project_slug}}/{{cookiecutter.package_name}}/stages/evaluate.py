"""Evaluate: model + test CSV -> metrics, plot data, and one MLflow run.

Reads `--model`, `--test` and params `data` and `evaluate`; writes `--metrics` (for
`dvc metrics`) and `--predictions` (for `dvc plots`). Then it logs the run to MLflow with
every param, metric and lineage tag, registers the model and moves the `champion` alias if
this model beats the current one on evaluate.primary_metric.
"""

import logging
import math
import pickle
from typing import Literal

import pandas as pd
from mlflow.exceptions import MlflowException
from pydantic import ValidationInfo, field_validator

from .. import tracking
from ..data import write_table
from ..features import features_and_target
from ..files import write_json_atomic
from ..metrics import METRICS, score, task_metrics
from ..models import requirements_of
from ..params import DataParams, Section, read_params
from ..paths import PARAMS as PARAMS_FILE
from . import read_input, start

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
FILES = ("model", "test", "metrics", "predictions")


def prediction_table(model, features: pd.DataFrame, actual: pd.Series) -> pd.DataFrame:
    """Actual and predicted value per test row: the data behind `dvc plots show`."""
    return pd.DataFrame({"actual": actual, "predicted": model.predict(features)})


def check_finite(metrics: dict[str, float], primary: str) -> None:
    if not math.isfinite(metrics[primary]):
        raise SystemExit(f"ERROR: evaluate: {primary} is {metrics[primary]}; cannot rank the model")


def main() -> None:
    params, files = start(PARAMS, FILES)
    data, primary = params["data"], params["evaluate"].primary_metric
    model = pickle.loads(files.model.read_bytes())
    features, actual = features_and_target(read_input(files.test), data)
    metrics = score(model, features, actual, data.task)
    check_finite(metrics, primary)
    write_json_atomic(metrics, files.metrics)
    write_table(prediction_table(model, features, actual), files.predictions)
    try:
        everything = read_params()
        result = tracking.record_run(
            model,
            features,
            metrics,
            everything,
            tracking.Ranking(primary, METRICS[primary].direction),
            model_file=files.model,
            artifacts=(files.metrics, files.predictions, PARAMS_FILE),
            requirements=requirements_of(everything.get("train", {}).get("model")),
        )
    except (tracking.TrackingError, MlflowException) as error:
        reason = tracking.first_line(error)
        raise SystemExit(f"ERROR: MLflow at {tracking.tracking_uri()}: {reason}") from None
    log.info("metrics %s", metrics)
    log.info(
        "MLflow run %s; model version %s%s",
        result["run_id"],
        result["version"],
        " is champion" if result["champion"] else "",
    )


if __name__ == "__main__":
    main()
