"""The built-in edtech-srf framework: the 4-level successor to Becta's self-review framework,
element 1 Leadership and Management (seed 001_356845a18484f0e5.txt) and element 5
Professional Development (seed 000_a9db964eb9b38cec.txt)."""

import pytest

from sheetreview.framework import builtin

FRAMEWORK_ID = "edtech-srf"

EXPECTED_CODES = (
    "1a-1",
    "1a-2",
    "1b-1",
    "1b-2",
    "1b-3",
    "1b-4",
    "1b-5",
    "1b-6",
    "1b-7",
    "1b-8",
    "1b-9",
    "1b-10",
    "1c-1",
    "1c-2",
    "1c-3",
    "1c-4",
    "1c-5",
    "5a-1",
    "5a-2",
    "5a-3",
    "5a-4",
)

EXPECTED_LABELS = ("4", "3", "2", "1")

# rank is level_rank: 1 = "4" (least developed) ... 4 = "1" (best).
RANK = {label: i + 1 for i, label in enumerate(EXPECTED_LABELS)}

# (aspect code, level label, sentence copied from the seed). The framework has no per-level
# "sections" (the seeds give only the descriptor for each level), so every sentence is from text.
SEED_SENTENCES = [
    (
        "1a-1",
        "4",
        "The school's overall educational vision includes little or no reference to technology.",
    ),
    (
        "1a-2",
        "1",
        "The vision is informed by (and will change due to) the emergence of new innovative "
        "technologies, global trends, initiatives, and practices, including any associated risks.",
    ),
    (
        "1b-1",
        "3",
        "Strategic leadership rests with one or two key individuals; succession planning is not "
        "in place.",
    ),
    # 001: row split across a page break, joined mid-sentence.
    (
        "1b-2",
        "1",
        "There is strong leadership at all levels which actively encourages the development of "
        "new and creative practices in the use of technology for learning and teaching, both "
        "within and beyond the school.",
    ),
    (
        "1b-2",
        "4",
        "Few subject or Key Stage leaders promote and develop the effective use and impact of "
        "technology for learning and teaching.",
    ),
    (
        "1b-4",
        "3",
        "School leadership appreciates the need for safe and secure use of technology by the "
        "school community, however concepts of digital citizenship and digital society are yet "
        "to be developed.",
    ),
    (
        "1b-4",
        "2",
        "Concepts of digital citizenship and digital society are being incorporated into planning.",
    ),
    (
        "1b-5",
        "1",
        "Budgeting takes account of the total cost of ownership of all technology and associated "
        "professional development.",
    ),
    ("1b-7", "3", "Evaluation is a based on a range of evidence from mainly within school."),
    (
        "1b-8",
        "4",
        "The impact of education technology in relation to equal opportunities, the provision for "
        "pupils with special needs and those with limited access to technology outside school is "
        "not yet fully appreciated and understood.",
    ),
    ("1b-9", "2", "The evaluation leads to improvement in staff wellbeing."),
    (
        "1b-10",
        "3",
        "including incorporating online meetings and training to minimise the need to travel.",
    ),
    (
        "1c-2",
        "2",
        "Integration of systems and access from any location is a fundamental aspect of the "
        "strategy.",
    ),
    (
        "1c-3",
        "2",
        "The school has implemented agreed data systems which integrate to enable more detailed "
        "and effective analysis.",
    ),
    (
        "1c-3",
        "4",
        "The school has a number of sources and types of data which are currently independent of "
        "each other.",
    ),
    (
        "1c-4",
        "1",
        "Parents are able to securely receive, comment and provide feedback on the annual reports "
        "and their children's learning, including learning at home",
    ),
    (
        "1c-5",
        "4",
        "The school is aware that it has responsibilities with respect to relevant legislation "
        "related to its use of technology.",
    ),
    (
        "1c-5",
        "1",
        "The school regularly reviews and updates its procedures relating to relevant legislation. "
        "Risks are understood and compliance by the whole school community is rigorously monitored.",
    ),
    # 000: extracted column by column.
    (
        "5a-1",
        "2",
        "This informs the school\u2019s strategic plans and priorities and is incorporated as part "
        "of performance management of staff.",
    ),
    (
        "5a-1",
        "1",
        "Practitioners research and collaborate with wider communities to evaluate the potential "
        "impact of new digital capabilities on effective learning, teaching and organisational "
        "effectiveness.",
    ),
    # 000 5a-2: interleaved columns after the page break, restored.
    ("5a-2", "4", "Ad hoc mentoring or coaching takes place when required."),
    (
        "5a-2",
        "3",
        "Staff are encouraged to learn through face-to-face and online learning communities both "
        "in and beyond school.",
    ),
    (
        "5a-2",
        "2",
        "The school makes use of face-to-face, online, and blended training and learning "
        "communities to develop staff capabilities.",
    ),
    (
        "5a-2",
        "1",
        "Development opportunities blend different forms of provision including participating in "
        "online communities of practice and using digital technology to review and provide "
        "feedback on actual teaching practice.",
    ),
    ("5a-3", "4", "Sharing mostly happens between individuals."),
    (
        "5a-3",
        "1",
        "Development opportunities that incorporate action or practitioner research are embedded "
        "within a strong culture of planned and evaluated innovation.",
    ),
    # 000 5a-4: level 4's paragraph that the extraction ran on to level 1's, restored.
    (
        "5a-4",
        "4",
        "There are few opportunities to support staff with appropriate training and guidance in "
        "understanding the risks associated with technology. As a result, risks are rarely "
        "identified.",
    ),
    ("5a-4", "4", "Few staff are able to provide e-safeguarding guidance to others."),
    (
        "5a-4",
        "2",
        "Most staff can provide guidance to others in relation to the appropriate use and "
        "exploitation of information technology within and beyond school.",
    ),
    (
        "5a-4",
        "1",
        "All, or nearly all, staff have the competence and confidence to provide good advice and "
        "guidance to others both within and outside the school.",
    ),
]


