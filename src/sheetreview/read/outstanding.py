"""Who has not returned: the expected schools against what a run accepted.

The officer's daily question during a round is "whom do I still chase?". Given the schools list
(`ingest --schools`), each expected school and framework, in each round OUT holds, is either
returned (an accepted return) or outstanding: `missing` (nothing came), `blank` (its workbook came
back with no level chosen) or `rejected` (a file that is its return could not be read). The list
is kept in OUT (expected.csv) so every later run, and `report` and `feedback`, use it too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from sheetreview.core import out
from sheetreview.core.out import Outstanding, Status
from sheetreview.errors import SheetreviewError
from sheetreview.schools import SchoolList

Row = Mapping[str, str]
MISSING_REASON = "no return received yet"


def expected_rows(schools: SchoolList, framework: str = "") -> list[list[str]]:
    """expected.csv's rows: each listed school, for one framework ("" = whichever are read)."""
    return [[framework, s.urn, s.name, s.la, s.trust, s.phase] for s in schools.schools]


def read_expected(out_dir: Path) -> list[dict[str, str]]:
    """The schools list kept in OUT, or [] when the run was given none."""
    if not (Path(out_dir) / out.EXPECTED).is_file():
        return []
    return out.read_records(out_dir, out.EXPECTED, out.EXPECTED_COLUMNS)


def check_framework(framework: str, known: Iterable[str]) -> None:
    if framework and framework not in set(known):
        raise SheetreviewError(
            f"--framework {framework}: not a framework this run knows; give a built-in id "
            "(see 'sheetreview frameworks') or its definition with --framework-file"
        )


def outstanding(
    expected: Sequence[Row], files: Sequence[Row], rounds_given: Sequence[str] = ()
) -> list[list[str]]:
    """outstanding.csv's rows: one per expected school, framework and round without an
    accepted return, in the list's order within each framework and round.

    `files` are files.csv's rows. The rounds are those the framework's returns name, else the
    rounds given for the folders read, else "" (nothing received yet, no round known).
    """
    received = [f for f in files if f.get("framework") and f["status"] != Status.SKIPPED]
    frameworks = _frameworks(expected, received)
    accepted = {
        (f["framework"], f["round"], k)
        for f in received
        if f["status"] in out.READ_STATUSES
        for k in _keys(f)
    }
    blank: dict[tuple[str, str, str], Row] = {}
    for f in received:
        if f["status"] == Status.BLANK:
            for k in _keys(f):
                blank.setdefault((f["framework"], f["round"], k), f)
    rejected = [f for f in files if f["status"] == Status.REJECTED]
    rows = []
    for fw in frameworks:
        rounds = sorted(
            {f["round"] for f in received if f["framework"] == fw} or set(rounds_given) or {""},
            key=lambda r: (out.round_key(r), r),
        )
        for rnd in rounds:
            for school in expected:
                if school["framework"] and school["framework"] != fw:
                    continue
                keys = _keys(school)
                if any((fw, rnd, k) in accepted for k in keys):
                    continue
                rows.append(_row(fw, rnd, school, keys, blank, rejected))
    return rows


def _frameworks(expected: Sequence[Row], received: Sequence[Row]) -> list[str]:
    named = [s["framework"] for s in expected if s["framework"]]
    if any(not s["framework"] for s in expected):
        named += [f["framework"] for f in received]
    return sorted(set(named)) or [""]


def _keys(row: Row) -> list[str]:
    """How a school is recognised: its URN, and its name (a return may have lost its URN)."""
    urn = str(row.get("school_urn", "")).strip().casefold()
    name = str(row.get("school_name", ""))
    keys = [f"urn:{urn}"] if urn else []
    if name.strip():
        keys.append(out.school_key("", name))
    return keys


def _row(
    fw: str,
    rnd: str,
    school: Row,
    keys: list[str],
    blank: Mapping[tuple[str, str, str], Row],
    rejected: Sequence[Row],
) -> list[str]:
    head = [fw, rnd, school["school_urn"], school["school_name"]]
    for k in keys:
        found = blank.get((fw, rnd, k))
        if found is not None:
            return [*head, Outstanding.BLANK, found["file"], found["reason"]]
    for f in rejected:
        if _is_theirs(f, school):
            return [*head, Outstanding.REJECTED, f["file"], f["reason"]]
    return [*head, Outstanding.MISSING, "", MISSING_REASON]


def _is_theirs(f: Row, school: Row) -> bool:
    """A rejected file is the school's when it says so, or when its name starts with the URN
    (as every workbook `generate` writes does): a damaged file tells us nothing else."""
    urn = str(school["school_urn"]).strip()
    if not urn:
        return False
    if str(f.get("school_urn", "")).strip() == urn:
        return True
    name = Path(str(f["file"])).name
    return re.match(rf"{re.escape(urn)}(?!\d)", name) is not None
