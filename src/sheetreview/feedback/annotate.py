"""A marked-up copy of a school's return: each problem cell highlighted, with a comment saying why.

The school's original is only ever read (copied byte for byte, then the copy is edited), so ingest
can be re-run on the same folder and give the same result. openpyxl rewrites the whole package when
it saves: it keeps cells, styles, data validations, sheet protection, defined names and document
properties, but it drops what it does not read (charts and images, and data validations kept in an
extension list). So every copy is checked after saving, and the letter tells the school to make its
changes in its own workbook: the copy is for reading.
"""

from __future__ import annotations

import hashlib
import html
import re
import shutil
import warnings
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill
from openpyxl.utils.cell import coordinate_from_string

from sheetreview.core.fs import write_atomic
from sheetreview.problems import ERROR

ANNOTATABLE = (".xlsx", ".xlsm")
AUTHOR = "sheetreview"
FILLS = {
    # Strong colours: a generated workbook already shades its input cells pale yellow.
    ERROR: PatternFill("solid", fgColor="FF7C80"),  # red: must fix
    "warning": PatternFill("solid", fgColor="FFC000"),  # amber: please check
}


@dataclass(frozen=True)
class Mark:
    """A problem to show at one cell of one sheet."""

    sheet: str
    cell: str
    text: str
    severity: str


@dataclass(frozen=True)
class AnnotateResult:
    path: Path | None  # the marked-up copy, None when none could be made
    marked: int  # cells highlighted
    unplaced: int  # problems with no cell in the copy (file-level, or the sheet is gone)
    letter_note: str  # what the school's letter says about the copy
    problem: str = ""  # why no copy could be made, for the officer
    lost: tuple[str, ...] = ()  # what the copy lacks that the original has


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _no_copy(note: str, problem: str) -> AnnotateResult:
    return AnnotateResult(None, 0, 0, note, problem)


def annotate_copy(
    original: Path, target_stem: Path, marks: Sequence[Mark], *, expected_sha256: str = ""
) -> AnnotateResult:
    """Copy `original` to `target_stem` + its suffix and mark each problem cell in the copy."""
    original = Path(original)
    suffix = original.suffix.lower()
    if suffix not in ANNOTATABLE:
        kind = suffix.lstrip(".") or "this kind of"
        return _no_copy(
            f"We could not make a marked-up copy of this file (an {kind} file cannot be marked up); the places to change are listed below.",
            f"an {kind} file cannot be marked up (only .xlsx and .xlsm); its letter lists the cells",
        )
    if not original.is_file():
        return _no_copy(
            "", f"not found at {original}; pass the folder you ingested with --returns DIR"
        )
    if expected_sha256 and sha256_of(original) != expected_sha256:
        return _no_copy(
            "",
            f"{original} changed since it was ingested, so its problem cells may have moved; run ingest again",
        )
    target = Path(str(target_stem) + suffix)
    return _annotate(original, target, marks, keep_vba=suffix == ".xlsm")


def annotate_job(job: tuple[Path, Path, Sequence[Mark], str]) -> AnnotateResult:
    """`annotate_copy` of (original, target stem, marks, expected sha256): one worker task."""
    original, target_stem, marks, expected_sha256 = job
    return annotate_copy(original, target_stem, marks, expected_sha256=expected_sha256)


def _annotate(
    original: Path, target: Path, marks: Sequence[Mark], keep_vba: bool
) -> AnnotateResult:
    done: dict[str, object] = {}

    def write(tmp: Path) -> None:
        shutil.copyfile(original, tmp)
        done["drawings"] = _has_drawings(tmp)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            wb = load_workbook(tmp, keep_vba=keep_vba, rich_text=True)
        done["warned"] = [str(w.message) for w in caught]
        done["before"] = guards(wb)
        done["marked"], done["unplaced"] = _place_marks(wb, marks)
        wb.save(tmp)
        wb.close()
        done["after"] = saved_guards(tmp)

    try:
        write_atomic(target, write)
    except Exception as exc:  # ingest read it with calamine; openpyxl is stricter
        return _no_copy(
            "",
            f"openpyxl could not open or save it ({type(exc).__name__}: {exc}); its letter lists the cells",
        )
    lost = _losses(done["before"], done["after"], done["warned"], done["drawings"])
    note = (
        f"A copy of this file with each place below highlighted and explained in a comment is attached ({target.name}). "
        "It is for reading: please make the changes in your own workbook."
    )
    return AnnotateResult(target, done["marked"], done["unplaced"], note, lost=lost)


