"""dvc.yaml and paths.py name the same files, and every stage's params exist."""

import yaml

from {{ cookiecutter.package_name }} import paths

from .test_params import PROJECT, shipped_params


def pipeline() -> dict:
    return yaml.safe_load((PROJECT / "dvc.yaml").read_text(encoding="utf-8"))


def declared_paths(stage: dict) -> set[str]:
    entries = stage.get("deps", []) + stage.get("outs", []) + stage.get("metrics", [])
    return {next(iter(entry)) if isinstance(entry, dict) else entry for entry in entries}


def test_stages_run_in_order():
    assert list(pipeline()["stages"]) == ["prepare", "train", "evaluate"]


def test_every_data_path_in_paths_py_is_declared_in_dvc_yaml():
    declared = set().union(*(declared_paths(s) for s in pipeline()["stages"].values()))
    used = {paths.RAW_DATA, paths.TRAIN_DATA, paths.TEST_DATA, paths.MODEL, paths.METRICS,
            paths.PREDICTIONS}  # fmt: skip
    assert {p.as_posix() for p in used} <= declared


def test_stage_params_exist_in_params_yaml():
    params = shipped_params()
    for stage in pipeline()["stages"].values():
        for key in stage.get("params", []):
            assert key in params
