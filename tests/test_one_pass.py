"""Every error in one pass (issue 11): every row that parses is checked by every rule it can be
checked by, whatever else is wrong in its table or file, and a refused file's rows decide
nothing for the other files."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
from click.testing import CliRunner
from conftest import CLIENT_HEADER, EXPENSE_HEADER, PAYMENT_HEADER, write_workbook

from ledgerflow.cli import main
from ledgerflow.pipeline import IngestOptions, IngestReport, check_inbox, load_inbox

JAN, FEB, MAR = dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)
OCT = dt.date(2026, 10, 5)
ORHID = "7707083893"  # valid INNs of legal entities
BETA = "7710000008"
GAMMA = "7720000007"
GAMMA_X = "7730000006"
CLOSED = "7740000005"
LINK_HEADER = ["master_id", "related_id", "linked_on", "unlinked_on"]
DISCOUNT_HEADER = ["client_id", "percent", "product_type", "valid_from", "valid_to"]
TAX_HEADER = ["client_id", "rate_pct", "product_type", "valid_from", "valid_to"]


def legal(client_id: str, tax_id: str, status: str = "active") -> list[object]:
    return [client_id, f"{client_id} LLC", "legal", tax_id, "RUB", 0, status]


# One workbook, as an accountant keeps it: every table holds good rows and one bad row of each
# rule that can be broken in it. Each bad row is listed in EXPECTED, by (sheet, row) -> rules.
MONTH = {
    "clients": [
        [*CLIENT_HEADER, "status"],
        legal("Orhid_magazine", ORHID),  # 2
        legal("Orhid_magazine_DIR", ORHID),  # 3
        legal("Orhid_magazine_SPB", ORHID),  # 4
        legal("Orhid_magazine_DIR_X", ORHID),  # 5
        legal("Orhid", ORHID),  # 6
        legal("Sales_dept", ORHID),  # 7
        legal("Beta", BETA),  # 8
        legal("Beta_shop", BETA),  # 9
        legal("Gamma", GAMMA),  # 10
        legal("Gamma_x", GAMMA_X),  # 11: a valid INN, but another company's
        legal("Closed_co", CLOSED, status="closed"),  # 12
        legal("Closed_co_A", CLOSED),  # 13
        legal("Bad_inn", "7707083894"),  # 14: wrong check digit
    ],
    "links": [
        LINK_HEADER,
        ["Orhid_magazine", "Orhid_magazine_DIR", JAN, None],  # 2
        ["Beta", "Beta_shop", JAN, None],  # 3
        ["Orhid_magazine", "Orhid_magazine_SPB", "31.02.2026", None],  # 4: no such date
        ["Orhid_magazine", "Orhid_magazine_GHOST", JAN, None],  # 5: L1, no such client
        ["Beta", "Beta", JAN, None],  # 6: L2, linked to itself
        ["Orhid", "Orhid_magazine_DIR", FEB, None],  # 7: L3, a second master
        ["Orhid_magazine_DIR", "Orhid_magazine_DIR_X", FEB, None],  # 8: L4, a chain
        ["Gamma", "Gamma_x", JAN, None],  # 9: L5, another tax ID
        ["Orhid_magazine", "Sales_dept", JAN, None],  # 10: L6, the name
        ["Closed_co", "Closed_co_A", JAN, None],  # 11: L7, a closed master
    ],
    "payments": [
        PAYMENT_HEADER,
        ["P1", "Orhid_magazine", OCT, 1000, "RUB", "payment"],  # 2
        ["P2", "Beta", OCT, 500, "RUB", "payment"],  # 3
        ["P3", "Orhid_magazine", OCT, "12,345", "RUB", "payment"],  # 4: ambiguous money
        ["P4", "Nobody", OCT, 100, "RUB", "payment"],  # 5: unknown client
        ["P5", "Orhid_magazine_DIR", OCT, 100, "RUB", "payment"],  # 6: P2, a related top-up
        ["P6", "Beta", OCT, 10, "RUB", "payment"],  # 7: the same payment number twice:
        ["P6", "Beta", OCT, 20, "RUB", "payment"],  # 8: both rows are refused
        ["P7", "Beta_shop", OCT, 5, "RUB", "refund"],  # 9: a refund to a related account
    ],
    "expenses": [
        EXPENSE_HEADER,
        ["E1", "Orhid_magazine_DIR", OCT, 300, "RUB", "sms"],  # 2
        ["E2", "Beta_shop", OCT, 40, "RUR", "sms"],  # 3: no such currency
        ["E3", "Gamma", OCT, 7, "RUB", "sms"],  # 4
    ],
    "discounts": [
        DISCOUNT_HEADER,
        ["Orhid_magazine", 10, "sms", JAN, dt.date(2026, 6, 30)],  # 2
        ["Orhid_magazine", 5, "sms", dt.date(2026, 7, 1), None],  # 3
        ["Orhid_magazine", 7, "sms", MAR, dt.date(2026, 3, 31)],  # 4: overlaps row 2
    ],
    "taxes": [
        TAX_HEADER,
        [None, 20, None, JAN, None],  # 2: the default
        ["Orhid_magazine", 0, "sms", JAN, None],  # 3
        [None, 18, None, dt.date(2026, 5, 1), None],  # 4: overlaps row 2
    ],
}
EXPECTED = {
    ("clients", 14): {"tax_id_invalid"},
    ("links", 4): {"date_format"},
    ("links", 5): {"unknown_client"},
    ("links", 6): {"link_self"},
    ("links", 7): {"L3"},
    ("links", 8): {"L4"},
    ("links", 9): {"L5"},
    ("links", 10): {"L6"},
    ("links", 11): {"L7"},
    ("payments", 4): {"money_ambiguous"},
    ("payments", 5): {"unknown_client"},
    ("payments", 6): {"P2"},
    ("payments", 7): {"duplicate_id"},
    ("payments", 8): {"duplicate_id"},
    ("expenses", 3): {"currency_code"},
    ("discounts", 4): {"discounts_overlap"},
    ("taxes", 4): {"taxes_overlap"},
}


def found(report: IngestReport, file: str) -> dict[tuple[str | None, int | None], set[str]]:
    rules: dict[tuple[str | None, int | None], set[str]] = {}
    for problem in report.problems():
        if problem.file == file:
            rules.setdefault((problem.sheet, problem.row), set()).add(problem.rule)
    return rules


def test_every_bad_row_of_every_rule_is_reported_in_one_validate(inbox: Path, warehouse: Path,
                                                                 tmp_path: Path) -> None:
    write_workbook(inbox / "month.xlsx", MONTH)
    rejects = tmp_path / "rejects.xlsx"

    result = CliRunner().invoke(main, ["validate", str(inbox), "--warehouse", str(warehouse),
                                       "--rejects", str(rejects), "--json"])

    assert result.exit_code == 1, result.output
    summary = json.loads(result.stdout)
    rules: dict[tuple[str, int], set[str]] = {}
    for problem in summary["problems"]:
        assert problem["file"] == "month.xlsx"
        rules.setdefault((problem["sheet"], problem["row"]), set()).add(problem["rule"])
    assert rules == EXPECTED  # every bad row, and no good row
    [outcome] = summary["files"]
    errors = {where for where, rules in EXPECTED.items() if rules != {"L6"}}  # L6 warns
    assert (outcome["status"], outcome["refused"]) == ("refused", len(errors))
    problems = {(p["sheet"], p["row"], p["rule"]): p for p in summary["problems"]}
    assert problems[("links", 10, "L6")]["severity"] == "warning"
    assert "Orhid_magazine_DIR is itself a related account of Orhid_magazine" in problems[
        ("links", 8, "L4")]["message"]
    assert "Orhid_magazine_DIR is a related account of Orhid_magazine" in problems[
        ("payments", 6, "P2")]["message"]

    book = openpyxl.load_workbook(rejects, read_only=True)
    problems = list(book["problems"].iter_rows(values_only=True))
    top = next(i for i, row in enumerate(problems) if row[0] == "cell")  # under the stamp
    listed = {(row[3], row[4], row[7]) for row in problems[top + 1:]}
    assert listed == {(sheet, row, rule) for (sheet, row), rules in EXPECTED.items()
                      for rule in rules}
    rows = set()  # the refused rows as typed, each naming its source
    for name in book.sheetnames:
        if name != "problems":
            for line in book[name].iter_rows(min_row=2, values_only=True):
                source = str(line[-2])
                rows.add((source.split(" / ")[1], int(source.rsplit(" ", 1)[1])))
    book.close()
    assert rows == errors  # the L6 row is a warning: it would load


def test_a_value_error_and_a_chain_in_one_links_file_come_out_together(
        inbox: Path, warehouse: Path) -> None:
    """The story of the issue: one bad date and one chain, both in the first pass."""
    write_workbook(inbox / "clients.xlsx", {"clients": [CLIENT_HEADER, *(
        legal(name, ORHID)[:6] for name in ("Orhid_magazine", "Orhid_magazine_DIR",
                                            "Orhid_magazine_DIR_X", "Orhid_magazine_SPB"))]})
    write_workbook(inbox / "links.xlsx", {"links": [
        LINK_HEADER,
        ["Orhid_magazine", "Orhid_magazine_SPB", "04/03/26", None],
        ["Orhid_magazine", "Orhid_magazine_DIR", JAN, None],
        ["Orhid_magazine_DIR", "Orhid_magazine_DIR_X", FEB, None],
        # a link whose own date is bad cannot be judged, nor judge others: its end is unknown
        ["Orhid_magazine_DIR_X", "Orhid_magazine_DIR_X_2", JAN, "31.02.2026"],
    ]})

    report = check_inbox(inbox, warehouse)

    assert found(report, "links.xlsx") == {
        ("links", 2): {"date_ambiguous"}, ("links", 4): {"L4"},
        ("links", 5): {"date_format", "unknown_client"}}
    assert found(report, "clients.xlsx") == {}


def base_inbox(inbox: Path) -> None:
    write_workbook(inbox / "base.xlsx", {"clients": [
        CLIENT_HEADER, *(legal(name, ORHID)[:6] for name in (
            "Orhid_magazine", "Orhid_magazine_DIR", "Orhid_magazine_DIR_X"))]})
    write_workbook(inbox / "payments.xlsx", {"payments": [
        PAYMENT_HEADER, ["P1", "Orhid_magazine_DIR", OCT, 100, "RUB", "payment"]]})
    write_workbook(inbox / "expenses.xlsx", {"expenses": [
        EXPENSE_HEADER, ["E1", "Newco", OCT, 100, "RUB", "sms"]]})


def test_a_refused_files_rows_decide_nothing_for_the_other_files(inbox: Path,
                                                                  warehouse: Path) -> None:
    base_inbox(inbox)
    # refused for a rule alone (a chain), not for a value: its link would make P1 a top-up of a
    # related account, and its client would make E1's client known
    write_workbook(inbox / "links.xlsx", {
        "clients": [CLIENT_HEADER, ["Newco", "Newco", "individual", None, "RUB", 0]],
        "links": [LINK_HEADER, ["Orhid_magazine", "Orhid_magazine_DIR", JAN, None],
                  ["Orhid_magazine_DIR", "Orhid_magazine_DIR_X", FEB, None]]})

    report = load_inbox(inbox, warehouse)

    status = {o.file.name: o.status for o in report.outcomes}
    assert status == {"base.xlsx": "loaded", "links.xlsx": "refused",
                      "payments.xlsx": "loaded", "expenses.xlsx": "refused"}
    assert found(report, "links.xlsx") == {("links", 3): {"L4"}}
    assert found(report, "payments.xlsx") == {}
    assert found(report, "expenses.xlsx") == {("expenses", 2): {"client_refused"}}


def test_the_same_payment_is_a_top_up_when_the_links_load(inbox: Path, warehouse: Path) -> None:
    """The control of the test above: without the chain, the link loads and P1 is a top-up."""
    base_inbox(inbox)
    write_workbook(inbox / "links.xlsx", {
        "clients": [CLIENT_HEADER, ["Newco", "Newco", "individual", None, "RUB", 0]],
        "links": [LINK_HEADER, ["Orhid_magazine", "Orhid_magazine_DIR", JAN, None]]})

    report = check_inbox(inbox, warehouse)

    status = {o.file.name: o.status for o in report.outcomes}
    assert status == {"base.xlsx": "valid", "links.xlsx": "valid",
                      "payments.xlsx": "refused", "expenses.xlsx": "valid"}
    assert found(report, "payments.xlsx") == {("payments", 2): {"P2"}}


def test_a_refused_files_rows_are_judged_against_what_loads_and_their_own(
        inbox: Path, warehouse: Path) -> None:
    """A refused file's link that takes a second master is reported against the loaded file
    that holds the first; the loaded file is not blamed for the refused one's rows."""
    base_inbox(inbox)
    write_workbook(inbox / "links.xlsx", {"links": [
        LINK_HEADER, ["Orhid_magazine", "Orhid_magazine_DIR", FEB, None]]})
    write_workbook(inbox / "late_links.xlsx", {"links": [
        LINK_HEADER, ["Orhid_magazine_DIR", "Orhid_magazine_DIR_X", MAR, None],  # L4
        ["Orhid_magazine", "Orhid_magazine_DIR_X", JAN, "bad date"]]})

    report = check_inbox(inbox, warehouse)

    status = {o.file.name: o.status for o in report.outcomes}
    assert status["links.xlsx"] == "valid" and status["late_links.xlsx"] == "refused"
    assert found(report, "late_links.xlsx") == {("links", 2): {"L4"},
                                                ("links", 3): {"date_format"}}
    [chain] = [p for p in report.problems() if p.rule == "L4"]
    assert "links.xlsx, sheet 'links', row 2" in chain.message


