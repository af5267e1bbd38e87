"""The summary workbook a trust leader reads: statistics laid out as sheets (xlsxwriter).

Any text that came from a return (a school's name, its evidence, a file name) could start with
`=`, `@`, `+` or `-`, or look like a link or a number. It is written with `write_string` and the
workbook's string conversions are off, so it stays text: a school called `=1+1` is not a formula.

The workbook is written in constant_memory mode (rows stream to disk) so a cohort of 10,000 schools
fits in memory and time; that mode needs every sheet written top row first, which is why each
writer below goes strictly down the sheet. Rows go to the sheet's XML through xlsx.RowWriter, a
table at a time where there are many (`Sheet.table`): xlsxwriter's own per-cell calls were most
of a report's time, and RowWriter writes the same bytes (tests/test_summary_writer.py).

Each cohort (one framework in one round) gets its own Matrix, Aspects and Schools sheets: levels
of two frameworks are never put on one scale.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

from sheetreview import __version__
from sheetreview.core import fs, out, xlsx
from sheetreview.framework import Framework
from sheetreview.report import benchmarks as bm
from sheetreview.report import package, words
from sheetreview.report import story as story_
from sheetreview.report.charts import BLANK_COLOUR, level_colours, text_colour
from sheetreview.report.expected import ExpectedReturns
from sheetreview.report.rows import (
    MAX_LINES,
    ROW_HEIGHTS,
    RowsJob,
    fit_heights,
    make_rows,
    text_lines,
)

OPTIONS = xlsx.options(constant_memory=True)
POSITION_COLOURS = {"above": "#d6e6f4", "at": "#f2f2f2", "below": "#fbe0d2"}
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\']")
# Beyond this many judgements with text, an Evidence sheet makes summary.xlsx slow to write and
# to open (10,000 returns hold about 120 MB of evidence); they stay in responses.csv.
MAX_EVIDENCE_ROWS = 50_000


# --- low-level writing --------------------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    """A link to a sheet of this workbook (never to anything outside it)."""

    sheet: str
    text: str


def put(ws: Worksheet, row: int, col: int, value: Any, fmt: Any = None) -> None:
    """Write one value as what it is: numbers as numbers, everything else as literal text."""
    if isinstance(value, Link):
        ws.write_url(row, col, f"internal:'{value.sheet}'!A1", fmt, string=value.text)
    elif _missing(value) or value == "":
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_):
        ws.write_number(row, col, float(value), fmt)
    else:
        text, cut = xlsx.fit_cell_text(str(value))
        if cut:  # Excel's limit: the cell says so, and Data quality lists where
            CUT_CELLS.append(f"'{ws.name}'!{xl_rowcol_to_cell(row, col)}")
        xlsx.write_text(ws, row, col, text, fmt)


# Cells of the workbook being written whose text was cut to Excel's limit (reset per workbook).
CUT_CELLS: list[str] = []


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


_NUMBERS = {int, float, type(None)}
TABLE_CHUNK = 2_000  # rows written at once by Sheet.table


class Sheet:
    """A worksheet written row by row (constant_memory mode), with rows tall enough to read.

    Spreadsheet programs do not re-measure wrapped text in a file they open (LibreOffice leaves
    it overlapping), so each row's height is set here from its text and the column widths.
    """

    # Rows go straight to the worksheet's XML (xlsx.RowWriter) unless this is False or a row holds
    # a Link; the two ways write the same cells (the tests compare them).
    fast = True

    def __init__(self, ws: Worksheet, widths: list[float]) -> None:
        self.ws = ws
        self.row = 0
        self.widths = widths
        self.rows = xlsx.RowWriter(ws) if self.fast and xlsx.RowWriter.supports(ws) else None
        for col, width in enumerate(widths):
            ws.set_column(col, col, width)

    def line(
        self, values: list[Any], fmts: Any = None, height: float | None = None, fit: bool = True
    ) -> int:
        """Write `values` on the next row; `fmts` is one format or one per value."""
        height = height or (self.fit(values) if fit else None)
        if not isinstance(fmts, list):
            fmts = [fmts] * len(values)
        links = any(isinstance(value, Link) for value in values)
        if links or not self._fast_rows([[v] for v in values], fmts, [height or None]):
            self._put_row(values, fmts, height)
        self.row += 1
        return self.row - 1

    def table(self, columns: list[list[Any]], fmts: list[Any], fit: bool = True) -> int:
        """Write rows given column by column (all of one length, no Link among them) on the
        next rows; `fmts[c]` is column c's format, or a list of one per row. Returns the row after
        the last."""
        n = len(columns[0]) if columns else 0
        if n > TABLE_CHUNK:  # a few thousand rows at a time: their XML is held in memory
            for start in range(0, n, TABLE_CHUNK):
                part = slice(start, start + TABLE_CHUNK)
                self.table([c[part] for c in columns],
                           [f[part] if isinstance(f, list) else f for f in fmts], fit)  # fmt: skip
            return self.row
        heights = self.fit_column_wise(columns) if fit else [None] * n
        if not self._fast_rows(columns, fmts, heights):
            for i, height in enumerate(heights):
                values = [column[i] for column in columns]
                row_fmts = [f[i] if isinstance(f, list) else f for f in fmts]
                self._put_row(values, row_fmts, height)
                self.row += 1
            return self.row
        self.row += n
        return self.row

    def _fast_rows(
        self, columns: list[list[Any]], fmts: list[Any], heights: list[float | None]
    ) -> bool:
        """Rows through xlsx.RowWriter, when it can write them."""
        if self.rows is None:
            return False
        cells = [self._cells(col, column) for col, column in enumerate(columns)]
        return self.rows.write_rows(self.row, cells, fmts, heights)

    def _put_row(self, values: list[Any], fmts: list[Any], height: float | None) -> None:
        if height:
            self.ws.set_row(self.row, height)
        for col, value in enumerate(values):
            put(self.ws, self.row, col, value, fmts[col])

    def _cells(self, col: int, values: list[Any]) -> list[Any]:
        """Each value as `put` would write it: None (blank), a float (a number) or text."""
        types = set(map(type, values))
        if types == {str}:  # most columns: text, often long
            if max(map(len, values), default=0) <= xlsx.MAX_CELL_CHARS:
                return [v or None for v in values]
        elif types <= _NUMBERS:  # counts and figures, NaN or None where there is none
            return [None if v is None or v != v else float(v) for v in values]
        return [self._cell(value, col, i) for i, value in enumerate(values)]

    def _cell(self, value: Any, col: int, i: int) -> Any:
        if _missing(value) or value == "":
            return None
        if isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_):
            return float(value)
        text = str(value)
        if len(text) > xlsx.MAX_CELL_CHARS:  # Excel's limit: the cell says so, Data quality where
            CUT_CELLS.append(f"'{self.ws.name}'!{xl_rowcol_to_cell(self.row + i, col)}")
            text = xlsx.fit_cell_text(text)[0]
        return text

    def fit(self, values: list[Any]) -> float | None:
        """The height wrapped text needs (None: one line, the default height)."""
        lines = 1
        for col, value in enumerate(values[: len(self.widths)]):
            if isinstance(value, str) and len(value) > self.widths[col]:
                lines = max(lines, text_lines(value, self.widths[col]))
        return 15.0 * min(lines, MAX_LINES) if lines > 1 else None

    def fit_column_wise(self, columns: list[list[Any]]) -> list[float | None]:
        """`fit` of every row of `columns`, a column at a time."""
        return fit_heights(columns, self.widths)

    def table_elsewhere(
        self, columns: list[list[Any]], fmts: list[Any], submit: Submit | None, fit: bool = True
    ) -> list[Rows]:
        """`table`, but with the rows' XML made and deflated by `submit` (a worker pool's; in
        this process when None) while this process goes on, a part of PART_ROWS rows per task:
        the worksheet holds a marker where each part goes, and `Rows.done` gives it to
        package.close. Nothing when the rows were written here (the slow way, or a sheet
        already past this row)."""
        rows = self.rows
        if rows is None or not columns or not rows.start(self.row):
            self.table(columns, fmts, fit)
            return []
        values = [self._cells(col, column) for col, column in enumerate(columns)]
        styles = rows.styles(values, fmts)
        common = dict(
            defaults=[rows.default_style(col) for col in range(len(columns))],
            widths=self.widths if fit else None,
            names=rows.column_names(len(columns)),
            tags={h: rows.height_tag(h) for h in ROW_HEIGHTS},
            plain=rows.row_tag(None),
        )
        made = []
        for start in range(0, len(values[0]), PART_ROWS):
            part = slice(start, start + PART_ROWS)
            job = RowsJob(
                first_row=self.row + start,
                columns=[column[part] for column in values],
                styles=[s[part] if isinstance(s, list) else s for s in styles],
                **common,
            )
            key = f"sheet{self.ws.index + 1}-row{job.first_row + 1}"
            self.ws.fh.write(package.marker(key))
            made.append(Rows(key, rows, job, submit(make_rows, job) if submit else None))
        self.row += len(values[0])
        self.ws.previous_row = self.row  # xlsxwriter must not write these rows again
        return made

    def skip(self, n: int = 1) -> None:
        self.row += n


# Rows a worker makes at once: a quarter of 2,000 returns' evidence, so that the parts still
# waiting when the rest of the workbook is written can be made by the report's own process.
PART_ROWS = 10_000
Submit = Callable[..., Future]


@dataclass
class Rows:
    """Rows being made elsewhere for a worksheet (Sheet.table_elsewhere)."""

    key: str
    writer: xlsx.RowWriter
    job: RowsJob
    future: Future | None

    def done(self) -> package.Deflated:
        """The rows, made here if no worker has started on them yet (this process has
        written everything else by then: waiting would leave a core idle); recorded where they
        are, as xlsxwriter would have."""
        if self.future is None or self.future.cancel():
            made = make_rows(self.job)
        else:
            made = self.future.result()
        if made.corners is not None:
            self.writer.record(*made.corners)
        return made.part


class Styles:
    """Every format, made once (xlsxwriter formats are workbook-wide objects)."""

    def __init__(self, wb: xlsxwriter.Workbook) -> None:
        self.wb = wb
        self._cache: dict[tuple, Any] = {}
        self.title = self.get(bold=True, font_size=14)
        self.heading = self.get(bold=True, font_size=12, font_color="#1f3864")
        self.note = self.get(italic=True, font_color="#404040")
        self.header = self.get(
            bold=True, bg_color="#e7e6e6", border=1, text_wrap=True, valign="top"
        )
        self.header_rot = self.get(
            bold=False, text_wrap=True, rotation=90, valign="bottom", font_size=9
        )
        self.wrap = self.get(text_wrap=True, valign="top")
        self.wrap_centre = self.get(text_wrap=True, valign="top", align="center")
        self.centre = self.get(valign="top", align="center")
        self.top = self.get(valign="top")
        self.bold = self.get(bold=True)
        self.dec2 = self.get(num_format="0.00", valign="top")
        self.dec1 = self.get(num_format="0.0", valign="top")
        self.change = self.get(num_format="+0.00;-0.00;0", valign="top")
        self.change1 = self.get(num_format="+0.0;-0.0;0", valign="top")
        # A change of level is stored as a number (it sorts) and reads as words.
        self.levels_change = self.get(
            num_format='"up "0.00" levels";"down "0.00" levels";"no change"', valign="top"
        )
        self.whole = self.get(num_format="0", valign="top")
        self.mid0 = self.get(num_format="0", valign="top", align="center")
        self.mid1 = self.get(num_format="0.0", valign="top", align="center")
        self.blank = self.get(bg_color=BLANK_COLOUR, border=1, border_color="#ffffff")
        # A school's position is stored as its difference from the median and shown as a word,
        # so it sorts and filters by size while reading "above", "at" or "below".
        self.position_value = self.get(num_format='"above";"below";"at"', align="center")
        self.cf = {k: wb.add_format({"bg_color": c}) for k, c in POSITION_COLOURS.items()}
        self.cf_blank = wb.add_format({"bg_color": BLANK_COLOUR})

    def get(self, **props: Any) -> Any:
        key = tuple(sorted(props.items()))
        if key not in self._cache:
            self._cache[key] = self.wb.add_format(props)
        return self._cache[key]

    def level_formats(self, n_levels: int, **extra: Any) -> list[Any]:
        """Formats indexed by rank, blank (grey) at index 0: for writing many cells fast."""
        return [self.level(n_levels, None, **extra)] + [
            self.level(n_levels, r, **extra) for r in range(1, n_levels + 1)
        ]

    def level(self, n_levels: int, rank: Any, **extra: Any) -> Any:
        """The fill of level `rank` of `n_levels`; grey when blank."""
        if rank is None or rank is pd.NA or (isinstance(rank, float) and math.isnan(rank)):
            return self.get(bg_color=BLANK_COLOUR, border=1, border_color="#ffffff", **extra)
        colour = level_colours(n_levels)[int(rank) - 1]
        return self.get(
            bg_color=colour,
            font_color=text_colour(colour),
            border=1,
            border_color="#ffffff",
            **extra,
        )


def sheet_name(kind: str, label: str, index: int, used: set[str]) -> str:
    """A valid, unique sheet name: `kind`, then `label` (framework short name and round).

    Excel allows 31 characters and refuses `[]:*?/\\'`; names are unique ignoring case. A label
    that does not fit gives "<kind> <index>", the cohort's number in the Overview's index.
    """
    name = _BAD_SHEET_CHARS.sub("-", f"{kind} {label}".strip()).strip()
    if len(name) > 31 or name.lower() in used:
        name = f"{kind} {index}"
    while name.lower() in used:
        name = f"{kind} {index}~{len(used)}"[:31]
    used.add(name.lower())
    return name


def cohort_label(bench: bm.Benchmarks, cohort: bm.Cohort) -> str:
    """What tells this cohort's sheets apart: the framework's short name and the round, each
    only when the workbook has more than one."""
    frameworks = {c.framework for c in bench.cohorts}
    rounds = {c.round for c in bench.cohorts}
    fw = bench.frameworks.get(cohort.framework)
    parts = []
    if len(frameworks) > 1:
        parts.append(fw.sheet_label if fw else cohort.framework)
    if len(rounds) > 1 or (len(frameworks) == 1 and len(bench.cohorts) > 1):
        parts.append(cohort.round)
    return " ".join(p for p in parts if p)


def middle_half(fw: Framework, q1: Any, q3: Any) -> str:
    """The quartiles as levels: "3 to 2", or one level when the middle half agrees."""
    if _missing(q1) or _missing(q3):
        return ""
    low, high = fw.level(math.floor(q1)).label, fw.level(math.ceil(q3)).label
    return low if low == high else f"{low} to {high}"


def median_label(fw: Framework, value: float) -> str:
    """The median as the framework's level label, or the two labels it lies between."""
    if value is None or pd.isna(value):
        return ""
    low, high = math.floor(value), math.ceil(value)
    if low == high:
        return fw.level(low).label
    return f"between {fw.level(low).label} and {fw.level(high).label}"


