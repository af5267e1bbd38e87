"""What a trust leader reads first, per framework: the latest round's story, chosen from the tables.

Which aspects are weakest and strongest, which schools most need support (lowest overall, and
largest fall since the previous round), and what changed since then. summary.xlsx's Overview and
report.html both tell it from here, so the two never disagree about who needs support.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from sheetreview.framework import Framework
from sheetreview.report import benchmarks as bm

TOP_ASPECTS = 3
TOP_SCHOOLS = 5


@dataclass
class Story:
    """One framework's latest round, and how it moved since the round before."""

    fw: Framework
    cohort: bm.Cohort
    previous: bm.Cohort | None
    earlier: list[bm.Cohort]  # every round before the latest, newest first
    stats: pd.DataFrame  # aspect_stats of the latest round, answered aspects only
    overall: pd.DataFrame  # school_overall of the latest round
    weakest: pd.DataFrame
    strongest: pd.DataFrame
    lowest_schools: pd.DataFrame
    falls: pd.DataFrame = field(default_factory=pd.DataFrame)  # schools: largest fall first
    aspect_rises: pd.DataFrame = field(default_factory=pd.DataFrame)
    aspect_falls: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def complete(self) -> int:
        o = self.overall
        return int((o["aspects_answered"] >= o["aspects_total"]).sum())


def stories(bench: bm.Benchmarks) -> list[Story]:
    """One story per framework, in framework order."""
    return [story(bench, fid) for fid in dict.fromkeys(c.framework for c in bench.cohorts)]


def story(bench: bm.Benchmarks, fid: str) -> Story:
    fw = bench.frameworks[fid]
    rounds = [c for c in bench.cohorts if c.framework == fid]
    latest, earlier = rounds[-1], rounds[-2::-1]
    stats = bench.of(bench.aspect_stats, latest)
    stats = stats[stats["n"] > 0]
    overall = bench.of(bench.school_overall, latest)
    told = Story(
        fw=fw,
        cohort=latest,
        previous=earlier[0] if earlier else None,
        earlier=earlier,
        stats=stats,
        overall=overall,
        weakest=stats.sort_values(
            ["median", "mean", "share_lowest"], ascending=[True, True, False], kind="stable"
        ).head(TOP_ASPECTS),
        strongest=stats.sort_values(
            ["median", "mean"], ascending=[False, False], kind="stable"
        ).head(TOP_ASPECTS),
        lowest_schools=overall[overall["mean_rank"].notna()]
        .sort_values(["mean_rank", "school_name"], kind="stable")
        .head(TOP_SCHOOLS),
    )
    if told.previous is not None:
        _changes(bench, told)
    return told


def school_changes(bench: bm.Benchmarks, fid: str, before: str, after: str) -> pd.DataFrame:
    """Per school in both rounds: mean level before and after, the change, and the aspects that
    moved up and down; largest fall first."""
    overall = bench.school_overall[bench.school_overall["framework"] == fid]
    a = overall[overall["round"] == before].set_index("school")
    b = overall[overall["round"] == after].set_index("school")
    both = b.index.intersection(a.index)
    table = pd.DataFrame(
        {
            "school": both,
            "school_urn": b.loc[both, "school_urn"].to_numpy(),
            "school_name": b.loc[both, "school_name"].to_numpy(),
            "mean_from": a.loc[both, "mean_rank"].to_numpy(dtype=float),
            "mean_to": b.loc[both, "mean_rank"].to_numpy(dtype=float),
        }
    )
    table["change"] = table["mean_to"] - table["mean_from"]
    moves = bench.school_changes
    if not moves.empty:
        moves = moves[
            (moves["framework"] == fid)
            & (moves["from_round"] == before)
            & (moves["to_round"] == after)
        ]
        for direction in ("up", "down"):
            codes = moves[moves["direction"] == direction].groupby("school")["aspect_code"]
            table[f"aspects_{direction}"] = table["school"].map(codes.agg(", ".join)).fillna("")
            table[f"n_{direction}"] = table["school"].map(codes.size()).fillna(0).astype(int)
        same = moves[moves["direction"] == "same"].groupby("school").size()
        table["n_same"] = table["school"].map(same).fillna(0).astype(int)
    return table.sort_values(["change", "school_name"], kind="stable").reset_index(drop=True)


def aspect_changes(bench: bm.Benchmarks, fid: str, before: str, after: str) -> pd.DataFrame:
    """round_changes of one pair of rounds, largest fall in the mean first."""
    changes = bench.round_changes
    pair = changes[
        (changes["framework"] == fid)
        & (changes["from_round"] == before)
        & (changes["to_round"] == after)
    ]
    return pair.sort_values(["mean_change", "aspect_code"], kind="stable").reset_index(drop=True)


def _changes(bench: bm.Benchmarks, told: Story) -> None:
    assert told.previous is not None
    fid, before, after = told.fw.id, told.previous.round, told.cohort.round
    schools = school_changes(bench, fid, before, after)
    told.falls = schools[schools["change"] < 0].head(TOP_SCHOOLS)
    aspects = aspect_changes(bench, fid, before, after).dropna(subset=["mean_change"])
    told.aspect_falls = aspects[aspects["mean_change"] < 0].head(TOP_ASPECTS)
    rises = aspects[aspects["mean_change"] > 0]
    told.aspect_rises = rises.sort_values("mean_change", ascending=False, kind="stable").head(
        TOP_ASPECTS
    )
