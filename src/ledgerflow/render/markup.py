"""A batch of statement lines laid out at once in DuckDB, as `render.layout` describes them.

A month's statements carry about a million lines. Laid out one by one, each line costs a
template engine some 50 µs and an Excel writer as much again; DuckDB lays out all of a batch's
lines at once, on every core, from the Arrow table of lines the consolidation gives. Per payer
it gives the `<tr>` rows of the page's lines table and the `<row>` elements of the workbook's
lines sheet; the templates and the workbook writer wrap them.

The SQL is generated from the layout: one expression per format and target (below), one cell
per field. Words come from `labels`, dates from `format_date`, money from babel's layout read
off by `formatting._money_shape`, text is escaped by `escape`'s macros; style indexes are the
workbook's (`excel.line_styles`). Text from input files is always an inline string cell, never
a formula.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from ledgerflow.render.build import lines_table
from ledgerflow.render.escape import html as html_text
from ledgerflow.render.escape import invisible_sql, sql_macros, visible
from ledgerflow.render.formatting import _money_shape, format_date, format_number, word
from ledgerflow.render.labels import labels
from ledgerflow.render.layout import LINES, Field, LineLayout
from ledgerflow.render.model import Statement
from ledgerflow.render.xlsx import cell_ref
from ledgerflow.values.dates import EXCEL_EPOCH

__all__ = ["LineMarkup", "line_markup", "statement_markup"]

_LINES = "lf_render_lines"  # the batch's lines, an Arrow table registered under this name


@dataclass(frozen=True)
class LineMarkup:
    """One payer's lines, laid out."""

    html: bytes  # UTF-8: the <tr> rows of the lines table, each ending in a newline
    xml: bytes  # UTF-8: the <row> elements of the Excel lines sheet (from the layout's
    # `first_line_row` on)
    count: int
    total: Decimal  # the sum of the lines' amounts in the payer's currency
    csv: bytes = b""  # UTF-8: the lines as CSV records (see `csv_header`), for the PDF


def csv_header(layout: LineLayout = LINES) -> bytes:
    """The header of the lines' CSV: one column per field, named by its key."""
    return (",".join(f.key for f in layout.fields) + "\r\n").encode()


def line_markup(connection: duckdb.DuckDBPyConnection, lines: pa.Table, locale: str,
                payer_currency: dict[str, str], styles: dict[str, Any],
                outputs: tuple[str, ...] = ("html", "xlsx"),
                layout: LineLayout = LINES) -> dict[str, LineMarkup]:
    """The markup of `lines` (the consolidation's lines of some payers, in order; see
    `rules.consolidate.LINE_COLUMNS`) per payer key, for `outputs` (the other's is left
    empty); `styles`: the workbook's style indexes (`excel.line_styles`)."""
    connection.register(_LINES, lines)
    try:
        return _laid_out(connection, lines.schema, locale, payer_currency, styles, outputs,
                         layout)
    finally:
        connection.unregister(_LINES)


