"""What a statement's lines table shows, described once; the page, the workbook and the PDF
(the page, printed) are derived from this description.

A field is one value of a line: its label, the column of the consolidation's lines it shows,
its format, its Excel column (one per field, in this order, with its width) and where the page
shows it: in which of the page's cells and in which role — the cell's `main` value, a `detail`
(a labelled figure under it) or a `sub` (small print under it); a field with no cell is shown
in the workbook only (the page folds it into another: a rate's units into its equation).

    format   page                                    workbook
    date     05.10.2026 (data-value: ISO date)       date serial, dd.mm.yyyy
    word     the label of the value (kind)           the label, as text
    text     the text, escaped                       inline string, escaped
    money    the amount in its currency's layout     number, #,##0.00 by the currency's digits
    signed   as money, with a sign: +10 000,00 ₽     as money
    rate     100 KZT = 17,5 RUB [inverse]            number, as many decimals as it has
    integer  1 234                                   number, 0
    percent  12,5 %                                  number, as many decimals as it has
    flag     (folded into the rate)                  the word "inverse" when true
    source   file / sheet / row N                    the file name, as text

A field in the role `title` is part of the cell's title text (what a browser shows over the
cell): "label: value" of each such field the line has, so the page explains a line where it
comes from (the source) — the load, the discount and tax rows applied, whose rate converted it.
Every field is a column of the workbook and of the CSV attached to the PDF.

`render.markup` turns this into SQL that lays out a batch of lines at once; nothing else decides
what a line's row contains. A test may pass a layout of its own (a field more, say) and see it
in every format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ledgerflow.values import minor_digits

Format = Literal["date", "word", "text", "money", "signed", "rate", "integer", "percent",
                 "flag", "source"]
Role = Literal["main", "detail", "sub", "title"]


@dataclass(frozen=True)
class Field:
    key: str  # its label (labels.py) and its data-field name on the page
    value: str  # the column of the lines it shows (see `rules.consolidate.LINE_COLUMNS`)
    format: Format
    width: float  # of its Excel column
    cell: str | None = None  # the page's cell it is shown in; None: the workbook only
    role: Role = "main"
    css: str = ""  # more classes of its element on the page
    currency: Literal["line", "payer"] = "line"  # money: whose currency and digits
    styled: bool = True  # integer: with the "0" number format in the workbook


@dataclass(frozen=True)
class Cell:
    """A column of the page's table."""

    key: str
    css: str
    # "neg": the class `neg` when its value is below zero; "sign": `neg` or `pos`
    signs: Literal["", "neg", "sign"] = ""
    in_payer_currency: bool = False  # its header names the payer's currency


@dataclass(frozen=True)
class Edge:
    """The opening and closing rows of the lines table: the period's first (last) day in the
    field `date`, the words "opening balance" ("closing balance") in `label`, the balance in
    `amount`. The page spans the label's cell up to the amount's; the workbook's lines sheet
    starts with the opening row, each value in its field's column."""

    date: str = "date"
    label: str = "kind"
    amount: str = "balance"


@dataclass(frozen=True)
class LineLayout:
    cells: tuple[Cell, ...]
    fields: tuple[Field, ...]
    # the row's data attributes: (attribute, column)
    row_data: tuple[tuple[str, str], ...] = (("line-id", "line_id"), ("kind", "kind"),
                                             ("account", "account"))
    edge: Edge = Edge()
    # The workbook's lines sheet: the header, the opening row, then the lines from this row
    # (0-based).
    first_line_row: int = 2

    def edge_cells(self) -> tuple[int, int, int]:
        """The page's cells of the edge rows: the date's, the label's and how many cells the
        label spans (up to the amount's cell, which comes last)."""
        keys = [c.key for c in self.cells]
        place = {f.key: keys.index(f.cell) for f in self.fields if f.cell is not None}
        date, label, amount = (place[self.edge.date], place[self.edge.label],
                               place[self.edge.amount])
        if not date < label < amount == len(keys) - 1:
            raise ValueError("the edge rows' date, label and amount are in cells left to right, "
                             "the amount's last")
        return date, label, amount - label

    def of_cell(self, cell: str) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.cell == cell)

    def header(self) -> list[tuple[Cell, str, tuple[str, ...]]]:
        """Per page cell: the cell, its main field's key and its sub fields' keys (its
        header shows the labels of both)."""
        out = []
        for cell in self.cells:
            mine = self.of_cell(cell.key)
            main = next(f.key for f in mine if f.role == "main")
            subs = tuple(f.key for f in mine if f.role == "sub")
            out.append((cell, main, subs))
        return out

    def column(self, key: str) -> int:
        """The 0-based workbook column of a field."""
        return next(i for i, f in enumerate(self.fields) if f.key == key)


