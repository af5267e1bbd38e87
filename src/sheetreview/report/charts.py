"""Charts of a cohort: level distributions, the school x aspect heatmap, each school's profile.

matplotlib with the Agg backend (no display on a server, and no GUI state shared between the
processes that draw the per-school charts). Every figure is closed once saved: a report draws
thousands and pyplot keeps every open one alive. Each chart is written as PNG at print resolution
and as SVG.

One colour scale for levels is used everywhere, here and in summary.xlsx: ColorBrewer's RdYlBu,
red for the least developed level to blue for the most (ordered, and readable with the common
colour-vision deficiencies, unlike red-to-green).
"""

from __future__ import annotations

import gc
import math
import textwrap
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from PIL import Image

from sheetreview.core.lock import watch_parent  # noqa: E402
from sheetreview.core.parallel import Progress, WorkerPool, cpu_count
from sheetreview.report import glyphs
from sheetreview.report.display import families_for, quiet_glyphs, shown
from sheetreview.report.png import BandedPng


class _Lazy:
    """A matplotlib module imported when first used, with the Agg backend.

    The process that writes a report only hands charts to its workers; importing pyplot there
    cost a noticeable share of a report without school charts (and of every command that reads
    an OUT). Workers import it with their first chart.
    """

    def __init__(self, name: str) -> None:
        self._name = name
        self._module = None

    def __getattr__(self, attr: str) -> object:
        if self._module is None:
            import importlib

            import matplotlib

            matplotlib.use("Agg")
            with _no_property_docs():
                self._module = importlib.import_module(self._name)
            glyphs.install()
        return getattr(self._module, attr)


@contextmanager
def _no_property_docs() -> Iterator[None]:
    """While pyplot is imported, matplotlib writes no list of properties into the docstring of
    each artist class's set() (a third of its import: a quarter of a second of CPU in each
    process that draws). Nothing here reads those docstrings; a class defined afterwards gets
    its list as usual."""
    from matplotlib import artist

    kwdoc = getattr(artist, "kwdoc", None)
    if kwdoc is None:  # another matplotlib: import it as it is
        yield
        return
    artist.kwdoc = lambda _: ""
    try:
        yield
    finally:
        artist.kwdoc = kwdoc


matplotlib = _Lazy("matplotlib")
plt = _Lazy("matplotlib.pyplot")
_colors = _Lazy("matplotlib.colors")
_lines = _Lazy("matplotlib.lines")
_patches = _Lazy("matplotlib.patches")

# Cohort charts are up to 16 inches wide and print at about 10: 150 dpi prints at over 200 dpi,
# with a quarter of the pixels to draw and compress that 300 dpi had.
DPI = 150
MAX_HEATMAP_ROWS = 1000
BLANK_COLOUR = "#d9d9d9"
EDGE_COLOUR = "#595959"
_BREWER = {  # ColorBrewer RdYlBu, least developed first
    2: ["#d7191c", "#2c7bb6"],
    3: ["#fc8d59", "#ffffbf", "#91bfdb"],
    4: ["#d7191c", "#fdae61", "#abd9e9", "#2c7bb6"],
    5: ["#d7191c", "#fdae61", "#ffffbf", "#abd9e9", "#2c7bb6"],
    6: ["#d73027", "#fc8d59", "#fee090", "#e0f3f8", "#91bfdb", "#4575b4"],
    7: ["#d73027", "#fc8d59", "#fee090", "#ffffbf", "#e0f3f8", "#91bfdb", "#4575b4"],
}
_RC = {"svg.fonttype": "none", "font.size": 9, "axes.titlesize": 11, "axes.titleweight": "bold"}


def _rc(*texts: Iterable[str]) -> dict:
    """The charts' settings, with the fonts that cover the scripts of every text drawn."""
    return {**_RC, "font.family": families_for(texts)}


def _texts(aspects: Aspects) -> list[str]:
    """Every text a chart of these aspects draws that did not come from the chart's own code."""
    return [*aspects.codes, *aspects.titles, *aspects.level_labels, aspects.heading]


def level_colours(n: int) -> list[str]:
    """n colours, least developed level first (hex, as xlsxwriter and matplotlib both take)."""
    if n in _BREWER:
        return list(_BREWER[n])
    cmap = matplotlib.colormaps["RdYlBu"]
    return [_colors.to_hex(cmap(x)) for x in np.linspace(0.05, 0.95, max(n, 1))]