def _laid_out(connection: duckdb.DuckDBPyConnection, lines_schema: pa.Schema, locale: str,
              payer_currency: dict[str, str], styles: dict[str, Any],
              outputs: tuple[str, ...], layout: LineLayout) -> dict[str, LineMarkup]:
    payers = [p for (p,) in connection.execute(
        f"SELECT DISTINCT payer_key FROM {_LINES}").fetchall()]
    connection.execute("CREATE OR REPLACE TEMP TABLE lf_batch AS SELECT unnest($1::VARCHAR[]) "
                       "AS payer_key, unnest($2::VARCHAR[]) AS payer_currency",
                       [payers, [payer_currency[k] for k in payers]])
    _table(connection, "lf_shapes", {"currency": "VARCHAR", "places": "INTEGER",
                                     "signed": "BOOLEAN", "pp": "VARCHAR", "ps": "VARCHAR",
                                     "np": "VARCHAR", "ns": "VARCHAR", "grp": "VARCHAR",
                                     "dec": "VARCHAR"}, _shapes(connection, locale))
    dates = [f.value for f in layout.fields if f.format == "date"]
    days = {d for value in dates for (d,) in connection.execute(
        f"SELECT DISTINCT {value} FROM {_LINES} WHERE {value} IS NOT NULL").fetchall()}
    _table(connection, "lf_days", {"date": "DATE", "html": "VARCHAR"},
           [(d, str(html_text(format_date(d, locale)))) for d in sorted(days)])
    words = {f.key: sorted(v for (v,) in connection.execute(
        f"SELECT DISTINCT {f.value} FROM {_LINES} WHERE {f.value} IS NOT NULL").fetchall())
        for f in layout.fields if f.format == "word"}
    _macros(connection, locale)
    texts = (*(field.name for field in lines_schema if field.name != "payer_key" and (
        pa.types.is_string(field.type) or pa.types.is_large_string(field.type))),
        "payer_currency")
    query = _query(locale, outputs, layout, _frozen(styles),
                   tuple((k, tuple(v)) for k, v in sorted(words.items())), texts)
    # One row per line, put in order by Arrow (no sort of the markup in the database), then
    # joined per payer: consecutive rows.
    table = connection.sql(query).to_arrow_table().sort_by(
        [("payer_key", "ascending"), ("line_no", "ascending")])
    totals = connection.execute(
        f"SELECT payer_key, count(*)::INTEGER, sum(amount_payer) FROM {_LINES} "
        "GROUP BY payer_key").fetchall()
    if table.num_rows != sum(count for _, count, _ in totals):
        # a line lost in a join would be missing from its statement
        raise RuntimeError(f"{table.num_rows} of {sum(c for _, c, _ in totals)} statement "
                           f"lines were laid out for {len(payers)} payers.")
    keys = table.column("payer_key").to_pylist()
    html = _Utf8(table.column("html").combine_chunks())
    xml = _Utf8(table.column("xml").combine_chunks())
    csv = _Utf8(table.column("csv").combine_chunks())
    starts: dict[str, int] = {}
    for i, payer in enumerate(keys):
        starts.setdefault(payer, i)
    return {payer: LineMarkup(html.join(starts[payer], count), xml.join(starts[payer], count),
                              count, total, csv.join(starts[payer], count))
            for payer, count, total in totals}


_ALONE: duckdb.DuckDBPyConnection | None = None  # lays out statements given with their lines


def statement_markup(st: Statement, locale: str, outputs: tuple[str, ...],
                     layout: LineLayout = LINES,
                     styles: dict[str, Any] | None = None) -> LineMarkup:
    """The markup of one statement's own `Line` objects (a statement built by hand, or with
    `build.build_statements`), laid out as a batch of one."""
    global _ALONE
    if _ALONE is None:
        _ALONE = duckdb.connect()
    key = visible(st.payer.lower())  # as `lines_table` writes it
    if not st.lines:
        return LineMarkup(b"", b"", 0, Decimal(0), b"")
    return line_markup(_ALONE, lines_table(st), locale, {key: st.currency}, styles or {},
                       outputs, layout)[key]


class _Utf8:
    """A string column's rows joined as UTF-8 bytes straight from Arrow's buffers: a payer's
    consecutive rows are one slice of the data buffer (no Python strings made)."""

    def __init__(self, column: pa.Array) -> None:
        wide = pa.types.is_large_string(column.type)
        offsets = column.buffers()[1]
        self.offsets = np.frombuffer(offsets, dtype=np.int64 if wide else np.int32)[
            column.offset:column.offset + len(column) + 1]
        self.data = column.buffers()[2]

    def join(self, start: int, count: int) -> bytes:
        begin, end = int(self.offsets[start]), int(self.offsets[start + count])
        return self.data[begin:end].to_pybytes() if self.data is not None else b""


def _table(connection: duckdb.DuckDBPyConnection, name: str, columns: dict[str, str],
           rows: list[tuple[object, ...]]) -> None:
    """A temporary table of these rows, in one statement (one INSERT per row is slow)."""
    selects = ", ".join(f"unnest(${i + 1}::{kind}[]) AS {column}"
                        for i, (column, kind) in enumerate(columns.items()))
    values = [list(column) for column in zip(*rows, strict=True)] if rows else \
        [[] for _ in columns]
    connection.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {selects}", values)


