"""A statement as headless Chromium shows it: the totals on the page are the warehouse's."""

from __future__ import annotations

import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import duckdb
from conftest import CLIENTS, EXPENSE_HEADER, PAYMENT_HEADER, write_workbook

from ledgerflow.pipeline import load_inbox
from ledgerflow.render.build import build_statements
from ledgerflow.render.formatting import format_money
from ledgerflow.render.html import HtmlRenderer
from ledgerflow.rules.consolidate import consolidate
from ledgerflow.rules.period import Period

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


class Fields(HTMLParser):
    """Text of every element carrying a data-field attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self._open: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open.append(dict(attrs).get("data-field"))
        if self._open[-1]:
            self.fields.setdefault(self._open[-1], "")

    def handle_endtag(self, tag: str) -> None:
        if self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for name in self._open:
            if name and name in self.fields:
                self.fields[name] += data


def browser_dom(page: Path, profile: Path) -> str:
    assert CHROMIUM, "Chromium is needed: scripts/test.sh installs Debian's chromium package"
    done = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=True)
    return done.stdout


def test_chromium_shows_the_statement_totals(inbox: Path, warehouse: Path,
                                              tmp_path: Path) -> None:
    write_workbook(inbox / "book.xlsx", {
        "clients": CLIENTS,
        "links": [["master_id", "related_id", "linked_on"],
                  ["Orhid_magazine", "Orhid_magazine_DIR", "01.01.2026"]],
        "payments": [PAYMENT_HEADER, ["P1", "Orhid_magazine", "01.10.2026", 5000, "RUB",
                                      "payment"]],
        "expenses": [EXPENSE_HEADER,
                     ["E1", "Orhid_magazine_DIR", "05.10.2026", "1 234,56", "RUB", "sms"],
                     ["E2", "Orhid_magazine", "06.10.2026", 100, "RUB", "sms"]],
    })
    assert load_inbox(inbox, warehouse).exit_code == 0
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        result = consolidate(connection, Period.month("2026-10"))
        [statement] = [s for s in build_statements(connection, result, {})
                       if s.payer == "Orhid_magazine"]
    page = tmp_path / "statement.html"
    page.write_text(HtmlRenderer("ru").statement(statement), encoding="utf-8")

    parser = Fields()
    parser.feed(browser_dom(page, tmp_path / "profile"))

    shown = {k: " ".join(v.split()) for k, v in parser.fields.items()}
    # 5000 - 1234.56 - 100 = 3665.44; limit 1000 -> available 4665.44
    assert shown["closing"] == " ".join(format_money(statement.closing, "RUB", "ru").split())
    assert "3 665,44" in shown["closing"].replace("\u202f", " ").replace("\xa0", " ")
    assert "4 665,44" in shown["available"].replace("\u202f", " ").replace("\xa0", " ")
    assert "1 334,56" in shown["expenses"].replace("\u202f", " ").replace("\xa0", " ")
