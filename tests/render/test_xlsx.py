"""The XLSX writer: what openpyxl (and LibreOffice, when installed) reads back from its files —
values and their types, cached formula values, styles, widths, panes, filters —, inert text
whatever it looks like, byte-identical output, and rows laid out in bulk among the others."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import zipfile
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import fastexcel
import openpyxl
import pytest
import xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.utils.datetime import to_excel

from ledgerflow.render.escape import visible, xml_text
from ledgerflow.render.xlsx import (
    Cell,
    Formula,
    Style,
    Workbook,
    cell_ref,
    column_letters,
    formula_cell_xml,
    number_cell_xml,
    number_text,
    string_cell_xml,
)

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
LIMIT = 32_767  # UTF-16 units in a cell
HOSTILE = ['=HYPERLINK("http://x")', "+7", "+7 900 123-45-67", "@SUM(1)", "-1", "=1+1",
           "<b>&amp;", "a_x0041_b", "_x005F_", "\x07bell", "tab\tand\nnewline", "\r\n",
           "]]><x/>", "1e5", "0012", "TRUE", "http://example.com", "\ud800 lone", "\ufffe",
           "x" * 40_000]


def load(data: bytes, data_only: bool = False) -> Any:
    return openpyxl.load_workbook(io.BytesIO(data), data_only=data_only)


def calamine_texts(data: bytes, sheet: str = "S") -> list[str]:
    """Column A of a sheet as text, read by calamine (through fastexcel), a second reader that
    decodes Excel's `_xHHHH_` escapes as Excel and LibreOffice do."""
    frame = fastexcel.read_excel(data).load_sheet(sheet, header_row=None, dtypes={0: "string"})
    return [str(text) for text in frame.to_pandas().iloc[:, 0]]


