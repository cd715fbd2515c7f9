"""Lines laid out in DuckDB give the very statements that lines laid out one by one give."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pytest
from conftest import CLIENT_HEADER, EXPENSE_HEADER, PAYMENT_HEADER, write_workbook

from ledgerflow.pipeline import load_inbox
from ledgerflow.render.build import StatementLines, statement_headers
from ledgerflow.render.excel import LinesXml, write_statement_xlsx
from ledgerflow.render.html import HtmlRenderer
from ledgerflow.render.markup import line_markup
from ledgerflow.rules.consolidate import consolidate
from ledgerflow.rules.period import Period
from ledgerflow.sample import write_sample_inbox

HOSTILE = ' <b class="x">Tom & Jerry\'s</b> _x0041_ =SUM(A1) '
OCTOBER = Period.month("2026-10")


def hostile_inbox(inbox: Path) -> None:
    write_workbook(inbox / "book.xlsx", {
        "clients": [CLIENT_HEADER,
                    ["Big.one", "ООО \"Кавычки\" & <теги>", "individual", None, "RUB", 0],
                    ["usd", "Dollar Ltd", "individual", None, "USD", 0]],
        "payments": [PAYMENT_HEADER,
                     ["P1", "Big.one", dt.date(2026, 10, 1), "1234567,89", "RUB", "payment"],
                     ["P2", "usd", dt.date(2026, 10, 1), 10, "USD", "payment"]],
        "expenses": [[*EXPENSE_HEADER, "description"],
                     ["E1", "Big.one", dt.date(2026, 10, 2), "2345678,01", "RUB", "sms",
                      HOSTILE],
                     ["E2", "Big.one", dt.date(2026, 10, 3), 0, "RUB", "sms", None],
                     ["E3", "usd", dt.date(2026, 10, 3), "12,5", "USD", "sms", "<script>"]],
    })


def both_ways(warehouse: Path, locale: str) -> list[tuple[str, str, str, LinesXml | None,
                                                          Any]]:
    """Per payer: the HTML line by line, the HTML from markup, and what Excel needs."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        result = consolidate(connection, OCTOBER)
        headers = statement_headers(connection, result, {})
        keys = sorted(s.payer.lower() for s in headers)
        currency = {s.payer.lower(): s.currency for s in headers}
        markup = line_markup(connection, locale, currency, keys)
        lines = StatementLines.of_payers(connection, keys)
    assert markup is not None
    renderer = HtmlRenderer(locale)
    out = []
    for header in headers:
        full = header.__class__(**{**header.__dict__,
                                   "lines": lines.of_payer(header.payer), "line_count": None})
        laid = markup.get(header.payer.lower())
        xml = None if laid is None else LinesXml(laid.xml.decode(), laid.count, laid.total)
        out.append((header.payer, renderer.statement(full),
                    renderer.statement_bytes(header, laid.html if laid else None).decode(),
                    xml, full))
    return out


def sheet_cells(path: Path, inline: bool = False) -> dict[str, list[list[tuple[Any, str, str]]]]:
    """Every cell's value, number format and type. The laid-out lines are inline strings,
    whose `_xHHHH_` escapes openpyxl leaves as they are (it decodes them in shared strings
    only); `inline` decodes them, as Excel reads both."""
    book = openpyxl.load_workbook(path)

    def shown(value: Any) -> Any:
        if inline and isinstance(value, str):
            return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), value)
        return value

    return {sheet.title: [[(shown(c.value), c.number_format, c.data_type) for c in row]
                          for row in sheet.iter_rows()] for sheet in book.worksheets}


@pytest.mark.parametrize("locale", ["ru", "en"])
@pytest.mark.parametrize("which", ["sample", "hostile"])
def test_markup_matches_the_line_by_line_statements(which: str, locale: str, tmp_path: Path
                                                    ) -> None:
    inbox, warehouse = tmp_path / "inbox", tmp_path / "w.duckdb"
    inbox.mkdir()
    if which == "sample":
        write_sample_inbox(inbox)
    else:
        hostile_inbox(inbox)
    load_inbox(inbox, warehouse)

    statements = both_ways(warehouse, locale)

    assert len(statements) >= 2
    with_lines = 0
    for payer, one_by_one, from_markup, xml, full in statements:
        assert from_markup == one_by_one, payer
        a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
        write_statement_xlsx(a, full, locale)
        write_statement_xlsx(b, full, locale, xml)
        assert sheet_cells(b, inline=True) == sheet_cells(a), payer
        with_lines += xml is not None
    assert with_lines >= 2
    if which == "hostile":
        [(_, _, html, _, _)] = [s for s in statements if s[0] == "Big.one"]
        assert "<b class" not in html and "&lt;b class=&#34;x&#34;&gt;Tom &amp; Jerry&#39;s" in html
        assert ("1 234 567,89" if locale == "ru" else "1,234,567.89") in html.replace(
            "\u00a0", " ")
