"""Slow tier: sweeps that never lose a run, and a team tracking server on PostgreSQL."""

import csv
import io
import os
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import mlflow
import pytest

from .conftest import Combo, bake_ok, git, run
from .services import free_port
from .test_pipeline import dvc, project_env

pytestmark = pytest.mark.slow
SWEEP = "train.random_forest.max_depth=1,2,4,8"
MODEL = "car_origin_classifier_model"


def wait_for_queue(project: Path, seconds: float = 900) -> None:
    """Block until the DVC queue has nothing queued or running."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status = dvc(project, "queue", "status")
        if "Running" not in status and "Queued" not in status:
            return
        time.sleep(2)
    raise TimeoutError(f"queue still busy after {seconds} s")


def run_sweep(project: Path) -> list[str]:
    """Commit the baseline, queue the grid, run it on two workers; the experiments' names."""
    dvc(project, "repro")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "baseline")
    dvc(project, "exp", "run", "--queue", "-S", SWEEP)
    dvc(project, "queue", "start", "--jobs", "2")
    wait_for_queue(project)
    return dvc(project, "exp", "list", "--name-only").split()


def check_sweep_in_store(client: mlflow.MlflowClient, project: Path, names: list[str]) -> None:
    """One run per experiment, tagged with its name and baseline; champion on the best rmse."""
    experiment = client.get_experiment_by_name(project.name)
    runs = client.search_runs([experiment.experiment_id])
    tagged = [r.data.tags.get("dvc.exp_name") for r in runs if r.data.tags.get("dvc.exp_name")]
    assert sorted(tagged) == sorted(names)
    baseline = git(project, "rev-parse", "HEAD").strip()
    assert {r.data.tags["dvc.baseline_rev"] for r in runs if "dvc.exp_name" in r.data.tags} == {baseline}
    best = min(runs, key=lambda r: r.data.metrics["rmse"])
    champion = client.get_model_version_by_alias(MODEL, "champion")
    assert champion.run_id == best.info.run_id or champion.tags["model_md5"] == best.data.tags["lineage.model_md5"]


def test_queued_grid_on_two_workers_lands_every_run_in_the_project_store(cookies):
    """4 queued experiments, -j 2: 4 successes, 4 tagged runs in mlflow.db, champion on the best."""
    project = bake_ok(cookies, Combo("diabetes", "regression", "random_forest").context())
    names = run_sweep(project)
    assert len(names) == 4
    check_sweep_in_store(mlflow.MlflowClient(f"sqlite:///{project / 'mlflow.db'}"), project, names)
    shown = dvc(project, "exp", "show", "--csv")
    rows = [row for row in csv.DictReader(io.StringIO(shown)) if row["Experiment"] in names]
    assert len(rows) == 4
    assert all(row["rmse"] and row["train.random_forest.max_depth"] for row in rows)


def test_pipeline_and_sweep_against_a_postgres_backed_server(cookies, mlflow_server):
    """The bake option points the project at a team server; runs, tags and champion land there."""
    context = Combo("diabetes", "regression", "random_forest").context(mlflow_tracking_uri=mlflow_server)
    project = bake_ok(cookies, context)
    names = run_sweep(project)
    assert len(names) == 4
    assert not (project / "mlflow.db").exists(), "nothing may go to a local store"
    check_sweep_in_store(mlflow.MlflowClient(mlflow_server), project, names)


def test_environment_variable_points_an_unchanged_project_at_the_server(cookies, mlflow_server):
    project = bake_ok(cookies, {"project_name": "Env Pointed"})
    done = run(["dvc", "repro"], project, env=project_env(project) | {"MLFLOW_TRACKING_URI": mlflow_server})
    assert done.returncode == 0, done.stderr
    client = mlflow.MlflowClient(mlflow_server)
    experiment = client.get_experiment_by_name("env-pointed")
    assert len(client.search_runs([experiment.experiment_id])) == 1
    assert client.get_model_version_by_alias("env_pointed_model", "champion")


class Refusing(BaseHTTPRequestHandler):
    """A 'server' that answers every request with 403 Forbidden."""

    def do_GET(self):  # noqa: N802 - http.server's naming
        self.send_response(403)
        self.end_headers()

    do_POST = do_GET

    def log_message(self, *args):
        pass


@pytest.fixture
def refusing_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Refusing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def closed_port_url() -> str:
    port = free_port()
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0
    return f"http://127.0.0.1:{port}"


@pytest.mark.parametrize("kind", ["down", "refusing"])
def test_unusable_server_fails_fast_with_the_uri_and_no_traceback(cookies, refusing_server, kind):
    """Down or refusing: evaluate fails within 30 s, naming the URI, and no traceback."""
    project = bake_ok(cookies, {})
    uri = closed_port_url() if kind == "down" else refusing_server
    dvc(project, "repro", "train")
    started = time.monotonic()
    done = run(["dvc", "repro"], project, env=project_env(project) | {"MLFLOW_TRACKING_URI": uri})
    elapsed = time.monotonic() - started
    assert done.returncode != 0
    assert elapsed < 30, f"evaluate took {elapsed:.0f} s to give up"
    output = done.stdout + done.stderr
    assert f"ERROR: MLflow at {uri}" in output
    assert "Traceback" not in output
    assert os.path.exists(project / "models" / "model.pkl"), "earlier stages' outputs are kept"


def test_queued_experiment_runs_the_code_it_was_queued_with(cookies):
    """Code changed in the workspace after queueing does not leak into the queued experiment.

    The workspace's package is importable from anywhere (as with `pip install -e .`); the
    experiment runs in a temp copy and must use that copy's code.
    """
    project = bake_ok(cookies, {})
    dvc(project, "repro")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "baseline")
    dvc(project, "exp", "run", "--queue", "-S", "train.seed=7")
    train = project / "car_origin_classifier" / "stages" / "train.py"
    train.write_text(
        train.read_text().replace("def main() -> None:\n", "def main() -> None:\n    raise SystemExit(3)\n")
    )
    dvc(project, "queue", "start", "--jobs", "1")
    wait_for_queue(project)
    (name,) = dvc(project, "exp", "list", "--name-only").split()
    experiment = mlflow.MlflowClient(f"sqlite:///{project / 'mlflow.db'}").get_experiment_by_name(project.name)
    tagged = mlflow.MlflowClient(f"sqlite:///{project / 'mlflow.db'}").search_runs(
        [experiment.experiment_id], filter_string=f"tags.`dvc.exp_name` = '{name}'"
    )
    assert len(tagged) == 1