def shown(raw: str) -> str:
    """What Excel shows for a cell's text: its `_xHHHH_` escapes decoded (openpyxl leaves
    them as they are in inline strings)."""
    return re.sub("_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m[1], 16)), raw)


def expected(text: str) -> str:
    """What a cell of `text` shows: the text made visible, cut to Excel's limit."""
    text = visible(text)
    encoded = text.encode("utf-16-le")
    return encoded[:2 * LIMIT].decode("utf-16-le", "ignore")


def part(data: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read(name)


def statement(title: str = "Statement C00001") -> Workbook:
    """A small statement: a summary with a formula, a lines sheet with a filter."""
    wb = Workbook(title)
    title_style = wb.style(Style(bold=True, font_size=14))
    header = wb.style(Style(bold=True, bg_color="#DDDDDD", border=True, text_wrap=True,
                            valign="top"))
    date = wb.style(Style(num_format="dd.mm.yyyy"))
    money = wb.style(Style(num_format="#,##0.00"))
    bold_money = wb.style(Style(num_format="#,##0.00", bold=True))
    rate = wb.style(Style(num_format="0.000000"))
    draft = wb.style(Style(bold=True, font_size=13, font_color="#A4262C"))
    summary = wb.sheet("Summary")
    summary.row(0, [(0, "Statement", title_style), (1, "C00001", title_style)])
    summary.row(1, [(0, "Draft: inputs refused", draft)])
    summary.row(2, [(0, "Period", 0), (1, 46296, date), (2, 46326, date)])
    summary.row(4, [(0, "Opening", 0), (1, Decimal("1000.00"), money)])
    summary.row(5, [(0, "Payments", 0), (1, Decimal("250.50"), money)])
    summary.row(6, [(0, "Closing", 0), (1, Formula("B5+B6", Decimal("1250.50")), bold_money)])
    summary.widths([30, 22, 16])
    lines = wb.sheet("Lines")
    lines.row(0, [(col, name, header) for col, name in enumerate(
        ("Date", "Kind", "Amount", "Rate", "Units"))])
    lines.row(1, [(0, 46300, date), (1, "expense", 0), (2, -12.5, money),
                  (3, Decimal("91.123456"), rate), (4, 3, 0)])
    lines.row(2, [(0, 46301, date), (1, "payment", 0), (2, Decimal("1E+3"), money)])
    lines.row(3, [(1, "Totals", wb.style(Style(bold=True))),
                  (2, Formula("SUM(C2:C3)", Decimal("987.5")), bold_money)])
    lines.freeze(1)
    lines.autofilter(0, 0, 2, 4)
    lines.widths([11, 13, 14, 10, 7])
    return wb


# --- what openpyxl reads back ------------------------------------------------------------------


def test_values_types_and_cached_formula_values() -> None:
    data = statement().to_bytes()
    book = load(data)
    summary, lines = book["Summary"], book["Lines"]
    assert book.sheetnames == ["Summary", "Lines"]
    assert [(c.value, c.data_type) for c in summary[1][:2]] == [("Statement", "s"), ("C00001", "s")]
    assert (summary["B5"].value, summary["B5"].data_type) == (1000, "n")
    assert summary["B6"].value == 250.5
    assert (summary["B7"].value, summary["B7"].data_type) == ("=B5+B6", "f")
    assert summary["B3"].is_date and summary["B3"].value.isoformat() == "2026-10-01T00:00:00"
    assert [c.value for c in lines[2]] == [lines["A2"].value, "expense", -12.5, 91.123456, 3]
    assert lines["C3"].value == 1000
    assert lines["C4"].value == "=SUM(C2:C3)"
    cached = load(data, data_only=True)
    assert cached["Summary"]["B7"].value == 1250.5
    assert cached["Lines"]["C4"].value == 987.5
    # numbers as written: a Decimal exactly, without exponent; a float as its repr
    sheet = part(data, "xl/worksheets/sheet2.xml").decode()
    assert "<v>91.123456</v>" in sheet and "<v>1000</v>" in sheet and "<v>-12.5</v>" in sheet
    assert '<f>SUM(C2:C3)</f><v>987.5</v>' in sheet
    assert "<v>250.50</v>" in part(data, "xl/worksheets/sheet1.xml").decode()


def test_styles_widths_pane_and_filter() -> None:
    book = load(statement().to_bytes())
    summary, lines = book["Summary"], book["Lines"]
    assert summary["A1"].font.b and summary["A1"].font.sz == 14
    assert not summary["A3"].font.b and summary["A3"].number_format == "General"
    assert summary["A2"].font.color.rgb == "FFA4262C" and summary["A2"].font.sz == 13
    assert summary["B3"].number_format == "dd.mm.yyyy"
    assert summary["B5"].number_format == "#,##0.00" and not summary["B5"].font.b
    assert summary["B7"].number_format == "#,##0.00" and summary["B7"].font.b
    assert lines["D2"].number_format == "0.000000"
    header = lines["A1"]
    assert header.font.b and header.fill.fill_type == "solid"
    assert header.fill.fgColor.rgb == "FFDDDDDD"
    assert {header.border.left.style, header.border.right.style, header.border.top.style,
            header.border.bottom.style} == {"thin"}
    assert header.alignment.wrap_text and header.alignment.vertical == "top"
    assert lines["B2"].fill.fill_type is None and lines["B2"].border.left.style is None
    assert lines.freeze_panes == "A2"
    assert summary.freeze_panes is None
    assert lines.auto_filter.ref == "A1:E3"
    assert summary.auto_filter.ref is None
    # widths as xlsxwriter stores the same widths (Excel's padding added)
    assert [summary.column_dimensions[c].width for c in "ABC"] == [30.7109375, 22.7109375,
                                                                   16.7109375]
    assert lines.column_dimensions["A"].width == 11.7109375


def test_widths_as_xlsxwriter_stores_them() -> None:
    widths = [0.5, 1, 7, 8.43, 11, 16, 40, 100]
    reference = io.BytesIO()
    workbook = xlsxwriter.Workbook(reference, {"in_memory": True})
    sheet = workbook.add_worksheet("S")
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    workbook.close()
    ours = Workbook()
    ours.sheet("S").widths(widths)
    theirs = load(reference.getvalue())["S"]
    mine = load(ours.to_bytes())["S"]
    for col in range(len(widths)):
        letter = column_letters(col)
        assert mine.column_dimensions[letter].width == theirs.column_dimensions[letter].width


def test_autofilter_defined_name_and_well_formed_parts() -> None:
    wb = statement()
    other = wb.sheet("It's & <more>")
    other.row(0, [(0, "a", 0)])
    other.autofilter(0, 0, 9, 2)
    other.freeze(2, 1)
    data = wb.to_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            ElementTree.fromstring(archive.read(name))  # every part is well-formed XML
    workbook = ElementTree.fromstring(part(data, "xl/workbook.xml"))
    names = [(n.get("name"), n.get("localSheetId"), n.get("hidden"), n.text)
             for n in workbook.iter(f"{MAIN}definedName")]
    assert names == [("_xlnm._FilterDatabase", "1", "1", "'Lines'!$A$1:$E$3"),
                     ("_xlnm._FilterDatabase", "2", "1", "'It''s & <more>'!$A$1:$C$10")]
    book = load(data)
    assert book.sheetnames[2] == "It's & <more>"
    assert book["It's & <more>"].freeze_panes == "B3"
    assert book["It's & <more>"].auto_filter.ref == "A1:C10"


def test_empty_sheet() -> None:
    wb = Workbook()
    wb.sheet("Empty")
    data = wb.to_bytes()
    assert '<dimension ref="A1"/>' in part(data, "xl/worksheets/sheet1.xml").decode()
    assert load(data)["Empty"].max_row == 1


def test_frozen_columns_only() -> None:
    wb = Workbook()
    sheet = wb.sheet("S")
    sheet.row(0, [(0, 1, 0)])
    sheet.freeze(0, 2)
    assert load(wb.to_bytes())["S"].freeze_panes == "C1"


def test_document_properties() -> None:
    wb = Workbook("Statement <&> \x07", created=datetime(2026, 11, 1, 8, 30))
    wb.sheet("S")
    book = load(wb.to_bytes())
    assert book.properties.title == "Statement <&> ␇"
    assert book.properties.created == datetime(2026, 11, 1, 8, 30)
    assert book.properties.modified == datetime(2026, 11, 1, 8, 30)


def test_calamine_reads_the_statement() -> None:
    reader = fastexcel.read_excel(statement().to_bytes())
    assert reader.sheet_names == ["Summary", "Lines"]
    lines = reader.load_sheet("Lines").to_pandas()
    assert list(lines.columns) == ["Date", "Kind", "Amount", "Rate", "Units"]
    assert [str(day.date()) for day in lines["Date"][:2]] == ["2026-10-05", "2026-10-06"]
    assert list(lines["Kind"]) == ["expense", "payment", "Totals"]
    assert list(lines["Amount"]) == [-12.5, 1000, 987.5]  # the formula's cached value last
    assert lines["Rate"][0] == 91.123456
    balances = reader.load_sheet("Summary", header_row=None, skip_rows=4, n_rows=3,
                                 use_columns=[1]).to_pandas()
    assert list(balances.iloc[:, 0]) == [1000, 250.5, 1250.5]


def test_same_cells_as_xlsxwriter_writes_them() -> None:
    """The statement written with xlsxwriter's public API reads back the same, cell by cell."""
    ours = load(statement().to_bytes(), data_only=True)
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False,
                                            "strings_to_formulas": False,
                                            "strings_to_urls": False})
    for sheet_mine in ours.worksheets:
        sheet = workbook.add_worksheet(sheet_mine.title)
        for row in sheet_mine.iter_rows():
            for cell in row:
                if cell.value is None:
                    continue
                fmt = workbook.add_format(_format_of(cell))
                r, c = cell.row - 1, cell.column - 1
                if cell.data_type == "s":
                    sheet.write_string(r, c, cell.value, fmt)
                elif cell.is_date:
                    sheet.write_number(r, c, to_excel(cell.value), fmt)
                else:
                    sheet.write_number(r, c, cell.value, fmt)
    workbook.close()
    theirs = load(buffer.getvalue(), data_only=True)
    for sheet_mine, sheet_theirs in zip(ours.worksheets, theirs.worksheets, strict=True):
        mine = [[_look(c) for c in row] for row in sheet_mine.iter_rows()]
        other = [[_look(c) for c in row] for row in sheet_theirs.iter_rows()]
        assert mine == other


