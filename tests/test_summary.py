"""summary.xlsx: its sheets, its colours, and text from returns kept as literal text."""

from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from test_benchmarks import judgements, write_out

from devtools import office
from sheetreview.report import summary
from sheetreview.report.build import build_report
from sheetreview.report.charts import level_colours

DANGEROUS = {
    "name": "=1+1",
    "evidence": '=HYPERLINK("http://evil.example","click")',
    "at": "@SUM(A1:A3)",
    "plus": "+44 20 7946 0000",
    "url": "http://example.com/evidence",
}


def cohort_rows() -> list[dict[str, str]]:
    schools = {
        ("0012345", DANGEROUS["name"]): {"1a-1": "4", "1a-2": "3", "1b-1": ""},
        ("100002", "Oakfield Academy"): {"1a-1": "2", "1a-2": "3", "1b-1": "1"},
        ("100003", DANGEROUS["url"]): {"1a-1": "1", "1a-2": "2", "1b-1": "3"},
    }
    evidence = {
        (DANGEROUS["name"], "1a-1"): DANGEROUS["evidence"],
        (DANGEROUS["name"], "1a-2"): DANGEROUS["at"],
        ("Oakfield Academy", "1a-1"): DANGEROUS["plus"],
    }
    rows = judgements("edtech-srf", "2026-autumn", schools, evidence)
    rows[1]["next_steps"] = "=SUM(1,2)"
    return rows


