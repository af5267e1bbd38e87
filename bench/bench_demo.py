"""`sheetreview demo` after set-up: the whole pipeline on the bundled sample cohort.

Times the real command as a whole process, --repeat times into a fresh folder each run, and
prints the median, each stage's share (from one in-process run with each stage timed) and
the target. Not a test: nothing here asserts a time.

    .venv/bin/python bench/bench_demo.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sheetreview.core.parallel import cpu_count

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ingest import child_env  # noqa: E402  (compiled modules kept as installed)

TARGET = 15.0

STAGES = r"""
import sys, time
from pathlib import Path
import sheetreview.demo as demo

def timed(name, fn):
    def run(*args, **kwargs):
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - start
    return run

seconds = {}
for name in ("generate_workbooks", "ingest", "build_report", "write_feedback", "write_packs",
             "moderate"):
    setattr(demo, name, timed(name, getattr(demo, name)))
if __name__ == "__main__":
    demo.run_demo(Path(sys.argv[1]))
    for name, value in seconds.items():
        print(f"{name}\t{value:.2f}")
"""


def load_average() -> float:
    """The machine's one-minute load (not on Windows): how much else shared the cores."""
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as tmp:
        for i in range(args.repeat):
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "sheetreview", "demo", "-o", f"{tmp}/demo{i}", "-q"],
                check=True,
                stdout=subprocess.DEVNULL,
                env=child_env(),
            )
            runs.append(time.perf_counter() - start)
        script = Path(tmp) / "stages.py"
        script.write_text(STAGES, encoding="utf-8")
        stages = subprocess.run(
            [sys.executable, str(script), f"{tmp}/stages"],
            check=True,
            capture_output=True,
            text=True,
            env=child_env(),
        ).stdout
    median = statistics.median(runs)
    print(
        f"bench_demo: {cpu_count()} CPU(s), median of {args.repeat}, "
        f"load average {load_average():.1f}"
    )
    print(
        f"  sheetreview demo: {median:.1f} s (target <= {TARGET:.0f} s: "
        f"{'met' if median <= TARGET else 'NOT met'})"
    )
    print("  runs: " + ", ".join(f"{r:.1f}" for r in runs))
    print(
        "  stages of one run (s): " + ", ".join(stages.split("\n")).replace("\t", " ").strip(", ")
    )


if __name__ == "__main__":
    main()
