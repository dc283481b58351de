"""Prepare: raw CSV -> train/test CSVs.

Reads `--raw` and params `data` and `prepare`; writes `--train` and `--test`. Rows without
a target are dropped; classification splits are stratified so every class appears in both
halves. Columns that would quietly spoil a model (IDs, free text, dates) are pointed out.
"""

import logging

import pandas as pd
from pydantic import Field
from sklearn.model_selection import train_test_split

from ..data import write_table
from ..params import CLASSIFICATION, REGRESSION, DataParams, ParamsError, Section, fail
from . import read_input, start

log = logging.getLogger(__name__)
# Fewer rows than this and "unique in every row" says little.
MIN_ROWS_FOR_COLUMN_ADVICE = 20


class PrepareParams(Section):
    test_size: float = Field(gt=0, lt=1)
    seed: int = Field(ge=0)


PARAMS = {"data": DataParams, "prepare": PrepareParams}
FILES = ("raw", "train", "test")


def check_columns(frame: pd.DataFrame, data: DataParams) -> None:
    """Raise ParamsError when the target or a dropped column is absent, or the target unusable."""
    columns = ", ".join(map(str, frame.columns))
    if data.target not in frame.columns:
        raise ParamsError(
            f"data.target {data.target!r} is not a column of the data (columns: {columns})"
        )
    missing = [name for name in data.drop_columns if name not in frame.columns]
    if missing:
        raise ParamsError(
            f"data.drop_columns names {', '.join(map(repr, missing))}, not a column of the data "
            f"(columns: {columns})"
        )
    if data.task == REGRESSION and not pd.api.types.is_numeric_dtype(frame[data.target]):
        raise ParamsError(
            f"data.target {data.target!r} is not numeric; regression needs a numeric target "
            "(or set data.task: classification)"
        )


def column_advice(frame: pd.DataFrame, data: DataParams) -> dict[str, str]:
    """Model inputs that look like IDs, free text or dates, with what is wrong with each."""
    advice: dict[str, str] = {}
    if len(frame) < MIN_ROWS_FOR_COLUMN_ADVICE:
        return advice
    for name in frame.columns.drop([data.target, *data.drop_columns]):
        column = frame[name].dropna()
        if pd.api.types.is_float_dtype(column) or column.empty:
            continue
        text = not pd.api.types.is_numeric_dtype(column)
        if text and looks_like_dates(column):
            advice[name] = "holds dates, which the model would take as mere categories"
        elif column.is_unique:
            kind = "an ID, or free text?" if text else "an ID or row number?"
            advice[name] = f"is unique in every row ({kind}): the model can only memorise it"
        elif text and column.nunique() > len(column) // 2:
            advice[name] = f"looks like free text ({column.nunique()} distinct values)"
    return advice


def looks_like_dates(column: pd.Series) -> bool:
    """Nearly all of the first values parse as dates and hold digits ("red" does not count)."""
    sample = column.astype(str).head(50)
    parsed = pd.to_datetime(sample, errors="coerce", format="mixed")
    return bool(parsed.notna().mean() > 0.9) and bool(sample.str.contains(r"\d").all())


def drop_missing_target(frame: pd.DataFrame, target: str) -> pd.DataFrame:
    """Rows whose target is missing cannot be learned from or scored."""
    return frame.dropna(subset=[target]).reset_index(drop=True)


def stratify_labels(frame: pd.DataFrame, data: DataParams) -> pd.Series | None:
    """The labels to stratify on, or None when the task or the class counts rule it out."""
    if data.task != CLASSIFICATION:
        return None
    if frame[data.target].value_counts().min() < 2:
        log.warning("a class has fewer than 2 rows: splitting without stratification")
        return None
    return frame[data.target]


def split(
    frame: pd.DataFrame, data: DataParams, prepare: PrepareParams
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split rows into train and test, reproducibly for a given seed."""
    train, test = train_test_split(
        frame,
        test_size=prepare.test_size,
        random_state=prepare.seed,
        stratify=stratify_labels(frame, data),
    )
    return train.reset_index(drop=True), test.reset_index(drop=True)


def main() -> None:
    params, files = start(PARAMS, FILES)
    data = params["data"]
    frame = read_input(files.raw)
    try:
        check_columns(frame, data)
    except ParamsError as error:
        fail(error)
    for name, problem in column_advice(frame, data).items():
        log.warning("column %r %s; if the model should not see it, add it to "
                    "data.drop_columns in params.yaml", name, problem)  # fmt: skip
    train, test = split(drop_missing_target(frame, data.target), data, params["prepare"])
    write_table(train, files.train)
    write_table(test, files.test)
    log.info("wrote %d train and %d test rows", len(train), len(test))


if __name__ == "__main__":
    main()
