"""Framework (+ school) -> the self-review workbook a school fills in.

The workbook has two readers: a person choosing levels in Excel, LibreOffice, Google Sheets or
Numbers, and `ingest`, which finds everything by the names in layout.py. So every label, header and
sheet name comes from layout.py, and every choice here serves one of those readers: descriptors side
by side so a level is chosen after reading them all, a dropdown whose source is a named range (an
inline list is capped at 255 characters and rewritten by LibreOffice), protection so that only the
answer cells can be typed in, and an identity stored twice because spreadsheet programs drop one or
the other.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xlsxwriter
import xlsxwriter.worksheet
from xlsxwriter.utility import xl_rowcol_to_cell

from sheetreview import __version__, layout
from sheetreview.core import fs, xlsx
from sheetreview.errors import OutputError, SheetreviewError
from sheetreview.framework import Aspect, Framework
from sheetreview.schools import School

FONT = "Arial"  # metric-compatible Liberation Sans on Linux, so LibreOffice wraps as Excel does
BODY_SIZE = 9
MAX_ROW_HEIGHT = xlsx.MAX_ROW_HEIGHT
LINE_HEIGHT = 12.0  # points per wrapped line of 9 pt Arial
CHARS_PER_WIDTH = (
    1.45  # 9 pt Arial characters per unit of column width (about 1.6), kept low for safety
)
# The Start sheet's notes run across one wide column, where a line's worth of characters is
# most at risk: LibreOffice wrapped a 130-character source that 1.45 said fits on one line.
START_CHARS_PER_WIDTH = 1.3
START_TEXT_WIDTH = 90
REVIEW_HEADER_ROW = 2  # 0-based: row 3 in the spreadsheet, within layout.HEADER_SEARCH_ROWS
GUIDANCE_HEADER_ROW = 2
PREVIOUS_LEVEL_HEADER = layout.PREVIOUS_LEVEL_HEADER
PREVIOUS_EVIDENCE_HEADER = layout.PREVIOUS_EVIDENCE_HEADER
SUMMARY_TEXT = (
    "No descriptors of its own: looking at the aspects above, choose the level that best sums "
    "them up."
)
HOW_TO = (
    "Fill in the yellow cells on this sheet: the date of assessment, who completed it and who "
    "took part.",
    f"On the '{layout.REVIEW_SHEET}' sheet, read each row's descriptors from left (least "
    "developed) to right (most developed).",
    f"Choose the level that best fits your school from the dropdown in the yellow "
    f"'{layout.LEVEL_HEADER}' cell, or type it exactly as the list shows it.",
    f"Write your evidence and next steps beside it; '{layout.PROFILE_SHEET}' updates as you go.",
    "Save the file (keep it as .xlsx, do not rename or delete sheets) and send it back.",
)
FIXED_TIME = dt.datetime(2024, 1, 1, 0, 0, 0)


class WorkbookError(SheetreviewError):
    """The workbook could not be written (a spreadsheet limit was hit, or the disk refused)."""


@dataclass(frozen=True)
class Filled:
    """An answer written into the input cells, as if a school had chosen it."""

    level: str | None
    evidence: str = ""
    next_steps: str = ""


def write_workbook(
    fw: Framework,
    path: str | Path,
    *,
    school: School | None = None,
    round_label: str | None = None,
    filled: Mapping[str, Filled] | None = None,
    assessment_date: dt.date | None = None,
    previous: Mapping[str, Filled] | None = None,
    completed_by: str = "",
    participants: str = "",
    created: dt.datetime | None = None,
) -> Path:
    """Write the workbook for `fw` (personalised when `school` is given) to `path`, atomically.

    `filled` and the Start fields pre-answer the workbook (sample cohort, benchmarks, tests);
    `previous` shows an earlier round's answers in locked columns beside the new dropdown.
    `created` fixes the document time (templates are byte-for-byte reproducible).
    """
    path = Path(path)
    unknown = sorted(set(filled or {}) - {a.code for a in fw.aspects})
    if unknown:
        raise ValueError(f"filled names aspects not in {fw.id}: {', '.join(unknown)}")
    spec = _Spec(
        fw, school, round_label or "", dict(filled or {}), assessment_date,
        dict(previous) if previous is not None else None, completed_by, participants,
        created or dt.datetime.now().replace(microsecond=0),
    )  # fmt: skip

    def build(tmp: Path) -> None:
        with warnings.catch_warnings():
            # xlsxwriter reports many limits (long strings, bad ranges) only as warnings.
            warnings.simplefilter("error")
            _build(spec, str(tmp))

    try:
        fs.write_atomic(path, build)
    except Warning as exc:
        raise WorkbookError(f"{path}: could not be written: {exc}") from None
    except OutputError as exc:
        raise WorkbookError(str(exc)) from None
    except OSError as exc:
        raise WorkbookError(f"{path}: could not be written ({exc.strerror or exc})") from None
    return path


@dataclass
class _Spec:
    fw: Framework
    school: School | None
    round_label: str
    filled: dict[str, Filled]
    assessment_date: dt.date | None
    previous: dict[str, Filled] | None
    completed_by: str
    participants: str
    created: dt.datetime


def _ok(rc: Any, what: str) -> None:
    """xlsxwriter signals a refused write by a non-zero return code, not an exception."""
    if rc not in (0, None):
        reasons = {-1: "outside the sheet's limits", -2: "text longer than 32,767 characters"}
        raise WorkbookError(f"could not write {what} ({reasons.get(rc, f'code {rc}')})")


class _Sheet(xlsxwriter.worksheet.Worksheet):
    """A worksheet that prepares each formula once per process.

    xlsxwriter rewrites every formula (and every validation and conditional-format formula)
    with some fifty regular expressions, looking for newer Excel functions to prefix: over half
    of the time of a workbook. A round's workbooks share their formulas cell for cell, so each
    is prepared once, with xlsxwriter's own rules, and remembered.
    """

    def _prepare_formula(self, formula: str, expand_future_functions: bool = False) -> str:
        key = (formula, expand_future_functions, self.use_future_functions)
        prepared = _PREPARED.get(key)
        if prepared is None:
            prepared = super()._prepare_formula(formula, expand_future_functions)
            if len(_PREPARED) >= _PREPARED_KEPT:
                _PREPARED.clear()
            _PREPARED[key] = prepared
        return prepared


_PREPARED: dict[tuple[str, bool, bool], str] = {}
_PREPARED_KEPT = 20_000


def _build(spec: _Spec, filename: str) -> None:
    book = xlsxwriter.Workbook(
        filename,
        xlsx.options(
            in_memory=True,
            # Arial (Liberation Sans wherever LibreOffice is) for column widths too: a Calibri
            # default is replaced by a wider font where it is missing, and the page breaks move.
            default_format_properties={"font_name": FONT, "font_size": 10},
        ),
    )
    fmt = _Formats(book)
    start = book.add_worksheet(layout.START_SHEET, _Sheet)
    review = book.add_worksheet(layout.REVIEW_SHEET, _Sheet)
    guidance = book.add_worksheet(layout.GUIDANCE_SHEET, _Sheet) if _has_guidance(spec.fw) else None
    profile = book.add_worksheet(layout.PROFILE_SHEET, _Sheet)
    lists = book.add_worksheet(layout.LISTS_SHEET, _Sheet)
    identity = book.add_worksheet(layout.IDENTITY_SHEET, _Sheet)
    _write_lists(book, lists, spec.fw, fmt)
    _write_start(start, spec, fmt)
    cols = _ReviewColumns(spec.fw, spec.previous is not None)
    rows = _write_review(review, spec, cols, fmt)
    if guidance is not None:
        _write_guidance(guidance, spec.fw, fmt)
    _write_profile(book, profile, spec, cols, rows, fmt)
    _write_identity(book, identity, spec, fmt)
    book.set_properties(
        {
            "title": f"{spec.fw.title}: self-review",
            "subject": spec.school.name if spec.school else "",
            "author": "sheetreview",
            "comments": f"Made by sheetreview {__version__} for framework {spec.fw.id}",
            "created": spec.created,
        }
    )
    start.activate()
    book.close()


# --- formats ----------------------------------------------------------------------------------


class _Formats:
    INPUT = "#FFF5CC"
    LOCKED = "#F2F2F2"
    HEADER = "#1F4E79"
    BAND = "#DDEBF7"

    def __init__(self, book: xlsxwriter.Workbook) -> None:
        base = {"font_name": FONT, "font_size": BODY_SIZE, "valign": "top", "text_wrap": True}

        def add(**props: Any) -> Any:
            return book.add_format({**base, **props})

        self.text = add()
        self.bold = add(bold=True)
        self.code = add(bold=True)
        self.title = add(bold=True, font_size=14, text_wrap=False, valign="vcenter")
        self.subtitle = add(italic=True, font_size=10, text_wrap=False)
        self.section = add(bold=True, font_size=11, bottom=1, text_wrap=False, valign="bottom")
        self.header = add(bold=True, font_color="#FFFFFF", bg_color=self.HEADER, border=1)
        self.band = add(bold=True, bg_color=self.BAND, font_size=10)
        self.cell = add(border=1, border_color="#BFBFBF")
        self.summary = add(border=1, border_color="#BFBFBF", italic=True)
        self.input = add(locked=False, bg_color=self.INPUT, border=1, border_color="#BFBFBF")
        # Text format: a typed 3 stays the text "3" (as in the Lists range) in Excel, LibreOffice
        # and Gnumeric, instead of becoming the number 3 that a list of texts rejects.
        self.input_level = add(
            locked=False, bg_color=self.INPUT, border=2, border_color="#7F6000", bold=True,
            num_format="@",
        )  # fmt: skip
        self.input_date = add(
            locked=False, bg_color=self.INPUT, border=1, border_color="#BFBFBF",
            num_format="dd/mm/yyyy", align="left",
        )  # fmt: skip
        self.fixed = add(bg_color=self.LOCKED, border=1, border_color="#BFBFBF")
        self.next_level = add(border=1, border_color="#BFBFBF", font_color="#404040")
        self.number = add(border=1, border_color="#BFBFBF", align="center")
        self.note = add(italic=True, font_color="#595959", text_wrap=False)


def _protect(sheet: Any) -> None:
    # No password: protection guards against accidents, it is not security. Row heights and
    # column widths stay adjustable so long evidence can be made visible.
    sheet.protect("", {"format_columns": True, "format_rows": True})


def _print_setup(sheet: Any, repeat_row: int | None = None, pages_tall: int = 0) -> None:
    sheet.set_landscape()
    sheet.set_paper(xlsx.A4)
    sheet.fit_to_pages(1, pages_tall)  # one page wide; 0 = as many pages tall as needed
    sheet.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    _ok(sheet.set_footer("&L&A&RPage &P of &N"), "the page footer")
    if repeat_row is not None:
        _ok(sheet.repeat_rows(repeat_row), "the repeated header row")


def _put(sheet: Any, row: int, col: int, text: str, cell_format: Any = None) -> None:
    """User and framework text is always text: never a formula, link or number."""
    where = f"{sheet.name}!{_addr(row, col)}"
    if text == "":  # a truly empty cell, not an empty string, so "blank" means blank
        _ok(sheet.write_blank(row, col, None, cell_format), where)
    else:
        _ok(xlsx.write_text(sheet, row, col, text, cell_format), where)


def _width(sheet: Any, first: int, last: int, width: float) -> None:
    _ok(sheet.set_column(first, last, width), f"the width of {sheet.name} columns")


def _height(sheet: Any, row: int, height: float) -> None:
    _ok(sheet.set_row(row, height), f"the height of {sheet.name} row {row + 1}")


def _section(sheet: Any, row: int, text: str, fmt: _Formats, cols: int) -> None:
    _put(sheet, row, 0, text, fmt.section)
    for col in range(1, cols):
        _ok(sheet.write_blank(row, col, None, fmt.section), "a section heading")
    _height(sheet, row, 22)


def _addr(row: int, col: int, absolute: bool = False) -> str:
    return xl_rowcol_to_cell(row, col, row_abs=absolute, col_abs=absolute)


def _formula(sheet: Any, row: int, col: int, formula: str, cell_format: Any, value: Any) -> None:
    # The cached value is what viewers that do not recalculate (and ingest) see.
    rc = sheet.write_formula(row, col, formula, cell_format, value)
    _ok(rc, f"the formula in {sheet.name}!{_addr(row, col)}")


def _row_height(
    texts_and_widths: list[tuple[str, float]],
    minimum: float = 15.0,
    chars_per_width: float = CHARS_PER_WIDTH,
) -> float:
    """Estimate the height a row needs for its wrapped texts; Excel does not do it for us."""
    return xlsx.row_height(
        texts_and_widths,
        line_points=LINE_HEIGHT,
        chars_per_width=chars_per_width,
        minimum=minimum,
        padding=4,
    )


def _start_height(text: str) -> float:
    """The height of a row of the Start sheet's wide column of notes."""
    return _row_height([(text, START_TEXT_WIDTH)], chars_per_width=START_CHARS_PER_WIDTH)


