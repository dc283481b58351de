"""`make bench QUICK=1` runs end to end and reports every figure, so the benchmark cannot rot.

Only the report's shape is checked: speed is measured by `make bench`, never asserted here.
"""

import re
import subprocess

import pytest

from tests.conftest import TEMPLATE

SECTIONS = ("## Targets", "## Default project", "## The everyday loop", "## Scaling", "## Wide table",
            "## Where the time goes", "## Sweeps", "## Serving the champion")  # fmt: skip
TARGETS = ("seed-style pipeline", "2.5× the bare script", "5,000 rows", "x 60 columns",
           "no-op `dvc repro`", "`-j 2`")  # fmt: skip


@pytest.mark.slow
def test_quick_benchmark_reports_every_measurement(tmp_path):
    report = tmp_path / "BENCHMARKS.md"
    done = subprocess.run(["make", "--no-print-directory", "bench", "QUICK=1", f"BENCH_OUT={report}"],
                          cwd=TEMPLATE, capture_output=True, text=True, timeout=1800)  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    text = report.read_text()
    assert all(section in text for section in SECTIONS), text
    targets = text.split("## Targets")[1].split("\n## ")[0]
    for target in TARGETS:
        row = next(line for line in targets.splitlines() if target in line)
        assert re.search(r"\*\*\d+\.\d+×\*\*", row) or re.search(r"\d+\.\d+×", row), row
        assert row.rstrip().endswith(("met |", "**not met** |")), row
    for stage in ("prepare", "train", "evaluate"):
        assert re.search(rf"\| ours, {stage} \| [\d.]+ .*s \| [\d.]+ .*MB \|", text), stage
        assert re.search(rf"\| seed-style, {stage} \| [\d.]+ .*s \|", text), stage
    scaling = text.split("## Scaling")[1].split("\n## ")[0]
    assert re.search(r"^\| 5,000 \|", scaling, re.M), scaling
    assert re.search(r"one param changed, `dvc repro` .* \*\*\d+\.\d+×\*\*", targets), targets
    profiles = text.split("## Where the time goes")[1].split("\n## ")[0]
    for stage in ("prepare", "train", "evaluate"):  # the default project's (QUICK profiles no other)
        assert re.search(rf"^\| {stage} \| [\d.]+ s \| [\d.]+ s \| `stages/{stage}.py:main`", profiles, re.M), stage
    assert "| `-j 1` |" in text and "| `-j 2` |" in text
    assert re.search(r"single-row latency p50 \| [\d.]+ ms", text)
