"""Maintained by the template (arrives with `cruft update`).

Load and validate params.yaml, so a typo stops a stage before it does any work.

Each stage declares the sections it reads as pydantic models (its `PARAMS` dict) and
validates only those: a section another stage declares is that stage's business. Errors
name the dotted key and say what is expected, in words taken from the same JSON Schema
that editors use (params.schema.json); they are raised as `ParamsError`, which `fail()`
turns into a one-line message and exit status 1 instead of a traceback.
"""

import json
from collections.abc import Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from .columns import KINDS
from .paths import PARAMS

CLASSIFICATION, REGRESSION = "classification", "regression"
TASKS = (CLASSIFICATION, REGRESSION)


class ParamsError(ValueError):
    """A value in params.yaml is missing, unknown, of the wrong type or out of range."""


class Section(BaseModel):
    """A block of params.yaml: unknown keys are errors, and `1` is not `true`."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class DataParams(Section):
    """The `data` section: what to predict, which columns the model must not see, and the
    kind of a column where prepare's guess is wrong (machinery/columns.py)."""

    target: str = Field(min_length=1, description="a column name")
    task: Literal[TASKS]
    drop_columns: list[str] = Field(
        default=[], description="a list of column names (leaks of the target)"
    )
    column_kinds: dict[str, Literal[KINDS]] = Field(
        default={},
        description=f"a mapping of column names to kinds ({', '.join(KINDS)})",
    )


class GateParams(Section):
    """The `evaluate.gate` section: what a model must reach to hold `champion` (gate.py)."""

    # Descriptions say what a value must be, as error messages quote them (describe_schema).
    beat_baseline: bool = Field(
        default=True, description="true or false (beat a model that ignores the features)"
    )
    min_value: float | None = Field(
        default=None,
        description="a number (a floor on primary_metric, a ceiling when lower is better) or null",
    )
    min_improvement: float | None = Field(
        default=None,
        ge=0,
        description="a number >= 0 (what a challenger must beat the champion by) or null",
    )


Sections = Mapping[str, type[Section]]


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


def load_params(sections: Sections, path: Path = PARAMS) -> SimpleNamespace:
    """The validated `sections` of params.yaml, as section models by attribute (`.train`).

    `data` is validated first and handed to the others as context, so a section can check
    itself against the task (a metric or model that does not fit it).
    """
    params = read_params(path)
    chosen: dict[str, Any] = {}
    ordered = sorted(sections, key=lambda name: name != "data")
    for name in ordered:
        if name not in params:
            raise ParamsError(f"{name} section is missing from {path}")
        model = sections[name]
        try:
            chosen[name] = model.model_validate(params[name], context=chosen.get("data"))
        except ValidationError as error:
            raise ParamsError(describe(error.errors()[0], model, name)) from None
    return SimpleNamespace(**chosen)


def describe(error: Mapping[str, Any], model: type[Section], section: str) -> str:
    """One pydantic error as `<dotted key> <what is wrong>`, the form every stage prints."""
    location = tuple(str(part) for part in error["loc"])
    where = ".".join((section, *location))
    kind = error["type"]
    if kind == "extra_forbidden":
        parent = field_schema(model.model_json_schema(), location[:-1])
        return f"{where} is not a known key (known: {', '.join(parent.get('properties', {}))})"
    if kind == "missing":
        return f"{where} is missing"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"{where} must be a mapping of keys to values"
    if kind == "value_error":
        # Our validators word their message to follow the key they are about.
        message = str(error["ctx"]["error"])
        return f"{where} {message}" if location else f"{section}.{message}"
    expected = describe_schema(field_schema(model.model_json_schema(), location))
    return f"{where} must be {expected}, got {error['input']!r}"


def field_schema(schema: dict[str, Any], location: tuple[str, ...]) -> dict[str, Any]:
    """The JSON Schema of the key at `location`, following $ref and optional (anyOf) blocks."""
    definitions = schema.get("$defs", {})

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        if "$ref" in node:
            return resolve(definitions[node["$ref"].rsplit("/", 1)[-1]])
        objects = [resolve(n) for n in node.get("anyOf", []) if n.get("type") != "null"]
        return objects[0] if len(objects) == 1 and "properties" in objects[0] else node

    node = resolve(schema)
    for key in location:
        if key.isdigit() and "items" in node:
            node = resolve(node["items"])
        else:
            node = resolve(node.get("properties", {}).get(key, {}))
    return node


def describe_schema(node: dict[str, Any]) -> str:
    """What a JSON Schema accepts, in the words an error message needs."""
    if "anyOf" in node:
        options = sorted(node["anyOf"], key=lambda option: option.get("type") != "null")
        return " or ".join(describe_schema(option) for option in options)
    if "enum" in node or "const" in node:
        return "one of " + ", ".join(map(str, node.get("enum", [node.get("const")])))
    if "description" in node:
        return node["description"]
    kind = node.get("type")
    if kind == "null":
        return "null"
    if kind == "integer":
        return f"an integer >= {node['minimum']}" if "minimum" in node else "an integer"
    if kind == "number":
        low, high = node.get("exclusiveMinimum"), node.get("exclusiveMaximum")
        if low is not None and high is not None:
            return f"a number between {low} and {high}"
        if "minimum" in node:
            return f"a number >= {node['minimum']}"
        return f"a number > {low}" if low is not None else "a number"
    return {"string": "text", "boolean": "true or false", "array": "a list"}.get(kind, "valid")


def schema(sections: Sections) -> dict[str, Any]:
    """params.yaml's JSON Schema: every declared section; sections of your own stay allowed."""
    fields: dict[str, Any] = {name: (model, ...) for name, model in sections.items()}
    document = create_model("Params", __config__=ConfigDict(extra="allow"), **fields)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **document.model_json_schema(),
    }


def schema_text(sections: Sections) -> str:
    return json.dumps(schema(sections), indent=2) + "\n"


def fail(error: Exception) -> None:
    """Stop the stage with a one-line message and exit status 1."""
    raise SystemExit(f"ERROR: params.yaml: {error}")
