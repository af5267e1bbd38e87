"""Charts: one ordered colour scale, PNG at print resolution plus SVG, every figure closed."""

from __future__ import annotations

import math

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_rgb
from PIL import Image

from sheetreview.report import charts

LEVELS = ["4", "3", "2", "1"]  # edtech-srf: least developed first


def aspects(n: int = 3) -> charts.Aspects:
    codes = [f"1a-{i}" for i in range(1, n + 1)]
    titles = ["Monitoring and evaluating the effectiveness of the use of technology"] * n
    return charts.Aspects(codes, titles, LEVELS, "Test framework (test 1.0), round 2026")


def profile(tmp_path, name: str, base: str = "p") -> charts.Profile:
    return charts.Profile(
        school=name,
        position="Mean level_rank 2.00 (cohort median 2.50), percentile 25",
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
    paths = charts.distribution_chart(aspects(), counts, tmp_path / "dist")
    assert [p.suffix for p in paths] == [".png", ".svg"] and all(p.exists() for p in paths)
    with Image.open(paths[0]) as img:
        assert round(img.info["dpi"][0]) == charts.DPI
    assert plt.get_fignums() == []


def test_heatmap_puts_level_labels_in_its_legend(tmp_path):
    ranks = np.array([[1, 0, 4], [2, 3, 3]])
    png, svg = charts.heatmap_chart(aspects(), ["School A", "School B"], ranks, tmp_path / "hm")
    text = svg.read_text(encoding="utf-8")
    for label in ("4 (least developed)", "1 (most developed)", "not answered", "School A"):
        assert label in text
    assert png.exists() and plt.get_fignums() == []


def test_heatmap_of_a_large_cohort_shows_a_page_of_rows():
    ranks = np.ones((2500, 3), dtype=int)
    assert charts._thin_rows(ranks).shape[0] <= charts.MAX_HEATMAP_ROWS


def test_school_name_with_dollars_is_drawn_as_typed(tmp_path):
    paths = charts.profile_chart(profile(tmp_path, "St $Mary$ & =1+1 School"))
    assert "St $Mary$ &amp; =1+1 School" in paths[1].read_text(encoding="utf-8")
    assert plt.get_fignums() == []


def test_profiles_are_drawn_in_worker_processes(tmp_path):
    todo = [profile(tmp_path, f"School {i}", f"s{i}") for i in range(3)]
    seen = []
    with charts.Drawer(jobs=2) as drawer:
        assert drawer.pool is not None
        tasks = [drawer.submit(charts.draw_profiles, part) for part in charts.chunks(todo, 2)]
        done = charts.wait_all(tasks, len(todo), lambda d, t: seen.append((d, t)))
    assert done == 3 and seen[-1] == (3, 3)
    assert all(
        (tmp_path / f"s{i}.png").exists() and (tmp_path / f"s{i}.svg").exists() for i in range(3)
    )


def test_aspect_labels_wrap_to_three_lines_at_most():
    label = charts.aspect_label("1b-9", "Monitoring and evaluating the use of technology " * 3)
    assert label.startswith("1b-9  Monitoring") and label.count("\n") == 2
