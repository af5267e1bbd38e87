"""Exceptions for runs that cannot go on.

Problems found in a school's return are not exceptions: they are records (see problems.py). These
classes are for the user's own mistakes in what they asked for (a bad framework file, a bad schools
list, an empty output folder), which the CLI prints as one line and exit 1.
"""

from __future__ import annotations


class SheetreviewError(Exception):
    """A user error: the message says what is wrong and how to fix it."""


class FrameworkError(SheetreviewError):
    def __init__(self, name: str, line: int | None, place: str, message: str) -> None:
        self.name = name
        self.line = line
        self.place = place
        self.message = message
        self.others: list[FrameworkError] = []
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.name or "framework"
        if self.line:
            where += f", line {self.line}"
        if self.place:
            where += f" ({self.place})"
        more = f" [and {len(self.others)} more problem(s)]" if self.others else ""
        return f"{where}: {self.message}{more}"


class SchoolsFileError(SheetreviewError):
    """The list of schools given to `generate --schools` cannot be used."""


class OutputError(SheetreviewError):
    """An output folder is missing what a command needs (e.g. report before ingest)."""
