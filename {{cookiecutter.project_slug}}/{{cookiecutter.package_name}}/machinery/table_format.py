"""Maintained by the template (arrives with `cruft update`).

How a CSV file is written: its delimiter, encoding and column names, checked once.

One reader for everything that opens the raw CSV: `data.read_table` passes what `sniff`
finds to pandas, and the template's bake-time checks import this very file, so a file the
bake accepts is read the same way by every stage. Standard library only (the bake runs
without pandas).
"""

import csv
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENCODING = "utf-8-sig"  # UTF-8, with or without the byte-order mark Excel writes
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
# Lines looked at to guess the delimiter and decimal mark.
SAMPLE_LINES = 50
DECIMAL_COMMA = re.compile(r"-?\d+,\d+")
DECIMAL_POINT = re.compile(r"-?\d*\.\d+")
# A text column whose non-missing values are numbers except at most this share is numeric:
# the few others ("unknown", "?") are typos or markers of a gap, not categories.
MAX_NON_NUMBERS = 0.1
# Values pandas reads as missing by default (besides an empty field).
MISSING = frozenset(
    ("#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN")
    + ("<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null")
)
# Items a message names before it says how many more there are.
SHOWN = 5
# Free text, by words per value (on average) and the share of distinct values: columns.py
# applies the rule to tables, and the bake to a custom CSV (mostly text: linear by default).
TEXT_WORDS, TEXT_DISTINCT_SHARE, LONG_TEXT_WORDS = 2, 0.5, 5


def looks_like_text(mean_words: float, distinct_share: float) -> bool:
    """Several words per value, mostly distinct (comments), or long values however repeated."""
    return mean_words >= LONG_TEXT_WORDS or (
        mean_words >= TEXT_WORDS and distinct_share > TEXT_DISTINCT_SHARE
    )


def looks_like_identifier(mean_words: float, unique: bool) -> bool:
    """Unique in every row, and under TEXT_WORDS words per value: codes, not sentences."""
    return unique and mean_words < TEXT_WORDS


class FormatError(ValueError):
    """The file is not a CSV table with a usable header; the message says how to fix it."""


@dataclass(frozen=True)
class TableFormat:
    """What a CSV reader needs to know: pass these to `pd.read_csv` or `csv.reader`."""

    delimiter: str
    skip_initial_space: bool
    decimal: str
    columns: tuple[str, ...]
    encoding: str = ENCODING


def listed(items: Iterable[Any], form: Callable[[Any], str] = repr, shown: int = SHOWN) -> str:
    """`'a', 'b', 'c', 'd', 'e' and 37 more`: a list of any length in one short message line
    (a table of 2,000 columns must not give a 2,000-name line). Here, in the standard-library
    module the bake imports on its own, so the bake's messages and the package's share it."""
    items = list(items)
    named = ", ".join(form(item) for item in items[:shown])
    return f"{named} and {len(items) - shown} more" if len(items) > shown else named


def sample_lines(path: Path) -> list[str]:
    """The first lines of the file as text, or a FormatError saying why there are none."""
    try:
        with open(path, encoding=ENCODING, newline="") as handle:
            lines = [line for _, line in zip(range(SAMPLE_LINES), handle, strict=False)]
    except FileNotFoundError:
        raise FormatError(f"{path} not found") from None
    except UnicodeDecodeError:
        raise FormatError(
            f"{path} is not UTF-8 text; save it as UTF-8 (in Excel: CSV UTF-8)"
        ) from None
    except OSError as error:
        raise FormatError(f"{path} cannot be read ({error.strerror})") from None
    lines = [line for line in lines if line.strip()]
    if not lines:
        raise FormatError(f"{path} is empty; it needs a header row and data rows")
    return lines


def parse(lines: list[str], delimiter: str) -> list[list[str]]:
    try:
        return list(csv.reader(lines, delimiter=delimiter))
    except csv.Error:
        return []


def guess_delimiter(lines: list[str]) -> str:
    """The candidate that splits the header into most columns; ties go to the earlier one."""
    counts = {d: len(rows[0]) if (rows := parse(lines[:1], d)) else 0 for d in DELIMITERS}
    return max(DELIMITERS, key=lambda d: counts[d])


def guess_decimal(rows: list[list[str]], delimiter: str) -> str:
    """The decimal mark: a comma for files not comma-separated whose numbers read 1,5."""
    if delimiter == ",":
        return "."
    values = [value.strip() for row in rows[1:] for value in row]
    comma = any(DECIMAL_COMMA.fullmatch(value) for value in values)
    point = any(DECIMAL_POINT.fullmatch(value) for value in values)
    return "," if comma and not point else "."


def header_problem(columns: list[str], min_columns: int = 2) -> str | None:
    """What is wrong with a header row (stripped names), or None. A table to train on needs
    a target and an input (2 columns); one to score with a model of one input needs 1."""
    if len(columns) < min_columns:
        named = repr(columns[0]) if columns else "none"
        return (
            f"has one column ({named}); it needs a header row naming at least {min_columns} "
            f"columns separated by one of: {', '.join(DELIMITER_NAMES.values())}"
        )
    unnamed = [index for index, name in enumerate(columns, start=1) if not name]
    if unnamed:
        noun = "column" if len(unnamed) == 1 else "columns"
        return f"has no name for {noun} {listed(unnamed, str)}; give every column a name"
    duplicates = [name for name, count in Counter(columns).items() if count > 1]
    if duplicates:
        noun = "column" if len(duplicates) == 1 else "columns"
        return f"names {noun} {listed(duplicates)} more than once; give each column its own name"
    return None


def sniff(path: Path, min_columns: int = 2) -> TableFormat:
    """The file's format, or a FormatError naming the file and what to fix; `min_columns`:
    header_problem's."""
    lines = sample_lines(path)
    delimiter = guess_delimiter(lines)
    rows = parse(lines, delimiter)
    if not rows:
        raise FormatError(f"{path} is not a readable CSV file (unbalanced quotes near its top?)")
    raw_names = rows[0]
    columns = [name.strip() for name in raw_names]
    problem = header_problem(columns, min_columns)
    if problem:
        raise FormatError(f"{path} {problem}")
    return TableFormat(
        delimiter=delimiter,
        skip_initial_space=any(name[:1].isspace() for name in raw_names[1:]),
        decimal=guess_decimal(rows, delimiter),
        columns=tuple(columns),
    )


def read_rows(path: Path, table: TableFormat) -> Iterator[list[str]]:
    """The data rows (header skipped, blank lines too) as lists of stripped strings."""
    with open(path, encoding=table.encoding, newline="") as handle:
        rows = csv.reader(
            handle, delimiter=table.delimiter, skipinitialspace=table.skip_initial_space
        )
        next(rows, None)
        for row in rows:
            if any(value.strip() for value in row):
                yield [value.strip() for value in row]
