"""A statement line explained back to its source cell: `ledgerflow trace`.

What is traced is asked of the consolidation the statements are rendered from
(`Consolidation.lines` for the printed line, `Consolidation.derivation` for every step in whole
minor units, as the balances took them); nothing here computes an amount the statements show.
Each rounding step is told as its exact quotient beside the rounded value the consolidation
stored, and the steps are checked to add up to the line: net − discount = charged, charged +
tax = total, the total converted and signed is the line's amount in the payer's currency, and
the balance before the line plus that amount is the balance after it.

The rows behind the line are read as stored in the warehouse: the line's own row (its raw
cells), the load that brought it (id, time, the file's SHA-256), the link that made the
account's line the master's, and the discount, tax and rate rows applied, each with its file,
sheet and row.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from pathlib import Path
from typing import Any

import duckdb

from ledgerflow.errors import LedgerflowError, UsageError
from ledgerflow.rules.consolidate import PERCENT_ONE, Consolidation, MoneySettings, consolidate
from ledgerflow.rules.period import Period

# The warehouse table of each kind of row a line rests on.
_TABLES = {"payment": "payments", "expense": "expenses", "link": "links",
           "discount": "discounts", "tax": "taxes", "rate": "rates"}
_INTERNAL = ("row_key", "row_hash")  # lineage columns of ledgerflow's own, not the file's


class NotTraced(LedgerflowError):
    """What was asked names no line: exit 1, like a refusal."""

    exit_code = 1


@dataclass(frozen=True)
class Target:
    """What to trace: line IDs (a payment or expense ID), or a line of a statement file."""

    line_id: str | None = None
    statement: Path | None = None
    line_no: int | None = None


def parse_target(what: str) -> Target:
    """`ID`, or `STATEMENT_FILE:LINE` (a statement's file and the number of one of its
    lines, from 1)."""
    head, sep, tail = what.rpartition(":")
    if sep and tail.isdigit() and Path(head).suffix.lower() in (".html", ".xlsx", ".pdf"):
        if int(tail) < 1:
            raise UsageError(f"{what}: a statement's lines are numbered from 1.")
        return Target(statement=Path(head), line_no=int(tail))
    if not what.strip():
        raise UsageError("Name a payment or expense ID, or STATEMENT_FILE:LINE.")
    return Target(line_id=what.strip())


def trace(connection: duckdb.DuckDBPyConnection, target: Target, period: Period | None = None,
          money: MoneySettings | None = None) -> list[dict[str, Any]]:
    """Every line `target` names, explained (one per payment or expense with that ID)."""
    if target.statement is not None:
        return [_statement_line(connection, target.statement, target.line_no or 1, period,
                                money)]
    assert target.line_id is not None
    chosen = period or _month_of(connection, target.line_id)
    result = consolidate(connection, chosen, money)
    rows = result.derivation([target.line_id])
    if not rows:
        raise NotTraced(f"No payment or expense {target.line_id} up to {chosen.end}.")
    return [explain(connection, result, row) for row in rows]


def _month_of(connection: duckdb.DuckDBPyConnection, line_id: str) -> Period:
    """The month of the line's date, when no period is given."""
    found = connection.execute(
        "SELECT max(date) FROM (SELECT date FROM payments WHERE lower(payment_id) = $1 "
        "UNION ALL SELECT date FROM expenses WHERE lower(expense_id) = $1)",
        [line_id.lower()]).fetchone()
    if found is None or found[0] is None:
        raise NotTraced(f"No payment or expense {line_id} in the warehouse.")
    day: date = found[0]
    return Period.month(f"{day.year:04d}-{day.month:02d}")


def _statement_line(connection: duckdb.DuckDBPyConnection, path: Path, line_no: int,
                    period: Period | None, money: MoneySettings | None) -> dict[str, Any]:
    """Line `line_no` of a statement file of a report folder (reports/<period>/statements/):
    the period and rounding are the folder's manifest's unless given."""
    from ledgerflow.render.paths import unique_stems

    folder = path.parent.parent
    manifest = _manifest(folder)
    settings = manifest.get("settings", {})
    chosen = period or Period.month(str(manifest.get("period", {}).get("label", folder.name)))
    result = consolidate(connection, chosen,
                         money or MoneySettings(settings.get("rounding", "half_up")))
    stems = unique_stems([str(p) for p in result.payers["payer"]])
    payer = next((p for p, stem in stems.items() if stem == path.stem), None)
    if payer is None:
        raise NotTraced(f"{path.name} is the statement of no payer of {chosen.label} in the "
                        "warehouse.")
    lines = result.lines([payer.lower()]).to_pylist()
    if not 1 <= line_no <= len(lines):
        raise NotTraced(f"{path.name} has {len(lines)} lines, not a line {line_no}.")
    line = lines[line_no - 1]
    rows = [r for r in result.derivation([line["line_id"]])
            if r["payer_key"] == payer.lower() and r["kind"] == line["kind"]]
    return explain(connection, result, rows[0])


