"""`ingest` over tests/data/foreign: 135 files from other producers (damaged, encrypted,
made to exhaust memory). Target: every file accounted for, none accepted, no crash, within a
minute and 1 GB.

Runs the real command in a child process (cold, then again with its ledger) and reports wall
time and the peak resident memory of the whole process tree (the command and its readers).

Usage: python bench/bench_foreign.py [--corpus DIR] [--jobs N]
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_ingest import RESULTS, ROOT, run_command  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "foreign"
LIMIT_SECONDS = 60
LIMIT_BYTES = 1_000_000_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--jobs", type=int)
    args = parser.parse_args()
    files = sorted(p.name for p in args.corpus.rglob("*") if p.is_file())
    out = Path(tempfile.mkdtemp(prefix="bench-foreign-"))
    cmd = [sys.executable, "-m", "sheetreview", "ingest", str(args.corpus), "-o", str(out), "-q"]
    if args.jobs:
        cmd += ["--jobs", str(args.jobs)]
    try:
        cold = run_command(cmd)
        warm = run_command(cmd)
        with open(out / "files.csv", newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    finally:
        shutil.rmtree(out, ignore_errors=True)
    statuses = Counter(r["status"] for r in rows)
    reasons = Counter(r["reason"].split(" (")[0].split(";")[0] for r in rows)
    missing = set(files) - {Path(r["file"]).name for r in rows}
    ok = (
        not missing
        and len(rows) == len(files)
        and statuses["accepted"] + statuses["accepted_with_problems"] == 0
        and all(r["reason"] for r in rows)
        and cold[0] < LIMIT_SECONDS
        and cold[1] < LIMIT_BYTES
    )
    print(f"{len(files)} files in {args.corpus}")
    print(f"  cold run  {cold[0]:6.2f} s, peak {cold[1] / 1e6:5.0f} MB (process tree)")
    print(f"  re-run    {warm[0]:6.2f} s, peak {warm[1] / 1e6:5.0f} MB")
    print("  statuses  " + ", ".join(f"{n} {s}" for s, n in sorted(statuses.items())))
    for reason, n in reasons.most_common():
        print(f"  {n:4d}  {reason}")
    print(f"  {cold[2].strip()}")
    print(
        "  OK: every file accounted for, none accepted, within a minute and 1 GB"
        if ok
        else f"  FAILED: missing {sorted(missing)}, statuses {dict(statuses)}"
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    result = {
        "files": len(files),
        "seconds": cold[0],
        "peak_mb": cold[1] / 1e6,
        "rerun_seconds": warm[0],
        "statuses": statuses,
        "ok": ok,
    }
    (RESULTS / "foreign.json").write_text(json.dumps(result, indent=2) + "\n")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
