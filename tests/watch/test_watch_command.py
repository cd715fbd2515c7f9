"""`ledgerflow watch` as a service runs it: a process of its own, stopped by SIGTERM (or Ctrl-C)
between two files with exit code 0, its log on stderr."""

from __future__ import annotations

import io
import logging
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest
from conftest import write_workbook
from watch_helpers import TIMEOUT, payments, query, seed_warehouse, wait_for, write_pipeline

from ledgerflow.watch.service import LOG_DATE_FORMAT, LOG_FORMAT, OneLineFormatter

LEDGERFLOW = Path(sys.executable).with_name("ledgerflow")
TIMESTAMPED = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} (INFO|WARNING|ERROR) ")


class Process:
    """`ledgerflow watch` running, its stderr read line by line as it comes."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen([str(LEDGERFLOW), "watch", *args],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True, env={**os.environ, "LEDGERFLOW_LOCALE": "en"})
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line.rstrip("\n"))

    def alive(self) -> bool:
        return self.process.poll() is None

    def wait_line(self, text: str) -> int:
        """The index of the first log line holding `text`, once there is one."""
        def found() -> int | None:
            return next((i + 1 for i, line in enumerate(self.lines) if text in line), None)
        return int(wait_for(found, f"a log line saying {text!r}", alive=self.alive)) - 1

    def stop(self, number: signal.Signals) -> int:
        self.process.send_signal(number)
        code = self.process.wait(TIMEOUT)
        self.reader.join(TIMEOUT)
        return code


@pytest.fixture
def folder(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    seed_warehouse(tmp_path, tmp_path_factory.getbasetemp() / "seeded-command")
    return tmp_path


@pytest.mark.parametrize(("number", "options"), [(signal.SIGTERM, ()),
                                                 (signal.SIGINT, ("--poll",))],
                         ids=["SIGTERM", "Ctrl-C, polling"])
def test_a_signal_stops_the_watcher_between_two_files_with_exit_code_0(
        folder: Path, number: signal.Signals, options: tuple[str, ...]) -> None:
    pipeline = write_pipeline(folder, settle=0.3, poll_interval=0.2)
    inbox = folder / "inbox"
    watcher = Process(str(pipeline), *options)
    try:
        watcher.wait_line("watching")
        # two files at once: the first is being loaded when the signal comes, the second waits
        staging = Path(tempfile.mkdtemp(dir=folder))
        write_workbook(staging / "a.xlsx", payments(range(4000), "A"))
        write_workbook(staging / "b.xlsx", payments(range(4000), "B"))
        os.replace(staging / "a.xlsx", inbox / "a.xlsx")
        os.replace(staging / "b.xlsx", inbox / "b.xlsx")
        watcher.wait_line("taking a.xlsx")
        code = watcher.stop(number)
    finally:
        if watcher.alive():
            watcher.process.kill()
    log = watcher.lines
    assert code == 0, "\n".join(log)
    assert all(TIMESTAMPED.match(line) for line in log), "\n".join(log)
    received = next(i for i, line in enumerate(log) if f"{number.name} received" in line)
    loaded = next(i for i, line in enumerate(log) if "a.xlsx: loaded as load 2" in line)
    assert received < loaded  # the signal came while a.xlsx was being loaded, which finished
    assert log[-1].endswith("INFO stopped")
    assert not any("taking b.xlsx" in line for line in log)  # and b.xlsx was not begun
    assert (folder / "feedback" / "a.xlsx.txt").read_text("utf-8").splitlines()[:2] == [
        "a.xlsx: loaded as load 2.", "payments: loaded: 4000 rows"]
    assert not (folder / "feedback" / "b.xlsx.txt").exists()
    assert query(folder / "ledger.duckdb", "SELECT file, status, rows_accepted FROM loads "
                 "WHERE load_id > 1") == [("a.xlsx", "completed", 4000)]
    assert query(folder / "ledger.duckdb", "SELECT count(*) FROM payments") == [(4000,)]


def test_the_next_start_takes_what_came_while_it_was_stopped(folder: Path) -> None:
    pipeline = write_pipeline(folder, settle=0.3)
    write_workbook(folder / "inbox" / "early.xlsx", payments(range(2), "E"))
    watcher = Process(str(pipeline))
    try:
        watcher.wait_line("early.xlsx: loaded as load 2")
        assert watcher.stop(signal.SIGTERM) == 0
        write_workbook(folder / "inbox" / "while_stopped.xlsx", payments(range(3), "W"))
        watcher = Process(str(pipeline))
        watcher.wait_line("while_stopped.xlsx: loaded as load 3")
        assert any("files in the inbox at the start: 2, loaded already: 1" in line
                   for line in watcher.lines)
        assert watcher.stop(signal.SIGTERM) == 0
    finally:
        if watcher.alive():
            watcher.process.kill()
    assert not any("taking early.xlsx" in line for line in watcher.lines)


def test_a_log_line_is_one_line_whatever_a_files_name_holds() -> None:
    """Anyone may drop a file: a line break or a direction mark in its name is written escaped,
    never forging a line of the log; Russian words and spaces stay as they are."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(OneLineFormatter(LOG_FORMAT, LOG_DATE_FORMAT))
    name = "a\r\n2026-10-05T10:00:00+0000 INFO stopped\u2028\u202egpj.xlsx"
    handler.emit(logging.LogRecord("ledgerflow.watch", logging.INFO, __file__, 1,
                                   "taking %s", (name,), None))
    handler.emit(logging.LogRecord("ledgerflow.watch", logging.INFO, __file__, 1,
                                   "%s: загружен\u00a0как загрузка 2", ("Платежи октябрь.xlsx",),
                                   None))

    lines = stream.getvalue().splitlines()
    assert len(lines) == 2 and all(TIMESTAMPED.match(line) for line in lines), lines
    assert lines[0].endswith(
        r"INFO taking a\r\n2026-10-05T10:00:00+0000 INFO stopped\u2028\u202egpj.xlsx")
    assert lines[1].endswith("INFO Платежи октябрь.xlsx: загружен\u00a0как загрузка 2")
