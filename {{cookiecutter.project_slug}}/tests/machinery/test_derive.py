"""Your own transformers (features.py's DERIVED_COLUMNS) inside the saved model, and the
sweep that follows the model params.yaml names.

Maintained by the template (arrives with `cruft update`).
"""

import io
import pickle

import pandas as pd
import pytest
from sklearn.base import BaseEstimator, TransformerMixin

from {{ cookiecutter.package_name }} import features
from {{ cookiecutter.package_name }}.machinery.model_registry import sweep_settings
from {{ cookiecutter.package_name }}.machinery.predict import input_columns
from {{ cookiecutter.package_name }}.models import MODELS
from {{ cookiecutter.package_name }}.stages.train import fit, serialize

from ..conftest import shipped_params
from ..test_stages import data_params, train_params


class SizeTimesWeight(TransformerMixin, BaseEstimator):
    """A derived column, as a user would write one in features.py."""

    def fit(self, rows, actual=None):
        return self

    def transform(self, rows):
        return rows.assign(size_times_weight=rows["size"] * rows["weight"])


@pytest.fixture
def derived(monkeypatch):
    monkeypatch.setattr(features, "DERIVED_COLUMNS", [("size_times_weight", SizeTimesWeight())])


def test_a_derived_column_is_learned_and_the_model_asks_only_for_raw_columns(derived, frame, task):
    model = fit(frame, data_params(task), train_params("hist_gradient_boosting"))
    assert input_columns(model) == ["size", "colour", "weight"]
    assert "size_times_weight" in features.numeric_inputs(model)


def test_the_saved_model_applies_the_derived_column_to_rows_as_read(derived, frame, task):
    data = data_params(task)
    model = pickle.loads(serialize(fit(frame, data, train_params("linear"))))
    rows = pd.read_csv(io.StringIO(frame.to_csv(index=False))).drop(columns=["label"])
    assert len(model.predict(rows)) == len(frame)
    with pytest.raises(KeyError):
        model.predict(rows.drop(columns=["size"]))


def test_without_derived_columns_the_model_is_as_before(frame, task):
    """No DERIVED_COLUMNS, no extra step: the model's first step is the preprocessing."""
    model = fit(frame, data_params(task), train_params("linear"))
    assert list(model.named_steps) == ["preprocess", "model"]


@pytest.mark.parametrize("model", MODELS)
def test_the_sweep_follows_the_model_params_yaml_names(model):
    params = shipped_params()
    params["train"]["model"] = model
    grid = sweep_settings(params)
    assert grid and all(setting.startswith(f"train.{model}.") for setting in grid)
    keys = {setting.split("=")[0].rsplit(".", 1)[1] for setting in grid}
    assert keys <= set(MODELS[model].params.model_fields)