def _shapes(connection: duckdb.DuckDBPyConnection, locale: str) -> list[tuple[object, ...]]:
    """The money layouts the batch needs: each line currency at its digits, each payer
    currency at the payer's digits, plain and signed."""
    wanted = connection.execute(f"""
        SELECT DISTINCT currency, line_digits, false FROM {_LINES}
        UNION SELECT DISTINCT p.payer_currency, l.payer_digits, s.signed
        FROM (SELECT DISTINCT payer_key, payer_digits FROM {_LINES}) l
        JOIN lf_batch p USING (payer_key)
        CROSS JOIN (VALUES (false), (true)) s(signed)""").fetchall()
    shapes: list[tuple[object, ...]] = []
    for currency, places, signed in sorted(wanted):
        shape = _money_shape(currency, locale, places, signed)
        if shape is None:  # ru and en lay money out with the probe's digits; never seen
            raise ValueError(f"babel lays out {currency} in {locale} in a way ledgerflow "
                             "cannot read")
        shapes.append((currency, places, signed, *(str(html_text(part)) for part in shape)))
    return shapes


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _html_word(text: str) -> str:
    """A label as an SQL literal of its escaped HTML."""
    return _literal(str(html_text(text)))


def _number_symbols(locale: str) -> tuple[str, str]:
    """The group and decimal symbols `format_number` writes (rates, units)."""
    probe = format_number(Decimal("1234567.5"), locale)
    return probe[1:-8], probe[-2:-1]


def _macros(connection: duckdb.DuckDBPyConnection, locale: str) -> None:
    sql_macros(connection)
    group, decimal = (_literal(s) for s in _number_symbols(locale))
    connection.execute(f"""
        CREATE OR REPLACE TEMP MACRO lf_scale(d) AS
            [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000][d + 1];
        CREATE OR REPLACE TEMP MACRO lf_grouped(i, grp) AS
            CASE WHEN i < 1000 THEN i::VARCHAR
                 WHEN i < 1000000 THEN concat((i // 1000)::VARCHAR, grp,
                                              lpad((i % 1000)::VARCHAR, 3, '0'))
                 ELSE replace(format('{{:,}}', i), ',', grp) END;
        CREATE OR REPLACE TEMP MACRO lf_money_body(u, d, grp, dec) AS concat(
            lf_grouped(u // lf_scale(d), grp),
            CASE WHEN d > 0 THEN concat(dec, lpad((u % lf_scale(d))::VARCHAR, d::INTEGER, '0'))
                 ELSE '' END);
        CREATE OR REPLACE TEMP MACRO lf_money(v, d, pp, ps, np, ns, grp, dec) AS
            CASE WHEN v < 0
                 THEN concat(np, lf_money_body((-v * lf_scale(d))::BIGINT, d, grp, dec), ns)
                 ELSE concat(pp, lf_money_body((v * lf_scale(d))::BIGINT, d, grp, dec), ps)
            END;
        CREATE OR REPLACE TEMP MACRO lf_count(n) AS lf_grouped(n, {group});
        CREATE OR REPLACE TEMP MACRO lf_rate_fraction(r) AS
            rtrim(lpad(((r * 1000000)::BIGINT % 1000000)::VARCHAR, 6, '0'), '0');
        CREATE OR REPLACE TEMP MACRO lf_rate_text(r) AS concat(lf_count(trunc(r)::BIGINT),
            CASE WHEN lf_rate_fraction(r) <> '' THEN concat({decimal}, lf_rate_fraction(r))
                 ELSE '' END);
        CREATE OR REPLACE TEMP MACRO lf_number(s) AS
            CASE WHEN contains(s, '.') THEN rtrim(rtrim(s, '0'), '.') ELSE s END;
        CREATE OR REPLACE TEMP MACRO lf_text_cell(ref, x) AS concat(
            '<c r="', ref, '" t="inlineStr"><is><t xml:space="preserve">', lf_xml(x),
            '</t></is></c>');
        CREATE OR REPLACE TEMP MACRO lf_number_cell(ref, v, style) AS concat(
            '<c r="', ref, '"', CASE WHEN style IS NOT NULL AND style <> 0
                                     THEN concat(' s="', style, '"') ELSE '' END,
            '><v>', v, '</v></c>');
    """)


def _concat(*parts: str) -> str:
    """SQL concatenating the parts at once (a chain of `||` copies the row again each time)."""
    return "concat(" + ", ".join(parts) + ")"


