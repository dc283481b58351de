"""Maintained by the template (arrives with `cruft update`).

Where the MLflow store is, and opening it safely. The default store is a SQLite file at the
main repository's root. Stages find that root through DVC_ROOT, which DVC sets for every
stage, also inside the temporary copies that `dvc exp run --queue` works in, so queued
experiments land in the same store instead of in a copy that is deleted afterwards.
Creating the store and registry decisions happen under one file lock (store_lock), so
parallel workers neither race in the schema migration nor overwrite each other's champion.
"""

import logging
import os
import socket
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import mlflow
from filelock import FileLock, Timeout
from mlflow.exceptions import MlflowException

from .. import settings
from . import tags
from .failures import TrackingError
from .server import check_server

log = logging.getLogger(__name__)

STORE_FILE = "mlflow.db"
ARTIFACT_DIR = "mlartifacts"
LOCK_FILE = ".mlflow.lock"
# How long a stage waits for the SQLite store while another process holds its write lock:
# Python's sqlite3 default, which MLflow's own connections keep too.
SQLITE_BUSY_TIMEOUT_SECONDS = 5


# How long a stage waits for another local stage that is registering a model.
LOCK_TIMEOUT_SECONDS = 600


def project_root() -> Path:
    """The main repository's root: DVC_ROOT under DVC, else the nearest dir with dvc.yaml."""
    if os.environ.get("DVC_ROOT"):
        return Path(os.environ["DVC_ROOT"]).resolve()
    here = Path.cwd().resolve()
    return next((p for p in (here, *here.parents) if (p / "dvc.yaml").exists()), here)


def tracking_uri() -> str:
    """MLFLOW_TRACKING_URI if set, else the URI chosen at bake time, else the SQLite file."""
    configured = os.environ.get("MLFLOW_TRACKING_URI") or settings.TRACKING_URI
    return configured or f"sqlite:///{project_root() / STORE_FILE}"


@contextmanager
def store_lock() -> Iterator[None]:
    """Serialise store creation and registry decisions across parallel stage processes."""
    lock = project_root() / LOCK_FILE
    try:
        with FileLock(str(lock), timeout=LOCK_TIMEOUT_SECONDS):
            yield
    except Timeout:
        raise TrackingError(
            f"{lock} was held by another stage for {LOCK_TIMEOUT_SECONDS} s; if no stage is "
            "running (ps), delete the file and run again"
        ) from None


def sqlite_file(uri: str) -> Path | None:
    """The file behind a sqlite:/// URI, None for any other store."""
    if not uri.startswith("sqlite:///"):
        return None
    return Path(uri.removeprefix("sqlite:///").split("?")[0])


def check_store(uri: str) -> None:
    """Raise TrackingError within SQLITE_BUSY_TIMEOUT_SECONDS when a SQLite store cannot
    take a write: read-only, locked by another process, or not a database (damaged).

    It writes as MLflow would (a transaction, rolled back), so the stage stops before it
    logs half a run; a store that does not exist yet is MLflow's to create.
    """
    path = sqlite_file(uri)
    if path is None or not path.exists():
        return
    try:
        with closing(sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT_SECONDS)) as db:
            db.isolation_level = None
            (version,) = db.execute("PRAGMA user_version").fetchone()
            db.execute("BEGIN IMMEDIATE")
            db.execute(f"PRAGMA user_version = {int(version)}")
            db.execute("ROLLBACK")
    except sqlite3.Error as error:
        raise TrackingError(store_advice(path, error)) from None


def store_advice(path: Path, error: sqlite3.Error) -> str:
    """What went wrong with the SQLite store and what to do about it, in one line."""
    name = getattr(error, "sqlite_errorname", "")
    if name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH")):
        return (
            f"{path} is read-only ({error}); make it and its folder writable (chmod u+w; "
            "`chattr -i` if lsattr shows it immutable)"
        )
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return (
            f"{path} stayed locked by another process for {SQLITE_BUSY_TIMEOUT_SECONDS} s; "
            f"let it finish or stop it (`fuser {path}` names it), then run again"
        )
    return (
        f"{path} is not a usable SQLite database ({error}); it may be damaged: move it aside "
        "and restore a backup, or let the next run start a new, empty store"
    )


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def fail_abandoned_runs(client: mlflow.MlflowClient) -> None:
    """Mark FAILED the runs this machine left RUNNING in a process that is gone (killed).

    Runs of other machines are left alone: their processes cannot be seen from here.
    """
    host = socket.gethostname()
    experiment_id = client.get_experiment_by_name(settings.EXPERIMENT_NAME).experiment_id
    running = client.search_runs(
        [experiment_id], f"attributes.status = 'RUNNING' and tags.`{tags.HOST}` = '{host}'"
    )
    for run in running:
        pid = run.data.tags.get(tags.PID, "")
        if pid.isdigit() and not process_alive(int(pid)):
            client.set_terminated(run.info.run_id, "FAILED")
            log.warning(
                "MLflow run %s was left RUNNING by process %s, which is gone (killed?); "
                "marked FAILED", run.info.run_id, pid,
            )  # fmt: skip


def tag_kind(client: mlflow.MlflowClient, experiment_id: str) -> None:
    """Tag an experiment made before its kind was tagged; a user who may only read leaves it."""
    try:
        client.set_experiment_tag(experiment_id, tags.EXPERIMENT_KIND, tags.MODEL_TRAINING)
    except MlflowException as error:
        if error.error_code != "PERMISSION_DENIED":
            raise


def create_experiment(
    client: mlflow.MlflowClient, name: str, tags: dict[str, str] | None = None
) -> str:
    """Create experiment `name` (call under store_lock); with the SQLite store its artifacts
    go to ARTIFACT_DIR beside it, a server keeps its own artifact location."""
    local = tracking_uri().startswith("sqlite:")
    location = (project_root() / ARTIFACT_DIR).as_uri() if local else None
    return client.create_experiment(name, artifact_location=location, tags=tags)


def open_store() -> mlflow.MlflowClient:
    """Point MLflow at the store, creating its schema and our experiment exactly once, and
    tagging the experiment as model training (tags.EXPERIMENT_KIND) if it is not tagged yet."""
    uri = tracking_uri()
    check_server(uri)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    with store_lock():
        client = mlflow.MlflowClient(uri)
        experiment = client.get_experiment_by_name(settings.EXPERIMENT_NAME)
        if experiment is None:
            create_experiment(
                client, settings.EXPERIMENT_NAME, tags={tags.EXPERIMENT_KIND: tags.MODEL_TRAINING}
            )
        elif tags.EXPERIMENT_KIND not in experiment.tags:  # older; a kind chosen in the UI stays
            tag_kind(client, experiment.experiment_id)
    mlflow.set_experiment(settings.EXPERIMENT_NAME)
    return client