def fw_heading(fw: Framework, cohort: bm.Cohort) -> str:
    text = f"{fw.title} ({fw.id} {fw.version})".replace(" )", ")")
    return text + (f", round {cohort.round}" if cohort.round else "")


# --- the workbook -------------------------------------------------------------------------------


ChartPaths = dict[bm.Cohort, dict[str, Path]]
Charts = ChartPaths | Callable[[], ChartPaths]


@dataclass
class Context:
    wb: xlsxwriter.Workbook
    st: Styles
    bench: bm.Benchmarks
    files: pd.DataFrame
    problems: pd.DataFrame
    charts: Charts
    names: dict[tuple[str, bm.Cohort], str]
    verification: Any = None  # report/verification.py: queries, moderation, awards
    expected: ExpectedReturns | None = None  # the schools list given to ingest, if any
    submit: Submit | None = None  # a worker pool's, for the biggest tables' rows
    rows: list[Rows] = field(default_factory=list)  # rows being made elsewhere

    def chart(self, cohort: bm.Cohort, kind: str) -> Path | None:
        """A cohort chart's PNG, waiting for it if it is still being drawn."""
        if callable(self.charts):
            self.charts = self.charts()
        return self.charts.get(cohort, {}).get(kind)


def write_summary(
    path: Path,
    bench: bm.Benchmarks,
    *,
    files: pd.DataFrame,
    problems: pd.DataFrame,
    charts: Charts | None = None,
    verification: Any = None,
    expected: ExpectedReturns | None = None,
    submit: Submit | None = None,
) -> Path:
    """Write summary.xlsx (whole, via a temporary file) and return its path.

    `charts` gives each cohort's chart PNGs by kind, or is called for them once they are needed
    (last: the Overview, first sheet, is written after the others so the charts can be drawn
    meanwhile). `submit` (a worker pool's) makes the Evidence sheet's rows in another process
    while this one writes the other sheets.
    """
    path = Path(path)

    def write(tmp: Path) -> None:
        wb = xlsxwriter.Workbook(str(tmp), OPTIONS)
        wb.set_properties(
            {"title": "Self-review summary", "comments": f"sheetreview {__version__}"}
        )
        CUT_CELLS.clear()
        ctx = Context(
            wb,
            Styles(wb),
            bench,
            files,
            problems,
            charts or {},
            _sheet_names(bench),
            verification,
            expected,
            submit,
        )
        _write_all(ctx)
        package.close(wb, {rows.key: rows.done() for rows in ctx.rows})

    fs.write_atomic(path, write)
    return path


