"""The hooks: bad answers are rejected cleanly, awkward text survives, missing tools are explained."""

import importlib
import importlib.util
import io
import os
import shlex
import shutil
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from .conftest import CUSTOM_CSV, TEMPLATE, bake_ok, git, run

sys.path.insert(0, str(TEMPLATE / "hooks"))
from answers import default_model, default_project_name, is_identifier, is_text, remote_url  # noqa: E402


def write_csv(tmp_path: Path, text: str, name: str = "data.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


ROWS = "".join(f"{i},{i % 2}\n" for i in range(20))
ONE_CLASS = "".join(f"{i},yes\n" for i in range(20))
FRACTIONS = "".join(f"{i},{i / 3:.3f}\n" for i in range(20))
TEXT = "".join(f"{i},{('yes', 'no')[i % 2]}\n" for i in range(20))
REJECTED = [
    # (id, answers, the key the error names)
    ("diabetes-as-classification", {"dataset": "diabetes", "task": "classification"}, "task"),
    ("wine-as-regression", {"dataset": "wine", "task": "regression"}, "task"),
    ("unknown-task", {"task": "clustering"}, "task"),
    ("unknown-model", {"model": "xgboost"}, "model"),
    ("custom-without-csv", {"dataset": "custom", "target_column": "y"}, "custom_csv"),
    ("custom-csv-missing", {"dataset": "custom", "custom_csv": "/nonexistent/data.csv", "target_column": "y"}, "custom_csv"),
    ("custom-without-target", {"dataset": "custom", "custom_csv": "CSV:x,y\n" + ROWS}, "target_column"),
    ("custom-target-not-a-column", {"dataset": "custom", "custom_csv": "CSV:x,y\n" + ROWS, "target_column": "z"}, "target_column"),
    ("custom-too-few-rows", {"dataset": "custom", "custom_csv": "CSV:x,y\n1,0\n2,1\n", "target_column": "y"}, "custom_csv"),
    ("custom-one-column", {"dataset": "custom", "custom_csv": "CSV:y\n" + ROWS, "target_column": "y"}, "custom_csv"),
    ("custom-not-utf8", {"dataset": "custom", "custom_csv": "BIN", "target_column": "y"}, "custom_csv"),
    ("custom-empty", {"dataset": "custom", "custom_csv": "CSV:", "target_column": "y"}, "custom_csv"),
    ("custom-header-only", {"dataset": "custom", "custom_csv": "CSV:x,y\n", "target_column": "y"}, "custom_csv"),
    ("custom-duplicate-columns", {"dataset": "custom", "custom_csv": "CSV:y,y\n" + ROWS, "target_column": "y"}, "custom_csv"),
    ("custom-unnamed-column", {"dataset": "custom", "custom_csv": "CSV:x,\n" + ROWS, "target_column": "x"}, "custom_csv"),
    ("custom-target-all-missing", {"dataset": "custom", "custom_csv": "CSV:x,y\n" + "".join(f"{i},\n" for i in range(20)), "target_column": "y"}, "target_column"),
    ("custom-one-class", {"dataset": "custom", "custom_csv": "CSV:x,y\n" + ONE_CLASS, "target_column": "y"}, "target_column"),
    ("custom-classification-on-fractions", {"dataset": "custom", "custom_csv": "CSV:x,y\n" + FRACTIONS, "target_column": "y", "task": "classification"}, "task"),
    ("custom-regression-on-text", {"dataset": "custom", "custom_csv": "CSV:x,y\n" + TEXT, "target_column": "y", "task": "regression"}, "task"),
    ("sample-with-custom-csv", {"dataset": "wine", "custom_csv": str(CUSTOM_CSV)}, "custom_csv"),
    ("sample-target-not-a-column", {"dataset": "wine", "target_column": "price"}, "target_column"),
    ("slug-with-space", {"project_slug": "my project"}, "project_slug"),
    ("package-with-dash", {"package_name": "my-project"}, "package_name"),
    ("package-keyword", {"package_name": "class"}, "package_name"),
    ("package-shadows-mlflow", {"package_name": "mlflow"}, "package_name"),
    ("package-leading-digit", {"project_name": "2024 Forecast"}, "package_name"),
    ("python-2", {"python_version": "2.7"}, "python_version"),
    ("python-garbage", {"python_version": "latest"}, "python_version"),
    ("name-with-newline", {"project_name": "Two\nLines", "project_slug": "two-lines"}, "project_name"),
    ("description-with-newline", {"description": "first\nsecond"}, "description"),
    ("tracking-file-store", {"mlflow_tracking_uri": "file:///tmp/mlruns"}, "mlflow_tracking_uri"),
    ("tracking-bare-path", {"mlflow_tracking_uri": "/tmp/mlruns"}, "mlflow_tracking_uri"),
    ("tracking-relative-sqlite", {"mlflow_tracking_uri": "sqlite:///mlflow.db"}, "mlflow_tracking_uri"),
    ("tracking-unknown-scheme", {"mlflow_tracking_uri": "ftp://host/x"}, "mlflow_tracking_uri"),
    ("tracking-http-without-host", {"mlflow_tracking_uri": "http://"}, "mlflow_tracking_uri"),
    ("registry-name-with-space", {"registered_model_name": "my model"}, "registered_model_name"),
    ("s3-without-url", {"dvc_remote": "s3"}, "dvc_remote_url"),
    ("s3-not-a-url", {"dvc_remote": "s3", "dvc_remote_url": "bucket/path"}, "dvc_remote_url"),
    ("s3-uppercase-bucket", {"dvc_remote": "s3", "dvc_remote_url": "s3://My_Bucket/x"}, "dvc_remote_url"),
    ("s3-bad-endpoint", {"dvc_remote": "s3", "dvc_remote_url": "s3://bucket/x", "s3_endpoint_url": "localhost:9000"}, "s3_endpoint_url"),
    ("local-given-s3-url", {"dvc_remote": "local", "dvc_remote_url": "s3://bucket/x"}, "dvc_remote_url"),
    ("none-given-url", {"dvc_remote": "none", "dvc_remote_url": "/tmp/store"}, "dvc_remote_url"),
    ("endpoint-without-s3", {"dvc_remote": "local", "s3_endpoint_url": "http://localhost:9000"}, "s3_endpoint_url"),
]  # fmt: skip


def materialise(answers: dict, tmp_path: Path) -> dict:
    """Turn the CSV:/BIN placeholders into real files in tmp_path."""
    value = answers.get("custom_csv", "")
    if value.startswith("CSV:"):
        return answers | {"custom_csv": write_csv(tmp_path, value[4:])}
    if value == "BIN":
        path = tmp_path / "binary.csv"
        path.write_bytes(b"\xff\xfe\x00\x81" * 50)
        return answers | {"custom_csv": str(path)}
    return answers


@pytest.mark.parametrize(("answers", "key"), [r[1:] for r in REJECTED], ids=[r[0] for r in REJECTED])
def test_bad_answer_is_rejected_with_one_line_and_no_directory(cookies, capfd, tmp_path, answers, key):
    """A rejected bake exits non-zero, names the key in one ERROR line, leaves nothing behind."""
    result = cookies.bake(extra_context=materialise(answers, tmp_path))
    assert result.exit_code != 0
    errors = [line for line in capfd.readouterr().err.splitlines() if line.startswith("ERROR:")]
    assert len(errors) == 1 and errors[0].startswith(f"ERROR: {key}: "), errors
    assert list((tmp_path / "cookies" / "bake00").iterdir()) == []


REJECTED_SAYING = [
    # (id, CSV text, answers, what the one ERROR line says)
    ("duplicates-named", "x,x,y\n" + ROWS, {}, "names column 'x' more than once"),
    ("one-class-named", "x,y\n" + ONE_CLASS, {}, "'y' in {path} has one class ('yes')"),
    ("fractions-say-regression", "x,y\n" + FRACTIONS, {"task": "classification"}, "'y' in {path} holds fractional numbers (e.g. '0.333'); set task=regression"),
    ("text-says-classification", "x,y\n" + TEXT, {"task": "regression"}, "'y' in {path} is not numeric (e.g. 'yes'); set task=classification"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "answers", "says"), [r[1:] for r in REJECTED_SAYING], ids=[r[0] for r in REJECTED_SAYING]
)
def test_bad_custom_csv_is_named_with_its_column_and_the_fix(cookies, capfd, tmp_path, text, answers, says):
    path = write_csv(tmp_path, text)
    result = cookies.bake(extra_context={"dataset": "custom", "custom_csv": path, "target_column": "y"} | answers)
    assert result.exit_code != 0
    errors = [line for line in capfd.readouterr().err.splitlines() if line.startswith("ERROR:")]
    assert len(errors) == 1 and says.format(path=path) in errors[0], errors


@pytest.mark.parametrize(
    ("text", "task"),
    [("x,y\n" + FRACTIONS, "regression"), ("x,y\n" + ROWS, "classification"), ("x,y\n" + TEXT, "classification")],
    ids=["fractions", "integer-classes", "text"],
)
def test_custom_csv_task_defaults_to_what_its_target_holds(tmp_path, text, task):
    """Without task=..., a custom CSV's target column decides it (a local Jinja extension),
    with the plain cookiecutter CLI."""
    path = write_csv(tmp_path, text)
    cookiecutter = Path(sys.executable).parent / "cookiecutter"
    command = [str(cookiecutter), "--no-input", "--output-dir", str(tmp_path / "out"), str(TEMPLATE),
               "dataset=custom", f"custom_csv={path}", "target_column=y"]  # fmt: skip
    done = run(command, tmp_path)
    assert done.returncode == 0, done.stderr
    (params,) = (tmp_path / "out").glob("*/params.yaml")
    assert f"task: {task}\n" in params.read_text()


DEFAULT_NAMES = [
    # (id, answers, the project's directory)
    ("cars", {}, "car-origin-classifier"),
    ("wine", {"dataset": "wine"}, "wine-cultivar-classifier"),
    ("breast_cancer", {"dataset": "breast_cancer"}, "breast-cancer-classifier"),
    ("diabetes", {"dataset": "diabetes"}, "diabetes-regressor"),
    ("food_reviews", {"dataset": "food_reviews"}, "food-review-classifier"),
    ("custom-classification", {"dataset": "custom", "custom_csv": str(CUSTOM_CSV), "target_column": "churned"}, "customers-classifier"),
    ("custom-regression", {"dataset": "custom", "custom_csv": str(CUSTOM_CSV), "target_column": "monthly_fee"}, "customers-regressor"),
]  # fmt: skip


@pytest.mark.parametrize(("answers", "slug"), [r[1:] for r in DEFAULT_NAMES], ids=[r[0] for r in DEFAULT_NAMES])
def test_default_name_follows_the_dataset(cookies, answers, slug):
    """Left at its default, the project's name follows the data set (a custom CSV: its file
    name and the task), and so do its directory, package and registered model."""
    project = bake_ok(cookies, answers)
    package = slug.replace("-", "_")
    assert project.name == slug
    assert tomllib.loads((project / "pyproject.toml").read_text())["project"]["name"] == slug
    assert (project / package / "__init__.py").is_file()
    assert f"MODEL ?= models:/{package}_model@champion\n" in (project / "Makefile").read_text()


WORDS = ["fresh", "stale", "sweet", "bitter", "crunchy", "soggy", "cheap", "pricey", "tasty", "bland", "salty"]


def table(*columns: str) -> str:
    """40 rows of the named kinds of column, then a yes/no target `bought`: `row` (a row
    number), `product` (a code), `review` (free text: 3-7 words, all distinct), `price`."""
    kinds = {"row": lambda i: str(i), "product": lambda i: f"P{i:04d}", "price": lambda i: f"{i * 1.5}",
             "review": lambda i: " ".join(WORDS[(i * k) % len(WORDS)] for k in range(1, 3 + i % 5)) + f" {i}",
             "a": lambda i: str(i % 7), "b": lambda i: f"{i % 5}.5"}  # fmt: skip
    rows = "".join(",".join([*(kinds[c](i) for c in columns), ("yes", "no")[i % 2]]) + "\n" for i in range(40))
    return ",".join([*columns, "bought"]) + "\n" + rows


DEFAULT_MODELS = [
    # (id, answers, a custom CSV's text or None, the model in params.yaml)
    ("cars", [], None, "hist_gradient_boosting"),
    ("food_reviews", ["dataset=food_reviews"], None, "linear"),
    ("food_reviews-explicit", ["dataset=food_reviews", "model=hist_gradient_boosting"], None, "hist_gradient_boosting"),
    ("custom-text", [], table("row", "product", "review"), "linear"),
    ("custom-text-explicit", ["model=random_forest"], table("row", "product", "review"), "random_forest"),
    ("custom-numeric", [], table("row", "a", "b", "price"), "hist_gradient_boosting"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("answers", "text", "model"), [r[1:] for r in DEFAULT_MODELS], ids=[r[0] for r in DEFAULT_MODELS]
)
def test_default_model_follows_the_data_and_an_explicit_model_wins(tmp_path, answers, text, model):
    """Without model=..., a data set whose inputs are mostly free text (row numbers and codes
    aside) gets linear and any other hist_gradient_boosting, with the plain cookiecutter CLI;
    a model given on the command line is kept."""
    if text is not None:
        answers = [*answers, "dataset=custom", f"custom_csv={write_csv(tmp_path, text)}", "target_column=bought"]
    cookiecutter = Path(sys.executable).parent / "cookiecutter"
    command = [str(cookiecutter), "--no-input", "--output-dir", str(tmp_path / "out"), str(TEMPLATE), *answers]
    done = run(command, tmp_path)
    assert done.returncode == 0, done.stderr
    (params,) = (tmp_path / "out").glob("*/params.yaml")
    assert f"  model: {model}\n" in params.read_text()


@pytest.mark.parametrize(
    ("columns", "model"),
    [
        (("review",), "linear"),
        (("row", "product", "review"), "linear"),
        (("review", "price"), "hist_gradient_boosting"),
        (("a", "b", "price"), "hist_gradient_boosting"),
        (("row", "product"), "hist_gradient_boosting"),
    ],
    ids=["text-only", "text-with-keys", "text-and-a-number", "numbers", "keys-only"],
)
def test_mostly_text_means_most_inputs_are_free_text(tmp_path, columns, model):
    """The rule, on its own: free text in more than half of the inputs (the target, row numbers
    and codes unique per row do not count) gives linear; half or less does not."""
    path = write_csv(tmp_path, table(*columns))
    answers = {"dataset": "custom", "custom_csv": path, "target_column": "bought", "_repo_dir": str(TEMPLATE)}
    assert default_model(answers) == model


def generated_module(name: str):
    """A module of the generated machinery, imported from the template checkout as it is."""
    machinery = TEMPLATE / "{{cookiecutter.project_slug}}" / "{{cookiecutter.package_name}}" / "machinery"
    if "template_machinery" not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            "template_machinery", machinery / "__init__.py", submodule_search_locations=[str(machinery)]
        )
        sys.modules[spec.name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[spec.name])
    return importlib.import_module(f"template_machinery.{name}")


def sample_columns() -> list[tuple[str, pd.Series]]:
    """Every kind of column table() makes, and the food_reviews sample's inputs."""
    made = pd.read_csv(io.StringIO(table("row", "product", "review", "price", "a", "b")))
    reviews = pd.read_csv(TEMPLATE / "sample_data" / "food_reviews.csv")
    ours = [(name, made[name]) for name in made.columns[:-1]]
    return ours + [(f"food_{name}", reviews[name]) for name in ("product", "review")]


@pytest.mark.parametrize(("name", "column"), sample_columns(), ids=[name for name, _ in sample_columns()])
def test_the_bake_tells_text_and_keys_as_prepare_does(name, column):
    """The bake's reading of a column (free text? a key?), which picks the default model, is
    prepare's: the same rule, read by both from table_format.py."""
    kind, _ = generated_module("columns").guess_kind(column)
    values = [str(value) for value in column.dropna()]
    assert is_text(values, str(TEMPLATE)) == (kind == "text"), kind
    assert is_identifier(values, str(TEMPLATE)) == (kind == "identifier"), kind


def test_default_name_from_an_awkward_csv_file_name_is_a_valid_project(tmp_path):
    """Spaces, accents, a dash and a leading year in the CSV's file name: the plain
    cookiecutter CLI bakes a project whose slug and package are valid."""
    path = write_csv(tmp_path, "x,y\n" + ROWS, name="2024 – été.csv")
    cookiecutter = Path(sys.executable).parent / "cookiecutter"
    command = [str(cookiecutter), "--no-input", "--output-dir", str(tmp_path / "out"), str(TEMPLATE),
               "dataset=custom", f"custom_csv={path}", "target_column=y"]  # fmt: skip
    done = run(command, tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "data-2024-ete-classifier" / "data_2024_ete_classifier").is_dir()


@pytest.mark.parametrize(
    ("custom_csv", "task", "name"),
    [
        ("customers.csv", "classification", "Customers Classifier"),
        ("~/data/house_prices.v2.csv", "regression", "House Prices V2 Regressor"),
        ("C:\\Users\\me\\churn-2024.csv", "classification", "Churn 2024 Classifier"),
        ("/data/2024.csv", "regression", "Data 2024 Regressor"),
        ("", "classification", "Data Classifier"),
        ("customers.csv", "clustering", "Customers Model"),
        ("customer_churn_export_from_the_crm_2024.csv", "classification", "Customer Churn Classifier"),
        ("Kundenabwanderungsvorhersagedaten.csv", "regression", "Kundenabwanderungs Regressor"),
    ],
)
def test_default_name_of_a_custom_csv(custom_csv, task, name):
    """The file's name (not its folders, Windows paths too), the task's word; a name that
    starts with a letter, so its package name can be imported, and at most 28 characters long."""
    assert default_project_name({"dataset": "custom", "custom_csv": custom_csv, "task": task}) == name


def test_excel_style_csv_is_accepted_and_read_as_the_stages_read_it(cookies, tmp_path):
    """UTF-8 BOM, semicolons, decimal commas and CRLF line ends: the bake reads the file with
    the project's own reader, infers regression from the target, and copies it unchanged."""
    body = "".join(f"{i};{'ab'[i % 2]};{i / 3:.3f}".replace(".", ",") + "\r\n" for i in range(20))
    raw = tmp_path / "excel.csv"
    raw.write_bytes(("\ufeffsize;kind;price\r\n" + body).encode("utf-8"))
    project = bake_ok(cookies, {"dataset": "custom", "custom_csv": str(raw), "target_column": "price"})
    assert "task: regression\n" in (project / "params.yaml").read_text()
    assert (project / "data/raw/data.csv").read_bytes() == raw.read_bytes()


AWKWARD = {
    "project_name": "It's \"Quoted\" \\ back {{ '{{' }} brace",
    "author_name": 'O\'Brien "Bob" \\',
    "description": "Says 'hi', \"bye\", C:\\path and {{ '{{' }} x {{ '}}' }} here",
}


def test_awkward_text_is_carried_through_verbatim(cookies):
    """Quotes, backslashes and braces in free text land verbatim in TOML and the README."""
    project = bake_ok(cookies, AWKWARD)
    metadata = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    assert metadata["description"] == "Says 'hi', \"bye\", C:\\path and {{ x }} here"
    assert metadata["authors"] == [{"name": 'O\'Brien "Bob" \\'}]
    assert '# It\'s "Quoted" \\ back {{ brace' in (project / "README.md").read_text()
    assert project.name == "it-s-quoted-back-brace"
    assert run(["ruff", "check", "--no-cache", "."], project).returncode == 0


def test_local_remote_is_absolute_and_beside_the_project_by_default(tmp_path):
    answers = {"dvc_remote": "local", "dvc_remote_url": "", "project_slug": "demo",
               "_output_dir": str(tmp_path)}  # fmt: skip
    assert remote_url(answers) == str(tmp_path / "demo-dvc-storage")
    relative = remote_url(answers | {"dvc_remote_url": "../shared/store"})
    assert relative == str((tmp_path / "../shared/store").resolve())


def path_without(tool: str, tmp_path: Path) -> str:
    """A PATH holding git and the venv's Python tools except `tool`."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("git", "dvc"):
        if name != tool:
            (bin_dir / name).symlink_to(shutil.which(name))
    return str(bin_dir)


@pytest.mark.parametrize("missing", ["dvc", "git"])
def test_missing_tool_prints_the_exact_commands_to_run(cookies, capfd, tmp_path, monkeypatch, missing):
    """Without git or dvc the project is still generated, and the printed commands finish it."""
    full_path = os.environ["PATH"]
    monkeypatch.setenv("PATH", path_without(missing, tmp_path))
    project = bake_ok(cookies, {})
    out = capfd.readouterr().out
    assert f"{missing} not found on PATH" in out
    assert not (project / ".git").exists()

    commands = [line.strip() for line in out.splitlines() if line.startswith("  ")][1:]
    assert commands[0] == "git init --quiet --initial-branch=main"
    monkeypatch.setenv("PATH", full_path)
    for command in commands:
        if command.startswith("git") and "commit" in command:
            command = command.replace("git ", "git -c user.name=T -c user.email=t@localhost ", 1)
        assert run(shlex.split(command), project).returncode == 0, command
    assert git(project, "status", "--porcelain") == ""
    assert "data/raw/cars.csv.dvc" in git(project, "ls-files")


def test_missing_dvc_leaves_a_script_that_make_install_runs(cookies, capfd, tmp_path, monkeypatch):
    """Without dvc, the bake leaves finish-setup.sh (run by `make install`); with the tools on
    PATH and no git identity, it makes the same clean first commit and removes itself."""
    full_path = os.environ["PATH"]
    monkeypatch.setenv("PATH", path_without("dvc", tmp_path))
    project = bake_ok(cookies, {})
    assert "make install" in capfd.readouterr().out
    makefile = (project / "Makefile").read_text()
    assert "finish-setup.sh" in makefile.split("\ninstall:")[1].split("\n\n")[0]
    monkeypatch.setenv("PATH", full_path)
    done = run(["sh", "finish-setup.sh"], project)
    assert done.returncode == 0, done.stderr
    assert not (project / "finish-setup.sh").exists()
    assert git(project, "status", "--porcelain") == ""
    assert len(git(project, "log", "--oneline").splitlines()) == 1
    assert "data/raw/cars.csv.dvc" in git(project, "ls-files")


def test_bake_from_a_relative_template_path(tmp_path):
    """`cookiecutter .` from the template checkout works: the hooks find their helpers and data."""
    cookiecutter = Path(sys.executable).parent / "cookiecutter"
    command = [str(cookiecutter), "--no-input", "--output-dir", str(tmp_path), "."]
    done = run(command, TEMPLATE, env=os.environ | {"PWD": str(TEMPLATE)})
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "car-origin-classifier" / "data" / "raw" / "cars.csv.dvc").is_file()
