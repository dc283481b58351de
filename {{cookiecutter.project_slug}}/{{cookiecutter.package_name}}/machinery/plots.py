"""Maintained by the template (arrives with `cruft update`).

The plots evaluate makes: their data (for `dvc plots`) and their figures (for MLflow).

`plot_tables(scored, task, metric)` gives one table per plot, written by evaluate to
reports/plots/<name>.csv and declared under `plots:` in dvc.yaml; `figures(...)` draws the
same tables (and the confusion matrix, whose data is reports/predictions.csv) as PNG images
logged with the MLflow run. Everything is seeded: the same model and rows give the same bytes.

Classification: ROC and precision-recall curves (one curve per class, one-vs-rest; only the
positive class for two classes) and permutation feature importance. Regression: residuals
and permutation feature importance (importance.py's). To add a plot, return one more table
from `plot_tables`, draw it in `figures` and declare its file in dvc.yaml.

The page `dvc plots show` draws them in is plots_page.py's.
"""

import io
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.metrics import auc, precision_recall_curve, roc_curve

from .importance import importance_table
from .metric_registry import Scored
from .params import CLASSIFICATION

# Points kept per class and curve (evenly spaced, ends kept): a curve reads the same, and
# its CSV stays small in git however many test rows there are.
CURVE_POINTS = 1_000
# Figures logged to MLflow: size in inches at this many dots per inch.
DPI = 100


Curve = tuple[str, np.ndarray, np.ndarray]


def one_vs_rest(scored: Scored) -> list[Curve]:
    """(class, is that class, its predicted probability) per class; for two classes, only
    the positive one (the other's curves mirror it)."""
    probabilities = scored.probabilities
    classes = list(scored.model.classes_)
    actual = np.asarray(scored.actual)
    return [
        (str(label), actual == label, probabilities[:, index])
        for index, label in enumerate(classes)
        if not (len(classes) == 2 and index == 0)
    ]


def thinned(curve: pd.DataFrame) -> pd.DataFrame:
    """At most CURVE_POINTS of the curve's points, evenly spaced, first and last kept."""
    if len(curve) <= CURVE_POINTS:
        return curve
    return curve.iloc[np.unique(np.linspace(0, len(curve) - 1, CURVE_POINTS).round().astype(int))]


def roc_table(curves: list[Curve]) -> pd.DataFrame:
    """ROC curve per class: columns class, fpr, tpr, in curve order."""
    parts = []
    for label, truth, score in curves:
        fpr, tpr, _ = roc_curve(truth, score)
        parts.append(thinned(pd.DataFrame({"class": label, "fpr": fpr, "tpr": tpr})))
    return pd.concat(parts, ignore_index=True)


def precision_recall_table(curves: list[Curve]) -> pd.DataFrame:
    """Precision-recall curve per class: columns class, recall, precision, recall rising."""
    parts = []
    for label, truth, score in curves:
        precision, recall, _ = precision_recall_curve(truth, score)
        curve = pd.DataFrame({"class": label, "recall": recall[::-1], "precision": precision[::-1]})
        parts.append(thinned(curve))
    return pd.concat(parts, ignore_index=True)


def residual_table(scored: Scored) -> pd.DataFrame:
    """Per test row: the prediction and its residual (actual - predicted)."""
    predicted = np.asarray(scored.predicted, dtype=float)
    residual = np.asarray(scored.actual, dtype=float) - predicted
    return pd.DataFrame({"predicted": predicted, "residual": residual})


def plot_tables(scored: Scored, task: str, metric: str) -> dict[str, pd.DataFrame]:
    """The data of every plot of the task, by name (its file is reports/plots/<name>.csv)."""
    if task == CLASSIFICATION:
        curves = one_vs_rest(scored)
        tables = {"roc": roc_table(curves), "precision_recall": precision_recall_table(curves)}
    else:
        tables = {"residuals": residual_table(scored)}
    return tables | {"importance": importance_table(scored, metric)}


def confusion_figure(scored: Scored) -> Figure:
    """Counts of actual (rows) x predicted (columns) classes, each cell labelled."""
    classes = [str(label) for label in scored.model.classes_]
    matrix = pd.crosstab(
        pd.Categorical(np.asarray(scored.actual).astype(str), categories=classes),
        pd.Categorical(np.asarray(scored.predicted).astype(str), categories=classes),
        dropna=False,
    ).to_numpy()
    size = 2.5 + 0.5 * len(classes)
    figure = Figure(figsize=(size + 1, size), layout="constrained")
    axes = figure.subplots()
    image = axes.imshow(matrix, cmap="Blues")
    figure.colorbar(image, ax=axes)
    for (row, column), count in np.ndenumerate(matrix):
        dark = count > matrix.max() / 2
        axes.text(column, row, str(count), ha="center", va="center",
                  color="white" if dark else "black")  # fmt: skip
    axes.set_xticks(range(len(classes)), classes, rotation=45, ha="right")
    axes.set_yticks(range(len(classes)), classes)
    axes.set(xlabel="predicted", ylabel="actual", title="Confusion matrix (test set)")
    return figure


