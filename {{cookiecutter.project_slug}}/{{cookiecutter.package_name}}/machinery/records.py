"""Maintained by the template (arrives with `cruft update`).

A run's record as MLflow holds it, found by any REF (a run id, `models:/<name>@<alias>`,
`models:/<name>/<version>`), and printed as an audit trail (`lineage REF`). reproduce,
monitor and training_data read runs through here.
"""

from dataclasses import dataclass

import mlflow
from mlflow.entities import Run
from mlflow.exceptions import MlflowException

from . import registry, tags
from .failures import first_line
from .lineage import environment_tags
from .store import tracking_uri


class ReproduceError(RuntimeError):
    """The record cannot be resolved, or the run cannot be rebuilt exactly."""


@dataclass(frozen=True)
class Record:
    """What MLflow holds about one run, in the shape reproduction needs."""

    run: Run
    ref: str

    @property
    def tags(self) -> dict[str, str]:
        return self.run.data.tags

    @property
    def commit(self) -> str:
        return self.tags.get(tags.GIT_COMMIT, "unknown")

    @property
    def data(self) -> dict[str, str]:
        prefix = tags.DATA_PREFIX
        return {k.removeprefix(prefix): v for k, v in self.tags.items() if k.startswith(prefix)}

    @property
    def environment(self) -> dict[str, str]:
        return readable_environment(self.tags)


def readable_environment(recorded: dict[str, str]) -> dict[str, str]:
    """Environment tags keyed by what they name: python, lock_md5, scikit-learn, ..."""
    return {
        key.removeprefix(tags.PACKAGE_PREFIX).removeprefix("lineage."): value
        for key, value in recorded.items()
        if tags.is_environment(key)
    }


def find_run(client: mlflow.MlflowClient, ref: str) -> Record:
    """A run id, `models:/<name>@<alias>` or `models:/<name>/<version>` -> its run's record."""
    try:
        if ref.startswith("models:/"):
            name, _, pointer = ref[len("models:/") :].rpartition("@")
            if name:
                version = client.get_model_version_by_alias(name, pointer)
            else:
                name, _, number = ref[len("models:/") :].rpartition("/")
                version = client.get_model_version(name, number)
            run_id = version.run_id
        else:
            run_id = ref
        run = client.get_run(run_id)
    except MlflowException as error:
        raise ReproduceError(f"{ref} not found in {tracking_uri()}: {first_line(error)}") from None
    if tags.GIT_COMMIT not in run.data.tags:
        raise ReproduceError(
            f"run {run.info.run_id} has no lineage tags; it was not made by this pipeline"
        )
    return Record(run, ref)


def environment_here(record: Record) -> dict[str, str]:
    """name -> this environment's value, for each environment entry the record has."""
    now = readable_environment(environment_tags())
    return {name: now.get(name, "unknown") for name in record.environment}


def environment_differences(record: Record) -> list[str]:
    here = environment_here(record)
    return [
        f"{name}: recorded {value}, here {here[name]}"
        for name, value in record.environment.items()
        if here[name] != value
    ]


def registry_entries(client: mlflow.MlflowClient, record: Record) -> list[str]:
    """`<name> version N (aliases: ...)` for each registered version made from this run."""
    name = registry.NAME
    run_id = record.run.info.run_id
    versions = client.search_model_versions(f"name = '{name}' and run_id = '{run_id}'")
    aliases = client.get_registered_model(name).aliases if versions else {}
    entries = []
    for version in versions:
        held = [alias for alias, number in aliases.items() if str(number) == str(version.version)]
        entries.append(
            f"{name} version {version.version}" + (f" (aliases: {', '.join(held)})" if held else "")
        )
    return entries


def section(title: str, items: list[str]) -> list[str]:
    return [f"{title}:", *(f"  {item}" for item in items or ["(none)"])]


def describe(client: mlflow.MlflowClient, record: Record) -> str:
    """The audit trail of one run, as lines a person can read and diff."""
    run, recorded = record.run, record.tags
    dirty = recorded.get(tags.GIT_DIRTY) == "true"
    dirty = f" + uncommitted changes ({tags.CHANGES_ARTIFACT})" if dirty else ""
    experiment = recorded.get(tags.EXPERIMENT_NAME, "-")
    baseline = recorded.get(tags.EXPERIMENT_BASELINE, "-")
    lines = [
        f"run: {run.info.run_id} ({run.info.run_name}, {run.info.status})",
        f"commit: {record.commit}{dirty}",
        f"experiment: {experiment} (baseline {baseline})",
        f"model md5: {recorded.get(tags.MODEL_MD5, 'unknown')}",
        *section("data", [f"{path} md5 {md5}" for path, md5 in sorted(record.data.items())]),
        *section("params", [f"{k} = {v}" for k, v in sorted(run.data.params.items())]),
        *section("metrics", [f"{k} = {v:.6g}" for k, v in sorted(run.data.metrics.items())]),
        *environment_section(record),
        *section("registry", registry_entries(client, record)),
    ]
    return "\n".join(lines)


def environment_section(record: Record) -> list[str]:
    """The recorded environment, each entry that differs here marked with today's value."""
    here = environment_here(record)
    differs = any(here[name] != value for name, value in record.environment.items())
    title = (
        "environment (differs from this one: `reproduce --isolated` rebuilds in the recorded one)"
        if differs
        else "environment (matches this one)"
    )
    items = [
        f"{name} {value}" + (f"  (here {here[name]})" if here[name] != value else "")
        for name, value in sorted(record.environment.items())
    ]
    return section(title, items)
