"""Maintained by the template (arrives with `cruft update`).

Rebuild any past run from its MLflow record (records.py finds it).

A run's lineage tags name the git commit, the md5 of every data file and of the model, and
the environment; a run made on uncommitted changes also logs them as a patch. `reproduce`
checks the commit out into a new directory (the workspace is never touched), applies that
patch, restores every data file by its recorded md5 from the DVC cache or remote, puts back
the exact params.yaml the run used, reruns the pipeline there and checks that the rebuilt
model is byte-identical to the recorded one. With `isolated`, the pipeline reruns in a
virtual environment built by uv from the commit's requirements.lock (cached by the lock's
md5), so a library upgrade since the run does not change the bytes.
"""

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import mlflow
import yaml
from mlflow.exceptions import MlflowException

from . import paths, tags
from .environments import recorded_environment
from .failures import first_line
from .files import md5_of
from .lineage import params_hash, run_git
from .records import Record, ReproduceError, environment_differences, find_run
from .store import STORE_FILE, open_store, project_root


def refuse_used(into: Path, root: Path) -> None:
    """Stop before writing anything when `into` is not a new or empty directory (its files
    may be yours), or lies inside the project (git would take it for an embedded repository)."""
    if into.exists() and not into.is_dir():
        raise ReproduceError(f"{into} is a file; choose a new directory for --into")
    if into.exists() and any(into.iterdir()):
        raise ReproduceError(f"{into} is not empty; choose a new directory for --into")
    if into.is_relative_to(root):
        raise ReproduceError(
            f"{into} is inside the project; choose a directory outside it for --into"
        )


def leave_as_found(into: Path, existed: bool) -> None:
    """Remove what a failed reproduce made: `into` itself, or its contents if it was there
    (empty) before, so a retry into the same directory works."""
    shutil.rmtree(into, ignore_errors=True)
    if existed:
        into.mkdir(parents=True, exist_ok=True)


def check_out(root: Path, commit: str, into: Path) -> None:
    """A clone of the repository at `commit` in `into`, sharing the DVC cache with `root`."""
    if run_git("cat-file", "-e", commit + "^{commit}", cwd=root).returncode != 0:
        raise ReproduceError(f"commit {commit} is not in this repository; `git fetch` it first")
    clone = ["clone", "--quiet", "--no-checkout", str(root), str(into)]
    detach = ["-C", str(into), "checkout", "--quiet", "--detach", commit]
    for command in (clone, detach):
        done = run_git(*command, cwd=root)
        if done.returncode != 0:
            raise ReproduceError(f"git {command[0]} failed: {done.stderr.strip()}")
    shared = run_dvc(["cache", "dir", "--local", str(root / ".dvc" / "cache")], into)
    if shared.returncode != 0:
        raise ReproduceError(f"cannot share the DVC cache with {into}: {shared.stderr.strip()}")


def run_dvc(
    args: list[str], cwd: Path, env: dict | None = None, python: Path | None = None
) -> subprocess.CompletedProcess:
    """dvc `args` in `cwd`: the dvc beside this Python, or `python -m dvc` of another venv."""
    if python is not None:
        command = [str(python), "-m", "dvc"]
    else:
        command = [shutil.which("dvc") or str(Path(sys.executable).parent / "dvc")]
    return subprocess.run(
        [*command, *args], cwd=cwd, capture_output=True, text=True, env=env, check=False
    )


def fetch_artifact(
    client: mlflow.MlflowClient, record: Record, artifact: str, scratch: str
) -> Path:
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    try:
        return Path(client.download_artifacts(record.run.info.run_id, artifact, scratch))
    except (MlflowException, OSError) as error:
        said = first_line(error)
        raise ReproduceError(f"cannot read the run's {artifact}: {said}") from None


def apply_changes(client: mlflow.MlflowClient, record: Record, into: Path) -> None:
    """Put the run's uncommitted changes (its logged patch) back on its commit."""
    if record.tags.get(tags.GIT_DIRTY) != "true":
        return
    expected = record.tags.get(tags.CHANGES_MD5)
    if expected is None:
        raise ReproduceError(
            f"run {record.run.info.run_id} was made on uncommitted changes that it did not "
            "log (it predates this project's patch logging), so it cannot be rebuilt exactly"
        )
    with tempfile.TemporaryDirectory() as scratch:
        patch = fetch_artifact(client, record, tags.CHANGES_ARTIFACT, scratch)
        if hashlib.md5(patch.read_bytes()).hexdigest() != expected:
            raise ReproduceError("the run's uncommitted-changes patch does not match its md5")
        done = run_git("apply", "--binary", "--whitespace=nowarn", str(patch), cwd=into)
    if done.returncode != 0:
        raise ReproduceError(
            f"the run's uncommitted changes do not apply to commit {record.commit[:12]}: "
            + (done.stderr.strip().splitlines() or ["git apply failed"])[0]
        )


