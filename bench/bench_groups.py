"""`report` with an LA's school list: every statistic also within each LA, trust and phase.

An officer reports with the school list the round was sent to (`report OUT --schools LIST`, or
the list `ingest --schools` kept in OUT), and a real list (the DfE GIAS export) names hundreds of
trusts. This times, as whole processes, --repeat times each and alternating so that other work
on the machine weighs on both alike:

- `report OUT --no-school-charts --schools LIST`: 2,000 typical returns (bench_report's), the
  list giving each school one of 3 LAs, one of 3 phases and, for four schools in five, one of
  150 trusts;
- the same without the list (the baseline: the comparator groups are what the list adds).

It prints the medians (wall, and CPU of the command and every process it started), and the
ratio of the two. Not a test: nothing here asserts a time.

Usage: python bench/bench_groups.py [--returns 2000] [--trusts 150] [--repeat 3]
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ingest import child_env  # noqa: E402
from bench_report import _adopt_orphans, _reap_orphans, synthesise  # noqa: E402


def school_list(path: Path, returns: int, trusts: int, seed: int = 7) -> Path:
    """A list of bench_report's schools (URNs 100000...) in LAs, trusts and phases."""
    rng = random.Random(seed)
    lines = ["urn,name,la,trust,phase"]
    for i in range(returns):
        trust = f"Trust {rng.randrange(trusts)}" if rng.random() < 0.8 else ""
        phase = rng.choice(["primary", "secondary", "all-through"])
        lines.append(f"{100000 + i},School {i:05d},Authority {i % 3},{trust},{phase}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(command: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the command and every process it started) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, capture_output=True, check=True, env=child_env())
    wall = time.perf_counter() - start
    _reap_orphans()  # its workers, children of a server it does not wait for
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--returns", type=int, default=2000)
    parser.add_argument("--trusts", type=int, default=150)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    _adopt_orphans()
    with tempfile.TemporaryDirectory(prefix="bench-groups-") as tmp:
        base = synthesise(Path(tmp) / "base", args.returns)
        listed = school_list(Path(tmp) / "schools.csv", args.returns, args.trusts)
        runs: dict[str, list[tuple[float, float]]] = {"with": [], "without": []}
        for i in range(args.repeat):
            for kind in ("with", "without"):
                out = Path(tmp) / f"{kind}{i}"
                shutil.copytree(base, out)
                command = [sys.executable, "-m", "sheetreview", "report", str(out), "-q"]
                command += ["--no-school-charts"]
                command += ["--schools", str(listed)] if kind == "with" else []
                runs[kind].append(run(command))
    wall = {k: statistics.median(w for w, _ in v) for k, v in runs.items()}
    cpu = {k: statistics.median(c for _, c in v) for k, v in runs.items()}
    print(
        f"report, {args.returns} returns, medians of {args.repeat}:\n"
        f"  with a school list ({args.trusts} trusts, 3 LAs, 3 phases): {wall['with']:.2f} s, "
        f"{cpu['with']:.1f} s of CPU\n"
        f"  without a list:  {wall['without']:.2f} s, {cpu['without']:.1f} s of CPU\n"
        f"  the list costs {wall['with'] / wall['without']:.2f}x the time"
    )


if __name__ == "__main__":
    main()
