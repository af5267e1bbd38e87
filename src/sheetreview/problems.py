"""The problem catalogue: every code with its words, and the problem record.

Every problem found in an input file is a record (code, file, sheet, cell, severity, the values it
is about), not an exception: one bad cell must not hide the other 399 returns. Each code carries
its words in parts: what was found, what the LA officer does, what the school does, and whom it
is for. problems.csv and the letters to schools are both rendered from those parts, so a reworded
sentence can never break the letters, and a school is never told "ask the school to".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from string import Formatter

from sheetreview.core.out import PROBLEMS_COLUMNS


class Severity(StrEnum):
    """How much a problem matters; letters group by it ("To fix", "To check")."""

    ERROR = "error"
    WARNING = "warning"
    # A judgement that is possible but unlikely: counted as given; the school corrects it or
    # confirms it in the Review sheet's query column. Never a fault of the file.
    QUERY = "query"


class Audience(StrEnum):
    """Whom a problem is for. A school hears only about what it can change in its own file."""

    SCHOOL = "school"
    OFFICER = "officer"


ERROR = Severity.ERROR
WARNING = Severity.WARNING
QUERY = Severity.QUERY
SCHOOL = Audience.SCHOOL
OFFICER = Audience.OFFICER


@dataclass(frozen=True)
class Entry:
    """The words of one code: str.format templates filled from the problem's values.

    `found` says what was found. With `whole_file` it is said of the file and reads on from
    "This file " ("is empty (0 bytes)."); otherwise it is a sentence about the sheet and cell the
    problem names. `officer` is what the LA officer does (it ends the message in problems.csv);
    `school` is what the school does, in a letter to it, so it addresses the school.
    """

    severity: Severity
    found: str
    officer: str
    school: str
    audience: Audience = SCHOOL
    whole_file: bool = False

    def fields(self) -> set[str]:
        """The values the templates use (a problem must be given each of them)."""
        return {
            name
            for text in (self.found, self.officer, self.school)
            for _, name, _, _ in Formatter().parse(text)
            if name
        }


_RESEND_XLSX = (
    "Please save it as an Excel Workbook (.xlsx) with File > Save As, and send that file."
)
_NOTHING = "Nothing to do."


class Code(StrEnum):
    """Every problem code, with its words. A code is a string ("unknown-level") everywhere:
    in problems.csv, in the ledger and in calls to `problem()`.

    Skips: files that are not returns and never were meant to be (status `skipped`).
    Rejections: files that should have been a return and cannot be read (status `rejected`).
    Cell problems: a return that was read, with something to fix (`accepted_with_problems`).

    A new code is one member here: its name, and an Entry with its severity and all its words.
    Nothing else restates them: problems.csv, the letters and the ledger follow.
    """

    entry: Entry

    def __new__(cls, value: str, entry: Entry) -> Code:
        member = str.__new__(cls, value)
        member._value_ = value
        member.entry = entry
        return member

    # --- skipped
    LOCK_FILE = (
        "lock-file",
        Entry(
            WARNING,
            "is an office lock file left by an open spreadsheet; it is not a return and was skipped.",
            "Nothing to do: it goes away when the spreadsheet is closed.",
            _NOTHING,
            OFFICER,
            whole_file=True,
        ),
    )
    LINKED_FOLDER = (
        "linked-folder",
        Entry(
            WARNING,
            "is a link to another folder ({target}); it was not followed, so returns there were not read.",
            "Copy or move those returns into the folder you ingest, then run again.",
            _NOTHING,
            OFFICER,
            whole_file=True,
        ),
    )
    LINK_OUTSIDE = (
        "link-outside",
        Entry(
            WARNING,
            "is a link to a file outside the folder being read ({target}); it was not read.",
            "Copy the file itself into the folder you ingest if it is a return, then run again.",
            _NOTHING,
            OFFICER,
            whole_file=True,
        ),
    )
    SYSTEM_FILE = (
        "system-file",
        Entry(
            WARNING,
            "is made by the operating system ({name}), not by a school; it was skipped.",
            _NOTHING,
            _NOTHING,
            OFFICER,
            whole_file=True,
        ),
    )
    NOT_A_SPREADSHEET = (
        "not-a-spreadsheet",
        Entry(
            WARNING,
            "is not a spreadsheet ({kind}); it was skipped.",
            "Returns are .xlsx or .ods files: if a school sent this instead of its return, ask for the workbook.",
            "Please send your self-review workbook (.xlsx or .ods) rather than this file.",
            OFFICER,
            whole_file=True,
        ),
    )
    SHEETREVIEW_OUTPUT = (
        "sheetreview-output",
        Entry(
            WARNING,
            "was written by sheetreview (it is in {folder}, an earlier output folder), not sent by a school; it was skipped.",
            "Keep output folders outside the returns folder: move {folder} out of it.",
            _NOTHING,
            OFFICER,
            whole_file=True,
        ),
    )
    # --- rejected
    EMPTY_FILE = (
        "empty-file",
        Entry(
            ERROR,
            "is empty (0 bytes).",
            "The file was not saved or not copied completely: ask the school to send it again.",
            "Please send the file again: the copy we received is empty.",
            whole_file=True,
        ),
    )
    FAKE_SPREADSHEET = (
        "fake-spreadsheet",
        Entry(
            ERROR,
            "is named as a spreadsheet but is not one ({kind}).",
            "Ask the school to open the workbook and save it again as .xlsx.",
            "Please open your workbook in your spreadsheet program, save it as an Excel Workbook (.xlsx) and send that file.",
            whole_file=True,
        ),
    )
    DAMAGED = (
        "damaged",
        Entry(
            ERROR,
            "is damaged or incomplete ({detail}).",
            "Ask the school to open it in their spreadsheet program, save it again as .xlsx and resend.",
            "Please open your workbook in your spreadsheet program, save it again as an Excel Workbook (.xlsx) and send the new file.",
            whole_file=True,
        ),
    )
    ENCRYPTED = (
        "encrypted",
        Entry(
            ERROR,
            "is protected with a password, so it cannot be read.",
            "Ask the school to remove the password (File > Info > Protect Workbook in Excel) and resend.",
            "Please remove the password (in Excel: File > Info > Protect Workbook > Encrypt with Password, then delete the password), save, and send the file again.",
            whole_file=True,
        ),
    )
    LEGACY_XLS = (
        "legacy-xls",
        Entry(
            ERROR,
            "is an old Excel 97-2003 (.xls) file.",
            "Ask the school to save it as an Excel Workbook (.xlsx) and resend.",
            _RESEND_XLSX,
            whole_file=True,
        ),
    )
    BINARY_XLSB = (
        "binary-xlsb",
        Entry(
            ERROR,
            "is an Excel Binary Workbook (.xlsb).",
            "Ask the school to save it as an Excel Workbook (.xlsx) and resend.",
            _RESEND_XLSX,
            whole_file=True,
        ),
    )
    NUMBERS_FILE = (
        "numbers-file",
        Entry(
            ERROR,
            "is an Apple Numbers file.",
            "Ask the school to export it as Excel (File > Export To > Excel) and resend the .xlsx.",
            "Please export it from Numbers as Excel (File > Export To > Excel) and send the .xlsx file.",
            whole_file=True,
        ),
    )
    NOT_A_RETURN = (
        "not-a-return",
        Entry(
            ERROR,
            "is a spreadsheet but not a sheetreview return ({detail}).",
            "Send the school its workbook from 'sheetreview generate' to fill in.",
            "Please fill in the self-review workbook we sent you (rather than a copy of its contents in another file) and send that workbook back.",
            whole_file=True,
        ),
    )
    UNKNOWN_FRAMEWORK = (
        "unknown-framework",
        Entry(
            ERROR,
            "is a return for framework '{framework}', which this run does not know.",
            "Pass its definition with --framework-file.",
            "Nothing to do: we will read it again with the right definition.",
            OFFICER,
            whole_file=True,
        ),
    )
    OVERSIZED = (
        "oversized",
        Entry(
            ERROR,
            "is too large to be a return ({detail}); it was not read.",
            "Ask the school to delete the extra rows or columns, or to send the original workbook.",
            "Please delete any rows or columns added outside the review, or fill in the original workbook we sent you, and send it again.",
            whole_file=True,
        ),
    )
    ZIP_BOMB = (
        "zip-bomb",
        Entry(
            ERROR,
            "unpacks to far more data than a return could hold ({detail}); it was not read.",
            "Ask the school to send the original workbook.",
            "Please send the original workbook we sent you, filled in.",
            whole_file=True,
        ),
    )
    XML_ENTITIES = (
        "xml-entities",
        Entry(
            ERROR,
            "contains XML entity declarations, which a spreadsheet never needs; it was not read.",
            "Ask the school to save it again as .xlsx from their spreadsheet program.",
            "Please open the workbook in your spreadsheet program, save it again as an Excel Workbook (.xlsx) and send it again.",
            whole_file=True,
        ),
    )
    UNREADABLE = (
        "unreadable",
        Entry(
            ERROR,
            "could not be read ({detail}).",
            "Check the file is still in the folder and not open elsewhere, then run again.",
            _NOTHING,
            OFFICER,
            whole_file=True,
        ),
    )
    READER_FAULT = (
        "reader-fault",
        Entry(
            ERROR,
            "could not be read because of a fault in sheetreview ({detail}), not because of anything in the file.",
            "Please report it to the sheetreview maintainers with errors.log from the output folder, which holds the details; the school need do nothing.",
            "Nothing to do: the fault is ours, and we will read your file again once it is put right.",
            OFFICER,
            whole_file=True,
        ),
    )
    SUPERSEDED = (
        "superseded",
        Entry(
            WARNING,
            "was replaced by a later return from the same school: {winner}.",
            "Nothing to do: the later return is the one used.",
            _NOTHING,
            OFFICER,
            whole_file=True,
        ),
    )
    # --- blank: recognised, but no level chosen; not a return (status `blank`)
    BLANK_RETURN = (
        "blank-return",
        Entry(
            WARNING,
            "is the school's workbook with no level chosen for any aspect, so it does not count as a return yet.",
            "Ask the school to choose a level for each aspect, save the workbook and send it again.",
            "Please choose a level for each aspect, save the workbook and send it again.",
            whole_file=True,
        ),
    )
    # --- problems in a return that was read
    UNKNOWN_LEVEL = (
        "unknown-level",
        Entry(
            ERROR,
            "'{value}' is not one of the levels.",
            "Choose {choices} from the list.",
            "Please choose {choices} from the list in the cell.",
        ),
    )
    AMBIGUOUS_LEVEL = (
        "ambiguous-level",
        Entry(
            ERROR,
            "'{value}' could mean more than one level.",
            "Choose {choices} from the list.",
            "Please choose {choices} from the list in the cell, so that it says which level you mean.",
        ),
    )
    BLANK_LEVEL = (
        "blank-level",
        Entry(
            WARNING,
            "no level chosen for aspect {aspect}.",
            "Choose one from the list, or leave it blank if the school has not judged it yet.",
            "Please choose a level from the list, or leave it blank if you have not judged this aspect yet.",
        ),
    )
    IDENTITY_MISSING = (
        "identity-missing",
        Entry(
            WARNING,
            "the workbook's identity was lost (a spreadsheet program removed it); it was recognised from its layout as {framework}.",
            "Nothing to fix.",
            _NOTHING,
            OFFICER,
        ),
    )
    HASH_MISMATCH = (
        "hash-mismatch",
        Entry(
            WARNING,
            "this workbook was made from a different text of {framework} than the one this run knows.",
            "Check the school used the current workbook (its text is {found}, this run's {expected}).",
            "Please check that you filled in the workbook we sent you for this round; if you used an older copy, copy your answers into the current one and send that.",
        ),
    )
    CONTENT_OUTSIDE = (
        "content-outside",
        Entry(
            WARNING,
            "there is content outside the part of the sheet a return uses (up to {limit}); it was ignored.",
            "Delete it if it was meant to be part of the return.",
            "If it was meant to be part of your return, please move it into the review; otherwise you can delete it.",
        ),
    )
    ROUND_CONFLICT = (
        "round-conflict",
        Entry(
            WARNING,
            "the workbook says round '{found}' but this run was asked for round '{given}'; the workbook's round was used.",
            "Check the round given with --round, or ask the school which round this return is for.",
            _NOTHING,
            OFFICER,
        ),
    )
    ASPECT_MISSING = (
        "aspect-missing",
        Entry(
            WARNING,
            "aspect {aspect} ({title}) is missing from the return (its row was deleted?).",
            "Add the row back, or copy it from a fresh workbook.",
            "Please add the row back, or copy it from a fresh copy of the workbook we sent you.",
        ),
    )
    ASPECT_DUPLICATE = (
        "aspect-duplicate",
        Entry(
            ERROR,
            "aspect {aspect} appears more than once (also {other}).",
            "Keep one row per aspect.",
            "Please keep one row for each aspect and delete the other.",
        ),
    )
    UNKNOWN_ASPECT = (
        "unknown-aspect",
        Entry(
            WARNING,
            "'{value}' is not an aspect code of {framework}; the row was ignored.",
            "Nothing to do unless the school meant it as an aspect: then ask it to correct the code.",
            "If this row was meant to be an aspect, please correct its code to one in the workbook; otherwise there is nothing to do.",
        ),
    )
    BAD_DATE = (
        "bad-date",
        Entry(
            WARNING,
            "'{value}' is not a date.",
            "Write the date of assessment as day/month/year, e.g. 14/03/2026.",
            "Please write the date of assessment as day/month/year, e.g. 14/03/2026.",
        ),
    )
    NO_REVIEW_SHEET = (
        "no-review-sheet",
        Entry(
            ERROR,
            "has no sheet with a 'Code' column of aspect codes.",
            "Send the school a fresh workbook from 'sheetreview generate'.",
            "Please fill in the self-review workbook we sent you and send it back; if you no longer have it, ask us for a fresh copy.",
            whole_file=True,
        ),
    )
    SCHOOL_MISSING = (
        "school-missing",
        Entry(
            WARNING,
            "the school's URN is missing.",
            "Write the school's URN on the Start sheet.",
            "Please write your school's URN on the Start sheet.",
        ),
    )
    # --- queries: judgements counted as they are, which the school is asked to confirm
    QUERY_RISE = (
        "query-rise",
        Entry(
            QUERY,
            "aspect {aspect} rose from {before} to {after} since {previous} ({levels} levels).",
            "Ask the school to confirm the level in the '{answer_column}' column, or to correct it.",
            "If that is right, please say why in the '{answer_column}' column of that row; otherwise correct the level.",
        ),
    )
    QUERY_FALL_NO_NEXT_STEPS = (
        "query-fall-no-next-steps",
        Entry(
            QUERY,
            "aspect {aspect} fell from {before} to {after} since {previous} ({levels} levels) and no next steps are written.",
            "Ask the school to write next steps, or to explain the fall in the '{answer_column}' column.",
            "Please write the next steps, or explain the fall in the '{answer_column}' column of that row.",
        ),
    )
    QUERY_SAME_LEVEL = (
        "query-same-level",
        Entry(
            QUERY,
            "all {count} aspects are at the same level ({level}).",
            "Ask the school to confirm it in the '{answer_column}' column of aspect {aspect}, or to check each level.",
            "If that is right, please confirm it in the '{answer_column}' column of aspect {aspect}; otherwise check each level.",
        ),
    )
    QUERY_TOP_LEVEL_EVIDENCE = (
        "query-top-level-evidence",
        Entry(
            QUERY,
            "aspect {aspect} is at the most developed level ({level}) with {words} word(s) of evidence (fewer than {minimum}).",
            "Ask the school to add the evidence, or to confirm the level in the '{answer_column}' column.",
            "Please add the evidence, or confirm the level in the '{answer_column}' column of that row.",
        ),
    )
    MODERATION_WITHOUT_RETURN = (
        "moderation-without-return",
        Entry(
            ERROR,
            "is a moderation of {school} ({framework}, round {round}), but there is no accepted return from that school for that round to compare it with.",
            "Add the school's return to the folder, or check the moderation is for the right school and round.",
            _NOTHING,
            OFFICER,
            whole_file=True,
        ),
    )
    BAD_URN = (
        "bad-urn",
        Entry(
            WARNING,
            "'{value}' is not a URN: a URN is digits only.",
            "Write the school's URN (digits only, e.g. 100001) on the Start sheet; the school was recognised by its name meanwhile.",
            "Please write your school's URN, digits only (e.g. 100001), on the Start sheet.",
        ),
    )


# Each code's words by its name, for code that holds codes as plain strings.
CATALOGUE: dict[str, Entry] = {code.value: code.entry for code in Code}


def _sentence(text: str) -> str:
    """Capitalised as the start of a sentence; a quoted value from a return is left as typed."""
    return text[0].upper() + text[1:] if text[:1].islower() else text


@dataclass(frozen=True)
class Problem:
    """A problem at a place in a file: its code and the values its words are filled from.

    The words are rendered on demand from the catalogue, never stored in place of the values.
    """

    file: str
    sheet: str
    cell: str
    code: str
    values: Mapping[str, str] = field(default_factory=dict)
    severity: str = ""  # "" means the code's own severity

    def __post_init__(self) -> None:
        if not self.severity:
            object.__setattr__(self, "severity", self.entry.severity.value)

    @property
    def entry(self) -> Entry:
        return Code(self.code).entry

    @property
    def audience(self) -> str:
        return self.entry.audience.value

    @property
    def where(self) -> str:
        """The place, as the message starts: "Sheet 'Review', cell F12: "; "" for a whole file."""
        if self.sheet and self.cell:
            return f"Sheet '{self.sheet}', cell {self.cell}: "
        if self.sheet:
            return f"Sheet '{self.sheet}': "
        return ""

    @property
    def found(self) -> str:
        """What was found, as a sentence standing alone (the place is given beside it)."""
        text = self.entry.found.format(**self.values)
        return "This file " + text if self.entry.whole_file else _sentence(text)

    @property
    def officer_action(self) -> str:
        return self.entry.officer.format(**self.values)

    @property
    def school_action(self) -> str:
        return self.entry.school.format(**self.values)

    @property
    def message(self) -> str:
        """The officer's one-line account: where, what was found, what to do."""
        return f"{self.where}{self.found} {self.officer_action}"

    def as_row(self) -> dict[str, str]:
        """The problem as a row of problems.csv, its columns in order."""
        return {name: getattr(self, name) for name in PROBLEMS_COLUMNS}

    def packed(self) -> list:
        """A JSON-ready form without the file (the ledger keeps results by content, not path)."""
        return [self.sheet, self.cell, self.code, dict(self.values), self.severity]

    @classmethod
    def unpacked(cls, file: str, data: list) -> Problem:
        sheet, cell, code, values, severity = data
        return cls(file, sheet, cell, code, values, severity)


def problem(code: str, file: str, sheet: str = "", cell: str = "", **values: object) -> Problem:
    """A located problem; its values fill the code's templates (each is kept as text)."""
    entry = Code(code).entry
    missing = entry.fields() - set(values)
    if missing:
        raise TypeError(f"problem {code!r} needs {', '.join(sorted(missing))}")
    return Problem(file, sheet, cell, code, {k: str(v) for k, v in values.items()})