def _format_of(cell: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"num_format": cell.number_format, "bold": bool(cell.font.b),
                            "font_size": cell.font.sz}
    if cell.font.color is not None and cell.font.color.rgb:
        spec["font_color"] = "#" + str(cell.font.color.rgb)[2:]
    if cell.fill.fill_type == "solid":
        spec["bg_color"] = "#" + str(cell.fill.fgColor.rgb)[2:]
    if cell.border.left.style == "thin":
        spec["border"] = 1
    if cell.alignment.wrap_text:
        spec["text_wrap"] = True
    if cell.alignment.vertical:
        spec["valign"] = cell.alignment.vertical
    return spec


def _look(cell: Any) -> tuple[Any, ...]:
    return (cell.value, cell.data_type, cell.number_format, bool(cell.font.b), cell.font.sz,
            cell.fill.fill_type, cell.border.left.style, bool(cell.alignment.wrap_text),
            cell.alignment.vertical)


# --- styles ------------------------------------------------------------------------------------


def test_style_indices_depend_only_on_order_of_first_use() -> None:
    wb = Workbook()
    assert wb.style(Style()) == 0
    money = wb.style(Style(num_format="#,##0.00"))
    date = wb.style(Style(num_format="dd.mm.yyyy"))
    assert wb.style(Style(num_format="#,##0.00")) == money == 1
    assert wb.style(Style(font_color="#a4262c")) == wb.style(Style(font_color="#A4262C")) == 3
    assert date == 2
    wb.style(Style(num_format="0"))
    wb.style(Style(num_format="0.000000"))
    wb.style(Style(num_format="#,##0.0000", bold=True))
    wb.sheet("S")
    styles = ElementTree.fromstring(part(wb.to_bytes(), "xl/styles.xml"))
    custom = [(f.get("numFmtId"), f.get("formatCode")) for f in styles.iter(f"{MAIN}numFmt")]
    assert custom == [("164", "dd.mm.yyyy"), ("165", "0.000000"), ("166", "#,##0.0000")]
    xfs = styles.find(f"{MAIN}cellXfs")
    assert xfs is not None
    assert [xf.get("numFmtId") for xf in xfs] == ["0", "4", "164", "0", "1", "165", "166"]
    fills = styles.find(f"{MAIN}fills")
    assert fills is not None
    assert [f[0].get("patternType") for f in fills] == ["none", "gray125"]


