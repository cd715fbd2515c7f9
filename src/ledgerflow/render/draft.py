"""Drafts: when the run refused inputs, every statement is a draft (SPEC "Outputs"), and its
banner says, file by file, whether the refused rows touch it.

A refused file touches a statement when a row of it that did not reach the warehouse names the
statement's payer or an account of its group (the related accounts, those that spent in the
period) in any client column (`client_id`, `master_id`, `related_id`), or when a row cannot be
told to belong to any client: its client columns are blank or unreadable (a rates, discounts or
taxes row without `client_id` is everybody's default), or name no client known to the warehouse
or to the run (a typing error could hide anyone's payment), or the file or one of its tables was
refused before its rows were read (a damaged workbook, a missing required column). Such a row
touches every statement. The index marks the statements a refusal touches.

The rows that did not reach the warehouse are, for a file refused whole, all its rows (except
those already loaded from an earlier file), and for a file loaded in part (`partial`), its
refused rows.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from ledgerflow.render.model import Refusal, Statement

if TYPE_CHECKING:
    from ledgerflow.pipeline import FileOutcome, IngestReport

CLIENT_COLUMNS = ("client_id", "master_id", "related_id")


@dataclass(frozen=True)
class Refused:
    """A refused input file and the clients its missing rows name."""

    refusal: Refusal
    clients: frozenset[str]  # lower-case client ids
    everyone: bool  # some missing row belongs to no client that can be told

    def affects(self, accounts: set[str]) -> bool:
        return self.everyone or not self.clients.isdisjoint(accounts)


def refused_inputs(ingest: IngestReport, known: Iterable[str]) -> list[Refused]:
    """The files of the run refused whole or in part, in the report's (file name) order;
    `known`: the lower-case ids of the clients in the warehouse."""
    outcomes = [o for o in ingest.outcomes if o.status != "skipped" and o.has_errors()]
    if not outcomes:
        return []
    clients = set(known)
    for outcome in ingest.outcomes:  # the run's own clients, refused ones too
        for table in outcome.tables:
            if table.kind.name == "clients" and "client_id" in table.data.columns:
                clients.update(table.data["client_id"].dropna().astype(str).str.lower())
    return [_refused(outcome, clients) for outcome in outcomes]


def _refused(outcome: FileOutcome, known: set[str]) -> Refused:
    partial = outcome.status == "partial"
    refusal = Refusal(outcome.file.name, "partial" if partial else "refused",
                      outcome.refused_rows)
    # An error of the file itself or of a whole table (no row of it was read), or of a cell
    # that could not be read: rows nobody can be told from.
    everyone = any(p.severity == "error" for p in outcome.file.problems)
    named: set[str] = set()
    for table in outcome.tables:
        data = table.data
        missing = table.error_rows if partial else data.index.difference(table.skipped)
        if not len(missing):
            continue
        columns = [c for c in CLIENT_COLUMNS if c in data.columns]
        if not columns:  # the cells were let go (a large file loaded in part)
            everyone = True
            continue
        rows = data.loc[data.index.isin(missing), columns]
        ids = pd.DataFrame({c: rows[c].astype("string").str.strip().str.lower()
                            for c in columns})
        if not ids.isin(known).any(axis=1).all():
            everyone = True
        for column in columns:
            named.update(ids[column].dropna())
    return Refused(refusal, frozenset(named), everyone)


def group_accounts(statement: Statement) -> set[str]:
    """The payer and every account of its group, lower case."""
    accounts = {statement.payer.lower()}
    accounts.update(r.account.lower() for r in statement.related)
    accounts.update(a.account.lower() for a in statement.accounts)
    return accounts


def draft_of(statement: Statement, refused: Sequence[Refused]) -> tuple[Refusal, ...]:
    """The run's refused files, as this statement's banner names them: each says whether its
    refused rows name the statement's accounts (none: nothing was refused, it is final)."""
    accounts = group_accounts(statement)
    return tuple(dataclasses.replace(r.refusal, touches=r.affects(accounts)) for r in refused)
