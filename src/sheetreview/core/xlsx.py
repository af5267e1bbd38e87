"""What every workbook the tool writes has in common: text stays text, rows fit, pages print.

xlsxwriter turns a string that looks like a formula, a URL or a number into one unless told not
to; text from a return must never become a live formula or link, so every workbook is opened with
`WORKBOOK_OPTIONS` and text goes through `write_text` (write_string, and one more guard: see there).
"""

from __future__ import annotations

import functools
import io
import math
import re
from itertools import count
from typing import Any

import xlsxwriter.workbook
import xlsxwriter.worksheet
from xlsxwriter.utility import xl_col_to_name

WORKBOOK_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}
MAX_ROW_HEIGHT = 409.0  # Excel's limit, in points
MAX_CELL_CHARS = 32_767  # Excel's limit for one cell
A4 = 9  # xlsxwriter's paper code


def write_text(ws: Any, row: int, col: int, text: str, cell_format: Any = None) -> int:
    """`write_string`, except for text that starts with "<r>" and ends with "</r>".

    xlsxwriter takes such a string for the XML of a rich string it made itself and writes it
    into the file unescaped: a school could type markup, a formula among it, into a return and
    have it become part of a workbook we write. Written as plain fragments of a rich string
    (xlsxwriter wants at least three), the same characters are escaped like any text and the
    cell reads exactly as typed.
    """
    if text.startswith("<r>") and text.endswith("</r>"):
        fragments = (text[:1], text[1:2], text[2:])
        if cell_format is None:
            return ws.write_rich_string(row, col, *fragments)
        return ws.write_rich_string(row, col, *fragments, cell_format)
    return ws.write_string(row, col, text, cell_format)


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


def close_quickly(wb: Any, compresslevel: int = 1) -> None:
    """Close (save) `wb`, deflating its parts at `compresslevel` instead of zlib's default 6.

    A summary of 2,000 returns is some 54 MB of XML: level 6 spends about 1.8 s of CPU on it,
    level 1 about 0.4 s, for a file about a third larger (9 MB against 7). xlsxwriter has no
    option for it, so its zip class is given the level for the time of the call.
    """
    module = xlsxwriter.workbook
    zip_file = module.ZipFile
    module.ZipFile = functools.partial(zip_file, compresslevel=compresslevel)
    try:
        wb.close()
    finally:
        module.ZipFile = zip_file


# --- whole rows straight to a constant_memory worksheet -----------------------------------------
#
# xlsxwriter spends about 25 microseconds of Python on each cell (argument checks, a cell tuple,
# attribute lists, several regular expressions); a summary of 2,000 returns has some 440,000
# cells, most of them evidence text. RowWriter writes the XML xlsxwriter would write for
# write_string, write_number and write_blank, many rows at a time, into the worksheet's own row
# file, and keeps the worksheet's bookkeeping (dimensions, row heights, the row it is on) as
# xlsxwriter keeps it, so rows written either way can follow one another down a sheet.

_SPECIAL = re.compile(r"[\x00-\x08\x0b-\x1f\ufffe\uffff&<>]|_x[0-9a-fA-F]{4}_")
_ESCAPED_ESCAPE = re.compile(r"(_x[0-9a-fA-F]{4}_)")
_CONTROL_CHAR = re.compile(r"([\x00-\x08\x0b-\x1f])")
_WORKSHEET_NEEDS = ("fh", "previous_row", "row_info", "col_info", "xls_strmax", "set_row",
                    "_write_single_row", "_write_row", "_check_dimensions")  # fmt: skip