# --- Lists and Identity (hidden) --------------------------------------------------------------


def _write_lists(book: Any, sheet: Any, fw: Framework, fmt: _Formats) -> None:
    for i, level in enumerate(fw.levels):
        _put(sheet, i, 0, level.label, fmt.text)
        _ok(sheet.write_number(i, 1, level.rank, fmt.text), "a level rank")
    name = layout.LISTS_SHEET
    ref = f"='{name}'!$A$1:$A${len(fw.levels)}"
    _ok(book.define_name(layout.LEVELS_NAME, ref), "the named range of levels")
    _width(sheet, 0, 0, 24)
    sheet.hide()
    _protect(sheet)


def identity_values(spec_fw: Framework, school: School | None, round_label: str) -> dict[str, str]:
    """What a return says about itself: layout.IDENTITY_KEYS, all text."""
    return {
        "format": layout.FORMAT_VERSION,
        "framework_id": spec_fw.id,
        "framework_version": spec_fw.version,
        "content_hash": spec_fw.content_hash,
        "school_urn": school.urn if school else "",
        "school_name": school.name if school else "",
        "round": round_label,
        "generator_version": __version__,
    }


def _write_identity(book: Any, sheet: Any, spec: _Spec, fmt: _Formats) -> None:
    values = identity_values(spec.fw, spec.school, spec.round_label)
    for i, key in enumerate(layout.IDENTITY_KEYS):
        _put(sheet, i, 0, key, fmt.text)
        _put(sheet, i, 1, values[key], fmt.text)
        rc = book.set_custom_property(layout.PROPERTY_PREFIX + key, values[key], "text")
        _ok(rc, f"the document property {key}")
    _width(sheet, 0, 1, 30)
    sheet.very_hidden()
    _protect(sheet)


