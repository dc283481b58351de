"""Monitor on a text column, as the model reads it (columns.input_kinds): drift in length and
in words, on reviews written from a seeded vocabulary. No store, no DVC.

Maintained by the template (arrives with `cruft update`).
"""

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from {{ cookiecutter.package_name }}.machinery.columns import input_kinds
from {{ cookiecutter.package_name }}.machinery.monitor import PARAMS, compare
from {{ cookiecutter.package_name }}.machinery.params import load_params

from ..conftest import PROJECT

LIMITS = load_params(PARAMS, path=PROJECT / "params.yaml").monitor
LETTERS = list("etaoinshrdlcumwfgypbvk")


def vocabulary(size: int = 3000, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.array(["".join(rng.choice(LETTERS, size=rng.integers(2, 9))) for _ in range(size)])


def reviews(rows: int, seed: int, words: np.ndarray | None = None) -> pd.Series:
    """Reviews of 1 to 5 sentences of Zipf-distributed words: a median of about 277
    characters, a long tail of long ones, as product reviews have."""
    words = vocabulary() if words is None else words
    rng = np.random.default_rng(seed)
    shares = 1 / np.arange(1, len(words) + 1) ** 1.1
    shares /= shares.sum()

    def review() -> str:
        sentences = rng.integers(1, 6)
        lengths = np.maximum(2, rng.lognormal(np.log(14), 0.5, size=sentences).astype(int))
        return " ".join(
            " ".join(rng.choice(words, size=n, p=shares)).capitalize() + "." for n in lengths
        )

    return pd.Series([review() for _ in range(rows)], dtype=object)


def text_model(table: pd.DataFrame) -> Pipeline:
    """A fitted Pipeline like the template's: a star rating as a number, the review as text."""
    text = Pipeline(
        [
            ("fill", FunctionTransformer(pd.Series.fillna, kw_args={"value": ""})),
            ("tfidf", TfidfVectorizer()),
        ]
    )
    preprocess = ColumnTransformer(
        [("numeric", "passthrough", ["stars"]), ("text_review", text, "review")]
    )
    model = Pipeline([("preprocess", preprocess), ("model", LogisticRegression())])
    return model.fit(table[["stars", "review"]], table["stars"] > 3)


def training(rows: int = 2000) -> pd.DataFrame:
    stars = np.random.default_rng(1).integers(1, 6, size=rows)
    return pd.DataFrame({"stars": stars, "review": reviews(rows, seed=1)})


TRAINING = training()
MODEL = text_model(TRAINING)


def checked(batch: pd.DataFrame) -> dict:
    return compare(TRAINING, batch, LIMITS, input_kinds(MODEL))["review"]


def test_the_model_says_which_column_is_text():
    assert input_kinds(MODEL) == {"stars": "numeric", "review": "text"}
    assert 250 < TRAINING["review"].str.len().median() < 300


def test_a_batch_of_only_short_reviews_drifts_by_length():
    """The issue's case: training reviews of median ~277 characters, a batch under 150."""
    fresh = pd.DataFrame({"stars": 3, "review": reviews(2000, seed=5)})
    short = fresh[fresh["review"].str.len() < 150]
    found = checked(short)
    assert found["kind"] == "text" and found["drifted"], found
    assert found["psi"] > 10 * LIMITS.psi and found["median_length_batch"] < 150
    assert found["reasons"][0].startswith("length PSI")


def test_a_random_sample_of_the_training_rows_passes():
    for seed in range(3):
        found = checked(TRAINING.sample(300, random_state=seed))
        assert found["kind"] == "text" and not found["drifted"], found["reasons"]
        assert found["unseen_share"] == 0 and found["terms_psi"] < LIMITS.psi


def test_new_reviews_of_the_same_kind_pass():
    batch = pd.DataFrame({"stars": 3, "review": reviews(300, seed=9)})
    found = checked(batch)
    assert not found["drifted"], found["reasons"]


def test_words_the_training_data_never_had_drift():
    """Reviews in another vocabulary (another language, another product line)."""
    batch = pd.DataFrame({"stars": 3, "review": reviews(300, seed=9, words=vocabulary(seed=7))})
    found = checked(batch)
    assert found["unseen_share"] > 0.5
    assert any("unseen in training" in reason for reason in found["reasons"]), found["reasons"]


def test_a_changed_mix_of_the_same_words_drifts():
    """The same words, the 100 most frequent swapped with the next 100: only the word PSI
    sees it (a new topic in the same language)."""
    words = vocabulary()
    swapped = np.concatenate([words[100:200], words[:100], words[200:]])
    batch = pd.DataFrame({"stars": 3, "review": reviews(300, seed=9, words=swapped)})
    found = checked(batch)
    assert found["unseen_share"] < LIMITS.text_unseen_share
    assert found["terms_p_value"] < LIMITS.p_value
    assert any(reason.startswith("word PSI") for reason in found["reasons"]), found["reasons"]


def test_a_text_column_is_not_tested_as_categories():
    """Unique strings as categories: chi-square p ~0.5 whatever the batch (the issue's 0.46)."""
    found = checked(TRAINING.sample(300, random_state=0))
    assert "terms_psi" in found and found["statistic"] is not None
    categorical = compare(TRAINING, TRAINING.head(300), LIMITS, {})["review"]
    assert categorical["kind"] == "categorical"
