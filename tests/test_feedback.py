"""Feedback to schools: each problem with its sheet, cell, what was found and what to do.

Each test builds an ingest OUT from plain values: files.csv rows, and problems.csv rows made with
the problem catalogue (so the messages are the ones ingest writes). Returns to mark up are small
workbooks written here with xlsxwriter the way the generated workbook is: a level column with a
list validation whose source is a range on a hidden sheet, sheet protection, unlocked inputs.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from click.testing import CliRunner

from sheetreview.cli import cli
from sheetreview.core.out import PROBLEMS_COLUMNS, write_rows
from sheetreview.errors import SheetreviewError
from sheetreview.feedback.letters import write_feedback
from sheetreview.problems import OFFICER, SCHOOL, Code, Entry, problem

FILE_COLUMNS = [
    "file", "sha256", "bytes", "status", "framework", "school_urn", "school_name",
    "aspects_answered", "aspects_total", "problems", "reason",
]  # fmt: skip
CHOICES = "Level 5, Level 4, Level 3, Level 2 or Level 1"


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    """As ingest writes OUT's CSVs: text a spreadsheet would run is guarded."""
    write_rows(path, header, rows)


def file_row(
    file: str, status: str, urn: str = "", name: str = "", sha: str = "", reason: str = ""
):
    return [file, sha or "0" * 64, "1000", status, "becta-srf", urn, name, "", "", "", reason]


def make_out(
    out: Path, files: list[list[str]], problems: list, run_json: dict | None = None
) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    _write(out / "files.csv", FILE_COLUMNS, files)
    _write(
        out / "problems.csv", list(PROBLEMS_COLUMNS), [list(p.as_row().values()) for p in problems]
    )
    if run_json is not None:
        (out / "run.json").write_text(json.dumps(run_json), encoding="utf-8")
    return out


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_return(path: Path, chart: bool = False) -> Path:
    """A protected Review sheet with a level dropdown in F6:F17 fed by a range on a hidden sheet."""
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path))
    review = wb.add_worksheet("Review")
    lists = wb.add_worksheet("Lists")
    unlocked = wb.add_format({"locked": False})
    for i, label in enumerate(["Level 5", "Level 4", "Level 3", "Level 2", "Level 1"]):
        lists.write_string(i, 0, label)
    wb.define_name("Levels", "=Lists!$A$1:$A$5")
    review.write_string(4, 0, "Code")
    for row in range(5, 17):
        review.write_string(row, 0, f"1a{row - 4}")
        review.write_string(row, 5, "Level 3", unlocked)
    review.write_string(11, 5, "Levle 3", unlocked)  # F12
    review.write_blank(13, 5, None, unlocked)  # F14
    review.data_validation("F6:F17", {"validate": "list", "source": "=Levels"})
    review.protect()
    lists.hide()
    if chart:
        profile = wb.add_worksheet("My profile")
        c = wb.add_chart({"type": "bar"})
        c.add_series({"values": "=Review!$A$6:$A$8"})
        profile.insert_chart("B2", c)
    wb.close()
    return path


def _problems(file: str) -> list:
    return [
        problem("unknown-level", file, "Review", "F12", value="Levle 3", choices=CHOICES),
        problem("blank-level", file, "Review", "F14", aspect="1a9"),
    ]


def test_letter_names_sheet_and_cell_what_was_found_and_what_to_do(tmp_path: Path) -> None:
    file = "returns/alder.xlsx"
    out = make_out(
        tmp_path / "out",
        [file_row(file, "accepted_with_problems", "131001", "Alderbrook Primary")],
        _problems(file),
    )
    summary = write_feedback(out, tmp_path / "fb")
    text = (tmp_path / "fb" / "131001-Alderbrook-Primary-feedback.txt").read_text("utf-8")
    flat = " ".join(text.split())
    assert text.startswith("Subject: ")
    assert "Dear Alderbrook Primary (URN 131001)," in text
    assert "'returns/alder.xlsx'" in text
    assert "Sheet 'Review', cell F12: 'Levle 3' is not one of the levels." in flat
    assert f"What to do: Please choose {CHOICES} from the list in the cell." in flat
    assert "Sheet 'Review', cell F14: No level chosen for aspect 1a9." in flat
    assert flat.index("To fix") < flat.index("F12") < flat.index("To check") < flat.index("F14")
    assert text.rstrip().endswith("The self-review team")
    assert summary.letters == 1 and summary.must_fix == 1 and summary.fixes == 2
    assert summary.lines()[0].startswith("Wrote feedback for 1 school(s)")


