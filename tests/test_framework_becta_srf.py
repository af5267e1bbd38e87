"""The built-in becta-srf framework: Becta Self-review framework, element 1
Leadership and management (seed 002_36050ad6e1528efb.txt)."""

import pytest

from sheetreview.framework import builtin

FRAMEWORK_ID = "becta-srf"

EXPECTED_CODES = (
    "1a1",
    "1a2",
    "1b1",
    "1b2",
    "1b3",
    "1b4",
    "1b5",
    "1b6",
    "1c1",
    "1c2",
    "1c3",
    "1c4",
)

EXPECTED_LABELS = ("Level 5", "Level 4", "Level 3", "Level 2", "Level 1")

# rank is level_rank: 1 = "Level 5" (least developed) ... 5 = "Level 1" (best).
RANK = {label: i + 1 for i, label in enumerate(EXPECTED_LABELS)}

# (aspect code, level label, sentence copied from the seed)
SEED_SENTENCES = [
    ("1a1", "Level 5", "The school's overall vision takes no account of ICT."),
    (
        "1a1",
        "Level 1",
        "It is understood and embraced by all, or nearly all, staff, governors and pupils "
        "and is supported by parents/carers and the wider community.",
    ),
    ("1a2", "Level 5", "The school's overall vision takes no account of ICT."),
    (
        "1a2",
        "Level 3",
        "This review is beginning to be informed by the outcomes of internal evaluations "
        "of the impact of ICT.",
    ),
    (
        "1b1",
        "Level 4",
        "The leadership of ICT has been left to one or two individuals who are not part "
        "of the senior leadership team.",
    ),
    ("1b1", "Level 1", "Systems are in place to develop and sustain this quality of leadership."),
    (
        "1b2",
        "Level 2",
        "ICT planning is well informed and fully integrated into school improvement "
        "planning, setting challenging targets across the school.",
    ),
    ("1b3", "Level 1", "Budgeting takes account of the total cost of ownership of ICT."),
    (
        "1b4",
        "Level 3",
        "The school understands the environmental impact of its ICT strategy and has "
        "identified some measures which could reduce this.",
    ),
    (
        "1b5",
        "Level 5",
        "The lack of a coordinated approach to e-safety results in inconsistent practices.",
    ),
    (
        "1b5",
        "Level 2",
        "The school engages regularly with parents/carers to promote the e-safety of "
        "pupils beyond the school.",
    ),
    (
        "1b6",
        "Level 1",
        "All ICT expenditure is subject to rigorous evaluation in terms of its impact on "
        "pupils' achievements.",
    ),
    (
        "1c1",
        "Level 4",
        "The school's information management strategy is not well defined and there are "
        "inconsistent approaches to implementation.",
    ),
    (
        "1c2",
        "Level 2",
        "This is implemented effectively to track pupils' progress, set targets and report "
        "(online where appropriate) to parents/carers and other stakeholders.",
    ),
    ("1c3", "Level 5", "There is no strategy for the use of ICT to support communication."),
    (
        "1c3",
        "Level 1",
        "The school promotes strongly the environmental benefits of electronic "
        "communication and storage.",
    ),
    (
        "1c4",
        "Level 2",
        "The school has published clear guidelines for staff - and where appropriate for "
        "pupils - outlining their responsibilities in relation to Data Protection, Freedom "
        "of Information and Copyright Protection.",
    ),
    (
        "1c4",
        "Level 1",
        "The school takes steps to make parents/carers aware of current legislation.",
    ),
]


def norm(text):
    return " ".join(text.split())


@pytest.fixture(scope="module")
def fw():
    return builtin(FRAMEWORK_ID)


def test_has_the_twelve_aspects_1a1_to_1c4_in_source_order(fw):
    assert len(fw.aspects) == 12
    assert tuple(a.code for a in fw.aspects) == EXPECTED_CODES


def test_aspects_sit_in_the_strand_their_code_names(fw):
    for aspect in fw.aspects:
        assert aspect.group == aspect.code[:2]


def test_aspect_titles_are_the_seeds(fw):
    assert fw.aspect("1a1").title == "The vision"
    assert fw.aspect("1b5").title == "Safeguarding"
    assert fw.aspect("1c4").title == "Legislative requirements related to ICT"


def test_levels_run_from_level_5_least_developed_to_level_1_best(fw):
    assert tuple(level.label for level in fw.levels) == EXPECTED_LABELS
    assert tuple(level.rank for level in fw.levels) == (1, 2, 3, 4, 5)


def test_each_level_accepts_its_bare_number_as_an_alias(fw):
    for level in fw.levels:
        assert level.label.split()[-1] in tuple(level.aliases)


@pytest.mark.parametrize("code,label,sentence", SEED_SENTENCES)
def test_seed_sentence_is_in_the_right_aspect_at_the_right_level(fw, code, label, sentence):
    descriptor = fw.aspect(code).descriptor(RANK[label])
    assert descriptor is not None
    assert norm(sentence) in norm(descriptor.text)


def test_seed_sentence_is_not_under_a_neighbouring_level(fw):
    # Guards against an off-by-one in level order (Level 1 is best, rank 5).
    best = fw.aspect("1b3").descriptor(RANK["Level 1"]).text
    least = fw.aspect("1b3").descriptor(RANK["Level 5"]).text
    assert "total cost of ownership" in norm(best)
    assert "total cost of ownership" not in norm(least)
    assert norm(least) == (
        "The school does not budget in a planned way for the long-term development "
        "and renewal of ICT."
    )


def test_every_aspect_has_a_non_empty_descriptor_for_every_level(fw):
    for aspect in fw.aspects:
        if aspect.kind != "aspect":
            continue
        for level in fw.levels:
            descriptor = aspect.descriptor(level.rank)
            assert descriptor is not None, (aspect.code, level.label)
            assert descriptor.text.strip(), (aspect.code, level.label)
