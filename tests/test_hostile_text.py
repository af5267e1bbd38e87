"""Text from returns and school lists reaches CSVs as text: no formula runs, no row splits.

Every CSV the tool writes is checked, not a chosen few: a spreadsheet opening any of them must
see the school's words, and pandas reading them with `out.read_table` must get them back exactly.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import answers, make_return
from test_benchmarks import judgements, write_out

from sheetreview.cli import cli
from sheetreview.core import out
from sheetreview.core.fs import prune_stale
from sheetreview.errors import SchoolsFileError
from sheetreview.report.build import build_report, write_csv
from sheetreview.schools import read_schools
from sheetreview.workbook import Filled

PAYLOADS = ['=HYPERLINK("http://x","y")', "+1+cmd|'/c calc'!A0", "-2+3", "@SUM(1)", "\t=1", "\r=1"]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _hostile_return(path: Path, urn: str, name: str, payload: str) -> Path:
    filled = answers("edtech-srf")
    first = next(iter(filled))
    filled[first] = Filled(filled[first].level, payload, payload)
    return make_return(path, urn=urn, name=name, filled=filled)


def _every_csv(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.csv") if not p.name.startswith("."))


def _rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


@pytest.fixture(scope="module")
def hostile_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    returns = root / "returns"
    returns.mkdir()
    for i, payload in enumerate(PAYLOADS):
        _hostile_return(returns / f"r{i}.xlsx", f"10000{i}", payload + " School", payload)
    _hostile_return(returns / "cr.xlsx", "=1+1", "Cedar Primary", "fine")
    make_return(returns / "=cmd\rname.xlsx", urn="100009", name="Plain School")
    result = CliRunner().invoke(
        cli, ["run", str(returns), "-o", str(root / "out"), "-q", "-j", "1"]
    )
    assert result.exit_code == 0, result.output
    return root / "out"


def test_no_csv_holds_a_value_a_spreadsheet_would_run(hostile_out: Path) -> None:
    written = _every_csv(hostile_out)
    assert {p.name for p in written} >= {
        "responses.csv", "files.csv", "problems.csv", "school_benchmarks.csv",
        "school_overall.csv", "aspect_stats.csv",
    }  # fmt: skip
    for path in written:
        for row in _rows(path)[1:]:
            for value in row:
                if value.startswith(TRIGGERS):
                    float(value)  # only a plain number (a negative difference) may start so


def test_cr_in_a_name_never_splits_a_row(hostile_out: Path) -> None:
    for path in _every_csv(hostile_out):
        rows = _rows(path)
        assert all(len(r) == len(rows[0]) for r in rows), path.name
    files = out.read_table(hostile_out, "files.csv")
    assert len(files) == len(PAYLOADS) + 2  # no phantom row from a CR
    assert "=cmd\rname.xlsx" in set(files["file"])


def test_read_table_gives_back_exactly_what_the_return_said(hostile_out: Path) -> None:
    responses = out.read_table(hostile_out, "responses.csv")
    # Evidence is kept without its leading white space and control characters.
    assert {p.strip() for p in PAYLOADS} <= set(responses["evidence"])
    assert {p.strip() + " School" for p in PAYLOADS} <= set(responses["school_name"])


def test_a_report_table_quotes_cr_and_guards_formulas(tmp_path: Path) -> None:
    names = ["Cedar\rPrimary", "=1+1", "-2", "'=x"]
    write_csv(
        pd.DataFrame({"school_name": names, "mean": [1.5, 2.0, -2.0, 3.0]}), tmp_path / "t.csv"
    )
    rows = _rows(tmp_path / "t.csv")
    assert len(rows) == 5 and [r[0] for r in rows[1:]] == ["Cedar\rPrimary", "'=1+1", "-2", "''=x"]
    assert list(out.read_table(tmp_path, "t.csv")["school_name"]) == names


def test_a_urn_that_is_not_digits_is_recorded_as_none_and_said(hostile_out: Path) -> None:
    files = out.read_table(hostile_out, "files.csv")
    row = files[files["file"] == "cr.xlsx"].iloc[0]
    assert row["school_urn"] == "" and row["school_name"] == "Cedar Primary"
    problems = out.read_table(hostile_out, "problems.csv")
    said = problems[(problems["file"] == "cr.xlsx") & (problems["code"] == "bad-urn")]
    assert len(said) == 1 and "=1+1" in said.iloc[0]["message"]


def test_generate_refuses_a_urn_that_is_not_digits(tmp_path: Path) -> None:
    schools = tmp_path / "schools.csv"
    schools.write_text("urn,name\n=1+1,Ash Primary\n", encoding="utf-8")
    with pytest.raises(SchoolsFileError, match="row 2: the URN '=1\\+1' is not a number"):
        read_schools(schools)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_hostile_manifest_removes_nothing_but_the_tool_s_own_stale_files(
    tmp_path: Path,
) -> None:
    outside = tmp_path / "precious.txt"
    outside.write_text("not the tool's")
    folder = tmp_path / "feedback"
    folder.mkdir()
    mine = folder / "old-letter.txt"
    mine.write_text("a letter the last run wrote")
    theirs = folder / "officer-notes.txt"
    theirs.write_text("the officer's own")
    (folder / "link.txt").symlink_to(outside)
    prune_stale(folder, ".manifest", [mine])  # the last run wrote old-letter.txt
    record = folder / ".manifest"
    lines = [
        f"{_sha(outside)}  {outside}",  # absolute path
        f"{_sha(outside)}  ../precious.txt",  # climbs out
        f"{_sha(outside)}  link.txt",  # a link leading out
        f"{'0' * 64}  officer-notes.txt",  # not what the tool wrote
        str(outside),  # the old plain-path form
    ]
    record.write_text(record.read_text() + "\n".join(lines) + "\n", encoding="utf-8")

    removed = prune_stale(folder, ".manifest", [])

    assert removed == 1 and not mine.exists()  # its own stale letter, and only that
    assert outside.read_text() == "not the tool's"
    assert theirs.read_text() == "the officer's own"
    assert (folder / "link.txt").is_symlink()


def test_a_cell_cut_to_excel_s_limit_says_so_there_and_in_data_quality(tmp_path: Path) -> None:
    schools = {
        ("100001", "Ash Primary"): {"1a-1": "2", "1a-2": "3"},
        ("100002", "Birch Primary"): {"1a-1": "1", "1a-2": "2"},
    }
    long_text = "evidence " * 5000  # 45,000 characters: an ODS cell may hold more than Excel's
    rows = judgements("edtech-srf", "2026-autumn", schools, {("Ash Primary", "1a-1"): long_text})
    build_report(write_out(tmp_path / "out", rows), school_charts=False)

    book = openpyxl.load_workbook(tmp_path / "out" / "summary.xlsx", read_only=True)
    texts = [v for row in book["Evidence"].iter_rows(values_only=True) for v in row if v]
    cut = [t for t in texts if isinstance(t, str) and t.startswith("evidence evidence")]
    assert len(cut) == 1 and len(cut[0]) <= 32_767
    assert cut[0].endswith("[... cut: the full text is in responses.csv]")
    quality = [v for row in book["Data quality"].iter_rows(values_only=True) for v in row if v]
    said = [v for v in quality if isinstance(v, str) and "more than 32,767 characters" in v]
    assert len(said) == 1 and "'Evidence'!" in said[0]


SNEAKY = "<r><t>a</t></r></si><si><r><t>=1+1</t></r>"  # markup xlsxwriter would pass through


@pytest.mark.parametrize("constant_memory", [False, True])
def test_text_shaped_like_rich_text_is_written_as_typed(tmp_path: Path, constant_memory) -> None:
    """xlsxwriter writes a string that starts <r> and ends </r> unescaped, as its own rich text."""
    import xlsxwriter

    from sheetreview.core import xlsx

    path = tmp_path / "t.xlsx"
    book = xlsxwriter.Workbook(path, xlsx.options(constant_memory=constant_memory))
    sheet = book.add_worksheet()
    bold = book.add_format({"bold": True})
    xlsx.write_text(sheet, 0, 0, SNEAKY)
    xlsx.write_text(sheet, 1, 0, SNEAKY, bold)
    xlsx.write_text(sheet, 2, 0, "plain")
    book.close()
    ws = openpyxl.load_workbook(path).active
    assert [ws.cell(r, 1).value for r in (1, 2, 3)] == [SNEAKY, SNEAKY, "plain"]
    assert ws.cell(2, 1).font.b


def test_a_school_named_like_rich_text_gets_its_name_in_its_workbook(tmp_path: Path) -> None:
    from sheetreview.framework import builtin
    from sheetreview.schools import School
    from sheetreview.workbook import write_workbook

    path = write_workbook(
        builtin("edtech-srf"), tmp_path / "w.xlsx", school=School("100001", SNEAKY)
    )
    values = [c.value for ws in openpyxl.load_workbook(path) for row in ws.iter_rows() for c in row]
    assert SNEAKY in values
