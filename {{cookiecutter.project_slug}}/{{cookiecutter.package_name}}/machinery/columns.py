"""Maintained by the template (arrives with `cruft update`).

What each input column is to a fitted model, read from the model itself: monitor judges a
column the way the saved Pipeline reads it (text as text), not by the batch's dtypes.
"""

from typing import Any

KINDS = ("numeric", "categorical", "text", "date", "datetime")


def input_kinds(model: Any) -> dict[str, str]:
    """Input column -> one of KINDS, from the names of the "preprocess" step's transformers:
    "numeric", "categorical", "text_<column>", "date_<column>"; the remainder is left out."""
    kinds = {}
    for name, _, columns in model.named_steps["preprocess"].transformers_:
        if name in ("numeric", "categorical"):
            kind = name
        elif name.startswith("text_"):
            kind = "text"
        elif name.startswith("date_"):
            kind = "date"
        else:
            continue
        # A text step takes its one column by name (a string), so that it gets a 1-D column.
        named = [columns] if isinstance(columns, str) else columns
        kinds |= {str(column): kind for column in named}
    return kinds
