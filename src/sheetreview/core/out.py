"""The OUT folder's contract: what ingest writes, what report, feedback and packs read.

One place names every file and column, the statuses a file can have, how a school is known across
rounds and how rounds are ordered, so a reader can never drift from the writer.
"""

from __future__ import annotations

import csv
import io
import os
import re
import unicodedata
from collections.abc import Iterable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from sheetreview.core import fs
from sheetreview.errors import OutputError

if TYPE_CHECKING:  # pandas costs ingest and its readers half a second each to import
    import pandas as pd

RESPONSES = "responses.csv"
FILES = "files.csv"
PROBLEMS = "problems.csv"
RUN = "run.json"
QUERIES = "queries.csv"  # every query raised, open or answered
MODERATIONS = "moderations.csv"  # what moderators judged (moderation workbooks read by ingest)
MODERATION = "moderation.csv"  # report: each moderated judgement beside the school's own
LEDGER = "ledger.sqlite"
FRAMEWORKS = "frameworks"  # folder: one JSON definition per framework read
ASPECT_STATS = "aspect_stats.csv"
SCHOOL_BENCHMARKS = "school_benchmarks.csv"
SCHOOL_OVERALL = "school_overall.csv"
SUMMARY = "summary.xlsx"
CHARTS = "charts"
FEEDBACK = "feedback"
PACKS = "packs"
ERRORS_LOG = "errors.log"  # tracebacks of faults of sheetreview while reading, to report
EXPECTED = "expected.csv"  # the schools list given with --schools, as ingest read it
OUTSTANDING = "outstanding.csv"  # expected schools without an accepted return
INGEST_OUTPUTS = (RESPONSES, FILES, PROBLEMS, QUERIES, MODERATIONS, RUN, ERRORS_LOG)

RESPONSES_COLUMNS = (
    "round", "framework", "framework_version", "school_urn", "school_name", "aspect_code",
    "aspect_title", "level", "level_rank", "level_count", "evidence", "next_steps",
    "source_file", "source_sheet", "source_cell", "assessment_date",
)  # fmt: skip
FILES_COLUMNS = (
    "file", "sha256", "bytes", "status", "framework", "school_urn", "school_name",
    "aspects_answered", "aspects_total", "problems", "reason", "round", "assessment_date",
)  # fmt: skip
# The message is the officer's account of the problem; the columns after it are its parts, worded
# from the problem catalogue, and the letters to schools are written from them.
PROBLEMS_COLUMNS = (
    "file", "sheet", "cell", "code", "severity", "message",
    "found", "officer_action", "school_action", "audience",
)  # fmt: skip
MODERATIONS_COLUMNS = (
    "round", "framework", "school_urn", "school_name", "aspect_code", "moderated_level",
    "moderated_rank", "comment", "source_file", "source_sheet", "source_cell",
)  # fmt: skip
EXPECTED_COLUMNS = ("framework", "school_urn", "school_name", "la", "trust", "phase")
OUTSTANDING_COLUMNS = (
    "framework", "round", "school_urn", "school_name", "state", "file", "reason",
)  # fmt: skip


class Status(StrEnum):
    """What became of one input file."""

    ACCEPTED = "accepted"
    ACCEPTED_WITH_PROBLEMS = "accepted_with_problems"
    BLANK = "blank"  # a recognised workbook with no level chosen: not a return
    REJECTED = "rejected"
    SUPERSEDED = "superseded"
    SKIPPED = "skipped"


READ_STATUSES = (Status.ACCEPTED, Status.ACCEPTED_WITH_PROBLEMS)  # these give judgements


class Outstanding(StrEnum):
    """Why an expected school has no accepted return (outstanding.csv's state)."""

    MISSING = "missing"  # nothing received
    REJECTED = "rejected"  # received, but it could not be read
    BLANK = "blank"  # received with no level chosen


# --- who and when -------------------------------------------------------------------------------

_SEASONS = {"spring": 1, "summer": 2, "autumn": 3, "fall": 3}


def round_key(label: str) -> tuple:
    """Sort rounds as people write them: numbers by value, spring before summer before autumn.

    Every command that asks "which round is the latest" uses this one order, so `generate
    --previous` and `report` always agree.
    """
    parts = re.findall(r"\d+|[^\W\d_]+", str(label).casefold())
    key = tuple((0, int(p), "") if p.isdigit() else (1, _SEASONS.get(p, 9), p) for p in parts)
    return key or ((2, 0, ""),)


