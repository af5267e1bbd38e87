"""How long `report` takes: the 2,000-return target as whole processes, then larger cohorts.

Synthesises ingest OUT folders (responses.csv, files.csv, problems.csv, frameworks/) of edtech-srf
returns (21 aspects, every level chosen but a few, evidence and next steps of about 300 characters
each, as in the typical return the targets are set for), then times:

1. `python -m sheetreview report OUT --no-school-charts` on 2,000 returns, each run a fresh
   process, median of --repeat runs (target: at most 3 s), beside the fixed cost measured in the
   same run: starting Python and importing the CLI (`python -c "import sheetreview.cli"`);
2. build_report on 10,000 returns without the per-school charts (target: under 10 s);
3. build_report on 200 schools with the per-school charts, drawn in parallel processes
   (and, with --serial, the same in one process for comparison).

Usage: python bench/bench_report.py [--repeat 5] [--target-only] [--returns 10000] [--schools 200]
       [--serial] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from sheetreview.core.parallel import cpu_count
from sheetreview.framework import builtin

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ingest import (  # noqa: E402  (the same words make the same kind of evidence)
    WORDS,
    child_env,
)


def text(rng: np.random.Generator, n: int, length: int = 300) -> list[str]:
    """n paragraphs of about `length` characters from a small vocabulary."""
    words = rng.choice(WORDS, size=(n, length // 8))
    return [" ".join(row)[:length].capitalize() + "." for row in words]


def _unique(texts: np.ndarray) -> list[str]:
    """Every text its own string, as in real returns (repeated ones would be shared in memory)."""
    return [f"{t} ({i})" for i, t in enumerate(texts)]


def synthesise(out: Path, returns: int, seed: int = 1) -> Path:
    """An ingest OUT folder with `returns` edtech-srf returns."""
    fw = builtin("edtech-srf")
    rng = np.random.default_rng(seed)
    codes = [a.code for a in fw.aspects]
    n = returns * len(codes)
    bias = rng.normal(0, 0.8, size=returns).repeat(len(codes))
    ranks = np.clip(np.rint(2.5 + bias + rng.normal(0, 0.8, size=n)), 1, fw.level_count).astype(int)
    blank = rng.random(n) < 0.02
    labels = np.array([lv.label for lv in fw.levels])[ranks - 1]
    urns = np.array([str(100000 + i) for i in range(returns)]).repeat(len(codes))
    names = np.array([f"School {i:05d}" for i in range(returns)]).repeat(len(codes))
    files = np.array([f"returns/{100000 + i}.xlsx" for i in range(returns)])
    vocab_e, vocab_n = text(rng, 2000), text(rng, 2000)
    responses = pd.DataFrame(
        {
            "round": "2026-autumn",
            "framework": fw.id,
            "framework_version": fw.version,
            "school_urn": urns,
            "school_name": names,
            "aspect_code": np.tile(codes, returns),
            "aspect_title": np.tile([a.title for a in fw.aspects], returns),
            "level": np.where(blank, "", labels),
            "level_rank": np.where(blank, "", ranks.astype(str)),
            "level_count": str(fw.level_count),
            "evidence": _unique(rng.choice(vocab_e, size=n)),
            "next_steps": _unique(rng.choice(vocab_n, size=n)),
            "source_file": files.repeat(len(codes)),
            "source_sheet": "Review",
            "source_cell": np.tile([f"E{r}" for r in range(5, 5 + len(codes))], returns),
        }
    )
    out.mkdir(parents=True, exist_ok=True)
    responses.to_csv(out / "responses.csv", index=False)
    answered = (~blank).reshape(returns, len(codes)).sum(axis=1)
    pd.DataFrame(
        {
            "file": files,
            "sha256": "0" * 64,
            "bytes": "40000",
            "status": np.where(answered < len(codes), "accepted_with_problems", "accepted"),
            "framework": fw.id,
            "school_urn": urns[:: len(codes)],
            "school_name": names[:: len(codes)],
            "aspects_answered": answered,
            "aspects_total": len(codes),
            "problems": len(codes) - answered,
            "reason": "",
        }
    ).to_csv(out / "files.csv", index=False)
    rows, cols = np.nonzero(blank.reshape(returns, len(codes)))
    pd.DataFrame(
        {
            "file": files[rows],
            "sheet": "Review",
            "cell": [f"E{5 + c}" for c in cols],
            "code": "blank-level",
            "severity": "warning",
            "message": "No level chosen for this aspect: choose one from the list.",
        }
    ).to_csv(out / "problems.csv", index=False)
    (out / "frameworks").mkdir(exist_ok=True)
    (out / "frameworks" / f"{fw.id}.json").write_text(json.dumps(fw.to_dict()), encoding="utf-8")
    return out


def timed(label: str, out: Path, **kwargs: object) -> float:
    """Run build_report in a fresh process, so its peak memory is its own."""
    code = (
        "import json, sys, time; from pathlib import Path; "
        "from sheetreview.report.build import build_report; "
        "t = time.perf_counter(); s = build_report(Path(sys.argv[1]), **json.loads(sys.argv[2])); "
        "print(json.dumps([time.perf_counter() - t, s.schools, s.charts]))"
    )
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    proc = subprocess.run(
        [sys.executable, "-c", code, str(out), json.dumps(kwargs)],
        capture_output=True, text=True, check=True, env=child_env(),
    )  # fmt: skip
    seconds, schools, charts = json.loads(proc.stdout.strip().splitlines()[-1])
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    memory = f"peak {peak / 1024:.0f} MB" if peak > before else "peak below an earlier run's"
    size = (out / "summary.xlsx").stat().st_size / 1e6
    print(f"{label}: {seconds:.2f} s ({schools} schools, {charts} charts, "
          f"summary.xlsx {size:.1f} MB, {memory})")  # fmt: skip
    return seconds


TARGET_RETURNS = 2_000
TARGET_SECONDS = 3.0
RESULTS = Path(__file__).resolve().parent / "results"


def _adopt_orphans() -> bool:
    """Make this process the one that reaps its descendants' orphans (Linux), so that the CPU
    of a command's workers counts though they outlive it: chart workers are children of a
    forkserver, which the command does not wait for. False where that cannot be done."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    pr_set_child_subreaper = 36
    return ctypes.CDLL(None, use_errno=True).prctl(pr_set_child_subreaper, 1, 0, 0, 0) == 0


