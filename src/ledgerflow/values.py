"""Cell values of SPEC "Values": vectorised parsers from raw spreadsheet cells to typed columns.

Every parser takes one column as a reader produced it (a pandas Series whose dtype may be float64,
int64, bool, datetime64, str or object with mixed cells) and returns a `Parsed`: the typed values,
and per row the rule a cell breaks and a message an accountant can act on. Blank cells are NA and
flagged `blank`, never an error here: requiredness and defaults are applied by the validator.

Performance: typed columns are handled with numpy array operations; text and mixed columns are
factorised, each distinct cell is parsed once in Python and the results are spread back to the
rows by their codes. No parser loops over rows in Python.

Money is never computed in binary floating point. A numeric cell's float is only examined to
decide which exact decimal it holds (at most the currency's minor digits once float noise is
removed); the result is an integer count of 10**-MONEY_SCALE units.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pycountry
from pandas.api import types as ptypes

from ledgerflow.errors import UsageError

MONEY_SCALE = 4  # money is Int64 = value * 10**MONEY_SCALE, exact; storage is DECIMAL(18,4)
MONEY_LIMIT = 10**13  # |amount| above this is refused (money_range)
WHOLE_LIMIT = 10**15  # |whole number| above this is refused (whole_range)

__all__ = [
    "MONEY_LIMIT",
    "MONEY_SCALE",
    "WHOLE_LIMIT",
    "Parsed",
    "check_inn",
    "currency_digits",
    "inn_is_valid",
    "is_email",
    "minor_digits",
    "parse_bool",
    "parse_choice",
    "parse_country",
    "parse_currency",
    "parse_date",
    "parse_decimal",
    "parse_money",
    "parse_tax_id",
    "parse_text",
    "parse_whole",
]


@dataclass
class Parsed:
    """One parsed column; every Series has the input's index (it carries Excel row numbers)."""

    values: pd.Series  # typed result, NA where the cell was blank OR had an error
    rule: pd.Series  # str dtype: NA where fine, else a rule code like "money_format"
    message: pd.Series  # str dtype: NA where fine, else an English message for an accountant
    blank: pd.Series  # bool: the cell was empty / whitespace only

    @property
    def error(self) -> pd.Series:
        """True where the cell broke a rule."""
        return self.rule.notna()


# --------------------------------------------------------------------------------------------
# shared plumbing
# --------------------------------------------------------------------------------------------

# Characters trimmed from both ends of a text cell: ASCII and Unicode spaces (NBSP, narrow NBSP,
# figure/thin spaces, ideographic space), zero-width space and a stray byte-order mark.
_WS = (
    " \t\n\r\v\f\x1c\x1d\x1e\x1f\x85\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u200b\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_GROUP_SPACES = " \u00a0\u202f"  # thousands separators accepted in amounts
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_NS_PER_DAY = 86_400 * 10**9
_EPOCH = dt.date(1970, 1, 1)
# Days since 1970-01-01 that datetime64[ns] can hold (1677-09-22 .. 2262-04-11).
_MIN_DAY = -106_751
_MAX_DAY = 106_750

_OK, _FORMAT, _RANGE, _PRECISION, _AMBIGUOUS, _FLOAT = 0, 1, 2, 3, 4, 5


def _show(value: object) -> str:
    """A cell as quoted text for a message: no repr, no control characters, not too long."""
    text = value if isinstance(value, str) else _cell_text(value)
    if not text.isprintable():
        text = _CONTROL.sub(" ", text)
    if len(text) > 60:
        text = text[:57] + "…"
    return f"'{text}'"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _float_text(x: float) -> str:
    """A float as Excel would show it: at most 15 significant digits, no exponent, no '.0'."""
    if not math.isfinite(x):
        return "infinity" if x > 0 else ("-infinity" if x < 0 else "not a number")
    text = f"{x:.15g}"
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _datetime_text(value: object) -> str:
    ts = pd.Timestamp(value)  # type: ignore[arg-type]
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    if ts == ts.normalize():
        return ts.strftime("%Y-%m-%d")
    return ts.strftime("%Y-%m-%d %H:%M:%S")


def _is_bool(value: object) -> bool:
    return isinstance(value, (bool, np.bool_))


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float, Decimal, np.integer, np.floating)) and not _is_bool(value)


def _is_datetime(value: object) -> bool:
    return isinstance(value, (dt.date, np.datetime64))


