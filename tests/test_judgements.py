"""Levels typed or chosen, evidence text and dates: raw cells -> judgements and problems."""

from __future__ import annotations

import datetime as dt

import pytest

from sheetreview.framework import builtin
from sheetreview.read.judgements import (
    LevelReader,
    choices_text,
    clean_text,
    judge,
    parse_date,
)
from sheetreview.read.returns import AspectRow, Found, RawReturn


def rank_of(framework_id: str, value: object) -> tuple[int | None, str]:
    return LevelReader(builtin(framework_id)).read(value)


# --- levels: a typed number is the framework's label, never the rank --------------------------


@pytest.mark.parametrize(
    ("framework_id", "value", "rank"),
    [
        ("edtech-srf", "3", 2),  # label "3" is the second least developed of 4, 3, 2, 1
        ("edtech-srf", 3.0, 2),  # a number as a spreadsheet stores it
        ("edtech-srf", 3, 2),
        ("edtech-srf", " level 3 ", 2),
        ("edtech-srf", "LEVEL 3", 2),
        ("edtech-srf", "3.0", 2),  # a number stored as text
        ("edtech-srf", "Level 1", 4),
        ("becta-srf", "3", 3),  # Level 5 ... Level 1: Level 3 is rank 3
        ("becta-srf", 3.0, 3),
        ("becta-srf", "level 5", 1),
        ("becta-srf", "Level  1", 5),
        ("lp-steps", "Step 2", 2),
        ("lp-steps", "2 - Develop", 2),
        ("lp-steps", "2-develop", 2),
        ("lp-steps", "step 2: develop", 2),
        ("lp-steps", "Develop", 2),
        ("lp-steps", 3, 3),
        ("lp-steps", "Step 5 Transform", 5),
        ("pd-quality-mark", "embedded", 3),
        ("pd-quality-mark", " Enhancing ", 2),
        ("pd-quality-mark", "Gold", 3),
    ],
)
def test_unambiguous_typed_level_is_accepted(framework_id: str, value: object, rank: int) -> None:
    assert rank_of(framework_id, value) == (rank, "ok")


@pytest.mark.parametrize(
    ("framework_id", "value"),
    [
        ("becta-srf", "Levle 3"),
        ("becta-srf", "6"),
        ("edtech-srf", 3.5),
        ("edtech-srf", True),
        ("edtech-srf", "Level 3 (mostly)"),
        ("pd-quality-mark", "3"),  # this framework has no numbers
        ("pd-quality-mark", dt.date(2026, 1, 1)),
    ],
)
def test_unknown_level_is_not_guessed(framework_id: str, value: object) -> None:
    assert rank_of(framework_id, value) == (None, "unknown")


def test_level_whose_number_and_name_disagree_is_ambiguous() -> None:
    assert rank_of("lp-steps", "2 - Adopt") == (None, "ambiguous")


@pytest.mark.parametrize("value", [None, "", "   "])
def test_blank_level_is_blank_never_zero(value: object) -> None:
    assert rank_of("edtech-srf", value) == (None, "blank")


def test_choices_name_a_shared_first_word_once() -> None:
    assert choices_text(builtin("becta-srf")) == "Level 5, 4, 3, 2 or 1"
    assert choices_text(builtin("edtech-srf")) == "4, 3, 2 or 1"
    assert choices_text(builtin("pd-quality-mark")) == "Developing, Enhancing or Embedded"
    assert choices_text(builtin("lp-steps")).startswith("Step 1 Aware, Step 2 Develop,")


# --- text and dates ---------------------------------------------------------------------------


def test_evidence_keeps_line_breaks_and_loses_control_characters() -> None:
    raw = "First line\r\nSecond\x07 line\rThird\x00\tend\u2028last "
    assert clean_text(raw) == "First line\nSecond line\nThird end\nlast"


def test_evidence_that_is_a_number_is_kept_as_text() -> None:
    assert clean_text(42.0) == "42"
    assert clean_text(None) == ""


@pytest.mark.parametrize(
    ("value", "date"),
    [
        ("14/03/2026", dt.date(2026, 3, 14)),
        ("03/04/2026", dt.date(2026, 4, 3)),  # day first, as in England
        ("3.4.26", dt.date(2026, 4, 3)),
        ("2026-03-14", dt.date(2026, 3, 14)),
        ("14 March 2026", dt.date(2026, 3, 14)),
        ("14th Mar 2026", dt.date(2026, 3, 14)),
        ("March 14, 2026", dt.date(2026, 3, 14)),
        (46095.0, dt.date(2026, 3, 14)),  # an Excel serial number
        (dt.datetime(2026, 3, 14, 9, 30), dt.date(2026, 3, 14)),
    ],
)
def test_assessment_date_is_read_in_the_forms_schools_write(value: object, date: dt.date) -> None:
    assert parse_date(value) == (date, True)


