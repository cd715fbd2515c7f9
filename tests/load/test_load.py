"""Loading into the warehouse: lineage, atomic files, re-loads, conflicts, replace, the lock."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from conftest import CLIENTS, EXPENSE_HEADER, PAYMENT_HEADER, write_workbook

from ledgerflow.load.warehouse import WarehouseLocked
from ledgerflow.pipeline import IngestOptions, load_inbox

OCT = dt.date(2026, 10, 5)


def rows(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def test_clean_inbox_loads_with_lineage_and_decimal_money(inbox: Path, warehouse: Path) -> None:
    write_workbook(inbox / "clients.xlsx", {"clients": CLIENTS})
    write_workbook(inbox / "october.xlsx", {
        "Платежи": [PAYMENT_HEADER, ["P1", "Orhid_magazine", OCT, 1234.56, "RUB", "payment"]],
        "expenses": [EXPENSE_HEADER, ["E1", "Orhid_magazine_DIR", OCT, "1 234,50", "RUB", "sms"],
                     ["E2", "acme", "05.10.2026", 0.1 + 0.2, "USD", None]],
    }, start_row=2)

    report = load_inbox(inbox, warehouse)

    assert report.exit_code == 0, [str(p) for p in report.problems()]
    assert [o.status for o in report.outcomes] == ["loaded", "loaded"]
    assert rows(warehouse, "SELECT client_id, credit_limit FROM clients ORDER BY client_id") == [
        ("Orhid_magazine", Decimal("1000.0000")), ("Orhid_magazine_DIR", Decimal("0.0000")),
        ("acme", Decimal("0.0000"))]
    expenses = rows(warehouse, "SELECT expense_id, amount, date, source_file, source_sheet, "
                               "source_row FROM expenses ORDER BY expense_id")
    # header on Excel row 3 (two rows above it left empty), so data starts on row 4
    assert expenses == [
        ("E1", Decimal("1234.5000"), OCT, "october.xlsx", "expenses", 4),
        ("E2", Decimal("0.3000"), OCT, "october.xlsx", "expenses", 5)]
    types = dict(rows(warehouse, "SELECT column_name, data_type FROM information_schema.columns "
                                 "WHERE table_name = 'payments'"))
    assert types["amount"] == "DECIMAL(18,4)"
    loads = rows(warehouse, "SELECT file, kinds, rows_accepted, rows_refused, status FROM loads "
                            "ORDER BY load_id")
    assert loads == [("clients.xlsx", "clients", 3, 0, "completed"),
                     ("october.xlsx", "expenses,payments", 3, 0, "completed")]


def test_same_file_again_is_skipped_and_changes_nothing(inbox: Path, warehouse: Path) -> None:
    write_workbook(inbox / "clients.xlsx", {"clients": CLIENTS})
    load_inbox(inbox, warehouse)

    again = load_inbox(inbox, warehouse)

    assert again.exit_code == 0
    assert again.outcomes[0].status == "skipped"
    assert "already loaded as load 1" in again.outcomes[0].note
    assert rows(warehouse, "SELECT count(*) FROM clients") == [(3,)]
    assert rows(warehouse, "SELECT count(*) FROM loads") == [(1,)]


def test_a_row_error_refuses_the_whole_file_by_default(inbox: Path, warehouse: Path) -> None:
    write_workbook(inbox / "clients.xlsx", {"clients": CLIENTS})
    write_workbook(inbox / "payments.xlsx", {"payments": [
        PAYMENT_HEADER, ["P1", "acme", OCT, 10, "USD", "payment"],
        ["P2", "acme", OCT, "12,345", "USD", "payment"]]})

    report = load_inbox(inbox, warehouse)

    assert report.exit_code == 1
    outcome = next(o for o in report.outcomes if o.file.name == "payments.xlsx")
    assert outcome.status == "refused"
    [problem] = [p for p in report.problems() if p.severity == "error"]
    assert (problem.file, problem.sheet, problem.row, problem.column, problem.value) == (
        "payments.xlsx", "payments", 3, "amount", "12,345")
    assert problem.rule == "money_ambiguous"
    assert rows(warehouse, "SELECT count(*) FROM payments") == [(0,)]
    assert rows(warehouse, "SELECT status, rows_accepted, rows_refused FROM loads "
                           "WHERE file = 'payments.xlsx'") == [("refused", 0, 1)]


def test_partial_loads_the_valid_rows_only(inbox: Path, warehouse: Path) -> None:
    write_workbook(inbox / "clients.xlsx", {"clients": CLIENTS})
    write_workbook(inbox / "payments.xlsx", {"payments": [
        PAYMENT_HEADER, ["P1", "acme", OCT, 10, "USD", "payment"],
        ["P2", "acme", OCT, "abc", "USD", "payment"]]})

    report = load_inbox(inbox, warehouse, IngestOptions(partial=True))

    assert report.exit_code == 1
    assert rows(warehouse, "SELECT payment_id, amount FROM payments") == [("P1", Decimal("10"))]
    assert rows(warehouse, "SELECT status, rows_accepted, rows_refused FROM loads "
                           "WHERE file = 'payments.xlsx'") == [("partial", 1, 1)]


def test_changed_row_is_a_conflict_unless_the_file_is_replaced(inbox: Path,
                                                                 warehouse: Path) -> None:
    write_workbook(inbox / "clients.xlsx", {"clients": CLIENTS})
    write_workbook(inbox / "payments.xlsx", {"payments": [
        PAYMENT_HEADER, ["P1", "acme", OCT, 10, "USD", "payment"]]})
    load_inbox(inbox, warehouse)
    write_workbook(inbox / "payments.xlsx", {"payments": [
        PAYMENT_HEADER, ["P1", "acme", OCT, 11, "USD", "payment"],
        ["P2", "acme", OCT, 5, "USD", "payment"]]})

    conflict = load_inbox(inbox, warehouse)

    [problem] = [p for p in conflict.problems() if p.severity == "error"]
    assert problem.rule == "conflict" and problem.row == 2
    assert "loaded before with different content" in problem.message
    assert "payments.xlsx" in problem.message
    assert rows(warehouse, "SELECT payment_id, amount FROM payments") == [("P1", Decimal("10"))]

    replaced = load_inbox(inbox, warehouse, IngestOptions(replace=frozenset({"payments.xlsx"})))

    assert replaced.exit_code == 0
    assert rows(warehouse, "SELECT payment_id, amount, load_id FROM payments ORDER BY 1") == [
        ("P1", Decimal("11"), 4), ("P2", Decimal("5"), 4)]
    assert rows(warehouse, "SELECT load_id, status, replaces FROM loads WHERE file = "
                           "'payments.xlsx' ORDER BY 1") == [
        (2, "replaced", None), (3, "refused", None), (4, "completed", "2")]


def test_rows_already_loaded_from_another_file_are_skipped(inbox: Path, warehouse: Path) -> None:
    write_workbook(inbox / "clients.xlsx", {"clients": CLIENTS})
    write_workbook(inbox / "p1.xlsx", {"payments": [
        PAYMENT_HEADER, ["P1", "acme", OCT, 10, "USD", "payment"]]})
    load_inbox(inbox, warehouse)
    write_workbook(inbox / "p2.xlsx", {"payments": [
        PAYMENT_HEADER, ["p1", "acme", OCT, 10, "USD", "payment"],
        ["P2", "acme", OCT, 7, "USD", "payment"]]})

    report = load_inbox(inbox, warehouse)

    outcome = next(o for o in report.outcomes if o.file.name == "p2.xlsx")
    assert (outcome.status, outcome.accepted_rows, outcome.skipped_rows) == ("loaded", 1, 1)
    assert rows(warehouse, "SELECT payment_id FROM payments ORDER BY 1") == [("P1",), ("P2",)]


def test_references_need_a_loaded_client(inbox: Path, warehouse: Path) -> None:
    bad_clients = [*CLIENTS, ["broken", "Broken", "legal", "7707083894", "RUB", 0]]
    write_workbook(inbox / "clients.xlsx", {"clients": bad_clients})
    write_workbook(inbox / "expenses.xlsx", {"expenses": [
        EXPENSE_HEADER, ["E1", "acme", OCT, 1, "USD", None],
        ["E2", "nobody", OCT, 1, "USD", None]]})

    report = load_inbox(inbox, warehouse)

    errors = sorted((p.file, p.row, p.rule) for p in report.problems() if p.severity == "error")
    # the clients file is refused for its bad tax ID, so acme is not loaded either: E1 is
    # refused naming that cause, not as a client that does not exist; E2's client really is not
    assert errors == [("clients.xlsx", 5, "tax_id_invalid"), ("expenses.xlsx", 2, "client_refused"),
                      ("expenses.xlsx", 3, "unknown_client")]
    [cascade] = [p for p in report.problems() if p.rule == "client_refused"]
    assert cascade.message.startswith(
        "The client acme is in this batch but is not being loaded: its file clients.xlsx was "
        "refused because of errors in other rows (first: row 5, tax_id: ")
    assert "--partial" in cascade.message
    assert rows(warehouse, "SELECT count(*) FROM clients") == [(0,)]
    assert rows(warehouse, "SELECT count(*) FROM expenses") == [(0,)]


def test_duplicate_id_across_two_files_of_one_batch(inbox: Path, warehouse: Path) -> None:
    write_workbook(inbox / "clients.xlsx", {"clients": CLIENTS})
    write_workbook(inbox / "a.xlsx", {"expenses": [EXPENSE_HEADER, ["E1", "acme", OCT, 1, "USD"]]})
    write_workbook(inbox / "b.xlsx", {"expenses": [EXPENSE_HEADER, ["e1", "acme", OCT, 2, "USD"]]})

    report = load_inbox(inbox, warehouse)

    [problem] = [p for p in report.problems() if p.severity == "error"]
    assert (problem.file, problem.rule, problem.row) == ("b.xlsx", "duplicate_id", 2)
    assert "a.xlsx" in problem.message
    assert rows(warehouse, "SELECT expense_id FROM expenses") == [("E1",)]


def test_second_process_fails_fast_and_changes_nothing(inbox: Path, warehouse: Path,
                                                       tmp_path: Path) -> None:
    write_workbook(inbox / "clients.xlsx", {"clients": CLIENTS})
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import duckdb, sys, time
        connection = duckdb.connect({str(warehouse)!r})
        print("locked", flush=True)
        sys.stdin.read()
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(WarehouseLocked, match="in use by another ledgerflow run"):
            load_inbox(inbox, warehouse)
    finally:
        holder.communicate("")
    assert rows(warehouse, "SELECT count(*) FROM information_schema.tables") == [(0,)]


def test_a_login_taken_by_another_file_is_not_advised_to_replace_that_file(
        inbox: Path, warehouse: Path) -> None:
    write_workbook(inbox / "clients.xlsx", {"clients": CLIENTS})
    load_inbox(inbox, warehouse)
    (inbox / "clients.xlsx").unlink()
    header, *rows_ = CLIENTS
    other = [*rows_[2][:1], "ACME другая", *rows_[2][2:]]  # the login acme, another client
    write_workbook(inbox / "new_clients.xlsx", {"clients": [header, other]})

    report = load_inbox(inbox, warehouse)

    [problem] = [p for p in report.problems() if p.severity == "error"]
    assert (problem.file, problem.row, problem.rule) == ("new_clients.xlsx", 2, "conflict")
    assert problem.message == (
        "This client ID was loaded before with different content (load 1, clients.xlsx, sheet "
        "'clients', row 4). If this is another record, give it a client ID of its own; only if "
        "this file replaces all of clients.xlsx, load it with --replace 1.")