def _manifest(folder: Path) -> dict[str, Any]:
    try:
        return dict(json.loads((folder / "manifest.json").read_text("utf-8")))
    except (OSError, ValueError):
        return {}


def _stored(connection: duckdb.DuckDBPyConnection, kind: str,
            ref: dict[str, Any] | None) -> dict[str, Any] | None:
    """The warehouse row a reference (load, file, sheet, row) names, as stored: every cell and
    its lineage."""
    if ref is None:
        return None
    table = _TABLES[kind]
    cursor = connection.execute(
        f"SELECT * FROM {table} WHERE load_id = $1 AND source_sheet = $2 AND source_row = $3",
        [ref["load_id"], ref["sheet"], ref["row"]])
    names = [d[0] for d in cursor.description or ()]
    row = cursor.fetchone()
    if row is None:
        return {"source": _source(ref), "cells": None}
    cells = {n: _plain(v) for n, v in zip(names, row, strict=True)
             if n not in _INTERNAL and n not in ("load_id", "source_file", "source_sheet",
                                                 "source_row")}
    return {"source": _source(ref), "cells": cells}


def _source(ref: dict[str, Any]) -> dict[str, Any]:
    return {"file": ref["file"], "sheet": ref["sheet"], "row": ref["row"],
            "load_id": ref["load_id"]}


def _plain(value: Any) -> Any:
    """A stored value as JSON has it: exact decimals and dates as text."""
    if isinstance(value, (Decimal, date, datetime)):
        return value.isoformat() if not isinstance(value, Decimal) else str(value)
    return value


def _load(connection: duckdb.DuckDBPyConnection, load_id: int) -> dict[str, Any] | None:
    row = connection.execute(
        "SELECT load_id, file, sha256, status, started_at, finished_at FROM loads "
        "WHERE load_id = $1", [load_id]).fetchone()
    if row is None:
        return None
    return {"load_id": row[0], "file": row[1], "sha256": row[2], "status": row[3],
            "started_at": row[4].isoformat(), "finished_at": row[5].isoformat()}


# --- the steps ---------------------------------------------------------------------------------


def _units(minor: int, digits: int) -> Decimal:
    """Whole minor units as an amount of the currency: exact."""
    return Decimal(minor).scaleb(-digits)


def _exact(quotient: Fraction, digits: int) -> str:
    """An exact quotient of minor units as an amount, with every digit it has (up to 12
    decimals, then "…")."""
    value = quotient / 10**digits
    with localcontext() as context:
        context.prec = 60
        shown = Decimal(value.numerator) / Decimal(value.denominator)
    text = f"{shown:f}"
    whole, _, fraction = text.partition(".")
    if len(fraction) > 12:
        return f"{whole}.{fraction[:12]}…"
    return text


def _rounds_to(quotient: Fraction, rounded: int, rounding: str) -> bool:
    """The rounding rule (half-up away from zero, or half-even) takes `quotient` (minor
    units) to `rounded`."""
    with localcontext() as context:
        context.prec = 60
        value = Decimal(quotient.numerator) / Decimal(quotient.denominator)
        mode = ROUND_HALF_EVEN if rounding == "half_even" else ROUND_HALF_UP
        return int(value.quantize(Decimal(1), rounding=mode)) == rounded


def _step(name: str, expression: str, exact: Fraction | None, result: int, digits: int,
          currency: str, rounding: str) -> dict[str, Any]:
    step: dict[str, Any] = {"step": name, "expression": expression,
                            "value": str(_units(result, digits)), "currency": currency}
    if exact is not None:
        step["exact"] = _exact(exact, digits)
        step["rounded"] = exact.denominator != 1
        step["rounding_holds"] = _rounds_to(exact, result, rounding)
    return step


