"""Benchmark: render 5,000 statements of about 200 lines each, HTML and Excel, on all cores.

    .venv/bin/python benchmarks/render.py [--payers 5000] [--lines 200] [--repeat 1]

The warehouse is generated in DuckDB (5,000 payers, each with ~200 October lines: expenses,
a payment, a share in USD converted at the default rate); then the script times the
consolidation, building the statements, and rendering every HTML and Excel file into a
fresh folder.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import duckdb
from generated import lineage

from ledgerflow.load import warehouse
from ledgerflow.monthly import ReportOptions, render_reports
from ledgerflow.rules.period import Period


def build(path: Path, payers: int, lines: int) -> None:
    expenses = payers * (lines - 1)
    with duckdb.connect(str(path)) as connection:
        warehouse.create_schema(connection)
        connection.execute(f"""
            INSERT INTO clients SELECT 'C' || lpad(i::VARCHAR, 5, '0'), 'ООО «Клиент ' || i || '»',
                'individual', NULL, 'RU', 'RUB', 10000, false, 30, 90, NULL, 'Иванова Е. П.',
                'active', NULL, {lineage("'C' || lpad(i::VARCHAR, 5, '0')")}
            FROM range({payers}) t(i)""")
        connection.execute(f"""
            INSERT INTO payments SELECT 'P' || i, 'C' || lpad(i::VARCHAR, 5, '0'),
                DATE '2026-10-01', 50000, 'RUB', 'payment', 'п/п ' || i, NULL,
                {lineage("'P' || i")}
            FROM range({payers}) t(i)""")
        connection.execute(f"""
            INSERT INTO expenses SELECT 'E' || i, 'C' || lpad((i % {payers})::VARCHAR, 5, '0'),
                DATE '2026-10-01' + (i % 31)::INTEGER, ((i * 37) % 50000) / 100,
                CASE WHEN i % 10 = 0 THEN 'USD' ELSE 'RUB' END, 'sms',
                'SMS-рассылка, пакет ' || (i % 17), {lineage("'E' || i")}
            FROM range({expenses}) t(i)""")
        connection.execute(f"""
            INSERT INTO rates VALUES (NULL, 'RUB', 'USD', 92.4512, 1, DATE '2026-01-01',
                {lineage("'r'", "2")})""")
        connection.execute(f"""
            INSERT INTO taxes VALUES (NULL, 20, NULL, DATE '2026-01-01', NULL,
                {lineage("'t'", "2")})""")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payers", type=int, default=5000)
    parser.add_argument("--lines", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.duckdb"
        build(path, args.payers, args.lines)
        times = []
        for n in range(args.repeat):
            out = Path(folder) / f"reports{n}"
            with duckdb.connect(str(path), read_only=True) as connection:
                started = time.perf_counter()
                result = render_reports(connection, Period.month("2026-10"), out,
                                        ReportOptions())
                times.append(time.perf_counter() - started)
            files = sum(1 for _ in (out / "2026-10" / "statements").iterdir())
            lines = sum(s.lines_count for s in result.statements)
        print(f"{len(result.statements):,} statements, {lines:,} lines, {files:,} files on "
              f"{os.cpu_count()} cores: median {statistics.median(times):.1f} s "
              f"({', '.join(f'{t:.1f}' for t in times)}) for consolidate + build + render "
              "HTML and Excel + index + manifest")


if __name__ == "__main__":
    main()
