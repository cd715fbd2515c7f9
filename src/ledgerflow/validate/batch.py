"""The batch checked against what the warehouse holds and against itself.

After each table's values are checked (`validate.table`), `BatchJudge.check` judges the rows of
the files read together: IDs across the batch, the earlier waves and the warehouse, then client
references and the batch rules (L3–L7, P2, overlapping discounts and taxes) over every row that
parses. Its inputs are explicit: the warehouse, the files, what decides that a file is refused,
the loads being replaced and those this run made, and what the earlier waves held. Its output is
the errors it adds to each table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from ledgerflow.contract import LOAD_ORDER
from ledgerflow.errors import Problem
from ledgerflow.i18n import _
from ledgerflow.outcomes import FileOutcome
from ledgerflow.rules import conditions, hierarchy, inputs
from ledgerflow.rules.hierarchy import HierarchySettings
from ledgerflow.validate import cross
from ledgerflow.validate.table import TableResult


class BatchJudge:
    """Judges the files of one wave; `refuses` says whether a file's own errors refuse it."""

    def __init__(self, settings: HierarchySettings, refuses: Callable[[FileOutcome], bool],
                 replaced: set[int], loaded: set[int], earlier: cross.Earlier) -> None:
        self.hierarchy = settings
        self.refuses = refuses
        self.replaced = replaced  # loads this run replaces: their rows are about to go
        self.loaded = loaded  # loads this run has made (its earlier waves)
        self.earlier = earlier
        self.close: dict[str, str] = {}  # an unknown client (lower case) -> a known one like it

    def check(self, connection: duckdb.DuckDBPyConnection,
                     active: list[FileOutcome]) -> None:
        """IDs across the batch and against the warehouse, then client references and the batch
        rules (L3–L7, P2, overlapping discounts and taxes) over every row that parses.

        What a row is judged against depends on what will be loaded, which depends on the
        judgements: start from the files (or, with --partial, rows) that their values alone
        refuse, judge, see what is refused now, and judge again until that settles. Each round
        judges afresh from the value errors, so a file refused in one round does not leave its
        mark on the others' findings in the next."""
        order = {name: i for i, name in enumerate(LOAD_ORDER)}
        pairs = sorted(((o, t) for o in active for t in o.tables),
                       key=lambda pair: order[pair[1].kind.name])
        tables = [t for _, t in pairs]
        cross.check_duplicates_across(tables)
        self.earlier.check_duplicates(tables)
        for table in tables:
            # rows loaded by this run's earlier waves are duplicates (above), not stored rows
            cross.mark_already_loaded(connection, table, self.replaced | self.loaded)
        # what is stored does not change while the batch is checked: read it once; the
        # clients of earlier waves count as stored (`validate` loads none of them)
        named = cross.named_clients(tables)
        stored_clients = cross.referenced_stored_clients(connection, named) \
            | self.earlier.clients
        self.close = cross.close_clients(
            connection, tables, named, stored_clients | batch_clients(active))
        stored = _Stored(
            self._kept(inputs.stored(connection, "links")),
            self._kept(inputs.stored(connection, "clients")),
            {kind: self._kept(inputs.stored(connection, kind))
             for kind in ("discounts", "taxes")})
        place = {id(o): i for i, o in enumerate(active)}
        files = [place[id(o)] for o, _ in pairs]  # each table's file, as a place in active
        batch = _Batch(tables, files, _rule_frames(tables))
        judge = _Round(stored_clients, stored, [t.errors for t in tables])
        state = first = self._state(active, batch)
        seen = [state]
        for _round in range(2 * len(active) + 2):
            self._judge_round(active, batch, judge, state)
            settled = self._state(active, batch)
            if settled == state:
                return
            if settled in seen:
                seen = seen[seen.index(settled):]
                break
            seen.append(settled)
            state = settled
        # The judgements go round in a circle (rows of two files each refusing the other's):
        # refuse what any round of the circle refused, and judge the rows refused with no
        # finding of their own against each other as well.
        self._settle_circle(active, batch, judge, _State.union(seen), first)

    def _judge_round(self, active: list[FileOutcome], batch: _Batch, judge: _Round,
                     state: _State) -> None:
        """Judge every table afresh from its value errors, as if `state` says what is loaded."""
        loaded = batch_clients([o for i, o in enumerate(active) if i not in state.refused])
        withheld = withheld_clients(active, loaded)
        own = [batch_clients([o]) for o in active]
        for table, errors in zip(batch.tables, judge.values_only, strict=True):
            table.errors = errors
        for table, file in zip(batch.tables, batch.files, strict=True):
            # a file's own clients count for its own rows: if the file is refused, so are
            # the rows that name them, and "no such client" would only mislead
            cross.check_client_references(table, judge.stored_clients | loaded | own[file],
                                          self.earlier.withheld | withheld, self.close)
        self._check_rules(judge.stored, batch, state)
        self._drop_repeats(batch)

    @staticmethod
    def _drop_repeats(batch: _Batch) -> None:
        for table in batch.tables:
            table.errors = table.errors.drop_duplicates(["row", "column", "rule"])

    def _settle_circle(self, active: list[FileOutcome], batch: _Batch, judge: _Round,
                       state: _State, first: _State) -> None:
        """Judge as if `state` (the rounds of the circle together) is what is refused. A file or
        row it refuses that has no finding of its own then is judged against the others so
        refused as well; one still without a finding is named as refused with them."""
        self._judge_round(active, batch, judge, state)
        unexplained: dict[int, pd.Index] = {}
        for position, frame in batch.frames.items():
            table, file = batch.tables[position], batch.files[position]
            if file in state.refused:
                if self.refuses(active[file]) or file in first.refused:
                    continue
                rows = frame.index
            else:
                rows = pd.Index(sorted(state.excluded_rows(position)
                                       - first.excluded_rows(position)))
                rows = rows[~rows.isin(table.error_rows)]
            if len(rows):
                unexplained[position] = rows
        if unexplained:
            self._judge(judge.stored, batch, state, unexplained)
            self._drop_repeats(batch)
        for file in sorted(state.refused):
            outcome = active[file]
            if not self.refuses(outcome):
                others = ", ".join(active[i].file.name for i in sorted(state.refused)
                                   if i != file)
                outcome.file.problems.append(Problem(outcome.file.name, "not_loaded", _(
                    "Not loaded: its rows and those of {others} refuse each other by the "
                    "hierarchy, top-up or overlap rules, so none of them was loaded. Load them "
                    "one at a time to see which rows to fix.").format(others=others)))

    def _state(self, active: list[FileOutcome], batch: _Batch) -> _State:
        """What the errors found so far refuse: files, and the rows of the others that the
        batch rules read."""
        refused = frozenset(i for i, o in enumerate(active) if self.refuses(o))
        excluded = tuple(
            (position, frozenset(int(r) for r in frame.index[
                frame.index.isin(batch.tables[position].error_rows)]))
            for position, frame in batch.frames.items()
            if batch.files[position] not in refused)
        return _State(refused, tuple((p, rows) for p, rows in excluded if rows))

    def _check_rules(self, stored: _Stored, batch: _Batch, state: _State) -> None:
        """L3–L7, P2 and overlapping discounts/taxes. The rows that will be loaded are judged
        against what is stored plus each other; the rows of each file that will not be, against
        that plus their own file's rows, so they are reported without deciding anything for the
        other files."""
        self._judge(stored, batch, state, None)
        for file in sorted(set(batch.files)):
            extra = {}
            for position, frame in batch.frames.items():
                if batch.files[position] != file:
                    continue
                if file in state.refused:
                    extra[position] = frame.index
                elif rows := state.excluded_rows(position):
                    extra[position] = pd.Index(sorted(rows))
            if extra:
                self._judge(stored, batch, state, extra)

    def _judge(self, stored: _Stored, batch: _Batch, state: _State,
               extra: dict[int, pd.Index] | None) -> None:
        """Run the batch rules over what is stored, the rows that will be loaded and `extra`;
        record the findings of `extra`'s rows (of the rows that will be loaded when None)."""
        context = {p: f.loc[~f.index.isin(state.excluded_rows(p))]
                   for p, f in batch.frames.items() if batch.files[p] not in state.refused}
        judged = context
        seen = context
        if extra is not None:
            judged = {p: batch.frames[p].loc[rows] for p, rows in extra.items()}
            seen = {**context, **{p: pd.concat([context[p], f]) if p in context else f
                                  for p, f in judged.items()}}

        def of(kind: str, frames: dict[int, pd.DataFrame]) -> list[pd.DataFrame]:
            return [f for p, f in sorted(frames.items()) if batch.tables[p].kind.name == kind]

        kinds = {batch.tables[p].kind.name for p in judged}  # clients are read, never judged
        findings = []
        if kinds & {"links", "payments"}:
            links = pd.concat([stored.links, *of("links", seen)], ignore_index=True)
        if "links" in kinds:
            clients = pd.concat([stored.clients, *of("clients", seen)], ignore_index=True)
            findings.append(hierarchy.check_links(links, clients, self.hierarchy))
        findings += [hierarchy.check_top_ups(payments, links)
                     for payments in of("payments", judged)]
        for kind in ("discounts", "taxes"):
            if kind in kinds:
                rows = pd.concat([stored.conditions[kind], *of(kind, seen)], ignore_index=True)
                findings.append(conditions.check_overlaps(rows, kind))
        for found in findings:
            if found.empty:
                continue
            mine = np.zeros(len(found), dtype=bool)
            for position, frame in judged.items():
                mine |= ((found["origin"] == position) & found["row"].isin(frame.index)
                         ).to_numpy()
            found = found[mine]
            for (origin, column, rule, severity), group in found.groupby(
                    ["origin", "column", "rule", "severity"]):
                messages = pd.Series(group["message"].to_numpy(), index=group["row"].to_numpy())
                messages = messages[~messages.index.duplicated()]
                batch.tables[int(origin)].add_errors(
                    pd.Index(messages.index), str(column), str(rule), messages,
                    severity=str(severity))

    def _kept(self, stored: pd.DataFrame) -> pd.DataFrame:
        """Stored rows that stay: those of a load being replaced are about to go."""
        return stored[~stored["load_id"].isin(self.replaced)]


