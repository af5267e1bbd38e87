"""Shared fixtures: filled returns made by the project's own generator, and ways to damage them.

Returns are written with `write_workbook(..., filled=...)`, exactly as a school's answers would
sit in the workbook, so the tests read what ingest meets in real life. Helpers that rewrite a
zip part let a test add one defect (a stray cell, a DOCTYPE, a lying size) to a good return.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import shutil
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from devtools.office import libreoffice_convert_many
from sheetreview.framework import builtin
from sheetreview.schools import School
from sheetreview.workbook import Filled, write_workbook

DATA = Path(__file__).parent / "data"

# `make test` installs LibreOffice, python3-uno, Gnumeric, Chromium and chattr before it runs the
# suite, and says so with this variable: there a missing tool is a failure, never a quiet skip.
TOOLS_REQUIRED = os.environ.get("SHEETREVIEW_TOOLS_REQUIRED") == "1"


def need(present: bool, what: str) -> None:
    """Go on when `what` is here; without it, fail under `make test` and skip elsewhere."""
    if present:
        return
    if TOOLS_REQUIRED:
        pytest.fail(f"{what} is missing, though 'make test' installs it")
    pytest.skip(f"{what} is not installed: run 'make test', which installs it")


def needs(present: bool, what: str) -> pytest.MarkDecorator:
    """`need` as a marker: skipped only outside `make test`, where the tool may be absent."""
    return pytest.mark.skipif(
        not present and not TOOLS_REQUIRED,
        reason=f"{what} is not installed: run 'make test', which installs it",
    )


# Spreadsheets no part of this project made (calamine's test files, MIT licence: see the folder's
# LICENSE-MIT.md): damaged, encrypted and hostile, from Excel, LibreOffice and other producers.
FOREIGN = DATA / "foreign"


def answers(framework_id: str, levels: Mapping[str, str | None] | None = None) -> dict[str, Filled]:
    """Every aspect answered: the given levels, else the levels in turn; short evidence."""
    fw = builtin(framework_id)
    out = {}
    for i, aspect in enumerate(fw.aspects):
        level = fw.levels[i % fw.level_count].label
        if levels is not None and aspect.code in levels:
            level = levels[aspect.code]  # type: ignore[assignment]
        out[aspect.code] = Filled(level, f"Evidence for {aspect.code}.", f"Next for {aspect.code}.")
    return out


def make_return(
    path: Path,
    framework_id: str = "edtech-srf",
    *,
    urn: str = "100001",
    name: str = "Ash Primary",
    round_label: str | None = "2026-autumn",
    levels: Mapping[str, str | None] | None = None,
    filled: Mapping[str, Filled] | None = None,
    date: dt.date | None = dt.date(2026, 3, 14),
) -> Path:
    """A school's filled return, written by the workbook generator."""
    fw = builtin(framework_id)
    school = School(urn, name) if urn or name else None
    return write_workbook(
        fw,
        path,
        school=school,
        round_label=round_label,
        filled=filled if filled is not None else answers(framework_id, levels),
        assessment_date=date,
    )


@pytest.fixture
def a_return(tmp_path: Path) -> Callable[..., Path]:
    """make_return into the test's folder: a_return("name.xlsx", urn=..., levels=...)."""

    def make(name: str = "return.xlsx", framework_id: str = "edtech-srf", **kw: object) -> Path:
        return make_return(tmp_path / name, framework_id, **kw)  # type: ignore[arg-type]

    return make


def rewrite_zip(
    src: Path, dst: Path, parts: Mapping[str, bytes | Callable[[bytes], bytes] | None]
) -> Path:
    """Copy a zip package, replacing parts (bytes or a function of the old bytes) or dropping
    them (None). A name not in the package is added."""
    with zipfile.ZipFile(src) as zin:
        infos = zin.infolist()
        bodies = {i.filename: zin.read(i) for i in infos}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in infos:
            change = parts.get(info.filename, bodies[info.filename])
            if change is None:
                continue
            body = change(bodies[info.filename]) if callable(change) else change
            zout.writestr(info, body, compress_type=zipfile.ZIP_DEFLATED)
        for name, body in parts.items():
            if name not in bodies and isinstance(body, bytes):
                zout.writestr(name, body)
    dst.write_bytes(out.getvalue())
    return dst


def sheet_part(path: Path, sheet: str) -> str:
    """The zip part of a named sheet in an xlsx written by xlsxwriter (sheets in order)."""
    from python_calamine import CalamineWorkbook

    names = CalamineWorkbook.from_path(str(path)).sheet_names
    return f"xl/worksheets/sheet{names.index(sheet) + 1}.xml"


def tree_hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def copy_data(name: str, folder: Path, as_name: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copyfile(DATA / name, folder / (as_name or name)))


# One start of LibreOffice for several files (a start costs about 2 s).
libreoffice_many = libreoffice_convert_many
