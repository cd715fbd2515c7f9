"""The rejects workbook: refused rows as typed, the bad cells filled and commented, a problems
sheet linked to them, the run it came from, and the round trip: fixed and dropped back into an
inbox as it is, it loads clean, each corrected row once."""

from __future__ import annotations

import csv
import datetime as dt
import re
import shutil
import subprocess
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import CLIENTS, PAYMENT_HEADER, warehouse_rows, write_workbook

import ledgerflow.rejects as rejects_module
from ledgerflow import __version__, pipeline
from ledgerflow.contract import kind_of
from ledgerflow.i18n import translations, use_locale
from ledgerflow.outcomes import IngestOptions, IngestReport
from ledgerflow.pipeline import check_inbox, load_inbox
from ledgerflow.read.inbox import read_file
from ledgerflow.rejects import write_rejects

OCT = dt.date(2026, 10, 5)
RED = "FFFFC7CE"
YELLOW = "FFFFEB9C"
EXPENSE_CSV = "expense_id,client_id,date,amount,currency\n"


def rejects_of(report: IngestReport, path: Path) -> Path:
    tables = [t for o in report.outcomes for t in o.tables]
    return write_rejects(path, tables, report.problems(), report)


def table_rows(sheet: Any) -> list[list[Any]]:
    return [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]


def problem_rows(book: openpyxl.Workbook) -> list[dict[str, Any]]:
    """The problems sheet's table as dicts by its (English) headers, with each row's link."""
    sheet = book[book.sheetnames[-1]]
    rows = list(sheet.iter_rows())
    top = next(i for i, row in enumerate(rows) if row[0].value == "cell")
    headers = [c.value for c in rows[top]]
    found = []
    for row in rows[top + 1:]:
        record = dict(zip(headers, (c.value for c in row), strict=False))
        record["link"] = row[0].hyperlink.location if row[0].hyperlink else None
        found.append(record)
    return found


@pytest.fixture
def bad_inbox(inbox: Path) -> Path:
    """Clients; payments with two good rows and three bad ones (a date column mixing date cells
    with a text date); expenses in a CSV with one bad row; a workbook that is not one."""
    write_workbook(inbox / "clients.xlsx", {"clients": CLIENTS})
    write_workbook(inbox / "payments.xlsx", {"payments": [
        PAYMENT_HEADER,
        ["P1", "acme", OCT, 10, "USD", "payment"],
        ["P2", "acme", OCT, "abc", "USD", "payment"],  # row 3: amount
        ["P3", "acme", "31.02.2026", 5, "USD", "payment"],  # row 4: date
        ["P4", "=HYPERLINK(\"http://x\")", dt.datetime(2026, 10, 6, 13, 30), 7.25, "USD",
         "payment"],  # row 5: a formula-looking login, not a client
        ["P5", "acme", "06.10.2026", 12.5, "USD", "payment"]]})
    (inbox / "expenses_october.csv").write_text(
        EXPENSE_CSV + "E1,acme,05.10.2026,100,USD\nE2,acme,07.10.2026,\"1,234\",USD\n",
        encoding="utf-8")
    (inbox / "notes.xlsx").write_text("a,b\n1,2\n")
    return inbox


def test_each_refused_row_comes_back_as_it_was_typed(bad_inbox: Path, warehouse: Path,
                                                     tmp_path: Path) -> None:
    book = openpyxl.load_workbook(rejects_of(check_inbox(bad_inbox, warehouse),
                                             tmp_path / "rejects.xlsx"))

    assert book.sheetnames == ["expenses_october", "payments", "problems"]  # by file name
    sheet = book["payments"]
    assert [c.value for c in sheet[1]] == [*PAYMENT_HEADER, "ledgerflow: source",
                                           "ledgerflow: errors"]
    assert [row[:6] for row in table_rows(sheet)] == [
        ["P2", "acme", dt.datetime(2026, 10, 5), "abc", "USD", "payment"],
        ["P3", "acme", "31.02.2026", 5, "USD", "payment"],
        ["P4", "=HYPERLINK(\"http://x\")", dt.datetime(2026, 10, 6, 13, 30), 7.25, "USD",
         "payment"]]
    # a date cell, not the text '2026-10-05 00:00:00', though its column also holds a text date
    assert (sheet["C2"].data_type, sheet["C2"].number_format) == ("d", "dd.mm.yyyy")
    assert sheet["C4"].number_format == "dd.mm.yyyy hh:mm:ss"
    assert (sheet["D3"].data_type, sheet["D4"].data_type) == ("n", "n")
    assert sheet["B4"].data_type == "s"  # a formula-looking login stays inert text
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    assert [row[6] for row in table_rows(sheet)] == [
        f"payments.xlsx / payments / row {n}" for n in (3, 4, 5)]
    # the CSV's cells are text, as a CSV holds them
    [expense] = table_rows(book["expenses_october"])
    assert expense[:6] == ["E2", "acme", "07.10.2026", "1,234", "USD",
                           "expenses_october.csv / expenses_october.csv / row 3"]
    assert expense[6].startswith("amount: '1,234' is ambiguous")


