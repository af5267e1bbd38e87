"""summary.xlsx written a table at a time (xlsx.RowWriter) holds what xlsxwriter writes cell by cell.

The fast writer bypasses xlsxwriter's per-cell calls, so these tests hold it to xlsxwriter's own
output: the same workbook written both ways must be the same bytes, part by part, for a cohort
whose text has everything a return can throw at a cell (control characters, Excel's own _xHHHH_
escapes, markup, leading spaces, text past a cell's limit). The cells a reader sees on the
Evidence, Matrix and Schools sheets are also pinned, as openpyxl reads them back.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from test_benchmarks import judgements, write_out
from xlsxwriter.xmlwriter import XMLwriter

from sheetreview.core import out, xlsx
from sheetreview.report import benchmarks as bm
from sheetreview.report import build, charts, rows, summary

LONG = "Long evidence. " * 2500  # 37,500 characters: more than one cell holds
HOSTILE = [
    "  leading and trailing spaces  ",
    "line one\nline two\n\nline four",
    "a tab\there, a bell \x07 and a form feed \x0c",
    "_x0041_ is how Excel escapes a character",
    "Fish & chips <b>bold</b> > 2",
    "emoji \U0001f642 and accents \u00e9\u00e8",
    "=1+1",
    "@SUM(A1:A3)",
    "-3",
    "0012",
    "http://example.com/evidence",
    LONG,
]


def hostile_rows() -> list[dict[str, str]]:
    schools = {
        ("100001", "Ash Primary"): {"1a-1": "4", "1a-2": "3", "1b-1": ""},
        ("100002", "=1+1"): {"1a-1": "2", "1a-2": "3", "1b-1": "1"},
        ("", "  Birch School"): {"1a-1": "1", "1a-2": "2", "1b-1": "3"},
        ("100004", "Cedar & Co <Academy>"): {"1a-1": "3", "1a-2": "1", "1b-1": "2"},
    }
    names = [name for _, name in schools]
    evidence = {}
    for i, text in enumerate(HOSTILE):
        evidence[(names[i % 4], ["1a-1", "1a-2", "1b-1"][i // 4])] = text
    rows = judgements("edtech-srf", "2026-autumn", schools, evidence)
    for i, row in enumerate(rows):
        row["next_steps"] = HOSTILE[(i + 5) % len(HOSTILE)] if i % 3 else ""
    return rows


def write(out_dir: Path, path: Path) -> Path:
    """summary.xlsx of `out_dir`, without charts (their PNGs are not what is compared)."""
    files = out.read_table(out_dir, out.FILES, build.FILES_COLUMNS, missing_ok=True)
    problems = out.read_table(out_dir, out.PROBLEMS, build.PROBLEMS_COLUMNS, missing_ok=True)
    responses = build.load_responses(out_dir, files)
    bench = bm.compute(responses, build.load_frameworks(out_dir, responses))
    return summary.write_summary(path, bench, files=files, problems=problems)


def parts(path: Path) -> dict[str, bytes]:
    """Every part of the workbook but its properties (they hold the time it was written)."""
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if not n.startswith("docProps/")}


@pytest.fixture(scope="module")
def hostile_out(tmp_path_factory) -> Path:
    problem = dict(file="x.xlsx", sheet="Review", cell="E5", code="blank-level",
                   severity="warning", message="No level chosen: <choose> one & save")  # fmt: skip
    chase = [  # files the Data quality sheet lists for action, as one table
        dict(file=f"=bad{i}.xls", sha256="1" * 64, bytes="10", status=status, framework="",
             school_urn="", school_name=name, aspects_answered="", aspects_total="",
             problems=str(i), reason=reason)
        for i, (status, name, reason) in enumerate([
            ("rejected", "", "legacy .xls <b>" + "long reason " * 12),
            ("accepted_with_problems", "  Birch School", ""),
            ("blank", "=1+1", "no level chosen"),
        ])
    ]  # fmt: skip
    return write_out(
        tmp_path_factory.mktemp("out"), hostile_rows(), extra_files=chase, problems=[problem]
    )


@pytest.fixture(scope="module")
def both_ways(hostile_out, tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("summaries")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(summary.Sheet, "fast", False)
        slow = write(hostile_out, folder / "cell_by_cell.xlsx")
    fast = write(hostile_out, folder / "table_at_a_time.xlsx")
    return slow, fast


def test_fast_rows_write_the_same_workbook_as_xlsxwriter_cell_by_cell(both_ways):
    slow, fast = (parts(p) for p in both_ways)
    assert slow.keys() == fast.keys()
    assert [n for n in slow if slow[n] != fast[n]] == []
    assert b"_x0007_" in fast["xl/worksheets/sheet5.xml"]  # the cohort did reach the Evidence


def test_fast_workbook_reads_back_cell_for_cell_as_the_slow_one(both_ways):
    slow, fast = (openpyxl.load_workbook(p) for p in both_ways)
    assert slow.sheetnames == fast.sheetnames
    for name in ("Evidence", "Matrix", "Schools", "Data quality", "Problems"):
        a, b = slow[name], fast[name]
        assert a.max_row == b.max_row and a.max_column == b.max_column, name
        for row_a, row_b in zip(a.iter_rows(), b.iter_rows(), strict=True):
            for x, y in zip(row_a, row_b, strict=True):
                assert (x.value, x.data_type, x.number_format) == (
                    y.value, y.data_type, y.number_format
                ), (name, x.coordinate)  # fmt: skip
                assert (x.fill.fgColor.rgb, x.font.b, x.alignment.wrap_text) == (
                    y.fill.fgColor.rgb, y.font.b, y.alignment.wrap_text
                ), (name, x.coordinate)  # fmt: skip
        heights_a = {r: d.height for r, d in a.row_dimensions.items() if d.height}
        assert heights_a == {r: d.height for r, d in b.row_dimensions.items() if d.height}, name


def test_evidence_matrix_and_schools_cells_are_pinned(both_ways):
    wb = openpyxl.load_workbook(both_ways[1])
    evidence = list(wb["Evidence"].iter_rows(values_only=True))
    assert evidence[2] == ("URN", "School", "Code", "Aspect", "Level", "Evidence", "Next steps")
    assert [r[:5] for r in evidence[3:6]] == [
        (None, "  Birch School", "1a-1", "The vision", "1"),
        (None, "  Birch School", "1a-2", "Reviewing the vision", "2"),
        (None, "  Birch School", "1b-1", "Strategic leadership across the school", "3"),
    ]  # schools by name, a name's leading spaces kept; a school without a URN has none
    assert evidence[4][5:] == ("=1+1", "  leading and trailing spaces  ")
    assert evidence[5][6] == "line one\nline two\n\nline four"
    ash = [r for r in evidence if r[1] == "Ash Primary"]
    assert ash[2][:6] == ("100001", "Ash Primary", "1b-1", "Strategic leadership across the school",
                          None, "-3")  # fmt: skip
    # Control characters and a literal _xHHHH_ are stored as Excel's escapes, which Excel and
    # LibreOffice read back as the characters (openpyxl shows the escapes).
    assert evidence[3][5] == "a tab\there, a bell _x0007_ and a form feed _x000C_"
    assert evidence[-3][5] == "_x005F_x0041_ is how Excel escapes a character"
    texts = {c for r in evidence[3:] for c in r[5:] if c}
    assert {t for t in HOSTILE[:-1] if "_x" not in t and "\x07" not in t} <= texts
    cut = evidence[-1][5]
    assert len(cut) == xlsx.MAX_CELL_CHARS and cut.endswith("the full text is in responses.csv]")

    matrix = list(wb["Matrix"].iter_rows(values_only=True))
    head = next(r for r in matrix if r[0] == "URN")
    assert head[:5] == ("URN", "School", "1a-1", "1a-2", "1b-1")
    assert head[-3:] == ("Aspects answered", "Mean level", "Percentile (50 = middle)")
    rows = {r[1]: r for r in matrix[matrix.index(head) + 1 :]}
    assert list(rows) == ["  Birch School", "=1+1", "Ash Primary", "Cedar & Co <Academy>"]
    assert rows["=1+1"][:6] == ("100002", "=1+1", "2", "3", "1", None)
    assert rows["=1+1"][-3:-1] == (3, 2) and rows["=1+1"][-1] == pytest.approx(200 / 3)
    assert rows["Ash Primary"][:5] == ("100001", "Ash Primary", "4", "3", None)
    assert rows["Ash Primary"][-3:] == (2, 3.5, 0)

    schools = list(wb["Schools"].iter_rows(values_only=True))
    head = next(r for r in schools if r[0] == "URN")
    rows = {r[1]: r for r in schools[schools.index(head) + 1 :]}
    assert head[:4] == ("URN", "School", "Aspects answered", "Mean level")
    first = head.index("1a-1")
    assert head[first : first + 3] == ("1a-1", "1a-2", "1b-1")
    # 1a-1 ranks 4, 3, 1, 2 (labels 1, 2, 4, 3): median 2.5; "=1+1" (rank 3) is 0.5 above
    assert rows["=1+1"][first : first + 4] == (0.5, -0.5, 1, None)
    assert rows["=1+1"][2:10] == (3, 2, 2, 0, pytest.approx(200 / 3), 2, 0, 1)
    assert rows["Ash Primary"][2:10] == (2, 3.5, 2, -1.5, 0, 0, 0, 2)
    assert rows["Ash Primary"][first + 2] is None  # left blank: no position
    assert wb["Schools"].cell(row=schools.index(head) + 2, column=first + 1).number_format == (
        '"above";"below";"at"'
    )


def test_text_that_looks_like_rich_text_stays_literal(tmp_path):
    # xlsxwriter passes a string that starts <r> and ends </r> through unescaped, as rich text:
    # from a return, that could smuggle a formula into the sheet. The fast writer escapes it.
    sneaky = '<r><t>a</t></r></is></c><c r="Z9"><f>1+1</f></c><c><is><r><t>b</t></r>'
    rows = hostile_rows()
    rows[0]["evidence"] = sneaky
    path = write(write_out(tmp_path / "out", rows), tmp_path / "summary.xlsx")
    ws = openpyxl.load_workbook(path)["Evidence"]
    assert sneaky in {c.value for row in ws.iter_rows() for c in row}
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)


@pytest.mark.parametrize("text", [*HOSTILE[:-1], "\x00\x1f", "_x005F_", "\ufffe\uffff", "<r>x</r>"])
def test_inline_text_escapes_as_xlsxwriter_does(text):
    writer = XMLwriter()
    expected = writer._escape_data(writer._escape_control_characters(text))
    if text == "<r>x</r>":
        expected = "&lt;r&gt;x&lt;/r&gt;"  # not passed through as markup
    assert xlsx.inline_text(text) == expected
    assert xlsx.inline_texts([text] * 300) == [expected] * 300


def test_whitespace_is_what_str_isspace_says():
    assert {chr(c) for c in range(0x110000) if chr(c).isspace()} == xlsx.WHITESPACE


def test_fast_rows_and_xlsxwriter_writes_interleave_on_one_sheet(tmp_path):
    def make(path: Path, fast: bool) -> dict[str, bytes]:
        wb = xlsxwriter.Workbook(str(path), xlsx.options(constant_memory=True))
        ws = wb.add_worksheet()
        bold, fill = wb.add_format({"bold": True}), wb.add_format({"bg_color": "#ff0000"})
        ws.set_column(1, 1, 20, fill)  # a column format: cells without their own take it
        ws.write_string(0, 0, "title", bold)
        columns = [["a", None, "c"], [1.5, None, None], [None, "x", "  y"]]
        fmts = [bold, None, [None, fill, bold]]
        heights = [None, 30.0, None]
        if fast:
            assert xlsx.RowWriter(ws).write_rows(2, columns, fmts, heights)
        else:
            for i, height in enumerate(heights):
                if height:
                    ws.set_row(2 + i, height)
                for col, column in enumerate(columns):
                    fmt = fmts[col][i] if isinstance(fmts[col], list) else fmts[col]
                    value = column[i]
                    if value is None:
                        ws.write_blank(2 + i, col, None, fmt)
                    elif isinstance(value, float):
                        ws.write_number(2 + i, col, value, fmt)
                    else:
                        ws.write_string(2 + i, col, value, fmt)
        ws.write_url(6, 0, "internal:'Sheet1'!A1", None, string="back to the top")
        ws.set_row(7, 40)
        wb.close()
        return parts(path)

    fast, slow = make(tmp_path / "fast.xlsx", True), make(tmp_path / "slow.xlsx", False)
    assert [n for n in slow if slow[n] != fast.get(n)] == []
    ws = openpyxl.load_workbook(tmp_path / "fast.xlsx").active
    assert [c.value for c in ws[3]] == ["a", 1.5, None]
    assert ws["C5"].value == "  y" and ws["A7"].value == "back to the top"


def test_rows_above_the_one_written_are_refused(tmp_path):
    wb = xlsxwriter.Workbook(str(tmp_path / "x.xlsx"), xlsx.options(constant_memory=True))
    ws = wb.add_worksheet()
    writer = xlsx.RowWriter(ws)
    assert writer.write_rows(3, [["a"]], [None], [None])
    assert not writer.write_rows(1, [["b"]], [None], [None])
    wb.close()
    assert [c.value for c in openpyxl.load_workbook(tmp_path / "x.xlsx").active["A"]][-1] == "a"


def test_responses_read_in_one_pass_or_two_give_the_same_table(hostile_out, monkeypatch):
    path = hostile_out / "responses.csv"
    one, none = build._read_responses(path)
    assert none is None
    monkeypatch.setattr(build, "_scan", lambda *_: (False, True))
    two, none = build._read_responses(path)
    assert list(one.columns) == list(two.columns)
    assert one.equals(two)
    monkeypatch.undo()
    assert list(one.columns)[-2:] == ["evidence", "next_steps"]
    with charts.Drawer(2, fork=True) as drawer:  # the text read by a worker meanwhile
        rest, text = build._read_responses(path, drawer.submit)
        assert not set(build.TEXT_COLUMNS) & set(rest.columns)
        three = build.with_text(rest, text)
    assert three.equals(one)


def test_text_read_apart_joins_the_rows_kept_whatever_their_order(hostile_out):
    """The judgements kept (accepted returns only) and their order are the table's; the text
    read by a worker is joined by row of responses.csv, not by position."""
    path = hostile_out / "responses.csv"
    whole, _ = build._read_responses(path)
    with charts.Drawer(2, fork=True) as drawer:
        rest, text = build._read_responses(path, drawer.submit)
        kept = rest.iloc[::-2]
        joined = build.with_text(kept, text)
    assert joined.equals(whole.iloc[::-2])


def test_tables_written_a_few_rows_at_a_time_give_the_same_bytes(hostile_out, both_ways, tmp_path):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(summary, "TABLE_CHUNK", 2)
        mp.setattr(rows, "CHUNK", 2)
        chunked = write(hostile_out, tmp_path / "chunked.xlsx")
    assert parts(chunked) == parts(both_ways[0])
