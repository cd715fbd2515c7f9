"""Input templates: one .xlsx workbook to fill in, with a sheet for each table kind of the contract.

`ledgerflow template FILE [--locale ru|en]` writes it. Everything in it is derived from the
contract (`ledgerflow.contract`): the sheets are its table kinds, named as the reader recognises
them (`Клиенты`, `Платежи` … or `Clients`, `Payments` …), and each sheet's header row holds its
columns as an accountant writes them in the locale (the Russian alias, or the English name), bold
and frozen. Each header carries a note with its rule: the kind of value, required or not, the
default, the accepted words, the date format. Choice columns (client type, status, payment kind),
yes/no columns and ISO currency and country columns get a drop-down list; the lists are on a hidden
sheet, `ledgerflow_lists`, which the reader reports as the template's lists and never loads. Date
columns accept dates only and show them as the locale writes them; IDs, tax IDs and other text
columns are formatted as text, so a tax ID or a payment number typed with a leading zero keeps it;
money columns show two decimals.

The example rows. Each sheet holds one example row (the clients sheet two: a master account and
the related account the example link joins), and the examples agree across sheets: the example
payment and rate are the master's, the expense, discount and tax the related account's, on the
expense's product. They are valid books on their own, and each names an example login
(`Romashka`, `Romashka_SPB`), so no real row is ever taken for one. Still, an example is not the
accountant's data, so the reader leaves out a row that is still an example as the template wrote
it (`example_rows`, called by `ledgerflow.read.inbox`) and says so (an `info`, rule
`template_example`): every cell as the example's, blank where it is blank; its choices, yes/no
and free texts (names, comments, products) in the words of any locale ledgerflow speaks, without
regard to case or spacing. A row the accountant has typed over in any cell, a name or a product
as much as an amount, is theirs and is loaded: a client whose login happens to be `Romashka` is
never dropped for a name the template did not write (and an example payment whose amount alone
was changed then names the example client, which is not loaded: it is refused, naming it). So a
template dropped as it is loads clean and loads nothing, the accountant may type over the example
or below it, and a forgotten example never puts a made-up client into the books (nor makes a
second accountant's workbook, with the same example, clash with the first's).

Every word in the workbook is English in the code and goes through the catalog of the workbook's
locale (`ledgerflow.i18n`); the column names are the contract's. The bytes depend only on the
locale and the catalog: the same template every time.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ledgerflow.choices import choice_word
from ledgerflow.contract import KINDS, Column, TableKind
from ledgerflow.errors import UsageError
from ledgerflow.i18n import LANGUAGES, N_, _, or_list, translations, use_locale
from ledgerflow.values.cells import cell_text, is_datetime, is_number
from ledgerflow.values.codes import _bool_of, _norm
from ledgerflow.values.currencies import _country_codes, _currency_codes
from ledgerflow.values.sheets import column_letters

# The hidden sheet of the drop-down lists; the reader knows it by this name (no table kind
# begins with "ledgerflow") and does not load it.
LISTS_SHEET = "ledgerflow_lists"
# The rows that get the columns' formats and validations: every row under the header.
LAST_ROW = 1_048_575  # 0-based: Excel's last row
CREATED = datetime(2000, 1, 1)  # the workbook's date, so its bytes do not depend on the day

MONEY_FORMAT = "#,##0.00"
DECIMAL_FORMAT = "0.00####"
WHOLE_FORMAT = "0"
TEXT_FORMAT = "@"
# Types whose cells are text: written and typed as text, so leading zeros and long digit
# strings stay as they are. Choice, yes/no and code columns too: what the lists hold is text.
TEXT_TYPES = frozenset({"id", "text", "tax_id", "email", "currency", "country", "enum", "bool"})


@dataclass(frozen=True)
class DateStyle:
    number_format: str  # how a date cell shows
    pattern: str  # the same for a person, marked for translation: DD.MM.YYYY -> ДД.ММ.ГГГГ
    strftime: str  # an example date written that way


DATE_STYLES = {
    "ru": DateStyle("dd.mm.yyyy", N_("DD.MM.YYYY"), "%d.%m.%Y"),
    "en": DateStyle("yyyy-mm-dd", N_("YYYY-MM-DD"), "%Y-%m-%d"),
}
YES_NO = {True: N_("yes"), False: N_("no")}  # as a yes/no cell is written in the locale


# --------------------------------------------------------------------------------------------
# The example rows
# --------------------------------------------------------------------------------------------
# Per table kind, the example rows: column -> value. A text column's value is English marked for
# translation (the workbook writes it in its locale); a choice column's is its canonical value
# (written as the locale's word); a yes/no column's a bool; money and numbers Decimal; dates
# date; IDs, codes and tax IDs as they are. A column left out is blank.
MASTER, RELATED = "Romashka", "Romashka_SPB"
EXAMPLES: dict[str, tuple[dict[str, object], ...]] = {
    "clients": (
        {"client_id": MASTER, "name": N_("Romashka LLC"), "client_type": "legal",
         "tax_id": "0012345673", "country": "RU", "currency": "RUB",
         "credit_limit": Decimal("10000.00"), "postpay": False, "deferral_days": 30,
         "block_after_days": 60, "email": "buh@romashka.example", "manager": N_("Anna Ivanova"),
         "status": "active", "region": N_("Moscow")},
        {"client_id": RELATED, "name": N_("Romashka LLC, Saint Petersburg branch"),
         "client_type": "legal", "tax_id": "0012345673", "country": "RU", "currency": "RUB",
         "credit_limit": Decimal("0.00"), "postpay": False, "email": "spb@romashka.example",
         "manager": N_("Anna Ivanova"), "status": "active", "region": N_("Saint Petersburg")},
    ),
    "links": (
        {"master_id": MASTER, "related_id": RELATED, "linked_on": date(2026, 10, 1)},
    ),
    "payments": (
        {"payment_id": "00123", "client_id": MASTER, "date": date(2026, 10, 5),
         "amount": Decimal("15000.00"), "currency": "RUB", "kind": "payment",
         "reference": N_("payment order 123"), "comment": N_("Top-up by bank transfer")},
    ),
    "expenses": (
        {"expense_id": "E-0001", "client_id": RELATED, "date": date(2026, 10, 6),
         "amount": Decimal("1200.50"), "currency": "RUB", "product_type": N_("hosting"),
         "description": N_("Hosting, October")},
    ),
    "rates": (
        {"client_id": MASTER, "base_currency": "RUB", "currency": "USD", "rate": Decimal("95.5"),
         "units": 1, "valid_from": date(2026, 10, 1)},
    ),
    "discounts": (
        {"client_id": RELATED, "percent": Decimal("5"), "product_type": N_("hosting"),
         "valid_from": date(2026, 10, 1), "valid_to": date(2026, 12, 31)},
    ),
    "taxes": (
        {"client_id": RELATED, "rate_pct": Decimal("20"), "product_type": N_("hosting"),
         "valid_from": date(2026, 10, 1)},
    ),
}


def example_rows(kind: TableKind, columns: Mapping[str, str], frame: pd.DataFrame) -> list[int]:
    """The rows of a table read from a sheet (index: Excel row numbers; `columns`: contract
    column -> header) that are one of the template's example rows as it wrote them, in either
    locale: every column of the sheet as the example has it, blank where it is blank.

    Cheap on a large table: the columns are compared whole (IDs and codes as text, numbers as
    numbers, dates as dates) until few candidate rows are left, and only those are looked at
    cell by cell.
    """
    found: set[int] = set()
    if frame.empty or not columns:
        return []
    for example in EXAMPLES.get(kind.name, ()):
        candidates = np.ones(len(frame), dtype=bool)
        for name, header in columns.items():
            candidates &= _could_be(kind.column(name), example.get(name), frame[header])
            if not candidates.any():
                break
        rows = np.flatnonzero(candidates)
        for name, header in columns.items():  # each distinct cell judged once
            if not len(rows):
                break
            column, expected = kind.column(name), example.get(name)
            codes, distinct = pd.factorize(frame[header].iloc[rows].to_numpy(dtype=object))
            judged = np.array([*(_is(column, expected, cell) for cell in distinct),
                               _is(column, expected, None)], dtype=bool)
            rows = rows[judged[codes]]  # code -1, a blank cell, is judged last
        found.update(int(row) for row in frame.index[rows])
    return sorted(found)


def _could_be(column: Column, expected: object, cells: pd.Series) -> np.ndarray:
    """Where a column's cells may hold `expected` as the template wrote it: a coarse test of
    the whole column at once; `_is` decides."""
    textual = cells.dtype == object or isinstance(cells.dtype, pd.StringDtype)
    if expected is None:  # a blank cell, or a text that may be spaces only
        return cells.isna().to_numpy(dtype=bool) | textual
    if isinstance(expected, str) and column.type not in ("enum", "text"):  # an ID, a code
        if not textual:
            return np.zeros(len(cells), dtype=bool)
        return (cells == expected).to_numpy(dtype=bool, na_value=False)
    if isinstance(expected, (str, bool)):  # words, which each locale writes its own way
        return np.full(len(cells), textual)
    if isinstance(expected, date):
        if pd.api.types.is_datetime64_any_dtype(cells.dtype):
            return (cells == pd.Timestamp(expected)).to_numpy(dtype=bool, na_value=False)
        return np.full(len(cells), cells.dtype == object)
    if pd.api.types.is_numeric_dtype(cells.dtype) and not pd.api.types.is_bool_dtype(cells.dtype):
        return (cells == float(expected)).to_numpy(dtype=bool, na_value=False)  # type: ignore[arg-type]
    return np.full(len(cells), cells.dtype == object)


def _is(column: Column, expected: object, cell: object) -> bool:
    """The cell holds `expected` as the template writes it, in one of the locales."""
    text = cell_text(cell)
    if expected is None:
        return text == ""
    if isinstance(expected, bool):
        return isinstance(cell, str) and _bool_of(cell) is expected
    if isinstance(expected, date):
        return is_datetime(cell) and text == expected.isoformat()
    if isinstance(expected, (Decimal, int)):
        return is_number(cell) and text == cell_text(Decimal(expected))
    assert isinstance(expected, str)
    if column.type == "enum":
        lookup = {_norm(k): v for k, v in (column.choices or {}).items()}
        return lookup.get(_norm(text)) == expected
    if column.type == "text":
        return isinstance(cell, str) and _norm(text) in _spellings(expected)
    return text == expected


@functools.cache
def _spellings(message: str) -> frozenset[str]:
    """An example's free text as each locale's catalog writes it (`_norm`'s spelling)."""
    return frozenset(_norm(translations(locale).gettext(message)) for locale in LANGUAGES)


# --------------------------------------------------------------------------------------------
# The workbook
# --------------------------------------------------------------------------------------------


def write_template(path: Path, locale: str) -> list[str]:
    """Write the template of `locale` to `path` (a new .xlsx file); its sheets' names."""
    from ledgerflow.render.writer import write_file

    if path.suffix.lower() != ".xlsx":
        raise UsageError(_("A template is an Excel workbook: give its file name the .xlsx "
                           "extension, like {example}.").format(example=f"{path.stem}.xlsx"))
    if path.exists():
        raise UsageError(_("{file} already exists. A template is never written over a file, "
                           "which may hold your work: remove it or name another file.")
                         .format(file=path))
    with use_locale(locale):
        sheets: list[str] = []
        write_file(path, lambda temp: sheets.extend(_write(temp, locale)))
    return sheets


def sheet_name(kind: TableKind, locale: str) -> str:
    """The sheet of a table kind as an accountant names it: `Клиенты`, `Clients`."""
    return _capitalised(kind.alias if locale == "ru" else kind.name)


def heading(column: Column, locale: str) -> str:
    """A column's header as an accountant writes it: `Номер платежа`, `ИНН`, `Payment ID`."""
    if locale == "ru":
        return _capitalised(column.alias)
    words = ["ID" if w == "id" else w for w in column.name.split("_")]
    return _capitalised(" ".join(words))


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


@dataclass
class _Lists:
    """The drop-down lists, each a column of the hidden lists sheet."""

    columns: list[tuple[str, list[str]]]
    where: dict[tuple[str, ...], str]  # the list's key -> its range, as a validation's source

    def source(self, key: tuple[str, ...], title: str, words: Callable[[], list[str]]) -> str:
        if key not in self.where:
            letters = column_letters(len(self.columns))
            values = words()
            self.columns.append((title, values))
            self.where[key] = f"='{LISTS_SHEET}'!${letters}$2:${letters}${len(values) + 1}"
        return self.where[key]


def _list_of(column: Column, locale: str, lists: _Lists) -> str | None:
    """The validation source of a column's drop-down, or None when it has none."""
    if column.type == "enum":
        canonical = _canonical(column)
        return lists.source(("enum", *canonical), heading(column, locale),
                            lambda: [choice_word(value) for value in canonical])
    if column.type == "bool":
        return lists.source(("bool",), _("Yes or no"), lambda: [_(YES_NO[True]),
                                                                _(YES_NO[False])])
    if column.type == "currency":
        return lists.source(("currency",), _("Currencies (ISO 4217)"),
                            lambda: sorted(_currency_codes()))
    if column.type == "country":
        return lists.source(("country",), _("Countries (ISO 3166)"),
                            lambda: sorted(_country_codes()[0]))
    return None


def _canonical(column: Column) -> list[str]:
    return list(dict.fromkeys((column.choices or {}).values()))


def _write(path: Path, locale: str) -> list[str]:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {
        "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
    })
    workbook.set_properties({"title": _("ledgerflow input template"), "author": "ledgerflow",
                             "created": CREATED})
    styles = _Styles(workbook, DATE_STYLES[locale])
    lists = _Lists([], {})
    names = []
    for kind in KINDS.values():
        names.append(sheet_name(kind, locale))
        _write_sheet(workbook.add_worksheet(names[-1]), kind, locale, styles, lists)
    hidden = workbook.add_worksheet(LISTS_SHEET)
    for col, (title, words) in enumerate(lists.columns):
        hidden.write_string(0, col, title, styles.header)
        for row, word in enumerate(words, start=1):
            hidden.write_string(row, col, word, styles.formats["text"])
        hidden.set_column(col, col, max(14, len(title) + 2))
    hidden.hide()
    workbook.close()
    return names


