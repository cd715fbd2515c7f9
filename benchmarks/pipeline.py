"""Benchmark: the monthly run on a generated inbox, stage by stage, beside a hand-made stack.

    .venv/bin/python benchmarks/pipeline.py S|M|L [--repeat 3] [--reference auto|full|none]

On the inbox of `benchmarks/datasets.py` (made once, then reused) it measures, in one run:

- each stage on a fresh warehouse: read, validate, load (as `Ingest.run` does them), consolidate,
  render HTML, render Excel (each render on the same consolidation, with the lines laid out);
- the monthly run end to end (`run_pipeline`: ingest, consolidate, HTML and Excel, index,
  manifest) on a fresh warehouse, then a re-run after one more small file is dropped in the
  inbox: only that file is read and only the statements it touches are rendered again;
- for every figure the wall time, rows per second and the peak memory of the process and its
  workers (the sum of their proportional set sizes, sampled every 0.25 s);
- two references: decompressing every member of the inbox's workbooks with `zipfile` (the floor
  for reading), and the stack a user would write by hand, `pandas.read_excel(engine="openpyxl")`
  for the same files and openpyxl writing the same statements (one workbook of lines per
  payer). With `--reference auto`, an inbox over two million rows has its hand-made figures
  measured on part of it and scaled by rows (said so in the output).

Medians over `--repeat` runs; the references are measured once. The figures are written to
`benchmarks/results/<size>.json`, and the scaling against the other sizes found there printed.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pandas as pd
import psutil
import xlsxwriter
from datasets import make_inbox, read_summary

from ledgerflow.config import PipelineConfig
from ledgerflow.load.warehouse import read_warehouse
from ledgerflow.monthly import ReportOptions, render_reports, run_pipeline
from ledgerflow.pipeline import Ingest, IngestOptions
from ledgerflow.render.layout import LINES
from ledgerflow.rules.consolidate import consolidate
from ledgerflow.rules.period import Period

RESULTS = Path(__file__).parent / "results"
PERIOD = Period.month("2026-10")
HAND_MADE_ROWS = 2_000_000  # --reference auto: above this, the hand-made stack runs on a part


class PeakMemory:
    """Peak memory of this process and its children, per phase, from a sampling thread."""

    def __init__(self, interval: float = 0.25) -> None:
        self.interval = interval
        self.peaks: dict[str, int] = {}
        self.current: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(self.interval):
            phase = self.current
            if phase is None:
                continue
            total = 0
            for process in [me, *me.children(recursive=True)]:
                with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied, OSError):
                    total += _proportional(process)
            self.peaks[phase] = max(self.peaks.get(phase, 0), total)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        before, self.current = self.current, name
        try:
            yield
        finally:
            self.current = before

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def _proportional(process: psutil.Process) -> int:
    """A process's proportional set size (pages shared with forked workers counted once in
    all), from /proc/PID/smaps_rollup: reading the full smaps, as psutil does, costs the
    sampled run a core. Where there is no such file, the resident set size."""
    try:
        text = Path(f"/proc/{process.pid}/smaps_rollup").read_text()
    except OSError:
        return int(process.memory_info().rss)
    for line in text.splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) * 1024
    return int(process.memory_info().rss)


def linked_inbox(inbox: Path, folder: Path) -> Path:
    """A copy of the inbox made of symbolic links, so a file can be added to it."""
    copy = folder / "inbox"
    copy.mkdir()
    for path in sorted(inbox.glob("*.xlsx")):
        (copy / path.name).symlink_to(path.resolve())
    return copy


# --- the stages ----------------------------------------------------------------------------------


def staged(inbox: Path, folder: Path, memory: PeakMemory) -> dict[str, float]:
    """read / validate / load / consolidate / render HTML / render Excel, on a new warehouse."""
    stage = {"reading": "read", "validating": "validate", "loading": "load"}
    seconds = dict.fromkeys(stage.values(), 0.0)

    @contextmanager
    def progress(label: str, _total: int) -> Iterator[Callable[[int], None]]:
        """The stages' timings reach the benchmark through the progress callback."""
        memory.current = stage.get(label, memory.current)
        started = time.perf_counter()
        try:
            yield lambda _n: None
        finally:
            if label in stage:
                seconds[stage[label]] += time.perf_counter() - started

    path = folder / "staged.duckdb"
    ingest = Ingest(inbox, path, IngestOptions(), progress)
    report = ingest.run()
    memory.current = None
    refused = [o.file.name for o in report.outcomes if o.has_errors()]
    if refused:
        raise SystemExit(f"the benchmark inbox was refused: {refused}")
    with read_warehouse(path) as connection:
        with memory.phase("consolidate"):
            started = time.perf_counter()
            result = consolidate(connection, PERIOD)
            seconds["consolidate"] = time.perf_counter() - started
        for output, name in (("html", "render HTML"), ("xlsx", "render Excel")):
            with memory.phase(name):
                started = time.perf_counter()
                render_reports(connection, PERIOD, folder / f"reports_{output}",
                               ReportOptions(outputs=(output,)), consolidated=result)
                seconds[name] = time.perf_counter() - started
    shutil.rmtree(folder / "reports_html")
    shutil.rmtree(folder / "reports_xlsx")
    path.unlink()
    return seconds


