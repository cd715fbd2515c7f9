"""The block list (issue 13): every run writes reports/<period>/to_block.xlsx and .csv — the
payer and every account related to it on the period's last day, once the payer's oldest unpaid
debit is older than its block_after_days — derived from the consolidation's ageing."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from conftest import write_workbook
from deliver_helpers import PERIOD, base_run, copy_run, invoke, pipeline_file

from ledgerflow.load.warehouse import read_warehouse
from ledgerflow.rules.consolidate import BUCKETS, consolidate
from ledgerflow.rules.debts import unpaid_debits
from ledgerflow.rules.period import Period

SAMPLE = Path(__file__).parent.parent.parent / "sample_data"
HEADER = ["payer", "account", "role", "name", "status", "currency", "debt", "account_debt",
          "oldest_unpaid", "days_unpaid", "block_after_days", "days_past"]


def rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text("utf-8"))))


def test_a_run_writes_the_payer_and_its_related_accounts_past_the_block_date(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    period = base_run(tmp_path_factory) / "reports" / PERIOD

    found = rows(period / "to_block.csv")

    assert (period / "to_block.csv").read_text("utf-8").splitlines()[0] == ",".join(HEADER)
    assert [(r["payer"], r["account"], r["role"]) for r in found] == [
        ("Orhid_magazine", "Orhid_magazine", "payer"),
        ("Orhid_magazine", "Orhid_magazine_DIR", "related"),
        ("Romashka", "Romashka", "payer")]
    orhid, related, romashka = found
    # the group's debt is 4,200.50: E-3 700 and E-2 1,500.50 (DIR's), and 2,000 of E-1 (its own)
    assert {k: orhid[k] for k in ("debt", "account_debt", "oldest_unpaid", "days_unpaid",
                                  "block_after_days", "days_past", "currency", "status")} == {
        "debt": "4200.50", "account_debt": "2000.00", "oldest_unpaid": "2026-08-20",
        "days_unpaid": "72", "block_after_days": "30", "days_past": "42", "currency": "RUB",
        "status": "active"}
    assert (related["debt"], related["account_debt"], related["name"]) == (
        "4200.50", "2200.50", "Орхидея дирекция")
    assert (romashka["debt"], romashka["oldest_unpaid"], romashka["days_past"]) == (
        "800.00", "2026-09-01", "30")
    # acme is overdue but 26 days from its 60 to the block: not on the list

    sheet = openpyxl.load_workbook(period / "to_block.xlsx").worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "К блокировке"
    assert values[2][:3] == ("Плательщик", "Аккаунт", "Роль")
    assert values[3][:4] == ("Orhid_magazine", "Orhid_magazine", "плательщик", "Орхидея")
    assert values[3][6] == 4200.5 and values[4][7] == 2200.5
    assert values[3][8] == dt.datetime(2026, 8, 20) and values[3][9:] == (72, 30, 42)
    assert len(values) == 6

    manifest = json.loads((period / "manifest.json").read_text("utf-8"))
    listed = {o["file"]: o["sha256"] for o in manifest["outputs"]}
    for name in ("to_block.csv", "to_block.xlsx"):
        assert listed[name] == hashlib.sha256((period / name).read_bytes()).hexdigest()


def test_the_block_list_is_the_same_bytes_run_after_run(
        tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> None:
    run = copy_run(base_run(tmp_path_factory), tmp_path / "run")
    period = run / "reports" / PERIOD
    before = {n: (period / n).read_bytes() for n in ("to_block.csv", "to_block.xlsx")}
    stamps = {n: (period / n).stat().st_mtime_ns for n in before}

    assert invoke("report", "--period", PERIOD, "--warehouse", str(run / "ledger.duckdb"),
                  "--out", str(run / "reports"), "--outputs", "pdf,xlsx")[0] == 0

    assert {n: (period / n).read_bytes() for n in before} == before
    assert {n: (period / n).stat().st_mtime_ns for n in before} == stamps  # not rewritten


def test_a_paid_debt_leaves_the_list_and_a_stopped_run_removes_it(
        tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> None:
    run = copy_run(base_run(tmp_path_factory), tmp_path / "run")
    period = run / "reports" / PERIOD
    write_workbook(run / "inbox" / "payments_late.xlsx", {"payments": [
        ["payment_id", "client_id", "date", "amount", "currency", "kind"],
        ["P-30", "Romashka", dt.date(2026, 10, 31), 800, "RUB", "payment"]]})
    assert invoke("run", str(pipeline_file(run)), "--period", PERIOD)[0] == 0
    assert [r["payer"] for r in rows(period / "to_block.csv")] == ["Orhid_magazine"] * 2

    (run / "inbox" / "payments_bad.csv").write_text(
        "payment_id,client_id,date,amount,currency\nP-31,acme,31.02.2026,5,USD\n",
        encoding="utf-8")
    code, _ = invoke("run", str(pipeline_file(run, extra='on_refused = "stop"')), "--period",
                     PERIOD)
    assert code == 1
    assert not (period / "to_block.csv").exists() and not (period / "to_block.xlsx").exists()


def test_only_accounts_related_on_the_last_day_are_listed_and_text_stays_inert(
        tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_workbook(inbox / "clients.xlsx", {
        "clients": [
            ["client_id", "name", "client_type", "tax_id", "currency", "block_after_days",
             "status"],
            ["Master", "=HYPERLINK(\"http://evil.example\")", "legal", "7707083893", "RUB",
             10, "blocked"],
            ["Master_A", "Филиал А", "legal", "7707083893", "RUB", None, None],
            ["Master_B", "Филиал Б", "legal", "7707083893", "RUB", None, None],
            ["Master_C", "Филиал В", "legal", "7707083893", "RUB", None, None]],
        "links": [["master_id", "related_id", "linked_on", "unlinked_on"],
                  ["Master", "Master_A", dt.date(2026, 1, 1), None],
                  ["Master", "Master_B", dt.date(2026, 1, 1), dt.date(2026, 10, 15)],
                  ["Master", "Master_C", dt.date(2026, 11, 1), None]],
        "expenses": [["expense_id", "client_id", "date", "amount", "currency"],
                     ["E-1", "Master_A", dt.date(2026, 9, 1), 100, "RUB"]]})
    (tmp_path / "p.toml").write_text(
        f'inbox = "{inbox}"\nwarehouse = "{tmp_path / "w.duckdb"}"\n'
        f'reports = "{tmp_path / "reports"}"\noutputs = ["html"]\nlocale = "en"\n',
        encoding="utf-8")

    code, output = invoke("run", str(tmp_path / "p.toml"), "--period", PERIOD)

    assert code == 0, output
    folder = tmp_path / "reports" / PERIOD
    found = rows(folder / "to_block.csv")
    # B was unlinked on 15 October, C is linked from November: neither shares the debt now
    assert [(r["account"], r["role"], r["account_debt"]) for r in found] == [
        ("Master", "payer", "0.00"), ("Master_A", "related", "100.00")]
    text = (folder / "to_block.csv").read_text("utf-8")
    assert '"\'=HYPERLINK(""http://evil.example"")"' in text  # a text, never a formula
    assert found[0]["status"] == "blocked"
    sheet = openpyxl.load_workbook(folder / "to_block.xlsx").worksheets[0]
    assert sheet["A1"].value == "To block" and sheet["D4"].value.startswith("=HYPERLINK")
    assert sheet["D4"].data_type == "s"  # an inline string, not a formula


def test_the_unpaid_parts_add_up_to_the_ageing_of_every_payer(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    shutil.copytree(SAMPLE, inbox)
    warehouse = tmp_path / "ledger.duckdb"
    assert invoke("load", str(inbox), "--warehouse", str(warehouse))[0] == 0

    with read_warehouse(warehouse) as connection:
        for label in ("2026-08", "2026-09", "2026-10"):
            result = consolidate(connection, Period.month(label))
            parts = unpaid_debits(result)
            ageing = result.ageing.set_index("payer_key")
            in_debt = set(ageing.index[ageing["debt"] > 0])
            assert set(parts) == in_debt
            for payer, debits in parts.items():
                aged = ageing.loc[payer]
                assert max(d.age for d in debits) == aged["oldest_age"]
                bounds = dict(zip(BUCKETS, ((0, 30), (31, 60), (61, 90), (91, 10**6)),
                                  strict=True))
                for bucket, (low, high) in bounds.items():
                    total = sum((d.unpaid for d in debits if low <= d.age <= high),
                                Decimal(0))
                    assert total == aged[bucket], (label, payer, bucket)
                assert all(Decimal(0) < d.unpaid <= d.amount for d in debits)
