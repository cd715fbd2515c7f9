"""values.numbers: money, exact decimals and whole numbers, from every kind of cell."""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from parsed import IDX, NBSP, NNBSP, UNIT, assert_clean_message, listed, money, one

from ledgerflow.values import (
    currency_digits,
    minor_digits,
    parse_decimal,
    parse_money,
    parse_whole,
)

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
    # RUB allows two decimals, so the fraction reading is not advised (1,2340 is refused too)
    assert money("1,234") == (
        None, "money_ambiguous",
        "'1,234' is ambiguous (thousands separator or decimal comma?): write 1234 or 1 234,00 "
        "for the whole number (as a fraction it would have 3 decimal places, and this currency "
        "allows 2)")
    assert money("1,234", 3)[2] == (
        "'1,234' is ambiguous (thousands separator or decimal comma?): write 1234 or 1 234,00 "
        "for the whole number, or 1,2340 for the fraction")
    assert money("1,234", 0)[2].startswith(  # type: ignore[union-attr]
        "'1,234' is ambiguous (thousands separator or decimal comma?): write 1234 or 1 234 for")
    assert "write -12345 or -12 345,00" in str(money("-12,345")[2])  # the sign is kept
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


def test_minor_digits_follow_iso_4217_not_display_digits() -> None:
    assert [minor_digits(c) for c in ("RUB", "JPY", "KWD", "HUF", "IDR", "CLF")] == [
        2, 0, 3, 2, 2, 4]


# --------------------------------------------------------------------------------------------
# the words of every number message, for money, decimals and whole numbers
# --------------------------------------------------------------------------------------------

LIKE = "write it like 1234.56, 1 234,56 or 1,234.56"
MONEY_RANGE = "amounts must be between -10 000 000 000 000 and 10 000 000 000 000"


@pytest.mark.parametrize(("text", "message"), [
    ("12 ₽", "'12 ₽' is not an amount: write the number only, without a currency sign or code"),
    ("(12.50)", "'(12.50)' is not an amount: write a negative number with a minus sign, e.g. "
                "-1234.56"),
    ("1.2E+05", "'1.2E+05' is not an amount: it is in scientific notation and digits may have "
                "been lost; type the full number"),
    ("1'234.50", "'1'234.50' is not an amount: use a space as the thousands separator, e.g. "
                 "1 234.56"),
    ("1’234.50", "'1’234.50' is not an amount: use a space as the thousands separator, e.g. "
                 "1 234.56"),
    ("(12", f"'(12' is not an amount: {LIKE}"), ("12)", f"'12)' is not an amount: {LIKE}"),
    ("abc", f"'abc' is not an amount: {LIKE}"),
])
def test_money_format_messages(text: str, message: str) -> None:
    assert money(text) == (None, "money_format", message)


def test_money_ambiguous_messages_in_full() -> None:
    assert money("1,234", 0) == (
        None, "money_ambiguous",
        "'1,234' is ambiguous (thousands separator or decimal comma?): write 1234 or 1 234 for "
        "the whole number (as a fraction it would have 3 decimal places, and this currency "
        "allows 0)")
    assert money("1.234", 2)[2] == (
        "'1.234' is ambiguous (thousands separator or decimal point?): write 1234 or 1 234.00 "
        "for the whole number (as a fraction it would have 3 decimal places, and this currency "
        "allows 2)")
    assert money("-1,234", 3)[2] == (
        "'-1,234' is ambiguous (thousands separator or decimal comma?): write -1234 or -1 234,00 "
        "for the whole number, or -1,2340 for the fraction")
    assert money("−999.000", 4)[2] == (
        "'−999.000' is ambiguous (thousands separator or decimal point?): write -999000 or "
        "-999 000.00 for the whole number, or -999.0000 for the fraction")