def test_feedback_workbook_lists_each_problem_in_its_own_row(tmp_path: Path) -> None:
    file = "alder.xlsx"
    out = make_out(
        tmp_path / "out",
        [file_row(file, "accepted_with_problems", "131001", "Alderbrook Primary")],
        _problems(file),
    )
    write_feedback(out, tmp_path / "fb")
    ws = openpyxl.load_workbook(tmp_path / "fb" / "131001-Alderbrook-Primary-feedback.xlsx").active
    rows = [r for r in ws.iter_rows(values_only=True) if r[3] in ("F12", "F14")]
    assert rows[0][2:7] == (
        "Review",
        "F12",
        "Must fix",
        "'Levle 3' is not one of the levels.",
        f"Please choose {CHOICES} from the list in the cell.",
    )
    assert rows[1][4] == "Please check"


def test_rejected_file_of_no_known_school_gets_a_letter_saying_what_to_resend(
    tmp_path: Path,
) -> None:
    file = "inbox/Return (2).xlsx"
    out = make_out(
        tmp_path / "out",
        [file_row(file, "rejected", reason="encrypted")],
        [problem("encrypted", file)],
    )
    write_feedback(out, tmp_path / "fb")
    text = (tmp_path / "fb" / "unidentified-Return-2-feedback.txt").read_text("utf-8")
    flat = " ".join(text.split())
    assert "Dear colleague," in text
    assert "Files we could not read" in text
    assert (
        "- 'Return (2).xlsx' This file is protected with a password, so it cannot be read." in flat
    )
    assert "What to send: Please remove the password" in flat
    assert "Ask the school" not in text


def test_problems_only_the_officer_can_act_on_are_left_out_and_counted(tmp_path: Path) -> None:
    file = "birch.xlsx"
    out = make_out(
        tmp_path / "out",
        [file_row(file, "accepted_with_problems", "131002", "Birchwood")],
        [problem("identity-missing", file, "Start", framework="becta-srf")],
    )
    summary = write_feedback(out, tmp_path / "fb")
    assert summary.letters == 0
    assert [p.name for p in (tmp_path / "fb").iterdir() if not p.name.startswith(".")] == []
    assert "identity-missing (1)" in " ".join(summary.lines())
    assert Code.IDENTITY_MISSING.entry.audience == OFFICER


def test_text_from_returns_is_written_as_text_never_a_formula(tmp_path: Path) -> None:
    file = "=cmd.xlsx"
    name = '=HYPERLINK("http://example.com","x")'
    out = make_out(
        tmp_path / "out",
        [file_row(file, "accepted_with_problems", "131003", name)],
        [problem("unknown-level", file, "Review", "F7", value="=1+1", choices=CHOICES)],
    )
    write_feedback(out, tmp_path / "fb")
    xlsx = next((tmp_path / "fb").glob("*.xlsx"))
    with zipfile.ZipFile(xlsx) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "<f>" not in sheet and "hyperlink" not in sheet.lower().replace("=hyperlink", "")
    values = [c for r in openpyxl.load_workbook(xlsx).active.iter_rows(values_only=True) for c in r]
    assert name in values and "'=1+1' is not one of the levels." in values


def _values(code: Code) -> dict[str, str]:
    """A value for each field of a code's words, sentence-like so nothing can split on it."""
    return {name: f"<{name}. x>" for name in code.entry.fields()}


@pytest.mark.parametrize("code", list(Code))
def test_every_catalogue_entry_says_what_the_officer_and_the_school_do(code: Code) -> None:
    entry = code.entry
    assert entry.found.strip() and entry.officer.strip() and entry.school.strip()
    assert entry.school.endswith(".") and entry.officer.endswith(".")
    # The school's words address the school; only the officer is asked to ask the school.
    assert "the school" not in entry.school.lower()
    assert problem(code, "f.xlsx", **_values(code)).message.endswith(
        entry.officer.format(**_values(code))
    )


