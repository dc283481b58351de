"""The promotion gate: the baseline, the floor and the minimum improvement, for metrics that
are better higher and lower; a model that fails stays registered with no alias.

Maintained by the template (arrives with `cruft update`).
"""

from types import SimpleNamespace

import mlflow
import pytest
from sklearn.dummy import DummyClassifier

from {{ cookiecutter.package_name }}.machinery import champion, gate, registry, runs, store, tags
from {{ cookiecutter.package_name }}.machinery.metric_registry import predict
from {{ cookiecutter.package_name }}.machinery.params import GateParams

from ..conftest import synthetic_frame

UP, DOWN = "maximize", "minimize"
# The primary metric's name per direction, as the verdict names it.
METRIC = {UP: "r2", DOWN: "rmse"}
MARGIN_KEY = "evaluate.gate.min_improvement"


def verdict(value, baseline, direction, task="regression", **gate_params) -> gate.Verdict:
    metric = METRIC[direction]
    return gate.check(value, metric, direction, {metric: baseline}, GateParams(**gate_params), task)


@pytest.mark.parametrize(
    ("value", "baseline", "direction", "rule"),
    [(0.6, 0.5, UP, "passed"), (0.4, 0.5, UP, "beat_baseline"), (0.5, 0.5, UP, "beat_baseline"),
     (40.0, 57.9, DOWN, "passed"), (58.1, 57.9, DOWN, "beat_baseline"),
     (57.9 + 1e-13, 57.9, DOWN, "beat_baseline"), (58.1, None, DOWN, "passed")],
)  # fmt: skip
def test_a_model_must_beat_the_baseline_on_the_same_rows(value, baseline, direction, rule):
    """Higher or lower is better as the metric says; a tie (float noise included) is not a
    win; a baseline the rows cannot score (None) is no rule."""
    assert verdict(value, baseline, direction).rule == rule


def test_the_baseline_rule_can_be_turned_off_and_names_the_baseline():
    assert verdict(58.1, 57.9, DOWN, beat_baseline=False).passed
    refused = verdict(58.1, 57.9, DOWN)
    assert refused.reason == "it does not beat the baseline (DummyRegressor, mean: rmse 57.9)"
    assert refused.baseline_value == 57.9
    named = verdict(0.4, 0.5, UP, task="classification").reason
    assert "(DummyClassifier, prior: r2 0.5)" in named


@pytest.mark.parametrize(
    ("value", "floor", "direction", "rule"),
    [(0.8, 0.7, UP, "passed"), (0.7, 0.7, UP, "passed"), (0.69, 0.7, UP, "min_value"),
     (40.0, 50.0, DOWN, "passed"), (50.0, 50.0, DOWN, "passed"), (50.5, 50.0, DOWN, "min_value")],
)  # fmt: skip
def test_min_value_is_a_floor_or_for_a_metric_to_minimize_a_ceiling(value, floor, direction, rule):
    """Reaching the bound passes; the baseline (far behind here) is beaten either way."""
    baseline = -100.0 if direction == UP else 1000.0
    assert verdict(value, baseline, direction, min_value=floor).rule == rule


def test_min_value_says_the_bound_in_the_metrics_direction():
    assert verdict(50.5, 1000.0, DOWN, min_value=50).reason == (
        "it does not reach evaluate.gate.min_value (rmse at most 50)"
    )
    assert "(r2 at least 0.7)" in verdict(0.6, -1.0, UP, min_value=0.7).reason


def test_the_baseline_ignores_the_features_and_learns_only_the_training_target(task):
    """Class priors or the mean of the training rows, scored with every metric of the task."""
    train, test = synthetic_frame(task, seed=1), synthetic_frame(task, rows=30, seed=2)
    scored = predict(DummyClassifier().fit([[0]], [0]), test.drop(columns="label"), test["label"])
    metrics = gate.baseline_metrics(train["label"], scored, task)
    if task == "classification":
        majority = train["label"].value_counts().idxmax()
        assert metrics["accuracy"] == pytest.approx((test["label"] == majority).mean())
        assert metrics["roc_auc"] == pytest.approx(0.5)
    else:
        error = ((test["label"] - train["label"].mean()) ** 2).mean() ** 0.5
        assert metrics["rmse"] == pytest.approx(error)
        assert metrics["r2"] < 0


def register(client, value: float, md5: str, gate_rule: str = "passed", nested: bool = False):
    """A run logging `score` = value, its version registered with the gate's tag."""
    with mlflow.start_run(nested=nested):
        return register_in_run(client, value, md5, gate_rule)


