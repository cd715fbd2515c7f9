"""The index adds up and helps (SPEC "Outputs"): on the sample inbox and the tests' books, every
payer's row has every movement, so opening + movements = closing exactly, and one totals row per
currency; the group under each master, with its region; the page's own script searches, sorts
and filters in headless Chromium, driven as a person would (typing, clicking) over the DevTools
protocol on a pipe (no library, no network)."""

from __future__ import annotations

import base64
import csv
import dataclasses
import fcntl
import hashlib
import json
import os
import re
import select
import shutil
import subprocess
import time
from collections.abc import Iterator
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pytest
from conftest import CLIENTS, EXPENSE_HEADER, PAYMENT_HEADER, write_workbook

from ledgerflow.pipeline import load_inbox
from ledgerflow.render.build import statement_headers
from ledgerflow.render.excel import write_index_xlsx
from ledgerflow.render.html import HtmlRenderer
from ledgerflow.render.labels import labels
from ledgerflow.render.layout import INDEX, SUMMARY, heading
from ledgerflow.render.model import IndexEntry, Statement
from ledgerflow.rules.consolidate import consolidate
from ledgerflow.rules.period import Period

SAMPLE = Path(__file__).parents[2] / "sample_data"
OCTOBER = Period.month("2026-10")
MOVEMENTS = [item.key for item in SUMMARY]  # opening, payments, ..., expenses
D = Decimal


def entries_of(warehouse: Path) -> list[IndexEntry]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        statements = statement_headers(consolidate(connection, OCTOBER), {})
    return [IndexEntry(s, f"statements/{s.payer}.html", f"statements/{s.payer}.xlsx",
                       f"statements/{s.payer}.pdf") for s in statements]


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> list[IndexEntry]:
    """The demo's inbox (sample_data/), loaded: RUB and USD payers, every kind of movement."""
    warehouse = tmp_path_factory.mktemp("sample") / "w.duckdb"
    assert load_inbox(SAMPLE, warehouse).exit_code == 0
    return entries_of(warehouse)


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> list[IndexEntry]:
    """The tests' book: a master with two regional accounts, another payer in USD with an
    opening balance, a refund, a withdrawal and a correction."""
    folder = tmp_path_factory.mktemp("book")
    inbox = folder / "inbox"
    inbox.mkdir()
    header, *rows = CLIENTS
    write_workbook(inbox / "book.xlsx", {
        "клиенты": [[*header, "Регион"], [*rows[0], None], [*rows[1], "Москва"],
                    ["Orhid_magazine_KZN", "Орхидея Казань", "legal", "7707083893", "RUB", 0,
                     "Республика Татарстан"], [*rows[2], "<b>Ohio</b>"]],
        "links": [["master_id", "related_id", "linked_on", "unlinked_on"],
                  ["Orhid_magazine", "Orhid_magazine_DIR", "01.01.2026", None],
                  ["Orhid_magazine", "Orhid_magazine_KZN", "01.01.2026", None]],
        "payments": [PAYMENT_HEADER,
                     ["P0", "acme", "15.09.2026", "7.00", "USD", "payment"],  # opening
                     ["P1", "Orhid_magazine", "01.10.2026", 5000, "RUB", "payment"],
                     ["P2", "Orhid_magazine", "02.10.2026", "120,50", "RUB", "refund"],
                     ["P3", "Orhid_magazine", "03.10.2026", 30, "RUB", "withdrawal"],
                     ["P4", "Orhid_magazine", "04.10.2026", "-0,99", "RUB", "correction"],
                     ["P5", "acme", "05.10.2026", "10.25", "USD", "payment"]],
        "expenses": [EXPENSE_HEADER,
                     ["E1", "Orhid_magazine_DIR", "05.10.2026", "1 234,56", "RUB", "sms"],
                     ["E2", "Orhid_magazine_KZN", "06.10.2026", 100, "RUB", "sms"],
                     ["E3", "acme", "07.10.2026", "3.10", "USD", "hosting"]],
    })
    assert load_inbox(inbox, folder / "w.duckdb").exit_code == 0
    return entries_of(folder / "w.duckdb")


