"""Read the list of schools that `generate --schools` makes one workbook for.

The list is usually exported from a management information system or typed by an LA officer, so
it is checked whole before any workbook is written: a refusal names the file and the row (as the
officer sees it in their spreadsheet, header = row 1) and says how to fix it.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from sheetreview.errors import SchoolsFileError

REQUIRED = ("urn", "name")
OPTIONAL = ("la", "trust", "phase")
# Custom document properties hold the name too, and Excel caps those at 255 characters.
MAX_NAME = 255


@dataclass(frozen=True)
class School:
    urn: str
    name: str
    la: str = ""
    trust: str = ""
    phase: str = ""


def read_schools(path: str | Path) -> list[School]:
    """Every school in a CSV or XLSX list, in file order; SchoolsFileError on the first problem."""
    path = Path(path)
    rows = _read_rows(path)
    return _schools_from_rows(path, rows)


# --- reading the raw rows ---------------------------------------------------------------------


def _read_rows(path: Path) -> list[tuple[int, list[str]]]:
    """(row number, cells) for every row; the header is row 1."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SchoolsFileError(f"{path}: the schools file does not exist; check the path") from None
    except IsADirectoryError:
        raise SchoolsFileError(
            f"{path}: is a folder; give the schools file (CSV or XLSX)"
        ) from None
    except OSError as exc:
        raise SchoolsFileError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    suffix = path.suffix.lower()
    if suffix in (".xls", ".xlsb", ".ods"):
        raise SchoolsFileError(
            f"{path}: {suffix} files are not read; save the list as .xlsx or as CSV UTF-8"
        )
    if suffix in (".xlsx", ".xlsm") or data[:4] == b"PK\x03\x04":
        return _xlsx_rows(path, data)
    return _csv_rows(path, data)


def _csv_rows(path: Path, data: bytes) -> list[tuple[int, list[str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SchoolsFileError(
            f"{path}: is not UTF-8 text (byte {exc.start + 1}); "
            "save it as 'CSV UTF-8 (Comma delimited)' and try again"
        ) from None
    if "\x00" in text:
        raise SchoolsFileError(f"{path}: is not a text file; give a CSV or XLSX list of schools")
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise SchoolsFileError(f"{path}: is not a readable CSV file ({exc})") from None
    return [(i + 1, [c.strip() for c in rec]) for i, rec in enumerate(records)]


def _xlsx_rows(path: Path, data: bytes) -> list[tuple[int, list[str]]]:
    import openpyxl  # only needed for XLSX lists

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        raise SchoolsFileError(
            f"{path}: is not a readable .xlsx file ({type(exc).__name__}); "
            "open it in a spreadsheet program and save it again as .xlsx or CSV UTF-8"
        ) from None
    try:
        sheet = book.worksheets[0]
        rows = []
        for i, values in enumerate(sheet.iter_rows(values_only=True)):
            rows.append((i + 1, [_cell_text(v) for v in values]))
        return rows
    finally:
        book.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    # URNs typed in a spreadsheet come back as numbers; 100001.0 is the URN 100001.
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# --- checking ---------------------------------------------------------------------------------


def _header(path: Path, rows: list[tuple[int, list[str]]]) -> dict[str, int]:
    if not rows or not any(rows[0][1]):
        raise SchoolsFileError(
            f"{path}, row 1: no header row; the first row must name the columns urn and name"
        )
    names = [c.strip().casefold() for c in rows[0][1]]
    columns: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in REQUIRED + OPTIONAL:
            if name in columns:
                raise SchoolsFileError(
                    f"{path}, row 1: the column '{name}' appears twice; keep one of them"
                )
            columns[name] = i
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        found = ", ".join(repr(c) for c in rows[0][1] if c) or "none"
        raise SchoolsFileError(
            f"{path}, row 1: no column {' or '.join(repr(m) for m in missing)} "
            f"(columns found: {found}); name the columns urn and name in the first row"
        )
    return columns


def _schools_from_rows(path: Path, rows: list[tuple[int, list[str]]]) -> list[School]:
    columns = _header(path, rows)
    schools: list[School] = []
    seen: dict[str, int] = {}
    for number, cells in rows[1:]:
        if not any(cells):
            continue  # blank lines at the end of an export are common and harmless
        values = {key: (cells[i].strip() if i < len(cells) else "") for key, i in columns.items()}
        school = _school(path, number, values)
        key = school.urn.casefold()
        if key in seen:
            raise SchoolsFileError(
                f"{path}, row {number}: URN {school.urn} is also on row {seen[key]}; "
                "each school must appear once"
            )
        seen[key] = number
        schools.append(school)
    if not schools:
        raise SchoolsFileError(f"{path}: has a header but no schools; add one school per row")
    return schools


def _school(path: Path, number: int, values: dict[str, str]) -> School:
    where = f"{path}, row {number}"
    if not values["urn"]:
        raise SchoolsFileError(f"{where}: the URN is empty; give every school its URN")
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
