"""Tax IDs: digit text, and the Russian INN's check digits (SPEC clients.tax_id)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ledgerflow.i18n import _
from ledgerflow.values.cells import WHITESPACE, Parsed, show
from ledgerflow.values.numbers import SCIENTIFIC
from ledgerflow.values.text import map_text

_DIGITS = re.compile(r"[0-9]+")


def parse_tax_id(raw: pd.Series) -> Parsed:
    """Tax IDs as digit text (rule tax_id_format); text cells keep leading zeros.

    A number cell becomes its integer digits; it cannot keep a leading zero, which the length
    check of the validator then reports.
    """
    scientific = _("{value} is a number in scientific notation and its digits are lost: "
                   "format the column as text and type the tax ID in full")
    not_digits = _("{value} must contain digits only (found {found})")
    a_space = _("a space")

    def one(text: str) -> tuple[str | None, str | None, str | None]:
        if _DIGITS.fullmatch(text):
            return text, None, None
        shown = show(text)
        if SCIENTIFIC.fullmatch(text):
            return None, "tax_id_format", scientific.format(value=shown)
        # not all ASCII digits, and never empty (a blank cell is not looked at): there is one
        bad = next(ch for ch in text if not "0" <= ch <= "9")
        what = a_space if bad.isspace() else show(bad)
        return None, "tax_id_format", not_digits.format(value=shown, found=what)

    return map_text(raw, one)


_INN10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def _check_digit(digits: str, weights: tuple[int, ...]) -> str:
    """One INN check digit: the weighted sum of the digits before it, mod 11, mod 10."""
    return str(sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11 % 10)


def complete_inn(stem: str) -> str:
    """A valid INN from its stem: 9 digits -> a legal entity's 10, 10 digits -> a person's 12."""
    if len(stem) == 9:
        return stem + _check_digit(stem, _INN10)
    if len(stem) == 10:
        eleven = stem + _check_digit(stem, _INN11)
        return eleven + _check_digit(eleven, _INN12)
    raise ValueError(f"an INN stem has 9 or 10 digits, not {len(stem)}")


def inn_is_valid(inn: str) -> bool:
    """Russian INN check digits: 10 digits (legal entity) or 12 digits (person)."""
    if not isinstance(inn, str) or not _DIGITS.fullmatch(inn) or len(inn) not in (10, 12):
        return False
    return complete_inn(inn[: len(inn) - (1 if len(inn) == 10 else 2)]) == inn


def _inn_valid_array(inn: np.ndarray, length: int) -> np.ndarray:
    """Vectorised check digits for an array of ASCII digit strings, all `length` long."""
    d = (np.asarray(inn, dtype=f"U{length}").view(np.uint32).reshape(-1, length) - 48)
    d = d.astype(np.int64)
    if length == 10:
        return (d[:, :9] @ np.array(_INN10) % 11 % 10) == d[:, 9]
    c11 = d[:, :10] @ np.array(_INN11) % 11 % 10
    c12 = d[:, :11] @ np.array(_INN12) % 11 % 10
    return (c11 == d[:, 10]) & (c12 == d[:, 11])


def _aligned(s: pd.Series, index: pd.Index) -> pd.Series:
    return s if s.index.equals(index) else s.reindex(index)


def check_inn(tax_id: pd.Series, client_type: pd.Series, country: pd.Series) -> pd.Series:
    """True where the tax ID is acceptable for SPEC clients.tax_id.

    For country RU (a blank country counts as RU, the column's default): legal needs 10 digits,
    individual and sole_proprietor 12, with valid check digits; an unknown or blank client_type
    accepts either length. Other countries and blank tax IDs are True (requiredness is checked
    elsewhere).
    """
    index = tax_id.index
    result = np.ones(len(tax_id), dtype=bool)
    tid = tax_id.astype("str").str.strip(WHITESPACE)
    ctry = _aligned(country, index).astype("str").str.strip(WHITESPACE).str.upper()
    russian = (ctry.isna() | (ctry == "RU")).to_numpy(dtype=bool)
    check = np.flatnonzero(russian & tid.notna().to_numpy(dtype=bool))
    if len(check) == 0:
        return pd.Series(result, index=index, dtype=bool)
    text = tid.iloc[check]
    lengths = text.str.len().to_numpy(dtype=np.int64)
    digits = text.str.fullmatch("[0-9]+").to_numpy(dtype=bool, na_value=False)
    types = _aligned(client_type, index).astype(object).to_numpy()[check]
    need10 = types == "legal"
    need12 = (types == "individual") | (types == "sole_proprietor")
    ok = digits & np.where(need10, lengths == 10,
                           np.where(need12, lengths == 12, (lengths == 10) | (lengths == 12)))
    values = text.to_numpy(dtype=object)
    for length in (10, 12):
        sel = np.flatnonzero(ok & (lengths == length))
        if len(sel):
            ok[sel] = _inn_valid_array(values[sel], length)
    result[check] = ok
    return pd.Series(result, index=index, dtype=bool)
