"""Every value parser: the shape of its result (index, dtypes, blank cells)."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from parsed import IDX, NBSP, NNBSP, assert_clean_message, listed

from ledgerflow.contract import CLIENT_TYPES
from ledgerflow.values import (
    parse_bool,
    parse_choice,
    parse_country,
    parse_currency,
    parse_date,
    parse_decimal,
    parse_money,
    parse_tax_id,
    parse_text,
    parse_whole,
)
from ledgerflow.values.cells import (
    cell_text,
    datetime_text,
    float_text,
    plural,
    show,
    storage,
)

# --------------------------------------------------------------------------------------------
# shape of every result
# --------------------------------------------------------------------------------------------

PARSERS = {
    "text": parse_text,
    "money": lambda r: parse_money(r, 2),
    "decimal": parse_decimal,
    "whole": parse_whole,
    "date": parse_date,
    "bool": parse_bool,
    "choice": lambda r: parse_choice(r, CLIENT_TYPES, "client_type"),
    "currency": parse_currency,
    "country": parse_country,
    "tax_id": parse_tax_id,
}

RAWS = {
    "object": pd.Series(["12", None, "  "], index=IDX, dtype=object),
    "str": pd.Series(["12", None, "x"], index=IDX, dtype="str"),
    "float": pd.Series([12.0, np.nan, 1.5], index=IDX),
    "int": pd.Series([12, 0, 1], index=IDX),
    "bool": pd.Series([True, False, True], index=IDX),
    "datetime": pd.Series(pd.to_datetime(["2026-10-05 00:00", None, "2026-01-01 10:00"]),
                          index=IDX),
    "mixed": pd.Series([1.5, "x", dt.date(2026, 1, 1)], index=IDX, dtype=object),
    "empty": pd.Series([], dtype=object),
}


@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.parametrize("raw", RAWS)
def test_index_and_dtypes_are_preserved(parser: str, raw: str) -> None:
    cells = RAWS[raw]
    parsed = PARSERS[parser](cells)
    for series in (parsed.values, parsed.rule, parsed.message, parsed.blank):
        assert series.index.equals(cells.index)
    assert parsed.rule.dtype == "str"
    assert parsed.message.dtype == "str"
    assert parsed.blank.dtype == bool
    # an error always has a message, and a row in error has no value
    assert (parsed.rule.notna() == parsed.message.notna()).all()
    assert not (parsed.rule.notna() & parsed.values.notna()).any()
    assert not (parsed.rule.notna() & parsed.blank).any()
    for message in parsed.message.dropna():
        assert_clean_message(message)


@pytest.mark.parametrize("parser", PARSERS)
def test_blank_cells_are_na_without_error(parser: str) -> None:
    cells = pd.Series([None, np.nan, "", "   ", NBSP, f"\t{NNBSP}"], index=[10, 11, 12, 13, 14, 15],
                      dtype=object)
    parsed = PARSERS[parser](cells)
    assert parsed.blank.tolist() == [True] * 6
    assert parsed.values.isna().all()
    assert parsed.rule.isna().all()
    assert parsed.message.isna().all()


def test_result_value_dtypes() -> None:
    assert parse_money(pd.Series(["1"]), 2).values.dtype == "Int64"
    assert parse_decimal(pd.Series(["1"])).values.dtype == "Int64"
    assert parse_whole(pd.Series(["1"])).values.dtype == "Int64"
    assert parse_date(pd.Series(["2026-10-05"])).values.dtype == "datetime64[ns]"
    assert parse_bool(pd.Series(["yes"])).values.dtype == "boolean"
    assert parse_text(pd.Series([1.0])).values.dtype == "str"


# --------------------------------------------------------------------------------------------
# a cell as a person sees it, in a message and as text
# --------------------------------------------------------------------------------------------


def test_show_quotes_a_cell_without_control_characters_and_cuts_it_at_60() -> None:
    assert show("Орхидея") == "'Орхидея'"
    assert show(12.5) == "'12.5'"
    assert show("a\x00b\tc\x1bd\x7fe\x85f") == "'a b c d e f'"
    assert show("x" * 60) == "'" + "x" * 60 + "'"
    assert show("x" * 57 + "yyyy") == "'" + "x" * 57 + "…'"
    assert show("") == "''"
    assert show(" a ") == "' a '"  # text is shown as it is given


def test_plural() -> None:
    assert [plural(n, "row") for n in (0, 1, 2)] == ["0 rows", "1 row", "2 rows"]


@pytest.mark.parametrize(("x", "text"), [
    (math.inf, "infinity"), (-math.inf, "-infinity"), (math.nan, "not a number"),
    (1e20, "100000000000000000000"), (1.5e-7, "0.00000015"), (-1e16, "-10000000000000000"),
    (-0.0, "0"), (0.0, "0"), (0.1 + 0.2, "0.3"), (1 / 3, "0.333333333333333"), (100.0, "100"),
    (-2.50, "-2.5"), (1.23456789012345678e5, "123456.789012346"),
])
def test_float_text_as_excel_shows_it(x: float, text: str) -> None:
    assert float_text(x) == text


def test_datetime_text() -> None:
    assert datetime_text(dt.datetime(2026, 10, 5)) == "2026-10-05"
    assert datetime_text(dt.datetime(2026, 10, 5, 13, 7, 9)) == "2026-10-05 13:07:09"
    moscow = pd.Timestamp("2026-10-05 23:30", tz="Europe/Moscow")
    assert datetime_text(moscow) == "2026-10-05 23:30:00"  # the wall-clock time as written
    assert datetime_text(pd.Timestamp("2026-10-05", tz="UTC")) == "2026-10-05"


@pytest.mark.parametrize(("cell", "text"), [
    (None, ""), (pd.NA, ""), (pd.NaT, ""), (np.nan, ""), (np.float32("nan"), ""),
    ("\u200b x \ufeff", "x"),  # a zero-width space and a byte-order mark are trimmed too
    (np.datetime64("NaT"), ""), (f"{NBSP} Орхидея\t", "Орхидея"), (True, "TRUE"),
    (False, "FALSE"), (np.bool_(True), "TRUE"), (np.bool_(False), "FALSE"), (7, "7"),
    (np.int64(-7), "-7"), (12.5, "12.5"), (np.float64(3.0), "3"), (Decimal("1.500"), "1.5"),
    (Decimal("100"), "100"), (Decimal("100.00"), "100"), (Decimal("-0.0"), "0"),
    (Decimal("1E+3"), "1000"), (Decimal("Infinity"), "Infinity"), (Decimal("NaN"), "NaN"),
    (dt.time(9, 30), "09:30:00"), (dt.date(2026, 10, 5), "2026-10-05"),
    (dt.datetime(2026, 10, 5, 9, 30), "2026-10-05 09:30:00"),
    (np.datetime64("2026-10-05T00:00"), "2026-10-05"), ([" a "], "[' a ']"),
])
def test_cell_text(cell: object, text: str) -> None:
    assert cell_text(cell) == text


@pytest.mark.parametrize(("raw", "kind"), [
    (pd.Series(["a", "b"], dtype="category"), "object"),
    (pd.Series([1, 2], dtype="category"), "object"),
    (pd.Series([True, None], dtype="boolean"), "bool"),
    (pd.Series([True, False]), "bool"),
    (pd.Series([1, 2]), "int"), (pd.Series([1, None], dtype="Int64"), "int"),
    (pd.Series([1.5]), "float"),
    (pd.Series(pd.to_datetime(["2026-10-05"])), "datetime"),
    (pd.Series(pd.to_datetime(["2026-10-05"]).tz_localize("UTC")), "datetime"),
    (pd.Series(["a"], dtype="str"), "object"), (pd.Series(["a", 1], dtype=object), "object"),
])
def test_storage(raw: pd.Series, kind: str) -> None:
    assert storage(raw) == kind


def test_mixed_cells_keep_a_bool_apart_from_an_equal_number() -> None:
    cells = pd.Series([True, 1, 1.0, " 1 ", "1", np.nan, "", None, False, 0, 0.0, True, "x ",
                       " x", Decimal("1"), dt.date(2026, 10, 5)], index=range(30, 46),
                      dtype=object)
    parsed = parse_text(cells)
    assert listed(parsed.values) == [
        "TRUE", "1", "1", "1", "1", None, None, None, "FALSE", "0", "0", "TRUE", "x", "x", "1",
        "2026-10-05"]
    assert parsed.blank.tolist() == [False] * 5 + [True] * 3 + [False] * 8
    assert parsed.values.index.tolist() == list(range(30, 46))
    # the first cells a bool, then numbers equal to it: still apart
    numbers_after = parse_text(pd.Series([False, 0, 1, True, 1.0], dtype=object))
    assert numbers_after.values.tolist() == ["FALSE", "0", "1", "TRUE", "1"]
    assert listed(parse_bool(pd.Series([True, 1, "2", 0, False, 2], dtype=object)).rule) == [
        None, None, "bool_format", None, None, "bool_format"]


def test_categorical_and_text_columns() -> None:
    category = pd.Series([" a", "b", None, "a "], dtype="category", index=[5, 6, 7, 8])
    parsed = parse_text(category)
    assert listed(parsed.values) == ["a", "b", None, "a"]
    assert parsed.blank.tolist() == [False, False, True, False]
    text = pd.Series([" a", "", None, "  ", "b"], dtype="str")
    assert listed(parse_text(text).values) == ["a", None, None, None, "b"]
    assert parse_text(text).blank.tolist() == [False, True, True, True, False]
    trimmed = pd.Series(["a", "b", "a"], dtype=object)
    assert parse_text(trimmed).values.tolist() == ["a", "b", "a"]
    empty_text = parse_text(pd.Series(["", "a", None, ""], dtype=object))  # the rest trimmed
    assert listed(empty_text.values) == [None, "a", None, None]
    assert empty_text.blank.tolist() == [True, False, True, True]


def test_a_float_one_before_a_true_cell_keeps_them_apart() -> None:
    parsed = parse_text(pd.Series([1.0, True, 0.0, False], dtype=object))
    assert listed(parsed.values) == ["1", "TRUE", "0", "FALSE"]


def test_zoned_date_cells_keep_the_date_as_written() -> None:
    # 01:00 in Moscow is 22:00 of the day before in UTC: the date written is the 6th
    moscow = pd.Series(pd.to_datetime(["2026-10-06 01:00", "2026-10-06 00:00"]).tz_localize(
        "Europe/Moscow"))
    assert listed(parse_date(moscow).values) == [pd.Timestamp("2026-10-06")] * 2
    assert listed(parse_text(moscow).values) == ["2026-10-06 01:00:00", "2026-10-06"]


@pytest.mark.parametrize(("cells", "digits"), [
    (["1.000001", "2.000001", "1.000001", "1.000001"], [2, 2, 3, 4]),
    (["1.000001", "2.000001", "3.000001", "1.000001"], [2, 2, 2, 3]),
])
def test_one_message_per_distinct_cell_and_row_setting(cells: list[str], digits: list[int]) -> None:
    """Float cells refused for their places: each row's message is made from its own cell and
    its own row's currency, never from another row's (the messages are made once per pair, and
    these pairs are the ones a wrong combination of the two keys would mix up)."""
    parsed = parse_money(pd.Series([float(c) for c in cells]), pd.Series(digits))
    assert listed(parsed.message) == [
        f"'{c}' has 6 decimal places; this currency allows at most {d}"
        for c, d in zip(cells, digits, strict=True)]


@pytest.mark.parametrize(("cells", "shown"), [
    (pd.Series([12.5, 3.0, np.nan]), ["12.5", "3", None]),
    (pd.Series([12, -3]), ["12", "-3"]),
    (pd.Series([True, None], dtype="boolean"), ["TRUE", None]),
    (pd.Series(pd.to_datetime(["2026-10-05", "2026-10-05 13:45", None], format="ISO8601")),
     ["2026-10-05", "2026-10-05 13:45:00", None]),
    (pd.Series([" a ", None, "b"], dtype="str"), ["a", None, "b"]),
], ids=["float", "int", "boolean", "datetime", "str"])
def test_a_typed_or_all_text_column_is_shown_without_factorising(monkeypatch, cells: pd.Series,
                                                                shown: list[object]) -> None:
    """Such a column is written as text in bulk, never cell by cell."""
    from ledgerflow.values import text as v

    def refused(raw: pd.Series) -> object:
        raise AssertionError("the column was read cell by cell")

    monkeypatch.setattr(v, "factorise", refused)
    assert listed(parse_text(cells).values) == shown


@pytest.mark.parametrize(("cell", "text"), [
    (np.datetime64("0001-01-01"), "0001-01-01"),
    (np.datetime64("0999-05-06T10:20"), "0999-05-06 10:20:00"),
    (np.datetime64("1000-01-01"), "1000-01-01"),
    (np.datetime64("9999-12-31T23:59:59"), "9999-12-31 23:59:59"),
    (np.datetime64("10000-01-01"), "10000-01-01"),
    (np.datetime64("10000-01-01T12:30"), "10000-01-01 12:30:00"),
    (pd.Timestamp("2026-10-05 13:45:07.5", tz="Europe/Moscow"), "2026-10-05 13:45:07"),
])
def test_a_date_cell_of_any_year_is_written_with_four_digits_at_least(cell: object,
                                                                     text: str) -> None:
    assert cell_text(cell) == text
    assert listed(parse_text(pd.Series([cell, "x"], dtype=object)).values) == [text, "x"]