def test_files_that_refuse_each_other_are_both_refused_each_naming_the_other(
        inbox: Path, warehouse: Path) -> None:
    """Each file's later link takes a second master from a link of the other file: loaded
    together both are wrong, and neither is wrong alone. Both are refused, each with its row."""
    write_workbook(inbox / "clients.xlsx", {"clients": [CLIENT_HEADER, *(
        [name, name, "individual", None, "RUB", 0] for name in ("P", "Pa", "Pa_r", "Q", "Qa",
                                                              "Qa_r"))]})
    write_workbook(inbox / "a.xlsx", {"links": [
        LINK_HEADER, ["P", "Pa_r", JAN, None], ["Qa", "Qa_r", MAR, None]]})
    write_workbook(inbox / "b.xlsx", {"links": [
        LINK_HEADER, ["Q", "Qa_r", JAN, None], ["Pa", "Pa_r", MAR, None]]})

    report = check_inbox(inbox, warehouse)

    status = {o.file.name: o.status for o in report.outcomes}
    assert status == {"clients.xlsx": "valid", "a.xlsx": "refused", "b.xlsx": "refused"}
    assert found(report, "a.xlsx") == {("links", 3): {"L3"}}
    assert found(report, "b.xlsx") == {("links", 3): {"L3"}}


