"""`sheetreview generate`: a blank workbook, or one personalised workbook per school.

An LA officer runs this on a list of a few hundred schools and re-runs it when the list changes, so
the list is checked whole before anything is written, each file is written atomically, file names
are safe on every system a school or an LA uses, and the work is spread over the machine's cores.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import tempfile
from concurrent.futures import as_completed
from pathlib import Path

from sheetreview.core.fs import make_dir, safe_name, unique_names
from sheetreview.core.lock import watch_parent
from sheetreview.core.out import QUERIES, RESPONSES, read_table, round_key
from sheetreview.core.parallel import Progress, WorkerPool, cpu_count
from sheetreview.errors import OutputError, SheetreviewError
from sheetreview.framework import Framework
from sheetreview.schools import School, SchoolList, read_schools
from sheetreview.workbook import Filled, write_workbook

# Windows refuses these names whatever the extension.
MAX_URN_CHARS = 20
MAX_NAME_CHARS = 60
# Below this, starting worker processes costs more than it saves.
PARALLEL_FROM = 60
CHUNK = 25
PREVIOUS_COLUMNS = ("round", "framework", "school_urn", "aspect_code", "level", "evidence")


def generate_workbooks(
    fw: Framework,
    out_dir: Path,
    *,
    schools_file: str | Path | SchoolList | None = None,
    round_label: str | None = None,
    previous_out: str | Path | None = None,
    progress: Progress | None = None,
) -> list[Path]:
    """Write the workbooks into out_dir and return their paths, in the schools file's order.

    `schools_file` may be a list already read (the CLI reads it first to show how it was read).
    """
    out_dir = Path(out_dir)
    if schools_file is None:
        if previous_out is not None:
            raise SheetreviewError(
                "--previous shows each school's earlier answers, so it needs --schools FILE too"
            )
        _make_dir(out_dir)
        path = write_workbook(fw, out_dir / f"{safe_stem(fw.id)}.xlsx", round_label=round_label)
        if progress:
            progress(1, 1)
        return [path]
    # Every row is checked before any file is written.
    listed = schools_file if isinstance(schools_file, SchoolList) else read_schools(schools_file)
    schools = listed.schools
    previous = read_previous(Path(previous_out), fw, round_label) if previous_out else None
    _make_dir(out_dir)
    jobs = [
        _Job(school, out_dir / name, previous.get(school.urn.casefold(), {}) if previous else None)
        for school, name in zip(schools, workbook_names(schools), strict=True)
    ]
    return _run(fw, jobs, round_label, progress)


def _make_dir(out_dir: Path) -> None:
    make_dir(out_dir)
    try:  # a folder that cannot be written is said before any workbook is made
        with tempfile.TemporaryFile(dir=out_dir):
            pass
    except OSError as exc:
        raise OutputError(
            f"{out_dir}: cannot write there ({exc.strerror or exc}); make the folder writable, "
            "or choose another with -o"
        ) from None


# --- file names -------------------------------------------------------------------------------


def safe_stem(text: str, limit: int = MAX_NAME_CHARS) -> str:
    """Lower-case ASCII letters, digits and hyphens: "St Anne's" -> "st-annes"."""
    return safe_name(text, limit, lower=True, keep="", fallback="")


def workbook_names(schools: list[School]) -> list[str]:
    """`<urn>-<name>.xlsx` per school, unique even on case-insensitive file systems."""
    stems = []
    for school in schools:
        parts = (safe_stem(school.urn, MAX_URN_CHARS), safe_stem(school.name))
        stems.append("-".join(p for p in parts if p) or "school")
    return unique_names(stems, ".xlsx")


# --- writing, in parallel when there are many ------------------------------------------------


class _Job:
    __slots__ = ("school", "path", "previous")

    def __init__(self, school: School, path: Path, previous: dict[str, Filled] | None) -> None:
        self.school, self.path, self.previous = school, path, previous


def _write_chunk(
    fw: Framework, jobs: list[_Job], round_label: str | None, created: dt.datetime
) -> list[Path]:
    return [
        write_workbook(
            fw,
            job.path,
            school=job.school,
            round_label=round_label,
            previous=job.previous,
            created=created,
        )
        for job in jobs
    ]


def _run(
    fw: Framework, jobs: list[_Job], round_label: str | None, progress: Progress | None
) -> list[Path]:
    created = dt.datetime.now().replace(microsecond=0)
    total = len(jobs)
    workers = min(cpu_count(), math.ceil(total / CHUNK))
    if total < PARALLEL_FROM or workers < 2:
        paths = []
        for i, job in enumerate(jobs, start=1):
            paths.extend(_write_chunk(fw, [job], round_label, created))
            if progress:
                progress(i, total)
        return paths
    chunks = [jobs[i : i + CHUNK] for i in range(0, total, CHUNK)]
    done = 0
    with WorkerPool(workers, fork=True, initializer=watch_parent) as pool:
        futures = {pool.submit(_write_chunk, fw, c, round_label, created): c for c in chunks}
        for future in as_completed(futures):
            future.result()  # re-raises a worker's error here
            done += len(futures[future])
            if progress:
                progress(done, total)
    return [job.path for job in jobs]


# --- previous round -------------------------------------------------------------------------


def read_previous(
    previous_out: Path, fw: Framework, round_label: str | None
) -> dict[str, dict[str, Filled]]:
    """Each school's answers from an earlier ingest OUT: {urn (casefolded): {code: Filled}}.

    Rows of the round being generated are ignored (re-running a round must not show its own
    answers as "previous"). Where OUT holds several earlier rounds for a school, the latest round
    label in round order (2025-2 before 2025-10, spring before autumn) is shown, the same order
    `report` uses.
    """
    rows = _responses(previous_out)
    latest: dict[str, str] = {}
    mine = []
    for row in rows:
        if row["framework"] != fw.id or (round_label and row["round"] == round_label):
            continue
        urn = row["school_urn"].strip().casefold()
        if not urn:
            continue
        mine.append((urn, row))
        if urn not in latest or round_key(row["round"]) > round_key(latest[urn]):
            latest[urn] = row["round"]
    out: dict[str, dict[str, Filled]] = {}
    for urn, row in mine:
        if row["round"] == latest[urn]:
            level = row["level"].strip() or None
            filled = Filled(level, row["evidence"], row.get("next_steps", "") or "")
            out.setdefault(urn, {})[row["aspect_code"]] = filled
    _show_open_queries(previous_out, fw, latest, out)
    return out


def _show_open_queries(
    previous_out: Path, fw: Framework, latest: dict[str, str], out: dict[str, dict[str, Filled]]
) -> None:
    """A query the school left open last round is shown beside that aspect's previous evidence,
    so the school sees what was asked before it judges the aspect again."""
    if not (Path(previous_out) / QUERIES).is_file():
        return
    for row in read_table(previous_out, QUERIES).to_dict("records"):
        urn = str(row.get("school_urn") or "").strip().casefold()
        if row.get("framework") != fw.id or row.get("status") != "open":
            continue
        if urn not in out or row.get("round") != latest.get(urn):
            continue
        before = out[urn].get(row.get("aspect_code", ""))
        if before is None:
            continue
        note = f"Query from round {row['round']}, not yet answered: {row.get('found', '')}"
        evidence = f"{before.evidence}\n\n{note}" if before.evidence else note
        out[urn][row["aspect_code"]] = dataclasses.replace(before, evidence=evidence)


def _responses(previous_out: Path) -> list[dict[str, str]]:
    if not (Path(previous_out) / RESPONSES).is_file():
        raise SheetreviewError(
            f"{previous_out}: has no responses.csv; give the OUT folder of an earlier "
            "'sheetreview ingest'"
        )
    table = read_table(previous_out, RESPONSES, PREVIOUS_COLUMNS)
    return table.to_dict("records")