def text_colour(background: str) -> str:
    """Black or white, whichever reads better on `background` (WCAG relative luminance)."""
    rgb = [int(background.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    channels = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    luminance = 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]
    return "#000000" if luminance > 0.22 else "#ffffff"


def plain(text: str) -> str:
    """Text from a return, shown as typed: a `$` must not start matplotlib's mathtext, and
    invisible characters (a pasted byte-order mark, a bidi override) are not drawn."""
    return shown(text).replace("$", r"\$")


def short_name(name: str, width: int) -> str:
    """A name cut to `width` characters on one line; a long single word is cut, not dropped
    (textwrap.shorten turns it into a bare "...")."""
    text = " ".join(plain(name).split())
    return text if len(text) <= width else text[: width - 3].rstrip() + "..."


def level_legend_labels(labels: Sequence[str]) -> list[str]:
    """Legend entries that say which end is which (edtech-srf's "1" is the most developed)."""
    out = [plain(x) for x in labels]
    if len(out) >= 2:
        out[0] += " (least developed)"
        out[-1] += " (most developed)"
    return out


def aspect_label(code: str, title: str, width: int = 46, lines: int = 3) -> str:
    """Code and title, wrapped to at most `lines` lines so neighbouring labels never touch."""
    text = f"{plain(code)}  {plain(title)}"
    return "\n".join(textwrap.wrap(text, width=width, max_lines=lines, placeholder="..."))


def row_inches(labels: list[str]) -> float:
    """Height of one bar's row: room for its label's lines at 9 points, never less than 0.5 in."""
    lines = max((label.count("\n") + 1 for label in labels), default=1)
    return max(0.5, 0.1 + 0.17 * lines)


def heading(title: str, subtitle: str, width: int = 90) -> str:
    """A chart title: its first line, then the (long) framework heading wrapped under it."""
    return "\n".join([plain(title), *textwrap.wrap(plain(subtitle), width=width)])


@dataclass(frozen=True)
class Aspects:
    """What a cohort chart needs about its aspects, in the framework's order."""

    codes: list[str]
    titles: list[str]
    level_labels: list[str]
    heading: str  # framework title, version and round


def _labels(aspects: Aspects, width: int = 44) -> list[str]:
    return [aspect_label(c, t, width) for c, t in zip(aspects.codes, aspects.titles, strict=True)]


def _save(fig: Figure, base: Path, formats: Sequence[str] = ("png",)) -> list[Path]:
    """The PNG, and the SVG when asked for (vector output lays out every text again)."""
    base.parent.mkdir(parents=True, exist_ok=True)
    paths = [base.with_suffix(".png")] + ([base.with_suffix(".svg")] if "svg" in formats else [])
    try:
        with quiet_glyphs():
            _save_png(fig, paths[0])
            if len(paths) > 1:
                fig.savefig(paths[1], bbox_inches="tight", metadata={"Date": None})
    finally:
        plt.close(fig)
        # A closed figure sits in reference cycles with its 40 MB print-resolution buffer until
        # the cyclic collector runs: without this a worker grows by that much per chart.
        gc.collect()
        _freeze_once()
    return paths


def _save_png(fig: Figure, path: Path) -> None:
    """The chart as an 8-bit PNG, drawn once.

    savefig(bbox_inches="tight") lays the whole figure out to find its bounds, then draws it
    again at the size found, laying every text out again for the new canvas: a third of a
    chart's time. Here the figure is drawn once on a canvas with room to spare around its axes
    (which keep their size in inches, so nothing moves) and cropped to the same bounds.
    A chart holds a few dozen flat colours and their anti-aliased edges: compressing a quarter
    of the bytes of a 32-bit PNG (its alpha channel opaque everywhere) took longer than drawing.
    """
    from PIL import Image

    pixels = _drawn_once(fig) if len(fig.axes) == 1 and not (fig.texts or fig.legends) else None
    if pixels is None:  # something outside the room to spare: matplotlib's own crop
        fig.savefig(path, dpi=DPI, bbox_inches="tight", metadata={"Software": None})
        return
    indexed = pixels.quantize(palette=chart_palette(pixels), dither=Image.Dither.NONE)
    indexed.save(path, format="png", dpi=(DPI, DPI), compress_level=1)


def _drawn_once(fig: Figure) -> Image.Image | None:
    """The figure's pixels within its tight bounds (as savefig pads them), or None when
    something reaches beyond the room given."""
    from PIL import Image

    width, height = fig.get_size_inches()
    ax = fig.axes[0]
    x0, y0, w, h = ax.get_position().bounds
    wide, tall = width + 2 * _ROOM, height + 2 * _ROOM
    fig.set_size_inches(wide, tall)
    ax.set_position(
        (
            (x0 * width + _ROOM) / wide,
            (y0 * height + _ROOM) / tall,
            w * width / wide,
            h * height / tall,
        )
    )
    fig.set_dpi(DPI)
    fig.canvas.draw()
    box = fig.get_tightbbox(fig.canvas.get_renderer()).padded(plt.rcParams["savefig.pad_inches"])
    if box.x0 < 0 or box.y0 < 0 or box.x1 > wide or box.y1 > tall:
        return None
    left, top = round(box.x0 * DPI), round((tall - box.y1) * DPI)
    right, bottom = left + int(box.width * DPI), top + int(box.height * DPI)
    canvas = Image.frombuffer(
        "RGBA",
        fig.canvas.get_width_height(physical=True),
        fig.canvas.buffer_rgba(),
        "raw",
        "RGBA",
        0,
        1,
    )
    return canvas.crop((left, top, right, bottom)).convert("RGB")


_ROOM = 4.0  # inches of canvas around a chart's axes, for its labels, title and legend


def chart_palette(pixels: Image.Image, exact: Sequence[tuple[int, int, int]] = ()) -> Image.Image:
    """256 colours for `pixels`: `exact` and every flat colour exactly, the blends of their
    anti-aliased edges approximately.

    A flat colour is one that covers a noticeable share of the chart (a fill, the background,
    the text); those stay exactly as drawn, so white stays white and a level's colour is the
    level's colour. The blends are sampled by an octree and kept only where no flat colour is
    near: PIL maps pixels to a palette through a coarse colour cache, and a blend next to a
    flat colour could take that colour's pixels.
    """
    from PIL import Image

    counted = pixels.getcolors(1 << 16) or []
    counted.sort(reverse=True)
    if 0 < len(counted) <= 256 and not set(exact) - {c for _, c in counted}:
        colours = [c for _, c in counted]
    else:
        floor = pixels.width * pixels.height * _FLAT_SHARE
        flat = list(dict.fromkeys([*exact, *(c for n, c in counted if n >= floor)]))[:128]
        # Every third pixel of every third row is sample enough for the blends, at a ninth of
        # the cost of sampling them all.
        sample = Image.fromarray(np.asarray(pixels)[::3, ::3])
        found = sample.quantize(256 - len(flat), method=Image.Quantize.FASTOCTREE).getpalette()
        blends = [tuple(found[i : i + 3]) for i in range(0, len(found or []), 3)]
        colours = flat + [b for b in blends if min(_distance(b, f) for f in flat) > 12]
    palette = Image.new("P", (1, 1))
    palette.putpalette([v for colour in colours[:256] for v in colour])
    return palette


_FLAT_SHARE = 0.0005  # a colour covering this share of a chart's pixels is one of its own
_FROZEN = False


def _freeze_once() -> None:
    """After a worker's first chart, everything it keeps (matplotlib, fonts, caches) is set
    aside from the cyclic collector: each later chart's collection then looks only at what that
    chart made, not at the hundreds of thousands of objects a worker holds. Not in the process
    that writes the report (charts drawn in-line): what it holds must stay collectable."""
    global _FROZEN
    import multiprocessing

    if not _FROZEN and multiprocessing.parent_process() is not None:
        gc.freeze()
        _FROZEN = True


# --- distribution -----------------------------------------------------------------------------


def distribution_chart(
    aspects: Aspects, counts: np.ndarray, base: Path, formats: Sequence[str] = ("png",)
) -> list[Path]:
    """100% stacked horizontal bars: the share of schools at each level, one bar per aspect.

    `counts` is aspects x levels (least developed first).
    """
    colours = level_colours(len(aspects.level_labels))
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.divide(100 * counts, totals, out=np.zeros(counts.shape), where=totals > 0)
    labels = [aspect_label(c, t) for c, t in zip(aspects.codes, aspects.titles, strict=True)]
    with plt.rc_context(_rc(_texts(aspects))):
        fig, ax = plt.subplots(figsize=(11, 1.6 + row_inches(labels) * len(labels)))
        _stacked_bars(ax, shares, colours)
        ax.set_yticks(range(len(aspects.codes)))
        ax.set_yticklabels(labels)
        ax.invert_yaxis()
        _n_labels(ax, totals[:, 0])
        ax.set_xlim(0, 100)
        ax.set_xlabel("Share of schools that answered (%)")
        ax.set_title(heading("Levels chosen per aspect", aspects.heading), loc="left")
        ax.legend(
            handles=[
                _patches.Patch(facecolor=c, edgecolor=EDGE_COLOUR, label=lbl)
                for c, lbl in zip(colours, level_legend_labels(aspects.level_labels), strict=True)
            ],
            loc="upper center",
            bbox_to_anchor=(0.5, -0.6 / fig.get_figheight() - 0.02),
            ncol=min(len(colours), 5),
            frameon=False,
        )
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        return _save(fig, base, formats)


def _stacked_bars(ax: Axes, shares: np.ndarray, colours: list[str]) -> None:
    left = np.zeros(shares.shape[0])
    y = np.arange(shares.shape[0])
    for level, colour in enumerate(colours):
        width = shares[:, level]
        ax.barh(
            y, width, left=left, color=colour, edgecolor=EDGE_COLOUR, linewidth=0.4, height=0.72
        )
        for yi, (x0, w) in enumerate(zip(left, width, strict=True)):
            if w >= 7:
                ax.text(
                    x0 + w / 2,
                    yi,
                    f"{w:.0f}%",
                    ha="center",
                    va="center",
                    fontsize=7.5,
                    color=text_colour(colour),
                )
        left = left + width


def _n_labels(ax: Axes, totals: np.ndarray) -> None:
    for yi, n in enumerate(totals):
        ax.text(101, yi, f"n={int(n)}", va="center", fontsize=7.5, color="#404040")


# --- heatmap ----------------------------------------------------------------------------------


def heatmap_chart(
    aspects: Aspects,
    schools: list[str],
    ranks: np.ndarray,
    base: Path,
    formats: Sequence[str] = ("png",),
) -> list[Path]:
    """School x aspect grid coloured by level; `ranks` is schools x aspects, 0 where blank.

    Schools come in the order given (the caller puts the strongest first). Names are shown while
    they can be read; beyond that the grid alone shows the pattern.
    """
    n_levels = len(aspects.level_labels)
    colours = [BLANK_COLOUR, *level_colours(n_levels)]
    rows, cols = ranks.shape
    named = rows <= 80
    height = 2.2 + 0.22 * rows if named else min(2.2 + 0.02 * rows, 12)
    shown = _thin_rows(ranks)
    with plt.rc_context(_rc(_texts(aspects), schools)):
        fig, ax = plt.subplots(figsize=(min(3.5 + 0.34 * cols, 16), max(height, 4)))
        # A mesh of cells, not an image: matplotlib resamples an image in float64 at print
        # resolution (600 MB for a large cohort); big meshes are rasterised in the SVG.
        ax.pcolormesh(
            shown,
            cmap=_colors.ListedColormap(colours),
            vmin=-0.5,
            vmax=n_levels + 0.5,
            edgecolors="#ffffff" if named else "face",
            linewidth=0.6 if named else 0,
            rasterized=shown.size > 5000,
        )
        ax.set_xlim(0, cols)
        ax.set_ylim(shown.shape[0], 0)
        ax.set_xticks(np.arange(cols) + 0.5)
        ax.set_xticklabels([plain(c) for c in aspects.codes], rotation=90, fontsize=8)
        ax.xaxis.tick_top()
        _heatmap_rows(ax, schools, named)
        _cell_labels(ax, ranks, aspects.level_labels, colours)
        ax.set_title(
            heading("Level per school and aspect", aspects.heading, 70), loc="left", pad=12
        )
        handles = [
            _patches.Patch(facecolor=c, edgecolor=EDGE_COLOUR, label=lbl)
            for c, lbl in zip(colours[1:], level_legend_labels(aspects.level_labels), strict=True)
        ]
        handles.append(
            _patches.Patch(facecolor=BLANK_COLOUR, edgecolor=EDGE_COLOUR, label="not answered")
        )
        ax.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(1.01, 1),
            frameon=False,
            title="Level",
        )
        return _save(fig, base, formats)


