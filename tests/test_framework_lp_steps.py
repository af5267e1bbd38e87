"""The built-in lp-steps framework: Becta Learning Platforms "Steps to Adoption"
(seed 003_694163852898c616.txt)."""

import pytest

from sheetreview.framework import builtin

FRAMEWORK_ID = "lp-steps"

EXPECTED_CODES = ("ORG", "COLLAB", "DATA", "LEARN", "PARENT", "SCHOOL")
AREA_CODES = EXPECTED_CODES[:5]

EXPECTED_LABELS = (
    "Step 1 Aware",
    "Step 2 Develop",
    "Step 3 Adopt",
    "Step 4 Integrate",
    "Step 5 Transform",
)

HOW = "How do we get there?"
WHAT = "What will it look like?"
WHAT5 = "What might it look like?"  # the step 5 tables' own heading for the last column

# (aspect code, level rank, where: None = descriptor text, else a section heading, sentence from the seed)
SEED_SENTENCES = [
    (
        "ORG",
        1,
        None,
        "Staff notices and information begin to be available on a secure area in the learning platform, "
        "improving the co-ordination of information and communication between staff and leadership.",
    ),
    ("ORG", 2, HOW, "Manage user access rights through clearly defined processes."),
    (
        "ORG",
        3,
        WHAT,
        "Learners access notices and other information through an online area, which acts as a one-stop "
        "shop for organisation and management of information.",
    ),
    (
        "ORG",
        5,
        WHAT5,
        "Online technology is used to reduce time and costs spent on administration.",
    ),
    (
        "COLLAB",
        1,
        None,
        "Opportunities for student voice are beginning to be extended through the use of tools in the "
        "learning platform, e.g. surveys, discussion forums.",
    ),
    (
        "COLLAB",
        2,
        HOW,
        "Trial peer-peer and peer-teacher support with small groups of learners by populating areas with "
        "resources and opportunities for discussion.",
    ),
    (
        "COLLAB",
        3,
        WHAT,
        "Learners improve their work by publishing work on the learning platform and allowing peers to comment on it.",
    ),
    # step 4 COLLAB: restored from columns interleaved line by line (page 32)
    (
        "COLLAB",
        4,
        None,
        "Experts from a wide range of organisations are used in extending learning opportunities and motivating learners.",
    ),
    (
        "COLLAB",
        4,
        HOW,
        "Support effective transition by working collaboratively with feeder schools/secondary on transition projects.",
    ),
    (
        "COLLAB",
        4,
        WHAT,
        "Staff contribute to work online across LAs and schools to promote examples of effective and "
        "innovative practice linked to key educational issues.",
    ),
    (
        "COLLAB",
        5,
        WHAT5,
        "Learners have opportunities to work collaboratively with children from other countries safely and securely.",
    ),
    ("DATA", 1, None, "The learning platform is a means to access and share data about learners."),
    ("DATA", 2, WHAT, "Some parents are able to access information on grades and deadlines."),
    (
        "DATA",
        4,
        HOW,
        "Provide opportunities for coursework to be handed in, assessed, moderated and returned through the learning platform.",
    ),
    (
        "DATA",
        5,
        None,
        "Easy access to this information allows improved management of learning and greater learner involvement.",
    ),
    ("LEARN", 1, HOW, "E-safety is embedded into the curriculum and CPD programme."),
    (
        "LEARN",
        2,
        WHAT,
        "Increasing numbers of learners are accessing the platform out of school, extending learning "
        "opportunities beyond the school day.",
    ),
    (
        "LEARN",
        3,
        WHAT,
        "Learners have a personal online learning space in which to store work and get feedback from "
        "experts and a variety of other people.",
    ),
    (
        "LEARN",
        4,
        HOW,
        "Deliver minority/specialist subjects by external experts using the learning platform from a "
        "variety of institutions locally, nationally and internationally.",
    ),
    (
        "LEARN",
        5,
        None,
        "New innovative and creative ways of working are used by staff and learners in school and beyond, "
        "giving the school community skills and experience for the 21st century.",
    ),
    (
        "PARENT",
        1,
        HOW,
        "Establish a pilot group of parents/carers to get feedback and ideas that will feedback and quality "
        "assure the use of technology to strengthen communications with parents/carers.",
    ),
    (
        "PARENT",
        2,
        None,
        "Increasing information and a variety of media is used on the platform enabling parents/carers to "
        "be more informed about the school and their child progress.",
    ),
    # step 3 PARENT: "How do we get there?" runs on to the next page
    (
        "PARENT",
        3,
        HOW,
        "Provide opportunities to address the varying levels of parental ICT skills by the school community "
        "having access to online training and support materials and face to face sessions to enable them to "
        "make use of the online tools effectively, e.g. Becta Parents Resource Finder.",
    ),
    # step 4 PARENT: restored from columns interleaved line by line (page 35)
    (
        "PARENT",
        4,
        None,
        "Parents/carers are able to support their child at home through resources, and information available on the platform.",
    ),
    (
        "PARENT",
        4,
        HOW,
        "Online parent communities are used for parent forums, notice boards, and survey tools to question "
        "and engage parents/carers on whole school initiatives, issues and policy.",
    ),
    (
        "PARENT",
        4,
        WHAT,
        "Learners share work and opinions using a range of media tools in an increasingly innovative and "
        "creative way for communication/presentation.",
    ),
    (
        "PARENT",
        5,
        None,
        "Learners are able to continue their learning beyond the school involving a global dimension.",
    ),
    (
        "PARENT",
        5,
        WHAT5,
        "Parents feel a greater ownership over the school community, resulting in more involvement and "
        "engagement with their child's learning and a rise in standards.",
    ),
    (
        "SCHOOL",
        1,
        None,
        "Small groups of learners have been given access to the learning platform and are showing initial "
        "excitement when using tools like email or forums.",
    ),
    (
        "SCHOOL",
        2,
        None,
        "Small groups of parents are aware of the potential of the learning platform.",
    ),
    (
        "SCHOOL",
        3,
        None,
        "There is evidence and recognition that teaching and learning is being significantly enhanced.",
    ),
    (
        "SCHOOL",
        4,
        None,
        "Many school administrative procedures are conducted through the learning platform.",
    ),
    ("SCHOOL", 5, None, "Teaching and learning have been transformed but change continues."),
]

