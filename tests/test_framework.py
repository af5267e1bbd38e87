"""The loader: built-in definitions load whole; a malformed user file gets one located, fixable message."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from sheetreview.cli import cli
from sheetreview.errors import FrameworkError
from sheetreview.framework import all_builtin, builtin, builtin_ids, from_dict, load_file

EXPECTED = {
    "becta-srf": (12, ["Level 5", "Level 4", "Level 3", "Level 2", "Level 1"]),
    "edtech-srf": (21, ["4", "3", "2", "1"]),
    "lp-steps": (
        6,
        ["Step 1 Aware", "Step 2 Develop", "Step 3 Adopt", "Step 4 Integrate", "Step 5 Transform"],
    ),
    "pd-quality-mark": (21, ["Developing", "Enhancing", "Embedded"]),
}

GOOD = """\
format: 1
id: tiny
title: A tiny framework
version: "1"
levels:
  - label: Low
  - label: High
aspects:
  - code: A1
    title: First
    descriptors:
      Low: {text: "Not yet."}
      High: {text: "Always."}
  - code: A2
    title: Second
    descriptors:
      Low: {text: "Not yet."}
      High: {text: "Always."}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mine.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_the_four_builtin_frameworks_are_shipped():
    assert builtin_ids() == sorted(EXPECTED)


@pytest.mark.parametrize("framework_id", sorted(EXPECTED))
def test_builtin_framework_loads_with_expected_counts(framework_id):
    fw = builtin(framework_id)
    count, labels = EXPECTED[framework_id]
    assert len(fw.aspects) == count
    assert [lv.label for lv in fw.levels] == labels
    assert [lv.rank for lv in fw.levels] == list(range(1, len(labels) + 1))
    assert len({a.code for a in fw.aspects}) == count
    assert fw.publisher and fw.licence and fw.version
    assert len(fw.content_hash) == 16


def test_every_descriptor_of_every_builtin_aspect_is_present_and_non_empty():
    for fw in all_builtin():
        for aspect in fw.aspects:
            if aspect.kind == "aspect":
                assert [d.rank for d in aspect.descriptors] == [lv.rank for lv in fw.levels], (
                    aspect.code
                )
                assert all(d.text.strip() for d in aspect.descriptors), aspect.code


def test_lp_steps_credits_becta_under_cc_by():
    fw = builtin("lp-steps")
    assert fw.publisher == "Becta"
    assert "CC BY 3.0" in fw.licence
    assert "Becta" in fw.attribution


def test_definition_survives_json_round_trip():
    for fw in all_builtin():
        again = from_dict(json.loads(json.dumps(fw.to_dict())))
        assert again.aspects == fw.aspects
        assert again.levels == fw.levels
        assert again.content_hash == fw.content_hash


def test_a_good_user_file_loads(tmp_path):
    fw = load_file(write(tmp_path, GOOD))
    assert fw.id == "tiny"
    assert fw.aspect("A2").descriptor(2).text == "Always."


def _error(tmp_path: Path, text: str) -> FrameworkError:
    with pytest.raises(FrameworkError) as info:
        load_file(write(tmp_path, text))
    return info.value


def test_yaml_syntax_error_names_the_line(tmp_path):
    err = _error(tmp_path, GOOD.replace("title: First", "title: [First"))
    assert "mine.yaml" in str(err)
    assert "line" in str(err) and "not valid YAML" in str(err)


def test_no_levels_is_refused_with_the_fix(tmp_path):
    text = GOOD.replace("levels:\n  - label: Low\n  - label: High\n", "levels: []\n")
    err = _error(tmp_path, text)
    assert "levels" in str(err) and "at least two levels" in str(err)


def test_duplicate_aspect_code_names_both_places(tmp_path):
    err = _error(tmp_path, GOOD.replace("code: A2", "code: A1"))
    message = str(err)
    assert "line 14" in message and "aspects[1].code" in message
    assert "'A1' is used twice" in message and "give each aspect its own code" in message


def test_descriptor_for_a_level_that_does_not_exist(tmp_path):
    err = _error(
        tmp_path,
        GOOD.replace(
            '      High: {text: "Always."}\n  - code: A2',
            '      Hihg: {text: "Always."}\n  - code: A2',
        ),
    )
    assert "'Hihg' is not a level of this framework; use one of: Low, High" in str(err)


def test_missing_descriptor_says_which_level(tmp_path):
    text = GOOD.replace(
        '      Low: {text: "Not yet."}\n      High: {text: "Always."}\n  - code: A2',
        "  - code: A2",
        1,
    )
    text = text.replace("    title: First\n    descriptors:\n", "    title: First\n")
    err = _error(tmp_path, text)
    assert "aspect 'A1' has no descriptor for 'Low', 'High'" in str(err)
    assert "line 9" in str(err)


