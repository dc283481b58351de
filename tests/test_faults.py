"""Slow tier: faults a user will meet, each provoked for real, and what is kept after each.

A stage killed (SIGKILL) mid-write or mid-registration; an MLflow store that is read-only,
locked, damaged, answering 500 or hanging; two `dvc repro` in one workspace; two
evaluations on different machines racing for `champion`.
"""

import contextlib
import os
import pickle
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import mlflow
import pandas as pd
import pytest
import yaml
from sklearn.dummy import DummyClassifier

from .conftest import bake_ok, git, run
from .test_pipeline import dvc, project_env

pytestmark = pytest.mark.slow
PACKAGE, MODEL = "car_origin_classifier", "car_origin_classifier_model"
# What a stage takes to start (imports of pandas, sklearn, mlflow) on a loaded 2-core machine.
STAGE_START_SECONDS = 25

# Imported by every Python process that has its folder on PYTHONPATH. In the stage named by
# KILL_STAGE it replaces KILL_AT (`module:attribute`, e.g. `os:replace`, or
# `module:Class.method`) with a real SIGKILL of the process, also for modules imported later.
SITECUSTOMIZE = """
import importlib.abc
import importlib.util
import os
import signal
import sys


def kill(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)


def patch(module, attribute):
    owner_path, _, name = attribute.rpartition(".")
    owner = module
    for part in filter(None, owner_path.split(".")):
        owner = getattr(owner, part)
    setattr(owner, name, kill)


class Arm(importlib.abc.MetaPathFinder):
    def __init__(self, module_name, attribute):
        self.module_name, self.attribute = module_name, attribute

    def find_spec(self, name, path, target=None):
        if name != self.module_name:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        run_module = spec.loader.exec_module

        def exec_module(module):
            run_module(module)
            patch(module, self.attribute)

        spec.loader.exec_module = exec_module
        return spec


at, stage = os.environ.get("KILL_AT", ""), os.environ.get("KILL_STAGE", "")
if at and any(arg.endswith(f".stages.{stage}") for arg in sys.orig_argv):
    module_name, _, attribute = at.partition(":")
    if module_name in sys.modules:
        patch(sys.modules[module_name], attribute)
    else:
        sys.meta_path.insert(0, Arm(module_name, attribute))
"""


def store(project: Path) -> mlflow.MlflowClient:
    return mlflow.MlflowClient(f"sqlite:///{project / 'mlflow.db'}")


def all_runs(project: Path) -> list:
    client = store(project)
    return client.search_runs([client.get_experiment_by_name(project.name).experiment_id])


def check_every_version_loads(project: Path) -> None:
    """No registered version points at missing or partial artifacts."""
    mlflow.set_tracking_uri(f"sqlite:///{project / 'mlflow.db'}")
    try:
        for version in store(project).search_model_versions(f"name = '{MODEL}'"):
            mlflow.sklearn.load_model(f"models:/{MODEL}/{version.version}")
    finally:
        mlflow.set_tracking_uri(None)


def killed(project: Path, stage: str, at: str, *repro: str) -> None:
    """Run `dvc repro *repro` with `stage` SIGKILLed at `at`; the kill must have happened."""
    killer = project.parent / "killer"
    killer.mkdir(exist_ok=True)
    (killer / "sitecustomize.py").write_text(SITECUSTOMIZE)
    env = project_env(project) | {"KILL_AT": at, "KILL_STAGE": stage}
    env["PYTHONPATH"] = f"{killer}{os.pathsep}{env['PYTHONPATH']}"
    done = run(["dvc", "repro", *repro], project, env=env)
    assert done.returncode != 0, f"{stage} was not killed at {at}:\n{done.stdout}{done.stderr}"


def check_recovers(project: Path) -> None:
    """A plain `dvc repro` completes, leaves `dvc status` clean and every registered
    version loadable, and no temporary file is among the outputs DVC tracks."""
    dvc(project, "repro")
    assert dvc(project, "status", "--json").strip() == "{}"
    check_every_version_loads(project)
    stages = yaml.safe_load((project / "dvc.lock").read_text())["stages"]
    outputs = [out["path"] for stage in stages.values() for out in stage.get("outs", [])]
    assert not [path for path in outputs if Path(path).name.startswith(".")]
    assert ".tmp" not in git(project, "status", "--porcelain"), "a killed write's leftover is ignored"


