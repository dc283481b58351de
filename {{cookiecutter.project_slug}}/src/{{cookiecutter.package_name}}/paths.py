"""Every file the pipeline reads or writes, in one place.

Paths are relative to the working directory DVC runs stages in (the repository root,
or an experiment's temporary copy of it), so they stay right inside `dvc exp run --queue`.
dvc.yaml names the same files; tests/test_pipeline_definition.py keeps the two in step.
"""

from pathlib import Path

RAW_DATA = Path("{{ cookiecutter.__raw_csv }}")
PREPARED_DIR = Path("data/prepared")
TRAIN_DATA = PREPARED_DIR / "train.csv"
TEST_DATA = PREPARED_DIR / "test.csv"
MODEL = Path("models/model.pkl")
METRICS = Path("reports/metrics.json")
PREDICTIONS = Path("reports/predictions.csv")
PARAMS = Path("params.yaml")
DVC_LOCK = Path("dvc.lock")
DEPENDENCY_LOCK = Path("requirements.lock")

# Files whose md5 goes into every MLflow run's lineage tags.
DATA_LINEAGE = (RAW_DATA, TRAIN_DATA, TEST_DATA)
