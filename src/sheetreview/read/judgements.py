"""Raw cells of a return -> judgements (aspect, level, evidence, next steps) and problems.

A school may type a level instead of choosing it, or a spreadsheet program may turn the chosen
text into a number. A typed number means the framework's own label, never the rank: in
edtech-srf "3" is the label 3 (level_rank 2), in becta-srf it is Level 3, in lp-steps Step 3.
Anything that could mean two levels, or none, is a problem at that exact cell and the judgement
is left out: a guess would put a wrong number into every statistic downstream.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sheetreview.framework import Framework
from sheetreview.problems import Problem, problem
from sheetreview.read.returns import AspectRow, Found, RawReturn

_PREFIX_WORDS = ("level", "lvl", "step", "stage", "grade")
_NUMBER_RE = re.compile(r"^\+?0*(\d+)(?:\.0+)?$")
_PREFIXED_RE = re.compile(
    rf"^(?:(?:{'|'.join(_PREFIX_WORDS)})\s*)?(\d+)(?:\s*[-:.)]\s*|\s+|$)(.*)$"
)


class Judgement(NamedTuple):
    aspect_code: str
    aspect_title: str
    level: str
    level_rank: int
    evidence: str
    next_steps: str
    source_sheet: str
    source_cell: str
    query_answer: str = ""  # the school's answer to a query on this row (read/queries.py)


@dataclass
class Judged:
    """A return's judgements and what the school must fix, plus who and when it is."""

    judgements: list[Judgement] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    school_urn: str = ""
    school_name: str = ""
    round: str = ""
    assessment_date: dt.date | None = None


# --- levels -----------------------------------------------------------------------------------


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"[\u2010-\u2015\u2212]", "-", text)
    text = re.sub(r"\s*([-:/])\s*", r" \1 ", text)
    return " ".join(text.split()).strip(" .")


def _numbers(text: str) -> set[int]:
    return {int(n) for n in re.findall(r"\d+", text)}


def _name_part(text: str) -> str:
    """'Step 2 Develop' -> 'develop': the words of a label without its numbering."""
    rest = _norm(text)
    m = _PREFIXED_RE.match(rest)
    if m:
        rest = m.group(2)
    return rest.strip(" -:").strip()


class LevelReader:
    """Turns what is in a level cell into a rank, by the framework's labels and aliases."""

    def __init__(self, fw: Framework) -> None:
        self.fw = fw
        # What a dropdown writes is the label itself: found without normalising.
        self.as_written = {lv.label: lv.rank for lv in fw.levels}
        self.exact: dict[str, set[int]] = {}
        self.by_number: dict[int, set[int]] = {}
        self.by_name: dict[str, set[int]] = {}
        for level in fw.levels:
            for name in (level.label, *level.aliases):
                self.exact.setdefault(_norm(name), set()).add(level.rank)
                for n in _numbers(name):
                    self.by_number.setdefault(n, set()).add(level.rank)
                part = _name_part(name)
                if part and not part.isdigit():
                    self.by_name.setdefault(part, set()).add(level.rank)
        self.choices = choices_text(fw)

    def read(self, value: Any) -> tuple[int | None, str]:
        """(rank, "ok") or (None, "blank" | "unknown" | "ambiguous")."""
        if isinstance(value, str):
            rank = self.as_written.get(value)
            if rank is not None:
                return rank, "ok"
            return self._text(_norm(value)) if value.strip() else (None, "blank")
        if value is None:
            return None, "blank"
        if isinstance(value, bool):
            return None, "unknown"
        if isinstance(value, int | float):
            if float(value).is_integer():
                return self._number(int(value))
            return None, "unknown"
        return None, "unknown"

    def _text(self, text: str) -> tuple[int | None, str]:
        ranks = self.exact.get(text)
        if ranks:
            return _one(ranks)
        m = _NUMBER_RE.match(text)
        if m:
            return self._number(int(m.group(1)))
        ranks = self.by_name.get(text)
        if ranks:
            return _one(ranks)
        m = _PREFIXED_RE.match(text)
        if not m:
            return None, "unknown"
        number, status = self._number(int(m.group(1)))
        rest = m.group(2).strip(" -:()")
        if not rest or status != "ok":
            return number, status
        named = self.exact.get(rest) or self.by_name.get(rest)
        if not named:
            return None, "unknown"
        return (number, "ok") if named == {number} else (None, "ambiguous")

    def _number(self, n: int) -> tuple[int | None, str]:
        ranks = self.exact.get(str(n)) or self.by_number.get(n)
        return _one(ranks) if ranks else (None, "unknown")


