"""Taking one file of the inbox: a stable copy of it, validated and loaded as `ledgerflow load`
would, the earlier load of a file of the same name replaced.

The file is copied first, and the copy is what is read: a file saved or replaced while it is
being loaded cannot mix two versions, and one that changed while it was copied is left for the
watcher to take again once it settles. What `ledgerflow load` does with a file decides the rest:

- the same bytes loaded before (under any name): skipped, nothing loaded twice;
- a changed file — one whose name was loaded, with rows in the warehouse, holding a kind of table
  the new version holds too — replaces that load (`--replace NAME`), in one transaction: its old
  rows leave and the new ones arrive, or, when the new version is refused, nothing changes;
- anything else: loaded whole, or (the pipeline's `partial = true`) its valid rows.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ledgerflow.config import PipelineConfig
from ledgerflow.load.warehouse import LoadRecord, completed_load, connect, find_loads
from ledgerflow.outcomes import IngestOptions, IngestReport
from ledgerflow.pipeline import Ingest
from ledgerflow.read.inbox import file_kinds, file_name, file_sha256
from ledgerflow.watch.settle import Signature

STAGING_PREFIX = ".ledgerflow-watch-"  # hidden: `ledgerflow load` and the watcher skip it


@dataclass(frozen=True)
class Taken:
    """A file taken: its name in the inbox, its signature when copied, what its ingest said,
    and the loads it replaced."""

    name: str
    signature: Signature
    report: IngestReport
    replaced: tuple[LoadRecord, ...] = ()

    @property
    def loaded(self) -> bool:
        """Rows of it reached the warehouse."""
        return any(o.status in ("loaded", "partial") for o in self.report.outcomes)


def inbox_name(path: Path, inbox: Path) -> str:
    """The name a file of the inbox is loaded under: its path in the inbox, POSIX style."""
    return file_name(path.relative_to(inbox).as_posix())


def take(path: Path, inbox: Path, config: PipelineConfig, workdir: Path) -> Taken | None:
    """Copy the file to a staging folder in `workdir` and load the copy into the pipeline's
    warehouse. None: the file changed while it was copied (nothing was loaded). Raises
    FileNotFoundError when the file is gone, `WarehouseLocked` when another run holds the
    warehouse (nothing was loaded)."""
    before = Signature.of(path.stat())
    relative = path.relative_to(inbox)
    name = inbox_name(path, inbox)
    with tempfile.TemporaryDirectory(prefix=STAGING_PREFIX, dir=workdir) as staging:
        copy = Path(staging) / relative
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, copy)
        if Signature.of(path.stat()) != before:
            return None
        options = IngestOptions(partial=config.partial,
                                replace=replaced_by(config.warehouse, name, copy),
                                values=config.values, hierarchy=config.hierarchy)
        ingest = Ingest(Path(staging), config.warehouse, options)
        report = dataclasses.replace(load_copy(ingest), inbox=inbox)  # not the staging folder
    return Taken(name, before, report, ingest.replacing)


def load_copy(ingest: Ingest) -> IngestReport:
    """Read, validate and load the staged copy (apart, so a test can change the inbox's file
    while its copy is being loaded)."""
    return ingest.run()


def replaced_by(warehouse_path: Path, name: str, copy: Path) -> frozenset[str]:
    """The `--replace` of a file: its own name when it is a changed version of a file loaded
    under that name (rows of it in the warehouse, a kind of table in common, and these bytes
    not loaded already); else nothing."""
    if not warehouse_path.exists() or name.strip().isdigit():  # a bare number is a load id
        return frozenset()
    connection = connect(warehouse_path, read_only=True)
    try:
        if completed_load(connection, file_sha256(copy)) is not None:
            return frozenset()  # these bytes are loaded: the ingest skips the file
        records = find_loads(connection, name)
    finally:
        connection.close()
    kinds = file_kinds(copy)
    return frozenset({name}) if any(kinds & set(r.kinds) for r in records) else frozenset()
