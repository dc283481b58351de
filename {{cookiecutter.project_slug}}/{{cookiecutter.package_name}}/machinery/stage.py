"""Maintained by the template (arrives with `cruft update`).

What every stage module (stages/*.py, yours) shares: `start(PARAMS, FILES)` turns on
logging, parses the `--<name> <path>` options dvc.yaml gives it and validates its sections
of params.yaml, handing back both with attribute access (`params.train.seed`,
`files.model`).
"""

import argparse
import importlib
import logging
import os
import pkgutil
from pathlib import Path
from typing import Any

import pandas as pd

from .data import DataError, read_table
from .params import ParamsError, Sections, fail, load_params

PACKAGE = __package__.rpartition(".")[0]
STAGES = f"{PACKAGE}.stages"


def start(sections: Sections, files: tuple[str, ...]) -> tuple[Any, argparse.Namespace]:
    """How every stage begins: logging on, its files parsed, its params validated.

    Bad params end the stage with one line and exit status 1.
    """
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser()
    for name in files:
        parser.add_argument(f"--{name}", type=Path, required=True)
    arguments = parser.parse_args()
    try:
        return load_params(sections), arguments
    except ParamsError as error:
        fail(error)


def core_limit(n_jobs: int | None = None) -> int | None:
    """The CPU cores a stage's threads may use: `n_jobs` when set; else every core (None),
    or one inside the temporary copy of an experiment (`dvc exp run --queue`, `--temp`):
    `-j N` runs several side by side, and the threads of each would fight over the cores
    (two workers were then slower than one)."""
    if n_jobs:
        return n_jobs
    root = os.environ.get("DVC_ROOT")
    in_copy = bool(root) and Path(root).resolve() != Path.cwd().resolve()
    return 1 if in_copy else None


def read_input(path: Path, columns: list[str] | None = None) -> pd.DataFrame:
    """A stage's input table (`columns`: only those, of a Parquet file), or a one-line exit
    naming the file."""
    try:
        return read_table(path, columns=columns)
    except DataError as error:
        raise SystemExit(f"ERROR: {error}") from None


def stage_modules() -> list[str]:
    """The module name of every stage in this package, e.g. `<package>.stages.train`."""
    folder = importlib.import_module(STAGES).__path__
    return [f"{STAGES}.{info.name}" for info in pkgutil.iter_modules(folder)]


# Commands outside the pipeline that read params.yaml too: their sections belong in
# params.schema.json, though no stage runs their code (so no stage imports them).
COMMAND_MODULES = (f"{PACKAGE}.machinery.monitor",)


def declared_sections() -> dict[str, type]:
    """Every params section some stage or command declares: what params.schema.json describes."""
    sections: dict[str, type] = {}
    for name in [*stage_modules(), *COMMAND_MODULES]:
        sections |= getattr(importlib.import_module(name), "PARAMS", {})
    return sections
