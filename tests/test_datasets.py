"""The benchmark inboxes of benchmarks/datasets.py, on a tiny S: everything loads (nothing refused,
no finding at all), every line balances with a rate, and two generations are the same bytes."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from conftest import benchmarks_importable

from ledgerflow.load.warehouse import read_warehouse
from ledgerflow.pipeline import load_inbox
from ledgerflow.rules.consolidate import consolidate
from ledgerflow.rules.period import Period

SCALE = 0.01  # 20 clients, 100 payments, 1,000 expenses
FILES = ["clients.xlsx", "conditions.xlsx", "expenses.xlsx", "links.xlsx", "payments.xlsx"]


with benchmarks_importable():
    datasets = importlib.import_module("datasets")


def generate(root: Path, workers: int = 2) -> Path:
    with benchmarks_importable():
        inbox: Path = datasets.make_inbox("S", root, scale=SCALE, workers=workers)
    return inbox


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(tmp_path_factory.mktemp("first"))


def inputs(inbox: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(inbox.iterdir()) if not p.name.startswith(".")}


def test_tiny_inbox_loads_with_nothing_refused(tiny: Path, tmp_path: Path) -> None:
    path = tmp_path / "ledger.duckdb"
    report = load_inbox(tiny, path)

    assert [(o.file.name, o.status, o.refused_rows) for o in report.outcomes] == [
        (name, "loaded", 0) for name in FILES]
    assert report.problems() == []  # not even a warning: L5 and L6 hold for every link
    shape = datasets.shape_of("S", SCALE)
    expected = {"clients": shape.clients, "links": len(datasets.build_cast(shape).link_rows()),
                "payments": shape.payments, "expenses": shape.expenses}
    with read_warehouse(path) as connection:
        counts = {kind: connection.execute(f"SELECT count(*) FROM {kind}").fetchall()[0][0]
                  for kind in expected}
        result = consolidate(connection, Period.month("2026-10"))
    assert counts == expected == {
        kind: n for kind, n in datasets.read_summary(tiny)["rows"].items() if kind in expected}
    assert result.problems == []  # every line has a rate into its payer's currency


def test_tiny_inbox_has_every_kind_of_link() -> None:
    cast = datasets.build_cast(datasets.shape_of("S", SCALE))
    related = cast.master >= 0
    october = (cast.ends_on >= datasets.OCTOBER) & (cast.ends_on < datasets.DAYS)
    assert (related & (cast.moved_to >= 0) & october).any(), "moved to another master"
    assert (related & (cast.moved_to < 0) & october).any(), "unlinked in October"
    assert (related & (cast.linked_on >= datasets.OCTOBER)).any(), "linked in October"


def test_two_generations_are_byte_identical(tiny: Path, tmp_path: Path) -> None:
    again = generate(tmp_path, workers=1)  # and no matter which process writes what

    first, second = inputs(tiny), inputs(again)
    assert sorted(first) == sorted(second) == FILES
    assert [name for name in FILES if first[name] != second[name]] == []


def test_a_complete_inbox_is_reused(tiny: Path) -> None:
    written = {p.name: p.stat().st_mtime_ns for p in tiny.iterdir()}

    assert generate(tiny.parent) == tiny
    assert {p.name: p.stat().st_mtime_ns for p in tiny.iterdir()} == written
