"""How fast `ingest` reads typical returns, beside the cost of merely unzipping them and beside
pandas + openpyxl, all in one run.

Typical return: the project's own edtech-srf workbook generated for a school with
write_workbook(filled=...), every level chosen, evidence and next steps of about 300 characters
each. The returns are made once into a cache folder and reused by later runs.

For each size (default 2,000; add 10,000 with --sizes 2000 10000) it measures, --repeat times
(default 5), interleaved so that other work on the machine weighs on each alike:

- `sheetreview ingest DIR -o OUT --quiet` with the default --jobs, run as the real command in a
  child process into a fresh OUT each time (a cold ledger): wall time; peak memory (PSS) of the whole
  process tree (the command and its reader processes, sampled from /proc) comes from one more
  run, untimed, since sampling takes CPU from the command;
- the unzip floor: in two processes, each file read, its zip opened and every member inflated in
  full (zipfile.ZipFile.read, which also checks each member's CRC). The floor's pool is made
  inside the benchmark's own process (no interpreter start to pay), so the floor is, if anything,
  lower than a whole process would be;
- the baseline, pandas.read_excel(path, sheet_name=None, engine="openpyxl") in one process, on the
  first --sample files, scaled to all of them (the full run would take many minutes).

It prints the medians, returns/s, the ratio of ingest to the floor measured in the same run and
to pandas, each against its target, met or NOT met. --extras adds `--jobs 1`, a warm re-run
(nothing changed: the ledger answers) and the one-process floor.

Usage: python bench/bench_ingest.py [--sizes 2000 10000] [--repeat 5] [--sample 100]
                                    [--extras] [--cache DIR]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import threading
import time
import zipfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

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
    """Peak resident memory of a process and all its descendants, sampled from /proc.

    Each process counts its proportional share of the pages it shares (PSS): a worker forked
    from its parent maps the parent's pages, and counting them whole in both (RSS) would count
    them twice. Where PSS is not available, RSS."""

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
        for name, field in (
            (f"/proc/{pid}/smaps_rollup", "Pss:"),
            (f"/proc/{pid}/status", "VmRSS:"),
        ):
            try:
                with open(name) as fh:
                    for line in fh:
                        if line.startswith(field):
                            return int(line.split()[1]) * 1024
            except OSError:
                continue
        return 0

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, sum(self._rss(p) for p in self._tree()))
            self._stop.wait(self.every)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def child_env() -> dict[str, str]:
    """The environment of a timed command, with compiled modules kept as an installed package
    keeps them: where PYTHONDONTWRITEBYTECODE is set, an editable install would otherwise compile
    every module of sheetreview from source in every process of every run. They are kept in the
    cache folder, never beside the sources."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.setdefault("PYTHONPYCACHEPREFIX", str(DEFAULT_CACHE.parent / "pycache"))
    return env


