"""Reading one return: identity, Start fields, review rows, and bounded reading of big sheets."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from conftest import DATA, rewrite_zip, sheet_part

from sheetreview import layout
from sheetreview.framework import builtin, registry
from sheetreview.read.judgements import judge
from sheetreview.read.returns import (
    RawReturn,
    ods_extent,
    read_return,
    trim_ods_content,
    trim_xlsx_sheet,
    xlsx_extent,
)

FRAMEWORKS = registry()
EDTECH = builtin("edtech-srf")


def read(path: Path) -> RawReturn:
    return read_return(path.name, path.read_bytes(), FRAMEWORKS)


def codes(raw: RawReturn) -> list[str]:
    return [p.code for p in raw.problems]


def add_to_sheet(path: Path, sheet: str, rows_xml: str, dst: Path) -> Path:
    """A copy of the return with rows appended to a sheet's data."""
    part = sheet_part(path, sheet)
    return rewrite_zip(
        path, dst, {part: lambda x: x.replace(b"</sheetData>", rows_xml.encode() + b"</sheetData>")}
    )


# --- identity ---------------------------------------------------------------------------------


def test_generated_return_is_identified_by_its_properties(a_return: Callable[..., Path]) -> None:
    raw = read(a_return())
    assert raw.finding is None
    assert raw.framework.id == "edtech-srf"
    assert raw.identity_source == "properties"
    assert raw.identity["school_urn"] == "100001"
    assert len(raw.rows) == len(EDTECH.aspects)
    assert raw.start["assessment_date"].cell == "B11"
    assert raw.problems == []


def test_return_without_properties_is_identified_by_its_identity_sheet(
    a_return: Callable[..., Path], tmp_path: Path
) -> None:
    path = rewrite_zip(a_return(), tmp_path / "no-props.xlsx", {"docProps/custom.xml": None})
    raw = read(path)
    assert (raw.identity_source, raw.framework.id) == ("sheet", "edtech-srf")
    assert raw.identity["round"] == "2026-autumn"
    assert raw.problems == []


def test_return_without_any_identity_is_recognised_by_its_aspect_codes(
    a_return: Callable[..., Path], tmp_path: Path
) -> None:
    src = a_return(framework_id="becta-srf")
    empty = b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/></worksheet>'
    parts = {"docProps/custom.xml": None, sheet_part(src, layout.IDENTITY_SHEET): empty}
    raw = read(rewrite_zip(src, tmp_path / "bare.xlsx", parts))
    assert (raw.identity_source, raw.framework.id) == ("layout", "becta-srf")
    assert codes(raw) == ["identity-missing"]
    # the school is then read from the Start sheet
    assert judge(raw).school_urn == "100001"


def test_unknown_framework_in_properties_is_rejected(
    a_return: Callable[..., Path], tmp_path: Path
) -> None:
    props = {"docProps/custom.xml": lambda x: x.replace(b"edtech-srf", b"my-own-framework")}
    raw = read(rewrite_zip(a_return(), tmp_path / "own.xlsx", props))
    assert raw.finding.code == "unknown-framework"
    assert raw.finding.fields == {"framework": "my-own-framework"}


def test_different_framework_text_is_a_warning(
    a_return: Callable[..., Path], tmp_path: Path
) -> None:
    change = {"docProps/custom.xml": lambda x: x.replace(EDTECH.content_hash.encode(), b"0" * 16)}
    raw = read(rewrite_zip(a_return(), tmp_path / "old.xlsx", change))
    assert codes(raw) == ["hash-mismatch"]


def test_spreadsheet_that_is_not_a_return_is_rejected() -> None:
    raw = read(DATA / "not_a_return.xlsx")
    assert raw.finding.code == "not-a-return"


def test_sorted_and_deleted_rows_are_found_by_code(
    a_return: Callable[..., Path], tmp_path: Path
) -> None:
    src = a_return(levels={"1a-1": "1", "1b-3": "4"})
    book = openpyxl.load_workbook(src)
    sheet = book[layout.REVIEW_SHEET]
    for merged in list(sheet.merged_cells.ranges):
        sheet.unmerge_cells(str(merged))
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=4, max_row=sheet.max_row)]
    aspect_rows = [r for r in rows if r[0]]
    aspect_rows.sort(key=lambda r: r[0], reverse=True)  # sorted Z-A by code
    for r in range(4, sheet.max_row + 1):
        for c in range(1, sheet.max_column + 1):
            sheet.cell(r, c).value = None
    for i, values in enumerate([r for r in aspect_rows if r[0] != "1c-2"]):
        for c, value in enumerate(values, start=1):
            sheet.cell(4 + i, c).value = value
    book.save(tmp_path / "sorted.xlsx")
    judged = judge(read(tmp_path / "sorted.xlsx"))
    by_code = {j.aspect_code: j for j in judged.judgements}
    assert (by_code["1a-1"].level, by_code["1b-3"].level) == ("1", "4")
    assert "1c-2" not in by_code
    assert [p.code for p in judged.problems] == ["aspect-missing"]