LINES = LineLayout(
    cells=(
        Cell("date", "date"),
        Cell("kind", "kind"),
        Cell("account", "account"),
        Cell("desc", "desc"),
        Cell("amount", "num"),
        Cell("amount_payer", "num", signs="sign", in_payer_currency=True),
        Cell("balance", "num", signs="neg", in_payer_currency=True),
    ),
    fields=(
        Field("date", "date", "date", 11, cell="date"),
        Field("kind", "kind", "word", 13, cell="kind"),
        Field("line_id", "line_id", "text", 16, cell="kind", role="sub", css="mono"),
        Field("account", "account", "text", 22, cell="account"),
        Field("description", "description", "text", 40, cell="desc"),
        Field("currency", "currency", "text", 9),
        Field("amount", "amount", "money", 14, cell="amount"),
        Field("net", "net", "money", 14, cell="desc", role="detail"),
        Field("discount", "discount", "money", 12, cell="desc", role="detail"),
        Field("tax", "tax", "money", 12, cell="desc", role="detail"),
        Field("rate", "rate", "rate", 10, cell="amount", role="sub", css="rate"),
        Field("units", "units", "integer", 7),
        Field("inverse_rate", "rate_inverse", "flag", 10),
        Field("amount_payer", "amount_payer", "signed", 16, cell="amount_payer",
              currency="payer"),
        Field("balance", "balance", "money", 16, cell="balance", currency="payer"),
        Field("source", "source_file", "source", 28, cell="desc", role="sub", css="source"),
        Field("sheet", "source_sheet", "text", 14),
        Field("row", "source_row", "integer", 8, styled=False),
        # the derivation: in the source cell's title text (`ledgerflow trace` tells it all)
        Field("load_id", "load_id", "integer", 8, cell="desc", role="title", styled=False),
        Field("discount_pct", "discount_pct", "percent", 10, cell="desc", role="title"),
        Field("discount_source", "discount_source", "text", 28, cell="desc", role="title"),
        Field("tax_pct", "tax_pct", "percent", 10, cell="desc", role="title"),
        Field("tax_source", "tax_source", "text", 28, cell="desc", role="title"),
        Field("rate_source", "rate_source", "text", 14, cell="desc", role="title"),
    ),
)


@dataclass(frozen=True)
class Layouts:
    """The layouts a render uses (tests may swap one)."""

    lines: LineLayout = field(default=LINES)


# --- the small tables: a statement's per-account breakdown and ageing, the index ---------------
#
# Each row is an object (or a mapping) and a column names one of its attributes. These tables
# are laid out a statement at a time: the page by `html.cell` (through the `_grid.html`
# partial), the workbook by `excel.write_table`.
#
#     format   page                                   workbook
#     text     the text, escaped                      inline string
#     word     the label of the value                 the label
#     money    in the row's currency (`currency`), or the payer's; None: "unlimited"
#     integer  1 234                                  number, 0
#     date     05.10.2026; None: "—"                  date serial, dd.mm.yyyy; None: blank
#     flags    a badge per flag                       the flags' labels, by commas
#     file     a link named by the format (HTML)      the file's path, linked to the file
#     link     the text, linked to the row's page     the text, linked to the row's workbook
#     group    the related accounts under the master  "account (region), …", as text
#
# A link's target is a file ledgerflow wrote (a relative path it made); text from the inputs
# is never a link's target, nor a formula.

TableFormat = Literal["text", "word", "money", "integer", "date", "flags", "file", "link",
                      "group"]


@dataclass(frozen=True)
class Column:
    key: str  # its data-field name on the page
    value: str  # the row's attribute it shows
    format: TableFormat
    width: float = 16  # of its Excel column, where the table has a sheet of its own
    css: str = ""
    label: str | None = None  # its header's label (labels.py); default: `key`
    signs: bool = False  # the class `neg` when its value is below zero
    currency: Literal["row", "payer"] = "row"  # money: the row's `currency` or the payer's
    in_payer_currency: bool = False  # its header names the payer's currency
    html: bool = True  # shown on the page
    excel: bool = True  # written in the workbook
    # money and integer: summed in the table's totals rows (one per currency)
    total: bool = False
    # link: the row's attributes holding the file it links to, on the page and in the workbook
    targets: tuple[str, str] = ("html", "xlsx")
    # the signed sum of other columns of its row (("", "opening"), ("+", "payments"), ...):
    # a formula over their cells in the workbook, with the row's own value
    sum_of: tuple[tuple[str, str], ...] = ()

    @property
    def heading(self) -> str:
        return self.label or self.key


