"""MLflow store resolution, the experiment's kind, run names and datasets, registration without
duplicates, and the champion alias.

Maintained by the template (arrives with `cruft update`).
"""

import json

import mlflow
import pytest
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INTERNAL_ERROR, PERMISSION_DENIED
from sklearn.dummy import DummyClassifier

from {{ cookiecutter.package_name }} import settings
from {{ cookiecutter.package_name }}.machinery import (
    champion,
    lineage,
    paths,
    registry,
    runs,
    store,
    tags,
)


def test_default_store_is_sqlite_at_the_dvc_root(tmp_path, monkeypatch):
    """Inside DVC (also in queued experiments' temp copies) the store is the main repo's."""
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("DVC_ROOT", str(tmp_path))
    monkeypatch.setattr(settings, "TRACKING_URI", "")
    assert store.tracking_uri() == f"sqlite:///{tmp_path.resolve() / 'mlflow.db'}"


def test_environment_variable_wins(monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://tracking.example:5000")
    assert store.tracking_uri() == "http://tracking.example:5000"


@pytest.mark.parametrize(
    ("candidate", "incumbent", "direction", "better"),
    [(0.9, 0.8, "maximize", True), (0.8, 0.9, "maximize", False), (0.8, 0.8, "maximize", False),
     (1.0, 2.0, "minimize", True), (2.0, 1.0, "minimize", False), (5.0, None, "minimize", True)],
)  # fmt: skip
def test_is_better(candidate, incumbent, direction, better):
    ranking = champion.Ranking("accuracy", direction, score=lambda uri: None)
    assert ranking.better(candidate, incumbent) is better


def test_flatten_nested_params():
    assert lineage.flatten({"train": {"seed": 1, "rf": {"depth": None}}}) == {
        "train.seed": 1,
        "train.rf.depth": None,
    }


def test_open_store_tags_the_experiment_as_model_training_once(store_dir):
    """A new experiment is tagged; an older one gets the tag; a kind chosen in the UI stays."""
    experiment = store.open_store().get_experiment_by_name(settings.EXPERIMENT_NAME)
    assert experiment.tags[tags.EXPERIMENT_KIND] == "custom_model_development"
    client = mlflow.MlflowClient()
    client.delete_experiment_tag(experiment.experiment_id, tags.EXPERIMENT_KIND)
    assert store.open_store().get_experiment(experiment.experiment_id).tags[tags.EXPERIMENT_KIND]
    client.set_experiment_tag(experiment.experiment_id, tags.EXPERIMENT_KIND, "genai_development")
    tagged = store.open_store().get_experiment(experiment.experiment_id)
    assert tagged.tags[tags.EXPERIMENT_KIND] == "genai_development"


class RefusingStore:
    """A store that refuses every tag with `code` (as a server does a user who may only read)."""

    def __init__(self, code: int):
        self.code = code

    def set_experiment_tag(self, *tag):
        raise MlflowException("refused", error_code=self.code)


def test_a_reader_leaves_an_untagged_experiment_and_other_refusals_fail():
    store.tag_kind(RefusingStore(PERMISSION_DENIED), "1")
    with pytest.raises(MlflowException):
        store.tag_kind(RefusingStore(INTERNAL_ERROR), "1")


@pytest.mark.parametrize(
    ("dirty", "experiment", "name"),
    [("false", None, "linear-0123456"), ("true", None, "linear-0123456-dirty"),
     ("true", "tiny-leaf", "tiny-leaf")],
)  # fmt: skip
def test_runs_are_named_by_the_dvc_experiment_or_model_and_commit(dirty, experiment, name):
    trail = {tags.GIT_COMMIT: "0123456789abcdef", tags.GIT_DIRTY: dirty}
    if experiment:
        trail[tags.EXPERIMENT_NAME] = experiment
    assert lineage.run_name({"train": {"model": "linear"}}, trail) == name


def test_runs_log_the_data_dvc_yaml_gives_train_and_evaluate(store_dir, monkeypatch):
    """The files after train's --train and evaluate's --test become the run's datasets, with
    their md5 from the lineage tags as digest; a file without an md5 is left out."""
    monkeypatch.chdir(store_dir)
    train = "python -m x.train --train data/a.parquet --model m.pkl"
    evaluate = ["python -m x.evaluate --model m.pkl", "--test data/b.parquet"]
    stages = {"train": {"cmd": train}, "evaluate": {"cmd": evaluate}}
    (store_dir / "dvc.yaml").write_text(json.dumps({"stages": stages}))
    store.open_store()
    with mlflow.start_run() as run:
        trail = {f"{tags.DATA_PREFIX}data/a.parquet": "a" * 32}
        runs.log_datasets(trail, paths.pipeline_stages())
    inputs = mlflow.get_run(run.info.run_id).inputs.dataset_inputs
    assert [(i.dataset.name, i.dataset.digest, i.tags[0].value) for i in inputs] == [
        ("a", "a" * 32, "training")
    ]
    assert json.loads(inputs[0].dataset.source) == {"uri": "data/a.parquet"}


def recorded_accuracy(client):
    """Scores a version by the accuracy its own run recorded, as if on the same rows."""

    def score(model_uri: str) -> float:
        version = client.get_model_version(registry.NAME, model_uri.rsplit("/", 1)[1])
        return client.get_run(version.run_id).data.metrics["accuracy"]

    return score


def log_version(client, score: float, md5: str, scorer=None):
    """One run with a tiny model, registered the way the evaluate stage does it."""
    with mlflow.start_run():
        mlflow.log_metric("accuracy", score)
        model = DummyClassifier().fit([[0], [1]], [0, 1])
        info = mlflow.sklearn.log_model(
            model,
            name="model",
            pip_requirements=["scikit-learn"],
            serialization_format="pickle",
        )
        version = registry.register(client, info.model_uri, md5)
        ranking = champion.Ranking("accuracy", "maximize", scorer or recorded_accuracy(client))
        return version, champion.promote_if_better(client, version, ranking, score).champion


def test_champion_moves_only_to_a_better_model(store_dir):
    client = store.open_store()
    first, first_is_champion = log_version(client, 0.7, "aaa")
    better, better_is_champion = log_version(client, 0.9, "bbb")
    worse, worse_is_champion = log_version(client, 0.8, "ccc")
    assert (first_is_champion, better_is_champion, worse_is_champion) == (True, True, False)
    assert registry.current_champion(client).version == better.version


def test_identical_model_bytes_reuse_their_version(store_dir):
    """Re-running identical lineage does not pile up duplicate registered versions."""
    client = store.open_store()
    first, _ = log_version(client, 0.7, "same-md5")
    again, _ = log_version(client, 0.7, "same-md5")
    assert again.version == first.version
    assert len(client.search_model_versions(f"name = '{registry.NAME}'")) == 1


def test_incumbent_is_scored_on_the_challengers_rows(store_dir):
    """The champion's value comes from scoring it on the same rows, not from its old run."""
    client = store.open_store()
    first, _ = log_version(client, 0.7, "aaa")
    scored = []

    def scorer(model_uri: str) -> float:
        scored.append(model_uri)
        return 0.95

    challenger, wins = log_version(client, 0.9, "bbb", scorer)
    assert not wins and scored == [f"models:/{registry.NAME}/{first.version}"]
    assert registry.current_champion(client).version == first.version


def test_an_incumbent_that_cannot_be_scored_gives_way_and_the_run_says_so(store_dir):
    client = store.open_store()
    first, _ = log_version(client, 0.7, "aaa")
    version = log_version(client, 0.6, "bbb")[0]
    decision = champion.promote_if_better(
        client, version, champion.Ranking("accuracy", "maximize", lambda uri: None), 0.6
    )
    assert decision.champion
    assert decision.tags() == {
        "registry.incumbent_version": str(first.version),
        "registry.incumbent_value": "not comparable",
    }
