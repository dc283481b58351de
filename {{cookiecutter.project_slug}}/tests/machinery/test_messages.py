"""Files of one column for a model of one input, and messages that stay one short line
however long the list they name. Real Pipelines and files; no store, no DVC.

Maintained by the template (arrives with `cruft update`).
"""

import logging
import math

import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from {{ cookiecutter.package_name }}.machinery.files import write_json_atomic
from {{ cookiecutter.package_name }}.machinery.monitor import read_batch, summary
from {{ cookiecutter.package_name }}.machinery.predict import PredictError, check_columns, scored_chunks
from {{ cookiecutter.package_name }}.machinery.table_format import listed

WORDS = ["great", "awful", "fine", "broken", "superb", "meh"]


def fitted(columns: list[str]) -> Pipeline:
    """A Pipeline of the template's shape on `columns`, each a column of words."""
    rows = pd.DataFrame({name: WORDS * 5 for name in columns})
    encode = ColumnTransformer([("categorical", OneHotEncoder(handle_unknown="ignore"), columns)])
    model = Pipeline([("preprocess", encode), ("model", LogisticRegression())])
    return model.fit(rows, [word in ("great", "fine", "superb") for word in WORDS * 5])


@pytest.fixture
def one_column_csv(tmp_path):
    path = tmp_path / "reviews.csv"
    pd.DataFrame({"review": ["great", "awful", "meh, really"]}).to_csv(path, index=False)
    return path


def test_a_model_of_one_input_scores_a_file_of_that_one_column(one_column_csv):
    scored = pd.concat(scored_chunks(one_column_csv, fitted(["review"]), chunk_rows=2))
    assert scored["review"].tolist() == ["great", "awful", "meh, really"]
    assert scored["prediction"].tolist()[:2] == [True, False] and len(scored) == 3


def test_monitor_reads_a_file_of_one_column_for_a_model_of_one_input(one_column_csv):
    assert read_batch(one_column_csv, fitted(["review"]))["review"].size == 3


def test_a_model_of_more_inputs_still_says_how_to_write_the_header(one_column_csv):
    """A one-column file for a model of two inputs: most likely an unknown delimiter."""
    with pytest.raises(PredictError) as raised:
        list(scored_chunks(one_column_csv, fitted(["review", "title"]), chunk_rows=2))
    message = str(raised.value)
    assert "has one column ('review')" in message and "separated by one of" in message
    assert "\n" not in message


def test_a_long_list_names_the_first_five_and_counts_the_rest():
    assert listed([f"c{i}" for i in range(42)]) == "'c0', 'c1', 'c2', 'c3', 'c4' and 37 more"
    assert listed(["a", "b"]) == "'a', 'b'"
    assert listed([3, 4], str) == "3, 4"


def test_missing_columns_of_a_wide_model_fit_one_short_line():
    columns = [f"sensor_{i:04d}" for i in range(2000)]
    model = fitted(columns[:60])
    with pytest.raises(PredictError) as raised:
        check_columns(pd.DataFrame({"other": [1]}), model, source="new.csv")
    message = str(raised.value)
    assert "lacks 60 of the model's input columns" in message and "and 55 more" in message
    assert len(message) < 200


def test_a_drift_line_of_many_columns_stays_short(tmp_path):
    names = [f"sensor_{i:04d}" for i in range(2000)]
    features = {name: {"reasons": ["PSI 3.1 > 0.2 (KS p=1e-09)"]} for name in names}
    report = {
        "model": {"version": "3"},
        "performance": None,
        "drifted_features": names,
        "features": features,
    }
    line = summary(report, tmp_path / "report.json")
    assert line.startswith("DRIFT: 2000 features drifted: sensor_0000 (PSI 3.1")
    assert "and 1995 more" in line and len(line) < 400


def test_a_metric_that_is_not_a_number_is_named_by_its_dotted_key(tmp_path, caplog):
    report = {"performance": {"metrics": {"roc_auc": math.nan}}}
    with caplog.at_level(logging.WARNING):
        write_json_atomic(report, tmp_path / "report.json")
    assert "performance.metrics.roc_auc is nan, written as null" in caplog.text
