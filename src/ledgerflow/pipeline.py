"""The orchestrator: read -> validate -> cross-check -> load, one method per stage.

`check_inbox` stops after validation (nothing is written); `load_inbox` goes on to load. Both
return an `IngestReport` that says, per file, what was accepted, refused or skipped, with every
problem as data.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import duckdb
import pandas as pd

from ledgerflow.contract import LOAD_ORDER
from ledgerflow.errors import Problem, UsageError
from ledgerflow.load import loader, warehouse
from ledgerflow.load.invariants import InvariantBroken
from ledgerflow.read.inbox import InboxFile, file_kinds, identify, inbox_files, read_tables
from ledgerflow.read.sniff import Caps
from ledgerflow.rules import conditions, hierarchy
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
        self.seconds = {"read": 0.0, "validate": 0.0, "load": 0.0}  # time spent per stage

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
        started = time.perf_counter()
        read: list[FileOutcome] = []
        with self.progress("reading", len(files)) as advance, \
                ThreadPoolExecutor(max_workers=READ_THREADS) as pool:
            for file in pool.map(lambda f: read_tables(f, self.options.caps), files):
                read.append(self._classify(file))
                advance(1)
        self.outcomes.extend(read)
        self.seconds["read"] += time.perf_counter() - started
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
        started = time.perf_counter()
        active = [o for o in self.outcomes if o.status == "valid" and not o.tables]
        with self.progress("validating", sum(len(o.file.tables) for o in active)) as advance:
            for outcome in active:
                for raw in outcome.file.tables:
                    outcome.tables.append(validate_table(raw, self.options.values))
                    advance(1)
        self._cross_check(connection, active)
        self.seconds["validate"] += time.perf_counter() - started

    def _cross_check(self, connection: duckdb.DuckDBPyConnection,
                     active: list[FileOutcome]) -> None:
        order = {name: i for i, name in enumerate(LOAD_ORDER)}
        tables = sorted(((o, t) for o in active for t in o.tables),
                        key=lambda pair: order[pair[1].kind.name])
        cross.check_duplicates_across([t for _, t in tables])
        for _, table in tables:
            cross.mark_already_loaded(connection, table, self._replaced_ids)
        # what is stored does not change while the batch is checked: read it once
        stored_clients = cross.referenced_stored_clients(connection, [t for _, t in tables])
        stored = _Stored(
            self._kept(warehouse.stored_links(connection)),
            self._kept(warehouse.stored_clients(connection)),
            {kind: self._kept(warehouse.stored_conditions(connection, kind))
             for kind in ("discounts", "taxes")})
        # A reference may point at a client of this batch only if that client will be loaded,
        # which depends on whether its file is refused, and a refused file's links no longer
        # count: repeat until the set of refused files settles. Errors only accumulate, so the
        # set only grows and the loop ends.
        for _attempt in range(len(active) + 1):
            refused_before = {id(o) for o in active if self._refuses(o)}
            loaded = self._batch_clients([o for o in active if not self._refuses(o)])
            withheld = self._withheld_clients(active, loaded)
            for outcome, table in tables:
                # a file's own clients count for its own rows: if the file is refused, so are
                # the rows that name them, and "no such client" would only mislead
                own = self._batch_clients([outcome])
                cross.check_client_references(table, stored_clients | loaded | own, withheld)
            self._check_rules(stored, active)
            for _, table in tables:
                table.errors = table.errors.drop_duplicates(["row", "column", "rule"])
            if {id(o) for o in active if self._refuses(o)} == refused_before:
                break

    def _check_rules(self, stored: _Stored, active: list[FileOutcome]) -> None:
        """L3–L7, P2 and overlapping discounts/taxes over what is stored plus what this batch
        would load."""
        tables = [t for o in active for t in o.tables]
        refused = {id(t) for o in active if self._refuses(o) for t in o.tables}
        loading = [(i, t) for i, t in enumerate(tables) if id(t) not in refused]
        links = pd.concat([stored.links] + [
            _batch_links(i, t) for i, t in loading if t.kind.name == "links"],
            ignore_index=True)
        clients = pd.concat([stored.clients] + [
            _batch_clients(t) for _, t in loading if t.kind.name == "clients"],
            ignore_index=True)
        findings = [hierarchy.check_links(links, clients, self.options.hierarchy)]
        findings += [hierarchy.check_top_ups(_batch_payments(i, t), links)
                     for i, t in loading if t.kind.name == "payments"]
        for kind in ("discounts", "taxes"):
            rows = pd.concat([stored.conditions[kind]] + [
                _batch_conditions(i, t) for i, t in loading if t.kind.name == kind],
                ignore_index=True)
            findings.append(conditions.check_overlaps(rows, kind))
        for found in findings:
            for (origin, column, rule, severity), group in found.groupby(
                    ["origin", "column", "rule", "severity"]):
                messages = pd.Series(group["message"].to_numpy(), index=group["row"].to_numpy())
                messages = messages[~messages.index.duplicated()]
                tables[int(origin)].add_errors(pd.Index(messages.index), str(column), str(rule),
                                               messages, severity=str(severity))

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
        started = time.perf_counter()
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
        self.seconds["load"] += time.perf_counter() - started

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
        for outcome, load_id in zip(loadable, ids, strict=True):
            outcome.load_id = load_id
            outcome.status = "partial" if outcome.status == "partial" else "loaded"

    @staticmethod
    def _record_refusal(connection: duckdb.DuckDBPyConnection, outcome: FileOutcome,
                        now: datetime) -> None:
        outcome.load_id = loader.record_refusal(connection, outcome.file.name,
                                                outcome.file.sha256, outcome.tables, now)

    def check(self) -> IngestReport:
        with self._connect(read_only=True) as connection:
            self.read(connection)
            self.validate(connection)
            self.decide()
        return IngestReport(self.outcomes, self.inbox)

    def run(self) -> IngestReport:
        """Read, validate and load the inbox. When it holds more expenses than should sit in
        memory at once (files of expenses only, `STREAM_BYTES` in all), everything else is
        loaded first and those files follow a few at a time, each checked against what is
        loaded by then; their rows leave memory once loaded."""
        with self._connect(read_only=False) as connection:
            front, stream = self._split(self._identify(connection))
            waves = [front] + [stream[i:i + READ_THREADS]
                               for i in range(0, len(stream), READ_THREADS)]
            for wave in waves:
                if not wave:
                    continue
                outcomes = self._read(wave)
                self.validate(connection)
                self.decide()
                self.load(connection, outcomes)
                if stream:
                    for outcome in outcomes:
                        _release(outcome)
        self.outcomes.sort(key=lambda o: o.file.name)
        return IngestReport(self.outcomes, self.inbox)

    def _split(self, files: list[InboxFile]) -> tuple[list[InboxFile], list[InboxFile]]:
        """(files to load together, files of expenses only to load after them) — the second
        list is empty unless those files are larger than `STREAM_BYTES` together."""
        expenses = [f for f in files if file_kinds(f.path) == {"expenses"}
                    and f.name not in self.replacement]
        if sum(f.size for f in expenses) <= STREAM_BYTES:
            return files, []
        later = {id(f) for f in expenses}
        return [f for f in files if id(f) not in later], expenses

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
    """Drop a loaded file's cells, keeping what its report needs (row numbers, problems)."""
    if outcome.status not in ("loaded", "partial", "skipped"):
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


