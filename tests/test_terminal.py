"""The balances table in a terminal: every amount whole, whatever the terminal's width."""

from __future__ import annotations

import io
from datetime import date

import pytest
from rich.console import Console

from ledgerflow.rules.period import Period
from ledgerflow.terminal import COLUMNS, balances_table

OCTOBER = Period(date(2026, 10, 1), date(2026, 10, 31))


def record(payer: str, amount: str) -> dict[str, object]:
    return {"payer": payer, "currency": "RUB", **dict.fromkeys(COLUMNS, amount),
            "flags": ["credit_limit_exceeded", "to_block"]}


@pytest.mark.parametrize("width", [60, 100, 140, 220])
def test_no_amount_is_cut_at_any_width(width: int) -> None:
    records = [record("Orhid_magazine_with_a_long_login", "-12345678901.25"),
               record("acme", "0.00")]
    out = io.StringIO()
    console = Console(file=out, width=width, color_system=None)

    balances_table(records, OCTOBER, console)

    text = out.getvalue()
    assert max(len(line) for line in text.splitlines()) <= width
    assert text.count("-12345678901.25") == len(COLUMNS)  # each amount whole, on one line
    assert "…" not in text
    assert "2026-10" in text
