"""Maintained by the template (arrives with `cruft update`).

An offline page for `dvc plots show` and `dvc plots diff`.

DVC's default page loads vega, vega-lite and vega-embed from a CDN, so it is blank without
internet (or behind a locked-down proxy). This page has them inline instead, taken from the
vl-convert-python package in requirements.lock; .dvc/config.local points DVC at it
(`plots.html_template`, a file of this clone, so git ignores it). `make install` runs
`python -m {{ cookiecutter.package_name }} plots-template`, which writes it.
"""

import subprocess
import sys
from pathlib import Path

from .files import write_bytes_atomic

PAGE_TEMPLATE = Path(".dvc/plots-offline.html")
PAGE = """<!DOCTYPE html>
<html>
<head>
    <meta charset="utf-8">
    {refresh_tag}
    <title>DVC plots</title>
    <!-- vega, vega-lite and vega-embed, bundled by vl-convert-python (vl-convert %s) -->
    <script>
(() => {
%s
})();
    </script>
    <style>
        body { font-family: sans-serif; }
        body > div { display: inline-block; vertical-align: top; margin: 12px; }
    </style>
</head>
<body>
    {plot_divs}
</body>
</html>
"""


def javascript_bundle() -> tuple[str, str]:
    """(vega + vega-lite 5 + vega-embed as one script, vl-convert's version).

    Vega-Lite 5: the major version DVC's plot templates are written for.
    """
    from importlib.metadata import version

    import vl_convert

    fives = [v for v in vl_convert.get_vegalite_versions() if v.startswith("5.")]
    latest = max(fives, key=lambda v: tuple(int(part) for part in v.split(".")))
    return vl_convert.javascript_bundle(vl_version=latest), version("vl-convert-python")


def page_html(bundle: str, bundle_version: str) -> str:
    """The page template: DVC fills in {plot_divs}; {scripts}, its CDN tags, is left out."""
    if "</script" in bundle.lower():
        raise ValueError("the JavaScript bundle cannot be inlined: it contains </script")
    return PAGE % (bundle_version, bundle)


def write_page_template() -> Path:
    """Write the offline page template and point `dvc plots show` and `dvc plots diff` at it
    (`plots.html_template` in .dvc/config.local). Run in the project's root; safe to repeat:
    `make install` runs it."""
    if not PAGE_TEMPLATE.parent.is_dir():
        raise SystemExit(f"ERROR: no {PAGE_TEMPLATE.parent}/ here: run this in the project's root")
    try:
        bundle = javascript_bundle()
    except ImportError:
        raise SystemExit(
            "ERROR: vl-convert-python is not installed: pip install -r requirements.lock"
        ) from None
    write_bytes_atomic(PAGE_TEMPLATE, page_html(*bundle).encode("utf-8"))
    # DVC reads the path relative to .dvc/.
    setting = ["plots.html_template", PAGE_TEMPLATE.name]
    subprocess.run([sys.executable, "-m", "dvc", "config", "--local", *setting], check=True)
    return PAGE_TEMPLATE