# --- Start ------------------------------------------------------------------------------------


def _start_values(spec: _Spec) -> dict[str, str]:
    s = spec.school
    return {
        "school_name": s.name if s else "",
        "school_urn": s.urn if s else "",
        "la": s.la if s else "",
        "trust": s.trust if s else "",
        "phase": s.phase if s else "",
        "round": spec.round_label,
        "completed_by": spec.completed_by,
        "participants": spec.participants,
    }


def _write_start(sheet: Any, spec: _Spec, fmt: _Formats) -> None:
    fw = spec.fw
    sheet.hide_gridlines(2)
    _width(sheet, 0, 0, 26)
    _width(sheet, 1, 1, START_TEXT_WIDTH)
    _put(sheet, 0, 0, fw.title, fmt.title)
    _height(sheet, 0, 24)
    _put(sheet, 1, 0, "Self-review workbook", fmt.subtitle)
    row = _write_school_fields(sheet, spec, fmt, 3)
    row = _write_how_to(sheet, fmt, row + 1)
    _write_about(sheet, fw, fmt, row + 1)
    _protect(sheet)
    _print_setup(sheet, pages_tall=1)


def _write_school_fields(sheet: Any, spec: _Spec, fmt: _Formats, row: int) -> int:
    _section(sheet, row, "About your school", fmt, 2)
    values = _start_values(spec)
    for key, label in layout.START_FIELDS.items():
        row += 1
        _put(sheet, row, 0, label, fmt.bold)
        _height(sheet, row, 18)
        if key == "assessment_date":
            _write_date_field(sheet, row, spec.assessment_date, fmt)
            continue
        value = values[key]
        # What the generator filled in is the LA's record: locked. What is empty is the school's.
        prefilled = bool(value) and key not in ("completed_by", "participants")
        _put(sheet, row, 1, value, fmt.fixed if prefilled else fmt.input)
        if key == "participants":
            _height(sheet, row, 36)
    return row + 1


