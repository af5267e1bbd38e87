"""The problem catalogue end to end: problems.csv and the letters are worded from each code's parts."""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import pytest
from conftest import make_return

from sheetreview.core.out import PROBLEMS_COLUMNS
from sheetreview.feedback.letters import write_feedback
from sheetreview.problems import Code, problem
from sheetreview.read.ingest import ingest


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_problem_row_has_every_problems_csv_column_in_order() -> None:
    found = problem("bad-date", "a.xlsx", "Start", "C9", value="31/02")
    row = found.as_row()
    assert tuple(row) == PROBLEMS_COLUMNS
    assert (
        row["message"] == "Sheet 'Start', cell C9: '31/02' is not a date. " + row["officer_action"]
    )
    assert row["found"] == "'31/02' is not a date."
    assert row["school_action"].startswith("Please write the date")
    assert row["audience"] == "school" and row["severity"] == "warning"


def test_problem_missing_a_value_its_words_need_is_refused() -> None:
    with pytest.raises(TypeError, match="choices"):
        problem("unknown-level", "a.xlsx", "Review", "F7", value="x")


def test_ingested_typo_reaches_the_letter_as_the_schools_own_action(tmp_path: Path) -> None:
    folder = tmp_path / "returns"
    make_return(folder / "birch.xlsx", urn="100002", name="Birch", levels={"1b-2": "Levle 3"})
    out = tmp_path / "out"
    ingest(folder, out, jobs=1)
    [typo] = [r for r in rows(out / "problems.csv") if r["code"] == "unknown-level"]
    assert typo["message"] == f"Sheet 'Review', cell {typo['cell']}: " + " ".join(
        (typo["found"], typo["officer_action"])
    )
    write_feedback(out, tmp_path / "fb")
    [letter] = (tmp_path / "fb").glob("*-feedback.txt")
    flat = " ".join(letter.read_text("utf-8").split())
    assert f"Sheet 'Review', cell {typo['cell']}: 'Levle 3' is not one of the levels." in flat
    assert f"What to do: {typo['school_action']}" in flat
    assert typo["school_action"].startswith("Please choose")


def test_reworded_catalogue_rewords_outputs_without_reading_files_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "returns"
    make_return(folder / "birch.xlsx", urn="100002", name="Birch", levels={"1b-2": "Levle 3"})
    out = tmp_path / "out"
    ingest(folder, out, jobs=1)
    reworded = dataclasses.replace(
        Code.UNKNOWN_LEVEL.entry, officer="Ask the school to pick {choices} instead."
    )
    monkeypatch.setattr(Code.UNKNOWN_LEVEL, "entry", reworded)
    summary = ingest(folder, out, jobs=1)
    assert summary.reused == 1 and summary.read_now == 0
    [typo] = [r for r in rows(out / "problems.csv") if r["code"] == "unknown-level"]
    assert typo["message"].endswith(" instead.") and "Ask the school to pick" in typo["message"]
