"""The sample-data generator: deterministic bytes, and every convention of SPEC.md it promises.

These tests read the generated files with openpyxl and plain csv, independently of ledgerflow's
reader, and check the INN check digits with their own implementation.
"""

from __future__ import annotations

import csv
import hashlib
import importlib
import re
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import broken_inbox
import openpyxl
import pytest
from conftest import benchmarks_importable

from ledgerflow import contract, sample

BROKEN_INBOX = broken_inbox.FOLDER
RUSSIAN_DATE = re.compile(r"^\d{2}\.\d{2}\.\d{4}$")
GROUP_SEPARATORS = (" ", "\u00a0", "\u202f")

# --------------------------------------------------------------------------------------------
# Reading helpers (independent of ledgerflow.read)
# --------------------------------------------------------------------------------------------


def inn_is_valid(inn: str) -> bool:
    def check(digits: str, weights: list[int]) -> int:
        return sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11 % 10

    w12 = [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]
    if len(inn) == 10 and inn.isdigit():
        return check(inn, w12[2:]) == int(inn[9])
    if len(inn) == 12 and inn.isdigit():
        return check(inn, w12[1:]) == int(inn[10]) and check(inn, w12) == int(inn[11])
    return False


def as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    return datetime.strptime(value, "%d.%m.%Y").date()


def as_money(value: Any) -> Decimal:
    if isinstance(value, str):
        for separator in GROUP_SEPARATORS:
            value = value.replace(separator, "")
        return Decimal(value.replace(",", "."))
    return Decimal(str(value))


def is_money_number(value: Any) -> bool:
    """A numeric cell with at most 2 decimals (openpyxl gives whole numbers as int)."""
    return isinstance(value, int | float) and round(value, 2) == value


def as_text(value: Any) -> str | None:
    if value is None:
        return None
    return str(int(value)) if isinstance(value, float | int) else str(value).strip()


@dataclass
class Table:
    kind: str
    header_row: int  # as Excel shows it
    rows: list[dict[str, Any]]  # canonical column -> value
    cells: list[dict[str, Any]]  # canonical column -> openpyxl cell
    unknown_columns: list[str]


def find_header_row(sheet: Any, lookup: dict[str, str]) -> int:
    for number, row in enumerate(sheet.iter_rows(values_only=True), 1):
        if sum(1 for v in row if v is not None and contract.normalise_name(v) in lookup) >= 2:
            return number
    raise AssertionError(f"no header row in {sheet.title}")


def read_table(sheet: Any) -> Table:
    kind = contract.kind_of(sheet.title)
    assert kind, f"sheet {sheet.title!r} is not a known kind"
    lookup = contract.column_lookup(contract.KINDS[kind])
    header_row = find_header_row(sheet, lookup)
    header = [c.value for c in sheet[header_row]]
    names = [lookup.get(contract.normalise_name(h)) if h else None for h in header]
    cells = []
    for row in sheet.iter_rows(min_row=header_row + 1):
        if any(c.value is not None for c in row):
            cells.append({n: c for n, c in zip(names, row, strict=False) if n})
    rows = [{n: c.value for n, c in r.items()} for r in cells]
    unknown = [h for h, n in zip(header, names, strict=True) if h and not n]
    return Table(kind, header_row, rows, cells, unknown)


def read_cash_csv(path: Path) -> list[dict[str, Any]]:
    lookup = contract.column_lookup(contract.PAYMENTS)
    lines = list(csv.reader(path.read_bytes().decode("cp1251").splitlines(), delimiter=";"))
    names = [lookup[contract.normalise_name(h)] for h in lines[0]]
    return [dict(zip(names, line, strict=True)) for line in lines[1:]]


