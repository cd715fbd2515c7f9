"""From an inbox folder to raw tables: which files, which tables of which kind, which cells.

Nothing here judges a value; it only finds the tables, maps their headers to the contract's
column names and keeps every cell as it was typed, with the row number Excel shows.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import fastexcel
import pandas as pd

from ledgerflow.contract import (
    KINDS,
    TableKind,
    column_lookup,
    column_named,
    kind_of,
    table_word,
)
from ledgerflow.errors import Problem
from ledgerflow.i18n import _
from ledgerflow.read.csvfile import read_csv
from ledgerflow.read.sniff import Caps, FileRefused, sniff
from ledgerflow.read.workbook import (
    SheetCells,
    SheetInfo,
    list_sheets,
    peek_ods_rows,
    peek_rows,
    read_sheet,
)
from ledgerflow.workbook_template import LISTS_SHEET, example_rows

LEDGERFLOW_COLUMN_PREFIX = "ledgerflow:"
KIND_NAMES = ", ".join(f"{k.name}/{k.alias}" for k in KINDS.values())


def kind_label(kind: TableKind) -> str:
    """A kind of table named in the active locale (`payments`, `платежи`)."""
    return table_word(kind.name)


@dataclass
class RawTable:
    """One table as typed: all its columns under the headers the user wrote."""

    file: str
    sheet: str
    kind: TableKind
    header_row: int
    headers: list[str]  # as typed, in sheet order
    columns: dict[str, str]  # contract column name -> header as typed
    frame: pd.DataFrame  # columns = `headers`; index = Excel row number

    def column(self, name: str) -> pd.Series | None:
        header = self.columns.get(name)
        return None if header is None else self.frame[header]


@dataclass
class InboxFile:
    path: Path
    name: str  # relative to the inbox, POSIX style
    sha256: str
    size: int
    tables: list[RawTable] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        """The file as a whole could not be read (wrong type, over a cap, unreadable)."""
        return any(p.severity == "error" and p.sheet is None and p.row is None
                   for p in self.problems)


def file_name(name: str) -> str:
    """A file's name as text that can be stored and shown: bytes that are not UTF-8 (Python
    keeps them as lone surrogates) are written as `\\xff`, the rest as it is."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def inbox_files(inbox: Path) -> Iterator[Path]:
    """Files of the inbox in a stable order; lock files of Excel and editors are skipped."""
    for path in sorted(inbox.rglob("*")):
        relative = path.relative_to(inbox)
        if any(part.startswith((".", "~$")) for part in relative.parts):
            continue
        if path.is_file():
            yield path


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def identify(path: Path, inbox: Path) -> InboxFile:
    """A file of the inbox by name and content (SHA-256), before anything parses it."""
    return InboxFile(path, file_name(path.relative_to(inbox).as_posix()), file_sha256(path),
                     path.stat().st_size)


def file_kinds(path: Path) -> set[str | None]:
    """The kinds of table a file holds, told from its visible sheets' names (a CSV's from its
    own name) without reading a cell; None for a sheet of no known kind, and an empty set when
    the file cannot be told (reading it will say why)."""
    try:
        if (fmt := sniff(path)) in ("xlsx", "ods"):
            return {kind_of(info.name) for info in list_sheets(path, fmt) if not info.hidden}
        return {kind_of(path.stem)}
    except Exception:  # a file that cannot be opened is reported when it is read
        return set()


def read_file(path: Path, inbox: Path, caps: Caps | None = None) -> InboxFile:
    """Read one inbox file into raw tables, reporting instead of raising."""
    return read_tables(identify(path, inbox), caps)


def read_tables(result: InboxFile, caps: Caps | None = None) -> InboxFile:
    """Fill in the tables (or the problems) of an identified file; never raises."""
    name = result.name
    path = result.path
    try:
        fmt = sniff(path, caps or Caps())
        if fmt in ("xlsx", "ods"):
            _read_workbook(result, fmt)
        else:
            _read_csv(result)
    except FileRefused as refused:
        result.problems.append(Problem(name, refused.rule, refused.message))
    except Exception as exc:  # a reader crash must become a refusal, never a traceback
        result.problems.append(Problem(
            name, "file_unreadable",
            _("The file could not be read ({error}). Open it in Excel, save it again as .xlsx "
              "and drop it again.").format(error=f"{type(exc).__name__}: {exc}"),
        ))
    return result


def _read_workbook(result: InboxFile, fmt: str) -> None:
    # Decide sheet by sheet what to do (in workbook order, which the problems keep), then
    # parse the tables' cells.
    steps: list[Problem | tuple[SheetInfo, TableKind, int]] = []
    for info in list_sheets(result.path, fmt):
        kind_name = kind_of(info.name)
        if info.name == LISTS_SHEET:  # an input template's drop-down lists (workbook_template)
            steps.append(Problem(
                result.name, "sheet_template_lists",
                _("The template's lists of accepted values, for its drop-downs: not a table, "
                  "not loaded."), sheet=info.name, severity="info"))
            continue
        if info.hidden:
            steps.append(Problem(
                result.name, "sheet_hidden",
                _("This sheet is hidden and was not loaded; unhide it if it should be."),
                sheet=info.name, severity="warning"))
            continue
        if kind_name is None:
            steps.append(Problem(
                result.name, "sheet_ignored",
                _("Not a table ledgerflow knows ({kinds}); ignored.").format(kinds=KIND_NAMES),
                sheet=info.name, severity="info"))
            continue
        kind = KINDS[kind_name]
        enough = functools.partial(_names_columns, kind)
        header_row = find_header_row(kind, peek_ods_rows(result.path, info.name, enough=enough)
                                     if fmt == "ods" else
                                     peek_rows(result.path, info.member, enough=enough))
        if header_row is None:
            steps.append(Problem(
                result.name, "sheet_empty", _("The sheet is empty; nothing to load."),
                sheet=info.name, severity="warning"))
            continue
        steps.append((info, kind, header_row))
    tables = [step for step in steps if not isinstance(step, Problem)]
    cells = iter(_parse_sheets(result, [(info, row) for info, _, row in tables]))
    for step in steps:
        if isinstance(step, Problem):
            result.problems.append(step)
            continue
        info, kind, _header_row = step
        sheet = next(cells)
        unreadable = _("The cell could not be read: {detail}.")
        for row, position, detail in sheet.cell_errors:
            result.problems.append(Problem(
                result.name, "cell_unreadable", unreadable.format(detail=detail),
                sheet=info.name, row=row, column=sheet.header[position]))
        _add_table(result, info.name, kind, sheet.header_row, sheet.header, sheet.frame)


