"""Maintained by the template (arrives with `cruft update`).

A monitor check as MLflow keeps it: one run in the `<project>-monitoring` experiment with
the drift statistics as metrics, the thresholds as params, and the report and its chart.
"""

import io
import re
from pathlib import Path

import mlflow
from matplotlib.figure import Figure
from mlflow.entities import Metric, Param, RunTag

from .. import settings
from .store import create_experiment, store_lock

EXPERIMENT = f"{settings.EXPERIMENT_NAME}-monitoring"
# A column's statistics logged as metrics; the last two are a text column's words (drift.py).
STATISTICS = ("psi", "p_value", "missing_rate_change", "unseen_share", "terms_psi")


def drift_chart(features: dict, limit: float, title: str) -> bytes:
    """PSI per input column as bars, drifted ones red, with the threshold as a line."""
    names = sorted(features, key=lambda name: features[name]["psi"] or 0)
    figure = Figure(figsize=(7, 1.5 + 0.35 * len(names)), layout="constrained")
    axes = figure.subplots()
    colours = ["tab:red" if features[name]["drifted"] else "tab:blue" for name in names]
    axes.barh(names, [features[name]["psi"] or 0 for name in names], color=colours)
    axes.axvline(limit, color="black", linestyle="--", label=f"monitor.psi = {limit:g}")
    axes.set_xlabel("PSI (red: drifted)")
    axes.set_title(title, fontsize="medium")
    axes.legend(loc="lower right")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


def metric_key(name: str) -> str:
    """A name MLflow accepts as a metric key: other characters become underscores."""
    return re.sub(r"[^\w./ -]", "_", name)


def monitoring_experiment(client: mlflow.MlflowClient) -> str:
    """The id of the `<project>-monitoring` experiment, created beside the project's own."""
    with store_lock():
        found = client.get_experiment_by_name(EXPERIMENT)
        return found.experiment_id if found else create_experiment(client, EXPERIMENT)


def log_run(client: mlflow.MlflowClient, report: dict, files: tuple[Path, ...]) -> str:
    """One run in the monitoring experiment: drift metrics, thresholds, the report files."""
    model = report["model"]
    tags = {
        "monitor.model_version": str(model["version"]),
        "monitor.model_run_id": model["run_id"],
        "monitor.model_ref": model["ref"],
        "monitor.batch": report["batch"]["path"],
        "monitor.batch_md5": report["batch"]["md5"],
        "monitor.drift": str(report["drift"]).lower(),
    }
    metrics = {"drifted_features": len(report["drifted_features"])}
    for name, found in report["features"].items():
        for statistic in STATISTICS:
            metrics[metric_key(f"{statistic}.{name}")] = found.get(statistic)
    for name, value in (report["performance"] or {}).get("metrics", {}).items():
        metrics[f"batch.{name}"] = value
    name = f"{Path(report['batch']['path']).stem}-v{model['version']}"
    run = client.create_run(monitoring_experiment(client), tags=tags, run_name=name)
    run_id = run.info.run_id
    try:
        client.log_batch(
            run_id,
            metrics=[Metric(k, v, 0, 0) for k, v in metrics.items() if v is not None],
            params=[Param(f"monitor.{k}", str(v)) for k, v in report["thresholds"].items()],
            tags=[RunTag("monitor.report", files[0].name)],
        )
        for path in files:
            client.log_artifact(run_id, str(path), "monitoring")
    except BaseException:
        client.set_terminated(run_id, "FAILED")
        raise
    client.set_terminated(run_id)
    return run_id
