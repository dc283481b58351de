"""Slow tier: push, then a newcomer's clone + `dvc pull` gives the exact same workspace.

The push is a plain `git push`: the DVC git hooks installed by the bake run `dvc push`,
so the remote cannot miss the data the pushed commit points to.
"""

from pathlib import Path

import pytest
import yaml

from .conftest import Combo, bake_ok, git, md5_of, run
from .services import create_bucket
from .test_pipeline import dvc, lock_hashes

pytestmark = pytest.mark.slow


def outputs(project: Path) -> dict[str, str]:
    """path -> md5 of every file DVC tracks in the workspace (data, prepared data, model)."""
    tracked = dict(lock_hashes(project))
    for dvc_file in project.glob("data/raw/*.dvc"):
        out = yaml.safe_load(dvc_file.read_text())["outs"][0]
        tracked[f"data/raw/{out['path']}"] = out["md5"]
    return {path: md5_of(project / path) for path in tracked if (project / path).is_file()}


def push_and_clone(project: Path, tmp_path: Path) -> Path:
    """Run the pipeline, commit, `git push` to a bare origin, clone it elsewhere, `dvc pull`
    (conftest's `pushed_default` makes the same push for the default project)."""
    dvc(project, "repro")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "trained")
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "--quiet", "--bare", str(origin))
    git(project, "remote", "add", "origin", str(origin))
    git(project, "push", "--quiet", "origin", "HEAD:main")
    return clone_and_pull(origin, tmp_path)


def clone_and_pull(origin: Path, tmp_path: Path) -> Path:
    """A newcomer's `git clone` of origin's main elsewhere, then `dvc pull`."""
    clone = tmp_path / "elsewhere" / "newcomer"
    git(tmp_path, "clone", "--quiet", "--branch", "main", str(origin), str(clone))
    dvc(clone, "pull")
    return clone


def check_identical_workspace(project: Path, clone: Path) -> None:
    assert outputs(clone) == outputs(project)
    arrived = set(outputs(clone))
    assert {"data/prepared/train.parquet", "data/prepared/test.parquet", "models/model.pkl"} <= arrived
    assert any(path.startswith("data/raw/") for path in arrived)
    assert dvc(clone, "status", "--json").strip() == "{}"
    before = (clone / "dvc.lock").read_text()
    dvc(clone, "repro")
    assert (clone / "dvc.lock").read_text() == before
    assert not (clone / "mlflow.db").exists(), "an up-to-date clone must not rerun evaluate"


@pytest.mark.xdist_group("pushed-default")
def test_local_remote_clone_and_pull(pushed_default, tmp_path):
    project, origin = pushed_default  # trained, committed, `git push`ed
    check_identical_workspace(project, clone_and_pull(origin, tmp_path))


def test_s3_remote_clone_and_pull(cookies, tmp_path, s3_endpoint):
    """Against a real S3 API on loopback; credentials only ever come from the environment."""
    create_bucket(s3_endpoint, "team-data")
    combo = Combo("wine", "classification", "random_forest", dvc_remote="s3")
    project = bake_ok(cookies, combo.context(dvc_remote_url="s3://team-data/wine", s3_endpoint_url=s3_endpoint))
    clone = push_and_clone(project, tmp_path)
    check_identical_workspace(project, clone)
    for name in git(project, "ls-files").split():
        path = project / name
        if path.is_file() and not name.endswith(".csv"):
            assert "test-secret-value" not in path.read_text(errors="ignore")


def test_git_push_is_refused_while_the_remote_is_unreachable(cookies, tmp_path):
    """The pre-push hook runs `dvc push`: no data on the remote means no git push."""
    project = bake_ok(cookies, {"dvc_remote_url": str(tmp_path / "store")})
    dvc(project, "repro")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "trained")
    (tmp_path / "store").write_text("not a directory")
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "--quiet", "--bare", str(origin))
    git(project, "remote", "add", "origin", str(origin))
    assert run(["git", "push", "--quiet", "origin", "HEAD:main"], project).returncode != 0
    assert git(origin, "branch", "--list").strip() == ""