def curve_area(curve: pd.DataFrame) -> float:
    """ROC AUC (trapezoids) or average precision (steps), as sklearn's scores compute them."""
    if "fpr" in curve:
        return float(auc(curve["fpr"], curve["tpr"]))
    return float(np.sum(np.diff(curve["recall"]) * curve["precision"].to_numpy()[1:]))


def curves_figure(table: pd.DataFrame, axes_labels: tuple[str, str], title: str) -> Figure:
    """One line per class of a ROC or precision-recall table, its AUC or AP in the legend."""
    x, y = (name for name in table.columns if name != "class")
    roc = x == "fpr"
    figure = Figure(figsize=(5.5, 5), layout="constrained")
    axes = figure.subplots()
    for label, curve in table.groupby("class", sort=True):
        area = f"{'AUC' if roc else 'AP'} {curve_area(curve):.3f}"
        axes.plot(curve[x], curve[y], drawstyle="default" if roc else "steps-pre",
                  label=f"{label} ({area})")  # fmt: skip
    if roc:
        axes.plot([0, 1], [0, 1], color="grey", linestyle=":", label="chance")
    axes.set(xlim=(0, 1), ylim=(0, 1.02), xlabel=axes_labels[0], ylabel=axes_labels[1])
    axes.set_title(title)
    axes.legend(loc="lower right" if roc else "lower left", fontsize="small")
    return figure


def importance_figure(table: pd.DataFrame, metric: str) -> Figure:
    """Horizontal bars, most important on top, with the spread over repeats."""
    ordered = table.iloc[::-1]
    figure = Figure(figsize=(6, 1.5 + 0.3 * len(table)), layout="constrained")
    axes = figure.subplots()
    axes.barh(ordered["feature"], ordered["importance"], xerr=ordered["std"], color="tab:blue")
    axes.axvline(0, color="black", linewidth=0.8)
    axes.set(xlabel=f"how much {metric} worsens when the column is shuffled",
             title="Permutation feature importance (test set)")  # fmt: skip
    return figure


def scatter_figure(x: np.ndarray, y: np.ndarray, labels: tuple[str, str], title: str) -> Figure:
    """Points, with y = x (predicted vs actual) or y = 0 (residuals) as the reference line."""
    figure = Figure(figsize=(5.5, 5), layout="constrained")
    axes = figure.subplots()
    axes.scatter(x, y, s=14, alpha=0.7)
    if labels[1] == "residual":
        axes.axhline(0, color="grey", linestyle=":")
    else:
        low, high = min(x.min(), y.min()), max(x.max(), y.max())
        axes.plot([low, high], [low, high], color="grey", linestyle=":", label="y = x")
        axes.legend(loc="upper left")
    axes.set(xlabel=labels[0], ylabel=labels[1], title=title)
    return figure


def figures(
    scored: Scored, tables: dict[str, pd.DataFrame], task: str, metric: str
) -> dict[str, Figure]:
    """Every plot of the task as a matplotlib figure, by name (logged as <name>.png)."""
    drawn = {}
    if task == CLASSIFICATION:
        drawn["confusion_matrix"] = confusion_figure(scored)
        drawn["roc"] = curves_figure(
            tables["roc"],
            ("false positive rate", "true positive rate"),
            "ROC curve, one-vs-rest (test set)",
        )
        drawn["precision_recall"] = curves_figure(
            tables["precision_recall"],
            ("recall", "precision"),
            "Precision-recall curve, one-vs-rest (test set)",
        )
    else:
        actual = np.asarray(scored.actual, dtype=float)
        predicted = np.asarray(scored.predicted, dtype=float)
        drawn["predicted_vs_actual"] = scatter_figure(
            actual, predicted, ("actual", "predicted"), "Predicted vs actual (test set)"
        )
        residuals = tables["residuals"]
        drawn["residuals"] = scatter_figure(
            residuals["predicted"].to_numpy(), residuals["residual"].to_numpy(),
            ("predicted", "residual"), "Residuals (test set)",
        )  # fmt: skip
    drawn["importance"] = importance_figure(tables["importance"], metric)
    return drawn


def png_bytes(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


@contextmanager
def figure_files(drawn: dict[str, Figure], folder: str = "plots") -> Iterator[Path]:
    """A temporary folder named `folder` holding each figure as <name>.png, for the run."""
    with tempfile.TemporaryDirectory() as scratch:
        target = Path(scratch) / folder
        target.mkdir()
        for name, figure in drawn.items():
            (target / f"{name}.png").write_bytes(png_bytes(figure))
        yield target
