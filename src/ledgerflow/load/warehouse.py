"""The DuckDB warehouse: typed tables with lineage, the loads table, and the single-writer lock.

Money is DECIMAL(18,4) (wide enough for every ISO 4217 currency's minor digits), rates and
percentages DECIMAL(18,6); never DOUBLE. Every data row carries the load that brought it and the
file, sheet and Excel row it came from.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from ledgerflow import values
from ledgerflow.contract import KINDS, LOAD_ORDER, TableKind
from ledgerflow.errors import LedgerflowError, UsageError
from ledgerflow.i18n import _

LINEAGE_COLUMNS = (
    "load_id BIGINT NOT NULL", "source_file VARCHAR NOT NULL", "source_sheet VARCHAR NOT NULL",
    "source_row INTEGER NOT NULL", "row_key VARCHAR NOT NULL", "row_hash UHUGEINT NOT NULL",
)
LOADS_DDL = """
CREATE TABLE IF NOT EXISTS loads (
    load_id BIGINT PRIMARY KEY,
    file VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    kinds VARCHAR NOT NULL,
    rows_accepted BIGINT NOT NULL,
    rows_refused BIGINT NOT NULL,
    rows_skipped BIGINT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ NOT NULL,
    status VARCHAR NOT NULL,   -- completed | partial | refused | replaced | unloaded
    replaces VARCHAR,          -- load ids this load replaced, comma separated
    undone_at TIMESTAMPTZ      -- when its rows left the warehouse (replaced or unloaded)
)"""


class WarehouseLocked(LedgerflowError):
    """Another process holds the warehouse."""

    exit_code = 3


class WarehouseUnreadable(LedgerflowError):
    exit_code = 3


def column_sql_type(kind: TableKind, name: str) -> str:
    return kind.column(name).sql_type


def table_ddl(kind: TableKind) -> str:
    columns = [f"{c.name} {column_sql_type(kind, c.name)}" for c in kind.columns]
    return f"CREATE TABLE IF NOT EXISTS {kind.name} ({', '.join(columns + list(LINEAGE_COLUMNS))})"


def connect(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse, creating its tables; fail fast and clearly when another run holds it."""
    if read_only and not path.exists():
        connection = duckdb.connect(":memory:")
    elif not path.parent.is_dir():
        raise UsageError(_("The folder of the warehouse, {folder}, does not exist; create it, "
                           "or give another --warehouse.").format(folder=path.parent))
    elif path.is_dir():
        raise UsageError(_("The warehouse {path} is a folder; give the path of a file.").format(
            path=path))
    else:
        connection = _open(path, read_only, lock_wait())
    limit = memory_limit()
    try:
        connection.execute(f"SET memory_limit = '{limit.replace(chr(39), '')}'")
    except duckdb.Error as exc:
        connection.close()
        raise UsageError(_("LEDGERFLOW_DUCKDB_MEMORY={limit} is not a memory size DuckDB "
                           "understands (for example 2GB or 512MB): {error}").format(
            limit=repr(limit), error=exc)) from exc
    try:
        if path.exists():
            _probe(connection, path)
        if not read_only or not path.exists():
            create_schema(connection)
    except duckdb.Error as exc:
        connection.close()
        raise WarehouseUnreadable(_(
            "The warehouse {path} is damaged and cannot be read ({error}). ledgerflow has not "
            "changed it; restore it from a backup, or move it aside and load the inbox files "
            "again.").format(path=path, error=exc)) from exc
    return connection


def _open(path: Path, read_only: bool, wait: float) -> duckdb.DuckDBPyConnection:
    """Open the file, waiting up to `wait` seconds for another run to release it: a cron run
    that starts while an accountant's load is finishing waits instead of failing."""
    deadline = time.monotonic() + wait
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise WarehouseUnreadable(_(
                    "The warehouse {path} cannot be opened: {error}").format(
                    path=path, error=exc)) from exc
            left = deadline - time.monotonic()
            if left <= 0:
                waited = _(" (waited {seconds} s)").format(seconds=f"{wait:g}") if wait else ""
                raise WarehouseLocked(_(
                    "The warehouse {path} is in use by another ledgerflow run{waited}; nothing "
                    "was changed. Try again when that run has finished, or give --wait SECONDS."
                ).format(path=path, waited=waited)) from exc
            time.sleep(min(LOCK_POLL_SECONDS, left))
        except duckdb.Error as exc:
            raise WarehouseUnreadable(_("The warehouse {path} cannot be opened: {error}").format(
                path=path, error=exc)) from exc