def _steps(row: dict[str, Any], rounding: str) -> tuple[list[dict[str, Any]], list[str]]:
    """The line's arithmetic, step by step, and what does not add up (nothing, always, unless
    the consolidation is wrong)."""
    cur, pay = row["currency"], row["payer_currency"]
    ld, pd_ = int(row["line_digits"]), int(row["payer_digits"])
    net, charged, tax = int(row["net_minor"]), int(row["charged_minor"]), int(row["tax_minor"])
    discount, total = int(row["discount_minor"]), int(row["total_minor"])
    p6, r6 = int(row["p6"]), int(row["r6"])
    one = PERCENT_ONE
    amount = lambda minor, digits=ld: str(_units(minor, digits))  # noqa: E731
    steps = [_step("net", f"{row['amount']} {cur} as stored", None, net, ld, cur, rounding)]
    wrong = []
    if row["source"] == "expense":
        pct = _units(p6, 6).normalize()
        steps.append(_step("charged", f"{amount(net)} × (100 − {pct:f}) / 100",
                           Fraction(net * (one - p6), one), charged, ld, cur, rounding))
        steps.append(_step("discount", f"{amount(net)} − {amount(charged)}", None, discount,
                           ld, cur, rounding))
        steps.append(_step("tax", f"{amount(charged)} × {_units(r6, 6).normalize():f} / 100",
                           Fraction(charged * r6, one), tax, ld, cur, rounding))
        steps.append(_step("total", f"{amount(charged)} + {amount(tax)}", None, total, ld,
                           cur, rounding))
        if net - discount != charged or charged + tax != total:
            wrong.append("net − discount + tax is not the total")
    total_payer = row["total_payer"]
    if total_payer is None:
        wrong.append("no rate converts the line: it is left out of the balance")
        return steps, wrong
    total_payer = int(total_payer)
    if row["rate_source"] != "same":
        rate6, units = int(row["rate6"]), int(row["units"])
        line_f, payer_f = 10**ld, 10**pd_
        rate = _units(rate6, 6).normalize()
        if row["inverse"]:
            exact = Fraction(total * units * 10**6 * payer_f, line_f * rate6)
            expression = f"{amount(total)} {cur} × {units} / {rate:f}"
        else:
            exact = Fraction(total * rate6 * payer_f, line_f * 10**6 * units)
            expression = f"{amount(total)} {cur} × {rate:f} / {units}"
        steps.append(_step("converted", f"{expression} ({row['rate_source']} rate)", exact,
                           total_payer, pd_, pay, rounding))
    elif total_payer != total:
        wrong.append("a line in the payer's currency changed on conversion")
    signed = int(row["signed_payer"])
    credit = row["kind"] in ("payment", "correction")
    steps.append(_step("signed", f"{'+' if credit else '−'}{amount(total_payer, pd_)} "
                       f"({row['kind']})", None, signed, pd_, pay, rounding))
    if signed != (total_payer if credit else -total_payer):
        wrong.append("the signed amount is not the converted total")
    wrong += [f"{s['step']}: {s['exact']} does not round to {s['value']} ({rounding})"
              for s in steps if s.get("rounding_holds") is False]
    return steps, wrong