def latest_round(labels: Iterable[str]) -> str:
    return max(labels, key=lambda r: (round_key(r), r))


def name_key(name: str) -> str:
    """A school name as a key: case, accents' composition and spacing do not make two schools."""

    return " ".join(unicodedata.normalize("NFC", str(name)).casefold().split())


def school_key(urn: str, name: str) -> str:
    """The URN when there is one (it survives a renamed school), else the normalised name."""
    urn = str(urn).strip()
    return urn if urn else "name:" + name_key(name)


# --- CSV text that a spreadsheet will not run ---------------------------------------------------

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER_RE = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")


def _needs_guard(text: str) -> bool:
    if text.startswith(_TRIGGERS):
        return not _NUMBER_RE.match(text)
    return text.startswith("'") and _needs_guard(text[1:])


def neutralise(text: str) -> str:
    """Prefix `'` to text a spreadsheet would run as a formula (OWASP's CSV injection rule).

    A plain number such as -2 is left alone. Text that already starts with `'` before such a
    value is prefixed again, so `restore` gives back exactly what was written.
    """
    return "'" + text if _needs_guard(text) else text


def restore(text: str) -> str:
    """Undo `neutralise`: what a return really said. Readers of OUT's CSVs use this."""
    if isinstance(text, str) and text.startswith("'") and _needs_guard(text[1:]):
        return text[1:]
    return text


def csv_field(value: object) -> str:
    """One CSV field: guarded, and quoted whenever it holds a comma, quote, CR or LF."""
    text = neutralise(value if isinstance(value, str) else str(value))
    if '"' in text or "," in text or "\n" in text or "\r" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_line(values: Iterable[object]) -> str:
    return ",".join(map(csv_field, values))