def _when(condition: str, *parts: str) -> str:
    return f"CASE WHEN {condition} THEN {_concat(*parts)} ELSE '' END"


def _shape(field: Field) -> str:
    """The alias of the money layout a money field uses (joined in `_query`)."""
    if field.currency == "line":
        return "sl"
    return "ss" if field.format == "signed" else "sp"


def _digits(field: Field) -> str:
    return "l.line_digits" if field.currency == "line" else "l.payer_digits"


def _shape_fields(alias: str) -> str:
    return ", ".join(f"{alias}.{f}" for f in ("pp", "ps", "np", "ns", "grp", "dec"))


def _word_case(value: str, known: tuple[str, ...], locale: str, html: bool) -> str:
    quote = _html_word if html else _literal
    whens = " ".join(f"WHEN {_literal(k)} THEN {quote(word(k, locale))}" for k in known)
    other = f"lf_html({value})" if html else value
    return f"CASE {value} {whens} ELSE {other} END" if known else other


# --- the page: a field's value as HTML, per format ---------------------------------------------


def _html_value(field: Field, locale: str, words: dict[str, tuple[str, ...]],
                date_alias: str) -> str:
    """SQL of a field's value as HTML text (NULL when the line has none)."""
    v = f"l.{field.value}"
    fmt = field.format
    if fmt == "date":
        return f"{date_alias}.html"
    if fmt == "word":
        return _word_case(v, words.get(field.key, ()), locale, html=True)
    if fmt == "text":
        return f"lf_html({v})"
    if fmt in ("money", "signed"):
        shape = _shape(field)
        if fmt == "signed":  # a zero is never signed
            plain = _shape_fields("sp")
            return (f"CASE WHEN {v} = 0 THEN lf_money({v}, {_digits(field)}, {plain}) "
                    f"ELSE lf_money({v}, {_digits(field)}, {_shape_fields(shape)}) END")
        return f"lf_money({v}, {_digits(field)}, {_shape_fields(shape)})"
    if fmt == "rate":  # 1 USD = 92,5 RUB, the other way round when the rate was inverted
        inverse = _html_word(labels(locale)["inverse"])
        return f"""CASE WHEN {v} IS NOT NULL THEN concat(
            lf_count(coalesce(l.units, 1)), ' ',
            lf_html(CASE WHEN l.rate_inverse THEN l.payer_currency ELSE l.currency END),
            ' = ', lf_rate_text({v}), ' ',
            lf_html(CASE WHEN l.rate_inverse THEN l.currency ELSE l.payer_currency END),
            CASE WHEN l.rate_inverse
                 THEN concat(' <span class="mark" data-field="rate_inverse">', {inverse},
                             '</span>') ELSE '' END) END"""
    if fmt == "integer":
        return f"lf_count({v})"
    if fmt == "percent":
        return f"concat(lf_rate_text({v}), ' %')"
    if fmt == "flag":
        return f"CASE WHEN {v} THEN {_html_word(labels(locale)['inverse'])} END"
    if fmt == "source":  # file / sheet / row 7
        row = _html_word(labels(locale)["row"])
        return _concat(f"lf_html({v})", _when("coalesce(l.source_sheet, '') <> ''", "' / '",
                                              "lf_html(l.source_sheet)"),
                       f"' / ', {row}, ' ', l.source_row::VARCHAR")
    raise ValueError(f"unknown format {fmt!r} of the field {field.key!r}")


def _attributes(field: Field) -> str:
    """SQL of a field element's data attributes besides data-field."""
    if field.format == "date":
        return f"""' data-value="', strftime(l.{field.value}, '%Y-%m-%d'), '"'"""
    if field.format == "money" and field.currency == "line":
        return """' data-currency="', lf_html(l.currency), '"'"""
    if field.format == "rate":
        return """' data-inverse="', CASE WHEN l.rate_inverse THEN 'true' ELSE 'false' END, '"'"""
    return "''"