def explain(connection: duckdb.DuckDBPyConnection, result: Consolidation,
            row: dict[str, Any]) -> dict[str, Any]:
    """One line's whole derivation (a row of `Consolidation.derivation`), as JSON has it."""
    rounding = result.money.rounding
    steps, wrong = _steps(row, rounding)
    kind = "payment" if row["source"] == "payment" else "expense"
    id_column = "payment_id" if kind == "payment" else "expense_id"
    own = connection.execute(
        f"SELECT source_file, source_sheet, source_row, load_id FROM {_TABLES[kind]} "
        f"WHERE {id_column} = $1 AND load_id = $2", [row["line_id"], row["load_id"]]).fetchone()
    assert own is not None  # the consolidation read it from there
    ref = {"file": own[0], "sheet": own[1], "row": own[2], "load_id": own[3]}
    link = _stored(connection, "link", row["link_ref"])
    statement: dict[str, Any] | None = None
    if row["line_no"] is not None:
        digits = int(row["payer_digits"])
        balance = Decimal(row["balance"]).quantize(Decimal(1).scaleb(-digits))
        moved = _units(int(row["signed_payer"]), digits)
        statement = {"line_no": row["line_no"], "balance_before": str(balance - moved),
                     "amount_payer": str(moved), "balance": str(balance)}
    payer = connection.execute("SELECT client_id FROM clients WHERE row_key = $1",
                               [row["payer_key"]]).fetchone()
    account = connection.execute("SELECT client_id FROM clients WHERE row_key = $1",
                                 [row["account"]]).fetchone()
    return {
        "line_id": row["line_id"], "kind": row["kind"], "date": row["date"].isoformat(),
        "period": result.period.label, "rounding": rounding,
        "payer": payer[0] if payer else row["payer_key"],
        "account": account[0] if account else row["account"],
        "currency": row["currency"], "payer_currency": row["payer_currency"],
        "source": _stored(connection, kind, ref),
        "load": _load(connection, int(row["load_id"])),
        "payer_resolution": {
            "how": ("the account is related to the payer on the line's date by this link"
                    if link else "the account pays for itself: no link relates it on the "
                                 "line's date"),
            "link": link},
        "discount": None if row["discount_ref"] is None else {
            "percent": f"{_units(int(row['p6']), 6).normalize():f}",
            "row": _stored(connection, "discount", row["discount_ref"])},
        "tax": None if row["tax_ref"] is None else {
            "percent": f"{_units(int(row['r6']), 6).normalize():f}",
            "row": _stored(connection, "tax", row["tax_ref"])},
        "rate": None if row["rate_ref"] is None else {
            "whose": row["rate_source"], "inverse": bool(row["inverse"]),
            "rate": f"{_units(int(row['rate6']), 6).normalize():f}", "units": int(row["units"]),
            "row": _stored(connection, "rate", row["rate_ref"])},
        "steps": steps,
        "statement": statement,
        "adds_up": not wrong,
        "problems": wrong,
    }


# --- as text -----------------------------------------------------------------------------------


def _where(stored: dict[str, Any] | None) -> str:
    if stored is None:
        return "—"
    s = stored["source"]
    return f"{s['file']} / {s['sheet']} / row {s['row']} (load {s['load_id']})"


def _cells(stored: dict[str, Any] | None) -> str:
    if stored is None or stored["cells"] is None:
        return ""
    return ", ".join(f"{k}={v}" for k, v in stored["cells"].items() if v is not None)


def as_text(found: dict[str, Any]) -> list[str]:
    """One traced line as the terminal shows it."""
    out = [f"{found['kind']} {found['line_id']} of {found['date']}, account {found['account']}"
           f", payer {found['payer']} ({found['period']}, rounding {found['rounding']})",
           f"  source: {_where(found['source'])}",
           f"    cells as stored: {_cells(found['source'])}"]
    load = found["load"]
    if load:
        out.append(f"  load {load['load_id']}: {load['file']}, {load['status']} at "
                   f"{load['finished_at']}, sha256 {load['sha256']}")
    resolution = found["payer_resolution"]
    out.append(f"  payer: {resolution['how']}")
    if resolution["link"]:
        out.append(f"    link: {_where(resolution['link'])}: {_cells(resolution['link'])}")
    for name in ("discount", "tax"):
        applied = found[name]
        if applied:
            out.append(f"  {name} {applied['percent']} %: {_where(applied['row'])}: "
                       f"{_cells(applied['row'])}")
    rate = found["rate"]
    if rate:
        out.append(f"  rate ({rate['whose']}): {rate['units']} = {rate['rate']}: "
                   f"{_where(rate['row'])}: {_cells(rate['row'])}")
    out.append("  steps:")
    for step in found["steps"]:
        exact = ""
        if step.get("rounded"):
            exact = f" = {step['exact']} → rounded"
        out.append(f"    {step['step']:<10} {step['expression']}{exact} = {step['value']} "
                   f"{step['currency']}")
    statement = found["statement"]
    if statement:
        out.append(f"  statement line {statement['line_no']}: balance "
                   f"{statement['balance_before']} + {statement['amount_payer']} = "
                   f"{statement['balance']} {found['payer_currency']}")
    else:
        out.append("  before the period: part of the opening balance")
    out.append("  adds up: yes" if found["adds_up"] else
               "  DOES NOT ADD UP: " + "; ".join(found["problems"]))
    return out
