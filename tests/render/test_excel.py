"""The Excel statement and index: real dates and numbers, formulas with exact cached values,
inert input text, byte-identical output."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.cell.cell import Cell
from xlsxwriter.utility import xl_col_to_name

from ledgerflow.render.excel import write_index_xlsx, write_statement_xlsx
from ledgerflow.render.labels import labels
from ledgerflow.render.layout import INDEX, LINES
from ledgerflow.render.model import AccountTotal, IndexEntry, Line, Refusal, Related, Statement
from ledgerflow.rules.period import Period

OCTOBER = Period.month("2026-10")
HOSTILE = '=HYPERLINK("http://evil","x")'
COL = {f.key: i + 1 for i, f in enumerate(LINES.fields)}  # 1-based, as openpyxl counts
INDEX_COL = {c.key: i + 1 for i, c in enumerate(INDEX.in_workbook())}
D = Decimal


def _line(day: int, kind: str, line_id: str, amount_payer: str, balance: Decimal, *,
          account: str = "Orhid_magazine", currency: str = "RUB", amount: str | None = None,
          net: str | None = None, discount: str | None = None, tax: str | None = None,
          rate: str | None = None, units: int | None = None, inverse: bool = False,
          description: str | None = None, row: int = 2) -> Line:
    return Line(
        date=dt.date(2026, 10, day), kind=kind, line_id=line_id, account=account,
        description=description, currency=currency,
        amount=D(amount if amount is not None else amount_payer.lstrip("-")),
        net=None if net is None else D(net), discount=None if discount is None else D(discount),
        tax=None if tax is None else D(tax), rate=None if rate is None else D(rate),
        units=units, rate_inverse=inverse, amount_payer=D(amount_payer), balance=balance,
        source_file="expenses_2026-10.xlsx", source_sheet="Расходы", source_row=row)


def make_statement(extra_lines: int = 0, *, name: str = "ООО «Орхидея»",
                   description: str = "SMS рассылка") -> Statement:
    """The Orhid_magazine group in October 2026: a payment, a converted USD expense, an expense
    with discount and tax, a refund, a correction, then `extra_lines` plain expenses."""
    opening = D("8805.98")
    specs: list[dict[str, Any]] = [
        dict(day=1, kind="payment", line_id="PAY-26-0101", amount_payer="5000.00"),
        dict(day=3, kind="expense", line_id="EXP-26-00258", amount_payer="-26630.53",
             account="Orhid_magazine_SPB", currency="USD", amount="294.26", net="245.22",
             discount="0.00", tax="49.04", rate="90.5", units=1, description="hosting"),
        dict(day=9, kind="expense", line_id="EXP-26-00277", amount_payer="-15737.35",
             account="Orhid_magazine_DIR", net="14571.62", discount="1457.16", tax="2622.89",
             description=description),
        dict(day=12, kind="refund", line_id="PAY-26-0102", amount_payer="-1200.50"),
        dict(day=15, kind="correction", line_id="PAY-26-0103", amount_payer="-0.99",
             amount="-0.99"),
        dict(day=16, kind="expense", line_id="EXP-26-00300", amount_payer="-1510.00",
             account="Orhid_magazine_SPB", currency="JPY", amount="2450", net="2042",
             discount="0", tax="408", rate="162.25", units=100, inverse=True),
    ]
    for i in range(extra_lines):
        amount = f"{(i * 37) % 1000}.07"
        specs.append(dict(day=17 + i % 14, kind="expense", line_id=f"EXP-26-{1000 + i:05d}",
                          amount_payer=f"-{amount}", net=amount, discount="0.00", tax="0.00",
                          description=f"service {i}"))
    lines, balance = [], opening
    for row, spec in enumerate(specs, start=2):
        balance += D(spec["amount_payer"])
        lines.append(_line(balance=balance, row=row, **spec))
    signed = {k: sum((ln.amount_payer for ln in lines if ln.kind == k), D(0))
              for k in ("payment", "refund", "withdrawal", "correction", "expense")}
    closing = opening + sum(signed.values(), D(0))
    debt = max(D(0), -closing)
    return Statement(
        payer="Orhid_magazine", name=name, tax_id="0107083893", currency="RUB", digits=2,
        credit_limit=D("20000.00"), postpay=False, manager="Иванова", deferral_days=30,
        block_after_days=None, period=OCTOBER, opening=opening, payments=signed["payment"],
        refunds=-signed["refund"], withdrawals=-signed["withdrawal"],
        corrections=signed["correction"], expenses=-signed["expense"], closing=closing,
        available=closing + D("20000.00"),
        flags=("over_limit",) if closing + 20000 < 0 else (),
        ageing=(("0-30", debt - D("100.00") if debt else D("0.00")),
                ("31-60", D("100.00") if debt else D("0.00")), ("61-90", D("0.00")),
                ("over_90", D("0.00"))),
        accounts=(AccountTotal("Orhid_magazine", "RUB", D("0.00"), D("0.00")),
                  AccountTotal("Orhid_magazine_DIR", "RUB", D("15737.35"), D("15737.35")),
                  AccountTotal("Orhid_magazine_SPB", "USD", D("294.26"), D("26630.53"))),
        related=(Related("Orhid_magazine_DIR", "Орхидея дирекция", "RUB", dt.date(2025, 2, 1),
                         None),
                 Related("Orhid_magazine_SPB", "Orhid SPb", "USD", dt.date(2025, 5, 15),
                         dt.date(2026, 12, 1))),
        lines=tuple(lines), run_id="0123456789abcdef", inputs_sha256="ab" * 32)


def _open(path: Path, data_only: bool) -> openpyxl.Workbook:
    return openpyxl.load_workbook(path, data_only=data_only)


def _find(sheet: Any, text: str) -> Cell:
    """The cell right of the label `text` in column A."""
    for row in sheet.iter_rows(min_col=1, max_col=1):
        if row[0].value == text:
            return sheet.cell(row[0].row, 2)
    raise AssertionError(f"no row labelled {text!r}")


@pytest.fixture
def statement() -> Statement:
    return make_statement(extra_lines=20)


@pytest.fixture
def written(tmp_path: Path, statement: Statement) -> Path:
    path = tmp_path / "Orhid_magazine.xlsx"
    write_statement_xlsx(path, statement, "ru")
    return path


def test_sheets_and_header(written: Path) -> None:
    book = _open(written, data_only=False)
    words = labels("ru")
    assert book.sheetnames == [words["summary"], words["lines"]]
    sheet = book[words["lines"]]
    assert sheet.freeze_panes == "A2"
    # 18 fields and 6 of the derivation; the opening row, 26 lines
    assert sheet.auto_filter.ref == f"A1:X{2 + 26}"
    assert [c.value for c in sheet[1]][:3] == ["Дата", "Вид", "Номер"]
    assert all(isinstance(c.value, str) for c in sheet[1])
    assert sheet.column_dimensions["E"].width > 30


def test_line_cells_are_typed(written: Path, statement: Statement) -> None:
    sheet = _open(written, data_only=False)[labels("ru")["lines"]]
    for i, line in enumerate(statement.lines, start=3):  # under the header and the opening
        date_cell = sheet.cell(i, COL["date"])
        assert date_cell.is_date and date_cell.value.date() == line.date
        assert date_cell.number_format == "dd.mm.yyyy"
        payer = sheet.cell(i, COL["amount_payer"])
        assert payer.data_type == "n" and D(str(payer.value)) == line.amount_payer
        assert payer.number_format == "#,##0.00"
        balance = sheet.cell(i, COL["balance"])
        assert D(str(balance.value)) == line.balance
        assert sheet.cell(i, COL["line_id"]).value == line.line_id
        assert sheet.cell(i, COL["row"]).value == line.source_row
        assert sheet.cell(i, COL["source"]).value == line.source_file
    usd, jpy = sheet[4], sheet[8]
    assert usd[COL["currency"] - 1].value == "USD"
    assert usd[COL["amount"] - 1].value == 294.26
    assert usd[COL["amount"] - 1].number_format == "#,##0.00"
    assert usd[COL["rate"] - 1].value == 90.5 and usd[COL["rate"] - 1].number_format == "0.0"
    assert usd[COL["units"] - 1].value == 1
    assert usd[COL["inverse_rate"] - 1].value is None
    assert usd[COL["kind"] - 1].value == "расход"
    assert jpy[COL["amount"] - 1].value == 2450 and jpy[COL["amount"] - 1].number_format == "#,##0"
    assert jpy[COL["rate"] - 1].number_format == "0.00"
    assert jpy[COL["units"] - 1].value == 100
    assert jpy[COL["inverse_rate"] - 1].value == "обратный"
    discounted = sheet[5]
    assert [discounted[COL[k] - 1].value for k in ("net", "discount", "tax", "amount")] == \
        [14571.62, 1457.16, 2622.89, 15737.35]
    payment = sheet[3]
    assert payment[COL["rate"] - 1].value is None and payment[COL["net"] - 1].value is None
    assert payment[COL["kind"] - 1].value == "платёж"
    assert sheet[7][COL["amount"] - 1].value == -0.99  # the correction is signed


def test_the_lines_sheet_starts_with_the_opening_balance(written: Path,
                                                          statement: Statement) -> None:
    """The opening row, its cells in the columns of the layout's edge fields (date, kind,
    balance); the first line's balance is the opening plus its amount."""
    words = labels("ru")
    sheet = _open(written, data_only=False)[words["lines"]]
    opening = {c.column: c for c in sheet[2] if c.value is not None}
    assert set(opening) == {COL["date"], COL["kind"], COL["balance"]}
    assert opening[COL["date"]].is_date and opening[COL["date"]].value.date() == OCTOBER.start
    assert opening[COL["kind"]].value == words["opening"] and opening[COL["kind"]].font.b
    balance = opening[COL["balance"]]
    assert D(repr(balance.value)) == statement.opening and balance.number_format == "#,##0.00"
    first = statement.lines[0]
    assert D(repr(sheet.cell(3, COL["balance"]).value)) == statement.opening + \
        first.amount_payer == first.balance