def _sheet_names(bench: bm.Benchmarks) -> dict[tuple[str, bm.Cohort], str]:
    used = {"overview", "evidence", "data quality", "problems"}
    used |= {progress_sheet_name(bench, fid).lower() for fid in bench.compared}
    return {
        (kind, cohort): sheet_name(kind, cohort_label(bench, cohort), i + 1, used)
        for i, cohort in enumerate(bench.cohorts)
        for kind in ("Matrix", "Aspects", "Schools")
    }


def _write_all(ctx: Context) -> None:
    overview = ctx.wb.add_worksheet("Overview")
    for cohort in ctx.bench.cohorts:
        write_matrix(ctx, cohort)
        write_aspects(ctx, cohort)
        write_schools(ctx, cohort)
    if not ctx.bench.round_changes.empty:
        write_progress(ctx)
    if ctx.verification is not None:
        ctx.verification.write_sheets(ctx.wb, ctx.st, Sheet)
    write_evidence(ctx)
    write_data_quality(ctx)
    write_problems(ctx)
    write_overview(ctx, overview)


# --- Overview -----------------------------------------------------------------------------------
#
# The Overview tells each framework's story, latest round first, as a list of sections. A section
# is a function (ctx, sheet, story) that writes its rows downwards; to add one (returns expected,
# queries, awards), write the function and put it in OVERVIEW_SECTIONS where it belongs.

Section = Callable[["Context", "Sheet", story_.Story], None]


def write_overview(ctx: Context, ws: Worksheet) -> None:
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
    sh = Sheet(ws, OVERVIEW_WIDTHS)
    st = ctx.st
    sh.line(["Self-review summary"], st.title, height=22)
    sh.line([f"Made {date.today().isoformat()} by sheetreview {__version__}."], st.note, fit=False)
    sh.line(
        [
            "Levels are shown in each framework's own words, from least developed to most "
            "developed; colours run from red (least developed) to blue (most developed), and every "
            "coloured cell also names its level."
        ],
        st.note,
        fit=False,
    )
    for told in story_.stories(ctx.bench):
        sh.skip()
        for section in OVERVIEW_SECTIONS:
            section(ctx, sh, told)
    for section in OVERVIEW_FOOTER:
        sh.skip()
        section(ctx, sh)
    for told in story_.stories(ctx.bench):
        _overview_chart(ctx, sh, told.cohort)


OVERVIEW_WIDTHS = [12, 52, 26, 30, 18, 18]


def _story_heading(ctx: Context, sh: Sheet, told: story_.Story) -> None:
    fw = told.fw
    sh.line([fw_heading(fw, told.cohort)], ctx.st.heading, height=18, fit=False)
    if told.previous is not None:
        sh.line(
            [f"Latest round {told.cohort.round}, compared with round {told.previous.round}."],
            ctx.st.note,
            fit=False,
        )
    _level_scale(ctx, sh, fw, first_col=2)
    sh.line(["", words.scale_text(fw)], ctx.st.note, fit=False)


def _story_returns(ctx: Context, sh: Sheet, told: story_.Story) -> None:
    n = len(told.overall)
    sh.line(["Returns", f"{n} school{'s' if n != 1 else ''} returned a review"], ctx.st.bold)
    sh.line(["", f"{told.complete} complete; {n - told.complete} with some aspects left blank"])


def _story_aspects(ctx: Context, sh: Sheet, told: story_.Story) -> None:
    fw = told.fw
    link = Link(ctx.names[("Aspects", told.cohort)], "every aspect")
    lists = (
        ("Weakest aspects", told.weakest),
        ("Strongest aspects", told.strongest),
    )
    for heading, rows in lists:
        sh.skip()
        sh.line([heading, "", "", "", link], [ctx.st.heading, None, None, None, None], fit=False)
        head = ["Code", "Aspect", "Median level", f"Schools at {fw.levels[0].label} (least developed)", "Answered"]  # fmt: skip
        sh.line(head, ctx.st.header)
        for r in rows.itertuples():
            values = [r.aspect_code, r.aspect_title, words.level_text(fw, r.median),
                      _share(r.share_lowest), r.n]  # fmt: skip
            sh.line(values, [ctx.st.top, ctx.st.wrap, ctx.st.wrap, ctx.st.top, ctx.st.mid0])