@dataclass
class Inbox:
    paths: dict[str, Path]
    tables: dict[str, list[Table]]
    cash: list[dict[str, Any]]

    def rows(self, kind: str) -> list[dict[str, Any]]:
        return [row for table in self.tables[kind] for row in table.rows]

    def payments(self) -> list[dict[str, Any]]:
        return self.rows("payments") + self.cash

    def client_ids(self) -> set[str]:
        return {r["client_id"].lower() for r in self.rows("clients")}


def read_inbox(paths: list[Path]) -> Inbox:
    tables: dict[str, list[Table]] = defaultdict(list)
    for path in paths:
        if path.suffix == ".xlsx":
            workbook = openpyxl.load_workbook(path)
            for sheet in workbook.worksheets:
                if contract.kind_of(sheet.title) and sheet.sheet_state == "visible":
                    table = read_table(sheet)
                    tables[table.kind].append(table)
    cash = [row for p in paths if p.suffix == ".csv" for row in read_cash_csv(p)]
    return Inbox({p.name: p for p in paths}, tables, cash)


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Inbox:
    return read_inbox(sample.write_sample_inbox(tmp_path_factory.mktemp("inbox")))


# --------------------------------------------------------------------------------------------
# Hierarchy rules, checked independently of ledgerflow.validate
# --------------------------------------------------------------------------------------------


def link_periods(links: list[dict[str, Any]]) -> list[tuple[str, str, date, date]]:
    far = date(9999, 12, 31)
    return [(r["master_id"], r["related_id"], as_date(r["linked_on"]),
             as_date(r["unlinked_on"]) if r["unlinked_on"] else far) for r in links]


def overlap(a: tuple[str, str, date, date], b: tuple[str, str, date, date]) -> bool:
    return a[2] < b[3] and b[2] < a[3]


def hierarchy_violations(clients: list[dict[str, Any]], links: list[dict[str, Any]],
                         payments: list[dict[str, Any]]) -> set[str]:
    """The rules among L1-L7, P2 and 'unlinked after linked' that the data breaks."""
    by_id = {c["client_id"]: c for c in clients}
    periods = link_periods(links)
    found = set()
    for n, (master, related, start, end) in enumerate(periods):
        if master not in by_id or related not in by_id:
            found.add("L1")
            continue
        found |= {"L2"} if master == related else set()
        found |= {"dates"} if end <= start else set()
        if as_text(by_id[master].get("tax_id")) != as_text(by_id[related].get("tax_id")):
            found.add("L5")
        found |= set() if related.startswith(master) else {"L6"}
        if "closed" in (by_id[master].get("status"), by_id[related].get("status")):
            found.add("L7")
        for other in periods[n + 1:]:
            found |= {"L3"} if other[1] == related and overlap(other, periods[n]) else set()
        for other in periods:
            if other[0] == related and overlap(other, periods[n]) and master != related:
                found.add("L4")
    for p in payments:
        day, kind = as_date(p["date"]), (p.get("kind") or "payment")
        if contract.PAYMENT_KINDS[kind] == "payment" and any(
                r == p["client_id"] and s <= day < e for _, r, s, e in periods):
            found.add("P2")
    return found


# --------------------------------------------------------------------------------------------
# The sample inbox
# --------------------------------------------------------------------------------------------


def sha256_by_name(paths: list[Path]) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def test_sample_inbox_is_byte_identical_across_runs(tmp_path: Path) -> None:
    first = sample.write_sample_inbox(tmp_path / "first")
    second = sample.write_sample_inbox(tmp_path / "second")
    assert sha256_by_name(first) == sha256_by_name(second)


def test_inbox_holds_the_expected_tables(inbox: Inbox) -> None:
    for kind in ("clients", "links", "payments", "expenses", "rates", "discounts", "taxes"):
        assert inbox.rows(kind), kind
    assert inbox.cash


def test_every_header_is_a_known_column_and_required_ones_are_there(inbox: Inbox) -> None:
    for tables in inbox.tables.values():
        for table in tables:
            assert table.unknown_columns == []
            required = {c.name for c in contract.KINDS[table.kind].columns if c.required}
            assert required <= set(table.rows[0])


