"""Run a command and append its wall time and peak RSS to a JSON-lines file:
`python timed.py LOG NAME -- COMMAND...`. `make bench` puts it in front of each stage's cmd
of the projects it measures, so a `dvc repro` reports every stage. With BENCH_PROFILE_DIR set,
a `python -m` stage runs under cProfile, its stats in that folder as NAME.prof (QUICK's profile
comes from its one forced repro instead of running every stage once more)."""

import json
import os
import subprocess
import sys
import time

log, name, _, *command = sys.argv[1:]
if (profiles := os.environ.get("BENCH_PROFILE_DIR")) and command[1:2] == ["-m"]:
    command[1:1] = ["-m", "cProfile", "-o", os.path.join(profiles, f"{name}.prof")]
start = time.perf_counter()
child = subprocess.Popen(command)
_, status, usage = os.wait4(child.pid, 0)
wall = time.perf_counter() - start
with open(log, "a", encoding="utf-8") as out:
    out.write(json.dumps({"stage": name, "seconds": wall, "peak_rss_mb": usage.ru_maxrss / 1024}) + "\n")
sys.exit(os.waitstatus_to_exitcode(status))