class Rows(HTMLParser):
    """The index page's table: per payer row and per totals row, each cell's data-value (or
    text) by its data-field."""

    def __init__(self) -> None:
        super().__init__()
        self.payers: list[dict[str, str]] = []
        self.totals: list[dict[str, str]] = []
        self.headers: list[str] = []
        self._row: dict[str, str] | None = None
        self._field: str | None = None
        self._th = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "tr" and "data-payer" in found:
            self._row = {"payer": found["data-payer"]}
            self.payers.append(self._row)
        elif tag == "tr" and found.get("data-row") == "totals":
            self._row = {"currency": found["data-currency"]}
            self.totals.append(self._row)
        elif tag == "td" and self._row is not None and "data-field" in found:
            self._field = found["data-field"]
            self._row[self._field] = found.get("data-value", "")
        elif tag == "th" and self._row is None:
            self._th = True
            self.headers.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._field = None
        elif tag == "tr":
            self._row = None
        elif tag == "th":
            self._th = False

    def handle_data(self, data: str) -> None:
        if self._th:
            self.headers[-1] += data
        elif self._row is not None and self._field and not self._row[self._field].strip():
            self._row[self._field] = (self._row[self._field] + data).strip()


def parsed(page: str) -> Rows:
    rows = Rows()
    rows.feed(page)
    return rows


def adds_up(values: dict[str, Decimal]) -> Decimal:
    return sum((-values[i.key] if i.sign == "-" else values[i.key] for i in SUMMARY), D(0))


@pytest.mark.parametrize("which", ["sample", "book"])
def test_every_row_adds_up_and_totals_are_per_currency(which: str, request: pytest.FixtureRequest,
                                                       tmp_path: Path) -> None:
    entries: list[IndexEntry] = request.getfixturevalue(which)
    statements = {e.statement.payer: e.statement for e in entries}
    kinds = {k for s in statements.values() for k in MOVEMENTS if getattr(s, k)}
    # every movement is somewhere in the book (the sample's one refund is in September)
    assert kinds == set(MOVEMENTS) - ({"refunds"} if which == "sample" else set())
    currencies = sorted({s.currency for s in statements.values()})
    assert len(currencies) == 2

    # the page: each row's exact amounts (data-value) add up, and are the statement's
    page = parsed(HtmlRenderer("ru").index(entries, OCTOBER))
    assert [row["payer"] for row in page.payers] == list(statements)
    for row in page.payers:
        values = {k: D(row[k]) for k in [*MOVEMENTS, "closing"]}
        assert adds_up(values) == values["closing"], row["payer"]
        assert values == {k: getattr(statements[row["payer"]], k) for k in values}
    # one totals row per currency, each the sum of that currency's payers only
    assert [t["currency"] for t in page.totals] == currencies

    # the workbook: the same rows, the same sums; closing is their formula
    path = tmp_path / "index.xlsx"
    write_index_xlsx(path, entries, OCTOBER, "ru")
    formulas = openpyxl.load_workbook(path).active
    sheet = openpyxl.load_workbook(path, data_only=True).active
    words = labels("ru")
    column = {c.key: i for i, c in enumerate(INDEX.in_workbook())}
    assert [c.value for c in sheet[2]] == page.headers  # one set of column names
    for r in range(3, 3 + len(entries)):
        cells = sheet[r]
        st = statements[cells[0].value]
        values = {k: D(repr(cells[column[k]].value)) for k in [*MOVEMENTS, "closing"]}
        assert adds_up(values) == values["closing"] == st.closing, st.payer
        assert values == {k: getattr(st, k) for k in values}
        assert str(formulas.cell(r, column["closing"] + 1).value).startswith("=")
    totals = {sheet.cell(r, column["currency"] + 1).value: r
              for r in range(4 + len(entries), sheet.max_row + 1)}
    assert sorted(totals) == currencies and sheet.max_row == 3 + len(entries) + len(currencies)
    for currency, r in totals.items():
        assert sheet.cell(r, 1).value == words["totals"]
        mine = [s for s in statements.values() if s.currency == currency]
        sums = {k: D(repr(sheet.cell(r, column[k] + 1).value))
                for k in [*MOVEMENTS, "closing"]}
        assert sums == {k: sum((getattr(s, k) for s in mine), D(0)) for k in sums}
        assert adds_up(sums) == sums["closing"]
        assert sheet.cell(r, column["lines_count"] + 1).value == sum(
            s.lines_count for s in mine)
        shown = next(t for t in page.totals if t["currency"] == currency)
        assert shown["lines_count"] == str(sum(s.lines_count for s in mine))


