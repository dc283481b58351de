from pathlib import Path

import pandas as pd
import yaml
from sklearn.model_selection import train_test_split

params = yaml.safe_load(Path("params.yaml").read_text())
data = pd.read_csv("data/raw.csv").dropna(subset=[params["data"]["target"]])
stratify = data[params["data"]["target"]] if params["data"]["task"] == "classification" else None
train, test = train_test_split(
    data, test_size=params["prepare"]["test_size"], random_state=params["prepare"]["seed"], stratify=stratify
)
train.to_csv("data/train.csv", index=False)
test.to_csv("data/test.csv", index=False)
