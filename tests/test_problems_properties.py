"""Whatever a return holds, a problem about it is worded whole and reaches OUT and back intact."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from sheetreview.core import out
from sheetreview.problems import Code, problem

# Text as a school's cell may hold it: formulas, quotes, braces, line breaks, any letters.
cell_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\n\"'{}=+-@,"),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(code=st.sampled_from(list(Code)), text=cell_text, located=st.booleans())
def test_every_code_is_worded_whole_for_any_value(code: Code, text: str, located: bool) -> None:
    values = dict.fromkeys(code.entry.fields(), text)
    sheet, cell = ("Review", "F7") if located else ("", "")
    found = problem(code, "a.xlsx", sheet, cell, **values)
    assert found.message == f"{found.where}{found.found} {found.officer_action}"
    assert found.found.startswith("This file ") == code.entry.whole_file
    if "{" in code.entry.found:
        assert text in found.found
    assert found.school_action == code.entry.school.format(**values)


@settings(max_examples=50, deadline=None)
@given(code=st.sampled_from(list(Code)), text=cell_text)
def test_problem_rows_survive_problems_csv(code: Code, text: str) -> None:
    values = dict.fromkeys(code.entry.fields(), text)
    row = problem(code, f"{text}.xlsx", "Review", "F7", **values).as_row()
    with tempfile.TemporaryDirectory() as folder:
        out.write_rows(Path(folder) / out.PROBLEMS, out.PROBLEMS_COLUMNS, [list(row.values())])
        [back] = out.read_table(Path(folder), out.PROBLEMS, out.PROBLEMS_COLUMNS).to_dict("records")
    assert back == row