# --- bounded reading --------------------------------------------------------------------------


def test_stray_value_far_out_is_trimmed_and_warned(
    a_return: Callable[..., Path], tmp_path: Path
) -> None:
    stray = '<row r="10000"><c r="XFD10000" t="inlineStr"><is><t>oops</t></is></c></row>'
    path = add_to_sheet(a_return(), layout.REVIEW_SHEET, stray, tmp_path / "stray.xlsx")
    raw = read(path)
    assert raw.finding is None
    [p] = raw.problems
    assert (p.code, p.sheet, p.cell) == ("content-outside", "Review", "XFD10000")
    assert len(judge(raw).judgements) == len(EDTECH.aspects)


def test_formatting_out_to_column_xfd_is_read_without_warning(
    a_return: Callable[..., Path], tmp_path: Path
) -> None:
    src = a_return()
    cells = "".join(f'<c r="{col}{r}" s="1"/>' for r in (3, 4) for col in ("AZ", "ZZ", "XFD"))
    part = sheet_part(src, layout.REVIEW_SHEET)

    def widen(xml: bytes) -> bytes:
        xml = xml.replace(b"</sheetData>", f'<row r="900">{cells}</row></sheetData>'.encode())
        return xml.replace(b'<dimension ref="A1:J27"/>', b'<dimension ref="A1:XFD1048576"/>')

    raw = read(rewrite_zip(src, tmp_path / "wide.xlsx", {part: widen}))
    assert raw.problems == []
    assert len(judge(raw).judgements) == len(EDTECH.aspects)


def test_ten_thousand_junk_rows_are_bounded(a_return: Callable[..., Path], tmp_path: Path) -> None:
    junk = "".join(
        f'<row r="{r}">'
        + "".join(
            f'<c r="{col}{r}" t="inlineStr"><is><t>junk {r}</t></is></c>' for col in "BCDEFGHIJ"
        )
        + "</row>"
        for r in range(40, 10040)
    )
    raw = read(add_to_sheet(a_return(), layout.REVIEW_SHEET, junk, tmp_path / "junk.xlsx"))
    assert [(p.code, p.cell) for p in raw.problems] == [("content-outside", "B401")]
    assert len(judge(raw).judgements) == len(EDTECH.aspects)


def test_extent_counts_dimension_and_cells() -> None:
    xml = b'<worksheet><dimension ref="A1:C3"/><sheetData><row r="2"><c r="B2"><v>1</v></c></row></sheetData></worksheet>'
    assert xlsx_extent(xml) == (3, 3, True)
    no_ref = b"<worksheet><sheetData><row><c><v>1</v></c></row></sheetData></worksheet>"
    assert xlsx_extent(no_ref)[2] is False


def test_trim_places_cells_without_reference_as_calamine_does() -> None:
    cells = "".join("<c><v>1</v></c>" for _ in range(50))
    xml = f'<worksheet><dimension ref="A1:AX1"/><sheetData><row r="1">{cells}</row></sheetData></worksheet>'
    trimmed, outside = trim_xlsx_sheet(xml.encode())
    assert outside == "AO1"  # the 41st cell
    assert trimmed.count(b"<c ") == layout.MAX_RETURN_COLS
    assert b'<dimension ref="A1:AN400"/>' in trimmed


def test_trim_keeps_cdata_text_whole() -> None:
    xml = b'<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t><![CDATA[a</c>b]]></t></is></c><c r="ZZ1"><v>2</v></c></row></sheetData></worksheet>'
    trimmed, outside = trim_xlsx_sheet(xml)
    assert outside == "ZZ1"
    assert b"a&lt;/c&gt;b" in trimmed


def test_billion_laughs_return_is_rejected() -> None:
    raw = read(DATA / "billion_laughs_in_sheet.xlsx")
    assert raw.finding.code == "xml-entities"


# --- ods --------------------------------------------------------------------------------------

ODS_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0"'
)


MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
    'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
    '<manifest:file-entry manifest:full-path="/" '
    'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
)


def ods_cell(value: str, repeat: int = 1) -> str:
    rep = f' table:number-columns-repeated="{repeat}"' if repeat > 1 else ""
    if not value:
        return f"<table:table-cell{rep}/>"
    return f'<table:table-cell office:value-type="string"{rep}><text:p>{value}</text:p></table:table-cell>'


def ods_bytes(tables: dict[str, str], props: dict[str, str] | None = None) -> bytes:
    body = "".join(
        f'<table:table table:name="{n}">{rows}</table:table>' for n, rows in tables.items()
    )
    content = f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODS_NS} office:version="1.3"><office:body><office:spreadsheet>{body}</office:spreadsheet></office:body></office:document-content>'
    user = "".join(
        f'<meta:user-defined meta:name="{layout.PROPERTY_PREFIX}{k}" meta:value-type="string">{v}</meta:user-defined>'
        for k, v in (props or {}).items()
    )
    meta = f'<?xml version="1.0" encoding="UTF-8"?><office:document-meta {ODS_NS}><office:meta>{user}</office:meta></office:document-meta>'
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(
            "mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED
        )
        zf.writestr("content.xml", content)
        zf.writestr("meta.xml", meta)
        zf.writestr("META-INF/manifest.xml", MANIFEST)
    return out.getvalue()


