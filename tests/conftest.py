"""Shared set-up for the template's tests: tools on PATH, isolated git, bake helpers."""

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path

import pytest

pytest_plugins = ["tests.services"]

TEMPLATE = Path(__file__).resolve().parent.parent
CUSTOM_CSV = Path(__file__).resolve().parent / "data" / "customers.csv"
CUSTOM_TARGETS = {"classification": "churned", "regression": "monthly_fee"}
SAMPLE_TASKS = {
    "cars": "classification",
    "wine": "classification",
    "breast_cancer": "classification",
    "diabetes": "regression",
    "food_reviews": "classification",
}
TEST_GIT_IDENTITY = ["-c", "user.name=Template Tests", "-c", "user.email=tests@localhost"]


def choices(key: str) -> list[str]:
    """A key's choices: its list in cookiecutter.json; `model` is a text answer (its default
    follows the data set) that the pre-generation hook checks against its MODELS."""
    if key == "model":
        sys.path.insert(0, str(TEMPLATE / "hooks"))
        from answers import MODELS

        return list(MODELS)
    return json.loads((TEMPLATE / "cookiecutter.json").read_text())[key]


@dataclass(frozen=True)
class Combo:
    """One valid set of answers, with a readable id for test reports."""

    dataset: str
    task: str
    model: str
    dvc_remote: str = "local"
    ci: str = "github"
    extra: dict = field(default_factory=dict, hash=False, compare=False)

    @property
    def id(self) -> str:
        return "-".join((self.dataset, self.task[:5], self.model, self.dvc_remote, self.ci))

    def context(self, **overrides: str) -> dict:
        answers = {"dataset": self.dataset, "task": self.task, "model": self.model,
                   "dvc_remote": self.dvc_remote, "ci": self.ci}  # fmt: skip
        if self.dataset == "custom":
            answers |= {"custom_csv": str(CUSTOM_CSV), "target_column": CUSTOM_TARGETS[self.task]}
        if self.dvc_remote == "s3":
            answers |= {"dvc_remote_url": "s3://team-bucket/dvc", "s3_endpoint_url": "http://127.0.0.1:9000"}
        return answers | self.extra | overrides


def dataset_tasks(dataset: str) -> list[str]:
    return list(CUSTOM_TARGETS) if dataset == "custom" else [SAMPLE_TASKS[dataset]]


def pairwise_combinations() -> list[Combo]:
    """Every dataset/task with every model, each of those rows with its own remote and CI, so
    that every pair of answers is baked (dataset-model, dataset-remote, model-ci, remote-ci,
    ...): 21 bakes instead of the full product's 189 (`ALL_COMBINATIONS=1` bakes those)."""
    remotes, cis = choices("dvc_remote"), choices("ci")
    pairs = [(dataset, task) for dataset in choices("dataset") for task in dataset_tasks(dataset)]
    return [
        Combo(dataset, task, model, remotes[(m + d) % len(remotes)], cis[(m + 2 * d) % len(cis)])
        for d, (dataset, task) in enumerate(pairs)
        for m, model in enumerate(choices("model"))
    ]


def all_combinations() -> list[Combo]:
    """Every valid combination of the choice answers, derived from cookiecutter.json."""
    return [
        Combo(dataset, task, model, remote, ci)
        for dataset, model, remote, ci in product(
            choices("dataset"), choices("model"), choices("dvc_remote"), choices("ci")
        )
        for task in dataset_tasks(dataset)
    ]


@pytest.fixture(scope="session", autouse=True)
def isolated_tools(tmp_path_factory):
    """The venv's dvc on PATH, no analytics, passive OpenMP waits, and a git with no user
    config or identity."""
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    os.environ["DVC_NO_ANALYTICS"] = "1"
    # OpenMP threads (hist_gradient_boosting's) that wait by sleeping, not spinning: with two
    # workers and their stages on two busy cores, spinning made a 2 s fit take 30-60 s. Same
    # threads, same results; only the waiting changes.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    empty = tmp_path_factory.mktemp("git") / "gitconfig"
    empty.write_text("")
    os.environ["GIT_CONFIG_GLOBAL"] = str(empty)
    os.environ["GIT_CONFIG_NOSYSTEM"] = "1"
    for variable in ("MLFLOW_TRACKING_URI", "DVC_ROOT", "GIT_DIR", "GIT_WORK_TREE"):
        os.environ.pop(variable, None)


def run(command: list[str], cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run a command, returning its result; the caller asserts on the exit code."""
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env, check=False)


def md5_of(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def git(project: Path, *args: str) -> str:
    done = run(["git", *TEST_GIT_IDENTITY, *args], project)
    assert done.returncode == 0, done.stderr
    return done.stdout


def bake_ok(cookies, context: dict) -> Path:
    """Bake with `context` and return the project path, failing loudly if the bake failed."""
    result = cookies.bake(extra_context=context)
    assert result.exception is None, result.exception
    assert result.exit_code == 0
    return Path(result.project_path)


def project_env(project: Path) -> dict:
    """What `pip install -e .` gives a user: the workspace's package importable from anywhere."""
    return os.environ | {"PYTHONPATH": str(project)}


def dvc(project: Path, *args: str) -> str:
    done = run(["dvc", *args], project, env=project_env(project))
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture(scope="session")
def trained_project(cookies_session) -> Callable[[Combo], Path]:
    """`trained_project(combo)`: a project baked with `combo` and `dvc repro`'d once per test
    worker, shared by the tests that only read it or leave it as they found it (a forced
    repro that rebuilds the same bytes, a page written beside it). Mark those tests
    `xdist_group(combo.id)` so that `--dist loadgroup` (`make test`) runs them on one worker:
    one bake and one repro for all of them. A test that changes a project bakes its own."""
    made: dict[str, Path] = {}

    def trained(combo: Combo) -> Path:
        key = json.dumps(combo.context(), sort_keys=True)
        if key not in made:
            made[key] = bake_ok(cookies_session, combo.context())
            dvc(made[key], "repro")
        return made[key]

    return trained


@pytest.fixture(scope="session")
def pushed_default(cookies_session, tmp_path_factory) -> tuple[Path, Path]:
    """(project, origin): a default project after `dvc repro`, committed and `git push`ed to
    a bare origin's main (the bake's DVC pre-push hook pushes the data to the local remote):
    what a newcomer and CI clone. Shared, once per worker, by the tests that only clone it
    (mark them `xdist_group("pushed-default")`)."""
    project = bake_ok(cookies_session, {})
    dvc(project, "repro")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "trained")
    origin = tmp_path_factory.mktemp("pushed") / "origin.git"
    git(origin.parent, "init", "--quiet", "--bare", str(origin))
    git(project, "remote", "add", "origin", str(origin))
    git(project, "push", "--quiet", "origin", "HEAD:main")
    return project, origin
