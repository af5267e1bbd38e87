"""How fast `ingest` reads typical returns, beside the cost of merely unzipping them and beside
pandas + openpyxl, all in one run.

Typical return: the project's own edtech-srf workbook generated for a school with
write_workbook(filled=...), every level chosen, evidence and next steps of about 300 characters
each. The returns are made once into a cache folder and reused by later runs.

For each size (default 2,000 and 10,000) it measures, with cold ledgers:

- ingest --jobs 1 and --jobs 2 (and the default, the CPU count, when that differs), run as the
  real command in a child process: wall time, returns/s, and peak memory of the whole process
  tree (the command and its reader processes, sampled from /proc);
- a warm re-run (every file unchanged: the ledger answers);
- the unzip floor: read each file, open the zip, inflate every member; in one process, and
  split over two processes;
- the baseline, pandas.read_excel(path, sheet_name=None, engine="openpyxl") in one process, on a
  sample of files, extrapolated to all of them (the full run would take many minutes).

Peak memory is the largest seen over the runs. Each time is the best of --repeat runs.

Usage: python bench/bench_ingest.py [--sizes 2000 10000] [--sample 100] [--repeat 3]
                                    [--cache DIR]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CACHE = ROOT / "outputs" / "bench-cache" / "ingest"
RESULTS = ROOT / "bench" / "results"
WORDS = [
    "staff",
    "governors",
    "pupils",
    "vision",
    "strategy",
    "review",
    "survey",
    "evidence",
    "training",
    "devices",
    "network",
    "safeguarding",
    "budget",
    "policy",
    "parents",
    "leaders",
    "monitoring",
    "plan",
    "curriculum",
    "data",
    "termly",
    "shared",
    "learning",
    "platform",
    "subject",
    "coordinators",
    "audit",
]


# --- making the typical returns once ----------------------------------------------------------


def _paragraph(rng: random.Random, length: int = 300) -> str:
    words: list[str] = []
    while sum(len(w) + 1 for w in words) < length:
        words.append(rng.choice(WORDS))
    return " ".join(words)[: length - 1].capitalize() + "."


def _make(indices: list[int], folder: str) -> int:
    from sheetreview.framework import builtin
    from sheetreview.schools import School
    from sheetreview.workbook import Filled, write_workbook

    fw = builtin("edtech-srf")
    for i in indices:
        path = Path(folder) / f"school-{i:05d}.xlsx"
        if path.exists():
            continue
        rng = random.Random(i)
        filled = {
            a.code: Filled(rng.choice(fw.levels).label, _paragraph(rng), _paragraph(rng))
            for a in fw.aspects
        }
        school = School(str(100000 + i), f"School {i:05d}", la="Somewhere")
        write_workbook(fw, path, school=school, round_label="2026-autumn", filled=filled)
    return len(indices)


def ensure_returns(cache: Path, n: int) -> Path:
    """cache/returns-N holding N typical returns (hard links into the largest set)."""
    full = cache / "returns-all"
    full.mkdir(parents=True, exist_ok=True)
    missing = [i for i in range(n) if not (full / f"school-{i:05d}.xlsx").exists()]
    if missing:
        print(f"making {len(missing)} typical returns into {full} (once) ...", flush=True)
        start = time.perf_counter()
        chunks = [missing[i : i + 100] for i in range(0, len(missing), 100)]
        with ProcessPoolExecutor() as pool:
            list(pool.map(_make, chunks, [str(full)] * len(chunks)))
        print(f"  made in {time.perf_counter() - start:.0f} s", flush=True)
    folder = cache / f"returns-{n}"
    if not folder.is_dir() or len(list(folder.iterdir())) != n:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for i in range(n):
            name = f"school-{i:05d}.xlsx"
            os.link(full / name, folder / name)
    return folder


# --- measuring --------------------------------------------------------------------------------


class TreeMemory:
    """Peak resident memory of a process and all its descendants, sampled from /proc."""

    def __init__(self, pid: int, every: float = 0.02) -> None:
        self.pid, self.every, self.peak = pid, every, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _tree(self) -> list[int]:
        children: dict[int, list[int]] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
        out, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            out.append(pid)
            todo.extend(children.get(pid, []))
        return out

    @staticmethod
    def _rss(pid: int) -> int:
        try:
            with open(f"/proc/{pid}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) * 1024
        except OSError:
            pass
        return 0

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, sum(self._rss(p) for p in self._tree()))
            self._stop.wait(self.every)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def run_command(args: list[str]) -> tuple[float, int, str]:
    """(seconds, peak bytes of the process tree, stdout) of a command."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    memory = TreeMemory(proc.pid)
    out, err = proc.communicate()
    seconds = time.perf_counter() - start
    peak = memory.stop()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{err}")
    return seconds, peak, out


