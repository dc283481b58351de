"""Maintained by the template (arrives with `cruft update`).

Monitor: is a new batch of rows still like the data the model was trained on?

`python -m {{ cookiecutter.package_name }} monitor NEW.csv [--model REF]` compares each of the
model's input columns in NEW.csv, as the model reads it (columns.input_kinds: numbers,
categories or text), with the training data that the model's run read: the bytes
its lineage records by md5, from the DVC cache or remote, not whatever the workspace holds
now. If NEW.csv has the target column, the model is scored on it too, beside the metrics its
run recorded. Thresholds are params.yaml's `monitor` section; the statistics are drift.py's.

Writes reports/monitoring/<UTC time>.json and .png and logs both to a run of the MLflow
experiment `<project>-monitoring`, tagged with the model version and run checked. Exit status:
0 no drift, 1 past a threshold (one line names what drifted), 2 bad input (one ERROR line).
"""

import os
import sys
import warnings
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from pydantic import Field

from . import tags
from .column_steps import read_dates
from .columns import date_formats, input_kinds
from .data import DataError, read_table
from .drift import feature_drift, is_numeric, reasons
from .failures import STORE_ERRORS, first_line
from .files import md5_of, write_bytes_atomic, write_json_atomic
from .metric_registry import MAXIMIZE, evaluate_params_model, predict, registered, score
from .monitor_log import drift_chart, log_run
from .params import DataParams, ParamsError, Section, load_params
from .predict import PredictError, check_columns, input_columns, load_model, min_columns
from .records import ReproduceError, find_run
from .store import open_store, project_root
from .table_format import listed
from .training_data import training_data

REPORTS = Path("reports/monitoring")


class MonitorParams(Section):
    """The `monitor` section: when a batch counts as drifted, or the model as worse on it."""

    # A column's drift test (KS or chi-square) below this p-value is significant...
    p_value: float = Field(gt=0, lt=1)
    # ... and drifts if its PSI is past this too.
    psi: float = Field(gt=0)
    # Bins a numeric column is cut into for PSI, at the training data's quantiles.
    psi_bins: int = Field(ge=2)
    # A column drifts if its share of missing values moves by more than this.
    missing_rate_change: float = Field(gt=0, le=1)
    # A text column's word PSI is over this many of the training data's most frequent words.
    text_terms: int = Field(ge=1)
    # A text column drifts if more than this share of the batch's words never occur in training.
    text_unseen_share: float = Field(gt=0, le=1)
    # The model is worse if evaluate.primary_metric is this fraction worse than recorded.
    metric_drop: float = Field(gt=0)


PARAMS = {"data": DataParams, "evaluate": evaluate_params_model(), "monitor": MonitorParams}


class MonitorError(RuntimeError):
    """The batch or the training data cannot be compared; one line says why."""


def read_batch(path: Path, model: Any) -> pd.DataFrame:
    """The batch, which may be a file of one column when the model has one input."""
    frame = read_table(path, min_columns(model))
    if frame.empty:
        raise MonitorError(f"{path} has no data rows, only a header")
    return frame


