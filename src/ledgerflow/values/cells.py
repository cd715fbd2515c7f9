"""Raw cells and the plumbing every value parser shares.

A reader hands over a column as a pandas Series whose dtype may be float64, int64, bool,
datetime64, str or object with mixed cells. `storage` says which; `factorise` turns a text or
mixed column into its distinct cells and per-row codes, so that each distinct cell is parsed once
and the result spread back to the rows (`take`). `Errors` collects per-row rules and messages,
`finish` makes a `Parsed` of it. `cell_text` is the one way a cell becomes the text a person
sees in it.
"""

from __future__ import annotations

import datetime as dt
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
from pandas.api import types as ptypes


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


# Characters trimmed from both ends of a text cell: ASCII and Unicode spaces (NBSP, narrow NBSP,
# figure/thin spaces, ideographic space), zero-width space and a stray byte-order mark.
WHITESPACE = (
    " \t\n\r\v\f\x1c\x1d\x1e\x1f\x85\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u200b\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")



def show(value: object) -> str:
    """A cell as quoted text for a message: no repr, no control characters, not too long."""
    text = value if isinstance(value, str) else cell_text(value)
    if not text.isprintable():
        text = _CONTROL.sub(" ", text)
    if len(text) > 60:
        text = text[:57] + "…"
    return f"'{text}'"


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def float_text(x: float) -> str:
    """A float as Excel would show it: at most 15 significant digits, no exponent, no '.0'."""
    if not math.isfinite(x):
        return "infinity" if x > 0 else ("-infinity" if x < 0 else "not a number")
    text = f"{x:.15g}"  # no trailing zero nor point after a fraction; an exponent's 'e'
    if "e" in text:  # in lower case; written out, its digits end in a non-zero one too
        text = format(Decimal(text), "f")
    return "0" if text == "-0" else text


def datetime_text(value: object) -> str:
    """A date or a date and time as ISO text, the year in four digits at least (strftime writes
    the year 999 as '999' and cannot write one beyond 9999)."""
    ts = pd.Timestamp(value)  # type: ignore[arg-type]  # a zoned one: its wall-clock time
    day = f"{ts.year:04d}-{ts.month:02d}-{ts.day:02d}"
    if ts == ts.normalize():
        return day
    return f"{day} {ts.hour:02d}:{ts.minute:02d}:{ts.second:02d}"


def is_bool(value: object) -> bool:
    return isinstance(value, (bool, np.bool_))


def is_number(value: object) -> bool:
    return isinstance(value, (int, float, Decimal, np.integer, np.floating)) and not is_bool(value)


def is_datetime(value: object) -> bool:
    return isinstance(value, (dt.date, np.datetime64))


def cell_text(value: object) -> str:
    """Any cell as the text a person sees in it; a blank cell (None, NaN, NA, NaT) as ""."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, str):
        return value.strip(WHITESPACE)
    if is_bool(value):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return float_text(float(value)) if not math.isnan(value) else ""
    if isinstance(value, Decimal):
        if not value.is_finite():
            return str(value)
        text = format(value, "f")  # never empty; a fraction's zeros trimmed leave a digit
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return "0" if text == "-0" else text
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, np.datetime64) and np.isnat(value):
        return ""
    if is_datetime(value):
        return datetime_text(value)
    return str(value).strip(WHITESPACE)


def storage(raw: pd.Series) -> str:
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


def floats_of(raw: pd.Series) -> np.ndarray:
    return raw.to_numpy(dtype=np.float64, na_value=np.nan)


def ints_of(raw: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """int64 values and the NA mask of an integer column."""
    na = raw.isna().to_numpy(dtype=bool)
    return raw.to_numpy(dtype=np.int64, na_value=0), na


def days_of(raw: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Whole days since 1970-01-01 (time dropped) and the NA mask of a datetime64 column."""
    s = raw
    if getattr(s.dtype, "tz", None) is not None:
        s = s.dt.tz_localize(None)  # the wall-clock date as written
    arr = s.to_numpy()
    na = np.isnat(arr)
    days = arr.astype("datetime64[D]").astype(np.int64)
    return np.where(na, 0, days), na


@dataclass
class Cells:
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


