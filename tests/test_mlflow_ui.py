"""Slow tier: the MLflow UI as a user first sees it after `dvc repro`, in headless Chromium.

The experiment opens on its training runs, each named by model and commit, with the data it
was trained and tested on (name and DVC md5) in the Dataset column. MLflow 3.17's UI picks
the GenAI or the Model training view from its own switch (remembered by the browser, GenAI
for a new one), not from the experiment's `mlflow.experimentKind` tag, so the link users are
given names the view: `?workflowType=machine_learning`. A screenshot is kept in
test-artifacts/mlflow-ui.png.
"""

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from .browser import browser_page, wait_until
from .conftest import TEMPLATE, bake_ok
from .services import free_port, healthy, wait_for
from .test_pipeline import dvc, lock_hashes, runs, store

pytestmark = pytest.mark.slow

SCREENSHOT = TEMPLATE / "test-artifacts" / "mlflow-ui.png"
# The link for a project's runs; without the query the UI opens a new browser on GenAI traces.
RUNS_LINK = "{url}/#/experiments/{experiment_id}?workflowType=machine_learning"
# What plain `mlflow ui` (no auth app) always answers 404: the UI asks who the user is.
NO_AUTH_PROBE = "/ajax-api/2.0/mlflow/users/current"
# Chromium's echo of a 4xx answer (checked by URL instead) and a benign layout notice.
BROWSER_NOISE = ("Failed to load resource: the server responded with a status of 4",
                 "ResizeObserver loop completed with undelivered notifications")  # fmt: skip


@pytest.fixture
def mlflow_ui(cookies, tmp_path) -> Iterator[tuple[Path, str]]:
    """A default project after `dvc repro`, and `mlflow ui` on its store (one worker)."""
    project = bake_ok(cookies, {})
    dvc(project, "repro")
    port, log_path = free_port(), tmp_path / "mlflow-ui.log"
    mlflow, store_uri = str(Path(sys.executable).parent / "mlflow"), f"sqlite:///{project / 'mlflow.db'}"
    command = [mlflow, "ui", "--backend-store-uri", store_uri, "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", "1"]  # the default 4 only slow a small machine down
    with open(log_path, "w") as log:
        server = subprocess.Popen(command, cwd=project, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        # Generous: on a loaded 2-core machine the UI takes 20 s and more to answer.
        wait_for(lambda: healthy(url) or server.poll() is not None, "mlflow ui", 180)
        assert server.poll() is None, log_path.read_text()
        yield project, url
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def test_experiment_opens_on_named_training_runs_with_their_datasets(mlflow_ui, tmp_path):
    """The runs link shows the Runs table (not GenAI traces) with the run's name and its train
    and test datasets as `name (dvc md5)`, and the page has no errors beyond the UI's own 404
    for the current user."""
    project, url = mlflow_ui
    (run,) = runs(project, project.name)
    experiment_id = store(project).get_experiment_by_name(project.name).experiment_id
    lock = lock_hashes(project)
    datasets = [f"{name} ({lock[f'data/prepared/{name}.parquet']})" for name in ("train", "test")]
    http_errors: list[str] = []
    with browser_page(width=1600) as (page, troubles):
        page.on("response", lambda answer: answer.status >= 400 and http_errors.append(f"{answer.status} {answer.url}"))
        page.goto(RUNS_LINK.format(url=url, experiment_id=experiment_id))
        shown = wait_until(page, lambda: run.info.run_name in page.inner_text("body"), 120)
        assistant_close = page.locator("[data-assistant-ui] button[aria-label='Close']")
        if assistant_close.count():  # the assistant opens itself on a first visit; not ours to show
            assistant_close.first.click()
        expand_rows = page.get_by_text("Expand rows")
        if expand_rows.count():  # every dataset of a run in the screenshot, not the first and "+1"
            expand_rows.first.click()
            page.wait_for_timeout(1000)
        shot = tmp_path / "mlflow-ui.png"
        page.screenshot(path=str(shot))
        SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(shot, SCREENSHOT)
        text, address = page.inner_text("body"), page.url
    assert shown, f"run {run.info.run_name} not in the page:\n{text[:2000]}"
    assert f"/experiments/{experiment_id}/runs" in address
    assert "Run Name" in text and "Dataset" in text
    assert "No data available" not in text, "the GenAI traces overview, not the training runs"
    for dataset in datasets:
        assert dataset in text
    assert [error for error in http_errors if not error.endswith(NO_AUTH_PROBE)] == []
    assert [line for line in troubles.lines if not any(noise in line for noise in BROWSER_NOISE)] == []
