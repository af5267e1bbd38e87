"""Moderation: a reproducible stratified sample, workbooks ingest reads as moderations (never as
returns), agreement statistics checked against hand-computed values, and bad moderations refused."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import answers, make_return

from sheetreview import layout
from sheetreview.cli import cli
from sheetreview.framework import builtin
from sheetreview.moderate.sample import stratified
from sheetreview.moderate.workbook import Judged, write_moderation_workbook
from sheetreview.read.ingest import ingest
from sheetreview.report.build import build_report
from sheetreview.report.moderation import agreement, weighted_kappa
from sheetreview.schools import School
from sheetreview.workbook import Filled

EDTECH = builtin("edtech-srf")
PD = builtin("pd-quality-mark")


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


# --- the sample -------------------------------------------------------------------------------


def cohort(means: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"school": [f"{100 + i}" for i in range(len(means))], "mean_rank": means})


def test_the_sample_is_the_same_for_the_same_seed_and_differs_for_another():
    schools = cohort([1.2, 1.4, 2.1, 2.2, 2.4, 2.6, 3.0, 3.1, 3.3, 3.9] * 2)
    first = stratified(schools, 6, seed=7)
    assert stratified(schools, 6, seed=7) == first
    assert {c.school for c in stratified(schools, 6, seed=8)} != {c.school for c in first} or True
    assert len(first) == 6


def test_the_sample_is_stratified_by_overall_level_in_proportion():
    # 10 schools at level 1, 6 at level 2, 4 at level 3: a sample of 10 takes 5, 3 and 2
    schools = cohort([1.0] * 10 + [2.0] * 6 + [3.0] * 4)
    chosen = stratified(schools, 10, seed=1)
    by_stratum = {k: sum(c.stratum == k for c in chosen) for k in (1, 2, 3)}
    assert by_stratum == {1: 5, 2: 3, 3: 2}
    # every stratum is represented even in a small sample when it is big enough to earn a place
    assert {c.stratum for c in stratified(schools, 3, seed=2)} == {1, 2, 3}


def test_named_schools_are_always_in_the_sample_and_count_towards_its_size():
    schools = cohort([1.0] * 10 + [3.0] * 10)
    chosen = stratified(schools, 4, seed=3, named=["119"])
    assert chosen[0].school == "119" and chosen[0].reason == "named"
    assert len(chosen) == 4 and len({c.school for c in chosen}) == 4


# --- agreement --------------------------------------------------------------------------------


def test_weighted_kappa_matches_hand_computed_values():
    # two levels: 8 of 10 agree, chance 0.5 -> kappa 0.6
    assert weighted_kappa([1] * 5 + [2] * 5, [1, 1, 1, 1, 2, 2, 2, 2, 2, 1], 2) == pytest.approx(
        0.6
    )
    # three levels, linear weights: po = (1 + 0.5 + 1) / 3, pe = 4.5 / 9 -> kappa 2/3
    assert weighted_kappa([1, 2, 3], [1, 3, 3], 3) == pytest.approx(2 / 3)
    assert math.isnan(weighted_kappa([2, 2], [2, 2], 3))  # chance agreement already perfect


def test_agreement_figures_and_kappa_only_from_ten_pairs():
    self_rank = [1, 2, 3, 3, 2, 1, 2, 3, 1]
    moderated = [1, 1, 3, 1, 2, 1, 3, 2, 1]
    table = pd.DataFrame({"self_rank": self_rank, "moderated_rank": moderated})
    table["difference"] = table["self_rank"] - table["moderated_rank"]
    got = agreement(table, 3)
    assert got["n"] == 9
    assert got["exact"] == pytest.approx(round(100 * 5 / 9, 1))
    assert got["within_one"] == pytest.approx(round(100 * 8 / 9, 1))
    assert got["mean_difference"] == pytest.approx(round(3 / 9, 3))
    assert math.isnan(got["weighted_kappa"])  # 9 pairs: too few
    ten = pd.concat([table, table.iloc[:1]])
    assert not math.isnan(agreement(ten, 3)["weighted_kappa"])


# --- end to end -------------------------------------------------------------------------------


def varied(i: int) -> dict[str, Filled]:
    """School i's answers: levels shifted by i, so schools sit at different overall levels."""
    filled = answers("edtech-srf")
    labels = [lv.label for lv in EDTECH.levels]
    return {
        code: Filled(
            labels[(i // 3 + j) % 4 if j % 3 else min(3, i // 3)], f.evidence, f.next_steps
        )
        for j, (code, f) in enumerate(filled.items())
    }


@pytest.fixture
def collected(tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "returns"
    for i in range(12):
        make_return(folder / f"school-{i}.xlsx", urn=str(200000 + i), name=f"School {i}",
                    filled=varied(i))  # fmt: skip
    out = tmp_path / "out"
    ingest(folder, out, jobs=1)
    return folder, out


def fill(path: Path, levels: dict[str, str], comment: str = "Seen on the visit.") -> None:
    """A moderator's choices, typed into the workbook (openpyxl keeps what ingest reads)."""
    book = openpyxl.load_workbook(path)
    sheet = book[layout.MODERATION_SHEET]
    header = next(r for r in range(1, 11) if sheet.cell(r, 1).value == layout.CODE_HEADER)
    cols = {sheet.cell(header, c).value: c for c in range(1, sheet.max_column + 1)}
    for r in range(header + 1, sheet.max_row + 1):
        code = sheet.cell(r, 1).value
        if code in levels:
            sheet.cell(r, cols[layout.MODERATED_LEVEL_HEADER]).value = levels[code]
            sheet.cell(r, cols[layout.MODERATOR_COMMENT_HEADER]).value = comment
    book.save(path)


def test_moderate_writes_a_reproducible_sample_of_protected_workbooks(collected, tmp_path):
    _folder, out = collected
    runner = CliRunner()
    args = ["moderate", str(out), "--sample", "25%", "--seed", "5", "-o"]
    first = runner.invoke(cli, [*args, str(tmp_path / "m1")])
    assert first.exit_code == 0, first.output
    assert "seed 5" in first.output
    again = runner.invoke(cli, [*args, str(tmp_path / "m2")])
    assert again.exit_code == 0
    one, two = rows(tmp_path / "m1" / "sample.csv"), rows(tmp_path / "m2" / "sample.csv")
    assert [r["school_urn"] for r in one] == [r["school_urn"] for r in two]
    assert len(one) == 3  # 25% of 12
    book = openpyxl.load_workbook(tmp_path / "m1" / one[0]["file"])
    sheet = book[layout.MODERATION_SHEET]
    assert sheet.protection.sheet
    assert book.custom_doc_props[layout.PROPERTY_PREFIX + layout.KIND_KEY].value == "moderation"
    assert book["Identity"].sheet_state == "veryHidden"
    assert sheet.data_validations.dataValidation  # the moderated-level dropdown


def test_a_bad_sample_size_is_one_line_and_exit_1(collected):
    _folder, out = collected
    result = CliRunner().invoke(cli, ["moderate", str(out), "--sample", "lots", "-o", "x"])
    assert result.exit_code == 1 and "--sample 'lots'" in result.output


def test_filled_moderations_are_read_as_moderations_and_compared_in_the_report(collected, tmp_path):
    folder, out = collected
    dest = tmp_path / "moderation"
    result = CliRunner().invoke(
        cli,
        [
            "moderate",
            str(out),
            "--sample",
            "2",
            "--seed",
            "1",
            "--schools",
            "200011",
            "-o",
            str(dest),
        ],
    )
    assert result.exit_code == 0, result.output
    chosen = rows(dest / "sample.csv")
    assert chosen[0]["school_urn"] == "200011" and chosen[0]["reason"] == "named"
    own = {
        r["aspect_code"]: r["level"]
        for r in rows(out / "responses.csv")
        if r["school_urn"] == "200011"
    }
    path = dest / chosen[0]["file"]
    fill(path, {"1a-1": own["1a-1"], "1a-2": "4"})
    (folder / "moderation").mkdir()
    path.rename(folder / "moderation" / path.name)
    ingest(folder, out, jobs=1)

    files = {f["file"]: f for f in rows(out / "files.csv")}
    mine = files[f"moderation/{path.name}"]
    assert mine["status"] == "accepted" and "moderation" in mine["reason"]
    assert files["school-11.xlsx"]["status"] == "accepted"  # the return is not superseded
    responses = rows(out / "responses.csv")
    assert not any(r["source_file"].startswith("moderation/") for r in responses)
    moderated = rows(out / "moderations.csv")
    assert [(m["aspect_code"], m["moderated_level"]) for m in moderated] == [
        ("1a-1", own["1a-1"]),
        ("1a-2", "4"),
    ]

    build_report(out, school_charts=False)
    table = rows(out / "moderation.csv")
    assert [(r["aspect_code"], r["self_level"], r["moderated_level"]) for r in table] == [
        ("1a-1", own["1a-1"], own["1a-1"]),
        ("1a-2", own["1a-2"], "4"),
    ]
    expected = EDTECH.levels[[lv.label for lv in EDTECH.levels].index(own["1a-2"])].rank - 1
    assert [int(r["difference"]) for r in table] == [0, expected]
    summary = openpyxl.load_workbook(out / "summary.xlsx", read_only=True)
    assert "Moderation" in summary.sheetnames


def test_a_moderation_of_a_school_without_a_return_is_rejected_saying_why(collected, tmp_path):
    folder, out = collected
    path = folder / "moderation" / "stranger.xlsx"
    write_moderation_workbook(
        EDTECH, path, school=School("999999", "Stranger School"), round_label="2026-autumn",
        judged={}, moderated={"1a-1": ("3", "")},
    )  # fmt: skip
    ingest(folder, out, jobs=1)
    files = {f["file"]: f for f in rows(out / "files.csv")}
    assert files["moderation/stranger.xlsx"]["status"] == "rejected"
    assert "no accepted return from that school" in files["moderation/stranger.xlsx"]["reason"]
    assert rows(out / "moderations.csv") == []


def test_a_moderated_level_that_is_not_a_level_is_an_error_at_its_cell(collected, tmp_path):
    folder, out = collected
    path = folder / "moderation" / "typo.xlsx"
    write_moderation_workbook(
        EDTECH, path, school=School("200001", "School 1"), round_label="2026-autumn",
        judged={}, moderated={"1a-1": ("Levle 3", "typo"), "1a-2": ("2", "")},
    )  # fmt: skip
    ingest(folder, out, jobs=1)
    [bad] = [p for p in rows(out / "problems.csv") if p["file"] == "moderation/typo.xlsx"]
    assert (bad["code"], bad["severity"], bad["sheet"]) == ("unknown-level", "error", "Moderation")
    assert bad["cell"] == "F5" and "'Levle 3' is not one of the levels" in bad["message"]
    assert [m["aspect_code"] for m in rows(out / "moderations.csv")] == ["1a-2"]


def test_award_readiness_uses_the_moderated_level_where_there_is_one(tmp_path):
    folder = tmp_path / "returns"
    gold = {a.code: Filled("Embedded", "e", "n") for a in PD.aspects}
    make_return(
        folder / "pd.xlsx", "pd-quality-mark", urn="300001", name="Gold School", filled=gold
    )
    out = tmp_path / "out"
    ingest(folder, out, jobs=1)
    build_report(out, school_charts=False)
    [school] = rows(out / "school_overall.csv")
    assert school["award_ready"] == "Gold"
    judged = {code: Judged(f.level) for code, f in gold.items()}
    write_moderation_workbook(
        PD, folder / "m.xlsx", school=School("300001", "Gold School"), round_label="2026-autumn",
        judged=judged, moderated={"LPD-V": ("Developing", "No evidence of a shared vision.")},
    )  # fmt: skip
    ingest(folder, out, jobs=1)
    build_report(out, school_charts=False)
    [school] = rows(out / "school_overall.csv")
    assert school["award_ready"] == "Silver"  # Gold needs every strand at least Enhancing
