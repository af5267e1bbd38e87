"""Read one return: what it says about itself, its Start fields and its review rows.

Everything is found by the names in layout.py, never by position: schools sort and delete rows,
and spreadsheet programs rename, re-hide or drop parts of a workbook. The identity comes from the
custom document properties first (cheap: one small XML part), then from the Identity sheet
whatever its visibility (LibreOffice turns "very hidden" into "hidden", Gnumeric makes it
visible), then from the layout, i.e. which framework's aspect codes the rows carry.

Values are read with python-calamine, which builds a grid up to a sheet's furthest cell: a
stray value at XFD10000 asks for gigabytes. So each sheet's extent is measured from its XML
first, and a sheet reaching beyond what a return can use is trimmed to layout.MAX_RETURN_ROWS x
layout.MAX_RETURN_COLS before calamine sees it (content outside is a warning).
"""

from __future__ import annotations

import html
import io
import math
import posixpath
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import defusedxml.ElementTree as DET
from python_calamine import CalamineWorkbook

from sheetreview import layout
from sheetreview.framework import Framework, framework_for
from sheetreview.problems import Problem, problem
from sheetreview.read.sniff import MAX_MEMBER_BYTES, Package, Refusal, sniff

MAX_ROWS = layout.MAX_RETURN_ROWS
MAX_COLS = layout.MAX_RETURN_COLS
# A sheet whose XML is larger than this is not a return, whatever it holds (a filled return's
# Review sheet is about 30 KB).
MAX_SHEET_BYTES = 32 * 1024 * 1024
# Past these, no spreadsheet program writes a cell: a repeat count beyond them is an attack.
SHEET_LIMIT_ROWS = 1_048_576
SHEET_LIMIT_COLS = 16_384

NS_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
NS_META = "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
NS_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
NS_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"

NOT_REVIEW = {
    n.casefold()
    for n in (
        layout.START_SHEET,
        layout.GUIDANCE_SHEET,
        layout.PROFILE_SHEET,
        layout.LISTS_SHEET,
        layout.IDENTITY_SHEET,
    )
}


class Found(NamedTuple):
    """A value as a school left it, and where: problems point at that sheet and cell."""

    value: Any
    sheet: str
    cell: str


class AspectRow(NamedTuple):
    """One row of a review sheet whose code cell holds something."""

    code: str
    sheet: str
    code_cell: str
    level: Found
    evidence: Found
    next_steps: Found
    query_answer: Found = Found(None, "", "")


@dataclass
class RawReturn:
    """What one file says, before levels are checked. `finding` set: the file is not read."""

    kind: str = ""
    finding: Any = None
    framework: Framework | None = None
    identity: dict[str, str] = field(default_factory=dict)
    identity_source: str = ""
    start: dict[str, Found] = field(default_factory=dict)
    rows: list[AspectRow] = field(default_factory=list)
    review_sheet: str = ""
    problems: list[Problem] = field(default_factory=list)
    moderation: bool = False  # a moderator's workbook (`sheetreview moderate`), not a return


def read_return(relpath: str, data: bytes, frameworks: Mapping[str, Framework]) -> RawReturn:
    """Read a file's bytes as a return of one of `frameworks`; never raises for bad input."""
    sniffed = sniff(relpath, data)
    if sniffed.finding is not None:
        return RawReturn(finding=sniffed.finding)
    assert sniffed.package is not None
    try:
        book = _open(sniffed.kind, sniffed.package)
        return _identify_and_read(book, frameworks)
    except Refusal as refusal:
        return RawReturn(kind=sniffed.kind, finding=refusal.finding)


# --- a workbook opened with its sheets measured ------------------------------------------------


@dataclass
class _Book:
    kind: str
    package: Package
    properties: dict[str, str]
    sheet_names: list[str]
    calamine: Any = None
    # For xlsx: sheet name -> part name; sheets already measured (and trimmed if needed).
    parts: dict[str, str] = field(default_factory=dict)
    trimmed: dict[str, bytes] = field(default_factory=dict)
    outside: dict[str, str] = field(default_factory=dict)  # sheet -> first cell beyond the limit
    grids: dict[str, list[list[Any]]] = field(default_factory=dict)

    def has(self, name: str) -> str | None:
        """The sheet's real name, matched case-insensitively (programs and people re-case it)."""
        want = name.casefold()
        for n in self.sheet_names:
            if n.casefold() == want:
                return n
        return None

    def grid(self, name: str) -> list[list[Any]]:
        if name not in self.grids:
            self.grids[name] = _load_grid(self, name)
        return self.grids[name]


