"""Decide what a file is from its bytes, and whether it is safe to hand to a parser.

Returns arrive as e-mail attachments: names lie (a .xlsx that is a web page, a .xls that is really
.xlsx) and some files are hostile or broken (zip bombs, XML entity tricks, truncated downloads,
files crafted to make a reader allocate gigabytes). Every check here runs on bytes already in
memory and is bounded, so that nothing reaches calamine or an XML parser before it has been
measured. A file that fails a check gets a `Finding`: the problem code and its message fields.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, TypeVar

# A generated return is about 60 KB; returns saved by spreadsheet programs stay well under 1 MB.
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_ZIP_ENTRIES = 1000
MAX_MEMBER_BYTES = 64 * 1024 * 1024  # one member, inflated
MAX_TOTAL_BYTES = 256 * 1024 * 1024  # all members, inflated
# XML compresses about 10:1; far higher ratios on a large member are a bomb, not a spreadsheet.
MAX_RATIO = 200
RATIO_FLOOR = 1024 * 1024  # the ratio rule applies to members larger than this
# Deflate cannot expand more than this: a member whose compressed size times this is under the
# cap is bounded without inflating it; a larger one is inflated once to verify its real size.
DEFLATE_MAX_EXPANSION = 1032
# A part that unpacks to a little more than its header says is damaged; far more is a bomb.
_SLACK = 1024 * 1024

SPREADSHEET_SUFFIXES = frozenset(
    {
        ".xlsx",
        ".xlsm",
        ".xltx",
        ".xltm",
        ".xls",
        ".xlsb",
        ".xlt",
        ".ods",
        ".ots",
        ".fods",
        ".numbers",
    }
)
SYSTEM_NAMES = frozenset({".ds_store", "thumbs.db", "desktop.ini", "ehthumbs.db", ".localized"})
ODS_MIMETYPES = (
    b"application/vnd.oasis.opendocument.spreadsheet",
    b"application/vnd.oasis.opendocument.spreadsheet-template",
)
CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENTITY_RE = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)


@dataclass(frozen=True)
class Finding:
    """Why a file is skipped or rejected: a problem code (problems.CATALOGUE) and its fields."""

    code: str
    fields: dict[str, str] = field(default_factory=dict)


class Refusal(Exception):
    """Raised inside a reader to stop at the first check a file fails; carries the Finding."""

    def __init__(self, code: str, **fields: str) -> None:
        self.finding = Finding(code, dict(fields))
        super().__init__(code)


@dataclass
class Sniffed:
    """What a file's bytes are: `kind` is "xlsx" or "ods" when it can be read as a return."""

    kind: str = ""
    finding: Finding | None = None
    package: Package | None = None


# --- by name ----------------------------------------------------------------------------------


def by_name(relpath: str) -> Finding | None:
    """Lock and system files, known from the name alone: they are never opened."""
    path = PurePath(relpath)
    name = path.name
    if name.startswith("~$") or (name.startswith(".~lock.") and name.endswith("#")):
        return Finding("lock-file")
    if name.casefold() in SYSTEM_NAMES or name.startswith("._") or "__MACOSX" in path.parts:
        return Finding("system-file", {"name": name})
    return None


def named_as_spreadsheet(relpath: str) -> bool:
    return PurePath(relpath).suffix.casefold() in SPREADSHEET_SUFFIXES


# --- by content -------------------------------------------------------------------------------


def sniff(relpath: str, data: bytes) -> Sniffed:
    """Classify bytes: a readable return format, or the finding that skips or rejects the file."""
    sheet_name = named_as_spreadsheet(relpath)
    if not data:
        return Sniffed(finding=Finding("empty-file") if sheet_name else _other("an empty file"))
    if len(data) > MAX_FILE_BYTES:
        return Sniffed(finding=Finding("oversized", {"detail": f"{len(data) // 1_000_000} MB"}))
    if data[:2] == b"PK":
        return _sniff_zip(relpath, data, sheet_name)
    if data[:8] == CFB_MAGIC:
        return Sniffed(finding=_sniff_cfb(relpath, data, sheet_name))
    kind = describe(data)
    if sheet_name:
        return Sniffed(finding=Finding("fake-spreadsheet", {"kind": kind}))
    return Sniffed(finding=_other(kind))


def _other(kind: str) -> Finding:
    return Finding("not-a-spreadsheet", {"kind": kind})


