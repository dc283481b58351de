"""Turn the rendered folder into a ready git + DVC repository with its data tracked.

The steps live in hooks/project_setup.py, imported from the template checkout (see
pre_gen_project.py for why `_repo_dir` is made absolute first).
"""

import json
import os
import sys
from pathlib import Path


def main() -> None:
    answers = json.loads(r"""{{ cookiecutter | tojson }}""")
    answers["_repo_dir"] = str(Path(os.environ.get("PWD") or os.getcwd()) / answers["_repo_dir"])
    sys.path.insert(0, str(Path(answers["_repo_dir"]) / "hooks"))
    from project_setup import post_gen

    sys.exit(post_gen(answers, Path.cwd()))


if __name__ == "__main__":
    main()
