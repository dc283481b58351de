"""Slow tier: the champion leaves the pipeline. `make serve` answers like the pipeline and stops
whole (Ctrl-C, or a SIGTERM to make), and `predict` scores a CSV file in chunks, keeping extra
columns, whole or not at all."""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pandas as pd
import pytest
import yaml

from .conftest import Combo, project_env, run
from .services import free_port, healthy, wait_for

pytestmark = pytest.mark.slow

# The projects test_plots draws: one bake and one repro for both modules (see trained_project).
SERVED = [Combo("cars", "classification", "random_forest"), Combo("diabetes", "regression", "linear")]


@pytest.fixture(params=[pytest.param(combo, id=combo.id, marks=pytest.mark.xdist_group(combo.id)) for combo in SERVED])
def trained(request, trained_project) -> Path:
    return trained_project(request.param)


def post(url: str, payload: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        url, json.dumps(payload).encode(), {"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def split_payload(frame: pd.DataFrame) -> dict:
    """Rows as MLflow's `dataframe_split` JSON, gaps as null."""
    return {"dataframe_split": json.loads(frame.to_json(orient="split", index=False))}


# make, run as a terminal's shell runs it: with SIGINT's default action. A suite started in the
# background (`cmd &` in a script) inherits SIGINT ignored, and a shell cannot trap a signal
# ignored on entry, so its Ctrl-C would test nothing. exec keeps the pid: the Popen's is make's.
WITH_CTRL_C = (sys.executable, "-c", "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
               "os.execvp(sys.argv[1], sys.argv[1:])")  # fmt: skip


def start_serve(project: Path, port: int, log: Path) -> subprocess.Popen:
    """`make serve` as a terminal runs it: make leads its own process group (the foreground job),
    with two uvicorn workers so that MLflow's server forks; returns once it answers /ping."""
    venv = Path(sys.executable).parent.parent
    with open(log, "w") as output:
        server = subprocess.Popen(
            [*WITH_CTRL_C, "make", "--no-print-directory", "serve", f"VENV={venv}", f"SERVE_PORT={port}"],
            cwd=project, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
            env=os.environ | {"MLFLOW_MODELS_WORKERS": "2"},
        )  # fmt: skip
    wait_for(lambda: healthy(f"http://127.0.0.1:{port}", "/ping") or server.poll() is not None, "make serve", 300)
    assert server.poll() is None, log.read_text()
    return server


def session_processes(session: int) -> dict[int, str]:
    """pid -> command line of every live process in the session (make's, and all it started)."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except (OSError, IndexError):
            continue  # gone meanwhile
        if int(fields[3]) == session and fields[0] != "Z":
            found[int(stat.parent.name)] = command
    return found


def port_is_free(port: int) -> bool:
    """Nothing answers on the port, and a new server can listen on it (with SO_REUSEADDR, as
    uvicorn binds: the port's TIME_WAIT connections from the requests do not count)."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
        return False
    except ConnectionRefusedError:
        pass
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
            probe.listen()
        except OSError:
            return False
    return True


def stop_and_check(server: subprocess.Popen, port: int, log: Path, stop) -> None:
    """`stop(server)` ends make within 30 s, and with it every process it started: the port is
    free and nothing of the session is left (before the fix, a SIGTERM to make left MLflow and
    uvicorn answering)."""
    assert len(session_processes(server.pid)) >= 5, "make, its shell, mlflow, uvicorn and its workers"
    stop(server)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        table = subprocess.run(["ps", "-s", str(server.pid), "-o", "pid,ppid,pgid,stat,wchan:20,etimes,cmd"],
                               capture_output=True, text=True).stdout  # fmt: skip
        raise AssertionError(f"make serve still running 30 s after the stop:\n{table}\n{log.read_text()}") from None
    finally:
        left = session_processes(server.pid)
        for pid in left:  # leave nothing behind for the next test, even when this one fails
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    assert left == {}, f"left running after make exited: {left}\n{log.read_text()}"
    assert port_is_free(port), "the port is still taken"


def ctrl_c(server: subprocess.Popen) -> None:
    """What Ctrl-C does: SIGINT to the terminal's foreground process group (make's)."""
    os.killpg(server.pid, signal.SIGINT)


def sigterm_to_make(server: subprocess.Popen) -> None:
    """What `kill <make's pid>` or a supervisor does: SIGTERM to make alone."""
    os.kill(server.pid, signal.SIGTERM)


def test_make_serve_answers_like_the_pipeline_and_refuses_bad_rows(trained, tmp_path):
    """Rows of the test set get the pipeline's own predictions (labels exactly, numbers within
    1e-9); a missing column and a wrong type get a 4xx naming the column, and the server goes on;
    Ctrl-C then stops all of it."""
    project, port, log = trained, free_port(), tmp_path / "serve.log"
    server = start_serve(project, port, log)
    url = f"http://127.0.0.1:{port}"
    try:
        data = yaml.safe_load((project / "params.yaml").read_text())["data"]
        test = pd.read_parquet(project / "data/prepared/test.parquet")
        features = test.drop(columns=[data["target"], *data["drop_columns"]])
        reported = pd.read_csv(project / "reports/predictions.csv")["predicted"]

        status, answer = post(f"{url}/invocations", split_payload(features))
        assert status == 200, answer
        served = answer["predictions"]
        numeric = pd.api.types.is_numeric_dtype(reported)
        if numeric:
            assert max(abs(a - b) for a, b in zip(served, reported, strict=True)) <= 1e-9
        else:
            assert served == list(reported)

        first, second = features.columns[0], features.columns[1]
        status, answer = post(f"{url}/invocations", split_payload(features.drop(columns=[first]).head(2)))
        assert 400 <= status < 500 and repr(first) in answer["message"], answer
        wrong = features.head(2).astype({second: object})
        wrong[second] = "fast"
        status, answer = post(f"{url}/invocations", split_payload(wrong))
        assert 400 <= status < 500 and second in answer["message"], answer

        status, answer = post(f"{url}/invocations", split_payload(features.head(3)))
        assert status == 200, answer
        # Labels exactly; numbers within rel 1e-9 (3 rows and the whole batch may take other
        # BLAS kernels, e.g. Ridge's 182.95708792221583 against 182.95708792221586).
        assert answer["predictions"] == (pytest.approx(served[:3], rel=1e-9) if numeric else served[:3])
    finally:
        stop_and_check(server, port, log, ctrl_c)


def test_a_sigterm_to_make_stops_the_whole_server(trained, tmp_path):
    """`kill <make's pid>` (SIGTERM to make only, as a supervisor or an IDE's stop button does)
    stops MLflow, uvicorn and its workers too, and frees the port."""
    port, log = free_port(), tmp_path / "serve.log"
    stop_and_check(start_serve(trained, port, log), port, log, sigterm_to_make)


def predict(project: Path, *args: str) -> subprocess.CompletedProcess:
    return run([sys.executable, "-m", project.name.replace("-", "_"), "predict", *args], project,
               env=project_env(project))  # fmt: skip


def one_error_line(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ERROR: predict: "), done.stderr
    return lines[0]


def test_predict_streams_a_csv_and_keeps_its_columns(trained, tmp_path):
    """The raw CSV (with a column the model ignores, and the target) comes back as it was, plus
    predictions; the test rows, scored 7 at a time, get the pipeline's own predictions (made
    in one batch); bad input stops in one line and leaves --out as it was."""
    project = trained
    raw = next((project / "data/raw").glob("*.csv"))
    whole = tmp_path / "whole.csv"
    done = predict(project, str(raw), "--out", str(whole))
    assert done.returncode == 0, done.stderr
    given = pd.read_csv(raw, dtype=str, keep_default_na=False)
    scored = pd.read_csv(whole, dtype=str, keep_default_na=False)
    assert scored[given.columns].equals(given), "the input columns are written back as they were"
    assert len(scored) == len(given) and scored["prediction"].str.len().min() > 0
    probabilities = pd.read_csv(whole).filter(like="probability_")
    if not probabilities.empty:
        assert (probabilities.sum(axis=1) - 1).abs().max() < 1e-9

    test_rows = tmp_path / "test.csv"
    pd.read_parquet(project / "data/prepared/test.parquet").to_csv(test_rows, index=False)
    done = predict(project, str(test_rows), "--out", str(tmp_path / "test-scored.csv"), "--chunk-rows", "7")
    assert done.returncode == 0, done.stderr
    reported = pd.read_csv(project / "reports/predictions.csv")["predicted"]
    predicted = pd.read_csv(tmp_path / "test-scored.csv")["prediction"]
    # Labels exactly; numbers may differ in the last bits between batch sizes (BLAS), not more.
    pd.testing.assert_series_equal(predicted, reported, check_names=False, check_exact=False, rtol=0, atol=1e-9)

    excel = tmp_path / "excel.csv"  # as German Excel saves it: BOM, semicolons, decimal commas
    excel.write_text("\ufeff" + pd.read_csv(test_rows).to_csv(index=False, sep=";", decimal=","), encoding="utf-8")
    done = predict(project, str(excel), "--out", str(tmp_path / "excel-scored.csv"))
    assert done.returncode == 0, done.stderr
    written = (tmp_path / "excel-scored.csv").read_text(encoding="utf-8")
    assert written.startswith("\ufeff") and written.splitlines()[0].count(";") >= 2, "written as it was read"
    scored = pd.read_csv(tmp_path / "excel-scored.csv", sep=";", decimal=",", encoding="utf-8-sig")["prediction"]
    pd.testing.assert_series_equal(scored, reported, check_names=False, check_exact=False, rtol=0, atol=1e-9)

    out = tmp_path / "kept.csv"
    out.write_text("mine\n")
    missing = tmp_path / "missing.csv"
    given.drop(columns=[given.columns[1], given.columns[2]]).to_csv(missing, index=False)
    line = one_error_line(predict(project, str(missing), "--out", str(out)))
    assert repr(given.columns[1]) in line and repr(given.columns[2]) in line
    numeric = next(c for c in given.columns[1:] if pd.to_numeric(given[c], errors="coerce").notna().all())
    units = tmp_path / "units.csv"
    given.assign(**{numeric: given[numeric] + " units"}).to_csv(units, index=False)
    line = one_error_line(predict(project, str(units), "--out", str(out)))
    assert f"column {numeric!r} must hold numbers" in line and " units" in line
    header_only = tmp_path / "header.csv"
    header_only.write_text(raw.read_text().splitlines()[0] + "\n")
    assert "no data rows" in one_error_line(predict(project, str(header_only), "--out", str(out)))
    assert "not UTF-8" in one_error_line(predict(project, sys.executable, "--out", str(out)))
    assert out.read_text() == "mine\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".kept")] == []
