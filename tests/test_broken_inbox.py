"""The committed broken inbox: every finding it is written to trigger is reported, by rule and
row, and nothing else; every bad-file class refused with its message, nothing loaded."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import openpyxl
from broken_inbox import FOLDER as BROKEN
from broken_inbox import FindingAt, expected_findings
from click.testing import CliRunner

from ledgerflow.cli import main
from ledgerflow.errors import Problem
from ledgerflow.pipeline import check_inbox, load_inbox


def test_validate_reports_every_expected_finding_and_nothing_else(tmp_path: Path) -> None:
    """Every finding tests/broken_inbox.py expects of every file, sheet and row (rule, row,
    column, severity) is what `ledgerflow validate` reports, once, and it reports nothing else:
    a rule that stops firing (P2 disabled, say) or fires on a good row fails here."""
    result = CliRunner().invoke(main, ["validate", str(BROKEN), "--json",
                                       "--warehouse", str(tmp_path / "absent.duckdb")])

    assert result.exit_code == 1, result.output
    problems = json.loads(result.stdout)["problems"]
    reported = [(p["file"], p["sheet"], p["row"], p["rule"], p["column"], p["severity"])
                for p in problems]
    assert set(reported) == expected_findings()
    assert len(reported) == len(set(reported))
    assert not (tmp_path / "absent.duckdb").exists()


def test_every_bad_file_is_refused_with_what_it_really_is(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    report = load_inbox(BROKEN, warehouse)

    file_level = {p.file: (p.rule, p.message) for p in report.problems()
                  if p.sheet is None and p.severity == "error"}
    assert file_level["bank_statement.xls"][0] == "file_html"
    assert "web page (HTML)" in file_level["bank_statement.xls"][1]
    assert file_level["expenses_export.xlsx"][0] == "file_renamed_csv"
    assert "rename it to .csv" in file_level["expenses_export.xlsx"][1]
    assert file_level["payments_empty.xlsx"][0] == "file_empty"
    assert file_level["clients_truncated.xlsx"][0] == "file_corrupt"
    assert "damaged or incomplete" in file_level["clients_truncated.xlsx"][1]
    assert "~$clients.xlsx" not in {o.file.name for o in report.outcomes}  # lock file skipped
    assert report.exit_code == 1

    statuses = {o.file.name: o.status for o in report.outcomes}
    assert statuses["valid_base.xlsx"] == "loaded"
    for name in ("broken_clients.xlsx", "broken_transactions.xlsx", "broken_links.xlsx"):
        assert statuses[name] == "refused"
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        sources = connection.execute(
            "SELECT DISTINCT source_file FROM clients UNION SELECT DISTINCT source_file "
            "FROM payments UNION SELECT DISTINCT source_file FROM expenses").fetchall()
    assert {s for (s,) in sources} <= {"valid_base.xlsx", "broken_hierarchy.xlsx"}


def test_row_errors_name_row_column_value_and_rule(tmp_path: Path) -> None:
    report = check_inbox(BROKEN, tmp_path / "absent.duckdb")

    found = {(p.file, p.sheet, p.row, p.column, p.value, p.rule) for p in report.problems()}
    assert ("broken_transactions.xlsx", "payments", 4, "amount", "12,345",
            "money_ambiguous") in found
    assert ("broken_transactions.xlsx", "payments", 7, "date", "31.02.2026",
            "date_format") in found
    assert ("broken_transactions.xlsx", "payments", 8, "date", "04/03/26",
            "date_ambiguous") in found
    assert ("broken_clients.xlsx", "Клиенты", 6, "валюта", "RUR", "currency_code") in found
    assert ("broken_clients.xlsx", "Клиенты", 7, "страна", "RUS", "country_code") in found
    assert ("broken_transactions.xlsx", "expenses", 3, "client_id", "Ghost_client",
            "unknown_client") in found
    assert not (tmp_path / "absent.duckdb").exists()  # validation writes nothing


HIERARCHY = "broken_hierarchy.xlsx"  # one finding of each rule L3-L7 and P2


def _hierarchy_findings(problems: list[Problem]) -> set[FindingAt]:
    return {(p.file, p.sheet, p.row, p.rule, p.column, p.severity) for p in problems
            if p.file == HIERARCHY}


def test_hierarchy_file_findings_are_exactly_l3_to_l7_and_p2(tmp_path: Path) -> None:
    """Each hierarchy rule's finding, by row and column, as `load` reports it (`validate`'s are
    checked above), with its message: dropping any rule fails here (issue 15)."""
    # P2's case is an open-ended link: Zeta -> Zeta_SHOP from 01.01.2026 with no unlinked_on
    book = openpyxl.load_workbook(BROKEN / "valid_base.xlsx", read_only=True)
    links = list(book["links"].iter_rows(values_only=True))
    book.close()
    [zeta] = [row for row in links if row[:2] == ("Zeta", "Zeta_SHOP")]
    assert zeta[3] is None

    report = load_inbox(BROKEN, tmp_path / "w.duckdb")
    problems = report.problems()
    expected = {f for f in expected_findings() if f[0] == HIERARCHY}
    assert {f[3] for f in expected} == {"L3", "L4", "L5", "L6", "L7", "P2"}
    assert _hierarchy_findings(problems) == expected
    by_rule = {p.rule: p.message for p in problems if p.file == HIERARCHY}
    assert "Gamma2_X" in by_rule["L3"] and "Gamma" in by_rule["L3"]
    assert "Delta_A" in by_rule["L4"] and "Delta" in by_rule["L4"]
    assert "7803000057" in by_rule["L5"] and "7803000040" in by_rule["L5"]
    assert "Tau_branch" in by_rule["L6"] and "Sigma" in by_rule["L6"]
    assert "Kappa_closed is closed" in by_rule["L7"]
    assert "Zeta_SHOP is a related account of Zeta" in by_rule["P2"]
    statuses = {o.file.name: o.status for o in report.outcomes}
    assert statuses[HIERARCHY] == "refused"
