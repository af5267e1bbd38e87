"""Make the bundled sample cohort (samples/ -> src/sheetreview/sample/) from a fixed seed.

The cohort is what a newcomer sees in `make demo`, so it should look like a real collection: about
60 schools in two local authorities and a couple of trusts, two rounds of edtech-srf (the second
mostly better), smaller collections of pd-quality-mark and lp-steps, some returns saved through
LibreOffice or as .ods, and the everyday mess of a real inbox: a typed level, a misspelt one, a
blank, a resubmission, a password-protected file, a lock file, a legacy .xls and a covering letter.

Run with `make samples`; the output is committed. Needs LibreOffice and Gnumeric (`make office`).
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout's devtools

from devtools.office import gnumeric_convert, libreoffice_convert_many  # noqa: E402
from sheetreview.framework import Framework, builtin  # noqa: E402
from sheetreview.moderate.workbook import Judged, write_moderation_workbook  # noqa: E402
from sheetreview.schools import School  # noqa: E402
from sheetreview.workbook import Filled, write_workbook  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "src" / "sheetreview" / "sample"
SEED = 20261125
ROUNDS = ("2025-autumn", "2026-autumn")

PLACES = [
    "Oakfield",
    "Riverside",
    "Hillcrest",
    "Meadowbank",
    "Ashdown",
    "Brookside",
    "Castleford",
    "Elmhurst",
    "Fairview",
    "Greenway",
    "Harbour",
    "Kingsmead",
    "Larkrise",
    "Millbrook",
    "Northgate",
    "Orchard",
    "Parkside",
    "Queensway",
    "Redwood",
    "Southfields",
    "Thornbury",
    "Upton",
    "Valley",
    "Westbury",
    "Willowdene",
    "Yewtree",
    "Beacon",
    "Cedar",
    "Dovecote",
    "Foxhill",
    "Glebe",
    "Hawthorn",
    "Ivybridge",
    "Juniper",
    "Kestrel",
]
SAINTS = ["St Mary's", "St John's", "St Peter's", "St Anne's", "Holy Trinity", "St Michael's"]
LAS = ("Northshire", "Eastborough")
TRUSTS = ("Riverside Learning Trust", "Beacon Academies Trust")

EVIDENCE = [
    "Staff survey in {month} showed {pct}% of teachers agree that {topic} is well understood across the school.",
    "Minutes of the governors' {committee} committee record a termly review of {topic}.",
    "Learning walks by the senior team in {month} found consistent practice in {topic} in {pct}% of lessons seen.",
    "The school development plan names a lead for {topic} with milestones for this year.",
    "Pupil voice panel in {month} described how {topic} affects their learning at home and at school.",
    "An external review by the local authority adviser commented positively on {topic}.",
]
NEXT_STEPS = [
    "Agree with governors how {topic} will be monitored and reported each term.",
    "Run a short training session for new staff on {topic} before the end of the spring term.",
    "Collect evidence from pupils and parents on {topic} and compare it with the staff survey.",
    "Share practice in {topic} with the partner schools in the trust network.",
    "Update the policy on {topic} and check that every department has read it.",
]
MONTHS = ["September", "October", "November", "January", "February", "March"]
COMMITTEES = ["curriculum", "resources", "standards", "teaching and learning"]


def make_schools(rng: random.Random) -> list[School]:
    schools: list[School] = []
    urns = rng.sample(range(100000, 150000), 60)
    names: set[str] = set()
    for i, urn in enumerate(urns):
        secondary = i % 4 == 0
        while True:
            if not secondary and rng.random() < 0.25:
                name = f"{rng.choice(SAINTS)} C of E Primary School"
                name = f"{rng.choice(PLACES)} {name}" if name in names else name
            elif secondary:
                name = f"{rng.choice(PLACES)} {rng.choice(['Academy', 'High School', 'School'])}"
            else:
                name = f"{rng.choice(PLACES)} {rng.choice(['Primary School', 'Infant School', 'Junior School', 'Primary Academy'])}"
            if name not in names:
                names.add(name)
                break
        trust = TRUSTS[i % 2] if i % 5 in (0, 1) else ""
        schools.append(
            School(str(urn), name, LAS[i % 2], trust, "secondary" if secondary else "primary")
        )
    return schools


def sentence(rng: random.Random, templates: list[str], topic: str) -> str:
    """Two or three sentences, about 300 characters, like a school's own notes."""
    parts = []
    for template in rng.sample(templates, 2 + (rng.random() < 0.5)):
        parts.append(
            template.format(
                month=rng.choice(MONTHS),
                pct=rng.randrange(45, 96),
                topic=topic,
                committee=rng.choice(COMMITTEES),
            )
        )
    return " ".join(parts)


