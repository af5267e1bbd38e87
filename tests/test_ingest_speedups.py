"""The shortcuts that make reading a return cheaper give exactly what the plain code gave."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from sheetreview import layout
from sheetreview.core import out
from sheetreview.read import ingest, returns
from sheetreview.read.judgements import Judged, Judgement, clean_text
from sheetreview.read.returns import _label, _review_rows, xlsx_extent

_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def plain_clean_text(value: str) -> str:
    """clean_text for text as it was written before the printable shortcut."""
    if not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]", value):
        return value.strip()
    text = value.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n")
    return _CONTROL_RE.sub("", text).strip()


@pytest.mark.parametrize(
    "middle", ["", "\t", "\n", "\r\n", "\x85", "\x7f", "\x0b", "\u2028", "\u2029", "\u00a0", "é"]
)
def test_clean_text_shortcut_gives_what_the_plain_scan_gave(middle: str) -> None:
    value = f"  first{middle}second \u3000"
    assert clean_text(value) == plain_clean_text(value)


def test_no_character_the_scan_removes_counts_as_printable() -> None:
    unclean = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")
    assert not [c for c in map(chr, range(0x3000)) if unclean.match(c) and c.isprintable()]


def test_labels_are_the_same_when_remembered_and_after_forgetting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(returns, "_LABELS", {})
    monkeypatch.setattr(returns, "_LABELS_KEPT", 2)
    texts = ["  School  URN: ", "Round", "Assessment\ndate:", "  School  URN: "]
    assert [_label(t) for t in texts] == ["school urn", "round", "assessment date", "school urn"]
    assert len(returns._LABELS) <= 2


def test_extent_counts_cells_without_a_leading_reference_as_not_exact() -> None:
    xml = (
        b'<worksheet><dimension ref="A1:B2"/><sheetData><row r="7"><c r="AB7"><v>1</v></c>'
        b'<c s="1"><v>2</v></c><c r="C12"/></row></sheetData></worksheet>'
    )
    assert xlsx_extent(xml) == (12, 28, False)
    prefixed = b'<x:worksheet><x:sheetData><x:row><x:c r="D9"/></x:row></x:sheetData></x:worksheet>'
    assert xlsx_extent(prefixed) == (9, 4, True)
    assert xlsx_extent(b"<worksheet><sheetData/></worksheet>") == (0, 0, True)


def test_review_rows_skip_blank_codes_and_keep_numeric_ones() -> None:
    grid: list[list[Any]] = [
        [layout.CODE_HEADER, layout.LEVEL_HEADER, layout.EVIDENCE_HEADER],
        ["", "Level 1", "x"],
        [None, "Level 2", "y"],
        ["  ", "Level 3", "z"],
        [0.0, "Level 4", "w"],
        [" A1 ", "Level 5"],
    ]
    rows = _review_rows(grid, "Review")
    assert rows is not None
    assert [(r.code, r.code_cell, r.level.value, r.evidence.cell) for r in rows] == [
        ("0", "A5", "Level 4", "C5"),
        ("A1", "A6", "Level 5", "C6"),
    ]
    assert rows[1].evidence.value == "" and rows[1].next_steps.cell == ""


def test_file_head_is_read_to_the_bound_as_one_large_read_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest, "MAX_FILE_BYTES", 10)
    for size in (0, 5, 10, 11, 30):
        path = tmp_path / f"f{size}"
        path.write_bytes(bytes(range(size)))
        with open(path, "rb") as fh:
            assert ingest._read_head(fh) == bytes(range(min(size, 11)))


def test_file_that_grew_after_being_measured_is_read_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest, "MAX_FILE_BYTES", 10)
    path = tmp_path / "growing"
    path.write_bytes(b"abcdefghijklmnop")
    real = os.fstat

    def stale(fd: int) -> Any:
        return os.stat_result((*real(fd)[:6], 3, *real(fd)[7:]))

    monkeypatch.setattr(ingest.os, "fstat", stale)
    with open(path, "rb") as fh:
        assert ingest._read_head(fh) == b"abcdefghijk"


def plain_render_lines(judged: Judged, level_count: int, date: str) -> str:
    """_render_lines as it was written before the aspect columns were remembered."""
    lines = []
    for j in judged.judgements:
        middle = out.csv_line(
            [j.aspect_code, j.aspect_title, j.level, j.level_rank, level_count, j.evidence,
             j.next_steps]
        )  # fmt: skip
        tail = out.csv_line([j.source_sheet, j.source_cell, date])
        middle = middle.replace("\x01", "").replace("\x02", "")
        tail = tail.replace("\x01", "").replace("\x02", "")
        lines.append(f"\x01{middle},\x02,{tail}\n")
    return "".join(lines)


def test_response_lines_are_rendered_as_the_plain_renderer_did(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ingest, "_ASPECT_FIELDS", {})
    monkeypatch.setattr(ingest, "_ASPECT_FIELDS_KEPT", 2)
    texts = ["plain", 'say "yes", then', "two\nlines", "odd \x01 and \x02 marks", ""]
    judgements = [
        Judgement(f"A{i}", title, f"Level {i}", i, ev, nxt, sheet, f"{cell}{i}")
        for sheet, cell in (("Review, 2", "E4"), ("Review", "=E5"), ("Review", "\x01E6"))
        for i, (title, ev, nxt) in enumerate(
            zip(texts, reversed(texts), texts[1:] + texts[:1], strict=True)
        )
    ]
    judged = Judged(judgements=judgements * 2)
    for date in ("2026-01-31", "", "x,\x01y"):
        assert ingest._render_lines(judged, 5, date) == plain_render_lines(judged, 5, date)


def test_column_letters_are_those_xlsxwriter_gives() -> None:
    from xlsxwriter.utility import xl_col_to_name

    assert [returns.col_name(c) for c in range(20_000)] == [
        xl_col_to_name(c) for c in range(20_000)
    ]


def plain_xlsx_extent(xml: bytes) -> tuple[int, int, bool]:
    """xlsx_extent as it was written before rows and columns were gathered apart."""
    pattern = returns._REF_RE if b"<worksheet" in xml[:2048] else returns._REF_NS_RE
    refs = set(pattern.findall(xml))
    exact = (b"", b"") not in refs
    refs.discard((b"", b""))
    n_rows = max(map(int, {r for _, r in refs}), default=0)
    n_cols = max(map(returns.col_number, {c for c, _ in refs}), default=0)
    dim = returns._DIM_RE.search(xml)
    if dim:
        for m in returns._DIM_REF_RE.finditer(dim.group(1)):
            n_rows = max(n_rows, int(m.group(2)))
            n_cols = max(n_cols, returns.col_number(m.group(1)))
    return n_rows, n_cols, exact


@pytest.mark.parametrize("seed", range(40))
def test_extent_is_what_the_plain_scan_gave(seed: int) -> None:
    import random

    rng = random.Random(seed)
    cells = []
    for _ in range(rng.randrange(0, 30)):
        ref = f"{returns.col_name(rng.randrange(0, 20_000))}{rng.randrange(1, 2_000_000)}"
        cells.append(
            rng.choice(
                [f'<c r="{ref}"><v>1</v></c>', f'<c r="{ref}"/>', f'<c s="1" r="{ref}"/>',
                 "<c/>", "<c>", f"<c\tr='{ref}'/>", f'<col r="{ref}"/>']
            )
        )  # fmt: skip
    dim = rng.choice(["", '<dimension ref="A1:C3"/>', '<dimension ref="B2:XFD1048576"/>'])
    root = rng.choice(["worksheet", "x:worksheet"])
    prefix = "x:" if root.startswith("x:") and rng.random() < 0.5 else ""
    body = "".join(c.replace("<c", f"<{prefix}c", 1) for c in cells)
    xml = f"<{root}>{dim}<sheetData><row>{body}</row></sheetData></{root}>".encode()
    assert xlsx_extent(xml) == plain_xlsx_extent(xml)


@pytest.mark.parametrize(
    "xml",
    [
        b"<!DOCTYPE x><x/>",
        b"<x/><! doctype x>",
        b'<x><!ENTITY a "b"></x>',
        b"<!--c--><!\tEntity y>",
    ],
)
def test_declarations_are_refused_however_written(xml: bytes) -> None:
    from sheetreview.read.sniff import Refusal, check_xml

    with pytest.raises(Refusal):
        check_xml(xml)


@pytest.mark.parametrize("xml", [b"<x>no declaration</x>", b"<x><!-- a comment --></x>", b""])
def test_parts_without_a_declaration_pass(xml: bytes) -> None:
    from sheetreview.read.sniff import check_xml

    check_xml(xml)


def test_a_mark_is_the_same_after_travelling_as_a_list() -> None:
    from sheetreview.read.queries import Mark

    mark = Mark("1a", 3, 40, True, "Review", "G5", "We checked")
    assert Mark.unpacked(mark.packed()) == mark
    assert Mark.unpacked(["1a", "3", "40", 1, "Review", "G5", ""]).rank == 3


def test_ingest_and_its_readers_do_not_import_pandas_or_xlsxwriter() -> None:
    """Importing pandas costs each process of `ingest` about half a second."""
    import subprocess
    import sys

    code = (
        "import sys, sheetreview.cli, sheetreview.read.ingest; "
        "print(sorted(m for m in ('pandas', 'xlsxwriter', 'matplotlib', 'openpyxl') "
        "if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
