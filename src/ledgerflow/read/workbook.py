"""Reading `.xlsx` workbooks: sheets and their visibility, header row, raw cells with row numbers.

Cells are read with fastexcel (Rust, calamine) straight into Arrow, which is what makes a million
rows cheap. Two small things fastexcel does not tell us are read from the workbook's XML with
defusedxml: which sheets are hidden, and on which row the header stands (calamine trims leading
empty rows, so without it row numbers would not be the ones Excel shows).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Literal

import fastexcel
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from defusedxml import ElementTree

from ledgerflow.values.sheets import column_index

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"


@dataclass(frozen=True)
class SheetInfo:
    name: str
    hidden: bool
    member: str | None  # the sheet's XML part inside the zip


@dataclass
class SheetCells:
    """The cells of one sheet below its header, as fastexcel typed them."""

    header_row: int  # Excel row number of the header
    header: list[str]
    frame: pd.DataFrame  # columns positional like `header`; index = Excel row number
    cell_errors: list[tuple[int, int, str]]  # (excel row, column position, detail) not read


def list_sheets(path: Path, fmt: str = "xlsx") -> list[SheetInfo]:
    """Sheets in workbook order with their visibility, read from xl/workbook.xml (for an .ods,
    as the reader sees them)."""
    if fmt == "ods":
        reader = fastexcel.read_excel(path)
        return [SheetInfo(name, reader.load_sheet(name, header_row=None, n_rows=0).visible
                          != "visible", None) for name in reader.sheet_names]
    with zipfile.ZipFile(path) as archive:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        targets = _relationship_targets(archive)
    sheets = []
    for node in workbook.iter(f"{_MAIN}sheet"):
        state = node.get("state", "visible")
        target = targets.get(node.get(f"{_REL}id", ""))
        sheets.append(SheetInfo(node.get("name", ""), state != "visible", target))
    return sheets


def _relationship_targets(archive: zipfile.ZipFile) -> dict[str, str]:
    try:
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except KeyError:
        return {}
    targets = {}
    for rel in rels.iter(f"{_PKG_REL}Relationship"):
        target = rel.get("Target", "")
        member = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl", target))
        targets[rel.get("Id", "")] = member
    return targets


_CELL_REF = re.compile(r"([A-Z]+)(\d+)")
PEEK_ROWS = 30


def peek_rows(path: Path, member: str | None, limit: int = PEEK_ROWS,
              enough: Callable[[list[str]], bool] | None = None,
              ) -> list[tuple[int, list[str]]]:
    """The first `limit` non-empty rows as (Excel row number, cell texts), cheaply.

    Streams the sheet part and stops after `limit` rows. Rows are resolved in order, and once
    `enough(texts)` holds for one (the header is found) the rows after it are left out: the
    shared strings are streamed only as far as the highest index the resolved rows need, and a
    data row's strings may sit a million entries into that part (in a workbook's later sheets).
    """
    if member is None:
        return []
    rows = []
    with zipfile.ZipFile(path) as archive:
        with archive.open(member) as stream:
            raw_rows = _first_rows(stream, limit)
        with _SharedStrings(archive) as strings:
            for row_number, cells in raw_rows:
                width = max(c for c, _k, _v in cells) + 1
                texts = [""] * width
                for column, kind, value in cells:
                    texts[column] = strings.get(int(value)) if kind == "s" else value
                rows.append((row_number, texts))
                if enough is not None and enough(texts):
                    break
    return rows


_ODS_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_ODS_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_ODS_WIDEST = 1024  # a row's trailing empty cells are "repeated" up to the sheet's last column


def peek_ods_rows(path: Path, sheet: str, limit: int = PEEK_ROWS,
                  enough: Callable[[list[str]], bool] | None = None,
                  ) -> list[tuple[int, list[str]]]:
    """`peek_rows` for an .ods: the sheet's first `limit` non-empty rows with their row numbers
    as the spreadsheet shows them, streamed from content.xml (cells as displayed)."""
    rows: list[tuple[int, list[str]]] = []
    number, inside = 0, False
    with zipfile.ZipFile(path) as archive, archive.open("content.xml") as stream:
        for event, node in ElementTree.iterparse(stream, events=("start", "end")):
            if node.tag == f"{_ODS_TABLE}table":
                if event == "start":
                    inside, number = node.get(f"{_ODS_TABLE}name") == sheet, 0
                elif inside:
                    break
                continue
            if not inside or event != "end" or node.tag != f"{_ODS_TABLE}table-row":
                continue
            texts: list[str] = []
            for cell in node:
                repeat = int(cell.get(f"{_ODS_TABLE}number-columns-repeated", "1"))
                text = "\n".join("".join(p.itertext()) for p in cell.iter(f"{_ODS_TEXT}p"))
                texts.extend([text] * min(repeat, _ODS_WIDEST - len(texts)))
            while texts and not texts[-1].strip():
                texts.pop()
            repeat = int(node.get(f"{_ODS_TABLE}number-rows-repeated", "1"))
            node.clear()
            if texts:
                rows.extend((number + i + 1, texts) for i in range(min(repeat, limit)))
                if len(rows) >= limit or (enough is not None and enough(texts)):
                    break
            number += repeat
    return rows[:limit]


def _first_rows(stream: object, limit: int) -> list[tuple[int, list[tuple[int, str, str]]]]:
    rows: list[tuple[int, list[tuple[int, str, str]]]] = []
    row_number = 0
    for _event, node in ElementTree.iterparse(stream, events=("end",)):
        if node.tag == f"{_MAIN}row":
            row_number = int(node.get("r", row_number + 1))
            cells = [cell for cell in (_cell(c) for c in node.iter(f"{_MAIN}c")) if cell]
            node.clear()
            if cells:
                rows.append((row_number, cells))
                if len(rows) >= limit:
                    break
        elif node.tag == f"{_MAIN}sheetData":
            break
    return rows


def _cell(node: object) -> tuple[int, str, str] | None:
    ref = _CELL_REF.match(node.get("r", ""))  # type: ignore[attr-defined]
    kind = node.get("t", "n")  # type: ignore[attr-defined]
    value = node.find(f"{_MAIN}v")  # type: ignore[attr-defined]
    if kind == "inlineStr":
        text = "".join(t.text or "" for t in node.iter(f"{_MAIN}t"))  # type: ignore[attr-defined]
    else:
        text = (value.text or "") if value is not None else ""
    if not text.strip() or ref is None:
        return None
    return column_index(ref.group(1)), kind, text


class _SharedStrings:
    """The workbook's shared strings, parsed from its part only as far as asked for."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.strings: list[str] = []
        try:
            self.stream: Any = archive.open("xl/sharedStrings.xml")
        except KeyError:
            self.stream = None
        self.nodes = None if self.stream is None else ElementTree.iterparse(
            self.stream, events=("end",))

    def get(self, index: int) -> str:
        """The string at `index`, or "" if the part has no such entry."""
        while len(self.strings) <= index and self.nodes is not None:
            node = next(self.nodes, None)
            if node is None:
                self.nodes = None
            elif node[1].tag == f"{_MAIN}si":
                self.strings.append("".join(t.text or "" for t in node[1].iter(f"{_MAIN}t")))
                node[1].clear()
        return self.strings[index] if index < len(self.strings) else ""

    def __enter__(self) -> _SharedStrings:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.stream is not None:
            self.stream.close()


