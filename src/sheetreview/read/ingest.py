"""A folder of returns -> responses.csv, files.csv and problems.csv in OUT.

Every file under DIR is accounted for: read, rejected or skipped, each with its reason, because
the officer's question is "which schools are done, and what must each fix?". Reading is spread
over processes (one file's work is small: a pool reads files in chunks, so no file pays for a
process start) and remembered in a ledger, so a re-run reads only new or changed files and
writes exactly what a clean run would. Outputs are replaced atomically: an interrupted run leaves
the previous outputs whole.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import io
import json
import os
import re
import signal
import stat
import tempfile
import traceback
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sheetreview import __version__, layout
from sheetreview.core import fs, out
from sheetreview.core.lock import OutLock, watch_parent
from sheetreview.core.out import csv_field, csv_line
from sheetreview.core.parallel import Progress, WorkerPool, cpu_count, start_server
from sheetreview.core.publish import RUN_RECORD, Staging, file_sizes, kill_point, recover
from sheetreview.errors import SheetreviewError
from sheetreview.framework import Framework, Registry, from_dict, registry
from sheetreview.problems import ERROR, QUERY, Code, Problem, problem
from sheetreview.read import inputs as folders
from sheetreview.read import outstanding as expected
from sheetreview.read.judgements import Judged, judge
from sheetreview.read.ledger import Ledger, StatKey, stat_key
from sheetreview.read.queries import QUERY_COLUMNS, Mark, Marks, Query, find_queries, words
from sheetreview.read.returns import read_return
from sheetreview.read.sniff import MAX_FILE_BYTES, Finding, by_name
from sheetreview.schools import SchoolList, read_schools

# Bump when reading changes what a file gives, so ledgers of older runs are not reused.
READER_VERSION = "5"

RESPONSES_COLUMNS = out.RESPONSES_COLUMNS
FILES_COLUMNS = out.FILES_COLUMNS
PROBLEMS_COLUMNS = out.PROBLEMS_COLUMNS
ERRORS_LOG = out.ERRORS_LOG
OUTPUTS = out.INGEST_OUTPUTS
STATUSES = tuple(out.Status)
_READ_STATUSES = out.READ_STATUSES
_OUTSTANDING = out.OUTSTANDING
FRAMEWORKS_DIR = out.FRAMEWORKS


@dataclass
class IngestSummary:
    """What a run did, in numbers; `lines()` is what the CLI prints."""

    out_dir: Path
    counts: Counter[str] = field(default_factory=Counter)
    problems: int = 0
    errors: int = 0
    read_now: int = 0
    reused: int = 0
    ledger_rebuilt: bool = False
    faults: list[tuple[str, str]] = field(default_factory=list)  # (file, traceback)
    queries_open: int = 0
    queries_answered: int = 0
    notes: list[str] = field(default_factory=list)
    expected: int = 0  # schools on the list (--schools), 0 without one
    outstanding: Counter[str] = field(default_factory=Counter)  # rows of outstanding.csv by state

    @property
    def files(self) -> int:
        return sum(self.counts.values())

    accepted = property(lambda self: self.counts[out.Status.ACCEPTED])
    accepted_with_problems = property(lambda self: self.counts[out.Status.ACCEPTED_WITH_PROBLEMS])
    rejected = property(lambda self: self.counts[out.Status.REJECTED])
    superseded = property(lambda self: self.counts[out.Status.SUPERSEDED])
    skipped = property(lambda self: self.counts[out.Status.SKIPPED])

    def lines(self) -> list[str]:
        parts = ", ".join(f"{self.counts[s]} {s.replace('_', ' ')}" for s in STATUSES)
        out = [
            f"Read {self.files} files: {parts}. {self.problems} problems ({self.errors} errors). "
            f"Outputs in {self.out_dir}{os.sep}."
        ]
        if self.queries_open or self.queries_answered:
            out.append(
                f"{self.queries_open} open queries (unlikely judgements for schools to confirm), "
                f"{self.queries_answered} answered: see queries.csv."
            )
        if self.reused:
            out.append(f"{self.reused} unchanged files were not read again (see the ledger).")
        if self.ledger_rebuilt:
            out.append(
                "The ledger in OUT was damaged: it was set aside as ledger.sqlite.damaged and "
                "rebuilt (you may delete the damaged copy); files were read again as needed."
            )
        if self.faults:
            out.append(
                f"{len(self.faults)} file(s) could not be read because of a fault in sheetreview, "
                f"not in the files: please report it with {self.out_dir / ERRORS_LOG}."
            )
        if self.expected:
            rows = sum(self.outstanding.values())
            states = ", ".join(f"{n} {s}" for s, n in sorted(self.outstanding.items()))
            out.append(
                f"{self.expected} schools expected: {rows} outstanding"
                + (f" ({states})" if rows else "")
                + f"; see {self.out_dir / _OUTSTANDING}."
            )
        return self.notes + out


@dataclass
class _Entry:
    """One file found under DIR."""

    relpath: str
    path: str
    key: StatKey | None = None
    mtime_ns: int = 0
    size: int = 0
    sha256: str = ""
    outcome: dict[str, Any] | None = None
    round_label: str = ""  # the round given with its folder, for returns that name none


# --- the run ----------------------------------------------------------------------------------


def ingest(
    in_dirs: Path | str | Sequence[Path | str],
    out_dir: Path,
    *,
    round_label: str | None = None,
    jobs: int | None = None,
    framework_files: Sequence[str | Path] = (),
    progress: Progress | None = None,
    forget: Sequence[Path | str] = (),
    schools: str | Path | SchoolList | None = None,
    framework_id: str | None = None,
) -> IngestSummary:
    """Read every file under the folders given, and under those OUT already holds, into OUT.

    OUT keeps every folder it was given (a later round's folder is added, never swapped in);
    `forget` drops folders from it. `schools` is the list of schools expected to return (kept in
    OUT for later runs): outstanding.csv then says who has not. Raises SheetreviewError only when
    the run cannot go on (no DIR, OUT not writable, OUT and DIR nested, a bad framework file); a
    bad return is a row in files.csv and problems.csv, never an exception.
    """
    if isinstance(in_dirs, (str, Path)):
        in_dirs = [in_dirs]
    out_dir = Path(out_dir)
    frameworks = registry(framework_files)
    listed = read_schools(schools) if isinstance(schools, (str, Path)) else schools
    if listed is None and framework_id:
        raise SheetreviewError("--framework names the framework of --schools; give --schools too")
    expected.check_framework(framework_id or "", frameworks)
    given = ([Path(d) for d in in_dirs], round_label, [Path(f) for f in forget])
    folders.plan(out_dir, *given)  # refuses nested or missing folders before OUT is created
    _check_dirs(out_dir)
    with OutLock(out_dir, "ingest"):
        if not (out_dir / out.LEDGER).exists():  # a first run: every file will be read
            _start_readers_early()
        recover(out_dir)  # a killed run's publication is finished before OUT is read
        plan = folders.plan(out_dir, *given)  # again: a run that held the lock may have changed OUT
        entries = _walk(plan)
        summary = IngestSummary(out_dir)
        summary.notes += listed.notes() if listed is not None else []
        summary.notes += plan.lines()
        with _collector_paused(), Ledger(out_dir, _context(frameworks)) as ledger:
            todo = _reuse(entries, ledger, summary)
            report = _progress_counter(progress, len(entries), len(entries) - len(todo))
            if todo:
                _read_all(todo, frameworks, jobs or cpu_count(), ledger, report)
            summary.read_now = sum(1 for e in todo if e.outcome is not None)
            ledger.forget_paths_except({e.relpath for e in entries})
            summary.ledger_rebuilt = ledger.rebuilt
        with _collector_paused(), Staging(out_dir) as stage:
            files_rows = _write_outputs(entries, frameworks, stage.dir, summary)
            names = [*OUTPUTS, FRAMEWORKS_DIR]
            if listed is not None:
                _write_csv(
                    stage.dir / out.EXPECTED,
                    out.EXPECTED_COLUMNS,
                    expected.expected_rows(listed, framework_id or ""),
                )
            # An earlier run's list stays in force until another list is given.
            _write_outstanding(stage.dir, out_dir, files_rows, plan, summary)
            names += [out.EXPECTED, out.OUTSTANDING]
            _write_run(stage.dir, plan, round_label)
            stage.publish(names, remove=OUTPUTS)
    return summary


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while results pile up: they hold no cycles, and each
    collection walked every outcome kept so far (a tenth of this process's CPU on 2,000
    returns). Readers forked meanwhile turn it on again."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _write_outstanding(
    folder: Path,
    out_dir: Path,
    files_rows: list[list[Any]],
    plan: folders.Inputs,
    summary: IngestSummary,
) -> None:
    """outstanding.csv into `folder`, when this run or an earlier one gave a schools list."""
    given = folder / out.EXPECTED
    listed = expected.read_expected(folder if given.exists() else out_dir)
    if not listed:
        return
    files = [dict(zip(FILES_COLUMNS, map(str, row), strict=True)) for row in files_rows]
    rounds = [f.round for f in plan.folders if f.round]
    rows = expected.outstanding(listed, files, rounds)
    _write_csv(folder / out.OUTSTANDING, out.OUTSTANDING_COLUMNS, rows)
    summary.expected = len({s["school_urn"] for s in listed})
    summary.outstanding.update(r[4] for r in rows)


def _write_run(folder: Path, plan: folders.Inputs, round_label: str | None) -> None:
    """Where the returns were: every folder OUT holds (and the round given with each), so the
    next run reads them all again; `input_dir` is the folder file paths are relative to, so
    `feedback --annotate` can find the originals without asking."""
    run = {
        "input_dir": str(plan.base),
        "inputs": [f.to_json() for f in plan.folders],
        "round": round_label or "",
        "version": __version__,
        "outputs": file_sizes(folder, [n for n in OUTPUTS if n != RUN_RECORD]),
    }
    text = json.dumps(run, indent=2) + "\n"
    _write_file(folder / RUN_RECORD, [text.encode("utf-8")])


def _check_dirs(out_dir: Path) -> None:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out_dir):
            pass
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise SheetreviewError(
            f"{out_dir}: cannot write the outputs there ({reason}); choose another folder with -o"
        ) from None


def _context(frameworks: dict[str, Framework]) -> str:
    """What a file's result depends on besides its bytes."""
    known = sorted((fw.id, fw.version, fw.content_hash) for fw in frameworks.values())
    # Problems are stored as codes and values and worded when written, so rewording needs no
    # re-read; a code that is new, gone or given other values does.
    wording = sorted((code.value, sorted(code.entry.fields())) for code in Code)
    limits = [layout.MAX_RETURN_ROWS, layout.MAX_RETURN_COLS]
    parts = [READER_VERSION, __version__, limits, known, wording]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:32]