def test_the_group_is_shown_under_its_master_with_its_region(book: list[IndexEntry],
                                                             tmp_path: Path) -> None:
    page = HtmlRenderer("en").index(book, OCTOBER)
    row = re.search(r'<tr data-payer="Orhid_magazine".*?</tr>', page, re.S)
    assert row is not None
    group = re.search(r'<td class="group" data-field="group">(.*?)</td>', row.group(0))
    assert group is not None
    assert re.findall(r'<li>(.*?)</li>', group.group(1)) == [
        '<span class="mono" data-field="related">Orhid_magazine_DIR</span> '
        '<span class="region" data-field="region">Москва</span>',
        '<span class="mono" data-field="related">Orhid_magazine_KZN</span> '
        '<span class="region" data-field="region">Республика Татарстан</span>']
    assert '<td class="group" data-field="group"></td>' in page  # acme: no group
    path = tmp_path / "index.xlsx"
    write_index_xlsx(path, book, OCTOBER, "en")
    sheet = openpyxl.load_workbook(path).active
    column = 1 + [c.key for c in INDEX.in_workbook()].index("group")
    assert sheet.cell(2, column).value == heading(INDEX.columns[2], labels("en")) == \
        "Related accounts"
    rows = {sheet.cell(r, 1).value: sheet.cell(r, column).value for r in (3, 4)}
    assert rows == {"acme": None, "Orhid_magazine": (
        "Orhid_magazine_DIR (Москва), Orhid_magazine_KZN (Республика Татарстан)")}

    # a region is text from the inputs: escaped on the page, inert text in the workbook
    master = next(e for e in book if e.statement.related)
    hostile = "<script>alert(1)</script>"
    related = tuple(dataclasses.replace(r, region=hostile) for r in master.statement.related)
    entry = dataclasses.replace(master, statement=dataclasses.replace(master.statement,
                                                                      related=related))
    page = HtmlRenderer("en").index([entry], OCTOBER)
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    write_index_xlsx(path, [entry], OCTOBER, "en")
    cell = openpyxl.load_workbook(path).active.cell(3, column)
    assert cell.data_type == "s" and cell.value.endswith(f"({hostile})")


# --- the page's script in headless Chromium ----------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


class Browser:
    """Headless Chromium driven over the DevTools protocol on a pipe (--remote-debugging-pipe:
    JSON messages ending in a NUL, commands on fd 3, answers and events on fd 4)."""

    def __init__(self, profile: Path) -> None:
        assert CHROMIUM, "Chromium is needed: scripts/test.sh installs Debian's chromium package"
        to_browser, self._commands = os.pipe()
        self._answers, from_browser = os.pipe()

        def fds() -> None:  # in the child: its fd 3 reads the commands, fd 4 writes answers
            reading, writing = (fcntl.fcntl(fd, fcntl.F_DUPFD, 10)  # out of 3's and 4's way
                                for fd in (to_browser, from_browser))
            os.dup2(reading, 3)
            os.dup2(writing, 4)

        self.process = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--remote-debugging-pipe", f"--user-data-dir={profile}",
             "--window-size=1600,1000", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            close_fds=False, preexec_fn=fds)
        os.close(to_browser)
        os.close(from_browser)
        self._buffer = b""
        self._next = 0
        self.events: list[dict[str, Any]] = []
        targets = self.send("Target.getTargets")["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self.session = self.send("Target.attachToTarget", targetId=page["targetId"],
                                 flatten=True)["sessionId"]
        self.send("Page.enable", session=True)
        self.send("Runtime.enable", session=True)
        self.send("Log.enable", session=True)

    def _messages(self, timeout: float) -> Iterator[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            while b"\0" in self._buffer:
                message, self._buffer = self._buffer.split(b"\0", 1)
                yield json.loads(message)
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._answers], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer")
            chunk = os.read(self._answers, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed its pipe")
            self._buffer += chunk

    def send(self, method: str, session: bool = False, **params: Any) -> dict[str, Any]:
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        for answer in self._messages(60):
            if answer.get("id") == self._next:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return dict(answer.get("result", {}))
            self.events.append(answer)
        raise AssertionError("unreachable")

    def open(self, page: Path) -> None:
        self.events.clear()
        self.send("Page.navigate", session=True, url=page.as_uri())
        if any(e.get("method") == "Page.loadEventFired" for e in self.events):
            return
        for event in self._messages(60):
            self.events.append(event)
            if event.get("method") == "Page.loadEventFired":
                return

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", session=True, expression=expression,
                           returnByValue=True)
        return result["result"].get("value")

    def click(self, selector: str) -> None:
        """A left click in the middle of the element, as a mouse does it."""
        box = self.evaluate(f"(() => {{ const r = document.querySelector({json.dumps(selector)})"
                            ".getBoundingClientRect(); return [r.x + r.width / 2, "
                            "r.y + r.height / 2]; })()")
        x, y = box
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", session=True, type=kind, x=x, y=y,
                      button="left", clickCount=1)

    def type(self, text: str) -> None:
        """Keys typed into the focused element, one at a time."""
        for char in text:
            self.send("Input.dispatchKeyEvent", session=True, type="keyDown", text=char)
            self.send("Input.dispatchKeyEvent", session=True, type="keyUp")

    def key(self, name: str, code: int) -> None:
        for kind in ("rawKeyDown", "keyUp"):
            self.send("Input.dispatchKeyEvent", session=True, type=kind, key=name, code=name,
                      windowsVirtualKeyCode=code)

    def shown(self) -> list[str]:
        """The payers of the rows the page shows, top to bottom."""
        return list(self.evaluate(
            "[...document.querySelectorAll('[data-section=index] tbody tr[data-payer]')]"
            ".filter(r => r.getClientRects().length > 0).map(r => r.dataset.payer)"))

    def close(self) -> None:
        os.close(self._commands)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._answers)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    opened = Browser(tmp_path / "profile")
    try:
        yield opened
    finally:
        opened.close()