def _reap_orphans() -> None:
    while True:
        try:
            os.wait()
        except ChildProcessError:
            return


def whole_process(args: list[str], repeat: int) -> tuple[float, list[float], float]:
    """(median wall seconds, every run's, median CPU seconds) of `args`, each run a new process.

    CPU is the command's and every process it started (its workers too, on Linux: see
    _adopt_orphans; elsewhere only the children it waited for, a floor).
    """
    adopted = _adopt_orphans()
    env = child_env()
    subprocess.run(args, capture_output=True, check=True, env=env)  # warm the file cache, untimed
    if adopted:
        _reap_orphans()
    walls, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(args, capture_output=True, check=True, env=env)
        walls.append(time.perf_counter() - start)
        if adopted:
            _reap_orphans()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return statistics.median(walls), walls, statistics.median(cpus)


def report_target(base: Path, repeat: int) -> dict[str, float]:
    """`report OUT --no-school-charts` on 2,000 typical returns, against Python's start-up."""
    out = synthesise(base / "target", TARGET_RETURNS, seed=5)
    startup, _, startup_cpu = whole_process(
        [sys.executable, "-c", "import sheetreview.cli"], repeat
    )
    command = [sys.executable, "-m", "sheetreview", "report", str(out), "--no-school-charts", "-q"]
    seconds, runs, cpu = whole_process(command, repeat)
    met = "met" if seconds <= TARGET_SECONDS else "NOT met"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f'baseline: python -c "import sheetreview.cli": {startup:.2f} s (median of {repeat}, '
          f"CPU {startup_cpu:.2f} s)")  # fmt: skip
    print(f"report OUT --no-school-charts, {TARGET_RETURNS} returns, whole process: "
          f"{seconds:.2f} s median of {repeat} ({', '.join(f'{r:.2f}' for r in runs)}), "
          f"CPU {cpu:.2f} s (with its workers'), {seconds / startup:.1f}x the start-up; "
          f"load average {load:.1f}")  # fmt: skip
    print(f"target: report on {TARGET_RETURNS} returns at most {TARGET_SECONDS:.0f} s: {met}")
    result = {"returns": TARGET_RETURNS, "seconds": seconds, "runs": runs, "cpu_seconds": cpu,
              "startup_seconds": startup, "load_average": load}  # fmt: skip
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "report.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--returns", type=int, default=10_000)
    parser.add_argument("--with-evidence", type=int, default=2_000, help="returns, Evidence sheet")
    parser.add_argument("--schools", type=int, default=200)
    parser.add_argument("--serial", action="store_true", help="also time the charts in one process")
    parser.add_argument("--keep", type=Path, help="write the OUT folders here and keep them")
    parser.add_argument("--repeat", type=int, default=5, help="runs of the 2,000-return target")
    parser.add_argument("--target-only", action="store_true", help="only the 2,000-return target")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="bench-report-"))
    try:
        print(f"bench_report: {cpu_count()} CPU(s), Python {sys.version.split()[0]}")
        report_target(base, args.repeat)
        if args.target_only:
            return 0
        start = time.perf_counter()
        big = synthesise(base / "large", args.returns)
        mb = (big / "responses.csv").stat().st_size / 1e6
        print(f"synthesised {args.returns} returns ({mb:.0f} MB responses.csv) in "
              f"{time.perf_counter() - start:.1f} s")  # fmt: skip
        large = timed(f"report, {args.returns} returns, no school charts", big, school_charts=False)
        mid = synthesise(base / "evidence", args.with_evidence, seed=3)
        timed(f"report, {args.with_evidence} returns with the Evidence sheet, no school charts",
              mid, school_charts=False)  # fmt: skip
        small = synthesise(base / "schools", args.schools, seed=2)
        timed(f"report, {args.schools} schools, no school charts", small, school_charts=False)
        timed(f"report, {args.schools} schools, school charts in parallel", small)
        if args.serial:
            timed(f"report, {args.schools} schools, school charts in one process", small, jobs=1)
        print(f"target: report on {args.returns} returns under 10 s: "
              f"{'met' if large < 10 else 'NOT met'}")  # fmt: skip
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
