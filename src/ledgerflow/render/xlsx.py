"""A small XLSX writer: exactly the parts a ledgerflow workbook needs, fast and deterministic.

A workbook is sheets of rows of typed cells, written as SpreadsheetML (ECMA-376) by string joins:

* a `str` is always a text cell, an inline string (`t="inlineStr"`), whatever it looks like:
  '=HYPERLINK("x")', '+7 900' or '@cmd' stay text, never a formula, a number or a link. Its text
  goes through `ledgerflow.render.escape.xml_text` (control characters made visible, `&<>` and
  Excel's own `_xHHHH_` escaped, cut to Excel's 32,767 UTF-16 units), so the XML is well formed
  for any text;
* an `int`, `float` or `Decimal` is a number (a `Decimal` written exactly, without exponent);
  NaN and infinities are refused;
* a `Formula` is a formula with its value cached in `<v>`, so a viewer that does not recalculate
  shows the same figure as one that does (Excel recalculates on load).

A cell may also be a link (`Sheet.link`) to a file beside the workbook, by a relative path of
plain names (`statements/acme.xlsx`): an external hyperlink relationship of the sheet, as
xlsxwriter's `write_url("external:...")` writes it. The cell keeps its own value (an inline
string); no text becomes a link by its looks.

What a cell looks like is a `Style`; equal styles share one index in the style table, and the
index depends only on the order in which `Workbook.style` first saw each style.

Rows laid out in bulk elsewhere (DuckDB, for a statement's lines) are given as finished
`<row>` elements (`Sheet.rows_xml`), with cells in the shapes `string_cell_xml`,
`number_cell_xml` and `formula_cell_xml` give, which are the shapes `Sheet.row` writes.

The parts: [Content_Types].xml, the package and workbook relationships, docProps/core.xml and
app.xml, xl/workbook.xml (with a hidden `_xlnm._FilterDatabase` name per filtered sheet, which
Excel needs besides the sheet's `<autoFilter>`), xl/styles.xml and one xl/worksheets/sheetN.xml
per sheet. No shared strings (inline strings) and no theme: fonts name Calibri 11 and colors
as RGB instead of referring to a theme. The fills start with the two Excel requires, none and
gray125. Widths are given as Excel shows them and stored as Excel stores them (with the
padding of a cell, as xlsxwriter stores them too).

The same workbook gives the same bytes: the document time is the workbook's `created`, the zip
entries have a fixed time and order, and the parts are deflated at level 1 (a statement's sheets
are repetitive XML that the fastest level already shrinks about tenfold).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from math import isfinite
from pathlib import Path
from urllib.parse import quote

from ledgerflow.render.escape import visible, xml, xml_attribute, xml_text
from ledgerflow.values.sheets import MAX_COLUMNS, column_index, column_letters

__all__ = [
    "Cell",
    "Formula",
    "Sheet",
    "Style",
    "Workbook",
    "cell_ref",
    "column_letters",
    "formula_cell_xml",
    "is_link_target",
    "number_cell_xml",
    "number_text",
    "string_cell_xml",
]

MAX_ROWS = 1_048_576
MAX_COLS = MAX_COLUMNS
_SHEET_NAME_LIMIT = 31  # UTF-16 units
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_COLOR = re.compile("#[0-9A-Fa-f]{6}")
_VALIGN = frozenset(("top", "center", "bottom", "justify", "distributed"))
# Excel's built-in number formats that look the same in every locale (the built-in dates,
# times and currencies follow the reader's regional settings, so they are written as custom
# formats with their exact code instead).
_BUILTIN_FORMATS = {
    "General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "0%": 9, "0.00%": 10,
    "0.00E+00": 11, "# ?/?": 12, "# ??/??": 13, "##0.0E+0": 48, "@": 49,
}
_FIRST_CUSTOM_FORMAT = 164
_MAX_DIGIT_WIDTH = 7  # pixels of a digit in the default font (Calibri 11)
_PADDING = 5  # pixels around a column's text


# --- cells -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Style:
    """What a cell looks like. Colors are "#RRGGBB"; `border` is a thin border on all four
    sides; `valign` is one of top, center, bottom, justify, distributed; `num_format` is an
    Excel number format code such as "#,##0.00" or "dd.mm.yyyy"."""

    bold: bool = False
    font_size: float | None = None
    font_color: str | None = None
    bg_color: str | None = None
    border: bool = False
    text_wrap: bool = False
    valign: str | None = None
    num_format: str | None = None
    underline: bool = False  # a single underline (a link's look)

    def __post_init__(self) -> None:
        if self.font_size is not None and not (
                isinstance(self.font_size, int | float) and 1 <= self.font_size <= 409):
            raise ValueError(f"A font size is from 1 to 409 points, not {self.font_size!r}.")
        for field in ("font_color", "bg_color"):
            color = getattr(self, field)
            if color is not None:
                if not (isinstance(color, str) and _COLOR.fullmatch(color)):
                    raise ValueError(f"A {field} is '#RRGGBB', not {color!r}.")
                object.__setattr__(self, field, color.upper())
        if self.valign is not None and self.valign not in _VALIGN:
            raise ValueError(f"valign is one of {sorted(_VALIGN)}, not {self.valign!r}.")
        if self.num_format is not None and not (
                isinstance(self.num_format, str) and self.num_format):
            raise ValueError(f"A number format is a non-empty format code, not "
                             f"{self.num_format!r}.")


@dataclass(frozen=True)
class Formula:
    """A formula (without the leading "=", as "SUM(N2:N10)") and its value, written as the
    cell's cached value so that a viewer that does not recalculate shows it too."""

    text: str
    value: Decimal | int | float

    def __post_init__(self) -> None:
        if not self.text or self.text.startswith("="):
            raise ValueError(f"A formula is given without its leading '=': {self.text!r}.")
        number_text(self.value)  # refuses NaN, infinities and what is not a number


