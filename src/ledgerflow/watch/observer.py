"""Seeing the inbox change: watchdog's observer (inotify on Linux) or, for network shares whose
changes send no event, its polling observer; and the inbox's files as they are now.

The observer only says which paths changed: it puts them on a queue, and the watcher's loop
(`service.py`) looks at each itself. Opening and reading a file (ours included) is no change.
"""

from __future__ import annotations

import logging
import os
import queue
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from watchdog.events import (
    EVENT_TYPE_CLOSED_NO_WRITE,
    EVENT_TYPE_MODIFIED,
    EVENT_TYPE_OPENED,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from ledgerflow.i18n import _
from ledgerflow.watch.settle import never_taken

log = logging.getLogger("ledgerflow.watch")


@dataclass(frozen=True)
class Noticed:
    """A path that changed; `folder`: a folder that appeared (its files are looked at)."""

    path: Path
    folder: bool = False


class _Handler(FileSystemEventHandler):
    def __init__(self, noticed: queue.SimpleQueue[Noticed]) -> None:
        self.noticed = noticed

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in (EVENT_TYPE_OPENED, EVENT_TYPE_CLOSED_NO_WRITE):
            return
        if event.is_directory:
            if event.event_type == EVENT_TYPE_MODIFIED:  # a file in it changed: seen anyway
                return
            target = event.dest_path or event.src_path
            self.noticed.put(Noticed(Path(os.fsdecode(target)), folder=True))
            return
        self.noticed.put(Noticed(Path(os.fsdecode(event.src_path))))
        if event.dest_path:
            self.noticed.put(Noticed(Path(os.fsdecode(event.dest_path))))


def start_observer(inbox: Path, noticed: queue.SimpleQueue[Noticed], poll: bool,
                   interval: float) -> BaseObserver:
    """Watch the inbox and its folders, putting what changes on `noticed`: by change events,
    or, when `poll` (or when the system cannot give events for it), by looking at the folder
    every `interval` seconds."""
    if not poll:
        observer = Observer()
        observer.schedule(_Handler(noticed), str(inbox), recursive=True)
        try:
            observer.start()
            return observer
        except OSError as exc:  # too many watches, or a file system without change events
            log.warning(_("no change events for %s (%s): polling it every %s s instead"),
                        inbox, exc, interval)
    observer = PollingObserver(timeout=interval)
    observer.schedule(_Handler(noticed), str(inbox), recursive=True)
    observer.start()
    return observer


def stop_observer(observer: BaseObserver | None) -> None:
    if observer is None:
        return
    observer.stop()
    if observer.is_alive():
        observer.join(timeout=10)


def inbox_paths(folder: Path, inbox: Path) -> Iterator[Path]:
    """The files under `folder` (the inbox, or a folder of it) that the watcher may take."""
    try:
        found = sorted(folder.rglob("*"))
    except OSError as exc:
        log.warning(_("%s cannot be read: %s"), folder, exc)
        return
    for path in found:
        if not never_taken(path.relative_to(inbox).as_posix()) and path.is_file():
            yield path
