"""Row identity: the key that says two rows are the same record.

A row whose key was loaded before with the same content is already in the warehouse (skipped);
with different content it is a conflict. Tables without an ID column are keyed by the columns
that make a record unique in the contract (a link by master, related account and link date).
"""

from __future__ import annotations

import pandas as pd

from ledgerflow.contract import KINDS


def row_keys(kind: str, data: pd.DataFrame) -> pd.Series:
    """Case-insensitive text key per row (IDs compare ignoring case)."""
    columns = KINDS[kind].key_columns
    parts = [_key_text(data[c]) for c in columns]
    key = parts[0]
    for part in parts[1:]:
        key = key + "|" + part
    return key.astype("string")


def _key_text(series: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(series):
        return series.dt.strftime("%Y-%m-%d").fillna("")
    return series.astype("string").str.lower().fillna("")
