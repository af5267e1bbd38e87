"""A framework revised between rounds: old returns keep every judgement and progress crosses the map."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
import pytest

from sheetreview.framework import load_file
from sheetreview.read.ingest import ingest
from sheetreview.report.build import build_report
from sheetreview.schools import School
from sheetreview.workbook import Filled, write_workbook

LEVELS = "levels: [{label: Low}, {label: Mid}, {label: High}]"
DESC = "descriptors: {Low: a, Mid: b, High: c}"
V1 = f"""
format: 1
id: tiny
title: Tiny
version: "1"
{LEVELS}
aspects:
  - {{code: A1, title: Alpha, {DESC}}}
  - {{code: B1, title: Beta, {DESC}}}
  - {{code: GONE, title: Gone, {DESC}}}
"""
V2 = f"""
format: 1
id: tiny
title: Tiny
version: "2"
{LEVELS}
aspects:
  - {{code: A1, title: Alpha, {DESC}}}
  - {{code: B2, title: Beta renamed, {DESC}}}
  - {{code: NEW, title: New, {DESC}}}
previous_versions:
  - version: "1"
    aspects: {{B1: B2, GONE: ~}}
"""


@pytest.fixture
def two_versions(tmp_path: Path) -> tuple[Path, Path, Path]:
    v1, v2 = tmp_path / "v1.yaml", tmp_path / "v2.yaml"
    v1.write_text(textwrap.dedent(V1), encoding="utf-8")
    v2.write_text(textwrap.dedent(V2), encoding="utf-8")
    returns = tmp_path / "returns"
    returns.mkdir()
    old, new = load_file(v1), load_file(v2)
    for i in range(3):
        school = School(str(100000 + i), f"School {i}")
        before = {c: Filled("Low") for c in ("A1", "B1", "GONE")}
        after = {c: Filled("High") for c in ("A1", "B2", "NEW")}
        write_workbook(
            old, returns / f"r1-{i}.xlsx", school=school, round_label="r1", filled=before
        )
        write_workbook(new, returns / f"r2-{i}.xlsx", school=school, round_label="r2", filled=after)
    return v1, v2, returns


def changes(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "round_changes.csv").set_index("aspect_code")


def test_old_returns_read_through_the_current_definitions_map(two_versions, tmp_path):
    _, v2, returns = two_versions
    out = tmp_path / "out"
    ingest(returns, out, framework_files=[v2], jobs=1)
    responses = pd.read_csv(out / "responses.csv", dtype=str, keep_default_na=False)
    old = responses[responses["round"] == "r1"]
    assert sorted(old["aspect_code"].unique()) == ["A1", "B1", "GONE"]  # nothing dropped
    assert set(old["framework_version"]) == {"1"}
    summary = build_report(out, school_charts=False)
    table = changes(out)
    assert table.loc["B2", ["n_from", "n_to", "schools_up"]].tolist() == [3, 3, 3]
    assert table.loc["A1", "median_change"] == 2.0
    assert any("no counterpart" in line and "GONE" in line for line in summary.lines())


def test_old_returns_read_with_their_own_version_when_it_is_given(two_versions, tmp_path):
    v1, v2, returns = two_versions
    out = tmp_path / "out"
    ingest(returns, out, framework_files=[v1, v2], jobs=2)
    problems = pd.read_csv(out / "problems.csv", dtype=str)
    problems = problems[problems["severity"] != "query"]  # unlikely levels are not faults
    assert problems.empty  # no "NEW is missing" for a return made before NEW existed
    responses = pd.read_csv(out / "responses.csv", dtype=str, keep_default_na=False)
    titles = dict(zip(responses["aspect_code"], responses["aspect_title"], strict=True))
    assert titles["B1"] == "Beta" and titles["B2"] == "Beta renamed"
    build_report(out, school_charts=False)
    assert changes(out).loc["B2", "n_from"] == 3
