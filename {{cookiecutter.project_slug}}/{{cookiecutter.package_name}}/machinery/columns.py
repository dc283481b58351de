"""Maintained by the template (arrives with `cruft update`).

What kind of column each model input is, decided once: prepare decides on the whole table
and keeps the decision with the tables it writes (pandas' `attrs`, which Parquet stores), so
train builds the model's steps from it and evaluate records it in the run. A wrong guess is
corrected in params.yaml: `data.column_kinds: {comment: text}`.

The rules, first match wins (docs/extending.md, "What each column becomes"):
- numeric: a number column (decide_types has already made mostly-number text numeric),
  unless it holds whole numbers, unique in every row: an identifier (a row number, an ID);
- date / datetime: text whose values all parse with one format, found here and kept (a
  datetime has a time of day in some value);
- identifier: text unique in every row, under two words per value (codes, not sentences);
- text: values of several words, most of them distinct, or long values however repeated
  (table_format.looks_like_text, which the bake also applies to choose the default model);
- categorical: the rest (and every column of a table too small to tell, under 20 rows).
"""

import warnings
from collections.abc import Iterator
from typing import Any

import pandas as pd
from pandas.tseries.api import guess_datetime_format

from .data import DataError
from .table_format import MAX_NON_NUMBERS, looks_like_identifier, looks_like_text

NUMERIC, CATEGORICAL, TEXT, DATE, DATETIME, IDENTIFIER = (
    "numeric", "categorical", "text", "date", "datetime", "identifier"
)  # fmt: skip
KINDS = (NUMERIC, CATEGORICAL, TEXT, DATE, DATETIME, IDENTIFIER)
# Where the decision travels with a table (pandas' attrs, kept by Parquet).
ATTRS_KEY = "columns"
# Fewer rows than this and "unique in every row" or "mostly distinct" says little.
MIN_ROWS_TO_TELL = 20
# Values whose words are counted (a seeded sample: a million-row column costs no more).
WORDS_SAMPLE = 10_000
# Values looked at to guess a date format (all values are then parsed with it).
DATE_SAMPLE = 50


class ColumnKinds(dict):
    """{column: kind} for the model's inputs, with `formats`: {date column: its format}."""

    def __init__(self, kinds: dict[str, str], formats: dict[str, str] | None = None):
        super().__init__(kinds)
        self.formats = dict(formats or {})

    def of(self, *kinds: str) -> list[str]:
        """The columns of these kinds, in table order."""
        return [name for name, kind in self.items() if kind in kinds]

    def as_record(self) -> dict[str, Any]:
        return {"kinds": dict(self), "date_formats": self.formats}


def date_format(column: pd.Series) -> str | None:
    """The one format every value of a text column parses with, or None: not dates."""
    found, _ = parse_dates(column)
    return found


def parse_dates(column: pd.Series) -> tuple[str | None, pd.Series | None]:
    """date_format's format and the values it parsed (once: guess_kind reads their times)."""
    present = column.dropna().astype(str)
    sample = present.head(DATE_SAMPLE)
    if sample.empty or not sample.str.contains(r"\d").all():
        return None, None
    first = sample.iloc[0]
    # 01/02/2020 reads either way: the format that reads every value wins, month first.
    for found in dict.fromkeys(guess_datetime_format(first, dayfirst=d) for d in (False, True)):
        if found is None:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed = pd.to_datetime(present, format=found, errors="coerce")
        if parsed.notna().all():
            return found, parsed
    return None, None


def guess_kind(column: pd.Series) -> tuple[str, str | None]:
    """One column's kind by the rules above, and its date format when it holds dates."""
    present = column.dropna()
    if pd.api.types.is_bool_dtype(column):
        return CATEGORICAL, None
    few = len(present) < MIN_ROWS_TO_TELL
    if pd.api.types.is_numeric_dtype(column):
        whole = pd.api.types.is_integer_dtype(column)
        return (IDENTIFIER if whole and not few and present.is_unique else NUMERIC), None
    if few:
        return CATEGORICAL, None
    found, parsed = parse_dates(present)
    if found is not None:
        timed = bool((parsed != parsed.dt.normalize()).any())
        return (DATETIME if timed else DATE), found
    texts = present.astype(str)
    sample = texts.sample(min(len(texts), WORDS_SAMPLE), random_state=0)
    words = sample.str.count(r"\S+").mean()
    if looks_like_identifier(words, texts.is_unique):
        return IDENTIFIER, None
    if looks_like_text(words, texts.nunique() / len(texts)):
        return TEXT, None
    return CATEGORICAL, None