def _heatmap_rows(ax: Axes, schools: list[str], named: bool) -> None:
    if named:
        ax.set_yticks(np.arange(len(schools)) + 0.5)
        ax.set_yticklabels([short_name(s, 40) for s in schools], fontsize=8)
    else:
        ax.set_yticks([])
        every = math.ceil(len(schools) / MAX_HEATMAP_ROWS)
        note = f" (one school in every {every} shown)" if every > 1 else ""
        ax.set_ylabel(f"{len(schools):,} schools, highest mean level at the top{note}")


def _thin_rows(ranks: np.ndarray) -> np.ndarray:
    """Every k-th row of a grid taller than a printed page can show.

    The page has fewer than 4,000 pixel rows; rows are sorted by mean level, so evenly spaced
    ones keep the picture.
    """
    every = math.ceil(ranks.shape[0] / MAX_HEATMAP_ROWS)
    return ranks[::every] if every > 1 else ranks


def _cell_labels(ax: Axes, ranks: np.ndarray, labels: Sequence[str], colours: list[str]) -> None:
    """Level labels inside the cells, when short and few enough to be read.

    Each label is drawn as one shape repeated over its cells (a collection, like a scatter's
    markers), not a text artist per cell: laying out 1,500 texts was most of a heatmap's cost.
    """
    if ranks.size > 1500 or max(len(lbl) for lbl in labels) > 3:
        return
    from matplotlib.collections import PathCollection
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextPath
    from matplotlib.transforms import Affine2D, IdentityTransform

    font = FontProperties(family=families_for([labels]), size=7)
    for value in range(1, len(labels) + 1):
        rows, cols = np.nonzero(ranks == value)
        if not len(rows):
            continue
        glyphs = TextPath((0, 0), plain(labels[value - 1]), prop=font)
        box = glyphs.get_extents()
        centred = Affine2D().translate(-box.x0 - box.width / 2, -box.y0 - box.height / 2)
        ax.add_collection(
            PathCollection(
                [centred.transform_path(glyphs)],
                sizes=[1.0],  # 1 point squared: the path keeps its size in points
                offsets=np.column_stack([cols + 0.5, rows + 0.5]),
                offset_transform=ax.transData,
                transform=IdentityTransform(),  # the sizes scale the path to pixels, as scatter's
                facecolors=text_colour(colours[value]),
                edgecolors="none",
                zorder=3,
            ),
            autolim=False,
        )


