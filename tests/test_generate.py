"""`generate`: the schools list, file names, one workbook per school, and the previous round."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetreview import layout
from sheetreview.errors import SchoolsFileError, SheetreviewError
from sheetreview.framework import builtin
from sheetreview.generate import (
    MAX_NAME_CHARS,
    MAX_URN_CHARS,
    generate_workbooks,
    read_previous,
    safe_stem,
    workbook_names,
)
from sheetreview.schools import School, read_schools
from sheetreview.workbook import PREVIOUS_EVIDENCE_HEADER, PREVIOUS_LEVEL_HEADER, Filled

WINDOWS_RESERVED = {"con", "prn", "aux", "nul"} | {
    f"{p}{i}" for p in ("com", "lpt") for i in range(10)
}


def write_csv(path: Path, text: str, bom: bool = False) -> Path:
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))
    return path


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    book.close()
    return path


# --- reading the schools file -----------------------------------------------------------------


def test_csv_with_bom_and_mixed_case_headers_is_read(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "s.csv",
        " URN ,Name,LA,Trust,Phase,extra\n100001,St Anne's,Kent,Oak,Primary,x\n100002,Hill High,,,Secondary,\n",
        bom=True,
    )
    assert read_schools(path).schools == [
        School("100001", "St Anne's", "Kent", "Oak", "Primary"),
        School("100002", "Hill High", "", "", "Secondary"),
    ]


def test_xlsx_with_numeric_urns_is_read(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "s.xlsx", [["urn", "name"], [100001, "A School"], [100002.0, "B"]])
    assert read_schools(path).schools == [School("100001", "A School"), School("100002", "B")]


def test_blank_rows_are_skipped(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "s.csv", "urn,name\n1,A\n,\n\n2,B\n")
    assert [s.urn for s in read_schools(path).schools] == ["1", "2"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("urn,title\n1,A\n", r"s\.csv, row 1: no column 'name'"),
        ("name\nA\n", r"row 1: no column 'urn'"),
        ("urn,name\n1,A\n2,B\n1,C\n", r"row 4: URN 1 is also on row 2"),
        ("urn,name\n1,A\n2,\n", r"row 3: the school name is empty"),
        ("urn,name\n1,A\n,B\n", r"row 3: the URN is empty"),
        ("", r"row 1: no header row"),
        ("urn,name\n", r"has a header but no schools"),
        ("urn,name,name\n1,A,A\n", r"row 1: the columns 'name' and 'name' both give"),
    ],
)
def test_bad_csv_is_refused_with_the_row_number(tmp_path: Path, text: str, message: str) -> None:
    path = write_csv(tmp_path / "s.csv", text)
    with pytest.raises(SchoolsFileError, match=message):
        read_schools(path)


def test_duplicate_urn_in_xlsx_names_the_spreadsheet_row(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "s.xlsx", [["URN", "Name"], [1, "A"], [None, None], [1, "B"]])
    with pytest.raises(SchoolsFileError, match=r"s\.xlsx, row 4: URN 1 is also on row 2"):
        read_schools(path)


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SchoolsFileError, match="does not exist"):
        read_schools(tmp_path / "nope.csv")


def test_file_that_is_neither_utf8_nor_windows_1252_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    # 0x81 is undefined in Windows-1252 and invalid as UTF-8.
    path.write_bytes(b"urn,name\n1,Ysgol G\x81n\n")
    with pytest.raises(SchoolsFileError, match="neither UTF-8 nor Windows-1252"):
        read_schools(path)


def test_damaged_xlsx_and_legacy_xls_are_refused(tmp_path: Path) -> None:
    damaged = tmp_path / "s.xlsx"
    damaged.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(SchoolsFileError, match="not a readable .xlsx"):
        read_schools(damaged)
    legacy = tmp_path / "s.xls"
    legacy.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(SchoolsFileError, match=r"\.xls files are not read"):
        read_schools(legacy)


def test_bad_schools_file_writes_nothing(tmp_path: Path) -> None:
    schools = write_csv(tmp_path / "s.csv", "urn,name\n1,A\n2,B\n3,\n")
    out = tmp_path / "out"
    with pytest.raises(SchoolsFileError, match="row 4"):
        generate_workbooks(builtin("becta-srf"), out, schools_file=schools)
    assert not out.exists() or list(out.iterdir()) == []


def test_cli_reports_a_bad_schools_file_in_one_line(tmp_path: Path) -> None:
    from sheetreview.cli import cli

    schools = write_csv(tmp_path / "s.csv", "urn,name\n1,A\n1,B\n")
    result = CliRunner().invoke(
        cli, ["generate", "becta-srf", "--schools", str(schools), "-o", str(tmp_path / "o")]
    )
    assert result.exit_code == 1
    assert "row 3: URN 1 is also on row 2" in result.output
    assert "Traceback" not in result.output


# --- file names -------------------------------------------------------------------------------


def test_file_names_are_urn_and_slug_of_name() -> None:
    schools = [
        School("100001", "St Anne's C of E (VA) Primary"),
        School("100002", "Ysgol Gymraeg Bro Môr"),
    ]
    assert workbook_names(schools) == [
        "100001-st-annes-c-of-e-va-primary.xlsx",
        "100002-ysgol-gymraeg-bro-mor.xlsx",
    ]


def test_file_names_avoid_reserved_names_and_collisions() -> None:
    schools = [School("CON", ""), School("con", "x"), School("a/b", "Q"), School("a:b", "q")]
    names = workbook_names([School(s.urn, s.name or "-") for s in schools])
    assert names[0] == "con-file.xlsx"
    assert names[2] == "a-b-q.xlsx" and names[3] == "a-b-q-2.xlsx"
    assert len({n.casefold() for n in names}) == len(names)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.text(min_size=1, max_size=40), st.text(min_size=1, max_size=300)),
        min_size=1,
        max_size=8,
    )
)
def test_any_schools_get_unique_names_safe_everywhere(pairs: list[tuple[str, str]]) -> None:
    names = workbook_names([School(u, n) for u, n in pairs])
    assert len({n.casefold() for n in names}) == len(names)
    for name in names:
        stem = name.removesuffix(".xlsx")
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", stem), name
        assert stem not in WINDOWS_RESERVED
        assert len(name) <= MAX_URN_CHARS + MAX_NAME_CHARS + 12


def test_safe_stem_caps_length() -> None:
    assert len(safe_stem("a" * 500)) == MAX_NAME_CHARS


# --- generating -------------------------------------------------------------------------------


def test_without_schools_one_blank_workbook_named_for_the_framework(tmp_path: Path) -> None:
    calls = []
    paths = generate_workbooks(
        builtin("pd-quality-mark"), tmp_path / "o", progress=lambda d, t: calls.append((d, t))
    )
    assert paths == [tmp_path / "o" / "pd-quality-mark.xlsx"]
    assert calls == [(1, 1)]
    ids = {
        r[0].value: r[1].value
        for r in openpyxl.load_workbook(paths[0])[layout.IDENTITY_SHEET].iter_rows()
    }
    assert ids["school_urn"] is None and ids["framework_id"] == "pd-quality-mark"


def test_one_personalised_workbook_per_school(tmp_path: Path) -> None:
    schools = write_csv(
        tmp_path / "s.csv", 'urn,name,la\n100001,"=HYPERLINK(""http://x"",""y"")",Kent\n100002,B,\n'
    )
    calls = []
    paths = generate_workbooks(
        builtin("becta-srf"),
        tmp_path / "o",
        schools_file=schools,
        round_label="2026-autumn",
        progress=lambda d, t: calls.append((d, t)),
    )
    assert [p.name for p in paths] == ["100001-hyperlink-http-x-y.xlsx", "100002-b.xlsx"]
    assert calls[-1] == (2, 2)
    wb = openpyxl.load_workbook(paths[0])
    ids = {r[0].value: r[1].value for r in wb[layout.IDENTITY_SHEET].iter_rows()}
    assert ids["school_urn"] == "100001"
    assert ids["school_name"] == '=HYPERLINK("http://x","y")'
    assert ids["round"] == "2026-autumn"
    start = {r[0].value: r[1].value for r in wb[layout.START_SHEET].iter_rows(max_col=2)}
    assert start[layout.START_FIELDS["la"]] == "Kent"


def test_many_schools_are_written_in_parallel_in_file_order(tmp_path: Path) -> None:
    rows = "".join(f"{100000 + i},School {i}\n" for i in range(70))
    schools = write_csv(tmp_path / "s.csv", "urn,name\n" + rows)
    calls = []
    paths = generate_workbooks(
        builtin("becta-srf"),
        tmp_path / "o",
        schools_file=schools,
        progress=lambda d, t: calls.append(d),
    )
    assert [p.name for p in paths] == [f"{100000 + i}-school-{i}.xlsx" for i in range(70)]
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == sorted(p.name for p in paths)
    assert calls[-1] == 70
    last = openpyxl.load_workbook(paths[-1])[layout.IDENTITY_SHEET]
    assert {r[0].value: r[1].value for r in last.iter_rows()}["school_name"] == "School 69"


def test_output_path_that_is_a_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(SheetreviewError, match="is a file"):
        generate_workbooks(builtin("becta-srf"), target)


# --- previous round ---------------------------------------------------------------------------


RESPONSE_COLUMNS = [
    "round", "framework", "framework_version", "school_urn", "school_name", "aspect_code",
    "aspect_title", "level", "level_rank", "level_count", "evidence", "next_steps",
    "source_file", "source_sheet", "source_cell",
]  # fmt: skip


def write_responses(out: Path, rows: list[dict[str, str]]) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    with (out / "responses.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, RESPONSE_COLUMNS, restval="")
        writer.writeheader()
        writer.writerows(rows)
    return out


def response(
    round_: str, urn: str, code: str, level: str, evidence: str = "", fw: str = "becta-srf"
):
    return {
        "round": round_,
        "framework": fw,
        "school_urn": urn,
        "aspect_code": code,
        "level": level,
        "evidence": evidence,
    }


def test_previous_levels_come_from_the_latest_earlier_round(tmp_path: Path) -> None:
    out = write_responses(
        tmp_path / "out",
        [
            response("2025-2", "1", "1a1", "Level 4", "old"),
            response("2025-10", "1", "1a1", "Level 3", "newer"),
            response("2026-1", "1", "1a1", "Level 1", "this round"),
            response("2025-10", "1", "1a1", "3", "other framework", fw="edtech-srf"),
            response("2025-10", "2", "1a2", "", "blank level"),
        ],
    )
    prev = read_previous(out, builtin("becta-srf"), "2026-1")
    assert prev == {
        "1": {"1a1": Filled("Level 3", "newer")},
        "2": {"1a2": Filled(None, "blank level")},
    }


def test_generate_with_previous_shows_it_locked_and_leaves_the_new_level_empty(
    tmp_path: Path,
) -> None:
    out = write_responses(
        tmp_path / "out", [response("2025", "100001", "1b2", "Level 2", "We did X")]
    )
    schools = write_csv(tmp_path / "s.csv", "urn,name\n100001,A\n100002,B\n")
    paths = generate_workbooks(
        builtin("becta-srf"),
        tmp_path / "o",
        schools_file=schools,
        round_label="2026",
        previous_out=out,
    )
    ws = openpyxl.load_workbook(paths[0])[layout.REVIEW_SHEET]
    header = {c.value: c.column for c in ws[3] if c.value}
    row = next(r[0].row for r in ws.iter_rows(max_col=1) if r[0].value == "1b2")
    assert ws.cell(row, header[PREVIOUS_LEVEL_HEADER]).value == "Level 2"
    assert ws.cell(row, header[PREVIOUS_EVIDENCE_HEADER]).value == "We did X"
    assert ws.cell(row, header[PREVIOUS_LEVEL_HEADER]).protection.locked
    assert ws.cell(row, header[layout.LEVEL_HEADER]).value is None
    other = openpyxl.load_workbook(paths[1])[layout.REVIEW_SHEET]
    assert PREVIOUS_LEVEL_HEADER in [c.value for c in other[3]]


def test_previous_without_responses_csv_is_refused(tmp_path: Path) -> None:
    schools = write_csv(tmp_path / "s.csv", "urn,name\n1,A\n")
    (tmp_path / "empty").mkdir()
    with pytest.raises(SheetreviewError, match="has no responses.csv"):
        generate_workbooks(
            builtin("becta-srf"),
            tmp_path / "o",
            schools_file=schools,
            previous_out=tmp_path / "empty",
        )
    assert not (tmp_path / "o").exists()


def test_previous_needs_a_schools_list(tmp_path: Path) -> None:
    with pytest.raises(SheetreviewError, match="needs --schools"):
        generate_workbooks(builtin("becta-srf"), tmp_path / "o", previous_out=tmp_path)
