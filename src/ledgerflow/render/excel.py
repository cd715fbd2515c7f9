"""Excel statements and the Excel index, written with xlsxwriter.

A statement workbook has two sheets: the summary (a draft's "inputs refused" banner at the top,
the payer's card, the period, the balances, the per-account subtotals, the group, the ageing, the
run) and the lines (one row per transaction,
then a totals row). Numbers are numbers with the currency's number format, dates are dates. The
totals, the closing balance and the debt are formulas over the cells above them, each written
with its value computed exactly from the statement's decimals, so a viewer that does not
recalculate shows the same figure as one that does.

Text from input files is inert: the workbook is opened with every string conversion off and each
such value is written as a string cell (`write_string`, or `put_row`, which writes the same XML),
so '=HYPERLINK(...)', '+7 900', '@cmd' or 'http://...' stay text, never a formula, a number or a
link. Only the three formulas above are formulas, and they are built here from cell addresses.

The same statement gives a byte-identical file: fixed document time, in-memory packaging (fixed
zip entry times), formats created in a fixed order.

Speed: the lines are the bulk (5 000 statements of ~200 lines a month). A line becomes one list of
typed cells with precreated formats (dates as serial numbers with a date format, blank cells
left out), and the lines and index sheets render each such row to XML at once (`_Fastsheet`)
instead of going through xlsxwriter's per-cell machinery, which costs a few microseconds a cell.
The XML is byte for byte what xlsxwriter writes for the same cells (tested against `_Sheet`).
"""

from __future__ import annotations

import contextlib
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter
import xlsxwriter.workbook
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from ledgerflow.render.labels import labels, refusal_text
from ledgerflow.render.model import KIND_ORDER, IndexEntry, Refusal, Statement
from ledgerflow.rules.period import Period
from ledgerflow.values import minor_digits

__all__ = ["write_index_xlsx", "write_statement_xlsx"]

class _QuickZip(zipfile.ZipFile):
    """The zip xlsxwriter packs a workbook into, deflating at level 1: a statement's sheets are
    repetitive XML that the fastest level already shrinks about tenfold, for a third of the
    time of the default level."""

    def writestr(self, zinfo_or_arcname: Any, data: Any, compress_type: int | None = None,
                 compresslevel: int | None = None) -> None:
        super().writestr(zinfo_or_arcname, data, compress_type,
                         1 if compresslevel is None else compresslevel)

    def __del__(self) -> None:
        # xlsxwriter raises FileCreateError (a full disk) without closing its zip; the run
        # reports that failure itself, so the zip's second try at flushing, when it is
        # collected, must not print a traceback of its own.
        with contextlib.suppress(OSError):
            super().__del__()  # type: ignore[misc]


# xlsxwriter has no setting for the level; it makes its ZipFile by this module-level name.
xlsxwriter.workbook.ZipFile = _QuickZip  # type: ignore[misc]

CREATED = datetime(2000, 1, 1)  # the document time: fixed, so equal statements give equal bytes
OPTIONS = {
    "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
    "in_memory": True,  # no temporary files; zip entries get a fixed time
}
DATE_FORMAT = "dd.mm.yyyy"
_EPOCH = date(1899, 12, 30).toordinal()  # Excel's day 0 (valid from 1900-03-01 on)
_EPOCH_1900 = date(1899, 12, 31).toordinal()  # ... and before: 1900-01-01 is day 1
_LEAP_BUG_END = date(1900, 3, 1)

# Words not (yet) in labels.py; labels.py wins once it has them.
_EXTRA = {
    "en": {"units": "Units", "inverse_rate": "Inverse rate", "html": "HTML", "xlsx": "Excel",
           "never": "never"},
    "ru": {"units": "Единиц", "inverse_rate": "Обратный курс", "html": "HTML", "xlsx": "Excel",
           "never": "никогда"},
}

# The lines sheet: one column per field, in this order.
LINE_COLUMNS = ("date", "kind", "line_id", "account", "description", "currency", "amount",
                "net", "discount", "tax", "rate", "units", "inverse_rate", "amount_payer",
                "balance", "source", "sheet", "row")
