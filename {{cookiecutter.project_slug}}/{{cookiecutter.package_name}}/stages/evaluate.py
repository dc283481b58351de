"""Evaluate: model + test Parquet file -> metrics, plot data, and one MLflow run.

Reads `--model`, `--test`, the target column of `--train` (to fit the baseline) and params
`data` and `evaluate`; writes `--metrics` (for `dvc metrics`), and `--predictions` and the
`--plots` folder (one CSV file per plot, for `dvc plots`). Then one call records the run in
MLflow, registers the model and moves `champion` if this model passes evaluate.gate (it
beats the baseline, a model that ignores the features) and beats the current champion on
evaluate.primary_metric. Yours to change.
"""

import pickle

import pandas as pd
from threadpoolctl import threadpool_limits

from ..features import features_and_target
from ..machinery import plots
from ..machinery.data import write_table
from ..machinery.evaluation import check_finite, record_evaluation
from ..machinery.files import write_json_atomic
from ..machinery.gate import baseline_metrics
from ..machinery.metric_registry import Scored, evaluate_params_model, predict, score
from ..machinery.params import DataParams
from ..machinery.stage import core_limit, read_input, start

PARAMS = {"data": DataParams, "evaluate": evaluate_params_model()}
FILES = ("model", "test", "train", "metrics", "predictions", "plots")


def prediction_table(scored: Scored) -> pd.DataFrame:
    """Actual and predicted value per test row: the data behind `dvc plots show`."""
    return pd.DataFrame({"actual": scored.actual, "predicted": scored.predicted})


def main() -> None:
    params, files = start(PARAMS, FILES)
    threadpool_limits(limits=core_limit())  # for the rest of this process (predictions)
    data, primary = params.data, params.evaluate.primary_metric
    model = pickle.loads(files.model.read_bytes())
    scored = predict(model, *features_and_target(read_input(files.test), data))
    metrics = score(scored, data.task)
    check_finite(metrics, primary)
    write_json_atomic(metrics, files.metrics)
    write_table(prediction_table(scored), files.predictions)
    tables = plots.plot_tables(scored, data.task, primary)
    for name, table in tables.items():
        write_table(table, files.plots / f"{name}.csv")
    train_target = read_input(files.train, columns=[data.target])[data.target]
    baseline = baseline_metrics(train_target, scored, data.task)
    record_evaluation(scored, metrics, baseline, tables, data.task, params.evaluate, files)


if __name__ == "__main__":
    main()
