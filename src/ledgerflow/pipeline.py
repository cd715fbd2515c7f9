"""The orchestrator: read -> validate -> cross-check -> load, one method per stage.

`check_inbox` stops after validation (nothing is written); `load_inbox` goes on to load. Both
return an `IngestReport` that says, per file, what was accepted, refused or skipped, with every
problem as data.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import duckdb
import numpy as np
import pandas as pd

from ledgerflow.contract import LOAD_ORDER
from ledgerflow.errors import Problem, UsageError
from ledgerflow.load import loader, warehouse
from ledgerflow.load.invariants import InvariantBroken
from ledgerflow.read.inbox import InboxFile, file_kinds, identify, inbox_files, read_tables
from ledgerflow.read.sniff import Caps
from ledgerflow.rules import conditions, hierarchy, inputs
from ledgerflow.rules.hierarchy import HierarchySettings
from ledgerflow.validate import cross
from ledgerflow.validate.table import TableResult, ValueSettings, validate_table

READ_THREADS = 2  # the machine's cores; more only adds memory
# Files of expenses only beyond this size in one inbox are loaded a few at a time, after the
# rest: a million expense rows take about 1 GB while they are checked.
STREAM_BYTES = 100 * 1024 * 1024
# Exit code of a run that found nothing to do where something was expected (an empty inbox; for
# `run`, also no new file for a period with nothing loaded): a warning for cron, not a failure.
NOTHING_NEW = 4
Status = Literal["loaded", "partial", "refused", "skipped", "valid", "nothing"]


@dataclass(frozen=True)
class IngestOptions:
    partial: bool = False
    # loads this run replaces: load ids, or names of files that were loaded
    replace: frozenset[str] = frozenset()
    values: ValueSettings = field(default_factory=ValueSettings)
    hierarchy: HierarchySettings = field(default_factory=HierarchySettings)
    caps: Caps = field(default_factory=Caps)


@dataclass
class FileOutcome:
    file: InboxFile
    status: Status = "valid"
    tables: list[TableResult] = field(default_factory=list)
    load_id: int | None = None
    note: str = ""

    @property
    def rows(self) -> int:
        return sum(len(t.data) for t in self.tables)

    @property
    def refused_rows(self) -> int:
        return sum(len(t.error_rows) for t in self.tables)

    @property
    def skipped_rows(self) -> int:
        return sum(len(t.skipped) for t in self.tables)

    @property
    def accepted_rows(self) -> int:
        if self.status in ("refused", "skipped", "nothing"):
            return 0
        return sum(len(t.to_load) for t in self.tables)

    def problems(self) -> list[Problem]:
        found = list(self.file.problems)
        for table in self.tables:
            found.extend(table.problems())
        return found

    def has_errors(self) -> bool:
        return self.file.refused or any(len(t.error_rows) for t in self.tables) or any(
            p.severity == "error" for p in self.file.problems)


@dataclass
class IngestReport:
    outcomes: list[FileOutcome]
    inbox: Path | None = None

    def problems(self) -> list[Problem]:
        return [p for o in self.outcomes for p in o.problems()]

    @property
    def refused_anything(self) -> bool:
        return any(o.has_errors() for o in self.outcomes if o.status != "skipped")

    @property
    def nothing_new(self) -> bool:
        """No file of the inbox was read this time: it was empty, or held only files loaded
        before."""
        return all(o.status in ("skipped", "nothing") for o in self.outcomes)

    @property
    def empty(self) -> bool:
        """The inbox held no file at all."""
        return not self.outcomes

    @property
    def exit_code(self) -> int:
        if self.refused_anything:
            return 1
        return NOTHING_NEW if self.empty else 0


Progress = Callable[[str, int], AbstractContextManager[Callable[[int], None]]]


def no_progress(_label: str, _total: int) -> AbstractContextManager[Callable[[int], None]]:
    """The progress callback of a run that shows none (tests, library use, a log file)."""
    return nullcontext(lambda _n: None)


class Ingest:
    """One run over an inbox against a warehouse."""

    def __init__(self, inbox: Path, warehouse_path: Path, options: IngestOptions,
                 progress: Progress = no_progress) -> None:
        if not inbox.is_dir():
            raise UsageError(f"The inbox {inbox} is not a folder.")
        self.inbox = inbox
        self.warehouse_path = warehouse_path
        self.options = options
        self.progress = progress
        self.outcomes: list[FileOutcome] = []
        self.replacing: tuple[warehouse.LoadRecord, ...] = ()  # loads this run replaces
        self.replacement: set[str] = set()  # names of the files that replace them
        self.loaded_ids: set[int] = set()  # the loads this run made
        self.earlier = cross.Earlier()  # what the waves before this one held

    def read(self, connection: duckdb.DuckDBPyConnection) -> None:
        """Identify every file by its SHA-256, skip those already loaded without parsing them,
        and parse the rest two at a time (the workbook parser runs outside the GIL)."""
        self._read(self._identify(connection))
        self.outcomes.sort(key=lambda o: o.file.name)

    def _identify(self, connection: duckdb.DuckDBPyConnection) -> list[InboxFile]:
        """The files to read: not loaded already, and one of each set of copies (the others
        are skipped here). Also settles what this run replaces."""
        self._resolve_replace(connection)
        files = [identify(path, self.inbox) for path in inbox_files(self.inbox)]
        to_read: list[InboxFile] = []
        first: dict[str, InboxFile] = {}
        replaced = {r.sha256: r for r in self.replacing}
        for file in files:
            earlier = warehouse.completed_load(connection, file.sha256)
            if file.sha256 in replaced:
                old = replaced[file.sha256]
                self.outcomes.append(FileOutcome(file, "skipped", note=(
                    f"the very load this run replaces (load {old.load_id}, {old.file})")))
            elif earlier is not None:
                load_id, name = earlier
                self.outcomes.append(FileOutcome(
                    file, "skipped", note=f"already loaded as load {load_id} ({name})"))
            elif file.sha256 in first:
                self.outcomes.append(FileOutcome(file, "skipped", note=(
                    f"a copy of {first[file.sha256].name} (the same bytes), loaded once")))
            else:
                first[file.sha256] = file
                to_read.append(file)
        self._group_replacements(to_read)
        return to_read

    def _resolve_replace(self, connection: duckdb.DuckDBPyConnection) -> None:
        """The loads `--replace` names, each a load id or a loaded file's name; one that names
        nothing loaded stops the run before anything is read."""
        found: dict[int, warehouse.LoadRecord] = {}
        for token in sorted(self.options.replace):
            records = warehouse.find_loads(connection, token)
            if not records:
                raise UsageError(
                    f"--replace {token}: no load with that id or file name has rows in the "
                    "warehouse, so there is nothing to replace. `ledgerflow loads` lists the "
                    "loads.")
            found.update((r.load_id, r) for r in records)
        self.replacing = tuple(found[i] for i in sorted(found))

    def _group_replacements(self, files: list[InboxFile]) -> None:
        """The files that replace the loads of `--replace`: those holding a kind of table that
        a replaced load held. They are loaded together, in the transaction that removes the
        replaced rows, and refused together: a replacement is whole or not at all."""
        if not self.replacing:
            return
        kinds = {k for r in self.replacing for k in r.kinds}
        self.replacement = {f.name for f in files if file_kinds(f.path) & kinds}
        if not self.replacement:
            named = "; ".join(f"load {r.load_id} ({r.file}: {', '.join(r.kinds)})"
                              for r in self.replacing)
            raise UsageError(
                f"--replace: no new file in the inbox holds what {named} held, so nothing "
                "would replace it. Drop the corrected file in the inbox, or remove the load "
                "with `ledgerflow unload`.")

    def _read(self, files: list[InboxFile]) -> list[FileOutcome]:
        read: list[FileOutcome] = []
        with self.progress("reading", len(files)) as advance, \
                ThreadPoolExecutor(max_workers=READ_THREADS) as pool:
            for file in pool.map(lambda f: read_tables(f, self.options.caps), files):
                read.append(self._classify(file))
                advance(1)
        self.outcomes.extend(read)
        return read

    @staticmethod
    def _classify(file: InboxFile) -> FileOutcome:
        if file.refused:
            return FileOutcome(file, "refused")
        if not file.tables:
            return FileOutcome(file, "nothing", note="no table to load")
        return FileOutcome(file)

    def validate(self, connection: duckdb.DuckDBPyConnection) -> None:
        """Check the values of every file read and not yet judged, then the batch's rows
        against each other and against the warehouse."""
        active = [o for o in self.outcomes if o.status == "valid" and not o.tables]
        with self.progress("validating", sum(len(o.file.tables) for o in active)) as advance:
            for outcome in active:
                for raw in outcome.file.tables:
                    outcome.tables.append(validate_table(raw, self.options.values))
                    advance(1)
            self._cross_check(connection, active)

    def _cross_check(self, connection: duckdb.DuckDBPyConnection,
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
            cross.mark_already_loaded(connection, table, self._replaced_ids | self.loaded_ids)
        # what is stored does not change while the batch is checked: read it once; the
        # clients of earlier waves count as stored (`validate` loads none of them)
        stored_clients = cross.referenced_stored_clients(connection, tables) \
            | self.earlier.clients
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
        loaded = self._batch_clients([o for i, o in enumerate(active) if i not in state.refused])
        withheld = self._withheld_clients(active, loaded)
        own = [self._batch_clients([o]) for o in active]
        for table, errors in zip(batch.tables, judge.values_only, strict=True):
            table.errors = errors
        for table, file in zip(batch.tables, batch.files, strict=True):
            # a file's own clients count for its own rows: if the file is refused, so are
            # the rows that name them, and "no such client" would only mislead
            cross.check_client_references(table, judge.stored_clients | loaded | own[file],
                                          self.earlier.withheld | withheld)
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
                if self._refuses(active[file]) or file in first.refused:
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
            if not self._refuses(outcome):
                others = ", ".join(active[i].file.name for i in sorted(state.refused)
                                   if i != file)
                outcome.file.problems.append(Problem(outcome.file.name, "not_loaded", (
                    f"Not loaded: its rows and those of {others} refuse each other by the "
                    "hierarchy, top-up or overlap rules, so none of them was loaded. Load them "
                    "one at a time to see which rows to fix.")))

    def _state(self, active: list[FileOutcome], batch: _Batch) -> _State:
        """What the errors found so far refuse: files, and the rows of the others that the
        batch rules read."""
        refused = frozenset(i for i, o in enumerate(active) if self._refuses(o))
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
            findings.append(hierarchy.check_links(links, clients, self.options.hierarchy))
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

    @property
    def _replaced_ids(self) -> set[int]:
        return {r.load_id for r in self.replacing}

    def _kept(self, stored: pd.DataFrame) -> pd.DataFrame:
        """Stored rows that stay: those of a load being replaced are about to go."""
        return stored[~stored["load_id"].isin(self._replaced_ids)]

    def _refuses(self, outcome: FileOutcome) -> bool:
        if outcome.file.name in self.replacement:
            return self._replacement_refused()
        return self._refused_alone(outcome)

    def _refused_alone(self, outcome: FileOutcome) -> bool:
        if outcome.file.refused:
            return True
        return not self.options.partial and outcome.has_errors()

    def _replacement_refused(self) -> bool:
        return any(self._refused_alone(o) for o in self.outcomes
                   if o.file.name in self.replacement and o.status != "skipped")

    def _withheld_clients(self, active: list[FileOutcome], loaded: set[str]) -> dict[str, str]:
        """Clients of this batch that will not be loaded, each with the reason in words."""
        withheld: dict[str, str] = {}
        for outcome in active:
            for table in outcome.tables:
                if table.kind.name != "clients" or table.data.empty:
                    continue
                errors = table.errors[table.errors["severity"] == "error"].drop_duplicates("row")
                first = {int(r): f"{c}: {m}" if c else str(m) for r, c, m in zip(
                    errors["row"], errors["column"], errors["message"], strict=True)}
                where = f"{table.raw.file}, sheet {table.raw.sheet!r}"
                for row, key in table.keys.dropna().items():
                    if key in loaded or key in withheld or not key:
                        continue
                    if int(row) in first:  # type: ignore[call-overload]
                        withheld[key] = f"its row was refused ({where}, row {row}: " \
                                        f"{first[int(row)]})"  # type: ignore[call-overload]
                    elif first:
                        row_, why = next(iter(first.items()))
                        withheld[key] = (
                            f"its file {table.raw.file} was refused because of errors in other "
                            f"rows (first: row {row_}, {why}). Fix those rows and drop the file "
                            "again, or load with --partial.")
                    else:
                        withheld[key] = f"its file {table.raw.file} was refused."
        return withheld

    @staticmethod
    def _batch_clients(outcomes: list[FileOutcome]) -> set[str]:
        """Keys of the valid client rows of these files."""
        clients: set[str] = set()
        for outcome in outcomes:
            for table in outcome.tables:
                if table.kind.name == "clients":
                    clients.update(table.keys.loc[table.valid.index].dropna())
        return clients

    def decide(self) -> None:
        """Each file judged: loaded whole, loaded in part (`--partial`), or refused."""
        for outcome in self.outcomes:
            if outcome.status != "valid":
                continue
            if self._refuses(outcome):
                outcome.status = "refused"
                if not self._refused_alone(outcome):
                    why = ", ".join(o.file.name for o in self.outcomes if o.file.name
                                    in self.replacement and self._refused_alone(o))
                    replaced = ", ".join(f"load {r.load_id} ({r.file})" for r in self.replacing)
                    outcome.file.problems.append(Problem(outcome.file.name, "not_loaded", (
                        f"Not loaded: it replaces {replaced} together with {why}, which was "
                        "refused; a replacement is loaded whole or not at all, so nothing was "
                        "replaced.")))
            elif outcome.has_errors():
                outcome.status = "partial"

    def load(self, connection: duckdb.DuckDBPyConnection,
             outcomes: list[FileOutcome] | None = None) -> None:
        """Load the files judged (all of them, or `outcomes`): each in its own transaction,
        files holding clients before those that name them; the files replacing earlier loads
        together, in the transaction that removes those loads' rows."""
        outcomes = self.outcomes if outcomes is None else outcomes
        order = {name: i for i, name in enumerate(LOAD_ORDER)}
        outcomes = sorted(outcomes, key=lambda o: (min(
            (order[t.kind.name] for t in o.tables), default=len(order)), o.file.name))
        group = [o for o in outcomes if o.file.name in self.replacement
                 and o.status in ("valid", "partial")]
        with self.progress("loading", len(outcomes)) as advance:
            if group:
                self._load_together(connection, group, tuple(sorted(self._replaced_ids)))
                advance(len(group))
            for outcome in outcomes:
                if outcome not in group:
                    self._load_together(connection, [outcome], ())
                    advance(1)

    def _load_together(self, connection: duckdb.DuckDBPyConnection,
                       outcomes: list[FileOutcome], replaces: tuple[int, ...]) -> None:
        now = datetime.now(UTC)
        for outcome in outcomes:
            if outcome.status == "refused":
                self._record_refusal(connection, outcome, now)
        loadable = [o for o in outcomes if o.status in ("valid", "partial")]
        if not loadable:
            return
        files = [loader.FileLoad(o.file.name, o.file.sha256, o.tables,
                                 "partial" if o.status == "partial" else "completed", now)
                 for o in loadable]
        try:
            ids = loader.load_files(connection, files, replaces, self.options.hierarchy)
        except InvariantBroken as broken:
            for outcome in loadable:
                outcome.file.problems.extend(_refusal_problems(outcome, broken))
                outcome.status = "refused"
                self._record_refusal(connection, outcome, now)
            return
        self.loaded_ids.update(ids)
        for outcome, load_id in zip(loadable, ids, strict=True):
            outcome.load_id = load_id
            outcome.status = "partial" if outcome.status == "partial" else "loaded"

    @staticmethod
    def _record_refusal(connection: duckdb.DuckDBPyConnection, outcome: FileOutcome,
                        now: datetime) -> None:
        outcome.load_id = loader.record_refusal(connection, outcome.file.name,
                                                outcome.file.sha256, outcome.tables, now)

    def check(self) -> IngestReport:
        """Read and validate the inbox against the warehouse, loading nothing."""
        return self._waves(load=False)

    def run(self) -> IngestReport:
        """Read, validate and load the inbox."""
        return self._waves(load=True)

    def _waves(self, load: bool) -> IngestReport:
        """Each wave of `_plan` read, validated (against the warehouse and the waves before it)
        and judged, then loaded when `load`. The rows of a wave of the stream leave memory once
        it is done, keeping what the report needs and a refused file's rows (for the rejects
        workbook), so `validate` is bounded in memory just as `load` is."""
        with self._connect(read_only=not load) as connection:
            waves = self._plan(self._identify(connection))
            for wave in waves:
                outcomes = self._read(wave)
                self.validate(connection)
                self.decide()
                if load:
                    self.load(connection, outcomes)
                if len(waves) > 1:
                    loads = [o for o in outcomes if o.status in ("valid", "loaded", "partial")]
                    clients = self._batch_clients(loads)
                    self.earlier.add([t for o in outcomes for t in o.tables], clients,
                                     self._withheld_clients(outcomes, clients))
                    for outcome in outcomes:
                        _release(outcome)
        self.outcomes.sort(key=lambda o: o.file.name)
        return IngestReport(self.outcomes, self.inbox)

    def _plan(self, files: list[InboxFile]) -> list[list[InboxFile]]:
        """The waves the files are read in: all together, unless files of expenses only hold
        more than `STREAM_BYTES`; then everything else first, and those files after it a few
        at a time (as many as are parsed at once), each checked against what came before."""
        expenses = [f for f in files if file_kinds(f.path) == {"expenses"}
                    and f.name not in self.replacement]
        if sum(f.size for f in expenses) <= STREAM_BYTES:
            return [files]
        later = {id(f) for f in expenses}
        front = [f for f in files if id(f) not in later]
        stream = [expenses[i:i + READ_THREADS] for i in range(0, len(expenses), READ_THREADS)]
        return [front, *stream] if front else stream

    def _connect(self, read_only: bool) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
        return _closing(warehouse.connect(self.warehouse_path, read_only=read_only))


