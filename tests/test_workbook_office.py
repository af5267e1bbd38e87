"""The workbook in real spreadsheet programs: LibreOffice prints it and re-saves it, Gnumeric too.

A school opens the file, chooses levels and saves it in whatever program it has. After that save the
dropdowns must still work and ingest must still know whose return it is. Each LibreOffice call
converts every framework's workbook at once (a call costs about 2 s), and the three calls run side
by side, each with its own profile.
"""

from __future__ import annotations

import re
import subprocess
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pytest

from devtools.office import gnumeric_convert, libreoffice_convert_many
from sheetreview import layout
from sheetreview.framework import Framework, all_builtin
from sheetreview.schools import School
from sheetreview.workbook import Filled, write_workbook

pytestmark = pytest.mark.office

SCHOOL = School("123456", '=HYPERLINK("http://example.com","x")', la="Kent")
ODF_META = "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
LO_FORMATS = ("pdf", "xlsx", "ods")


def chosen(fw: Framework) -> dict[str, Filled]:
    """A level for every aspect, cycling through the levels, with some evidence."""
    return {
        a.code: Filled(fw.levels[i % fw.level_count].label, f"Evidence for {a.code}", "Next")
        for i, a in enumerate(fw.aspects)
    }


def convert_all(files: list[Path], out_dirs: dict[str, Path]) -> None:
    """One LibreOffice call per format, all files in each call, the calls side by side (each
    call has its own profile, see office.py)."""
    with ThreadPoolExecutor(max_workers=len(out_dirs)) as pool:
        jobs = [pool.submit(libreoffice_convert_many, files, d, fmt) for fmt, d in out_dirs.items()]
        for job in jobs:
            job.result()


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("office")
    frameworks = {fw.id: fw for fw in all_builtin()}
    files = [
        write_workbook(
            fw, root / f"{fw.id}.xlsx", school=SCHOOL, round_label="R1", filled=chosen(fw)
        )
        for fw in frameworks.values()
    ]
    dirs = {fmt: root / fmt for fmt in LO_FORMATS}
    convert_all(files, dirs)
    for path in files:
        gnumeric_convert(path, root / "gnumeric" / path.name)
    dirs["gnumeric"] = root / "gnumeric"
    return {"frameworks": frameworks, "dirs": dirs}


def aspect_cells(ws, level_header: str = layout.LEVEL_HEADER) -> dict[str, str]:
    """{aspect code: coordinate of its level cell}, found by header text and code as ingest does."""
    for row in ws.iter_rows(min_row=1, max_row=layout.HEADER_SEARCH_ROWS):
        values = [c.value for c in row]
        if layout.CODE_HEADER in values:
            top, col = row[0].row, values.index(level_header) + 1
            break
    else:
        raise AssertionError("no header row")
    return {
        r[0].value: ws.cell(r[0].row, col).coordinate
        for r in ws.iter_rows(min_row=top + 1, max_col=1)
        if r[0].value
    }


def identity_from_xlsx(path: Path) -> dict[str, str]:
    """Custom properties first, then the identity sheet whatever its visibility (as ingest)."""
    wb = openpyxl.load_workbook(path)
    props = {
        p.name.removeprefix(layout.PROPERTY_PREFIX): p.value
        for p in wb.custom_doc_props.props
        if p.name.startswith(layout.PROPERTY_PREFIX)
    }
    if props.get("framework_id"):
        return props
    return {r[0].value: r[1].value for r in wb[layout.IDENTITY_SHEET].iter_rows(max_col=2)}


def ods_properties(meta_xml: str) -> dict[str, str]:
    root = ElementTree.fromstring(meta_xml)
    return {
        el.get(f"{{{ODF_META}}}name"): el.text or ""
        for el in root.iter(f"{{{ODF_META}}}user-defined")
    }


def test_every_builtin_workbook_prints_to_pdf_with_its_descriptors(converted) -> None:
    for fw_id, fw in converted["frameworks"].items():
        pdf = converted["dirs"]["pdf"] / f"{fw_id}.pdf"
        assert pdf.stat().st_size > 10_000, fw_id
        text = subprocess.run(
            ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True
        ).stdout
        flat = re.sub(r"\s+", " ", text)
        assert fw.aspects[-1].code in flat, fw_id
        first_words = " ".join(fw.aspects[0].descriptors[0].text.split()[:3])
        assert first_words in flat, fw_id
        pages = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
        assert int(re.search(r"Pages:\s+(\d+)", pages).group(1)) >= 3, fw_id


XHTML = "{http://www.w3.org/1999/xhtml}"
A4_LANDSCAPE = (841.9, 595.3)
# pdftotext's word boxes are the font's ascent to descent: 1.3 times the size in Liberation Sans.
BOX_PER_POINT = 1.3


