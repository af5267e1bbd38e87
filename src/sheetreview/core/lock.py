"""One writer at a time in an output folder, and no orphans when a run is killed.

Two runs writing one OUT (two ingests, or an ingest during a report) would interleave their
files and leave a mixture that no run wrote. Every command that writes OUT holds `OutLock`
while it works. The lock is the operating system's (fcntl on POSIX, msvcrt on Windows) on a
small file in OUT, so it is released the instant its holder dies, however it dies: a lock left
by a killed run is simply taken over. On a file system without such locks, the file's own
record (process id, host, start time) decides whether its holder still runs.

Workers of a process pool must not outlive the run that started them (`watch_parent`), and
what a killed run left half-written is removed by the next run that holds the lock
(`remove_leftovers`).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import shutil
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

from sheetreview.core.fs import is_temp
from sheetreview.errors import OutputError

LOCK_NAME = ".sheetreview-lock"
# Names of what a run writes aside before it is published, in OUT and the folders it writes.
TEMP_PREFIXES = (".sheetreview-new-", ".sheetreview-old-", ".charts-new-", ".charts-old")
TEMP_SUFFIXES = (".tmp",)
_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation in the record
_LOCK_BYTE = 1 << 30  # the byte locked on Windows: far past the record, which stays readable
_RECORD_WAITS = 100  # times 10 ms: how long a new holder may take to write its record


class OutLock:
    """Exclusive right to write `folder`; a context manager. `command` names the holder."""

    def __init__(self, folder: Path, command: str) -> None:
        self.folder = Path(folder)
        self.path = self.folder / LOCK_NAME
        self.command = command
        self._fd: int | None = None
        self._fallback = False

    def __enter__(self) -> OutLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def acquire(self) -> None:
        for _ in range(10):
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | _BINARY, 0o666)
            except OSError as exc:
                raise OutputError(_unwritable(self.folder, exc)) from None
            try:
                locked = _os_lock(fd)
            except OSError:
                locked = None  # no OS locks here (some network shares): fall back to the record
            if locked is None:
                os.close(fd)
                self._acquire_by_record()
                return
            if not locked:
                holder = _holder(fd, self.path)
                os.close(fd)
                if holder is None:
                    continue  # its holder finished and removed it as we opened it: try again
                raise OutputError(_busy(self.folder, holder))
            if _same_file(fd, self.path):
                self._fd = fd
                _HELD.add(self)  # until released, even if its holder drops it
                _write_record(fd, self.command)
                return
            # The holder removed the file as we opened it: lock the one now in its place.
            _os_unlock(fd)
            os.close(fd)
        raise OutputError(_busy(self.folder, _read_record(self.path)))

    def _acquire_by_record(self) -> None:
        """Without OS locks: the record file is created exclusively, and taken over when the
        process it names is gone."""
        for _ in range(2):
            try:
                flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | _BINARY
                fd = os.open(self.path.with_suffix(".pid"), flags)
            except FileExistsError:
                holder = _read_record(self.path.with_suffix(".pid"))
                if holder and _alive(holder):
                    raise OutputError(_busy(self.folder, holder)) from None
                self.path.with_suffix(".pid").unlink(missing_ok=True)
                continue
            except OSError as exc:
                raise OutputError(_unwritable(self.folder, exc)) from None
            _write_record(fd, self.command)
            os.close(fd)
            self._fallback = True
            return
        raise OutputError(_busy(self.folder, _read_record(self.path.with_suffix(".pid"))))

    def release(self) -> None:
        if self._fallback:
            self.path.with_suffix(".pid").unlink(missing_ok=True)
            self._fallback = False
        if self._fd is not None:
            # Removed while still locked, so a run that opened it meanwhile sees a stale file
            # (see _same_file); Windows refuses to remove an open file: it stays, empty.
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            with contextlib.suppress(OSError):
                os.unlink(self.path)
            _os_unlock(self._fd)
            os.close(self._fd)
            self._fd = None
        _HELD.discard(self)


# Locks this process holds. A process forked from it (a pool's worker) gets a copy of each lock's
# descriptor, and a POSIX lock lives until every copy is closed: a worker outliving a killed run
# would keep OUT locked. The copies are closed in the child at once; the parent's lock stands.
_HELD: set[OutLock] = set()


def _forget_held_locks() -> None:
    for lock in list(_HELD):
        if lock._fd is not None:
            with contextlib.suppress(OSError):
                os.close(lock._fd)  # never unlock: that would release the parent's lock too
            lock._fd = None
    _HELD.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_held_locks)


def _holder(fd: int, path: Path) -> dict[str, Any] | None:
    """The record of the run holding the lock on `fd`, or None once that run has finished.

    A holder writes its record just after taking the lock and empties it just before
    letting go, so an empty record is a moment to wait through, not an anonymous holder.
    """
    record: dict[str, Any] = {}
    for _ in range(_RECORD_WAITS):
        if not _same_file(fd, path):
            return None
        record = _read_record(path)
        if record:
            return record
        time.sleep(0.01)
    return record


def _same_file(fd: int, path: Path) -> bool:
    if sys.platform == "win32":
        return True  # an open file cannot be removed there
    try:
        mine, now = os.fstat(fd), os.stat(path)
    except OSError:
        return False
    return (mine.st_dev, mine.st_ino) == (now.st_dev, now.st_ino)


def _os_lock(fd: int) -> bool | None:
    """True when locked, False when another process holds it, None when there is no OS lock."""
    if sys.platform == "win32":
        import msvcrt

        os.lseek(fd, _LOCK_BYTE, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except PermissionError:
            return False
        except OSError as exc:
            if exc.errno in (13, 36):  # EACCES, EDEADLOCK: held by another process
                return False
            raise
        finally:
            os.lseek(fd, 0, os.SEEK_SET)
        return True
    try:
        import fcntl
    except ImportError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _os_unlock(fd: int) -> None:
    try:
        if sys.platform == "win32":
            import msvcrt

            os.lseek(fd, _LOCK_BYTE, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_UN)
    except OSError:
        pass  # closing the file releases it anyway


def _write_record(fd: int, command: str) -> None:
    record = {
        "command": command,
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
    }
    data = (json.dumps(record) + "\n").encode("utf-8")
    try:
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, data)
    except OSError:
        pass  # the record only helps the message of a second run


def _read_record(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            record = json.loads(fh.read(4096).decode("utf-8"))
        return record if isinstance(record, dict) else {}
    except (OSError, ValueError):
        return {}


def _alive(record: dict[str, Any]) -> bool:
    """Whether the process a record names still runs (another host's: assume it does)."""
    pid = record.get("pid")
    if not isinstance(pid, int) or record.get("host") != socket.gethostname():
        return isinstance(pid, int)
    if sys.platform == "win32":
        import ctypes

        handle = ctypes.windll.kernel32.OpenProcess(0x1000, False, pid)  # query limited info
        if not handle:
            return False
        code = ctypes.c_ulong()
        ctypes.windll.kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        ctypes.windll.kernel32.CloseHandle(handle)
        return code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _busy(folder: Path, holder: dict[str, Any]) -> str:
    who = f"'sheetreview {holder['command']}'" if holder.get("command") else "another sheetreview"
    detail = ", ".join(
        part
        for part in (
            f"process {holder['pid']}" if holder.get("pid") else "",
            f"on {holder['host']}" if holder.get("host") else "",
            f"started {holder['started']}" if holder.get("started") else "",
        )
        if part
    )
    detail = f" ({detail})" if detail else ""
    return f"{folder} is in use by {who}{detail}; wait for it to finish, then run this again"


def _unwritable(folder: Path, exc: OSError) -> str:
    reason = exc.strerror or type(exc).__name__
    return (
        f"{folder}: cannot write there ({reason}); make the folder writable, "
        "or choose another output folder"
    )


def remove_leftovers(folder: Path) -> int:
    """Remove what a killed run left half-written in `folder` (only names this tool uses for
    work in progress); call it holding the folder's lock, so no running writer owns them."""
    removed = 0
    try:
        names = os.listdir(folder)
    except OSError:
        return 0
    for name in names:
        if not (name.startswith(TEMP_PREFIXES) or _our_temp_file(name)):
            continue
        path = os.path.join(folder, name)
        try:
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            else:
                os.unlink(path)
            removed += 1
        except OSError:
            pass  # the next run tries again
    return removed


def _our_temp_file(name: str) -> bool:
    return (name.startswith(".sheetreview-") and name.endswith(TEMP_SUFFIXES)) or is_temp(
        Path(name)
    )


# --- worker processes -------------------------------------------------------------------------


def watch_parent(interval: float = 0.5) -> None:
    """In a worker process: exit as soon as the process that started it is gone.

    A pool's workers wait for work on a pipe their parent writes; when the parent is killed
    (kill -9, a closed terminal) nobody closes that pipe and they would wait for ever. A daemon
    thread watches the parent's sentinel (a handle on Windows, a pipe elsewhere) and the parent
    process id, and ends the worker when either says the parent has gone.
    """
    import multiprocessing
    from multiprocessing.connection import wait

    parent = multiprocessing.parent_process()
    sentinel = getattr(parent, "sentinel", None) if parent is not None else None
    first_ppid = os.getppid()

    def watch() -> None:
        while True:
            if sentinel is not None:
                try:
                    if wait([sentinel], timeout=interval):
                        break
                except OSError:
                    break
            else:
                time.sleep(interval)
            if sys.platform != "win32" and os.getppid() != first_ppid:
                break
        os._exit(1)

    threading.Thread(target=watch, name="sheetreview-parent-watch", daemon=True).start()