@pytest.mark.parametrize("value", ["next week", "31/02/2026", "14/13/2026", 12.0])
def test_text_that_is_not_a_date_is_flagged(value: object) -> None:
    assert parse_date(value) == (None, False)


def test_blank_date_is_no_problem() -> None:
    assert parse_date("") == (None, True)


# --- one return -------------------------------------------------------------------------------


def row(
    code: str, level: object, r: int, evidence: object = "ev", sheet: str = "Review"
) -> AspectRow:
    return AspectRow(
        code,
        sheet,
        f"A{r}",
        Found(level, sheet, f"F{r}"),
        Found(evidence, sheet, f"G{r}"),
        Found("next", sheet, f"H{r}"),
    )


def becta_return(rows: list[AspectRow], **identity: str) -> RawReturn:
    fw = builtin("becta-srf")
    ident = {"framework_id": fw.id, "school_urn": "100001", "school_name": "Ash"} | identity
    start = {"assessment_date": Found("14/03/2026", "Start", "B11")}
    return RawReturn("xlsx", None, fw, ident, "properties", start, rows, "Review")


def test_typo_in_a_level_is_an_error_at_that_cell_in_a_schools_words() -> None:
    fw = builtin("becta-srf")
    rows = [row(a.code, "Level 2", i + 4) for i, a in enumerate(fw.aspects)]
    rows[8] = row(fw.aspects[8].code, "Levle 3", 12)
    judged = judge(becta_return(rows))
    [p] = judged.problems
    assert (p.sheet, p.cell, p.code, p.severity) == ("Review", "F12", "unknown-level", "error")
    assert p.message == (
        "Sheet 'Review', cell F12: 'Levle 3' is not one of the levels. "
        "Choose Level 5, 4, 3, 2 or 1 from the list."
    )
    assert len(judged.judgements) == len(fw.aspects) - 1
    assert fw.aspects[8].code not in {j.aspect_code for j in judged.judgements}


def test_judgement_carries_label_rank_and_source_cell() -> None:
    fw = builtin("becta-srf")
    rows = [row(a.code, 3.0, i + 4, evidence="line 1\nline 2") for i, a in enumerate(fw.aspects)]
    first = judge(becta_return(rows)).judgements[0]
    assert (first.level, first.level_rank, first.source_cell) == ("Level 3", 3, "F4")
    assert first.evidence == "line 1\nline 2"


def test_rows_are_matched_by_code_in_any_order() -> None:
    fw = builtin("becta-srf")
    rows = [row(a.code, "Level 4", 40 - i) for i, a in enumerate(fw.aspects)]
    judged = judge(becta_return(list(reversed(rows))))
    assert [j.aspect_code for j in judged.judgements] == [a.code for a in fw.aspects]
    assert judged.problems == []


def test_missing_duplicate_and_unknown_codes_are_reported() -> None:
    fw = builtin("becta-srf")
    rows = [row(a.code, "Level 4", i + 4) for i, a in enumerate(fw.aspects[1:])]
    rows.append(row(fw.aspects[2].code, "Level 1", 30))
    rows.append(row("9z9", "Level 1", 31))
    rows.append(row("Notes about this page", "", 32))
    codes = {(p.code, p.cell) for p in judge(becta_return(rows)).problems}
    assert codes == {("aspect-missing", ""), ("aspect-duplicate", "A30"), ("unknown-aspect", "A31")}


def test_blank_level_is_a_warning_and_no_judgement() -> None:
    fw = builtin("becta-srf")
    rows = [row(a.code, "" if i == 0 else "Level 1", i + 4) for i, a in enumerate(fw.aspects)]
    judged = judge(becta_return(rows))
    [p] = judged.problems
    assert (p.code, p.severity, p.cell) == ("blank-level", "warning", "F4")
    assert len(judged.judgements) == len(fw.aspects) - 1


def test_school_and_date_come_from_identity_and_start() -> None:
    fw = builtin("becta-srf")
    rows = [row(a.code, "Level 1", i + 4) for i, a in enumerate(fw.aspects)]
    judged = judge(becta_return(rows, round="2026-spring"))
    assert (judged.school_urn, judged.round) == ("100001", "2026-spring")
    assert judged.assessment_date == dt.date(2026, 3, 14)


def test_missing_urn_is_a_warning() -> None:
    fw = builtin("becta-srf")
    rows = [row(a.code, "Level 1", i + 4) for i, a in enumerate(fw.aspects)]
    judged = judge(becta_return(rows, school_urn=""))
    assert [p.code for p in judged.problems] == ["school-missing"]
