"""The monthly run under faults: `benchmarks/faults.py` at a small size (5 SIGKILLs, a full disk,
a read-only reports folder, a warehouse cut to half and to nothing), a file too large to write
(RLIMIT_FSIZE, which needs no mount), and the bugs those faults found, until they are fixed."""

from __future__ import annotations

import errno
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ledgerflow.errors import LedgerflowError
from ledgerflow.render.writer import write_file, write_text

ROOT = Path(__file__).parent.parent
FAULTS = ROOT / "benchmarks" / "faults.py"
SAMPLE = ROOT / "sample_data"
LEDGERFLOW = Path(sys.executable).with_name("ledgerflow")


@pytest.fixture(scope="module")
def faults() -> dict[str, Any]:
    done = subprocess.run([sys.executable, str(FAULTS), "--small", "--json"],
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.stdout.startswith("{"), done.stderr
    return dict(json.loads(done.stdout))


def trials(result: dict[str, Any], fault: str) -> list[dict[str, Any]]:
    return [t for t in result["trials"] if t["fault"] == fault]


def test_every_kill_ends_in_the_old_state_or_the_new(faults: dict[str, Any]) -> None:
    assert faults["kills"]["tried"] == 5
    failed = [(t["detail"], t["problems"]) for t in trials(faults, "kill") if not t["survived"]]
    assert not failed
    assert faults["kills"]["survived"] == 5


def test_a_full_disk_and_a_read_only_folder_stop_the_run_clearly(
        faults: dict[str, Any]) -> None:
    if not faults["mount_faults_run"]:
        pytest.skip(faults["mounts"])
    full, read_only = trials(faults, "full disk"), trials(faults, "read-only reports")
    assert len(full) == 1 and len(read_only) == 1
    for trial in full + read_only:
        assert trial["survived"], trial["problems"]
    assert full[0]["messages"][0].startswith("Error: Could not write ")
    assert "No space left on device" in full[0]["messages"][0]
    assert "Read-only file system" in read_only[0]["messages"][0]


def test_a_warehouse_cut_to_nothing_is_refused_and_kept(faults: dict[str, Any]) -> None:
    [trial] = [t for t in trials(faults, "truncated warehouse") if "0 bytes" in t["detail"]]
    assert trial["survived"], trial["problems"]
    assert trial["messages"][0].startswith("Error: The warehouse ")


def test_a_warehouse_cut_to_half_is_refused_with_a_clear_message(
        faults: dict[str, Any]) -> None:
    [trial] = [t for t in trials(faults, "truncated warehouse") if "50%" in t["detail"]]
    assert trial["survived"], trial["problems"]


def test_the_script_reports_every_fault(faults: dict[str, Any]) -> None:
    faults_seen = {row["fault"]: row["tries"] for row in faults["summary"]}
    assert faults_seen["kill"] == 5 and faults_seen["truncated warehouse"] == 2
    if faults["mount_faults_run"]:
        assert faults_seen["full disk"] == 1 and faults_seen["read-only reports"] == 1


# --- a file too large to write: the xlsx writer's path, with no mount ----------------------------

@pytest.fixture(scope="module")
def too_large(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str],
                                                                  Path]:
    """The sample loaded, then a run that writes Excel statements only, each file limited to
    4 KiB (RLIMIT_FSIZE): the first statement's zip fails half written, as on a full disk."""
    folder = tmp_path_factory.mktemp("too_large")
    shutil.copytree(SAMPLE, folder / "inbox")
    pipeline = folder / "monthly.toml"
    pipeline.write_text(f'inbox = "{folder / "inbox"}"\nwarehouse = "{folder / "ledger.duckdb"}"'
                        f'\nreports = "{folder / "reports"}"\noutputs = ["xlsx"]\n',
                        encoding="utf-8")
    command = [str(LEDGERFLOW), "run", str(pipeline), "--period", "2026-10"]
    first = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert first.returncode == 0, first.stderr
    shutil.rmtree(folder / "reports")

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    env = {k: v for k, v in os.environ.items() if k != "LEDGERFLOW_DEBUG"}
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False,
                          preexec_fn=limit, env=env)
    return done, folder / "reports"


def test_a_file_too_large_stops_the_run_with_a_clear_message(
        too_large: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    done, reports = too_large
    assert done.returncode == 3
    assert "Error: Could not write " in done.stderr and "File too large" in done.stderr
    assert "unexpected error" not in done.stderr
    assert not [p for p in reports.rglob(".*")]  # no temp file left


def test_a_failed_excel_write_prints_no_traceback(
        too_large: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    done, _ = too_large
    assert "Traceback" not in done.stderr, done.stderr


# --- write_file, directly -------------------------------------------------------------------

def test_a_write_that_fails_names_the_file_and_keeps_the_old_one(tmp_path: Path) -> None:
    target = tmp_path / "statements" / "acme.html"
    write_text(target, "<p>old</p>")

    def full(temp: Path) -> None:
        temp.write_text("<p>half")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with pytest.raises(LedgerflowError) as stopped:
        write_file(target, full)
    assert str(stopped.value).startswith(f"Could not write {target}: No space left on device; "
                                         "acme.html is left as it was.")
    assert target.read_text() == "<p>old</p>"
    assert [p.name for p in target.parent.iterdir()] == ["acme.html"]