def _cell_text(value: object) -> str:
    """Any cell as the text a person sees in it."""
    if isinstance(value, str):
        return value.strip(_WS)
    if _is_bool(value):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return _float_text(float(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            return str(value)
        text = format(value, "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return "0" if text in ("-0", "") else text
    if isinstance(value, dt.time):
        return value.isoformat()
    if _is_datetime(value):
        return _datetime_text(value)
    return str(value).strip(_WS)


def _kind(raw: pd.Series) -> str:
    """How a column's cells are stored: float, int, bool, datetime or object (text/mixed)."""
    dtype = raw.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return "object"
    if ptypes.is_bool_dtype(dtype):
        return "bool"
    if ptypes.is_integer_dtype(dtype):
        return "int"
    if ptypes.is_float_dtype(dtype):
        return "float"
    if ptypes.is_datetime64_any_dtype(dtype):
        return "datetime"
    return "object"


def _floats(raw: pd.Series) -> np.ndarray:
    return raw.to_numpy(dtype=np.float64, na_value=np.nan)


def _ints(raw: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """int64 values and the NA mask of an integer column."""
    na = raw.isna().to_numpy(dtype=bool)
    return raw.to_numpy(dtype=np.int64, na_value=0), na


def _days(raw: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Whole days since 1970-01-01 (time dropped) and the NA mask of a datetime64 column."""
    s = raw
    if getattr(s.dtype, "tz", None) is not None:
        s = s.dt.tz_localize(None)  # the wall-clock date as written
    arr = s.to_numpy()
    na = np.isnat(arr)
    days = arr.astype("datetime64[D]").astype(np.int64)
    return np.where(na, 0, days), na


@dataclass
class _Cells:
    """A text/mixed column factorised: distinct cells and per-row codes (-1 = blank).

    Distinct text cells (trimmed) come first, as an Arrow array for vectorised parsing; the
    distinct non-text cells (numbers, dates, bools in an object column) follow as a list.
    """

    codes: np.ndarray
    text: pa.Array
    other: list[Any]

    @property
    def size(self) -> int:
        return len(self.text) + len(self.other)

    def values_at(self, which: np.ndarray) -> list[Any]:
        """The Python values of the distinct cells at positions `which`."""
        k = len(self.text)
        which = np.asarray(which, dtype=np.int64)
        in_text = which[which < k]
        texts = iter(self.text.take(pa.array(in_text)).to_pylist()) if len(in_text) else iter(())
        return [next(texts) if i < k else self.other[i - k] for i in which]

    def all_values(self) -> list[Any]:
        return list(self.text.to_pylist()) + list(self.other)


def _cells(raw: pd.Series) -> _Cells:
    """Factorise a text/mixed column; each distinct cell is then parsed once.

    Text cells are trimmed before they are compared, so ' 12 ' and '12' are one value and
    whitespace-only cells are blank. A bool cell is never merged with an equal number
    (True == 1 in Python's hash tables).
    """
    data = raw.astype(object) if isinstance(raw.dtype, pd.CategoricalDtype) else raw
    codes, found = pd.factorize(data, use_na_sentinel=True)
    codes = np.asarray(codes, dtype=np.intp)
    if isinstance(data.dtype, pd.StringDtype):
        strings = pa.array(np.asarray(found, dtype=object), type=pa.large_string())
        str_pos = np.arange(len(strings))
        others: list[Any] = []
        other_pos = np.empty(0, dtype=np.intp)
    else:
        uniq: list[Any] = list(found)
        _split_bools(data, codes, uniq)
        is_str = np.fromiter((isinstance(u, str) for u in uniq), dtype=bool, count=len(uniq))
        str_pos = np.flatnonzero(is_str)
        other_pos = np.flatnonzero(~is_str)
        strings = pa.array([uniq[i] for i in str_pos], type=pa.large_string())
        others = [uniq[i] for i in other_pos]
    remap = np.full(len(str_pos) + len(other_pos), -1, dtype=np.intp)
    # text: trim, blank when empty, merge equal spellings
    trimmed = pc.utf8_trim(strings, characters=_WS)
    if len(strings) == 0 or (pc.all(pc.equal(trimmed, strings)).as_py()
                             and not pc.any(pc.equal(trimmed, "")).as_py()):
        text = strings  # already trimmed and distinct
        remap[str_pos] = np.arange(len(strings))
    else:
        trimmed = pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.large_string()), trimmed)
        encoded = pc.dictionary_encode(trimmed)
        text = encoded.dictionary
        indices = pc.fill_null(encoded.indices, -1)
        remap[str_pos] = indices.to_numpy(zero_copy_only=False).astype(np.intp)
    # other cells: merge equal values, never a bool with a number
    seen: dict[tuple[bool, Any], int] = {}
    merged: list[Any] = []
    for pos, u in zip(other_pos, others, strict=True):
        if isinstance(u, (float, np.floating)) and math.isnan(u):
            continue
        try:
            j = seen.setdefault((_is_bool(u), u), len(merged))
        except TypeError:  # unhashable oddity: keep it apart
            j = len(merged)
        if j == len(merged):
            merged.append(u)
        remap[pos] = len(text) + j
    if len(remap):
        codes = np.where(codes >= 0, remap[np.maximum(codes, 0)], -1)
    return _Cells(codes=codes, text=text, other=merged)


def _split_bools(data: pd.Series, codes: np.ndarray, uniq: list[Any]) -> None:
    """Give bool cells their own codes where the hash table merged them with 0/1 numbers."""
    suspect = [
        i for i, u in enumerate(uniq)
        if (_is_bool(u) or _is_number(u)) and not (isinstance(u, float) and math.isnan(u))
        and u in (0, 1)
    ]
    if not suspect or data.dtype != object:
        return
    rows = np.flatnonzero(np.isin(codes, suspect))
    row_is_bool = data.iloc[rows].map(_is_bool).to_numpy(dtype=bool)
    rep_is_bool = np.array([_is_bool(u) for u in uniq], dtype=bool)
    differs = row_is_bool != rep_is_bool[codes[rows]]
    extra: dict[tuple[int, bool], int] = {}
    for pos in np.flatnonzero(differs):
        row = rows[pos]
        code = int(codes[row])
        split = (code, bool(row_is_bool[pos]))
        if split not in extra:
            extra[split] = len(uniq)
            u = uniq[code]
            uniq.append(bool(u) if split[1] else int(u))
        codes[row] = extra[split]


def _take(per_unique: np.ndarray, codes: np.ndarray, fill: Any) -> np.ndarray:
    """Spread per-unique results to rows; rows with code -1 get `fill`."""
    if len(per_unique) == 0:
        return np.full(len(codes), fill, dtype=per_unique.dtype)
    out = per_unique[np.maximum(codes, 0)]
    out[codes < 0] = fill
    return out


def _str_series(values: np.ndarray | Sequence[object] | pa.Array, index: pd.Index) -> pd.Series:
    """A str-dtype Series from an object array (None/NaN = NA) or an Arrow array."""
    arr = values if isinstance(values, pa.Array) else pa.array(
        values, type=pa.large_string(), from_pandas=True)
    return pd.Series(pd.array(arr.cast(pa.large_string()), dtype="str"), index=index)


def _dict_decode(codes: np.ndarray, dictionary: pa.Array | Sequence[str | None]) -> pa.Array:
    """Row i is dictionary[codes[i]]; code -1 or a None entry is null."""
    if not isinstance(dictionary, pa.Array):
        dictionary = pa.array(list(dictionary), type=pa.large_string())
    if len(dictionary) == 0:
        return pa.nulls(len(codes), type=pa.large_string())
    indices = pa.array(codes.astype(np.int64), mask=codes < 0)
    return pa.DictionaryArray.from_arrays(indices, dictionary).cast(pa.large_string())


def _str_from_codes(
    codes: np.ndarray, dictionary: pa.Array | Sequence[str | None], index: pd.Index,
) -> pd.Series:
    """A str-dtype Series: row i is dictionary[codes[i]]; code -1 or a None entry is NA."""
    return _str_series(_dict_decode(codes, dictionary), index)


def _na_str(index: pd.Index) -> pd.Series:
    return pd.Series(np.nan, index=index, dtype="str")


class _Errors:
    """Row-wise rule/message accumulator that only materialises what is needed."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.rule: np.ndarray | None = None
        self.message: np.ndarray | None = None

    def set(self, rows: np.ndarray, rule: str | np.ndarray, message: str | np.ndarray) -> None:
        """Record errors at integer positions `rows` (rule/message scalar or one per row)."""
        if len(rows) == 0:
            return
        if self.rule is None or self.message is None:
            self.rule = np.full(self.n, None, dtype=object)
            self.message = np.full(self.n, None, dtype=object)
        self.rule[rows] = rule
        self.message[rows] = message

    def mask(self) -> np.ndarray:
        if self.rule is None:
            return np.zeros(self.n, dtype=bool)
        return ~pd.isna(self.rule)

    def series(self, index: pd.Index) -> tuple[pd.Series, pd.Series]:
        if self.rule is None or self.message is None:
            return _na_str(index), _na_str(index)
        return _str_series(self.rule, index), _str_series(self.message, index)


def _per_key_messages(
    rows: np.ndarray, keys: Sequence[np.ndarray], make: Callable[..., tuple[str, str]],
) -> tuple[np.ndarray, np.ndarray]:
    """Build (rule, message) for error rows, calling `make` once per distinct key tuple."""
    if len(rows) == 0:
        empty = np.empty(0, dtype=object)
        return empty, empty
    combined = np.zeros(len(rows), dtype=np.int64)
    parts: list[tuple[np.ndarray, np.ndarray]] = []
    for key in keys:
        key_codes, key_uniq = pd.factorize(key)
        combined = combined * max(len(key_uniq), 1) + key_codes
        parts.append((key_codes, np.asarray(key_uniq, dtype=object)))
    _, first, codes = np.unique(combined, return_index=True, return_inverse=True)
    made = [make(*(uniq[key_codes[row]] for key_codes, uniq in parts)) for row in first]
    rules = np.array([m[0] for m in made], dtype=object)[codes]
    messages = np.array([m[1] for m in made], dtype=object)[codes]
    return rules, messages


def _finish(values: pd.Series, errors: _Errors, blank: np.ndarray, index: pd.Index) -> Parsed:
    rule, message = errors.series(index)
    return Parsed(values=values, rule=rule, message=message,
                  blank=pd.Series(blank, index=index, dtype=bool))


def _int64_series(values: np.ndarray, na: np.ndarray, index: pd.Index) -> pd.Series:
    return pd.Series(pd.arrays.IntegerArray(values.astype(np.int64), na.copy()), index=index)


# --------------------------------------------------------------------------------------------
# text
# --------------------------------------------------------------------------------------------


def parse_text(raw: pd.Series) -> Parsed:
    """Text: trimmed (NBSP too); numbers as shown without float noise; dates as ISO text."""
    index = raw.index
    n = len(raw)
    kind = _kind(raw)
    errors = _Errors(n)
    if kind == "float":
        x = _floats(raw)
        blank = np.isnan(x)
        whole = ~blank & np.isfinite(x) & (np.abs(x) < 2.0**53) & (np.floor(x) == x)
        ints = pa.array(np.where(whole, x, 0.0).astype(np.int64), mask=~whole)
        text = ints.cast(pa.large_string())
        rest = np.flatnonzero(~blank & ~whole)
        if len(rest):
            codes = np.full(n, -1, dtype=np.intp)
            sub_codes, uniq = pd.factorize(x[rest])
            codes[rest] = sub_codes
            others = _dict_decode(codes, [_float_text(float(u)) for u in uniq])
            text = pc.if_else(pa.array(whole), text, others)
        return _finish(_str_series(text, index), errors, blank, index)
    if kind == "int":
        v, na = _ints(raw)
        text = pa.array(v, mask=na).cast(pa.large_string())
        return _finish(_str_series(text, index), errors, na, index)
    if kind == "bool":
        na = raw.isna().to_numpy(dtype=bool)
        b = raw.to_numpy(dtype=bool, na_value=False)
        codes = np.where(na, -1, b.astype(np.intp))
        return _finish(_str_from_codes(codes, ["FALSE", "TRUE"], index), errors, na, index)
    if kind == "datetime":
        days, na = _days(raw)
        s = raw.dt.tz_localize(None) if getattr(raw.dtype, "tz", None) is not None else raw
        arr = s.to_numpy()
        midnight = na | (arr == arr.astype("datetime64[D]").astype(arr.dtype))
        text = pa.array(days.astype(np.int32), mask=na).cast(pa.date32()).cast(pa.large_string())
        timed = np.flatnonzero(~midnight)
        if len(timed):
            codes = np.full(n, -1, dtype=np.intp)
            sub_codes, uniq = pd.factorize(arr[timed])
            codes[timed] = sub_codes
            stamps = _dict_decode(codes, [_datetime_text(u) for u in uniq])
            text = pc.if_else(pa.array(midnight), text, stamps)
        return _finish(_str_series(text, index), errors, na, index)
    if isinstance(raw.dtype, pd.StringDtype):
        # All text (an ID or description column): trim in bulk; no need to factorise a column
        # whose values are mostly distinct.
        trimmed = pc.utf8_trim(pa.array(raw, type=pa.large_string(), from_pandas=True),
                               characters=_WS)
        blank_text = pc.fill_null(pc.equal(trimmed, ""), True)
        text = pc.if_else(blank_text, pa.scalar(None, pa.large_string()), trimmed)
        blank = blank_text.to_numpy(zero_copy_only=False)
        return _finish(_str_series(text, index), errors, blank, index)
    cells = _cells(raw)
    other = pa.array([_cell_text(u) for u in cells.other], type=pa.large_string())
    dictionary = pa.concat_arrays([cells.text, other])
    return _finish(_str_from_codes(cells.codes, dictionary, index), errors, cells.codes < 0, index)


def _map_text(
    raw: pd.Series, fn: Callable[[str], tuple[str | None, str | None, str | None]],
) -> Parsed:
    """Parse as text, then map each distinct text through fn -> (value, rule, message)."""
    text = parse_text(raw)
    index = raw.index
    codes, uniq = pd.factorize(text.values, use_na_sentinel=True)
    codes = np.asarray(codes, dtype=np.intp)
    made = [fn(str(u)) for u in uniq]
    values = _str_from_codes(codes, [m[0] for m in made], index)
    errors = _Errors(len(raw))
    bad = [i for i, m in enumerate(made) if m[1] is not None]
    if bad:
        rows = np.flatnonzero(np.isin(codes, bad))
        rule_u = np.array([m[1] for m in made], dtype=object)
        msg_u = np.array([m[2] for m in made], dtype=object)
        errors.set(rows, rule_u[codes[rows]], msg_u[codes[rows]])
    return _finish(values, errors, codes < 0, index)


# --------------------------------------------------------------------------------------------
# numbers: money, decimal, whole
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _NumSpec:
    prefix: str  # rule prefix: money / decimal / whole
    scale: int  # values are returned as exact value * 10**scale
    limit: int  # |value| above this is a range error
    noun: str  # "an amount", "a number", "a whole number"
    example: str  # how to write one


_POWF = 10.0 ** np.arange(19)
_POWI = 10 ** np.arange(19, dtype=np.int64)

_N_SIGN = re.compile(r"([-+\u2212]?)[ \u00a0\u202f]*(.*)", re.S)
_N_PLAIN = re.compile(r"([0-9]+)(?:([.,])([0-9]+))?")
_N_SPACE = re.compile(r"([0-9]{1,3}(?:[ \u00a0\u202f][0-9]{3})+)(?:[.,]([0-9]+))?")
_N_COMMA = re.compile(r"([0-9]{1,3}(?:,[0-9]{3})+)(?:\.([0-9]+))?")
_N_DOT = re.compile(r"([0-9]{1,3}(?:\.[0-9]{3})+)(?:,([0-9]+))?")
_N_LEADING_GROUP = re.compile(r"[1-9][0-9]{0,2}")
_N_SCIENTIFIC = re.compile(r"[-+]?[0-9]*[.,]?[0-9]+[eE][-+]?[0-9]+")
_N_CURRENCY = re.compile(r"[$€£¥₽₸₴₺₹¤]|\b(?:руб|р\.|rub|usd|eur|cny|kzt)", re.I)


def _split_number(text: str) -> tuple[int, bool, str, str, str]:
    """Read a number typed as text.

    Returns (status, negative, integer digits, fraction digits, detail) where status is _OK,
    _AMBIGUOUS (detail = the separator) or _FORMAT (detail = a hint for the message).
    """
    m = _N_SIGN.fullmatch(text)
    sign, body = (m.group(1), m.group(2)) if m else ("", text)
    negative = sign in ("-", "\u2212")
    p = _N_PLAIN.fullmatch(body)
    if p:
        whole, sep, frac = p.group(1), p.group(2), p.group(3) or ""
        if sep and len(frac) == 3 and _N_LEADING_GROUP.fullmatch(whole):
            return _AMBIGUOUS, negative, whole, frac, sep
        return _OK, negative, whole, frac, ""
    for pattern, seps in ((_N_SPACE, _GROUP_SPACES), (_N_COMMA, ","), (_N_DOT, ".")):
        g = pattern.fullmatch(body)
        if g:
            whole = g.group(1)
            for ch in seps:
                whole = whole.replace(ch, "")
            return _OK, negative, whole, g.group(2) or "", ""
    if _N_SCIENTIFIC.fullmatch(text):
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


def _ambiguous_message(shown: str, whole: str, frac: str, sep: str, spec: _NumSpec) -> str:
    kind = "decimal comma" if sep == "," else "decimal point"
    joined = whole + frac
    grouped = f"{int(joined):,}".replace(",", " ")
    what = f"{shown} is ambiguous (thousands separator or {kind}?): write {joined}"
    if spec.prefix == "whole":
        return f"{what} if you mean {grouped}"
    return (f"{what} or {grouped}{sep}00 for the whole number, "
            f"or {whole}{sep}{frac}0 for the fraction")


_HINTS = {
    "scientific": "it is in scientific notation and digits may have been lost; "
                  "type the full number",
    "currency": "write the number only, without a currency sign or code",
    "parentheses": "write a negative number with a minus sign, e.g. -1234.56",
    "apostrophe": "use a space as the thousands separator, e.g. 1 234.56",
}


def _format_message(shown: str, spec: _NumSpec, hint: str = "") -> str:
    return f"{shown} is not {spec.noun}: {_HINTS.get(hint) or 'write it like ' + spec.example}"


def _range_message(shown: str, spec: _NumSpec) -> str:
    limit = f"{spec.limit:,}".replace(",", " ")
    what = {"money": "amounts", "decimal": "numbers", "whole": "whole numbers"}[spec.prefix]
    return f"{shown} is too large: {what} must be between -{limit} and {limit}"


def _precision_message(shown: str, places: int | None, allowed: int, spec: _NumSpec) -> str:
    if spec.prefix == "whole":
        return f"{shown} is not a whole number"
    has = f"has {_plural(places, 'decimal place')}" if places is not None else (
        f"has more than {_plural(allowed, 'decimal place')}")
    if spec.prefix == "money":
        if allowed == 0:
            return f"{shown} {has}; this currency has no minor units: write a whole amount"
        return f"{shown} {has}; this currency allows at most {allowed}"
    return f"{shown} {has}; at most {allowed} are allowed"


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
        text = _float_text(xv)
        shown = _show(text)
        if st == _PRECISION:
            places = len(text) - text.index(".") - 1 if "." in text else 0
            return _rule(spec, st), _precision_message(
                shown, places if places > d else None, int(d), spec)
        if st == _RANGE:
            return _rule(spec, st), _range_message(shown, spec)
        return _rule(spec, st), _format_message(shown, spec)

    return _per_key_messages(np.arange(len(x)), [x, allowed, status], make)


@dataclass
class _NumUnique:
    status: int
    value: int = 0  # exact value * 10**spec.scale when places <= scale
    places: int = 0  # significant decimal places
    fvalue: float = 0.0  # for float cells, decided per row
    shown: str = ""
    message: str = ""


def _number_unique(cell: object, spec: _NumSpec) -> _NumUnique:
    if isinstance(cell, (float, np.floating)):
        return _NumUnique(_FLOAT, fvalue=float(cell))
    shown = _show(cell)
    if _is_bool(cell):
        return _NumUnique(_FORMAT, shown=shown,
                          message=f"{shown} is a yes/no value, not {spec.noun}")
    if isinstance(cell, dt.time):
        return _NumUnique(_FORMAT, shown=shown,
                          message=f"{shown} is a time of day, not {spec.noun}")
    if _is_datetime(cell):
        return _NumUnique(_FORMAT, shown=shown, message=f"{shown} is a date, not {spec.noun}")
    if isinstance(cell, (int, np.integer)):
        text = str(int(cell))
    elif isinstance(cell, Decimal):
        if not cell.is_finite():
            return _NumUnique(_FORMAT, shown=shown, message=_format_message(shown, spec))
        text = format(cell, "f")
    elif isinstance(cell, str):
        text = cell
    else:
        return _NumUnique(_FORMAT, shown=shown, message=_format_message(shown, spec))
    status, negative, whole, frac, detail = _split_number(text)
    if status == _AMBIGUOUS and not isinstance(cell, str):
        status = _OK  # a number cell has no separators to be ambiguous about
    if status == _FORMAT:
        return _NumUnique(_FORMAT, shown=shown, message=_format_message(shown, spec, detail))
    if status == _AMBIGUOUS:
        return _NumUnique(_AMBIGUOUS, shown=shown,
                          message=_ambiguous_message(shown, whole, frac, detail, spec))
    significant = frac.rstrip("0")
    units = int(whole)
    if units > spec.limit or (units == spec.limit and significant):
        return _NumUnique(_RANGE, shown=shown, message=_range_message(shown, spec))
    places = len(significant)
    value = 0
    if places <= spec.scale:
        value = units * 10**spec.scale + (int(significant.ljust(spec.scale, "0")) if spec.scale
                                          else 0)
        if negative:
            value = -value
    return _NumUnique(_OK, value=value, places=places, shown=shown)


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
    index = raw.index
    n = len(raw)
    kind = _kind(raw)
    errors = _Errors(n)
    values = np.zeros(n, dtype=np.int64)
    if kind == "float":
        x = _floats(raw)
        blank = np.isnan(x)
        rows = np.flatnonzero(~blank)
        v, status = _floats_core(x[rows], allowed[rows], spec)
        values[rows] = v
        bad = np.flatnonzero(status != _OK)
        if len(bad):
            r, m = _float_errors(x[rows[bad]], allowed[rows[bad]], status[bad], spec)
            errors.set(rows[bad], r, m)
    elif kind == "int":
        v, blank = _ints(raw)
        big = ~blank & (np.abs(v) > spec.limit)
        values = np.where(big | blank, 0, v) * _POWI[spec.scale]
        bad = np.flatnonzero(big)
        if len(bad):
            r, m = _per_key_messages(
                bad, [v[bad]],
                lambda iv: (_rule(spec, _RANGE), _range_message(_show(str(iv)), spec)))
            errors.set(bad, r, m)
    elif kind in ("bool", "datetime"):
        blank = raw.isna().to_numpy(dtype=bool)
        what = "a yes/no value" if kind == "bool" else "a date"
        rows = np.flatnonzero(~blank)
        if len(rows):
            shown = parse_text(raw).values.to_numpy(dtype=object)
            r, m = _per_key_messages(
                rows, [shown[rows]],
                lambda s: (_rule(spec, _FORMAT), f"{_show(s)} is {what}, not {spec.noun}"))
            errors.set(rows, r, m)
    else:
        cells = _cells(raw)
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
        status = _take(st_u, codes, -1)
        # exact values (text, ints, decimals): too many places is decided per row
        ok = np.flatnonzero(status == _OK)
        values[ok] = val_u[codes[ok]]
        over = ok[places_u[codes[ok]] > allowed[ok]]
        if len(over):
            r, m = _per_key_messages(
                over, [codes[over], allowed[over]],
                lambda c, d: (_rule(spec, _PRECISION), _precision_message(
                    _show(cells.values_at(np.array([c]))[0]), int(places_u[c]), int(d), spec)))
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
        if wrong_u.any():
            rows = np.flatnonzero(~blank & wrong_u[np.maximum(codes, 0)])
            rule_u = np.array([_rule(spec, int(st)) if w else None
                               for st, w in zip(st_u, wrong_u, strict=True)], dtype=object)
            errors.set(rows, rule_u[codes[rows]], msg_u[codes[rows]])
    na = blank | errors.mask()
    return _finish(_int64_series(np.where(na, 0, values), na, index), errors, blank, index)


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
    return _int64_series(_take(digits_u, codes, 0), codes < 0, currency.index)


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


_MONEY = _NumSpec("money", MONEY_SCALE, MONEY_LIMIT, "an amount",
                  "1234.56, 1 234,56 or 1,234.56")


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
    spec = _NumSpec("decimal", places, 10 ** (18 - places) - 1, "a number",
                    "12.5, 12,5 or 1 234.5")
    return _numbers(raw, np.full(len(raw), places, dtype=np.int64), spec)


_WHOLE = _NumSpec("whole", 0, WHOLE_LIMIT, "a whole number", "12 or 1 200")


def parse_whole(raw: pd.Series) -> Parsed:
    """Whole numbers as Int64: '12', 12.0 are fine; 12.5 and 'abc' are errors (whole_format)."""
    return _numbers(raw, np.zeros(len(raw), dtype=np.int64), _WHOLE)


# --------------------------------------------------------------------------------------------
# dates
# --------------------------------------------------------------------------------------------

_TIME = (r"(?:[ T]([0-9]{1,2}):([0-9]{2})(?::([0-9]{2})(?:[.,][0-9]+)?)?"
         r"(?:Z|[+-][0-9]{2}:?[0-9]{2})?)?")
_D_ISO = re.compile(r"([0-9]{4})([-/.])([0-9]{1,2})\2([0-9]{1,2})" + _TIME)
_D_DOTS = re.compile(r"([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4}|[0-9]{2})" + _TIME)
_D_SLASH = re.compile(r"([0-9]{1,2})([/-])([0-9]{1,2})\2([0-9]{4}|[0-9]{2})" + _TIME)
_D_NUMBER = re.compile(r"[-+]?[0-9]+(?:[.,][0-9]+)?")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
_DATE_HOW = "write it like 2026-10-05 or 05.10.2026"


def _year(text: str) -> int:
    y = int(text)
    if len(text) == 2:
        y += 2000 if y < 69 else 1900
    return y


_DATE_RANGE = "dates must be between 1678 and 2261"


def _make_date(
    shown: str, y: int, m: int, d: int, time: Sequence[str | None] = (),
) -> tuple[int, str]:
    """(days since 1970-01-01, "") or (0, message) when the date is impossible."""
    if not 1 <= m <= 12:
        return 0, f"{shown} is not a real date: there is no month {m}"
    last = calendar.monthrange(y, m)[1] if 1 <= y <= 9999 else 31
    if not 1 <= d <= last:
        if d == 0 or d > 31:
            return 0, f"{shown} is not a real date: there is no day {d}"
        return 0, f"{shown} is not a real date: {_MONTHS[m - 1]} {y} has {last} days"
    hh, mm, ss = (*time, None, None, None)[:3]
    if hh is not None and (int(hh) > 23 or int(mm or 0) > 59 or int(ss or 0) > 59):
        return 0, f"{shown} has an impossible time of day: {_DATE_HOW}"
    if not 1 <= y <= 9999:
        return 0, f"{shown} is out of range: {_DATE_RANGE}"
    days = (dt.date(y, m, d) - _EPOCH).days
    if not _MIN_DAY <= days <= _MAX_DAY:
        return 0, f"{shown} is out of range: {_DATE_RANGE}"
    return days, ""


def _date_result(days_msg: tuple[int, str]) -> tuple[int, str, str]:
    days, msg = days_msg
    return (days, "", "") if not msg else (0, "date_format", msg)


def _date_unique(cell: object, order: str | None) -> tuple[int, str, str]:
    """(days, rule, message) for one distinct cell; rule is "" when the cell is a fine date."""
    shown = _show(cell)
    if _is_bool(cell):
        return 0, "date_format", f"{shown} is a yes/no value, not a date"
    if _is_number(cell):
        return 0, "date_format", (
            f"{shown} is a number, not a date: format the cell as a date or {_DATE_HOW}")
    if isinstance(cell, dt.time):
        return 0, "date_format", f"{shown} is a time of day without a date: {_DATE_HOW}"
    if isinstance(cell, dt.date):  # date, datetime, Timestamp: the time of day is dropped
        return _date_result(_make_date(shown, cell.year, cell.month, cell.day))
    if isinstance(cell, np.datetime64):
        day = cell.astype("datetime64[D]").astype(object)
        if isinstance(day, dt.date):
            return _date_result(_make_date(shown, day.year, day.month, day.day))
        return 0, "date_format", f"{shown} is out of range: {_DATE_RANGE}"
    text = cell if isinstance(cell, str) else _cell_text(cell)
    m = _D_ISO.fullmatch(text)
    if m:
        y, mo, d = int(m.group(1)), int(m.group(3)), int(m.group(4))
        return _date_result(_make_date(shown, y, mo, d, m.groups()[4:7]))
    m = _D_DOTS.fullmatch(text)
    if m:
        d, mo, y = int(m.group(1)), int(m.group(2)), _year(m.group(3))
        return _date_result(_make_date(shown, y, mo, d, m.groups()[3:6]))
    m = _D_SLASH.fullmatch(text)
    if m:
        a, b, y = int(m.group(1)), int(m.group(3)), _year(m.group(4))
        if order == "DMY":
            d, mo = a, b
        elif order == "MDY":
            mo, d = a, b
        elif a == b or (a > 12 and b <= 12):
            d, mo = a, b
        elif b > 12 and a <= 12:
            mo, d = a, b
        elif a <= 12 and b <= 12:
            return 0, "date_ambiguous", (
                f"{shown} is ambiguous: it may be {a} {_MONTHS[b - 1]} {y} or "
                f"{b} {_MONTHS[a - 1]} {y}; write the date like {y:04d}-{b:02d}-{a:02d} or "
                f"{a:02d}.{b:02d}.{y}, or set the date order (DMY or MDY)")
        else:
            return 0, "date_format", f"{shown} is not a real date: neither {a} nor {b} is a month"
        days, msg = _make_date(shown, y, mo, d, m.groups()[4:7])
        if msg and order:
            msg += f" (read in {order} order, as configured)"
        return _date_result((days, msg))
    if _D_NUMBER.fullmatch(text):
        return 0, "date_format", (
            f"{shown} is a number, not a date: format the cell as a date or {_DATE_HOW}")
    return 0, "date_format", f"{shown} is not a date: {_DATE_HOW}"


_FAST_TIME = r"(?:[ T](?:[01]?[0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:[.,][0-9]+)?)?)?$"
_FAST_DATES = (
    r"^(?P<y>[0-9]{4})-(?P<m>[0-9]{1,2})-(?P<d>[0-9]{1,2})" + _FAST_TIME,
    r"^(?P<d>[0-9]{1,2})\.(?P<m>[0-9]{1,2})\.(?P<y>[0-9]{4})" + _FAST_TIME,
)


def _fast_dates(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised reading of ISO and Russian dates among distinct texts: (positions, days).

    Only real dates within range are returned; everything else is left to `_date_unique`.
    """
    found_pos: list[np.ndarray] = []
    found_days: list[np.ndarray] = []
    taken = np.zeros(len(text), dtype=bool)
    for pattern in _FAST_DATES if len(text) else ():
        match = pc.fill_null(pc.match_substring_regex(text, pattern), False)
        where = np.flatnonzero(match.to_numpy(zero_copy_only=False) & ~taken)
        if len(where) == 0:
            continue
        parts = pc.extract_regex(text.take(pa.array(where)), pattern)
        y, m, d = (pc.cast(parts.field(f), pa.int64()).to_numpy(zero_copy_only=False)
                   for f in ("y", "m", "d"))
        good = (m >= 1) & (m <= 12) & (d >= 1)
        months = np.where(good, (y - 1970) * 12 + m - 1, 0)
        first = months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
        after = (months + 1).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
        days = first + d - 1
        good &= (days < after) & (days >= _MIN_DAY) & (days <= _MAX_DAY)
        found_pos.append(where[good])
        found_days.append(days[good])
        taken[where[good]] = True
    if not found_pos:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    return np.concatenate(found_pos), np.concatenate(found_days)


def _date_order(date_order: str | None) -> str | None:
    if date_order is None:
        return None
    order = str(date_order).strip().upper()
    if order not in ("DMY", "MDY"):
        raise UsageError(f"date order must be DMY or MDY, not '{date_order}'")
    return order


def _dates_series(days: np.ndarray, na: np.ndarray, index: pd.Index) -> pd.Series:
    ns = np.where(na, 0, days).astype(np.int64) * _NS_PER_DAY
    arr = ns.view("datetime64[ns]").copy()
    arr[na] = np.datetime64("NaT", "ns")
    return pd.Series(arr, index=index, dtype="datetime64[ns]")


def parse_date(raw: pd.Series, date_order: str | None = None) -> Parsed:
    """Dates as datetime64[ns] at midnight: date cells (time dropped), ISO and Russian text.

    '04/03/26' is ambiguous (date_ambiguous) unless date_order is 'DMY' or 'MDY'; a slash date
    that can be read only one way ('25/03/2026') is accepted. Numbers are refused (date_format).
    """
    order = _date_order(date_order)
    index = raw.index
    n = len(raw)
    kind = _kind(raw)
    errors = _Errors(n)
    days = np.zeros(n, dtype=np.int64)
    if kind == "datetime":
        days, blank = _days(raw)
        out = ~blank & ((days < _MIN_DAY) | (days > _MAX_DAY))
        bad = np.flatnonzero(out)
        if len(bad):
            shown = parse_text(raw).values.to_numpy(dtype=object)
            r, m = _per_key_messages(bad, [shown[bad]], lambda s: (
                "date_format", f"{_show(s)} is out of range: dates must be between 1678 and 2261"))
            errors.set(bad, r, m)
    elif kind in ("float", "int", "bool"):
        blank = raw.isna().to_numpy(dtype=bool)
        rows = np.flatnonzero(~blank)
        if len(rows):
            shown = parse_text(raw).values.to_numpy(dtype=object)
            what = "a yes/no value" if kind == "bool" else "a number"
            hint = "" if kind == "bool" else f": format the cell as a date or {_DATE_HOW}"
            r, m = _per_key_messages(rows, [shown[rows]], lambda s: (
                "date_format", f"{_show(s)} is {what}, not a date{hint}"))
            errors.set(rows, r, m)
    else:
        cells = _cells(raw)
        codes = cells.codes
        blank = codes < 0
        size = cells.size
        days_u = np.zeros(size, dtype=np.int64)
        rule_u = np.full(size, None, dtype=object)
        msg_u = np.full(size, None, dtype=object)
        fast, fast_days = _fast_dates(cells.text)
        days_u[fast] = fast_days
        todo = np.ones(size, dtype=bool)
        todo[fast] = False
        slow = np.flatnonzero(todo)
        for i, cell in zip(slow, cells.values_at(slow), strict=True):
            days_u[i], rule, msg = _date_unique(cell, order)
            if rule:
                rule_u[i], msg_u[i] = rule, msg
        days = _take(days_u, codes, 0)
        wrong_u = ~pd.isna(rule_u)
        if wrong_u.any():
            rows = np.flatnonzero(~blank & wrong_u[np.maximum(codes, 0)])
            errors.set(rows, rule_u[codes[rows]], msg_u[codes[rows]])
    na = blank | errors.mask()
    return _finish(_dates_series(days, na, index), errors, blank, index)


# --------------------------------------------------------------------------------------------
# yes/no, choices, codes
# --------------------------------------------------------------------------------------------

_BOOL_WORDS = {
    "yes": True, "no": False, "y": True, "n": False, "true": True, "false": False,
    "1": True, "0": False, "да": True, "нет": False, "д": True, "н": False,
    "истина": True, "ложь": False,
}


def parse_bool(raw: pd.Series) -> Parsed:
    """yes/no, да/нет, true/false, 1/0, y/n, д/н (any case), bool cells, 1.0/0.0 -> boolean."""
    index = raw.index
    n = len(raw)
    kind = _kind(raw)
    errors = _Errors(n)
    if kind == "bool":
        blank = raw.isna().to_numpy(dtype=bool)
        b = raw.to_numpy(dtype=bool, na_value=False)
    elif kind in ("float", "int"):
        x = _floats(raw)
        blank = np.isnan(x)
        b = x == 1.0
        bad = np.flatnonzero(~blank & (x != 1.0) & (x != 0.0))
        if len(bad):
            shown = parse_text(raw).values.to_numpy(dtype=object)
            r, m = _per_key_messages(bad, [shown[bad]], lambda s: ("bool_format", _bool_msg(s)))
            errors.set(bad, r, m)
    elif kind == "datetime":
        blank = raw.isna().to_numpy(dtype=bool)
        b = np.zeros(n, dtype=bool)
        rows = np.flatnonzero(~blank)
        shown = parse_text(raw).values.to_numpy(dtype=object)
        r, m = _per_key_messages(rows, [shown[rows]], lambda s: ("bool_format", _bool_msg(s)))
        errors.set(rows, r, m)
    else:
        cells = _cells(raw)
        codes = cells.codes
        blank = codes < 0
        uniq = cells.all_values()
        result_u: list[bool | None] = []
        for u in uniq:
            if _is_bool(u):
                result_u.append(bool(u))
            elif _is_number(u) and not isinstance(u, Decimal) and u in (0, 1):
                result_u.append(bool(u == 1))
            else:
                key = _norm(_cell_text(u))
                result_u.append(_BOOL_WORDS.get(key))
        b_u = np.array([bool(x) for x in result_u], dtype=bool)
        b = _take(b_u, codes, False)
        wrong = [i for i, x in enumerate(result_u) if x is None]
        if wrong:
            rows = np.flatnonzero(np.isin(codes, wrong))
            msg_u = np.array([_bool_msg(_cell_text(u)) for u in uniq], dtype=object)
            errors.set(rows, "bool_format", msg_u[codes[rows]])
    na = blank | errors.mask()
    values = pd.Series(pd.arrays.BooleanArray(np.where(na, False, b), na.copy()), index=index)
    return _finish(values, errors, blank, index)


def _bool_msg(text: str) -> str:
    return f"{_show(text)} is not yes or no: write yes/no, да/нет, true/false or 1/0"


_NORM_SEPARATORS = re.compile(r"[\s._\-\u00a0\u202f]+")


def _norm(text: str) -> str:
    """Spelling for lookups: trimmed, lower case, ё -> е; spaces, dots, '_' and '-' as one space.

    So 'Юр. лицо', 'юр.лицо' and 'ЮР ЛИЦО' are one spelling, as are 'sole proprietor' and
    'sole_proprietor'.
    """
    text = text.replace("ё", "е").replace("Ё", "Е").lower()
    return " ".join(_NORM_SEPARATORS.sub(" ", text).split())


def parse_choice(raw: pd.Series, choices: dict[str, str], column: str) -> Parsed:
    """Look each cell up in `choices` (spelling -> canonical value), normalised; rule 'choice'."""
    lookup = {_norm(k): v for k, v in choices.items()}
    canonical = list(dict.fromkeys(choices.values()))
    if len(canonical) > 1:
        listed = ", ".join(canonical[:-1]) + " or " + canonical[-1]
    else:
        listed = "".join(canonical)

    def one(text: str) -> tuple[str | None, str | None, str | None]:
        found = lookup.get(_norm(text))
        if found is not None:
            return found, None, None
        return None, "choice", f"{_show(text)} is not an accepted {column}: use {listed}"

    return _map_text(raw, one)


@functools.lru_cache(maxsize=1)
def _currency_codes() -> frozenset[str]:
    # pycountry lists the current ISO 4217 codes; XTS (testing) and XXX (no currency) are not
    # currencies an account can be kept in.
    return frozenset(c.alpha_3 for c in pycountry.currencies) - {"XTS", "XXX"}


_CURRENCY_HINTS = {
    "₽": "RUB", "РУБ": "RUB", "РУБ.": "RUB", "Р": "RUB", "Р.": "RUB", "RUR": "RUB", "РУБЛЬ": "RUB",
    "РУБЛИ": "RUB", "РУБЛЕЙ": "RUB", "$": "USD", "US$": "USD", "ДОЛЛ": "USD", "ДОЛЛАР": "USD",
    "€": "EUR", "ЕВРО": "EUR", "£": "GBP", "¥": "JPY or CNY", "ТЕНГЕ": "KZT", "₸": "KZT",
    "ЮАНЬ": "CNY", "BYR": "BYN",
}


def parse_currency(raw: pd.Series) -> Parsed:
    """Active ISO 4217 alphabetic code, upper-cased (rule currency_code)."""
    codes = _currency_codes()

    def one(text: str) -> tuple[str | None, str | None, str | None]:
        code = text.upper()
        if code in codes:
            return code, None, None
        if code in ("XXX", "XTS"):
            return None, "currency_code", (
                f"{_show(text)} is a placeholder code, not a currency: use a three-letter code "
                "such as RUB, USD or EUR")
        hint = _CURRENCY_HINTS.get(code)
        tail = (f": did you mean {hint}?" if hint
                else ": use a three-letter code such as RUB, USD or EUR")
        return None, "currency_code", f"{_show(text)} is not an ISO 4217 currency code{tail}"

    return _map_text(raw, one)


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

    def one(text: str) -> tuple[str | None, str | None, str | None]:
        code = text.upper()
        if code in alpha2:
            return code, None, None
        hint = by_alpha3.get(code) or _COUNTRY_HINTS.get(code)
        tail = f": did you mean {hint}?" if hint else ": use a two-letter code such as RU, KZ or DE"
        return None, "country_code", f"{_show(text)} is not an ISO 3166 country code{tail}"

    return _map_text(raw, one)


_DIGITS = re.compile(r"[0-9]+")


def parse_tax_id(raw: pd.Series) -> Parsed:
    """Tax IDs as digit text (rule tax_id_format); text cells keep leading zeros.

    A number cell becomes its integer digits; it cannot keep a leading zero, which the length
    check of the validator then reports.
    """

    def one(text: str) -> tuple[str | None, str | None, str | None]:
        if _DIGITS.fullmatch(text):
            return text, None, None
        shown = _show(text)
        if _N_SCIENTIFIC.fullmatch(text):
            return None, "tax_id_format", (
                f"{shown} is a number in scientific notation and its digits are lost: "
                "format the column as text and type the tax ID in full")
        bad = next((ch for ch in text if not "0" <= ch <= "9"), "")
        what = "a space" if bad.isspace() else _show(bad)
        return None, "tax_id_format", f"{shown} must contain digits only (found {what})"

    return _map_text(raw, one)


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
    tid = tax_id.astype("str").str.strip(_WS)
    ctry = _aligned(country, index).astype("str").str.strip(_WS).str.upper()
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


_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0400-\u04ff-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0400-\u04ff-]+)*"
    r"@(?:[A-Za-z0-9\u0400-\u04ff](?:[A-Za-z0-9\u0400-\u04ff-]*[A-Za-z0-9\u0400-\u04ff])?\.)+"
    r"[A-Za-z\u0400-\u04ff]{2,63}"
)


def is_email(s: pd.Series) -> pd.Series:
    """True where the cell looks like an e-mail address (or is NA)."""
    codes, uniq = pd.factorize(s, use_na_sentinel=True)
    ok_u = np.array([bool(_EMAIL.fullmatch(str(u).strip(_WS))) for u in uniq], dtype=bool)
    codes = np.asarray(codes, dtype=np.intp)
    return pd.Series(_take(ok_u, codes, True), index=s.index, dtype=bool)
