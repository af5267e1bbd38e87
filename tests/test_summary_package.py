"""summary.xlsx with its Evidence rows made and deflated in a worker process, spliced in at close.

The spliced workbook must hold the same parts, byte for byte, as xlsxwriter writing every cell
itself into a zip made by Python's zipfile; the zip must be one that zipfile, openpyxl and
LibreOffice read; and text from a return that looks like the splice marker must stay text.
"""

from __future__ import annotations

import multiprocessing
import re
import zipfile
import zlib
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

import openpyxl
import pytest
from conftest import need
from hypothesis import given
from hypothesis import strategies as st
from test_benchmarks import write_out
from test_summary_writer import hostile_rows, parts, write

from devtools import office
from sheetreview.core import out, xlsx
from sheetreview.report import benchmarks as bm
from sheetreview.report import build, package, summary


@given(st.binary(max_size=300), st.binary(max_size=3000))
def test_crc32_combine_is_the_crc_of_the_joined_data(a, b):
    assert package.crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)


def test_crc32_combine_over_megabytes():
    a, b = b"head" * 1000, bytes(range(256)) * 40_000
    assert package.crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)


def _write_with(out_dir: Path, path: Path, submit=None) -> Path:
    files = out.read_table(out_dir, out.FILES, build.FILES_COLUMNS, missing_ok=True)
    problems = out.read_table(out_dir, out.PROBLEMS, build.PROBLEMS_COLUMNS, missing_ok=True)
    responses = build.load_responses(out_dir, files)
    bench = bm.compute(responses, build.load_frameworks(out_dir, responses))
    return summary.write_summary(path, bench, files=files, problems=problems, submit=submit)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    return write_out(tmp_path_factory.mktemp("out"), hostile_rows())


@pytest.fixture(scope="module")
def by_zipfile(hostile, tmp_path_factory) -> Path:
    """Written cell by cell by xlsxwriter and zipped by Python's zipfile, as before splicing."""
    path = tmp_path_factory.mktemp("zipfile") / "summary.xlsx"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(summary.Sheet, "fast", False)
        mp.setattr(summary.package, "close", lambda wb, made: xlsx.close_quickly(wb))
        return write(hostile, path)


NO_FORKSERVER = "forkserver" not in multiprocessing.get_all_start_methods()


@pytest.mark.parametrize(
    ("method", "part_rows"),
    [
        ("spawn", 10_000),
        pytest.param(
            "forkserver", 3,
            marks=pytest.mark.skipif(NO_FORKSERVER, reason="Windows has no forkserver: spawn is"
                                     " what its workers use, tested beside"),
        ),
    ],
)  # fmt: skip
def test_rows_made_in_a_worker_give_the_workbook_xlsxwriter_writes(
    hostile, by_zipfile, tmp_path, monkeypatch, method, part_rows
):
    """The Evidence, Matrix and Schools sheets' rows are made by a worker and spliced in."""
    monkeypatch.setattr(summary, "PART_ROWS", part_rows)  # 3: the rows in several parts
    context = multiprocessing.get_context(method)
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        spliced = _write_with(hostile, tmp_path / "summary.xlsx", pool.submit)
    assert parts(spliced) == parts(by_zipfile)
    with zipfile.ZipFile(spliced) as z:
        assert z.testzip() is None
        sheets = [z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        evidence = z.read("xl/worksheets/sheet5.xml")
    assert not [s for s in sheets if b"<!--sheetreview" in s] and b"_x0007_" in evidence


def test_the_same_workbook_when_the_rows_are_made_in_this_process(hostile, by_zipfile, tmp_path):
    assert parts(write(hostile, tmp_path / "summary.xlsx")) == parts(by_zipfile)


def test_parts_no_worker_has_started_are_made_by_the_writing_process(
    hostile, by_zipfile, tmp_path, monkeypatch
):
    monkeypatch.setattr(summary, "PART_ROWS", 4)
    waiting: list[Future] = []

    def submit(fn, *args) -> Future:  # a pool whose workers never get to these parts
        waiting.append(Future())
        return waiting[-1]

    spliced = _write_with(hostile, tmp_path / "summary.xlsx", submit)
    # The Evidence sheet's rows in parts of 4, and the Matrix and Schools sheets' (4 schools)
    assert len(waiting) > 4 and all(f.cancelled() for f in waiting)
    assert parts(spliced) == parts(by_zipfile)


def test_text_that_looks_like_the_marker_stays_text(tmp_path):
    rows = hostile_rows()
    sneaky = package.marker("sheet5-row4")
    rows[0]["evidence"] = sneaky
    rows[1]["next_steps"] = package.marker("sheet1-row1")
    path = write(write_out(tmp_path / "out", rows), tmp_path / "summary.xlsx")
    values = {c for row in openpyxl.load_workbook(path)["Evidence"].iter_rows(values_only=True)
              for c in row}  # fmt: skip
    assert {sneaky, package.marker("sheet1-row1")} <= values


def test_a_part_that_finds_no_place_is_an_error(tmp_path):
    part = package.Deflater()
    part.add("<row/>")
    with pytest.raises(ValueError, match="no place"):
        zip_file = package.PackageZip(tmp_path / "x.zip", parts={"k": part.done()})
        zip_file.writestr("a.xml", "<a/>")
        zip_file.close()


def test_package_zip_members_read_back_as_written(tmp_path):
    rows = package.Deflater()
    for i in range(3000):
        rows.add(f'<row r="{i}"><c><v>{i}</v></c></row>')
    zip_file = package.PackageZip(tmp_path / "x.zip", parts={"k": rows.done()})
    zip_file.writestr("plain.xml", "<a>\u00e9</a>")
    zip_file.writestr(zipfile.ZipInfo("empty.xml", (1980, 1, 1, 0, 0, 0)), b"")
    zip_file.writestr("sheet.xml", f"<sheetData>{package.marker('k')}</sheetData>")
    zip_file.close()
    with zipfile.ZipFile(tmp_path / "x.zip") as z:
        assert z.testzip() is None
        assert z.read("plain.xml").decode() == "<a>\u00e9</a>" and z.read("empty.xml") == b""
        expected = "".join(f'<row r="{i}"><c><v>{i}</v></c></row>' for i in range(3000))
        assert z.read("sheet.xml").decode() == f"<sheetData>{expected}</sheetData>"


@pytest.mark.office
def test_libreoffice_reads_every_evidence_cell_of_the_spliced_workbook(hostile, tmp_path):
    need(office.have_libreoffice(), "LibreOffice")
    spliced = write(hostile, tmp_path / "summary.xlsx")
    again = office.libreoffice_convert(spliced, tmp_path / "lo", "xlsx")
    ours = openpyxl.load_workbook(spliced)["Evidence"]
    theirs = openpyxl.load_workbook(again)["Evidence"]
    assert ours.max_row == theirs.max_row > 10
    for a, b in zip(ours.iter_rows(values_only=True), theirs.iter_rows(values_only=True),
                    strict=True):  # fmt: skip
        assert [_cell(x) for x in a] == [_cell(y) for y in b]


def _cell(value: object) -> object:
    """A cell as openpyxl reads it, blank as None. Text with Excel's _xHHHH_ escapes is left out:
    LibreOffice writes a literal "_x0041_" back unescaped (its reading is right, its writing
    lossy); tests/test_summary_writer.py pins those cells to xlsxwriter's own escapes."""
    if value == "":
        return None
    if isinstance(value, str) and re.search(r"_x[0-9a-fA-F]{4}_", value):
        return "(escaped)"
    return value