def _open(kind: str, pkg: Package) -> _Book:
    return _open_xlsx(pkg) if kind == "xlsx" else _open_ods(pkg)


def _calamine(data: bytes) -> Any:
    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine's errors (and PanicException) carry no stable type
        raise _calamine_refusal(exc) from None


def _calamine_refusal(exc: BaseException) -> Refusal:
    name = type(exc).__name__
    if name == "PasswordError":
        return Refusal("encrypted")
    if name in ("XmlError", "ZipError"):
        return Refusal("damaged", detail="its contents are malformed")
    return Refusal("damaged", detail="its contents cannot be read as a workbook")


def _load_grid(book: _Book, name: str) -> list[list[Any]]:
    if book.calamine is None:
        book.calamine = _calamine(_rebuilt(book) if book.trimmed else book.package.data)
    try:
        sheet = book.calamine.get_sheet_by_name(name)
        rows = sheet.to_python(skip_empty_area=False, nrows=MAX_ROWS)
    except Exception as exc:
        raise _calamine_refusal(exc) from None
    return [row[:MAX_COLS] for row in rows]


def _rebuilt(book: _Book) -> bytes:
    """The package again, with trimmed parts in place of the originals; stored, not deflated,
    since it is read once from memory."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zout:
        for name in book.package.names_in_order():
            if name.endswith("/"):
                continue
            body = book.trimmed.get(name)
            if body is None:
                if not name.endswith((".xml", ".rels")) and name != "mimetype":
                    continue  # pictures and binaries: calamine does not need them
                body = book.package.read(name)
            zout.writestr(name, body)
    return out.getvalue()


# --- xlsx -------------------------------------------------------------------------------------


def _open_xlsx(pkg: Package) -> _Book:
    workbook_part = _workbook_part(pkg)
    rels = _relationships(pkg, _rels_name(workbook_part))
    base = posixpath.dirname(workbook_part)
    parts: dict[str, str] = {}
    names: list[str] = []
    for sheet in _tags(pkg, workbook_part, "sheet"):
        name = sheet.get("name", "")
        if name in names:  # calamine and this scan could then disagree on which part it is
            raise Refusal("damaged", detail=f"two sheets are named '{name}'")
        names.append(name)
        target = rels.get(sheet.get("id", ""), "")
        if target:
            parts[name] = _resolve(base, target)
    # Parts calamine reads when it opens the workbook.
    extra = [
        _resolve(base, t) for t in rels.values() if t.endswith(("sharedStrings.xml", "styles.xml"))
    ]
    pkg.check_parts(["xl/sharedStrings.xml", "xl/styles.xml", *extra])
    return _Book("xlsx", pkg, _custom_properties(pkg), names, parts=parts)


def _workbook_part(pkg: Package) -> str:
    if "xl/workbook.xml" in pkg.names:
        return "xl/workbook.xml"
    for target in _relationships(pkg, "_rels/.rels").values():
        if target.lstrip("/") in pkg.names and target.endswith(".xml"):
            return target.lstrip("/")
    raise Refusal("damaged", detail="it has no workbook part")


def _rels_name(part: str) -> str:
    return posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")


def _resolve(base: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(base, target))


def _xml(pkg: Package, name: str, cap: int = MAX_MEMBER_BYTES) -> Any:
    data = pkg.read(name, cap)
    try:
        return DET.fromstring(data)
    except Exception:  # ParseError, and defusedxml's refusals
        raise Refusal("damaged", detail=f"the part {name} is malformed") from None


def _relationships(pkg: Package, name: str) -> dict[str, str]:
    if pkg.info(name) is None:
        return {}
    return {r.get("Id", ""): r.get("Target", "") for r in _tags(pkg, name, "Relationship")}


_ATTR_RE = re.compile(r"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def _tags(pkg: Package, name: str, local: str) -> list[dict[str, str]]:
    """The attributes (by local name) of every <local> element of a small package part.

    The workbook part and its relationships are read on every file, so they are scanned for
    the few attributes needed instead of built into a tree (ten times slower). This is safe
    because Package.read has refused any DOCTYPE: no entity can be declared, and the
    attribute values hold only the predefined and numeric references, which unescape handles.
    """
    return pkg.memo(name, f"tags {local}", lambda: _scan_tags(pkg, name, local))


def _scan_tags(pkg: Package, name: str, local: str) -> list[dict[str, str]]:
    text = _decoded(pkg.read(name))
    if "<!--" in text:  # a commented-out element is no element: calamine skips it too
        text = _COMMENT_RE.sub("", text)
    pattern = _TAG_RES.get(local) or re.compile(rf"<(?:[\w.-]+:)?{local}\s([^>]*)>")
    out = []
    for m in pattern.finditer(text):
        attrs = {}
        for key, v1, v2 in _ATTR_RE.findall(m.group(1)):
            value = v1 or v2
            attrs[key.rsplit(":", 1)[-1]] = html.unescape(value) if "&" in value else value
        out.append(attrs)
    return out


_COMMENT_RE = re.compile(r"<!--.*?-->", re.S)
_TAG_RES = {t: re.compile(rf"<(?:[\w.-]+:)?{t}\s([^>]*)>") for t in ("sheet", "Relationship")}


def _decoded(data: bytes) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16", errors="replace")
    return data.decode("utf-8", errors="replace")


_PROPERTY_RE = re.compile(
    r"<(?:[\w.-]+:)?property\s[^>]*?\bname\s*=\s*[\"']([^\"']*)[\"'][^>]*>"
    r"\s*<(?:[\w.-]+:)?\w+>([^<]*)</",
    re.S,
)


def _custom_properties(pkg: Package) -> dict[str, str]:
    """Our custom document properties (sheetreview_*), scanned like _tags: every file has them."""
    if pkg.info("docProps/custom.xml") is None:
        return {}
    text = _decoded(pkg.read("docProps/custom.xml", cap=1024 * 1024))
    out: dict[str, str] = {}
    for name, value in _PROPERTY_RE.findall(text):
        name = html.unescape(name)
        if name.startswith(layout.PROPERTY_PREFIX):
            out[name[len(layout.PROPERTY_PREFIX) :]] = html.unescape(value).strip()
    return out


def _measure_xlsx(book: _Book, name: str) -> None:
    """Check a sheet's extent from its XML; trim it when it reaches beyond a return's area."""
    part = book.parts.get(name)
    if part is None:  # never let calamine load a sheet whose extent is unknown
        raise Refusal("damaged", detail=f"the sheet '{name}' has no part in the file")
    if part in book.trimmed:
        return
    pkg, cap = book.package, MAX_SHEET_BYTES
    rows, cols, exact = pkg.memo(part, f"extent {cap}", lambda: xlsx_extent(pkg.read(part, cap)))
    if exact and rows <= MAX_ROWS and cols <= MAX_COLS:
        return
    trimmed, outside = trim_xlsx_sheet(pkg.read(part, cap))
    book.trimmed[part] = trimmed
    if outside:
        book.outside[name] = outside
    book.calamine = None


# Every writer we know puts `r` first; a cell without it (or with it later) takes the exact path.
_REF_RE = re.compile(rb'<c(?: r="([A-Z]{1,3})([0-9]{1,7})"|[\s>/])')
_REF_NS_RE = re.compile(rb'<(?:[A-Za-z][\w.-]*:)?c(?: r="([A-Z]{1,3})([0-9]{1,7})"|[\s>/])')
_DIM_RE = re.compile(rb'<(?:\w+:)?dimension\s+ref="([^"]*)"\s*/>')
_DIM_REF_RE = re.compile(rb"\$?([A-Z]{1,3})\$?([0-9]{1,7})")


def xlsx_extent(xml: bytes) -> tuple[int, int, bool]:
    """(rows, columns, exact) of a sheet: the furthest cell reference and the <dimension> ref.
    Not exact when a cell's place is not given first in its tag (then it must be counted, as
    calamine does, by trim_xlsx_sheet)."""
    # The root's tag tells whether elements carry a namespace prefix (<x:c ...>).
    pattern = _REF_RE if b"<worksheet" in xml[:2048] else _REF_NS_RE
    # Columns and rows apart, each set made in C: a sheet has hundreds of cells in a few dozen
    # rows and columns.
    refs = pattern.findall(xml)
    letters, numbers = (set(part) for part in zip(*refs, strict=True)) if refs else (set(), set())
    # Both groups match together or not at all: b"" is a cell without a leading `r`.
    exact = b"" not in letters
    letters.discard(b"")
    numbers.discard(b"")
    n_rows = max(map(int, numbers), default=0)
    n_cols = max(map(col_number, letters), default=0)
    dim = _DIM_RE.search(xml)
    if dim:
        for m in _DIM_REF_RE.finditer(dim.group(1)):
            n_rows, n_cols = max(n_rows, int(m.group(2))), max(n_cols, col_number(m.group(1)))
    return n_rows, n_cols, exact


def col_number(letters: bytes | str) -> int:
    if isinstance(letters, bytes):
        letters = letters.decode("ascii")
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def col_name(col: int) -> str:
    """Letters of a 0-based column (0 -> A, 26 -> AA): written here, since importing xlsxwriter
    for it costs every reader process 40 ms."""
    letters = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


_LETTERS = [col_name(c) for c in range(MAX_COLS + 1)]


def address(row: int, col: int) -> str:
    """A1 address of a 0-based (row, col)."""
    letters = _LETTERS[col] if col <= MAX_COLS else col_name(col)
    return f"{letters}{row + 1}"


_CDATA_RE = re.compile(rb"<!\[CDATA\[(.*?)\]\]>", re.S)
_SHEETDATA_RE = re.compile(
    rb"<(?:\w+:)?sheetData\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?sheetData\s*>)", re.S
)
_TOKEN_RE = re.compile(
    rb"<(?:\w+:)?row\b[^>]*?/>"
    rb"|<(?:\w+:)?row\b[^>]*>"
    rb"|</(?:\w+:)?row\s*>"
    rb"|<(?:\w+:)?c\b[^>]*?/>"
    rb"|<(?:\w+:)?c\b[^>]*>.*?</(?:\w+:)?c\s*>",
    re.S,
)
# An `r` attribute as any XML writer may put it (either quote, spaces around "=").
_R_ATTR_RE = re.compile(rb"\sr\s*=\s*([\"'])(.*?)\1", re.S)
_CELL_REF_RE = re.compile(rb"\$?([A-Z]{1,3})\$?([0-9]{1,7})")
_ROW_NUMBER_RE = re.compile(rb"[0-9]{1,7}")
_VALUE_RE = re.compile(rb"<(?:\w+:)?(?:v|is)\b[^>]*>\s*[^<\s]|<(?:\w+:)?t\b[^>]*>[^<]")


def trim_xlsx_sheet(xml: bytes) -> tuple[bytes, str]:
    """The sheet with every cell outside the return's area removed, and the first removed cell
    that held a value ("" if none did). Cell places follow calamine's rules: a cell's `r`, else
    the next place in its row; a self-closing cell is no cell at all."""
    if b"<![CDATA[" in xml:
        xml = _CDATA_RE.sub(lambda m: _escape(m.group(1)), xml)
    match = _SHEETDATA_RE.search(xml)
    if match is None or match.group(1) is None:
        return _bounded_dimension(xml), ""
    out: list[bytes] = []
    outside = ""
    row, col, skipping = 0, 0, False
    for token in _TOKEN_RE.finditer(match.group(1)):
        text = token.group(0)
        tag = text[1:8]
        if text.startswith(b"</"):
            if not skipping:
                out.append(text)
            row, col, skipping = row + 1, 0, False
        elif _is_row(tag):
            if text.endswith(b"/>"):
                continue
            attr = _R_ATTR_RE.search(text[: text.find(b">")])
            number = _ROW_NUMBER_RE.fullmatch(attr.group(2).strip()) if attr else None
            if number:
                row = int(number.group(0)) - 1
            skipping = row >= MAX_ROWS or (attr is not None and number is None)
            if not skipping:
                out.append(text)
        else:
            kept, where, col = _trim_cell(text, row, col)
            if kept is not None and not skipping:
                out.append(kept)
            elif where and not outside and _VALUE_RE.search(text):
                outside = where
    body = b"".join(out)
    xml = xml[: match.start(1)] + body + xml[match.end(1) :]
    return _bounded_dimension(xml), outside


def _is_row(tag: bytes) -> bool:
    name = tag.split(b" ")[0].split(b">")[0].split(b"/")[0]
    return name.endswith(b"row") and (name == b"row" or name.endswith(b":row"))


def _trim_cell(text: bytes, row: int, col: int) -> tuple[bytes | None, str, int]:
    """(the cell to keep or None, its address when dropped, the next column)."""
    head = text[: text.find(b">") + 1]
    attr = _R_ATTR_RE.search(head)
    if attr is None:
        r, c = row, col
    else:
        ref = _CELL_REF_RE.fullmatch(attr.group(2).strip())
        if ref is None:  # a place this scan cannot read is not kept: calamine might read one
            return None, "", col
        r, c = int(ref.group(2)) - 1, col_number(ref.group(1)) - 1
    if text.endswith(b"/>") and head == text:
        return (text if r < MAX_ROWS and c < MAX_COLS else None), "", col
    where = address(r, c)
    if r >= MAX_ROWS or c >= MAX_COLS:
        return None, where, c + 1
    if attr is None:  # give it its place explicitly, since cells before it may have been removed
        name_end = re.search(rb"[\s/>]", text).start()  # type: ignore[union-attr]
        text = text[:name_end] + f' r="{where}"'.encode() + text[name_end:]
    return text, "", c + 1


def _escape(raw: bytes) -> bytes:
    return raw.replace(b"&", b"&amp;").replace(b"<", b"&lt;").replace(b">", b"&gt;")


def _bounded_dimension(xml: bytes) -> bytes:
    ref = f'ref="A1:{address(MAX_ROWS - 1, MAX_COLS - 1)}"'.encode()
    return _DIM_RE.sub(lambda m: m.group(0).replace(b'ref="' + m.group(1) + b'"', ref), xml)


# --- ods --------------------------------------------------------------------------------------


def _open_ods(pkg: Package) -> _Book:
    content = pkg.read("content.xml", cap=MAX_SHEET_BYTES)
    tables = ods_extent(content)
    book = _Book("ods", pkg, _ods_properties(pkg), [t.name for t in tables])
    if any(t.needs_trim for t in tables):
        book.trimmed["content.xml"] = trim_ods_content(content)
        for t in tables:
            if t.outside:
                book.outside[t.name] = t.outside
    pkg.check_parts(["styles.xml"])
    return book


def _ods_properties(pkg: Package) -> dict[str, str]:
    if pkg.info("meta.xml") is None:
        return {}
    out: dict[str, str] = {}
    for item in _xml(pkg, "meta.xml", cap=1024 * 1024).iter(f"{{{NS_META}}}user-defined"):
        name = item.get(f"{{{NS_META}}}name", "")
        if name.startswith(layout.PROPERTY_PREFIX):
            out[name[len(layout.PROPERTY_PREFIX) :]] = (item.text or "").strip()
    return out


@dataclass
class _Table:
    name: str
    rows: int = 0  # furthest row holding a value (1-based count)
    cols: int = 0
    needs_trim: bool = False
    outside: str = ""


_T = f"{{{NS_TABLE}}}"
_ROW_TAG, _CELL_TAG, _COVERED_TAG = _T + "table-row", _T + "table-cell", _T + "covered-table-cell"
_TABLE_TAG, _COLUMN_TAG = _T + "table", _T + "table-column"


def ods_extent(content: bytes) -> list[_Table]:
    """Each table's extent with repeat counts applied, read without expanding them."""
    tables: list[_Table] = []
    row = 0
    try:
        for event, elem in DET.iterparse(io.BytesIO(content), events=("start", "end")):
            if event == "start":
                if elem.tag == _TABLE_TAG:
                    tables.append(_Table(elem.get(_T + "name", "")))
                    row = 0
                continue
            if elem.tag == _ROW_TAG and tables:
                row = _measure_ods_row(tables[-1], elem, row)
                elem.clear()
            elif elem.tag == _COLUMN_TAG and tables:
                if _repeat(elem, _T + "number-columns-repeated") > SHEET_LIMIT_COLS:
                    tables[-1].needs_trim = True
    except Exception:  # ParseError, defusedxml's refusals
        raise Refusal("damaged", detail="the part content.xml is malformed") from None
    return tables