# --- progress between rounds -------------------------------------------------------------------

MOVE_COLOURS = {"up": "#2c7bb6", "down": "#d7191c", "same": "#8c8c8c"}


def medians_by_round_chart(
    aspects: Aspects,
    rounds: list[str],
    medians: np.ndarray,
    base: Path,
    formats: Sequence[str] = ("png",),
) -> list[Path]:
    """The cohort median of each aspect in each round (aspects x rounds), joined in round order.

    Rounds are drawn in shades of purple, light to dark, so they never read as levels.
    """
    n = len(aspects.codes)
    y = np.arange(n)
    shades = [
        _colors.to_hex(c)
        for c in matplotlib.colormaps["Purples"](np.linspace(0.35, 0.95, len(rounds)))
    ]
    with plt.rc_context(_rc(_texts(aspects), rounds)):
        fig, ax = plt.subplots(figsize=(10, 2 + row_inches(_labels(aspects)) * n))
        for i in range(n):
            ax.plot(medians[i], [y[i]] * len(rounds), color="#bdbdbd", linewidth=1.5, zorder=1)
        ax.plot([], [], color="#bdbdbd", linewidth=1.5, label="change (one dot: no change)")
        for j, (label, shade) in enumerate(zip(rounds, shades, strict=True)):
            ax.scatter(
                medians[:, j],
                y,
                s=90,
                color=shade,
                edgecolors="#303030",
                linewidths=0.6,
                zorder=2 + j,
                label=f"round {plain(label)}",
            )
        _level_axis(ax, aspects, y)
        ax.set_title(
            heading("Cohort median per aspect, round by round", aspects.heading, 70), loc="left"
        )
        ax.legend(
            loc="upper center",
            bbox_to_anchor=(0.5, -0.7 / fig.get_figheight() - 0.03),
            ncol=min(len(rounds) + 1, 4),
            frameon=False,
        )
        return _save(fig, base, formats)


def _level_axis(ax: Axes, aspects: Aspects, y: np.ndarray) -> None:
    """Aspects down the side, the framework's levels along the bottom."""
    levels = aspects.level_labels
    ax.set_yticks(y)
    ax.set_yticklabels(_labels(aspects))
    ax.invert_yaxis()
    ax.set_xticks(range(1, len(levels) + 1))
    ax.set_xticklabels(level_legend_labels(levels), fontsize=8)
    ax.set_xlim(0.5, len(levels) + 0.5)
    ax.grid(axis="x", color="#eeeeee")
    ax.set_axisbelow(True)


def slope_chart(
    aspects: Aspects,
    rounds: list[str],
    schools: list[str],
    means: np.ndarray,
    base: Path,
    formats: Sequence[str] = ("png",),
) -> list[Path]:
    """Each school's mean level_rank round by round (schools x rounds, NaN where absent).

    Blue: higher in its last round than its first; red: lower; grey: no change. A school seen in
    one round only is a hollow dot.
    """
    x = np.arange(len(rounds))
    labelled = len(schools) <= 30
    with plt.rc_context(_rc(_texts(aspects), rounds, schools)):
        fig, ax = plt.subplots(figsize=(8 if labelled else 6.5, 7))
        alpha = 1.0 if len(schools) <= 50 else max(0.08, 50 / len(schools))
        ends = [_slope_line(ax, x, row, alpha) for row in means]
        if labelled:
            _end_labels(ax, schools, ends, len(aspects.level_labels))
        levels = aspects.level_labels
        ax.set_yticks(range(1, len(levels) + 1))
        ax.set_yticklabels(level_legend_labels(levels), fontsize=8)
        ax.set_ylim(0.8, len(levels) + 0.2)
        ax.set_ylabel("Mean level over the school's answered aspects")
        ax.set_xticks(x)
        ax.set_xticklabels([f"round {plain(r)}" for r in rounds])
        ax.set_xlim(-0.3, len(rounds) - 1 + (1.0 if labelled else 0.3))
        ax.grid(axis="y", color="#eeeeee")
        ax.set_title(
            heading("Each school's movement between rounds", aspects.heading, 60), loc="left"
        )
        ax.legend(
            handles=_slope_handles(),
            loc="upper center",
            bbox_to_anchor=(0.5, -0.08),
            ncol=2,
            frameon=False,
        )
        return _save(fig, base, formats)


