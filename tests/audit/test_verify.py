"""`ledgerflow verify`: a report folder, and a lone PDF statement, checked against the
warehouse — a fresh report passes; a tampered byte, a statement made stale by a later load, a
removed file, an unexpected one and a swapped input file are each named."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from audit_books import (
    PAYMENTS,
    invoke,
    made_books,
    pipeline,
    write_inbox,
    write_late_payment,
)
from conftest import write_workbook

PERIOD = "reports/2026-10"


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return made_books(tmp_path_factory, "fresh", "html, xlsx, pdf")


@pytest.fixture
def books(fresh: Path, tmp_path: Path) -> Path:
    """A copy of the fresh run to change."""
    copy = tmp_path / "books"
    shutil.copytree(fresh, copy)
    return copy


def verify(books: Path, *target: str) -> tuple[int, str]:
    return invoke("verify", *(target or (str(books / PERIOD),)), "--warehouse",
                  str(books / "ledger.duckdb"), "--inbox", str(books / "inbox"))


def statuses(books: Path) -> dict[str, str]:
    """Each statement's and the index's status, and any other file's when it is not
    identical (the folder may hold more reports than these)."""
    code, output = invoke("verify", str(books / PERIOD), "--warehouse",
                          str(books / "ledger.duckdb"), "--inbox", str(books / "inbox"), "--json")
    report = json.loads(output)
    assert code == (0 if report["ok"] else 1)
    return {f["file"]: f["status"] for f in report["files"]
            if f["file"] in ALL or f["status"] != "identical"}


STATEMENTS = {f"statements/{payer}.{kind}" for payer in ("Shop", "Solo")
              for kind in ("html", "xlsx", "pdf")}
ALL = STATEMENTS | {"index.html", "index.xlsx"}


def test_verify_passes_on_a_fresh_report(fresh: Path) -> None:
    code, output = verify(fresh)
    assert code == 0, output
    assert re.search(r"^(\d+) files: \1 identical$", output, flags=re.MULTILINE)
    assert "5 inputs: 5 as loaded, 0 not" in output
    assert output.rstrip().endswith("verified: everything is identical")
    assert statuses(fresh) == dict.fromkeys(ALL, "identical")


def test_verify_names_a_tampered_byte_in_a_statement(books: Path) -> None:
    page = books / PERIOD / "statements" / "Shop.html"
    data = page.read_bytes()
    at = data.index(b"823,59")
    page.write_bytes(data[:at] + b"923,59" + data[at + 6:])
    code, output = verify(books)
    assert code == 1
    assert "tampered: statements/Shop.html — changed since written" in output
    assert statuses(books) == {**dict.fromkeys(ALL, "identical"),
                               "statements/Shop.html": "tampered"}


def test_verify_names_the_statement_a_later_load_made_stale(books: Path) -> None:
    late = write_late_payment(books / "inbox")
    code, output = invoke("load", str(books / "inbox"), "--warehouse",
                          str(books / "ledger.duckdb"))
    assert code == 0, output
    code, output = verify(books)
    assert code == 1
    assert f"loaded since the run: load 6: {late.name} (completed)" in output
    # Solo's statements and the index move; Shop's, untouched by the payment, do not
    assert statuses(books) == {
        **dict.fromkeys(ALL, "stale"),
        **{f"statements/Shop.{kind}": "identical" for kind in ("html", "xlsx", "pdf")}}
    assert "stale: statements/Solo.pdf — as written, but the warehouse has moved on" in output


def test_verify_names_a_removed_file_and_an_unexpected_one(books: Path) -> None:
    (books / PERIOD / "statements" / "Shop.pdf").unlink()
    (books / PERIOD / "statements" / "Extra.html").write_text("<p>not ours</p>")
    code, output = verify(books)
    assert code == 1
    assert "missing: statements/Shop.pdf — listed by the manifest, not in the folder" in output
    assert "unexpected: statements/Extra.html — not listed by the manifest" in output
    assert statuses(books) == {**dict.fromkeys(ALL, "identical"),
                               "statements/Shop.pdf": "missing",
                               "statements/Extra.html": "unexpected"}


def test_verify_names_a_swapped_input_file(books: Path) -> None:
    swapped = [row if row[0] != "P-2" else [*row[:3], 3000, *row[4:]] for row in PAYMENTS]
    write_workbook(books / "inbox" / "payments.xlsx", {"payments": swapped})
    code, output = verify(books)
    assert code == 1
    assert "input swapped: payments.xlsx (load 4) — the file in the inbox has SHA-256" in output
    assert "5 inputs: 4 as loaded, 1 not" in output
    assert statuses(books) == dict.fromkeys(ALL, "identical")  # the warehouse is unchanged


def test_verify_of_a_lone_pdf(books: Path, tmp_path: Path) -> None:
    lone = tmp_path / "lone" / "Solo.pdf"
    lone.parent.mkdir()
    shutil.copyfile(books / PERIOD / "statements" / "Solo.pdf", lone)
    code, output = verify(books, str(lone))
    assert code == 0, output
    assert "1 files: 1 identical" in output

    lone.write_bytes(lone.read_bytes() + b"\n% appended\n")
    code, output = verify(books, str(lone))
    assert code == 1
    assert (f"tampered: {lone} — changed since written: the warehouse holds the inputs it was "
            "printed from and gives other bytes; its attached lines are the warehouse's"
            ) in output

    shutil.copyfile(books / PERIOD / "statements" / "Solo.pdf", lone)
    write_late_payment(books / "inbox")
    assert invoke("load", str(books / "inbox"), "--warehouse",
                  str(books / "ledger.duckdb"))[0] == 0
    code, output = verify(books, str(lone))
    assert code == 1
    assert (f"stale: {lone} — printed from other inputs (the warehouse has moved on) or other "
            "settings; its attached lines differ from the warehouse's (1 lines differ)"
            ) in output
    # in its report folder, the manifest beside it says it was tampered with
    in_folder = books / PERIOD / "statements" / "Shop.pdf"
    in_folder.write_bytes(in_folder.read_bytes() + b"\n% appended\n")
    code, output = verify(books, str(in_folder))
    assert code == 1 and f"tampered: {in_folder} — changed since written" in output


def test_verify_of_a_folder_without_a_manifest_is_a_usage_error(fresh: Path) -> None:
    code, output = verify(fresh, str(fresh / "inbox"))
    assert code == 2
    assert f"{fresh / 'inbox'} is not a report folder of ledgerflow: it has no readable " \
        "manifest.json" in output


def test_verify_of_a_draft_run_says_what_the_warehouse_cannot_reproduce(tmp_path: Path
                                                                        ) -> None:
    """A run that refused a row of Solo's: both statements are drafts, Solo's marked as
    touched. The warehouse keeps no refused row, so only the statements whose banner it can
    tell again (Solo's: touched, as everyone's is from the warehouse alone) are identical."""
    write_inbox(tmp_path / "inbox")
    write_workbook(tmp_path / "inbox" / "payments_bad.xlsx", {"payments": [
        PAYMENTS[0], ["P-BAD", "Solo", PAYMENTS[1][2], "abc", "RUB", "payment"]]})
    code, output = invoke("run", str(pipeline(tmp_path, "html")))
    assert code == 1, output
    found = statuses(tmp_path)
    assert found == {"index.html": "not reproduced", "statements/Shop.html": "not reproduced",
                     "statements/Solo.html": "identical"}
    code, output = verify(tmp_path)
    assert code == 1
    assert ("not reproduced: statements/Shop.html — as written (its SHA-256 is the "
            "manifest's), but a draft") in output