def _walk(plan: folders.Inputs) -> list[_Entry]:
    """Every file under every folder of the plan, sorted by path relative to the plan's base.

    OUT never lies inside a folder read (the plan refuses it); a folder an earlier run or
    `feedback`/`packs` wrote into (an older OUT moved into the returns) is not read either: its
    files are skipped, each with the reason.
    """
    base = os.path.abspath(plan.base)
    entries = []
    for folder in plan.folders:
        entries += _walk_one(os.path.abspath(folder.dir), base, folder.round)
    entries.sort(key=lambda e: e.relpath)
    return entries


def _walk_one(root: str, base: str, round_label: str) -> list[_Entry]:
    entries = []
    outputs: list[str] = []  # folders written by sheetreview, met on the way down

    def unlistable(exc: OSError) -> None:  # a folder that cannot be listed is accounted for too
        rel = os.path.relpath(exc.filename or root, base).replace(os.sep, "/") + "/"
        entry = _Entry(_printable(rel), exc.filename or root)
        entry.outcome = _finding_outcome(Finding("unreadable", {"detail": _os_detail(exc)}))
        entries.append(entry)

    real_root = os.path.realpath(root)

    def skipped(path: str, code: str, suffix: str = "") -> None:
        """A link is accounted for by a row, never followed out of DIR or round a loop."""
        rel = os.path.relpath(path, base).replace(os.sep, "/") + suffix
        entry = _Entry(_printable(rel), path, round_label=round_label)
        target = _printable(os.path.realpath(path))
        entry.outcome = _finding_outcome(Finding(code, {"target": target}))
        entries.append(entry)

    for dirpath, dirnames, filenames in os.walk(root, onerror=unlistable):
        dirnames.sort()
        for d in [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            dirnames.remove(d)  # os.walk would list it as a file-less folder and go no further
            skipped(os.path.join(dirpath, d), "linked-folder", "/")
        inside = next((o for o in outputs if folders.inside(dirpath, o)), None)
        if inside is None and folders.output_folder(dirpath, filenames):
            outputs.append(dirpath)
            inside = dirpath
        # Each file's name relative to the base, from its folder's (found once per folder).
        rel_dir = os.path.relpath(dirpath, base).replace(os.sep, "/")
        rel_dir = "" if rel_dir == "." else rel_dir + "/"
        for name in filenames:
            path = os.path.join(dirpath, name)
            if os.path.islink(path) and not _inside(os.path.realpath(path), real_root):
                skipped(path, "linked-folder" if os.path.isdir(path) else "link-outside")
                continue
            rel = rel_dir + name.replace(os.sep, "/")
            entry = _Entry(_printable(rel), path, round_label=round_label)
            if inside is not None:
                folder = os.path.relpath(inside, base).replace(os.sep, "/")
                finding = Finding("sheetreview-output", {"folder": _printable(folder)})
                entry.outcome = _finding_outcome(finding)
            entries.append(entry)
    return entries


def source_path(in_dir: Path, relpath: str) -> Path:
    """The file a name in files.csv stands for. A name that was not valid UTF-8 is recorded with
    its odd bytes as escapes (see `_printable`); those are turned back into the bytes on disk."""
    direct = Path(in_dir) / relpath
    if direct.exists() or "\\x" not in relpath:
        return direct
    raw = re.sub(rb"\\x([0-9a-f]{2})", lambda m: bytes([int(m.group(1), 16)]), relpath.encode())
    return Path(in_dir) / os.fsdecode(raw)


def _inside(path: str, root: str) -> bool:
    try:
        return os.path.commonpath([path, root]) == root
    except ValueError:  # another drive, on Windows
        return False


def _printable(name: str) -> str:
    """A name that is not valid UTF-8 (made on another system) shown with its odd bytes as
    escapes, so the outputs and the ledger can hold it; the file is still read by its path."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _reuse(entries: list[_Entry], ledger: Ledger, summary: IngestSummary) -> list[_Entry]:
    """Settle what needs no reading (lock and system files, unchanged files); the rest to read."""
    known = ledger.known()
    todo: list[_Entry] = []
    wanted: dict[str, list[_Entry]] = {}
    for e in entries:
        if e.outcome is not None:
            continue
        skip = by_name(e.relpath)
        try:
            st = os.stat(e.path)
        except OSError as exc:
            e.outcome = _finding_outcome(Finding("unreadable", {"detail": _os_detail(exc)}))
            continue
        e.mtime_ns, e.size = st.st_mtime_ns, st.st_size
        if skip is not None:
            e.outcome = _finding_outcome(skip)
            continue
        if not stat.S_ISREG(st.st_mode):
            e.outcome = _finding_outcome(Finding("not-a-spreadsheet", {"kind": "a special file"}))
            continue
        e.key = stat_key(st)
        seen = known.get(e.relpath)
        if seen is not None and seen[0] == e.key:
            wanted.setdefault(seen[1], []).append(e)
        else:
            todo.append(e)
    found = ledger.results(wanted)
    for sha, group in wanted.items():
        result = found.get(sha)
        for e in group:
            if result is None:
                todo.append(e)
                continue
            try:
                e.sha256, e.outcome = sha, unpack(result)
            except (ValueError, UnicodeDecodeError):  # a damaged record: read the file again
                todo.append(e)
                continue
            summary.reused += 1
    todo.sort(key=lambda e: e.relpath)
    return todo


def _progress_counter(progress: Progress | None, total: int, done: int) -> Callable[[int], None]:
    state = {"done": done}
    if progress is not None:
        progress(done, total)

    def advance(n: int) -> None:
        state["done"] += n
        if progress is not None:
            progress(state["done"], total)

    return advance


# --- reading, in worker processes -------------------------------------------------------------

_FRAMEWORKS: Registry = Registry()


def _init_worker(definitions: list[dict[str, Any]]) -> None:
    # Ctrl-C is the parent's to handle: it commits the ledger and stops the pool.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.enable()  # a reader forked while its parent paused the collector
    watch_parent()
    _FRAMEWORKS.clear()
    _FRAMEWORKS.versions.clear()
    for d in definitions:
        fw = from_dict(d)
        _FRAMEWORKS.versions[(fw.id, fw.version)] = fw
        if d.get("current"):
            _FRAMEWORKS[fw.id] = fw


def _read_chunk(items: list[tuple[int, str, str]]) -> list[tuple[int, str, int, bytes]]:
    return [(i, *read_file(path, rel, _FRAMEWORKS)) for i, path, rel in items]


def read_file(path: str, relpath: str, frameworks: dict[str, Framework]) -> tuple[str, int, bytes]:
    """(sha256, bytes, packed outcome) for one file; sha256 is "" when it could not be read."""
    try:
        with open(path, "rb") as fh:
            data = _read_head(fh)
            digest = hashlib.sha256(data)
            size = len(data)
            if size > MAX_FILE_BYTES:
                size += _hash_rest(fh, digest)
    except OSError as exc:
        outcome = _finding_outcome(Finding("unreadable", {"detail": _os_detail(exc)}))
        return "", 0, pack(outcome)
    if size > MAX_FILE_BYTES:
        finding = Finding("oversized", {"detail": f"{size / 1_000_000:.0f} MB"})
        return digest.hexdigest(), size, pack(_finding_outcome(finding))
    return digest.hexdigest(), size, pack(read_outcome(relpath, data, frameworks))


def _read_head(fh: io.BufferedReader) -> bytes:
    """The file's first MAX_FILE_BYTES + 1 bytes. Asking for only what it holds (and one more,
    to see it end) spares allocating the whole bound for every small return; a file that grew
    since is read on to the bound, as one large read would have."""
    want = MAX_FILE_BYTES + 1
    first = min(want, os.fstat(fh.fileno()).st_size + 1)
    data = fh.read(first)
    if len(data) == first < want:
        data += fh.read(want - first)
    return data


def pack(outcome: dict[str, Any]) -> bytes:
    """An outcome as the ledger keeps it and the readers send it: a line of JSON, then the
    rendered response lines as they are, so the writing process need not parse them."""
    header = {k: v for k, v in outcome.items() if k != "lines"}
    head = json.dumps(header, ensure_ascii=False).encode("utf-8")
    return head + b"\n" + outcome.get("lines", "").encode("utf-8")


def unpack(blob: bytes) -> dict[str, Any]:
    """The outcome again; its "lines" stay UTF-8 bytes, ready to be written."""
    head, _, lines = blob.partition(b"\n")
    outcome = json.loads(head)
    outcome["lines"] = lines
    return outcome


def _hash_rest(fh: io.BufferedReader, digest: Any) -> int:
    n = 0
    while chunk := fh.read(1 << 20):
        digest.update(chunk)
        n += len(chunk)
    return n


def _os_detail(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "it disappeared from the folder during the run"
    if isinstance(exc, PermissionError):
        return "permission denied"
    return exc.strerror or type(exc).__name__


def read_outcome(relpath: str, data: bytes, frameworks: dict[str, Framework]) -> dict[str, Any]:
    """What one file's bytes give: a JSON-ready record that does not depend on its path."""
    try:
        return _read_outcome(relpath, data, frameworks)
    except Exception as exc:  # a bug of ours must not stop the run: the file says so
        return fault_outcome(exc)


