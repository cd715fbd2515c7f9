"""Terminal views of balances and client groups (rich tables and trees)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.tree import Tree

from ledgerflow.contract import table_word
from ledgerflow.i18n import N_, _, pgettext
from ledgerflow.load.warehouse import LoadRecord
from ledgerflow.rules.balances import Group
from ledgerflow.rules.period import Period


def _console() -> Console:
    # Off a terminal (a pipe, a log file) rich assumes 80 columns; balances need more.
    console = Console(soft_wrap=True)
    return console if console.is_terminal else Console(width=220, soft_wrap=True)


COLUMNS = ("opening", "payments", "refunds", "withdrawals", "corrections", "expenses",
           "closing", "available")
# the columns' headings, in the reader's language
HEADINGS = {"payer": N_("payer"), "cur": N_("cur"), "opening": N_("opening"),
            "payments": N_("payments"), "refunds": N_("refunds"),
            "withdrawals": N_("withdrawals"), "corrections": N_("corrections"),
            "expenses": N_("expenses"), "closing": N_("closing"), "available": N_("available"),
            "flags": N_("flags")}


def balances_table(records: list[dict[str, Any]], period: Period,
                   console: Console | None = None) -> None:
    """One row per payer; an amount is never cut: its column is as wide as its longest amount,
    names and flags wrap, and a terminal too narrow for every amount side by side gets one
    block per payer instead."""
    console = console or _console()
    title = _("Balances for {period} ({start} – {end})").format(
        period=period.label, start=period.start, end=period.end)
    unlimited = _("unlimited")
    rows = [[record["payer"], record["currency"], *[str(record[c]) for c in COLUMNS[:-1]],
             str(record["available"]) if record["available"] is not None else unlimited,
             ", ".join(record["flags"])] for record in records]
    keys = ["payer", "cur", *COLUMNS, "flags"]
    header = [_(HEADINGS[key]) for key in keys]
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
    for i, (key, name) in enumerate(zip(keys, header, strict=True)):
        if key in ("payer", "flags"):
            table.add_column(name, overflow="fold", min_width=8)
        else:
            table.add_column(name, justify="right" if key != "cur" else "left",
                             no_wrap=True, min_width=widths[i])
    for row in rows:
        table.add_row(*row)
    console.print(table)


def group_tree(group: Group, balance: dict[str, Any] | None, period: Period,
               console: Console | None = None) -> None:
    master = group.master
    tree = Tree(_("[bold]{client}[/bold] — {name} ({currency}, tax ID {tax_id}) master").format(
        client=master["client_id"], name=master["name"], currency=master["currency"],
        tax_id=master["tax_id"] or "—"))
    linked = _("{client} — {name} ({currency}), linked {linked_on} → {until}")
    for related in group.related:
        until = related["unlinked_on"] or _("open")
        tree.add(linked.format(client=related["client_id"], name=related["name"],
                               currency=related["currency"], linked_on=related["linked_on"],
                               until=until))
    out = console or _console()
    out.print(tree)
    if balance is None:
        out.print(_("No balance and no transaction in {period}.").format(period=period.label))
        return
    out.print(_("{period}: opening {opening}, payments {payments}, expenses {expenses}, closing "
                "{closing} {currency}; available {available}; flags: {flags}").format(
        period=period.label, opening=balance["opening"], payments=balance["payments"],
        expenses=balance["expenses"], closing=balance["closing"], currency=balance["currency"],
        available=balance["available"] if balance["available"] is not None
        else _("unlimited"), flags=", ".join(balance["flags"]) or _("none")))


def loads_table(history: list[LoadRecord], console: Console | None = None) -> None:
    """The load history, one row per load, oldest first."""
    from ledgerflow.load.loader import LOAD_STATUSES

    table = Table(title=_("Loads"))
    # the headings of the loads table: counts of rows, where a file's status is one word
    for name, justify in ((pgettext("loads", "id"), "right"), (pgettext("loads", "file"), "left"),
                          (pgettext("loads", "kinds"), "left"),
                          (pgettext("loads", "accepted"), "right"),
                          (pgettext("loads", "refused"), "right"),
                          (pgettext("loads", "skipped"), "right"),
                          (pgettext("loads", "status"), "left"),
                          (pgettext("loads", "replaces"), "left"),
                          (pgettext("loads", "loaded at"), "left"),
                          (pgettext("loads", "sha256"), "left")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for r in history:
        status = _(LOAD_STATUSES[r.status]) if r.status in LOAD_STATUSES else r.status
        if r.replaced_by is not None:
            status += _(" by {load}").format(load=r.replaced_by)
        if r.undone_at is not None:
            status += f" {r.undone_at:%Y-%m-%d %H:%M}"
        table.add_row(str(r.load_id), r.file, ",".join(map(table_word, r.kinds)),
                      str(r.rows_accepted),
                      str(r.rows_refused), str(r.rows_skipped), status,
                      ",".join(map(str, r.replaces)), f"{r.finished_at:%Y-%m-%d %H:%M:%S}",
                      r.sha256[:12])
    out = console or _console()
    out.print(table)
    if not history:
        out.print(_("Nothing has been loaded yet."))
