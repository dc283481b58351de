"""Slow tier: `monitor NEW.csv` tells a batch like the training data from one that drifted.

One cars project, trained once with the car's `name` kept as a (text) feature, so both
numeric and categorical drift can be shown: its own data passes (exit 0); shifted numbers,
a changed text column and flipped labels fail (exit 1) and are named; bad files stop with
one ERROR line (exit 2). Every check writes a JSON report and a PNG and logs an MLflow run.
The training data comes from the DVC cache, or from the remote when the cache lacks it.
"""

import json
import re
import shutil
import sys
from pathlib import Path

import mlflow
import pandas as pd
import pytest

from .conftest import bake_ok, git, run
from .test_pipeline import dvc, project_env, runs

pytestmark = pytest.mark.slow
SLUG = "car-origin-classifier"
SHIFTED = ["displacement", "horsepower", "weight_lbs"]


@pytest.fixture(scope="module")
def project(cookies_session) -> Path:
    """Trained once on cars with `name` as a feature, committed and pushed to the remote."""
    project = bake_ok(cookies_session, {})
    params = project / "params.yaml"
    params.write_text(params.read_text().replace("drop_columns: [name]", "drop_columns: []"))
    dvc(project, "repro")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "trained with name as a feature")
    dvc(project, "push", "--quiet")
    return project


def monitor(project: Path, batch: Path, *extra: str):
    command = [sys.executable, "-m", "car_origin_classifier", "monitor", str(batch), *extra]
    return run(command, project, env=project_env(project))


def raw(project: Path) -> pd.DataFrame:
    return pd.read_csv(project / "data/raw/cars.csv")


def write_batch(frame: pd.DataFrame, tmp_path: Path) -> Path:
    path = tmp_path / "batch.csv"
    frame.to_csv(path, index=False)
    return path


def report_of(project: Path, done) -> dict:
    """The JSON report the one line of output names, checked to have its PNG beside it."""
    assert len(done.stdout.strip().splitlines()) == 1, done.stdout
    path = project / re.search(r"report (\S+\.json)", done.stdout).group(1)
    assert path.with_suffix(".png").read_bytes().startswith(b"\x89PNG")
    return json.loads(path.read_text())


def test_the_training_data_itself_passes(project):
    """The raw CSV (train and test rows) is no drift; the check is on file and in MLflow."""
    done = monitor(project, project / "data/raw/cars.csv")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("no drift")
    report = report_of(project, done)
    trained = runs(project, SLUG)[-1]
    assert report["drift"] is False and report["drifted_features"] == []
    assert report["model"]["version"] == trained.data.tags["registry.version"] == "1"
    assert report["model"]["run_id"] == trained.info.run_id
    # The car's name ("chevrolet chevelle malibu") is free text: its words name the make.
    assert report["features"]["name"]["kind"] == "text"
    client = mlflow.MlflowClient(f"sqlite:///{project / 'mlflow.db'}")
    experiment = client.get_experiment_by_name(f"{SLUG}-monitoring")
    checks = client.search_runs([experiment.experiment_id])
    tags = checks[0].data.tags
    assert tags["monitor.model_version"] == "1" and tags["monitor.model_run_id"] == trained.info.run_id
    assert checks[0].data.metrics["drifted_features"] == 0
    artifacts = {item.path for item in client.list_artifacts(checks[0].info.run_id, "monitoring")}
    assert {Path(path).suffix for path in artifacts} == {".json", ".png"}


def test_shifted_numeric_features_drift(project, tmp_path):
    batch = raw(project)
    for column in SHIFTED:
        batch[column] = pd.to_numeric(batch[column], errors="coerce")
        batch[column] += 4 * batch[column].std()
    done = monitor(project, write_batch(batch, tmp_path))
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stdout.startswith("DRIFT") and all(column in done.stdout for column in SHIFTED)
    assert sorted(report_of(project, done)["drifted_features"]) == SHIFTED


def test_a_changed_categorical_feature_drifts(project, tmp_path):
    """Names written as the make alone ("ford"): a text column with other categories."""
    batch = raw(project)
    batch["name"] = batch["name"].str.split().str[0]
    done = monitor(project, write_batch(batch, tmp_path))
    assert done.returncode == 1, done.stdout + done.stderr
    assert report_of(project, done)["drifted_features"] == ["name"]


def test_flipped_labels_fail_on_performance(project, tmp_path):
    batch = raw(project)
    batch["origin"] = batch["origin"].map({"USA": "Europe", "Europe": "Japan", "Japan": "USA"})
    done = monitor(project, write_batch(batch, tmp_path))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "f1_macro" in done.stdout
    report = report_of(project, done)
    assert report["drifted_features"] == []
    performance = report["performance"]
    assert performance["degraded"] and performance["primary_metric"] == "f1_macro"
    assert performance["metrics"]["f1_macro"] < performance["recorded"]["f1_macro"]


def header_only(project: Path, path: Path) -> None:
    path.write_text((project / "data/raw/cars.csv").read_text().splitlines()[0] + "\n")


def without_features(project: Path, path: Path) -> None:
    raw(project).drop(columns=["horsepower", "weight_lbs"]).to_csv(path, index=False)


def not_a_table(project: Path, path: Path) -> None:
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (header_only, "no data rows"),
        (without_features, "'horsepower', 'weight_lbs'"),
        (not_a_table, "not UTF-8 text"),
        (None, "not found"),
    ],
    ids=["header-only", "missing-feature-columns", "png", "missing-file"],
)
def test_bad_input_is_one_error_line(project, tmp_path, make, said):
    batch = tmp_path / "batch.csv"
    if make is not None:
        make(project, batch)
    done = monitor(project, batch)
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ERROR: monitor: "), done.stderr
    assert said in lines[0]
    assert done.stdout == ""


def test_an_unknown_model_is_one_error_line(project):
    done = monitor(project, project / "data/raw/cars.csv", "--model", "models:/no_such_model/1")
    assert done.returncode == 2
    assert done.stderr.startswith("ERROR: monitor: models:/no_such_model/1 not found")
    assert len(done.stderr.strip().splitlines()) == 1


def test_training_data_comes_from_the_remote_not_the_workspace(project, tmp_path):
    """With the DVC cache gone and other bytes in the workspace's train.parquet, the
    recorded bytes are fetched from the remote; with the remote gone too, one error line."""
    cache = project / ".dvc/cache"
    remote = Path(dvc(project, "config", "remote.storage.url").strip())
    train = project / "data/prepared/train.parquet"
    kept = train.read_bytes()
    shutil.move(cache, tmp_path / "cache")
    pd.read_parquet(project / "data/prepared/test.parquet").head(5).to_parquet(train)
    try:
        done = monitor(project, project / "data/raw/cars.csv")
        assert done.returncode == 0, done.stdout + done.stderr
        assert report_of(project, done)["training_data"]["rows"] > 5
        shutil.rmtree(cache)
        shutil.move(remote, tmp_path / "remote")
        done = monitor(project, project / "data/raw/cars.csv")
        assert done.returncode == 2, done.stdout + done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and "in neither the DVC cache nor the remote" in lines[0], lines
    finally:
        shutil.rmtree(cache, ignore_errors=True)
        shutil.move(tmp_path / "cache", cache)
        if (tmp_path / "remote").exists():
            shutil.move(tmp_path / "remote", remote)
        train.write_bytes(kept)