def _read_outcome(relpath: str, data: bytes, frameworks: dict[str, Framework]) -> dict[str, Any]:
    raw = read_return(relpath, data, frameworks)
    if raw.finding is not None:
        return _finding_outcome(raw.finding)
    judged = judge(raw)
    fw = raw.framework
    assert fw is not None
    if raw.moderation:
        return _moderation_outcome(judged, fw)
    round_where = raw.start.get("round")
    date = judged.assessment_date.isoformat() if judged.assessment_date else ""
    return {
        **_read_identity(judged, fw),
        "round_where": [round_where.sheet, round_where.cell] if round_where else ["", ""],
        "assessment_date": date,
        "problems": [p.packed() for p in judged.problems],
        "answered": len(judged.judgements),
        # Mark(...).packed(), without making a Mark of every judgement of every return.
        "marks": [
            [
                j.aspect_code,
                j.level_rank,
                words(j.evidence),
                int(bool(j.next_steps)),
                j.source_sheet,
                j.source_cell,
                j.query_answer,
            ]
            for j in judged.judgements
        ],  # fmt: skip
        "lines": _render_lines(judged, fw.level_count, date),
    }


def _read_identity(judged: Judged, fw: Framework) -> dict[str, Any]:
    """What every file read says of itself: its framework, and the school and round it is for."""
    return {
        "status": "read",
        "framework": fw.id,
        "framework_version": fw.version,
        "level_count": fw.level_count,
        "aspects_total": len(fw.aspects),
        "school_urn": judged.school_urn,
        "school_name": judged.school_name,
        "round": judged.round,
    }