def _repeat(elem: Any, attr: str) -> int:
    try:
        return max(1, int(elem.get(attr, "1")))
    except ValueError:
        return 1


def _measure_ods_row(table: _Table, elem: Any, row: int) -> int:
    reps = _repeat(elem, _T + "number-rows-repeated")
    col = 0
    for cell in elem:
        if cell.tag not in (_CELL_TAG, _COVERED_TAG):
            continue
        creps = _repeat(cell, _T + "number-columns-repeated")
        if _ods_has_value(cell):
            table.rows = max(table.rows, row + reps)
            table.cols = max(table.cols, col + creps)
            if (row + reps > MAX_ROWS or col + creps > MAX_COLS) and not table.outside:
                table.outside = _first_outside(row, col, creps)
        col += creps
    if col > SHEET_LIMIT_COLS or row + reps > SHEET_LIMIT_ROWS:
        table.needs_trim = True
    if table.rows > MAX_ROWS or table.cols > MAX_COLS:
        table.needs_trim = True
    return row + reps


def _first_outside(row: int, col: int, creps: int) -> str:
    """The first cell of a repeated block that lies outside the return's area."""
    if row >= MAX_ROWS or col >= MAX_COLS:
        return address(row, col)
    if col + creps > MAX_COLS:
        return address(row, MAX_COLS)
    return address(MAX_ROWS, col)


