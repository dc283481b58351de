"""The MLflow side of the pipeline: where the store is, what a run records, who is champion.

The default store is a SQLite file at the main repository's root. Stages find that root
through DVC_ROOT, which DVC sets for every stage, also inside the temporary copies that
`dvc exp run --queue` works in, so queued experiments land in the same store instead of
in a copy that is deleted afterwards. Creating the store, registering a version and
moving the `champion` alias happen under one file lock, so parallel workers neither race
in the schema migration nor overwrite each other's champion decision.
"""

import hashlib
import json
import os
import platform
import subprocess
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import mlflow
from filelock import FileLock
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature

from . import paths
from .files import md5_of

CONFIGURED_TRACKING_URI = {{ cookiecutter.mlflow_tracking_uri | tojson }}
EXPERIMENT_NAME = {{ cookiecutter.project_slug | tojson }}
REGISTERED_MODEL_NAME = {{ cookiecutter.registered_model_name | tojson }}
CHAMPION_ALIAS = "champion"
STORE_FILE = "mlflow.db"
ARTIFACT_DIR = "mlartifacts"
LOCK_FILE = ".mlflow.lock"
KEY_PACKAGES = ("scikit-learn", "pandas", "numpy", "mlflow", "dvc")
MODEL_REQUIREMENTS = ("scikit-learn", "pandas", "numpy")
DATA_TAG = "lineage.data_md5."
PACKAGE_TAG = "lineage.package."
# A tracking server that is down must fail the stage in seconds, not after MLflow's default
# minutes of retries. Users can still raise these through the same environment variables.
SERVER_CHECK_TIMEOUT_SECONDS = 10
HTTP_DEFAULTS = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "20",
}


class TrackingError(RuntimeError):
    """The MLflow store cannot be reached or refused a request."""


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
    with FileLock(str(project_root() / LOCK_FILE), timeout=600):
        yield


def check_server(uri: str) -> None:
    """Raise TrackingError at once when an http(s) tracking server does not answer."""
    if not uri.startswith(("http://", "https://")):
        return
    for variable, value in HTTP_DEFAULTS.items():
        os.environ.setdefault(variable, value)
    try:
        urllib.request.urlopen(f"{uri.rstrip('/')}/health", timeout=SERVER_CHECK_TIMEOUT_SECONDS)
    except urllib.error.HTTPError:
        return  # it answered; a refusal surfaces from the API call itself
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise TrackingError(
            f"MLflow tracking server {uri} is not reachable ({reason}); start it, or point "
            "MLFLOW_TRACKING_URI at a running one"
        ) from None


def open_store() -> mlflow.MlflowClient:
    """Point MLflow at the store, creating its schema and our experiment exactly once."""
    uri = tracking_uri()
    check_server(uri)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    with store_lock():
        client = mlflow.MlflowClient(uri)
        if client.get_experiment_by_name(EXPERIMENT_NAME) is None:
            artifacts = project_root() / ARTIFACT_DIR
            location = artifacts.as_uri() if uri.startswith("sqlite:") else None
            client.create_experiment(EXPERIMENT_NAME, artifact_location=location)
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


def git_dirty(outputs: list[str]) -> bool:
    """True when tracked source differs from the commit; pipeline `outputs` do not count."""
    excluded = [f":(exclude){path}" for path in (paths.DVC_LOCK.as_posix(), *outputs)]
    changes = git("status", "--porcelain", "--untracked-files=no", "--", ".", *excluded)
    return bool(changes)


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


def lineage_tags(params: Mapping[str, Any], model_file: Path, model_md5: str) -> dict[str, str]:
    """Everything needed to rebuild this run: code, data, params, environment."""
    deps, outputs = paths.pipeline_files()
    tags = {
        "lineage.git_commit": git("rev-parse", "HEAD") or "unknown",
        "lineage.git_dirty": str(git_dirty(outputs)).lower(),
        "lineage.params_hash": params_hash(params),
        "lineage.model_path": model_file.as_posix(),
        "lineage.model_md5": model_md5,
        **environment_tags(),
    }
    for path in paths.data_files(deps + outputs):
        tags[f"{DATA_TAG}{path.as_posix()}"] = md5_of(path)
    for variable, tag in (
        ("DVC_EXP_NAME", "dvc.exp_name"),
        ("DVC_EXP_BASELINE_REV", "dvc.baseline_rev"),
    ):
        if os.environ.get(variable):
            tags[tag] = os.environ[variable]
    return tags


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


def promote_if_better(
    client: mlflow.MlflowClient, version: Any, ranking: Ranking, value: float
) -> Decision:
    """Move `champion` to `version` when its metric beats the champion's."""
    champion = current_champion(client)
    if champion is not None and champion.version == version.version:
        return Decision(champion=True)
    decision = Decision(champion=True)
    if champion is not None:
        if ranking.score is not None:
            incumbent = ranking.score(f"models:/{REGISTERED_MODEL_NAME}/{champion.version}")
        else:
            incumbent = client.get_run(champion.run_id).data.metrics.get(ranking.metric)
        better = is_better(value, incumbent, ranking.direction)
        decision = Decision(better, champion.version, incumbent)
    if decision.champion:
        client.set_registered_model_alias(REGISTERED_MODEL_NAME, CHAMPION_ALIAS, version.version)
    return decision


def model_requirements(extra: tuple[str, ...] = ()) -> list[str]:
    """Pinned requirements for the logged model; passing them skips MLflow's slow inference.

    `extra` is the chosen model's own packages (its `requirements` in models.py).
    """
    return [f"{name}=={package_version(name)}" for name in (*MODEL_REQUIREMENTS, *extra)]


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
    client = open_store()
    model_md5 = md5_of(model_file)
    example = signature_example(features)
    with mlflow.start_run(run_name=os.environ.get("DVC_EXP_NAME")) as run:
        mlflow.log_params(flatten(params))
        mlflow.log_metrics(dict(metrics))
        mlflow.set_tags(lineage_tags(params, model_file, model_md5))
        for path in artifacts:
            mlflow.log_artifact(str(path), artifact_path="pipeline")
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
    return {"run_id": run.info.run_id, "version": version.version, "champion": decision.champion}
