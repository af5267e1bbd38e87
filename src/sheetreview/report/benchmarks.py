"""Cohort statistics from judgements: how each aspect is spread, where each school stands.

Every number here is computed from level_rank (1 = least developed ... N = most developed), never
from a framework's own level numbers: in edtech-srf "1" is the best level, in lp-steps "Step 1" the
least developed, so only the rank means the same thing everywhere. A blank judgement is left out
(never counted as zero) and `n` says how many judgements counted.

A cohort is one framework in one round: two frameworks are never put on one scale, and two rounds
are compared, not pooled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sheetreview.core.fs import safe_name
from sheetreview.core.out import round_key, school_key
from sheetreview.framework import Framework

KEYS = ["round", "framework"]
REQUIRED_COLUMNS = (
    "round",
    "framework",
    "school_urn",
    "school_name",
    "aspect_code",
    "aspect_title",
    "level",
    "level_rank",
)
# Comparator groups a school list may give, and the smallest group whose spread is shown: a median
# of three schools would let each work out the others' answers.
GROUP_DIMENSIONS = ("la", "trust", "phase")
GROUP_WORDS = {"all": "all schools", "la": "local authority", "trust": "trust", "phase": "phase"}
MIN_GROUP = 5


@dataclass(frozen=True)
class Cohort:
    """One framework in one round: the unit every statistic is computed within."""

    framework: str
    round: str

    @property
    def label(self) -> str:
        return f"{self.framework} {self.round}" if self.round else self.framework

    @property
    def slug(self) -> str:
        return slug(self.label)


@dataclass
class Benchmarks:
    """Everything `report` writes, as tables; the workbook and the charts only lay these out."""

    frameworks: dict[str, Framework]
    cohorts: list[Cohort]
    responses: pd.DataFrame
    aspect_stats: pd.DataFrame
    school_benchmarks: pd.DataFrame
    school_overall: pd.DataFrame
    round_changes: pd.DataFrame = field(default_factory=pd.DataFrame)
    school_changes: pd.DataFrame = field(default_factory=pd.DataFrame)
    school_rounds: pd.DataFrame = field(default_factory=pd.DataFrame)
    unmapped: list[str] = field(default_factory=list)
    group_stats: pd.DataFrame = field(default_factory=pd.DataFrame)
    group_benchmarks: pd.DataFrame = field(default_factory=pd.DataFrame)
    group_overall: pd.DataFrame = field(default_factory=pd.DataFrame)

    def rounds_of(self, framework: str) -> list[str]:
        """A framework's rounds, in order."""
        return [c.round for c in self.cohorts if c.framework == framework]

    @property
    def compared(self) -> list[str]:
        """Frameworks with two or more rounds, whose progress is reported."""
        return sorted({c.framework for c in self.cohorts if len(self.rounds_of(c.framework)) > 1})

    def of(self, table: pd.DataFrame, cohort: Cohort) -> pd.DataFrame:
        """The rows of `table` for one cohort."""
        if table.empty:
            return table
        mask = (table["framework"] == cohort.framework) & (table["round"] == cohort.round)
        return table[mask]


def slug(text: str) -> str:
    """A file-name-safe form of a label (school names come from returns: never trust them)."""
    return safe_name(text, 60, lower=True, keep="", fallback="x")


def prepare(responses: pd.DataFrame) -> pd.DataFrame:
    """Add the numeric `rank` (NaN for a blank judgement) and a `school` key to raw responses.

    The key is the URN when the return has one, else the name: URNs survive a renamed school.
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in responses.columns]
    if missing:
        raise ValueError(f"responses lack columns: {', '.join(missing)}")
    out = responses.copy()
    out["rank"] = pd.to_numeric(out["level_rank"].replace("", np.nan), errors="coerce")
    names = out["school_name"].astype(str)
    keys = {n: school_key("", n) for n in names.unique()}
    urn = out["school_urn"].astype(str).str.strip()
    out["school"] = urn.where(urn != "", names.map(keys))
    return out


def cohorts(responses: pd.DataFrame) -> list[Cohort]:
    """The cohorts present, framework by framework, rounds in order."""
    pairs = responses[KEYS].drop_duplicates().itertuples(index=False)
    found = [Cohort(fw, rnd) for rnd, fw in pairs]
    return sorted(found, key=lambda c: (c.framework, round_key(c.round), c.round))


def aspect_order(fw: Framework | None, codes: list[str]) -> list[str]:
    """The framework's aspect order, then any code it does not know, sorted."""
    known = [a.code for a in fw.aspects] if fw else []
    return known + sorted(set(codes) - set(known))


