"""Train: train Parquet file -> fitted scikit-learn Pipeline.

Reads `--train` and params `data` and `train`; writes `--model`, a pickled Pipeline
(features.py's steps, then the model train.model picks from models.py). Everything is
seeded, so the same inputs give a byte-identical model file. Yours to change.
"""

import logging
import pickle

import pandas as pd
from joblib import parallel_config
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from ..features import feature_steps, features_and_target
from ..machinery.data import DataError
from ..machinery.files import write_bytes_atomic
from ..machinery.model_registry import TrainBase, train_params_model
from ..machinery.params import DataParams
from ..machinery.stage import core_limit, read_input, start
from ..models import MODELS

log = logging.getLogger(__name__)

TrainParams = train_params_model(MODELS)
PARAMS = {"data": DataParams, "train": TrainParams}
FILES = ("train", "model")


def fit(train: pd.DataFrame, data: DataParams, params: TrainBase) -> Pipeline:
    """Fit preprocessing and model on the training rows."""
    features, actual = features_and_target(train, data)
    estimator = params.estimator(data.task)
    model = Pipeline([*feature_steps(features, estimator), ("model", estimator)])
    # Cores for joblib (random forests; threads, as processes would copy the data) and for
    # OpenMP and BLAS threads (gradient boosting, linear models); set here, not on the
    # estimator, so the model file does not depend on them.
    limit = core_limit(params.n_jobs)
    with parallel_config("threading", n_jobs=limit or -1), threadpool_limits(limits=limit):
        return without_thread_count(model.fit(features, actual))


def without_thread_count(model: Pipeline) -> Pipeline:
    """Gradient boosting records the thread count it was fitted with (its bin mapper's
    n_threads), which would make the model file differ between machines and n_jobs values
    though its predictions do not; it is reset to the unfitted default."""
    mapper = getattr(model.named_steps["model"], "_bin_mapper", None)
    if mapper is not None and hasattr(mapper, "n_threads"):
        mapper.n_threads = None
    return model


def serialize(model: Pipeline) -> bytes:
    return pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)


def main() -> None:
    params, files = start(PARAMS, FILES)
    train = read_input(files.train)
    try:
        model = fit(train, params.data, params.train)
    except DataError as error:
        raise SystemExit(f"ERROR: {files.train}: {error}") from None
    write_bytes_atomic(files.model, serialize(model))
    log.info("trained %s on %d rows -> %s", params.train.model, len(train), files.model)


if __name__ == "__main__":
    main()
