"""The input contract is declared once (contract.py): a column added to a table kind there is
recognised under both its names, validated by its type, loaded and stored, with nothing else
edited; keys, client references and storage types all follow the declaration."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import duckdb
import pytest
from conftest import CLIENTS, PAYMENT_HEADER, write_workbook

from ledgerflow import contract
from ledgerflow.contract import KINDS, Column
from ledgerflow.load import warehouse as warehouse_module
from ledgerflow.pipeline import check_inbox, load_inbox
from ledgerflow.validate.schemas import schema_for


@pytest.fixture
def clients_with_segment(monkeypatch: pytest.MonkeyPatch) -> None:
    """clients gains an optional text column `segment` (Russian: сегмент), of at most 20
    characters, in the contract and nowhere else."""
    kind = KINDS["clients"]
    wider = dataclasses.replace(kind, columns=(
        *kind.columns, Column("segment", "сегмент", "text", max_length=20)))
    monkeypatch.setitem(contract.KINDS, "clients", wider)


def test_a_column_added_to_the_contract_is_validated_loaded_and_stored(
        clients_with_segment: None, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    header, *rows = CLIENTS
    write_workbook(inbox / "clients.xlsx", {"clients": [
        [*header, "Сегмент"],
        [*rows[0], "Розница"],
        [*rows[1], "Оптовая торговля и дистрибуция товаров"],  # 38 characters: too long
        [*rows[2], None],
    ]})
    warehouse = tmp_path / "w.duckdb"

    report = check_inbox(inbox, warehouse)
    problems = [(p.row, p.column, p.rule) for p in report.problems()]
    assert problems == [(3, "Сегмент", "text_length")]  # named as the accountant typed it
    assert "1–20 characters" in report.problems()[0].message

    load_inbox(inbox, warehouse)  # the whole file is refused: one bad row
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        assert connection.execute("SELECT count(*) FROM clients").fetchone() == (0,)

    (inbox / "clients.xlsx").unlink()
    write_workbook(inbox / "clients.xlsx", {"clients": [
        [*header, "Сегмент"], [*rows[0], "Розница"], [*rows[2], None]]})
    report = load_inbox(inbox, warehouse)
    assert report.exit_code == 0, [p.message for p in report.problems()]
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        stored = connection.execute(
            "SELECT client_id, segment, source_row FROM clients ORDER BY source_row").fetchall()
    assert stored == [("Orhid_magazine", "Розница", 2), ("acme", None, 3)]


def test_the_optional_region_of_clients_is_validated_loaded_and_stored(tmp_path: Path) -> None:
    """SPEC's optional `region` (регион): text of at most 200 characters, blank allowed."""
    assert KINDS["clients"].column("region").alias == "регион"
    assert KINDS["clients"].column("region").nullable
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    header, *rows = CLIENTS
    write_workbook(inbox / "clients.xlsx", {"clients": [
        [*header, "Регион"], [*rows[0], "Москва"], [*rows[1], "Казань\x07"],
        [*rows[2], "x" * 201]]})
    warehouse = tmp_path / "w.duckdb"
    report = check_inbox(inbox, warehouse)
    assert [(p.row, p.column, p.rule) for p in report.problems()] == [
        (3, "Регион", "text_control_chars"), (4, "Регион", "text_length")]

    (inbox / "clients.xlsx").unlink()
    write_workbook(inbox / "clients.xlsx", {"clients": [
        [*header, "регион"], [*rows[0], "Москва"], [*rows[1], " Казань "], [*rows[2], None]]})
    report = load_inbox(inbox, warehouse)
    assert report.exit_code == 0, [p.message for p in report.problems()]
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        stored = connection.execute(
            "SELECT client_id, region FROM clients ORDER BY source_row").fetchall()
    assert stored == [("Orhid_magazine", "Москва"), ("Orhid_magazine_DIR", "Казань"),
                      ("acme", None)]


def test_a_warehouse_made_before_the_region_column_gains_it(tmp_path: Path) -> None:
    """An older warehouse (clients without `region`) is opened as it is: the column is added
    at its end, files load by column name, and a row stored before keeps its hash, so the
    same row dropped again is the same record, not a conflict."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    warehouse = tmp_path / "w.duckdb"
    old = dataclasses.replace(KINDS["clients"], columns=tuple(
        c for c in KINDS["clients"].columns if c.name != "region"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(contract.KINDS, "clients", old)
        patch.setitem(warehouse_module.KINDS, "clients", old)
        write_workbook(inbox / "clients.xlsx", {"clients": CLIENTS})
        assert load_inbox(inbox, warehouse).exit_code == 0
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        columns = [c for (c,) in connection.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'clients'"
        ).fetchall()]
    assert "region" not in columns

    header, *rows = CLIENTS  # the same rows, and one more with its region
    write_workbook(inbox / "more.xlsx", {"clients": [
        [*header, "region"], *[[*row, None] for row in rows],
        ["Orhid_kazan", "Орхидея Казань", "legal", "7707083893", "RUB", 0, "Казань"]]})
    report = load_inbox(inbox, warehouse)
    assert report.exit_code == 0, [p.message for p in report.problems()]
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        stored = connection.execute(
            "SELECT client_id, region, source_file FROM clients ORDER BY client_id").fetchall()
    assert stored == [("Orhid_kazan", "Казань", "more.xlsx"),
                      ("Orhid_magazine", None, "clients.xlsx"),
                      ("Orhid_magazine_DIR", None, "clients.xlsx"),
                      ("acme", None, "clients.xlsx")]


def test_keys_references_and_storage_follow_the_contract() -> None:
    assert KINDS["links"].key_columns == ("master_id", "related_id", "linked_on")
    assert KINDS["discounts"].key_columns == ("client_id", "product_type", "valid_from")
    assert KINDS["links"].client_references == ("master_id", "related_id")
    assert KINDS["clients"].client_references == ()
    assert KINDS["payments"].column("amount").sql_type == "DECIMAL(18,4)"
    assert KINDS["rates"].column("rate").sql_type == "DECIMAL(18,6)"
    # required or defaulted columns may not be empty once validated; the others may
    nullable = {name for name, column in schema_for(KINDS["clients"]).columns.items()
                if column.nullable}
    assert nullable == {"tax_id", "deferral_days", "block_after_days", "email", "manager",
                        "region"}


def test_a_reference_column_added_to_the_contract_must_name_a_client(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    kind = KINDS["payments"]
    monkeypatch.setitem(contract.KINDS, "payments", dataclasses.replace(kind, columns=(
        *kind.columns, Column("payer_id", "плательщик", "id", client_ref=True))))
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_workbook(inbox / "clients.xlsx", {"clients": CLIENTS})
    write_workbook(inbox / "payments.xlsx", {"payments": [
        [*PAYMENT_HEADER, "payer_id"],
        ["P-1", "acme", "2026-10-05", 10, "USD", "payment", "Orhid_magazine"],
        ["P-2", "acme", "2026-10-06", 10, "USD", "payment", "Nobody"],
    ]})
    report = check_inbox(inbox, tmp_path / "w.duckdb")
    assert [(p.row, p.column, p.rule) for p in report.problems()] == [
        (3, "payer_id", "unknown_client")]
