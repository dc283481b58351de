"""Turn the rendered folder into a ready git + DVC repository with its data tracked."""

import json
import os
import sys
from pathlib import Path


def read_answers() -> dict:
    """The answers, with `_repo_dir` made absolute: `cookiecutter .` passes it relative to
    the directory cookiecutter started in, while this hook runs inside the new project."""
    answers = json.loads(r"""{{ cookiecutter | tojson }}""")
    started_in = Path(os.environ.get("PWD") or os.getcwd())
    answers["_repo_dir"] = str(started_in / answers["_repo_dir"])
    return answers


def main() -> None:
    context = read_answers()
    sys.path.insert(0, str(Path(context["_repo_dir"]) / "hooks"))
    from project_setup import SetupError, finish

    try:
        print(finish(context, Path.cwd()))
    except (SetupError, OSError) as error:
        print(f"ERROR: setup: {error}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
