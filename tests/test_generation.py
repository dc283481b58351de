"""Fast tier: the answers bake into a clean, committed git + DVC project: every pair of choices
by default, every combination with ALL_COMBINATIONS=1."""

import itertools
import os
import re
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from configobj import ConfigObj
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from .conftest import (
    TEMPLATE,
    TEST_GIT_IDENTITY,
    Combo,
    all_combinations,
    bake_ok,
    git,
    md5_of,
    pairwise_combinations,
    run,
)

COMBINATIONS = all_combinations() if os.environ.get("ALL_COMBINATIONS") == "1" else pairwise_combinations()
# A GitHub Actions expression `${{ ... }}` is meant to be there; any other `{{` is not.
LEFTOVER_JINJA = re.compile(r"(?<!\$)\{\{|\{%|\{#|\bcookiecutter\.")
# The template's room in the generated package, one job a module.
MACHINERY = ("__init__", "champion", "cli", "column_steps", "columns", "data", "deciding", "derive", "drift",
             "environments", "evaluation", "failures", "files", "gate", "importance", "lineage", "metric_registry",
             "model_log", "model_registry", "monitor", "monitor_log", "params", "paths", "plots", "plots_page",
             "predict", "records", "registry", "reproduce", "runs", "server", "stage", "store", "table_format",
             "tags", "training_data")  # fmt: skip


def expected_files(combo: Combo, package: str) -> set[str]:
    """The files git tracks in a fresh project, written out so the test can disagree."""
    raw = "data/raw/" + ("data" if combo.dataset == "custom" else combo.dataset) + ".csv"
    files = {
        ".dvc/.gitignore", ".dvc/config", ".dvcignore", ".gitignore", "Makefile", "README.md",
        "dvc.yaml", "params.yaml", "pyproject.toml", "requirements.lock", "data/raw/.gitignore", f"{raw}.dvc",
        "params.schema.json", ".pre-commit-config.yaml", "ci/pipeline.sh", "plot_templates/by_class.json",
        *(f"{package}/{name}.py" for name in ("__init__", "__main__", "features", "metrics", "models", "settings")),
        *(f"{package}/stages/{name}.py" for name in ("__init__", "prepare", "train", "evaluate")),
        *(f"{package}/machinery/{name}.py" for name in MACHINERY),
        "tests/__init__.py", "tests/conftest.py", "tests/test_stages.py", "tests/machinery/__init__.py",
        *(f"tests/machinery/test_{name}.py" for name in ("params", "tracking", "pipeline_definition", "monitor",
                                                         "plots", "derive", "text_drift", "messages", "dates",
                                                         "gate")),
        *(f"docs/{name}.md" for name in ("ci", "experiments", "extending", "failures", "git-hooks", "plots",
                                         "promotion-gate", "reproduce", "serving", "speed", "team-server",
                                         "template-updates")),
    }  # fmt: skip
    if combo.ci == "github":
        files |= {".github/workflows/ci.yml", ".github/workflows/monitor.yml"}
    if combo.ci == "gitlab":
        files.add(".gitlab-ci.yml")
    return files


def text_files(project: Path) -> list[Path]:
    tracked = git(project, "ls-files").split()
    return [project / name for name in tracked if not name.endswith(".csv")]


def check_git_state(project: Path, combo: Combo) -> None:
    """Exactly the chosen files are committed, in one complete first commit."""
    package = project.name.replace("-", "_")  # the default name follows the data set
    assert set(git(project, "ls-files").split("\n")) - {""} == expected_files(combo, package)
    assert git(project, "status", "--porcelain") == "", "the first commit must be complete"
    assert len(git(project, "log", "--oneline").splitlines()) == 1
    hooks_installed = (project / ".git" / "hooks" / "pre-push").is_file()
    assert hooks_installed == (combo.dvc_remote != "none"), "git push must run dvc push when there is a remote"


def check_no_leftover_jinja(project: Path) -> None:
    for path in text_files(project):
        match = LEFTOVER_JINJA.search(path.read_text(encoding="utf-8"))
        assert match is None, f"unrendered Jinja in {path.name}: {match.group(0)!r}"


