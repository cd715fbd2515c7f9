"""The command line: exit codes, summaries, JSON, the rejects workbook, help on every command."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import CLIENTS, PAYMENT_HEADER, write_workbook

from ledgerflow.cli import main

OCT = dt.date(2026, 10, 5)


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_has_help(command: str) -> None:
    code, output = invoke(command, "--help")
    assert code == 0
    assert main.commands[command].help, f"{command} has no help text"
    assert "Usage:" in output


def test_validate_clean_inbox_exits_0_and_writes_nothing(inbox: Path, warehouse: Path) -> None:
    write_workbook(inbox / "clients.xlsx", {"clients": CLIENTS})

    code, output = invoke("validate", str(inbox), "--warehouse", str(warehouse))

    assert code == 0, output
    assert "clients.xlsx: valid; 3 would load\n" in output
    assert "1 file, 0 errors." in output
    assert not warehouse.exists()


def test_the_summary_of_a_refused_file_agrees_with_its_errors(inbox: Path,
                                                             warehouse: Path) -> None:
    write_workbook(inbox / "clients.xlsx", {"clients": CLIENTS})
    write_workbook(inbox / "payments.xlsx", {"payments": [
        PAYMENT_HEADER, *[[f"P{i}", "acme", OCT, 10, "USD", "payment"] for i in range(6)],
        ["P9", "acme", OCT, "abc", "USD", "payment"]]})
    write_workbook(inbox / "expenses.xlsx", {"expenses": [["expense_id", "client_id"],
                                                          ["E1", "acme"]]})

    code, output = invoke("validate", str(inbox), "--warehouse", str(warehouse))

    assert code == 1
    lines = output.splitlines()
    # the whole file is refused for one bad row: none of its seven rows loads
    assert "payments.xlsx: refused; none of its 7 rows would load, 1 with errors" in lines
    # its only table lacks required columns: refused, not "nothing"
    assert "expenses.xlsx: refused; nothing of it would load (see its errors)" in lines
    assert "3 files, 4 errors." in lines  # three missing columns and one amount


def test_load_json_summary_and_rejects_workbook(inbox: Path, warehouse: Path,
                                                tmp_path: Path) -> None:
    write_workbook(inbox / "clients.xlsx", {"clients": CLIENTS})
    write_workbook(inbox / "payments.xlsx", {"payments": [
        PAYMENT_HEADER, ["P1", "acme", OCT, 10, "USD", "payment"],
        ["P2", "=HYPERLINK(\"http://x\")", OCT, "abc", "USD", "payment"]]})
    (inbox / "notes.xlsx").write_text("a,b\n1,2\n")
    rejects = tmp_path / "rejects.xlsx"

    code, output = invoke("load", str(inbox), "--warehouse", str(warehouse), "--json",
                          "--rejects", str(rejects))

    assert code == 1
    summary = json.loads(output)
    files = {f["file"]: (f["status"], f["accepted"], f["refused"]) for f in summary["files"]}
    assert files == {"clients.xlsx": ("loaded", 3, 0), "notes.xlsx": ("refused", 0, 0),
                     "payments.xlsx": ("refused", 0, 1)}
    rules = sorted(p["rule"] for p in summary["problems"] if p["severity"] == "error")
    assert rules == ["file_renamed_csv", "id_format", "money_format", "unknown_client"]

    book = openpyxl.load_workbook(rejects)
    assert book.sheetnames == ["payments", "problems"]
    sheet = book["payments"]
    header = [c.value for c in sheet[1]]
    assert header[:6] == PAYMENT_HEADER
    assert header[6:] == ["ledgerflow: source", "ledgerflow: errors"]
    row = [c.value for c in sheet[2]]
    assert row[0] == "P2" and row[3] == "abc"
    assert sheet["B2"].data_type == "s"  # a formula-looking client ID stays inert text
    assert row[6] == "payments.xlsx / payments / row 3"
    assert "amount:" in row[7] and "client_id:" in row[7]


def test_rejects_workbook_loads_back_after_fixing(inbox: Path, warehouse: Path,
                                                  tmp_path: Path) -> None:
    write_workbook(inbox / "clients.xlsx", {"clients": CLIENTS})
    write_workbook(inbox / "payments.xlsx", {"payments": [
        PAYMENT_HEADER, ["P1", "acme", OCT, 10, "USD", "payment"],
        ["P2", "acme", OCT, "abc", "USD", "payment"]]})
    rejects = tmp_path / "rejects.xlsx"
    invoke("load", str(inbox), "--warehouse", str(warehouse), "--partial", "--rejects",
           str(rejects))
    book = openpyxl.load_workbook(rejects)
    book["payments"]["D2"] = 12.5
    second = tmp_path / "inbox2"
    second.mkdir()
    book.save(second / "payments_fixed.xlsx")

    code, output = invoke("load", str(second), "--warehouse", str(warehouse))

    assert code == 0, output
    assert "payments_fixed.xlsx: loaded; 1 loaded" in output


def test_usage_error_exits_2(tmp_path: Path) -> None:
    code, _ = invoke("load", str(tmp_path / "missing"))
    assert code == 2


def test_sample_command_writes_an_inbox_that_loads_cleanly(tmp_path: Path) -> None:
    code, output = invoke("sample", str(tmp_path / "sample"))
    assert code == 0, output

    code, output = invoke("load", str(tmp_path / "sample"), "--warehouse",
                          str(tmp_path / "w.duckdb"))

    assert code == 0, output
    assert "0 errors" in output


def test_locked_warehouse_exits_3_with_a_clear_message(inbox: Path, warehouse: Path) -> None:
    import duckdb

    write_workbook(inbox / "clients.xlsx", {"clients": CLIENTS})
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); "
         "print('locked', flush=True); sys.stdin.read()", str(warehouse)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        result = CliRunner().invoke(main, ["load", str(inbox), "--warehouse", str(warehouse)])
    finally:
        holder.communicate("")
    assert result.exit_code == 3
    assert "in use by another ledgerflow run; nothing was changed" in result.output
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        assert connection.execute("SELECT count(*) FROM information_schema.tables").fetchall() \
            == [(0,)]


def test_wait_loads_once_the_other_run_releases_the_warehouse(inbox: Path,
                                                              warehouse: Path) -> None:
    import duckdb

    write_workbook(inbox / "clients.xlsx", {"clients": CLIENTS})
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
         "print('locked', flush=True); time.sleep(1.5); c.close()", str(warehouse)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        result = CliRunner().invoke(main, ["load", str(inbox), "--warehouse", str(warehouse),
                                           "--wait", "120"])
    finally:
        holder.wait()
    assert result.exit_code == 0, result.output
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        assert connection.execute("SELECT count(*) FROM clients").fetchall() == [(3,)]
    assert "LEDGERFLOW_LOCK_WAIT" not in os.environ


def test_wait_gives_up_after_its_seconds_with_the_lock_message(
        inbox: Path, warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_workbook(inbox / "clients.xlsx", {"clients": CLIENTS})
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); "
         "print('locked', flush=True); sys.stdin.read()", str(warehouse)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    monkeypatch.setenv("LEDGERFLOW_LOCK_WAIT", "0.5")
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        by_setting = CliRunner().invoke(main, ["load", str(inbox), "--warehouse",
                                               str(warehouse)])
        by_option = CliRunner().invoke(main, ["load", str(inbox), "--warehouse",
                                              str(warehouse), "--wait", "0.3"])
        in_russian = CliRunner().invoke(main, ["load", str(inbox), "--warehouse",
                                               str(warehouse), "--wait", "0.3", "--locale", "ru"])
        monkeypatch.setenv("LEDGERFLOW_LOCK_WAIT", "soon")
        unreadable = CliRunner().invoke(main, ["load", str(inbox), "--warehouse",
                                               str(warehouse)])
    finally:
        holder.communicate("")
    assert by_setting.exit_code == 3
    assert "in use by another ledgerflow run (waited 0.5 s)" in by_setting.output
    assert by_option.exit_code == 3
    assert "(waited 0.3 s)" in by_option.output
    assert in_russian.exit_code == 3
    assert "занято другим запуском ledgerflow (ожидание 0.3 с); ничего не изменено" \
        in in_russian.output
    assert os.environ["LEDGERFLOW_LOCK_WAIT"] == "soon"
    assert unreadable.exit_code == 2
    assert "LEDGERFLOW_LOCK_WAIT='soon' is not a number of seconds" in unreadable.output


def test_an_empty_inbox_is_a_warning_with_exit_code_4(tmp_path: Path) -> None:
    empty = tmp_path / "inbox"
    empty.mkdir()

    result = CliRunner().invoke(main, ["load", str(empty), "--warehouse",
                                       str(tmp_path / "w.duckdb")])

    assert result.exit_code == 4
    assert f"Warning: the inbox {empty} holds no file (exit code 4)." in result.output


def test_run_with_an_unwritable_reports_folder_stops_before_loading(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_workbook(inbox / "clients.xlsx", {"clients": CLIENTS})
    (tmp_path / "notes.txt").write_text("a file, not a folder")
    pipeline = tmp_path / "monthly.toml"
    pipeline.write_text(f'inbox = "{inbox}"\nwarehouse = "{tmp_path / "w.duckdb"}"\n'
                        f'reports = "{tmp_path / "notes.txt" / "reports"}"\n', encoding="utf-8")

    result = CliRunner().invoke(main, ["run", str(pipeline), "--period", "2026-10"])

    assert result.exit_code == 2, result.output
    assert "reports" in result.output and "unexpected error" not in result.output
    assert not (tmp_path / "w.duckdb").exists()  # nothing was loaded


def test_run_names_the_rejects_workbook(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_workbook(inbox / "clients.xlsx", {"clients": CLIENTS})
    write_workbook(inbox / "payments.xlsx", {"payments": [
        PAYMENT_HEADER, ["P1", "acme", OCT, "abc", "USD", "payment"]]})
    pipeline = tmp_path / "monthly.toml"
    pipeline.write_text(f'inbox = "{inbox}"\nwarehouse = "{tmp_path / "w.duckdb"}"\n'
                        f'reports = "{tmp_path / "reports"}"\n', encoding="utf-8")

    result = CliRunner().invoke(main, ["run", str(pipeline), "--period", "2026-10"])

    assert result.exit_code == 1, result.output
    rejects = tmp_path / "reports" / "2026-10" / "rejects.xlsx"
    assert f"Refused rows and every problem: {rejects}" in result.output
    assert rejects.exists()
    assert "payments.xlsx: refused, 1 row refused" in result.output


def test_period_options_take_dates_as_the_inputs_write_them(inbox: Path,
                                                            warehouse: Path) -> None:
    write_workbook(inbox / "clients.xlsx", {"clients": CLIENTS})
    write_workbook(inbox / "payments.xlsx", {"payments": [
        PAYMENT_HEADER, ["P1", "acme", OCT, 10, "USD", "payment"]]})
    assert invoke("load", str(inbox), "--warehouse", str(warehouse))[0] == 0

    balances = [invoke("balances", *period, "--warehouse", str(warehouse), "--json")
                for period in (["--period", "2026-10"], ["--period", "10.2026"],
                               ["--from", "01.10.2026", "--to", "31.10.2026"],
                               ["--from", "2026-10-01", "--to", "2026-10-31"])]

    assert [code for code, _ in balances] == [0, 0, 0, 0]
    acme = [next(r for r in json.loads(out) if r["payer"] == "acme") for _, out in balances]
    assert all(record == acme[0] for record in acme)
    code, output = invoke("balances", "--from", "31.02.2026", "--to", "31.03.2026",
                          "--warehouse", str(warehouse))
    assert code == 2
    assert "'31.02.2026' is not a real date: February 2026 has 28 days." in output


def test_commands_find_the_pipelines_warehouse(inbox: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "pipelines"
    folder.mkdir()
    pipeline = folder / "monthly.toml"
    pipeline.write_text(f'inbox = "{inbox}"\nwarehouse = "../books/ledger.duckdb"\n'
                        'reports = "../reports"\n', encoding="utf-8")
    (tmp_path / "books").mkdir()
    stored = tmp_path / "books" / "ledger.duckdb"
    write_workbook(inbox / "clients.xlsx", {"clients": CLIENTS})
    monkeypatch.chdir(tmp_path)  # no ledger.duckdb here

    assert invoke("load", str(inbox), "--pipeline", str(pipeline))[0] == 0
    assert stored.exists() and not (tmp_path / "ledger.duckdb").exists()

    code, output = invoke("loads", "--pipeline", str(pipeline), "--json")
    assert code == 0 and json.loads(output)[0]["file"] == "clients.xlsx"
    monkeypatch.setenv("LEDGERFLOW_PIPELINE", str(pipeline))
    code, output = invoke("loads", "--json")
    assert code == 0 and json.loads(output)[0]["file"] == "clients.xlsx"
    # an explicit --warehouse wins over the pipeline's
    code, output = invoke("loads", "--warehouse", str(tmp_path / "other.duckdb"))
    assert code == 2 and "There is no warehouse at" in output
    code, output = invoke("loads", "--pipeline", str(folder / "missing.toml"))
    assert code == 2 and "No pipeline file at" in output


def test_a_clean_run_removes_the_rejects_workbook_of_an_earlier_one(inbox: Path,
                                                                     warehouse: Path,
                                                                     tmp_path: Path) -> None:
    rejects = tmp_path / "rejects.xlsx"
    write_workbook(inbox / "clients.xlsx", {"clients": [*CLIENTS, ["bad id!", "X", "legal",
                                                                  "7707083893", "RUB", 0]]})
    assert invoke("validate", str(inbox), "--warehouse", str(warehouse),
                  "--rejects", str(rejects))[0] == 1
    assert rejects.is_file()
    write_workbook(inbox / "clients.xlsx", {"clients": CLIENTS})  # fixed

    code, output = invoke("validate", str(inbox), "--warehouse", str(warehouse),
                          "--rejects", str(rejects))

    assert code == 0
    assert not rejects.exists()
    assert f"the earlier rejects workbook {rejects} was removed" in output