def norm(text):
    return " ".join(text.split())


def paragraphs(descriptor):
    return [norm(p) for p in descriptor.text.split("\n\n")]


@pytest.fixture(scope="module")
def fw():
    return builtin(FRAMEWORK_ID)


def test_has_the_twenty_one_aspects_1a_1_to_5a_4_in_source_order(fw):
    assert len(fw.aspects) == 21
    assert tuple(a.code for a in fw.aspects) == EXPECTED_CODES


def test_every_aspect_is_kind_aspect(fw):
    assert {a.kind for a in fw.aspects} == {"aspect"}


def test_aspects_sit_in_the_strand_their_code_names(fw):
    assert tuple(g.code for g in fw.groups) == ("1a", "1b", "1c", "5a")
    for aspect in fw.aspects:
        assert aspect.group == aspect.code[:2]


def test_strand_and_aspect_titles_are_the_seeds(fw):
    assert fw.group_title("1a") == "The school's overall vision (role of technology)"
    assert fw.group_title("1c") == (
        "Business functions, Information Management, Data and Communication"
    )
    assert fw.group_title("5a") == "Developing and sharing staff digital capability"
    assert fw.aspect("1b-9").title == (
        "Monitoring and evaluating the use of technology for the business functions of the school"
    )
    assert fw.aspect("1c-5").title == "Legislative requirements and compliance"
    assert fw.aspect("5a-2").title == "Meeting school and individual development needs"
    assert fw.aspect("5a-4").title == "Meeting Digital Safeguarding Needs"


def test_levels_run_from_4_least_developed_to_1_best(fw):
    assert tuple(level.label for level in fw.levels) == EXPECTED_LABELS
    assert tuple(level.rank for level in fw.levels) == (1, 2, 3, 4)


def test_each_level_accepts_level_n_as_an_alias(fw):
    for level in fw.levels:
        assert f"Level {level.label}" in level.aliases