def guards(wb) -> dict[str, tuple[int, bool]]:
    """Per sheet: how many data-validation rules it has, and whether it is protected."""
    return {
        ws.title: (len(ws.data_validations.dataValidation), bool(ws.protection.sheet))
        for ws in wb.worksheets
    }


def saved_guards(path: Path) -> dict[str, tuple[int, bool]]:
    """`guards` of a workbook openpyxl has just saved, read from its XML: loading the copy
    again took as long as marking it up.

    The XML is openpyxl's own, so its elements carry no prefix and a text that looks like one
    is escaped; the original passed ingest's bounds on size before it was copied.
    """
    with zipfile.ZipFile(path) as zf:
        rels = {
            m["Id"]: m["Target"]
            for m in map(_attrs, _RELATIONSHIP.findall(_part(zf, "xl/_rels/workbook.xml.rels")))
        }
        found = {}
        for sheet in map(_attrs, _SHEET.findall(_part(zf, "xl/workbook.xml"))):
            target = rels.get(sheet.get("r:id", ""), "")
            name = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            xml = _part(zf, name) if name in zf.namelist() else ""
            protection = _PROTECTION.search(xml)
            protected = protection is not None and _attrs(protection.group(0)).get("sheet") in (
                "1",
                "true",
            )
            found[html.unescape(sheet.get("name", ""))] = (
                len(_VALIDATION.findall(xml)),
                protected,
            )
    return found


_RELATIONSHIP = re.compile(r"<Relationship\s[^>]*>")
_SHEET = re.compile(r"<sheet\s[^>]*>")
_PROTECTION = re.compile(r"<sheetProtection\b[^>]*>")
_VALIDATION = re.compile(r"<dataValidation\b")
_ATTR = re.compile(r'([\w:]+)="([^"]*)"')


def _attrs(tag: str) -> dict[str, str]:
    return dict(_ATTR.findall(tag))


def _part(zf: zipfile.ZipFile, name: str) -> str:
    return zf.read(name).decode("utf-8", errors="replace")


def _has_drawings(path: Path) -> bool:
    with zipfile.ZipFile(path) as zf:
        return any(re.match(r"xl/(charts|media)/", n) for n in zf.namelist())


def _losses(before: dict, after: dict, warned: list[str], had_drawings: bool) -> tuple[str, ...]:
    lost = []
    for sheet, (n_dv, protected) in before.items():
        n_after, prot_after = after.get(sheet, (0, False))
        if n_after < n_dv:
            lost.append(f"the dropdowns on '{sheet}'")
        if protected and not prot_after:
            lost.append(f"the protection of '{sheet}'")
    if any("extension is not supported" in w for w in warned):
        lost.append("dropdowns kept in an extension list")
    if had_drawings:
        lost.append("charts and images")
    return tuple(lost)


def _place_marks(wb, marks: Sequence[Mark]) -> tuple[int, int]:
    marked = unplaced = 0
    for mark in marks:
        cell = _target_cell(wb, mark)
        if cell is None:
            unplaced += 1
            continue
        cell.fill = FILLS.get(mark.severity, FILLS["warning"])
        text = mark.text if cell.comment is None else f"{cell.comment.text}\n\n{mark.text}"
        comment = Comment(text, AUTHOR)
        comment.width, comment.height = 320, min(60 + 16 * (len(text) // 45 + 1), 400)
        cell.comment = comment
        marked += 1
    return marked, unplaced


def _target_cell(wb, mark: Mark):
    """The cell a problem points at; the top-left cell when it lies in a merged range."""
    if not mark.cell or mark.sheet not in wb.sheetnames:
        return None
    ws = wb[mark.sheet]
    ref = mark.cell.split(":")[0].replace("$", "")
    try:
        coordinate_from_string(ref)
    except ValueError:
        return None
    for merged in ws.merged_cells.ranges:
        if ref in merged:
            return ws.cell(merged.min_row, merged.min_col)
    return ws[ref]
