"""Classifying files by their bytes, and the bounds checked before any parser runs."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import pytest
from conftest import DATA

from sheetreview.read.sniff import (
    MAX_MEMBER_BYTES,
    Package,
    Refusal,
    by_name,
    cfb_stream_names,
    check_xml,
    check_zip_bounds,
    describe,
    sniff,
)


def finding(name: str, data: bytes) -> tuple[str, dict[str, str]]:
    found = sniff(name, data).finding
    assert found is not None
    return found.code, found.fields


def zip_bytes(parts: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as zf:
        for name, body in parts.items():
            zf.writestr(name, body)
    return out.getvalue()


def set_declared_size(data: bytes, name: str, size: int) -> bytes:
    """Make a zip lie about a part's uncompressed size (local header and central directory)."""
    raw = bytearray(data)
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(name)
    struct.pack_into("<I", raw, info.header_offset + 22, size)
    at = raw.find(b"PK\x01\x02")
    while at != -1:
        name_len = struct.unpack_from("<H", raw, at + 28)[0]
        if raw[at + 46 : at + 46 + name_len] == name.encode():
            struct.pack_into("<I", raw, at + 24, size)
        at = raw.find(b"PK\x01\x02", at + 4)
    return bytes(raw)


WORKBOOK = {"xl/workbook.xml": b"<workbook/>", "[Content_Types].xml": b"<Types/>"}


# --- by name ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["~$return.xlsx", "sub/.~lock.return.xlsx#"])
def test_office_lock_files_are_known_by_name(name: str) -> None:
    assert by_name(name).code == "lock-file"


@pytest.mark.parametrize("name", [".DS_Store", "a/Thumbs.db", "._return.xlsx", "__MACOSX/r.xlsx"])
def test_system_files_are_known_by_name(name: str) -> None:
    assert by_name(name).code == "system-file"


def test_an_ordinary_name_says_nothing() -> None:
    assert by_name("returns/ash primary.xlsx") is None


# --- by content -------------------------------------------------------------------------------


def test_zero_byte_file_named_xlsx_is_empty() -> None:
    assert finding("empty.xlsx", (DATA / "empty.xlsx").read_bytes())[0] == "empty-file"


def test_zero_byte_file_not_named_as_spreadsheet_is_skipped() -> None:
    assert finding("notes.txt", b"") == ("not-a-spreadsheet", {"kind": "an empty file"})


def test_text_renamed_xlsx_is_a_fake_spreadsheet() -> None:
    data = (DATA / "text_renamed.xlsx").read_bytes()
    assert finding("text_renamed.xlsx", data) == ("fake-spreadsheet", {"kind": "text"})


def test_truncated_zip_is_damaged() -> None:
    code, fields = finding("r.xlsx", (DATA / "truncated_zip.xlsx").read_bytes())
    assert code == "damaged"
    assert "cut short" in fields["detail"]


def test_password_protected_xlsx_is_encrypted() -> None:
    data = (DATA / "password_protected.xlsx").read_bytes()
    assert finding("password_protected.xlsx", data)[0] == "encrypted"
    assert "encryptedpackage" in cfb_stream_names(data)


def test_legacy_xls_is_recognised_whatever_its_name() -> None:
    data = (DATA / "legacy_excel_97.xls").read_bytes()
    assert finding("legacy.xls", data)[0] == "legacy-xls"
    assert finding("renamed.xlsx", data)[0] == "legacy-xls"


def test_xlsx_named_xls_is_read_as_xlsx() -> None:
    assert sniff("old-name.xls", (DATA / "not_a_return.xlsx").read_bytes()).kind == "xlsx"


def test_xlsb_is_rejected_as_binary() -> None:
    data = zip_bytes({"xl/workbook.bin": b"\0", "[Content_Types].xml": b"<Types/>"})
    assert finding("r.xlsb", data)[0] == "binary-xlsb"


def test_ods_is_recognised_by_its_mimetype() -> None:
    data = zip_bytes({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"})
    assert sniff("r.ods", data).kind == "ods"


def test_word_document_is_skipped_but_one_named_xlsx_is_rejected() -> None:
    data = zip_bytes({"word/document.xml": b"<w/>", "[Content_Types].xml": b"<Types/>"})
    assert finding("letter.docx", data) == ("not-a-spreadsheet", {"kind": "a Word document"})
    assert finding("letter.xlsx", data) == ("fake-spreadsheet", {"kind": "a Word document"})


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"%PDF-1.7 ...", "a PDF document"),
        (b"\x89PNG\r\n\x1a\n....", "a PNG image"),
        (b"<!DOCTYPE html><html><body>", "a web page (HTML)"),
        (b"\x00\x01\x02\x03binary\x00\x00\x00\x00\x00\x00", "binary data"),
    ],
)
def test_other_files_are_described_in_words(data: bytes, kind: str) -> None:
    assert describe(data) == kind


