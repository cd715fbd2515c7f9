"""ISO 4217 currency codes and their minor units, ISO 3166 country codes."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pycountry

from ledgerflow.i18n import _
from ledgerflow.values.cells import Parsed, int64_series, show, take
from ledgerflow.values.text import map_text

# ISO 4217 minor units of the currencies that do not have two. CLDR's display digits (what
# babel reports) differ for some (HUF, IDR, COP, IQD ...), and money rules follow ISO.
_ISO_MINOR_UNITS = {
    **dict.fromkeys(("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF",
                     "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
}


def minor_digits(currency: str) -> int:
    """ISO 4217 minor units of a currency code: RUB 2, JPY 0, KWD 3, HUF 2."""
    return _ISO_MINOR_UNITS.get(str(currency).strip().upper(), 2)


def currency_digits(currency: pd.Series) -> pd.Series:
    """Minor digits per row of a (parsed) currency column; NA where the currency is NA."""
    codes, uniq = pd.factorize(currency, use_na_sentinel=True)
    digits_u = np.array([minor_digits(str(u)) for u in uniq], dtype=np.int64)
    codes = np.asarray(codes, dtype=np.intp)
    return int64_series(take(digits_u, codes, 0), codes < 0, currency.index)


@functools.lru_cache(maxsize=1)
def _currency_codes() -> frozenset[str]:
    # pycountry lists the current ISO 4217 codes; XTS (testing) and XXX (no currency) are not
    # currencies an account can be kept in.
    return frozenset(c.alpha_3 for c in pycountry.currencies) - {"XTS", "XXX"}


_CURRENCY_HINTS: dict[str, str | tuple[str, str]] = {
    "₽": "RUB", "РУБ": "RUB", "РУБ.": "RUB", "Р": "RUB", "Р.": "RUB", "RUR": "RUB", "РУБЛЬ": "RUB",
    "РУБЛИ": "RUB", "РУБЛЕЙ": "RUB", "$": "USD", "US$": "USD", "ДОЛЛ": "USD", "ДОЛЛАР": "USD",
    "€": "EUR", "ЕВРО": "EUR", "£": "GBP", "¥": ("JPY", "CNY"), "ТЕНГЕ": "KZT", "₸": "KZT",
    "ЮАНЬ": "CNY", "BYR": "BYN",
}


def parse_currency(raw: pd.Series) -> Parsed:
    """Active ISO 4217 alphabetic code, upper-cased (rule currency_code)."""
    codes = _currency_codes()
    placeholder = _("{value} is a placeholder code, not a currency: use a three-letter code "
                    "such as RUB, USD or EUR")
    with_hint = _("{value} is not an ISO 4217 currency code: did you mean {hint}?")
    without = _("{value} is not an ISO 4217 currency code: use a three-letter code such as RUB, "
                "USD or EUR")
    either = _("{first} or {last}")

    def one(text: str) -> tuple[str | None, str | None, str | None]:
        code = text.upper()
        if code in codes:
            return code, None, None
        if code in ("XXX", "XTS"):
            return None, "currency_code", placeholder.format(value=show(text))
        hint = _CURRENCY_HINTS.get(code)
        if hint is None:
            return None, "currency_code", without.format(value=show(text))
        hint = either.format(first=hint[0], last=hint[1]) if isinstance(hint, tuple) else hint
        return None, "currency_code", with_hint.format(value=show(text), hint=hint)

    return map_text(raw, one)


@functools.lru_cache(maxsize=1)
def _country_codes() -> tuple[frozenset[str], dict[str, str]]:
    alpha2 = frozenset(c.alpha_2 for c in pycountry.countries)
    by_alpha3 = {c.alpha_3: c.alpha_2 for c in pycountry.countries}
    return alpha2, by_alpha3


_COUNTRY_HINTS = {"UK": "GB", "РФ": "RU", "РОССИЯ": "RU", "RUSSIA": "RU", "РБ": "BY",
                  "КАЗАХСТАН": "KZ", "БЕЛАРУСЬ": "BY"}


def parse_country(raw: pd.Series) -> Parsed:
    """ISO 3166-1 alpha-2 code, upper-cased (rule country_code)."""
    alpha2, by_alpha3 = _country_codes()
    with_hint = _("{value} is not an ISO 3166 country code: did you mean {hint}?")
    without = _("{value} is not an ISO 3166 country code: use a two-letter code such as RU, KZ "
                "or DE")

    def one(text: str) -> tuple[str | None, str | None, str | None]:
        code = text.upper()
        if code in alpha2:
            return code, None, None
        hint = by_alpha3.get(code) or _COUNTRY_HINTS.get(code)
        if hint:
            return None, "country_code", with_hint.format(value=show(text), hint=hint)
        return None, "country_code", without.format(value=show(text))

    return map_text(raw, one)
