"""What the watcher's tests share: a pipeline, a warehouse that knows the clients, the watcher
running in a thread, and waiting for a condition (never for a time)."""

from __future__ import annotations

import datetime as dt
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from conftest import CLIENTS, PAYMENT_HEADER, warehouse_rows, write_workbook

from ledgerflow.config import load_config
from ledgerflow.pipeline import load_inbox
from ledgerflow.watch.service import Watcher

OCT = dt.date(2026, 10, 5)
query = warehouse_rows  # rows of the warehouse, read once the watcher has stopped
TIMEOUT = 180.0  # generous: the machine may be busy; a condition met ends the wait at once


def write_pipeline(folder: Path, **watch: Any) -> Path:
    """A pipeline of `folder` (inbox/, ledger.duckdb, reports/, English messages) with these
    [watch] settings."""
    lines = ['inbox = "inbox"', 'warehouse = "ledger.duckdb"', 'reports = "reports"',
             'locale = "en"', 'period = "2026-10"', 'outputs = ["html"]', "[watch]"]
    for key, value in watch.items():
        lines.append(f"{key} = {str(value).lower() if isinstance(value, bool) else value}")
    path = folder / "monthly.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "inbox").mkdir(exist_ok=True)
    return path


def seed_warehouse(folder: Path, template: Path) -> None:
    """`folder`'s warehouse, holding the clients of conftest's CLIENTS (built once in
    `template`, a folder of its own, and copied)."""
    warehouse = template / "ledger.duckdb"
    if not warehouse.exists():
        seed = template / "seed"
        seed.mkdir(parents=True, exist_ok=True)
        write_workbook(seed / "clients.xlsx", {"clients": CLIENTS})
        report = load_inbox(seed, warehouse)
        assert report.exit_code == 0, report.problems()
    shutil.copy(warehouse, folder / "ledger.duckdb")


def payments(ids: range | list[int], prefix: str = "P", amount: Any = 10,
             client: str = "acme") -> dict[str, list[list[Any]]]:
    return {"payments": [PAYMENT_HEADER, *[[f"{prefix}{i}", client, OCT, amount, "USD",
                                            "payment"] for i in ids]]}


def wait_for(condition: Callable[[], Any], what: str, timeout: float = TIMEOUT,
             alive: Callable[[], bool] = lambda: True) -> Any:
    """Wait until `condition()` is true (and return it); fail, saying `what`, after `timeout`
    seconds or when `alive()` says the watcher stopped."""
    deadline = time.monotonic() + timeout
    while True:
        found = condition()
        if found:
            return found
        assert alive(), f"the watcher stopped before {what}"
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


class Running:
    """A watcher of a pipeline running in a thread (no signals there: `stop()` ends it)."""

    def __init__(self, pipeline: Path, **options: Any) -> None:
        self.folder = pipeline.parent
        self.inbox = self.folder / "inbox"
        self.feedback = self.folder / "feedback"
        self.warehouse = self.folder / "ledger.duckdb"
        self.watcher = Watcher(load_config(pipeline), **options)
        self.stop_event = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            self.watcher.run(self.stop_event)
        except BaseException as exc:
            self.error = exc

    def alive(self) -> bool:
        return self.thread.is_alive()

    def note(self, name: str) -> Path:
        return self.feedback / f"{name}.txt"

    def rejects(self, name: str) -> Path:
        return self.feedback / f"{name}.rejects.xlsx"

    def wait_note(self, name: str, containing: str = "") -> str:
        """The note of `name` once it exists (and says `containing`)."""
        def read() -> str:
            try:
                text = self.note(name).read_text("utf-8")
            except FileNotFoundError:
                return ""
            return text if containing in text else ""
        return str(wait_for(read, f"the feedback note of {name} saying {containing!r}",
                            alive=self.alive))

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(TIMEOUT)
        assert not self.thread.is_alive(), "the watcher did not stop"
        if self.error is not None:
            raise self.error


@contextmanager
def running(pipeline: Path, **options: Any) -> Iterator[Running]:
    """The watcher running while the block runs; stopped (and its error raised) after it."""
    watcher = Running(pipeline, **options)
    watcher.thread.start()
    wait_for(lambda: watcher.watcher.observer is not None or not watcher.alive(),
             "the watcher to start")
    try:
        yield watcher
    finally:
        watcher.stop()
