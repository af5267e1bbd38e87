"""What a reader sees of text from a return, and the fonts it is drawn in.

Names and labels come from schools' workbooks: a byte-order mark pasted into a school name, a
zero-width space or a bidi override must not reach a chart or a pack (they crashed the packs, and
an override can make one school's name read as another's). `shown()` cleans text for display
only; responses.csv and the other tables keep what the school typed.

Schools write in many scripts (Welsh, Polish, Arabic, Urdu, Bengali, Chinese...), so charts and
packs draw with a stack of fonts: DejaVu Sans first (matplotlib ships it, so it is on every
machine), then the Noto fonts that `make` installs on Debian, then the fonts Windows and macOS
ship for the same scripts. Only the families this machine has are named, so no font lookup
warns about a family that is absent.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import tempfile
import unicodedata
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

# Invisible characters a reader must not get: BOM/zero-width no-break space, zero-width space,
# word joiner, bidi embeddings, overrides and isolates. ZWJ and ZWNJ stay: Urdu, Persian and
# emoji sequences need them.
_INVISIBLE = re.compile("[\ufeff\u200b\u2060\u202a-\u202e\u2066-\u2069\u206a-\u206f]")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"[ \t]+")

PRIMARY = "DejaVu Sans"
FALLBACKS = (
    "Noto Sans",
    "Noto Sans Arabic",
    "Noto Naskh Arabic",
    "Noto Nastaliq Urdu",
    "Noto Sans Bengali",
    "Noto Sans Devanagari",
    "Noto Sans Gurmukhi",
    "Noto Sans Gujarati",
    "Noto Sans Tamil",
    "Noto Sans Hebrew",
    "Noto Sans Thai",
    "Noto Sans CJK SC",
    "Noto Sans CJK TC",
    "Noto Sans CJK JP",
    "Noto Sans CJK KR",
    "Droid Sans Fallback",
    "Noto Color Emoji",
    "Noto Emoji",
    "Noto Sans Symbols",
    "Noto Sans Symbols2",
    # Windows and macOS
    "Segoe UI",
    "Nirmala UI",
    "Microsoft YaHei",
    "Malgun Gothic",
    "Yu Gothic",
    "Segoe UI Emoji",
    "Segoe UI Symbol",
    "Arial Unicode MS",
    "PingFang SC",
    "Apple Color Emoji",
)


def shown(text: object) -> str:
    """`text` as a reader should see it: invisible and control characters out, one line's
    spaces collapsed, nothing else changed (letters, digits and punctuation stay as typed)."""
    value = "" if text is None else str(text)
    if value.isascii() and value.isprintable():
        return value
    value = unicodedata.normalize("NFC", value)
    value = _INVISIBLE.sub("", value)
    value = _CONTROL.sub(" ", value.replace("\r\n", "\n").replace("\r", "\n"))
    return "\n".join(_SPACES.sub(" ", line).strip() for line in value.split("\n")).strip()


def shown_line(text: object) -> str:
    """`shown()` on one line: line breaks become spaces (names, titles, labels)."""
    return " ".join(shown(text).split("\n"))


@cache
def matplotlib_families() -> list[str]:
    """The font stack for matplotlib: DejaVu Sans, then each fallback this machine has."""
    from matplotlib import font_manager

    have = {f.name for f in font_manager.fontManager.ttflist}
    return [PRIMARY, *(name for name in FALLBACKS if name in have)]


@cache
def _charmap(family: str) -> frozenset[int]:
    """The characters a family draws (its regular face's character map)."""
    from matplotlib import font_manager, ft2font

    try:
        path = font_manager.findfont(
            font_manager.FontProperties(family=family), fallback_to_default=False
        )
        return frozenset(ft2font.FT2Font(path).get_charmap())
    except (OSError, RuntimeError, ValueError):  # a font FreeType cannot open draws nothing
        return frozenset()


def families_for(texts: Iterable[Iterable[str]]) -> list[str]:
    """The font stack a chart of these texts needs: DejaVu Sans, then only the fallbacks that
    draw a character DejaVu Sans lacks, in the stack's order.

    matplotlib looks up every family of the stack for each piece of text it lays out: with the
    whole stack of twenty fonts, that lookup was most of the time a chart took. A character
    still comes from the same font as with the whole stack (the first that has it).
    """
    wanted = {ord(ch) for group in texts for text in group for ch in str(text) if ch.isprintable()}
    missing = wanted - _charmap(PRIMARY)
    stack = [PRIMARY]
    for name in matplotlib_families()[1:]:
        if not missing:
            break
        drawn = missing & _charmap(name)
        if drawn:
            stack.append(name)
            missing -= drawn
    return stack


@contextmanager
def quiet_glyphs() -> Iterator[None]:
    """No "Glyph ... missing from font(s)" warnings: a missing glyph is drawn as a box, and a
    report of thousands of charts must not print one line per character it met."""
    quiet = _QuietFontFallback()
    fonts = logging.getLogger("matplotlib.font_manager")
    fonts.addFilter(quiet)  # only while drawing: importing must not change a caller's logging
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r".*[Gg]lyph .* missing from")
            warnings.filterwarnings("ignore", message=r".*missing from font")
            yield
    finally:
        fonts.removeFilter(quiet)


def matplotlib_font_dir() -> Path:
    """The folder of fonts matplotlib ships (DejaVu Sans among them), present on every OS."""
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


@cache
def typst_font_paths() -> list[str]:
    """Folders typst reads fonts from: matplotlib's own, and one holding only the fallbacks.

    typst reads the metadata of every font in the folders it is given; the system's folders
    hold hundreds of fonts (a CJK collection alone takes a second), once per worker process.
    A folder of links to just the fallback families' files takes a fraction of that. Where links
    cannot be made (Windows without the right), the fallbacks' own folders are given instead.
    """
    from matplotlib import font_manager

    wanted = set(FALLBACKS)
    files = sorted(
        {
            f.fname
            for f in font_manager.fontManager.ttflist
            if f.name in wanted and f.name != PRIMARY
        }
    )
    paths = [str(matplotlib_font_dir())]
    if not files:
        return paths
    digest = hashlib.sha256("\n".join(files).encode("utf-8")).hexdigest()[:16]
    folder = Path(tempfile.gettempdir()) / f"sheetreview-fonts-{digest}"
    if not folder.is_dir():
        try:
            staging = Path(tempfile.mkdtemp(prefix=".sheetreview-fonts-", dir=folder.parent))
            for i, name in enumerate(files):
                (staging / f"{i:03d}-{Path(name).name}").symlink_to(name)
            os.replace(staging, folder)
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
            if not folder.is_dir():
                return paths + sorted({str(Path(name).parent) for name in files})
    return [*paths, str(folder)]


class _QuietFontFallback(logging.Filter):
    """A fallback font without a bold face is drawn regular: matplotlib says so once per font
    and size, which is noise to a user (the text is still drawn)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("findfont: Failed to find font weight")
