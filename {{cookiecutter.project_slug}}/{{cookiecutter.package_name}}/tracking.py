"""The MLflow side of the pipeline: where the store is, what a run records, who is champion.

The default store is a SQLite file at the main repository's root. Stages find that root
through DVC_ROOT, which DVC sets for every stage, also inside the temporary copies that
`dvc exp run --queue` works in, so queued experiments land in the same store instead of
in a copy that is deleted afterwards. Creating the store, registering a version and
moving the `champion` alias happen under one file lock, so parallel workers neither race
in the schema migration nor overwrite each other's champion decision. The lock does not
reach other machines sharing a tracking server: the champion decision re-reads and
repeats until it is stable instead (promote_if_better).
"""

import hashlib
import json
import logging
import os
import platform
import socket
import sqlite3
import ssl
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import mlflow
from filelock import FileLock, Timeout
from mlflow.data.dataset_source_registry import get_dataset_source_from_json
from mlflow.data.meta_dataset import MetaDataset
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature
from mlflow.utils.credentials import get_default_host_creds
from mlflow.utils.rest_utils import MlflowHostCreds, http_request
from sqlalchemy.exc import SQLAlchemyError

from . import paths
from .files import md5_of

log = logging.getLogger(__name__)

CONFIGURED_TRACKING_URI = {{ cookiecutter.mlflow_tracking_uri | tojson }}
EXPERIMENT_NAME = {{ cookiecutter.project_slug | tojson }}
REGISTERED_MODEL_NAME = {{ cookiecutter.registered_model_name | tojson }}
CHAMPION_ALIAS = "champion"
# What `predict`, `monitor` and `make serve` use unless told otherwise.
CHAMPION_REF = f"models:/{REGISTERED_MODEL_NAME}@{CHAMPION_ALIAS}"
STORE_FILE = "mlflow.db"
ARTIFACT_DIR = "mlartifacts"
LOCK_FILE = ".mlflow.lock"
KEY_PACKAGES = ("scikit-learn", "pandas", "numpy", "mlflow", "dvc")
MODEL_REQUIREMENTS = ("scikit-learn", "pandas", "numpy")
DATA_TAG = "lineage.data_md5."
PACKAGE_TAG = "lineage.package."
# The experiment's kind: MLflow UIs that read it open the experiment on its training runs
# rather than on the GenAI traces view (3.17 follows its own GenAI / Model training switch).
KIND_TAG, KIND = "mlflow.experimentKind", "custom_model_development"
# The data a run was trained and tested on, by context: the file a dvc.yaml stage gets as
# an option. Logged as the run's MLflow datasets (the UI's Dataset column).
DATASET_OPTIONS = {"training": ("train", "train"), "testing": ("evaluate", "test")}
# A run made on uncommitted changes logs them as a patch on its commit, and the patch's md5.
CHANGES_ARTIFACT, CHANGES_TAG = "pipeline/uncommitted.patch", "lineage.uncommitted_md5"
# Which process on which machine a run belongs to: a run left RUNNING by a process that is
# gone (a killed stage) is marked FAILED by the next stage that opens the store there.
HOST_TAG, PID_TAG = "process.host", "process.pid"
# How long a stage waits for the SQLite store while another process holds its write lock:
# Python's sqlite3 default, which MLflow's own connections keep too.
SQLITE_BUSY_TIMEOUT_SECONDS = 5
# How long a stage waits for another local stage that is registering a model.
LOCK_TIMEOUT_SECONDS = 600
# Rounds of the champion decision before it settles for what it has (see promote_if_better).
CHAMPION_ROUNDS = 5
# A tracking server that is down must fail the stage in seconds, not after MLflow's default
# minutes of retries. Users can still raise these through the same environment variables.
SERVER_CHECK_TIMEOUT_SECONDS = 10
HTTP_DEFAULTS = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "20",
}
# Asked of an http(s) server before anything else: an API call that a server with MLflow's
# basic auth refuses without valid credentials (its /health answers everyone).
SERVER_PROBE = ("/api/2.0/mlflow/experiments/search", {"max_results": 1})
CREDENTIALS_HELP = (
    "export MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD "
    "(the server's admin creates your user; never commit them)"
)


