"""OUT stays whole and has one writer: kills at any step, two runs at once, leftovers, orphans.

A run is killed (SIGKILL, nothing of it runs afterwards) at a named step through the test hook
SHEETREVIEW_TEST_KILL_AT; what a reader then finds in OUT must be the previous run's outputs or
the new run's, byte for byte, never a mixture.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import make_return
from python_calamine import CalamineWorkbook

from sheetreview.cli import cli
from sheetreview.core.lock import LOCK_NAME, OutLock
from sheetreview.core.publish import JOURNAL, reading_out

INGEST_FILES = ("responses.csv", "files.csv", "problems.csv", "run.json")
REPORT_FILES = ("summary.xlsx", "aspect_stats.csv", "school_benchmarks.csv", "school_overall.csv")


def sheetreview(*args: str, kill_at: str = "", new_session: bool = False) -> subprocess.Popen:
    env = {**os.environ, "SHEETREVIEW_TEST_KILL_AT": kill_at}
    return subprocess.Popen(
        [sys.executable, "-m", "sheetreview", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=new_session,
    )


def snapshot(out: Path, names: tuple[str, ...]) -> dict[str, bytes]:
    """The outputs as a reader sees them, after the reader's own recovery."""
    with reading_out(out, "test"):
        pass
    found = {n: (out / n).read_bytes() for n in names if (out / n).exists()}
    if "summary.xlsx" in found:  # its bytes hold the time it was written: compare its cells
        book = CalamineWorkbook.from_path(str(out / "summary.xlsx"))
        cells = [book.get_sheet_by_name(s).to_python() for s in book.sheet_names]
        found["summary.xlsx"] = repr(cells).encode()
    charts = out / "charts"
    if charts.is_dir():
        for p in sorted(charts.rglob("*.png")):
            found[p.relative_to(out).as_posix()] = b"png"
    return found


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> Path:
    returns = tmp_path_factory.mktemp("returns")
    make_return(returns / "a.xlsx", urn="100001", name="Ash Primary")
    make_return(returns / "b.xlsx", urn="100002", name="Birch Primary")
    return returns


def _copy_tree(src: Path, dst: Path) -> None:
    dst.mkdir()
    for p in src.iterdir():
        (dst / p.name).write_bytes(p.read_bytes())


@pytest.mark.parametrize("step", ["staged", "published-journal", "moved"])
def test_ingest_killed_at_any_step_leaves_the_old_or_the_new_outputs(
    tmp_path: Path, cohort: Path, step: str
) -> None:
    returns = tmp_path / "returns"
    _copy_tree(cohort, returns)
    out = tmp_path / "out"
    assert sheetreview("ingest", str(returns), "-o", str(out), "-q", "-j", "1").wait() == 0
    old = snapshot(out, INGEST_FILES)
    make_return(returns / "c.xlsx", urn="100003", name="Cedar Primary")

    killed = sheetreview("ingest", str(returns), "-o", str(out), "-q", "-j", "1", kill_at=step)
    assert killed.wait() == 137
    after_kill = snapshot(out, INGEST_FILES)
    assert not (out / JOURNAL).exists()
    assert not [p.name for p in out.iterdir() if p.name.startswith(".sheetreview-new-")]

    assert sheetreview("ingest", str(returns), "-o", str(out), "-q", "-j", "1").wait() == 0
    new = snapshot(out, INGEST_FILES)
    assert old != new
    # Killed before the journal: the old outputs; after it: the new ones, completed on reading.
    assert after_kill == (old if step == "staged" else new)


@pytest.mark.parametrize("step", ["staged", "moved-aside"])
def test_report_killed_at_any_step_leaves_the_old_or_the_new_report(
    tmp_path: Path, cohort: Path, step: str
) -> None:
    returns = tmp_path / "returns"
    _copy_tree(cohort, returns)
    out = tmp_path / "out"
    args = ("--no-school-charts", "-q", "-j", "1")
    assert sheetreview("run", str(returns), "-o", str(out), *args).wait() == 0
    old = snapshot(out, REPORT_FILES)
    make_return(returns / "c.xlsx", urn="100003", name="Cedar Primary")
    assert sheetreview("ingest", str(returns), "-o", str(out), "-q", "-j", "1").wait() == 0

    assert sheetreview("report", str(out), *args, kill_at=step).wait() == 137
    after_kill = snapshot(out, REPORT_FILES)
    assert sheetreview("report", str(out), *args).wait() == 0
    new = snapshot(out, REPORT_FILES)
    assert old != new
    assert after_kill == (old if step == "staged" else new)


