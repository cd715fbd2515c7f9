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
from ledgerflow.pipeline import check_inbox, load_inbox
from ledgerflow.validate.schemas import schema_for


@pytest.fixture
def clients_with_region(monkeypatch: pytest.MonkeyPatch) -> None:
    """clients gains an optional text column `region` (Russian: регион), of at most 20
    characters, in the contract and nowhere else."""
    kind = KINDS["clients"]
    wider = dataclasses.replace(kind, columns=(
        *kind.columns, Column("region", "регион", "text", max_length=20)))
    monkeypatch.setitem(contract.KINDS, "clients", wider)


def test_a_column_added_to_the_contract_is_validated_loaded_and_stored(
        clients_with_region: None, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    header, *rows = CLIENTS
    write_workbook(inbox / "clients.xlsx", {"clients": [
        [*header, "Регион"],
        [*rows[0], "Москва"],
        [*rows[1], "Санкт-Петербург и Ленинградская область"],  # 40 characters: too long
        [*rows[2], None],
    ]})
    warehouse = tmp_path / "w.duckdb"

    report = check_inbox(inbox, warehouse)
    problems = [(p.row, p.column, p.rule) for p in report.problems()]
    assert problems == [(3, "Регион", "text_length")]  # named as the accountant typed it
    assert "1–20 characters" in report.problems()[0].message

    load_inbox(inbox, warehouse)  # the whole file is refused: one bad row
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        assert connection.execute("SELECT count(*) FROM clients").fetchone() == (0,)

    (inbox / "clients.xlsx").unlink()
    write_workbook(inbox / "clients.xlsx", {"clients": [
        [*header, "Регион"], [*rows[0], "Москва"], [*rows[2], None]]})
    report = load_inbox(inbox, warehouse)
    assert report.exit_code == 0, [p.message for p in report.problems()]
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        stored = connection.execute(
            "SELECT client_id, region, source_row FROM clients ORDER BY source_row").fetchall()
    assert stored == [("Orhid_magazine", "Москва", 2), ("acme", None, 3)]


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
    assert nullable == {"tax_id", "deferral_days", "block_after_days", "email", "manager"}


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
