"""Reporting periods: a calendar month (`2026-10`) or an explicit `--from`/`--to` range."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from ledgerflow.errors import UsageError
from ledgerflow.i18n import _


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive: the last day of the period

    @property
    def label(self) -> str:
        if self.start.day == 1 and self.end == _month_end(self.start.year, self.start.month):
            return f"{self.start.year:04d}-{self.start.month:02d}"
        return f"{self.start.isoformat()}_{self.end.isoformat()}"

    @classmethod
    def month(cls, text: str) -> Period:
        """A calendar month: 2026-10, or as Russian accountants write it, 10.2026."""
        found = (re.fullmatch(r"(?P<year>\d{4})-(?P<month>\d{1,2})", text.strip())
                 or re.fullmatch(r"(?P<month>\d{1,2})\.(?P<year>\d{4})", text.strip()))
        year, month = (int(found["year"]), int(found["month"])) if found else (0, 0)
        if not 1 <= month <= 12:
            raise UsageError(_("A period is a month like 2026-10 or 10.2026, not {text}.").format(
                text=repr(text)))
        return cls(date(year, month, 1), _month_end(year, month))

    @classmethod
    def between(cls, start: str, end: str) -> Period:
        """--from and --to, written as dates are in the inputs: 2026-10-01 or 01.10.2026."""
        from ledgerflow.values import read_date

        try:
            first, last = read_date(start), read_date(end)
        except ValueError as exc:
            raise UsageError(f"{exc}.") from exc
        if last < first:
            raise UsageError(_("The period ends ({end}) before it starts ({start}).").format(
                end=end, start=start))
        return cls(first, last)

    @classmethod
    def previous_month(cls, today: date) -> Period:
        year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
        return cls(date(year, month, 1), _month_end(year, month))

    @classmethod
    def from_options(cls, period: str | None, start: str | None, end: str | None) -> Period:
        if period and (start or end):
            raise UsageError(_("Give either --period or --from/--to, not both."))
        if period:
            return cls.month(period)
        if start and end:
            return cls.between(start, end)
        raise UsageError(_("Say which period: --period 2026-10, or --from and --to."))


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])