def _html_row(locale: str, layout: LineLayout, words: dict[str, tuple[str, ...]]) -> str:
    """SQL of a line's `<tr>`: one `<td>` per page cell of the layout."""
    lit = _literal
    dates = {f.key: f"d{i}" for i, f in enumerate(layout.fields) if f.format == "date"}

    def value(f: Field) -> str:
        return _html_value(f, locale, words, dates.get(f.key, ""))

    parts = [lit('      <tr class="line kind-'), "lf_html(l.kind)", lit('"')]
    for attribute, column in layout.row_data:
        parts += [lit(f' data-{attribute}="'), f"lf_html(l.{column})", lit('"')]
    parts.append(lit(">\n"))
    for cell in layout.cells:
        mine = layout.of_cell(cell.key)
        main = next(f for f in mine if f.role == "main")
        sign = ""
        if cell.signs:
            positive = "' pos'" if cell.signs == "sign" else "''"
            sign = f"CASE WHEN l.{main.value} < 0 THEN ' neg' ELSE {positive} END"
        if len(mine) == 1:
            parts += [lit(f'        <td class="{cell.css}'), sign or "''",
                      lit(f'" data-field="{main.key}"'), _attributes(main), lit(">"),
                      f"coalesce({value(main)}, '')", lit("</td>\n")]
            continue
        parts += [lit(f'        <td class="{cell.css}'), sign or "''", lit('"'),
                  _title(mine, locale, value), lit(">\n"),
                  lit(f'          <span data-field="{main.key}"'), _attributes(main), lit(">"),
                  f"coalesce({value(main)}, '')", lit("</span>\n")]
        details = [f for f in mine if f.role == "detail"]
        if details:
            shown = " OR ".join(f"l.{f.value} IS NOT NULL" for f in details)
            inner = [_when(f"l.{f.value} IS NOT NULL", lit("            <span>"),
                           _html_word(labels(locale)[f.key]),
                           lit(f': <span data-field="{f.key}">'), value(f),
                           lit("</span></span>\n")) for f in details]
            parts.append(_when(shown, lit('          <span class="detail">\n'), *inner,
                               lit("          </span>\n")))
        for f in (f for f in mine if f.role == "sub"):
            css = f"sub {f.css}".strip()
            parts.append(_when(f"l.{f.value} IS NOT NULL",
                               lit(f'          <span class="{css}" data-field="{f.key}"'),
                               _attributes(f), lit(">"), value(f), lit("</span>\n")))
        parts.append(lit("        </td>\n"))
    parts.append(lit("      </tr>\n"))
    return _concat(*parts)


def _title(fields: tuple[Field, ...], locale: str, value: Callable[[Field], str]) -> str:
    """SQL of a cell's title attribute: "label: value" of each of its `title` fields the line
    has, joined by " · " ('' when it has none)."""
    titles = [f for f in fields if f.role == "title"]
    if not titles:
        return "''"
    words = labels(locale)
    parts = ", ".join(f"CASE WHEN l.{f.value} IS NOT NULL THEN concat("
                      f"{_html_word(words[f.key])}, ': ', {value(f)}) END" for f in titles)
    return (f"coalesce(' title=\"' || nullif(concat_ws(' · ', {parts}), '') || '\"', '')")


# --- the workbook: a field's cell, per format --------------------------------------------------


def _excel_cell(field: Field, column: int, locale: str, styles: dict[str, Any],
                words: dict[str, tuple[str, ...]]) -> str:
    """SQL of a field's `<c>` on the lines sheet, or '' when the line has no value."""
    v = f"l.{field.value}"
    ref = f"concat('{cell_ref(column, 0)[:-1]}', l.n)"
    money = "[" + ", ".join(str(styles["money"][d]) for d in range(5)) + "]"

    def number(text: str, style: str) -> str:
        return f"lf_number_cell({ref}, lf_number(({text})::VARCHAR), {style})"

    def text(value: str) -> str:
        return f"lf_text_cell({ref}, {value})"

    fmt = field.format
    if fmt == "date":
        cell = number(f"{v} - DATE '{EXCEL_EPOCH.isoformat()}'", str(styles["date"]))
    elif fmt == "word":
        cell = text(_word_case(v, words.get(field.key, ()), locale, html=False))
    elif fmt in ("text", "source"):
        return _when(f"coalesce({v}, '') <> ''", text(v))
    elif fmt in ("money", "signed"):
        cell = number(v, f"{money}[{_digits(field)} + 1]")
    elif fmt in ("rate", "percent"):
        rates = "[" + ", ".join(str(styles["rate"][p]) for p in range(7)) + "]"
        cell = number(v, f"{rates}[length(lf_rate_fraction({v})) + 1]")
    elif fmt == "integer":
        cell = number(v, str(styles["integer"]) if field.styled else "NULL")
    elif fmt == "flag":
        return f"CASE WHEN {v} THEN {text(_literal(labels(locale)['inverse']))} ELSE '' END"
    else:
        raise ValueError(f"unknown format {fmt!r} of the field {field.key!r}")
    return f"CASE WHEN {v} IS NOT NULL THEN {cell} ELSE '' END"


