"""Changing the warehouse: files loaded whole or not at all, loads replaced or undone.

Each change is one transaction, committed only when the warehouse's invariants
(`load/invariants.py`) hold with the change in place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import pandas as pd

from ledgerflow.contract import LOAD_ORDER
from ledgerflow.errors import UsageError
from ledgerflow.i18n import N_, _
from ledgerflow.load import invariants, warehouse
from ledgerflow.rules.hierarchy import HierarchySettings
from ledgerflow.validate.table import TableResult


def staged_rows(result: TableResult) -> pd.DataFrame:
    """The rows of a table to insert, with their row numbers and keys (the rest of the lineage
    is the same for every row and is added by the insert)."""
    rows = result.to_load
    everything = len(rows) == len(result.data)
    data = result.data if everything else result.data.loc[rows]
    keys = result.keys if everything else result.keys.loc[rows]
    return data.assign(source_row=rows.to_numpy(), row_key=keys.to_numpy())


@dataclass(frozen=True)
class FileLoad:
    """One file to load: its name, bytes' SHA-256, judged tables and status."""

    file: str
    sha256: str
    tables: list[TableResult]
    status: str  # completed | partial
    started_at: datetime


def load_file(connection: duckdb.DuckDBPyConnection, file: str, sha256: str,
              tables: list[TableResult], status: str, started_at: datetime,
              settings: HierarchySettings | None = None) -> int:
    """Insert a file's loadable rows and its loads record in one transaction; returns load id."""
    [load_id] = load_files(connection, [FileLoad(file, sha256, tables, status, started_at)],
                           settings=settings)
    return load_id


def load_files(connection: duckdb.DuckDBPyConnection, files: list[FileLoad],
               replaces: tuple[int, ...] = (), settings: HierarchySettings | None = None
               ) -> list[int]:
    """Insert files (each with its loads record) in one transaction, removing the rows of the
    loads they replace; committed only if the warehouse's invariants hold afterwards (else
    `InvariantBroken`, and nothing changed). Returns the new load ids."""
    order = {name: i for i, name in enumerate(LOAD_ORDER)}
    connection.execute("BEGIN TRANSACTION")
    try:
        removed = invariants.touched_dates(connection, replaces)
        _remove(connection, replaces, "replaced")
        load_ids = []
        for item in files:
            load_id = warehouse.next_load_id(connection)
            accepted = 0
            for result in sorted(item.tables, key=lambda r: order[r.kind.name]):
                staged = staged_rows(result)
                if not staged.empty:
                    warehouse.insert_rows(connection, result.kind, staged, load_id,
                                          result.raw.file, result.raw.sheet)
                accepted += len(staged)
            record_load(connection, load_id, item.file, item.sha256, item.tables, item.status,
                        item.started_at, accepted=accepted, replaces=list(replaces))
            load_ids.append(load_id)
        invariants.check(connection, invariants.Scope(
            tuple(load_ids), bool(replaces), removed, settings or HierarchySettings()))
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    return load_ids


def _remove(connection: duckdb.DuckDBPyConnection, load_ids: tuple[int, ...],
            status: str) -> None:
    """Delete the rows of these loads and mark them `status` (replaced, unloaded)."""
    if not load_ids:
        return
    ids = ", ".join(map(str, load_ids))
    for kind in LOAD_ORDER:
        connection.execute(f"DELETE FROM {kind} WHERE load_id IN ({ids})")
    connection.execute(
        f"UPDATE loads SET status = ?, undone_at = ? WHERE load_id IN ({ids})",
        [status, datetime.now(UTC)])


# the statuses of a load (the loads table) in words of the reader's language
LOAD_STATUSES = {"completed": N_("completed"), "partial": N_("partial"), "refused": N_("refused"),
                 "replaced": N_("replaced"), "unloaded": N_("unloaded")}


class NothingToUnload(UsageError):
    """The load named has no rows in the warehouse (refused, replaced, unloaded, unknown)."""


def unload(connection: duckdb.DuckDBPyConnection, load_id: int,
           settings: HierarchySettings | None = None) -> warehouse.LoadRecord:
    """Remove a load's rows in one transaction, unless that would break an invariant (a
    payment naming a client the load brought, …): then `InvariantBroken` and nothing changed.
    The file can be dropped again afterwards; it is no longer "already loaded"."""
    found = warehouse.load_history(connection, "load_id = ?", [load_id])
    if not found:
        raise NothingToUnload(_("There is no load {load}; `ledgerflow loads` lists them.").format(
            load=load_id))
    record = found[0]
    if record.status not in ("completed", "partial"):
        raise NothingToUnload(_("Load {load} ({file}) is {status}: none of its rows is in the "
                                "warehouse, so there is nothing to unload.").format(
            load=load_id, file=record.file, status=_(LOAD_STATUSES.get(record.status,
                                                                       record.status))))
    connection.execute("BEGIN TRANSACTION")
    try:
        removed = invariants.touched_dates(connection, (load_id,))
        _remove(connection, (load_id,), "unloaded")
        invariants.check(connection, invariants.Scope(
            (), True, removed, settings or HierarchySettings()))
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    [record] = warehouse.load_history(connection, "load_id = ?", [load_id])
    return record


def record_load(connection: duckdb.DuckDBPyConnection, load_id: int, file: str, sha256: str,
                tables: list[TableResult], status: str, started_at: datetime, accepted: int,
                replaces: list[int] | None = None) -> None:
    kinds = ",".join(sorted({r.kind.name for r in tables}))
    refused = sum(len(r.error_rows) for r in tables)
    skipped = sum(len(r.skipped) for r in tables)
    connection.execute(
        "INSERT INTO loads (load_id, file, sha256, kinds, rows_accepted, rows_refused, "
        "rows_skipped, started_at, finished_at, status, replaces) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
