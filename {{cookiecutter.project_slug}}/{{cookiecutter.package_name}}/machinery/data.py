"""Maintained by the template (arrives with `cruft update`).

Reading and writing the pipeline's tables: one reader, so every stage sees the same types.

The raw data is CSV, read with the format table_format.py finds (delimiter, UTF-8 with or
without BOM, spaces after the delimiter): the same reader the bake checked the file with.
Prepare decides each column's type once (`decide_types`) and writes Parquet, which keeps
those types, so train and evaluate see exactly the columns prepare saw.
"""

import logging
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from .files import atomic_file, write_bytes_atomic
from .table_format import MAX_NON_NUMBERS, FormatError, listed, sniff

log = logging.getLogger(__name__)

# Offending values quoted in the warning.
SHOWN_VALUES = 3


class DataError(ValueError):
    """A data file is missing or not a readable table."""


def read_table(path: Path, min_columns: int = 2, columns: list[str] | None = None) -> pd.DataFrame:
    """A CSV or Parquet file (by suffix) as a DataFrame, or a one-line DataError naming it;
    a CSV needs `min_columns` columns (table_format.header_problem). `columns`: only those
    (a Parquet file reads no others)."""
    if not path.is_file():
        raise DataError(f"{path} not found; run `dvc repro` (or `dvc pull`) first")
    if path.suffix == ".parquet":
        # The frame pd.read_parquet gives, with Arrow's copy freed column by column as
        # pandas takes it over: on 750,000 rows, a fifth less peak memory and faster.
        table = pq.read_table(path, columns=columns, pre_buffer=False)
        return table.to_pandas(split_blocks=True, self_destruct=True)
    frame = next(iter(read_csv_chunks(path, rows=None, min_columns=min_columns)))
    return frame if columns is None else frame[columns]


def read_csv_chunks(
    path: Path, rows: int | None, as_text: bool = False, min_columns: int = 2
) -> Iterator[pd.DataFrame]:
    """A CSV file in frames of `rows` rows (None: one frame), read as `read_table` reads it,
    so a file larger than memory can be streamed; `as_text`: every value as the string it is
    in the file ("" for a gap). A DataError names the file and the fix."""
    if not path.is_file():
        raise DataError(f"{path} not found")
    try:
        table = sniff(path, min_columns)
        frames = pd.read_csv(
            path,
            sep=table.delimiter,
            encoding=table.encoding,
            skipinitialspace=table.skip_initial_space,
            decimal=table.decimal,
            names=list(table.columns),
            header=0,
            index_col=False,
            chunksize=rows,
            **({"dtype": str, "keep_default_na": False} if as_text else {}),
        )
        chunks = [frames] if rows is None else frames
        for frame in chunks:
            yield with_decimal_points(frame) if table.decimal == "," and not as_text else frame
    except FormatError as error:
        raise DataError(str(error)) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise DataError(f"{path} is not a readable CSV table ({first})") from None


def with_decimal_points(frame: pd.DataFrame) -> pd.DataFrame:
    """Numbers written 1,5 in text columns (pandas leaves a column with one word in it as
    text) as 1.5, so decide_types sees them as numbers; other text is left alone."""
    frame = frame.copy(deep=False)  # copy-on-write: only the columns replaced are new
    for name in frame.select_dtypes(exclude="number").columns:
        if pd.api.types.is_string_dtype(frame[name]):
            frame[name] = frame[name].str.replace(r"^(-?\d+),(\d+)$", r"\1.\2", regex=True)
    return frame


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """Write `frame` as Parquet or CSV (by suffix), atomically: a killed stage never leaves
    half a file. The same frame always gives the same bytes."""
    if path.suffix == ".parquet":
        with atomic_file(path) as stream:  # straight to disk: no second copy in memory
            frame.to_parquet(stream, index=False)
    else:
        write_bytes_atomic(path, frame.to_csv(index=False, lineterminator="\n").encode("utf-8"))


def non_numbers(column: pd.Series) -> pd.Series:
    """The non-missing values of `column` that are not numbers. Each distinct value is
    parsed once: a text column of a million rows often holds a handful."""
    present = column.dropna()
    distinct = pd.Series(present.unique(), dtype=present.dtype)
    wrong = distinct[pd.to_numeric(distinct, errors="coerce").isna()]
    return present[present.isin(wrong)]


def mostly_numbers(column: pd.Series) -> bool:
    """A text column whose non-missing values are numbers, but for at most MAX_NON_NUMBERS."""
    if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        return False
    present = column.dropna()
    wrong = non_numbers(column)
    return len(wrong) < len(present) and len(wrong) <= MAX_NON_NUMBERS * len(present)


def decide_types(frame: pd.DataFrame, source: Path, keep: tuple[str, ...] = ()) -> pd.DataFrame:
    """`frame` with each mostly-numeric text column made numeric, decided once on the whole
    table; the values that are not numbers become missing, with one warning per column.
    Columns in `keep` (a classification target) stay as they are."""
    decided = frame.copy(deep=False)  # copy-on-write: only the columns made numeric are new
    for name in frame.columns:
        if name in keep or not mostly_numbers(frame[name]):
            continue
        wrong = non_numbers(frame[name])
        shown = listed(wrong.unique(), shown=SHOWN_VALUES)
        count = (
            "1 value is not a number" if len(wrong) == 1 else f"{len(wrong)} values are not numbers"
        )
        log.warning("%s: column %r: %s (%s) and treated as missing", source, name, count, shown)
        decided[name] = pd.to_numeric(frame[name], errors="coerce")
    return decided