def test_money_limits_and_zeros() -> None:
    assert money("-10000000000000") == (-(10**13) * UNIT, None, None)
    assert money("10000000000000.00") == (10**13 * UNIT, None, None)
    assert money("10000000000000.001", 4) == (None, "money_range",
                                              f"'10000000000000.001' is too large: {MONEY_RANGE}")
    assert money("10000000000001") == (None, "money_range",
                                       f"'10000000000001' is too large: {MONEY_RANGE}")
    assert money("9999999999999.9999", 4) == (99999999999999999, None, None)
    assert money("1.50000") == (15000, None, None)
    assert money("-0") == (0, None, None)
    assert money("-0.5") == (-5000, None, None)
    assert money("0.0001", 4) == (1, None, None)
    assert money(Decimal("-2.5")) == (-25000, None, None)
    assert money(Decimal("-Infinity")) == (None, "money_format",
                                           f"'-Infinity' is not an amount: {LIKE}")
    assert money(dt.time(9, 30)) == (None, "money_format",
                                     "'09:30:00' is a time of day, not an amount")
    assert money(10**13 + 1) == (None, "money_range",
                                 f"'10000000000001' is too large: {MONEY_RANGE}")
    assert money(1234) == (1234 * UNIT, None, None)
    limits = parse_money(pd.Series([10**13, -(10**13), 10**13 + 1]), 2)  # an int column
    assert listed(limits.values) == [10**13 * UNIT, -(10**13) * UNIT, None]
    assert listed(limits.rule) == [None, None, "money_range"]
    assert money(Decimal("1E+3")) == (1000 * UNIT, None, None)
    assert money(Decimal("1.234"), 3) == (12340, None, None)  # a number cell is not ambiguous
    assert money(complex(1, 2)) == (None, "money_format", f"'(1+2j)' is not an amount: {LIKE}")


def test_money_float_cells_in_every_column() -> None:
    floats = parse_money(pd.Series([math.inf, -math.inf, 1e14, -1e14, 1.005, 10.0**13]), 2)
    assert listed(floats.message) == [
        f"'infinity' is not an amount: {LIKE}", f"'-infinity' is not an amount: {LIKE}",
        f"'100000000000000' is too large: {MONEY_RANGE}",
        f"'-100000000000000' is too large: {MONEY_RANGE}",
        "'1.005' has 3 decimal places; this currency allows at most 2", None]
    assert listed(floats.values)[5] == 10**13 * UNIT
    assert listed(floats.rule) == ["money_format", "money_format", "money_range", "money_range",
                                   "money_precision", None]
    mixed = parse_money(pd.Series([1.005, "1", math.inf, 2.5, 1e14], dtype=object), 2)
    assert listed(mixed.message) == [
        "'1.005' has 3 decimal places; this currency allows at most 2", None,
        f"'infinity' is not an amount: {LIKE}", None,
        f"'100000000000000' is too large: {MONEY_RANGE}"]
    assert listed(mixed.values) == [None, UNIT, None, 25000, None]


def test_digits_per_row_are_aligned_by_row() -> None:
    cells = pd.Series(["1.5", "1.5", "1.5"], index=[7, 8, 9])
    by_label = pd.Series([0, 2, 9], index=[9, 8, 7])  # the same rows in another order
    assert listed(parse_money(cells, by_label).values) == [15000, 15000, None]
    by_position = pd.Series([0, 2, -1], index=[0, 1, 2])
    assert listed(parse_money(cells, by_position).values) == [None, 15000, None]
    with pytest.raises(ValueError, match=r"^digits must have one value per cell$"):
        parse_money(cells, pd.Series([2, 2]))
    assert listed(parse_money(cells, 9).values) == [15000] * 3
    # digits per row outside 0..4 are clipped: -1 allows a whole amount, 9 allows four places
    clipped = parse_money(pd.Series(["2", "1.23456", "1.2345"]), pd.Series([-1, 9, 9]))
    assert listed(clipped.values) == [2 * UNIT, None, 12345]
    assert listed(clipped.message)[1] == (
        "'1.23456' has 5 decimal places; this currency allows at most 4")
    assert listed(parse_money(cells, -1).rule) == ["money_precision"] * 3
    assert listed(parse_money(pd.Series(["1.2345"]), pd.Series(["x"])).values) == [12345]


DECIMAL_LIKE = "write it like 12.5, 12,5 or 1 234.5"
DECIMAL_RANGE = "numbers must be between -999 999 999 999 and 999 999 999 999"