def test_missing_file_is_a_user_error(tmp_path):
    with pytest.raises(FrameworkError, match="does not exist"):
        load_file(tmp_path / "nope.yaml")


# --- CLI ----------------------------------------------------------------------------------


def test_cli_lists_the_four_frameworks():
    result = CliRunner().invoke(cli, ["frameworks"])
    assert result.exit_code == 0
    for framework_id in EXPECTED:
        assert framework_id in result.output


def test_cli_show_json_prints_every_aspect_with_full_descriptors():
    result = CliRunner().invoke(cli, ["frameworks", "show", "edtech-srf", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["id"] == "edtech-srf"
    assert [lv["label"] for lv in data["levels"]] == ["4", "3", "2", "1"]
    assert len(data["aspects"]) == 21
    for aspect in data["aspects"]:
        assert {"code", "title", "group", "kind", "descriptors"} <= set(aspect)
        assert [d["rank"] for d in aspect["descriptors"]] == [1, 2, 3, 4]
        assert all(d["text"] and isinstance(d["sections"], dict) for d in aspect["descriptors"])


def test_cli_show_unknown_framework_exits_1_with_one_line():
    result = CliRunner().invoke(cli, ["frameworks", "show", "nosuch"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: nosuch: is not a built-in framework; choose one of: "
        "becta-srf, edtech-srf, lp-steps, pd-quality-mark, or pass --framework-file PATH"
    ]


def test_cli_malformed_framework_file_exits_1_without_traceback(tmp_path):
    path = write(tmp_path, GOOD.replace("code: A2", "code: A1"))
    result = CliRunner().invoke(cli, ["frameworks", "show", "--framework-file", str(path)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "is used twice" in result.output


def test_cli_usage_error_exits_2():
    result = CliRunner().invoke(cli, ["frameworks", "show", "--bogus"])
    assert result.exit_code == 2


def test_cli_version_and_help_have_examples():
    assert CliRunner().invoke(cli, ["--version"]).output.startswith("sheetreview, version")
    for command in (
        ["frameworks"],
        ["frameworks", "show"],
        ["generate"],
        ["ingest"],
        ["report"],
        ["run"],
        ["feedback"],
        ["packs"],
        ["demo"],
    ):
        result = CliRunner().invoke(cli, [*command, "--help"])
        assert result.exit_code == 0
        assert "Example:" in result.output


VERSIONED = GOOD.replace('version: "1"', 'version: "2"') + (
    'previous_versions:\n  - version: "1"\n    aspects:\n      OLD1: A1\n      GONE: ~\n'
)


def test_previous_version_codes_map_to_current_ones(tmp_path):
    fw = load_file(write(tmp_path, VERSIONED))
    assert fw.current_code("1", "OLD1") == "A1"
    assert fw.current_code("1", "GONE") is None
    assert fw.current_code("1", "A2") == "A2"  # unlisted: unchanged
    assert fw.current_code("2", "A1") == "A1"
    assert from_dict(fw.to_dict()).previous_versions == fw.previous_versions


def test_mapping_to_a_code_that_does_not_exist_is_refused(tmp_path):
    err = _error(tmp_path, VERSIONED.replace("OLD1: A1", "OLD1: A9"))
    assert "'A9' is not an aspect code of this version" in str(err)
    assert "previous_versions[0].aspects.OLD1" in str(err)


def test_every_builtin_framework_declares_a_short_name_for_sheet_names():
    for fw in all_builtin():
        assert fw.short_name and len(fw.short_name) <= 12, fw.id
        assert fw.sheet_label == fw.short_name


def test_short_name_is_checked_and_not_part_of_the_content_hash(tmp_path):
    text = (Path(__file__).parent.parent / "src/sheetreview/frameworks/lp-steps.yaml").read_text(
        encoding="utf-8"
    )
    renamed = tmp_path / "renamed.yaml"
    renamed.write_text(text.replace('short_name: "LP Steps"', 'short_name: "Steps"'), "utf-8")
    assert load_file(renamed).short_name == "Steps"
    assert load_file(renamed).content_hash == builtin("lp-steps").content_hash
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace('short_name: "LP Steps"', 'short_name: "Steps: [2025]"'), "utf-8")
    with pytest.raises(FrameworkError, match="short_name"):
        load_file(bad)


def test_short_name_survives_the_saved_definition():
    fw = builtin("pd-quality-mark")
    assert from_dict(fw.to_dict()).short_name == "PD QM"