def test_web_page_saved_as_xls_is_a_fake_spreadsheet() -> None:
    data = b"<html><table><tr><td>Code</td></tr></table></html>"
    assert finding("export.xls", data) == ("fake-spreadsheet", {"kind": "a web page (HTML)"})


# --- zip bounds -------------------------------------------------------------------------------


def test_too_many_parts_is_a_bomb() -> None:
    data = zip_bytes({f"x/{i}.xml": b"" for i in range(1001)} | WORKBOOK, zipfile.ZIP_STORED)
    assert finding("r.xlsx", data) == ("zip-bomb", {"detail": "1003 parts"})


def test_part_declared_larger_than_the_cap_is_a_bomb() -> None:
    data = set_declared_size(zip_bytes(WORKBOOK), "xl/workbook.xml", MAX_MEMBER_BYTES + 1)
    assert finding("r.xlsx", data)[0] == "zip-bomb"


def test_part_compressed_far_beyond_any_spreadsheet_is_a_bomb() -> None:
    # 8 MB of zeros deflate to about 8 KB: a ratio of 1000 to 1.
    data = zip_bytes({"xl/worksheets/sheet1.xml": bytes(8 * 1024 * 1024)} | WORKBOOK)
    code, fields = finding("r.xlsx", data)
    assert code == "zip-bomb"
    assert "compressed" in fields["detail"]


def test_part_unpacking_to_more_than_it_states_is_a_bomb_when_read() -> None:
    body = b"<x>" + b"a" * (3 * 1024 * 1024) + b"</x>"
    part = "xl/worksheets/sheet1.xml"
    data = set_declared_size(zip_bytes({part: body} | WORKBOOK), part, 1000)
    sniffed = sniff("r.xlsx", data)
    assert sniffed.kind == "xlsx"  # the directory alone looks harmless
    with pytest.raises(Refusal) as caught:
        sniffed.package.read(part)
    assert caught.value.finding.code == "zip-bomb"


def test_part_with_wrong_crc_is_damaged() -> None:
    data = bytearray(zip_bytes({"xl/worksheets/sheet1.xml": b"<x>hello</x>"} | WORKBOOK))
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("xl/worksheets/sheet1.xml")
    pkg = Package(bytes(data), zipfile.ZipFile(io.BytesIO(bytes(data))))
    info.CRC ^= 1
    with pytest.raises(Refusal) as caught:
        pkg._inflate(info, MAX_MEMBER_BYTES)
    assert caught.value.finding.code == "damaged"


def test_honest_small_package_passes_the_bounds() -> None:
    zf = zipfile.ZipFile(io.BytesIO(zip_bytes(WORKBOOK)))
    assert check_zip_bounds(zf) is None


# --- XML entities -----------------------------------------------------------------------------


def test_doctype_is_refused() -> None:
    with pytest.raises(Refusal) as caught:
        check_xml(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>')
    assert caught.value.finding.code == "xml-entities"


def test_doctype_in_utf16_is_refused() -> None:
    with pytest.raises(Refusal):
        check_xml('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x><x/>'.encode("utf-16"))


def test_billion_laughs_in_sheet_is_refused_before_parsing() -> None:
    data = (DATA / "billion_laughs_in_sheet.xlsx").read_bytes()
    pkg = sniff("b.xlsx", data).package
    with pytest.raises(Refusal) as caught:
        pkg.read("xl/worksheets/sheet1.xml")
    assert caught.value.finding.code == "xml-entities"


def test_large_bounded_part_is_checked_by_its_head() -> None:
    body = b'<?xml version="1.0"?><!DOCTYPE sst><sst>' + b"<si><t>x</t></si>" * 20000 + b"</sst>"
    data = zip_bytes({"xl/sharedStrings.xml": body} | WORKBOOK)
    pkg = sniff("r.xlsx", data).package
    assert zlib.compress(body)  # compressible: bounded by arithmetic, so only its head is read
    with pytest.raises(Refusal):
        pkg.check_parts(["xl/sharedStrings.xml"])


def test_memo_reuses_only_an_identical_part() -> None:
    part = "xl/workbook.xml"
    good = zip_bytes({part: b"<workbook><sheets/></workbook>", "[Content_Types].xml": b"<T/>"})
    first = sniff("a.xlsx", good).package
    assert first.memo(part, "test", lambda: first.read(part)) == b"<workbook><sheets/></workbook>"
    bad = bytearray(good)
    at = bad.find(b"PK\x01\x02")  # the first central directory entry is the workbook part
    bad[at + 16] ^= 0xFF  # its CRC no longer matches the bytes
    second = Package(bytes(bad), zipfile.ZipFile(io.BytesIO(bytes(bad))))
    with pytest.raises(Refusal) as caught:
        second.memo(part, "test", lambda: second.read(part))
    assert caught.value.finding.code == "damaged"
