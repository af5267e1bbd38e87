"""Feedback to each school: what to fix in its return, as a short workbook and an e-mail text.

Built from an ingest OUT (files.csv, problems.csv), never from the returns themselves, so that what
a school is told is exactly what the run recorded. problems.csv carries each problem's parts as
the catalogue renders them: the letters show what was found and the school's own action (never the
officer's "ask the school to ..."). Problems that are for the officer only (a lost identity that
ingest recovered from the layout, a round conflict) are left out of the letters and counted in
the summary.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import xlsxwriter
from xlsxwriter.utility import xl_cell_to_rowcol

from sheetreview import layout
from sheetreview.core import xlsx
from sheetreview.core.fs import prune_stale, safe_name, write_atomic
from sheetreview.core.lock import watch_parent
from sheetreview.core.out import Status, read_table, restore_table
from sheetreview.core.parallel import Progress, WorkerPool, cpu_count
from sheetreview.core.publish import reading_out
from sheetreview.errors import OutputError, SheetreviewError
from sheetreview.feedback.reminders import write_reminders
from sheetreview.problems import ERROR, QUERY, SCHOOL
from sheetreview.read.ingest import source_path

MANIFEST = ".sheetreview-feedback"  # what the last run wrote here (see prune_stale)

# Statuses a school hears about. Superseded files were replaced by the school's own later return.
_LETTER_STATUSES = (Status.ACCEPTED_WITH_PROBLEMS, Status.REJECTED)

# What a school is told about a rejected file when problems.csv holds nothing for it.
_GENERAL_TODO = "Please correct this in your workbook and send it again."
# problems.csv columns the letters are written from.
_PROBLEM_COLUMNS = (
    "file",
    "sheet",
    "cell",
    "code",
    "severity",
    "found",
    "school_action",
    "audience",
)


# --- reading OUT --------------------------------------------------------------------------------


# --- problems as things to do ---------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One thing a school is asked to fix or check, at a place in one file."""

    file: str
    sheet: str
    cell: str
    code: str
    severity: str
    found: str
    todo: str
    rejected: bool = False

    @property
    def where(self) -> str:
        if self.sheet and self.cell:
            return f"Sheet '{self.sheet}', cell {self.cell}"
        if self.sheet:
            return f"Sheet '{self.sheet}'"
        return ""

    @property
    def statement(self) -> str:
        """What was found, at its place: "Sheet 'Review', cell F12: 'Levle 3' is not ..."."""
        return f"{self.where}: {self.found}" if self.where else self.found

    @property
    def priority(self) -> str:
        if self.rejected:
            return "Resend"
        if self.severity == QUERY:
            return "Please confirm"
        return "Must fix" if self.severity == ERROR else "Please check"


def _item(row: dict[str, str], rejected: bool) -> Item:
    """A problems.csv row as the school reads it: what was found, and the school's own action."""
    return Item(
        file=row["file"],
        sheet=row["sheet"],
        cell=row["cell"],
        code=row["code"],
        severity=row["severity"],
        found=row["found"],
        todo=row["school_action"],
        rejected=rejected,
    )


def _cell_key(cell: str) -> tuple[int, int]:
    m = re.match(r"[A-Z]+[0-9]+", cell or "")
    return xl_cell_to_rowcol(m.group(0)) if m else (-1, -1)


def _item_order(item: Item) -> tuple:
    return (item.file, not item.rejected, item.severity != ERROR, item.sheet, _cell_key(item.cell))


# --- letters ----------------------------------------------------------------------------------


@dataclass
class ReturnFile:
    """A file a letter is about, with what the run knows of it."""

    file: str
    status: str
    framework: str
    round: str = ""
    annotated: Path | None = None
    note: str = ""


@dataclass
class Letter:
    """Everything one school (or one unidentified file) is told."""

    stem: str
    school_urn: str
    school_name: str
    files: list[ReturnFile] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)

    @property
    def fixes(self) -> list[Item]:
        return [i for i in self.items if not i.rejected]

    @property
    def resends(self) -> list[Item]:
        return [i for i in self.items if i.rejected]


