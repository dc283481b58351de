"""The floor of `make bench`: the project's science as one script, with no DVC, no MLflow,
no files between steps: `python bare.py PROJECT`, run with PROJECT's package importable.

It reads the raw CSV with the project's reader, splits, fits the project's own Pipeline
(features.py + models.py with params.yaml's values), predicts and scores the test rows.
"""

import importlib
import sys
from pathlib import Path

import yaml


def main(project: Path) -> None:
    package = next(p.parent.parent.name for p in project.glob("*/stages/__init__.py"))
    module = lambda name: importlib.import_module(f"{package}.{name}")  # noqa: E731
    params = yaml.safe_load((project / "params.yaml").read_text())
    prepare, train = module("stages.prepare"), module("stages.train")
    data = module("machinery.params").DataParams(**params["data"])
    raw = project / next(p for p in yaml.safe_load((project / "dvc.yaml").read_text())["stages"]["prepare"]["deps"])
    frame = prepare.prepared(module("machinery.data").read_table(raw), data, raw)
    train_rows, test_rows = prepare.split(frame, data, prepare.PrepareParams(**params["prepare"]))
    model = train.fit(train_rows, data, train.TrainParams.model_validate(params["train"]))
    features, actual = module("features").features_and_target(test_rows, data)
    metrics = module("machinery.metric_registry")
    print(metrics.score(metrics.predict(model, features, actual), data.task))


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve())
