"""What the summary says about the second pair of eyes: queries, moderation and award readiness.

Kept apart from summary.py's own sheets: the summary calls `overview_lines` for each cohort and
`write_sheets` once, and knows nothing else about them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sheetreview.core import out
from sheetreview.framework import Framework
from sheetreview.read.queries import QUERY_COLUMNS
from sheetreview.report import awards, moderation


def load_queries(out_dir: Path) -> pd.DataFrame:
    if not (Path(out_dir) / out.QUERIES).is_file():
        return pd.DataFrame(columns=list(QUERY_COLUMNS))
    return out.read_table(out_dir, out.QUERIES, QUERY_COLUMNS)


def query_counts(queries: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Queries per `by` (with framework and round): open, answered and in all."""
    keys = ["framework", "round", *by]
    if queries.empty:
        return pd.DataFrame(columns=[*keys, "open", "answered", "queries"])
    table = (
        queries.assign(open=queries["status"] == "open", answered=queries["status"] != "open")
        .groupby(keys, sort=True)[["open", "answered"]]
        .sum()
        .astype(int)
        .reset_index()
    )
    table["queries"] = table["open"] + table["answered"]
    return table.sort_values([*keys[:2], "queries"], ascending=[True, True, False])


@dataclass
class Verification:
    queries: pd.DataFrame
    moderation: moderation.Moderation
    overall: pd.DataFrame  # school_overall, with award_ready
    frameworks: dict[str, Framework]

    def overview_lines(self, framework: str, round_label: str) -> list[tuple[str, Any]]:
        """(label, number) lines for one cohort on the Overview."""
        lines: list[tuple[str, Any]] = []
        mine = self.queries[
            (self.queries["framework"] == framework) & (self.queries["round"] == round_label)
        ]
        if not mine.empty:
            open_ = int((mine["status"] == "open").sum())
            lines.append(("Queries open (unlikely judgements to confirm; Queries sheet)", open_))
            lines.append(("Queries answered by the school", len(mine) - open_))
        fw = self.frameworks.get(framework)
        cohort = self.overall[
            (self.overall["framework"] == framework) & (self.overall["round"] == round_label)
        ]
        if fw is not None and fw.awards:
            for name, n in awards.award_counts(cohort, fw):
                label = "Ready for no award yet" if name == awards.NONE else f"Ready for {name}"
                lines.append((label, n))
        mod = self.moderation.overall
        if not mod.empty:
            row = mod[(mod["framework"] == framework) & (mod["round"] == round_label)]
            if not row.empty:
                r = row.iloc[0]
                lines.append(("Judgements moderated (Moderation sheet)", int(r["n"])))
                lines.append(("Moderation: exact agreement %", r["exact"]))
        return lines

    def write_sheets(self, wb: Any, st: Any, sheet_class: Any) -> None:
        if not self.queries.empty:
            _queries_sheet(wb, st, sheet_class, self.queries)
        if not self.moderation.empty:
            moderation.write_sheet(wb, st, self.moderation, sheet_class)


def _queries_sheet(wb: Any, st: Any, sheet_class: Any, queries: pd.DataFrame) -> None:
    sh = sheet_class(wb.add_worksheet("Queries"), [16, 12, 14, 34, 9, 10, 9])
    sh.line(["Queries: judgements that are possible but unlikely"], st.title, height=22)
    sh.line(
        [
            "A query never changes a level: the school corrects it or confirms it in the Review "
            "sheet's 'Query answer' column. Each query is in queries.csv and, while open, in "
            "problems.csv and the school's feedback letter."
        ],
        st.note,
        fit=False,
    )
    for title, by, label in (
        ("Per school", ["school_urn", "school_name"], ["school_urn", "school_name"]),
        ("Per aspect", ["aspect_code"], ["aspect_code", None]),
    ):
        sh.skip()
        sh.line([title], st.heading, fit=False)
        sh.line(["framework", "round", *["" if c is None else c.replace("_", " ") for c in label],
                 "open", "answered", "in all"], st.header)  # fmt: skip
        for _, r in query_counts(queries, by).iterrows():
            names = ["" if c is None else r[c] for c in label]
            sh.line([r["framework"], r["round"], *names, r["open"], r["answered"], r["queries"]])