def test_a_row_already_stored_is_one_record_not_a_second_master_or_an_overlap(
        tmp_path: Path, warehouse: Path) -> None:
    """A link or discount dropped again in a new file is skipped (same content) or a conflict
    (other content); the stored copy is the same record, not another master (L3) nor an
    overlapping discount."""
    discount = ["Orhid_magazine", 10, "sms", JAN, None]
    first = tmp_path / "first"
    first.mkdir()
    base_inbox(first)
    (first / "payments.xlsx").unlink()
    write_workbook(first / "links.xlsx", {
        "links": [LINK_HEADER, ["Orhid_magazine", "Orhid_magazine_DIR", JAN, None]],
        "discounts": [DISCOUNT_HEADER, discount]})
    assert load_inbox(first, warehouse).exit_code == 1  # expenses.xlsx names no client

    again = tmp_path / "again"
    again.mkdir()
    write_workbook(again / "links_v2.xlsx", {
        "links": [LINK_HEADER, ["Orhid_magazine", "Orhid_magazine_DIR", JAN, None],
                  ["Orhid_magazine", "Orhid_magazine_DIR_X", JAN, None]],
        "discounts": [DISCOUNT_HEADER, discount, ["Orhid_magazine", 5, "email", JAN, None]]})
    assert found(check_inbox(again, warehouse), "links_v2.xlsx") == {}

    (again / "links_v2.xlsx").unlink()
    write_workbook(again / "links_v3.xlsx", {
        "links": [LINK_HEADER, ["Orhid_magazine", "Orhid_magazine_DIR", JAN, MAR]],
        "discounts": [DISCOUNT_HEADER, [*discount[:4], MAR]]})
    report = check_inbox(again, warehouse)
    assert found(report, "links_v3.xlsx") == {("links", 2): {"conflict"},
                                              ("discounts", 2): {"conflict"}}


