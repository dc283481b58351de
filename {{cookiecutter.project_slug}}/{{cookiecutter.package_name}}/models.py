"""The models train can fit: one registry entry per model. Add yours here.

An entry names its params block (a `Section` whose fields are the keys under
`train.<name>` in params.yaml), a factory per task it supports, and the pip packages the
logged model needs beyond scikit-learn, pandas and numpy. Validation, training and the
MLflow model's requirements all read MODELS, so a new model is a class and an entry
(anywhere in this file, e.g. appended at the end) plus its block in params.yaml; the
project README shows one.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field, ValidationInfo, create_model, field_validator, model_validator
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LogisticRegression, Ridge

from .params import Section

Factory = Callable[[Any, int], Any]  # (the model's params block, seed) -> an estimator


@dataclass(frozen=True)
class Model:
    params: type[Section]
    classification: Factory | None = None
    regression: Factory | None = None
    requirements: tuple[str, ...] = ()

    def build(self, task: str, block: Section, seed: int) -> Any:
        return getattr(self, task)(block, seed)


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
    ),
    "linear": Model(
        Linear,
        classification=lambda p, seed: LogisticRegression(
            C=p.regularization, max_iter=5000, random_state=seed
        ),
        regression=lambda p, seed: Ridge(alpha=p.regularization, random_state=seed),
    ),
    "hist_gradient_boosting": Model(
        HistGradientBoosting,
        classification=lambda p, seed: HistGradientBoostingClassifier(
            random_state=seed, **p.model_dump()
        ),
        regression=lambda p, seed: HistGradientBoostingRegressor(
            random_state=seed, **p.model_dump()
        ),
    ),
}


class TrainBase(Section):
    """`train.model` picks an entry of MODELS; only that entry's block is required."""

    @field_validator("model", check_fields=False)
    @classmethod
    def fits_the_task(cls, name: str, info: ValidationInfo) -> str:
        task = getattr(info.context, "task", None)
        if task and getattr(MODELS[name], task) is None:
            raise ValueError(f"{name!r} has no {task} factory in models.py; pick another model")
        return name

    @model_validator(mode="after")
    def selected_block_present(self) -> "TrainBase":
        if getattr(self, self.model) is None:
            raise ValueError(f"{self.model} is missing: train.model is {self.model!r}")
        return self

    def estimator(self, task: str) -> Any:
        """A fresh, unfitted estimator of the selected model for `task`."""
        return MODELS[self.model].build(task, getattr(self, self.model), self.seed)


def train_params_model() -> type[TrainBase]:
    """The `train` section's model, built from MODELS as it stands once this file has run."""
    return create_model(
        "TrainParams",
        __base__=TrainBase,
        model=(Literal[tuple(MODELS)], ...),
        seed=(int, Field(ge=0)),
        n_jobs=(int | None, Field(None, ge=1, description="CPU cores to train on; null: all")),
        **{name: (entry.params | None, None) for name, entry in MODELS.items()},
    )


def requirements_of(name: str) -> tuple[str, ...]:
    """The extra pip packages the model called `name` needs, () for unknown names."""
    entry = MODELS.get(name)
    return entry.requirements if entry else ()
