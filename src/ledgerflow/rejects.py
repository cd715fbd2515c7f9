"""The rejects workbook: the refused rows as they were typed, each bad cell marked, ready to fix
and drop back into the inbox as it is.

- One sheet per input table with refused rows, named as the input's sheet (a CSV file by its
  name without `.csv`), so the workbook read back holds the same kinds of table. A name already
  taken (two files with a `payments` sheet) gets " (2)", and every name is cut to Excel's 31
  characters; the kind is told from the first word, which stays.
- Its header as typed, then each refused row as typed: date cells as dates, numbers as
  numbers, text as text, never a formula. Then ledgerflow's own columns, source and errors,
  which the reader ignores when the workbook comes back (`LEDGERFLOW_COLUMN_PREFIX`).
- Each bad cell is filled (red for an error, yellow for a warning) and carries a comment with
  its messages; a problem of the row as a whole marks the row's errors column instead.
- The last sheet lists every problem, file-level ones too, each linked to its cell when its row
  is in the workbook, under a few lines saying what the workbook is: the inbox, how many rows,
  the inputs' SHA-256, the version. No clock time: the same inputs give the same bytes, as
  every report does, and it is the inputs, not the hour, that tell one run's rejects from
  another's (the run's time is in its manifest).

Every word is in the run's locale (`_`); the `ledgerflow:` prefix of our columns is not
translated, being how the reader knows them.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

from ledgerflow import __version__
from ledgerflow.contract import kind_of
from ledgerflow.errors import SEVERITY_WORDS, Problem
from ledgerflow.i18n import N_, _, ngettext
from ledgerflow.read.inbox import LEDGERFLOW_COLUMN_PREFIX, RawTable
from ledgerflow.render.escape import visible
from ledgerflow.render.writer import write_file
from ledgerflow.validate.table import TableResult
from ledgerflow.values.cells import cell_text

if TYPE_CHECKING:
    from ledgerflow.outcomes import IngestReport

PROBLEM_HEADERS = (N_("cell"), N_("severity"), N_("file"), N_("sheet"), N_("row"),
                   N_("column"), N_("value"), N_("rule"), N_("message"))
# ledgerflow's own columns after a table's: marked here, as Babel does not look inside f-strings
OUR_COLUMNS = (N_("source"), N_("errors"))
PROBLEM_WIDTHS = (16, 14, 24, 16, 6, 16, 16, 16, 90)
FIXED_TIME = datetime(2000, 1, 1)  # the document's "created": no clock time, same bytes
SHEET_NAME_LIMIT = 31  # Excel's
LINK_LIMIT = 65_530  # hyperlinks on one sheet (Excel's limit; xlsxwriter drops the rest)
ROW_LIMIT = 1_048_576  # rows on one sheet
MARKS = {"error": {"bg_color": "#FFC7CE", "font_color": "#9C0006"},
         "warning": {"bg_color": "#FFEB9C", "font_color": "#9C5700"}}
DATE, DATE_TIME, WHOLE = "dd.mm.yyyy", "dd.mm.yyyy hh:mm:ss", "0"
_NOT_IN_SHEET_NAMES = re.compile(r"[\[\]:*?/\\]")


def write_rejects(path: Path, tables: Sequence[TableResult], problems: Sequence[Problem],
                  report: IngestReport | None = None) -> Path:
    """Write the workbook of `tables`' refused rows and of every problem, atomically (temp
    file, then rename; the mode the umask gives, a clear message when it cannot be written: see
    `write_file`), and return its path. `report`, the run's, names the inbox and its inputs."""
    write_file(path, lambda temp: _write(temp, tables, problems, report))
    return path


def _write(path: Path, tables: Sequence[TableResult], problems: Sequence[Problem],
           report: IngestReport | None) -> None:
    workbook = xlsxwriter.Workbook(str(path), {
        "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
        "remove_timezone": True,
    })
    formats = _Formats(workbook)
    problems_sheet = _("problems")
    taken = {problems_sheet.casefold()}
    placed: dict[tuple[str, str], _Placed] = {}
    refused = [t for t in tables if len(t.error_rows)]
    for table in refused:
        name = _unique(_sheet_name(table.raw), taken)
        placed[(table.raw.file, table.raw.sheet)] = _write_table(workbook, formats, name, table)
    stamp = _stamp(refused, problems, report)
    workbook.set_properties({
        "title": _("Refused rows and problems"), "author": "ledgerflow",
        "subject": visible(str(report.inbox.absolute())) if report and report.inbox else "",
        "comments": "\n".join(stamp), "created": FIXED_TIME,
    })
    _write_problems(workbook, formats, problems_sheet, problems, placed, stamp)
    workbook.close()


