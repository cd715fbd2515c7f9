"""The Python side of consolidation, asked directly: the dry run of the line stage a load makes
inside its transaction (`lines_resolve`) and the questions a consolidation answers from its
connection.

These are the cases that kill mutmut's mutants of `rules/consolidate.py` (scripts/mutation.sh)
that the balance tests (test_consolidate.py, test_sample_balances.py) leave alive; the same dry
run through a real load is tested in tests/load/test_history.py.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from conftest import CLIENTS, EXPENSE_HEADER, write_workbook

from ledgerflow.pipeline import load_inbox
from ledgerflow.rules import consolidate as engine
from ledgerflow.rules.period import Period

OCT = dt.date(2026, 10, 5)
LINKS = [["master_id", "related_id", "linked_on"],
         ["Orhid_magazine", "Orhid_magazine_DIR", dt.date(2026, 9, 1)]]


def expenses(*rows: tuple[str, str, int, str]) -> list[list[object]]:
    return [EXPENSE_HEADER] + [[i, account, OCT, amount, currency, "hosting"]
                               for i, account, amount, currency in rows]


@pytest.fixture
def books(inbox: Path, warehouse: Path) -> Path:
    """Clients and a link in one load, then two files of expenses, one load each."""
    write_workbook(inbox / "clients.xlsx", {"clients": CLIENTS, "links": LINKS})
    write_workbook(inbox / "e1.xlsx",
                   {"expenses": expenses(("E1", "Orhid_magazine_DIR", 10, "RUB"))})
    write_workbook(inbox / "e2.xlsx",
                   {"expenses": expenses(("E2", "Orhid_magazine", 20, "RUB"),
                                         ("E3", "acme", 5, "USD"))})
    report = load_inbox(inbox, warehouse)
    assert report.exit_code == 0, [str(p) for p in report.problems()]
    return warehouse


def second_master(connection: duckdb.DuckDBPyConnection) -> None:
    """Damage behind ledgerflow's back: acme made a second master of Orhid_magazine_DIR."""
    connection.execute(
        "INSERT INTO links SELECT 'acme', related_id, linked_on, unlinked_on, load_id, "
        "source_file, source_sheet, 99, 'hand', row_hash FROM links")


def expense_loads(connection: duckdb.DuckDBPyConnection) -> tuple[int, ...]:
    return tuple(i for (i,) in connection.execute(
        "SELECT DISTINCT load_id FROM expenses ORDER BY load_id").fetchall())


def test_the_dry_run_of_no_load_finds_nothing_wrong(books: Path) -> None:
    with duckdb.connect(str(books)) as connection:
        assert engine.lines_resolve(connection, ()) is None


def test_the_dry_run_of_several_loads_counts_the_lines_of_each(books: Path) -> None:
    """Two loads asked at once: their three lines each resolve to one payer line."""
    with duckdb.connect(str(books)) as connection:
        loads = expense_loads(connection)
        assert len(loads) == 2
        assert engine.lines_resolve(connection, loads) is None
        second_master(connection)
        assert engine.lines_resolve(connection, loads) == (
            "3 new transactions resolved to 4 payer lines (3 distinct): each must land in "
            "exactly one statement")
        # the load without the related account's line still resolves
        assert engine.lines_resolve(connection, loads[1:]) is None


def test_a_consolidation_without_its_connection_says_so(books: Path) -> None:
    with duckdb.connect(str(books)) as connection:
        result = engine.consolidate(connection, Period.month("2026-10"))
        detached = dataclasses.replace(result, connection=None)
        with pytest.raises(ValueError, match=r"^this consolidation has no connection to ask$"):
            detached.lines()


def test_the_line_stage_runs_once_however_many_questions_are_asked(
        books: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The statement lines are made once per consolidation (a million lines take seconds),
    then every question reads them."""
    made: list[Period] = []
    create = engine._create_lines

    def counted(connection: duckdb.DuckDBPyConnection, period: Period) -> None:
        made.append(period)
        create(connection, period)

    monkeypatch.setattr(engine, "_create_lines", counted)
    with duckdb.connect(str(books)) as connection:
        result = engine.consolidate(connection, Period.month("2026-10"))
        assert made == []
        assert result.lines().num_rows == 3
        assert result.line_counts() == {"orhid_magazine": 2, "acme": 1}
        assert set(result.line_digests()) == {"orhid_magazine", "acme"}
        assert made == [Period.month("2026-10")]


def test_the_currencies_frame_is_not_left_registered_on_the_connection(books: Path) -> None:
    """The minor digits go in through a frame registered for one statement; the working
    table made of it stays, the frame (a Python object the connection would keep alive) not."""
    with duckdb.connect(str(books)) as connection:
        engine.consolidate(connection, Period.month("2026-10"))
        assert engine.lines_resolve(connection, expense_loads(connection)) is None
        assert connection.execute(
            "SELECT currency, digits, factor FROM lf_digits ORDER BY currency").fetchall() == [
            ("RUB", 2, 100), ("USD", 2, 100)]
        with pytest.raises(duckdb.CatalogException, match="lf_digits_frame"):
            connection.execute("SELECT * FROM lf_digits_frame")


def test_a_consolidation_keeps_the_rounding_it_was_asked_for(books: Path) -> None:
    with duckdb.connect(str(books)) as connection:
        result = engine.consolidate(connection, Period.month("2026-10"),
                                    engine.MoneySettings(rounding="half_even"))
        assert result.money == engine.MoneySettings(rounding="half_even")


def test_a_broken_conservation_is_named_check_by_check(books: Path) -> None:
    """The conservation check never fails on a sound warehouse; given balances that do not add
    up, it names every broken check, the payers and the two sums."""
    period = Period.month("2026-10")
    with duckdb.connect(str(books)) as connection:
        result = engine.consolidate(connection, period)
        payers, ageing = result.payers.copy(), result.ageing.copy()
        orhid = payers.index[payers["payer_key"] == "orhid_magazine"][0]
        payers.loc[orhid, "conserved"] = False
        payers.loc[orhid, "closing"] = payers.loc[orhid, "closing"] + Decimal("0.01")
        ageing.loc[ageing["payer_key"] == "acme", "conserved"] = False
        with pytest.raises(engine.ConservationError) as raised:
            engine._check_conservation(connection, period, payers, ageing)
    # Orhid_magazine: opening 0, expenses 10.00 + 20.00 -> closing -30.00, made -29.99
    assert str(raised.value) == (
        "Conservation check failed: closing != opening + lines for ['Orhid_magazine']; "
        "ageing buckets do not add up to the debt for ['acme']; RUB: closing balances add "
        "up to -29.9900, the converted transactions to -30.00")


def test_a_line_landing_in_two_statements_stops_the_consolidation(books: Path) -> None:
    with duckdb.connect(str(books)) as connection:
        second_master(connection)
        with pytest.raises(engine.ConservationError, match=(
                r"^Conservation check failed: 3 transactions resolved to 4 payer lines "
                r"\(3 distinct\): a transaction must land in exactly one statement$")):
            engine.consolidate(connection, Period.month("2026-10"))