# What str.isspace (and so xlsxwriter's test for a leading or trailing space) calls a space.
WHITESPACE = frozenset(
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_CHUNK = 256  # texts checked for characters to escape at once


def _plain(text: str) -> bool:
    """Whether `text` needs no escaping (one scan in C; most text from returns does not)."""
    return (
        text.isprintable()
        and "&" not in text
        and "<" not in text
        and ">" not in text
        and "_x" not in text
    )


def inline_text(text: str) -> str:
    """`text` as the inner XML of an inline-string cell: control characters as Excel's _xHHHH_
    escapes (an existing `_xHHHH_` kept literal), `&`, `<` and `>` as entities. Never markup:
    xlsxwriter passes a string that starts `<r>` and ends `</r>` through as rich text, which text
    from a return must not be able to do."""
    if _plain(text) or not _SPECIAL.search(text):
        return text
    text = _ESCAPED_ESCAPE.sub(r"_x005F\1", text)
    text = _CONTROL_CHAR.sub(lambda m: f"_x{ord(m.group(1)):04X}_", text)
    text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def inline_texts(texts: list[str]) -> list[str]:
    """inline_text of each, checking a chunk of texts in one scan first."""
    out = []
    for start in range(0, len(texts), _CHUNK):
        chunk = texts[start : start + _CHUNK]
        out += chunk if _plain("".join(chunk)) else [inline_text(t) for t in chunk]
    return out


def _utf16_fit(text: str, limit: int) -> str:
    """Excel counts a cell's length in UTF-16 units: a character above U+FFFF counts two."""
    if len(text) <= limit // 2 or len(text.encode("utf-16-le", "surrogatepass")) // 2 <= limit:
        return text
    length = 0
    for index, char in enumerate(text):
        length += 2 if ord(char) > 0xFFFF else 1
        if length > limit:
            return text[:index]
    return text


Value = str | float | None
Formats = Any  # one xlsxwriter Format (or None) for a whole column, or a list of one per row
# A column's cell styles, as the XML attribute (s="3", or "" for none): one for the whole column
# or one per cell; None for a cell without a format of its own (it takes its column's).
Styles = str | None | list[str | None]


def cells_xml(values: list[Value], styles: Styles, default: str = "", limit: int = MAX_CELL_CHARS
              ) -> list[str | None]:  # fmt: skip
    """Each cell of a column as the XML after its reference (None: no cell at all).

    `default` is the column's own style, taken by a cell without one; a blank cell without a
    style of its own is not written (as xlsxwriter does). Needs no worksheet: it runs in worker
    processes too.
    """
    texts = [v if len(v) <= limit // 2 else _utf16_fit(v, limit) for v in values if type(v) is str]
    escaped = inline_texts(texts)
    if not isinstance(styles, list):
        if len(escaped) == len(values):  # text in one format: most cells
            head = f'{default if styles is None else styles} t="inlineStr"><is><t'
            return [
                f'{head} xml:space="preserve">{t}</t></is></c>'
                if t[0] in WHITESPACE or t[-1] in WHITESPACE
                else f"{head}>{t}</t></is></c>"
                for t in escaped
            ]
        styles = [styles] * len(values)
    texts_left = iter(escaped)
    out: list[str | None] = []
    for value, style in zip(values, styles, strict=True):
        if value is None:  # a blank without a format of its own is not written at all
            out.append(None if style is None else f"{style}/>")
            continue
        style = default if style is None else style
        if type(value) is float:
            if not math.isfinite(value):
                raise TypeError("NAN/INF not supported in write_number()")
            out.append(f"{style}><v>{value:.16G}</v></c>")
        else:
            text = next(texts_left)
            space = ' xml:space="preserve"' if text[0].isspace() or text[-1].isspace() else ""
            out.append(f'{style} t="inlineStr"><is><t{space}>{text}</t></is></c>')
    return out


def rows_xml(
    first_row: int, cells: list[list[str | None]], names: list[str], tags: list[str | None],
    plain: str,
) -> tuple[str, list[int], list[int]]:  # fmt: skip
    """The XML of rows `first_row`, ... (one per tag), the rows written and the columns used.

    `cells[c][i]` is row i's cell in column c (cells_xml); `tags[i]` is row i's tag after its
    number (`RowWriter.row_tag`), None for a row xlsxwriter holds nothing about: such a row is
    written only when it has cells, with the tag `plain`.
    """
    used = [col for col, column in enumerate(cells) if column.count(None) < len(column)]
    numbers = [str(row + 1) for row in range(first_row, first_row + len(tags))]
    # A column at a time (a list comprehension each), then each row's cells joined in C.
    refs = [
        [
            "" if cell is None else f'<c r="{name}{number}"{cell}'
            for number, cell in zip(numbers, cells[col], strict=True)
        ]
        for name, col in ((names[col], col) for col in used)
    ]
    row_cells = ["".join(row) for row in zip(*refs, strict=True)] if refs else [""] * len(tags)
    parts, written = [], []
    for row, number, tag, xml in zip(count(first_row), numbers, tags, row_cells):
        if xml:
            parts.append(f'<row r="{number}"{plain if tag is None else tag}>{xml}</row>')
            written.append(row)
        elif tag is not None:
            parts.append(f'<row r="{number}"{tag}/>')
    return "".join(parts), written, used


class RowWriter:
    """Writes rows of a constant_memory worksheet as XML, the fast way.

    A value is None (blank: written only when it has a format, as xlsxwriter does), a float
    (a number) or a non-empty str (always an inline string: never a formula, link or number).
    Rows carry no row format of their own: a cell without a format takes its column's.
    """

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self._row_tags: dict[tuple, str] = {}
        self._names: list[str] = []

    @staticmethod
    def supports(ws: Any) -> bool:
        """Whether `ws` is a constant_memory worksheet of the xlsxwriter this was written for."""
        return (
            bool(getattr(ws, "constant_memory", False))
            and all(hasattr(ws, name) for name in _WORKSHEET_NEEDS)
            and hasattr(xlsxwriter.worksheet, "RowInfo")
        )

    def write_rows(
        self,
        first_row: int,
        columns: list[list[Value]],
        fmts: list[Formats],
        heights: list[float | None],
    ) -> bool:
        """Write rows `first_row`, ... (one per height) of `columns`, `fmts[c]` for column c.

        False, and nothing written, when `first_row` is above the row the worksheet is on
        (xlsxwriter would not write there either).
        """
        ws = self.ws
        if not self.start(first_row):
            return False
        if not heights:
            return True
        styles = self.styles(columns, fmts)
        cells = [
            cells_xml(values, style, self.default_style(col), ws.xls_strmax)
            for col, (values, style) in enumerate(zip(columns, styles, strict=True))
        ]
        tags = []
        for row, height in zip(count(first_row), heights):
            if height:
                ws.set_row(row, height)
            info = ws.row_info.get(row)
            tags.append(None if info is None else self.row_tag(info))
        xml, written, used = rows_xml(
            first_row, cells, self.column_names(len(columns)), tags, self.row_tag(None)
        )
        ws.fh.write(xml)
        self.finish(first_row + len(heights), written, used)
        return True

    def start(self, first_row: int) -> bool:
        """Make the worksheet ready for rows from `first_row` on; False if it is past them."""
        ws = self.ws
        if first_row < ws.previous_row:
            return False
        if first_row > ws.previous_row:
            ws._write_single_row(first_row)  # the row xlsxwriter holds, if any, goes first
        return True

    def finish(self, next_row: int, written: list[int], used: list[int]) -> None:
        """Record rows written up to `next_row` as xlsxwriter would have (its dimensions), so
        that it does not write them again."""
        if written:
            self.ws._check_dimensions(written[0], used[0])
            self.ws._check_dimensions(written[-1], used[-1])
        self.ws.previous_row = next_row

    def record(self, first_row: int, first_col: int, last_row: int, last_col: int) -> None:
        """Record cells written elsewhere in the worksheet's dimensions (rows already passed,
        which xlsxwriter's own check, row and column together, would refuse)."""
        for row, col in ((first_row, first_col), (last_row, last_col)):
            self.ws._check_dimensions(row, col, ignore_col=True)
            self.ws._check_dimensions(row, col, ignore_row=True)

    def styles(self, columns: list[list[Value]], fmts: list[Formats]) -> list[Styles]:
        """Each column's cell styles (see Styles), numbering formats first used here."""
        n = len(columns[0]) if columns else 0
        self._index_formats(columns, [f if isinstance(f, list) else [f] * n for f in fmts])
        out: list[Styles] = []
        for fmts_of_column in fmts:
            if not isinstance(fmts_of_column, list):
                out.append(None if fmts_of_column is None else self._style(fmts_of_column))
                continue
            unique = dict(zip(map(id, fmts_of_column), fmts_of_column, strict=True))
            style = {key: None if f is None else self._style(f) for key, f in unique.items()}
            out.append([style[id(f)] for f in fmts_of_column])
        return out

    def default_style(self, col: int) -> str:
        """The style of a cell in column `col` without one of its own: the column's."""
        info = self.ws.col_info.get(col)
        return self._style(info.column_format) if info is not None else ""

    def _index_formats(self, columns: list[list[Value]], fmts: list[list[Any]]) -> None:
        """Number the formats first used here in the order xlsxwriter would (row by row, left
        to right), so styles.xml comes out as it would have."""
        first: dict[int, tuple[int, int, Any]] = {}
        for col, (values, column) in enumerate(zip(columns, fmts, strict=True)):
            info = self.ws.col_info.get(col)
            default = info.column_format if info is not None else None
            unique = dict(zip(map(id, column), column, strict=True)).values()
            if all(f.xf_index is not None for f in unique if f is not None) and (
                default is None or default.xf_index is not None
            ):
                continue  # every format here has its number already
            if default is not None:
                column = [default if f is None and v is not None else f
                          for v, f in zip(values, column, strict=True)]  # fmt: skip
                unique = dict(zip(map(id, column), column, strict=True)).values()
            for fmt in unique:
                if fmt is not None and fmt.xf_index is None:
                    i = column.index(fmt)  # the first row using it, found in C
                    seen = first.get(id(fmt))
                    if seen is None or i < seen[0]:
                        first[id(fmt)] = (i, col, fmt)
        for _, _, fmt in sorted(first.values(), key=lambda entry: entry[:2]):
            fmt._get_xf_index()

    @staticmethod
    def _style(fmt: Any) -> str:
        """A format's s="..." attribute, or "" for none."""
        return "" if fmt is None else f' s="{fmt._get_xf_index()}"'

    def column_names(self, n: int) -> list[str]:
        if len(self._names) < n:
            self._names = [xl_col_to_name(c) for c in range(n)]
        return self._names[:n]

    def row_tag(self, info: Any) -> str:
        """A row's tag after `<row r="N"`, without its closing bracket, as xlsxwriter writes it
        for `info` (a RowInfo, or None for a row it holds nothing about)."""
        key = (None,) if info is None else (info.height, id(info.row_format), info.hidden,
                                            info.level, info.collapsed)  # fmt: skip
        rest = self._row_tags.get(key)
        if rest is None:
            ws, fh = self.ws, self.ws.fh
            ws.fh = io.StringIO()
            try:
                ws._write_row(0, None, info, empty_row=True)
                tag = ws.fh.getvalue()
            finally:
                ws.fh = fh
            rest = self._row_tags[key] = tag[len('<row r="1"') : -len("/>")]
        return rest

    def height_tag(self, height: float | None) -> str | None:
        """The tag of a row `height` points tall that set_row would give (None: no height)."""
        if not height:
            return None
        info = xlsxwriter.worksheet.RowInfo(
            height=int(height * 4.0 / 3.0 + 0.5), row_format=None, hidden=False, level=0,
            collapsed=False,
        )  # fmt: skip
        return self.row_tag(info)