def ingest_run(folder: Path, out: Path, jobs: int | None, warm: bool = False) -> dict[str, float]:
    if not warm:
        shutil.rmtree(out, ignore_errors=True)
    args = [sys.executable, "-m", "sheetreview", "ingest", str(folder), "-o", str(out), "--quiet"]
    if jobs:
        args += ["--jobs", str(jobs)]
    seconds, peak, stdout = run_command(args)
    n = len(os.listdir(folder))
    if f"Read {n} files: {n} accepted" not in stdout:
        raise SystemExit(f"unexpected ingest result: {stdout}")
    return {"seconds": seconds, "per_second": n / seconds, "peak_mb": peak / 1e6}


def _unzip(paths: list[str]) -> int:
    total = 0
    for path in paths:
        with open(path, "rb") as fh:
            data = fh.read()
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for info in zf.infolist():
                total += len(zf.read(info))
    return total


def unzip_floor(folder: Path, processes: int) -> float:
    paths = sorted(str(p) for p in folder.iterdir())
    start = time.perf_counter()
    if processes == 1:
        _unzip(paths)
    else:
        parts = [paths[i::processes] for i in range(processes)]
        with ProcessPoolExecutor(processes) as pool:
            list(pool.map(_unzip, parts))
    return time.perf_counter() - start


def pandas_baseline(folder: Path, sample: int, repeat: int) -> float:
    """Seconds per file for pandas.read_excel(sheet_name=None, engine="openpyxl"): the best of
    `repeat` passes over the first `sample` files (the whole set would take minutes)."""
    import pandas as pd

    paths = sorted(folder.iterdir())[:sample]
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for path in paths:
            pd.read_excel(path, sheet_name=None, engine="openpyxl")
        best = min(best, (time.perf_counter() - start) / len(paths))
    return best


# --- the report -------------------------------------------------------------------------------


def measure(cache: Path, n: int, sample: int, repeat: int) -> dict[str, object]:
    """Each timing is the best of `repeat` runs, interleaved, so that a busy machine (other
    processes competing for the CPUs) weighs on every measurement alike."""
    folder = ensure_returns(cache, n)
    outs = cache / "out"
    cpus = os.cpu_count() or 1
    result: dict[str, object] = {"returns": n, "cpus": cpus, "repeat": repeat}
    for _ in range(repeat):
        for processes in (1, 2):
            seconds = unzip_floor(folder, processes)
            result[f"floor_{processes}"] = min(result.get(f"floor_{processes}", seconds), seconds)
        for jobs in sorted({1, 2, cpus}):
            run = ingest_run(folder, outs / f"jobs-{jobs}", jobs)
            best = result.get(f"ingest_{jobs}")
            if best is None or run["seconds"] < best["seconds"]:
                result[f"ingest_{jobs}"] = run
            else:
                best["peak_mb"] = max(best["peak_mb"], run["peak_mb"])
        warm = ingest_run(folder, outs / f"jobs-{cpus}", None, warm=True)
        best = result.get("ingest_default_warm")
        if best is None or warm["seconds"] < best["seconds"]:
            result["ingest_default_warm"] = warm
    shutil.rmtree(outs, ignore_errors=True)  # 10,000 returns leave about 300 MB of outputs
    per_file = pandas_baseline(folder, sample, repeat)
    result["pandas_sample"] = sample
    result["pandas_estimate"] = per_file * n
    return result


def show(r: dict) -> list[str]:
    n = r["returns"]
    lines = [f"{n:,} typical edtech-srf returns ({r['cpus']} CPUs, best of {r['repeat']} runs):"]
    for key, label in (("floor_1", "1 process"), ("floor_2", "2 processes")):
        s = r[key]
        lines.append(f"  unzip floor, {label:<13} {s:7.2f} s  {n / s:8.0f} files/s")
    for key in sorted(k for k in r if k.startswith("ingest_") and k[7:].isdigit()):
        jobs = key[7:]
        x = r[key]
        lines.append(
            f"  ingest --jobs {jobs:<11} {x['seconds']:7.2f} s  {x['per_second']:8.0f} returns/s"
            f"  peak {x['peak_mb']:5.0f} MB  ({x['seconds'] / r['floor_1']:.2f}x the 1-process"
            f" floor, {x['seconds'] / r['floor_2']:.2f}x the 2-process floor)"
        )
    w = r["ingest_default_warm"]
    lines.append(
        f"  re-run, nothing changed   {w['seconds']:7.2f} s  {w['per_second']:8.0f} returns/s"
        f"  peak {w['peak_mb']:5.0f} MB"
    )
    p = r["pandas_estimate"]
    best = min(r[k]["seconds"] for k in r if k.startswith("ingest_") and k[7:].isdigit())
    lines.append(
        f"  pandas+openpyxl, 1 process {p:7.1f} s  {n / p:8.1f} files/s  (estimated from"
        f" {r['pandas_sample']} files); ingest is {p / best:.1f}x faster"
    )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument("--sample", type=int, default=100, help="files read with pandas")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    args = parser.parse_args()
    results = []
    for n in sorted(args.sizes):
        r = measure(args.cache, n, args.sample, args.repeat)
        results.append(r)
        print("\n".join(show(r)), flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "ingest.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
