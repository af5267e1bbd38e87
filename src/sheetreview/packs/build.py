"""Each school's own benchmark pack: a PDF of its levels against the cohort, and what comes next.

A pack goes to one school, so it holds that school's own judgements and cohort statistics only:
the plan for a pack (`Pack`) is built here from the school's rows and the cohort's aggregates, and
the drawing code never sees the cohort's rows, so it cannot print another school's name, URN,
level or evidence. Statistics of fewer than MIN_COHORT schools are withheld (a median of three
schools all but tells each school what the other two chose), and the pack says why.

Statistics come from benchmarks.py, as in the summary, so a pack and the report never disagree.
Pages are drawn with matplotlib `Figure` objects (Agg, no pyplot state) in parallel processes.
"""

from __future__ import annotations

import logging
import math
import textwrap
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.backends.backend_pdf import PdfPages  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.text import Text  # noqa: E402
from matplotlib.textpath import TextPath  # noqa: E402

from sheetreview.core.fs import prune_stale, safe_name, write_atomic  # noqa: E402
from sheetreview.core.out import FILES, read_table  # noqa: E402
from sheetreview.core.parallel import Progress, cpu_count  # noqa: E402
from sheetreview.framework import Framework  # noqa: E402
from sheetreview.report import benchmarks as bm  # noqa: E402
from sheetreview.report.build import load_frameworks, load_responses  # noqa: E402
from sheetreview.report.charts import (  # noqa: E402
    aspect_label,
    level_colours,
    level_legend_labels,
    plain,
)

MIN_COHORT = 5  # fewer schools than this: no median, quartiles or percentile in any pack
NEXT_STEPS_LIMIT = 8  # aspects given "what the next level asks" in full, weakest first
ACTION_SECTIONS = ("How do we get there?", "Some examples of evidence")
A4 = (8.27, 11.69)
MANIFEST = ".sheetreview-packs"  # what the last run wrote here (see feedback.prune_stale)
_RC = {"pdf.fonttype": 3, "font.size": 9, "axes.unicode_minus": False}


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
    percentile: float | None  # None when withheld
    aspects: tuple[AspectLine, ...]

    @property
    def stats_shown(self) -> bool:
        return self.cohort_schools >= MIN_COHORT


@dataclass
class PacksSummary:
    """What `write_packs` wrote; `lines()` is what the CLI prints."""

    dest_dir: Path
    packs: int = 0
    cohorts: list[tuple[str, str, int]] = field(default_factory=list)
    removed: int = 0  # packs of an earlier run for schools no longer in OUT

    def lines(self) -> list[str]:
        out = [f"Wrote {self.packs} benchmark pack(s) to {self.dest_dir}"]
        if self.removed:
            out.append(
                f"Removed {self.removed} pack(s) an earlier run wrote for schools no longer in OUT."
            )
        for fid, rnd, n in self.cohorts:
            what = f"{fid}" + (f", round {rnd}" if rnd else "")
            if n < MIN_COHORT:
                out.append(
                    f"{what}: {n} school(s), fewer than {MIN_COHORT}: its packs show no cohort statistics, to keep each school's answers private."
                )
            else:
                out.append(f"{what}: {n} schools")
        return out