def _write_date_field(sheet: Any, row: int, date: dt.date | None, fmt: _Formats) -> None:
    if date is None:
        _ok(sheet.write_blank(row, 1, None, fmt.input_date), "the date of assessment")
    else:
        when = dt.datetime(date.year, date.month, date.day)
        _ok(sheet.write_datetime(row, 1, when, fmt.input_date), "the date of assessment")
    rc = sheet.data_validation(
        row,
        1,
        row,
        1,
        {
            "validate": "date",
            "criteria": "between",
            "minimum": dt.date(2000, 1, 1),
            "maximum": dt.date(2099, 12, 31),
            "input_title": "Date of assessment",
            "input_message": "The date you agreed these levels, e.g. 14/10/2025.",
            "error_title": "Not a date",
            "error_message": "Type the date as day/month/year, e.g. 14/10/2025.",
            "error_type": "warning",
        },
    )
    _ok(rc, "the date validation")


def _write_how_to(sheet: Any, fmt: _Formats, row: int) -> int:
    _section(sheet, row, "How to fill it in", fmt, 2)
    for i, line in enumerate(HOW_TO, start=1):
        row += 1
        _put(sheet, row, 0, f"{i}.", fmt.bold)
        _put(sheet, row, 1, line, fmt.text)
        _height(sheet, row, _start_height(line))
    return row + 1


def _write_about(sheet: Any, fw: Framework, fmt: _Formats, row: int) -> None:
    _section(sheet, row, "About this framework", fmt, 2)
    for label, value in (
        ("Framework", fw.title),
        ("Version", fw.version),
        ("Publisher", fw.publisher),
        ("Licence", fw.licence),
        ("Attribution", fw.attribution),
        ("Source", fw.source),
    ):
        row += 1
        _put(sheet, row, 0, label, fmt.bold)
        _put(sheet, row, 1, value, fmt.text)
        _height(sheet, row, _start_height(value))
    row += 2
    _put(sheet, row, 0, f"Made with sheetreview {__version__}.", fmt.note)


# --- Review -----------------------------------------------------------------------------------


class _ReviewColumns:
    """Where each column of the Review sheet is, and how wide: the order is layout.py's."""

    def __init__(self, fw: Framework, with_previous: bool) -> None:
        n = fw.level_count
        self.n = n
        self.descriptor_width = {2: 36, 3: 32, 4: 28}.get(n, 23)
        self.level_width = max(
            layout.REVIEW_WIDTHS[layout.LEVEL_HEADER], max(len(lv.label) for lv in fw.levels) + 4
        )
        self.text_width = layout.REVIEW_WIDTHS[layout.EVIDENCE_HEADER]
        lead = list(layout.REVIEW_LEAD_COLUMNS)
        self.first_descriptor = len(lead)
        after = list(layout.REVIEW_PREVIOUS_COLUMNS) if with_previous else []
        after += layout.REVIEW_ANSWER_COLUMNS
        self.headers: dict[str, int] = {h: i for i, h in enumerate(lead)}
        self.headers.update({h: self.first_descriptor + n + i for i, h in enumerate(after)})
        self.widths: dict[int, float] = {
            i: layout.REVIEW_WIDTHS.get(h, 0) for h, i in self.headers.items()
        }
        for col in range(self.first_descriptor, self.first_descriptor + n):
            self.widths[col] = self.descriptor_width
        self.code = self.headers[layout.CODE_HEADER]
        self.title = self.headers[layout.TITLE_HEADER]
        self.previous_level = self.headers.get(layout.PREVIOUS_LEVEL_HEADER)
        self.previous_evidence = self.headers.get(layout.PREVIOUS_EVIDENCE_HEADER)
        self.level = self.headers[layout.LEVEL_HEADER]
        self.widths[self.level] = self.level_width
        self.evidence = self.headers[layout.EVIDENCE_HEADER]
        self.next_steps = self.headers[layout.NEXT_STEPS_HEADER]
        self.next_level = self.headers[layout.NEXT_LEVEL_HEADER]
        # Where the school confirms or explains a query raised on the row (read/queries.py).
        self.query_answer = self.headers[layout.QUERY_ANSWER_HEADER]
        self.widths[self.next_level] = self.descriptor_width  # it shows a descriptor
        self.last = max(self.widths)
        self.first_answer = min(self.headers[h] for h in after)

    @property
    def last_descriptor(self) -> int:
        return self.first_descriptor + self.n - 1


def _write_review(sheet: Any, spec: _Spec, cols: _ReviewColumns, fmt: _Formats) -> list[int]:
    """Write the Review sheet; return the 0-based row of each aspect, in framework order."""
    fw = spec.fw
    _review_columns_and_headers(sheet, spec, cols, fmt)
    row = REVIEW_HEADER_ROW + 1
    rows: list[int] = []
    heights: list[tuple[float, bool]] = []  # each printed row's height, and whether it is a band
    group = None
    for aspect in fw.aspects:
        if aspect.group and aspect.group != group and fw.groups:
            group = aspect.group
            _band(sheet, row, cols, f"{aspect.group}  {fw.group_title(aspect.group)}", fmt)
            heights.append((BAND_HEIGHT, True))
            row += 1
        heights.append((_write_aspect(sheet, row, aspect, spec, cols, fmt), False))
        rows.append(row)
        row += 1
    breaks = review_row_breaks(heights, REVIEW_HEADER_ROW + 1)
    _ok(sheet.set_h_pagebreaks(breaks), "the page breaks between rows")
    sheet.freeze_panes(REVIEW_HEADER_ROW + 1, cols.first_descriptor)
    level_cells = f"{_addr(rows[0], cols.level)}:{_addr(rows[-1], cols.level)}"
    sheet.ignore_errors({"number_stored_as_text": level_cells})  # "3" is meant as text
    _protect(sheet)
    _review_print_setup(sheet, cols, row - 1, _review_heading(spec))
    return rows


