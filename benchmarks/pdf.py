"""Benchmark: PDF statements, seconds per statement for each engine, and what M would take.

    .venv/bin/python benchmarks/pdf.py [--engines weasyprint,chromium] [--typical 6]
        [--lines 200] [--png docs/statement-pdf.png]

Two sets of statements, each statement's page rendered by `HtmlRenderer` first (not timed):
the sample inbox's October statements (`sample_data/`, loaded into a fresh warehouse: 27
statements of 0–21 lines), and `--typical` statements of `--lines` lines each from the
generated warehouse of `benchmarks/render.py`. Each engine prints every statement once in this
process (after one untimed statement: Chromium's start, WeasyPrint's fonts), then the typical
statements again in two worker processes at once, for what the two cores really give together.

The estimate for M (5,700 statements, 1,000,000 lines): a line fitted through the single
process's times, seconds = a + b × lines, gives 5,700 × a + 1,000,000 × b seconds of one
process; divided by the speed-up the two workers measured, the time on both cores. The target
is at most 5 minutes. The CPU time per typical statement counts Chromium's own processes too:
a browser keeps more than one core busy, so two of them gain little on two cores. "At best"
is M's CPU time (one process's time × CPU per wall second, at least 1) over two free cores.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import multiprocessing
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Sequence
from multiprocessing.synchronize import Barrier
from pathlib import Path

import duckdb
import psutil
import pypdfium2
from render import build

from ledgerflow.pipeline import load_inbox
from ledgerflow.render.build import build_statements
from ledgerflow.render.html import HtmlRenderer
from ledgerflow.render.model import Statement
from ledgerflow.render.pdf import ENGINES, pdf_bytes
from ledgerflow.rules.consolidate import consolidate
from ledgerflow.rules.period import Period

ROOT = Path(__file__).resolve().parent.parent
OCTOBER = Period.month("2026-10")
M_STATEMENTS, M_LINES = 5_700, 1_000_000
TARGET_S = 300.0
# payer, page, run id, inputs' digest, engine, lines, the lines as CSV
Job = tuple[str, bytes, str, str, str, int, bytes]


def statements(warehouse: Path) -> list[Statement]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        result = consolidate(connection, OCTOBER)
        return build_statements(result, {})


def sample_statements(folder: Path) -> list[Statement]:
    inbox = folder / "sample_inbox"
    shutil.copytree(ROOT / "sample_data", inbox)
    warehouse = folder / "sample.duckdb"
    if load_inbox(inbox, warehouse).exit_code != 0:
        raise SystemExit("the sample inbox did not load")
    return statements(warehouse)


def typical_statements(folder: Path, count: int, lines: int) -> list[Statement]:
    warehouse = folder / "typical.duckdb"
    build(warehouse, count, lines)
    return statements(warehouse)


def lines_csv(st: Statement) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["date", "kind", "line_id", "account", "amount_payer", "balance",
                     "source_file", "source_sheet", "source_row"])
    writer.writerows([ln.date.isoformat(), ln.kind, ln.line_id, ln.account, ln.amount_payer,
                      ln.balance, ln.source_file, ln.source_sheet, ln.source_row]
                     for ln in st.lines)
    return out.getvalue().encode()


def jobs(sts: Sequence[Statement], engine: str) -> list[Job]:
    renderer = HtmlRenderer("ru")
    return [(st.payer, renderer.statement(st).encode(), st.run_id, st.inputs_sha256, engine,
             st.lines_count, lines_csv(st)) for st in sts]


def print_pdf(job: Job) -> tuple[int, float, int]:
    """(lines, seconds, bytes) of one statement's PDF."""
    payer, page, run_id, inputs, engine, lines, csv_bytes = job
    started = time.perf_counter()
    pdf = pdf_bytes(page, run_id=run_id, inputs_sha256=inputs, title=f"{payer} 2026-10",
                    lang="ru", attachment=(f"{payer}.lines.csv", csv_bytes), engine=engine)
    return lines, time.perf_counter() - started, len(pdf)


