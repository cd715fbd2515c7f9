"""What must hold of the warehouse after every change, checked inside the change's transaction.

A load, a replacement or an unload is committed only when, with its changes in place, the
warehouse still keeps its promises: every record's ID is stored once, every client a row names
is stored, the hierarchy rules (L3–L7) and the no-top-up rule (P2) hold for the rows it brought,
discounts and taxes of equal specificity do not overlap, and the periods its rows touch still
consolidate with every conservation check passing. Whatever an accountant or a cron job does,
the books stay runnable: a change that would break one of these is rolled back, with the reason.

Each invariant is a plain function `(connection, scope) -> list[Problem]`; `INVARIANTS` is the
list they run in. The batch checks in `validate/` find the same faults earlier, row by row, so an
accountant hears of them there; these are the warehouse's own safety net.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date

import duckdb
import pandas as pd

from ledgerflow.contract import KINDS, LOAD_ORDER, table_word
from ledgerflow.errors import Problem
from ledgerflow.i18n import N_, _
from ledgerflow.rules import conditions, hierarchy, inputs
from ledgerflow.rules.hierarchy import HierarchySettings
from ledgerflow.rules.period import Period

SHOWN = 20  # findings named per invariant; the rest are counted


@dataclass(frozen=True)
class Scope:
    """What changed inside the open transaction: the loads whose rows were just inserted
    (`added`); whether rows were removed (`removed`) and the dates they bore."""

    added: tuple[int, ...] = ()
    removed: bool = False
    removed_dates: tuple[date, date] | None = None
    hierarchy: HierarchySettings = field(default_factory=HierarchySettings)
    kinds: frozenset[str] = frozenset()  # the kinds of table `added` holds rows of: set by check

    @property
    def ids(self) -> str:
        return ", ".join(str(i) for i in self.added) or "NULL"


class InvariantBroken(Exception):
    """A change would break the warehouse: it was rolled back. `problems` say why."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems[:3]))
        self.problems = problems


# one message per kind of record: a language may give each its own gender
_STORED_TWICE = {
    "clients": N_("The client {key} would be stored twice: it is also in {file}, sheet {sheet}, "
                  "row {row} (load {load})."),
    "rates": N_("The rate {key} would be stored twice: it is also in {file}, sheet {sheet}, row "
                "{row} (load {load})."),
    "discounts": N_("The discount {key} would be stored twice: it is also in {file}, sheet "
                    "{sheet}, row {row} (load {load})."),
    "taxes": N_("The tax {key} would be stored twice: it is also in {file}, sheet {sheet}, row "
                "{row} (load {load})."),
    "links": N_("The link {key} would be stored twice: it is also in {file}, sheet {sheet}, row "
                "{row} (load {load})."),
    "payments": N_("The payment {key} would be stored twice: it is also in {file}, sheet "
                   "{sheet}, row {row} (load {load})."),
    "expenses": N_("The expense {key} would be stored twice: it is also in {file}, sheet "
                   "{sheet}, row {row} (load {load})."),
}


def unique_ids(connection: duckdb.DuckDBPyConnection, scope: Scope) -> list[Problem]:
    """Every record (payment, expense, client, link …) is stored once."""
    found: list[Problem] = []
    for kind in LOAD_ORDER:
        rows = connection.execute(f"""
            SELECT t.source_file, t.source_sheet, t.source_row, t.row_key,
                   o.source_file, o.source_sheet, o.source_row, o.load_id
            FROM {kind} t JOIN {kind} o ON o.row_key = t.row_key
             AND (o.load_id, o.source_sheet, o.source_row) <> (t.load_id, t.source_sheet,
                                                                 t.source_row)
            WHERE t.load_id IN ({scope.ids}) AND (o.load_id NOT IN ({scope.ids})
                  OR (o.load_id, o.source_sheet, o.source_row)
                     < (t.load_id, t.source_sheet, t.source_row))
            ORDER BY ALL LIMIT {SHOWN}""").fetchall()
        template = _(_STORED_TWICE[kind])
        found += [Problem(
            file, "unique_id", template.format(
                key=repr(key), file=other_file, sheet=repr(other_sheet), row=other_row,
                load=other_load),
            sheet=sheet, row=int(row), value=str(key))
            for file, sheet, row, key, other_file, other_sheet, other_row, other_load in rows]
    return found