LOCK_POLL_SECONDS = 0.25
LOCK_WAIT_VARIABLE = "LEDGERFLOW_LOCK_WAIT"


def lock_wait() -> float:
    """How long to wait for a warehouse another run holds: `--wait SECONDS` on a command, or
    the environment variable LEDGERFLOW_LOCK_WAIT; none by default (fail at once, exit 3)."""
    text = os.environ.get(LOCK_WAIT_VARIABLE, "").strip()
    try:
        seconds = float(text) if text else 0.0
    except ValueError:
        raise UsageError(_not_seconds().format(variable=LOCK_WAIT_VARIABLE,
                                               text=repr(text))) from None
    if not seconds >= 0 or seconds == float("inf"):
        raise UsageError(_not_seconds().format(variable=LOCK_WAIT_VARIABLE, text=repr(text)))
    return seconds


def _not_seconds() -> str:
    return _("{variable}={text} is not a number of seconds.")


HEADER_BYTES = 3 * 4096  # DuckDB's file header and its two database headers


def _probe(connection: duckdb.DuckDBPyConnection, path: Path) -> None:
    """A damaged file (cut short by a full disk or a bad copy) is found when the warehouse is
    opened, not halfway through a run: the file must be long enough for every block in use
    (DuckDB truncates free blocks from the end of the file, so the blocks it counts in all may
    lie beyond it), and every table's metadata must read. A cut that spares every block in use
    is found by the first query that reads past the end, which the CLI reports as well."""
    [(blocks, block_size)] = connection.execute(
        "SELECT used_blocks, block_size FROM pragma_database_size() "
        "WHERE database_name = current_database()").fetchall()
    expected = HEADER_BYTES + int(blocks) * int(block_size)
    size = path.stat().st_size
    if 0 < size < expected:
        raise duckdb.IOException(_(
            "the file holds {size} bytes, too few for the {expected} of the blocks it uses: "
            "it was cut short").format(size=size, expected=expected))
    for (name,) in connection.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
            "AND schema_name = 'main'").fetchall():
        connection.execute(f'SELECT * FROM "{name}" LIMIT 0').fetchall()
        connection.execute(f'SELECT count(*) FROM "{name}"').fetchall()


DEFAULT_MEMORY_LIMIT = "1536MiB"


def memory_limit() -> str:
    """How much memory DuckDB may hold before it spills to its temporary folder (beside the
    warehouse, `<warehouse>.tmp`): a month of ten million expenses then consolidates and
    renders in a few GB instead of most of the machine (DuckDB's own default is 80 % of it).
    The environment variable LEDGERFLOW_DUCKDB_MEMORY sets another ("4GB")."""
    return os.environ.get("LEDGERFLOW_DUCKDB_MEMORY", DEFAULT_MEMORY_LIMIT)


