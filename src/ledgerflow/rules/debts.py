"""The debt behind the ageing, line by line: which debits a payer's unpaid debt at period end is
made of, and how much of each is still unpaid.

SPEC "Ageing": the debt D = max(0, −closing) is made of the newest debits (credits pay the
oldest first); walking the payer's debits from the newest back, each gives what is left of D, up
to its own amount. `consolidate._ageing` sums those parts into the four buckets; this gives the
parts themselves (the lines a reminder lists as overdue, the accounts a block list names), by the
same walk in the same order, so they add up to the ageing's buckets exactly (a test holds both
to it).

Asked of a `Consolidation`, on the connection it was made on (its working tables are this
package's own).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ledgerflow.rules.consolidate import Consolidation


@dataclass(frozen=True)
class UnpaidDebit:
    """A debit of the payer (expense, refund, withdrawal, negative correction) that the debt at
    period end is made of, whole or in part; money in the payer's currency."""

    payer_key: str  # lower case
    source: str  # payment | expense
    line_id: str
    kind: str  # expense | refund | withdrawal | correction
    date: date
    account: str  # the account the line belongs to, as on its card
    description: str | None
    amount: Decimal  # the debit, payer currency
    unpaid: Decimal  # what of it is still unpaid at period end (> 0)
    age: int  # days from its date to the period's end

    def overdue(self, deferral_days: int | None) -> bool:
        """Unpaid for longer than the deferral (SPEC: age > deferral_days; none: never)."""
        return deferral_days is not None and self.age > deferral_days


def unpaid_debits(result: Consolidation,
                  payers: list[str] | None = None) -> dict[str, list[UnpaidDebit]]:
    """Per payer key (of `payers`, lower case; every payer in debt when None), the debits its
    debt is made of, oldest first."""
    if result.connection is None:
        raise ValueError("this consolidation has no connection to ask")
    if payers is not None and not payers:
        return {}
    end = result.period.end.isoformat()
    chosen = "" if payers is None else "AND list_contains($1, a.payer)"
    rows = result.connection.execute(f"""
        WITH debt AS (
            SELECT payer, greatest(0, -sum(signed_payer)) AS debt FROM lf_amounts
            WHERE signed_payer IS NOT NULL GROUP BY payer),
        debits AS (
            SELECT a.payer, a.source, a.line_id, a.kind, a.date, a.account, a.payer_digits,
                -a.signed_payer AS amount, d.debt,
                coalesce(sum(-a.signed_payer) OVER (PARTITION BY a.payer
                    ORDER BY a.date DESC, a.source DESC, a.line_id DESC
                    ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS newer
            FROM lf_amounts a JOIN debt d USING (payer)
            WHERE a.signed_payer < 0 AND d.debt > 0 {chosen}),
        parts AS (
            SELECT *, least(amount, greatest(0, debt - newer)) AS part,
                DATE '{end}' - date AS age
            FROM debits),
        sources AS (
            SELECT 'payment' AS source, payment_id AS line_id, coalesce(comment, reference)
                AS description FROM payments
            UNION ALL
            SELECT 'expense', expense_id, description FROM expenses)
        SELECT p.payer, p.source, p.line_id, p.kind, p.date, c.client_id, s.description,
            p.amount::VARCHAR, p.part::VARCHAR, p.age, p.payer_digits
        FROM parts p JOIN clients c ON c.row_key = p.account
        LEFT JOIN sources s USING (source, line_id)
        WHERE p.part > 0
        ORDER BY p.payer, p.date, p.source, p.line_id""",
        [[p.lower() for p in payers]] if payers is not None else []).fetchall()
    found: dict[str, list[UnpaidDebit]] = {}
    for (payer, source, line_id, kind, day, account, description, amount, part, age,
         digits) in rows:
        found.setdefault(payer, []).append(UnpaidDebit(
            payer, source, line_id, kind, day, account, description,
            _minor(amount, digits), _minor(part, digits), int(age)))
    return found


def _minor(text: str, digits: int) -> Decimal:
    """Whole minor units (as DuckDB's text of a HUGEINT) -> the exact amount."""
    return Decimal(int(text)).scaleb(-int(digits)).quantize(Decimal(1).scaleb(-int(digits)))