def _slope_line(ax: Axes, x: np.ndarray, row: np.ndarray, alpha: float) -> tuple:
    """One school's line; returns where its label goes: (x, y, colour), or None."""
    seen = ~np.isnan(row)
    if not seen.any():
        return None
    if seen.sum() < 2:
        ax.scatter(
            x[seen], row[seen], s=30, facecolors="none", edgecolors="#606060", alpha=alpha, zorder=3
        )
        return (x[seen][-1], row[seen][-1], "#606060")
    first, last = row[seen][0], row[seen][-1]
    move = "up" if last > first else "down" if last < first else "same"
    colour = MOVE_COLOURS[move]
    ax.plot(x[seen], row[seen], color=colour, marker="o", markersize=4, linewidth=1.2, alpha=alpha)
    return (x[seen][-1], last, colour)


def _end_labels(ax: Axes, schools: list[str], ends: list, n_levels: int) -> None:
    """Names beside the line ends, nudged apart so that none overlaps another."""
    placed = sorted((e[0], e[1], e[2], name) for name, e in zip(schools, ends, strict=True) if e)
    gap = (n_levels - 0.6) / 45  # a line of 7-point text, with room, on a 7-inch axis
    for column in sorted({p[0] for p in placed}):
        here = sorted((p for p in placed if p[0] == column), key=lambda p: p[1])
        ys = spread([p[1] for p in here], gap)
        for (xe, _, colour, name), ye in zip(here, ys, strict=True):
            text = short_name(name, 28)
            ax.text(xe + 0.06, ye, text, va="center", fontsize=7, color=colour)


def spread(values: list[float], gap: float) -> list[float]:
    """Sorted positions moved apart to at least `gap`: each crowded group centred where it was."""
    groups = [[v] for v in values]
    merged = True
    while merged:
        merged, out = False, []
        for group in groups:
            if out and _start(out[-1], gap) + len(out[-1]) * gap > _start(group, gap):
                out[-1] = out[-1] + group
                merged = True
            else:
                out.append(group)
        groups = out
    return [_start(g, gap) + i * gap for g in groups for i in range(len(g))]


def _start(group: list[float], gap: float) -> float:
    return sum(group) / len(group) - (len(group) - 1) * gap / 2


def _slope_handles() -> list:
    lines = [
        _lines.Line2D([], [], color=MOVE_COLOURS[k], marker="o", markersize=4, label=label)
        for k, label in (("up", "moved up"), ("down", "moved down"), ("same", "no change"))
    ]
    lines.append(
        _lines.Line2D(
            [],
            [],
            linestyle="",
            marker="o",
            markerfacecolor="none",
            markeredgecolor="#606060",
            label="in one round only",
        )
    )
    return lines


# --- one school's profile ---------------------------------------------------------------------

# 9 inches wide at 120 dpi: over 150 dpi when printed across an A4 page, and a sixth of the pixels
# of 300 dpi (encoding the PNG is most of a profile's cost).
PROFILE_DPI = 120
# A worker draws a cohort's background once (about as long as 20 profiles take): a small cohort
# goes to one worker rather than each drawing its background for a few schools.
PROFILES_PER_TASK = 16


@dataclass(frozen=True)
class Profile:
    """One school's levels against its cohort: plain values, cheap to send to a worker."""

    school: str
    position: str  # its overall position, one line, in words
    aspects: Aspects
    ranks: list[float]  # NaN where the school left it blank
    medians: list[float]
    q1: list[float]
    q3: list[float]
    base: str  # output path without suffix

    def cohort_key(self) -> tuple:
        """What every school of a cohort shares: the part of the chart drawn once."""
        a = self.aspects
        return (
            tuple(a.codes),
            tuple(a.titles),
            tuple(a.level_labels),
            a.heading,
            *(_comparable(values) for values in (self.medians, self.q1, self.q3)),
        )


def _comparable(values: Sequence[float]) -> tuple:
    """Values as a key: NaN (an aspect nobody answered) is equal to itself here."""
    return tuple("nan" if isinstance(v, float) and math.isnan(v) else v for v in values)


def school_title(school: str, width: int = 84, lines: int = 2) -> list[str]:
    """A school's name on at most `lines` lines: a long one-word name is broken, never "..."."""
    wrapped = textwrap.wrap(plain(school), width=width, break_long_words=True) or [""]
    if len(wrapped) > lines:
        wrapped = wrapped[:lines]
        wrapped[-1] = wrapped[-1][: width - 3].rstrip() + "..."
    return wrapped


# The greys a profile is drawn with: its IQR bars and their edges, median marks, grid and notes.
IQR_FILL, IQR_EDGE, MEDIAN_MARK, GRID, NOTE = "#e3e3e3", "#bdbdbd", "#303030", "#eeeeee", "#606060"
DOT_AREA = 120  # a school's dot, in points squared
_PROFILE_GREYS = (IQR_FILL, IQR_EDGE, MEDIAN_MARK, GRID, NOTE)


def _distance(a: Sequence[int], b: Sequence[int]) -> int:
    return max(abs(x - y) for x, y in zip(a, b, strict=True))


