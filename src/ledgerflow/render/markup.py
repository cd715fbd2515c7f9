"""Every statement line as finished markup, built set-based in DuckDB for a batch of payers.

A month's statements carry about a million lines. Laid out one by one, each line costs a
template engine some 50 µs (escaping, formatting, attribute lookups) and the Excel writer as
much again; DuckDB lays out all of them at once, on every core, from the `lf_lines` table. Per
payer it gives the `<tr>` rows of the HTML lines table and the `<row>` elements of the Excel
lines sheet; the templates and the workbook writer wrap them.

The markup is the same as the line-by-line path writes (`_lines.html`'s loop, `excel.py`'s
`put_row`): tests compare both on the sample and on hand-made lines. The words, money shapes,
dates and Excel styles are taken from the same functions that path uses, so the two cannot
drift: amounts follow `formatting._money_shape` (babel's layout), dates `format_date`, words
`labels`, style indexes `excel.line_styles`. Text from input files is escaped here, in SQL,
as markupsafe escapes it for HTML and as XlsxWriter escapes it for Excel; in the workbook it
is always an inline string cell, never a formula.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal

import duckdb
import numpy as np
import pyarrow as pa
from markupsafe import escape

from ledgerflow.render.excel import LINE_COLUMNS, line_styles
from ledgerflow.render.formatting import _money_shape, format_date, format_number
from ledgerflow.render.labels import labels
from ledgerflow.render.model import KIND_ORDER
from ledgerflow.rules.consolidate import STATEMENT_LINE_COLUMNS

__all__ = ["LineMarkup", "line_digests", "line_markup"]


@dataclass(frozen=True)
class LineMarkup:
    """One payer's lines, laid out."""

    html: bytes  # UTF-8: the <tr> rows of the lines table, each ending in a newline
    xml: bytes  # UTF-8: the <row> elements of the Excel lines sheet (rows 2 to count + 1)
    count: int
    total: Decimal  # the sum of the lines' amounts in the payer's currency


