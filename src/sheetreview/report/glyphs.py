"""Text drawn by matplotlib's Agg renderer, without the work it repeats for every glyph.

matplotlib 3.11 shapes text with libraqm (so Arabic, Bengali and the other scripts schools write
names in are joined and ordered as they should be) and then draws it glyph by glyph in Python.
For every glyph it sets the font's size again and builds the same rotation matrix with numpy:
about a sixth of the instructions a cohort chart takes, whose labels are most of its work.
Here the size is set once for each run of glyphs in one font and size, and the matrix once for
each slant and stretch of a text; each glyph's bitmap, and where it goes, are matplotlib's own
(a test compares the pixels with matplotlib's drawing).

Before it draws a text, matplotlib lays it out again (lines, metrics, alignment) each time
anything asks where the text is: a chart's tight bounds, its axes' label positions and the
drawing itself, three to five times a text. `layout` keeps each layout with the renderer, keyed
by everything matplotlib's own reads; a layout does not depend on where the text is.

Only the matplotlib whose drawing this repeats is changed: another version draws as it does.
"""

from __future__ import annotations

import math
from typing import Any

_VERSIONS = ("3.11.",)  # the matplotlib releases whose _draw_text_glyphs_and_boxes this repeats
_original: Any = None
_original_layout: Any = None
_LAYOUTS = "_sheetreview_layouts"  # where a renderer keeps the layouts made with it
_MOST_LAYOUTS = 20_000  # a renderer's layouts are dropped beyond this (a canvas per cohort)


def install() -> bool:
    """Draw text through `draw_glyphs` from now on, where matplotlib is a version it repeats;
    True when it does. Safe to call again."""
    global _original, _original_layout
    import matplotlib
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.text import Text

    if _original is not None:
        return True
    drawn = getattr(RendererAgg, "_draw_text_glyphs_and_boxes", None)
    laid_out = getattr(Text, "_get_layout", None)
    if drawn is None or laid_out is None or not matplotlib.__version__.startswith(_VERSIONS):
        return False
    _original, _original_layout = drawn, laid_out
    RendererAgg._draw_text_glyphs_and_boxes = draw_glyphs
    Text._get_layout = layout
    return True


def layout(self: Any, renderer: Any) -> tuple:
    """Text._get_layout, made once for each text, font, size, alignment and rotation at the
    figure's resolution with this renderer (callers only read what it gives)."""
    kept = getattr(renderer, "__dict__", None)  # where the renderer keeps its layouts
    if self._wrap or kept is None:  # a wrapped text's lines depend on where it is
        return _original_layout(self, renderer)
    key = (
        self.get_text(),
        hash(self._fontproperties),
        self.get_figure(root=True).dpi,
        self.get_rotation(),
        self.get_rotation_mode(),
        self._linespacing,
        self._get_multialignment(),
        self._horizontalalignment,
        self._verticalalignment,
        self.get_usetex(),
        self.get_parse_math(),
    )
    made = kept.get(_LAYOUTS)
    if made is None or len(made) > _MOST_LAYOUTS:
        made = kept[_LAYOUTS] = {}
    found = made.get(key)
    if found is None:
        found = made[key] = _original_layout(self, renderer)
    return found


def draw_glyphs(
    self: Any, gc: Any, x: float, y: float, angle: float, glyphs: Any, boxes: Any
) -> None:
    """RendererAgg._draw_text_glyphs_and_boxes, glyph for glyph, with the font's size set only
    when it changes and each matrix made once (y is downwards, each glyph's dy upwards)."""
    import numpy as np
    from matplotlib.backends.backend_agg import get_hinting_flag
    from matplotlib.ft2font import RenderMode

    cos = math.cos(math.radians(angle))
    sin = math.sin(math.radians(angle))
    load_flags = get_hinting_flag()
    antialiased = gc.get_antialiased()
    mode = RenderMode.NORMAL if antialiased else RenderMode.MONO
    top, height, dpi = int(self.height), self.height, self.dpi
    draw_image = self._renderer.draw_text_image
    matrices: dict[tuple[float, float], Any] = {}
    current: tuple[Any, float] | None = None
    for font, size, glyph_index, slant, extend, dx, dy in glyphs:
        if current is None or current[0] is not font or current[1] != size:
            font.set_size(size, dpi)
            current = (font, size)
        matrix = matrices.get((slant, extend))
        if matrix is None:  # as matplotlib makes it, to the last bit
            rotation = 0x10000 * np.array([[cos, -sin], [sin, cos]])
            stretch = [[extend, extend * slant], [0, 1]]
            matrix = matrices[(slant, extend)] = (rotation @ stretch).round().astype(int)
        font._set_transform(
            matrix,
            [
                round(0x40 * (x + dx * cos - dy * sin)),
                round(0x40 * (height - y + dx * sin + dy * cos)),  # FreeType's y is upwards
            ],
        )
        bitmap = font._render_glyph(glyph_index, load_flags, mode)
        buffer = bitmap.buffer
        if not antialiased:
            buffer *= 0xFF
        draw_image(buffer, bitmap.left, top - bitmap.top + buffer.shape[0], 0, gc)
    if boxes:  # mathtext's rules: drawn as matplotlib draws them
        _original(self, gc, x, y, angle, (), boxes)
