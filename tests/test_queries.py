"""Plausibility queries: each rule fires at its threshold and not below, thresholds are data in
the framework definition, a query never changes a judgement, and an answered query is closed."""

from __future__ import annotations

import csv
import textwrap
from pathlib import Path

import openpyxl
import pytest
from conftest import answers, make_return

from sheetreview import layout
from sheetreview.errors import FrameworkError
from sheetreview.framework import builtin, parse_framework
from sheetreview.read.ingest import ingest
from sheetreview.read.queries import Mark, Marks, find_queries, return_queries
from sheetreview.workbook import Filled

EDTECH = builtin("edtech-srf")  # levels 4, 3, 2, 1: rank 4 is the label "1"
LONG = " ".join(["word"] * 20)


def marks(ranks: dict[str, int], words: int = 20, next_steps: bool = True, **answers: str) -> tuple:
    return tuple(
        Mark(code, rank, words, next_steps, "Review", f"F{i + 4}", answers.get(code, ""))
        for i, (code, rank) in enumerate(ranks.items())
    )


def a_return(rnd: str, ranks: dict[str, int], **kw) -> Marks:
    return Marks(
        f"{rnd}.xlsx", "edtech-srf", EDTECH.version, rnd, "100001", "Ash", marks(ranks, **kw)
    )


def rules_of(queries) -> list[tuple[str, str]]:
    return [(q.aspect_code, q.problem.code) for q in queries]


def mixed(n: int) -> dict[str, int]:
    """n aspects at ranks 1, 2, 3, 1, 2, 3...: nothing unlikely about them."""
    return {a.code: i % 3 + 1 for i, a in enumerate(EDTECH.aspects[:n])}


def order(label: str) -> str:
    return label


def test_a_rise_of_two_levels_is_a_query_and_a_rise_of_one_is_not():
    before = a_return("2025", {"1a-1": 1, "1a-2": 1, "1a-3": 2})
    after = a_return("2026", {"1a-1": 3, "1a-2": 2, "1a-3": 3})
    queries = find_queries([before, after], {"edtech-srf": EDTECH}, order)
    assert rules_of(queries) == [("1a-1", "query-rise")]
    q = queries[0]
    assert (q.problem.severity, q.problem.file, q.problem.cell) == ("query", "2026.xlsx", "F4")
    assert "rose from 4 to 2 since 2025 (2 levels)" in q.problem.message
    assert q.status == "open"


def test_a_fall_of_two_levels_without_next_steps_is_a_query_but_not_with_them():
    before = a_return("2025", {"1a-1": 3, "1a-2": 3})
    fell = a_return("2026", {"1a-1": 1, "1a-2": 2}, next_steps=False)
    assert rules_of(return_queries(fell, EDTECH, before)) == [("1a-1", "query-fall-no-next-steps")]
    with_steps = a_return("2026", {"1a-1": 1, "1a-2": 2}, next_steps=True)
    assert return_queries(with_steps, EDTECH, before) == []


def test_every_aspect_at_one_level_is_a_query_from_six_aspects_not_five():
    six = {a.code: 2 for a in EDTECH.aspects[:6]}
    five = {a.code: 2 for a in EDTECH.aspects[:5]}
    assert rules_of(return_queries(a_return("2026", six), EDTECH)) == [("1a-1", "query-same-level")]
    assert return_queries(a_return("2026", five), EDTECH) == []
    assert return_queries(a_return("2026", mixed(21)), EDTECH) == []


def test_the_top_level_with_fewer_than_fifteen_words_of_evidence_is_a_query():
    top = {"1a-1": 4, "1a-2": 3}
    assert rules_of(return_queries(a_return("r", top, words=14), EDTECH)) == [
        ("1a-1", "query-top-level-evidence")
    ]
    assert return_queries(a_return("r", top, words=15), EDTECH) == []


def test_an_answer_in_the_query_column_closes_the_query():
    r = a_return("r", {"1a-1": 4}, words=3, **{"1a-1": "Confirmed: see the governors' minutes."})
    [q] = return_queries(r, EDTECH)
    assert q.status == "answered" and q.answer.startswith("Confirmed")


TINY = """\
format: 1
id: tiny
title: Tiny
version: "1"
levels: [Low, Middle, High]
aspects:
  - {code: A1, title: One, descriptors: {Low: a, Middle: b, High: c}}
  - {code: A2, title: Two, descriptors: {Low: a, Middle: b, High: c}}
"""


def test_thresholds_are_data_in_the_definition_and_a_rule_can_be_switched_off():
    fw = parse_framework(
        TINY + "queries:\n  rise_since_previous: 1\n  top_level_evidence_words: ~\n", "tiny.yaml"
    )
    assert fw.queries.rise == 1 and fw.queries.top_level_words is None
    assert fw.queries.same_level == 6  # the default stays
    before = Marks("a", "tiny", "1", "1", "9", "S", marks({"A1": 1, "A2": 1}))
    after = Marks("b", "tiny", "1", "2", "9", "S", marks({"A1": 2, "A2": 3}, words=0))
    found = find_queries([before, after], {"tiny": fw}, order)
    assert rules_of(found) == [("A1", "query-rise"), ("A2", "query-rise")]


