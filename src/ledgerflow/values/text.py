"""Text cells, and the driver every parser of a column runs on.

`Reading` is one column being parsed: its rows, how the reader stored them, the errors found so
far, and the ways a parser refuses cells (`refuse` rows whatever they hold, `refuse_distinct`
the rows of the distinct cells found wrong). `parse_text` reads any cell as text (trimmed,
numbers as shown, dates as ISO text); `map_text` maps each distinct text through a function.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ledgerflow.values.cells import (
    WHITESPACE,
    Errors,
    Parsed,
    cell_text,
    datetime_text,
    days_of,
    dict_decode,
    factorise,
    finish,
    float_text,
    floats_of,
    ints_of,
    per_key_messages,
    storage,
    str_from_codes,
    str_series,
)


class Reading:
    """One column being parsed: its rows (`index`), how the reader stored them (`storage`:
    float, int, bool, datetime or object) and the errors found so far."""

    def __init__(self, raw: pd.Series) -> None:
        self.raw = raw
        self.index = raw.index
        self.n = len(raw)
        self.storage = storage(raw)
        self.errors = Errors(self.n)
        self._shown: np.ndarray | None = None

    def blank(self) -> np.ndarray:
        return self.raw.isna().to_numpy(dtype=bool)

    def refuse(self, rows: np.ndarray, rule: str, message: Callable[[str], str]) -> None:
        """Refuse `rows` whatever they hold; `message` is made once per distinct cell, from
        the cell as a person sees it."""
        if len(rows) == 0:
            return
        if self._shown is None:
            self._shown = parse_text(self.raw).values.to_numpy(dtype=object)
        r, m = per_key_messages(rows, [self._shown[rows]], lambda s: (rule, message(s)))
        self.errors.set(rows, r, m)

    def refuse_distinct(self, codes: np.ndarray, rule_u: np.ndarray, msg_u: np.ndarray) -> None:
        """Refuse the rows whose distinct cell (`codes`, -1 blank) has a rule in `rule_u`."""
        wrong_u = ~pd.isna(rule_u)
        if wrong_u.any():
            rows = np.flatnonzero((codes >= 0) & wrong_u[np.maximum(codes, 0)])
            self.errors.set(rows, rule_u[codes[rows]], msg_u[codes[rows]])

    def finish(self, values: pd.Series, blank: np.ndarray) -> Parsed:
        return finish(values, self.errors, blank, self.index)


def parse_text(raw: pd.Series) -> Parsed:
    """Text: trimmed (NBSP too); numbers as shown without float noise; dates as ISO text."""
    col = Reading(raw)
    index, n, kind, errors = col.index, col.n, col.storage, col.errors
    if kind == "float":
        x = floats_of(raw)
        blank = np.isnan(x)
        whole = ~blank & np.isfinite(x) & (np.abs(x) < 2.0**53) & (np.floor(x) == x)
        ints = pa.array(np.where(whole, x, 0.0).astype(np.int64), mask=~whole)
        text = ints.cast(pa.large_string())
        rest = np.flatnonzero(~blank & ~whole)
        if len(rest):
            codes = np.full(n, -1, dtype=np.intp)
            sub_codes, uniq = pd.factorize(x[rest])
            codes[rest] = sub_codes
            others = dict_decode(codes, [float_text(float(u)) for u in uniq])
            text = pc.if_else(pa.array(whole), text, others)
        return finish(str_series(text, index), errors, blank, index)
    if kind == "int":
        v, na = ints_of(raw)
        text = pa.array(v, mask=na).cast(pa.large_string())
        return finish(str_series(text, index), errors, na, index)
    if kind == "bool":
        na = raw.isna().to_numpy(dtype=bool)
        b = raw.to_numpy(dtype=bool, na_value=False)
        codes = np.where(na, -1, b.astype(np.intp))
        return finish(str_from_codes(codes, ["FALSE", "TRUE"], index), errors, na, index)
    if kind == "datetime":
        days, na = days_of(raw)
        s = raw.dt.tz_localize(None) if getattr(raw.dtype, "tz", None) is not None else raw
        arr = s.to_numpy()
        midnight = na | (arr == arr.astype("datetime64[D]").astype(arr.dtype))
        text = pa.array(days.astype(np.int32), mask=na).cast(pa.date32()).cast(pa.large_string())
        timed = np.flatnonzero(~midnight)
        if len(timed):
            codes = np.full(n, -1, dtype=np.intp)
            sub_codes, uniq = pd.factorize(arr[timed])
            codes[timed] = sub_codes
            stamps = dict_decode(codes, [datetime_text(u) for u in uniq])
            text = pc.if_else(pa.array(midnight), text, stamps)
        return finish(str_series(text, index), errors, na, index)
    if isinstance(raw.dtype, pd.StringDtype):
        # All text (an ID or description column): trim in bulk; no need to factorise a column
        # whose values are mostly distinct.
        trimmed = pc.utf8_trim(pa.array(raw, type=pa.large_string(), from_pandas=True),
                               characters=WHITESPACE)
        blank_text = pc.fill_null(pc.equal(trimmed, ""), True)
        text = pc.if_else(blank_text, pa.scalar(None, pa.large_string()), trimmed)
        blank = blank_text.to_numpy(zero_copy_only=False)
        return finish(str_series(text, index), errors, blank, index)
    cells = factorise(raw)
    other = pa.array([cell_text(u) for u in cells.other], type=pa.large_string())
    dictionary = pa.concat_arrays([cells.text, other])
    return finish(str_from_codes(cells.codes, dictionary, index), errors, cells.codes < 0, index)


def map_text(
    raw: pd.Series, fn: Callable[[str], tuple[str | None, str | None, str | None]],
) -> Parsed:
    """Parse as text, then map each distinct text through fn -> (value, rule, message)."""
    text = parse_text(raw)
    index = raw.index
    codes, uniq = pd.factorize(text.values, use_na_sentinel=True)
    codes = np.asarray(codes, dtype=np.intp)
    made = [fn(str(u)) for u in uniq]
    values = str_from_codes(codes, [m[0] for m in made], index)
    errors = Errors(len(raw))
    bad = [i for i, m in enumerate(made) if m[1] is not None]
    if bad:
        rows = np.flatnonzero(np.isin(codes, bad))
        rule_u = np.array([m[1] for m in made], dtype=object)
        msg_u = np.array([m[2] for m in made], dtype=object)
        errors.set(rows, rule_u[codes[rows]], msg_u[codes[rows]])
    return finish(values, errors, codes < 0, index)
