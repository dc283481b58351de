"""Jinja filters for cookiecutter.json, loaded by cookiecutter through `_extensions`: the
defaults that follow earlier answers (a custom CSV's task, the project's name, the model).

Standard library and cookiecutter only (the bake may run under `pipx run cookiecutter`).
"""

import importlib.util
import sys
from pathlib import Path

from cookiecutter.utils import simple_filter

TEMPLATE = Path(__file__).resolve().parent


def answers_module():
    """hooks/answers.py, imported by its path: the rules the pre-generation hook applies."""
    spec = importlib.util.spec_from_file_location("template_answers", TEMPLATE / "hooks" / "answers.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@simple_filter
def infer_task(custom_csv: str, target_column: str) -> str:
    """The task a custom CSV's target column implies: `task`'s default for dataset=custom."""
    answers = {"dataset": "custom", "custom_csv": custom_csv, "target_column": target_column}
    return answers_module().default_task(answers | {"_repo_dir": str(TEMPLATE)})


@simple_filter
def default_project_name(dataset: str, custom_csv: str, task: str) -> str:
    """project_name's default: it follows the data set (a custom CSV: its file name and the task)."""
    return answers_module().default_project_name({"dataset": dataset, "custom_csv": custom_csv, "task": task})


@simple_filter
def default_model(dataset: str, custom_csv: str, target_column: str) -> str:
    """model's default: linear when most of the data set's inputs are free text, else
    hist_gradient_boosting (a sample's file or a custom CSV, read by the pre-generation hook's rules)."""
    answers = {"dataset": dataset, "custom_csv": custom_csv, "target_column": target_column}
    return answers_module().default_model(answers | {"_repo_dir": str(TEMPLATE)})
