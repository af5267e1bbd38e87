"""Benchmark packs: each school's own PDF, cohort statistics only, nothing of any other school.

Each test builds an ingest OUT from plain values: responses.csv rows for schools whose levels are
given as level_rank lists in the framework's aspect order (None = left blank), files.csv, an empty
problems.csv and the framework's JSON, as ingest writes them.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from sheetreview.cli import cli
from sheetreview.errors import OutputError
from sheetreview.framework import builtin
from sheetreview.packs.build import plan_packs, write_packs
from sheetreview.packs.document import MIN_COHORT, furthest_below

RESPONSE_COLUMNS = [
    "round", "framework", "framework_version", "school_urn", "school_name", "aspect_code",
    "aspect_title", "level", "level_rank", "level_count", "evidence", "next_steps", "source_file",
    "source_sheet", "source_cell",
]  # fmt: skip
FILE_COLUMNS = [
    "file", "sha256", "bytes", "status", "framework", "school_urn", "school_name",
    "aspects_answered", "aspects_total", "problems", "reason",
]  # fmt: skip

# Distinct names, URNs and evidence words, so that a leak of any of them is found by a search.
SCHOOLS = [
    ("131001", "Alderbrook Primary School"),
    ("131002", "Birchwood Church of England Academy"),
    ("131003", "Cedarfield Junior School"),
    ("131004", "Damsonvale Infant School"),
    ("131005", "Elmhurst Community College"),
    ("131006", "Foxglove Lane Primary"),
]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


def make_out(
    out: Path,
    cohorts: dict[tuple[str, str], dict[tuple[str, str], list[int | None]]],
) -> Path:
    """OUT for {(framework, round): {(urn, name): [rank per aspect, in framework order]}}."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "frameworks").mkdir(exist_ok=True)
    responses, files = [], []
    for (fid, rnd), schools in cohorts.items():
        fw = builtin(fid)
        (out / "frameworks" / f"{fid}.json").write_text(json.dumps(fw.to_dict()), "utf-8")
        for (urn, name), ranks in schools.items():
            source = f"{fid}/{rnd}/{urn}.xlsx"
            for row, (aspect, rank) in enumerate(zip(fw.aspects, ranks, strict=False), start=6):
                label = fw.level(rank).label if rank else ""
                responses.append(
                    [rnd, fid, fw.version, urn, name, aspect.code, aspect.title, label,
                     str(rank or ""), str(fw.level_count), f"evidence-{urn}-secret",
                     f"nextsteps-{urn}-secret", source, "Review", f"F{row}"]
                )  # fmt: skip
            files.append([source, "0" * 64, "1000", "accepted", fid, urn, name, "", "", "0", ""])
    _write(out / "responses.csv", RESPONSE_COLUMNS, responses)
    _write(out / "files.csv", FILE_COLUMNS, files)
    _write(out / "problems.csv", ["file", "sheet", "cell", "code", "severity", "message"], [])
    return out


def pdf_text(path: Path) -> str:
    done = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _edtech(n: int) -> dict[tuple[str, str], list[int | None]]:
    """n schools of edtech-srf (21 aspects) with different, repeatable levels."""
    return {school: [1 + (i + j) % 4 for j in range(21)] for i, school in enumerate(SCHOOLS[:n])}


def test_every_pack_holds_its_own_school_and_no_other(tmp_path: Path) -> None:
    lp = {school: [1 + i % 5, 2, 3, 1, 2, 4] for i, school in enumerate(SCHOOLS[:3])}
    out = make_out(
        tmp_path / "out",
        {("edtech-srf", "2026-autumn"): _edtech(6), ("lp-steps", "2026-autumn"): lp},
    )
    summary = write_packs(out, tmp_path / "packs", jobs=2)
    pdfs = sorted((tmp_path / "packs").glob("*.pdf"))
    assert summary.packs == len(pdfs) == 9
    for pdf in pdfs:
        text = pdf_text(pdf)
        own = [s for s in SCHOOLS if pdf.name.startswith(s[0])]
        assert len(own) == 1
        urn, name = own[0]
        assert name in text and urn in text
        for other_urn, other_name in SCHOOLS:
            if other_urn != urn:
                assert other_urn not in text, pdf.name
                assert other_name not in text, pdf.name
        assert "secret" not in text  # no evidence or next steps, its own or anyone's


