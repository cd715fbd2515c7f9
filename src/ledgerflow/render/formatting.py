"""Numbers, dates, rates and words as a reader of one locale expects them, all through babel.

Money is never converted to float: the exact `Decimal` goes to babel with a pattern carrying the
currency's minor digits (ISO 4217, as `ledgerflow.values.minor_digits`, or the statement's own
`digits`), and babel is told not to round (`decimal_quantization=False`), so an amount with more
digits than its currency has is shown in full instead of being rounded away silently.

    ru: 1 234,56 ₽     05.10.2026     1 USD = 92,5 RUB
    en: RUB 1,234.56   Oct 5, 2026    1 USD = 92.5 RUB

(babel separates thousands and the symbol with a no-break space in Russian; it is kept as is.)
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from decimal import Decimal

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.numbers import format_currency, format_decimal

from ledgerflow.errors import UsageError
from ledgerflow.render.labels import LABELS, LOCALES
from ledgerflow.values import minor_digits

# en: the ISO code before the amount ("RUB 1,234.56"), whatever the currency; ru: the locale's
# own currency pattern ("#,##0.00 ¤", symbol after the amount).
_EN_MONEY = "¤¤ #,##0.00"
_DATE_PATTERNS = {"ru": "dd.MM.yyyy", "en": "MMM d, yyyy"}
_RATE_PATTERN = "#,##0.##########"


def check_locale(locale: str) -> str:
    if locale not in LOCALES:
        known = ", ".join(sorted(LOCALES))
        raise UsageError(f"Statements are written in {known}, not {locale!r}.")
    return locale


def _money_pattern(locale: str, digits: int, signed: bool) -> str:
    if locale == "en":
        base = _EN_MONEY
    else:
        found = Locale.parse(LOCALES[locale]).currency_formats["standard"]
        base = found.pattern.split(";")[0]
    fraction = "0." + "0" * digits if digits > 0 else "0"
    base = base.replace("0.00", fraction)
    if signed:
        return f"+{base};-{base}"
    return base


def _exact(amount: Decimal, digits: int) -> Decimal:
    """The amount at exactly `digits` places when that loses nothing; otherwise unchanged."""
    if amount == 0:
        amount = abs(amount)  # never "-0.00"
    quantized = amount.quantize(Decimal(1).scaleb(-digits))
    return quantized if quantized == amount else amount


def babel_money(amount: Decimal, currency: str, locale: str, places: int, signed: bool) -> str:
    """babel's own rendering of an amount; the reference the fast path is derived from."""
    pattern = _money_pattern(locale, places, signed and amount != 0)
    return format_currency(_exact(amount, places), currency, format=pattern,
                           locale=LOCALES[locale], currency_digits=False,
                           decimal_quantization=False)


_PROBE_DIGITS = re.compile(
    r"1(?P<group>\D*)234(?P=group)567(?:(?P<decimal>\D+)(?P<fraction>8+))?")


@functools.cache
def _money_shape(currency: str, locale: str, places: int,
                 signed: bool) -> tuple[str, str, str, str, str, str] | None:
    """How babel lays out an amount of this currency in this locale, read off two probes:
    (positive prefix, positive suffix, negative prefix, negative suffix, group, decimal).
    Formatting a statement's thousands of amounts then costs a string format each, and the
    result is babel's to the character (tests compare both on random amounts)."""
    fraction = "8" * places
    probe = Decimal(f"1234567.{fraction}") if places else Decimal(1234567)
    shapes = []
    for value in (probe, -probe):
        text = babel_money(value, currency, locale, places, signed)
        found = _PROBE_DIGITS.search(text)
        if found is None or (places and found.group("fraction") != fraction):
            return None
        shapes.append((text[:found.start()], text[found.end():], found.group("group"),
                       found.group("decimal") or ""))
    (pos_prefix, pos_suffix, group, decimal), (neg_prefix, neg_suffix, _, _) = shapes
    return pos_prefix, pos_suffix, neg_prefix, neg_suffix, group, decimal


