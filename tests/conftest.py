"""Shared helpers: tiny workbooks and inboxes written inside the tests."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter

Rows = Sequence[Sequence[Any]]

# The suite's messages are asserted in English, the catalogs' source language; a test of the
# Russian words says so (`ledgerflow.i18n.use_locale("ru")`, or `--locale ru` on a command).
# Set in the environment, so commands run as subprocesses speak English too.
os.environ["LEDGERFLOW_LOCALE"] = "en"

CLIENT_HEADER = ["client_id", "name", "client_type", "tax_id", "currency", "credit_limit"]
CLIENTS = [
    CLIENT_HEADER,
    ["Orhid_magazine", "Орхидея", "legal", "7707083893", "RUB", 1000],
    ["Orhid_magazine_DIR", "Орхидея дирекция", "legal", "7707083893", "RUB", 0],
    ["acme", "ACME Ltd", "individual", "500100732259", "USD", 0],
]
PAYMENT_HEADER = ["payment_id", "client_id", "date", "amount", "currency", "kind"]
EXPENSE_HEADER = ["expense_id", "client_id", "date", "amount", "currency", "product_type"]
BENCHMARKS = Path(__file__).parent.parent / "benchmarks"


def write_workbook(path: Path, sheets: dict[str, Rows], hidden: Sequence[str] = (),
                   start_row: int = 0) -> Path:
    """An .xlsx with one sheet per entry; dates become date cells, the rest as typed."""
    workbook = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    date_format = workbook.add_format({"num_format": "dd.mm.yyyy"})
    for name, rows in sheets.items():
        sheet = workbook.add_worksheet(name)
        if name in hidden:
            sheet.hide()
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, (dt.date, dt.datetime)):
                    sheet.write_datetime(start_row + r, c, value, date_format)
                elif isinstance(value, str):
                    sheet.write_string(start_row + r, c, value)
                else:
                    sheet.write(start_row + r, c, value)
    workbook.close()
    return path


def warehouse_rows(warehouse: Path, sql: str,
                   parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """The rows a query finds in a warehouse, opened read-only for it (and closed)."""
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(sql, list(parameters)).fetchall()


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return tmp_path / "ledger.duckdb"


@contextmanager
def benchmarks_importable() -> Iterator[None]:
    """benchmarks/ is a folder of scripts, not a package: put it on sys.path while the module is
    imported and while it generates (its spawned workers import it through the sys.path they
    inherit), and only then, so that its script names shadow nothing in other tests."""
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(BENCHMARKS))
        yield
