"""The reader's XML bounding agrees with calamine on the sheet as the school saved it.

`read.returns` measures a sheet from its XML and, when it reaches beyond a return's area, removes
the cells outside before calamine builds its grid (a stray value at XFD1048576 would otherwise
cost gigabytes). That is only safe if the trimmed sheet reads, inside the area, exactly as the
untrimmed one does, and if every value removed is reported. Sheets are generated with stray
cells, merged ranges, numbers and shared strings; calamine on the whole sheet is the oracle.
"""

from __future__ import annotations

import io
import zipfile

import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from sheetreview.read.returns import MAX_COLS, MAX_ROWS, address, trim_xlsx_sheet, xlsx_extent

SHEET_PART = "xl/worksheets/sheet1.xml"

inside = st.tuples(st.integers(0, MAX_ROWS - 1), st.integers(0, MAX_COLS - 1))
beyond = st.one_of(
    st.tuples(st.integers(MAX_ROWS, MAX_ROWS + 600), st.integers(0, MAX_COLS + 60)),
    st.tuples(st.integers(0, MAX_ROWS + 600), st.integers(MAX_COLS, MAX_COLS + 60)),
)
values = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1),
    st.integers(-1000, 1000),
)


def _workbook(cells: dict[tuple[int, int], object], merges: list[tuple[int, int]]) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False})
    ws = wb.add_worksheet("Review")
    taken = set(cells)
    for r, c in merges:
        block = {(r + i, c + j) for i in range(2) for j in range(2)}
        if block & taken:
            continue
        taken |= block
        ws.merge_range(r, c, r + 1, c + 1, "merged")
    for (r, c), v in cells.items():
        if isinstance(v, str):
            ws.write_string(r, c, v)
        else:
            ws.write_number(r, c, v)
    wb.close()
    return buf.getvalue()


def _grid(data: bytes) -> list[list[object]]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    rows = book.get_sheet_by_name("Review").to_python(skip_empty_area=False)
    return [[_plain(v) for v in row[:MAX_COLS]] for row in rows[:MAX_ROWS]]


def _plain(value: object) -> object:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _with_part(data: bytes, part: str, body: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, body if info.filename == part else zin.read(info))
    return out.getvalue()


def _trimmed_rows(grid: list[list[object]]) -> list[list[object]]:
    """A grid without its empty trailing rows and columns (calamine stops at the last value)."""
    rows = [list(r) + [""] * (MAX_COLS - len(r)) for r in grid]
    while rows and all(v in ("", None) for v in rows[-1]):
        rows.pop()
    return [[("" if v is None else v) for v in r] for r in rows]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(inside, values, max_size=25),
    st.dictionaries(beyond, values, max_size=6),
    st.lists(inside, max_size=3),
)
def test_trimmed_sheet_reads_like_the_whole_sheet_inside_the_area(
    near: dict, stray: dict, merges: list
) -> None:
    data = _workbook({**near, **stray}, merges)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = z.read(SHEET_PART)

    rows, cols, exact = xlsx_extent(xml)
    whole = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name("Review")
    assert exact
    assert rows >= whole.height and cols >= whole.width  # the extent never under-measures

    trimmed, outside = trim_xlsx_sheet(xml)
    t_rows, t_cols, _ = xlsx_extent(trimmed)
    assert t_rows <= MAX_ROWS and t_cols <= MAX_COLS
    assert _trimmed_rows(_grid(_with_part(data, SHEET_PART, trimmed))) == _trimmed_rows(_grid(data))

    placed = {(r, c) for r, c in stray if r >= MAX_ROWS or c >= MAX_COLS}
    if placed:
        first = min(placed)  # reading order: row by row, left to right
        assert outside == address(*first)
    else:
        assert outside == ""