def create_schema(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute(LOADS_DDL)
    # a warehouse made before loads could be undone
    connection.execute("ALTER TABLE loads ADD COLUMN IF NOT EXISTS undone_at TIMESTAMPTZ")
    for name in LOAD_ORDER:
        kind = KINDS[name]
        connection.execute(table_ddl(kind))
        for column in kind.columns:  # a warehouse made before the contract gained the column
            if column.added:
                connection.execute(f"ALTER TABLE {kind.name} ADD COLUMN IF NOT EXISTS "
                                   f"{column.name} {column.sql_type}")


def _select_expression(kind: TableKind, name: str) -> str:
    col = kind.column(name)
    # Parsers hand over exact scaled integers; multiplying by an exact DECIMAL power of ten
    # turns them into DECIMAL without ever passing through a float.
    if col.type == "money":
        return _scaled_to_decimal(name, values.MONEY_SCALE, "DECIMAL(18,4)")
    if col.type == "decimal":
        return _scaled_to_decimal(name, 6, "DECIMAL(18,6)")
    if col.type == "date":
        return f"\"{name}\"::DATE"
    return f"\"{name}\""


def _scaled_to_decimal(name: str, scale: int, sql_type: str) -> str:
    factor = f"0.{'0' * (scale - 1)}1::DECIMAL({scale + 1},{scale})"
    return f"(\"{name}\"::DECIMAL(38,0) * {factor})::{sql_type}"


def row_hash_sql(kind: TableKind) -> str:
    """md5 of a row's typed content (IDs in lower case, as they compare): the same expression
    hashes rows being loaded and rows already stored, so equal content gives equal hashes."""
    parts = []
    for col in kind.columns:
        expression = _select_expression(kind, col.name)
        if col.type == "id":
            expression = f"lower({expression})"
        if col.added:  # only when filled (concat_ws skips a NULL): older rows keep their hash
            parts.append(f"CAST({expression} AS VARCHAR)")
        else:
            parts.append(f"coalesce(CAST({expression} AS VARCHAR), '\x00')")
    return f"md5_number(concat_ws('\x1f', {', '.join(parts)}))"


def stored_columns(kind: TableKind) -> list[str]:
    """A table's columns by name, as rows are inserted (a column the contract gained later
    comes last in an older warehouse)."""
    return [c.name for c in kind.columns] + [c.split()[0] for c in LINEAGE_COLUMNS]


def insert_rows(connection: duckdb.DuckDBPyConnection, kind: TableKind, staged: pd.DataFrame,
                load_id: int, file: str, sheet: str) -> None:
    """Insert typed rows (contract columns, source_row, row_key) with their lineage, set-based."""
    columns = [_select_expression(kind, c.name) for c in kind.columns]
    lineage = ["?::BIGINT", "?", "?", "source_row", "row_key", row_hash_sql(kind)]
    connection.register("staged_rows", pa.Table.from_pandas(staged, preserve_index=False))
    try:
        connection.execute(
            f"INSERT INTO {kind.name} ({', '.join(stored_columns(kind))}) "
            f"SELECT {', '.join(columns + lineage)} FROM staged_rows",
            [load_id, file, sheet])
    finally:
        connection.unregister("staged_rows")


def compare_with_stored(connection: duckdb.DuckDBPyConnection, kind: TableKind,
                        data: pd.DataFrame, keys: pd.Series) -> pd.DataFrame:
    """For batch rows whose key is already stored: is the content the same, and where is the
    stored row from? Columns: row, same, load_id, source_file, source_sheet, source_row."""
    probe = pd.DataFrame({"row_key": keys.astype("string").unique()})
    connection.register("probe_keys", probe)
    try:
        stored = connection.execute(
            f"SELECT DISTINCT t.row_key FROM {kind.name} t JOIN probe_keys p USING (row_key)"
        ).df()["row_key"]
    finally:
        connection.unregister("probe_keys")
    if stored.empty:
        return pd.DataFrame(columns=["row", "same", "load_id", "source_file", "source_sheet",
                                     "source_row"])
    present = keys.isin(set(stored)).to_numpy()
    batch = data.loc[present].copy()
    batch["row_key"] = keys[present].to_numpy()
    batch["batch_row"] = batch.index.to_numpy()
    connection.register("batch_rows", pa.Table.from_pandas(batch, preserve_index=False))
    try:
        return connection.execute(
            f"SELECT b.batch_row AS row, t.row_hash = b.h AS same, t.load_id, t.source_file, "
            f"t.source_sheet, t.source_row FROM (SELECT batch_row, row_key, "
            f"{row_hash_sql(kind)} AS h FROM batch_rows) b JOIN {kind.name} t USING (row_key) "
            f"ORDER BY b.batch_row, t.load_id").df().drop_duplicates("row")
    finally:
        connection.unregister("batch_rows")


def next_load_id(connection: duckdb.DuckDBPyConnection) -> int:
    [(load_id,)] = connection.execute("SELECT coalesce(max(load_id), 0) + 1 FROM loads").fetchall()
    return int(load_id)


def completed_load(connection: duckdb.DuckDBPyConnection, sha256: str) -> tuple[int, str] | None:
    """The earlier load of a file with these bytes, if its rows are in the warehouse."""
    rows = connection.execute(
        "SELECT load_id, file FROM loads WHERE sha256 = ? AND status IN ('completed', 'partial') "
        "ORDER BY load_id LIMIT 1", [sha256]).fetchall()
    return (int(rows[0][0]), str(rows[0][1])) if rows else None


@dataclass(frozen=True)
class LoadRecord:
    """One row of the load history."""

    load_id: int
    file: str
    sha256: str
    kinds: tuple[str, ...]
    rows_accepted: int
    rows_refused: int
    rows_skipped: int
    status: str
    replaces: tuple[int, ...]
    replaced_by: int | None
    started_at: datetime
    finished_at: datetime
    undone_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "load_id": self.load_id, "file": self.file, "sha256": self.sha256,
            "kinds": list(self.kinds), "rows_accepted": self.rows_accepted,
            "rows_refused": self.rows_refused, "rows_skipped": self.rows_skipped,
            "status": self.status, "replaces": list(self.replaces),
            "replaced_by": self.replaced_by, "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat(),
            "undone_at": self.undone_at.isoformat() if self.undone_at else None,
        }


