"""Ingesting a folder: every file accounted for, duplicates, the ledger, interruptions."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import shutil
import zipfile
from pathlib import Path

import pytest
from conftest import DATA, FOREIGN, copy_data, make_return, tree_hashes

import sheetreview.read.ingest as ingest_module
import sheetreview.read.returns as returns_module
from sheetreview.core.parallel import START_METHOD_ENV
from sheetreview.errors import SheetreviewError
from sheetreview.framework import builtin, load_file
from sheetreview.read.ingest import (
    FILES_COLUMNS,
    PROBLEMS_COLUMNS,
    RESPONSES_COLUMNS,
    IngestSummary,
    ingest,
)
from sheetreview.schools import School
from sheetreview.workbook import Filled, write_workbook

BAD_FILES = {
    "empty.xlsx": "empty-file",
    "text_renamed.xlsx": "fake-spreadsheet",
    "truncated_zip.xlsx": "damaged",
    "password_protected.xlsx": "encrypted",
    "legacy_excel_97.xls": "legacy-xls",
    "not_a_return.xlsx": "not-a-return",
    "billion_laughs_in_sheet.xlsx": "xml-entities",
}


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def files_by_name(out: Path) -> dict[str, dict[str, str]]:
    return {r["file"]: r for r in rows(out / "files.csv")}


def outputs(out: Path) -> dict[str, bytes]:
    names = ["responses.csv", "files.csv", "problems.csv"]
    found = {n: (out / n).read_bytes() for n in names}
    for path in sorted((out / "frameworks").glob("*.json")):
        found[f"frameworks/{path.name}"] = path.read_bytes()
    return found


@pytest.fixture
def cohort(tmp_path: Path) -> Path:
    """A folder as an officer has it: good returns, a typo, another framework, bad files, junk."""
    folder = tmp_path / "returns"
    make_return(folder / "ash.xlsx", urn="100001", name="Ash Primary")
    make_return(
        folder / "sub" / "birch.xlsx", urn="100002", name="Birch", levels={"1b-2": "Levle 3"}
    )
    make_return(folder / "cedar-becta.xlsx", "becta-srf", urn="100003", name="Cedar")
    for name in BAD_FILES:
        copy_data(name, folder / "bad")
    (folder / "~$ash.xlsx").write_bytes(b"lock")
    (folder / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (folder / "notes.txt").write_text("remember to chase Birch\n")
    return folder


def test_every_file_is_accounted_for_with_a_status_and_reason(cohort: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    summary = ingest(cohort, out, jobs=2)
    files = files_by_name(out)
    on_disk = {str(p.relative_to(cohort)) for p in cohort.rglob("*") if p.is_file()}
    assert set(files) == on_disk
    assert files["ash.xlsx"]["status"] == "accepted"
    assert files["sub/birch.xlsx"]["status"] == "accepted_with_problems"
    assert files["cedar-becta.xlsx"]["framework"] == "becta-srf"
    for name in BAD_FILES:
        assert files[f"bad/{name}"]["status"] == "rejected", name
        assert files[f"bad/{name}"]["reason"].startswith("This file "), name
    for name in ("~$ash.xlsx", ".DS_Store", "notes.txt"):
        assert files[name]["status"] == "skipped"
    problem_codes = {(r["file"], r["code"]) for r in rows(out / "problems.csv")}
    for name, code in BAD_FILES.items():
        assert (f"bad/{name}", code) in problem_codes
    assert summary.counts == {
        "accepted": 2,
        "accepted_with_problems": 1,
        "rejected": 7,
        "skipped": 3,
    }
    assert summary.rejected == 7


def test_outputs_have_the_spec_columns(cohort: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    ingest(cohort, out, jobs=1)
    for name, columns in (
        ("responses.csv", RESPONSES_COLUMNS),
        ("files.csv", FILES_COLUMNS),
        ("problems.csv", PROBLEMS_COLUMNS),
    ):
        with open(out / name, encoding="utf-8") as fh:
            assert next(csv.reader(fh)) == list(columns)
    spec = {"round", "framework", "framework_version", "school_urn", "school_name", "aspect_code",
            "aspect_title", "level", "level_rank", "level_count", "evidence", "next_steps",
            "source_file", "source_sheet", "source_cell"}  # fmt: skip
    assert spec <= set(RESPONSES_COLUMNS)


def test_responses_hold_labels_ranks_and_places(cohort: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    ingest(cohort, out)
    responses = rows(out / "responses.csv")
    ash = [r for r in responses if r["source_file"] == "ash.xlsx"]
    fw = builtin("edtech-srf")
    assert [r["aspect_code"] for r in ash] == [a.code for a in fw.aspects]
    first = ash[0]
    assert (first["level"], first["level_rank"], first["level_count"]) == ("4", "1", "4")
    assert (first["source_sheet"], first["round"], first["school_urn"]) == (
        "Review",
        "2026-autumn",
        "100001",
    )
    assert first["evidence"] == "Evidence for 1a-1."
    assert first["assessment_date"] == "2026-03-14"
    birch = [r for r in responses if r["source_file"] == "sub/birch.xlsx"]
    assert "1b-2" not in {r["aspect_code"] for r in birch}  # the typo is a problem, not a guess
    [typo] = [r for r in rows(out / "problems.csv") if r["code"] == "unknown-level"]
    assert typo["message"].startswith("Sheet 'Review', cell ")
    assert (
        "'Levle 3' is not one of the levels. Choose 4, 3, 2 or 1 from the list." in typo["message"]
    )


def test_frameworks_of_accepted_returns_are_saved_for_report(cohort: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    ingest(cohort, out)
    saved = sorted(p.name for p in (out / "frameworks").glob("*.json"))
    assert saved == ["becta-srf.json", "edtech-srf.json"]
    (cohort / "cedar-becta.xlsx").unlink()
    ingest(cohort, out)
    assert sorted(p.name for p in (out / "frameworks").glob("*.json")) == ["edtech-srf.json"]


def test_inputs_are_never_modified(cohort: Path, tmp_path: Path) -> None:
    before = tree_hashes(cohort)
    stats = {p: p.stat().st_mtime_ns for p in cohort.rglob("*") if p.is_file()}
    ingest(cohort, tmp_path / "out", jobs=2)
    assert tree_hashes(cohort) == before
    assert {p: p.stat().st_mtime_ns for p in cohort.rglob("*") if p.is_file()} == stats


# --- duplicates -------------------------------------------------------------------------------


def test_latest_assessment_date_wins_and_names_the_winner(tmp_path: Path) -> None:
    folder = tmp_path / "returns"
    make_return(folder / "z-first.xlsx", date=dt.date(2026, 1, 10), levels={"1a-1": "4"})
    make_return(folder / "a-second.xlsx", date=dt.date(2026, 2, 10), levels={"1a-1": "1"})
    out = tmp_path / "out"
    summary = ingest(folder, out)
    files = files_by_name(out)
    assert files["a-second.xlsx"]["status"] == "accepted"
    assert files["z-first.xlsx"]["status"] == "superseded"
    assert "a-second.xlsx" in files["z-first.xlsx"]["reason"]
    assert {r["source_file"] for r in rows(out / "responses.csv")} == {"a-second.xlsx"}
    assert summary.superseded == 1


def test_same_date_latest_modification_wins_then_path(tmp_path: Path) -> None:
    folder = tmp_path / "returns"
    for name in ("a.xlsx", "b.xlsx", "c.xlsx"):
        make_return(folder / name)
    os.utime(folder / "a.xlsx", ns=(2_000_000_000_000_000_000, 2_000_000_000_000_000_000))
    os.utime(folder / "b.xlsx", ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))
    os.utime(folder / "c.xlsx", ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))
    out = tmp_path / "out"
    ingest(folder, out)
    assert [f["status"] for f in files_by_name(out).values()] == [
        "accepted",
        "superseded",
        "superseded",
    ]
    os.utime(folder / "a.xlsx", ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))
    ingest(folder, out)
    statuses = {n: f["status"] for n, f in files_by_name(out).items()}
    assert statuses == {"a.xlsx": "superseded", "b.xlsx": "superseded", "c.xlsx": "accepted"}


def test_other_round_or_framework_is_no_duplicate(tmp_path: Path) -> None:
    folder = tmp_path / "returns"
    make_return(folder / "autumn.xlsx", round_label="2025-autumn")
    make_return(folder / "spring.xlsx", round_label="2026-spring")
    make_return(folder / "becta.xlsx", "becta-srf")
    out = tmp_path / "out"
    summary = ingest(folder, out)
    assert summary.accepted == 3


# --- rounds -----------------------------------------------------------------------------------


def test_round_option_fills_a_missing_round_and_conflict_is_a_warning(tmp_path: Path) -> None:
    folder = tmp_path / "returns"
    make_return(folder / "none.xlsx", urn="1", round_label=None)
    make_return(folder / "own.xlsx", urn="2", round_label="2025-autumn")
    out = tmp_path / "out"
    ingest(folder, out, round_label="2026-spring")
    files = files_by_name(out)
    assert files["none.xlsx"]["round"] == "2026-spring"
    assert files["own.xlsx"]["round"] == "2025-autumn"
    [conflict] = [r for r in rows(out / "problems.csv") if r["severity"] != "query"]
    assert (conflict["file"], conflict["code"], conflict["severity"]) == (
        "own.xlsx",
        "round-conflict",
        "warning",
    )
    assert files["own.xlsx"]["status"] == "accepted_with_problems"


# --- the ledger -------------------------------------------------------------------------------


def test_rerun_reads_only_new_or_changed_files_and_equals_a_clean_run(
    cohort: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    first = ingest(cohort, out, jobs=2)
    assert first.reused == 0
    again = ingest(cohort, out, jobs=2)
    assert again.read_now == 0
    assert again.reused == first.read_now
    make_return(cohort / "dogwood.xlsx", urn="100004", name="Dogwood")
    make_return(cohort / "ash.xlsx", urn="100001", name="Ash Primary", levels={"1a-1": "1"})
    (cohort / "notes.txt").unlink()
    changed = ingest(cohort, out, jobs=2)
    assert changed.read_now == 2
    clean = tmp_path / "clean"
    ingest(cohort, clean, jobs=1)
    assert outputs(out) == outputs(clean)
    assert not (out / "ledger.sqlite-journal").exists()  # nothing left of the ledger's commits


def test_damaged_ledger_is_rebuilt(cohort: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "ledger.sqlite").write_bytes(b"not a database at all" * 100)
    summary = ingest(cohort, out)
    assert summary.files == len([p for p in cohort.rglob("*") if p.is_file()])


def test_interrupted_run_keeps_what_was_read_and_leaves_outputs_whole(
    cohort: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    ingest(cohort, out)
    previous = outputs(out)
    for i in range(6):
        make_return(cohort / f"new-{i}.xlsx", urn=f"2000{i}")
    seen: list[int] = []

    def stop_midway(done: int, total: int) -> None:
        seen.append(done)
        if len(seen) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ingest(cohort, out, jobs=1, progress=stop_midway)
    assert outputs(out) == previous  # the last complete outputs, not half of a new one
    assert not [p for p in out.iterdir() if p.name.startswith(".sheetreview-")]
    resumed = ingest(cohort, out, jobs=1)
    assert 0 < resumed.read_now < 6  # what was recorded before the interruption is not read again
    clean = tmp_path / "clean"
    ingest(cohort, clean)
    assert outputs(out) == outputs(clean)


# --- files that change under us ---------------------------------------------------------------


def test_file_that_disappears_during_the_run_is_reported(
    cohort: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_reuse = ingest_module._reuse

    def reuse_then_delete(entries, ledger, summary):  # type: ignore[no-untyped-def]
        todo = real_reuse(entries, ledger, summary)
        os.unlink(cohort / "ash.xlsx")  # listed and measured, gone before it is read
        return todo

    monkeypatch.setattr(ingest_module, "_reuse", reuse_then_delete)
    out = tmp_path / "out"
    summary = ingest(cohort, out, jobs=2)
    ash = files_by_name(out)["ash.xlsx"]
    assert ash["status"] == "rejected"
    assert "disappeared" in ash["reason"]
    assert summary.rejected == 8


def test_reader_that_crashes_rejects_only_that_file(
    cohort: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_read = ingest_module.read_file

    def crash_on_birch(path, relpath, frameworks):  # type: ignore[no-untyped-def]
        if relpath.endswith("birch.xlsx"):
            os._exit(3)  # as a native library aborting on a hostile file would
        return real_read(path, relpath, frameworks)

    monkeypatch.setattr(ingest_module, "read_file", crash_on_birch)
    # The patch reaches the workers only if they are forked from this process.
    monkeypatch.setenv(START_METHOD_ENV, "fork")
    out = tmp_path / "out"
    ingest(cohort, out, jobs=2)
    files = files_by_name(out)
    assert files["sub/birch.xlsx"]["status"] == "rejected"
    assert "crashed" in files["sub/birch.xlsx"]["reason"]
    assert files["ash.xlsx"]["status"] == "accepted"


def test_unreadable_file_is_retried_next_run(tmp_path: Path) -> None:
    folder = tmp_path / "returns"
    make_return(folder / "a.xlsx")
    os.symlink(folder / "gone.xlsx", folder / "link.xlsx")
    out = tmp_path / "out"
    ingest(folder, out)
    assert files_by_name(out)["link.xlsx"]["status"] == "rejected"
    shutil.copyfile(folder / "a.xlsx", folder / "gone.xlsx")
    ingest(folder, out)
    assert files_by_name(out)["link.xlsx"]["status"] in ("accepted", "superseded")


# --- runs that cannot go on -------------------------------------------------------------------


def test_missing_folder_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(SheetreviewError, match="no such folder"):
        ingest(tmp_path / "nope", tmp_path / "out")


def test_output_that_is_a_file_is_a_user_error(cohort: Path, tmp_path: Path) -> None:
    (tmp_path / "out").write_text("")
    with pytest.raises(SheetreviewError, match="cannot write the outputs"):
        ingest(cohort, tmp_path / "out")


def test_summary_line_reads_as_the_cli_prints_it() -> None:
    summary = IngestSummary(Path("out"))
    summary.counts.update(
        {
            "accepted": 380,
            "accepted_with_problems": 20,
            "rejected": 7,
            "superseded": 3,
            "skipped": 2,
        }
    )
    summary.problems, summary.errors = 45, 12
    assert summary.lines() == [
        "Read 412 files: 380 accepted, 20 accepted with problems, 0 blank, 7 rejected, "
        "3 superseded, "
        "2 skipped. 45 problems (12 errors). Outputs in out/."
    ]


# --- the foreign corpus -----------------------------------------------------------------------


def test_foreign_spreadsheets_are_all_accounted_for_and_none_accepted(tmp_path: Path) -> None:
    before = tree_hashes(FOREIGN)
    out = tmp_path / "out"
    summary = ingest(FOREIGN, out)
    files = files_by_name(out)
    assert set(files) == {p.name for p in FOREIGN.iterdir() if p.is_file()}
    for name, row in files.items():
        assert row["status"] in ("skipped", "rejected"), name
        assert row["reason"], name
    assert summary.accepted == summary.accepted_with_problems == 0
    assert tree_hashes(FOREIGN) == before
    assert DATA.is_dir()


# --- hostile and foreign returns in the folder ------------------------------------------------


def test_decompression_bombs_are_rejected_and_the_run_goes_on(tmp_path: Path) -> None:
    folder = tmp_path / "returns"
    make_return(folder / "ash.xlsx")
    with zipfile.ZipFile(folder / "bomb.xlsx", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr(
            "xl/worksheets/sheet1.xml", bytes(8 * 1024 * 1024)
        )  # 8 MB of zeros, 8 KB zipped
    out = tmp_path / "out"
    ingest(folder, out)
    files = files_by_name(out)
    assert files["bomb.xlsx"]["status"] == "rejected"
    assert files["bomb.xlsx"]["reason"].startswith("This file unpacks to far more data")
    assert files["ash.xlsx"]["status"] == "accepted"


def test_sheet_too_large_to_be_a_return_is_rejected_as_oversized(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "returns"
    make_return(folder / "ash.xlsx")
    monkeypatch.setattr(returns_module, "MAX_SHEET_BYTES", 10_000)  # the Review sheet is larger
    monkeypatch.setenv(START_METHOD_ENV, "fork")  # so the reader process sees the patch
    out = tmp_path / "out"
    ingest(folder, out, jobs=1)
    assert files_by_name(out)["ash.xlsx"]["reason"].startswith("This file is too large")


OWN_FRAMEWORK = """\
format: 1
id: our-own
title: Our own review
version: "0.1"
levels: [Starting, Growing, Leading]
aspects:
  - code: A1
    title: Vision
    descriptors: {Starting: a, Growing: b, Leading: c}
  - code: A2
    title: People
    descriptors: {Starting: d, Growing: e, Leading: f}
