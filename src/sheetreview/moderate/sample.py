"""Which schools to moderate: a stratified, reproducible sample of a cohort.

An LA moderates a handful of schools; if the handful were all confident schools, the agreement
it reports would say nothing about the rest. So the sample is stratified by each school's overall
level (its mean level_rank, rounded), allocated to strata in proportion to their size (largest
remainders first), and drawn with a seeded generator from schools sorted by key: the same OUT,
size and seed give the same schools on any machine.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass

import pandas as pd

from sheetreview.errors import SheetreviewError

_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$")


@dataclass(frozen=True)
class Chosen:
    school: str
    stratum: int
    reason: str  # "sampled" or "named"


def parse_size(text: str) -> tuple[float, bool]:
    """'10' -> (10, False); '20%' -> (20, True)."""
    m = _SIZE_RE.match(str(text))
    if not m or float(m.group(1)) <= 0 or (m.group(2) and float(m.group(1)) > 100):
        raise SheetreviewError(
            f"--sample {text!r}: give a number of schools (e.g. 10) or a percentage (e.g. 20%)"
        )
    number = float(m.group(1))
    if not m.group(2) and not number.is_integer():
        raise SheetreviewError(f"--sample {text!r}: a number of schools is a whole number")
    return number, bool(m.group(2))


def sample_size(size: tuple[float, bool], population: int) -> int:
    number, percent = size
    wanted = math.ceil(population * number / 100) if percent else int(number)
    return min(population, wanted)


def stratified(overall: pd.DataFrame, size: int, seed: int, named: list[str] = ()) -> list[Chosen]:
    """`size` schools of one cohort (`school`, `mean_rank` columns), named schools first.

    Named schools count towards the size; the rest is allocated to strata in proportion to
    what remains of each.
    """
    schools = overall.dropna(subset=["mean_rank"]).sort_values("school")
    stratum = {
        s: int(math.floor(m + 0.5))
        for s, m in zip(schools["school"], schools["mean_rank"], strict=True)
    }
    chosen = [Chosen(s, stratum[s], "named") for s in named if s in stratum]
    left = max(0, size - len(chosen))
    pool: dict[int, list[str]] = {}
    for s in stratum:
        if s not in named:
            pool.setdefault(stratum[s], []).append(s)
    total = sum(len(v) for v in pool.values())
    left = min(left, total)
    if not left:
        return chosen
    quotas = {k: left * len(v) / total for k, v in pool.items()}
    alloc = {k: int(q) for k, q in quotas.items()}
    by_remainder = sorted(pool, key=lambda k: (-(quotas[k] - alloc[k]), -len(pool[k]), k))
    for k in by_remainder[: left - sum(alloc.values())]:
        alloc[k] += 1
    rng = random.Random(seed)
    for k in sorted(pool):
        for s in sorted(rng.sample(pool[k], alloc[k])):
            chosen.append(Chosen(s, k, "sampled"))
    return chosen
