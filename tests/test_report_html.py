"""report.html: self-contained, and right when opened in a real browser (headless Chromium).

The cohort: eight edtech-srf schools in two rounds, six in Oak Trust and two in Elm Trust (too few
for Elm's statistics to be shown), one school named like an attack.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from conftest import need
from test_benchmarks import judgements, write_out

from devtools import browser
from sheetreview.framework import builtin
from sheetreview.report import words
from sheetreview.report.build import build_report

HOSTILE = "<script>alert('x')</script> & Co"
ROUND_1 = {
    ("101", "Ash Primary"): {"1a-1": "4", "1a-2": "3", "1b-1": "3"},
    ("102", "Birch School"): {"1a-1": "3", "1a-2": "3", "1b-1": "2"},
    ("103", "Cedar Academy"): {"1a-1": "2", "1a-2": "2", "1b-1": "2"},
    ("104", HOSTILE): {"1a-1": "2", "1a-2": "1", "1b-1": "1"},
    ("105", "Elder Infants"): {"1a-1": "1", "1a-2": "2", "1b-1": "3"},
    ("106", "Fir Juniors"): {"1a-1": "3", "1a-2": "4", "1b-1": "4"},
    ("107", "Gorse High"): {"1a-1": "2", "1a-2": "3", "1b-1": "2"},
}
ROUND_2 = {
    **ROUND_1,
    ("101", "Ash Primary"): {"1a-1": "3", "1a-2": "3", "1b-1": "2"},
    ("103", "Cedar Academy"): {"1a-1": "4", "1a-2": "3", "1b-1": "3"},
    ("108", "Hazel Primary"): {"1a-1": "1", "1a-2": "1", "1b-1": ""},
}
TRUSTS = {"101": "Oak", "102": "Oak", "103": "Oak", "104": "Oak", "105": "Oak", "106": "Oak"}
TRUSTS |= {"107": "Elm", "108": "Elm"}


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("out")
    rows = judgements("edtech-srf", "2025", ROUND_1) + judgements("edtech-srf", "2026", ROUND_2)
    write_out(out, rows)
    listed = out.parent / "schools.csv"
    listed.write_text(
        "urn,name,trust,phase\n" + "".join(f"{u},x,{t},primary\n" for u, t in TRUSTS.items()),
        encoding="utf-8",
    )
    build_report(out, school_charts=False, schools_file=listed)
    return out


def test_report_html_is_written_and_needs_nothing_from_the_network(report):
    html = (report / "report.html").read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>")
    # No source, link or stylesheet from anywhere: the only URL is SVG's namespace name.
    urls = set(re.findall(r"https?://[^\s'\"<>]+", html))
    assert urls <= {"http://www.w3.org/2000/svg"}
    assert not re.search(r"<(link|img|iframe)\b|\bsrc=|@import", html)
    assert "default-src 'none'" in html


def test_text_from_returns_is_escaped_in_the_page(report):
    html = (report / "report.html").read_text(encoding="utf-8")
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; Co" in html


def test_the_first_screen_tells_the_story_in_words_not_ranks(report):
    html = (report / "report.html").read_text(encoding="utf-8")
    story = html[html.index("The story of the latest round") : html.index("Levels per aspect</h3>")]
    for phrase in ("Weakest aspects", "Strongest aspects", "Schools that most need support",
                   "Largest fall since round 2025", "What changed since round 2025"):  # fmt: skip
        assert phrase in story
    assert "level_rank" not in html and "rank" not in story


# --- in the browser -----------------------------------------------------------------------------


def _need_chromium() -> None:
    need(browser.chromium_path() is not None, "Chromium")


@pytest.fixture(scope="module")
def page(report):
    _need_chromium()
    with browser.browser() as chrome:
        page = chrome.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto((report / "report.html").as_uri())
        page.errors, page.requests = errors, requests
        yield page


def _table(page, selector: str) -> list[list[str]]:
    return page.eval_on_selector_all(
        f"{selector} tbody tr:not([hidden])",
        "rows => rows.map(r => Array.from(r.cells).map(c => c.textContent.trim()))",
    )


@pytest.mark.browser
def test_page_opens_without_console_errors_or_requests(page, report):
    assert page.errors == []
    assert page.requests == [(report / "report.html").as_uri()]
    assert page.title() == "Self-review report"


@pytest.mark.browser
def test_aspect_numbers_shown_match_aspect_stats_csv(page, report):
    stats = pd.read_csv(report / "aspect_stats.csv", dtype=str, keep_default_na=False)
    stats = stats[(stats["round"] == "2026") & (stats["group_by"] == "all")]
    fw = builtin("edtech-srf")
    shown = {row[0]: row for row in _table(page, "#aspects-0")}
    assert len(shown) == len(stats) == len(fw.aspects)
    for r in stats.itertuples():
        row = shown[r.aspect_code]
        counts = [getattr(r, f"n_rank_{k}") for k in range(1, 5)]
        assert row[2:8] == [r.n, r.n_blank, *counts], r.aspect_code
        mean = words.mean_text(fw, float(r.mean), 2) if r.mean else ""
        assert row[9] == mean


@pytest.mark.browser
def test_school_table_matches_school_overall_and_benchmarks(page, report):
    overall = pd.read_csv(report / "school_overall.csv", dtype=str, keep_default_na=False)
    overall = overall[overall["round"] == "2026"].set_index("school_urn")
    rows = _table(page, "#schools-table-0")
    assert len(rows) == len(overall) == 8
    header = page.eval_on_selector_all(
        "#schools-table-0 thead th", "ths => ths.map(t => t.textContent.trim())"
    )
    fw = builtin("edtech-srf")
    for row in rows:
        school = overall.loc[row[0]]
        assert row[1] == school["school_name"]
        assert row[header.index("Mean level")] == words.mean_text(fw, float(school["mean_rank"]), 2)
        assert row[header.index("Percentile (50 = middle)")] == f"{float(school['percentile']):.0f}"
    # The heatmap names each school's level as school_benchmarks.csv has it.
    bench = pd.read_csv(report / "school_benchmarks.csv", dtype=str, keep_default_na=False)
    bench = bench[(bench["round"] == "2026") & (bench["group_by"] == "all")]
    codes = page.eval_on_selector_all(
        "table.heat thead th", "ths => ths.map(t => t.textContent.trim())"
    )[1:]
    for row in _table(page, "table.heat"):
        levels = bench[bench["school_name"] == row[0]].set_index("aspect_code")["level"]
        for code, cell in zip(codes, row[1:], strict=True):
            assert cell == (levels.get(code) or "blank"), (row[0], code)


@pytest.mark.browser
def test_schools_sort_by_a_column_both_ways(page):
    names = lambda: [r[1] for r in _table(page, "#schools-table-0")]  # noqa: E731
    school = page.locator("#schools-table-0 thead th", has_text="School").first
    school.locator("button").click()
    assert names() == sorted(names(), key=str.casefold)
    assert school.get_attribute("aria-sort") == "ascending"
    school.locator("button").click()
    assert names() == sorted(names(), key=str.casefold, reverse=True)
    mean = page.locator("#schools-table-0 thead th", has_text="Mean level")
    mean.locator("button").focus()
    page.keyboard.press("Enter")  # keyboard works as a click does
    means = [float(r[5]) for r in _table(page, "#schools-table-0")]
    # edtech-srf's scale runs 4 (least) to 1 (most): ascending by level is descending by number
    assert means == sorted(means, reverse=True)


@pytest.mark.browser
def test_schools_filter_by_name_and_by_trust(page):
    page.fill("#filter-0", "primary")
    assert sorted(r[1] for r in _table(page, "#schools-table-0")) == [
        "Ash Primary",
        "Hazel Primary",
    ]
    assert page.text_content("#count-0") == "2 of 8 schools shown"
    page.fill("#filter-0", "")
    page.select_option("#group-0-trust", "Elm")
    assert sorted(r[1] for r in _table(page, "#schools-table-0")) == ["Gorse High", "Hazel Primary"]
    # Elm has two schools: no median within it
    assert all("fewer than 5" in r[-2] for r in _table(page, "#schools-table-0"))
    page.select_option("#group-0-trust", "")
    assert len(_table(page, "#schools-table-0")) == 8


@pytest.mark.browser
def test_no_serious_or_critical_accessibility_violations(page):
    found = browser.axe_violations(page)
    assert found == [], [(v["id"], v["help"], len(v["nodes"])) for v in found]


@pytest.mark.browser
def test_fits_a_phone_and_prints(page, report, tmp_path):
    phone = page.context.browser.new_page(viewport={"width": 390, "height": 844})
    phone.goto((report / "report.html").as_uri())
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.emulate_media(media="print")
    assert not phone.is_visible("#filter-0")
    pdf = phone.pdf(path=str(tmp_path / "report.pdf"), format="A4")
    assert pdf[:4] == b"%PDF"
    phone.close()
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
