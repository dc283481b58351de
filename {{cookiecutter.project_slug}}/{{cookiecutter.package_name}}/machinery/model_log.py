"""Maintained by the template (arrives with `cruft update`).

The model as MLflow logs it: the fitted Pipeline pickled (the same format as
models/model.pkl), a signature and input example from the test rows, pinned requirements,
and this package's code beside it (`code_paths`), so a transformer of your own in
features.py loads wherever the model does: predict, monitor, `make serve`, and
`mlflow.pyfunc.load_model` in a venv holding only the model's requirements.
"""

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import mlflow
from mlflow.models import infer_signature

from .lineage import package_version

MODEL_REQUIREMENTS = ("scikit-learn", "pandas", "numpy")
# What a pickled model's own code may import, besides the requirements: the package's code
# goes with it (code_paths); its settings, params and data helpers use these.
CODE_REQUIREMENTS = ("pydantic", "pyyaml")
PACKAGE_DIR = Path(__file__).resolve().parent.parent


def signature_example(features: Any) -> Any:
    """A few rows for the logged model's signature, integer columns as floats.

    A served row may have a gap in a column that was all integers in training; as a float
    column in the signature, that row is still accepted (MLflow's own advice).
    """
    example = features.head(5)
    integers = example.select_dtypes(include="integer").columns
    return example.astype({column: "float64" for column in integers})


def model_requirements(extra: tuple[str, ...] = ()) -> list[str]:
    """Pinned requirements for the logged model; passing them skips MLflow's slow inference.

    `extra` is the chosen model's own packages (its `requirements` in models.py).
    """
    return [
        f"{name}=={package_version(name)}"
        for name in (*MODEL_REQUIREMENTS, *CODE_REQUIREMENTS, *extra)
    ]


@contextmanager
def requirements_trusted() -> Iterator[None]:
    """Skip MLflow's check that the logged model's requirements match this environment (run
    when it saves the model and again when it validates the input example): it maps every
    installed module to its package first, about 2 s each time. model_requirements pins them
    from this very environment, so the check cannot find a mismatch. Should MLflow rename
    what this replaces, the check simply runs again."""
    from mlflow.utils import requirements_utils

    check = getattr(requirements_utils, "_check_requirement_satisfied", None)
    if check is None:
        yield
        return
    requirements_utils._check_requirement_satisfied = lambda requirement: None
    try:
        yield
    finally:
        requirements_utils._check_requirement_satisfied = check


@contextmanager
def package_code() -> Iterator[str]:
    """A copy of this package without caches or compiled files: the code logged with the model."""
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / PACKAGE_DIR.name
        shutil.copytree(PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        yield str(copy)


def log_model(model: Any, features: Any, extra: tuple[str, ...] = ()) -> Any:
    """Log the fitted Pipeline as the active run's `model`, and return MLflow's model info."""
    example = signature_example(features)
    with requirements_trusted(), package_code() as code:
        return mlflow.sklearn.log_model(
            model,
            name="model",
            signature=infer_signature(example, model.predict(example)),
            input_example=example,
            pip_requirements=model_requirements(extra),
            code_paths=[code],
            # The same format as models/model.pkl; skops would need every type whitelisted.
            serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_PICKLE,
        )