def withheld_clients(active: list[FileOutcome], loaded: set[str]) -> dict[str, str]:
    """Clients of this batch that will not be loaded, each with the reason in words (the
    columns named as typed in the clients' header)."""
    withheld: dict[str, str] = {}
    row_refused = _("its row was refused ({file}, sheet {sheet}, row {row}: {why})")
    file_refused_for = _("its file {file} was refused because of errors in other rows (first: "
                         "row {row}, {why}). Fix those rows and drop the file again, or load "
                         "with --partial.")
    file_refused = _("its file {file} was refused.")
    for outcome in active:
        for table in outcome.tables:
            if table.kind.name != "clients" or table.data.empty:
                continue
            errors = table.errors[table.errors["severity"] == "error"].drop_duplicates("row")
            first = {int(r): f"{table.header(c)}: {m}" if c else str(m) for r, c, m in zip(
                errors["row"], errors["column"], errors["message"], strict=True)}
            file, sheet = table.raw.file, repr(table.raw.sheet)
            for row, key in table.keys.dropna().items():
                if key in loaded or key in withheld or not key:
                    continue
                if int(row) in first:  # type: ignore[call-overload]
                    withheld[key] = row_refused.format(
                        file=file, sheet=sheet, row=row,
                        why=first[int(row)])  # type: ignore[call-overload]
                elif first:
                    row_, why = next(iter(first.items()))
                    withheld[key] = file_refused_for.format(file=file, row=row_, why=why)
                else:
                    withheld[key] = file_refused.format(file=file)
    return withheld

