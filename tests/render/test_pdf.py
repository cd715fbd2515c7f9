"""PDF statements (render/pdf.py), read back: the PDF shows what the page shows, on every page
the page number in the page's language and the run; the same statement gives the same bytes.

Text is read with pypdfium2 (PDFium, as browsers read PDFs): pypdf and pdfminer cannot decode a
font that WeasyPrint writes with its own encoding (which it does when a font lacks a glyph).
Structure (attachments, identifier, metadata) is read with pypdf."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import http.server
import io
import os
import re
import subprocess
import sys
import threading
from decimal import Decimal as D
from pathlib import Path
from typing import ClassVar

import pypdf
import pypdfium2
import pytest

from ledgerflow.render.formatting import format_date, format_money
from ledgerflow.render.html import HtmlRenderer
from ledgerflow.render.labels import labels
from ledgerflow.render.model import AccountTotal, IndexEntry, Line, Related, Statement
from ledgerflow.render.pdf import css_string, pdf_bytes, with_css
from ledgerflow.rules.period import Period


def make_statement(lines: int = 6, *, name: str = "ООО «Орхидея»",
                   description: str = "SMS рассылка") -> Statement:
    """Orhid_magazine in October 2026: a payment of 50,000.00, then `lines - 1` expenses (every
    tenth in USD, converted), each with its source row; the totals add up."""
    opening, balance, items = D("8805.98"), D("8805.98"), []
    for i in range(lines):
        kind = "payment" if i == 0 else "expense"
        usd = kind == "expense" and i % 10 == 0
        amount = D("50000.00") if i == 0 else D(f"{(i * 37) % 1000}.07")
        effect = amount * (D("92.5") if usd else 1) if i else amount
        effect = effect.quantize(D("0.01"))
        balance += effect if i == 0 else -effect
        items.append(Line(
            date=dt.date(2026, 10, 1 + i % 31), kind=kind,
            line_id=f"PAY-{i:05d}" if i == 0 else f"EXP-{i:05d}",
            account="Orhid_magazine_SPB" if usd else "Orhid_magazine",
            description=description if i == 1 else f"service {i}",
            currency="USD" if usd else "RUB", amount=amount,
            net=amount if i else None, discount=D("0.00") if i else None,
            tax=D("0.00") if i else None, rate=D("92.5") if usd else None,
            units=1 if usd else None, rate_inverse=False,
            amount_payer=effect if i == 0 else -effect, balance=balance,
            source_file="expenses_2026-10.xlsx", source_sheet="Расходы", source_row=i + 2))
    expenses = -sum((ln.amount_payer for ln in items if ln.kind == "expense"), D(0))
    payments = sum((ln.amount_payer for ln in items if ln.kind == "payment"), D(0))
    debt = max(D(0), -balance)
    return Statement(
        payer="Orhid_magazine", name=name, tax_id="0107083893", currency="RUB", digits=2,
        credit_limit=D("20000.00"), postpay=False, manager="Иванова", deferral_days=30,
        block_after_days=None, period=Period.month("2026-10"), opening=opening,
        payments=payments, refunds=D("0.00"), withdrawals=D("0.00"), corrections=D("0.00"),
        expenses=expenses, closing=balance, available=balance + D("20000.00"),
        flags=("over_limit",) if balance + 20000 < 0 else (),
        ageing=(("0-30", debt), ("31-60", D("0.00")), ("61-90", D("0.00")),
                ("over_90", D("0.00"))),
        accounts=(AccountTotal("Orhid_magazine", "RUB", expenses, expenses),),
        related=(Related("Orhid_magazine_SPB", "Orhid SPb", "USD", dt.date(2025, 5, 15),
                         None),),
        lines=tuple(items), run_id="0123456789abcdef", inputs_sha256="ab" * 32)


def lines_csv(st: Statement) -> bytes:
    """The attachment a caller gives: the statement's lines with their source file, sheet, row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["date", "line_id", "amount_payer", "source_file", "source_sheet",
                     "source_row"])
    for ln in st.lines:
        writer.writerow([ln.date.isoformat(), ln.line_id, ln.amount_payer, ln.source_file,
                         ln.source_sheet, ln.source_row])
    return out.getvalue().encode()


def render(st: Statement, locale: str = "ru", attach: bool = True,
           engine: str = "weasyprint") -> bytes:
    html = HtmlRenderer(locale).statement(st)
    attachment = (f"{st.payer}.csv", lines_csv(st)) if attach else None
    return pdf_bytes(html, run_id=st.run_id, inputs_sha256=st.inputs_sha256,
                     title=f"{labels(locale)['statement']} {st.payer}", lang=locale,
                     attachment=attachment, engine=engine)


