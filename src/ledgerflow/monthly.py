"""The monthly run: ingest the inbox, then render the period's reports from the warehouse.

`run_pipeline` chains the stages for the unattended monthly run (the `run` command): the
ingest stage (`pipeline.load_inbox`) hands its report of what was loaded and refused to the
render stage (`render.report`), which consolidates the period and writes every report the
same way the `report` command does from the warehouse alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from ledgerflow.config import PipelineConfig
from ledgerflow.load.warehouse import read_warehouse
from ledgerflow.pipeline import (
    NOTHING_NEW,
    IngestOptions,
    IngestReport,
    Progress,
    load_inbox,
    no_progress,
)
from ledgerflow.render.report import ReportOptions, ReportResult, render_reports, stop_reports
from ledgerflow.rules.period import Period

__all__ = ["ReportOptions", "ReportResult", "RunResult", "render_period", "render_reports",
           "report_options", "run_pipeline"]


@dataclass
class RunResult:
    ingest: IngestReport
    report: ReportResult
    period_has_lines: bool = True  # the warehouse holds a payment or expense dated in the period

    @property
    def rejects(self) -> Path | None:
        """The rejects workbook written by the run (None: nothing was refused)."""
        return self.report.rejects

    @property
    def exit_code(self) -> int:
        """1: something was refused, or the statements have problems; `NOTHING_NEW` (4): the
        inbox was empty, or held no new file while the period has no line yet (a run before
        the month's files arrived); 0: otherwise."""
        if self.ingest.refused_anything or self.report.problems:
            return 1
        if self.ingest.empty or (self.ingest.nothing_new and not self.period_has_lines):
            return NOTHING_NEW
        return 0


def run_pipeline(config: PipelineConfig, period_override: str | None = None,
                 progress: Progress = no_progress, today: date | None = None) -> RunResult:
    started_at = datetime.now(UTC)
    period = config.resolve_period(period_override, today or date.today())
    ingest = load_inbox(config.inbox, config.warehouse, IngestOptions(
        partial=config.partial, values=config.values, hierarchy=config.hierarchy), progress)
    with read_warehouse(config.warehouse) as connection:
        report = render_period(connection, config, period, ingest, progress, started_at)
        has_lines = not ingest.nothing_new or _has_lines(connection, period)
    return RunResult(ingest, report, has_lines)


def report_options(config: PipelineConfig) -> ReportOptions:
    """How the pipeline's statements are rendered."""
    return ReportOptions(config.outputs, config.locale, config.templates, config.money,
                         config.on_refused, config.pdf_engine, config.ingest_settings())


def render_period(connection: duckdb.DuckDBPyConnection, config: PipelineConfig,
                  period: Period, ingest: IngestReport, progress: Progress = no_progress,
                  started_at: datetime | None = None) -> ReportResult:
    """The render stage after an ingest (the monthly run's, or a file `ledgerflow watch` took):
    the period's reports, unless the ingest refused something and the pipeline says
    `on_refused = "stop"`."""
    options = report_options(config)
    if config.on_refused == "stop" and ingest.refused_anything:
        return stop_reports(connection, period, config.reports, options, ingest, started_at)
    return render_reports(connection, period, config.reports, options, progress, ingest,
                          started_at)


def _has_lines(connection: duckdb.DuckDBPyConnection, period: Period) -> bool:
    """The warehouse holds a payment or an expense dated inside the period."""
    found = connection.execute(
        "SELECT EXISTS (SELECT 1 FROM payments WHERE date BETWEEN $1 AND $2) "
        "OR EXISTS (SELECT 1 FROM expenses WHERE date BETWEEN $1 AND $2)",
        [period.start, period.end]).fetchone()
    return bool(found and found[0])