def _ods_has_value(cell: Any) -> bool:
    if cell.get(f"{{{NS_OFFICE}}}value-type"):
        return True
    return any(child.tag == f"{{{NS_TEXT}}}p" for child in cell)


def trim_ods_content(content: bytes) -> bytes:
    """content.xml with every table cut to the return's area: rows and cells beyond it removed,
    repeat counts reduced to fit."""
    import xml.etree.ElementTree as ET

    namespaces: dict[str, str] = {}
    for event, item in DET.iterparse(io.BytesIO(content), events=("start-ns",)):
        if event == "start-ns":
            prefix, uri = item
            namespaces.setdefault(prefix, uri)
    for prefix, uri in namespaces.items():
        if prefix and not re.fullmatch(r"ns\d+", prefix):
            ET.register_namespace(prefix, uri)
    root = DET.fromstring(content)
    for table in root.iter(_TABLE_TAG):
        _trim_ods_table(table)
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True)


def _trim_ods_table(table: Any) -> None:
    _trim_ods_rows(table, 0)


def _trim_ods_rows(parent: Any, row: int) -> int:
    """Rows in document order, through header-rows and row-groups; returns the next row."""
    for child in list(parent):
        if child.tag == _COLUMN_TAG:
            reps = min(_repeat(child, _T + "number-columns-repeated"), MAX_COLS)
            child.set(_T + "number-columns-repeated", str(reps))
        elif child.tag == _ROW_TAG:
            reps = _repeat(child, _T + "number-rows-repeated")
            if row >= MAX_ROWS:
                parent.remove(child)
            else:
                if row + reps > MAX_ROWS:
                    child.set(_T + "number-rows-repeated", str(MAX_ROWS - row))
                _trim_ods_row(child)
            row += reps
        elif child.tag.startswith(_T) and child.tag not in (_CELL_TAG, _COVERED_TAG):
            row = _trim_ods_rows(child, row)
    return row