FORMULA_LIKE = ["=1+1", "+1+1", "-1+1", "@SUM(1,1)", "=cmd|' /C calc'!A0"]


def test_no_text_of_the_inputs_becomes_a_formula_anywhere_in_the_workbook(
        inbox: Path, warehouse: Path, tmp_path: Path) -> None:
    """Logins, amounts and a sheet name starting with =, +, - or @ are text wherever they are
    written: the refused rows, the errors column, the comments and the problems sheet."""
    write_workbook(inbox / "clients.xlsx", {"clients": CLIENTS})
    write_workbook(inbox / "payments.xlsx", {"payments =1+1": [
        PAYMENT_HEADER,
        *([f"P{i}", text, OCT, text, "USD", "payment"] for i, text in enumerate(FORMULA_LIKE))]})
    path = rejects_of(check_inbox(inbox, warehouse), tmp_path / "rejects.xlsx")

    with zipfile.ZipFile(path) as archive:
        parts = [name for name in archive.namelist() if name.endswith(".xml")]
        assert not [name for name in parts if re.search(rb"<f[ >]", archive.read(name))]
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["payments =1+1", "problems"]
    sheet = book["payments =1+1"]
    assert [[row[1], row[3]] for row in table_rows(sheet)] == [[t, t] for t in FORMULA_LIKE]
    assert all(c.data_type != "f" for ws in book for row in ws.iter_rows() for c in row)
    assert {sheet.cell(row, 4).comment is not None for row in range(2, 7)} == {True}
    values = [r["value"] for r in problem_rows(book) if r["column"] == "amount"]
    assert values == FORMULA_LIKE


def test_the_bad_cell_is_filled_and_carries_its_messages(bad_inbox: Path, warehouse: Path,
                                                         tmp_path: Path) -> None:
    report = check_inbox(bad_inbox, warehouse)
    book = openpyxl.load_workbook(rejects_of(report, tmp_path / "rejects.xlsx"))
    sheet = book["payments"]
    messages: dict[tuple[int | None, str | None], list[str]] = {
        (p.row, p.column): [] for p in report.problems() if p.file == "payments.xlsx"}
    for p in report.problems():
        if p.file == "payments.xlsx":
            messages[(p.row, p.column)].append(p.message)

    assert sheet["D2"].fill.fgColor.rgb == RED
    assert sheet["D2"].comment.text == "\n".join(messages[(3, "amount")])
    assert sheet["C3"].fill.fgColor.rgb == RED
    assert sheet["C3"].comment.text == "\n".join(messages[(4, "date")])
    # two rules broken by one cell: both messages in its comment
    assert len(messages[(5, "client_id")]) == 2
    assert sheet["B4"].comment.text == "\n".join(messages[(5, "client_id")])
    # the good cells of a refused row are left as they were
    for cell in ("A2", "B2", "C2", "E2", "F2", "D3", "C4"):
        assert sheet[cell].fill.fill_type is None and sheet[cell].comment is None, cell
    # the errors column says it all again, each message after its column's header
    assert sheet["H2"].value == f"amount: {messages[(3, 'amount')][0]}"
    assert sheet["H2"].fill.fill_type is None  # nothing is wrong with the row as a whole