def test_totals_row_is_a_formula_with_its_exact_value(written: Path,
                                                      statement: Statement) -> None:
    words = labels("ru")
    total_row = len(statement.lines) + 3  # the header, the opening row, the lines
    column = xl_col_to_name(COL["amount_payer"] - 1)
    balance = xl_col_to_name(COL["balance"] - 1)
    formulas = _open(written, data_only=False)[words["lines"]]
    assert formulas.cell(total_row, 1).value == words["totals"]
    assert formulas.cell(total_row, COL["amount_payer"]).value == \
        f"=SUM({column}3:{column}{total_row - 1})"
    # under the balances: the closing one, the opening plus the lines
    assert formulas.cell(total_row, COL["balance"]).value == f"={balance}2+{column}{total_row}"
    values = _open(written, data_only=True)[words["lines"]]
    cached = values.cell(total_row, COL["amount_payer"]).value
    exact = sum((line.amount_payer for line in statement.lines), D(0))
    assert isinstance(cached, float) and D(repr(cached)) == exact
    assert statement.opening + exact == statement.closing
    assert D(repr(values.cell(total_row, COL["balance"]).value)) == statement.closing


def test_summary_card_balances_and_closing_formula(written: Path, statement: Statement) -> None:
    words = labels("ru")
    formulas = _open(written, data_only=False)[words["summary"]]
    values = _open(written, data_only=True)[words["summary"]]
    assert _find(formulas, words["name"]).value == statement.name
    assert _find(formulas, words["tax_id"]).value == "0107083893"  # leading zero kept: text
    assert _find(formulas, words["credit_limit"]).value == 20000
    assert _find(formulas, words["credit_limit"]).number_format == "#,##0.00"
    assert _find(formulas, words["postpay"]).value == "нет"
    assert _find(formulas, words["deferral_days"]).value == 30
    assert _find(formulas, words["block_after_days"]).value == "никогда"
    period = _find(formulas, words["period"])
    assert period.is_date and period.value.date() == OCTOBER.start
    assert formulas.cell(period.row, 3).value.date() == OCTOBER.end
    for key in ("opening", "payments", "refunds", "withdrawals", "corrections", "expenses"):
        cell = _find(formulas, words[key])
        assert cell.data_type == "n" and D(repr(cell.value)) == getattr(statement, key)
    closing = _find(formulas, words["closing"])
    opening_row = _find(formulas, words["opening"]).row
    rows = [opening_row + i for i in range(6)]
    assert closing.value == "=B{}+B{}-B{}-B{}+B{}-B{}".format(*rows)
    cached = _find(values, words["closing"]).value
    assert D(repr(cached)) == statement.closing
    assert D(repr(_find(values, words["available"]).value)) == statement.available
    assert _find(values, words["flags"]).value == "превышен лимит"
    debt = _find(formulas, words["debt"])
    assert debt.value == f"=SUM(B{debt.row - 4}:B{debt.row - 1})"
    assert D(repr(_find(values, words["debt"]).value)) == max(D(0), -statement.closing)
    assert _find(values, words["over_90"]).value == 0
    assert _find(values, words["age_days"]).value == f"{words['debt']}, RUB"  # its header
    assert _find(values, words["run_id"]).value == "0123456789abcdef"
    assert _find(values, words["inputs_sha256"]).value == "ab" * 32