# (0-based column, value, style index; 0 = the default style)
Cell = tuple[int, str | int | float | Decimal | Formula, int]


_LETTERS = [column_letters(col) for col in range(702)]  # A to ZZ, for the row writer


def cell_ref(col: int, row: int) -> str:
    """The A1 reference of a 0-based column and row: (0, 0) -> "A1"."""
    if not 0 <= row < MAX_ROWS:
        raise ValueError(f"A row is from 0 to {MAX_ROWS - 1}, not {row}.")
    return f"{column_letters(col)}{row + 1}"


def _style_attr(style: int) -> str:
    return f' s="{style}"' if style else ""


def string_cell_xml(ref: str, escaped_text: str, style: int) -> str:
    """A text cell as `Sheet.row` writes it; `escaped_text` has been through `xml_text`."""
    return (f'<c r="{ref}"{_style_attr(style)} t="inlineStr"><is><t xml:space="preserve">'
            f"{escaped_text}</t></is></c>")


def number_cell_xml(ref: str, number_text: str, style: int) -> str:
    """A number cell as `Sheet.row` writes it; `number_text` as `number_text` gives it."""
    return f'<c r="{ref}"{_style_attr(style)}><v>{number_text}</v></c>'


def formula_cell_xml(ref: str, formula: Formula, style: int) -> str:
    """A formula cell with its cached value, as `Sheet.row` writes it."""
    return (f'<c r="{ref}"{_style_attr(style)}><f>{xml(formula.text)}</f>'
            f"<v>{number_text(formula.value)}</v></c>")


def number_text(value: Decimal | int | float) -> str:
    """A number as a cell's `<v>`: an int in full, a float as its repr, a Decimal exactly and
    without exponent ("1234.50"). NaN, infinities and numbers beyond a double are refused."""
    kind = type(value)
    if kind is float:
        if not isfinite(value):  # type: ignore[arg-type]
            raise ValueError(f"A cell cannot hold {value!r}.")
        return repr(value)
    if kind is int:
        if value.bit_length() > 1023:  # type: ignore[union-attr]
            raise ValueError(f"{value} is beyond the numbers a cell holds.")
        return str(value)
    if kind is Decimal or isinstance(value, Decimal):
        text = str(value)  # exact; with an exponent only for large or tiny exponents
        if text[-1] > "9":  # NaN, sNaN, Infinity
            raise ValueError(f"A cell cannot hold {value!r}.")
        if "E" in text or len(text) > 300:
            if value and value.adjusted() > 307:  # type: ignore[union-attr]
                raise ValueError(f"{value} is beyond the numbers a cell holds.")
            text = format(value, "f")
        return text
    if isinstance(value, float):  # a subclass
        return number_text(float(value))
    if isinstance(value, int) and not isinstance(value, bool):
        return number_text(int(value))
    raise TypeError(f"Not a number for a cell: {value!r} ({kind.__name__}).")


