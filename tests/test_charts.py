"""Charts: one ordered colour scale, PNG at print resolution (SVG too for cohort charts and on
request for school profiles), every figure closed, text from returns drawn as typed."""

from __future__ import annotations

import math
import os
import sys
from concurrent.futures import Future
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_rgb
from PIL import Image

from sheetreview.core.parallel import START_METHOD_ENV
from sheetreview.report import charts

LEVELS = ["4", "3", "2", "1"]  # edtech-srf: least developed first


def aspects(n: int = 3) -> charts.Aspects:
    codes = [f"1a-{i}" for i in range(1, n + 1)]
    titles = ["Monitoring and evaluating the effectiveness of the use of technology"] * n
    return charts.Aspects(codes, titles, LEVELS, "Test framework (test 1.0), round 2026")


def profile(tmp_path, name: str, base: str = "p") -> charts.Profile:
    return charts.Profile(
        school=name,
        position="Overall 0.5 levels below the cohort median, percentile 25",
        aspects=aspects(),
        ranks=[1.0, math.nan, 4.0],
        medians=[2.0, 2.5, 3.0],
        q1=[1.5, 2.0, 2.0],
        q3=[3.0, 3.0, 3.5],
        base=str(tmp_path / base),
    )


def _position_on_rdylbu(colour: str) -> float:
    cmap = matplotlib.colormaps["RdYlBu"]
    samples = cmap(np.linspace(0, 1, 256))[:, :3]
    return float(np.argmin(((samples - np.array(to_rgb(colour))) ** 2).sum(axis=1)) / 255)


@pytest.mark.parametrize("n", [2, 3, 4, 5, 6, 7, 9])
def test_level_colours_run_from_red_to_blue_in_order(n):
    colours = charts.level_colours(n)
    assert len(colours) == n == len(set(colours))
    positions = [_position_on_rdylbu(c) for c in colours]
    assert positions == sorted(positions)
    r, _, b = to_rgb(colours[0])
    assert r > b  # least developed is warm
    r, _, b = to_rgb(colours[-1])
    assert b > r  # most developed is cool


def test_text_on_a_level_colour_is_readable():
    assert charts.text_colour("#d7191c") == "#ffffff"
    assert charts.text_colour("#ffffbf") == "#000000"


def test_legend_says_which_end_is_least_developed():
    labels = charts.level_legend_labels(LEVELS)
    assert labels[0] == "4 (least developed)" and labels[-1] == "1 (most developed)"


def test_distribution_chart_writes_print_png_and_svg_and_closes_its_figure(tmp_path):
    counts = np.array([[1, 2, 0, 1], [0, 0, 0, 0], [3, 0, 0, 1]], dtype=float)
    (png,) = charts.distribution_chart(aspects(), counts, tmp_path / "only")
    assert not (tmp_path / "only.svg").exists()
    paths = charts.distribution_chart(aspects(), counts, tmp_path / "dist", ("png", "svg"))
    assert [p.suffix for p in paths] == [".png", ".svg"] and all(p.exists() for p in paths)
    with Image.open(paths[0]) as img:
        assert round(img.info["dpi"][0]) == charts.DPI
    assert plt.get_fignums() == []


def test_heatmap_puts_level_labels_in_its_legend(tmp_path):
    ranks = np.array([[1, 0, 4], [2, 3, 3]])
    png, svg = charts.heatmap_chart(
        aspects(), ["School A", "School B"], ranks, tmp_path / "hm", ("png", "svg")
    )
    text = svg.read_text(encoding="utf-8")
    for label in ("4 (least developed)", "1 (most developed)", "not answered", "School A"):
        assert label in text
    assert png.exists() and plt.get_fignums() == []


def test_heatmap_of_a_large_cohort_shows_a_page_of_rows():
    ranks = np.ones((2500, 3), dtype=int)
    assert charts._thin_rows(ranks).shape[0] <= charts.MAX_HEATMAP_ROWS


def test_school_name_with_dollars_is_drawn_as_typed(tmp_path):
    paths = charts.profile_chart(profile(tmp_path, "St $Mary$ & =1+1 School"), ("png", "svg"))
    assert "St $Mary$ &amp; =1+1 School" in paths[1].read_text(encoding="utf-8")
    assert plt.get_fignums() == []


def svg_text(path) -> str:
    """Every text element of an SVG, joined (matplotlib writes text as text with svg.fonttype none)."""
    import xml.etree.ElementTree as ET

    root = ET.parse(path).getroot()
    return " ".join("".join(el.itertext()) for el in root.iter() if el.tag.endswith("text"))