def _share(value: Any) -> str:
    return "" if _missing(value) else f"{value:.0f}%"


def _story_support(ctx: Context, sh: Sheet, told: story_.Story) -> None:
    fw, st = told.fw, ctx.st
    sh.skip()
    link = Link(ctx.names[("Schools", told.cohort)], "every school")
    sh.line(
        ["Schools that most need support", "", "", "", link], [st.heading] + [None] * 4, fit=False
    )
    sh.line(["", "Lowest overall: mean level over the aspects answered."], st.note, fit=False)
    sh.line(["URN", "School", "Mean level", "Against the cohort", "Aspects answered"], st.header)
    for s in told.lowest_schools.itertuples():
        values = [s.school_urn, s.school_name, words.on_scale(fw, s.mean_rank),
                  words.difference_text(s.difference), s.aspects_answered]  # fmt: skip
        sh.line(values, [st.top, st.wrap, st.mid1, st.wrap, st.mid0])
    if told.previous is None:
        return
    sh.skip()
    progress = progress_sheet_name(ctx.bench, fw.id)
    sh.line(
        [
            "",
            f"Largest fall since round {told.previous.round}.",
            "",
            "",
            Link(progress, "progress"),
        ],
        [None, st.note, None, None, None],
        fit=False,
    )
    if told.falls.empty:
        sh.line(["", "No school's mean level fell."], fit=False)
        return
    sh.line(
        ["URN", "School", "Change in mean level", "Aspects that fell", "Mean level now"], st.header
    )
    for s in told.falls.itertuples():
        values = [s.school_urn, s.school_name, words.change_text(s.change), s.aspects_down,
                  words.on_scale(fw, s.mean_to)]  # fmt: skip
        sh.line(values, [st.top, st.wrap, st.wrap, st.wrap, st.mid1])


def _story_changes(ctx: Context, sh: Sheet, told: story_.Story) -> None:
    if told.previous is None:
        return
    fw, st = told.fw, ctx.st
    sh.skip()
    progress = progress_sheet_name(ctx.bench, fw.id)
    sh.line(
        [f"What changed since round {told.previous.round}", "", "", "", Link(progress, "progress")],
        [st.heading] + [None] * 4,
        fit=False,
    )
    head = ["Code", "Aspect", "Median level, before and after", "Change in mean level", "Schools up / down"]  # fmt: skip
    for title, rows in (("Rose most", told.aspect_rises), ("Fell most", told.aspect_falls)):
        sh.line(["", title], st.bold, fit=False)
        if rows.empty:
            sh.line(["", "No aspect."], fit=False)
            continue
        sh.line(head, st.header)
        for r in rows.itertuples():
            medians = (
                f"{words.level_text(fw, r.median_from)} to {words.level_text(fw, r.median_to)}"
            )
            values = [r.aspect_code, r.aspect_title, medians, words.change_text(r.mean_change),
                      f"{r.schools_up} up, {r.schools_down} down"]  # fmt: skip
            sh.line(values, [st.top, st.wrap, st.wrap, st.wrap, st.top])


def _story_groups(ctx: Context, sh: Sheet, told: story_.Story) -> None:
    """Each comparator group's schools against all schools (withheld under MIN_GROUP schools)."""
    groups = ctx.bench.of(ctx.bench.group_overall, told.cohort)
    if groups.empty:
        return
    st, fw = ctx.st, told.fw
    everyone = told.overall["mean_rank"].median()
    for dim, rows in groups.groupby("group_by", sort=False):
        sh.skip()
        sh.line([f"By {bm.GROUP_WORDS[dim]}"], st.heading, fit=False)
        head = [bm.GROUP_WORDS[dim].capitalize(), "", "Schools", "Median of schools' mean level",
                "Against all schools"]  # fmt: skip
        sh.line(head, st.header)
        # Every group's count and median in one pass: an LA's list names hundreds of trusts.
        spread = rows.groupby("group", sort=True)["mean_rank"].agg(["count", "median"])
        for group, n, median in spread.itertuples():
            n = int(n)
            if n < bm.MIN_GROUP:
                values = [group, "", n, f"fewer than {bm.MIN_GROUP} schools: not shown", ""]
            else:
                values = [group, "", n, words.on_scale(fw, median),
                          words.difference_text(median - everyone, "all schools")]  # fmt: skip
            sh.line(values, [st.wrap, None, st.mid0, st.mid1, st.wrap])


def _story_index(ctx: Context, sh: Sheet, told: story_.Story) -> None:
    """Numbered links to every sheet of this framework, latest round first."""
    sh.skip()
    sh.line(["Sheets", "", "Latest round first"], [ctx.st.heading, None, ctx.st.note], fit=False)
    what = {
        "Matrix": "every school's level per aspect",
        "Aspects": "how the levels are spread per aspect, with a chart",
        "Schools": "each school against the cohort median",
    }
    index = {c: i + 1 for i, c in enumerate(ctx.bench.cohorts)}
    for cohort in [told.cohort, *told.earlier]:
        for kind, text in what.items():
            name = ctx.names[(kind, cohort)]
            label = f"round {cohort.round}: {text}" if cohort.round else text
            sh.line([f"{index[cohort]}.", Link(name, name), label], fit=False)
    if told.fw.id in ctx.bench.compared:
        name = progress_sheet_name(ctx.bench, told.fw.id)
        sh.line(["", Link(name, name), "progress between rounds"], fit=False)


def _story_checks(ctx: Context, sh: Sheet, told: story_.Story) -> None:
    """Queries to answer, the moderated sample and award readiness, where there are any."""
    if ctx.verification is None:
        return
    for label, value in ctx.verification.overview_lines(told.cohort.framework, told.cohort.round):
        sh.line(["", label, value])


OVERVIEW_SECTIONS: list[Section] = [
    _story_heading,
    _story_returns,
    _story_checks,
    _story_aspects,
    _story_support,
    _story_changes,
    _story_groups,
    _story_index,
]


def _overview_files(ctx: Context, sh: Sheet) -> None:
    sh.line(["Files received"], ctx.st.heading, fit=False)
    counts = ctx.files["status"].value_counts() if "status" in ctx.files else pd.Series(dtype=int)
    for status in out.Status:
        sh.line(["", status.replace("_", " "), int(counts.get(status, 0))])
    sh.line(["", "files in all", int(counts.sum())], ctx.st.bold)
    sh.line(
        [
            "",
            Link("Data quality", "Why a file was rejected, and what each school must fix"),
        ],
        fit=False,
    )


# Expected schools (ingest --schools): who has returned, and who is still to chase. The list
# goes last on the Overview, so a long one does not push the cohorts' figures down.


