"""The monthly run and the report command: files, numbers, determinism, exit codes."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import CLIENT_HEADER, EXPENSE_HEADER, PAYMENT_HEADER, write_workbook

from ledgerflow.cli import main

SAMPLE = Path(__file__).parent.parent / "sample_data"


def pipeline_file(folder: Path, inbox: Path, **extra: str) -> Path:
    lines = [f'inbox = "{inbox}"', f'warehouse = "{folder / "ledger.duckdb"}"',
             f'reports = "{folder / "reports"}"']
    lines += [f'{key} = "{value}"' for key, value in extra.items()]
    path = folder / "monthly.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, str]:
    folder = tmp_path_factory.mktemp("run")
    inbox = folder / "inbox"
    shutil.copytree(SAMPLE, inbox)
    code, output = invoke("run", str(pipeline_file(folder, inbox)), "--period", "2026-10")
    return folder, code, output


@pytest.fixture
def own_run(sample_run: tuple[Path, int, str], tmp_path: Path) -> Path:
    """A copy of the module's run folder for a test that runs again or changes files, so the
    shared folder stays as the first run left it whatever order the tests run in. copytree
    keeps the files' modification times, which the render cache trusts."""
    folder, code, output = sample_run
    assert code == 0, output
    copy = tmp_path / "run"
    shutil.copytree(folder, copy)
    pipeline_file(copy, copy / "inbox")
    return copy