# --- the workbook ------------------------------------------------------------------------------


class Workbook:
    """Sheets in order of creation, one style table, written as an .xlsx by `save`."""

    def __init__(self, title: str = "", created: datetime = datetime(2000, 1, 1)) -> None:
        self.title = title
        self.created = created
        self._sheets: list[Sheet] = []
        self._names: set[str] = set()
        self._styles: dict[Style, int] = {Style(): 0}
        # style index -> the cell's ` s="n"` attribute (shared with every sheet)
        self._style_attrs: dict[int, str] = {0: ""}

    def style(self, style: Style) -> int:
        """The style's index in the style table: a new style gets the next one."""
        found = self._styles.get(style)
        if found is None:
            if not isinstance(style, Style):
                raise TypeError(f"Not a Style: {style!r}.")
            found = self._styles[style] = len(self._styles)
            self._style_attrs[found] = f' s="{found}"'
        return found

    def sheet(self, name: str) -> Sheet:
        """A new sheet after the others. Excel's rules for its name: 1 to 31 characters, none of
        []:*?/\\, not starting or ending with an apostrophe, unique regardless of case."""
        shown = visible(name)
        units = len(shown.encode("utf-16-le", "surrogatepass")) // 2
        if not 1 <= units <= _SHEET_NAME_LIMIT:
            raise ValueError(f"A sheet name has 1 to {_SHEET_NAME_LIMIT} characters: {name!r}.")
        if _SHEET_NAME_FORBIDDEN.search(shown):
            raise ValueError(f"A sheet name has none of []:*?/\\ : {name!r}.")
        if shown.startswith("'") or shown.endswith("'"):
            raise ValueError(f"A sheet name neither starts nor ends with ': {name!r}.")
        key = shown.casefold()
        if key in self._names:
            raise ValueError(f"The workbook has a sheet named {name!r} already.")
        self._names.add(key)
        sheet = Sheet(shown, self._style_attrs)
        self._sheets.append(sheet)
        return sheet

    def save(self, path: Path) -> None:
        """Write the workbook to `path` (replaced if it exists)."""
        Path(path).write_bytes(self.to_bytes())

    def to_bytes(self) -> bytes:
        """The .xlsx file."""
        if not self._sheets:
            raise ValueError("A workbook needs at least one sheet.")
        parts = self._parts()
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, data in parts:
                entry = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                entry.compress_type = zipfile.ZIP_DEFLATED
                entry.create_system = 0
                archive.writestr(entry, data, compresslevel=1)
        return buffer.getvalue()

    def _parts(self) -> list[tuple[str, bytes | str]]:
        count = len(self._sheets)
        sheets: list[tuple[str, bytes | str]] = [
            (f"xl/worksheets/sheet{i}.xml", sheet._xml(i == 1))
            for i, sheet in enumerate(self._sheets, start=1)]
        for i, sheet in enumerate(self._sheets, start=1):
            rels = sheet._rels()
            if rels is not None:
                sheets.append((f"xl/worksheets/_rels/sheet{i}.xml.rels", rels))
        return [
            ("[Content_Types].xml", _content_types(count)),
            ("_rels/.rels", _ROOT_RELS),
            ("docProps/app.xml", self._app_xml()),
            ("docProps/core.xml", self._core_xml()),
            ("xl/workbook.xml", self._workbook_xml()),
            ("xl/_rels/workbook.xml.rels", _workbook_rels(count)),
            ("xl/styles.xml", _styles_xml(list(self._styles))),
            *sheets,
        ]

    def _core_xml(self) -> str:
        created = self.created
        if created.tzinfo is not None:
            created = created.astimezone(UTC).replace(tzinfo=None)
        when = created.strftime("%Y-%m-%dT%H:%M:%SZ")
        return (
            f'{_DECLARATION}<cp:coreProperties xmlns:cp="{_NS_CORE}" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:dcmitype="http://purl.org/dc/dcmitype/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<dc:title>{xml(self.title)}</dc:title>"
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{when}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{when}</dcterms:modified>'
            "</cp:coreProperties>")

    def _app_xml(self) -> str:
        names = "".join(f"<vt:lpstr>{xml(sheet.name)}</vt:lpstr>"
                        for sheet in self._sheets)
        count = len(self._sheets)
        return (
            f'{_DECLARATION}<Properties xmlns="{_NS_APP}" xmlns:vt="{_NS_VT}">'
            "<Application>ledgerflow</Application><DocSecurity>0</DocSecurity>"
            "<ScaleCrop>false</ScaleCrop><HeadingPairs>"
            '<vt:vector size="2" baseType="variant"><vt:variant><vt:lpstr>Worksheets</vt:lpstr>'
            f"</vt:variant><vt:variant><vt:i4>{count}</vt:i4></vt:variant></vt:vector>"
            f'</HeadingPairs><TitlesOfParts><vt:vector size="{count}" baseType="lpstr">{names}'
            "</vt:vector></TitlesOfParts><LinksUpToDate>false</LinksUpToDate>"
            "<SharedDoc>false</SharedDoc><HyperlinksChanged>false</HyperlinksChanged>"
            "</Properties>")

    def _workbook_xml(self) -> str:
        sheets = "".join(
            f'<sheet name="{xml_attribute(sheet.name)}" sheetId="{i}" r:id="rId{i}"/>'
            for i, sheet in enumerate(self._sheets, start=1))
        names = "".join(
            f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
            f"{xml(_quoted(sheet.name))}!{_absolute(sheet._filter)}</definedName>"
            for i, sheet in enumerate(self._sheets) if sheet._filter is not None)
        defined = f"<definedNames>{names}</definedNames>" if names else ""
        return (
            f'{_DECLARATION}<workbook xmlns="{_NS_MAIN}" xmlns:r="{_NS_R}">'
            f"<bookViews><workbookView/></bookViews><sheets>{sheets}</sheets>{defined}"
            '<calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>')