def end_to_end(inbox: Path, folder: Path, memory: PeakMemory) -> dict[str, Any]:
    """The monthly run, then a re-run after one more small file."""
    config = PipelineConfig(source=folder / "pipeline.toml", inbox=inbox,
                            warehouse=folder / "run.duckdb", reports=folder / "reports",
                            period=PERIOD.label)
    with memory.phase("end to end"):
        started = time.perf_counter()
        first = run_pipeline(config)
        seconds = time.perf_counter() - started
    if first.exit_code:
        raise SystemExit("the end-to-end run refused something or found a problem")
    statements = folder / "reports" / PERIOD.label / "statements"
    before = {p.name: _sha256(p) for p in statements.iterdir()}
    touched = own_payers(config.warehouse, [s.payer for s in first.report.statements
                                            if s.currency == "RUB"])[:3]
    extra = inbox / "payments_extra.xlsx"
    write_extra_payments(extra, touched)
    with memory.phase("re-run"):
        started = time.perf_counter()
        second = run_pipeline(config)
        again = time.perf_counter() - started
    extra.unlink()
    after = {p.name: _sha256(p) for p in statements.iterdir()}
    changed = sorted(name for name in after if before.get(name) != after[name])
    read_again = [o.file.name for o in second.ingest.outcomes if o.status == "loaded"]
    shutil.rmtree(folder / "reports")
    config.warehouse.unlink()
    return {"seconds": seconds, "rerun_seconds": again, "rerun_rendered": second.report.rendered,
            "rerun_changed_files": len(changed), "rerun_read": read_again,
            "rerun_touched": touched,
            "statements": len(first.report.statements),
            "lines": sum(s.lines_count for s in first.report.statements),
            "rerun_only_touched": sorted({Path(n).stem for n in changed}) == sorted(
                stem_of(statements, p) for p in touched)}


def _sha256(path: Path) -> str:
    """A statement's bytes, compared by digest (L's statements take gigabytes)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def own_payers(path: Path, payers: list[str]) -> list[str]:
    """The payers that are nobody's related account (a top-up may go to them on any day)."""
    with read_warehouse(path) as connection:
        related = {r for (r,) in connection.execute(
            "SELECT DISTINCT lower(related_id) FROM links").fetchall()}
    return [p for p in payers if p.lower() not in related]


def stem_of(statements: Path, payer: str) -> str:
    """The file stem of a payer's statement (file names are made safe from the payer's ID)."""
    matches = [p.stem for p in statements.glob("*.html") if p.stem.lower() == payer.lower()]
    return matches[0] if matches else payer


def write_extra_payments(path: Path, payers: list[str]) -> None:
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("payments")
    sheet.write_row(0, 0, ["payment_id", "client_id", "date", "amount", "currency", "kind"])
    for row, payer in enumerate(payers, 1):
        sheet.write_row(row, 0, [f"EXTRA-{row}", payer, "31.10.2026", 1000, "RUB", "payment"])
    workbook.close()


# --- the references ------------------------------------------------------------------------------


def unzip_seconds(files: list[Path]) -> float:
    """The floor: decompressing every member of the workbooks, no XML parsed at all."""
    started = time.perf_counter()
    for path in files:
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                archive.read(name)
    return time.perf_counter() - started


def hand_made_read(files: list[Path], part: bool) -> tuple[float, str]:
    """pandas.read_excel with openpyxl over every sheet of the files (or, with `part`, all
    files but the expenses, and one expenses workbook scaled to all of them)."""
    expenses = [p for p in files if p.name.startswith("expenses")]
    chosen = [p for p in files if p not in expenses] + expenses[:1] if part else files
    started = time.perf_counter()
    seconds_expenses = 0.0
    for path in chosen:
        begun = time.perf_counter()
        pd.read_excel(path, sheet_name=None, engine="openpyxl")
        if path in expenses:
            seconds_expenses += time.perf_counter() - begun
    seconds = time.perf_counter() - started
    if part and len(expenses) > 1:
        seconds += seconds_expenses * (len(expenses) - 1)
        return seconds, f"measured on {len(chosen)} of {len(files)} files, scaled by rows"
    return seconds, "measured on every file"