def test_summary_accounts_and_group(written: Path) -> None:
    sheet = _open(written, data_only=False)[labels("ru")["summary"]]
    rows = {row[0].value: row for row in sheet.iter_rows() if row[0].value}
    spb = rows["Orhid_magazine_SPB"]
    # the per-account table comes first, then the group: the last row with the login wins
    assert spb[1].value == "Orhid SPb" and spb[2].value == "USD"
    assert spb[3].is_date and spb[3].value.date() == dt.date(2025, 5, 15)
    assert spb[4].value.date() == dt.date(2026, 12, 1)
    assert rows["Orhid_magazine_DIR"][4].value is None  # never unlinked
    subtotals = next(row for row in sheet.iter_rows() if row[0].value == "Orhid_magazine_SPB")
    assert [c.value for c in subtotals[:4]] == ["Orhid_magazine_SPB", "USD", 294.26, 26630.53]


def test_unlimited_available_and_english(tmp_path: Path) -> None:
    st = dataclasses.replace(make_statement(), postpay=True, available=None, flags=(),
                             deferral_days=None, tax_id=None, manager=None)
    path = tmp_path / "s.xlsx"
    write_statement_xlsx(path, st, "en")
    words = labels("en")
    sheet = _open(path, data_only=True)[words["summary"]]
    assert _find(sheet, words["available"]).value == "unlimited"
    assert _find(sheet, words["deferral_days"]).value == "unlimited"
    assert _find(sheet, words["postpay"]).value == "yes"
    assert _find(sheet, words["tax_id"]).value == "—"
    assert _find(sheet, words["flags"]).value == "—"
    lines = _open(path, data_only=True)[words["lines"]]
    assert lines["B2"].value == "Opening balance" and lines["B3"].value == "payment"