_COL = {name: i for i, name in enumerate(LINE_COLUMNS)}
LINE_WIDTHS = (11, 13, 16, 22, 40, 9, 14, 14, 12, 12, 10, 7, 10, 16, 16, 28, 14, 8)

# The index sheet.
INDEX_COLUMNS = ("payer", "name", "currency", "opening", "payments", "expenses", "closing",
                 "available", "flags", "lines_count", "html", "xlsx")
INDEX_WIDTHS = (22, 36, 9, 16, 16, 16, 16, 16, 24, 9, 36, 36)

# A cell for `put_row`: (column, value, format or None); a str is text, anything else a number.
Cell = tuple[int, str | int | float, Any]

_BALANCE_ITEMS = ("opening", "payments", "refunds", "withdrawals", "corrections", "expenses")
_CLOSING_SIGNS = ("", "+", "-", "-", "+", "-")  # closing = opening + p - r - w + c - e


def write_statement_xlsx(path: Path, st: Statement, locale: str = "ru",
                         lines: LinesXml | None = None) -> None:
    """Write the statement of one payer to `path` (replaced if it exists); its lines are
    `st.lines`, or `lines` already laid out (see `ledgerflow.render.markup`)."""
    words = _Words(locale)
    workbook = xlsxwriter.Workbook(str(path), OPTIONS)
    workbook.set_properties({"created": CREATED, "title": f"{words['statement']} {st.payer}"})
    formats = _Formats(workbook)
    _write_summary(workbook.add_worksheet(words["summary"], _Fastsheet), st, words, formats)
    _write_lines(workbook.add_worksheet(words["lines"], _Fastsheet), st, words, formats, lines)
    workbook.close()


@dataclass(frozen=True)
class LinesXml:
    """The lines of a statement as the `<row>` elements of sheet rows 2 to count + 1, every
    row spanning the lines sheet's columns, and the sum of their payer-currency amounts."""

    xml: str
    count: int
    total: Decimal


def write_index_xlsx(path: Path, entries: Sequence[IndexEntry], period: Period,
                     locale: str = "ru", draft: Sequence[Refusal] = ()) -> None:
    """Write the index of the period's statements, one row per payer, to `path`; `draft`: the
    run's refused input files, named in a banner under the title (each draft statement's
    flags say "draft")."""
    words = _Words(locale)
    workbook = xlsxwriter.Workbook(str(path), OPTIONS)
    workbook.set_properties({"created": CREATED, "title": f"{words['index']} {period.label}"})
    formats = _Formats(workbook)
    sheet: _Sheet = workbook.add_worksheet(words["index"], _Fastsheet)
    # Row 1: the title and the period (as dates); a draft's banner; the header; then one row
    # per payer.
    sheet.write_string(0, 0, words["index"], formats.title)
    sheet.write_string(0, 1, words["period"], formats.bold)
    sheet.write_number(0, 2, _serial(period.start), formats.date)
    sheet.write_number(0, 3, _serial(period.end), formats.date)
    header = _write_draft(sheet, 1, draft, "draft_index", words, formats) if draft else 1
    sheet.put_row(header, [(col, words[key], formats.header)
                           for col, key in enumerate(INDEX_COLUMNS)])
    unlimited = words["unlimited"]
    row = header
    for row, entry in enumerate(entries, start=header + 1):
        s = entry.statement
        money = formats.money(s.digits)
        cells: list[Cell] = [
            (0, s.payer, None), (1, s.name, None), (2, s.currency, None),
            (3, float(s.opening), money), (4, float(s.payments), money),
            (5, float(s.expenses), money), (6, float(s.closing), money),
            (7, unlimited, None) if s.available is None else (7, float(s.available), money)]
        flags = (*s.flags, "draft") if s.touched else s.flags
        if flags:
            cells.append((8, words.flags(flags), None))
        cells.append((9, s.lines_count, formats.integer))
        if entry.html:
            cells.append((10, entry.html, None))
        if entry.xlsx:
            cells.append((11, entry.xlsx, None))
        sheet.put_row(row, cells)
    sheet.freeze_panes(header + 1, 0)
    sheet.autofilter(header, 0, row, len(INDEX_COLUMNS) - 1)
    for col, width in enumerate(INDEX_WIDTHS):
        sheet.set_column(col, col, width)
    workbook.close()


