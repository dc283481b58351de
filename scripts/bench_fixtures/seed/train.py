import pickle
from pathlib import Path

import pandas as pd
import yaml
from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

params = yaml.safe_load(Path("params.yaml").read_text())
data, train = params["data"], params["train"]
frame = pd.read_csv("data/train.csv")
features = frame.drop(columns=[data["target"], *data["drop_columns"]])
block, seed = train.get(train["model"]) or {}, train["seed"]
models = {
    ("random_forest", "classification"): lambda: RandomForestClassifier(random_state=seed, **block),
    ("random_forest", "regression"): lambda: RandomForestRegressor(random_state=seed, **block),
    ("hist_gradient_boosting", "classification"): lambda: HistGradientBoostingClassifier(random_state=seed, **block),
    ("hist_gradient_boosting", "regression"): lambda: HistGradientBoostingRegressor(random_state=seed, **block),
    ("linear", "classification"): lambda: LogisticRegression(C=block["regularization"], max_iter=5000),
    ("linear", "regression"): lambda: Ridge(alpha=block["regularization"]),
}
preprocess = make_column_transformer(
    (make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), make_column_selector(dtype_include="number")),
    (
        make_pipeline(
            SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore", max_categories=20)
        ),
        make_column_selector(dtype_exclude="number"),
    ),
)
model = make_pipeline(preprocess, models[train["model"], data["task"]]())
model.fit(features, frame[data["target"]])
Path("model.pkl").write_bytes(pickle.dumps(model))
