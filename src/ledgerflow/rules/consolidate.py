"""Consolidation: one balance per payer, period by period, in exact integer arithmetic.

Everything is set-based SQL in DuckDB. Money moves through the engine as whole minor units of
its currency (HUGEINT), and every division is an explicit integer division with the rounding
mode of the settings (half-up by default, half-even on request), applied per line at each
discount, tax and conversion, as SPEC "discounts and taxes" prescribes. Nothing is a float.

Steps (each a temporary table):
  lf_priced   payments and expenses up to the period end, with the payer on the line's date
              (the master while the account is related) and the account's own discount and
              tax (the most specific row that matches);
  lf_rated    the payer's rate for each cross-currency line's date (own, default, inverses);
  lf_amounts  + charged, tax and total per line, every amount in the payer's currency, signed;
then the per-payer summary, the per-account breakdown and the ageing of the debt.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from ledgerflow import values
from ledgerflow.choices import Rounding
from ledgerflow.errors import LedgerflowError, Problem
from ledgerflow.i18n import _
from ledgerflow.rules.period import Period

PERCENT_ONE = 100 * 10**6  # percentages are DECIMAL(18,6): 100 % in millionths
BUCKETS = ("0-30", "31-60", "61-90", "over_90")
# Lookup order of SPEC "rates": the payer's own rate, the default, then the inverse of each.
RATE_LOOKUPS = (("ro", "own", False), ("rd", "default", False), ("io", "own", True),
                ("id", "default", True))


class ConservationError(LedgerflowError):
    """The books do not balance: a bug or a corrupted warehouse, never a user mistake."""

    exit_code = 3


@dataclass(frozen=True)
class MoneySettings:
    rounding: Rounding = "half_up"


@dataclass
class Consolidation:
    """A period's consolidation: the balances, and what the statements show, asked of it.

    Its lines, their digests and the input files behind each payer are read from the
    connection it was made on, whose working tables are this module's own: callers ask this
    object, never the tables."""

    period: Period
    payers: pd.DataFrame  # one row per payer; money as Decimal
    accounts: pd.DataFrame  # per payer, account and line currency: what it spent
    ageing: pd.DataFrame  # per payer: the four buckets
    problems: list[Problem] = field(default_factory=list)
    connection: duckdb.DuckDBPyConnection | None = field(default=None, repr=False,
                                                         compare=False)
    money: MoneySettings = field(default_factory=MoneySettings)
    _lines_made: bool = field(default=False, repr=False, compare=False)

    def _db(self) -> duckdb.DuckDBPyConnection:
        if self.connection is None:
            raise ValueError("this consolidation has no connection to ask")
        if not self._lines_made:
            _create_lines(self.connection, self.period)
            self._lines_made = True
        return self.connection

    def lines(self, payers: list[str] | None = None) -> pa.Table:
        """The statement lines of these payers (keys; all when None) as an Arrow table with
        the columns of `LINE_COLUMNS`, in printed order: by payer, then each payer's lines
        by date, file, sheet and row, `line_no` counting them from 1."""
        columns = ", ".join(LINE_COLUMNS)
        if payers is None:
            return self._db().sql(f"SELECT {columns} FROM lf_lines ORDER BY seq").to_arrow_table()
        return self._db().sql(
            f"SELECT {columns} FROM lf_lines WHERE list_contains($1, payer_key) ORDER BY seq",
            params=[payers]).to_arrow_table()

    def line_counts(self) -> dict[str, int]:
        """Per payer key, how many lines its statement has."""
        return dict(self._db().execute(
            "SELECT payer_key, count(*)::INTEGER FROM lf_lines GROUP BY payer_key").fetchall())

    def line_digests(self) -> dict[str, str]:
        """Per payer key, a digest of every field of its lines and of their places: what its
        statement's lines are, told without laying them out. Each line's MD5 (over its place
        and fields) is combined by XOR, so the aggregate holds 128 bits per payer whatever
        the number of lines, and any changed, added or moved line changes it."""
        fields = ", ".join(f"{name}::VARCHAR" for name in LINE_COLUMNS)
        rows = self._db().execute(f"""
            SELECT payer_key, count(*), bit_xor(md5_number_upper(line)),
                bit_xor(md5_number_lower(line))
            FROM (SELECT payer_key, to_json(list_value({fields}))::VARCHAR AS line
                  FROM lf_lines)
            GROUP BY payer_key""").fetchall()
        return {payer: f"{count}:{upper:016x}{lower:016x}" for payer, count, upper, lower in rows}

    def derivation(self, line_ids: list[str]) -> list[dict[str, Any]]:
        """Every payment and expense with one of these IDs (compared case-insensitively) up
        to the period's end, with each step the balances took it through, as computed: whole
        minor units of its currency (`net_minor`, `charged_minor` after the discount of `p6`
        millionths of a percent, `tax_minor` at `r6`, `total_minor`) and of the payer's
        (`total_payer`, `signed_payer`), the rate (`rate6` millionths per `units`, `inverse`,
        `rate_source`), the rows that applied (`link_ref`, `discount_ref`, `tax_ref`,
        `rate_ref`: load, file, sheet, row) and, for a line of the period, its place and
        running balance on the statement (`line_no`, `balance`; None for a line behind the
        opening balance)."""
        return self._db().sql("""
            SELECT a.source, a.line_id, a.payer AS payer_key, a.account, a.date, a.kind,
                a.currency, a.payer_currency, a.line_digits, a.payer_digits, a.amount,
                a.net_minor, a.p6, a.charged_minor, a.discount_minor, a.r6, a.tax_minor,
                a.total_minor, a.rate_source, a.rate6, a.units, a.inverse, a.total_payer,
                a.signed_payer, a.load_id, a.link_ref, a.discount_ref, a.tax_ref, a.rate_ref,
                l.line_no, l.balance
            FROM lf_amounts a LEFT JOIN lf_lines l ON l.payer_key = a.payer
                 AND l.line_id = a.line_id AND l.kind = a.kind
            WHERE list_contains($1, lower(a.line_id))
            ORDER BY a.date, a.source, a.line_id""",
            params=[[i.lower() for i in line_ids]]).to_arrow_table().to_pylist()

    def input_files(self) -> dict[str, list[str]]:
        """Per payer key, the SHA-256 of the input files its statement was built from, sorted:
        the files of its lines (the period's and the earlier ones behind the opening balance),
        of the client cards and links of its group, and the rates, discounts and taxes files.
        A new file that touches one payer changes only that payer's list."""
        rows = self._db().execute("""
            WITH line_loads AS (
                SELECT a.payer, s.load_id FROM lf_amounts a JOIN (
                    SELECT 'payment' AS source, payment_id AS line_id, load_id FROM payments
                    UNION ALL
                    SELECT 'expense', expense_id, load_id FROM expenses) s
                USING (source, line_id)),
            payers AS (SELECT DISTINCT payer FROM lf_amounts),
            group_accounts AS (
                SELECT payer, payer AS account FROM payers
                UNION SELECT lower(master_id), lower(related_id) FROM links),
            card_loads AS (
                SELECT g.payer, c.load_id FROM group_accounts g
                JOIN clients c ON c.row_key = g.account),
            link_loads AS (
                SELECT lower(master_id) AS payer, load_id FROM links
                UNION SELECT lower(related_id), load_id FROM links),
            shared AS (
                SELECT load_id FROM rates UNION SELECT load_id FROM discounts
                UNION SELECT load_id FROM taxes),
            per_payer AS (
                SELECT payer, load_id FROM line_loads
                UNION SELECT payer, load_id FROM card_loads
                UNION SELECT payer, load_id FROM link_loads
                UNION SELECT p.payer, s.load_id FROM payers p CROSS JOIN shared s)
            SELECT payer, list(DISTINCT l.sha256 ORDER BY l.sha256)
            FROM per_payer JOIN loads l USING (load_id) GROUP BY payer""").fetchall()
        return {payer: list(shas) for payer, shas in rows}


def _div_round_sql(rounding: Rounding) -> str:
    """A macro div_round(n, d): n / d rounded to a whole number, for integers n and d > 0."""
    if rounding == "half_even":
        tie = "abs(n) // d + ((abs(n) // d) % 2)"
        body = (f"CASE WHEN 2 * (abs(n) % d) > d THEN abs(n) // d + 1 "
                f"WHEN 2 * (abs(n) % d) < d THEN abs(n) // d ELSE {tie} END")
    else:  # half up, away from zero
        body = "(2 * abs(n) + d) // (2 * d)"
    return f"CREATE OR REPLACE TEMP MACRO div_round(n, d) AS sign(n) * ({body})"


def _digits_table(connection: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    codes = connection.execute(
        "SELECT currency FROM clients UNION SELECT currency FROM payments "
        "UNION SELECT currency FROM expenses").fetchall()
    rows = [(code, values.minor_digits(code)) for (code,) in codes if code]
    frame = pd.DataFrame(rows, columns=["currency", "digits"])
    frame["factor"] = [10**d for d in frame["digits"]]
    return frame


def _prepare(connection: duckdb.DuckDBPyConnection, period: Period,
             settings: MoneySettings) -> None:
    connection.execute(_div_round_sql(settings.rounding))
    _digits(connection)
    connection.execute("CREATE OR REPLACE TEMP TABLE lf_priced AS "
                       + _priced_sql(f"date <= DATE '{period.end.isoformat()}'"))
    _rate_lines(connection)
    _amounts(connection)


def _digits(connection: duckdb.DuckDBPyConnection) -> None:
    connection.register("lf_digits_frame", _digits_table(connection))
    connection.execute("CREATE OR REPLACE TEMP TABLE lf_digits AS SELECT currency, digits, "
                       "factor::BIGINT AS factor FROM lf_digits_frame")
    connection.unregister("lf_digits_frame")


def _priced_sql(within: str) -> str:
    """Each payment and expense (`within`: which) with its payer on its date, the payer's
    currency, minor digits, and the discount and tax that apply: one row per line, exactly."""
    return f"""
        WITH lines AS (
            SELECT 'payment' AS source, payment_id AS line_id, lower(client_id) AS account,
                   date, kind, currency, amount, NULL::VARCHAR AS product, load_id
            FROM payments WHERE {within}
            UNION ALL
            SELECT 'expense', expense_id, lower(client_id), date, 'expense', currency, amount,
                   lower(product_type), load_id
            FROM expenses WHERE {within}),
        links_held AS (
            SELECT lower(master_id) AS master, lower(related_id) AS related, linked_on,
                   unlinked_on, {_ROW_REF} AS ref FROM links),
        {_condition_levels()}
        SELECT l.*, coalesce(k.master, l.account) AS payer, c.currency AS payer_currency,
               dl.digits AS line_digits, dp.digits AS payer_digits, dl.factor AS line_factor,
               dp.factor AS payer_factor, (l.amount * dl.factor)::HUGEINT AS net_minor,
               CASE WHEN l.source = 'expense'
                    THEN coalesce(dcp.p6, dc.p6, 0) ELSE 0 END AS p6,
               CASE WHEN l.source = 'expense'
                    THEN coalesce(tcp.r6, tc.r6, tdp.r6, td.r6, 0) ELSE 0 END AS r6,
               k.ref AS link_ref,
               CASE WHEN l.source = 'expense' THEN coalesce(dcp.ref, dc.ref) END
                   AS discount_ref,
               CASE WHEN l.source = 'expense' THEN coalesce(tcp.ref, tc.ref, tdp.ref, td.ref) END
                   AS tax_ref
        FROM lines l
        LEFT JOIN links_held k ON k.related = l.account AND k.linked_on <= l.date
             AND (k.unlinked_on IS NULL OR l.date < k.unlinked_on)
        JOIN clients c ON c.row_key = coalesce(k.master, l.account)
        JOIN lf_digits dl ON dl.currency = l.currency
        JOIN lf_digits dp ON dp.currency = c.currency
        {_condition_joins()}"""


def lines_resolve(connection: duckdb.DuckDBPyConnection, load_ids: tuple[int, ...]) -> str | None:
    """A dry run of the line stage for the payments and expenses of these loads: each must
    resolve to exactly one priced line of one payer (the condition the conservation check puts
    on every line), by the very joins `consolidate` prices lines with. Its cost follows the
    new lines, not the warehouse. Returns what is wrong, or None."""
    ids = ", ".join(map(str, load_ids)) or "NULL"
    _digits(connection)
    [(lines, resolved, distinct)] = connection.execute(
        f"SELECT (SELECT count(*) FROM payments WHERE load_id IN ({ids})) + "
        f"(SELECT count(*) FROM expenses WHERE load_id IN ({ids})), count(*), "
        f"count(DISTINCT (source, line_id)) FROM ({_priced_sql(f'load_id IN ({ids})')})"
    ).fetchall()
    if lines == resolved == distinct:
        return None
    return (f"{lines} new transactions resolved to {resolved} payer lines ({distinct} "
            "distinct): each must land in exactly one statement")


# Discounts and taxes by specificity: one join per level (client+product, client, default+
# product, default). Rows of one level never overlap in time (validation refuses that), so each
# level matches at most one row and the most specific level present wins.
DISCOUNT_LEVELS = (("dcp", "client", "product"), ("dc", "client", None))
TAX_LEVELS = (("tcp", "client", "product"), ("tc", "client", None),
              ("tdp", None, "product"), ("td", None, None))


# Where a link, discount or tax row that shaped a line came from: its load and cell row.
_ROW_REF = ("{'load_id': load_id, 'file': source_file, 'sheet': source_sheet, "
            "'row': source_row}")


def _condition_levels() -> str:
    return ("discount_rows AS (SELECT lower(client_id) AS client, lower(product_type) AS "
            "product, valid_from, valid_to, (percent * 1000000)::HUGEINT AS p6, "
            f"{_ROW_REF} AS ref FROM discounts), "
            "tax_rows AS (SELECT lower(client_id) AS client, lower(product_type) AS product, "
            f"valid_from, valid_to, (rate_pct * 1000000)::HUGEINT AS r6, {_ROW_REF} AS ref "
            "FROM taxes)")


def _condition_joins() -> str:
    joins = []
    for table, levels in (("discount_rows", DISCOUNT_LEVELS), ("tax_rows", TAX_LEVELS)):
        for alias, client, product in levels:
            who = f"{alias}.client = l.account" if client else f"{alias}.client IS NULL"
            what = f"{alias}.product = l.product" if product else f"{alias}.product IS NULL"
            joins.append(
                f"LEFT JOIN {table} {alias} ON {who} AND {what} AND l.source = 'expense' "
                f"AND {alias}.valid_from <= l.date "
                f"AND ({alias}.valid_to IS NULL OR l.date <= {alias}.valid_to)")
    return "\n        ".join(joins)


def _rate_lines(connection: duckdb.DuckDBPyConnection) -> None:
    """The payer's rate on each cross-currency line's date: own, then default, then the
    inverse of each. Only the lines that need a rate, and only their keys, go through the
    as-of joins (narrow rows are what keeps a million lines fast)."""
    connection.execute(
        "CREATE OR REPLACE TEMP TABLE lf_rates AS SELECT lower(client_id) AS k, base_currency, "
        "currency, valid_from, (rate * 1000000)::HUGEINT AS rate6, units::HUGEINT AS units, "
        f"{_ROW_REF} AS ref FROM rates")
    joins = []
    for alias, whose, inverse in RATE_LOOKUPS:
        base, quoted = ("c.currency", "c.payer_currency") if inverse else (
            "c.payer_currency", "c.currency")
        subset = "k IS NOT NULL" if whose == "own" else "k IS NULL"
        owner = f" AND {alias}.k = c.payer" if whose == "own" else ""
        joins.append(
            f"ASOF LEFT JOIN (SELECT * FROM lf_rates WHERE {subset}) {alias} "
            f"ON {alias}.base_currency = {base} AND {alias}.currency = {quoted}{owner} "
            f"AND c.date >= {alias}.valid_from")
    connection.execute(f"""
        CREATE OR REPLACE TEMP TABLE lf_rated AS
        SELECT c.source, c.line_id,
            CASE WHEN ro.rate6 IS NOT NULL THEN 'own'
                 WHEN rd.rate6 IS NOT NULL THEN 'default'
                 WHEN io.rate6 IS NOT NULL THEN 'own inverse'
                 WHEN id.rate6 IS NOT NULL THEN 'default inverse' END AS rate_source,
            coalesce(ro.rate6, rd.rate6, io.rate6, id.rate6) AS rate6,
            coalesce(ro.units, rd.units, io.units, id.units) AS units,
            coalesce(ro.ref, rd.ref, io.ref, id.ref) AS rate_ref,
            ro.rate6 IS NULL AND rd.rate6 IS NULL AND (io.rate6 IS NOT NULL
                OR id.rate6 IS NOT NULL) AS inverse
        FROM (SELECT source, line_id, payer, payer_currency, currency, date FROM lf_priced
              WHERE currency <> payer_currency) c {' '.join(joins)}""")


def _convert(column: str) -> str:
    """SQL for a line-currency amount (minor units) in the payer's currency (minor units)."""
    direct = (f"div_round({column} * rate6 * payer_factor, "
              f"line_factor * 1000000::HUGEINT * units)")
    inverse = (f"div_round({column} * units * 1000000::HUGEINT * payer_factor, "
               f"line_factor * rate6)")
    return (f"CASE WHEN rate_source = 'same' THEN {column} WHEN rate6 IS NULL THEN NULL "
            f"WHEN inverse THEN {inverse} ELSE {direct} END")


def _amounts(connection: duckdb.DuckDBPyConnection) -> None:
    """Per line: discount and tax in its own currency (rounded per line), then every amount in
    the payer's currency, and the signed amount that moves the payer's balance."""
    one = f"{PERCENT_ONE}::HUGEINT"
    connection.execute(f"""
        CREATE OR REPLACE TEMP TABLE lf_amounts AS
        WITH charged AS (
            SELECT *, CASE WHEN source = 'expense'
                      THEN div_round(net_minor * ({one} - p6), {one})
                      ELSE net_minor END AS charged_minor
            FROM lf_priced),
        taxed AS (
            SELECT *, div_round(charged_minor * r6, {one}) AS tax_minor FROM charged),
        rated AS (
            SELECT t.*, net_minor - charged_minor AS discount_minor,
                   charged_minor + tax_minor AS total_minor,
                   CASE WHEN t.currency = t.payer_currency THEN 'same' ELSE r.rate_source END
                       AS rate_source, r.rate6, r.units, r.inverse, r.rate_ref
            FROM taxed t LEFT JOIN lf_rated r USING (source, line_id)),
        converted AS (
            SELECT *, {_convert('total_minor')} AS total_payer,
                   {_convert('tax_minor')} AS tax_payer, {_convert('net_minor')} AS net_payer
            FROM rated)
        SELECT *, CASE WHEN kind IN ('payment', 'correction') THEN total_payer
                       ELSE -total_payer END AS signed_payer
        FROM converted""")


def _money(column: str, factor: str) -> str:
    """Minor units (`factor` = 10 ** minor digits) -> DECIMAL(38,4), exactly (no division of
    money: 10000 // factor is a whole number)."""
    return (f"(({column}) * (10000 // {factor})::HUGEINT)::DECIMAL(38,0) "
            f"* 0.0001::DECIMAL(5,4)")


def _summary(connection: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    start = period.start.isoformat()
    inside = f"date >= DATE '{start}'"
    return connection.sql(f"""
        WITH per_payer AS (
            SELECT payer,
                sum(signed_payer) FILTER (WHERE date < DATE '{start}') AS opening,
                sum(total_payer) FILTER (WHERE {inside} AND kind = 'payment') AS payments,
                sum(total_payer) FILTER (WHERE {inside} AND kind = 'refund') AS refunds,
                sum(total_payer) FILTER (WHERE {inside} AND kind = 'withdrawal') AS withdrawals,
                sum(total_payer) FILTER (WHERE {inside} AND kind = 'correction') AS corrections,
                sum(total_payer) FILTER (WHERE {inside} AND kind = 'expense') AS expenses,
                sum(net_payer) FILTER (WHERE {inside} AND kind = 'expense') AS expenses_net,
                sum(tax_payer) FILTER (WHERE {inside} AND kind = 'expense') AS expenses_tax,
                sum(signed_payer) AS closing,
                count(*) FILTER (WHERE {inside}) AS lines
            FROM lf_amounts WHERE signed_payer IS NOT NULL GROUP BY payer),
        filled AS (
            SELECT payer, coalesce(opening, 0) AS opening, coalesce(payments, 0) AS payments,
                coalesce(refunds, 0) AS refunds, coalesce(withdrawals, 0) AS withdrawals,
                coalesce(corrections, 0) AS corrections, coalesce(expenses, 0) AS expenses,
                coalesce(expenses_net, 0) AS expenses_net,
                coalesce(expenses_tax, 0) AS expenses_tax, closing, lines
            FROM per_payer WHERE lines > 0 OR closing <> 0)
        SELECT f.payer AS payer_key, c.client_id AS payer, c.name, c.currency, d.digits,
            c.postpay, c.deferral_days, c.block_after_days, c.tax_id, c.manager, f.lines,
            {_money('f.opening', 'd.factor')} AS opening,
            {_money('f.payments', 'd.factor')} AS payments,
            {_money('f.refunds', 'd.factor')} AS refunds,
            {_money('f.withdrawals', 'd.factor')} AS withdrawals,
            {_money('f.corrections', 'd.factor')} AS corrections,
            {_money('f.expenses', 'd.factor')} AS expenses,
            {_money('f.expenses_net', 'd.factor')} AS expenses_net,
            {_money('f.expenses_net - (f.expenses - f.expenses_tax)', 'd.factor')}
                AS expenses_discount,
            {_money('f.expenses_tax', 'd.factor')} AS expenses_tax,
            {_money('f.closing', 'd.factor')} AS closing,
            c.credit_limit::DECIMAL(38,4) AS credit_limit,
            f.opening + f.payments - f.refunds - f.withdrawals + f.corrections - f.expenses
                = f.closing AS conserved
        FROM filled f JOIN clients c ON c.row_key = f.payer
        JOIN lf_digits d ON d.currency = c.currency
        ORDER BY f.payer""").to_arrow_table().to_pandas()


def _accounts(connection: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    return connection.sql(f"""
        SELECT payer AS payer_key, any_value(c.client_id) AS account_id, account,
            a.currency, any_value(payer_digits) AS payer_digits,
            {_money('sum(total_minor)', 'any_value(line_factor)')} AS spent,
            {_money('sum(total_payer)', 'any_value(payer_factor)')} AS spent_in_payer_currency
        FROM lf_amounts a JOIN clients c ON c.row_key = a.account
        WHERE kind = 'expense' AND date >= DATE '{period.start.isoformat()}'
          AND total_payer IS NOT NULL
        GROUP BY payer, account, a.currency
        ORDER BY payer, account, a.currency""").to_arrow_table().to_pandas()


def _ageing(connection: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """Credits pay the oldest debits first, so the debt is made of the newest debits: walk
    them from the newest back until the debt is covered and age each part at period end."""
    end = period.end.isoformat()
    return connection.sql(f"""
        WITH debt AS (
            SELECT payer, greatest(0, -sum(signed_payer)) AS debt FROM lf_amounts
            WHERE signed_payer IS NOT NULL GROUP BY payer),
        debits AS (
            SELECT a.payer, a.date, -a.signed_payer AS amount, d.debt,
                coalesce(sum(-a.signed_payer) OVER (PARTITION BY a.payer
                    ORDER BY a.date DESC, a.source DESC, a.line_id DESC
                    ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS newer
            FROM lf_amounts a JOIN debt d USING (payer)
            WHERE a.signed_payer < 0 AND d.debt > 0),
        parts AS (
            SELECT payer, date, least(amount, greatest(0, debt - newer)) AS part,
                DATE '{end}' - date AS age
            FROM debits),
        aged AS (
            SELECT payer,
                sum(part) FILTER (WHERE age <= 30) AS b0,
                sum(part) FILTER (WHERE age BETWEEN 31 AND 60) AS b1,
                sum(part) FILTER (WHERE age BETWEEN 61 AND 90) AS b2,
                sum(part) FILTER (WHERE age > 90) AS b3,
                max(age) FILTER (WHERE part > 0) AS oldest_age
            FROM parts GROUP BY payer)
        SELECT d.payer AS payer_key, d.debt AS debt_minor, x.digits,
            {_money('coalesce(b0, 0)', 'x.factor')} AS "0-30",
            {_money('coalesce(b1, 0)', 'x.factor')} AS "31-60",
            {_money('coalesce(b2, 0)', 'x.factor')} AS "61-90",
            {_money('coalesce(b3, 0)', 'x.factor')} AS over_90,
            {_money('d.debt', 'x.factor')} AS debt,
            oldest_age,
            coalesce(b0, 0) + coalesce(b1, 0) + coalesce(b2, 0) + coalesce(b3, 0) = d.debt
                AS conserved
        FROM debt d LEFT JOIN aged USING (payer)
        JOIN clients c ON c.row_key = d.payer JOIN lf_digits x ON x.currency = c.currency
        ORDER BY d.payer""").to_arrow_table().to_pandas()


def _missing_rates(connection: duckdb.DuckDBPyConnection) -> list[Problem]:
    rows = connection.execute("""
        WITH missing AS (
            SELECT source, line_id, currency, payer_currency, date, payer FROM lf_amounts
            WHERE total_payer IS NULL),
        sources AS (
            SELECT 'payment' AS source, payment_id AS line_id, source_file, source_sheet,
                   source_row FROM payments
            UNION ALL
            SELECT 'expense', expense_id, source_file, source_sheet, source_row FROM expenses)
        SELECT s.source_file, s.source_sheet, s.source_row, m.line_id, m.currency,
               m.payer_currency, m.date, c.client_id
        FROM missing m JOIN sources s USING (source, line_id)
        JOIN clients c ON c.row_key = m.payer
        ORDER BY s.source_file, s.source_sheet, s.source_row""").fetchall()
    template = _("No rate converts {currency} into {payer_currency} on {day} for payer {payer} "
                 "(line {line}); add a rate to the rates table. The line was left out of the "
                 "balance rather than converted at 1.")
    return [Problem(
        file, "rate_missing", template.format(
            currency=currency, payer_currency=payer_currency, day=day.isoformat(), payer=payer,
            line=line_id), sheet=sheet, row=row, column="currency",
        value=currency) for file, sheet, row, line_id, currency, payer_currency, day, payer
        in rows]


def _check_conservation(connection: duckdb.DuckDBPyConnection, period: Period,
                        payers: pd.DataFrame, ageing: pd.DataFrame) -> None:
    """The checks SPEC asks of every run; any failure stops the run loudly."""
    end = period.end.isoformat()
    [(lines, resolved, distinct)] = connection.execute(
        f"SELECT (SELECT count(*) FROM payments WHERE date <= DATE '{end}') + "
        f"(SELECT count(*) FROM expenses WHERE date <= DATE '{end}'), count(*), "
        "count(DISTINCT (source, line_id)) FROM lf_amounts").fetchall()
    broken = []
    if not lines == resolved == distinct:
        broken.append(f"{lines} transactions resolved to {resolved} payer lines "
                      f"({distinct} distinct): a transaction must land in exactly one statement")
    if not payers["conserved"].all():
        bad = payers.loc[~payers["conserved"], "payer"].tolist()
        broken.append(f"closing != opening + lines for {bad}")
    if not ageing["conserved"].all():
        broken.append(f"ageing buckets do not add up to the debt for "
                      f"{ageing.loc[~ageing['conserved'], 'payer_key'].tolist()}")
    by_currency = payers.groupby("currency")["closing"].sum()
    expected = connection.sql("""
        SELECT payer_currency AS currency, sum(signed_payer) AS total, any_value(payer_digits)
        AS digits FROM lf_amounts WHERE signed_payer IS NOT NULL GROUP BY payer_currency
        """).fetchall()
    for currency, total, digits in expected:
        listed = by_currency.get(currency, Decimal(0))
        if Decimal(int(total)).scaleb(-int(digits)) != listed:
            broken.append(f"{currency}: closing balances add up to {listed}, the converted "
                          f"transactions to {Decimal(int(total)).scaleb(-int(digits))}")
    if broken:
        raise ConservationError("Conservation check failed: " + "; ".join(broken))


def consolidate(connection: duckdb.DuckDBPyConnection, period: Period,
                settings: MoneySettings | None = None) -> Consolidation:
    """Balances of every payer for the period, checked for conservation."""
    _prepare(connection, period, settings or MoneySettings())
    payers = _summary(connection, period)
    ageing = _ageing(connection, period)
    _check_conservation(connection, period, payers, ageing)
    accounts = _accounts(connection, period)
    payers = _with_flags(payers, ageing)
    return Consolidation(period, payers, accounts, ageing, _missing_rates(connection),
                         connection, settings or MoneySettings())


def _with_flags(payers: pd.DataFrame, ageing: pd.DataFrame) -> pd.DataFrame:
    aged = ageing.set_index("payer_key")
    oldest = payers["payer_key"].map(aged["oldest_age"])
    payers = payers.assign(
        available=[None if postpay else closing + limit for postpay, closing, limit in zip(
            payers["postpay"], payers["closing"], payers["credit_limit"], strict=True)],
        oldest_debt_age=oldest)
    flags = []
    for row in payers.itertuples(index=False):
        found = []
        if row.available is not None and row.available < 0:
            found.append("over_limit")
        age = row.oldest_debt_age
        if pd.notna(age) and pd.notna(row.deferral_days) and age > row.deferral_days:
            found.append("overdue")
        if pd.notna(age) and pd.notna(row.block_after_days) and age > row.block_after_days:
            found.append("to_block")
        flags.append(found)
    return payers.assign(flags=flags)


LINE_COLUMNS = (
    "payer_key", "date", "kind", "line_id", "account", "description", "currency", "amount",
    "net", "discount", "tax", "rate", "units", "rate_inverse", "amount_payer", "balance",
    "source_file", "source_sheet", "source_row", "line_digits", "payer_digits", "line_no",
    # how the line was derived: its load, the discount and tax percentages and the rows they
    # came from ("file / sheet / row"), and which rate converted it (own, default, inverse)
    "load_id", "discount_pct", "discount_source", "tax_pct", "tax_source", "rate_source")


def _millionths(column: str) -> str:
    """Millionths (a percentage or rate, HUGEINT) -> DECIMAL(18,6), exactly."""
    return f"({column}::DECIMAL(38,0) * 0.000001::DECIMAL(7,6))::DECIMAL(18,6)"


def _ref_text(column: str) -> str:
    """A row reference (`_ROW_REF`) as text: file / sheet / row."""
    return (f"CASE WHEN {column} IS NOT NULL THEN concat({column}.file, ' / ', "
            f"{column}.sheet, ' / ', {column}.row) END")


def _create_lines(connection: duckdb.DuckDBPyConnection, period: Period) -> None:
    """The temporary table `lf_lines`: the columns of `LINE_COLUMNS` and `seq`, the
    line's place in the printed order (payer, date, then file, sheet and row), and `line_no`,
    its place in its payer's statement (from 1). Call after
    `consolidate` on the same connection.

    The running balance starts from the payer's opening balance; in that order the last balance
    is the closing one.
    """
    start = period.start.isoformat()
    connection.execute(f"""
        CREATE OR REPLACE TEMP TABLE lf_lines AS
        WITH sources AS (
            SELECT 'payment' AS source, payment_id AS line_id, coalesce(comment, reference)
                   AS description, source_file, source_sheet, source_row FROM payments
            UNION ALL
            SELECT 'expense', expense_id, description, source_file, source_sheet, source_row
            FROM expenses),
        opening AS (
            SELECT payer, sum(signed_payer) AS opening FROM lf_amounts
            WHERE date < DATE '{start}' AND signed_payer IS NOT NULL GROUP BY payer),
        lines AS (
            SELECT a.*, s.description, s.source_file, s.source_sheet, s.source_row,
                coalesce(o.opening, 0) + sum(a.signed_payer) OVER (PARTITION BY a.payer
                    ORDER BY a.date, s.source_file, s.source_sheet, s.source_row, a.line_id
                    ROWS UNBOUNDED PRECEDING) AS balance_minor
            FROM lf_amounts a JOIN sources s USING (source, line_id)
            LEFT JOIN opening o USING (payer)
            WHERE a.date >= DATE '{start}' AND a.signed_payer IS NOT NULL)
        SELECT l.payer AS payer_key, l.date, l.kind, l.line_id, c.client_id AS account,
            l.description, l.currency,
            {_money('l.total_minor', 'l.line_factor')} AS amount,
            CASE WHEN l.source = 'expense' THEN {_money('l.net_minor', 'l.line_factor')} END
                AS net,
            CASE WHEN l.source = 'expense' THEN {_money('l.discount_minor', 'l.line_factor')}
                END AS discount,
            CASE WHEN l.source = 'expense' THEN {_money('l.tax_minor', 'l.line_factor')} END
                AS tax,
            CASE WHEN l.rate6 IS NOT NULL THEN {_millionths('l.rate6')} END AS rate,
            l.units::BIGINT AS units, coalesce(l.inverse, false) AS rate_inverse,
            {_money('l.signed_payer', 'l.payer_factor')} AS amount_payer,
            {_money('l.balance_minor', 'l.payer_factor')} AS balance,
            l.source_file, l.source_sheet, l.source_row, l.line_digits, l.payer_digits,
            l.load_id,
            CASE WHEN l.discount_ref IS NOT NULL THEN {_millionths('l.p6')} END AS discount_pct,
            {_ref_text('l.discount_ref')} AS discount_source,
            CASE WHEN l.tax_ref IS NOT NULL THEN {_millionths('l.r6')} END AS tax_pct,
            {_ref_text('l.tax_ref')} AS tax_source,
            CASE WHEN l.rate_source <> 'same' THEN l.rate_source END AS rate_source,
            row_number() OVER (ORDER BY l.payer, l.date, l.source_file, l.source_sheet,
                               l.source_row, l.line_id) AS seq,
            row_number() OVER (PARTITION BY l.payer ORDER BY l.date, l.source_file,
                               l.source_sheet, l.source_row, l.line_id) AS line_no
        FROM lines l JOIN clients c ON c.row_key = l.account
        ORDER BY seq""")