def hand_made_write(inbox: Path, folder: Path, part: bool) -> tuple[float, str]:
    """openpyxl writing each payer's statement lines to a workbook of its own (only the time
    in openpyxl is counted; with `part`, the first 300,000 lines, scaled to all)."""
    path = folder / "hand.duckdb"
    Ingest(inbox, path, IngestOptions()).run()
    out = folder / "hand_made"
    out.mkdir()
    with duckdb.connect(str(path)) as connection:
        table = consolidate(connection, PERIOD).lines()
    total_lines = table.num_rows
    if part:
        table = table.slice(0, min(total_lines, 300_000))
    payers = table.column("payer_key").to_pylist()
    columns = [c.to_pylist() for c in table.columns]
    seconds = 0.0
    start = 0
    while start < len(payers):
        end = start
        while end < len(payers) and payers[end] == payers[start]:
            end += 1
        rows = list(zip(*(c[start:end] for c in columns), strict=True))
        began = time.perf_counter()
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append([f.key for f in LINES.fields])
        for row in rows:
            sheet.append(list(row[1:]))
        book.save(out / f"{payers[start]}.xlsx")
        seconds += time.perf_counter() - began
        start = end
    shutil.rmtree(out)
    path.unlink()
    if part and len(payers) < total_lines:
        return seconds * total_lines / len(payers), (
            f"measured on {len(payers):,} of {total_lines:,} lines, scaled")
    return seconds, f"measured on all {total_lines:,} lines"


