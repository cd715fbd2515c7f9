"""Excel statements and the Excel index, written with ledgerflow's own small XLSX writer
(`render.xlsx`).

A statement workbook has two sheets: the summary (a draft's "inputs refused" banner at the top,
the payer's card, the period, the balances, the per-account subtotals, the group, the ageing, the
run) and the lines (one row per transaction, as `render.layout` describes them, laid out in bulk
by `render.markup`; then a totals row). Numbers are numbers with the currency's number format,
dates are dates. The totals, the closing balance and the debt are formulas over the cells above
them, each written with its value computed exactly from the statement's decimals, so a viewer
that does not recalculate shows the same figure as one that does.

Text from input files is inert: every text is an inline string cell, whatever it looks like
('=HYPERLINK(...)', '+7 900', '@cmd' or 'http://...' stay text), escaped by `render.escape`.
Only the three formulas above are formulas, and they are built here from cell addresses.

The same statement gives a byte-identical file: a fixed document time, fixed zip entry times,
and every style declared in a fixed order, so its index never depends on what was written.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from ledgerflow.render.labels import labels, refusal_text
from ledgerflow.render.layout import (
    ACCOUNTS,
    AGEING,
    INDEX,
    LINES,
    RELATED,
    SUMMARY,
    Column,
    LineLayout,
    TableLayout,
    heading,
    money_place,
    value_of,
)
from ledgerflow.render.markup import LineMarkup, statement_markup
from ledgerflow.render.model import IndexEntry, Refusal, Statement, index_totals
from ledgerflow.render.paths import REJECTS, STATEMENTS
from ledgerflow.render.xlsx import (
    Cell,
    Formula,
    Sheet,
    Style,
    Workbook,
    column_letters,
    is_link_target,
)
from ledgerflow.rules.period import Period
from ledgerflow.values.dates import excel_serial

__all__ = ["line_styles", "write_index_xlsx", "write_statement_xlsx"]

CREATED = datetime(2000, 1, 1)  # the document time: fixed, so equal statements give equal bytes
DATE_FORMAT = "dd.mm.yyyy"
MAX_DIGITS = 4  # ISO 4217's most minor digits (CLF, UYW)
RATE_PLACES = 6  # rates are stored with six decimals



def write_statement_xlsx(path: Path, st: Statement, locale: str = "ru",
                         lines: LineMarkup | None = None, layout: LineLayout = LINES) -> None:
    """Write the statement of one payer to `path` (replaced if it exists); its lines are
    `lines`, laid out already (`render.markup`, a batch at a time), or else `st.lines`."""
    words = _Words(locale)
    workbook = Workbook(f"{words['statement']} {st.payer}", CREATED)
    formats = _Formats(workbook)
    _write_summary(workbook.sheet(words["summary"]), st, words, formats)
    if lines is None:
        lines = statement_markup(st, locale, ("xlsx",), layout, line_styles())
    _write_lines(workbook.sheet(words["lines"]), st, words, formats, lines, layout)
    workbook.save(path)


def write_index_xlsx(path: Path, entries: Sequence[IndexEntry], period: Period,
                     locale: str = "ru", draft: Sequence[Refusal] = ()) -> None:
    """Write the index of the period's statements, one row per payer, to `path`; `draft`: the
    run's refused input files, named in a banner under the title (each draft statement's
    flags say "draft")."""
    words = _Words(locale)
    workbook = Workbook(f"{words['index']} {period.label}", CREATED)
    f = _Formats(workbook)
    sheet = workbook.sheet(words["index"])
    # Row 1: the title and the period (as dates); a draft's banner; the header; then one row
    # per payer.
    sheet.row(0, [(0, words["index"], f.title), (1, words["period"], f.bold),
                  (2, excel_serial(period.start), f.date), (3, excel_serial(period.end), f.date)])
    header = _write_draft(sheet, 1, draft, "draft_index", words, f) if draft else 1
    last = write_table(sheet, header, INDEX, entries, None, words, f)
    sheet.freeze(header + 1, 0)
    sheet.autofilter(header, 0, last, len(INDEX.in_workbook()) - 1)
    sheet.widths([c.width for c in INDEX.in_workbook()])
    if entries:
        _write_totals(sheet, header + 1, last, INDEX, entries, words, f)
    workbook.save(path)


def _write_totals(sheet: Sheet, first: int, last: int, table: TableLayout,
                  entries: Sequence[IndexEntry], words: _Words, f: _Formats) -> None:
    """Under the rows `first` to `last` and a blank row, one totals row per currency: each
    total column a SUMIF over the rows of that currency (the currency named by the totals
    row's own cell, so no text from the inputs is in a formula), with its exact value."""
    columns = table.in_workbook()
    place = {c.key: col for col, c in enumerate(columns)}
    currency = column_letters(place["currency"])
    for row, totals in enumerate(index_totals(entries, [c.value for c in columns if c.total]),
                                 start=last + 2):
        cells: list[Cell] = [(0, words["totals"], f.bold)]
        for col, c in enumerate(columns):
            if c.key == "currency":
                cells.append((col, totals.currency, f.bold))
            elif c.total:
                value = totals.sums[c.value]
                letters = column_letters(col)
                formula = Formula(f"SUMIF(${currency}${first + 1}:${currency}${last + 1},"
                                  f"${currency}{row + 1},{letters}${first + 1}:{letters}"
                                  f"${last + 1})", value)
                style = f.money(totals.digits, bold=True) if isinstance(value, Decimal) \
                    else f.integer_bold
                cells.append((col, formula, style))
        sheet.row(row, sorted(cells, key=lambda cell: cell[0]))


def write_table(sheet: Sheet, top: int, table: TableLayout, rows: Sequence[object],
                st: Statement | None, words: _Words, f: _Formats) -> int:
    """A small table as `layout.TableLayout` describes it, from row `top` (its header) down;
    the last row written. A column that is the sum of others (`Column.sum_of`) is their
    formula, with the row's own value (which must be that sum); a file ledgerflow wrote is a
    link to it."""
    columns = table.in_workbook()
    place = {c.key: col for col, c in enumerate(columns)}
    sheet.row(top, [(col, heading(c, words.labels, st.currency if st is not None else None),
                     f.header) for col, c in enumerate(columns)])
    row = top
    for row, item in enumerate(rows, start=top + 1):
        cells: list[Cell] = []
        for col, c in enumerate(columns):
            found = _table_cell(c, item, st, words, f)
            if found is None:
                continue
            value: str | int | Decimal | Formula = found[0]
            style = found[1]
            if c.sum_of:
                value = _sum_formula(c, item, place, row)
            target = value_of(item, c.value) if c.format == "file" else \
                value_of(item, c.targets[1]) if c.format == "link" else None
            if isinstance(target, str) and _statement_file(target):
                sheet.link(row, col, target)
                style = f.link
            cells.append((col, value, style))
        sheet.row(row, cells)
    return row


def _statement_file(target: object) -> bool:
    """A statement file ledgerflow wrote, by its path from the period folder
    (`statements/acme.xlsx`): what the index links to."""
    return isinstance(target, str) and target.startswith(f"{STATEMENTS}/") and \
        is_link_target(target)


def _sum_formula(c: Column, item: object, place: dict[str, int], row: int) -> Formula:
    """The formula of a column that is the signed sum of others in its row, with the row's
    value of it, which must be that sum (a statement that does not add up is refused)."""
    value = value_of(item, c.value)
    found = Decimal(0)
    for sign, name in c.sum_of:
        part = value_of(item, name)
        assert isinstance(part, Decimal)
        found += -part if sign == "-" else part
    if found != value:
        raise ValueError(f"{c.key} of {value_of(item, 'payer')} is {value}, not the sum of "
                         f"{', '.join(name for _, name in c.sum_of)}: {found}.")
    text = "".join(f"{'-' if sign == '-' else '+' if i else ''}"
                   f"{column_letters(place[name])}{row + 1}"
                   for i, (sign, name) in enumerate(c.sum_of))
    return Formula(text, value)  # type: ignore[arg-type]


def _table_cell(c: Column, item: object, st: Statement | None, words: _Words,
                f: _Formats) -> tuple[str | int | Decimal, int] | None:
    """A row's value and style for a column of a small table; None: a blank cell."""
    value = value_of(item, c.value)
    if c.format == "money":
        if value is None:
            return words["unlimited"], 0
        _, digits = money_place(c, item, st)
        return value, f.money(digits)  # type: ignore[return-value]
    if c.format == "integer":
        return value, f.integer  # type: ignore[return-value]
    if c.format == "date":
        return (excel_serial(value), f.date) if value is not None else None  # type: ignore[arg-type]
    if c.format == "word":
        return words.labels.get(str(value), str(value)), 0
    if c.format == "flags":
        return (words.flags(value), 0) if value else None  # type: ignore[arg-type]
    if c.format == "group":  # "account (region), account"
        return (", ".join(r.account + (f" ({r.region})" if r.region else "")
                          for r in value), 0) if value else None  # type: ignore[attr-defined]
    if value is None or value == "":
        return None
    return str(value), 0  # text, a link's text, a file's path


def _write_draft(sheet: Sheet, top: int, draft: Sequence[Refusal], note: str, words: _Words,
                 f: _Formats) -> int:
    """The "draft — inputs refused" banner from row `top` down, in column A (inert text that
    runs on over the empty cells beside it); the row after it and a blank one."""
    sheet.row(top, [(0, words["draft_title"], f.draft)])
    sheet.row(top + 1, [(0, words[note], 0)])
    row = top + 1
    for row, refusal in enumerate(draft, start=top + 2):
        text = refusal_text(refusal.status, refusal.rows_refused, words.locale,
                            refusal.touches)
        sheet.row(row, [(0, f"{refusal.file}: {text}", 0)])
    sheet.row(row + 1, [(0, f"{words['draft_rejects']} {REJECTS} {words['draft_where']}",
                         0)])
    return row + 3


class _Words:
    """The locale's labels."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self.labels = labels(locale)

    def __getitem__(self, key: str) -> str:
        return self.labels[key]

    def header(self, key: str) -> str:
        word = self[key]
        return word[:1].upper() + word[1:]

    def flags(self, flags: Sequence[str]) -> str:
        return ", ".join(self.labels.get(flag, flag) for flag in flags)


class _Formats:
    """Every style a workbook uses, declared in one fixed order, so each style's index is the
    same in every workbook (the lines, laid out in bulk, name them by index)."""

    def __init__(self, workbook: Workbook) -> None:
        add = workbook.style
        self.title = add(Style(bold=True, font_size=14))
        self.bold = add(Style(bold=True))
        self.header = add(Style(bold=True, bg_color="#DDDDDD", border=True, text_wrap=True,
                                valign="top"))
        self.date = add(Style(num_format=DATE_FORMAT))
        self.integer = add(Style(num_format="0"))
        self._money = {(digits, bold): add(Style(bold=bold, num_format=money_format(digits)))
                       for bold in (False, True) for digits in range(MAX_DIGITS + 1)}
        self._rate = {places: add(Style(num_format="0." + "0" * places))
                      for places in range(1, RATE_PLACES + 1)}
        self.draft = add(Style(bold=True, font_size=13, font_color="#A4262C"))
        # declared after the others, so theirs keep the indexes they had
        self.link = add(Style(font_color="#0563C1", underline=True))
        self.integer_bold = add(Style(bold=True, num_format="0"))

    def money(self, digits: int, bold: bool = False) -> int:
        return self._money[(min(digits, MAX_DIGITS), bold)]

    def rate(self, places: int) -> int:
        """A rate with this many decimals (0: an integer)."""
        return self._rate[places] if places else self.integer


def line_styles() -> dict[str, Any]:
    """The style index of each format a lines-sheet cell may have, as every statement workbook
    numbers them: {"date": n, "integer": n, "money": {digits: n}, "rate": {places: n}}."""
    formats = _Formats(Workbook())
    return {"date": formats.date, "integer": formats.integer,
            "money": {d: formats.money(d) for d in range(MAX_DIGITS + 1)},
            "rate": {p: formats.rate(p) for p in range(RATE_PLACES + 1)}}


def money_format(digits: int) -> str:
    """'#,##0.00' for 2 minor digits, '#,##0' for none."""
    return "#,##0." + "0" * digits if digits > 0 else "#,##0"


# --- the summary sheet -------------------------------------------------------------------------


def _write_summary(sheet: Sheet, st: Statement, words: _Words, f: _Formats) -> None:
    put = sheet.row
    money, bold_money = f.money(st.digits), f.money(st.digits, bold=True)
    none = words["none"]
    # A draft's banner first, at the very top.
    top = _write_draft(sheet, 0, st.draft, "draft_statement", words, f) if st.draft else 0
    put(top, [(0, words["statement"], f.title), (1, st.payer, f.title)])
    card: list[tuple[str, Cell]] = [
        ("payer", (1, st.payer, 0)),
        ("name", (1, st.name, 0)),
        ("tax_id", (1, st.tax_id or none, 0)),
        ("currency", (1, st.currency, 0)),
        ("credit_limit", (1, st.credit_limit, money)),
        ("postpay", (1, words["yes"] if st.postpay else words["no"], 0)),
        ("manager", (1, st.manager or none, 0)),
        ("deferral_days", (1, words["unlimited"], 0) if st.deferral_days is None
         else (1, st.deferral_days, f.integer)),
        ("block_after_days", (1, words["never"], 0) if st.block_after_days is None
         else (1, st.block_after_days, f.integer)),
    ]
    row = top + 1
    for key, cell in card:
        row += 1
        put(row, [(0, words[key], 0), cell])
    row += 1
    put(row, [(0, words["period"], 0), (1, excel_serial(st.period.start), f.date),
              (2, excel_serial(st.period.end), f.date)])

    # The balances; the closing balance is their formula, with its exact value.
    row += 2
    first = row
    for row, item in enumerate(SUMMARY, start=first):
        put(row, [(0, words[item.key], 0), (1, getattr(st, item.key), money)])
    closing = sum((-getattr(st, i.key) if i.sign == "-" else getattr(st, i.key)
                   for i in SUMMARY), Decimal(0))
    if closing != st.closing:
        raise ValueError(
            f"The statement of {st.payer} does not add up: opening {st.opening} + payments "
            f"{st.payments} - refunds {st.refunds} - withdrawals {st.withdrawals} + corrections "
            f"{st.corrections} - expenses {st.expenses} = {closing}, not the closing "
            f"{st.closing}.")
    row += 1
    formula = "".join(f"{item.sign}B{first + i + 1}" for i, item in enumerate(SUMMARY))
    put(row, [(0, words["closing"], f.bold), (1, Formula(formula, st.closing), bold_money)])
    put(row + 1, [(0, words["available"], 0),
                  (1, words["unlimited"], 0) if st.available is None
                  else (1, st.available, money)])
    put(row + 2, [(0, words["flags"], 0), (1, words.flags(st.flags) if st.flags else none, 0)])

    # What each account of the group spent in the period.
    row += 4
    put(row, [(0, words["subtotals"], f.bold)])
    row += 1
    row = write_table(sheet, row, ACCOUNTS, st.accounts, st, words, f)

    # The related accounts of the group and when they were linked.
    if st.related:
        row += 2
        put(row, [(0, words["group"], f.bold)])
        row += 1
        row = write_table(sheet, row, RELATED, st.related, st, words, f)

    # The ageing of the debt at period end; the debt is the sum of the buckets.
    row += 2
    put(row, [(0, words["ageing"], f.bold)])
    first = row + 2
    row = write_table(sheet, row + 1, AGEING, st.ageing_rows, st, words, f)
    row += 1
    if st.ageing:
        debt = sum((amount for _, amount in st.ageing), Decimal(0))
        put(row, [(0, words["debt"], f.bold),
                  (1, Formula(f"SUM(B{first + 1}:B{row})", debt), bold_money)])
    else:
        put(row, [(0, words["debt"], f.bold), (1, 0, bold_money)])

    # Which warehouse state and settings the statement was built from.
    row += 2
    put(row, [(0, words["run_id"], 0), (1, st.run_id, 0)])
    put(row + 1, [(0, words["inputs_sha256"], 0), (1, st.inputs_sha256, 0)])
    sheet.widths((30, 22, 16, 16, 16))


# --- the lines sheet ---------------------------------------------------------------------------


def _write_lines(sheet: Sheet, st: Statement, words: _Words, f: _Formats, lines: LineMarkup,
                 layout: LineLayout) -> None:
    """The header; the opening-balance row (the period's first day, the words and the balance,
    each in its field's column, as `layout.Edge` places them); the lines laid out already;
    the totals row (the sum of the payer-currency amounts and, under the balances, the closing
    balance: the opening plus that sum, formulas with their exact values); the frozen header,
    the filter and the column widths."""
    sheet.row(0, [(col, words.header(field.key), f.header)
                  for col, field in enumerate(layout.fields)])
    edge = layout.edge
    balance = layout.column(edge.amount)
    opening = layout.first_line_row - 1  # the row above the first line
    sheet.row(opening, sorted([
        (layout.column(edge.date), excel_serial(st.period.start), f.date),
        (layout.column(edge.label), words["opening"], f.bold),
        (balance, st.opening, f.money(st.digits, bold=True))]))
    payer = layout.column("amount_payer")
    total_format = f.money(st.digits, bold=True)
    count = lines.count
    first = layout.first_line_row
    step = Decimal(1).scaleb(-st.digits)
    if count:
        sheet.rows_xml(first, count, lines.xml)
        letters = column_letters(payer)
        value = lines.total.quantize(step)
        total: Decimal | int | Formula = Formula(
            f"SUM({letters}{first + 1}:{letters}{first + count})", value)
    else:
        count = 1
        sheet.row(first, [(0, words["no_lines"], 0)])
        value = Decimal(0)
        total = 0
    if st.opening + value != st.closing:
        raise ValueError(f"The lines of {st.payer} do not add up: opening {st.opening} + "
                         f"lines {value} is not the closing {st.closing}.")
    last = first + count
    closing = Formula(f"{column_letters(balance)}{opening + 1}+{column_letters(payer)}"
                      f"{last + 1}", st.closing)
    sheet.row(last, sorted([(0, words["totals"], f.bold), (payer, total, total_format),
                            (balance, closing, total_format)]))
    sheet.freeze(1, 0)
    sheet.autofilter(0, 0, last - 1, len(layout.fields) - 1)
    sheet.widths([field.width for field in layout.fields])
