"""`make bench`: measure baked projects and write BENCHMARKS.md.

Every figure is min / median / max over several runs on this machine (described at the top
of the report), and every comparison is measured side by side in the same run:
- bake time; a forced `dvc repro` of the default project with each stage's wall time and
  peak RSS; a no-op `dvc repro` against `dvc status`, and the same on DVC's minimal pipeline;
- the same science as one bare script (bench_fixtures/bare.py: the floor), and a seed-style
  pipeline (bench_fixtures/seed/: plain scripts, MLflow's defaults), with our ratio to it;
- scaling over synthetic tables (bench_fixtures/synthetic.py) of 10k to 5M rows with
  hist_gradient_boosting: stage time and peak RSS against the data's in-memory size;
- sweep throughput of queued experiments with `-j 1` and `-j 2`;
- disk used after a repro, and model size per model; serving latency and throughput.
`QUICK=1` (or `--quick`) runs a reduced set in minutes; a slow-tier test runs it.
"""

import argparse
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pandas as pd
import yaml

TEMPLATE = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "bench_fixtures"
REPORT = TEMPLATE / "BENCHMARKS.md"
BIN = Path(sys.executable).parent
ENV = os.environ | {
    "DVC_NO_ANALYTICS": "1",
    "PATH": f"{BIN}:{os.environ['PATH']}",
    "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@localhost",
    "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@localhost",
}  # fmt: skip


@dataclass(frozen=True)
class Plan:
    """How much to measure: the full set, or QUICK's reduced one."""

    quick: bool
    bakes: int
    warm_up: bool  # a first `dvc repro` of ours and the seed before the measured ones
    repros: int
    noops: int
    sizes: dict[int, int]  # rows -> repetitions
    sweep: int
    serving: tuple[int, int]  # single-row requests, 1,000-row batches
    threads: int | None = None  # OpenMP / BLAS threads per process; None: as the machine gives


FULL = Plan(False, 3, True, 5, 5, {10_000: 3, 100_000: 3, 1_000_000: 1, 5_000_000: 1}, 8, (500, 20))
# Every figure once, on the smallest inputs, one thread per process: the slow tier runs
# this beside other tests to prove that every section still gets measured (in a few
# minutes), not to measure well. On a busy machine, OpenMP's threads (hist_gradient_boosting)
# waiting for each other cost more than the training itself.
QUICK = Plan(True, 1, False, 1, 1, {5_000: 1}, 1, (20, 1), threads=1)
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def measure(command: list[str], cwd: Path, env: dict | None = None) -> tuple[float, float]:
    """(seconds, peak RSS in MB of the process and the children it waited for) of a command
    that must succeed; its output is shown only when it fails."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as output:
        child = subprocess.Popen(command, cwd=cwd, env=env or ENV, stdout=output, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - start
        if child.returncode != 0:
            output.seek(0)
            sys.stderr.write(output.read().decode(errors="replace")[-4000:])
            raise SystemExit(f"ERROR: bench: {' '.join(command)} failed in {cwd} ({child.returncode})")
    return seconds, usage.ru_maxrss / 1024


def run(command: list[str], cwd: Path) -> str:
    return subprocess.run(command, cwd=cwd, env=ENV, check=True, capture_output=True, text=True).stdout


def bake(scratch: Path, **answers: str) -> tuple[Path, float]:
    """A project baked with `answers` into a new folder of `scratch`, and the seconds it took."""
    out = Path(tempfile.mkdtemp(dir=scratch))
    extra = [f"{key}={value}" for key, value in answers.items()]
    seconds, _ = measure([sys.executable, "-m", "cookiecutter", "--no-input", "--output-dir", str(out),
                          str(TEMPLATE), *extra], cwd=scratch)  # fmt: skip
    return next(p for p in out.iterdir() if p.is_dir()), seconds


def instrument(project: Path, log: Path) -> None:
    """Put timed.py in front of every stage's cmd, and commit that: `dvc repro` then logs
    each stage's wall time and peak RSS to `log`."""
    pipeline = yaml.safe_load((project / "dvc.yaml").read_text())
    for name, stage in pipeline["stages"].items():
        stage["cmd"] = f"{sys.executable} {FIXTURES / 'timed.py'} {log} {name} -- {stage['cmd']}"
    (project / "dvc.yaml").write_text(yaml.safe_dump(pipeline, sort_keys=False))
    run(["git", "add", "-A"], project)
    run(["git", "commit", "-q", "-m", "bench: time each stage", "--no-verify"], project)


