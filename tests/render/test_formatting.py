"""The fast money formatting is babel's, character for character."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerflow.render.formatting import babel_money, format_money

CASES = [("RUB", "ru", 2), ("USD", "ru", 2), ("RUB", "en", 2), ("USD", "en", 2),
         ("JPY", "ru", 0), ("JPY", "en", 0), ("KWD", "ru", 3), ("EUR", "en", 2)]


@settings(max_examples=300, deadline=None)
@given(units=st.integers(-10**15, 10**15), case=st.sampled_from(CASES), signed=st.booleans())
def test_fast_money_equals_babel(units: int, case: tuple[str, str, int], signed: bool) -> None:
    currency, locale, digits = case
    amount = Decimal(units).scaleb(-digits)
    assert format_money(amount, currency, locale, digits, signed) == babel_money(
        amount, currency, locale, digits, signed)


def test_examples_of_the_issue() -> None:
    assert format_money(Decimal("1234.56"), "RUB", "ru") == "1\xa0234,56\xa0₽"
    assert format_money(Decimal("1234.56"), "RUB", "en") == "RUB 1,234.56"
    assert format_money(Decimal("-0.00"), "RUB", "en", signed=True) == "RUB 0.00"
    # more digits than the currency has are shown, never rounded away
    assert format_money(Decimal("1.234"), "RUB", "en") == "RUB 1.234"