def _excel_row(locale: str, layout: LineLayout, styles: dict[str, Any],
               words: dict[str, tuple[str, ...]]) -> str:
    """SQL of a line's `<row>` on the lines sheet: one cell per field, blank ones left out."""
    cells = [_excel_cell(f, i, locale, styles, words) for i, f in enumerate(layout.fields)]
    return _concat("'<row r=\"', l.n, '\">'", *cells, "'</row>'")


# --- the PDF's attachment: a field's raw value ----------------------------------------------


def _csv_row(layout: LineLayout) -> str:
    """SQL of a line's CSV record: each field's stored value (dates ISO, amounts exact, text
    as it is, guarded against being taken for a formula), in the layout's order."""
    values = []
    for f in layout.fields:
        v = f"l.{f.value}"
        if f.format in ("text", "source", "word"):
            values.append(f"coalesce(lf_csv({v}), '')")
        elif f.format == "date":
            values.append(f"coalesce(strftime({v}, '%Y-%m-%d'), '')")
        elif f.format == "flag":
            values.append(f"CASE WHEN {v} THEN 'true' ELSE 'false' END")
        else:
            values.append(f"coalesce({v}::VARCHAR, '')")
    return _concat(*(part for i, value in enumerate(values)
                     for part in ((value,) if i == 0 else ("','", value))), "'\r\n'")


def _frozen(styles: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple((k, tuple(sorted(v.items())) if isinstance(v, dict) else v)
                 for k, v in sorted(styles.items()))


@functools.lru_cache(maxsize=16)  # the same SQL for every batch of a run
def _query(locale: str, outputs: tuple[str, ...], layout: LineLayout,
           styles: tuple[tuple[str, Any], ...], words: tuple[tuple[str, tuple[str, ...]], ...],
           texts: tuple[str, ...]) -> str:
    style_map = {k: dict(v) if isinstance(v, tuple) else v for k, v in styles}
    known = dict(words)
    html = _html_row(locale, layout, known) if "html" in outputs else "''"
    xml = _excel_row(locale, layout, style_map, known) if "xlsx" in outputs else "''"
    csv = _csv_row(layout) if "csv" in outputs else "''"
    days = " ".join(f"LEFT JOIN lf_days d{i} ON d{i}.date = l.{f.value}"
                    for i, f in enumerate(layout.fields) if f.format == "date")
    # Text is made visible once per line (`escape.visible`, for the rare line that needs it:
    # one test of all its text at once), then each format only escapes it.
    odd = invisible_sql(f"concat({', '.join(texts)})")
    shown = ", ".join(f"CASE WHEN odd THEN lf_visible({c}) ELSE {c} END AS {c}" for c in texts)
    return f"""
    SELECT l.payer_key, l.line_no, {html} AS html, {xml} AS xml, {csv} AS csv
    FROM (SELECT * REPLACE ({shown}) FROM (
          SELECT r.*, p.payer_currency, (r.line_no + {layout.first_line_row})::VARCHAR AS n,
                 {odd} AS odd
          FROM {_LINES} r JOIN lf_batch p USING (payer_key))) l
    {days}
    JOIN lf_shapes sl ON sl.currency = l.currency AND sl.places = l.line_digits
         AND NOT sl.signed
    JOIN lf_shapes sp ON sp.currency = l.payer_currency AND sp.places = l.payer_digits
         AND NOT sp.signed
    JOIN lf_shapes ss ON ss.currency = l.payer_currency AND ss.places = l.payer_digits
         AND ss.signed
    """