def factorise(raw: pd.Series) -> Cells:
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
    trimmed = pc.utf8_trim(strings, characters=WHITESPACE)
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
    # other cells: merge equal values, never a bool with a number (pd.factorize has left out
    # the NaN cells and refused an unhashable one)
    seen: dict[tuple[bool, Any], int] = {}
    merged: list[Any] = []
    for pos, u in zip(other_pos, others, strict=True):
        j = seen.setdefault((is_bool(u), u), len(merged))
        if j == len(merged):
            merged.append(u)
        remap[pos] = len(text) + j
    if len(remap):
        codes = np.where(codes >= 0, remap[np.maximum(codes, 0)], -1)
    return Cells(codes=codes, text=text, other=merged)


def _split_bools(data: pd.Series, codes: np.ndarray, uniq: list[Any]) -> None:
    """Give bool cells their own codes where the hash table merged them with 0/1 numbers."""
    suspect = [
        i for i, u in enumerate(uniq)
        if (is_bool(u) or is_number(u)) and not (isinstance(u, float) and math.isnan(u))
        and u in (0, 1)
    ]
    if not suspect or data.dtype != object:
        return
    rows = np.flatnonzero(np.isin(codes, suspect))
    row_is_bool = data.iloc[rows].map(is_bool).to_numpy(dtype=bool)
    rep_is_bool = np.array([is_bool(u) for u in uniq], dtype=bool)
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


def take(per_unique: np.ndarray, codes: np.ndarray, fill: Any) -> np.ndarray:
    """Spread per-unique results to rows; rows with code -1 get `fill`."""
    if len(per_unique) == 0:
        return np.full(len(codes), fill, dtype=per_unique.dtype)
    out = per_unique[np.maximum(codes, 0)]
    out[codes < 0] = fill
    return out


def str_series(values: np.ndarray | Sequence[object] | pa.Array, index: pd.Index) -> pd.Series:
    """A str-dtype Series from an object array (None/NaN = NA) or an Arrow array."""
    arr = values if isinstance(values, pa.Array) else pa.array(
        values, type=pa.large_string(), from_pandas=True)
    return pd.Series(pd.array(arr.cast(pa.large_string()), dtype="str"), index=index)


def dict_decode(codes: np.ndarray, dictionary: pa.Array | Sequence[str | None]) -> pa.Array:
    """Row i is dictionary[codes[i]]; code -1 or a None entry is null."""
    if not isinstance(dictionary, pa.Array):
        dictionary = pa.array(list(dictionary), type=pa.large_string())
    if len(dictionary) == 0:
        return pa.nulls(len(codes), type=pa.large_string())
    indices = pa.array(codes.astype(np.int64), mask=codes < 0)
    return pa.DictionaryArray.from_arrays(indices, dictionary).cast(pa.large_string())


def str_from_codes(
    codes: np.ndarray, dictionary: pa.Array | Sequence[str | None], index: pd.Index,
) -> pd.Series:
    """A str-dtype Series: row i is dictionary[codes[i]]; code -1 or a None entry is NA."""
    return str_series(dict_decode(codes, dictionary), index)


def _na_str(index: pd.Index) -> pd.Series:
    """An all-NA str Series, made from Arrow nulls (8 times faster than from a NaN)."""
    return pd.Series(pd.array(pa.nulls(len(index), pa.large_string()), dtype="str"), index=index)


class Errors:
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
        return str_series(self.rule, index), str_series(self.message, index)


def per_key_messages(
    rows: np.ndarray, keys: Sequence[np.ndarray], make: Callable[..., tuple[str, str]],
) -> tuple[np.ndarray, np.ndarray]:
    """Build (rule, message) for error rows, calling `make` once per distinct key tuple (no
    rows give two empty arrays; every caller has some)."""
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


def finish(values: pd.Series, errors: Errors, blank: np.ndarray, index: pd.Index) -> Parsed:
    rule, message = errors.series(index)
    return Parsed(values=values, rule=rule, message=message,
                  blank=pd.Series(blank, index=index, dtype=bool))


def int64_series(values: np.ndarray, na: np.ndarray, index: pd.Index) -> pd.Series:
    return pd.Series(pd.arrays.IntegerArray(values.astype(np.int64), na.copy()), index=index)