def _not_ours(kind: str, sheet_name: bool) -> Finding:
    return Finding("fake-spreadsheet", {"kind": kind}) if sheet_name else _other(kind)


def _sniff_zip(relpath: str, data: bytes, sheet_name: bool) -> Sniffed:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        if not sheet_name and data[:4] != b"PK\x03\x04":
            return Sniffed(finding=_other(describe(data)))
        return Sniffed(finding=Finding("damaged", {"detail": _zip_detail(exc)}))
    finding = check_zip_bounds(zf)
    if finding:
        return Sniffed(finding=finding)
    pkg = Package(data, zf)
    names = pkg.names
    if "xl/workbook.xml" in names or _content_type(pkg, b"spreadsheetml.sheet.main"):
        return Sniffed(kind="xlsx", package=pkg)
    if "xl/workbook.bin" in names:
        return Sniffed(finding=Finding("binary-xlsb"))
    if "mimetype" in names:
        mimetype = _small_member(pkg, "mimetype")
        if mimetype.strip() in ODS_MIMETYPES:
            if b"encryption-data" in _small_member(pkg, "META-INF/manifest.xml", 1 << 20):
                return Sniffed(finding=Finding("encrypted"))
            return Sniffed(kind="ods", package=pkg)
        kind = "an OpenDocument file that is not a spreadsheet"
        return Sniffed(finding=_not_ours(kind, sheet_name))
    if any(n.startswith("Index/") for n in names) or "Index.zip" in names:
        return Sniffed(finding=Finding("numbers-file"))
    if "word/document.xml" in names:
        return Sniffed(finding=_not_ours("a Word document", sheet_name))
    if "ppt/presentation.xml" in names:
        return Sniffed(finding=_not_ours("a PowerPoint presentation", sheet_name))
    if "[Content_Types].xml" in names:
        return Sniffed(finding=_not_ours("an Office file that is not a workbook", sheet_name))
    return Sniffed(finding=_not_ours("a zip archive; unzip it into the folder", sheet_name))


def _content_type(pkg: Package, wanted: bytes) -> bool:
    """Whether [Content_Types].xml declares a part of this type (a workbook stored under
    another name than xl/workbook.xml)."""
    return wanted in _small_member(pkg, "[Content_Types].xml", 1 << 20)


def _small_member(pkg: Package, name: str, limit: int = 4096) -> bytes:
    info = pkg.info(name)
    if info is None or info.file_size > limit:
        return b""
    try:
        return pkg.read(name, limit)
    except Refusal:
        return b""


def _zip_detail(exc: BaseException) -> str:
    text = str(exc).lower()
    if "not a zip file" in text or "truncated" in text or "end of central" in text:
        return "the file is cut short: it was not copied or downloaded completely"
    return "its zip container is corrupt"


# --- zip bounds and member reading ------------------------------------------------------------


def check_zip_bounds(zf: zipfile.ZipFile) -> Finding | None:
    """Entry count, declared sizes and compression ratio, from the directory alone."""
    infos = zf.infolist()
    if len(infos) > MAX_ZIP_ENTRIES:
        return Finding("zip-bomb", {"detail": f"{len(infos)} parts"})
    total = 0
    for info in infos:
        if info.file_size > MAX_MEMBER_BYTES:
            return Finding(
                "zip-bomb", {"detail": f"{info.filename} would be {_mb(info.file_size)}"}
            )
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_FLOOR and ratio > MAX_RATIO:
            detail = f"{info.filename} is compressed {ratio:.0f} to 1"
            return Finding("zip-bomb", {"detail": detail})
        total += info.file_size
    if total > MAX_TOTAL_BYTES:
        return Finding("zip-bomb", {"detail": f"{_mb(total)} in all"})
    return None


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.0f} MB"


T = TypeVar("T")
_MEMO: dict[tuple[str, int, int, int, bytes], Any] = {}
_MEMO_ENTRIES = 256
_MEMO_PART_BYTES = 4096  # structure and styles; not the review sheet or the strings


