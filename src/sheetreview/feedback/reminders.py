"""A short reminder for each expected school that has not returned (outstanding.csv).

Letters tell a school what to fix in the return it sent; a school that sent nothing, or sent its
workbook back with no level chosen, needs a different note: a polite reminder, ready to paste into
an e-mail. A school whose file was rejected already gets a letter saying why, so none here.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd

from sheetreview.core import fs, out
from sheetreview.core.out import Outstanding

SUBFOLDER = "reminders"
_REMINDED = (Outstanding.MISSING, Outstanding.BLANK)


def write_reminders(out_dir: Path, dest_dir: Path, titles: dict[str, str]) -> list[Path]:
    """One text file per school to remind (all its frameworks and rounds in one); [] when OUT
    holds no schools list or nobody is missing."""
    if not (Path(out_dir) / out.OUTSTANDING).is_file():
        return []
    table = out.read_table(out_dir, out.OUTSTANDING, out.OUTSTANDING_COLUMNS)
    table = table[table["state"].isin([str(s) for s in _REMINDED])]
    if table.empty:
        return []
    titles = {**_builtin_titles(set(table["framework"])), **titles}
    groups = list(table.groupby(["school_urn", "school_name"], sort=False))
    stems = [
        f"{fs.safe_name(urn, 20)}-{fs.safe_name(name, 60, fallback='school')}-reminder"
        for (urn, name), _ in groups
    ]
    paths = []
    for name, ((urn, school), rows) in zip(fs.unique_names(stems, ".txt"), groups, strict=True):
        path = Path(dest_dir) / SUBFOLDER / name
        fs.write_text(path, reminder_text(urn, school, rows, titles))
        paths.append(path)
    return paths


def _builtin_titles(ids: set[str]) -> dict[str, str]:
    """Titles of built-in frameworks no accepted return brought into OUT yet."""
    from sheetreview.framework import builtin, builtin_ids

    return {fid: builtin(fid).title for fid in ids & set(builtin_ids())}


def reminder_text(urn: str, school: str, rows: pd.DataFrame, titles: dict[str, str]) -> str:
    """The reminder, in words a school's office reads at a glance."""
    lines = [f"To: {school} (URN {urn})" if urn else f"To: {school}", ""]
    lines.append("Self-review: a reminder")
    lines.append("")
    for r in rows.itertuples():
        what = titles.get(r.framework, r.framework) or "the self-review"
        when = f", round {r.round}" if r.round else ""
        if r.state == Outstanding.BLANK:
            text = (
                f"The {what} workbook you sent{when} ('{r.file}') has no level chosen for any "
                "aspect, so it does not count as your return yet. Please choose a level for each "
                "aspect, save the workbook and send it again."
            )
        else:
            text = (
                f"We have not yet received your {what} self-review{when}. Please fill in the "
                "workbook we sent you (choose a level for each aspect, add your evidence and next "
                "steps) and send it back."
            )
        lines += textwrap.wrap(text, 78) + [""]
    lines.append("If you have sent it in the last few days, thank you: please ignore this note.")
    return "\n".join(lines) + "\n"
