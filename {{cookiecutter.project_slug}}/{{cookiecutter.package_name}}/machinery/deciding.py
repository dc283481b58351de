"""Maintained by the template (arrives with `cruft update`).

The metric that decides `champion` (params.yaml's evaluate.primary_metric), for a version
whose own run may predate it: then the version is scored on the test rows evaluate reads
now, which is how the next evaluation will compare it.
"""

from pathlib import Path
from typing import Any

import mlflow

from ..features import features_and_target
from . import paths, registry
from .data import DataError, read_table
from .metric_registry import evaluate_params_model, predict, registered
from .params import DataParams, ParamsError, load_params


def deciding_metric(client: mlflow.MlflowClient, version: Any) -> str:
    """`decided by <metric> <value>`, from the version's run or re-scored, or why neither."""
    try:
        params = load_params({"data": DataParams, "evaluate": evaluate_params_model()})
    except ParamsError as error:
        return f"deciding metric unknown ({error})"
    metric = params.evaluate.primary_metric
    recorded = client.get_run(version.run_id).data.metrics
    if metric in recorded:
        return f"decided by {metric} {recorded[metric]:.4g}"
    test = paths.cmd_options(paths.pipeline_stages().get("evaluate", {})).get("test")
    try:
        features, actual = features_and_target(read_table(Path(test)), params.data)
        model = mlflow.sklearn.load_model(registry.version_uri(version.version))
        value = registered()[metric].compute(predict(model, features, actual))
    except (DataError, OSError, TypeError, ValueError, KeyError) as error:
        return f"{metric} not recorded on its run, and not scorable here ({error})"
    return f"decided by {metric} {value:.4g} (re-scored on {test}: its run predates the metric)"
