"""The watcher's loop: files noticed, settled, taken one at a time; its signals and its log.

One thread does everything that touches the warehouse: it drains what the observer noticed,
looks again at every file still settling, takes the settled ones (no lock file beside them) one
after another, and renders the period's statements when files were loaded and none is being
taken. A stop (SIGTERM, Ctrl-C, or `stop` set by a caller) is looked at between two files only:
a file being taken is always taken whole, never left in the middle of its load.

An error in one file is logged, noted in its feedback file, and the watcher goes on; a
warehouse held by another run (`ledgerflow run`, `load` …) is tried again a little later. The
log goes to stderr, one timestamped line per event, for a service manager or a cron log.
"""

from __future__ import annotations

import logging
import os
import queue
import signal
import sys
import threading
import time
import unicodedata
from collections.abc import Callable
from datetime import date
from pathlib import Path
from types import FrameType
from typing import TextIO

from watchdog.observers.api import BaseObserver

from ledgerflow.config import PipelineConfig
from ledgerflow.errors import UsageError
from ledgerflow.i18n import _
from ledgerflow.load.warehouse import WarehouseLocked, completed_load, connect
from ledgerflow.outcomes import FileOutcome, IngestReport, status_word
from ledgerflow.read.inbox import file_sha256
from ledgerflow.watch.action import Taken, inbox_name, take
from ledgerflow.watch.feedback import write_error_note, write_feedback
from ledgerflow.watch.observer import Noticed, inbox_paths, start_observer, stop_observer
from ledgerflow.watch.settle import Settling, Signature, lock_beside, never_taken

log = logging.getLogger("ledgerflow.watch")

RETRY_SECONDS = 5.0  # a warehouse in use, an observer that stopped: tried again after this
# The whole inbox looked at again this often, whatever the observer said: change events can be
# lost (inotify drops them when thousands of files arrive at once; a share may send none), and a
# file whose event was lost would otherwise wait for the next start.
RESCAN_SECONDS = 60.0
LOG_FORMAT = "%(asctime)s %(levelname)s %(message)s"
LOG_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"


