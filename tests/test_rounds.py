"""An LA officer's real round: blank workbooks, who has not returned, rounds kept in one OUT, and
OUT kept apart from the returns."""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import make_return, tree_hashes

from sheetreview.cli import cli
from sheetreview.errors import SheetreviewError
from sheetreview.framework import builtin
from sheetreview.read.ingest import ingest


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def files_by_name(out: Path) -> dict[str, dict[str, str]]:
    return {r["file"]: r for r in rows(out / "files.csv")}


def blank(path: Path, urn: str = "100003", name: str = "Cedar Primary") -> Path:
    """The workbook `generate` sent the school, sent back untouched."""
    fw = builtin("edtech-srf")
    return make_return(
        path, urn=urn, name=name, filled={a.code: _empty() for a in fw.aspects}, date=None
    )


def _empty():
    from sheetreview.workbook import Filled

    return Filled(None, "", "")


def invoke(*args: str):
    return CliRunner().invoke(cli, [*args])


# --- a blank workbook is not a return ----------------------------------------------------------


def test_blank_workbook_has_its_own_status_and_gives_no_judgements(tmp_path: Path) -> None:
    returns = tmp_path / "returns"
    make_return(returns / "ash.xlsx", urn="100001", name="Ash Primary")
    blank(returns / "cedar.xlsx")
    summary = ingest(returns, tmp_path / "out")
    files = files_by_name(tmp_path / "out")
    cedar = files["cedar.xlsx"]
    assert cedar["status"] == "blank"
    assert cedar["school_urn"] == "100003"
    assert "no level chosen for any aspect" in cedar["reason"]
    assert "send it again" in cedar["reason"]
    assert cedar["aspects_answered"] == "0"
    responses = rows(tmp_path / "out" / "responses.csv")
    assert {r["school_urn"] for r in responses} == {"100001"}
    problems = [p for p in rows(tmp_path / "out" / "problems.csv") if p["file"] == "cedar.xlsx"]
    assert [p["code"] for p in problems] == ["blank-return"]  # not 21 blank-level warnings
    assert summary.counts["blank"] == 1
    assert "1 blank" in summary.lines()[0]


def test_a_return_with_only_mistyped_levels_is_not_blank(tmp_path: Path) -> None:
    fw = builtin("edtech-srf")
    make_return(
        tmp_path / "r" / "x.xlsx", levels=dict.fromkeys((a.code for a in fw.aspects), "Levle")
    )
    ingest(tmp_path / "r", tmp_path / "out")
    assert files_by_name(tmp_path / "out")["x.xlsx"]["status"] == "accepted_with_problems"


# --- who has not returned ----------------------------------------------------------------------


def schools_csv(path: Path) -> Path:
    path.write_text(
        "URN,School name\n"
        "100001,Ash Primary\n"
        "100002,Birch Academy\n"
        "100003,Cedar Primary\n"
        "100004,Damson School\n"
        "100005,Elm High\n",
        encoding="utf-8",
    )
    return path


def test_outstanding_lists_every_expected_school_without_an_accepted_return(
    tmp_path: Path,
) -> None:
    returns = tmp_path / "returns"
    make_return(returns / "ash.xlsx", urn="100001", name="Ash Primary")
    make_return(returns / "elm.xlsx", urn="", name="Elm High")  # URN lost: found by name
    blank(returns / "cedar.xlsx")
    (returns / "100004-damson-school-edtech-srf.xlsx").write_bytes(b"PK\x03\x04 damaged")
    make_return(returns / "fir.xlsx", urn="100009", name="Fir School")  # not on the list
    out = tmp_path / "out"
    result = invoke(
        "ingest", str(returns), "-o", str(out), "--schools", str(schools_csv(tmp_path / "s.csv"))
    )
    assert result.exit_code == 0, result.output
    assert "5 schools expected: 3 outstanding (1 blank, 1 missing, 1 rejected)" in result.output
    got = rows(out / "outstanding.csv")
    assert list(got[0]) == [
        "framework", "round", "school_urn", "school_name", "state", "file", "reason",
    ]  # fmt: skip
    table = {r["school_urn"]: r for r in got}
    assert set(table) == {"100002", "100003", "100004"}
    assert all(r["framework"] == "edtech-srf" and r["round"] == "2026-autumn" for r in got)
    assert table["100002"]["state"] == "missing"
    assert table["100002"]["file"] == ""
    assert table["100003"]["state"] == "blank"
    assert table["100003"]["file"] == "cedar.xlsx"
    assert table["100004"]["state"] == "rejected"
    assert table["100004"]["file"] == "100004-damson-school-edtech-srf.xlsx"
    assert "damaged" in table["100004"]["reason"]
    # The list is kept: a later run without --schools still says who is outstanding.
    make_return(returns / "birch.xlsx", urn="100002", name="Birch Academy")
    summary = ingest(returns, out)
    assert {r["school_urn"] for r in rows(out / "outstanding.csv")} == {"100003", "100004"}
    assert summary.expected == 5