@dataclass
class FeedbackSummary:
    """What `write_feedback` wrote; `lines()` is what the CLI prints."""

    dest_dir: Path
    letters: int = 0
    fixes: int = 0
    must_fix: int = 0
    resend_files: int = 0
    clean_returns: int = 0
    officer_only: Counter = field(default_factory=Counter)
    annotated: int = 0
    not_annotated: list[tuple[str, str]] = field(default_factory=list)
    lost: dict[str, list[str]] = field(default_factory=dict)  # what a marked-up copy lacks
    annotate_dir: Path | None = None
    removed: int = 0  # files of an earlier run no longer needed
    reminders: list[Path] = field(default_factory=list)  # to expected schools not yet returned

    def lines(self) -> list[str]:
        if not self.letters:
            out = ["No return has anything for its school to fix: no feedback written."]
        else:
            out = [
                f"Wrote feedback for {self.letters} school(s) to {self.dest_dir}: "
                f"{self.fixes} problem(s) in returns ({self.must_fix} to fix, "
                f"{self.fixes - self.must_fix} to check), {self.resend_files} file(s) to resend."
            ]
        if self.reminders:
            out.append(
                f"Wrote a reminder for each of {len(self.reminders)} expected school(s) that have "
                f"not returned to {self.reminders[0].parent}."
            )
        if self.removed:
            out.append(
                f"Removed {self.removed} file(s) an earlier run wrote for problems that are gone."
            )
        if self.annotate_dir is not None:
            out.append(f"Marked-up copies of {self.annotated} return(s) in {self.annotate_dir}.")
        for file, reason in self.not_annotated:
            out.append(f"No marked-up copy of {file}: {reason}")
        for what, files in sorted(self.lost.items()):
            which = files[0] if len(files) == 1 else f"{len(files)} copies"
            out.append(
                f"Marked-up copies do not keep {what} (openpyxl cannot write them back): {which}. "
                "Schools should make their changes in their own files, which are unchanged."
            )
        if self.officer_only:
            codes = ", ".join(f"{c} ({n})" for c, n in sorted(self.officer_only.items()))
            out.append(
                f"Left out of the letters, for you rather than the schools: {codes}; see problems.csv."
            )
        return out


