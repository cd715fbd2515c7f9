"""Hierarchy rules L3–L7 and P2, on dates, against the warehouse plus the batch."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
from conftest import PAYMENT_HEADER, write_workbook

from ledgerflow.pipeline import IngestOptions, IngestReport, load_inbox
from ledgerflow.rules.hierarchy import HierarchySettings

LINK_HEADER = ["master_id", "related_id", "linked_on", "unlinked_on"]
CLIENT_HEADER = ["client_id", "name", "client_type", "tax_id", "currency", "status"]
INN = "7707083893"
OTHER_INN = "7736050003"
CLIENTS = [
    CLIENT_HEADER,
    ["M", "Master", "legal", INN, "RUB", "active"],
    ["M_A", "Dept A", "legal", INN, "RUB", "active"],
    ["M_B", "Dept B", "legal", INN, "RUB", "active"],
    ["N", "Other master", "legal", INN, "RUB", "active"],
    ["Foreign", "Other entity", "legal", OTHER_INN, "RUB", "active"],
    ["M_closed", "Closed dept", "legal", INN, "RUB", "closed"],
]
D = dt.date


def run(inbox: Path, warehouse: Path, sheets: dict[str, list[list[object]]], name: str,
        options: IngestOptions | None = None) -> IngestReport:
    write_workbook(inbox / name, sheets)
    return load_inbox(inbox, warehouse, options)


def findings(report: IngestReport, file: str,
             warnings: bool = False) -> list[tuple[int | None, str, str]]:
    """Hierarchy findings of one file; warnings (the L6 naming advice) only when asked."""
    return sorted((p.row, p.rule, p.severity) for p in report.problems() if p.file == file
                  and p.rule in {"L3", "L4", "L5", "L6", "L7", "P2"}
                  and (warnings or p.severity == "error"))


def test_one_master_per_date_checked_against_the_warehouse(inbox: Path,
                                                           warehouse: Path) -> None:
    run(inbox, warehouse, {"clients": CLIENTS, "links": [
        LINK_HEADER, ["M", "M_A", D(2026, 1, 1), D(2026, 6, 1)]]}, "base.xlsx")

    report = run(inbox, warehouse, {"links": [
        LINK_HEADER, ["N", "M_A", D(2026, 5, 1), D(2026, 6, 1)],  # overlaps May
        ["N", "M_A", D(2026, 6, 1), None]]}, "later.xlsx", IngestOptions(partial=True))

    assert findings(report, "later.xlsx") == [(2, "L3", "error")]
    [problem] = [p for p in report.problems() if p.rule == "L3"]
    assert "base.xlsx, sheet 'links', row 2" in problem.message
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        stored = connection.execute(
            "SELECT master_id, linked_on FROM links ORDER BY linked_on").fetchall()
    # the link starting the day the first one ends does not overlap and is loaded
    assert stored == [("M", D(2026, 1, 1)), ("N", D(2026, 6, 1))]


def test_no_chains_a_related_account_cannot_be_a_master(inbox: Path, warehouse: Path) -> None:
    report = run(inbox, warehouse, {"clients": CLIENTS, "links": [
        LINK_HEADER, ["M", "M_A", D(2026, 1, 1), None],
        ["M_A", "M_B", D(2026, 3, 1), None]]}, "chain.xlsx")

    assert findings(report, "chain.xlsx") == [(3, "L4", "error")]
    assert report.outcomes[0].status == "refused"


def test_related_accounts_cannot_be_linked_to_each_other_on_later_dates(
        inbox: Path, warehouse: Path) -> None:
    run(inbox, warehouse, {"clients": CLIENTS, "links": [
        LINK_HEADER, ["M", "M_A", D(2026, 1, 1), D(2026, 2, 1)]]}, "base.xlsx")

    report = run(inbox, warehouse, {"links": [
        LINK_HEADER, ["M_B", "M", D(2026, 1, 15), None]]}, "cycle.xlsx")

    assert findings(report, "cycle.xlsx") == [(2, "L4", "error")]


def test_same_tax_id_error_by_default_and_warning_by_setting(inbox: Path,
                                                             warehouse: Path) -> None:
    sheets = {"clients": CLIENTS, "links": [LINK_HEADER, ["M", "Foreign", D(2026, 1, 1), None]]}
    strict = run(inbox, warehouse, sheets, "book.xlsx")
    assert findings(strict, "book.xlsx", warnings=True) == [
        (2, "L5", "error"), (2, "L6", "warning")]

    lenient = load_inbox(inbox, warehouse, IngestOptions(
        hierarchy=HierarchySettings(same_tax_id="warning")))
    assert findings(lenient, "book.xlsx", warnings=True) == [
        (2, "L5", "warning"), (2, "L6", "warning")]
    assert lenient.exit_code == 0
    assert lenient.outcomes[0].status == "loaded"


def test_naming_convention_can_be_an_error(inbox: Path, warehouse: Path) -> None:
    report = run(inbox, warehouse, {"clients": CLIENTS, "links": [
        LINK_HEADER, ["N", "M_B", D(2026, 1, 1), None]]}, "book.xlsx",
        IngestOptions(hierarchy=HierarchySettings(naming_convention="error")))

    assert findings(report, "book.xlsx") == [(2, "L6", "error")]
    assert report.exit_code == 1


def test_closed_accounts_cannot_be_linked(inbox: Path, warehouse: Path) -> None:
    report = run(inbox, warehouse, {"clients": CLIENTS, "links": [
        LINK_HEADER, ["M", "M_closed", D(2026, 1, 1), None]]}, "book.xlsx")

    assert findings(report, "book.xlsx") == [(2, "L7", "error")]


def test_top_up_of_a_related_account_is_refused_on_dates_it_is_related(
        inbox: Path, warehouse: Path) -> None:
    run(inbox, warehouse, {"clients": CLIENTS, "links": [
        LINK_HEADER, ["M", "M_A", D(2026, 3, 1), D(2026, 6, 1)]]}, "base.xlsx")

    report = run(inbox, warehouse, {"payments": [
        PAYMENT_HEADER,
        ["P1", "M_A", D(2026, 2, 28), 100, "RUB", "payment"],  # before the link: its own
        ["P2", "M_A", D(2026, 3, 1), 100, "RUB", "payment"],  # related: refused
        ["P3", "M_A", D(2026, 4, 1), 100, "RUB", "refund"],  # not a top-up
        ["P4", "M_A", D(2026, 6, 1), 100, "RUB", "payment"],  # unlinked that day: its own
    ]}, "payments.xlsx")

    assert findings(report, "payments.xlsx") == [(3, "P2", "error")]
    [problem] = [p for p in report.problems() if p.rule == "P2"]
    assert "the payment should go to M" in problem.message


def test_a_replaced_links_file_is_not_checked_against_its_own_old_version(
        inbox: Path, warehouse: Path) -> None:
    run(inbox, warehouse, {"clients": CLIENTS, "links": [
        LINK_HEADER, ["M", "M_A", D(2026, 1, 1), None]]}, "base.xlsx")
    write_workbook(inbox / "base.xlsx", {"clients": CLIENTS, "links": [
        LINK_HEADER, ["M", "M_A", D(2026, 2, 1), None]]})  # the link date corrected

    report = load_inbox(inbox, warehouse, IngestOptions(replace=frozenset({"base.xlsx"})))

    assert report.exit_code == 0, [str(p) for p in report.problems()]
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        assert connection.execute("SELECT linked_on FROM links").fetchall() == [(D(2026, 2, 1),)]


def test_findings_in_russian_name_the_other_row(inbox: Path, warehouse: Path) -> None:
    from ledgerflow.i18n import use_locale

    run(inbox, warehouse, {"clients": CLIENTS, "links": [
        LINK_HEADER, ["M", "M_A", D(2026, 1, 1), None]]}, "base.xlsx")
    with use_locale("ru"):
        report = run(inbox, warehouse, {"links": [
            LINK_HEADER, ["N", "M_A", D(2026, 5, 1), None],
            ["M_closed", "M_B", D(2026, 5, 1), None]]}, "later.xlsx")
    messages = sorted(p.message for p in report.problems() if p.rule in ("L3", "L7"))
    assert messages == [
        "Правило L3: M_A в пересекающиеся даты связан ещё и с M (base.xlsx, лист 'links', "
        "строка 2); у счёта в любой день может быть только один главный.",
        "Правило L7: счёт M_closed закрыт, его нельзя связывать.",
    ]
