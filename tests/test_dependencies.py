"""A generated project's dependencies: every range is capped, and the installed set is consistent."""

import subprocess
import sys
import tomllib
from pathlib import Path

import jinja2
import pytest
from packaging.requirements import Requirement

from .conftest import TEMPLATE, bake_ok, git, run

# `make demo` (run by .ci/run before the tests) installs a default project the way a user does:
# `make install`, a fresh venv from requirements.lock plus the project itself.
DEMO_VENV = TEMPLATE / "demo" / "car-origin-classifier" / ".venv"


def uncapped(specs: list[str]) -> list[str]:
    """The requirements with no upper bound: nothing stops a new major release from installing."""
    capped = ("<", "<=", "==", "~=")
    return [spec for spec in specs if not any(s.operator in capped for s in Requirement(spec).specifier)]


def generated_pyproject(remote: str) -> dict:
    """The generated pyproject.toml, rendered as a bake renders it (only the answers it uses)."""
    answers = {"project_slug": "p", "package_name": "p", "description": "d", "author_name": "a",
               "python_version": "3.11", "dvc_remote": remote}  # fmt: skip
    text = (TEMPLATE / "{{cookiecutter.project_slug}}" / "pyproject.toml").read_text()
    return tomllib.loads(jinja2.Template(text).render(cookiecutter=answers))


@pytest.mark.parametrize("remote", ["local", "s3"])
def test_every_dependency_range_has_an_upper_bound(remote):
    """dependencies, every extra and the build requirements: each has `<` (or a pin)."""
    pyproject = generated_pyproject(remote)
    project = pyproject["project"]
    specs = project["dependencies"] + pyproject["build-system"]["requires"]
    specs += [spec for extra in project["optional-dependencies"].values() for spec in extra]
    assert len(specs) > 8
    assert ("dvc-s3" in str(specs)) == (remote == "s3")
    assert uncapped(specs) == []


def test_uncapped_ranges_are_found():
    assert uncapped(["a>=1", "b>=1,<2", "c==1.0", "d", "e[x]>=3.1 ; python_version >= '3.10'"]) == [
        "a>=1",
        "d",
        "e[x]>=3.1 ; python_version >= '3.10'",
    ]


def test_pip_check_is_clean_in_a_fresh_project_venv():
    """`pip check` in the venv `make install` built for the demo project: no package's
    requirements are broken by another's pin."""
    if not (DEMO_VENV / "bin" / "python").exists():
        pytest.skip(f"no {DEMO_VENV.relative_to(TEMPLATE)}: run `make demo` first (.ci/run does)")
    done = subprocess.run([str(DEMO_VENV / "bin" / "python"), "-m", "pip", "check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_requirements_dev_ranges_have_upper_bounds():
    """The template's own test venv is capped too (requirements-dev.txt)."""
    lines = (TEMPLATE / "requirements-dev.txt").read_text().splitlines()
    specs = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert uncapped(specs) == []


def test_demo_venv_path_is_where_make_demo_builds_it():
    """The pip check looks where the template's Makefile puts the demo project."""
    makefile = (TEMPLATE / "Makefile").read_text()
    assert "DEMO := demo" in makefile and "cd $(DEMO)/car-origin-classifier && $(MAKE) install" in makefile
    assert Path(DEMO_VENV).name == ".venv"


# A small dependency no other package pulls in, with no dependencies of its own.
NEW_DEPENDENCY = "tomli-w"


@pytest.mark.slow  # asks the package index
def test_make_lock_after_adding_a_dependency_changes_only_its_lines(cookies, tmp_path):
    """`make lock` after adding one dependency adds its pin and uv's note naming the project,
    and changes no other line (before, it re-resolved for the project's Python only and
    rewrote 159 lines). A project with `_` in its slug checks uv's spelling of the name.
    The venv is a stand-in: the real uv, and a pip that only records what it was asked."""
    project = bake_ok(cookies, {"project_name": "Churn Model", "project_slug": "churn_model"})
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text()
    pyproject.write_text(text.replace("dependencies = [\n", f'dependencies = [\n    "{NEW_DEPENDENCY}>=1,<2",\n', 1))
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "uv").symlink_to(Path(sys.executable).parent / "uv")
    (venv / "bin" / "pip").write_text(f'#!/bin/sh\necho "$@" > {tmp_path / "pip-args"}\n')
    (venv / "bin" / "pip").chmod(0o755)

    done = run(["make", "--no-print-directory", "lock", f"VENV={venv}"], project)
    assert done.returncode == 0, done.stdout + done.stderr
    diff = git(project, "diff", "--unified=0", "--", "requirements.lock").splitlines()
    removed = [line for line in diff if line.startswith("-") and not line.startswith("---")]
    added = [line for line in diff if line.startswith("+") and not line.startswith("+++")]
    assert removed == [], removed
    assert len(added) == 2 and added[0].startswith(f"+{NEW_DEPENDENCY}=="), added
    assert added[1] == "+    # via churn-model (pyproject.toml)"
    assert (tmp_path / "pip-args").read_text().split() == ["install", "--quiet", "-r", "requirements.lock"]
