"""`ledgerflow template`: the input template, derived from the contract, in both locales.

Its cells (headers, notes, drop-downs, formats, the hidden lists sheet) are read back with
openpyxl; a template as it is, one filled in here and the same saved again by LibreOffice are
loaded with `ledgerflow load`, and the warehouse is asked what it holds.
"""

from __future__ import annotations

import datetime as dt
import gettext
import re
import shutil
import subprocess
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import warehouse_rows as rows_of
from openpyxl.worksheet.worksheet import Worksheet

from ledgerflow import i18n
from ledgerflow.choices import choice_word
from ledgerflow.cli import main
from ledgerflow.contract import KINDS, Column, TableKind, column_lookup, column_named
from ledgerflow.values.codes import _bool_of, _norm
from ledgerflow.values.currencies import _country_codes, _currency_codes
from ledgerflow.values.taxid import complete_inn, inn_is_valid
from ledgerflow.workbook_template import (
    EXAMPLES,
    LISTS_SHEET,
    TEXT_TYPES,
    example_rows,
    heading,
    sheet_name,
)

LOCALES = ("ru", "en")
FORMATS = ("xlsx", "ods")  # as LibreOffice saves a workbook again
LAST_ROW = 1_048_576
DATE_FORMATS = {"ru": "dd.mm.yyyy", "en": "yyyy-mm-dd"}
NUMBER_FORMATS = {"money": "#,##0.00", "decimal": "0.00####", "whole": "0"}
# A tax ID with leading zeros and valid check digits, as an accountant types it.
TAX_ID = complete_inn("000123456")
needs_libreoffice = pytest.mark.skipif(shutil.which("soffice") is None,
                                       reason="LibreOffice (soffice) is not installed")


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def template(folder: Path, locale: str, name: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (name or f"template_{locale}.xlsx")
    code, output = invoke("template", str(path), "--locale", locale)
    assert code == 0, output
    return path


def load(inbox: Path, warehouse: Path) -> tuple[int, str]:
    return invoke("load", str(inbox), "--warehouse", str(warehouse))


def assert_clean(code: int, output: str) -> None:
    """Exit 0, and nothing said but infos."""
    assert code == 0, output
    said = [line for line in output.splitlines() if re.match(r"(error|warning): ", line)]
    assert not said, output


def column_format(sheet: Worksheet, position: int) -> str:
    """The number format of a whole column (what a cell typed into it gets), 0-based."""
    for dimension in sheet.column_dimensions.values():
        if dimension.min is not None and dimension.min <= position + 1 <= dimension.max:
            return str(dimension.number_format)
    return "General"


def validation_of(sheet: Worksheet, position: int) -> Any:
    """The data validation covering the column's cells from row 2 on, or None."""
    letter = openpyxl.utils.get_column_letter(position + 1)
    found = [v for v in sheet.data_validations.dataValidation
             if f"{letter}2" in v.sqref and f"{letter}{LAST_ROW}" in v.sqref]
    assert len(found) <= 1
    return found[0] if found else None


def list_words(book: Any, validation: Any) -> list[str]:
    """The words a list validation offers, read from the range it names."""
    match = re.fullmatch(r"'?([^'!]+)'?!\$([A-Z]+)\$(\d+):\$([A-Z]+)\$(\d+)",
                         validation.formula1.lstrip("="))
    assert match, validation.formula1
    sheet, first, top, last, bottom = match.groups()
    assert (sheet, first) == (LISTS_SHEET, last)
    cells = book[sheet][f"{first}{top}:{last}{bottom}"]
    return [row[0].value for row in cells]


def expected_words(column: Column, locale: str) -> list[str]:
    """What the template's drop-down of a column offers in `locale`."""
    with i18n.use_locale(locale):
        if column.type == "enum":
            assert column.choices is not None
            return [choice_word(v) for v in dict.fromkeys(column.choices.values())]
        if column.type == "bool":
            return [i18n._("yes"), i18n._("no")]
    if column.type == "currency":
        return sorted(_currency_codes())
    assert column.type == "country"
    return sorted(_country_codes()[0])


@pytest.fixture(params=LOCALES)
def locale(request: pytest.FixtureRequest) -> str:
    return str(request.param)


# --------------------------------------------------------------------------------------------
# The workbook's cells
# --------------------------------------------------------------------------------------------


def test_a_sheet_per_kind_with_the_headers_the_locale_writes(tmp_path: Path, locale: str) -> None:
    book = openpyxl.load_workbook(template(tmp_path, locale))

    assert book.sheetnames == [sheet_name(k, locale) for k in KINDS.values()] + [LISTS_SHEET]
    expected = {"ru": ["Клиенты", "Связи", "Платежи", "Расходы", "Курсы", "Скидки", "Налоги"],
                "en": ["Clients", "Links", "Payments", "Expenses", "Rates", "Discounts",
                       "Taxes"]}[locale]
    assert book.sheetnames[:-1] == expected
    for kind in KINDS.values():
        sheet = book[sheet_name(kind, locale)]
        headers = [cell.value for cell in sheet[1]]
        assert headers == [heading(c, locale) for c in kind.columns]
        # each header is read back as its column, and every column of the contract is there
        assert [column_named(column_lookup(kind), h) for h in headers] == kind.column_names
        assert all(cell.font.b for cell in sheet[1])
        assert sheet.freeze_panes == "A2"
    clients = [cell.value for cell in book[expected[0]][1]]
    assert clients[:4] == {"ru": ["Логин", "Наименование", "Тип", "ИНН"],
                           "en": ["Client ID", "Name", "Client type", "Tax ID"]}[locale]
    payments = [cell.value for cell in book[expected[2]][1]]
    assert payments[0] == {"ru": "Номер платежа", "en": "Payment ID"}[locale]


def test_each_header_has_a_note_with_its_rule_in_english(tmp_path: Path) -> None:
    book = openpyxl.load_workbook(template(tmp_path, "en"))
    notes = {(sheet.title, cell.value): cell.comment.text for sheet in book.worksheets[:-1]
             for cell in sheet[1]}

    assert notes["Clients", "Client ID"] == (
        "An ID: 1–64 Latin letters, digits, '_', '.' or '-'.\n"
        "Unique: no two rows, in this file or loaded earlier, may have the same one (case does "
        "not count).\nRequired.")
    assert notes["Clients", "Client type"] == (
        "One of: legal, individual or sole_proprietor.\nRequired.")
    assert notes["Clients", "Tax ID"].startswith("A tax ID (INN): digits only")
    assert "leading 0 stays" in notes["Clients", "Tax ID"]
    assert notes["Clients", "Tax ID"].endswith(
        "\nRequired for a company or a sole proprietor in Russia; else optional.")
    assert notes["Clients", "Credit limit"] == (
        "An amount, like 1234.56, with no more decimals than its currency has (2 for most, 0 "
        "for JPY).\nAt least 0.\nOptional; blank means 0.")
    assert notes["Clients", "Postpay"] == "Yes or no: yes or no.\nOptional; blank means no."
    assert notes["Clients", "Status"] == (
        "One of: active, blocked or closed.\nOptional; blank means active.")
    assert notes["Clients", "Country"].endswith("\nOptional; blank means RU.")
    assert notes["Payments", "Date"] == "A date: YYYY-MM-DD.\nRequired."
    assert notes["Payments", "Client ID"] == (
        "An ID: 1–64 Latin letters, digits, '_', '.' or '-'.\n"
        "A client's login: on the clients sheet, or loaded earlier.\nRequired.")
    assert notes["Payments", "Kind"] == (
        "One of: payment, refund, withdrawal or correction.\nOptional; blank means payment.")
    assert notes["Payments", "Comment"] == "Text, up to 1000 characters.\nOptional."
    assert notes["Rates", "Units"] == "A whole number.\nAt least 1.\nOptional; blank means 1."
    assert notes["Links", "Unlinked on"] == (
        "A date: YYYY-MM-DD.\nOptional; blank means still linked.")
    assert notes["Clients", "Deferral days"] == (
        "A whole number.\nAt least 0.\nOptional; blank means no limit.")
    assert notes["Rates", "Client ID"].endswith("\nOptional; blank means the default for every "
                                                "client.")
    assert notes["Taxes", "Product type"] == (
        "Text, up to 100 characters.\nOptional; blank means every product.")
    assert notes["Clients", "Manager"] == "Text, up to 200 characters.\nOptional."
    # the example row says what it is
    assert book["Clients"]["A2"].comment.text.startswith("An example row: type your own row")


def test_the_russian_notes_are_the_catalogs_words_for_russian(tmp_path: Path) -> None:
    book = openpyxl.load_workbook(template(tmp_path, "ru"))
    clients, payments = book["Клиенты"], book["Платежи"]

    with i18n.use_locale("ru"):
        assert payments["C1"].comment.text == "\n".join([
            i18n._("A date: {pattern}.").format(pattern=i18n._("DD.MM.YYYY")),
            i18n._("Required.")])
        words = i18n.or_list([choice_word(v) for v in ("legal", "individual",
                                                       "sole_proprietor")])
        assert clients["C1"].comment.text == "\n".join([
            i18n._("One of: {words}.").format(words=words), i18n._("Required.")])
    assert i18n.active() == "en"  # the run's locale is left as it was
    # as the Russian catalog says them: the accountant's words, the format, the example
    assert "ДД.ММ.ГГГГ" in payments["C1"].comment.text
    assert all(w in clients["C1"].comment.text for w in ("юрлицо", "физлицо", "ИП"))
    assert clients["B2"].value == "ООО «Ромашка»"
    assert (clients["C2"].value, clients["H2"].value, clients["M2"].value) == (
        "юрлицо", "нет", "активен")
    assert payments["F2"].value == "платёж"


def test_every_word_of_the_workbook_goes_through_the_catalog_of_its_locale(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With a catalog that marks every Russian message ‹so›, the Russian template has no word
    that is not marked but the contract's names (sheets, headers), IDs, codes and numbers; the
    command's message is in --locale's language too, as every command's, and the run's locale
    is English again after it."""

    class Marking(gettext.NullTranslations):
        def gettext(self, message: str) -> str:
            return f"‹{message}›"

    real = i18n.translations
    monkeypatch.setattr(i18n, "translations",
                        lambda locale: Marking() if locale == "ru" else real(locale))
    path = tmp_path / "шаблон.xlsx"
    code, output = invoke("template", str(path), "--locale", "ru")
    assert code == 0 and output.startswith("‹Wrote the template ")
    assert i18n.active() == "en"

    book = openpyxl.load_workbook(path)
    for kind in KINDS.values():
        sheet = book[sheet_name(kind, "ru")]
        for position, column in enumerate(kind.columns):
            header = sheet.cell(1, position + 1)
            assert header.value == heading(column, "ru")
            assert all(line.startswith("‹") for line in header.comment.text.split("\n"))
            validation = validation_of(sheet, position)
            if validation is not None:
                assert validation.errorTitle.startswith("‹")
                assert validation.error.startswith("‹")
            for row in range(2, 2 + len(EXAMPLES[kind.name])):
                value = sheet.cell(row, position + 1).value
                if column.type in ("text", "enum", "bool") and value is not None:
                    assert value.startswith("‹"), (kind.name, column.name, value)
        assert sheet["A2"].comment.text.startswith("‹")
    lists = book[LISTS_SHEET]
    for cells in lists.iter_cols():
        title, words = cells[0].value, [c.value for c in cells[1:] if c.value is not None]
        if title in ("‹Yes or no›",):
            assert words == ["‹yes›", "‹no›"]
        elif title.startswith("‹"):  # currencies, countries: codes
            assert all(re.fullmatch("[A-Z]{2,3}", w) for w in words)
        else:  # a choice column's list, titled by its header
            assert all(w.startswith("‹") for w in words), title
    assert book.properties.title == "‹ledgerflow input template›"


def test_drop_downs_for_choices_yes_no_and_codes_and_dates_only_in_date_columns(
        tmp_path: Path, locale: str) -> None:
    book = openpyxl.load_workbook(template(tmp_path, locale))

    listed = set()
    for kind in KINDS.values():
        sheet = book[sheet_name(kind, locale)]
        for position, column in enumerate(kind.columns):
            validation = validation_of(sheet, position)
            if column.type in ("enum", "bool", "currency", "country"):
                assert validation is not None and validation.type == "list", column.name
                assert validation.errorStyle in (None, "stop")
                words = list_words(book, validation)
                assert words == expected_words(column, locale)
                listed.add(column.type)
            elif column.type == "date":
                assert validation is not None and validation.type == "date", column.name
                # between 01.01.1900 and 31.12.9999: any date, nothing else
                assert validation.operator in (None, "between")  # between is the default
                assert (validation.formula1, validation.formula2) == ("1", "2958465")
            else:
                assert validation is None, column.name
    assert listed == {"enum", "bool", "currency", "country"}
    assert {"RUB", "USD", "EUR", "KZT", "JPY"} <= set(sorted(_currency_codes()))


def test_the_drop_down_words_are_words_the_reader_accepts(tmp_path: Path, locale: str) -> None:
    """Whatever the catalog makes of them, the offered words read back as their values."""
    for kind in KINDS.values():
        for column in kind.columns:
            if column.type == "enum":
                assert column.choices is not None
                lookup = {_norm(k): v for k, v in column.choices.items()}
                canonical = list(dict.fromkeys(column.choices.values()))
                assert [lookup.get(_norm(w)) for w in expected_words(column, locale)] == canonical
            elif column.type == "bool":
                assert [_bool_of(w) for w in expected_words(column, locale)] == [True, False]


def test_ids_and_tax_ids_are_text_dates_dates_and_money_numbers(tmp_path: Path,
                                                                locale: str) -> None:
    book = openpyxl.load_workbook(template(tmp_path, locale))

    for kind in KINDS.values():
        sheet = book[sheet_name(kind, locale)]
        for position, column in enumerate(kind.columns):
            if column.type in TEXT_TYPES:
                expected = "@"
            elif column.type == "date":
                expected = DATE_FORMATS[locale]
            else:
                expected = NUMBER_FORMATS[column.type]
            # the whole column, where the accountant types, and the example's cells
            assert column_format(sheet, position) == expected, (kind.name, column.name)
            for row in range(2, 2 + len(EXAMPLES[kind.name])):
                assert sheet.cell(row, position + 1).number_format == expected
    tax_id = book[sheet_name(KINDS["clients"], locale)]["D2"]
    assert (tax_id.value, tax_id.number_format) == ("0012345673", "@")
    payment = book[sheet_name(KINDS["payments"], locale)]
    assert payment["A2"].value == "00123"
    assert payment["C2"].value == dt.datetime(2026, 10, 5)
    assert (payment["D2"].value, payment["D2"].number_format) == (15000, "#,##0.00")


def test_the_lists_sheet_is_hidden_and_the_same_template_is_the_same_bytes(
        tmp_path: Path) -> None:
    first = template(tmp_path, "ru", "a.xlsx")
    second = template(tmp_path, "ru", "b.xlsx")

    assert openpyxl.load_workbook(first)[LISTS_SHEET].sheet_state == "hidden"
    assert first.read_bytes() == second.read_bytes()


def test_the_example_tax_id_is_valid_and_the_examples_agree_across_sheets() -> None:
    clients = {row["client_id"]: row for row in EXAMPLES["clients"]}
    assert inn_is_valid(str(clients["Romashka"]["tax_id"]))
    assert str(clients["Romashka"]["tax_id"]).startswith("00")
    # every example names an example login, so no real row is taken for one
    for kind, examples in EXAMPLES.items():
        for row in examples:
            names = {row.get(c) for c in (*KINDS[kind].client_references, "client_id")}
            assert names & set(clients), (kind, row)
    named = {row[c] for kind, examples in EXAMPLES.items() if kind != "clients"
             for row in examples for c in KINDS[kind].client_references if c in row}
    assert named == set(clients)


def test_an_example_is_found_among_many_rows_only_as_the_template_wrote_it() -> None:
    """`example_rows` on a large table: the untouched example row, wherever it stands, in
    either locale's words, and no row that differs from it in one cell, a free text too."""
    kind, n = KINDS["payments"], 200_000
    headers = {name: heading(kind.column(name), "ru") for name in kind.column_names}
    frame = pd.DataFrame({
        headers["payment_id"]: pd.array([f"{i:06d}" for i in range(n)], dtype="string"),
        headers["client_id"]: pd.array(["Romashka"] * n, dtype="string"),
        headers["date"]: np.full(n, np.datetime64("2026-10-05", "ns")),
        headers["amount"]: np.full(n, 15000.0),
        headers["currency"]: pd.array(["RUB"] * n, dtype="string"),
        headers["kind"]: pd.array(["payment"] * n, dtype="string"),
        headers["reference"]: pd.array(["payment order 123"] * n, dtype="string"),
        headers["comment"]: pd.array(["Top-up by bank transfer"] * n, dtype="string"),
    }, index=pd.RangeIndex(2, n + 2))
    id_header = headers["payment_id"]
    frame.loc[[100, 5000, 7000, 9000, 9001], id_header] = "00123"  # the example's number
    frame.loc[5000, headers["kind"]] = "Платёж"  # another spelling of the same kind
    frame.loc[100, headers["comment"]] = "ПОПОЛНЕНИЕ  банковским переводом"  # the Russian one
    frame.loc[7000, headers["amount"]] = 15000.01  # one cell typed over
    frame.loc[9000, headers["comment"]] = "Пополнение"  # a free text typed over
    frame.loc[9001, headers["reference"]] = None  # a free text cleared

    assert example_rows(kind, headers, frame) == [100, 5000]
    assert example_rows(kind, {"payment_id": id_header}, frame) == [100, 5000, 7000, 9000, 9001]
    assert example_rows(KINDS["expenses"], {"expense_id": id_header}, frame) == []


def test_no_file_is_written_over_and_a_template_is_an_xlsx(tmp_path: Path) -> None:
    kept = tmp_path / "books.xlsx"
    kept.write_bytes(b"an accountant's work")

    code, output = invoke("template", str(kept))
    assert code == 2 and "already exists" in output
    assert kept.read_bytes() == b"an accountant's work"
    code, output = invoke("template", str(tmp_path / "books.xls"))
    assert code == 2 and ".xlsx" in output
    assert not (tmp_path / "books.xls").exists()


# --------------------------------------------------------------------------------------------
# Loading a template
# --------------------------------------------------------------------------------------------


def test_a_template_as_it_is_loads_clean_and_loads_nothing(tmp_path: Path, locale: str) -> None:
    inbox = tmp_path / "inbox"
    template(inbox, locale)
    warehouse = tmp_path / "ledger.duckdb"

    code, output = load(inbox, warehouse)

    assert_clean(code, output)
    assert f"template_{locale}.xlsx: loaded; 0 loaded" in output
    assert output.count("[template_example]") == sum(len(e) for e in EXAMPLES.values())
    assert f"info: template_{locale}.xlsx, sheet '{LISTS_SHEET}': " in output
    for kind in KINDS:
        assert rows_of(warehouse, f"SELECT count(*) FROM {kind}") == [(0,)]


def test_the_examples_are_books_that_load_clean_on_their_own(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Were the reader not to leave them out, the examples would load: they agree."""
    monkeypatch.setattr("ledgerflow.read.inbox.example_rows", lambda *args: [])
    inbox = tmp_path / "inbox"
    template(inbox, "ru")
    warehouse = tmp_path / "ledger.duckdb"

    assert_clean(*load(inbox, warehouse))
    for kind, examples in EXAMPLES.items():
        assert rows_of(warehouse, f"SELECT count(*) FROM {kind}") == [(len(examples),)]
    assert rows_of(warehouse, "SELECT client_id, tax_id FROM clients ORDER BY 1") == [
        ("Romashka", "0012345673"), ("Romashka_SPB", "0012345673")]


def fill_in(path: Path, locale: str) -> None:
    """What an accountant adds below the examples: a master account and its related account,
    their link, two payments and two expenses, with the words the drop-downs offer."""
    book = openpyxl.load_workbook(path)

    def word(kind: TableKind, column: str, value: str) -> str:
        col = kind.column(column)
        sheet = book[sheet_name(kind, locale)]
        validation = validation_of(sheet, kind.column_names.index(column))
        words = list_words(book, validation)
        if col.type == "bool":
            return words[0 if value == "yes" else 1]
        assert col.choices is not None
        return words[list(dict.fromkeys(col.choices.values())).index(value)]

    def add(kind_name: str, *rows: dict[str, object]) -> None:
        kind = KINDS[kind_name]
        sheet = book[sheet_name(kind, locale)]
        for row in rows:
            sheet.append([row.get(name) for name in kind.column_names])

    clients, payments = KINDS["clients"], KINDS["payments"]
    add("clients",
        {"client_id": "Vasilek", "name": "ООО «Василёк»", "tax_id": TAX_ID,
         "client_type": word(clients, "client_type", "legal"), "currency": "RUB",
         "credit_limit": 5000, "postpay": word(clients, "postpay", "no"),
         "status": word(clients, "status", "active")},
        {"client_id": "Vasilek_MSK", "name": "ООО «Василёк», Москва", "tax_id": TAX_ID,
         "client_type": word(clients, "client_type", "legal"), "country": "RU",
         "currency": "RUB", "region": "Москва"})
    add("links", {"master_id": "Vasilek", "related_id": "Vasilek_MSK",
                  "linked_on": dt.datetime(2026, 10, 1)})
    add("payments",
        {"payment_id": "000457", "client_id": "Vasilek", "date": dt.datetime(2026, 10, 7),
         "amount": 25000, "currency": "RUB", "kind": word(payments, "kind", "payment")},
        {"payment_id": "000458", "client_id": "Vasilek", "date": dt.datetime(2026, 10, 20),
         "amount": 1000.5, "currency": "RUB", "kind": word(payments, "kind", "refund")})
    add("expenses",
        {"expense_id": "E-1", "client_id": "Vasilek_MSK", "date": dt.datetime(2026, 10, 8),
         "amount": 3000.5, "currency": "RUB", "product_type": "хостинг"},
        {"expense_id": "E-2", "client_id": "Vasilek", "date": dt.datetime(2026, 10, 9),
         "amount": 150, "currency": "RUB"})
    book.save(path)


def assert_filled_in_books(warehouse: Path, file: str) -> None:
    assert rows_of(warehouse, "SELECT client_id, tax_id, client_type, postpay, status, country, "
                              "region FROM clients ORDER BY 1") == [
        ("Vasilek", TAX_ID, "legal", False, "active", "RU", None),
        ("Vasilek_MSK", TAX_ID, "legal", False, "active", "RU", "Москва")]
    assert rows_of(warehouse, "SELECT master_id, related_id, linked_on FROM links") == [
        ("Vasilek", "Vasilek_MSK", dt.date(2026, 10, 1))]
    assert rows_of(warehouse, "SELECT payment_id, date, amount, kind, source_file, source_row "
                              "FROM payments ORDER BY 1") == [
        ("000457", dt.date(2026, 10, 7), Decimal("25000.0000"), "payment", file, 3),
        ("000458", dt.date(2026, 10, 20), Decimal("1000.5000"), "refund", file, 4)]
    assert rows_of(warehouse, "SELECT expense_id, client_id, amount, product_type FROM expenses "
                              "ORDER BY 1") == [
        ("E-1", "Vasilek_MSK", Decimal("3000.5000"), "хостинг"),
        ("E-2", "Vasilek", Decimal("150.0000"), None)]
    for kind in ("rates", "discounts", "taxes"):
        assert rows_of(warehouse, f"SELECT count(*) FROM {kind}") == [(0,)]


def test_a_filled_in_template_loads_clean(tmp_path: Path, locale: str) -> None:
    inbox = tmp_path / "inbox"
    path = template(inbox, locale)
    fill_in(path, locale)
    warehouse = tmp_path / "ledger.duckdb"

    code, output = load(inbox, warehouse)

    assert_clean(code, output)
    assert f"{path.name}: loaded; 7 loaded" in output
    assert_filled_in_books(warehouse, path.name)


def test_a_row_typed_over_an_example_is_the_accountants_even_for_one_cell(
        tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    path = template(inbox, "en")
    book = openpyxl.load_workbook(path)
    book["Clients"]["B3"] = "Romashka, St Petersburg"  # a free text alone: the accountant's
    book["Expenses"]["G2"] = "Hosting, November"  # the related account's: loaded
    book["Discounts"]["C2"] = "domains"  # another product: loaded
    book["Payments"]["D2"] = 16000  # the master's payment, a new amount: loaded
    book.save(path)
    warehouse = tmp_path / "ledger.duckdb"

    code, output = load(inbox, warehouse)

    # the payment names Romashka, still an untouched example: not loaded, so it is refused
    assert code == 1
    assert re.search(r"error: template_en\.xlsx, sheet 'Payments', row 2, .*Romashka",
                     output), output
    assert re.search(r"info: template_en\.xlsx, sheet 'Clients', row 2: The template's "
                     r"example row, every cell as the template wrote it: not loaded\..*"
                     r"\[template_example\]", output), output
    for sheet in ("Clients', row 3", "Expenses', row 2", "Discounts', row 2"):
        assert f"sheet '{sheet}" not in output, output
    book = openpyxl.load_workbook(path)
    book["Payments"].delete_rows(2)
    book.save(path)
    assert_clean(*load(inbox, warehouse))
    assert rows_of(warehouse, "SELECT client_id, name FROM clients") == [
        ("Romashka_SPB", "Romashka, St Petersburg")]
    assert rows_of(warehouse, "SELECT expense_id, description FROM expenses") == [
        ("E-0001", "Hosting, November")]
    assert rows_of(warehouse, "SELECT client_id, product_type FROM discounts") == [
        ("Romashka_SPB", "domains")]
    assert rows_of(warehouse, "SELECT count(*) FROM payments") == [(0,)]


def test_the_lists_sheet_is_not_loaded_even_when_unhidden(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    path = template(inbox, "ru")
    book = openpyxl.load_workbook(path)
    book[LISTS_SHEET].sheet_state = "visible"
    book.save(path)

    code, output = load(inbox, tmp_path / "ledger.duckdb")

    assert_clean(code, output)
    assert "[sheet_template_lists]" in output and "[sheet_hidden]" not in output


# --------------------------------------------------------------------------------------------
# Saved again by LibreOffice
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def saved_by_libreoffice(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Templates of both locales as they are, and the Russian and English ones filled in,
    each opened in LibreOffice and saved again as .xlsx, and in LibreOffice's own .ods (one
    LibreOffice run for each format)."""
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    folder = tmp_path_factory.mktemp("libreoffice")
    sources = folder / "sources"
    made = [template(sources, locale) for locale in LOCALES]
    for locale in LOCALES:
        filled = template(sources, locale, f"filled_{locale}.xlsx")
        fill_in(filled, locale)
        made.append(filled)
    out = folder / "saved"
    for fmt in FORMATS:
        subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{folder}/profile",
                        "--convert-to", fmt, "--outdir", str(out / fmt), *map(str, made)],
                       check=True, capture_output=True, timeout=300)
        assert sorted(p.stem for p in (out / fmt).iterdir()) == sorted(p.stem for p in made)
    yield out


@pytest.fixture(params=FORMATS)
def fmt(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@needs_libreoffice
def test_a_template_saved_by_libreoffice_loads_clean_and_keeps_its_lists(
        saved_by_libreoffice: Path, tmp_path: Path, locale: str, fmt: str) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    saved = shutil.copy(saved_by_libreoffice / fmt / f"template_{locale}.{fmt}", inbox)

    code, output = load(inbox, tmp_path / "ledger.duckdb")

    assert_clean(code, output)  # the examples are still known, the lists sheet still skipped
    assert output.count("[template_example]") == sum(len(e) for e in EXAMPLES.values())
    assert "[sheet_template_lists]" in output
    if fmt == "ods":
        return
    book = openpyxl.load_workbook(saved)
    assert book[LISTS_SHEET].sheet_state == "hidden"
    clients = book[sheet_name(KINDS["clients"], locale)]
    validation = next(v for v in clients.data_validations.dataValidation if "C2" in v.sqref)
    assert list_words(book, validation) == expected_words(KINDS["clients"].column("client_type"),
                                                          locale)
    assert clients["C1"].comment is not None


@needs_libreoffice
def test_a_filled_in_template_saved_by_libreoffice_loads_clean_with_its_zeros(
        saved_by_libreoffice: Path, tmp_path: Path, locale: str, fmt: str) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    saved = Path(shutil.copy(saved_by_libreoffice / fmt / f"filled_{locale}.{fmt}", inbox))
    warehouse = tmp_path / "ledger.duckdb"

    code, output = load(inbox, warehouse)

    assert_clean(code, output)
    assert_filled_in_books(warehouse, saved.name)
    if fmt == "ods":
        return
    sheet = openpyxl.load_workbook(saved)[sheet_name(KINDS["clients"], locale)]
    assert column_format(sheet, KINDS["clients"].column_names.index("tax_id")) == "@"


# A LibreOffice Basic macro that types into cells as a person does (the Enter key's
# .uno:EnterString, which heeds the cell's format, unlike the API's setFormula), then saves
# the workbook as .xlsx. Its cells: "sheet|cell|text;..." (a sheet that is not there is added).
TYPING_MACRO = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE script:module PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "module.dtd">
<script:module xmlns:script="http://openoffice.org/2000/script" script:name="Module1"
 script:language="StarBasic">
Sub TypeCells(source As String, target As String, cells As String)
  Dim load(0) As New com.sun.star.beans.PropertyValue
  load(0).Name = "Hidden"
  load(0).Value = True
  doc = StarDesktop.loadComponentFromURL(ConvertToURL(source), "_blank", 0, load())
  frame = doc.CurrentController.Frame
  dispatcher = createUnoService("com.sun.star.frame.DispatchHelper")
  Dim go(0) As New com.sun.star.beans.PropertyValue
  Dim typed(0) As New com.sun.star.beans.PropertyValue
  For Each one In Split(cells, ";")
    parts = Split(one, "|")
    If Not doc.Sheets.hasByName(parts(0)) Then
      doc.Sheets.insertNewByName(parts(0), doc.Sheets.Count)
    End If
    doc.CurrentController.setActiveSheet(doc.Sheets.getByName(parts(0)))
    go(0).Name = "ToPoint"
    go(0).Value = parts(1)
    dispatcher.executeDispatch(frame, ".uno:GoToCell", "", 0, go())
    typed(0).Name = "StringName"
    typed(0).Value = parts(2)
    dispatcher.executeDispatch(frame, ".uno:EnterString", "", 0, typed())
  Next
  Dim save(0) As New com.sun.star.beans.PropertyValue
  save(0).Name = "FilterName"
  save(0).Value = "Calc MS Excel 2007 XML"
  doc.storeToURL(ConvertToURL(target), save())
  doc.close(True)
End Sub
</script:module>
"""


def typed_in_libreoffice(source: Path, target: Path, cells: list[tuple[str, str, str]],
                         folder: Path) -> Path:
    """`source` with `cells` (sheet, cell, text) typed in LibreOffice, saved as `target`."""
    profile = folder / "profile"
    subprocess.run(["soffice", "--headless", "--terminate_after_init",
                    f"-env:UserInstallation=file://{profile}"],
                   check=True, capture_output=True, timeout=120)
    (profile / "user" / "basic" / "Standard" / "Module1.xba").write_text(TYPING_MACRO)
    typed = ";".join("|".join(cell) for cell in cells)
    assert not re.search(r'["|;]', "".join(t for _s, _c, t in cells))
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{profile}",
                    f'macro:///Standard.Module1.TypeCells("{source}","{target}","{typed}")'],
                   check=True, capture_output=True, timeout=180)
    assert target.is_file()
    return target


@needs_libreoffice
def test_a_tax_id_typed_into_the_template_in_libreoffice_keeps_its_zeros(tmp_path: Path) -> None:
    """An accountant types the rows in LibreOffice: digits typed into the template's tax ID
    and ID columns stay text, with their leading zeros; typed into a cell that is not formatted
    as text, the same digits become a number (the zeros lost), which is why the template
    formats them."""
    locale = "ru"
    source = template(tmp_path / "sources", locale)
    book = openpyxl.load_workbook(source)

    def words(kind_name: str, column: str) -> list[str]:
        kind = KINDS[kind_name]
        sheet = book[sheet_name(kind, locale)]
        return list_words(book, validation_of(sheet, kind.column_names.index(column)))

    legal, = words("clients", "client_type")[:1]
    no = words("clients", "postpay")[1]
    active = words("clients", "status")[0]
    payment, refund = words("payments", "kind")[:2]

    def row(kind_name: str, number: int, **values: str) -> list[tuple[str, str, str]]:
        kind = KINDS[kind_name]
        return [(sheet_name(kind, locale),
                 f"{openpyxl.utils.get_column_letter(kind.column_names.index(c) + 1)}{number}",
                 text) for c, text in values.items()]

    cells = [
        *row("clients", 4, client_id="Vasilek", name="ООО «Василёк»", client_type=legal,
             tax_id=TAX_ID, currency="RUB", credit_limit="5000", postpay=no, status=active),
        *row("clients", 5, client_id="Vasilek_MSK", name="ООО «Василёк», Москва",
             client_type=legal, tax_id=TAX_ID, country="RU", currency="RUB", region="Москва"),
        *row("links", 3, master_id="Vasilek", related_id="Vasilek_MSK", linked_on="2026-10-01"),
        *row("payments", 3, payment_id="000457", client_id="Vasilek", date="2026-10-07",
             amount="25000", currency="RUB", kind=payment),
        *row("payments", 4, payment_id="000458", client_id="Vasilek", date="2026-10-20",
             amount="1000.5", currency="RUB", kind=refund),
        *row("expenses", 3, expense_id="E-1", client_id="Vasilek_MSK", date="2026-10-08",
             amount="3000.5", currency="RUB", product_type="хостинг"),
        *row("expenses", 4, expense_id="E-2", client_id="Vasilek", date="2026-10-09",
             amount="150", currency="RUB"),
        ("Заметки", "A1", TAX_ID),  # a sheet of no known kind, its cells not formatted
    ]
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    typed = typed_in_libreoffice(source, inbox / "книги.xlsx", cells, tmp_path)

    saved = openpyxl.load_workbook(typed)
    tax_id = saved[sheet_name(KINDS["clients"], locale)]["D4"]
    assert (tax_id.value, tax_id.data_type) == (TAX_ID, "s")
    assert saved["Заметки"]["A1"].value == int(TAX_ID)  # no text format: a number
    assert saved[sheet_name(KINDS["payments"], locale)]["C3"].value == dt.datetime(2026, 10, 7)
    warehouse = tmp_path / "ledger.duckdb"
    code, output = load(inbox, warehouse)
    assert_clean(code, output)
    assert "[sheet_ignored]" in output  # the notes sheet, an info
    assert_filled_in_books(warehouse, typed.name)
