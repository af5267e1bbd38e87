"""Levels typed into the workbook in LibreOffice, as a school types them, count everywhere.

A level such as edtech-srf's "3" looks like a number, and a spreadsheet stores what a person types
by how it looks. LibreOffice types into each level cell through its UNO bridge (`.uno:EnterString`
on the selected cell, what the input line does on Enter), recalculates, and the test reads back
what the school sees: the next level's text, My profile's levels and counts, and no cell marked
invalid. The files it saves (.xlsx, .ods, .pdf) are then ingested and printed. Numbers stored as
numbers (a paste, another program) must count the same: LibreOffice stores some, Gnumeric opens,
recalculates and saves that file, and it is ingested too.
"""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from conftest import need, needs

from devtools import office
from sheetreview import layout
from sheetreview.framework import Framework, builtin, load_file
from sheetreview.read.ingest import ingest
from sheetreview.schools import School
from sheetreview.workbook import write_workbook

pytestmark = [
    pytest.mark.office,
    needs(
        office.have_libreoffice() and office.uno_python() is not None,
        "LibreOffice with python3-uno",
    ),
]

FIVE_STEPS = """\
format: 1
id: five-steps
title: Five steps of our own
version: "1"
levels: ["1", "2", "3", "4", "5"]
aspects:
  - code: A1
    title: Vision
    descriptors:
      "1": Vision stage one, nobody has written it down yet.
      "2": Vision stage two, a draft is shared with some staff.
      "3": Vision stage three, governors have agreed the draft.
      "4": Vision stage four, staff plan their lessons by it.
      "5": Vision stage five, pupils and parents can explain it.
  - code: A2
    title: People
    descriptors:
      "1": People stage one, training happens by chance.
      "2": People stage two, a plan lists who needs training.
      "3": People stage three, every teacher has a training goal.
      "4": People stage four, staff coach one another weekly.
      "5": People stage five, the school trains other schools.
  - code: A3
    title: Devices
    descriptors:
      "1": Devices stage one, a few old laptops in a cupboard.
      "2": Devices stage two, a trolley of tablets per phase.
      "3": Devices stage three, every class books devices online.
      "4": Devices stage four, each pupil has a device in lessons.
      "5": Devices stage five, devices go home with every pupil.
  - code: A4
    title: Safety
    descriptors:
      "1": Safety stage one, rules are posted on the wall.
      "2": Safety stage two, pupils learn the rules each term.
      "3": Safety stage three, incidents are logged and reviewed.
      "4": Safety stage four, pupils lead the online safety group.
      "5": Safety stage five, parents attend safety workshops.
"""
SCHOOL = School("123456", "Hawthorn Primary School")


@dataclass
class Cells:
    """Where a school's answer and what follows from it sit, found by header text as ingest."""

    level: dict[str, str]  # aspect code -> its level cell on the Review sheet
    next_level: dict[str, str]  # aspect code -> "What the next level asks"
    profile_level: dict[str, str]  # aspect code -> its level on My profile
    count: dict[str, str]  # level label -> how many aspects are at it, on My profile
    unanswered: str  # My profile's "No level chosen yet" count


def find_cells(path: Path, fw: Framework) -> Cells:
    wb = openpyxl.load_workbook(path)
    review = wb[layout.REVIEW_SHEET]
    codes = {a.code for a in fw.aspects}
    header = next(
        row for row in review.iter_rows(max_row=layout.HEADER_SEARCH_ROWS)
        if any(c.value == layout.CODE_HEADER for c in row)
    )  # fmt: skip
    col = {c.value: c.column for c in header}
    rows = {r[0].value: r[0].row for r in review.iter_rows(max_col=1) if r[0].value in codes}
    profile = wb[layout.PROFILE_SHEET]
    values = openpyxl.load_workbook(path, data_only=True)[layout.PROFILE_SHEET]
    count: dict[str, str] = {}
    profile_level: dict[str, str] = {}
    unanswered = ""
    for (cell,) in values.iter_rows(max_col=1):
        if cell.value in codes:
            profile_level[cell.value] = f"C{cell.row}"
        elif cell.value in {lv.label for lv in fw.levels} and cell.value not in count:
            count[cell.value] = f"B{cell.row}"
        elif cell.value == "No level chosen yet":
            unanswered = f"B{cell.row}"
    assert profile[profile_level[fw.aspects[0].code]].value.startswith("=")
    letter = openpyxl.utils.get_column_letter
    return Cells(
        level={c: f"{letter(col[layout.LEVEL_HEADER])}{r}" for c, r in rows.items()},
        next_level={c: f"{letter(col[layout.NEXT_LEVEL_HEADER])}{r}" for c, r in rows.items()},
        profile_level=profile_level,
        count=count,
        unanswered=unanswered,
    )


