"""The render stage end to end: PDF statements beside the page and the workbook, listed in the
index and the manifest, rendered again only when the statement changes; a user's template that
overrides the lines table; a file name with a control character; one manifest shape for `run`
and `report`."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from decimal import Decimal
from pathlib import Path

import duckdb
import openpyxl
import pypdf
import pytest
from click.testing import CliRunner
from conftest import CLIENTS, EXPENSE_HEADER, PAYMENT_HEADER, write_workbook

from ledgerflow.cli import main
from ledgerflow.render.formatting import format_money
from ledgerflow.rules.consolidate import consolidate
from ledgerflow.rules.period import Period

OCTOBER = Period.month("2026-10")


def small_inbox(inbox: Path) -> None:
    write_workbook(inbox / "clients.xlsx", {"clients": CLIENTS})
    write_workbook(inbox / "october.xlsx", {
        "payments": [PAYMENT_HEADER,
                     ["P1", "Orhid_magazine", dt.date(2026, 10, 1), 5000, "RUB", "payment"],
                     ["P2", "acme", dt.date(2026, 10, 2), 100, "USD", "payment"]],
        "expenses": [EXPENSE_HEADER,
                     ["E1", "Orhid_magazine", dt.date(2026, 10, 5), "1234,56", "RUB", "sms"],
                     ["E2", "acme", dt.date(2026, 10, 6), 40, "USD", "sms"]],
    })


def pipeline(folder: Path, inbox: Path, *extra: str) -> Path:
    lines = [f'inbox = "{inbox}"', f'warehouse = "{folder / "ledger.duckdb"}"',
             f'reports = "{folder / "reports"}"', *extra]
    path = folder / "monthly.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "reports").mkdir(exist_ok=True)
    return path


def run(path: Path) -> str:
    result = CliRunner().invoke(main, ["run", str(path), "--period", "2026-10"])
    assert result.exit_code == 0, result.output
    return result.output


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(path).pages)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    small_inbox(inbox)
    return tmp_path


def test_a_run_writes_pdf_statements_listed_everywhere_and_renders_them_again_on_change(
        folder: Path) -> None:
    path = pipeline(folder, folder / "inbox", 'outputs = ["html", "xlsx", "pdf"]',
                    'locale = "en"')
    output = run(path)
    assert "statements: 2 HTML (2 changed), 2 XLSX (2 changed), 2 PDF (2 changed)" in output
    period = folder / "reports" / "2026-10"
    pdfs = sorted(p.name for p in (period / "statements").glob("*.pdf"))
    assert pdfs == ["Orhid_magazine.pdf", "acme.pdf"]

    # the closing balance printed in the PDF is the warehouse's
    with duckdb.connect(str(folder / "ledger.duckdb"), read_only=True) as connection:
        payers = consolidate(connection, OCTOBER).payers
    closing = {row.payer: row.closing for row in payers.itertuples()}
    text = pdf_text(period / "statements" / "acme.pdf")
    shown = format_money(closing["acme"].quantize(Decimal("0.01")), "USD", "en")
    assert shown in text and "Page 1 of 1" in text

    # the index page, the index workbook and the manifest name every PDF
    index = (period / "index.html").read_text("utf-8")
    assert sorted(re.findall(r'data-field="pdf" href="([^"]+)"', index)) == [
        f"statements/{name}" for name in pdfs]
    sheet = openpyxl.load_workbook(period / "index.xlsx").active
    assert sorted(c.value for c in sheet["Q"][2:] if c.value) == [
        f"statements/{n}" for n in pdfs]
    manifest = json.loads((period / "manifest.json").read_text("utf-8"))
    assert {o["file"] for o in manifest["outputs"]} >= {f"statements/{n}" for n in pdfs}
    assert manifest["settings"]["outputs"] == ["html", "xlsx", "pdf"]

    # nothing new: nothing rendered again; a payment of acme's: its three files only
    before = {p.name: p.read_bytes() for p in (period / "statements").iterdir()}
    assert "0 statements rendered" in run(path)
    write_workbook(folder / "inbox" / "late.xlsx", {"payments": [
        PAYMENT_HEADER, ["P3", "acme", dt.date(2026, 10, 20), 7, "USD", "payment"]]})
    assert "statements: 2 HTML (1 changed), 2 XLSX (1 changed), 2 PDF (1 changed)" in run(path)
    after = {p.name: p.read_bytes() for p in (period / "statements").iterdir()}
    assert sorted(n for n in after if after[n] != before[n]) == [
        "acme.html", "acme.pdf", "acme.xlsx"]


def test_another_pdf_engine_prints_the_statements_again(folder: Path) -> None:
    """The engine shapes a PDF's bytes: choosing the other one is no reason to keep the old
    files."""
    run(pipeline(folder, folder / "inbox", 'outputs = ["pdf"]'))
    pdf = folder / "reports" / "2026-10" / "statements" / "acme.pdf"
    first = pdf.read_bytes()
    output = run(pipeline(folder, folder / "inbox", 'outputs = ["pdf"]',
                          'pdf_engine = "chromium"'))
    assert "statements: 2 PDF (2 changed)" in output
    # WeasyPrint writes PDF/A-3b (PDF 1.7), Chromium PDF 1.4
    assert first.startswith(b"%PDF-1.7") and pdf.read_bytes().startswith(b"%PDF-1.4")


def test_a_users_lines_template_shows_in_the_page_and_the_pdf(folder: Path) -> None:
    """Any template can be overridden, the lines table's included: the package's rows are
    still given to it (`rows`), and what the user's template adds is shown."""
    templates = folder / "templates"
    templates.mkdir()
    (templates / "_lines.html").write_text(
        '<section class="lines" data-section="lines"><h2 data-field="ours">Our ledger '
        "lines</h2><table><tbody>{{ rows }}</tbody></table></section>\n", encoding="utf-8")
    path = pipeline(folder, folder / "inbox", 'outputs = ["html", "pdf"]',
                    f'templates = "{templates}"')
    run(path)
    statements = folder / "reports" / "2026-10" / "statements"
    page = (statements / "acme.html").read_text("utf-8")
    assert '<h2 data-field="ours">Our ledger lines</h2>' in page
    assert page.count('<tr class="line') == 2  # the rows laid out by the package
    assert "OUR LEDGER LINES" in pdf_text(statements / "acme.pdf").upper()


