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


# Run in the page before Chromium dumps its DOM: marks each data-field element with whether the
# browser shows it (not display:none or visibility:hidden or transparent, itself or an ancestor,
# and with a box of some size), so the test reads what is shown, not only what is in the markup.
SHOWN_SCRIPT = """<script>
for (const e of document.querySelectorAll("[data-field]")) {
  const box = e.getBoundingClientRect();
  const shown = e.checkVisibility({opacityProperty: true, visibilityProperty: true})
    && box.width > 0 && box.height > 0;
  e.setAttribute("data-shown", shown ? "yes" : "no");
}
</script>"""
CSP = "default-src 'none'; style-src 'unsafe-inline';"


def with_shown_script(html: str) -> str:
    """The page with SHOWN_SCRIPT before </body>; its Content-Security-Policy, which allows no
    script, is widened by exactly that one inline script (the styles are untouched)."""
    assert CSP in html and html.count("</body>") == 1
    return html.replace(CSP, CSP.replace("default-src 'none';",
                                         "default-src 'none'; script-src 'unsafe-inline';")
                        ).replace("</body>", SHOWN_SCRIPT + "</body>")


class Fields(HTMLParser):
    """Text of every element carrying a data-field attribute, and which of them the browser
    marked as shown."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.shown: dict[str, bool] = {}
        self._open: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self._open.append(found.get("data-field"))
        if self._open[-1]:
            self.fields.setdefault(self._open[-1], "")
            self.shown[self._open[-1]] = self.shown.get(self._open[-1], True) and \
                found.get("data-shown") == "yes"

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
        [statement] = [s for s in build_statements(result, {})
                       if s.payer == "Orhid_magazine"]
    page = tmp_path / "statement.html"
    page.write_text(with_shown_script(HtmlRenderer("ru").statement(statement)),
                    encoding="utf-8")

    parser = Fields()
    parser.feed(browser_dom(page, tmp_path / "profile"))

    hidden = [name for name in ("closing", "available", "expenses")
              if not parser.shown.get(name)]
    assert hidden == [], f"Chromium does not show {hidden}"
    shown = {k: " ".join(v.split()) for k, v in parser.fields.items()}
    # 5000 - 1234.56 - 100 = 3665.44; limit 1000 -> available 4665.44
    assert shown["closing"] == " ".join(format_money(statement.closing, "RUB", "ru").split())
    assert "3 665,44" in shown["closing"].replace("\u202f", " ").replace("\xa0", " ")
    assert "4 665,44" in shown["available"].replace("\u202f", " ").replace("\xa0", " ")
    assert "1 334,56" in shown["expenses"].replace("\u202f", " ").replace("\xa0", " ")
