"""`sheetreview report OUT`: from an ingest OUT folder to the tables, charts and summary workbook.

This module only orchestrates: read what ingest wrote, compute (benchmarks.py), draw (charts.py),
lay out (summary.py), and replace the outputs whole, so an interrupted report never leaves a
half-written file or a chart of a school that is no longer in the cohort.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sheetreview.core import fs, out
from sheetreview.core.out import not_ingested
from sheetreview.core.parallel import Progress
from sheetreview.core.publish import Staging, reading_out
from sheetreview.errors import OutputError
from sheetreview.framework import Aspect, Framework, Level, builtin, builtin_ids, from_dict
from sheetreview.report import awards, charts, moderation
from sheetreview.report import benchmarks as bm
from sheetreview.report.expected import load_expected
from sheetreview.report.html import write_html
from sheetreview.report.summary import MAX_EVIDENCE_ROWS, evidence_fits, write_summary
from sheetreview.report.verification import Verification, load_queries
from sheetreview.schools import read_schools

ACCEPTED = out.READ_STATUSES
FILES_COLUMNS = ("file", "sha256", "bytes", "status", "framework", "school_urn", "school_name")
# What the officer reads in summary.xlsx; the columns after them are the message's parts.
PROBLEMS_COLUMNS = ("file", "sheet", "cell", "code", "severity", "message")
SUMMARY_NAME = out.SUMMARY
HTML_NAME = "report.html"
CHARTS_DIR = out.CHARTS
# Every table a report may write: one it no longer writes (no second round now) is removed.
REPORT_TABLES = (
    "aspect_stats.csv", "school_benchmarks.csv", "school_overall.csv", "round_changes.csv",
    "school_changes.csv", "school_rounds.csv", out.MODERATION,
)  # fmt: skip


@dataclass
class Extras:
    """What the report adds beside the benchmarks: the tables to write (moderation among them),
    queries, moderation and awards for the summary, the schools expected to return, and the
    evidence and next steps still being read (with_text)."""

    tables: dict[str, pd.DataFrame]
    verification: Verification | None = None
    expected: object | None = None
    text: Future | None = None


@dataclass
class ReportSummary:
    """What a report wrote, for the CLI to print."""

    out_dir: Path
    cohorts: list[str] = field(default_factory=list)
    schools: int = 0
    tables: list[Path] = field(default_factory=list)
    summary: Path | None = None
    html: Path | None = None
    charts: int = 0
    school_charts: int = 0
    notes: list[str] = field(default_factory=list)
    # Outputs that could not be replaced (open in Excel, on Windows): one line each; the CLI
    # prints them and exits 1, after every other output was written.
    locked: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [
            f"Report: {self.schools} school(s) in {len(self.cohorts)} cohort(s): "
            + "; ".join(self.cohorts),
            "Wrote " + ", ".join(str(p) for p in self.tables),
            f"Wrote {self.charts} chart(s) to {self.out_dir / 'charts'}"
            + (f" ({self.school_charts} school profiles)" if self.school_charts else ""),
            *self.notes,
        ]
        if self.summary is not None:
            html = f" (or, in any browser, {self.html})" if self.html else ""
            out.append(f"Open first: {self.summary}{html}")
        return out


# --- reading OUT --------------------------------------------------------------------------------


def _read_csv(path: Path, restore: bool = True, **options: object) -> pd.DataFrame:
    """A CSV of OUT as text, as the return said it (see out.restore; `restore` False when its
    bytes hold no guarded value, out.may_hold_guarded); a damaged one is the user's to replace,
    by running ingest again."""
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, **options)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise OutputError(
            f"{path} is damaged ({detail}); run 'sheetreview ingest DIR -o {path.parent}' again "
            "to rewrite it"
        ) from None
    return out.restore_table(table) if restore else table


def load_frameworks(out_dir: Path, responses: pd.DataFrame) -> dict[str, Framework]:
    """The definitions ingest saved; else the built-in one; else what the responses show."""
    known: dict[str, Framework] = {}
    for fid in sorted(set(responses["framework"])):
        saved = out_dir / "frameworks" / f"{fid}.json"
        if saved.exists():
            known[fid] = from_dict(json.loads(saved.read_text(encoding="utf-8")))
        elif fid in builtin_ids():
            known[fid] = builtin(fid)
        else:
            known[fid] = infer_framework(fid, responses[responses["framework"] == fid])
    return known


def infer_framework(fid: str, rows: pd.DataFrame) -> Framework:
    """Levels and aspects as far as the judgements show them (labels of unused levels unknown)."""
    count = pd.to_numeric(rows.get("level_count", pd.Series(dtype=str)), errors="coerce").max()
    ranks = pd.to_numeric(rows["level_rank"], errors="coerce")
    top = int(
        np.nanmax([count if pd.notna(count) else 0, ranks.max() if ranks.notna().any() else 0])
    )
    labels = dict(
        zip(ranks[ranks.notna()].astype(int), rows.loc[ranks.notna(), "level"], strict=True)
    )
    levels = tuple(Level(r, labels.get(r, f"rank {r}")) for r in range(1, top + 1))
    seen = rows.drop_duplicates("aspect_code")
    aspects = tuple(
        Aspect(c, t, "", "aspect")
        for c, t in zip(seen["aspect_code"], seen["aspect_title"], strict=True)
    )
    return Framework(id=fid, title=fid, version="", levels=levels, aspects=aspects)


def accepted_only(responses: pd.DataFrame, files: pd.DataFrame) -> pd.DataFrame:
    """Judgements of accepted returns only, when files.csv can say which those are."""
    if (
        files.empty
        or not {"file", "status"} <= set(files.columns)
        or "source_file" not in responses
    ):
        return responses
    status = dict(zip(files["file"], files["status"], strict=True))
    if not set(responses["source_file"]) <= set(status):
        return responses  # names written differently: trust responses.csv as it is
    return responses[responses["source_file"].map(status).isin(ACCEPTED)]


def load_responses(
    out_dir: Path, files: pd.DataFrame, submit: Callable[..., Future] | None = None
) -> pd.DataFrame:
    """The accepted judgements of responses.csv, with their evidence and next steps."""
    responses, text = _load_responses(out_dir, files, submit)
    return with_text(responses, text)


def _load_responses(
    out_dir: Path, files: pd.DataFrame, submit: Callable[..., Future] | None = None
) -> tuple[pd.DataFrame, Future | None]:
    """The accepted judgements of responses.csv; with `submit` (a worker pool's), their evidence
    and next steps apart, being read by a worker (join them with `with_text`)."""
    path = out_dir / "responses.csv"
    if not path.exists():
        raise not_ingested(out_dir, "responses.csv")
    raw, text = _read_responses(path, submit)
    try:
        responses = bm.prepare(accepted_only(raw, files))
    except ValueError as exc:
        raise OutputError(
            f"{path}: {exc}; run 'sheetreview ingest -o {out_dir}' again to rewrite it"
        ) from None
    if responses.empty:
        raise OutputError(
            f"no accepted returns in {out_dir}: {_file_counts(files)}; see {out_dir / 'files.csv'}"
        )
    return responses, text


def with_text(responses: pd.DataFrame, text: Future | None) -> pd.DataFrame:
    """`responses` with the evidence and next steps a worker read, row by row of responses.csv
    (both keep the file's row numbers as their index, whatever rows `responses` kept)."""
    if text is None:
        return responses
    return responses.join(text.result())


TEXT_COLUMNS = ("evidence", "next_steps")


def _read_responses(
    path: Path, submit: Callable[..., Future] | None = None
) -> tuple[pd.DataFrame, Future | None]:
    """responses.csv, with evidence and next steps only when the Evidence sheet can show them.

    They are most of the file's bytes (10,000 returns: 150 MB of text) and only that sheet uses
    them; without the columns, the summary points to responses.csv instead. With `submit`,
    they are read by a worker while this process reads the rest and works out the statistics
    (parsing them was a third of reading the file): the table comes without them, and the
    worker's future with them.
    """
    fits, guarded = _scan(path, MAX_EVIDENCE_ROWS)
    if fits and submit is not None:
        text = submit(charts.then_ready, _read_text, path, guarded)
        return _read_csv(path, restore=guarded, usecols=lambda c: c not in TEXT_COLUMNS), text
    if fits:  # surely few enough rows: read it in one pass
        raw = _read_csv(path, restore=guarded)
        return raw[[c for c in raw.columns if c not in TEXT_COLUMNS]
                   + [c for c in TEXT_COLUMNS if c in raw.columns]], None  # fmt: skip
    raw = _read_csv(path, restore=guarded, usecols=lambda c: c not in TEXT_COLUMNS)
    if len(raw) <= MAX_EVIDENCE_ROWS:
        text = _read_csv(path, restore=guarded, usecols=lambda c: c in TEXT_COLUMNS)
        for column in text.columns:
            raw[column] = text[column]
    return raw, None


def _read_text(path: Path, restore: bool) -> pd.DataFrame:
    """The evidence and next steps of responses.csv (a task for a worker process)."""
    return _read_csv(path, restore=restore, usecols=lambda c: c in TEXT_COLUMNS)


SCAN_CHUNK = 1 << 20


def _scan(path: Path, limit: int) -> tuple[bool, bool]:
    """Whether `path` has at most `limit` lines (so at most as many rows), and whether it may
    hold a guarded value (out.may_hold_guarded), a chunk at a time; (False, True) as soon as
    it has more lines and may hold one. Scanning on past the limit costs a tenth of what
    looking for guarded values column by column costs once read (10,000 returns: 0.05 s of
    bytes against 0.5 s of joined values)."""
    lines, guarded, tail = 0, False, b""
    with open(path, "rb") as fh:
        while chunk := fh.read(SCAN_CHUNK):
            lines += chunk.count(b"\n")
            # the chunk with the end of the one before, so a value's start is not cut in two
            guarded = guarded or out.may_hold_guarded(tail + chunk)
            tail = chunk[-2:]
            if lines > limit and guarded:
                return False, True
    return lines <= limit, guarded


# The school list the officer gave (report --schools, or ingest's): its la, trust and phase make
# the comparator groups. Kept in OUT so a later `report OUT` compares the same groups.
SCHOOL_LIST = "schools.csv"
SCHOOL_LIST_COLUMNS = ["urn", "name", "la", "trust", "phase"]
EXPECTED_AS_LIST = ("school_urn", "school_name", "la", "trust", "phase")


def school_list(out_dir: Path, schools_file: Path | None = None) -> pd.DataFrame | None:
    """The school list for comparator groups: `schools_file` (saved into OUT), else OUT's copy."""
    saved = out_dir / SCHOOL_LIST
    if schools_file is not None:
        listed = read_schools(schools_file)
        table = pd.DataFrame(
            [[s.urn, s.name, s.la, s.trust, s.phase] for s in listed], columns=SCHOOL_LIST_COLUMNS
        )
        out.write_table(table, saved)
        return table
    if saved.exists():
        return out.read_table(out_dir, SCHOOL_LIST, SCHOOL_LIST_COLUMNS)
    if (out_dir / out.EXPECTED).exists():  # the list ingest was given (--schools) serves too
        given = out.read_table(out_dir, out.EXPECTED, out.EXPECTED_COLUMNS)
        given = given.drop_duplicates("school_urn")
        return given.rename(columns=dict(zip(EXPECTED_AS_LIST, SCHOOL_LIST_COLUMNS, strict=True)))[
            list(SCHOOL_LIST_COLUMNS)
        ]
    return None


def _file_counts(files: pd.DataFrame) -> str:
    if files.empty or "status" not in files:
        return "responses.csv holds no judgements"
    counts = files["status"].value_counts()
    return ", ".join(f"{n} {status}" for status, n in counts.items()) + " file(s)"


# --- writing ------------------------------------------------------------------------------------


def write_csv(table: pd.DataFrame, path: Path) -> Path:
    return out.write_table(table, path)


def _rounded(table: pd.DataFrame) -> pd.DataFrame:
    """Figures as a reader wants them in a CSV: means to 3 places, shares to 1, and so on."""
    places = {"mean": 3, "difference": 3, "share": 1, "percentile": 1, "median": 2, "q1": 2}
    places |= {"q3": 2, "cohort_median": 2}
    digits = {}
    for column in table.columns:
        for prefix, n in places.items():
            if column.startswith(prefix) and pd.api.types.is_float_dtype(table[column]):
                digits[column] = n
    return table.round(digits)


def tables(bench: bm.Benchmarks) -> dict[str, pd.DataFrame]:
    """The CSV files of a report, by file name."""
    tables = {
        "aspect_stats.csv": _with_groups(bench.aspect_stats, bench.group_stats),
        "school_benchmarks.csv": _with_groups(bench.school_benchmarks, bench.group_benchmarks).drop(
            columns=["school"]
        ),
        "school_overall.csv": bench.school_overall.drop(columns=["school"]),
    }
    if not bench.round_changes.empty:
        tables["round_changes.csv"] = bench.round_changes
        tables["school_changes.csv"] = bench.school_changes.drop(columns=["school"])
        tables["school_rounds.csv"] = bench.school_rounds.drop(columns=["school"])
    return tables


def _with_groups(table: pd.DataFrame, groups: pd.DataFrame) -> pd.DataFrame:
    """All schools' rows, then each comparator group's (group_by la, trust, phase)."""
    if groups.empty:
        return table
    return pd.concat([table, groups[table.columns]], ignore_index=True)


def write_tables(named: dict[str, pd.DataFrame], out_dir: Path) -> tuple[list[Path], list[str]]:
    """Write each table (a task for a worker process: CSV writing holds the GIL): the paths
    written, and a line for each table that is locked (the others are still written)."""
    written, locked = [], []
    for name, table in named.items():
        try:
            written.append(write_csv(_rounded(table), out_dir / name))
        except fs.OutputLocked as exc:
            locked.append(str(exc))
    return written, locked


# --- charts -------------------------------------------------------------------------------------


def _chart_aspects(bench: bm.Benchmarks, cohort: bm.Cohort) -> charts.Aspects:
    fw = bench.frameworks[cohort.framework]
    stats = bench.of(bench.aspect_stats, cohort)
    heading = f"{fw.title} ({fw.id} {fw.version})".replace(" )", ")")
    heading += f", round {cohort.round}" if cohort.round else ""
    heading += f", {bench.of(bench.school_overall, cohort).shape[0]} schools"
    return charts.Aspects(
        codes=list(stats["aspect_code"]),
        titles=list(stats["aspect_title"]),
        level_labels=[lv.label for lv in fw.levels],
        heading=heading,
    )


def cohort_charts(
    bench: bm.Benchmarks,
    cohort: bm.Cohort,
    folder: Path,
    drawer: charts.Drawer | charts.Batch,
    formats: Sequence[str] = ("png",),
) -> dict[str, Future | charts.Drawn]:
    """Start the distribution and heatmap of one cohort; each future gives [png(, svg)]."""
    aspects = _chart_aspects(bench, cohort)
    stats = bench.of(bench.aspect_stats, cohort)
    n_levels = len(aspects.level_labels)
    counts = stats[[f"n_rank_{r}" for r in range(1, n_levels + 1)]].fillna(0).to_numpy(float)
    overall = bench.of(bench.school_overall, cohort).sort_values(
        ["mean_rank", "school_name"], ascending=[False, True], na_position="last"
    )
    rows = bench.of(bench.school_benchmarks, cohort)
    grid = bm.by_school(rows, "level_rank", overall["school"], aspects.codes, 0)
    ranks = np.array(grid, dtype=float).reshape(len(overall), len(aspects.codes)).astype(int)
    names = list(overall["school_name"])
    return {
        "distribution": drawer.submit(
            charts.distribution_chart,
            aspects,
            counts,
            folder / f"distribution_{cohort.slug}",
            formats,
        ),
        "heatmap": drawer.submit(
            charts.heatmap_chart, aspects, names, ranks, folder / f"heatmap_{cohort.slug}", formats
        ),
    }


def _framework_aspects(bench: bm.Benchmarks, fid: str) -> charts.Aspects:
    fw = bench.frameworks[fid]
    rounds = bench.rounds_of(fid)
    heading = f"{fw.title} ({fw.id} {fw.version})".replace(" )", ")")
    heading += f", rounds {', '.join(rounds)}"
    return charts.Aspects(
        codes=[a.code for a in fw.aspects],
        titles=[a.title for a in fw.aspects],
        level_labels=[lv.label for lv in fw.levels],
        heading=heading,
    )


def progress_charts(
    bench: bm.Benchmarks,
    fid: str,
    folder: Path,
    drawer: charts.Drawer | charts.Batch,
    formats: Sequence[str] = ("png",),
) -> dict[str, Future | charts.Drawn]:
    """Start the medians-by-round and school-movement charts of a framework seen in 2+ rounds."""
    aspects = _framework_aspects(bench, fid)
    rounds = bench.rounds_of(fid)
    stats = bench.aspect_stats[bench.aspect_stats["framework"] == fid]
    medians = stats.pivot(index="aspect_code", columns="round", values="median")
    medians = medians.reindex(index=aspects.codes, columns=rounds).to_numpy(float)
    overall = bench.school_overall[bench.school_overall["framework"] == fid]
    means = overall.pivot(index="school", columns="round", values="mean_rank")
    names = overall.groupby("school")["school_name"].last().reindex(means.index)
    means = means.reindex(columns=rounds).to_numpy(float)
    return {
        "medians": drawer.submit(
            charts.medians_by_round_chart, aspects, rounds, medians,
            folder / f"rounds_medians_{bm.slug(fid)}", formats,
        ),
        "slope": drawer.submit(
            charts.slope_chart, aspects, rounds, list(names), means,
            folder / f"rounds_schools_{bm.slug(fid)}", formats,
        ),
    }  # fmt: skip


def profiles(bench: bm.Benchmarks, cohort: bm.Cohort, folder: Path) -> list[charts.Profile]:
    """One Profile per school of the cohort, named by URN (unique) and name (readable)."""
    aspects = _chart_aspects(bench, cohort)
    stats = bench.of(bench.aspect_stats, cohort).set_index("aspect_code")
    rows = bench.of(bench.school_benchmarks, cohort)
    overall = bench.of(bench.school_overall, cohort)
    grid = bm.by_school(rows, "level_rank", overall["school"], aspects.codes, np.nan)
    medians = list(stats.loc[aspects.codes, "median"].astype(float))
    q1 = list(stats.loc[aspects.codes, "q1"].astype(float))
    q3 = list(stats.loc[aspects.codes, "q3"].astype(float))
    out = []
    for i, (school, ranks) in enumerate(zip(overall.itertuples(), grid, strict=True)):
        stem = bm.slug(f"{school.school_urn or i + 1}-{school.school_name}")
        out.append(
            charts.Profile(
                school=f"{school.school_name} ({school.school_urn})"
                if school.school_urn
                else school.school_name,
                position=_position_line(school),
                aspects=aspects,
                ranks=[float(r) for r in ranks],
                medians=medians,
                q1=q1,
                q3=q3,
                base=str(folder / "schools" / cohort.slug / stem),
            )
        )
    return out


def _position_line(school: object) -> str:
    """Its overall position in words for the profile chart's title: how many levels above or
    below the cohort's median school, never a rank number (a framework may count down)."""
    if pd.isna(school.mean_rank):
        return "No aspect answered"
    if pd.isna(school.cohort_median):
        return "No cohort median: too few schools to show one"
    gap = float(school.mean_rank) - float(school.cohort_median)
    if abs(gap) < 0.05:
        text = "Overall level with the cohort median"
    else:
        side = "above" if gap > 0 else "below"
        text = f"Overall {abs(gap):.1f} level{'' if round(abs(gap), 1) == 1 else 's'} {side} the cohort median"
    if pd.notna(school.percentile):
        text += f", percentile {school.percentile:.0f}"
    return text


# --- the whole report ---------------------------------------------------------------------------


def build_report(
    out_dir: Path,
    *,
    school_charts: bool = True,
    progress: Progress = None,
    jobs: int | None = None,
    svg: bool = False,
    schools_file: Path | None = None,
) -> ReportSummary:
    """Statistics, charts and summary.xlsx for everything ingest put in `out_dir`.

    Charts and CSV files are made in worker processes while this one writes the workbook.
    Each chart is a PNG; `svg` adds an SVG of each (slower: vector output lays out every text
    again, and a school's PNG reuses its cohort's rendered background).
    """
    out_dir = Path(out_dir)
    with reading_out(out_dir, "report"), charts.Drawer(jobs, fork=True) as drawer:
        files = out.read_table(out_dir, out.FILES, FILES_COLUMNS, missing_ok=True)
        problems = out.read_table(out_dir, out.PROBLEMS, PROBLEMS_COLUMNS, missing_ok=True)
        # The officer reads the message; the columns after it are its parts, for the letters.
        problems = problems[[c for c in PROBLEMS_COLUMNS if c in problems.columns]]
        groups = school_list(out_dir, schools_file)
        submit = drawer.submit if drawer.pool else None
        responses, text = _load_responses(out_dir, files, submit)
        responses = bm.attach_groups(responses, groups)
        bench = bm.compute(responses, load_frameworks(out_dir, responses))
        mod = moderation.build(responses, out_dir, bench.frameworks)
        levels = awards.school_levels(responses, None if mod.empty else mod.moderated_levels())
        bench.school_overall = awards.add_award_ready(
            bench.school_overall, levels, bench.frameworks
        )
        checks = Verification(load_queries(out_dir), mod, bench.school_overall, bench.frameworks)
        result = ReportSummary(out_dir, cohorts=[c.label for c in bench.cohorts])
        result.schools = int(bench.school_overall["school"].nunique())
        expected = load_expected(out_dir, [(c.framework, c.round) for c in bench.cohorts])
        if expected is not None:
            result.notes += [
                f"{' '.join(p for p in (c.framework, c.round) if p)}: {c.text}"
                for c in expected.counts
            ]
        named_tables = tables(bench)
        if not mod.empty:
            named_tables[out.MODERATION] = mod.table
        extras = Extras(named_tables, checks, expected, text)
        with Staging(out_dir) as stage:
            _draw_and_write(
                bench, files, problems, stage.dir, result, school_charts, progress, drawer, svg,
                extras,
            )  # fmt: skip
            named = [SUMMARY_NAME, HTML_NAME, CHARTS_DIR, *(p.name for p in result.tables)]
            try:
                stage.publish(named, remove=[n for n in REPORT_TABLES if n not in named])
            except fs.OutputLocked as exc:
                result.locked += str(exc).splitlines()
        result.tables = [out_dir / p.name for p in result.tables]
        result.summary = out_dir / SUMMARY_NAME
        result.html = out_dir / HTML_NAME
    result.notes += _summary_notes(bench)
    return result


def _draw_and_write(
    bench: bm.Benchmarks,
    files: pd.DataFrame,
    problems: pd.DataFrame,
    folder: Path,
    result: ReportSummary,
    school_charts: bool,
    progress: Progress,
    drawer: charts.Drawer,
    svg: bool = False,
    extras: Extras | None = None,
) -> None:
    """Every output of the report, into `folder` (the staging folder, published whole)."""
    chart_dir = folder / CHARTS_DIR
    chart_dir.mkdir()
    # The workers outlive this function (they were started before OUT was read): on a failure,
    # stop them before the staging folder is removed, so none writes into it afterwards.
    try:
        formats = ("png", "svg") if svg else ("png",)
        # The tables first: the cohort charts then go to the worker that imported matplotlib
        # while OUT was read (charts.then_ready).
        extras = extras or Extras(tables(bench))
        written = drawer.submit(write_tables, extras.tables, folder)
        started = start_charts(bench, chart_dir, drawer, formats)
        # A task never mixes cohorts: a worker draws each cohort's background once, not again
        # every time its next task holds another cohort's schools.
        parts = charts.profile_tasks(
            [profiles(bench, c, chart_dir) for c in (bench.cohorts if school_charts else [])],
            drawer.workers,
        )
        todo = [p for part in parts for p in part]
        tasks = [drawer.submit(charts.draw_profiles, part, formats) for part in parts]
        # The page first: the workbook's Overview, written last, waits for the charts.
        write_html(folder / HTML_NAME, bench, files)
        # Only the workbook's Evidence sheet needs the text, read by a worker meanwhile.
        bench.responses = with_text(bench.responses, extras.text)
        result.summary = write_summary(
            folder / SUMMARY_NAME,
            bench,
            files=files,
            problems=problems,
            charts=lambda: pngs(started),
            verification=extras.verification,
            expected=extras.expected,
            submit=drawer.submit,
        )
        result.tables, locked = written.result()
        result.locked += locked
        result.school_charts = charts.wait_all(tasks, len(todo), progress)
        # Every chart is in the folder before it is published, whatever the workbook waited for.
        for made in started.values():
            for future in made.values():
                future.result()
    except BaseException:
        drawer.close(cancel=True)
        raise
    result.charts = len(list(chart_dir.rglob("*.png")))


def pngs(started: dict) -> dict:
    """The PNG of each started chart, once drawn (the workbook embeds them)."""
    return {key: {kind: f.result()[0] for kind, f in made.items()} for key, made in started.items()}


def start_charts(
    bench: bm.Benchmarks, folder: Path, drawer: charts.Drawer, formats: Sequence[str] = ("png",)
) -> dict:
    """Start every chart but the school profiles, a few to a task (charts.Batch); what each
    gives, by cohort (or framework) and kind."""
    batch = charts.Batch(drawer)
    started: dict = {
        cohort: cohort_charts(bench, cohort, folder, batch, formats) for cohort in bench.cohorts
    }
    for fid in bench.compared:
        started[("progress", fid)] = progress_charts(bench, fid, folder, batch, formats)
    batch.start()
    return started


def _summary_notes(bench: bm.Benchmarks) -> list[str]:
    notes = []
    if not evidence_fits(bench):
        notes.append(
            "summary.xlsx: too many judgements with evidence for one sheet to open quickly; "
            "the Evidence sheet points to responses.csv, which holds them all"
        )
    if bench.compared:
        partial = bench.school_rounds[bench.school_rounds["in_every_round"] == "no"]
        notes.append(
            f"Progress between rounds of {', '.join(bench.compared)}: see the Progress sheet; "
            f"{len(partial)} school(s) not in every round are listed in school_rounds.csv"
        )
    if bench.unmapped:
        notes.append(
            "Aspects of an earlier framework version with no counterpart (not compared): "
            + "; ".join(bench.unmapped)
        )
    return notes
