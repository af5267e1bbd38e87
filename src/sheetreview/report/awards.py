"""Award readiness: which of a framework's awards a school's judgements already meet.

Awards are data in the framework definition (names, order, rules; docs/framework-format.md), so
an LA with its own reading of a quality mark replaces the rules, not this code. Readiness is not
the award: a verifier and a panel decide that. Where a school was moderated, the moderated level
counts for that aspect, because it is the better-evidenced judgement.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from sheetreview.framework import Award, AwardRule, Framework, rule_scopes

NONE = "none"  # no award's rules hold yet (empty: the framework declares no awards)


@dataclass(frozen=True)
class Shortfall:
    """What one rule still needs: `more` of `candidates` at `level` or above, within `scope`."""

    scope: str  # a group's title, or "" for the whole framework
    more: int
    level: str
    candidates: tuple[tuple[str, str, str], ...]  # (code, title, current level or "not judged")

    def sentence(self) -> str:
        names = ", ".join(f"{code} ({now})" for code, _title, now in self.candidates)
        where = f"In {self.scope}: " if self.scope else ""
        if self.more == len(self.candidates):
            return f"{where}{names} to reach {self.level}"
        return f"{where}{self.more} more of {names} to reach {self.level}"


def rule_text(fw: Framework, rule: AwardRule) -> str:
    """A rule in words, as the pack and the summary state it."""
    level = fw.level(rule.rank).label
    if rule.aspects:
        scope = "of " + ", ".join(rule.aspects)
    elif rule.groups:
        scope = "in " + ", ".join(fw.group_title(g) for g in rule.groups)
    else:
        scope = ""
    if rule.count is None:
        return " ".join(filter(None, ["every aspect", scope, f"at {level} or above"]))
    per = "in each group" if rule.per_group else scope
    return " ".join(filter(None, [f"at least {rule.count} aspects", per, f"at {level} or above"]))


def award_text(fw: Framework, award: Award) -> str:
    return f"{award.name}: " + "; ".join(rule_text(fw, r) for r in award.rules)


def shortfalls(fw: Framework, rule: AwardRule, levels: Mapping[str, int]) -> list[Shortfall]:
    """What stands between `levels` and this rule; empty when it holds."""
    out = []
    label = fw.level(rule.rank).label
    for group, codes in rule_scopes(fw.aspects, rule).items():
        below = [c for c in codes if levels.get(c, 0) < rule.rank]
        need = (rule.count if rule.count is not None else len(codes)) - (len(codes) - len(below))
        if need <= 0:
            continue
        candidates = tuple(
            (c, fw.aspect(c).title, fw.level(levels[c]).label if c in levels else "not judged")
            for c in sorted(below, key=lambda c: -levels.get(c, 0))
        )
        out.append(Shortfall(fw.group_title(group) if group else "", need, label, candidates))
    return out


def holds(fw: Framework, award: Award, levels: Mapping[str, int]) -> bool:
    return all(not shortfalls(fw, rule, levels) for rule in award.rules)


def award_ready(fw: Framework, levels: Mapping[str, int]) -> str:
    """The highest award whose rules hold; NONE when none does; "" without awards."""
    if not fw.awards:
        return ""
    ready = [a.name for a in fw.awards if holds(fw, a, levels)]
    return ready[-1] if ready else NONE


def next_award(fw: Framework, levels: Mapping[str, int]) -> Award | None:
    """The award above the one the school is ready for (the first, when none): what to aim at."""
    ready = award_ready(fw, levels)
    names = [a.name for a in fw.awards]
    at = names.index(ready) + 1 if ready in names else 0
    return fw.awards[at] if at < len(fw.awards) else None


def gap_to_next(fw: Framework, levels: Mapping[str, int]) -> tuple[Award | None, list[Shortfall]]:
    """The next award and what stands between the school and it."""
    award = next_award(fw, levels)
    if award is None:
        return None, []
    return award, [s for rule in award.rules for s in shortfalls(fw, rule, levels)]


def school_levels(
    responses: pd.DataFrame, moderated: pd.DataFrame | None = None
) -> dict[tuple[str, str, str], dict[str, int]]:
    """{(round, framework, school): {aspect: rank}}, a moderated rank replacing the school's own."""
    out: dict[tuple[str, str, str], dict[str, int]] = {}
    rows = responses.dropna(subset=["rank"])
    for rnd, fid, school, code, rank in zip(
        rows["round"], rows["framework"], rows["school"], rows["aspect_code"], rows["rank"],
        strict=True,
    ):  # fmt: skip
        out.setdefault((rnd, fid, school), {})[code] = int(rank)
    if moderated is not None and not moderated.empty:
        for rnd, fid, school, code, rank in zip(
            moderated["round"], moderated["framework"], moderated["school"],
            moderated["aspect_code"], moderated["moderated_rank"], strict=True,
        ):  # fmt: skip
            if (rnd, fid, school) in out and pd.notna(rank):
                out[(rnd, fid, school)][code] = int(rank)
    return out


def add_award_ready(
    overall: pd.DataFrame,
    levels: Mapping[tuple[str, str, str], Mapping[str, int]],
    frameworks: Mapping[str, Framework],
) -> pd.DataFrame:
    """school_overall with `award_ready` (see `award_ready`) after `position`."""
    values = []
    for rnd, fid, school in zip(
        overall["round"], overall["framework"], overall["school"], strict=True
    ):
        fw = frameworks.get(fid)
        values.append(award_ready(fw, levels.get((rnd, fid, school), {})) if fw else "")
    out = overall.copy()
    out["award_ready"] = values
    return out


def award_counts(overall: pd.DataFrame, fw: Framework) -> list[tuple[str, int]]:
    """Schools per award (highest first), then those ready for none, for the Overview."""
    if not fw.awards or "award_ready" not in overall:
        return []
    counts = overall["award_ready"].value_counts()
    names = [a.name for a in reversed(fw.awards)] + [NONE]
    return [(name, int(counts.get(name, 0))) for name in names]