def typing_plan(fw: Framework) -> dict[str, str | None]:
    """A level for most aspects, going round the levels, and a few left for later."""
    return {
        a.code: None if i % 5 == 3 else fw.levels[(i * 3) % fw.level_count].label
        for i, a in enumerate(fw.aspects)
    }


def reads(cells: Cells) -> dict[str, list[str]]:
    profile = [*cells.profile_level.values(), *cells.count.values(), cells.unanswered]
    return {
        layout.REVIEW_SHEET: [*cells.level.values(), *cells.next_level.values()],
        layout.PROFILE_SHEET: profile,
    }


@dataclass
class Typed:
    fw: Framework
    plan: dict[str, str | None]
    cells: Cells
    typed: dict  # the step that typed every level, then saved
    control: dict  # the step that typed something that is not a level
    numbers: dict  # the step that stored the levels as numbers, then saved
    files: dict[str, Path]


def run_in_libreoffice(fw: Framework, folder: Path) -> Typed:
    folder.mkdir(parents=True)
    blank = write_workbook(fw, folder / f"{fw.id}.xlsx", school=SCHOOL, round_label="R1")
    cells = find_cells(blank, fw)
    plan = typing_plan(fw)
    chosen = {code: label for code, label in plan.items() if label}
    files = {
        "xlsx": folder / "typed" / f"{fw.id}.xlsx",
        "ods": folder / "typed" / f"{fw.id}.ods",
        "pdf": folder / "pdf" / f"{fw.id}.pdf",
        # As .ods: Gnumeric 1.12 drops the dropdowns of an .xlsx that LibreOffice wrote.
        "numbers": folder / "numbers" / f"{fw.id}.ods",
    }
    for path in files.values():
        path.parent.mkdir(exist_ok=True)
    sheet = layout.REVIEW_SHEET
    first = next(iter(chosen))
    steps = [
        {
            "type": [[sheet, cells.level[code], label] for code, label in chosen.items()],
            "read": reads(cells),
            "invalid": [sheet],
            "save": {kind: str(files[kind]) for kind in ("xlsx", "ods", "pdf")},
        },
        {"type": [[sheet, cells.level[first], "not a level"]], "invalid": [sheet]},
        {
            "numbers": [[sheet, cells.level[code], int(label)] for code, label in chosen.items()],
            "read": reads(cells),
            "save": {"ods": str(files["numbers"])},
        },
    ]
    typed, control, numbers = office.libreoffice_type({"input": str(blank), "steps": steps}, folder)
    return Typed(fw, plan, cells, typed, control, numbers, files)


