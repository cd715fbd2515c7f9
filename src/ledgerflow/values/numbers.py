"""Numbers of SPEC "Values": money, exact decimals and whole numbers.

Money is never computed in binary floating point. A numeric cell's float is only examined to
decide which exact decimal it holds (at most the currency's minor digits once float noise is
removed); the result is an integer count of 10**-MONEY_SCALE units.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ledgerflow.i18n import N_, _, active, ngettext
from ledgerflow.values.cells import (
    Parsed,
    factorise,
    float_text,
    floats_of,
    int64_series,
    ints_of,
    is_bool,
    is_datetime,
    per_key_messages,
    show,
    take,
)
from ledgerflow.values.text import Reading

MONEY_SCALE = 4  # money is Int64 = value * 10**MONEY_SCALE, exact; storage is DECIMAL(18,4)
MONEY_LIMIT = 10**13  # |amount| above this is refused (money_range)
WHOLE_LIMIT = 10**15  # |whole number| above this is refused (whole_range)
GROUP_SPACES = " \u00a0\u202f"  # thousands separators accepted in amounts

_OK, _FORMAT, _RANGE, _PRECISION, _AMBIGUOUS, _FLOAT = 0, 1, 2, 3, 4, 5

@dataclass(frozen=True)
class _NumSpec:
    prefix: str  # rule prefix: money / decimal / whole
    scale: int  # values are returned as exact value * 10**scale
    limit: int  # |value| above this is a range error
    noun: str  # "an amount", "a number", "a whole number" (marked for translation: N_)
    example: str  # how to write one (N_)


_POWF = 10.0 ** np.arange(19)
_POWI = 10 ** np.arange(19, dtype=np.int64)

_N_SIGN = re.compile(r"([-+\u2212]?)[ \u00a0\u202f]*(.*)", re.S)
_N_PLAIN = re.compile(r"([0-9]+)(?:([.,])([0-9]+))?")
_N_SPACE = re.compile(r"([0-9]{1,3}(?:[ \u00a0\u202f][0-9]{3})+)(?:[.,]([0-9]+))?")
_N_COMMA = re.compile(r"([0-9]{1,3}(?:,[0-9]{3})+)(?:\.([0-9]+))?")
_N_DOT = re.compile(r"([0-9]{1,3}(?:\.[0-9]{3})+)(?:,([0-9]+))?")
_N_LEADING_GROUP = re.compile(r"[1-9][0-9]{0,2}")
SCIENTIFIC = re.compile(r"[-+]?[0-9]*[.,]?[0-9]+[eE][-+]?[0-9]+")
_N_CURRENCY = re.compile(r"[$€£¥₽₸₴₺₹¤]|\b(?:руб|р\.|rub|usd|eur|cny|kzt)", re.I)


def _split_number(text: str) -> tuple[int, bool, str, str, str]:
    """Read a number typed as text.

    Returns (status, negative, integer digits, fraction digits, detail) where status is _OK,
    _AMBIGUOUS (detail = the separator) or _FORMAT (detail = a hint for the message).
    """
    # the pattern (a sign or none, spaces or none, anything, across lines) matches every text
    sign, body = _N_SIGN.fullmatch(text).groups()  # type: ignore[union-attr]
    negative = sign in ("-", "\u2212")
    p = _N_PLAIN.fullmatch(body)
    if p:
        whole, sep, frac = p.group(1), p.group(2), p.group(3) or ""
        if sep and len(frac) == 3 and _N_LEADING_GROUP.fullmatch(whole):
            return _AMBIGUOUS, negative, whole, frac, sep
        return _OK, negative, whole, frac, ""
    for pattern, seps in ((_N_SPACE, GROUP_SPACES), (_N_COMMA, ","), (_N_DOT, ".")):
        g = pattern.fullmatch(body)
        if g:
            whole = g.group(1)
            for ch in seps:
                whole = whole.replace(ch, "")
            return _OK, negative, whole, g.group(2) or "", ""
    if SCIENTIFIC.fullmatch(text):
        hint = "scientific"
    elif _N_CURRENCY.search(text):
        hint = "currency"
    elif text.startswith("(") and text.endswith(")"):
        hint = "parentheses"
    elif "'" in text or "’" in text:
        hint = "apostrophe"
    else:
        hint = ""
    return _FORMAT, negative, "", "", hint


def _ambiguous_message(shown: str, negative: bool, whole: str, frac: str, sep: str,
                       spec: _NumSpec, places: int | None = None) -> str:
    """`places`: the decimal places this row allows, when fewer than the fraction would need
    (it can then only be meant as a whole number, and no fraction is suggested)."""
    kind = _("decimal comma") if sep == "," else _("decimal point")
    sign = "-" if negative else ""
    joined = sign + whole + frac
    grouped = sign + f"{int(whole + frac):,}".replace(",", " ")
    if spec.prefix == "whole":
        return _("{value} is ambiguous (thousands separator or {kind}?): write {joined} if you "
                 "mean {grouped}").format(value=shown, kind=kind, joined=joined, grouped=grouped)
    if places is not None:
        cents = sep + "0" * places if places else ""
        fraction = ngettext("{n} decimal place", "{n} decimal places", len(frac)).format(
            n=len(frac))
        return _("{value} is ambiguous (thousands separator or {kind}?): write {joined} or "
                 "{whole} for the whole number (as a fraction it would have {fraction}, and "
                 "this currency allows {allowed})").format(
            value=shown, kind=kind, joined=joined, whole=grouped + cents, fraction=fraction,
            allowed=places)
    return _("{value} is ambiguous (thousands separator or {kind}?): write {joined} or {whole} "
             "for the whole number, or {fraction} for the fraction").format(
        value=shown, kind=kind, joined=joined, whole=f"{grouped}{sep}00",
        fraction=f"{sign}{whole}{sep}{frac}0")


_HINTS = {
    "scientific": N_("it is in scientific notation and digits may have been lost; "
                     "type the full number"),
    "currency": N_("write the number only, without a currency sign or code"),
    "parentheses": N_("write a negative number with a minus sign, e.g. -1234.56"),
    "apostrophe": N_("use a space as the thousands separator, e.g. 1 234.56"),
}


_RANGE_WHAT = {"money": N_("amounts"), "decimal": N_("numbers"), "whole": N_("whole numbers")}


@functools.lru_cache(maxsize=64)
def _templates(locale: str, spec: _NumSpec) -> dict[str, str]:
    """The messages of a kind of number that do not depend on the row, translated once for the
    locale and filled in but for the cell (`{value}`): a column of a million bad cells formats
    them, it does not translate them again."""
    def filled(template: str, **values: str) -> str:
        return _(template).format(value="{value}", **values)

    noun = _(spec.noun)
    templates = {f"format:{hint}": filled(N_("{value} is not {noun}: {advice}"), noun=noun,
                                          advice=_(advice))
                 for hint, advice in _HINTS.items()}
    templates["format:"] = filled(N_("{value} is not {noun}: {advice}"), noun=noun, advice=_(
        "write it like {example}").format(example=_(spec.example)))
    templates["range"] = filled(
        N_("{value} is too large: {what} must be between -{limit} and {limit}"),
        what=_(_RANGE_WHAT[spec.prefix]), limit=f"{spec.limit:,}".replace(",", " "))
    templates["yes/no"] = filled(N_("{value} is a yes/no value, not {noun}"), noun=noun)
    templates["time"] = filled(N_("{value} is a time of day, not {noun}"), noun=noun)
    templates["date"] = filled(N_("{value} is a date, not {noun}"), noun=noun)
    return templates


def _template(spec: _NumSpec, which: str) -> str:
    return _templates(active(), spec)[which]


def _format_message(shown: str, spec: _NumSpec, hint: str = "") -> str:
    return _template(spec, f"format:{hint if hint in _HINTS else ''}").format(value=shown)


def _range_message(shown: str, spec: _NumSpec) -> str:
    return _template(spec, "range").format(value=shown)


def _precision_message(shown: str, places: int | None, allowed: int, spec: _NumSpec) -> str:
    if spec.prefix == "whole":
        return _("{value} is not a whole number").format(value=shown)
    if places is not None:
        has = ngettext("has {n} decimal place", "has {n} decimal places", places).format(
            n=places)
    else:
        has = ngettext("has more than {n} decimal place", "has more than {n} decimal places",
                       allowed).format(n=allowed)
    if spec.prefix == "money":
        if allowed == 0:
            return _("{value} {has}; this currency has no minor units: write a whole "
                     "amount").format(value=shown, has=has)
        return _("{value} {has}; this currency allows at most {allowed}").format(
            value=shown, has=has, allowed=allowed)
    return _("{value} {has}; at most {allowed} are allowed").format(value=shown, has=has,
                                                                   allowed=allowed)


def _rule(spec: _NumSpec, status: int) -> str:
    if status == _PRECISION:
        return "whole_format" if spec.prefix == "whole" else f"{spec.prefix}_precision"
    return f"{spec.prefix}_" + {_FORMAT: "format", _RANGE: "range", _AMBIGUOUS: "ambiguous"}[status]


def _floats_core(
    x: np.ndarray, allowed: np.ndarray, spec: _NumSpec,
) -> tuple[np.ndarray, np.ndarray]:
    """Exact scaled values and status codes for float cells (no NaN in x).

    A float holds the decimal r / 10**d (d = allowed places) when it is within float noise of it:
    |x*10**d - r| < max(1e-9, |x*10**d|*1e-14) with r = round(x*10**d).
    """
    finite = np.isfinite(x)
    big = finite & (np.abs(np.where(finite, x, 0.0)) > spec.limit)
    good = finite & ~big
    xs = np.where(good, x, 0.0)
    scaled = xs * _POWF[allowed]
    r = np.round(scaled)
    tol = np.maximum(1e-9, np.abs(scaled) * 1e-14)
    fine = good & (np.abs(scaled - r) < tol)
    values = np.where(fine, r, 0.0).astype(np.int64) * _POWI[spec.scale - allowed]
    status = np.full(len(x), _OK, dtype=np.int8)
    status[~finite] = _FORMAT
    status[big] = _RANGE
    status[good & ~fine] = _PRECISION
    return values, status


def _float_errors(
    x: np.ndarray, allowed: np.ndarray, status: np.ndarray, spec: _NumSpec,
) -> tuple[np.ndarray, np.ndarray]:
    def make(xv: float, d: int, st: int) -> tuple[str, str]:
        text = float_text(xv)
        shown = show(text)
        if st == _PRECISION:
            # not within noise of a decimal of d places, the float shows more than d of them
            # (15 significant digits): the text has a point, and `places` is above d
            places = len(text) - text.index(".") - 1
            return _rule(spec, st), _precision_message(shown, places, int(d), spec)
        if st == _RANGE:
            return _rule(spec, st), _range_message(shown, spec)
        return _rule(spec, st), _format_message(shown, spec)

    return per_key_messages(np.arange(len(x)), [x, allowed, status], make)


@dataclass
class _NumUnique:
    status: int
    value: int = 0  # exact value * 10**spec.scale when places <= scale
    places: int = 0  # significant decimal places
    fvalue: float = 0.0  # for float cells, decided per row
    message: str = ""


def _number_unique(cell: object, spec: _NumSpec) -> _NumUnique:
    if isinstance(cell, (float, np.floating)):
        return _NumUnique(_FLOAT, fvalue=float(cell))
    shown = show(cell)
    if is_bool(cell):
        return _NumUnique(_FORMAT, message=_template(spec, "yes/no").format(value=shown))
    if isinstance(cell, dt.time):
        return _NumUnique(_FORMAT, message=_template(spec, "time").format(value=shown))
    if is_datetime(cell):
        return _NumUnique(_FORMAT, message=_template(spec, "date").format(value=shown))
    if isinstance(cell, (int, np.integer)):
        text = str(int(cell))
    elif isinstance(cell, Decimal):
        if not cell.is_finite():
            return _NumUnique(_FORMAT, message=_format_message(shown, spec))
        text = format(cell, "f")
    elif isinstance(cell, str):
        text = cell
    else:
        return _NumUnique(_FORMAT, message=_format_message(shown, spec))
    status, negative, whole, frac, detail = _split_number(text)
    if status == _AMBIGUOUS and not isinstance(cell, str):
        status = _OK  # a number cell has no separators to be ambiguous about
    if status == _FORMAT:
        return _NumUnique(_FORMAT, message=_format_message(shown, spec, detail))
    if status == _AMBIGUOUS:
        return _NumUnique(_AMBIGUOUS, message=_ambiguous_message(shown, negative, whole, frac,
                                                                 detail, spec))
    significant = frac.rstrip("0")
    units = int(whole)
    if units > spec.limit or (units == spec.limit and significant):
        return _NumUnique(_RANGE, message=_range_message(shown, spec))
    places = len(significant)
    value = 0
    if places <= spec.scale:
        value = units * 10**spec.scale + (int(significant.ljust(spec.scale, "0")) if spec.scale
                                          else 0)
        if negative:
            value = -value
    return _NumUnique(_OK, value=value, places=places)


_FAST_NUMBER = r"^(?P<s>-?)(?P<i>[0-9]+)(?:[.,](?P<f>[0-9]*))?$"
_FAST_AMBIGUOUS = r"^-?[1-9][0-9]{0,2}[.,][0-9]{3}$"


def _fast_numbers(text: pa.Array, spec: _NumSpec) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vectorised reading of the plain forms ('-1234', '1234.56', '1234,5') of distinct texts.

    Returns positions read, their exact values (* 10**spec.scale) and significant places. Every
    other text, and any that might be ambiguous or out of range, is left to `_number_unique`.
    """
    empty = np.empty(0, dtype=np.int64)
    if len(text) == 0:
        return empty, empty, empty
    max_int = len(str(spec.limit)) - 1  # so that every match is within the limit
    frac = f"(?:[.,][0-9]{{1,{spec.scale}}})?" if spec.scale else ""
    match = pc.match_substring_regex(text, f"^-?[0-9]{{1,{max_int}}}{frac}$")
    if spec.scale >= 3:
        match = pc.and_(match, pc.invert(pc.match_substring_regex(text, _FAST_AMBIGUOUS)))
    where = np.flatnonzero(pc.fill_null(match, False).to_numpy(zero_copy_only=False))
    if len(where) == 0:
        return empty, empty, empty
    parts = pc.extract_regex(text.take(pa.array(where)), _FAST_NUMBER)
    units = pc.cast(parts.field("i"), pa.int64()).to_numpy(zero_copy_only=False)
    fraction = parts.field("f")
    places = pc.utf8_length(pc.utf8_rtrim(fraction, characters="0"))
    values = units * _POWI[spec.scale]
    if spec.scale:
        padded = pc.utf8_rpad(fraction, width=spec.scale, padding="0")
        values = values + pc.cast(padded, pa.int64()).to_numpy(zero_copy_only=False)
    negative = pc.equal(parts.field("s"), "-").to_numpy(zero_copy_only=False)
    values = np.where(negative, -values, values)
    return where, values, places.to_numpy(zero_copy_only=False).astype(np.int64)


