"""`ledgerflow diff` and the monthly run's word on what it rendered again: after a late payment,
exactly that payment and the balance it moved (Solo: 300.00 - 112.00 = 188.00, + 50.50 =
238.50), by report folders and by run ids; two periods compared from the warehouse."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from audit_books import invoke, pipeline, write_inbox, write_late_payment


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """October run once, kept aside as `first`, then run again after a late payment: the
    folder and the two runs' summaries."""
    folder = tmp_path_factory.mktemp("runs")
    write_inbox(folder / "inbox")
    config = pipeline(folder, outputs="html, xlsx")
    code, first = invoke("run", str(config))
    assert code == 0, first
    shutil.copytree(folder / "reports" / "2026-10", folder / "first")
    write_late_payment(folder / "inbox")
    code, second = invoke("run", str(config))
    assert code == 0, second
    return folder, first, second


def diff(folder: Path, before: str, after: str) -> tuple[int, dict[str, object]]:
    code, output = invoke("diff", before, after, "--warehouse", str(folder / "ledger.duckdb"),
                          "--reports", str(folder / "reports"), "--json")
    assert code in (0, 1), output
    found: dict[str, object] = json.loads(output)
    return code, found


LATE = {"payer": "Solo", "currency": "RUB", "opening_before": "0.00", "opening_after": "0.00",
        "closing_before": "188.00", "closing_after": "238.50", "balance_change": "50.50",
        "lines": [{"status": "added", "kind": "payment", "line_id": "P-LATE",
                   "date": "2026-10-25", "account": "Solo",
                   "source": "payments_late.xlsx / payments / row 2",
                   "source_file": "payments_late.xlsx", "amount_before": None,
                   "amount_after": "50.50", "fields": []}],
        "new_inputs": ["payments_late.xlsx"]}


def test_the_monthly_run_names_what_it_rendered_again_and_why(
        two_runs: tuple[Path, str, str]) -> None:
    _folder, first, second = two_runs
    assert "rendered Shop, Solo: no earlier run of the period recorded" in first
    assert "1 statements rendered, 1 unchanged since the last run" in second
    assert "rendered Solo: payments_late.xlsx: 1 line added" in second
    assert "rendered Shop" not in second


def test_diff_of_two_report_folders_after_a_late_payment(two_runs: tuple[Path, str, str]
                                                         ) -> None:
    folder, _, _ = two_runs
    code, found = diff(folder, str(folder / "first"), str(folder / "reports" / "2026-10"))
    assert code == 1
    assert found["payers"] == [LATE]


def test_diff_of_two_runs_by_their_ids(two_runs: tuple[Path, str, str]) -> None:
    folder, _, _ = two_runs
    ids = [json.loads((place / "manifest.json").read_text("utf-8"))["run_id"]
           for place in (folder / "first", folder / "reports" / "2026-10")]
    code, found = diff(folder, ids[0][:10], ids[1])
    assert code == 1 and (found["before"], found["after"]) == tuple(ids)
    assert found["payers"] == [LATE]
    code, output = invoke("diff", ids[1], ids[1], "--reports", str(folder / "reports"))
    assert code == 0 and output.rstrip().endswith("no difference")
    code, output = invoke("diff", ids[1], ids[0], "--reports", str(folder / "reports"))
    assert code == 1
    assert "Solo (RUB): closing 238.50 → 188.00 (-50.50)" in output
    assert ("  removed  payment P-LATE 2026-10-25 Solo 50.50  payments_late.xlsx / payments / "
            "row 2") in output


def test_diff_of_two_periods_from_the_warehouse(two_runs: tuple[Path, str, str]) -> None:
    folder, _, _ = two_runs
    code, found = diff(folder, "2026-09", "2026-10")
    assert code == 1
    payers = {p["payer"]: p for p in found["payers"]}  # type: ignore[union-attr]
    assert set(payers) == {"Shop", "Solo"}
    solo = payers["Solo"]
    assert (solo["closing_before"], solo["closing_after"]) == (None, "238.50")
    assert [(line["status"], line["line_id"]) for line in solo["lines"]] == [
        ("added", "P-2"), ("added", "E-2"), ("added", "P-LATE")]


def test_diff_of_something_unknown_is_a_usage_error(two_runs: tuple[Path, str, str]) -> None:
    folder, _, _ = two_runs
    code, output = invoke("diff", "nonesuch", "2026-10", "--reports", str(folder / "reports"))
    assert code == 2 and f"nonesuch is no report folder, period or run of " \
        f"{folder / 'reports'}" in output