def _write_draft(sheet: _Sheet, top: int, draft: Sequence[Refusal], note: str, words: _Words,
                 f: _Formats) -> int:
    """The "draft — inputs refused" banner from row `top` down, in column A (inert text that
    runs on over the empty cells beside it); the row after it and a blank one."""
    put = sheet.put_row
    put(top, [(0, words["draft_title"], f.draft())])
    put(top + 1, [(0, words[note], None)])
    row = top + 1
    for row, refusal in enumerate(draft, start=top + 2):
        text = refusal_text(refusal.status, refusal.rows_refused, words.locale,
                            refusal.touches)
        put(row, [(0, f"{refusal.file}: {text}", None)])
    put(row + 1, [(0, f"{words['draft_rejects']} rejects.xlsx {words['draft_where']}", None)])
    return row + 3


class _Words:
    """The locale's labels, with a fallback for the few words labels.py does not have yet."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self.labels = labels(locale)
        self.extra = _EXTRA[locale]

    def __getitem__(self, key: str) -> str:
        found = self.labels.get(key)
        if found is None:
            found = self.extra[key]
        return found

    def header(self, key: str) -> str:
        word = self[key]
        return word[:1].upper() + word[1:]

    def flags(self, flags: Sequence[str]) -> str:
        return ", ".join(self.labels.get(flag, flag) for flag in flags)


class _Formats:
    """Every format a workbook uses, created once (money and rate formats on first use).

    Each format gets its style index when it is created, so the index depends only on the order
    of creation, never on which cells were rendered first.
    """

    def __init__(self, workbook: xlsxwriter.Workbook) -> None:
        self.workbook = workbook
        self.title = self._add({"bold": True, "font_size": 14})
        self.bold = self._add({"bold": True})
        self.header = self._add({"bold": True, "bg_color": "#DDDDDD", "border": 1,
                                 "text_wrap": True, "valign": "top"})
        self.date = self._add({"num_format": DATE_FORMAT})
        self.integer = self._add({"num_format": "0"})
        # Every money and rate format is created here, in a fixed order, so a style's index
        # is known before any workbook is written (`line_styles`: lines laid out in SQL).
        self._money: dict[tuple[int, bool], Any] = {
            (digits, bold): self._add(_money_spec(digits, bold))
            for bold in (False, True) for digits in range(MAX_DIGITS + 1)}
        self._rate: dict[int, Any] = {
            places: self._add({"num_format": "0." + "0" * places})
            for places in range(1, RATE_PLACES + 1)}
        self._draft: Any = None

    def _add(self, spec: dict[str, Any]) -> Any:
        fmt = self.workbook.add_format(spec)
        fmt._get_xf_index()
        return fmt

    def draft(self) -> Any:
        """The draft banner's title; made on first use, after every other format, so a
        complete statement's workbook has the very styles it had before drafts existed."""
        if self._draft is None:
            self._draft = self._add({"bold": True, "font_size": 13, "font_color": "#A4262C"})
        return self._draft

    def money(self, digits: int, bold: bool = False) -> Any:
        key = (digits, bold)
        found = self._money.get(key)
        if found is None:
            found = self._money[key] = self._add(_money_spec(digits, bold))
        return found

    def rate(self, rate: Decimal) -> Any:
        """The rate shown with as many decimals as it has (up to 12)."""
        exponent = rate.as_tuple().exponent
        places = min(-exponent, 12) if isinstance(exponent, int) and exponent < 0 else 0
        if not places:
            return self.integer
        found = self._rate.get(places)
        if found is None:
            found = self._rate[places] = self._add({"num_format": "0." + "0" * places})
        return found


MAX_DIGITS = 4  # ISO 4217's most minor digits (CLF, UYW)
RATE_PLACES = 6  # rates are stored with six decimals