def test_expenses_header_is_on_row_3_after_a_title_and_an_empty_row(inbox: Inbox) -> None:
    workbook = openpyxl.load_workbook(inbox.paths["expenses_2026-10.xlsx"])
    sheet = workbook["Расходы"]
    assert isinstance(sheet["A1"].value, str) and "2026" in sheet["A1"].value
    assert all(c.value is None for c in sheet[2])
    assert inbox.tables["expenses"][0].header_row == 3


def test_hidden_and_unknown_sheets_are_present(inbox: Inbox) -> None:
    workbook = openpyxl.load_workbook(inbox.paths["expenses_2026-10.xlsx"])
    states = {s.title: s.sheet_state for s in workbook.worksheets}
    hidden = [t for t, state in states.items() if state != "visible"]
    assert hidden and all(contract.kind_of(t) is None for t in hidden)
    ignored = [t for t, state in states.items() if state == "visible" and not contract.kind_of(t)]
    assert ignored
    assert {contract.kind_of(t) for t in states} >= {"expenses", "rates"}


def test_clients_are_a_few_dozen_mostly_active_in_rub_and_usd(inbox: Inbox) -> None:
    clients = inbox.rows("clients")
    statuses = [contract.CLIENT_STATUSES[c["status"]] for c in clients]
    assert 30 <= len(clients) <= 40
    assert statuses.count("blocked") == 1 and statuses.count("active") == len(clients) - 1
    assert {c["currency"] for c in clients} == {"RUB", "USD"}
    assert [c["postpay"] for c in clients].count("да") == 1
    assert any(re.search("[A-Za-z]{3}", c["name"]) for c in clients)
    assert any(re.search("[А-Яа-я]{3}", c["name"]) for c in clients)


def test_client_types_and_inns_are_valid(inbox: Inbox) -> None:
    assert inn_is_valid("7707083893")  # the checker itself, on a well-known public INN
    for client in inbox.rows("clients"):
        kind = contract.CLIENT_TYPES[client["client_type"]]
        inn = as_text(client["tax_id"])
        if client["country"] != "RU":
            continue
        if kind != "individual":
            assert inn, client["client_id"]
        if inn:
            assert len(inn) == (10 if kind == "legal" else 12), client["client_id"]
            assert inn_is_valid(inn), client["client_id"]


def test_leading_zero_inns_are_text_cells(inbox: Inbox) -> None:
    cells = [row["tax_id"] for row in inbox.tables["clients"][0].cells]
    leading_zero = [c for c in cells if isinstance(c.value, str) and c.value.startswith("0")]
    assert len(leading_zero) >= 2
    assert all(c.data_type == "s" for c in leading_zero)
    assert any(c.data_type == "n" for c in cells), "some INNs typed as numbers, as in real files"


def test_related_accounts_are_named_after_and_share_the_tax_id_of_their_master(
        inbox: Inbox) -> None:
    clients = {c["client_id"]: c for c in inbox.rows("clients")}
    for link in inbox.rows("links"):
        master, related = link["master_id"], link["related_id"]
        assert related.startswith(master + "_")
        assert as_text(clients[related]["tax_id"]) == as_text(clients[master]["tax_id"])


def test_several_masters_one_multiregional_and_a_usd_account_under_a_rub_master(
        inbox: Inbox) -> None:
    clients = {c["client_id"]: c for c in inbox.rows("clients")}
    related_of: dict[str, list[str]] = defaultdict(list)
    for link in inbox.rows("links"):
        related_of[link["master_id"]].append(link["related_id"])
    assert len(related_of) >= 3
    assert any(len(accounts) >= 3 for accounts in related_of.values())
    assert any(clients[m]["currency"] == "RUB" and clients[r]["currency"] == "USD"
               for m, accounts in related_of.items() for r in accounts)