def _batch_links(position: int, table: TableResult) -> pd.DataFrame:
    data = table.valid
    return pd.DataFrame({
        "master_id": data["master_id"], "related_id": data["related_id"],
        "master": data["master_id"].str.lower(), "related": data["related_id"].str.lower(),
        "linked_on": data["linked_on"], "unlinked_on": data["unlinked_on"],
        "origin": position, "row": data.index, "file": table.raw.file,
        "sheet": table.raw.sheet,
    })


def _batch_clients(table: TableResult) -> pd.DataFrame:
    data = table.valid
    return pd.DataFrame({"key": data["client_id"].str.lower(), "tax_id": data["tax_id"],
                         "status": data["status"]})


def _batch_conditions(position: int, table: TableResult) -> pd.DataFrame:
    data = table.valid
    return pd.DataFrame({
        "client": data["client_id"], "product": data["product_type"],
        "valid_from": data["valid_from"], "valid_to": data["valid_to"], "origin": position,
        "row": data.index, "file": table.raw.file, "sheet": table.raw.sheet,
    })


def _batch_payments(position: int, table: TableResult) -> pd.DataFrame:
    data = table.valid
    return pd.DataFrame({
        "client_id": data["client_id"], "account": data["client_id"].str.lower(),
        "date": data["date"], "kind": data["kind"], "origin": position, "row": data.index,
    })


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