@pytest.mark.parametrize("code", [c for c in Code if c.entry.audience == SCHOOL])
def test_letter_gives_what_was_found_and_the_schools_action_for_every_code(
    tmp_path: Path, code: Code
) -> None:
    file = "alder.xlsx"
    sheet, cell = ("", "") if code.entry.whole_file else ("Review", "F12")
    found = problem(code, file, sheet, cell, **_values(code))
    status = "rejected" if code.entry.whole_file else "accepted_with_problems"
    out = make_out(tmp_path / "out", [file_row(file, status, "131001", "Alder")], [found])
    write_feedback(out, tmp_path / "fb")
    flat = " ".join((tmp_path / "fb" / "131001-Alder-feedback.txt").read_text("utf-8").split())
    assert found.found in flat
    assert found.school_action in flat
    assert found.officer_action not in flat or found.officer_action in found.school_action
    ws = openpyxl.load_workbook(tmp_path / "fb" / "131001-Alder-feedback.xlsx").active
    rows = [r for r in ws.iter_rows(values_only=True) if r[1] == file]
    assert [(r[5], r[6]) for r in rows] == [(found.found, found.school_action)]


def test_rewording_a_catalogue_entry_changes_the_letter_and_breaks_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reworded = Entry(
        Code.UNKNOWN_LEVEL.entry.severity,
        "Cell says '{value}'. That is not a level. Really.",
        "Tell them: {choices}.",
        "Pick one of {choices}, from the dropdown.",
    )
    monkeypatch.setattr(Code.UNKNOWN_LEVEL, "entry", reworded)
    file = "alder.xlsx"
    out = make_out(
        tmp_path / "out",
        [file_row(file, "accepted_with_problems", "131001", "Alder")],
        [problem("unknown-level", file, "Review", "F12", value="Levle 3", choices=CHOICES)],
    )
    write_feedback(out, tmp_path / "fb")
    flat = " ".join((tmp_path / "fb" / "131001-Alder-feedback.txt").read_text("utf-8").split())
    assert "Sheet 'Review', cell F12: Cell says 'Levle 3'. That is not a level. Really." in flat
    assert f"What to do: Pick one of {CHOICES}, from the dropdown." in flat
    assert "Tell them" not in flat


def test_annotated_copy_marks_problem_cells_and_the_original_is_unchanged(tmp_path: Path) -> None:
    returns = tmp_path / "returns"
    original = make_return(returns / "sub" / "alder.xlsx", chart=True)
    before = sha256(original)
    out = make_out(
        tmp_path / "out",
        [file_row("sub/alder.xlsx", "accepted_with_problems", "131001", "Alderbrook", before)],
        _problems("sub/alder.xlsx"),
        run_json={"input_dir": str(returns)},
    )
    summary = write_feedback(out, tmp_path / "fb", annotate=True)
    assert sha256(original) == before
    copy = tmp_path / "fb" / "annotated" / "131001-alder-marked-up.xlsx"
    wb = openpyxl.load_workbook(copy)
    ws = wb["Review"]
    assert ws["F12"].fill.fgColor.rgb.endswith("FF7C80")
    assert "'Levle 3' is not one of the levels" in ws["F12"].comment.text
    assert "Please choose Level 5" in ws["F12"].comment.text
    assert ws["F14"].fill.fgColor.rgb.endswith("FFC000") and ws["F14"].comment
    assert ws["F13"].comment is None
    assert len(ws.data_validations.dataValidation) == 1 and ws.protection.sheet
    assert wb["Lists"].sheet_state == "hidden"
    lines = " ".join(summary.lines())
    assert "Marked-up copies of 1 return(s)" in lines
    assert "do not keep charts and images" in lines  # openpyxl drops charts: said
    letter = " ".join((tmp_path / "fb" / "131001-Alderbrook-feedback.txt").read_text().split())
    assert (
        "131001-alder-marked-up.xlsx" in letter
        and "make the changes in your own workbook" in letter
    )


