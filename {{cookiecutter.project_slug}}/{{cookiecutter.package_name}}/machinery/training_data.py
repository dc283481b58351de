"""Maintained by the template (arrives with `cruft update`).

The exact training data of a past run: its recorded md5, from the DVC cache or remote.

A run's lineage tags hold the md5 of every data file it read. The training table is the
one the stage writing the model file (dvc.yaml's train stage) depends on; its bytes come
from the project's DVC cache, wherever `dvc cache dir` puts it, or from the default remote
into that cache, never from the workspace, which may hold newer data by now.
"""

import logging
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from dvc.exceptions import DvcException
from dvc.repo import Repo
from dvc_data.hashfile.hash_info import HashInfo

from . import paths, tags
from .data import DataError, read_table
from .failures import first_line
from .files import md5_of
from .records import Record


def training_input(record: Record, stages: dict[str, Any]) -> str:
    """The recorded data file the model was fitted on: the dep of the stage that writes the
    model file (dvc.yaml's train stage) whose md5 the run's lineage holds."""
    model = record.tags.get(tags.MODEL_PATH, "")
    for stage in stages.values():
        if model in paths.outputs(stage):
            found = [path for path in paths.declared(stage.get("deps", [])) if path in record.data]
            if len(found) == 1:
                return found[0]
    raise DataError(
        f"run {record.run.info.run_id} records no single data file of the stage that writes "
        f"{model or 'its model'} in {paths.PIPELINE}"
    )


@contextmanager
def quiet(logger: str) -> Iterator[None]:
    """Only errors from `logger` meanwhile: ours is the one line that says what is missing."""
    log = logging.getLogger(logger)
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)


def intact(path: Path, md5: str) -> bool:
    return path.is_file() and md5_of(path) == md5


def from_dvc(path: str, md5: str, root: Path) -> Path:
    """The file with this md5 in the project's DVC cache (wherever `dvc cache dir` puts it),
    fetched into the cache from the default remote first if it is not there."""
    try:
        with Repo(str(root)) as repo, quiet("dvc"):
            cached = Path(repo.cache.local.oid_to_path(md5))
            if not intact(cached, md5):
                repo.cloud.pull([HashInfo("md5", md5)])
    except DvcException as error:
        raise DataError(
            f"training data {path} (md5 {md5}) is not in the DVC cache and the remote cannot "
            f"supply it: {first_line(error)}"
        ) from None
    if not intact(cached, md5):
        raise DataError(
            f"training data {path} (md5 {md5}) is in neither the DVC cache nor the remote; "
            "`dvc push` it where the model was trained"
        )
    return cached


def training_data(record: Record, root: Path) -> tuple[pd.DataFrame, str]:
    """The training table the run read, by its recorded md5, and its path in the pipeline."""
    try:
        stages = paths.pipeline_stages(root / paths.PIPELINE)
    except (OSError, yaml.YAMLError, TypeError, KeyError):
        raise DataError(f"cannot read the stages of {root / paths.PIPELINE}") from None
    path = training_input(record, stages)
    cached = from_dvc(path, record.data[path], root)
    with tempfile.TemporaryDirectory() as scratch:
        named = Path(scratch) / Path(path).name  # read_table goes by the suffix
        named.symlink_to(cached)
        return read_table(named), path
