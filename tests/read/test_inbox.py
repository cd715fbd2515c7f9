"""Finding tables in an inbox: kinds by sheet or file name, headers, hidden and unknown sheets."""

from __future__ import annotations

import datetime as dt
import zipfile
from decimal import Decimal
from pathlib import Path

import fastexcel
import pytest
import xlsxwriter
from conftest import CLIENTS, warehouse_rows, write_workbook

from ledgerflow.pipeline import IngestOptions, load_inbox
from ledgerflow.read.inbox import inbox_files, read_file
from ledgerflow.read.workbook import has_cells_of_type, list_sheets, peek_rows, read_sheet


def test_lock_and_hidden_files_are_skipped(inbox: Path) -> None:
    write_workbook(inbox / "clients.xlsx", {"clients": CLIENTS})
    (inbox / "~$clients.xlsx").write_bytes(b"\x00lock")
    (inbox / ".~lock.clients.xlsx#").write_text("lock")

    assert [p.name for p in inbox_files(inbox)] == ["clients.xlsx"]


def test_sheets_are_recognised_reported_or_ignored(inbox: Path) -> None:
    path = write_workbook(inbox / "book.xlsx", {
        "Клиенты": CLIENTS, "Сводка": [["итого", 1]], "expenses": [["expense_id"]],
        "notes": [["secret"]], "Платежи октябрь": [["номер платежа"]]},
        hidden=["notes"])

    read = read_file(path, inbox)

    assert [(t.sheet, t.kind.name) for t in read.tables] == [("Клиенты", "clients")]
    found = {(p.sheet, p.rule, p.severity) for p in read.problems}
    assert ("Сводка", "sheet_ignored", "info") in found
    assert ("notes", "sheet_hidden", "warning") in found
    # a recognised sheet without its required columns is refused, naming each missing column
    missing = sorted(p.column for p in read.problems if p.rule == "column_missing"
                     and p.sheet == "Платежи октябрь")
    assert missing == ["amount", "client_id", "currency", "date"]


def test_header_is_the_first_non_empty_row_and_aliases_match(inbox: Path) -> None:
    rows = [["  ЛОГИН ", "Наименование", "тип", "ИНН", "валюта", "Примечание"],
            ["a1", "Альфа", "физлицо", "500100732259", "RUB", "x"]]
    path = write_workbook(inbox / "clients.xlsx", {"clients": rows}, start_row=4)

    read = read_file(path, inbox)

    [table] = read.tables
    assert table.header_row == 5
    assert list(table.frame.index) == [6]
    assert table.columns["client_id"] == "ЛОГИН"
    [unknown] = [p for p in read.problems if p.rule == "column_unknown"]
    assert (unknown.column, unknown.severity) == ("Примечание", "warning")


def test_csv_kind_comes_from_the_file_name(inbox: Path) -> None:
    text = "номер платежа;логин;дата;сумма;валюта\nP1;a;05.10.2026;1 234,56;RUB\n"
    (inbox / "платежи_касса.csv").write_bytes(text.encode("cp1251"))
    (inbox / "misc.csv").write_text("a,b\n1,2\n")

    good = read_file(inbox / "платежи_касса.csv", inbox)
    unknown = read_file(inbox / "misc.csv", inbox)

    [table] = good.tables
    assert table.kind.name == "payments"
    assert table.column("amount").tolist() == ["1 234,56"]  # type: ignore[union-attr]
    assert [p.rule for p in unknown.problems] == ["file_kind_unknown"]
    assert unknown.refused



def test_a_later_sheet_finds_its_header_without_reading_far_into_the_strings(
        inbox: Path) -> None:
    header = ["expense_id", "client_id", "date", "amount", "currency", "product_type"]
    first = [header] + [[f"A{i}", "c1", "01.10.2026", 1, "RUB", "sms"] for i in range(500)]
    second = [["Расходы за ноябрь"], [], header] + [
        [f"B{i}", "c1", "02.10.2026", 2, "RUB", "sms"] for i in range(40)]
    path = write_workbook(inbox / "book.xlsx", {"expenses 1": first, "expenses 2": second})

    read = read_file(path, inbox)

    assert [(t.sheet, t.header_row, len(t.frame)) for t in read.tables] == [
        ("expenses 1", 1, 500), ("expenses 2", 3, 40)]
    assert read.tables[1].frame.iloc[0, 0] == "B0"


def test_peeking_stops_at_the_header(inbox: Path) -> None:
    rows = [["Отчёт"], ["expense_id", "client_id"], ["E1", "c1"], ["E2", "c2"]]
    path = write_workbook(inbox / "book.xlsx", {"expenses": rows})
    [sheet] = list_sheets(path)

    everything = peek_rows(path, sheet.member)
    to_header = peek_rows(path, sheet.member, enough=lambda texts: "client_id" in texts)

    assert [n for n, _ in everything] == [1, 2, 3, 4]
    assert to_header == [(1, ["Отчёт"]), (2, ["expense_id", "client_id"])]


