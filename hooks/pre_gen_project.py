"""Reject a bake with bad answers before any file is written (cookiecutter removes the dir).

The rules live in hooks/answers.py, imported from the template checkout. cookiecutter gives
it as `_repo_dir`, relative to where cookiecutter started (`cookiecutter .`), while hooks run
in the project. cruft (`cruft create`, and the renders `cruft update` compares) gives no
`_repo_dir`; like cookiecutter it runs every hook from inside the checkout, so the checkout
is the working directory of the process running the hook.
"""

import json
import os
import subprocess
import sys
from pathlib import Path


def parent_cwd() -> Path | None:
    """The working directory of the process running this hook (Linux, else `lsof`)."""
    proc = Path(f"/proc/{os.getppid()}/cwd")
    if proc.exists():
        return proc.resolve()
    try:
        done = subprocess.run(
            ["lsof", "-a", "-p", str(os.getppid()), "-d", "cwd", "-Fn"],
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return None
    return next((Path(line[1:]) for line in done.stdout.splitlines() if line.startswith("n/")), None)


def template_checkout(answers: dict) -> Path | None:
    """The template checkout: `_repo_dir` under cookiecutter (relative to where it started);
    cruft passes no `_repo_dir`, but both run every hook from inside the checkout."""
    if "_repo_dir" in answers:
        return Path(os.environ.get("PWD") or os.getcwd()) / answers["_repo_dir"]
    return parent_cwd()


def main() -> None:
    answers = json.loads(r"""{{ cookiecutter | tojson }}""")
    checkout = template_checkout(answers)
    if checkout is None or not (checkout / "hooks" / "answers.py").is_file():
        print(f"ERROR: template: cannot find the template's checkout (found: {checkout})", file=sys.stderr)
        sys.exit(1)
    answers["_repo_dir"] = str(checkout)
    answers.setdefault("_output_dir", str(Path.cwd().parent))
    sys.path.insert(0, str(checkout / "hooks"))
    from answers import pre_gen

    sys.exit(pre_gen(answers))


if __name__ == "__main__":
    main()
