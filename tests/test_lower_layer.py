"""The lower layer every stage shares: one round order, one school key, one way to write a file.

Each of these was once done several ways, and the ways disagreed; the tests pin the one way.
"""

from __future__ import annotations

import ast
import csv
import hashlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from sheetreview.core import fs, out
from sheetreview.framework import builtin
from sheetreview.generate import read_previous
from sheetreview.report import benchmarks as bm

SRC = Path(__file__).resolve().parents[1] / "src" / "sheetreview"


def _rows(rounds: dict[str, tuple[str, str]], fid: str = "edtech-srf") -> list[dict[str, str]]:
    """responses.csv rows: one school answering 1a-1 in each round."""
    fw = builtin(fid)
    rank = {lv.label: lv.rank for lv in fw.levels}
    return [
        {
            "round": rnd,
            "framework": fid,
            "framework_version": fw.version,
            "school_urn": urn,
            "school_name": name,
            "aspect_code": "1a-1",
            "aspect_title": "t",
            "level": level,
            "level_rank": str(rank[level]),
            "level_count": str(len(fw.levels)),
            "evidence": rnd,
            "next_steps": "",
            "source_file": f"{rnd}.xlsx",
            "source_sheet": "Review",
            "source_cell": "F5",
            "assessment_date": "",
        }  # fmt: skip
        for rnd, (urn, name, level) in ((r, (*v[:2], v[2])) for r, v in rounds.items())
    ]


def test_generate_previous_and_report_agree_which_round_is_latest(tmp_path: Path) -> None:
    rows = _rows(
        {
            "2026-spring": ("100001", "A", "4"),
            "2026-summer": ("100001", "A", "3"),
            "2026-autumn": ("100001", "A", "2"),
        }
    )
    out.write_rows(tmp_path / out.RESPONSES, out.RESPONSES_COLUMNS, [r.values() for r in rows])
    previous = read_previous(tmp_path, builtin("edtech-srf"), None)
    assert previous["100001"]["1a-1"].evidence == "2026-autumn"
    cohorts = bm.cohorts(pd.DataFrame(rows))
    assert [c.round for c in cohorts][-1] == "2026-autumn"


def test_a_school_without_urn_is_one_school_whatever_the_case_of_its_name() -> None:
    rows = _rows(
        {"2026": ("", "St Mary's CE Primary", "4"), "2027": ("", "ST MARY'S CE  PRIMARY", "2")}
    )
    bench = bm.compute(bm.prepare(pd.DataFrame(rows)), {"edtech-srf": builtin("edtech-srf")})
    moves = bench.school_changes
    assert len(moves) == 1 and moves.iloc[0]["direction"] == "up"
    assert out.school_key("", "St Mary's") == out.school_key("", " st  MARY'S ")
    assert out.school_key(" 100001 ", "A") == "100001"


def test_round_order_is_by_number_then_season() -> None:
    labels = ["2026-autumn", "2025-10", "2026-spring", "2025-2", "2026-summer"]
    assert sorted(labels, key=out.round_key) == [
        "2025-2", "2025-10", "2026-spring", "2026-summer", "2026-autumn",
    ]  # fmt: skip


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


def test_the_lower_layer_imports_no_stage() -> None:
    for path in (SRC / "core").glob("*.py"):
        ours = {m for m in _imports(path) if m.startswith("sheetreview")}
        assert ours <= {"sheetreview.core", "sheetreview.errors"} | {
            f"sheetreview.core.{p.stem}" for p in (SRC / "core").glob("*.py")
        }, path.name


