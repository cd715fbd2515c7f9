"""Lines laid out in bulk from the layout (`render.markup`): a batch from the consolidation and a
statement's own `Line` objects give the same files, and a field added to the layout shows in
the page, the workbook and the PDF."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
from pathlib import Path

import duckdb
import openpyxl
import pypdf
import pypdfium2 as pdfium
import pytest
from conftest import CLIENT_HEADER, EXPENSE_HEADER, PAYMENT_HEADER, write_workbook

from ledgerflow.pipeline import load_inbox
from ledgerflow.render.build import build_statements, statement_headers
from ledgerflow.render.excel import line_styles, write_statement_xlsx
from ledgerflow.render.html import HtmlRenderer
from ledgerflow.render.labels import labels
from ledgerflow.render.layout import LINES, Field
from ledgerflow.render.markup import csv_header, line_markup, statement_markup
from ledgerflow.render.pdf import pdf_bytes
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


def warehouse_of(tmp_path: Path, which: str) -> Path:
    inbox, warehouse = tmp_path / "inbox", tmp_path / "w.duckdb"
    inbox.mkdir()
    if which == "sample":
        write_sample_inbox(inbox)
    else:
        hostile_inbox(inbox)
    load_inbox(inbox, warehouse)
    return warehouse


def cells(path: Path) -> dict[str, list[list[object]]]:
    book = openpyxl.load_workbook(path)
    return {sheet.title: [[(c.value, c.number_format, c.data_type) for c in row]
                          for row in sheet.iter_rows()] for sheet in book.worksheets}


@pytest.mark.parametrize("locale", ["ru", "en"])
@pytest.mark.parametrize("which", ["sample", "hostile"])
def test_a_batch_and_a_statements_own_lines_give_the_same_files(which: str, locale: str,
                                                                 tmp_path: Path) -> None:
    """The monthly run lays out a batch of payers from the consolidation's lines table; a
    statement built with its `Line` objects is laid out alone, by the same SQL."""
    warehouse = warehouse_of(tmp_path, which)
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        result = consolidate(connection, OCTOBER)
        headers = statement_headers(result, {})
        full = {s.payer: s for s in build_statements(result, {})}
        keys = sorted(s.payer.lower() for s in headers)
        currency = {s.payer.lower(): s.currency for s in headers}
        markup = line_markup(connection, result.lines(keys), locale, currency, line_styles())
    renderer = HtmlRenderer(locale)
    with_lines = 0
    for header in headers:
        laid = markup.get(header.payer.lower())
        whole = full[header.payer]
        assert header.lines_count == whole.lines_count == (laid.count if laid else 0)
        if laid is None:
            continue
        with_lines += 1
        assert renderer.statement_bytes(header, laid.html) == renderer.statement_bytes(whole)
        a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
        write_statement_xlsx(a, header, locale, laid)
        write_statement_xlsx(b, whole, locale)
        assert a.read_bytes() == b.read_bytes(), header.payer
    assert with_lines >= 2
    if which == "hostile":
        page = renderer.statement(full["Big.one"])
        assert "<b class" not in page
        assert "&lt;b class=&#34;x&#34;&gt;Tom &amp; Jerry&#39;s" in page
        assert ("1 234 567,89" if locale == "ru" else "1,234,567.89") in page.replace(
            "\u00a0", " ")


def test_a_field_added_to_the_layout_shows_in_the_page_the_workbook_and_the_pdf(
        tmp_path: Path) -> None:
    """One description drives every format: a field more (the payer's key, under the account)
    is a new element of each line on the page, a new column of the lines sheet, a new column of
    the lines attached to the PDF, and printed in the PDF."""
    warehouse = warehouse_of(tmp_path, "sample")
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        statements = [s for s in build_statements(consolidate(connection, OCTOBER), {})
                      if len(s.lines) >= 3]
    st = statements[0]
    wider = dataclasses.replace(LINES, fields=(
        *LINES.fields, Field("payer", "payer_key", "text", 20, cell="account", role="sub")))

    page = HtmlRenderer("en", layout=wider).statement(st)
    assert page.count(f'<span class="sub" data-field="payer">{st.payer.lower()}</span>') == \
        len(st.lines)
    assert "Client</span></th>" in page  # its label under the account's in the header

    path = tmp_path / "wider.xlsx"
    write_statement_xlsx(path, st, "en", layout=wider)
    sheet = openpyxl.load_workbook(path)[labels("en")["lines"]]
    column = len(wider.fields)
    assert sheet.cell(1, column).value == "Client"
    assert [sheet.cell(row, column).value for row in range(3, len(st.lines) + 3)] == \
        [st.payer.lower()] * len(st.lines)
    assert sheet.auto_filter.ref.endswith(f"{sheet.cell(1, column).column_letter}"
                                          f"{len(st.lines) + 2}")

    marked = dataclasses.replace(st, payer="Marked_Payer_Key")  # its key stands out in print
    pdf = pdf_bytes(HtmlRenderer("en", layout=wider).statement_bytes(marked),
                    run_id=st.run_id, inputs_sha256=st.inputs_sha256, title="t", lang="en",
                    attachment=("lines.csv", csv_header(wider) + statement_markup(
                        marked, "en", ("csv",), wider).csv))
    text = "".join(page.get_textpage().get_text_range() for page in pdfium.PdfDocument(pdf))
    assert text.count("marked_payer_key") == len(st.lines)
    attached = pypdf.PdfReader(io.BytesIO(pdf)).attachments["lines.csv"][0].decode()
    rows = list(csv.reader(io.StringIO(attached)))
    assert rows[0][-1] == "payer" and [r[-1] for r in rows[1:]] == ["marked_payer_key"] * len(
        st.lines)
