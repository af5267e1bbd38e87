"""The generated workbook, read back with openpyxl: what a school and ingest rely on."""

from __future__ import annotations

import datetime as dt
import os
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devtools.templates import TEMPLATE_TIME, template_dir, write_templates
from sheetreview import __version__, layout
from sheetreview.framework import all_builtin, builtin, from_dict
from sheetreview.schools import School
from sheetreview.workbook import (
    MAX_ROW_HEIGHT,
    PREVIOUS_EVIDENCE_HEADER,
    PREVIOUS_LEVEL_HEADER,
    Filled,
    WorkbookError,
    write_workbook,
)

BUILTIN_IDS = [fw.id for fw in all_builtin()]


def tiny_framework():
    """Three levels, two groups, a summary aspect and per-level guidance: every feature, small."""
    return from_dict(
        {
            "id": "tiny",
            "title": "Tiny framework",
            "version": "2",
            "content_hash": "abc123",
            "publisher": "Test publisher",
            "licence": "CC BY 4.0",
            "attribution": "Credit the testers",
            "levels": [
                {"rank": 1, "label": "Low", "sections": {"Award": "Bronze"}},
                {"rank": 2, "label": "Mid"},
                {"rank": 3, "label": "High"},
            ],
            "groups": [{"code": "G1", "title": "First group"}, {"code": "G2", "title": "Second"}],
            "aspects": [
                {
                    "code": "A1",
                    "title": "Vision",
                    "group": "G1",
                    "kind": "aspect",
                    "descriptors": [
                        {"rank": 1, "text": "low one", "sections": {"Evidence": "minutes"}},
                        {"rank": 2, "text": "mid one"},
                        {"rank": 3, "text": "high one"},
                    ],
                },
                {
                    "code": "A2",
                    "title": "Culture",
                    "group": "G1",
                    "kind": "aspect",
                    "descriptors": [
                        {"rank": 1, "text": "low two"},
                        {"rank": 2, "text": "mid two"},
                        {"rank": 3, "text": "high two"},
                    ],
                },
                {"code": "S1", "title": "Overall", "group": "G2", "kind": "summary"},
            ],
        }
    )


