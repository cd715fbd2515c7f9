"""The broken inbox (tests/data/broken_inbox/): small files that each exercise an error path of
reading and validation, and what `ledgerflow validate` must report on them.

Each row, sheet and file carries what it should trigger twice: in words, for the folder's
README.md, and as the findings (rule, column, severity) that validation reports, which
`test_broken_inbox.py` compares with every finding of a real `ledgerflow validate`. The files are
the same on every run (fixed document properties, in-memory zip with fixed timestamps); after a
change here, write them again and commit them:

    .venv/bin/python tests/broken_inbox.py
"""

from __future__ import annotations

import random
import sys
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import NamedTuple

from ledgerflow.sample import (
    SAMPLE_SEED,
    CellValue,
    money,
    new_workbook,
    sample_clients,
    write_clients_sheet,
    write_table,
)
from ledgerflow.values import complete_inn

FOLDER = Path(__file__).parent / "data" / "broken_inbox"


class Finding(NamedTuple):
    """One finding `ledgerflow validate` reports: its rule code, the column it names as the
    file's header spells it, and its severity."""

    rule: str
    column: str | None = None
    severity: str = "error"


@dataclass(frozen=True)
class BrokenRow:
    cells: tuple[CellValue, ...]
    expect: str = ""  # what the row should trigger; "" for a valid row
    finds: tuple[Finding, ...] = ()  # the findings validation reports on this row


@dataclass(frozen=True)
class BrokenSheet:
    name: str
    header: tuple[str, ...]
    rows: tuple[BrokenRow, ...]
    expect: str = ""  # what the sheet as a whole should trigger
    finds: tuple[Finding, ...] = ()  # the findings reported on its header row


def corrupt_inn(inn: str) -> str:
    """The same INN with a wrong last check digit."""
    return inn[:-1] + str((int(inn[-1]) + 1) % 10)


def _russian_client_row(cid: str, name: str, kind: str, tax_id: str, country: str = "RU",
                        currency: str = "RUB", note: str | None = None,
                        expect: str = "", finds: tuple[Finding, ...] = ()) -> BrokenRow:
    return BrokenRow((cid, name, kind, tax_id, country, currency, note), expect, finds)


BROKEN_CLIENTS = (
    BrokenSheet("Клиенты", ("логин", "наименование", "тип", "инн", "страна", "валюта",
                            "примечание"), (
        _russian_client_row("Valid_client", "ООО «Порядок»", "юрлицо", complete_inn("770100001"),
                            note="звонить после обеда"),
        _russian_client_row("Valid_client_DEP", "ООО «Порядок» — отдел", "юрлицо",
                            complete_inn("770100001")),
        _russian_client_row("Bad_inn", "ООО «Ошибка»", "юрлицо",
                            corrupt_inn(complete_inn("770100002")),
                            expect="tax_id: 10-digit INN with a wrong check digit",
                            finds=(Finding("tax_id_invalid", "инн"),)),
        _russian_client_row("Bad_inn_ip", "ИП Ошибкин Пётр", "ип",
                            corrupt_inn(complete_inn("0770100003")),
                            expect="tax_id: 12-digit INN with a wrong check digit",
                            finds=(Finding("tax_id_invalid", "инн"),)),
        _russian_client_row("Bad_currency", "ООО «Рубль»", "юрлицо", complete_inn("770100004"),
                            currency="RUR", expect="currency: 'RUR' is not an ISO 4217 code",
                            finds=(Finding("currency_code", "валюта"),)),
        _russian_client_row("Bad_country", "ООО «Страна»", "юрлицо", complete_inn("770100005"),
                            country="RUS", expect="country: 'RUS' is not ISO 3166 alpha-2",
                            finds=(Finding("country_code", "страна"),)),
    ), "unknown column 'примечание': reported and ignored",
        (Finding("column_unknown", "примечание", "warning"),)),
    BrokenSheet("Связи", ("главный", "связанный"), (
        BrokenRow(("Valid_client", "Valid_client_DEP")),
    ), "missing required column 'linked_on' (дата связи): the whole table is refused",
        (Finding("column_missing", "linked_on"),)),
)

PAYMENT_HEADER = ("payment_id", "client_id", "date", "amount", "currency", "kind")

