"""Every word of a school's benchmark pack, and the PDF typst makes of them.

The pack's plan (`Pack`) holds one school's judgements and its cohort's aggregates only, so
nothing here can print another school's name, URN, level or evidence. pack.typ lays the words
out and typst writes a tagged, PDF/UA-1 document (title, language, headings, reading order,
charts as figures with alternative text, fonts embedded, text selectable).

Kept apart from the planning (build.py, which reads OUT with pandas): the worker processes that
set the packs import only this, so each starts in a fraction of the time.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from sheetreview.core.fs import write_bytes
from sheetreview.core.lock import watch_parent
from sheetreview.framework import Framework
from sheetreview.report.charts import level_colours
from sheetreview.report.display import matplotlib_families, shown, shown_line, typst_font_paths

MIN_COHORT = 5  # fewer schools than this: no median, quartiles or percentile in any pack
NEXT_STEPS_LIMIT = 8  # aspects given "what the next level asks" in full, weakest first
ACTION_SECTIONS = ("How do we get there?", "Some examples of evidence")
TEMPLATE = Path(__file__).with_name("pack.typ")


# --- the plan of a pack: this school's data and the cohort's aggregates, nothing else -----------


@dataclass(frozen=True)
class AspectLine:
    code: str
    title: str
    rank: int | None  # this school's level_rank; None when it left the aspect blank
    n: int  # schools in the cohort that judged this aspect
    median: float | None  # None when withheld (fewer than MIN_COHORT judgements)
    q1: float | None
    q3: float | None


@dataclass(frozen=True)
class Pack:
    path: str
    framework: str
    round: str
    school_urn: str
    school_name: str
    cohort_schools: int
    mean_rank: float | None
    cohort_median: float | None  # median of the schools' mean ranks; None when withheld
    percentile: float | None  # None when withheld
    aspects: tuple[AspectLine, ...]
    awards: tuple[str, ...] = ()  # award readiness and what stands before the next award
    groups: tuple[str, ...] = ()  # where the school stands within its trust, LA and phase

    @property
    def stats_shown(self) -> bool:
        return self.cohort_schools >= MIN_COHORT


def _float(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


# --- words ---------------------------------------------------------------------------------------


def rank_words(fw: Framework, value: float | None) -> str:
    """A rank (perhaps a median between two levels) in the framework's own labels."""
    if value is None:
        return "not shown"
    if float(value).is_integer():
        return shown_line(fw.level(int(value)).label)
    low, high = math.floor(value), math.ceil(value)
    return f"between {shown_line(fw.level(low).label)} and {shown_line(fw.level(high).label)}"


def scale_words(fw: Framework) -> str:
    """The framework's scale in its own labels, its direction said once and plainly."""
    first, last = shown_line(fw.levels[0].label), shown_line(fw.levels[-1].label)
    return f"from {first} (least developed) to {last} (most developed)"


def average_words(fw: Framework, value: float | None) -> str:
    """An average over aspects in the framework's own labels ("between 3 and 2, nearer 2")."""
    if value is None:
        return "not shown"
    low, high = math.floor(value), math.ceil(value)
    if value - low < 0.125 or high == low:
        return f"about {shown_line(fw.level(low).label)}"
    if high - value < 0.125:
        return f"about {shown_line(fw.level(high).label)}"
    near = low if value - low < 0.5 else high
    low_label, high_label = shown_line(fw.level(low).label), shown_line(fw.level(high).label)
    return f"between {low_label} and {high_label}, nearer {shown_line(fw.level(near).label)}"


def levels_from(value: float, median: float) -> str:
    """How far an average is from the cohort's, in levels ("0.4 levels above the median")."""
    gap = value - median
    if abs(gap) < 0.05:
        return "level with the cohort median"
    side = "above" if gap > 0 else "below"
    return f"{abs(gap):.1f} level{'' if abs(gap) == 1 else 's'} {side} the cohort median"


def furthest_below(pack: Pack) -> list[AspectLine]:
    """Aspects below the cohort median, furthest first (ties: lower level first)."""
    below = [
        a for a in pack.aspects if a.rank is not None and a.median is not None and a.rank < a.median
    ]
    return sorted(below, key=lambda a: (a.rank - a.median, a.rank, a.code))


