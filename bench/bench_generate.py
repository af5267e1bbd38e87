"""Benchmark: 1,000 personalised edtech-srf workbooks (target: under 30 s on 2 cores).

Run: .venv/bin/python bench/bench_generate.py [N]
Prints the time, the rate, and the machine's core count; writes into a temporary folder.
"""

from __future__ import annotations

import csv
import os
import sys
import tempfile
import time
from pathlib import Path

from sheetreview.framework import builtin
from sheetreview.generate import generate_workbooks


def main(count: int = 1000) -> None:
    fw = builtin("edtech-srf")
    with tempfile.TemporaryDirectory(prefix="bench-generate-") as tmp:
        schools = Path(tmp) / "schools.csv"
        with schools.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["urn", "name", "la", "trust", "phase"])
            for i in range(count):
                writer.writerow([100000 + i, f"School number {i}", "Kent", "Oak Trust", "Primary"])
        out = Path(tmp) / "out"
        start = time.perf_counter()
        paths = generate_workbooks(fw, out, schools_file=schools, round_label="2026-autumn")
        seconds = time.perf_counter() - start
        size = sum(p.stat().st_size for p in paths)
    print(
        f"generate: {len(paths)} personalised {fw.id} workbooks in {seconds:.2f} s "
        f"({len(paths) / seconds:.0f} workbooks/s, {size / len(paths) / 1024:.0f} KiB each, "
        f"{os.cpu_count()} cores; target under 30 s for 1,000)"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