@dataclass(frozen=True)
class TableLayout:
    columns: tuple[Column, ...]
    row_data: str | None = None  # the row's data attribute, named after its column
    # classes a row gets when its attribute of that name is true
    row_marks: tuple[tuple[str, str], ...] = ()
    # data attributes set to "true" on a row when its attribute of that name is true
    row_flags: tuple[tuple[str, str], ...] = ()
    # each cell carries its raw value (`data-value`: an ISO date, an exact amount, a number),
    # for the page's own script to sort by
    cell_values: bool = False

    def on_page(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.html)

    def in_workbook(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.excel)


def heading(column: Column, words: dict[str, str], currency: str | None = None) -> str:
    """A column's header, the same words on the page and in the workbook: its label, first
    letter upper case, and the payer's currency when it is in it."""
    word = words[column.heading]
    text = word[:1].upper() + word[1:]
    return f"{text}, {currency}" if column.in_payer_currency and currency else text


def value_of(row: object, name: str) -> object:
    """A row's attribute (an index entry's falls back to its statement's)."""
    if isinstance(row, dict):
        return row[name]
    if hasattr(row, name):
        return getattr(row, name)
    return getattr(getattr(row, "statement"), name)  # noqa: B009


@dataclass(frozen=True)
class Balance:
    """An item of a statement's summary: the period's movement of one kind, and how it moves
    the balance (closing = opening + payments - refunds - withdrawals + corrections -
    expenses)."""

    key: str  # the statement's attribute, its label and its data-field name
    sign: Literal["+", "-", ""]  # its sign in the closing balance ("" for the opening)
    signed: bool = False  # shown with its sign on the page (+335,00)


# The summary: the opening balance and each movement; the closing balance is their sum.
SUMMARY = (
    Balance("opening", ""), Balance("payments", "+"), Balance("refunds", "-"),
    Balance("withdrawals", "-"), Balance("corrections", "+", signed=True),
    Balance("expenses", "-"),
)


RELATED = TableLayout(
    columns=(
        Column("account", "account", "text", css="mono"),
        Column("name", "name", "text"),
        Column("currency", "currency", "text"),
        Column("linked_on", "linked_on", "date", css="date", label="linked"),
        Column("unlinked_on", "unlinked_on", "date", css="date", label="unlinked"),
    ),
    row_data="account",
)

def money_place(column: Column, row: object, st: object | None) -> tuple[str, int]:
    """The currency and minor digits a money cell is shown with: the payer's, or the row's
    own (an index entry's statement's digits, else its currency's ISO 4217 digits)."""
    if column.currency == "payer" and st is not None:
        return getattr(st, "currency"), getattr(st, "digits")  # noqa: B009
    currency = str(value_of(row, "currency"))
    statement = getattr(row, "statement", None)
    return currency, statement.digits if statement is not None else minor_digits(currency)


ACCOUNTS = TableLayout(
    columns=(
        Column("account", "account", "text", css="mono"),
        Column("currency", "currency", "text"),
        Column("spent", "spent", "money", css="num"),
        Column("spent_in_payer_currency", "spent_in_payer_currency", "money", css="num",
               currency="payer", in_payer_currency=True),
    ),
    row_data="account",
)

AGEING = TableLayout(
    columns=(
        Column("bucket", "bucket", "word", label="age_days"),
        Column("amount", "amount", "money", css="num", label="debt", currency="payer",
               in_payer_currency=True),
    ),
    row_data="bucket",
    row_marks=(("owed", "owed"),),
)

# The index: a row per payer, every movement of the summary (so opening + movements = closing
# on every row), then one totals row per currency (`model.index_totals`).
INDEX = TableLayout(
    columns=(
        Column("payer", "payer", "link", 22, css="mono", label="login"),
        Column("name", "name", "text", 36),
        Column("group", "group", "group", 36, css="group", label="related"),
        Column("currency", "currency", "text", 9),
        *(Column(item.key, item.key, "money", 14, css="num", signs=item.key == "opening"
                 or item.signed, total=True) for item in SUMMARY),
        Column("closing", "closing", "money", 14, css="num", signs=True, total=True,
               sum_of=tuple((item.sign, item.key) for item in SUMMARY)),
        Column("available", "available", "money", 14, css="num", signs=True),
        Column("flags", "flags", "flags", 24),
        Column("lines_count", "lines_count", "integer", 9, css="num", total=True),
        Column("html", "html", "file", 36, css="files"),
        Column("xlsx", "xlsx", "file", 36, css="files"),
        Column("pdf", "pdf", "file", 36, css="files"),
    ),
    row_data="payer",
    row_marks=(("flagged", "flagged"), ("drafted", "touched")),
    row_flags=(("draft", "touched"),),
    cell_values=True,
)
