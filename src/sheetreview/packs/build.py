"""Each school's own benchmark pack: a PDF of its levels against the cohort, and what comes next.

A pack goes to one school, so it holds that school's own judgements and cohort statistics only:
the plan for a pack (`Pack`) is built here from the school's rows and the cohort's aggregates, and
the drawing code (document.py) never sees the cohort's rows, so it cannot print another school's
name, URN, level or evidence. Statistics of fewer than MIN_COHORT schools are withheld (a median
of three schools all but tells each school what the other two chose), and the pack says why.

Statistics come from benchmarks.py, as in the summary, so a pack and the report never disagree.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from sheetreview.core.fs import prune_stale, safe_name
from sheetreview.core.out import FILES, read_table
from sheetreview.core.parallel import Progress, WorkerPool, cpu_count
from sheetreview.core.publish import reading_out
from sheetreview.framework import Framework
from sheetreview.packs.document import (
    MIN_COHORT,
    AspectLine,
    Pack,
    _draw_chunk,
    _float,
    _init_worker,
    draw_pack,
    levels_from,
    warm,
)
from sheetreview.report import awards, moderation
from sheetreview.report import benchmarks as bm
from sheetreview.report.build import load_frameworks, load_responses, school_list
from sheetreview.report.display import shown_line

MANIFEST = ".sheetreview-packs"  # what the last run wrote here (see feedback.prune_stale)


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
    responses = bm.attach_groups(responses, school_list(out_dir))
    frameworks = load_frameworks(out_dir, responses)
    stats = bm.aspect_stats(responses, frameworks)
    overall = bm.school_overall(responses, frameworks)
    groups = bm.group_overall(responses, frameworks)
    mod = moderation.build(responses, out_dir, frameworks)
    levels = awards.school_levels(responses, None if mod.empty else mod.moderated_levels())
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
        positions = _of(overall, cohort).set_index("school").to_dict("index")
        fw = frameworks[cohort.framework]
        # Each school's comparator groups, found once: a pandas filter per school cost more
        # than its pack.
        mine_groups: dict[str, list[dict]] = {}
        for row in [] if groups.empty else _of(groups, cohort).to_dict("records"):
            mine_groups.setdefault(row["school"], []).append(row)
        # Plain dicts per school: a pandas lookup per school and aspect cost more than the pack.
        for school, (urn, name), ranks in _schools(rows):
            file_name = _unique(used, pack_name(urn, name, cohort.framework, cohort.round))
            pack = Pack(
                **_pack(fw, ranks, n_schools, by_code, positions[school]),
                path=str(dest_dir / file_name),
                framework=fw.id,
                round=cohort.round,
                school_urn=urn,
                school_name=name,
            )
            mine = levels.get((cohort.round, cohort.framework, school), {})
            within = group_lines(mine_groups.get(school, []), pack.mean_rank)
            packs.append(replace(pack, awards=tuple(award_lines(fw, mine)), groups=within))
    return packs, frameworks, cohorts


def _of(table: pd.DataFrame, cohort: bm.Cohort) -> pd.DataFrame:
    return table[(table["framework"] == cohort.framework) & (table["round"] == cohort.round)]


def _schools(rows: pd.DataFrame) -> list[tuple[str, tuple[str, str], dict[str, object]]]:
    """Each school of a cohort, in order: its key, (URN, name) and its rank by aspect code."""
    ranks: dict[str, dict[str, object]] = {}
    names: dict[str, tuple[str, str]] = {}
    columns = [rows[c].tolist() for c in ("school", "school_urn", "school_name", "aspect_code")]
    for school, urn, name, code, rank in zip(*columns, rows["rank"].tolist(), strict=True):
        if school not in names:
            names[school] = (str(urn).strip(), str(name).strip())
            ranks[school] = {}
        ranks[school].setdefault(code, rank)  # the first row of an aspect, as drop_duplicates
    return [(school, names[school], ranks[school]) for school in sorted(names)]


def _unique(used: set[str], name: str) -> str:
    stem, n = name[: -len(".pdf")], 1
    while name.casefold() in used:
        n += 1
        name = f"{stem}-{n}.pdf"
    used.add(name.casefold())
    return name


def _pack(
    fw: Framework, ranks: dict[str, object], n_schools: int, by_code: dict, position: dict
) -> dict:
    """A pack's numbers: the school's level and the cohort's statistics for every aspect."""
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
    shown = n_schools >= MIN_COHORT
    return {
        "cohort_schools": n_schools,
        "mean_rank": _float(position["mean_rank"]),
        "cohort_median": _float(position.get("cohort_median")) if shown else None,
        "percentile": _float(position["percentile"]) if shown else None,
        "aspects": tuple(lines),
    }


