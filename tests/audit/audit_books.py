"""The books the audit tests work on: a master in roubles with a related account in tenge (its
own discount, the default tax, the master's own rate), and a payer of its own; a monthly run of
October over them, writing every format."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import write_workbook

from ledgerflow.cli import main

D = dt.date
INN = "7707083893"
CLIENTS = [["client_id", "name", "client_type", "tax_id", "currency", "credit_limit"],
           ["Shop", "Магазин", "legal", INN, "RUB", 0],
           ["Shop_KZ", "Магазин Казахстан", "legal", INN, "KZT", 0],
           ["Solo", "Solo Ltd", "legal", INN, "RUB", 500]]
LINKS = [["master_id", "related_id", "linked_on", "unlinked_on"],
         ["Shop", "Shop_KZ", D(2026, 1, 1), None]]
RATES = [["client_id", "base_currency", "currency", "rate", "units", "valid_from"],
         ["Shop", "RUB", "KZT", 17.5, 100, D(2026, 1, 1)]]
DISCOUNTS = [["client_id", "percent", "product_type", "valid_from", "valid_to"],
             ["Shop_KZ", 10, "sms", D(2026, 1, 1), None]]
TAXES = [["client_id", "rate_pct", "product_type", "valid_from", "valid_to"],
         [None, 12, None, D(2026, 1, 1), None]]
PAYMENTS = [["payment_id", "client_id", "date", "amount", "currency", "kind"],
            ["P-1", "Shop", D(2026, 10, 1), 1000, "RUB", "payment"],
            ["P-2", "Solo", D(2026, 10, 2), 300, "RUB", "payment"]]
EXPENSES = [["expense_id", "client_id", "date", "amount", "currency", "product_type"],
            # 1000.05 KZT - 10 % = 900.045 -> 900.05; tax 12 % = 108.006 -> 108.01;
            # total 1008.06 KZT * 17.5 / 100 = 176.4105 -> 176.41 RUB
            ["E-1", "Shop_KZ", D(2026, 10, 12), 1000.05, "KZT", "sms"],
            ["E-2", "Solo", D(2026, 10, 20), 100, "RUB", "web"]]  # tax 12.00: 112.00
LATE = [["payment_id", "client_id", "date", "amount", "currency", "kind"],
        ["P-LATE", "Solo", D(2026, 10, 25), 50.5, "RUB", "payment"]]


def write_inbox(inbox: Path) -> None:
    inbox.mkdir(parents=True, exist_ok=True)
    write_workbook(inbox / "clients.xlsx", {"clients": CLIENTS})
    write_workbook(inbox / "links.xlsx", {"links": LINKS})
    write_workbook(inbox / "conditions.xlsx", {"rates": RATES, "discounts": DISCOUNTS,
                                               "taxes": TAXES})
    write_workbook(inbox / "payments.xlsx", {"payments": PAYMENTS})
    write_workbook(inbox / "expenses.xlsx", {"expenses": EXPENSES})


def write_late_payment(inbox: Path) -> Path:
    return write_workbook(inbox / "payments_late.xlsx", {"payments": LATE})


def pipeline(folder: Path, outputs: str = "html, xlsx, pdf") -> Path:
    listed = ", ".join(f'"{o.strip()}"' for o in outputs.split(","))
    path = folder / "monthly.toml"
    path.write_text(f'inbox = "{folder / "inbox"}"\nwarehouse = "{folder / "ledger.duckdb"}"\n'
                    f'reports = "{folder / "reports"}"\nperiod = "2026-10"\n'
                    f"outputs = [{listed}]\n", encoding="utf-8")
    return path


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def monthly_run(folder: Path, outputs: str = "html, xlsx, pdf") -> Path:
    """The run of October over the books in `folder` (inbox, warehouse, reports): the period's
    report folder."""
    code, output = invoke("run", str(pipeline(folder, outputs)))
    assert code == 0, output
    return folder / "reports" / "2026-10"


def made_books(factory: pytest.TempPathFactory, name: str, outputs: str) -> Path:
    """A folder of its own with the books loaded and October run in `outputs`."""
    folder = factory.mktemp(name)
    write_inbox(folder / "inbox")
    monthly_run(folder, outputs)
    return folder
