"""Shared by the benchmark scripts that generate a warehouse directly in DuckDB."""

from __future__ import annotations


def lineage(key: str, row: str = "i::INTEGER") -> str:
    """The lineage columns of a generated row (load 1 of a made-up file), as SQL: `key` is the
    SQL expression of the row's ID, `row` that of its Excel row number."""
    return f"1, 'bench.xlsx', 'sheet', {row}, lower({key}), 0::UHUGEINT"