def test_decimal_messages() -> None:
    parsed = parse_decimal(pd.Series(["12.5", "abc", "1.1234567", "1,234", "1000000000000",
                                      "999999999999.000001", "999999999999.000", True],
                                     dtype=object))
    assert listed(parsed.values) == [12_500000, None, None, None, None, None,
                                     999999999999_000000, None]
    assert listed(parsed.message) == [
        None, f"'abc' is not a number: {DECIMAL_LIKE}",
        "'1.1234567' has 7 decimal places; at most 6 are allowed",
        "'1,234' is ambiguous (thousands separator or decimal comma?): write 1234 or 1 234,00 "
        "for the whole number, or 1,2340 for the fraction",
        f"'1000000000000' is too large: {DECIMAL_RANGE}",
        f"'999999999999.000001' is too large: {DECIMAL_RANGE}", None,
        "'TRUE' is a yes/no value, not a number"]
    assert listed(parsed.rule) == [None, "decimal_format", "decimal_precision",
                                   "decimal_ambiguous", "decimal_range", "decimal_range", None,
                                   "decimal_format"]
    floats = parse_decimal(pd.Series([0.1234567, 1e12]))
    assert listed(floats.message) == ["'0.1234567' has 7 decimal places; at most 6 are allowed",
                                      f"'1000000000000' is too large: {DECIMAL_RANGE}"]
    assert listed(parse_decimal(pd.Series(["12", "12.0", "12.5"]), 0).values) == [12, 12, None]
    three = parse_decimal(pd.Series(["1,234", "1,5", "0,125"]), 3)
    assert listed(three.rule) == ["decimal_ambiguous", None, None]
    assert listed(three.values) == [None, 1500, 125]
    assert listed(parse_decimal(pd.Series(["1.123456789012"]), 12).values) == [1123456789012]
    for places in (-1, 13):
        with pytest.raises(ValueError, match=r"^places must be between 0 and 12$"):
            parse_decimal(pd.Series(["1"]), places)


WHOLE_RANGE = ("whole numbers must be between -1 000 000 000 000 000 and "
               "1 000 000 000 000 000")


def test_whole_number_messages() -> None:
    parsed = parse_whole(pd.Series(["12", "12.0", "12,5", "1,234", "1 200", "x", "-7",
                                    "1000000000000001", "1000000000000000", 12.5, 1e16, 3.0],
                                   dtype=object))
    assert listed(parsed.values) == [12, 12, None, None, 1200, None, -7, None, 10**15, None,
                                     None, 3]
    assert listed(parsed.message) == [
        None, None, "'12,5' is not a whole number",
        "'1,234' is ambiguous (thousands separator or decimal comma?): write 1234 if you mean "
        "1 234", None, "'x' is not a whole number: write it like 12 or 1 200", None,
        f"'1000000000000001' is too large: {WHOLE_RANGE}", None, "'12.5' is not a whole number",
        f"'10000000000000000' is too large: {WHOLE_RANGE}", None]
    assert listed(parsed.rule) == [None, None, "whole_format", "whole_ambiguous", None,
                                   "whole_format", None, "whole_range", None, "whole_format",
                                   "whole_range", None]
    ints = parse_whole(pd.Series([10**16, -(10**16), 5], index=[4, 5, 6]))
    assert listed(ints.message) == [f"'10000000000000000' is too large: {WHOLE_RANGE}",
                                    f"'-10000000000000000' is too large: {WHOLE_RANGE}", None]
    assert listed(ints.values) == [None, None, 5]
    floats = parse_whole(pd.Series([12.5, 4.0]))
    assert listed(floats.message) == ["'12.5' is not a whole number", None]
    dates = parse_whole(pd.Series(pd.to_datetime(["2026-10-05", None])))
    assert listed(dates.message) == ["'2026-10-05' is a date, not a whole number", None]
    yes_no = parse_whole(pd.Series([False]))
    assert listed(yes_no.message) == ["'FALSE' is a yes/no value, not a whole number"]


def test_amount_messages_in_russian_count_decimal_places_in_russian() -> None:
    from ledgerflow.i18n import use_locale

    with use_locale("ru"):
        parsed = parse_money(pd.Series(["12.3456", "1,5", "1,234", "abc"]), 2)
        yen = parse_money(pd.Series(["12.5"]), 0)
    assert listed(parsed.message) == [
        "'12.3456': 4 знака после запятой, а эта валюта допускает не больше 2",
        None,
        "'1,234' — неоднозначно (разделитель тысяч или десятичная запятая?): для целого числа "
        "напишите 1234 или 1 234,00 (как дробь оно имело бы 3 знака после запятой, а эта "
        "валюта допускает 2)",
        "'abc' — не сумма: пишите так: 1234,56, 1 234,56 или 1,234.56"]
    assert listed(yen.message) == [
        "'12.5': 1 знак после запятой, а у этой валюты нет дробных единиц: напишите целую сумму"]