def _numbers(raw: pd.Series, allowed: np.ndarray, spec: _NumSpec) -> Parsed:
    """Shared core of parse_money / parse_decimal / parse_whole; allowed = places per row."""
    col = Reading(raw)
    errors = col.errors
    values = np.zeros(col.n, dtype=np.int64)
    if col.storage == "float":
        x = floats_of(raw)
        blank = np.isnan(x)
        rows = np.flatnonzero(~blank)
        v, status = _floats_core(x[rows], allowed[rows], spec)
        values[rows] = v
        bad = np.flatnonzero(status != _OK)
        if len(bad):
            r, m = _float_errors(x[rows[bad]], allowed[rows[bad]], status[bad], spec)
            errors.set(rows[bad], r, m)
    elif col.storage == "int":
        v, blank = ints_of(raw)
        big = ~blank & (np.abs(v) > spec.limit)
        values = np.where(big | blank, 0, v) * _POWI[spec.scale]
        bad = np.flatnonzero(big)
        if len(bad):
            r, m = per_key_messages(
                bad, [v[bad]],
                lambda iv: (_rule(spec, _RANGE), _range_message(show(str(iv)), spec)))
            errors.set(bad, r, m)
    elif col.storage in ("bool", "datetime"):
        blank = col.blank()
        template = _template(spec, "yes/no" if col.storage == "bool" else "date")
        col.refuse(np.flatnonzero(~blank), _rule(spec, _FORMAT),
                   lambda s: template.format(value=show(s)))
    else:
        cells = factorise(raw)
        codes = cells.codes
        blank = codes < 0
        size = cells.size
        st_u = np.full(size, _FORMAT, dtype=np.int8)
        val_u = np.zeros(size, dtype=np.int64)
        places_u = np.zeros(size, dtype=np.int64)
        fval_u = np.zeros(size, dtype=np.float64)
        msg_u = np.full(size, None, dtype=object)
        fast, fast_values, fast_places = _fast_numbers(cells.text, spec)
        st_u[fast] = _OK
        val_u[fast] = fast_values
        places_u[fast] = fast_places
        todo = np.ones(size, dtype=bool)
        todo[fast] = False
        slow = np.flatnonzero(todo)
        for i, cell in zip(slow, cells.values_at(slow), strict=True):
            made = _number_unique(cell, spec)
            st_u[i], val_u[i], places_u[i] = made.status, made.value, made.places
            fval_u[i], msg_u[i] = made.fvalue, made.message or None
        status = take(st_u, codes, -1)
        # exact values (text, ints, decimals): too many places is decided per row
        ok = np.flatnonzero(status == _OK)
        values[ok] = val_u[codes[ok]]
        over = ok[places_u[codes[ok]] > allowed[ok]]
        if len(over):
            r, m = per_key_messages(
                over, [codes[over], allowed[over]],
                lambda c, d: (_rule(spec, _PRECISION), _precision_message(
                    show(cells.values_at(np.array([c]))[0]), int(places_u[c]), int(d), spec)))
            errors.set(over, r, m)
        # float cells inside an object column: the numeric rule, per row
        fl = np.flatnonzero(status == _FLOAT)
        if len(fl):
            x = fval_u[codes[fl]]
            v, fst = _floats_core(x, allowed[fl], spec)
            values[fl] = v
            bad = np.flatnonzero(fst != _OK)
            if len(bad):
                r, m = _float_errors(x[bad], allowed[fl[bad]], fst[bad], spec)
                errors.set(fl[bad], r, m)
        # cells wrong whatever the row
        wrong_u = (st_u != _OK) & (st_u != _FLOAT)
        col.refuse_distinct(codes, np.array([_rule(spec, int(st)) if w else None
                                             for st, w in zip(st_u, wrong_u, strict=True)],
                                            dtype=object), msg_u)
        # an ambiguous amount whose fraction this row's currency cannot hold: advise the whole
        short = np.flatnonzero((status == _AMBIGUOUS) & (allowed < 3))
        if len(short) and spec.prefix == "money":
            def advice(code: int, places: int) -> tuple[str, str]:
                text = str(cells.values_at(np.array([code]))[0])
                _, negative, whole, frac, sep = _split_number(text)
                return _rule(spec, _AMBIGUOUS), _ambiguous_message(
                    show(text), negative, whole, frac, sep, spec, int(places))

            r, m = per_key_messages(short, [codes[short], allowed[short]], advice)
            errors.set(short, r, m)
    na = blank | errors.mask()
    return col.finish(int64_series(np.where(na, 0, values), na, col.index), blank)


