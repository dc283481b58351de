"""Maintained by the template (arrives with `cruft update`).

Write outputs atomically and hash them the way DVC does.

A stage that dies half-way must not leave a truncated output behind for the next stage
(or for `dvc commit`) to pick up, so every write goes to a temporary file first and is
renamed into place.
"""

import hashlib
import json
import logging
import math
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

log = logging.getLogger(__name__)


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_file(path: Path, mode: str = "wb") -> Iterator[IO]:
    """A file handle whose content appears at `path` only once the block ends without error;
    until then it is a temporary file in the same directory, removed on failure.

    A temporary file that a killed writer left behind goes with the next write of `path`.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        stale.unlink(missing_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        encoding = None if "b" in mode else "utf-8"
        with os.fdopen(
            handle, mode, encoding=encoding, newline=None if encoding is None else ""
        ) as stream:
            yield stream
        os.chmod(temporary, 0o666 & ~current_umask())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_bytes_atomic(path: Path, payload: bytes) -> None:
    """Write `payload` to `path` via a temporary file in the same directory."""
    with atomic_file(path) as stream:
        stream.write(payload)


def finite(data: Any, path: Path, key: str = "") -> Any:
    """`data` with every NaN or infinite number as None (JSON has no NaN), each one warned of
    by its dotted key (`performance.metrics.roc_auc`), as the reader looks it up."""
    if isinstance(data, dict):
        keys = {name: f"{key}.{name}" if key else str(name) for name in data}
        return {name: finite(value, path, keys[name]) for name, value in data.items()}
    if isinstance(data, list | tuple):
        return [finite(value, path, f"{key}[{index}]") for index, value in enumerate(data)]
    if isinstance(data, float) and not math.isfinite(data):
        log.warning("%s: %s is %s, written as null", path, key or "the value", data)
        return None
    return data


def write_json_atomic(data: Any, path: Path) -> None:
    """Write `data` as valid JSON: a NaN or infinite number becomes null, with a warning."""
    text = json.dumps(finite(data, path), indent=2, sort_keys=True, allow_nan=False) + "\n"
    write_bytes_atomic(path, text.encode("utf-8"))


def md5_of(path: Path) -> str:
    """The md5 of a file's bytes: the hash DVC 3 records for it in dvc.lock."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
