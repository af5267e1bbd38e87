"""summary.xlsx's zip package, with sheets whose rows were made in other processes spliced in.

Writing a workbook's biggest sheet (the Evidence sheet: some 46 MB of XML for 2,000 returns) and
deflating it took nearly half of a report's own CPU. Its rows are now made and deflated in a worker
process (`deflate_part`) while the report writes the other sheets; the worksheet xlsxwriter writes
holds a marker where the rows belong, and `close` puts the deflated rows there. A deflate stream
may be cut into parts that end on a byte boundary (a full flush) and be joined again, which is how
the member's head, the worker's rows and the member's tail make one stream; their CRC-32s are
combined the way zlib's crc32_combine does. Python's zipfile cannot write data that is already
deflated, so the few calls xlsxwriter makes of it are answered here, writing a plain zip.
"""

from __future__ import annotations

import functools
import os
import struct
import sys
import time
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xlsxwriter.workbook

LEVEL = 1  # zlib's fastest: level 6 took four times the CPU for a file a quarter smaller
_LIMIT = 0xFFFFFFFF  # without zip64 (no summary comes near: the Evidence sheet has a cap)


@dataclass(frozen=True)
class Deflated:
    """Part of a zip member's data, deflated on its own: the bytes (ending on a byte boundary,
    not the stream's last block), the CRC-32 and the length of what was deflated."""

    data: bytes
    crc: int
    size: int


class Deflater:
    """Deflates text a piece at a time into one `Deflated` part."""

    def __init__(self, level: int = LEVEL) -> None:
        self._zip = zlib.compressobj(level, zlib.DEFLATED, -15)
        self._out: list[bytes] = []
        self._crc = 0
        self._size = 0

    def add(self, text: str) -> None:
        raw = text.encode("utf-8")
        self._crc = zlib.crc32(raw, self._crc)
        self._size += len(raw)
        self._out.append(self._zip.compress(raw))

    def done(self) -> Deflated:
        self._out.append(self._zip.flush(zlib.Z_FULL_FLUSH))
        return Deflated(b"".join(self._out), self._crc, self._size)


def marker(key: str) -> str:
    """What a worksheet holds where a part's rows belong. Text from a return cannot make it:
    every `<` of a cell's text is written as `&lt;`."""
    return f"<!--sheetreview part {key}-->"


def close(wb: Any, parts: dict[str, Deflated], level: int = LEVEL) -> None:
    """Close (save) xlsxwriter workbook `wb`, each of `parts` where its marker is."""
    module = xlsxwriter.workbook
    zip_file = module.ZipFile
    module.ZipFile = functools.partial(PackageZip, parts=parts, level=level)
    try:
        wb.close()
    finally:
        module.ZipFile = zip_file


