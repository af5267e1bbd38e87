"""Drive real spreadsheet programs (LibreOffice, Gnumeric) to save a workbook as a school would.

Used by the tests, the sample-cohort script and the benchmarks; the product itself never needs
them. Each LibreOffice call gets its own profile directory: two soffice processes sharing one
profile block or fail silently.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from functools import cache
from pathlib import Path

FILTERS = {
    "xlsx": "xlsx:Calc MS Excel 2007 XML",
    "ods": "ods",
    "xls": "xls:MS Excel 97",
    "pdf": "pdf",
}


class OfficeError(RuntimeError):
    pass


def have_libreoffice() -> bool:
    return shutil.which("soffice") is not None


def have_gnumeric() -> bool:
    return shutil.which("ssconvert") is not None


UNO_TYPE = Path(__file__).with_name("uno_type.py")


@cache
def uno_python() -> str | None:
    """A Python that can import LibreOffice's `uno` (Debian's python3-uno), or None.

    It is the system Python, never the project's virtual environment, so the typing script runs
    in a process of its own.
    """
    for candidate in ("/usr/bin/python3", shutil.which("python3")):
        if (
            candidate
            and subprocess.run(
                [candidate, "-c", "import uno"], capture_output=True, timeout=60
            ).returncode
            == 0
        ):
            return candidate
    return None


def libreoffice_type(job: dict, work_dir: Path, timeout: int = 300) -> list[dict]:
    """Type into a workbook in LibreOffice, step by step: see uno_type.py for `job` and results."""
    python = uno_python()
    if python is None:
        raise OfficeError("no Python with LibreOffice's uno module (install python3-uno)")
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    job_file = work_dir / "uno-job.json"
    job_file.write_text(json.dumps(job), encoding="utf-8")
    proc = subprocess.run(
        [python, str(UNO_TYPE), str(job_file)], capture_output=True, text=True, timeout=timeout
    )
    if proc.returncode != 0:
        raise OfficeError(f"typing in LibreOffice failed: {proc.stderr.strip()[-1500:]}")
    return json.loads(proc.stdout)


def libreoffice_convert(src: Path, out_dir: Path, to: str, timeout: int = 180) -> Path:
    """Open `src` in LibreOffice and save it in format `to` (xlsx, ods, xls, pdf) into out_dir."""
    return libreoffice_convert_many([src], out_dir, to, timeout)[0]


def gnumeric_convert(src: Path, target: Path, timeout: int = 120, recalc: bool = False) -> Path:
    """Open `src` in Gnumeric and save it as `target` (format from its extension).

    `recalc` makes Gnumeric work out every formula itself before saving, as it does on screen.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        ["ssconvert", *(["--recalc"] if recalc else []), str(src), str(target)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if proc.returncode != 0 or not target.exists():
        raise OfficeError(f"Gnumeric could not convert {src}: {proc.stderr.strip()}")
    return target


def libreoffice_convert_many(
    srcs: list[Path], out_dir: Path, to: str, timeout: int = 600
) -> list[Path]:
    """Convert several files in one LibreOffice start-up (start-up is most of a conversion's 2 s)."""
    srcs = [Path(s) for s in srcs]
    if not srcs:
        return []
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        cmd = [
            "soffice",
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--norestore",
            "--convert-to",
            FILTERS.get(to, to),
            "--outdir",
            str(out_dir),
            *map(str, srcs),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    targets = [out_dir / (s.stem + "." + to) for s in srcs]
    missing = [t for t in targets if not t.exists()]
    if proc.returncode != 0 or missing:
        raise OfficeError(
            f"LibreOffice could not convert {len(missing)} file(s) to {to}: {proc.stderr.strip()[:500]}"
        )
    return targets