def judgements(
    rng: random.Random, fw: Framework, strength: float, difficulty: dict[str, float], lift: float
) -> dict[str, Filled]:
    """Levels from a school's strength and an aspect's difficulty: schools differ, aspects differ."""
    n = fw.level_count
    out = {}
    for aspect in fw.aspects:
        latent = (
            (n + 1) / 2 - 0.2 + 0.9 * strength - difficulty[aspect.code] + lift + rng.gauss(0, 0.55)
        )
        rank = min(n, max(1, round(latent)))
        topic = aspect.title.split(":")[-1].strip().lower()
        out[aspect.code] = Filled(
            fw.level(rank).label, sentence(rng, EVIDENCE, topic), sentence(rng, NEXT_STEPS, topic)
        )
    return out


def file_name(rng: random.Random, school: School, fw_id: str) -> str:
    slug = school.name.replace("'", "").replace(" ", "-")
    style = rng.random()
    if style < 0.6:
        return f"{school.urn}-{slug}-{fw_id}.xlsx"
    if style < 0.8:
        return f"{school.name} self review {fw_id} FINAL.xlsx"
    return f"{fw_id} return {school.urn}.xlsx"


def write_return(fw, path, school, round_label, filled, date):
    path.parent.mkdir(parents=True, exist_ok=True)
    write_workbook(
        fw, path, school=school, round_label=round_label, filled=filled, assessment_date=date
    )
    return path


def build(out: Path) -> None:
    rng = random.Random(SEED)
    schools = make_schools(rng)
    strength = {s.urn: rng.gauss(0, 1) for s in schools}
    returns = out / "returns"
    with (out / "schools.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["urn", "name", "la", "trust", "phase"])
        for s in schools:
            writer.writerow([s.urn, s.name, s.la, s.trust, s.phase])

    to_libreoffice: list[Path] = []
    to_ods: list[Path] = []
    collections = [
        ("edtech-srf", ROUNDS[0], schools[:56]),
        ("edtech-srf", ROUNDS[1], schools[2:60]),
        ("pd-quality-mark", ROUNDS[1], schools[:18]),
        ("lp-steps", ROUNDS[0], schools[20:34]),
    ]
    for fw_id, round_label, cohort in collections:
        fw = builtin(fw_id)
        difficulty = {a.code: rng.gauss(0, 0.6) for a in fw.aspects}
        lift = 0.45 if round_label == ROUNDS[1] and fw_id == "edtech-srf" else 0.0
        year = int(round_label[:4])
        for school in cohort:
            filled = judgements(rng, fw, strength[school.urn], difficulty, lift)
            date = dt.date(year, 10, 1) + dt.timedelta(days=rng.randrange(0, 50))
            path = write_return(
                fw,
                returns / round_label / fw_id / file_name(rng, school, fw_id),
                school,
                round_label,
                filled,
                date,
            )
            roll = rng.random()
            if roll < 0.12:
                to_libreoffice.append(path)
            elif roll < 0.2:
                to_ods.append(path)
    add_everyday_problems(rng, out, schools, strength)
    resave(to_libreoffice, "xlsx")
    resave(to_ods, "ods")


def resave(paths: list[Path], to: str) -> None:
    """Save returns through LibreOffice, as schools who use it do; .ods replaces the .xlsx."""
    by_folder: dict[Path, list[Path]] = {}
    for p in paths:
        by_folder.setdefault(p.parent, []).append(p)
    for folder, group in by_folder.items():
        with tempfile.TemporaryDirectory() as tmp:
            for converted in libreoffice_convert_many(group, Path(tmp), to):
                shutil.move(str(converted), folder / converted.name)
        if to == "ods":
            for p in group:
                p.unlink()


def add_everyday_problems(
    rng: random.Random, out: Path, schools: list[School], strength: dict[str, float]
) -> None:
    fw = builtin("edtech-srf")
    difficulty = {a.code: 0.0 for a in fw.aspects}
    inbox = out / "returns" / ROUNDS[1] / "inbox"
    codes = [a.code for a in fw.aspects]

    # A typed level (accepted), a misspelt one (a problem at that cell) and a blank (a warning).
    s = schools[40]
    filled = judgements(rng, fw, strength[s.urn], difficulty, 0.4)
    filled[codes[2]] = Filled(" level 3 ", filled[codes[2]].evidence, filled[codes[2]].next_steps)
    filled[codes[5]] = Filled("Levle 2", filled[codes[5]].evidence, filled[codes[5]].next_steps)
    filled[codes[9]] = Filled(None, "", "")
    write_return(
        fw,
        inbox / f"{s.urn} self-review (typed levels).xlsx",
        s,
        ROUNDS[1],
        filled,
        dt.date(2026, 11, 2),
    )

    # A resubmission: the later assessment date wins; the first is superseded.
    s = schools[41]
    first = judgements(rng, fw, strength[s.urn], difficulty, 0.2)
    write_return(
        fw, inbox / f"{s.urn} self review v1.xlsx", s, ROUNDS[1], first, dt.date(2026, 10, 6)
    )
    second = judgements(rng, fw, strength[s.urn], difficulty, 0.5)
    write_return(
        fw,
        inbox / f"{s.urn} self review v2 CORRECTED.xlsx",
        s,
        ROUNDS[1],
        second,
        dt.date(2026, 10, 20),
    )

    # A legacy .xls (saved by Gnumeric as Excel 97-2003).
    s = schools[42]
    with tempfile.TemporaryDirectory() as tmp:
        src = write_return(
            fw,
            Path(tmp) / "r.xlsx",
            s,
            ROUNDS[1],
            judgements(rng, fw, strength[s.urn], difficulty, 0.4),
            dt.date(2026, 10, 9),
        )
        gnumeric_convert(src, inbox / f"{s.urn} self review (old Excel).xls")

    # A password-protected workbook (an encrypted OOXML file from calamine's test files, MIT).
    protected = ROOT.parent / "shared" / "corpus" / "foreign" / "pass_protected.xlsx"
    shutil.copyfile(protected, inbox / f"{schools[43].urn} self review PASSWORD.xlsx")

    # Office's lock file for a workbook someone still had open, and what else lands in an inbox.
    (inbox / f"~${schools[44].urn} self review.xlsx").write_bytes(
        b"\x0bJ Smith      " + b"\x00" * 40
    )
    (inbox / "Thumbs.db").write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 60)
    (inbox / "covering letter.txt").write_text(
        "Dear colleague,\nPlease find our self-review attached.\nKind regards,\nOffice manager\n",
        encoding="utf-8",
    )