class _Styles:
    def __init__(self, workbook: Any, dates: DateStyle) -> None:
        self.dates = dates
        self.header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1,
                                           "valign": "top", "text_wrap": True})
        self.formats = {
            "text": workbook.add_format({"num_format": TEXT_FORMAT}),
            "date": workbook.add_format({"num_format": dates.number_format}),
            "money": workbook.add_format({"num_format": MONEY_FORMAT}),
            "decimal": workbook.add_format({"num_format": DECIMAL_FORMAT}),
            "whole": workbook.add_format({"num_format": WHOLE_FORMAT}),
        }

    def of(self, column: Column) -> Any:
        """The cells' format of a column: text, a date, money, a number."""
        if column.type in TEXT_TYPES:
            return self.formats["text"]
        return self.formats[column.type]


def _write_sheet(sheet: Any, kind: TableKind, locale: str, styles: _Styles,
                 lists: _Lists) -> None:
    widest = [len(heading(column, locale)) + 4 for column in kind.columns]
    for col, column in enumerate(kind.columns):
        sheet.write_string(0, col, heading(column, locale), styles.header)
        note = rule_note(column, kind, locale)
        sheet.write_comment(0, col, note, _note_size(note))
        _validate(sheet, col, column, locale, lists)
    for row, example in enumerate(EXAMPLES.get(kind.name, ()), start=1):
        for col, column in enumerate(kind.columns):
            shown = _write_value(sheet, row, col, column, example.get(column.name), styles)
            widest[col] = max(widest[col], len(shown) + 2)
    for col, column in enumerate(kind.columns):  # the column's width, and its cells' format
        sheet.set_column(col, col, min(max(widest[col], 12), 48), styles.of(column))
    sheet.write_comment(1, 0, _("An example row: type your own row over it, or delete it. "
                                "Left exactly as it is, it is not loaded."),
                        {"author": "ledgerflow", "x_scale": 2})
    sheet.freeze_panes(1, 0)


