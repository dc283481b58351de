"""BENCHMARKS.md from the figures scripts/bench.py measured: the targets first, then each
measurement in full. Kept apart from the measuring so the wording can change without a rerun."""

import os
import statistics
import time

from bench_sections import STAGES, loop_section, profiles_section, spread, wide_section


def median(values: list[float]) -> float:
    return statistics.median(values)


def stage_values(runs: list[dict], stage: str, key: str) -> list[float]:
    return [run["stages"][stage][key] for run in runs if stage in run["stages"]]


def largest_rss(runs: list[dict]) -> float:
    """The highest peak RSS of any stage in `runs`, in MB."""
    return max(max(stage_values(runs, stage, "peak_rss_mb")) for stage in STAGES)


def fit(points: list[tuple[float, float]]) -> tuple[float, float, float]:
    """Least squares y = a + b x over `points`: (a, b, r²)."""
    xs, ys = zip(*points, strict=True)
    if len(points) < 2:
        return 0.0, ys[0] / xs[0], 1.0
    slope, intercept = statistics.linear_regression(xs, ys)
    r = statistics.correlation(xs, ys) if len(set(ys)) > 1 else 1.0
    return intercept, slope, r * r


def verdict(met: bool) -> str:
    return "met" if met else "**not met**"


def ratio(numerator: float, denominator: float, unit: str = "s") -> str:
    return f"{numerator:.2f} {unit} / {denominator:.2f} {unit} = **{numerator / denominator:.2f}×**"


def targets(results: dict) -> tuple[list[str], dict]:
    default, scale, sweep = results["default"], results["scaling"], results["sweep"]
    ours = median([r["seconds"] for r in default["runs"]["ours"]])
    seed = median([r["seconds"] for r in default["runs"]["seed"]])
    floor_s = median([b[0] for b in default["bare"]])
    noop, floor = default["noop"]["ratio"], default["noop_minimal"]["ratio"]
    loop = default["loop"]
    changed = median([r["seconds"] for r in loop["ours"]])
    versus_seed = (
        f" (seed-style: {median([r['seconds'] for r in loop['seed']]) / median(loop['bare']):.2f}×)"
        if loop["seed"]
        else ""
    )
    loop_bare, exp = median(loop["bare"]), median(loop["exp"])
    rows = [
        "| target | measured | |",
        "| --- | --- | --- |",
        f"| forced `dvc repro` of the default project ≤ 0.5× the seed-style pipeline "
        f"| {ratio(ours, seed)} | {verdict(ours / seed <= 0.5)} |",
        f"| forced `dvc repro` of the default project ≤ 2.5× the bare script "
        f"| {ratio(ours, floor_s)} | {verdict(ours / floor_s <= 2.5)} |",
        f"| the everyday loop: one param changed, `dvc repro` (train and evaluate) against the bare script "
        f"| {ratio(changed, loop_bare)}{versus_seed} | measured |",
        f"| the everyday loop: `dvc exp run -S train.seed=…` against the bare script "
        f"| {ratio(exp, loop_bare)} | measured |",
    ]
    smallest = min(scale, key=lambda s: s["rows"])
    small, small_bare = median([r["seconds"] for r in smallest["runs"]]), median([b[0] for b in smallest["bare"]])
    rows.append(f"| {smallest['rows']:,} rows: full repro ≤ 3× the bare script "
                f"| {ratio(small, small_bare)} | {verdict(small / small_bare <= 3)} |")  # fmt: skip
    if "wide" in results:
        wide = median([r["seconds"] for r in results["wide"]["runs"]])
        wide_bare = median(results["wide"]["bare"])
        shape = f"{results['wide']['rows']:,} rows x 60 columns, {results['wide']['classes']} classes"
        rows.append(f"| {shape}: full repro ≤ 3× the bare script "
                    f"| {ratio(wide, wide_bare)} | {verdict(wide / wide_bare <= 3)} |")  # fmt: skip
    rows.append(f"| no-op `dvc repro` / `dvc status` no worse than DVC's minimal pipeline "
                f"| {noop:.2f}× (minimal: {floor:.2f}×) | {verdict(noop <= floor * 1.05)} |")  # fmt: skip
    facts: dict = {}
    million = next((s for s in scale if s["rows"] == 1_000_000), None)
    if million:
        full = median([r["seconds"] for r in million["runs"]])
        bare = median([b[0] for b in million["bare"]])
        worst = largest_rss(million["runs"])
        rows += [
            f"| 1M rows: full repro ≤ 1.3× the bare script | {full:.1f} s / {bare:.1f} s = "
            f"**{full / bare:.2f}×** | {verdict(full / bare <= 1.3)} |",
            f"| 1M rows: each stage's peak RSS ≤ 3× the data in memory | largest {worst:.0f} MB / "
            f"{million['memory_mb']:.0f} MB = **{worst / million['memory_mb']:.2f}×** "
            f"| {verdict(worst <= 3 * million['memory_mb'])} |",
        ]
    grown = [s for s in scale if s["rows"] >= 100_000]
    if len(grown) >= 2:
        time_fit = fit([(s["rows"] / 1e6, median([r["seconds"] for r in s["runs"]])) for s in grown])
        rss_fit = fit([(s["rows"] / 1e6, largest_rss(s["runs"]))
                       for s in grown])  # fmt: skip
        per_million = median([s["memory_mb"] / (s["rows"] / 1e6) for s in grown])
        facts |= {"time_fit": time_fit, "rss_fit": rss_fit, "mb_per_million": per_million}
        span = f"{grown[0]['rows']:,} to {grown[-1]['rows']:,} rows"
        rows.append(
            f"| time and memory grow linearly ({span}) | {time_fit[1]:.1f} s and {rss_fit[1]:.0f} MB per "
            f"million rows (r² {time_fit[2]:.3f} and {rss_fit[2]:.3f}) | {verdict(min(time_fit[2], rss_fit[2]) >= 0.98)} |"
        )
    gain = sweep[2] / sweep[1]
    rows.append(f"| sweeps: `-j 2` ≥ 1.6× the throughput of `-j 1` | {sweep[2]:.2f} / {sweep[1]:.2f} "
                f"experiments per minute = **{gain:.2f}×** | {verdict(gain >= 1.6)} |")  # fmt: skip
    ci = os.environ.get("CI_RUN_MINUTES")
    rows.append(f"| `.ci/run` on a clean clone ≤ 30 minutes | {ci} minutes (CI_RUN_MINUTES) | {verdict(float(ci) <= 30)} |"
                if ci else "| `.ci/run` on a clean clone ≤ 30 minutes | not run by `make bench`: CI times it "
                "(set CI_RUN_MINUTES to show it here) | measured by CI |")  # fmt: skip
    return rows, facts