# --------------------------------------------------------------------------------------------
# the bulk reading of plain numbers: which texts it takes (every other is read one by one)
# --------------------------------------------------------------------------------------------


def _fast(texts: list[str], spec: object) -> dict[str, tuple[int, int]]:
    """The texts the vectorised reading takes, with (exact scaled value, significant places)."""
    import pyarrow as pa

    from ledgerflow.values import numbers as v

    where, values, places = v._fast_numbers(pa.array(texts, pa.large_string()), spec)
    return {texts[w]: (int(x), int(p))
            for w, x, p in zip(where.tolist(), values.tolist(), places.tolist(), strict=True)}


def test_the_bulk_reading_takes_plain_amounts_up_to_the_limit() -> None:
    from ledgerflow.values import numbers as v

    assert _fast(["12.5"], v._MONEY) == {"12.5": (125_000, 1)}
    assert _fast(["12.50", "-1234", "1234,5", "9999999999999", "10000000000000", "1,234",
                  "12.34567", "abc", "1 234", "0.0001"], v._MONEY) == {
        "12.50": (125_000, 1), "-1234": (-12_340_000, 0), "1234,5": (12_345_000, 1),
        "9999999999999": (99_999_999_999_990_000, 0), "0.0001": (1, 4)}
    assert _fast(["1,234", "x"], v._MONEY) == {}
    assert _fast([], v._MONEY) == {}


def test_the_bulk_reading_of_whole_numbers_takes_no_fraction() -> None:
    from ledgerflow.values import numbers as v

    assert _fast(["12", "-7", "12.0", "999999999999999", "1000000000000000", "1,234"],
                 v._WHOLE) == {"12": (12, 0), "-7": (-7, 0), "999999999999999": (10**15 - 1, 0)}


def test_a_text_column_of_plain_amounts_is_read_in_bulk(monkeypatch) -> None:
    """No plain amount is read one by one (a million-row column stays fast)."""
    from ledgerflow.values import numbers as v

    one_by_one: list[object] = []
    slow = v._number_unique

    def counted(cell: object, spec: object) -> object:
        one_by_one.append(cell)
        return slow(cell, spec)

    monkeypatch.setattr(v, "_number_unique", counted)
    parsed = parse_money(pd.Series(["12.5", "-1234", None, "1 234,50"]), 2)
    assert listed(parsed.values) == [125_000, -12_340_000, None, 12_345_000]
    assert one_by_one == ["1 234,50"]


@pytest.mark.parametrize(("cells", "message"), [
    (pd.Series([12.5, np.nan]), None),
    (pd.Series([10**14, 1]), "'100000000000000' is too large: amounts must be between "
                             "-10 000 000 000 000 and 10 000 000 000 000"),
    (pd.Series([True, None], dtype="boolean"), "'TRUE' is a yes/no value, not an amount"),
    (pd.Series(pd.to_datetime(["2026-10-05"])), "'2026-10-05' is a date, not an amount"),
], ids=["float", "int", "boolean", "datetime"])
def test_a_typed_amount_column_is_read_without_factorising(monkeypatch, cells: pd.Series,
                                                          message: str | None) -> None:
    from ledgerflow.values import numbers as v

    def refused(raw: pd.Series) -> object:
        raise AssertionError("a typed column was read cell by cell")

    monkeypatch.setattr(v, "factorise", refused)
    assert one(parse_money(cells, 2))[2] == message


def test_an_ambiguous_decimal_of_few_places_is_not_advised_as_an_amount() -> None:
    """The advice to write the whole number of a currency with fewer than three minor digits is
    for amounts; a decimal of two places keeps the decimal's words."""
    parsed = parse_decimal(pd.Series(["1,234", "-1.234"]), places=2)
    assert listed(parsed.rule) == ["decimal_ambiguous"] * 2
    assert listed(parsed.message) == [
        "'1,234' is ambiguous (thousands separator or decimal comma?): write 1234 or 1 234,00 "
        "for the whole number, or 1,2340 for the fraction",
        "'-1.234' is ambiguous (thousands separator or decimal point?): write -1234 or "
        "-1 234.00 for the whole number, or -1.2340 for the fraction"]
