"""The officer's whole job through the CLI, on returns made by the real generator."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from sheetreview.cli import cli
from sheetreview.framework import builtin
from sheetreview.schools import School
from sheetreview.workbook import Filled, write_workbook


def make_cohort(folder: Path, n: int = 6) -> dict[str, str]:
    """n becta-srf returns; school i judges every aspect at rank (i % 5) + 1; school 0 mistypes one."""
    fw = builtin("becta-srf")
    expected = {}
    for i in range(n):
        urn = str(100100 + i)
        label = fw.level(i % 5 + 1).label
        filled = {a.code: Filled(label, f"Evidence {i} for {a.code}", "") for a in fw.aspects}
        if i == 0:
            filled["1b2"] = Filled("Levle 3", "", "")
        school = School(urn, f"School {i}")
        path = folder / f"{urn}.xlsx"
        write_workbook(
            fw,
            path,
            school=school,
            round_label="r1",
            filled=filled,
            assessment_date=dt.date(2026, 3, 1),
        )
        expected[urn] = label
    return expected


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_ingest_feedback_report_and_packs_from_one_folder(tmp_path):
    returns, out = tmp_path / "returns", tmp_path / "out"
    returns.mkdir()
    expected = make_cohort(returns)
    before = digest(returns)
    runner = CliRunner()

    result = runner.invoke(cli, ["ingest", str(returns), "-o", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "Read 6 files" in result.output
    assert json.loads((out / "run.json").read_text())["input_dir"] == str(returns.resolve())

    responses = pd.read_csv(out / "responses.csv", dtype=str, keep_default_na=False)
    levels = responses.groupby("school_urn")["level"].agg(lambda s: set(s))
    for urn, label in expected.items():
        assert levels[urn] == {label}
    assert len(responses) == 6 * 12 - 1  # the mistyped level is missing, not guessed

    # feedback finds the originals from run.json: no --returns needed
    result = runner.invoke(cli, ["feedback", str(out), "--annotate", "--quiet"])
    assert result.exit_code == 0, result.output
    # every school judged every aspect at one level: each is asked to confirm that (a query);
    # only school 0 has something to fix
    letters = list((out / "feedback").glob("*.txt"))
    assert len(letters) == 6
    letters = [p for p in letters if "To fix" in p.read_text(encoding="utf-8")]
    assert len(letters) == 1 and "100100" in letters[0].name
    text = letters[0].read_text(encoding="utf-8")
    assert "Sheet 'Review', cell" in text and "Levle 3" in text
    assert list((out / "feedback" / "annotated").glob("*.xlsx"))

    result = runner.invoke(cli, ["report", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    assert (out / "summary.xlsx").exists() and (out / "aspect_stats.csv").exists()

    result = runner.invoke(cli, ["packs", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    assert len(list((out / "packs").rglob("*.pdf"))) == 6

    assert digest(returns) == before  # inputs never modified


def test_run_with_strict_exits_1_when_a_file_is_rejected(tmp_path):
    returns, out = tmp_path / "returns", tmp_path / "out"
    returns.mkdir()
    make_cohort(returns, n=2)
    (returns / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    result = CliRunner().invoke(
        cli, ["run", str(returns), "-o", str(out), "--strict", "--quiet", "--no-school-charts"]
    )
    assert result.exit_code == 1
    assert "1 file(s) rejected (--strict)" in result.output
    assert (out / "summary.xlsx").exists()


def test_report_before_ingest_says_what_to_run(tmp_path):
    result = CliRunner().invoke(cli, ["report", str(tmp_path)])
    assert result.exit_code == 1
    assert "sheetreview ingest" in result.output
    assert "Traceback" not in result.output