_READERS: dict[tuple[str, str, int], LevelReader] = {}


def level_reader(fw: Framework) -> LevelReader:
    """One reader per framework, built once per process: a run reads thousands of returns."""
    key = (fw.id, fw.content_hash, id(fw))
    reader = _READERS.get(key)
    if reader is None:
        reader = _READERS[key] = LevelReader(fw)
    return reader


def _one(ranks: set[int]) -> tuple[int | None, str]:
    return (next(iter(ranks)), "ok") if len(ranks) == 1 else (None, "ambiguous")


def choices_text(fw: Framework) -> str:
    """'Level 5, 4, 3, 2 or 1': the labels in order, a shared first word said once."""
    labels = [lv.label for lv in fw.levels]
    words = [label.split(" ", 1) for label in labels]
    shared = all(len(w) == 2 and w[0] == words[0][0] and " " not in w[1] for w in words)
    shown = [labels[0]] + ([w[1] for w in words[1:]] if shared else labels[1:])
    return ", ".join(shown[:-1]) + " or " + shown[-1] if len(shown) > 1 else shown[0]


def shown(value: Any) -> str:
    """A cell's value as the school sees it, for a message."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%d/%m/%Y")
    return " ".join(str(value).split())


# --- text and dates ---------------------------------------------------------------------------

_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_UNCLEAN_RE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def clean_text(value: Any) -> str:
    """Evidence and next steps as text: line breaks kept, control characters removed."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        # Every character _UNCLEAN_RE looks for is unprintable: most text is settled in one pass.
        if value.isprintable() or not _UNCLEAN_RE.search(value):
            return value.strip()
        text = value.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
        text = text.replace("\u2028", "\n").replace("\u2029", "\n")
        return _CONTROL_RE.sub("", text).strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).strip()