@pytest.fixture(scope="module")
def report_out(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("out")
    problem = dict(
        file="bad.xls", sheet="", cell="", code="legacy-xls", severity="error",
        message="bad.xls: =cmd|' /C calc'!A0 is an old Excel file",
    )  # fmt: skip
    rejected = dict(
        file="=bad.xls", sha256="1" * 64, bytes="10", status="rejected", framework="",
        school_urn="", school_name="", aspects_answered="", aspects_total="", problems="1",
        reason="legacy .xls",
    )  # fmt: skip
    write_out(out, cohort_rows(), extra_files=[rejected], problems=[problem])
    build_report(out, school_charts=False)
    return out


def sheet_xml(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as z:
        names = [n for n in z.namelist() if n.startswith("xl/") and n.endswith((".xml", ".rels"))]
        return {n: z.read(n).decode("utf-8") for n in names}


def test_workbook_holds_no_formula_at_all(report_out):
    parts = sheet_xml(report_out / "summary.xlsx")
    sheets = {n: x for n, x in parts.items() if n.startswith("xl/worksheets/sheet")}
    assert sheets
    for name, xml in sheets.items():
        assert "<f>" not in xml and "<f " not in xml, name


def test_text_from_returns_is_stored_as_literal_strings(report_out):
    xml = "".join(sheet_xml(report_out / "summary.xlsx").values())
    for text in (*DANGEROUS.values(), "=SUM(1,2)", "=bad.xls"):
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        assert f">{escaped}</t>" in xml, text


def test_no_link_leaves_the_workbook(report_out):
    parts = sheet_xml(report_out / "summary.xlsx")
    rels = "".join(x for n, x in parts.items() if n.endswith(".rels"))
    assert 'TargetMode="External"' not in rels
    assert "evil.example" not in rels and "example.com" not in rels


def test_cells_read_back_as_the_text_typed(report_out):
    wb = openpyxl.load_workbook(report_out / "summary.xlsx")
    matrix = wb["Matrix"]
    rows = {r[1].value: r for r in matrix.iter_rows(min_row=6) if r[1].value}
    assert rows["=1+1"][0].value == "0012345" and rows["=1+1"][0].data_type == "s"
    assert DANGEROUS["url"] in rows and rows[DANGEROUS["url"]][1].hyperlink is None
    evidence = {c.value for row in wb["Evidence"].iter_rows() for c in row}
    assert {DANGEROUS["evidence"], DANGEROUS["at"], DANGEROUS["plus"], "=SUM(1,2)"} <= evidence


def test_one_cohort_gets_the_sheets_a_reader_needs(report_out):
    wb = openpyxl.load_workbook(report_out / "summary.xlsx")
    assert wb.sheetnames == [
        "Overview", "Matrix", "Aspects", "Schools", "Evidence", "Data quality", "Problems",
    ]  # fmt: skip


def test_matrix_shows_level_labels_coloured_least_to_most_developed(report_out):
    ws = openpyxl.load_workbook(report_out / "summary.xlsx")["Matrix"]
    header = next(r for r in ws.iter_rows(values_only=True) if r[0] == "URN")
    col = header.index("1a-1")
    fills = {}
    for row in ws.iter_rows(min_row=6):
        if row[col].value:
            fills[row[col].value] = row[col].fill.fgColor.rgb[-6:].lower()
    colours = [c.lstrip("#") for c in level_colours(4)]
    # edtech-srf labels run 4 (least developed) to 1 (most): label "4" is rank 1's colour
    assert fills == {"4": colours[0], "2": colours[2], "1": colours[3]}
    assert ws.freeze_panes is not None and ws.auto_filter.ref


def test_schools_sheet_places_each_school_against_the_median(report_out):
    ws = openpyxl.load_workbook(report_out / "summary.xlsx")["Schools"]
    rows = list(ws.iter_rows(values_only=True))
    header = next(r for r in rows if r and r[0] == "URN")
    oak = next(r for r in rows if r[1] == "Oakfield Academy")
    # 1a-1 ranks 1, 3, 4: median 3, Oakfield (label 2 = rank 3) is at it
    assert oak[header.index("1a-1")] == 0
    assert oak[header.index("1b-1")] == 1  # ranks 4, 2: median 3, Oakfield 4 (label 1)
    assert ws.cell(row=rows.index(oak) + 1, column=header.index("1a-1") + 1).number_format == (
        '"above";"below";"at"'
    )


def test_aspects_sheet_has_a_native_percent_stacked_chart_in_level_order(report_out):
    parts = sheet_xml(report_out / "summary.xlsx")
    chart = next(x for n, x in parts.items() if n.startswith("xl/charts/chart"))
    assert '<c:grouping val="percentStacked"/>' in chart
    colours = re.findall(r'<c:spPr><a:solidFill><a:srgbClr val="([0-9A-F]{6})"', chart)
    assert colours[:4] == [c.lstrip("#").upper() for c in level_colours(4)]


def overview_cells(path: Path) -> list:
    ws = openpyxl.load_workbook(path)["Overview"]
    return [c for row in ws.iter_rows(values_only=True) for c in row if c is not None]


def test_overview_names_counts_and_weakest_aspects(report_out):
    cells = overview_cells(report_out / "summary.xlsx")
    assert "rejected" in cells and cells[cells.index("rejected") + 1] == 1
    assert "3 schools returned a review" in cells
    weakest = cells.index("Weakest aspects")
    # 1a-2: ranks 2, 2, 3 (median 2); 1a-1: 1, 3, 4 (median 3); 1b-1: 4, 2 (median 3)
    assert cells[cells.index("Code", weakest) + 5] == "1a-2"
    assert cells[cells.index("1a-2", weakest) + 2] == "3"  # median rank 2 is edtech-srf's label "3"


def test_overview_names_the_schools_that_most_need_support(report_out):
    cells = overview_cells(report_out / "summary.xlsx")
    start = cells.index("Schools that most need support")
    lowest = cells[cells.index("URN", start) + 5 :]
    # =1+1's ranks 1, 2 (mean 1.5) are the lowest: on edtech-srf's scale 4..1 that is 3.5
    assert lowest[:4] == ["0012345", "=1+1", 3.5, "1.5 levels below the cohort median"]


def test_nothing_a_reader_sees_speaks_of_level_rank(report_out):
    wb = openpyxl.load_workbook(report_out / "summary.xlsx")
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            for value in row:
                assert "level_rank" not in str(value), (ws.title, value)
                assert "rank)" not in str(value), (ws.title, value)


def test_overview_prints_landscape_a4_one_page_wide(report_out):
    xml = sheet_xml(report_out / "summary.xlsx")["xl/worksheets/sheet1.xml"]
    assert 'orientation="landscape"' in xml and 'paperSize="9"' in xml
    assert 'fitToWidth="1"' in xml or 'fitToHeight="0"' in xml


def test_blank_aspects_are_counted_from_the_schools_that_returned(tmp_path):
    rows = [r for r in cohort_rows() if r["level"]]  # ingest writes no row for a blank level
    build_report(write_out(tmp_path, rows), school_charts=False)
    ws = openpyxl.load_workbook(tmp_path / "summary.xlsx")["Aspects"]
    table = list(ws.iter_rows(values_only=True))
    header = next(r for r in table if r and r[0] == "Code")
    blank = {r[0]: r[header.index("Blank")] for r in table[table.index(header) + 1 :] if r[0]}
    assert blank["1b-1"] == 1 and blank["1a-1"] == 0
    assert blank["1c-1"] == 3  # no school answered it


def test_data_quality_starts_with_the_files_to_chase(report_out):
    ws = openpyxl.load_workbook(report_out / "summary.xlsx")["Data quality"]
    cells = [c for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    chase = cells.index("Files that need action: 1")
    assert cells[chase + 5 : chase + 7] == ["=bad.xls", "rejected"]
    assert chase < cells.index("sha256")
    header = next(r for r in ws.iter_rows(values_only=True) if r and r[0] == "file")
    assert header[1] == "status" and header[-1] in ("sha256", "bytes", "assessment_date")


def test_several_frameworks_each_get_their_own_sheets(tmp_path):
    rows = judgements("edtech-srf", "2026", {("1", "A"): {"1a-1": "4"}, ("2", "B"): {"1a-1": "1"}})
    rows += judgements("lp-steps", "2026", {("1", "A"): {"ORG": "Step 2 Develop"}})
    build_report(write_out(tmp_path, rows), school_charts=False)
    names = openpyxl.load_workbook(tmp_path / "summary.xlsx").sheetnames
    for kind in ("Matrix", "Aspects", "Schools"):
        assert f"{kind} EdTech SRF" in names and f"{kind} LP Steps" in names


def test_sheet_names_use_short_names_and_rounds_and_stay_unique(tmp_path):
    rows = []
    for fid, code, level in (
        ("pd-quality-mark", "LPD-V", "Developing"),
        ("lp-steps", "ORG", "Step 1 Aware"),
    ):
        for rnd in ("2025-autumn", "2026-autumn", "2026/27 [a very long round label]"):
            rows += judgements(fid, rnd, {("1", "A"): {code: level}})
    build_report(write_out(tmp_path, rows), school_charts=False)
    names = openpyxl.load_workbook(tmp_path / "summary.xlsx").sheetnames
    assert "Aspects PD QM 2025-autumn" in names and "Schools LP Steps 2026-autumn" in names
    assert all(len(n) <= 31 and not re.search(r"[\[\]:*?/\\']", n) for n in names)
    assert len({n.lower() for n in names}) == len(names)
    numbered = [n for n in names if re.fullmatch(r"(Matrix|Aspects|Schools) \d+", n)]
    assert len(numbered) == 6  # the long round, in both frameworks; listed on the Overview
    cells = overview_cells(tmp_path / "summary.xlsx")
    assert all(n in cells for n in numbered)


def test_long_sheet_names_stay_valid_and_unique():
    used: set[str] = set()
    a = summary.sheet_name("Aspects", "pd-quality-mark 2026/27 [spring]", 1, used)
    b = summary.sheet_name("Aspects", "pd-quality-mark 2027/28 [spring]", 2, used)
    c = summary.sheet_name("Aspects", "PD QM 2026", 3, used)
    d = summary.sheet_name("aspects", "pd qm 2026", 4, used)
    assert len({a, b, c, d}) == 4 and all(len(n) <= 31 for n in (a, b, c, d))
    assert not re.search(r"[\[\]:*?/\\]", a + b)


def test_too_much_evidence_points_to_responses_csv(tmp_path, monkeypatch):
    monkeypatch.setattr(summary, "MAX_EVIDENCE_ROWS", 2)
    result = build_report(write_out(tmp_path, cohort_rows()), school_charts=False)
    ws = openpyxl.load_workbook(tmp_path / "summary.xlsx")["Evidence"]
    text = " ".join(str(c) for row in ws.iter_rows(values_only=True) for c in row if c)
    assert "responses.csv" in text
    assert any("responses.csv" in line for line in result.lines())


@pytest.mark.office
def test_libreoffice_opens_and_prints_the_summary(report_out, tmp_path):
    pdf = office.libreoffice_convert(report_out / "summary.xlsx", tmp_path, "pdf")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "Self-review summary" in text
    assert "=1+1" in text and "Level per school and aspect" in text


def test_two_rounds_add_progress_tables_sheet_and_charts(tmp_path):
    from test_benchmarks import ROUND_1, ROUND_2

    rows = judgements("edtech-srf", "2026", ROUND_1) + judgements("edtech-srf", "2027", ROUND_2)
    result = build_report(write_out(tmp_path, rows), school_charts=False, svg=True)
    for name in ("round_changes.csv", "school_changes.csv", "school_rounds.csv"):
        assert (tmp_path / name).exists(), name
    assert (tmp_path / "charts" / "rounds_medians_edtech-srf.png").exists()
    assert (tmp_path / "charts" / "rounds_schools_edtech-srf.svg").exists()
    wb = openpyxl.load_workbook(tmp_path / "summary.xlsx")
    assert "Progress" in wb.sheetnames and "Matrix 2026" in wb.sheetnames
    cells = [c for row in wb["Progress"].iter_rows(values_only=True) for c in row if c is not None]
    assert "From round 2026 to round 2027" in cells
    assert "Schools not in every round: 2" in cells
    a = cells.index("A")  # A moved up on 1a-1 only
    assert cells[a + 3 : a + 5] == ["1a-1", 1]
    assert any("2 school(s) not in every round" in line for line in result.lines())


def test_each_school_counts_the_aspects_above_at_and_below_as_its_cells_show(report_out):
    """The counts beside each school agree with the signs of its aspects' cells; an aspect not
    answered (a blank cell) is in none of them."""
    ws = openpyxl.load_workbook(report_out / "summary.xlsx")["Schools"]
    rows = list(ws.iter_rows(values_only=True))
    header = next(i for i, row in enumerate(rows) if row[0] == "URN")
    head = list(rows[header])
    first = head.index("Aspects above")
    checked = 0
    for row in rows[header + 1 :]:
        cells = [v for v in row[first + 3 :] if v is not None]
        signs = [sum(v > 0 for v in cells), sum(v == 0 for v in cells), sum(v < 0 for v in cells)]
        assert list(row[first : first + 3]) == signs, row
        checked += 1
    assert checked == 3
    assert rows[header + 1 :][-1][first : first + 3] != (0, 0, 0)