def next_step_aspects(pack: Pack, fw: Framework) -> list[AspectLine]:
    """The aspects a next level is described for, weakest against the cohort first."""

    def key(a: AspectLine) -> tuple:
        gap = a.rank - a.median if a.median is not None else 0.0
        return (gap, a.rank)

    candidates = [
        a
        for a in pack.aspects
        if a.rank is not None
        and a.rank < fw.level_count
        and fw.aspect(a.code).descriptor(a.rank + 1) is not None
    ]
    return sorted(candidates, key=key)


# --- the document: every word a pack says -------------------------------------------------------


def _aspect_name(a: AspectLine) -> str:
    return f"{shown_line(a.code)}  {shown_line(a.title)}"


def _label(fw: Framework, rank: int) -> str:
    return shown_line(fw.level(rank).label)


def facts(pack: Pack, fw: Framework) -> list[str]:
    """The first page's sentences: the cohort, where the school stands overall, what is withheld."""
    answered = sum(a.rank is not None for a in pack.aspects)
    out = [
        f"Cohort: {pack.cohort_schools} school(s) returned this framework"
        + (f" in round {shown_line(pack.round)}." if pack.round else "."),
        f"The framework's levels run {scale_words(fw)}.",
    ]
    if pack.mean_rank is not None:
        text = (
            f"Your average level over the {answered} of {len(pack.aspects)} aspects you judged: "
            f"{average_words(fw, pack.mean_rank)}"
        )
        if pack.cohort_median is not None:
            text += f" ({levels_from(pack.mean_rank, pack.cohort_median)})"
        out.append(text + ".")
    if not pack.stats_shown:
        out.append(
            f"Only {pack.cohort_schools} school(s) are in this cohort. Cohort statistics (median, middle half, "
            f"percentile) are shown from {MIN_COHORT} schools up, so that no school's answers can be worked out from them."
        )
    elif pack.percentile is not None:
        out.append(
            f"Overall percentile: {pack.percentile:.0f}. Your average level is higher than that of "
            f"{pack.percentile:.0f}% of the other schools in the cohort (schools level with you count half)."
        )
    return out + list(pack.groups) + list(pack.awards)


def profile_alt(pack: Pack, fw: Framework) -> str:
    """The profile chart in words, for a screen reader: every aspect's level and the median."""
    parts = [
        f"Chart of your level in each of {len(pack.aspects)} aspects, on the framework's scale "
        f"{scale_words(fw)}"
        + (", against the cohort's median and middle half." if pack.stats_shown else ".")
    ]
    for a in pack.aspects:
        you = _label(fw, a.rank) if a.rank is not None else "not answered"
        line = f"{_aspect_name(a)}: you {you}"
        if a.median is not None:
            line += f"; cohort median {rank_words(fw, a.median)}"
        parts.append(line + ".")
    return " ".join(parts)


def _below(pack: Pack, fw: Framework) -> dict:
    if not pack.stats_shown:
        text = (
            f"This cohort has only {pack.cohort_schools} school(s), fewer than {MIN_COHORT}, so no cohort "
            "median is shown: with so few schools it would all but reveal what the others chose. "
            "Your aspects at your lowest levels are listed instead."
        )
        return {"intro": text, "items": [], "top": 1, "alt": ""}
    every = furthest_below(pack)
    below = every[:12]
    if below:
        intro = (
            f"{len(every)} of your aspects {'is' if len(every) == 1 else 'are'} below the cohort "
            "median (the level of the school in the middle when the cohort's schools are put in "
            "order). The bars show by how many levels, furthest first"
            + (f"; the first {len(below)} are shown." if len(every) > len(below) else ".")
        )
    else:
        intro = "None of your aspects is below the cohort median."
    colours = level_colours(fw.level_count)
    items = [
        {
            "label": _aspect_name(a),
            "gap": a.median - a.rank,
            "colour": colours[a.rank - 1],
            "you": _label(fw, a.rank),
            "median": rank_words(fw, a.median),
        }
        for a in below
    ]
    alt = "Bar chart of the aspects where you are furthest below the cohort median. " + " ".join(
        f"{it['label']}: you {it['you']}, median {it['median']}, {it['gap']:.1f} level(s) below."
        for it in items
    )
    top = max((it["gap"] for it in items), default=1)
    return {"intro": intro, "items": items, "top": top, "alt": alt}