def _overview_expected(ctx: Context, sh: Sheet) -> None:
    if ctx.expected is None:
        return
    sh.skip()
    sh.line(["Expected schools"], ctx.st.heading, fit=False)
    for c in ctx.expected.counts:
        label = " ".join(p for p in (c.framework, c.round) if p) or "any framework"
        sh.line(["", label, c.text], fit=False)
    n = len(ctx.expected.outstanding)
    where = "listed at the end of this sheet and in" if n else "none outstanding; see"
    sh.line(["", f"Not yet returned: {where} outstanding.csv."], ctx.st.note, fit=False)


def _overview_outstanding(ctx: Context, sh: Sheet) -> None:
    if ctx.expected is None or ctx.expected.outstanding.empty:
        return
    sh.skip()
    sh.line(["Expected schools not yet returned"], ctx.st.heading, height=18, fit=False)
    sh.line(["URN", "School", "Framework", "Round", "State", "Why"], ctx.st.header, fit=False)
    for r in ctx.expected.outstanding.itertuples():
        values = [r.school_urn, r.school_name, r.framework, r.round, r.state, r.reason]
        sh.line(values, [ctx.st.top, ctx.st.wrap, ctx.st.top, ctx.st.top, ctx.st.top, ctx.st.wrap])


OVERVIEW_FOOTER: list[Callable[[Context, Sheet], None]] = [
    _overview_files,
    _overview_expected,
    _overview_outstanding,
]


def _level_scale(ctx: Context, sh: Sheet, fw: Framework, first_col: int) -> None:
    """The framework's levels in their colours, least developed first."""
    pad = [""] * (first_col - 1)
    values = ["Levels", *pad, *[lv.label for lv in fw.levels], "(least to most developed)"]
    fmts = [ctx.st.bold, *[None] * len(pad)]
    fmts += [ctx.st.level(fw.level_count, lv.rank, align="center") for lv in fw.levels]
    sh.line(values, [*fmts, ctx.st.note], fit=False)


def _overview_chart(ctx: Context, sh: Sheet, cohort: bm.Cohort) -> None:
    png = ctx.chart(cohort, "distribution")
    if png and png.exists():
        sh.skip()
        sh.skip(insert_png(sh.ws, sh.row, 0, png, width_px=860) + 1)


def insert_png(ws: Worksheet, row: int, col: int, png: Path, width_px: int) -> int:
    """Insert a chart scaled to `width_px` on screen; returns the rows it covers (20 px each)."""
    from PIL import Image

    with Image.open(png) as img:
        w, h = img.size
        dpi = img.info.get("dpi", (96, 96))[0] or 96
    native_w = w * 96 / dpi  # xlsxwriter sizes a PNG by the dpi stored in it
    scale = width_px / native_w
    ws.insert_image(row, col, str(png), {"x_scale": scale, "y_scale": scale, "object_position": 3})
    return math.ceil(h * 96 / dpi * scale / 20)


# --- shared table layout --------------------------------------------------------------------------


def _title_rows(ctx: Context, sh: Sheet, title: str, note: str) -> None:
    sh.line([title], ctx.st.title, height=22, fit=False)
    sh.line([note], ctx.st.note, fit=False)


def _table_finish(
    ws: Worksheet, header_row: int, last_row: int, last_col: int, freeze_col: int = 0
) -> None:
    """Headers frozen, filters on, printed landscape one page wide with the header repeated."""
    ws.freeze_panes(header_row + 1, freeze_col)
    ws.autofilter(header_row, 0, max(last_row, header_row), last_col)
    ws.repeat_rows(header_row)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)


# --- Matrix ---------------------------------------------------------------------------------------


def write_matrix(ctx: Context, cohort: bm.Cohort) -> None:
    fw = ctx.bench.frameworks[cohort.framework]
    stats = ctx.bench.of(ctx.bench.aspect_stats, cohort)
    codes, titles = list(stats["aspect_code"]), list(stats["aspect_title"])
    ws = ctx.wb.add_worksheet(ctx.names[("Matrix", cohort)])
    width = min(max(7, max(len(lv.label) for lv in fw.levels) + 2), 18)
    sh = Sheet(ws, [11, 34, *[width] * len(codes), 10, 10, 10])
    _title_rows(
        ctx,
        sh,
        f"Level per school and aspect: {fw_heading(fw, cohort)}",
        "Each cell shows the level the school chose; grey = not answered. Sort and filter with "
        "the arrows on the header row. " + words.scale_text(fw),
    )
    _level_scale(ctx, sh, fw, first_col=2)
    sh.line(
        ["", "Aspect", *titles], [None, ctx.st.note, *[ctx.st.header_rot] * len(titles)], height=190
    )
    head = ["URN", "School", *codes, "Aspects answered", "Mean level", "Percentile (50 = middle)"]
    header_row = sh.line(head, ctx.st.header)
    _matrix_rows(ctx, sh, cohort, fw, codes)
    _table_finish(ws, header_row, sh.row - 1, len(head) - 1, freeze_col=2)
    ws.repeat_columns(0, 1)


def _matrix_rows(
    ctx: Context, sh: Sheet, cohort: bm.Cohort, fw: Framework, codes: list[str]
) -> None:
    rows = ctx.bench.of(ctx.bench.school_benchmarks, cohort)
    overall = ctx.bench.of(ctx.bench.school_overall, cohort)
    labels = bm.by_school(rows, "level", overall["school"], codes, "")
    ranks = bm.by_school(rows, "level_rank", overall["school"], codes, 0)
    if overall.empty:
        return
    st = ctx.st
    by_rank = st.level_formats(fw.level_count, align="center")
    columns = [
        overall["school_urn"].tolist(),
        overall["school_name"].tolist(),
        *(list(column) for column in zip(*labels, strict=True)),
        overall["aspects_answered"].tolist(),
        [words.on_scale(fw, m) for m in overall["mean_rank"].tolist()],
        overall["percentile"].tolist(),
    ]
    level_fmts = [[by_rank[int(r)] for r in column] for column in zip(*ranks, strict=True)]
    # A row per school: a large cohort's rows are made by a worker while the other sheets are
    # written (Sheet.table_elsewhere), as the Evidence sheet's are.
    fmts = [None, None, *level_fmts, st.whole, st.dec1, st.whole]
    ctx.rows += sh.table_elsewhere(columns, fmts, ctx.submit, fit=False)


# --- Aspects --------------------------------------------------------------------------------------


def write_aspects(ctx: Context, cohort: bm.Cohort) -> None:
    fw = ctx.bench.frameworks[cohort.framework]
    name = ctx.names[("Aspects", cohort)]
    n = fw.level_count
    level_width = max(9, min(16, max(len(lv.label) for lv in fw.levels) + 2))
    sh = Sheet(ctx.wb.add_worksheet(name), [9, 46, 9, 9, *[level_width] * n, 11, 16, 22, 9])
    lowest = fw.levels[0].label
    _title_rows(
        ctx,
        sh,
        f"Levels per aspect: {fw_heading(fw, cohort)}",
        f"Schools at each level, {words.LEAST} first; Blank: schools that left the aspect blank. "
        "Middle half: the levels of the middle half of schools. " + words.scale_text(fw),
    )
    head = ["Code", "Aspect", "Answered", "Blank", *[lv.label for lv in fw.levels],
            f"% at {lowest} ({words.LEAST})", "Median level", "Middle half of schools",
            "Mean level"]  # fmt: skip
    fmts = [ctx.st.header] * 4
    fmts += [ctx.st.level(n, r, bold=True, text_wrap=True, align="center") for r in range(1, n + 1)]
    header_row = sh.line(head, fmts + [ctx.st.header] * 4)
    first = sh.row
    for r in ctx.bench.of(ctx.bench.aspect_stats, cohort).itertuples():
        _aspect_row(ctx, sh, fw, r)
    _table_finish(sh.ws, header_row, sh.row - 1, len(head) - 1, freeze_col=2)
    _aspects_chart(ctx, sh.ws, name, fw, cohort, (header_row, first, sh.row - 1), sh.row + 2)