def read_sheet(reader: fastexcel.ExcelReader, name: str, header_row: int,
               path: Path | None = None, member: str | None = None) -> SheetCells:
    """All cells under the header row (1-based), typed per column over every row.

    `schema_sample_rows=None` makes fastexcel look at every row before choosing a column's type,
    so a text amount far down a numeric column turns the column into text instead of a silent
    empty cell; whatever still cannot be read is returned in `cell_errors`, never dropped. In
    such a mixed column, date and number cells keep their values (`_restore_cells`). A TRUE or
    FALSE cell in a column of numbers, which fastexcel makes 1 or 0, is given back as TRUE or
    FALSE (`_restore_bools`; for an .xlsx, `path` and its sheet part `member`, only when the
    sheet holds such a cell).

    fastexcel's eager parse, straight into Arrow, would take about a fifth less time, but it
    leaves a cell it cannot read (a formula's error value such as `#DIV/0!`, a date-formatted
    number beyond the calendar) empty without saying so; the lazy sheet names each one.
    """
    sheet = _load_sheet(reader, name, header_row)
    table, errors = sheet.to_arrow_with_errors()
    frame = table.to_pandas(types_mapper=_types_mapper)
    absolute = [column.absolute_index for column in sheet.selected_columns]
    if mixed := _mixed_columns(table):
        _restore_cells(reader, name, header_row, frame, [absolute[p] for p in mixed], mixed)
    if (flagged := _zero_or_one_columns(table)) and (
            path is None or member is None or has_cells_of_type(path, member, "b")):
        _restore_bools(reader, name, header_row, frame, [absolute[p] for p in flagged], flagged)
    header = [str(c) for c in frame.columns]
    frame.columns = range(len(header))
    frame.index = pd.RangeIndex(header_row + 1, header_row + 1 + len(frame))
    cell_errors = []
    if errors is not None:
        for err in errors.errors:
            row, col = err.offset_position
            cell_errors.append((header_row + 1 + row, col, err.detail))
    return SheetCells(header_row, header, frame, cell_errors)