BROKEN_TRANSACTIONS = (
    BrokenSheet("payments", PAYMENT_HEADER, (
        BrokenRow(("PB-001", "Good_client", date(2026, 10, 5), money(1000), "RUB", "payment"),
                  "payment_id: PB-001 again in row 3 (both rows are named)",
                  (Finding("duplicate_id", "payment_id"),)),
        BrokenRow(("PB-001", "Good_client", date(2026, 10, 6), money(500), "RUB", "payment"),
                  "payment_id: duplicate of row 2", (Finding("duplicate_id", "payment_id"),)),
        BrokenRow(("PB-002", "Good_client", date(2026, 10, 7), "12,345", "RUB", "payment"),
                  "amount: '12,345' is ambiguous (thousands or decimals)",
                  (Finding("money_ambiguous", "amount"),)),
        BrokenRow(("PB-003", "Good_client", date(2026, 10, 8), "abc", "RUB", "payment"),
                  "amount: 'abc' is not money", (Finding("money_format", "amount"),)),
        # A number cell among the column's text cells: it reaches validation as the number
        # it is, refused for its third decimal (not as the ambiguous text '1.234').
        BrokenRow(("PB-004", "Good_client", date(2026, 10, 9), 1.234, "RUB", "payment"),
                  "amount: numeric cell 1.234 has more than 2 decimals for RUB",
                  (Finding("money_precision", "amount"),)),
        BrokenRow(("PB-005", "Good_client", "31.02.2026", money(100), "RUB", "payment"),
                  "date: '31.02.2026' is not a calendar date", (Finding("date_format", "date"),)),
        BrokenRow(("PB-006", "Good_client", "04/03/26", money(100), "RUB", "payment"),
                  "date: '04/03/26' is ambiguous (no date order configured)",
                  (Finding("date_ambiguous", "date"),)),
        BrokenRow(("PB-007", "Good_usd", date(2026, 10, 10), money(0), "USD", "payment"),
                  "amount: a payment must be > 0", (Finding("amount_sign", "amount"),)),
    )),
    BrokenSheet("expenses", ("expense_id", "client_id", "date", "amount", "currency",
                             "product_type"), (
        BrokenRow(("EB-001", "Good_client", date(2026, 10, 5), money(250), "RUB", "sms")),
        BrokenRow(("EB-002", "Ghost_client", date(2026, 10, 6), money(250), "RUB", "sms"),
                  "client_id: unknown client 'Ghost_client'",
                  (Finding("unknown_client", "client_id"),)),
        BrokenRow(("EB-003", "Good_client", date(2026, 10, 7), money(-500), "RUB", "voice"),
                  "amount: an expense must be >= 0", (Finding("amount_negative", "amount"),)),
    )),
)


def _valid_client(cid: str, stem: str, currency: str = "RUB", status: str = "active") -> BrokenRow:
    return BrokenRow((cid, f"ООО «{cid}»", "legal", complete_inn(stem), currency, status))


# Valid clients (and links, below) in a file of their own, so that they load and the broken rows
# that refer to them are judged on their own faults (a file with any error is refused whole).
VALID_CLIENTS = (
    BrokenSheet("clients", ("client_id", "name", "client_type", "tax_id", "currency", "status"), (
        _valid_client("Good_client", "500200001"), _valid_client("Good_usd", "500200002", "USD"),
        _valid_client("Alpha", "780300001"), _valid_client("Alpha_DEP", "780300001"),
        _valid_client("Gamma", "780300002"), _valid_client("Gamma2", "780300002"),
        _valid_client("Gamma2_X", "780300002"),
        _valid_client("Delta", "780300003"), _valid_client("Delta_A", "780300003"),
        _valid_client("Delta_A_B", "780300003"),
        _valid_client("Omega", "780300004"), _valid_client("Omega_X", "780300005"),
        _valid_client("Sigma", "780300006"), _valid_client("Tau_branch", "780300006"),
        _valid_client("Kappa", "780300007"),
        _valid_client("Kappa_closed", "780300007", status="closed"),
        _valid_client("Eta", "780300008"), _valid_client("Eta_X", "780300008"),
        _valid_client("Zeta", "780300009"), _valid_client("Zeta_SHOP", "780300009"),
    )),
)

LINK_HEADER_EN = ("master_id", "related_id", "linked_on", "unlinked_on")
VALID_LINKS = BrokenSheet("links", LINK_HEADER_EN, tuple(
    BrokenRow((master, related, date(2026, 1, 1), None)) for master, related in (
        ("Alpha", "Alpha_DEP"), ("Gamma", "Gamma2_X"), ("Delta", "Delta_A"), ("Zeta", "Zeta_SHOP"),
    )))