def column_pixels(width: float) -> int:
    """A column's width on screen and paper, in pixels at 96 dpi (xlsxwriter's conversion)."""
    return int(width * 7 + 0.5) + 5 if width > 1 else int(width * 12 + 0.5)


def review_pages(cols: _ReviewColumns, room: int) -> list[int]:
    """The columns that start a new printed page, left to right.

    Printed at full size (9 pt), the sheet is too wide for one page, so it is cut between columns:
    the descriptors fill as many pages as they need, whole columns to a page, and the answer
    columns start a page of their own. The lead columns (code, title) repeat on every page, so
    `room` (the printable width in pixels) is shared with them.
    """
    lead = sum(column_pixels(cols.widths[c]) for c in range(cols.first_descriptor))
    breaks: list[int] = []
    used = 0
    for col in range(cols.first_descriptor, cols.last + 1):
        width = column_pixels(cols.widths[col])
        if col == cols.first_answer or (used and lead + used + width > room):
            breaks.append(col)
            used = 0
        used += width
    return breaks


A4_LANDSCAPE_WIDTH_IN = 11.69
A4_LANDSCAPE_HEIGHT_PT = 595.3
REVIEW_SIDE_MARGIN_IN = 0.3
REVIEW_TOP_BOTTOM_MARGIN_IN = 0.6
REVIEW_HEADER_HEIGHT = 26.0
BAND_HEIGHT = 18.0
# Of a page's room for rows, the share planned on: what is left absorbs the programs' own rounding,
# so their automatic breaks never fall between ours and leave a near-empty page.
PAGE_FILL = 0.93


def review_row_breaks(heights: list[tuple[float, bool]], first_row: int) -> list[int]:
    """The rows that start a new printed page, so that a group's band is never a page's last row.

    Spreadsheets keep a row whole on a page when it fits, but would leave a band alone at the foot
    of a page with its aspects overleaf. `heights` are the printed rows from `first_row` on, each
    (height in points, is a band); every page repeats the header row.
    """
    room = (
        A4_LANDSCAPE_HEIGHT_PT - 2 * REVIEW_TOP_BOTTOM_MARGIN_IN * 72 - REVIEW_HEADER_HEIGHT
    ) * PAGE_FILL
    breaks: list[int] = []
    page_start, used = 0, 0.0
    for i, (height, _) in enumerate(heights):
        if i > page_start and used + height > room:
            band_last = heights[i - 1][1] and i - 1 > page_start
            page_start = i - 1 if band_last else i
            breaks.append(first_row + page_start)
            used = sum(h for h, _ in heights[page_start:i])
        used += height
    return breaks


def _review_print_setup(sheet: Any, cols: _ReviewColumns, last_row: int, heading: str) -> None:
    """Print at 100% on A4 landscape: descriptors stay 9 pt instead of shrinking to one page."""
    sheet.set_landscape()
    sheet.set_paper(xlsx.A4)
    sheet.set_print_scale(100)
    sheet.set_margins(
        left=REVIEW_SIDE_MARGIN_IN,
        right=REVIEW_SIDE_MARGIN_IN,
        top=REVIEW_TOP_BOTTOM_MARGIN_IN,
        bottom=REVIEW_TOP_BOTTOM_MARGIN_IN,
    )
    sheet.print_across()  # an aspect's descriptors, then its answers, before the next rows
    _ok(sheet.set_footer("&L&A&RPage &P of &N"), "the page footer")
    _ok(sheet.set_header(f"&L{_header_text(heading)}"), "the page header")
    _ok(sheet.repeat_rows(REVIEW_HEADER_ROW), "the repeated header row")
    _ok(sheet.repeat_columns(0, cols.first_descriptor - 1), "the repeated lead columns")
    room = int((A4_LANDSCAPE_WIDTH_IN - 2 * REVIEW_SIDE_MARGIN_IN) * 96)
    _ok(sheet.set_v_pagebreaks(review_pages(cols, room)), "the page breaks")
    # The heading rows are left out of print (cut between pages they would be fragments); the
    # page header carries the heading instead.
    _ok(sheet.print_area(REVIEW_HEADER_ROW, 0, last_row, cols.last), "the print area")


def _review_columns_and_headers(
    sheet: Any, spec: _Spec, cols: _ReviewColumns, fmt: _Formats
) -> None:
    fw = spec.fw
    for col, width in cols.widths.items():
        _width(sheet, col, col, width)
    _put(sheet, 0, 0, _review_heading(spec), fmt.title)
    _height(sheet, 0, 24)
    _put(sheet, 1, 0, _review_hint(fw), fmt.note)
    headers = {col: header for header, col in cols.headers.items()}
    for level in fw.levels:
        headers[cols.first_descriptor + level.rank - 1] = level.label
    for col, text in headers.items():
        _put(sheet, REVIEW_HEADER_ROW, col, text, fmt.header)
    _height(sheet, REVIEW_HEADER_ROW, REVIEW_HEADER_HEIGHT)


