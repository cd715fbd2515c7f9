"""Benchmark: read + validate + load N expense rows from one .xlsx into a fresh warehouse.

    .venv/bin/python benchmarks/ingest.py --rows 1000000 [--repeat 3]

Writes the input once under benchmarks/data/ (kept between runs), then times each stage of the
ingest pipeline separately, and the whole, over --repeat runs on a fresh warehouse each time, and
prints the median.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import tempfile
import time
import zipfile
from pathlib import Path

from workbooks import write_clients_workbook, write_expenses_workbook

from ledgerflow.load import warehouse
from ledgerflow.pipeline import Ingest, IngestOptions

DATA = Path(__file__).parent / "data"


def make_inbox(rows: int, clients: int) -> Path:
    inbox = DATA / f"inbox_{rows}"
    marker = inbox / ".complete"
    if not marker.exists():
        shutil.rmtree(inbox, ignore_errors=True)
        inbox.mkdir(parents=True)
        started = time.perf_counter()
        write_clients_workbook(inbox / "clients.xlsx", clients)
        write_expenses_workbook(inbox / "expenses.xlsx", rows, clients, seed=1)
        marker.touch()
        print(f"wrote {rows:,} expense rows in {time.perf_counter() - started:.1f} s")
    return inbox


def run_once(inbox: Path) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.duckdb"
        ingest = Ingest(inbox, path, IngestOptions())
        times: dict[str, float] = {}
        started = time.perf_counter()
        connection = warehouse.connect(path)
        try:
            for stage in ("read", "validate", "load"):
                stage_start = time.perf_counter()
                getattr(ingest, stage)(connection)
                if stage == "validate":
                    ingest.decide()
                times[stage] = time.perf_counter() - stage_start
        finally:
            connection.close()
        times["total"] = time.perf_counter() - started
        refused = [o.file.name for o in ingest.outcomes if o.status != "loaded"]
        if refused:
            raise SystemExit(f"benchmark input was refused: {refused}")
        return times


def unzip_seconds(path: Path) -> float:
    """The floor: only decompressing every member of the workbook (no XML parsing at all)."""
    started = time.perf_counter()
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            archive.read(name)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    inbox = make_inbox(args.rows, args.clients)
    size = (inbox / "expenses.xlsx").stat().st_size / 1e6
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}; input {size:.1f} MB")
    runs = [run_once(inbox) for _ in range(args.repeat)]
    floor = statistics.median(unzip_seconds(inbox / "expenses.xlsx") for _ in range(3))
    print(f"reference: decompressing the workbook's members alone takes {floor:.2f} s "
          "(the machine's speed right now)")
    for stage in ("read", "validate", "load", "total"):
        values = [r[stage] for r in runs]
        median = statistics.median(values)
        listed = ", ".join(f"{v:.2f}" for v in values)
        print(f"{stage:>9}: median {median:6.2f} s  ({args.rows / median:,.0f} rows/s, "
              f"{median / floor:.1f}x the reference)  runs: {listed}")


if __name__ == "__main__":
    main()