def test_a_problem_of_the_row_marks_its_errors_column_and_a_warning_is_yellow(
        inbox: Path, tmp_path: Path) -> None:
    write_workbook(inbox / "payments.xlsx", {"payments": [
        PAYMENT_HEADER, ["P1", "acme", OCT, "abc", "USD", "payment"]]})
    [raw] = read_file(inbox / "payments.xlsx", inbox).tables
    from ledgerflow.validate.table import validate_table

    table = validate_table(raw)
    rows = pd.Index([2])
    table.add_errors(rows, "", "row_rule", "This row contradicts another one.")
    table.add_errors(rows, "kind", "kind_note", "Unusual kind.", severity="warning")

    book = openpyxl.load_workbook(write_rejects(tmp_path / "r.xlsx", [table],
                                                table.problems()))

    sheet = book["payments"]
    assert sheet["H2"].fill.fgColor.rgb == RED
    assert sheet["H2"].comment.text == "This row contradicts another one."
    assert sheet["F2"].fill.fgColor.rgb == YELLOW
    assert sheet["F2"].comment.text == "warning: Unusual kind."
    assert sheet["H2"].value.splitlines()[1:] == ["kind: warning: Unusual kind.",
                                                  "This row contradicts another one."]
    links = {p["rule"]: p["link"] for p in problem_rows(book)}
    assert links == {"money_format": "'payments'!D2", "kind_note": "'payments'!F2",
                     "row_rule": "'payments'!H2"}


def test_the_problems_sheet_links_each_problem_to_its_cell(bad_inbox: Path, warehouse: Path,
                                                           tmp_path: Path) -> None:
    report = check_inbox(bad_inbox, warehouse)
    book = openpyxl.load_workbook(rejects_of(report, tmp_path / "rejects.xlsx"))

    listed = problem_rows(book)
    assert [(p["file"], p["sheet"], p["row"], p["column"], p["rule"]) for p in listed] == [
        (p.file, p.sheet, p.row, p.column, p.rule) for p in report.problems()]
    for problem in listed:
        if problem["file"] == "notes.xlsx":  # a file-level problem: listed, nothing to link
            assert problem["link"] is None and problem["cell"] is None
            assert problem["severity"] == "error" and problem["rule"] == "file_renamed_csv"
            continue
        sheet_name, cell = problem["link"].split("!")
        sheet = book[sheet_name.strip("'")]
        assert problem["cell"] == f"{sheet.title}!{cell}"
        assert sheet[cell].comment is not None and problem["message"] in sheet[cell].comment.text
        assert str(problem["value"]) in ("", str(sheet[cell].value), "2026-10-06 13:30:00")
        source = sheet.cell(sheet[cell].row, sheet.max_column - 1).value
        assert source == f"{problem['file']} / {problem['sheet']} / row {problem['row']}"
    assert book["problems"]["A7"].hyperlink.location == "'expenses_october'!D2"


def test_the_workbook_names_its_run_and_is_the_same_bytes_for_the_same_inputs(
        bad_inbox: Path, warehouse: Path, tmp_path: Path) -> None:
    first = rejects_of(check_inbox(bad_inbox, warehouse), tmp_path / "a.xlsx")
    second = rejects_of(check_inbox(bad_inbox, warehouse), tmp_path / "b.xlsx")
    assert first.read_bytes() == second.read_bytes()  # no clock time in it

    book = openpyxl.load_workbook(first)
    stamp = [book["problems"].cell(row, 1).value for row in range(1, 5)]
    assert stamp[0] == f"Refused rows and problems of the inbox {bad_inbox}"
    assert stamp[1] == "4 rows refused in 2 files; 6 errors among 6 problems."
    assert stamp[2].startswith(f"Made by ledgerflow {__version__} from 4 input files, SHA-256 "
                               "of them all ")
    assert book.properties.title == "Refused rows and problems"
    assert book.properties.subject == str(bad_inbox)
    assert book.properties.description == "\n".join(stamp)
    assert book.properties.created == rejects_module.FIXED_TIME

    (bad_inbox / "expenses_october.csv").write_text(EXPENSE_CSV + "E2,acme,07.10.2026,x,USD\n")
    third = openpyxl.load_workbook(rejects_of(check_inbox(bad_inbox, warehouse),
                                              tmp_path / "c.xlsx"))
    assert third["problems"]["A3"].value.split()[-1] != stamp[2].split()[-1]  # other inputs


