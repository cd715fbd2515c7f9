"""Issue 9: every file and folder a run writes gets the mode the umask gives, not 0600.

The real `ledgerflow run` runs in a subprocess with the umask set, on the sample inbox plus one
broken file, so the statements, the index, the manifest, the render cache and the rejects
workbook are all written.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from ledgerflow.rejects import write_rejects
from ledgerflow.render.writer import write_bytes, write_text

ROOT = Path(__file__).parent.parent
SAMPLE = ROOT / "sample_data"
BROKEN = ROOT / "tests" / "data" / "broken_inbox" / "expenses_export.xlsx"
LEDGERFLOW = Path(sys.executable).with_name("ledgerflow")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _run(folder: Path, umask: int) -> subprocess.CompletedProcess[str]:
    inbox = folder / "inbox"
    shutil.copytree(SAMPLE, inbox)
    shutil.copy(BROKEN, inbox / BROKEN.name)  # refused: the rejects workbook is written too
    pipeline = folder / "monthly.toml"
    pipeline.write_text(f'inbox = "{inbox}"\nwarehouse = "{folder / "ledger.duckdb"}"\n'
                        f'reports = "{folder / "reports"}"\n', encoding="utf-8")
    return subprocess.run([str(LEDGERFLOW), "run", str(pipeline), "--period", "2026-10"],
                          capture_output=True, text=True, timeout=120,
                          preexec_fn=lambda: os.umask(umask))


@pytest.mark.parametrize(("umask", "file_mode", "folder_mode"),
                         [(0o022, 0o644, 0o755), (0o027, 0o640, 0o750)])
def test_a_run_writes_with_the_umask_modes(tmp_path: Path, umask: int, file_mode: int,
                                           folder_mode: int) -> None:
    done = _run(tmp_path, umask)
    assert done.returncode == 1, done.stdout + done.stderr  # finished, one file refused

    reports = tmp_path / "reports"
    period = reports / "2026-10"
    for name in ("index.html", "index.xlsx", "manifest.json", ".render-cache.json",
                 "rejects.xlsx"):
        assert _mode(period / name) == file_mode, (name, oct(_mode(period / name)))
    statements = sorted((period / "statements").iterdir())
    assert len(statements) == 54
    wrong = {p.name: oct(_mode(p)) for p in statements if _mode(p) != file_mode}
    assert not wrong
    for folder in (reports, period, period / "statements"):
        assert _mode(folder) == folder_mode, (folder, oct(_mode(folder)))
    assert _mode(tmp_path / "ledger.duckdb") == file_mode
    # nothing else (no temp file) was left in the reports
    written = {p.relative_to(period).as_posix() for p in period.rglob("*")}
    assert {w for w in written if not w.startswith(("statements/", ".runs/"))} == {
        "index.html", "index.xlsx", "manifest.json", ".render-cache.json", "rejects.xlsx",
        "to_block.xlsx", "to_block.csv", "statements", ".runs"}
    # the run's record (for ledgerflow diff): its lines and its payers, nothing else
    runs = sorted((period / ".runs").iterdir())
    assert [p.name.split(".", 1)[1] for p in runs] == ["lines.parquet", "payers.parquet"]
    assert _mode(period / ".runs") == folder_mode
    assert {oct(_mode(p)) for p in runs} == {oct(file_mode)}


def _in_child(umask: int, body: str, folder: Path) -> None:
    """Run `body` (Python, with `folder` bound) in a fresh interpreter under `umask`."""
    code = ("from pathlib import Path\n"
            "from ledgerflow.render.writer import write_bytes, write_file, write_text\n"
            "from ledgerflow.rejects import write_rejects\n"
            f"folder = Path({str(folder)!r})\n" + body)
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60,
                   preexec_fn=lambda: os.umask(umask))


def test_writers_follow_the_umask_of_the_process(tmp_path: Path) -> None:
    _in_child(0o077, "write_text(folder / 'a' / 'private.txt', 'x')\n"
                     "write_rejects(folder / 'a' / 'rejects.xlsx', [], [])\n", tmp_path)
    _in_child(0o002, "write_bytes(folder / 'b' / 'shared.txt', b'x')\n"
                     "write_file(folder / 'b' / 'made.txt', lambda t: t.write_text('y'))\n",
              tmp_path)
    assert _mode(tmp_path / "a") == 0o700
    assert _mode(tmp_path / "a" / "private.txt") == 0o600
    assert _mode(tmp_path / "a" / "rejects.xlsx") == 0o600
    assert _mode(tmp_path / "b") == 0o775
    assert _mode(tmp_path / "b" / "shared.txt") == 0o664
    assert _mode(tmp_path / "b" / "made.txt") == 0o664


def test_an_unchanged_file_of_another_mode_gets_the_umask_mode(tmp_path: Path) -> None:
    """A report an older version wrote 0600 is kept (same bytes, same time stamp) but made
    readable, or the accountants would never see it until it changed."""
    target = tmp_path / "index.html"
    write_text(target, "same")
    target.chmod(0o600)
    stamp = target.stat().st_mtime_ns
    umask = os.umask(0o022)
    try:
        again = write_text(target, "same")
        rejects = write_rejects(tmp_path / "rejects.xlsx", [], [])
    finally:
        os.umask(umask)
    assert not again.changed and target.stat().st_mtime_ns == stamp
    assert _mode(target) == 0o644
    assert _mode(rejects) == 0o644
    assert write_bytes(target, b"same").changed is False
