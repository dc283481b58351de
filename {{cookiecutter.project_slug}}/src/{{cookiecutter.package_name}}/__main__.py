"""Project commands: `python -m {{ cookiecutter.package_name }} <command>`.

init-store   create the MLflow store and experiment once (safe to repeat)
champion     show the registered model version that holds the `champion` alias
"""

import argparse

from . import tracking


def init_store() -> None:
    tracking.open_store()
    print(f"MLflow store ready: {tracking.tracking_uri()}")


def show_champion() -> None:
    client = tracking.open_store()
    champion = tracking.current_champion(client)
    if champion is None:
        raise SystemExit(f"no {tracking.CHAMPION_ALIAS} yet: run `dvc repro` first")
    print(f"{tracking.REGISTERED_MODEL_NAME} version {champion.version} (run {champion.run_id})")


COMMANDS = {"init-store": init_store, "champion": show_champion}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m {{ cookiecutter.package_name }}")
    parser.add_argument("command", choices=COMMANDS)
    COMMANDS[parser.parse_args(argv).command]()


if __name__ == "__main__":
    main()