def _load_sheet(reader: fastexcel.ExcelReader, name: str, header_row: int,
                **columns: Any) -> fastexcel.ExcelSheet:
    """The sheet's rows under its header as fastexcel reads them, every row typed; a second
    read of some `columns` (`use_columns`, `dtypes`) lines up with the first row for row."""
    return reader.load_sheet(name, header_row=header_row - 1, skip_rows=0,
                             schema_sample_rows=None, dtype_coercion="coerce", **columns)


_CHUNK = 1 << 22
_QUOTED = (b'"', b"'")


def has_cells_of_type(path: Path, member: str, kind: str) -> bool:
    """Whether the sheet part holds a cell of this type (`b`: TRUE or FALSE; `e`: a formula's
    error value), found by streaming the part: each quoted `kind` is looked up and taken when
    a `t=` attribute (spaces allowed around `=`) stands before it. No other element of a sheet
    has a `t` attribute of one letter."""
    needles = [quote + kind.encode() + quote for quote in _QUOTED]
    attribute = re.compile(rb"\st\s*=\s*$")
    with zipfile.ZipFile(path) as archive, archive.open(member) as stream:
        tail = b""
        while chunk := stream.read(_CHUNK):
            window = tail + chunk
            for needle in needles:
                at = window.find(needle)
                while at >= 0:
                    if attribute.search(window, max(0, at - 32), at):
                        return True
                    at = window.find(needle, at + 1)
            tail = window[-40:]  # an attribute cut by the chunk's end
    return False


def _zero_or_one_columns(table: pa.RecordBatch) -> list[int]:
    """Number columns holding a 0 or a 1: where fastexcel may have put a TRUE or FALSE cell
    (it makes such a column numbers, TRUE 1 and FALSE 0)."""
    return [position for position, column in enumerate(table.columns)
            if (pa.types.is_floating(column.type) or pa.types.is_integer(column.type))
            and pc.any(pc.is_in(column, pa.array([0, 1], column.type))).as_py()]


def _read_again(reader: fastexcel.ExcelReader, name: str, header_row: int, frame: pd.DataFrame,
                columns: list[int], dtype: Literal["string", "date"]) -> list[pa.Array] | None:
    """These columns of the sheet (by their index in the sheet, A = 0) read again as `dtype`,
    in that order; None if the rows do not line up with `frame` (they always do: the same
    sheet, header and rows)."""
    dtypes: fastexcel.DTypeMap = dict.fromkeys(columns, dtype)
    again = _load_sheet(reader, name, header_row, use_columns=columns, dtypes=dtypes)
    order = {c.absolute_index: i for i, c in enumerate(again.selected_columns)}
    typed = again.to_arrow_with_errors()[0]
    if typed.num_rows != len(frame) or sorted(order) != sorted(columns):
        return None
    return [typed.column(order[c]) for c in columns]