@pytest.mark.parametrize("spec", [
    {"font_color": "red"}, {"bg_color": "#12345"}, {"valign": "middle"}, {"font_size": 0},
    {"num_format": ""}])
def test_bad_styles_are_refused(spec: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        Style(**spec)


# --- what is refused ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf"), Decimal("NaN"),
                                   Decimal("Infinity"), Decimal("sNaN"), Decimal("1E+400"),
                                   Decimal("1" + "0" * 400), 2**1024])
def test_non_finite_numbers_are_refused(value: Any) -> None:
    sheet = Workbook().sheet("S")
    with pytest.raises(ValueError):
        sheet.row(0, [(0, value, 0)])
    with pytest.raises(ValueError):
        Formula("A1", value)


def test_number_text_is_exact_and_without_exponent_for_decimals() -> None:
    assert [number_text(Decimal(t)) for t in ("1234.50", "1E+3", "-1E+2", "1.2E-7", "-0.00",
                                              "0.000001")] == [
        "1234.50", "1000", "-100", "0.00000012", "-0.00", "0.000001"]
    assert [number_text(x) for x in (7, -12.5, 0.1, 1e20)] == ["7", "-12.5", "0.1", "1e+20"]


@pytest.mark.parametrize("value", [True, None, b"bytes", [1]])
def test_values_of_other_types_are_refused(value: Any) -> None:
    with pytest.raises(TypeError):
        Workbook().sheet("S").row(0, [(0, value, 0)])


@pytest.mark.parametrize("name", ["", "x" * 32, "a[1]", "a:b", "a*", "a?", "a/b", "a\\b",
                                  "'quoted'", "Summary", "SUMMARY"])
def test_bad_sheet_names_are_refused(name: str) -> None:
    wb = Workbook()
    wb.sheet("Summary")
    with pytest.raises(ValueError):
        wb.sheet(name)


def test_sheet_name_limit_counts_utf16_units() -> None:
    wb = Workbook()
    wb.sheet("Я" * 31)  # 31 UTF-16 units: allowed
    with pytest.raises(ValueError):
        wb.sheet("😀" * 16)  # 32 UTF-16 units