def killed_mid_write(project: Path, stage: str) -> None:
    """`stage` SIGKILLed at the atomic rename: its temporary file was written, not renamed."""
    killed(project, stage, "os:replace", "--force", "-s", stage)
    outs = yaml.safe_load((project / "dvc.yaml").read_text())["stages"][stage]["outs"]
    first = project / (outs[0] if isinstance(outs[0], str) else next(iter(outs[0])))
    assert list(first.parent.glob(f".{first.name}.*")), "the kill came before the write"


def running(project: Path) -> list[str]:
    return [r.info.run_id for r in all_runs(project) if r.info.status == "RUNNING"]


def test_killed_stages_recover_and_leave_no_running_run_or_broken_version(cookies):
    """SIGKILL in prepare and train mid-write (at the atomic rename, the temporary file
    written), in evaluate while MLflow copies the model's files, and after the version is
    registered but before `champion` is decided: each time the next plain `dvc repro`
    completes and every registered version loads; the next evaluation marks the killed
    run FAILED, and leaves another machine's RUNNING run alone."""
    project = bake_ok(cookies, {})
    dvc(project, "repro")
    killed_mid_write(project, "prepare")
    check_recovers(project)
    killed_mid_write(project, "train")
    check_recovers(project)

    copying = "mlflow.store.artifact.local_artifact_repo:LocalArtifactRepository.log_artifacts"
    killed(project, "evaluate", copying, "--force", "-s", "evaluate")
    (first,) = running(project)
    assert len(store(project).search_model_versions(f"name = '{MODEL}'")) == 1, "nothing registered"
    check_recovers(project)

    # A run another machine is still working on (its pid means nothing here) is left alone.
    client = store(project)
    gone = run([sys.executable, "-c", "import os; print(os.getpid())"], project).stdout.strip()
    experiment = client.get_experiment_by_name(project.name).experiment_id
    foreign = client.create_run(experiment, tags={"process.host": "another-machine", "process.pid": gone})
    params = project / "params.yaml"
    params.write_text(re.sub(r"(?m)^(  model: \S+\n  seed: )42$", r"\g<1>7", params.read_text()))
    killed(project, "evaluate", "mlflow.tracking.client:MlflowClient.get_model_version_by_alias")
    assert store(project).get_run(first).info.status == "FAILED", "marked by the next evaluation"
    (second,) = set(running(project)) - {foreign.info.run_id}
    assert len(store(project).search_model_versions(f"name = '{MODEL}'")) == 2, "registered before the kill"
    check_recovers(project)
    assert store(project).get_run(second).info.status == "FAILED"
    assert running(project) == [foreign.info.run_id]
    evaluated = [r for r in all_runs(project) if "registry.version" in r.data.tags]
    latest = max(evaluated, key=lambda r: r.info.start_time)
    assert latest.info.status == "FINISHED" and latest.data.tags["registry.version"] == "2"
    model = project / "models" / "model.pkl"
    assert not list(model.parent.glob(f".{model.name}.*")), "train's next run removes its killed write's leftover"


class Faulty(BaseHTTPRequestHandler):
    """A tracking server whose /health answers and whose API fails: 500, or no answer."""

    mode = "500"

    def do_GET(self):  # noqa: N802 - http.server's naming
        if self.path.startswith("/health"):
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"OK")
        elif self.mode == "500":
            self.send_response(500)
            self.end_headers()
        else:
            time.sleep(600)

    do_POST = do_GET

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def faulty_server(mode: str) -> Iterator[str]:
    handler = type(f"Faulty{mode}", (Faulty,), {"mode": mode})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def make_read_only(path: Path) -> bool:
    """Make `path` unwritable, also for root (which ignores file modes): the immutable flag."""
    if os.geteuid() != 0:
        path.chmod(0o444)
        return True
    return subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode == 0


def make_writable(path: Path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(path)], capture_output=True)
    path.chmod(0o644)


