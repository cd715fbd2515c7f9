"""`ledgerflow trace`: a converted, discounted, taxed expense of a related account explained
back to its cell, every step with its numbers, adding up to the statement's line. Expected
amounts are worked out by hand (audit_books)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from audit_books import invoke, made_books


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return made_books(tmp_path_factory, "books", "html, xlsx")


def trace_json(books: Path, what: str) -> list[dict[str, object]]:
    code, output = invoke("trace", what, "--warehouse", str(books / "ledger.duckdb"), "--json")
    assert code == 0, output
    found: list[dict[str, object]] = json.loads(output)
    return found


def test_trace_of_a_converted_discounted_taxed_expense_of_a_related_account(books: Path
                                                                              ) -> None:
    [found] = trace_json(books, "e-1")  # IDs compare case-insensitively
    assert (found["line_id"], found["kind"], found["account"], found["payer"]) == (
        "E-1", "expense", "Shop_KZ", "Shop")
    assert found["source"] == {
        "source": {"file": "expenses.xlsx", "sheet": "expenses", "row": 2, "load_id": 5},
        "cells": {"expense_id": "E-1", "client_id": "Shop_KZ", "date": "2026-10-12",
                  "amount": "1000.0500", "currency": "KZT", "product_type": "sms",
                  "description": None}}
    load = found["load"]
    assert isinstance(load, dict)
    assert load["file"] == "expenses.xlsx" and load["status"] == "completed"
    assert load["sha256"] == hashlib.sha256(
        (books / "inbox" / "expenses.xlsx").read_bytes()).hexdigest()
    resolution = found["payer_resolution"]
    assert isinstance(resolution, dict)
    assert resolution["link"]["source"] == {"file": "links.xlsx", "sheet": "links", "row": 2,
                                            "load_id": 3}
    assert resolution["link"]["cells"]["master_id"] == "Shop"
    assert resolution["link"]["cells"]["related_id"] == "Shop_KZ"
    assert found["discount"] == {"percent": "10", "row": {
        "source": {"file": "conditions.xlsx", "sheet": "discounts", "row": 2, "load_id": 2},
        "cells": {"client_id": "Shop_KZ", "percent": "10.000000", "product_type": "sms",
                  "valid_from": "2026-01-01", "valid_to": None}}}
    tax = found["tax"]
    assert isinstance(tax, dict) and tax["percent"] == "12"
    assert tax["row"]["source"]["sheet"] == "taxes"
    rate = found["rate"]
    assert isinstance(rate, dict)
    assert (rate["whose"], rate["rate"], rate["units"], rate["inverse"]) == (
        "own", "17.5", 100, False)
    assert rate["row"]["source"]["sheet"] == "rates"
    steps = {s["step"]: s for s in found["steps"]}  # type: ignore[union-attr]
    assert [s["step"] for s in found["steps"]] == [  # type: ignore[union-attr]
        "net", "charged", "discount", "tax", "total", "converted", "signed"]
    assert (steps["net"]["value"], steps["net"]["currency"]) == ("1000.05", "KZT")
    assert (steps["charged"]["exact"], steps["charged"]["value"]) == ("900.045", "900.05")
    assert steps["discount"]["value"] == "100.00"
    assert (steps["tax"]["exact"], steps["tax"]["value"]) == ("108.006", "108.01")
    assert steps["total"]["value"] == "1008.06"
    assert (steps["converted"]["exact"], steps["converted"]["value"],
            steps["converted"]["currency"]) == ("176.4105", "176.41", "RUB")
    assert all(s["rounding_holds"] for s in steps.values() if "rounding_holds" in s)
    assert steps["signed"]["value"] == "-176.41"
    # the statement's line 2: 1000.00 after P-1, then -176.41
    assert found["statement"] == {"line_no": 2, "balance_before": "1000.00",
                                  "amount_payer": "-176.41", "balance": "823.59"}
    assert found["adds_up"] is True and found["problems"] == []


def test_trace_of_a_statement_file_line_prints_every_step(books: Path) -> None:
    statement = books / "reports" / "2026-10" / "statements" / "Shop.html"
    code, output = invoke("trace", f"{statement}:2", "--warehouse",
                          str(books / "ledger.duckdb"))
    assert code == 0, output
    assert "expense E-1 of 2026-10-12, account Shop_KZ, payer Shop" in output
    assert "source: expenses.xlsx / expenses / row 2 (load 5)" in output
    assert "link: links.xlsx / links / row 2 (load 3)" in output
    assert "discount 10 %: conditions.xlsx / discounts / row 2 (load 2)" in output
    assert re.search(r"charged +1000\.05 × \(100 − 10\) / 100 = 900\.045 → rounded = 900\.05 KZT",
                     output)
    assert re.search(r"converted +1008\.06 KZT × 17\.5 / 100 \(own rate\) = 176\.4105 → "
                     r"rounded = 176\.41 RUB", output)
    assert "statement line 2: balance 1000.00 + -176.41 = 823.59 RUB" in output
    assert "adds up: yes" in output


def test_the_statement_page_explains_a_line_over_its_source(books: Path) -> None:
    page = (books / "reports" / "2026-10" / "statements" / "Shop.html").read_text("utf-8")
    [title] = re.findall(r'<tr class="line kind-expense" data-line-id="E-1".*?<td class="desc"'
                         r' title="([^"]*)"', page, flags=re.DOTALL)
    assert title == ("Загрузка: 5 · Скидка, %: 10 % · Строка скидки: conditions.xlsx / "
                     "discounts / 2 · Налог, %: 12 % · Строка налога: conditions.xlsx / taxes"
                     " / 2 · Чей курс: own")


def test_trace_of_an_unknown_id_or_line_exits_1_with_a_message(books: Path) -> None:
    code, output = invoke("trace", "NO-SUCH", "--warehouse", str(books / "ledger.duckdb"))
    assert code == 1 and "No payment or expense NO-SUCH in the warehouse." in output
    statement = books / "reports" / "2026-10" / "statements" / "Shop.html"
    code, output = invoke("trace", f"{statement}:9", "--warehouse",
                          str(books / "ledger.duckdb"))
    assert code == 1 and "Shop.html has 2 lines, not a line 9." in output
