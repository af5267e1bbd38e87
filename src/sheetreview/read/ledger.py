"""What earlier runs learnt from each file, kept in OUT so a re-run reads only what changed.

Returns trickle in over weeks and the officer re-runs ingest each time: reading 400 unchanged
returns again is wasted work. Two tables: `results` maps a file's content (sha256) and the run's
context (reader version and the frameworks it knows: a new framework file can change what a
return means) to what reading it gave; `paths` maps a path to its last stat fingerprint and
sha256, so an unchanged file is not even opened.

Results are committed in small batches as they arrive: an interrupted run (Ctrl-C, a crash) keeps
everything already recorded. The ledger is a cache: whenever SQLite reports damage (at open, or
later, in a page only a query reaches) it is set aside as ledger.sqlite.damaged and rebuilt; if
even a new one cannot be written (a full disk), the run goes on without it.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path

FILE_NAME = "ledger.sqlite"
SCHEMA = 2
_COMMIT_EVERY = 500
_COMMIT_SECONDS = 1.0

StatKey = tuple[int, int, int, int]  # size, mtime_ns, ctime_ns, inode


def stat_key(st: os.stat_result) -> StatKey:
    """A fingerprint that changes whenever a file is written, replaced or touched."""
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


class Ledger:
    """The SQLite record in OUT; use as a context manager so pending results are committed."""

    def __init__(self, out_dir: Path, context: str) -> None:
        self.path = Path(out_dir) / FILE_NAME
        self.context = context
        self.rebuilt = False
        self.conn = self._connect()
        self._pending = 0
        self._last_commit = time.monotonic()

    def _connect(self) -> sqlite3.Connection | None:
        try:
            return self._open()
        except sqlite3.DatabaseError:
            return self._rebuild()

    def _rebuild(self) -> sqlite3.Connection | None:
        """Not a database we can use (damaged, or another program's): set it aside, start again."""
        old, self.conn = getattr(self, "conn", None), None
        if old is not None:
            with contextlib.suppress(sqlite3.Error):
                old.close()
        self.rebuilt = True
        try:
            for suffix in ("", "-journal"):
                damaged = self.path.with_name(FILE_NAME + suffix)
                if damaged.exists():
                    damaged.replace(self.path.with_name(FILE_NAME + ".damaged" + suffix))
            self.conn = self._open()
        except (OSError, sqlite3.Error):
            self.conn = None  # no cache this run: every file is read
        self._pending = 0
        return self.conn

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=TRUNCATE")
            conn.execute("PRAGMA synchronous=NORMAL")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, SCHEMA):
                conn.executescript("DROP TABLE IF EXISTS results; DROP TABLE IF EXISTS paths;")
            conn.executescript(
                f"""
                CREATE TABLE IF NOT EXISTS results (
                    sha256 TEXT NOT NULL, context TEXT NOT NULL, result BLOB NOT NULL,
                    PRIMARY KEY (sha256, context));
                CREATE TABLE IF NOT EXISTS paths (
                    path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, ctime_ns INTEGER,
                    inode INTEGER, sha256 TEXT NOT NULL);
                PRAGMA user_version = {SCHEMA};
                """
            )
            conn.execute("BEGIN")
        except sqlite3.DatabaseError:
            conn.close()
            raise
        return conn

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def known(self) -> dict[str, tuple[StatKey, str]]:
        """Every path recorded, with its fingerprint and sha256."""
        if self.conn is None:
            return {}
        try:
            rows = self.conn.execute(
                "SELECT path, size, mtime_ns, ctime_ns, inode, sha256 FROM paths"
            ).fetchall()
            return {r[0]: ((r[1], r[2], r[3], r[4]), r[5]) for r in rows}
        except sqlite3.DatabaseError:
            self._rebuild()
            return {}

    def results(self, shas: Iterable[str]) -> dict[str, bytes]:
        """What reading each of these contents gave in this context, where known."""
        out: dict[str, bytes] = {}
        wanted = list(dict.fromkeys(shas))
        if self.conn is None:
            return out
        try:
            for i in range(0, len(wanted), 500):
                chunk = wanted[i : i + 500]
                marks = ",".join("?" * len(chunk))
                query = (
                    f"SELECT sha256, result FROM results WHERE context = ? AND sha256 IN ({marks})"
                )
                out.update(self.conn.execute(query, [self.context, *chunk]).fetchall())
        except sqlite3.DatabaseError:
            self._rebuild()
            return {}
        return out

    def record_many(self, rows: list[tuple[str, StatKey | None, str, bytes | None]]) -> None:
        """Remember files read now (path, fingerprint, sha256, result); committed in batches
        (and on close). Two statements for the lot rather than two per file."""
        for _ in range(2):
            if self.conn is None:
                return
            try:
                self._record(rows)
                return
            except sqlite3.DatabaseError:
                self._rebuild()

    def _record(self, rows: list[tuple[str, StatKey | None, str, bytes | None]]) -> None:
        self.conn.executemany(
            "INSERT OR REPLACE INTO results VALUES (?, ?, ?)",
            [(sha256, self.context, result) for _, _, sha256, result in rows if result is not None],
        )
        self.conn.executemany(
            "INSERT OR REPLACE INTO paths VALUES (?, ?, ?, ?, ?, ?)",
            [(path, *key, sha256) for path, key, sha256, _ in rows if key is not None],
        )
        self._pending += len(rows)
        now = time.monotonic()
        if self._pending >= _COMMIT_EVERY or now - self._last_commit > _COMMIT_SECONDS:
            self.commit()

    def forget_paths_except(self, present: set[str]) -> None:
        """Drop fingerprints of files no longer in DIR (their results stay: they may return)."""
        gone = [p for p in self.known() if p not in present]
        if self.conn is None:
            return
        try:
            self.conn.executemany("DELETE FROM paths WHERE path = ?", [(p,) for p in gone])
        except sqlite3.DatabaseError:
            self._rebuild()

    def commit(self) -> None:
        if self.conn is None:
            return
        self.conn.execute("COMMIT")
        self.conn.execute("BEGIN")
        self._pending = 0
        self._last_commit = time.monotonic()

    def close(self) -> None:
        if self.conn is None:
            return
        try:
            self.conn.execute("COMMIT")
        except sqlite3.DatabaseError:
            self._rebuild()  # what this run learnt is lost; the next run reads those files again
        finally:
            if self.conn is not None:
                with contextlib.suppress(sqlite3.Error):
                    self.conn.close()
                self._drop_empty_journal()
            self.conn = None

    def _drop_empty_journal(self) -> None:
        """Remove the rollback journal SQLite leaves empty (journal_mode=TRUNCATE spares a
        delete at every commit): closed, the ledger needs none, and an officer should find
        nothing in OUT that no run explains."""
        journal = self.path.with_name(FILE_NAME + "-journal")
        with contextlib.suppress(OSError):
            if journal.stat().st_size == 0:
                journal.unlink()