def test_a_round_of_copies_is_marked_up_in_worker_processes_in_the_letters_order(
    tmp_path: Path,
) -> None:
    returns = tmp_path / "returns"
    names = ["alder", "birch", "cedar", "damson", "elm"]
    rows, problems = [], []
    for i, name in enumerate(names):
        original = make_return(returns / f"{name}.xlsx")
        urn = str(131001 + i)
        rows.append(
            file_row(f"{name}.xlsx", "accepted_with_problems", urn, name.title(), sha256(original))
        )
        problems += _problems(f"{name}.xlsx")
    (returns / "elm.xlsx").write_bytes(b"changed since ingest")  # its copy is refused, in place
    out = make_out(tmp_path / "out", rows, problems)
    summary = write_feedback(out, tmp_path / "fb", annotate=True, in_dir=returns)
    assert summary.annotated == 4
    assert [f for f, _ in summary.not_annotated] == ["elm.xlsx"]
    for i, name in enumerate(names[:4]):
        copy = tmp_path / "fb" / "annotated" / f"{131001 + i}-{name}-marked-up.xlsx"
        assert "'Levle 3' is not one of the levels" in (
            openpyxl.load_workbook(copy)["Review"]["F12"].comment.text
        )


def test_xlsm_return_is_marked_up_as_xlsm(tmp_path: Path) -> None:
    returns = tmp_path / "returns"
    original = make_return(returns / "cedar.xlsx").rename(returns / "cedar.xlsm")
    out = make_out(
        tmp_path / "out",
        [file_row("cedar.xlsm", "accepted_with_problems", "131003", "Cedar", sha256(original))],
        _problems("cedar.xlsm"),
    )
    write_feedback(out, tmp_path / "fb", annotate=True, in_dir=returns)
    copy = tmp_path / "fb" / "annotated" / "131003-cedar-marked-up.xlsm"
    assert openpyxl.load_workbook(copy, keep_vba=True)["Review"]["F12"].comment is not None


def test_ods_return_gets_no_marked_up_copy_and_its_letter_says_so(tmp_path: Path) -> None:
    returns = tmp_path / "returns"
    returns.mkdir()
    (returns / "damson.ods").write_bytes(b"PK not really")
    out = make_out(
        tmp_path / "out",
        [file_row("damson.ods", "accepted_with_problems", "131004", "Damson")],
        _problems("damson.ods"),
    )
    summary = write_feedback(out, tmp_path / "fb", annotate=True, in_dir=returns)
    text = " ".join((tmp_path / "fb" / "131004-Damson-feedback.txt").read_text().split())
    assert (
        "We could not make a marked-up copy of this file (an ods file cannot be marked up)" in text
    )
    assert "No marked-up copy of damson.ods" in " ".join(summary.lines())
    assert not (tmp_path / "fb" / "annotated").exists() or not any(
        (tmp_path / "fb" / "annotated").iterdir()
    )


def test_return_changed_since_ingest_is_not_marked_up(tmp_path: Path) -> None:
    returns = tmp_path / "returns"
    make_return(returns / "elm.xlsx")
    out = make_out(
        tmp_path / "out",
        [file_row("elm.xlsx", "accepted_with_problems", "131005", "Elm", "f" * 64)],
        _problems("elm.xlsx"),
    )
    summary = write_feedback(out, tmp_path / "fb", annotate=True, in_dir=returns)
    assert summary.annotated == 0
    assert "changed since it was ingested" in " ".join(summary.lines())


def test_annotate_without_a_known_returns_folder_asks_for_returns_option(tmp_path: Path) -> None:
    file = "alder.xlsx"
    out = make_out(
        tmp_path / "out", [file_row(file, "accepted_with_problems", "1", "A")], _problems(file)
    )
    with pytest.raises(SheetreviewError, match="pass the folder you ingested with --returns DIR"):
        write_feedback(out, tmp_path / "fb", annotate=True)