def flat(text: str) -> str:
    """Text with every run of spaces (babel's no-break and narrow no-break spaces too) as one
    space."""
    return re.sub(r"[\s\u00a0\u202f]+", " ", text).strip()


def page_texts(pdf: bytes) -> list[str]:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return [flat(page.get_textpage().get_text_range()) for page in document]
    finally:
        document.close()


Rendered = tuple[str, Statement, bytes]  # the language, the statement, its PDF


@pytest.fixture(scope="module", params=[("ru", "weasyprint"), ("en", "weasyprint"),
                                        ("ru", "chromium")], ids=lambda p: "-".join(p))
def long_pdf(request: pytest.FixtureRequest) -> Rendered:
    """300 lines; in English with WeasyPrint 90 (fewer pages, to keep the suite fast)."""
    locale, engine = request.param
    st = make_statement(90 if locale == "en" else 300)
    return locale, st, render(st, locale, engine=engine)


def test_every_page_has_its_number_and_the_run(long_pdf: Rendered) -> None:
    locale, st, pdf = long_pdf
    words = labels(locale)
    pages = page_texts(pdf)
    assert len(pages) >= (3 if locale == "en" else 10)
    for number, text in enumerate(pages, start=1):
        assert f"{words['page']} {number} {words['page_of']} {len(pages)}" in text, number
        assert f"{words['run_id']} {st.run_id}" in text, number
        assert f"{words['inputs_sha256']} {st.inputs_sha256}" in text, number
        # the lines table's header is repeated on every page that has lines
        if number < len(pages):
            assert f"{words['date']} {words['kind']}" in text, number


def test_every_line_is_on_some_page_once(long_pdf: Rendered) -> None:
    _, st, pdf = long_pdf
    text = " ".join(page_texts(pdf))
    for ln in st.lines:
        assert len(re.findall(rf"\b{re.escape(ln.line_id)}\b", text)) == 1, ln.line_id


def test_closing_balance_read_back(long_pdf: Rendered) -> None:
    """The closing balance as the page writes it: in the summary on the first page and in the
    lines table's closing row, after the last line."""
    locale, st, pdf = long_pdf
    words = labels(locale)
    closing = flat(format_money(st.closing, st.currency, locale, st.digits))
    pages = page_texts(pdf)
    assert f"{words['closing']} {closing}" in pages[0]
    row = f"{flat(format_date(st.period.end, locale))} {words['closing']} {closing}"
    [page] = [n for n, text in enumerate(pages) if row in text]
    assert st.lines[-1].line_id in pages[page] or st.lines[-1].line_id in pages[page - 1]


def test_attachment_is_embedded_as_pdfa_associated_file() -> None:
    st = make_statement(20)
    pdf = render(st)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert reader.attachments == {f"{st.payer}.csv": [lines_csv(st)]}
    catalog = reader.trailer["/Root"]
    assert len(catalog["/AF"]) == 1
    assert catalog["/AF"][0].get_object()["/AFRelationship"] == "/Data"
    xmp = catalog["/Metadata"].get_object().get_data()
    assert b'pdfaid:part="3"' in xmp and b'pdfaid:conformance="B"' in xmp
    assert catalog["/Lang"] == "ru"


def test_chromium_embeds_the_attachment_in_an_update() -> None:
    st = make_statement(20)
    pdf = render(st, engine="chromium")
    reader = pypdf.PdfReader(io.BytesIO(pdf), strict=True)
    assert reader.attachments == {f"{st.payer}.csv": [lines_csv(st)]}
    assert reader.trailer["/Root"]["/AF"][0].get_object()["/AFRelationship"] == "/Data"
    assert reader.metadata is not None and reader.metadata.title == "Выписка Orhid_magazine"
    assert len(page_texts(pdf)) == len(reader.pages)  # PDFium reads the updated file too


SAME_BYTES_ELSEWHERE = (
    "import sys; sys.path.insert(0, sys.argv[1]); from test_pdf import make_statement, render; "
    "sys.stdout.buffer.write(render(make_statement(12), engine=sys.argv[2]))")


