"""The template's own Python (hooks, tests, scripts) passes ruff, like the code it generates."""

import pytest

from .conftest import TEMPLATE, run


@pytest.mark.parametrize("command", [["ruff", "check"], ["ruff", "format", "--check"]])
def test_template_code_is_ruff_clean(command):
    done = run([*command, "--no-cache", "hooks", "tests", "scripts", "local_extensions.py"], TEMPLATE)
    assert done.returncode == 0, done.stdout + done.stderr