def test_profile_is_a_print_png_by_default_and_svg_on_request(tmp_path):
    (png,) = charts.profile_chart(profile(tmp_path, "School A", "a"))
    assert png.suffix == ".png" and not (tmp_path / "a.svg").exists()
    with Image.open(png) as img:
        assert round(img.info["dpi"][0]) == charts.PROFILE_DPI
        assert img.width > 900 and img.height > 400  # about 9 inches wide at print resolution
    png, svg = charts.profile_chart(profile(tmp_path, "School B", "b"), ("png", "svg"))
    text = svg_text(svg)
    for label in ("School B", "1a-1", "4 (least developed)", "1 (most developed)", "not answered"):
        assert label in text
    assert "cohort median" in text and "level_rank" not in text


def test_schools_of_one_cohort_each_get_their_own_marks(tmp_path):
    """The cohort's background is drawn once; each school's dots and title are its own."""
    first = profile(tmp_path, "School A", "a")
    second = charts.Profile(**{**first.__dict__, "school": "School B", "base": str(tmp_path / "b")})
    second = charts.Profile(**{**second.__dict__, "ranks": [4.0, 4.0, 4.0]})
    charts.profile_chart(first)
    charts.profile_chart(second)
    with Image.open(tmp_path / "a.png") as a, Image.open(tmp_path / "b.png") as b:
        assert a.size != b.size or a.tobytes() != b.tobytes()
    # The same school drawn again after another gives the same picture: nothing left behind.
    charts.profile_chart(charts.Profile(**{**first.__dict__, "base": str(tmp_path / "a2")}))
    with Image.open(tmp_path / "a.png") as a, Image.open(tmp_path / "a2.png") as again:
        assert a.tobytes() == again.tobytes()


def test_long_one_word_school_name_is_shown_not_dots():
    name = "Supercalifragilisticexpialidociousandaveryverylongonewordschoolname" * 2
    lines = charts.school_title(name, width=40)
    assert lines[0].startswith("Supercalifragilistic") and len(lines) == 2
    assert charts.short_name(name, 28).startswith("Supercalifragilistic")
    assert charts.short_name(name, 28) != "..."


def test_invisible_characters_in_a_name_are_not_drawn(tmp_path):
    name = "\ufeffSt\u200b Anne's\u202e School"
    png, svg = charts.profile_chart(profile(tmp_path, name, "bom"), ("png", "svg"))
    text = svg_text(svg)
    assert "St Anne's School" in text
    assert not any(ch in text for ch in "\ufeff\u200b\u202e")


def test_scripts_schools_write_in_draw_without_warnings(tmp_path, recwarn, capfd):
    name = "Ysgol Ŵyr 学校 😀 مدرسة বিদ্যালয় Szkoła Łódź"
    charts.profile_chart(profile(tmp_path, name, "scripts"), ("png", "svg"))
    assert not [w for w in recwarn if "missing from" in str(w.message)]
    assert "findfont" not in capfd.readouterr().err


def test_profiles_are_drawn_in_worker_processes(tmp_path):
    todo = [profile(tmp_path, f"School {i}", f"s{i}") for i in range(3)]
    seen = []
    with charts.Drawer(jobs=2) as drawer:
        assert drawer.pool is not None
        tasks = [drawer.submit(charts.draw_profiles, part) for part in charts.chunks(todo, 2)]
        done = charts.wait_all(tasks, len(todo), lambda d, t: seen.append((d, t)))
    assert done == 3 and seen[-1] == (3, 3)
    assert all((tmp_path / f"s{i}.png").exists() for i in range(3))


def test_aspect_labels_wrap_to_three_lines_at_most():
    label = charts.aspect_label("1b-9", "Monitoring and evaluating the use of technology " * 3)
    assert label.startswith("1b-9  Monitoring") and label.count("\n") == 2


def test_schools_of_a_cohort_with_an_unanswered_aspect_share_one_background(tmp_path):
    nan = math.nan
    first = charts.Profile("A", "p", aspects(), [1.0, nan, 2.0], [2.0, nan, 3.0], [1.0, nan, 2.0],
                           [3.0, nan, 4.0], str(tmp_path / "a"))  # fmt: skip
    second = charts.Profile(**{**first.__dict__, "medians": [2.0, nan, 3.0], "school": "B"})
    assert first.cohort_key() == second.cohort_key()
    assert hash(first.cohort_key()) == hash(second.cohort_key())


