"""Maintained by the template (arrives with `cruft update`).

The project's fixed files, and the pipeline's own files as dvc.yaml declares them.

Stages get the data, model and report files they read and write as command-line options
in dvc.yaml (`--train data/prepared/train.parquet`), so dvc.yaml is the one place that wires
the DAG: inserting a stage changes dvc.yaml, not the code of its neighbours. Paths are
relative to the directory DVC runs stages in (the repository root, or an experiment's
temporary copy of it).
"""

import shlex
from itertools import pairwise
from pathlib import Path

import yaml

PARAMS = Path("params.yaml")
PARAMS_SCHEMA = Path("params.schema.json")
PIPELINE = Path("dvc.yaml")
DVC_LOCK = Path("dvc.lock")
DEPENDENCY_LOCK = Path("requirements.lock")
DATA_DIR = "data/"


def declared(entries: list) -> list[str]:
    """Paths of a dvc.yaml deps/outs list, whose items are strings or {path: options}."""
    return [next(iter(entry)) if isinstance(entry, dict) else entry for entry in entries]


def outputs(stage: dict) -> list[str]:
    """What one dvc.yaml stage writes: its outs, metrics and plots."""
    return [path for kind in ("outs", "metrics", "plots") for path in declared(stage.get(kind, []))]


def pipeline_stages(pipeline: Path = PIPELINE) -> dict[str, dict]:
    """dvc.yaml's stages by name: read once by a command, handed to what needs them."""
    return yaml.safe_load(pipeline.read_text(encoding="utf-8"))["stages"]


def pipeline_files(stages: dict[str, dict]) -> tuple[list[str], list[str]]:
    """(every dep, every output) that the `stages` of dvc.yaml declare."""
    deps = [path for stage in stages.values() for path in declared(stage.get("deps", []))]
    return deps, [path for stage in stages.values() for path in outputs(stage)]


def cmd_options(stage: dict) -> dict[str, str]:
    """The `--name path` pairs of a dvc.yaml stage's cmd, by name: {"test": "data/..."}."""
    cmd = stage.get("cmd", "")
    words = shlex.split(" ".join(cmd) if isinstance(cmd, list) else cmd)
    return {word[2:]: value for word, value in pairwise(words) if word.startswith("--")}


def data_files(declared_paths: list[str]) -> list[Path]:
    """The data files among `declared_paths` (deps and outputs): those whose md5 a run records."""
    found = dict.fromkeys(Path(p) for p in declared_paths if p.startswith(DATA_DIR))
    return [path for path in found if path.is_file()]