def test_it_says_to_fix_the_files_themselves_when_their_good_rows_were_refused_with_them(
        bad_inbox: Path, warehouse: Path, tmp_path: Path) -> None:
    """Refused whole, a file's rows without errors are not in the workbook: dropped back fixed,
    it would load the bad rows alone. Loaded in part (`partial`), its good rows are in."""
    strict = openpyxl.load_workbook(rejects_of(check_inbox(bad_inbox, warehouse),
                                               tmp_path / "strict.xlsx"))
    partial = openpyxl.load_workbook(rejects_of(
        check_inbox(bad_inbox, warehouse, IngestOptions(partial=True)), tmp_path / "part.xlsx"))

    assert strict["problems"]["A4"].value == (
        "expenses_october.csv, payments.xlsx were refused whole, their rows without errors "
        "too, which are not here: fix the marked cells in the files themselves (each has a "
        "comment here saying what is wrong) and drop the files again, not this workbook.")
    assert partial["problems"]["A4"].value == (
        "Fix the marked cells on the other sheets (each has a comment saying what is wrong) "
        "and drop this workbook into the inbox as it is: this sheet and the ledgerflow "
        "columns are ignored.")


def test_sheet_names_are_the_inputs_unique_and_within_excels_limit(inbox: Path, warehouse: Path,
                                                                   tmp_path: Path) -> None:
    bad = ["P9", "acme", OCT, "abc", "USD", "payment"]
    write_workbook(inbox / "clients.xlsx", {"clients": CLIENTS})
    write_workbook(inbox / "a.xlsx", {"payments": [PAYMENT_HEADER, bad]})
    write_workbook(inbox / "b.xlsx", {"Payments": [PAYMENT_HEADER, ["P8", *bad[1:]]]})
    write_workbook(inbox / "c.xlsx", {"Платежи октябрь": [PAYMENT_HEADER, ["P7", *bad[1:]]]})
    long = "payments_of_the_northern_branch_for_october_2026"
    (inbox / f"{long}.csv").write_text(
        ",".join(PAYMENT_HEADER) + "\nP6,acme,05.10.2026,abc,USD,payment\n", encoding="utf-8")

    book = openpyxl.load_workbook(rejects_of(check_inbox(inbox, warehouse),
                                             tmp_path / "r.xlsx"))

    assert book.sheetnames == ["payments", "Payments (2)", "Платежи октябрь", long[:31],
                               "problems"]
    assert all(len(name) <= 31 and kind_of(name) == "payments" for name in book.sheetnames[:-1])
    links = {p["file"]: p["link"] for p in problem_rows(book)}
    assert links["b.xlsx"] == "'Payments (2)'!D2"
    assert links[f"{long}.csv"] == f"'{long[:31]}'!D2"