def test_profile_png_is_the_whole_canvas_in_the_palette_not_only_the_redrawn_boxes(tmp_path):
    """Only the boxes a school's marks touch are mapped to the palette again; the result must be
    what mapping the whole canvas gives, for dots, blanks and a title of any length."""
    first = profile(tmp_path, "School A", "a")
    canvas = charts.ProfileCanvas(first)
    for i, ranks in enumerate([[1.0, math.nan, 4.0], [4.0, 4.0, 4.0], [math.nan, 2.0, math.nan]]):
        name = "St Ånne's Church of England Voluntary Aided Primary School " * (i + 1)
        school = charts.Profile(**{**first.__dict__, "ranks": ranks, "school": name})
        png = canvas.save_png(school, tmp_path / f"s{i}.png")
        whole = canvas._indexed(canvas.crop_box())
        with Image.open(png) as written:
            assert written.mode == "P"
            assert np.array_equal(np.asarray(written), np.asarray(whole))


def test_profile_palette_keeps_white_and_every_level_colour_exact(tmp_path):
    (png,) = charts.profile_chart(profile(tmp_path, "School A", "a"))
    with Image.open(png) as img:
        colours = {rgb for _, rgb in img.convert("RGB").getcolors(1 << 16)}
    assert (255, 255, 255) in colours
    for hexa in charts.level_colours(4)[:1] + charts.level_colours(4)[-1:]:  # ranks 1 and 4
        assert tuple(round(c * 255) for c in to_rgb(hexa)) in colours


def test_a_chart_of_latin_text_is_laid_out_with_one_font():
    """Every family of the stack is looked up for each text laid out: English names need one."""
    from sheetreview.report.display import PRIMARY, families_for

    assert families_for([["St Mary's C of E Primary", "1a-1", "Élan — 3½"]]) == [PRIMARY]


def test_each_character_comes_from_the_same_font_as_with_the_whole_stack():
    from sheetreview.report.display import _charmap, families_for, matplotlib_families

    text = "Ysgol Ŵyr 学校 مدرسة বিদ্যালয় Szkoła Łódź שלום"
    stack = families_for([[text]])
    whole = matplotlib_families()

    def first_with(ch: str, families: list[str]) -> str | None:
        return next((f for f in families if ord(ch) in _charmap(f)), None)

    for ch in set(text) - {" "}:
        assert first_with(ch, stack) == first_with(ch, whole), ch
    if len(whole) > 1:  # the machine has fallbacks: the ones this text needs are in the stack
        assert len(stack) > 1


def test_profile_tasks_share_a_background_among_enough_schools():
    assert [len(c) for c in charts.chunks(list(range(13)), 2, smallest=16)] == [13]
    sizes = [len(c) for c in charts.chunks(list(range(500)), 2, smallest=16)]
    assert sum(sizes) == 500 and max(sizes) == 25 and len(sizes) >= 8


def _cohort_chart(tmp_path, name: str):
    counts = np.array([[1, 2, 0, 1], [0, 5, 0, 0], [3, 0, 2, 1]], dtype=float)
    (png,) = charts.distribution_chart(aspects(), counts, tmp_path / name)
    with Image.open(png) as img:
        return img.mode, img.info, np.asarray(img.convert("RGB")).astype(int)


def test_cohort_chart_is_an_8_bit_png_of_what_matplotlib_draws(tmp_path, monkeypatch):
    """Drawn once and cropped as savefig(bbox_inches="tight") crops it: the same size, the same
    areas of each level colour (white and the level colours exact); only anti-aliased edges
    differ, by the part of a pixel between where the two crops fall."""
    mode, info, ours = _cohort_chart(tmp_path, "ours")
    monkeypatch.setattr(charts, "_drawn_once", lambda fig: None)  # matplotlib's own PNG
    their_mode, _, theirs = _cohort_chart(tmp_path, "theirs")
    assert (mode, their_mode) == ("P", "RGBA")
    assert round(info["dpi"][0]) == charts.DPI
    assert ours.shape == theirs.shape
    for hexa in ["#ffffff", *charts.level_colours(4)]:
        rgb = np.array([round(c * 255) for c in to_rgb(hexa)])
        area, their_area = ((a == rgb).all(axis=2).sum() for a in (ours, theirs))
        assert area > 0 and abs(area - their_area) <= 0.02 * their_area, hexa
    changed = np.abs(ours - theirs).max(axis=2)
    assert (changed > 60).mean() < 0.05


def test_a_chart_of_few_colours_keeps_every_one(tmp_path):
    pixels = Image.new("RGB", (40, 40), (255, 255, 255))
    pixels.paste((215, 25, 28), (0, 0, 20, 20))
    pixels.paste((44, 123, 182), (20, 20, 40, 40))
    pixels.paste((89, 89, 89), (10, 30, 12, 40))
    indexed = pixels.quantize(palette=charts.chart_palette(pixels), dither=Image.Dither.NONE)
    assert np.array_equal(np.asarray(indexed.convert("RGB")), np.asarray(pixels))