def _note_size(note: str) -> dict[str, object]:
    """A note's box, tall enough for its text (about 40 characters a line of 300 pixels, 16
    pixels a line; Excel's default box is 128 by 74)."""
    lines = sum(-(-max(len(line), 1) // 40) for line in note.split("\n"))
    return {"author": "ledgerflow", "x_scale": 2.4, "y_scale": max(2.0, (16 * lines + 12) / 74)}


def _write_value(sheet: Any, row: int, col: int, column: Column, value: object,
                 styles: _Styles) -> str:
    """Write an example's cell in the locale; the text it shows, near enough for its width."""
    style = styles.of(column)
    if value is None:  # blank, in the column's format like the cells under it
        sheet.write_blank(row, col, None, style)
        return ""
    if isinstance(value, date):
        sheet.write_datetime(row, col, datetime.combine(value, datetime.min.time()), style)
        return "05.10.2026"
    if isinstance(value, (Decimal, int)) and not isinstance(value, bool):
        sheet.write_number(row, col, float(value), style)
        return f"{value:,.2f}"
    if isinstance(value, bool):
        text = _(YES_NO[value])
    elif column.type == "enum":
        text = choice_word(str(value))
    elif column.type == "text":
        text = _(str(value))
    else:
        text = str(value)
    sheet.write_string(row, col, text, style)
    return text


def _limit(text: str, most: int) -> str:
    """Excel's limits on a validation's title (32) and message (255 characters)."""
    return text if len(text) <= most else text[: most - 1] + "…"


def _validate(sheet: Any, col: int, column: Column, locale: str, lists: _Lists) -> None:
    if column.type == "date":
        example = date(2026, 10, 5).strftime(DATE_STYLES[locale].strftime)
        sheet.data_validation(1, col, LAST_ROW, col, {
            "validate": "date", "criteria": "between",
            "minimum": date(1900, 1, 1), "maximum": date(9999, 12, 31),
            "error_title": _limit(_("Not a date"), 32),
            "error_message": _limit(_("Type a date, like {example}.").format(example=example),
                                    255)})
        return
    source = _list_of(column, locale, lists)
    if source is None:
        return
    sheet.data_validation(1, col, LAST_ROW, col, {
        "validate": "list", "source": source,
        "error_title": _limit(_("Not in the list"), 32),
        "error_message": _limit(_("Pick a value of the list: click the cell's arrow."), 255)})


# --------------------------------------------------------------------------------------------
# A header's note: the column's rule in the locale's words
# --------------------------------------------------------------------------------------------


def rule_note(column: Column, kind: TableKind, locale: str) -> str:
    """The rule of a column, in lines: what it holds, its format, required or its default."""
    lines = [_what(column, kind, locale)]
    if column.client_ref:
        lines.append(_("A client's login: on the clients sheet, or loaded earlier."))
    if column.name == kind.id_column:
        lines.append(_("Unique: no two rows, in this file or loaded earlier, may have the same "
                       "one (case does not count)."))
    if column.minimum is not None:
        lines.append(_("At least {minimum}.").format(minimum=column.minimum))
    if column.required:
        lines.append(_("Required."))
    elif column.type == "tax_id":  # the INN rule of the clients table (SPEC clients.tax_id)
        lines.append(_("Required for a company or a sole proprietor in Russia; else optional."))
    elif column.default is not None:
        lines.append(_("Optional; blank means {default}.").format(
            default=_value_word(column, column.default)))
    elif column.blank is not None:
        lines.append(_("Optional; blank means {meaning}.").format(meaning=_(column.blank)))
    else:
        lines.append(_("Optional."))
    return "\n".join(lines)


def _value_word(column: Column, value: str) -> str:
    """A default as the locale writes it in a cell."""
    if column.type == "enum":
        return choice_word(value)
    if column.type == "bool":
        return _(YES_NO[value.lower() in ("yes", "true", "1")])
    return value


def _what(column: Column, kind: TableKind, locale: str) -> str:
    """What a column holds and how it is written."""
    match column.type:
        case "id":
            return _("An ID: 1–64 Latin letters, digits, '_', '.' or '-'.")
        case "text":
            return _("Text, up to {count} characters.").format(count=column.max_length)
        case "money":
            return _("An amount, like 1234.56, with no more decimals than its currency has "
                     "(2 for most, 0 for JPY).")
        case "decimal":
            return _("A number, like 12.5.")
        case "whole":
            return _("A whole number.")
        case "date":
            return _("A date: {pattern}.").format(pattern=_(DATE_STYLES[locale].pattern))
        case "currency":
            return _("A currency: its three-letter ISO 4217 code, like RUB, USD or EUR "
                     "(see the list).")
        case "country":
            return _("A country: its two-letter ISO 3166 code, like RU or KZ (see the list).")
        case "tax_id":
            return _("A tax ID (INN): digits only, 10 for a company, 12 for a person or sole "
                     "proprietor. The cells are text, so a leading 0 stays.")
        case "bool":
            return _("Yes or no: {words}.").format(
                words=or_list([_(YES_NO[True]), _(YES_NO[False])]))
        case "enum":
            return _("One of: {words}.").format(
                words=or_list([choice_word(v) for v in _canonical(column)]))
        case "email":
            return _("An e-mail address.")
    return ""
