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
from ledgerflow.read.inbox import InboxFile


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
    # e3 is read with e1 (two files at a time): a duplicate within the batch; e4 comes in a
    # later wave and meets E0 of e1, loaded by this very run: a duplicate too, naming that row
    assert ("e3.xlsx", "duplicate_id") in problems
    assert {("e4.xlsx", "duplicate_id"), ("e4.xlsx", "unknown_client")} <= problems
    assert ("e4.xlsx", "conflict") not in problems
    [duplicate] = [p for p in report.problems() if (p.file, p.rule) == ("e4.xlsx", "duplicate_id")]
    assert (duplicate.row, duplicate.column) == (2, "expense_id")
    assert "e1.xlsx, sheet 'expenses', row 2" in duplicate.message
    refused = next(o for o in report.outcomes if o.file.name == "e3.xlsx")
    kept = refused.tables[0].raw.frame  # the cells as typed, for the rejects workbook
    assert list(kept.index) == [2, 3] and 999 in kept[EXPENSE_HEADER[3]].tolist()


def test_validate_reads_in_the_same_waves_and_reports_the_same(
        streamed: None, inbox: Path, warehouse: Path) -> None:
    """`validate` plans the same waves as `load` (so it is bounded in memory alike) and, loading
    nothing, counts the clients of the first wave as known to the later ones."""
    write_workbook(inbox / "clients.xlsx", {"clients": CLIENTS})
    write_workbook(inbox / "e1.xlsx", {"expenses": expenses(0, 5)})
    write_workbook(inbox / "e2.xlsx", {"expenses": expenses(5, 5)})
    write_workbook(inbox / "e3.xlsx", {"expenses": expenses(4, 2)})  # E4 of e1, E5 of e2
    write_workbook(inbox / "e4.xlsx", {"expenses": expenses(20, 1, client="nobody")})
    waves: list[list[str]] = []
    ingest = pipeline.Ingest(inbox, warehouse, pipeline.IngestOptions())
    plan = ingest._plan

    def planned(files: list[InboxFile]) -> list[list[InboxFile]]:
        made = plan(files)
        waves.extend([f.name for f in wave] for wave in made)
        return made

    ingest._plan = planned  # type: ignore[method-assign]

    report = ingest.check()

    assert waves == [["clients.xlsx"], ["e1.xlsx", "e2.xlsx"], ["e3.xlsx", "e4.xlsx"]]
    status = {o.file.name: o.status for o in report.outcomes}
    assert status == {"clients.xlsx": "valid", "e1.xlsx": "valid", "e2.xlsx": "valid",
                      "e3.xlsx": "refused", "e4.xlsx": "refused"}
    found = sorted((p.file, p.row, p.rule) for p in report.problems() if p.severity == "error")
    assert found == [("e3.xlsx", 2, "duplicate_id"), ("e3.xlsx", 3, "duplicate_id"),
                     ("e4.xlsx", 2, "unknown_client")]
    messages = [p.message for p in report.problems() if p.rule == "duplicate_id"]
    assert "e1.xlsx, sheet 'expenses', row 6" in messages[0]
    assert "e2.xlsx, sheet 'expenses', row 2" in messages[1]
    # the rows of a wave that passed leave memory; a refused file keeps its cells
    kept = {o.file.name: o.tables[0].raw.frame.size for o in report.outcomes}
    assert kept["e1.xlsx"] == 0 and kept["e3.xlsx"] > 0
    assert not warehouse.exists() or duckdb.connect(str(warehouse), read_only=True).execute(
        "SELECT count(*) FROM loads").fetchone() == (0,)