@pytest.mark.parametrize("engine", ["weasyprint", "chromium"])
def test_same_statement_same_bytes(engine: str) -> None:
    """Twice the same bytes: here, and in another process with another hash seed (for
    Chromium, another browser); another run gets another identifier."""
    st = make_statement(12)
    first = render(st, engine=engine)
    assert b"D:20000101000000" in first
    elsewhere = subprocess.run(
        [sys.executable, "-c", SAME_BYTES_ELSEWHERE, str(Path(__file__).parent), engine],
        capture_output=True, check=True, timeout=120,
        env={**os.environ, "PYTHONHASHSEED": "12345"})
    assert elsewhere.stdout == first
    other = render(dataclasses.replace(st, run_id="fedcba9876543210"), engine=engine)
    reader = pypdf.PdfReader(io.BytesIO(other))
    assert reader.trailer["/ID"][0] != pypdf.PdfReader(io.BytesIO(first)).trailer["/ID"][0]


@pytest.mark.parametrize("engine", ["weasyprint", "chromium"])
def test_hostile_text_is_shown_as_text(engine: str) -> None:
    hostile = '<script>alert("x")</script>\x07\x1b[31m\u202e'
    st = make_statement(name=hostile, description=hostile)
    pdf = render(dataclasses.replace(st, payer="a\x00b"), attach=False, engine=engine)
    text = " ".join(page_texts(pdf))
    assert text.count('<script>alert("x")</script>') == 3  # masthead, card, a description


class Counting(http.server.BaseHTTPRequestHandler):
    asked: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        Counting.asked.append(self.path)
        self.send_error(404)

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.parametrize("engine", ["weasyprint", "chromium"])
def test_nothing_is_fetched(engine: str) -> None:
    """A page that asks for an image, a style and a font from a server on this machine, with
    no Content-Security-Policy to stop it: the server is never asked."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Counting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        st = make_statement()
        html = HtmlRenderer("en").statement(st)
        html = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html)
        html = html.replace("</head>", f'<link rel="stylesheet" href="{url}/s.css"><style>'
                            f'@font-face {{ font-family: x; src: url({url}/f.woff) }}'
                            f'body {{ background: url({url}/b.png) }}</style></head>')
        html = html.replace("</body>", f'<img src="{url}/i.png"></body>')
        Counting.asked.clear()
        pdf = pdf_bytes(html, run_id=st.run_id, inputs_sha256=st.inputs_sha256, title="t",
                        lang="en", engine=engine)
    finally:
        server.shutdown()
        server.server_close()
    assert pdf.startswith(b"%PDF-")
    assert Counting.asked == []


def test_css_string_cannot_break_out() -> None:
    text = css_string('a"b\\c</style>\nd')
    assert text.startswith('"') and text.endswith('"')
    assert '"' not in text[1:-1] and "<" not in text and "\n" not in text
    assert with_css("<html><head></head></html>", "x").startswith(b"<html><head><style>x")


def test_index_page() -> None:
    """The index prints too: numbered pages with the run, without the links to the files."""
    sts = [dataclasses.replace(make_statement(3), payer=f"client_{n:03d}") for n in range(120)]
    entries = [IndexEntry(st, html=f"statements/{st.payer}.html", xlsx=None) for st in sts]
    pdf = pdf_bytes(HtmlRenderer("en").index(entries, sts[0].period), run_id=sts[0].run_id,
                    inputs_sha256=sts[0].inputs_sha256, title="Statements 2026-10", lang="en")
    pages = page_texts(pdf)
    assert len(pages) >= 2
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text and sts[0].run_id in text
        assert "HTML" not in text
    assert all(st.payer in " ".join(pages) for st in sts)


@pytest.mark.parametrize(("engine", "written"), [("weasyprint", "D:20261102090000Z"),
                                                 ("chromium", "D:20261102090000+00'00'")])
def test_the_callers_date(engine: str, written: str) -> None:
    st = make_statement(3)
    pdf = pdf_bytes(HtmlRenderer("ru").statement(st), run_id=st.run_id,
                    inputs_sha256=st.inputs_sha256, title="t", lang="ru", engine=engine,
                    created=dt.datetime(2026, 11, 2, 9, 0), attachment=("a.csv", b"a\n"))
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert reader.metadata is not None
    assert reader.metadata["/CreationDate"] == reader.metadata["/ModDate"] == written
    spec = reader.trailer["/Root"]["/AF"][0].get_object()
    params = spec["/EF"]["/F"].get_object()["/Params"]
    assert params["/CreationDate"] == params["/ModDate"] == "D:20261102090000Z"