def load(path: Path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(path)


def header_map(ws) -> tuple[int, dict[str, int]]:
    """(header row, {header text: column}) found the way ingest finds it: by CODE_HEADER."""
    for row in ws.iter_rows(min_row=1, max_row=layout.HEADER_SEARCH_ROWS):
        values = [c.value for c in row]
        if layout.CODE_HEADER in values:
            return row[0].row, {v: i + 1 for i, v in enumerate(values) if v}
    raise AssertionError("no header row")


def aspect_rows(ws) -> dict[str, int]:
    top, cols = header_map(ws)
    codes = {}
    for row in ws.iter_rows(min_row=top + 1, max_col=1):
        if row[0].value:
            codes[row[0].value] = row[0].row
    return codes


def start_values(ws) -> dict[str, object]:
    return {row[0].value: row[1].value for row in ws.iter_rows(max_col=2) if row[0].value}


@pytest.fixture
def tiny_path(tmp_path: Path) -> Path:
    school = School("100001", "St Anne's Primary", la="Kent", trust="Oak Trust", phase="Primary")
    return write_workbook(
        tiny_framework(),
        tmp_path / "tiny.xlsx",
        school=school,
        round_label="2026-autumn",
        filled={"A1": Filled("Mid", "We saw it", "Do more"), "S1": Filled("High")},
        assessment_date=dt.date(2026, 10, 14),
        completed_by="Ms Head",
    )


def test_sheets_come_in_order_with_hidden_ones_last(tiny_path: Path) -> None:
    wb = load(tiny_path)
    states = [(ws.title, ws.sheet_state) for ws in wb.worksheets]
    assert states == [
        (layout.START_SHEET, "visible"),
        (layout.REVIEW_SHEET, "visible"),
        (layout.GUIDANCE_SHEET, "visible"),
        (layout.PROFILE_SHEET, "visible"),
        (layout.LISTS_SHEET, "hidden"),
        (layout.IDENTITY_SHEET, "veryHidden"),
    ]


def test_framework_without_extra_texts_has_no_guidance_sheet(tmp_path: Path) -> None:
    wb = load(write_workbook(builtin("becta-srf"), tmp_path / "b.xlsx"))
    assert layout.GUIDANCE_SHEET not in wb.sheetnames


def test_review_has_one_row_per_aspect_with_descriptors_in_level_order(tiny_path: Path) -> None:
    ws = load(tiny_path)[layout.REVIEW_SHEET]
    top, cols = header_map(ws)
    headers = [ws.cell(top, c).value for c in range(1, ws.max_column + 1)]
    assert headers == [
        layout.CODE_HEADER,
        layout.TITLE_HEADER,
        "Low",
        "Mid",
        "High",
        layout.LEVEL_HEADER,
        layout.EVIDENCE_HEADER,
        layout.NEXT_STEPS_HEADER,
        layout.NEXT_LEVEL_HEADER,
        layout.QUERY_ANSWER_HEADER,
    ]
    rows = aspect_rows(ws)
    assert list(rows) == ["A1", "A2", "S1"]
    assert [ws.cell(rows["A2"], cols[label]).value for label in ("Low", "Mid", "High")] == [
        "low two",
        "mid two",
        "high two",
    ]
    assert ws.cell(rows["A1"], cols[layout.TITLE_HEADER]).value == "Vision"


def test_group_titles_are_bands_outside_the_code_column(tiny_path: Path) -> None:
    ws = load(tiny_path)[layout.REVIEW_SHEET]
    top, cols = header_map(ws)
    band = ws.cell(top + 1, cols[layout.TITLE_HEADER]).value
    assert band == "G1  First group"
    assert ws.cell(top + 1, cols[layout.CODE_HEADER]).value is None


def test_every_level_cell_has_a_dropdown_from_the_named_range(tiny_path: Path) -> None:
    wb = load(tiny_path)
    ws = wb[layout.REVIEW_SHEET]
    _, cols = header_map(ws)
    validations = ws.data_validations.dataValidation
    for code, row in aspect_rows(ws).items():
        cell = ws.cell(row, cols[layout.LEVEL_HEADER]).coordinate
        rules = [dv for dv in validations if cell in dv.sqref]
        assert len(rules) == 1, code
        rule = rules[0]
        assert rule.type == "list"
        assert rule.formula1 == layout.LEVELS_NAME  # a range, never an inline list
        assert rule.errorStyle in (None, "stop")
        assert rule.showErrorMessage and rule.showInputMessage
        assert "Low, Mid, High" in rule.error
        assert rule.prompt
    name = wb.defined_names[layout.LEVELS_NAME]
    assert name.attr_text == "'Lists'!$A$1:$A$3"
    lists = wb[layout.LISTS_SHEET]
    assert [lists.cell(r, 1).value for r in (1, 2, 3)] == ["Low", "Mid", "High"]


def test_summary_aspect_gets_a_dropdown_but_no_descriptors(tiny_path: Path) -> None:
    ws = load(tiny_path)[layout.REVIEW_SHEET]
    _, cols = header_map(ws)
    row = aspect_rows(ws)["S1"]
    assert ws.cell(row, cols["Low"]).value.startswith("No descriptors of its own")
    assert ws.cell(row, cols["Mid"]).value is None
    assert ws.cell(row, cols[layout.LEVEL_HEADER]).value == "High"


def test_only_input_cells_are_unlocked_and_every_sheet_is_protected(tiny_path: Path) -> None:
    wb = load(tiny_path)
    for ws in wb.worksheets:
        assert ws.protection.sheet, ws.title
        assert not ws.protection.password, ws.title
    ws = wb[layout.REVIEW_SHEET]
    top, cols = header_map(ws)
    inputs = {
        cols[h]
        for h in (
            layout.LEVEL_HEADER,
            layout.EVIDENCE_HEADER,
            layout.NEXT_STEPS_HEADER,
            layout.QUERY_ANSWER_HEADER,
        )
    }
    rows = set(aspect_rows(ws).values())
    for row in ws.iter_rows(min_row=1, max_row=ws.max_row):
        for cell in row:
            expected = not (cell.row in rows and cell.column in inputs)
            assert cell.protection.locked is expected, cell.coordinate


def test_start_sheet_holds_school_details_and_the_date(tiny_path: Path) -> None:
    ws = load(tiny_path)[layout.START_SHEET]
    values = start_values(ws)
    f = layout.START_FIELDS
    assert values[f["school_name"]] == "St Anne's Primary"
    assert values[f["school_urn"]] == "100001"
    assert values[f["la"]] == "Kent"
    assert values[f["trust"]] == "Oak Trust"
    assert values[f["phase"]] == "Primary"
    assert values[f["round"]] == "2026-autumn"
    assert values[f["assessment_date"]] == dt.datetime(2026, 10, 14)
    assert values[f["completed_by"]] == "Ms Head"
    assert values[f["participants"]] is None
    assert values["Publisher"] == "Test publisher"
    assert values["Licence"] == "CC BY 4.0"
    assert values["Attribution"] == "Credit the testers"
    date_row = next(r for r in ws.iter_rows(max_col=1) if r[0].value == f["assessment_date"])
    date_cell = ws.cell(date_row[0].row, 2)
    assert date_cell.number_format == "dd/mm/yyyy"
    assert date_cell.protection.locked is False
    steps = [values.get(f"{i}.") for i in range(1, 6)]
    assert all(steps) and values.get("6.") is None


def test_blank_workbook_leaves_school_details_for_the_school(tmp_path: Path) -> None:
    wb = load(write_workbook(tiny_framework(), tmp_path / "blank.xlsx"))
    ws = wb[layout.START_SHEET]
    for row in ws.iter_rows(max_col=2):
        if row[0].value in layout.START_FIELDS.values():
            assert row[1].value is None
            assert row[1].protection.locked is False, row[0].value


def test_identity_is_in_a_very_hidden_sheet_and_in_custom_properties(tiny_path: Path) -> None:
    wb = load(tiny_path)
    expected = {
        "format": layout.FORMAT_VERSION,
        "framework_id": "tiny",
        "framework_version": "2",
        "content_hash": "abc123",
        "school_urn": "100001",
        "school_name": "St Anne's Primary",
        "round": "2026-autumn",
        "generator_version": __version__,
    }
    sheet = {row[0].value: row[1].value for row in wb[layout.IDENTITY_SHEET].iter_rows()}
    assert sheet == expected
    props = {p.name: p.value for p in wb.custom_doc_props.props}
    assert props == {layout.PROPERTY_PREFIX + k: v for k, v in expected.items()}
    assert list(sheet) == list(layout.IDENTITY_KEYS)


def test_next_level_column_is_a_formula_with_its_value_cached(tiny_path: Path) -> None:
    formulas = load(tiny_path)[layout.REVIEW_SHEET]
    values = openpyxl.load_workbook(tiny_path, data_only=True)[layout.REVIEW_SHEET]
    _, cols = header_map(formulas)
    rows = aspect_rows(formulas)
    col = cols[layout.NEXT_LEVEL_HEADER]
    formula = formulas.cell(rows["A1"], col).value
    # The level is compared as text: a 3 stored as a number still finds the label "3".
    assert formula.startswith("=IFERROR(") and f'MATCH(F{rows["A1"]}&"",Levels,0)' in formula
    assert "INDEX(C" in formula
    assert values.cell(rows["A1"], col).value == "high one"  # Mid chosen: High is next
    assert values.cell(rows["A2"], col).value in ("", None)  # nothing chosen yet
    assert formulas.cell(rows["S1"], col).value is None  # a summary has nothing to show


def test_level_cells_are_text_so_typed_digits_match_the_list(tmp_path: Path) -> None:
    fw = builtin("edtech-srf")
    wb = load(write_workbook(fw, tmp_path / "w.xlsx"))
    ws = wb[layout.REVIEW_SHEET]
    _, cols = header_map(ws)
    for code, row in aspect_rows(ws).items():
        if code in {a.code for a in fw.aspects}:
            assert ws.cell(row, cols[layout.LEVEL_HEADER]).number_format == "@", code
    lists = wb[layout.LISTS_SHEET]
    assert [lists.cell(i + 1, 1).value for i in range(4)] == ["4", "3", "2", "1"]
    with zipfile.ZipFile(tmp_path / "w.xlsx") as z:
        sheet = z.read("xl/worksheets/sheet2.xml").decode()
    assert 'numberStoredAsText="1"' in sheet  # no green triangles on "3" in Excel


def profile_table(path: Path) -> dict[str, list]:
    """My profile's rows by their first cell: formulas and cached values side by side."""
    ws = load(path)[layout.PROFILE_SHEET]
    values = openpyxl.load_workbook(path, data_only=True)[layout.PROFILE_SHEET]
    out = {}
    for row in values.iter_rows(max_col=4):
        if row[0].value is not None:
            formulas = [ws.cell(row[0].row, c).value for c in range(1, 5)]
            out.setdefault(str(row[0].value), [[c.value for c in row], formulas])
    return out


def test_profile_counts_levels_and_charts_them_by_formula(tiny_path: Path) -> None:
    table = profile_table(tiny_path)
    for label, count in {"Low": 0, "Mid": 1, "High": 1}.items():
        values, formulas = table[label]
        assert formulas[1].startswith("=COUNTIF($D$") and values[1] == count
    assert table["No level chosen yet"][0][1] == 1
    levels = {code: table[code][0][2] for code in ("A1", "A2", "S1")}
    assert levels == {"A1": "Mid", "A2": None, "S1": "High"}
    assert table["A1"][1][2] == '=IFERROR(INDEX(Levels,MATCH(\'Review\'!F5&"",Levels,0)),"")'
    ranks = {code: table[code][0][3] for code in ("A1", "A2", "S1")}
    assert ranks == {"A1": 2, "A2": 0, "S1": 3}
    ws = load(tiny_path)[layout.PROFILE_SHEET]
    assert len(ws._charts) == 2
    assert ws.column_dimensions["D"].hidden  # positions feed the chart, labels are what we read


def test_profile_explains_the_scale_in_the_frameworks_words(tmp_path: Path) -> None:
    path = write_workbook(builtin("edtech-srf"), tmp_path / "w.xlsx")
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n).decode() for n in z.namelist() if n.endswith(".xml")}
    everything = " ".join(parts.values())
    assert "1 = 4" not in everything and "4 = 1" not in everything
    assert "4 is the least developed level and 1 the most developed" in everything
    charts = " ".join(v for n, v in parts.items() if n.startswith("xl/charts/"))
    assert "4 least developed ... 1 most developed" in charts


