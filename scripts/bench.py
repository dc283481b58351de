"""`make bench`: measure a baked default project and write BENCHMARKS.md.

Bakes the default project into a scratch folder, runs its pipeline once, then measures what
a user of the served champion feels: single-row latency (p50/p99) and rows/s for 1,000-row
batches against `make serve`. Numbers come from this machine, described at the top of the
file. `QUICK=1` (or `--quick`) makes fewer requests, for a smoke run.
"""

import argparse
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from importlib import metadata
from pathlib import Path

import pandas as pd

TEMPLATE = Path(__file__).resolve().parent.parent
REPORT = TEMPLATE / "BENCHMARKS.md"
PROJECT = "car-origin-classifier"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def bake_and_train(scratch: Path) -> Path:
    env = os.environ | {"DVC_NO_ANALYTICS": "1", "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    subprocess.run([sys.executable, "-m", "cookiecutter", "--no-input", "--output-dir", str(scratch), str(TEMPLATE)],
                   check=True, env=env, capture_output=True)  # fmt: skip
    project = scratch / PROJECT
    subprocess.run(["dvc", "repro"], cwd=project, check=True, env=env | {"PYTHONPATH": str(project)},
                   capture_output=True)  # fmt: skip
    return project


def post(url: str, frame: pd.DataFrame) -> float:
    """Seconds one `dataframe_split` request takes, answer read."""
    body = json.dumps({"dataframe_split": json.loads(frame.to_json(orient="split", index=False))}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"}, method="POST")
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as answer:
        answer.read()
    return time.perf_counter() - start


def serve(project: Path, port: int) -> subprocess.Popen:
    venv = Path(sys.executable).parent.parent
    server = subprocess.Popen(["make", "--no-print-directory", "serve", f"VENV={venv}", f"SERVE_PORT={port}"],
                              cwd=project, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)  # fmt: skip
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=5):
                return server
        except OSError:
            time.sleep(0.5)
    os.killpg(server.pid, signal.SIGTERM)
    raise SystemExit("ERROR: bench: `make serve` did not answer within 300 s")


def measure_serving(project: Path, single: int, batches: int) -> dict[str, float]:
    features = pd.read_parquet(project / "data/prepared/train.parquet").drop(columns=["origin", "name"])
    rows = pd.concat([features] * (1000 // len(features) + 1), ignore_index=True).head(1000)
    port = free_port()
    server = serve(project, port)
    url = f"http://127.0.0.1:{port}/invocations"
    try:
        post(url, rows.head(1))  # warm-up
        latencies = sorted(post(url, features.iloc[[i % len(features)]]) for i in range(single))
        batch_seconds = [post(url, rows) for _ in range(batches)]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    return {
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
        "rows_per_s": 1000 / statistics.median(batch_seconds),
        "single": single,
        "batches": batches,
    }


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    versions = ", ".join(f"{name} {metadata.version(name)}" for name in ("mlflow", "dvc", "scikit-learn", "pandas"))
    load = os.getloadavg()[0]
    return (f"{os.cpu_count()} cores ({platform.processor() or platform.machine()}), {memory:.0f} GiB, "
            f"Python {platform.python_version()}, {versions}; load average {load:.1f} at the end")  # fmt: skip


def report(serving: dict[str, float], quick: bool) -> str:
    return f"""# Benchmarks

Written by `make bench`{" (QUICK=1: fewer requests)" if quick else ""} on {time.strftime("%Y-%m-%d")}.
Machine: {machine()}.

## Serving the champion (`make serve`, MLflow's scoring server, default project)
Requests from one client on loopback, `dataframe_split` JSON, answer read.

| measure | value |
| --- | --- |
| single-row latency p50 | {serving["p50_ms"]:.1f} ms |
| single-row latency p99 | {serving["p99_ms"]:.1f} ms |
| 1,000-row batches | {serving["rows_per_s"]:,.0f} rows/s (median of {serving["batches"]}) |

Single-row figures are over {serving["single"]} requests, one at a time.
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", default=os.environ.get("QUICK") == "1")
    parser.add_argument("--out", type=Path, default=REPORT)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        project = bake_and_train(Path(scratch))
        serving = measure_serving(project, single=50 if args.quick else 500, batches=3 if args.quick else 20)
    args.out.write_text(report(serving, args.quick))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
