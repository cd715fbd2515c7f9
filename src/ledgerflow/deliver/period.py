"""What `send` and `remind` may rely on: the period's reports as the last run left them.

A period is sent from what the run wrote (`reports/<period>/manifest.json` and the statement
files it lists), and only when

- the run's statements are final: when its inputs were refused (`"complete": false`, or draft
  statements listed), the statements may lack a payment, so nothing is sent and no one is
  reminded unless forced (`--force`);
- the warehouse is the one they were built from (the manifest's inputs digest is the
  warehouse's): a file loaded since may change them; run the period again first (unchanged
  statements keep their bytes, and are not sent again);
- each statement file is the one the manifest lists (its SHA-256), not edited since.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from ledgerflow.errors import UsageError
from ledgerflow.render.build import inputs_digest
from ledgerflow.rules.period import Period


@dataclass(frozen=True)
class PeriodReports:
    period: Period
    folder: Path
    manifest: dict[str, Any]

    @property
    def outputs(self) -> dict[str, str]:
        """The manifest's outputs: file (relative to the folder) -> SHA-256."""
        return {str(o["file"]): str(o["sha256"]) for o in self.manifest.get("outputs", [])}

    @property
    def settings(self) -> dict[str, Any]:
        return dict(self.manifest.get("settings") or {})

    @property
    def drafts(self) -> bool:
        return self.manifest.get("complete") is False or bool(
            self.manifest.get("draft_statements"))

    def verified(self, relative: str) -> tuple[bytes | None, str | None]:
        """A file the manifest lists, read and checked against its SHA-256: (its bytes, None),
        or (None, why not)."""
        expected = self.outputs.get(relative)
        if expected is None:
            return None, f"the manifest lists no {relative}"
        try:
            data = (self.folder / relative).read_bytes()
        except OSError as exc:
            return None, f"{relative} cannot be read ({exc.strerror or exc})"
        if hashlib.sha256(data).hexdigest() != expected:
            return None, (f"{relative} is not the file the run wrote (its SHA-256 differs from "
                          "the manifest's): run the period again")
        return data, None


def period_reports(reports: Path, period: Period, command: str, pipeline: Path) -> PeriodReports:
    """The period's manifest, or a usage error saying how to make it."""
    folder = reports / period.label
    again = f"ledgerflow run {pipeline} --period {period.label}"
    try:
        manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    except FileNotFoundError:
        raise UsageError(f"There are no reports of {period.label} in {folder} to {command}: "
                         f"run `{again}` first.") from None
    except (OSError, ValueError) as exc:
        raise UsageError(f"The manifest of {period.label} ({folder / 'manifest.json'}) cannot "
                         f"be read ({exc}): run `{again}` again.") from exc
    return PeriodReports(period, folder, manifest)


def check_ready(reports: PeriodReports, connection: duckdb.DuckDBPyConnection, *, force: bool,
                command: str, pipeline: Path) -> None:
    """Refuse (a usage error) what must not be sent: drafts unless forced, statements the
    warehouse has moved on from."""
    label = reports.period.label
    done = "sent" if command == "send" else "written"
    again = f"ledgerflow run {pipeline} --period {label}"
    if reports.manifest.get("note") and not reports.manifest.get("statements"):
        raise UsageError(f"The last run of {label} wrote no statements: "
                         f"{reports.manifest['note']} Fix the refused files and run "
                         f"`{again}`.")
    if reports.drafts and not force:
        refused = ", ".join(str(r.get("file")) for r in reports.manifest.get("refused", []))
        raise UsageError(
            f"The statements of {label} are drafts: inputs of the run were refused "
            f"({refused or 'see the manifest'}), so they may lack a payment. Nothing was "
            f"{done}. Fix the refused rows "
            f"({reports.manifest.get('rejects') or 'rejects.xlsx'} in {reports.folder}) and "
            f"run `{again}`, or pass --force to {command} them as they are.")
    if reports.manifest.get("inputs_sha256") != inputs_digest(connection):
        raise UsageError(
            f"The warehouse has changed since the reports of {label} were written (a file was "
            f"loaded or a load undone); nothing was {done}. Run `{again}` first: statements that "
            "did not change keep their bytes and are not sent again.")


@contextmanager
def open_warehouse(path: Path, write: bool) -> Iterator[duckdb.DuckDBPyConnection]:
    """The warehouse, as the other commands open it: for writing (`deliveries` is written;
    the single-writer lock keeps a second `send --deliver` out) or for reading (a dry run)."""
    from ledgerflow.load.warehouse import connect, read_warehouse

    if not write:
        with read_warehouse(path) as connection:
            yield connection
        return
    if not path.exists():
        raise UsageError(f"There is no warehouse at {path}; load an inbox first.")
    connection = connect(path)
    try:
        yield connection
    finally:
        connection.close()
