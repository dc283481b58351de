"""params.yaml is validated before any stage does work, by the stages' own params models.

Maintained by the template (arrives with `cruft update`).
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package_name }}.machinery.params import ParamsError, load_params, schema
from {{ cookiecutter.package_name }}.machinery.stage import declared_sections

from ..conftest import PROJECT, shipped_params

SECTIONS = declared_sections()


def write_params(tmp_path: Path, params: dict) -> Path:
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params), encoding="utf-8")
    return path


def load(tmp_path: Path, params: dict, *names: str) -> dict:
    """The validated sections, by name."""
    loaded = load_params({name: SECTIONS[name] for name in names}, write_params(tmp_path, params))
    return vars(loaded)


def test_shipped_params_are_valid():
    """The params.yaml that ships with the project passes every stage's validation."""
    loaded = load_params(SECTIONS, path=PROJECT / "params.yaml")
    assert set(vars(loaded)) == set(SECTIONS)
    assert loaded.train.model == shipped_params()["train"]["model"]


@pytest.mark.parametrize(
    ("section", "key", "value", "message"),
    [
        ("prepare", "test_size", 1.5, "prepare.test_size must be a number between 0 and 1"),
        ("prepare", "seed", "forty-two", "prepare.seed must be an integer >= 0, got 'forty-two'"),
        ("train", "seed", True, "train.seed must be an integer >= 0, got True"),
        ("train", "model", "svm", "train.model must be one of "),
        ("train", "n_trees", 10, "train.n_trees is not a known key (known: model, seed, "),
        ("data", "task", "clustering", "data.task must be one of classification, regression"),
        ("data", "drop_columns", "id", "data.drop_columns must be a list of column names"),
        ("evaluate", "primary_metric", "speed", "evaluate.primary_metric must be one of "),
    ],
)  # fmt: skip
def test_bad_value_names_its_key(tmp_path, section, key, value, message):
    """Wrong types, out-of-range values and unknown keys are rejected by dotted key."""
    params = shipped_params()
    params[section][key] = value
    with pytest.raises(ParamsError) as error:
        load(tmp_path, params, "data", section)
    assert str(error.value).startswith(message)


def test_nested_value_out_of_range(tmp_path):
    params = shipped_params()
    params["train"]["model"] = "random_forest"
    params["train"]["random_forest"]["n_estimators"] = 0
    with pytest.raises(
        ParamsError, match=r"^train\.random_forest\.n_estimators must be an integer >= 1, got 0$"
    ):
        load(tmp_path, params, "data", "train")


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [("beat_baseline", "yes", "evaluate.gate.beat_baseline must be true or false"),
     ("min_value", "high", "evaluate.gate.min_value must be null or a number, got 'high'"),
     ("min_improvement", -0.1, "evaluate.gate.min_improvement must be null or a number >= 0"),
     ("margin", 1, "evaluate.gate.margin is not a known key (known: beat_baseline, min_value, ")],
)  # fmt: skip
def test_bad_gate_value_names_its_key(tmp_path, key, value, message):
    params = shipped_params()
    params["evaluate"]["gate"][key] = value
    with pytest.raises(ParamsError) as error:
        load(tmp_path, params, "data", "evaluate")
    assert str(error.value).startswith(message)


def test_a_params_file_without_the_gate_gets_its_defaults(tmp_path):
    """A project made before the gate existed keeps running: the baseline rule, no floor."""
    params = shipped_params()
    del params["evaluate"]["gate"]
    gate = load(tmp_path, params, "data", "evaluate")["evaluate"].gate
    assert (gate.beat_baseline, gate.min_value, gate.min_improvement) == (True, None, None)


def test_only_the_selected_models_block_is_required(tmp_path):
    params = shipped_params()
    selected = params["train"]["model"]
    others = [name for name in params["train"] if name not in ("model", "seed", selected)]
    for name in others:
        del params["train"][name]
    assert load(tmp_path, params, "data", "train")["train"].model == selected
    del params["train"][selected]
    with pytest.raises(ParamsError, match=rf"^train\.{selected} is missing"):
        load(tmp_path, params, "data", "train")


def test_primary_metric_must_fit_the_task(tmp_path):
    params = shipped_params()
    task = params["data"]["task"]
    params["evaluate"]["primary_metric"] = "rmse" if task == "classification" else "accuracy"
    with pytest.raises(ParamsError, match=r"^evaluate\.primary_metric '\w+' does not fit"):
        load(tmp_path, params, "data", "evaluate")


def test_a_section_of_another_stage_is_not_this_stages_business(tmp_path):
    """A section only some other stage declares (e.g. one you add) does not stop this stage."""
    params = shipped_params() | {"featurize": {"anything": 1}}
    assert set(load(tmp_path, params, "data", "prepare")) == {"data", "prepare"}


def test_schema_file_is_current():
    """params.schema.json is what `python -m {{ cookiecutter.package_name }} params-schema` writes."""
    shipped = json.loads((PROJECT / "params.schema.json").read_text(encoding="utf-8"))
    assert shipped == schema(SECTIONS), "run: python -m {{ cookiecutter.package_name }} params-schema"


def test_stage_stops_with_one_line_and_no_traceback(tmp_path):
    """A stage run with a bad param exits 1, prints one ERROR line and writes nothing."""
    params = shipped_params()
    params["train"]["seed"] = -1
    write_params(tmp_path, params)
    done = subprocess.run(
        [sys.executable, "-m", "{{ cookiecutter.package_name }}.stages.train",
         "--train", "train.csv", "--model", "models/model.pkl"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(PROJECT), "PATH": ""},
        check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "ERROR: params.yaml: train.seed must be an integer >= 0, got -1"
    ]
    assert not (tmp_path / "models").exists()
