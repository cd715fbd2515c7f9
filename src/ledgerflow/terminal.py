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
    """One row per payer; an amount is never cut: its column is as wide as its longest amount,
    names and flags wrap, and a terminal too narrow for every amount side by side gets one
    block per payer instead."""
    console = console or _console()
    title = f"Balances for {period.label} ({period.start} – {period.end})"
    rows = [[record["payer"], record["currency"], *[str(record[c]) for c in COLUMNS[:-1]],
             str(record["available"]) if record["available"] is not None else "unlimited",
             ", ".join(record["flags"])] for record in records]
    header = ["payer", "cur", *COLUMNS, "flags"]
    widths = [max([len(header[i]), *(len(row[i]) for row in rows)]) for i in range(len(header))]
    # the amounts and currency whole, the payer and flags at least 8 wide; 3 per column border
    needed = sum(widths[1:-1]) + 8 + 8 + 3 * len(header) + 1
    if needed > console.width:
        console.print(title)
        for row in rows:
            block = Table(title=row[0], title_justify="left", show_header=False, box=None)
            block.add_column(no_wrap=True)
            block.add_column(justify="right", no_wrap=True)
            for name, value in zip(header[1:], row[1:], strict=True):
                block.add_row(name, value)
            console.print(block)
        return
    table = Table(title=title)
    for i, name in enumerate(header):
        if name in ("payer", "flags"):
            table.add_column(name, overflow="fold", min_width=8)
        else:
            table.add_column(name, justify="right" if name != "cur" else "left",
                             no_wrap=True, min_width=widths[i])
    for row in rows:
        table.add_row(*row)
    console.print(table)


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
