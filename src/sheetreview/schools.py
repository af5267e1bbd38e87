"""Read a list of schools as an LA officer actually has it.

The list is the DfE "Get Information about Schools" (GIAS) establishment export, a management
information system's CSV, or a sheet typed by hand. So the reader takes what those give, as they
give it: CSV in UTF-8 (with or without the BOM Excel adds) or Windows-1252 (what GIAS and older
Excel write), XLSX or ODS; headers matched by their usual names whatever their case and spacing;
GIAS's closed establishments left out. It never guesses silently: the encoding used and the
schools left out are returned as notes for the CLI to print.

The list is checked whole before anything is written: a refusal names the file and the row (as
the officer sees it in their spreadsheet, header = row 1) and says how to fix it.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from sheetreview.errors import SchoolsFileError

FIELDS = ("urn", "name", "la", "trust", "phase")
REQUIRED = ("urn", "name")
# Header names per field, compared without case, spaces or underscores ("School name",
# "school_name" and "SCHOOLNAME" are one name). GIAS's own headers are among them.
ALIASES: dict[str, tuple[str, ...]] = {
    "urn": ("URN", "school urn"),
    "name": ("name", "school", "school name", "EstablishmentName", "establishment name"),
    "la": ("la", "LA (name)", "local authority"),
    "trust": ("trust", "Trusts (name)", "MAT"),
    "phase": ("phase", "PhaseOfEducation (name)"),
}
# GIAS lists every establishment it ever knew; a closed one is nobody to send a workbook to.
STATUS_HEADER = "EstablishmentStatus (name)"
CLOSED = "closed"
# Custom document properties hold the name too, and Excel caps those at 255 characters.
MAX_NAME = 255
# A school list is a few thousand rows; a sheet reaching further holds a stray cell far away.
MAX_CELLS = 20_000_000


@dataclass(frozen=True)
class School:
    urn: str
    name: str
    la: str = ""
    trust: str = ""
    phase: str = ""


@dataclass
class SchoolList:
    """The schools of a list, in file order, and what was done to read it (for the officer)."""

    path: Path
    schools: list[School]
    encoding: str = ""  # for CSV: the encoding it was read in
    closed: int = 0  # GIAS establishments left out because they are closed
    columns: dict[str, str] = field(default_factory=dict)  # field -> the header it came from

    def __iter__(self):
        return iter(self.schools)

    def __len__(self) -> int:
        return len(self.schools)

    def notes(self) -> list[str]:
        """What the officer should know about how the list was read."""
        out = []
        if self.encoding and self.encoding != "UTF-8":
            out.append(f"{self.path}: read as {self.encoding} text (it is not UTF-8).")
        if self.closed:
            out.append(
                f"{self.path}: left out {self.closed} closed establishment(s) "
                f"({STATUS_HEADER} = Closed)."
            )
        return out


def read_schools(path: str | Path) -> SchoolList:
    """Every school in a CSV, XLSX or ODS list; SchoolsFileError on the first problem."""
    path = Path(path)
    rows, encoding = _read_rows(path)
    result = _schools_from_rows(path, rows)
    result.encoding = encoding
    return result


# --- reading the raw rows ---------------------------------------------------------------------

Rows = list[tuple[int, list[str]]]


def _read_rows(path: Path) -> tuple[Rows, str]:
    """(row number, cells) for every row, the header being row 1; and the CSV's encoding."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SchoolsFileError(f"{path}: the schools file does not exist; check the path") from None
    except IsADirectoryError:
        raise SchoolsFileError(
            f"{path}: is a folder; give the schools file (CSV, XLSX or ODS)"
        ) from None
    except OSError as exc:
        raise SchoolsFileError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    suffix = path.suffix.lower()
    # By bytes first: a list renamed .csv is still a workbook, and an .xls is still refused.
    if data[:4] == b"PK\x03\x04":
        return _sheet_rows(path, data), ""
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" or suffix in (".xls", ".xlsb"):
        raise SchoolsFileError(
            f"{path}: {suffix or 'this'} files are not read (an Excel 97-2003 or binary "
            "workbook, or a password-protected one); save the list as .xlsx or as CSV UTF-8"
        )
    if suffix in (".xlsx", ".xlsm", ".ods"):
        raise SchoolsFileError(
            f"{path}: is not a readable {suffix} file; open it in a spreadsheet program and save "
            "it again as .xlsx or CSV UTF-8"
        )
    return _csv_rows(path, data)


