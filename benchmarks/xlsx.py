"""Benchmark: one typical statement workbook, written with ledgerflow's XLSX writer and with
xlsxwriter's public API.

    .venv/bin/python benchmarks/xlsx.py [--lines 200] [--batch 20] [--repeat 7]

The statement: a summary sheet of about 40 rows (card, balances with a formula, subtotals,
ageing) and a lines sheet of `--lines` rows of 18 columns, a totals formula, a frozen header, a
filter and column widths. Both writers get the same cells (xlsxwriter: write_string /
write_number / write_formula, in memory, constant_memory off, string conversions off) and
produce the file in memory. The script prints milliseconds per workbook, the median of
`--repeat` runs of `--batch` workbooks each; "bulk rows" gives the lines sheet as finished
`<row>` XML (as DuckDB lays it out), so it times packaging alone for those rows.
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import xlsxwriter

from ledgerflow.render.escape import xml_text
from ledgerflow.render.xlsx import (
    Formula,
    Style,
    Workbook,
    cell_ref,
    number_cell_xml,
    number_text,
    string_cell_xml,
)

WIDTHS = (11, 13, 16, 22, 40, 9, 14, 14, 12, 12, 10, 7, 10, 16, 16, 28, 14, 8)
HEADER = ("Date", "Kind", "Line", "Account", "Description", "Currency", "Amount", "Net",
          "Discount", "Tax", "Rate", "Units", "Inverse rate", "Amount (payer)", "Balance",
          "Source", "Sheet", "Row")
SPECS: dict[str, dict[str, Any]] = {
    "title": {"bold": True, "font_size": 14},
    "bold": {"bold": True},
    "header": {"bold": True, "bg_color": "#DDDDDD", "border": True, "text_wrap": True,
               "valign": "top"},
    "date": {"num_format": "dd.mm.yyyy"},
    "integer": {"num_format": "0"},
    "money": {"num_format": "#,##0.00"},
    "bold_money": {"num_format": "#,##0.00", "bold": True},
    "rate": {"num_format": "0.000000"},
}

# A row: (column, value, style name or "") with Decimal money; formulas as Formula.
Row = list[tuple[int, Any, str]]


def statement(lines: int, seed: int = 1) -> tuple[dict[int, Row], dict[int, Row]]:
    """The summary's and the lines' rows of one statement."""
    rng = random.Random(seed)
    summary: dict[int, Row] = {0: [(0, "Statement", "title"), (1, "C00042", "title")]}
    card = [("Payer", "C00042"), ("Name", "ООО «Клиент 42»"), ("Tax ID", "7707083893"),
            ("Currency", "RUB"), ("Credit limit", Decimal("10000.00")), ("Postpay", "no"),
            ("Manager", "Иванова Е. П."), ("Deferral days", 30), ("Block after days", 90)]
    for row, (label, value) in enumerate(card, start=2):
        style = "money" if isinstance(value, Decimal) else "integer" if isinstance(
            value, int) else ""
        summary[row] = [(0, label, ""), (1, value, style)]
    summary[11] = [(0, "Period", ""), (1, 46296, "date"), (2, 46326, "date")]
    balances = [Decimal("1250.00"), Decimal("50000.00"), Decimal(0), Decimal(0), Decimal(0),
                Decimal("48211.37")]
    names = ("Opening", "Payments", "Refunds", "Withdrawals", "Corrections", "Expenses")
    for i, (name, amount) in enumerate(zip(names, balances, strict=True)):
        summary[13 + i] = [(0, name, ""), (1, amount, "money")]
    closing = balances[0] + balances[1] - balances[2] - balances[3] + balances[4] - balances[5]
    summary[19] = [(0, "Closing", "bold"),
                   (1, Formula("B14+B15-B16-B17+B18-B19", closing), "bold_money")]
    summary[20] = [(0, "Available", ""), (1, Decimal("11038.63"), "money")]
    summary[21] = [(0, "Flags", ""), (1, "none", "")]
    summary[23] = [(0, "Subtotals", "bold")]
    summary[24] = [(c, t, "header") for c, t in enumerate(
        ("Account", "Currency", "Spent", "Spent (payer)"))]
    for i in range(6):
        summary[25 + i] = [(0, f"acct_{i}", ""), (1, "RUB", ""),
                           (2, Decimal(rng.randint(1, 10**7)) / 100, "money"),
                           (3, Decimal(rng.randint(1, 10**7)) / 100, "money")]
    summary[32] = [(0, "Ageing", "bold")]
    for i, bucket in enumerate(("0-30", "31-60", "61-90", "90+")):
        summary[33 + i] = [(0, f"{bucket} days", ""), (1, Decimal(i * 125) / 4, "money")]
    summary[37] = [(0, "Debt", "bold"), (1, Formula("SUM(B34:B37)", Decimal("187.5")),
                                         "bold_money")]
    summary[39] = [(0, "Run", ""), (1, "run-2026-10-31-0001", "")]
    summary[40] = [(0, "Inputs SHA-256", ""), (1, "ab" * 32, "")]

    rows: dict[int, Row] = {0: [(c, t, "header") for c, t in enumerate(HEADER)]}
    balance = Decimal("1250.00")
    total = Decimal(0)
    for n in range(1, lines + 1):
        amount = Decimal(rng.randint(-500_000, 100_000)) / 100
        balance += amount
        total += amount
        row: Row = [(0, 46296 + n % 31, "date"), (1, rng.choice(("expense", "payment")), ""),
                    (2, f"E{n:07d}", ""), (3, f"acct_{n % 6}", "")]
        if n % 5:
            row.append((4, f"Order {n}: goods & services <{rng.randint(1, 999)}>", ""))
        row += [(5, "RUB", ""), (6, -amount, "money")]
        if n % 3 == 0:
            row += [(7, -amount * Decimal("0.8"), "money"), (8, Decimal("0.00"), "money"),
                    (9, -amount * Decimal("0.2"), "money")]
        if n % 7 == 0:
            row += [(10, Decimal("91.123456"), "rate"), (11, n % 9 + 1, "integer"),
                    (12, "inverse", "")]
        row += [(13, amount, "money"), (14, balance, "money"),
                (15, "expenses_2026-10.xlsx", ""), (16, "October", ""), (17, n + 1, "")]
        rows[n] = row
    rows[lines + 1] = [(0, "Totals", "bold"),
                       (13, Formula(f"SUM(N2:N{lines + 1})", total), "bold_money")]
    return summary, rows


def ours(summary: dict[int, Row], lines: dict[int, Row], bulk: bytes | None = None) -> bytes:
    wb = Workbook("Statement C00042")
    styles = {"": 0} | {name: wb.style(Style(**spec)) for name, spec in SPECS.items()}
    sheet = wb.sheet("Summary")
    for row, cells in summary.items():
        sheet.row(row, [(c, v, styles[s]) for c, v, s in cells])
    sheet.widths((30, 22, 16, 16, 16))
    sheet = wb.sheet("Lines")
    count = len(lines) - 2
    for row, cells in lines.items():
        if bulk is not None and 1 <= row <= count:
            continue
        sheet.row(row, [(c, v, styles[s]) for c, v, s in cells])
    if bulk is not None:
        sheet.rows_xml(1, count, bulk, cols=(0, 17))
    sheet.freeze(1)
    sheet.autofilter(0, 0, count, 17)
    sheet.widths(WIDTHS)
    return wb.to_bytes()


def bulk_xml(lines: dict[int, Row]) -> bytes:
    """The lines' rows as finished XML, as a bulk layout gives them (made once, not timed)."""
    wb = Workbook()
    styles = {"": 0} | {name: wb.style(Style(**spec)) for name, spec in SPECS.items()}
    parts = []
    for row in range(1, len(lines) - 1):
        cells = []
        for col, value, style in lines[row]:
            ref = cell_ref(col, row)
            if isinstance(value, str):
                cells.append(string_cell_xml(ref, xml_text(value), styles[style]))
            else:
                cells.append(number_cell_xml(ref, number_text(value), styles[style]))
        parts.append(f'<row r="{row + 1}">{"".join(cells)}</row>')
    return "".join(parts).encode()


