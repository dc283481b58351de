"""Slow tier: the generated docs' "Change things" steps (docs/extending.md), followed literally.

Each journey takes the code and YAML blocks the baked pages show (marked
`<!-- journey: ... -->`), applies them where the page says, and then `dvc repro` must
succeed, the MLflow run must show the new model, metric, stage or derived column, and the
project's own tests must pass.
"""

import io
import json
import os
import re
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from .conftest import Combo, bake_ok, git, run
from .services import free_port
from .test_pipeline import dvc, project_env, runs
from .test_serving import ctrl_c, post, split_payload, start_serve, stop_and_check

pytestmark = pytest.mark.slow
JOURNEY_BLOCK = re.compile(r"<!-- journey: (?P<name>[^>]+?) -->\n```\w*\n(?P<body>.*?)```", re.S)
COMBOS = {"classification": Combo("cars", "classification", "random_forest"),
          "regression": Combo("diabetes", "regression", "linear")}  # fmt: skip


def readme_blocks(project: Path) -> dict[str, str]:
    """The journey blocks of the README and of every docs/ page (the steps live in docs/extending.md)."""
    pages = [project / "README.md", *sorted((project / "docs").glob("*.md"))]
    return {m["name"]: m["body"] for page in pages for m in JOURNEY_BLOCK.finditer(page.read_text())}


def add_imports(module: Path, imports: str) -> None:
    """ "Add the import at the top": after the module docstring, before the other imports."""
    text = module.read_text()
    end = text.index('"""', 3) + 3
    module.write_text(text[:end] + "\n\n" + imports.strip() + "\n" + text[end:].lstrip("\n").join(["\n", ""]))


def append(module: Path, code: str) -> None:
    module.write_text(module.read_text().rstrip("\n") + "\n\n\n" + code)


def merge_params(project: Path, block: str) -> None:
    """Put the README's params.yaml lines in place (nested keys are merged, not replaced)."""

    def merge(into: dict, new: dict) -> None:
        for key, value in new.items():
            if isinstance(value, dict) and isinstance(into.get(key), dict):
                merge(into[key], value)
            else:
                into[key] = value

    path = project / "params.yaml"
    params = yaml.safe_load(path.read_text())
    merge(params, yaml.safe_load(block))
    path.write_text(yaml.safe_dump(params, sort_keys=False))


def finish(project: Path) -> object:
    """The steps every change ends with, as the README lists them (make params-schema,
    make format, make test, commit, dvc repro); after them, `make lint` passes too, and the
    run is of a commit (not dirty), so `reproduce` can rebuild it."""
    package = project.name.replace("-", "_")
    steps = [
        [sys.executable, "-m", package, "params-schema"],
        ["ruff", "check", "--fix", "--no-cache", "."],
        ["ruff", "format", "--no-cache", "."],
    ]
    for step in steps:
        done = run(step, project, env=project_env(project))
        assert done.returncode == 0, done.stdout + done.stderr
    own_tests = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], project)
    assert own_tests.returncode == 0, own_tests.stdout[-3000:]
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "the change")
    dvc(project, "repro")
    for lint in (["ruff", "check", "--no-cache", "."], ["ruff", "format", "--check", "--no-cache", "."]):
        done = run(lint, project)
        assert done.returncode == 0, done.stdout + done.stderr
    latest = runs(project, project.name)[-1]
    assert latest.data.tags["lineage.git_dirty"] == "false", "the README's order records clean runs"
    return latest


def add_registry_entry(project: Path, module: str, journey: str) -> tuple[object, dict[str, str]]:
    """The README's steps for a model or a metric: the import at the top of the module, the
    entry at its end, the lines in params.yaml; then the steps every change ends with."""
    blocks = readme_blocks(project)
    path = project / project.name.replace("-", "_") / f"{module}.py"
    add_imports(path, blocks[f"{journey} imports"])
    append(path, blocks[f"{journey} entry"])
    merge_params(project, blocks[f"{journey} params"])
    return finish(project), blocks


@pytest.mark.parametrize("task", COMBOS)
def test_add_a_model(cookies, task):
    project = bake_ok(cookies, COMBOS[task].context())
    latest, _ = add_registry_entry(project, "models", "model")
    assert latest.data.params["train.model"] == "knn"
    assert latest.data.params["train.knn.n_neighbors"] == "5"


@pytest.mark.parametrize("task", COMBOS)
def test_add_a_metric_and_make_it_primary(cookies, task):
    """The new metric decides the champion, fairly: the champion trained before the metric
    existed is scored on the challenger's test rows, not taken as having no value."""
    project = bake_ok(cookies, COMBOS[task].context())
    dvc(project, "repro")
    latest, blocks = add_registry_entry(project, "metrics", "metric")
    primary = yaml.safe_load(blocks["metric params"])["evaluate"]["primary_metric"]
    assert primary in latest.data.metrics
    assert latest.data.tags["registry.ranked_by"] == primary
    assert latest.data.tags["registry.champion"] == "true", "same model bytes: the same version"

    other = "linear" if COMBOS[task].model != "linear" else "random_forest"
    dvc(project, "exp", "run", "-S", f"train.model={other}")
    challenger = runs(project, project.name)[-1]
    incumbent = float(challenger.data.tags["registry.incumbent_value"])
    better = (
        challenger.data.metrics[primary] < incumbent
        if primary == "median_ae"
        else (challenger.data.metrics[primary] > incumbent)
    )
    assert challenger.data.tags["registry.champion"] == str(better).lower()
    if task == "classification":  # linear is clearly worse on cars
        assert challenger.data.tags["registry.champion"] == "false"


