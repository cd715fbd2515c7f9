"""An independent model of an inbox and its warehouse, for the stateful test
(`test_stateful.py`). Plain Python, no ledgerflow import: what a load, a replacement or an
unload should do to the books, written from SPEC "Loading", "Load history" and
"Consolidation".

The world is small on purpose: three RUB clients (a master, its related account linked from
LINKED_ON, a standalone client) from clients.xlsx, the link from links.xlsx, and payments and
expenses files whose IDs come from a small pool, so that duplicates, conflicts and already
loaded rows are common. One currency, no rates, discounts or taxes: a line's amount is what it
costs its payer.

The model keeps the files it wrote (name, rows, bytes' SHA-256), which of them are in the inbox,
and the loads it expects the warehouse to record (id, file, status, the rows each holds).
`Books.plan` predicts what one `ledgerflow load` does; `Books.apply` records it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

MASTER, RELATED, SOLO = "Orhid_magazine", "Orhid_magazine_DIR", "Lotos"
CLIENT_ROWS = (  # client_id, name, client_type, tax_id, currency
    (MASTER, "Орхидея", "legal", "7707083893", "RUB"),
    (RELATED, "Орхидея дирекция", "legal", "7707083893", "RUB"),
    (SOLO, "Лотос", "individual", "500100732259", "RUB"),
)
CLIENT_KEYS = frozenset(c[0].lower() for c in CLIENT_ROWS)
LINKED_ON = dt.date(2026, 9, 15)  # the link holds from this date on (no end)
CLIENTS_FILE, LINKS_FILE = "clients.xlsx", "links.xlsx"
# The order files are loaded in, one transaction each (clients before what names them).
KIND_ORDER = {"clients": 0, "links": 1, "payments": 2, "expenses": 3}
LIVE = ("completed", "partial")  # statuses of loads whose rows are in the warehouse


@dataclass(frozen=True)
class Row:
    """A payments or expenses row as written in a workbook."""

    table: str  # payments | expenses
    line_id: str  # as spelled: IDs compare ignoring case
    client: str  # as spelled; may name no client
    day: dt.date
    amount: Decimal | str  # a string is a bad cell, written as typed
    kind: str  # payment | refund (payments); expense (expenses)

    @property
    def key(self) -> str:
        return self.line_id.lower()

    @property
    def content(self) -> tuple[Any, ...]:
        """What makes two rows the same record: IDs in lower case, the rest as typed values."""
        return (self.key, self.client.lower(), self.day, self.amount, self.kind)

    @property
    def bad_cell(self) -> bool:
        return not isinstance(self.amount, Decimal) or self.amount <= 0

    @property
    def signed(self) -> Decimal:
        assert isinstance(self.amount, Decimal)
        return self.amount if self.kind == "payment" else -self.amount


@dataclass(frozen=True)
class FileSpec:
    name: str
    table: str  # clients | links | payments | expenses
    rows: tuple[Row, ...]
    data: bytes

    @property
    def sha(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def size(self) -> int:
        return {"clients": len(CLIENT_ROWS), "links": 1}.get(self.table, len(self.rows))


@dataclass
class Load:
    load_id: int
    file: str
    sha: str
    table: str
    status: str  # completed | partial | refused | replaced | unloaded
    rows: dict[str, tuple[Row, int]]  # key -> (row, Excel row number); empty unless live
    accepted: int
    refused: int
    skipped: int
    replaces: tuple[int, ...] = ()


@dataclass
class FilePlan:
    """What one load should do with one file of the inbox."""

    name: str
    status: str  # loaded | partial | refused | skipped
    errors: set[int] = field(default_factory=set)  # row positions refused
    skipped: set[int] = field(default_factory=set)  # rows already stored, same content
    load_id: int | None = None
    to_load: dict[str, tuple[Row, int]] = field(default_factory=dict)
    accepted: int = 0  # rows stored

    @property
    def record_status(self) -> str:
        return {"loaded": "completed", "partial": "partial", "refused": "refused"}[self.status]


@dataclass
class Transaction:
    """Loads records committed together; `replaces` are the loads whose rows they remove."""

    files: list[str]
    replaces: tuple[int, ...] = ()


@dataclass
class Plan:
    usage_error: str | None = None
    files: dict[str, FilePlan] = field(default_factory=dict)
    transactions: list[Transaction] = field(default_factory=list)
    exit_code: int = 0

    @property
    def records(self) -> list[tuple[int, str, str]]:
        """(load id, file, status) of the loads records, in the order they are written."""
        out = []
        for tx in self.transactions:
            for name in tx.files:
                plan = self.files[name]
                assert plan.load_id is not None
                out.append((plan.load_id, name, plan.record_status))
        return out

    @property
    def nothing_new(self) -> bool:
        return all(p.status == "skipped" for p in self.files.values())


def is_top_up(row: Row) -> bool:
    """A payment of kind `payment` to the related account on a date the link holds."""
    return row.kind == "payment" and row.client.lower() == RELATED.lower() \
        and row.day >= LINKED_ON


class Books:
    """The model: files written, the inbox, and the loads the warehouse should hold."""

    def __init__(self) -> None:
        self.files: dict[str, FileSpec] = {}
        self.inbox: set[str] = set()
        self.loads: dict[int, Load] = {}

    # ------------------------------------------------------------------ what is held
    def live_loads(self, exclude: Iterable[int] = ()) -> list[Load]:
        skip = set(exclude)
        return [ld for ld in self.loads.values() if ld.status in LIVE and ld.load_id not in skip]

    def held(self, table: str, exclude: Iterable[int] = ()) -> dict[str, tuple[Row, int, int]]:
        """Stored rows of a table: key -> (row, Excel row, load id)."""
        out: dict[str, tuple[Row, int, int]] = {}
        for load in self.live_loads(exclude):
            if load.table == table:
                for key, (row, number) in load.rows.items():
                    assert key not in out, f"model stores {key} twice"
                    out[key] = (row, number, load.load_id)
        return out

    def table_live(self, table: str) -> bool:
        """Rows of this table are stored."""
        return any(ld.table == table and ld.accepted for ld in self.live_loads())

    def payer(self, client: str, day: dt.date) -> str:
        """SPEC: the master while the account is related on the line's date, else the account."""
        if client.lower() == RELATED.lower() and self.table_live("links") and day >= LINKED_ON:
            return MASTER.lower()
        return client.lower()

    def stored_top_ups(self) -> list[Row]:
        """Top-ups of the related account on a date it is related, or would be if the link were
        loaded (again): only possible while the link is not loaded."""
        return [row for row, _, _ in self.held("payments").values() if is_top_up(row)]

    # ------------------------------------------------------------------ one load
    def plan(self, partial: bool, replace: Iterable[str] = ()) -> Plan:
        """What `ledgerflow load INBOX [--partial] [--replace T ...]` does, file by file."""
        replacing: set[int] = set()
        for token in sorted(set(replace)):
            named = {ld.load_id for ld in self.live_loads()
                     if (token.isdigit() and ld.load_id == int(token)) or ld.file == token}
            if not named:
                return Plan(usage_error=f"--replace {token} names no load with rows", exit_code=2)
            replacing |= named
        replaced_shas = {self.loads[i].sha for i in replacing}
        live_shas = {ld.sha for ld in self.live_loads()}
        plan = Plan()
        to_read: list[str] = []
        seen: set[str] = set()
        for name in sorted(self.inbox):
            sha = self.files[name].sha
            if sha in replaced_shas or sha in live_shas or sha in seen:
                plan.files[name] = FilePlan(name, "skipped")
            else:
                seen.add(sha)
                to_read.append(name)
        group: set[str] = set()
        if replacing:
            kinds = {self.loads[i].table for i in replacing}
            group = {n for n in to_read if self.files[n].table in kinds}
            if not group:
                return Plan(usage_error="--replace: no new file holds what it held",
                            exit_code=2)

        errors: dict[str, set[int]] = {n: set() for n in to_read}
        skipped: dict[str, set[int]] = {n: set() for n in to_read}
        # clients come from the warehouse, or from clients.xlsx loaded in this very batch
        known = CLIENT_KEYS if (self.table_live("clients") or any(
            self.files[n].table == "clients" for n in to_read)) else frozenset()
        for name in to_read:
            spec = self.files[name]
            if spec.table == "links" and not known:
                errors[name].add(0)  # names clients that are not there (L1)
            if spec.table not in ("payments", "expenses"):
                continue
            stored = self.held(spec.table, exclude=replacing)
            twice = Counter(r.key for r in spec.rows)
            for i, row in enumerate(spec.rows):
                if row.bad_cell or twice[row.key] > 1 or row.client.lower() not in known:
                    errors[name].add(i)
                # the same ID in an earlier file of the batch (file-name order)
                first = next(n for n in to_read if self.files[n].table == spec.table
                             and any(r.key == row.key for r in self.files[n].rows))
                if first != name:
                    errors[name].add(i)
                if row.key in stored:
                    if stored[row.key][0].content == row.content:
                        skipped[name].add(i)
                    else:
                        errors[name].add(i)  # a conflict: loaded before with other content

        def refused_alone(name: str) -> bool:
            return not partial and bool(errors[name])

        def refused_before_p2(name: str) -> bool:
            if name in group:
                return any(refused_alone(g) for g in group)
            return refused_alone(name)

        linked = self.table_live("links") or any(
            self.files[n].table == "links" and not errors[n] and not refused_before_p2(n)
            for n in to_read)
        # P2: no top-up of a related account (files still loading); judged in every payments
        # file, a refused one too, so that its rows are reported in one pass (issue 11)
        for name in to_read:
            spec = self.files[name]
            if spec.table != "payments" or not linked:
                continue
            for i, row in enumerate(spec.rows):
                if i not in errors[name] and row.kind == "payment" \
                        and row.client.lower() == RELATED.lower() and row.day >= LINKED_ON:
                    errors[name].add(i)

        group_refused = any(refused_alone(g) for g in group)
        for name in to_read:
            refused = group_refused if name in group else refused_alone(name)
            status = "refused" if refused else "partial" if errors[name] else "loaded"
            spec = self.files[name]
            to_load = {} if refused else {
                row.key: (row, i + 2) for i, row in enumerate(spec.rows)
                if i not in errors[name] and i not in skipped[name]}
            accepted = len(to_load) if spec.table in ("payments", "expenses") else \
                spec.size if status == "loaded" else 0
            plan.files[name] = FilePlan(name, status, errors[name], skipped[name],
                                        to_load=to_load, accepted=accepted)

        # A new link must not make a stored payment a top-up (P2): checked inside the link's
        # transaction, after the replacement's, it refuses the links file whole.
        payments_then = [row for row, _, _ in self.held(
            "payments", exclude=replacing if group and not group_refused else ()).values()]
        payments_then += [row for n in group for row, _ in plan.files[n].to_load.values()
                          if self.files[n].table == "payments"]
        refused_late = False
        for name in to_read:
            fp = plan.files[name]
            if self.files[name].table == "links" and fp.accepted and any(
                    is_top_up(row) for row in payments_then):
                fp.status, fp.accepted, refused_late = "refused", 0, True

        next_id = max(self.loads, default=0) + 1
        order = sorted(to_read, key=lambda n: (KIND_ORDER[self.files[n].table], n))
        together = [n for n in order if n in group and not group_refused]
        if together:
            for name in together:
                plan.files[name].load_id, next_id = next_id, next_id + 1
            plan.transactions.append(Transaction(together, tuple(sorted(replacing))))
        for name in order:
            if name not in together:
                plan.files[name].load_id, next_id = next_id, next_id + 1
                plan.transactions.append(Transaction([name]))
        plan.exit_code = 1 if refused_late or any(errors[n] for n in to_read) else 0
        return plan

    def apply(self, plan: Plan, transactions: int | None = None) -> None:
        """Record the first `transactions` of the plan (all by default) as committed."""
        assert plan.usage_error is None
        for tx in plan.transactions[:transactions]:
            for old in tx.replaces:
                self.loads[old].status = "replaced"
                self.loads[old].rows = {}
            for name in tx.files:
                fp, spec = plan.files[name], self.files[name]
                assert fp.load_id is not None
                self.loads[fp.load_id] = Load(
                    fp.load_id, name, spec.sha, spec.table, fp.record_status,
                    dict(fp.to_load), fp.accepted,
                    len(fp.errors), len(fp.skipped), tx.replaces)

    # ------------------------------------------------------------------ undoing a load
    def unload_outcome(self, load_id: int) -> str:
        """`ledgerflow unload ID`: done | nothing (no rows to remove) | refused (the
        warehouse would break: rows would name clients no longer there)."""
        load = self.loads.get(load_id)
        if load is None or load.status not in LIVE:
            return "nothing"
        if load.table == "clients" and (self.table_live("links") or self.held("payments")
                                        or self.held("expenses")):
            return "refused"
        return "done"

    def unload(self, load_id: int) -> None:
        self.loads[load_id].status = "unloaded"
        self.loads[load_id].rows = {}

    # ------------------------------------------------------------------ balances
    def balances(self, start: dt.date, end: dt.date) -> dict[str, dict[str, Any]]:
        """Per payer: opening, payments, refunds, expenses, closing (SPEC "Consolidation") and
        what each account spent in the period; only payers with a line in the period or a
        balance."""
        out: dict[str, dict[str, Any]] = {}
        for table in ("payments", "expenses"):
            for row, _, _ in self.held(table).values():
                if row.day > end:
                    continue
                payer = self.payer(row.client, row.day)
                acc = out.setdefault(payer, {
                    "opening": Decimal(0), "payments": Decimal(0), "refunds": Decimal(0),
                    "expenses": Decimal(0), "closing": Decimal(0), "lines": 0, "spent": {}})
                acc["closing"] += row.signed
                if row.day < start:
                    acc["opening"] += row.signed
                    continue
                acc["lines"] += 1
                assert isinstance(row.amount, Decimal)
                acc[{"payment": "payments", "refund": "refunds", "expense": "expenses"}[
                    row.kind]] += row.amount
                if row.kind == "expense":
                    spent = acc["spent"]
                    spent[row.client.lower()] = spent.get(row.client.lower(), 0) + row.amount
        return {p: v for p, v in out.items() if v["lines"] or v["closing"]}
