"""Queries, moderation and awards where people read them: the feedback letter, next round's
workbook, the summary and the pack."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
from conftest import answers, make_return

from sheetreview.feedback.letters import write_feedback
from sheetreview.framework import builtin
from sheetreview.generate import read_previous
from sheetreview.packs.build import award_lines
from sheetreview.read.ingest import ingest
from sheetreview.report.build import build_report
from sheetreview.workbook import Filled

LONG = " ".join(["word"] * 20)


def rising(level_1a1: str) -> dict[str, Filled]:
    filled = answers("edtech-srf")
    return {
        code: Filled(
            level_1a1 if code == "1a-1" else "432"[i % 3], f"{f.evidence} {LONG}", f.next_steps
        )
        for i, (code, f) in enumerate(filled.items())
    }


def a_query(tmp_path: Path) -> Path:
    folder = tmp_path / "returns"
    make_return(folder / "2025.xlsx", round_label="2025-autumn", filled=rising("4"))
    make_return(folder / "2026.xlsx", round_label="2026-autumn", filled=rising("2"))
    out = tmp_path / "out"
    ingest(folder, out, jobs=1)
    return out


def test_the_letter_asks_the_school_to_confirm_or_correct_its_open_queries(tmp_path):
    out = a_query(tmp_path)
    write_feedback(out, tmp_path / "letters")
    [letter] = [p for p in (tmp_path / "letters").glob("*.txt")]
    text = letter.read_text(encoding="utf-8")
    assert "1 unusual judgement(s) to confirm or correct" in text
    assert "To confirm or correct" in text and "Query answer" in text
    assert "rose from 4 to 2 since 2025-autumn" in text


def test_next_rounds_workbook_shows_the_query_left_open(tmp_path):
    out = a_query(tmp_path)
    previous = read_previous(out, builtin("edtech-srf"), "2027-autumn")
    shown = previous["100001"]["1a-1"].evidence
    assert "Query from round 2026-autumn, not yet answered" in shown
    assert "rose from 4 to 2" in shown


def test_the_summary_counts_queries_per_school_and_aspect(tmp_path):
    out = a_query(tmp_path)
    build_report(out, school_charts=False)
    book = openpyxl.load_workbook(out / "summary.xlsx", read_only=True)
    assert "Queries" in book.sheetnames
    values = [
        v for row in book["Queries"].iter_rows(values_only=True) for v in row if v is not None
    ]
    assert "Per school" in values and "Per aspect" in values and "1a-1" in values
    overview = [v for row in book["Overview"].iter_rows(values_only=True) for v in row if v]
    assert any(str(v).startswith("Queries open") for v in overview)


def test_the_overview_counts_schools_per_award(tmp_path):
    folder = tmp_path / "returns"
    pd_fw = builtin("pd-quality-mark")
    for i, level in enumerate(["Embedded", "Enhancing", "Developing"]):
        filled = {a.code: Filled(level, LONG, "n") for a in pd_fw.aspects}
        make_return(
            folder / f"{i}.xlsx", "pd-quality-mark", urn=f"30000{i}", name=f"S{i}", filled=filled
        )
    out = tmp_path / "out"
    ingest(folder, out, jobs=1)
    build_report(out, school_charts=False)
    with open(out / "school_overall.csv", newline="", encoding="utf-8") as fh:
        ready = sorted(r["award_ready"] for r in csv.DictReader(fh))
    assert ready == ["Bronze", "Gold", "Silver"]
    book = openpyxl.load_workbook(out / "summary.xlsx", read_only=True)
    overview = [
        tuple(v for v in row if v is not None)
        for row in book["Overview"].iter_rows(values_only=True)
    ]
    assert ("Ready for Gold", 1) in overview and ("Ready for no award yet", 0) in overview


def test_the_pack_names_the_strands_between_a_school_and_the_next_award():
    fw = builtin("pd-quality-mark")
    levels = {a.code: 2 for a in fw.aspects if a.kind == "aspect"}
    lines = award_lines(fw, levels)
    assert lines[0] == "Award readiness: your judgements meet the rules of Silver."
    assert lines[1].startswith(
        "Between you and Gold: In Leadership of Professional Development: 3 more of"
    )
    assert award_lines(builtin("edtech-srf"), {}) == []
