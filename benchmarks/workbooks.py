"""Large generated workbooks for the ingest benchmarks (`ingest.py`, `make_data.py`).

`write_clients_workbook` writes N standalone clients C000001.. and `write_expenses_workbook` a
sheet of expenses that refer to them, both with the sample inbox's document properties and
product types, so that the same arguments give the same bytes.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import xlsxwriter

from ledgerflow.sample import DOCUMENT_CREATED, PRODUCTS
from ledgerflow.values import complete_inn, excel_serial

BENCH_HEADER = ("expense_id", "client_id", "date", "amount", "currency", "product_type",
                "description")
BENCH_FIRST_DAY = date(2026, 8, 1)
BENCH_DAYS = 92  # August to October 2026


def benchmark_client_id(number: int) -> str:
    return f"C{number:06d}"


def write_clients_workbook(path: Path, clients: int) -> None:
    """`clients` standalone legal clients C000001.. in RUB with valid INNs, sheet 'clients'."""
    header = ("client_id", "name", "client_type", "tax_id", "country", "currency",
              "credit_limit", "status")
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    workbook.set_properties({"created": DOCUMENT_CREATED})
    money = workbook.add_format({"num_format": "#,##0.00"})
    sheet = workbook.add_worksheet("clients")
    sheet.write_row(0, 0, header)
    for n in range(1, clients + 1):
        sheet.write_row(n, 0, (benchmark_client_id(n), f"ООО «Клиент {n}»", "legal",
                               complete_inn(f"77{n:07d}"), "RU", "RUB"))
        sheet.write_number(n, 6, (n % 10) * 10_000, money)
        sheet.write_string(n, 7, "active")
    workbook.close()


def _bench_columns(rows: int, clients: int, seed: int) -> dict[str, list[Any]]:
    """Random columns as Python lists, ordered by date as an export would be."""
    rng = np.random.default_rng(seed)
    days = np.sort(rng.integers(0, BENCH_DAYS, rows))
    first_serial = excel_serial(BENCH_FIRST_DAY)
    return {
        "client": rng.integers(1, clients + 1, rows).tolist(),
        "serial": (days + first_serial).tolist(),
        "amount": (rng.integers(100, 5_000_000, rows) / 100).tolist(),
        "product": rng.integers(0, len(PRODUCTS), rows).tolist(),
    }


def write_expenses_workbook(path: Path, rows: int, clients: int, seed: int = 1) -> None:
    """One .xlsx with sheet 'expenses' of `rows` rows for clients C000001..; constant memory.

    Dates are written as date cells (a serial number with a date format), amounts as numbers
    with 2 decimals."""
    columns = _bench_columns(rows, clients, seed)
    products = [(name, PRODUCTS[name][0]) for name in PRODUCTS]
    client_ids = [benchmark_client_id(n) for n in range(clients + 1)]
    # Shared strings, as Excel itself saves a workbook (not inline strings): the benchmark reads
    # what accountants drop. xlsxwriter keeps the cells in memory for that (about 1 GB here).
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": False})
    workbook.set_properties({"created": DOCUMENT_CREATED})
    date_format = workbook.add_format({"num_format": "dd.mm.yyyy"})
    money = workbook.add_format({"num_format": "#,##0.00"})
    sheet = workbook.add_worksheet("expenses")
    sheet.write_row(0, 0, BENCH_HEADER)
    write_string, write_number = sheet.write_string, sheet.write_number
    for i, (client, serial, amount, product) in enumerate(zip(
            columns["client"], columns["serial"], columns["amount"], columns["product"],
            strict=True), 1):
        write_string(i, 0, f"X{i:08d}")
        write_string(i, 1, client_ids[client])
        write_number(i, 2, serial, date_format)
        write_number(i, 3, amount, money)
        write_string(i, 4, "RUB")
        write_string(i, 5, products[product][0])
        write_string(i, 6, products[product][1])
    workbook.close()
