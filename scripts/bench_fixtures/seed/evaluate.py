import json
import pickle
from pathlib import Path

import mlflow
import pandas as pd
import yaml
from sklearn.metrics import accuracy_score, f1_score, mean_squared_error, r2_score

params = yaml.safe_load(Path("params.yaml").read_text())
data = params["data"]
model = pickle.loads(Path("model.pkl").read_bytes())
test = pd.read_csv("data/test.csv")
actual = test[data["target"]]
predicted = model.predict(test.drop(columns=[data["target"], *data["drop_columns"]]))
if data["task"] == "classification":
    metrics = {"accuracy": accuracy_score(actual, predicted), "f1_macro": f1_score(actual, predicted, average="macro")}
else:
    metrics = {"rmse": mean_squared_error(actual, predicted) ** 0.5, "r2": r2_score(actual, predicted)}
Path("metrics.json").write_text(json.dumps(metrics))

mlflow.set_tracking_uri("sqlite:///mlflow.db")
mlflow.set_experiment("seed")
with mlflow.start_run():
    mlflow.log_params({"model": params["train"]["model"], "seed": params["train"]["seed"]})
    mlflow.log_metrics(metrics)
    # MLflow 3.17's default format (skops) refuses tree models unless every type is trusted.
    mlflow.sklearn.log_model(
        model,
        name="model",
        registered_model_name="seed_model",
        serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_CLOUDPICKLE,
    )
