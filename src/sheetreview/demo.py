"""The whole pipeline on the bundled sample cohort: what `make demo` shows a newcomer.

The sample ships inside the package (sheetreview/sample/) so the demo works from an installed
wheel as well as from a checkout.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from sheetreview.core.parallel import Progress, start_server
from sheetreview.feedback.letters import write_feedback
from sheetreview.framework import all_builtin, builtin
from sheetreview.generate import generate_workbooks
from sheetreview.moderate import moderate
from sheetreview.packs.build import write_packs
from sheetreview.read.ingest import READER_MODULES, ingest
from sheetreview.read.inputs import remembered
from sheetreview.report.build import build_report
from sheetreview.report.charts import WORKER_MODULES as REPORT_WORKER_MODULES


@dataclass
class DemoSummary:
    out_dir: Path
    ingest_lines: list[str] = field(default_factory=list)
    report_lines: list[str] = field(default_factory=list)
    feedback_lines: list[str] = field(default_factory=list)
    packs_lines: list[str] = field(default_factory=list)
    moderate_lines: list[str] = field(default_factory=list)
    templates: list[Path] = field(default_factory=list)
    workbooks: list[Path] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = self.out_dir
        return [
            f"Blank workbooks, one per framework: {out / 'templates'} ({len(self.templates)} files)",
            *self.ingest_lines,
            *self.report_lines,
            *self.feedback_lines,
            *self.packs_lines,
            *self.moderate_lines,
            f"Next round's workbooks, showing each school's previous levels: {out / 'workbooks'} ({len(self.workbooks)} files)",
            "",
            "Open first:",
            f"  {out / 'summary.xlsx'}  the trust leader's five-minute read (Overview: queries "
            "and award readiness; Queries and Moderation sheets)",
            f"  {out / 'report.html'}  the same story in any browser, on a laptop or a phone",
            f"  {out / 'queries.csv'}, {out / 'moderation.csv'}  unlikely judgements to confirm; "
            "the moderated sample beside the schools' own levels",
            f"  {out / 'charts'}/  distributions, heatmaps, progress and each school's profile",
            f"  {out / 'files.csv'}, {out / 'problems.csv'} and {out / 'feedback'}/  what each school must fix",
            f"  {out / 'packs'}/  each school's own benchmark pack",
            f"  {out / 'templates'}/  what a school fills in",
        ]


def sample_dir() -> Path:
    """The packaged sample cohort as a real folder (ingest walks it)."""
    return Path(str(resources.files("sheetreview") / "sample"))


# Every stage's workers, imported once by the server they are forked from where there is one
# (macOS), while the templates are written: otherwise the report's, the packs' and the
# feedback's workers each import matplotlib, typst or openpyxl again. On Linux each stage's
# workers are forked from this process, with what it has imported.
WORKER_MODULES = [
    *READER_MODULES,
    *REPORT_WORKER_MODULES,
    "sheetreview.packs.document",
    "sheetreview.feedback.annotate",
    "sheetreview.workbook",
]


def run_demo(out_dir: Path, *, progress: Progress = None) -> DemoSummary:
    start_server(WORKER_MODULES)
    sample = sample_dir()
    out = Path(out_dir)
    summary = DemoSummary(out)
    for fw in all_builtin():
        summary.templates += generate_workbooks(fw, out / "templates")
    # The demo's OUT holds the sample alone, whichever copy of it an earlier demo read.
    earlier = [f.dir for f in remembered(out)]
    summary.ingest_lines = ingest(
        sample / "returns",
        out,
        progress=progress,
        forget=earlier,
        schools=sample / "schools.csv",
        framework_id="edtech-srf",
    ).lines()
    # The school list gives each school's LA, trust and phase: the report compares within them.
    summary.report_lines = build_report(
        out, progress=progress, schools_file=sample / "schools.csv"
    ).lines()
    summary.feedback_lines = write_feedback(out, out / "feedback", annotate=True).lines()
    summary.packs_lines = write_packs(out, out / "packs", progress=progress).lines()
    # The sample holds moderators' filled workbooks for last term's sample (read above); this
    # draws the next sample, as an LA would before its visits.
    summary.moderate_lines = moderate(out, out / "moderation", sample="10%", seed=2027).lines()
    summary.workbooks = generate_workbooks(
        builtin("edtech-srf"),
        out / "workbooks",
        schools_file=sample / "schools.csv",
        round_label="2027-autumn",
        previous_out=out,
        progress=progress,
    )
    return summary