def test_links_have_date_cells_and_one_starts_and_one_ends_in_the_period(inbox: Inbox) -> None:
    cells = inbox.tables["links"][0].cells
    assert all(isinstance(r["linked_on"].value, datetime) for r in cells)
    assert all(r["linked_on"].number_format == "dd.mm.yyyy" for r in cells)
    october = (date(2026, 10, 1), date(2026, 10, 31))
    periods = link_periods(inbox.rows("links"))
    assert any(october[0] < start <= october[1] for _, _, start, _ in periods)
    assert any(october[0] < end <= october[1] for _, _, _, end in periods)


def test_the_sample_breaks_no_hierarchy_rule(inbox: Inbox) -> None:
    assert hierarchy_violations(inbox.rows("clients"), inbox.rows("links"),
                                inbox.payments()) == set()


def test_a_top_up_lands_on_the_day_a_link_ends(inbox: Inbox) -> None:
    ends = {(r, e) for _, r, _, e in link_periods(inbox.rows("links"))}
    assert any((p["client_id"], as_date(p["date"])) in ends for p in inbox.payments())


def test_ids_are_unique_across_files_and_every_client_exists(inbox: Inbox) -> None:
    clients = inbox.client_ids()
    assert len(clients) == len(inbox.rows("clients"))
    ids = [p["payment_id"] for p in inbox.payments()] + [
        e["expense_id"] for e in inbox.rows("expenses")]
    assert len({i.lower() for i in ids}) == len(ids)
    referenced = [r["client_id"] for kind in ("payments", "expenses", "rates", "discounts",
                                                "taxes") for r in inbox.rows(kind)]
    referenced += [p["client_id"] for p in inbox.cash]
    referenced += [r[k] for r in inbox.rows("links") for k in ("master_id", "related_id")]
    assert {r.lower() for r in referenced if r} <= clients


def test_payments_cover_every_kind_with_valid_signed_amounts(inbox: Inbox) -> None:
    payments = inbox.rows("payments")
    kinds = [contract.PAYMENT_KINDS[p["kind"] or "payment"] for p in payments]
    assert set(kinds) == {"payment", "refund", "withdrawal", "correction"}
    for kind, cell in zip(kinds, inbox.tables["payments"][0].cells, strict=True):
        amount = cell["amount"].value
        assert is_money_number(amount)
        assert cell["amount"].number_format == "#,##0.00"
        assert amount != 0 if kind == "correction" else amount > 0
    assert any(k == "correction" and p["amount"] < 0 for k, p in zip(kinds, payments,
                                                                     strict=True))


def test_cash_csv_is_windows_1251_with_russian_text(inbox: Inbox) -> None:
    raw = inbox.paths["payments_cash.csv"].read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert raw.decode("cp1251").splitlines()[0].count(";") == len(contract.PAYMENTS.columns) - 2
    for row in inbox.cash:
        assert RUSSIAN_DATE.match(row["date"])
        assert re.fullmatch(r"\d{1,3}( \d{3})*,\d{2}", row["amount"])
    assert any(" " in row["amount"] for row in inbox.cash)


def test_expenses_mix_numbers_and_russian_text_in_the_same_columns(inbox: Inbox) -> None:
    cells = inbox.tables["expenses"][0].cells
    amounts = [r["amount"].value for r in cells]
    dates = [r["date"].value for r in cells]
    assert any(is_money_number(a) for a in amounts)
    assert any(isinstance(a, str) and "\u00a0" in a for a in amounts)
    assert any(isinstance(d, datetime) for d in dates)
    assert any(isinstance(d, str) and RUSSIAN_DATE.match(d) for d in dates)
    assert all(as_money(a) >= 0 and as_money(a) == round(as_money(a), 2) for a in amounts)


