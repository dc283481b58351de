"""Maintained by the template (arrives with `cruft update`).

What a failing MLflow store raises, and how any error becomes the one line a user sees.
"""

from mlflow.exceptions import MlflowException
from sqlalchemy.exc import SQLAlchemyError


class TrackingError(RuntimeError):
    """The MLflow store cannot be reached or refused a request."""


# What a failing store raises: ours, MLflow's, and SQLAlchemy's (a SQLite store mid-run).
STORE_ERRORS = (TrackingError, MlflowException, SQLAlchemyError)


def first_line(error: BaseException) -> str:
    """An error's message cut to its first line, for one-line `ERROR:` output."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