_MONTHS = {
    m: i
    for i, names in enumerate(
        (
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
            ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
            ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for m in names
}  # fmt: skip
_ISO_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")
_DMY_RE = re.compile(r"^(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4}|\d{2})$")
_D_MON_Y_RE = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?[\s\-]+([a-z]+)\.?,?[\s\-]+(\d{4}|\d{2})$")
_MON_D_Y_RE = re.compile(r"^([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def parse_date(value: Any) -> tuple[dt.date | None, bool]:
    """(date, True) for a date in any form a school writes it; text is read day first, as in
    England; (None, True) for blank; (None, False) for something that is not a date."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, True
    if isinstance(value, dt.datetime):
        return value.date(), True
    if isinstance(value, dt.date):
        return value, True
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 25000 <= value <= 73000:  # Excel serial numbers for 1968 ... 2099
            return _EXCEL_EPOCH + dt.timedelta(days=int(value)), True
        return None, False
    if not isinstance(value, str):
        return None, False
    return _date_text(" ".join(value.strip().casefold().split()))


def _date_text(text: str) -> tuple[dt.date | None, bool]:
    m = _ISO_RE.match(text)
    if m:
        return _date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = _DMY_RE.match(text)
    if m:
        return _date(_year(m.group(3)), int(m.group(2)), int(m.group(1)))
    m = _D_MON_Y_RE.match(text)
    if m and m.group(2) in _MONTHS:
        return _date(_year(m.group(3)), _MONTHS[m.group(2)], int(m.group(1)))
    m = _MON_D_Y_RE.match(text)
    if m and m.group(1) in _MONTHS:
        return _date(int(m.group(3)), _MONTHS[m.group(1)], int(m.group(2)))
    return None, False


def _year(text: str) -> int:
    return 2000 + int(text) if len(text) == 2 else int(text)


def _date(year: int, month: int, day: int) -> tuple[dt.date | None, bool]:
    try:
        return dt.date(year, month, day), True
    except ValueError:
        return None, False


# --- one return -------------------------------------------------------------------------------


def judge(raw: RawReturn) -> Judged:
    """Check every level of a read return against its framework; collect what to fix."""
    fw = raw.framework
    assert fw is not None
    out = Judged(problems=list(raw.problems))
    _who_and_when(raw, out)
    rows = _rows_by_aspect(raw, fw, out)
    reader = level_reader(fw)
    for aspect in fw.aspects:
        row = rows.get(aspect.code.casefold())
        if raw.moderation and (row is None or reader.read(row.level.value)[1] == "blank"):
            continue  # a moderator looks at some aspects only: a blank is not a problem
        if row is None:
            sheet = raw.review_sheet
            out.problems.append(
                problem("aspect-missing", "", sheet, aspect=aspect.code, title=aspect.title)
            )
            continue
        rank, status = reader.read(row.level.value)
        cell = row.level
        if status == "ok" and rank is not None:
            out.judgements.append(
                Judgement(
                    aspect.code,
                    aspect.title,
                    fw.level(rank).label,
                    rank,
                    clean_text(row.evidence.value),
                    clean_text(row.next_steps.value),
                    cell.sheet,
                    cell.cell,
                    clean_text(row.query_answer.value),
                )
            )
        else:
            out.problems.append(_level_problem(status, aspect.code, cell, reader))
    return out


def _level_problem(status: str, code: str, cell: Found, reader: LevelReader) -> Problem:
    if status == "blank":
        return problem("blank-level", "", cell.sheet, cell.cell, aspect=code)
    code_name = "ambiguous-level" if status == "ambiguous" else "unknown-level"
    value = shown(cell.value)
    return problem(code_name, "", cell.sheet, cell.cell, value=value, choices=reader.choices)


def _rows_by_aspect(raw: RawReturn, fw: Framework, out: Judged) -> dict[str, AspectRow]:
    known = {a.code.casefold() for a in fw.aspects}
    groups = {g.code.casefold() for g in fw.groups}
    rows: dict[str, AspectRow] = {}
    for row in raw.rows:
        key = row.code.casefold()
        if key in known:
            if key in rows:
                first = rows[key]
                other = f"'{first.sheet}'!{first.code_cell}"
                out.problems.append(
                    problem(
                        "aspect-duplicate",
                        "",
                        row.sheet,
                        row.code_cell,
                        aspect=row.code,
                        other=other,
                    )
                )
                continue
            rows[key] = row
        elif key not in groups and _looks_like_code(row.code):
            out.problems.append(
                problem(
                    "unknown-aspect", "", row.sheet, row.code_cell, value=row.code, framework=fw.id
                )
            )
    return rows


def _looks_like_code(text: str) -> bool:
    # Schools write notes in spare rows; only a short word without spaces was meant as a code.
    return len(text) <= 16 and not any(ch.isspace() for ch in text)


def _who_and_when(raw: RawReturn, out: Judged) -> None:
    identity, start = raw.identity, raw.start
    out.school_urn = identity.get("school_urn", "") or _start_text(start, "school_urn")
    out.school_name = identity.get("school_name", "") or _start_text(start, "school_name")
    out.round = identity.get("round", "") or _start_text(start, "round")
    urn = out.school_urn = out.school_urn.replace(" ", "")  # "100 001" is typed too
    if not (urn.isascii() and urn.isdigit()):
        where = start.get("school_urn")
        sheet, cell = (where.sheet, where.cell) if where else (raw.review_sheet, "")
        if urn:  # a URN is digits: anything else is recorded as none, and said
            out.problems.append(problem("bad-urn", "", sheet, cell, value=shown(urn)))
            out.school_urn = ""
        else:
            out.problems.append(problem("school-missing", "", sheet, cell))
    found = start.get("assessment_date")
    if found is not None:
        date, ok = parse_date(found.value)
        out.assessment_date = date
        if not ok:
            out.problems.append(
                problem("bad-date", "", found.sheet, found.cell, value=shown(found.value))
            )


def _start_text(start: dict[str, Found], key: str) -> str:
    found = start.get(key)
    if found is None:
        return ""
    value = found.value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else " ".join(str(value).split())