def _trim_ods_row(elem: Any) -> None:
    col = 0
    for cell in list(elem):
        if cell.tag not in (_CELL_TAG, _COVERED_TAG):
            continue
        creps = _repeat(cell, _T + "number-columns-repeated")
        if col >= MAX_COLS:
            elem.remove(cell)
        elif col + creps > MAX_COLS:
            cell.set(_T + "number-columns-repeated", str(MAX_COLS - col))
        col += creps


# --- identity, Start and review rows ----------------------------------------------------------


def _identify_and_read(book: _Book, frameworks: Mapping[str, Framework]) -> RawReturn:
    raw = RawReturn(kind=book.kind)
    identity, source = _identity(book)
    moderation = book.has(layout.MODERATION_SHEET)
    if identity.get(layout.KIND_KEY) == layout.MODERATION_KIND or moderation:
        raw.moderation = True
        review = [moderation] if moderation else _review_sheets(book)
    else:
        review = _review_sheets(book)
    if identity.get("framework_id"):
        fid = identity["framework_id"]
        if fid not in frameworks:
            raise Refusal("unknown-framework", framework=fid)
        raw.framework = framework_for(frameworks, fid, identity.get("framework_version"))
        raw.rows, raw.review_sheet = _rows_of(book, review)
    else:
        raw.rows, raw.review_sheet = _rows_of(book, review)
        raw.framework = _by_layout(raw.rows, frameworks, book)
        source = "layout"
        fw = raw.framework
        raw.problems.append(problem("identity-missing", "", raw.review_sheet, framework=fw.id))
    raw.identity, raw.identity_source = identity, source
    _check_hash(raw)
    raw.start = _start_fields(book)
    for name, cell in book.outside.items():
        if name in book.grids:
            limit = address(MAX_ROWS - 1, MAX_COLS - 1)
            raw.problems.append(problem("content-outside", "", name, cell, limit=limit))
    return raw