# --- formats ------------------------------------------------------------------------------------


class _Formats:
    """The workbook's cell formats, each made once: a number format and a mark combined, at
    the top of a row made taller by its errors."""

    def __init__(self, workbook: xlsxwriter.Workbook) -> None:
        self.workbook = workbook
        self.header = workbook.add_format({"bold": True, "bg_color": "#DDDDDD", "border": 1})
        self.title = workbook.add_format({"bold": True})
        self.link = workbook.add_format({"font_color": "#0563C1", "underline": 1})
        self.made: dict[tuple[str | None, str | None, bool], object] = {}

    def cell(self, num_format: str | None = None, mark: str | None = None,
             wrap: bool = False) -> object:
        key = (num_format, mark, wrap)
        if key not in self.made:
            options: dict[str, object] = {"valign": "top", **MARKS.get(mark or "", {})}
            if num_format:
                options["num_format"] = num_format
            if wrap:
                options["text_wrap"] = True
            self.made[key] = self.workbook.add_format(options)
        return self.made[key]


# --- sheet names --------------------------------------------------------------------------------


def _sheet_name(raw: RawTable) -> str:
    """The input's sheet name, as Excel allows it; a CSV file's name without `.csv`."""
    name = raw.sheet
    if raw.file.lower().endswith(".csv") and name.lower().endswith(".csv"):
        name = name[:-4]
    name = _NOT_IN_SHEET_NAMES.sub("_", visible(name)).strip("'")
    return name if name and kind_of(name) == raw.kind.name else raw.kind.name


def _unique(name: str, taken: set[str]) -> str:
    """`name`, cut to 31 characters, or `name (2)`, `name (3)` … when taken (Excel compares
    sheet names without case)."""
    candidate, n = name[:SHEET_NAME_LIMIT].rstrip("'"), 1
    while candidate.casefold() in taken:
        n += 1
        suffix = f" ({n})"
        candidate = name[:SHEET_NAME_LIMIT - len(suffix)].rstrip("'") + suffix
    taken.add(candidate.casefold())
    return candidate


# --- a table's refused rows ---------------------------------------------------------------------


@dataclass
class _Placed:
    """Where a table's refused rows went: for the problems sheet's links."""

    sheet: str
    rows: dict[int, int] = field(default_factory=dict)  # input row -> workbook row (0-based)
    columns: dict[str, int] = field(default_factory=dict)  # header as typed -> column
    errors_column: int = 0

    def cell(self, problem: Problem) -> str | None:
        """The problem's cell (`D7`), or None when its row is not here."""
        row = self.rows.get(problem.row) if problem.row is not None else None
        if row is None:
            return None
        return xl_rowcol_to_cell(row, self.columns.get(problem.column or "",
                                                        self.errors_column))


def _write_table(workbook: xlsxwriter.Workbook, formats: _Formats, name: str,
                 table: TableResult) -> _Placed:
    sheet = workbook.add_worksheet(name)
    raw = table.raw
    # a rejects workbook dropped back brings our columns: fresh ones replace them
    headers = [h for h in raw.headers if not h.startswith(LEDGERFLOW_COLUMN_PREFIX)]
    placed = _Placed(name, columns={h: i for i, h in enumerate(headers)},
                     errors_column=len(headers) + 1)
    ours = [f"{LEDGERFLOW_COLUMN_PREFIX} {_(word)}" for word in OUR_COLUMNS]
    for col, header in enumerate([*headers, *ours]):
        sheet.write_string(0, col, header, formats.header)
    notes = _notes(table, placed.columns)
    rows = sorted(table.error_rows)[:ROW_LIMIT - 1]
    for out_row, row in enumerate(rows, start=1):
        placed.rows[row] = out_row
        cells = notes.get(row, {})
        for col, header in enumerate(headers):
            note = cells.get(col)
            write_cell(sheet, out_row, col, raw.frame.at[row, header], formats,
                       note.mark if note else None)
            if note:
                _comment(sheet, out_row, col, note.lines)
        sheet.write_string(out_row, len(headers), _("{file} / {sheet} / row {row}").format(
            file=visible(raw.file), sheet=visible(raw.sheet), row=row), formats.cell())
        whole_row = cells.get(placed.errors_column)
        summary = [line for _col, note in sorted(cells.items()) for line in note.summary]
        sheet.write_string(out_row, placed.errors_column, "\n".join(summary),
                           formats.cell(None, whole_row.mark if whole_row else None, wrap=True))
        lines = sum(1 + len(line) // 70 for line in summary)  # wrapped in a column 70 wide
        if lines > 1:
            sheet.set_row(out_row, 15 * lines)
        if whole_row:
            _comment(sheet, out_row, placed.errors_column, whole_row.lines)
    sheet.freeze_panes(1, 0)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)  # printed (or rendered) a page wide
    sheet.set_column(0, len(headers), 16)
    sheet.set_column(placed.errors_column, placed.errors_column, 70)
    return placed


