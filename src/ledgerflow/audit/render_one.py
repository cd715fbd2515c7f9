"""One payer's PDF statement printed again from the warehouse, as the period's run prints it
(`render.pool.render_changed`, with the statement the report would build): what `verify`
compares a lone PDF with."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ledgerflow.render.build import statement_headers
from ledgerflow.render.pool import RenderSettings, StatementJob, render_changed
from ledgerflow.render.report import ReportOptions, render_identity
from ledgerflow.rules.consolidate import consolidate
from ledgerflow.rules.period import Period


@dataclass(frozen=True)
class Printed:
    pdf: bytes
    csv: bytes  # the lines attached to it
    identifier: bytes  # the PDF's permanent identifier, as read back


def render_statement(connection: duckdb.DuckDBPyConnection, period: Period, payer: str,
                     options: ReportOptions, stem: str) -> Printed | None:
    """`payer`'s PDF statement of `period` with these settings, written as `<stem>.pdf` (its
    attachment is named after it); None when the warehouse has no statement of that payer."""
    from ledgerflow.audit.verify import read_pdf

    result = consolidate(connection, period, options.money)
    statement = next((s for s in statement_headers(result, render_identity(options, period))
                      if s.payer.lower() == payer.lower()), None)
    if statement is None:
        return None
    with tempfile.TemporaryDirectory(prefix="ledgerflow-verify-") as temp:
        target = Path(temp) / f"{stem}.pdf"
        render_changed(result, [StatementJob(statement, {"pdf": target})], RenderSettings(
            options.locale, options.templates, pdf_engine=options.pdf_engine))
        facts = read_pdf(target)
        csv = next((d for n, d in facts.attachments.items() if n.endswith(".lines.csv")), b"")
        return Printed(target.read_bytes(), csv, facts.identifier)