class ProfileCanvas:
    """A cohort's profile chart drawn once; each school's dots and title are drawn on a copy.

    Everything but the school's own marks (axes, aspect labels, the cohort's medians and middle
    halves, legend) is the same for every school of a cohort. It is rendered once; per school
    the saved background is restored and only the dots, the "not answered" notes and the title
    are drawn over it (matplotlib's blitting), then the pixels are cropped as a tight bounding
    box would and written as PNG. That is a fraction of building and laying out a figure.
    """

    HEADROOM = 1.4  # inches above the axes for the title (cropped away when unused)

    def __init__(self, first: Profile, dpi: int = PROFILE_DPI) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        aspects = first.aspects
        self.dpi = dpi
        n = len(aspects.codes)
        levels = aspects.level_labels
        self.colours = level_colours(len(levels))
        self.y = np.arange(n)
        height = 2 + row_inches(_labels(aspects)) * n
        self.aspects = aspects
        with plt.rc_context(_rc(_texts(aspects))):
            self.fig = Figure(figsize=(9, height + self.HEADROOM), dpi=dpi)
            self.canvas = FigureCanvasAgg(self.fig)
            total = height + self.HEADROOM
            bottom = 1.0 / total  # room for the level labels and the legend under them
            top = 1 - (self.HEADROOM + 0.25) / total
            ax = self.fig.add_axes((0.42, bottom, 0.55, top - bottom))
            self.ax = ax
            ax.barh(
                self.y,
                np.subtract(first.q3, first.q1),
                left=first.q1,
                height=0.5,
                color=IQR_FILL,
                edgecolor=IQR_EDGE,
                linewidth=0.5,
                label="cohort: middle half of schools (IQR)",
            )
            ax.scatter(
                first.medians,
                self.y,
                marker="|",
                s=260,
                linewidths=2.2,
                color=MEDIAN_MARK,
                label="cohort median",
                zorder=3,
            )
            ax.set_yticks(self.y)
            ax.set_yticklabels(_labels(aspects))
            ax.invert_yaxis()
            ax.set_xticks(range(1, len(levels) + 1))
            ax.set_xticklabels(level_legend_labels(levels), fontsize=8)
            ax.set_xlim(0.5, len(levels) + 0.5)
            ax.set_ylim(n - 0.5, -0.5)
            ax.grid(axis="x", color=GRID)
            ax.set_axisbelow(True)
            self.fig.legend(
                handles=[*ax.get_legend_handles_labels()[0], _school_handle()],
                loc="lower center",
                bbox_to_anchor=(0.5, 0.1 / total),
                ncol=3,
                frameon=False,
            )
            self.dots = ax.scatter(
                [], [], s=DOT_AREA, edgecolors="#000000", linewidths=1, zorder=4, animated=True
            )
            self.blanks = [
                ax.text(
                    0.55,
                    yi,
                    "not answered",
                    va="center",
                    fontsize=7.5,
                    color=NOTE,
                    style="italic",
                    animated=True,
                )
                for yi in self.y
            ]
            # The cohort's heading is the same for every school: it is part of the background,
            # under the school's own lines, so only those are drawn per school.
            heading = self.fig.text(
                0.02,
                top + 0.12 / total,
                "\n".join(textwrap.wrap(plain(aspects.heading), 100)),
                va="bottom",
                ha="left",
                fontsize=9.5,
            )
            self.title = self.fig.text(
                0.02, top, " ", va="bottom", ha="left", fontsize=11, weight="bold", animated=True
            )
            # A dot's radius in pixels: its area is given in points squared, its edge is 1 pt.
            self.dot_radius = (math.sqrt(DOT_AREA) / 2 + 1) * dpi / 72
            with quiet_glyphs():
                self._render_background(heading, first)

    def _render_background(self, heading: object, first: Profile) -> None:
        self.canvas.draw()
        renderer = self.canvas.get_renderer()
        above = heading.get_window_extent(renderer).y1 + 0.04 * self.dpi
        self.title.set_y(self.fig.transFigure.inverted().transform((0, above))[1])
        self.background = self.canvas.copy_from_bbox(self.fig.bbox)
        self.static_box = self.fig.get_tightbbox(renderer).transformed(self.fig.dpi_scale_trans)
        self.palette = self._palette(first)
        self.canvas.restore_region(self.background)
        indexed = self._indexed()
        # Each school's image is the background's indices with its marks' boxes mapped again
        # (a few percent of the pixels), written by a PNG writer that keeps the background's
        # rows deflated: most rows are the background's, byte for byte.
        self.indices = np.asarray(indexed).copy()
        self.png = BandedPng(self.indices.copy(), indexed.getpalette() or [], self.dpi)

    def draw(self, p: Profile) -> list[tuple[int, int, int, int]]:
        """Restore the cohort's background and draw this school's marks and title on it.

        Returns the boxes the marks were drawn in: everything else is the background's.
        """
        values = np.array(p.ranks, dtype=float)
        answered = ~np.isnan(values)
        self.dots.set_offsets(np.column_stack([values[answered], self.y[answered]]))
        self.dots.set_facecolors([self.colours[int(v) - 1] for v in values[answered]])
        title = [*school_title(p.school), *textwrap.wrap(plain(f"{p.position}."), 90)]
        self.title.set_text("\n".join(title))
        self.title.set_family(families_for([title]))
        self.canvas.restore_region(self.background)
        drawn = [self.title]
        with quiet_glyphs():
            self.ax.draw_artist(self.dots)
            for text, blank in zip(self.blanks, ~answered, strict=True):
                if blank:
                    self.ax.draw_artist(text)
                    drawn.append(text)
            self.fig.draw_artist(self.title)
        return self._marked(drawn)

    def _marked(self, texts: list) -> list[tuple[int, int, int, int]]:
        """The boxes (left, top, right, bottom, in pixels) that the last school's marks touched."""
        renderer = self.canvas.get_renderer()
        height = int(self.fig.bbox.height)
        pad = 3
        boxes = []
        for text in texts:
            b = text.get_window_extent(renderer)
            boxes.append((b.x0 - pad, height - b.y1 - pad, b.x1 + pad, height - b.y0 + pad))
        radius = self.dot_radius + pad
        for x, y in self.ax.transData.transform(self.dots.get_offsets()):
            boxes.append((x - radius, height - y - radius, x + radius, height - y + radius))
        width = int(self.fig.bbox.width)
        return [
            (
                max(0, int(x0)),
                max(0, int(y0)),
                min(width, math.ceil(x1)),
                min(height, math.ceil(y1)),
            )
            for x0, y0, x1, y1 in boxes
        ]

    def crop_box(self) -> tuple[int, int, int, int]:
        """The tight box (left, top, right, bottom, in pixels) of the chart and its title."""
        renderer = self.canvas.get_renderer()
        box = self.title.get_window_extent(renderer)
        width, height = int(self.fig.bbox.width), int(self.fig.bbox.height)
        pad = 0.1 * self.dpi
        static = self.static_box
        left = max(0, int(static.x0 - pad))
        right = min(width, int(math.ceil(max(static.x1, box.x1) + pad)))
        top = max(0, int(height - max(static.y1, box.y1) - pad))
        bottom = min(height, int(math.ceil(height - static.y0 + pad)))
        return left, top, right, bottom

    def _pixels(self, box: tuple[int, int, int, int] | None = None) -> Image.Image:
        """The canvas as an RGB image, cropped to `box` (left, top, right, bottom)."""
        from PIL import Image

        width, height = int(self.fig.bbox.width), int(self.fig.bbox.height)
        pixels = Image.frombuffer(
            "RGBA", (width, height), self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1
        )
        return (pixels.crop(box) if box else pixels).convert("RGB")

    def _palette(self, first: Profile) -> Image.Image:
        """The 256 colours a profile of this cohort is made of, for an 8-bit PNG.

        A profile holds the background's greys, the level colours and their anti-aliased edges:
        taken from a sample drawn with every level (and "not answered") over the background.
        An 8-bit PNG of those is a third of the bytes to compress, and mapping each pixel to
        its nearest palette colour costs less than compressing the two bytes it saves.
        """
        from PIL import Image

        levels = len(self.colours)
        n = len(self.y)
        ranks = [
            float(1 + i % levels) if i % (levels + 1) != levels else math.nan for i in range(n)
        ]
        sample = Profile(first.school or "Sample", "Overall", first.aspects, ranks, [], [], [], "")
        self.draw(sample)
        # The flat colours exactly (white stays white), the blends of their edges approximately.
        exact = [
            tuple(round(c * 255) for c in _colors.to_rgb(hexa))
            for hexa in ("#ffffff", "#000000", *_PROFILE_GREYS, *self.colours)
        ]
        found = self._pixels().quantize(256 - len(exact), method=Image.Quantize.FASTOCTREE)
        flat = found.getpalette()
        blends = [tuple(flat[i : i + 3]) for i in range(0, len(flat), 3)]
        # A blend next to a flat colour would take that colour's pixels: leave it out.
        blends = [b for b in blends if min(_distance(b, e) for e in exact) > 12]
        image = Image.new("P", (1, 1))
        image.putpalette([c for colour in [*exact, *blends][:256] for c in colour])
        return image

    def _indexed(self, box: tuple[int, int, int, int] | None = None) -> Image.Image:
        """The canvas (or `box` of it) in the palette's colours."""
        from PIL import Image

        return self._pixels(box).quantize(palette=self.palette, dither=Image.Dither.NONE)

    def save_png(self, p: Profile, path: Path) -> Path:
        # The background in palette colours is kept; only the boxes this school's marks touched
        # are mapped again, and put back to the background's once written.
        with quiet_glyphs():  # measuring a bold title looks up a bold face of every fallback
            boxes = self.draw(p)
            mapped = [np.asarray(self._indexed(box)) for box in boxes]
            crop = self.crop_box()
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            for (left, top, right, bottom), pixels in zip(boxes, mapped, strict=True):
                self.indices[top:bottom, left:right] = pixels
            self.png.write(path, self.indices, crop, boxes)
        finally:
            for left, top, right, bottom in boxes:
                self.indices[top:bottom, left:right] = self.png.background[top:bottom, left:right]
        return path

    def save_svg(self, p: Profile, path: Path) -> Path:
        """The same chart as vector graphics (slower: every artist is drawn again)."""
        self.draw(p)
        marks = [self.dots, self.title, *self.blanks]
        answered = ~np.isnan(np.array(p.ranks, dtype=float))
        try:
            for artist in marks:
                artist.set_animated(False)
            for text, blank in zip(self.blanks, ~answered, strict=True):
                text.set_visible(bool(blank))
            with plt.rc_context(_rc(_texts(self.aspects))), quiet_glyphs():
                self.fig.savefig(path, format="svg", bbox_inches="tight", metadata={"Date": None})
        finally:
            for artist in marks:
                artist.set_animated(True)
                artist.set_visible(True)
        return path


