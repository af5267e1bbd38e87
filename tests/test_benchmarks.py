"""Cohort statistics against values worked out by hand.

The cohort (edtech-srf, whose labels run 4, 3, 2, 1 from least to most developed, so label and
rank differ: label "4" is level_rank 1):

    school  1a-1       1a-2       1b-1
    A       4 (r1)     3 (r2)     blank
    B       3 (r2)     3 (r2)     1 (r4)
    C       2 (r3)     3 (r2)     4 (r1)
    D       3 (r2)     1 (r4)     2 (r3)

`write_out` (also used by the other report tests) builds an ingest OUT folder from such tables.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from sheetreview.framework import builtin
from sheetreview.report import benchmarks as bm

RESPONSE_COLUMNS = [
    "round", "framework", "framework_version", "school_urn", "school_name", "aspect_code",
    "aspect_title", "level", "level_rank", "level_count", "evidence", "next_steps", "source_file",
    "source_sheet", "source_cell",
]  # fmt: skip
FILE_COLUMNS = [
    "file", "sha256", "bytes", "status", "framework", "school_urn", "school_name",
    "aspects_answered", "aspects_total", "problems", "reason",
]  # fmt: skip
PROBLEM_COLUMNS = ["file", "sheet", "cell", "code", "severity", "message"]

COHORT = {
    ("100001", "A"): {"1a-1": "4", "1a-2": "3", "1b-1": ""},
    ("100002", "B"): {"1a-1": "3", "1a-2": "3", "1b-1": "1"},
    ("100003", "C"): {"1a-1": "2", "1a-2": "3", "1b-1": "4"},
    ("100004", "D"): {"1a-1": "3", "1a-2": "1", "1b-1": "2"},
}


def judgements(
    framework_id: str,
    round_label: str,
    schools: dict[tuple[str, str], dict[str, str]],
    evidence: dict[tuple[str, str], str] | None = None,
) -> list[dict[str, str]]:
    """responses.csv rows: one per (school, aspect), levels given as the framework's labels."""
    fw = builtin(framework_id)
    rank = {lv.label: lv.rank for lv in fw.levels}
    rows = []
    for (urn, name), levels in schools.items():
        source = f"{framework_id}/{round_label}/{urn or name}.xlsx"
        for row_no, (code, label) in enumerate(levels.items(), start=5):
            text = (evidence or {}).get((name, code), f"Evidence for {code}" if label else "")
            rows.append(
                dict(
                    round=round_label,
                    framework=fw.id,
                    framework_version=fw.version,
                    school_urn=urn,
                    school_name=name,
                    aspect_code=code,
                    aspect_title=fw.aspect(code).title,
                    level=label,
                    level_rank=str(rank[label]) if label else "",
                    level_count=str(fw.level_count),
                    evidence=text,
                    next_steps="",
                    source_file=source,
                    source_sheet="Review",
                    source_cell=f"E{row_no}",
                )  # fmt: skip
            )
    return rows


def write_out(
    out: Path,
    rows: list[dict[str, str]],
    *,
    extra_files: list[dict[str, str]] = (),
    problems: list[dict[str, str]] = (),
) -> Path:
    """An ingest OUT folder: responses.csv, files.csv, problems.csv and frameworks/<id>.json."""
    out.mkdir(parents=True, exist_ok=True)
    _write_csv(out / "responses.csv", RESPONSE_COLUMNS, rows)
    files = {}
    for r in rows:
        entry = files.setdefault(
            r["source_file"],
            dict(
                file=r["source_file"],
                sha256="0" * 64,
                bytes="1000",
                status="accepted",
                framework=r["framework"],
                school_urn=r["school_urn"],
                school_name=r["school_name"],
                aspects_answered=0,
                aspects_total=len(builtin(r["framework"]).aspects),
                problems="0",
                reason="",
            ),  # fmt: skip
        )
        entry["aspects_answered"] += bool(r["level"])
    _write_csv(out / "files.csv", FILE_COLUMNS, [*files.values(), *extra_files])
    _write_csv(out / "problems.csv", PROBLEM_COLUMNS, list(problems))
    (out / "frameworks").mkdir(exist_ok=True)
    for fid in {r["framework"] for r in rows}:
        text = json.dumps(builtin(fid).to_dict(), ensure_ascii=False)
        (out / "frameworks" / f"{fid}.json").write_text(text, encoding="utf-8")
    return out


