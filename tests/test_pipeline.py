"""An inbox with more expenses than fit in memory at once: those files are loaded after the rest,
a few at a time, with the same outcome as a batch."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
from conftest import CLIENTS, EXPENSE_HEADER, write_workbook

from ledgerflow import pipeline
from ledgerflow.pipeline import load_inbox


def expenses(first: int, count: int, client: str = "Orhid_magazine") -> list[list[object]]:
    return [EXPENSE_HEADER] + [[f"E{i}", client, dt.date(2026, 10, 1 + i % 28), 10 + i, "RUB",
                                "sms"] for i in range(first, first + count)]


@pytest.fixture
def streamed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "STREAM_BYTES", 0)  # any expense file is "large"


def test_expense_files_stream_after_the_clients(streamed: None, inbox: Path,
                                                warehouse: Path) -> None:
    # "a_" sorts before "clients": streamed files must still see the clients loaded first
    write_workbook(inbox / "a_expenses.xlsx", {"expenses": expenses(0, 30)})
    write_workbook(inbox / "clients.xlsx", {"clients": CLIENTS})
    write_workbook(inbox / "z_expenses.xlsx", {"expenses": expenses(30, 20)})
    for n in range(3):
        write_workbook(inbox / f"more_{n}.xlsx", {"expenses": expenses(100 + 10 * n, 10)})

    report = load_inbox(inbox, warehouse)

    assert report.exit_code == 0, report.problems()
    assert [o.file.name for o in report.outcomes] == sorted(o.file.name
                                                            for o in report.outcomes)
    assert {o.file.name: (o.status, o.accepted_rows) for o in report.outcomes} == {
        "a_expenses.xlsx": ("loaded", 30), "clients.xlsx": ("loaded", len(CLIENTS) - 1),
        "z_expenses.xlsx": ("loaded", 20), "more_0.xlsx": ("loaded", 10),
        "more_1.xlsx": ("loaded", 10), "more_2.xlsx": ("loaded", 10)}
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        [(rows, total)] = connection.execute(
            "SELECT count(*), sum(amount) FROM expenses").fetchall()
        loads = connection.execute("SELECT file, rows_accepted FROM loads ORDER BY load_id"
                                   ).fetchall()
    assert rows == 80
    assert total == sum(10 + i for i in [*range(50), *range(100, 130)])
    assert loads[0] == ("clients.xlsx", len(CLIENTS) - 1)  # loaded before any expenses


def test_a_streamed_file_is_checked_against_what_is_loaded(streamed: None, inbox: Path,
                                                           warehouse: Path) -> None:
    write_workbook(inbox / "clients.xlsx", {"clients": CLIENTS})
    write_workbook(inbox / "e1.xlsx", {"expenses": expenses(0, 5)})
    clash = expenses(3, 2)
    clash[1][3] = 999  # E3 again, another amount
    write_workbook(inbox / "e3.xlsx", {"expenses": clash})
    write_workbook(inbox / "e4.xlsx", {"expenses": expenses(0, 1, client="nobody")})

    report = load_inbox(inbox, warehouse)

    status = {o.file.name: o.status for o in report.outcomes}
    assert status == {"clients.xlsx": "loaded", "e1.xlsx": "loaded", "e3.xlsx": "refused",
                      "e4.xlsx": "refused"}
    problems = {(p.file, p.rule) for p in report.problems() if p.severity == "error"}
    # e3 is read with e1 (two files at a time): a duplicate within the batch; e4 comes later
    # and meets E0 in the warehouse: a conflict with the stored row
    assert ("e3.xlsx", "duplicate_id") in problems
    assert {("e4.xlsx", "conflict"), ("e4.xlsx", "unknown_client")} <= problems
    refused = next(o for o in report.outcomes if o.file.name == "e3.xlsx")
    kept = refused.tables[0].raw.frame  # the cells as typed, for the rejects workbook
    assert list(kept.index) == [2, 3] and 999 in kept[EXPENSE_HEADER[3]].tolist()