def test_cli_feedback_without_files_csv_says_to_run_ingest(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["feedback", str(tmp_path)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert (
        len(lines) == 1 and "files.csv not found" in lines[0] and "sheetreview ingest" in lines[0]
    )


def test_cli_feedback_annotate_without_returns_exits_1_with_the_fix(tmp_path: Path) -> None:
    file = "alder.xlsx"
    out = make_out(
        tmp_path / "out", [file_row(file, "accepted_with_problems", "1", "A")], _problems(file)
    )
    result = CliRunner().invoke(cli, ["feedback", str(out), "--annotate"])
    assert result.exit_code == 1
    assert "--returns DIR" in result.output and "Traceback" not in result.output


def test_cli_feedback_writes_letters_into_out_feedback_by_default(tmp_path: Path) -> None:
    returns = tmp_path / "returns"
    original = make_return(returns / "alder.xlsx")
    out = make_out(
        tmp_path / "out",
        [file_row("alder.xlsx", "accepted_with_problems", "131001", "Alder", sha256(original))],
        _problems("alder.xlsx"),
    )
    result = CliRunner().invoke(
        cli, ["feedback", str(out), "--annotate", "--returns", str(returns)]
    )
    assert result.exit_code == 0, result.output
    assert f"Wrote feedback for 1 school(s) to {out / 'feedback'}" in result.output
    assert (out / "feedback" / "131001-Alder-feedback.xlsx").exists()
    assert (out / "feedback" / "annotated" / "131001-alder-marked-up.xlsx").exists()


@pytest.mark.office
def test_annotated_copy_opens_in_libreoffice(tmp_path: Path) -> None:
    from devtools.office import libreoffice_convert

    returns = tmp_path / "returns"
    original = make_return(returns / "alder.xlsx")
    out = make_out(
        tmp_path / "out",
        [file_row("alder.xlsx", "accepted_with_problems", "131001", "Alder", sha256(original))],
        _problems("alder.xlsx"),
    )
    write_feedback(out, tmp_path / "fb", annotate=True, in_dir=returns)
    pdf = libreoffice_convert(
        tmp_path / "fb" / "annotated" / "131001-alder-marked-up.xlsx", tmp_path, "pdf"
    )
    assert pdf.stat().st_size > 1000


def test_rerun_removes_letters_of_fixed_returns_and_keeps_other_files(tmp_path: Path) -> None:
    alder, birch = "alder.xlsx", "birch.xlsx"
    files = [
        file_row(alder, "accepted_with_problems", "131001", "Alder"),
        file_row(birch, "accepted_with_problems", "131002", "Birch"),
    ]
    out = make_out(tmp_path / "out", files, _problems(alder) + _problems(birch))
    dest = tmp_path / "fb"
    write_feedback(out, dest)
    (dest / "notes.txt").write_text("the officer's own file")
    files[1] = file_row(birch, "accepted", "131002", "Birch")  # Birch resent a clean return
    make_out(tmp_path / "out", files, _problems(alder))
    summary = write_feedback(out, dest)
    names = sorted(p.name for p in dest.iterdir() if not p.name.startswith("."))
    assert names == ["131001-Alder-feedback.txt", "131001-Alder-feedback.xlsx", "notes.txt"]
    assert summary.removed == 2


def test_return_openpyxl_cannot_open_gets_no_copy_and_the_run_goes_on(tmp_path: Path) -> None:
    returns = tmp_path / "returns"
    returns.mkdir()
    broken = returns / "fox.xlsx"
    broken.write_bytes(b"PK\x03\x04 not a whole zip")
    out = make_out(
        tmp_path / "out",
        [file_row("fox.xlsx", "accepted_with_problems", "131006", "Fox", sha256(broken))],
        _problems("fox.xlsx"),
    )
    summary = write_feedback(out, tmp_path / "fb", annotate=True, in_dir=returns)
    assert summary.letters == 1 and summary.annotated == 0
    assert "No marked-up copy of fox.xlsx: openpyxl could not open or save it" in summary.lines()[2]
    assert list((tmp_path / "fb" / "annotated").iterdir()) == []


def test_what_a_saved_copy_keeps_is_read_from_its_xml_as_openpyxl_reads_it(tmp_path: Path) -> None:
    from sheetreview.feedback.annotate import guards, saved_guards

    wb = openpyxl.load_workbook(make_return(tmp_path / "r.xlsx"))
    extra = wb.create_sheet("R&D <notes>")
    extra.protection.sheet = True
    wb["Review"].protection.sheet = False
    wb.save(tmp_path / "copy.xlsx")
    found = saved_guards(tmp_path / "copy.xlsx")
    assert found == guards(openpyxl.load_workbook(tmp_path / "copy.xlsx"))
    assert found["Review"][0] >= 1 and found["R&D <notes>"] == (0, True)
    assert found["Review"][1] is False
