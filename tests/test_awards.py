"""Awards as data: rules in a small vocabulary, checked at load, evaluated on hand-built cohorts."""

from __future__ import annotations

import pandas as pd
import pytest

from sheetreview.errors import FrameworkError
from sheetreview.framework import builtin, from_dict, load_file, parse_framework
from sheetreview.report.awards import (
    NONE,
    add_award_ready,
    award_counts,
    award_ready,
    award_text,
    gap_to_next,
    school_levels,
)

PD = builtin("pd-quality-mark")
STRANDS = [a for a in PD.aspects if a.kind == "aspect"]

SMALL = """\
format: 1
id: small
title: Small
version: "1"
levels: [Low, Middle, High]
groups:
  - {code: G1, title: First area}
  - {code: G2, title: Second area}
aspects:
  - {code: A1, title: One, group: G1, descriptors: {Low: a, Middle: b, High: c}}
  - {code: A2, title: Two, group: G1, descriptors: {Low: a, Middle: b, High: c}}
  - {code: B1, title: Three, group: G2, descriptors: {Low: a, Middle: b, High: c}}
  - {code: B2, title: Four, group: G2, descriptors: {Low: a, Middle: b, High: c}}
  - {code: S, title: Summary, group: G2, kind: summary}
"""

AWARDS = """\
awards:
  - name: Pass
    rules:
      - level: Middle
  - name: Merit
    rules:
      - {level: Middle}
      - {level: High, count: 1, per: group}
  - name: Distinction
    rules:
      - {level: High, aspects: [A1, A2, B1, B2]}
"""


def levels(fw, ranks):
    return dict(zip([a.code for a in fw.aspects if a.kind == "aspect"], ranks, strict=True))


def test_pd_quality_mark_ships_bronze_silver_gold_and_states_its_reading():
    assert [a.name for a in PD.awards] == ["Bronze", "Silver", "Gold"]
    assert any("reading" in note for note in PD.award_notes)
    assert award_text(PD, PD.awards[2]) == (
        "Gold: every aspect at Enhancing or above; at least 3 aspects in each group at Embedded or above"
    )


def test_pd_quality_mark_awards_on_hand_built_schools():
    # per area (4 strands each): ranks 1 Developing, 2 Enhancing, 3 Embedded
    assert award_ready(PD, levels(PD, [1] * 16)) == "Bronze"
    assert award_ready(PD, levels(PD, [2, 2, 2, 1] * 4)) == "Silver"
    assert award_ready(PD, levels(PD, [2, 2, 1, 1] * 4)) == "Bronze"
    assert award_ready(PD, levels(PD, [3, 3, 3, 2] * 4)) == "Gold"
    assert award_ready(PD, levels(PD, [3, 3, 3, 1] * 4)) == "Silver"  # one strand still Developing
    some = levels(PD, [3] * 16)
    del some[STRANDS[0].code]  # a strand not judged holds no level
    assert award_ready(PD, some) == NONE


def test_the_gap_names_the_strands_between_a_school_and_the_next_award():
    award, gaps = gap_to_next(PD, levels(PD, [2, 2, 1, 1] + [2, 2, 2, 2] * 3))
    assert award.name == "Silver"
    [gap] = gaps
    assert gap.scope == "Leadership of Professional Development" and gap.more == 1
    assert [c for c, _t, _n in gap.candidates] == ["LPD-SP", "LPD-BV"]
    assert gap.sentence() == (
        "In Leadership of Professional Development: 1 more of LPD-SP (Developing), "
        "LPD-BV (Developing) to reach Enhancing"
    )
    assert gap_to_next(PD, levels(PD, [3] * 16)) == (None, [])


def test_a_users_own_rule_file_replaces_the_rules(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text(SMALL + AWARDS, encoding="utf-8")
    fw = load_file(path)
    assert award_ready(fw, {"A1": 2, "A2": 2, "B1": 2, "B2": 2}) == "Pass"
    assert award_ready(fw, {"A1": 3, "A2": 2, "B1": 2, "B2": 3}) == "Merit"
    assert award_ready(fw, {"A1": 3, "A2": 3, "B1": 3, "B2": 3, "S": 1}) == "Distinction"
    assert award_ready(fw, {"A1": 1, "A2": 3, "B1": 3, "B2": 3}) == NONE
    assert from_dict(fw.to_dict()).awards == fw.awards  # as report reads it back from OUT


def test_awards_do_not_change_the_content_hash_a_return_carries():
    bare = parse_framework(SMALL, "small.yaml")
    with_awards = parse_framework(SMALL + AWARDS, "small.yaml")
    assert bare.content_hash == with_awards.content_hash


@pytest.mark.parametrize(
    ("rules", "line", "words"),
    [
        ("      - {level: High, aspects: [A1, C9]}\n", 18, "'C9' is not an aspect code"),
        ("      - {level: High, groups: [G3]}\n", 18, "'G3' is not a group code"),
        ("      - {level: Top}\n", 18, "'Top' is not a level"),
        ("      - {level: High, count: 3, per: group}\n", 18, "more than the 2 aspect(s)"),
        ("      - {level: High, per: area}\n", 18, "'per: area' is not known"),
        ("      - {level: High, least: 2}\n", 18, "'least' is not part of a rule"),
    ],
)
def test_a_bad_rule_is_refused_at_load_with_its_line_and_fix(rules, line, words):
    text = SMALL + "awards:\n  - name: Only\n    rules:\n" + rules
    with pytest.raises(FrameworkError) as info:
        parse_framework(text, "small.yaml")
    message = str(info.value)
    assert message.startswith(f"small.yaml, line {line}")
    assert words in message


def test_award_ready_uses_moderated_levels_where_they_exist():
    fw = parse_framework(SMALL + AWARDS, "small.yaml")
    rows = pd.DataFrame(
        {
            "round": ["r"] * 4,
            "framework": ["small"] * 4,
            "school": ["1"] * 4,
            "aspect_code": ["A1", "A2", "B1", "B2"],
            "rank": [3.0, 3.0, 3.0, 3.0],
        }
    )
    moderated = pd.DataFrame(
        {"round": ["r"], "framework": ["small"], "school": ["1"], "aspect_code": ["A2"],
         "moderated_rank": [2]}
    )  # fmt: skip
    overall = pd.DataFrame({"round": ["r"], "framework": ["small"], "school": ["1"]})
    own = add_award_ready(overall, school_levels(rows), {"small": fw})
    assert list(own["award_ready"]) == ["Distinction"]
    checked = add_award_ready(overall, school_levels(rows, moderated), {"small": fw})
    assert list(checked["award_ready"]) == ["Merit"]
    assert award_counts(checked, fw) == [("Distinction", 0), ("Merit", 1), ("Pass", 0), ("none", 0)]


def test_a_framework_without_awards_leaves_award_ready_empty():
    edtech = builtin("edtech-srf")
    assert award_ready(edtech, {"1a-1": 4}) == ""
