"""Text from inputs is inert in every output (render/escape.py): any Unicode in any text field
of a statement, file and sheet names included, gives a page that parses with every value shown
as stored (made visible), a workbook openpyxl opens with the same values, and a PDF that
renders; DuckDB's bulk escaping equals the Python functions."""

from __future__ import annotations

import dataclasses
import itertools
import re
import sys
import zipfile
from pathlib import Path

import duckdb
import openpyxl
import pypdfium2 as pdfium
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerflow.render.escape import (
    csv_field,
    html,
    invisible_sql,
    sql_macros,
    visible,
    visible_sql,
    xml_text,
)
from ledgerflow.render.excel import write_index_xlsx, write_statement_xlsx
from ledgerflow.render.html import HtmlRenderer
from ledgerflow.render.labels import labels
from ledgerflow.render.layout import LINES
from ledgerflow.render.model import IndexEntry, Refusal, Statement

sys.path.insert(0, str(Path(__file__).parent))
from test_excel import make_statement
from test_html import collect

# Any code point, surrogates (a file name that is not UTF-8) and controls included.
ANY = st.text(st.characters(codec=None, exclude_categories=()), min_size=1, max_size=40)
WITHOUT_SURROGATES = st.text(st.characters(exclude_categories=("Cs",)), max_size=60)
COL = {f.key: i + 1 for i, f in enumerate(LINES.fields)}


def test_invisible_characters_get_visible_stand_ins() -> None:
    assert visible("a\x00b\x07c\x1b\x7f") == "a\u2400b\u2407c\u241b\u2421"
    assert visible("tab\tand\nnewline") == "tab\tand\nnewline"
    assert visible("cr\r") == "cr\u240d"
    assert visible("\x85\ufffe\uffff") == "⟨U+0085⟩⟨U+FFFE⟩⟨U+FFFF⟩"
    assert visible("bad\udcff.csv") == "bad⟨0xFF⟩.csv"  # a byte surrogateescape kept
    assert str(html('<a href="x">\'&\x00')) == "&lt;a href=&#34;x&#34;&gt;&#39;&amp;\u2400"
    assert xml_text("a_x0041_x0042_<&>") == "a_x005F_x0041_x005F_x0042_&lt;&amp;&gt;"
    assert csv_field('=SUM(A1) "q"') == '"\'=SUM(A1) ""q"""'


@settings(max_examples=300, deadline=None)
@given(text=WITHOUT_SURROGATES)
def test_duckdb_escapes_as_the_python_functions(text: str) -> None:
    connection = _connection()
    shown = visible_sql("$1")  # as the bulk layout makes a line's text visible
    got = connection.execute(f"SELECT lf_html({shown}), lf_xml({shown}), lf_csv({shown}), "
                             f"{invisible_sql('$1')}", [text]).fetchone()
    assert got == (str(html(text)), xml_text(text), csv_field(text), visible(text) != text)


_CONNECTION: list[duckdb.DuckDBPyConnection] = []


def _connection() -> duckdb.DuckDBPyConnection:
    if not _CONNECTION:
        connection = duckdb.connect()
        sql_macros(connection)
        _CONNECTION.append(connection)
    return _CONNECTION[0]


def hostile(texts: list[str]) -> Statement:
    """A statement whose every text field holds one of `texts` (cycled): card, group, lines,
    file and sheet names, a draft's refused file."""
    pick = itertools.cycle(texts)
    base = make_statement()
    lines = tuple(dataclasses.replace(
        line, line_id=next(pick), account=next(pick), description=next(pick),
        source_file=next(pick), source_sheet=next(pick)) for line in base.lines)
    return dataclasses.replace(
        base, payer=next(pick), name=next(pick), tax_id=next(pick), manager=next(pick),
        accounts=tuple(dataclasses.replace(a, account=next(pick)) for a in base.accounts),
        lines=lines, draft=(Refusal(next(pick), "partial", 2, touches=True),))


def shown_excel(value: object) -> object:
    """A cell's text as Excel shows it: `_xHHHH_` decoded (openpyxl leaves it in inline
    strings)."""
    if not isinstance(value, str):
        return value
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), value)


def excel_text(text: str) -> str:
    """What a cell shows of a stored text: made visible, cut to Excel's limit."""
    encoded = visible(text).encode("utf-16-le", "surrogatepass")
    return encoded[:2 * 32_767].decode("utf-16-le", "ignore")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(ANY, min_size=1, max_size=6))
def test_any_text_gives_a_page_that_parses_and_a_workbook_that_opens(
        texts: list[str], tmp_path_factory: object) -> None:
    statement = hostile(texts)
    page = HtmlRenderer("en").statement_bytes(statement)
    text = page.decode("utf-8")  # well-formed UTF-8: no lone surrogate was written
    assert "\x00" not in text and not re.search("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]", text)
    parsed = collect(text)
    fields: dict[str, list[str]] = {}
    for found in parsed.fields:
        fields.setdefault(found.name, []).append("".join(found.parts))
    for line in statement.lines:
        assert visible(line.line_id) in fields["line_id"]
        assert visible(line.description or "") in fields["description"]
        assert any(s.startswith(visible(line.source_file)) for s in fields["source"])
    assert visible(statement.name) in fields["name"]
    assert parsed.tags.count("tr") >= len(statement.lines)  # no row swallowed by markup

    path = Path(str(tmp_path_factory.mktemp("x"))) / "s.xlsx"  # type: ignore[attr-defined]
    write_statement_xlsx(path, statement, "en")
    book = openpyxl.load_workbook(path)
    sheet = book[labels("en")["lines"]]
    for row, line in enumerate(statement.lines, start=3):  # under the opening row
        for key, stored in (("line_id", line.line_id), ("account", line.account),
                            ("source", line.source_file), ("sheet", line.source_sheet)):
            assert shown_excel(sheet.cell(row, COL[key]).value) == excel_text(stored), key
            assert sheet.cell(row, COL[key]).data_type == "s"
    summary = book[labels("en")["summary"]]
    [card_row] = [r for r in range(1, summary.max_row + 1)
                  if summary.cell(r, 1).value == labels("en")["payer"]]
    assert shown_excel(summary.cell(card_row, 2).value) == excel_text(statement.payer)
    index = path.with_name("index.xlsx")
    write_index_xlsx(index, [IndexEntry(statement, texts[0], None)], statement.period, "en",
                     statement.draft)
    opened = openpyxl.load_workbook(index).active
    # the payer's row, above a blank row and the totals of its currency
    assert shown_excel(opened.cell(opened.max_row - 2, 1).value) == excel_text(statement.payer)
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(ANY, min_size=1, max_size=4))
def test_any_text_gives_a_pdf_that_renders(texts: list[str]) -> None:
    from ledgerflow.render.pdf import pdf_bytes

    statement = hostile(texts)
    page = HtmlRenderer("en").statement_bytes(statement)
    pdf = pdf_bytes(page, run_id=statement.run_id, inputs_sha256=statement.inputs_sha256,
                    title=visible(statement.payer), lang="en")
    document = pdfium.PdfDocument(pdf)
    assert len(document) >= 1
    text = document[0].get_textpage().get_text_range()
    assert "Page 1 of" in text and statement.run_id in text