def _quoted(sheet_name: str) -> str:
    """The sheet's name as a formula refers to it: always in quotes, a quote doubled."""
    return "'" + sheet_name.replace("'", "''") + "'"


def _absolute(area: tuple[int, int, int, int] | None) -> str:
    assert area is not None
    first_row, first_col, last_row, last_col = area
    return (f"${column_letters(first_col)}${first_row + 1}:"
            f"${column_letters(last_col)}${last_row + 1}")


# --- sheets ------------------------------------------------------------------------------------


class Sheet:
    """One worksheet: rows of cells, column widths, a frozen pane, an autofilter."""

    def __init__(self, name: str, style_attrs: dict[int, str]) -> None:
        self.name = name
        self._style_attrs = style_attrs
        self._texts: dict[str, str] = {}  # text -> its escaped XML (names, kinds repeat)
        self._rows: dict[int, str] = {}  # row -> its <row> element
        self._blocks: list[tuple[int, int, bytes]] = []  # (first row, last row, <row>s)
        self._first_col = MAX_COLS
        self._last_col = -1
        self._widths: tuple[float, ...] = ()
        self._freeze = (0, 0)
        self._filter: tuple[int, int, int, int] | None = None
        self._links: dict[str, str] = {}  # cell reference -> the relative path it links to

    def row(self, row: int, cells: Sequence[Cell]) -> None:
        """Row `row` (0-based) of cells in ascending columns: (column, value, style)."""
        if not 0 <= row < MAX_ROWS:
            raise ValueError(f"A row is from 0 to {MAX_ROWS - 1}, not {row}.")
        if row in self._rows or (self._blocks and self._in_block(row)):
            raise ValueError(f"Row {row + 1} of sheet {self.name!r} is written already.")
        if not cells:
            return
        n = str(row + 1)
        attrs = self._style_attrs
        texts = self._texts
        letters = _LETTERS
        parts = [f'<row r="{n}">']
        append = parts.append
        last = -1
        for col, value, style in cells:
            if col <= last:
                if col < 0:
                    raise ValueError(f"Row {n}: a column is from 0 to {MAX_COLS - 1}, not {col}.")
                raise ValueError(f"Row {n}: columns ascend, but {col} comes after {last}.")
            last = col
            s = attrs.get(style)
            if s is None:
                raise ValueError(f"Row {n}: no style {style!r} in this workbook.")
            ref = (letters[col] if col < 702 else column_letters(col)) + n
            kind = type(value)
            if kind is str or isinstance(value, str):
                if kind is not str:  # a subclass (Markup, say): its own text, as plain text
                    value = str.__str__(value)  # type: ignore[arg-type]
                text = texts.get(value)  # type: ignore[arg-type]
                if text is None:
                    text = texts[value] = xml_text(value)  # type: ignore[index,arg-type]
                append(f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">'
                       f"{text}</t></is></c>")
            elif kind is Formula:
                append(f'<c r="{ref}"{s}><f>{xml(value.text)}</f>'  # type: ignore[union-attr]
                       f"<v>{number_text(value.value)}</v></c>")  # type: ignore[union-attr]
            else:
                append(f'<c r="{ref}"{s}><v>{number_text(value)}</v></c>')  # type: ignore[arg-type]
        append("</row>")
        self._rows[row] = "".join(parts)
        if cells[0][0] < self._first_col:
            self._first_col = cells[0][0]
        if last > self._last_col:
            self._last_col = last

    def rows_xml(self, first: int, count: int, xml: bytes,
                 cols: tuple[int, int] | None = None) -> None:
        """Rows `first` to `first + count - 1` (0-based) as finished `<row r="..">` elements
        (UTF-8), their cells in the shapes of `string_cell_xml`, `number_cell_xml` and
        `formula_cell_xml`. No row may be given both here and by `row`. `cols`: the first and
        last column (0-based) the rows' cells are in, if known; else they are read from the
        XML (for the sheet's dimension), which takes about 0.1 ms per 1,000 cells."""
        if count < 1 or first < 0 or first + count > MAX_ROWS:
            raise ValueError(f"Rows {first} to {first + count - 1} are not rows of a sheet.")
        last = first + count - 1
        if not xml.startswith(f'<row r="{first + 1}"'.encode()) or xml.count(b"<row ") != count:
            raise ValueError(f"The XML is not {count} <row> elements from row {first + 1} on.")
        if any(first <= row <= last for row in self._rows) or any(
                first <= b_last and b_first <= last for b_first, b_last, _ in self._blocks):
            raise ValueError(f"Rows {first + 1} to {last + 1} of sheet {self.name!r} overlap "
                             "rows written already.")
        if cols is not None:
            if not 0 <= cols[0] <= cols[1] < MAX_COLS:
                raise ValueError(f"Not columns of a sheet: {cols}.")
            found = list(cols)
        else:
            found = [column_index(letters) for letters in set(_CELL_COLUMN.findall(xml))]
        self._blocks.append((first, last, xml))
        if found:
            self._first_col = min(self._first_col, *found)
            self._last_col = max(self._last_col, *found)

    def _in_block(self, row: int) -> bool:
        return any(first <= row <= last for first, last, _ in self._blocks)

    def widths(self, widths: Sequence[float]) -> None:
        """Column widths from column A on, in Excel's character units (as Excel shows them)."""
        if len(widths) > MAX_COLS:
            raise ValueError(f"A sheet has {MAX_COLS} columns, not {len(widths)}.")
        for width in widths:
            if not (isinstance(width, int | float) and 0 <= width <= 255):
                raise ValueError(f"A column width is from 0 to 255, not {width!r}.")
        self._widths = tuple(widths)

    def freeze(self, row: int, col: int = 0) -> None:
        """Freeze the rows above `row` and the columns left of `col` (0, 0: nothing frozen)."""
        if not (0 <= row < MAX_ROWS and 0 <= col < MAX_COLS):
            raise ValueError(f"No cell at row {row}, column {col} to freeze the pane at.")
        self._freeze = (row, col)

    def link(self, row: int, col: int, target: str) -> None:
        """Make the cell at (row, col) a link to `target`, a file beside the workbook given by
        a relative path of plain names (letters, digits, '.', '_', '-', '~'; none starting with
        a dot): an external link, opened relative to the workbook."""
        if not is_link_target(target):
            raise ValueError(f"A link goes to a relative path of plain names, not {target!r}.")
        self._links[cell_ref(col, row)] = target

    def autofilter(self, first_row: int, first_col: int, last_row: int, last_col: int) -> None:
        """A filter on the area, its header row `first_row`."""
        if not (0 <= first_row <= last_row < MAX_ROWS and 0 <= first_col <= last_col < MAX_COLS):
            raise ValueError(f"Not an area of a sheet: rows {first_row} to {last_row}, "
                             f"columns {first_col} to {last_col}.")
        self._filter = (first_row, first_col, last_row, last_col)

    # --- its XML ---

    def _dimension(self) -> str:
        rows = list(self._rows)
        rows += [b[0] for b in self._blocks] + [b[1] for b in self._blocks]
        if not rows or self._last_col < 0:
            return "A1"
        first = f"{column_letters(self._first_col)}{min(rows) + 1}"
        last = f"{column_letters(self._last_col)}{max(rows) + 1}"
        return first if first == last else f"{first}:{last}"

    def _view(self, selected: bool) -> str:
        tab = ' tabSelected="1"' if selected else ""
        row, col = self._freeze
        if not row and not col:
            return f'<sheetViews><sheetView{tab} workbookViewId="0"/></sheetViews>'
        top_left = cell_ref(col, row)
        if row and col:
            pane = (f'<pane xSplit="{col}" ySplit="{row}" topLeftCell="{top_left}" '
                    'activePane="bottomRight" state="frozen"/>'
                    f'<selection pane="topRight" activeCell="{cell_ref(col, 0)}" '
                    f'sqref="{cell_ref(col, 0)}"/>'
                    f'<selection pane="bottomLeft" activeCell="{cell_ref(0, row)}" '
                    f'sqref="{cell_ref(0, row)}"/>'
                    f'<selection pane="bottomRight" activeCell="{top_left}" '
                    f'sqref="{top_left}"/>')
        elif row:
            pane = (f'<pane ySplit="{row}" topLeftCell="{top_left}" activePane="bottomLeft" '
                    f'state="frozen"/><selection pane="bottomLeft" activeCell="{top_left}" '
                    f'sqref="{top_left}"/>')
        else:
            pane = (f'<pane xSplit="{col}" topLeftCell="{top_left}" activePane="topRight" '
                    f'state="frozen"/><selection pane="topRight" activeCell="{top_left}" '
                    f'sqref="{top_left}"/>')
        return f'<sheetViews><sheetView{tab} workbookViewId="0">{pane}</sheetView></sheetViews>'

    def _cols(self) -> str:
        if not self._widths:
            return ""
        cols = []
        for col, width in enumerate(self._widths, start=1):
            if width == 0:
                cols.append(f'<col min="{col}" max="{col}" width="0" hidden="1" '
                            'customWidth="1"/>')
            else:
                cols.append(f'<col min="{col}" max="{col}" width="{_stored_width(width)!r}" '
                            'customWidth="1"/>')
        return f"<cols>{''.join(cols)}</cols>"

    def _xml(self, selected: bool) -> bytes:
        head = (f'{_DECLARATION}<worksheet xmlns="{_NS_MAIN}" xmlns:r="{_NS_R}">'
                f'<dimension ref="{self._dimension()}"/>{self._view(selected)}'
                f'<sheetFormatPr defaultRowHeight="15"/>{self._cols()}')
        filtered = ""
        if self._filter is not None:
            first_row, first_col, last_row, last_col = self._filter
            filtered = (f'<autoFilter ref="{cell_ref(first_col, first_row)}:'
                        f'{cell_ref(last_col, last_row)}"/>')
        links = "".join(f'<hyperlink ref="{ref}" r:id="rId{i}"/>'
                        for i, ref in enumerate(self._links, start=1))
        if links:
            links = f"<hyperlinks>{links}</hyperlinks>"
        tail = (f"{filtered}{links}<pageMargins left=\"0.7\" right=\"0.7\" top=\"0.75\" "
                'bottom="0.75" header="0.3" footer="0.3"/></worksheet>')
        rows = self._rows
        if not rows and not self._blocks:
            return f"{head}<sheetData/>{tail}".encode()
        if not self._blocks:
            text = "".join([rows[r] for r in sorted(rows)])
            return f"{head}<sheetData>{text}</sheetData>{tail}".encode()
        # rows made here (text) and blocks made elsewhere (bytes), in row order
        chunks: list[bytes] = []
        pending = [head, "<sheetData>"]
        blocks = sorted(self._blocks)
        b = 0
        for r in sorted(rows):
            while b < len(blocks) and blocks[b][0] < r:
                chunks.append("".join(pending).encode())
                chunks.append(blocks[b][2])
                pending = []
                b += 1
            pending.append(rows[r])
        for block in blocks[b:]:
            chunks.append("".join(pending).encode())
            chunks.append(block[2])
            pending = []
        pending += ["</sheetData>", tail]
        chunks.append("".join(pending).encode())
        return b"".join(chunks)


    def _rels(self) -> str | None:
        """The sheet's relationships: one external hyperlink per link, in order."""
        if not self._links:
            return None
        rels = "".join(
            f'<Relationship Id="rId{i}" Type="{_NS_R}/hyperlink" '
            f'Target="{xml_attribute(quote(target))}" TargetMode="External"/>'
            for i, target in enumerate(self._links.values(), start=1))
        return f'{_DECLARATION}<Relationships xmlns="{_NS_REL}">{rels}</Relationships>'


