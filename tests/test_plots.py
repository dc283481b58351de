"""Slow tier: the plots of a generated project, as a person sees them.

bake -> `dvc repro` -> the offline page step `make install` runs (`python -m <package>
plots-template`) -> `dvc plots show` -> the page, opened in headless Chromium with no
network, draws every plot dvc.yaml declares, with no console error or failed request -> the
same plots are PNG images in the MLflow run -> a forced repro leaves dvc.lock as it was.
"""

import shutil
import sys
from pathlib import Path

import pytest
import yaml

from .browser import browser_page, wait_until
from .conftest import TEMPLATE, Combo, run
from .test_pipeline import dvc, project_env, runs, store

pytestmark = pytest.mark.slow

ARTIFACTS = TEMPLATE / "test-artifacts"
CASES = [
    (Combo("cars", "classification", "random_forest"), "plots.png"),
    (Combo("diabetes", "regression", "linear"), "plots-regression.png"),
]
# The projects test_serving serves: one bake and one repro for both modules (see trained_project).
CASE_PARAMS = [pytest.param(combo, shot, id=combo.id, marks=pytest.mark.xdist_group(combo.id)) for combo, shot in CASES]
FIGURES = {
    "classification": {"confusion_matrix", "roc", "precision_recall", "importance"},
    "regression": {"predicted_vs_actual", "residuals", "importance"},
}
# DVC puts each plot in its own <div id=...> under <body>; vega-embed draws it there as one svg
# (or canvas) of class `marks`, with a `role-mark` group per layer of lines, bars or points.
DRAWN = """() => Object.fromEntries(Array.from(document.querySelectorAll("body > div[id]"), (div) => [
    div.id, [div.querySelectorAll("svg.marks, canvas.marks").length, div.querySelectorAll(".role-mark").length]]))"""


def declared_plots(project: Path) -> list[str]:
    """The ids of the plots under dvc.yaml's top-level `plots:`."""
    plots = yaml.safe_load((project / "dvc.yaml").read_text(encoding="utf-8"))["plots"]
    return [next(iter(entry)) if isinstance(entry, dict) else entry for entry in plots]


def show_offline(project: Path, package: str) -> Path:
    """What a user has after `make install`: the offline template, then `dvc plots show`."""
    step = run([sys.executable, "-m", package, "plots-template"], project, env=project_env(project))
    assert step.returncode == 0, step.stdout + step.stderr
    dvc(project, "plots", "show")
    page = project / "dvc_plots" / "index.html"
    assert "cdn.jsdelivr.net" not in page.read_text(encoding="utf-8")
    return page


def drawn_charts(page_file: Path, expected: int, screenshot: Path) -> tuple[dict, list[str]]:
    """({plot div id: [charts, mark layers]}, troubles) once `expected` plots have a chart,
    or after 60 s."""
    with browser_page() as (page, troubles):
        # No network at all: a script the page tried to fetch would show up as a failed request.
        page.route("http*://**", lambda route: route.abort())
        page.goto(page_file.as_uri())
        wait_until(page, lambda: sum(charts > 0 for charts, _ in page.evaluate(DRAWN).values()) >= expected)
        page.wait_for_timeout(500)
        page.screenshot(path=str(screenshot), full_page=True)
        return page.evaluate(DRAWN), list(troubles.lines)


@pytest.mark.parametrize(("combo", "shot"), CASE_PARAMS)
def test_plots_render_offline_and_are_logged_to_mlflow(trained_project, tmp_path, combo, shot):
    """Every declared plot is drawn offline, its image is in the run, and reruns are identical."""
    project = trained_project(combo)  # baked, then `dvc repro`
    package = project.name.replace("-", "_")
    lock = (project / "dvc.lock").read_text(encoding="utf-8")

    declared = declared_plots(project)
    assert len(declared) == len(FIGURES[combo.task])
    drawn, troubles = drawn_charts(show_offline(project, package), len(declared), tmp_path / shot)
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copyfile(tmp_path / shot, ARTIFACTS / shot)
    assert troubles == []
    assert len(drawn) == len(declared), f"plots on the page: {drawn}; see {ARTIFACTS / shot}"
    assert all(charts == 1 and layers >= 1 for charts, layers in drawn.values()), drawn

    (only_run,) = runs(project, project.name)
    logged = {Path(item.path).name for item in store(project).list_artifacts(only_run.info.run_id, "pipeline/plots")}
    assert {f"{name}.png" for name in FIGURES[combo.task]} <= logged
    assert {Path(plot).name for plot in declared if plot.startswith("reports/plots/")} <= logged

    dvc(project, "repro", "--force")
    assert (project / "dvc.lock").read_text(encoding="utf-8") == lock, "plot data must be reproducible"
