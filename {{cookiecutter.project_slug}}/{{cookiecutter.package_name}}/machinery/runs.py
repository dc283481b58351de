"""Maintained by the template (arrives with `cruft update`).

The whole record of one pipeline execution, as one MLflow run: params, metrics, lineage
tags, datasets, the pipeline's files, the model, its baseline's metrics, its registered
version, the promotion gate's verdict and the champion decision. A run that fails half-way
is ended FAILED, never left RUNNING.
"""

import json
import logging
import os
import socket
import tempfile
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
from mlflow.data.dataset_source_registry import get_dataset_source_from_json
from mlflow.data.meta_dataset import MetaDataset

from . import champion, columns, gate, lineage, paths, registry, tags
from .files import md5_of
from .model_log import log_model
from .server import HTTP_DEFAULTS
from .store import check_store, fail_abandoned_runs, open_store, store_lock, tracking_uri

log = logging.getLogger(__name__)

# The data a run was trained and tested on, by context: the file a dvc.yaml stage gets as
# an option. Logged as the run's MLflow datasets (the UI's Dataset column).
DATASET_OPTIONS = {"training": ("train", "train"), "testing": ("evaluate", "test")}


@dataclass(frozen=True)
class Recorded:
    """What a recorded run came to."""

    run_id: str
    version: Any
    decision: champion.Decision
    verdict: gate.Verdict
    # Made on uncommitted changes outside an experiment (whose changes are meant to be).
    dirty: bool


def log_datasets(record: Mapping[str, str], stages: Mapping[str, dict]) -> None:
    """Log the run's training and test data (DATASET_OPTIONS) as MLflow datasets: named after
    the file, its DVC path as source and its DVC md5 (the lineage tag) as digest."""
    for context, (stage, option) in DATASET_OPTIONS.items():
        path = paths.cmd_options(stages.get(stage, {})).get(option)
        md5 = record.get(f"{tags.DATA_PREFIX}{Path(path).as_posix()}") if path else None
        if md5:
            source = get_dataset_source_from_json(json.dumps({"uri": path}), source_type="local")
            mlflow.log_input(MetaDataset(source, name=Path(path).stem, digest=md5), context=context)


def log_bytes(content: bytes, artifact: str) -> None:
    """Log `content` as the active run's artifact at `artifact` (dir/name)."""
    folder, _, name = artifact.rpartition("/")
    with tempfile.TemporaryDirectory() as scratch:
        (Path(scratch) / name).write_bytes(content)
        mlflow.log_artifact(str(Path(scratch) / name), artifact_path=folder)


def abandon_run() -> None:
    """End the active run as FAILED, trying once and briefly: the store may be what failed.

    If even that fails, the run stays RUNNING until the next stage on this machine marks it
    FAILED (fail_abandoned_runs).
    """
    os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"
    timeout = int(
        os.environ.get("MLFLOW_HTTP_REQUEST_TIMEOUT")
        or HTTP_DEFAULTS["MLFLOW_HTTP_REQUEST_TIMEOUT"]
    )
    os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] = str(min(timeout, 5))
    with suppress(Exception):
        mlflow.end_run("FAILED")


def version_summary(
    params: Mapping[str, Any], trail: Mapping[str, str], metric: str, value: float
) -> str:
    """What a registered version is, in one line: model, data, commit, metric."""
    data = ", ".join(
        f"{key.removeprefix(tags.DATA_PREFIX)} {md5[:8]}"
        for key, md5 in trail.items()
        if key.startswith(tags.DATA_PREFIX)
    )
    model = params.get("train", {}).get("model", "model")
    dirty = " (uncommitted changes)" if trail[tags.GIT_DIRTY] == "true" else ""
    commit = trail[tags.GIT_COMMIT][:7]
    return f"{model} on {data or 'no tracked data'}; commit {commit}{dirty}; {metric} {value:.4g}"


