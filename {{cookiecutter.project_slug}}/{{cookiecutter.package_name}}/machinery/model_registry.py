"""Maintained by the template (arrives with `cruft update`).

How models.py's entries become the `train` section of params.yaml and a fresh estimator:
`train.model` picks an entry, only that entry's block is required, and a model that has
no factory for the task is refused with one line.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any, ClassVar, Literal

from pydantic import Field, ValidationInfo, create_model, field_validator, model_validator

from .params import Section

Factory = Callable[[Any, int], Any]  # (the model's params block, seed) -> an estimator


@dataclass(frozen=True)
class Model:
    """One entry of models.py: its params block, a factory per task it supports, the pip
    packages the logged model needs beyond scikit-learn, pandas and numpy, and the setting
    `make sweep` tries, with its values (a key of the params block)."""

    params: type[Section]
    classification: Factory | None = None
    regression: Factory | None = None
    requirements: tuple[str, ...] = ()
    sweep: dict[str, tuple] = field(default_factory=dict)

    def build(self, task: str, block: Section, seed: int) -> Any:
        return getattr(self, task)(block, seed)


class TrainBase(Section):
    """The `train` section: `train.model` picks an entry of `registry`."""

    registry: ClassVar[dict[str, Model]] = {}

    @field_validator("model", check_fields=False)
    @classmethod
    def fits_the_task(cls, name: str, info: ValidationInfo) -> str:
        task = getattr(info.context, "task", None)
        if task and getattr(cls.registry[name], task) is None:
            raise ValueError(f"{name!r} has no {task} factory in models.py; pick another model")
        return name

    @model_validator(mode="after")
    def selected_block_present(self) -> "TrainBase":
        if getattr(self, self.model) is None:
            raise ValueError(f"{self.model} is missing: train.model is {self.model!r}")
        return self

    def estimator(self, task: str) -> Any:
        """A fresh, unfitted estimator of the selected model for `task`."""
        return self.registry[self.model].build(task, getattr(self, self.model), self.seed)


def train_params_model(models: dict[str, Model]) -> type[TrainBase]:
    """The `train` section's model, built from models.py's MODELS."""
    built = create_model(
        "TrainParams",
        __base__=TrainBase,
        model=(Literal[tuple(models)], ...),
        seed=(int, Field(ge=0)),
        n_jobs=(int | None, Field(None, ge=1, description="CPU cores to train on; null: all")),
        **{name: (entry.params | None, None) for name, entry in models.items()},
    )
    built.registry = models
    return built


@cache
def user_models() -> dict[str, Model]:
    """models.py's MODELS (imported here, on first use, so that models.py can import this)."""
    from ..models import MODELS

    return MODELS


def requirements_of(name: str | None) -> tuple[str, ...]:
    """The extra pip packages the model called `name` needs, () for unknown names."""
    entry = user_models().get(name or "")
    return entry.requirements if entry else ()


def sweep_settings(params: dict[str, Any]) -> list[str]:
    """`dvc exp run -S` values for the sweep of the model params.yaml names now, e.g.
    `train.hist_gradient_boosting.learning_rate=0.05,0.1,0.2`, one per swept key."""
    name = params.get("train", {}).get("model")
    entry = user_models().get(name or "")
    if entry is None:
        return []
    return [
        f"train.{name}.{key}={','.join(map(str, values))}" for key, values in entry.sweep.items()
    ]
