"""A synthetic table for the scaling benchmark: `python synthetic.py ROWS OUT.csv`.

20 input columns (15 numeric, 5 categorical), 5% of every input missing, a binary target
that depends on some of them; seeded, so every run measures the same bytes. Written in
chunks with pyarrow, so 5M rows need little memory. Prints the table's in-memory size as
pandas holds it (bytes), the yardstick for the stages' peak RSS.
"""

import sys

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

NUMERIC, CATEGORICAL, GAPS, CHUNK = 15, 5, 0.05, 500_000
LEVELS = [list("ABC"), ["red", "green", "blue", "grey"], [f"region_{i}" for i in range(8)],
          [f"plan_{i}" for i in range(12)], ["yes", "no"]]  # fmt: skip


def chunk(rows: int, rng: np.random.Generator) -> pa.Table:
    numbers = rng.normal(size=(rows, NUMERIC)) * np.arange(1, NUMERIC + 1)
    codes = [rng.integers(0, len(levels), rows) for levels in LEVELS]
    logit = numbers[:, 0] / 1 - numbers[:, 1] / 2 + (codes[1] == 2) * 1.5 - (codes[2] > 4)
    target = np.where(rng.random(rows) < 1 / (1 + np.exp(-logit)), "churned", "stayed")
    columns = {}
    for i in range(NUMERIC):
        columns[f"num_{i}"] = pa.array(numbers[:, i], mask=rng.random(rows) < GAPS)
    for i, levels in enumerate(LEVELS):
        values = np.asarray(levels, dtype=object)[codes[i]]
        columns[f"cat_{i}"] = pa.array(values, type=pa.string(), mask=rng.random(rows) < GAPS)
    columns["target"] = pa.array(target, type=pa.string())
    return pa.table(columns)


def write(rows: int, out: str) -> int:
    rng = np.random.default_rng(7)
    memory = 0
    options = pacsv.WriteOptions(quoting_style="needed")
    with pacsv.CSVWriter(out, chunk(1, rng).schema, write_options=options) as writer:
        done = 0
        while done < rows:
            table = chunk(min(CHUNK, rows - done), rng)
            writer.write_table(table)
            memory += int(table.to_pandas().memory_usage(deep=True).sum())
            done += table.num_rows
    return memory


if __name__ == "__main__":
    print(write(int(sys.argv[1]), sys.argv[2]))
