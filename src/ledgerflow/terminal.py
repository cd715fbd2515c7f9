"""Terminal views of balances and client groups (rich tables and trees)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.tree import Tree

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
