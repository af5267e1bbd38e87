"""Which folders of returns an OUT holds, and keeping OUT and those folders apart.

An officer collects round 1's returns in one folder and round 2's in another, and keeps one OUT
for both so the report can show progress. So OUT remembers every folder it was given (in
run.json, with the round given for it) and every run reads them all again: ingesting round 2 never
silently replaces round 1. A folder that has gone is not dropped silently either: the run stops
and says how to proceed.

OUT must never be read as returns: an annotated copy of a school's return in OUT/feedback would be
accepted and supersede the school's real one. So OUT inside a returns folder (or a returns folder
inside OUT) is refused, compared by real path (a symlink or `..` cannot hide it), and an older
OUT found under a returns folder is skipped, file by file, with the reason.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from sheetreview.errors import SheetreviewError

RUN = "run.json"
# What marks a folder as written by sheetreview: an ingest OUT, or feedback's and packs' folders.
_OUT_MARKS = ("ledger.sqlite", "files.csv")
_MANIFESTS = (".sheetreview-feedback", ".sheetreview-packs")


@dataclass(frozen=True)
class Input:
    """One folder of returns an OUT holds, and the round given for returns that name none."""

    dir: Path  # absolute, as the user gave it (shown in messages and files)
    round: str = ""

    @property
    def real(self) -> str:
        return os.path.realpath(self.dir)

    def to_json(self) -> dict[str, str]:
        return {"dir": str(self.dir), "round": self.round}


@dataclass
class Inputs:
    """The folders a run reads, and the folder its file paths are relative to."""

    folders: list[Input]
    added: list[Input]  # given now for the first time
    kept: list[Input]  # remembered from earlier runs and read again

    @property
    def base(self) -> Path:
        """The folder every file path in files.csv is relative to: the one folder, or the
        deepest folder holding them all, so two rounds' `return.xlsx` stay two names."""
        if len(self.folders) == 1:
            return self.folders[0].dir
        try:
            return Path(os.path.commonpath([str(f.dir) for f in self.folders]))
        except ValueError:  # Windows: folders on different drives have nothing in common
            raise SheetreviewError(
                "the returns folders are on different drives ("
                + ", ".join(str(f.dir) for f in self.folders)
                + "); copy them to one drive, then run again"
            ) from None

    def lines(self) -> list[str]:
        """What the officer should know: which folders this OUT now holds."""
        if len(self.folders) < 2:
            return []
        shown = "; ".join(
            f"{f.dir}" + (f" (round {f.round})" if f.round else "") for f in self.folders
        )
        return [
            f"This output folder holds the returns of {len(self.folders)} folders, all read again: "
            f"{shown}. To drop one, run again with --forget FOLDER."
        ]


def remembered(out_dir: Path) -> list[Input]:
    """The folders earlier runs read into OUT (none for a new or unreadable OUT)."""
    try:
        run = json.loads((Path(out_dir) / RUN).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(run, dict):
        return []
    folders = run.get("inputs")
    if isinstance(folders, list):
        out = []
        for f in folders:
            if isinstance(f, dict) and isinstance(f.get("dir"), str):
                out.append(Input(Path(f["dir"]), str(f.get("round") or "")))
        return out
    if isinstance(run.get("input_dir"), str):  # an OUT of a version that read one folder
        return [Input(Path(run["input_dir"]), str(run.get("round") or ""))]
    return []


def plan(
    out_dir: Path,
    given: list[Path],
    round_label: str | None = None,
    forget: list[Path] | tuple[Path, ...] = (),
) -> Inputs:
    """The folders to read: those OUT remembers (less any forgotten), then those given now.

    `round_label` is the round for returns without one in the folders given now; a remembered
    folder keeps the round it was given with, unless it is given again.
    """
    out_dir = Path(out_dir)
    given_inputs = [Input(Path(os.path.abspath(d)), round_label or "") for d in given]
    old = remembered(out_dir)
    gone_forget = {os.path.realpath(os.path.abspath(f)) for f in forget}
    gone_forget |= {os.path.abspath(f) for f in forget}
    unknown = [
        f for f in forget if not any(_same(o, f) for o in old) and not _in_given(f, given_inputs)
    ]
    if unknown:
        held = ", ".join(str(o.dir) for o in old) or "no folders"
        raise SheetreviewError(
            f"--forget {unknown[0]}: {out_dir} does not hold that folder (it holds {held})"
        )
    old = [o for o in old if str(o.dir) not in gone_forget and o.real not in gone_forget]
    given_real = {g.real for g in given_inputs}
    kept = [o for o in old if o.real not in given_real]
    folders = kept + _dedupe(given_inputs)
    if not folders:
        raise SheetreviewError(
            f"no returns folder given and {out_dir} holds none; "
            f"run 'sheetreview ingest RETURNS_DIR -o {out_dir}'"
        )
    for k in kept:
        if not k.dir.is_dir():
            raise SheetreviewError(
                f"{out_dir} holds the returns of {k.dir}, which is no longer a folder; put it "
                f"back, or run again with --forget {k.dir} to drop its returns from {out_dir}"
            )
    for g in given_inputs:
        if not g.dir.is_dir():
            raise SheetreviewError(f"{g.dir}: no such folder; give the folder the returns are in")
    check_apart(folders, out_dir)
    old_real = {o.real for o in old}
    added = [f for f in folders if f.real not in old_real]
    return Inputs(folders, added, kept)


def _same(item: Input, path: Path) -> bool:
    return str(item.dir) == os.path.abspath(path) or item.real == os.path.realpath(path)


def _in_given(path: Path, given: list[Input]) -> bool:
    return any(_same(g, path) for g in given)


def _dedupe(items: list[Input]) -> list[Input]:
    seen: set[str] = set()
    out = []
    for item in items:
        if item.real not in seen:
            seen.add(item.real)
            out.append(item)
    return out


def inside(path: str, root: str) -> bool:
    """True when real path `path` is `root` or lies under it (both real paths)."""
    path, root = os.path.normcase(path), os.path.normcase(root)
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def check_apart(folders: list[Input], out_dir: Path) -> None:
    """Refuse OUT inside a returns folder, a returns folder inside OUT, or one returns folder
    inside another (its files would be read twice): compared by real path."""
    out_real = os.path.realpath(out_dir)
    for f in folders:
        if inside(out_real, f.real):
            raise SheetreviewError(
                f"the output folder {out_dir} is inside the returns folder {f.dir}, so its "
                f"outputs would be read as returns; give an output folder outside it, e.g. "
                f"-o {_sibling(f.dir)}"
            )
        if inside(f.real, out_real):
            raise SheetreviewError(
                f"the returns folder {f.dir} is inside the output folder {out_dir}; move the "
                f"returns out of it, or give another output folder, e.g. -o {_sibling(f.dir)}"
            )
    for a in folders:
        for b in folders:
            if a is not b and inside(b.real, a.real):
                raise SheetreviewError(
                    f"the returns folder {b.dir} is inside {a.dir}, which is read too; "
                    f"give only one of them"
                )


def _sibling(folder: Path) -> Path:
    """An output folder beside the returns folder, never in it."""
    folder = Path(os.path.abspath(folder))
    return folder.with_name(f"{folder.name or 'returns'}-out")


def output_folder(dirpath: str, names: list[str]) -> bool:
    """Whether a folder met while walking the returns was written by sheetreview (an older OUT,
    or a feedback or packs folder): its files are outputs, never returns."""
    present = set(names)
    if RUN in present and any(m in present for m in _OUT_MARKS):
        return True
    return any(m in present for m in _MANIFESTS)