@contextlib.contextmanager
def sqlite_fault(database: Path, kind: str) -> Iterator[str]:
    uri = f"sqlite:///{database}"
    backup = database.with_suffix(".backup")
    shutil.copy2(database, backup)
    holder = None
    try:
        if kind == "read-only":
            if not make_read_only(database):
                pytest.skip("cannot make a file read-only for root here (no chattr +i)")
        elif kind == "locked":
            code = "import sqlite3, sys, time\ndb = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            code += "db.execute('BEGIN EXCLUSIVE')\nprint('locked', flush=True)\ntime.sleep(600)\n"
            holder = subprocess.Popen([sys.executable, "-c", code, str(database)], stdout=subprocess.PIPE, text=True)
            assert holder.stdout.readline().strip() == "locked"
        else:
            with open(database, "r+b") as stream:
                stream.write(b"this is no longer a SQLite file")
        yield uri
    finally:
        if holder is not None:
            holder.kill()
            holder.wait()
        make_writable(database)
        shutil.copy2(backup, database)
        backup.unlink()


def fingerprint(project: Path) -> dict[str, bytes]:
    """The bytes of the model and reports, and the DVC cache's file list."""
    files = ["models/model.pkl", "reports/metrics.json", "reports/predictions.csv"]
    kept = {name: (project / name).read_bytes() for name in files}
    kept["cache"] = "\n".join(sorted(str(p) for p in (project / ".dvc" / "cache").rglob("*"))).encode()
    return kept