def line_digests(connection: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Per payer key, a digest of every field of its lines in `lf_lines` and of their places:
    what its statement's lines are, told without laying them out. Each line's MD5 (over its
    place and fields) is combined by XOR, so the aggregate holds 128 bits per payer whatever
    the number of lines, and any changed, added or moved line changes it."""
    fields = ", ".join(f"{name}::VARCHAR" for name in ("line_no", *STATEMENT_LINE_COLUMNS))
    rows = connection.execute(f"""
        SELECT payer_key, count(*), bit_xor(md5_number_upper(line)),
            bit_xor(md5_number_lower(line))
        FROM (SELECT payer_key, to_json(list_value({fields}))::VARCHAR AS line FROM lf_lines)
        GROUP BY payer_key""").fetchall()
    return {payer: f"{count}:{upper:016x}{lower:016x}" for payer, count, upper, lower in rows}


def line_markup(connection: duckdb.DuckDBPyConnection, locale: str,
                payer_currency: dict[str, str], payers: list[str],
                outputs: tuple[str, ...] = ("html", "xlsx"),
                ) -> dict[str, LineMarkup] | None:
    """The markup of the lines of these payers (keys) for `outputs` (the other's is left
    empty), or None when some currency's money layout cannot be read off babel (the
    line-by-line path then renders everything)."""
    connection.execute("CREATE OR REPLACE TEMP TABLE lf_batch AS SELECT unnest($1::VARCHAR[]) "
                       "AS payer_key, unnest($2::VARCHAR[]) AS payer_currency",
                       [payers, [payer_currency[k] for k in payers]])
    shapes = _shapes(connection, locale)
    if shapes is None:
        return None
    _table(connection, "lf_shapes", {"currency": "VARCHAR", "places": "INTEGER",
                                     "signed": "BOOLEAN", "pp": "VARCHAR", "ps": "VARCHAR",
                                     "np": "VARCHAR", "ns": "VARCHAR", "grp": "VARCHAR",
                                     "dec": "VARCHAR"}, shapes)
    days = connection.execute(f"SELECT DISTINCT date FROM lf_lines WHERE {_IN_BATCH}"
                              ).fetchall()
    _table(connection, "lf_days", {"date": "DATE", "html": "VARCHAR"},
           [(d, str(escape(format_date(d, locale)))) for (d,) in days])
    _macros(connection, locale)
    # One row per line, put in order by Arrow (no sort of the markup in the database), then
    # joined per payer: consecutive rows, as `seq` orders lines by payer first.
    table = connection.sql(_query(locale, outputs)).to_arrow_table().sort_by("seq")
    totals = connection.execute(
        "SELECT payer_key, count(*)::INTEGER, sum(amount_payer) FROM lf_lines "
        f"WHERE {_IN_BATCH} GROUP BY payer_key").fetchall()
    if table.num_rows != sum(count for _, count, _ in totals):
        # a line lost in a join would be missing from its statement
        raise RuntimeError(f"{table.num_rows} of {sum(c for _, c, _ in totals)} statement "
                           f"lines were laid out for {len(payers)} payers.")
    payers = table.column("payer_key").to_pylist()
    html = _Utf8(table.column("html").combine_chunks())
    xml = _Utf8(table.column("xml").combine_chunks())
    starts: dict[str, int] = {}
    for i, payer in enumerate(payers):
        starts.setdefault(payer, i)
    markup: dict[str, LineMarkup] = {}
    for payer, count, total in totals:
        start = starts[payer]
        markup[payer] = LineMarkup(html.join(start, count), xml.join(start, count), count,
                                   total)
    return markup


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


_IN_BATCH = "payer_key IN (SELECT payer_key FROM lf_batch)"


def _table(connection: duckdb.DuckDBPyConnection, name: str, columns: dict[str, str],
           rows: list[tuple[object, ...]]) -> None:
    """A temporary table of these rows, in one statement (one INSERT per row is slow)."""
    selects = ", ".join(f"unnest(${i + 1}::{kind}[]) AS {column}"
                        for i, (column, kind) in enumerate(columns.items()))
    values = [list(column) for column in zip(*rows, strict=True)] if rows else \
        [[] for _ in columns]
    connection.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {selects}", values)


def _shapes(connection: duckdb.DuckDBPyConnection,
            locale: str) -> list[tuple[object, ...]] | None:
    """The money layouts the batch needs: each line currency at its digits, each payer
    currency at the payer's digits, plain and signed."""
    wanted = connection.execute(f"""
        SELECT DISTINCT currency, line_digits, false FROM lf_lines WHERE {_IN_BATCH}
        UNION SELECT DISTINCT p.payer_currency, l.payer_digits, s.signed
        FROM (SELECT DISTINCT payer_key, payer_digits FROM lf_lines WHERE {_IN_BATCH}) l
        JOIN lf_batch p USING (payer_key)
        CROSS JOIN (VALUES (false), (true)) s(signed)""").fetchall()
    shapes: list[tuple[object, ...]] = []
    for currency, places, signed in sorted(wanted):
        shape = _money_shape(currency, locale, places, signed)
        if shape is None:
            return None
        shapes.append((currency, places, signed, *(str(escape(part)) for part in shape)))
    return shapes


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _html_word(text: str) -> str:
    """A label as an SQL literal of its escaped HTML."""
    return _literal(str(escape(text)))


def _number_symbols(locale: str) -> tuple[str, str]:
    """The group and decimal symbols `format_number` writes (rates, units)."""
    probe = format_number(Decimal("1234567.5"), locale)
    return probe[1:-8], probe[-2:-1]


def _xml_text_sql() -> str:
    """SQL of a text `x` cut to Excel's 32,767 characters and escaped as XlsxWriter escapes a
    string: an existing `_xHHHH_` gets its underscore escaped, then `&`, `<` and `>` their
    entities. (Control characters, which XlsxWriter writes as `_xHHHH_`, never get here:
    validation refuses text that has them.) Each step first checks whether it has anything
    to do, as most texts need neither."""
    text = "left(x, 32767)"
    text = (f"CASE WHEN contains({text}, '_x') THEN regexp_replace({text}, "
            rf"'(_x[0-9a-fA-F]{{4}}_)', '_x005F\1', 'g') ELSE {text} END")
    return f"lf_xml_entities({text})"


_HTML_ESCAPE = (r"""CASE WHEN regexp_matches(x, '[&<>"'']') THEN """
                "replace(replace(replace(replace(replace(x, '&', '&amp;'), '<', '&lt;'), "
                """'>', '&gt;'), '"', '&#34;'), '''', '&#39;') ELSE x END""")


