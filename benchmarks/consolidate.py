"""Benchmark: consolidate 1,000,000 expenses over 20,000 clients for one month.

    .venv/bin/python benchmarks/consolidate.py [--expenses 1000000] [--clients 20000] [--repeat 3]

The warehouse is generated directly in DuckDB (the ingest benchmark measures reading): 5,000
masters with 15,000 related accounts (a quarter in USD under RUB masters, some links starting
or ending inside October), 100,000 payments, the expenses spread over August–October, a default
USD rate that changes mid-October, a personal discount and a default tax.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import duckdb
from generated import lineage

from ledgerflow.load import warehouse
from ledgerflow.rules.consolidate import consolidate
from ledgerflow.rules.period import Period


def build(path: Path, clients: int, expenses: int) -> None:
    masters = clients // 4
    with duckdb.connect(str(path)) as connection:
        warehouse.create_schema(connection)
        connection.execute(f"""
            INSERT INTO clients SELECT
                'C' || lpad(i::VARCHAR, 6, '0'), 'Client ' || i, 'individual', NULL, 'RU',
                CASE WHEN i >= {masters} AND i % 4 = 0 THEN 'USD' ELSE 'RUB' END,
                (i % 10) * 1000, i % 50 = 0, CASE WHEN i % 3 = 0 THEN 30 END,
                CASE WHEN i % 5 = 0 THEN 60 END, NULL, NULL, 'active', NULL,
                {lineage("'C' || lpad(i::VARCHAR, 6, '0')")}
            FROM range({clients}) t(i)""")
        connection.execute(f"""
            INSERT INTO links SELECT
                'C' || lpad((i % {masters})::VARCHAR, 6, '0'), 'C' || lpad(i::VARCHAR, 6, '0'),
                DATE '2026-01-01' + (i % 300)::INTEGER,
                CASE WHEN i % 7 = 0 THEN DATE '2026-10-10' + (i % 15)::INTEGER END,
                {lineage("'L' || i")}
            FROM range({masters}, {clients}) t(i)""")
        connection.execute(f"""
            INSERT INTO payments SELECT
                'P' || i, 'C' || lpad((i % {masters})::VARCHAR, 6, '0'),
                DATE '2026-08-01' + (i % 92)::INTEGER, 1000 + (i % 997) * 10, 'RUB',
                CASE WHEN i % 50 = 0 THEN 'refund' ELSE 'payment' END, NULL, NULL,
                {lineage("'P' || i")}
            FROM range(100000) t(i)""")
        connection.execute(f"""
            INSERT INTO expenses SELECT
                'E' || i, 'C' || lpad(((i * 7919) % {clients})::VARCHAR, 6, '0'),
                DATE '2026-08-01' + (i % 92)::INTEGER, ((i * 31) % 100000) / 100,
                CASE WHEN ((i * 7919) % {clients}) >= {masters}
                      AND ((i * 7919) % {clients}) % 4 = 0 THEN 'USD' ELSE 'RUB' END,
                CASE WHEN i % 3 = 0 THEN 'sms' ELSE 'voice' END, NULL,
                {lineage("'E' || i")}
            FROM range({expenses}) t(i)""")
        connection.execute(f"""
            INSERT INTO rates VALUES
                (NULL, 'RUB', 'USD', 92.4512, 1, DATE '2026-01-01', {lineage("'r1'", "2")}),
                (NULL, 'RUB', 'USD', 95.1, 1, DATE '2026-10-15', {lineage("'r2'", "3")})""")
        connection.execute(f"""
            INSERT INTO discounts SELECT 'C' || lpad(i::VARCHAR, 6, '0'), 10, 'sms',
                DATE '2026-01-01', NULL, {lineage("'d' || i")}
            FROM range(0, {clients}, 10) t(i)""")
        connection.execute(f"""
            INSERT INTO taxes VALUES (NULL, 20, NULL, DATE '2026-01-01', NULL,
                {lineage("'t'", "2")})""")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--expenses", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.duckdb"
        started = time.perf_counter()
        build(path, args.clients, args.expenses)
        print(f"built {args.clients:,} clients, {args.expenses:,} expenses in "
              f"{time.perf_counter() - started:.1f} s")
        times = []
        for _ in range(args.repeat):
            with duckdb.connect(str(path), read_only=True) as connection:
                started = time.perf_counter()
                result = consolidate(connection, Period.month("2026-10"))
                times.append(time.perf_counter() - started)
        print(f"consolidate: median {statistics.median(times):.2f} s over {args.repeat} runs "
              f"({', '.join(f'{t:.2f}' for t in times)}); {len(result.payers):,} payers, "
              f"{len(result.problems)} problems")


if __name__ == "__main__":
    main()
