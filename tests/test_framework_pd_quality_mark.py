"""The built-in pd-quality-mark framework is a faithful transcription of seed 004."""

import pytest

from sheetreview.framework import builtin

EVIDENCE = "Some examples of evidence"
AREAS = ("LPD", "HQPD", "EIPD", "CPPD")
STRANDS = ("V", "C", "SP", "BV")
EXPECTED_CODES = [f"{a}-{s}" for a in AREAS for s in (*STRANDS, "SA")] + ["OVERALL-SA"]


def norm(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def fw():
    return builtin("pd-quality-mark")


def test_has_21_aspects_with_stable_codes_in_source_order(fw):
    assert len(fw.aspects) == 21
    assert [a.code for a in fw.aspects] == EXPECTED_CODES


def test_levels_run_developing_enhancing_embedded_with_award_aliases(fw):
    assert [lv.label for lv in fw.levels] == ["Developing", "Enhancing", "Embedded"]
    assert [lv.rank for lv in fw.levels] == [1, 2, 3]
    assert [lv.aliases for lv in fw.levels] == [("Bronze",), ("Silver",), ("Gold",)]


def test_groups_are_the_four_areas_and_the_overall_assessment(fw):
    assert [(g.code, g.title) for g in fw.groups] == [
        ("LPD", "Leadership of Professional Development"),
        ("HQPD", "High Quality Professional Development"),
        ("EIPD", "Evaluating Impact of Professional Development"),
        ("CPPD", "Collaboration and partnerships supporting professional development"),
        ("OVERALL", "Overall assessment"),
    ]
    for a in fw.aspects:
        assert a.group == a.code.split("-")[0]


def test_strands_are_aspects_and_self_assessments_are_summaries_without_descriptors(fw):
    for a in fw.aspects:
        if a.code.endswith("-SA"):
            assert a.kind == "summary"
            assert a.descriptors == ()
        else:
            assert a.kind == "aspect"
    assert fw.aspect("LPD-V").title == "Leadership of professional development: Vision"
    assert fw.aspect("CPPD-SP").title == (
        "Collaboration and partnerships supporting professional development: Strategy and Policy"
    )
    assert fw.aspect("HQPD-SA").title == "High Quality professional development: self-assessment"
    assert fw.aspect("OVERALL-SA").title == "Overall assessment"


def test_every_aspect_kind_aspect_has_descriptor_and_evidence_for_every_level(fw):
    aspects = [a for a in fw.aspects if a.kind == "aspect"]
    assert len(aspects) == 16
    for a in aspects:
        for lv in fw.levels:
            d = a.descriptor(lv.rank)
            assert d is not None, (a.code, lv.label)
            assert d.text.strip(), (a.code, lv.label)
            evidence = d.sections.get(EVIDENCE, "")
            assert evidence.strip(), (a.code, lv.label)
            assert all(line.startswith("- ") for line in evidence.splitlines()), (a.code, lv.label)


# (aspect code, level rank, "text" or a section heading, sentence copied from the seed)
SENTENCES = [
    (
        "LPD-V",
        1,
        "text",
        "The PD leader and senior leadership team have a vision for PD which is linked to "
        "performance management, improvement planning and priorities.",
    ),
    (
        "LPD-C",
        3,
        "text",
        "The organisation recognises itself as a learning community deliberately seeking innovative "
        "PD practices involving the whole community and acknowledges the risks that innovation can "
        "bring.",
    ),
    # <p> paragraphs restored in LPD-SP Enhancing
    (
        "LPD-SP",
        2,
        "text",
        "Link governors offer challenge and support to PD leader in terms of the PD planned and "
        "evaluated.",
    ),
    (
        "LPD-BV",
        3,
        "text",
        "The governing body benchmarks the performance of the organisation against other "
        "organisations and actively promotes partnership and innovative approaches.",
    ),
    (
        "HQPD-V",
        2,
        "text",
        "Individuals take responsibility for their learning and understand that PD activity has an "
        "impact on children and young people's achievement and organisational improvement.",
    ),
    (
        "HQPD-SP",
        3,
        "text",
        "There is a blend of strong internal provision and external opportunities to meet differing "
        "needs and learning styles.",
    ),
    (
        "EIPD-SP",
        2,
        "text",
        "Clear aims and anticipated impact are identified before engaging in PD activity, impact is "
        "evaluated through the PM process and informs the development and evaluation framework.",
    ),
    (
        "EIPD-SP",
        3,
        "text",
        "The governing body uses the evaluation findings to identify effective practice and inform "
        "actions to support the strategic leadership of PD.",
    ),
    (
        "EIPD-BV",
        1,
        "text",
        "Quality and effectiveness of PD activity is monitored and evaluated through feedback "
        "following PD activity using qualitative and quantitative evidence.",
    ),
    (
        "CPPD-SP",
        1,
        "text",
        "The organisation offers PD activity which draws on expertise and resources available from "
        "national, regional and local organisations including those unique to London.",
    ),
    (
        "CPPD-BV",
        2,
        "text",
        "Resources for partnership work are linked to expected organisational improvement outcomes, "
        "priorities and risks.",
    ),
    # evidence: the first cell of a strand's rows goes to Developing, the third to Embedded
    (
        "LPD-V",
        1,
        EVIDENCE,
        "The governing body ensures there is a senior leader responsible for PD with a clear "
        "strategic remit",
    ),
    (
        "LPD-V",
        3,
        EVIDENCE,
        "There are short, medium and long term plans for PD - aligned to improvement priorities "
        "using a variety of ambitious and innovative approaches",
    ),
    ("HQPD-C", 3, EVIDENCE, "Structures are in place to support sharing of internal expertise."),
    (
        "EIPD-C",
        2,
        EVIDENCE,
        "Evaluation and feedback has increased the range of relevant, personalised PD activity",
    ),
    (
        "CPPD-BV",
        3,
        EVIDENCE,
        "The value of PD offered through partnership working is articulated using qualitative and "
        "quantitative impact measures",
    ),
]


@pytest.mark.parametrize(("code", "rank", "where", "sentence"), SENTENCES)
def test_seed_sentence_is_in_the_right_aspect_and_level(fw, code, rank, where, sentence):
    d = fw.aspect(code).descriptor(rank)
    assert d is not None
    haystack = d.text if where == "text" else d.sections[where]
    assert norm(sentence) in norm(haystack)


def test_multi_paragraph_descriptors_keep_their_paragraphs(fw):
    assert len(fw.aspect("LPD-SP").descriptor(2).text.split("\n\n")) == 3
    assert len(fw.aspect("LPD-BV").descriptor(3).text.split("\n\n")) == 2
    assert len(fw.aspect("EIPD-SP").descriptor(3).text.split("\n\n")) == 2


# evidence bullets the extraction ran together, restored as separate "- " lines
SPLIT_BULLETS = [
    (
        "LPD-C",
        2,
        [
            "There is a strong culture of coaching and peer support",
            "PD leader and other relevant staff have worked on the National College unit "
            "Strategic Leadership of PD",
        ],
    ),
    (
        "LPD-SP",
        1,
        [
            "The GB receives an annual report regarding PD policy and offer",
            "Procedures for induction (including NQTs) are in place",
            "Procedures for professional development of staff re. child protection "
            "/safeguarding are in place",
        ],
    ),
    (
        "EIPD-SP",
        2,
        [
            "Policies make explicit reference to how impact is evaluated",
            "Aims and anticipated impact are identified for PD activity",
            "Impact of PD evaluated through PM process",
            "Governing body reports and minutes demonstrate discussions on the value of "
            "PD for school improvement and well-being",
        ],
    ),
    (
        "CPPD-SP",
        3,
        [
            "Purposes and arrangements for sharing expertise and pooled resources are "
            "agreed across the partnership",
            "GB involvement in evaluating impact of PD partnership guides policy and future action",
        ],
    ),
    (
        "HQPD-V",
        1,
        [
            "There is a range of PD opportunities for the whole school workforce",
            "The GB minutes and reports demonstrate an awareness of the PD programme",
        ],
    ),
]


@pytest.mark.parametrize(("code", "rank", "items"), SPLIT_BULLETS)
def test_run_together_evidence_bullets_are_separate_lines(fw, code, rank, items):
    lines = fw.aspect(code).descriptor(rank).sections[EVIDENCE].splitlines()
    assert lines == [f"- {item}" for item in items]


def test_levels_carry_the_award_text(fw):
    awards = [norm(lv.sections["Award"]) for lv in fw.levels]
    assert awards[0] == norm(
        "BRONZE (DEVELOPING) AWARD ACHIEVED Good practice identified alongside key areas for "
        "school to gain SILVER (enhancing) award."
    )
    assert (
        "areas of development highlighted for school to gain GOLD (embedded) award." in (awards[1])
    )
    assert awards[2].startswith("GOLD (EMBEDDED) AWARD ACHIEVED")
    assert "becoming future verifiers for other organisations." in awards[2]


def test_publisher_and_licence_are_as_the_seed_states(fw):
    assert fw.publisher == "Institute of Education"
    assert fw.licence == "not stated"
    assert fw.source_file == "004_1e21538f0a41f649.txt"
