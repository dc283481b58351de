"""Validate a bake's answers and derive what the hooks need from them.

Imported by the pre- and post-generation hooks from the template checkout (they run with
the standard library only, e.g. under `pipx run cookiecutter`) and by the template's tests.
Every problem is reported as `ERROR: <key>: <what is wrong and how to fix it>`.
"""

import csv
import importlib.util
import keyword
import math
import os
import re
import statistics
import sys
from collections.abc import Iterator
from functools import cache
from itertools import islice
from pathlib import Path, PureWindowsPath
from types import ModuleType
from urllib.parse import urlparse

SAMPLE_TASKS = {
    "cars": "classification",
    "wine": "classification",
    "breast_cancer": "classification",
    "diabetes": "regression",
    "food_reviews": "classification",
}
TASKS = ("classification", "regression")
# target_column's default for each sample ("target" for the others).
SAMPLE_TARGETS = {"cars": "origin", "food_reviews": "score"}
# project_name's default for each sample (cars' is the template's own default name).
SAMPLE_NAMES = {
    "cars": "Car Origin Classifier",
    "wine": "Wine Cultivar Classifier",
    "breast_cancer": "Breast Cancer Classifier",
    "diabetes": "Diabetes Regressor",
    "food_reviews": "Food Review Classifier",
}
TASK_WORDS = {"classification": "Classifier", "regression": "Regressor"}
# The longest package name a default may give: the generated code names its package in lines
# that must stay within ruff's 100 columns (e.g. the package's docstring).
MAX_DEFAULT_PACKAGE = 28
TRACKING_SCHEMES = ("http", "https", "postgresql", "mysql", "mssql", "sqlite", "databricks")
SHADOWED_PACKAGES = {"mlflow", "dvc", "sklearn", "pandas", "numpy", "yaml", "filelock", "tests"}
MIN_ROWS = 10
SLUG = re.compile(r"[a-z0-9][a-z0-9_-]*")
PACKAGE = re.compile(r"[a-z_][a-z0-9_]*")
MODEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
PYTHON_VERSION = re.compile(r"3\.(\d+)")
S3_URL = re.compile(r"s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[^\s]*)?")
SINGLE_LINE_KEYS = ("project_name", "author_name", "description")
# The generated project's CSV reader (standard library only): the bake reads a CSV with it,
# so a file the bake accepts is read the same way by the pipeline's stages.
TABLE_FORMAT = Path("{{cookiecutter.project_slug}}", "{{cookiecutter.package_name}}", "machinery", "table_format.py")
# A numeric target with more distinct values than this (or any non-integer) is regression.
MAX_CLASSES = 20
MODELS = ("hist_gradient_boosting", "random_forest", "linear")
# model's default: linear (sparse TF-IDF suits it) when most inputs are free text, else the first.
TEXT_MODEL = "linear"
# Free text, for that default, is told by prepare's own rule (table_format.looks_like_text),
# read from the first rows only.
TEXT_SAMPLE_ROWS = 2000

Problem = tuple[str, str]


def error_line(key: str, message: str) -> str:
    return f"ERROR: {key}: {message}"


def sample_csv(answers: dict) -> Path:
    """The bundled sample data set's file in the template checkout."""
    return Path(answers["_repo_dir"]) / "sample_data" / f"{answers['dataset']}.csv"


def user_path(raw: str, base: Path) -> Path:
    """A path the user typed: `~` expanded, relative ones taken from `base`."""
    path = Path(raw.strip()).expanduser()
    return path if path.is_absolute() else (base / path)


def bake_cwd() -> Path:
    """The directory cookiecutter was started from (hooks themselves run in the project)."""
    return Path(os.environ.get("PWD") or os.getcwd())


def source_csv(answers: dict) -> Path:
    """The CSV the project starts from: the user's own, or the bundled sample."""
    if answers["dataset"] == "custom":
        return user_path(answers["custom_csv"], bake_cwd()).resolve()
    return sample_csv(answers)


def target_column(answers: dict) -> str:
    return answers["target_column"].strip() or SAMPLE_TARGETS.get(answers["dataset"], "target")


def remote_url(answers: dict) -> str:
    """The DVC remote's URL; a local remote is made absolute so clones elsewhere find it."""
    raw = answers["dvc_remote_url"].strip()
    if answers["dvc_remote"] != "local":
        return raw
    output_dir = Path(answers["_output_dir"])
    if not raw:
        return str(output_dir / f"{answers['project_slug']}-dvc-storage")
    return str(user_path(raw, output_dir).resolve())