def test_search_sort_and_filter_in_chromium(sample: list[IndexEntry], tmp_path: Path,
                                            browser: Browser) -> None:
    statements: dict[str, Statement] = {e.statement.payer: e.statement for e in sample}
    flags = {e.statement.payer: e.flags for e in sample}  # the statement's, and "blocked"
    everyone = list(statements)
    page = tmp_path / "index.html"
    page.write_text(HtmlRenderer("ru").index(sample, OCTOBER), encoding="utf-8")
    browser.open(page)
    # the script ran: the page's policy allowed it (no violation reported) and it showed the
    # finder, hidden in the markup
    assert browser.evaluate("document.querySelector('[data-section=finder]').hidden") is False
    assert not [e for e in browser.events if "Content Security Policy" in json.dumps(e)]
    assert browser.shown() == everyone
    assert browser.evaluate("document.querySelector('[data-field=shown]').textContent") == \
        str(len(everyone))

    # typing in the search box keeps the rows whose login, name, group or region match
    browser.click('[data-control="search"]')
    browser.type("orhid")
    found = [p for p in everyone if "orhid" in p.lower() or "orhid" in statements[p].name.lower()
             or any("orhid" in r.account.lower() for r in statements[p].related)]
    assert found and len(found) < len(everyone)
    assert browser.shown() == found
    assert browser.evaluate("document.querySelector('[data-field=shown]').textContent") == \
        str(len(found))

    # a click on the closing balance's header sorts the rows shown by it, a second the other way
    closing = 1 + [c.key for c in INDEX.on_page()].index("closing")
    header = f"[data-section=index] thead th:nth-child({closing})"
    browser.click(header)
    ascending = sorted(found, key=lambda p: statements[p].closing)
    assert browser.shown() == ascending
    assert browser.evaluate(f"document.querySelector('{header}').getAttribute('aria-sort')") \
        == "ascending"
    browser.click(header)
    assert browser.shown() == sorted(found, key=lambda p: -statements[p].closing)

    # emptied, the search shows every payer again, in the order sorted
    browser.click('[data-control="search"]')
    for _ in "orhid":
        browser.key("Backspace", 8)
    assert browser.shown() == sorted(everyone, key=lambda p: -statements[p].closing)

    # the filter by flag, chosen with the keyboard: "any" flag, then the first flag listed
    browser.evaluate("document.querySelector('[data-control=flag]').focus()")
    browser.key("ArrowDown", 40)
    flagged = [p for p in sorted(everyone, key=lambda p: -statements[p].closing)
               if flags[p]]
    assert flagged and browser.shown() == flagged
    browser.key("ArrowDown", 40)
    first = browser.evaluate("document.querySelector('[data-control=flag]').value")
    assert first == "blocked" and browser.shown() == [p for p in flagged if first in flags[p]]

    browser.key("ArrowDown", 40)  # the next flag: over the credit limit
    over = [p for p in flagged if "over_limit" in flags[p]]
    assert len(over) > 1 and browser.shown() == over

    # sorted by login, as text
    browser.click("[data-section=index] thead th:nth-child(1)")
    assert browser.shown() == sorted(over, key=str.lower)


