"""From the consolidation's frames to `Statement` objects, one per payer."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from decimal import Decimal
from typing import Any

import duckdb
import pandas as pd

from ledgerflow import values
from ledgerflow.render.model import AccountTotal, Line, Related, Statement
from ledgerflow.rules.consolidate import BUCKETS, Consolidation, statement_lines


def _q(amount: Any, digits: int) -> Decimal:
    """An exact amount at the currency's minor digits (DECIMAL(38,4) -> '1234.50')."""
    return Decimal(amount).quantize(Decimal(1).scaleb(-digits))


def _text(value: Any) -> str | None:
    """Text or None: pandas gives NaN for a missing string."""
    return value if isinstance(value, str) else None


def inputs_digest(connection: duckdb.DuckDBPyConnection) -> str:
    """One SHA-256 over the SHA-256 of every input file whose rows are in the warehouse."""
    rows = connection.execute(
        "SELECT DISTINCT sha256 FROM loads WHERE status IN ('completed', 'partial') "
        "ORDER BY sha256").fetchall()
    return hashlib.sha256("\n".join(r[0] for r in rows).encode()).hexdigest()


def run_id(inputs_sha256: str, settings: dict[str, Any]) -> str:
    """Names the warehouse state and settings a statement was built from, reproducibly: the same
    inputs and settings give the same id (the wall-clock time lives in the manifest only)."""
    text = json.dumps({"inputs": inputs_sha256, "settings": settings}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _related_by_master(connection: duckdb.DuckDBPyConnection) -> dict[str, list[Related]]:
    rows = connection.execute(
        "SELECT lower(l.master_id), c.client_id, c.name, c.currency, l.linked_on, l.unlinked_on "
        "FROM links l JOIN clients c ON c.row_key = lower(l.related_id) "
        "ORDER BY lower(l.master_id), c.row_key, l.linked_on").fetchall()
    grouped: dict[str, list[Related]] = defaultdict(list)
    for master, account, name, currency, linked_on, unlinked_on in rows:
        grouped[master].append(Related(account, name, currency, linked_on, unlinked_on))
    return grouped


def _lines(rows: list[tuple[Any, ...]]) -> dict[str, tuple[Line, ...]]:
    grouped: dict[str, list[Line]] = defaultdict(list)
    steps = {d: Decimal(1).scaleb(-d) for d in range(5)}
    for (payer, day, kind, line_id, account, description, currency, amount, net, discount, tax,
         rate, units, inverse, amount_payer, balance, source_file, source_sheet, source_row,
         line_digits, payer_digits) in rows:
        own, theirs = steps[line_digits], steps[payer_digits]
        grouped[payer].append(Line(
            date=day, kind=kind, line_id=line_id, account=account, description=description,
            currency=currency, amount=amount.quantize(own),
            net=None if net is None else net.quantize(own),
            discount=None if discount is None else discount.quantize(own),
            tax=None if tax is None else tax.quantize(own),
            rate=None if rate is None else rate.normalize(), units=units,
            rate_inverse=bool(inverse), amount_payer=amount_payer.quantize(theirs),
            balance=balance.quantize(theirs), source_file=source_file,
            source_sheet=source_sheet, source_row=source_row))
    return {payer: tuple(lines) for payer, lines in grouped.items()}


def build_statements(connection: duckdb.DuckDBPyConnection, result: Consolidation,
                     settings: dict[str, Any]) -> list[Statement]:
    """One statement per payer of the consolidation, in payer order."""
    digest = inputs_digest(connection)
    identity = run_id(digest, settings)
    lines = _lines(statement_lines(connection, result.period))
    related = _related_by_master(connection)
    ageing = {a["payer_key"]: a for a in result.ageing.to_dict("records")}
    accounts: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for account in result.accounts.to_dict("records"):
        accounts[account["payer_key"]].append(account)
    statements = []
    for p in result.payers.to_dict("records"):
        key, digits = p["payer_key"], int(p["digits"])
        aged = ageing[key]
        mine = accounts.get(key, [])
        statements.append(Statement(
            payer=p["payer"], name=p["name"], tax_id=_text(p["tax_id"]), currency=p["currency"],
            digits=digits, credit_limit=_q(p["credit_limit"], digits), postpay=bool(p["postpay"]),
            manager=_text(p["manager"]),
            deferral_days=None if pd.isna(p["deferral_days"]) else int(p["deferral_days"]),
            block_after_days=None if pd.isna(p["block_after_days"])
            else int(p["block_after_days"]),
            period=result.period,
            **{f: _q(p[f], digits) for f in ("opening", "payments", "refunds", "withdrawals",
                                             "corrections", "expenses", "closing")},
            available=None if p["available"] is None else _q(p["available"], digits),
            flags=tuple(p["flags"]),
            ageing=tuple((b, _q(aged[b], digits)) for b in BUCKETS),
            accounts=tuple(AccountTotal(
                a["account_id"], a["currency"],
                _q(a["spent"], values.minor_digits(a["currency"])),
                _q(a["spent_in_payer_currency"], digits)) for a in mine),
            related=tuple(related.get(key, ())),
            lines=lines.get(key, ()), run_id=identity, inputs_sha256=digest))
    return statements
