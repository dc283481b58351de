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
PACKAGE_TEMPLATE = Path("{{cookiecutter.project_slug}}", "{{cookiecutter.package_name}}")
# The user's own entries, appended as the module docstrings say; each block imports what it
# needs itself and otherwise uses names both layouts of the package have in these modules.
USER_MODEL = """

from sklearn.ensemble import ExtraTreesClassifier, ExtraTreesRegressor  # noqa: E402


class ExtraTrees(Section):
    n_estimators: int = Field(ge=1)


MODELS["extra_trees"] = Model(
    ExtraTrees,
    classification=lambda p, seed: ExtraTreesClassifier(random_state=seed, **p.model_dump()),
    regression=lambda p, seed: ExtraTreesRegressor(random_state=seed, **p.model_dump()),
)
"""
USER_METRIC = """

from sklearn.metrics import balanced_accuracy_score  # noqa: E402


@metric(CLASSIFICATION, MAXIMIZE)
def balanced_accuracy(scored: Scored) -> float:
    return balanced_accuracy_score(scored.actual, scored.predicted)
"""
MACHINERY_CHANGE = '\n\nTEMPLATE_UPDATE = "arrived"  # a change to the template\'s machinery\n'


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


def machinery_module(template: Path) -> Path:
    """A module of the template's machinery, relative to the package: machinery/files.py where
    the package keeps the template's files in machinery/ (every file there is the template's),
    else files.py (the layout before that split)."""
    machinery = template / PACKAGE_TEMPLATE / "machinery"
    return Path("machinery", "files.py") if machinery.is_dir() else Path("files.py")


def append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as file:
        file.write(text)


@pytest.mark.slow
def test_template_updates_keep_the_users_work(tmp_path):
    """A model appended to models.py, a metric to metrics.py and a changed params.yaml value,
    committed; then the template changes a module of its machinery: `cruft update` applies it
    without a conflict (exit 0, no .rej file), the user's edits are as they were, the change
    arrived, and `dvc repro` runs with both (the user's metric is computed)."""
    clone = template_clone(tmp_path)
    created = cruft(tmp_path, "create", str(clone), "--no-input", "--output-dir", str(tmp_path / "work"))
    assert created.returncode == 0, created.stdout + created.stderr
    (project,) = (tmp_path / "work").iterdir()
    package = project / project.name.replace("-", "_")
    git(project, "add", ".cruft.json")
    git(project, "commit", "--quiet", "-m", "Record the template version")

    append(package / "models.py", USER_MODEL)
    append(package / "metrics.py", USER_METRIC)
    params = project / "params.yaml"
    before = params.read_text()
    assert "  test_size: 0.25\n" in before
    params.write_text(before.replace("  test_size: 0.25\n", "  test_size: 0.3\n", 1))
    mine = {path: path.read_text() for path in (package / "models.py", package / "metrics.py", params)}
    git(project, "commit", "--quiet", "--all", "-m", "My model, my metric, my split")

    module = machinery_module(clone)
    append(clone / PACKAGE_TEMPLATE / module, MACHINERY_CHANGE)
    git(clone, "commit", "--quiet", "--all", "-m", "Change a machinery module")

    updated = cruft(project, "update", "--skip-apply-ask")
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert list(project.rglob("*.rej")) == [], "a conflict was left for the user"
    assert {path: path.read_text() for path in mine} == mine, "the user's edits are intact"
    assert (package / module).read_text().endswith(MACHINERY_CHANGE), "the machinery change arrived"
    changed = {line[3:] for line in git(project, "status", "--porcelain").splitlines()}
    assert changed == {str(package.relative_to(project) / module), ".cruft.json"}

    env = os.environ | {"PYTHONPATH": str(project)}
    repro = run(["dvc", "repro"], project, env=env)
    assert repro.returncode == 0, repro.stdout + repro.stderr
    shown = run(["dvc", "metrics", "show", "--json"], project, env=env)
    assert shown.returncode == 0 and '"balanced_accuracy"' in shown.stdout, shown.stdout + shown.stderr
    imported = ".".join([package.name, *module.with_suffix("").parts])
    check = run([sys.executable, "-c", f"import {imported} as m; print(m.TEMPLATE_UPDATE)"], project, env=env)
    assert check.stdout == "arrived\n", check.stderr


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
