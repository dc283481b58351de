"""Reading and writing the pipeline's tables: one reader, so every stage sees the same types."""

from pathlib import Path

import pandas as pd

from .files import write_bytes_atomic


class DataError(ValueError):
    """A data file is missing or not a readable CSV table."""


def read_table(path: Path) -> pd.DataFrame:
    """A CSV file as a DataFrame, or a one-line DataError naming the file."""
    try:
        return pd.read_csv(path)
    except FileNotFoundError:
        raise DataError(f"{path} not found; run `dvc repro` (or `dvc pull`) first") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise DataError(f"{path} is not a readable CSV table ({first})") from None


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """Write `frame` as CSV, atomically: a killed stage never leaves half a file."""
    write_bytes_atomic(path, frame.to_csv(index=False, lineterminator="\n").encode("utf-8"))