def test_expenses_span_three_months_most_accounts_and_several_products(inbox: Inbox) -> None:
    expenses = inbox.rows("expenses")
    clients = {c["client_id"]: c for c in inbox.rows("clients")}
    assert len(expenses) >= 300
    assert {as_date(e["date"]).month for e in expenses} == {8, 9, 10}
    assert len({e["client_id"] for e in expenses}) >= 0.8 * len(clients)
    assert {"sms", "voice", "hosting"} <= {e["product_type"] for e in expenses}
    assert all(e["currency"] == clients[e["client_id"]]["currency"] for e in expenses)


def test_rates_cover_every_date_and_change_in_mid_october(inbox: Inbox) -> None:
    rates = inbox.rows("rates")
    defaults = [r for r in rates if not r["client_id"]]
    assert defaults and all((r["base_currency"], r["currency"]) == ("RUB", "USD")
                            for r in defaults)
    starts = [as_date(r["valid_from"]) for r in defaults]
    assert any(d.month == 10 and 5 <= d.day <= 25 for d in starts)
    first_use = min(as_date(e["date"]) for e in inbox.rows("expenses"))
    assert min(starts) <= first_use
    assert all(isinstance(r["rate"], float) and r["rate"] > 0 and r["units"] >= 1 for r in rates)


def test_one_personal_discount_and_a_default_vat(inbox: Inbox) -> None:
    discounts, taxes = inbox.rows("discounts"), inbox.rows("taxes")
    assert len(discounts) == 1
    assert discounts[0]["client_id"] and discounts[0]["product_type"]
    assert 0 < discounts[0]["percent"] <= 100
    assert any(t["client_id"] is None and t["product_type"] is None and t["rate_pct"] == 20
               for t in taxes)
    discounted = [e for e in inbox.rows("expenses") if e["client_id"] ==
                  discounts[0]["client_id"] and e["product_type"] == discounts[0]["product_type"]]
    assert discounted


# --------------------------------------------------------------------------------------------
# The broken inbox
# --------------------------------------------------------------------------------------------


