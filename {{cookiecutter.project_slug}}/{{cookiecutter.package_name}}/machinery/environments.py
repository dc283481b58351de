"""Maintained by the template (arrives with `cruft update`).

`reproduce --isolated`: a virtual environment holding exactly a run's locked packages
(its commit's requirements.lock), built by uv once per (lock md5, Python version) in the
user's cache and reused after that.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from filelock import FileLock

from . import paths
from .files import md5_of
from .records import Record, ReproduceError


def environments_home() -> Path:
    """Where isolated environments are kept, one per (lock md5, Python): the user's cache."""
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "{{ cookiecutter.package_name }}" / "reproduce-envs"


def find_uv() -> str:
    uv = shutil.which("uv") or Path(sys.executable).parent / "uv"
    if not Path(uv).is_file():
        raise ReproduceError(
            "--isolated needs uv: `make install` installs it, or `pip install 'uv>=0.5,<1'`"
        )
    return str(uv)


def uv(*args: str) -> subprocess.CompletedProcess:
    env = os.environ | {"UV_PYTHON_DOWNLOADS": "never"}
    env.pop("VIRTUAL_ENV", None)
    return subprocess.run([find_uv(), *args], capture_output=True, text=True, env=env, check=False)


def recorded_environment(record: Record, into: Path) -> Path:
    """The Python of a venv holding exactly the run's locked packages, built by uv once per
    (lock md5, Python version) and reused after that."""
    lock, python = into / paths.DEPENDENCY_LOCK, record.environment.get("python", "unknown")
    lock_md5 = record.environment.get("lock_md5", "none")
    if not lock.is_file() or md5_of(lock) != lock_md5:
        raise ReproduceError(
            f"the checkout's {paths.DEPENDENCY_LOCK} is not the one the run recorded "
            f"(md5 {lock_md5}); --isolated cannot rebuild its environment"
        )
    if uv("python", "find", python).returncode != 0:
        raise ReproduceError(
            f"Python {python}, which the run recorded, is not installed here: install it "
            f"(`uv python install {python}`, or your system's packages) and retry"
        )
    venv = environments_home() / f"{lock_md5}-py{python}"
    ready = venv / ".reproduce-ready"
    venv.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(f"{venv}.lock"):
        if ready.is_file():
            print(f"reusing the run's environment {venv}", file=sys.stderr)
            return venv / "bin" / "python"
        print(f"building the run's environment in {venv} (once per lock)", file=sys.stderr)
        shutil.rmtree(venv, ignore_errors=True)
        made = uv("venv", "--quiet", "--python", python, str(venv))
        if made.returncode != 0:
            shutil.rmtree(venv, ignore_errors=True)
            said = (made.stderr.strip().splitlines() or ["uv venv failed"])[-1]
            raise ReproduceError(f"cannot make a venv with Python {python}: {said}")
        # Compiled now, once: a venv's first imports would otherwise cost every reproduce.
        into_venv = ("--python", str(venv / "bin" / "python"), "--compile-bytecode")
        synced = uv("pip", "sync", "--quiet", *into_venv, str(lock))
        if synced.returncode != 0:
            shutil.rmtree(venv, ignore_errors=True)
            said = (synced.stderr.strip().splitlines() or ["uv pip sync failed"])[-1]
            raise ReproduceError(f"cannot install {paths.DEPENDENCY_LOCK} with uv: {said}")
        ready.touch()
    return venv / "bin" / "python"