def test_the_fixed_workbook_drops_back_in_as_it_is(bad_inbox: Path, warehouse: Path,
                                                   tmp_path: Path) -> None:
    """Validate a bad inbox, fix the marked cells of its rejects workbook with openpyxl, and
    put it in a fresh inbox beside the files of the good rows: clean, each row loaded once."""
    book = openpyxl.load_workbook(rejects_of(check_inbox(bad_inbox, warehouse),
                                             tmp_path / "rejects.xlsx"))
    payments, expenses = book["payments"], book["expenses_october"]
    fixes = {"D2": 11, "C3": dt.datetime(2026, 10, 7), "B4": "acme"}
    for cell, value in fixes.items():
        assert payments[cell].fill.fgColor.rgb == RED  # what the accountant sees to fix
        payments[cell] = value
    expenses["D2"] = "1234.00"
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    book.save(fresh / "rejects_fixed.xlsx")
    shutil.copy(bad_inbox / "clients.xlsx", fresh / "clients.xlsx")
    write_workbook(fresh / "payments.xlsx", {"payments": [  # the good rows of payments.xlsx
        PAYMENT_HEADER, ["P1", "acme", OCT, 10, "USD", "payment"],
        ["P5", "acme", "06.10.2026", 12.5, "USD", "payment"]]})
    (fresh / "expenses_october.csv").write_text(EXPENSE_CSV + "E1,acme,05.10.2026,100,USD\n")
    fixed = read_file(fresh / "rejects_fixed.xlsx", fresh)
    assert [(t.sheet, t.kind.name, t.headers) for t in fixed.tables] == [
        ("expenses_october", "expenses", ["expense_id", "client_id", "date", "amount",
                                          "currency", "ledgerflow: source",
                                          "ledgerflow: errors"]),
        ("payments", "payments", [*PAYMENT_HEADER, "ledgerflow: source",
                                  "ledgerflow: errors"])]
    assert [sorted(t.columns) for t in fixed.tables] == [  # our columns are not the table's
        ["amount", "client_id", "currency", "date", "expense_id"], sorted(PAYMENT_HEADER)]

    checked = check_inbox(fresh, warehouse)
    assert checked.exit_code == 0
    assert [p for p in checked.problems() if p.severity != "info"] == []
    assert {(p.file, p.sheet, p.rule) for p in checked.problems()} == {
        ("rejects_fixed.xlsx", "problems", "sheet_ignored")}
    loaded = load_inbox(fresh, warehouse)

    assert loaded.exit_code == 0
    assert {o.file.name: (o.status, o.accepted_rows) for o in loaded.outcomes} == {
        "clients.xlsx": ("loaded", 3), "payments.xlsx": ("loaded", 2),
        "expenses_october.csv": ("loaded", 1), "rejects_fixed.xlsx": ("loaded", 4)}
    paid = warehouse_rows(warehouse, "SELECT payment_id, client_id, date, amount, source_file, "
                                     "source_row FROM payments ORDER BY payment_id")
    spent = warehouse_rows(warehouse, "SELECT expense_id, amount FROM expenses ORDER BY 1")
    assert paid == [
        ("P1", "acme", OCT, Decimal("10.0000"), "payments.xlsx", 2),
        ("P2", "acme", OCT, Decimal("11.0000"), "rejects_fixed.xlsx", 2),
        ("P3", "acme", dt.date(2026, 10, 7), Decimal("5.0000"), "rejects_fixed.xlsx", 3),
        ("P4", "acme", dt.date(2026, 10, 6), Decimal("7.2500"), "rejects_fixed.xlsx", 4),
        ("P5", "acme", dt.date(2026, 10, 6), Decimal("12.5000"), "payments.xlsx", 3)]
    assert spent == [("E1", Decimal("100.0000")), ("E2", Decimal("1234.0000"))]


def test_a_workbook_dropped_back_unfixed_gives_the_same_rows_and_columns_again(
        bad_inbox: Path, warehouse: Path, tmp_path: Path) -> None:
    first = rejects_of(check_inbox(bad_inbox, warehouse), tmp_path / "rejects.xlsx")
    again = tmp_path / "again"
    again.mkdir()
    shutil.copy(first, again / "rejects.xlsx")
    shutil.copy(bad_inbox / "clients.xlsx", again / "clients.xlsx")

    book = openpyxl.load_workbook(rejects_of(check_inbox(again, warehouse),
                                             tmp_path / "second.xlsx"))
    before = openpyxl.load_workbook(first)

    assert book.sheetnames == before.sheetnames
    for name in before.sheetnames[:-1]:
        # our columns once, not twice; the cells as they were
        assert [c.value for c in book[name][1]] == [c.value for c in before[name][1]]
        assert [r[:-2] for r in table_rows(book[name])] == \
            [r[:-2] for r in table_rows(before[name])]