@pytest.fixture(scope="module")
def typed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Typed]:
    root = tmp_path_factory.mktemp("typing")
    definition = root / "five-steps.yaml"
    definition.write_text(FIVE_STEPS, encoding="utf-8")
    frameworks = [builtin("edtech-srf"), load_file(definition)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = list(pool.map(lambda fw: run_in_libreoffice(fw, root / fw.id), frameworks))
    return {"root": root, "definition": definition, **{t.fw.id: t for t in runs}}


FRAMEWORKS = ["edtech-srf", "five-steps"]


def next_text(fw: Framework, code: str, label: str | None) -> str:
    """What the next level asks, as the workbook should show it."""
    rank = next((lv.rank for lv in fw.levels if lv.label == label), 0)
    if not rank or rank == fw.level_count:
        return ""
    return fw.aspect(code).descriptor(rank + 1).text


def check_what_follows(run: Typed, step: dict) -> None:
    """The next-level column and My profile, as LibreOffice worked them out."""
    review = step["values"][layout.REVIEW_SHEET]
    profile = step["values"][layout.PROFILE_SHEET]
    for code, label in run.plan.items():
        assert review[run.cells.next_level[code]] == next_text(run.fw, code, label).strip(), code
        assert profile[run.cells.profile_level[code]] == (label or ""), code
    for level in run.fw.levels:
        expected = sum(1 for label in run.plan.values() if label == level.label)
        assert profile[run.cells.count[level.label]] == str(expected), level.label
    assert profile[run.cells.unanswered] == str(sum(1 for v in run.plan.values() if not v))


@pytest.mark.parametrize("framework_id", FRAMEWORKS)
def test_typed_digits_stay_text_and_no_level_is_marked_invalid(typed, framework_id) -> None:
    run = typed[framework_id]
    stored = run.typed["stored"][layout.REVIEW_SHEET]
    shown = run.typed["values"][layout.REVIEW_SHEET]
    for code, label in run.plan.items():
        cell = run.cells.level[code]
        assert shown[cell] == (label or ""), code
        assert stored[cell] == ("text" if label else "empty"), code
    assert run.typed["invalid"] == {layout.REVIEW_SHEET: 0}
    # The same check does see a value that is not a level.
    assert run.control["invalid"] == {layout.REVIEW_SHEET: 1}


@pytest.mark.parametrize("framework_id", FRAMEWORKS)
def test_typed_levels_fill_next_level_and_my_profile(typed, framework_id) -> None:
    check_what_follows(typed[framework_id], typed[framework_id].typed)


@pytest.mark.parametrize("framework_id", FRAMEWORKS)
def test_levels_stored_as_numbers_count_the_same_in_libreoffice(typed, framework_id) -> None:
    run = typed[framework_id]
    stored = run.numbers["stored"][layout.REVIEW_SHEET]
    assert {stored[run.cells.level[c]] for c, label in run.plan.items() if label} == {"value"}
    check_what_follows(run, run.numbers)


def judged(out: Path) -> dict[str, dict[str, tuple[str, str]]]:
    """{file name: {aspect: (level, rank)}} from responses.csv; every file accepted, the only
    problems the aspects deliberately left blank."""
    with open(out / "files.csv", newline="", encoding="utf-8") as fh:
        statuses = {f["status"] for f in csv.DictReader(fh)}
    assert statuses <= {"accepted", "accepted_with_problems"}
    with open(out / "problems.csv", newline="", encoding="utf-8") as fh:
        # Queries (a top level with little evidence) ask the school to confirm; they are no fault.
        rows = [p for p in csv.DictReader(fh) if p["severity"] != "query"]
        assert {p["code"] for p in rows} <= {"blank-level"}
    found: dict[str, dict[str, tuple[str, str]]] = {}
    with open(out / "responses.csv", newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            by_file = found.setdefault(Path(r["source_file"]).name, {})
            by_file[r["aspect_code"]] = (r["level"], r["level_rank"])
    return found


def expected_judgements(run: Typed) -> dict[str, tuple[str, str]]:
    ranks = {lv.label: str(lv.rank) for lv in run.fw.levels}
    return {code: (label, ranks[label]) for code, label in run.plan.items() if label}


def ingested(typed, folder_name: str, files: list[Path]) -> dict:
    folder = typed["root"] / folder_name
    folder.mkdir()
    for path in files:
        shutil.copy(path, folder / path.name)
    out = typed["root"] / f"{folder_name}-out"
    ingest(folder, out, jobs=1, framework_files=[typed["definition"]])
    return judged(out)


def test_files_saved_by_libreoffice_after_typing_are_ingested_with_the_typed_levels(typed):
    runs = [typed[f] for f in FRAMEWORKS]
    for kind in ("xlsx", "ods"):  # a folder each: two files from one school supersede
        found = ingested(typed, f"lo-{kind}", [r.files[kind] for r in runs])
        for run in runs:
            levels = {c: v for c, v in found[run.files[kind].name].items() if v[0]}
            assert levels == expected_judgements(run), (run.fw.id, kind)


def test_gnumeric_recalculates_and_saves_levels_stored_as_numbers(typed) -> None:
    need(office.have_gnumeric(), "Gnumeric")
    saved = []
    for fw_id in FRAMEWORKS:
        run = typed[fw_id]
        target = typed["root"] / "gnumeric" / f"{fw_id}.xlsx"
        office.gnumeric_convert(run.files["numbers"], target, recalc=True)
        saved.append(target)
        book = openpyxl.load_workbook(target, data_only=True)
        review, profile = book[layout.REVIEW_SHEET], book[layout.PROFILE_SHEET]
        for code, label in run.plan.items():
            assert review[run.cells.level[code]].value == (int(label) if label else None)
            shown = review[run.cells.next_level[code]].value or ""
            assert shown.strip() == next_text(run.fw, code, label).strip(), (fw_id, code)
            assert str(profile[run.cells.profile_level[code]].value or "") == (label or "")
        for level in run.fw.levels:
            expected = sum(1 for label in run.plan.values() if label == level.label)
            assert profile[run.cells.count[level.label]].value == expected, (fw_id, level.label)
        # The dropdowns are still there, drawn from the named list.
        formats = openpyxl.load_workbook(target)[layout.REVIEW_SHEET]
        rules = formats.data_validations.dataValidation
        for code, cell in run.cells.level.items():
            rule = next((dv for dv in rules if cell in dv.sqref), None)
            assert rule is not None and rule.type == "list", (fw_id, code)
            assert rule.formula1 == layout.LEVELS_NAME, (fw_id, code)
    found = ingested(typed, "gnumeric-returns", saved)
    for fw_id, path in zip(FRAMEWORKS, saved, strict=True):
        levels = {c: v for c, v in found[path.name].items() if v[0]}
        assert levels == expected_judgements(typed[fw_id]), fw_id


def pdf_text(path: Path, layout_mode: bool = False) -> str:
    args = ["pdftotext", *(["-layout"] if layout_mode else []), str(path), "-"]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def pdf_pages(path: Path) -> list[str]:
    """The text of each page, in reading order within each cell."""
    pages = pdf_text(path).split("\f")
    return [p for p in pages if p.strip()]


@pytest.mark.parametrize("framework_id", FRAMEWORKS)
def test_printed_workbook_shows_next_level_and_profile(typed, framework_id) -> None:
    run = typed[framework_id]
    answers = " ".join(
        flat(page) for page in pdf_pages(run.files["pdf"]) if layout.NEXT_LEVEL_HEADER in flat(page)
    )
    assert answers
    texts = [flat(d.text) for a in run.fw.aspects for d in a.descriptors]
    for code, label in run.plan.items():
        following = next_text(run.fw, code, label)
        for d in run.fw.aspect(code).descriptors:
            phrase = " ".join(d.text.split()[:8])
            if d.text == following:
                assert phrase in answers, (code, label, phrase)
            elif sum(phrase in t for t in texts) == 1:  # its own words, in no other descriptor
                assert phrase not in answers, (code, label, phrase)
    profile = pdf_text(run.files["pdf"], layout_mode=True).split("My profile:", 1)[1]
    for aspect in run.fw.aspects:
        label = run.plan[aspect.code]
        if label and len(aspect.title) < 30:
            row = rf"{re.escape(aspect.code)}\s+{re.escape(aspect.title)}\s+{re.escape(label)}\b"
            assert re.search(row, profile), (aspect.code, label)
