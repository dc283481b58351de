"""Maintained by the template (arrives with `cruft update`).

Project commands: `python -m {{ cookiecutter.package_name }} <command>`.

init-store                  create the MLflow store and experiment once (safe to repeat)
champion                    show the version that holds `champion` and the metric that decided
params-schema               write params.schema.json from the stages' params models
sweep-grid                  the `dvc exp run -S` settings `make sweep` queues for train.model
plots-template              make `dvc plots show` pages work offline (`make install` runs it)
lineage REF                 print a run's audit trail: commit, data, params, metrics, registry
reproduce REF --into DIR    rebuild that run in DIR and check the model is byte-identical
  [--isolated]              ... in a venv of the run's requirements.lock (built by uv, cached)
predict IN.csv --out OUT    score a CSV file with a model: its rows plus `prediction`
  [--model REF]             (and class probabilities), streamed in chunks
monitor NEW.csv             compare a new batch with the model's training data: drift and,
  [--model REF]             with the target present, performance; exit 0 ok, 1 drift, 2 bad input

REF is a run id, models:/<name>@<alias> or models:/<name>/<version>; predict and monitor
use the champion unless given --model.

Each command imports what it uses, so the ones that need no MLflow (params-schema, sweep-grid,
plots-template) start in a fraction of the time.
"""

import argparse
import signal
import sys
from pathlib import Path

from .. import settings

DEFAULT_MODEL = "the champion"


def init_store(_: argparse.Namespace) -> None:
    from .store import open_store, tracking_uri

    open_store()
    print(f"MLflow store ready: {tracking_uri()}")


def show_champion(_: argparse.Namespace) -> None:
    from . import registry, tags
    from .store import open_store, tracking_uri

    client = open_store()
    champion = registry.current_champion(client)
    versions = registry.versions(client) if champion is None else []
    passed = [v for v in versions if v.tags.get(tags.GATE, tags.GATE_PASSED) == tags.GATE_PASSED]
    if versions and not passed:
        raise SystemExit(
            f"ERROR: no {settings.CHAMPION_ALIAS} in {tracking_uri()}: none of its "
            f"{len(versions)} version(s) passed evaluate.gate (their registry.gate tag says "
            "which rule each failed; docs/promotion-gate.md)"
        )
    if champion is None:
        raise SystemExit(
            f"ERROR: no {settings.CHAMPION_ALIAS} in {tracking_uri()} yet: run "
            "`dvc repro` (`dvc repro -f -s evaluate` in a fresh clone), or point "
            "MLFLOW_TRACKING_URI at your team's server"
        )
    from .deciding import deciding_metric

    metrics = client.get_run(champion.run_id).data.metrics
    scores = ", ".join(f"{name} {value:.4g}" for name, value in sorted(metrics.items()))
    print(
        f"{registry.NAME} version {champion.version} (run {champion.run_id}): "
        f"{deciding_metric(client, champion)}; recorded: {scores}"
    )


def print_sweep_grid(_: argparse.Namespace) -> None:
    """`-S key=values` for `dvc exp run --queue`: the sweep of the model params.yaml names."""
    from .model_registry import sweep_settings
    from .params import read_params

    params = read_params()
    grid = sweep_settings(params)
    if not grid:
        model = params.get("train", {}).get("model")
        raise SystemExit(
            f"ERROR: sweep-grid: models.py gives train.model {model!r} no sweep; add one to its "
            "entry (sweep={'<key>': (<values>)}) or run `dvc exp run --queue -S ...` yourself"
        )
    print(" ".join(f"-S {setting}" for setting in grid))


def write_params_schema(_: argparse.Namespace) -> None:
    from . import paths
    from .files import write_bytes_atomic
    from .params import schema_text
    from .stage import declared_sections

    write_bytes_atomic(paths.PARAMS_SCHEMA, schema_text(declared_sections()).encode("utf-8"))
    print(f"wrote {paths.PARAMS_SCHEMA}")


def write_plots_template(_: argparse.Namespace) -> None:
    from .plots_page import write_page_template

    print(f"`dvc plots show` now writes pages that work offline: template {write_page_template()}")