def format_money(amount: Decimal, currency: str, locale: str, digits: int | None = None,
                 signed: bool = False) -> str:
    """`Decimal('1234.56')`, RUB -> ru `1 234,56 ₽`, en `RUB 1,234.56`.

    `digits` defaults to the currency's ISO 4217 minor digits; `signed` writes `+` before a
    positive amount (a zero stays unsigned).
    """
    if not isinstance(amount, Decimal):
        raise TypeError(f"money must be an exact Decimal, not {type(amount).__name__}")
    places = _digits(currency) if digits is None else digits
    exact = amount.quantize(_STEPS[places]) if places in _STEPS else amount
    if exact != amount or not exact.is_finite():  # more digits than the currency has
        return babel_money(amount, currency, locale, places, signed)
    if not exact:
        exact = _ZEROS[places]  # never "-0.00"
    shape = _money_shape(currency, locale, places, signed and bool(exact))
    if shape is None:
        return babel_money(amount, currency, locale, places, signed)
    pos_prefix, pos_suffix, neg_prefix, neg_suffix, group, decimal = shape
    body = format(abs(exact), f",.{places}f").replace(",", "\0").replace(".", decimal)
    body = body.replace("\0", group)
    if exact < 0:
        return f"{neg_prefix}{body}{neg_suffix}"
    return f"{pos_prefix}{body}{pos_suffix}"


_STEPS = {d: Decimal(1).scaleb(-d) for d in range(9)}
_ZEROS = {d: Decimal(0).quantize(step) for d, step in _STEPS.items()}
_digits = functools.lru_cache(maxsize=512)(minor_digits)


@functools.lru_cache(maxsize=4096)
def format_date(day: dt.date, locale: str) -> str:
    """ru `05.10.2026`, en `Oct 5, 2026`."""
    return babel_format_date(day, _DATE_PATTERNS[locale], locale=LOCALES[locale])


def format_period(start: dt.date, end: dt.date, locale: str) -> str:
    return f"{format_date(start, locale)} – {format_date(end, locale)}"


@functools.lru_cache(maxsize=4096)
def format_number(value: Decimal | int, locale: str) -> str:
    """A plain number with every digit it has: rates, units, counts."""
    number = value.normalize() if isinstance(value, Decimal) else value
    return format_decimal(number, format=_RATE_PATTERN, locale=LOCALES[locale],
                          decimal_quantization=False)


def rate_equation(rate: Decimal, units: int | None, currency: str, payer_currency: str,
                  inverse: bool, locale: str) -> str:
    """The rate a line was converted at, as the rates table states it.

    Direct: `units` of the line's currency are worth `rate` of the payer's (`100 KZT = 17.5 RUB`).
    Inverse: the rate was found the other way round, `units` of the payer's currency are worth
    `rate` of the line's (`1 RUB = 0.011 USD` for a USD line of a RUB payer), and divided by.
    """
    count = units if units is not None else 1
    left, right = (payer_currency, currency) if inverse else (currency, payer_currency)
    return f"{format_number(count, locale)} {left} = {format_number(rate, locale)} {right}"


def format_rate(rate: Decimal, units: int | None, currency: str, payer_currency: str,
                inverse: bool, locale: str) -> str:
    """`rate_equation`, followed by the word "inverse" when the rate was inverted."""
    text = rate_equation(rate, units, currency, payer_currency, inverse, locale)
    return f"{text} ({LABELS[locale]['inverse']})" if inverse else text


def word(key: str, locale: str) -> str:
    """A label by its key (a line kind, a flag, an ageing bucket); unknown keys as they are."""
    return LABELS[locale].get(key, key)


class Formatter:
    """The formatters of one locale, as the jinja2 filters `money`, `date`, `kind`, `flag`,
    `number` and `period` use them."""

    def __init__(self, locale: str) -> None:
        self.locale = check_locale(locale)

    def money(self, amount: Decimal, currency: str, digits: int | None = None,
              signed: bool = False) -> str:
        return format_money(amount, currency, self.locale, digits, signed)

    def date(self, day: dt.date) -> str:
        return format_date(day, self.locale)

    def period(self, start: dt.date, end: dt.date) -> str:
        return format_period(start, end, self.locale)

    def number(self, value: Decimal | int) -> str:
        return format_number(value, self.locale)

    def word(self, key: str) -> str:
        return word(key, self.locale)
