"""Fast tier: the generated README is a short front page, its More list links every docs/
page, and every relative link in the README and the pages lands on a file (and a heading)
of the baked project."""

import re
from pathlib import Path

import pytest

from .conftest import Combo, bake_ok

# Each value of every answer the pages' `{% if %}` blocks test, in three bakes.
COMBOS = [
    Combo("cars", "classification", "random_forest", "local", "github"),
    Combo("diabetes", "regression", "linear", "s3", "gitlab"),
    Combo("custom", "classification", "hist_gradient_boosting", "none", "none"),
]
FRONT_PAGE_LINES = 200
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:")


def prose(page: Path) -> str:
    """A page without its code blocks and code spans, where brackets are not links."""
    return CODE_SPAN.sub("", FENCE.sub("", page.read_text()))


def anchors(page: Path) -> set[str]:
    """The ids GitHub gives a page's headings: lower case, punctuation dropped, spaces as hyphens."""
    headings = re.findall(r"^#{1,6} (.+)$", FENCE.sub("", page.read_text()), flags=re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-") for heading in headings}


def broken_links(project: Path, page: Path) -> list[str]:
    broken = []
    for target in LINK.findall(prose(page)):
        if SCHEME.match(target):
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path if path else page).resolve()
        if not linked.is_relative_to(project.resolve()) or not linked.is_file():
            broken.append(f"{target} (no such file)")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            broken.append(f"{target} (no such heading)")
    return broken


@pytest.mark.parametrize("combo", COMBOS, ids=[c.id for c in COMBOS])
def test_front_page_is_short_and_every_link_resolves(cookies, combo):
    project = bake_ok(cookies, combo.context())
    readme = project / "README.md"
    pages = sorted((project / "docs").glob("*.md"))
    assert len(readme.read_text().splitlines()) <= FRONT_PAGE_LINES
    linked = {(project / target.partition("#")[0]).resolve() for target in LINK.findall(prose(readme))}
    assert [page.name for page in pages if page.resolve() not in linked] == [], "pages missing from More"
    broken = {page.name: broken_links(project, page) for page in [readme, *pages]}
    assert {name: links for name, links in broken.items() if links} == {}