def test_the_start_sheet_gives_a_long_source_a_second_line(tmp_path: Path) -> None:
    """edtech-srf's source is 130 characters: LibreOffice wraps it in the 90-wide column, and a
    row of one line showed only its first."""
    fw = builtin("edtech-srf")
    assert 120 < len(fw.source) < 180
    ws = load(write_workbook(fw, tmp_path / "w.xlsx"))[layout.START_SHEET]
    row = next(r[0].row for r in ws.iter_rows(max_col=1) if r[0].value == "Source")
    assert ws.cell(row, 2).value == fw.source and ws.cell(row, 2).alignment.wrap_text
    assert ws.row_dimensions[row].height >= 24  # two lines of 9 pt at least


def test_profile_titles_wrap_in_rows_tall_enough(tmp_path: Path) -> None:
    fw = builtin("edtech-srf")
    path = write_workbook(fw, tmp_path / "w.xlsx")
    ws = load(path)[layout.PROFILE_SHEET]
    longest = max(fw.aspects, key=lambda a: len(a.title))
    row = next(r[0].row for r in ws.iter_rows(max_col=1) if r[0].value and longest.code in str(
        openpyxl.load_workbook(path, data_only=True)[layout.PROFILE_SHEET].cell(r[0].row, 1).value
    ))  # fmt: skip
    assert ws.cell(row, 2).alignment.wrap_text
    assert ws.row_dimensions[row].height >= 24  # two lines of 9 pt at least


