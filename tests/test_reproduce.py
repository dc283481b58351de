"""Slow tier: any past run can be rebuilt from its MLflow record, byte for byte.

Train v1, change the data and train v2, then reproduce v1 from its run id and from its
registered model version: the rebuilt model must be identical to v1's and the workspace
must be untouched. Failures (no such run, used directory, missing data, other bytes) give
one clear line.
"""

import json
import shutil
import sys
from pathlib import Path

import mlflow
import pytest

from .conftest import bake_ok, git, md5_of, run
from .test_pipeline import dvc, project_env, runs

pytestmark = pytest.mark.slow
MODEL = "car_origin_classifier_model"


def project_command(project: Path, *args: str):
    return run([sys.executable, "-m", "car_origin_classifier", *args], project, env=project_env(project))


def reproduce_into(project: Path, ref: str, into, *extra: str, env: dict | None = None):
    command = [sys.executable, "-m", "car_origin_classifier", "reproduce", ref, "--into", str(into), *extra]
    return run(command, project, env=env or project_env(project))


def train_two_versions(project: Path) -> tuple:
    """v1 on the full sample, v2 on the first 120 rows; both committed, both pushed."""
    dvc(project, "repro")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "v1")
    raw = project / "data/raw/cars.csv"
    raw.write_text("".join(raw.read_text().splitlines(keepends=True)[:121]))
    dvc(project, "add", "--quiet", "data/raw/cars.csv")
    dvc(project, "repro")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "v2: fewer rows")
    dvc(project, "push", "--quiet", "--all-commits")
    first, second = runs(project, project.name)
    return first, second


@pytest.fixture(scope="module")
def trained(cookies_session):
    project = Path(cookies_session.bake(extra_context={}).project_path)
    first, second = train_two_versions(project)
    shutil.rmtree(project / ".dvc" / "cache")  # data must now come from the remote
    return project, first, second


def workspace_state(project: Path) -> tuple:
    return (
        git(project, "rev-parse", "HEAD"),
        git(project, "status", "--porcelain"),
        md5_of(project / "data/raw/cars.csv"),
    )


@pytest.mark.parametrize("ref", ["run-id", f"models:/{MODEL}/1"])
def test_reproduce_v1_gives_identical_bytes(trained, tmp_path, ref):
    project, first, second = trained
    ref = first.info.run_id if ref == "run-id" else ref
    before = workspace_state(project)
    done = project_command(project, "reproduce", ref, "--into", str(tmp_path / "v1"))
    assert done.returncode == 0, done.stdout + done.stderr
    rebuilt = md5_of(tmp_path / "v1" / "models" / "model.pkl")
    assert rebuilt == first.data.tags["lineage.model_md5"] != second.data.tags["lineage.model_md5"]
    assert workspace_state(project) == before, "the user's workspace must not change"


def test_lineage_prints_the_audit_trail(trained):
    project, first, _ = trained
    done = project_command(project, "lineage", f"models:/{MODEL}/1")
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert f"commit: {first.data.tags['lineage.git_commit']}" in text
    assert f"data/raw/cars.csv md5 {first.data.tags['lineage.data_md5.data/raw/cars.csv']}" in text
    assert "train.seed = 42" in text and "f1_macro = " in text
    assert f"{MODEL} version 1" in text
    champion = mlflow.MlflowClient(f"sqlite:///{project / 'mlflow.db'}").get_model_version_by_alias(MODEL, "champion")
    assert (
        f"version {champion.version} (aliases: champion)"
        in project_command(project, "lineage", f"models:/{MODEL}@champion").stdout
    )


def one_error_line(done) -> str:
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    return lines[0]


def test_unknown_run_is_one_clear_line(trained, tmp_path):
    project, _, _ = trained
    line = one_error_line(project_command(project, "reproduce", "0" * 32, "--into", str(tmp_path / "x")))
    assert line.startswith("ERROR: reproduce: ") and "not found" in line


def test_used_directory_is_refused(trained, tmp_path):
    project, first, _ = trained
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "keep.txt").write_text("mine")
    line = one_error_line(project_command(project, "reproduce", first.info.run_id, "--into", str(tmp_path / "used")))
    assert "not empty" in line
    assert (tmp_path / "used" / "keep.txt").read_text() == "mine"
    line = one_error_line(reproduce_into(project, first.info.run_id, tmp_path / "used" / "keep.txt"))
    assert line.endswith("keep.txt is a file; choose a new directory for --into")
    line = one_error_line(reproduce_into(project, first.info.run_id, "rebuild-here"))
    assert line.endswith("rebuild-here is inside the project; choose a directory outside it for --into")
    assert not (project / "rebuild-here").exists()


