"""dvc.yaml is honest: each stage's files, code and params are what the stage really uses.

Maintained by the template (arrives with `cruft update`).
"""

import ast
import importlib
from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package_name }}.machinery.paths import cmd_options, declared, outputs
from {{ cookiecutter.package_name }}.machinery.stage import stage_modules

from ..conftest import PROJECT, shipped_params

PACKAGE = "{{ cookiecutter.package_name }}"
MACHINERY = f"{PACKAGE}.machinery"
# dvc.yaml lists the template's machinery as one folder dep.
MACHINERY_DEP = f"{PACKAGE}/machinery"
# The registries read your entries when first used: they import models.py and metrics.py.
REGISTRY_ENTRIES = {f"{MACHINERY}.model_registry": f"{PACKAGE}.models",
                    f"{MACHINERY}.metric_registry": f"{PACKAGE}.metrics"}  # fmt: skip


def pipeline() -> dict:
    return yaml.safe_load((PROJECT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]


def stage_module(stage: dict) -> str:
    """The module a stage's cmd runs: `python -m <module> ...`."""
    words = stage["cmd"].split()
    return words[words.index("-m") + 1]


def module_file(module: str) -> Path:
    path = PROJECT / Path(*module.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def has_code(path: Path) -> bool:
    """False for a file that is only a docstring."""
    body = ast.parse(path.read_text(encoding="utf-8")).body
    return any(
        not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)) for node in body
    )


def imported_modules(module: str) -> set[str]:
    """This package's modules that `module` imports directly (parent packages included)."""
    path = module_file(module)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            target = ".".join(filter(None, [base, node.module or ""]))
            candidates = [target] + [f"{target}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        else:
            continue
        found |= {
            name
            for name in candidates
            if name.split(".")[0] == PACKAGE and module_file(name).exists()
        }
    parents = {".".join(module.split(".")[:i]) for i in range(1, module.count(".") + 1)}
    entries = {REGISTRY_ENTRIES[module]} if module in REGISTRY_ENTRIES else set()
    return found | parents | entries


def code_closure(module: str) -> set[str]:
    """Every module of this package that running `module` loads."""
    seen, todo = set(), [module]
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo.extend(imported_modules(current))
    return seen


STAGES = pipeline()


@pytest.mark.parametrize("name", STAGES)
def test_stage_code_deps_are_every_module_it_imports(name):
    """A stage depends on exactly the code it runs: `dvc repro` reruns it when that changes.
    Your modules are listed one by one; the machinery, if it runs any, as its folder."""
    stage = STAGES[name]
    closure = code_closure(stage_module(stage))
    loaded = {
        module_file(m) for m in closure if not m.startswith(MACHINERY) and has_code(module_file(m))
    }
    if any(m.startswith(f"{MACHINERY}.") for m in closure):
        loaded.add(PROJECT / MACHINERY_DEP)
    code_deps = {
        PROJECT / path
        for path in declared(stage["deps"])
        if path.endswith(".py") or path == MACHINERY_DEP
    }
    assert code_deps == loaded


@pytest.mark.parametrize("name", STAGES)
def test_stage_files_and_params_match_its_module(name):
    """The cmd passes every file the module asks for, each one a dep or an output of the stage;
    the stage's params are the sections its module declares."""
    stage = STAGES[name]
    module = importlib.import_module(stage_module(stage))
    files = cmd_options(stage)
    assert set(files) == set(module.FILES)
    own = set(declared(stage.get("deps", []))) | set(outputs(stage))
    assert set(files.values()) <= own
    assert set(stage.get("params", [])) == set(module.PARAMS)
    assert set(module.PARAMS) <= set(shipped_params())


def test_no_stage_imports_another_stage():
    stages = set(stage_modules())
    for module in stages:
        assert code_closure(module) & stages == {module}


def test_each_stage_reads_what_an_earlier_stage_writes():
    """Inputs are raw data (tracked by DVC) or outputs of a stage that runs before."""
    written: set[str] = set()
    for stage in STAGES.values():
        for path in declared(stage["deps"]):
            code = path.endswith(".py") or path == MACHINERY_DEP
            if not code and not (PROJECT / f"{path}.dvc").exists():
                assert path in written, f"{path} is read before any stage writes it"
        written |= set(declared(stage.get("outs", [])))