def signature(path: Path) -> Signature | None:
    """The file's signature now; None when it is gone or not a regular file."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return Signature.of(stat) if path.is_file() else None


def watching(observer: BaseObserver | None) -> bool:
    """The observer still sees its folder: it runs, and so do its emitters (an emitter stops
    when the folder it watches is removed; the observer runs on)."""
    return observer is not None and observer.is_alive() and bool(observer.emitters) \
        and all(emitter.is_alive() for emitter in observer.emitters)


class Watcher:
    """Watches a pipeline's inbox until `run`'s `stop` is set."""

    def __init__(self, config: PipelineConfig, *, settle: float | None = None,
                 poll: bool | None = None, poll_interval: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        settings = config.watch
        self.config = config
        self.inbox = config.inbox.absolute()  # events name paths under the folder watched
        self.feedback = config.feedback_folder
        self.workdir = config.warehouse.parent  # the staged copies, beside the warehouse
        self.settle = settings.settle if settle is None else settle
        self.poll = settings.poll if poll is None else poll
        self.poll_interval = settings.poll_interval if poll_interval is None else poll_interval
        self.render = settings.render
        self.clock = clock
        self.tick = min(0.5, max(0.05, self.settle / 4))
        self.noticed: queue.SimpleQueue[Noticed] = queue.SimpleQueue()
        self.settling = Settling(self.settle)
        self.done: dict[Path, Signature] = {}  # each file taken (or loaded before) as it was
        self.locked: set[Path] = set()  # settled files waiting for a lock file to go
        self.observer: BaseObserver | None = None
        self.observer_retry = 0.0
        self.rescan_at = 0.0
        self.lost = False  # the observer stopped seeing the inbox (said once)
        self.unrendered: list[FileOutcome] = []  # taken since the statements were rendered
        self.render_due = False
        self.render_at = 0.0

    # --- the loop ---------------------------------------------------------------------------

    def check(self) -> None:
        """Before anything is watched: the places the pipeline reads and writes, and a feedback
        folder that is not inside the inbox (its files would be read as inputs)."""
        self.config.check_places()
        inbox, feedback = self.inbox.resolve(), self.feedback.resolve()
        if feedback == inbox or inbox in feedback.parents:
            raise UsageError(_(
                "The feedback folder {feedback} is inside the inbox {inbox}, where its files "
                "would be read as inputs; give another `feedback` in the [watch] table of "
                "{pipeline}.").format(feedback=self.feedback, inbox=self.inbox,
                                      pipeline=self.config.source.name))
        try:
            self.feedback.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(_("The feedback folder {feedback} cannot be created ({why}).")
                             .format(feedback=self.feedback, why=exc.strerror)) from exc

    def run(self, stop: threading.Event) -> None:
        """Watch until `stop` is set; a file being taken then is taken whole first."""
        self.check()
        self.observer = start_observer(self.inbox, self.noticed, self.poll, self.poll_interval)
        how = (_("polling every {seconds} s").format(seconds=self.poll_interval)
               if self.poll else _("by change events"))
        log.info(_("watching %s (%s), files taken %s s after their last change; feedback in "
                   "%s"), self.inbox, how, self.settle, self.feedback)
        try:
            self.scan(at_start=True)
            self.rescan_at = self.clock() + RESCAN_SECONDS
            while not stop.is_set():
                try:
                    self.step(stop)
                except Exception:  # a fault of the watcher's own: logged, and it goes on
                    log.exception(_("the watcher ran into an error; it goes on"))
                    stop.wait(RETRY_SECONDS)
                stop.wait(self.tick)
        finally:
            stop_observer(self.observer)
        if self.render_due:
            log.warning(_("stopped before the statements were rendered again: `ledgerflow run` "
                          "or `ledgerflow report` renders them"))

    def step(self, stop: threading.Event) -> None:
        """One turn: what changed, what settled, each settled file taken; then the render."""
        now = self.clock()
        self._keep_observer(now)
        self._drain(now)
        if now >= self.rescan_at and watching(self.observer) and self.inbox.is_dir():
            self.rescan_at = now + RESCAN_SECONDS
            self.scan()  # what change events may have missed (never while the share is away)
        for path in list(self.settling.waiting):
            self._see(path, now)
        ready = self._ready(now)
        for path in ready:
            if stop.is_set():
                return
            self._take(path)
        if not ready and self.render_due and self.clock() >= self.render_at \
                and not stop.is_set():
            self._render()

    # --- noticing files ---------------------------------------------------------------------

    def scan(self, at_start: bool = False) -> None:
        """Every file of the inbox looked at: at the start, those loaded already (the same bytes)
        are left alone and the others wait to settle; later (every `RESCAN_SECONDS`, and after
        the observer stopped), those new or changed since they were taken."""
        now = self.clock()
        paths = list(inbox_paths(self.inbox, self.inbox))
        loaded = self._loaded_already(paths) if at_start else set()
        for path in paths:
            found = signature(path)
            if found is not None and path in loaded:
                self.done[path] = found
            else:
                self._see(path, now)
        for path in [p for p in self.done if signature(p) is None]:
            del self.done[path]
        if at_start:
            log.info(_("files in the inbox at the start: %d, loaded already: %d"), len(paths),
                     len(loaded))

    def _loaded_already(self, paths: list[Path]) -> set[Path]:
        if not paths or not self.config.warehouse.exists():
            return set()
        try:
            connection = connect(self.config.warehouse, read_only=True)
        except WarehouseLocked as exc:
            log.warning(_("the warehouse is in use (%s): every file of the inbox is taken, "
                          "those loaded already are skipped then"), exc)
            return set()
        try:
            return {p for p in paths if completed_load(connection, file_sha256(p)) is not None}
        finally:
            connection.close()

    def _drain(self, now: float) -> None:
        while True:
            try:
                noticed = self.noticed.get_nowait()
            except queue.Empty:
                return
            if noticed.folder:
                if noticed.path.is_dir() and self._in_inbox(noticed.path) is not None:
                    for path in inbox_paths(noticed.path, self.inbox):
                        self._see(path, now)
            else:
                self._see(noticed.path, now)

    def _in_inbox(self, path: Path) -> str | None:
        try:
            return path.relative_to(self.inbox).as_posix()
        except ValueError:
            return None

    def _see(self, path: Path, now: float) -> None:
        """A file as it is now: gone, as it was taken, or waiting to settle."""
        relative = self._in_inbox(path)
        if relative is None or never_taken(relative):
            return
        found = signature(path)
        if found is None:
            self.settling.see(path, None, now)
            self.done.pop(path, None)
            self.locked.discard(path)
        elif self.done.get(path) == found:
            self.settling.forget(path)
        else:
            self.settling.see(path, found, now)

    def _ready(self, now: float) -> list[Path]:
        """The settled files with no lock file beside them."""
        ready, listed = [], {}
        for path in self.settling.settled(now):
            folder = path.parent
            if folder not in listed:
                try:
                    listed[folder] = os.listdir(folder)
                except OSError:
                    listed[folder] = []
            lock = lock_beside(path.name, listed[folder])
            if lock is None:
                self.locked.discard(path)
                ready.append(path)
            elif path not in self.locked:
                self.locked.add(path)
                log.info(_("%s is open (%s beside it): taken once it is closed"),
                         inbox_name(path, self.inbox), lock)
        return ready

    def _keep_observer(self, now: float) -> None:
        """An observer that stopped seeing the inbox (the folder went away with its network
        share, or was moved) is started again once the folder is back, and the inbox looked at
        for what changed meanwhile."""
        if watching(self.observer) or now < self.observer_retry:
            return
        if not self.lost:
            log.warning(_("the inbox %s is not being watched any more (gone, or its share went "
                          "away): watched again as soon as it is back"), self.inbox)
            self.lost = True
        stop_observer(self.observer)
        self.observer = None
        try:
            if not self.inbox.is_dir():
                raise FileNotFoundError(self.inbox)
            self.observer = start_observer(self.inbox, self.noticed, self.poll,
                                           self.poll_interval)
        except OSError:
            self.observer_retry = now + RETRY_SECONDS
            return
        log.info(_("the inbox %s is watched again"), self.inbox)
        self.lost = False
        self.scan()

    # --- taking a file ----------------------------------------------------------------------

    def _take(self, path: Path) -> None:
        name = inbox_name(path, self.inbox)
        before = signature(path)
        if before is None:
            self.settling.forget(path)
            return
        log.info(_("taking %s"), name)
        try:
            taken = take(path, self.inbox, self.config, self.workdir)
        except FileNotFoundError:
            log.info(_("%s is gone"), name)
            self.settling.forget(path)
            return
        except WarehouseLocked as exc:
            log.warning(_("%s waits: %s; trying again in %s s"), name, exc, RETRY_SECONDS)
            self.settling.postpone(path, before, self.clock() + RETRY_SECONDS)
            return
        except Exception as exc:  # one file's error never stops the watcher
            log.exception(_("%s could not be taken"), name)
            self.settling.forget(path)
            self.done[path] = before
            error = f"{type(exc).__name__}: {exc}"
            self._feedback(name, lambda: write_error_note(self.feedback, name, error))
            return
        if taken is None:
            log.info(_("%s changed while it was copied: taken once it settles again"), name)
            self.settling.see(path, signature(path), self.clock())
            return
        self.settling.forget(path)
        self.done[path] = taken.signature
        written = self._feedback(name, lambda: write_feedback(
            self.feedback, name, taken.report, taken.replaced))
        self._log_taken(taken, written)
        if self.render:
            self.unrendered += taken.report.outcomes
            if taken.loaded:
                self.render_due, self.render_at = True, 0.0

    def _feedback(self, name: str, write: Callable[[], Path]) -> Path | None:
        try:
            return write()
        except Exception:
            log.exception(_("the feedback for %s could not be written"), name)
            return None

    @staticmethod
    def _log_taken(taken: Taken, written: Path | None) -> None:
        for outcome in taken.report.outcomes:
            if outcome.status in ("loaded", "partial"):
                log.info(_("%s: %s as load %s; rows loaded: %d, refused: %d"), outcome.file.name,
                         status_word(outcome.status), outcome.load_id, outcome.accepted_rows,
                         outcome.refused_rows)
            elif outcome.status == "refused":
                log.warning(_("%s: refused; rows with errors: %d"), outcome.file.name,
                            outcome.refused_rows)
            else:
                log.info(_("%s: %s %s"), outcome.file.name, status_word(outcome.status),
                         outcome.note)
        for record in taken.replaced:
            if taken.loaded:
                log.info(_("%s replaced load %s (%s)"), taken.name, record.load_id, record.file)
        if written is not None:
            log.info(_("feedback: %s"), written)

    # --- rendering --------------------------------------------------------------------------

    def _render(self) -> None:
        """The period's statements rendered again (those the files touched: the others are
        unchanged and kept), the files taken since the last render as the run's ingest."""
        from ledgerflow.load.warehouse import read_warehouse
        from ledgerflow.monthly import render_period

        period = self.config.resolve_period(None, date.today())
        ingest = IngestReport(list(self.unrendered), self.inbox)
        try:
            with read_warehouse(self.config.warehouse) as connection:
                result = render_period(connection, self.config, period, ingest)
        except WarehouseLocked as exc:
            log.warning(_("the statements of %s wait: %s; trying again in %s s"), period.label,
                        exc, RETRY_SECONDS)
            self.render_at = self.clock() + RETRY_SECONDS
            return
        except Exception:
            log.exception(_("the statements of %s could not be rendered"), period.label)
        else:
            if result.stopped:
                log.warning(_("no statement of %s written: inputs were refused and the pipeline "
                              "says on_refused = \"stop\""), period.label)
            else:
                log.info(_("statements of %s rendered again: %d, unchanged: %d (%s)"),
                         period.label, result.rendered, len(result.statements) - result.rendered,
                         result.folder)
            for problem in result.problems:
                log.warning("%s", problem)
        self.unrendered.clear()
        self.render_due = False


