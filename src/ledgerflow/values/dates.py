"""Dates of SPEC "Values": date cells, ISO and Russian text, slash dates by the date order."""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ledgerflow.errors import UsageError
from ledgerflow.i18n import N_, _, active, ngettext
from ledgerflow.values.cells import (
    WHITESPACE,
    Parsed,
    cell_text,
    days_of,
    factorise,
    is_bool,
    is_number,
    show,
    take,
)
from ledgerflow.values.text import Reading

NS_PER_DAY = 86_400 * 10**9
EPOCH = dt.date(1970, 1, 1)
# Days since 1970-01-01 that datetime64[ns] can hold (1677-09-22 .. 2262-04-11).
MIN_DAY = -106_751
MAX_DAY = 106_750

_TIME = (r"(?:[ T]([0-9]{1,2}):([0-9]{2})(?::([0-9]{2})(?:[.,][0-9]+)?)?"
         r"(?:Z|[+-][0-9]{2}:?[0-9]{2})?)?")
_D_ISO = re.compile(r"([0-9]{4})([-/.])([0-9]{1,2})\2([0-9]{1,2})" + _TIME)
_D_DOTS = re.compile(r"([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4}|[0-9]{2})" + _TIME)
_D_SLASH = re.compile(r"([0-9]{1,2})([/-])([0-9]{1,2})\2([0-9]{4}|[0-9]{2})" + _TIME)
_D_NUMBER = re.compile(r"[-+]?[0-9]+(?:[.,][0-9]+)?")
# A date and a month of a year in words, each month its own message (a language may write
# the month differently in each: "4 марта 2026", "в марте 2026 года").
_DAYS = (N_("{day} January {year}"), N_("{day} February {year}"), N_("{day} March {year}"),
         N_("{day} April {year}"), N_("{day} May {year}"), N_("{day} June {year}"),
         N_("{day} July {year}"), N_("{day} August {year}"), N_("{day} September {year}"),
         N_("{day} October {year}"), N_("{day} November {year}"),
         N_("{day} December {year}"))
_MONTHS = (N_("January {year}"), N_("February {year}"), N_("March {year}"),
           N_("April {year}"), N_("May {year}"), N_("June {year}"), N_("July {year}"),
           N_("August {year}"), N_("September {year}"), N_("October {year}"),
           N_("November {year}"), N_("December {year}"))
_DATE_HOW = N_("write it like 2026-10-05 or 05.10.2026")


def _year(text: str) -> int:
    y = int(text)
    if len(text) == 2:
        y += 2000 if y < 69 else 1900
    return y


_OUT_OF_RANGE = N_("{value} is out of range: dates must be between 1678 and 2261")


@functools.lru_cache(maxsize=4)
def _templates(locale: str) -> dict[str, str]:
    """The date messages that do not depend on the cell's date, translated once for the locale
    and filled in but for the cell (`{value}`)."""
    how = _(_DATE_HOW)
    return {
        "range": _(_OUT_OF_RANGE),
        "number": _("{value} is a number, not a date: format the cell as a date or {how}"
                    ).format(value="{value}", how=how),
        "yes/no": _("{value} is a yes/no value, not a date"),
        "time": _("{value} is a time of day without a date: {how}").format(value="{value}",
                                                                            how=how),
        "clock": _("{value} has an impossible time of day: {how}").format(value="{value}",
                                                                          how=how),
        "text": _("{value} is not a date: {how}").format(value="{value}", how=how),
    }


def _message(which: str, shown: str) -> str:
    return _templates(active())[which].format(value=shown)


def _out_of_range(shown: str) -> str:
    return _message("range", shown)


def _not_a_number(shown: str) -> str:
    return _message("number", shown)


def _make_date(
    shown: str, y: int, m: int, d: int, time: Sequence[str | None] = (),
) -> tuple[int, str]:
    """(days since 1970-01-01, "") or (0, message) when the date is impossible."""
    if not 1 <= m <= 12:
        return 0, _("{value} is not a real date: there is no month {month}").format(
            value=shown, month=m)
    last = calendar.monthrange(y, m)[1] if 1 <= y <= 9999 else 31
    if not 1 <= d <= last:
        if d == 0 or d > 31:
            return 0, _("{value} is not a real date: there is no day {day}").format(
                value=shown, day=d)
        return 0, ngettext("{value} is not a real date: {month} has {days} day",
                           "{value} is not a real date: {month} has {days} days", last).format(
            value=shown, month=_(_MONTHS[m - 1]).format(year=y), days=last)
    hh, mm, ss = (*time, None, None, None)[:3]
    if hh is not None and (int(hh) > 23 or int(mm or 0) > 59 or int(ss or 0) > 59):
        return 0, _message("clock", shown)
    if not 1 <= y <= 9999:
        return 0, _out_of_range(shown)
    days = (dt.date(y, m, d) - EPOCH).days
    if not MIN_DAY <= days <= MAX_DAY:
        return 0, _out_of_range(shown)
    return days, ""


def _date_result(days_msg: tuple[int, str]) -> tuple[int, str, str]:
    days, msg = days_msg
    return (days, "", "") if not msg else (0, "date_format", msg)