def _money_spec(digits: int, bold: bool) -> dict[str, Any]:
    spec: dict[str, Any] = {"num_format": money_format(digits)}
    if bold:
        spec["bold"] = True
    return spec


def line_styles() -> dict[str, Any]:
    """The style index of each format a lines-sheet cell may have, as every statement workbook
    numbers them: {"date": n, "integer": n, "money": {digits: n}, "rate": {places: n}}."""
    formats = _Formats(xlsxwriter.Workbook(io.BytesIO(), OPTIONS))
    index = _xf_index
    return {"date": index(formats.date), "integer": index(formats.integer),
            "money": {d: index(formats.money(d)) for d in range(MAX_DIGITS + 1)},
            "rate": {p: index(formats.rate(Decimal(1).scaleb(-p)))
                     for p in range(RATE_PLACES + 1)}}


def _xf_index(fmt: Any) -> int:
    return int(fmt._get_xf_index())


def money_format(digits: int) -> str:
    """'#,##0.00' for 2 minor digits, '#,##0' for none."""
    return "#,##0." + "0" * digits if digits > 0 else "#,##0"


# --- the summary sheet -------------------------------------------------------------------------


def _write_summary(sheet: _Sheet, st: Statement, words: _Words, f: _Formats) -> None:
    put = sheet.put_row
    money, bold_money = f.money(st.digits), f.money(st.digits, bold=True)
    none = words["none"]
    # A draft's banner first, at the very top.
    top = _write_draft(sheet, 0, st.draft, "draft_statement", words, f) if st.draft else 0
    put(top, [(0, words["statement"], f.title), (1, st.payer, f.title)])
    card: list[tuple[str, Cell]] = [
        ("payer", (1, st.payer, None)),
        ("name", (1, st.name, None)),
        ("tax_id", (1, st.tax_id or none, None)),
        ("currency", (1, st.currency, None)),
        ("credit_limit", (1, float(st.credit_limit), money)),
        ("postpay", (1, words["yes"] if st.postpay else words["no"], None)),
        ("manager", (1, st.manager or none, None)),
        ("deferral_days", (1, words["unlimited"], None) if st.deferral_days is None
         else (1, st.deferral_days, f.integer)),
        ("block_after_days", (1, words["never"], None) if st.block_after_days is None
         else (1, st.block_after_days, f.integer)),
    ]
    row = top + 1
    for key, cell in card:
        row += 1
        put(row, [(0, words[key], None), cell])
    row += 1
    put(row, [(0, words["period"], None), (1, _serial(st.period.start), f.date),
              (2, _serial(st.period.end), f.date)])

    # The balances; the closing balance is their formula, with its exact value.
    row += 2
    first = row
    for row, key in enumerate(_BALANCE_ITEMS, start=first):
        put(row, [(0, words[key], None), (1, float(getattr(st, key)), money)])
    closing = (st.opening + st.payments - st.refunds - st.withdrawals + st.corrections
               - st.expenses)
    if closing != st.closing:
        raise ValueError(
            f"The statement of {st.payer} does not add up: opening {st.opening} + payments "
            f"{st.payments} - refunds {st.refunds} - withdrawals {st.withdrawals} + corrections "
            f"{st.corrections} - expenses {st.expenses} = {closing}, not the closing "
            f"{st.closing}.")
    row += 1
    formula = "=" + "".join(f"{sign}B{first + i + 1}" for i, sign in enumerate(_CLOSING_SIGNS))
    sheet.write_string(row, 0, words["closing"], f.bold)
    sheet.write_formula(row, 1, formula, bold_money, float(st.closing))
    put(row + 1, [(0, words["available"], None),
                  (1, words["unlimited"], None) if st.available is None
                  else (1, float(st.available), money)])
    put(row + 2, [(0, words["flags"], None), (1, words.flags(st.flags) if st.flags else none,
                                              None)])

    # What each account of the group spent in the period.
    row += 4
    put(row, [(0, words["subtotals"], f.bold)])
    row += 1
    put(row, [(col, words.header(key), f.header) for col, key in enumerate(
        ("account", "currency", "spent", "spent_in_payer_currency"))])
    for account in st.accounts:
        row += 1
        put(row, [(0, account.account, None), (1, account.currency, None),
                  (2, float(account.spent), f.money(minor_digits(account.currency))),
                  (3, float(account.spent_in_payer_currency), money)])

    # The related accounts of the group and when they were linked.
    if st.related:
        row += 2
        put(row, [(0, words["group"], f.bold)])
        row += 1
        put(row, [(col, words.header(key), f.header) for col, key in enumerate(
            ("account", "name", "currency", "linked", "unlinked"))])
        for related in st.related:
            row += 1
            cells: list[Cell] = [(0, related.account, None), (1, related.name, None),
                                 (2, related.currency, None),
                                 (3, _serial(related.linked_on), f.date)]
            if related.unlinked_on is not None:
                cells.append((4, _serial(related.unlinked_on), f.date))
            put(row, cells)

    # The ageing of the debt at period end; the debt is the sum of the buckets.
    row += 2
    put(row, [(0, words["ageing"], f.bold)])
    first = row + 1
    for row, (bucket, amount) in enumerate(st.ageing, start=first):
        put(row, [(0, f"{words.labels.get(bucket, bucket)} {words['days']}", None),
                  (1, float(amount), money)])
    row += 1
    sheet.write_string(row, 0, words["debt"], f.bold)
    if st.ageing:
        debt = sum((amount for _, amount in st.ageing), Decimal(0))
        sheet.write_formula(row, 1, f"=SUM(B{first + 1}:B{row})", bold_money, float(debt))
    else:
        sheet.write_number(row, 1, 0, bold_money)

    # Which warehouse state and settings the statement was built from.
    row += 2
    put(row, [(0, words["run_id"], None), (1, st.run_id, None)])
    put(row + 1, [(0, words["inputs_sha256"], None), (1, st.inputs_sha256, None)])

    sheet.set_column(0, 0, 30)
    sheet.set_column(1, 1, 22)
    sheet.set_column(2, 4, 16)