class TrackingError(RuntimeError):
    """The MLflow store cannot be reached or refused a request."""


# What a failing store raises: ours, MLflow's, and SQLAlchemy's (a SQLite store mid-run).
STORE_ERRORS = (TrackingError, MlflowException, SQLAlchemyError)


def first_line(error: Exception) -> str:
    """An error's message cut to its first line, for one-line `ERROR:` output."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def project_root() -> Path:
    """The main repository's root: DVC_ROOT under DVC, else the nearest dir with dvc.yaml."""
    if os.environ.get("DVC_ROOT"):
        return Path(os.environ["DVC_ROOT"]).resolve()
    here = Path.cwd().resolve()
    return next((p for p in (here, *here.parents) if (p / "dvc.yaml").exists()), here)


def tracking_uri() -> str:
    """MLFLOW_TRACKING_URI if set, else the URI chosen at bake time, else the SQLite file."""
    configured = os.environ.get("MLFLOW_TRACKING_URI") or CONFIGURED_TRACKING_URI
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
    experiment_id = client.get_experiment_by_name(EXPERIMENT_NAME).experiment_id
    running = client.search_runs(
        [experiment_id], f"attributes.status = 'RUNNING' and tags.`{HOST_TAG}` = '{host}'"
    )
    for run in running:
        pid = run.data.tags.get(PID_TAG, "")
        if pid.isdigit() and not process_alive(int(pid)):
            client.set_terminated(run.info.run_id, "FAILED")
            log.warning(
                "MLflow run %s was left RUNNING by process %s, which is gone (killed?); "
                "marked FAILED", run.info.run_id, pid,
            )  # fmt: skip


def check_server(uri: str) -> None:
    """Raise TrackingError at once when an http(s) tracking server is down or refuses us.

    Credentials are MLflow's own (MLFLOW_TRACKING_USERNAME / _PASSWORD or _TOKEN, TLS
    settings such as MLFLOW_TRACKING_SERVER_CERT_PATH), so the probe sees what MLflow will.
    """
    if not uri.startswith(("http://", "https://")):
        return
    for variable, value in HTTP_DEFAULTS.items():
        os.environ.setdefault(variable, value)
    credentials = get_default_host_creds(uri)
    endpoint, query = SERVER_PROBE
    try:
        response = http_request(
            credentials,
            endpoint,
            "GET",
            params=query,
            timeout=SERVER_CHECK_TIMEOUT_SECONDS,
            max_retries=0,
            raise_on_status=False,
        )
    except MlflowException as error:
        raise TrackingError(
            f"MLflow tracking server {uri} is not reachable ({unreachable_reason(error)}); "
            "start it, or point MLFLOW_TRACKING_URI at a running one"
        ) from None
    if response.status_code in (401, 403):
        raise TrackingError(refusal(uri, response.status_code, credentials))
    # Any other answer: the server is up; a refusal surfaces from the API call itself.


def unreachable_reason(error: Exception) -> str:
    """The root cause of a failed request, in a few words: 'Connection refused', a timeout."""
    cause: BaseException = error
    while (cause.__cause__ or cause.__context__) is not None:
        cause = cause.__cause__ or cause.__context__
    if isinstance(cause, ssl.SSLError):
        return (
            f"{cause.strerror or cause}; for a self-signed certificate set "
            "MLFLOW_TRACKING_SERVER_CERT_PATH to its CA bundle"
        )
    if isinstance(cause, TimeoutError):
        return f"no answer within {SERVER_CHECK_TIMEOUT_SECONDS} s"
    return getattr(cause, "strerror", None) or first_line(cause)


