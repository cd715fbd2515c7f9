"""Text from input files made inert, one function per target: HTML text and attributes, and
the XML text of a workbook cell. Every text a statement shows that came from an input (names,
descriptions, comments, IDs, file names, sheet names) goes through here and nowhere else.

First `visible`: characters a reader cannot see and a parser may refuse are replaced by a
visible stand-in, never written raw. C0 controls other than tab and newline, and DEL, become
their Unicode control pictures (U+0000 -> ␀, U+001B -> ␛, U+007F -> ␡); C1 controls, the
non-characters U+FFFE and U+FFFF, and lone surrogates (a file name whose bytes are not UTF-8,
as Python decodes it) become `⟨U+FFFE⟩`, or `⟨0xFF⟩` for an undecodable byte. A carriage
return is shown too (␍): XML parsers turn it into a newline, so it could not be read back.

Then the target's own escaping: markupsafe for HTML (text and attributes alike: `&<>"'`), and
for a workbook cell the three XML entities plus Excel's own escape `_xHHHH_`, whose underscore
is escaped (`_x005F_xHHHH_`) so that such text in a name is shown as written. A cell holds at
most 32,767 UTF-16 units: longer text is cut there, as Excel would refuse it.

DuckDB lays out a month's lines in bulk; `sql_macros` gives it the same escaping as SQL macros.
Plain text (nearly all of it) is escaped in SQL; the rest is passed to the functions here,
registered in DuckDB, so there is one definition of what is shown. A CSV field (the lines
attached to a PDF) is quoted, and guarded against being taken for a formula.
"""

from __future__ import annotations

import contextlib
import re

import duckdb
from markupsafe import Markup, escape

__all__ = ["csv_field", "html", "invisible_sql", "sql_macros", "visible", "visible_sql", "xml",
           "xml_attribute", "xml_text"]

# What `visible` replaces. Surrogates only occur in Python text (a file name decoded with
# surrogateescape); DuckDB text is valid UTF-8 and never has them.
_INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
INVISIBLE_SQL = "[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f\\x{fffe}\\x{ffff}]"
EXCEL_LIMIT = 32_767  # UTF-16 code units in a cell
# Excel reads `_xHHHH_` in a cell's text as the character HHHH; an underscore that starts one is
# itself written `_x005F_`. Escapes may share an underscore (`_x0041_x0042_`): each is found.
_EXCEL_ESCAPE = re.compile("_(?=x[0-9a-fA-F]{4}_)")


def _stand_in(found: re.Match[str]) -> str:
    char = found.group()
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)
    if code == 0x7F:
        return "\u2421"
    if 0xDC80 <= code <= 0xDCFF:  # a byte surrogateescape could not decode
        return f"⟨0x{code - 0xDC00:02X}⟩"
    return f"⟨U+{code:04X}⟩"


def visible(text: str) -> str:
    """The text with every invisible or unparseable character replaced by a visible stand-in;
    text without them is returned as it is."""
    return _INVISIBLE.sub(_stand_in, text)


def html(text: str) -> Markup:
    """Text for an HTML page, in an element or an attribute value in quotes."""
    return escape(visible(text))


def xml(text: str) -> str:
    """Text for XML elsewhere in a workbook (a title, a sheet name, a formula)."""
    return visible(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def xml_attribute(text: str) -> str:
    """Text for an XML attribute value in double quotes."""
    return xml(text).replace('"', "&quot;")


def xml_text(text: str) -> str:
    """Text for a workbook cell's XML (`<t>` of an inline string)."""
    shown = _fit(visible(text))
    if "_x" in shown:
        shown = _EXCEL_ESCAPE.sub("_x005F_", shown)
    return xml(shown)


def csv_field(text: str) -> str:
    """Text as one quoted CSV field. Text a spreadsheet would take for a formula (it starts
    with =, +, -, @, a tab or a carriage return) gets a leading apostrophe, as spreadsheets
    themselves mark text."""
    shown = visible(text)
    if shown[:1] in _FORMULA_STARTS:
        shown = "'" + shown
    return '"' + shown.replace('"', '""') + '"'


_FORMULA_STARTS = {"=", "+", "-", "@", "\t", "\r"}


def _fit(text: str) -> str:
    """Text cut to Excel's limit of 32,767 UTF-16 code units (never inside a pair)."""
    if len(text) <= EXCEL_LIMIT // 2:
        return text
    encoded = text.encode("utf-16-le", "surrogatepass")
    if len(encoded) <= 2 * EXCEL_LIMIT:
        return text
    return encoded[:2 * EXCEL_LIMIT].decode("utf-16-le", "ignore")


def invisible_sql(expression: str) -> str:
    """SQL telling whether a text has a character `visible` replaces (NULL for NULL)."""
    return f"regexp_matches({expression}, '{INVISIBLE_SQL}')"


def visible_sql(expression: str) -> str:
    """SQL of `visible` applied to a text: in SQL the test, in Python the (rare) work."""
    return (f"CASE WHEN {invisible_sql(expression)} THEN lf_visible({expression}) "
            f"ELSE {expression} END")


def sql_macros(connection: duckdb.DuckDBPyConnection) -> None:
    """The macros `lf_html(s)`, `lf_xml(s)` and `lf_csv(s)` on this connection: as `html`,
    `xml_text` and `csv_field`, for text columns laid out in bulk (NULL stays NULL), on text
    made visible already (`visible_sql`, once for a row's many texts). Text that needs more
    than the entities (an Excel escape, text past half Excel's limit: nearly none) is handed
    to `xml_text` itself."""
    for name, function in (("lf_visible", visible), ("lf_xml_py", xml_text)):
        # registered already by an earlier batch on this connection
        with contextlib.suppress(duckdb.Error):
            connection.create_function(name, function, ["VARCHAR"], "VARCHAR",
                                       side_effects=False)
    html_sql = ("CASE WHEN regexp_matches(s, '[&<>\"'']') THEN "
                "replace(replace(replace(replace(replace(s, '&', '&amp;'), '<', '&lt;'), "
                "'>', '&gt;'), '\"', '&#34;'), '''', '&#39;') ELSE s END")
    connection.execute(f"""
        CREATE OR REPLACE TEMP MACRO lf_html(s) AS {html_sql};
        CREATE OR REPLACE TEMP MACRO lf_xml(s) AS
            CASE WHEN contains(s, '_x') OR length(s) > {EXCEL_LIMIT // 2} THEN lf_xml_py(s)
                 WHEN regexp_matches(s, '[&<>]') THEN replace(replace(replace(
                     s, '&', '&amp;'), '<', '&lt;'), '>', '&gt;')
                 ELSE s END;
        CREATE OR REPLACE TEMP MACRO lf_csv(s) AS concat('"', replace(
            CASE WHEN left(s, 1) IN ('=', '+', '-', '@', chr(9), chr(13)) THEN concat('''', s)
                 ELSE s END, '"', '""'), '"');
    """)