def _above(pack: Pack, fw: Framework) -> dict | None:
    if not pack.stats_shown:
        return None
    above = [
        a for a in pack.aspects if a.rank is not None and a.median is not None and a.rank > a.median
    ]
    above.sort(key=lambda a: (a.median - a.rank, a.code))
    items = [
        f"{_aspect_name(a)}: you {_label(fw, a.rank)}, median {rank_words(fw, a.median)}"
        for a in above[:10]
    ]
    return {
        "heading": "Where you are above the cohort median",
        "items": items,
        "none": "None of your aspects is above the cohort median.",
        "more": f"and {len(above) - 10} more." if len(above) > 10 else None,
    }


def _lowest(pack: Pack, fw: Framework) -> list[str] | None:
    if pack.stats_shown:
        return None
    own = sorted((a for a in pack.aspects if a.rank is not None), key=lambda a: (a.rank, a.code))
    return [f"{_aspect_name(a)}: {_label(fw, a.rank)}" for a in own[:15]]


def _paragraphs(text: str) -> list[str]:
    """A descriptor's paragraphs; a line that starts "- " or "• " becomes a bullet line."""
    out = []
    for para in shown(text).split("\n\n"):
        lines = []
        for line in para.split("\n"):
            stripped = line.lstrip()
            if stripped.startswith(("- ", "• ")):
                lines.append("• " + stripped[2:])
            else:
                lines.append(line)
        out.append("\n".join(lines))
    return [p for p in out if p.strip()]


def _next(pack: Pack, fw: Framework) -> dict:
    chosen = next_step_aspects(pack, fw)
    shown_steps = chosen[:NEXT_STEPS_LIMIT]
    if not shown_steps:
        intro = "There is no next level to describe: every aspect you judged is at the framework's most developed level, or has no descriptors of its own."
        return {"intro": intro, "steps": []}
    order = "weakest against the cohort first" if pack.stats_shown else "lowest level first"
    intro = (
        f"For {len(shown_steps)} of your {len(chosen)} aspects below the most developed level ({order}): "
        "the framework's own description of the next level up"
        + (" and its suggested actions." if _has_actions(fw) else ".")
        + (
            f" The other {len(chosen) - len(shown_steps)} are in your workbook, beside each aspect."
            if len(chosen) > len(shown_steps)
            else ""
        )
    )
    steps = []
    for a in shown_steps:
        nxt = fw.aspect(a.code).descriptor(a.rank + 1)
        where = f"Your level: {_label(fw, a.rank)}."
        if a.median is not None:
            where += f" Cohort median: {rank_words(fw, a.median)}."
        where += f" Next level up: {_label(fw, a.rank + 1)}."
        steps.append(
            {
                "heading": _aspect_name(a),
                "where": where,
                "next_heading": f"Next level up, {_label(fw, a.rank + 1)}: what it looks like",
                "paras": _paragraphs(nxt.text),
                "actions": [
                    {"heading": h, "paras": _paragraphs(nxt.sections[h])}
                    for h in ACTION_SECTIONS
                    if h in nxt.sections
                ],
            }
        )
    return {"intro": intro, "steps": steps}


def _has_actions(fw: Framework) -> bool:
    return any(set(d.sections) & set(ACTION_SECTIONS) for a in fw.aspects for d in a.descriptors)


