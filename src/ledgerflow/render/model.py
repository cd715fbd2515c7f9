"""What a statement shows, as plain immutable data: renderers only lay it out.

Money is `Decimal`, exact, already at the currency's minor digits; dates are `date`; nothing
here is computed by a renderer, so the HTML and the Excel statement always agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ledgerflow.rules.period import Period

KIND_ORDER = ("payment", "refund", "withdrawal", "correction", "expense")


@dataclass(frozen=True)
class Line:
    """One transaction of the payer in the period, in date order, with its running balance."""

    date: date
    kind: str  # payment | refund | withdrawal | correction | expense
    line_id: str  # payment or expense number
    account: str  # the account (login) the line belongs to: the master or a related account
    description: str | None
    currency: str  # the line's own currency
    amount: Decimal  # in the line's currency: for expenses the total charged (after discount, tax)
    net: Decimal | None  # expenses: amount before discount and tax, line currency
    discount: Decimal | None  # expenses: line currency
    tax: Decimal | None  # expenses: line currency
    rate: Decimal | None  # None when no conversion was needed
    units: int | None
    rate_inverse: bool  # the rate was found in the opposite direction and inverted
    amount_payer: Decimal  # signed effect on the payer's balance, payer currency
    balance: Decimal  # running balance after this line, payer currency
    source_file: str
    source_sheet: str
    source_row: int
    # How it was derived (None when not told: a line made by hand): the load that brought it,
    # the discount and tax percentages with the rows they came from ("file / sheet / row"),
    # and whose rate converted it ("own", "default", "own inverse", "default inverse").
    load_id: int | None = None
    discount_pct: Decimal | None = None
    discount_source: str | None = None
    tax_pct: Decimal | None = None
    tax_source: str | None = None
    rate_source: str | None = None


@dataclass(frozen=True)
class AccountTotal:
    account: str
    currency: str
    spent: Decimal  # expenses in the period, in `currency`
    spent_in_payer_currency: Decimal


@dataclass(frozen=True)
class Related:
    account: str
    name: str
    currency: str
    linked_on: date
    unlinked_on: date | None
    region: str | None = None  # the clients table's optional region

    def in_period(self, period: Period) -> bool:
        """Related at some time in the period (a link ends the day before `unlinked_on`)."""
        return self.linked_on <= period.end and (
            self.unlinked_on is None or self.unlinked_on > period.start)


@dataclass(frozen=True)
class Refusal:
    """An input file of the run that was refused, whole or in part: what a draft statement and
    the index name in their "draft — inputs refused" banner."""

    file: str  # the file's name in the inbox
    status: str  # "refused": nothing of it was loaded; "partial": loaded without its bad rows
    rows_refused: int  # rows with errors (0: the file or a table was refused before its rows)
    # On a statement: whether the refused rows name its payer or an account of its group
    # (True also when some refused row could not be told to belong to any client); None on
    # the index, which speaks of no one client.
    touches: bool | None = None


@dataclass(frozen=True)
class Statement:
    payer: str  # the payer's login as written in the clients table
    name: str
    tax_id: str | None
    currency: str
    digits: int  # minor digits of the payer's currency
    credit_limit: Decimal
    postpay: bool
    manager: str | None
    deferral_days: int | None
    block_after_days: int | None
    period: Period
    opening: Decimal
    payments: Decimal
    refunds: Decimal
    withdrawals: Decimal
    corrections: Decimal
    expenses: Decimal
    closing: Decimal
    available: Decimal | None  # None: unlimited (postpay)
    flags: tuple[str, ...]
    ageing: tuple[tuple[str, Decimal], ...]  # ("0-30", amount) ... ("over_90", amount)
    accounts: tuple[AccountTotal, ...]
    related: tuple[Related, ...]  # the group's related accounts and their link periods
    lines: tuple[Line, ...]
    run_id: str  # identifies the warehouse state and settings the statement was built from
    inputs_sha256: str  # one digest over the SHA-256 of every input file loaded
    line_count: int | None = None  # set when `lines` are attached later (rendering in workers)
    # Not empty: a draft. Inputs of the run that this statement may lack were refused (rows
    # naming its payer or an account of its group, or rows no client can be told from).
    draft: tuple[Refusal, ...] = ()
    status: str = "active"  # the payer's status in the clients table (active, blocked, closed)

    @property
    def touched(self) -> bool:
        """A draft whose own accounts the refused rows name (or may): marked on the index."""
        return any(r.touches for r in self.draft)

    @property
    def lines_count(self) -> int:
        return len(self.lines) if self.line_count is None else self.line_count

    @property
    def ageing_rows(self) -> list[dict[str, object]]:
        """The ageing as the rows of its table (`layout.AGEING`)."""
        return [{"bucket": bucket, "amount": amount, "owed": amount > 0}
                for bucket, amount in self.ageing]


@dataclass(frozen=True)
class IndexEntry:
    statement: Statement
    html: str | None  # file names relative to the period folder, e.g. "statements/Orhid.html"
    xlsx: str | None
    pdf: str | None = None

    @property
    def flags(self) -> tuple[str, ...]:
        """The statement's flags; "blocked" when the clients table says the payer is, and
        "draft" when refused rows name its accounts."""
        s = self.statement
        return (*(("blocked",) if s.status == "blocked" else ()), *s.flags,
                *(("draft",) if s.touched else ()))

    @property
    def flagged(self) -> bool:
        return bool(self.statement.flags) or self.statement.status == "blocked"

    @property
    def touched(self) -> bool:
        return self.statement.touched

    @property
    def group(self) -> tuple[Related, ...]:
        """The master's related accounts in the period, each once (its latest link)."""
        st = self.statement
        latest = {r.account: r for r in st.related if r.in_period(st.period)}
        return tuple(latest.values())


@dataclass(frozen=True)
class Totals:
    """The index's totals row of one currency: the sums of its payers' balances, movements
    and line counts (different currencies are never added)."""

    currency: str
    digits: int
    payers: int
    sums: dict[str, Decimal | int]  # column value -> its sum


def index_totals(entries: Sequence[IndexEntry], names: Sequence[str]) -> list[Totals]:
    """One totals row per currency, in currency order: each of `names` (the statements'
    attributes: opening, payments, ..., lines_count) summed over the payers in that currency."""
    by_currency: dict[str, list[Statement]] = {}
    for entry in entries:
        by_currency.setdefault(entry.statement.currency, []).append(entry.statement)
    out = []
    for currency in sorted(by_currency):
        mine = by_currency[currency]
        sums: dict[str, Decimal | int] = {}
        for name in names:
            found = [getattr(s, name) for s in mine]
            sums[name] = sum(found, Decimal(0) if isinstance(found[0], Decimal) else 0)
        out.append(Totals(currency, mine[0].digits, len(mine), sums))
    return out
