"""The load history: listing loads, undoing one, replacing one by a renamed file, and the
invariants every change is checked against inside its transaction."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner
from conftest import CLIENTS, PAYMENT_HEADER, write_workbook

from ledgerflow.cli import main
from ledgerflow.load import loader
from ledgerflow.load.invariants import InvariantBroken
from ledgerflow.pipeline import IngestOptions, load_inbox
from ledgerflow.read.inbox import identify, read_tables
from ledgerflow.validate.table import validate_table

OCT = dt.date(2026, 10, 5)
PAYMENTS = [PAYMENT_HEADER, ["P1", "Orhid_magazine", OCT, 100, "RUB", "payment"],
            ["P2", "acme", OCT, 10, "USD", "payment"],
            ["P3", "Orhid_magazine", dt.date(2026, 10, 9), 50, "RUB", "payment"]]


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def rows(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def corrected(payments: list[list[object]]) -> list[list[object]]:
    fixed = [list(r) for r in payments]
    fixed[1][3] = 120  # one amount corrected
    return fixed


def test_replace_by_a_renamed_corrected_file_stores_each_payment_once(
        inbox: Path, warehouse: Path) -> None:
    write_workbook(inbox / "clients.xlsx", {"clients": CLIENTS})
    write_workbook(inbox / "платежи.xlsx", {"payments": PAYMENTS})
    assert invoke("load", str(inbox), "--warehouse", str(warehouse))[0] == 0
    write_workbook(inbox / "платежи_испр.xlsx", {"payments": corrected(PAYMENTS)})

    code, output = invoke("load", str(inbox), "--warehouse", str(warehouse),
                          "--replace", "платежи.xlsx")

    assert code == 0, output
    assert "платежи.xlsx: skipped" in output and "the very load this run replaces" in output
    assert rows(warehouse, "SELECT payment_id, amount, source_file FROM payments ORDER BY 1") == [
        ("P1", Decimal("120.0000"), "платежи_испр.xlsx"),
        ("P2", Decimal("10.0000"), "платежи_испр.xlsx"),
        ("P3", Decimal("50.0000"), "платежи_испр.xlsx")]
    code, output = invoke("balances", "--period", "2026-10", "--warehouse", str(warehouse),
                          "--json")
    assert code == 0, output
    orhid = next(r for r in json.loads(output) if r["payer"] == "Orhid_magazine")
    assert orhid["payments"] == "170.00"
    code, output = invoke("loads", "--warehouse", str(warehouse), "--json")
    history = {r["file"]: r for r in json.loads(output)}
    assert history["платежи.xlsx"]["status"] == "replaced"
    assert history["платежи.xlsx"]["replaced_by"] == history["платежи_испр.xlsx"]["load_id"]
    assert history["платежи_испр.xlsx"]["replaces"] == [history["платежи.xlsx"]["load_id"]]
    assert history["платежи.xlsx"]["undone_at"] is not None


def test_replace_by_load_id(inbox: Path, warehouse: Path) -> None:
    write_workbook(inbox / "clients.xlsx", {"clients": CLIENTS})
    write_workbook(inbox / "p.xlsx", {"payments": PAYMENTS})
    load_inbox(inbox, warehouse)
    [(load_id,)] = rows(warehouse, "SELECT load_id FROM loads WHERE file = 'p.xlsx'")
    (inbox / "p.xlsx").unlink()
    write_workbook(inbox / "p2.xlsx", {"payments": corrected(PAYMENTS)})

    report = load_inbox(inbox, warehouse, IngestOptions(replace=frozenset({str(load_id)})))

    assert report.exit_code == 0, [str(p) for p in report.problems()]
    assert rows(warehouse, "SELECT count(*), sum(amount) FROM payments") == [
        (3, Decimal("180.0000"))]


def test_replace_naming_nothing_loaded_is_a_usage_error_and_changes_nothing(
        inbox: Path, warehouse: Path) -> None:
    write_workbook(inbox / "clients.xlsx", {"clients": CLIENTS})
    load_inbox(inbox, warehouse)
    write_workbook(inbox / "p.xlsx", {"payments": PAYMENTS})

    code, output = invoke("load", str(inbox), "--warehouse", str(warehouse),
                          "--replace", "платежи.xlsx")

    assert code == 2
    assert "--replace платежи.xlsx: no load with that id or file name" in output
    assert rows(warehouse, "SELECT count(*) FROM payments") == [(0,)]
    assert rows(warehouse, "SELECT file FROM loads") == [("clients.xlsx",)]


def test_replace_with_nothing_of_its_kind_in_the_inbox_is_refused(
        inbox: Path, warehouse: Path) -> None:
    write_workbook(inbox / "clients.xlsx", {"clients": CLIENTS})
    write_workbook(inbox / "p.xlsx", {"payments": PAYMENTS})
    load_inbox(inbox, warehouse)

    code, output = invoke("load", str(inbox), "--warehouse", str(warehouse),
                          "--replace", "p.xlsx")

    assert code == 2
    assert "no new file in the inbox holds what load 2 (p.xlsx: payments) held" in output
    assert rows(warehouse, "SELECT count(*) FROM payments") == [(3,)]


def test_a_refused_replacement_replaces_nothing(inbox: Path, warehouse: Path) -> None:
    write_workbook(inbox / "clients.xlsx", {"clients": CLIENTS})
    write_workbook(inbox / "p.xlsx", {"payments": PAYMENTS})
    load_inbox(inbox, warehouse)
    bad = corrected(PAYMENTS)
    bad[2][3] = "abc"
    write_workbook(inbox / "p_fixed.xlsx", {"payments": bad})

    report = load_inbox(inbox, warehouse, IngestOptions(replace=frozenset({"p.xlsx"})))

    assert report.exit_code == 1
    assert rows(warehouse, "SELECT sum(amount), min(source_file) FROM payments") == [
        (Decimal("160.0000"), "p.xlsx")]
    assert rows(warehouse, "SELECT file, status FROM loads ORDER BY load_id") == [
        ("clients.xlsx", "completed"), ("p.xlsx", "completed"), ("p_fixed.xlsx", "refused")]


def test_unload_removes_a_load_and_the_file_loads_again(inbox: Path, warehouse: Path) -> None:
    write_workbook(inbox / "clients.xlsx", {"clients": CLIENTS})
    write_workbook(inbox / "p.xlsx", {"payments": PAYMENTS})
    load_inbox(inbox, warehouse)

    code, output = invoke("unload", "2", "--warehouse", str(warehouse))

    assert code == 0, output
    assert "Unloaded load 2 (p.xlsx): 3 rows removed" in output
    assert rows(warehouse, "SELECT count(*) FROM payments") == [(0,)]
    assert rows(warehouse, "SELECT status FROM loads WHERE load_id = 2") == [("unloaded",)]
    code, output = invoke("unload", "2", "--warehouse", str(warehouse))
    assert code == 2 and "Load 2 (p.xlsx) is unloaded" in output

    report = load_inbox(inbox, warehouse)

    assert [(o.file.name, o.status) for o in report.outcomes] == [
        ("clients.xlsx", "skipped"), ("p.xlsx", "loaded")]
    assert rows(warehouse, "SELECT count(*) FROM payments") == [(3,)]


def test_unload_that_would_orphan_payments_is_refused_naming_them(
        inbox: Path, warehouse: Path) -> None:
    write_workbook(inbox / "clients.xlsx", {"clients": CLIENTS})
    write_workbook(inbox / "p.xlsx", {"payments": PAYMENTS})
    load_inbox(inbox, warehouse)
    before = rows(warehouse, "SELECT count(*) FROM clients")

    code, output = invoke("unload", "1", "--warehouse", str(warehouse))

    assert code == 1
    assert "Load 1 was not unloaded" in output
    assert "p.xlsx, sheet 'payments', row 2" in output
    assert "names the client 'Orhid_magazine', which would no longer be in the warehouse" in output
    assert rows(warehouse, "SELECT count(*) FROM clients") == before
    assert rows(warehouse, "SELECT status FROM loads WHERE load_id = 1") == [("completed",)]


def test_loads_lists_the_history(inbox: Path, warehouse: Path) -> None:
    write_workbook(inbox / "clients.xlsx", {"clients": CLIENTS})
    bad = [list(r) for r in PAYMENTS]
    bad[1][3] = "abc"
    write_workbook(inbox / "p.xlsx", {"payments": bad})
    load_inbox(inbox, warehouse)

    code, output = invoke("loads", "--warehouse", str(warehouse))

    assert code == 0, output
    assert "clients.xlsx" in output and "completed" in output
    assert "p.xlsx" in output and "refused" in output
    code, output = invoke("loads", "--warehouse", str(warehouse), "--json")
    [clients, payments] = json.loads(output)
    assert (clients["load_id"], clients["kinds"], clients["rows_accepted"]) == (1, ["clients"], 3)
    assert (payments["status"], payments["rows_refused"]) == ("refused", 1)


def test_copies_in_one_batch_load_once(inbox: Path, warehouse: Path) -> None:
    write_workbook(inbox / "clients.xlsx", {"clients": CLIENTS})
    write_workbook(inbox / "платежи.xlsx", {"payments": PAYMENTS})
    shutil.copy(inbox / "платежи.xlsx", inbox / "платежи (копия).xlsx")

    report = load_inbox(inbox, warehouse)

    assert report.exit_code == 0, [str(p) for p in report.problems()]
    outcomes = {o.file.name: o for o in report.outcomes}
    assert outcomes["платежи (копия).xlsx"].status == "loaded"
    assert outcomes["платежи.xlsx"].status == "skipped"
    assert outcomes["платежи.xlsx"].note == \
        "a copy of платежи (копия).xlsx (the same bytes), loaded once"
    assert rows(warehouse, "SELECT count(*) FROM payments") == [(3,)]


def test_a_reference_to_a_refused_client_row_names_that_row(inbox: Path,
                                                            warehouse: Path) -> None:
    clients = [*CLIENTS, ["Lotos", "Лотос", "legal", "7707083894", "RUB", 0]]
    write_workbook(inbox / "clients.xlsx", {"clients": clients})
    write_workbook(inbox / "p.xlsx", {"payments": [
        PAYMENT_HEADER, ["P1", "Lotos", OCT, 100, "RUB", "payment"]]})

    report = load_inbox(inbox, warehouse)

    [problem] = [p for p in report.problems() if p.file == "p.xlsx"]
    assert problem.rule == "client_refused"
    assert problem.message.startswith(
        "The client Lotos is in this batch but is not being loaded: its row was refused "
        "(clients.xlsx, sheet 'clients', row 5: tax_id: ")


def test_missing_warehouse_folder_is_a_usage_error(inbox: Path, tmp_path: Path) -> None:
    write_workbook(inbox / "clients.xlsx", {"clients": CLIENTS})

    code, output = invoke("load", str(inbox), "--warehouse", str(tmp_path / "no" / "w.duckdb"))

    assert code == 2
    assert f"The folder of the warehouse, {tmp_path / 'no'}, does not exist" in output
    assert "IO Error" not in output


def test_invariants_refuse_what_the_batch_checks_let_through(inbox: Path,
                                                             warehouse: Path) -> None:
    """The warehouse's own safety net: rows handed to the loader directly, bypassing the batch
    checks, are refused inside the transaction when they would duplicate a stored ID or name a
    client that is not stored, and nothing of them stays."""
    write_workbook(inbox / "clients.xlsx", {"clients": CLIENTS})
    write_workbook(inbox / "p.xlsx", {"payments": PAYMENTS})
    load_inbox(inbox, warehouse)
    write_workbook(inbox / "again.xlsx", {"payments": [
        PAYMENT_HEADER, ["P9", "acme", OCT, 1, "USD", "payment"],
        ["p1", "acme", OCT, 5, "USD", "payment"]]})
    write_workbook(inbox / "ghost.xlsx", {"payments": [
        PAYMENT_HEADER, ["P8", "ghost", OCT, 1, "USD", "payment"]]})
    before = rows(warehouse, "SELECT * FROM payments ORDER BY ALL")

    for name, rule, row in (("again.xlsx", "unique_id", 3), ("ghost.xlsx", "unknown_client", 2)):
        [table] = read_tables(identify(inbox / name, inbox)).tables
        result = validate_table(table)
        connection = duckdb.connect(str(warehouse))
        try:
            with pytest.raises(InvariantBroken) as broken:
                loader.load_file(connection, name, "0" * 64, [result], "completed",
                                 dt.datetime.now(dt.UTC))
        finally:
            connection.close()
        [problem] = broken.value.problems
        assert (problem.file, problem.rule, problem.row) == (name, rule, row)
    assert rows(warehouse, "SELECT * FROM payments ORDER BY ALL") == before
    assert rows(warehouse, "SELECT count(*) FROM loads") == [(2,)]


def test_a_file_whose_lines_would_not_consolidate_is_refused_inside_its_transaction(
        inbox: Path, warehouse: Path) -> None:
    """A warehouse damaged behind ledgerflow's back (a second master for one account, written
    by hand in SQL) lets an expense for that account pass the batch checks; the dry run of the
    engine's line stage inside the load's transaction finds the line landing in two statements,
    and the file is refused with the reason instead of leaving the books unable to consolidate."""
    links = [["master_id", "related_id", "linked_on"],
             ["Orhid_magazine", "Orhid_magazine_DIR", dt.date(2026, 9, 1)]]
    write_workbook(inbox / "clients.xlsx", {"clients": CLIENTS, "links": links})
    load_inbox(inbox, warehouse)
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("INSERT INTO links SELECT 'acme', related_id, linked_on, unlinked_on, "
                           "load_id, source_file, source_sheet, 99, 'hand', row_hash FROM links")
    write_workbook(inbox / "e.xlsx", {"expenses": [
        ["expense_id", "client_id", "date", "amount", "currency"],
        ["E1", "Orhid_magazine_DIR", OCT, 10, "RUB"]]})

    report = load_inbox(inbox, warehouse)

    outcome = next(o for o in report.outcomes if o.file.name == "e.xlsx")
    assert outcome.status == "refused"
    [problem] = outcome.problems()
    assert problem.rule == "not_loaded"
    assert "1 new transactions resolved to 2 payer lines" in problem.message
    assert rows(warehouse, "SELECT count(*) FROM expenses") == [(0,)]
    assert rows(warehouse, "SELECT status FROM loads WHERE file = 'e.xlsx'") == [("refused",)]


def test_a_link_that_would_make_a_stored_payment_a_top_up_is_refused(
        inbox: Path, warehouse: Path) -> None:
    """P2 holds for what is stored, not only for the batch: a payment to Orhid_magazine_DIR,
    loaded while it stood alone, would become a top-up of a related account if a link from
    before that payment came in later; the links file is refused, naming the payment."""
    write_workbook(inbox / "clients.xlsx", {"clients": CLIENTS})
    write_workbook(inbox / "p.xlsx", {"payments": [
        PAYMENT_HEADER, ["P1", "Orhid_magazine_DIR", OCT, 100, "RUB", "payment"]]})
    load_inbox(inbox, warehouse)
    write_workbook(inbox / "links.xlsx", {"links": [
        ["master_id", "related_id", "linked_on"],
        ["Orhid_magazine", "Orhid_magazine_DIR", dt.date(2026, 9, 1)]]})

    report = load_inbox(inbox, warehouse)

    outcome = next(o for o in report.outcomes if o.file.name == "links.xlsx")
    assert outcome.status == "refused"
    [problem] = [p for p in outcome.problems() if p.rule == "not_loaded"]
    assert "p.xlsx, sheet 'payments', row 2: Rule P2: Orhid_magazine_DIR is a related account" \
        in problem.message
    assert rows(warehouse, "SELECT count(*) FROM links") == [(0,)]
    code, output = invoke("balances", "--period", "2026-10", "--warehouse", str(warehouse))
    assert code == 0, output