def _round_of_files(out_dir: Path) -> dict[str, str]:
    path = out_dir / "responses.csv"
    if not path.is_file():
        return {}
    try:
        table = pd.read_csv(
            path, dtype=str, keep_default_na=False, usecols=lambda c: c in ("round", "source_file")
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise OutputError(
            f"{path} cannot be read ({exc}); run 'sheetreview ingest' again into {out_dir}"
        ) from None
    table = restore_table(table)
    if "round" not in table or "source_file" not in table:
        return {}
    pairs = table.drop_duplicates("source_file")
    return dict(zip(pairs["source_file"], pairs["round"], strict=True))


def _letter_key(row: dict[str, str]) -> tuple[str, str, str]:
    """(grouping key, URN, name): by school where one was identified, else by file."""
    urn, name = row["school_urn"].strip(), row["school_name"].strip()
    if urn:
        return f"urn:{urn}", urn, name
    if name:
        return f"name:{name.casefold()}", "", name
    return f"file:{row['file']}", "", ""


def _stem(urn: str, name: str, file: str) -> str:
    if urn:
        return f"{safe_name(urn, 20)}-{safe_name(name)}" if name else safe_name(urn, 20)
    if name:
        return f"no-urn-{safe_name(name)}"
    return f"unidentified-{safe_name(Path(file).stem)}"


def collect_letters(out_dir: Path) -> tuple[list[Letter], FeedbackSummary]:
    """Group OUT's problems into one letter per school (or per unidentified file)."""
    files = read_table(
        out_dir, "files.csv", ("file", "status", "framework", "school_urn", "school_name", "reason")
    )
    problems = read_table(out_dir, "problems.csv", _PROBLEM_COLUMNS)
    rounds = _round_of_files(out_dir)
    by_file: dict[str, list[dict[str, str]]] = {}
    for row in problems.to_dict("records"):
        by_file.setdefault(row["file"], []).append(row)
    summary = FeedbackSummary(dest_dir=Path())
    letters: dict[str, Letter] = {}
    for row in files.to_dict("records"):
        items = _file_items(row, by_file.get(row["file"], []), summary)
        if not items:
            continue
        key, urn, name = _letter_key(row)
        letter = letters.setdefault(key, Letter(_stem(urn, name, row["file"]), urn, name))
        round_label = row.get("round") or rounds.get(row["file"], "")
        letter.files.append(ReturnFile(row["file"], row["status"], row["framework"], round_label))
        letter.items.extend(items)
    out = sorted(letters.values(), key=lambda lt: lt.stem)
    _unique_stems(out)
    for letter in out:
        letter.items.sort(key=_item_order)
    return out, summary


def _file_items(row: dict[str, str], rows: list[dict], summary: FeedbackSummary) -> list[Item]:
    """What one file's school is asked to do; officer-only problems are counted, not listed."""
    if row["status"] not in _LETTER_STATUSES:
        # An accepted return can still carry open queries: the school is asked to confirm them.
        rows = [r for r in rows if r["severity"] == QUERY and row["status"] == "accepted"]
        if not rows:
            summary.clean_returns += row["status"] == "accepted"
            return []
    rejected = row["status"] == "rejected"
    if not rows and rejected and row["reason"]:
        rows = [_reason_row(row)]
    items = []
    for prow in rows:
        if prow["audience"] != SCHOOL:
            summary.officer_only[prow["code"]] += 1
        else:
            items.append(_item(prow, rejected))
    return items


def _reason_row(row: dict[str, str]) -> dict[str, str]:
    return {
        "file": row["file"],
        "sheet": "",
        "cell": "",
        "code": "",
        "severity": ERROR,
        "found": row["reason"],
        "school_action": _GENERAL_TODO,
        "audience": SCHOOL,
    }


def _unique_stems(letters: list[Letter]) -> None:
    seen: Counter[str] = Counter()
    for letter in letters:
        key = letter.stem.casefold()
        seen[key] += 1
        if seen[key] > 1:
            letter.stem = f"{letter.stem}-{seen[key]}"


# --- writing ----------------------------------------------------------------------------------


def _framework_titles(out_dir: Path) -> dict[str, str]:
    titles = {}
    for path in sorted((out_dir / "frameworks").glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            titles[data["id"]] = data["title"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return titles


def _describe_file(rf: ReturnFile, titles: dict[str, str]) -> str:
    what = titles.get(rf.framework, rf.framework)
    bits = [b for b in (what, f"round {rf.round}" if rf.round else "") if b]
    return f"'{rf.file}'" + (f" ({', '.join(bits)})" if bits else "")


def _wrap(text: str, indent: str = "", first: str = "") -> list[str]:
    lines: list[str] = []
    for para in text.splitlines() or [""]:
        wrapped = textwrap.wrap(
            para,
            width=76,
            initial_indent=first or indent,
            subsequent_indent=indent,
            break_on_hyphens=False,
        )
        lines.extend(wrapped or [first.rstrip()])
        first = ""
    return lines


def letter_text(letter: Letter, titles: dict[str, str]) -> str:
    """The e-mail: greeting, the file(s) it refers to, each problem with place and fix, sign-off."""
    out: list[str] = []
    what = ", ".join(sorted({titles.get(f.framework, f.framework) for f in letter.files} - {""}))
    out.append(
        "Subject: Your self-review return" + (f" ({what})" if what else "") + ": what to fix"
    )
    out.append("")
    who = letter.school_name or "colleague"
    out.append(f"Dear {who}" + (f" (URN {letter.school_urn})," if letter.school_urn else ","))
    out.append("")
    n_query = sum(i.severity == QUERY for i in letter.fixes)
    n_fix, n_resend = len(letter.fixes) - n_query, len({i.file for i in letter.resends})
    need = []
    if n_fix:
        need.append(f"{n_fix} thing(s) to put right in your return")
    if n_query:
        need.append(f"{n_query} unusual judgement(s) to confirm or correct")
    if n_resend:
        need.append(f"{n_resend} file(s) we could not read")
    out += _wrap(
        "Thank you for sending your self-review. We have read what you sent and found "
        + " and ".join(need)
        + ". Each is listed below with where it is and what to do."
    )
    out.append("")
    out.append("This is about:")
    for rf in letter.files:
        out += _wrap(_describe_file(rf, titles), indent="    ", first="  - ")
        if rf.note:
            out += _wrap(rf.note, indent="    ")
    several = len({i.file for i in letter.fixes}) > 1
    for title, items in (
        ("To fix", [i for i in letter.fixes if i.severity == ERROR]),
        ("To check", [i for i in letter.fixes if i.severity not in (ERROR, QUERY)]),
        (QUERIES_TITLE, [i for i in letter.fixes if i.severity == QUERY]),
    ):
        out += _section(title, items, several)
        if title == QUERIES_TITLE and items:
            out += [""] + _wrap(QUERIES_NOTE)
    if letter.resends:
        out.append("")
        out.append("Files we could not read")
        for item in letter.resends:
            out += _wrap(f"'{Path(item.file).name}'", indent="    ", first="  - ")
            out += _wrap(item.statement, indent="    ")
            out += _wrap(f"What to send: {item.todo}", indent="    ")
    out.append("")
    out += _wrap(
        "When you have made these changes in your own workbook, please save it (keep it as "
        ".xlsx) and send it back to us. If anything here is unclear, just reply to this e-mail."
    )
    out += ["", "With thanks,", "The self-review team", ""]
    return "\n".join(out)


QUERIES_TITLE = "To confirm or correct"
QUERIES_NOTE = (
    "These levels are possible but unusual, so we ask (as the DfE's data collections do). Each "
    "still counts as you gave it. If it is right, write a short explanation in the "
    f"'{layout.QUERY_ANSWER_HEADER}' column of that row; otherwise change the level."
)


def _section(title: str, items: list[Item], name_files: bool) -> list[str]:
    if not items:
        return []
    out = ["", title]
    for n, item in enumerate(items, 1):
        line = item.statement
        if name_files:
            place = item.where[:1].lower() + item.where[1:]
            line = f"In '{Path(item.file).name}'{', ' + place if place else ''}: {item.found}"
        out += _wrap(line, indent="     ", first=f"{n:>3}. ")
        out += _wrap(f"What to do: {item.todo}", indent="     ")
    return out


_COLUMNS = (
    ("#", 8),
    ("File", 26),
    ("Sheet", 11),
    ("Cell", 6),
    ("Priority", 12),
    ("What we found", 50),
    ("What to do", 50),
)
_LINE_POINTS = 15


def _lines_needed(text: str, width: float) -> int:
    return xlsx.wrapped_lines(text, width, chars_per_width=1.1)


def write_letter_xlsx(path: Path, letter: Letter, titles: dict[str, str]) -> None:
    """The same list as the e-mail, as a sortable table; every text from a return is a string."""
    # In memory: a letter is small, and each part xlsxwriter would write to a temporary file
    # costs a file created and removed (a fifth of the time of a letter on a slow disk).
    wb = xlsxwriter.Workbook(str(path), xlsx.options(in_memory=True))
    try:
        ws = wb.add_worksheet("Feedback")
        fmt = {
            "title": wb.add_format({"bold": True, "font_size": 14}),
            "label": wb.add_format({"bold": True, "valign": "top"}),
            "value": wb.add_format({"text_wrap": True, "valign": "top"}),
            "head": wb.add_format(
                {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True}
            ),
            "wrap": wb.add_format({"text_wrap": True, "valign": "top", "border": 1}),
            "Must fix": wb.add_format(
                {"bg_color": "#FF7C80", "valign": "top", "border": 1, "bold": True}
            ),
            "Please check": wb.add_format({"bg_color": "#FFC000", "valign": "top", "border": 1}),
            "Resend": wb.add_format({"bg_color": "#F4B084", "valign": "top", "border": 1}),
        }
        xlsx.write_text(ws, 0, 0, "What to fix in your self-review return", fmt["title"])
        details = [
            ("School", letter.school_name or "(not identified)"),
            ("URN", letter.school_urn or "(not identified)"),
        ]
        details += [
            ("File", _describe_file(rf, titles) + (f" {rf.note}" if rf.note else ""))
            for rf in letter.files
        ]
        for row, (label, value) in enumerate(details, start=1):
            xlsx.write_text(ws, row, 0, label, fmt["label"])
            ws.merge_range(row, 1, row, len(_COLUMNS) - 1, "", fmt["value"])
            xlsx.write_text(ws, row, 1, value, fmt["value"])
            ws.set_row(row, _LINE_POINTS * _lines_needed(value, 150))
        top = len(details) + 2
        _write_items(ws, top, letter.items, fmt)
        _page_setup(ws, top, len(letter.items))
    finally:
        wb.close()


def _write_items(ws, top: int, items: list[Item], fmt: dict) -> None:
    for col, (title, width) in enumerate(_COLUMNS):
        xlsx.write_text(ws, top, col, title, fmt["head"])
        ws.set_column(col, col, width)
    for n, item in enumerate(items, 1):
        r = top + n
        cells = (item.file, item.sheet, item.cell, item.priority, item.found, item.todo)
        ws.write_number(r, 0, n, fmt["wrap"])
        for col, text in enumerate(cells, start=1):
            xlsx.write_text(
                ws, r, col, text, fmt.get(text, fmt["wrap"]) if col == 4 else fmt["wrap"]
            )
        lines = max(_lines_needed(t, _COLUMNS[c][1]) for c, t in enumerate(cells, start=1))
        ws.set_row(r, _LINE_POINTS * lines)


def _page_setup(ws, top: int, count: int) -> None:
    ws.freeze_panes(top + 1, 0)
    ws.autofilter(top, 0, top + max(count, 1), len(_COLUMNS) - 1)
    xlsx.print_a4(ws, repeat_row=top)


# --- the command --------------------------------------------------------------------------------


def resolve_returns_dir(out_dir: Path, in_dir: Path | None) -> Path:
    """Where the original returns are: as given, else as ingest recorded in OUT/run.json."""
    if in_dir is not None:
        in_dir = Path(in_dir)
        if not in_dir.is_dir():
            raise SheetreviewError(
                f"{in_dir} is not a folder: pass the folder of returns you ingested with --returns DIR"
            )
        return in_dir
    run = Path(out_dir) / "run.json"
    recorded = None
    if run.is_file():
        try:
            recorded = json.loads(run.read_text(encoding="utf-8")).get("input_dir")
        except (OSError, ValueError, AttributeError):
            recorded = None
    if recorded and Path(recorded).is_dir():
        return Path(recorded)
    where = f" ({recorded} no longer exists)" if recorded else ""
    raise SheetreviewError(
        f"cannot find the returns to mark up{where}: pass the folder you ingested with --returns DIR"
    )


def write_feedback(
    out_dir: Path,
    dest_dir: Path,
    *,
    annotate: bool = False,
    in_dir: Path | None = None,
    progress: Progress = None,
) -> FeedbackSummary:
    """One xlsx and one e-mail text per school with something to fix; optionally marked-up copies."""
    out_dir, dest_dir = Path(out_dir), Path(dest_dir)
    with reading_out(out_dir, "feedback", writes=[dest_dir, dest_dir / "annotated"]):
        return _write_feedback(out_dir, dest_dir, annotate, in_dir, progress)


def _write_feedback(
    out_dir: Path, dest_dir: Path, annotate: bool, in_dir: Path | None, progress: Progress
) -> FeedbackSummary:
    letters, summary = collect_letters(out_dir)
    returns_dir = resolve_returns_dir(out_dir, in_dir) if annotate else None
    summary.dest_dir = dest_dir
    titles = _framework_titles(out_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    if returns_dir is not None:
        summary.annotate_dir = dest_dir / "annotated"
        _annotate_all(letters, returns_dir, out_dir, summary)
    written = [rf.annotated for lt in letters for rf in lt.files if rf.annotated is not None]
    for done, letter in enumerate(letters, 1):
        text, table = (
            dest_dir / f"{letter.stem}-feedback.txt",
            dest_dir / f"{letter.stem}-feedback.xlsx",
        )
        write_atomic(text, lambda p, lt=letter: p.write_text(letter_text(lt, titles), "utf-8"))
        write_atomic(table, lambda p, lt=letter: write_letter_xlsx(p, lt, titles))
        written += [text, table]
        summary.letters += 1
        summary.fixes += len(letter.fixes)
        summary.must_fix += sum(i.severity == ERROR for i in letter.fixes)
        summary.resend_files += len({i.file for i in letter.resends})
        if progress:
            progress(done, len(letters))
    summary.reminders = write_reminders(out_dir, dest_dir, titles)
    written += summary.reminders
    summary.removed = prune_stale(dest_dir, MANIFEST, written)
    return summary


def _annotate_all(
    letters: list[Letter], returns_dir: Path, out_dir: Path, summary: FeedbackSummary
) -> None:
    from sheetreview.feedback.annotate import Mark

    files = read_table(out_dir, "files.csv", ("file", "sha256"))
    hashes = dict(zip(files["file"], files["sha256"], strict=True))
    used: set[str] = set()
    todo = []
    for letter in letters:
        for rf in letter.files:
            marks = [
                Mark(
                    i.sheet,
                    i.cell,
                    f"{i.priority}: {i.found}\n\nWhat to do: {i.todo}",
                    i.severity,
                )
                for i in letter.fixes
                if i.file == rf.file and i.cell
            ]
            if rf.status == "rejected" or not marks:
                continue
            target = summary.annotate_dir / _copy_stem(letter, rf.file, used)
            source = source_path(returns_dir, rf.file)
            todo.append((rf, (source, target, marks, hashes.get(rf.file, ""))))
    for (rf, _), result in zip(todo, _annotated([job for _, job in todo]), strict=True):
        rf.annotated, rf.note = result.path, result.letter_note
        summary.annotated += result.path is not None
        if result.problem:
            summary.not_annotated.append((rf.file, result.problem))
        for what in result.lost:
            summary.lost.setdefault(what, []).append(rf.file)


def _annotated(jobs: list[tuple]) -> list:
    """Each marked-up copy, made in worker processes when there are several.

    openpyxl loads and saves a whole workbook per copy (about half a second each): a round's
    copies are independent, so they are shared between the machine's cores.
    """
    from sheetreview.feedback.annotate import annotate_job

    workers = min(cpu_count(), len(jobs) // 2)
    if workers < 2:
        return [annotate_job(job) for job in jobs]
    with WorkerPool(workers, fork=True, initializer=watch_parent) as pool:
        return list(pool.map(annotate_job, jobs, chunksize=max(1, len(jobs) // (workers * 4))))


def _copy_stem(letter: Letter, file: str, used: set[str]) -> str:
    """'<urn>-<original name>-marked-up', unique in the folder (two schools' 'return.xlsx')."""
    stem = safe_name(Path(file).stem)
    if letter.school_urn and not stem.startswith(letter.school_urn):
        stem = f"{safe_name(letter.school_urn, 20)}-{stem}"
    name, n = f"{stem}-marked-up", 1
    while name.casefold() in used:
        n += 1
        name = f"{stem}-marked-up-{n}"
    used.add(name.casefold())
    return name