def _write_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def compute(rows: list[dict[str, str]]) -> bm.Benchmarks:
    raw = pd.DataFrame(rows, columns=RESPONSE_COLUMNS, dtype=str)
    frameworks = {fid: builtin(fid) for fid in raw["framework"].unique()}
    return bm.compute(bm.prepare(raw), frameworks)


@pytest.fixture(scope="module")
def cohort() -> bm.Benchmarks:
    return compute(judgements("edtech-srf", "2026-autumn", COHORT))


def stat(bench: bm.Benchmarks, code: str) -> dict:
    table = bench.aspect_stats
    return table[table["aspect_code"] == code].iloc[0].to_dict()


def bench_row(bench: bm.Benchmarks, name: str, code: str) -> dict:
    table = bench.school_benchmarks
    return table[(table["school_name"] == name) & (table["aspect_code"] == code)].iloc[0].to_dict()


def test_aspect_stats_count_levels_by_rank_not_label(cohort):
    s = stat(cohort, "1a-1")
    assert (s["n"], s["n_blank"]) == (4, 0)
    assert [s[f"n_rank_{r}"] for r in (1, 2, 3, 4)] == [1, 2, 1, 0]
    assert (s["median"], s["q1"], s["q3"], s["mean"]) == (2.0, 1.75, 2.25, 2.0)


def test_quartiles_use_pandas_linear_interpolation(cohort):
    s = stat(cohort, "1a-2")
    assert (s["median"], s["q1"], s["q3"], s["mean"]) == (2.0, 2.0, 2.5, 2.5)


def test_blank_judgement_is_left_out_not_counted_as_zero(cohort):
    s = stat(cohort, "1b-1")
    assert (s["n"], s["n_blank"]) == (3, 1)
    assert [s[f"n_rank_{r}"] for r in (1, 2, 3, 4)] == [1, 0, 1, 1]
    assert (s["median"], s["q1"], s["q3"]) == (3.0, 2.0, 3.5)
    assert s["mean"] == pytest.approx(8 / 3)


def test_aspect_nobody_answered_is_listed_with_n_zero(cohort):
    s = stat(cohort, "5a-4")
    assert s["n"] == 0 and pd.isna(s["median"])
    assert list(cohort.aspect_stats["aspect_code"]) == [
        a.code for a in builtin("edtech-srf").aspects
    ]


def test_share_at_lowest_and_highest_level(cohort):
    assert stat(cohort, "1a-1")["share_lowest"] == 25.0
    assert stat(cohort, "1a-2")["share_highest"] == 25.0


def test_percentile_counts_others_below_plus_half_the_others_tied(cohort):
    assert bench_row(cohort, "A", "1a-1")["percentile"] == 0.0
    assert bench_row(cohort, "B", "1a-1")["percentile"] == 50.0  # others 1, 3, 2
    assert bench_row(cohort, "C", "1a-1")["percentile"] == 100.0
    assert bench_row(cohort, "A", "1a-2")["percentile"] == pytest.approx(100 / 3)  # 2 of 3 tied
    assert bench_row(cohort, "D", "1b-1")["percentile"] == 50.0  # others 4, 1


def test_cohort_median_includes_the_school_and_difference_follows(cohort):
    row = bench_row(cohort, "C", "1a-1")
    assert (row["level_rank"], row["cohort_median"], row["difference"]) == (3, 2.0, 1.0)
    assert row["position"] == "above"
    assert bench_row(cohort, "B", "1a-1")["position"] == "at"
    assert bench_row(cohort, "A", "1a-1")["position"] == "below"


def test_blank_judgement_has_no_rank_position_or_percentile(cohort):
    row = bench_row(cohort, "A", "1b-1")
    assert pd.isna(row["level_rank"]) and pd.isna(row["percentile"]) and row["position"] == ""
    assert row["cohort_n"] == 3