def round_rank(rounds: pd.Series) -> pd.Series:
    """Each row's round as its position in round order (sorting 200,000 tuples is slow)."""
    order = sorted(rounds.unique(), key=lambda r: (round_key(r), r))
    return rounds.map({r: i for i, r in enumerate(order)})


def _order_index(frameworks: dict[str, Framework], table: pd.DataFrame) -> pd.Series:
    """Position of each row's aspect within its framework, for sorting."""
    pos: dict[str, int] = {}
    for fid, codes in table.groupby("framework")["aspect_code"]:
        for i, code in enumerate(aspect_order(frameworks.get(fid), list(codes.unique()))):
            pos[f"{fid}\x00{code}"] = i
    return (table["framework"] + "\x00" + table["aspect_code"]).map(pos)


def _sort(
    table: pd.DataFrame, frameworks: dict[str, Framework], *by: str, first: tuple[str, ...] = ()
) -> pd.DataFrame:
    """Framework, round in round order, `by`, aspect in the framework's order; `first` before
    all (comparator groups: each group's rows together)."""
    if table.empty:
        return table.reset_index(drop=True)
    order = table.assign(
        _round=round_rank(table["round"]),
        _aspect=_order_index(frameworks, table) if "aspect_code" in table else 0,
    )
    order = order.sort_values([*first, "framework", "_round", *by, "_aspect"], kind="stable")
    return order.drop(columns=["_round", "_aspect"]).reset_index(drop=True)


def percentile(table: pd.DataFrame, keys: list[str], column: str) -> pd.Series:
    """Share of the OTHER members of each group below, plus half of those tied, as a percentage.

    Empty where a group has no other member (a cohort of one) or the value is missing.
    """
    g = table.groupby(keys, sort=False)[column]
    low = g.rank(method="min")
    high = g.rank(method="max")
    others = g.transform("count") - 1
    pct = 100 * ((low - 1) + 0.5 * (high - low)) / others.where(others > 0)
    return pct.where(table[column].notna())


def _full_grid(responses: pd.DataFrame, frameworks: dict[str, Framework]) -> pd.DataFrame:
    """Every (round, framework, aspect) to report: the framework's aspects, and any seen."""
    # Each cohort's codes and their titles as first seen, found in one pass over the rows.
    seen: dict[tuple[str, str], dict[str, str]] = {}
    firsts = responses[[*KEYS, "aspect_code", "aspect_title"]].drop_duplicates(
        [*KEYS, "aspect_code"]
    )
    for rnd, fid, code, title in firsts.itertuples(index=False):
        seen.setdefault((rnd, fid), {})[code] = title
    rows = []
    for cohort in cohorts(responses):
        fw = frameworks.get(cohort.framework)
        titles = seen.get((cohort.round, cohort.framework), {})
        for code in aspect_order(fw, list(titles)):
            title = fw.aspect(code).title if fw and code in _codes(fw) else titles[code]
            rows.append((cohort.round, cohort.framework, code, title, _level_count(fw, responses)))
    return pd.DataFrame(
        rows, columns=["round", "framework", "aspect_code", "aspect_title", "level_count"]
    )


def _codes(fw: Framework) -> set[str]:
    return {a.code for a in fw.aspects}


def _level_count(fw: Framework | None, responses: pd.DataFrame) -> int:
    if fw:
        return fw.level_count
    ranks = responses["rank"].dropna()
    return int(ranks.max()) if len(ranks) else 0


