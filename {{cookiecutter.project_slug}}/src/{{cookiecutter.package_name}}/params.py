"""Load and validate params.yaml, so a typo stops a stage before it does any work.

Each stage asks only for the sections it uses. Errors name the dotted key and say what
is expected; they are raised as `ParamsError`, which `fail()` turns into a one-line
message and exit status 1 instead of a traceback.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .paths import PARAMS

TASKS = ("classification", "regression")
MODELS = ("random_forest", "linear", "hist_gradient_boosting")
METRIC_DIRECTIONS = {
    "accuracy": "maximize",
    "f1_macro": "maximize",
    "roc_auc": "maximize",
    "rmse": "minimize",
    "mae": "minimize",
    "r2": "maximize",
}
TASK_METRICS = {
    "classification": ("accuracy", "f1_macro", "roc_auc"),
    "regression": ("rmse", "mae", "r2"),
}


class ParamsError(ValueError):
    """A value in params.yaml is missing, unknown, of the wrong type or out of range."""


@dataclass(frozen=True)
class Rule:
    """What one key accepts: a check and the words that describe it."""

    check: Callable[[Any], bool]
    expected: str


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def integer(minimum: int) -> Rule:
    return Rule(lambda v: _is_int(v) and v >= minimum, f"an integer >= {minimum}")


def number_between(low: float, high: float) -> Rule:
    return Rule(lambda v: _is_number(v) and low < v < high, f"a number between {low} and {high}")


def positive_number() -> Rule:
    return Rule(lambda v: _is_number(v) and v > 0, "a number > 0")


def one_of(*choices: str) -> Rule:
    return Rule(lambda v: v in choices, "one of " + ", ".join(choices))


def optional(rule: Rule) -> Rule:
    return Rule(lambda v: v is None or rule.check(v), f"null or {rule.expected}")


NON_EMPTY_TEXT = Rule(lambda v: isinstance(v, str) and v.strip() != "", "a column name")

SCHEMA: dict[str, Any] = {
    "data": {"target": NON_EMPTY_TEXT, "task": one_of(*TASKS)},
    "prepare": {"test_size": number_between(0, 1), "seed": integer(0)},
    "train": {
        "model": one_of(*MODELS),
        "seed": integer(0),
        "random_forest": {
            "n_estimators": integer(1),
            "max_depth": optional(integer(1)),
            "min_samples_leaf": integer(1),
        },
        "linear": {"regularization": positive_number()},
        "hist_gradient_boosting": {
            "learning_rate": positive_number(),
            "max_iter": integer(1),
            "max_leaf_nodes": integer(2),
        },
    },
    "evaluate": {
        "primary_metric": one_of(*METRIC_DIRECTIONS),
        "direction": one_of("maximize", "minimize"),
    },
}


def validate(section: Mapping[str, Any], schema: Mapping[str, Any], prefix: str) -> None:
    """Raise ParamsError for the first unknown, missing or invalid key under `prefix`."""
    if not isinstance(section, Mapping):
        raise ParamsError(f"{prefix} must be a mapping of keys to values")
    for key in section:
        if key not in schema:
            known = ", ".join(schema)
            raise ParamsError(f"{prefix}.{key} is not a known key (known: {known})")
    for key, rule in schema.items():
        name = f"{prefix}.{key}"
        if key not in section:
            raise ParamsError(f"{name} is missing")
        if isinstance(rule, Mapping):
            validate(section[key], rule, name)
        elif not rule.check(section[key]):
            raise ParamsError(f"{name} must be {rule.expected}, got {section[key]!r}")


def check_consistency(params: Mapping[str, Any]) -> None:
    """Cross-key rules: the primary metric must belong to the task and match its direction."""
    evaluate, data = params.get("evaluate"), params.get("data")
    if not evaluate or not data:
        return
    metric, task = evaluate["primary_metric"], data["task"]
    if metric not in TASK_METRICS[task]:
        allowed = ", ".join(TASK_METRICS[task])
        raise ParamsError(f"evaluate.primary_metric {metric!r} does not fit {task}; use {allowed}")
    if evaluate["direction"] != METRIC_DIRECTIONS[metric]:
        raise ParamsError(
            f"evaluate.direction must be {METRIC_DIRECTIONS[metric]} for {metric}, "
            f"got {evaluate['direction']!r}"
        )


def read_params(path: Path = PARAMS) -> dict[str, Any]:
    """The whole params.yaml as a dict, with a clear error when it is absent or not YAML."""
    try:
        with open(path, encoding="utf-8") as handle:
            loaded = yaml.safe_load(handle)
    except FileNotFoundError:
        raise ParamsError(f"{path} not found; run stages from the project root") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ParamsError(f"{path} is not valid YAML{where}") from None
    if not isinstance(loaded, dict):
        raise ParamsError(f"{path} must be a mapping of sections (data, prepare, ...)")
    return loaded


def load_params(*sections: str, path: Path = PARAMS) -> dict[str, Any]:
    """The validated `sections` of params.yaml; unknown top-level sections are errors too."""
    params = read_params(path)
    for name in params:
        if name not in SCHEMA:
            raise ParamsError(f"{name} is not a known section (known: {', '.join(SCHEMA)})")
    chosen = {}
    for name in sections:
        if name not in params:
            raise ParamsError(f"{name} section is missing from {path}")
        validate(params[name], SCHEMA[name], name)
        chosen[name] = params[name]
    check_consistency(chosen)
    return chosen


def fail(error: Exception) -> None:
    """Stop the stage with a one-line message and exit status 1."""
    raise SystemExit(f"ERROR: params.yaml: {error}")