def _identity(book: _Book) -> tuple[dict[str, str], str]:
    if book.properties.get("framework_id"):
        return dict(book.properties), "properties"
    name = book.has(layout.IDENTITY_SHEET)
    if name is not None:
        values = _key_values(_grid(book, name), {*layout.IDENTITY_KEYS, layout.KIND_KEY})
        found = {k: _text(v.value) for k, v in values.items()}
        if found.get("framework_id"):
            return found, "sheet"
    return {}, ""


def _grid(book: _Book, name: str) -> list[list[Any]]:
    if book.kind == "xlsx":
        _measure_xlsx(book, name)
    return book.grid(name)


def _key_values(grid: list[list[Any]], keys: set[str]) -> dict[str, Found]:
    """Label cells found anywhere, each with the cell to its right: a label's row may move."""
    out: dict[str, Found] = {}
    for r, row in enumerate(grid):
        for c, value in enumerate(row[:-1]):
            if not isinstance(value, str) or not value or len(value) > _LABEL_MAX:
                continue
            key = _label(value)
            if key in keys and key not in out:
                out[key] = Found(row[c + 1], "", address(r, c + 1))
    return out


_LABEL_MAX = 60  # labels and headers are short; descriptors and guidance are not


def _label(value: str) -> str:
    """A label or header as compared; remembered, since every return repeats the same ones."""
    key = _LABELS.get(value)
    if key is None:
        key = " ".join(value.split()).rstrip(":").strip().casefold()
        if len(_LABELS) >= _LABELS_KEPT:
            _LABELS.clear()
        _LABELS[value] = key
    return key