def aspect_stats(responses: pd.DataFrame, frameworks: dict[str, Framework]) -> pd.DataFrame:
    """Per round, framework and aspect: n, count per level_rank, median, quartiles and mean."""
    keys = [*KEYS, "aspect_code"]
    grid = _full_grid(responses, frameworks)
    answered = responses[responses["rank"].notna()]
    g = answered.groupby(keys)["rank"]
    stats = pd.DataFrame(
        {
            "n": g.size(),
            "median": g.median(),
            "q1": g.quantile(0.25),
            "q3": g.quantile(0.75),
            "mean": g.mean(),
        }
    )
    # responses.csv has no row for an aspect a school left blank, so a blank is a school of the
    # cohort without an answer to that aspect, not a row without a rank.
    schools = responses.groupby(KEYS)["school"].nunique().rename("_schools")
    counts = answered.groupby([*keys, "rank"]).size().unstack("rank", fill_value=0)
    top = int(max([grid["level_count"].max() if len(grid) else 0, *counts.columns, 0]))
    counts = counts.reindex(columns=range(1, top + 1), fill_value=0)
    counts.columns = [f"n_rank_{r}" for r in counts.columns]
    out = grid.join(stats, on=keys).join(schools, on=KEYS).join(counts, on=keys)
    out["n"] = out["n"].fillna(0).astype("Int64")
    out["n_blank"] = (out["_schools"].fillna(0).astype("Int64") - out["n"]).clip(lower=0)
    for r in range(1, top + 1):
        col = f"n_rank_{r}"
        out[col] = out[col].fillna(0).astype("Int64").where(out["level_count"] >= r)
    n = out["n"].astype(float)
    out["share_lowest"] = 100 * out["n_rank_1"].astype(float) / n.where(n > 0)
    out["share_highest"] = _share_highest(out)
    columns = [*grid.columns, "n", "n_blank", *counts.columns, "median", "q1", "q3", "mean"]
    out = _sort(out[[*columns, "share_lowest", "share_highest"]], frameworks)
    return _grouped(out, "all", "")


def _grouped(table: pd.DataFrame, group_by: str, group: str) -> pd.DataFrame:
    """`table` labelled as the statistics of one group (all schools: group_by "all", group "")."""
    table = table.copy()
    table.insert(2, "group_by", group_by)
    table.insert(3, "group", group)
    return table


def _share_highest(table: pd.DataFrame) -> pd.Series:
    """The share of a row's answers at its framework's highest level (NaN with no answers)."""
    values = pd.Series(np.nan, index=table.index, dtype=float)
    n = table["n"]
    for count in table["level_count"].dropna().unique():
        column = f"n_rank_{count}"
        if column not in table:
            continue
        rows = (table["level_count"] == count) & (n > 0).fillna(False)
        values[rows] = 100 * table.loc[rows, column].astype(float) / n[rows].astype(float)
    return values


def school_benchmarks(responses: pd.DataFrame, frameworks: dict[str, Framework]) -> pd.DataFrame:
    """Per school and aspect: its level_rank, the cohort median, difference and percentile.

    The cohort median includes the school itself; the percentile compares it with the others.
    """
    keys = [*KEYS, "aspect_code"]
    table = responses[
        [*KEYS, "school", "school_urn", "school_name", "aspect_code", "aspect_title", "level"]
    ].copy()
    table["level_rank"] = responses["rank"]
    _against_cohort(table, keys, "level_rank", "cohort_n")
    table["level_rank"] = table["level_rank"].astype("Int64")
    return _grouped(_sort(table, frameworks, "school_name", "school"), "all", "")


def _against_cohort(table: pd.DataFrame, keys: list[str], column: str, n_name: str) -> None:
    """A school's value beside its cohort's: how many, the median, the difference, where it
    stands and its percentile; the same rule for one aspect and for the overall mean."""
    cohort = table.groupby(keys)[column]
    table[n_name] = cohort.transform("count").astype("Int64")
    table["cohort_median"] = cohort.transform("median")
    table["difference"] = table[column] - table["cohort_median"]
    table["position"] = _position(table["difference"])
    table["percentile"] = percentile(table, keys, column)


def _position(difference: pd.Series) -> pd.Series:
    conditions = [difference > 0, difference < 0, difference == 0]
    labels = np.select(conditions, ["above", "below", "at"], default="")
    return pd.Series(labels, index=difference.index, dtype=object)


def school_overall(responses: pd.DataFrame, frameworks: dict[str, Framework]) -> pd.DataFrame:
    """Per school: mean level_rank over its answered aspects, and that mean's percentile.

    The percentile is computed as for one aspect, among the cohort's schools with a mean.
    """
    keys = [*KEYS, "school"]
    g = responses.groupby(keys, sort=False)
    table = g[["school_urn", "school_name"]].first()
    table["aspects_answered"] = g["rank"].count().astype("Int64")
    table["aspects_total"] = _aspect_totals(responses, frameworks, table.index)
    table["mean_rank"] = g["rank"].mean().round(9)
    table = table.reset_index()
    _against_cohort(table, KEYS, "mean_rank", "cohort_schools")
    return _sort(table, frameworks, "school_name", "school")


def _aspect_totals(
    responses: pd.DataFrame, frameworks: dict[str, Framework], index: pd.MultiIndex
) -> list[int]:
    """The framework's aspect count; for an unknown framework, the codes seen in its cohort."""
    seen = responses.groupby(KEYS)["aspect_code"].nunique()
    totals = []
    for rnd, fid, _school in index:
        fw = frameworks.get(fid)
        totals.append(len(fw.aspects) if fw else int(seen[(rnd, fid)]))
    return totals