# (level rank, section heading, sentence from the seed): framework-wide text per step
LEVEL_SENTENCES = [
    (
        1,
        "Strategic leadership activities",
        "Establish a team to lead on learning platform adoption and developments.",
    ),
    (
        2,
        "Strategic leadership activities",
        "Review expectations and outcomes regularly to evaluate progress of adoption.",
    ),
    (
        3,
        "Strategic leadership activities",
        "Identify regular opportunities for stakeholders to give feedback when planning the next steps of the adoption strategy.",
    ),
    (
        4,
        "Strategic leadership activities",
        "Make the learning platform an integral part of whole school development planning and aligned to support school priorities.",
    ),
    (
        5,
        "Introduction",
        "This vision is likely to evolve as the technology develops and stakeholders become confident users.",
    ),
]


def norm(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def fw():
    return builtin(FRAMEWORK_ID)


def test_has_the_six_aspects_in_source_order(fw):
    assert len(fw.aspects) == 6
    assert tuple(a.code for a in fw.aspects) == EXPECTED_CODES


def test_five_areas_and_the_whole_school_are_grouped(fw):
    assert {g.code for g in fw.groups} == {"areas", "school"}
    for code in AREA_CODES:
        assert fw.aspect(code).group == "areas"
    assert fw.aspect("SCHOOL").group == "school"
    assert fw.aspect("SCHOOL").title == "Which step has my school reached?"
    assert (
        fw.aspect("COLLAB").title
        == "Extending opportunities for collaborative learning, interaction and communication"
    )


def test_levels_are_the_five_steps_least_developed_first(fw):
    assert tuple(lv.label for lv in fw.levels) == EXPECTED_LABELS
    assert tuple(lv.rank for lv in fw.levels) == (1, 2, 3, 4, 5)


def test_levels_accept_the_step_number_and_word_as_aliases(fw):
    adopt = fw.level(3)
    for alias in ("Step 3", "3", "Adopt", "Step 3: Adopt", "3 - Adopt"):
        assert alias in adopt.aliases


@pytest.mark.parametrize("code,rank,where,sentence", SEED_SENTENCES)
def test_seed_sentence_is_in_the_right_aspect_and_step(fw, code, rank, where, sentence):
    d = fw.aspect(code).descriptor(rank)
    assert d is not None
    body = d.text if where is None else d.sections[where]
    assert norm(sentence) in norm(body)


@pytest.mark.parametrize("rank,heading,sentence", LEVEL_SENTENCES)
def test_framework_wide_text_of_each_step_is_a_level_section(fw, rank, heading, sentence):
    assert norm(sentence) in norm(fw.level(rank).sections[heading])


def test_every_aspect_kind_aspect_has_a_non_empty_descriptor_for_every_level(fw):
    for aspect in fw.aspects:
        if aspect.kind != "aspect":
            continue
        for level in fw.levels:
            d = aspect.descriptor(level.rank)
            assert d is not None, (aspect.code, level.label)
            assert d.text.strip(), (aspect.code, level.label)


def test_areas_have_how_and_what_sections_for_steps_one_to_four(fw):
    for code in AREA_CODES:
        for rank in (1, 2, 3, 4):
            sections = fw.aspect(code).descriptor(rank).sections
            assert set(sections) == {HOW, WHAT}, (code, rank)
            assert sections[HOW].startswith("Teaching, learning and practice\n"), (code, rank)


def test_step_five_has_no_how_and_keeps_the_source_heading_what_might_it_look_like(fw):
    for code in AREA_CODES:
        sections = fw.aspect(code).descriptor(5).sections
        assert set(sections) == {WHAT5}, code


def test_management_sub_headings_are_on_their_own_line(fw):
    for code in AREA_CODES:
        for rank in (1, 2, 3, 4):
            lines = fw.aspect(code).descriptor(rank).sections[HOW].splitlines()
            assert "Teaching, learning and practice" in lines
            assert "Management/administration" in lines or "Management" in lines, (code, rank)


def test_interleaved_step_four_columns_are_separated(fw):
    collab = fw.aspect("COLLAB").descriptor(4)
    assert "Encourage collaborative working" not in collab.sections[WHAT]
    assert "Staff collaborate and consult online" not in collab.sections[HOW]
    assert "Teaching, learning" not in collab.text
    assert sum(line.startswith("- ") for line in collab.sections[HOW].splitlines()) == 7
    assert sum(line.startswith("- ") for line in collab.sections[WHAT].splitlines()) == 7
    parent = fw.aspect("PARENT").descriptor(4)
    assert sum(line.startswith("- ") for line in parent.sections[HOW].splitlines()) == 8
    assert sum(line.startswith("- ") for line in parent.sections[WHAT].splitlines()) == 6
    assert "wholemedia" not in parent.sections[HOW] + parent.sections[WHAT]


def test_extraction_typos_are_fixed_and_listed_in_notes(fw):
    everything = " ".join(
        [d.text + " ".join(d.sections.values()) for a in fw.aspects for d in a.descriptors]
        + [" ".join(lv.sections.values()) for lv in fw.levels]
    )
    for typo in ("stafff", "invovlement", "Paents", "onlin ", "beyong", "wholeschool"):
        assert typo not in everything
    notes = "\n".join(fw.notes)
    for typo in (
        "stafff",
        "invovlement",
        "Paents",
        "onlin tools",
        "beyong",
        "wholeschool",
        "Extendeding",
    ):
        assert f"Fixed typo '{typo}" in notes


def test_publisher_and_licence_credit_becta_and_the_originators(fw):
    assert fw.publisher == "Becta"
    assert fw.licence == "CC BY 3.0"
    for name in ("Becta", "LP+", "Wolverhampton local authority", "WMnet Learning Platform group"):
        assert name in fw.attribution
    assert fw.source_file == "003_694163852898c616.txt"
