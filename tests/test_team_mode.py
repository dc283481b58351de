"""Slow tier: sweeps that never lose a run, and a team tracking server on PostgreSQL."""

import csv
import io
import os
import secrets
import signal
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import mlflow
import pytest
from mlflow.server import get_app_client

from .conftest import Combo, bake_ok, git, run
from .services import CLIENT_CREDENTIALS, SERVER_SECRETS, free_port, healthy, tracking_server_command
from .test_pipeline import dvc, project_env
from .test_secrets import fake_credentials, files_holding, git_objects_holding, leaks, mlflow_records_holding

pytestmark = pytest.mark.slow
SWEEP = "train.random_forest.max_depth=1,2,4,8"
UNUSED_DB = "postgresql+psycopg://nobody@127.0.0.1:9/mlflow"


def wait_for_queue(project: Path, seconds: float = 900) -> None:
    """Block until the DVC queue has nothing queued or running."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status = dvc(project, "queue", "status")
        if "Running" not in status and "Queued" not in status:
            return
        time.sleep(2)
    raise TimeoutError(f"queue still busy after {seconds} s")


def break_train(project: Path) -> None:
    """Make train.py in the workspace fail (exit 3)."""
    train = project / project.name.replace("-", "_") / "stages" / "train.py"
    text = train.read_text()
    train.write_text(text.replace("def main() -> None:\n", "def main() -> None:\n    raise SystemExit(3)\n"))


def run_sweep(project: Path, sweep: str = SWEEP) -> list[str]:
    """Commit the baseline, queue the grid, break train.py in the workspace, run the grid on two
    workers; the experiments' names (only those that succeeded: each must run the code it was
    queued with, in its temp copy, although the workspace's package is importable from anywhere,
    as with `pip install -e .`)."""
    dvc(project, "repro")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "baseline")
    dvc(project, "exp", "run", "--queue", "-S", sweep)
    break_train(project)
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
    model = project.name.replace("-", "_") + "_model"  # the default name follows the data set
    champion = client.get_model_version_by_alias(model, "champion")
    assert champion.run_id == best.info.run_id or champion.tags["model_md5"] == best.data.tags["lineage.model_md5"]


def test_queued_grid_on_two_workers_lands_every_run_in_the_project_store(cookies):
    """4 queued experiments, -j 2: 4 successes (none runs the workspace's code, changed after
    queueing), 4 tagged runs in mlflow.db, champion on the best."""
    project = bake_ok(cookies, Combo("diabetes", "regression", "random_forest").context())
    names = run_sweep(project)
    assert len(names) == 4
    check_sweep_in_store(mlflow.MlflowClient(f"sqlite:///{project / 'mlflow.db'}"), project, names)
    shown = dvc(project, "exp", "show", "--csv")
    rows = [row for row in csv.DictReader(io.StringIO(shown)) if row["Experiment"] in names]
    assert len(rows) == 4
    assert all(row["rmse"] and row["train.random_forest.max_depth"] for row in rows)


def test_pipeline_and_sweep_against_a_postgres_backed_server(cookies, mlflow_server, admin_credentials):
    """The bake option points the project at a team server; runs, tags and champion land there
    (two experiments at once: the grid of four is the SQLite test's)."""
    context = Combo("diabetes", "regression", "random_forest").context(mlflow_tracking_uri=mlflow_server)
    project = bake_ok(cookies, context)
    names = run_sweep(project, "train.random_forest.max_depth=2,8")
    assert len(names) == 2
    assert not (project / "mlflow.db").exists(), "nothing may go to a local store"
    check_sweep_in_store(mlflow.MlflowClient(mlflow_server), project, names)


def run_briefly(command: list[str], cwd: Path, env: dict, seconds: float = 60) -> subprocess.CompletedProcess:
    """Run a command that should exit at once; one that starts serving instead is killed."""
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)  # fmt: skip
    try:
        stdout, stderr = process.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise AssertionError(f"{command[:4]} did not exit within {seconds} s: it serves") from None
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def test_tracking_server_refuses_to_start_without_its_secrets(server_host):
    """`make tracking-server` without MLFLOW_FLASK_SERVER_SECRET_KEY or MLFLOW_AUTH_ADMIN_PASSWORD:
    one line naming both, and no server (an open one would let anyone move `champion`); an
    admin password shorter than MLflow's 12 characters is one line too, not its traceback."""
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if k not in SERVER_SECRETS}
    for missing in SERVER_SECRETS:
        given = environment | {k: v for k, v in SERVER_SECRETS.items() if k != missing}
        done = run_briefly(tracking_server_command(server_host, UNUSED_DB, port), server_host, given)
        assert done.returncode != 0
        errors = [line for line in done.stderr.splitlines() if line.startswith("ERROR:")]
        assert len(errors) == 1 and all(name in errors[0] for name in SERVER_SECRETS), done.stderr
        assert not healthy(f"http://127.0.0.1:{port}")
    short = environment | SERVER_SECRETS | {"MLFLOW_AUTH_ADMIN_PASSWORD": "elevenchars"}
    done = run_briefly(tracking_server_command(server_host, UNUSED_DB, port), server_host, short)
    errors = [line for line in done.stderr.splitlines() if line.startswith("ERROR:")]
    assert done.returncode != 0 and errors == [
        "ERROR: MLFLOW_AUTH_ADMIN_PASSWORD is too short; MLflow needs at least 12 characters"
    ], done.stderr