def _aspect_row(ctx: Context, sh: Sheet, fw: Framework, r: Any) -> None:
    n = fw.level_count
    counts = [getattr(r, f"n_rank_{i}") for i in range(1, n + 1)]
    values = [r.aspect_code, r.aspect_title, r.n, r.n_blank, *counts, r.share_lowest,
              words.level_text(fw, r.median), middle_half(fw, r.q1, r.q3),
              words.on_scale(fw, r.mean)]  # fmt: skip
    st = ctx.st
    fmts = [st.top, st.wrap, st.whole, st.whole, *[st.whole] * n, st.whole, st.wrap_centre,
            st.wrap_centre, st.dec1]  # fmt: skip
    sh.line(values, fmts)


def _aspects_chart(
    ctx: Context,
    ws: Worksheet,
    name: str,
    fw: Framework,
    cohort: bm.Cohort,
    rows: tuple[int, int, int],
    at_row: int,
) -> None:
    """A native percent-stacked bar chart: Excel users can restyle it and it follows the data."""
    header_row, first, last = rows
    if last < first:
        return
    chart = ctx.wb.add_chart({"type": "bar", "subtype": "percent_stacked"})
    for i, colour in enumerate(level_colours(fw.level_count)):
        col = 4 + i
        chart.add_series(
            {
                "name": [name, header_row, col],
                "categories": [name, first, 0, last, 0],
                "values": [name, first, col, last, col],
                "fill": {"color": colour},
                "border": {"color": "#595959", "width": 0.5},
                "gap": 40,
            }
        )
    title = f"Share of schools at each level, least developed first: {cohort.label}"
    chart.set_title({"name": title, "name_font": {"size": 11}})
    chart.set_y_axis({"reverse": True, "num_font": {"size": 8}})
    chart.set_x_axis(
        {"num_format": "0%", "major_gridlines": {"visible": True, "line": {"color": "#d9d9d9"}}}
    )
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 860, "height": 130 + 24 * (last - first + 1)})
    ws.insert_chart(at_row, 0, chart, {"object_position": 3})


# --- Schools --------------------------------------------------------------------------------------


def write_schools(ctx: Context, cohort: bm.Cohort) -> None:
    fw = ctx.bench.frameworks[cohort.framework]
    codes = list(ctx.bench.of(ctx.bench.aspect_stats, cohort)["aspect_code"])
    ws = ctx.wb.add_worksheet(ctx.names[("Schools", cohort)])
    sh = Sheet(ws, [11, 34, 9, 9, 9, 9, 10, 8, 8, 8, *[7] * len(codes)])
    _title_rows(
        ctx,
        sh,
        f"Each school against the cohort: {fw_heading(fw, cohort)}",
        "Per aspect: above (more developed), at or below the cohort median (all schools, this one "
        "included); the cell's value is how many levels above (+) or below (-) the median it is. "
        "Percentile: share of the other schools below, plus half of those tied (50 = middle). "
        "Most developed first. " + words.scale_text(fw),
    )
    head = ["URN", "School", "Aspects answered", "Mean level", "Cohort median of means",
            "Overall position", "Overall percentile", "Aspects above", "Aspects at",
            "Aspects below", *codes]  # fmt: skip
    header_row = sh.line(head, ctx.st.header)
    _school_rows(ctx, sh, cohort, fw, codes)
    _table_finish(ws, header_row, sh.row - 1, len(head) - 1, freeze_col=2)
    ws.repeat_columns(0, 1)
    if sh.row > header_row + 1:
        _position_colours(ctx, ws, (header_row + 1, 5, sh.row - 1, 5))
        _position_colours(ctx, ws, (header_row + 1, 10, sh.row - 1, len(head) - 1))


def _position_colours(ctx: Context, ws: Worksheet, cells: tuple[int, int, int, int]) -> None:
    """Above, at and below coloured by the cell's value (its difference from the median)."""
    ws.conditional_format(
        *cells, {"type": "blanks", "stop_if_true": True, "format": ctx.st.cf_blank}
    )
    for criteria, key in ((">", "above"), ("<", "below"), ("==", "at")):
        rule = {"type": "cell", "criteria": criteria, "value": 0, "format": ctx.st.cf[key]}
        ws.conditional_format(*cells, rule)


def _school_rows(
    ctx: Context, sh: Sheet, cohort: bm.Cohort, fw: Framework, codes: list[str]
) -> None:
    overall = ctx.bench.of(ctx.bench.school_overall, cohort).sort_values(
        ["mean_rank", "school_name"], ascending=[False, True], na_position="last"
    )
    rows = ctx.bench.of(ctx.bench.school_benchmarks, cohort)
    differences = bm.by_school(rows, "difference", overall["school"], codes, None)
    st = ctx.st
    fmts = [None, None, st.whole, st.dec1, st.dec1, st.position_value, st.whole, st.whole,
            st.whole, st.whole, *[st.position_value] * len(codes)]  # fmt: skip
    if overall.empty:
        return
    # None (not answered) is NaN here, neither above, at nor below: counted a sign at a time
    signed = np.array(differences, dtype=float).reshape(len(differences), len(codes))
    counts = [op(signed).sum(axis=1).tolist() for op in _SIGNS]
    columns = [
        overall["school_urn"].tolist(),
        overall["school_name"].tolist(),
        overall["aspects_answered"].tolist(),
        [words.on_scale(fw, m) for m in overall["mean_rank"].tolist()],
        [words.on_scale(fw, m) for m in overall["cohort_median"].tolist()],
        overall["difference"].tolist(),
        overall["percentile"].tolist(),
        *counts,
        *([row[i] for row in differences] for i in range(len(codes))),
    ]
    ctx.rows += sh.table_elsewhere(columns, fmts, ctx.submit, fit=False)


# Aspects above, at and below the median, by the sign of the difference.
_SIGNS = (lambda d: d > 0, lambda d: d == 0, lambda d: d < 0)


# --- Evidence -------------------------------------------------------------------------------------


def evidence_rows(bench: bm.Benchmarks) -> pd.DataFrame:
    """The judgements with evidence or next steps, school by school."""
    r = bench.responses
    empty = pd.Series("", index=r.index)
    rows = r.assign(evidence=r.get("evidence", empty), next_steps=r.get("next_steps", empty))
    rows = rows[(rows["evidence"] != "") | (rows["next_steps"] != "")]
    rows = rows.assign(_round=bm.round_rank(rows["round"]))
    return rows.sort_values(["framework", "_round", "school_name", "school"], kind="stable")


