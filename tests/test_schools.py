"""School lists as officers have them: a GIAS download, a hand-typed sheet, an ODS file."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from click.testing import CliRunner
from conftest import needs

from devtools.office import have_libreoffice, libreoffice_convert
from sheetreview.cli import cli
from sheetreview.errors import SchoolsFileError
from sheetreview.schools import School, read_schools

# The columns of a GIAS establishment export around the ones that matter, and ~120 more.
GIAS_FIRST = [
    "URN", "LA (code)", "LA (name)", "EstablishmentNumber", "EstablishmentName",
    "TypeOfEstablishment (name)", "EstablishmentTypeGroup (name)", "EstablishmentStatus (name)",
    "ReasonEstablishmentOpened (name)", "OpenDate", "PhaseOfEducation (name)",
    "StatutoryLowAge", "StatutoryHighAge", "Trusts (code)", "Trusts (name)",
]  # fmt: skip
GIAS_COLUMNS = GIAS_FIRST + [f"ExtraColumn{i} (name)" for i in range(110)]

GIAS_ROWS = [
    # urn, la, name, status, phase, trust
    ("100001", "Camden", "St Anne\u2019s C of E Primary School", "Open", "Primary", ""),
    ("100002", "Camden", "Ysgol Gymraeg Gwenllïan", "Open", "Primary", "Dragon Trust"),
    ("100003", "Kent", "Old Mill School", "Closed", "Secondary", ""),
    ("100004", "Kent", "Notre-Dame High, Élan Academy", "Open, but proposed to close", "", ""),
    ("100005", "Kent", "St. John's R.C. Infants'", "Open", "Primary", "O'Brien Trust"),
    ("100006", "Leeds", "Gone Closed Academy", "Closed", "Primary", ""),
]


def gias_csv(path: Path) -> Path:
    """A GIAS-shaped export, as downloaded: Windows-1252 bytes, every field quoted, CRLF."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(GIAS_COLUMNS)
    for urn, la, name, status, phase, trust in GIAS_ROWS:
        row = dict.fromkeys(GIAS_COLUMNS, "")
        row.update(
            {
                "URN": urn,
                "LA (code)": "202",
                "LA (name)": la,
                "EstablishmentName": name,
                "EstablishmentStatus (name)": status,
                "PhaseOfEducation (name)": phase,
                "Trusts (name)": trust,
                "OpenDate": "01-09-1990",
            }
        )
        row.update({c: f"x{urn}" for c in GIAS_COLUMNS[15:]})
        writer.writerow(row.values())
    data = buf.getvalue().encode("cp1252")
    assert b"\x92" in data and b"\xef" in data  # a curly apostrophe and an accent, as 1252 bytes
    path.write_bytes(data)
    return path


def test_gias_export_in_windows_1252_is_read_as_downloaded(tmp_path: Path) -> None:
    schools = read_schools(gias_csv(tmp_path / "edubasealldata.csv"))
    assert schools.schools == [
        School("100001", "St Anne\u2019s C of E Primary School", "Camden", "", "Primary"),
        School("100002", "Ysgol Gymraeg Gwenllïan", "Camden", "Dragon Trust", "Primary"),
        School("100004", "Notre-Dame High, Élan Academy", "Kent", "", ""),
        School("100005", "St. John's R.C. Infants'", "Kent", "O'Brien Trust", "Primary"),
    ]
    assert schools.encoding == "Windows-1252"
    assert schools.closed == 2
    notes = " ".join(schools.notes())
    assert "read as Windows-1252" in notes
    assert "left out 2 closed establishment(s)" in notes