def test_publisher_and_licence_are_not_stated_because_the_seeds_do_not_state_them(fw):
    assert fw.publisher == "not stated"
    assert fw.licence == "not stated"


@pytest.mark.parametrize("code,label,sentence", SEED_SENTENCES)
def test_seed_sentence_is_in_the_right_aspect_at_the_right_level(fw, code, label, sentence):
    descriptor = fw.aspect(code).descriptor(RANK[label])
    assert descriptor is not None
    assert norm(sentence) in norm(descriptor.text)


def test_restored_5a_2_paragraphs_are_in_reading_order(fw):
    aspect = fw.aspect("5a-2")
    assert paragraphs(aspect.descriptor(RANK["4"])) == [
        "Education technology professional development opportunities take only limited account "
        "of individual and specific whole\u2010school priorities. The effectiveness of training is "
        "not regularly evaluated.",
        "Some attempt is made to widen the range of development opportunities.",
        "Ad hoc mentoring or coaching takes place when required.",
    ]
    level_1 = paragraphs(aspect.descriptor(RANK["1"]))
    assert len(level_1) == 3
    assert level_1[2] == (
        "Innovative approaches to individual support through local and remote coaching and "
        "mentoring are a key part of meeting individual needs."
    )
    assert "Ad hoc" not in norm(aspect.descriptor(RANK["1"]).text)


def test_restored_5a_4_level_4_paragraph_is_not_left_under_level_1(fw):
    aspect = fw.aspect("5a-4")
    level_1 = norm(aspect.descriptor(RANK["1"]).text)
    assert "There are few opportunities" not in level_1
    assert paragraphs(aspect.descriptor(RANK["1"]))[0] == (
        "The school has clear and effective training arrangements for all staff, governors, and "
        "the wider school community in respect of digital safeguarding and changing "
        "technologies. This is embedded, regularly reviewed, and updated."
    )


def test_continuation_rows_become_paragraphs_in_column_order(fw):
    assert paragraphs(fw.aspect("1b-1").descriptor(RANK["4"])) == [
        "The leadership of technology has been left to one or two individuals who are not part "
        "of the senior leadership team. Governor involvement is limited.",
        "Impact of this approach is narrow and has little or no associated documented evidence.",
        "Lines of accountability are unclear, and impact is difficult to demonstrate.",
    ]
    # 1b-8 has no level 4 cell in its second row.
    assert len(paragraphs(fw.aspect("1b-8").descriptor(RANK["4"]))) == 2
    assert len(paragraphs(fw.aspect("1b-8").descriptor(RANK["3"]))) == 3


def test_sentence_is_not_under_a_neighbouring_level(fw):
    # Guards against an off-by-one in level order ("1" is best, rank 4).
    best = norm(fw.aspect("1b-5").descriptor(RANK["1"]).text)
    least = norm(fw.aspect("1b-5").descriptor(RANK["4"]).text)
    assert "total cost of ownership" in best
    assert "total cost of ownership" not in least


def test_typo_fixes_are_listed_in_the_notes(fw):
    notes = "\n".join(fw.notes)
    assert "Fixed typo 'whole- school' -> 'whole-school' in 1b-2 4" in notes
    assert "Fixed typo 'outward- looking' -> 'outward-looking' in 1b-3 1" in notes
    assert "whole-school approach" in norm(fw.aspect("1b-2").descriptor(RANK["4"]).text)
    assert "outward-looking" in norm(fw.aspect("1b-3").descriptor(RANK["1"]).text)


def test_every_aspect_has_a_non_empty_descriptor_for_every_level(fw):
    for aspect in fw.aspects:
        if aspect.kind != "aspect":
            continue
        for level in fw.levels:
            descriptor = aspect.descriptor(level.rank)
            assert descriptor is not None, (aspect.code, level.label)
            assert descriptor.text.strip(), (aspect.code, level.label)
