"""Balances as records: what `ledgerflow balances --json` prints and what statements are built on.

Amounts are decimal strings with the payer's currency minor digits ("1234.50"); nothing here
computes, it only shapes the consolidation's exact results.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import duckdb

from ledgerflow import values
from ledgerflow.errors import UsageError
from ledgerflow.i18n import _
from ledgerflow.rules.consolidate import BUCKETS, Consolidation

SUMMARY_FIELDS = ("opening", "payments", "refunds", "withdrawals", "corrections", "expenses",
                  "closing", "credit_limit")


def money_text(amount: Decimal | None, digits: int) -> str | None:
    """An exact amount as text with the currency's minor digits: Decimal('1234.5') -> '1234.50'."""
    if amount is None:
        return None
    return str(Decimal(amount).quantize(Decimal(1).scaleb(-digits)))


def payer_records(result: Consolidation) -> list[dict[str, Any]]:
    ageing = result.ageing.set_index("payer_key")
    accounts = result.accounts.groupby("payer_key")
    records = []
    for payer in result.payers.to_dict("records"):
        digits = int(payer["digits"])
        record: dict[str, Any] = {"payer": payer["payer"], "currency": payer["currency"]}
        record.update({f: money_text(payer[f], digits) for f in SUMMARY_FIELDS})
        record["available"] = money_text(payer["available"], digits)
        record["flags"] = list(payer["flags"])
        aged = ageing.loc[payer["payer_key"]]
        record["ageing"] = {bucket: money_text(aged[bucket], digits) for bucket in BUCKETS}
        record["accounts"] = _account_records(accounts, payer["payer_key"])
        records.append(record)
    return records


def _account_records(accounts: Any, payer_key: str) -> list[dict[str, Any]]:
    if payer_key not in accounts.groups:
        return []
    rows = accounts.get_group(payer_key)
    return [{
        "account": row["account_id"], "currency": row["currency"],
        "spent": money_text(row["spent"], values.minor_digits(row["currency"])),
        "spent_in_payer_currency": money_text(row["spent_in_payer_currency"],
                                              _payer_digits(row)),
    } for row in rows.to_dict("records")]


def _payer_digits(row: dict[str, Any]) -> int:
    return int(row["payer_digits"])


@dataclass
class Group:
    """A client's group: its master and the related accounts, with their link periods."""

    master: dict[str, Any]
    related: list[dict[str, Any]]
    asked: str


def client_group(connection: duckdb.DuckDBPyConnection, client: str, on: date) -> Group:
    """The group the client belongs to on a date: the master it is related to, or itself."""
    found = connection.execute(
        "SELECT client_id, name, currency, tax_id, status FROM clients WHERE row_key = ?",
        [client.lower()]).fetchall()
    if not found:
        raise UsageError(_("No client {client} in the warehouse.").format(client=repr(client)))
    masters = connection.execute(
        "SELECT lower(master_id) FROM links WHERE lower(related_id) = ? AND linked_on <= ? "
        "AND (unlinked_on IS NULL OR ? < unlinked_on)", [client.lower(), on, on]).fetchall()
    master_key = masters[0][0] if masters else client.lower()
    [master] = _records(connection.execute(
        "SELECT client_id, name, currency, tax_id, credit_limit, postpay, manager, status "
        "FROM clients WHERE row_key = ?", [master_key]))
    related = _records(connection.execute(
        "SELECT c.client_id, c.name, c.currency, l.linked_on, l.unlinked_on FROM links l "
        "JOIN clients c ON c.row_key = lower(l.related_id) WHERE lower(l.master_id) = ? "
        "ORDER BY c.row_key, l.linked_on", [master_key]))
    return Group(master, related, found[0][0])


def _records(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Rows as dicts of Python values (dates stay dates, decimals stay Decimal)."""
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
