"""Write benchmark inputs: a large expenses workbook and the clients workbook it refers to.

    python benchmarks/make_data.py --rows 1000000 --out benchmarks/data/expenses_1m.xlsx

writes benchmarks/data/expenses_1m.xlsx (sheet "expenses") and, beside it,
benchmarks/data/expenses_1m_clients.xlsx (sheet "clients", C000001 .. C<clients>).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

try:
    from workbooks import write_clients_workbook, write_expenses_workbook
except ModuleNotFoundError:  # run from a checkout without the package installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from workbooks import write_clients_workbook, write_expenses_workbook


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="expense rows to write")
    parser.add_argument("--clients", type=int, default=1_000, help="clients C000001.. to refer to")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the expenses")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/data/expenses_1m.xlsx"),
                        help="the expenses workbook to write")
    return parser.parse_args(argv)


def clients_path_beside(expenses_path: Path) -> Path:
    return expenses_path.with_name(f"{expenses_path.stem}_clients.xlsx")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.rows < 1 or args.clients < 1:
        sys.exit("--rows and --clients must be at least 1")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    clients_path = clients_path_beside(args.out)
    write_clients_workbook(clients_path, args.clients)
    started = time.perf_counter()
    write_expenses_workbook(args.out, args.rows, args.clients, seed=args.seed)
    seconds = time.perf_counter() - started
    size_mb = args.out.stat().st_size / 1e6
    print(f"{args.out}: {args.rows:,} rows, {size_mb:.1f} MB in {seconds:.1f} s")
    print(f"{clients_path}: {args.clients:,} clients")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