_CELL_COLUMN = re.compile(rb'<c r="([A-Z]+)')
_LINK_PART = re.compile(r"[A-Za-z0-9_~-][A-Za-z0-9._~-]*")


def is_link_target(target: str) -> bool:
    """A relative path of plain names: what `Sheet.link` links to."""
    return isinstance(target, str) and 0 < len(target) <= 2000 and all(
        _LINK_PART.fullmatch(part) for part in target.split("/"))


def _stored_width(width: float) -> float:
    """A width as Excel shows it (characters of the default font) -> as the file stores it
    (with the cell's padding), as Excel itself converts it."""
    if width < 1:
        pixels = int(width * (_MAX_DIGIT_WIDTH + _PADDING) + 0.5)
    else:
        pixels = int(width * _MAX_DIGIT_WIDTH + 0.5) + _PADDING
    return int(pixels / _MAX_DIGIT_WIDTH * 256) / 256


# --- the fixed parts ---------------------------------------------------------------------------

_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_NS_CORE = "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
_NS_APP = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
_NS_VT = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
_CT = "application/vnd.openxmlformats-officedocument."

_ROOT_RELS = (
    f'{_DECLARATION}<Relationships xmlns="{_NS_REL}">'
    f'<Relationship Id="rId1" Type="{_NS_R}/officeDocument" Target="xl/workbook.xml"/>'
    f'<Relationship Id="rId2" Type="{_NS_REL}/metadata/core-properties" '
    'Target="docProps/core.xml"/>'
    f'<Relationship Id="rId3" Type="{_NS_R}/extended-properties" Target="docProps/app.xml"/>'
    "</Relationships>")