def references(connection: duckdb.DuckDBPyConnection, scope: Scope) -> list[Problem]:
    """Every client a stored row names is a stored client (rule L1). After an addition only the
    new rows can break it; after a removal, any row."""
    found: list[Problem] = []
    where = "TRUE" if scope.removed else f"t.load_id IN ({scope.ids})"
    template = _("{kind} row {row} (load {load}) names the client {client}, which would no "
                 "longer be in the warehouse (rule L1).")
    for kind in KINDS:
        for column in KINDS[kind].client_references:
            rows = connection.execute(f"""
                SELECT t.source_file, t.source_sheet, t.source_row, t.{column}, t.load_id
                FROM {kind} t
                WHERE {where} AND t.{column} IS NOT NULL AND NOT EXISTS (
                    SELECT 1 FROM clients c WHERE c.row_key = lower(t.{column}))
                ORDER BY ALL LIMIT {SHOWN}""").fetchall()
            found += [Problem(
                file, "unknown_client", template.format(
                    kind=table_word(kind), row=row, load=load_id, client=repr(client)),
                sheet=sheet, row=int(row), column=column, value=str(client))
                for file, sheet, row, client, load_id in rows]
    return found


def hierarchy_rules(connection: duckdb.DuckDBPyConnection, scope: Scope) -> list[Problem]:
    """L3–L7 for the links just added, against every stored link; P2 for the payments just
    added, and for the stored payments of the accounts that new links make related; no two
    discounts or taxes of equal specificity overlap. Removing rows cannot make a chain, a
    second master, a top-up or an overlap, so only additions are checked."""
    if not scope.added:
        return []
    kinds = scope.kinds
    places = _Places()
    findings = []
    links = pd.DataFrame()
    if kinds & {"links", "payments"}:
        links = places.mark(inputs.stored(connection, "links"), set(scope.added))
    if "links" in kinds:
        clients = inputs.stored(connection, "clients")
        findings.append(hierarchy.check_links(links, clients, scope.hierarchy))
    if kinds & {"links", "payments"}:
        payments = inputs.stored(connection, "payments", f"""
            load_id IN ({scope.ids}) OR lower(client_id) IN (
                SELECT lower(related_id) FROM links WHERE load_id IN ({scope.ids}))""")
        findings.append(hierarchy.check_top_ups(places.mark(payments, None), links))
    for kind in ("discounts", "taxes"):
        if kind in kinds:
            findings.append(conditions.check_overlaps(places.mark(
                inputs.stored(connection, kind), set(scope.added)), kind))
    found = []
    for frame in findings:
        for origin, row, rule, message in frame.loc[
                frame["severity"] == "error",
                ["origin", "row", "rule", "message"]].itertuples(index=False):
            file, sheet = places.sources[int(origin)]
            found.append(Problem(file, str(rule), str(message), sheet=sheet, row=int(row)))
    return found[:SHOWN]


class _Places:
    """The rules name a finding's row by `origin` (>= 0: a row being checked) and Excel row;
    here each origin is one (file, sheet), so a finding can say where its row is."""

    def __init__(self) -> None:
        self.sources: list[tuple[str, str]] = []

    def mark(self, frame: pd.DataFrame, checked: set[int] | None) -> pd.DataFrame:
        """`frame` (with load_id, file, sheet) with origins: -1 for the rows of loads not in
        `checked` (context only), a number per (file, sheet) for the others (None: all)."""
        codes = []
        index: dict[tuple[str, str], int] = {}
        for load_id, file, sheet in zip(frame["load_id"], frame["file"], frame["sheet"],
                                        strict=True):
            if checked is not None and int(load_id) not in checked:
                codes.append(-1)
                continue
            if (file, sheet) not in index:
                index[(file, sheet)] = len(self.sources)
                self.sources.append((str(file), str(sheet)))
            codes.append(index[(file, sheet)])
        return frame.assign(origin=pd.Series(codes, index=frame.index, dtype="int64"))