def test_generate_from_a_gias_download_says_how_it_read_it(tmp_path: Path) -> None:
    gias = gias_csv(tmp_path / "gias.csv")
    out = tmp_path / "workbooks"
    result = CliRunner().invoke(
        cli, ["generate", "becta-srf", "--schools", str(gias), "-o", str(out), "-q"]
    )
    assert result.exit_code == 0, result.output
    assert "read as Windows-1252" in result.output
    assert "left out 2 closed establishment(s)" in result.output
    names = sorted(p.name for p in out.glob("*.xlsx"))
    assert len(names) == 4
    assert names[0].startswith("100001-st-annes")
    book = openpyxl.load_workbook(out / names[1])
    props = {p.name: p.value for p in book.custom_doc_props.props}
    assert "Ysgol Gymraeg Gwenllïan" in props.values()


def test_utf8_with_and_without_bom_is_read_as_utf8(tmp_path: Path) -> None:
    text = "School URN,School Name\n1,Zoë's School\n"
    for bom in (b"", b"\xef\xbb\xbf"):
        path = tmp_path / "s.csv"
        path.write_bytes(bom + text.encode("utf-8"))
        schools = read_schools(path)
        assert schools.schools == [School("1", "Zoë's School")]
        assert schools.encoding == "UTF-8"
        assert schools.notes() == []


def test_excel_unicode_text_and_semicolons_are_read(tmp_path: Path) -> None:
    utf16 = tmp_path / "unicode.txt"
    utf16.write_bytes("URN\tSchool\r\n7\tŁódź School\r\n".encode("utf-16"))
    assert read_schools(utf16).schools == [School("7", "Łódź School")]
    semi = tmp_path / "semi.csv"
    semi.write_text("urn;name;la\n8;Hill, The;Kent\n", encoding="utf-8")
    assert read_schools(semi).schools == [School("8", "Hill, The", "Kent")]


def natural_rows() -> list[list[object]]:
    return [
        ["School URN", " School Name ", "Local Authority", "MAT", "Phase", "Head teacher"],
        [100001, "St Anne's", "Kent", "Oak Trust", "Primary", "Ms A"],
        [100002.0, "Hill High", "", "", "Secondary", "Mr B"],
    ]


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Schools")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    book.close()
    return path


NATURAL = [
    School("100001", "St Anne's", "Kent", "Oak Trust", "Primary"),
    School("100002", "Hill High", "", "", "Secondary"),
]


def test_xlsx_list_with_natural_headers_is_read(tmp_path: Path) -> None:
    assert read_schools(write_xlsx(tmp_path / "list.xlsx", natural_rows())).schools == NATURAL


@pytest.mark.office
@needs(have_libreoffice(), "LibreOffice")
def test_ods_list_saved_by_libreoffice_is_read(tmp_path: Path) -> None:
    xlsx = write_xlsx(tmp_path / "list.xlsx", natural_rows())
    ods = libreoffice_convert(xlsx, tmp_path / "ods", "ods")
    assert ods.suffix == ".ods"
    assert read_schools(ods).schools == NATURAL


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "URN,School name,EstablishmentName\n1,A,A\n",
            r"s\.csv, row 1: the columns 'School name' and 'EstablishmentName' both give the "
            r"school's name; delete or rename one of them",
        ),
        ("urn,name\n1,A\n,B\n", r"s\.csv, row 3: the URN is empty; give every school its URN"),
        (
            "urn,name\n1,A\n2,B\n1,C\n",
            r"s\.csv, row 4: URN 1 is also on row 2; each school must appear once",
        ),
        (
            "Code,Title\n1,A\n",
            r"row 1: no column 'urn' or 'name' \(columns found: 'Code', 'Title'\)",
        ),
    ],
)
def test_a_list_that_cannot_be_used_is_refused_in_one_line(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "s.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SchoolsFileError, match=message):
        read_schools(path)
    result = CliRunner().invoke(
        cli, ["generate", "becta-srf", "--schools", str(path), "-o", str(tmp_path / "o")]
    )
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists() or not list((tmp_path / "o").iterdir())


def test_a_gias_list_with_only_closed_schools_says_so(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("URN,EstablishmentName,EstablishmentStatus (name)\n1,A,Closed\n", "utf-8")
    with pytest.raises(SchoolsFileError, match=r"no schools \(1 closed establishments left out\)"):
        read_schools(path)
