"""Run a command and append its wall time and peak RSS to a JSON-lines file:
`python timed.py LOG NAME -- COMMAND...`. `make bench` puts it in front of each stage's cmd
of the projects it measures, so a `dvc repro` reports every stage."""

import json
import os
import subprocess
import sys
import time

log, name, _, *command = sys.argv[1:]
start = time.perf_counter()
child = subprocess.Popen(command)
_, status, usage = os.wait4(child.pid, 0)
wall = time.perf_counter() - start
with open(log, "a", encoding="utf-8") as out:
    out.write(json.dumps({"stage": name, "seconds": wall, "peak_rss_mb": usage.ru_maxrss / 1024}) + "\n")
sys.exit(os.waitstatus_to_exitcode(status))