def test_outstanding_is_per_framework_and_round(tmp_path: Path) -> None:
    returns = tmp_path / "returns"
    make_return(returns / "a1.xlsx", urn="100001", round_label="2025-autumn")
    make_return(returns / "a2.xlsx", urn="100001", round_label="2026-autumn")
    make_return(returns / "b1.xlsx", urn="100002", name="Birch Academy", round_label="2025-autumn")
    make_return(returns / "lp.xlsx", "lp-steps", urn="100002", name="Birch Academy")
    out = tmp_path / "out"
    schools = schools_csv(tmp_path / "s.csv")
    ingest(returns, out, schools=schools, framework_id="edtech-srf")
    got = {(r["round"], r["school_urn"]) for r in rows(out / "outstanding.csv")}
    expected_round = {"100003", "100004", "100005"}
    assert got == {("2025-autumn", u) for u in expected_round} | {
        ("2026-autumn", u) for u in expected_round | {"100002"}
    }
    assert {r["framework"] for r in rows(out / "outstanding.csv")} == {"edtech-srf"}
    # Without --framework, every framework read is expected.
    ingest(returns, out, schools=schools)
    assert {r["framework"] for r in rows(out / "outstanding.csv")} == {"edtech-srf", "lp-steps"}


def test_without_schools_nothing_changes(tmp_path: Path) -> None:
    make_return(tmp_path / "r" / "a.xlsx")
    ingest(tmp_path / "r", tmp_path / "out")
    assert not (tmp_path / "out" / "outstanding.csv").exists()
    assert not (tmp_path / "out" / "expected.csv").exists()


