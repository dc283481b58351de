"""RELIABILITY.md stays true: every test it cites as proof of a fault-matrix row exists.

The matrix names its proofs as `tests/<file>.py::<test>` (the template's tests) or
`project: tests/<file>.py::<test>` (a generated project's own tests). A renamed or
removed test makes this fail, so the document cannot silently outlive its evidence.
"""

import re
from pathlib import Path

import pytest

from .conftest import TEMPLATE
from .services import runuser

DOC = TEMPLATE / "RELIABILITY.md"
PROJECT = TEMPLATE / "{{cookiecutter.project_slug}}"
CITATION = re.compile(r"`(project: )?(tests/[\w/]+\.py)::(\w+)`")


def functions_in(path: Path) -> set[str]:
    """Names of the functions defined in a test file (a regex: generated tests hold Jinja)."""
    return set(re.findall(r"^def (\w+)\(", path.read_text(), flags=re.MULTILINE))


def matrix_rows() -> list[str]:
    """The rows of the matrix's tables, without their header and rule lines."""
    lines = DOC.read_text().splitlines()
    return [line for line in lines if line.startswith("| ") and not line.startswith(("| ---", "| Fault |"))]


def test_every_cited_test_exists():
    citations = CITATION.findall(DOC.read_text())
    assert len(citations) >= 10
    missing = [
        f"{path}::{name}"
        for project, path, name in citations
        if name not in functions_in((PROJECT if project else TEMPLATE) / path)
    ]
    assert not missing, f"RELIABILITY.md cites tests that do not exist: {missing}"


def test_every_row_cites_its_proof():
    rows = matrix_rows()
    assert rows
    assert [row for row in rows if not CITATION.search(row)] == []


def test_runuser_is_found_off_path(monkeypatch):
    """The team-mode fixtures start PostgreSQL with runuser, which lives in /usr/sbin: a PATH
    without it (non-login shells, slim CI images) must still find it."""
    if not Path("/usr/sbin/runuser").is_file():
        pytest.skip("no /usr/sbin/runuser on this machine")
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    assert runuser() == "/usr/sbin/runuser"
