"""Errors are data: small records that name where a problem is and say it in an accountant's words.

Every stage reports problems as `Problem` records instead of raising, so that one pass finds all
of them and the CLI can print them, write them as JSON, or put them in the rejects workbook.
Exceptions are kept for conditions that stop a whole run (a locked warehouse, a usage error).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from ledgerflow.i18n import N_, _

Severity = Literal["error", "warning", "info"]
# a finding's severity as the reader's language says it
SEVERITY_WORDS: dict[str, str] = {"error": N_("error"), "warning": N_("warning"),
                                  "info": N_("info")}


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding about an input: where it is, what was there and which rule it breaks.

    `row` is the row number as Excel shows it (1-based, header row included); None when the
    problem concerns a whole file, sheet or column. `value` is the cell as the user typed it,
    rendered as text.
    """

    file: str
    rule: str
    message: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None
    severity: Severity = "error"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def location(self) -> str:
        """Where the problem is, in the active locale: `file, sheet 'S', row 5, column 'ИНН'`."""
        parts = [self.file]
        if self.sheet:
            parts.append(_("sheet {sheet}").format(sheet=repr(self.sheet)))
        if self.row is not None:
            parts.append(_("row {row}").format(row=self.row))
        if self.column:
            parts.append(_("column {column}").format(column=repr(self.column)))
        return ", ".join(parts)

    def __str__(self) -> str:
        shown = _(" (value: {value})").format(value=repr(self.value)) \
            if self.value not in (None, "") else ""
        severity = _(SEVERITY_WORDS.get(self.severity, self.severity))
        return f"{severity}: {self.location()}: {self.message}{shown} [{self.rule}]"


class LedgerflowError(Exception):
    """Base of the exceptions that stop a command; the CLI turns them into a clean message."""

    exit_code = 3


class UsageError(LedgerflowError):
    """The user asked for something that cannot be done as asked (bad option, missing folder)."""

    exit_code = 2