# --- comparator groups -------------------------------------------------------------------------


def attach_groups(responses: pd.DataFrame, schools: pd.DataFrame | None) -> pd.DataFrame:
    """Give each judgement its school's la, trust and phase from the school list, by URN.

    A school missing from the list, or a column the list leaves empty, is in no group of that
    kind; it still counts among all schools.
    """
    if schools is None or schools.empty or "urn" not in schools:
        return responses
    listed = schools.assign(urn=schools["urn"].astype(str).str.strip()).drop_duplicates("urn")
    listed = listed.set_index("urn")
    urns = responses["school_urn"].astype(str).str.strip()
    out = responses.copy()
    for dim in GROUP_DIMENSIONS:
        if dim in listed:
            values = listed[dim].fillna("").astype(str).str.strip()
            if (values != "").any():
                out[dim] = urns.map(values).fillna("")
    return out


def group_dimensions(responses: pd.DataFrame) -> list[str]:
    """The kinds of comparator group the school list gave (la, trust, phase)."""
    return [d for d in GROUP_DIMENSIONS if d in responses and (responses[d] != "").any()]


_DISTRIBUTION = ("median", "q1", "q3", "mean", "share_lowest", "share_highest")


def group_stats(responses: pd.DataFrame, frameworks: dict[str, Framework]) -> pd.DataFrame:
    """aspect_stats within each comparator group; a group of fewer than MIN_GROUP schools in a
    cohort keeps its counts of answers and blanks but no distribution (levels, median, mean)."""

    def hide(table: pd.DataFrame, small: pd.Series) -> None:
        hidden = [c for c in table.columns if c.startswith("n_rank_") or c in _DISTRIBUTION]
        for column in hidden:
            table[column] = table[column].where(~small)

    return _within_groups(responses, frameworks, aspect_stats, (), hide)


def _withhold(table: pd.DataFrame, small: pd.Series) -> None:
    """A small group's median, difference, percentile and position are not shown."""
    for column in ("cohort_median", "difference", "percentile"):
        table[column] = table[column].where(~small)
    table["position"] = table["position"].where(~small, "")


def group_benchmarks(responses: pd.DataFrame, frameworks: dict[str, Framework]) -> pd.DataFrame:
    """school_benchmarks within each comparator group (the group's median, the school's
    difference and percentile), withheld for a group of fewer than MIN_GROUP schools."""
    by = ("school_name", "school")
    return _within_groups(responses, frameworks, school_benchmarks, by, _withhold)


def group_overall(responses: pd.DataFrame, frameworks: dict[str, Framework]) -> pd.DataFrame:
    """Each school's overall position within each of its comparator groups (same rule)."""
    by = ("school_name", "school")
    return _within_groups(responses, frameworks, school_overall, by, _withhold)


def _within_groups(
    responses: pd.DataFrame,
    frameworks: dict[str, Framework],
    compute: Any,
    by: tuple[str, ...],
    withhold: Any,
) -> pd.DataFrame:
    """`compute` within every comparator group, groups of a kind in the order of their names,
    each group's rows in `compute`'s own order, labelled group_by and group (third and fourth
    columns).

    All the groups of a kind are computed at once: each group's part of a round is made a
    cohort of its own (a numbered "round"), so pandas groups the rows once, not once per
    group. An LA's school list names hundreds of trusts.
    """
    parts = []
    for dim in group_dimensions(responses):
        rows = responses[responses[dim] != ""]
        # One cohort per group's part of a round, named by a number: no round or group name,
        # whatever it holds, can run into another.
        ids = rows.groupby(["round", dim], sort=False).ngroup()
        cohorts_of_groups = rows.assign(round="g" + ids.astype(str))
        first = ~ids.duplicated()
        back = dict(
            zip(
                cohorts_of_groups.loc[first, "round"],
                zip(rows.loc[first, "round"], rows.loc[first, dim], strict=True),
                strict=True,
            )
        )
        table = compute(cohorts_of_groups, frameworks)
        withhold(table, _small(cohorts_of_groups, table))
        pairs = [back[r] for r in table["round"]]
        table["round"] = [r for r, _ in pairs]
        table["group_by"], table["group"] = dim, [g for _, g in pairs]
        parts.append(_sort(_placed(table), frameworks, *by, first=("group",)))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _placed(table: pd.DataFrame) -> pd.DataFrame:
    """group_by and group as the third and fourth columns."""
    rest = [c for c in table.columns if c not in ("group_by", "group")]
    return table[[*rest[:2], "group_by", "group", *rest[2:]]]