# fault -> (limit in seconds after the stage has started, environment for the stage)
STORE_FAULTS = {
    "read-only": (5, {}),
    "locked": (5 + 5, {}),  # store.SQLITE_BUSY_TIMEOUT_SECONDS and the probe itself
    "corrupt": (5, {}),
    # MLFLOW_HTTP_REQUEST_MAX_RETRIES=2 and _BACKOFF_FACTOR=1: 1 s + 2 s between 3 tries.
    "answers 500": (3 + 5, {}),
    # Scaled down from the defaults (20 s x 3 tries, about 65 s): 3 s x 2 tries.
    "hangs": (2 * 3 + 5, {"MLFLOW_HTTP_REQUEST_TIMEOUT": "3", "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1",
                          "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "0"}),
}  # fmt: skip


def test_store_trouble_fails_fast_naming_the_store_and_keeps_outputs(cookies):
    """Read-only, locked or damaged SQLite file; a server answering 500 or never answering:
    evaluate stops within the stated limit with one `ERROR: MLflow at <uri>: ...` line and
    no traceback; the model, the reports and the DVC cache are as before; once the fault is
    gone a plain `dvc repro` completes."""
    project = bake_ok(cookies, {})
    dvc(project, "repro")
    before = fingerprint(project)
    database = project / "mlflow.db"
    for fault, (limit, extra_env) in STORE_FAULTS.items():
        if fault in ("answers 500", "hangs"):
            fault_context = faulty_server("500" if fault == "answers 500" else "hang")
        else:
            fault_context = sqlite_fault(database, fault)
        with fault_context as uri:
            env = project_env(project) | extra_env | {"MLFLOW_TRACKING_URI": uri}
            started = time.monotonic()
            done = run(["dvc", "repro", "--force", "-s", "evaluate"], project, env=env)
            elapsed = time.monotonic() - started
        output = done.stdout + done.stderr
        assert done.returncode != 0, f"{fault}: {output}"
        assert elapsed < STAGE_START_SECONDS + limit, f"{fault}: gave up after {elapsed:.0f} s"
        errors = [line for line in output.splitlines() if line.startswith(f"ERROR: MLflow at {uri}: ")]
        assert len(errors) == 1, f"{fault}: {output}"
        if uri.startswith("sqlite:"):
            assert str(database) in errors[0].removeprefix(f"ERROR: MLflow at {uri}: "), "names the file"
        assert "Traceback" not in output, f"{fault}: {output}"
        assert fingerprint(project) == before, f"{fault}: outputs or cache changed"
    runs_before = len(all_runs(project))
    dvc(project, "repro", "--force", "-s", "evaluate")
    assert dvc(project, "status", "--json").strip() == "{}"
    assert len(all_runs(project)) == runs_before + 1
    assert [r for r in all_runs(project) if r.info.status == "RUNNING"] == []


# Runs the evaluate stage as one of two machines would: its own lock file (the file lock
# does not span machines) and, after its first read of `champion`, a barrier: both have
# read before either moves the alias, and the worse one moves it only after the better one
# has finished.
RACER = """
import importlib, runpy, sys, time
from pathlib import Path

import mlflow

role, barrier, package = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
importlib.import_module(f"{package}.machinery.store").LOCK_FILE = f".mlflow.{role}.lock"
read = mlflow.MlflowClient.get_model_version_by_alias
first = [True]


def wait_for(name):
    deadline = time.monotonic() + 300
    while not (barrier / name).exists():
        if time.monotonic() > deadline:
            raise SystemExit(f"barrier: {name} never came")
        time.sleep(0.1)


def read_then_wait(self, *args, **kwargs):
    try:
        return read(self, *args, **kwargs)
    finally:
        if first:
            first.clear()
            (barrier / role).touch()
            wait_for("better")
            wait_for("worse")
            if role == "worse":
                wait_for("better.done")


mlflow.MlflowClient.get_model_version_by_alias = read_then_wait
sys.argv = ["evaluate", *sys.argv[4:]]
try:
    runpy.run_module(f"{package}.stages.evaluate", run_name="__main__")
finally:
    (barrier / f"{role}.done").touch()
"""


def evaluate_command(project: Path, model: str) -> list[str]:
    """The evaluate stage's arguments from dvc.yaml, with another model file."""
    command = yaml.safe_load((project / "dvc.yaml").read_text())["stages"]["evaluate"]["cmd"].split()
    arguments = command[command.index("-m") + 2 :]
    arguments[arguments.index("--model") + 1] = model
    return arguments


def worse_model(project: Path) -> Path:
    """A model that predicts the most frequent class: worse than the trained forest."""
    target = yaml.safe_load((project / "params.yaml").read_text())["data"]["target"]
    train_out = yaml.safe_load((project / "dvc.yaml").read_text())["stages"]["train"]["deps"][0]
    train = pd.read_parquet(project / train_out) if train_out.endswith(".parquet") else pd.read_csv(project / train_out)
    model = DummyClassifier(strategy="most_frequent").fit(train.drop(columns=[target]), train[target])
    path = project / "models" / "worse.pkl"
    path.write_bytes(pickle.dumps(model))
    return path


def test_concurrent_evaluations_leave_champion_on_the_best_and_dvc_lock_refuses_a_second_repro(cookies, tmp_path):
    """Two evaluations that each read `champion` before either moves it, the worse one
    finishing last (two machines: separate lock files, one store): the alias ends on the
    better version. Then two `dvc repro` at once: one refuses (DVC's lock) or waits, and
    afterwards `dvc status` is clean and another `dvc repro` does nothing."""
    project = bake_ok(cookies, {})
    dvc(project, "repro", "train")
    # The worse model predicts the majority class, which is what the gate's baseline does: off
    # with that rule, so both models reach the champion decision and race there.
    params = yaml.safe_load((project / "params.yaml").read_text())
    params["evaluate"]["gate"]["beat_baseline"] = False
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    opened = run([sys.executable, "-c", f"from {PACKAGE}.machinery.store import open_store; open_store()"], project,
                 env=project_env(project))  # fmt: skip
    assert opened.returncode == 0, opened.stderr
    racer = tmp_path / "racer.py"
    racer.write_text(RACER)
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    models = {"better": "models/model.pkl", "worse": str(worse_model(project).relative_to(project))}
    racers = {
        role: subprocess.Popen(
            [sys.executable, str(racer), role, str(barrier), PACKAGE, *evaluate_command(project, model)],
            cwd=project, env=project_env(project), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        for role, model in models.items()
    }  # fmt: skip
    for role, process in racers.items():
        output, _ = process.communicate(timeout=600)
        assert process.returncode == 0, f"{role}: {output}"
    client = store(project)
    by_path = {r.data.tags["lineage.model_path"]: r.data.tags["registry.version"] for r in all_runs(project)}
    champion = client.get_model_version_by_alias(MODEL, "champion")
    assert str(champion.version) == by_path[models["better"]], f"champion on {champion.version}, versions {by_path}"

    (project / "models" / "worse.pkl").unlink()
    repros = [subprocess.Popen(["dvc", "repro"], cwd=project, env=project_env(project), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)]  # fmt: skip
    time.sleep(1)
    repros.append(subprocess.Popen(["dvc", "repro"], cwd=project, env=project_env(project),
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))  # fmt: skip
    results = [(process.wait(timeout=600), process.stdout.read()) for process in repros]
    assert 0 in [code for code, _ in results], results
    assert not [output for _, output in results if "Traceback" in output], results
    assert dvc(project, "status", "--json").strip() == "{}"
    count = len(all_runs(project))
    dvc(project, "repro")
    assert len(all_runs(project)) == count, "an up-to-date pipeline logs no run"