def pdf_words(pdf: Path) -> list[tuple[tuple[float, float], str, list[tuple[str, float]]]]:
    """Per page: its size, the sheet named in its footer, and each word with its font size."""
    html = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    root = ElementTree.fromstring(html)
    pages = []
    for page in root.iter(f"{XHTML}page"):
        size = (float(page.get("width")), float(page.get("height")))
        words, footer = [], []
        for w in page.iter(f"{XHTML}word"):
            top, bottom = float(w.get("yMin")), float(w.get("yMax"))
            if top > size[1] - 45:  # the footer: "<sheet>   Page n of m"
                footer.append(w.text or "")
            else:
                words.append((w.text or "", (bottom - top) / BOX_PER_POINT))
        pages.append((size, " ".join(footer).split(" Page ")[0], words))
    return pages


def test_review_prints_on_a4_at_8_points_or_more_with_headers_on_every_page(converted) -> None:
    for fw_id, fw in converted["frameworks"].items():
        pages = pdf_words(converted["dirs"]["pdf"] / f"{fw_id}.pdf")
        review = [(size, words) for size, sheet, words in pages if sheet == layout.REVIEW_SHEET]
        assert len(review) >= 2, fw_id
        for i, (size, words) in enumerate(review):
            assert size == pytest.approx(A4_LANDSCAPE, abs=1), (fw_id, i)
            text = [w for w, _ in words]
            assert layout.CODE_HEADER in text and layout.TITLE_HEADER in text, (fw_id, i)
            smallest = min(points for _, points in words)
            assert smallest >= 7.9, (fw_id, i, smallest)
        # Every descriptor is printed, on a page with the Review headers.
        printed = " ".join(w for _, words in review for w, _ in words)
        for aspect in fw.aspects:
            assert aspect.code in printed, (fw_id, aspect.code)


def test_libreoffice_resave_keeps_every_dropdown_and_chosen_level(converted) -> None:
    for fw_id, fw in converted["frameworks"].items():
        wb = openpyxl.load_workbook(converted["dirs"]["xlsx"] / f"{fw_id}.xlsx")
        ws = wb[layout.REVIEW_SHEET]
        cells = aspect_cells(ws)
        assert list(cells) == [a.code for a in fw.aspects], fw_id
        rules = ws.data_validations.dataValidation
        for code, cell in cells.items():
            rule = next((dv for dv in rules if cell in dv.sqref), None)
            assert rule is not None and rule.type == "list", (fw_id, code)
            assert rule.formula1 in (
                layout.LEVELS_NAME,
                f"{layout.LISTS_SHEET}!$A$1:$A${fw.level_count}",
            )
            assert ws[cell].value == chosen(fw)[code].level
        assert wb[layout.LISTS_SHEET].sheet_state == "hidden"
        assert ws.protection.sheet


def test_libreoffice_resave_keeps_the_identity(converted) -> None:
    for fw_id in converted["frameworks"]:
        ids = identity_from_xlsx(converted["dirs"]["xlsx"] / f"{fw_id}.xlsx")
        assert ids["framework_id"] == fw_id
        assert ids["school_urn"] == SCHOOL.urn
        assert ids["school_name"] == SCHOOL.name
        assert ids["round"] == "R1"


def test_libreoffice_ods_keeps_dropdowns_and_identity(converted) -> None:
    for fw_id, fw in converted["frameworks"].items():
        with zipfile.ZipFile(converted["dirs"]["ods"] / f"{fw_id}.ods") as z:
            meta = z.read("meta.xml").decode()
            content = z.read("content.xml").decode()
        props = ods_properties(meta)
        assert props[f"{layout.PROPERTY_PREFIX}framework_id"] == fw_id
        assert props[f"{layout.PROPERTY_PREFIX}school_urn"] == SCHOOL.urn
        assert props[f"{layout.PROPERTY_PREFIX}school_name"] == SCHOOL.name
        assert f"cell-content-is-in-list({layout.LEVELS_NAME})" in content
        assert content.count("table:content-validation-name=") >= len(fw.aspects)


@pytest.mark.filterwarnings("ignore:Workbook contains no default style")
def test_gnumeric_resave_keeps_levels_and_identity(converted) -> None:
    for fw_id, fw in converted["frameworks"].items():
        path = converted["dirs"]["gnumeric"] / f"{fw_id}.xlsx"
        ws = openpyxl.load_workbook(path)[layout.REVIEW_SHEET]
        cells = aspect_cells(ws)
        assert {code: ws[cell].value for code, cell in cells.items()} == {
            code: f.level for code, f in chosen(fw).items()
        }
        ids = identity_from_xlsx(path)
        assert ids["framework_id"] == fw_id and ids["school_name"] == SCHOOL.name
        # Level cells stay text-formatted, so a level typed in Gnumeric is text like the list's.
        assert {ws[cell].number_format for cell in cells.values()} == {"@"}, fw_id
