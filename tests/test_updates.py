"""A baked project follows its template with cruft: create, check, update, and the pipeline runs.

cruft renders the template in temporary folders to diff two versions of it, running the hooks
there too; those renders must hold only the template's files (no repository, DVC set-up or
data), or cruft's patch would carry them into the project.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hooks.post_gen_project import template_checkout

from .conftest import TEMPLATE, git, run

sys.path.insert(0, str(TEMPLATE / "hooks"))
from project_setup import cruft_comparison_render  # noqa: E402

SLUG = "car-origin-classifier"
NEW_TARGET = "\nhello-update:  ## a target the template gained after the bake\n\t@echo updated\n"


def cruft(project: Path, *args: str) -> subprocess.CompletedProcess:
    """cruft with no terminal to answer from: a question would fail the command."""
    return subprocess.run(
        ["cruft", *args], cwd=project, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False
    )


def template_clone(tmp_path: Path) -> Path:
    """A git clone of the template whose last commit holds the working tree as it is now
    (uncommitted edits included): what cruft clones from."""
    clone = tmp_path / "template"
    git(tmp_path, "clone", "--quiet", str(TEMPLATE), str(clone))
    listed = git(TEMPLATE, "ls-files", "--cached", "--others", "--exclude-standard", "-z").split("\0")
    for name in filter(None, listed):
        source, target = TEMPLATE / name, clone / name
        if source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
        else:
            target.unlink(missing_ok=True)
    git(clone, "add", "--all")
    git(clone, "commit", "--quiet", "--allow-empty", "-m", "The template as tested")
    return clone


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").strip()


@pytest.mark.slow
def test_cruft_update_brings_a_template_change_into_a_baked_project(tmp_path):
    """`cruft create` records the template's commit; a later template commit makes `cruft check`
    fail; `cruft update` applies it without asking the questions again, as a new commit on top
    of the project's history; the project then reproduces its pipeline."""
    clone = template_clone(tmp_path)
    created = cruft(tmp_path, "create", str(clone), "--no-input", "--output-dir", str(tmp_path / "work"))
    assert created.returncode == 0, created.stdout + created.stderr
    project = tmp_path / "work" / SLUG
    record = json.loads((project / ".cruft.json").read_text())
    assert (record["template"], record["commit"]) == (str(clone), head(clone))
    first_commit = head(project)
    assert git(project, "status", "--porcelain") == "?? .cruft.json\n", "only the record is left to commit"
    git(project, "add", ".cruft.json")
    git(project, "commit", "--quiet", "-m", "Record the template version")

    with (clone / "{{cookiecutter.project_slug}}" / "Makefile").open("a") as makefile:
        makefile.write(NEW_TARGET)
    git(clone, "commit", "--quiet", "--all", "-m", "Add a Makefile target")
    assert cruft(project, "check").returncode != 0, "the project is behind its template"

    updated = cruft(project, "update", "--skip-apply-ask")
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert NEW_TARGET in (project / "Makefile").read_text()
    changed = {line[3:] for line in git(project, "status", "--porcelain").splitlines()}
    assert changed == {"Makefile", ".cruft.json"}, "the update touches the template's files only"
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "Update from the template")

    assert cruft(project, "check").returncode == 0
    assert cruft(project, "diff", "--exit-code").returncode == 0, "the project matches its template"
    assert json.loads((project / ".cruft.json").read_text())["commit"] == head(clone)
    history = git(project, "rev-list", "HEAD").split()
    assert len(history) == 3 and history[-1] == first_commit
    assert run(["make", "--no-print-directory", "hello-update"], project).stdout == "updated\n"
    repro = run(["dvc", "repro"], project, env=os.environ | {"PYTHONPATH": str(project)})
    assert repro.returncode == 0, repro.stdout + repro.stderr


def test_cruft_renders_for_update_and_diff_are_recognised(tmp_path):
    """cruft's comparison renders (its clone in <tmp>/repo, renders beside it) skip the set-up;
    `cruft create` (a clone in a bare temporary folder) and cookiecutter do not."""
    for folder in ("repo/hooks", "current_template", "other/hooks"):
        (tmp_path / folder).mkdir(parents=True)
    cruft_answers = {"_commit": "0" * 40}
    assert cruft_comparison_render(cruft_answers | {"_repo_dir": str(tmp_path / "repo")})
    assert not cruft_comparison_render(cruft_answers | {"_repo_dir": str(tmp_path / "other")})
    assert not cruft_comparison_render({"_repo_dir": str(tmp_path / "repo")}), "cookiecutter sets no _commit"


def test_the_hooks_find_the_checkout_without_repo_dir(tmp_path, monkeypatch):
    """Under cruft there is no `_repo_dir`: the checkout is the working directory of the process
    running the hook (a hook itself runs in the project)."""
    monkeypatch.setenv("PWD", str(tmp_path))
    assert template_checkout({"_repo_dir": "template"}) == tmp_path / "template"
    code = "from hooks.post_gen_project import template_checkout; print(template_checkout({}))"
    hook = run([sys.executable, "-c", code], tmp_path, env=os.environ | {"PYTHONPATH": str(TEMPLATE)})
    assert hook.stdout.strip() == str(Path.cwd().resolve()), hook.stderr
