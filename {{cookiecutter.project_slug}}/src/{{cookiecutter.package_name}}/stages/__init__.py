"""The pipeline's stages, one module each, run by dvc.yaml as `python -m ...stages.<name>`."""

import logging
from typing import Any

from ..params import ParamsError, fail, load_params


def start(*sections: str) -> dict[str, Any]:
    """How every stage begins: logging on, and its params validated or a one-line exit."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        return load_params(*sections)
    except ParamsError as error:
        fail(error)