def refusal(uri: str, status: int, credentials: MlflowHostCreds) -> str:
    """One line on why the server refused (401: who we are; 403: what we may do), and the fix."""
    user, password = credentials.username, credentials.password
    if status == 403 and user:
        return (
            f"MLflow tracking server {uri} denied user '{user}' access (403); ask its admin for "
            "permission on this project's experiment and model"
        )
    if status == 403:
        return f"MLflow tracking server {uri} denied access (403); {CREDENTIALS_HELP}"
    if user and password:
        return (
            f"MLflow tracking server {uri} refused the credentials for user '{user}' (401); "
            "check MLFLOW_TRACKING_PASSWORD, or ask the server's admin to reset it"
        )
    if user:
        return (
            f"MLflow tracking server {uri} needs a password for user '{user}' (401); "
            "export MLFLOW_TRACKING_PASSWORD (never commit it)"
        )
    if credentials.token:
        return (
            f"MLflow tracking server {uri} refused the token in MLFLOW_TRACKING_TOKEN (401); "
            f"{CREDENTIALS_HELP}"
        )
    return (
        f"MLflow tracking server {uri} needs credentials (401) and none are set; {CREDENTIALS_HELP}"
    )


def tag_kind(client: mlflow.MlflowClient, experiment_id: str) -> None:
    """Tag an experiment made before KIND_TAG was set; a user who may only read leaves it."""
    try:
        client.set_experiment_tag(experiment_id, KIND_TAG, KIND)
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
    tagging the experiment as model training (KIND_TAG) if it is not tagged yet."""
    uri = tracking_uri()
    check_server(uri)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    with store_lock():
        client = mlflow.MlflowClient(uri)
        experiment = client.get_experiment_by_name(EXPERIMENT_NAME)
        if experiment is None:
            create_experiment(client, EXPERIMENT_NAME, tags={KIND_TAG: KIND})
        elif KIND_TAG not in experiment.tags:  # older; a kind chosen in the UI stays
            tag_kind(client, experiment.experiment_id)
    mlflow.set_experiment(EXPERIMENT_NAME)
    return client


def flatten(params: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"train": {"seed": 1}} -> {"train.seed": 1}, the shape MLflow params take."""
    flat: dict[str, Any] = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def params_hash(params: Mapping[str, Any]) -> str:
    canonical = json.dumps(params, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def run_git(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """A git command's result; git missing from PATH reads as a failed command."""
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    except OSError as error:
        return subprocess.CompletedProcess(["git", *args], 127, "", f"cannot run git: {error}")


def git(*args: str) -> str | None:
    """Output of a git command in the working directory, or None outside a repository."""
    done = run_git(*args)
    return done.stdout.strip() if done.returncode == 0 else None


def uncommitted_changes(outputs: list[str]) -> bytes:
    """How tracked files differ from the commit (staged or not), as a patch `git apply` takes;
    empty when the workspace is clean. Pipeline `outputs` and dvc.lock do not count: the run
    rebuilds them. Files never `git add`ed are not in it."""
    excluded = [f":(exclude){path}" for path in (paths.DVC_LOCK.as_posix(), *outputs)]
    patch = ["git", "diff", "--binary", "--no-color", "--no-ext-diff", "HEAD"]
    try:
        done = subprocess.run([*patch, "--", ".", *excluded], capture_output=True, check=False)
    except OSError:
        return b""
    return done.stdout if done.returncode == 0 else b""


def package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def environment_tags() -> dict[str, str]:
    """The environment this process runs in, as lineage tags: Python, lock file, packages.

    Recorded with every run, and compared with the record by `reproduce`.
    """
    lock = paths.DEPENDENCY_LOCK
    tags = {
        "lineage.python": platform.python_version(),
        "lineage.lock_md5": md5_of(lock) if lock.exists() else "none",
    }
    for package in KEY_PACKAGES:
        tags[f"{PACKAGE_TAG}{package}"] = package_version(package)
    return tags


def is_environment_tag(key: str) -> bool:
    return key in ("lineage.python", "lineage.lock_md5") or key.startswith(PACKAGE_TAG)


def lineage_tags(
    params: Mapping[str, Any], model_file: Path, model_md5: str, declared: list[str], changes: bytes
) -> dict[str, str]:
    """Everything needed to rebuild this run: code (the commit and the md5 of the
    `changes` logged beside it), data, params, environment. `declared`: dvc.yaml's paths."""
    tags = {
        "lineage.git_commit": git("rev-parse", "HEAD") or "unknown",
        "lineage.git_dirty": str(bool(changes)).lower(),
        "lineage.params_hash": params_hash(params),
        "lineage.model_path": model_file.as_posix(),
        "lineage.model_md5": model_md5,
        **environment_tags(),
    }
    if changes:
        tags[CHANGES_TAG] = hashlib.md5(changes).hexdigest()
    for path in paths.data_files(declared):
        tags[f"{DATA_TAG}{path.as_posix()}"] = md5_of(path)
    for variable, tag in (
        ("DVC_EXP_NAME", "dvc.exp_name"),
        ("DVC_EXP_BASELINE_REV", "dvc.baseline_rev"),
    ):
        if os.environ.get(variable):
            tags[tag] = os.environ[variable]
    return tags


def run_name(params: Mapping[str, Any], lineage: Mapping[str, str]) -> str:
    """The DVC experiment's name for `dvc exp run`, else `<model>-<short commit>`, with
    `-dirty` when the run was made on uncommitted changes."""
    if "dvc.exp_name" in lineage:
        return lineage["dvc.exp_name"]
    model = params.get("train", {}).get("model", "model")
    dirty = "-dirty" if lineage["lineage.git_dirty"] == "true" else ""
    return f"{model}-{lineage['lineage.git_commit'][:7]}{dirty}"


def log_datasets(lineage: Mapping[str, str], stages: Mapping[str, dict]) -> None:
    """Log the run's training and test data (DATASET_OPTIONS) as MLflow datasets: named after
    the file, its DVC path as source and its DVC md5 (the lineage tag) as digest."""
    for context, (stage, option) in DATASET_OPTIONS.items():
        path = paths.cmd_options(stages.get(stage, {})).get(option)
        md5 = lineage.get(f"{DATA_TAG}{Path(path).as_posix()}") if path else None
        if md5:
            source = get_dataset_source_from_json(json.dumps({"uri": path}), source_type="local")
            mlflow.log_input(MetaDataset(source, name=Path(path).stem, digest=md5), context=context)


def signature_example(features: Any) -> Any:
    """A few rows for the logged model's signature, integer columns as floats.

    A served row may have a gap in a column that was all integers in training; as a float
    column in the signature, that row is still accepted (MLflow's own advice).
    """
    example = features.head(5)
    integers = example.select_dtypes(include="integer").columns
    return example.astype({column: "float64" for column in integers})


@dataclass(frozen=True)
class Ranking:
    """How `champion` is decided: a metric, whether higher or lower is better, and how to
    score the incumbent on the same rows as the challenger.

    `score` takes a model URI and returns the incumbent's value of `metric` on this run's
    test rows, or None when it cannot be scored there (other columns, another task). Without
    it, the value recorded on the incumbent's own run is used: that one may come from
    another test set or predate the metric, so evaluate always passes `score`.
    """

    metric: str
    direction: str
    score: Callable[[str], float | None] | None = None


def is_better(candidate: float, incumbent: float | None, direction: str) -> bool:
    """Whether `candidate` beats `incumbent` (None: there is no incumbent)."""
    if incumbent is None:
        return True
    return candidate > incumbent if direction == "maximize" else candidate < incumbent


def version_with_md5(client: mlflow.MlflowClient, model_md5: str) -> Any | None:
    """The registered version whose model file has these exact bytes, if there is one."""
    versions = client.search_model_versions(f"name = '{REGISTERED_MODEL_NAME}'")
    return next((v for v in versions if v.tags.get("model_md5") == model_md5), None)


def register(client: mlflow.MlflowClient, model_uri: str, model_md5: str) -> Any:
    """Register the model, unless a version with identical bytes already exists."""
    existing = version_with_md5(client, model_md5)
    if existing is not None:
        return existing
    return mlflow.register_model(model_uri, REGISTERED_MODEL_NAME, tags={"model_md5": model_md5})


def model_uri(ref: str) -> str:
    """The MLflow model URI of a REF: `models:/...` as it is, a run id as its logged model."""
    return ref if ref.startswith("models:/") else f"runs:/{ref}/model"


def current_champion(client: mlflow.MlflowClient) -> Any | None:
    try:
        return client.get_model_version_by_alias(REGISTERED_MODEL_NAME, CHAMPION_ALIAS)
    except MlflowException:
        return None


@dataclass(frozen=True)
class Decision:
    """The outcome for one version, and what it was compared with."""

    champion: bool
    incumbent_version: str | None = None
    incumbent_value: float | None = None

    def tags(self) -> dict[str, str]:
        if self.incumbent_version is None:
            return {}
        value = "not comparable" if self.incumbent_value is None else repr(self.incumbent_value)
        return {
            "registry.incumbent_version": str(self.incumbent_version),
            "registry.incumbent_value": value,
        }


def running_run_ids(client: mlflow.MlflowClient) -> set[str]:
    """Runs of our experiment still RUNNING: evaluations that may not have decided yet."""
    experiment = client.get_experiment_by_name(EXPERIMENT_NAME)
    if experiment is None:
        return set()
    running = client.search_runs([experiment.experiment_id], "attributes.status = 'RUNNING'")
    return {run.info.run_id for run in running}


def contenders(client: mlflow.MlflowClient, own: Any, newest: int) -> tuple[dict[str, Any], int]:
    """The versions `own` must be compared with besides the champion: itself, those whose
    evaluation is still running, and those registered after `newest`; and the newest now."""
    versions = client.search_model_versions(f"name = '{REGISTERED_MODEL_NAME}'")
    running = running_run_ids(client)
    chosen = {
        str(v.version): v
        for v in versions
        if str(v.version) == str(own.version) or v.run_id in running or int(v.version) > newest
    }
    return chosen, max((int(v.version) for v in versions), default=newest)


def promote_if_better(
    client: mlflow.MlflowClient, version: Any, ranking: Ranking, value: float
) -> Decision:
    """Move `champion` to the best of: its holder, `version`, and the versions registered by
    evaluations that overlap this one.

    The file lock serialises stages on one machine only. Evaluations on other machines
    may read the same champion and move the alias in between, so the decision repeats
    (re-reading the alias and the versions) until it finds the alias where it put it and
    no new contender: the last evaluation to finish leaves the alias on the best version.
    Every contender is scored on this run's test rows (`ranking.score`).
    """
    # Version numbers come back as int from some calls and str from others.
    own = str(version.version)
    scores: dict[str, float | None] = {own: value}

    def score(candidate: Any) -> float | None:
        number = str(candidate.version)
        if number not in scores:
            if ranking.score is not None:
                scores[number] = ranking.score(f"models:/{REGISTERED_MODEL_NAME}/{number}")
            else:
                scores[number] = client.get_run(candidate.run_id).data.metrics.get(ranking.metric)
        return scores[number]

    def same(one: Any, other: Any) -> bool:
        return one is not None and other is not None and str(one.version) == str(other.version)

    seen, newest = contenders(client, version, newest=2**62)
    first_holder = holder = current_champion(client)
    for _ in range(CHAMPION_ROUNDS):
        best, best_score = None, None
        others = sorted(seen.values(), key=lambda v: int(v.version))
        for candidate in ([holder] if holder is not None else []) + others:
            value_here = score(candidate)
            if value_here is not None and (
                best is None or is_better(value_here, best_score, ranking.direction)
            ):
                best, best_score = candidate, value_here
        if not same(holder, best):
            client.set_registered_model_alias(REGISTERED_MODEL_NAME, CHAMPION_ALIAS, best.version)
        now, _ = contenders(client, version, newest)
        holder = current_champion(client)
        if same(holder, best) and now.keys() <= seen.keys():
            break
        seen |= now
    else:
        log.warning(
            "the champion kept moving for %s rounds; left on version %s",
            CHAMPION_ROUNDS,
            best.version,
        )
    champion = same(best, version)
    if first_holder is None or same(first_holder, version):
        return Decision(champion=champion)
    return Decision(champion, str(first_holder.version), score(first_holder))


def model_requirements(extra: tuple[str, ...] = ()) -> list[str]:
    """Pinned requirements for the logged model; passing them skips MLflow's slow inference.

    `extra` is the chosen model's own packages (its `requirements` in models.py).
    """
    return [f"{name}=={package_version(name)}" for name in (*MODEL_REQUIREMENTS, *extra)]


@contextmanager
def requirements_trusted() -> Iterator[None]:
    """Skip MLflow's check that the logged model's requirements match this environment (run
    when it saves the model and again when it validates the input example): it maps every
    installed module to its package first, about 2 s each time. model_requirements pins them
    from this very environment, so the check cannot find a mismatch. Should MLflow rename
    what this replaces, the check simply runs again."""
    from mlflow.utils import requirements_utils

    check = getattr(requirements_utils, "_check_requirement_satisfied", None)
    if check is None:
        yield
        return
    requirements_utils._check_requirement_satisfied = lambda requirement: None
    try:
        yield
    finally:
        requirements_utils._check_requirement_satisfied = check


def log_bytes(content: bytes, artifact: str) -> None:
    """Log `content` as the active run's artifact at `artifact` (dir/name)."""
    folder, _, name = artifact.rpartition("/")
    with tempfile.TemporaryDirectory() as scratch:
        (Path(scratch) / name).write_bytes(content)
        mlflow.log_artifact(str(Path(scratch) / name), artifact_path=folder)


def abandon_run() -> None:
    """End the active run as FAILED, trying once and briefly: the store may be what failed.

    If even that fails, the run stays RUNNING until the next stage on this machine marks it
    FAILED (fail_abandoned_runs).
    """
    os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"
    timeout = int(
        os.environ.get("MLFLOW_HTTP_REQUEST_TIMEOUT")
        or HTTP_DEFAULTS["MLFLOW_HTTP_REQUEST_TIMEOUT"]
    )
    os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] = str(min(timeout, 5))
    with suppress(Exception):
        mlflow.end_run("FAILED")


def record_run(
    model: Any,
    features: Any,
    metrics: Mapping[str, float],
    params: Mapping[str, Any],
    ranking: Ranking,
    model_file: Path,
    artifacts: tuple[Path, ...],
    requirements: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Log one MLflow run for this pipeline execution, register the model, settle `champion`."""
    check_store(tracking_uri())
    client = open_store()
    fail_abandoned_runs(client)
    model_md5 = md5_of(model_file)
    example = signature_example(features)
    stages = paths.pipeline_stages()
    deps, outputs = paths.pipeline_files(stages)
    changes = uncommitted_changes(outputs)
    lineage = lineage_tags(params, model_file, model_md5, deps + outputs, changes)
    process = {HOST_TAG: socket.gethostname(), PID_TAG: str(os.getpid())}
    run = mlflow.start_run(run_name=run_name(params, lineage), tags=process)
    try:
        mlflow.log_params(flatten(params))
        mlflow.log_metrics(dict(metrics))
        mlflow.set_tags(lineage)
        log_datasets(lineage, stages)
        for path in artifacts:
            mlflow.log_artifact(str(path), artifact_path="pipeline")
        if changes:
            log_bytes(changes, CHANGES_ARTIFACT)
        with requirements_trusted():
            info = mlflow.sklearn.log_model(
                model,
                name="model",
                signature=infer_signature(example, model.predict(example)),
                input_example=example,
                pip_requirements=model_requirements(requirements),
                # The same format as models/model.pkl; skops would need every type whitelisted.
                serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_PICKLE,
            )
        with store_lock():
            version = register(client, info.model_uri, model_md5)
            decision = promote_if_better(client, version, ranking, metrics[ranking.metric])
        mlflow.set_tags(
            {
                "registry.version": version.version,
                "registry.champion": str(decision.champion).lower(),
                "registry.ranked_by": ranking.metric,
                **decision.tags(),
            }
        )
    except BaseException:
        abandon_run()
        raise
    mlflow.end_run()
    return {
        "run_id": run.info.run_id,
        "version": version.version,
        "champion": decision.champion,
        # An experiment's changes are meant to be uncommitted: only a plain run is told.
        "dirty": lineage["lineage.git_dirty"] == "true" and "dvc.exp_name" not in lineage,
    }
