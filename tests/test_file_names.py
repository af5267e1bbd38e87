"""Every file name the tool writes is valid on Windows and unique when case is ignored, whatever
the school names (they come from lists and returns, so nothing in them is trusted)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from conftest import make_return

from sheetreview.feedback.letters import write_feedback
from sheetreview.framework import builtin
from sheetreview.generate import generate_workbooks
from sheetreview.packs.build import write_packs
from sheetreview.read.ingest import ingest
from sheetreview.report.build import build_report

RESERVED = {"con", "prn", "aux", "nul"} | {f"{p}{i}" for p in ("com", "lpt") for i in range(10)}
FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f]')

HOSTILE = [
    ("100001", "CON"),
    ("100002", "nul."),
    ("100003", 'a<b>c:d"e/f\\g|h?i*j'),
    ("100004", " Trailing dots and spaces... "),
    ("100005", "É" * 250),
    ("100006", "Ecole Saint-Jean"),
    ("100007", "ÉCOLE SAINT-JEAN"),
    ("100008", "LPT1"),
]
NO_URN = ["St. Anne's", "St Annes", "AUX"]


def windows_problems(name: str) -> list[str]:
    """What Windows would refuse in one file or folder name."""
    found = []
    if FORBIDDEN.search(name):
        found.append("a character Windows forbids")
    if name.endswith((".", " ")):
        found.append("a trailing dot or space")
    if name.split(".")[0].strip().casefold() in RESERVED:
        found.append("a reserved device name")
    if len(name) > 200:
        found.append("more than 200 characters")
    if not name:
        found.append("an empty name")
    return found


def check_tree(root: Path) -> None:
    """Every name under root is valid, and no two in a folder differ only by case."""
    bad = {}
    for path in root.rglob("*"):
        problems = windows_problems(path.name)
        if problems:
            bad[str(path.relative_to(root))] = problems
    assert bad == {}
    for folder in [root, *[p for p in root.rglob("*") if p.is_dir()]]:
        counts = Counter(p.name.casefold() for p in folder.iterdir())
        assert [n for n, c in counts.items() if c > 1] == [], folder


def test_workbook_names_for_hostile_school_names(tmp_path: Path) -> None:
    listed = tmp_path / "schools.csv"
    listed.write_text(
        "urn,name\n" + "".join(f'{u},"{n.replace(chr(34), chr(34) * 2)}"\n' for u, n in HOSTILE),
        encoding="utf-8",
    )
    paths = generate_workbooks(builtin("becta-srf"), tmp_path / "out", schools_file=listed)
    assert len(paths) == len(HOSTILE)
    check_tree(tmp_path / "out")


@pytest.mark.filterwarnings("ignore")
def test_every_output_name_for_hostile_school_names(tmp_path: Path) -> None:
    returns = tmp_path / "returns"
    fw = builtin("edtech-srf")
    mistyped = {fw.aspects[0].code: "Levle 3"}  # something to fix: letters and marked-up copies
    for urn, name in HOSTILE[:3]:
        make_return(returns / f"{urn}.xlsx", urn=urn, name=name, levels=mistyped)
    for i, name in enumerate(NO_URN[:2]):
        make_return(returns / f"no-urn-{i}.xlsx", urn="", name=name, levels=mistyped)
    out = tmp_path / "out"
    ingest(returns, out)
    build_report(out, jobs=1)
    write_feedback(out, out / "feedback", annotate=True)
    write_packs(out, out / "packs", jobs=1)
    assert len(list((out / "charts" / "schools").rglob("*.png"))) == 5
    assert len(list((out / "packs").rglob("*.pdf"))) == 5
    assert len(list((out / "feedback").glob("*-feedback.txt"))) == 5
    check_tree(out)
