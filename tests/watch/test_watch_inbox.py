"""The watched inbox on the real file system, with a real observer (the watcher runs in a thread):
slow copies, lock files, files replaced while read, bad files, the files there at the start,
the polling observer, and the statements rendered again."""

from __future__ import annotations

import logging
import os
import tempfile
import time
from pathlib import Path

import openpyxl
import pytest
from conftest import write_workbook
from watch_helpers import (
    Running,
    payments,
    query,
    running,
    seed_warehouse,
    wait_for,
    write_pipeline,
)

from ledgerflow.pipeline import load_inbox
from ledgerflow.watch import action, observer, service

SETTLE = 0.4  # seconds; short, for the tests


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("seeded")


@pytest.fixture
def folder(tmp_path: Path, template: Path) -> Path:
    """A pipeline folder whose warehouse already knows the clients."""
    seed_warehouse(tmp_path, template)
    return tmp_path


def workbook_bytes(tmp_path: Path, sheets: dict[str, list[list[object]]]) -> bytes:
    path = write_workbook(Path(tempfile.mkdtemp(dir=tmp_path)) / "book.xlsx", sheets)
    return path.read_bytes()


def drop(path: Path, data: bytes) -> None:
    """A file put in place at once, as a save or a move does."""
    temp = path.with_name(f".{path.name}.part")
    temp.write_bytes(data)
    os.replace(temp, path)


def loads(warehouse: Path) -> list[tuple[object, ...]]:
    return query(warehouse, "SELECT file, status, rows_accepted, rows_refused FROM loads "
                            "WHERE file <> 'clients.xlsx' ORDER BY load_id")