def load_history(connection: duckdb.DuckDBPyConnection,
                 where: str = "TRUE", parameters: list[Any] | None = None) -> list[LoadRecord]:
    """Loads in the order they happened (`where` filters them, over the loads table)."""
    undone = "undone_at" if connection.execute(
        "SELECT count(*) FROM information_schema.columns WHERE table_name = 'loads' AND "
        "column_name = 'undone_at'").fetchall()[0][0] else "NULL::TIMESTAMPTZ"
    rows = connection.execute(
        "SELECT load_id, file, sha256, kinds, rows_accepted, rows_refused, rows_skipped, status, "
        f"coalesce(replaces, ''), started_at, finished_at, {undone} FROM loads "
        f"WHERE {where} ORDER BY load_id", parameters or []).fetchall()
    records = []
    replaced_by = {old: int(load_id) for load_id, replaces in connection.execute(
        "SELECT load_id, replaces FROM loads WHERE replaces IS NOT NULL").fetchall()
        for old in _ids(replaces)}
    for (load_id, file, sha, kinds, accepted, refused, skipped, status, replaces, started,
         finished, undone) in rows:
        records.append(LoadRecord(
            int(load_id), file, sha, tuple(k for k in kinds.split(",") if k), int(accepted),
            int(refused), int(skipped), status, _ids(replaces), replaced_by.get(int(load_id)),
            started, finished, undone))
    return records


def _ids(text: str | None) -> tuple[int, ...]:
    return tuple(int(part) for part in (text or "").split(",") if part.strip())


def find_loads(connection: duckdb.DuckDBPyConnection, token: str) -> list[LoadRecord]:
    """The loads whose rows are in the warehouse that `token` names: a load id, or the name
    of a file (as in the inbox) that was loaded."""
    token = token.strip()
    if token.isdigit():
        return load_history(connection, "load_id = ? AND status IN ('completed', 'partial')",
                            [int(token)])
    return load_history(connection, "file = ? AND status IN ('completed', 'partial')", [token])


def known_clients(connection: duckdb.DuckDBPyConnection, ids: pd.Series) -> set[str]:
    """Which of these client IDs (lower case) the warehouse holds."""
    probe = pd.DataFrame({"row_key": ids.dropna().astype("string").str.lower().unique()})
    connection.register("probe_clients", probe)
    try:
        rows = connection.execute(
            "SELECT c.row_key FROM clients c JOIN probe_clients p USING (row_key)").fetchall()
    finally:
        connection.unregister("probe_clients")
    return {r[0] for r in rows}


@contextmanager
def read_warehouse(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The warehouse opened for reading; a missing file is a usage error, not an empty result."""
    if not path.exists():
        raise UsageError(_("There is no warehouse at {path}; load an inbox first "
                           "(ledgerflow load INBOX --warehouse ...).").format(path=path))
    connection = connect(path, read_only=True)
    try:
        yield connection
    finally:
        connection.close()
