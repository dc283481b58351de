"""Turn the rendered folder into a ready git + DVC repository with its data tracked."""

import json
import sys
from pathlib import Path


def read_answers() -> dict:
    return json.loads(r"""{{ cookiecutter | tojson }}""")


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