def test_an_unknown_query_rule_is_refused_with_its_line_and_the_known_rules():
    with pytest.raises(FrameworkError) as info:
        parse_framework(TINY + "queries:\n  rise_since_last: 2\n", "tiny.yaml")
    message = str(info.value)
    assert "tiny.yaml, line 10" in message and "rise_since_previous" in message


def test_a_threshold_that_is_not_a_whole_number_is_refused():
    with pytest.raises(FrameworkError, match="whole number"):
        parse_framework(TINY + "queries:\n  rise_since_previous: two\n", "tiny.yaml")


# --- through ingest ---------------------------------------------------------------------------


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def with_evidence(levels: dict[str, str]) -> dict[str, Filled]:
    """Levels 4, 3, 2 in turn (nothing unlikely), the given ones, and evidence of 20+ words."""
    filled = answers("edtech-srf")
    return {
        code: Filled(levels.get(code, "432"[i % 3]), f"{f.evidence} {LONG}", f.next_steps)
        for i, (code, f) in enumerate(filled.items())
    }


def answer_in_return(path: Path, code: str, text: str) -> None:
    """What a school does: types its answer into the Review sheet's query column, an unlocked
    column of every generated workbook."""
    book = openpyxl.load_workbook(path)
    sheet = book[layout.REVIEW_SHEET]
    header_row = next(r for r in range(1, 11) if sheet.cell(r, 1).value == layout.CODE_HEADER)
    headers = {sheet.cell(header_row, c).value: c for c in range(1, sheet.max_column + 1)}
    col = headers[layout.QUERY_ANSWER_HEADER]
    row = next(
        r for r in range(header_row + 1, sheet.max_row + 1) if sheet.cell(r, 1).value == code
    )
    assert sheet.cell(row, col).protection.locked is False
    sheet.cell(row, col).value = text
    book.save(path)


def test_ingest_raises_a_located_query_keeps_the_level_and_closes_it_once_answered(tmp_path):
    folder = tmp_path / "returns"
    make_return(
        folder / "2025.xlsx", round_label="2025-autumn", filled=with_evidence({"1a-1": "4"})
    )
    latest = make_return(
        folder / "2026.xlsx", round_label="2026-autumn", filled=with_evidence({"1a-1": "2"})
    )
    out = tmp_path / "out"
    summary = ingest(folder, out, jobs=1)
    [query] = [p for p in rows(out / "problems.csv") if p["severity"] == "query"]
    assert (query["file"], query["code"], query["sheet"]) == ("2026.xlsx", "query-rise", "Review")
    assert query["cell"]
    responses = rows(out / "responses.csv")
    kept = [r for r in responses if r["round"] == "2026-autumn" and r["aspect_code"] == "1a-1"]
    assert kept[0]["level"] == "2"  # a query never changes a judgement
    files = {f["file"]: f for f in rows(out / "files.csv")}
    assert files["2026.xlsx"]["status"] == "accepted"  # a query is not a fault
    assert "1 open query" in files["2026.xlsx"]["reason"]
    assert summary.queries_open == 1 and summary.problems == 0
    [listed] = rows(out / "queries.csv")
    assert (listed["aspect_code"], listed["rule"], listed["status"]) == (
        "1a-1",
        "rise_since_previous",
        "open",
    )

    answer_in_return(latest, "1a-1", "Confirmed: a new network and training for every teacher.")
    summary = ingest(folder, out, jobs=1)
    assert [p for p in rows(out / "problems.csv") if p["severity"] == "query"] == []
    [listed] = rows(out / "queries.csv")
    assert listed["status"] == "answered"
    assert listed["answer"].startswith("Confirmed: a new network")
    assert summary.queries_open == 0 and summary.queries_answered == 1


def test_thresholds_in_a_users_own_framework_file_apply_at_ingest(tmp_path):
    text = (Path(__file__).parents[1] / "src/sheetreview/frameworks/edtech-srf.yaml").read_text(
        encoding="utf-8"
    )
    mine = tmp_path / "edtech-srf.yaml"
    mine.write_text(text + textwrap.dedent("""
        queries:
          rise_since_previous: ~
        """), encoding="utf-8")  # fmt: skip
    folder = tmp_path / "returns"
    make_return(
        folder / "2025.xlsx", round_label="2025-autumn", filled=with_evidence({"1a-1": "4"})
    )
    make_return(
        folder / "2026.xlsx", round_label="2026-autumn", filled=with_evidence({"1a-1": "1"})
    )
    ingest(folder, tmp_path / "out", framework_files=[mine], jobs=1)
    assert rows(tmp_path / "out" / "queries.csv") == []
