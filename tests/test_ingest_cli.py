"""`sheetreview ingest` on the command line: exit codes, the summary line, no tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FOREIGN, copy_data, make_return

from sheetreview.cli import cli


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    returns = tmp_path / "returns"
    make_return(returns / "ash.xlsx")
    copy_data("legacy_excel_97.xls", returns)
    return returns


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_run_with_rejected_files_exits_0_and_prints_the_summary(
    folder: Path, tmp_path: Path
) -> None:
    code, output = run("ingest", str(folder), "-o", str(tmp_path / "out"), "--jobs", "1")
    assert code == 0
    assert output.splitlines()[0] == (
        "Read 2 files: 1 accepted, 0 accepted with problems, 0 blank, 1 rejected, 0 superseded, "
        f"0 skipped. 1 problems (1 errors). Outputs in {tmp_path / 'out'}/."
    )


def test_strict_exits_1_when_a_file_was_rejected(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, output = run("ingest", str(folder), "-o", str(out), "--strict")
    assert code == 1
    assert (
        output.splitlines()[-1] == f"Error: 1 file(s) rejected (--strict); see {out / 'files.csv'}"
    )


def test_strict_exits_0_when_nothing_was_rejected(tmp_path: Path) -> None:
    make_return(tmp_path / "returns" / "ash.xlsx")
    code, _ = run("ingest", str(tmp_path / "returns"), "-o", str(tmp_path / "out"), "--strict")
    assert code == 0


def test_bad_framework_file_is_one_line_and_exit_1(folder: Path, tmp_path: Path) -> None:
    bad = tmp_path / "mine.yaml"
    bad.write_text("id: [unclosed\n")
    code, output = run(
        "ingest", str(folder), "-o", str(tmp_path / "out"), "--framework-file", str(bad)
    )
    assert code == 1
    assert len(output.strip().splitlines()) == 1
    assert output.startswith(f"Error: {bad}")


def test_missing_folder_is_a_usage_error(tmp_path: Path) -> None:
    code, output = run("ingest", str(tmp_path / "nope"), "-o", str(tmp_path / "out"))
    assert code == 2
    assert "does not exist" in output


def test_foreign_corpus_through_the_real_command_has_no_traceback(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "sheetreview", "ingest", str(FOREIGN), "-o", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.stdout.startswith("Read 135 files: 0 accepted, 0 accepted with problems,")
