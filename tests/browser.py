"""Headless Chromium for the tests that look at a page as a person would.

Playwright drives Debian's `chromium` (`.ci/run` installs it; Playwright's own browser
download is never used), so a test sees what a person would: the page after its scripts
ran, every console error, failed request and uncaught exception, and a screenshot kept
as a test artifact. Without chromium these tests skip, saying what to install.
"""

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest

# A root user in a sandbox with no network: no sandbox, no GPU, none of the background
# connections that a closed network refuses by the dozen.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]  # fmt: skip


@dataclass
class Troubles:
    """What went wrong on a page: console errors, failed requests, uncaught exceptions."""

    lines: list[str] = field(default_factory=list)


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("no chromium on PATH: `apt-get install chromium` (.ci/run does)")
    return found


@contextmanager
def browser_page(width: int = 1400, height: int = 1000) -> Iterator[tuple[object, Troubles]]:
    """A fresh page in headless Chromium, and the troubles it records while open."""
    from playwright.sync_api import sync_playwright

    troubles = Troubles()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.on("console", lambda m: m.type == "error" and troubles.lines.append(f"console: {m.text}"))
            page.on("pageerror", lambda error: troubles.lines.append(f"uncaught: {error}"))
            page.on("requestfailed", lambda request: troubles.lines.append(f"failed: {request.url}"))
            yield page, troubles
        finally:
            browser.close()


def wait_until(page, check: Callable[[], bool], seconds: float = 60) -> bool:
    """Poll `check` on a live page until it holds or `seconds` pass; whether it held."""
    for _ in range(int(seconds * 4)):
        if check():
            return True
        page.wait_for_timeout(250)
    return check()
