"""An output held open by another program (Excel on Windows refuses to let summary.xlsx be
replaced): one line naming it, "close it and run again", and every other output still written."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import make_return

from sheetreview.cli import cli
from sheetreview.read.ingest import ingest


@pytest.fixture
def ingested(tmp_path: Path) -> Path:
    make_return(tmp_path / "returns" / "ash.xlsx", urn="100001", name="Ash Primary")
    make_return(tmp_path / "returns" / "birch.xlsx", urn="100002", name="Birch Academy")
    ingest(tmp_path / "returns", tmp_path / "out")
    return tmp_path / "out"


def lock(monkeypatch: pytest.MonkeyPatch, folder: Path, *names: str) -> None:
    """Make os.replace fail as Windows does when a file of `folder` is open in Excel."""
    real = os.replace

    def replace(src: object, dst: object, *args: object, **kw: object) -> None:
        if Path(str(dst)).name in names and Path(str(dst)).parent == folder:
            raise PermissionError(13, "Permission denied", str(dst))
        real(src, dst, *args, **kw)

    monkeypatch.setattr(os, "replace", replace)


def test_locked_summary_is_named_and_the_other_outputs_are_written(
    ingested: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (ingested / "summary.xlsx").write_bytes(b"the copy open in Excel")
    lock(monkeypatch, ingested, "summary.xlsx", "aspect_stats.csv")
    result = CliRunner().invoke(cli, ["report", str(ingested), "--jobs", "1", "-q"])
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 2
    assert any(
        str(ingested / "summary.xlsx") in e and "close it and run again" in e for e in errors
    )
    assert any(str(ingested / "aspect_stats.csv") in e for e in errors)
    assert "Traceback" not in result.output
    # The locked file is as it was; everything else is written, and no temporary is left.
    assert (ingested / "summary.xlsx").read_bytes() == b"the copy open in Excel"
    assert not (ingested / "aspect_stats.csv").exists()
    assert (ingested / "school_benchmarks.csv").is_file()
    assert (ingested / "school_overall.csv").is_file()
    assert list((ingested / "charts").glob("distribution_*.png"))
    assert not [p for p in ingested.iterdir() if "tmp" in p.name]
    # Closed: the next command puts the held outputs in place.
    monkeypatch.undo()
    again = CliRunner().invoke(cli, ["report", str(ingested), "--jobs", "1", "-q"])
    assert again.exit_code == 0, again.output
    assert (ingested / "summary.xlsx").read_bytes()[:2] == b"PK"
    assert (ingested / "aspect_stats.csv").is_file()