def _review_heading(spec: _Spec) -> str:
    fw = spec.fw
    return fw.title if spec.school is None else f"{fw.title}: {spec.school.name}"


def _header_text(text: str, limit: int = 200) -> str:
    """Text for a page header: '&' escaped (it starts a code), within Excel's 255 characters."""
    text = text if len(text) <= limit else text[: limit - 3] + "..."
    return text.replace("&", "&&")


def _review_hint(fw: Framework) -> str:
    first, last = fw.levels[0].label, fw.levels[-1].label
    hint = (
        f"Descriptors run from {first} (least developed, left) to {last} (most developed). "
        f"Choose '{layout.LEVEL_HEADER}' from the dropdown; write evidence and next steps."
    )
    if _has_guidance(fw):
        hint += f" More help for each level is on the '{layout.GUIDANCE_SHEET}' sheet."
    return hint


def _band(sheet: Any, row: int, cols: _ReviewColumns, text: str, fmt: _Formats) -> None:
    # The band's text sits in the title column, never the code column: ingest reads codes there.
    _ok(sheet.write_blank(row, cols.code, None, fmt.band), "a group band")
    rc = sheet.merge_range(row, cols.title, row, cols.last, "", fmt.band)
    _ok(rc, "a group band")
    _put(sheet, row, cols.title, text, fmt.band)
    _height(sheet, row, BAND_HEIGHT)


def _write_aspect(
    sheet: Any, row: int, aspect: Aspect, spec: _Spec, cols: _ReviewColumns, fmt: _Formats
) -> float:
    answer = spec.filled.get(aspect.code, Filled(None))
    _put(sheet, row, cols.code, aspect.code, fmt.code)
    _put(sheet, row, cols.title, aspect.title, fmt.cell)
    sized = [(aspect.title, cols.widths[cols.title]), (answer.evidence, cols.text_width)]
    sized.append((answer.next_steps, cols.text_width))
    if aspect.descriptors:
        for d in aspect.descriptors:
            _put(sheet, row, cols.first_descriptor + d.rank - 1, d.text, fmt.cell)
            sized.append((d.text, cols.descriptor_width))
    else:
        rc = sheet.merge_range(
            row, cols.first_descriptor, row, cols.last_descriptor, "", fmt.summary
        )
        _ok(rc, f"the summary row {aspect.code}")
        _put(sheet, row, cols.first_descriptor, SUMMARY_TEXT, fmt.summary)
    if cols.previous_level is not None:
        before = (spec.previous or {}).get(aspect.code, Filled(None))
        _put(sheet, row, cols.previous_level, before.level or "", fmt.fixed)
        _put(sheet, row, cols.previous_evidence, before.evidence, fmt.fixed)
        sized.append((before.evidence, cols.text_width))
    _write_level_cell(sheet, row, cols, spec.fw, answer.level, fmt)
    _put(sheet, row, cols.evidence, answer.evidence, fmt.input)
    _put(sheet, row, cols.next_steps, answer.next_steps, fmt.input)
    _put(sheet, row, cols.query_answer, "", fmt.input)
    _write_next_level(sheet, row, aspect, cols, spec.fw, answer.level, fmt)
    height = _row_height(sized, minimum=48.0)
    _height(sheet, row, height)
    return height


def _write_level_cell(
    sheet: Any, row: int, cols: _ReviewColumns, fw: Framework, level: str | None, fmt: _Formats
) -> None:
    if level:
        _put(sheet, row, cols.level, level, fmt.input_level)
    else:
        _ok(sheet.write_blank(row, cols.level, None, fmt.input_level), "a level cell")
    _ok(sheet.data_validation(row, cols.level, row, cols.level, _level_rule(fw)), "a dropdown")


def _level_rule(fw: Framework) -> dict[str, Any]:
    labels = ", ".join(lv.label for lv in fw.levels)
    error = f"Please choose one of the levels in the list: {labels}. To clear it, press Delete."
    if len(error) > 255:  # Excel's limit for a validation message
        error = "Please choose one of the levels in the list. To clear it, press Delete."
    return {
        "validate": "list",
        "source": f"={layout.LEVELS_NAME}",
        "input_title": "Choose your level",
        "input_message": (
            "Read the descriptors in this row, then pick the level that best describes your "
            "school now."
        ),
        "error_title": "That is not one of the levels",
        "error_message": error,
        "error_type": "stop",
    }


def _rank_of(fw: Framework, label: str | None) -> int:
    """The rank MATCH(label, Levels, 0) finds: exact but case-insensitive, as in Excel."""
    if not label:
        return 0
    for level in fw.levels:
        if level.label.casefold() == label.casefold():
            return level.rank
    return 0


def _match_level(cell: str) -> str:
    """The rank of the level in `cell`, compared as text.

    The cell may hold the number 3 where the Lists range holds the text "3" (a number pasted in,
    or a program that ignores the cell's text format); MATCH never finds a number among texts, so
    the cell is turned into text first. An empty cell becomes "" and matches nothing.
    """
    return f'MATCH({cell}&"",{layout.LEVELS_NAME},0)'