def evidence_fits(bench: bm.Benchmarks) -> bool:
    """Whether the Evidence sheet can hold every judgement with text (see MAX_EVIDENCE_ROWS)."""
    r = bench.responses
    if not any(column in r for column in ("evidence", "next_steps")):
        return False  # too many judgements for the text to have been loaded at all
    has = pd.Series(False, index=r.index)
    for column in ("evidence", "next_steps"):
        if column in r:
            has |= r[column] != ""
    return int(has.sum()) <= MAX_EVIDENCE_ROWS


def write_evidence(ctx: Context) -> None:
    if not evidence_fits(ctx.bench):
        _evidence_elsewhere(ctx)
        return
    several = len(ctx.bench.cohorts) > 1
    head = ["URN", "School", "Code", "Aspect", "Level", "Evidence", "Next steps"]
    widths = [11, 28, 8, 30, 12, 60, 50]
    if several:
        head, widths = ["Framework", "Round", *head], [14, 12, *widths]
    sh = Sheet(ctx.wb.add_worksheet("Evidence"), widths)
    _title_rows(
        ctx,
        sh,
        "Evidence and next steps",
        "As each school wrote them. Filter by school, aspect or level with the arrows.",
    )
    header_row = sh.line(head, ctx.st.header)
    _evidence_rows(ctx, sh, several)
    _table_finish(sh.ws, header_row, sh.row - 1, len(head) - 1, freeze_col=0)


def _evidence_elsewhere(ctx: Context) -> None:
    sh = Sheet(ctx.wb.add_worksheet("Evidence"), [100])
    _title_rows(ctx, sh, "Evidence and next steps", "")
    sh.line(
        [
            f"More than {MAX_EVIDENCE_ROWS:,} judgements have evidence or next steps: too many for "
            "this workbook to stay quick to open. Every one is in responses.csv, in the same folder "
            "(columns school_name, aspect_code, level, evidence, next_steps): open it in a "
            "spreadsheet program and filter by school or aspect."
        ],
        ctx.st.wrap,
    )


def _evidence_rows(ctx: Context, sh: Sheet, several: bool) -> None:
    rows = evidence_rows(ctx.bench)
    if rows.empty:
        return
    n_levels = {fid: fw.level_count for fid, fw in ctx.bench.frameworks.items()}
    st = ctx.st
    level_fmt: dict[tuple, Any] = {}  # one format per framework and rank, looked up once
    ranks = rows["rank"].astype(object).where(rows["rank"].notna(), None).tolist()
    keys = list(zip(rows["framework"].tolist(), ranks, strict=True))
    for key in dict.fromkeys(keys):
        level_fmt[key] = st.level(n_levels[key[0]], key[1], valign="top")
    level_fmts = [level_fmt[key] for key in keys]
    names = ["school_urn", "school_name", "aspect_code", "aspect_title", "level", "evidence",
             "next_steps"]  # fmt: skip
    fmts = [st.top, st.top, st.top, st.wrap, level_fmts, st.wrap, st.wrap]
    if several:
        names, fmts = ["framework", "round", *names], [st.top, st.top, *fmts]
    ctx.rows += sh.table_elsewhere([rows[name].tolist() for name in names], fmts, ctx.submit)


# --- Data quality ---------------------------------------------------------------------------------

NUMERIC_FILE_COLUMNS = ("bytes", "aspects_answered", "aspects_total", "problems")


# What a reader acts on comes first; fingerprints (sha256, bytes) last, for whoever audits the run.
FILE_COLUMNS_FIRST = ("file", "status", "school_name", "school_urn", "framework", "round", "reason",
                      "problems", "aspects_answered", "aspects_total")  # fmt: skip
ACTION_STATUSES = ("rejected", "accepted_with_problems", "blank")


def write_data_quality(ctx: Context) -> None:
    columns = [c for c in FILE_COLUMNS_FIRST if c in ctx.files.columns]
    columns += [c for c in ctx.files.columns if c not in columns]
    widths = {"file": 40, "sha256": 14, "reason": 60, "school_name": 28, "status": 14}
    sh = Sheet(ctx.wb.add_worksheet("Data quality"), [widths.get(c, 10) for c in columns])
    _title_rows(
        ctx,
        sh,
        "Data quality: what to chase, then every file read",
        "Files that need a school to act come first, with the reason; what to fix, cell by cell, "
        "is on the Problems sheet. Below: how many of each problem, then every file in the folder.",
    )
    _files_to_chase(ctx, sh)
    _problem_counts(ctx, sh)
    _cut_cells(sh)
    sh.line(["Every file read"], ctx.st.heading, fit=False)
    header_row = sh.line([c.replace("_", " ") for c in columns], ctx.st.header)
    fmts = [ctx.st.wrap if c in ("reason", "file") else ctx.st.top for c in columns]
    if not ctx.files.empty:
        sh.table(
            [
                [_number(v) for v in ctx.files[c].tolist()]
                if c in NUMERIC_FILE_COLUMNS
                else ctx.files[c].tolist()
                for c in columns
            ],
            fmts,
        )
    _table_finish(sh.ws, header_row, sh.row - 1, max(len(columns) - 1, 0))


def _files_to_chase(ctx: Context, sh: Sheet) -> None:
    files = ctx.files
    if "status" not in files:
        return
    chase = files[files["status"].isin(ACTION_STATUSES)]
    sh.line([f"Files that need action: {len(chase)}"], ctx.st.heading, fit=False)
    if chase.empty:
        sh.line(["Every file was accepted without problems, superseded or skipped."], fit=False)
        sh.skip()
        return
    order = {s: i for i, s in enumerate(ACTION_STATUSES)}
    chase = chase.assign(_o=chase["status"].map(order)).sort_values(["_o", "file"], kind="stable")
    sh.line(["File", "Status", "School", "Why"], ctx.st.header)
    rows = [
        [r.file, str(r.status).replace("_", " "), getattr(r, "school_name", ""),
         getattr(r, "reason", "") or f"{getattr(r, 'problems', '')} problem(s): see Problems"]
        for r in chase.itertuples(index=False)
    ]  # fmt: skip
    sh.table([list(column) for column in zip(*rows, strict=True)],
             [ctx.st.wrap, ctx.st.top, ctx.st.wrap, ctx.st.wrap])  # fmt: skip
    sh.skip()


def _number(value: str) -> Any:
    """A count written by ingest as text, as a number a filter can sort."""
    return int(value) if isinstance(value, str) and value.isdigit() else value


def _cut_cells(sh: Sheet) -> None:
    """Say where a text was longer than a cell may hold (Excel: 32,767 characters)."""
    if not CUT_CELLS:
        return
    where = ", ".join(CUT_CELLS[:20]) + (
        f" and {len(CUT_CELLS) - 20} more" if len(CUT_CELLS) > 20 else ""
    )
    sh.line(
        [
            f"{len(CUT_CELLS)} cell(s) held more than {xlsx.MAX_CELL_CHARS:,} characters, the most "
            f"one cell can hold; each was cut and says so at its end. The full text is in "
            f"responses.csv. Cut: {where}."
        ],
        fit=False,
    )
    sh.skip()


