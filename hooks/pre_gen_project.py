"""Reject a bake with bad answers before any file is written (cookiecutter removes the dir).

The rules live in hooks/answers.py, imported from the template checkout: `_repo_dir` is
relative to where cookiecutter started (`cookiecutter .`), while hooks run in the project.
"""

import json
import os
import sys
from pathlib import Path


def main() -> None:
    answers = json.loads(r"""{{ cookiecutter | tojson }}""")
    answers["_repo_dir"] = str(Path(os.environ.get("PWD") or os.getcwd()) / answers["_repo_dir"])
    sys.path.insert(0, str(Path(answers["_repo_dir"]) / "hooks"))
    from answers import pre_gen

    sys.exit(pre_gen(answers))


if __name__ == "__main__":
    main()
