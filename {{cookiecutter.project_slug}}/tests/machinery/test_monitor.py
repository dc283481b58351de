"""Drift statistics and monitor's decisions, on synthetic columns: no store, no DVC.

Maintained by the template (arrives with `cruft update`).
"""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.machinery.data import DataError
from {{ cookiecutter.package_name }}.machinery.drift import feature_drift, psi, reasons
from {{ cookiecutter.package_name }}.machinery.metric_registry import MAXIMIZE, MINIMIZE
from {{ cookiecutter.package_name }}.machinery.monitor import PARAMS, as_model_sees, summary, worsening
from {{ cookiecutter.package_name }}.machinery.params import load_params
from {{ cookiecutter.package_name }}.machinery.records import Record
from {{ cookiecutter.package_name }}.machinery.training_data import training_input

from ..conftest import PROJECT

LIMITS = load_params(PARAMS, path=PROJECT / "params.yaml").monitor


def numbers(rows: int = 500, shift: float = 0.0, seed: int = 0) -> pd.Series:
    return pd.Series(np.random.default_rng(seed).normal(loc=shift, size=rows))


def words(shares: dict[str, float], rows: int = 500, seed: int = 0) -> pd.Series:
    rng = np.random.default_rng(seed)
    return pd.Series(rng.choice(list(shares), p=list(shares.values()), size=rows)).astype(object)


def why(reference: pd.Series, current: pd.Series) -> list[str]:
    return reasons(feature_drift(reference, current, LIMITS.psi_bins), LIMITS)


def test_psi_of_identical_distributions_is_zero():
    assert psi(np.array([10, 20, 30]), np.array([1, 2, 3])) == pytest.approx(0.0)
    assert feature_drift(numbers(), numbers())["psi"] == pytest.approx(0.0)


def test_psi_stays_finite_with_an_empty_bin():
    assert 0 < psi(np.array([5, 5, 0]), np.array([0, 5, 5])) < np.inf


def test_a_sample_of_the_same_distribution_passes():
    assert why(numbers(seed=1), numbers(seed=2)) == []
    same = {"red": 0.5, "green": 0.3, "blue": 0.2}
    assert why(words(same, seed=1), words(same, seed=2)) == []


def test_a_small_batch_is_not_flagged_for_noise():
    """PSI of 20 rows is noisy; the test must also find the change significant."""
    assert why(numbers(seed=1), numbers(rows=20, seed=2)) == []


def test_a_shifted_numeric_column_drifts():
    found = feature_drift(numbers(seed=1), numbers(shift=1.0, seed=2), LIMITS.psi_bins)
    assert found["kind"] == "numeric" and found["p_value"] < LIMITS.p_value
    assert found["psi"] > LIMITS.psi
    assert why(numbers(seed=1), numbers(shift=1.0, seed=2))


def test_a_changed_categorical_column_drifts():
    before = words({"red": 0.5, "green": 0.3, "blue": 0.2}, seed=1)
    after = words({"red": 0.1, "green": 0.3, "blue": 0.2, "new": 0.4}, seed=2)
    assert feature_drift(before, after)["kind"] == "categorical"
    assert why(before, after)


def test_more_missing_values_drift():
    after = numbers(seed=2)
    after[::3] = np.nan
    assert why(numbers(seed=1), after) == ["missing 0% -> 33% (limit ±10%)"]


def test_an_all_missing_batch_column_has_no_test_but_drifts():
    found = feature_drift(numbers(), pd.Series([np.nan] * 10))
    assert found["p_value"] is None and found["psi"] is None
    assert why(numbers(), pd.Series([np.nan] * 10))


def test_text_in_a_numeric_column_is_a_gap_as_the_model_sees_it():
    reference = pd.DataFrame({"hp": [1.0, 2.0], "colour": ["red", "blue"]})
    batch = pd.DataFrame({"hp": ["3", "unknown"], "colour": ["red", "7"], "extra": [0, 0]})
    seen = as_model_sees(batch, reference, ["hp", "colour"])
    assert seen["hp"].tolist()[0] == 3.0 and np.isnan(seen["hp"].tolist()[1])
    assert seen["colour"].tolist() == ["red", "7"]


@pytest.mark.parametrize(
    ("now", "recorded", "direction", "expected"),
    [(0.8, 1.0, MAXIMIZE, 0.2), (1.2, 1.0, MAXIMIZE, -0.2), (1.5, 1.0, MINIMIZE, 0.5)],
)
def test_worsening_follows_the_metrics_direction(now, recorded, direction, expected):
    assert worsening(now, recorded, direction) == pytest.approx(expected)
    assert worsening(None, recorded, direction) is None


def record(tags: dict[str, str]) -> Record:
    run = SimpleNamespace(data=SimpleNamespace(tags=tags), info=SimpleNamespace(run_id="r1"))
    return Record(run, "r1")


STAGES = {
    "prepare": {"deps": ["data/raw/x.csv"], "outs": ["data/train.parquet"]},
    "train": {"deps": ["data/train.parquet", "pkg/train.py"], "outs": ["models/model.pkl"]},
}


def test_training_data_is_the_recorded_input_of_the_stage_that_writes_the_model():
    tags = {
        "lineage.model_path": "models/model.pkl",
        "lineage.data_md5.data/raw/x.csv": "a" * 32,
        "lineage.data_md5.data/train.parquet": "b" * 32,
    }
    assert training_input(record(tags), STAGES) == "data/train.parquet"


def test_a_run_without_that_record_is_one_clear_error():
    with pytest.raises(DataError, match="records no single data file"):
        training_input(record({"lineage.model_path": "models/model.pkl"}), STAGES)


def test_a_primary_metric_the_models_run_never_recorded_is_said_not_crashed_on(tmp_path):
    """After a metric is added and made primary, the old champion's run has no value for it:
    the summary says so (no drift, exit 0), instead of failing."""
    performance = {
        "primary_metric": "new_metric",
        "metrics": {"new_metric": 0.9},
        "recorded": {"new_metric": None},
        "worsening": None,
        "degraded": False,
    }
    report = {
        "model": {"version": "1"},
        "performance": performance,
        "drifted_features": [],
        "features": {"a": {}},
    }
    line = summary(report, tmp_path / "report.json")
    assert line.startswith("no drift") and "new_metric 0.9 on the batch vs none recorded" in line