_LABELS: dict[str, str] = {}
_LABELS_KEPT = 4096


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value).strip()


def _start_fields(book: _Book) -> dict[str, Found]:
    name = book.has(layout.START_SHEET)
    if name is None:
        return {}
    labels = {_label(text): key for key, text in layout.START_FIELDS.items()}
    found = _key_values(_grid(book, name), set(labels))
    return {labels[k]: Found(v.value, name, v.cell) for k, v in found.items()}


def _check_hash(raw: RawReturn) -> None:
    fw, found = raw.framework, raw.identity.get("content_hash", "")
    if fw is not None and found and fw.content_hash and found != fw.content_hash:
        sheet = raw.review_sheet
        raw.problems.append(
            problem(
                "hash-mismatch", "", sheet, framework=fw.id, found=found, expected=fw.content_hash
            )
        )


def _review_sheets(book: _Book) -> list[str]:
    """Sheets named as the review (one, or one per element: "Review", "Review 5a"...); else
    every sheet that is not one of ours, for workbooks whose sheets were renamed."""
    want = layout.REVIEW_SHEET.casefold()
    named = [n for n in book.sheet_names if n.casefold().startswith(want)]
    if named:
        return named
    return [n for n in book.sheet_names if n.casefold() not in NOT_REVIEW]