def show_lineage(args: argparse.Namespace) -> None:
    from .records import describe, find_run
    from .store import open_store

    client = open_store()
    print(describe(client, find_run(client, args.ref)))


def reproduce_run(args: argparse.Namespace) -> None:
    from .reproduce import reproduce

    print(reproduce(args.ref, args.into, args.isolated))


def champion_unless(model: str) -> str:
    from .registry import CHAMPION_REF

    return CHAMPION_REF if model == DEFAULT_MODEL else model


def predict_file(args: argparse.Namespace) -> None:
    from . import predict

    rows = predict.CHUNK_ROWS if args.chunk_rows is None else args.chunk_rows
    print(predict.predict_file(args.source, args.out, champion_unless(args.model), rows))


def monitor_batch(args: argparse.Namespace) -> None:
    """Exit 0 (no drift), 1 (past a threshold) or 2 (bad input), for schedulers and CI."""
    from . import monitor  # scipy, matplotlib and DVC's API: only this command pays for them

    sys.exit(monitor.main(args.batch, champion_unless(args.model)))


def parser() -> argparse.ArgumentParser:
    main_parser = argparse.ArgumentParser(prog="python -m {{ cookiecutter.package_name }}")
    commands = main_parser.add_subparsers(dest="command", required=True)
    commands.add_parser("init-store").set_defaults(handler=init_store)
    commands.add_parser("champion").set_defaults(handler=show_champion)
    commands.add_parser("params-schema").set_defaults(handler=write_params_schema)
    commands.add_parser("sweep-grid").set_defaults(handler=print_sweep_grid)
    commands.add_parser("plots-template").set_defaults(handler=write_plots_template)
    lineage = commands.add_parser("lineage")
    lineage.add_argument("ref", help="run id, models:/<name>@<alias> or models:/<name>/<version>")
    lineage.set_defaults(handler=show_lineage)
    rebuild = commands.add_parser("reproduce")
    rebuild.add_argument("ref", help="run id, models:/<name>@<alias> or models:/<name>/<version>")
    rebuild.add_argument("--into", type=Path, required=True, help="a new, empty directory")
    rebuild.add_argument(
        "--isolated",
        action="store_true",
        help="rerun in the run's own environment: its requirements.lock, built by uv and cached",
    )
    rebuild.set_defaults(handler=reproduce_run)
    scoring = commands.add_parser("predict")
    scoring.add_argument("source", type=Path, help="a CSV file with the model's input columns")
    scoring.add_argument("--out", type=Path, required=True, help="the CSV file to write")
    scoring.add_argument("--model", default=DEFAULT_MODEL, help="REF (default: the champion)")
    scoring.add_argument("--chunk-rows", type=int, help="rows scored at a time")
    scoring.set_defaults(handler=predict_file)
    watch = commands.add_parser("monitor")
    watch.add_argument(
        "batch", type=Path, help="a CSV file of new rows (with the target, if known)"
    )
    watch.add_argument("--model", default=DEFAULT_MODEL, help="REF (default: the champion)")
    watch.set_defaults(handler=monitor_batch)
    return main_parser


def main(argv: list[str] | None = None) -> None:
    # `... lineage REF | head` ends quietly, as other command-line tools do.
    if hasattr(signal, "SIGPIPE"):  # not on Windows
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    args = parser().parse_args(argv)
    try:
        args.handler(args)
    except Exception as error:
        if not isinstance(error, user_facing_errors()):
            raise
        from .failures import first_line

        raise SystemExit(f"ERROR: {args.command}: {first_line(error)}") from None


def user_facing_errors() -> tuple[type[BaseException], ...]:
    """What a mistake or a failing store raises: one line, no traceback. Imported once one
    was raised: a command that had no use for MLflow does not load it."""
    from .failures import STORE_ERRORS
    from .params import ParamsError
    from .predict import PredictError
    from .records import ReproduceError

    return (ReproduceError, ParamsError, PredictError, *STORE_ERRORS)


if __name__ == "__main__":
    main()
