"""The feedback folder's files: a note in the run's locale for a file loaded, its rejects
workbook for a file with refused rows, each removing the other."""

from __future__ import annotations

import logging
from pathlib import Path

import openpyxl
import pytest
from conftest import CLIENTS, write_workbook
from watch_helpers import payments

from ledgerflow.i18n import use_locale
from ledgerflow.pipeline import load_inbox
from ledgerflow.watch.action import Taken
from ledgerflow.watch.feedback import note_lines, write_feedback
from ledgerflow.watch.service import Watcher
from ledgerflow.watch.settle import Signature


def test_a_loaded_files_note_counts_its_rows_per_table_in_the_locale(inbox: Path,
                                                                     warehouse: Path) -> None:
    write_workbook(inbox / "clients.xlsx", {"Клиенты": CLIENTS})
    report = load_inbox(inbox, warehouse)
    lines = note_lines("clients.xlsx", report)
    assert lines[:2] == ["clients.xlsx: loaded as load 1.", "Клиенты: loaded: 3 rows"]
    with use_locale("ru"):
        lines = note_lines("clients.xlsx", report)
    assert lines[:2] == ["clients.xlsx: загружен как загрузка 1.",
                         "Клиенты: загружены 3 строки"]


def test_the_rejects_workbook_and_the_note_replace_each_other(tmp_path: Path, inbox: Path,
                                                              warehouse: Path) -> None:
    feedback = tmp_path / "feedback"
    write_workbook(inbox / "clients.xlsx", {"clients": CLIENTS})
    load_inbox(inbox, warehouse)
    (inbox / "clients.xlsx").unlink()
    bad = payments(range(2))
    bad["payments"].append(["P9", "acme", bad["payments"][1][2], "abc", "USD", "payment"])
    write_workbook(inbox / "payments.xlsx", bad)
    written = write_feedback(feedback, "payments.xlsx", load_inbox(inbox, warehouse))
    assert written == feedback / "payments.xlsx.rejects.xlsx"
    cells = [c.value for sheet in openpyxl.load_workbook(written).worksheets
             for row in sheet.iter_rows() for c in row]
    assert "abc" in cells
    write_workbook(inbox / "payments.xlsx", payments(range(5)))
    with use_locale("ru"):
        written = write_feedback(feedback, "payments.xlsx", load_inbox(inbox, warehouse))
    assert sorted(p.name for p in feedback.iterdir()) == ["payments.xlsx.txt"]
    assert written.read_text("utf-8").splitlines()[1] == "payments: загружено 5 строк"


def test_the_log_says_what_became_of_a_file_in_the_locale(
        inbox: Path, warehouse: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="ledgerflow.watch")
    write_workbook(inbox / "clients.xlsx", {"Клиенты": CLIENTS})
    taken = Taken("clients.xlsx", Signature(1, 1), load_inbox(inbox, warehouse))
    Watcher._log_taken(taken, None)
    with use_locale("ru"):
        Watcher._log_taken(taken, None)
    assert caplog.messages == [
        "clients.xlsx: loaded as load 1; rows loaded: 3, refused: 0",
        "clients.xlsx: загружен как загрузка 1; загружено строк: 3, отклонено: 0"]
