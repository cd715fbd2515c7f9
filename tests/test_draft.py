"""Statements never hide a refused input (issue 9): a run that refused anything writes draft
statements with a banner naming the refused files, or none at all (`on_refused = "stop"`); the
manifest and the exit code say so."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from conftest import CLIENT_HEADER, CLIENTS, EXPENSE_HEADER, PAYMENT_HEADER, Rows, write_workbook
from test_monthly import SAMPLE, invoke, pipeline_file

from ledgerflow.config import load_config
from ledgerflow.monthly import RunResult, run_pipeline
from ledgerflow.pipeline import NOTHING_NEW

BANNER_RU = "Черновик — часть входных данных отклонена"
CASH = "payments_cash.csv"
CASH_PAYERS = {"fl_Novikov", "fl_Sokolov", "ip_Kuznetsova", "ip_Morozova", "ip_Smirnov",
               "ip_Volkov"}  # and fl_Lebedeva, whose only line is a cash payment


def _sample(folder: Path) -> Path:
    inbox = folder / "inbox"
    shutil.copytree(SAMPLE, inbox)
    return inbox


def _break_cash(inbox: Path) -> bytes:
    """A date no calendar has in the cash payments (Windows-1251 CSV): the file is refused."""
    path = inbox / CASH
    good = path.read_bytes()
    path.write_bytes(good.replace(b"03.08.2026", b"31.02.2026", 1))
    return good


def _run(folder: Path, inbox: Path, **settings: Any) -> RunResult:
    config = dataclasses.replace(load_config(pipeline_file(folder, inbox)), **settings)
    return run_pipeline(config, "2026-10")


def _manifest(period: Path) -> dict[str, Any]:
    return dict(json.loads((period / "manifest.json").read_text("utf-8")))


def _summary_top(path: Path) -> str | None:
    value = openpyxl.load_workbook(path).worksheets[0]["A1"].value
    return value if isinstance(value, str) else None


def _drafts(period: Path) -> set[str]:
    """The payers whose HTML statement carries the banner."""
    return {p.stem for p in (period / "statements").glob("*.html")
            if 'data-section="draft"' in p.read_text("utf-8")}


def _touched(period: Path) -> set[str]:
    """The payers whose banner says refused rows name their accounts (or may)."""
    return {p.stem for p in (period / "statements").glob("*.html")
            if 'data-touches="true"' in p.read_text("utf-8")}


def _statements(period: Path) -> set[str]:
    return {p.stem for p in (period / "statements").glob("*.html")}


def test_a_refused_payments_file_makes_drafts_naming_the_statements_it_touches(
        tmp_path: Path) -> None:
    inbox = _sample(tmp_path)
    good = _break_cash(inbox)

    result = _run(tmp_path, inbox)

    period = tmp_path / "reports/2026-10"
    assert result.exit_code == 1
    assert result.rejects == period / "rejects.xlsx" and result.rejects.exists()
    # every statement is a draft (SPEC "Outputs"); those of the payers named in the refused
    # file, and only those, say that refused rows name their accounts
    # (fl_Lebedeva, whose only line is a cash payment, has no statement now)
    assert len(_statements(period)) == 26 and _drafts(period) == _statements(period)
    assert _touched(period) == CASH_PAYERS
    volkov = (period / "statements/ip_Volkov.html").read_text("utf-8")
    assert BANNER_RU in volkov and f'data-file="{CASH}"' in volkov
    assert "среди отклонённых есть (или могут быть) строки счетов этой выписки" in volkov
    assert 'href="../rejects.xlsx"' in volkov
    assert _summary_top(period / "statements/ip_Volkov.xlsx") == BANNER_RU
    orhid = (period / "statements/Orhid_magazine.html").read_text("utf-8")
    assert BANNER_RU in orhid and 'data-touches="false"' in orhid
    assert "ни одна отклонённая строка не относится к счетам этой выписки" in orhid
    assert _summary_top(period / "statements/Orhid_magazine.xlsx") == BANNER_RU
    spared = [c.value for c in openpyxl.load_workbook(
        period / "statements/Orhid_magazine.xlsx").worksheets[0]["A"]]
    assert any(isinstance(v, str) and v.startswith(f"{CASH}: ") and v.endswith(
        "ни одна отклонённая строка не относится к счетам этой выписки") for v in spared)
    # the index: the banner, and each draft statement marked
    index = (period / "index.html").read_text("utf-8")
    assert BANNER_RU in index and CASH in index and 'href="rejects.xlsx"' in index
    assert index.count('data-draft="true"') == len(CASH_PAYERS)
    sheet = openpyxl.load_workbook(period / "index.xlsx").active
    column_a = [row[0] for row in sheet.iter_rows(values_only=True)]
    assert column_a[1] == BANNER_RU
    assert any(isinstance(v, str) and v.startswith(f"{CASH}: не загружен") for v in column_a)
    # the manifest
    manifest = _manifest(period)
    assert manifest["complete"] is False
    assert manifest["refused"] == [{"file": CASH, "status": "refused", "rows_refused": 1}]
    assert manifest["rejects"] == "rejects.xlsx"
    assert len(manifest["draft_statements"]) == 2 * 26
    assert manifest["touched_statements"] == sorted(
        f"statements/{payer}.{ext}" for payer in CASH_PAYERS for ext in ("html", "xlsx"))

    # The accountant fixes the file: the drafts become final statements.
    (inbox / CASH).write_bytes(good)
    fixed = _run(tmp_path, inbox)

    assert fixed.exit_code == 0 and fixed.rejects is None
    assert _drafts(period) == set()
    assert BANNER_RU not in (period / "index.html").read_text("utf-8")
    assert _summary_top(period / "statements/ip_Volkov.xlsx") == "Выписка"
    assert not (period / "rejects.xlsx").exists()
    manifest = _manifest(period)
    assert manifest["complete"] is True and manifest["refused"] == []
    assert manifest["draft_statements"] == [] and manifest["rejects"] is None
    assert manifest["touched_statements"] == []


def test_the_banner_goes_when_the_refusal_does_even_with_no_new_line(tmp_path: Path) -> None:
    """Drafts are rendered again when only their banner changes: the bad file is taken out of
    the inbox, so no line of any statement changes."""
    inbox = _sample(tmp_path)
    write_workbook(inbox / "late.xlsx", {"payments": [
        PAYMENT_HEADER, ["LATE-1", "Orhid_magazine", "31.02.2026", 100, "RUB", "payment"]]})
    folder = pipeline_file(tmp_path, inbox).parent

    code, output = invoke("run", str(folder / "monthly.toml"), "--period", "2026-10")

    period = tmp_path / "reports/2026-10"
    assert code == 1, output
    assert _touched(period) == {"Orhid_magazine"}  # the row names the master only
    statement = period / "statements/Orhid_magazine.xlsx"
    assert _summary_top(statement) == BANNER_RU
    quiet = period / "statements/fl_Sokolov.html"
    assert 'data-touches="false"' in quiet.read_text("utf-8")

    (inbox / "late.xlsx").unlink()
    code, output = invoke("run", str(folder / "monthly.toml"), "--period", "2026-10")

    assert code == 0, output
    assert "27 statements rendered, 0 unchanged" in output
    assert _drafts(period) == set()
    assert _summary_top(statement) == "Выписка"
    assert "Черновик" not in quiet.read_text("utf-8")


def test_refused_links_make_drafts_of_the_groups(tmp_path: Path) -> None:
    """The links refused, related accounts stand as their own payers: their statements and
    their masters' are drafts; a payer outside any group is not."""
    inbox = _sample(tmp_path)
    (inbox / "links.xlsx").unlink()
    write_workbook(inbox / "links.xlsx", {"links": [
        ["master_id", "related_id", "linked_on"],
        ["Romashka", "Romashka_MSK", dt.date(2025, 9, 1)],
        ["Romashka", "Romashka_EKB", "12.13.2026"],  # no 13th month: the file is refused
        ["Orhid_magazine", "Orhid_magazine_DIR", dt.date(2025, 2, 1)],
    ]})

    result = _run(tmp_path, inbox)

    period = tmp_path / "reports/2026-10"
    assert result.exit_code == 1
    drafts = _touched(period)
    assert _drafts(period) == _statements(period)
    assert {"Romashka", "Romashka_EKB", "Romashka_MSK", "Orhid_magazine",
            "Orhid_magazine_DIR"} <= drafts
    assert {"fl_Sokolov", "Severstal_group", "Acme_KZ"}.isdisjoint(drafts)
    assert _manifest(period)["refused"] == [
        {"file": "links.xlsx", "status": "refused", "rows_refused": 1}]