# Row faults of links (judged row by row) and hierarchy faults (judged against the valid links
# of valid_base.xlsx) are in separate files: a table with a row fault is refused before the
# hierarchy is checked. Each row breaks one rule only (a related login that begins with its
# master's, so that L6 holds where it is not the point).
BROKEN_LINKS = (
    BrokenSheet("links", LINK_HEADER_EN, (
        BrokenRow(("Alpha", "Alpha_nobody", date(2026, 1, 1), None),
                  "L1: related_id 'Alpha_nobody' is not a client",
                  (Finding("unknown_client", "related_id"),)),
        BrokenRow(("Alpha", "Alpha", date(2026, 1, 1), None), "L2: master and related are one",
                  (Finding("link_self", "related_id"),)),
        BrokenRow(("Eta", "Eta_X", date(2026, 5, 1), date(2026, 4, 1)),
                  "unlinked_on: not after linked_on", (Finding("link_dates", "unlinked_on"),)),
    )),
)

BROKEN_HIERARCHY = (
    BrokenSheet("links", LINK_HEADER_EN, (
        BrokenRow(("Gamma2", "Gamma2_X", date(2026, 6, 1), None),
                  "L3: Gamma2_X already has master Gamma from 01.01.2026 (valid_base.xlsx)",
                  (Finding("L3", "related_id"),)),
        BrokenRow(("Delta_A", "Delta_A_B", date(2026, 2, 1), None),
                  "L4: Delta_A is related to Delta (valid_base.xlsx) and cannot be a master",
                  (Finding("L4", "master_id"),)),
        BrokenRow(("Omega", "Omega_X", date(2026, 1, 1), None),
                  "L5: tax IDs differ (error by default)", (Finding("L5", "related_id"),)),
        BrokenRow(("Sigma", "Tau_branch", date(2026, 1, 1), None),
                  "L6: 'Tau_branch' does not begin with 'Sigma' (warning by default)",
                  (Finding("L6", "related_id", "warning"),)),
        BrokenRow(("Kappa", "Kappa_closed", date(2026, 1, 1), None),
                  "L7: Kappa_closed is closed", (Finding("L7", "related_id"),)),
    )),
    BrokenSheet("payments", PAYMENT_HEADER, (
        BrokenRow(("PH-001", "Zeta", date(2026, 10, 5), money(1000), "RUB", "payment")),
        BrokenRow(("PH-002", "Zeta_SHOP", date(2026, 10, 5), money(1000), "RUB", "payment"),
                  "P2: Zeta_SHOP is related on 05.10.2026; the top-up should go to Zeta",
                  (Finding("P2", "client_id"),)),
    )),
)

BROKEN_WORKBOOKS = {
    "valid_base.xlsx": (*VALID_CLIENTS, VALID_LINKS),
    "broken_clients.xlsx": BROKEN_CLIENTS,
    "broken_transactions.xlsx": BROKEN_TRANSACTIONS,
    "broken_links.xlsx": BROKEN_LINKS,
    "broken_hierarchy.xlsx": BROKEN_HIERARCHY,
}
BROKEN_FILES = {  # file name -> what reading it should do
    "expenses_export.xlsx": "refused: a CSV text file renamed .xlsx",
    "bank_statement.xls": "refused: an HTML page saved as .xls",
    "payments_empty.xlsx": "refused: an empty file (0 bytes)",
    "clients_truncated.xlsx": "refused: a truncated .xlsx (zip cut in half)",
    "~$clients.xlsx": "skipped silently: an Excel lock file",
    "valid_base.xlsx": "loads cleanly: the clients and links the broken files below refer to",
    "broken_clients.xlsx": "row and column errors in clients; links refused for a missing column",
    "broken_transactions.xlsx": "money, date, duplicate-ID and unknown-client errors",
    "broken_links.xlsx": "row faults of links: L1, L2, unlinked_on not after linked_on",
    "broken_hierarchy.xlsx": "hierarchy faults L3-L7 and P2, against the links of valid_base.xlsx",
}
FILE_RULES = {  # file name -> the rule of the one finding on the file as a whole
    "expenses_export.xlsx": "file_renamed_csv",
    "bank_statement.xls": "file_html",
    "payments_empty.xlsx": "file_empty",
    "clients_truncated.xlsx": "file_corrupt",
    "README.md": "file_unsupported",  # the folder's README is not an input
}

# (file, sheet, row, rule, column, severity), as `ledgerflow validate --json` names a finding
FindingAt = tuple[str, str | None, int | None, str, str | None, str]


