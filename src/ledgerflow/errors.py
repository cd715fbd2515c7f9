"""Errors are data: small records that name where a problem is and say it in an accountant's words.

Every stage reports problems as `Problem` records instead of raising, so that one pass finds all
of them and the CLI can print them, write them as JSON, or put them in the rejects workbook.
Exceptions are kept for conditions that stop a whole run (a locked warehouse, a usage error).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]


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
        parts = [self.file]
        if self.sheet:
            parts.append(f"sheet {self.sheet!r}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column!r}")
        return ", ".join(parts)

    def __str__(self) -> str:
        shown = f" (value: {self.value!r})" if self.value not in (None, "") else ""
        return f"{self.severity}: {self.location()}: {self.message}{shown} [{self.rule}]"


class LedgerflowError(Exception):
    """Base of the exceptions that stop a command; the CLI turns them into a clean message."""

    exit_code = 3


class UsageError(LedgerflowError):
    """The user asked for something that cannot be done as asked (bad option, missing folder)."""

    exit_code = 2