def theirs(summary: dict[int, Row], lines: dict[int, Row]) -> bytes:
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {
        "in_memory": True, "constant_memory": False, "strings_to_numbers": False,
        "strings_to_formulas": False, "strings_to_urls": False})
    wb.set_properties({"title": "Statement C00042"})
    formats = {"": None} | {name: wb.add_format({**spec, "border": int(spec.get("border", 0))})
                            for name, spec in SPECS.items()}
    for name, rows, widths in (("Summary", summary, (30, 22, 16, 16, 16)),
                               ("Lines", lines, WIDTHS)):
        sheet = wb.add_worksheet(name)
        for row, cells in rows.items():
            for col, value, style in cells:
                if isinstance(value, str):
                    sheet.write_string(row, col, value, formats[style])
                elif isinstance(value, Formula):
                    sheet.write_formula(row, col, "=" + value.text, formats[style],
                                        float(value.value))
                else:
                    sheet.write_number(row, col, value, formats[style])
        for col, width in enumerate(widths):
            sheet.set_column(col, col, width)
        if name == "Lines":
            sheet.freeze_panes(1, 0)
            sheet.autofilter(0, 0, len(rows) - 2, 17)
    wb.close()
    return buffer.getvalue()


def as_floats(rows: dict[int, Row]) -> dict[int, Row]:
    return {r: [(c, float(v) if isinstance(v, Decimal) else v, s) for c, v, s in cells]
            for r, cells in rows.items()}