class Package:
    """A zip package held in memory, whose parts are inflated only through checked paths."""

    def __init__(self, data: bytes, zf: zipfile.ZipFile) -> None:
        self.data = data
        self.view = memoryview(data)
        self.zip = zf
        # Some producers write Windows separators (xl\workbook.xml); parts are found either way.
        self._infos = {i.filename.replace("\\", "/"): i for i in zf.infolist()}
        self.names = set(self._infos)

    def info(self, name: str) -> zipfile.ZipInfo | None:
        return self._infos.get(name)

    def names_in_order(self) -> list[str]:
        return list(self._infos)

    def read(self, name: str, cap: int = MAX_MEMBER_BYTES) -> bytes:
        """A part's bytes, inflated from the raw stream and checked: the stream must end at
        the size the directory states (calamine's reader would follow a longer one), the CRC
        must match, and the XML must declare no entities."""
        info = self.info(name)
        if info is None:
            raise Refusal("damaged", detail=f"the part {name} is missing")
        if info.file_size > cap:
            raise Refusal("oversized", detail=f"{name} is {_mb(info.file_size)}")
        out = self._inflate(info, cap)
        check_xml(out)
        return out

    def _inflate(self, info: zipfile.ZipInfo, cap: int) -> bytes:
        name = info.filename
        if info.flag_bits & 0x1:
            raise Refusal("encrypted")
        raw = self._raw(info)
        if info.compress_type == zipfile.ZIP_STORED:
            out = bytes(raw)
        elif info.compress_type == zipfile.ZIP_DEFLATED:
            inflater = zlib.decompressobj(-15)
            try:
                out = inflater.decompress(raw, min(cap, info.file_size + _SLACK) + 1)
            except zlib.error:
                raise Refusal("damaged", detail=f"the part {name} is corrupt") from None
            if len(out) > cap or len(out) > info.file_size + _SLACK:
                raise Refusal("zip-bomb", detail=f"{name} unpacks to more than it states")
            if not inflater.eof:
                raise Refusal("damaged", detail=f"the part {name} is cut short")
        else:
            detail = f"the part {name} uses a compression spreadsheet programs do not use"
            raise Refusal("damaged", detail=detail)
        if len(out) != info.file_size or zlib.crc32(out) != info.CRC:
            raise Refusal("damaged", detail=f"the part {name} is corrupt")
        return out

    def _raw(self, info: zipfile.ZipInfo, limit: int | None = None) -> memoryview:
        """The part's compressed bytes (or their first `limit`), without copying them."""
        start = info.header_offset
        header = self.data[start : start + 30]
        if len(header) < 30 or header[:4] != b"PK\x03\x04":
            raise Refusal("damaged", detail=f"the part {info.filename} is corrupt")
        name_len, extra_len = struct.unpack_from("<HH", header, 26)
        begin = start + 30 + name_len + extra_len
        size = info.compress_size if limit is None else min(limit, info.compress_size)
        raw = self.view[begin : begin + size]
        if len(raw) < size:
            raise Refusal("damaged", detail="the file is cut short")
        return raw

    def check_parts(self, names: list[str]) -> None:
        """Make parts that calamine will read safe to read, without inflating a large part twice
        when arithmetic already bounds it: deflate expands at most DEFLATE_MAX_EXPANSION times,
        so a part compressed small enough cannot exceed the cap whatever its header says; its
        head is checked for a DOCTYPE (which may only stand before the root element). Other
        parts are inflated and checked whole."""
        for name in names:
            info = self.info(name)
            if info is None:
                continue
            bounded = info.compress_size * DEFLATE_MAX_EXPANSION <= MAX_MEMBER_BYTES
            if bounded and info.compress_type == zipfile.ZIP_DEFLATED:
                self.memo(name, "head checked", lambda info=info: check_xml(self._head(info)))
            else:
                self.read(name)

    def memo(self, name: str, what: str, compute: Callable[[], T]) -> T:
        """`compute()` for a part, reused when an earlier file held a byte-identical part:
        returns made by one generator share their workbook structure and styles. The key is
        the part's exact compressed bytes, not a checksum, so no crafted part can borrow
        another's result; with the stated size and CRC, every check the part passed before
        would pass again. Callers must not change what they get."""
        info = self.info(name)
        if info is None or info.compress_size > _MEMO_PART_BYTES:
            return compute()
        key = (what, info.compress_type, info.file_size, info.CRC, bytes(self._raw(info)))
        if key in _MEMO:
            return _MEMO[key]
        value = compute()
        if len(_MEMO) >= _MEMO_ENTRIES:
            _MEMO.clear()
        _MEMO[key] = value
        return value

    def _head(self, info: zipfile.ZipInfo) -> bytes:
        inflater = zlib.decompressobj(-15)
        try:
            return inflater.decompress(self._raw(info, 4096), 2048)
        except zlib.error:
            raise Refusal("damaged", detail=f"the part {info.filename} is corrupt") from None


