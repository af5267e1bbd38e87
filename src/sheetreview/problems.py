"""The problem catalogue and the report that collects problems.

Every problem found in an input file is a record (code, file, sheet, cell, severity, message), not
an exception: one bad cell must not hide the other 399 returns. Codes and their messages live here,
in one place, so that the wording a school reads is reviewed once and stays consistent. A message
says what is wrong and what to do, in a school's words.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Entry:
    severity: str
    template: str  # str.format fields; the location prefix is added by `problem()`


# Skips: files that are not returns and never were meant to be (status `skipped`).
# Rejections: files that should have been a return and cannot be read (status `rejected`).
# Cell problems: a return that was read, with something to fix (status `accepted_with_problems`).
CATALOGUE: dict[str, Entry] = {
    # skipped
    "lock-file": Entry(
        WARNING,
        "is an office lock file left by an open spreadsheet; it is not a return and was skipped.",
    ),
    "system-file": Entry(
        WARNING, "is made by the operating system ({name}), not by a school; it was skipped."
    ),
    "not-a-spreadsheet": Entry(
        WARNING, "is not a spreadsheet ({kind}); it was skipped. Returns are .xlsx or .ods files."
    ),
    # rejected
    "empty-file": Entry(
        ERROR,
        "is empty (0 bytes). The file was not saved or not copied completely: ask the school to send it again.",
    ),
    "fake-spreadsheet": Entry(
        ERROR,
        "is named as a spreadsheet but is not one ({kind}). Ask the school to open the workbook and save it again as .xlsx.",
    ),
    "damaged": Entry(
        ERROR,
        "is damaged or incomplete ({detail}). Ask the school to open it in their spreadsheet program, save it again as .xlsx and resend.",
    ),
    "encrypted": Entry(
        ERROR,
        "is protected with a password, so it cannot be read. Ask the school to remove the password (File > Info > Protect Workbook in Excel) and resend.",
    ),
    "legacy-xls": Entry(
        ERROR,
        "is an old Excel 97-2003 (.xls) file. Ask the school to save it as an Excel Workbook (.xlsx) and resend.",
    ),
    "binary-xlsb": Entry(
        ERROR,
        "is an Excel Binary Workbook (.xlsb). Ask the school to save it as an Excel Workbook (.xlsx) and resend.",
    ),
    "numbers-file": Entry(
        ERROR,
        "is an Apple Numbers file. Ask the school to export it as Excel (File > Export To > Excel) and resend the .xlsx.",
    ),
    "not-a-return": Entry(
        ERROR,
        "is a spreadsheet but not a sheetreview return ({detail}). Send the school its workbook from 'sheetreview generate' to fill in.",
    ),
    "unknown-framework": Entry(
        ERROR,
        "is a return for framework '{framework}', which this run does not know. Pass its definition with --framework-file.",
    ),
    "oversized": Entry(
        ERROR,
        "is too large to be a return ({detail}); it was not read. Ask the school to delete the extra rows or columns, or to send the original workbook.",
    ),
    "zip-bomb": Entry(
        ERROR,
        "unpacks to far more data than a return could hold ({detail}); it was not read. Ask the school to send the original workbook.",
    ),
    "xml-entities": Entry(
        ERROR,
        "contains XML entity declarations, which a spreadsheet never needs; it was not read. Ask the school to save it again as .xlsx from their spreadsheet program.",
    ),
    "unreadable": Entry(
        ERROR,
        "could not be read ({detail}). Check the file is still in the folder and not open elsewhere, then run again.",
    ),
    "superseded": Entry(WARNING, "was replaced by a later return from the same school: {winner}."),
    # problems in a return that was read
    "unknown-level": Entry(
        ERROR, "'{value}' is not one of the levels. Choose {choices} from the list."
    ),
    "ambiguous-level": Entry(
        ERROR, "'{value}' could mean more than one level. Choose {choices} from the list."
    ),
    "blank-level": Entry(
        WARNING,
        "no level chosen for aspect {aspect}. Choose one from the list, or leave it blank if the school has not judged it yet.",
    ),
    "identity-missing": Entry(
        WARNING,
        "the workbook's identity was lost (a spreadsheet program removed it); it was recognised from its layout as {framework}. Nothing to fix.",
    ),
    "hash-mismatch": Entry(
        WARNING,
        "this workbook was made from a different text of {framework} than the one this run knows (content {found}, expected {expected}). Check the school used the current workbook.",
    ),
    "content-outside": Entry(
        WARNING,
        "there is content outside the part of the sheet a return uses (up to {limit}); it was ignored. Delete it if it was meant to be part of the return.",
    ),
    "round-conflict": Entry(
        WARNING,
        "the workbook says round '{found}' but this run was asked for round '{given}'; the workbook's round was used.",
    ),
    "aspect-missing": Entry(
        WARNING,
        "aspect {aspect} ({title}) is missing from the return (its row was deleted?). Add the row back, or copy it from a fresh workbook.",
    ),
    "aspect-duplicate": Entry(
        ERROR, "aspect {aspect} appears more than once (also {other}). Keep one row per aspect."
    ),
    "unknown-aspect": Entry(
        WARNING, "'{value}' is not an aspect code of {framework}; the row was ignored."
    ),
    "bad-date": Entry(
        WARNING,
        "'{value}' is not a date. Write the date of assessment as day/month/year, e.g. 14/03/2026.",
    ),
    "no-review-sheet": Entry(
        ERROR,
        "has no sheet with a 'Code' column of aspect codes. Send the school a fresh workbook from 'sheetreview generate'.",
    ),
    "school-missing": Entry(
        WARNING, "the school's URN is missing. Write the school's URN on the Start sheet."
    ),
}


@dataclass(frozen=True)
class Problem:
    file: str
    sheet: str
    cell: str
    code: str
    severity: str
    message: str

    def as_row(self) -> dict[str, str]:
        return asdict(self)


def problem(code: str, file: str, sheet: str = "", cell: str = "", **fields: object) -> Problem:
    """A located problem whose message reads as a sentence about that place in that file."""
    entry = CATALOGUE[code]
    text = entry.template.format(**fields)
    if sheet and cell:
        where = f"Sheet '{sheet}', cell {cell}: "
    elif sheet:
        where = f"Sheet '{sheet}': "
    else:
        where = "This file "
    if where.endswith(": ") and text[:1].islower():
        text = text[0].upper() + text[1:] if not text.startswith("'") else text
    return Problem(file, sheet, cell, code, entry.severity, where + text)


@dataclass
class Report:
    """Problems of a run, in the order found; the CSV writer and the CLI both read it."""

    problems: list[Problem] = field(default_factory=list)

    def add(self, item: Problem) -> None:
        self.problems.append(item)

    def extend(self, items: Iterable[Problem]) -> None:
        self.problems.extend(items)

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.problems)

    def __len__(self) -> int:
        return len(self.problems)

    def counts(self) -> Counter[str]:
        return Counter(p.severity for p in self.problems)

    def for_file(self, file: str) -> list[Problem]:
        return [p for p in self.problems if p.file == file]
