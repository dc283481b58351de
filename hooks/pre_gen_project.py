"""Reject a bake with bad answers before any file is written (cookiecutter removes the dir)."""

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
    from answers import problems

    found = problems(context)
    if found:
        # The first problem only: later ones are often its echo (a bad slug makes a bad
        # package name), and one fix at a time keeps the message clear.
        print(found[0], file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
