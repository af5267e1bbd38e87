"""Links in the returns folder are accounted for and never lead outside it; outputs take the
permissions the user's umask gives, as every other program's files do."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import make_return

from sheetreview.core import out
from sheetreview.read.ingest import ingest

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX links and modes")


@posix_only
def test_links_are_rows_and_never_lead_outside_the_folder(tmp_path: Path) -> None:
    returns = tmp_path / "returns"
    make_return(returns / "real.xlsx", urn="100001", name="Ash Primary")
    elsewhere = tmp_path / "elsewhere"
    make_return(elsewhere / "other.xlsx", urn="100002", name="Birch Primary")
    secret = tmp_path / "secret.txt"
    secret.write_text("not a return")
    (returns / "linked-folder").symlink_to(elsewhere, target_is_directory=True)
    (returns / "loop").symlink_to(returns, target_is_directory=True)
    (returns / "system.xlsx").symlink_to(secret)
    (returns / "same.xlsx").symlink_to(returns / "real.xlsx")  # inside: an ordinary file

    ingest(returns, tmp_path / "out", jobs=1)

    files = out.read_table(tmp_path / "out", out.FILES).set_index("file")
    assert files.loc["linked-folder/", "status"] == "skipped"
    assert "not followed" in files.loc["linked-folder/", "reason"]
    assert files.loc["loop/", "status"] == "skipped"
    assert files.loc["system.xlsx", "status"] == "skipped"
    assert "outside the folder" in files.loc["system.xlsx", "reason"]
    assert files.loc["system.xlsx", "sha256"] == ""  # not even opened
    assert set(files.index) == {"linked-folder/", "loop/", "real.xlsx", "same.xlsx", "system.xlsx"}
    # The link inside the folder is read as the file it names: one return, twice.
    assert set(files.loc[["real.xlsx", "same.xlsx"], "status"]) == {"accepted", "superseded"}


def _modes(folder: Path) -> dict[str, int]:
    return {
        p.relative_to(folder).as_posix(): stat.S_IMODE(p.stat().st_mode)
        for p in [folder, *folder.rglob("*")]
        if not p.is_symlink()
    }


@posix_only
@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_every_output_takes_its_mode_from_the_umask(tmp_path: Path, umask: int) -> None:
    returns = tmp_path / "returns"
    for i in range(1, 6):
        make_return(returns / f"r{i}.xlsx", urn=f"10000{i}", name=f"School {i}")
    results = tmp_path / "out"
    under_umask = (
        "import os, runpy, sys; os.umask(int(sys.argv[1], 8));"
        "sys.argv = ['sheetreview', *sys.argv[2:]];"
        "runpy.run_module('sheetreview', run_name='__main__')"
    )
    for args in (
        ["run", str(returns), "-o", str(results), "-j", "2"],
        ["feedback", str(results)],
        ["packs", str(results), "-j", "1"],
    ):
        run = subprocess.run(
            [sys.executable, "-c", under_umask, f"{umask:o}", *args, "-q"],
            capture_output=True,
            text=True,
        )
        assert run.returncode == 0, run.stderr
    modes = _modes(results)
    assert "ledger.sqlite" in modes and "charts" in modes and "summary.xlsx" in modes
    for name, mode in modes.items():
        is_dir = (results / name).is_dir()
        assert mode == (0o777 if is_dir else 0o666) & ~umask, (name, oct(mode))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="names as bytes")
def test_a_return_whose_name_is_not_utf8_can_be_annotated(tmp_path: Path) -> None:
    from test_feedback import _problems, file_row, make_out, sha256
    from test_feedback import make_return as feedback_return

    from sheetreview.feedback.letters import write_feedback
    from sheetreview.read.ingest import _printable

    returns = tmp_path / "returns"
    made = feedback_return(returns / "made.xlsx")
    on_disk = os.fsdecode(b"caf\xe9 return.xlsx")  # saved on an old Windows machine
    made.rename(returns / on_disk)
    recorded = _printable(on_disk)
    assert recorded == "caf\\xe9 return.xlsx"
    results = make_out(
        tmp_path / "out",
        [
            file_row(
                recorded, "accepted_with_problems", "131001", "Alder", sha256(returns / on_disk)
            )
        ],
        _problems(recorded),
        run_json={"input_dir": str(returns)},
    )
    summary = write_feedback(results, tmp_path / "fb", annotate=True)
    assert summary.annotated == 1, summary.not_annotated
