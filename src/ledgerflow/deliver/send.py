"""`ledgerflow send`: each payer's statement of the period e-mailed to the address on its card.

The statements are the files the period's run wrote (`period`: final, current, unedited). Each
payer gets one message, its PDF statement attached (and its Excel one when `[mail]` `attach`
says so), the subject and body from the locale's `statement` template naming the period, the
closing balance and what is due. A payer whose card has no e-mail, or one that is not a usable
address, is listed.

What was delivered is in the warehouse's `deliveries` table (`record`): a statement already
sent (same payer, period and PDF bytes) is not sent again; one that changed since it was sent
is sent again only with `resend_changed`, its message saying it replaces the earlier one (and
referring to it, `References`); one whose sending was interrupted (the server may have it) only
with `resend_uncertain`.

A dry run (the default) writes the messages to `reports/<period>/outbox/` as `.eml` files and
records nothing; `deliver` sends them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from email.headerregistry import Address
from functools import partial

import duckdb

from ledgerflow.config import PipelineConfig
from ledgerflow.deliver import record
from ledgerflow.deliver.batch import (
    ALREADY_SENT,
    CHANGED,
    NO_FILE,
    UNCERTAIN,
    BatchResult,
    Outgoing,
    Skipped,
    books,
    run_batch,
)
from ledgerflow.deliver.message import Attachment, build_message, message_id
from ledgerflow.deliver.period import PeriodReports, period_reports
from ledgerflow.errors import UsageError
from ledgerflow.pipeline import Progress, no_progress
from ledgerflow.render.model import Statement
from ledgerflow.render.paths import OUTBOX, STATEMENTS
from ledgerflow.rules.period import Period


@dataclass(frozen=True)
class SendOptions:
    deliver: bool = False
    resend_changed: bool = False
    resend_uncertain: bool = False
    force: bool = False  # send drafts too
    today: datetime | None = None  # the messages' Date (tests)


def send_statements(config: PipelineConfig, period: Period, options: SendOptions,
                    progress: Progress = no_progress) -> BatchResult:
    reports = period_reports(config.reports, period, "send", config.source)
    written = reports.settings.get("outputs", [])
    if "pdf" not in written:
        raise UsageError(f"The run of {period.label} wrote no PDF statements, and a "
                         'statement is e-mailed as a PDF: add "pdf" to outputs in '
                         f"{config.source.name} and run the period again.")
    if "xlsx" in config.attach and "xlsx" not in written:
        raise UsageError(f"[mail] attach names the Excel statement, but the run of "
                         f"{period.label} wrote none: add \"xlsx\" to outputs in "
                         f"{config.source.name} and run the period again.")
    planner = partial(plan, reports=reports, config=config, options=options)
    return run_batch(config, reports, "statement", reports.folder / OUTBOX, planner,
                     deliver=options.deliver, force=options.force, progress=progress)


def plan(connection: duckdb.DuckDBPyConnection, sender: Address, bcc: Address | None, *,
         reports: PeriodReports, config: PipelineConfig, options: SendOptions
         ) -> tuple[list[Outgoing], list[Skipped]]:
    """The message of every payer that is to get one now, and why the others get none."""
    period = reports.period
    found = books(connection, reports, config)
    earlier = record.by_payer(record.history(connection, "statement", period.label))
    when = options.today or datetime.now(UTC)
    planned: list[Outgoing] = []
    skipped: list[Skipped] = []
    for statement in found.statements:
        key = statement.payer.lower()
        to = found.reader(statement)
        if isinstance(to, Skipped):
            skipped.append(to)
            continue
        stem = found.stems[statement.payer]
        files: dict[str, bytes] = {}
        problem = None
        for kind in config.attach:
            data, problem = reports.verified(f"{STATEMENTS}/{stem}.{kind}")
            if data is None:
                break
            files[kind] = data
        if problem is not None:
            skipped.append(Skipped(statement.payer, NO_FILE, problem))
            continue
        sha = hashlib.sha256(files["pdf"]).hexdigest()
        last = _last_delivered(earlier.get(key, []))
        replaces = None
        if last is not None and last.sha256 == sha:
            if last.outcome == record.SENT:
                skipped.append(Skipped(statement.payer, ALREADY_SENT,
                                       f"sent on {_when(last)} to {last.address}"))
                continue
            if not options.resend_uncertain:
                skipped.append(Skipped(statement.payer, UNCERTAIN, _uncertain(last)))
                continue
        elif last is not None:
            if not options.resend_changed:
                skipped.append(Skipped(
                    statement.payer, CHANGED,
                    f"changed since it was sent on {_when(last)}; --resend-changed sends it "
                    "again, saying it replaces the earlier one"))
                continue
            replaces = last
        overdue = sum((d.unpaid for d in found.debts.get(key, [])
                       if d.overdue(statement.deferral_days)), start=Decimal(0))
        subject, body = found.templates.render(
            "statement", **_context(statement, overdue, list(files), replaces,
                                    reports.drafts))
        identity = message_id(sender.domain, "statement", key, period.label, sha,
                              to.addr_spec)
        attachments = [Attachment(f"{stem}_{period.label}.{kind}", kind, data)
                       for kind, data in files.items()]
        message = build_message(
            sender=sender, to=to, bcc=bcc, subject=subject, body=body, message_id=identity,
            date=when, attachments=attachments,
            references=replaces.message_id if replaces is not None else None)
        planned.append(Outgoing(
            "statement", statement.payer, period.label, to, sender, bcc, message, identity,
            sha, f"{stem}.eml", replaces=replaces.message_id if replaces else None))
    return planned, skipped


def _last_delivered(attempts: list[record.Delivery]) -> record.Delivery | None:
    """The last attempt that reached the server, or may have (sent, or left sending)."""
    reached = [a for a in attempts if a.outcome in (record.SENT, record.SENDING)]
    return reached[-1] if reached else None


def _when(attempt: record.Delivery) -> str:
    moment = attempt.finished_at or attempt.started_at
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _uncertain(attempt: record.Delivery) -> str:
    return (f"a run sending it to {attempt.address} was interrupted on {_when(attempt)} while "
            "the server held it: it may have been delivered. Check the archive copy (bcc); "
            "--resend-uncertain sends it again, with the same Message-ID")


def _context(statement: Statement, overdue: Decimal, attached: list[str],
             replaces: record.Delivery | None, draft: bool) -> dict[str, object]:
    due = max(Decimal(0), -statement.closing)
    return {
        "payer": statement.payer, "name": statement.name, "period": statement.period,
        "currency": statement.currency, "digits": statement.digits,
        "opening": statement.opening, "closing": statement.closing, "due": due,
        "overdue": overdue, "available": statement.available,
        "credit_limit": statement.credit_limit, "postpay": statement.postpay,
        "deferral_days": statement.deferral_days,
        "block_after_days": statement.block_after_days, "flags": list(statement.flags),
        "attached": attached, "draft": draft,
        "replaces": None if replaces is None else {
            "message_id": replaces.message_id,
            "sent_on": (replaces.finished_at or replaces.started_at).date()},
    }
