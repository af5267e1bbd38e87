"""One moderation workbook: the school's judgements beside an empty moderated level per aspect.

A moderator reads the school's level, evidence and next steps (locked: they are the school's, and
a moderation must not rewrite them), chooses a moderated level from a dropdown and writes a
comment. The workbook is protected like a return and carries its own identity (the return's keys
plus `workbook_kind: moderation`, in document properties and a very hidden sheet), so ingest reads
it as a moderation and never as the school's return.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xlsxwriter

from sheetreview import layout
from sheetreview.core import fs, xlsx
from sheetreview.framework import Framework
from sheetreview.schools import School
from sheetreview.workbook import identity_values

HEADER_ROW = 3  # 0-based: row 4, within layout.HEADER_SEARCH_ROWS
COLUMNS = (
    (layout.CODE_HEADER, 9),
    (layout.TITLE_HEADER, 28),
    (layout.SCHOOL_LEVEL_HEADER, 14),
    (layout.EVIDENCE_HEADER, 45),
    (layout.NEXT_STEPS_HEADER, 35),
    (layout.MODERATED_LEVEL_HEADER, 16),
    (layout.MODERATOR_COMMENT_HEADER, 40),
)
LEVEL_COL = 5
COMMENT_COL = 6


@dataclass(frozen=True)
class Judged:
    """What the school said about one aspect."""

    level: str
    evidence: str = ""
    next_steps: str = ""


def write_moderation_workbook(
    fw: Framework,
    path: Path,
    *,
    school: School,
    round_label: str,
    judged: Mapping[str, Judged],
    moderated: Mapping[str, tuple[str, str]] | None = None,
) -> Path:
    """Write the workbook atomically; `moderated` fills in {code: (level, comment)} (for tests
    and the bundled sample, as a moderator would)."""
    return fs.write_atomic(
        Path(path), lambda tmp: _build(fw, tmp, school, round_label, judged, moderated or {})
    )


def _build(
    fw: Framework,
    path: Path,
    school: School,
    round_label: str,
    judged: Mapping[str, Judged],
    moderated: Mapping[str, tuple[str, str]],
) -> None:
    book = xlsxwriter.Workbook(str(path), xlsx.options(in_memory=True))  # no temporary files
    fmt = _formats(book)
    sheet = book.add_worksheet(layout.MODERATION_SHEET)
    lists = book.add_worksheet(layout.LISTS_SHEET)
    identity = book.add_worksheet(layout.IDENTITY_SHEET)
    _title(sheet, fw, school, round_label, fmt)
    for col, (text, width) in enumerate(COLUMNS):
        sheet.set_column(col, col, width)
        xlsx.write_text(sheet, HEADER_ROW, col, text, fmt["header"])
    row = HEADER_ROW + 1
    for aspect in fw.aspects:
        said = judged.get(aspect.code, Judged(""))
        level, comment = moderated.get(aspect.code, ("", ""))
        cells = (aspect.code, aspect.title, said.level or "not judged", said.evidence,
                 said.next_steps)  # fmt: skip
        for col, text in enumerate(cells):
            _text(sheet, row, col, text, fmt["fixed"])
        _text(sheet, row, LEVEL_COL, level, fmt["input"])
        _text(sheet, row, COMMENT_COL, comment, fmt["input"])
        sheet.data_validation(
            row, LEVEL_COL, row, LEVEL_COL,
            {"validate": "list", "source": f"={layout.LEVELS_NAME}",
             "error_title": "Not a level",
             "error_message": "Choose a level from the list (or leave it blank)."},
        )  # fmt: skip
        texts = [(aspect.title, 28), (said.evidence, 45), (said.next_steps, 35), (comment, 40)]
        sheet.set_row(row, xlsx.row_height(texts))
        row += 1
    sheet.freeze_panes(HEADER_ROW + 1, 2)
    xlsx.print_a4(sheet, repeat_row=HEADER_ROW)
    _protect(sheet)
    _lists(book, lists, fw, fmt)
    _identity(book, identity, fw, school, round_label, fmt)
    book.set_properties({"title": f"Moderation: {school.name} ({fw.id}, {round_label})"})
    book.close()


def _formats(book: Any) -> dict[str, Any]:
    base = {"text_wrap": True, "valign": "top", "border": 1, "border_color": "#BFBFBF"}
    return {
        "title": book.add_format({"bold": True, "font_size": 14}),
        "note": book.add_format({"text_wrap": True, "valign": "top", "italic": True}),
        "header": book.add_format(
            {**base, "bold": True, "font_color": "#FFFFFF", "bg_color": "#1F4E79"}
        ),  # fmt: skip
        "fixed": book.add_format({**base, "locked": True}),
        "input": book.add_format({**base, "locked": False, "bg_color": "#FFF2CC"}),
        "text": book.add_format({"locked": True}),
    }


def _text(sheet: Any, row: int, col: int, text: str, cell_format: Any) -> None:
    # Evidence is the school's own text: always a string, never a formula or a link.
    shown, _cut = xlsx.fit_cell_text(str(text or ""))
    if shown:
        xlsx.write_text(sheet, row, col, shown, cell_format)
    else:
        sheet.write_blank(row, col, None, cell_format)


def _title(sheet: Any, fw: Framework, school: School, round_label: str, fmt: dict) -> None:
    sheet.merge_range(0, 0, 0, 6, "", fmt["title"])
    xlsx.write_text(sheet, 0, 0, f"Moderation: {school.name} ({school.urn})", fmt["title"])
    what = f"{fw.title} ({fw.id} {fw.version}), round {round_label}"
    sheet.merge_range(1, 0, 1, 6, "", fmt["note"])
    xlsx.write_text(sheet, 1, 0, what, fmt["note"])
    hint = (
        f"For each aspect you moderate, choose '{layout.MODERATED_LEVEL_HEADER}' from the list "
        f"and say why in '{layout.MODERATOR_COMMENT_HEADER}'. Leave aspects you did not look at "
        "blank. The school's own columns are locked."
    )
    sheet.merge_range(2, 0, 2, 6, "", fmt["note"])
    xlsx.write_text(sheet, 2, 0, hint, fmt["note"])
    sheet.set_row(2, 32)


def _protect(sheet: Any) -> None:
    # No password, as in a return: protection guards against accidents.
    sheet.protect("", {"format_columns": True, "format_rows": True})


def _lists(book: Any, sheet: Any, fw: Framework, fmt: dict) -> None:
    for i, level in enumerate(fw.levels):
        xlsx.write_text(sheet, i, 0, level.label, fmt["text"])
    book.define_name(layout.LEVELS_NAME, f"='{layout.LISTS_SHEET}'!$A$1:$A${len(fw.levels)}")
    sheet.hide()
    _protect(sheet)


def identity(fw: Framework, school: School, round_label: str) -> dict[str, str]:
    """A return's identity keys, and the kind that makes it a moderation."""
    values = identity_values(fw, school, round_label)
    values[layout.KIND_KEY] = layout.MODERATION_KIND
    return values


def _identity(
    book: Any, sheet: Any, fw: Framework, school: School, round_label: str, fmt: dict
) -> None:
    for i, (key, value) in enumerate(identity(fw, school, round_label).items()):
        xlsx.write_text(sheet, i, 0, key, fmt["text"])
        xlsx.write_text(sheet, i, 1, value, fmt["text"])
        book.set_custom_property(layout.PROPERTY_PREFIX + key, value, "text")
    sheet.very_hidden()
    _protect(sheet)