def _moderation_outcome(judged: Judged, fw: Framework) -> dict[str, Any]:
    """A moderator's workbook: its levels go to moderations.csv, never to responses.csv."""
    return {
        **_read_identity(judged, fw),
        "kind": layout.MODERATION_KIND,
        "round_where": ["", ""],
        "assessment_date": "",
        "problems": [p.packed() for p in judged.problems],
        "answered": len(judged.judgements),
        "moderated": [
            [j.aspect_code, j.level, j.level_rank, j.evidence, j.source_sheet, j.source_cell]
            for j in judged.judgements
        ],
        "lines": "",
    }


# responses.csv is rendered in the reader processes, not in the one process that writes it:
# quoting long evidence is the costliest part of the output. A line's path-dependent parts (the
# round, school and framework columns, and the source file) are left as these two markers and
# filled in when the file is written; a return's text never holds them (control characters are
# removed from it).
HEAD_MARK, SOURCE_MARK = "\x01", "\x02"


def _render_lines(judged: Judged, level_count: int, date: str) -> str:
    date_field = _field(date)
    # A return's judgements come from one or two sheets: each sheet's field is made once.
    sheets: dict[str, str] = {}
    lines = []
    for j in judged.judgements:
        head = _aspect_fields(j.aspect_code, j.aspect_title, j.level, j.level_rank, level_count)
        sheet = sheets.get(j.source_sheet)
        if sheet is None:
            sheet = sheets[j.source_sheet] = _field(j.source_sheet)
        cell = j.source_cell
        if not (cell.isalnum() and cell.isascii()):  # an address (G12) is a field as it is
            cell = _field(cell)
        lines.append(
            f"{HEAD_MARK}{head},{_field(j.evidence)},{_field(j.next_steps)},{SOURCE_MARK},"
            f"{sheet},{cell},{date_field}\n"
        )
    return "".join(lines)