@dataclass
class _Note:
    """What is wrong with one cell (or, in the errors column, with the row as a whole)."""

    mark: str = "warning"
    lines: list[str] = field(default_factory=list)  # the comment
    summary: list[str] = field(default_factory=list)  # in the errors column: header: message


def _notes(table: TableResult, columns: dict[str, int]) -> dict[int, dict[int, _Note]]:
    """Input row -> column -> its note, for the refused rows' errors and warnings; a problem
    whose column is not one of the sheet's goes to the errors column."""
    errors = table.errors[table.errors["row"].isin(table.error_rows)]
    errors = errors.sort_values(["row", "column"], kind="stable")
    errors_column = len(columns) + 1
    notes: dict[int, dict[int, _Note]] = {}
    for row, column, message, severity in errors[
            ["row", "column", "message", "severity"]].itertuples(index=False):
        header = table.raw.columns.get(column)
        col = columns.get(header, errors_column) if header else errors_column
        note = notes.setdefault(int(row), {}).setdefault(col, _Note())
        if severity == "error":
            note.mark = "error"
        text = message if severity == "error" else \
            f"{_(SEVERITY_WORDS.get(severity, severity))}: {message}"
        note.lines.append(text)
        note.summary.append(text if col == errors_column else f"{header}: {text}")
    return notes