def test_overall_mean_over_answered_aspects_and_its_percentile(cohort):
    overall = cohort.school_overall.set_index("school_name")
    assert overall.loc["A", "mean_rank"] == 1.5
    assert overall.loc["A", "aspects_answered"] == 2
    assert overall.loc["A", "aspects_total"] == 21
    assert overall.loc["B", "mean_rank"] == pytest.approx(8 / 3)
    assert list(overall.loc[["A", "C", "B", "D"], "percentile"]) == pytest.approx(
        [0, 100 / 3, 200 / 3, 100]
    )
    assert overall.loc["A", "cohort_median"] == pytest.approx((2 + 8 / 3) / 2)


def test_tied_overall_means_share_a_percentile():
    schools = {
        ("1", "P"): {"1a-1": "4", "1a-2": "2"},  # ranks 1, 3: mean 2
        ("2", "Q"): {"1a-1": "3", "1a-2": "3"},  # ranks 2, 2: mean 2
        ("3", "R"): {"1a-1": "1", "1a-2": "1"},  # mean 4
    }
    overall = compute(judgements("edtech-srf", "r1", schools)).school_overall
    assert list(overall.set_index("school_name")["percentile"]) == [25.0, 25.0, 100.0]


def test_cohort_of_one_school_has_no_percentile():
    bench = compute(judgements("edtech-srf", "r1", {("9", "Solo"): {"1a-1": "2", "1a-2": ""}}))
    row = bench_row(bench, "Solo", "1a-1")
    assert pd.isna(row["percentile"]) and row["cohort_median"] == 3.0 and row["position"] == "at"
    assert pd.isna(bench.school_overall.iloc[0]["percentile"])
    assert stat(bench, "1a-1")["n"] == 1


def test_frameworks_and_rounds_are_separate_cohorts():
    rows = judgements("edtech-srf", "2026", {("1", "A"): {"1a-1": "4"}, ("2", "B"): {"1a-1": "1"}})
    rows += judgements("edtech-srf", "2027", {("1", "A"): {"1a-1": "1"}})
    rows += judgements("lp-steps", "2026", {("1", "A"): {"ORG": "Step 5 Transform"}})
    bench = compute(rows)
    assert [c.label for c in bench.cohorts] == [
        "edtech-srf 2026",
        "edtech-srf 2027",
        "lp-steps 2026",
    ]
    lp = bench.aspect_stats[bench.aspect_stats["framework"] == "lp-steps"]
    assert lp.iloc[0]["n_rank_5"] == 1 and lp.iloc[0]["median"] == 5.0
    edtech = bench.aspect_stats[bench.aspect_stats["framework"] == "edtech-srf"]
    assert edtech["n_rank_5"].isna().all()  # edtech-srf has 4 levels: no fifth count
    a_2027 = bench.school_benchmarks.query("round == '2027' and aspect_code == '1a-1'")
    assert pd.isna(a_2027.iloc[0]["percentile"])


def test_urn_with_leading_zero_stays_text(tmp_path):
    from sheetreview.report.build import build_report

    rows = judgements("edtech-srf", "r", {("012345", "Zero"): {"1a-1": "3"}, ("2", "Two"): {}})
    build_report(write_out(tmp_path, rows), school_charts=False)
    text = (tmp_path / "school_benchmarks.csv").read_text(encoding="utf-8")
    assert ",012345,Zero," in text


def test_rounds_sort_by_year_then_season():
    labels = ["2027-spring", "2026-autumn", "2026-spring", "2026-summer"]
    assert sorted(labels, key=bm.round_key) == [
        "2026-spring", "2026-summer", "2026-autumn", "2027-spring",
    ]  # fmt: skip


# Two rounds, worked by hand (edtech-srf labels; rank in brackets):
#            2026                 2027
#   A   1a-1 4 (1), 1a-2 3 (2)   1a-1 3 (2), 1a-2 3 (2)
#   B   1a-1 3 (2), 1a-2 2 (3)   1a-1 3 (2), 1a-2 4 (1)
#   C   1a-1 2 (3)               -              (2026 only)
#   D   -                        1a-1 1 (4)     (2027 only)
ROUND_1 = {
    ("1", "A"): {"1a-1": "4", "1a-2": "3"},
    ("2", "B"): {"1a-1": "3", "1a-2": "2"},
    ("3", "C"): {"1a-1": "2"},
}
ROUND_2 = {
    ("1", "A"): {"1a-1": "3", "1a-2": "3"},
    ("2", "B"): {"1a-1": "3", "1a-2": "4"},
    ("4", "D"): {"1a-1": "1"},
}