def _allowed(digits: pd.Series | int, raw: pd.Series, scale: int) -> np.ndarray:
    """Allowed decimal places per row, clipped to [0, scale]; NA digits allow `scale`."""
    n = len(raw)
    if isinstance(digits, pd.Series):
        if not digits.index.equals(raw.index):
            if digits.index.is_unique and raw.index.isin(digits.index).all():
                digits = digits.reindex(raw.index)
            elif len(digits) == n:
                digits = pd.Series(digits.to_numpy(), index=raw.index)
            else:
                raise ValueError("digits must have one value per cell")
        d = pd.to_numeric(digits, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        d = np.where(np.isnan(d), scale, d)
        return np.clip(d, 0, scale).astype(np.int64)
    return np.full(n, min(max(int(digits), 0), scale), dtype=np.int64)


_MONEY = _NumSpec("money", MONEY_SCALE, MONEY_LIMIT, N_("an amount"),
                  N_("1234.56, 1 234,56 or 1,234.56"))


def parse_money(raw: pd.Series, digits: pd.Series | int) -> Parsed:
    """Amounts as Int64 of 10**-MONEY_SCALE units, exact.

    `digits` is the number of minor digits allowed, per row (from the row's currency, see
    `currency_digits`) or one int. NA digits (unknown currency, reported by parse_currency)
    allow MONEY_SCALE places, so the row is not refused twice.
    """
    return _numbers(raw, _allowed(digits, raw, MONEY_SCALE), _MONEY)


def parse_decimal(raw: pd.Series, places: int = 6) -> Parsed:
    """Exact decimals (rates, percents) as Int64 of 10**-places units; more places is an error."""
    if not 0 <= places <= 12:
        raise ValueError("places must be between 0 and 12")
    spec = _NumSpec("decimal", places, 10 ** (18 - places) - 1, N_("a number"),
                    N_("12.5, 12,5 or 1 234.5"))
    return _numbers(raw, np.full(len(raw), places, dtype=np.int64), spec)


_WHOLE = _NumSpec("whole", 0, WHOLE_LIMIT, N_("a whole number"), N_("12 or 1 200"))


def parse_whole(raw: pd.Series) -> Parsed:
    """Whole numbers as Int64: '12', 12.0 are fine; 12.5 and 'abc' are errors (whole_format)."""
    return _numbers(raw, np.zeros(len(raw), dtype=np.int64), _WHOLE)