# --- the lines sheet ---------------------------------------------------------------------------


def _write_lines(sheet: _Sheet, st: Statement, words: _Words, f: _Formats,
                 prebuilt: LinesXml | None) -> None:
    sheet.put_row(0, [(col, words.header(key), f.header) for col, key in enumerate(LINE_COLUMNS)])
    if prebuilt is not None and prebuilt.count:
        sheet.put_rows_xml(1, prebuilt.count, len(LINE_COLUMNS) - 1, prebuilt.xml)
        _finish_lines(sheet, words, f, st.digits, prebuilt.count, prebuilt.total)
        return
    payer_money = f.money(st.digits)
    date_format, integer = f.date, f.integer
    kinds = {kind: words[kind] for kind in KIND_ORDER}
    inverse = words["inverse"]
    line_money: dict[str, Any] = {}
    put_row = sheet.put_row
    c = _COL
    c_desc, c_currency, c_amount = c["description"], c["currency"], c["amount"]
    c_net, c_disc, c_tax = c["net"], c["discount"], c["tax"]
    c_rate, c_units, c_inverse = c["rate"], c["units"], c["inverse_rate"]
    c_payer, c_balance = c["amount_payer"], c["balance"]
    c_file, c_sheet, c_row = c["source"], c["sheet"], c["row"]
    total = Decimal(0)
    for row, line in enumerate(st.lines, start=1):
        currency = line.currency
        money = line_money.get(currency)
        if money is None:
            money = line_money[currency] = f.money(minor_digits(currency))
        cells: list[Cell] = [
            (0, _serial(line.date), date_format), (1, kinds.get(line.kind) or line.kind, None),
            (2, line.line_id, None), (3, line.account, None)]
        if line.description:
            cells.append((c_desc, line.description, None))
        cells.append((c_currency, currency, None))
        cells.append((c_amount, float(line.amount), money))
        if line.net is not None:
            cells.append((c_net, float(line.net), money))
        if line.discount is not None:
            cells.append((c_disc, float(line.discount), money))
        if line.tax is not None:
            cells.append((c_tax, float(line.tax), money))
        if line.rate is not None:
            cells.append((c_rate, float(line.rate), f.rate(line.rate)))
        if line.units is not None:
            cells.append((c_units, line.units, integer))
        if line.rate_inverse:
            cells.append((c_inverse, inverse, None))
        cells += ((c_payer, float(line.amount_payer), payer_money),
                  (c_balance, float(line.balance), payer_money),
                  (c_file, line.source_file, None), (c_sheet, line.source_sheet, None),
                  (c_row, line.source_row, None))
        put_row(row, cells)
        total += line.amount_payer
    _finish_lines(sheet, words, f, st.digits, len(st.lines), total)