@pytest.fixture(scope="module")
def two_rounds() -> bm.Benchmarks:
    return compute(
        judgements("edtech-srf", "2026", ROUND_1) + judgements("edtech-srf", "2027", ROUND_2)
    )


def change(bench: bm.Benchmarks, code: str) -> dict:
    table = bench.round_changes
    return table[table["aspect_code"] == code].iloc[0].to_dict()


def test_change_in_distribution_per_aspect_between_rounds(two_rounds):
    c = change(two_rounds, "1a-1")  # ranks 1, 2, 3 then 2, 2, 4
    assert (c["from_round"], c["to_round"], c["n_from"], c["n_to"]) == ("2026", "2027", 3, 3)
    assert (c["median_from"], c["median_to"], c["median_change"]) == (2.0, 2.0, 0.0)
    assert c["mean_change"] == pytest.approx(8 / 3 - 2)
    shares = [c[f"share_change_rank_{r}"] for r in (1, 2, 3, 4)]
    assert shares == pytest.approx([-100 / 3, 100 / 3, -100 / 3, 100 / 3])
    assert (c["schools_up"], c["schools_down"], c["schools_same"]) == (1, 0, 1)
    c = change(two_rounds, "1a-2")  # ranks 2, 3 then 2, 1
    assert (c["median_from"], c["median_to"], c["median_change"]) == (2.5, 1.5, -1.0)
    assert (c["schools_up"], c["schools_down"], c["schools_same"]) == (0, 1, 1)


def test_each_school_aspects_that_moved_up_or_down(two_rounds):
    moves = two_rounds.school_changes.set_index(["school_name", "aspect_code"])
    assert moves.loc[("A", "1a-1"), "direction"] == "up"
    assert moves.loc[("A", "1a-1"), "change"] == 1
    assert moves.loc[("B", "1a-2"), ["level_from", "level_to", "change", "direction"]].tolist() == [
        "2", "4", -2, "down",
    ]  # fmt: skip
    assert moves.loc[("B", "1a-1"), "direction"] == "same"
    assert set(moves.index.get_level_values(0)) == {"A", "B"}


def test_school_in_only_one_round_is_reported(two_rounds):
    rounds = two_rounds.school_rounds.set_index("school_name")
    assert rounds.loc["C", ["rounds", "missing_rounds", "in_every_round"]].tolist() == [
        "2026",
        "2027",
        "no",
    ]
    assert rounds.loc["D", "missing_rounds"] == "2026"
    assert rounds.loc["A", "in_every_round"] == "yes"


def test_one_round_has_no_progress_tables(cohort):
    assert cohort.round_changes.empty and cohort.compared == []


# --- comparator groups ---------------------------------------------------------------------------

# Six schools in one trust (the smallest group that shows its spread is 5), two in another;
# the LA column is empty for every school, so there is no LA grouping at all.
GROUPED = {(str(100 + i), f"S{i}"): {"1a-1": level} for i, level in enumerate("44332211")}
TRUSTS = {**{str(100 + i): "Oak Trust" for i in range(6)}, "106": "Elm Trust", "107": "Elm Trust"}


def grouped() -> bm.Benchmarks:
    raw = pd.DataFrame(judgements("edtech-srf", "2026", GROUPED), columns=RESPONSE_COLUMNS)
    listed = pd.DataFrame(
        [
            {"urn": u, "name": "", "la": "", "trust": t, "phase": "primary"}
            for u, t in TRUSTS.items()
        ]
    )
    responses = bm.attach_groups(bm.prepare(raw), listed)
    return bm.compute(responses, {"edtech-srf": builtin("edtech-srf")})