def measure(cases: list[tuple[str, Callable[[], bytes]]], batch: int,
            repeat: int) -> dict[str, list[float]]:
    """Each case's ms per workbook in each of `repeat` runs of `batch` workbooks. The cases
    take turns within every run, so a busy moment of the (shared) machine slows them all."""
    for _, make in cases:
        make()  # warm up
    runs: dict[str, list[float]] = {name: [] for name, _ in cases}
    for _ in range(repeat):
        for name, make in cases:
            start = time.perf_counter()
            for _ in range(batch):
                make()
            runs[name].append((time.perf_counter() - start) * 1000 / batch)
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=200)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    summary, lines = statement(args.lines)
    summary_f, lines_f = as_floats(summary), as_floats(lines)
    bulk = bulk_xml(lines)
    reference = "xlsxwriter public API, float money"
    cases: list[tuple[str, Callable[[], bytes]]] = [
        ("ledgerflow Workbook, Decimal money", lambda: ours(summary, lines)),
        ("ledgerflow Workbook, float money", lambda: ours(summary_f, lines_f)),
        ("ledgerflow Workbook, lines as bulk rows", lambda: ours(summary, lines, bulk)),
        (reference, lambda: theirs(summary_f, lines_f)),
    ]
    print(f"one statement: summary {len(summary)} rows, lines {args.lines} rows x 18 columns; "
          f"{args.repeat} runs of {args.batch} workbooks, the cases taking turns")
    runs = measure(cases, args.batch, args.repeat)
    print(f"  {'':<42} {'median':>8} {'fastest':>8}   size   speed-up (median of runs)")
    for name, make in cases:
        times = runs[name]
        ratio = statistics.median(
            theirs_ms / ms for theirs_ms, ms in zip(runs[reference], times, strict=True))
        print(f"  {name:<42} {statistics.median(times):5.2f} ms {min(times):5.2f} ms "
              f"{len(make()) / 1024:5.1f} KiB  {ratio:5.1f}x")


if __name__ == "__main__":
    main()