def test_small_cohort_shows_no_statistics_and_says_why(tmp_path: Path) -> None:
    lp = {school: [1, 2, 3, 4, 5, 2] for school in SCHOOLS[: MIN_COHORT - 1]}
    out = make_out(tmp_path / "out", {("lp-steps", "r1"): lp})
    packs, _, _ = plan_packs(out, tmp_path / "packs")
    assert all(p.percentile is None for p in packs)
    assert all(a.median is None and a.q1 is None for p in packs for a in p.aspects)
    summary = write_packs(out, tmp_path / "packs", jobs=1)
    assert "fewer than 5" in " ".join(summary.lines())
    text = pdf_text(Path(packs[0].path))
    assert "Only 4 school(s) are in this cohort" in text
    assert "so that no school's answers can be worked out" in text
    assert "Cohort median" not in text and "Overall percentile" not in text


def test_cohort_statistics_are_the_report_s_median_quartiles_and_percentile(
    tmp_path: Path,
) -> None:
    # aspect 1a-1 ranks 1, 2, 2, 3, 4: median 2, quartiles 2 and 3 (linear interpolation).
    schools = {s: [r] + [2] * 20 for s, r in zip(SCHOOLS[:5], [1, 2, 2, 3, 4], strict=True)}
    out = make_out(tmp_path / "out", {("edtech-srf", ""): schools})
    packs, _, _ = plan_packs(out, tmp_path / "packs")
    first = {p.school_urn: p.aspects[0] for p in packs}
    assert {(a.median, a.q1, a.q3, a.n) for a in first.values()} == {(2.0, 2.0, 3.0, 5)}
    by_urn = {p.school_urn: p for p in packs}
    # mean ranks: 39/21, 40/21, 40/21, 41/21, 42/21; the second is tied with one other:
    # (1 below + 0.5 tied) / 4 others = 37.5
    assert by_urn["131002"].percentile == pytest.approx(37.5)
    assert by_urn["131001"].percentile == pytest.approx(0.0)
    assert by_urn["131005"].percentile == pytest.approx(100.0)
    assert (
        Path(by_urn["131001"].path).name
        == "131001-Alderbrook-Primary-School-edtech-srf-no-round.pdf"
    )


def test_aspect_judged_by_fewer_than_five_schools_shows_no_statistics(tmp_path: Path) -> None:
    schools = _edtech(6)
    for ranks in list(schools.values())[:2]:
        ranks[3] = None  # 1b-2 judged by only four of the six
    out = make_out(tmp_path / "out", {("edtech-srf", "r1"): schools})
    packs, _, _ = plan_packs(out, tmp_path / "packs")
    for pack in packs:
        assert pack.aspects[3].median is None and pack.aspects[3].n == 4
        assert pack.aspects[0].median is not None


def test_furthest_below_lists_the_biggest_gaps_first(tmp_path: Path) -> None:
    schools = {s: [3, 3, 3] + [2] * 18 for s in SCHOOLS[1:6]}
    schools[SCHOOLS[0]] = [1, 2, 3] + [2] * 18
    out = make_out(tmp_path / "out", {("edtech-srf", "r1"): schools})
    packs, _, _ = plan_packs(out, tmp_path / "packs")
    alder = next(p for p in packs if p.school_urn == "131001")
    assert [a.code for a in furthest_below(alder)] == ["1a-1", "1a-2"]


def test_next_steps_quote_the_next_level_and_the_framework_s_actions(tmp_path: Path) -> None:
    lp = {school: [1, 5, 5, 5, 5, 5] for school in SCHOOLS[:5]}
    pd_ranks = [1] * 21
    out = make_out(
        tmp_path / "out",
        {("lp-steps", "r1"): lp, ("pd-quality-mark", "r1"): {SCHOOLS[0]: pd_ranks}},
    )
    write_packs(out, tmp_path / "packs", jobs=1)
    text = " ".join(
        pdf_text(tmp_path / "packs" / "131001-Alderbrook-Primary-School-lp-steps-r1.pdf").split()
    )
    step2 = builtin("lp-steps").aspect("ORG").descriptor(2)
    assert " ".join(step2.text.split()[:12]) in text
    assert "How do we get there?" in text
    assert " ".join(step2.sections["How do we get there?"].split("\n")[1].split()[:10]) in text
    pd_text = " ".join(
        pdf_text(
            tmp_path / "packs" / "131001-Alderbrook-Primary-School-pd-quality-mark-r1.pdf"
        ).split()
    )
    assert "Some examples of evidence" in pd_text
    assert "For 8 of your 16 aspects" in pd_text


