"""Finish a freshly rendered project: CI files, data, git, DVC, first commit.

Imported by the post-generation hook (standard library only) and by the template's tests.
When git or dvc is not on PATH the project is still generated, and the exact commands to
run afterwards are printed instead. When cruft renders the template only to compare two of
its versions (`cruft update`, `cruft diff`), the data, git and DVC steps are skipped.
"""

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from answers import remote_url, source_csv

CI_FILES = {"github": ".github", "gitlab": ".gitlab-ci.yml"}
# Written when git or dvc is missing at bake time; `make install` runs it (and it removes itself).
FINISH_SCRIPT = "finish-setup.sh"
REMOTE_NAME = "storage"
COMMIT_MESSAGE = "Initial project from cookiecutter-dvc-mlflow"
# `cruft update` and `cruft diff` clone the template to <tmp>/repo and render it into folders
# beside the clone (cruft/_commands/update.py and diff.py), then diff those renders.
CRUFT_CLONE = "repo"
CRUFT_RENDER_FOLDERS = ("current_template", "new_template", "remote")


class SetupError(RuntimeError):
    """A git or dvc command failed while setting the project up."""


def remove_unselected_ci(project: Path, ci: str) -> None:
    for name, path in CI_FILES.items():
        if name != ci:
            target = project / path
            if target.is_dir():
                shutil.rmtree(target)
            else:
                target.unlink(missing_ok=True)


def copy_dataset(project: Path, source: Path, raw_csv: str) -> Path:
    destination = project / raw_csv
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, destination)
    return destination


def fallback_identity(answers: dict) -> tuple[str, str]:
    """The (name, email) the first commit uses when git has no identity configured."""
    return answers["author_name"], f"{answers['package_name']}@localhost"


def git_identity_args(project: Path, answers: dict) -> list[str]:
    """`-c user.*` options when git has no identity configured, so the first commit works."""
    configured = subprocess.run(
        ["git", "config", "user.email"], cwd=project, capture_output=True, text=True, check=False
    )
    if configured.stdout.strip():
        return []
    name, email = fallback_identity(answers)
    return ["-c", f"user.name={name}", "-c", f"user.email={email}"]


def dvc_commands(answers: dict) -> list[list[str]]:
    """DVC set-up in order: init, autostage, the remote, then tracking the raw data."""
    commands = [["dvc", "init", "--quiet"], ["dvc", "config", "core.autostage", "true"]]
    if answers["dvc_remote"] != "none":
        commands.append(["dvc", "remote", "add", "--default", REMOTE_NAME, remote_url(answers)])
    endpoint = answers["s3_endpoint_url"].strip()
    if answers["dvc_remote"] == "s3" and endpoint:
        commands.append(["dvc", "remote", "modify", REMOTE_NAME, "endpointurl", endpoint])
    commands.append(["dvc", "add", "--quiet", answers["__raw_csv"]])
    return commands


def setup_commands(answers: dict, identity: list[str]) -> list[list[str]]:
    """Every command that turns the rendered folder into a git + DVC repository.

    With a remote, DVC's git hooks go in last: `git push` then runs `dvc push`, so the
    remote always has the data the pushed commits point to.
    """
    commands = [
        ["git", "init", "--quiet", "--initial-branch=main"],
        *dvc_commands(answers),
        ["git", "add", "--all"],
        ["git", *identity, "commit", "--quiet", "-m", COMMIT_MESSAGE],
    ]
    if answers["dvc_remote"] != "none":
        commands.append(["dvc", "install"])
    return commands


def run(command: list[str], project: Path) -> None:
    done = subprocess.run(command, cwd=project, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        reason = detail[-1] if detail else f"exit status {done.returncode}"
        raise SetupError(f"`{shlex.join(command)}` failed: {reason}")


def missing_tools() -> list[str]:
    return [tool for tool in ("git", "dvc") if shutil.which(tool) is None]


def finish_script(answers: dict, commands: list[list[str]]) -> str:
    """A shell script that runs `commands` once the tools exist, then deletes itself.

    Git may have no identity yet: the first commit then uses the author's name and a local
    address, as the hook itself does.
    """
    name, email = fallback_identity(answers)
    return "\n".join(
        [
            "#!/bin/sh",
            "# Finishes the git + DVC set-up that the bake could not do; `make install` runs it.",
            "set -eu",
            'cd "$(dirname "$0")"',
            'if [ -z "$(git config user.email || true)" ]; then',
            f"  export GIT_AUTHOR_NAME={shlex.quote(name)} GIT_AUTHOR_EMAIL={shlex.quote(email)}",
            '  export GIT_COMMITTER_NAME="$GIT_AUTHOR_NAME" GIT_COMMITTER_EMAIL="$GIT_AUTHOR_EMAIL"',
            "fi",
            *(shlex.join(command) for command in commands),
            f"rm -f {FINISH_SCRIPT}",
            "",
        ]
    )


def manual_steps(project: Path, missing: list[str], commands: list[list[str]]) -> str:
    lines = [
        f"NOTE: {' and '.join(missing)} not found on PATH, so {project.name} is not a git + DVC repository yet.",
        f"`make install` finishes it (it installs DVC in the project's .venv, then runs {FINISH_SCRIPT}):",
        f"  cd {shlex.quote(str(project))} && make install && make repro",
        "Or, with git and dvc installed, run these commands yourself:",
        *(f"  {shlex.join(command)}" for command in commands),
    ]
    return "\n".join(lines)


def cruft_comparison_render(answers: dict) -> bool:
    """True when cruft renders the project only to diff two template versions.

    Such a render must hold only the template's files: a repository, DVC's cache and config
    (with a remote beside a temporary folder) or the data would turn up in cruft's patch. cruft
    sets `_commit`; cookiecutter does not. `cruft create` clones into a bare temporary folder.
    """
    if "_commit" not in answers:
        return False
    checkout = Path(answers["_repo_dir"])
    clone = next((folder for folder in (checkout, *checkout.parents) if folder.name == CRUFT_CLONE), None)
    return clone is not None and any((clone.parent / name).is_dir() for name in CRUFT_RENDER_FOLDERS)


def finish(answers: dict, project: Path) -> str:
    """Run every post-generation step; returns the message to show the user."""
    remove_unselected_ci(project, answers["ci"])
    if cruft_comparison_render(answers):
        return f"Rendered {project.name} for cruft to compare; no data, git or DVC set-up."
    copy_dataset(project, source_csv(answers), answers["__raw_csv"])
    missing = missing_tools()
    if missing:
        commands = setup_commands(answers, [])
        (project / FINISH_SCRIPT).write_text(finish_script(answers, commands), encoding="utf-8")
        return manual_steps(project, missing, commands)
    for command in setup_commands(answers, git_identity_args(project, answers)):
        run(command, project)
    return (
        f"Created {project.name}: a git + DVC repository with {answers['__raw_csv']} tracked.\n"
        f"Next: cd {shlex.quote(str(project))} && make install && make repro"
    )


def post_gen(answers: dict, project: Path) -> int:
    """The post-generation hook: finish the project; the exit status."""
    try:
        print(finish(answers, project))
    except (SetupError, OSError) as error:
        print(f"ERROR: setup: {error}", file=sys.stderr)
        return 1
    return 0
