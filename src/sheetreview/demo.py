"""The whole pipeline on the bundled sample cohort: what `make demo` shows a newcomer.

The sample ships inside the package (sheetreview/sample/) so the demo works from an installed
wheel as well as from a checkout.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from sheetreview.framework import all_builtin, builtin
from sheetreview.generate import generate_workbooks
from sheetreview.ingest import ingest
from sheetreview.report import build_report

Progress = Callable[[int, int], None] | None


@dataclass
class DemoSummary:
    out_dir: Path
    ingest_lines: list[str] = field(default_factory=list)
    report_lines: list[str] = field(default_factory=list)
    templates: list[Path] = field(default_factory=list)
    workbooks: list[Path] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = self.out_dir
        return [
            f"Blank workbooks, one per framework: {out / 'templates'} ({len(self.templates)} files)",
            f"Personalised workbooks for the sample schools: {out / 'workbooks'} ({len(self.workbooks)} files)",
            *self.ingest_lines,
            *self.report_lines,
            "",
            "Open first:",
            f"  {out / 'summary.xlsx'}   the trust leader's five-minute read",
            f"  {out / 'charts'}/        distributions, heatmaps and each school's profile",
            f"  {out / 'files.csv'} and {out / 'problems.csv'}   what each school must fix",
            f"  {out / 'templates'}/      what a school fills in",
        ]


def sample_dir() -> Path:
    """The packaged sample cohort as a real folder (ingest walks it)."""
    return Path(str(resources.files("sheetreview") / "sample"))


def run_demo(out_dir: Path, *, progress: Progress = None) -> DemoSummary:
    sample = sample_dir()
    summary = DemoSummary(Path(out_dir))
    templates = Path(out_dir) / "templates"
    for fw in all_builtin():
        summary.templates += generate_workbooks(fw, templates)
    summary.workbooks = generate_workbooks(
        builtin("edtech-srf"),
        Path(out_dir) / "workbooks",
        schools_file=sample / "schools.csv",
        round_label="2027-autumn",
        progress=progress,
    )
    result = ingest(sample / "returns", Path(out_dir), progress=progress)
    summary.ingest_lines = result.lines()
    summary.report_lines = build_report(Path(out_dir), progress=progress).lines()
    return summary