def _float(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _stats_by_code(stats: pd.DataFrame) -> dict[str, tuple]:
    out = {}
    for row in stats.itertuples(index=False):
        n = int(row.n) if pd.notna(row.n) else 0
        shown = n >= MIN_COHORT
        out[row.aspect_code] = (
            n,
            _float(row.median) if shown else None,
            _float(row.q1) if shown else None,
            _float(row.q3) if shown else None,
        )
    return out


def pack_name(urn: str, name: str, framework: str, round_label: str) -> str:
    who = f"{safe_name(urn, 20)}-{safe_name(name)}" if urn else f"no-urn-{safe_name(name)}"
    return f"{who}-{safe_name(framework, 40)}-{safe_name(round_label or 'no-round', 40)}.pdf"


def plan_packs(out_dir: Path, dest_dir: Path) -> tuple[list[Pack], dict[str, Framework], list]:
    """One Pack per school, framework and round, from the OUT that ingest wrote."""
    responses = load_responses(out_dir, read_table(out_dir, FILES, missing_ok=True))
    frameworks = load_frameworks(out_dir, responses)
    stats = bm.aspect_stats(responses, frameworks)
    overall = bm.school_overall(responses, frameworks)
    packs: list[Pack] = []
    cohorts = []
    used: set[str] = set()
    for cohort in bm.cohorts(responses):
        rows = responses[
            (responses["framework"] == cohort.framework) & (responses["round"] == cohort.round)
        ]
        n_schools = rows["school"].nunique()
        cohorts.append((cohort.framework, cohort.round, n_schools))
        by_code = _stats_by_code(_of(stats, cohort))
        positions = _of(overall, cohort).set_index("school")
        fw = frameworks[cohort.framework]
        for school, own in rows.groupby("school", sort=True):
            name = _unique(used, pack_name(*_identity(own), cohort.framework, cohort.round))
            packs.append(
                _pack(dest_dir / name, fw, cohort, own, n_schools, by_code, positions.loc[school])
            )
    return packs, frameworks, cohorts


def _of(table: pd.DataFrame, cohort: bm.Cohort) -> pd.DataFrame:
    return table[(table["framework"] == cohort.framework) & (table["round"] == cohort.round)]


def _identity(own: pd.DataFrame) -> tuple[str, str]:
    return str(own["school_urn"].iloc[0]).strip(), str(own["school_name"].iloc[0]).strip()


def _unique(used: set[str], name: str) -> str:
    stem, n = name[: -len(".pdf")], 1
    while name.casefold() in used:
        n += 1
        name = f"{stem}-{n}.pdf"
    used.add(name.casefold())
    return name


def _pack(
    path: Path,
    fw: Framework,
    cohort: bm.Cohort,
    own: pd.DataFrame,
    n_schools: int,
    by_code: dict,
    position: pd.Series,
) -> Pack:
    ranks = own.drop_duplicates("aspect_code").set_index("aspect_code")["rank"]
    lines = []
    for aspect in fw.aspects:
        n, median, q1, q3 = by_code.get(aspect.code, (0, None, None, None))
        rank = _float(ranks.get(aspect.code))
        lines.append(
            AspectLine(
                aspect.code,
                aspect.title,
                int(rank) if rank is not None else None,
                n,
                median,
                q1,
                q3,
            )
        )
    urn, name = _identity(own)
    shown = n_schools >= MIN_COHORT
    return Pack(
        path=str(path),
        framework=fw.id,
        round=cohort.round,
        school_urn=urn,
        school_name=name,
        cohort_schools=n_schools,
        mean_rank=_float(position["mean_rank"]),
        percentile=_float(position["percentile"]) if shown else None,
        aspects=tuple(lines),
    )


# --- words --------------------------------------------------------------------------------------


def rank_words(fw: Framework, value: float | None) -> str:
    """A rank (perhaps a median between two levels) in the framework's own labels."""
    if value is None:
        return "not shown"
    if float(value).is_integer():
        return fw.level(int(value)).label
    low, high = math.floor(value), math.ceil(value)
    return f"between {fw.level(low).label} and {fw.level(high).label}"


def scale_words(fw: Framework) -> str:
    first, last = fw.levels[0].label, fw.levels[-1].label
    return f"1 = {first} (least developed) to {fw.level_count} = {last} (most developed)"


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


# --- text flowing over pages --------------------------------------------------------------------

_SAMPLE = "The school regularly reviews its vision with staff, governors and learners. " * 2
_PLAIN_SWAPS = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2192": "->", "\u2212": "-"})


def _em_dejavu() -> float:
    """Average width of a character of running English text in DejaVu Sans, in em."""
    return TextPath((0, 0), _SAMPLE, size=1).get_extents().width / len(_SAMPLE)


# Helvetica's average advance over _SAMPLE, from its AFM metrics (bold: 0.464); bold lines are
# short headings, so the regular width is used for wrapping both.
_EM = {"dejavu": _em_dejavu(), "core": 0.427}


def _core_ok(text: str) -> bool:
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


class _CoreText(Text):
    """Text drawn in a PDF core font (Helvetica, not embedded).

    Embedded fonts are laid out glyph by glyph in Python and subset at the end: that made the
    text pages most of a pack's cost. A core font is written as one string per line. Only for
    text that cp1252 can encode; anything else (a Welsh school name with ŵ) uses DejaVu Sans.
    """

    def draw(self, renderer) -> None:
        if matplotlib.rcParams["pdf.use14corefonts"]:
            super().draw(renderer)
            return
        with _core_fonts(True):
            super().draw(renderer)


class _EmbeddedText(Text):
    """Text in DejaVu Sans (embedded) on a page otherwise drawn in the core font."""

    def draw(self, renderer) -> None:
        if not matplotlib.rcParams["pdf.use14corefonts"]:
            super().draw(renderer)
            return
        with _core_fonts(False):
            super().draw(renderer)


class _QuietHelveticaWeight(logging.Filter):
    """The core Helvetica's regular face says "Medium"; asking for "normal" is not a problem."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            str(record.msg).startswith("findfont: Failed to find font weight")
            and "Helvetica" in str(record.args)
        )


logging.getLogger("matplotlib.font_manager").addFilter(_QuietHelveticaWeight())


@contextmanager
def _core_fonts(on: bool):
    """Switch the one setting, not the whole rcParams (rc_context copies all of them)."""
    before = matplotlib.rcParams["pdf.use14corefonts"]
    matplotlib.rcParams["pdf.use14corefonts"] = on
    try:
        yield
    finally:
        matplotlib.rcParams["pdf.use14corefonts"] = before


def _put(fig: Figure, x: float, y: float, text: str, **style) -> None:
    """One line of text at figure coordinates, in the core font where it can be.

    A line hung from the top is placed by its baseline: matplotlib aligns "top" to the tallest
    glyph of each string, so a line with a bracket in it would sit lower than its neighbours.
    """
    if style.get("va") == "top":
        style["va"] = "baseline"
        y -= style.get("fontsize", 9) * 0.8 / 72 / A4[1]
    if _core_ok(text):
        # The core Helvetica's regular face is recorded as weight "medium".
        style.setdefault("weight", "medium")
        fig.add_artist(_CoreText(x, y, text, parse_math=False, **style))
    else:
        fig.add_artist(_EmbeddedText(x, y, text, parse_math=False, **style))


class _Flow:
    """Writes wrapped text down A4 pages, starting a new page when one is full."""

    LEFT, RIGHT, TOP, BOTTOM = 0.08, 0.92, 0.94, 0.07
    LEADING = 1.32

    def __init__(self, pdf: PdfPages, footer: Callable[[Figure, int], None], page: int) -> None:
        self.pdf, self.footer, self.page = pdf, footer, page
        self.fig: Figure | None = None
        self.y = self.TOP

    def _line_height(self, size: float) -> float:
        return size * self.LEADING / 72 / A4[1]

    def _new_page(self) -> None:
        self.close()
        self.fig = Figure(figsize=A4)
        self.y = self.TOP

    def close(self) -> None:
        if self.fig is not None:
            self.page += 1
            self.footer(self.fig, self.page)
            with _core_fonts(True):
                self.pdf.savefig(self.fig)
            self.fig.clear()
            self.fig = None

    def room(self, size: float) -> int:
        return int((self.y - self.BOTTOM) / self._line_height(size)) if self.fig else 0

    def ensure(self, lines: int, size: float = 9) -> None:
        if self.room(size) < lines:
            self._new_page()

    def gap(self, points: float) -> None:
        self.y -= points / 72 / A4[1]

    def wrap(self, text: str, size: float, indent: float) -> list[str]:
        width_in = (self.RIGHT - self.LEFT - indent) * A4[0]
        em = _EM["core" if _core_ok(text) else "dejavu"]
        chars = max(20, int(width_in * 72 / (em * size) * 0.97))
        lines: list[str] = []
        for raw in text.splitlines():
            bullet = raw.lstrip().startswith(("- ", "• "))
            hang = "   " if bullet else ""
            body = "• " + raw.lstrip()[2:] if bullet else raw
            lines.extend(
                textwrap.wrap(body, chars, subsequent_indent=hang, break_on_hyphens=False) or [""]
            )
        return lines

    def text(self, text: str, size: float = 9, indent: float = 0.0, **style) -> None:
        text = text.translate(_PLAIN_SWAPS)
        for line in self.wrap(text, size, indent):
            self.ensure(1, size)
            _put(self.fig, self.LEFT + indent, self.y, line, fontsize=size, va="top", **style)
            self.y -= self._line_height(size)

    def heading(self, text: str, size: float = 12, keep: int = 4) -> None:
        self.ensure(keep + 2, 9)
        self.gap(4)
        self.text(text, size, weight="bold")
        self.gap(2)


# --- pages --------------------------------------------------------------------------------------


def draw_pack(pack: Pack, fw: Framework) -> Path:
    """Write one school's pack: profile, furthest below, next steps, how to read it."""
    path = Path(pack.path)
    with matplotlib.rc_context(_RC):
        write_atomic(path, lambda tmp: _write_pdf(tmp, pack, fw))
    return path


def _write_pdf(tmp: Path, pack: Pack, fw: Framework) -> None:
    meta = {
        "Title": f"Benchmark pack: {pack.school_name} ({fw.title})",
        "Subject": f"{fw.id} {pack.round}".strip(),
        "Creator": "sheetreview",
    }
    # Chart pages hold the framework's own words (ticks, legend) as plain Text: the core font
    # serves them only when it can encode every one of them.
    core = all(_core_ok(t) for t in _framework_words(fw))
    with PdfPages(tmp, metadata=meta) as pdf:
        footer = _footer(pack, fw)
        for n, draw in enumerate((_profile_page, _below_page), 1):
            fig = Figure(figsize=A4)
            draw(fig, pack, fw)
            footer(fig, n)
            with _core_fonts(core):
                pdf.savefig(fig)
            fig.clear()
        flow = _Flow(pdf, footer, page=2)
        _next_steps(flow, pack, fw)
        _about(flow, pack, fw)
        flow.close()


def _framework_words(fw: Framework) -> list[str]:
    return [fw.title, *(lv.label for lv in fw.levels), *(a.code + a.title for a in fw.aspects)]


def _footer(pack: Pack, fw: Framework) -> Callable[[Figure, int], None]:
    left = pack.school_name or "School"
    left += f" (URN {pack.school_urn})" if pack.school_urn else ""
    left += f" · {fw.id}" + (f" · round {pack.round}" if pack.round else "")
    left = textwrap.shorten(left, 120, placeholder="...")

    def footer(fig: Figure, page: int) -> None:
        _put(fig, 0.08, 0.035, left, fontsize=7, color="#606060")
        _put(fig, 0.92, 0.035, f"page {page}", fontsize=7, color="#606060", ha="right")

    return footer


def _lines_at(
    fig: Figure, y: float, text: str, size: float = 9, width: int = 105, hang: str = "", **style
) -> float:
    """Wrapped lines from the top at y (figure fraction); returns the y below them."""
    step = size * 1.35 / 72 / A4[1]
    lines = textwrap.wrap(
        text.translate(_PLAIN_SWAPS), width, subsequent_indent=hang, break_on_hyphens=False
    )
    for line in lines:
        _put(fig, 0.08, y, line, fontsize=size, va="top", **style)
        y -= step
    return y


def _header(fig: Figure, pack: Pack, fw: Framework, title: str) -> float:
    _put(fig, 0.08, 0.955, title, fontsize=15, weight="bold", va="top")
    sub = pack.school_name + (f" · URN {pack.school_urn}" if pack.school_urn else "")
    sub += f" · {fw.title}" + (f" · round {pack.round}" if pack.round else "")
    return _lines_at(fig, 0.925, sub, 9.5, 100) - 0.008


def _facts(pack: Pack, fw: Framework) -> list[str]:
    answered = sum(a.rank is not None for a in pack.aspects)
    out = [
        f"Cohort: {pack.cohort_schools} school(s) returned this framework"
        + (f" in round {pack.round}." if pack.round else "."),
    ]
    if pack.mean_rank is not None:
        out.append(
            f"Your average level: {pack.mean_rank:.1f} over the {answered} of {len(pack.aspects)} aspects you judged, "
            f"on a scale of {scale_words(fw)}."
        )
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
    return out


def _profile_page(fig: Figure, pack: Pack, fw: Framework) -> None:
    y = _header(fig, pack, fw, "Your self-review against the cohort")
    for fact in _facts(pack, fw):
        y = _lines_at(fig, y, fact, 8.5, 112) - 0.005
    # Legends stack up from the footer; the chart takes what is left above its tick labels.
    legend_top = _profile_legend(fig, pack, fw)
    bottom = legend_top + 0.07
    ax = fig.add_axes((0.40, bottom, 0.54, y - 0.02 - bottom))
    _profile_axes(ax, pack, fw)


def _profile_axes(ax, pack: Pack, fw: Framework) -> None:
    colours = level_colours(fw.level_count)
    y = np.arange(len(pack.aspects))
    stats = [(yi, a) for yi, a in zip(y, pack.aspects, strict=True) if a.median is not None]
    if stats:
        ys = [yi for yi, _ in stats]
        ax.barh(
            ys,
            [a.q3 - a.q1 for _, a in stats],
            left=[a.q1 for _, a in stats],
            height=0.55,
            color="#e3e3e3",
            edgecolor="#a6a6a6",
        )
        medians = [a.median for _, a in stats]
        ax.vlines(medians, np.subtract(ys, 0.32), np.add(ys, 0.32), color="#202020", lw=2.2)
    judged = [(yi, a.rank) for yi, a in zip(y, pack.aspects, strict=True) if a.rank is not None]
    if judged:
        ax.scatter(
            [r for _, r in judged],
            [yi for yi, _ in judged],
            s=95,
            c=[colours[r - 1] for _, r in judged],
            edgecolors="#000000",
            zorder=4,
        )
    for yi, a in zip(y, pack.aspects, strict=True):
        if a.rank is None:
            ax.text(0.6, yi, "not answered", va="center", fontsize=7.5, color="#606060")
    _level_axis(ax, fw)
    size = 7.5 if len(y) <= 14 else 6.8
    ax.set_yticks(y, [aspect_label(a.code, a.title, 42) for a in pack.aspects], fontsize=size)
    ax.set_ylim(len(y) - 0.5, -0.5)


def _level_axis(ax, fw: Framework) -> None:
    labels = ["\n".join(textwrap.wrap(plain(lv.label), 12)) for lv in fw.levels]
    ax.set_xticks(range(1, fw.level_count + 1), labels, fontsize=8)
    ax.set_xlim(0.5, fw.level_count + 0.5)
    ax.set_xlabel("least developed  >>  most developed", fontsize=8, color="#404040")
    ax.grid(axis="x", color="#e8e8e8")
    ax.set_axisbelow(True)
    ax.tick_params(axis="y", length=0)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _profile_legend(fig: Figure, pack: Pack, fw: Framework) -> float:
    """Your levels' colours, and the cohort's marks; returns the top of the legends."""
    y = 0.055
    if pack.stats_shown:
        cohort = [
            Patch(facecolor="#e3e3e3", edgecolor="#a6a6a6", label="middle half of schools (IQR)"),
            Line2D([], [], color="#202020", lw=2.2, label="median"),
        ]
        _legend(fig, cohort, y, 2, "The cohort")
        y += 0.045
    colours = level_colours(fw.level_count)
    labels = level_legend_labels([lv.label for lv in fw.levels])
    levels = [
        Line2D([], [], marker="o", ls="", ms=8, mfc=c, mec="#000000", label=label)
        for c, label in zip(colours, labels, strict=True)
    ]
    ncol = len(levels) if sum(len(x) for x in labels) < 90 else 3
    _legend(fig, levels, y, ncol, "Your level")
    return y + 0.018 + 0.018 * math.ceil(len(levels) / ncol)


def _legend(fig: Figure, handles: list, y: float, ncol: int, title: str) -> None:
    fig.legend(
        handles=handles,
        loc="lower center",
        bbox_to_anchor=(0.5, y),
        ncol=ncol,
        fontsize=7.5,
        frameon=False,
        title=title,
        title_fontsize=8,
        borderaxespad=0,
    )


def _below_page(fig: Figure, pack: Pack, fw: Framework) -> None:
    y = _header(fig, pack, fw, "Where you are furthest below the cohort")
    if not pack.stats_shown:
        _lowest_instead(fig, pack, fw, y)
        return
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
    y = _lines_at(fig, y, intro, 9, 105)
    if below:
        height = min(0.055 * len(below) + 0.03, y - 0.30)
        ax = fig.add_axes((0.40, y - 0.03 - height, 0.46, height))
        _below_axes(ax, below, fw)
        y -= height + 0.09
    _above_list(fig, pack, fw, y)


def _below_axes(ax, below: Sequence[AspectLine], fw: Framework) -> None:
    colours = level_colours(fw.level_count)
    gaps = [a.median - a.rank for a in below]
    y = np.arange(len(below))
    ax.barh(y, gaps, color=[colours[a.rank - 1] for a in below], edgecolor="#404040", height=0.6)
    for yi, a, gap in zip(y, below, gaps, strict=True):
        ax.text(
            gap + 0.05,
            yi,
            f"you: {fw.level(a.rank).label}\nmedian: {rank_words(fw, a.median)}",
            va="center",
            fontsize=6.8,
            parse_math=False,
        )
    ax.set_yticks(y, [aspect_label(a.code, a.title, 42) for a in below], fontsize=7.2)
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(len(below) - 0.5, -0.5)
    ax.set_xlim(0, max(gaps) + 1.6)
    ax.set_xlabel("levels below the cohort median", fontsize=8)
    ax.xaxis.set_major_locator(matplotlib.ticker.MultipleLocator(1))
    ax.grid(axis="x", color="#e8e8e8")
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _above_list(fig: Figure, pack: Pack, fw: Framework, y: float) -> None:
    above = [
        a for a in pack.aspects if a.rank is not None and a.median is not None and a.rank > a.median
    ]
    above.sort(key=lambda a: (a.median - a.rank, a.code))
    y = _lines_at(fig, y - 0.02, "Where you are above the cohort median", 11, 80, weight="bold")
    y -= 0.004
    if not above:
        _lines_at(fig, y, "None of your aspects is above the cohort median.", 9)
        return
    for a in above[:10]:
        line = (
            f"{a.code}  {a.title}: you {fw.level(a.rank).label}, median {rank_words(fw, a.median)}"
        )
        y = _lines_at(fig, y, line, 8.5, 110, hang="        ")
    if len(above) > 10:
        _lines_at(fig, y, f"and {len(above) - 10} more.", 8.5)


def _lowest_instead(fig: Figure, pack: Pack, fw: Framework, y: float) -> None:
    text = (
        f"This cohort has only {pack.cohort_schools} school(s), fewer than {MIN_COHORT}, so no cohort "
        "median is shown: with so few schools it would all but reveal what the others chose. "
        "Your aspects at your lowest levels are listed instead."
    )
    y = _lines_at(fig, y, text, 9, 105) - 0.01
    own = sorted((a for a in pack.aspects if a.rank is not None), key=lambda a: (a.rank, a.code))
    for a in own[:15]:
        line = f"{a.code}  {a.title}: {fw.level(a.rank).label}"
        y = _lines_at(fig, y, line, 8.5, 110, hang="        ") - 0.004


def _next_steps(flow: _Flow, pack: Pack, fw: Framework) -> None:
    chosen = next_step_aspects(pack, fw)
    shown = chosen[:NEXT_STEPS_LIMIT]
    flow.heading("What the next level up asks", 14)
    if not shown:
        flow.text(
            "There is no next level to describe: every aspect you judged is at the framework's most developed level, or has no descriptors of its own."
        )
        return
    order = "weakest against the cohort first" if pack.stats_shown else "lowest level first"
    flow.text(
        f"For {len(shown)} of your {len(chosen)} aspects below the most developed level ({order}): "
        "the framework's own description of the next level up"
        + (" and its suggested actions." if _has_actions(fw) else ".")
        + (
            f" The other {len(chosen) - len(shown)} are in your workbook, beside each aspect."
            if len(chosen) > len(shown)
            else ""
        )
    )
    for a in shown:
        _next_step(flow, a, fw)


def _has_actions(fw: Framework) -> bool:
    return any(set(d.sections) & set(ACTION_SECTIONS) for a in fw.aspects for d in a.descriptors)


def _next_step(flow: _Flow, a: AspectLine, fw: Framework) -> None:
    nxt = fw.aspect(a.code).descriptor(a.rank + 1)
    flow.heading(f"{a.code}  {a.title}", 11)
    where = f"Your level: {fw.level(a.rank).label}."
    if a.median is not None:
        where += f" Cohort median: {rank_words(fw, a.median)}."
    where += f" Next level up: {fw.level(a.rank + 1).label}."
    flow.text(where, 8.5, color="#404040")
    flow.gap(3)
    flow.ensure(3)
    flow.text(
        f"Next level up, {fw.level(a.rank + 1).label}: what it looks like", 9.5, weight="bold"
    )
    for para in nxt.text.split("\n\n"):
        flow.text(para, 9)
        flow.gap(3)
    for heading in ACTION_SECTIONS:
        if heading in nxt.sections:
            flow.ensure(3)
            flow.text(heading, 9.5, weight="bold")
            for para in nxt.sections[heading].split("\n\n"):
                flow.text(para, 9)
                flow.gap(3)


def _about(flow: _Flow, pack: Pack, fw: Framework) -> None:
    flow.heading("How to read this pack", 12)
    flow.text(
        "Levels are compared by their place on the framework's scale, from the least developed "
        f"to the most developed ({scale_words(fw)}), whatever the framework's own numbering. "
        "The cohort median is the level of the middle school when all the schools that judged an "
        "aspect are put in order; the middle half (interquartile range) runs from the school a "
        "quarter of the way up to the school three quarters of the way up. The percentile compares "
        "your average level with the other schools' averages. This pack holds your own judgements "
        "and statistics of the whole cohort only: no other school is named in it."
        + (
            f" Statistics of an aspect judged by fewer than {MIN_COHORT} schools are not shown."
            if pack.stats_shown
            else ""
        ),
        8.5,
    )
    flow.gap(6)
    source = f"Framework: {fw.title}, version {fw.version}. Publisher: {fw.publisher}. Licence: {fw.licence}."
    if fw.attribution and fw.attribution != "not stated":
        source += f" {fw.attribution}"
    flow.text(source, 7.5, color="#505050")


# --- the command --------------------------------------------------------------------------------

_WORKER_FRAMEWORKS: dict[str, Framework] = {}


def _init_worker(frameworks: dict[str, Framework]) -> None:
    _WORKER_FRAMEWORKS.update(frameworks)


def _draw_chunk(packs: list[Pack]) -> int:
    for pack in packs:
        draw_pack(pack, _WORKER_FRAMEWORKS[pack.framework])
    return len(packs)


def write_packs(
    out_dir: Path, dest_dir: Path, *, jobs: int | None = None, progress: Progress = None
) -> PacksSummary:
    """A PDF pack per school, framework and round, drawn in parallel processes."""
    out_dir, dest_dir = Path(out_dir), Path(dest_dir)
    packs, frameworks, cohorts = plan_packs(out_dir, dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    summary = PacksSummary(dest_dir, cohorts=cohorts)
    workers = max(1, min(jobs or cpu_count(), len(packs)))
    if workers == 1:
        for done, pack in enumerate(packs, 1):
            draw_pack(pack, frameworks[pack.framework])
            if progress:
                progress(done, len(packs))
    else:
        _draw_parallel(packs, frameworks, workers, progress)
    summary.packs = len(packs)
    summary.removed = prune_stale(dest_dir, MANIFEST, [Path(p.path) for p in packs])
    return summary


def _draw_parallel(
    packs: list[Pack], frameworks: dict[str, Framework], workers: int, progress: Progress
) -> None:
    size = max(1, min(10, math.ceil(len(packs) / (workers * 4))))
    chunks = [packs[i : i + size] for i in range(0, len(packs), size)]
    done = 0
    with ProcessPoolExecutor(
        max_workers=workers, initializer=_init_worker, initargs=(frameworks,)
    ) as pool:
        for future in as_completed([pool.submit(_draw_chunk, c) for c in chunks]):
            done += future.result()
            if progress:
                progress(done, len(packs))