"""


def test_return_of_a_framework_from_a_file_needs_that_file(tmp_path: Path) -> None:
    definition = tmp_path / "our-own.yaml"
    definition.write_text(OWN_FRAMEWORK)
    fw = load_file(definition)
    folder = tmp_path / "returns"
    filled = {"A1": Filled("Growing", "ev", "next"), "A2": Filled("leading", "", "")}
    write_workbook(fw, folder / "own.xlsx", school=School("9", "Nine"), filled=filled)
    make_return(folder / "ash.xlsx")
    out = tmp_path / "out"
    ingest(folder, out)
    assert files_by_name(out)["own.xlsx"]["reason"].startswith(
        "This file is a return for framework 'our-own'"
    )
    ingest(folder, out, framework_files=[definition])
    assert files_by_name(out)["own.xlsx"]["status"] == "accepted"
    levels = [
        (r["aspect_code"], r["level"], r["level_rank"])
        for r in rows(out / "responses.csv")
        if r["framework"] == "our-own"
    ]
    assert levels == [("A1", "Growing", "2"), ("A2", "Leading", "3")]
    saved = json.loads((out / "frameworks" / "our-own.json").read_text())
    assert saved["levels"][2]["label"] == "Leading"


def test_file_name_that_is_not_utf8_is_read_and_shown_escaped(tmp_path: Path) -> None:
    folder = tmp_path / "returns"
    make_return(folder / "ash.xlsx")
    os.rename(folder / "ash.xlsx", os.path.join(os.fsencode(folder), b"caf\xe9.xlsx"))
    out = tmp_path / "out"
    ingest(folder, out)
    assert files_by_name(out)["caf\\xe9.xlsx"]["status"] == "accepted"


def test_folder_that_cannot_be_listed_is_accounted_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "returns"
    make_return(folder / "ash.xlsx")
    (folder / "locked").mkdir()
    real_scandir = os.scandir

    def refuse_locked(path):  # type: ignore[no-untyped-def]
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", refuse_locked)  # as root, chmod 000 would not stop us
    out = tmp_path / "out"
    ingest(folder, out, jobs=1)
    locked = files_by_name(out)["locked/"]
    assert (locked["status"], locked["reason"]) == (
        "rejected",
        "This file could not be read (permission denied). Check the file is still in the "
        "folder and not open elsewhere, then run again.",
    )
