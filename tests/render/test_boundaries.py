"""What the render stage must not do (issue 10): name the consolidation's working tables, or
change a library for the whole process."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import xlsxwriter.workbook

import ledgerflow
from ledgerflow.render import excel
from ledgerflow.rules.period import Period

PACKAGE = Path(ledgerflow.__file__).parent


def test_no_package_but_rules_names_the_consolidations_working_tables() -> None:
    """Render asks the `Consolidation` object for lines, digests and input files; a renamed
    column in `rules` cannot break it at run time only."""
    working = re.compile(r"\blf_(lines|amounts|priced|rated|rates|digits)\b")
    named = [str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py")
             if path.parent.name != "rules" and working.search(path.read_text("utf-8"))]
    assert named == []


def test_the_statement_workbook_changes_no_library(tmp_path: Path) -> None:
    """The statements' Excel writer is ledgerflow's own: importing it loads no xlsxwriter, and
    nothing of xlsxwriter is replaced for the process (the rejects workbook still uses it as
    it is)."""
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, ledgerflow.render.excel; "
         "print('xlsxwriter' in sys.modules)"], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "False"
    excel.write_index_xlsx(tmp_path / "index.xlsx", [], Period.month("2026-10"))
    assert xlsxwriter.workbook.ZipFile is zipfile.ZipFile
