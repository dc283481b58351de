"""Rebuild any past run from its MLflow record, and print that record as an audit trail.

A run's lineage tags name the git commit, the md5 of every data file and of the model, and
the environment. `reproduce` checks the commit out into a new directory (the workspace is
never touched), restores the data by hash from the DVC cache or remote, puts back the exact
params.yaml the run used (experiments change params without a commit), reruns the
pipeline there and checks that the rebuilt model is byte-identical to the recorded one.
"""

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import mlflow
import yaml
from mlflow.entities import Run
from mlflow.exceptions import MlflowException

from . import paths, tracking
from .files import md5_of


class ReproduceError(RuntimeError):
    """The record cannot be resolved, or the run cannot be rebuilt exactly."""


@dataclass(frozen=True)
class Record:
    """What MLflow holds about one run, in the shape reproduction needs."""

    run: Run
    ref: str

    @property
    def tags(self) -> dict[str, str]:
        return self.run.data.tags

    @property
    def commit(self) -> str:
        return self.tags.get("lineage.git_commit", "unknown")

    @property
    def data(self) -> dict[str, str]:
        prefix = tracking.DATA_TAG
        return {k.removeprefix(prefix): v for k, v in self.tags.items() if k.startswith(prefix)}

    @property
    def environment(self) -> dict[str, str]:
        return readable_environment(self.tags)


def readable_environment(tags: dict[str, str]) -> dict[str, str]:
    """Environment tags keyed by what they name: python, lock_md5, scikit-learn, ..."""
    return {
        key.removeprefix(tracking.PACKAGE_TAG).removeprefix("lineage."): value
        for key, value in tags.items()
        if tracking.is_environment_tag(key)
    }


def find_run(client: mlflow.MlflowClient, ref: str) -> Record:
    """A run id, `models:/<name>@<alias>` or `models:/<name>/<version>` -> its run's record."""
    try:
        if ref.startswith("models:/"):
            name, _, pointer = ref[len("models:/") :].rpartition("@")
            if name:
                version = client.get_model_version_by_alias(name, pointer)
            else:
                name, _, number = ref[len("models:/") :].rpartition("/")
                version = client.get_model_version(name, number)
            run_id = version.run_id
        else:
            run_id = ref
        run = client.get_run(run_id)
    except MlflowException as error:
        raise ReproduceError(
            f"{ref} not found in {tracking.tracking_uri()}: {tracking.first_line(error)}"
        ) from None
    if "lineage.git_commit" not in run.data.tags:
        raise ReproduceError(
            f"run {run.info.run_id} has no lineage tags; it was not made by this pipeline"
        )
    return Record(run, ref)


def environment_differences(record: Record) -> list[str]:
    now = readable_environment(tracking.environment_tags())
    return [
        f"{name}: recorded {value}, here {now.get(name, 'unknown')}"
        for name, value in record.environment.items()
        if now.get(name, "unknown") != value
    ]


def registry_entries(client: mlflow.MlflowClient, record: Record) -> list[str]:
    """`<name> version N (aliases: ...)` for each registered version made from this run."""
    name = tracking.REGISTERED_MODEL_NAME
    run_id = record.run.info.run_id
    versions = client.search_model_versions(f"name = '{name}' and run_id = '{run_id}'")
    aliases = client.get_registered_model(name).aliases if versions else {}
    entries = []
    for version in versions:
        held = [alias for alias, number in aliases.items() if str(number) == str(version.version)]
        entries.append(
            f"{name} version {version.version}" + (f" (aliases: {', '.join(held)})" if held else "")
        )
    return entries


def section(title: str, items: list[str]) -> list[str]:
    return [f"{title}:", *(f"  {item}" for item in items or ["(none)"])]


def describe(client: mlflow.MlflowClient, record: Record) -> str:
    """The audit trail of one run, as lines a person can read and diff."""
    run, tags = record.run, record.tags
    dirty = "  (uncommitted changes)" if tags.get("lineage.git_dirty") == "true" else ""
    experiment = tags.get("dvc.exp_name", "-")
    lines = [
        f"run: {run.info.run_id} ({run.info.run_name}, {run.info.status})",
        f"commit: {record.commit}{dirty}",
        f"experiment: {experiment} (baseline {tags.get('dvc.baseline_rev', '-')})",
        f"model md5: {tags.get('lineage.model_md5', 'unknown')}",
        *section("data", [f"{path} md5 {md5}" for path, md5 in sorted(record.data.items())]),
        *section("params", [f"{k} = {v}" for k, v in sorted(run.data.params.items())]),
        *section("metrics", [f"{k} = {v:.6g}" for k, v in sorted(run.data.metrics.items())]),
        *section("environment", [f"{k} {v}" for k, v in sorted(record.environment.items())]),
        *section("registry", registry_entries(client, record)),
    ]
    return "\n".join(lines)