def _field(value: object) -> str:
    """A CSV field without the markers (a framework's own text could hold them)."""
    text = csv_field(value)
    if HEAD_MARK in text or SOURCE_MARK in text:
        return _unmarked(text)
    return text


_ASPECT_FIELDS: dict[tuple[str, str, str, int, int], str] = {}
_ASPECT_FIELDS_KEPT = 4096


def _aspect_fields(code: str, title: str, level: str, rank: int, level_count: int) -> str:
    """The aspect and level columns, rendered once per aspect and level, not once per return."""
    key = (code, title, level, rank, level_count)
    text = _ASPECT_FIELDS.get(key)
    if text is None:
        if len(_ASPECT_FIELDS) >= _ASPECT_FIELDS_KEPT:
            _ASPECT_FIELDS.clear()
        text = _ASPECT_FIELDS[key] = ",".join(map(_field, key))
    return text


def _unmarked(text: str) -> str:
    return text.replace(HEAD_MARK, "").replace(SOURCE_MARK, "")


def _finding_outcome(finding: Finding) -> dict[str, Any]:
    p = problem(finding.code, "", **finding.fields)
    status = "skipped" if finding.code in _SKIP_CODES else "rejected"
    return {"status": status, "problems": [p.packed()]}


def fault_outcome(exc: Exception) -> dict[str, Any]:
    """A file the reader failed on (a bug of ours, not the school's): rejected, with a problem
    that says so, and the traceback kept for errors.log. Called inside the `except` block."""
    said = " ".join(str(exc).split())
    detail = f"{type(exc).__name__}: {said[:120]}" if said else type(exc).__name__
    outcome = _finding_outcome(Finding("reader-fault", {"detail": detail}))
    outcome["traceback"] = traceback.format_exc()
    return outcome