def run_command(args: list[str], memory: bool = True) -> tuple[float, int, str]:
    """(seconds, peak bytes of the process tree, stdout) of a command. Sampling memory walks
    /proc every 20 ms and makes the kernel count each process's pages, which takes CPU from
    the command and slows it: memory=False times it alone (peak 0)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env()
    )
    sampler = TreeMemory(proc.pid) if memory else None
    out, err = proc.communicate()
    seconds = time.perf_counter() - start
    peak = sampler.stop() if sampler is not None else 0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{err}")
    return seconds, peak, out


def ingest_run(
    folder: Path, out: Path, jobs: int | None, warm: bool = False, memory: bool = False
) -> dict[str, float]:
    if not warm:
        shutil.rmtree(out, ignore_errors=True)
    args = [sys.executable, "-m", "sheetreview", "ingest", str(folder), "-o", str(out), "--quiet"]
    if jobs:
        args += ["--jobs", str(jobs)]
    seconds, peak, stdout = run_command(args, memory)
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
    """Seconds to read, open and inflate every member of every file, split over `processes`."""
    paths = sorted(str(p) for p in folder.iterdir())
    start = time.perf_counter()
    if processes == 1:
        _unzip(paths)
    else:
        parts = [paths[i::processes] for i in range(processes)]
        with ProcessPoolExecutor(processes) as pool:
            list(pool.map(_unzip, parts))
    return time.perf_counter() - start


def pandas_baseline(folder: Path, sample: int, passes: int) -> float:
    """Seconds per file for pandas.read_excel(sheet_name=None, engine="openpyxl"): the median of
    `passes` passes over the first `sample` files (the whole set would take minutes)."""
    import pandas as pd

    paths = sorted(folder.iterdir())[:sample]
    times = []
    for _ in range(passes):
        start = time.perf_counter()
        for path in paths:
            pd.read_excel(path, sheet_name=None, engine="openpyxl")
        times.append((time.perf_counter() - start) / len(paths))
    return statistics.median(times)


# --- the report -------------------------------------------------------------------------------


TARGET_PER_SECOND = 1200
TARGET_FLOOR_RATIO = 1.5
TARGET_PANDAS_RATIO = 20


def measure(cache: Path, n: int, sample: int, repeat: int, extras: bool) -> dict[str, Any]:
    """Medians of `repeat` interleaved runs of each measurement."""
    folder = ensure_returns(cache, n)
    outs = cache / "out"
    runs: dict[str, list[float]] = {"ingest": [], "floor_2": []}
    if extras:
        runs.update({"ingest_jobs_1": [], "rerun": [], "floor_1": []})
    # Peak memory from one more run, untimed: sampling it would slow the timed runs.
    peak = ingest_run(folder, outs / "default", None, memory=True)["peak_mb"]
    for _ in range(repeat):
        runs["floor_2"].append(unzip_floor(folder, 2))
        run = ingest_run(folder, outs / "default", None)
        runs["ingest"].append(run["seconds"])
        if extras:
            runs["floor_1"].append(unzip_floor(folder, 1))
            runs["ingest_jobs_1"].append(ingest_run(folder, outs / "jobs-1", 1)["seconds"])
            runs["rerun"].append(ingest_run(folder, outs / "default", None, warm=True)["seconds"])
    shutil.rmtree(outs, ignore_errors=True)  # 10,000 returns leave about 300 MB of outputs
    per_file = pandas_baseline(folder, sample, min(repeat, 3))
    medians = {k: statistics.median(v) for k, v in runs.items()}
    return {
        "returns": n,
        "cpus": os.cpu_count() or 1,
        "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "repeat": repeat,
        "runs": runs,
        "median": medians,
        "ingest_peak_mb": peak,
        "per_second": n / medians["ingest"],
        "floor_ratio": medians["ingest"] / medians["floor_2"],
        "pandas_sample": sample,
        "pandas_estimate": per_file * n,
        "pandas_ratio": per_file * n / medians["ingest"],
    }


def _verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def show(r: dict[str, Any]) -> list[str]:
    n, m = r["returns"], r["median"]
    load = f", load average {r['load_average']:.1f}" if r["load_average"] is not None else ""
    rate, floor, pandas = r["per_second"], r["floor_ratio"], r["pandas_ratio"]
    lines = [
        f"{n:,} typical edtech-srf returns ({r['cpus']} CPUs{load}; medians of {r['repeat']} runs):",
        f"  ingest, whole process      {m['ingest']:7.2f} s  {rate:8.0f} returns/s"
        f"  peak {r['ingest_peak_mb']:.0f} MB   target >= {TARGET_PER_SECOND:,}/s:"
        f" {_verdict(rate >= TARGET_PER_SECOND)}",
        f"  unzip floor, 2 processes   {m['floor_2']:7.2f} s  {n / m['floor_2']:8.0f} files/s"
        f"   ingest is {floor:.2f}x the floor   target <= {TARGET_FLOOR_RATIO}x:"
        f" {_verdict(floor <= TARGET_FLOOR_RATIO)}",
        f"  pandas+openpyxl, 1 process {r['pandas_estimate']:7.1f} s  (scaled from"
        f" {r['pandas_sample']} files)   ingest is {pandas:.1f}x faster   target >="
        f" {TARGET_PANDAS_RATIO}x: {_verdict(pandas >= TARGET_PANDAS_RATIO)}",
    ]
    if "ingest_jobs_1" in m:
        lines += [
            f"  ingest --jobs 1            {m['ingest_jobs_1']:7.2f} s"
            f"  {n / m['ingest_jobs_1']:8.0f} returns/s",
            f"  re-run, nothing changed    {m['rerun']:7.2f} s  {n / m['rerun']:8.0f} returns/s",
            f"  unzip floor, 1 process     {m['floor_1']:7.2f} s  {n / m['floor_1']:8.0f} files/s",
        ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000])
    parser.add_argument("--sample", type=int, default=100, help="files read with pandas")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--repeat", type=int, default=5, help="median of this many runs")
    parser.add_argument("--extras", action="store_true", help="--jobs 1, re-run, 1-process floor")
    args = parser.parse_args()
    results = []
    for n in sorted(args.sizes):
        r = measure(args.cache, n, args.sample, args.repeat, args.extras)
        results.append(r)
        print("\n".join(show(r)), flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "ingest.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
