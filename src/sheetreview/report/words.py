"""Numbers in a framework's own words: what every reader-facing output says instead of a rank.

Statistics are computed on level_rank (1 = least developed ... N = most developed), which is the
only scale every framework shares. A reader never sees it: edtech-srf numbers its levels 4 (least
developed) to 1 (most), so "median rank 3" beside "level 2" reads as a contradiction. Here a rank
becomes the framework's label, an average becomes a point on the framework's own scale (its
direction said once, plainly), and a difference becomes "levels above/below".
"""

from __future__ import annotations

import functools
import math
import re
from typing import Any

import pandas as pd

from sheetreview.framework import Framework

LEAST, MOST = "least developed", "most developed"
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def label_numbers(fw: Framework) -> list[float] | None:
    """The number in each level's label ("Level 5", "Step 1 Aware", "3"), when every label has
    one and they step evenly; None when the levels are words (Developing, Enhancing, Embedded)."""
    numbers = _label_numbers(tuple(lv.label for lv in fw.levels))
    return None if numbers is None else list(numbers)


@functools.lru_cache(maxsize=64)  # asked for every figure of a 2,000-school summary
def _label_numbers(labels: tuple[str, ...]) -> tuple[float, ...] | None:
    found = [_NUMBER.search(label) for label in labels]
    if len(found) < 2 or any(m is None for m in found):
        return None
    values = [float(m.group()) for m in found if m is not None]
    step = values[1] - values[0]
    if step == 0 or any(
        abs((b - a) - step) > 1e-9 for a, b in zip(values, values[1:], strict=False)
    ):
        return None
    return tuple(values)


def on_scale(fw: Framework, rank: Any) -> float | None:
    """A rank (or an average of ranks) as a point on the framework's own scale.

    Where the labels are numbered, that is the label's number (edtech-srf: rank 1 is "4", so a
    mean rank of 2.5 is 2.5 on its scale of 4 down to 1); where they are words, it is the level's
    position counted from 1 = the least developed.
    """
    if _missing(rank):
        return None
    numbers = _label_numbers(tuple(lv.label for lv in fw.levels))
    if numbers is None:
        return float(rank)
    return numbers[0] + (float(rank) - 1) * (numbers[1] - numbers[0])


def scale_text(fw: Framework) -> str:
    """The framework's scale and its direction, said once per page or sheet."""
    first, last = fw.levels[0].label, fw.levels[-1].label
    numbers = label_numbers(fw)
    if numbers is None:
        return (
            f"Averages count the levels from 1 = {first} ({LEAST}) to {fw.level_count} = {last} "
            f"({MOST})."
        )
    way = "lower" if numbers[-1] < numbers[0] else "higher"
    return (
        f"Averages are on the framework's own scale, from {first} ({LEAST}) to {last} ({MOST}): "
        f"a {way} number is more developed."
    )


def levels_text(fw: Framework) -> str:
    """The levels in order: "4, 3, 2, 1 (least developed to most developed)"."""
    return ", ".join(lv.label for lv in fw.levels) + f" ({LEAST} to {MOST})"


def level_text(fw: Framework, rank: Any) -> str:
    """A rank, or a median between two ranks, as the framework's label(s)."""
    if _missing(rank):
        return ""
    low, high = math.floor(float(rank)), math.ceil(float(rank))
    if low == high:
        return fw.level(low).label
    return f"between {fw.level(low).label} and {fw.level(high).label}"


def mean_text(fw: Framework, rank: Any, places: int = 1) -> str:
    """An average rank as a number on the framework's scale ("2.3"), for sentences."""
    value = on_scale(fw, rank)
    return "" if value is None else f"{value:.{places}f}"


def difference_text(levels: Any, against: str = "the cohort median") -> str:
    """A difference of ranks in words: "0.5 levels above the cohort median"."""
    if _missing(levels):
        return ""
    value = float(levels)
    if abs(value) < 0.005:
        return f"at {against}"
    size = f"{abs(value):.2f}".rstrip("0").rstrip(".")
    unit = "level" if size == "1" else "levels"
    return f"{size} {unit} {'above' if value > 0 else 'below'} {against}"


def change_text(levels: Any) -> str:
    """A change between rounds in words: "up 0.5 levels", "down 1 level", "no change"."""
    if _missing(levels):
        return ""
    value = float(levels)
    if abs(value) < 0.005:
        return "no change"
    size = f"{abs(value):.2f}".rstrip("0").rstrip(".")
    unit = "level" if size == "1" else "levels"
    return f"{'up' if value > 0 else 'down'} {size} {unit}"