def test_review_prints_full_size_on_a4_with_answers_on_their_own_pages(tiny_path: Path) -> None:
    review = load(tiny_path)[layout.REVIEW_SHEET]
    setup = review.page_setup
    assert (setup.orientation, setup.paperSize) == ("landscape", 9)
    assert setup.scale in (None, 100)  # 100% is the default, and is left out
    assert not review.sheet_properties.pageSetUpPr.fitToPage
    assert setup.pageOrder == "overThenDown"
    top, cols = header_map(review)
    assert review.print_title_rows == f"${top}:${top}"
    assert review.print_title_cols == "$A:$B"
    breaks = [b.id for b in review.col_breaks.brk]
    assert cols[layout.LEVEL_HEADER] - 1 in breaks  # answers start a page
    assert review.cell(aspect_rows(review)["A1"], 3).alignment.wrap_text


@pytest.mark.parametrize("framework_id", BUILTIN_IDS)
@pytest.mark.parametrize("previous", [False, True])
def test_every_printed_review_page_fits_a4_at_full_size(framework_id: str, previous: bool) -> None:
    from sheetreview.workbook import (
        A4_LANDSCAPE_WIDTH_IN,
        _ReviewColumns,
        column_pixels,
        review_pages,
    )

    cols = _ReviewColumns(builtin(framework_id), previous)
    room = int((A4_LANDSCAPE_WIDTH_IN - 0.6) * 96)
    breaks = review_pages(cols, room)
    lead = sum(column_pixels(cols.widths[c]) for c in range(cols.first_descriptor))
    starts = [cols.first_descriptor, *breaks, cols.last + 1]
    assert cols.first_answer in breaks
    for first, end in zip(starts, starts[1:], strict=False):
        width = lead + sum(column_pixels(cols.widths[c]) for c in range(first, end))
        assert width <= room, (framework_id, first, end)