def stage_log(log: Path) -> list[dict]:
    lines = log.read_text().splitlines() if log.exists() else []
    log.unlink(missing_ok=True)
    return [json.loads(line) for line in lines]


def forced_repro(project: Path, log: Path, profiles: Path | None = None) -> dict:
    """One `dvc repro -f`: its wall time and peak RSS, and each stage's (with `profiles`:
    each stage under cProfile, its stats there)."""
    env = ENV | {"BENCH_PROFILE_DIR": str(profiles)} if profiles else None
    seconds, rss = measure(["dvc", "repro", "-f", "-q"], project, env)
    return {"seconds": seconds, "rss": rss, "stages": {e["stage"]: e for e in stage_log(log)}}


def seed_project(scratch: Path, ours: Path) -> Path:
    """The seed-style fixture as a git + DVC repository on our project's data and params."""
    seed = scratch / "seed"
    shutil.copytree(FIXTURES / "seed", seed)
    params = yaml.safe_load((ours / "params.yaml").read_text())
    (seed / "params.yaml").write_text(yaml.safe_dump({k: params[k] for k in ("data", "prepare", "train")}))
    raw = yaml.safe_load((ours / "dvc.yaml").read_text())["stages"]["prepare"]["deps"][0]
    (seed / "data").mkdir()
    shutil.copyfile(ours / raw, seed / "data/raw.csv")
    (seed / ".gitignore").write_text("mlflow.db\nmlruns/\nmlartifacts/\n")
    for command in (["git", "init", "-q"], ["dvc", "init", "-q"], ["dvc", "add", "-q", "data/raw.csv"],
                    ["git", "add", "-A"], ["git", "commit", "-q", "-m", "seed"]):  # fmt: skip
        run(command, seed)
    return seed


def minimal_pipeline(scratch: Path) -> Path:
    """DVC's floor: one stage copying one file."""
    floor = scratch / "minimal"
    floor.mkdir()
    (floor / "in.txt").write_text("hello\n")
    stage = ["dvc", "stage", "add", "-q", "-n", "copy", "-d", "in.txt", "-o", "out.txt", "cp in.txt out.txt"]
    for command in (["git", "init", "-q"], ["dvc", "init", "-q"], stage, ["dvc", "repro", "-q"],
                    ["git", "add", "-A"], ["git", "commit", "-q", "-m", "minimal"]):  # fmt: skip
        run(command, floor)
    return floor


def noop_ratio(project: Path, times: int) -> dict:
    """No-op `dvc repro` against `dvc status`, alternated, `times` each."""
    repro, status = [], []
    for _ in range(times):
        repro.append(measure(["dvc", "repro", "-q"], project)[0])
        status.append(measure(["dvc", "status", "-q"], project)[0])
    return {"repro": repro, "status": status, "ratio": statistics.median(repro) / statistics.median(status)}


def bare(project: Path) -> tuple[float, float]:
    return measure([sys.executable, str(FIXTURES / "bare.py"), str(project)], project,
                   ENV | {"PYTHONPATH": str(project)})  # fmt: skip


def default_project(scratch: Path, plan: Plan) -> dict:
    """Bake time, forced repro per stage, no-op repro, bare floor and the seed-style pipeline."""
    ours, first = bake(scratch)
    bakes = [first] + [bake(scratch)[1] for _ in range(plan.bakes - 1)]
    seed = seed_project(scratch, ours)
    log = scratch / "stages.jsonl"
    if plan.warm_up:  # the store exists: later runs compare like with like
        measure(["dvc", "repro", "-q"], ours)
        measure(["dvc", "repro", "-q"], seed)
    instrument(ours, log)
    instrument(seed, log)
    runs: dict[str, list[dict]] = {"ours": [], "seed": []}
    floor = []
    # QUICK checks the report's shape, not speed: its one forced repro of ours is also the profile.
    profiles = Path(tempfile.mkdtemp(dir=scratch)) if plan.quick else None
    for _ in range(plan.repros):  # side by side: alternate, so load hits both alike
        runs["ours"].append(forced_repro(ours, log, profiles))
        runs["seed"].append(forced_repro(seed, log))
        floor.append(bare(ours))
    from bench_everyday import everyday_loop, profile, profiled

    return {
        "bakes": bakes,
        "runs": runs,
        "bare": floor,
        "profile": profiled(profiles, ours) if profiles else profile(ours),
        "loop": everyday_loop(ours, seed, log, plan),
        "noop": noop_ratio(ours, plan.noops),
        "noop_minimal": noop_ratio(minimal_pipeline(scratch), plan.noops),
        "disk": disk(ours),
        "project": ours,
    }