def test_different_bytes_are_reported(trained, tmp_path):
    project, first, _ = trained
    client = mlflow.MlflowClient(f"sqlite:///{project / 'mlflow.db'}")
    recorded = first.data.tags["lineage.model_md5"]
    client.set_tag(first.info.run_id, "lineage.model_md5", "0" * 32)
    try:
        done = project_command(project, "reproduce", first.info.run_id, "--into", str(tmp_path / "x"))
    finally:
        client.set_tag(first.info.run_id, "lineage.model_md5", recorded)
    assert "rebuilt model differs" in one_error_line(done)
    assert not (tmp_path / "x").exists(), "a failed reproduce leaves --into as it found it"


def changed_outside_dvc(raw: Path) -> None:
    """An edit DVC did not make: a row appended in an editor or by a script."""
    with raw.open("a") as stream:
        stream.write("datsun b210,31.0,4,85.0,70.0,2070,18.6,1978,Japan\n")


def test_data_changed_outside_dvc_is_reported_undone_and_never_claimed(cookies, tmp_path):
    """`dvc status` names the edited file and `dvc checkout --force` undoes it (docs/failures.md's words);
    a run made on bytes DVC never stored, or whose data is in neither the cache nor the
    remote, is refused by `reproduce` in one line instead of being claimed as a match, leaving
    `--into` as it found it; the run made on uncommitted changes says so when it is made."""
    project = bake_ok(cookies, {"dvc_remote_url": str(tmp_path / "empty-store")})
    raw = project / "data/raw/cars.csv"
    dvc(project, "repro")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "not pushed")
    original = md5_of(raw)

    changed_outside_dvc(raw)
    status = json.loads(dvc(project, "status", "--json"))
    assert status["data/raw/cars.csv.dvc"] == [{"changed outs": {"data/raw/cars.csv": "modified"}}]
    dvc(project, "checkout", "--force", "data/raw/cars.csv")
    assert md5_of(raw) == original
    assert dvc(project, "status", "--json").strip() == "{}"

    changed_outside_dvc(raw)
    done = run(["dvc", "repro", "--no-commit"], project, env=project_env(project))
    assert done.returncode == 0, done.stdout + done.stderr
    warning = f"WARNING {project.name.replace('-', '_')}.machinery.evaluation: this run was made on uncommitted changes"
    assert warning in done.stdout + done.stderr
    first, unstored = runs(project, project.name)
    line = one_error_line(project_command(project, "reproduce", unstored.info.run_id, "--into", str(tmp_path / "y")))
    assert line.startswith("ERROR: reproduce: data/raw/cars.csv: the recorded md5")
    assert "never stored" in line
    assert not (tmp_path / "y").exists(), "a failed reproduce leaves no half-made clone"

    shutil.rmtree(project / ".dvc" / "cache")
    (tmp_path / "x").mkdir()
    line = one_error_line(project_command(project, "reproduce", first.info.run_id, "--into", str(tmp_path / "x")))
    assert "neither the DVC cache nor the remote" in line
    assert list((tmp_path / "x").iterdir()) == [], "an empty --into is left empty, ready for a retry"


def test_missing_commit_is_reported_after_an_environment_warning(trained, tmp_path):
    """A record from elsewhere: the environment difference is warned about, the commit named."""
    project, first, _ = trained
    client = mlflow.MlflowClient(f"sqlite:///{project / 'mlflow.db'}")
    recorded = {key: first.data.tags[key] for key in ("lineage.git_commit", "lineage.python")}
    client.set_tag(first.info.run_id, "lineage.git_commit", "f" * 40)
    client.set_tag(first.info.run_id, "lineage.python", "3.9.0")
    try:
        done = project_command(project, "reproduce", first.info.run_id, "--into", str(tmp_path / "x"))
    finally:
        for key, value in recorded.items():
            client.set_tag(first.info.run_id, key, value)
    assert done.returncode == 1
    warning, error = done.stderr.strip().splitlines()
    assert warning.startswith("WARNING: environment differs from the record: python: recorded 3.9.0")
    assert error == f"ERROR: reproduce: commit {'f' * 40} is not in this repository; `git fetch` it first"
    assert not (tmp_path / "x").exists()


def newest_run(project: Path):
    return runs(project, project.name)[-1]


def reproduced_md5(project: Path, ref: str, into: Path) -> str:
    done = project_command(project, "reproduce", ref, "--into", str(into))
    assert done.returncode == 0, done.stdout + done.stderr
    return md5_of(into / "models" / "model.pkl")