def default_section(default: dict) -> list[str]:
    ours, seed = default["runs"]["ours"], default["runs"]["seed"]
    lines = [
        "## Default project (cars, random split, the default model)",
        f"Bake (`cookiecutter --no-input`: render, git, DVC, data added, first commit): {spread(default['bakes'])}.",
        "",
        "Forced `dvc repro -f`, ours and the seed-style pipeline alternated, and the same science as one "
        "bare script (`scripts/bench_fixtures/bare.py`: no DVC, no MLflow, no files between steps):",
        "",
        "| | wall time | peak RSS |",
        "| --- | --- | --- |",
        f"| ours, whole `dvc repro -f` | {spread([r['seconds'] for r in ours])} | {spread([r['rss'] for r in ours], 'MB', 0)} |",
    ]
    for stage in STAGES:
        lines.append(f"| ours, {stage} | {spread(stage_values(ours, stage, 'seconds'))} "
                     f"| {spread(stage_values(ours, stage, 'peak_rss_mb'), 'MB', 0)} |")  # fmt: skip
    lines.append(f"| seed-style, whole `dvc repro -f` | {spread([r['seconds'] for r in seed])} "
                 f"| {spread([r['rss'] for r in seed], 'MB', 0)} |")  # fmt: skip
    for stage in STAGES:
        lines.append(f"| seed-style, {stage} | {spread(stage_values(seed, stage, 'seconds'))} "
                     f"| {spread(stage_values(seed, stage, 'peak_rss_mb'), 'MB', 0)} |")  # fmt: skip
    lines += [
        f"| bare script | {spread([b[0] for b in default['bare']])} | {spread([b[1] for b in default['bare']], 'MB', 0)} |",
        "",
        "No-op `dvc repro` (nothing changed) against `dvc status`, alternated:",
        "",
        "| pipeline | `dvc repro` | `dvc status` | ratio |",
        "| --- | --- | --- | --- |",
    ]
    for name, key in (("ours", "noop"), ("DVC's minimal (one `cp` stage)", "noop_minimal")):
        noop = default[key]
        lines.append(f"| {name} | {spread(noop['repro'])} | {spread(noop['status'])} | {noop['ratio']:.2f}× |")
    lines += ["", "Disk after the repros (`du`, hard links counted once):", "", "| what | MB |", "| --- | --- |"]
    lines += [f"| {name} | {mb:.2f} |" for name, mb in default["disk"].items()]
    return lines


