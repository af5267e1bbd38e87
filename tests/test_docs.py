"""The README documents every command and option, and the package reads as a product.

Documentation that nothing checks drifts: a new option lands without a word in the README. Like
sqlite-utils' documentation test, this walks the click commands and looks for each in the README.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import click
import pytest

from sheetreview.cli import cli

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: str = "sheetreview") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in sorted(group.commands.items()):
        path = f"{prefix} {name}"
        found.append((path, command))
        if isinstance(command, click.Group):
            found += _commands(command, path)
    return found


COMMANDS = _commands(cli)


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS])
def test_every_command_is_in_the_readme(path: str) -> None:
    assert f"`{path}" in README, f"README has no `{path} ...`"


@pytest.mark.parametrize(
    ("path", "option"),
    [
        (path, opt)
        for path, command in [("sheetreview", cli), *COMMANDS]
        for param in command.params
        if isinstance(param, click.Option)
        for opt in param.opts + param.secondary_opts
        if opt.startswith("--") and opt != "--help"
    ],
)
def test_every_option_is_in_the_readme(path: str, option: str) -> None:
    assert re.search(rf"`{re.escape(option)}\b", README), f"README does not mention {path} {option}"


def _machine_paths() -> list[str]:
    """Where this checkout lives, its user's home and the temporary folder, on this machine."""
    places = {ROOT.parent, Path.home(), Path(tempfile.gettempdir())}
    return [
        re.escape(str(place).rstrip("/\\") + os.sep) for place in places if len(place.parts) > 1
    ]


def test_the_package_names_no_working_notes_or_machine_paths() -> None:
    """The repository is the product: no tracker numbers, spec references or local paths."""
    pattern = re.compile("|".join([r"\bSPEC\b", r"\bissues? #?\d+\b", *_machine_paths()]))
    files = [
        p for folder in ("src", "devtools", "scripts", "bench") for p in (ROOT / folder).rglob("*")
    ]
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sorted([*files, *ROOT.glob("*.md"), ROOT / "Makefile"])
        if path.suffix in {".py", ".yaml", ".md", ".typ", ".html", ".css", ".js", ""}
        and path.is_file()
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert not offenders, offenders


def test_under_make_test_a_missing_tool_fails_and_elsewhere_it_skips(monkeypatch) -> None:
    import conftest

    monkeypatch.setattr(conftest, "TOOLS_REQUIRED", True)
    with pytest.raises(pytest.fail.Exception, match="make test' installs it"):
        conftest.need(False, "Gnumeric")
    monkeypatch.setattr(conftest, "TOOLS_REQUIRED", False)
    with pytest.raises(pytest.skip.Exception, match="run 'make test'"):
        conftest.need(False, "Gnumeric")
    conftest.need(True, "Gnumeric")


def test_make_test_tells_the_suite_its_tools_are_installed() -> None:
    recipe = (ROOT / "Makefile").read_text(encoding="utf-8").split("\ntest:", 1)[1]
    assert "SHEETREVIEW_TOOLS_REQUIRED=1" in recipe.split("\n\n", 1)[0]
