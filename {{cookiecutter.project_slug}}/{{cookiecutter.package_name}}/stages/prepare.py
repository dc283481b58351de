"""Prepare: raw CSV -> train/test Parquet files.

Reads `--raw` and params `data` and `prepare`; writes `--train` and `--test`. Column types
are decided here, once, on the whole table (data.decide_types), and Parquet keeps them, so
train and evaluate see the same columns. Rows without a target are dropped; a target that
cannot be learned (too few rows, one class) stops the stage with one line; classification
splits are stratified so every class appears in both halves. Each input column's kind
(numeric, categorical, text, date, identifier) is decided here, said where it matters, and
written with the tables for train (machinery/columns.py). Yours to change.
"""

import logging
from pathlib import Path

import pandas as pd
from pydantic import Field
from sklearn.model_selection import train_test_split

from ..machinery.columns import (
    DATE,
    DATETIME,
    IDENTIFIER,
    TEXT,
    ColumnKinds,
    decide_kinds,
    keep_kinds,
    recorded_kinds,
)
from ..machinery.data import DataError, decide_types, write_table
from ..machinery.params import CLASSIFICATION, REGRESSION, DataParams, ParamsError, Section, fail
from ..machinery.stage import read_input, start

log = logging.getLogger(__name__)
# Fewer rows with a target than this leave too little to train on and to test with.
MIN_ROWS = 10


class PrepareParams(Section):
    test_size: float = Field(gt=0, lt=1)
    seed: int = Field(ge=0)


PARAMS = {"data": DataParams, "prepare": PrepareParams}
FILES = ("raw", "train", "test")


def check_columns(frame: pd.DataFrame, data: DataParams, source: object = "the data") -> None:
    """Raise ParamsError when the target or a dropped column is absent, or the target unusable."""
    columns = ", ".join(map(repr, frame.columns))
    if data.target not in frame.columns:
        raise ParamsError(
            f"data.target {data.target!r} is not a column of {source}; set it to one of {columns}"
        )
    for key, names in (("drop_columns", data.drop_columns), ("column_kinds", data.column_kinds)):
        missing = [name for name in names if name not in frame.columns]
        if missing:
            raise ParamsError(
                f"data.{key} names {', '.join(map(repr, missing))}, not a column of {source} "
                f"(columns: {columns})"
            )
    if data.task == REGRESSION and not pd.api.types.is_numeric_dtype(frame[data.target]):
        raise ParamsError(
            f"data.target {data.target!r} in {source} is not numeric; regression needs a "
            "numeric target (or set data.task: classification)"
        )


def usable_rows(frame: pd.DataFrame, data: DataParams, source: object = "the data") -> pd.DataFrame:
    """The rows with a target, or a DataError when they cannot train and test a model."""
    usable = drop_missing_target(frame, data.target)
    if len(usable) < len(frame):
        log.warning(
            "%s: %d of %d rows have no %r and are left out",
            source, len(frame) - len(usable), len(frame), data.target,
        )  # fmt: skip
    if frame.empty:
        raise DataError(f"{source} has a header but no data rows; add rows")
    if len(usable) < MIN_ROWS:
        raise DataError(
            f"{source} has {len(usable)} row(s) with a value in {data.target!r}; at least "
            f"{MIN_ROWS} are needed to train and test a model: add rows"
        )
    classes = usable[data.target].unique()
    if data.task == CLASSIFICATION and len(classes) < 2:
        raise DataError(
            f"data.target {data.target!r} in {source} has one class ({classes[0]!r}); a "
            "classifier needs at least two: add rows of another class, or pick another target"
        )
    return usable


def report_kinds(kinds: ColumnKinds) -> None:
    """One line per column whose kind changes what the model does with it."""
    fix = "if that is wrong, set data.column_kinds in params.yaml"
    for name in kinds.of(IDENTIFIER):
        log.warning(
            "column %r is unique in every row (an identifier): left out of the model; %s", name, fix
        )
    for name in kinds.of(TEXT):
        log.info(
            "column %r is free text: the model learns its words and word pairs (TF-IDF); %s",
            name,
            fix,
        )
    for name in kinds.of(DATE, DATETIME):
        parts = "year, month, day of year and week" + (", hour" if kinds[name] == DATETIME else "")
        log.info("column %r holds dates (format %s): the model learns their %s; %s",
                 name, kinds.formats[name], parts, fix)  # fmt: skip


def drop_missing_target(frame: pd.DataFrame, target: str) -> pd.DataFrame:
    """Rows whose target is missing cannot be learned from or scored."""
    present = frame[target].notna()
    if present.all():  # the usual case: no copy of the whole table
        return frame
    return frame[present].reset_index(drop=True)


def stratify_labels(frame: pd.DataFrame, data: DataParams) -> pd.Series | None:
    """The labels to stratify on, or None when the task or the class counts rule it out."""
    if data.task != CLASSIFICATION:
        return None
    if frame[data.target].value_counts().min() < 2:
        log.warning("a class has fewer than 2 rows: splitting without stratification")
        return None
    # Codes in sorted order split exactly as the labels themselves, and sort much faster.
    codes, _ = pd.factorize(frame[data.target], sort=True)
    return pd.Series(codes, index=frame.index)


def split(
    frame: pd.DataFrame, data: DataParams, prepare: PrepareParams
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split rows into train and test, reproducibly for a given seed."""
    try:
        train, test = train_test_split(
            frame,
            test_size=prepare.test_size,
            random_state=prepare.seed,
            stratify=stratify_labels(frame, data),
        )
    except ValueError as error:  # e.g. fewer test rows than classes to stratify
        raise DataError(
            f"{len(frame)} rows cannot be split with prepare.test_size {prepare.test_size} "
            f"({error}); add rows or change prepare.test_size in params.yaml"
        ) from None
    return train.reset_index(drop=True), test.reset_index(drop=True)


def prepared(frame: pd.DataFrame, data: DataParams, source: Path) -> pd.DataFrame:
    """The raw table with its column types decided and only the rows a model can use."""
    keep = (data.target,) if data.task == CLASSIFICATION else ()
    frame = decide_types(frame, source, keep=keep)  # a regression target too: gaps are dropped
    check_columns(frame, data, source)
    kinds = decide_kinds(frame.drop(columns=[data.target, *data.drop_columns]), data.column_kinds)
    report_kinds(kinds)
    return keep_kinds(usable_rows(frame, data, source), kinds)


def main() -> None:
    params, files = start(PARAMS, FILES)
    data = params.data
    try:
        frame = prepared(read_input(files.raw), data, files.raw)
    except ParamsError as error:
        fail(error)
    except DataError as error:
        raise SystemExit(f"ERROR: {error}") from None
    try:
        train, test = split(frame, data, params.prepare)
    except DataError as error:
        raise SystemExit(f"ERROR: {files.raw}: {error}") from None
    kinds = recorded_kinds(frame)
    del frame  # the halves are copies: the whole table goes before they are written
    write_table(keep_kinds(train, kinds), files.train)
    write_table(keep_kinds(test, kinds), files.test)
    log.info("wrote %d train and %d test rows", len(train), len(test))


if __name__ == "__main__":
    main()