def stage_errors(done) -> list[str]:
    """The stage's own one-line errors (DVC adds its own 'failed to reproduce' line)."""
    return [line for line in (done.stdout + done.stderr).splitlines() if line.startswith("ERROR: MLflow at")]


def test_unchanged_project_reaches_the_server_with_a_users_credentials_and_stores_none(
    cookies, mlflow_server, server_host, admin_credentials, tmp_path, monkeypatch
):
    """MLFLOW_TRACKING_URI points an unchanged project at the team server. Without credentials, or
    with a wrong password, evaluate stops with one line naming the server and what to set, and
    nothing is registered; as a user the admin created (docs/team-server.md's way), the run and `champion`
    land. With AWS and MLflow credentials in the environment throughout, none of them is stored
    in any file, the git history, or any MLflow record or artifact; nor are the server's secrets
    in the project that hosts it (only a hash of the admin password, in its auth database)."""
    password = "ana-" + secrets.token_urlsafe(12)
    get_app_client("basic-auth", tracking_uri=mlflow_server).create_user(username="ana", password=password)
    credentials = fake_credentials()
    for variable, value in credentials.items():  # the bake too runs with them in its environment
        monkeypatch.setenv(variable, value)
    project = bake_ok(cookies, {"project_name": "Env Pointed"})
    clean = {k: v for k, v in project_env(project).items() if k not in CLIENT_CREDENTIALS}
    clean["MLFLOW_TRACKING_URI"] = mlflow_server
    ana = {"MLFLOW_TRACKING_USERNAME": "ana", "MLFLOW_TRACKING_PASSWORD": password}
    wrong = ana | {"MLFLOW_TRACKING_PASSWORD": "not-" + password}
    aws = {k: v for k, v in credentials.items() if k.startswith("AWS_")}

    nobody = run(["dvc", "repro"], project, env=clean | aws)
    mistyped = run(["dvc", "repro"], project, env=clean | credentials | wrong)
    for done in (nobody, mistyped):
        assert done.returncode != 0
        assert "Traceback" not in done.stdout + done.stderr
        assert len(stage_errors(done)) == 1 and mlflow_server in stage_errors(done)[0], done.stderr
    (line,) = stage_errors(nobody)
    assert "MLFLOW_TRACKING_USERNAME" in line and "MLFLOW_TRACKING_PASSWORD" in line
    (line,) = stage_errors(mistyped)
    assert "'ana'" in line and "MLFLOW_TRACKING_PASSWORD" in line and password not in line
    client = mlflow.MlflowClient(mlflow_server)  # as the admin
    assert client.get_experiment_by_name("env-pointed") is None
    assert client.search_registered_models("name = 'env_pointed_model'") == []
    assert (project / "models" / "model.pkl").exists(), "earlier stages' outputs are kept"

    done = run(["dvc", "repro"], project, env=clean | credentials | ana)
    assert done.returncode == 0, done.stderr
    experiment = client.get_experiment_by_name("env-pointed")
    (landed,) = client.search_runs([experiment.experiment_id])
    assert client.get_model_version_by_alias("env_pointed_model", "champion").run_id == landed.info.run_id

    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "first model")
    values = [*credentials.values(), password, wrong["MLFLOW_TRACKING_PASSWORD"], *SERVER_SECRETS.values()]
    assert leaks(project, mlflow_server, "env-pointed", "env_pointed_model", values, tmp_path / "scan") == []
    assert files_holding(server_host, list(SERVER_SECRETS.values())) == []
    # The scan can see: a value in a tag, and one in a file only the git history still holds.
    client.set_tag(landed.info.run_id, "planted", password)
    (project / "planted.txt").write_text(password)
    git(project, "add", "planted.txt")
    git(project, "commit", "--quiet", "-m", "planted")
    git(project, "rm", "--quiet", "planted.txt")
    assert git_objects_holding(project, [password]) == [f"git history: {password[:6]}..."]
    planted = mlflow_records_holding(mlflow_server, "env-pointed", "env_pointed_model", [password])
    assert planted == [f"MLflow run {landed.info.run_id}: {password[:6]}..."]


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


@pytest.fixture(scope="module")
def trained_not_evaluated(cookies_session) -> Path:
    """A default project with prepare and train done: each test below makes evaluate fail,
    which leaves it so (train's outputs as they were, nothing in dvc.lock for evaluate), so
    the two share one bake and one training."""
    project = bake_ok(cookies_session, {})
    dvc(project, "repro", "train")
    return project


@pytest.mark.xdist_group("unusable-server")
@pytest.mark.parametrize("kind", ["down", "refusing"])
def test_unusable_server_fails_fast_with_the_uri_and_no_traceback(trained_not_evaluated, refusing_server, kind):
    """Down or refusing: evaluate fails within 30 s, naming the URI, and no traceback."""
    project = trained_not_evaluated
    uri = closed_port_url() if kind == "down" else refusing_server
    started = time.monotonic()
    done = run(["dvc", "repro"], project, env=project_env(project) | {"MLFLOW_TRACKING_URI": uri})
    elapsed = time.monotonic() - started
    assert done.returncode != 0
    assert elapsed < 30, f"evaluate took {elapsed:.0f} s to give up"
    output = done.stdout + done.stderr
    assert f"ERROR: MLflow at {uri}" in output
    assert "Traceback" not in output
    assert os.path.exists(project / "models" / "model.pkl"), "earlier stages' outputs are kept"