def test_a_header_with_a_unit_after_its_name_is_that_column(inbox: Path) -> None:
    rows = [["Номер расхода", "Логин", "Дата", "Сумма, руб.", "Валюта", "Описание (кратко)",
             "Сумма, итого, руб."],
            ["E1", "acme", "2026-10-05", 12.5, "RUB", "смс", 1]]
    path = write_workbook(inbox / "расходы.xlsx", {"расходы": rows})

    read = read_file(path, inbox)

    [table] = read.tables
    assert table.columns["amount"] == "Сумма, руб."
    assert table.columns["description"] == "Описание (кратко)"
    # a name with more than a unit after it is not a column of the contract
    assert [(p.rule, p.column) for p in read.problems] == [
        ("column_unknown", "Сумма, итого, руб.")]


def test_a_column_mixing_text_with_dates_and_numbers_keeps_each_cell_as_typed(
        inbox: Path) -> None:
    """fastexcel makes such a column text (a date cell becomes '2026-10-05 00:00:00'); the
    reader gives the date and number cells their values back and leaves the text cells alone,
    digits included. A column of digits typed as text is not read again."""
    path = write_workbook(inbox / "payments.xlsx", {"payments": [
        ["payment_id", "client_id", "date", "amount", "currency", "kind"],
        ["007", "acme", dt.date(2026, 10, 5), 10, "USD", "payment"],
        ["008", "acme", "31.02.2026", "abc", "USD", "payment"],
        ["009", "acme", dt.datetime(2026, 10, 5, 13, 30), 7.5, "USD", "payment"],
        ["010", "acme", "2026-10-05 00:00:00", "10", "USD", "payment"]]})

    [table] = read_file(path, inbox).tables

    frame = table.frame
    assert frame["date"].tolist() == [dt.datetime(2026, 10, 5), "31.02.2026",
                                      dt.datetime(2026, 10, 5, 13, 30), "2026-10-05 00:00:00"]
    assert frame["amount"].tolist() == [10.0, "abc", 7.5, "10"]
    assert [type(v) for v in frame["amount"]] == [float, str, float, str]
    assert frame["payment_id"].tolist() == ["007", "008", "009", "010"]  # text, zeros kept


def test_a_formula_error_cell_is_named_not_read_as_an_empty_cell(inbox: Path) -> None:
    """A formula whose cached value is an error (`#DIV/0!`, `#N/A`) is reported with its row
    and column; the fast (eager) parse alone would have made it an empty cell."""
    path = inbox / "payments.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("payments")
    sheet.write_row(0, 0, ["payment_id", "client_id", "date", "amount", "currency", "comment"])
    for row in range(1, 4):
        sheet.write_row(row, 0, [f"P{row}", "acme", "05.10.2026", 10 * row, "USD"])
    sheet.write_formula(2, 3, "=1/0", None, "#DIV/0!")
    sheet.write_formula(3, 1, "=NA()", None, "#N/A")
    workbook.close()

    read = read_file(path, inbox)

    unreadable = sorted((p.row, p.column, p.message) for p in read.problems
                        if p.rule == "cell_unreadable")
    assert [(row, column) for row, column, _ in unreadable] == [(3, "amount"), (4, "client_id")]
    assert "Div0" in unreadable[0][2] and "NA" in unreadable[1][2]
    assert has_cells_of_type(path, "xl/worksheets/sheet1.xml", "e")


def test_a_date_cell_beyond_the_calendar_is_named_not_read_as_an_empty_cell(inbox: Path) -> None:
    """A number formatted as a date that no calendar holds (150,000,000 days) cannot be read;
    it is reported, not taken for an empty cell (which would load the credit limit's default,
    or a link without an end)."""
    path = inbox / "clients.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("clients")
    for row, cells in enumerate(CLIENTS):
        sheet.write_row(row, 0, cells)
    sheet.write_number(3, 5, 150_000_000, workbook.add_format({"num_format": "dd.mm.yyyy"}))
    workbook.close()

    read = read_file(path, inbox)

    [problem] = [p for p in read.problems if p.rule == "cell_unreadable"]
    assert (problem.row, problem.column) == (4, "credit_limit")
    assert problem.message.startswith("The cell could not be read: ")


def _workbook_with_sheet_part(path: Path, rows: str) -> Path:
    """An .xlsx whose only sheet's XML is written here by hand, as other writers write it."""
    base = path.with_suffix(".base.xlsx")
    workbook = xlsxwriter.Workbook(str(base))
    workbook.add_worksheet("payments").write(0, 0, "x")
    workbook.close()
    sheet = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns='
             '"http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
             f"{rows}</sheetData></worksheet>")
    with zipfile.ZipFile(base) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = sheet.encode()
            target.writestr(item, data)
    base.unlink()
    return path