def _content_types(sheets: int) -> str:
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
        f'ContentType="{_CT}spreadsheetml.worksheet+xml"/>' for i in range(1, sheets + 1))
    return (
        f'{_DECLARATION}<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/docProps/app.xml" ContentType="{_CT}extended-properties+xml"/>'
        '<Override PartName="/docProps/core.xml" '
        'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{_CT}spreadsheetml.styles+xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}spreadsheetml.sheet.main+xml"/>'
        f"{overrides}</Types>")


def _workbook_rels(sheets: int) -> str:
    rels = "".join(
        f'<Relationship Id="rId{i}" Type="{_NS_R}/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, sheets + 1))
    return (f'{_DECLARATION}<Relationships xmlns="{_NS_REL}">{rels}'
            f'<Relationship Id="rId{sheets + 1}" Type="{_NS_R}/styles" Target="styles.xml"/>'
            "</Relationships>")


def _size_text(size: float) -> str:
    return f"{size:g}"


def _styles_xml(styles: list[Style]) -> str:
    """The style table: each style's number format, font, fill and border, deduplicated, in
    order of first use; cellXfs in the order of `styles` (the first is the default)."""
    formats: dict[str, int] = {}
    fonts: dict[tuple[bool, float | None, str | None, bool], int] = {
        (False, None, None, False): 0}
    fills: dict[str | None, int] = {None: 0}  # 1 is gray125, which Excel requires
    xfs = []
    for style in styles:
        code = style.num_format
        if code is None:
            fmt = 0
        else:
            fmt = _BUILTIN_FORMATS.get(code, -1)
            if fmt < 0:
                fmt = formats.setdefault(code, _FIRST_CUSTOM_FORMAT + len(formats))
        font = fonts.setdefault((style.bold, style.font_size, style.font_color,
                                 style.underline), len(fonts))
        fill = fills.get(style.bg_color)
        if fill is None:
            fill = fills[style.bg_color] = len(fills) + 1
        border = 1 if style.border else 0
        attrs = f'numFmtId="{fmt}" fontId="{font}" fillId="{fill}" borderId="{border}" xfId="0"'
        if fmt:
            attrs += ' applyNumberFormat="1"'
        if font:
            attrs += ' applyFont="1"'
        if fill:
            attrs += ' applyFill="1"'
        if border:
            attrs += ' applyBorder="1"'
        align = ""
        if style.valign is not None:
            align += f' vertical="{style.valign}"'
        if style.text_wrap:
            align += ' wrapText="1"'
        if align:
            xfs.append(f'<xf {attrs} applyAlignment="1"><alignment{align}/></xf>')
        else:
            xfs.append(f"<xf {attrs}/>")

    num_fmts = "".join(f'<numFmt numFmtId="{i}" formatCode="{xml_attribute(code)}"/>'
                       for code, i in formats.items())
    font_xml = []
    for bold, size, color, underline in fonts:
        font_xml.append(
            "<font>" + ("<b/>" if bold else "") + ("<u/>" if underline else "")
            + f'<sz val="{_size_text(11 if size is None else size)}"/>'
            + (f'<color rgb="FF{color[1:]}"/>' if color else "")
            + '<name val="Calibri"/><family val="2"/></font>')
    fill_xml = ['<fill><patternFill patternType="none"/></fill>',
                '<fill><patternFill patternType="gray125"/></fill>']
    fill_xml += [f'<fill><patternFill patternType="solid"><fgColor rgb="FF{color[1:]}"/>'
                 '<bgColor indexed="64"/></patternFill></fill>'
                 for color in fills if color is not None]
    thin = "".join(f'<{side} style="thin"><color auto="1"/></{side}>'
                   for side in ("left", "right", "top", "bottom"))
    return (
        f'{_DECLARATION}<styleSheet xmlns="{_NS_MAIN}">'
        + (f'<numFmts count="{len(formats)}">{num_fmts}</numFmts>' if formats else "")
        + f'<fonts count="{len(fonts)}">{"".join(font_xml)}</fonts>'
        + f'<fills count="{len(fill_xml)}">{"".join(fill_xml)}</fills>'
        + '<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>'
        + f"<border>{thin}<diagonal/></border></borders>"
        + '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        + f'</cellStyleXfs><cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
        + '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        + '<dxfs count="0"/><tableStyles count="0"/></styleSheet>')
