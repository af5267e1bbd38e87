"""A moderation workbook saved by LibreOffice, as a moderator using it would, is still read as a
moderation: its identity, dropdown and protection survive the round trip."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest
from conftest import make_return, needs

from devtools.office import have_libreoffice, libreoffice_convert
from sheetreview import layout
from sheetreview.framework import builtin
from sheetreview.moderate.workbook import Judged, write_moderation_workbook
from sheetreview.read.ingest import ingest
from sheetreview.schools import School

pytestmark = [
    pytest.mark.office,
    needs(have_libreoffice(), "LibreOffice"),
]


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("to", ["xlsx", "ods"])
def test_a_moderation_saved_by_libreoffice_is_still_a_moderation(tmp_path, to):
    fw = builtin("edtech-srf")
    folder = tmp_path / "returns"
    make_return(folder / "school.xlsx", urn="100001", name="Ash Primary")
    made = write_moderation_workbook(
        fw, tmp_path / "made" / "moderation.xlsx", school=School("100001", "Ash Primary"),
        round_label="2026-autumn", judged={"1a-1": Judged("3", "Evidence", "Next")},
        moderated={"1a-1": ("2", "Seen on the visit."), "1a-2": ("4", "")},
    )  # fmt: skip
    saved = libreoffice_convert(made, folder / "moderation", to)
    if to == "xlsx":
        book = openpyxl.load_workbook(saved)
        sheet = book[layout.MODERATION_SHEET]
        assert sheet.protection.sheet
        assert sheet.data_validations.dataValidation  # the dropdown survived
    out = tmp_path / "out"
    ingest(folder, out, jobs=1)
    files = {f["file"]: f for f in rows(out / "files.csv")}
    assert files[f"moderation/{saved.name}"]["status"] == "accepted"
    assert files["school.xlsx"]["status"] != "superseded"
    got = [
        (m["aspect_code"], m["moderated_level"], m["comment"])
        for m in rows(out / "moderations.csv")
    ]
    assert got == [("1a-1", "2", "Seen on the visit."), ("1a-2", "4", "")]
    assert not any(r["source_file"].startswith("moderation/") for r in rows(out / "responses.csv"))
