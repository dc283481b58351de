"""Maintained by the template (arrives with `cruft update`).

The one call evaluate makes into MLflow: `record_evaluation` logs the run (params,
metrics and the baseline's, lineage, plots, the pipeline's files, the model), registers the
model, checks the promotion gate (gate.py) and settles `champion`, every contender scored on
this run's test rows. A store that fails ends the stage with one line.
"""

import logging
import math
from argparse import Namespace
from collections.abc import Callable, Mapping
from typing import Any

import mlflow
import pandas as pd
from mlflow.exceptions import MlflowException

from . import gate, plots
from .champion import Ranking, explain
from .failures import STORE_ERRORS, first_line
from .metric_registry import Scored, predict, registered
from .model_registry import requirements_of
from .params import read_params
from .paths import PARAMS
from .runs import record_run
from .store import tracking_uri

log = logging.getLogger(__name__)


def incumbent_scorer(scored: Scored, metric: str) -> Callable[[str], float | None]:
    """Score a registered model on this run's test rows, so the champion decision compares
    like with like (another split, or a metric added since, would not)."""

    def score_incumbent(model_uri: str) -> float | None:
        try:
            incumbent = mlflow.sklearn.load_model(model_uri)
            rescored = predict(incumbent, scored.features, scored.actual)
            return float(registered()[metric].compute(rescored))
        except (MlflowException, ValueError, TypeError, KeyError, AttributeError) as error:
            log.warning(
                "the champion (%s) cannot be scored on these test rows (%s); the new model "
                "takes its place", model_uri, first_line(error)
            )  # fmt: skip
            return None

    return score_incumbent


def check_finite(metrics: Mapping[str, float], primary: str) -> None:
    """A primary metric that is NaN or infinite cannot rank a model: stop the stage."""
    if not math.isfinite(metrics[primary]):
        raise SystemExit(f"ERROR: evaluate: {primary} is {metrics[primary]}; cannot rank the model")


def record_evaluation(
    scored: Scored,
    metrics: Mapping[str, float],
    baseline: Mapping[str, float | None],
    tables: dict[str, pd.DataFrame],
    task: str,
    evaluate: Any,  # params.evaluate: primary_metric and gate
    files: Namespace,
) -> None:
    """Record this evaluation in MLflow and decide `champion` on evaluate.primary_metric,
    for a model that passes evaluate.gate (`baseline`: gate.baseline_metrics, same rows).

    `files` are evaluate's: the model file, and the metrics, predictions and plots it wrote,
    which are logged with the run beside params.yaml.
    """
    primary, direction = evaluate.primary_metric, registered()[evaluate.primary_metric].direction
    margin = evaluate.gate.min_improvement or 0.0
    ranking = Ranking(primary, direction, incumbent_scorer(scored, primary), margin)
    verdict = gate.check(metrics[primary], primary, direction, baseline, evaluate.gate, task)
    figures = plots.figures(scored, tables, task, primary)
    try:
        everything = read_params()
        with plots.figure_files(figures) as images:
            recorded = record_run(
                scored.model,
                scored.features,
                metrics,
                everything,
                ranking,
                verdict,
                model_file=files.model,
                artifacts=(files.metrics, files.predictions, files.plots, images, PARAMS),
                requirements=requirements_of(everything.get("train", {}).get("model")),
            )
    except STORE_ERRORS as error:
        raise SystemExit(f"ERROR: MLflow at {tracking_uri()}: {first_line(error)}") from None
    log.info("metrics %s", dict(metrics))
    log.info("baseline (%s) %s", verdict.baseline_name, dict(baseline))
    value = metrics[primary]
    outcome = explain(recorded.decision, recorded.version, primary, value, verdict.reason)
    log.info("MLflow run %s; model %s", recorded.run_id, outcome)
    if recorded.dirty:
        log.warning(
            "this run was made on uncommitted changes: they are logged with it, so "
            "`reproduce` can rebuild it, but git does not have them yet; commit before "
            "`dvc repro` (or use `dvc exp run`) to record runs of a commit"
        )