def check_xml(data: bytes) -> None:
    """No DOCTYPE and no ENTITY declaration: a spreadsheet never needs them, an attack does."""
    head = data[:4]
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in head:
        text = data.decode("utf-16", errors="replace").encode("utf-8", errors="replace")
    elif b"<!" not in data:  # a declaration starts so: most parts are settled by one fast search
        return
    else:
        text = data
    if _ENTITY_RE.search(text):
        raise Refusal("xml-entities")


# --- CFB (OLE2) containers: legacy .xls, and password-protected OOXML --------------------------


def _sniff_cfb(relpath: str, data: bytes, sheet_name: bool) -> Finding:
    names = cfb_stream_names(data)
    suffix = PurePath(relpath).suffix.casefold()
    if {"encryptioninfo", "encryptedpackage"} & names:
        if suffix in (".docx", ".doc", ".pptx", ".ppt"):
            return _other("a password-protected document")
        return Finding("encrypted")
    if {"workbook", "book"} & names:
        return Finding("legacy-xls")
    if "worddocument" in names:
        return _not_ours("a Word 97-2003 document", sheet_name)
    if "powerpoint document" in names:
        return _not_ours("a PowerPoint 97-2003 presentation", sheet_name)
    if sheet_name and suffix in (".xls", ".xlt"):
        return Finding("legacy-xls")
    if sheet_name:
        return Finding("damaged", {"detail": "an Office container without a workbook in it"})
    return _other("an Office 97-2003 file")


def cfb_stream_names(data: bytes) -> set[str]:
    """Names in a compound file's directory (lower case); bounded, never trusts the header.
    Falls back to looking for the names themselves when the directory cannot be walked."""
    try:
        names = _cfb_directory(data)
    except (struct.error, ValueError, IndexError):
        names = set()
    if names:
        return names
    found = set()
    for name in ("EncryptionInfo", "EncryptedPackage", "Workbook", "Book", "WordDocument"):
        if name.encode("utf-16-le") + b"\x00\x00" in data:
            found.add(name.lower())
    return found


def _cfb_directory(data: bytes) -> set[str]:
    shift = struct.unpack_from("<H", data, 0x1E)[0]
    if shift not in (9, 12):
        raise ValueError("sector size")
    size = 1 << shift
    n_sectors = len(data) // size
    fat_sectors = [s for s in struct.unpack_from("<109I", data, 0x4C) if s < n_sectors]
    fat: list[int] = []
    for s in fat_sectors:
        start = (s + 1) * size
        fat.extend(struct.unpack_from(f"<{size // 4}I", data, start))
    names: set[str] = set()
    sector = struct.unpack_from("<I", data, 0x30)[0]
    seen: set[int] = set()
    while sector < n_sectors and sector not in seen and len(seen) < n_sectors:
        seen.add(sector)
        start = (sector + 1) * size
        for off in range(start, min(start + size, len(data) - 127), 128):
            length = struct.unpack_from("<H", data, off + 64)[0]
            if 2 <= length <= 64 and data[off + 66] in (1, 2):
                names.add(data[off : off + length - 2].decode("utf-16-le", "replace").lower())
        sector = fat[sector] if sector < len(fat) else n_sectors
    return names


# --- describing what a file is, for a message -------------------------------------------------

_MAGIC = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"BM", "a bitmap image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"{\\rtf", "a Rich Text document"),
    (b"\x00\x05\x16\x07", "a macOS resource file"),
)


def describe(data: bytes) -> str:
    """A few words a school understands for what these bytes are."""
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    head = data[:4096]
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1"):
        return "a HEIC image"
    text = _as_text(head)
    if text is None:
        return "binary data"
    start = text.lstrip("\ufeff \t\r\n").lower()
    if start.startswith(("<!doctype html", "<html")) or "<html" in start[:1024]:
        return "a web page (HTML)"
    if start.startswith("<?xml"):
        if "urn:schemas-microsoft-com:office:spreadsheet" in start:
            return "an Excel 2003 XML spreadsheet"
        return "an XML file"
    return "text"


def _as_text(head: bytes) -> str | None:
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return head.decode("utf-16", errors="replace")
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:
            return None
        text = head[: exc.start].decode("utf-8")
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\r\n\f")
    return None if controls > len(text) // 100 else text
