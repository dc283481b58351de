"""Train: train CSV -> fitted scikit-learn Pipeline.

Consumes paths.TRAIN_DATA and params `data` and `train`; produces paths.MODEL, a pickled
Pipeline (imputation, scaling, one-hot encoding, then the model). Everything is seeded,
so the same inputs give a byte-identical model file.
"""

import logging
import pickle
from typing import Any

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from .. import paths
from ..files import write_bytes_atomic
from . import start

log = logging.getLogger(__name__)


def make_estimator(task: str, train_params: dict[str, Any]) -> Any:
    """The model named by train.model, configured from its own params block.

    Add your own model here: a new name in params.MODELS, a params block, and a branch.
    """
    name, seed = train_params["model"], train_params["seed"]
    settings = train_params[name]
    classify = task == "classification"
    if name == "random_forest":
        forest = RandomForestClassifier if classify else RandomForestRegressor
        return forest(random_state=seed, **settings)
    if name == "hist_gradient_boosting":
        boosting = HistGradientBoostingClassifier if classify else HistGradientBoostingRegressor
        return boosting(random_state=seed, **settings)
    if classify:
        return LogisticRegression(C=settings["regularization"], max_iter=5000, random_state=seed)
    return Ridge(alpha=settings["regularization"], random_state=seed)


def make_preprocessor(features: pd.DataFrame) -> ColumnTransformer:
    """Impute and scale numeric columns; impute and one-hot encode the others."""
    numeric = features.select_dtypes(include="number").columns.tolist()
    categorical = [column for column in features.columns if column not in numeric]
    numeric_steps = Pipeline(
        [("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]
    )
    categorical_steps = Pipeline(
        [
            ("impute", SimpleImputer(strategy="most_frequent")),
            ("encode", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
        ]
    )
    return ColumnTransformer(
        [("numeric", numeric_steps, numeric), ("categorical", categorical_steps, categorical)]
    )


def as_object_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns as plain objects with NaN for gaps, the form scikit-learn imputes."""
    text = frame.select_dtypes(exclude="number").columns
    return frame.astype({column: object for column in text})


def features_and_target(frame: pd.DataFrame, target: str) -> tuple[pd.DataFrame, pd.Series]:
    """The model's inputs, in the form it was trained on, and the target column."""
    return as_object_columns(frame.drop(columns=[target])), frame[target]


def fit(train: pd.DataFrame, target: str, task: str, train_params: dict[str, Any]) -> Pipeline:
    """Fit preprocessing and model on the training rows."""
    features, actual = features_and_target(train, target)
    model = Pipeline(
        [
            ("preprocess", make_preprocessor(features)),
            ("model", make_estimator(task, train_params)),
        ]
    )
    return model.fit(features, actual)


def serialize(model: Pipeline) -> bytes:
    return pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)


def main() -> None:
    params = start("data", "train")
    target, task = params["data"]["target"], params["data"]["task"]
    train = pd.read_csv(paths.TRAIN_DATA)
    model = fit(train, target, task, params["train"])
    write_bytes_atomic(paths.MODEL, serialize(model))
    log.info("trained %s on %d rows -> %s", params["train"]["model"], len(train), paths.MODEL)


if __name__ == "__main__":
    main()