def _frozen_after_a_chart(base: str) -> int:
    import gc

    counts = np.array([[1, 2, 0, 1]], dtype=float)
    charts.distribution_chart(aspects(1), counts, Path(base))
    return gc.get_freeze_count()


def test_a_worker_sets_aside_what_it_keeps_after_its_first_chart(tmp_path):
    """Later charts' collections skip the worker's own objects; the report's process keeps
    everything collectable."""
    import gc

    with charts.Drawer(2) as drawer:
        assert drawer.submit(_frozen_after_a_chart, str(tmp_path / "w")).result() > 0
    assert _frozen_after_a_chart(str(tmp_path / "here")) == gc.get_freeze_count() == 0


def test_a_cohort_within_a_workers_share_is_one_task_and_the_largest_go_first():
    cohorts = [list(range(58)), list(range(42)), list(range(30)), list(range(16)), []]
    assert [len(t) for t in charts.profile_tasks(cohorts, 2)] == [58, 42, 30, 16]
    tasks = charts.profile_tasks([list(range(500)), list(range(100))], 2)
    assert len(tasks[0]) == 100 and sum(map(len, tasks)) == 600
    assert max(len(t) for t in tasks[1:]) == 25  # the big cohort is shared out in small tasks


def test_a_chart_reaching_beyond_the_room_given_is_cropped_by_matplotlib(tmp_path):
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0, 1], [0, 1])
    ax.text(8, 0.5, "far to the right", transform=ax.transAxes)  # some 25 inches away
    charts._save(fig, tmp_path / "far")
    with Image.open(tmp_path / "far.png") as img:
        assert img.mode == "RGBA" and img.width > 25 * charts.DPI
    assert plt.get_fignums() == []


def _parent_pid() -> int:
    return os.getppid()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork is used on Linux only")
def test_a_forking_drawer_forks_its_workers_at_once_from_this_process(monkeypatch):
    """The report's workers inherit its modules (no server importing them again) and are forked
    before it reads OUT; nothing stays frozen in this process."""
    import gc

    monkeypatch.delenv(START_METHOD_ENV, raising=False)
    with charts.Drawer(2, fork=True) as drawer:
        assert len(drawer.pool._processes) == 2  # started by the constructor, not a later task
        assert gc.get_freeze_count() == 0
        assert drawer.submit(_parent_pid).result() == os.getpid()


def test_a_drawer_forks_only_when_asked_or_forced(monkeypatch):
    monkeypatch.setenv(START_METHOD_ENV, "spawn")
    with charts.Drawer(2, fork=True) as drawer:
        assert drawer.pool._mp_context.get_start_method() == "spawn"
        assert drawer.submit(_parent_pid).result() == os.getpid()


def _twice(x: int) -> int:
    return 2 * x


def test_a_batch_draws_a_few_charts_a_task_each_with_its_own_result():
    submitted = []

    class Recorder:
        workers = 2

        def submit(self, fn, *args):
            submitted.append(args[0])
            done = Future()
            done.set_result(fn(*args))
            return done

    batch = charts.Batch(Recorder())
    drawn = [batch.submit(_twice, i) for i in range(6)]
    with pytest.raises(RuntimeError):
        drawn[0].result()  # not started yet
    batch.start()
    assert [d.result() for d in drawn] == [0, 2, 4, 6, 8, 10]
    assert [len(task) for task in submitted] == [charts.CHARTS_PER_TASK, 6 - charts.CHARTS_PER_TASK]


