"""Discounts and taxes of equal specificity may not overlap in time."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from conftest import CLIENTS, write_workbook

from ledgerflow.pipeline import load_inbox

DISCOUNT_HEADER = ["client_id", "percent", "product_type", "valid_from", "valid_to"]
TAX_HEADER = ["client_id", "rate_pct", "product_type", "valid_from", "valid_to"]
D = dt.date


def test_overlapping_discounts_of_equal_specificity_are_refused(inbox: Path,
                                                                warehouse: Path) -> None:
    write_workbook(inbox / "book.xlsx", {"clients": CLIENTS, "discounts": [
        DISCOUNT_HEADER,
        ["acme", 10, "sms", D(2026, 1, 1), D(2026, 6, 30)],
        ["acme", 5, None, D(2026, 1, 1), None],  # less specific: may overlap
        ["ACME", 15, "SMS", D(2026, 6, 30), None],  # same client and product, shares 30 June
        ["acme", 20, "sms", D(2026, 7, 1), None],  # after the first, but overlaps the third
    ]})

    report = load_inbox(inbox, warehouse)

    found = sorted((p.row, p.rule) for p in report.problems() if p.severity == "error")
    assert found == [(4, "discounts_overlap"), (5, "discounts_overlap")]
    [first] = [p for p in report.problems() if p.row == 4]
    assert "book.xlsx, sheet 'discounts', row 2" in first.message


def test_default_taxes_overlap_only_with_defaults(inbox: Path, warehouse: Path) -> None:
    write_workbook(inbox / "book.xlsx", {"clients": CLIENTS, "taxes": [
        TAX_HEADER,
        [None, 20, None, D(2026, 1, 1), None],
        ["acme", 0, None, D(2026, 1, 1), None],  # client-specific: may overlap the default
        [None, 10, "books", D(2026, 1, 1), None],  # default + product: its own level
    ]})
    load_inbox(inbox, warehouse)
    write_workbook(inbox / "more.xlsx", {"taxes": [
        TAX_HEADER, [None, 22, None, D(2026, 12, 1), None]]})

    report = load_inbox(inbox, warehouse)

    [problem] = [p for p in report.problems() if p.severity == "error"]
    assert (problem.file, problem.row, problem.rule) == ("more.xlsx", 2, "taxes_overlap")