def add_moderations(sample: Path) -> None:
    """Moderators' filled workbooks for a sample of the latest round, made the way an LA makes
    them (`moderate` on an ingest of the sample), then filled in: the moderator agrees with most
    levels and, as moderation usually finds, marks some a level lower than the school did."""
    from sheetreview.moderate import moderate
    from sheetreview.read.ingest import ingest

    rng = random.Random(SEED + 1)
    folder = sample / "returns" / ROUNDS[1] / "moderation"
    shutil.rmtree(folder, ignore_errors=True)
    with tempfile.TemporaryDirectory() as tmp:
        out, blank = Path(tmp) / "out", Path(tmp) / "blank"
        ingest(sample / "returns", out, round_label=None)
        moderate(out, blank, sample="25%", seed=SEED)
        responses = list(csv.DictReader((out / "responses.csv").open(encoding="utf-8")))
        folder.mkdir(parents=True)
        for pick in csv.DictReader((blank / "sample.csv").open(encoding="utf-8")):
            if pick["round"] != ROUNDS[1] or pick["framework"] == "lp-steps":
                continue
            fw = builtin(pick["framework"])
            own = [
                r
                for r in responses
                if r["school_urn"] == pick["school_urn"]
                and r["framework"] == fw.id
                and r["round"] == pick["round"]
            ]
            moderated = {}
            for r in own:
                rank = int(r["level_rank"])
                roll = rng.random()
                if roll < 0.25 and rank > 1:
                    moderated[r["aspect_code"]] = (
                        fw.level(rank - 1).label,
                        "The evidence seen on the visit fits the level below.",
                    )
                elif roll < 0.3 and rank < fw.level_count:
                    moderated[r["aspect_code"]] = (
                        fw.level(rank + 1).label,
                        "Practice seen on the visit goes beyond what the school claimed.",
                    )
                else:
                    moderated[r["aspect_code"]] = (r["level"], "Agreed: the evidence supports it.")
            judged = {
                r["aspect_code"]: Judged(r["level"], r["evidence"], r["next_steps"]) for r in own
            }
            school = School(pick["school_urn"], pick["school_name"])
            write_moderation_workbook(
                fw, folder / pick["file"], school=school, round_label=pick["round"],
                judged=judged, moderated=moderated,
            )  # fmt: skip


def main() -> int:
    if "--moderations" in sys.argv[1:]:  # add or remake only the moderators' workbooks
        add_moderations(SAMPLE)
        return 0
    if SAMPLE.exists():
        shutil.rmtree(SAMPLE)
    SAMPLE.mkdir(parents=True)
    (SAMPLE / "README.md").write_text(
        "# Sample cohort\n\nMade by `scripts/make_samples.py` (`make samples`) from a fixed seed: fictional schools, "
        "levels and evidence. `sheetreview demo` runs the whole pipeline on it.\n\n"
        "`returns/` holds what an LA officer's folder would: two rounds of edtech-srf, a round each of "
        "pd-quality-mark and lp-steps, returns re-saved by LibreOffice (.xlsx and .ods), and in "
        "`returns/2026-autumn/inbox/` a typed level, a misspelt level, a blank, a resubmission, a legacy .xls, "
        "a password-protected file (from calamine's MIT-licensed test files), a lock file, Thumbs.db and a "
        "covering letter, and in `returns/2026-autumn/moderation/` moderators' filled workbooks for a "
        "sample of schools (`sheetreview moderate`).\n`schools.csv` is the list `generate --schools` takes.\n",
        encoding="utf-8",
    )
    build(SAMPLE)
    add_moderations(SAMPLE)
    total = sum(p.stat().st_size for p in SAMPLE.rglob("*") if p.is_file())
    count = sum(1 for p in SAMPLE.rglob("*") if p.is_file())
    print(f"Wrote {count} files, {total / 1e6:.1f} MB, to {SAMPLE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