def _write_next_level(
    sheet: Any,
    row: int,
    aspect: Aspect,
    cols: _ReviewColumns,
    fw: Framework,
    level: str | None,
    fmt: _Formats,
) -> None:
    if not aspect.descriptors:
        _ok(sheet.write_blank(row, cols.next_level, None, fmt.next_level), "a next-level cell")
        return
    span = f"{_addr(row, cols.first_descriptor)}:{_addr(row, cols.last_descriptor)}"
    match = _match_level(_addr(row, cols.level))
    formula = f'=IFERROR(IF({match}<{fw.level_count},INDEX({span},1,{match}+1),""),"")'
    rank = _rank_of(fw, level)
    following = aspect.descriptor(rank + 1) if 0 < rank < fw.level_count else None
    _formula(
        sheet, row, cols.next_level, formula, fmt.next_level, following.text if following else ""
    )


# --- Guidance ---------------------------------------------------------------------------------


def _has_guidance(fw: Framework) -> bool:
    return any(lv.sections for lv in fw.levels) or any(
        d.sections for a in fw.aspects for d in a.descriptors
    )


GUIDANCE_WIDTHS = (8, 22, 14, 18, 110)


def _guidance_rows(fw: Framework) -> list[tuple[str, str, str, str, str]]:
    """(code, aspect, level, heading, text) for every text that does not fit side by side."""
    out = []
    for level in fw.levels:
        for heading, text in level.sections.items():
            out.append(("", "Every aspect", level.label, heading, text))
    for aspect in fw.aspects:
        for d in aspect.descriptors:
            for heading, text in d.sections.items():
                out.append((aspect.code, aspect.title, fw.level(d.rank).label, heading, text))
    return out


def _split_to_fit(text: str, width: float) -> list[str]:
    """Split a long text at paragraph breaks into pieces that fit a row (409 points at most)."""
    pieces: list[str] = []
    for paragraph in text.split("\n\n"):
        joined = f"{pieces[-1]}\n\n{paragraph}" if pieces else paragraph
        if pieces and _row_height([(joined, width)]) < MAX_ROW_HEIGHT:
            pieces[-1] = joined
        else:
            pieces.append(paragraph)
    return pieces


def _write_guidance(sheet: Any, fw: Framework, fmt: _Formats) -> None:
    for col, width in enumerate(GUIDANCE_WIDTHS):
        _width(sheet, col, col, width)
    _put(sheet, 0, 0, f"{fw.title}: guidance for each level", fmt.title)
    _height(sheet, 0, 24)
    note = "What the framework says beyond the descriptors: read it to decide and to plan."
    _put(sheet, 1, 0, note, fmt.note)
    headers = (layout.CODE_HEADER, layout.TITLE_HEADER, "Level", "Heading", "Text")
    for col, text in enumerate(headers):
        _put(sheet, GUIDANCE_HEADER_ROW, col, text, fmt.header)
    row = GUIDANCE_HEADER_ROW + 1
    for code, title, level, heading, text in _guidance_rows(fw):
        for i, piece in enumerate(_split_to_fit(text, GUIDANCE_WIDTHS[4])):
            cells = (code, title, level, heading if i == 0 else f"{heading} (continued)", piece)
            for col, value in enumerate(cells):
                _put(sheet, row, col, value, fmt.code if col == 0 else fmt.cell)
            sized = [(title, GUIDANCE_WIDTHS[1]), (piece, GUIDANCE_WIDTHS[4])]
            _height(sheet, row, _row_height(sized))
            row += 1
    sheet.freeze_panes(GUIDANCE_HEADER_ROW + 1, 0)
    _protect(sheet)
    _print_setup(sheet, GUIDANCE_HEADER_ROW)


# --- My profile -------------------------------------------------------------------------------


PROFILE_WIDTHS = (18, 40, 14, 8)  # code, aspect title, chosen level, position (hidden)
PROFILE_CHART_COL = 5
PROFILE_CHARS_PER_WIDTH = 1.15
PROFILE_CHART_WIDTH = 480


def _write_profile(
    book: Any, sheet: Any, spec: _Spec, cols: _ReviewColumns, rows: list[int], fmt: _Formats
) -> None:
    fw = spec.fw
    sheet.hide_gridlines(2)
    for col, width in enumerate(PROFILE_WIDTHS):
        _width(sheet, col, col, width)
    # The position column feeds the chart's bar heights; a school reads levels by their labels,
    # so the numbers stay out of sight (the chart is told to plot hidden cells).
    _ok(sheet.set_column(3, 3, PROFILE_WIDTHS[3], None, {"hidden": True}), "the position column")
    _width(sheet, 4, 4, 2)
    name = spec.school.name if spec.school else "your school"
    _put(sheet, 0, 0, f"My profile: {name}", fmt.title)
    _height(sheet, 0, 24)
    note = f"Worked out from the '{layout.REVIEW_SHEET}' sheet as you choose levels."
    _put(sheet, 1, 0, note, fmt.note)
    count_top = 3
    aspect_top = count_top + 2 + fw.level_count + 1 + 2
    positions = f"$D${aspect_top + 3}:$D${aspect_top + 2 + len(rows)}"
    count_rows = _profile_counts(sheet, spec, positions, fmt, top=count_top)
    aspect_rows = _profile_aspects(sheet, spec, cols, rows, fmt, top=aspect_top)
    _profile_charts(book, sheet, fw, count_rows, aspect_rows)
    _protect(sheet)
    _print_setup(sheet)


def _review_ref(row: int, col: int) -> str:
    return f"'{layout.REVIEW_SHEET}'!{_addr(row, col)}"


def scale_words(fw: Framework) -> str:
    """The framework's scale in its own words, least developed first."""
    return (
        f"{fw.levels[0].label} is the least developed level and {fw.levels[-1].label} the most "
        "developed"
    )