# --- words --------------------------------------------------------------------------------------


def group_lines(groups: list[dict], mean_rank: float | None) -> tuple[str, ...]:
    """ "Within your trust" beside "all schools": the school's position in each comparator group
    the school list puts it in (`groups`: the school's rows of the group table); a group under 5
    schools gets its size only."""
    if not groups or mean_rank is None:
        return ()
    out = []
    for row in groups:
        where = f"Within your {bm.GROUP_WORDS[row['group_by']]} ({shown_line(str(row['group']))}"
        where += f", {row['cohort_schools']} schools)"
        median = _float(row["cohort_median"])
        if median is None:
            out.append(f"{where}: fewer than {MIN_COHORT} schools, so no comparison is shown.")
            continue
        gap = levels_from(mean_rank, median).replace("the cohort median", "its median")
        text = f"{where}: your average is {gap}"
        percentile = _float(row["percentile"])
        if percentile is not None:
            text += f"; percentile {percentile:.0f}"
        out.append(text + ".")
    return tuple(out)


def award_lines(fw: Framework, levels: dict[str, int]) -> list[str]:
    """The award the school's judgements are ready for, and the aspects between it and the next
    (moderated levels count where the school was moderated)."""
    if not fw.awards:
        return []
    ready = awards.award_ready(fw, levels)
    if ready == awards.NONE:
        out = ["Award readiness: your judgements do not yet meet the rules of any award."]
    else:
        out = [f"Award readiness: your judgements meet the rules of {ready}."]
    target, gaps = awards.gap_to_next(fw, levels)
    if target is None:
        out.append("That is the highest award; a verifier and the award panel decide the award.")
    elif gaps:
        out.append(f"Between you and {target.name}: " + "; ".join(g.sentence() for g in gaps) + ".")
    return out


# --- the command --------------------------------------------------------------------------------


def write_packs(
    out_dir: Path, dest_dir: Path, *, jobs: int | None = None, progress: Progress = None
) -> PacksSummary:
    """A PDF pack per school, framework and round, drawn in parallel processes."""
    out_dir, dest_dir = Path(out_dir), Path(dest_dir)
    with reading_out(out_dir, "packs", writes=[dest_dir]):
        return _write_packs(out_dir, dest_dir, jobs, progress)


def _write_packs(
    out_dir: Path, dest_dir: Path, jobs: int | None, progress: Progress
) -> PacksSummary:
    workers = max(1, jobs or cpu_count())
    # The workers start (imports, typst's fonts) while this process plans the packs.
    with _pool(workers) as pool:
        packs, frameworks, cohorts = plan_packs(out_dir, dest_dir)
        dest_dir.mkdir(parents=True, exist_ok=True)
        summary = PacksSummary(dest_dir, cohorts=cohorts)
        if pool is None or len(packs) < 2:
            for done, pack in enumerate(packs, 1):
                draw_pack(pack, frameworks[pack.framework])
                if progress:
                    progress(done, len(packs))
        else:
            _draw_parallel(pool, packs, frameworks, workers, progress)
    summary.packs = len(packs)
    summary.removed = prune_stale(dest_dir, MANIFEST, [Path(p.path) for p in packs])
    return summary


@contextmanager
def _pool(workers: int) -> Iterator[ProcessPoolExecutor | None]:
    if workers == 1:
        yield None
        return
    # Forked from this process (with what it has imported) unless it has loaded typst: typst
    # lays out on a pool of threads that a forked child would wait on for ever.
    fork = "typst" not in sys.modules
    with WorkerPool(workers, fork=fork, initializer=_init_worker) as pool:
        warming = [pool.submit(warm) for _ in range(workers)]
        yield pool
        for future in warming:
            future.result()  # a worker that could not load typst says so here


def _draw_parallel(
    pool: ProcessPoolExecutor,
    packs: list[Pack],
    frameworks: dict[str, Framework],
    workers: int,
    progress: Progress,
) -> None:
    size = max(1, min(10, math.ceil(len(packs) / (workers * 4))))
    chunks = [packs[i : i + size] for i in range(0, len(packs), size)]
    tasks = [
        pool.submit(_draw_chunk, c, {f: frameworks[f] for f in {p.framework for p in c}})
        for c in chunks
    ]
    done = 0
    for future in as_completed(tasks):
        done += future.result()
        if progress:
            progress(done, len(packs))
