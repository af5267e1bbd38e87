"""Property: random judgements written into a generated workbook, saved by openpyxl and by
LibreOffice (.xlsx and .ods), come back from ingest identical.

Each example writes a few returns and converts them all with one LibreOffice start per format,
so a handful of examples cover dozens of saved files in well under a minute.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import openpyxl
import pytest
from conftest import libreoffice_many
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetreview.core.out import read_table
from sheetreview.framework import builtin, builtin_ids
from sheetreview.read.ingest import ingest
from sheetreview.read.judgements import clean_text
from sheetreview.schools import School
from sheetreview.workbook import Filled, write_workbook

pytestmark = pytest.mark.office

# What schools write: letters with accents, digits, punctuation, single spaces and line breaks.
_WORDS = st.text(
    alphabet=st.characters(
        whitelist_categories=("Lu", "Ll", "Nd"), whitelist_characters="éüßŁ£€.,;:!?'\"()&<>-/%=+"
    ),
    min_size=1,
    max_size=12,
)
TEXT = st.lists(_WORDS, max_size=25).flatmap(
    lambda words: st.lists(
        st.sampled_from([" ", "\n"]), min_size=len(words), max_size=len(words)
    ).map(lambda seps: "".join(w + s for w, s in zip(words, seps, strict=True)).strip())
)


@st.composite
def a_return(draw: st.DrawFn) -> tuple[str, dict[str, Filled]]:
    fid = draw(st.sampled_from(builtin_ids()))
    fw = builtin(fid)
    labels = [lv.label for lv in fw.levels]
    filled = {
        a.code: Filled(draw(st.one_of(st.none(), st.sampled_from(labels))), draw(TEXT), draw(TEXT))
        for a in fw.aspects
    }
    return fid, filled


def expected(fid: str, filled: dict[str, Filled]) -> list[tuple[str, ...]]:
    fw = builtin(fid)
    rank = {lv.label: str(lv.rank) for lv in fw.levels}
    return [
        (a.code, f.level, rank[f.level], clean_text(f.evidence), clean_text(f.next_steps))
        for a in fw.aspects
        if (f := filled[a.code]).level
    ]


def read_back(folder: Path, out: Path) -> dict[str, list[tuple[str, ...]]]:
    ingest(folder, out, jobs=2)
    found: dict[str, list[tuple[str, ...]]] = {}
    # read_table restores text the CSV guards against formula injection ("=x" is written "'=x")
    for r in read_table(out, "responses.csv").to_dict("records"):
        row = (r["aspect_code"], r["level"], r["level_rank"], r["evidence"], r["next_steps"])
        found.setdefault(Path(r["source_file"]).stem, []).append(row)
    return found


@settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(a_return(), min_size=2, max_size=4))
def test_judgements_survive_openpyxl_and_libreoffice(returns: list[tuple[str, dict]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        want: dict[str, list[tuple[str, ...]]] = {}
        originals = []
        for i, (fid, filled) in enumerate(returns):
            path = root / "original" / f"r{i}.xlsx"
            write_workbook(
                builtin(fid), path, school=School(f"1{i:05}", f"School {i}"), filled=filled
            )
            originals.append(path)
            want[f"r{i}"] = expected(fid, filled)
        (root / "openpyxl").mkdir()
        for path in originals:
            openpyxl.load_workbook(path).save(root / "openpyxl" / path.name)
        libreoffice_many(originals, root / "lo-xlsx", "xlsx")
        libreoffice_many(originals, root / "lo-ods", "ods")
        want = {k: v for k, v in want.items() if v}
        for saved_by in ("original", "openpyxl", "lo-xlsx", "lo-ods"):
            got = read_back(root / saved_by, root / f"out-{saved_by}")
            assert got == want, saved_by
