"""Consolidation (SPEC "Consolidation", "rates", "discounts and taxes", "Values").

Every expected amount below is worked out by hand from the SPEC rules and written as a literal,
with the arithmetic in a comment; nothing is computed with the code under test.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import duckdb
from click.testing import CliRunner
from conftest import EXPENSE_HEADER, PAYMENT_HEADER, write_workbook

from ledgerflow.cli import main
from ledgerflow.pipeline import IngestReport, load_inbox
from ledgerflow.rules.balances import payer_records
from ledgerflow.rules.consolidate import Consolidation, MoneySettings, consolidate
from ledgerflow.rules.period import Period

D = dt.date
INN = "7707083893"  # a valid 10-digit legal tax ID, shared by every group so L5 holds
CLIENT_HEADER = ["client_id", "name", "client_type", "tax_id", "currency", "credit_limit",
                 "postpay", "deferral_days", "block_after_days"]
LINK_HEADER = ["master_id", "related_id", "linked_on", "unlinked_on"]
RATE_HEADER = ["client_id", "base_currency", "currency", "rate", "units", "valid_from"]
DISCOUNT_HEADER = ["client_id", "percent", "product_type", "valid_from", "valid_to"]
TAX_HEADER = ["client_id", "rate_pct", "product_type", "valid_from", "valid_to"]
OCTOBER = "2026-10"
ZERO_AGEING = {"0-30": "0.00", "31-60": "0.00", "61-90": "0.00", "over_90": "0.00"}


def client(client_id: str, currency: str = "RUB", credit_limit: object = 0,
           postpay: str = "no", deferral_days: int | None = None,
           block_after_days: int | None = None) -> list[object]:
    return [client_id, f"{client_id} name", "legal", INN, currency, credit_limit, postpay,
            deferral_days, block_after_days]


def load(inbox: Path, warehouse: Path, sheets: dict[str, list[list[object]]],
         name: str = "book.xlsx") -> IngestReport:
    write_workbook(inbox / name, sheets)
    return load_inbox(inbox, warehouse)


def load_ok(inbox: Path, warehouse: Path, sheets: dict[str, list[list[object]]],
            name: str = "book.xlsx") -> None:
    report = load(inbox, warehouse, sheets, name)
    assert report.exit_code == 0, [str(p) for p in report.problems()]


def run(warehouse: Path, settings: MoneySettings | None = None) -> Consolidation:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return consolidate(connection, Period.month(OCTOBER), settings)


def records(result: Consolidation) -> dict[str, dict[str, Any]]:
    return {r["payer"]: r for r in payer_records(result)}


def summary(record: dict[str, Any]) -> dict[str, Any]:
    keys = ("opening", "payments", "refunds", "withdrawals", "corrections", "expenses",
            "closing", "available", "flags")
    return {k: record[k] for k in keys}


def account(name: str, currency: str, spent: str, in_payer: str) -> dict[str, str]:
    return {"account": name, "currency": currency, "spent": spent,
            "spent_in_payer_currency": in_payer}


# 1 -------------------------------------------------------------------------------------------

def test_standalone_client_opening_movements_and_closing(inbox: Path, warehouse: Path) -> None:
    load_ok(inbox, warehouse, {
        "clients": [CLIENT_HEADER, client("Solo", credit_limit=100)],
        "payments": [
            PAYMENT_HEADER,
            ["S1", "Solo", D(2026, 9, 10), 1000, "RUB", "payment"],
            ["P1", "Solo", D(2026, 10, 1), 500, "RUB", "payment"],
            ["P2", "Solo", D(2026, 10, 6), 50, "RUB", "refund"],
            ["P3", "Solo", D(2026, 10, 7), 100, "RUB", "withdrawal"],
            ["P4", "Solo", D(2026, 10, 8), -25.5, "RUB", "correction"],
            ["P5", "Solo", D(2026, 10, 9), 10, "RUB", "correction"],
            ["N1", "Solo", D(2026, 11, 1), 999, "RUB", "payment"],  # after the period
        ],
        "expenses": [
            EXPENSE_HEADER,
            ["SE", "Solo", D(2026, 9, 30), 300, "RUB", None],
            ["E1", "Solo", D(2026, 10, 10), 200, "RUB", None],
            ["E2", "Solo", D(2026, 10, 31), 34.25, "RUB", None],  # period end is inclusive
        ],
    })

    [record] = payer_records(run(warehouse))

    assert record == {
        "payer": "Solo", "currency": "RUB",
        "opening": "700.00",  # 1000.00 - 300.00
        "payments": "500.00", "refunds": "50.00", "withdrawals": "100.00",
        "corrections": "-15.50",  # -25.50 + 10.00
        "expenses": "234.25",  # 200.00 + 34.25
        # 700.00 + 500.00 - 50.00 - 100.00 - 15.50 - 234.25 = 800.25 (November's 999 left out)
        "closing": "800.25",
        "credit_limit": "100.00",
        "available": "900.25",  # 800.25 + 100.00
        "flags": [],
        "ageing": ZERO_AGEING,
        "accounts": [account("Solo", "RUB", "234.25", "234.25")],
    }


# 2 -------------------------------------------------------------------------------------------

def link_unlink_inbox(inbox: Path, warehouse: Path) -> None:
    load_ok(inbox, warehouse, {
        "clients": [CLIENT_HEADER, client("Orhid"), client("Orhid_DIR")],
        # related on 10..19 October: linked_on <= d < unlinked_on
        "links": [LINK_HEADER, ["Orhid", "Orhid_DIR", D(2026, 10, 10), D(2026, 10, 20)]],
        "payments": [
            PAYMENT_HEADER,
            ["PM", "Orhid", D(2026, 10, 1), 1000, "RUB", "payment"],
            ["PR1", "Orhid_DIR", D(2026, 10, 5), 500, "RUB", "payment"],  # before the link
            ["PR2", "Orhid_DIR", D(2026, 10, 20), 100, "RUB", "payment"],  # unlinked that day
        ],
        "expenses": [
            EXPENSE_HEADER,
            ["E1", "Orhid_DIR", D(2026, 10, 9), 100, "RUB", None],  # before: its own
            ["E2", "Orhid_DIR", D(2026, 10, 10), 200, "RUB", None],  # linked_on: the master
            ["E3", "Orhid_DIR", D(2026, 10, 19), 300, "RUB", None],  # last day linked: master
            ["E4", "Orhid_DIR", D(2026, 10, 20), 400, "RUB", None],  # unlinked_on: its own
            ["E5", "Orhid_DIR", D(2026, 10, 25), 50, "RUB", None],  # after: its own
            ["EM", "Orhid", D(2026, 10, 15), 10, "RUB", None],
        ],
    })


def test_link_and_unlink_inside_the_period(inbox: Path, warehouse: Path) -> None:
    link_unlink_inbox(inbox, warehouse)

    result = run(warehouse)
    found = records(result)

    assert sorted(found) == ["Orhid", "Orhid_DIR"]
    master, related = found["Orhid"], found["Orhid_DIR"]
    # master: 1000.00 - (10.00 own + 200.00 + 300.00 of Orhid_DIR on 10 and 19 Oct) = 490.00
    assert summary(master) == {
        "opening": "0.00", "payments": "1000.00", "refunds": "0.00", "withdrawals": "0.00",
        "corrections": "0.00", "expenses": "510.00", "closing": "490.00",
        "available": "490.00", "flags": []}
    assert master["accounts"] == [account("Orhid", "RUB", "10.00", "10.00"),
                                  account("Orhid_DIR", "RUB", "500.00", "500.00")]
    # the account itself: (500.00 + 100.00) - (100.00 on 9 Oct + 400.00 on 20 Oct
    # + 50.00 on 25 Oct) = 600.00 - 550.00 = 50.00
    assert summary(related) == {
        "opening": "0.00", "payments": "600.00", "refunds": "0.00", "withdrawals": "0.00",
        "corrections": "0.00", "expenses": "550.00", "closing": "50.00",
        "available": "50.00", "flags": []}
    assert related["accounts"] == [account("Orhid_DIR", "RUB", "550.00", "550.00")]
    assert result.problems == []


# 3 -------------------------------------------------------------------------------------------

def test_related_account_in_another_currency_at_the_default_rate(inbox: Path,
                                                                 warehouse: Path) -> None:
    load_ok(inbox, warehouse, {
        "clients": [CLIENT_HEADER, client("Globex"), client("Globex_US", "USD")],
        "links": [LINK_HEADER, ["Globex", "Globex_US", D(2026, 9, 1), None]],
        "rates": [RATE_HEADER, [None, "RUB", "USD", 92.5, 1, D(2026, 1, 1)]],
        "payments": [PAYMENT_HEADER, ["PM", "Globex", D(2026, 10, 1), 2000, "RUB", "payment"]],
        "expenses": [
            EXPENSE_HEADER,
            ["E0", "Globex_US", D(2026, 9, 15), 1, "USD", None],
            ["E1", "Globex_US", D(2026, 10, 12), 10.33, "USD", None],
        ],
    })

    result = run(warehouse)

    [record] = payer_records(result)  # the USD account is no payer of its own
    assert record["payer"] == "Globex" and record["currency"] == "RUB"
    assert summary(record) == {
        "opening": "-92.50",  # 1.00 USD * 92.5 = 92.50
        "payments": "2000.00", "refunds": "0.00", "withdrawals": "0.00", "corrections": "0.00",
        "expenses": "955.53",  # 10.33 * 92.5 = 955.525 -> half up 955.53
        "closing": "951.97",  # -92.50 + 2000.00 - 955.53
        "available": "951.97", "flags": []}
    assert record["accounts"] == [account("Globex_US", "USD", "10.33", "955.53")]
    assert result.problems == []


def negative_tie_inbox(inbox: Path, warehouse: Path) -> None:
    load_ok(inbox, warehouse, {
        "clients": [CLIENT_HEADER, client("Globex"), client("Globex_US", "USD")],
        "links": [LINK_HEADER, ["Globex", "Globex_US", D(2026, 9, 1), None]],
        "rates": [RATE_HEADER, [None, "RUB", "USD", 90.3, 1, D(2026, 1, 1)]],
        "payments": [PAYMENT_HEADER,
                     ["PM", "Globex", D(2026, 10, 1), 2000, "RUB", "payment"],
                     # a correction taking money back, on the USD account, charged to the master
                     ["PC", "Globex_US", D(2026, 10, 5), -12.35, "USD", "correction"]],
    })


def test_negative_tie_rounds_away_from_zero_half_up(inbox: Path, warehouse: Path) -> None:
    negative_tie_inbox(inbox, warehouse)

    result = run(warehouse)

    [record] = payer_records(result)
    assert record["payer"] == "Globex" and record["currency"] == "RUB"
    # -12.35 USD * 90.3 = -1115.205 RUB, exactly half a kopeck: half up rounds away from zero
    # (-0.5 -> -1) to -1115.21; rounding the tie toward +infinity would give -1115.20, and so
    # would half-even (0 is even).  closing 2000.00 - 1115.21 = 884.79
    assert summary(record) == {
        "opening": "0.00", "payments": "2000.00", "refunds": "0.00", "withdrawals": "0.00",
        "corrections": "-1115.21", "expenses": "0.00", "closing": "884.79",
        "available": "884.79", "flags": []}
    assert result.problems == []


def test_negative_tie_rounds_to_even_on_request(inbox: Path, warehouse: Path) -> None:
    negative_tie_inbox(inbox, warehouse)

    [record] = payer_records(run(warehouse, MoneySettings(rounding="half_even")))

    # -1115.205 -> -1115.20 (0 is even); closing 2000.00 - 1115.20 = 884.80
    assert summary(record) == {
        "opening": "0.00", "payments": "2000.00", "refunds": "0.00", "withdrawals": "0.00",
        "corrections": "-1115.20", "expenses": "0.00", "closing": "884.80",
        "available": "884.80", "flags": []}


# 4 -------------------------------------------------------------------------------------------

def test_missing_rate_is_reported_and_the_line_left_out(inbox: Path, warehouse: Path) -> None:
    load_ok(inbox, warehouse, {
        "clients": [CLIENT_HEADER, client("Globex"), client("Globex_US", "USD")],
        "links": [LINK_HEADER, ["Globex", "Globex_US", D(2026, 9, 1), None]],
        # a rate for another currency only: nothing converts USD into RUB
        "rates": [RATE_HEADER, [None, "RUB", "EUR", 100, 1, D(2026, 1, 1)]],
        "payments": [PAYMENT_HEADER, ["PM", "Globex", D(2026, 10, 1), 100, "RUB", "payment"]],
        "expenses": [
            EXPENSE_HEADER,
            ["EM", "Globex", D(2026, 10, 2), 30, "RUB", None],
            ["EU", "Globex_US", D(2026, 10, 12), 10, "USD", None],
        ],
    })

    result = run(warehouse)

    assert [(p.rule, p.file, p.sheet, p.row, p.column, p.value) for p in result.problems] == [
        ("rate_missing", "book.xlsx", "expenses", 3, "currency", "USD")]
    assert result.problems[0].message == (
        "No rate converts USD into RUB on 2026-10-12 for payer Globex (line EU); add a rate to "
        "the rates table. The line was left out of the balance rather than converted at 1.")
    [record] = payer_records(result)
    # 100.00 - 30.00 = 70.00; the 10.00 USD line is out, not converted at 1 (that would be 60.00)
    assert summary(record) == {
        "opening": "0.00", "payments": "100.00", "refunds": "0.00", "withdrawals": "0.00",
        "corrections": "0.00", "expenses": "30.00", "closing": "70.00", "available": "70.00",
        "flags": []}
    assert record["accounts"] == [account("Globex", "RUB", "30.00", "30.00")]


# 5 -------------------------------------------------------------------------------------------

def test_rate_change_mid_period_with_units(inbox: Path, warehouse: Path) -> None:
    load_ok(inbox, warehouse, {
        "clients": [CLIENT_HEADER, client("Kaz"), client("Kaz_KZ", "KZT")],
        "links": [LINK_HEADER, ["Kaz", "Kaz_KZ", D(2026, 1, 1), None]],
        "rates": [RATE_HEADER,
                  [None, "RUB", "KZT", 19.5, 100, D(2026, 1, 1)],  # 100 KZT = 19.50 RUB
                  [None, "RUB", "KZT", 20, 100, D(2026, 10, 15)]],  # 100 KZT = 20.00 RUB
        "payments": [PAYMENT_HEADER, ["PM", "Kaz", D(2026, 10, 1), 1000, "RUB", "payment"]],
        "expenses": [
            EXPENSE_HEADER,
            ["E1", "Kaz_KZ", D(2026, 10, 14), 1000, "KZT", None],  # old rate
            ["E2", "Kaz_KZ", D(2026, 10, 14), 333.33, "KZT", None],  # old rate
            ["E3", "Kaz_KZ", D(2026, 10, 15), 1000, "KZT", None],  # valid_from day: new rate
        ],
    })

    [record] = payer_records(run(warehouse))

    # E1 1000.00 * 19.5 / 100 = 195.00; E2 333.33 * 19.5 / 100 = 64.99935 -> 65.00;
    # E3 1000.00 * 20 / 100 = 200.00; total 460.00; closing 1000.00 - 460.00 = 540.00
    assert summary(record) == {
        "opening": "0.00", "payments": "1000.00", "refunds": "0.00", "withdrawals": "0.00",
        "corrections": "0.00", "expenses": "460.00", "closing": "540.00",
        "available": "540.00", "flags": []}
    # 1000.00 + 333.33 + 1000.00 = 2333.33 KZT
    assert record["accounts"] == [account("Kaz_KZ", "KZT", "2333.33", "460.00")]


def test_inverse_rate_when_only_the_opposite_direction_exists(inbox: Path,
                                                              warehouse: Path) -> None:
    load_ok(inbox, warehouse, {
        "clients": [CLIENT_HEADER, client("Yankee", "USD"), client("Yankee_RU")],
        "links": [LINK_HEADER, ["Yankee", "Yankee_RU", D(2026, 1, 1), None]],
        # only USD -> RUB (1 USD = 92.50 RUB); the RUB lines of the USD payer use its inverse
        "rates": [RATE_HEADER, [None, "RUB", "USD", 92.5, 1, D(2026, 1, 1)]],
        "payments": [PAYMENT_HEADER, ["PM", "Yankee", D(2026, 10, 1), 50, "USD", "payment"]],
        "expenses": [
            EXPENSE_HEADER,
            ["E1", "Yankee_RU", D(2026, 10, 10), 1000, "RUB", None],
            ["E2", "Yankee_RU", D(2026, 10, 11), 500, "RUB", None],
        ],
    })

    result = run(warehouse)
    [record] = payer_records(result)

    # round(total * units / rate): 1000.00 * 1 / 92.5 = 10.8108... -> 10.81;
    # 500.00 / 92.5 = 5.4054... -> 5.41; total 16.22; closing 50.00 - 16.22 = 33.78
    assert record["currency"] == "USD"
    assert summary(record) == {
        "opening": "0.00", "payments": "50.00", "refunds": "0.00", "withdrawals": "0.00",
        "corrections": "0.00", "expenses": "16.22", "closing": "33.78", "available": "33.78",
        "flags": []}
    assert record["accounts"] == [account("Yankee_RU", "RUB", "1500.00", "16.22")]
    assert result.problems == []


# 6 -------------------------------------------------------------------------------------------

def test_the_payers_own_rate_wins_over_the_default(inbox: Path, warehouse: Path) -> None:
    load_ok(inbox, warehouse, {
        "clients": [CLIENT_HEADER, client("Globex"), client("Globex_US", "USD"),
                    client("Other"), client("Other_US", "USD")],
        "links": [LINK_HEADER, ["Globex", "Globex_US", D(2026, 1, 1), None],
                  ["Other", "Other_US", D(2026, 1, 1), None]],
        "rates": [RATE_HEADER,
                  [None, "RUB", "USD", 92.5, 1, D(2026, 1, 1)],  # the default
                  ["Globex", "RUB", "USD", 90, 1, D(2026, 10, 5)],  # the payer's own
                  # the related account's own rate: rates are the payer's, so never used
                  ["Globex_US", "RUB", "USD", 80, 1, D(2026, 1, 1)]],
        "expenses": [
            EXPENSE_HEADER,
            ["G1", "Globex_US", D(2026, 10, 1), 10, "USD", None],  # own rate not yet valid
            ["G2", "Globex_US", D(2026, 10, 10), 10, "USD", None],
            ["O1", "Other_US", D(2026, 10, 10), 10, "USD", None],
        ],
    })

    found = records(run(warehouse))

    assert sorted(found) == ["Globex", "Other"]
    # G1 10.00 * 92.5 (default: the own rate holds from 5 Oct) = 925.00;
    # G2 10.00 * 90 (own) = 900.00; total 1825.00
    assert found["Globex"]["expenses"] == "1825.00"
    assert found["Globex"]["closing"] == "-1825.00"
    assert found["Globex"]["accounts"] == [account("Globex_US", "USD", "20.00", "1825.00")]
    # another payer has no own rate: 10.00 * 92.5 = 925.00
    assert found["Other"]["expenses"] == "925.00"
    assert found["Other"]["closing"] == "-925.00"


# 7 -------------------------------------------------------------------------------------------

def discount_tax_inbox(inbox: Path, warehouse: Path) -> None:
    load_ok(inbox, warehouse, {
        "clients": [CLIENT_HEADER, client("Shop"), client("Shop_SMS")],
        "links": [LINK_HEADER, ["Shop", "Shop_SMS", D(2026, 1, 1), None]],
        "discounts": [DISCOUNT_HEADER, ["Shop_SMS", 10, "sms", D(2026, 1, 1), None]],
        "taxes": [TAX_HEADER,
                  [None, 20, None, D(2026, 1, 1), None],  # default VAT 20 %
                  ["Shop_SMS", 0, "sms", D(2026, 1, 1), None]],  # client+product: wins
        "payments": [PAYMENT_HEADER, ["PM", "Shop", D(2026, 10, 1), 2000, "RUB", "payment"]],
        "expenses": [
            EXPENSE_HEADER,
            ["E1", "Shop_SMS", D(2026, 10, 5), 1000.05, "RUB", "sms"],
            ["E2", "Shop_SMS", D(2026, 10, 6), 100.03, "RUB", "web"],
            ["E3", "Shop", D(2026, 10, 7), 50, "RUB", "sms"],
            ["E4", "Shop_SMS", D(2026, 10, 8), 0.05, "RUB", "SMS"],
        ],
    })


def test_discount_and_tax_by_specificity_rounded_half_up_per_line(inbox: Path,
                                                                  warehouse: Path) -> None:
    discount_tax_inbox(inbox, warehouse)

    [record] = payer_records(run(warehouse))

    # E1 sms of Shop_SMS: 1000.05 * 0.9 = 900.045 -> 900.05; tax 0 % (client+product) -> 900.05
    # E2 web of Shop_SMS: no discount, 100.03; default tax 20.006 -> 20.01; total 120.04
    # E3 sms of the master Shop: the discount is Shop_SMS's, not the payer's: 50.00;
    #    default tax 10.00; total 60.00
    # E4 sms of Shop_SMS: 0.05 * 0.9 = 0.045 -> 0.05; tax 0 % -> 0.05
    #    (per line: E1 + E4 = 900.10; rounding the sum 1000.10 * 0.9 = 900.09 would be wrong)
    # expenses 900.05 + 120.04 + 60.00 + 0.05 = 1080.14; closing 2000.00 - 1080.14 = 919.86
    assert summary(record) == {
        "opening": "0.00", "payments": "2000.00", "refunds": "0.00", "withdrawals": "0.00",
        "corrections": "0.00", "expenses": "1080.14", "closing": "919.86",
        "available": "919.86", "flags": []}
    # Shop_SMS: 900.05 + 120.04 + 0.05 = 1020.14
    assert record["accounts"] == [account("Shop", "RUB", "60.00", "60.00"),
                                  account("Shop_SMS", "RUB", "1020.14", "1020.14")]


def test_discount_and_tax_rounded_half_even_on_request(inbox: Path, warehouse: Path) -> None:
    discount_tax_inbox(inbox, warehouse)

    [record] = payer_records(run(warehouse, MoneySettings(rounding="half_even")))

    # E1 900.045 -> 900.04 (4 is even); E2 120.04 and E3 60.00 as before (no ties);
    # E4 0.045 -> 0.04; expenses 900.04 + 120.04 + 60.00 + 0.04 = 1080.12;
    # closing 2000.00 - 1080.12 = 919.88
    assert summary(record) == {
        "opening": "0.00", "payments": "2000.00", "refunds": "0.00", "withdrawals": "0.00",
        "corrections": "0.00", "expenses": "1080.12", "closing": "919.88",
        "available": "919.88", "flags": []}
    # Shop_SMS: 900.04 + 120.04 + 0.04 = 1020.12
    assert record["accounts"] == [account("Shop", "RUB", "60.00", "60.00"),
                                  account("Shop_SMS", "RUB", "1020.12", "1020.12")]


# 8 -------------------------------------------------------------------------------------------

def test_partial_payment_fifo_ageing_and_flags(inbox: Path, warehouse: Path) -> None:
    lines = [(D(2026, 6, 15), 100), (D(2026, 8, 20), 200), (D(2026, 9, 25), 300),
             (D(2026, 10, 20), 400)]
    load_ok(inbox, warehouse, {
        "clients": [CLIENT_HEADER,
                    client("Aged", credit_limit=800, deferral_days=30, block_after_days=60),
                    # the same lines; each setting exactly at its boundary: no flag
                    client("Edge", credit_limit=850, deferral_days=72)],
        "payments": [PAYMENT_HEADER,
                     ["PA", "Aged", D(2026, 10, 5), 150, "RUB", "payment"],
                     ["PE", "Edge", D(2026, 10, 5), 150, "RUB", "payment"]],
        "expenses": [EXPENSE_HEADER] + [
            [f"{who[0]}{i}", who, day, amount, "RUB", None]
            for who in ("Aged", "Edge") for i, (day, amount) in enumerate(lines)],
    })

    found = records(run(warehouse))

    # opening -(100 + 200 + 300) = -600.00; closing -600.00 + 150.00 - 400.00 = -850.00.
    # The payment pays the oldest first: 100.00 of 15 Jun fully, 50.00 of the 200.00 of 20 Aug.
    # Debt 850.00 from the newest back, ages at 31 Oct:
    #   20 Oct: 11 days, 400.00 -> 0-30;  25 Sep: 5 + 31 = 36 days, 300.00 -> 31-60;
    #   20 Aug: 11 + 30 + 31 = 72 days, the 150.00 left -> 61-90;  15 Jun not reached.
    #   400.00 + 300.00 + 150.00 = 850.00
    ageing = {"0-30": "400.00", "31-60": "300.00", "61-90": "150.00", "over_90": "0.00"}
    aged, edge = found["Aged"], found["Edge"]
    assert summary(aged) == {
        "opening": "-600.00", "payments": "150.00", "refunds": "0.00", "withdrawals": "0.00",
        "corrections": "0.00", "expenses": "400.00", "closing": "-850.00",
        "available": "-50.00",  # -850.00 + 800.00 < 0: over_limit
        "flags": ["over_limit", "overdue", "to_block"]}  # oldest part 72 > 30 and 72 > 60
    assert aged["ageing"] == ageing
    # available -850.00 + 850.00 = 0.00 is not < 0; 72 > 72 is false; blank block = never
    assert edge["available"] == "0.00"
    assert edge["closing"] == "-850.00"
    assert edge["flags"] == []
    assert edge["ageing"] == ageing


# 9 -------------------------------------------------------------------------------------------

def test_postpay_has_no_available_and_is_never_over_limit(inbox: Path, warehouse: Path) -> None:
    load_ok(inbox, warehouse, {
        "clients": [CLIENT_HEADER, client("Post", postpay="yes"),
                    # a related account's own postpay is ignored while it is related
                    client("Pre"), client("Pre_POST", postpay="yes")],
        "links": [LINK_HEADER, ["Pre", "Pre_POST", D(2026, 1, 1), None]],
        "expenses": [EXPENSE_HEADER,
                     ["E1", "Post", D(2026, 10, 10), 500, "RUB", None],
                     ["E2", "Pre_POST", D(2026, 10, 10), 300, "RUB", None]],
    })

    found = records(run(warehouse))

    post = found["Post"]
    assert post["closing"] == "-500.00"
    assert post["available"] is None
    assert post["flags"] == []
    assert json.loads(json.dumps(post))["available"] is None  # JSON null
    assert post["ageing"] == {**ZERO_AGEING, "0-30": "500.00"}  # 31 Oct - 10 Oct = 21 days
    # the master's card governs: not postpay, limit 0: -300.00 + 0.00 < 0
    assert found["Pre"]["available"] == "-300.00"
    assert found["Pre"]["flags"] == ["over_limit"]
    assert "Pre_POST" not in found


# 10 ------------------------------------------------------------------------------------------

def test_top_up_of_a_related_account_is_refused_and_not_in_the_balance(
        inbox: Path, warehouse: Path) -> None:
    load_ok(inbox, warehouse, {
        "clients": [CLIENT_HEADER, client("Orhid"), client("Orhid_DIR")],
        "links": [LINK_HEADER, ["Orhid", "Orhid_DIR", D(2026, 9, 1), None]],
        "payments": [PAYMENT_HEADER,
                     ["PM", "Orhid", D(2026, 10, 1), 1000, "RUB", "payment"],
                     # a refund is no top-up: allowed, and charged to the master
                     ["PR", "Orhid_DIR", D(2026, 10, 2), 50, "RUB", "refund"]],
        "expenses": [EXPENSE_HEADER, ["E1", "Orhid_DIR", D(2026, 10, 3), 200, "RUB", None]],
    }, "base.xlsx")

    report = load(inbox, warehouse, {"payments": [
        PAYMENT_HEADER, ["BAD", "Orhid_DIR", D(2026, 10, 10), 500, "RUB", "payment"]]},
        "top_up.xlsx")

    assert report.exit_code == 1
    assert [(p.file, p.row, p.rule) for p in report.problems() if p.severity == "error"] == [
        ("top_up.xlsx", 2, "P2")]
    found = records(run(warehouse))
    assert sorted(found) == ["Orhid"]
    # 1000.00 - 50.00 - 200.00 = 750.00; the refused 500.00 is nowhere
    assert summary(found["Orhid"]) == {
        "opening": "0.00", "payments": "1000.00", "refunds": "50.00", "withdrawals": "0.00",
        "corrections": "0.00", "expenses": "200.00", "closing": "750.00",
        "available": "750.00", "flags": []}


# 11 ------------------------------------------------------------------------------------------

def test_a_direct_default_rate_wins_over_the_payers_own_inverse(inbox: Path,
                                                               warehouse: Path) -> None:
    load_ok(inbox, warehouse, {
        "clients": [CLIENT_HEADER, client("Globex"), client("Globex_US", "USD")],
        "links": [LINK_HEADER, ["Globex", "Globex_US", D(2026, 1, 1), None]],
        "rates": [RATE_HEADER,
                  [None, "RUB", "USD", 92.5, 1, D(2026, 1, 1)],  # default, direct
                  # the payer's own, but the opposite direction: 100 RUB = 1.25 USD
                  ["Globex", "USD", "RUB", 1.25, 100, D(2026, 1, 1)]],
        "expenses": [EXPENSE_HEADER, ["E1", "Globex_US", D(2026, 10, 10), 10, "USD", None]],
    })

    result = run(warehouse)
    [record] = payer_records(result)

    # lookup order own direct, default direct, own inverse, default inverse: there is no own
    # direct rate, so the default direct one: 10.00 * 92.5 = 925.00 (the own inverse would
    # give 10.00 * 100 / 1.25 = 800.00)
    assert record["expenses"] == "925.00"
    assert record["closing"] == "-925.00"
    assert record["accounts"] == [account("Globex_US", "USD", "10.00", "925.00")]
    assert result.problems == []


# 12 ------------------------------------------------------------------------------------------

def test_most_specific_discount_and_tax_win_and_tax_follows_the_discount(
        inbox: Path, warehouse: Path) -> None:
    load_ok(inbox, warehouse, {
        "clients": [CLIENT_HEADER, client("Shop"), client("Plain")],
        "discounts": [DISCOUNT_HEADER,
                      ["Shop", 5, None, D(2026, 1, 1), None],  # client
                      ["Shop", 10, "sms", D(2026, 1, 1), D(2026, 10, 20)]],  # client+product
        "taxes": [TAX_HEADER,
                  [None, 20, None, D(2026, 1, 1), None],  # default
                  [None, 18, "sms", D(2026, 1, 1), None],  # default+product
                  ["Shop", 10, None, D(2026, 1, 1), None]],  # client
        "expenses": [
            EXPENSE_HEADER,
            ["E1", "Shop", D(2026, 10, 5), 1000, "RUB", "sms"],
            ["E2", "Shop", D(2026, 10, 20), 200, "RUB", "sms"],  # the sms discount's valid_to
            ["E3", "Shop", D(2026, 10, 21), 200, "RUB", "sms"],  # the day after
            ["E4", "Plain", D(2026, 10, 5), 100, "RUB", "sms"],
            ["E5", "Plain", D(2026, 10, 5), 100, "RUB", "web"],
        ],
    })

    found = records(run(warehouse))

    # Shop's discount: client+product 10 % over client 5 % while the sms row holds (valid_to
    # inclusive); its tax: the client's 10 % over the default+product 18 %, on the discounted
    # amount: E1 1000.00 -> 900.00 + 90.00 = 990.00; E2 200.00 -> 180.00 + 18.00 = 198.00;
    # E3 (sms row ended) 200.00 * 0.95 = 190.00 + 19.00 = 209.00; 990 + 198 + 209 = 1397.00
    assert found["Shop"]["expenses"] == "1397.00"
    assert found["Shop"]["closing"] == "-1397.00"
    # Plain has no condition of its own: default+product 18 % over default 20 % for sms:
    # E4 100.00 + 18.00 = 118.00; E5 web 100.00 + 20.00 = 120.00; 238.00
    assert found["Plain"]["expenses"] == "238.00"
    assert found["Plain"]["accounts"] == [account("Plain", "RUB", "238.00", "238.00")]


# CLI -----------------------------------------------------------------------------------------

def test_balances_json_prints_the_payer_records(inbox: Path, warehouse: Path) -> None:
    link_unlink_inbox(inbox, warehouse)

    outcome = CliRunner().invoke(main, ["balances", "--period", OCTOBER, "--warehouse",
                                        str(warehouse), "--json"])

    assert outcome.exit_code == 0, outcome.output
    printed = json.loads(outcome.stdout)
    assert printed == payer_records(run(warehouse))
    assert [(r["payer"], r["closing"]) for r in printed] == [("Orhid", "490.00"),
                                                               ("Orhid_DIR", "50.00")]


def test_show_prints_the_group_with_link_dates_and_the_closing(inbox: Path,
                                                               warehouse: Path) -> None:
    link_unlink_inbox(inbox, warehouse)

    outcome = CliRunner().invoke(main, ["show", "Orhid", "--period", OCTOBER, "--warehouse",
                                        str(warehouse)])

    assert outcome.exit_code == 0, outcome.output
    text = outcome.stdout
    assert "Orhid — Orhid name (RUB, tax ID 7707083893) master" in text
    assert "Orhid_DIR — Orhid_DIR name (RUB), linked 2026-10-10 → 2026-10-20" in text
    assert "closing 490.00 RUB" in text
    assert "opening 0.00, payments 1000.00, expenses 510.00" in text


def test_show_of_a_related_account_prints_its_masters_group(inbox: Path,
                                                            warehouse: Path) -> None:
    load_ok(inbox, warehouse, {
        "clients": [CLIENT_HEADER, client("Globex"), client("Globex_DEP")],
        "links": [LINK_HEADER, ["Globex", "Globex_DEP", D(2026, 9, 1), None]],
        "payments": [PAYMENT_HEADER, ["PM", "Globex", D(2026, 10, 1), 300, "RUB", "payment"]],
        "expenses": [EXPENSE_HEADER, ["E1", "Globex_DEP", D(2026, 10, 3), 120.5, "RUB", None]],
    })

    outcome = CliRunner().invoke(main, ["show", "globex_dep", "--period", OCTOBER,
                                        "--warehouse", str(warehouse)])

    assert outcome.exit_code == 0, outcome.output
    text = outcome.stdout
    assert "Globex — Globex name (RUB, tax ID 7707083893) master" in text
    assert "Globex_DEP — Globex_DEP name (RUB), linked 2026-09-01 → open" in text
    assert "closing 179.50 RUB" in text  # 300.00 - 120.50


def test_payers_in_yen_and_in_dinars_are_rounded_to_their_currencys_digits(
        inbox: Path, warehouse: Path) -> None:
    """ISO 4217 minor digits: a yen has none, a Kuwaiti dinar three. The same USD expense is
    converted into each payer's currency and rounded half up to its own digits."""
    load_ok(inbox, warehouse, {
        "clients": [CLIENT_HEADER, client("Tokyo", "JPY"), client("Tokyo_US", "USD"),
                    client("Kuwait", "KWD"), client("Kuwait_US", "USD")],
        "links": [LINK_HEADER, ["Tokyo", "Tokyo_US", D(2026, 9, 1), None],
                  ["Kuwait", "Kuwait_US", D(2026, 9, 1), None]],
        "rates": [RATE_HEADER, [None, "JPY", "USD", 150.55, 1, D(2026, 1, 1)],
                  [None, "KWD", "USD", 0.3075, 1, D(2026, 1, 1)]],
        "payments": [PAYMENT_HEADER, ["PT", "Tokyo", D(2026, 10, 1), 2000, "JPY", "payment"],
                     ["PK", "Kuwait", D(2026, 10, 1), 5.5, "KWD", "payment"]],
        "expenses": [EXPENSE_HEADER, ["ET", "Tokyo_US", D(2026, 10, 12), 10.33, "USD", None],
                     ["EK", "Kuwait_US", D(2026, 10, 12), 10.33, "USD", None]],
    })

    found = records(run(warehouse))

    assert summary(found["Tokyo"]) == {
        "opening": "0", "payments": "2000", "refunds": "0", "withdrawals": "0",
        "corrections": "0",
        "expenses": "1555",  # 10.33 * 150.55 = 1555.1815 -> half up to whole yen 1555
        "closing": "445", "available": "445", "flags": []}
    assert summary(found["Kuwait"]) == {
        "opening": "0.000", "payments": "5.500", "refunds": "0.000", "withdrawals": "0.000",
        "corrections": "0.000",
        "expenses": "3.176",  # 10.33 * 0.3075 = 3.176475 -> half up to three places 3.176
        "closing": "2.324", "available": "2.324", "flags": []}
