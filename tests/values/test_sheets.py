"""values.sheets and values.dates' Excel serial days: the helpers readers and writers share."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledgerflow.values import EXCEL_EPOCH, column_index, column_letters, excel_serial


@pytest.mark.parametrize(("col", "letters"), [
    (0, "A"), (25, "Z"), (26, "AA"), (51, "AZ"), (52, "BA"), (701, "ZZ"), (702, "AAA"),
    (16_383, "XFD"),
])
def test_column_letters(col: int, letters: str) -> None:
    assert column_letters(col) == letters
    assert column_index(letters) == col
    assert column_index(letters.lower()) == col
    assert column_index(letters.encode()) == col


@given(st.integers(min_value=0, max_value=16_383))
def test_column_letters_round_trip(col: int) -> None:
    assert column_index(column_letters(col)) == col


@pytest.mark.parametrize("col", [-1, 16_384])
def test_columns_beyond_excel_are_refused(col: int) -> None:
    with pytest.raises(ValueError, match="from 0 to 16383"):
        column_letters(col)


def test_excel_serial_days() -> None:
    assert excel_serial(EXCEL_EPOCH) == 0
    assert excel_serial(dt.date(1900, 3, 1)) == 61  # Excel's own number for that day
    assert excel_serial(dt.date(2026, 10, 5)) == 46300
