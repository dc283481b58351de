"""Evaluate: model + test CSV -> metrics, plot data, and one MLflow run.

Consumes paths.MODEL, paths.TEST_DATA and params `data` and `evaluate`; produces
paths.METRICS (for `dvc metrics`) and paths.PREDICTIONS (for `dvc plots`). Then it logs the
run to MLflow with every param, metric and lineage tag, registers the model and moves the
`champion` alias if this model beats the current one on evaluate.primary_metric.
"""

import logging
import pickle
from typing import Any

import numpy as np
import pandas as pd
from mlflow.exceptions import MlflowException
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    mean_absolute_error,
    r2_score,
    roc_auc_score,
    root_mean_squared_error,
)

from .. import paths, tracking
from ..files import write_csv_atomic, write_json_atomic
from ..params import read_params
from . import start
from .train import features_and_target

log = logging.getLogger(__name__)


def roc_auc(model: Any, features: pd.DataFrame, actual: pd.Series) -> float:
    """One-vs-rest macro ROC AUC, for two classes or more."""
    probabilities = model.predict_proba(features)
    classes = model.classes_
    if len(classes) == 2:
        return float(roc_auc_score(actual == classes[1], probabilities[:, 1]))
    return float(
        roc_auc_score(actual, probabilities, multi_class="ovr", average="macro", labels=classes)
    )


def score(model: Any, features: pd.DataFrame, actual: pd.Series, task: str) -> dict[str, float]:
    """The task's metrics on the test rows. Add your own metrics here."""
    predicted = model.predict(features)
    if task == "classification":
        return {
            "accuracy": float(accuracy_score(actual, predicted)),
            "f1_macro": float(f1_score(actual, predicted, average="macro")),
            "roc_auc": roc_auc(model, features, actual),
        }
    return {
        "rmse": float(root_mean_squared_error(actual, predicted)),
        "mae": float(mean_absolute_error(actual, predicted)),
        "r2": float(r2_score(actual, predicted)),
    }


def prediction_table(model: Any, features: pd.DataFrame, actual: pd.Series) -> pd.DataFrame:
    """Actual and predicted value per test row: the data behind `dvc plots show`."""
    return pd.DataFrame({"actual": actual, "predicted": model.predict(features)})


def check_finite(metrics: dict[str, float], primary: str) -> None:
    if not np.isfinite(metrics[primary]):
        raise SystemExit(f"ERROR: evaluate: {primary} is {metrics[primary]}; cannot rank the model")


def main() -> None:
    params = start("data", "evaluate")
    target, task = params["data"]["target"], params["data"]["task"]
    model = pickle.loads(paths.MODEL.read_bytes())
    features, actual = features_and_target(pd.read_csv(paths.TEST_DATA), target)
    metrics = score(model, features, actual, task)
    check_finite(metrics, params["evaluate"]["primary_metric"])
    write_json_atomic(metrics, paths.METRICS)
    write_csv_atomic(prediction_table(model, features, actual), paths.PREDICTIONS)
    try:
        result = tracking.record_run(model, features, metrics, read_params(), params["evaluate"])
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