def _macros(connection: duckdb.DuckDBPyConnection, locale: str) -> None:
    group, decimal = (_literal(s) for s in _number_symbols(locale))
    xml_text = _xml_text_sql()
    connection.execute(f"""
        CREATE OR REPLACE TEMP MACRO lf_html(x) AS {_HTML_ESCAPE};
        CREATE OR REPLACE TEMP MACRO lf_xml_entities(y) AS
            CASE WHEN regexp_matches(y, '[&<>]') THEN replace(replace(replace(
                y, '&', '&amp;'), '<', '&lt;'), '>', '&gt;') ELSE y END;
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
        CREATE OR REPLACE TEMP MACRO lf_text_cell(col, n, x) AS concat(
            '<c r="', col, n, '" t="inlineStr"><is><t xml:space="preserve">', {xml_text},
            '</t></is></c>');
        CREATE OR REPLACE TEMP MACRO lf_number_cell(col, n, v, style) AS concat(
            '<c r="', col, n, '"', CASE WHEN style IS NOT NULL THEN concat(' s="', style, '"')
                                        ELSE '' END, '><v>', v, '</v></c>');
    """)


def _fields(shape: str) -> str:
    return ", ".join(f"{shape}.{f}" for f in ("pp", "ps", "np", "ns", "grp", "dec"))


_LETTER = {name: chr(ord("A") + i) for i, name in enumerate(LINE_COLUMNS)}


def _concat(*parts: str) -> str:
    """SQL concatenating the parts at once (a chain of `||` copies the row again each time)."""
    return "concat(" + ", ".join(parts) + ")"


def _when(condition: str, *parts: str) -> str:
    return f"CASE WHEN {condition} THEN {_concat(*parts)} ELSE '' END"


def _html_row(locale: str) -> str:
    """SQL of a line's `<tr>`, as `_lines.html` writes it line by line."""
    words = labels(locale)
    kind = "CASE kind " + " ".join(
        f"WHEN {_literal(k)} THEN {_html_word(words[k])}" for k in KIND_ORDER) + \
        " ELSE lf_html(kind) END"

    def detail(field: str) -> str:
        return _when(f"{field} IS NOT NULL", _literal("            <span>"),
                     _html_word(words[field]),
                     _literal(f': <span data-field="{field}">'), f"{field}_html",
                     _literal("</span></span>\n"))

    lit = _literal
    return _concat(
        lit('      <tr class="line kind-'), "lf_html(kind)", lit('" data-line-id="'),
        "line_id_html", lit('" data-kind="'), "lf_html(kind)", lit('" data-account="'),
        "account_html", lit('">\n        <td class="date" data-field="date" data-value="'),
        "strftime(date, '%Y-%m-%d')", lit('">'), "date_html",
        lit('</td>\n        <td class="kind">\n          <span data-field="kind">'), kind,
        lit('</span>\n          <span class="sub mono" data-field="line_id">'), "line_id_html",
        lit('</span>\n        </td>\n        <td class="account" data-field="account">'),
        "account_html",
        lit('</td>\n        <td class="desc">\n          <span data-field="description">'),
        "coalesce(lf_html(description), '')", lit("</span>\n"),
        _when("net IS NOT NULL OR discount IS NOT NULL OR tax IS NOT NULL",
              lit('          <span class="detail">\n'), detail("net"), detail("discount"),
              detail("tax"), lit("          </span>\n")),
        lit('          <span class="sub source" data-field="source">'), "lf_html(source_file)",
        _when("coalesce(source_sheet, '') <> ''", lit(" / "), "lf_html(source_sheet)"),
        lit(" / "), _html_word(words["row"]), lit(" "), "source_row::VARCHAR",
        lit('</span>\n        </td>\n        <td class="num">\n'
            '          <span data-field="amount" data-currency="'), "lf_html(currency)",
        lit('">'), "amount_html", lit("</span>\n"),
        _when("rate IS NOT NULL",
              lit('          <span class="sub rate" data-field="rate" data-inverse="'),
              "CASE WHEN rate_inverse THEN 'true' ELSE 'false' END", lit('">'), "rate_html",
              _when("rate_inverse", lit(' <span class="mark" data-field="rate_inverse">'),
                    _html_word(words["inverse"]), lit("</span>")),
              lit("</span>\n")),
        lit('        </td>\n        <td class="num'),
        "CASE WHEN amount_payer < 0 THEN ' neg' ELSE ' pos' END",
        lit('" data-field="amount_payer">'), "payer_html",
        lit('</td>\n        <td class="num'), "CASE WHEN balance < 0 THEN ' neg' ELSE '' END",
        lit('" data-field="balance">'), "balance_html", lit("</td>\n      </tr>\n"))


