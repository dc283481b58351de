"""A wide, many-class table for `make bench`: `python wide.py ROWS CLASSES OUT.csv`.

60 input columns (45 numeric, 15 categorical of 3 to 12 levels), 5% of every input missing,
and a target of CLASSES classes (32 in `make bench`) that depends on a few of them: the shape of the public tables a new
user tried (1,907 rows x 59 columns, 32 classes). Seeded, so every run measures the same bytes.
"""

import sys

import numpy as np
import pandas as pd

NUMERIC, CATEGORICAL, GAPS = 45, 15, 0.05


def table(rows: int, classes: int) -> pd.DataFrame:
    rng = np.random.default_rng(11)
    numbers = rng.normal(size=(rows, NUMERIC))
    columns = {f"num_{i}": numbers[:, i] for i in range(NUMERIC)}
    for i in range(CATEGORICAL):
        levels = np.array([f"level_{k}" for k in range(3 + i % 10)], dtype=object)
        columns[f"cat_{i}"] = levels[rng.integers(0, len(levels), rows)]
    frame = pd.DataFrame(columns)
    score = numbers[:, :4] @ np.array([1.0, -0.8, 0.6, 0.4]) + rng.normal(scale=0.5, size=rows)
    # Classes by quantile of a noisy score: learnable, every class well represented.
    frame["target"] = pd.qcut(score, classes, labels=[f"class_{k:02d}" for k in range(classes)]).astype(str)
    gaps = rng.random(frame.shape) < GAPS
    gaps[:, -1] = False
    return frame.mask(gaps)


if __name__ == "__main__":
    table(int(sys.argv[1]), int(sys.argv[2])).to_csv(sys.argv[3], index=False)