def _refusal_problems(outcome: FileOutcome, broken: InvariantBroken) -> list[Problem]:
    """Why a file judged loadable was refused at the last moment: loading it would have broken
    the warehouse (the batch checks should have caught it first)."""
    name = outcome.file.name
    mine = [p for p in broken.problems if p.file == name]
    others = [p for p in broken.problems if p.file != name]
    problems = [dataclasses.replace(p, message=f"Not loaded: {p.message}") for p in mine]
    if others or not mine:
        causes = "; ".join(f"{p.location()}: {p.message}" if p.file else p.message
                           for p in others[:3])
        problems.append(Problem(name, "not_loaded", (
            "Not loaded: loading this file would have left the warehouse inconsistent, so "
            f"nothing of it was stored ({causes})." if causes else
            "Not loaded: it is loaded together with a file that was refused.")))
    return problems


def _release(outcome: FileOutcome) -> None:
    """Drop a loaded (or loadable) file's cells, keeping what its report needs (row numbers,
    problems)."""
    if outcome.status not in ("valid", "loaded", "partial", "skipped"):
        return  # a refused file's rows go to the rejects workbook
    outcome.file.tables.clear()
    for table in outcome.tables:
        table.data = table.data.iloc[:, :0]
        table.raw.frame = table.raw.frame.iloc[:, :0]
        table.keys = table.keys.iloc[:0]


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


class _closing(AbstractContextManager[duckdb.DuckDBPyConnection]):
    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self.connection = connection

    def __enter__(self) -> duckdb.DuckDBPyConnection:
        return self.connection

    def __exit__(self, *exc: object) -> None:
        self.connection.close()


def check_inbox(inbox: Path, warehouse_path: Path, options: IngestOptions | None = None,
                progress: Progress = no_progress) -> IngestReport:
    return Ingest(inbox, warehouse_path, options or IngestOptions(), progress).check()


def load_inbox(inbox: Path, warehouse_path: Path, options: IngestOptions | None = None,
               progress: Progress = no_progress) -> IngestReport:
    return Ingest(inbox, warehouse_path, options or IngestOptions(), progress).run()


