"""report.html: the summary as one self-contained page, to open on a laptop or a phone or send on.

Everything is inline (styles, a small script, charts as SVG with titles and descriptions): the
page makes no request, so it works from an e-mail attachment or a shared drive, and nothing about
the cohort leaves the reader's machine. It tells the same story as summary.xlsx's Overview (from
story.py), in the framework's own words, with colour never the only carrier of meaning.

Every text from a return (school names above all) is escaped: a school called `<script>` is shown
as those characters.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd

from sheetreview import __version__
from sheetreview.core import fs
from sheetreview.framework import Framework
from sheetreview.report import benchmarks as bm
from sheetreview.report import story as story_
from sheetreview.report import words
from sheetreview.report.charts import BLANK_COLOUR, level_colours, text_colour

# A heatmap of more schools than this is a wall of colour, and slows a phone down: beyond it the
# page points to the Matrix sheet of summary.xlsx instead.
MAX_HEATMAP_SCHOOLS = 300
BLANK_CELL = "<span class='blank'>blank</span>"


def write_html(path: Path, bench: bm.Benchmarks, files: pd.DataFrame) -> Path:
    """Write report.html whole (a reader never opens half a page) and return its path."""
    return fs.write_text(Path(path), render(bench, files))


def render(bench: bm.Benchmarks, files: pd.DataFrame) -> str:
    """The whole page as text."""
    told = story_.stories(bench)
    body = [
        "<header>",
        "<h1>Self-review report</h1>",
        f"<p class='note'>Made {date.today().isoformat()} by sheetreview {escape(__version__)}. "
        "Levels are shown in each framework's own words, from least developed to most developed. "
        "Colours run from red (least developed) to blue (most developed), and every coloured "
        "mark also says its level in words.</p>",
        _contents(told),
        "</header>",
        "<main>",
        *[_framework(bench, t, i) for i, t in enumerate(told)],
        _files(files),
        "</main>",
    ]
    return PAGE.format(css=CSS, body="\n".join(body), script=SCRIPT)


def _contents(told: list[story_.Story]) -> str:
    items = "".join(
        f"<li><a href='#fw-{i}'>{escape(t.fw.title)}</a></li>" for i, t in enumerate(told)
    )
    return f"<nav aria-label='Contents'><ul>{items}<li><a href='#files'>Files received</a></li></ul></nav>"


# --- one framework ------------------------------------------------------------------------------


def _framework(bench: bm.Benchmarks, told: story_.Story, i: int) -> str:
    fw, cohort = told.fw, told.cohort
    round_text = f", round {escape(cohort.round)}" if cohort.round else ""
    parts = [
        f"<section id='fw-{i}' aria-labelledby='fw-{i}-h'>",
        f"<h2 id='fw-{i}-h'>{escape(fw.title)}{round_text}</h2>",
        _scale(fw),
        _story(told, i),
        _distribution(bench, told, i),
        _heatmap(bench, told, i),
        _schools(bench, told, i),
    ]
    if told.previous is not None:
        parts.append(_progress(bench, told, i))
    parts.append("</section>")
    return "\n".join(parts)


def _scale(fw: Framework) -> str:
    n = fw.level_count
    colours = level_colours(n)
    keys = "".join(
        f"<li><span class='swatch' style='{_fill(colours[lv.rank - 1])}'>{escape(lv.label)}</span></li>"
        for lv in fw.levels
    )
    return (
        f"<div class='scale'><p>Levels, least developed first:</p><ol class='levels'>{keys}</ol>"
        f"<p class='note'>{escape(words.scale_text(fw))}</p></div>"
    )


def _fill(colour: str) -> str:
    return f"background:{colour};color:{text_colour(colour)}"


def _story(told: story_.Story, i: int) -> str:
    fw = told.fw
    n = len(told.overall)
    cards = [
        _card(
            "Returns",
            f"<p><strong>{n}</strong> school{'s' if n != 1 else ''} returned a review: "
            f"{told.complete} complete, {n - told.complete} with some aspects left blank.</p>",
        ),
        _card("Weakest aspects", _aspect_list(fw, told.weakest)),
        _card("Strongest aspects", _aspect_list(fw, told.strongest)),
        _card("Schools that most need support", _support(told)),
    ]
    if told.previous is not None:
        cards.append(
            _card(f"What changed since round {escape(told.previous.round)}", _changed(told))
        )
    return (
        f"<section class='story' aria-labelledby='story-{i}'>"
        f"<h3 id='story-{i}'>The story of the latest round</h3>"
        f"<div class='cards'>{''.join(cards)}</div></section>"
    )


def _card(title: str, inner: str) -> str:
    return f"<div class='card'><h4>{title}</h4>{inner}</div>"


def _aspect_list(fw: Framework, rows: pd.DataFrame) -> str:
    items = []
    for r in rows.itertuples():
        lowest = (
            ""
            if pd.isna(r.share_lowest)
            else f"; {r.share_lowest:.0f}% at {escape(fw.levels[0].label)}"
        )
        items.append(
            f"<li><strong>{escape(r.aspect_code)}</strong> {escape(r.aspect_title)}: median "
            f"{escape(words.level_text(fw, r.median))}{lowest}</li>"
        )
    return f"<ol>{''.join(items)}</ol>" if items else "<p>No aspect answered.</p>"


def _support(told: story_.Story) -> str:
    fw = told.fw
    lowest = "".join(
        f"<li>{escape(s.school_name)}: mean level {escape(words.mean_text(fw, s.mean_rank))}, "
        f"{escape(words.difference_text(s.difference))}</li>"
        for s in told.lowest_schools.itertuples()
    )
    out = f"<p>Lowest overall:</p><ol>{lowest}</ol>"
    if told.previous is not None:
        falls = "".join(
            f"<li>{escape(s.school_name)}: {escape(words.change_text(s.change))}"
            + (f" (fell in {escape(s.aspects_down)})" if getattr(s, "aspects_down", "") else "")
            + "</li>"
            for s in told.falls.itertuples()
        )
        out += f"<p>Largest fall since round {escape(told.previous.round)}:</p>"
        out += f"<ol>{falls}</ol>" if falls else "<p>No school's mean level fell.</p>"
    return out


def _changed(told: story_.Story) -> str:
    fw = told.fw
    out = ""
    for title, rows in (("Rose most", told.aspect_rises), ("Fell most", told.aspect_falls)):
        items = "".join(
            f"<li><strong>{escape(r.aspect_code)}</strong> {escape(r.aspect_title)}: "
            f"{escape(words.change_text(r.mean_change))} (median "
            f"{escape(words.level_text(fw, r.median_from))} to "
            f"{escape(words.level_text(fw, r.median_to))})</li>"
            for r in rows.itertuples()
        )
        out += f"<p>{title}:</p>" + (f"<ol>{items}</ol>" if items else "<p>No aspect.</p>")
    return out


# --- distributions ------------------------------------------------------------------------------


def _distribution(bench: bm.Benchmarks, told: story_.Story, i: int) -> str:
    fw, n = told.fw, told.fw.level_count
    stats = bench.of(bench.aspect_stats, told.cohort)
    head = "".join(f"<th scope='col'>{escape(lv.label)}</th>" for lv in fw.levels)
    rows = []
    for r in stats.itertuples():
        counts = "".join(
            f"<td class='num'>{_int(getattr(r, f'n_rank_{k}'))}</td>" for k in range(1, n + 1)
        )
        rows.append(
            f"<tr data-code='{escape(r.aspect_code)}'><th scope='row'>{escape(r.aspect_code)}</th>"
            f"<td>{escape(r.aspect_title)}</td><td class='num'>{_int(r.n)}</td>"
            f"<td class='num'>{_int(r.n_blank)}</td>{counts}"
            f"<td>{escape(words.level_text(fw, r.median))}</td>"
            f"<td class='num'>{escape(words.mean_text(fw, r.mean, 2))}</td></tr>"
        )
    table = (
        f"<div class='scroll' tabindex='0' role='region' aria-label='Levels per aspect, as a table'>"
        f"<table class='aspects' id='aspects-{i}'><caption>Schools at each level per aspect, "
        f"round {escape(told.cohort.round)}</caption><thead><tr><th scope='col'>Code</th>"
        f"<th scope='col'>Aspect</th><th scope='col'>Answered</th><th scope='col'>Blank</th>{head}"
        f"<th scope='col'>Median level</th><th scope='col'>Mean level</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )
    return (
        f"<section aria-labelledby='dist-{i}'><h3 id='dist-{i}'>Levels per aspect</h3>"
        f"{distribution_svg(fw, stats, f'dist-svg-{i}')}{table}</section>"
    )


def _int(value: Any) -> str:
    return "" if value is None or pd.isna(value) else str(int(value))


def distribution_svg(fw: Framework, stats: pd.DataFrame, ident: str) -> str:
    """100% stacked bars, one per aspect, levels least developed first, each segment labelled."""
    n, colours = fw.level_count, level_colours(fw.level_count)
    label_w, bar_w, row_h, top = 90, 560, 26, 10
    legend_y = top + row_h * len(stats) + 14
    height = legend_y + 30
    parts = []
    weakest = stats.sort_values(["median", "mean"]).head(1)
    for row_i, r in enumerate(stats.itertuples()):
        y = top + row_i * row_h
        parts.append(
            f"<text x='{label_w - 6}' y='{y + 17}' text-anchor='end' class='lbl'>{escape(r.aspect_code)}</text>"
        )
        total = 0 if pd.isna(r.n) else int(r.n)
        x = float(label_w)
        for k in range(1, n + 1):
            count = getattr(r, f"n_rank_{k}")
            count = 0 if count is None or pd.isna(count) else int(count)
            if not total or not count:
                continue
            w = bar_w * count / total
            colour = colours[k - 1]
            share = 100 * count / total
            tip = f"{r.aspect_code} {r.aspect_title}: {fw.level(k).label}, {count} of {total} schools ({share:.0f}%)"
            parts.append(
                f"<rect x='{x:.1f}' y='{y + 3}' width='{w:.1f}' height='{row_h - 6}' "
                f"fill='{colour}' stroke='#ffffff'><title>{escape(tip)}</title></rect>"
            )
            if w >= 34:
                parts.append(
                    f"<text x='{x + w / 2:.1f}' y='{y + 17}' text-anchor='middle' "
                    f"fill='{text_colour(colour)}' class='seg'>{share:.0f}%</text>"
                )
            x += w
        if not total:
            parts.append(f"<text x='{label_w + 4}' y='{y + 17}' class='lbl'>not answered</text>")
    x = float(label_w)
    for k, lv in enumerate(fw.levels):
        parts.append(
            f"<rect x='{x:.0f}' y='{legend_y}' width='14' height='14' fill='{colours[k]}' stroke='#595959'/>"
            f"<text x='{x + 18:.0f}' y='{legend_y + 12}' class='lbl'>{escape(lv.label)}</text>"
        )
        x += 24 + 7.5 * len(lv.label)
    low = ""
    if not weakest.empty:
        w0 = weakest.iloc[0]
        low = f" The weakest is {w0['aspect_code']}, median {words.level_text(fw, w0['median'])}."
    desc = (
        f"Share of schools at each level for {len(stats)} aspects, {words.levels_text(fw)}.{low} "
        "The table below gives every number."
    )
    width = label_w + bar_w + 20
    return (
        f"<figure><svg role='img' aria-labelledby='{ident}-t {ident}-d' viewBox='0 0 {width} {height}' "
        f"class='chart' xmlns='http://www.w3.org/2000/svg'>"
        f"<title id='{ident}-t'>Levels per aspect, least developed first</title>"
        f"<desc id='{ident}-d'>{escape(desc)}</desc>{''.join(parts)}</svg></figure>"
    )


# --- heatmap ------------------------------------------------------------------------------------


def _heatmap(bench: bm.Benchmarks, told: story_.Story, i: int) -> str:
    fw, cohort = told.fw, told.cohort
    heading = f"<h3 id='heat-{i}'>Level per school and aspect</h3>"
    overall = told.overall.sort_values(
        ["mean_rank", "school_name"], ascending=[True, True], na_position="last"
    )
    if len(overall) > MAX_HEATMAP_SCHOOLS:
        return (
            f"<section aria-labelledby='heat-{i}'>{heading}<p>{len(overall)} schools: too many to "
            "show here; the Matrix sheet of summary.xlsx has every school's level per aspect.</p>"
            "</section>"
        )
    stats = bench.of(bench.aspect_stats, cohort)
    codes = list(stats["aspect_code"])
    rows = bench.of(bench.school_benchmarks, cohort)
    labels = bm.by_school(rows, "level", overall["school"], codes, "")
    ranks = bm.by_school(rows, "level_rank", overall["school"], codes, 0)
    colours = [BLANK_COLOUR, *level_colours(fw.level_count)]
    head = "".join(
        f"<th scope='col'><abbr title='{escape(t)}'>{escape(c)}</abbr></th>"
        for c, t in zip(codes, stats["aspect_title"], strict=True)
    )
    body = []
    for school, label_row, rank_row in zip(overall.itertuples(), labels, ranks, strict=True):
        cells = "".join(
            f"<td style='{_fill(colours[int(r)])}'>{escape(str(lab)) if lab else BLANK_CELL}</td>"
            for lab, r in zip(label_row, rank_row, strict=True)
        )
        body.append(f"<tr><th scope='row'>{escape(school.school_name)}</th>{cells}</tr>")
    return (
        f"<section aria-labelledby='heat-{i}'>{heading}"
        "<p class='note'>Least developed schools first; each cell names the level chosen.</p>"
        f"<div class='scroll' tabindex='0' role='region' aria-labelledby='heat-{i}'>"
        f"<table class='heat'><thead><tr><th scope='col'>School</th>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></div></section>"
    )


# --- the school table ---------------------------------------------------------------------------


def _schools(bench: bm.Benchmarks, told: story_.Story, i: int) -> str:
    fw, cohort = told.fw, told.cohort
    overall = told.overall.sort_values(["mean_rank", "school_name"], na_position="last")
    groups = bench.of(bench.group_overall, cohort)
    dims = list(dict.fromkeys(groups["group_by"])) if not groups.empty else []
    member = {
        (d, s): (g, p)
        for d, s, g, p in zip(
            groups.get("group_by", []), groups.get("school", []), groups.get("group", []),
            groups.get("difference", []), strict=True,
        )
    }  # fmt: skip
    head = ["URN", "School", *[bm.GROUP_WORDS[d].capitalize() for d in dims], "Aspects answered",
            "Mean level", "Against all schools", "Percentile (50 = middle)",
            *[f"Within {bm.GROUP_WORDS[d]}" for d in dims]]  # fmt: skip
    types = [
        "text",
        "text",
        *["text"] * len(dims),
        "num",
        "num",
        "num",
        "num",
        *["num"] * len(dims),
    ]
    ths = "".join(
        f"<th scope='col' aria-sort='none' data-type='{t}'><button type='button'>{escape(h)}"
        "<span class='arrow' aria-hidden='true'></span></button></th>"
        for h, t in zip(head, types, strict=True)
    )
    body = []
    for s in overall.itertuples():
        mean = words.on_scale(fw, s.mean_rank)
        cells = [_td(s.school_urn), _td(s.school_name)]
        cells += [_td(member.get((d, s.school), ("", None))[0]) for d in dims]
        cells += [
            _td(_int(s.aspects_answered), s.aspects_answered),
            _td("" if mean is None else f"{mean:.2f}", s.mean_rank),
            _td(words.difference_text(s.difference), s.difference),
            _td("" if pd.isna(s.percentile) else f"{s.percentile:.0f}", s.percentile),
        ]
        for d in dims:
            group, diff = member.get((d, s.school), ("", None))
            text = words.difference_text(diff, f"the {group} median") if group else ""
            if group and (diff is None or pd.isna(diff)):
                text = f"fewer than {bm.MIN_GROUP} schools in {group}"
            cells.append(_td(text, diff))
        body.append(f"<tr data-school='{escape(str(s.school_urn))}'>{''.join(cells)}</tr>")
    filters = _filters(i, dims, groups)
    return (
        f"<section aria-labelledby='schools-{i}'><h3 id='schools-{i}'>Schools</h3>"
        "<p class='note'>Least developed first. Sort by any column with its heading's button; "
        "filter by name or URN, or by group. Against all schools: the school's mean level "
        "against the median of every school's mean.</p>"
        f"{filters}<p class='count' id='count-{i}' aria-live='polite'></p>"
        f"<div class='scroll' tabindex='0' role='region' aria-labelledby='schools-{i}'>"
        f"<table class='schools sortable' id='schools-table-{i}' data-filter='filter-{i}'>"
        f"<caption>Each school against the cohort, round {escape(cohort.round)}</caption>"
        f"<thead><tr>{ths}</tr></thead><tbody>{''.join(body)}</tbody></table></div></section>"
    )


def _td(text: Any, value: Any = None) -> str:
    shown = "" if text is None or (isinstance(text, float) and math.isnan(text)) else str(text)
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return f"<td>{escape(shown)}</td>"
    return f"<td class='num' data-value='{float(value):.6f}'>{escape(shown)}</td>"


def _filters(i: int, dims: list[str], groups: pd.DataFrame) -> str:
    out = [
        f"<div class='filters' role='search' aria-label='Filter the schools'>"
        f"<label for='filter-{i}'>School name or URN</label>"
        f"<input type='search' id='filter-{i}' class='filter-text' data-table='schools-table-{i}' autocomplete='off'>"
    ]
    for col, d in enumerate(dims, start=2):
        values = sorted(set(groups.loc[groups["group_by"] == d, "group"]))
        options = "".join(f"<option>{escape(v)}</option>" for v in values)
        out.append(
            f"<label for='group-{i}-{d}'>{escape(bm.GROUP_WORDS[d].capitalize())}</label>"
            f"<select id='group-{i}-{d}' class='filter-group' data-table='schools-table-{i}' "
            f"data-column='{col}'><option value=''>All</option>{options}</select>"
        )
    out.append("</div>")
    return "".join(out)


# --- progress -----------------------------------------------------------------------------------


def _progress(bench: bm.Benchmarks, told: story_.Story, i: int) -> str:
    assert told.previous is not None
    fw, before, after = told.fw, told.previous.round, told.cohort.round
    aspects = story_.aspect_changes(bench, fw.id, before, after)
    schools = story_.school_changes(bench, fw.id, before, after)
    a_rows = "".join(
        f"<tr><th scope='row'>{escape(r.aspect_code)}</th><td>{escape(r.aspect_title)}</td>"
        f"<td>{escape(words.level_text(fw, r.median_from))}</td>"
        f"<td>{escape(words.level_text(fw, r.median_to))}</td>"
        f"<td class='num' data-value='{_num(r.mean_change)}'>{escape(words.change_text(r.mean_change))}</td>"
        f"<td class='num'>{_int(r.schools_up)}</td><td class='num'>{_int(r.schools_down)}</td></tr>"
        for r in aspects.itertuples()
    )
    s_rows = "".join(
        f"<tr><td>{escape(str(r.school_urn))}</td><td>{escape(r.school_name)}</td>"
        f"<td class='num' data-value='{_num(r.change)}'>{escape(words.change_text(r.change))}</td>"
        f"<td>{escape(getattr(r, 'aspects_up', ''))}</td><td>{escape(getattr(r, 'aspects_down', ''))}</td></tr>"
        for r in schools.itertuples()
    )
    return (
        f"<section aria-labelledby='progress-{i}'>"
        f"<h3 id='progress-{i}'>Progress from round {escape(before)} to round {escape(after)}</h3>"
        "<p class='note'>Change in mean level: up = more developed. Largest fall first.</p>"
        f"{changes_svg(aspects, f'progress-svg-{i}')}"
        f"<div class='scroll' tabindex='0' role='region' aria-label='Aspects, round to round'>"
        f"<table><caption>Aspects, round {escape(before)} to round {escape(after)}</caption>"
        "<thead><tr><th scope='col'>Code</th><th scope='col'>Aspect</th>"
        "<th scope='col'>Median before</th><th scope='col'>Median after</th>"
        "<th scope='col'>Change in mean level</th><th scope='col'>Schools up</th>"
        f"<th scope='col'>Schools down</th></tr></thead><tbody>{a_rows}</tbody></table></div>"
        f"<div class='scroll' tabindex='0' role='region' aria-label='Schools, round to round'>"
        f"<table><caption>Schools in both rounds, largest fall first</caption>"
        "<thead><tr><th scope='col'>URN</th><th scope='col'>School</th>"
        "<th scope='col'>Change in mean level</th><th scope='col'>Aspects that moved up</th>"
        f"<th scope='col'>Aspects that moved down</th></tr></thead><tbody>{s_rows}</tbody></table>"
        "</div></section>"
    )


def _num(value: Any) -> str:
    return "" if value is None or pd.isna(value) else f"{float(value):.6f}"


def changes_svg(aspects: pd.DataFrame, ident: str) -> str:
    """Change in each aspect's mean level: bars right (up) in blue, left (down) in red, labelled."""
    rows = aspects.dropna(subset=["mean_change"])
    label_w, half, row_h, top = 90, 260, 22, 10
    biggest = max([abs(float(v)) for v in rows["mean_change"]] + [0.5])
    zero = label_w + half + 40
    parts = [
        f"<line x1='{zero}' x2='{zero}' y1='{top}' y2='{top + row_h * len(rows)}' stroke='#595959'/>"
    ]
    for k, r in enumerate(rows.itertuples()):
        y = top + k * row_h
        change = float(r.mean_change)
        w = half * abs(change) / biggest
        x = zero if change >= 0 else zero - w
        colour = "#2c7bb6" if change >= 0 else "#d7191c"
        text = words.change_text(change)
        parts.append(
            f"<text x='{label_w - 6}' y='{y + 15}' text-anchor='end' class='lbl'>{escape(r.aspect_code)}</text>"
            f"<rect x='{x:.1f}' y='{y + 3}' width='{max(w, 1):.1f}' height='{row_h - 6}' fill='{colour}'>"
            f"<title>{escape(f'{r.aspect_code} {r.aspect_title}: {text}')}</title></rect>"
        )
        tx, anchor = (x + max(w, 1) + 4, "start") if change >= 0 else (x - 4, "end")
        parts.append(
            f"<text x='{tx:.1f}' y='{y + 15}' text-anchor='{anchor}' class='lbl'>{escape(text)}</text>"
        )
    height = top + row_h * len(rows) + 10
    ups = int((rows["mean_change"] > 0).sum())
    downs = int((rows["mean_change"] < 0).sum())
    desc = f"Change in mean level per aspect: {ups} aspects up, {downs} down. The table below gives every number."
    return (
        f"<figure><svg role='img' aria-labelledby='{ident}-t {ident}-d' "
        f"viewBox='0 0 {zero + half + 110} {height}' class='chart' xmlns='http://www.w3.org/2000/svg'>"
        f"<title id='{ident}-t'>Change in mean level per aspect since the previous round</title>"
        f"<desc id='{ident}-d'>{escape(desc)}</desc>{''.join(parts)}</svg></figure>"
    )


