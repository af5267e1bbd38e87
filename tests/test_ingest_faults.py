"""A fault of sheetreview while reading one return: that file says so, the run goes on, and the
traceback is kept for the maintainers (OUT/errors.log, and on the terminal with --debug)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import make_return

import sheetreview.read.ingest as ingest_module
from sheetreview.cli import cli
from sheetreview.core.parallel import START_METHOD_ENV
from sheetreview.read.ingest import ingest


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _bug_on_birch(monkeypatch: pytest.MonkeyPatch) -> None:
    """A judging step with a bug that only Birch's return sets off (workers are forked with it)."""
    real_judge = ingest_module.judge

    def judge_with_a_bug(raw):  # type: ignore[no-untyped-def]
        if "Birch" in repr((raw.identity, raw.start)):
            return {}["a key our own code forgot"]
        return real_judge(raw)

    monkeypatch.setattr(ingest_module, "judge", judge_with_a_bug)
    # The patch reaches the workers only if they are forked from this process.
    monkeypatch.setenv(START_METHOD_ENV, "fork")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "returns"
    make_return(folder / "ash.xlsx", urn="100001", name="Ash Primary")
    make_return(folder / "birch.xlsx", urn="100002", name="Birch")
    return folder


def test_fault_while_reading_rejects_that_file_as_ours_and_logs_its_traceback(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _bug_on_birch(monkeypatch)
    out = tmp_path / "out"
    summary = ingest(folder, out, jobs=2)
    files = {r["file"]: r for r in rows(out / "files.csv")}
    assert files["ash.xlsx"]["status"] == "accepted"
    birch = files["birch.xlsx"]
    assert birch["status"] == "rejected"
    assert "fault in sheetreview" in birch["reason"] and "damaged" not in birch["reason"]
    assert "errors.log" in birch["reason"]
    [row] = [r for r in rows(out / "problems.csv") if r["severity"] != "query"]
    assert (row["file"], row["code"], row["audience"]) == ("birch.xlsx", "reader-fault", "officer")
    log = (out / "errors.log").read_text("utf-8")
    assert "== birch.xlsx" in log and "Traceback (most recent call last)" in log
    assert "judge_with_a_bug" in log and "KeyError: 'a key our own code forgot'" in log
    assert "ash.xlsx" not in log
    assert [f for f, _ in summary.faults] == ["birch.xlsx"]
    assert "please report it with" in " ".join(summary.lines())


def test_fault_is_not_remembered_and_its_log_goes_once_the_fault_is_fixed(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    with monkeypatch.context() as patch:
        _bug_on_birch(patch)
        ingest(folder, out, jobs=1)
    assert (out / "errors.log").is_file()
    summary = ingest(folder, out, jobs=1)  # the fault is fixed: Birch is read this time
    files = {r["file"]: r for r in rows(out / "files.csv")}
    assert files["birch.xlsx"]["status"] == "accepted"
    assert summary.reused == 1 and summary.read_now == 1
    assert not (out / "errors.log").exists()


def test_cli_prints_the_traceback_of_a_fault_only_with_debug(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _bug_on_birch(monkeypatch)
    out = tmp_path / "out"
    plain = CliRunner().invoke(cli, ["ingest", str(folder), "-o", str(out), "-q"])
    assert plain.exit_code == 0, plain.output
    assert "Traceback" not in plain.output
    assert "1 file(s) could not be read because of a fault in sheetreview" in plain.output
    debug = CliRunner().invoke(cli, ["--debug", "ingest", str(folder), "-o", str(out), "-q"])
    assert debug.exit_code == 0, debug.output
    assert "Fault of sheetreview while reading birch.xlsx" in debug.output
    assert "Traceback (most recent call last)" in debug.output
    assert "KeyError: 'a key our own code forgot'" in debug.output


def test_fault_while_writing_up_a_read_return_is_a_fault_of_that_file_too(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def render_with_a_bug(judged, level_count, date):  # type: ignore[no-untyped-def]
        raise ValueError("a bug after judging")

    monkeypatch.setattr(ingest_module, "_render_lines", render_with_a_bug)
    monkeypatch.setenv(START_METHOD_ENV, "fork")  # so the reader process sees the patch
    out = tmp_path / "out"
    summary = ingest(folder, out, jobs=1)
    assert summary.rejected == 2 and len(summary.faults) == 2
    assert "ValueError: a bug after judging" in (out / "errors.log").read_text("utf-8")