def test_unknown_framework_for_the_list_is_one_line(tmp_path: Path) -> None:
    make_return(tmp_path / "r" / "a.xlsx")
    schools = schools_csv(tmp_path / "s.csv")
    result = invoke(
        "ingest", str(tmp_path / "r"), "-o", str(tmp_path / "o"), "--schools", str(schools),
        "--framework", "nope",
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.output.count("\n") == 1
    assert "--framework nope: not a framework this run knows" in result.output


# --- rounds kept -------------------------------------------------------------------------------


def two_rounds(tmp_path: Path) -> tuple[Path, Path]:
    r1, r2 = tmp_path / "autumn", tmp_path / "spring"
    # The same file name in both rounds, and returns that name no round (given with --round).
    make_return(r1 / "ash.xlsx", urn="100001", round_label=None)
    make_return(r1 / "birch.xlsx", urn="100002", name="Birch Academy", round_label=None)
    make_return(r2 / "ash.xlsx", urn="100001", round_label=None)
    return r1, r2


def test_second_round_is_added_to_the_out_of_the_first(tmp_path: Path) -> None:
    r1, r2 = two_rounds(tmp_path)
    out = tmp_path / "out"
    assert invoke("ingest", str(r1), "-o", str(out), "--round", "2026-autumn", "-q").exit_code == 0
    result = invoke("ingest", str(r2), "-o", str(out), "--round", "2027-spring", "-q")
    assert result.exit_code == 0, result.output
    assert "holds the returns of 2 folders" in result.output
    files = files_by_name(out)
    assert set(files) == {"autumn/ash.xlsx", "autumn/birch.xlsx", "spring/ash.xlsx"}
    assert {f["status"] for f in files.values()} == {"accepted"}
    rounds = {(r["source_file"], r["round"]) for r in rows(out / "responses.csv")}
    assert rounds == {
        ("autumn/ash.xlsx", "2026-autumn"),
        ("autumn/birch.xlsx", "2026-autumn"),
        ("spring/ash.xlsx", "2027-spring"),
    }
    run = json.loads((out / "run.json").read_text())
    assert [(Path(i["dir"]).name, i["round"]) for i in run["inputs"]] == [
        ("autumn", "2026-autumn"),
        ("spring", "2027-spring"),
    ]
    # A re-run with no folder reads both again and gives the same outputs.
    before = (out / "files.csv").read_bytes(), (out / "responses.csv").read_bytes()
    assert invoke("ingest", "-o", str(out), "-q").exit_code == 0
    assert ((out / "files.csv").read_bytes(), (out / "responses.csv").read_bytes()) == before
    # Feedback finds the originals of both rounds.
    assert Path(run["input_dir"]) / "spring/ash.xlsx" == r2 / "ash.xlsx"


def test_a_remembered_folder_that_has_gone_stops_the_run_until_forgotten(tmp_path: Path) -> None:
    r1, r2 = two_rounds(tmp_path)
    out = tmp_path / "out"
    ingest(r1, out, round_label="2026-autumn")
    ingest(r2, out, round_label="2027-spring")
    shutil.rmtree(r1)
    before = tree_hashes(out)
    result = invoke("ingest", str(r2), "-o", str(out))
    assert result.exit_code == 1
    assert result.output.count("\n") == 1
    assert f"holds the returns of {r1}, which is no longer a folder" in result.output
    assert f"--forget {r1}" in result.output
    assert tree_hashes(out) == before  # OUT untouched
    result = invoke("ingest", str(r2), "-o", str(out), "--forget", str(r1), "-q")
    assert result.exit_code == 0, result.output
    assert set(files_by_name(out)) == {"ash.xlsx"}


def test_forget_of_a_folder_out_does_not_hold_is_refused(tmp_path: Path) -> None:
    r1, r2 = two_rounds(tmp_path)
    ingest(r1, tmp_path / "out")
    with pytest.raises(SheetreviewError, match="does not hold that folder"):
        ingest(r1, tmp_path / "out", forget=[r2])


def test_ingest_without_a_folder_into_a_new_out_says_what_to_do(tmp_path: Path) -> None:
    result = invoke("ingest", "-o", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert "no returns folder given" in result.output


# --- OUT and DIR stay apart --------------------------------------------------------------------


def test_out_inside_dir_is_refused_in_one_line_and_never_suggested(tmp_path: Path) -> None:
    returns = tmp_path / "returns"
    make_return(returns / "a.xlsx")
    before = tree_hashes(returns)
    for out in (returns / "out", returns):
        result = invoke("ingest", str(returns), "-o", str(out))
        assert result.exit_code == 1
        assert result.output.count("\n") == 1
        assert "is inside the returns folder" in result.output
        assert f"-o {tmp_path / 'returns-out'}" in result.output
        assert tree_hashes(returns) == before
    assert not (returns / "out").exists()


def test_dir_inside_out_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    make_return(out / "returns" / "a.xlsx")
    result = invoke("ingest", str(out / "returns"), "-o", str(out))
    assert result.exit_code == 1
    assert "is inside the output folder" in result.output


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_out_that_is_a_symlink_into_dir_is_refused(tmp_path: Path) -> None:
    returns = tmp_path / "returns"
    make_return(returns / "a.xlsx")
    (returns / "results").mkdir()
    link = tmp_path / "out"
    link.symlink_to(returns / "results", target_is_directory=True)
    result = invoke("ingest", str(returns), "-o", str(link))
    assert result.exit_code == 1
    assert "is inside the returns folder" in result.output
    assert list((returns / "results").iterdir()) == []


def test_an_older_out_inside_the_returns_is_skipped_and_never_read(tmp_path: Path) -> None:
    returns = tmp_path / "returns"
    make_return(returns / "ash.xlsx", urn="100001")
    old = tmp_path / "old-out"
    ingest(returns, old)
    # A marked-up copy of the school's return, newer than the real one, in the old OUT.
    make_return(old / "feedback" / "annotated" / "100001-ash-marked-up.xlsx", urn="100001")
    (old / "feedback" / ".sheetreview-feedback").write_text("")
    shutil.move(old, returns / "old-out")
    ingest(returns, tmp_path / "out")
    files = files_by_name(tmp_path / "out")
    assert files["ash.xlsx"]["status"] == "accepted"
    olds = {k: v for k, v in files.items() if k.startswith("old-out/")}
    assert "old-out/feedback/annotated/100001-ash-marked-up.xlsx" in olds
    assert "old-out/files.csv" in olds
    assert {v["status"] for v in olds.values()} == {"skipped"}
    assert all("written by sheetreview" in v["reason"] for v in olds.values())


def test_report_of_a_returns_folder_does_not_suggest_writing_into_it(tmp_path: Path) -> None:
    returns = tmp_path / "returns"
    make_return(returns / "a.xlsx")
    result = invoke("report", str(returns))
    assert result.exit_code == 1
    assert "holds returns, not the outputs of 'sheetreview ingest'" in result.output
    assert f"-o {returns}'" not in result.output
    assert f"-o {tmp_path / 'returns-out'}'" in result.output


# --- the summary and feedback say who is outstanding ---------------------------------------------


def test_summary_overview_says_how_many_expected_schools_returned_and_lists_the_rest(
    tmp_path: Path,
) -> None:
    import openpyxl

    from sheetreview.report.build import build_report

    returns = tmp_path / "returns"
    make_return(returns / "ash.xlsx", urn="100001", name="Ash Primary")
    make_return(returns / "elm.xlsx", urn="100005", name="Elm High")
    blank(returns / "cedar.xlsx")
    out = tmp_path / "out"
    ingest(returns, out, schools=schools_csv(tmp_path / "s.csv"))
    summary = build_report(out, school_charts=False)
    assert "edtech-srf 2026-autumn: 2 of 5 expected schools returned" in summary.lines()
    book = openpyxl.load_workbook(out / "summary.xlsx", read_only=True)
    cells = [
        str(v) for row in book["Overview"].iter_rows(values_only=True) for v in row if v is not None
    ]
    assert "2 of 5 expected schools returned" in cells
    assert "Expected schools not yet returned" in cells
    listed = cells[cells.index("Expected schools not yet returned") :]
    assert {"Birch Academy", "Cedar Primary", "Damson School"} <= set(listed)
    assert "Ash Primary" not in listed and "blank" in listed and "missing" in listed


def test_summary_without_a_schools_list_has_no_expected_section(tmp_path: Path) -> None:
    import openpyxl

    from sheetreview.report.build import build_report

    make_return(tmp_path / "r" / "ash.xlsx")
    ingest(tmp_path / "r", tmp_path / "out")
    build_report(tmp_path / "out", school_charts=False)
    book = openpyxl.load_workbook(tmp_path / "out" / "summary.xlsx", read_only=True)
    cells = [v for row in book["Overview"].iter_rows(values_only=True) for v in row]
    assert "Expected schools" not in cells


def test_feedback_writes_a_short_reminder_for_each_missing_or_blank_school(
    tmp_path: Path,
) -> None:
    from sheetreview.feedback.letters import write_feedback

    returns = tmp_path / "returns"
    make_return(returns / "ash.xlsx", urn="100001", name="Ash Primary")
    blank(returns / "cedar.xlsx")
    (returns / "100004-damson.xlsx").write_bytes(b"PK\x03\x04 damaged")
    out = tmp_path / "out"
    listed = tmp_path / "s.csv"
    listed.write_text(
        "urn,name\n100001,Ash Primary\n100002,Birch: Academy?\n100003,Cedar Primary\n"
        "100004,Damson School\n",
        encoding="utf-8",
    )
    ingest(returns, out, schools=listed)
    summary = write_feedback(out, out / "feedback")
    names = sorted(p.name for p in (out / "feedback" / "reminders").iterdir())
    assert names == ["100002-Birch-Academy-reminder.txt", "100003-Cedar-Primary-reminder.txt"]
    birch = (out / "feedback" / "reminders" / names[0]).read_text(encoding="utf-8")
    assert "To: Birch: Academy? (URN 100002)" in birch
    assert "not yet received your" in birch and "round 2026-autumn" in birch
    cedar = (out / "feedback" / "reminders" / names[1]).read_text(encoding="utf-8")
    assert "'cedar.xlsx') has no level chosen" in cedar
    assert any("reminder for each of 2 expected school(s)" in line for line in summary.lines())
    # Damson's file was rejected: it gets a letter saying why, not a reminder.
    assert any("100004" in p.name for p in (out / "feedback").glob("*.txt"))
    # Once Birch returns, its reminder goes.
    make_return(returns / "birch.xlsx", urn="100002", name="Birch: Academy?")
    ingest(returns, out)
    write_feedback(out, out / "feedback")
    assert not (out / "feedback" / "reminders" / names[0]).exists()


def _ingested_with_trusts(tmp_path: Path) -> Path:
    """Six schools ingested with a school list: five in Oak Trust, one alone in Elm Trust."""
    returns = tmp_path / "returns"
    for i in range(6):
        make_return(returns / f"s{i}.xlsx", urn=f"10000{i}", name=f"School {i}")
    listed = tmp_path / "schools.csv"
    listed.write_text(
        "URN,School name,Trusts (name)\n"
        + "".join(
            f"10000{i},School {i},{'Oak Trust' if i < 5 else 'Elm Trust'}\n" for i in range(6)
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    ingest(returns, out, schools=listed, framework_id="edtech-srf")
    return out


def test_the_list_given_to_ingest_gives_the_report_its_comparator_groups(tmp_path: Path) -> None:
    from sheetreview.report.build import build_report

    out = _ingested_with_trusts(tmp_path)
    build_report(out, school_charts=False, jobs=1)  # no --schools: ingest's list serves
    stats = rows(out / "aspect_stats.csv")
    assert {(r["group_by"], r["group"]) for r in stats} >= {("trust", "Oak Trust"), ("all", "")}


def test_a_pack_says_where_the_school_stands_within_its_trust(tmp_path: Path) -> None:
    from sheetreview.packs.build import plan_packs

    packs, _, _ = plan_packs(_ingested_with_trusts(tmp_path), tmp_path / "packs")
    by_urn = {p.school_urn: p for p in packs}
    assert by_urn["100000"].groups[0].startswith("Within your trust (Oak Trust, 5 schools): your")
    assert "fewer than 5 schools" in by_urn["100005"].groups[0]