def register_in_run(client, value: float, md5: str, gate_rule: str):
    """A version of no model at all (these decisions read the runs' values, never a model):
    logging a real one would take seconds a version."""
    mlflow.log_metric("score", value)
    if not client.search_registered_models(f"name = '{registry.NAME}'"):
        client.create_registered_model(registry.NAME)
    source, run_id = mlflow.get_artifact_uri("model"), mlflow.active_run().info.run_id
    labels = {tags.VERSION_MODEL_MD5: md5, tags.GATE: gate_rule}
    return client.create_model_version(registry.NAME, source, run_id=run_id, tags=labels)


def ranking(client, direction: str, margin: float = 0.0) -> champion.Ranking:
    """Scores a version by the value its own run recorded, as if on the same rows."""

    def score(model_uri: str) -> float:
        version = client.get_model_version(registry.NAME, model_uri.rsplit("/", 1)[1])
        return client.get_run(version.run_id).data.metrics["score"]

    return champion.Ranking("score", direction, score, margin)


def contest(client, values, direction, margin=0.0):
    """Register a version per value in turn, each promoted if better; the decisions."""
    decisions = []
    for number, value in enumerate(values):
        version = register(client, value, f"md5-{number}")
        rule = ranking(client, direction, margin)
        decisions.append(champion.promote_if_better(client, version, rule, value))
    return decisions


@pytest.mark.parametrize(
    ("direction", "values", "moved"),
    [(UP, (0.80, 0.83, 0.90), (True, False, True)),
     (DOWN, (50.0, 48.0, 44.0), (True, False, True))],
)  # fmt: skip
def test_a_challenger_must_beat_the_champion_by_min_improvement(
    store_dir, direction, values, moved
):
    """0.05 (r2) or 5 (rmse) better takes the alias; better by less leaves it, and says by how
    much it fell short."""
    client = store.open_store()
    margin = 0.05 if direction == UP else 5.0
    decisions = contest(client, values, direction, margin)
    assert tuple(d.champion for d in decisions) == moved
    assert decisions[1].short_of == margin and decisions[2].short_of is None
    passed = verdict(values[1], 0.0 if direction == UP else 1000.0, direction)
    assert runs.gate_tags(passed, decisions[1])[tags.GATE] == "min_improvement"  # on its run
    assert runs.gate_tags(passed)[tags.GATE] == runs.gate_tags(passed, decisions[2])[tags.GATE]
    assert runs.gate_tags(passed)[tags.GATE] == "passed"  # on its version, and on the winner's
    assert str(registry.current_champion(client).version) == "3"
    line = champion.explain(decisions[1], SimpleNamespace(version=2), "score", values[1])
    assert line.startswith("version 2 (score ") and "beats champion version 1" in line
    gain = abs(values[1] - values[0])
    assert line.endswith(f"by {gain:.4g}, less than {MARGIN_KEY} {margin:.4g}")


def test_without_a_margin_any_improvement_takes_the_alias(store_dir):
    decisions = contest(store.open_store(), (50.0, 49.9), DOWN)
    assert [d.champion for d in decisions] == [True, True]


@pytest.mark.parametrize(("rival_gate", "rival_wins"), [("passed", True), ("beat_baseline", False)])
def test_a_version_that_failed_the_gate_is_never_a_rival(store_dir, rival_gate, rival_wins):
    """Another machine's evaluation still running (a rival of this one) is crowned when it
    scores best, but not when its model failed its gate."""
    client = store.open_store()
    with mlflow.start_run():  # the other machine's run, still RUNNING during our decision
        rival = register_in_run(client, 0.99, "rival", rival_gate)
        own = register(client, 0.7, "own", nested=True)
        decision = champion.promote_if_better(client, own, ranking(client, UP), 0.7)
    assert decision.champion is not rival_wins
    winner = rival if rival_wins else own
    assert str(registry.current_champion(client).version) == str(winner.version)


def test_a_version_that_fails_the_gate_stays_registered_without_alias(store_dir):
    """No champion before or after; its gate tags are on the version, even one reused."""
    client = store.open_store()
    version = register(client, 58.1, "worse", gate_rule="beat_baseline")
    refused = verdict(58.1, 57.9, DOWN)
    decision = runs.settle(client, version, ranking(client, DOWN), 58.1, refused)
    assert not decision.champion and registry.current_champion(client) is None
    stored = client.get_model_version(registry.NAME, version.version)
    assert not stored.aliases
    assert stored.tags[tags.GATE] == "beat_baseline"
    assert float(stored.tags[tags.BASELINE_VALUE]) == pytest.approx(57.9)
    passed = verdict(58.1, 60.0, DOWN)  # the same bytes, now past a weaker baseline
    assert runs.settle(client, stored, ranking(client, DOWN), 58.1, passed).champion
    assert client.get_model_version(registry.NAME, version.version).tags[tags.GATE] == "passed"
