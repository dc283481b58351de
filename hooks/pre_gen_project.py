"""Reject a bake with bad answers before any file is written (cookiecutter removes the dir)."""

import json
import sys
from pathlib import Path


def read_answers() -> dict:
    return json.loads(r"""{{ cookiecutter | tojson }}""")


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