def test_misuse_of_rows_is_refused() -> None:
    wb = Workbook()
    sheet = wb.sheet("S")
    sheet.row(0, [(0, "a", 0)])
    with pytest.raises(ValueError, match="written already"):
        sheet.row(0, [(1, "b", 0)])
    with pytest.raises(ValueError, match="ascend"):
        sheet.row(1, [(2, "a", 0), (1, "b", 0)])
    with pytest.raises(ValueError, match="no style"):
        sheet.row(1, [(0, "a", 5)])
    with pytest.raises(ValueError):
        sheet.row(1, [(-1, "a", 0)])
    sheet.rows_xml(2, 2, b'<row r="3"></row><row r="4"></row>')
    with pytest.raises(ValueError, match="written already"):
        sheet.row(3, [(0, "a", 0)])
    with pytest.raises(ValueError, match="overlap"):
        sheet.rows_xml(0, 1, b'<row r="1"></row>')
    with pytest.raises(ValueError, match="overlap"):
        sheet.rows_xml(3, 2, b'<row r="4"></row><row r="5"></row>')
    with pytest.raises(ValueError, match="not 2 <row>"):
        sheet.rows_xml(9, 2, b'<row r="10"></row>')
    with pytest.raises(ValueError, match="=SUM"):
        Formula("=SUM(A1)", 1)
    with pytest.raises(ValueError, match="at least one sheet"):
        Workbook().to_bytes()


# --- inert text --------------------------------------------------------------------------------


