"""The stage functions: split, fit and score behave the same on any tabular data."""

import pytest

from {{ cookiecutter.package_name }}.params import MODELS, TASK_METRICS, ParamsError, load_params
from {{ cookiecutter.package_name }}.stages.evaluate import prediction_table, score
from {{ cookiecutter.package_name }}.stages.prepare import check_target, drop_missing_target, split
from {{ cookiecutter.package_name }}.stages.train import features_and_target, fit, serialize

from .conftest import synthetic_frame
from .test_params import PROJECT


def train_params(model: str) -> dict:
    params = load_params("train", path=PROJECT / "params.yaml")["train"]
    return {**params, "model": model}


def test_split_is_reproducible_and_disjoint(frame, task):
    first_train, first_test = split(frame, "label", task, 0.25, seed=3)
    again_train, again_test = split(frame, "label", task, 0.25, seed=3)
    assert first_train.equals(again_train) and first_test.equals(again_test)
    assert len(first_train) + len(first_test) == len(frame)
    assert len(first_test) == 15


def test_classification_split_keeps_every_class_in_both_halves():
    frame = synthetic_frame("classification")
    train, test = split(frame, "label", "classification", 0.25, seed=0)
    assert set(train["label"]) == set(test["label"]) == set(frame["label"])


def test_rows_without_target_are_dropped(frame):
    frame.loc[[0, 1], "label"] = None
    assert len(drop_missing_target(frame, "label")) == len(frame) - 2


def test_missing_target_column_is_named(frame, task):
    with pytest.raises(ParamsError, match="'price' is not a column"):
        check_target(frame, "price", task)


def test_regression_needs_a_numeric_target(frame):
    frame["label"] = "text"
    with pytest.raises(ParamsError, match="not numeric"):
        check_target(frame, "label", "regression")


@pytest.mark.parametrize("model", MODELS)
def test_every_model_fits_text_and_missing_values(frame, task, model):
    """Each model trains on numeric + text columns with gaps and scores the task's metrics."""
    train, test = split(frame, "label", task, 0.25, seed=0)
    fitted = fit(train, "label", task, train_params(model))
    features, actual = features_and_target(test, "label")
    metrics = score(fitted, features, actual, task)
    assert set(metrics) == set(TASK_METRICS[task])
    assert len(prediction_table(fitted, features, actual)) == len(test)


def test_same_inputs_give_byte_identical_model(frame, task):
    """Training is seeded: rerunning it produces the same model file, byte for byte."""
    params = train_params("random_forest")
    assert serialize(fit(frame, "label", task, params)) == serialize(
        fit(frame, "label", task, params)
    )