def test_a_script_the_policy_does_not_name_does_not_run(sample: list[IndexEntry],
                                                         tmp_path: Path,
                                                         browser: Browser) -> None:
    """The policy names the script by its SHA-256: the script changed by one character is
    refused, the finder stays hidden and the list is shown whole."""
    html = HtmlRenderer("en").index(sample, OCTOBER)
    [policy] = re.findall(r"script-src '(sha256-[^']+)'", html)
    [script] = re.findall(r"<script>(.*?)</script>", html, re.S)
    assert policy == "sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()
                                                  ).decode()
    page = tmp_path / "changed.html"
    page.write_text(html.replace("<script>", "<script> "), encoding="utf-8")
    browser.open(page)
    assert browser.evaluate("document.querySelector('[data-section=finder]').hidden") is True
    assert len(browser.shown()) == len(sample)


def test_a_blocked_payer_is_flagged_on_the_index(sample: list[IndexEntry],
                                                 tmp_path: Path) -> None:
    """The sample's Stroymontazh is blocked in the clients table: the index flags it (the
    filter by flag lists "blocked" first), in both formats; the others are not."""
    blocked = [e.statement.payer for e in sample if "blocked" in e.flags]
    assert blocked == ["Stroymontazh"]
    html = HtmlRenderer("ru").index(sample, OCTOBER)
    row = re.search(r'<tr data-payer="Stroymontazh" class="flagged">.*?</tr>', html, re.S)
    assert row is not None and 'data-flag="blocked">заблокирован</span>' in row.group(0)
    options = re.findall(r'<option value="([^"]*)">', html)
    assert options[:3] == ["", "*", "blocked"] and options[-1] == "-"
    path = tmp_path / "index.xlsx"
    write_index_xlsx(path, sample, OCTOBER, "ru")
    sheet = openpyxl.load_workbook(path).active
    flags = 1 + [c.key for c in INDEX.in_workbook()].index("flags")
    shown = {sheet.cell(r, 1).value: sheet.cell(r, flags).value
             for r in range(3, 3 + len(sample))}
    assert str(shown["Stroymontazh"]).startswith("заблокирован")
    assert not any("заблокирован" in str(v) for p, v in shown.items() if p != "Stroymontazh")


@pytest.mark.skipif(shutil.which("soffice") is None,
                    reason="LibreOffice (soffice) is not installed on this machine")
def test_libreoffice_reads_the_index_workbook(sample: list[IndexEntry], tmp_path: Path) -> None:
    """LibreOffice opens the index workbook (its links and formulas included): every payer's
    closing and the totals per currency are the exact sums."""
    path = tmp_path / "index.xlsx"
    write_index_xlsx(path, sample, OCTOBER, "en")
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/user",
                    "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir",
                    str(tmp_path), str(path)], check=True, capture_output=True, timeout=300)
    with open(tmp_path / "index.csv", newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    keys = [c.key for c in INDEX.in_workbook()]
    statements = {e.statement.payer: e.statement for e in sample}
    payers = {row[0]: dict(zip(keys, row, strict=True)) for row in rows[2:2 + len(sample)]}
    assert list(payers) == list(statements)
    def number(text: str) -> Decimal:  # as shown: 1,234.50
        return D(text.replace(",", ""))

    for payer, row in payers.items():
        assert number(row["closing"]) == statements[payer].closing
        assert adds_up({k: number(row[k]) for k in MOVEMENTS}) == number(row["closing"])
    totals = [dict(zip(keys, row, strict=True)) for row in rows[3 + len(sample):]]
    assert [(t["payer"], t["currency"]) for t in totals] == [("Totals", "RUB"),
                                                               ("Totals", "USD")]
    for t in totals:
        mine = [s for s in statements.values() if s.currency == t["currency"]]
        for key in [*MOVEMENTS, "closing"]:
            assert number(t[key]) == sum((getattr(s, key) for s in mine), D(0)), key
