"""Plausibility queries: judgements that are possible but unlikely, for the school to confirm.

An error stops a judgement being counted; a query never does. Like the DfE's COLLECT, a query
asks the school to correct the level or to confirm it with a short explanation, written in the
Review sheet's answer column; an answered query is closed. Each rule and its threshold is data in
the framework definition (`queries:`, with defaults for every framework), so an LA can tune or
switch off a rule without touching code.

Two rules look back at the school's previous round, so queries are raised once every file of a
run has been read, from a compact record of each return (`Marks`), not inside the readers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from sheetreview import layout
from sheetreview.core import out
from sheetreview.framework import Framework, QueryRules
from sheetreview.problems import Problem, problem

QUERY_COLUMNS = (
    "round", "framework", "school_urn", "school_name", "aspect_code", "rule", "file", "sheet",
    "cell", "status", "answer", "message", "found",
)  # fmt: skip
OPEN, ANSWERED = "open", "answered"


class Mark(NamedTuple):
    """One judgement, as the rules need it. A tuple: ingest makes one for every judgement of
    every return, and a frozen dataclass costs several times more to make."""

    code: str
    rank: int
    words: int  # of evidence
    next_steps: bool
    sheet: str
    cell: str
    answer: str = ""

    def packed(self) -> list:
        return [self.code, self.rank, self.words, int(self.next_steps), self.sheet, self.cell,
                self.answer]  # fmt: skip

    @classmethod
    def unpacked(cls, row: list) -> Mark:
        return cls(row[0], int(row[1]), int(row[2]), bool(row[3]), row[4], row[5], row[6])


@dataclass(frozen=True)
class Marks:
    """One accepted return: who, when, under which framework, and its judgements."""

    file: str
    framework: str
    version: str
    round: str
    school_urn: str
    school_name: str
    marks: tuple[Mark, ...]

    @property
    def school(self) -> str:
        return out.school_key(self.school_urn, self.school_name)


@dataclass(frozen=True)
class Query:
    round: str
    framework: str
    school_urn: str
    school_name: str
    aspect_code: str
    rule: str
    problem: Problem
    answer: str

    @property
    def status(self) -> str:
        return ANSWERED if self.answer else OPEN

    def row(self) -> list[str]:
        p = self.problem
        return [self.round, self.framework, self.school_urn, self.school_name, self.aspect_code,
                self.rule, p.file, p.sheet, p.cell, self.status, self.answer, p.message,
                p.found]  # fmt: skip


def words(text: str) -> int:
    return len(text.split())


def find_queries(
    returns: Iterable[Marks],
    frameworks: Mapping[str, Framework],
    round_order: Callable[[str], object],
) -> list[Query]:
    """Every query of every return, in the order of `returns`.

    `returns` are the accepted returns of a run (superseded ones left out); a school's previous
    round is its latest return of the same framework in an earlier round, in `round_order`.
    """
    returns = list(returns)
    history: dict[tuple[str, str], list[Marks]] = {}
    for r in returns:
        if r.school_urn or r.school_name:
            history.setdefault((r.framework, r.school), []).append(r)
    orders: dict[str, object] = {}  # a run has a few rounds and thousands of returns

    def order(label: str) -> Any:
        if label not in orders:
            orders[label] = round_order(label)
        return orders[label]

    found: list[Query] = []
    for r in returns:
        fw = frameworks.get(r.framework)
        if fw is None:
            continue
        same = history.get((r.framework, r.school), [])
        earlier = [
            p
            for p in same
            if len(same) > 1 and p.round and r.round and order(p.round) < order(r.round)
        ]
        previous = max(earlier, key=lambda p: order(p.round)) if earlier else None
        found.extend(return_queries(r, fw, previous))
    return found


def return_queries(r: Marks, fw: Framework, previous: Marks | None = None) -> list[Query]:
    """The queries of one return, given the school's previous return (if any)."""
    rules = fw.queries
    found: list[tuple[Mark, str, str, dict]] = []
    top = fw.level_count
    for m in r.marks:
        if rules.top_level_words and m.rank == top and m.words < rules.top_level_words:
            found.append((m, "query-top-level-evidence", "top_level_evidence_words",
                          {"level": fw.level(top).label, "words": m.words,
                           "minimum": rules.top_level_words}))  # fmt: skip
    if previous is not None:
        found += _changes(r, previous, fw, rules)
    same = _same_level(r, fw, rules)
    if same is not None:
        found.append(same)
    if not found:
        return []
    order = {m.code: i for i, m in enumerate(r.marks)}
    found.sort(key=lambda f: order.get(f[0].code, 0))
    return [
        Query(
            r.round, r.framework, r.school_urn, r.school_name, m.code, rule,
            problem(code, r.file, m.sheet, m.cell, aspect=m.code,
                    answer_column=layout.QUERY_ANSWER_HEADER, **fields),
            m.answer,
        )
        for m, code, rule, fields in found
    ]  # fmt: skip


def _changes(
    r: Marks, previous: Marks, fw: Framework, rules: QueryRules
) -> list[tuple[Mark, str, str, dict]]:
    before = {fw.current_code(previous.version, m.code): m for m in previous.marks}
    changes = []
    for m in r.marks:
        old = before.get(fw.current_code(r.version, m.code))
        if old is None:
            continue
        change = m.rank - old.rank
        fields = {
            "before": fw.level(old.rank).label,
            "after": fw.level(m.rank).label,
            "previous": previous.round,
            "levels": abs(change),
        }
        if rules.rise and change >= rules.rise:
            changes.append((m, "query-rise", "rise_since_previous", fields))
        elif (
            rules.fall_without_next_steps
            and -change >= rules.fall_without_next_steps
            and not m.next_steps
        ):
            changes.append((m, "query-fall-no-next-steps", "fall_without_next_steps", fields))
    return changes


def _same_level(r: Marks, fw: Framework, rules: QueryRules) -> tuple[Mark, str, str, dict] | None:
    """Every judged aspect of the return at one level, when there are at least `same_level` of
    them: one query, at the first aspect's level cell (a school with few aspects may well be even)."""
    if not rules.same_level or len(r.marks) < rules.same_level:
        return None
    if len({m.rank for m in r.marks}) != 1:
        return None
    first = r.marks[0]
    fields = {"count": len(r.marks), "level": fw.level(first.rank).label}
    return first, "query-same-level", "same_level_everywhere", fields
