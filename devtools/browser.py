"""Headless Chromium for tests and pictures: Debian's `chromium`, driven by Playwright.

Playwright's own browser downloads are impossible here (and unwanted in CI), so it is pointed at
the system binary that `make test` installs with apt. axe-core comes from the axe-playwright-python
wheel, which ships axe.min.js: injected into a page, it finds what a screen-reader user would trip
over.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str | None:
    """Debian's Chromium, or the one named by SHEETREVIEW_CHROMIUM."""
    named = os.environ.get("SHEETREVIEW_CHROMIUM")
    if named:
        return named
    for candidate in ("/usr/bin/chromium", shutil.which("chromium") or ""):
        if candidate and Path(candidate).exists():
            return candidate
    return None


@contextmanager
def browser() -> Iterator[Any]:
    """A headless Chromium (Playwright Browser), closed on exit."""
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    if path is None:
        raise RuntimeError("chromium is not installed: run 'make test' (it installs it with apt)")
    with sync_playwright() as p:
        chrome = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chrome
        finally:
            chrome.close()


def axe_script() -> str:
    """axe-core's source, as shipped inside the axe-playwright-python wheel."""
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


def axe_violations(page: Any, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict]:
    """axe-core's violations on the page, of the given impacts, each with the nodes it found."""
    page.add_script_tag(content=axe_script())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v.get("impact") in impacts]


def screenshot(html: Path, png: Path, width: int = 1280, height: int = 900) -> Path:
    """The first screen of a page, as a reader opens it."""
    with browser() as chrome:
        page = chrome.new_page(viewport={"width": width, "height": height})
        page.goto(html.resolve().as_uri())
        page.screenshot(path=str(png))
    return png
