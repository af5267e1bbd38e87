"""Regenerate the blank workbooks committed under templates/workbooks/ (`make templates`).

They are committed so that people can look at a workbook without installing anything, and a test
checks that they match what the code writes today. Document times are fixed so that the same code
and framework give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from sheetreview.framework import all_builtin
from sheetreview.workbook import write_workbook

TEMPLATE_TIME = dt.datetime(2024, 1, 1, 0, 0, 0)


def template_dir() -> Path:
    """templates/workbooks/ of the checkout this module is in."""
    return Path(__file__).resolve().parents[1] / "templates" / "workbooks"


def write_templates(out_dir: Path | None = None) -> list[Path]:
    """One blank workbook per built-in framework, named <id>.xlsx."""
    out_dir = out_dir or template_dir()
    return [
        write_workbook(fw, out_dir / f"{fw.id}.xlsx", created=TEMPLATE_TIME) for fw in all_builtin()
    ]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    for path in write_templates(Path(args[0]) if args else None):
        print(f"Wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