def ods_review(levels: dict[str, str], extra: str = "") -> str:
    header = "".join(
        ods_cell(h) for h in (layout.CODE_HEADER, layout.LEVEL_HEADER, layout.EVIDENCE_HEADER)
    )
    rows = "".join(
        f"<table:table-row>{ods_cell(code)}{ods_cell(level)}{ods_cell('ev ' + code)}</table:table-row>"
        for code, level in levels.items()
    )
    return f"<table:table-row>{header}</table:table-row>{rows}{extra}"


def test_ods_return_is_read_with_its_user_defined_properties() -> None:
    levels = {a.code: "Level 2" for a in builtin("becta-srf").aspects}
    data = ods_bytes(
        {"Review": ods_review(levels)}, {"framework_id": "becta-srf", "school_urn": "7"}
    )
    raw = read_return("r.ods", data, FRAMEWORKS)
    assert (raw.kind, raw.identity_source, raw.framework.id) == ("ods", "properties", "becta-srf")
    judged = judge(raw)
    assert {j.level_rank for j in judged.judgements} == {4}
    assert judged.judgements[0].source_cell == "B2"


def test_ods_repeat_counts_are_measured_without_expanding_them() -> None:
    huge = f'<table:table-row table:number-rows-repeated="999999999">{ods_cell("X", 999999999)}</table:table-row>'
    [table] = ods_extent(_content({"Sheet1": huge}))
    assert (table.rows, table.cols, table.needs_trim) == (999999999, 999999999, True)
    assert table.outside == "AO1"  # the first cell beyond column AN


def _content(tables: dict[str, str]) -> bytes:
    with zipfile.ZipFile(io.BytesIO(ods_bytes(tables))) as zf:
        return zf.read("content.xml")


def test_ods_repeat_bomb_is_trimmed_before_calamine() -> None:
    levels = {a.code: "Level 2" for a in builtin("becta-srf").aspects}
    bomb = f'<table:table-row table:number-rows-repeated="999999999">{ods_cell("X", 999999999)}</table:table-row>'
    data = ods_bytes({"Review": ods_review(levels, extra=bomb)}, {"framework_id": "becta-srf"})
    raw = read_return("r.ods", data, FRAMEWORKS)
    assert raw.finding is None
    assert "content-outside" in codes(raw)


def test_trimmed_ods_keeps_the_return_area() -> None:
    trimmed = trim_ods_content(
        _content({"S": f"<table:table-row>{ods_cell('a', 100)}</table:table-row>"})
    )
    [table] = ods_extent(trimmed)
    assert (table.rows, table.cols) == (1, layout.MAX_RETURN_COLS)
    assert b"table:table-cell" in trimmed  # prefixes kept: calamine reads them by name


@pytest.mark.parametrize("name", ["empty.xlsx", "truncated_zip.xlsx", "legacy_excel_97.xls"])
def test_bad_files_give_a_finding_not_an_exception(name: str) -> None:
    assert read(DATA / name).finding is not None


def test_trim_reads_places_in_any_quoting_and_drops_unreadable_ones() -> None:
    xml = (
        b"<worksheet><sheetData><row r='1'>"
        b"<c r = 'XFD1'><v>1</v></c><c r=\"B1\"><v>2</v></c><c r='b?'><v>3</v></c>"
        b"</row></sheetData></worksheet>"
    )
    assert xlsx_extent(xml)[2] is False  # not the usual form: measured cell by cell
    trimmed, outside = trim_xlsx_sheet(xml)
    assert outside == "XFD1"
    assert b"XFD1" not in trimmed and b"b?" not in trimmed and b'r="B1"' in trimmed


def test_trim_gives_prefixed_cells_their_place() -> None:
    xml = b'<x:worksheet xmlns:x="m"><x:sheetData><x:row><x:c><x:v>1</x:v></x:c></x:row></x:sheetData></x:worksheet>'
    trimmed, _ = trim_xlsx_sheet(xml)
    assert b'<x:c r="A1"><x:v>1</x:v></x:c>' in trimmed


def test_commented_out_sheet_does_not_decide_which_part_is_measured(
    a_return: Callable[..., Path], tmp_path: Path
) -> None:
    src = a_return()
    decoy = b'<!-- <sheet name="Review" sheetId="9" r:id="rId1"/> --></sheets>'
    path = rewrite_zip(
        src, tmp_path / "decoy.xlsx", {"xl/workbook.xml": lambda x: x.replace(b"</sheets>", decoy)}
    )
    raw = read(path)
    assert raw.finding is None and len(raw.rows) == len(EDTECH.aspects)