def _small(rows: pd.DataFrame, table: pd.DataFrame) -> pd.Series:
    """Rows of `table` whose cohort (round and framework) has fewer than MIN_GROUP schools."""
    schools = rows.groupby(KEYS)["school"].nunique().rename("_schools")
    sizes = table[KEYS].join(schools, on=KEYS)["_schools"].fillna(0)
    return sizes < MIN_GROUP


def by_school(
    rows: pd.DataFrame, column: str, schools: pd.Series, codes: list[str], fill: Any
) -> list[list[Any]]:
    """`column` as one list per school (in the order of `schools`), one item per aspect code."""
    unique = rows.drop_duplicates(["school", "aspect_code"])
    grid = unique.pivot(index="school", columns="aspect_code", values=column)
    grid = grid.reindex(index=list(schools), columns=codes)
    return grid.astype(object).where(grid.notna(), fill).to_numpy().tolist()


# --- progress between rounds -----------------------------------------------------------------


def current_codes(responses: pd.DataFrame, frameworks: dict[str, Framework]) -> pd.Series:
    """Each judgement's aspect in its framework's current version (None: no counterpart).

    A return made under an earlier version of a framework is compared through the definition's
    map of old codes to new ones (see docs/framework-format.md), so a renamed aspect still shows its progress.
    """
    version = responses.get("framework_version", pd.Series("", index=responses.index))
    keys = pd.DataFrame({"f": responses["framework"], "v": version, "c": responses["aspect_code"]})
    mapping = {}
    for f, v, c in keys.drop_duplicates().itertuples(index=False):
        fw = frameworks.get(f)
        mapping[(f, v, c)] = fw.current_code(v, c) if fw and v and v != fw.version else c
    return pd.Series(
        [mapping[k] for k in zip(keys["f"], keys["v"], keys["c"], strict=True)],
        index=responses.index,
    )


def _distribution(rows: pd.DataFrame, n_levels: int) -> pd.DataFrame:
    """Per aspect: n, median, mean and the share (%) at each rank, of answered judgements."""
    answered = rows[rows["rank"].notna()]
    g = answered.groupby("code")["rank"]
    out = pd.DataFrame({"n": g.size(), "median": g.median(), "mean": g.mean()})
    counts = answered.groupby(["code", "rank"]).size().unstack("rank", fill_value=0)
    counts = counts.reindex(columns=range(1, n_levels + 1), fill_value=0)
    for r in range(1, n_levels + 1):
        out[f"share_{r}"] = 100 * counts[r] / out["n"]
    return out


def _aspect_changes(
    fw: Framework, before: pd.DataFrame, after: pd.DataFrame, moves: pd.DataFrame
) -> pd.DataFrame:
    """Per aspect: how the distribution moved from one round to the next."""
    n = fw.level_count
    a, b = _distribution(before, n), _distribution(after, n)
    codes = aspect_order(fw, sorted(set(a.index) | set(b.index)))
    table = pd.DataFrame({"aspect_code": codes})
    table["aspect_title"] = [_title(fw, c) for c in codes]
    for col in ("n", "median", "mean"):
        table[f"{col}_from"] = a[col].reindex(codes).to_numpy()
        table[f"{col}_to"] = b[col].reindex(codes).to_numpy()
    table[["n_from", "n_to"]] = table[["n_from", "n_to"]].fillna(0).astype("Int64")
    table["median_change"] = table["median_to"] - table["median_from"]
    table["mean_change"] = table["mean_to"] - table["mean_from"]
    counted = moves[moves["direction"] != ""].groupby(["aspect_code", "direction"]).size()
    counted = counted.unstack("direction").reindex(index=codes, columns=["up", "down", "same"])
    for direction in ("up", "down", "same"):
        table[f"schools_{direction}"] = counted[direction].fillna(0).astype("Int64").to_numpy()
    for r in range(1, n + 1):
        table[f"share_change_rank_{r}"] = (
            b[f"share_{r}"].reindex(codes) - a[f"share_{r}"].reindex(codes)
        ).to_numpy()
    return table


def _title(fw: Framework, code: str) -> str:
    return fw.aspect(code).title if code in _codes(fw) else code


