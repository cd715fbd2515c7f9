"""When a file of the inbox may be taken: pure functions and a small record of what is waiting.

A file is taken once it has stopped changing — its size and modification time the same for the
settle interval — and no Office lock file is beside it: `~$name.xlsx` of Excel (which, for a
long name, drops the name's first one or two characters) or `.~lock.name.xlsx#` of LibreOffice.
Lock files and the temporary files editors and copies leave are never taken themselves.

Nothing here touches the file system: the watcher gives the names and the `Signature`s it
found, and the time.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

EXCEL_LOCK = "~$"
LIBREOFFICE_LOCK = (".~lock.", "#")
# What copies, downloads and editors write before the real file: never an input.
TEMP_SUFFIXES = (".tmp", ".temp", ".part", ".partial", ".crdownload", ".download", ".swp",
                 ".swx", ".~tmp")


@dataclass(frozen=True)
class Signature:
    """What says a file changed: its size and its modification time (ns)."""

    size: int
    mtime_ns: int

    @classmethod
    def of(cls, stat: os.stat_result) -> Signature:
        return cls(stat.st_size, stat.st_mtime_ns)


def is_lock_file(name: str) -> bool:
    """An Office lock file: `~$…` (Excel) or `.~lock.…#` (LibreOffice)."""
    return name.startswith(EXCEL_LOCK) or (
        name.startswith(LIBREOFFICE_LOCK[0]) and name.endswith(LIBREOFFICE_LOCK[1]))


def is_temp_file(name: str) -> bool:
    """A file no accountant drops: hidden (`.name`, which `ledgerflow load` skips too), a
    temporary or partial file, an editor's backup (`name~`), or a name without an extension
    (Excel saves to one, like `8A3C1B00`, then renames it over the workbook)."""
    lowered = name.lower()
    return (name.startswith((".", "~")) or name.endswith("~")
            or lowered.endswith(TEMP_SUFFIXES) or not PurePosixPath(name).suffix)


def never_taken(relative: str) -> bool:
    """A path of the inbox (relative, POSIX style) the watcher never takes: a lock file, a
    temporary file, or anything inside a hidden folder."""
    parts = PurePosixPath(relative).parts
    if not parts:
        return True
    *folders, name = parts
    return any(part.startswith((".", "~$")) for part in folders) \
        or is_lock_file(name) or is_temp_file(name)


def lock_beside(name: str, neighbours: Iterable[str]) -> str | None:
    """The lock file among `neighbours` (the names in the file's folder) that says `name` is
    open in Excel or LibreOffice, or None. Excel's is `~$` and the name, the name's first
    character or two dropped when it is long; compared without case, as on Windows shares."""
    wanted = name.casefold()
    for neighbour in neighbours:
        folded = neighbour.casefold()
        if folded.startswith(EXCEL_LOCK):
            rest = folded[len(EXCEL_LOCK):]
            if rest and wanted.endswith(rest) and len(rest) >= len(wanted) - 2:
                return neighbour
        elif folded == f"{LIBREOFFICE_LOCK[0]}{wanted}{LIBREOFFICE_LOCK[1]}":
            return neighbour
    return None


@dataclass(frozen=True)
class Waiting:
    """A file seen changing: its signature when last seen, and since when it has had it."""

    signature: Signature
    since: float


class Settling:
    """The files waiting to settle: each seen with its signature; settled when that has not
    changed for `interval` seconds."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.waiting: dict[Path, Waiting] = {}

    def see(self, path: Path, signature: Signature | None, now: float) -> None:
        """The file as it is now (None: gone). A new signature starts its wait again."""
        if signature is None:
            self.waiting.pop(path, None)
            return
        found = self.waiting.get(path)
        if found is None or found.signature != signature:
            self.waiting[path] = Waiting(signature, now)

    def postpone(self, path: Path, signature: Signature, until: float) -> None:
        """Take the file no sooner than `until` (when it is unchanged until then)."""
        self.waiting[path] = Waiting(signature, until - self.interval)

    def forget(self, path: Path) -> None:
        self.waiting.pop(path, None)

    def settled(self, now: float) -> list[Path]:
        """The files unchanged for the interval, those that settled first first."""
        ready = [(w.since, str(p), p) for p, w in self.waiting.items()
                 if now - w.since >= self.interval]
        return [path for _, _, path in sorted(ready)]

    def __contains__(self, path: object) -> bool:
        return path in self.waiting

    def __len__(self) -> int:
        return len(self.waiting)
