"""Secrets stay data: typed answers are never executed, and credentials are never stored.

The credential scan runs on the team-mode journey's project (tests/test_team_mode.py), where a
bake and a full pipeline run with AWS and MLflow credentials in the environment; this module
holds the scan and the fast checks. Answers given on cookiecutter's command line
(`key=value`, pytest-cookies' extra_context) are rendered as Jinja by cookiecutter itself, by
design: those must escape braces as tests/test_hooks.py does. Typed answers are data.
"""

import json
import secrets
import string
import subprocess
import sys
import tomllib
from pathlib import Path

import mlflow
import pytest

from .conftest import TEMPLATE

# Answers typed at the prompts: quotes, backslashes and template syntax that would run a shell
# command if anything rendered them (Jinja's globals reach `os` in an unsandboxed environment).
PAYLOAD = "{{ cycler.__init__.__globals__.os.system('touch EXECUTED') }}"
TYPED = {
    "project_name": "Typed {{ 7 * 7 }} {% raw %}x",
    "project_slug": "typed-answers",
    "package_name": "typed_answers",
    "author_name": 'O\'Brien "Bob" \\ {{ author }}',
    "description": f"Says 'hi' and C:\\path and {PAYLOAD}",
}


def fake_credentials() -> dict[str, str]:
    """Realistic-looking, random (so never already on disk) AWS and MLflow client credentials."""
    upper = string.ascii_uppercase + string.digits
    return {
        "AWS_ACCESS_KEY_ID": "AKIA" + "".join(secrets.choice(upper) for _ in range(16)),
        "AWS_SECRET_ACCESS_KEY": secrets.token_urlsafe(30)[:40],
        "AWS_SESSION_TOKEN": "IQoJb3JpZ2luX2VjE" + secrets.token_urlsafe(120),
        "MLFLOW_TRACKING_TOKEN": "mlf-" + secrets.token_hex(20),
    }


def places_holding(data: bytes, where: str, values: list[str]) -> list[str]:
    return [f"{where}: {value[:6]}..." for value in values if value.encode() in data]


def files_holding(root: Path, values: list[str]) -> list[str]:
    """Every file under root (data, DVC cache, lock, params, metrics, git's loose files) holding a value."""
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        found += places_holding(path.read_bytes(), str(path.relative_to(root)), values)
    return found


def git_objects_holding(project: Path, values: list[str]) -> list[str]:
    """Every git object (any commit, tree or blob in the history), decompressed."""
    objects = subprocess.run(["git", "cat-file", "--batch-all-objects", "--batch"], cwd=project,
                             capture_output=True, check=True).stdout  # fmt: skip
    return places_holding(objects, "git history", values)


def mlflow_records_holding(
    uri: str, experiment: str, model: str, values: list[str], scratch: Path | None = None
) -> list[str]:
    """Params, tags, metric names, run names, model versions, logged models and, given a
    scratch folder, every artifact (downloaded) of the experiment and the registered model."""
    client = mlflow.MlflowClient(uri)
    found = []
    record = client.get_experiment_by_name(experiment)
    runs = client.search_runs([record.experiment_id])
    texts = {"experiment": [record.tags, record.artifact_location]}
    for run in runs:
        texts[f"run {run.info.run_id}"] = [run.info.run_name, run.data.params, run.data.tags, list(run.data.metrics)]
        if scratch:
            target = scratch / run.info.run_id
            target.mkdir(parents=True)
            mlflow.artifacts.download_artifacts(run_id=run.info.run_id, dst_path=str(target), tracking_uri=uri)
    for logged in client.search_logged_models([record.experiment_id]):
        texts[f"logged model {logged.model_id}"] = [logged.name, logged.params, logged.tags]
    registered = client.get_registered_model(model)
    texts["registered model"] = [registered.tags, registered.description, registered.aliases]
    for version in client.search_model_versions(f"name='{model}'"):
        texts[f"version {version.version}"] = [version.tags, version.description, version.source]
        if scratch:
            target = scratch / f"version-{version.version}"
            target.mkdir(parents=True)
            location = client.get_model_version_download_uri(model, version.version)
            mlflow.artifacts.download_artifacts(location, dst_path=str(target), tracking_uri=uri)
    for where, text in texts.items():
        found += places_holding(json.dumps(text, default=str).encode(), f"MLflow {where}", values)
    return found + [f"MLflow artifact {place}" for place in (files_holding(scratch, values) if scratch else [])]


def leaks(project: Path, uri: str, experiment: str, model: str, values: list[str], scratch: Path) -> list[str]:
    """Where any of `values` is stored: the project's files, its git history, its MLflow records."""
    return (
        files_holding(project, values)
        + git_objects_holding(project, values)
        + mlflow_records_holding(uri, experiment, model, values, scratch)
    )


def test_typed_answers_are_data_never_executed(tmp_path):
    """Answers typed at the prompts land verbatim: template syntax is neither rendered nor run,
    quotes and backslashes survive (newlines cannot be typed, and single-line keys refuse them
    when given as extra context: tests/test_hooks.py's reject cases)."""
    answers = "".join(f"{TYPED.get(key, '')}\n" for key in json.loads((TEMPLATE / "cookiecutter.json").read_text())
                      if not key.startswith("_")) + "\n" * 5  # fmt: skip
    done = subprocess.run([sys.executable, "-m", "cookiecutter", "--output-dir", str(tmp_path), str(TEMPLATE)],
                          input=answers, cwd=tmp_path, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    project = tmp_path / "typed-answers"
    readme = (project / "README.md").read_text()
    assert readme.startswith("# Typed {{ 7 * 7 }} {% raw %}x\n")
    assert PAYLOAD in readme
    metadata = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    assert metadata["description"] == TYPED["description"]
    assert metadata["authors"] == [{"name": TYPED["author_name"]}]
    assert not list(tmp_path.rglob("EXECUTED")), "an answer's template syntax ran a command"


@pytest.mark.parametrize("value", ["plain", 'qu"ote', "back\\slash"])
def test_scan_finds_a_planted_value(tmp_path, value):
    """The scan itself: a value anywhere in a file, however deep, is found; absent, nothing is."""
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "f.bin").write_bytes(b"\x00prefix" + value.encode() + b"suffix\xff")
    assert files_holding(tmp_path, [value]) == [f"a/b/f.bin: {value[:6]}..."]
    assert files_holding(tmp_path, [value + "-other"]) == []
