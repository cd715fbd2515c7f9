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


def test_the_edge_rows_label_spans_up_to_the_amount_which_is_the_last_cell() -> None:
    from ledgerflow.render.layout import LINES

    date, label, span = LINES.edge_cells()
    keys = [c.key for c in LINES.cells]
    place = {f.key: keys.index(f.cell) for f in LINES.fields if f.cell is not None}
    assert (date, label) == (place[LINES.edge.date], place[LINES.edge.label])
    assert 0 <= date < label
    assert label + span == place[LINES.edge.amount] == len(keys) - 1


@pytest.mark.parametrize("edge", [
    {"date": "kind", "label": "date"},         # the label left of the date
    {"label": "date"},                          # the date and the label in one cell
    {"label": "balance"},                       # the label and the amount in one cell
    {"amount": "kind", "label": "date"},        # the amount not in the last cell
], ids=["label-first", "date-is-label", "label-is-amount", "amount-not-last"])
def test_a_lines_layout_whose_edge_cells_are_out_of_order_is_refused(
        edge: dict[str, str]) -> None:
    from ledgerflow.render.layout import LINES

    broken = dataclasses.replace(LINES, edge=dataclasses.replace(LINES.edge, **edge))
    with pytest.raises(ValueError) as refused:
        broken.edge_cells()
    assert str(refused.value) == ("the edge rows' date, label and amount are in cells left to "
                                  "right, the amount's last")


def test_a_money_cell_of_a_row_without_a_statement_has_its_currency_s_digits() -> None:
    """A totals row of the index has a currency and no statement: JPY has no minor units,
    KWD three."""
    from ledgerflow.render.layout import money_place

    column = next(c for c in INDEX.columns if c.format == "money")
    assert money_place(column, {"currency": "JPY"}, None) == ("JPY", 0)
    assert money_place(column, {"currency": "KWD"}, None) == ("KWD", 3)
    assert money_place(column, {"currency": "RUB"}, None) == ("RUB", 2)
