"""`sheetreview moderate OUT --sample N|P%`: moderation workbooks for a sample of schools.

For each framework in OUT, the schools of its latest round are sampled (moderate/sample.py) and
each chosen school gets a moderation workbook (moderate/workbook.py) holding its judgements
beside an empty moderated level. The filled workbooks go into the returns folder with the rest:
ingest recognises them by their identity and `report` compares the two judgements.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sheetreview.core import fs, out
from sheetreview.errors import SheetreviewError
from sheetreview.framework import Framework
from sheetreview.moderate.sample import Chosen, parse_size, sample_size, stratified
from sheetreview.moderate.workbook import Judged, write_moderation_workbook
from sheetreview.report.build import load_frameworks, load_responses
from sheetreview.schools import School

SAMPLE_FILE = "sample.csv"
SAMPLE_COLUMNS = (
    "framework",
    "round",
    "school_urn",
    "school_name",
    "overall_level",
    "reason",
    "seed",
    "file",
)


@dataclass
class ModerateSummary:
    dest: Path
    seed: int
    written: list[Path] = field(default_factory=list)
    cohorts: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [
            f"Moderation sample (seed {self.seed}; give --seed {self.seed} to draw it again): "
            + "; ".join(self.cohorts),
            f"Wrote {len(self.written)} moderation workbook(s) and {SAMPLE_FILE} to {self.dest}",
            "Return the filled workbooks into the returns folder and run ingest and report: "
            "moderation.csv and the Moderation sheet compare them with the schools' own levels.",
        ]


def moderate(
    out_dir: Path, dest: Path, *, sample: str, seed: int | None = None, schools: str = ""
) -> ModerateSummary:
    """Choose the sample and write one moderation workbook per chosen school."""
    size = parse_size(sample)
    out_dir, dest = Path(out_dir), Path(dest)
    files = out.read_table(out_dir, out.FILES) if (out_dir / out.FILES).exists() else pd.DataFrame()
    responses = load_responses(out_dir, files)
    frameworks = load_frameworks(out_dir, responses)
    named = [u.strip() for u in schools.split(",") if u.strip()]
    unknown = [u for u in named if u not in set(responses["school"])]
    if unknown:
        raise SheetreviewError(
            f"--schools: no accepted return in {out_dir} from URN {', '.join(unknown)}; "
            "check the URNs (comma separated) against files.csv"
        )
    seed = seed if seed is not None else random.SystemRandom().randrange(1, 1_000_000)
    summary = ModerateSummary(dest, seed)
    fs.make_dir(dest)
    rows = []
    for fid in sorted(frameworks):
        mine = responses[responses["framework"] == fid]
        rnd = out.latest_round(set(mine["round"]))
        cohort = mine[mine["round"] == rnd]
        overall = cohort.groupby("school", as_index=False)["rank"].mean()
        overall = overall.rename(columns={"rank": "mean_rank"})
        n = sample_size(size, len(overall))
        chosen = stratified(overall, n, seed, [u for u in named if u in set(overall["school"])])
        summary.cohorts.append(f"{fid} {rnd}: {len(chosen)} of {len(overall)} schools")
        for pick in chosen:
            rows.append(_write_one(frameworks[fid], rnd, cohort, pick, dest, seed, summary))
    out.write_rows(dest / SAMPLE_FILE, SAMPLE_COLUMNS, rows)
    return summary


def _write_one(
    fw: Framework,
    rnd: str,
    cohort: pd.DataFrame,
    pick: Chosen,
    dest: Path,
    seed: int,
    summary: ModerateSummary,
) -> list[str]:
    own = cohort[cohort["school"] == pick.school]
    first = own.iloc[0]
    school = School(str(first["school_urn"]), str(first["school_name"]))
    blank = [""] * len(own)
    judged = {
        code: Judged(level, evidence, steps)
        for code, level, evidence, steps in zip(
            own["aspect_code"], own["level"], own.get("evidence", blank),
            own.get("next_steps", blank), strict=True,
        )
    }  # fmt: skip
    stem = fs.safe_name(f"{school.urn}-{school.name}-{fw.id}-moderation", 120)
    path = dest / f"{stem}.xlsx"
    write_moderation_workbook(fw, path, school=school, round_label=rnd, judged=judged)
    summary.written.append(path)
    level = fw.level(min(max(pick.stratum, 1), fw.level_count)).label
    return [fw.id, rnd, school.urn, school.name, level, pick.reason, str(seed), path.name]
