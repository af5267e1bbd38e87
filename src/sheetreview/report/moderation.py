"""How far self-review and moderation agree: moderation.csv and the Moderation sheet.

Each moderated judgement is set beside the school's own (same round, framework, school and
aspect). Agreement is reported the way moderation reports usually put it: exact agreement, agreement
within one level, the mean difference (school minus moderator: positive means the school rated
itself higher), and Cohen's weighted kappa with linear weights where there are at least 10 pairs
(below that it says little). The aspects schools over-rate most come first in their table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sheetreview.core import out
from sheetreview.framework import Framework

KAPPA_FROM = 10  # pairs: fewer make a kappa too unstable to print
MODERATION_COLUMNS = (
    "round", "framework", "school_urn", "school_name", "aspect_code", "aspect_title",
    "self_level", "self_rank", "moderated_level", "moderated_rank", "difference", "comment",
    "source_file",
)  # fmt: skip
AGREEMENT_COLUMNS = ("n", "exact", "within_one", "mean_difference", "weighted_kappa")


def load_moderations(out_dir: Path) -> pd.DataFrame:
    """moderations.csv as ingest wrote it (empty when there were no moderation workbooks)."""
    path = Path(out_dir) / out.MODERATIONS
    if not path.is_file():
        return pd.DataFrame(columns=[*out.MODERATIONS_COLUMNS, "school"])
    table = out.read_table(out_dir, out.MODERATIONS, out.MODERATIONS_COLUMNS)
    table["moderated_rank"] = pd.to_numeric(table["moderated_rank"], errors="coerce")
    table["school"] = [
        out.school_key(u, n) for u, n in zip(table["school_urn"], table["school_name"], strict=True)
    ]
    return table


def pair(responses: pd.DataFrame, moderations: pd.DataFrame) -> pd.DataFrame:
    """moderation.csv: each moderated judgement beside the school's own level."""
    if moderations.empty:
        return pd.DataFrame(columns=MODERATION_COLUMNS)
    keys = ["round", "framework", "school", "aspect_code"]
    own = responses[[*keys, "school_urn", "school_name", "aspect_title", "level", "rank"]]
    both = moderations[[*keys, "moderated_level", "moderated_rank", "comment", "source_file"]]
    table = own.merge(both, on=keys, how="inner")
    table = table.rename(columns={"level": "self_level", "rank": "self_rank"})
    table["self_rank"] = table["self_rank"].astype("Int64")
    table["moderated_rank"] = table["moderated_rank"].astype("Int64")
    table["difference"] = table["self_rank"] - table["moderated_rank"]
    table = table.sort_values(["framework", "round", "school_name", "school", "aspect_code"])
    return table[[*MODERATION_COLUMNS]].reset_index(drop=True)


def weighted_kappa(a: list[int], b: list[int], levels: int) -> float:
    """Cohen's kappa with linear weights between two raters over ranks 1..levels (NaN when
    chance agreement is already perfect, e.g. every judgement at one level)."""
    k = levels
    observed = np.zeros((k, k))
    for x, y in zip(a, b, strict=True):
        observed[x - 1, y - 1] += 1
    n = observed.sum()
    if n == 0 or k < 2:
        return float("nan")
    i, j = np.indices((k, k))
    weights = 1 - np.abs(i - j) / (k - 1)
    expected = np.outer(observed.sum(1), observed.sum(0)) / n
    po = (weights * observed).sum() / n
    pe = (weights * expected).sum() / n
    return float("nan") if pe >= 1 else float((po - pe) / (1 - pe))


def agreement(rows: pd.DataFrame, levels: int) -> dict[str, Any]:
    """n, exact and within-one agreement (%), mean difference and weighted kappa of `rows`."""
    rows = rows.dropna(subset=["self_rank", "moderated_rank"])
    n = len(rows)
    if not n:
        return dict.fromkeys(AGREEMENT_COLUMNS, np.nan) | {"n": 0}
    diff = rows["difference"].astype(float)
    kappa = (
        weighted_kappa(
            list(rows["self_rank"].astype(int)), list(rows["moderated_rank"].astype(int)), levels
        )
        if n >= KAPPA_FROM
        else np.nan
    )
    return {
        "n": n,
        "exact": round(100 * float((diff == 0).mean()), 1),
        "within_one": round(100 * float((diff.abs() <= 1).mean()), 1),
        "mean_difference": round(float(diff.mean()), 3),
        "weighted_kappa": round(kappa, 3) if not np.isnan(kappa) else np.nan,
    }