def _rows_of(book: _Book, sheets: list[str]) -> tuple[list[AspectRow], str]:
    rows: list[AspectRow] = []
    first = ""
    headers = (
        _MODERATION_HEADERS if sheets and sheets[0] == book.has(layout.MODERATION_SHEET) else None
    )
    for name in sheets:
        grid = _grid(book, name)
        found = _review_rows(grid, name, headers)
        if found is None:
            continue
        first = first or name
        rows.extend(found)
    if not first:
        raise (
            Refusal("no-review-sheet")
            if _ours(book)
            else Refusal("not-a-return", detail="it has no 'Code' column of aspect codes")
        )
    return rows, first


def _ours(book: _Book) -> bool:
    return bool(book.properties.get("framework_id")) or book.has(layout.IDENTITY_SHEET) is not None


def _review_rows(
    grid: list[list[Any]], sheet: str, headers: dict[str, str] | None = None
) -> list[AspectRow] | None:
    header = _header_row(grid, headers or _HEADERS)
    if header is None:
        return None
    r0, cols = header
    if "level" not in cols:
        return None
    out = []
    c_code = cols["code"]
    code_letters = address(0, c_code)[:-1]
    # The level, evidence, next steps and answer columns, each with its letters (a cell's
    # address is its letters and row number; this loop runs for every row of every return).
    wanted = [
        (c, address(0, c)[:-1] if c is not None else "")
        for c in (cols["level"], cols.get("evidence"), cols.get("next_steps"))
    ]
    c_answer = cols.get("query_answer")
    answer_letters = address(0, c_answer)[:-1] if c_answer is not None else ""
    for r in range(r0 + 1, len(grid)):
        row = grid[r]
        n = len(row)
        value = row[c_code] if c_code < n else ""
        if value is None or value == "":  # what _text makes "" without stripping
            continue
        code = _text(value)
        if not code:
            continue
        number = str(r + 1)
        level, evidence, next_steps = [
            Found(row[c] if c < n else "", sheet, letters + number)
            if c is not None
            else Found(None, sheet, "")
            for c, letters in wanted
        ]
        if c_answer is None:
            answer = Found(None, sheet, "")
        else:
            answer = Found(row[c_answer] if c_answer < n else "", sheet, answer_letters + number)
        out.append(
            AspectRow(code, sheet, code_letters + number, level, evidence, next_steps, answer)
        )
    return out


_HEADERS = {
    _label(layout.CODE_HEADER): "code",
    _label(layout.LEVEL_HEADER): "level",
    _label(layout.EVIDENCE_HEADER): "evidence",
    _label(layout.NEXT_STEPS_HEADER): "next_steps",
    _label(layout.QUERY_ANSWER_HEADER): "query_answer",
}


# A moderation workbook: the moderated level and comment are what is read, in the places of a
# return's level and evidence (the school's own columns are there only to be read by a person).
_MODERATION_HEADERS = {
    _label(layout.CODE_HEADER): "code",
    _label(layout.MODERATED_LEVEL_HEADER): "level",
    _label(layout.MODERATOR_COMMENT_HEADER): "evidence",
}


def _header_row(
    grid: list[list[Any]], headers: dict[str, str]
) -> tuple[int, dict[str, int]] | None:
    for r, row in enumerate(grid[: layout.HEADER_SEARCH_ROWS]):
        cols: dict[str, int] = {}
        for c, value in enumerate(row):
            if isinstance(value, str) and value and len(value) <= _LABEL_MAX:
                key = headers.get(_label(value))
                if key and key not in cols:
                    cols[key] = c
        if "code" in cols:
            return r, cols
    return None


def _by_layout(
    rows: list[AspectRow], frameworks: Mapping[str, Framework], book: _Book
) -> Framework:
    """The framework whose aspect codes the rows carry: most codes matched, at least half of its
    aspects, and no other framework as good."""
    codes = {row.code.casefold() for row in rows}
    scored = []
    for fw in frameworks.values():
        hits = sum(1 for a in fw.aspects if a.code.casefold() in codes)
        if hits and hits >= math.ceil(len(fw.aspects) / 2):
            scored.append((hits / len(fw.aspects), hits, fw.id))
    scored.sort(reverse=True)
    if not scored or (len(scored) > 1 and scored[0][:2] == scored[1][:2]):
        detail = "its aspect codes are not those of any framework this run knows"
        raise Refusal("not-a-return", detail=detail)
    return frameworks[scored[0][2]]