@pytest.mark.parametrize("framework_id", BUILTIN_IDS)
def test_every_review_row_fits_on_one_printed_page(tmp_path: Path, framework_id: str) -> None:
    """Spreadsheets split a row across pages only when it is taller than the page."""
    ws = load(write_workbook(builtin(framework_id), tmp_path / "w.xlsx"))[layout.REVIEW_SHEET]
    margins = ws.page_margins
    printable = 595.3 - (margins.top + margins.bottom) * 72
    top, _ = header_map(ws)
    header = ws.row_dimensions[top].height
    for code, row in aspect_rows(ws).items():
        assert ws.row_dimensions[row].height + header <= printable, code


@pytest.mark.parametrize("framework_id", BUILTIN_IDS)
def test_a_group_band_never_ends_a_printed_page(tmp_path: Path, framework_id: str) -> None:
    ws = load(write_workbook(builtin(framework_id), tmp_path / "w.xlsx"))[layout.REVIEW_SHEET]
    top, _ = header_map(ws)
    codes = aspect_rows(ws)
    last = max(codes.values())
    breaks = [b.id for b in ws.row_breaks.brk]  # a page starts at 0-based row `id`
    bands = {r for r in range(top + 1, last + 1) if r not in codes.values()}  # 1-based
    for start in breaks:
        assert start not in bands, (framework_id, start)  # the row before the break is its last
    margins = ws.page_margins
    room = 595.3 - (margins.top + margins.bottom) * 72 - ws.row_dimensions[top].height
    edges = [top, *breaks, last]
    for first, end in zip(edges, edges[1:], strict=False):
        height = sum(ws.row_dimensions[r].height for r in range(first + 1, end + 1))
        assert height <= room, (framework_id, first, end)


def test_other_sheets_print_landscape_one_page_wide(tiny_path: Path) -> None:
    wb = load(tiny_path)
    for name in (layout.START_SHEET, layout.GUIDANCE_SHEET, layout.PROFILE_SHEET):
        ws = wb[name]
        assert ws.page_setup.orientation == "landscape", name
        assert ws.sheet_properties.pageSetUpPr.fitToPage, name
        assert ws.page_setup.fitToWidth in (None, 1), name


@pytest.mark.parametrize("framework_id", BUILTIN_IDS)
def test_builtin_rows_are_tall_enough_for_descriptors_within_excel_limit(
    tmp_path: Path, framework_id: str
) -> None:
    fw = builtin(framework_id)
    ws = load(write_workbook(fw, tmp_path / "w.xlsx"))[layout.REVIEW_SHEET]
    rows = aspect_rows(ws)
    assert list(rows) == [a.code for a in fw.aspects]
    for aspect in fw.aspects:
        height = ws.row_dimensions[rows[aspect.code]].height
        longest = max((len(d.text) for d in aspect.descriptors), default=0)
        assert height <= MAX_ROW_HEIGHT
        assert height >= min(MAX_ROW_HEIGHT, longest / 60 * 12), aspect.code