# --- the run -------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size", choices=("S", "M", "L"))
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--reference", choices=("auto", "full", "none"), default="auto")
    parser.add_argument("--scale", type=float, default=1.0, help="shrink the inbox (tests)")
    parser.add_argument("--root", type=Path, default=None, help="where the inboxes are kept")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()

    inbox = make_inbox(args.size, args.root, args.scale) if args.root else make_inbox(
        args.size, scale=args.scale)
    rows = {kind: int(n) for kind, n in read_summary(inbox)["rows"].items()}
    files = sorted(inbox.glob("*.xlsx"))
    total_rows = sum(rows.values())
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, "
          f"{psutil.virtual_memory().total / 2**30:.0f} GB, Python {platform.python_version()}")
    print(f"inbox {inbox.name}: {len(files)} workbooks, "
          f"{sum(p.stat().st_size for p in files) / 1e6:.1f} MB, "
          + ", ".join(f"{n:,} {kind}" for kind, n in rows.items()))

    memory = PeakMemory()
    stage_runs: list[dict[str, float]] = []
    e2e_runs: list[dict[str, Any]] = []
    floor = []
    for n in range(args.repeat):
        floor.append(unzip_seconds(files))
        with tempfile.TemporaryDirectory(dir=inbox.parent) as name:
            folder = Path(name)
            stage_runs.append(staged(inbox, folder, memory))
            e2e_runs.append(end_to_end(linked_inbox(inbox, folder), folder, memory))
        ingest = sum(stage_runs[-1][s] for s in ("read", "validate", "load"))
        print(f"run {n + 1}: ingest {ingest:.1f} s, end to end {e2e_runs[-1]['seconds']:.1f} s",
              flush=True)
    memory.stop()
    last = e2e_runs[-1]
    lines = last["lines"]
    unzip = statistics.median(floor)

    def median(values: list[float]) -> float:
        return statistics.median(values)

    figures: dict[str, dict[str, Any]] = {}
    work = {"read": total_rows, "validate": total_rows, "load": total_rows,
            "consolidate": rows.get("expenses", 0) + rows.get("payments", 0),
            "render HTML": lines, "render Excel": lines, "ingest": total_rows,
            "end to end": total_rows}
    for stage in ("read", "validate", "load", "consolidate", "render HTML", "render Excel"):
        figures[stage] = {"seconds": median([r[stage] for r in stage_runs]),
                          "runs": [r[stage] for r in stage_runs]}
    figures["ingest"] = {"seconds": median([sum(r[s] for s in ("read", "validate", "load"))
                                            for r in stage_runs])}
    figures["end to end"] = {"seconds": median([r["seconds"] for r in e2e_runs]),
                             "runs": [r["seconds"] for r in e2e_runs]}
    figures["re-run"] = {"seconds": median([r["rerun_seconds"] for r in e2e_runs]),
                         "runs": [r["rerun_seconds"] for r in e2e_runs]}
    for stage, figure in figures.items():
        figure["peak_mb"] = round(memory.peaks.get(stage, 0) / 2**20) if stage in memory.peaks \
            else None
        if stage in work:
            figure["rows_per_second"] = round(work[stage] / figure["seconds"])
    figures["ingest"]["peak_mb"] = round(max(memory.peaks.get(s, 0) for s in (
        "read", "validate", "load")) / 2**20)

    print(f"\nreference: decompressing the workbooks' members takes {unzip:.2f} s (median)")
    print(f"{'stage':>14} {'median':>9} {'rows/s':>11} {'peak MB':>8}  runs")
    for stage, figure in figures.items():
        rate = figure.get("rows_per_second")
        print(f"{stage:>14} {figure['seconds']:8.2f}s {f'{rate:,}' if rate else '':>11} "
              f"{figure['peak_mb'] or '':>8}  "
              + ", ".join(f"{v:.2f}" for v in figure.get("runs", [])))
    ratio = figures["ingest"]["seconds"] / unzip
    print(f"\ningest / decompression: {ratio:.1f}x (target: at most 2.5x)")
    print(f"statements: {last['statements']:,}, lines {lines:,}; re-run after one small file: "
          f"read {last['rerun_read']}, rendered {last['rerun_rendered']} statements, "
          f"{last['rerun_changed_files']} statement files changed "
          f"({'only' if last['rerun_only_touched'] else 'NOT only'} those of the "
          f"{len(last['rerun_touched'])} payers it touches), "
          f"{figures['re-run']['seconds'] / figures['end to end']['seconds']:.0%} of the full run")

    result: dict[str, Any] = {
        "size": args.size, "scale": args.scale, "date": dt.date.today().isoformat(),
        "machine": {"arch": platform.machine(), "cores": os.cpu_count(),
                    "memory_gb": round(psutil.virtual_memory().total / 2**30),
                    "python": platform.python_version()},
        "inbox": {"files": len(files), "rows": rows}, "repeat": args.repeat,
        "unzip_seconds": unzip, "figures": figures, "ingest_over_unzip": ratio,
        "statements": last["statements"], "lines": lines,
        "rerun": {k: v for k, v in last.items() if k.startswith("rerun")},
    }
    if args.reference != "none":
        part = args.reference == "auto" and total_rows > HAND_MADE_ROWS
        with tempfile.TemporaryDirectory(dir=inbox.parent) as name:
            read_s, read_note = hand_made_read(files, part)
            write_s, write_note = hand_made_write(inbox, Path(name), part)
        hand = read_s + write_s
        speedup = hand / figures["end to end"]["seconds"]
        print(f"\nhand-made stack: pandas.read_excel(openpyxl) {read_s:.1f} s ({read_note}); "
              f"openpyxl writing the statements {write_s:.1f} s ({write_note})")
        print(f"ledgerflow end to end is {speedup:.1f}x faster than the hand-made stack "
              "(target: at least 5x), and also validates, consolidates and writes HTML")
        result["hand_made"] = {"read_seconds": read_s, "read_note": read_note,
                               "write_seconds": write_s, "write_note": write_note,
                               "speedup": speedup}
    if args.scale == 1.0:
        args.results.mkdir(parents=True, exist_ok=True)
        (args.results / f"{args.size}.json").write_text(json.dumps(result, indent=2) + "\n",
                                                        encoding="utf-8")
        print_scaling(args.results)


def print_scaling(folder: Path) -> None:
    """M against S and L against M: time ratios beside the ratio of rows."""
    found = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in folder.glob("*.json")}
    for small, big in (("S", "M"), ("M", "L")):
        if small not in found or big not in found:
            continue
        a, b = found[small], found[big]
        rows = sum(b["inbox"]["rows"].values()) / sum(a["inbox"]["rows"].values())
        parts = [f"{stage} {b['figures'][stage]['seconds'] / a['figures'][stage]['seconds']:.1f}x"
                 for stage in ("ingest", "consolidate", "render HTML", "render Excel",
                               "end to end")]
        print(f"scaling {big}/{small}: rows {rows:.1f}x; time " + ", ".join(parts))


if __name__ == "__main__":
    sys.exit(main())