def test_the_problems_sheet_speaks_the_locale_and_is_never_a_table(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch,
                                                                   inbox: Path) -> None:
    """Every word of the workbook (sheet name, headers, stamp, severity, our columns) comes
    from the catalogs: marked here by a stand-in translation."""
    for locale in ("ru", "en"):
        with use_locale(locale):
            assert kind_of(rejects_module._("problems")) is None
    write_workbook(inbox / "payments.xlsx", {"payments": [
        PAYMENT_HEADER, ["P1", "acme", OCT, "abc", "USD", "payment"]]})
    report = check_inbox(inbox, tmp_path / "w.duckdb")
    monkeypatch.setattr(rejects_module, "_", lambda text: f"«{text}»")
    monkeypatch.setattr(rejects_module, "ngettext",
                        lambda one, many, n: f"«{one if n == 1 else many}»")

    book = openpyxl.load_workbook(rejects_of(report, tmp_path / "r.xlsx"))

    assert book.sheetnames == ["payments", "«problems»"]
    assert [c.value for c in book["payments"][1]][-2:] == ["ledgerflow: «source»",
                                                           "ledgerflow: «errors»"]
    assert book["payments"]["G2"].value == "«payments.xlsx / payments / row 2»"
    problems = book["«problems»"]
    for row in range(1, 5):
        assert problems.cell(row, 1).value.startswith("«"), row
    assert [c.value for c in problems[6]] == [f"«{h}»" for h in rejects_module.PROBLEM_HEADERS]
    assert {problems.cell(row, 2).value for row in range(7, problems.max_row + 1)} == {
        "«error»"}


def test_in_russian_every_word_of_the_workbook_is_russian(inbox: Path, warehouse: Path,
                                                          tmp_path: Path) -> None:
    """The sheet and the headers as the accountant typed them; the comment, the problems sheet
    and ledgerflow's own columns in the catalog's Russian."""
    header = ["Номер платежа", "Логин", "Дата", "Сумма, руб.", "Валюта", "Вид"]
    write_workbook(inbox / "clients.xlsx", {"clients": CLIENTS})
    write_workbook(inbox / "payments.xlsx", {"Платежи": [
        header, ["P1", "acme", OCT, "абв", "USD", "платёж"]]})
    with use_locale("ru"):
        path = rejects_of(check_inbox(inbox, warehouse), tmp_path / "rejects.xlsx")
    russian = translations("ru")

    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Платежи", "замечания"]
    sheet = book["Платежи"]
    ours = [russian.gettext(word) for word in rejects_module.OUR_COLUMNS]
    assert [word for word in ours if not re.fullmatch(r"[а-яё ]+", word)] == []
    assert [c.value for c in sheet[1]] == [*header, *(f"ledgerflow: {word}" for word in ours)]
    assert sheet["D2"].value == "абв"
    assert sheet["D2"].fill.fgColor.rgb == RED
    assert sheet["D2"].comment.text.startswith("'абв' — не сумма")
    assert sheet["H2"].value.startswith("Сумма, руб.: 'абв' — не сумма")
    problems = book["замечания"]
    assert problems["A1"].value.startswith("Отклонённые строки и замечания папки ")
    assert [c.value for c in problems[6]] == [
        "ячейка", "важность", "файл", "лист", "строка", "столбец", "значение", "правило",
        "сообщение"]
    assert [c.value for c in problems[7]][:7] == [
        "Платежи!D2", "ошибка", "payments.xlsx", "Платежи", 2, "Сумма, руб.", "абв"]


def test_a_partial_load_streamed_in_waves_keeps_its_refused_rows_for_the_workbook(
        inbox: Path, warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "STREAM_BYTES", 0)  # any expense file is "large"
    write_workbook(inbox / "clients.xlsx", {"clients": CLIENTS})
    (inbox / "expenses.csv").write_text(
        EXPENSE_CSV + "E1,acme,05.10.2026,100,USD\nE2,acme,05.10.2026,abc,USD\n")

    report = load_inbox(inbox, warehouse, IngestOptions(partial=True))

    assert [o.status for o in report.outcomes] == ["loaded", "partial"]
    book = openpyxl.load_workbook(rejects_of(report, tmp_path / "r.xlsx"))
    assert table_rows(book["expenses"])[0][:5] == ["E2", "acme", "05.10.2026", "abc", "USD"]


