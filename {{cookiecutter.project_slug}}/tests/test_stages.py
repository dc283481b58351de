"""The stage functions: split, fit and score behave the same on any tabular data. Yours."""

import io
import math
import pickle

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.features import features_and_target
from {{ cookiecutter.package_name }}.machinery.columns import (
    DATE,
    IDENTIFIER,
    TEXT,
    decide_kinds,
    input_kinds,
)
from {{ cookiecutter.package_name }}.machinery.data import DataError
from {{ cookiecutter.package_name }}.machinery.metric_registry import (
    predict,
    registered,
    score,
    task_metrics,
)
from {{ cookiecutter.package_name }}.machinery.params import DataParams, ParamsError
from {{ cookiecutter.package_name }}.machinery.stage import core_limit
from {{ cookiecutter.package_name }}.models import MODELS
from {{ cookiecutter.package_name }}.stages.evaluate import prediction_table
from {{ cookiecutter.package_name }}.stages.prepare import (
    PrepareParams,
    check_columns,
    drop_missing_target,
    split,
)
from {{ cookiecutter.package_name }}.stages.train import TrainParams, fit, serialize

from .conftest import shipped_params, synthetic_frame

PREPARE = PrepareParams(test_size=0.25, seed=3)


def data_params(task: str, **changes) -> DataParams:
    return DataParams(target="label", task=task, **changes)


def train_params(model: str):
    return TrainParams.model_validate(shipped_params()["train"] | {"model": model})


def test_split_is_reproducible_and_disjoint(frame, task):
    first_train, first_test = split(frame, data_params(task), PREPARE)
    again_train, again_test = split(frame, data_params(task), PREPARE)
    assert first_train.equals(again_train) and first_test.equals(again_test)
    assert len(first_train) + len(first_test) == len(frame)
    assert len(first_test) == 15


def test_classification_split_keeps_every_class_in_both_halves():
    frame = synthetic_frame("classification")
    train, test = split(frame, data_params("classification"), PREPARE)
    assert set(train["label"]) == set(test["label"]) == set(frame["label"])


def test_rows_without_target_are_dropped(frame):
    frame.loc[[0, 1], "label"] = None
    assert len(drop_missing_target(frame, "label")) == len(frame) - 2


def test_missing_target_column_is_named(frame, task):
    with pytest.raises(ParamsError, match="'price' is not a column"):
        check_columns(frame, DataParams(target="price", task=task))


def test_dropping_a_column_that_is_not_there_is_named(frame, task):
    with pytest.raises(ParamsError, match="data.drop_columns names 'row_id'"):
        check_columns(frame, data_params(task, drop_columns=["row_id"]))


def test_regression_needs_a_numeric_target(frame):
    frame["label"] = "text"
    with pytest.raises(ParamsError, match="not numeric"):
        check_columns(frame, data_params("regression"))


def test_ids_free_text_and_dates_are_told_apart_and_ids_left_out(frame, task):
    """prepare's kinds: a row number and a one-word code are identifiers the model never
    sees; sentences are text; ISO dates are dates with their format; data.column_kinds wins."""
    frame["row_id"] = range(len(frame))
    frame["code"] = [f"X{i:04d}" for i in range(len(frame))]
    frame["comment"] = [f"note number {i} about this row" for i in range(len(frame))]
    frame["signed_up"] = pd.date_range("2024-01-01", periods=len(frame)).astype(str)
    kinds = decide_kinds(frame.drop(columns=["label"]))
    assert kinds.of(IDENTIFIER) == ["row_id", "code"]
    assert kinds.of(TEXT) == ["comment"] and kinds.of(DATE) == ["signed_up"]
    assert kinds.formats == {"signed_up": "%Y-%m-%d"}
    features, _ = features_and_target(frame, data_params(task))
    assert "row_id" not in features and "code" not in features
    chosen = data_params(task, column_kinds={"code": "categorical"})
    assert "code" in features_and_target(frame, chosen)[0]