def models_section(models: list[dict]) -> list[str]:
    if not models:
        return []
    lines = ["", "## Model size per model (100k-row synthetic table, train stage alone)", "",
             "| model | model file | train wall time | peak RSS |", "| --- | --- | --- | --- |"]  # fmt: skip
    lines += [f"| {m['model']} | {m['mb']:.2f} MB | {m['seconds']:.1f} s | {m['rss']:.0f} MB |" for m in models]
    return lines


def scaling_section(scale: list[dict], facts: dict) -> list[str]:
    lines = [
        "",
        "## Scaling (synthetic: 15 numeric and 5 categorical columns, 5% gaps, binary target; hist_gradient_boosting)",
        "Each size: `dvc repro -f` (its stages timed inside it), then the bare script on the same CSV. "
        "Peak RSS against the table's size in memory as pandas holds it.",
        "",
        "| rows | CSV | in memory | prepare | train | evaluate | `dvc repro -f` | bare | ratio | largest RSS / in memory | project on disk |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for size in scale:
        runs = size["runs"]
        cells = []
        for stage in STAGES:
            seconds, rss = median(stage_values(runs, stage, "seconds")), max(stage_values(runs, stage, "peak_rss_mb"))
            cells.append(f"{seconds:.1f} s, {rss:.0f} MB")
        full, bare = median([r["seconds"] for r in runs]), median([b[0] for b in size["bare"]])
        worst = largest_rss(runs)
        lines.append(
            f"| {size['rows']:,} | {size['csv_mb']:.0f} MB | {size['memory_mb']:.0f} MB | {' | '.join(cells)} "
            f"| {full:.1f} s | {bare:.1f} s | {full / bare:.2f}× | {worst / size['memory_mb']:.2f}× | {size['disk']:.0f} MB |"
        )
    repetitions = ", ".join(f"{s['rows']:,}: {len(s['runs'])}" for s in scale)
    lines += ["", f"Runs per size (median shown): {repetitions}."]
    if "time_fit" in facts:
        (a, b, r2), (c, d, s2) = facts["time_fit"], facts["rss_fit"]
        lines.append(f"Least-squares fit from 100k rows up: `dvc repro -f` ≈ {a:.1f} s + {b:.1f} s per million rows "
                     f"(r² {r2:.3f}); largest stage RSS ≈ {c:.0f} MB + {d:.0f} MB per million rows (r² {s2:.3f}).")  # fmt: skip
        memory_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20
        lines.append(f"At that rate the largest table of this shape whose every stage fits in this machine's "
                     f"{memory_mb / 1024:.0f} GiB is about {(memory_mb - c) / d:.0f} million rows "
                     f"({(memory_mb - c) / d * facts['mb_per_million']:.0f} MB in memory as pandas holds it).")  # fmt: skip
    return lines


def report(results: dict, plan, machine: str) -> str:
    target_rows, facts = targets(results)
    sweep, serving = results["sweep"], results["serving"]
    mode = ""
    if plan.quick:
        mode = " with QUICK=1 (a reduced set: each figure once, no warm-up run, small tables, one thread per process)"
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench`{mode} on {time.strftime('%Y-%m-%d')} in {results['minutes']:.0f} minutes.",
        f"Machine: {machine}.",
        "Times are min / **median** / max over the runs made; a single figure is a single run.",
        "",
        "## Targets",
        *target_rows,
        "",
        *default_section(results["default"]),
        *models_section(results["models"]),
        *loop_section(results["default"]["loop"]),
        *scaling_section(results["scaling"], facts),
        *(wide_section(results["wide"]) if "wide" in results else []),
        *profiles_section(results["default"], results["scaling"]),
        "",
        f"## Sweeps ({plan.sweep} queued experiments of the default project, `-S train.seed=…`, "
        "`dvc exp run --run-all -j N`)",
        "",
        "| workers | experiments per minute |",
        "| --- | --- |",
        *[f"| `-j {jobs}` | {rate:.2f} |" for jobs, rate in sweep.items()],
        "",
        "## Serving the champion (`make serve`, MLflow's scoring server, default project)",
        "Requests from one client on loopback, `dataframe_split` JSON, answer read.",
        "",
        "| measure | value |",
        "| --- | --- |",
        f"| single-row latency p50 | {serving['p50_ms']:.1f} ms |",
        f"| single-row latency p99 | {serving['p99_ms']:.1f} ms |",
        f"| 1,000-row batches | {serving['rows_per_s']:,.0f} rows/s (median of {serving['batches']}) |",
        "",
        f"Single-row figures are over {serving['single']} requests, one at a time.",
        "",
    ]
    return "\n".join(lines)
