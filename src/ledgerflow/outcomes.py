"""What an ingest run says of each file of the inbox, and the options it runs with.

A `FileOutcome` is one file's verdict (loaded, loaded in part, refused, skipped, or valid when
nothing was loaded) with its tables and problems; an `IngestReport` is the run's, with its exit
code for cron.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ledgerflow.errors import Problem
from ledgerflow.i18n import N_, _, ngettext
from ledgerflow.read.inbox import InboxFile
from ledgerflow.read.sniff import Caps
from ledgerflow.rules.hierarchy import HierarchySettings
from ledgerflow.validate.table import TableResult, ValueSettings

# Exit code of a run that found nothing to do where something was expected (an empty inbox; for
# `run`, also no new file for a period with nothing loaded): a warning for cron, not a failure.
NOTHING_NEW = 4
Status = Literal["loaded", "partial", "refused", "skipped", "valid", "nothing"]
# a file's status in the words of the reader's language
STATUS_WORDS: dict[str, str] = {
    "loaded": N_("loaded"), "partial": N_("partial"), "refused": N_("refused"),
    "skipped": N_("skipped"), "valid": N_("valid"), "nothing": N_("nothing"),
}


def status_word(status: str) -> str:
    """A file's status (or a load's) as the active locale says it."""
    word = STATUS_WORDS.get(status)
    return _(word) if word is not None else status


def files_with_status(status: str, n: int) -> str:
    """'6 files skipped', in the reader's words (a count agrees with its noun and participle)."""
    if status == "loaded":
        text = ngettext("{n} file loaded", "{n} files loaded", n)
    elif status == "partial":
        text = ngettext("{n} file loaded in part", "{n} files loaded in part", n)
    elif status == "refused":
        text = ngettext("{n} file refused", "{n} files refused", n)
    elif status == "skipped":
        text = ngettext("{n} file skipped", "{n} files skipped", n)
    elif status == "valid":
        text = ngettext("{n} file valid", "{n} files valid", n)
    else:
        text = ngettext("{n} file with nothing to load", "{n} files with nothing to load", n)
    return text.format(n=n)


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
