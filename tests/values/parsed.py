"""Helpers of the value parsers' tests: one parsed row as a tuple, a clean message."""

from __future__ import annotations

import pandas as pd

from ledgerflow.values import MONEY_SCALE, Parsed, parse_money

IDX = [3, 4, 7]
UNIT = 10**MONEY_SCALE
NBSP = "\u00a0"
NNBSP = "\u202f"


def one(parsed: Parsed, i: int = 0) -> tuple[object, object, object]:
    """(value, rule, message) of the i-th row, with NA as None."""
    def clean(v: object) -> object:
        return None if v is pd.NaT or (not isinstance(v, (list, tuple)) and pd.isna(v)) else v

    return (clean(parsed.values.iloc[i]), clean(parsed.rule.iloc[i]),
            clean(parsed.message.iloc[i]))


def money(cell: object, digits: int = 2) -> tuple[object, object, object]:
    return one(parse_money(pd.Series([cell], dtype=object), digits))


def assert_clean_message(message: object) -> None:
    assert isinstance(message, str) and message
    for junk in ("Traceback", "Decimal(", "np.", "numpy", "Timestamp(", "nan", "None", "\n"):
        assert junk not in message, message


def listed(series: pd.Series) -> list[object]:
    """A result column as a list, with NA as None."""
    return [None if pd.isna(v) else v for v in series.tolist()]
