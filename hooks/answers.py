"""Validate a bake's answers and derive what the hooks need from them.

Imported by the pre- and post-generation hooks from the template checkout (they run with
the standard library only, e.g. under `pipx run cookiecutter`) and by the template's tests.
Every problem is reported as `ERROR: <key>: <what is wrong and how to fix it>`.
"""

import csv
import keyword
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

SAMPLE_TASKS = {
    "cars": "classification",
    "wine": "classification",
    "breast_cancer": "classification",
    "diabetes": "regression",
}
TASKS = ("classification", "regression")
TRACKING_SCHEMES = ("http", "https", "postgresql", "mysql", "mssql", "sqlite", "databricks")
SHADOWED_PACKAGES = {"mlflow", "dvc", "sklearn", "pandas", "numpy", "yaml", "filelock", "tests"}
MIN_ROWS = 10
SLUG = re.compile(r"[a-z0-9][a-z0-9_-]*")
PACKAGE = re.compile(r"[a-z_][a-z0-9_]*")
MODEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
PYTHON_VERSION = re.compile(r"3\.(\d+)")
S3_URL = re.compile(r"s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[^\s]*)?")
SINGLE_LINE_KEYS = ("project_name", "author_name", "description")

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
    return answers["target_column"].strip() or "target"


def remote_url(answers: dict) -> str:
    """The DVC remote's URL; a local remote is made absolute so clones elsewhere find it."""
    raw = answers["dvc_remote_url"].strip()
    if answers["dvc_remote"] != "local":
        return raw
    output_dir = Path(answers["_output_dir"])
    if not raw:
        return str(output_dir / f"{answers['project_slug']}-dvc-storage")
    return str(user_path(raw, output_dir).resolve())


def csv_shape(path: Path) -> tuple[list[str], int]:
    """Header and number of data rows; raises ValueError when the file is not a readable CSV."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = csv.reader(handle)
            header = next(rows, [])
            count = sum(1 for row in rows if row)
    except (UnicodeDecodeError, csv.Error) as error:
        raise ValueError(f"{path} is not a readable UTF-8 CSV file ({error})") from None
    return [name.strip() for name in header], count


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
        header, rows = csv_shape(path)
    except ValueError as error:
        yield "custom_csv", str(error)
        return
    if len(header) < 2 or len(set(header)) != len(header) or "" in header:
        yield "custom_csv", f"{path} needs a header row of at least 2 distinct, non-empty column names"
    elif rows < MIN_ROWS:
        yield "custom_csv", f"{path} has {rows} data rows; at least {MIN_ROWS} are needed to split"
    elif not answers["target_column"].strip():
        yield "target_column", "dataset=custom needs the name of the column to predict (target_column=...)"
    elif target_column(answers) not in header:
        yield "target_column", f"{target_column(answers)!r} is not a column of {path} (columns: {', '.join(header)})"


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
        header, _ = csv_shape(sample_csv(answers))
        if target_column(answers) not in header:
            yield (
                "target_column",
                f"{target_column(answers)!r} is not a column of the {dataset} sample (columns: {', '.join(header)})",
            )


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


CHECKS = (check_names, check_text, check_dataset, check_tracking_uri, check_remote)


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