def test_lp_steps_shows_only_where_we_want_to_be_side_by_side(tmp_path: Path) -> None:
    fw = builtin("lp-steps")
    wb = load(write_workbook(fw, tmp_path / "lp.xlsx"))
    review = wb[layout.REVIEW_SHEET]
    _, cols = header_map(review)
    first = fw.aspects[0]
    row = aspect_rows(review)[first.code]
    assert review.cell(row, cols[fw.levels[0].label]).value == first.descriptors[0].text
    guidance = wb[layout.GUIDANCE_SHEET]
    texts = "\n\n".join(str(c.value) for row in guidance.iter_rows(min_col=5) for c in row)
    for heading, text in first.descriptors[0].sections.items():
        assert text.split("\n\n")[0] in texts, heading
    headings = {c.value for c in next(guidance.iter_cols(min_col=4, max_col=4))}
    assert "How do we get there?" in headings
    assert "What will it look like?" in headings
    assert "Strategic leadership activities" in headings


def test_pd_quality_mark_examples_of_evidence_are_on_the_guidance_sheet(tmp_path: Path) -> None:
    fw = builtin("pd-quality-mark")
    wb = load(write_workbook(fw, tmp_path / "pd.xlsx"))
    guidance = wb[layout.GUIDANCE_SHEET]
    rows = [[c.value for c in r] for r in guidance.iter_rows(min_row=4)]
    example = fw.aspects[0].descriptors[0].sections["Some examples of evidence"]
    assert [
        fw.aspects[0].code,
        fw.aspects[0].title,
        "Developing",
        "Some examples of evidence",
        example,
    ] in rows
    assert any(r[3] == "Award" for r in rows)


FORMULA_LIKE = [
    '=HYPERLINK("http://example.com","x")',
    "+SUM(1,1)",
    "-2+3",
    "@SUM(A1)",
    "=1+1",
    "http://example.com",
    "00123",
    "1e5",
]


@pytest.mark.parametrize("name", FORMULA_LIKE)
def test_school_text_that_looks_like_a_formula_is_stored_as_text(tmp_path: Path, name: str) -> None:
    fw = tiny_framework()
    school = School(urn=name, name=name, la=name)
    path = write_workbook(
        fw,
        tmp_path / "x.xlsx",
        school=school,
        round_label=name,
        filled={"A1": Filled(name, name, name)},
    )
    with zipfile.ZipFile(path) as z:
        sheets = "".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/work"))
    formulas = re.findall(r"<f>(.*?)</f>", sheets)
    assert formulas and not [f for f in formulas if "HYPERLINK" in f or "SUM(1" in f or "1+1" in f]
    wb = load(path)
    start = start_values(wb[layout.START_SHEET])
    assert start[layout.START_FIELDS["school_name"]] == name
    assert start[layout.START_FIELDS["school_urn"]] == name
    review = wb[layout.REVIEW_SHEET]
    _, cols = header_map(review)
    row = aspect_rows(review)["A1"]
    assert review.cell(row, cols[layout.EVIDENCE_HEADER]).value == name
    assert review.cell(row, cols[layout.EVIDENCE_HEADER]).data_type == "s"


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=80))
def test_any_school_name_and_evidence_round_trip_as_text(tmp_path: Path, text: str) -> None:
    path = write_workbook(
        tiny_framework(),
        tmp_path / "p.xlsx",
        school=School("1", text),
        filled={"A2": Filled("Low", text, text)},
    )
    wb = load(path)
    assert start_values(wb[layout.START_SHEET])[layout.START_FIELDS["school_name"]] == text
    review = wb[layout.REVIEW_SHEET]
    _, cols = header_map(review)
    assert review.cell(aspect_rows(review)["A2"], cols[layout.EVIDENCE_HEADER]).value == text