def test_a_wrong_column_kinds_entry_is_one_line(frame, task):
    """A name in data.column_kinds that is not a column stops prepare with one line naming it."""
    with pytest.raises(ParamsError, match="data.column_kinds names 'commment', not a column"):
        check_columns(frame, data_params(task, column_kinds={"commment": "text"}))


def test_a_text_column_without_words_is_one_line():
    """Text that holds no word (only signs) stops train with one line saying what to set."""
    frame = pd.DataFrame({"note": ["- -", "? ?", "! -", "- ?"] * 10, "label": ["a", "b"] * 20})
    data = data_params("classification", column_kinds={"note": "text"})
    with pytest.raises(DataError, match="text column 'note' has no words to learn from"):
        fit(frame, data, train_params("linear"))


@pytest.mark.parametrize("model", MODELS)
def test_every_model_fits_text_and_missing_values(frame, task, model):
    """Each registered model trains on numeric + text columns with gaps and scores the task."""
    data = data_params(task)
    train, test = split(frame, data, PREPARE)
    fitted = fit(train, data, train_params(model))
    scored = predict(fitted, *features_and_target(test, data))
    metrics = score(scored, task)
    assert list(metrics) == task_metrics(task)
    assert all(math.isfinite(value) for value in metrics.values())
    assert len(prediction_table(scored)) == len(test)


def test_every_metric_belongs_to_a_task_and_has_a_direction():
    for name, entry in registered().items():
        assert entry.task in ("classification", "regression"), name
        assert entry.direction in ("maximize", "minimize"), name


def test_dropping_every_input_column_is_one_clear_error(frame, task):
    with pytest.raises(DataError, match="no input columns are left"):
        features_and_target(frame, data_params(task, drop_columns=["size", "colour", "weight"]))


def test_dropped_columns_are_not_model_inputs(frame, task):
    data = data_params(task, drop_columns=["weight"])
    fitted = fit(frame, data, train_params("linear"))
    assert "weight" not in fitted.feature_names_in_


@pytest.mark.parametrize("model", MODELS)
def test_saved_model_predicts_on_rows_as_read_from_csv(frame, task, model):
    """The pickled model alone takes plain `pd.read_csv` rows (text dtypes, gaps, extra
    columns included): every transform it needs is inside it."""
    data = data_params(task, drop_columns=["weight"])
    model = pickle.loads(serialize(fit(frame, data, train_params(model))))
    text = frame.to_csv(index=False)
    for rows in (pd.read_csv(io.StringIO(text)),
                 pd.read_csv(io.StringIO(text), dtype_backend="pyarrow")):  # fmt: skip
        assert len(model.predict(rows.drop(columns=["label"]))) == len(frame)


@pytest.mark.parametrize("model", MODELS)
def test_same_inputs_give_byte_identical_model(frame, task, model):
    """Training is seeded: rerunning it produces the same model file, byte for byte."""
    data, params = data_params(task), train_params(model)
    assert serialize(fit(frame, data, params)) == serialize(fit(frame, data, params))


def test_gradient_boosting_reads_categories_as_codes(frame, task):
    """No one-hot matrix for gradient boosting: each text column is one column of codes it
    splits on natively, and a gap or a category never seen in training is a missing value."""
    data = data_params(task)
    fitted = fit(frame, data, train_params("hist_gradient_boosting"))
    encoded = fitted.named_steps["preprocess"].get_feature_names_out()
    assert len(encoded) == 3  # size, weight, colour: one column each
    codes = [i for i, name in enumerate(encoded) if name.endswith("colour")]
    assert list(fitted.named_steps["model"].categorical_features) == codes
    unusual = frame.head(3).assign(colour=["purple", None, "red"]).drop(columns=["label"])
    assert len(fitted.predict(unusual)) == 3