def _added_kinds(connection: duckdb.DuckDBPyConnection, scope: Scope) -> frozenset[str]:
    """The kinds of table the change adds rows to."""
    return frozenset(kind for kind in LOAD_ORDER if connection.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM {kind} WHERE load_id IN ({scope.ids}) LIMIT 1)"
    ).fetchall()[0][0])


DATE_COLUMNS = {
    "payments": ("date",), "expenses": ("date",), "links": ("linked_on", "unlinked_on"),
    "rates": ("valid_from",), "discounts": ("valid_from", "valid_to"),
    "taxes": ("valid_from", "valid_to"),
}


def touched_dates(connection: duckdb.DuckDBPyConnection,
                  load_ids: tuple[int, ...]) -> tuple[date, date] | None:
    """The first and last date that rows of these loads bear (None when they bear none)."""
    if not load_ids:
        return None
    ids = ", ".join(map(str, load_ids))
    parts = [f"SELECT {c} AS d FROM {kind} WHERE load_id IN ({ids})"
             for kind, columns in DATE_COLUMNS.items() for c in columns]
    [(first, last)] = connection.execute(
        f"SELECT min(d), max(d) FROM ({' UNION ALL '.join(parts)})").fetchall()
    return (first, last) if first is not None else None


STRUCTURE = ("clients", "links", "rates", "discounts", "taxes")


def consolidates(connection: duckdb.DuckDBPyConnection, scope: Scope) -> list[Problem]:
    """The periods the change touches still consolidate, every conservation check passing. A
    statement's closing balance rests on every line before it, so the dry run reaches from the
    first touched date to the last line stored.

    A change that only adds payments and expenses cannot move a stored line to another payer
    or price it anew; it breaks consolidation only if one of its own lines fails to land in
    exactly one statement. For such a change the dry run is the engine's line stage over the
    new lines alone (`lines_resolve`): a month of a million expenses is checked in a fraction
    of what consolidating the whole warehouse again would cost at every file."""
    from ledgerflow.rules.consolidate import ConservationError, consolidate, lines_resolve

    if not scope.removed and not scope.kinds & set(STRUCTURE):
        try:
            wrong = lines_resolve(connection, scope.added)
        except duckdb.Error as exc:
            wrong = str(exc)
        return [Problem("", "consolidation", _(
            "The new lines would not consolidate: {why}").format(why=wrong))] if wrong else []
    spans = [s for s in (touched_dates(connection, scope.added), scope.removed_dates) if s]
    if not spans:
        if not scope.removed:
            return []
        spans = [(date.min, date.min)]  # removed clients: every line may be touched
    [(last_line,)] = connection.execute(
        "SELECT max(d) FROM (SELECT max(date) AS d FROM payments UNION ALL "
        "SELECT max(date) FROM expenses)").fetchall()
    start = min(s[0] for s in spans)
    end = max([s[1] for s in spans] + ([last_line] if last_line else []))
    try:
        consolidate(connection, Period(start, max(start, end)))
    except (ConservationError, duckdb.Error) as exc:
        return [Problem("", "consolidation", _(
            "The warehouse would no longer consolidate {start} to {end}: {why}").format(
            start=start.isoformat(), end=end.isoformat(), why=exc))]
    return []


Invariant = Callable[[duckdb.DuckDBPyConnection, Scope], list[Problem]]
INVARIANTS: tuple[Invariant, ...] = (unique_ids, references, hierarchy_rules, consolidates)


def check(connection: duckdb.DuckDBPyConnection, scope: Scope) -> None:
    """Raise `InvariantBroken` when the open transaction's changes break an invariant. The
    consolidation runs only when the cheaper checks pass (it would fail for the same cause)."""
    scope = replace(scope, kinds=_added_kinds(connection, scope))
    for invariant in INVARIANTS:
        problems = invariant(connection, scope)
        if problems:
            raise InvariantBroken(problems)
