"""Tests of ledgerflow.values: the cell parsers of SPEC "Values"."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import write_workbook
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerflow.contract import CLIENT_STATUSES, CLIENT_TYPES
from ledgerflow.errors import UsageError
from ledgerflow.read.inbox import read_file
from ledgerflow.validate.table import validate_table
from ledgerflow.values import (
    MONEY_SCALE,
    Parsed,
    check_inn,
    currency_digits,
    inn_is_valid,
    is_email,
    minor_digits,
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

IDX = [3, 4, 7]
UNIT = 10**MONEY_SCALE
NBSP = "\u00a0"
NNBSP = "\u202f"


def one(parsed: Parsed, i: int = 0) -> tuple[object, object, object]:
    """(value, rule, message) of the i-th row, with NA as None."""
    def clean(v: object) -> object:
        return None if v is pd.NaT or (not isinstance(v, (list, tuple)) and pd.isna(v)) else v

    return (clean(parsed.values.iloc[i]), clean(parsed.rule.iloc[i]),
            clean(parsed.message.iloc[i]))


def money(cell: object, digits: int = 2) -> tuple[object, object, object]:
    return one(parse_money(pd.Series([cell], dtype=object), digits))


def assert_clean_message(message: object) -> None:
    assert isinstance(message, str) and message
    for junk in ("Traceback", "Decimal(", "np.", "numpy", "Timestamp(", "nan", "None", "\n"):
        assert junk not in message, message


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
# money
# --------------------------------------------------------------------------------------------


def test_minor_digits() -> None:
    assert minor_digits("RUB") == 2
    assert minor_digits("JPY") == 0
    assert minor_digits("KWD") == 3
    assert minor_digits("usd") == 2
    digits = currency_digits(pd.Series(["RUB", None, "JPY"], index=IDX))
    assert digits.index.tolist() == IDX
    assert digits.tolist()[0] == 2 and pd.isna(digits.iloc[1]) and digits.iloc[2] == 0


def test_money_numeric_cells_accept_float_noise() -> None:
    cells = pd.Series([1234.56, 0.1 + 0.2, 1.1 * 3, -1234.56, 12.0, 9999999999999.99,
                       0.1 + 0.2 - 0.3], index=[3, 4, 5, 6, 7, 8, 9])
    parsed = parse_money(cells, 2)
    assert parsed.rule.isna().all()
    assert parsed.values.tolist() == [
        12345600, 3000, 33000, -12345600, 120000, 99999999999999900, 0]
    assert 1.1 * 3 != 3.3 and 0.1 + 0.2 != 0.3  # the noise is really there
    assert parsed.values.index.tolist() == [3, 4, 5, 6, 7, 8, 9]


def test_money_numeric_precision_is_per_currency() -> None:
    assert money(1234.567, 2) == (None, "money_precision",
                                  "'1234.567' has 3 decimal places; this currency allows at most 2")
    value, rule, message = money(1234.5, 0)  # JPY
    assert (value, rule) == (None, "money_precision")
    assert message == ("'1234.5' has 1 decimal place; this currency has no minor units: "
                       "write a whole amount")
    assert money(1234.0, 0) == (12340000, None, None)
    assert money(1.234, 3) == (12340, None, None)  # KWD


def test_money_digits_per_row() -> None:
    cells = pd.Series([1.5, 1.5, 1.005, "1,5", 2.125], index=[*IDX, 8, 9])
    digits = pd.Series([2, 0, 3, 0, pd.NA], index=[*IDX, 8, 9], dtype="Int64")
    parsed = parse_money(cells.astype(object), digits)
    assert parsed.values.tolist()[0] == 15000
    assert parsed.rule.tolist()[1] == "money_precision"
    assert parsed.values.tolist()[2] == 10050
    assert parsed.rule.tolist()[3] == "money_precision"
    # unknown currency (NA digits, reported by parse_currency): not refused a second time
    assert parsed.values.tolist()[4] == 21250
    floats = parse_money(pd.Series([1.5, 1.5], index=[0, 1]), pd.Series([2, 0]))
    assert floats.values.tolist()[0] == 15000
    assert floats.rule.tolist()[1] == "money_precision"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234.56", 1234_5600),
        ("1234,56", 1234_5600),
        ("-1234.56", -1234_5600),
        ("1 234,56", 1234_5600),
        (f"1{NBSP}234,56", 1234_5600),
        (f"1{NNBSP}234,56", 1234_5600),
        (f"1{NNBSP}234.56", 1234_5600),
        ("1,234.56", 1234_5600),
        ("1.234,56", 1234_5600),
        ("1 234", 1234_0000),
        ("12", 12_0000),
        ("0,5", 5000),
        ("0.125", None),  # three places, but RUB allows two
        ("1 234 567,89", 1234567_8900),
        ("1,234,567", 1234567_0000),
        ("1.234.567,8", 1234567_8000),
        ("  12.50  ", 12_5000),
        (f"{NBSP}12{NBSP}", 12_0000),
        ("100.00", 100_0000),
        ("−12.5", -12_5000),  # the Unicode minus sign
        ("+12.5", 12_5000),
        ("007", 7_0000),
        ("1234567890123.45", 1234567890123_4500),
    ],
)
def test_money_text_formats(text: str, expected: int | None) -> None:
    value, rule, _ = money(text)
    assert value == expected
    assert (rule is None) == (expected is not None)


def test_money_text_zeros_after_the_allowed_places_are_fine() -> None:
    assert money("100.00", 0) == (100_0000, None, None)
    assert money("100.50", 0)[1] == "money_precision"
    assert money("1.2500", 2) == (12500, None, None)


def test_money_ambiguous_thousands_or_decimals() -> None:
    assert money("1,234") == (
        None, "money_ambiguous",
        "'1,234' is ambiguous (thousands separator or decimal comma?): write 1234 or 1 234,00 "
        "for the whole number, or 1,2340 for the fraction")
    value, rule, message = money("1.234")
    assert (value, rule) == (None, "money_ambiguous")
    assert isinstance(message, str)
    assert "'1.234' is ambiguous" in message and "1234 or 1 234.00" in message
    assert money("-12,345")[1] == "money_ambiguous"
    assert money("123.456", 3)[1] == "money_ambiguous"  # even for a three-digit currency
    # not ambiguous: a leading zero, four integer digits, or two separators
    assert money("0,123", 3) == (1230, None, None)
    assert money("1234,567", 3) == (1234_5670, None, None)
    assert money("1,234.5") == (1234_5000, None, None)
    assert money("1 234") == (1234_0000, None, None)


def test_money_too_many_decimals_in_text() -> None:
    assert money("1234.567") == (
        None, "money_precision", "'1234.567' has 3 decimal places; this currency allows at most 2")
    assert money("1 234,5678") == (
        None, "money_precision",
        "'1 234,5678' has 4 decimal places; this currency allows at most 2")
    assert money("12.5", 0)[1] == "money_precision"
    assert money("0.00001", 4)[1] == "money_precision"


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("abc", "write it like 1234.56, 1 234,56 or 1,234.56"),
        ("12 ₽", "without a currency sign or code"),
        ("$12", "without a currency sign or code"),
        ("12 руб.", "without a currency sign or code"),
        ("USD 12", "without a currency sign or code"),
        ("(12.50)", "minus sign"),
        ("1.2E+05", "scientific notation"),
        ("1'234.50", "space as the thousands separator"),
        ("12 34", "write it like"),
        ("1,234,56", "write it like"),
        ("1.234.56", "write it like"),
        ("12.", "write it like"),
        (".5", "write it like"),
        ("--5", "write it like"),
        ("5-", "write it like"),
        ("١٢", "write it like"),  # Arabic-Indic digits are not accepted silently
    ],
)
def test_money_format_errors(text: str, hint: str) -> None:
    value, rule, message = money(text)
    assert value is None
    assert rule == "money_format"
    assert isinstance(message, str) and message.startswith(f"'{text}' is not an amount: ")
    assert hint in message
    assert_clean_message(message)


def test_money_range() -> None:
    assert money("10000000000000") == (10**13 * UNIT, None, None)
    value, rule, message = money("10 000 000 000 000,01")
    assert (value, rule) == (None, "money_range")
    assert message == ("'10 000 000 000 000,01' is too large: amounts must be between "
                       "-10 000 000 000 000 and 10 000 000 000 000")
    assert money(1e14)[1] == "money_range"
    assert money(-1e14)[1] == "money_range"
    assert one(parse_money(pd.Series([10**14, 5]), 2)) == (
        None, "money_range",
        "'100000000000000' is too large: amounts must be between -10 000 000 000 000 and "
        "10 000 000 000 000")
    assert money("99999999999999999999999999999999")[1] == "money_range"


def test_money_other_cells() -> None:
    cells = pd.Series([True, dt.date(2026, 1, 5), 5, Decimal("2.50"), Decimal("2.555"),
                       float("inf"), np.int64(7), 1], dtype=object)
    parsed = parse_money(cells, 2)
    assert one(parsed, 0) == (None, "money_format", "'TRUE' is a yes/no value, not an amount")
    assert one(parsed, 1) == (None, "money_format", "'2026-01-05' is a date, not an amount")
    assert one(parsed, 2) == (5 * UNIT, None, None)
    assert one(parsed, 3) == (25000, None, None)
    assert one(parsed, 4)[1] == "money_precision"
    assert one(parsed, 5)[1] == "money_format"
    assert one(parsed, 6) == (7 * UNIT, None, None)
    assert one(parsed, 7) == (1 * UNIT, None, None)  # not merged with the TRUE cell
    bools = parse_money(pd.Series([True, False], index=[1, 2]), 2)
    assert bools.rule.tolist() == ["money_format", "money_format"]
    dates = parse_money(pd.Series(pd.to_datetime(["2026-10-05"])), 2)
    assert one(dates) == (None, "money_format", "'2026-10-05' is a date, not an amount")


def test_money_integer_and_nullable_columns() -> None:
    parsed = parse_money(pd.Series([12, -3, None], index=IDX, dtype="Int64"), 2)
    assert parsed.values.tolist()[:2] == [12 * UNIT, -3 * UNIT]
    assert parsed.blank.tolist() == [False, False, True]
    parsed = parse_money(pd.Series([1.25, None], dtype="Float64"), 2)
    assert parsed.values.tolist()[0] == 12500 and parsed.blank.tolist() == [False, True]


def test_money_text_column_with_repeats_and_spaces() -> None:
    cells = pd.Series(["1 234,56", " 1 234,56", "1 234,56 ", "x", "x", None] * 3, dtype="str")
    parsed = parse_money(cells, 2)
    assert parsed.values.tolist()[:3] == [1234_5600] * 3
    assert parsed.rule.tolist()[3:5] == ["money_format"] * 2
    assert parsed.blank.sum() == 3


AMOUNTS = st.decimals(min_value=Decimal("-9999999999999.99"), max_value=Decimal("9999999999999.99"),
                      places=2, allow_nan=False, allow_infinity=False)
STYLES = ["plain", "comma", "space", "nbsp", "nnbsp", "space_dot", "comma_group", "dot_group"]


def format_amount(amount: Decimal, style: str) -> str:
    sign = "-" if amount < 0 else ""
    whole, frac = f"{abs(amount):.2f}".split(".")
    grouped = f"{int(whole):,}"
    return sign + {
        "plain": f"{whole}.{frac}",
        "comma": f"{whole},{frac}",
        "space": f"{grouped.replace(',', ' ')},{frac}",
        "nbsp": f"{grouped.replace(',', NBSP)},{frac}",
        "nnbsp": f"{grouped.replace(',', NNBSP)},{frac}",
        "space_dot": f"{grouped.replace(',', ' ')}.{frac}",
        "comma_group": f"{grouped}.{frac}",
        "dot_group": f"{grouped.replace(',', '.')},{frac}",
    }[style]


@settings(max_examples=300, deadline=None)
@given(amounts=st.lists(AMOUNTS, min_size=1, max_size=8),
       styles=st.lists(st.sampled_from(STYLES), min_size=8, max_size=8))
def test_money_text_round_trips_exactly(amounts: list[Decimal], styles: list[str]) -> None:
    texts = [format_amount(a, s) for a, s in zip(amounts, styles, strict=False)]
    parsed = parse_money(pd.Series(texts, dtype="str"), 2)
    assert parsed.rule.isna().all(), list(parsed.message)
    assert parsed.values.tolist() == [int(a * UNIT) for a in amounts]


@settings(max_examples=300, deadline=None)
@given(amounts=st.lists(AMOUNTS, min_size=1, max_size=8))
def test_money_float_cells_round_trip_exactly(amounts: list[Decimal]) -> None:
    parsed = parse_money(pd.Series([float(a) for a in amounts]), 2)
    assert parsed.rule.isna().all(), list(parsed.message)
    assert parsed.values.tolist() == [int(a * UNIT) for a in amounts]


@settings(max_examples=200, deadline=None)
@given(amount=st.decimals(min_value=Decimal("-999999"), max_value=Decimal("999999"), places=3,
                          allow_nan=False, allow_infinity=False))
def test_money_three_places_refused_for_rub(amount: Decimal) -> None:
    text = f"{amount:.3f}"
    parsed = parse_money(pd.Series([text, float(amount), amount], dtype=object), 2)
    if re.fullmatch(r"-?[1-9][0-9]{0,2}\.[0-9]{3}", text):
        assert parsed.rule.tolist()[0] == "money_ambiguous"  # 1.234: 1234 or 1.234?
    elif amount == amount.quantize(Decimal("0.01")):
        assert parsed.values.tolist()[0] == int(amount * UNIT)
    else:
        assert parsed.rule.tolist()[0] == "money_precision"
    if amount == amount.quantize(Decimal("0.01")):
        assert parsed.values.tolist()[1:] == [int(amount * UNIT)] * 2
    else:
        assert parsed.rule.tolist()[1:] == ["money_precision"] * 2


# --------------------------------------------------------------------------------------------
# decimal and whole numbers
# --------------------------------------------------------------------------------------------


def test_decimal() -> None:
    cells = pd.Series(["92,5", "0.000001", 1.1234567, "0.0000001", "1,5", 0.1 + 0.2, "abc", 78],
                      dtype=object)
    parsed = parse_decimal(cells)
    assert parsed.values.tolist()[:2] == [92_500000, 1]
    assert one(parsed, 2) == (
        None, "decimal_precision", "'1.1234567' has 7 decimal places; at most 6 are allowed")
    assert one(parsed, 3)[1] == "decimal_precision"
    assert one(parsed, 4)[0] == 1_500000
    assert one(parsed, 5)[0] == 300000
    assert one(parsed, 6) == (None, "decimal_format",
                              "'abc' is not a number: write it like 12.5, 12,5 or 1 234.5")
    assert one(parsed, 7)[0] == 78_000000
    assert one(parse_decimal(pd.Series(["12.3456"]), places=2))[1] == "decimal_precision"
    assert one(parse_decimal(pd.Series(["12.345"]), places=2))[1] == "decimal_ambiguous"
    assert one(parse_decimal(pd.Series(["1,234"])))[1] == "decimal_ambiguous"
    assert one(parse_decimal(pd.Series(["12.5"]), places=2))[0] == 1250


def test_whole() -> None:
    cells = pd.Series(["12", 12.0, 12.5, "abc", "-3", "1 000", "12.0", 7, True, "12,5"],
                      index=range(10, 20), dtype=object)
    parsed = parse_whole(cells)
    assert parsed.values.tolist()[:2] == [12, 12]
    assert one(parsed, 2) == (None, "whole_format", "'12.5' is not a whole number")
    assert one(parsed, 3) == (None, "whole_format",
                              "'abc' is not a whole number: write it like 12 or 1 200")
    assert [one(parsed, i)[0] for i in (4, 5, 6, 7)] == [-3, 1000, 12, 7]
    assert one(parsed, 8)[1] == "whole_format"
    assert one(parsed, 9) == (None, "whole_format", "'12,5' is not a whole number")
    floats = parse_whole(pd.Series([12.0, 12.5, np.nan, 1e16]))
    assert floats.values.tolist()[0] == 12
    assert floats.rule.tolist()[1] == "whole_format"
    assert floats.blank.tolist() == [False, False, True, False]
    assert floats.rule.tolist()[3] == "whole_range"


# --------------------------------------------------------------------------------------------
# dates
# --------------------------------------------------------------------------------------------

D = pd.Timestamp


@pytest.mark.parametrize(
    "text",
    ["2026-10-05", "2026-10-05 00:00:00", "2026-10-05T13:00", "2026-10-05 23:59:59.123",
     "05.10.2026", "5.10.2026", "05.10.2026 13:45", "2026/10/05", " 2026-10-05 "],
)
def test_date_text_formats(text: str) -> None:
    assert one(parse_date(pd.Series([text]))) == (D("2026-10-05"), None, None)


def test_date_cells_keep_the_date_and_drop_the_time() -> None:
    cells = pd.Series(pd.to_datetime(["2026-10-05 13:45", None, "1969-12-31 23:59"]), index=IDX)
    parsed = parse_date(cells)
    assert parsed.values.tolist()[0] == D("2026-10-05")
    assert parsed.blank.tolist() == [False, True, False]
    assert parsed.values.tolist()[2] == D("1969-12-31")
    assert parsed.values.dtype == "datetime64[ns]"
    assert parsed.rule.isna().all()
    mixed = pd.Series([dt.datetime(2026, 1, 2, 3, 4), dt.date(2026, 5, 6), D("2026-07-08 09:00"),
                       np.datetime64("2020-01-01T10:00"), "1900-01-01"], dtype=object)
    assert parse_date(mixed).values.tolist() == [
        D("2026-01-02"), D("2026-05-06"), D("2026-07-08"), D("2020-01-01"), D("1900-01-01")]
    microseconds = pd.Series(pd.to_datetime(["2026-10-05 10:00"]).as_unit("us"))
    assert parse_date(microseconds).values.tolist() == [D("2026-10-05")]


def test_date_ambiguous_without_order() -> None:
    parsed = parse_date(pd.Series(["04/03/26", "04/03/2026"], index=[8, 9]))
    assert parsed.rule.tolist() == ["date_ambiguous"] * 2
    assert parsed.message.tolist()[0] == (
        "'04/03/26' is ambiguous: it may be 4 March 2026 or 3 April 2026; write the date like "
        "2026-03-04 or 04.03.2026, or set the date order (DMY or MDY)")
    assert parsed.values.isna().all()


def test_date_with_order() -> None:
    cells = pd.Series(["04/03/26", "04/03/2026", "4-3-2026"])
    assert parse_date(cells, "DMY").values.tolist() == [D("2026-03-04")] * 3
    assert parse_date(cells, "MDY").values.tolist() == [D("2026-04-03")] * 3
    assert parse_date(cells, "dmy").values.tolist() == [D("2026-03-04")] * 3
    wrong = one(parse_date(pd.Series(["25/03/2026"]), "MDY"))
    assert wrong[1] == "date_format"
    assert wrong[2] == ("'25/03/2026' is not a real date: there is no month 25 (read in MDY "
                        "order, as configured)")
    with pytest.raises(UsageError):
        parse_date(cells, "YMD")


def test_date_slash_that_reads_one_way_only() -> None:
    parsed = parse_date(pd.Series(["25/03/2026", "03/25/2026", "05/05/2026", "13/14/2026"]))
    assert parsed.values.tolist()[:3] == [D("2026-03-25"), D("2026-03-25"), D("2026-05-05")]
    assert parsed.rule.tolist()[3] == "date_format"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("31.02.2026", "'31.02.2026' is not a real date: February 2026 has 28 days"),
        ("2026-02-29", "'2026-02-29' is not a real date: February 2026 has 28 days"),
        ("2026-13-01", "'2026-13-01' is not a real date: there is no month 13"),
        ("00.10.2026", "'00.10.2026' is not a real date: there is no day 0"),
        ("2026-10-05 25:00", "'2026-10-05 25:00' has an impossible time of day: write it like "
                             "2026-10-05 or 05.10.2026"),
        ("45000", "'45000' is a number, not a date: format the cell as a date or write it like "
                  "2026-10-05 or 05.10.2026"),
        ("5 октября", "'5 октября' is not a date: write it like 2026-10-05 or 05.10.2026"),
        ("1000-01-01", "'1000-01-01' is out of range: dates must be between 1678 and 2261"),
    ],
)
def test_date_errors(text: str, message: str) -> None:
    assert one(parse_date(pd.Series([text]))) == (None, "date_format", message)


def test_date_leap_day_is_fine() -> None:
    assert one(parse_date(pd.Series(["29.02.2028"])))[0] == D("2028-02-29")


def test_date_numeric_cells_are_refused() -> None:
    parsed = parse_date(pd.Series([45000.0, np.nan, 45000.5], index=IDX))
    assert parsed.rule.tolist()[0] == "date_format"
    assert parsed.message.tolist()[0] == (
        "'45000' is a number, not a date: format the cell as a date or write it like "
        "2026-10-05 or 05.10.2026")
    assert parsed.blank.tolist() == [False, True, False]
    assert parsed.message.tolist()[2].startswith("'45000.5' is a number, not a date")
    ints = parse_date(pd.Series([45000]))
    assert ints.rule.tolist() == ["date_format"]
    in_text_column = parse_date(pd.Series([45000.0, "2026-10-05", True], dtype=object))
    assert in_text_column.rule.tolist()[0] == "date_format"
    assert in_text_column.values.tolist()[1] == D("2026-10-05")
    assert in_text_column.message.tolist()[2] == "'TRUE' is a yes/no value, not a date"


def test_date_many_distinct_texts() -> None:
    days = pd.date_range("1990-01-01", periods=5000, freq="D")
    texts = pd.Series(list(days.strftime("%Y-%m-%d")) + list(days.strftime("%d.%m.%Y")),
                      dtype="str")
    parsed = parse_date(texts)
    assert parsed.rule.isna().all()
    assert parsed.values.tolist() == list(days) * 2


# --------------------------------------------------------------------------------------------
# text, yes/no, choices, codes
# --------------------------------------------------------------------------------------------


def test_text() -> None:
    cells = pd.Series([f"{NBSP} Orhid_magazine {NNBSP}", 1001.0, 12.5, 0.1 + 0.2, 7, True,
                       dt.date(2026, 10, 5), dt.datetime(2026, 10, 5, 13, 0), "a  b", None],
                      dtype=object)
    parsed = parse_text(cells)
    assert parsed.values.tolist()[:9] == [
        "Orhid_magazine", "1001", "12.5", "0.3", "7", "TRUE", "2026-10-05", "2026-10-05 13:00:00",
        "a  b"]
    assert parsed.blank.tolist() == [False] * 9 + [True]
    floats = parse_text(pd.Series([1001.0, 12.5, np.nan, 1e20, -0.0, 1 / 3], index=range(6)))
    assert floats.values.tolist()[:2] == ["1001", "12.5"]
    assert floats.values.tolist()[3:] == ["100000000000000000000", "0", "0.333333333333333"]
    assert parse_text(pd.Series([5, 6])).values.tolist() == ["5", "6"]
    assert parse_text(pd.Series(pd.to_datetime(["2026-10-05 00:00", "2026-10-05 10:30"]))
                      ).values.tolist() == ["2026-10-05", "2026-10-05 10:30:00"]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("yes", True), ("No", False), ("да", True), ("НЕТ", False), ("true", True),
     ("FALSE", False), ("1", True), ("0", False), ("y", True), ("n", False), ("Д", True),
     ("н", False), (True, True), (False, False), (1.0, True), (0.0, False), (1, True),
     (" Да ", True), ("ИСТИНА", True), ("ложь", False)],
)
def test_bool_accepts(cell: object, expected: bool) -> None:
    assert one(parse_bool(pd.Series([cell], dtype=object))) == (expected, None, None)


def test_bool_errors() -> None:
    parsed = parse_bool(pd.Series(["maybe", 2.0, "2"], dtype=object))
    assert parsed.rule.tolist() == ["bool_format"] * 3
    assert parsed.message.tolist()[0] == (
        "'maybe' is not yes or no: write yes/no, да/нет, true/false or 1/0")
    numeric = parse_bool(pd.Series([1.0, 0.0, np.nan, 2.0], index=[1, 2, 3, 4]))
    assert numeric.values.tolist()[:2] == [True, False]
    assert numeric.blank.tolist() == [False, False, True, False]
    assert numeric.rule.tolist()[3] == "bool_format"


def test_choice() -> None:
    cells = pd.Series(["Юр. лицо", "  ИП ", "sole proprietor", "LEGAL", "физлицо", "юр.лицо",
                       "Физическое   лицо", "company", None], index=range(20, 29))
    parsed = parse_choice(cells, CLIENT_TYPES, "client_type")
    assert parsed.values.tolist()[:7] == [
        "legal", "sole_proprietor", "sole_proprietor", "legal", "individual", "legal",
        "individual"]
    assert one(parsed, 7) == (
        None, "choice",
        "'company' is not an accepted client_type: use legal, individual or sole_proprietor")
    assert parsed.blank.tolist()[-1]
    statuses = parse_choice(pd.Series(["Закрыт", "активён", "open"]), CLIENT_STATUSES, "status")
    assert statuses.values.tolist()[:2] == ["closed", "active"]
    assert statuses.message.tolist()[2] == (
        "'open' is not an accepted status: use active, blocked or closed")
    yo = parse_choice(pd.Series(["Платёж", "ПЛАТЕЖ"]), {"платёж": "payment"}, "kind")
    assert yo.values.tolist() == ["payment", "payment"]


def test_currency() -> None:
    parsed = parse_currency(pd.Series(["rub", " JPY ", "Usd", "RUR", "₽", "XXX", "abc", 1.0],
                                      index=range(8), dtype=object))
    assert parsed.values.tolist()[:3] == ["RUB", "JPY", "USD"]
    assert one(parsed, 3) == (None, "currency_code",
                              "'RUR' is not an ISO 4217 currency code: did you mean RUB?")
    assert one(parsed, 4)[2] == "'₽' is not an ISO 4217 currency code: did you mean RUB?"
    assert one(parsed, 5)[1] == "currency_code"
    assert one(parsed, 6) == (
        None, "currency_code",
        "'abc' is not an ISO 4217 currency code: use a three-letter code such as RUB, USD or EUR")
    assert one(parsed, 7)[1] == "currency_code"


def test_country() -> None:
    parsed = parse_country(pd.Series(["ru", "KZ", "RUS", "UK", "zz"], index=range(5)))
    assert parsed.values.tolist()[:2] == ["RU", "KZ"]
    assert one(parsed, 2) == (None, "country_code",
                              "'RUS' is not an ISO 3166 country code: did you mean RU?")
    assert one(parsed, 3)[2] == "'UK' is not an ISO 3166 country code: did you mean GB?"
    assert one(parsed, 4)[1] == "country_code"


def test_tax_id() -> None:
    cells = pd.Series(["0012345678", 7707083893.0, 500100732259, " 7707083893 ", "77-07083893",
                       "7707 083893", "7.70708E+09", 12.5, None], index=range(9), dtype=object)
    parsed = parse_tax_id(cells)
    assert parsed.values.tolist()[:4] == ["0012345678", "7707083893", "500100732259",
                                          "7707083893"]
    assert one(parsed, 4) == (None, "tax_id_format",
                              "'77-07083893' must contain digits only (found '-')")
    assert one(parsed, 5) == (None, "tax_id_format",
                              "'7707 083893' must contain digits only (found a space)")
    assert one(parsed, 6)[1] == "tax_id_format"
    assert "scientific notation" in str(one(parsed, 6)[2])
    assert one(parsed, 7)[1] == "tax_id_format"
    assert parsed.blank.tolist()[-1]
    numeric = parse_tax_id(pd.Series([7707083893.0, 12345678.0]))
    assert numeric.values.tolist() == ["7707083893", "12345678"]  # leading zero is lost


# --------------------------------------------------------------------------------------------
# INN, e-mail
# --------------------------------------------------------------------------------------------


def test_inn_check_digits() -> None:
    assert inn_is_valid("7707083893")  # Sberbank
    assert inn_is_valid("500100732259")
    assert not inn_is_valid("7707083894")
    assert not inn_is_valid("500100732258")
    assert not inn_is_valid("500100732249")
    assert not inn_is_valid("770708389")
    assert not inn_is_valid("77070838931")
    assert not inn_is_valid("77070838a3")
    assert not inn_is_valid("")


def test_check_inn() -> None:
    index = list(range(100, 110))
    tax_id = pd.Series(["7707083893", "500100732259", "500100732259", "7707083894",
                        "7707083893", None, "123", "123", "7707083893", "500100732258"],
                       index=index, dtype=object)
    client_type = pd.Series(["legal", "individual", "sole_proprietor", "legal", "individual",
                             "legal", "legal", "legal", None, None], index=index, dtype=object)
    country = pd.Series(["RU", "RU", "ru", "RU", "RU", "RU", "DE", "RU", None, "RU"], index=index,
                        dtype=object)
    result = check_inn(tax_id, client_type, country)
    assert result.index.tolist() == index
    assert result.dtype == bool
    assert result.tolist() == [True, True, True, False, False, True, True, False, True, False]


def test_check_digits_on_the_production_path(tmp_path: Path) -> None:
    """Each check digit refused through check_inn and the clients table (issue 15).

    500100732241: the 11th digit should be 5 (weights 7,2,4,10,3,5,9,4,6,8 give 115 % 11 = 5),
    but its 12th digit (1) matches the first eleven digits as written, so only the 11th-digit
    check refuses it. 500100732258: 11th right, 12th should be 9.
    """
    good10, bad10, good12, bad11, bad12 = ("7707083893", "7707083894", "500100732259",
                                           "500100732241", "500100732258")
    index = [5, 6, 7, 8, 9]
    tax_id = pd.Series([good10, bad10, good12, bad11, bad12], index=index, dtype=object)
    client_type = pd.Series(["legal", "legal", "individual", "individual", "sole_proprietor"],
                            index=index, dtype=object)
    country = pd.Series(["RU"] * 5, index=index, dtype=object)
    assert check_inn(tax_id, client_type, country).tolist() == [True, False, True, False, False]
    unknown_type = pd.Series([None] * 5, index=index, dtype=object)
    assert check_inn(tax_id, unknown_type, country).tolist() == [True, False, True, False, False]

    path = write_workbook(tmp_path / "clients.xlsx", {"Клиенты": [
        ["Логин", "Наименование", "Тип", "ИНН", "Валюта", "Страна"],
        ["c10", "Орхидея", "юрлицо", good10, "RUB", "RU"],
        ["c10bad", "Роза", "юрлицо", bad10, "RUB", "RU"],
        ["c12", "Иванов", "ИП", good12, "RUB", "RU"],
        ["c11bad", "Петров", "ИП", bad11, "RUB", "RU"],
        ["c12bad", "Сидоров", "ИП", bad12, "RUB", "RU"],
    ]})
    [table] = read_file(path, tmp_path).tables
    refused = sorted((p.row, p.column, p.value, p.rule) for p in validate_table(table).problems())
    assert refused == [(3, "ИНН", bad10, "tax_id_invalid"), (5, "ИНН", bad11, "tax_id_invalid"),
                       (6, "ИНН", bad12, "tax_id_invalid")]
    messages = {p.message for p in validate_table(table).problems()}
    assert len(messages) == 1
    assert "the check digits must match" in messages.pop()


def test_is_email() -> None:
    s = pd.Series(["a@b.ru", "first.last+tag@mail.example.com", "иван@почта.рф", None, "x",
                   "a b@c.com", "a@b", "a@@b.ru", "a@b..ru", "@b.ru"], index=range(10, 20))
    assert is_email(s).tolist() == [True, True, True, True, False, False, False, False, False,
                                    False]
    assert is_email(s).index.tolist() == list(range(10, 20))


# --------------------------------------------------------------------------------------------
# the vectorised fast paths agree with the one-cell-at-a-time readers
# --------------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(st.text(alphabet="0123456789.,- ", min_size=1, max_size=12), min_size=1,
                      max_size=20))
def test_fast_number_path_agrees_with_slow_path(texts: list[str]) -> None:
    import pyarrow as pa

    from ledgerflow.values import numbers as v

    for spec in (v._MONEY, v._WHOLE):
        positions, fast_values, fast_places = v._fast_numbers(pa.array(texts, pa.large_string()),
                                                               spec)
        for pos, value, places in zip(positions, fast_values, fast_places, strict=True):
            slow = v._number_unique(texts[pos], spec)
            assert (slow.status, slow.value, slow.places) == (v._OK, value, places), texts[pos]


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(st.text(alphabet="0123456789-.: T", min_size=6, max_size=19), min_size=1,
                      max_size=20))
def test_fast_date_path_agrees_with_slow_path(texts: list[str]) -> None:
    import pyarrow as pa

    from ledgerflow.values import dates as v

    positions, days = v._fast_dates(pa.array(texts, pa.large_string()))
    for pos, day in zip(positions, days, strict=True):
        assert v._date_unique(texts[pos], None) == (day, "", ""), texts[pos]


def test_fast_date_path_on_known_dates() -> None:
    import pyarrow as pa

    from ledgerflow.values import dates as v

    texts = ["2026-10-05", "05.10.2026", "2026-02-29", "31.04.2026", "2024-02-29 23:59",
             "1969-12-31", "1600-01-01", "2026-1-5", "5.1.2026T10:00"]
    positions, days = v._fast_dates(pa.array(texts, pa.large_string()))
    found = dict(zip(positions.tolist(), days.tolist(), strict=True))
    as_date = {texts[p]: (dt.date(1970, 1, 1) + dt.timedelta(days=d)).isoformat()
               for p, d in found.items()}
    assert as_date == {"2026-10-05": "2026-10-05", "05.10.2026": "2026-10-05",
                       "2024-02-29 23:59": "2024-02-29", "1969-12-31": "1969-12-31",
                       "2026-1-5": "2026-01-05", "5.1.2026T10:00": "2026-01-05"}


def test_minor_digits_follow_iso_4217_not_display_digits() -> None:
    assert [minor_digits(c) for c in ("RUB", "JPY", "KWD", "HUF", "IDR", "CLF")] == [
        2, 0, 3, 2, 2, 4]