def test_statistics_are_also_computed_within_each_trust_and_phase():
    bench = grouped()
    stats = bench.group_stats[bench.group_stats["aspect_code"] == "1a-1"]
    assert sorted(set(zip(stats["group_by"], stats["group"], strict=True))) == [
        ("phase", "primary"), ("trust", "Elm Trust"), ("trust", "Oak Trust"),
    ]  # fmt: skip
    oak = stats[stats["group"] == "Oak Trust"].iloc[0]
    # Oak's labels 4 4 3 3 2 2 are ranks 1 1 2 2 3 3: median 2, two at each rank
    assert (oak["n"], oak["median"], oak["n_rank_1"], oak["n_rank_4"]) == (6, 2, 2, 0)
    phase = stats[stats["group_by"] == "phase"].iloc[0]
    assert phase["n"] == 8 and phase["median"] == bench.aspect_stats.iloc[0]["median"]


def test_a_group_under_five_schools_gets_no_distribution_statistics():
    bench = grouped()
    elm = bench.group_stats[bench.group_stats["group"] == "Elm Trust"].iloc[0]
    assert elm["n"] == 2
    for column in ("median", "q1", "q3", "mean", "n_rank_4", "share_highest"):
        assert pd.isna(elm[column]), column
    elm_schools = bench.group_benchmarks[bench.group_benchmarks["group"] == "Elm Trust"]
    assert elm_schools["cohort_median"].isna().all() and elm_schools["percentile"].isna().all()
    assert (elm_schools["position"] == "").all()


def test_each_school_is_placed_within_its_trust_as_well_as_among_all():
    bench = grouped()
    rows = bench.group_benchmarks
    s0 = rows[(rows["school_urn"] == "100") & (rows["group"] == "Oak Trust")].iloc[0]
    # S0 (rank 1) against Oak's median 2, and below 4 of its 5 others, tied with 1: percentile 10
    assert (s0["cohort_median"], s0["difference"], s0["percentile"]) == (2, -1, 10)
    everyone = bench.school_benchmarks
    assert everyone.iloc[0]["group_by"] == "all" and everyone.iloc[0]["group"] == ""


def test_without_a_school_list_there_are_only_all_school_rows(cohort):
    assert set(cohort.aspect_stats["group_by"]) == {"all"}
    assert cohort.group_stats.empty


def _grouped_report(tmp_path: Path) -> Path:
    """OUT of the grouped schools, reported with the school list naming their trusts."""
    from sheetreview.report.build import build_report

    out = write_out(tmp_path / "out", judgements("edtech-srf", "2026", GROUPED))
    listed = tmp_path / "schools.csv"
    listed.write_text(
        "urn,name,trust\n" + "".join(f"{u},S,{t}\n" for u, t in TRUSTS.items()), encoding="utf-8"
    )
    build_report(out, school_charts=False, schools_file=listed)
    return out


def test_group_columns_reach_the_csv_files(tmp_path):
    from sheetreview.report.build import build_report

    out = _grouped_report(tmp_path)
    stats = pd.read_csv(out / "aspect_stats.csv", dtype=str, keep_default_na=False)
    assert list(stats.columns[:4]) == ["round", "framework", "group_by", "group"]
    assert {"all", "trust"} == set(stats["group_by"])
    schools = pd.read_csv(out / "school_benchmarks.csv", dtype=str, keep_default_na=False)
    assert len(schools[schools["group"] == "Oak Trust"]) == 6  # one judgement per Oak school
    assert (out / "schools.csv").exists()  # a later report compares the same groups
    build_report(out, school_charts=False)
    again = pd.read_csv(out / "aspect_stats.csv", dtype=str, keep_default_na=False)
    assert again.equals(stats)


def _one_group_at_a_time(responses: pd.DataFrame, frameworks: dict) -> dict[str, pd.DataFrame]:
    """The comparator-group tables as they were first computed: every statistic again for
    each group's rows, one group after another (slow with hundreds of trusts, and plain)."""
    tables: dict[str, list[pd.DataFrame]] = {"stats": [], "benchmarks": [], "overall": []}
    for dim in bm.group_dimensions(responses):
        for value, rows in responses[responses[dim] != ""].groupby(dim, sort=True):
            schools = rows.groupby(bm.KEYS)["school"].nunique()
            for name, compute in (("stats", bm.aspect_stats), ("benchmarks", bm.school_benchmarks),
                                  ("overall", bm.school_overall)):  # fmt: skip
                table = compute(rows, frameworks)
                if "group_by" not in table:
                    table.insert(2, "group_by", "")
                    table.insert(3, "group", "")
                table["group_by"], table["group"] = dim, str(value)
                pairs = zip(table["round"], table["framework"], strict=True)
                small = pd.Series([schools.get(p, 0) for p in pairs], index=table.index) < 5
                if name == "stats":
                    hidden = [c for c in table if c.startswith("n_rank_") or c in bm._DISTRIBUTION]
                else:
                    hidden = ["cohort_median", "difference", "percentile"]
                    table["position"] = table["position"].where(~small, "")
                for column in hidden:
                    table[column] = table[column].where(~small)
                tables[name].append(table)
    return {k: pd.concat(v, ignore_index=True) for k, v in tables.items() if v}


