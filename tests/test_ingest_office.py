"""Returns saved again by real spreadsheet programs, as schools do, still read the same.

LibreOffice turns the very hidden Identity sheet into a hidden one and rewrites every part;
Gnumeric makes the Identity sheet visible. One LibreOffice start per format converts every
framework's return at once (a start costs about 2 s).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from conftest import libreoffice_many, make_return, rewrite_zip
from python_calamine import CalamineWorkbook, SheetVisibleEnum

from devtools import office
from sheetreview import layout
from sheetreview.framework import builtin_ids
from sheetreview.read.ingest import ingest

pytestmark = pytest.mark.office


def judgements(out: Path) -> dict[str, list[tuple[str, ...]]]:
    """Per source file stem: (aspect, level, rank, evidence, next steps) in order."""
    found: dict[str, list[tuple[str, ...]]] = {}
    with open(out / "responses.csv", newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            key = Path(r["source_file"]).stem
            row = (r["aspect_code"], r["level"], r["level_rank"], r["evidence"], r["next_steps"])
            found.setdefault(key, []).append(row)
    return found


def statuses(out: Path) -> dict[str, str]:
    with open(out / "files.csv", newline="", encoding="utf-8") as fh:
        return {r["file"]: r["status"] for r in csv.DictReader(fh)}


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each framework's return as generated, and as saved by LibreOffice (.xlsx, .ods) and
    Gnumeric (.xlsx), each set in its own folder."""
    root = tmp_path_factory.mktemp("office")
    originals = [
        make_return(root / "original" / f"{fid}.xlsx", fid, urn=f"10000{i}", name=f"School {i}")
        for i, fid in enumerate(builtin_ids())
    ]
    libreoffice_many(originals, root / "lo-xlsx", "xlsx")
    libreoffice_many(originals, root / "lo-ods", "ods")
    for src in originals:
        office.gnumeric_convert(src, root / "gnumeric" / src.name)
    return {name: root / name for name in ("original", "lo-xlsx", "lo-ods", "gnumeric")}


@pytest.mark.parametrize("program", ["lo-xlsx", "lo-ods", "gnumeric"])
def test_resaved_returns_give_the_same_judgements(
    saved: dict[str, Path], program: str, tmp_path: Path
) -> None:
    ingest(saved["original"], tmp_path / "original")
    ingest(saved[program], tmp_path / program)
    assert set(statuses(tmp_path / program).values()) == {"accepted"}
    assert judgements(tmp_path / program) == judgements(tmp_path / "original")


def test_gnumeric_makes_the_identity_sheet_visible_and_it_is_still_read(
    saved: dict[str, Path], tmp_path: Path
) -> None:
    path = saved["gnumeric"] / "edtech-srf.xlsx"
    meta = {m.name: m.visible for m in CalamineWorkbook.from_path(str(path)).sheets_metadata}
    assert meta[layout.IDENTITY_SHEET] == SheetVisibleEnum.Visible
    folder = tmp_path / "returns"
    folder.mkdir()
    # Without the properties, the (now visible) Identity sheet is what identifies the return.
    rewrite_zip(path, folder / "edtech-srf.xlsx", {"docProps/custom.xml": None})
    out = tmp_path / "out"
    ingest(folder, out)
    assert statuses(out) == {"edtech-srf.xlsx": "accepted"}
    assert len(judgements(out)["edtech-srf"]) == 21


def test_libreoffice_keeps_the_identity_sheet_hidden(saved: dict[str, Path]) -> None:
    path = saved["lo-xlsx"] / "becta-srf.xlsx"
    meta = {m.name: m.visible for m in CalamineWorkbook.from_path(str(path)).sheets_metadata}
    assert meta[layout.IDENTITY_SHEET] == SheetVisibleEnum.Hidden