def test_importing_a_stage_changes_no_global_state() -> None:
    """Importing must not pick matplotlib's backend, touch the umask or add logging filters."""
    code = (
        "import logging, os, matplotlib\n"
        "matplotlib.use('svg')\n"
        "os.umask(0o027)\n"
        "import sheetreview.report.build, sheetreview.feedback.letters, sheetreview.cli\n"
        "import sheetreview.packs.build, sheetreview.report.display, sheetreview.report.html\n"
        "assert matplotlib.get_backend() == 'svg', matplotlib.get_backend()\n"
        "assert os.umask(0o027) == 0o027\n"
        "assert not logging.getLogger('matplotlib.font_manager').filters\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_modules_worker_processes_start_with_import_no_pandas() -> None:
    """Chart and pack workers import only what drawing needs: pandas alone would add about a
    second to every worker's start."""
    code = (
        "import sys\n"
        "import sheetreview.packs.document, sheetreview.report.charts\n"
        "assert 'pandas' not in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_written_files_get_the_permissions_the_umask_gives(tmp_path: Path) -> None:
    if os.name != "posix":
        return
    for mask, mode in ((0o022, 0o644), (0o077, 0o600)):
        old = os.umask(mask)
        try:
            path = fs.write_text(tmp_path / f"m{mask:o}.csv", "x\n")
            folder = fs.temp_dir(tmp_path / f"d{mask:o}")
        finally:
            os.umask(old)
        assert path.stat().st_mode & 0o777 == mode
        assert folder.stat().st_mode & 0o777 == mode | 0o111 & ~mask


@given(st.text())
def test_guarded_csv_text_restores_exactly(text: str) -> None:
    guarded = out.neutralise(text)
    assert out.restore(guarded) == text
    if guarded[:1] in ("=", "+", "@", "\t", "\r") or (
        guarded.startswith("-") and not out._NUMBER_RE.match(guarded)
    ):
        raise AssertionError(f"{guarded!r} would run as a formula")


@given(st.lists(st.lists(st.text(), min_size=3, max_size=3), max_size=5))
def test_no_text_splits_a_csv_row(rows: list[list[str]]) -> None:
    text = out.csv_text(["a", "b", "c"], rows)
    # Excel and pandas read CR alone as a line end: it must only ever appear inside quotes.
    parsed = list(csv.reader(io.StringIO(text, newline="")))
    assert len(parsed) == len(rows) + 1
    assert [[out.restore(v) for v in r] for r in parsed[1:]] == rows


WINDOWS_BAD = set('<>:"/\\|?*') | {chr(c) for c in range(32)}


@given(st.text(), st.integers(1, 80))
def test_file_names_are_valid_on_windows(text: str, limit: int) -> None:
    name = fs.safe_name(text, limit)
    assert name and len(name) <= max(limit, len("file")) + len("-file")
    assert not set(name) & WINDOWS_BAD and not name.endswith((".", " "))
    assert name.split(".")[0].casefold() not in fs.WINDOWS_RESERVED


def test_names_that_differ_only_in_case_are_numbered() -> None:
    assert fs.unique_names(["School", "school", "SCHOOL"], ".pdf") == [
        "School.pdf", "school-2.pdf", "SCHOOL-3.pdf",
    ]  # fmt: skip


def test_a_manifest_removes_only_its_own_files_inside_its_folder(tmp_path: Path) -> None:
    folder = tmp_path / "packs"
    folder.mkdir()
    outside = tmp_path / "precious.txt"
    outside.write_text("keep")
    (folder / "old.pdf").write_text("old")
    (folder / "link.pdf").symlink_to(outside)
    digest = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (outside, folder / "old.pdf")}
    listed = [
        (digest[folder / "old.pdf"], "old.pdf"),
        (digest[outside], str(outside)),
        (digest[outside], "../precious.txt"),
        (digest[outside], "link.pdf"),
    ]
    (folder / ".manifest").write_text("".join(f"{d}  {rel}\n" for d, rel in listed))
    assert fs.prune_stale(folder, ".manifest", []) == 1
    assert outside.read_text() == "keep" and (folder / "link.pdf").is_symlink()
    assert not (folder / "old.pdf").exists()


def test_ingest_with_a_school_list_imports_no_pandas(tmp_path: Path) -> None:
    """The list kept in OUT is read back as rows: importing pandas for it took half a second
    of every ingest given --schools."""
    from conftest import make_return

    make_return(tmp_path / "in" / "a.xlsx")
    (tmp_path / "schools.csv").write_text("urn,name\n100001,St Anne's\n", encoding="utf-8")
    code = (
        "import sys\n"
        "from sheetreview.read.ingest import ingest\n"
        f"ingest({str(tmp_path / 'in')!r}, {str(tmp_path / 'out')!r}, jobs=1,"
        f" schools={str(tmp_path / 'schools.csv')!r})\n"
        "assert 'pandas' not in sys.modules, 'pandas imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "outstanding.csv").exists()