def as_model_sees(batch: pd.DataFrame, reference: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The batch's input columns as the model takes them: a column that is numeric in
    training is made numeric, other values ("unknown") becoming gaps (features.as_numbers)."""
    missing = [name for name in columns if name not in reference.columns]
    if missing:
        raise MonitorError(f"the training data lacks the model's columns {listed(missing)}")
    return pd.DataFrame(
        {
            name: pd.to_numeric(batch[name], errors="coerce")
            if is_numeric(reference[name])
            else batch[name]
            for name in columns
        }
    )


def compare(
    reference: pd.DataFrame,
    batch: pd.DataFrame,
    limits: MonitorParams,
    kinds: dict[str, str],
    formats: dict[str, str] | None = None,
) -> dict:
    """Every input column's statistics and the reasons it drifted (empty: it did not);
    `kinds`: what the model takes each column for (input_kinds), `formats`: how it reads
    its date columns (date_formats)."""
    compared = {}
    for name in batch.columns:
        kind, bins = kinds.get(name), limits.psi_bins
        before, after = reference[name], batch[name]
        if name in (formats or {}):
            before, after = read_dates(before, formats[name]), read_dates(after, formats[name])
        found = feature_drift(before, after, bins, kind, limits.text_terms)
        why = reasons(found, limits)
        compared[name] = found | {"drifted": bool(why), "reasons": why}
    return compared


def batch_metrics(model: Any, features: pd.DataFrame, actual: pd.Series, task: str) -> dict:
    """Each metric of the task on the batch; None for one the batch cannot give (ROC AUC
    with a class the model never saw) rather than no score at all; scikit-learn's warnings
    about such rows are left out of the report's output."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return score(predict(model, features, actual), task, tolerant=True)


def worsening(now: float | None, recorded: float | None, direction: str) -> float | None:
    """How much worse `now` is than `recorded`, as a fraction of it (negative: better)."""
    if now is None or recorded is None:
        return None
    loss = recorded - now if direction == MAXIMIZE else now - recorded
    return loss / max(abs(recorded), 1e-12)


def performance(model: Any, batch: pd.DataFrame, params: dict, recorded: dict) -> dict | None:
    """The model's metrics on the batch rows that have a target, beside the recorded ones;
    None when the batch has no target."""
    data, primary = params.data, params.evaluate.primary_metric
    if data.target not in batch.columns:
        return None
    actual = batch[data.target]
    if data.task == "regression":
        actual = pd.to_numeric(actual, errors="coerce")
    rows = actual.notna()
    if not rows.any():
        return None
    now = batch_metrics(model, batch.loc[rows, input_columns(model)], actual[rows], data.task)
    worse = worsening(now[primary], recorded.get(primary), registered()[primary].direction)
    return {
        "rows": int(rows.sum()),
        "metrics": now,
        "recorded": {name: recorded.get(name) for name in now},
        "primary_metric": primary,
        "worsening": worse,
        "degraded": worse is not None and worse > params.monitor.metric_drop,
    }


def summary(report: dict, written: Path) -> str:
    """The one line printed: what drifted and why, or that nothing did; the model's score on
    the batch when it had the target; where the report is."""
    checked = f"model version {report['model']['version']}; report {written}"
    performance = report["performance"] or {}
    problems = []
    drifted = report["drifted_features"]
    if drifted:
        why = [f"{name} ({'; '.join(report['features'][name]['reasons'])})" for name in drifted]
        noun = "feature" if len(drifted) == 1 else "features"
        problems.append(f"{len(drifted)} {noun} drifted: {listed(why, str)}")
    score = ""
    if performance and performance["metrics"].get(performance["primary_metric"]) is not None:
        name = performance["primary_metric"]
        now, recorded = performance["metrics"][name], performance["recorded"][name]
        then = f"{recorded:.3g} recorded" if recorded is not None else "none recorded on its run"
        score = f"{name} {now:.3g} on the batch vs {then}"
        if performance.get("degraded"):
            problems.append(f"{score} ({performance['worsening']:.0%} worse)")
    if problems:
        return f"DRIFT: {'; '.join(problems)} ({checked})"
    scored = f", {score}" if score else ""
    count = len(report["features"])
    return f"no drift in {count} feature{'' if count == 1 else 's'}{scored} ({checked})"


def check(client: mlflow.MlflowClient, batch_path: Path, ref: str) -> tuple[dict, bytes]:
    """Everything monitor finds about the batch, as the report and its chart."""
    params = load_params(PARAMS)
    if not batch_path.is_file():
        raise MonitorError(f"{batch_path} not found")
    record = find_run(client, ref)
    model = load_model(record.run.info.run_id)
    batch = read_batch(batch_path, model)
    check_columns(batch, model, batch_path)
    reference, source = training_data(record, project_root())
    seen = as_model_sees(batch, reference, input_columns(model))
    features = compare(reference, seen, params.monitor, input_kinds(model), date_formats(model))
    version = record.tags.get(tags.REGISTERED_VERSION, "unregistered")
    report = {
        "checked_at": pd.Timestamp.now(tz="UTC").isoformat(),
        "batch": {"path": str(batch_path), "md5": md5_of(batch_path), "rows": len(batch)},
        "model": {"ref": ref, "version": version, "run_id": record.run.info.run_id},
        "training_data": {"path": source, "md5": record.data[source], "rows": len(reference)},
        "thresholds": params.monitor.model_dump(),
        "features": features,
        "drifted_features": [name for name, found in features.items() if found["drifted"]],
        "performance": performance(model, batch, params, record.run.data.metrics),
    }
    report["drift"] = bool(report["drifted_features"]) or bool(
        (report["performance"] or {}).get("degraded")
    )
    title = f"{batch_path.name} vs the training data of model version {version}"
    return report, drift_chart(features, params.monitor.psi, title)


def main(batch: Path, ref: str) -> int:
    """Exit status 0 (no drift), 1 (past a threshold) or 2 (bad input, one ERROR line)."""
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    try:
        client = open_store()
        report, chart = check(client, batch, ref)
        stamp = pd.Timestamp.now(tz="UTC").strftime("%Y%m%dT%H%M%S.%fZ")
        written = (REPORTS / f"{stamp}.json", REPORTS / f"{stamp}.png")
        write_json_atomic(report, written[0])
        write_bytes_atomic(written[1], chart)
        log_run(client, report, written)
    except (MonitorError, DataError, ParamsError, PredictError, ReproduceError, OSError) as error:
        print(f"ERROR: monitor: {first_line(error)}", file=sys.stderr)
        return 2
    except STORE_ERRORS as error:
        print(f"ERROR: monitor: MLflow: {first_line(error)}", file=sys.stderr)
        return 2
    print(summary(report, written[0]))
    return 1 if report["drift"] else 0
