"""The evidence travels with the PDF: the CSV attached to a PDF statement, read back with
pypdf, is the statement's lines — every field of the layout, the derivation with them — as the
consolidation gives them."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import duckdb
import pypdf
import pytest
from audit_books import made_books

from ledgerflow.render.layout import LINES
from ledgerflow.rules.consolidate import consolidate
from ledgerflow.rules.period import Period


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return made_books(tmp_path_factory, "evidence", "pdf")


def as_csv(value: object) -> str:
    """A stored value as the attachment writes it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


@pytest.mark.parametrize("payer", ["Shop", "Solo"])
def test_the_pdfs_attached_csv_is_the_statements_lines(books: Path, payer: str) -> None:
    reader = pypdf.PdfReader(books / "reports" / "2026-10" / "statements" / f"{payer}.pdf")
    assert list(reader.attachments) == [f"{payer}.lines.csv"]
    [data] = reader.attachments[f"{payer}.lines.csv"]
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    assert rows[0] == [f.key for f in LINES.fields]
    with duckdb.connect(str(books / "ledger.duckdb"), read_only=True) as connection:
        lines = consolidate(connection, Period.month("2026-10")).lines([payer.lower()])
        expected = [[as_csv(line[f.value]) for f in LINES.fields] for line in lines.to_pylist()]
    assert rows[1:] == expected and len(expected) == 2


def test_the_attached_csv_carries_the_derivation(books: Path) -> None:
    reader = pypdf.PdfReader(books / "reports" / "2026-10" / "statements" / "Shop.pdf")
    [data] = reader.attachments["Shop.lines.csv"]
    header, _payment, expense = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
    line = dict(zip(header, expense, strict=True))
    assert line["line_id"] == "E-1" and line["account"] == "Shop_KZ"
    assert Decimal(line["net"]) == Decimal("1000.05")
    assert Decimal(line["discount_pct"]) == 10 and Decimal(line["discount"]) == Decimal("100.00")
    assert line["discount_source"] == "conditions.xlsx / discounts / 2"
    assert Decimal(line["tax_pct"]) == 12 and Decimal(line["tax"]) == Decimal("108.01")
    assert line["tax_source"] == "conditions.xlsx / taxes / 2"
    assert Decimal(line["amount"]) == Decimal("1008.06")
    assert (Decimal(line["rate"]), line["units"], line["rate_source"]) == (
        Decimal("17.5"), "100", "own")
    assert Decimal(line["amount_payer"]) == Decimal("-176.41")
    assert (line["source"], line["sheet"], line["row"], line["load_id"]) == (
        "expenses.xlsx", "expenses", "2", "5")
