"""Expected schools against returns, as the summary shows them: "N of M expected schools returned".

Ingest wrote who is expected (expected.csv, from `--schools`) and who is outstanding
(outstanding.csv); this module only counts them per framework and round for the Overview, so the
summary needs nothing but OUT. Without a schools list there is nothing to show.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sheetreview.core import out


@dataclass(frozen=True)
class Returned:
    """One framework and round: how many of the expected schools have an accepted return."""

    framework: str
    round: str
    returned: int
    expected: int

    @property
    def text(self) -> str:
        return f"{self.returned} of {self.expected} expected schools returned"


@dataclass
class ExpectedReturns:
    counts: list[Returned]
    outstanding: pd.DataFrame  # outstanding.csv, in its order


def load_expected(out_dir: Path, cohorts: Iterable[tuple[str, str]] = ()) -> ExpectedReturns | None:
    """The counts for every (framework, round) in `cohorts` or in outstanding.csv; None when
    OUT holds no schools list."""
    out_dir = Path(out_dir)
    if not (out_dir / out.EXPECTED).is_file() or not (out_dir / out.OUTSTANDING).is_file():
        return None
    listed = out.read_table(out_dir, out.EXPECTED, out.EXPECTED_COLUMNS)
    missing = out.read_table(out_dir, out.OUTSTANDING, out.OUTSTANDING_COLUMNS)
    frameworks = set(listed["framework"])
    pairs = {(f, r) for f, r in cohorts if f in frameworks or "" in frameworks}
    pairs |= set(zip(missing["framework"], missing["round"], strict=True))
    counts = []
    for fw, rnd in sorted(pairs, key=lambda p: (p[0], out.round_key(p[1]), p[1])):
        mine = listed[(listed["framework"] == fw) | (listed["framework"] == "")]
        expected = int(mine["school_urn"].nunique())
        gone = missing[(missing["framework"] == fw) & (missing["round"] == rnd)]
        counts.append(Returned(fw, rnd, expected - int(gone["school_urn"].nunique()), expected))
    return ExpectedReturns(counts, missing)