def _school_moves(fw: Framework, before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Per school in both rounds and aspect: its level in each, and which way it moved."""
    cols = ["school", "school_urn", "school_name", "code", "level", "rank"]
    both = before[cols].merge(after[cols], on=["school", "code"], suffixes=("_from", "_to"))
    table = pd.DataFrame(
        {
            "school": both["school"],
            "school_urn": both["school_urn_to"],
            "school_name": both["school_name_to"],
            "aspect_code": both["code"],
            "aspect_title": [_title(fw, c) for c in both["code"]],
            "level_from": both["level_from"],
            "level_to": both["level_to"],
            "rank_from": both["rank_from"].astype("Int64"),
            "rank_to": both["rank_to"].astype("Int64"),
        }
    )
    change = both["rank_to"] - both["rank_from"]
    table["change"] = change.astype("Int64")
    conditions = [change > 0, change < 0, change == 0]
    table["direction"] = np.select(conditions, ["up", "down", "same"], default="")
    return table


def _presence(fw_id: str, rows: pd.DataFrame, rounds: list[str]) -> pd.DataFrame:
    """Per school: the rounds it took part in, and those it missed."""
    seen = rows.groupby("school").agg(
        school_urn=("school_urn", "last"), school_name=("school_name", "last"),
        rounds=("round", lambda r: [x for x in rounds if x in set(r)]),
    )  # fmt: skip
    seen["missing"] = [[x for x in rounds if x not in have] for have in seen["rounds"]]
    seen = seen.reset_index()
    return pd.DataFrame(
        {
            "framework": fw_id,
            "school": seen["school"],
            "school_urn": seen["school_urn"],
            "school_name": seen["school_name"],
            "rounds": seen["rounds"].map("; ".join),
            "missing_rounds": seen["missing"].map("; ".join),
            "in_every_round": np.where(seen["missing"].map(len) == 0, "yes", "no"),
        }
    ).sort_values(["in_every_round", "school_name"], kind="stable")


def compare_rounds(bench: Benchmarks) -> None:
    """Fill in the progress tables for every framework seen in two or more rounds.

    Each round is compared with the one before it; a school missing from a round is listed in
    school_rounds, never silently dropped.
    """
    changes, moves, presence = [], [], []
    for fid in bench.compared:
        fw = bench.frameworks[fid]
        rounds = bench.rounds_of(fid)
        rows = bench.responses[bench.responses["framework"] == fid]
        rows = rows.assign(code=current_codes(rows, bench.frameworks))
        lost = rows[rows["code"].isna()]
        bench.unmapped += _unmapped(fid, lost)
        rows = rows[rows["code"].notna()]
        presence.append(_presence(fid, rows, rounds))
        for before, after in zip(rounds, rounds[1:], strict=False):
            a, b = rows[rows["round"] == before], rows[rows["round"] == after]
            pair = {"framework": fid, "from_round": before, "to_round": after}
            moved = _school_moves(fw, a, b)
            moves.append(moved.assign(**pair))
            changes.append(_aspect_changes(fw, a, b, moved).assign(**pair))
    if changes:
        front = ["framework", "from_round", "to_round"]
        bench.round_changes = _front(pd.concat(changes, ignore_index=True), front)
        bench.school_changes = _front(pd.concat(moves, ignore_index=True), front)
        bench.school_rounds = pd.concat(presence, ignore_index=True)


def _unmapped(fid: str, lost: pd.DataFrame) -> list[str]:
    """Aspects of an earlier version with no counterpart now, as "framework version: code"."""
    versions = lost.get("framework_version", pd.Series("", index=lost.index))
    return sorted({f"{fid} {v}: {c}" for v, c in zip(versions, lost["aspect_code"], strict=True)})


def _front(table: pd.DataFrame, first: list[str]) -> pd.DataFrame:
    return table[[*first, *[c for c in table.columns if c not in first]]]


def compute(responses: pd.DataFrame, frameworks: dict[str, Framework]) -> Benchmarks:
    """All the report's tables from prepared responses (see `prepare`)."""
    bench = Benchmarks(
        frameworks=frameworks,
        cohorts=cohorts(responses),
        responses=responses,
        aspect_stats=aspect_stats(responses, frameworks),
        school_benchmarks=school_benchmarks(responses, frameworks),
        school_overall=school_overall(responses, frameworks),
    )
    if group_dimensions(responses):
        bench.group_stats = group_stats(responses, frameworks)
        bench.group_benchmarks = group_benchmarks(responses, frameworks)
        bench.group_overall = group_overall(responses, frameworks)
    compare_rounds(bench)
    return bench