def _restore_bools(reader: fastexcel.ExcelReader, name: str, header_row: int,
                   frame: pd.DataFrame, columns: list[int], positions: list[int]) -> None:
    """Give the TRUE and FALSE cells of number columns (`columns` in the sheet, `positions` in
    the frame) their values back: read again as text, a TRUE cell is `true` (a number never
    is), so an amount typed as TRUE is refused by the amount's rule instead of loaded as 1."""
    texts = _read_again(reader, name, header_row, frame, columns, "string")
    for position, column in zip(positions, texts or [], strict=True):
        text = column.to_numpy(zero_copy_only=False)
        true, false = text == "true", text == "false"
        if true.any() or false.any():
            cells = frame.iloc[:, position].astype(object)
            cells[true], cells[false] = True, False
            frame.isetitem(position, cells)


# How fastexcel writes a date cell (`2026-10-05 00:00:00`; an .ods's `2026-10-05`) and a number
# cell (`7.5`, never an exponent) in a column it made text.
_DATE_TEXT = r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$"
_NUMBER_TEXT = r"^-?\d+(\.\d+)?$"


def _mixed_columns(table: pa.RecordBatch) -> list[int]:
    """Text columns that may mix text with date or number cells: fastexcel makes such a column
    text, writing its dates and numbers as text. A column that holds a date-like text, or both
    number-like and other texts, is one; a column of digits only (IDs typed as text) is not.
    Most text columns (names, IDs like `EXP-26-00291`) have no cell starting with a digit and
    are passed over after a look at each cell's first byte."""
    mixed = []
    for position, column in enumerate(table.columns):
        if not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
            continue
        first = pc.binary_slice(column.cast(pa.large_binary()), 0, 1)
        if not pc.any(pc.or_(pc.and_(pc.greater_equal(first, b"0"), pc.less_equal(first, b"9")),
                             pc.equal(first, b"-"))).as_py():
            continue
        number = pc.match_substring_regex(column, _NUMBER_TEXT)
        if pc.any(pc.match_substring_regex(column, _DATE_TEXT)).as_py() or (
                pc.any(number).as_py() and not pc.all(number).as_py()):
            mixed.append(position)
    return mixed


def _restore_cells(reader: fastexcel.ExcelReader, name: str, header_row: int,
                   frame: pd.DataFrame, columns: list[int], positions: list[int]) -> None:
    """Give the date and number cells of mixed columns (`columns` in the sheet, `positions` in
    the frame) their values back, the column holding them beside its text cells (the value
    parsers read such a column cell by cell), so a date is a date, not the text
    `2026-10-05 00:00:00`, to validation and to the rejects workbook.

    The columns are read again as dates: a text cell never converts, a date or number cell
    does; which of the two it was, its text says (a number's text is a number)."""
    typed = _read_again(reader, name, header_row, frame, columns, "date")
    for position, column in zip(positions, typed or [], strict=True):
        converted = np.flatnonzero(column.is_valid().to_numpy(zero_copy_only=False))
        if len(converted):
            cells = frame.iloc[:, position].astype(object)
            cells.iloc[converted] = _typed_cells(cells.iloc[converted])
            frame.isetitem(position, cells)


def _typed_cells(texts: pd.Series) -> np.ndarray:
    """The values of date and number cells from the texts fastexcel wrote for them (a text
    that is neither stays as it came)."""
    texts = texts.astype(str)
    values = texts.to_numpy(dtype=object)
    number = texts.str.fullmatch(_NUMBER_TEXT[1:-1]).to_numpy(dtype=bool)
    values[number] = texts[number].astype(float).to_numpy()
    dates = pd.to_datetime(texts[~number], format="ISO8601", errors="coerce")
    known = dates.notna().to_numpy(dtype=bool)
    rest = values[~number]
    rest[known] = dates[known].to_numpy(dtype=object)
    values[~number] = rest
    return values


def _types_mapper(arrow_type: object) -> object:
    # Text stays pandas' string dtype; numbers and dates keep numpy dtypes for speed.
    if arrow_type == pa.string() or arrow_type == pa.large_string():
        return pd.StringDtype()
    return None
