"""Publish a run's outputs as one unit: after a kill at any instant, OUT holds either the
previous run's outputs or this run's, never a mixture.

A run writes every output into a staging folder inside OUT. To publish, it writes a journal
(one small file, replaced atomically) naming what moves in, then moves each output into place
and removes the journal. A run killed after the journal was written is finished by the next
command that takes the folder's lock (`recover`): the journal says exactly what is left to
move, and moving is idempotent. Killed before it, the staging folder is discarded and the old
outputs were never touched.

Each move is a rename within one folder, which every supported system does atomically for a
file; a folder (charts/) is swapped by two renames, both recorded in the journal.

`run.json` is the ingest's record of its outputs and their sizes: readers call `check_ingest`
so a file cut short, deleted or left by another program is refused with what to do.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from sheetreview.core import fs
from sheetreview.core.lock import OutLock, remove_leftovers
from sheetreview.errors import OutputError

JOURNAL = ".sheetreview-publish.json"
RUN_RECORD = "run.json"


class Staging:
    """A folder inside `out` where a run writes its outputs before `publish`."""

    def __init__(self, out: Path) -> None:
        self.out = Path(out)
        self.kept = False
        try:
            self.dir = Path(tempfile.mkdtemp(prefix=".sheetreview-new-", dir=self.out))
            os.chmod(self.dir, 0o777 & ~fs.umask())  # mkdtemp's folder is private
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise OutputError(
                f"{self.out}: cannot write the outputs there ({reason}); make the folder "
                "writable, or choose another output folder"
            ) from None

    def path(self, name: str) -> Path:
        return self.dir / name

    def publish(self, names: Iterable[str], remove: Iterable[str] = ()) -> None:
        """Move `names` (written in the staging folder) into OUT together; then delete
        `remove` (outputs of an earlier run that this one no longer makes)."""
        names = [n for n in dict.fromkeys(names) if os.path.lexists(self.dir / n)]
        journal = {
            "staging": self.dir.name,
            "trash": ".sheetreview-old-" + self.dir.name[len(".sheetreview-new-") :],
            "names": names,
            "remove": [n for n in dict.fromkeys(remove) if n not in names],
        }
        kill_point("staged")
        _write_journal(self.out, journal)
        kill_point("published-journal")
        try:
            recover(self.out)
        except fs.OutputLocked:
            self.kept = True  # the journal names what is still here, for the next run
            raise

    def discard(self) -> None:
        if not self.kept:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *exc: object) -> None:
        self.discard()


def _write_journal(out: Path, journal: dict[str, Any]) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".sheetreview-journal-", suffix=".tmp", dir=out)
    try:
        with open(fd, "w", encoding="utf-8") as fh:
            json.dump(journal, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, out / JOURNAL)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def recover(out: Path) -> None:
    """Finish a publication a killed run began, and remove what killed runs left half-written.

    Call it holding the folder's lock, before reading or writing anything else in it.
    """
    out = Path(out)
    journal_path = out / JOURNAL
    journal = _read_journal(journal_path)
    if journal is not None:
        _apply(out, journal)
    journal_path.unlink(missing_ok=True)
    remove_leftovers(out)


def _read_journal(path: Path) -> dict[str, Any] | None:
    try:
        journal = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return None  # not ours to act on: dropped, and the staging folder with it
    ok = (
        isinstance(journal, dict)
        and all(isinstance(journal.get(k), str) for k in ("staging", "trash"))
        and all(isinstance(journal.get(k), list) for k in ("names", "remove"))
    )
    return journal if ok else None


def _plain(name: object) -> bool:
    """A name directly inside OUT: a journal never moves anything elsewhere."""
    return (
        isinstance(name, str)
        and name not in ("", ".", "..")
        and "/" not in name
        and "\\" not in name
        and ":" not in name
    )


def _apply(out: Path, journal: dict[str, Any]) -> None:
    staging, trash = journal["staging"], journal["trash"]
    if not (_plain(staging) and _plain(trash)):
        return
    locked = []
    for name in journal["names"]:
        if not _plain(name):
            continue
        src, dst = out / staging / name, out / name
        if not os.path.lexists(src):
            continue  # moved before the kill
        try:
            if src.is_dir() and os.path.lexists(dst):
                (out / trash).mkdir(exist_ok=True)
                os.replace(dst, out / trash / name)
                kill_point("moved-aside")
            os.replace(src, dst)
            kill_point("moved")
        except OSError as exc:
            # Held open (Excel on Windows): every other output still goes into place, and the
            # journal stays so that the next command, once the file is closed, finishes it.
            locked.append(_cannot_replace(dst, exc))
    if locked:
        raise fs.OutputLocked("\n".join(locked))
    for name in journal["remove"]:
        if not _plain(name) or not os.path.lexists(out / name):
            continue
        try:
            if (out / name).is_dir() and not (out / name).is_symlink():
                (out / trash).mkdir(exist_ok=True)
                os.replace(out / name, out / trash / name)
            else:
                os.unlink(out / name)
        except OSError as exc:
            raise OutputError(_cannot_replace(out / name, exc)) from None
    (out / JOURNAL).unlink(missing_ok=True)
    shutil.rmtree(out / staging, ignore_errors=True)
    shutil.rmtree(out / trash, ignore_errors=True)


def _cannot_replace(path: Path, exc: OSError) -> str:
    reason = exc.strerror or type(exc).__name__
    return (
        f"{path}: cannot replace it ({reason}); if it is open in Excel or another program, "
        "close it and run again"
    )


def kill_point(point: str) -> None:
    """A test kills the run here (SHEETREVIEW_TEST_KILL_AT=<point>) to prove a kill at that
    instant leaves a whole OUT; unset, it costs one dictionary look-up."""
    if os.environ.get("SHEETREVIEW_TEST_KILL_AT") == point:
        os._exit(137)


# --- the ingest's record ----------------------------------------------------------------------


def file_sizes(folder: Path, names: Iterable[str]) -> dict[str, int]:
    return {n: (folder / n).stat().st_size for n in names if (folder / n).is_file()}


def check_ingest(out: Path, needed: Iterable[str]) -> dict[str, Any]:
    """run.json, after checking that the ingest outputs it lists are there as it wrote them.

    Refuses (OutputError, saying what to do) an OUT whose files were cut short, removed or
    replaced since ingest published them: reading them would report on a mixture.
    """
    out = Path(out)
    again = f"run 'sheetreview ingest DIR -o {out}' again"
    path = out / RUN_RECORD
    if not path.is_file():
        # Made by hand or by an early version: nothing to check against; each reader says
        # what it misses.
        return {}
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(record, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as exc:
        raise OutputError(f"{path} is damaged ({exc}); {again}") from None
    sizes = record.get("outputs")
    if not isinstance(sizes, dict):
        return record  # written by an earlier version: nothing to check against
    for name in needed:
        expected = sizes.get(name)
        if expected is None:
            continue
        try:
            size = (out / name).stat().st_size
        except OSError:
            raise OutputError(f"{out / name} is missing; {again}") from None
        if size != expected:
            raise OutputError(
                f"{out / name} is not the file ingest wrote ({size} bytes, not {expected}): it "
                f"was cut short or changed since; {again}"
            )
    return record


INGEST_OUTPUTS = ("responses.csv", "files.csv", "problems.csv")


@contextlib.contextmanager
def reading_out(out: Path, command: str, writes: Iterable[Path] = ()) -> Iterator[dict[str, Any]]:
    """For a command that reads an ingest OUT and writes into it: hold OUT's lock, finish what
    a killed run began, and refuse an OUT that is not one whole ingest; yields run.json.

    `writes` are the folders the command writes; those inside OUT (covered by its lock) are
    cleared of what a killed run left half-written there.
    """
    out = Path(out)
    if not out.is_dir():
        raise OutputError(f"{out} is not a folder; give the OUT folder ingest wrote")
    with OutLock(out, command):
        recover(out)
        home = os.path.realpath(out)
        for folder in writes:
            real = os.path.realpath(folder)
            if real != home and os.path.commonpath([home, real]) == home:
                remove_leftovers(Path(folder))
        yield check_ingest(out, INGEST_OUTPUTS)