def test_first_page_renders_to_png(tmp_path: Path) -> None:
    out = make_out(tmp_path / "out", {("becta-srf", "r1"): {s: [2] * 12 for s in SCHOOLS[:5]}})
    write_packs(out, tmp_path / "packs", jobs=1)
    pdf = next((tmp_path / "packs").glob("*.pdf"))
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
        check=True,
    )
    png = next(tmp_path.glob("page*.png"))
    with Image.open(png) as image:
        assert image.size[1] > image.size[0] > 350  # A4 portrait
        colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
    assert colours is not None and len(colours) > 20  # a chart, not a blank page


def test_names_from_returns_are_shown_as_typed(tmp_path: Path) -> None:
    schools = {("140001", "Ysgol Bro Ŵyr $5 $x$ School"): [2] * 12}
    schools |= {s: [3] * 12 for s in SCHOOLS[:4]}
    out = make_out(tmp_path / "out", {("becta-srf", "r1"): schools})
    write_packs(out, tmp_path / "packs", jobs=1)
    pdf = next((tmp_path / "packs").glob("140001-*.pdf"))
    assert "Ysgol Bro Ŵyr $5 $x$ School" in pdf_text(pdf)


def test_cli_packs_writes_one_pdf_per_school(tmp_path: Path) -> None:
    out = make_out(tmp_path / "out", {("becta-srf", "r1"): {s: [2] * 12 for s in SCHOOLS[:2]}})
    result = CliRunner().invoke(cli, ["packs", str(out), "-j", "1"])
    assert result.exit_code == 0, result.output
    assert f"Wrote 2 benchmark pack(s) to {out / 'packs'}" in result.output
    assert len(list((out / "packs").glob("*.pdf"))) == 2


