"""Client references (rule L1): an unknown login names the known login it is probably a typo of."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from conftest import CLIENTS, PAYMENT_HEADER, write_workbook

from ledgerflow.pipeline import check_inbox, load_inbox

OCT = dt.date(2026, 10, 5)


def unknown_clients(inbox: Path, warehouse: Path) -> dict[int, str]:
    report = check_inbox(inbox, warehouse)
    return {int(p.row or 0): p.message for p in report.problems() if p.rule == "unknown_client"}


def test_a_mistyped_login_is_told_the_login_it_resembles(inbox: Path, warehouse: Path) -> None:
    write_workbook(inbox / "clients.xlsx", {"clients": CLIENTS})
    load_inbox(inbox, warehouse)  # Orhid_magazine, Orhid_magazine_DIR and acme are stored
    write_workbook(inbox / "payments.xlsx", {"payments": [
        PAYMENT_HEADER,
        ["P1", "Orhid_magazne", OCT, 10, "RUB", "payment"],  # a letter left out
        ["P2", "ORHID_MAGAZINE_DRI", OCT, 10, "RUB", "payment"],  # two letters swapped
        ["P3", "Sales_department", OCT, 10, "RUB", "payment"],  # like nobody
        ["P4", "acm", OCT, 10, "RUB", "payment"],  # too short to guess
    ]})

    found = unknown_clients(inbox, warehouse)

    assert set(found) == {2, 3, 4, 5}
    assert "Did you mean Orhid_magazine?" in found[2]
    assert "Did you mean Orhid_magazine_DIR?" in found[3]
    assert "Did you mean" not in found[4] and "check the spelling" in found[4]
    assert "Did you mean" not in found[5]


def test_a_login_of_the_same_batch_is_suggested_too(inbox: Path, warehouse: Path) -> None:
    write_workbook(inbox / "clients.xlsx", {"clients": CLIENTS})
    write_workbook(inbox / "payments.xlsx", {"payments": [
        PAYMENT_HEADER, ["P1", "Orhid_magazin_DIR", OCT, 10, "RUB", "payment"]]})

    found = unknown_clients(inbox, warehouse)

    assert list(found) == [2]
    assert "Did you mean Orhid_magazine_DIR?" in found[2]