def _session_members(sid: int) -> list[int]:
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[3]) == sid and fields[0] != "Z":
            members.append(int(entry))
    return members


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_workers_of_a_killed_ingest_exit_with_it(tmp_path: Path, cohort: Path) -> None:
    returns = tmp_path / "returns"
    _copy_tree(cohort, returns)
    for i in range(3, 9):
        make_return(returns / f"{i}.xlsx", urn=f"10000{i}", name=f"School {i}")
    out = tmp_path / "out"
    run = sheetreview(
        "ingest", str(returns), "-o", str(out), "-q", "-j", "2", kill_at="reading", new_session=True
    )
    assert run.wait() == 137
    deadline = time.monotonic() + 60
    while _session_members(run.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _session_members(run.pid) == []  # no worker, forkserver or tracker left behind


def test_leftovers_of_a_killed_run_are_removed_by_the_next(tmp_path: Path, cohort: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / ".sheetreview-new-x1").mkdir()
    (out / ".sheetreview-new-x1" / "responses.csv").write_text("half")
    (out / ".sheetreview-4f2a.tmp").write_text("half")
    (out / ".charts-new-abc").mkdir()
    (out / "my-notes.txt").write_text("the officer's own file")
    result = CliRunner().invoke(cli, ["ingest", str(cohort), "-o", str(out), "-q", "-j", "1"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []
    assert (out / "my-notes.txt").read_text() == "the officer's own file"
    (out / "feedback").mkdir()
    half = out / "feedback" / ".a-feedback.txt.sheetreview-tmp-4242-0123456789.txt"
    half.write_text("half a letter")
    result = CliRunner().invoke(cli, ["feedback", str(out), "-q"])
    assert result.exit_code == 0, result.output
    assert not half.exists()


def test_a_second_writer_stops_with_one_line_naming_the_first(tmp_path: Path, cohort: Path) -> None:
    out = tmp_path / "out"
    assert CliRunner().invoke(cli, ["ingest", str(cohort), "-o", str(out), "-q"]).exit_code == 0
    before = {n: (out / n).read_bytes() for n in INGEST_FILES}
    with OutLock(out, "report"):
        for args in (["ingest", str(cohort), "-o", str(out)], ["report", str(out)]):
            result = CliRunner().invoke(cli, [*args, "-q"])
            assert result.exit_code == 1
            lines = result.output.strip().splitlines()
            assert len(lines) == 1
            assert f"in use by 'sheetreview report' (process {os.getpid()}" in lines[0]
            assert "wait for it to finish" in lines[0]
    assert {n: (out / n).read_bytes() for n in INGEST_FILES} == before


def test_two_ingests_at_once_never_mix_their_outputs(tmp_path: Path, cohort: Path) -> None:
    out = tmp_path / "out"
    runs = [sheetreview("ingest", str(cohort), "-o", str(out), "-q", "-j", "1") for _ in range(2)]
    results = [(r.wait(), r.communicate()[1].decode()) for r in runs]
    assert any(code == 0 for code, _ in results)
    for code, err in results:
        assert code == 0 or "is in use by 'sheetreview ingest'" in err, err
        assert "internal error" not in err
    run_json = json.loads((out / "run.json").read_text())
    for name, size in run_json["outputs"].items():
        assert (out / name).stat().st_size == size


def test_a_lock_left_by_a_killed_run_is_taken_over(tmp_path: Path, cohort: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    record = {"command": "ingest", "pid": 2**22 + 17, "host": "elsewhere", "started": "earlier"}
    (out / LOCK_NAME).write_text(json.dumps(record))  # its holder died: no OS lock on it
    result = CliRunner().invoke(cli, ["ingest", str(cohort), "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    assert not (out / LOCK_NAME).exists()


@pytest.mark.skipif(sys.platform == "win32", reason="flock: the POSIX lock")
def test_a_holder_yet_to_write_its_record_is_named_once_it_has(tmp_path: Path) -> None:
    """The instant between taking the lock and writing the record is waited through."""
    import fcntl
    import threading

    holder = os.open(tmp_path / LOCK_NAME, os.O_RDWR | os.O_CREAT)
    fcntl.flock(holder, fcntl.LOCK_EX)
    record = {"command": "ingest", "pid": 4242, "host": "here", "started": "now"}
    timer = threading.Timer(0.1, os.write, (holder, json.dumps(record).encode()))
    timer.start()
    try:
        with pytest.raises(Exception, match="in use by 'sheetreview ingest' \\(process 4242"):
            OutLock(tmp_path, "report").acquire()
    finally:
        timer.join()
        os.close(holder)


@pytest.mark.skipif(sys.platform == "win32", reason="flock: the POSIX lock")
def test_a_holder_letting_go_as_a_second_run_arrives_hands_the_lock_over(tmp_path: Path) -> None:
    """A holder empties and removes its file before it unlocks; the second run takes over."""
    import fcntl
    import threading

    holder = os.open(tmp_path / LOCK_NAME, os.O_RDWR | os.O_CREAT)
    fcntl.flock(holder, fcntl.LOCK_EX)

    def let_go() -> None:
        os.unlink(tmp_path / LOCK_NAME)
        os.close(holder)

    timer = threading.Timer(0.1, let_go)
    timer.start()
    try:
        with OutLock(tmp_path, "report"):
            assert json.loads((tmp_path / LOCK_NAME).read_text())["command"] == "report"
    finally:
        timer.join()


_FORKING_HOLDER = """
import os, signal, sys, time
from pathlib import Path
from sheetreview.core.lock import OutLock
OutLock(Path(sys.argv[1]), "ingest").acquire()
if os.fork() == 0:  # a worker forked while the lock is held, outliving its parent
    time.sleep(60)
    os._exit(0)
print("forked", flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="only where workers can be forked")
def test_a_worker_forked_by_a_killed_run_does_not_keep_out_locked(tmp_path: Path) -> None:
    """Readers are forked from the run holding the lock; their copy of its descriptor is closed,
    so OUT is free the moment the run is killed, even while a worker still runs."""
    run = subprocess.Popen(
        [sys.executable, "-c", _FORKING_HOLDER, str(tmp_path)],
        stdout=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        assert run.stdout is not None and run.stdout.readline() == b"forked\n"
        assert run.wait() == -9
        assert _session_members(run.pid) != []  # the worker is still there
        with OutLock(tmp_path, "report"):
            pass
    finally:
        for pid in _session_members(run.pid):
            os.kill(pid, 9)
