"""The bundled sample cohort: what `make demo` shows a newcomer must stay true."""

from __future__ import annotations

import pandas as pd

from sheetreview.demo import sample_dir
from sheetreview.read.ingest import ingest


def test_sample_ships_schools_list_and_returns_of_three_frameworks():
    sample = sample_dir()
    schools = pd.read_csv(sample / "schools.csv", dtype=str)
    assert len(schools) == 60
    assert schools["urn"].astype(int).between(100000, 149999).all()
    assert set(schools["la"]) == {"Northshire", "Eastborough"}
    suffixes = {p.suffix for p in (sample / "returns").rglob("*") if p.is_file()}
    assert {".xlsx", ".ods", ".xls"} <= suffixes


def test_every_everyday_problem_in_the_sample_is_accounted_for(tmp_path):
    out = tmp_path / "out"
    summary = ingest(sample_dir() / "returns", out, jobs=1)
    files = pd.read_csv(out / "files.csv", dtype=str, keep_default_na=False).set_index("file")
    inbox = "2026-autumn/inbox/"

    def status(name: str) -> str:
        return files.loc[inbox + name, "status"]

    assert status("~$138749 self review.xlsx") == "skipped"
    assert status("Thumbs.db") == "skipped"
    assert status("covering letter.txt") == "skipped"
    assert status("117551 self review (old Excel).xls") == "rejected"
    assert status("149338 self review PASSWORD.xlsx") == "rejected"
    assert status("145698 self review v1.xlsx") == "superseded"
    assert status("145698 self review v2 CORRECTED.xlsx") == "accepted"
    assert status("124347 self-review (typed levels).xlsx") == "accepted_with_problems"

    problems = pd.read_csv(out / "problems.csv", dtype=str, keep_default_na=False)
    typed = problems[problems["file"] == inbox + "124347 self-review (typed levels).xlsx"]
    assert sorted(typed["code"]) == ["blank-level", "unknown-level"]
    assert "'Levle 2' is not one of the levels" in " ".join(typed["message"])

    responses = pd.read_csv(out / "responses.csv", dtype=str, keep_default_na=False)
    assert set(responses["framework"]) == {"edtech-srf", "lp-steps", "pd-quality-mark"}
    assert set(responses["round"]) == {"2025-autumn", "2026-autumn"}
    # the typed " level 3 " was accepted as the label 3
    typed_rows = responses[
        responses["source_file"] == inbox + "124347 self-review (typed levels).xlsx"
    ]
    assert "3" in set(typed_rows["level"])
    assert summary.rejected == 2
    assert int((files["status"] == "accepted").sum()) > 140


def test_the_sample_shows_queries_a_moderated_sample_and_award_readiness(tmp_path):
    from sheetreview.report.build import build_report

    out = tmp_path / "out"
    ingest(sample_dir() / "returns", out, jobs=1)
    files = pd.read_csv(out / "files.csv", dtype=str, keep_default_na=False)
    moderations = files[files["file"].str.startswith("2026-autumn/moderation/")]
    assert len(moderations) >= 10 and set(moderations["status"]) == {"accepted"}
    queries = pd.read_csv(out / "queries.csv", dtype=str, keep_default_na=False)
    assert (queries["rule"] == "rise_since_previous").any()
    build_report(out, school_charts=False)
    assert len(pd.read_csv(out / "moderation.csv", dtype=str)) > 100
    overall = pd.read_csv(out / "school_overall.csv", dtype=str, keep_default_na=False)
    ready = set(overall.loc[overall["framework"] == "pd-quality-mark", "award_ready"])
    assert {"Bronze", "Silver", "Gold"} <= ready


def test_the_demo_runs_the_whole_pipeline_as_a_newcomer_runs_it(tmp_path):
    """`make demo`, as a process: workers forked from a server that imported every stage's
    modules first (where the platform has one)."""
    import subprocess
    import sys

    out = tmp_path / "demo"
    command = [sys.executable, "-m", "sheetreview", "demo", "-o", str(out), "-q"]
    first = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr
    assert "Traceback" not in first.stderr
    assert len(list((out / "templates").glob("*.xlsx"))) == 4
    assert len(list((out / "workbooks").glob("*.xlsx"))) == 60
    packs = list((out / "packs").glob("*.pdf"))
    profiles = list((out / "charts" / "schools").rglob("*.png"))
    assert len(packs) == len(profiles) > 140
    assert list((out / "feedback" / "annotated").glob("*.xlsx"))
    for name in ("summary.xlsx", "report.html", "moderation.csv"):
        assert (out / name).stat().st_size > 0