_CANVASES: dict[tuple, ProfileCanvas] = {}


def profile_chart(p: Profile, formats: Sequence[str] = ("png",)) -> list[Path]:
    """Its level per aspect (a dot in the level's colour) on the cohort's median and IQR."""
    key = p.cohort_key()
    canvas = _CANVASES.get(key)
    if canvas is None:
        _CANVASES.clear()  # one cohort at a time: a canvas holds its pixels
        canvas = _CANVASES[key] = ProfileCanvas(p)
    base = Path(p.base)
    out = []
    if "png" in formats:
        out.append(canvas.save_png(p, base.with_suffix(".png")))
    if "svg" in formats:
        out.append(canvas.save_svg(p, base.with_suffix(".svg")))
    return out


def _school_handle() -> object:
    return _lines.Line2D(
        [],
        [],
        marker="o",
        linestyle="",
        markersize=10,
        markerfacecolor="#ffffff",
        markeredgecolor="#000000",
        label="this school (colour = its level)",
    )


def draw_profiles(profiles: list[Profile], formats: Sequence[str] = ("png",)) -> int:
    """Draw several profiles (one task for a worker: fewer, larger tasks cost less to send)."""
    for p in profiles:
        profile_chart(p, formats)
    return len(profiles)


def chunks(items: list, workers: int, largest: int = 25, smallest: int = 1) -> list[list]:
    """Split `items` into tasks small enough to balance `workers` and show progress, and no
    smaller than `smallest` (what a task costs to set up must be shared by enough items)."""
    size = max(smallest, 1, min(largest, math.ceil(len(items) / (max(workers, 1) * 4))))
    return [items[i : i + size] for i in range(0, len(items), size)]


