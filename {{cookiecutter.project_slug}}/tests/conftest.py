"""Shared fixtures: small synthetic tables, the shipped params, and a throwaway MLflow store.

Maintained by the template (arrives with `cruft update`); your tests can use them too.
"""

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

PROJECT = Path(__file__).resolve().parent.parent


def shipped_params() -> dict:
    return yaml.safe_load((PROJECT / "params.yaml").read_text(encoding="utf-8"))


def synthetic_frame(task: str, rows: int = 60, seed: int = 0) -> pd.DataFrame:
    """Numeric and text columns with gaps, like a real CSV, and a learnable target."""
    rng = np.random.default_rng(seed)
    size = rng.normal(size=rows)
    colour = rng.choice(["red", "green", "blue"], size=rows).astype(object)
    colour[::7] = np.nan
    weight = rng.normal(size=rows)
    weight[::5] = np.nan
    if task == "classification":
        target = np.where(size > 0, "big", "small")
    else:
        target = 3 * size + rng.normal(scale=0.1, size=rows)
    return pd.DataFrame({"size": size, "colour": colour, "weight": weight, "label": target})


@pytest.fixture(autouse=True)
def no_derived_columns(monkeypatch):
    """The synthetic tables have none of your columns: features.py's DERIVED_COLUMNS (which
    read them) are left out here; `dvc repro` runs them on your data."""
    from {{ cookiecutter.package_name }} import features

    monkeypatch.setattr(features, "DERIVED_COLUMNS", [])


@pytest.fixture(params=["classification", "regression"])
def task(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def frame(task: str) -> pd.DataFrame:
    return synthetic_frame(task)


@pytest.fixture(scope="session")
def migrated_store(tmp_path_factory) -> Path:
    """An empty MLflow SQLite file with its tables made: made once, since MLflow's migrations
    take seconds and a copy of their result takes milliseconds."""
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    folder = tmp_path_factory.mktemp("migrated")
    made = SqlAlchemyStore(f"sqlite:///{folder / 'mlflow.db'}", str(folder / "artifacts"))
    made.engine.dispose()  # every change is in the file before it is copied
    return folder / "mlflow.db"


@pytest.fixture
def store_dir(tmp_path, monkeypatch, migrated_store):
    """An empty SQLite MLflow store in tmp_path, used through the project's own store code."""
    shutil.copyfile(migrated_store, tmp_path / "mlflow.db")
    monkeypatch.setenv("DVC_ROOT", str(tmp_path))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    return tmp_path