def gate_tags(verdict: gate.Verdict, decision: champion.Decision | None = None) -> dict[str, str]:
    """The gate's verdict as tags: for the version, and with the champion `decision` for the
    run, whose gate is `min_improvement` when it beat the champion by less than that."""
    value = verdict.baseline_value
    short = decision is not None and decision.short_of is not None
    return {
        tags.GATE: gate.MIN_IMPROVEMENT if short else verdict.rule,
        tags.BASELINE_VALUE: "not comparable" if value is None else repr(value),
        tags.BASELINE_MODEL: verdict.baseline_name,
    }


def settle(
    client: Any, version: Any, ranking: champion.Ranking, value: float, verdict: gate.Verdict
) -> champion.Decision:
    """The champion decision for a version that passed the gate; one that failed it never
    moves the alias (it is champion only if it held the alias already, with identical bytes)."""
    refreshed = gate_tags(verdict)
    for key, tag in refreshed.items():  # a reused version takes this evaluation's verdict
        if version.tags.get(key) != tag:
            client.set_model_version_tag(registry.NAME, version.version, key, tag)
    if verdict.passed:
        return champion.promote_if_better(client, version, ranking, value)
    return champion.Decision(champion=champion.same(registry.current_champion(client), version))


def record_run(
    model: Any,
    features: Any,
    metrics: Mapping[str, float],
    params: Mapping[str, Any],
    ranking: champion.Ranking,
    verdict: gate.Verdict,
    model_file: Path,
    artifacts: tuple[Path, ...],
    requirements: tuple[str, ...] = (),
) -> Recorded:
    """Log one MLflow run for this pipeline execution, register the model, settle `champion`."""
    check_store(tracking_uri())
    client = open_store()
    fail_abandoned_runs(client)
    model_md5 = md5_of(model_file)
    stages = paths.pipeline_stages()
    deps, outputs = paths.pipeline_files(stages)
    changes = lineage.uncommitted_changes(outputs)
    trail = lineage.lineage_tags(params, model_file, model_md5, deps + outputs, changes)
    process = {tags.HOST: socket.gethostname(), tags.PID: str(os.getpid())}
    run = mlflow.start_run(run_name=lineage.run_name(params, trail), tags=process)
    try:
        mlflow.log_params(lineage.flatten(params))
        mlflow.log_metrics(dict(metrics))
        baseline = {f"{tags.BASELINE_PREFIX}{k}": v for k, v in verdict.baseline.items()}
        mlflow.log_metrics({key: value for key, value in baseline.items() if value is not None})
        mlflow.set_tags(trail)
        log_datasets(trail, stages)
        if kinds := features.attrs.get(columns.ATTRS_KEY):  # what prepare decided each column is
            mlflow.log_dict(kinds, tags.COLUMN_KINDS_ARTIFACT)
        for path in artifacts:
            mlflow.log_artifact(str(path), artifact_path="pipeline")
        if changes:
            log_bytes(changes, tags.CHANGES_ARTIFACT)
        info = log_model(model, features, requirements)
        with store_lock():
            value = metrics[ranking.metric]
            lineage_of_version = tags.version_lineage(trail, run.info.run_id, ranking.metric, value)
            summary = version_summary(params, trail, ranking.metric, value)
            version = registry.register(
                client, info.model_uri, model_md5, lineage_of_version | gate_tags(verdict), summary
            )
            decision = settle(client, version, ranking, value, verdict)
        mlflow.set_tags(
            {
                tags.REGISTERED_VERSION: version.version,
                tags.IS_CHAMPION: str(decision.champion).lower(),
                tags.RANKED_BY: ranking.metric,
                **decision.tags(),
                **gate_tags(verdict, decision),
            }
        )
    except BaseException:
        abandon_run()
        raise
    mlflow.end_run()
    dirty = trail[tags.GIT_DIRTY] == "true" and tags.EXPERIMENT_NAME not in trail
    return Recorded(run.info.run_id, version, decision, verdict, dirty)