def _excel_row(locale: str) -> str:
    """SQL of a line's `<row>` on the lines sheet, as `excel._write_lines` writes it: text as
    text, numbers with their formats, blank cells left out."""
    words = labels(locale)
    styles = line_styles()
    money = "[" + ", ".join(str(styles["money"][d]) for d in range(5)) + "]"
    rates = "[" + ", ".join(str(styles["rate"][p]) for p in range(7)) + "]"
    kind = "CASE kind " + " ".join(
        f"WHEN {_literal(k)} THEN {_literal(words[k])}" for k in KIND_ORDER) + " ELSE kind END"

    def text(column: str, value: str) -> str:
        return f"lf_text_cell('{_LETTER[column]}', n, {value})"

    def number(column: str, value: str, style: str) -> str:
        return f"lf_number_cell('{_LETTER[column]}', n, ({value})::VARCHAR, {style})"

    def money_cell(column: str, digits: str) -> str:
        return number(column, f"{column}::DOUBLE", f"{money}[{digits} + 1]")

    def optional(column: str, cell: str) -> str:
        return f"CASE WHEN {column} IS NOT NULL THEN {cell} ELSE '' END"

    return _concat(
        f"'<row r=\"', n, '\" spans=\"1:{len(LINE_COLUMNS)}\">'",
        number("date", "date - DATE '1899-12-30'", str(styles["date"])),
        text("kind", kind), text("line_id", "line_id"), text("account", "account"),
        _when("coalesce(description, '') <> ''", text("description", "description")),
        text("currency", "currency"), money_cell("amount", "line_digits"),
        optional("net", money_cell("net", "line_digits")),
        optional("discount", money_cell("discount", "line_digits")),
        optional("tax", money_cell("tax", "line_digits")),
        optional("rate", number("rate", "rate::DOUBLE",
                                f"{rates}[length(lf_rate_fraction(rate)) + 1]")),
        optional("units", number("units", "units", str(styles["integer"]))),
        _when("rate_inverse", text("inverse_rate", _literal(words["inverse"]))),
        money_cell("amount_payer", "payer_digits"), money_cell("balance", "payer_digits"),
        text("source", "source_file"), text("sheet", "coalesce(source_sheet, '')"),
        number("row", "source_row", "NULL"), "'</row>'")


@functools.lru_cache(maxsize=16)  # the same SQL for every batch of a run
def _query(locale: str, outputs: tuple[str, ...]) -> str:
    html = _html_row(locale) if "html" in outputs else "''"
    xml = _excel_row(locale) if "xlsx" in outputs else "''"
    sl, sp, ss = _fields("sl"), _fields("sp"), _fields("ss")
    return f"""
    WITH l AS (
        SELECT l.*, p.payer_currency, d.html AS date_html,
            (l.line_no + 1)::VARCHAR AS n,
            lf_html(l.line_id) AS line_id_html, lf_html(l.account) AS account_html,
            lf_money(l.amount, l.line_digits, {sl}) AS amount_html,
            lf_money(l.net, l.line_digits, {sl}) AS net_html,
            lf_money(l.discount, l.line_digits, {sl}) AS discount_html,
            lf_money(l.tax, l.line_digits, {sl}) AS tax_html,
            CASE WHEN l.amount_payer = 0 THEN lf_money(l.amount_payer, l.payer_digits, {sp})
                 ELSE lf_money(l.amount_payer, l.payer_digits, {ss}) END AS payer_html,
            lf_money(l.balance, l.payer_digits, {sp}) AS balance_html,
            CASE WHEN l.rate IS NOT NULL THEN concat(
                lf_count(coalesce(l.units, 1)), ' ',
                lf_html(CASE WHEN l.rate_inverse THEN p.payer_currency ELSE l.currency END),
                ' = ', lf_rate_text(l.rate), ' ',
                lf_html(CASE WHEN l.rate_inverse THEN l.currency ELSE p.payer_currency END))
            END AS rate_html
        FROM lf_lines l
        JOIN lf_batch p USING (payer_key)
        JOIN lf_days d USING (date)
        JOIN lf_shapes sl ON sl.currency = l.currency AND sl.places = l.line_digits
             AND NOT sl.signed
        JOIN lf_shapes sp ON sp.currency = p.payer_currency AND sp.places = l.payer_digits
             AND NOT sp.signed
        JOIN lf_shapes ss ON ss.currency = p.payer_currency AND ss.places = l.payer_digits
             AND ss.signed)
    SELECT payer_key, seq, {html} AS html, {xml} AS xml FROM l
    """