def test_with_partial_a_refused_link_makes_no_top_up(inbox: Path, warehouse: Path) -> None:
    """--partial refuses rows, not files: a link refused by L4 does not make the account it
    would relate a related one, so its payment loads."""
    base_inbox(inbox)
    (inbox / "expenses.xlsx").unlink()
    write_workbook(inbox / "links.xlsx", {"links": [
        LINK_HEADER, ["Orhid_magazine", "Orhid_magazine_DIR", JAN, None],
        ["Orhid_magazine_DIR", "Orhid_magazine_DIR_X", FEB, None]]})  # L4
    write_workbook(inbox / "payments.xlsx", {"payments": [
        PAYMENT_HEADER, ["P1", "Orhid_magazine_DIR_X", OCT, 100, "RUB", "payment"],
        ["P2", "Orhid_magazine_DIR", OCT, 100, "RUB", "payment"]]})  # P2: row 2 loads

    report = load_inbox(inbox, warehouse, IngestOptions(partial=True))

    assert {o.file.name: (o.status, o.accepted_rows) for o in report.outcomes} == {
        "base.xlsx": ("loaded", 3), "links.xlsx": ("partial", 1),
        "payments.xlsx": ("partial", 1)}
    assert found(report, "links.xlsx") == {("links", 3): {"L4"}}
    assert found(report, "payments.xlsx") == {("payments", 3): {"P2"}}


def test_a_stored_payment_that_a_new_link_makes_a_top_up_is_named_again(
        tmp_path: Path, warehouse: Path) -> None:
    first = tmp_path / "first"
    first.mkdir()
    base_inbox(first)
    (first / "expenses.xlsx").unlink()
    assert load_inbox(first, warehouse).exit_code == 0

    again = tmp_path / "again"
    again.mkdir()
    write_workbook(again / "links.xlsx", {"links": [
        LINK_HEADER, ["Orhid_magazine", "Orhid_magazine_DIR", JAN, None]]})
    write_workbook(again / "payments_v2.xlsx", {"payments": [
        PAYMENT_HEADER, ["P1", "Orhid_magazine_DIR", OCT, 100, "RUB", "payment"],
        ["P9", "Orhid_magazine", OCT, 100, "RUB", "payment"]]})
    report = check_inbox(again, warehouse)

    assert found(report, "payments_v2.xlsx") == {("payments", 2): {"P2"}}
