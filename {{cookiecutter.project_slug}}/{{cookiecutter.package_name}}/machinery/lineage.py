"""Maintained by the template (arrives with `cruft update`).

A run's lineage: everything needed to rebuild it and to audit it. The git commit and the
uncommitted changes on it, the md5 of every data file and of the model, the params, and the
environment (Python, requirements.lock, key packages). Written as run tags (tags.py names
them); `reproduce` and `lineage` read them back.
"""

import hashlib
import json
import os
import platform
import subprocess
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from . import paths, tags
from .files import md5_of

KEY_PACKAGES = ("scikit-learn", "pandas", "numpy", "mlflow", "dvc")


def flatten(params: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"train": {"seed": 1}} -> {"train.seed": 1}, the shape MLflow params take."""
    flat: dict[str, Any] = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def params_hash(params: Mapping[str, Any]) -> str:
    canonical = json.dumps(params, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def run_git(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """A git command's result; git missing from PATH reads as a failed command."""
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    except OSError as error:
        return subprocess.CompletedProcess(["git", *args], 127, "", f"cannot run git: {error}")


def git(*args: str) -> str | None:
    """Output of a git command in the working directory, or None outside a repository."""
    done = run_git(*args)
    return done.stdout.strip() if done.returncode == 0 else None


def uncommitted_changes(outputs: list[str]) -> bytes:
    """How tracked files differ from the commit (staged or not), as a patch `git apply` takes;
    empty when the workspace is clean. Pipeline `outputs` and dvc.lock do not count: the run
    rebuilds them. Files never `git add`ed are not in it."""
    excluded = [f":(exclude){path}" for path in (paths.DVC_LOCK.as_posix(), *outputs)]
    patch = ["git", "diff", "--binary", "--no-color", "--no-ext-diff", "HEAD"]
    try:
        done = subprocess.run([*patch, "--", ".", *excluded], capture_output=True, check=False)
    except OSError:
        return b""
    return done.stdout if done.returncode == 0 else b""


def package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def environment_tags() -> dict[str, str]:
    """The environment this process runs in, as lineage tags: Python, lock file, packages.

    Recorded with every run, and compared with the record by `reproduce`.
    """
    lock = paths.DEPENDENCY_LOCK
    found = {
        tags.PYTHON: platform.python_version(),
        tags.LOCK_MD5: md5_of(lock) if lock.exists() else "none",
    }
    for package in KEY_PACKAGES:
        found[f"{tags.PACKAGE_PREFIX}{package}"] = package_version(package)
    return found


def lineage_tags(
    params: Mapping[str, Any], model_file: Path, model_md5: str, declared: list[str], changes: bytes
) -> dict[str, str]:
    """Everything needed to rebuild this run: code (the commit and the md5 of the
    `changes` logged beside it), data, params, environment. `declared`: dvc.yaml's paths."""
    found = {
        tags.GIT_COMMIT: git("rev-parse", "HEAD") or "unknown",
        tags.GIT_DIRTY: str(bool(changes)).lower(),
        tags.PARAMS_HASH: params_hash(params),
        tags.MODEL_PATH: model_file.as_posix(),
        tags.MODEL_MD5: model_md5,
        **environment_tags(),
    }
    if changes:
        found[tags.CHANGES_MD5] = hashlib.md5(changes).hexdigest()
    for path in paths.data_files(declared):
        found[f"{tags.DATA_PREFIX}{path.as_posix()}"] = md5_of(path)
    for variable, tag in (
        ("DVC_EXP_NAME", tags.EXPERIMENT_NAME),
        ("DVC_EXP_BASELINE_REV", tags.EXPERIMENT_BASELINE),
    ):
        if os.environ.get(variable):
            found[tag] = os.environ[variable]
    return found


def run_name(params: Mapping[str, Any], lineage: Mapping[str, str]) -> str:
    """The DVC experiment's name for `dvc exp run`, else `<model>-<short commit>`, with
    `-dirty` when the run was made on uncommitted changes."""
    if tags.EXPERIMENT_NAME in lineage:
        return lineage[tags.EXPERIMENT_NAME]
    model = params.get("train", {}).get("model", "model")
    dirty = "-dirty" if lineage[tags.GIT_DIRTY] == "true" else ""
    return f"{model}-{lineage[tags.GIT_COMMIT][:7]}{dirty}"
