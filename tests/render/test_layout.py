"""The small tables are described once too (`layout.TableLayout`): a column added to one shows
on the page and in the workbook."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import openpyxl
import pytest

from ledgerflow.render import excel, html
from ledgerflow.render.excel import write_index_xlsx
from ledgerflow.render.html import HtmlRenderer
from ledgerflow.render.layout import INDEX, Column
from ledgerflow.render.model import IndexEntry

sys.path.insert(0, str(Path(__file__).parent))
from test_excel import OCTOBER, make_statement


def test_a_column_added_to_the_index_shows_on_the_page_and_in_the_workbook(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wider = dataclasses.replace(INDEX, columns=(
        *INDEX.columns, Column("refunds", "refunds", "money", css="num")))
    monkeypatch.setattr(html, "INDEX", wider)
    monkeypatch.setattr(excel, "INDEX", wider)
    statement = make_statement()
    entries = [IndexEntry(statement, "statements/a.html", None)]

    page = HtmlRenderer("en").index(entries, OCTOBER)
    assert '<th class="num">Refunds</th>' in page
    assert f'<td class="num" data-field="refunds">RUB {statement.refunds:,.2f}</td>' in page

    path = tmp_path / "index.xlsx"
    write_index_xlsx(path, entries, OCTOBER, "en")
    sheet = openpyxl.load_workbook(path).active
    column = len(wider.in_workbook())
    assert sheet.cell(2, column).value == "Refunds"
    assert sheet.cell(3, column).value == float(statement.refunds)
    assert sheet.cell(3, column).number_format == "#,##0.00"
