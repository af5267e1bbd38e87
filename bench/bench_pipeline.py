"""10,000 typical returns ingested and reported (no per-school charts): the 30 s / 1 GB target.

Runs the real command, `sheetreview run DIR -o OUT --no-school-charts`, on the returns that
bench_ingest.py makes (cached in outputs/bench-cache): timed alone, then run again for the peak
memory (PSS) of the whole process tree. The time is the median of --repeat runs (default 3), each
into a fresh OUT. Usage: python bench/bench_pipeline.py [--returns 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ingest import DEFAULT_CACHE, ensure_returns, run_command  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--returns", type=int, default=10_000)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    folder = ensure_returns(args.cache, args.returns)
    out = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    try:
        cmd = [sys.executable, "-m", "sheetreview", "run", str(folder), "-o", str(out)]
        cmd += ["--no-school-charts", "--quiet"]
        # Timed alone: sampling a process's memory (PSS) takes the kernel about 10 ms per read
        # of a large process, and slows it; the peak comes from a second, untimed run.
        runs = []
        for _ in range(args.repeat):
            shutil.rmtree(out, ignore_errors=True)
            runs.append(run_command(cmd, memory=False)[0])
        seconds = statistics.median(runs)
        shutil.rmtree(out, ignore_errors=True)
        _, peak, _ = run_command(cmd)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    result = {"returns": args.returns, "seconds": seconds, "runs": runs, "peak_mb": peak / 1e6}
    print(
        f"{args.returns} returns ingested and reported: {seconds:.1f} s median of {len(runs)} "
        f"({', '.join(f'{r:.1f}' for r in runs)}), peak {peak / 1e6:.0f} MB"
    )
    print(
        f"targets: under 30 s and under 1,000 MB: {'met' if seconds < 30 and peak < 1e9 else 'NOT met'}"
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "pipeline.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