def _finish_lines(sheet: _Sheet, words: _Words, f: _Formats, digits: int, count: int,
                  total: Decimal) -> None:
    """The totals row (the sum of the payer-currency amounts, as a formula with its exact
    value), the frozen header, the filter and the column widths."""
    c_payer = _COL["amount_payer"]
    last = count
    if not count:
        last = 1
        sheet.write_string(1, 0, words["no_lines"])
    sheet.write_string(last + 1, 0, words["totals"], f.bold)
    total_format = f.money(digits, bold=True)
    if count:
        column = _LETTERS[c_payer]
        sheet.write_formula(last + 1, c_payer, f"=SUM({column}2:{column}{last + 1})",
                            total_format, float(total))
    else:
        sheet.write_number(last + 1, c_payer, 0, total_format)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, last, len(LINE_COLUMNS) - 1)
    for col, width in enumerate(LINE_WIDTHS):
        sheet.set_column(col, col, width)


def _serial(day: date) -> int:
    """The date as Excel's serial day number, as xlsxwriter's write_datetime stores it."""
    if day >= _LEAP_BUG_END:
        return day.toordinal() - _EPOCH
    return day.toordinal() - _EPOCH_1900  # Excel's phantom 1900-02-29 is not yet counted


# --- worksheets that take whole rows -----------------------------------------------------------


class _Sheet(Worksheet):
    """A worksheet with `put_row`: one row of typed cells, in ascending column order.

    This is the reference: each cell goes through xlsxwriter's own `write_string` or
    `write_number`. `_Fastsheet` gives the same bytes faster.
    """

    def put_row(self, row: int, cells: Sequence[Cell]) -> None:
        for col, value, fmt in cells:
            if isinstance(value, str):
                self.write_string(row, col, value, fmt)
            else:
                self.write_number(row, col, value, fmt)

    def put_rows_xml(self, first: int, count: int, last_col: int, xml: str) -> None:
        raise NotImplementedError("prebuilt rows need the fast sheet")


