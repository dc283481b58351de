"""Slow tier: the user's real journey in a baked project, for every task x model.

bake -> `dvc repro` -> a second repro does nothing -> a forced repro rebuilds identical
bytes -> the MLflow store holds one run per execution, with params, metrics, lineage tags
and the model registered once as `champion` -> the project's own tests pass (for the custom
CSV: they exercise every model and both tasks whichever ones params.yaml picks, and differ
between bakes only in the shipped params; test_extend.py runs them after each change to a
cars and a diabetes project).
"""

import io
import json
import sys
from pathlib import Path

import mlflow
import pandas as pd
import pytest
import yaml

from .conftest import (
    CUSTOM_TARGETS,
    SAMPLE_TASKS,
    Combo,
    bake_ok,
    dvc,
    git,
    project_env,  # noqa: F401 - the other slow modules import it from here
    run,
)

pytestmark = pytest.mark.slow

JOURNEYS = [
    Combo(dataset, task, model)
    for task, dataset in (("classification", "wine"), ("regression", "diabetes"))
    for model in ("random_forest", "linear", "hist_gradient_boosting")
    if SAMPLE_TASKS[dataset] == task
] + [Combo("custom", "classification", "hist_gradient_boosting")]
METRICS = {"classification": {"accuracy", "f1_macro", "roc_auc"}, "regression": {"rmse", "mae", "r2"}}


def lock_hashes(project: Path) -> dict[str, str]:
    """path -> md5 of every dep and out in dvc.lock."""
    stages = yaml.safe_load((project / "dvc.lock").read_text())["stages"]
    return {
        entry["path"]: entry["md5"]
        for stage in stages.values()
        for entry in stage.get("deps", []) + stage.get("outs", [])
    }


def store(project: Path) -> mlflow.MlflowClient:
    return mlflow.MlflowClient(f"sqlite:///{project / 'mlflow.db'}")


def runs(project: Path, slug: str) -> list:
    client = store(project)
    experiment = client.get_experiment_by_name(slug)
    return client.search_runs([experiment.experiment_id], order_by=["attributes.start_time ASC"])


def dataset_inputs(run) -> dict[str, tuple[str, str]]:
    """context ("training", "testing") -> (source path, digest) of a run's MLflow datasets."""
    return {
        next(tag.value for tag in given.tags if tag.key == "mlflow.data.context"): (
            json.loads(given.dataset.source)["uri"],
            given.dataset.digest,
        )
        for given in run.inputs.dataset_inputs
    }


def check_champion_predicts_like_the_pipeline(project: Path, model_name: str, target: str) -> None:
    """The model behind `champion`, loaded from the registry, gives the reported predictions
    on rows read with plain `pd.read_csv`: it needs no cast or other step of ours."""
    mlflow.set_tracking_uri(f"sqlite:///{project / 'mlflow.db'}")
    try:
        champion = mlflow.sklearn.load_model(f"models:/{model_name}@champion")
    finally:
        mlflow.set_tracking_uri(None)
    as_csv = pd.read_parquet(project / "data/prepared/test.parquet").to_csv(index=False)
    test = pd.read_csv(io.StringIO(as_csv))
    features = test.drop(columns=[target])
    reported = pd.read_csv(project / "reports/predictions.csv")["predicted"]
    predicted = list(champion.predict(features))
    if pd.api.types.is_numeric_dtype(reported):
        # Another process, maybe other BLAS threads, and a trip through CSV text: numbers agree
        # to rel 1e-9 (not necessarily to the last bit); labels exactly.
        assert predicted == pytest.approx(list(reported), rel=1e-9)
    else:
        assert predicted == list(reported)


