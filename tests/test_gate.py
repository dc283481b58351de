"""Slow tier: the promotion gate in a real pipeline. A model trained on features that are
shuffled noise scores worse than the mean of the training target: it is registered, but it
never becomes champion, and its run says which rule it failed. The same model with the
rule turned off takes the alias, so it was the gate that held it back."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from .conftest import bake_ok, project_env, run
from .test_pipeline import runs, store

pytestmark = pytest.mark.slow

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data" / "diabetes.csv"


def noise_csv(folder: Path) -> Path:
    """The diabetes sample with each feature column shuffled on its own: the target is kept,
    every link between it and the features is gone."""
    frame = pd.read_csv(SAMPLE)
    rng = np.random.default_rng(3)
    for column in frame.columns.drop("target"):
        frame[column] = rng.permutation(frame[column].to_numpy())
    path = folder / "noise.csv"
    frame.to_csv(path, index=False)
    return path


def repro(project: Path) -> str:
    done = run(["dvc", "repro"], project, env=project_env(project))
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def test_a_model_worse_than_the_baseline_never_becomes_champion(cookies, tmp_path):
    raw = noise_csv(tmp_path)
    context = {"dataset": "custom", "custom_csv": str(raw), "target_column": "target",
               "task": "regression", "model": "hist_gradient_boosting"}  # fmt: skip
    project = bake_ok(cookies, context)
    slug, model_name = project.name, project.name.replace("-", "_") + "_model"
    output = repro(project)

    (refused,) = runs(project, slug)
    rmse, baseline = refused.data.metrics["rmse"], refused.data.metrics["baseline.rmse"]
    assert rmse > baseline + 1, "the noise model should score worse than the mean"
    assert {f"baseline.{name}" for name in ("rmse", "mae", "r2")} <= set(refused.data.metrics)
    assert refused.data.metrics["baseline.r2"] == pytest.approx(0, abs=0.05)  # the mean, nearly
    tags = refused.data.tags
    assert tags["registry.gate"] == "beat_baseline"
    assert float(tags["registry.baseline_value"]) == pytest.approx(baseline)
    assert tags["registry.champion"] == "false"
    client = store(project)
    (version,) = client.search_model_versions(f"name = '{model_name}'")
    assert str(version.version) == tags["registry.version"] and version.run_id == refused.info.run_id
    assert version.aliases == [] and version.tags["registry.gate"] == "beat_baseline"
    assert version.tags["lineage.run_id"] == refused.info.run_id, "it keeps its lineage"
    assert client.get_registered_model(model_name).aliases == {}, "no champion at all"
    said = [line for line in output.splitlines() if "is not champion" in line]
    assert len(said) == 1 and said[0].endswith(
        f"version 1 (rmse {rmse:.4g}) is not champion: it does not beat the baseline "
        f"(DummyRegressor, mean: rmse {baseline:.4g})"
    ), output
    package = project.name.replace("-", "_")
    asked = run([sys.executable, "-m", package, "champion"], project, env=project_env(project))
    assert asked.returncode == 1 and "none of its 1 version(s) passed evaluate.gate" in asked.stderr

    params = yaml.safe_load((project / "params.yaml").read_text())
    params["evaluate"]["gate"]["beat_baseline"] = False
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    repro(project)
    allowed = runs(project, slug)[-1]
    assert allowed.data.tags["registry.gate"] == "passed"
    assert allowed.data.tags["registry.champion"] == "true", "the same model, the rule off"
    champion = client.get_model_version_by_alias(model_name, "champion")
    assert champion.version == version.version and champion.tags["registry.gate"] == "passed"
