"""What every workbook the tool writes has in common: text stays text, rows fit, pages print.

xlsxwriter turns a string that looks like a formula, a URL or a number into one unless told not
to; text from a return must never become a live formula or link, so every workbook is opened with
`WORKBOOK_OPTIONS` and text goes through `write_string`.
"""

from __future__ import annotations

import math
from typing import Any

WORKBOOK_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}
MAX_ROW_HEIGHT = 409.0  # Excel's limit, in points
MAX_CELL_CHARS = 32_767  # Excel's limit for one cell
A4 = 9  # xlsxwriter's paper code


def options(**extra: Any) -> dict[str, Any]:
    """The text-safe options, plus any others (constant_memory, ...)."""
    return {**WORKBOOK_OPTIONS, **extra}


def wrapped_lines(text: str, width: float, chars_per_width: float = 1.1) -> int:
    """Lines `text` takes when wrapped in a column `width` wide (spreadsheet programs do not grow
    rows that xlsxwriter writes, so the height must be set; this is a fair estimate)."""
    per_line = max(1, int(width * chars_per_width))
    return sum(max(1, math.ceil(len(part) / per_line)) for part in str(text).split("\n"))


def row_height(
    texts_and_widths: list[tuple[str, float]],
    *,
    line_points: float = 15.0,
    chars_per_width: float = 1.1,
    minimum: float = 15.0,
    padding: float = 0.0,
) -> float:
    """The height a row needs for the tallest of its wrapped texts, within Excel's limit."""
    lines = max((wrapped_lines(t, w, chars_per_width) for t, w in texts_and_widths), default=1)
    return min(MAX_ROW_HEIGHT, max(minimum, lines * line_points + padding))


def print_a4(sheet: Any, *, landscape: bool = True, repeat_row: int | None = None) -> None:
    """A4, one page wide and as many tall as needed, header row repeated on every page."""
    if landscape:
        sheet.set_landscape()
    else:
        sheet.set_portrait()
    sheet.set_paper(A4)
    sheet.fit_to_pages(1, 0)
    if repeat_row is not None:
        sheet.repeat_rows(repeat_row)


def fit_cell_text(text: str) -> tuple[str, bool]:
    """Text cut to what one cell holds, and whether it was cut (the cut must be said)."""
    if len(text) <= MAX_CELL_CHARS:
        return text, False
    note = " [... cut: the full text is in responses.csv]"
    return text[: MAX_CELL_CHARS - len(note)] + note, True
