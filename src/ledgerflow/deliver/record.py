"""The `deliveries` table of the warehouse: every message handed to the mail server, so that
nothing is sent twice.

One row per attempt. It is written, and committed, *before* the message goes to the server
(outcome `sending`), then given its outcome when the server has answered:

- `sent`: the server took the message;
- `refused`: the server refused it (a bad address, a message it will not take): sent again by
  the next run;
- `failed`: the connection dropped or timed out before the server took it: sent again by the
  next run, with the same Message-ID;
- `sending`: the run was killed while the server held the message, before its answer was
  recorded. The server may have taken it: it is *not* sent again unless asked
  (`--resend-uncertain`), so an interrupted batch never sends a message twice.

A statement is known by its payer, its period and the SHA-256 of its PDF: once `sent`, the same
statement is never sent again; a statement of the same payer and period with other bytes (a late
payment changed it) is sent again only when asked (`--resend-changed`), its message saying it
replaces the earlier one. A reminder is known by its payer, its level and the debt it is about
(the date of the oldest unpaid debit, `debt_since`): see `remind`.

The table is created here (`ensure_table`) the first time a command that delivers opens the
warehouse for writing; a warehouse that never delivered has none, and reading it then finds
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import duckdb

DELIVERIES_DDL = """
CREATE TABLE IF NOT EXISTS deliveries (
    delivery_id BIGINT PRIMARY KEY,
    kind VARCHAR NOT NULL,          -- statement | reminder
    payer VARCHAR NOT NULL,         -- the payer's login, as on its card
    period VARCHAR NOT NULL,        -- the statement's period, like 2026-10
    level INTEGER,                  -- a reminder's level (1, 2, ...)
    debt_since DATE,                -- a reminder's debt: the date of its oldest unpaid debit
    sha256 VARCHAR NOT NULL,        -- the statement's PDF (a reminder: its text)
    address VARCHAR NOT NULL,       -- the recipient (and the bcc, if any, after a comma)
    message_id VARCHAR NOT NULL,
    replaces VARCHAR,               -- the Message-ID of the message this one replaces
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    outcome VARCHAR NOT NULL,       -- sending | sent | refused | failed
    detail VARCHAR                  -- the server's answer, when it did not take the message
)"""

SENT, SENDING, REFUSED, FAILED = "sent", "sending", "refused", "failed"


@dataclass(frozen=True)
class Delivery:
    delivery_id: int
    kind: str
    payer: str
    period: str
    level: int | None
    debt_since: date | None
    sha256: str
    address: str
    message_id: str
    replaces: str | None
    started_at: datetime
    finished_at: datetime | None
    outcome: str
    detail: str | None


_COLUMNS = ("delivery_id, kind, payer, period, level, debt_since, sha256, address, message_id, "
            "replaces, started_at, finished_at, outcome, detail")


def ensure_table(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute(DELIVERIES_DDL)


def has_table(connection: duckdb.DuckDBPyConnection) -> bool:
    [(found,)] = connection.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND table_name = 'deliveries'").fetchall()
    return bool(found)


def history(connection: duckdb.DuckDBPyConnection, kind: str,
            period: str | None = None) -> list[Delivery]:
    """Every attempt of this kind (of this period, when given), oldest first; none when the
    warehouse never delivered anything."""
    if not has_table(connection):
        return []
    where, parameters = "kind = ?", [kind]
    if period is not None:
        where += " AND period = ?"
        parameters.append(period)
    rows = connection.execute(f"SELECT {_COLUMNS} FROM deliveries WHERE {where} "
                              "ORDER BY delivery_id", parameters).fetchall()
    return [Delivery(*row) for row in rows]


def by_payer(attempts: list[Delivery]) -> dict[str, list[Delivery]]:
    """Attempts by payer key (lower case), oldest first."""
    found: dict[str, list[Delivery]] = {}
    for attempt in attempts:
        found.setdefault(attempt.payer.lower(), []).append(attempt)
    return found


def start(connection: duckdb.DuckDBPyConnection, *, kind: str, payer: str, period: str,
          sha256: str, address: str, message_id: str, level: int | None = None,
          debt_since: date | None = None, replaces: str | None = None) -> int:
    """Record, and commit, that a message is being handed to the server; its id."""
    ensure_table(connection)
    connection.execute("BEGIN TRANSACTION")
    try:
        [(delivery_id,)] = connection.execute(
            "SELECT coalesce(max(delivery_id), 0) + 1 FROM deliveries").fetchall()
        connection.execute(
            f"INSERT INTO deliveries ({_COLUMNS}) VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, NULL)",
            [delivery_id, kind, payer, period, level, debt_since, sha256, address,
             message_id, replaces, datetime.now(UTC), SENDING])
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    return int(delivery_id)


def finish(connection: duckdb.DuckDBPyConnection, delivery_id: int, outcome: str,
           detail: str | None = None) -> None:
    """The server's answer to a recorded attempt."""
    connection.execute(
        "UPDATE deliveries SET outcome = ?, detail = ?, finished_at = ? WHERE delivery_id = ?",
        [outcome, detail, datetime.now(UTC), delivery_id])
