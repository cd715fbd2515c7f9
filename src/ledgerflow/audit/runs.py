"""What each run of a period showed, kept so two runs can be compared (`ledgerflow diff`).

Every render of a period records, in the period's folder, `.runs/<run id>.lines.parquet` (every
statement line, as `Consolidation.lines` gives it) and `.runs/<run id>.payers.parquet` (per
payer: its name, currency, opening and closing balance, and the input files its statement was
built from). The run id names the warehouse state and the settings (`render.build.run_id`), so
the same state is recorded once. The folder is hidden: it is no report, `verify` leaves it be.

The record is also how the monthly run tells why it rendered a statement again: the lines
added, removed or changed since the period's previous run, and the input files new to it.
"""

from __future__ import annotations

import glob
import json
import re
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from ledgerflow.errors import UsageError
from ledgerflow.render.build import inputs_digest, run_id
from ledgerflow.render.writer import write_file
from ledgerflow.rules.consolidate import Consolidation
from ledgerflow.rules.period import Period

RUNS = ".runs"  # in the period's folder


@dataclass(frozen=True)
class RunRecord:
    """The lines and payers of one run (or of the warehouse now)."""

    name: str  # the run id, or what the record was made from
    lines: pa.Table  # the columns of `LINE_COLUMNS`
    payers: pa.Table  # payer_key, payer, name, currency, opening, closing, inputs


def record_of(connection: duckdb.DuckDBPyConnection, result: Consolidation,
              name: str) -> RunRecord:
    """The record of a consolidation: what its statements show."""
    files = dict(connection.execute(
        "SELECT sha256, any_value(file ORDER BY load_id) FROM loads GROUP BY sha256"
    ).fetchall())
    inputs = result.input_files()
    payers = result.payers
    keys = [str(k) for k in payers["payer_key"]]
    table = pa.table({
        "payer_key": keys, "payer": [str(p) for p in payers["payer"]],
        "name": [str(n) for n in payers["name"]],
        "currency": [str(c) for c in payers["currency"]],
        "opening": pa.array(list(payers["opening"]), pa.decimal128(38, 4)),
        "closing": pa.array(list(payers["closing"]), pa.decimal128(38, 4)),
        "inputs": pa.array([[{"file": files.get(sha, "?"), "sha256": sha}
                             for sha in inputs.get(key, [])] for key in keys],
                           pa.list_(pa.struct([("file", pa.string()),
                                               ("sha256", pa.string())]))),
    })
    return RunRecord(name, result.lines(), table)


def run_of(connection: duckdb.DuckDBPyConnection, settings: dict[str, object]) -> str:
    """The run id of the warehouse as it is, with these settings (`render_identity`)."""
    return run_id(inputs_digest(connection), settings)


def save(record: RunRecord, folder: Path) -> None:
    """Writes the record in the period's folder (once per run id)."""
    for part, table in (("lines", record.lines), ("payers", record.payers)):
        target = folder / RUNS / f"{record.name}.{part}.parquet"
        if not target.exists():  # written whole, or a clear message (a full disk ...)
            write_file(target, partial(_write_parquet, table))


def _write_parquet(table: pa.Table, path: Path) -> None:
    pq.write_table(table, path, compression="zstd")


def load(folder: Path, name: str) -> RunRecord | None:
    """The record of run `name` kept in a period's folder, or None."""
    runs = folder / RUNS
    try:
        return RunRecord(name, pq.read_table(runs / f"{name}.lines.parquet"),
                         pq.read_table(runs / f"{name}.payers.parquet"))
    except (OSError, pa.ArrowInvalid):
        return None


def folder_run(folder: Path) -> str | None:
    """The run id the period folder's manifest names (its last run)."""
    try:
        found = json.loads((folder / "manifest.json").read_text("utf-8")).get("run_id")
    except (OSError, ValueError, AttributeError):
        return None
    return str(found) if found else None


def resolve(spec: str, warehouse: Path, reports: Path) -> RunRecord:
    """The record `spec` names: a report folder (its last run), a period like 2026-10 (the
    warehouse now, with the rounding of that period's last run), or a run id (or its start)
    kept under `reports`."""
    path = Path(spec)
    if path.is_dir():
        name = folder_run(path)
        found = load(path, name) if name else None
        if found is None:
            raise UsageError(f"{path} holds no record of its run (no manifest, or written "
                             "before ledgerflow kept them); render its period again.")
        return found
    if re.fullmatch(r"\d{4}-\d{2}", spec):
        from ledgerflow.load.warehouse import read_warehouse
        from ledgerflow.rules.consolidate import MoneySettings, consolidate

        try:
            rounding = json.loads((reports / spec / "manifest.json").read_text("utf-8"))[
                "settings"]["rounding"]
        except (OSError, ValueError, KeyError, TypeError):
            rounding = "half_up"
        with read_warehouse(warehouse) as connection:
            result = consolidate(connection, Period.month(spec), MoneySettings(rounding))
            return record_of(connection, result, f"{spec} (the warehouse now)")
    kept = sorted(reports.glob(f"*/{RUNS}/{glob.escape(spec)}*.lines.parquet"))
    names = {(p.parent.parent, p.name.removesuffix(".lines.parquet")) for p in kept}
    if len(names) != 1:
        raise UsageError(f"{spec} is no report folder, period or run of {reports}"
                         if not names else f"{spec} names {len(names)} runs; give more of it.")
    [(folder, name)] = names
    record = load(folder, name)
    if record is None:
        raise UsageError(f"The record of run {name} in {folder / RUNS} cannot be read.")
    return record