def _problem_counts(ctx: Context, sh: Sheet) -> None:
    if ctx.problems.empty or "code" not in ctx.problems:
        sh.line(["No problems were recorded."], fit=False)
        sh.skip()
        return
    counts = ctx.problems.groupby(["severity", "code"]).size().reset_index(name="n")
    counts = counts.sort_values(["severity", "n"], ascending=[True, False])
    sh.line(["Problems by kind"], ctx.st.heading, fit=False)
    sh.line(["Severity", "Problem", "How many"], ctx.st.header)
    for row in counts.itertuples(index=False):
        sh.line(list(row), fit=False)
    sh.skip()


def write_problems(ctx: Context) -> None:
    columns = list(ctx.problems.columns)
    widths = {"file": 36, "message": 90, "code": 20}
    sh = Sheet(ctx.wb.add_worksheet("Problems"), [widths.get(c, 10) for c in columns])
    _title_rows(
        ctx,
        sh,
        "Problems found in the returns",
        "What each school must fix, at the sheet and cell named. Filter by file or code.",
    )
    header_row = sh.line(columns, ctx.st.header)
    fmts = [ctx.st.wrap if c in ("message", "file") else ctx.st.top for c in columns]
    if not ctx.problems.empty:
        sh.table([ctx.problems[c].tolist() for c in columns], fmts)
    _table_finish(sh.ws, header_row, sh.row - 1, max(len(columns) - 1, 0))


# --- Progress between rounds ----------------------------------------------------------------------


def progress_sheet_name(bench: bm.Benchmarks, fid: str) -> str:
    if len(bench.compared) == 1:
        return "Progress"
    fw = bench.frameworks.get(fid)
    return _BAD_SHEET_CHARS.sub("-", f"Progress {fw.sheet_label if fw else fid}")[:31]


def write_progress(ctx: Context) -> None:
    for fid in ctx.bench.compared:
        _progress_sheet(ctx, fid)


def _progress_sheet(ctx: Context, fid: str) -> None:
    fw = ctx.bench.frameworks[fid]
    n = fw.level_count
    ws = ctx.wb.add_worksheet(progress_sheet_name(ctx.bench, fid))
    sh = Sheet(ws, [11, 40, 9, 9, 24, 24, 9, 9, 9, 9, 9, 9, 9, *[11] * n])
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    rounds = ctx.bench.rounds_of(fid)
    _title_rows(
        ctx,
        sh,
        f"Progress between rounds: {fw.title} ({fw.id}), rounds {', '.join(rounds)}",
        "Each round against the one before, largest fall first. Changes are in levels: up = "
        "more developed, down = less developed; changes in share are in percentage points. "
        + words.scale_text(fw),
    )
    changes = ctx.bench.round_changes[ctx.bench.round_changes["framework"] == fid]
    pairs = list(changes.groupby(["from_round", "to_round"], sort=False).groups)
    for before, after in reversed(pairs):  # latest first, as on the Overview
        sh.skip()
        sh.line([f"From round {before} to round {after}"], ctx.st.heading, height=18, fit=False)
        _progress_aspects(ctx, sh, fw, story_.aspect_changes(ctx.bench, fid, before, after))
        sh.skip()
        _progress_schools(ctx, sh, fid, before, after)
    sh.skip()
    _not_in_every_round(ctx, sh, fid)
    _progress_charts(ctx, sh, fid)


def _progress_aspects(ctx: Context, sh: Sheet, fw: Framework, pair: pd.DataFrame) -> None:
    st, n = ctx.st, fw.level_count
    head = ["Code", "Aspect", "Answered before", "Answered after", "Median level before",
            "Median level after", "Median change", "Mean level before", "Mean level after",
            "Mean change",
            "Schools up", "Schools down", "Schools same",
            *[f"Change in % at {lv.label}" for lv in fw.levels]]  # fmt: skip
    level_heads = [st.level(n, r, bold=True, text_wrap=True, valign="top") for r in range(1, n + 1)]
    sh.line(head, [st.header] * 13 + level_heads)
    shares = [f"share_change_rank_{r}" for r in range(1, n + 1)]
    fmts = [st.top, st.wrap, st.whole, st.whole, st.wrap_centre, st.wrap_centre, st.levels_change,
            st.dec1, st.dec1, st.levels_change, st.whole, st.whole, st.whole,
            *[st.change1] * n]  # fmt: skip
    for r in pair.itertuples():
        values = [r.aspect_code, r.aspect_title, r.n_from, r.n_to,
                  words.level_text(fw, r.median_from), words.level_text(fw, r.median_to),
                  r.median_change, words.on_scale(fw, r.mean_from), words.on_scale(fw, r.mean_to),
                  r.mean_change, r.schools_up, r.schools_down, r.schools_same,
                  *[getattr(r, c) for c in shares]]  # fmt: skip
        sh.line(values, fmts)


def _progress_schools(ctx: Context, sh: Sheet, fid: str, before: str, after: str) -> None:
    fw = ctx.bench.frameworks[fid]
    table = story_.school_changes(ctx.bench, fid, before, after)
    st = ctx.st
    head = ["URN", "School", "Aspects compared", "Mean change", "Aspects that moved up",
            "Aspects that moved down", "Up", "Down", "Same", "Mean level before",
            "Mean level after"]  # fmt: skip
    sh.line(head, st.header)
    fmts = [st.top, st.wrap, st.whole, st.levels_change, st.wrap, st.wrap, st.whole, st.whole,
            st.whole, st.dec1, st.dec1]  # fmt: skip
    for r in table.itertuples():
        n_up, n_down, n_same = (getattr(r, f"n_{d}", 0) for d in ("up", "down", "same"))
        values = [r.school_urn, r.school_name, n_up + n_down + n_same, r.change,
                  getattr(r, "aspects_up", ""), getattr(r, "aspects_down", ""), n_up, n_down,
                  n_same, words.on_scale(fw, r.mean_from), words.on_scale(fw, r.mean_to)]  # fmt: skip
        sh.line(values, fmts)


def _not_in_every_round(ctx: Context, sh: Sheet, fid: str) -> None:
    rounds = ctx.bench.school_rounds
    partial = rounds[(rounds["framework"] == fid) & (rounds["in_every_round"] == "no")]
    sh.line([f"Schools not in every round: {len(partial)}"], ctx.st.heading, height=18, fit=False)
    if partial.empty:
        return
    head = ["URN", "School", "", "", "Rounds taken part in", "Rounds missed"]
    sh.line(head, [ctx.st.header] * 2 + [None] * 2 + [ctx.st.header] * 2)
    for r in partial.itertuples():
        sh.line([r.school_urn, r.school_name, "", "", r.rounds, r.missing_rounds], ctx.st.wrap)
    if ctx.bench.unmapped:
        sh.skip()
        sh.line(["Aspects of an earlier framework version with no counterpart, not compared: "
                 + "; ".join(ctx.bench.unmapped)], ctx.st.note, fit=False)  # fmt: skip


def _progress_charts(ctx: Context, sh: Sheet, fid: str) -> None:
    for kind in ("medians", "slope"):
        png = ctx.chart(("progress", fid), kind)
        if png and png.exists():
            sh.skip()
            sh.skip(insert_png(sh.ws, sh.row, 0, png, width_px=760) + 1)