def _profile_counts(sheet: Any, spec: _Spec, positions: str, fmt: _Formats, top: int) -> list[int]:
    """How many aspects are at each level, counted from the (numeric) positions column."""
    fw = spec.fw
    _section(sheet, top, "How many aspects at each level", fmt, 2)
    _put(sheet, top + 1, 0, "Level", fmt.header)
    _put(sheet, top + 1, 1, "Aspects", fmt.header)
    chosen = [_rank_of(fw, f.level) for f in spec.filled.values()]
    out = []
    for level in fw.levels:
        row = top + 2 + level.rank - 1
        _put(sheet, row, 0, level.label, fmt.cell)
        formula = f"=COUNTIF({positions},{level.rank})"
        _formula(sheet, row, 1, formula, fmt.number, chosen.count(level.rank))
        out.append(row)
    row = out[-1] + 1
    _put(sheet, row, 0, "No level chosen yet", fmt.cell)
    n_aspects = len(fw.aspects)
    counted = f"{_addr(out[0], 1)}:{_addr(out[-1], 1)}"
    answered = sum(1 for r in chosen if r)
    _formula(sheet, row, 1, f"={n_aspects}-SUM({counted})", fmt.number, n_aspects - answered)
    return out


def _profile_aspects(
    sheet: Any, spec: _Spec, cols: _ReviewColumns, rows: list[int], fmt: _Formats, top: int
) -> list[int]:
    fw = spec.fw
    _section(sheet, top, "Your level for each aspect", fmt, 3)
    headers = (layout.CODE_HEADER, layout.TITLE_HEADER, layout.LEVEL_HEADER, "Position")
    for col, text in enumerate(headers):
        _put(sheet, top + 1, col, text, fmt.header)
    out = []
    for i, (aspect, review_row) in enumerate(zip(fw.aspects, rows, strict=True)):
        row = top + 2 + i
        level = spec.filled.get(aspect.code, Filled(None)).level or ""
        rank = _rank_of(fw, level)
        chosen = _review_ref(review_row, cols.level)
        _formula(sheet, row, 0, f"={_review_ref(review_row, cols.code)}", fmt.code, aspect.code)
        _formula(sheet, row, 1, f"={_review_ref(review_row, cols.title)}", fmt.cell, aspect.title)
        # As text, so a level stored as a number shows (and charts) like the one picked.
        match = _match_level(chosen)
        shown = f'=IFERROR(INDEX({layout.LEVELS_NAME},{match}),"")'
        _formula(sheet, row, 2, shown, fmt.cell, fw.level(rank).label if rank else "")
        _formula(sheet, row, 3, f"=IFERROR({match},0)", fmt.number, rank)
        # Err towards two lines: a title cut off by the row below is unreadable.
        sized = [(aspect.title, PROFILE_WIDTHS[1])]
        _height(sheet, row, _row_height(sized, chars_per_width=PROFILE_CHARS_PER_WIDTH))
        out.append(row)
    note = f"In this framework {scale_words(fw)}. The taller an aspect's bar, the more developed."
    _put(sheet, out[-1] + 2, 0, note, fmt.note)
    return out


def _scale_axis(fw: Framework) -> str:
    return f"{fw.levels[0].label} least developed ... {fw.levels[-1].label} most developed"


def _profile_charts(
    book: Any, sheet: Any, fw: Framework, count_rows: list[int], aspect_rows: list[int]
) -> None:
    name = layout.PROFILE_SHEET
    levels = book.add_chart({"type": "column"})
    levels.add_series(
        {
            "name": "Aspects",
            "categories": [name, count_rows[0], 0, count_rows[-1], 0],
            "values": [name, count_rows[0], 1, count_rows[-1], 1],
            "fill": {"color": _Formats.HEADER},
            "data_labels": {"value": True},
        }
    )
    levels.set_title({"name": "How many aspects at each level", "name_font": {"size": 11}})
    levels.set_legend({"none": True})
    levels.set_x_axis({"name": _scale_axis(fw), "name_font": {"size": 8, "bold": False}})
    levels.set_y_axis({"min": 0, "major_unit": 1, "name": "Aspects"})
    levels.set_size({"width": PROFILE_CHART_WIDTH, "height": 250})
    _ok(sheet.insert_chart(3, PROFILE_CHART_COL, levels), "the chart of levels")

    aspects = book.add_chart({"type": "column"})
    aspects.add_series(
        {
            "name": "Your level",
            "categories": [name, aspect_rows[0], 0, aspect_rows[-1], 0],
            "values": [name, aspect_rows[0], 3, aspect_rows[-1], 3],
            "fill": {"color": "#2E75B6"},
        }
    )
    aspects.set_title({"name": "Your level for each aspect", "name_font": {"size": 11}})
    aspects.set_legend({"none": True})
    # The bars' heights are positions on the scale, which a reader of "4 ... 1" would misread as
    # levels: the axis carries the framework's words, not numbers.
    aspects.set_y_axis(
        {"min": 0, "max": fw.level_count, "major_unit": 1, "label_position": "none",
         "name": _scale_axis(fw), "name_font": {"size": 8, "bold": False},
         "major_gridlines": {"visible": True}}
    )  # fmt: skip
    aspects.set_x_axis({"num_font": {"rotation": -45}})
    aspects.set_size({"width": PROFILE_CHART_WIDTH, "height": 300})
    aspects.show_hidden_data()
    # Placed by offset from the first chart's cell, not by row: the rows below grow with wrapped
    # titles, and the two charts must stay together on the first printed page.
    place = {"y_offset": 270}
    _ok(sheet.insert_chart(3, PROFILE_CHART_COL, aspects, place), "the chart of your levels")