LEVELS = {"edtech-srf": ["4", "3", "2", "1", ""], "lp-steps": ["Step 1 Aware", "Step 3 Adopt", ""]}
CODES = {"edtech-srf": ["1a-1", "1a-2", "1b-1"], "lp-steps": ["ORG", "COLLAB"]}


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(st.data())
def test_every_group_computed_at_once_gives_the_tables_of_one_group_at_a_time(data) -> None:
    """Trusts, LAs and phases of any size (under five schools too), names of any text, schools
    missing from the list, two frameworks and two rounds."""
    names = st.sampled_from(["", "Oak Trust", "Elm", "élan trust", "T\x00", "2026-autumn", " "])
    rows, listed = [], []
    for i in range(data.draw(st.integers(6, 24))):
        urn = str(100000 + i)
        group = {d: data.draw(names) for d in ("la", "trust", "phase")}
        if data.draw(st.booleans()):
            listed.append({"urn": urn, "name": "", **group})
        for fid in data.draw(st.sets(st.sampled_from(sorted(LEVELS)), min_size=1)):
            for rnd in data.draw(st.sets(st.sampled_from(["2025-autumn", "2026"]), min_size=1)):
                levels = {c: data.draw(st.sampled_from(LEVELS[fid])) for c in CODES[fid]}
                rows += judgements(fid, rnd, {(urn, f"School {i % 7}"): levels})
    raw = pd.DataFrame(rows, columns=RESPONSE_COLUMNS, dtype=str)
    responses = bm.attach_groups(bm.prepare(raw), pd.DataFrame(listed) if listed else None)
    frameworks = {fid: builtin(fid) for fid in LEVELS}
    expected = _one_group_at_a_time(responses, frameworks)
    if not expected:
        assert bm.group_stats(responses, frameworks).empty
        return
    # A group whose frameworks have fewer levels than another's has no column for the levels it
    # lacks: put together, those columns came last and empty (now in their place, and empty).
    stats = bm.group_stats(responses, frameworks)
    pd.testing.assert_frame_equal(stats, expected["stats"][stats.columns], check_dtype=False)
    pd.testing.assert_frame_equal(
        stats.drop(columns=[c for c in stats if c.startswith("n_rank_")]),
        expected["stats"].drop(columns=[c for c in expected["stats"] if c.startswith("n_rank_")]),
    )
    pd.testing.assert_frame_equal(
        bm.group_benchmarks(responses, frameworks), expected["benchmarks"]
    )
    pd.testing.assert_frame_equal(bm.group_overall(responses, frameworks), expected["overall"])


def test_the_overview_gives_each_trust_its_schools_and_median_or_says_it_is_too_small(tmp_path):
    from python_calamine import CalamineWorkbook

    out = _grouped_report(tmp_path)
    book = CalamineWorkbook.from_path(str(out / "summary.xlsx"))
    rows = book.get_sheet_by_name(book.sheet_names[0]).to_python()
    lines = {
        row[0]: row for row in rows if row and row[0] in ("By trust", "Elm Trust", "Oak Trust")
    }
    assert set(lines) == {"By trust", "Elm Trust", "Oak Trust"}
    assert lines["Elm Trust"][2] == 2 and "fewer than 5 schools" in lines["Elm Trust"][3]
    oak = lines["Oak Trust"]
    assert oak[2] == 6 and oak[3] == 3.0 and oak[4] == "0.5 levels below all schools"
    assert [r[0] for r in rows].index("Elm Trust") < [r[0] for r in rows].index("Oak Trust")