def _decode(path: Path, data: bytes) -> tuple[str, str]:
    """The text and the name of its encoding: UTF-8 (BOM or not), UTF-16 with a BOM (Excel's
    "Unicode text"), else Windows-1252. Any byte sequence that is valid UTF-8 is read as UTF-8:
    Windows-1252 text with accents is almost never valid UTF-8, so the order is safe."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            pass
    try:
        text = data.decode("utf-8-sig")
        return text, "UTF-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        raise SchoolsFileError(
            f"{path}: is neither UTF-8 nor Windows-1252 text (byte {utf8_error.start + 1}); "
            "save it as 'CSV UTF-8 (Comma delimited)' and try again"
        ) from None


def _csv_rows(path: Path, data: bytes) -> tuple[Rows, str]:
    text, encoding = _decode(path, data)
    if "\x00" in text:
        raise SchoolsFileError(
            f"{path}: is not a text file; give a CSV, XLSX or ODS list of schools"
        )
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    # Excel's "Unicode text" is tab-separated; Excel in much of Europe writes semicolons.
    delimiter = max((",", "\t", ";"), key=lambda d: (first.count(d), d == ","))
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise SchoolsFileError(f"{path}: is not a readable CSV file ({exc})") from None
    return [(i + 1, [c.strip() for c in rec]) for i, rec in enumerate(records)], encoding


def _sheet_rows(path: Path, data: bytes) -> Rows:
    """The first sheet of an XLSX or ODS file (python-calamine reads both)."""
    import python_calamine as calamine

    try:
        book = calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = book.get_sheet_by_index(0)
        end_row, end_col = sheet.end or (0, 0)
        if (end_row + 1) * (end_col + 1) > MAX_CELLS:
            raise SchoolsFileError(
                f"{path}: its first sheet reaches row {end_row + 1}, column {end_col + 1}, far "
                "beyond a list of schools; delete the stray cells or copy the list to a new file"
            )
        grid = sheet.to_python(skip_empty_area=False)
    except SchoolsFileError:
        raise
    except Exception as exc:  # calamine raises many kinds for a damaged or encrypted file
        raise SchoolsFileError(
            f"{path}: is not a readable .xlsx or .ods file ({type(exc).__name__}); "
            "open it in a spreadsheet program and save it again as .xlsx or CSV UTF-8"
        ) from None
    return [(i + 1, [_cell_text(v) for v in values]) for i, values in enumerate(grid)]


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    # URNs typed in a spreadsheet come back as numbers; 100001.0 is the URN 100001.
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# --- checking ---------------------------------------------------------------------------------


def header_key(text: str) -> str:
    """A header as compared: case, spaces and underscores do not count."""
    return re.sub(r"[\s_]+", "", text.replace("\ufeff", "")).casefold()


_FIELD_OF = {header_key(alias): f for f, aliases in ALIASES.items() for alias in aliases}


def _header(path: Path, rows: Rows) -> tuple[dict[str, int], int | None]:
    """Column index per field, and the GIAS status column if there is one."""
    if not rows or not any(rows[0][1]):
        raise SchoolsFileError(
            f"{path}, row 1: no header row; the first row must name the columns "
            "(urn and name, or GIAS's URN and EstablishmentName)"
        )
    header = rows[0][1]
    columns: dict[str, int] = {}
    status = None
    for i, text in enumerate(header):
        key = header_key(text)
        if key == header_key(STATUS_HEADER):
            status = i
        found = _FIELD_OF.get(key)
        if found is None:
            continue
        if found in columns:
            first = header[columns[found]]
            raise SchoolsFileError(
                f"{path}, row 1: the columns '{first}' and '{text}' both give the school's "
                f"{_FIELD_WORDS[found]}; delete or rename one of them"
            )
        columns[found] = i
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        shown = [repr(c) for c in header if c][:12]
        found_text = ", ".join(shown) + (", ..." if len(header) > 12 else "") or "none"
        wanted = " or ".join(f"'{m}'" for m in missing)
        raise SchoolsFileError(
            f"{path}, row 1: no column {wanted} (columns found: {found_text}); name the "
            f"columns in the first row, e.g. {' and '.join(_EXAMPLES[m] for m in missing)}"
        )
    return columns, status


_FIELD_WORDS = {"urn": "URN", "name": "name", "la": "local authority", "trust": "trust"}
_FIELD_WORDS["phase"] = "phase"
_EXAMPLES = {"urn": "'urn' (or 'URN')", "name": "'name' (or 'School name', 'EstablishmentName')"}


def _schools_from_rows(path: Path, rows: Rows) -> SchoolList:
    columns, status = _header(path, rows)
    result = SchoolList(path, [], columns={f: rows[0][1][i] for f, i in columns.items()})
    seen: dict[str, int] = {}
    for number, cells in rows[1:]:
        if not any(cells):
            continue  # blank lines at the end of an export are common and harmless
        if status is not None and status < len(cells) and cells[status].casefold() == CLOSED:
            result.closed += 1
            continue
        values = {key: (cells[i].strip() if i < len(cells) else "") for key, i in columns.items()}
        school = _school(path, number, values)
        key = school.urn.casefold()
        if key in seen:
            raise SchoolsFileError(
                f"{path}, row {number}: URN {school.urn} is also on row {seen[key]}; "
                "each school must appear once (delete one of the rows)"
            )
        seen[key] = number
        result.schools.append(school)
    if not result.schools:
        closed = f" ({result.closed} closed establishments left out)" if result.closed else ""
        raise SchoolsFileError(
            f"{path}: has a header but no schools{closed}; add one school per row"
        )
    return result


def _school(path: Path, number: int, values: dict[str, str]) -> School:
    where = f"{path}, row {number}"
    if not values["urn"]:
        raise SchoolsFileError(f"{where}: the URN is empty; give every school its URN")
    if not (values["urn"].isascii() and values["urn"].isdigit()):
        raise SchoolsFileError(
            f"{where}: the URN '{values['urn'][:40]}' is not a number; a URN is digits only "
            "(e.g. 100001): correct it"
        )
    if not values["name"]:
        raise SchoolsFileError(f"{where}: the school name is empty; give every school its name")
    if len(values["name"]) > MAX_NAME:
        raise SchoolsFileError(
            f"{where}: the school name is longer than {MAX_NAME} characters; shorten it"
        )
    if any(ord(ch) < 32 for v in values.values() for ch in v):
        raise SchoolsFileError(
            f"{where}: a value contains a line break or control character; remove it"
        )
    return School(
        urn=values["urn"],
        name=values["name"],
        la=values.get("la", ""),
        trust=values.get("trust", ""),
        phase=values.get("phase", ""),
    )
