"""`sheetreview report OUT` from the command line: what it writes, and its one-line errors."""

from __future__ import annotations

import csv

from click.testing import CliRunner
from test_benchmarks import COHORT, FILE_COLUMNS, RESPONSE_COLUMNS, judgements, write_out

from sheetreview.cli import cli


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_report_before_ingest_says_to_run_ingest_and_exits_1(tmp_path):
    result = run("report", str(tmp_path))
    assert result.exit_code == 1
    assert "responses.csv not found: run 'sheetreview ingest RETURNS_DIR -o" in result.output
    assert "Traceback" not in result.output


def test_report_with_no_accepted_returns_says_so_and_exits_1(tmp_path):
    with (tmp_path / "responses.csv").open("w", newline="") as fh:
        csv.writer(fh).writerow(RESPONSE_COLUMNS)
    with (tmp_path / "files.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=FILE_COLUMNS)
        writer.writeheader()
        writer.writerow(dict(file="a.xls", status="rejected", reason="legacy .xls"))
        writer.writerow(dict(file="b.pdf", status="skipped", reason="not a spreadsheet"))
    result = run("report", str(tmp_path))
    assert result.exit_code == 1
    assert f"no accepted returns in {tmp_path}: 1 rejected, 1 skipped file(s)" in result.output
    assert "files.csv" in result.output.splitlines()[-1]
    assert not (tmp_path / "summary.xlsx").exists()


def test_report_writes_tables_summary_and_charts(tmp_path):
    out = write_out(tmp_path / "out", judgements("edtech-srf", "2026-autumn", COHORT))
    result = run("report", str(out))
    assert result.exit_code == 0, result.output
    for name in ("aspect_stats.csv", "school_benchmarks.csv", "school_overall.csv", "summary.xlsx"):
        assert (out / name).exists(), name
    charts = out / "charts"
    assert (charts / "distribution_edtech-srf-2026-autumn.png").exists()
    assert not list(charts.rglob("*.svg"))  # vector copies only with --svg
    profiles = sorted(p.name for p in (charts / "schools" / "edtech-srf-2026-autumn").glob("*.png"))
    assert profiles == ["100001-a.png", "100002-b.png", "100003-c.png", "100004-d.png"]
    assert f"Open first: {out / 'summary.xlsx'}" in result.output
    assert not list(out.glob(".*"))  # no staging folder or temporary file left


def test_report_again_drops_charts_of_schools_no_longer_in_the_cohort(tmp_path):
    out = write_out(tmp_path, judgements("edtech-srf", "r", COHORT))
    assert run("report", str(out)).exit_code == 0
    fewer = {k: v for k, v in COHORT.items() if k[1] != "D"}
    write_out(out, judgements("edtech-srf", "r", fewer))
    assert run("report", "--no-school-charts", str(out)).exit_code == 0
    assert not (out / "charts" / "schools").exists()
    assert "100004" not in (out / "school_overall.csv").read_text()


def test_only_accepted_returns_are_counted(tmp_path):
    rows = judgements("edtech-srf", "r", COHORT)
    superseded = dict(
        file="old/A.xlsx", status="superseded", framework="edtech-srf", school_urn="100001",
        school_name="A", reason="replaced by a later return",
    )  # fmt: skip
    old = [dict(r, source_file="old/A.xlsx", level="1", level_rank="4") for r in rows[:3]]
    write_out(tmp_path, rows + old, extra_files=[superseded])
    # write_out marks every source file accepted; mark the old one superseded as ingest would
    files = (tmp_path / "files.csv").read_text().splitlines()
    kept = [line for line in files if not line.startswith("old/A.xlsx,0")]
    (tmp_path / "files.csv").write_text("\n".join(kept) + "\n")
    assert run("report", "--no-school-charts", str(tmp_path)).exit_code == 0
    stats = list(csv.DictReader((tmp_path / "aspect_stats.csv").open()))
    assert next(s for s in stats if s["aspect_code"] == "1a-1")["n"] == "4"


def test_school_profiles_say_where_a_school_stands_in_words_and_svg_on_request(tmp_path):
    out = write_out(tmp_path / "out", judgements("edtech-srf", "2026-autumn", COHORT))
    assert run("report", str(out)).exit_code == 0
    folder = out / "charts" / "schools" / "edtech-srf-2026-autumn"
    assert list(folder.glob("*.png")) and not list(folder.glob("*.svg"))
    result = run("report", "--svg", str(out))
    assert result.exit_code == 0, result.output
    svgs = sorted(folder.glob("*.svg"))
    assert len(svgs) == 4
    assert (out / "charts" / "heatmap_edtech-srf-2026-autumn.svg").exists()
    text = svgs[0].read_text(encoding="utf-8")
    assert "cohort median" in text.lower()
    assert "level_rank" not in text and "Mean level" not in text


def test_report_with_a_bad_school_list_says_which_row_and_exits_1(tmp_path):
    out = write_out(tmp_path / "out", judgements("edtech-srf", "2026-autumn", COHORT))
    listed = tmp_path / "schools.csv"
    listed.write_text("urn,name,trust\n100001,A,Oak\n,B,Oak\n", encoding="utf-8")
    result = run("report", str(out), "--schools", str(listed), "--no-school-charts")
    assert result.exit_code == 1
    assert "row 3" in result.output and "URN" in result.output
    assert "Traceback" not in result.output
    assert not (out / "schools.csv").exists()


def test_report_names_report_html_beside_the_summary(tmp_path):
    out = write_out(tmp_path / "out", judgements("edtech-srf", "2026-autumn", COHORT))
    result = run("report", str(out), "--no-school-charts")
    assert result.exit_code == 0, result.output
    assert (out / "report.html").exists()
    assert f"(or, in any browser, {out / 'report.html'})" in result.output