def test_hostile_text_stays_text_as_written() -> None:
    wb = Workbook()
    sheet = wb.sheet("S")
    for row, text in enumerate(HOSTILE):
        sheet.row(row, [(0, text, 0)])
    data = wb.to_bytes()
    for data_only in (False, True):
        cells = load(data, data_only)["S"]
        for row, text in enumerate(HOSTILE, start=1):
            cell = cells.cell(row, 1)
            assert cell.data_type == "s", text
            assert shown(cell.value) == expected(text)
    assert calamine_texts(data) == [expected(text) for text in HOSTILE]
    cells = load(data)["S"]
    assert cells["A1"].value == '=HYPERLINK("http://x")' and cells["A1"].hyperlink is None
    assert cells["A7"].value == "<b>&amp;"
    assert shown(cells["A8"].value) == "a_x0041_b"  # Excel's escape shown as written
    assert cells["A10"].value == "␇bell"
    assert cells["A12"].value == "␍\n"
    assert cells["A20"].value == "x" * LIMIT  # cut to Excel's limit
    sheet_xml = part(data, "xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and sheet_xml.count('t="inlineStr"') == len(HOSTILE)


def test_text_is_cut_between_surrogate_pairs() -> None:
    wb = Workbook()
    wb.sheet("S").row(0, [(0, "a" * (LIMIT - 1) + "😀b", 0)])
    assert load(wb.to_bytes())["S"]["A1"].value == "a" * (LIMIT - 1)


PIECES = st.sampled_from(["_x0041_", "_x005F_", "_X00e9_", "_x", "&", "<", ">", "]]>", "\r\n",
                          "\r", "\x00", "\x1b", "\x85", "\ufffe", "\uffff", "\ud83d", "\ude00",
                          '"', "'", "=", "+", "@", " ", "\t", "😀"])
ANY_CHAR = st.characters(codec=None, categories=None, exclude_categories=())
TEXT = st.lists(st.one_of(st.text(ANY_CHAR, max_size=12), PIECES), max_size=8).map("".join)


# Two of Excel's escapes sharing an underscore ("_x0041_x0042_"): `xml_text` escapes the first
# only, so Excel and LibreOffice, which decode `_xHHHH_` left to right and go on after it, show
# the second as its character (see the test below). Left out of the property until it is mended.


@settings(max_examples=60, deadline=None)
@given(texts=st.lists(TEXT, min_size=1, max_size=12))
def test_any_text_reads_back_as_shown(texts: list[str]) -> None:
    wb = Workbook()
    sheet = wb.sheet("S")
    for row, text in enumerate(texts):
        sheet.row(row, [(0, text, 0), (1, row, 0)])
    data = wb.to_bytes()
    cells = load(data)["S"]
    for row, text in enumerate(texts, start=1):
        cell = cells.cell(row, 1)
        assert cell.data_type == "s"
        assert shown(cell.value or "") == expected(text)
        assert cells.cell(row, 2).value == row - 1
    assert calamine_texts(data) == [expected(text) for text in texts]


@pytest.mark.parametrize("text", ["_x005F_x0041_", "_x0041_x0042_", "a_x0041_x0042_x0043_b"])
def test_chained_excel_escapes_read_back_as_written(text: str) -> None:
    wb = Workbook()
    wb.sheet("S").row(0, [(0, text, 0)])
    assert calamine_texts(wb.to_bytes()) == [text]


# --- rows laid out elsewhere -------------------------------------------------------------------


def _bulk(first: int, count: int, money: int) -> bytes:
    """Rows as a bulk layout makes them, with the cell helpers."""
    rows = []
    for row in range(first, first + count):
        n = row + 1
        cells = [string_cell_xml(cell_ref(0, row), xml_text(f"bulk {n} <&>"), 0),
                 number_cell_xml(cell_ref(2, row), number_text(Decimal(n) / 4), money)]
        rows.append(f'<row r="{n}">{"".join(cells)}</row>')
    return "".join(rows).encode()


def test_rows_xml_interleave_with_rows() -> None:
    wb = Workbook()
    money = wb.style(Style(num_format="#,##0.00"))
    sheet = wb.sheet("S")
    sheet.row(10, [(0, "last", 0), (3, Formula("SUM(C2:C10)", Decimal("13.5")), money)])
    sheet.rows_xml(5, 5, _bulk(5, 5, money))
    sheet.row(0, [(0, "first", 0)])
    sheet.rows_xml(1, 3, _bulk(1, 3, money))
    sheet.row(4, [(1, "middle", 0)])
    data = wb.to_bytes()
    cells = load(data)["S"]
    assert [row[0].value or row[1].value for row in cells.iter_rows()] == [
        "first", "bulk 2 <&>", "bulk 3 <&>", "bulk 4 <&>", "middle", "bulk 6 <&>",
        "bulk 7 <&>", "bulk 8 <&>", "bulk 9 <&>", "bulk 10 <&>", "last"]
    assert cells["C7"].value == 1.75 and cells["C7"].number_format == "#,##0.00"
    xml = part(data, "xl/worksheets/sheet1.xml").decode()
    assert [int(r) for r in re.findall('<row r="([0-9]+)"', xml)] == list(range(1, 12))
    assert '<dimension ref="A1:D11"/>' in xml
    hinted = Workbook()
    hinted.sheet("S").rows_xml(1, 3, _bulk(1, 3, 0), cols=(0, 2))
    hinted_xml = part(hinted.to_bytes(), "xl/worksheets/sheet1.xml").decode()
    assert '<dimension ref="A2:C4"/>' in hinted_xml
    assert load(data, data_only=True)["S"]["D11"].value == 13.5


def test_row_writes_the_shapes_of_the_cell_helpers() -> None:
    """A row through `row` and the same row from the helpers give the same sheet."""
    def book(bulk: bool) -> bytes:
        wb = Workbook()
        money = wb.style(Style(num_format="#,##0.00"))
        sheet = wb.sheet("S")
        cells: list[Cell] = [(0, "a <b> & _x0041_ \x07", 0), (1, "styled", money),
                             (2, Decimal("12.30"), money), (3, 7, 0), (4, 0.1, 0),
                             (5, Formula("C1*2", Decimal("24.60")), money)]
        if not bulk:
            sheet.row(0, cells)
        else:
            xml = (string_cell_xml("A1", xml_text(str(cells[0][1])), 0)
                   + string_cell_xml("B1", "styled", money)
                   + number_cell_xml("C1", number_text(Decimal("12.30")), money)
                   + number_cell_xml("D1", number_text(7), 0)
                   + number_cell_xml("E1", number_text(0.1), 0)
                   + formula_cell_xml("F1", Formula("C1*2", Decimal("24.60")), money))
            sheet.rows_xml(0, 1, f'<row r="1">{xml}</row>'.encode())
        return part(wb.to_bytes(), "xl/worksheets/sheet1.xml")

    assert book(bulk=False) == book(bulk=True)


def test_cell_refs() -> None:
    assert cell_ref(0, 0) == "A1"
    assert cell_ref(25, 9) == "Z10"
    assert cell_ref(26, 0) == "AA1"
    assert cell_ref(701, 0) == "ZZ1"
    assert cell_ref(702, 0) == "AAA1"
    assert cell_ref(16_383, 1_048_575) == "XFD1048576"
    with pytest.raises(ValueError):
        cell_ref(16_384, 0)


# --- the same bytes ----------------------------------------------------------------------------


def test_same_workbook_gives_same_bytes(tmp_path: Path) -> None:
    first, second = statement().to_bytes(), statement().to_bytes()
    assert first == second
    statement().save(tmp_path / "s.xlsx")
    assert (tmp_path / "s.xlsx").read_bytes() == first
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        entries = archive.infolist()
    assert [e.filename for e in entries] == [
        "[Content_Types].xml", "_rels/.rels", "docProps/app.xml", "docProps/core.xml",
        "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml",
        "xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"]
    assert {e.date_time for e in entries} == {(1980, 1, 1, 0, 0, 0)}
    assert {e.compress_type for e in entries} == {zipfile.ZIP_DEFLATED}
    assert statement("Another title").to_bytes() != first


# --- links -----------------------------------------------------------------------------------


def test_links_to_files_beside_the_workbook() -> None:
    """A link is an external hyperlink relationship of its sheet, to a relative path of plain
    names; the cell keeps its own value; equal workbooks give equal bytes."""
    def book() -> Workbook:
        wb = Workbook()
        sheet = wb.sheet("S")
        link = wb.style(Style(font_color="#0563C1", underline=True))
        sheet.row(0, [(0, "acme", link), (1, "statements/a b.xlsx", link), (2, 1, 0)])
        sheet.link(0, 0, "statements/acme.xlsx")
        sheet.link(0, 1, "statements/acme~1a2b3c4d.html")
        wb.sheet("Other").row(0, [(0, "no link", 0)])
        return wb

    data = book().to_bytes()
    assert data == book().to_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        for name in names:
            ElementTree.fromstring(archive.read(name))  # well-formed
        rels = archive.read("xl/worksheets/_rels/sheet1.xml.rels").decode()
    assert "xl/worksheets/_rels/sheet2.xml.rels" not in names  # no link, no relationships
    assert rels.count('TargetMode="External"') == 2 and "/hyperlink" in rels
    sheet = load(data)["S"]
    assert sheet["A1"].value == "acme" and sheet["A1"].data_type == "s"
    assert sheet["A1"].hyperlink.target == "statements/acme.xlsx"
    assert sheet["B1"].hyperlink.target == "statements/acme~1a2b3c4d.html"
    assert sheet["B1"].value == "statements/a b.xlsx"  # its text is its own
    assert sheet["A1"].font.u == "single" and sheet["C1"].hyperlink is None


@pytest.mark.parametrize("target", [
    "", "/etc/passwd", "../up.xlsx", "statements/../x.xlsx", ".hidden", "http://evil/x",
    "file:///x", "a b.xlsx", "a\\b.xlsx", "statements//x.xlsx", 'x".xlsx', "x\n"])
def test_a_link_goes_to_a_relative_path_of_plain_names_only(target: str) -> None:
    with pytest.raises(ValueError, match="relative path of plain names"):
        Workbook().sheet("S").link(0, 0, target)


# --- LibreOffice -------------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("soffice") is None,
                    reason="LibreOffice (soffice) is not installed on this machine")
def test_libreoffice_opens_it(tmp_path: Path) -> None:
    wb = Workbook()
    sheet = wb.sheet("S")
    sheet.row(0, [(0, '=HYPERLINK("http://x")', 0), (1, Decimal("1234.50"), 0),
                  (2, Formula("B1*2", Decimal("2469")), 0), (3, "a_x0041_b", 0)])
    wb.save(tmp_path / "s.xlsx")
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/user",
                    "--convert-to", "csv", "--outdir", str(tmp_path), str(tmp_path / "s.xlsx")],
                   check=True, capture_output=True, timeout=120)
    with open(tmp_path / "s.csv", newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    assert rows[0] == ['=HYPERLINK("http://x")', "1234.5", "2469", "a_x0041_b"]