@cache
def table_format(repo_dir: str) -> ModuleType:
    """table_format.py of the template checkout at `repo_dir`, imported by its path."""
    spec = importlib.util.spec_from_file_location("generated_table_format", Path(repo_dir) / TABLE_FORMAT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def read_csv(path: Path, repo_dir: str) -> tuple[list[str], list[list[str]]]:
    """Header and data rows, read as the stages read them; ValueError when the file is not a
    CSV table with a usable header (the message names the file and the fix)."""
    reader = table_format(repo_dir)
    try:
        table = reader.sniff(path)
        return list(table.columns), list(reader.read_rows(path, table))
    except UnicodeDecodeError:
        raise ValueError(f"{path} is not UTF-8 text; save it as UTF-8 (in Excel: CSV UTF-8)") from None
    except reader.FormatError as error:
        raise ValueError(str(error)) from None
    except ValueError as error:  # csv.Error, e.g. a field larger than the csv module allows
        raise ValueError(f"{path} is not a readable CSV file ({error})") from None


def csv_shape(path: Path, repo_dir: str) -> tuple[list[str], int]:
    """Header and number of data rows; raises ValueError when the file is not a readable CSV."""
    header, rows = read_csv(path, repo_dir)
    return header, len(rows)


def target_values(path: Path, repo_dir: str, target: str) -> list[str]:
    """The non-empty values of column `target`."""
    header, rows = read_csv(path, repo_dir)
    index = header.index(target)
    missing = table_format(repo_dir).MISSING
    return [row[index] for row in rows if index < len(row) and row[index] and row[index] not in missing]


def as_number(text: str) -> float | None:
    """The value as a finite number (a decimal comma allowed), or None."""
    try:
        number = float(text.replace(",", ".") if text.count(",") == 1 and "." not in text else text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def numbers_of(values: list[str], repo_dir: str) -> list[float] | None:
    """The values as numbers when nearly all are (prepare's rule for a numeric column), else None."""
    numbers = [number for number in map(as_number, values) if number is not None]
    allowed = table_format(repo_dir).MAX_NON_NUMBERS * len(values)
    return numbers if numbers and len(values) - len(numbers) <= allowed else None


def infer_task(values: list[str], repo_dir: str) -> str:
    """regression for a numeric target with fractions or many distinct values, else classification."""
    numbers = numbers_of(values, repo_dir)
    if numbers is None:
        return "classification"
    fractional = any(not number.is_integer() for number in numbers)
    return "regression" if fractional or len(set(numbers)) > MAX_CLASSES else "classification"


def default_task(answers: dict) -> str:
    """The task a custom CSV's target column implies; classification when it cannot be read
    (the pre-generation hook then reports what is wrong with the file)."""
    try:
        path = source_csv(answers)
        return infer_task(target_values(path, answers["_repo_dir"], target_column(answers)), answers["_repo_dir"])
    except (ValueError, OSError):
        return "classification"


def is_identifier(values: list[str], repo_dir: str) -> bool:
    """A key unique per row (prepare's rule): whole numbers (a row number) or codes."""
    if len(set(values)) < len(values):
        return False
    numbers = numbers_of(values, repo_dir)
    if numbers is not None:
        return all(number.is_integer() for number in numbers)
    return table_format(repo_dir).looks_like_identifier(mean_words(values), True)


def mean_words(values: list[str]) -> float:
    return statistics.fmean(len(value.split()) for value in values)


def is_text(values: list[str], repo_dir: str) -> bool:
    """Free text by prepare's rule (table_format.looks_like_text): not numbers, and words."""
    distinct = len(set(values)) / len(values)
    return numbers_of(values, repo_dir) is None and table_format(repo_dir).looks_like_text(mean_words(values), distinct)


def mostly_text(header: list[str], rows: list[list[str]], target: str, repo_dir: str) -> bool:
    """Whether most of the columns a model learns from (all but the target, identifiers and
    empty columns) hold free text."""
    missing = table_format(repo_dir).MISSING
    inputs = []
    for index, name in enumerate(header):
        values = [row[index] for row in rows if index < len(row) and row[index] and row[index] not in missing]
        if name != target and values and not is_identifier(values, repo_dir):
            inputs.append(values)
    texts = sum(is_text(values, repo_dir) for values in inputs)
    return 2 * texts > len(inputs)


def default_model(answers: dict) -> str:
    """model's default: linear for a data set whose inputs are mostly free text (read from its
    first rows), else hist_gradient_boosting; the latter when the CSV cannot be read (the
    pre-generation hook then reports what is wrong with the file)."""
    repo_dir = answers["_repo_dir"]
    try:
        path = source_csv(answers)
        reader = table_format(repo_dir)
        table = reader.sniff(path)
        rows = list(islice(reader.read_rows(path, table), TEXT_SAMPLE_ROWS))
        text = mostly_text(list(table.columns), rows, target_column(answers), repo_dir)
    except (ValueError, OSError, csv.Error):  # FormatError and UnicodeDecodeError are ValueErrors
        return MODELS[0]
    return TEXT_MODEL if text else MODELS[0]


def default_project_name(answers: dict) -> str:
    """project_name's default: the sample's own name, or a custom CSV's file name and the task's
    word (customers.csv, classification: "Customers Classifier"); always a name whose slug and
    package name are valid ("2024.csv": "Data 2024 Classifier") and short enough for the
    generated code (trailing words of a long file name are dropped)."""
    if answers["dataset"] in SAMPLE_NAMES:
        return SAMPLE_NAMES[answers["dataset"]]
    # PureWindowsPath takes both / and \ as separators, so any typed path gives its file name.
    words = re.findall(r"[^\W_]+", PureWindowsPath(answers["custom_csv"].strip()).stem)
    if not words or not words[0][0].isalpha():
        words.insert(0, "data")
    task_word = TASK_WORDS.get(answers["task"], "Model")
    while len(words) > 1 and len("_".join([*words, task_word])) > MAX_DEFAULT_PACKAGE:
        words.pop()
    words = [words[0][: MAX_DEFAULT_PACKAGE - len(task_word) - 1], *words[1:], task_word]
    return " ".join(word[:1].upper() + word[1:] for word in words)


def check_names(answers: dict) -> Iterator[Problem]:
    if not SLUG.fullmatch(answers["project_slug"]):
        yield (
            "project_slug",
            (
                f"{answers['project_slug']!r} is not a valid directory name; use lowercase "
                "letters, digits, '-' and '_', starting with a letter or digit"
            ),
        )
    package = answers["package_name"]
    if not PACKAGE.fullmatch(package) or keyword.iskeyword(package):
        yield (
            "package_name",
            (
                f"{package!r} is not an importable Python name; use lowercase letters, digits "
                "and '_', not starting with a digit (e.g. package_name=my_project)"
            ),
        )
    elif package in SHADOWED_PACKAGES:
        yield "package_name", f"{package!r} would shadow a library the project uses; pick another"
    if not MODEL_NAME.fullmatch(answers["registered_model_name"]):
        yield (
            "registered_model_name",
            (
                f"{answers['registered_model_name']!r} is not a usable registry name; "
                "use letters, digits, '_', '-' and '.'"
            ),
        )


def check_text(answers: dict) -> Iterator[Problem]:
    for key in SINGLE_LINE_KEYS:
        if "\n" in answers[key] or "\r" in answers[key]:
            yield key, "must be a single line; remove the line breaks"
    if not answers["project_name"].strip():
        yield "project_name", "must not be empty"
    match = PYTHON_VERSION.fullmatch(answers["python_version"].strip())
    if not match or int(match.group(1)) < 10:
        yield "python_version", f"{answers['python_version']!r} is not supported; use 3.10 or newer, e.g. 3.11"


def check_custom_csv(answers: dict) -> Iterator[Problem]:
    if not answers["custom_csv"].strip():
        yield "custom_csv", "dataset=custom needs the path to your CSV file (custom_csv=/path/to/data.csv)"
        return
    path = source_csv(answers)
    if not path.is_file():
        yield "custom_csv", f"{path} does not exist or is not a file; give the path to your CSV"
        return
    try:
        header, rows = csv_shape(path, answers["_repo_dir"])
    except ValueError as error:
        yield "custom_csv", str(error)
        return
    if rows < MIN_ROWS:
        yield "custom_csv", f"{path} has {rows} data rows; at least {MIN_ROWS} are needed to split"
    elif not answers["target_column"].strip():
        yield "target_column", "dataset=custom needs the name of the column to predict (target_column=...)"
    elif target_column(answers) not in header:
        columns = ", ".join(map(repr, header))
        yield "target_column", f"{target_column(answers)!r} is not a column of {path} (columns: {columns})"
    else:
        yield from check_target(answers, path)


def check_target(answers: dict, path: Path) -> Iterator[Problem]:
    """The target column can be learned as the task says."""
    target, task, repo_dir = target_column(answers), answers["task"], answers["_repo_dir"]
    values = target_values(path, repo_dir, target)
    numbers = numbers_of(values, repo_dir)
    if len(values) < MIN_ROWS:
        yield "target_column", f"{target!r} in {path} has {len(values)} values; at least {MIN_ROWS} are needed"
    elif task == "regression" and numbers is None:
        example = next(value for value in values if as_number(value) is None)
        yield "task", f"{target!r} in {path} is not numeric (e.g. {example!r}); set task=classification"
    elif task == "classification" and numbers and any(not number.is_integer() for number in numbers):
        example = next(value for value in values if not (as_number(value) or 0.0).is_integer())
        yield "task", f"{target!r} in {path} holds fractional numbers (e.g. {example!r}); set task=regression"
    elif task == "classification" and len(set(values)) < 2:
        yield (
            "target_column",
            f"{target!r} in {path} has one class ({values[0]!r}); a classifier needs at least two",
        )


def check_dataset(answers: dict) -> Iterator[Problem]:
    dataset, task = answers["dataset"], answers["task"]
    if task not in TASKS:
        yield "task", f"{task!r} is not a task; use classification or regression"
        return
    if dataset == "custom":
        yield from check_custom_csv(answers)
        return
    if answers["custom_csv"].strip():
        yield "custom_csv", f"is only used with dataset=custom (dataset is {dataset}); leave it blank"
    if SAMPLE_TASKS.get(dataset, task) != task:
        yield "task", f"the {dataset} sample is a {SAMPLE_TASKS[dataset]} data set; set task={SAMPLE_TASKS[dataset]}"
    if answers["target_column"].strip():
        header, _ = csv_shape(sample_csv(answers), answers["_repo_dir"])
        if target_column(answers) not in header:
            yield (
                "target_column",
                f"{target_column(answers)!r} is not a column of the {dataset} sample (columns: {', '.join(header)})",
            )


def check_model(answers: dict) -> Iterator[Problem]:
    if answers["model"] not in MODELS:
        yield "model", f"{answers['model']!r} is not a model; use one of {', '.join(MODELS)}"


def check_tracking_uri(answers: dict) -> Iterator[Problem]:
    uri = answers["mlflow_tracking_uri"].strip()
    if not uri:
        return
    scheme = urlparse(uri).scheme.split("+")[0]
    if scheme == "file" or not scheme or os.path.isabs(uri):
        yield (
            "mlflow_tracking_uri",
            (
                "MLflow 3 does not accept a file store; leave it blank for the project's SQLite "
                "store or give a server URL such as http://localhost:5000"
            ),
        )
    elif scheme not in TRACKING_SCHEMES:
        yield "mlflow_tracking_uri", f"scheme {scheme!r} is not supported; use one of {', '.join(TRACKING_SCHEMES)}"
    elif scheme == "sqlite" and not uri.startswith("sqlite:////"):
        yield (
            "mlflow_tracking_uri",
            (
                "a relative sqlite URI breaks queued experiments; leave it blank for the "
                "project's own store or give an absolute one (sqlite:////abs/path/mlflow.db)"
            ),
        )
    elif scheme in ("http", "https") and not urlparse(uri).hostname:
        yield "mlflow_tracking_uri", f"{uri!r} has no host; use e.g. http://localhost:5000"


def check_remote(answers: dict) -> Iterator[Problem]:
    kind, url = answers["dvc_remote"], answers["dvc_remote_url"].strip()
    endpoint = answers["s3_endpoint_url"].strip()
    if kind == "s3" and not S3_URL.fullmatch(url):
        yield "dvc_remote_url", f"{url!r} is not an S3 URL; use s3://bucket-name/optional/path"
    if kind == "local" and "://" in url:
        yield "dvc_remote_url", f"{url!r} is a URL, but dvc_remote=local takes a folder path; for S3 set dvc_remote=s3"
    if kind == "none" and url:
        yield "dvc_remote_url", "is set but dvc_remote=none; choose dvc_remote=local or s3, or leave it blank"
    if endpoint and kind != "s3":
        yield "s3_endpoint_url", f"is only used with dvc_remote=s3 (it is {kind}); leave it blank"
    elif endpoint and (urlparse(endpoint).scheme not in ("http", "https") or not urlparse(endpoint).hostname):
        yield "s3_endpoint_url", f"{endpoint!r} is not an http(s) URL; use e.g. http://localhost:9000"


CHECKS = (check_names, check_text, check_dataset, check_model, check_tracking_uri, check_remote)


def problems(answers: dict) -> list[str]:
    """Every problem with the answers, one `ERROR:` line each; empty when the bake may go on."""
    return [error_line(key, message) for check in CHECKS for key, message in check(answers)]


def pre_gen(answers: dict) -> int:
    """The pre-generation hook: print the first problem, if any; the exit status.

    Only the first: later ones are often its echo (a bad slug makes a bad package name),
    and one fix at a time keeps the message clear.
    """
    found = problems(answers)
    if found:
        print(found[0], file=sys.stderr)
        return 1
    return 0