def batch_clients(outcomes: list[FileOutcome]) -> set[str]:
    """Keys of the valid client rows of these files."""
    clients: set[str] = set()
    for outcome in outcomes:
        for table in outcome.tables:
            if table.kind.name == "clients":
                clients.update(table.keys.loc[table.valid.index].dropna())
    return clients


@dataclass(frozen=True)
class _Stored:
    """What the warehouse already holds that the batch rules look at."""

    links: pd.DataFrame
    clients: pd.DataFrame
    conditions: dict[str, pd.DataFrame]


@dataclass(frozen=True)
class _Round:
    """What each round of judging the batch starts from: the stored clients the batch names,
    what else the warehouse holds that the rules read, and each table's errors that no other
    row can change (values, IDs)."""

    stored_clients: set[str]
    stored: _Stored
    values_only: list[pd.DataFrame]


@dataclass(frozen=True)
class _State:
    """What will not be loaded, as far as the batch rules are concerned: files refused (places
    in the list of files checked), and, per rules' table of the other files, the rows refused."""

    refused: frozenset[int]
    excluded: tuple[tuple[int, frozenset[int]], ...]

    def excluded_rows(self, position: int) -> frozenset[int]:
        return dict(self.excluded).get(position, frozenset())

    @staticmethod
    def union(states: list[_State]) -> _State:
        refused = frozenset().union(*(s.refused for s in states))
        excluded: dict[int, frozenset[int]] = {}
        for state in states:
            for position, rows in state.excluded:
                excluded[position] = excluded.get(position, frozenset()) | rows
        return _State(refused, tuple(sorted(excluded.items())))


@dataclass(frozen=True)
class _Batch:
    """The tables checked together: each with its file (a place in the list of files) and, for
    the tables the batch rules read, the rows they can judge in the rules' shape (by position)."""

    tables: list[TableResult]
    files: list[int]
    frames: dict[int, pd.DataFrame]


# errors about a row's identity, not its values: the row can still be judged
_NOT_VALUES = ("duplicate_id", "conflict")


def _rule_frames(tables: list[TableResult]) -> dict[int, pd.DataFrame]:
    """Per table the batch rules read (by position): its rows that parse as the rules need, in
    the rules' shape (`rules.inputs`), indexed by Excel row. A row with a bad value the rules
    judge it by is left out (the value is reported instead); a bad value they only read is read
    as unknown. Rows of clients, links, discounts and taxes already stored as they are (skipped)
    are left out: the warehouse's copy stands for them. Payments stay: a payment stored before
    that a new link makes a top-up is still named (P2)."""
    frames: dict[int, pd.DataFrame] = {}
    for position, table in enumerate(tables):
        kind = table.kind.name
        if kind not in inputs.INPUTS or table.data.empty:
            continue
        errors = table.errors
        bad = errors[(errors["severity"] == "error") & ~errors["rule"].isin(_NOT_VALUES)]
        judged = inputs.judged_columns(kind)
        data = table.data
        usable = ~data.index.isin(bad.loc[bad["column"].isin(judged), "row"])
        if kind != "payments":
            usable &= ~data.index.isin(table.skipped)
        data = data.loc[usable].copy()
        for read in {i.column for i in inputs.INPUTS[kind]} - set(judged):
            data.loc[data.index.isin(bad.loc[bad["column"] == read, "row"]), read] = pd.NA
        frames[position] = inputs.batch(kind, data, position, table.raw.file, table.raw.sheet)
    return frames
