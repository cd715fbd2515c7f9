"""From the consolidation's frames to `Statement` objects, one per payer."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from ledgerflow import values
from ledgerflow.render.model import AccountTotal, Line, Related, Statement
from ledgerflow.rules.consolidate import (
    BUCKETS,
    STATEMENT_LINE_COLUMNS,
    Consolidation,
    create_statement_lines,
    statement_lines_table,
)


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


def payer_input_digests(connection: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Per payer, one SHA-256 over the SHA-256 of the input files its statement was built from:
    the files of its lines (the period's and the earlier ones behind the opening balance), of
    the client cards and links of its group, and the rates, discounts and taxes files. Call
    after `consolidate` on the same connection. A new file that touches one payer changes only
    that payer's digest, so only its statement changes."""
    rows = connection.execute("""
        WITH line_loads AS (
            SELECT a.payer, s.load_id FROM lf_amounts a JOIN (
                SELECT 'payment' AS source, payment_id AS line_id, load_id FROM payments
                UNION ALL
                SELECT 'expense', expense_id, load_id FROM expenses) s USING (source, line_id)),
        payers AS (SELECT DISTINCT payer FROM lf_amounts),
        group_accounts AS (
            SELECT payer, payer AS account FROM payers
            UNION SELECT lower(master_id), lower(related_id) FROM links),
        card_loads AS (
            SELECT g.payer, c.load_id FROM group_accounts g
            JOIN clients c ON c.row_key = g.account),
        link_loads AS (
            SELECT lower(master_id) AS payer, load_id FROM links
            UNION SELECT lower(related_id), load_id FROM links),
        shared AS (
            SELECT load_id FROM rates UNION SELECT load_id FROM discounts
            UNION SELECT load_id FROM taxes),
        per_payer AS (
            SELECT payer, load_id FROM line_loads
            UNION SELECT payer, load_id FROM card_loads
            UNION SELECT payer, load_id FROM link_loads
            UNION SELECT p.payer, s.load_id FROM payers p CROSS JOIN shared s)
        SELECT payer, list(DISTINCT l.sha256 ORDER BY l.sha256)
        FROM per_payer JOIN loads l USING (load_id) GROUP BY payer""").fetchall()
    return {payer: hashlib.sha256("\n".join(shas).encode()).hexdigest()
            for payer, shas in rows}


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


_STEPS = {d: Decimal(1).scaleb(-d) for d in range(5)}


def lines_from_table(table: pa.Table) -> tuple[Line, ...]:
    """Statement lines from rows of `statement_lines_table` (column by column through Arrow,
    far quicker than row tuples from the database)."""
    rows = zip(*(column.to_pylist() for column in table.columns), strict=True)
    lines = []
    for (_payer, day, kind, line_id, account, description, currency, amount, net, discount,
         tax, rate, units, inverse, amount_payer, balance, source_file, source_sheet,
         source_row, line_digits, payer_digits) in rows:
        own, theirs = _STEPS[line_digits], _STEPS[payer_digits]
        lines.append(Line(
            date=day, kind=kind, line_id=line_id, account=account, description=description,
            currency=currency, amount=amount.quantize(own),
            net=None if net is None else net.quantize(own),
            discount=None if discount is None else discount.quantize(own),
            tax=None if tax is None else tax.quantize(own),
            rate=None if rate is None else rate.normalize(), units=units,
            rate_inverse=bool(inverse), amount_payer=amount_payer.quantize(theirs),
            balance=balance.quantize(theirs), source_file=source_file,
            source_sheet=source_sheet, source_row=source_row))
    return tuple(lines)


@dataclass
class StatementLines:
    """Every payer's lines in one Arrow table sorted by payer; a statement's lines are made
    only when it is rendered (in the worker process that renders it)."""

    table: pa.Table
    slices: dict[str, tuple[int, int]]

    @classmethod
    def of(cls, table: pa.Table) -> StatementLines:
        payers = table.column("payer_key").to_numpy(zero_copy_only=False)
        slices: dict[str, tuple[int, int]] = {}
        if len(payers):
            starts = np.flatnonzero(np.r_[True, payers[1:] != payers[:-1]])
            ends = np.r_[starts[1:], len(payers)]
            slices = {str(payers[a]): (int(a), int(b - a)) for a, b in zip(starts, ends,
                                                                            strict=True)}
        return cls(table, slices)

    @classmethod
    def of_payers(cls, connection: duckdb.DuckDBPyConnection,
                  payers: list[str]) -> StatementLines:
        """The lines of these payers (keys) from `lf_lines`."""
        columns = ", ".join(STATEMENT_LINE_COLUMNS)
        return cls.of(connection.sql(
            f"SELECT {columns} FROM lf_lines WHERE list_contains($1, payer_key) ORDER BY seq",
            params=[payers]).to_arrow_table())

    def of_payer(self, payer: str) -> tuple[Line, ...]:
        found = self.slices.get(payer.lower())
        return () if found is None else lines_from_table(self.table.slice(*found))


def build_statements(connection: duckdb.DuckDBPyConnection, result: Consolidation,
                     settings: dict[str, Any]) -> list[Statement]:
    """One statement per payer of the consolidation, in payer order, with its lines."""
    statements = statement_headers(connection, result, settings)
    lines = StatementLines.of(statement_lines_table(connection, result.period))
    return [dataclasses.replace(s, lines=lines.of_payer(s.payer)) for s in statements]


def statement_headers(connection: duckdb.DuckDBPyConnection, result: Consolidation,
                      settings: dict[str, Any]) -> list[Statement]:
    """Every payer's statement without its lines; the lines are left in the temporary table
    `lf_lines` (see `create_statement_lines`), to be laid out or attached when rendering.

    A statement's run id and inputs digest name what it was built from: its own input files
    and the settings, so statements untouched by a new file keep their bytes."""
    digests = payer_input_digests(connection)
    no_inputs = hashlib.sha256(b"").hexdigest()  # rows written without a loads record
    create_statement_lines(connection, result.period)
    counts = dict(connection.execute(
        "SELECT payer_key, count(*)::INTEGER FROM lf_lines GROUP BY payer_key").fetchall())
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
            opening=_q(p["opening"], digits), payments=_q(p["payments"], digits),
            refunds=_q(p["refunds"], digits), withdrawals=_q(p["withdrawals"], digits),
            corrections=_q(p["corrections"], digits), expenses=_q(p["expenses"], digits),
            closing=_q(p["closing"], digits),
            available=None if p["available"] is None else _q(p["available"], digits),
            flags=tuple(p["flags"]),
            ageing=tuple((b, _q(aged[b], digits)) for b in BUCKETS),
            accounts=tuple(AccountTotal(
                a["account_id"], a["currency"],
                _q(a["spent"], values.minor_digits(a["currency"])),
                _q(a["spent_in_payer_currency"], digits)) for a in mine),
            related=tuple(related.get(key, ())),
            lines=(), run_id=run_id(digests.get(key, no_inputs), settings),
            inputs_sha256=digests.get(key, no_inputs),
            line_count=counts.get(key, 0)))
    return statements