def test_no_lines(tmp_path: Path) -> None:
    st = dataclasses.replace(make_statement(), lines=(), opening=D("10.00"), payments=D(0),
                             refunds=D(0), withdrawals=D(0), corrections=D(0), expenses=D(0),
                             closing=D("10.00"), available=D("20010.00"), flags=(),
                             ageing=(("0-30", D(0)), ("31-60", D(0)), ("61-90", D(0)),
                                     ("over_90", D(0))))
    path = tmp_path / "s.xlsx"
    write_statement_xlsx(path, st)
    words = labels("ru")
    sheet = _open(path, data_only=True)[words["lines"]]
    assert sheet["B2"].value == words["opening"]
    assert sheet["A3"].value == words["no_lines"]
    assert sheet["A4"].value == words["totals"]
    assert sheet.cell(4, COL["amount_payer"]).value == 0
    assert sheet.cell(4, COL["balance"]).value == 10
    assert D(repr(_find(_open(path, True)[words["summary"]], words["closing"]).value)) == 10


def test_closing_that_does_not_add_up_is_refused(tmp_path: Path) -> None:
    st = dataclasses.replace(make_statement(), closing=D("1.00"))
    with pytest.raises(ValueError, match="does not add up"):
        write_statement_xlsx(tmp_path / "s.xlsx", st)


