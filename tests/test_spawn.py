"""The whole pipeline with worker processes started by `spawn`, as on Windows (which has neither
fork nor forkserver): every pool must be made through core.parallel (mp_context, WorkerPool) and
everything a worker runs must be importable by a fresh interpreter."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import make_return

from sheetreview.core.parallel import START_METHOD_ENV, WorkerPool, start_method


def sheetreview(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, START_METHOD_ENV: "spawn"}
    return subprocess.run(
        [sys.executable, "-m", "sheetreview", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_start_method_can_be_forced_to_spawn(tmp_path: Path) -> None:
    code = (
        "from sheetreview.core.parallel import mp_context; print(mp_context().get_start_method())"
    )
    env = {**os.environ, START_METHOD_ENV: "spawn"}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "spawn"


def test_workers_forked_from_a_process_leave_its_objects_to_its_own_collector() -> None:
    """A forking pool's workers get what their parent held set aside from their collector
    (which would otherwise walk, and so copy, every page they share with it); the parent's
    collector keeps its own."""
    import gc

    with WorkerPool(2, fork=True) as pool:
        frozen = [pool.submit(gc.get_freeze_count).result() for _ in range(2)]
    assert gc.get_freeze_count() == 0
    if start_method(fork=True) == "fork":
        assert min(frozen) > 10_000  # every module and object the parent held


def test_pipeline_runs_with_spawned_workers(tmp_path: Path) -> None:
    returns = tmp_path / "returns"
    schools = [("100001", "Ash Primary"), ("100002", "Birch Academy")]
    for urn, name in schools:
        make_return(returns / f"{urn}.xlsx", urn=urn, name=name)
    listed = tmp_path / "schools.csv"
    listed.write_text(
        "urn,name\n" + "".join(f"{u},{n}\n" for u, n in [*schools, ("100005", "Elm")]), "utf-8"
    )
    out = tmp_path / "out"
    run = sheetreview(
        "run", str(returns), "-o", str(out), "--jobs", "2", "--schools", str(listed), "-q",
        cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr + run.stdout
    assert "2 accepted" in run.stdout
    assert (out / "summary.xlsx").is_file()
    assert len(list((out / "charts" / "schools").rglob("*.png"))) == 2
    assert "100005" in (out / "outstanding.csv").read_text(encoding="utf-8")
    packs = sheetreview("packs", str(out), "--jobs", "2", "-q", cwd=tmp_path)
    assert packs.returncode == 0, packs.stderr + packs.stdout
    assert len(list((out / "packs").rglob("*.pdf"))) == 2
    feedback = sheetreview("feedback", str(out), "-q", cwd=tmp_path)
    assert feedback.returncode == 0, feedback.stderr + feedback.stdout
    assert len(list((out / "feedback" / "reminders").glob("*.txt"))) == 1