class PackageZip:
    """The calls xlsxwriter makes of zipfile.ZipFile (write, writestr, close), writing a zip
    of deflated members; a member that holds a part's marker gets that part in its place."""

    def __init__(
        self,
        file: str | Path,
        mode: str = "w",
        compression: int = zipfile.ZIP_DEFLATED,
        allowZip64: bool = True,  # noqa: N803 (zipfile's name)
        *,
        parts: dict[str, Deflated] | None = None,
        level: int = LEVEL,
    ) -> None:
        if mode != "w" or compression != zipfile.ZIP_DEFLATED:
            raise ValueError("PackageZip only writes new, deflated zips")
        self.compression = compression
        self._fh = open(file, "wb")  # noqa: SIM115 (closed by close(), as a ZipFile is)
        self._entries: list[bytes] = []
        self._markers = {marker(key).encode("ascii"): part for key, part in (parts or {}).items()}
        self._level = level

    def write(self, filename: str | Path, arcname: str) -> None:
        """Add the file `filename` as `arcname`, dated and permitted as zipfile would."""
        st = os.stat(filename)
        data = Path(filename).read_bytes()
        self._add(arcname, data, time.localtime(st.st_mtime)[:6], (st.st_mode & 0xFFFF) << 16)

    def writestr(self, zinfo_or_arcname: zipfile.ZipInfo | str, data: bytes | str) -> None:
        if isinstance(data, str):
            data = data.encode("utf-8")
        if isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            info = zinfo_or_arcname
            self._add(info.filename, data, info.date_time, info.external_attr or 0o600 << 16)
        else:
            self._add(zinfo_or_arcname, data, time.localtime()[:6], 0o600 << 16)

    def _add(self, name: str, data: bytes, date_time: tuple, attributes: int) -> None:
        deflated, crc = self._deflate(data)
        size = sum(p.size for p in deflated)
        packed = sum(len(p.data) for p in deflated)
        offset = self._fh.tell()
        if max(size, packed, offset) >= _LIMIT or len(self._entries) >= 0xFFFF:
            raise zipfile.LargeZipFile("the workbook would need zip64")
        encoded = name.encode("ascii") if name.isascii() else name.encode("utf-8")
        flags = 0 if name.isascii() else 0x800
        y, mo, d, h, mi, s = date_time
        dos_time, dos_date = h << 11 | mi << 5 | s // 2, max(y - 1980, 0) << 9 | mo << 5 | d
        common = struct.pack("<HHHHIII", flags, zipfile.ZIP_DEFLATED, dos_time, dos_date, crc,
                             packed, size)  # fmt: skip
        self._fh.write(struct.pack("<IH", 0x04034B50, 20) + common)
        self._fh.write(struct.pack("<HH", len(encoded), 0) + encoded)
        for part in deflated:
            self._fh.write(part.data)
        made_by = 20 | (0 if sys.platform == "win32" else 3) << 8
        self._entries.append(
            struct.pack("<IHH", 0x02014B50, made_by, 20)
            + common
            + struct.pack("<HHHHHII", len(encoded), 0, 0, 0, 0, attributes, offset)
            + encoded
        )

    def _deflate(self, data: bytes) -> tuple[list[Deflated], int]:
        """The member's data as deflated parts (the last one ends the stream), and its CRC."""
        found = sorted((data.find(m), m) for m in self._markers if m in data)
        if not found:
            return [_whole(data, self._level)], zlib.crc32(data)
        pieces: list[Deflated] = []
        crc, at = 0, 0
        for position, mark in found:
            if data.count(mark) != 1:
                raise ValueError("a workbook part holds two places for the same rows")
            text = data[at:position]
            start = zlib.compressobj(self._level, zlib.DEFLATED, -15)
            pieces.append(
                Deflated(start.compress(text) + start.flush(zlib.Z_FULL_FLUSH), 0, len(text))
            )
            part = self._markers.pop(mark)
            crc = crc32_combine(zlib.crc32(text, crc), part.crc, part.size)
            pieces.append(part)
            at = position + len(mark)
        tail = data[at:]
        pieces.append(_whole(tail, self._level))
        return pieces, zlib.crc32(tail, crc)

    def close(self) -> None:
        """Write the central directory and close; every part must have found its place."""
        try:
            if self._markers:
                raise ValueError("rows made for a sheet found no place in the workbook")
            start = self._fh.tell()
            directory = b"".join(self._entries)
            if start + len(directory) >= _LIMIT:
                raise zipfile.LargeZipFile("the workbook would need zip64")
            self._fh.write(directory)
            n = len(self._entries)
            self._fh.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, n, n, len(directory),
                                       start, 0))  # fmt: skip
        finally:
            self._fh.close()


def _whole(data: bytes, level: int) -> Deflated:
    """`data` deflated as the end of a stream."""
    z = zlib.compressobj(level, zlib.DEFLATED, -15)
    return Deflated(z.compress(data) + z.flush(), zlib.crc32(data), len(data))


# --- CRC-32 of joined data from the CRC-32s of its parts (zlib's crc32_combine) ----------------


def _gf2_times(matrix: list[int], vector: int) -> int:
    total, i = 0, 0
    while vector:
        if vector & 1:
            total ^= matrix[i]
        vector >>= 1
        i += 1
    return total


def _gf2_square(matrix: list[int]) -> list[int]:
    return [_gf2_times(matrix, row) for row in matrix]


def crc32_combine(crc1: int, crc2: int, length2: int) -> int:
    """The CRC-32 of a + b, given crc32(a), crc32(b) and len(b)."""
    if length2 <= 0:
        return crc1
    odd = [0xEDB88320] + [1 << n for n in range(31)]  # one zero bit
    even = _gf2_square(odd)  # two zero bits
    odd = _gf2_square(even)  # four zero bits
    while True:
        even = _gf2_square(odd)  # apply len2 zero bytes to crc1, a power of two at a time
        if length2 & 1:
            crc1 = _gf2_times(even, crc1)
        length2 >>= 1
        if not length2:
            break
        odd = _gf2_square(even)
        if length2 & 1:
            crc1 = _gf2_times(odd, crc1)
        length2 >>= 1
        if not length2:
            break
    return crc1 ^ crc2
