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


def _lines(frame: pd.DataFrame) -> dict[str, tuple[Line, ...]]:
    grouped: dict[str, list[Line]] = defaultdict(list)
    for r in frame.itertuples(index=False):
        line_digits, payer_digits = int(r.line_digits), int(r.payer_digits)
        expense = r.kind == "expense"
        grouped[r.payer_key].append(Line(
            date=r.date, kind=r.kind, line_id=r.line_id, account=r.account,
            description=_text(r.description),
            currency=r.currency, amount=_q(r.amount, line_digits),
            net=_q(r.net, line_digits) if expense else None,
            discount=_q(r.discount, line_digits) if expense else None,
            tax=_q(r.tax, line_digits) if expense else None,
            rate=None if r.rate is None else Decimal(r.rate).normalize(),
            units=None if pd.isna(r.units) else int(r.units), rate_inverse=bool(r.rate_inverse),
            amount_payer=_q(r.amount_payer, payer_digits), balance=_q(r.balance, payer_digits),
            source_file=r.source_file, source_sheet=r.source_sheet,
            source_row=int(r.source_row)))
    return {payer: tuple(lines) for payer, lines in grouped.items()}


def build_statements(connection: duckdb.DuckDBPyConnection, result: Consolidation,
                     settings: dict[str, Any]) -> list[Statement]:
    """One statement per payer of the consolidation, in payer order."""
    digest = inputs_digest(connection)
    identity = run_id(digest, settings)
    lines = _lines(statement_lines(connection, result.period))
    related = _related_by_master(connection)
    ageing = result.ageing.set_index("payer_key")
    accounts = result.accounts.groupby("payer_key")
    statements = []
    for p in result.payers.to_dict("records"):
        key, digits = p["payer_key"], int(p["digits"])
        aged = ageing.loc[key]
        mine = accounts.get_group(key) if key in accounts.groups else result.accounts.iloc[0:0]
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
                _q(a["spent_in_payer_currency"], digits)) for a in mine.to_dict("records")),
            related=tuple(related.get(key, ())),
            lines=lines.get(key, ()), run_id=identity, inputs_sha256=digest))
    return statements