def test_a_clean_load_removes_the_default_rejects_workbook_of_an_earlier_one(
        bad_inbox: Path, warehouse: Path) -> None:
    from ledgerflow.cli import main

    default = warehouse.with_name("rejects.xlsx")
    result = CliRunner().invoke(main, ["load", str(bad_inbox), "--warehouse", str(warehouse),
                                       "--locale", "en"])
    assert result.exit_code == 1 and default.is_file()
    for name in ("payments.xlsx", "expenses_october.csv", "notes.xlsx", "clients.xlsx"):
        (bad_inbox / name).unlink()

    result = CliRunner().invoke(main, ["load", str(bad_inbox), "--warehouse", str(warehouse),
                                       "--locale", "en"])

    assert not default.exists()
    assert f"the earlier rejects workbook {default} was removed" in result.output


@pytest.mark.skipif(shutil.which("soffice") is None,
                    reason="LibreOffice (soffice) is not installed on this machine")
def test_libreoffice_opens_it(bad_inbox: Path, warehouse: Path, tmp_path: Path) -> None:
    path = rejects_of(check_inbox(bad_inbox, warehouse), tmp_path / "rejects.xlsx")
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/user",
                    # every sheet, each cell as shown
                    "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,"
                    "true,false,false,-1", "--outdir", str(tmp_path), str(path)],
                   check=True, capture_output=True, timeout=180)
    with open(tmp_path / "rejects-payments.csv", newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    assert rows[1][:6] == ["P2", "acme", "05.10.2026", "abc", "USD", "payment"]
    assert rows[3][:6] == ["P4", "=HYPERLINK(\"http://x\")", "06.10.2026 13:30:00", "7.25",
                           "USD", "payment"]
    with open(tmp_path / "rejects-problems.csv", newline="", encoding="utf-8") as file:
        problems = list(csv.reader(file))
    assert problems[6][:5] == ["expenses_october!D2", "error", "expenses_october.csv",
                               "expenses_october.csv", "3"]


def test_rows_beyond_a_sheets_limit_are_said_to_be_left_out(inbox: Path, warehouse: Path,
                                                            tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    write_workbook(inbox / "payments.xlsx", {"payments": [
        PAYMENT_HEADER, *([f"P{i}", "acme", OCT, "abc", "USD", "payment"] for i in range(4))]})
    report = check_inbox(inbox, warehouse)
    monkeypatch.setattr(rejects_module, "ROW_LIMIT", 3)  # a header and two rows

    book = openpyxl.load_workbook(rejects_of(report, tmp_path / "r.xlsx"))

    assert [row[0] for row in table_rows(book["payments"])] == ["P0", "P1"]
    assert book["problems"]["A4"].value == ("2 refused rows are not here: a sheet holds "
                                            "1,048,575 rows; fix them in their files.")


@pytest.mark.skipif(shutil.which("soffice") is None,
                    reason="LibreOffice (soffice) is not installed on this machine")
def test_fixed_and_saved_by_libreoffice_as_ods_it_drops_back_in_too(
        bad_inbox: Path, warehouse: Path, tmp_path: Path) -> None:
    book = openpyxl.load_workbook(rejects_of(check_inbox(bad_inbox, warehouse),
                                             tmp_path / "rejects.xlsx"))
    book["payments"]["D2"], book["payments"]["C3"] = 11, dt.datetime(2026, 10, 7)
    book["payments"]["B4"], book["expenses_october"]["D2"] = "acme", "1234.00"
    book.save(tmp_path / "fixed.xlsx")
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/user",
                    "--convert-to", "ods", "--outdir", str(tmp_path), str(tmp_path / "fixed.xlsx")],
                   check=True, capture_output=True, timeout=180)
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    shutil.copy(tmp_path / "fixed.ods", fresh / "fixed.ods")
    shutil.copy(bad_inbox / "clients.xlsx", fresh / "clients.xlsx")

    loaded = load_inbox(fresh, warehouse)

    assert loaded.exit_code == 0, [str(p) for p in loaded.problems()]
    assert {o.file.name: o.accepted_rows for o in loaded.outcomes} == {
        "clients.xlsx": 3, "fixed.ods": 4}
    assert warehouse_rows(warehouse, "SELECT payment_id, date, amount FROM payments ORDER BY 1") \
        == [("P2", OCT, Decimal("11.0000")), ("P3", dt.date(2026, 10, 7), Decimal("5.0000")),
            ("P4", dt.date(2026, 10, 6), Decimal("7.2500"))]
