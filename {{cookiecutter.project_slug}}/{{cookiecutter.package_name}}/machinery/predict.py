"""Maintained by the template (arrives with `cruft update`).

Batch scoring: a CSV file of new rows -> the same rows with the model's predictions.

`python -m {{ cookiecutter.package_name }} predict IN.csv --out OUT.csv [--model REF]` loads
the model (the champion unless told otherwise) from the MLflow registry, reads IN.csv with
the pipeline's own reader, CHUNK_ROWS rows at a time so a file larger than memory works, and
writes every input row with `prediction` (and `probability_<class>` per class for a
classifier) beside it, in IN.csv's own format (delimiter, decimal mark, byte-order mark).
OUT.csv appears only when every row is scored: it is whole or absent. Columns the model does
not use are kept and ignored; a missing one, or a numeric column holding text ("13 months"),
stops it in one line: the model would silently take those values for gaps. A model of one
input column (a text model's `review`) reads a file of that one column.
"""

import codecs
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from mlflow.exceptions import MlflowException

from ..features import numeric_inputs
from .column_steps import read_dates
from .columns import date_formats
from .data import DataError, non_numbers, read_csv_chunks
from .failures import first_line
from .files import atomic_file
from .registry import model_uri
from .server import check_server
from .store import tracking_uri
from .table_format import MAX_NON_NUMBERS, FormatError, listed, sniff

# Rows read, scored and written at a time: memory use follows this, not the file's size.
CHUNK_ROWS = 50_000
PREDICTION = "prediction"


class PredictError(RuntimeError):
    """The model cannot be loaded, or the input cannot be scored; one line says why."""


def load_model(ref: str) -> Any:
    """The scikit-learn Pipeline behind REF (a run id or a models:/ URI) in the project's store."""
    uri = tracking_uri()
    check_server(uri)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    try:
        return mlflow.sklearn.load_model(model_uri(ref))
    except (MlflowException, OSError) as error:
        raise PredictError(f"cannot load model {ref} from {uri}: {first_line(error)}") from None


def input_columns(model: Any) -> list[str]:
    """The columns the model was fitted on."""
    return [str(name) for name in model.feature_names_in_]


def min_columns(model: Any) -> int:
    """The columns a file to score must have at least: 1 for a model of one input column.
    For any other model a one-column file most likely uses a delimiter the reader does not
    know, which table_format's error says better than a list of missing columns."""
    return min(2, len(input_columns(model)))


def check_columns(frame: pd.DataFrame, model: Any, source: Path) -> None:
    missing = [name for name in input_columns(model) if name not in frame.columns]
    if missing:
        raise PredictError(
            f"{source} lacks {len(missing)} of the model's input columns: {listed(missing)}; "
            "add them (extra columns are fine)"
        )


def check_numbers(frame: pd.DataFrame, columns: list[str], source: Path) -> None:
    """Stop when a numeric input column holds more text than prepare's rule turns into gaps
    (table_format.MAX_NON_NUMBERS): a unit or a decimal comma, not a stray "unknown"."""
    for name in columns:
        wrong = non_numbers(frame[name])
        present = int(frame[name].notna().sum())
        if present and len(wrong) > MAX_NON_NUMBERS * present:
            raise PredictError(
                f"{source}: column {name!r} must hold numbers, but {len(wrong)} of {present} "
                f"values do not (e.g. {wrong.iloc[0]!r}); write plain numbers (an empty cell "
                "is a gap)"
            )


def check_dates(frame: pd.DataFrame, formats: dict[str, str], source: Path) -> None:
    """Stop when a date input column holds values its format does not read (beyond the
    share a number column may hold), which the model would take for gaps."""
    for name, format in formats.items():
        present = frame[name].dropna()
        unread = present[read_dates(present, format).isna()]
        if len(present) and len(unread) > MAX_NON_NUMBERS * len(present):
            raise PredictError(
                f"{source}: column {name!r} must hold dates the model reads ({format}), but "
                f"{len(unread)} of {len(present)} values do not (e.g. {unread.iloc[0]!r}); "
                "write them as the training data does (an empty cell is a gap)"
            )


def with_predictions(rows: pd.DataFrame, frame: pd.DataFrame, model: Any) -> pd.DataFrame:
    """`rows` (the input as written) with the model's prediction for `frame` (the same rows,
    parsed), and class probabilities for a classifier."""
    features = frame[input_columns(model)]
    scored = rows.copy()
    scored[PREDICTION] = model.predict(features)
    if hasattr(model, "predict_proba"):
        probabilities = model.predict_proba(features)
        for index, label in enumerate(model.classes_):
            scored[f"probability_{label}"] = probabilities[:, index]
    return scored


def scored_chunks(source: Path, model: Any, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """The input in chunks, each with its predictions. The input's own columns are copied
    as the file writes them (a second reader in step), so the output does not depend on
    how pandas typed one chunk or another."""
    try:
        needed = min_columns(model)
        parsed = read_csv_chunks(source, chunk_rows, min_columns=needed)
        verbatim = read_csv_chunks(source, chunk_rows, as_text=True, min_columns=needed)
        # Numeric columns the rows bring; those that DERIVED_COLUMNS adds are the model's own.
        inputs = set(input_columns(model))
        numeric = [name for name in numeric_inputs(model) if name in inputs]
        dates = {name: found for name, found in date_formats(model).items() if name in inputs}
        for frame, rows in zip(parsed, verbatim, strict=True):
            check_columns(frame, model, source)
            check_numbers(frame, numeric, source)
            check_dates(frame, dates, source)
            if not frame.empty:  # a header-only file reads as one empty chunk
                yield with_predictions(rows, frame, model)
    except DataError as error:
        raise PredictError(str(error)) from None


def starts_with_bom(path: Path) -> bool:
    with open(path, "rb") as stream:
        return stream.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8


def predict_file(source: Path, out: Path, ref: str, chunk_rows: int = CHUNK_ROWS) -> str:
    """Score `source` into `out` with the model behind `ref`; what was done, in one line."""
    if chunk_rows < 1:
        raise PredictError(f"--chunk-rows must be 1 or more, got {chunk_rows}")
    if out.resolve() == source.resolve():
        raise PredictError(f"--out {out} is the input file; write the predictions elsewhere")
    try:
        # A file that is not a CSV table fails before the model loads; whether one column
        # is enough, the model says (scored_chunks).
        table = sniff(source, min_columns=1)
    except FormatError as error:
        raise PredictError(str(error)) from None
    model = load_model(ref)
    rows = 0
    written_as = {"sep": table.delimiter, "decimal": table.decimal, "lineterminator": "\n"}
    with atomic_file(out, "w") as stream:
        if starts_with_bom(source):
            stream.write("\ufeff")  # as Excel wrote it, so Excel reads it back
        for chunk in scored_chunks(source, model, chunk_rows):
            chunk.to_csv(stream, index=False, header=rows == 0, **written_as)
            rows += len(chunk)
        if rows == 0:
            raise PredictError(f"{source} has no data rows to score")
    return f"wrote {rows} scored rows to {out} (model {ref})"
