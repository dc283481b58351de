"""The pipeline's stages, one module each, run by dvc.yaml as `python -m ...stages.<name>`."""

import logging
import os
import sys
from pathlib import Path
from typing import Any

from ..params import ParamsError, fail, load_params

RERUN_FLAG = "_STAGE_RERUN_FROM_CHECKOUT"


def use_this_checkout() -> None:
    """Make a stage run the code of the checkout DVC runs it in.

    `dvc exp run --queue` runs stages in a temporary copy of the repository, but an
    editable install (`pip install -e .`) imports the package from the main workspace,
    whose code may have changed since the experiment was queued. When a stage is started
    with `python -m` from a checkout whose src/ is not where this package came from, the
    same command is executed again with that src/ first on the path.
    """
    command = sys.orig_argv[1:3]
    if len(command) < 2 or command[0] != "-m" or not command[1].startswith(f"{__name__}."):
        return
    source = (Path.cwd() / "src").resolve()
    if not source.is_dir() or Path(__file__).resolve().is_relative_to(source):
        return
    if os.environ.get(RERUN_FLAG):
        return
    path = os.pathsep.join(filter(None, [str(source), os.environ.get("PYTHONPATH")]))
    env = os.environ | {"PYTHONPATH": path, RERUN_FLAG: "1"}
    os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], env)


# Before any stage module's own code runs: it must be this checkout's code.
use_this_checkout()


def start(*sections: str) -> dict[str, Any]:
    """How every stage begins: logging on, and its params validated or a one-line exit."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        return load_params(*sections)
    except ParamsError as error:
        fail(error)