def _about(pack: Pack, fw: Framework) -> tuple[str, str]:
    text = (
        "Levels are compared by their place on the framework's scale, "
        f"{scale_words(fw)}, whatever the framework's own numbering. "
        "The cohort median is the level of the middle school when all the schools that judged an "
        "aspect are put in order; the middle half (interquartile range) runs from the school a "
        "quarter of the way up to the school three quarters of the way up. The percentile compares "
        "your average level with the other schools' averages. This pack holds your own judgements "
        "and statistics of the whole cohort only: no other school is named in it."
        + (
            f" Statistics of an aspect judged by fewer than {MIN_COHORT} schools are not shown."
            if pack.stats_shown
            else ""
        )
    )
    source = f"Framework: {fw.title}, version {fw.version}. Publisher: {fw.publisher}. Licence: {fw.licence}."
    if fw.attribution and fw.attribution != "not stated":
        source += f" {fw.attribution}"
    return text, shown(source)


def document(pack: Pack, fw: Framework) -> dict:
    """Everything pack.typ shows, as plain JSON-ready values."""
    name = shown_line(pack.school_name) or "School"
    urn = shown_line(pack.school_urn)
    fw_title = shown_line(fw.title)
    round_label = shown_line(pack.round)
    subtitle = name + (f" · URN {urn}" if urn else "")
    subtitle += f" · {fw_title}" + (f" · round {round_label}" if round_label else "")
    footer = name + (f" (URN {urn})" if urn else "")
    footer += f" · {fw.id}" + (f" · round {round_label}" if round_label else "")
    colours = level_colours(fw.level_count)
    n = len(pack.aspects)
    about, source = _about(pack, fw)
    legend = [shown_line(lv.label) for lv in fw.levels]
    if len(legend) >= 2:
        legend[0] += " (least developed)"
        legend[-1] += " (most developed)"
    return {
        "title": f"Benchmark pack: {name} ({fw_title})",
        "keywords": [fw.id, round_label, urn],
        "fonts": matplotlib_families(),
        "subtitle": subtitle,
        "footer": footer if len(footer) <= 120 else footer[:117] + "...",
        "facts": facts(pack, fw),
        "stats_shown": pack.stats_shown,
        "levels": [
            {"label": shown_line(lv.label), "legend": leg, "colour": c}
            for lv, leg, c in zip(fw.levels, legend, colours, strict=True)
        ],
        "aspects": [
            {
                "label": _aspect_name(a),
                "rank": a.rank,
                "colour": colours[a.rank - 1] if a.rank is not None else None,
                "median": a.median,
                "q1": a.q1,
                "q3": a.q3,
            }
            for a in pack.aspects
        ],
        "row_height": round(min(0.9, 18.0 / max(n, 1)), 3),
        "label_size": 7.5 if n <= 14 else 6.8,
        "profile": {"alt": profile_alt(pack, fw)},
        "below": _below(pack, fw),
        "above": _above(pack, fw),
        "lowest": _lowest(pack, fw),
        "next": _next(pack, fw),
        "about": about,
        "source": source,
    }


# --- the PDF --------------------------------------------------------------------------------------

_COMPILER: list = []  # one per process: typst keeps fonts and the parsed template between packs


def _compiler():
    if not _COMPILER:
        import typst

        _COMPILER.append(
            typst.Compiler(str(TEMPLATE), font_paths=typst_font_paths(), ignore_system_fonts=True)
        )
    return _COMPILER[0]


def render_pdf(pack: Pack, fw: Framework) -> bytes:
    """The pack as PDF/UA-1 bytes."""
    data = json.dumps(document(pack, fw), ensure_ascii=False)
    return _compiler().compile(format="pdf", sys_inputs={"pack": data}, pdf_standards=["ua-1"])


def draw_pack(pack: Pack, fw: Framework) -> Path:
    """Write one school's pack: profile, furthest below, next steps, how to read it."""
    path = Path(pack.path)
    pdf = render_pdf(pack, fw)
    write_bytes(path, [pdf])
    return path


# --- in a worker process -----------------------------------------------------------------------


def _init_worker() -> None:
    watch_parent()


def warm() -> None:
    """Load typst, its fonts and the template before the first pack arrives."""
    _compiler()


def _draw_chunk(packs: list[Pack], frameworks: dict[str, Framework]) -> int:
    for pack in packs:
        draw_pack(pack, frameworks[pack.framework])
    return len(packs)