def _comment(sheet: Worksheet, row: int, col: int, lines: list[str]) -> None:
    text = visible("\n".join(lines))
    height = sum(1 + len(line) // 50 for line in lines)
    sheet.write_comment(row, col, text, {"author": "ledgerflow", "x_scale": 2.5,
                                         "y_scale": max(1.0, height / 4)})


def write_cell(sheet: Worksheet, row: int, col: int, value: object, formats: _Formats,
               mark: str | None = None) -> None:
    """A cell as it was typed: numbers as numbers, dates as dates, anything else as inert text
    (a text that looks like a formula stays text); `mark` fills it."""
    if isinstance(value, np.datetime64):  # a datetime (None for NaT), or beyond 9999 its text
        item = value.astype("datetime64[us]").item()
        value = item if item is None or isinstance(item, datetime) else cell_text(value)
    elif isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NA or value is pd.NaT or (
            isinstance(value, float) and math.isnan(value)):
        if mark:
            sheet.write_blank(row, col, None, formats.cell(None, mark))
    elif isinstance(value, bool):
        sheet.write_boolean(row, col, value, formats.cell(None, mark))
    elif isinstance(value, int | float | Decimal) and math.isfinite(value):
        whole = WHOLE if float(value).is_integer() else None
        sheet.write_number(row, col, float(value), formats.cell(whole, mark))
    elif isinstance(value, datetime) and 1900 <= value.year <= 9999:
        timed = value.time() != time()
        sheet.write_datetime(row, col, value, formats.cell(DATE_TIME if timed else DATE, mark))
    elif isinstance(value, date) and not isinstance(value, datetime) and value.year >= 1900:
        sheet.write_datetime(row, col, value, formats.cell(DATE, mark))
    else:
        text = value if isinstance(value, str) else cell_text(value)
        sheet.write_string(row, col, text, formats.cell(None, mark))


# --- the problems sheet -------------------------------------------------------------------------


def _stamp(refused: list[TableResult], problems: Sequence[Problem],
           report: IngestReport | None) -> list[str]:
    """What the workbook is, in a few lines: on the problems sheet and in its properties."""
    inbox = report.inbox if report else None
    lines = [_("Refused rows and problems of the inbox {inbox}").format(
        inbox=visible(str(inbox.absolute()))) if inbox else _("Refused rows and problems")]
    rows = sum(len(t.error_rows) for t in refused)
    files = len({t.raw.file for t in refused})
    errors = sum(p.severity == "error" for p in problems)
    lines.append(" ".join((
        ngettext("{n} row refused", "{n} rows refused", rows).format(n=rows),
        ngettext("in {n} file;", "in {n} files;", files).format(n=files),
        ngettext("{n} error", "{n} errors", errors).format(n=errors),
        ngettext("among {n} problem.", "among {n} problems.", len(problems)).format(
            n=len(problems)))))
    if report is not None:
        inputs = sorted((o.file.name, o.file.sha256) for o in report.outcomes)
        digest = hashlib.sha256("".join(f"{sha}  {name}\n" for name, sha in inputs)
                                .encode("utf-8", "surrogateescape")).hexdigest()
        lines.append(ngettext(
            "Made by ledgerflow {version} from {n} input file, SHA-256 {digest}.",
            "Made by ledgerflow {version} from {n} input files, SHA-256 of them all {digest}.",
            len(inputs)).format(version=__version__, n=len(inputs), digest=digest))
    cut = sum(max(0, len(t.error_rows) - (ROW_LIMIT - 1)) for t in refused)
    if cut:
        lines.append(ngettext(
            "{n} refused row is not here: a sheet holds 1,048,575 rows; fix it in its file.",
            "{n} refused rows are not here: a sheet holds 1,048,575 rows; fix them in their "
            "files.", cut).format(n=cut))
    # Files refused whole with rows that had no error: those rows are not here, so this
    # workbook fixed and dropped would load the bad rows and never them.
    held_back = sorted(o.file.name for o in report.outcomes if o.status == "refused"
                       and any(len(t.to_load) for t in o.tables)) if report else []
    if held_back:
        lines.append(ngettext(
            "{files} was refused whole, its rows without errors too, which are not here: fix "
            "the marked cells in the file itself (each has a comment here saying what is wrong) "
            "and drop the file again, not this workbook.",
            "{files} were refused whole, their rows without errors too, which are not here: "
            "fix the marked cells in the files themselves (each has a comment here saying what "
            "is wrong) and drop the files again, not this workbook.",
            len(held_back)).format(files=", ".join(visible(name) for name in held_back)))
    elif refused:
        lines.append(_("Fix the marked cells on the other sheets (each has a comment saying what "
                       "is wrong) and drop this workbook into the inbox as it is: this sheet "
                       "and the ledgerflow columns are ignored."))
    return lines


def _write_problems(workbook: xlsxwriter.Workbook, formats: _Formats, name: str,
                    problems: Sequence[Problem], placed: dict[tuple[str, str], _Placed],
                    stamp: list[str]) -> None:
    sheet = workbook.add_worksheet(name)
    for row, line in enumerate(stamp):
        sheet.write_string(row, 0, line, formats.title if row == 0 else None)
    top = len(stamp) + 1
    for col, header in enumerate(PROBLEM_HEADERS):
        sheet.write_string(top, col, _(header), formats.header)
    links = 0
    shown = problems[:ROW_LIMIT - top - 1]
    for row, problem in enumerate(shown, start=top + 1):
        table = placed.get((problem.file, problem.sheet or ""))
        cell = table.cell(problem) if table else None
        if table and cell:
            shown_as = f"{table.sheet}!{cell}"
            if links < LINK_LIMIT:
                links += 1
                quoted = table.sheet.replace("'", "''")
                sheet.write_url(row, 0, f"internal:'{quoted}'!{cell}", formats.link, shown_as)
            else:
                sheet.write_string(row, 0, shown_as)
        texts = (_(SEVERITY_WORDS.get(problem.severity, problem.severity)), problem.file,
                 problem.sheet, None, problem.column, problem.value, problem.rule,
                 problem.message)
        for col, text in enumerate(texts, start=1):
            if text:
                sheet.write_string(row, col, visible(text))
        if problem.row is not None:
            sheet.write_number(row, 4, problem.row)
    sheet.freeze_panes(top + 1, 0)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.autofilter(top, 0, top + max(len(shown), 1), len(PROBLEM_HEADERS) - 1)
    for col, width in enumerate(PROBLEM_WIDTHS):
        sheet.set_column(col, col, width)