def test_a_cell_type_is_found_however_its_attribute_is_spaced(inbox: Path) -> None:
    """`t = "b"` is as much a TRUE cell as `t="b"`; a text that reads `t="e"` is no error."""
    text = '<c r="{}" t="inlineStr"><is><t>{}</t></is></c>'
    rows = "".join(
        f'<row r="{n}">{text.format(f"A{n}", i)}{amount}{text.format(f"C{n}", note)}</row>'
        for n, i, amount, note in [
            (1, "payment_id", text.format("B1", "amount"), "comment"),
            (2, "P1", '<c r="B2"><v>1</v></c>', 't="e"'),
            (3, "P2", '<c r="B3" t = \'b\'><v>1</v></c>', "x")])
    path = _workbook_with_sheet_part(inbox / "payments.xlsx", rows)

    assert has_cells_of_type(path, "xl/worksheets/sheet1.xml", "b")
    assert not has_cells_of_type(path, "xl/worksheets/sheet1.xml", "e")
    cells = read_sheet(fastexcel.read_excel(path), "payments", 1, path, "xl/worksheets/sheet1.xml")
    assert cells.header == ["payment_id", "amount", "comment"]
    assert cells.frame[1].tolist() == [1, True]


@pytest.mark.parametrize("first_column", [1, 2])
def test_a_table_right_of_column_a_keeps_its_cells_as_typed(inbox: Path,
                                                            first_column: int) -> None:
    """The cells read again (TRUE/FALSE in numbers; dates and numbers in a text column) are
    taken from the table's own columns when it starts in column B or C: a margin column to
    its left moves nothing."""
    path = inbox / "payments.xlsx"
    workbook = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    sheet = workbook.add_worksheet("payments")
    rows = [["payment_id", "amount", "client_id", "date", "currency", "kind", "units"],
            ["P1", 1, "acme", "05.10.2026", "USD", "payment", 0],
            ["P2", True, "acme", 7, "USD", "payment", 1],
            ["P3", 10, "acme", "06.10.2026", "USD", "payment", 30]]
    for row, cells in enumerate(rows):
        sheet.write_row(row, first_column, cells)
    workbook.close()

    [table] = read_file(path, inbox).tables

    amounts = table.frame["amount"].tolist()
    assert amounts == [1, True, 10] and [type(v) for v in amounts] == [float, bool, float]
    assert table.frame["date"].tolist() == ["05.10.2026", 7.0, "06.10.2026"]
    assert table.frame["units"].tolist() == [0, 1, 30]


def test_a_true_or_false_cell_in_a_column_of_numbers_stays_a_yes_no_value(inbox: Path) -> None:
    """fastexcel makes such a column numbers, TRUE 1 and FALSE 0; the reader gives the two
    cells back as TRUE and FALSE (the amount's rule then refuses them), and the numbers 1 and 0
    typed as numbers stay numbers."""
    path = write_workbook(inbox / "payments.xlsx", {"payments": [
        ["payment_id", "client_id", "date", "amount", "currency", "kind"],
        ["P1", "acme", dt.date(2026, 10, 5), 1, "USD", "correction"],
        ["P2", "acme", dt.date(2026, 10, 5), True, "USD", "payment"],
        ["P3", "acme", dt.date(2026, 10, 5), 0, "USD", "correction"],
        ["P4", "acme", dt.date(2026, 10, 5), False, "USD", "payment"]]})

    [table] = read_file(path, inbox).tables

    amounts = table.frame["amount"].tolist()
    assert amounts == [1, True, 0, False]
    assert [type(v) for v in amounts] == [float, bool, float, bool]
    assert has_cells_of_type(path, "xl/worksheets/sheet1.xml", "b")
    assert not has_cells_of_type(path, "xl/worksheets/sheet1.xml", "e")


def test_an_amount_typed_as_true_is_refused_not_loaded_as_one(inbox: Path,
                                                               warehouse: Path) -> None:
    write_workbook(inbox / "book.xlsx", {"clients": CLIENTS, "payments": [
        ["payment_id", "client_id", "date", "amount", "currency", "kind"],
        ["P1", "acme", dt.date(2026, 10, 5), 10, "USD", "payment"],
        ["P2", "acme", dt.date(2026, 10, 5), True, "USD", "payment"]]})

    report = load_inbox(inbox, warehouse, IngestOptions(partial=True))

    [problem] = [p for p in report.problems() if p.severity == "error"]
    assert (problem.sheet, problem.row, problem.column, problem.rule) == (
        "payments", 3, "amount", "money_format")
    assert problem.message == "'TRUE' is a yes/no value, not an amount"
    assert warehouse_rows(warehouse, "SELECT payment_id, amount FROM payments") == [
        ("P1", Decimal("10.0000"))]
