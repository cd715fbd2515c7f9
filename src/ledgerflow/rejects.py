"""The rejects workbook: refused rows as they were typed, with their errors, ready to fix and drop.

One sheet per refused source table, named by its kind so the fixed workbook is read back as that
kind; the original columns first, then ledgerflow's columns (source and errors), which the reader
ignores when the workbook comes back. A last sheet lists every problem, file-level ones included.
Every cell from an input is written as a value, never as a formula.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

from ledgerflow.errors import Problem
from ledgerflow.read.inbox import LEDGERFLOW_COLUMN_PREFIX
from ledgerflow.render.writer import write_file
from ledgerflow.validate.table import TableResult

SOURCE_HEADER = f"{LEDGERFLOW_COLUMN_PREFIX} source"
ERRORS_HEADER = f"{LEDGERFLOW_COLUMN_PREFIX} errors"
PROBLEM_COLUMNS = ("severity", "file", "sheet", "row", "column", "value", "rule", "message")
FIXED_TIME = datetime(2000, 1, 1)


def write_rejects(path: Path, tables: list[TableResult], problems: list[Problem]) -> Path:
    """Write the workbook atomically (temp file, then rename; the mode the umask gives, a clear
    message when it cannot be written: see `write_file`) and return its path."""
    write_file(path, lambda temp: _write(temp, tables, problems))
    return path


def _write(path: Path, tables: list[TableResult], problems: list[Problem]) -> None:
    workbook = xlsxwriter.Workbook(str(path), {
        "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
    })
    workbook.set_properties({"created": FIXED_TIME})
    styles = _Styles(workbook)
    used: set[str] = set()
    for table in tables:
        if len(table.error_rows):
            _write_table(workbook, styles, _sheet_name(table.kind.name, used), table)
    _write_problems(workbook, styles, problems)
    workbook.close()


class _Styles:
    def __init__(self, workbook: xlsxwriter.Workbook) -> None:
        self.header = workbook.add_format({"bold": True, "bg_color": "#DDDDDD", "border": 1})
        self.error = workbook.add_format({"font_color": "#9C0006", "bg_color": "#FFC7CE",
                                          "text_wrap": True})
        self.date = workbook.add_format({"num_format": "dd.mm.yyyy"})


def _sheet_name(kind: str, used: set[str]) -> str:
    name, n = kind, 1
    while name in used:
        n += 1
        name = f"{kind} {n}"
    used.add(name)
    return name


def _write_table(workbook: xlsxwriter.Workbook, styles: _Styles, name: str,
                 table: TableResult) -> None:
    sheet = workbook.add_worksheet(name)
    headers = [*table.raw.headers, SOURCE_HEADER, ERRORS_HEADER]
    for col, header in enumerate(headers):
        sheet.write_string(0, col, header, styles.header)
    errors = table.errors[table.errors["row"].isin(table.error_rows)]
    errors = errors.sort_values(["row", "column"], kind="stable")
    by_row = errors.groupby("row", sort=True)["message"].agg(list)
    columns = errors.groupby("row", sort=True)["column"].agg(list)
    frame = table.raw.frame
    for out_row, (row, messages) in enumerate(by_row.items(), start=1):
        for col, header in enumerate(table.raw.headers):
            write_cell(sheet, out_row, col, frame.at[row, header], styles)
        sheet.write_string(out_row, len(table.raw.headers),
                           f"{table.raw.file} / {table.raw.sheet} / row {row}")
        text = "\n".join(f"{c}: {m}" for c, m in zip(columns[row], messages, strict=True))
        sheet.write_string(out_row, len(table.raw.headers) + 1, text, styles.error)
    sheet.freeze_panes(1, 0)
    sheet.set_column(0, len(headers) - 1, 16)
    sheet.set_column(len(headers) - 1, len(headers) - 1, 70)


def write_cell(sheet: xlsxwriter.worksheet.Worksheet, row: int, col: int, value: object,
               styles: _Styles) -> None:
    """A cell as it was: numbers as numbers, dates as dates, anything else as inert text."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        sheet.write_boolean(row, col, value)
    elif isinstance(value, (int, float)):
        sheet.write_number(row, col, value)
    elif isinstance(value, (datetime, date)):
        sheet.write_datetime(row, col, value, styles.date)
    else:
        sheet.write_string(row, col, str(value))


def _write_problems(workbook: xlsxwriter.Workbook, styles: _Styles,
                    problems: list[Problem]) -> None:
    sheet = workbook.add_worksheet("problems")
    for col, header in enumerate(PROBLEM_COLUMNS):
        sheet.write_string(0, col, header, styles.header)
    for row, problem in enumerate(problems, start=1):
        record = problem.as_dict()
        for col, key in enumerate(PROBLEM_COLUMNS):
            value = record[key]
            if isinstance(value, int):
                sheet.write_number(row, col, value)
            elif value is not None:
                sheet.write_string(row, col, str(value))
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(problems), 1), len(PROBLEM_COLUMNS) - 1)
    sheet.set_column(0, 6, 16)
    sheet.set_column(7, 7, 90)