@pytest.mark.parametrize("model", ["random_forest", "hist_gradient_boosting"])
def test_n_jobs_changes_speed_not_the_model_file(frame, task, model):
    """train.n_jobs: one core or all of them, the same model file, byte for byte."""
    data, shipped = data_params(task), shipped_params()["train"] | {"model": model}
    one = TrainParams.model_validate(shipped | {"n_jobs": 1})
    every = TrainParams.model_validate(shipped | {"n_jobs": None})
    assert serialize(fit(frame, data, one)) == serialize(fit(frame, data, every))


def test_n_jobs_must_be_a_positive_count():
    with pytest.raises(ValueError, match="n_jobs"):
        TrainParams.model_validate(shipped_params()["train"] | {"n_jobs": 0})


def test_experiments_in_temporary_copies_train_on_one_core(tmp_path, monkeypatch):
    """n_jobs null: every core in the workspace; one in a queued experiment's copy, where
    `-j 2` runs two side by side; a number is taken as it is."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DVC_ROOT", str(tmp_path))
    assert core_limit(None) is None and core_limit(3) == 3
    copy = tmp_path / ".dvc" / "tmp" / "exps" / "tmp123"
    copy.mkdir(parents=True)
    monkeypatch.chdir(copy)
    assert core_limit(None) == 1 and core_limit(2) == 2


def reviews(rows: int = 120, seed: int = 0) -> pd.DataFrame:
    """Sentences whose words, and nothing else, say the label; some with gaps."""
    rng = np.random.default_rng(seed)
    good, bad = ["great", "lovely", "works", "recommend"], ["broken", "awful", "refund", "worst"]
    filler = ["the", "box", "arrived", "on", "time", "it", "was", "for", "my", "kitchen"]
    labels = rng.choice(["positive", "negative"], size=rows)
    texts = [
        " ".join(
            [*rng.choice(filler, size=6), *rng.choice(good if label == "positive" else bad, size=2)]
        )
        for label in labels
    ]
    frame = pd.DataFrame({"review": texts, "label": labels})
    frame.loc[::17, "review"] = None
    return frame


@pytest.mark.parametrize("model", MODELS)
def test_every_model_learns_from_text_and_predicts_raw_sentences(model):
    """A review column is text (TF-IDF inside the saved Pipeline): every model, yours too,
    predicts on raw sentences and gaps better than the majority class, and reruns give the
    same model file."""
    data = data_params("classification")
    train, test = split(reviews(), data, PREPARE)
    fitted = fit(train, data, train_params(model))
    assert input_kinds(fitted) == {"review": "text"}
    scored = predict(fitted, *features_and_target(test, data))
    majority = test["label"].value_counts(normalize=True).max()
    assert score(scored, "classification")["accuracy"] > majority
    assert serialize(fit(train, data, train_params(model))) == serialize(fitted)


@pytest.mark.parametrize("model", ["linear", "random_forest", "hist_gradient_boosting"])
def test_the_template_models_learn_the_words(model):
    """The models the template ships read the sentiment words: over 85% right (a k-nearest
    neighbours you add may well do worse: the filler words dominate its distances)."""
    data = data_params("classification")
    train, test = split(reviews(), data, PREPARE)
    scored = predict(fit(train, data, train_params(model)), *features_and_target(test, data))
    assert score(scored, "classification")["accuracy"] > 0.85


def test_dates_are_learned_as_their_parts():
    """A date column (text in the CSV) is parsed with the format prepare found and given to
    the model as year, month, day of year and day of week: a label set by the season is learned."""
    days = pd.date_range("2020-01-01", periods=400, freq="D")
    frame = pd.DataFrame(
        {
            "day": days.strftime("%d/%m/%Y"),
            "label": np.where(days.month.isin([6, 7, 8]), "summer", "other"),
        }
    )
    data = data_params("classification")
    train, test = split(frame, data, PREPARE)
    fitted = fit(train, data, train_params("hist_gradient_boosting"))
    assert input_kinds(fitted) == {"day": "date"}
    scored = predict(fitted, *features_and_target(test, data))
    assert score(scored, "classification")["accuracy"] > 0.95