def du(path: Path) -> float:
    """MB on disk under `path`, hard links counted once."""
    if not path.exists():
        return 0.0
    return int(run(["du", "-sk", str(path)], path.parent).split()[0]) / 1024


def disk(project: Path) -> dict[str, float]:
    model = project / "models/model.pkl"
    return {
        "project folder": du(project),
        "model file": model.stat().st_size / 2**20,
        "DVC cache (.dvc/cache)": du(project / ".dvc/cache"),
        "MLflow artifacts (mlartifacts)": du(project / "mlartifacts"),
        "MLflow store (mlflow.db)": du(project / "mlflow.db"),
    }


def scaling(scratch: Path, plan: Plan) -> list[dict]:
    """hist_gradient_boosting on synthetic tables of each size: stages, full repro, floor."""
    first = min(plan.sizes)
    csv = scratch / "synthetic.csv"
    run([sys.executable, str(FIXTURES / "synthetic.py"), str(first), str(csv)], scratch)
    project, _ = bake(scratch, dataset="custom", custom_csv=str(csv), target_column="target",
                      model="hist_gradient_boosting", dvc_remote="none", ci="none")  # fmt: skip
    log = scratch / "scaling.jsonl"
    instrument(project, log)
    raw = project / "data/raw/data.csv"
    results = []
    for rows, repetitions in sorted(plan.sizes.items()):
        raw.unlink()
        memory = int(run([sys.executable, str(FIXTURES / "synthetic.py"), str(rows), str(raw)], scratch))
        measure(["dvc", "add", "-q", str(raw)], project)
        runs = [forced_repro(project, log) for _ in range(repetitions)]
        floor = [bare(project) for _ in range(repetitions)]
        results.append({"rows": rows, "memory_mb": memory / 2**20, "csv_mb": raw.stat().st_size / 2**20,
                        "runs": runs, "bare": floor, "disk": du(project)})  # fmt: skip
        if not plan.quick and rows == max(size for size in plan.sizes if size <= 1_000_000):
            from bench_everyday import profile

            results[-1]["profile"] = profile(project)
    return results


def model_sizes(scratch: Path, plan: Plan) -> list[dict]:
    """Each model's file size and training time on the 100k-row synthetic table (full run only)."""
    if plan.quick:
        return []
    csv = scratch / "sizes.csv"
    run([sys.executable, str(FIXTURES / "synthetic.py"), "100000", str(csv)], scratch)
    project, _ = bake(scratch, dataset="custom", custom_csv=str(csv), target_column="target",
                      dvc_remote="none", ci="none")  # fmt: skip
    measure(["dvc", "repro", "-q", "prepare"], project)
    train = yaml.safe_load((project / "dvc.yaml").read_text())["stages"]["train"]["cmd"]
    results = []
    for model in ("hist_gradient_boosting", "random_forest", "linear"):
        params = project / "params.yaml"
        params.write_text(re.sub(r"(?m)^  model: \S+", f"  model: {model}", params.read_text()))
        seconds, rss = measure(["sh", "-c", train], project)  # dvc.yaml's own train command
        results.append({"model": model, "seconds": seconds, "rss": rss,
                        "mb": (project / "models/model.pkl").stat().st_size / 2**20})  # fmt: skip
    return results