def agreement_by(
    table: pd.DataFrame, frameworks: dict[str, Framework], by: list[str]
) -> pd.DataFrame:
    """Agreement per group of `by` within each framework and round."""
    rows = []
    for keys, part in table.groupby(["framework", "round", *by], sort=True):
        fw = frameworks.get(keys[0])
        levels = fw.level_count if fw else int(part[["self_rank", "moderated_rank"]].max().max())
        first = part.iloc[0]
        extra = {c: first[c] for c in ("aspect_title",) if c in part and c not in by}
        row = dict(zip(["framework", "round", *by], keys, strict=True)) | extra
        row |= agreement(part, levels)
        row["over_rated"] = int((part["difference"] > 0).sum())
        row["under_rated"] = int((part["difference"] < 0).sum())
        rows.append(row)
    return pd.DataFrame(rows)


def over_rated(by_aspect: pd.DataFrame) -> pd.DataFrame:
    """Aspects by how much schools over-rate them (mean difference, largest first)."""
    if by_aspect.empty:
        return by_aspect
    return by_aspect.sort_values(["mean_difference", "over_rated"], ascending=False)


class Moderation:
    """The moderation tables of one report."""

    def __init__(self, table: pd.DataFrame, frameworks: dict[str, Framework]) -> None:
        self.table = table
        self.overall = agreement_by(table, frameworks, []) if not table.empty else pd.DataFrame()
        self.by_aspect = (
            agreement_by(table, frameworks, ["aspect_code"]) if not table.empty else pd.DataFrame()
        )
        self.by_school = (
            agreement_by(table, frameworks, ["school_urn", "school_name"])
            if not table.empty
            else pd.DataFrame()
        )

    @property
    def empty(self) -> bool:
        return self.table.empty

    def moderated_levels(self) -> pd.DataFrame:
        """round, framework, school, aspect_code, moderated_rank: for award readiness."""
        return self.table.assign(
            school=[
                out.school_key(u, n)
                for u, n in zip(self.table["school_urn"], self.table["school_name"], strict=True)
            ]
        )[["round", "framework", "school", "aspect_code", "moderated_rank"]]


def build(responses: pd.DataFrame, out_dir: Path, frameworks: dict[str, Framework]) -> Moderation:
    return Moderation(pair(responses, load_moderations(out_dir)), frameworks)


# --- the Moderation sheet of summary.xlsx ---------------------------------------------------------


def write_sheet(wb: Any, st: Any, mod: Moderation, sheet_class: Any) -> None:
    """The Moderation sheet: agreement overall, per aspect (most over-rated first), per school."""
    sh = sheet_class(wb.add_worksheet("Moderation"), [14, 34, 8, 10, 10, 12, 12, 10, 10])
    sh.ws.set_landscape()
    sh.line(["Moderation: how far self-review and moderation agree"], st.title, height=22)
    sh.line(
        [
            "Exact and within one: % of moderated judgements. Mean difference: school's level minus "
            f"the moderator's (positive: the school rated itself higher). Weighted kappa (linear "
            f"weights) where at least {KAPPA_FROM} judgements were moderated. Every pair is in "
            "moderation.csv."
        ],
        st.note,
        fit=False,
    )
    header = ["", "", "n", "exact %", "within one %", "mean difference", "weighted kappa",
              "over-rated", "under-rated"]  # fmt: skip
    fmts = [st.top, st.wrap, st.whole, st.dec1, st.dec1, st.change, st.dec2, st.whole, st.whole]
    for title, table, label in (
        ("All moderated judgements", mod.overall, lambda r: ("", f"{r['framework']} {r['round']}")),
        (
            "Per aspect, the most over-rated first",
            over_rated(mod.by_aspect),
            lambda r: (r["aspect_code"], r.get("aspect_title", "")),
        ),
        (
            "Per school",
            mod.by_school,
            lambda r: (r.get("school_urn", ""), r.get("school_name", "")),
        ),
    ):
        sh.skip()
        sh.line([title], st.heading, fit=False)
        sh.line(header, st.header)
        for _, r in table.iterrows():
            first, second = label(r)
            values = [
                first,
                second,
                *[r[c] for c in AGREEMENT_COLUMNS],
                r["over_rated"],
                r["under_rated"],
            ]
            sh.line([None if _nan(v) else v for v in values], fmts)


def _nan(value: Any) -> bool:
    return isinstance(value, float) and np.isnan(value)
