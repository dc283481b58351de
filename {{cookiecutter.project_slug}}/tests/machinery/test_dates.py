"""Maintained by the template (arrives with `cruft update`).

Dates after training: `predict` refuses dates its model cannot read rather than scoring them
as gaps; `monitor` compares a date column by its season, so later years pass and another
season drifts; a column forced to be dates that holds none stops with one line.
"""

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.machinery.columns import date_formats, decide_kinds, input_kinds
from {{ cookiecutter.package_name }}.machinery.data import DataError
from {{ cookiecutter.package_name }}.machinery.monitor import PARAMS, compare
from {{ cookiecutter.package_name }}.machinery.params import DataParams, load_params
from {{ cookiecutter.package_name }}.machinery.predict import PredictError, check_dates
from {{ cookiecutter.package_name }}.stages.train import TrainParams, fit

from ..conftest import PROJECT, shipped_params

LIMITS = load_params(PARAMS, path=PROJECT / "params.yaml").monitor
DAYS = pd.date_range("2020-01-01", periods=730, freq="D")
TRAINING = pd.DataFrame(
    {
        "day": DAYS.strftime("%d/%m/%Y"),
        "label": np.where(DAYS.month.isin([6, 7, 8]), "summer", "other"),
    }
)


@pytest.fixture  # after conftest's no_derived_columns: this table has none of your columns
def model():
    data = DataParams(target="label", task="classification")
    train = TrainParams.model_validate(
        shipped_params()["train"] | {"model": "hist_gradient_boosting"}
    )
    return fit(TRAINING, data, train)


def drift_of(model, days: pd.DatetimeIndex) -> dict:
    batch = pd.DataFrame({"day": days.strftime("%d/%m/%Y")})
    return compare(TRAINING, batch, LIMITS, input_kinds(model), date_formats(model))["day"]


def test_the_model_knows_its_date_format(model):
    assert date_formats(model) == {"day": "%d/%m/%Y"}


def test_predict_refuses_dates_its_model_cannot_read(model):
    """ISO dates for a dd/mm/YYYY model would be gaps to it: one line naming column and format."""
    batch = pd.DataFrame({"day": ["2022-07-04", "2022-07-05", "05/07/2022"]})
    with pytest.raises(
        PredictError, match=r"column 'day' must hold dates the model reads \(%d/%m/%Y\), but 2 of 3"
    ):
        check_dates(batch, date_formats(model), "new.csv")
    check_dates(batch.tail(1), date_formats(model), "new.csv")  # its own format passes


def test_later_years_of_the_same_seasons_do_not_drift(model):
    found = drift_of(model, DAYS + pd.DateOffset(years=3))
    assert found["kind"] == "date" and not found["drifted"], found["reasons"]


def test_a_batch_of_one_season_drifts(model):
    found = drift_of(model, pd.date_range("2023-06-01", "2023-08-31", freq="D"))
    assert found["drifted"] and found["reasons"][0].startswith("day-of-year PSI"), found["reasons"]


def test_unreadable_dates_count_as_missing(model):
    found = compare(
        TRAINING,
        pd.DataFrame({"day": ["2023-07-04"] * 50}),
        LIMITS,
        input_kinds(model),
        date_formats(model),
    )["day"]
    assert found["missing_rate_batch"] == 1.0 and found["drifted"]


def test_a_column_forced_to_dates_that_holds_none_is_one_line():
    cities = pd.DataFrame({"city": ["Chicago", "Boston", "Denver", "Austin"] * 10})
    with pytest.raises(
        DataError, match="data.column_kinds makes 'city' a date, but 40 of 40 values"
    ):
        decide_kinds(cities, {"city": "date"})
