"""The plot data and figures evaluate writes: their shape, one curve per class, and the
same bytes from the same model and rows.

Maintained by the template (arrives with `cruft update`).
"""

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.features import features_and_target
from {{ cookiecutter.package_name }}.machinery.data import write_table
from {{ cookiecutter.package_name }}.machinery.metric_registry import Scored, predict, task_metrics
from {{ cookiecutter.package_name }}.machinery.plots import (
    CURVE_POINTS,
    curve_area,
    figure_files,
    figures,
    plot_tables,
)
from {{ cookiecutter.package_name }}.machinery.plots_page import page_html
from {{ cookiecutter.package_name }}.stages.prepare import split
from {{ cookiecutter.package_name }}.stages.train import fit

from ..conftest import synthetic_frame
from ..test_stages import PREPARE, data_params, train_params

PLOTS = {
    "classification": {"roc", "precision_recall", "importance"},
    "regression": {"residuals", "importance"},
}
FIGURES = {
    "classification": {"confusion_matrix", "roc", "precision_recall", "importance"},
    "regression": {"predicted_vs_actual", "residuals", "importance"},
}


def three_classes(rows: int = 90) -> pd.DataFrame:
    frame = synthetic_frame("classification", rows=rows)
    frame["label"] = pd.cut(frame["size"], [-np.inf, -0.4, 0.4, np.inf], labels=["s", "m", "l"])
    frame["label"] = frame["label"].astype(str)
    return frame


def scored_test_rows(frame: pd.DataFrame, task: str, model: str = "linear") -> Scored:
    data = data_params(task)
    train, test = split(frame, data, PREPARE)
    return predict(fit(train, data, train_params(model)), *features_and_target(test, data))


def test_each_task_has_its_plots_and_figures(frame, task):
    scored = scored_test_rows(frame, task)
    metric = task_metrics(task)[0]
    tables = plot_tables(scored, task, metric)
    assert set(tables) == PLOTS[task]
    assert set(figures(scored, tables, task, metric)) == FIGURES[task]


def test_curves_have_one_line_per_class_for_three_classes():
    """One-vs-rest: every class gets its ROC and precision-recall curve, corner to corner."""
    scored = scored_test_rows(three_classes(), "classification")
    tables = plot_tables(scored, "classification", "f1_macro")
    roc, pr = tables["roc"], tables["precision_recall"]
    assert list(roc.columns) == ["class", "fpr", "tpr"]
    assert list(pr.columns) == ["class", "recall", "precision"]
    for table in (roc, pr):
        assert sorted(table["class"].unique()) == ["l", "m", "s"]
        assert table.drop(columns="class").stack().between(0, 1).all()
    for _, curve in roc.groupby("class"):
        assert curve.iloc[0][["fpr", "tpr"]].tolist() == [0, 0]
        assert curve.iloc[-1][["fpr", "tpr"]].tolist() == [1, 1]
        assert curve["fpr"].is_monotonic_increasing and 0.5 <= curve_area(curve) <= 1
    for _, curve in pr.groupby("class"):
        assert curve["recall"].is_monotonic_increasing and curve["recall"].iloc[-1] == 1


def test_two_classes_get_the_positive_class_curve_only():
    scored = scored_test_rows(synthetic_frame("classification"), "classification")
    tables = plot_tables(scored, "classification", "accuracy")
    positive = str(scored.model.classes_[1])
    assert set(tables["roc"]["class"]) == set(tables["precision_recall"]["class"]) == {positive}


def test_curves_stay_small_however_many_test_rows():
    """On thousands of test rows each curve keeps at most CURVE_POINTS points, corners
    included, so its CSV stays small in git; the importance sample is capped too."""
    scored = scored_test_rows(synthetic_frame("classification", rows=12_000), "classification")
    assert len(scored.actual) > CURVE_POINTS
    tables = plot_tables(scored, "classification", "accuracy")
    roc, pr = tables["roc"], tables["precision_recall"]
    assert len(roc) <= CURVE_POINTS and len(pr) <= CURVE_POINTS
    assert roc.iloc[0][["fpr", "tpr"]].tolist() == [0, 0]
    assert roc.iloc[-1][["fpr", "tpr"]].tolist() == [1, 1]
    assert roc["fpr"].is_monotonic_increasing and pr["recall"].iloc[-1] == 1
    assert tables["importance"]["importance"].notna().all()


def test_residuals_are_actual_minus_predicted():
    scored = scored_test_rows(synthetic_frame("regression"), "regression")
    residuals = plot_tables(scored, "regression", "rmse")["residuals"]
    assert len(residuals) == len(scored.actual)
    expected = scored.actual.to_numpy() - residuals["predicted"].to_numpy()
    assert np.allclose(residuals["residual"], expected)


def test_importance_covers_every_input_column_most_important_first(frame, task):
    """Shuffling the column the target is made of hurts most, whichever way the metric runs."""
    scored = scored_test_rows(frame, task)
    for metric in task_metrics(task):
        importance = plot_tables(scored, task, metric)["importance"]
        assert sorted(importance["feature"]) == sorted(scored.features.columns)
        assert importance["importance"].is_monotonic_decreasing
        assert importance["feature"].iloc[0] == "size", metric


def test_same_model_and_rows_give_byte_identical_plot_files(frame, task, tmp_path):
    """A forced `dvc repro` must leave dvc.lock as it was: permutation importance is seeded."""
    scored = scored_test_rows(frame, task, model="random_forest")
    metric = task_metrics(task)[0]
    first, again = tmp_path / "first", tmp_path / "again"
    for folder in (first, again):
        for name, table in plot_tables(scored, task, metric).items():
            write_table(table, folder / f"{name}.csv")
    for path in first.iterdir():
        assert path.read_bytes() == (again / path.name).read_bytes(), path.name


def test_figures_become_png_files(frame, task):
    scored = scored_test_rows(frame, task)
    metric = task_metrics(task)[0]
    drawn = figures(scored, plot_tables(scored, task, metric), task, metric)
    with figure_files(drawn) as folder:
        assert folder.name == "plots"
        files = sorted(folder.iterdir())
        assert [path.stem for path in files] == sorted(FIGURES[task])
        assert all(path.read_bytes().startswith(b"\x89PNG") for path in files)
    assert not folder.exists()


def test_offline_page_inlines_the_scripts_and_leaves_out_the_cdn():
    page = page_html("window.vegaEmbed = () => {};", "1.0")
    assert "{plot_divs}" in page and "{scripts}" not in page
    assert "window.vegaEmbed" in page and "http" not in page
    with pytest.raises(ValueError, match="</script"):
        page_html("var s = '</script>';", "1.0")