def test_previous_round_is_shown_locked_beside_the_new_dropdown(tmp_path: Path) -> None:
    previous = {"A1": Filled("Low", "Old evidence"), "S1": Filled("Mid")}
    path = write_workbook(tiny_framework(), tmp_path / "p.xlsx", previous=previous)
    ws = load(path)[layout.REVIEW_SHEET]
    _, cols = header_map(ws)
    assert cols[PREVIOUS_LEVEL_HEADER] + 2 == cols[layout.LEVEL_HEADER]
    assert cols[PREVIOUS_EVIDENCE_HEADER] + 1 == cols[layout.LEVEL_HEADER]
    row = aspect_rows(ws)["A1"]
    assert ws.cell(row, cols[PREVIOUS_LEVEL_HEADER]).value == "Low"
    assert ws.cell(row, cols[PREVIOUS_EVIDENCE_HEADER]).value == "Old evidence"
    assert ws.cell(row, cols[PREVIOUS_LEVEL_HEADER]).protection.locked
    assert ws.cell(row, cols[layout.LEVEL_HEADER]).value is None  # never the new answer
    assert ws.cell(aspect_rows(ws)["A2"], cols[PREVIOUS_LEVEL_HEADER]).value is None


def test_text_beyond_the_cell_limit_fails_and_leaves_no_file(tmp_path: Path) -> None:
    target = tmp_path / "long.xlsx"
    with pytest.raises(WorkbookError, match="32,767"):
        write_workbook(tiny_framework(), target, filled={"A1": Filled("Low", "x" * 40_000)})
    assert os.listdir(tmp_path) == []


def test_rewriting_replaces_the_file_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    target = tmp_path / "w.xlsx"
    target.write_bytes(b"old")
    write_workbook(tiny_framework(), target)
    assert os.listdir(tmp_path) == ["w.xlsx"]
    assert zipfile.is_zipfile(target)


def test_filled_with_an_unknown_aspect_code_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="ZZ"):
        write_workbook(tiny_framework(), tmp_path / "w.xlsx", filled={"ZZ": Filled("Low")})


def test_same_inputs_and_time_give_the_same_bytes(tmp_path: Path) -> None:
    a = write_workbook(tiny_framework(), tmp_path / "a.xlsx", created=TEMPLATE_TIME)
    b = write_workbook(tiny_framework(), tmp_path / "b.xlsx", created=TEMPLATE_TIME)
    assert a.read_bytes() == b.read_bytes()


def test_committed_templates_are_current(tmp_path: Path) -> None:
    """If this fails after changing a framework or the workbook code, run `make templates`."""
    fresh = write_templates(tmp_path)
    committed = template_dir()
    assert sorted(p.name for p in committed.glob("*.xlsx")) == sorted(p.name for p in fresh)
    for path in fresh:
        old = committed / path.name
        if old.read_bytes() == path.read_bytes():
            continue
        with zipfile.ZipFile(old) as zo, zipfile.ZipFile(path) as zn:
            assert zo.namelist() == zn.namelist(), path.name
            for member in zn.namelist():
                assert zo.read(member) == zn.read(member), f"{path.name}: {member} differs"


def test_formulas_prepared_once_are_those_xlsxwriter_prepares_each_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import xlsxwriter.worksheet

    import sheetreview.workbook as wbmod

    school = School("123456", "St Anne's")
    created = dt.datetime(2026, 9, 1, 9, 0)
    previous = {"1a-1": Filled(level="2", evidence="Minutes", next_steps="")}
    fw = builtin("edtech-srf")

    def parts(path: Path) -> dict[str, bytes]:
        with zipfile.ZipFile(path) as zf:
            return {n: zf.read(n) for n in zf.namelist()}

    for name in ("warm", "cached"):  # the second is made from what the first remembered
        write_workbook(fw, tmp_path / f"{name}.xlsx", school=school, previous=previous,
                       created=created)  # fmt: skip
    assert wbmod._PREPARED
    monkeypatch.setattr(wbmod._Sheet, "_prepare_formula",
                        xlsxwriter.worksheet.Worksheet._prepare_formula)  # fmt: skip
    write_workbook(fw, tmp_path / "plain.xlsx", school=school, previous=previous, created=created)
    assert parts(tmp_path / "cached.xlsx") == parts(tmp_path / "plain.xlsx")