def dvc_files(into: Path) -> list[str]:
    """The .dvc files of the checkout, committed or added by the run's patch."""
    listed = run_git(
        "ls-files", "--cached", "--others", "--exclude-standard", "*.dvc", cwd=into
    ).stdout.split()
    return [name for name in dict.fromkeys(listed) if (into / name).is_file()]


def point_at_recorded_md5(record: Record, into: Path, dvc_file: str) -> None:
    """Make `dvc_file` name the bytes the run read (its recorded md5), whatever the commit
    says: the data may have been `dvc add`ed after the commit, or by an experiment."""
    content = yaml.safe_load((into / dvc_file).read_text(encoding="utf-8"))
    changed = False
    for out in content.get("outs", []):
        recorded = record.data.get((Path(dvc_file).parent / out["path"]).as_posix())
        # Only DVC 3 outputs (`hash: md5`) hash the plain bytes, as the record does.
        if recorded and out.get("hash") == "md5" and out.get("md5") != recorded:
            out["md5"] = recorded
            out.pop("size", None)
            changed = True
    if changed:
        (into / dvc_file).write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")


def restore_data(record: Record, into: Path) -> None:
    """Every DVC-tracked input, by its recorded md5, from the shared cache or the remote."""
    tracked = dvc_files(into)
    for dvc_file in tracked:
        point_at_recorded_md5(record, into, dvc_file)
    done = run_dvc(["pull", *tracked], into)
    inputs = {name.removesuffix(".dvc") for name in tracked}
    for path, md5 in sorted(record.data.items()):
        if path in inputs and not ((into / path).is_file() and md5_of(into / path) == md5):
            raise ReproduceError(
                f"{path}: the recorded md5 {md5} is in neither the DVC cache nor the remote; "
                "`dvc push` it where the run was made (bytes changed outside DVC, as in "
                "`dvc repro --no-commit`, were never stored)"
            )
    if done.returncode != 0:
        said = [line for line in (done.stderr + done.stdout).splitlines() if "ERROR" in line]
        raise ReproduceError(f"dvc pull failed: {(said or ['see `dvc pull -v`'])[0]}")


def restore_params(client: mlflow.MlflowClient, record: Record, into: Path) -> None:
    """The run's own params.yaml, verified against its recorded hash."""
    with tempfile.TemporaryDirectory() as scratch:
        local = fetch_artifact(client, record, f"pipeline/{paths.PARAMS.name}", scratch)
        params = yaml.safe_load(local.read_text(encoding="utf-8"))
        if params_hash(params) != record.tags.get(tags.PARAMS_HASH):
            raise ReproduceError("the run's params.yaml artifact does not match its recorded hash")
        shutil.copyfile(local, into / paths.PARAMS)


def rebuild(into: Path, python: Path | None = None) -> None:
    """`dvc repro --force` in `into`, with its own code and a scratch MLflow store; with
    `python`, in that venv only (its `python` and `dvc`, no PYTHONPATH from here).

    Stages run as `python -m <package>...` from `into`, so Python imports the package of
    that checkout, not an installed copy: no venv needs the project installed.
    """
    env = os.environ | {"MLFLOW_TRACKING_URI": f"sqlite:///{into / STORE_FILE}"}
    env.pop("DVC_ROOT", None)
    if python is not None:
        for variable in ("PYTHONPATH", "PYTHONHOME"):
            env.pop(variable, None)
        env["VIRTUAL_ENV"] = str(python.parent.parent)
        env["PATH"] = f"{python.parent}{os.pathsep}{env.get('PATH', '')}"
    done = run_dvc(["repro", "--force"], into, env, python)
    if done.returncode != 0:
        raise ReproduceError(f"the pipeline failed in {into}:\n{done.stdout}{done.stderr}")


def reproduce(ref: str, into: Path, isolated: bool = False) -> str:
    """Rebuild the run behind `ref` in `into`; the message to print when the bytes match.

    On any failure `into` is left as it was found (absent, or empty), so a retry works.
    """
    client = open_store()
    record = find_run(client, ref)
    differences = [] if isolated else environment_differences(record)
    for difference in differences:
        print(f"WARNING: environment differs from the record: {difference}", file=sys.stderr)
    into, root = into.resolve(), project_root().resolve()
    refuse_used(into, root)
    existed = into.exists()
    try:
        check_out(root, record.commit, into)
        apply_changes(client, record, into)
        restore_data(record, into)
        restore_params(client, record, into)
        rebuild(into, recorded_environment(record, into) if isolated else None)
        model = into / record.tags.get(tags.MODEL_PATH, "models/model.pkl")
        rebuilt, recorded = md5_of(model), record.tags.get(tags.MODEL_MD5)
        if rebuilt != recorded:
            hint = "; the environment differs from the record: add --isolated"
            hint = hint if differences else ""
            raise ReproduceError(
                f"the rebuilt model differs: md5 {rebuilt}, recorded {recorded}{hint}"
            )
    except BaseException:
        leave_as_found(into, existed)
        raise
    how = " in the run's recorded environment" if isolated else ""
    return f"reproduced {ref} in {into}{how}: model md5 {rebuilt} is identical to the record"