def test_runs_made_before_the_commit_are_rebuilt_exactly(cookies, tmp_path):
    """The order a user falls into: new rows, `dvc add`, a code edit, `dvc repro`, and only then
    `git commit`. The run names the previous commit; its logged patch and the data's md5 rebuild
    it (by its registered version). An experiment run in a temporary copy
    (as queued ones are) is rebuilt the same way (by run id)."""
    project = bake_ok(cookies, {})
    dvc(project, "repro")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "v1")
    raw = project / "data/raw/cars.csv"
    rows = raw.read_text().splitlines(keepends=True)
    raw.write_text("".join(rows + rows[1:40]))
    dvc(project, "add", "--quiet", "data/raw/cars.csv")
    models = project / "car_origin_classifier/models.py"
    edit = ("RandomForestClassifier(random_state=seed,", "RandomForestClassifier(random_state=seed + 1,")
    models.write_text(models.read_text().replace(*edit))
    dvc(project, "repro")
    dirty = newest_run(project)
    assert dirty.data.tags["lineage.git_dirty"] == "true"
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "v2, committed after its run")
    version = dirty.data.tags["registry.version"]

    # By registered version: a models:/ reference resolves to its run (test_reproduce_v1_gives_identical_bytes),
    # whose patch and data md5 then rebuild it.
    recorded = dirty.data.tags["lineage.model_md5"]
    assert reproduced_md5(project, f"models:/{MODEL}/{version}", tmp_path / "by-version") == recorded
    assert "random_state=seed + 1" in (tmp_path / "by-version/car_origin_classifier/models.py").read_text()

    # In a temporary copy under .dvc/tmp/exps, as a queued one runs (without starting a queue worker).
    dvc(project, "exp", "run", "--temp", "-S", "train.seed=7")
    experiment = newest_run(project)
    assert experiment.data.tags.get("dvc.exp_name") and experiment.data.params["train.seed"] == "7"
    recorded = experiment.data.tags["lineage.model_md5"]
    assert reproduced_md5(project, experiment.info.run_id, tmp_path / "exp") == recorded


def other_scikit_learn(tmp_path: Path) -> Path:
    """A folder that, first on PYTHONPATH, swaps in a scikit-learn other than the locked one."""
    installed = run([sys.executable, "-m", "pip", "show", "scikit-learn"], tmp_path).stdout
    version = next(line.split()[1] for line in installed.splitlines() if line.startswith("Version:"))
    other = "1.8.0" if version != "1.8.0" else "1.7.2"
    target = tmp_path / "other-sklearn"
    uv = Path(sys.executable).parent / "uv"
    install = ["pip", "install", "--quiet", "--no-deps", "--target", str(target), f"scikit-learn=={other}"]
    done = run([str(uv), *install], tmp_path)
    assert done.returncode == 0, done.stderr
    return target


def test_isolated_rebuilds_in_the_recorded_environment(trained, tmp_path):
    """After a scikit-learn change, a plain reproduce warns and reports other bytes; --isolated
    builds the lock's environment once (uv), rebuilds byte-identical, and reuses it after."""
    project, first, _ = trained
    # A cache of environments of its own, so the first --isolated builds; uv's package cache stays.
    caches = {"XDG_CACHE_HOME": str(tmp_path / "cache"), "UV_CACHE_DIR": str(Path.home() / ".cache/uv")}
    upgraded = project_env(project) | caches | {"PYTHONPATH": f"{other_scikit_learn(tmp_path)}:{project}"}

    plain = reproduce_into(project, first.info.run_id, tmp_path / "plain", env=upgraded)
    assert "WARNING: environment differs from the record: scikit-learn: recorded" in plain.stderr
    assert "rebuilt model differs" in one_error_line_of(plain) and "add --isolated" in plain.stderr
    lineage = run([sys.executable, "-m", "car_origin_classifier", "lineage", first.info.run_id], project, env=upgraded)
    assert "environment (differs from this one" in lineage.stdout and "(here 1." in lineage.stdout

    for into, said in (("isolated", "building the run's environment"), ("again", "reusing the run's environment")):
        done = reproduce_into(project, first.info.run_id, tmp_path / into, "--isolated", env=upgraded)
        assert done.returncode == 0 and said in done.stderr, done.stdout + done.stderr
        assert md5_of(tmp_path / into / "models/model.pkl") == first.data.tags["lineage.model_md5"]


def one_error_line_of(done) -> str:
    """The ERROR line of a run that may also print warnings first."""
    assert done.returncode == 1, done.stdout + done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("ERROR")]
    assert len(errors) == 1 and "Traceback" not in done.stderr, done.stderr
    return errors[0]


def test_isolated_names_a_missing_python(trained, tmp_path):
    project, first, _ = trained
    client = mlflow.MlflowClient(f"sqlite:///{project / 'mlflow.db'}")
    client.set_tag(first.info.run_id, "lineage.python", "3.8.99")
    try:
        done = reproduce_into(project, first.info.run_id, tmp_path / "x", "--isolated")
    finally:
        client.set_tag(first.info.run_id, "lineage.python", first.data.tags["lineage.python"])
    line = one_error_line(done)
    assert line.startswith("ERROR: reproduce: Python 3.8.99, which the run recorded, is not installed here")
    assert "`uv python install 3.8.99`" in line
    assert not (tmp_path / "x").exists()