def test_monthly_run_writes_statements_index_and_manifest(sample_run: tuple[Path, int, str]
                                                          ) -> None:
    folder, code, output = sample_run
    assert code == 0, output
    period = folder / "reports" / "2026-10"
    assert "6 files loaded" in output
    assert f"in {period}" in output
    assert "27 statements rendered, 0 unchanged" in output
    manifest = json.loads((period / "manifest.json").read_text("utf-8"))
    assert manifest["period"] == {"label": "2026-10", "start": "2026-10-01",
                                  "end": "2026-10-31"}
    inputs = {i["file"]: i for i in manifest["inputs"]}
    assert set(inputs) == {p.name for p in SAMPLE.iterdir()}
    for name, entry in inputs.items():
        assert entry["sha256"] == hashlib.sha256((SAMPLE / name).read_bytes()).hexdigest()
        assert entry["status"] == "completed" and entry["rows_refused"] == 0
    for output_entry in manifest["outputs"]:
        data = (period / output_entry["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == output_entry["sha256"]
    statements = {p.name for p in (period / "statements").iterdir()}
    assert {"Orhid_magazine.html", "Orhid_magazine.xlsx"} <= statements
    assert len(statements) == 2 * manifest["statements"]
    assert not (period / "rejects.xlsx").exists()


def test_statement_numbers_match_the_balances(sample_run: tuple[Path, int, str]) -> None:
    folder, _, _ = sample_run
    code, output = invoke("balances", "--period", "2026-10", "--warehouse",
                          str(folder / "ledger.duckdb"), "--json")
    assert code == 0
    orhid = next(r for r in json.loads(output) if r["payer"] == "Orhid_magazine")
    book = openpyxl.load_workbook(folder / "reports/2026-10/statements/Orhid_magazine.xlsx",
                                  data_only=True)
    values = [cell for row in book.worksheets[1].iter_rows(values_only=True) for cell in row
              if isinstance(cell, float | int)]
    assert float(orhid["closing"]) in values
    html = (folder / "reports/2026-10/statements/Orhid_magazine.html").read_text("utf-8")
    assert 'data-field="closing"' in html
    assert "expenses_2026-10.xlsx" in html  # lines name their source
    assert html.count('<tr class="line ') == 12  # the group's October expenses
    index = (folder / "reports/2026-10/index.html").read_text("utf-8")
    row = index[index.index('data-payer="Orhid_magazine"'):]
    row = row[:row.index("</tr>")]
    assert 'data-field="lines_count" data-value="12">12<' in row


def test_report_is_byte_for_byte_reproducible(sample_run: tuple[Path, int, str],
                                               tmp_path: Path) -> None:
    folder, _, _ = sample_run
    first, second = tmp_path / "a", tmp_path / "b"
    for out in (first, second):
        code, output = invoke("report", "--period", "2026-10", "--warehouse",
                              str(folder / "ledger.duckdb"), "--out", str(out))
        assert code == 0, output
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert len(files) > 10
    for name in files:
        if name.name in ("manifest.json", ".render-cache.json"):
            continue  # hold the run's wall-clock time, the files' modification times
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    # and the run's own statements equal a fresh rendering with the same settings
    run_statement = folder / "reports/2026-10/statements/Orhid_magazine.html"
    assert (first / "2026-10/statements/Orhid_magazine.html").read_bytes() == \
        run_statement.read_bytes()


def test_rerun_leaves_unchanged_files_alone(own_run: Path) -> None:
    folder = own_run
    period = folder / "reports/2026-10"

    def identities() -> dict[str, tuple[int, int, int]]:
        # a file rewritten with the same bytes gets a new inode or change time, even when the
        # clock has not moved; the manifest and the render cache record the run itself
        return {str(p.relative_to(period)): (p.stat().st_ino, p.stat().st_mtime_ns,
                                             p.stat().st_ctime_ns)
                for p in period.rglob("*") if p.is_file()
                and p.name not in ("manifest.json", ".render-cache.json")}

    before = identities()
    assert "statements/Orhid_magazine.xlsx" in before

    code, output = invoke("run", str(folder / "monthly.toml"), "--period", "2026-10")

    assert code == 0, output
    assert "6 files skipped" in output
    assert "0 statements rendered, 27 unchanged since the last run" in output
    assert "(0 changed)" in output
    after = identities()
    assert [name for name in before if after.get(name) != before[name]] == []
    assert set(after) == set(before)


def test_a_damaged_statement_is_rendered_again(own_run: Path) -> None:
    folder = own_run
    statement = folder / "reports/2026-10/statements/Orhid_magazine.html"
    good = statement.read_bytes()
    statement.write_bytes(good.replace(b"Orhid", b"Orchid"))

    code, output = invoke("run", str(folder / "monthly.toml"), "--period", "2026-10")

    assert code == 0, output
    assert "1 statements rendered, 26 unchanged" in output
    assert statement.read_bytes() == good


def test_refused_input_exits_1_and_writes_rejects(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    hostile = '=HYPERLINK("http://evil.example","click")'
    write_workbook(inbox / "book.xlsx", {
        "clients": [CLIENT_HEADER, ["evil", hostile, "individual", None, "RUB", 0]],
        "payments": [PAYMENT_HEADER, ["P1", "evil", dt.date(2026, 10, 1), 100, "RUB",
                                      "payment"]],
        "expenses": [[*EXPENSE_HEADER, "description"],
                     ["E1", "evil", dt.date(2026, 10, 2), 30, "RUB", "sms",
                      "<script>alert(1)</script>"]],
    })
    write_workbook(inbox / "bad.xlsx", {"payments": [
        PAYMENT_HEADER, ["P9", "evil", "31.02.2026", 5, "RUB", "payment"]]})

    code, output = invoke("run", str(pipeline_file(tmp_path, inbox)), "--period", "2026-10")

    assert code == 1, output
    period = tmp_path / "reports/2026-10"
    assert (period / "rejects.xlsx").exists()
    html = (period / "statements/evil.html").read_text("utf-8")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    book = openpyxl.load_workbook(period / "statements/evil.xlsx")
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row
             if c.value == hostile]
    assert cells and all(c.data_type == "s" for c in cells)
    assert not any(isinstance(c.value, str) and c.value.startswith("=HYPERLINK") and
                   c.data_type == "f" for sheet in book.worksheets
                   for row in sheet.iter_rows() for c in row)


def test_configuration_errors_exit_2(tmp_path: Path) -> None:
    (tmp_path / "inbox").mkdir()
    bad = tmp_path / "bad.toml"
    bad.write_text('inbox = "inbox"\nwarehouse = "w.duckdb"\nreports = "r"\nlocale = "de"\n')
    code, output = invoke("run", str(bad))
    assert code == 2
    assert "locale must be one of ru, en" in output
    code, output = invoke("run", str(tmp_path / "missing.toml"))
    assert code == 2
    assert "No pipeline file" in output


def test_a_new_file_rerenders_only_the_statements_it_touches(own_run: Path) -> None:
    folder = own_run
    statements = folder / "reports/2026-10/statements"
    before = {p.name: p.read_bytes() for p in statements.iterdir()}
    write_workbook(folder / "inbox" / "late_payment.xlsx", {"payments": [
        PAYMENT_HEADER, ["LATE-1", "fl_Lebedeva", dt.date(2026, 10, 30), 250, "RUB",
                         "payment"]]})

    code, output = invoke("run", str(folder / "monthly.toml"), "--period", "2026-10")

    assert code == 0, output
    assert "1 statements rendered, 26 unchanged" in output
    after = {p.name: p.read_bytes() for p in statements.iterdir()}
    changed = sorted(name for name in after if after[name] != before.get(name))
    assert changed == ["fl_Lebedeva.html", "fl_Lebedeva.xlsx"]
    assert b"LATE-1" in after["fl_Lebedeva.html"]