@pytest.mark.parametrize("text", [HOSTILE, "+79001234567", "-1", "@SUM(A1)", "=1+1",
                                  "http://evil.example/x", "0123", "1e5", " padded "])
def test_input_text_is_inert(tmp_path: Path, text: str) -> None:
    st = make_statement(name=text, description=text)
    st = dataclasses.replace(st, payer=text, manager=text,
                             lines=(dataclasses.replace(st.lines[0], line_id=text,
                                                        source_file=text, source_sheet=text),
                                    *st.lines[1:]))
    path = tmp_path / "s.xlsx"
    write_statement_xlsx(path, st)
    entry = IndexEntry(st, html=text, xlsx=text)
    index = tmp_path / "index.xlsx"
    write_index_xlsx(index, [entry], OCTOBER)
    words = labels("ru")
    book = _open(path, data_only=False)
    summary, lines = book[words["summary"]], book[words["lines"]]
    cells = [_find(summary, words["name"]), _find(summary, words["payer"]),
             _find(summary, words["manager"]), lines.cell(5, COL["description"]),
             lines.cell(3, COL["line_id"]), lines.cell(3, COL["source"]),
             lines.cell(3, COL["sheet"])]
    cells += list(_open(index, data_only=False).active[3][:2])
    cells += list(_open(index, data_only=False).active[3][INDEX_COL["html"] - 1:
                                                          INDEX_COL["xlsx"]])
    for cell in cells:
        assert cell.data_type == "s" and cell.value == text, cell.coordinate
        assert cell.hyperlink is None
    with zipfile.ZipFile(path) as archive:
        sheets = [archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/")]
    # the text is in inline strings only: no formula but the statement's own, no link
    formulas = [f for xml in sheets for f in re.findall(rb"<f>([^<]*)</f>", xml)]
    assert formulas and all(re.fullmatch(rb"SUM\(\w+:\w+\)|[-+A-Z0-9]+", f) for f in formulas)
    assert not any(b"<hyperlink" in xml for xml in sheets)


def test_same_statement_same_bytes(tmp_path: Path, statement: Statement) -> None:
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    write_statement_xlsx(first, statement)
    write_statement_xlsx(second, statement)
    assert first.read_bytes() == second.read_bytes()
    entries = [IndexEntry(statement, "statements/a.html", "statements/a.xlsx")]
    write_index_xlsx(first, entries, OCTOBER)
    write_index_xlsx(second, entries, OCTOBER)
    assert first.read_bytes() == second.read_bytes()


def test_index_rows(tmp_path: Path) -> None:
    owing = make_statement(extra_lines=3)
    postpay = dataclasses.replace(make_statement(), payer="acme", name="ACME Ltd",
                                  currency="JPY", digits=0, postpay=True, available=None,
                                  flags=("overdue", "to_block"), related=())
    empty = dataclasses.replace(make_statement(), payer="quiet", lines=(), related=())
    entries = [IndexEntry(owing, "statements/Orhid_magazine.html",
                          "statements/Orhid_magazine.xlsx"),
               IndexEntry(postpay, None, "statements/acme.xlsx"),
               IndexEntry(empty, "statements/quiet.html", None)]
    path = tmp_path / "index.xlsx"
    write_index_xlsx(path, entries, OCTOBER, "en")
    book = _open(path, data_only=False)
    sheet = book.active
    words = labels("en")
    assert sheet.title == words["index"]
    assert sheet.freeze_panes == "A3"
    assert sheet.auto_filter.ref == "A2:Q5"  # up to the PDF column, the payers' rows only
    assert sheet["C1"].value.date() == OCTOBER.start and sheet["D1"].value.date() == OCTOBER.end
    assert [c.value for c in sheet[2]] == [
        "Login", "Name", "Related accounts", "Currency", "Opening balance", "Payments",
        "Refunds", "Withdrawals", "Corrections", "Expenses", "Closing balance", "Available",
        "Flags", "Lines", "HTML", "Excel", "PDF"]
    first = [c.value for c in sheet[3]]
    assert first[:4] == ["Orhid_magazine", "ООО «Орхидея»",
                         "Orhid_magazine_DIR, Orhid_magazine_SPB", "RUB"]
    movements = ("opening", "payments", "refunds", "withdrawals", "corrections", "expenses")
    assert [D(repr(v)) for v in first[4:10]] == [getattr(owing, k) for k in movements]
    # the closing balance is the formula of the summary's, with its exact value
    assert first[10] == "=E3+F3-G3-H3+I3-J3"
    assert first[12:] == ["over limit", 9, "statements/Orhid_magazine.html",
                          "statements/Orhid_magazine.xlsx", None]
    assert sheet["E3"].number_format == "#,##0.00"
    second = [c.value for c in sheet[4]]
    assert second[11:] == ["unlimited", "overdue, to block", 6, None, "statements/acme.xlsx",
                           None]
    assert sheet["E4"].number_format == "#,##0"
    assert [c.value for c in sheet[5]][13:] == [0, "statements/quiet.html", None, None]
    assert all(c.data_type == "n" for c in sheet[3][4:10])
    values = _open(path, data_only=True).active
    assert D(repr(values["K3"].value)) == owing.closing
    assert D(repr(values["L3"].value)) == owing.available


def test_index_totals_per_currency(tmp_path: Path) -> None:
    """Under the payers and a blank row, one totals row per currency: SUMIF formulas over the
    payers of that currency, their values exact; amounts of different currencies never add."""
    rub = make_statement(extra_lines=3)
    also_rub = dataclasses.replace(make_statement(), payer="Orhid_two")
    jpy = dataclasses.replace(make_statement(), payer="acme", currency="JPY", digits=0,
                              opening=D("100"), payments=D("0"), refunds=D("0"),
                              withdrawals=D("0"), corrections=D("0"), expenses=D("0"),
                              closing=D("100"), available=D("100"))
    entries = [IndexEntry(s, None, None) for s in (rub, jpy, also_rub)]
    path = tmp_path / "index.xlsx"
    write_index_xlsx(path, entries, OCTOBER, "en")
    formulas = _open(path, data_only=False).active
    values = _open(path, data_only=True).active
    assert formulas.max_row == 8 and [c.value for c in formulas[6]] == [None] * 17
    rows = {formulas.cell(row, 4).value: row for row in (7, 8)}
    assert sorted(rows) == ["JPY", "RUB"]
    for currency, row in rows.items():
        assert formulas.cell(row, 1).value == "Totals" and formulas.cell(row, 1).font.b
        mine = [s for s in (rub, jpy, also_rub) if s.currency == currency]
        for key in ("opening", "payments", "refunds", "withdrawals", "corrections",
                    "expenses", "closing", "lines_count"):
            col = INDEX_COL[key]
            letter = xl_col_to_name(col - 1)
            assert formulas.cell(row, col).value == \
                f"=SUMIF($D$3:$D$5,$D{row},{letter}$3:{letter}$5)"
            assert D(repr(values.cell(row, col).value)) == sum(
                (D(getattr(s, key)) for s in mine), D(0)), (currency, key)
        assert formulas.cell(row, INDEX_COL["available"]).value is None
    assert formulas.cell(rows["JPY"], INDEX_COL["opening"]).number_format == "#,##0"
    assert formulas.cell(rows["RUB"], INDEX_COL["opening"]).number_format == "#,##0.00"


def test_index_links_to_the_statement_files(tmp_path: Path) -> None:
    """The login and each file of a statement link to the file, by a relative path (an
    external link, opened beside the index); their text stays text."""
    statement = make_statement()
    entries = [IndexEntry(statement, "statements/Orhid_magazine.html",
                          "statements/Orhid_magazine.xlsx", "statements/Orhid_magazine.pdf")]
    path = tmp_path / "index.xlsx"
    write_index_xlsx(path, entries, OCTOBER, "en")
    sheet = _open(path, data_only=False).active
    links = {cell.coordinate: (cell.value, cell.hyperlink.target) for cell in sheet[3]
             if cell.hyperlink is not None}
    html, xlsx, pdf = (xl_col_to_name(INDEX_COL[k] - 1) for k in ("html", "xlsx", "pdf"))
    assert links == {
        "A3": ("Orhid_magazine", "statements/Orhid_magazine.xlsx"),
        f"{html}3": ("statements/Orhid_magazine.html", "statements/Orhid_magazine.html"),
        f"{xlsx}3": ("statements/Orhid_magazine.xlsx", "statements/Orhid_magazine.xlsx"),
        f"{pdf}3": ("statements/Orhid_magazine.pdf", "statements/Orhid_magazine.pdf")}
    assert all(sheet[ref].data_type == "s" and sheet[ref].font.u == "single" for ref in links)
    files = _sheet_xml(path)
    rels = files["xl/worksheets/_rels/sheet1.xml.rels"].decode()
    assert rels.count('TargetMode="External"') == 4
    assert 'Target="statements/Orhid_magazine.pdf" TargetMode="External"' in rels
    assert "xl/worksheets/_rels/sheet1.xml.rels" in files


def test_empty_index(tmp_path: Path) -> None:
    path = tmp_path / "index.xlsx"
    write_index_xlsx(path, [], OCTOBER)
    sheet = _open(path, data_only=False).active
    assert sheet.max_row == 2 and sheet.freeze_panes == "A3"


def _sheet_xml(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {n: archive.read(n) for n in archive.namelist()}


def test_line_text_is_shown_as_stored_and_cut_to_excels_limit(tmp_path: Path) -> None:
    """Lines laid out in bulk: hostile text stays text, a control character is shown (never
    written raw, which would break the workbook), over-long text is cut to 32,767 UTF-16 units
    without half an emoji; the index's long file name too."""
    statement = make_statement(extra_lines=40, description=HOSTILE + " <&> \x07 \U0001F600")
    long_text = "😀" * 20_000  # 40 000 UTF-16 units: cut to 32 767, no half emoji
    lines = list(statement.lines)
    lines[1] = dataclasses.replace(lines[1], description=long_text, source_file="a\x1bb.csv")
    statement = dataclasses.replace(statement, lines=tuple(lines))
    path, index = tmp_path / "s.xlsx", tmp_path / "index.xlsx"
    write_statement_xlsx(path, statement)
    write_index_xlsx(index, [IndexEntry(statement, "a", long_text)], OCTOBER)
    sheet = _open(path, data_only=True)[labels("ru")["lines"]]
    assert sheet.cell(4, COL["description"]).value == "😀" * 16_383
    assert sheet.cell(4, COL["source"]).value == "a\u241bb.csv"
    assert sheet.cell(5, COL["description"]).value == HOSTILE + " <&> \u2407 \U0001F600"
    assert sheet.cell(5, COL["description"]).data_type == "s"
    assert _open(index, data_only=True).active.cell(3, INDEX_COL["xlsx"]).value == \
        "😀" * 16_383


# --- drafts: inputs of the run were refused ----------------------------------------------------

REFUSED = (Refusal(HOSTILE + ".csv", "refused", 1), Refusal("links.xlsx", "partial", 3))


def test_a_draft_statement_has_the_banner_at_the_top_of_the_summary(
        tmp_path: Path, statement: Statement) -> None:
    path = tmp_path / "draft.xlsx"
    write_statement_xlsx(path, dataclasses.replace(statement, draft=REFUSED), "ru")
    words = labels("ru")
    formulas = _open(path, data_only=False)[words["summary"]]
    values = _open(path, data_only=True)[words["summary"]]
    top = [formulas.cell(row, 1) for row in range(1, 6)]
    assert [c.value for c in top] == [
        "Черновик — часть входных данных отклонена",
        "Выписка может быть неполной: в ней нет данных, отклонённых из этих файлов:",
        f"{HOSTILE}.csv: не загружен — файл отклонён целиком (строк с ошибками: 1)",
        "links.xlsx: отклонено строк: 3, остальные загружены",
        "Отклонённые строки с их ошибками — в файле rejects.xlsx в папке периода. Исправьте их "
        "и запустите обработку снова: выписки будут пересобраны без этой отметки."]
    assert all(c.data_type == "s" for c in top)  # inert text, a file name too
    assert top[0].font.b and formulas.cell(7, 1).value == words["statement"]
    # everything below moved down, the formulas with it
    closing = _find(formulas, words["closing"])
    opening_row = _find(formulas, words["opening"]).row
    assert closing.value == "=B{}+B{}-B{}-B{}+B{}-B{}".format(*range(opening_row,
                                                                      opening_row + 6))
    assert D(repr(_find(values, words["closing"]).value)) == statement.closing
    debt = _find(formulas, words["debt"])
    assert debt.value == f"=SUM(B{debt.row - 4}:B{debt.row - 1})"
    # the lines sheet is the complete statement's
    complete = tmp_path / "complete.xlsx"
    write_statement_xlsx(complete, statement, "ru")
    lines = words["lines"]
    assert [[c.value for c in row] for row in _open(path, True)[lines].iter_rows()] == \
        [[c.value for c in row] for row in _open(complete, True)[lines].iter_rows()]
    assert "Черновик" not in str([c.value for row in _open(complete, True)[words["summary"]]
                                  .iter_rows() for c in row])


def test_a_draft_index_has_the_banner_and_marks_draft_statements(tmp_path: Path) -> None:
    touching = tuple(dataclasses.replace(r, touches=True) for r in REFUSED)
    drafted = dataclasses.replace(make_statement(), draft=touching[:1])
    quiet = dataclasses.replace(make_statement(), payer="quiet", flags=(), draft=touching[1:])
    complete = dataclasses.replace(make_statement(), payer="acme")
    entries = [IndexEntry(drafted, "statements/Orhid_magazine.html", None),
               IndexEntry(quiet, "statements/quiet.html", None),
               IndexEntry(complete, "statements/acme.html", None)]
    path = tmp_path / "index.xlsx"
    write_index_xlsx(path, entries, OCTOBER, "en", REFUSED)
    sheet = _open(path, data_only=False).active
    assert sheet["A1"].value == "Statements" and sheet["C1"].value.date() == OCTOBER.start
    assert [sheet.cell(row, 1).value for row in range(2, 7)] == [
        "Draft — some inputs were refused",
        "Statements marked “draft” may be incomplete: they lack what was refused from these "
        "files:",
        f"{HOSTILE}.csv: not loaded — the whole file was refused (rows with errors: 1)",
        "links.xlsx: rows refused: 3, the others loaded",
        "The refused rows, each with its errors, are in rejects.xlsx in the period folder. Fix "
        "them and run again: the statements are rebuilt without this mark."]
    assert sheet.cell(4, 1).data_type == "s"
    assert sheet["A8"].value == "Login"  # the header, under the banner and a blank row
    assert sheet.freeze_panes == "A9" and sheet.auto_filter.ref == "A8:Q11"
    assert [sheet.cell(row, INDEX_COL["flags"]).value for row in (9, 10, 11)] == [
        "over limit, draft", "draft", "over limit"]
