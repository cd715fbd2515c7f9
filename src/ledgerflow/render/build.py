"""From the consolidation's frames to `Statement` objects, one per payer."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections import defaultdict
from decimal import Decimal
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from ledgerflow import values
from ledgerflow.render.escape import visible
from ledgerflow.render.model import AccountTotal, Line, Related, Statement
from ledgerflow.rules.consolidate import BUCKETS, LINE_COLUMNS, Consolidation


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
    # a warehouse opened read-only that was made before clients had a region has none
    [(has_region,)] = connection.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND table_name = 'clients' AND column_name = 'region'"
    ).fetchall()
    region = "c.region" if has_region else "NULL::VARCHAR"
    rows = connection.execute(
        "SELECT lower(l.master_id), c.client_id, c.name, c.currency, l.linked_on, l.unlinked_on, "
        f"{region} FROM links l JOIN clients c ON c.row_key = lower(l.related_id) "
        "ORDER BY lower(l.master_id), c.row_key, l.linked_on").fetchall()
    grouped: dict[str, list[Related]] = defaultdict(list)
    for master, account, name, currency, linked_on, unlinked_on, where in rows:
        grouped[master].append(Related(account, name, currency, linked_on, unlinked_on, where))
    return grouped


_STEPS = {d: Decimal(1).scaleb(-d) for d in range(5)}


def lines_from_table(table: pa.Table) -> tuple[Line, ...]:
    """Statement lines from rows of `Consolidation.lines` (column by column through Arrow,
    far quicker than row tuples from the database)."""
    rows = zip(*(column.to_pylist() for column in table.columns), strict=True)
    lines = []
    for (_payer, day, kind, line_id, account, description, currency, amount, net, discount,
         tax, rate, units, inverse, amount_payer, balance, source_file, source_sheet,
         source_row, line_digits, payer_digits, _line_no, load_id, discount_pct,
         discount_source, tax_pct, tax_source, rate_source) in rows:
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
            source_sheet=source_sheet, source_row=source_row, load_id=load_id,
            discount_pct=None if discount_pct is None else discount_pct.normalize(),
            discount_source=discount_source,
            tax_pct=None if tax_pct is None else tax_pct.normalize(), tax_source=tax_source,
            rate_source=rate_source))
    return tuple(lines)


def build_statements(result: Consolidation, settings: dict[str, Any]) -> list[Statement]:
    """One statement per payer of the consolidation, in payer order, with its lines as `Line`
    objects (rendering works from the consolidation's lines table instead)."""
    table = result.lines()
    keys = table.column("payer_key").to_pylist()
    by_payer: dict[str, list[int]] = defaultdict(list)
    for i, key in enumerate(keys):
        by_payer[key].append(i)
    out = []
    for s in statement_headers(result, settings):
        rows = by_payer.get(s.payer.lower(), [])
        lines = lines_from_table(table.slice(rows[0], len(rows))) if rows else ()
        out.append(dataclasses.replace(s, lines=lines, line_count=None))
    return out


def statement_headers(result: Consolidation, settings: dict[str, Any]) -> list[Statement]:
    """Every payer's statement without its lines (`line_count` tells how many it has; the
    consolidation gives them when the statement is rendered).

    A statement's run id and inputs digest name what it was built from: its own input files
    and the settings, so statements untouched by a new file keep their bytes."""
    digests = {payer: hashlib.sha256("\n".join(shas).encode()).hexdigest()
               for payer, shas in result.input_files().items()}
    no_inputs = hashlib.sha256(b"").hexdigest()  # rows written without a loads record
    counts = result.line_counts()
    assert result.connection is not None
    related = _related_by_master(result.connection)
    status = dict(result.connection.execute("SELECT row_key, status FROM clients").fetchall())
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
            line_count=counts.get(key, 0), status=status.get(key) or "active"))
    return statements


_ARROW_TYPES = {"date": pa.date32(), "units": pa.int64(), "rate_inverse": pa.bool_(),
                "source_row": pa.int64(), "line_digits": pa.int32(),
                "payer_digits": pa.int32(), "line_no": pa.int64(), "load_id": pa.int64(),
                **{name: pa.decimal128(38, 6) for name in (
                    "amount", "net", "discount", "tax", "rate", "amount_payer", "balance",
                    "discount_pct", "tax_pct")}}


def lines_table(st: Statement) -> pa.Table:
    """A statement's `Line` objects as the consolidation gives lines (`Consolidation.lines`),
    for the same layout to lay them out. Text is made visible first (`escape.visible`, which
    the layout applies anyway): Arrow holds UTF-8 only, and a name may carry a lone surrogate
    (a file name whose bytes were not UTF-8)."""
    key = st.payer.lower()
    columns: dict[str, list[Any]] = {name: [] for name in LINE_COLUMNS}
    for number, line in enumerate(st.lines, start=1):
        row = {**{f.name: getattr(line, f.name) for f in dataclasses.fields(line)},
               "payer_key": key, "line_digits": values.minor_digits(line.currency),
               "payer_digits": st.digits, "line_no": number}
        for name in LINE_COLUMNS:
            value = row[name]
            columns[name].append(visible(value) if isinstance(value, str) else value)
    return pa.table({name: pa.array(data, _ARROW_TYPES.get(name, pa.string()))
                     for name, data in columns.items()})
