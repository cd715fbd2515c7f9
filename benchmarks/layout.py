"""Benchmark: what a statement line costs to lay out, per format, from the one layout.

    .venv/bin/python benchmarks/layout.py [--payers 250] [--lines 200] [--repeat 3]

Builds the generated warehouse of `render.py` (payers with about `--lines` October lines
each), consolidates it, then times `render.markup.line_markup` on the whole batch of lines for
the page's rows, the workbook's rows and the PDF's CSV, each alone and all three at once, in
this process (DuckDB uses every core it is given). Prints microseconds per line, the median of
`--repeat` runs, and how many lines and fields per line.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import duckdb
from render import build

from ledgerflow.render.excel import line_styles
from ledgerflow.render.layout import LINES
from ledgerflow.render.markup import line_markup
from ledgerflow.rules.consolidate import consolidate
from ledgerflow.rules.period import Period


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payers", type=int, default=250)
    parser.add_argument("--lines", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "w.duckdb"
        build(path, args.payers, args.lines)
        with duckdb.connect(str(path)) as connection:
            result = consolidate(connection, Period.month("2026-10"))
            lines = result.lines()
            currency = {key: "RUB" for key in set(lines.column("payer_key").to_pylist())}
            styles = line_styles()
            print(f"{lines.num_rows:,} lines of {len(currency):,} statements, "
                  f"{len(LINES.fields)} fields a line")
            for outputs in (("html",), ("xlsx",), ("csv",), ("html", "xlsx", "csv")):
                seconds = []
                for _ in range(args.repeat):
                    began = time.perf_counter()
                    markup = line_markup(connection, lines, "ru", currency, styles, outputs)
                    seconds.append(time.perf_counter() - began)
                field = {"html": "html", "xlsx": "xml", "csv": "csv"}
                size = sum(len(getattr(m, field[kind])) for m in markup.values()
                           for kind in outputs)
                per_line = statistics.median(seconds) / lines.num_rows * 1e6
                print(f"{' + '.join(outputs):<16} {per_line:6.2f} µs a line "
                      f"({statistics.median(seconds):.2f} s, {size / lines.num_rows:,.0f} "
                      "bytes a line)")


if __name__ == "__main__":
    main()