def check_config_files(project: Path, combo: Combo) -> None:
    """YAML and TOML parse, and params.yaml holds the chosen task and model."""
    params = yaml.safe_load((project / "params.yaml").read_text())
    assert params["data"]["task"] == combo.task
    assert params["train"]["model"] == combo.model
    assert list(yaml.safe_load((project / "dvc.yaml").read_text())["stages"]) == [
        "prepare", "train", "evaluate"
    ]  # fmt: skip
    assert tomllib.loads((project / "pyproject.toml").read_text())["project"]["name"]
    if combo.ci == "github":
        workflow = yaml.safe_load((project / ".github/workflows/ci.yml").read_text())
        assert [s["run"] for s in workflow["jobs"]["test"]["steps"][2:]] == ["make install", "make lint", "make test"]
        check_scheduled_monitor(yaml.safe_load((project / ".github/workflows/monitor.yml").read_text()), combo)
    if combo.ci == "gitlab":
        pipeline = yaml.safe_load((project / ".gitlab-ci.yml").read_text())
        assert pipeline["test"]["script"] == ["make install", "make lint", "make test"]
        assert pipeline["monitor"]["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "schedule"'}]
        assert pipeline["monitor"]["script"][-1] == 'make monitor IN="$NEW_BATCH"'


def check_scheduled_monitor(workflow: dict, combo: Combo) -> None:
    """The monitor workflow runs on a schedule, reads its credentials from secrets (GitHub's
    own `${{ }}` expressions, rendered from the template's escapes) and ends in `make monitor`."""
    assert workflow[True]["schedule"][0]["cron"]  # YAML reads the key `on` as True
    job = workflow["jobs"]["monitor"]
    assert job["env"]["MLFLOW_TRACKING_URI"] == "${{ secrets.MLFLOW_TRACKING_URI }}"
    assert ("AWS_SECRET_ACCESS_KEY" in job["env"]) == (combo.dvc_remote == "s3")
    assert job["steps"][-2]["run"] == 'make monitor IN="$NEW_BATCH"'


def check_raw_data(project: Path, combo: Combo) -> None:
    """The chosen data set is in data/raw/, byte for byte, and DVC tracks that exact file."""
    raw = next((project / "data" / "raw").glob("*.csv"))
    source = combo.context().get("custom_csv") or TEMPLATE / "sample_data" / raw.name
    assert md5_of(raw) == md5_of(Path(source))
    tracked = yaml.safe_load(raw.with_name(raw.name + ".dvc").read_text())["outs"][0]
    assert tracked["md5"] == md5_of(raw)


def check_dvc_config(project: Path, combo: Combo) -> None:
    config = ConfigObj(str(project / ".dvc" / "config"))
    assert config["core"]["autostage"] == "true"
    if combo.dvc_remote == "none":
        assert "remote" not in config["core"]
        return
    assert config["core"]["remote"] == "storage"
    remote = config['remote "storage"']
    if combo.dvc_remote == "local":
        assert Path(remote["url"]).is_absolute(), "a clone elsewhere must reach the same remote"
    else:
        assert remote["url"] == "s3://team-bucket/dvc"
        assert remote["endpointurl"] == "http://127.0.0.1:9000"


def pinned_versions(lock: Path) -> dict[str, list[tuple[str, str]]]:
    """name -> [(version, marker)] from a requirements.lock."""
    pins: dict[str, list[tuple[str, str]]] = {}
    for line in lock.read_text().splitlines():
        if "==" in line and not line.startswith(" "):
            requirement, _, marker = line.partition(";")
            name, _, version = requirement.partition("==")
            pins.setdefault(canonicalize_name(name.strip()), []).append((version.strip(), marker.strip()))
    return pins


def check_lock_satisfies_dependencies(project: Path) -> None:
    """requirements.lock pins every declared dependency within its declared range."""
    metadata = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    pins = pinned_versions(project / "requirements.lock")
    for spec in metadata["dependencies"] + metadata["optional-dependencies"]["dev"]:
        requirement = Requirement(spec)
        candidates = pins.get(canonicalize_name(requirement.name))
        assert candidates, f"{requirement.name} is not pinned in requirements.lock"
        for version, marker in candidates:
            assert requirement.specifier.contains(version), f"{requirement.name}=={version} ({marker}) breaks {spec}"


def check_lock_names_the_project(project: Path) -> None:
    """uv's "via" notes in requirements.lock name this project, as the project's own `make lock`
    writes them: a first `make lock` does not rewrite those lines."""
    name = canonicalize_name(tomllib.loads((project / "pyproject.toml").read_text())["project"]["name"])
    lock = (project / "requirements.lock").read_text()
    noted = re.findall(r"^    #(?: via|  ) (\S+) \(pyproject\.toml\)$", lock, re.MULTILINE)
    assert len(noted) > 10 and set(noted) == {name}, set(noted)


def check_ruff(project: Path) -> None:
    for command in (["ruff", "check", "--no-cache", "."], ["ruff", "format", "--check", "--no-cache", "."]):
        done = run(command, project)
        assert done.returncode == 0, done.stdout + done.stderr


def test_pairwise_bakes_cover_every_pair_of_answers():
    """The default bake set meets every pair of choices at least once, so a new choice (or a
    broken rotation) cannot go unbaked."""
    keys = ("dataset", "task", "model", "dvc_remote", "ci")

    def pairs(combos: list[Combo], one: str, other: str) -> set[tuple[str, str]]:
        return {(getattr(combo, one), getattr(combo, other)) for combo in combos}

    chosen, everything = pairwise_combinations(), all_combinations()
    for one, other in itertools.combinations(keys, 2):
        assert pairs(chosen, one, other) == pairs(everything, one, other), (one, other)
    assert len(chosen) < len(everything) / 5


@pytest.mark.parametrize("combo", COMBINATIONS, ids=[c.id for c in COMBINATIONS])
def test_bake(cookies, combo):
    """The bake succeeds; files, config, data and first commit are exactly as chosen."""
    project = bake_ok(cookies, combo.context())
    check_git_state(project, combo)
    check_no_leftover_jinja(project)
    check_config_files(project, combo)
    check_raw_data(project, combo)
    check_dvc_config(project, combo)
    check_lock_satisfies_dependencies(project)
    check_lock_names_the_project(project)
    check_ruff(project)


def test_text_sample_bakes_with_its_target_its_text_input_and_linear(cookies):
    """dataset=food_reviews alone: the reviews' CSV as shipped, its own target and task,
    only the product code dropped (the review text stays an input) and, for free text, the
    linear model by default."""
    project = bake_ok(cookies, {"dataset": "food_reviews"})
    raw = project / "data/raw/food_reviews.csv"
    assert md5_of(raw) == md5_of(TEMPLATE / "sample_data/food_reviews.csv")
    assert raw.read_text(encoding="utf-8").splitlines()[0] == "product,review,score"
    params = yaml.safe_load((project / "params.yaml").read_text())
    assert params["data"] == {"target": "score", "task": "classification", "drop_columns": ["product"]}
    assert params["train"]["model"] == "linear"


def test_make_help_lists_the_everyday_commands(cookies):
    """`make help` (what the generated README points to first) names each command once."""
    project = bake_ok(cookies, {})
    done = run(["make", "help"], project)
    assert done.returncode == 0, done.stderr
    listed = [line.split()[1] for line in done.stdout.splitlines()]
    assert {"install", "repro", "test", "lint", "ui", "champion", "serve", "predict", "monitor", "sweep",
            "params-schema"} <= set(listed)  # fmt: skip
    assert len(listed) == len(set(listed))


def test_git_hooks_call_the_venvs_dvc(cookies, tmp_path):
    """After `make git-hooks` (part of `make install`), `git commit` works from a shell whose
    PATH has no dvc, as in an IDE: DVC's hooks call the venv's dvc by its path."""
    project = bake_ok(cookies, {})
    venv = Path(sys.executable).parent.parent
    done = run(["make", "git-hooks", f"VENV={venv}"], project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f'exec "{venv}/bin/dvc" git-hook pre-commit' in (project / ".git/hooks/pre-commit").read_text()
    bare_path = os.environ | {"PATH": "/usr/bin:/bin"}
    commit = run(["git", *TEST_GIT_IDENTITY, "commit", "--allow-empty", "-qm", "from an IDE"], project, env=bare_path)
    assert commit.returncode == 0, commit.stderr
