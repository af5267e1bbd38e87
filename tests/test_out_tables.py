"""OUT's CSV tables: the one-scan shortcuts find every value that needs a guard, and no other."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


# Text that can start a field, end a line or be guarded, in any order.
FIELDS = st.text(alphabet="'\"=+-@,\r\n\tab 1", max_size=8)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(FIELDS, FIELDS), min_size=1, max_size=6))
def test_bytes_said_to_hold_no_guarded_value_hold_none(rows):
    """may_hold_guarded lets a reader skip restore: only when no value read starts with `'`."""
    data = out.csv_text(["a", "b"], rows).encode("utf-8")
    if out.may_hold_guarded(data):
        return
    import io

    table = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, na_filter=False)
    assert not any(v.startswith("'") for column in table.columns for v in table[column])


def test_bytes_of_a_guarded_value_are_said_to_hold_one():
    for value in ("=1+1", "'=1", "'quoted", "-x", "\rx", "\tx"):
        for first in ("x", value):
            data = out.csv_text(["a", "b"], [[first, value]]).encode("utf-8")
            assert out.may_hold_guarded(data), (first, value)
    assert not out.may_hold_guarded(out.csv_text(["a"], [["It's fine"], ["x 'y'"]]).encode())


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(FIELDS, FIELDS), min_size=1, max_size=6),
    st.integers(1, 7),
    st.sampled_from([100, 1]),
)
def test_a_file_scanned_in_chunks_is_said_to_hold_a_guarded_value_when_it_does(rows, size, limit):
    """The report reads responses.csv without restoring it only when its scan found no value
    that restore could change, wherever the scan's chunks cut the file, and also when the file
    has more lines than the Evidence sheet takes (`limit`)."""
    import tempfile

    from sheetreview.report import build

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "t.csv"
        path.write_bytes(out.csv_text(["a", "b"], rows).encode("utf-8"))
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(build, "SCAN_CHUNK", size)
            fits, guarded = build._scan(path, limit)
        table = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
        lines = path.read_bytes().count(b"\n")
    assert fits == (lines <= limit)
    if any(v.startswith("'") for column in table.columns for v in table[column]):
        assert guarded


def _written_as_before(table: pd.DataFrame, path: Path) -> bytes:
    """write_table as it was: the guard's scan and the CR's scan each joining every column."""
    import csv

    table = table.copy()
    for column in table.columns:
        values = table[column]
        if values.dtype != object:
            continue
        text = values.astype(str)
        risky = text.str.startswith(out._TRIGGERS + ("'",)) & values.map(
            lambda v: isinstance(v, str)
        )
        table.loc[risky, column] = text[risky].map(out.neutralise)
    has_cr = any(
        table[c].astype(str).str.contains("\r", regex=False).any()
        for c in table.columns
        if table[c].dtype == object
    )
    quoting = csv.QUOTE_NONNUMERIC if has_cr else csv.QUOTE_MINIMAL
    table.to_csv(path, index=False, encoding="utf-8", lineterminator="\n", quoting=quoting)
    return path.read_bytes()


CELLS = st.one_of(FIELDS, st.none(), st.integers(-3, 3), st.floats(allow_nan=True, width=16))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(FIELDS, CELLS, st.floats(-5, 5)), min_size=1, max_size=5))
def test_a_table_is_written_byte_for_byte_as_before(rows):
    """One scan per column answers both the guard's and the CR's question: same bytes."""
    import tempfile

    table = pd.DataFrame(rows, columns=["text", "mixed", "number"])
    with tempfile.TemporaryDirectory() as folder:
        before = _written_as_before(table, Path(folder) / "before.csv")
        out.write_table(table, Path(folder) / "now.csv")
        assert (Path(folder) / "now.csv").read_bytes() == before
