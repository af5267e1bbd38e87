"""Per-school outputs: each school's profile chart and benchmark pack, against a plain loop.

Writes an ingest-shaped OUT for --schools schools of edtech-srf (bench_packs.make_out), then
times, as whole processes, each --repeat times, medians printed:

- `sheetreview report OUT` with and without the school profiles: the difference is the charts;
- `sheetreview packs OUT`;
- the baseline: a plain loop, one matplotlib figure per school at 100 dpi, as a user would write
  it (pyplot, barh, scatter, labels, savefig, close), in one process, on --sample schools, its
  per-school time taken from that.

Per school = (charts + packs) / schools, wall clock with the default jobs (the CPU count); the
ratio to the baseline's per-school time of the same run is what the target is set on, since the
machine's load moves both alike.
Not a test: nothing here asserts a time.

    .venv/bin/python bench/bench_school_outputs.py [--schools 500] [--sample 40] [--repeat 3]
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
from bench_packs import make_out  # noqa: E402

BASELINE = r"""
import sys, time
from pathlib import Path
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

out, dest, sample = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
dest.mkdir(parents=True, exist_ok=True)
rows = pd.read_csv(out / "responses.csv", dtype=str)
rows["rank"] = rows["level_rank"].astype(float)
stats = rows.groupby("aspect_code", sort=False)["rank"].describe()
schools = list(rows.groupby("school_urn", sort=False))[:sample]
colours = ["#d7191c", "#fdae61", "#abd9e9", "#2c7bb6"]
start = time.perf_counter()
for urn, own in schools:
    fig, ax = plt.subplots(figsize=(9, 7))
    y = range(len(own))
    ax.barh(y, stats["75%"] - stats["25%"], left=stats["25%"], color="#e3e3e3")
    ax.scatter(stats["50%"], y, marker="|", s=200, color="black", label="cohort median")
    ax.scatter(own["rank"], y, c=[colours[int(r) - 1] for r in own["rank"]], s=100,
               edgecolors="black", label="this school")
    ax.set_yticks(list(y), [f"{c} {t}" for c, t in zip(own["aspect_code"], own["aspect_title"])])
    ax.set_xticks([1, 2, 3, 4], ["4", "3", "2", "1"])
    ax.invert_yaxis()
    ax.set_title(own["school_name"].iloc[0])
    ax.legend()
    fig.savefig(dest / f"{urn}.png", dpi=100, bbox_inches="tight")
    plt.close(fig)
print(time.perf_counter() - start)
"""


def whole(cmd: list[str]) -> float:
    """Wall seconds of a command run as a user runs it."""
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=child_env())
    return time.perf_counter() - start


def load_average() -> float:
    """The machine's one-minute load (not on Windows): how much else shared the cores."""
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=500)
    parser.add_argument("--sample", type=int, default=40, help="schools the baseline draws")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    exe = [sys.executable, "-m", "sheetreview"]
    with tempfile.TemporaryDirectory(prefix="bench-school-") as tmp:
        out = Path(tmp) / "out"
        make_out(out, args.schools, "edtech-srf")
        runs: dict[str, list[float]] = {k: [] for k in ("charts", "packs", "baseline")}
        for _ in range(args.repeat):
            # The baseline between our runs, so a change in the machine's load touches both.
            loop = subprocess.run(
                [sys.executable, "-c", BASELINE, str(out), str(Path(tmp) / "plain"),
                 str(args.sample)],
                check=True, capture_output=True, text=True, env=child_env(),
            )  # fmt: skip
            runs["baseline"].append(float(loop.stdout.strip()) / args.sample)
            without = whole([*exe, "report", str(out), "--no-school-charts", "-q"])
            with_charts = whole([*exe, "report", str(out), "-q"])
            runs["charts"].append(max(with_charts - without, 0.0))
            runs["packs"].append(whole([*exe, "packs", str(out), "-q"]))
        charts = statistics.median(runs["charts"])
        packs = statistics.median(runs["packs"])
        base = statistics.median(runs["baseline"])
        per_school = (charts + packs) / args.schools
        print(
            f"bench_school_outputs: {args.schools} schools, {cpu_count()} CPU(s), "
            f"median of {args.repeat}, load average {load_average():.1f}"
        )
        print(f"  profile charts (report with - without): {charts:.2f} s")
        print(f"  packs: {packs:.2f} s")
        print(f"  chart + pack per school: {per_school * 1000:.0f} ms wall")
        print(f"  baseline, plain matplotlib loop at 100 dpi: {base * 1000:.0f} ms per school")
        print(f"  ratio to the baseline: {per_school / base:.2f}x (target <= 0.4x; <= 60 ms)")
        for name, values in runs.items():
            print(f"  {name} runs: " + ", ".join(f"{v:.3f}" for v in values))


if __name__ == "__main__":
    main()
