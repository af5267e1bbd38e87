"""Benchmark: benchmark packs for a synthetic cohort (default 500 schools of edtech-srf).

Writes an ingest-shaped OUT (responses.csv, files.csv, problems.csv, frameworks/) from a fixed
seed, then times `write_packs` with the default number of processes (the CPU count) and prints
the figures: wall-clock seconds, and CPU seconds (which other work on the machine does not
inflate), with the load average to tell the two apart. Not a test: nothing here asserts a time.

    .venv/bin/python bench/bench_packs.py [--schools 500] [--framework edtech-srf] [--jobs N]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import tempfile
import time
from pathlib import Path

from sheetreview.core.out import FILES_COLUMNS, PROBLEMS_COLUMNS, RESPONSES_COLUMNS
from sheetreview.framework import builtin
from sheetreview.packs.build import write_packs


def make_out(out: Path, schools: int, framework_id: str, seed: int = 7) -> None:
    """An OUT as ingest writes it, for `schools` schools with plausible, varied levels."""
    rng = random.Random(seed)
    fw = builtin(framework_id)
    out.mkdir(parents=True, exist_ok=True)
    (out / "frameworks").mkdir(exist_ok=True)
    (out / "frameworks" / f"{fw.id}.json").write_text(json.dumps(fw.to_dict()), encoding="utf-8")
    difficulty = {a.code: rng.uniform(-0.8, 0.8) for a in fw.aspects}
    responses, files = [], []
    for i in range(schools):
        urn, name = str(100000 + i * 7), f"Bench School {i:04d}"
        source = f"returns/{urn}.xlsx"
        ability = rng.uniform(1.2, fw.level_count - 0.2)
        for row, aspect in enumerate(fw.aspects, start=6):
            value = ability + difficulty[aspect.code] + rng.gauss(0, 0.6)
            rank = min(fw.level_count, max(1, round(value)))
            responses.append(
                [
                    "2026-autumn",
                    fw.id,
                    fw.version,
                    urn,
                    name,
                    aspect.code,
                    aspect.title,
                    fw.level(rank).label,
                    str(rank),
                    str(fw.level_count),
                    "Evidence of about three hundred characters. " * 7,
                    "Next steps of about three hundred characters. " * 7,
                    source,
                    "Review",
                    f"F{row}",
                    "",
                ]
            )
        n = str(len(fw.aspects))
        files.append(
            [
                source,
                "0" * 64,
                "50000",
                "accepted",
                fw.id,
                urn,
                name,
                n,
                n,
                "0",
                "",
                "2026-autumn",
                "",
            ]
        )
    _write(out / "responses.csv", RESPONSES_COLUMNS, responses)
    _write(out / "files.csv", FILES_COLUMNS, files)
    _write(out / "problems.csv", PROBLEMS_COLUMNS, [])


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


def _cpu_seconds() -> float:
    """CPU time of this process and of the workers it has waited for (the pool's processes)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=500)
    parser.add_argument("--framework", default="edtech-srf")
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--keep", help="Write the OUT and packs here instead of a temp folder.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-packs-") as tmp:
        base = Path(args.keep) if args.keep else Path(tmp)
        out = base / "out"
        make_out(out, args.schools, args.framework)
        start, cpu_start = time.perf_counter(), _cpu_seconds()
        summary = write_packs(out, base / "packs", jobs=args.jobs)
        seconds, cpu = time.perf_counter() - start, _cpu_seconds() - cpu_start
        pdfs = list((base / "packs").glob("*.pdf"))
        size = sum(p.stat().st_size for p in pdfs)
        jobs = args.jobs or len(os.sched_getaffinity(0))
        print(
            f"packs: {summary.packs} {args.framework} packs ({args.schools} schools), "
            f"jobs {jobs}: {seconds:.1f} s, {summary.packs / seconds:.1f} packs/s, "
            f"{size / max(len(pdfs), 1) / 1024:.0f} KB per pack; CPU {cpu:.1f} s "
            f"({cpu / summary.packs * 1000:.0f} ms per pack); load average {os.getloadavg()[0]:.1f}"
        )


if __name__ == "__main__":
    main()
