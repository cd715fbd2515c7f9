"""The period's reports written from a consolidation: every statement (rendered only when it
changed), the index, the rejects workbook and the manifest.

`run` (after loading the inbox) and `report` (from the warehouse alone) both call
`render_reports`; its manifest has one shape for both.

A run whose ingest refused anything (a file refused whole, or rows of a file loaded in part)
never passes for a final one. By default (`on_refused = "draft"`) the index and every statement
carry a "draft — inputs refused" banner naming the refused files and pointing to the rejects
workbook — on a statement, each file says whether its refused rows name that statement's
accounts (the index marks those statements), and the manifest says the run is not complete. With
`on_refused = "stop"` (`stop_reports`) no statement and no index are written, and those of an
earlier run of the period are removed: left beside today's refusal they would pass for this
run's; only the rejects workbook and the manifest are written.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from ledgerflow import __version__
from ledgerflow.audit.diff import record_run
from ledgerflow.deliver.blocklist import NAMES as BLOCK_LIST
from ledgerflow.deliver.blocklist import write_block_list
from ledgerflow.errors import Problem
from ledgerflow.pipeline import IngestReport, Progress, no_progress
from ledgerflow.rejects import write_rejects
from ledgerflow.render.build import inputs_digest, run_id, statement_headers
from ledgerflow.render.cache import CACHE_NAME, cache_text, read_cache, renderer_digest
from ledgerflow.render.draft import Refused, draft_of, refused_inputs
from ledgerflow.render.excel import write_index_xlsx
from ledgerflow.render.html import HtmlRenderer
from ledgerflow.render.model import IndexEntry, Refusal, Statement
from ledgerflow.render.paths import REJECTS, STATEMENTS, in_folder, inside, unique_stems
from ledgerflow.render.pool import FORMATS, RenderSettings, StatementJob, render_changed
from ledgerflow.render.writer import Written, write_file, write_text
from ledgerflow.rules.consolidate import Consolidation, MoneySettings, consolidate
from ledgerflow.rules.period import Period


@dataclass(frozen=True)
class ReportOptions:
    outputs: tuple[str, ...] = ("html", "xlsx")
    locale: str = "ru"
    templates: Path | None = None
    money: MoneySettings = field(default_factory=MoneySettings)
    on_refused: str = "draft"  # the pipeline's: "draft" (statements carry a banner) or "stop"
    pdf_engine: str = "weasyprint"
    # The pipeline's ingest settings (date_order, partial, rules), for the manifest; None when
    # no inbox was read (`report`): the manifest then says so with nulls, in the same shape.
    ingest: dict[str, Any] | None = None

    def settings(self, period: Period) -> dict[str, Any]:
        """What shaped the numbers and the layout, as the manifest records it: one shape for
        `run` and `report`."""
        ingest = self.ingest or {"date_order": None, "partial": None, "rules": None}
        return {"locale": self.locale, "rounding": self.money.rounding,
                "outputs": list(self.outputs), "pdf_engine": self.pdf_engine,
                "templates": str(self.templates) if self.templates else None,
                "on_refused": self.on_refused, **ingest, "period": period.label}


@dataclass
class ReportResult:
    period: Period
    folder: Path
    statements: list[Statement]
    written: list[Written]
    problems: list[Problem]
    manifest: Path

    rendered: int = 0  # statements rendered this time (the others had not changed)
    rejects: Path | None = None  # the rejects workbook, when the run refused anything
    refused: list[Refusal] = field(default_factory=list)  # the run's refused input files
    stopped: bool = False  # inputs were refused and on_refused = "stop": no statement written
    # per payer whose statement was rendered this time, why: what changed since the period's
    # previous run (`audit.diff.record_run`)
    reasons: dict[str, list[str]] = field(default_factory=dict)

    @property
    def changed(self) -> int:
        return sum(w.changed for w in self.written)

    def formats(self) -> dict[str, tuple[int, int]]:
        """Per statement format, in `FORMATS` order: how many statement files, how many of
        them changed."""
        counts = {kind: [0, 0] for kind in FORMATS}
        for w in self.written:
            kind = w.path.suffix.lstrip(".")
            if w.path.parent.name == STATEMENTS and kind in counts:
                counts[kind][0] += 1
                counts[kind][1] += w.changed
        return {kind: (n, changed) for kind, (n, changed) in counts.items() if n}


def render_identity(options: ReportOptions, period: Period) -> dict[str, Any]:
    """The settings that shape a statement's bytes; with the inputs they make the run id, so the
    monthly run and a later `report` with the same settings give identical statements."""
    return {"period": period.label, "locale": options.locale, "rounding": options.money.rounding,
            "templates": str(options.templates) if options.templates else None}


def _jobs(statements: list[Statement], folder: Path,
          outputs: tuple[str, ...]) -> tuple[list[StatementJob], list[IndexEntry]]:
    stems = unique_stems([s.payer for s in statements])
    base = inside(folder, STATEMENTS)  # resolved once; each name is checked to stay in it
    jobs, entries = [], []
    for statement in statements:
        names = {kind: f"{stems[statement.payer]}.{kind}" for kind in FORMATS
                 if kind in outputs}
        jobs.append(StatementJob(statement, {kind: in_folder(base, name)
                                             for kind, name in names.items()}))
        shown = {kind: f"{STATEMENTS}/{name}" for kind, name in names.items()}
        entries.append(IndexEntry(statement, shown.get("html"), shown.get("xlsx"),
                                  shown.get("pdf")))
    return jobs, entries


def _remove_stale(folder: Path, keep: set[str]) -> None:
    """Statements of payers that no longer have one (a re-run after a correction); `keep`
    names the statement files written or kept."""
    for path in (folder / STATEMENTS).glob("*"):
        if path.suffix.lstrip(".") in FORMATS and path.name not in keep:
            path.unlink()


def render_reports(connection: duckdb.DuckDBPyConnection, period: Period, reports: Path,
                   options: ReportOptions, progress: Progress = no_progress,
                   ingest: IngestReport | None = None,
                   started_at: datetime | None = None,
                   consolidated: Consolidation | None = None) -> ReportResult:
    """Consolidate the period (unless given its consolidation, made on this connection with
    these options) and write every statement, the index, the rejects and the manifest."""
    started_at = started_at or datetime.now(UTC)
    result = consolidated or consolidate(connection, period, options.money)
    statements = statement_headers(result, render_identity(options, period))
    folder = reports / period.label
    refused = _refused(connection, ingest)
    carried = [] if ingest is not None else _standing_refusals(connection, folder)
    if refused:  # every statement is a draft, its banner saying if it may lack refused rows
        statements = [dataclasses.replace(s, draft=draft_of(s, refused)) for s in statements]
    elif carried:  # whom they touch is not known any more: say they may touch everyone
        statements = [dataclasses.replace(s, draft=tuple(carried)) for s in statements]
    refusals = [r.refusal for r in refused] or carried
    jobs, entries = _jobs(statements, folder, options.outputs)
    context = json.dumps({"identity": render_identity(options, period),
                          "outputs": list(options.outputs), "pdf_engine": options.pdf_engine,
                          "renderer": renderer_digest(options.templates)}, sort_keys=True)
    settings = RenderSettings(options.locale, options.templates, context, read_cache(folder),
                              pdf_engine=options.pdf_engine)
    with progress("rendering", len(jobs)) as advance:
        outcome = render_changed(result, jobs, settings, advance)
    folder.mkdir(parents=True, exist_ok=True)
    write_text(folder / CACHE_NAME, cache_text(outcome.cache))
    reasons = record_run(connection, result, folder, render_identity(options, period),
                         outcome.payers)  # before the manifest names this run
    written = outcome.written
    _remove_stale(folder, {w.path.name for w in written})
    if "html" in options.outputs:
        html = HtmlRenderer(options.locale, options.templates).index(entries, period,
                                                                     draft=refusals)
        written.append(write_text(folder / "index.html", html))
    if "xlsx" in options.outputs:
        written.append(write_file(folder / "index.xlsx", lambda temp: write_index_xlsx(
            temp, entries, period, options.locale, refusals)))
    written += write_block_list(folder, result, options.locale)  # to_block.xlsx and .csv
    problems = list(result.problems)
    rejects = _write_rejects(folder, ingest, written, problems, keep=bool(carried))
    drafts = _files(e for e in entries if e.statement.draft)
    touched = _files(e for e in entries if e.statement.touched)
    manifest = _write_manifest(connection, folder, period, options, statements, written,
                               problems, started_at,
                               _completeness(ingest, options, refusals, drafts, touched,
                                             rejects, carried=bool(carried)))
    return ReportResult(period, folder, statements, written, problems, manifest,
                        outcome.rendered, rejects, refusals, reasons=reasons)


def _files(entries: Iterable[IndexEntry]) -> list[str]:
    """The statement files of these index entries, sorted (as the manifest lists them)."""
    return sorted(name for e in entries for name in (e.html, e.xlsx, e.pdf) if name)


def stop_reports(connection: duckdb.DuckDBPyConnection, period: Period, reports: Path,
                 options: ReportOptions, ingest: IngestReport,
                 started_at: datetime | None = None) -> ReportResult:
    """Inputs were refused and the pipeline says `on_refused = "stop"`: no statement and no
    index. Those of an earlier run of the period are removed (beside today's refusal they
    would pass for this run's); the rejects workbook and the manifest are written."""
    started_at = started_at or datetime.now(UTC)
    folder = reports / period.label
    folder.mkdir(parents=True, exist_ok=True)
    _remove_stale(folder, set())
    for name in ("index.html", "index.xlsx", CACHE_NAME, *BLOCK_LIST):
        (folder / name).unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # absent, or holds files that are not statements
        (folder / STATEMENTS).rmdir()
    refusals = [r.refusal for r in _refused(connection, ingest)]
    written: list[Written] = []
    problems: list[Problem] = []
    rejects = _write_rejects(folder, ingest, written, problems)
    completeness = _completeness(ingest, options, refusals, [], [], rejects)
    completeness["note"] = (
        "No statements and no index were written: inputs were refused and the pipeline's "
        'on_refused is "stop". Those of an earlier run of this period were removed.')
    manifest = _write_manifest(connection, folder, period, options, [], written, problems,
                               started_at, completeness)
    return ReportResult(period, folder, [], written, problems, manifest, 0, rejects, refusals,
                        stopped=True)


def _refused(connection: duckdb.DuckDBPyConnection,
             ingest: IngestReport | None) -> list[Refused]:
    """The run's refused input files, each with the clients its missing rows name."""
    if ingest is None or not ingest.refused_anything:
        return []
    known = (key for (key,) in connection.execute("SELECT row_key FROM clients").fetchall())
    return refused_inputs(ingest, known)


def _standing_refusals(connection: duckdb.DuckDBPyConnection, folder: Path) -> list[Refusal]:
    """Refusals that still stand when the statements are rendered from the warehouse alone
    (`report`): those the period's last manifest names, if nothing was loaded or undone since
    (the warehouse's inputs digest is the one that manifest recorded). Rendered again, the
    statements stay drafts and the rejects workbook stays."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    except (OSError, ValueError):
        return []
    if manifest.get("complete") is not False or not manifest.get("refused") \
            or manifest.get("inputs_sha256") != inputs_digest(connection) \
            or not (folder / REJECTS).exists():
        return []
    return [Refusal(str(r["file"]), str(r["status"]), int(r["rows_refused"]), touches=True)
            for r in manifest["refused"]]


def _write_rejects(folder: Path, ingest: IngestReport | None, written: list[Written],
                   problems: list[Problem], keep: bool = False) -> Path | None:
    """The rejects workbook of a run that refused anything (its errors join `problems`), or
    the standing one when `keep`; otherwise an earlier run's, its refusals fixed since, is
    removed."""
    path = folder / REJECTS
    if ingest is not None and ingest.refused_anything:
        tables = [t for o in ingest.outcomes for t in o.tables]
        written.append(_rejects(path, tables, ingest))
        problems.extend(p for p in ingest.problems() if p.severity == "error")
        return path
    if keep:
        written.append(Written(path, hashlib.sha256(path.read_bytes()).hexdigest(), False))
        return path
    if path.exists():
        path.unlink()
    return None


def _rejects(path: Path, tables: list[Any], ingest: IngestReport) -> Written:
    return write_file(path, lambda temp: write_rejects(temp, tables, ingest.problems(), ingest))


def _completeness(ingest: IngestReport | None, options: ReportOptions,
                  refusals: Sequence[Refusal], drafts: list[str], touched: list[str],
                  rejects: Path | None, carried: bool = False) -> dict[str, Any]:
    """The manifest's word on refused inputs. `complete` is null when no inbox was read (the
    `report` command renders the warehouse as it is), unless the refusals of the period's last
    run still stand (`carried`): then false."""
    complete = None if ingest is None else not ingest.refused_anything
    return {
        "complete": False if carried else complete,
        "on_refused": options.on_refused,
        "refused": [{"file": r.file, "status": r.status, "rows_refused": r.rows_refused}
                    for r in refusals],
        "draft_statements": drafts,
        "touched_statements": touched,  # drafts whose accounts the refused rows name (or may)
        "rejects": rejects.name if rejects is not None else None,
    }


def _write_manifest(connection: duckdb.DuckDBPyConnection, folder: Path, period: Period,
                    options: ReportOptions, statements: list[Statement],
                    written: list[Written], problems: list[Problem],
                    started_at: datetime, completeness: dict[str, Any]) -> Path:
    """What the run read and wrote; the run id and inputs digest here cover every input file,
    where each statement's name only the files that statement was built from."""
    everything = inputs_digest(connection)
    root = folder.resolve()
    inputs = connection.execute(
        "SELECT load_id, file, sha256, kinds, rows_accepted, rows_refused, rows_skipped, "
        "status, finished_at FROM loads ORDER BY load_id").fetchall()
    manifest = {
        "ledgerflow_version": __version__,
        "run_id": run_id(everything, render_identity(options, period)),
        "inputs_sha256": everything,
        "period": {"label": period.label, "start": period.start.isoformat(),
                   "end": period.end.isoformat()},
        "started_at": started_at.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "settings": options.settings(period),
        "inputs": [{
            "load_id": load_id, "file": file, "sha256": sha, "kinds": kinds,
            "rows_accepted": accepted, "rows_refused": refused, "rows_skipped": skipped,
            "status": status, "loaded_at": loaded_at.isoformat(),
        } for load_id, file, sha, kinds, accepted, refused, skipped, status, loaded_at in inputs],
        "outputs": sorted(({"file": _relative(w.path, root).as_posix(),
                            "sha256": w.sha256} for w in written), key=lambda o: o["file"]),
        "statements": len(statements),
        "problems": len(problems),
        **completeness,
    }
    path = folder / "manifest.json"
    write_text(path, json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
    return path


def _relative(path: Path, root: Path) -> Path:
    """path below root (resolved); statements' paths are resolved already."""
    return (path if path.is_relative_to(root) else path.resolve()).relative_to(root)