def sweep(project: Path, plan: Plan) -> dict[int, float]:
    """Experiments per minute for `plan.sweep` queued experiments of `project` (committed,
    its pipeline run), with -j 1 and -j 2."""
    run(["git", "add", "-A"], project)
    run(["git", "commit", "-q", "--allow-empty", "-m", "bench: sweep baseline", "--no-verify"], project)
    throughput = {}
    for jobs in (1, 2):
        for i in range(plan.sweep):
            run(["dvc", "exp", "run", "--queue", "-q", "-S", f"train.seed={100 * jobs + i}"], project)
        seconds, _ = measure(["dvc", "exp", "run", "--run-all", "-j", str(jobs)], project)
        throughput[jobs] = plan.sweep / seconds * 60
        stop_workers(project)
    return throughput


def command_lines() -> list[bytes]:
    """The command line of every process (Linux /proc)."""
    found = []
    for path in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            found.append(path.read_bytes())
        except OSError:
            continue
    return found


def stop_workers(project: Path, seconds: float = 120) -> None:
    """Stop the queue's workers: one left idle would start the next batch while it is queued."""
    run(["dvc", "queue", "stop"], project)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(b"queue-worker" in command for command in command_lines()):
            return
        time.sleep(0.5)
    raise SystemExit(f"ERROR: bench: the DVC queue workers of {project} did not stop within {seconds:.0f} s")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def post(url: str, frame: pd.DataFrame) -> float:
    """Seconds one `dataframe_split` request takes, answer read."""
    body = json.dumps({"dataframe_split": json.loads(frame.to_json(orient="split", index=False))}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"}, method="POST")
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as answer:
        answer.read()
    return time.perf_counter() - start


def serve(project: Path, port: int) -> subprocess.Popen:
    server = subprocess.Popen(["make", "--no-print-directory", "serve", f"VENV={BIN.parent}", f"SERVE_PORT={port}"],
                              cwd=project, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
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


def serving(project: Path, plan: Plan) -> dict[str, float]:
    single, batches = plan.serving
    params = yaml.safe_load((project / "params.yaml").read_text())["data"]
    features = pd.read_parquet(project / "data/prepared/train.parquet").drop(
        columns=[params["target"], *params["drop_columns"]]
    )
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
    names = ("mlflow", "dvc", "scikit-learn", "pandas", "pyarrow")
    versions = ", ".join(f"{name} {metadata.version(name)}" for name in names)
    cpu = f"{os.cpu_count()} cores ({platform.processor() or platform.machine()}), {memory:.0f} GiB"
    return f"{cpu}, Python {platform.python_version()}, {versions}; load average {os.getloadavg()[0]:.1f} at the end"


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.modules["bench"] = sys.modules["__main__"]  # bench_everyday shares this ENV and these helpers
    from bench_everyday import wide_table
    from bench_report import report

    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", default=os.environ.get("QUICK") == "1")
    parser.add_argument("--out", type=Path, default=REPORT)
    parser.add_argument("--keep", type=Path, help="measure in this folder and keep it (default: a temporary one)")
    parser.add_argument("--only-sweeps", action="store_true", help="print the sweep figures of a fresh bake only")
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    if plan.threads is not None:
        ENV.update(dict.fromkeys(THREAD_VARIABLES, str(plan.threads)))
    if args.only_sweeps:
        with tempfile.TemporaryDirectory() as temporary:
            project, _ = bake(Path(temporary))
            measure(["dvc", "repro", "-q"], project)
            print(json.dumps(sweep(project, plan)))
        sys.exit(0)
    with tempfile.TemporaryDirectory() as temporary:
        scratch = args.keep or Path(temporary)
        scratch.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()

        def done(what: str) -> None:
            print(f"{what} measured ({time.perf_counter() - started:.0f} s in)", flush=True)

        results = {"default": default_project(scratch, plan)}
        done("default project")
        project = results["default"].pop("project")
        results["serving"] = serving(project, plan)
        done("serving")
        results["sweep"] = sweep(project, plan)
        done("sweeps")
        results["models"] = model_sizes(scratch, plan)
        results["scaling"] = scaling(scratch, plan)
        done("scaling")
        results["wide"] = wide_table(scratch, plan)
        done("wide table")
        results["minutes"] = (time.perf_counter() - started) / 60
    args.out.write_text(report(results, plan, machine()))
    print(f"wrote {args.out}")