_SKIP_CODES = {
    "lock-file", "system-file", "not-a-spreadsheet", "sheetreview-output", "linked-folder",
    "link-outside",
}  # fmt: skip
# Problems of a blank workbook that only repeat that nothing was chosen.
_NOTHING_CHOSEN = {"blank-level"}
_LEVEL_TYPED = {"unknown-level", "ambiguous-level"}


# --- the pool ---------------------------------------------------------------------------------


def _read_all(
    todo: list[_Entry],
    frameworks: dict[str, Framework],
    jobs: int,
    ledger: Ledger,
    advance: Callable[[int], None],
) -> None:
    """Read `todo` in a process pool. A reader that dies (a library crash on a hostile file)
    breaks the pool; the files it held are then read one at a time, and the one that kills
    its reader again is rejected as damaged."""
    # Every version a run was given, so an old return is read with its own version's definition.
    current = {(fw.id, fw.version) for fw in frameworks.values()}
    every = {
        **getattr(frameworks, "versions", {}),
        **{(f.id, f.version): f for f in frameworks.values()},
    }
    definitions = [{**fw.to_dict(), "current": key in current} for key, fw in every.items()]
    jobs = max(1, min(jobs, len(todo)))
    size = max(1, min(64, len(todo) // (jobs * 8)))
    batches = [list(range(i, min(i + size, len(todo)))) for i in range(0, len(todo), size)]

    def accept(results: Iterable[tuple[int, str, int, bytes]]) -> None:
        kept = []
        n = 0
        for i, sha, nbytes, blob in results:
            e = todo[i]
            e.sha256, e.outcome = sha, unpack(blob)
            e.size = nbytes or e.size
            if sha and "traceback" not in e.outcome:  # unreadable or a fault: tried again next run
                kept.append((e.relpath, e.key, sha, blob))
            n += 1
        ledger.record_many(kept)
        advance(n)
        kill_point("reading")

    failed = _run_batches(todo, batches, definitions, jobs, accept)
    for i in failed:
        _read_alone(todo, i, definitions, accept)


def _pool(jobs: int, definitions: list[dict[str, Any]]) -> ProcessPoolExecutor:
    # Readers are forked from this process where that is safe (it holds only the list of files);
    # elsewhere from a server that imports the reader once (start_server), not each reader.
    start_server(READER_MODULES)
    return WorkerPool(jobs, fork=True, initializer=_init_worker, initargs=(definitions,))


def _start_readers_early() -> None:
    """Start the server that readers are forked from (where they are), so that it imports the
    reader while this process walks the folders and opens the ledger, not after."""
    start_server(READER_MODULES)


READER_MODULES = ["__main__", __name__]  # what a reader needs: the command and this module


def _items(todo: list[_Entry], batch: list[int]) -> list[tuple[int, str, str]]:
    return [(i, todo[i].path, todo[i].relpath) for i in batch]


def _run_batches(
    todo: list[_Entry],
    batches: list[list[int]],
    definitions: list[dict[str, Any]],
    jobs: int,
    accept: Callable[[Iterable[tuple[int, str, int, bytes]]], None],
) -> list[int]:
    failed: list[int] = []
    pool = _pool(jobs, definitions)
    try:
        futures = {pool.submit(_read_chunk, _items(todo, b)): b for b in batches}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                try:
                    accept(fut.result())
                except BrokenProcessPool:
                    failed.extend(futures[fut])
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return sorted(failed)


def _read_alone(
    todo: list[_Entry],
    i: int,
    definitions: list[dict[str, Any]],
    accept: Callable[[Iterable[tuple[int, str, int, bytes]]], None],
) -> None:
    pool = _pool(1, definitions)
    try:
        accept(pool.submit(_read_chunk, _items(todo, [i])).result())
    except BrokenProcessPool:
        finding = Finding("damaged", {"detail": "reading it crashed the spreadsheet reader"})
        todo[i].outcome = _finding_outcome(finding)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


# --- assembling the outputs -------------------------------------------------------------------


@dataclass
class _Result:
    entry: _Entry
    status: str
    problems: list[Problem]
    round: str = ""
    school_key: str = ""
    winner: str = ""


def _results(entries: list[_Entry]) -> list[_Result]:
    results = []
    for e in entries:
        o = e.outcome or _finding_outcome(Finding("unreadable", {"detail": "it was not read"}))
        e.outcome = o
        probs = [Problem.unpacked(e.relpath, p) for p in o["problems"]]
        if o["status"] != "read":
            results.append(_Result(e, o["status"], probs))
            continue
        rnd = o["round"]
        round_label = e.round_label
        if not rnd:
            rnd = round_label
        elif round_label and rnd != round_label:
            sheet, cell = o["round_where"]
            probs.append(
                problem("round-conflict", e.relpath, sheet, cell, found=rnd, given=round_label)
            )
        school = (
            out.school_key(o["school_urn"], o["school_name"])
            if o["school_urn"] or o["school_name"].strip()
            else ""
        )
        kind = o.get("kind", "")  # a moderation never supersedes, nor is superseded by, a return
        key = f"{kind}\x00{o['framework']}\x00{rnd}\x00{school}" if school else ""
        if kind != layout.MODERATION_KIND and _is_blank(o):
            kept = [p for p in probs if p.code not in _NOTHING_CHOSEN]
            probs = [problem("blank-return", e.relpath), *kept]
            results.append(_Result(e, out.Status.BLANK, probs, rnd, key))
            continue
        status = "accepted_with_problems" if probs else "accepted"
        results.append(_Result(e, status, probs, rnd, key))
    _supersede(results)
    _moderations_need_returns(results)
    return results


def _is_moderation(r: _Result) -> bool:
    return (r.entry.outcome or {}).get("kind") == layout.MODERATION_KIND


def _moderations_need_returns(results: list[_Result]) -> None:
    """A moderation of a school with no accepted return of that framework and round compares
    with nothing: it is rejected, saying so, rather than silently left out of the report."""
    returned = {
        r.school_key.partition("\x00")[2]
        for r in results
        if r.status in _READ_STATUSES and not _is_moderation(r)
    }
    for r in results:
        alone = r.school_key.partition("\x00")[2] not in returned
        if r.status in _READ_STATUSES and _is_moderation(r) and alone:
            o = r.entry.outcome or {}
            r.status = "rejected"
            r.problems = [
                problem(
                    "moderation-without-return", r.entry.relpath,
                    school=o.get("school_name") or o.get("school_urn"),
                    framework=o.get("framework"), round=r.round or "no round",
                )
            ]  # fmt: skip


def moderation_rows(results: list[_Result]) -> list[list[Any]]:
    rows = []
    for r in results:
        if r.status in _READ_STATUSES and _is_moderation(r):
            o = r.entry.outcome or {}
            for code, level, rank, comment, sheet, cell in o.get("moderated", ()):
                rows.append([r.round, o["framework"], o["school_urn"], o["school_name"], code,
                             level, rank, comment, r.entry.relpath, sheet, cell])  # fmt: skip
    return rows


def _queries(results: list[_Result], frameworks: dict[str, Framework]) -> list[Query]:
    """Queries of the accepted returns; open ones become problems of their file (severity
    query), which never changes a file's status: a query is not a fault."""
    marks, by_file = [], {}
    for r in results:
        if r.status not in _READ_STATUSES or _is_moderation(r):
            continue
        o = r.entry.outcome or {}
        by_file[r.entry.relpath] = r
        marks.append(
            Marks(r.entry.relpath, o["framework"], o["framework_version"], r.round,
                  o["school_urn"], o["school_name"],
                  tuple(map(Mark.unpacked, o.get("marks", ()))))
        )  # fmt: skip
    found = find_queries(marks, frameworks, out.round_key)
    for q in found:
        if q.status == "open":
            by_file[q.problem.file].problems.append(q.problem)
    return found


def _is_blank(o: dict[str, Any]) -> bool:
    """A recognised workbook with no level chosen (and none typed wrongly): the school sent
    back what it was sent. It is not a return: it gives no judgements and the school is still
    outstanding."""
    return o["answered"] == 0 and not any(p[2] in _LEVEL_TYPED for p in o["problems"])


def _supersede(results: list[_Result]) -> None:
    """Several returns of one school, framework and round: the latest assessment date wins, then
    the latest modification time, then the path that sorts last; the others are superseded."""
    groups: dict[str, list[_Result]] = {}
    for r in results:
        if r.status in _READ_STATUSES and r.school_key:
            groups.setdefault(r.school_key, []).append(r)
    for group in groups.values():
        if len(group) < 2:
            continue
        winner = max(group, key=_recency)
        for r in group:
            if r is not winner:
                r.status = "superseded"
                r.winner = winner.entry.relpath
                r.problems = [problem("superseded", r.entry.relpath, winner=r.winner)]


def _recency(r: _Result) -> tuple[str, int, str]:
    o = r.entry.outcome or {}
    return (o.get("assessment_date") or "", r.entry.mtime_ns, r.entry.relpath)


def _write_outputs(
    entries: list[_Entry],
    frameworks: dict[str, Framework],
    out_dir: Path,
    summary: IngestSummary,
) -> list[list[Any]]:
    """Write responses, problems and files; files.csv's rows are returned for outstanding.csv."""
    results = _results(entries)
    queries = _queries(results, frameworks)
    files_rows, problem_rows = [], []
    used: set[str] = set()
    for r in results:
        summary.counts[r.status] += 1
        files_rows.append(_file_row(r))
        if "traceback" in (r.entry.outcome or {}):
            summary.faults.append((r.entry.relpath, r.entry.outcome["traceback"]))  # type: ignore[index]
        for p in r.problems:
            problem_rows.append(list(p.as_row().values()))
            summary.problems += p.severity != QUERY
            summary.errors += p.severity == ERROR
        if r.status in _READ_STATUSES:
            used.add(r.entry.outcome["framework"])  # type: ignore[index]
    summary.queries_open = sum(q.status == "open" for q in queries)
    summary.queries_answered = len(queries) - summary.queries_open
    _write_frameworks(out_dir, [frameworks[f] for f in sorted(used) if f in frameworks])
    # Streamed: 10,000 returns make about 150 MB of responses, never held whole in memory.
    lines = (_response_lines(r) for r in results if r.status in _READ_STATUSES)
    header = (csv_line(RESPONSES_COLUMNS) + "\n").encode("utf-8")
    _write_file(out_dir / "responses.csv", [header], lines)
    _write_csv(out_dir / "problems.csv", PROBLEMS_COLUMNS, problem_rows)
    _write_csv(out_dir / "files.csv", FILES_COLUMNS, files_rows)
    _write_csv(out_dir / out.QUERIES, QUERY_COLUMNS, [q.row() for q in queries])
    _write_csv(out_dir / out.MODERATIONS, out.MODERATIONS_COLUMNS, moderation_rows(results))
    _write_errors_log(out_dir, summary.faults)
    return files_rows


def _write_errors_log(out_dir: Path, faults: list[tuple[str, str]]) -> None:
    """Each fault's traceback, for the maintainers; no faults, no log (an old one would mislead)."""
    path = out_dir / ERRORS_LOG
    if not faults:
        path.unlink(missing_ok=True)
        return
    head = (
        f"sheetreview {__version__} failed on {len(faults)} file(s) because of a fault in "
        "sheetreview, not in the files. Please report it, with this file.\n"
    )
    parts = [head] + [f"\n== {file}\n{trace.rstrip()}\n" for file, trace in faults]
    _write_file(path, [part.encode("utf-8") for part in parts])


def _file_row(r: _Result) -> list[Any]:
    e, o = r.entry, r.entry.outcome or {}
    faults = [p for p in r.problems if p.severity != QUERY]
    if r.status == "accepted_with_problems":
        errors = sum(1 for p in faults if p.severity == ERROR)
        reason = f"{len(faults)} problem(s), {errors} error(s): see problems.csv"
    elif r.status == "accepted":
        reason = "a moderation workbook: see moderations.csv" if _is_moderation(r) else ""
    elif r.status == out.Status.BLANK:
        reason = r.problems[0].message
    else:
        reason = faults[0].message if faults else ""
    queries = len(r.problems) - len(faults)
    if queries:
        reason = "; ".join(filter(None, [reason, f"{queries} open query(ies): see queries.csv"]))
    answered = o.get("answered", "") if o.get("status") == "read" else ""
    return [
        e.relpath, e.sha256, e.size, r.status, o.get("framework", ""), o.get("school_urn", ""),
        o.get("school_name", ""), answered, o.get("aspects_total", ""), len(faults), reason,
        r.round, o.get("assessment_date", ""),
    ]  # fmt: skip


def _response_lines(r: _Result) -> bytes:
    o = r.entry.outcome or {}
    head = csv_line(
        [r.round, o["framework"], o["framework_version"], o["school_urn"], o["school_name"]]
    )
    lines: bytes = o["lines"]
    lines = lines.replace(HEAD_MARK.encode(), head.encode("utf-8") + b",")
    return lines.replace(SOURCE_MARK.encode(), csv_field(r.entry.relpath).encode("utf-8"))


def _write_csv(path: Path, columns: Sequence[str], rows: list[list[Any]]) -> None:
    kill_point(f"writing-{path.name}")
    out.write_rows(path, columns, rows)


def _write_file(path: Path, *parts: Iterable[bytes]) -> None:
    """Write a file in the staging folder (published whole with the others)."""
    kill_point(f"writing-{path.name}")
    fs.write_bytes(path, *parts)


def _write_frameworks(folder: Path, used: list[Framework]) -> None:
    """Each framework of an accepted return, as JSON, so `report` needs no framework files."""
    folder = folder / FRAMEWORKS_DIR
    folder.mkdir()
    for fw in used:
        text = json.dumps(fw.to_dict(), indent=2, ensure_ascii=False) + "\n"
        _write_file(folder / f"{fw.id}.json", [text.encode("utf-8")])