def test_a_slow_copy_is_taken_once_after_it_is_complete(folder: Path) -> None:
    data = workbook_bytes(folder, payments(range(1500)))
    pieces = 20
    size = -(-len(data) // pieces)
    with running(write_pipeline(folder, settle=1.5)) as watcher:
        with (watcher.inbox / "payments.xlsx").open("wb") as stream:
            for start in range(0, len(data), size):  # about 2 s in all
                stream.write(data[start:start + size])
                stream.flush()
                time.sleep(0.1)
        text = watcher.wait_note("payments.xlsx")
    assert "payments: loaded: 1500 rows" in text
    assert loads(watcher.warehouse) == [("payments.xlsx", "completed", 1500, 0)]
    assert not watcher.rejects("payments.xlsx").exists()
    assert query(watcher.warehouse, "SELECT count(*) FROM payments") == [(1500,)]


@pytest.mark.parametrize("lock", ["~$payments.xlsx", ".~lock.payments.xlsx#"])
def test_a_file_with_a_lock_file_beside_it_is_taken_once_the_lock_goes(
        folder: Path, lock: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="ledgerflow.watch")
    with running(write_pipeline(folder, settle=SETTLE)) as watcher:
        (watcher.inbox / lock).write_bytes(b"owner")
        drop(watcher.inbox / "payments.xlsx", workbook_bytes(folder, payments(range(3))))
        drop(watcher.inbox / "later.xlsx", workbook_bytes(folder, payments(range(3), "L")))
        # later.xlsx settled after payments.xlsx: payments.xlsx waited for its lock file
        watcher.wait_note("later.xlsx")
        assert not watcher.note("payments.xlsx").exists()
        assert not watcher.note(lock).exists()
        (watcher.inbox / lock).unlink()
        text = watcher.wait_note("payments.xlsx")
    assert "payments: loaded: 3 rows" in text
    assert loads(watcher.warehouse) == [("later.xlsx", "completed", 3, 0),
                                        ("payments.xlsx", "completed", 3, 0)]
    assert f"payments.xlsx is open ({lock} beside it)" in caplog.text
    assert sorted(p.name for p in watcher.feedback.iterdir()) == ["later.xlsx.txt",
                                                                   "payments.xlsx.txt"]


def test_a_file_replaced_while_it_is_read_ends_with_its_final_content_loaded(
        folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = workbook_bytes(folder, payments(range(3), amount=10))
    final = workbook_bytes(folder, payments(range(4), amount=25))
    pipeline = write_pipeline(folder, settle=SETTLE)
    target = folder / "inbox" / "payments.xlsx"
    load_copy = action.load_copy
    replaced: list[bool] = []

    def replace_then_load(ingest: action.Ingest) -> action.IngestReport:
        if not replaced:  # the first version's copy is being read: the accountant saves again
            drop(target, final)
            replaced.append(True)
        return load_copy(ingest)

    monkeypatch.setattr(action, "load_copy", replace_then_load)
    with running(pipeline) as watcher:
        drop(target, first)
        text = watcher.wait_note("payments.xlsx", containing="It replaces load 2")
    assert replaced
    assert "payments: loaded: 4 rows" in text
    assert loads(watcher.warehouse) == [("payments.xlsx", "replaced", 3, 0),
                                        ("payments.xlsx", "completed", 4, 0)]
    assert query(watcher.warehouse, "SELECT count(*), sum(amount) FROM payments") \
        == [(4, 100)]


def test_a_bad_file_gives_its_rejects_workbook_and_its_fixed_version_a_note(
        folder: Path) -> None:
    bad = payments(range(3))
    bad["payments"].append(["P9", "acme", bad["payments"][1][2], "abc", "USD", "payment"])
    with running(write_pipeline(folder, settle=SETTLE)) as watcher:
        drop(watcher.inbox / "payments.xlsx", workbook_bytes(folder, bad))
        rejects = wait_for(lambda: watcher.rejects("payments.xlsx").exists()
                           and watcher.rejects("payments.xlsx"), "the rejects workbook",
                           alive=watcher.alive)
        book = openpyxl.load_workbook(rejects)
        cells = [c.value for sheet in book.worksheets for row in sheet.iter_rows()
                 for c in row]
        assert "abc" in cells and "P9" in cells
        texts = [str(c) for c in cells if isinstance(c, str)]
        assert any(str(watcher.inbox) in t for t in texts)  # the inbox, not a staging copy's
        assert not any(action.STAGING_PREFIX in t for t in texts)
        assert not watcher.note("payments.xlsx").exists()
        # fixed and saved again under its name: loaded, and the rejects workbook goes
        drop(watcher.inbox / "payments.xlsx", workbook_bytes(folder, payments(range(4))))
        text = watcher.wait_note("payments.xlsx")
        assert not watcher.rejects("payments.xlsx").exists()
    assert "payments: loaded: 4 rows" in text
    assert loads(watcher.warehouse) == [("payments.xlsx", "refused", 0, 1),
                                        ("payments.xlsx", "completed", 4, 0)]


def test_an_error_in_one_file_never_stops_the_watcher(
        folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    load_copy = action.load_copy

    def fail_on_one(ingest: action.Ingest) -> action.IngestReport:
        if any(p.name == "broken.xlsx" for p in ingest.inbox.iterdir()):
            raise RuntimeError("the disk said no")
        return load_copy(ingest)

    monkeypatch.setattr(action, "load_copy", fail_on_one)
    with running(write_pipeline(folder, settle=SETTLE)) as watcher:
        drop(watcher.inbox / "broken.xlsx", workbook_bytes(folder, payments(range(2), "B")))
        note = watcher.wait_note("broken.xlsx")
        assert "RuntimeError: the disk said no" in note
        drop(watcher.inbox / "payments.xlsx", workbook_bytes(folder, payments(range(2))))
        watcher.wait_note("payments.xlsx", containing="loaded: 2 rows")
    assert loads(watcher.warehouse) == [("payments.xlsx", "completed", 2, 0)]


def test_a_fault_of_the_watchers_own_is_logged_and_it_goes_on(
        folder: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    ready = service.Watcher._ready
    failed: list[bool] = []

    def fail_once(self: service.Watcher, now: float) -> list[Path]:
        if not failed:
            failed.append(True)
            raise OSError("a share that answers nothing")
        return ready(self, now)

    monkeypatch.setattr(service.Watcher, "_ready", fail_once)
    monkeypatch.setattr(service, "RETRY_SECONDS", 0.2)
    with running(write_pipeline(folder, settle=SETTLE)) as watcher:
        drop(watcher.inbox / "payments.xlsx", workbook_bytes(folder, payments(range(2))))
        watcher.wait_note("payments.xlsx", containing="loaded: 2 rows")
    assert failed and "the watcher ran into an error; it goes on" in caplog.text


def test_files_in_the_inbox_at_the_start_are_taken_unless_loaded_already(folder: Path) -> None:
    inbox = folder / "inbox"
    inbox.mkdir()
    write_workbook(inbox / "old.xlsx", payments(range(2), "O"))
    assert load_inbox(inbox, folder / "ledger.duckdb").exit_code == 0
    write_workbook(inbox / "new.xlsx", payments(range(3), "N"))
    for ignored in ("~$other.xlsx", "new.xlsx.tmp", ".hidden.xlsx", "8A3C1B00"):
        (inbox / ignored).write_bytes(b"not a workbook")
    with running(write_pipeline(folder, settle=SETTLE)) as watcher:
        watcher.wait_note("new.xlsx", containing="loaded: 3 rows")
    assert sorted(p.name for p in watcher.feedback.iterdir()) == ["new.xlsx.txt"]
    assert loads(watcher.warehouse) == [("old.xlsx", "completed", 2, 0),
                                        ("new.xlsx", "completed", 3, 0)]


def test_the_polling_observer_sees_new_and_changed_files(folder: Path) -> None:
    with running(write_pipeline(folder, settle=SETTLE, poll=True, poll_interval=0.2)) as watcher:
        assert type(watcher.watcher.observer).__name__ == "PollingObserver"
        sub = watcher.inbox / "октябрь"
        sub.mkdir()
        drop(sub / "платежи.xlsx", workbook_bytes(folder, payments(range(2))))
        watcher.wait_note("октябрь__платежи.xlsx", containing="loaded: 2 rows")
        drop(sub / "платежи.xlsx", workbook_bytes(folder, payments(range(5))))
        text = watcher.wait_note("октябрь__платежи.xlsx", containing="It replaces load 2")
    assert "loaded: 5 rows" in text
    assert loads(watcher.warehouse) == [("октябрь/платежи.xlsx", "replaced", 2, 0),
                                        ("октябрь/платежи.xlsx", "completed", 5, 0)]


def test_a_file_whose_change_events_were_lost_is_taken_all_the_same(
        folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No event arrives (inotify dropped them, or a share sends none): the inbox looked at
    again finds the file."""
    monkeypatch.setattr(observer.FileSystemEventHandler, "dispatch", lambda self, event: None)
    monkeypatch.setattr(service, "RESCAN_SECONDS", 0.2)
    with running(write_pipeline(folder, settle=SETTLE)) as watcher:
        drop(watcher.inbox / "payments.xlsx", workbook_bytes(folder, payments(range(2))))
        watcher.wait_note("payments.xlsx", containing="loaded: 2 rows")
    assert loads(watcher.warehouse) == [("payments.xlsx", "completed", 2, 0)]


def test_an_inbox_that_goes_away_is_watched_again_once_it_is_back(
        folder: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="ledgerflow.watch")
    monkeypatch.setattr(service, "RETRY_SECONDS", 0.2)
    with running(write_pipeline(folder, settle=SETTLE)) as watcher:
        watcher.inbox.rmdir()  # a network share unmounted, say
        wait_for(lambda: "is not being watched any more" in caplog.text, "the log of it",
                 alive=watcher.alive)
        watcher.inbox.mkdir()
        wait_for(lambda: "is watched again" in caplog.text, "the inbox watched again",
                 alive=watcher.alive)
        drop(watcher.inbox / "payments.xlsx", workbook_bytes(folder, payments(range(2))))
        watcher.wait_note("payments.xlsx", containing="loaded: 2 rows")


def test_the_statements_a_file_touches_are_rendered_again_when_the_pipeline_says_so(
        folder: Path) -> None:
    statement = folder / "reports" / "2026-10" / "statements" / "acme.html"
    with running(write_pipeline(folder, settle=SETTLE, render=True)) as watcher:
        drop(watcher.inbox / "payments.xlsx", workbook_bytes(folder, payments(range(2))))
        wait_for(lambda: statement.exists() and "P1" in statement.read_text("utf-8"),
                 "the statement of acme", alive=watcher.alive)
        drop(watcher.inbox / "late.xlsx", workbook_bytes(folder, payments([7], "LATE")))
        wait_for(lambda: "LATE7" in statement.read_text("utf-8"),
                 "the statement of acme with the late payment", alive=watcher.alive)


def test_without_render_no_statement_is_written(folder: Path) -> None:
    with running(write_pipeline(folder, settle=SETTLE)) as watcher:
        drop(watcher.inbox / "payments.xlsx", workbook_bytes(folder, payments(range(2))))
        watcher.wait_note("payments.xlsx")
    assert not (folder / "reports" / "2026-10").exists()


def test_the_running_helper_raises_the_watchers_own_error(folder: Path) -> None:
    pipeline = write_pipeline(folder)
    (folder / "inbox").rmdir()
    watcher = Running(pipeline, settle=SETTLE)
    watcher.thread.start()
    with pytest.raises(Exception, match="The inbox"):
        watcher.stop()