@pytest.mark.parametrize("combo", JOURNEYS, ids=[c.id for c in JOURNEYS])
def test_repro_tracks_registers_and_reproduces(cookies, combo):
    """The whole journey for one task x model; see the module docstring."""
    project = bake_ok(cookies, combo.context())
    slug, model_name = project.name, project.name.replace("-", "_") + "_model"

    dvc(project, "repro")
    first_lock = lock_hashes(project)
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "first run")

    dvc(project, "repro")
    assert lock_hashes(project) == first_lock
    assert len(runs(project, slug)) == 1, "an up-to-date pipeline must not log another run"
    assert dvc(project, "status", "--json").strip() == "{}"

    dvc(project, "repro", "--force")
    assert lock_hashes(project) == first_lock, "a forced rerun must rebuild identical bytes"

    first, forced = runs(project, slug)
    target = CUSTOM_TARGETS[combo.task] if combo.dataset == "custom" else "target"
    assert first.data.params["train.model"] == combo.model
    assert first.data.params["data.target"] == target
    # The model's metrics, and beside them the baseline's (a model that ignores the features).
    assert set(first.data.metrics) == METRICS[combo.task] | {f"baseline.{name}" for name in METRICS[combo.task]}
    tags = first.data.tags
    assert tags["lineage.git_commit"] == git(project, "rev-list", "--max-parents=0", "HEAD").strip()
    assert tags["lineage.model_md5"] == first_lock["models/model.pkl"]
    for path in ("data/prepared/train.parquet", "data/prepared/test.parquet"):
        assert tags[f"lineage.data_md5.{path}"] == first_lock[path]
    raw = next(path for path in first_lock if path.startswith("data/raw/"))
    assert tags[f"lineage.data_md5.{raw}"] == first_lock[raw]
    assert forced.data.tags["lineage.git_commit"] == git(project, "rev-parse", "HEAD").strip()
    assert first.data.tags["lineage.git_dirty"] == forced.data.tags["lineage.git_dirty"] == "false"
    train, test = "data/prepared/train.parquet", "data/prepared/test.parquet"
    for recorded in (first, forced):  # named by model and commit, with the data it was made from
        assert recorded.info.run_name == f"{combo.model}-{recorded.data.tags['lineage.git_commit'][:7]}"
        assert dataset_inputs(recorded) == {"training": (train, first_lock[train]), "testing": (test, first_lock[test])}

    client = store(project)
    assert client.get_experiment_by_name(slug).tags["mlflow.experimentKind"] == "custom_model_development"
    versions = client.search_model_versions(f"name = '{model_name}'")
    assert len(versions) == 1, "identical model bytes must not register a second version"
    champion = client.get_model_version_by_alias(model_name, "champion")
    assert champion.run_id == first.info.run_id
    # The version carries its own lineage, for a reviewer who reads only the registry.
    lineage = {key: tags[key] for key in ("lineage.git_commit", "lineage.git_dirty", "lineage.params_hash",
                                          "lineage.lock_md5", "lineage.model_md5") if key in tags}  # fmt: skip
    lineage |= {key: value for key, value in tags.items() if key.startswith("lineage.data_md5.")}
    primary = yaml.safe_load((project / "params.yaml").read_text())["evaluate"]["primary_metric"]
    assert tags["registry.gate"] == champion.tags["registry.gate"] == "passed"  # it beat the baseline
    assert float(tags["registry.baseline_value"]) == pytest.approx(first.data.metrics[f"baseline.{primary}"])
    lineage |= {"lineage.run_id": first.info.run_id, "lineage.metric": primary,
                "lineage.metric_value": repr(first.data.metrics[primary])}  # fmt: skip
    assert {key: champion.tags.get(key) for key in lineage} == lineage
    assert len(champion.tags["lineage.environment_md5"]) == 32 and "lineage.lock_md5" in lineage
    summary = champion.description  # one line: model, data, commit, metric
    assert summary.startswith(f"{combo.model} on {raw} {first_lock[raw][:8]}") and "\n" not in summary
    assert f"commit {tags['lineage.git_commit'][:7]}; {primary} {first.data.metrics[primary]:.4g}" in summary
    artifacts = {a.path for a in client.list_artifacts(first.info.run_id, "pipeline")}
    assert {"pipeline/metrics.json", "pipeline/predictions.csv", "pipeline/params.yaml"} <= artifacts
    check_champion_predicts_like_the_pipeline(project, model_name, target)

    if combo.dataset == "custom":  # the same tests for every model and task (see the docstring)
        own_tests = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], project)
        assert own_tests.returncode == 0, own_tests.stdout[-3000:]
