"""Terminal views of balances and client groups (rich tables and trees)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.tree import Tree

from ledgerflow.load.warehouse import LoadRecord
from ledgerflow.rules.balances import Group
from ledgerflow.rules.period import Period


def _console() -> Console:
    # Off a terminal (a pipe, a log file) rich assumes 80 columns; balances need more.
    console = Console(soft_wrap=True)
    return console if console.is_terminal else Console(width=220, soft_wrap=True)


COLUMNS = ("opening", "payments", "refunds", "withdrawals", "corrections", "expenses",
           "closing", "available")


def balances_table(records: list[dict[str, Any]], period: Period,
                   console: Console | None = None) -> None:
    table = Table(title=f"Balances for {period.label} ({period.start} – {period.end})")
    table.add_column("payer")
    table.add_column("cur")
    for name in COLUMNS:
        table.add_column(name, justify="right")
    table.add_column("flags")
    for record in records:
        available = record["available"] if record["available"] is not None else "unlimited"
        table.add_row(record["payer"], record["currency"],
                      *[record[c] for c in COLUMNS[:-1]], available, ", ".join(record["flags"]))
    (console or _console()).print(table)


def group_tree(group: Group, balance: dict[str, Any] | None, period: Period,
               console: Console | None = None) -> None:
    master = group.master
    tree = Tree(f"[bold]{master['client_id']}[/bold] — {master['name']} "
                f"({master['currency']}, tax ID {master['tax_id'] or '—'}) master")
    for related in group.related:
        until = related["unlinked_on"] or "open"
        tree.add(f"{related['client_id']} — {related['name']} ({related['currency']}), "
                 f"linked {related['linked_on']} → {until}")
    out = console or _console()
    out.print(tree)
    if balance is None:
        out.print(f"No balance and no transaction in {period.label}.")
        return
    out.print(f"{period.label}: opening {balance['opening']}, payments {balance['payments']}, "
              f"expenses {balance['expenses']}, closing {balance['closing']} "
              f"{balance['currency']}; available "
              f"{balance['available'] if balance['available'] is not None else 'unlimited'}; "
              f"flags: {', '.join(balance['flags']) or 'none'}")


def loads_table(history: list[LoadRecord], console: Console | None = None) -> None:
    """The load history, one row per load, oldest first."""
    table = Table(title="Loads")
    for name, justify in (("id", "right"), ("file", "left"), ("kinds", "left"),
                          ("accepted", "right"), ("refused", "right"), ("skipped", "right"),
                          ("status", "left"), ("replaces", "left"), ("loaded at", "left"),
                          ("sha256", "left")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for r in history:
        status = r.status
        if r.replaced_by is not None:
            status += f" by {r.replaced_by}"
        if r.undone_at is not None:
            status += f" {r.undone_at:%Y-%m-%d %H:%M}"
        table.add_row(str(r.load_id), r.file, ",".join(r.kinds), str(r.rows_accepted),
                      str(r.rows_refused), str(r.rows_skipped), status,
                      ",".join(map(str, r.replaces)), f"{r.finished_at:%Y-%m-%d %H:%M:%S}",
                      r.sha256[:12])
    out = console or _console()
    out.print(table)
    if not history:
        out.print("Nothing has been loaded yet.")