def test_a_file_refused_before_its_rows_were_read_makes_every_statement_a_draft(
        tmp_path: Path) -> None:
    inbox = _sample(tmp_path)
    (inbox / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")

    code, output = invoke("run", str(pipeline_file(tmp_path, inbox)), "--period", "2026-10")

    period = tmp_path / "reports/2026-10"
    assert code == 1, output
    statements = {p.stem for p in (period / "statements").glob("*.html")}
    assert len(statements) == 27 and _touched(period) == statements
    manifest = _manifest(period)
    assert manifest["refused"] == [{"file": "broken.xlsx", "status": "refused",
                                    "rows_refused": 0}]
    assert len(manifest["touched_statements"]) == 2 * 27


OCT = dt.date(2026, 10, 5)
# A small book: the Orhid group (master and a related account) and acme on their own.
BOOK: dict[str, Rows] = {
    "clients": CLIENTS,
    "links": [["master_id", "related_id", "linked_on"],
              ["Orhid_magazine", "Orhid_magazine_DIR", dt.date(2026, 1, 1)]],
    "payments": [PAYMENT_HEADER, ["P1", "Orhid_magazine", OCT, 100, "RUB", "payment"],
                 ["P2", "acme", OCT, 10, "USD", "payment"]],
    "expenses": [EXPENSE_HEADER, ["E1", "Orhid_magazine_DIR", OCT, 30, "RUB", "sms"]],
}
TAXES = ["client_id", "rate_pct", "product_type", "valid_from"]


@pytest.mark.parametrize(("extra", "partial", "drafts"), [
    # loaded in part: only the refused row counts, and it names an account of the group
    ({"expenses": [EXPENSE_HEADER, ["E2", "Orhid_magazine_DIR", "31.02.2026", 5, "RUB", "sms"],
                   ["E3", "acme", OCT, 5, "USD", "sms"]]}, True, {"Orhid_magazine"}),
    # refused whole: every row of the file is missing
    ({"expenses": [EXPENSE_HEADER, ["E2", "Orhid_magazine_DIR", "31.02.2026", 5, "RUB", "sms"],
                   ["E3", "acme", OCT, 5, "USD", "sms"]]}, False, {"Orhid_magazine", "acme"}),
    # a default tax (no client) is everybody's
    ({"taxes": [TAXES, [None, 120, None, OCT]]}, False, {"Orhid_magazine", "acme"}),
    # a client nobody knows: a typing error could hide anyone's payment
    ({"payments": [PAYMENT_HEADER, ["P3", "Orhid_magazin", OCT, 5, "RUB", "payment"]]}, False,
     {"Orhid_magazine", "acme"}),
    # a new client refused with its payment: no statement lacks anything (the index says so)
    ({"clients": [CLIENT_HEADER, ["newbie", "New", "legal", "123", "RUB", 0]],
      "payments": [PAYMENT_HEADER, ["P3", "newbie", OCT, 5, "RUB", "payment"]]}, False, set()),
])
def test_which_statements_a_refusal_touches(tmp_path: Path, extra: dict[str, Rows],
                                            partial: bool, drafts: set[str]) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_workbook(inbox / "book.xlsx", BOOK)
    write_workbook(inbox / "extra.xlsx", extra)

    result = _run(tmp_path, inbox, partial=partial)

    period = tmp_path / "reports/2026-10"
    assert result.exit_code == 1
    assert {s.payer for s in result.report.statements} == {"Orhid_magazine", "acme"}
    assert _drafts(period) == {"Orhid_magazine", "acme"}
    assert _touched(period) == drafts
    assert {s.payer for s in result.report.statements if s.touched} == drafts
    assert 'data-section="draft"' in (period / "index.html").read_text("utf-8")
    status = "partial" if partial else "refused"
    assert [(r.file, r.status) for r in result.report.refused] == [("extra.xlsx", status)]


def test_on_refused_stop_writes_no_statements(tmp_path: Path) -> None:
    inbox = _sample(tmp_path)
    period = tmp_path / "reports/2026-10"
    assert _run(tmp_path, inbox).exit_code == 0  # last month's run, all accepted
    assert len(list((period / "statements").iterdir())) == 2 * 27
    _break_cash(inbox)
    write_workbook(inbox / "late.xlsx", {"payments": [
        PAYMENT_HEADER, ["LATE-1", "Orhid_magazine", dt.date(2026, 10, 30), 100, "RUB",
                         "payment"]]})

    result = _run(tmp_path, inbox, on_refused="stop")

    assert result.exit_code == 1
    assert result.report.stopped and result.report.statements == []
    # the earlier run's statements and index would pass for this run's: gone
    assert not (period / "statements").exists()
    assert not (period / "index.html").exists() and not (period / "index.xlsx").exists()
    assert result.rejects == period / "rejects.xlsx" and result.rejects.exists()
    manifest = _manifest(period)
    assert manifest["complete"] is False and manifest["on_refused"] == "stop"
    assert manifest["statements"] == 0 and manifest["draft_statements"] == []
    assert "No statements" in manifest["note"]
    assert [o["file"] for o in manifest["outputs"]] == ["rejects.xlsx"]
    assert manifest["refused"] == [{"file": CASH, "status": "refused", "rows_refused": 1}]


def test_exit_code_4_when_there_is_nothing_to_report(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "inbox").mkdir()
    code, output = invoke("run", str(pipeline_file(empty, empty / "inbox")), "--period",
                          "2026-10")
    assert code == NOTHING_NEW, output

    inbox = _sample(tmp_path)
    pipeline = str(pipeline_file(tmp_path, inbox))
    code, output = invoke("run", pipeline, "--period", "2026-10")
    assert code == 0, output
    # December: every file loaded already, and none of them has a December line
    code, output = invoke("run", pipeline, "--period", "2026-12")
    assert code == NOTHING_NEW, output
    # October again: no new file, but the period has its lines
    code, output = invoke("run", pipeline, "--period", "2026-10")
    assert code == 0, output


def test_report_after_a_draft_run_keeps_the_drafts_while_the_refusal_stands(
        tmp_path: Path) -> None:
    """`report` reads no inbox: rendering the same warehouse again (another locale, say) must
    not turn a draft into a final-looking statement, nor throw the rejects workbook away."""
    inbox = _sample(tmp_path)
    good = _break_cash(inbox)
    pipeline = pipeline_file(tmp_path, inbox)
    warehouse, reports = str(tmp_path / "ledger.duckdb"), str(tmp_path / "reports")
    period = tmp_path / "reports/2026-10"
    assert invoke("run", str(pipeline), "--period", "2026-10")[0] == 1

    code, output = invoke("report", "--period", "2026-10", "--warehouse", warehouse,
                          "--out", reports, "--locale", "en")

    assert code == 0, output
    assert _drafts(period) == _statements(period) == _touched(period)
    assert "Draft — some inputs were refused" in (period / "index.html").read_text("utf-8")
    assert (period / "rejects.xlsx").exists()
    manifest = _manifest(period)
    assert manifest["complete"] is False
    assert manifest["refused"] == [{"file": CASH, "status": "refused", "rows_refused": 1}]
    assert "rejects.xlsx" in [o["file"] for o in manifest["outputs"]]

    (inbox / CASH).write_bytes(good)
    assert invoke("run", str(pipeline), "--period", "2026-10")[0] == 0
    code, output = invoke("report", "--period", "2026-10", "--warehouse", warehouse,
                          "--out", reports, "--locale", "en")

    assert code == 0, output
    assert _drafts(period) == set() and not (period / "rejects.xlsx").exists()
    assert _manifest(period)["complete"] is None