def _date_unique(cell: object, order: str | None) -> tuple[int, str, str]:
    """(days, rule, message) for one distinct cell; rule is "" when the cell is a fine date."""
    shown = show(cell)
    if is_bool(cell):
        return 0, "date_format", _message("yes/no", shown)
    if is_number(cell):
        return 0, "date_format", _not_a_number(shown)
    if isinstance(cell, dt.time):
        return 0, "date_format", _message("time", shown)
    if isinstance(cell, dt.date):  # date, datetime, Timestamp: the time of day is dropped
        return _date_result(_make_date(shown, cell.year, cell.month, cell.day))
    if isinstance(cell, np.datetime64):
        day = cell.astype("datetime64[D]").astype(object)
        if isinstance(day, dt.date):
            return _date_result(_make_date(shown, day.year, day.month, day.day))
        return 0, "date_format", _out_of_range(shown)
    text = cell if isinstance(cell, str) else cell_text(cell)
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
            return 0, "date_ambiguous", _(
                "{value} is ambiguous: it may be {one} or {other}; write the date like {iso} or "
                "{dotted}, or set the date order (DMY or MDY)").format(
                value=shown, one=_(_DAYS[b - 1]).format(day=a, year=y),
                other=_(_DAYS[a - 1]).format(day=b, year=y), iso=f"{y:04d}-{b:02d}-{a:02d}",
                dotted=f"{a:02d}.{b:02d}.{y}")
        else:
            return 0, "date_format", _(
                "{value} is not a real date: neither {first} nor {second} is a month").format(
                value=shown, first=a, second=b)
        days, msg = _make_date(shown, y, mo, d, m.groups()[4:7])
        if msg and order:
            msg += _(" (read in {order} order, as configured)").format(order=order)
        return _date_result((days, msg))
    if _D_NUMBER.fullmatch(text):
        return 0, "date_format", _not_a_number(shown)
    return 0, "date_format", _message("text", shown)


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
        good &= (days < after) & (days >= MIN_DAY) & (days <= MAX_DAY)
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
        raise UsageError(_("date order must be DMY or MDY, not '{order}'").format(
            order=date_order))
    return order


def _dates_series(days: np.ndarray, na: np.ndarray, index: pd.Index) -> pd.Series:
    ns = np.where(na, 0, days).astype(np.int64) * NS_PER_DAY
    arr = ns.view("datetime64[ns]").copy()
    arr[na] = np.datetime64("NaT", "ns")
    return pd.Series(arr, index=index, dtype="datetime64[ns]")


def parse_date(raw: pd.Series, date_order: str | None = None) -> Parsed:
    """Dates as datetime64[ns] at midnight: date cells (time dropped), ISO and Russian text.

    '04/03/26' is ambiguous (date_ambiguous) unless date_order is 'DMY' or 'MDY'; a slash date
    that can be read only one way ('25/03/2026') is accepted. Numbers are refused (date_format).
    """
    order = _date_order(date_order)
    col = Reading(raw)
    if col.storage == "datetime":
        days, blank = days_of(raw)
        out_of_range = _templates(active())["range"]
        col.refuse(np.flatnonzero(~blank & ((days < MIN_DAY) | (days > MAX_DAY))), "date_format",
                   lambda s: out_of_range.format(value=show(s)))
    elif col.storage in ("float", "int", "bool"):
        blank = col.blank()
        days = np.zeros(col.n, dtype=np.int64)
        template = _templates(active())["yes/no" if col.storage == "bool" else "number"]
        col.refuse(np.flatnonzero(~blank), "date_format",
                   lambda s: template.format(value=show(s)))
    else:
        cells = factorise(raw)
        blank = cells.codes < 0
        days_u = np.zeros(cells.size, dtype=np.int64)
        rule_u = np.full(cells.size, None, dtype=object)
        msg_u = np.full(cells.size, None, dtype=object)
        fast, fast_days = _fast_dates(cells.text)
        days_u[fast] = fast_days
        todo = np.ones(cells.size, dtype=bool)
        todo[fast] = False
        slow = np.flatnonzero(todo)
        for i, cell in zip(slow, cells.values_at(slow), strict=True):
            days_u[i], rule, msg = _date_unique(cell, order)
            if rule:
                rule_u[i], msg_u[i] = rule, msg
        days = take(days_u, cells.codes, 0)
        col.refuse_distinct(cells.codes, rule_u, msg_u)
    na = blank | col.errors.mask()
    return col.finish(_dates_series(days, na, col.index), blank)



EXCEL_EPOCH = dt.date(1899, 12, 30)  # Excel's day 0 (its serial numbers agree from 1900-03-01)


def excel_serial(day: dt.date) -> int:
    """The date as Excel's serial day number (from 1900-03-01 on, as every ledger date is)."""
    return (day - EXCEL_EPOCH).days


def read_date(text: str, date_order: str | None = None) -> dt.date:
    """One date a person typed outside a sheet (a command's option, a setting), read by the
    grammar of date cells: 2026-10-05, 05.10.2026, or a slash date that reads one way only.
    Trimmed as a cell is (no-break and zero-width spaces, a byte-order mark). Raises
    ValueError with the message a cell would get."""
    days, rule, message = _date_unique(str(text).strip(WHITESPACE), _date_order(date_order))
    if rule:
        raise ValueError(message)
    return EPOCH + dt.timedelta(days=days)
