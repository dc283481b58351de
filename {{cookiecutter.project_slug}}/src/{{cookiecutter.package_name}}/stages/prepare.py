"""Prepare: raw CSV -> train/test CSVs.

Consumes the raw data set (paths.RAW_DATA) and params `data` and `prepare`; produces
paths.TRAIN_DATA and paths.TEST_DATA. Rows without a target are dropped; classification
splits are stratified so every class appears in both halves.
"""

import logging

import pandas as pd
from sklearn.model_selection import train_test_split

from .. import paths
from ..files import write_csv_atomic
from ..params import ParamsError, fail
from . import start

log = logging.getLogger(__name__)


def check_target(frame: pd.DataFrame, target: str, task: str) -> None:
    """Raise ParamsError when the target column is absent or unusable for the task."""
    if target not in frame.columns:
        columns = ", ".join(map(str, frame.columns))
        raise ParamsError(
            f"data.target {target!r} is not a column of the data (columns: {columns})"
        )
    if task == "regression" and not pd.api.types.is_numeric_dtype(frame[target]):
        raise ParamsError(
            f"data.target {target!r} is not numeric; regression needs a numeric target "
            "(or set data.task: classification)"
        )


def drop_missing_target(frame: pd.DataFrame, target: str) -> pd.DataFrame:
    """Rows whose target is missing cannot be learned from or scored."""
    return frame.dropna(subset=[target]).reset_index(drop=True)


def stratify_labels(frame: pd.DataFrame, target: str, task: str) -> pd.Series | None:
    """The labels to stratify on, or None when the task or the class counts rule it out."""
    if task != "classification":
        return None
    if frame[target].value_counts().min() < 2:
        log.warning("a class has fewer than 2 rows: splitting without stratification")
        return None
    return frame[target]


def split(
    frame: pd.DataFrame, target: str, task: str, test_size: float, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split rows into train and test, reproducibly for a given seed."""
    train, test = train_test_split(
        frame,
        test_size=test_size,
        random_state=seed,
        stratify=stratify_labels(frame, target, task),
    )
    return train.reset_index(drop=True), test.reset_index(drop=True)


def main() -> None:
    params = start("data", "prepare")
    target, task = params["data"]["target"], params["data"]["task"]
    frame = pd.read_csv(paths.RAW_DATA)
    try:
        check_target(frame, target, task)
    except ParamsError as error:
        fail(error)
    frame = drop_missing_target(frame, target)
    train, test = split(
        frame, target, task, params["prepare"]["test_size"], params["prepare"]["seed"]
    )
    write_csv_atomic(train, paths.TRAIN_DATA)
    write_csv_atomic(test, paths.TEST_DATA)
    log.info("wrote %d train and %d test rows", len(train), len(test))


if __name__ == "__main__":
    main()
