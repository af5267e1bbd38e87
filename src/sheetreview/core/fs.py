"""Files that are whole or absent, with names every desktop accepts.

A reader (a person, Excel, the next command) must never see half a file, and a run that is killed
must leave nothing it cannot clean up. Every output goes through `write_atomic`: written beside
its target under a recognisable temporary name, then renamed over it in one step.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import unicodedata
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path, PureWindowsPath

from sheetreview.errors import OutputError

TEMP_MARK = ".sheetreview-tmp-"
MAX_NAME = 200  # well inside Windows' 255 per name, leaving room for a folder path
WINDOWS_RESERVED = frozenset(
    {"con", "prn", "aux", "nul"} | {f"{p}{i}" for p in ("com", "lpt") for i in range(10)}
)


class OutputLocked(OutputError):
    """The target exists but cannot be replaced: on Windows, usually open in Excel."""


def temp_path(path: Path) -> Path:
    """A unique name beside `path` that keeps its suffix (matplotlib picks the format by it)."""
    stem = path.name[:60]
    return path.with_name(f".{stem}{TEMP_MARK}{os.getpid()}-{uuid.uuid4().hex[:10]}{path.suffix}")


def temp_dir(beside: Path) -> Path:
    """A new empty folder beside `beside`, to fill and then swap in; it gets the permissions the
    umask gives any new folder (mkdtemp's are owner-only)."""
    path = temp_path(Path(beside))
    path.mkdir(mode=0o777)
    return path


def is_temp(path: Path) -> bool:
    return TEMP_MARK in path.name


def write_atomic(path: Path, write: Callable[[Path], object]) -> Path:
    """Call `write(tmp)` to make the file under a temporary name, then put it in place.

    The writer creates the temporary file itself, so it gets the permissions the user's umask
    gives any new file (a private mkstemp file would leave outputs unreadable to colleagues, or
    a forced 0644 would expose evidence that a umask of 077 meant to keep private).
    """
    path = Path(path)
    make_dir(path.parent)
    tmp = temp_path(path)
    try:
        write(tmp)
        replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_bytes(path: Path, *parts: Iterable[bytes]) -> Path:
    """Stream byte chunks into `path` atomically (10,000 returns make 150 MB of responses)."""

    def write(tmp: Path) -> None:
        with open(tmp, "xb", buffering=1 << 20) as fh:
            for part in parts:
                fh.writelines(part)

    return write_atomic(path, write)


def write_text(path: Path, text: str) -> Path:
    return write_bytes(path, [text.encode("utf-8")])


def replace(tmp: Path, path: Path) -> None:
    """os.replace, with the message a user can act on when the target is held open."""
    try:
        os.replace(tmp, path)
    except PermissionError as exc:
        raise OutputLocked(
            f"{path}: could not be replaced ({exc.strerror or 'permission denied'}); "
            "if it is open in Excel or another program, close it and run again"
        ) from None
    except OSError as exc:
        raise OutputError(f"{path}: could not be written ({exc.strerror or exc})") from None


def make_dir(folder: Path) -> Path:
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{folder}: is a file; give a folder to write into")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"{folder}: cannot create this folder ({exc.strerror or exc}); "
            "choose another folder or fix its permissions"
        ) from None
    return folder


def umask() -> int:
    """The process umask, read without changing it where the system allows."""
    if sys.platform.startswith("linux"):
        try:
            for line in Path("/proc/self/status").read_text().splitlines():
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
        except (OSError, ValueError, IndexError):
            pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def safe_name(
    text: str, limit: int = 60, *, lower: bool = False, keep: str = "._", fallback: str = "file"
) -> str:
    """A file-name part valid on Windows, macOS and Linux: ASCII letters, digits, '-' and `keep`.

    Names come from returns and school lists, so nothing in them is trusted: accents are folded
    ("Zoë" -> "Zoe"), apostrophes dropped ("St Anne's" -> "St-Annes"), everything else becomes
    '-', and Windows' reserved device names (CON, NUL.txt, ...) get a suffix.
    """
    text = re.sub(r"['\u2019]", "", str(text))
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    if lower:
        plain = plain.lower()
    strip = "-" + keep
    plain = re.sub(rf"[^A-Za-z0-9{re.escape(keep)}]+", "-", plain).strip(strip)
    plain = plain[:limit].rstrip(strip)
    base, dot, rest = plain.partition(".")
    if base.casefold() in WINDOWS_RESERVED:
        plain = f"{base}-file{dot}{rest}"
    return plain or fallback


def unique_names(stems: Iterable[str], suffix: str = "") -> list[str]:
    """`stem + suffix` for each stem, numbered where two would clash on a case-blind disk."""
    used: set[str] = set()
    names = []
    for stem in stems:
        stem = stem[: MAX_NAME - len(suffix) - 6]
        candidate, n = stem, 2
        while candidate.casefold() in used:
            candidate, n = f"{stem}-{n}", n + 1
        used.add(candidate.casefold())
        names.append(candidate + suffix)
    return names


def prune_stale(folder: Path, manifest: str, written: Iterable[Path]) -> int:
    """Delete what the last run wrote into `folder` and this one did not, then record this run.

    A letter to a school that has since fixed its return, or a pack of a school no longer in the
    cohort, must not sit beside the current ones waiting to be sent. The manifest lies in a
    folder others can write to, so nothing in it is trusted: a file is deleted only when it is a
    plain file that really lies inside `folder` (a manifest edited to name `/etc/passwd`, `../x`
    or a link out of the folder removes nothing) and its bytes are still those this tool wrote
    (their SHA-256 is recorded beside each name; a file the officer put there is never named so).
    """
    folder = Path(folder)
    record = folder / manifest
    now = {Path(p).relative_to(folder).as_posix(): _sha256(Path(p)) for p in written}
    before = _read_manifest(record)
    home = folder.resolve()
    removed = 0
    for rel, digest in sorted(before.items()):
        target = folder / rel
        if rel in now or not _inside(home, rel, target) or _sha256(target) != digest:
            continue
        target.unlink()
        removed += 1
    write_text(record, "".join(f"{digest}  {rel}\n" for rel, digest in sorted(now.items())))
    return removed


def _read_manifest(record: Path) -> dict[str, str]:
    """{relative path: sha256} of the last run; a line in any other form is ignored."""
    try:
        text = record.read_text(encoding="utf-8") if record.is_file() else ""
    except (OSError, UnicodeDecodeError):
        return {}
    found = {}
    for line in text.splitlines():
        digest, sep, rel = line.partition("  ")
        if sep and re.fullmatch(r"[0-9a-f]{64}", digest) and "\x00" not in rel:
            found[rel] = digest
    return found


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
    except OSError:
        return ""
    return digest.hexdigest()


def _inside(home: Path, rel: str, target: Path) -> bool:
    if not rel or Path(rel).is_absolute() or PureWindowsPath(rel).drive or ".." in Path(rel).parts:
        return False
    if target.is_symlink() or not target.is_file():
        return False
    return target.resolve().parent.is_relative_to(home)