# --- files --------------------------------------------------------------------------------------


def _files(files: pd.DataFrame) -> str:
    counts = files["status"].value_counts() if "status" in files else pd.Series(dtype=int)
    rows = "".join(
        f"<tr><th scope='row'>{escape(s.replace('_', ' '))}</th><td class='num'>{int(counts.get(s, 0))}</td></tr>"
        for s in _statuses(counts.index)
    )
    return (
        "<section id='files' aria-labelledby='files-h'><h2 id='files-h'>Files received</h2>"
        f"<table class='small'><caption>Files by status</caption><thead><tr><th scope='col'>Status</th>"
        f"<th scope='col'>Files</th></tr></thead><tbody>{rows}</tbody></table>"
        "<p>Why a file was rejected, and what each school must fix: files.csv, problems.csv and "
        "the Data quality sheet of summary.xlsx.</p></section>"
    )


def _statuses(found: Iterable[str]) -> list[str]:
    known = ["accepted", "accepted_with_problems", "blank", "rejected", "superseded", "skipped"]
    return known + sorted(set(found) - set(known))


PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>Self-review report</title>
<style>{css}</style>
</head>
<body>
<a class="skip" href="#fw-0">Skip to the report</a>
{body}
<script>{script}</script>
</body>
</html>
"""

CSS = """
:root { --ink: #1a1a1a; --muted: #4d4d4d; --line: #c8c8c8; --head: #1f3864; }
* { box-sizing: border-box; }
body { font: 16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
  color: var(--ink); margin: 0 auto; padding: 0 1rem 2rem; max-width: 72rem; }
h1, h2, h3, h4 { color: var(--head); line-height: 1.2; }
h2 { border-top: 3px solid var(--head); padding-top: .6rem; margin-top: 2rem; }
.note { color: var(--muted); }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 1rem; top: 1rem; background: #fff; padding: .4rem; z-index: 2; }
nav ul { display: flex; flex-wrap: wrap; gap: .4rem 1.2rem; padding: 0; list-style: none; }
a { color: #0b4f8a; }
:focus-visible { outline: 3px solid #ffbf47; outline-offset: 2px; }
.levels { display: flex; flex-wrap: wrap; gap: .3rem; padding: 0; list-style: none; margin: .2rem 0; }
.scale { display: flex; flex-wrap: wrap; align-items: center; gap: 0 .8rem; }
.scale p { margin: .3rem 0; }
.swatch { display: inline-block; padding: .15rem .6rem; border-radius: 3px; border: 1px solid #595959; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(18rem, 1fr)); gap: .8rem; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: .2rem .9rem .6rem; }
.card h4 { margin: .6rem 0 .3rem; }
.card ol { padding-left: 1.3rem; margin: .2rem 0; }
.card p { margin: .4rem 0 .2rem; }
figure { margin: 1rem 0; }
svg.chart { width: 100%; height: auto; max-width: 52rem; display: block; }
svg .lbl { font-size: 12px; fill: #1a1a1a; }
svg .seg { font-size: 11px; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; margin: .6rem 0 1rem; font-size: .92rem; }
caption { text-align: left; font-weight: 600; padding: .3rem 0; }
th, td { border: 1px solid var(--line); padding: .25rem .45rem; text-align: left; vertical-align: top; }
thead th { background: #eeeeee; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.heat td { text-align: center; white-space: nowrap; font-size: .85rem; }
table.aspects th[scope="row"], table.heat thead th, td.num { white-space: nowrap; }
table.heat thead th { font-size: .85rem; }
.blank { font-style: italic; color: #1a1a1a; }
th button { font: inherit; font-weight: 600; background: none; border: 0; padding: 0; cursor: pointer;
  color: inherit; text-align: left; }
th[aria-sort="ascending"] .arrow::after { content: " \\25B2"; }
th[aria-sort="descending"] .arrow::after { content: " \\25BC"; }
.filters { display: flex; flex-wrap: wrap; gap: .4rem .8rem; align-items: center; margin: .6rem 0; }
.filters input, .filters select { font: inherit; padding: .2rem .4rem; }
.count { color: var(--muted); margin: .2rem 0; }
@media (max-width: 40rem) { body { padding: 0 .5rem 1rem; } table { font-size: .85rem; } }
@media print {
  nav, .filters, .count, .skip { display: none; }
  body { max-width: none; font-size: 10pt; }
  .scroll { overflow: visible; }
  tr, .card, figure { break-inside: avoid; }
  section > h2 { break-before: page; }
  #fw-0 > h2 { break-before: auto; }
  th button .arrow { display: none; }
  tr[hidden] { display: table-row; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""

# Sorting and filtering: plain DOM, no library. Numbers sort by their data-value; text by the
# reader's locale; blanks always last.
SCRIPT = """
(function () {
  "use strict";
  function cellValue(row, col, type) {
    var cell = row.cells[col];
    if (!cell) { return null; }
    if (type === "num") {
      var v = cell.getAttribute("data-value");
      return v === null || v === "" ? null : parseFloat(v);
    }
    var t = cell.textContent.trim();
    return t === "" ? null : t;
  }
  function sortBy(table, col, th) {
    var type = th.getAttribute("data-type");
    var dir = th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
    var heads = table.tHead.rows[0].cells;
    for (var i = 0; i < heads.length; i++) { heads[i].setAttribute("aria-sort", "none"); }
    th.setAttribute("aria-sort", dir);
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var sign = dir === "ascending" ? 1 : -1;
    rows.sort(function (a, b) {
      var x = cellValue(a, col, type), y = cellValue(b, col, type);
      if (x === null && y === null) { return 0; }
      if (x === null) { return 1; }
      if (y === null) { return -1; }
      if (type === "num") { return sign * (x - y); }
      return sign * x.localeCompare(y, undefined, { numeric: true, sensitivity: "base" });
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  function applyFilters(table) {
    var text = document.querySelector("input.filter-text[data-table='" + table.id + "']");
    var query = text ? text.value.trim().toLowerCase() : "";
    var selects = document.querySelectorAll("select.filter-group[data-table='" + table.id + "']");
    var shown = 0, rows = table.tBodies[0].rows;
    for (var i = 0; i < rows.length; i++) {
      var row = rows[i];
      var hay = (row.cells[0].textContent + " " + row.cells[1].textContent).toLowerCase();
      var ok = query === "" || hay.indexOf(query) !== -1;
      for (var k = 0; k < selects.length && ok; k++) {
        var want = selects[k].value;
        var col = parseInt(selects[k].getAttribute("data-column"), 10);
        ok = want === "" || row.cells[col].textContent.trim() === want;
      }
      row.hidden = !ok;
      if (ok) { shown++; }
    }
    var count = document.getElementById(table.id.replace("schools-table-", "count-"));
    if (count) { count.textContent = shown + " of " + rows.length + " schools shown"; }
  }
  var tables = document.querySelectorAll("table.sortable");
  Array.prototype.forEach.call(tables, function (table) {
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, col) {
      var button = th.querySelector("button");
      if (button) { button.addEventListener("click", function () { sortBy(table, col, th); }); }
    });
    applyFilters(table);
  });
  Array.prototype.forEach.call(document.querySelectorAll(".filter-text, .filter-group"), function (el) {
    var table = document.getElementById(el.getAttribute("data-table"));
    el.addEventListener("input", function () { applyFilters(table); });
    el.addEventListener("change", function () { applyFilters(table); });
  });
})();
"""
