"""PNGs written a band of rows at a time from a shared background (report/png.py)."""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from sheetreview.report.png import BAND, BandedPng, adler32_combine

PALETTE = [v for i in range(256) for v in (i, 255 - i, (i * 7) % 256)]


@given(st.binary(max_size=300), st.binary(max_size=300))
def test_adler32_of_two_pieces_is_combined_as_zlib_computes_it_whole(a: bytes, b: bytes):
    assert adler32_combine(zlib.adler32(a), zlib.adler32(b), len(b)) == zlib.adler32(a + b)


def _background(height: int = 100, width: int = 60) -> np.ndarray:
    rows = np.arange(height, dtype=np.uint8)[:, None] // 7
    return (rows + np.arange(width, dtype=np.uint8)[None, :] // 9).astype(np.uint8)


def _decoded(path: Path) -> tuple[np.ndarray, list[int], tuple]:
    with Image.open(path) as image:
        image.load()  # inflates the stream: zlib checks its Adler-32, PIL each chunk's CRC
        assert image.mode == "P"
        return np.asarray(image).copy(), image.getpalette(), image.info.get("dpi")


boxes = st.lists(
    st.tuples(st.integers(0, 59), st.integers(0, 99), st.integers(1, 20), st.integers(1, 30)),
    max_size=4,
)


@settings(max_examples=60, deadline=None)
@given(
    shots=st.lists(st.tuples(boxes, st.integers(0, 40), st.integers(0, 2 * BAND + 3)), min_size=1,
                   max_size=4),
)  # fmt: skip
def test_each_image_decodes_to_its_own_pixels_whatever_bands_it_shares(tmp_path_factory, shots):
    """Images drawn one after another on one writer, each with its own boxes and crop: every
    one decodes to exactly its pixels, cropped, with the palette and resolution given."""
    folder = tmp_path_factory.mktemp("png")
    background = _background()
    writer = BandedPng(background.copy(), PALETTE, 120)
    for i, (drawn, top, trim) in enumerate(shots):
        pixels = background.copy()
        changed = []
        for x, y, w, h in drawn:
            box = (x, y, min(60, x + w), min(100, y + h))
            pixels[box[1] : box[3], box[0] : box[2]] = 200 + i
            changed.append(box)
        crop = (3, top, 57, 100 - trim)
        path = folder / f"{i}.png"
        writer.write(path, pixels, crop, changed)
        decoded, palette, dpi = _decoded(path)
        assert (decoded == pixels[crop[1] : crop[3], crop[0] : crop[2]]).all()
        assert palette == PALETTE and round(dpi[0]) == 120


def test_a_profile_png_holds_the_pixels_pil_would_have_written(tmp_path):
    """The same image through PIL's own writer: the same pixels, and bytes more only by what
    starting each band's deflating anew costs (a profile's PNG: 84 KB against 82 KB)."""
    background = _background(300, 200)
    writer = BandedPng(background.copy(), PALETTE, 120)
    pixels = background.copy()
    pixels[40:60, 10:50] = 250
    ours = tmp_path / "ours.png"
    writer.write(ours, pixels, (0, 0, 200, 300), [(10, 40, 50, 60)])
    image = Image.fromarray(pixels, "P")
    image.putpalette(PALETTE)
    theirs = tmp_path / "theirs.png"
    image.save(theirs, format="png", compress_level=1)
    assert (_decoded(ours)[0] == _decoded(theirs)[0]).all()
    assert ours.stat().st_size < theirs.stat().st_size + 80 * (300 // BAND + 1)