def profile_tasks(cohorts: list[list], workers: int) -> list[list]:
    """The profiles of every cohort as worker tasks, the largest first.

    A worker draws a cohort's background once and keeps it, so a cohort no larger than a
    worker's fair share is one task, drawn against one background; a larger one is shared
    between the workers in small tasks, which also even out the end of the run.
    """
    share = sum(map(len, cohorts)) / max(workers, 1)
    whole = sorted((c for c in cohorts if c and len(c) <= share), key=len, reverse=True)
    split = [
        part
        for c in cohorts
        if len(c) > share
        for part in chunks(c, workers, smallest=PROFILES_PER_TASK)
    ]
    return whole + split


# What every report worker imports: what a server that workers are forked from should load once
# (the report forks its own on Linux, see Drawer; a server started for other stages may serve it).
WORKER_MODULES = [
    "sheetreview.report.build",
    "matplotlib.pyplot",
    "matplotlib.backends.backend_agg",
]


def then_ready(fn: Callable, *args: object) -> object:
    """A worker's task: fn(*args), then `preload`, so that this worker is ready to draw.

    Workers take tasks in turn (each waits for the pool's queue while the one before it holds
    the next task): a report gives its first task after this one, its tables, to the other
    worker, and its cohort charts, next, to this one, which imported matplotlib while the
    report read OUT (a worker's first chart otherwise costs it most of a second)."""
    result = fn(*args)
    preload()
    return result


def preload() -> None:
    """Import matplotlib and its Agg backend (a worker's first chart would), then set what the
    worker holds aside from the garbage collector, as after a chart (_freeze_once)."""
    plt.get_backend()
    _colors.to_rgb(BLANK_COLOUR)
    gc.freeze()


class Drawer:
    """Draws charts in worker processes while the caller goes on (in-line when jobs is 1).

    matplotlib is single-threaded and a report has one chart per school, so processes, not
    threads; the caller writes the workbook meanwhile and asks for each result when it needs it.

    With `fork` (a report makes its Drawer first thing, while it is small) the workers are
    forked at once from the caller on Linux, inheriting pandas and the report's modules instead
    of a server importing them again (over a second of CPU on a machine whose two cores the
    report needs); elsewhere, or without `fork`, they are fresh processes (forkserver or spawn).
    """

    def __init__(self, jobs: int | None = None, fork: bool = False) -> None:
        # jobs is the number of processes drawing; the caller's own process keeps writing.
        self.workers = max(1, jobs or cpu_count())
        # Fresh workers unless asked: a fork of a parent holding 10,000 returns' responses would
        # copy those pages as soon as its garbage collector touched them, once per worker.
        self.pool = (
            WorkerPool(self.workers, fork=fork, initializer=watch_parent)
            if self.workers > 1
            else None
        )
        if self.pool and fork:
            self.pool.submit(int)  # a forking pool forks its workers now, while this is small

    def submit(self, fn: Callable, *args: object) -> Future:
        if self.pool:
            return self.pool.submit(fn, *args)
        done: Future = Future()
        done.set_result(fn(*args))
        return done

    def __enter__(self) -> Drawer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close(cancel=exc[0] is not None)

    def close(self, cancel: bool = False) -> None:
        """Wait for the workers to end (after their tasks, or only the started ones: `cancel`)."""
        if self.pool:
            self.pool.shutdown(wait=True, cancel_futures=cancel)


# Cohort charts drawn by one task at least: a worker's first chart costs it matplotlib's import
# (most of a second of CPU), so the two charts of a report's one cohort are one worker's, and
# the other worker is free for the tables and the Evidence rows.
CHARTS_PER_TASK = 4


class Batch:
    """Charts handed to a Drawer a few to a task (`start`), each with its own result."""

    def __init__(self, drawer: Drawer) -> None:
        self.drawer = drawer
        self.calls: list[tuple[Callable, tuple]] = []
        self.drawn: list[Drawn] = []

    def submit(self, fn: Callable, *args: object) -> Drawn:
        """Queue fn(*args): its Drawn gives the result once `start` has run and it is done."""
        self.calls.append((fn, args))
        self.drawn.append(Drawn())
        return self.drawn[-1]

    def start(self) -> None:
        """Submit every queued chart, in tasks of at least CHARTS_PER_TASK."""
        indexes = chunks(
            list(range(len(self.calls))), self.drawer.workers, smallest=CHARTS_PER_TASK
        )
        for part in indexes:
            future = self.drawer.submit(draw_each, [self.calls[i] for i in part])
            for j, i in enumerate(part):
                self.drawn[i].future, self.drawn[i].index = future, j
        self.calls = []


class Drawn:
    """One chart of a Batch's task: `result()` waits for that task and gives this chart's."""

    future: Future | None = None
    index: int = 0

    def result(self) -> object:
        if self.future is None:
            raise RuntimeError("the batch of this chart was not started")
        return self.future.result()[self.index]


def draw_each(calls: list[tuple[Callable, tuple]]) -> list:
    """A worker's task of several charts: each fn(*args)'s result, in order."""
    return [fn(*args) for fn, args in calls]


def wait_all(futures: list[Future], total: int, progress: Progress = None) -> int:
    """Wait for profile tasks, reporting (charts done, charts in all) as they finish."""
    done = 0
    for future in as_completed(futures):
        done += future.result()
        if progress:
            progress(done, total)
    return done