def workbook_values(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    workbook = openpyxl.load_workbook(path)
    return {s.title: list(s.iter_rows(values_only=True)) for s in workbook.worksheets}


def test_committed_broken_inbox_matches_the_generator(tmp_path: Path) -> None:
    fresh = {p.name: p for p in broken_inbox.write_broken_inbox(tmp_path)}
    committed = {p.name for p in BROKEN_INBOX.iterdir()}
    assert committed == set(fresh) | {"README.md"}
    assert (BROKEN_INBOX / "README.md").read_text("utf-8") == broken_inbox.broken_inbox_readme()
    for name, path in fresh.items():
        if name in broken_inbox.BROKEN_WORKBOOKS:
            assert workbook_values(BROKEN_INBOX / name) == workbook_values(path), name
        elif name != "clients_truncated.xlsx":  # its bytes depend on the xlsxwriter version
            assert (BROKEN_INBOX / name).read_bytes() == path.read_bytes(), name


def test_broken_files_are_what_their_readme_says() -> None:
    def raw(name: str) -> bytes:
        return (BROKEN_INBOX / name).read_bytes()

    assert raw("payments_empty.xlsx") == b""
    assert raw("bank_statement.xls").lstrip().lower().startswith(b"<html")
    assert b"," in raw("expenses_export.xlsx") and not raw("expenses_export.xlsx").startswith(b"PK")
    truncated = BROKEN_INBOX / "clients_truncated.xlsx"
    assert raw(truncated.name).startswith(b"PK") and not zipfile.is_zipfile(truncated)
    assert any(name.startswith("~$") for name in broken_inbox.BROKEN_FILES)
    committed = {p.name for p in BROKEN_INBOX.iterdir()} - {"README.md"}
    assert set(broken_inbox.BROKEN_FILES) == committed


def test_broken_clients_carry_each_value_error() -> None:
    inbox = read_inbox([BROKEN_INBOX / "broken_clients.xlsx"])
    clients = inbox.rows("clients")
    assert any(not inn_is_valid(c["tax_id"]) and len(c["tax_id"]) == 10 for c in clients)
    assert any(not inn_is_valid(c["tax_id"]) and len(c["tax_id"]) == 12 for c in clients)
    assert "RUR" in {c["currency"] for c in clients}
    assert "RUS" in {c["country"] for c in clients}
    assert inbox.tables["clients"][0].unknown_columns
    links = openpyxl.load_workbook(BROKEN_INBOX / "broken_clients.xlsx")["Связи"]
    lookup = contract.column_lookup(contract.LINKS)
    present = {lookup.get(contract.normalise_name(c.value)) for c in links[1]}
    assert {c.name for c in contract.LINKS.columns if c.required} - present


def test_broken_transactions_carry_each_value_error() -> None:
    inbox = read_inbox([BROKEN_INBOX / n for n in ("valid_base.xlsx", "broken_transactions.xlsx")])
    payments, expenses = inbox.rows("payments"), inbox.rows("expenses")
    ids = [p["payment_id"] for p in payments]
    assert len(set(ids)) < len(ids)
    amounts = [p["amount"] for p in payments]
    assert {"12,345", "abc"} <= set(amounts)
    assert any(isinstance(a, float) and round(a, 2) != a for a in amounts)
    assert {"31.02.2026", "04/03/26"} <= {p["date"] for p in payments}
    assert {p["client_id"].lower() for p in payments} <= inbox.client_ids()
    assert {e["client_id"].lower() for e in expenses} - inbox.client_ids()
    assert any(e["amount"] < 0 for e in expenses)


def violations_with_base(name: str | None) -> set[str]:
    names = ["valid_base.xlsx"] + ([name] if name else [])
    inbox = read_inbox([BROKEN_INBOX / n for n in names])
    return hierarchy_violations(inbox.rows("clients"), inbox.rows("links"), inbox.payments())


def rules_named_in_readme(name: str) -> set[str]:
    return {row.expect.split(":")[0] for sheet in broken_inbox.BROKEN_WORKBOOKS[name]
            for row in sheet.rows if row.expect}


def test_the_valid_base_of_the_broken_inbox_breaks_no_rule() -> None:
    assert violations_with_base(None) == set()


def test_broken_links_break_the_row_rules() -> None:
    assert violations_with_base("broken_links.xlsx") == {"L1", "L2", "dates"}
    assert rules_named_in_readme("broken_links.xlsx") >= {"L1", "L2"}


def test_broken_hierarchy_breaks_every_cross_row_rule() -> None:
    found = violations_with_base("broken_hierarchy.xlsx")
    assert found == {"L3", "L4", "L5", "L6", "L7", "P2"}
    assert rules_named_in_readme("broken_hierarchy.xlsx") == found


# --------------------------------------------------------------------------------------------
# Benchmark data
# --------------------------------------------------------------------------------------------


def test_benchmark_workbooks_are_consistent(tmp_path: Path) -> None:
    with benchmarks_importable():
        workbooks = importlib.import_module("workbooks")
    rows, clients = 500, 20
    workbooks.write_expenses_workbook(tmp_path / "expenses.xlsx", rows, clients, seed=7)
    workbooks.write_clients_workbook(tmp_path / "clients.xlsx", clients)
    inbox = read_inbox([tmp_path / "expenses.xlsx", tmp_path / "clients.xlsx"])
    expenses = inbox.rows("expenses")
    assert len(expenses) == rows and len(inbox.rows("clients")) == clients
    assert {e["client_id"].lower() for e in expenses} <= inbox.client_ids()
    assert len({e["expense_id"] for e in expenses}) == rows
    assert all(isinstance(e["date"], datetime) for e in expenses)
    assert all(is_money_number(e["amount"]) for e in expenses)
    assert all(inn_is_valid(c["tax_id"]) for c in inbox.rows("clients"))