def expected_findings() -> set[FindingAt]:
    """Every finding `ledgerflow validate` should report on the broken inbox, and no other:
    the files' own, then each sheet's on its header row (1) and each row's on its Excel row."""
    found: set[FindingAt] = {(name, None, None, rule, None, "error")
                             for name, rule in FILE_RULES.items()}
    for name, sheets in BROKEN_WORKBOOKS.items():
        for spec in sheets:
            found |= {(name, spec.name, 1, *f) for f in spec.finds}
            found |= {(name, spec.name, number, *f)
                      for number, row in enumerate(spec.rows, 2) for f in row.finds}
    return found


def _write_broken_workbook(path: Path, sheets: tuple[BrokenSheet, ...]) -> None:
    workbook, styles = new_workbook(path)
    for spec in sheets:
        rows = [row.cells for row in spec.rows]
        write_table(workbook.add_worksheet(spec.name), spec.header, rows, styles)
    workbook.close()


def _truncated_workbook_bytes() -> bytes:
    """The first half of a valid clients workbook: a zip without its central directory."""
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "clients.xlsx"
        write_clients_sheet(path, tuple(sample_clients(random.Random(SAMPLE_SEED))[:3]))
        whole = path.read_bytes()
    return whole[: len(whole) // 2]


def _lock_file_bytes(user: str = "buhgalter") -> bytes:
    """The shape of an Excel owner file: name length, name padded, then UTF-16 name, 165 bytes."""
    ansi = bytes([len(user)]) + user.encode("ascii").ljust(53, b" ")
    wide = len(user).to_bytes(2, "little") + user.encode("utf-16-le")
    return (ansi + wide).ljust(165, b"\x00")


def _plain_broken_files() -> dict[str, bytes]:
    html = ('<html xmlns:x="urn:schemas-microsoft-com:office:excel"><head><meta charset="utf-8">'
            "<title>Выписка</title></head><body><table><tr><th>Дата</th><th>Сумма</th></tr>"
            "<tr><td>05.10.2026</td><td>1 000,00</td></tr></table></body></html>\n")
    csv_text = ("expense_id,client_id,date,amount,currency\n"
                "EX-1,Good_client,2026-10-05,100.00,RUB\n")
    return {
        "expenses_export.xlsx": csv_text.encode("utf-8"),
        "bank_statement.xls": html.encode("utf-8"),
        "payments_empty.xlsx": b"",
        "clients_truncated.xlsx": _truncated_workbook_bytes(),
        "~$clients.xlsx": _lock_file_bytes(),
    }


def _rules(finds: tuple[Finding, ...]) -> str:
    return " [" + ", ".join(f.rule for f in finds) + "]" if finds else ""


def broken_inbox_readme() -> str:
    """README.md of the broken inbox: what each file, sheet and row should trigger."""
    lines = ["# Broken inbox", "",
             "Written by `tests/broken_inbox.py`; do not edit by hand. Each file exercises an "
             "error path of reading or validation; the rule codes in brackets are what "
             "`ledgerflow validate` reports (`tests/test_broken_inbox.py` checks every one, "
             "and that nothing else is reported). This README is not an input: a reader "
             "pointed at this folder refuses it as an unsupported file type.", ""]
    lines += [f"- `{name}`: {what}" + (f" [{FILE_RULES[name]}]" if name in FILE_RULES else "")
              for name, what in BROKEN_FILES.items()]
    for name, sheets in BROKEN_WORKBOOKS.items():
        lines += ["", f"## {name}", ""]
        before = len(lines)
        for spec in sheets:
            if spec.expect:
                lines.append(f"- sheet `{spec.name}`: {spec.expect}{_rules(spec.finds)}")
            lines += [f"- sheet `{spec.name}` row {n}: {row.expect}{_rules(row.finds)}"
                      for n, row in enumerate(spec.rows, 2) if row.expect]
        if len(lines) == before:
            lines.append("- no faults: every row loads")
    return "\n".join(lines) + "\n"


def write_broken_inbox(directory: Path) -> list[Path]:
    """Write the broken inbox and its README.md; return the input files (README excluded)."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, content in _plain_broken_files().items():
        (directory / name).write_bytes(content)
        paths.append(directory / name)
    for name, sheets in BROKEN_WORKBOOKS.items():
        _write_broken_workbook(directory / name, sheets)
        paths.append(directory / name)
    (directory / "README.md").write_text(broken_inbox_readme(), encoding="utf-8")
    return paths


if __name__ == "__main__":
    written = write_broken_inbox(Path(sys.argv[1]) if len(sys.argv) > 1 else FOLDER)
    print(f"wrote {len(written)} files and README.md to {written[0].parent}")