def test_cli_packs_without_responses_says_to_run_ingest(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["packs", str(tmp_path)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert "responses.csv" in lines[0] and "sheetreview ingest" in lines[0]


def test_packs_of_an_out_without_accepted_returns_is_a_user_error(tmp_path: Path) -> None:
    out = make_out(tmp_path / "out", {})
    with pytest.raises(OutputError, match="no accepted returns"):
        write_packs(out, tmp_path / "packs")


def test_rerun_removes_the_pack_of_a_school_no_longer_in_the_cohort(tmp_path: Path) -> None:
    schools = {s: [2] * 12 for s in SCHOOLS[:3]}
    out = make_out(tmp_path / "out", {("becta-srf", "r1"): schools})
    write_packs(out, tmp_path / "packs", jobs=1)
    del schools[SCHOOLS[2]]
    make_out(tmp_path / "out", {("becta-srf", "r1"): schools})
    summary = write_packs(out, tmp_path / "packs", jobs=1)
    assert summary.removed == 1
    assert sorted(p.name[:6] for p in (tmp_path / "packs").glob("*.pdf")) == ["131001", "131002"]


def pdf_objects(path: Path) -> bytes:
    """The PDF's bytes with every Flate stream inflated (structure tree, metadata, text)."""
    data = path.read_bytes()
    parts = [data]
    for match in re.finditer(rb"stream\r?\n", data):
        try:
            parts.append(
                zlib.decompressobj().decompress(data[match.end() : match.end() + 4_000_000])
            )
        except zlib.error:
            continue
    return b"\n".join(parts)


def test_pack_is_a_tagged_accessible_pdf(tmp_path: Path) -> None:
    out = make_out(tmp_path / "out", {("edtech-srf", "2026-autumn"): _edtech(5)})
    write_packs(out, tmp_path / "packs", jobs=1)
    pdf = next((tmp_path / "packs").glob("131001-*.pdf"))
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert "Tagged:          yes" in info
    assert "Title:           Benchmark pack: Alderbrook Primary School" in info
    raw = pdf_objects(pdf)
    assert b"/Lang(en)" in raw
    assert b"<pdfuaid:part>1</pdfuaid:part>" in raw  # PDF/UA-1, as typst checked it
    # Each chart is a Figure whose alternative text says what it shows.
    alts = re.findall(rb"/Alt\((.*?)\)/", raw)
    assert any(b"Chart of your level in each of 21 aspects" in a for a in alts)
    assert any(b"1a-1  The vision: you 4" in a for a in alts)
    # Fonts embedded, text selectable.
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    rows = [line.split() for line in fonts.splitlines()[2:]]
    assert rows and all(row[-5] == "yes" for row in rows)  # the "emb" column
    structure = subprocess.run(
        ["pdfinfo", "-struct-text", str(pdf)], capture_output=True, text=True
    )
    tree = structure.stdout
    # Reading order follows the page: title, facts, chart, then the next page's heading.
    order = [
        tree.index('H1 "Your self-review against the cohort"'),
        tree.index("Cohort: 5 school(s)"),
        tree.index("Figure"),
        tree.index('H1 "Where you are furthest below the cohort"'),
        tree.index('H1 "What the next level up asks"'),
        tree.index('H1 "How to read this pack"'),
    ]
    assert order == sorted(order)


def test_pack_speaks_in_the_framework_s_labels_not_ranks(tmp_path: Path) -> None:
    out = make_out(tmp_path / "out", {("edtech-srf", "2026-autumn"): _edtech(5)})
    write_packs(out, tmp_path / "packs", jobs=1)
    text = " ".join(pdf_text(next((tmp_path / "packs").glob("131002-*.pdf"))).split())
    assert "level_rank" not in text and "1 = 4" not in text and "rank" not in text
    assert "from 4 (least developed) to 1 (most developed)" in text
    assert "Your average level over the 21 of 21 aspects you judged:" in text
    assert "least developed → most developed" in text


def test_names_in_any_script_with_invisible_characters_make_a_pack(tmp_path: Path) -> None:
    name = "\ufeffYsgol 学校 😀 مدرسة الأمل বিদ্যালয় Szkoła Łódź\u200b"
    schools = {("140002", name): [2] * 12} | {s: [3] * 12 for s in SCHOOLS[:4]}
    out = make_out(tmp_path / "out", {("becta-srf", "r1"): schools})
    summary = write_packs(out, tmp_path / "packs", jobs=1)
    assert summary.packs == 5
    pdf = next((tmp_path / "packs").glob("140002-*.pdf"))
    text = pdf_text(pdf)
    assert "Ysgol 学校" in text and "Szkoła Łódź" in text
    assert "\ufeff" not in text and "\u200b" not in text
    # What the school typed is kept as it was in the tables the report reads.
    assert "\ufeffYsgol" in (out / "responses.csv").read_text(encoding="utf-8")


def test_long_one_word_name_is_shown_in_full(tmp_path: Path) -> None:
    name = "Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch" * 2
    schools = {("140003", name): [2] * 12} | {s: [3] * 12 for s in SCHOOLS[:4]}
    out = make_out(tmp_path / "out", {("becta-srf", "r1"): schools})
    write_packs(out, tmp_path / "packs", jobs=1)
    text = "".join(pdf_text(next((tmp_path / "packs").glob("140003-*.pdf"))).split())
    assert name in text


_PACKS_TWICE = """
import sys
from pathlib import Path
from sheetreview.packs.build import write_packs
out, dest = Path(sys.argv[1]), Path(sys.argv[2])
write_packs(out, dest / "one", jobs=1)  # typst lays out on its threads in this process
print(write_packs(out, dest / "two", jobs=2).packs)
"""


def test_packs_made_in_workers_after_packs_made_in_process(tmp_path: Path) -> None:
    """Workers are not forked from a process whose typst has started its threads: a forked
    child would wait for ever on threads it does not have."""
    out = make_out(tmp_path / "out", {("edtech-srf", "2026-autumn"): _edtech(5)})
    done = subprocess.run(
        [sys.executable, "-c", _PACKS_TWICE, str(out), str(tmp_path / "packs")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["5"]