class OneLineFormatter(logging.Formatter):
    """One line per event, whatever its text holds: a line break, a control or a direction
    character of a file's name (anyone may drop a file) is written escaped (`\\n`), so no
    name can end a line early or forge one. A traceback that follows is left as it is."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = one_line(record.message)
        return super().formatMessage(record)


_NOT_IN_A_LINE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})  # Unicode categories


def one_line(text: str) -> str:
    """`text` with its control, format (direction) and line-breaking characters escaped."""
    if text.isprintable():
        return text
    return "".join(
        char.encode("unicode_escape", "backslashreplace").decode("ascii")
        if unicodedata.category(char) in _NOT_IN_A_LINE else char for char in text)


def configure_logging(stream: TextIO | None = None) -> None:
    """The watcher's log: one line per event with its time, to stderr (set once)."""
    if any(getattr(h, "ledgerflow_watch", False) for h in log.handlers):
        return
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(OneLineFormatter(LOG_FORMAT, LOG_DATE_FORMAT))
    handler.ledgerflow_watch = True  # type: ignore[attr-defined]
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False


def watch_inbox(config: PipelineConfig, *, poll: bool | None = None,
                settle: float | None = None) -> int:
    """`ledgerflow watch`: watch the pipeline's inbox until SIGTERM or Ctrl-C, then return 0.
    The signal is answered between two files; a file being taken is taken whole first.
    Messages, notes and logs are in the active locale (the command's: `ledgerflow.i18n`)."""
    configure_logging()
    stop = threading.Event()
    owner = os.getpid()

    def on_signal(number: int, _frame: FrameType | None) -> None:
        if os.getpid() != owner:  # a render worker forked from the watcher: its parent stops
            return
        if not stop.is_set():
            log.info(_("%s received: stopping once the file being taken, if any, is done"),
                     signal.Signals(number).name)
        stop.set()

    previous = {number: signal.signal(number, on_signal)
                for number in (signal.SIGTERM, signal.SIGINT)}
    try:
        Watcher(config, settle=settle, poll=poll).run(stop)
        log.info(_("stopped"))
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    return 0