class _Fastsheet(_Sheet):
    """`_Sheet` whose `put_row` renders the row's XML at once instead of storing one object per
    cell for xlsxwriter to render at close: xlsxwriter spends a few microseconds per cell on
    argument checks and attribute escaping, which is most of the time of a 200-line statement.

    The XML is exactly what xlsxwriter writes for those cells (a test compares the bytes):
    `<c r="B7" s="3" t="s"><v>12</v></c>` for text (an index in the shared strings table, which
    escapes it), `<c r="G7" s="4"><v>1234.5</v></c>` for a number. Rows written with `put_row`
    and rows written with xlsxwriter's methods may be mixed, but not in the same row. Formats
    must have their style index before use (see `_Formats`), as xlsxwriter gives one on first
    use and that must not depend on which sheet class wrote first.
    """

    def __init__(self) -> None:
        super().__init__()
        self._rows: dict[int, tuple[int, int, str]] = {}  # row -> (first col, last col, XML)
        self._styles: dict[int, str] = {}  # id(format) -> ' s="n"'
        self._block: tuple[int, int, str] | None = None  # rows laid out elsewhere, whole

    def put_rows_xml(self, first: int, count: int, last_col: int, xml: str) -> None:
        """Rows `first` to `first + count - 1` (0-based) as finished `<row>` elements, each
        spanning columns 1 to `last_col + 1`, as xlsxwriter writes a row's `spans` (every
        16-row block of them reaches from the first column to `last_col`)."""
        self._block = (first, first + count - 1, xml)
        self._check_dimensions(first, 0)
        self._check_dimensions(first + count - 1, last_col)
        self._rows[first] = (0, last_col, "")
        self._rows[first + count - 1] = (0, last_col, "")

    def put_row(self, row: int, cells: Sequence[Cell]) -> None:
        if not cells:
            return
        number = row + 1
        styles = self._styles
        shared = self.str_table._get_shared_string_index  # type: ignore[attr-defined]
        parts: list[str] = []
        append = parts.append
        for col, value, fmt in cells:
            if fmt is None:
                style = ""
            else:
                style = styles.get(id(fmt))  # type: ignore[assignment]
                if style is None:
                    style = styles[id(fmt)] = f' s="{fmt._get_xf_index()}"'
            if isinstance(value, str):
                if len(value) > _SHORT:
                    value = _fit(value)
                append(f'<c r="{_LETTERS[col]}{number}"{style} t="s"><v>{shared(value)}</v></c>')
            else:
                shown = f"{value:.16G}"
                if shown[-1] > "9":  # NAN, INF: refused, as xlsxwriter refuses them
                    raise TypeError(f"NAN/INF not supported in a number cell: {value!r}")
                append(f'<c r="{_LETTERS[col]}{number}"{style}><v>{shown}</v></c>')
        first, last = cells[0][0], cells[-1][0]
        self._check_dimensions(row, first)
        self._check_dimensions(row, last)
        self._rows[row] = (first, last, "".join(parts))

    def _write_rows(self) -> None:
        if not self._rows:
            super()._write_rows()
            return
        if self.row_info or self.comments:  # not needed by these workbooks; keep it simple
            raise NotImplementedError("put_row on a sheet with row formats or comments")
        bounds = {row: (first, last) for row, (first, last, _) in self._rows.items()}
        for row, cells in self.table.items():
            if cells:
                if row in bounds:
                    raise ValueError(f"row {row + 1} written both with put_row and cell by cell")
                bounds[row] = (min(cells), max(cells))
        spans: dict[int, list[int]] = {}  # as xlsxwriter: per block of 16 rows, first:last col
        for row, (first, last) in bounds.items():
            block = spans.get(row // 16)
            if block is None:
                spans[row // 16] = [first, last]
            else:
                block[0], block[1] = min(block[0], first), max(block[1], last)
        text = {block: f"{first + 1}:{last + 1}" for block, (first, last) in spans.items()}
        write = self.fh.write
        block_first, block_last, prebuilt_rows = self._block or (-1, -1, "")
        for row in sorted(bounds):
            if block_first <= row <= block_last:
                if row == block_first:
                    write(prebuilt_rows)
                continue
            self._write_row(row, text[row // 16])
            prebuilt = self._rows.get(row)
            if prebuilt is not None:
                write(prebuilt[2])
            else:
                cells = self.table[row]
                for col in sorted(cells):
                    self._write_cell(row, col, cells[col])
            self._xml_end_tag("row")


_SHORT = 16_383  # a str this short is surely within Excel's 32 767 UTF-16 units
_LETTERS = [xl_col_to_name(col) for col in range(64)]


def _fit(text: str) -> str:
    """A long text cut to Excel's limit of 32 767 UTF-16 code units, as xlsxwriter cuts it."""
    encoded = text.encode("utf-16-le", "surrogatepass")
    if len(encoded) <= 2 * 32_767:
        return text
    return encoded[:2 * 32_767].decode("utf-16-le", "ignore")


# The fast sheet relies on a few xlsxwriter internals; without them, the reference is used.
if not all(hasattr(Worksheet, name) for name in (
        "_write_rows", "_write_row", "_write_cell", "_xml_end_tag", "_check_dimensions")):
    _Fastsheet = _Sheet  # type: ignore[misc]
