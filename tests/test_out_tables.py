"""OUT's CSV tables: the one-scan shortcuts find every value that needs a guard, and no other."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sheetreview.core import out
from sheetreview.errors import OutputError


def test_guard_and_restore_find_values_wherever_they_are(tmp_path):
    table = pd.DataFrame(
        {
            "text": ["plain", "a line\n=not at the start", "=1+1", "'quoted"],
            "mixed": [1, "@SUM(A1)", None, "-2"],
            "carriage": ["one\rtwo", "x", "y", "z"],
        }
    )
    guarded = out.guard_table(table.copy())
    assert guarded["text"].tolist() == ["plain", "a line\n=not at the start", "'=1+1", "'quoted"]
    assert guarded["mixed"].tolist() == [1, "'@SUM(A1)", None, "-2"]
    out.write_table(table, tmp_path / "t.csv")
    back = out.read_table(tmp_path, "t.csv")
    assert back["text"].tolist() == table["text"].tolist()
    assert back["carriage"].tolist() == ["one\rtwo", "x", "y", "z"]


def test_text_without_a_trigger_is_left_as_it_is():
    table = pd.DataFrame({"evidence": ["It's fine.\n'Quoted' inside", "Plain"] * 1000})
    assert out.guard_table(table) is table  # nothing to guard: no copy
    assert out.restore_table(table.copy())["evidence"].equals(table["evidence"])


def test_rows_read_without_pandas_are_the_table_read_with_it(tmp_path: Path) -> None:
    from sheetreview.core.out import read_records, read_table, write_rows

    rows = [["0123", "=1+1", "NA", ""], ["", "multi\nline, quoted", "'kept", "x"]]
    write_rows(tmp_path / "t.csv", ["urn", "text", "name", "last"], rows)
    table = read_table(tmp_path, "t.csv", ["urn", "text"])
    assert read_records(tmp_path, "t.csv", ["urn", "text"]) == table.to_dict("records")
    assert read_records(tmp_path, "t.csv")[0]["text"] == "=1+1"
    for read in (read_table, read_records):
        with pytest.raises(OutputError, match="has no column absent"):
            read(tmp_path, "t.csv", ["urn", "absent"])
