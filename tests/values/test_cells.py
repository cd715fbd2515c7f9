"""Every value parser: the shape of its result (index, dtypes, blank cells)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from parsed import IDX, NBSP, NNBSP, assert_clean_message

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
