"""A table's rows made into worksheet XML and deflated away from the workbook: in a worker process.

summary.py hands the Evidence sheet's rows here (Sheet.table_elsewhere) as plain values and the
style and row-tag strings xlsxwriter would write: what runs in the worker needs no workbook
and no pandas, only the XML writing of core/xlsx.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sheetreview.core import xlsx
from sheetreview.report import package

MAX_LINES = 20  # tallest row, in lines (Excel's limit is 409 points)
CHUNK = 2_000  # rows made into XML at once (their XML is held in memory)


def text_lines(text: str, width: float) -> int:
    """Lines `text` takes when wrapped in a column `width` characters wide (a fair estimate)."""
    return xlsx.wrapped_lines(text, width, chars_per_width=1.2)


def fit_heights(columns: list[list[Any]], widths: list[float]) -> list[float | None]:
    """The height each row of `columns` needs for its wrapped text (None: one line)."""
    n = len(columns[0]) if columns else 0
    most = [1] * n
    for column, width in zip(columns, widths, strict=False):
        per_line = max(1, int(width * 1.2))
        lines = [
            (
                (-(-len(v) // per_line) if "\n" not in v else text_lines(v, width))
                if isinstance(v, str) and len(v) > width
                else 1
            )
            for v in column
        ]
        most = list(map(max, most, lines))
    return [15.0 * min(lines, MAX_LINES) if lines > 1 else None for lines in most]


# Every height fit_heights gives.
ROW_HEIGHTS = (None, *(15.0 * lines for lines in range(2, MAX_LINES + 1)))


@dataclass(frozen=True)
class RowsJob:
    """Rows of a table to be made into XML elsewhere: the values as Sheet._cells gives them,
    each column's styles (xlsx.Styles), the column widths to fit row heights to (None: none
    fitted), and each row's tag by height (xlsx.RowWriter.row_tag)."""

    first_row: int
    columns: list[list[Any]]
    styles: list[xlsx.Styles]
    defaults: list[str]
    widths: list[float] | None
    names: list[str]
    tags: dict[float | None, str | None]
    plain: str


@dataclass(frozen=True)
class RowsMade:
    """A table's rows deflated, with the first and last row and column written (None: none)."""

    part: package.Deflated
    corners: tuple[int, int, int, int] | None


def make_rows(job: RowsJob) -> RowsMade:
    """A task for a worker process: the XML of `job`'s rows, deflated, a few thousand at a time
    (the XML of 2,000 returns' evidence is 46 MB)."""
    deflater = package.Deflater()
    rows: list[int] = []
    cols: list[int] = []
    n = len(job.columns[0])
    for start in range(0, n, CHUNK):
        part = slice(start, start + CHUNK)
        columns = [column[part] for column in job.columns]
        heights = (
            fit_heights(columns, job.widths) if job.widths is not None else [None] * len(columns[0])
        )
        cells = [
            xlsx.cells_xml(values, styles[part] if isinstance(styles, list) else styles, default)
            for values, styles, default in zip(columns, job.styles, job.defaults, strict=True)
        ]
        tags = [job.tags[height] for height in heights]
        xml, written, used = xlsx.rows_xml(job.first_row + start, cells, job.names, tags, job.plain)
        deflater.add(xml)
        if written:
            rows += [written[0], written[-1]]
            cols += [used[0], used[-1]]
    corners = (min(rows), min(cols), max(rows), max(cols)) if rows else None
    return RowsMade(deflater.done(), corners)