def test_matplotlib_is_imported_without_property_lists_and_left_as_it_was():
    """The docstrings pyplot's import would fill are skipped, and kwdoc is matplotlib's again."""
    import subprocess

    code = (
        "from sheetreview.report import charts; charts.preload(); "
        "from matplotlib import artist; import matplotlib.lines as lines; "
        "assert artist.kwdoc(lines.Line2D); "
        "assert 'antialiased' not in lines.Line2D.set.__doc__; print('ok')"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "ok", done.stderr


def test_a_task_then_ready_gives_its_result_and_leaves_matplotlib_imported(monkeypatch):
    done = []
    monkeypatch.setattr(charts, "preload", lambda: done.append("preloaded"))
    assert charts.then_ready(_twice, 4) == 8 and done == ["preloaded"]


def _text_pixels(draw) -> np.ndarray:
    """A figure of texts of every kind a chart draws, rendered by `draw`."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
    from matplotlib.figure import Figure

    from sheetreview.report.display import families_for

    texts = ["Ysgol Ŵyr 学校 مدرسة الأمل বিদ্যালয় Szkoła Łódź", "1a-1 The vision for technology"]
    kept = RendererAgg._draw_text_glyphs_and_boxes
    RendererAgg._draw_text_glyphs_and_boxes = draw
    try:
        fig = Figure(figsize=(6, 3), dpi=150)
        FigureCanvasAgg(fig)
        family = families_for([texts])
        for i, text in enumerate(texts):
            fig.text(0.02, 0.8 - 0.2 * i, text, family=family, size=9 + i)
        fig.text(0.6, 0.2, "rotated 33°", rotation=33, family=family)
        fig.text(0.02, 0.2, "not antialiased", antialiased=False, family=family)
        fig.text(0.3, 0.05, r"$\frac{1}{2}\sqrt{x}$")  # mathtext: glyphs and rules
        fig.canvas.draw()
        return np.asarray(fig.canvas.buffer_rgba()).copy()
    finally:
        RendererAgg._draw_text_glyphs_and_boxes = kept


def test_text_is_drawn_pixel_for_pixel_as_matplotlib_draws_it():
    """Charts draw text glyph by glyph without repeating matplotlib's per-glyph set-up; the
    pixels are matplotlib's own, in every script, rotated, not antialiased and in mathtext."""
    from matplotlib.backends.backend_agg import RendererAgg

    from sheetreview.report import glyphs

    if not matplotlib.__version__.startswith(glyphs._VERSIONS):  # drawn as matplotlib draws
        assert not glyphs.install() and RendererAgg._draw_text_glyphs_and_boxes is not (
            glyphs.draw_glyphs
        )
        return
    assert glyphs.install()
    original = _text_pixels(glyphs._original)
    assert original.min() < 128  # something was drawn
    assert (_text_pixels(glyphs.draw_glyphs) == original).all()


def _laid_out(layout) -> tuple[np.ndarray, list]:
    """A chart-like figure (tick labels, title, legend, rotated, multi-line and mathtext texts)
    drawn with Text._get_layout as `layout`, changed after a first drawing as a profile canvas
    changes its texts; its pixels and where each text ended up."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.text import Text

    kept = Text._get_layout
    Text._get_layout = layout
    try:
        fig = Figure(figsize=(6, 4), dpi=120)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0.3, 0.2, 0.6, 0.6))
        ax.barh(range(3), [3, 5, 2], label="schools")
        ax.set_yticks(range(3), ["1a-1 The vision", "two\nlines", r"$\sqrt{x}$ maths"])
        ax.set_title("Levels chosen per aspect", loc="left")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncols=2)
        same = "n=56\nof 60"  # one text, laid out in every way a property can change it
        kinds = [{}, {"size": 13}, {"rotation": 30}, {"ha": "right"}, {"va": "top"},
                 {"ma": "right"}, {"linespacing": 2}, {"rotation_mode": "anchor", "rotation": 9},
                 {"rotation": 9}, {"weight": "bold"}, {"s": "$x$"}, {"parse_math": False, "s": "$x$"}]  # fmt: skip
        for i, kind in enumerate(kinds):
            ax.text(0.5 + 0.4 * (i % 6), 0.2 + 1.2 * (i // 6), **{"s": same, **kind})
        moved = ax.text(4, 1, same, ha="right", va="center_baseline", rotation=15)
        fig.canvas.draw()
        moved.set_fontsize(12)  # a profile's per-school texts change between drawings
        moved.set_rotation(-30)
        moved.set_horizontalalignment("left")
        ax.set_title("Another title", loc="left")
        fig.canvas.draw()
        fig.set_dpi(100)  # the same texts at another resolution
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        places = [t.get_window_extent(renderer).bounds for t in fig.findobj(Text) if t.get_text()]
        return np.asarray(fig.canvas.buffer_rgba()).copy(), places
    finally:
        Text._get_layout = kept


def test_texts_are_laid_out_once_and_placed_as_matplotlib_places_them():
    """A text's layout is kept and reused while nothing it depends on changes; the pixels and
    every text's bounds are matplotlib's own, also after texts change between drawings."""
    from matplotlib.text import Text

    from sheetreview.report import glyphs

    if not matplotlib.__version__.startswith(glyphs._VERSIONS):  # laid out as matplotlib does
        assert not glyphs.install() and Text._get_layout is not glyphs.layout
        return
    assert glyphs.install() and Text._get_layout is glyphs.layout
    pixels, places = _laid_out(glyphs._original_layout)
    assert pixels.min() < 128 and len(places) > 8
    again, where = _laid_out(glyphs.layout)
    assert where == places
    assert (again == pixels).all()