def refuse_used(into: Path) -> None:
    """Stop before writing anything when `into` already holds files (they may be yours)."""
    if into.exists() and any(into.iterdir()):
        raise ReproduceError(f"{into} is not empty; choose a new directory for --into")


def leave_as_found(into: Path, existed: bool) -> None:
    """Remove what a failed reproduce made: `into` itself, or its contents if it was there
    (empty) before, so a retry into the same directory works."""
    shutil.rmtree(into, ignore_errors=True)
    if existed:
        into.mkdir(parents=True, exist_ok=True)


def check_out(root: Path, commit: str, into: Path) -> None:
    """A clone of the repository at `commit` in `into`, sharing the DVC cache with `root`."""
    if tracking.run_git("cat-file", "-e", commit + "^{commit}", cwd=root).returncode != 0:
        raise ReproduceError(f"commit {commit} is not in this repository; `git fetch` it first")
    clone = ["clone", "--quiet", "--no-checkout", str(root), str(into)]
    detach = ["-C", str(into), "checkout", "--quiet", "--detach", commit]
    for command in (clone, detach):
        done = tracking.run_git(*command, cwd=root)
        if done.returncode != 0:
            raise ReproduceError(f"git {command[0]} failed: {done.stderr.strip()}")
    shared = run_dvc(["cache", "dir", "--local", str(root / ".dvc" / "cache")], into)
    if shared.returncode != 0:
        raise ReproduceError(f"cannot share the DVC cache with {into}: {shared.stderr.strip()}")


def run_dvc(args: list[str], cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    dvc = shutil.which("dvc") or str(Path(sys.executable).parent / "dvc")
    return subprocess.run(
        [dvc, *args], cwd=cwd, capture_output=True, text=True, env=env, check=False
    )


def restore_data(record: Record, into: Path) -> None:
    """Pull every DVC-tracked input of the commit, from the shared cache or the remote."""
    tracked = tracking.run_git("ls-files", "*.dvc", cwd=into).stdout.split()
    done = run_dvc(["pull", *tracked], into)
    if done.returncode != 0:
        output = (done.stderr + done.stdout).splitlines()
        said = [line for line in output if line.startswith("ERROR")]
        raise ReproduceError(
            f"the data of commit {record.commit[:12]} is in neither the DVC cache nor the remote"
            + (f" (dvc: {said[0].removeprefix('ERROR: ')})" if said else "")
        )
    for path, md5 in sorted(record.data.items()):
        tracked_by_dvc = (into / f"{path}.dvc").is_file()
        if tracked_by_dvc and md5_of(into / path) != md5:
            raise ReproduceError(
                f"{path} at commit {record.commit[:12]} does not have the recorded md5"
            )


def restore_params(client: mlflow.MlflowClient, record: Record, into: Path) -> None:
    """The run's own params.yaml, verified against its recorded hash."""
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    with tempfile.TemporaryDirectory() as scratch:
        local = client.download_artifacts(
            record.run.info.run_id, f"pipeline/{paths.PARAMS.name}", scratch
        )
        params = yaml.safe_load(Path(local).read_text(encoding="utf-8"))
        if tracking.params_hash(params) != record.tags.get("lineage.params_hash"):
            raise ReproduceError("the run's params.yaml artifact does not match its recorded hash")
        shutil.copyfile(local, into / paths.PARAMS)


def rebuild(into: Path) -> None:
    """`dvc repro --force` in `into`, with its own code and a scratch MLflow store.

    Stages run as `python -m <package>...` from `into`, so Python imports the package of
    that checkout, not an installed copy.
    """
    env = os.environ | {"MLFLOW_TRACKING_URI": f"sqlite:///{into / tracking.STORE_FILE}"}
    env.pop("DVC_ROOT", None)
    done = run_dvc(["repro", "--force"], into, env)
    if done.returncode != 0:
        raise ReproduceError(f"the pipeline failed in {into}:\n{done.stdout}{done.stderr}")


def reproduce(ref: str, into: Path) -> str:
    """Rebuild the run behind `ref` in `into`; the message to print when the bytes match.

    On any failure `into` is left as it was found (absent, or empty), so a retry works.
    """
    client = tracking.open_store()
    record = find_run(client, ref)
    for difference in environment_differences(record):
        print(f"WARNING: environment differs from the record: {difference}", file=sys.stderr)
    into = into.resolve()
    refuse_used(into)
    existed = into.exists()
    try:
        check_out(tracking.project_root(), record.commit, into)
        restore_data(record, into)
        restore_params(client, record, into)
        rebuild(into)
        model = into / record.tags.get("lineage.model_path", "models/model.pkl")
        rebuilt, recorded = md5_of(model), record.tags.get("lineage.model_md5")
        if rebuilt != recorded:
            raise ReproduceError(f"the rebuilt model differs: md5 {rebuilt}, recorded {recorded}")
    except BaseException:
        leave_as_found(into, existed)
        raise
    return f"reproduced {ref} in {into}: model md5 {rebuilt} is identical to the record"
