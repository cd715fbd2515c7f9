"""The ingest: read -> validate -> decide -> load, one method per stage, over waves of files.

`check_inbox` stops after validation (nothing is written); `load_inbox` goes on to load. Both
return an `IngestReport` that says, per file, what was accepted, refused or skipped, with every
problem as data.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ledgerflow.contract import LOAD_ORDER
from ledgerflow.errors import Problem, UsageError
from ledgerflow.i18n import _
from ledgerflow.load import loader, warehouse
from ledgerflow.load.invariants import InvariantBroken
from ledgerflow.outcomes import NOTHING_NEW, FileOutcome, IngestOptions, IngestReport, Status
from ledgerflow.read.inbox import InboxFile, file_kinds, identify, inbox_files, read_tables
from ledgerflow.validate import cross
from ledgerflow.validate.batch import BatchJudge, batch_clients, withheld_clients
from ledgerflow.validate.table import validate_table

__all__ = ["NOTHING_NEW", "FileOutcome", "Ingest", "IngestOptions", "IngestReport", "Status",
           "check_inbox", "load_inbox"]

READ_THREADS = 2  # the machine's cores; more only adds memory
# Files of expenses only beyond this size in one inbox are loaded a few at a time, after the
# rest: a million expense rows take about 1 GB while they are checked.
STREAM_BYTES = 100 * 1024 * 1024


Progress = Callable[[str, int], AbstractContextManager[Callable[[int], None]]]


def no_progress(_label: str, _total: int) -> AbstractContextManager[Callable[[int], None]]:
    """The progress callback of a run that shows none (tests, library use, a log file)."""
    return nullcontext(lambda _n: None)


class Ingest:
    """One run over an inbox against a warehouse."""

    def __init__(self, inbox: Path, warehouse_path: Path, options: IngestOptions,
                 progress: Progress = no_progress) -> None:
        if not inbox.is_dir():
            raise UsageError(_("The inbox {inbox} is not a folder.").format(inbox=inbox))
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
                self.outcomes.append(FileOutcome(file, "skipped", note=_(
                    "the very load this run replaces (load {load}, {file})").format(
                    load=old.load_id, file=old.file)))
            elif earlier is not None:
                load_id, name = earlier
                self.outcomes.append(FileOutcome(file, "skipped", note=_(
                    "already loaded as load {load} ({file})").format(load=load_id, file=name)))
            elif file.sha256 in first:
                self.outcomes.append(FileOutcome(file, "skipped", note=_(
                    "a copy of {file} (the same bytes), loaded once").format(
                    file=first[file.sha256].name)))
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
                raise UsageError(_(
                    "--replace {token}: no load with that id or file name has rows in the "
                    "warehouse, so there is nothing to replace. `ledgerflow loads` lists the "
                    "loads.").format(token=token))
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
            named = "; ".join(_("load {load} ({file}: {kinds})").format(
                load=r.load_id, file=r.file, kinds=", ".join(r.kinds)) for r in self.replacing)
            raise UsageError(_(
                "--replace: no new file in the inbox holds what {named} held, so nothing "
                "would replace it. Drop the corrected file in the inbox, or remove the load "
                "with `ledgerflow unload`.").format(named=named))

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
            if any(p.severity == "error" for p in file.problems):  # its tables were refused
                return FileOutcome(file, "refused")
            return FileOutcome(file, "nothing", note=_("no table to load"))
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
            BatchJudge(self.options.hierarchy, self._refuses, self._replaced_ids,
                       self.loaded_ids, self.earlier).check(connection, active)

    @property
    def _replaced_ids(self) -> set[int]:
        return {r.load_id for r in self.replacing}

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
                    replaced = ", ".join(_("load {load} ({file})").format(
                        load=r.load_id, file=r.file) for r in self.replacing)
                    outcome.file.problems.append(Problem(outcome.file.name, "not_loaded", _(
                        "Not loaded: it replaces {replaced} together with {why}, which was "
                        "refused; a replacement is loaded whole or not at all, so nothing was "
                        "replaced.").format(replaced=replaced, why=why)))
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
                    clients = batch_clients(loads)
                    self.earlier.add([t for o in outcomes for t in o.tables], clients,
                                     withheld_clients(outcomes, clients))
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
    not_loaded = _("Not loaded: {why}")
    problems = [dataclasses.replace(p, message=not_loaded.format(why=p.message)) for p in mine]
    if others or not mine:
        causes = "; ".join(f"{p.location()}: {p.message}" if p.file else p.message
                           for p in others[:3])
        problems.append(Problem(name, "not_loaded", _(
            "Not loaded: loading this file would have left the warehouse inconsistent, so "
            "nothing of it was stored ({causes}).").format(causes=causes) if causes else
            _("Not loaded: it is loaded together with a file that was refused.")))
    return problems


def _release(outcome: FileOutcome) -> None:
    """Drop a loaded (or loadable) file's cells, keeping what its report needs (row numbers,
    problems) and the cells of its refused rows (a partial load's), for the rejects workbook."""
    if outcome.status not in ("valid", "loaded", "partial", "skipped"):
        return  # a refused file's rows go to the rejects workbook
    outcome.file.tables.clear()
    for table in outcome.tables:
        table.data = table.data.iloc[:, :0]
        table.raw.frame = table.raw.frame.loc[table.raw.frame.index.isin(table.error_rows)]
        table.keys = table.keys.iloc[:0]


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


