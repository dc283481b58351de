"""Write scikit-learn's bundled sample data sets to ``sample_data/`` as CSV.

The post-generation hook copies one of these files into a new project. It must run
with the standard library only (``pipx run cookiecutter``), so the CSVs are exported
once, here, and committed. Re-run after a scikit-learn upgrade only if you want to
refresh them: ``python scripts/export_sample_data.py``.
"""

from pathlib import Path

from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine

OUT_DIR = Path(__file__).resolve().parent.parent / "sample_data"
LOADERS = {
    "wine": lambda: load_wine(as_frame=True),
    "breast_cancer": lambda: load_breast_cancer(as_frame=True),
    "diabetes": lambda: load_diabetes(as_frame=True, scaled=False),
}


def main() -> None:
    OUT_DIR.mkdir(exist_ok=True)
    for name, load in LOADERS.items():
        frame = load().frame
        frame.to_csv(OUT_DIR / f"{name}.csv", index=False, lineterminator="\n")
        print(f"{name}: {frame.shape[0]} rows x {frame.shape[1]} columns")


if __name__ == "__main__":
    main()
