"""Maintained by the template (arrives with `cruft update`).

The MLflow model registry as this project uses it: one registered model (settings.py names
it), one version per distinct model file (found again by its md5), and the `champion` alias
on the best version (champion.py decides which).
"""

from typing import Any

import mlflow
from mlflow.exceptions import MlflowException

from .. import settings
from . import tags

NAME = settings.REGISTERED_MODEL_NAME
# What `predict`, `monitor` and `make serve` use unless told otherwise.
CHAMPION_REF = f"models:/{NAME}@{settings.CHAMPION_ALIAS}"


def versions(client: mlflow.MlflowClient) -> list[Any]:
    return client.search_model_versions(f"name = '{NAME}'")


def version_with_md5(client: mlflow.MlflowClient, model_md5: str) -> Any | None:
    """The registered version whose model file has these exact bytes, if there is one."""
    return next(
        (v for v in versions(client) if v.tags.get(tags.VERSION_MODEL_MD5) == model_md5), None
    )


def register(
    client: mlflow.MlflowClient,
    model_uri: str,
    model_md5: str,
    lineage: dict[str, str] | None = None,
    summary: str = "",
) -> Any:
    """Register the model with its `lineage` tags and a one-line `summary` as description,
    unless a version with identical bytes already exists (it keeps its first run's)."""
    existing = version_with_md5(client, model_md5)
    if existing is not None:
        return existing
    version = mlflow.register_model(
        model_uri, NAME, tags={tags.VERSION_MODEL_MD5: model_md5, **(lineage or {})}
    )
    if summary:
        client.update_model_version(NAME, version.version, description=summary)
    return version


def model_uri(ref: str) -> str:
    """The MLflow model URI of a REF: `models:/...` as it is, a run id as its logged model."""
    return ref if ref.startswith("models:/") else f"runs:/{ref}/model"


def version_uri(number: Any) -> str:
    return f"models:/{NAME}/{number}"


def current_champion(client: mlflow.MlflowClient) -> Any | None:
    try:
        return client.get_model_version_by_alias(NAME, settings.CHAMPION_ALIAS)
    except MlflowException:
        return None


def crown(client: mlflow.MlflowClient, version: Any) -> None:
    client.set_registered_model_alias(NAME, settings.CHAMPION_ALIAS, version.version)


def running_run_ids(client: mlflow.MlflowClient) -> set[str]:
    """Runs of our experiment still RUNNING: evaluations that may not have decided yet."""
    experiment = client.get_experiment_by_name(settings.EXPERIMENT_NAME)
    if experiment is None:
        return set()
    running = client.search_runs([experiment.experiment_id], "attributes.status = 'RUNNING'")
    return {run.info.run_id for run in running}
