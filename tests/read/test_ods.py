"""An .ods spreadsheet, as LibreOffice saves it, is read like an .xlsx: its sheets by name, hidden
ones reported, the header found under a title, cells typed, and each row's number as LibreOffice
shows it."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import CLIENTS, warehouse_rows, write_workbook

from ledgerflow.pipeline import load_inbox

pytestmark = pytest.mark.skipif(shutil.which("soffice") is None,
                                reason="LibreOffice (soffice) is not installed on this machine")


def saved_by_libreoffice(workbook: Path, folder: Path) -> Path:
    """The workbook opened in LibreOffice and saved in its own format."""
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{folder}/profile",
                    "--convert-to", "ods", "--outdir", str(folder), str(workbook)],
                   check=True, capture_output=True, timeout=180)
    return folder / f"{workbook.stem}.ods"


def test_an_ods_loads_like_an_xlsx(inbox: Path, warehouse: Path, tmp_path: Path) -> None:
    source = write_workbook(tmp_path / "октябрь.xlsx", {
        "Клиенты": CLIENTS,
        "Расходы": [
            ["Расходы за октябрь 2026"],  # row 1: a title
            [],
            ["Номер расхода", "Логин", "Дата", "Сумма, руб.", "Валюта"],  # row 3
            ["E1", "Orhid_magazine", dt.date(2026, 10, 5), 1234.56, "RUB"],  # row 4
            [],
            ["E2", "Orhid_magazine_DIR", "06.10.2026", "1 000,50", "RUB"],  # row 6
        ],
        "Заметки": [["не грузить"]],
    }, hidden=["Заметки"])
    ods = saved_by_libreoffice(source, tmp_path)
    shutil.copy(ods, inbox / ods.name)

    report = load_inbox(inbox, warehouse)

    assert report.exit_code == 0, [p.message for p in report.problems()]
    [outcome] = report.outcomes
    assert (outcome.file.name, outcome.status) == ("октябрь.ods", "loaded")
    assert ("Заметки", "sheet_hidden") in {(p.sheet, p.rule) for p in report.problems()}
    expenses = warehouse_rows(
        warehouse, "SELECT expense_id, client_id, date, amount, source_file, source_sheet, "
        "source_row FROM expenses ORDER BY expense_id")
    clients = warehouse_rows(warehouse, "SELECT count(*) FROM clients")
    assert expenses == [
        ("E1", "Orhid_magazine", dt.date(2026, 10, 5), Decimal("1234.5600"), "октябрь.ods",
         "Расходы", 4),
        ("E2", "Orhid_magazine_DIR", dt.date(2026, 10, 6), Decimal("1000.5000"), "октябрь.ods",
         "Расходы", 6),
    ]
    assert clients == [(len(CLIENTS) - 1,)]