def csv_text(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A whole CSV as text, every line ended by LF, no field able to split a row."""
    buf = io.StringIO()
    buf.write(csv_line(columns) + "\n")
    for row in rows:
        buf.write(csv_line("" if v is None else v for v in row) + "\n")
    return buf.getvalue()


def write_rows(path: Path, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> Path:
    return fs.write_text(path, csv_text(columns, rows))


def write_table(table: pd.DataFrame, path: Path) -> Path:
    """A DataFrame as CSV, text guarded like `csv_field`, numbers as pandas writes them."""
    table, has_cr = _guard(table)
    # The csv module leaves a bare CR unquoted when lines end in LF; a table holding one (rare:
    # a school name typed with it) has all its text quoted so that CR cannot split a row.
    quoting = csv.QUOTE_NONNUMERIC if has_cr else csv.QUOTE_MINIMAL

    def write(tmp: Path) -> None:
        table.to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n", quoting=quoting)

    return fs.write_atomic(path, write)


def guard_table(table: pd.DataFrame) -> pd.DataFrame:
    """`neutralise` on every text value that needs it (a copy only when one does)."""
    return _guard(table)[0]


def _guard(table: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    """`guard_table`, and whether any text holds a CR: each column's values joined once for
    both questions (they are most of the time of writing a table of 10,000 returns)."""
    copied = has_cr = False
    for column in table.columns:
        values = table[column]
        if values.dtype != object:
            continue
        starts, cr = _text_scan(values)
        has_cr = has_cr or (cr and values.astype(str).str.contains("\r", regex=False).any())
        if not starts:
            continue
        text = values.astype(str)
        risky = text.str.startswith(_TRIGGERS + ("'",)) & values.map(lambda v: isinstance(v, str))
        if risky.any():
            if not copied:
                table, copied = table.copy(), True
            table.loc[risky, column] = text[risky].map(neutralise)
    return table, bool(has_cr)


def _text_scan(values: pd.Series) -> tuple[bool, bool]:
    """(whether a value may start with a trigger or `'`, whether one may hold a CR), from the
    values joined by newlines in one scan in C; (True, True) when not all are text, for the
    exact tests to decide."""
    try:
        joined = "\n" + "\n".join(values)
    except TypeError:
        return True, True
    return any(needle in joined for needle in _LINE_STARTS), "\r" in joined


_LINE_STARTS = tuple("\n" + t for t in (*_TRIGGERS, "'"))


def _may_hold(values: pd.Series, needles: tuple[str, ...]) -> bool:
    """Whether any of `needles` may be in the values joined by newlines (each then starts with
    one); False only when none is. One scan in C instead of a Python call per value: tables of
    10,000 returns hold millions of values, and almost none needs a guard."""
    try:
        joined = "\n" + "\n".join(values)
    except TypeError:  # not all text: let the exact test decide
        return True
    return any(needle in joined for needle in needles)


_RETURN_SUFFIXES = (".xlsx", ".xlsm", ".ods", ".xls", ".xlsb")


def not_ingested(out_dir: Path, name: str) -> OutputError:
    """The error for an OUT that lacks an ingest output. When the folder given looks like a
    folder of returns (the usual slip: `report returns/`), the fix suggested writes the outputs
    beside it, never into it."""
    out_dir = Path(out_dir)
    try:
        returns = out_dir.is_dir() and any(
            p.suffix.lower() in _RETURN_SUFFIXES for p in out_dir.iterdir()
        )
    except OSError:
        returns = False
    if returns:
        beside = Path(os.path.abspath(out_dir)).with_name(f"{out_dir.name or 'returns'}-out")
        return OutputError(
            f"{out_dir} holds returns, not the outputs of 'sheetreview ingest' (no {name}); "
            f"run 'sheetreview ingest {out_dir} -o {beside}', then give {beside}"
        )
    return OutputError(
        f"{out_dir / name} not found: run 'sheetreview ingest RETURNS_DIR -o {out_dir}' first"
    )


def read_table(
    out_dir: Path, name: str, columns: Sequence[str] = (), *, missing_ok: bool = False
) -> pd.DataFrame:
    """A CSV of OUT as text, exactly as written: URNs keep their zeros, a school called "NA"
    stays one, guarded text is restored. A missing file or column is the user's to fix."""
    import pandas as pd

    path = Path(out_dir) / name
    if missing_ok and not path.exists():
        return pd.DataFrame(columns=list(columns))
    if not path.is_file():
        raise not_ingested(out_dir, name)
    try:
        table = pd.read_csv(
            path, dtype=str, keep_default_na=False, encoding="utf-8", quoting=csv.QUOTE_MINIMAL
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise _unreadable(path, out_dir, exc) from None
    _check_columns(path, columns, list(table.columns))
    return restore_table(table)


def read_records(out_dir: Path, name: str, columns: Sequence[str] = ()) -> list[dict[str, str]]:
    """`read_table` as rows of text, for the commands that need no pandas (importing it would
    be half a second of an ingest)."""
    path = Path(out_dir) / name
    if not path.is_file():
        raise not_ingested(out_dir, name)
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh, restval="")
            rows = [{k: restore(v) for k, v in row.items() if k is not None} for row in reader]
            header = reader.fieldnames or []
    except (csv.Error, UnicodeDecodeError) as exc:
        raise _unreadable(path, out_dir, exc) from None
    _check_columns(path, columns, header)
    return rows


def _unreadable(path: Path, out_dir: Path, exc: Exception) -> OutputError:
    return OutputError(
        f"{path} cannot be read ({exc}); run 'sheetreview ingest' again into {out_dir}"
    )


def _check_columns(path: Path, wanted: Sequence[str], header: Sequence[str]) -> None:
    missing = [c for c in wanted if c not in header]
    if missing:
        raise OutputError(
            f"{path} has no column {', '.join(missing)}: it was not written by this version of "
            "sheetreview; run 'sheetreview ingest' again"
        )


def restore_table(table: pd.DataFrame) -> pd.DataFrame:
    """`restore` on every text value (only values starting with `'` can change)."""
    for column in table.columns:
        values = table[column]
        if values.dtype == object and _any_guarded(values):
            table[column] = values.map(restore)
    return table


def may_hold_guarded(data: bytes) -> bool:
    """Whether the bytes of (part of) a CSV may hold a value starting with `'`, one `restore`
    may change; False only when none can. Such a value starts after a comma or a line's end,
    quoted or not: only the bytes before each `'` are looked at, in C (numpy), where
    `restore_table` would join every column's values (200 ms for 2,000 returns' evidence)."""
    import numpy as np

    if b"'" not in data:
        return False
    raw = np.frombuffer(data, np.uint8)
    at = np.flatnonzero(raw == ord("'"))
    if at[0] < 2:  # at the very start: too near to look before it
        return True
    one, two = raw[at - 1], raw[at - 2]
    starts = np.frombuffer(b",\n\r", np.uint8)
    opened = np.isin(one, starts) | ((one == ord('"')) & np.isin(two, starts))
    return bool(opened.any())


def _any_guarded(values: pd.Series) -> bool:
    """Whether any value starts with `'` (evidence columns hold megabytes: scanned in C first)."""
    return _may_hold(values, ("\n'",)) and bool(values.str.startswith("'").any())
