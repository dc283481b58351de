"""The models train can fit: one entry each in MODELS. Yours: add your own here.

An entry names its params block (a `Section` whose fields are the keys under
`train.<name>` in params.yaml), a factory per task it supports (params block, seed ->
a fresh estimator), the pip packages the logged model needs beyond scikit-learn, pandas and
numpy, and the setting `make sweep` tries. Validation, training, the logged model's
requirements and the sweep all read MODELS, so a new model is a class and an entry plus its
block in params.yaml; docs/extending.md shows one.
"""

from pydantic import Field
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LogisticRegression, Ridge

from .machinery.model_registry import Model
from .machinery.params import Section


class RandomForest(Section):
    n_estimators: int = Field(ge=1)
    max_depth: int | None = Field(ge=1)
    min_samples_leaf: int = Field(ge=1)


class Linear(Section):
    regularization: float = Field(
        gt=0, description="a number > 0 (LogisticRegression's C, or Ridge's alpha)"
    )


class HistGradientBoosting(Section):
    learning_rate: float = Field(gt=0)
    max_iter: int = Field(ge=1)
    max_leaf_nodes: int = Field(ge=2)
    min_samples_leaf: int = Field(ge=1)


MODELS: dict[str, Model] = {
    "random_forest": Model(
        RandomForest,
        classification=lambda p, seed: RandomForestClassifier(random_state=seed, **p.model_dump()),
        regression=lambda p, seed: RandomForestRegressor(random_state=seed, **p.model_dump()),
        sweep={"max_depth": (4, 8, 16)},
    ),
    "linear": Model(
        Linear,
        classification=lambda p, seed: LogisticRegression(
            C=p.regularization, max_iter=5000, random_state=seed
        ),
        regression=lambda p, seed: Ridge(alpha=p.regularization, random_state=seed),
        sweep={"regularization": (0.1, 1, 10)},
    ),
    "hist_gradient_boosting": Model(
        HistGradientBoosting,
        classification=lambda p, seed: HistGradientBoostingClassifier(
            random_state=seed, **p.model_dump()
        ),
        regression=lambda p, seed: HistGradientBoostingRegressor(
            random_state=seed, **p.model_dump()
        ),
        sweep={"learning_rate": (0.05, 0.1, 0.2)},
    ),
}
