"""What `make bench` measures beyond bench.py's sections: the everyday loop, the wide
many-class table, and where each stage's time goes.

- the loop: one param changed (train.seed) then `dvc repro` (train and evaluate rerun), ours
  and the seed-style pipeline alternated with the bare script, and `dvc exp run -S` of ours;
- a wide table (bench_fixtures/wide.py: 2,000 rows x 60 columns, 32 classes): forced repro
  against the bare script;
- profiles: each stage of a project run once under cProfile; the report shows the time
  spent importing and the slowest functions of the project's code.
"""

import io
import pstats
import re
import sys
import tempfile
from pathlib import Path

import yaml
from bench import ENV, FIXTURES, Plan, bake, bare, forced_repro, instrument, measure, run, stage_log

# Functions of the project's own code shown per stage, slowest (cumulative) first.
PROFILE_LINES = 8
# The wide table: (rows, classes); QUICK's only proves the section is still measured.
WIDE, WIDE_QUICK = (2000, 32), (300, 4)


def set_seed(project: Path, seed: int, ours: bool) -> None:
    """train.seed in params.yaml: ours keeps its comments (the first `seed:` under train:)."""
    params = project / "params.yaml"
    if not ours:
        values = yaml.safe_load(params.read_text())
        values["train"]["seed"] = seed
        params.write_text(yaml.safe_dump(values, sort_keys=False))
        return
    head, _, train = params.read_text().partition("\ntrain:\n")
    params.write_text(f"{head}\ntrain:\n" + re.sub(r"(?m)^  seed: \d+", f"  seed: {seed}", train, count=1))


def changed_param(project: Path, log: Path) -> dict:
    seconds, rss = measure(["dvc", "repro", "-q"], project)
    return {"seconds": seconds, "rss": rss, "stages": {e["stage"]: e for e in stage_log(log)}}


def everyday_loop(ours: Path, seed: Path, log: Path, plan: Plan) -> dict:
    """One param changed, then `dvc repro`, ours and the seed-style pipeline; `dvc exp run -S`."""
    runs: dict[str, list] = {"ours": [], "seed": [], "exp": [], "bare": []}
    for i in range(plan.repros):
        set_seed(ours, 1000 + i, ours=True)
        runs["ours"].append(changed_param(ours, log))
        if not plan.quick:  # QUICK proves the loop is measured; the seed-style run adds nothing to that
            set_seed(seed, 1000 + i, ours=False)
            runs["seed"].append(changed_param(seed, log))
        exp = measure(["dvc", "exp", "run", "-q", "-S", f"train.seed={2000 + i}"], ours)
        stage_log(log)
        runs["exp"].append(exp[0])
        runs["bare"].append(bare(ours)[0])
    return runs


def wide_table(scratch: Path, plan: Plan) -> dict:
    """Forced repro of a baked project on bench_fixtures/wide.py's table, and the bare script."""
    csv = scratch / "wide.csv"
    shape = WIDE_QUICK if plan.quick else WIDE
    run([sys.executable, str(FIXTURES / "wide.py"), *map(str, shape), str(csv)], scratch)
    project, _ = bake(scratch, dataset="custom", custom_csv=str(csv), target_column="target",
                      dvc_remote="none", ci="none")  # fmt: skip
    log = scratch / "wide.jsonl"
    instrument(project, log)
    if plan.warm_up:
        measure(["dvc", "repro", "-q"], project)
        stage_log(log)
    runs, floor = [], []
    for _ in range(plan.repros):
        runs.append(forced_repro(project, log))
        floor.append(bare(project)[0])
    return {"runs": runs, "bare": floor, "rows": shape[0], "classes": shape[1]}


def import_seconds(stats: pstats.Stats) -> float:
    """Time spent importing: importlib's `_find_and_load`, whose cumulative time counts each
    outermost import once (module bodies included), wherever in the run it happens."""
    return sum(row[3] for (_, _, name), row in stats.stats.items() if name == "_find_and_load")


def slowest_functions(stats: pstats.Stats, project: Path) -> list[tuple[str, float]]:
    """The project's own functions by cumulative time, named by their path in the package."""
    rows = []
    for (filename, _, name), (_, _, _, cumulative, _) in stats.stats.items():
        path = Path(filename)
        if name != "<module>" and path.is_relative_to(project) and "tests" not in path.parts:
            inside = Path(*path.relative_to(project).parts[1:]).as_posix()
            rows.append((f"{inside}:{name}", cumulative))
    return sorted(rows, key=lambda row: -row[1])[:PROFILE_LINES]


def summary(stats_file: Path, project: Path) -> dict:
    """One stage's profile as the report shows it: total, imports, the slowest functions."""
    stats = pstats.Stats(str(stats_file), stream=io.StringIO())
    return {"seconds": stats.total_tt, "imports": import_seconds(stats), "top": slowest_functions(stats, project)}


def profile(project: Path) -> dict[str, dict]:
    """Each stage of `project` (its inputs in place) run once under cProfile."""
    stages = yaml.safe_load((project / "dvc.yaml").read_text())["stages"]
    found = {}
    for name, stage in stages.items():
        command = stage["cmd"].split(" -- ", 1)[-1]  # without bench's timed.py in front
        assert command.startswith("python -m "), command
        with tempfile.TemporaryDirectory() as scratch:
            out = Path(scratch) / "stage.prof"
            profiled = command.replace("python -m ", f"{sys.executable} -m cProfile -o {out} -m ", 1)
            measure(["sh", "-c", profiled], project, ENV | {"PYTHONPATH": str(project)})
            found[name] = summary(out, project)
    return found


def profiled(folder: Path, project: Path) -> dict[str, dict]:
    """The profiles a forced repro with BENCH_PROFILE_DIR=`folder` left, one per stage of `project`."""
    stages = yaml.safe_load((project / "dvc.yaml").read_text())["stages"]
    return {name: summary(folder / f"{name}.prof", project) for name in stages}