def fit(points: Sequence[tuple[int, float]]) -> tuple[float, float]:
    """Least squares: seconds = a + b × lines."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    b, a = statistics.linear_regression(xs, ys)
    return a, b


def tree_cpu() -> float:
    """CPU seconds used so far by this process and its descendants still running (Chromium's
    browser, renderer and GPU processes)."""
    me = psutil.Process()
    total = 0.0
    for process in [me, *me.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):
            times = process.cpu_times()
            total += times.user + times.system
    return total


def worker(share: list[Job], barrier: Barrier) -> None:
    print_pdf(share[0])  # untimed: this process's browser, its fonts
    barrier.wait()
    for job in share:
        print_pdf(job)
    barrier.wait()


def two_workers(typical: list[Job]) -> float:
    """Seconds for two processes to print the typical statements between them."""
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(3)
    workers = [context.Process(target=worker, args=(typical[i::2], barrier)) for i in (0, 1)]
    for process in workers:
        process.start()
    barrier.wait()
    started = time.perf_counter()
    barrier.wait()
    elapsed = time.perf_counter() - started
    for process in workers:
        process.join()
    return elapsed


def spin(_: int = 0) -> float:
    """The reference: a pure-Python loop of about a second, timed."""
    started = time.perf_counter()
    total = 0
    for i in range(20_000_000):
        total += i
    return time.perf_counter() - started


def reference() -> float:
    """How many times one process's work two processes do at once on this machine now (2.0
    when both cores are free)."""
    one = spin()
    with multiprocessing.get_context("fork").Pool(2) as pool:
        started = time.perf_counter()
        pool.map(spin, [0, 1], chunksize=1)
        both = time.perf_counter() - started
    return 2 * one / both


def measure(engine: str, sample: list[Job], typical: list[Job]) -> dict[str, float]:
    print_pdf(typical[0])  # untimed: the browser's start, the fonts
    small = [print_pdf(job) for job in sample]
    cpu = tree_cpu()
    large = [print_pdf(job) for job in typical]
    cpu = tree_cpu() - cpu
    both = two_workers(typical)
    one = sum(s for _, s, _ in large)
    a, b = fit([(lines, s) for lines, s, _ in small + large])
    speedup = one / both
    m_one = M_STATEMENTS * a + M_LINES * b
    return {"sample_s": statistics.mean(s for _, s, _ in small),
            "sample_lines": statistics.mean(n for n, _, _ in small),
            "typical_s": statistics.median(s for _, s, _ in large),
            "typical_cpu": cpu / len(large),
            "typical_lines": statistics.mean(n for n, _, _ in large),
            "typical_kb": statistics.mean(size for _, _, size in large) / 1024,
            "a": a, "b_ms": b * 1000, "speedup": speedup, "m_one": m_one,
            "m_both": m_one / speedup,
            # both cores free for it: the CPU time of M, spread over two cores
            "m_free": m_one * max(1.0, cpu / one) / 2}


def first_page_png(job: Job, path: Path) -> None:
    payer, page, run_id, inputs, engine, _, csv_bytes = job
    pdf = pdf_bytes(page, run_id=run_id, inputs_sha256=inputs, title=f"{payer} 2026-10",
                    lang="ru", attachment=(f"{payer}.lines.csv", csv_bytes), engine=engine)
    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[0].render(scale=80 / 72).to_pil()
        image.convert("P", palette=1, colors=128).save(path, optimize=True)  # 1: adaptive
    finally:
        document.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--typical", type=int, default=6, help="statements of --lines lines")
    parser.add_argument("--lines", type=int, default=200)
    parser.add_argument("--png", type=Path, help="write the first page of the sample's "
                        "longest statement (WeasyPrint) here, at 80 dpi")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        sample = sample_statements(folder)
        typical = typical_statements(folder, args.typical, args.lines)
    if args.png:
        longest = max(sample, key=lambda st: st.lines_count)
        first_page_png(jobs([longest], "weasyprint")[0], args.png)
        print(f"{args.png}: {longest.payer}, {args.png.stat().st_size / 1024:.0f} KB")
    print(f"{len(sample)} sample statements, {len(typical)} of about {args.lines} lines; "
          f"{os.cpu_count()} cores; reference: two processes of a pure-Python loop do "
          f"{reference():.2f}x one's work (2.00 when both cores are free)")
    for engine in args.engines.split(","):
        r = measure(engine, jobs(sample, engine), jobs(typical, engine))
        verdict = "met" if r["m_both"] <= TARGET_S else "missed"
        print(f"{engine}: sample {r['sample_s']:.3f} s/statement ({r['sample_lines']:.1f} lines)"
              f"; {r['typical_lines']:.0f} lines {r['typical_s']:.2f} s/statement "
              f"({r['typical_cpu']:.2f} s of CPU with child processes), "
              f"{r['typical_kb']:.0f} KB; fit {r['a']:.3f} s + {r['b_ms']:.2f} ms/line; two "
              f"workers {r['speedup']:.2f}x one; M: {r['m_one']:,.0f} s in one process, "
              f"{r['m_both']:,.0f} s = {r['m_both'] / 60:.0f} min on both cores "
              f"(target {TARGET_S / 60:.0f} min: {verdict}); with both cores free at best "
              f"{r['m_free']:,.0f} s = {r['m_free'] / 60:.0f} min")


if __name__ == "__main__":
    main()