def test_add_a_featurize_stage(cookies):
    project = bake_ok(cookies, COMBOS["classification"].context())
    blocks = readme_blocks(project)
    package = project.name.replace("-", "_")
    (project / package / "stages" / "featurize.py").write_text(blocks["stage module"])
    merge_params(project, blocks["stage params"])
    pipeline = (project / "dvc.yaml").read_text()
    head, train_onwards = pipeline.split("\n  train:\n")
    train_onwards = train_onwards.replace("data/prepared/", "data/features/")
    (project / "dvc.yaml").write_text(head + "\n" + blocks["stage dvc"] + "\n  train:\n" + train_onwards)
    latest = finish(project)
    assert latest.data.params["featurize.max_missing"] == "0.5"
    assert "lineage.data_md5.data/features/train.parquet" in latest.data.tags
    stages = yaml.safe_load((project / "dvc.lock").read_text())["stages"]
    assert list(stages) == ["prepare", "featurize", "train", "evaluate"]


def served_predictions(project: Path, rows: pd.DataFrame, log: Path) -> list:
    """`make serve`'s answer for `rows`; then Ctrl-C stops the whole server."""
    port = free_port()
    server = start_serve(project, port, log)
    try:
        status, answer = post(f"http://127.0.0.1:{port}/invocations", split_payload(rows))
        assert status == 200, answer
        return answer["predictions"]
    finally:
        stop_and_check(server, port, log, ctrl_c)


PYFUNC_SCRIPT = """
import importlib.util, json, sys
import mlflow, pandas as pd
assert importlib.util.find_spec(sys.argv[1]) is None, "the project must not be importable here"
rows = pd.read_csv(sys.argv[3])
rows = rows.astype({c: "float64" for c in rows.select_dtypes("number").columns})
print(json.dumps(mlflow.pyfunc.load_model(sys.argv[2]).predict(rows).tolist()))
"""


def pyfunc_in_fresh_venv(project: Path, ref: str, rows_csv: Path, scratch: Path) -> list:
    """The model loaded with mlflow.pyfunc in a new venv holding only its logged requirements."""
    store = f"sqlite:///{project / 'mlflow.db'}"
    # In a child process: mlflow.set_registry_uri would leave MLFLOW_REGISTRY_URI set in this
    # one (it has no way back), and every later test's client would read this store's registry.
    fetch = f"import mlflow; print(mlflow.artifacts.download_artifacts({ref!r}, dst_path={str(scratch / 'model')!r}))"
    fetched = run([sys.executable, "-c", fetch], scratch, env=os.environ | {"MLFLOW_TRACKING_URI": store})
    assert fetched.returncode == 0, fetched.stderr[-2000:]
    model = Path(fetched.stdout.strip().splitlines()[-1])
    uv, venv = shutil.which("uv"), scratch / "venv"
    for step in ([uv, "venv", "--quiet", "--python", sys.executable, str(venv)],
                 [uv, "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"),
                  "-r", str(model / "requirements.txt")]):  # fmt: skip
        done = run(step, scratch)
        assert done.returncode == 0, done.stderr
    env = {"PATH": os.environ["PATH"], "MLFLOW_TRACKING_URI": store, "HOME": str(scratch)}
    script = scratch / "load.py"
    script.write_text(PYFUNC_SCRIPT)
    package = project.name.replace("-", "_")
    done = run([str(venv / "bin" / "python"), str(script), package, ref, str(rows_csv)], scratch, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_add_a_derived_column_served_with_the_model(cookies, tmp_path):
    """The docs' own transformer in features.py: dvc repro learns from the column; predict,
    monitor, make serve and mlflow.pyfunc in a fresh venv with only the model's logged
    requirements (the project not installed) compute it from raw rows and agree with the
    pipeline; `reproduce` rebuilds the model byte for byte."""
    project = bake_ok(cookies, Combo("cars", "classification", "hist_gradient_boosting").context())
    blocks, package = readme_blocks(project), project.name.replace("-", "_")
    path = project / package / "features.py"
    add_imports(path, blocks["transformer imports"])
    append(path, blocks["transformer entry"])
    latest = finish(project)
    assert latest.data.tags["registry.champion"] == "true"
    champion = f"models:/{package}_model@champion"

    test = pd.read_parquet(project / "data/prepared/test.parquet")
    rows_csv = tmp_path / "rows.csv"
    test.drop(columns=["origin"]).to_csv(rows_csv, index=False)
    reported = list(pd.read_csv(project / "reports/predictions.csv")["predicted"])

    scored = tmp_path / "scored.csv"
    done = run([sys.executable, "-m", package, "predict", str(rows_csv), "--out", str(scored)], project,
               env=project_env(project))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert list(pd.read_csv(scored)["prediction"]) == reported

    monitored = run([sys.executable, "-m", package, "monitor", str(rows_csv)], project, env=project_env(project))
    assert monitored.returncode in (0, 1), monitored.stderr

    raw_rows = pd.read_csv(io.StringIO(test.drop(columns=["origin"]).to_csv(index=False)))
    assert served_predictions(project, raw_rows, tmp_path / "serve.log") == reported
    assert pyfunc_in_fresh_venv(project, champion, rows_csv, tmp_path) == reported

    rebuilt = run([sys.executable, "-m", package, "reproduce", latest.info.run_id, "--into", str(tmp_path / "again")],
                  project, env=project_env(project))  # fmt: skip
    assert rebuilt.returncode == 0, rebuilt.stderr[-2000:]