def test_a_file_name_with_a_control_character_gives_workbooks_that_open(folder: Path) -> None:
    """A CSV whose name has a control character (legal on Linux, it comes with mail
    attachments) loads; every statement stays well-formed, the name shown, not written raw."""
    name = "payments_\x07bell.csv"
    (folder / "inbox" / name).write_text(
        "payment_id,client_id,date,amount,currency,kind\n"
        "P9,acme,2026-10-09,3,USD,payment\n", encoding="utf-8")
    path = pipeline(folder, folder / "inbox", 'outputs = ["html", "xlsx"]')
    run(path)
    statements = folder / "reports" / "2026-10" / "statements"
    sheet = openpyxl.load_workbook(statements / "acme.xlsx").worksheets[1]
    sources = [c.value for c in sheet["P"]]
    assert "payments_\u2407bell.csv" in sources
    page = (statements / "acme.html").read_text("utf-8")
    assert "payments_\u2407bell.csv" in page and "\x07" not in page


def test_a_file_name_that_is_not_utf8_loads_and_is_shown_with_its_byte(folder: Path) -> None:
    """A name whose bytes are not UTF-8 (a Windows-1251 name unpacked on Linux) is stored and
    shown with the byte written out (\\xcf), not refused and not a crash."""
    name = os.path.join(os.fsencode(folder / "inbox"), b"payments_\xcf\xcb.csv")
    with open(name, "w", encoding="utf-8") as stream:
        stream.write("payment_id,client_id,date,amount,currency,kind\n"
                     "P9,acme,2026-10-09,3,USD,payment\n")
    run(pipeline(folder, folder / "inbox", 'outputs = ["html", "xlsx"]'))
    statements = folder / "reports" / "2026-10" / "statements"
    page = (statements / "acme.html").read_text("utf-8")
    assert "payments_\\xcf\\xcb.csv / payments_\\xcf\\xcb.csv / row 2" in page.replace(
        "строка", "row")
    sheet = openpyxl.load_workbook(statements / "acme.xlsx").worksheets[1]
    assert "payments_\\xcf\\xcb.csv" in [c.value for c in sheet["P"]]


def test_run_and_report_write_manifests_of_one_shape(folder: Path) -> None:
    run(pipeline(folder, folder / "inbox"))
    period = folder / "reports" / "2026-10"
    ran = json.loads((period / "manifest.json").read_text("utf-8"))
    result = CliRunner().invoke(main, [
        "report", "--period", "2026-10", "--warehouse", str(folder / "ledger.duckdb"),
        "--out", str(folder / "again"), "--outputs", "html,xlsx"])
    assert result.exit_code == 0, result.output
    reported = json.loads((folder / "again" / "2026-10" / "manifest.json").read_text("utf-8"))
    assert ran.keys() == reported.keys()
    assert ran["settings"].keys() == reported["settings"].keys()
    assert reported["settings"]["partial"] is None  # no inbox was read
    assert ran["settings"]["partial"] is False and ran["settings"]["date_order"] is None
    assert {k: v for k, v in ran["settings"].items() if k not in ("partial", "rules")} == \
        {k: v for k, v in reported["settings"].items() if k not in ("partial", "rules")}
    assert ran["run_id"] == reported["run_id"]


def test_report_refuses_an_unknown_output(folder: Path) -> None:
    result = CliRunner().invoke(main, ["report", "--period", "2026-10", "--outputs", "html,docx"])
    assert result.exit_code == 2
    assert "--outputs lists formats among html, xlsx, pdf, not 'html,docx'." in result.output