def _parse_sheets(result: InboxFile, sheets: list[tuple[SheetInfo, int]]) -> list[SheetCells]:
    reader = fastexcel.read_excel(result.path)
    return [read_sheet(reader, info.name, header_row, result.path, info.member)
            for info, header_row in sheets]


def find_header_row(kind: TableKind, rows: list[tuple[int, list[str]]]) -> int | None:
    """The header is the first row that names at least two of the kind's columns (a title or a
    note above the table is common in accountants' sheets); failing that, the first non-empty
    row, so that the missing columns are reported against it. None for an empty sheet."""
    if not rows:
        return None
    for row_number, texts in rows:
        if _names_columns(kind, texts):
            return row_number
    return rows[0][0]


def _names_columns(kind: TableKind, texts: list[str]) -> bool:
    """The row names at least two of the kind's columns (all, for a kind with one)."""
    lookup = column_lookup(kind)
    known = {c for c in (column_named(lookup, text) for text in texts) if c is not None}
    return len(known) >= min(2, len(kind.columns))


def _read_csv(result: InboxFile) -> None:
    kind_name = kind_of(result.path.stem)
    if kind_name is None:
        result.problems.append(Problem(
            result.name, "file_kind_unknown",
            _("The file name does not say which table this is; start it with one of {kinds} "
              "(for example payments_october.csv).").format(kinds=KIND_NAMES)))
        return
    table = read_csv(result.path)
    _add_table(result, file_name(result.path.name), KINDS[kind_name], table.header_row,
               table.header, table.frame)


def _add_table(result: InboxFile, sheet: str, kind: TableKind, header_row: int,
               header: list[str], frame: pd.DataFrame) -> None:
    headers = _unique_headers(header)
    frame = frame.set_axis(headers, axis=1)
    frame = frame.loc[~frame.isna().all(axis=1)]  # fully empty rows are spacing, not data
    columns, problems = map_headers(kind, headers, result.name, sheet, header_row, frame)
    result.problems.extend(problems)
    if any(p.severity == "error" for p in problems):
        return
    examples = example_rows(kind, columns, frame)  # an input template's, as it wrote them
    if examples:
        frame = frame.drop(index=examples)
        untouched = _("The template's example row, every cell as the template wrote it: not "
                      "loaded. Type your own row over it, or delete it.")
        result.problems.extend(Problem(result.name, "template_example", untouched, sheet=sheet,
                                       row=row, severity="info") for row in examples)
    result.tables.append(RawTable(result.name, sheet, kind, header_row, headers, columns, frame))


def _unique_headers(header: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    unique = []
    for position, text in enumerate(header):
        text = "" if text.startswith("__UNNAMED__") else text.strip()
        text = text or f"column {position + 1}"
        count = seen.get(text, 0)
        seen[text] = count + 1
        unique.append(text if count == 0 else f"{text} ({count + 1})")
    return unique


def map_headers(kind: TableKind, headers: list[str], file: str, sheet: str, header_row: int,
                frame: pd.DataFrame) -> tuple[dict[str, str], list[Problem]]:
    """Contract column -> header, with problems for unknown, doubled and missing columns."""
    lookup = column_lookup(kind)
    columns: dict[str, str] = {}
    problems: list[Problem] = []
    for header in headers:
        if header.startswith(LEDGERFLOW_COLUMN_PREFIX):
            continue  # our own columns in a rejects workbook dropped back into the inbox
        name = column_named(lookup, header)
        if name is None:
            if frame[header].notna().any() or not header.startswith("column "):
                problems.append(Problem(
                    file, "column_unknown",
                    _("Column {header} is not part of the {kind} table; ignored.").format(
                        header=repr(header), kind=kind_label(kind)),
                    sheet=sheet, row=header_row, column=header, severity="warning"))
        elif name in columns:
            problems.append(Problem(
                file, "column_duplicate",
                _("Columns {first} and {second} both mean {column}; keep one.").format(
                    first=repr(columns[name]), second=repr(header), column=repr(name)),
                sheet=sheet, row=header_row, column=header))
        else:
            columns[name] = header
    for col in kind.columns:
        if col.required and col.name not in columns:
            problems.append(Problem(
                file, "column_missing",
                _("Required column {column} ({alias}) is missing, so the whole {kind} table was "
                  "refused.").format(column=repr(col.name), alias=col.alias,
                                     kind=kind_label(kind)),
                sheet=sheet, row=header_row, column=col.name))
    return columns, problems
