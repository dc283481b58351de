"""params.yaml is validated before any stage does work."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package_name }}.params import ParamsError, load_params

PROJECT = Path(__file__).resolve().parent.parent
SECTIONS = ("data", "prepare", "train", "evaluate")


def shipped_params() -> dict:
    return yaml.safe_load((PROJECT / "params.yaml").read_text(encoding="utf-8"))


def write_params(tmp_path: Path, params: dict) -> Path:
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params), encoding="utf-8")
    return path


def test_shipped_params_are_valid():
    """The params.yaml that ships with the project passes validation."""
    loaded = load_params(*SECTIONS, path=PROJECT / "params.yaml")
    assert set(loaded) == set(SECTIONS)


@pytest.mark.parametrize(
    ("section", "key", "value", "named"),
    [
        ("prepare", "test_size", 1.5, "prepare.test_size"),
        ("prepare", "seed", "forty-two", "prepare.seed"),
        ("train", "seed", True, "train.seed"),
        ("train", "model", "svm", "train.model"),
        ("train", "n_trees", 10, "train.n_trees"),
        ("data", "task", "clustering", "data.task"),
        ("evaluate", "direction", "up", "evaluate.direction"),
    ],
)
def test_bad_value_names_its_key(tmp_path, section, key, value, named):
    """Wrong types, out-of-range values and unknown keys are rejected by dotted key."""
    params = shipped_params()
    params[section][key] = value
    with pytest.raises(ParamsError, match=named.replace(".", r"\.")):
        load_params(section, path=write_params(tmp_path, params))


def test_nested_value_out_of_range(tmp_path):
    params = shipped_params()
    params["train"]["random_forest"]["n_estimators"] = 0
    with pytest.raises(ParamsError, match=r"train\.random_forest\.n_estimators"):
        load_params("train", path=write_params(tmp_path, params))


def test_primary_metric_must_fit_the_task(tmp_path):
    params = shipped_params()
    task = params["data"]["task"]
    params["evaluate"]["primary_metric"] = "rmse" if task == "classification" else "accuracy"
    with pytest.raises(ParamsError, match=r"evaluate\.primary_metric"):
        load_params("data", "evaluate", path=write_params(tmp_path, params))


def test_stage_stops_with_one_line_and_no_traceback(tmp_path):
    """A stage run with a bad param exits 1, prints one ERROR line and writes nothing."""
    params = shipped_params()
    params["train"]["seed"] = -1
    write_params(tmp_path, params)
    done = subprocess.run(
        [sys.executable, "-m", "{{ cookiecutter.package_name }}.stages.train"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(PROJECT / "src"), "PATH": ""},
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "ERROR: params.yaml: train.seed must be an integer >= 0, got -1"
    ]
    assert not (tmp_path / "models").exists()