def decide_kinds(features: pd.DataFrame, chosen: dict[str, str] | None = None) -> ColumnKinds:
    """Every input column's kind: `chosen` (data.column_kinds) where given, else guessed.
    A date column chosen by hand still gets its format guessed; without one it is refused."""
    kinds, formats = {}, {}
    for name in features.columns:
        kind, found = guess_kind(features[name])
        wanted = (chosen or {}).get(name, kind)
        if wanted in (DATE, DATETIME) and found is None:
            found = date_format(features[name]) or forced_dates(features[name], name)
        kinds[name] = wanted
        if wanted in (DATE, DATETIME):
            formats[name] = found
    return ColumnKinds(kinds, formats)


def forced_dates(column: pd.Series, name: str) -> str:
    """ "mixed" (each value's own format) for a column data.column_kinds calls dates; a
    DataError when hardly any value reads as a date (at most MAX_NON_NUMBERS may not)."""
    present = column.dropna().astype(str)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        unread = present[pd.to_datetime(present, format="mixed", errors="coerce").isna()]
    if len(unread) > MAX_NON_NUMBERS * len(present):
        raise DataError(
            f"data.column_kinds makes {name!r} a date, but {len(unread)} of {len(present)} "
            f"values read as no date (e.g. {unread.iloc[0]!r}); give it another kind in "
            "params.yaml"
        )
    return "mixed"


def recorded_kinds(frame: pd.DataFrame) -> ColumnKinds | None:
    """The decision prepare kept with this table, if it was written by prepare."""
    record = frame.attrs.get(ATTRS_KEY)
    return ColumnKinds(record["kinds"], record["date_formats"]) if record else None


def kinds_of(features: pd.DataFrame, chosen: dict[str, str] | None = None) -> ColumnKinds:
    """The kinds of `features`' columns: prepare's decision where it travelled with the
    table, else decided now by the same rules; a column it does not cover (one your
    DERIVED_COLUMNS add) is numeric if it holds numbers, else categorical."""
    decided = recorded_kinds(features) or decide_kinds(features, chosen)
    kinds = {
        name: decided.get(name)
        or (NUMERIC if pd.api.types.is_numeric_dtype(features[name]) else CATEGORICAL)
        for name in features.columns
    }
    return ColumnKinds(kinds, decided.formats)


def keep_kinds(frame: pd.DataFrame, kinds: ColumnKinds) -> pd.DataFrame:
    """`frame` carrying `kinds`, for write_table to store with it."""
    frame.attrs[ATTRS_KEY] = kinds.as_record()
    return frame


def kind_steps_of(model: Any) -> Iterator[tuple[str, Any, list[str]]]:
    """(kind, fitted step, its columns) of each step of a fitted Pipeline of features.py's
    named after a kind: `numeric`, `categorical`, and `text_<column>` / `date_<column>` /
    `datetime_<column>`."""
    for name, step, columns in model.named_steps["preprocess"].transformers_:
        kind = name.split("_", 1)[0] if name != "remainder" else None
        if kind in KINDS:  # a step may name its one column as a string
            yield kind, step, [columns] if isinstance(columns, str) else list(columns)


def input_kinds(model: Any) -> dict[str, str]:
    """{input column: kind} of a fitted Pipeline, read from its steps' names."""
    return {str(column): kind for kind, _, columns in kind_steps_of(model) for column in columns}


def date_formats(model: Any) -> dict[str, str]:
    """{date input column: the format its step reads it with} of a fitted Pipeline."""
    formats = {}
    for kind, step, columns in kind_steps_of(model):
        if kind in (DATE, DATETIME):
            reader = step.steps[0][1] if hasattr(step, "steps") else step  # DateParts first
            formats[str(columns[0])] = reader.format
    return formats
