"""Loading files into the warehouse: one transaction per file, loaded whole or not at all."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pandas as pd

from ledgerflow.contract import LOAD_ORDER
from ledgerflow.load import warehouse
from ledgerflow.validate.table import TableResult


def staged_rows(result: TableResult) -> pd.DataFrame:
    """The rows of a table to insert, with their row numbers and keys (the rest of the lineage
    is the same for every row and is added by the insert)."""
    rows = result.to_load
    everything = len(rows) == len(result.data)
    data = result.data if everything else result.data.loc[rows]
    keys = result.keys if everything else result.keys.loc[rows]
    return data.assign(source_row=rows.to_numpy(), row_key=keys.to_numpy())


def load_file(connection: duckdb.DuckDBPyConnection, file: str, sha256: str,
              tables: list[TableResult], status: str, replacing: bool,
              started_at: datetime) -> int:
    """Insert a file's loadable rows and its loads record in one transaction; returns load id."""
    order = {name: i for i, name in enumerate(LOAD_ORDER)}
    connection.execute("BEGIN TRANSACTION")
    try:
        load_id = warehouse.next_load_id(connection)
        replaced = _replace_earlier(connection, file) if replacing else []
        accepted = 0
        for result in sorted(tables, key=lambda r: order[r.kind.name]):
            staged = staged_rows(result)
            if not staged.empty:
                warehouse.insert_rows(connection, result.kind, staged, load_id, result.raw.file,
                                      result.raw.sheet)
            accepted += len(staged)
        record_load(connection, load_id, file, sha256, tables, status, started_at,
                    accepted=accepted, replaces=replaced)
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    return load_id


def _replace_earlier(connection: duckdb.DuckDBPyConnection, file: str) -> list[int]:
    rows = connection.execute(
        "SELECT load_id FROM loads WHERE file = ? AND status IN ('completed', 'partial')",
        [file]).fetchall()
    for kind in LOAD_ORDER:
        connection.execute(f"DELETE FROM {kind} WHERE source_file = ?", [file])
    connection.execute(
        "UPDATE loads SET status = 'replaced' WHERE file = ? AND status IN ('completed', "
        "'partial')", [file])
    return [int(r[0]) for r in rows]


def record_load(connection: duckdb.DuckDBPyConnection, load_id: int, file: str, sha256: str,
                tables: list[TableResult], status: str, started_at: datetime, accepted: int,
                replaces: list[int] | None = None) -> None:
    kinds = ",".join(sorted({r.kind.name for r in tables}))
    refused = sum(len(r.error_rows) for r in tables)
    skipped = sum(len(r.skipped) for r in tables)
    connection.execute(
        "INSERT INTO loads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [load_id, file, sha256, kinds, accepted, refused, skipped, started_at,
         datetime.now(UTC), status, ",".join(map(str, replaces)) if replaces else None])


def record_refusal(connection: duckdb.DuckDBPyConnection, file: str, sha256: str,
                   tables: list[TableResult], started_at: datetime) -> int:
    connection.execute("BEGIN TRANSACTION")
    try:
        load_id = warehouse.next_load_id(connection)
        record_load(connection, load_id, file, sha256, tables, "refused", started_at, accepted=0)
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    return load_id
