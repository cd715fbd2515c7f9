"""Finding tables in an inbox: kinds by sheet or file name, headers, hidden and unknown sheets."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import CLIENTS, write_workbook

from ledgerflow.read import inbox as inbox_module
from ledgerflow.read.inbox import inbox_files, read_file


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


def test_a_large_workbook_reads_its_sheets_side_by_side_to_the_same_tables(
        inbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    header = ["expense_id", "client_id", "date", "amount", "currency", "product_type"]
    months = {f"expenses {m}": [header] + [[f"E{m}-{i}", "c1", f"0{m}.10.2026", i + 0.5, "RUB",
                                            "sms"] for i in range(300)] for m in (1, 2, 3)}
    path = write_workbook(inbox / "book.xlsx", {
        **months, "notes": [["secret"]], "payments": [["payment_id"], ["P1"]]},
        hidden=["notes"])
    one_by_one = read_file(path, inbox)
    monkeypatch.setattr(inbox_module, "PARALLEL_SHEETS_BYTES", 0)

    side_by_side = read_file(path, inbox)

    assert [t.sheet for t in side_by_side.tables] == ["expenses 1", "expenses 2", "expenses 3"]
    for a, b in zip(one_by_one.tables, side_by_side.tables, strict=True):
        assert a.frame.equals(b.frame) and a.header_row == b.header_row
    assert side_by_side.tables[2].frame.iloc[299, 0] == "E3-299"
    assert [(p.sheet, p.rule, p.column) for p in side_by_side.problems] == [
        (p.sheet, p.rule, p.column) for p in one_by_one.problems]
    assert [p.sheet for p in side_by_side.problems][:1] == ["notes"]
