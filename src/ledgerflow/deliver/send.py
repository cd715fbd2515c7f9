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

import duckdb

from ledgerflow.config import PipelineConfig
from ledgerflow.deliver import record
from ledgerflow.deliver.address import mailbox, recipient
from ledgerflow.deliver.batch import (
    ALREADY_SENT,
    BAD_ADDRESS,
    CHANGED,
    NO_ADDRESS,
    NO_FILE,
    OUTBOX,
    UNCERTAIN,
    BatchResult,
    Outgoing,
    Skipped,
    deliver,
    write_outbox,
)
from ledgerflow.deliver.message import Attachment, MailTemplates, build_message, message_id
from ledgerflow.deliver.period import PeriodReports, check_ready, open_warehouse, period_reports
from ledgerflow.deliver.smtp import password
from ledgerflow.errors import UsageError
from ledgerflow.pipeline import Progress, no_progress
from ledgerflow.render.model import Statement
from ledgerflow.render.paths import STATEMENTS, unique_stems
from ledgerflow.rules.consolidate import MoneySettings, consolidate
from ledgerflow.rules.debts import unpaid_debits
from ledgerflow.rules.period import Period

# The From of a dry run when the pipeline has no [smtp] table: a placeholder (.invalid is a
# name no domain can have, RFC 2606).
PLACEHOLDER_SENDER = Address("ledgerflow", "statements", "example.invalid")


@dataclass(frozen=True)
class SendOptions:
    deliver: bool = False
    resend_changed: bool = False
    resend_uncertain: bool = False
    force: bool = False  # send drafts too
    today: datetime | None = None  # the messages' Date (tests)


def sender_of(config: PipelineConfig, deliver: bool) -> tuple[Address, Address | None]:
    """From and Bcc: the [smtp] table's; a dry run without one gets a placeholder From."""
    if config.smtp is None:
        if deliver:
            raise UsageError(f"{config.source.name} has no [smtp] table: say which server "
                             "sends the mail (host, port, security, user, password_env, from) "
                             "before --deliver. Without --deliver the messages are written to "
                             "the outbox only.")
        return PLACEHOLDER_SENDER, None
    bcc = mailbox(config.smtp.bcc) if config.smtp.bcc else None
    return mailbox(config.smtp.sender), bcc


def cards(connection: duckdb.DuckDBPyConnection) -> dict[str, tuple[str | None, str]]:
    """Per client key (lower case): the e-mail on its card and its name."""
    return {key: (email, name) for key, email, name in connection.execute(
        "SELECT row_key, email, name FROM clients").fetchall()}


def send_statements(config: PipelineConfig, period: Period, options: SendOptions,
                    progress: Progress = no_progress) -> BatchResult:
    sender, bcc = sender_of(config, options.deliver)
    secret = password(config.smtp) if options.deliver and config.smtp is not None else None
    reports = period_reports(config.reports, period, "send", config.source)
    if "pdf" not in reports.settings.get("outputs", []):
        raise UsageError(f"The run of {period.label} wrote no PDF statements, and a "
                         'statement is e-mailed as a PDF: add "pdf" to outputs in '
                         f"{config.source.name} and run the period again.")
    if "xlsx" in config.attach and "xlsx" not in reports.settings.get("outputs", []):
        raise UsageError(f"[mail] attach names the Excel statement, but the run of "
                         f"{period.label} wrote none: add \"xlsx\" to outputs in "
                         f"{config.source.name} and run the period again.")
    with open_warehouse(config.warehouse, write=options.deliver) as connection:
        check_ready(reports, connection, force=options.force, command="send",
                    pipeline=config.source)
        planned, skipped = plan(connection, reports, config, options, sender, bcc)
        result = BatchResult("statement", period, planned, skipped, delivered=options.deliver)
        if options.deliver:
            assert config.smtp is not None
            with progress("sending", len(planned)) as advance:
                result.outcomes, result.stopped = deliver(connection, config.smtp, secret,
                                                          planned, advance)
        else:
            result.outbox = reports.folder / OUTBOX
            result.written = write_outbox(result.outbox, planned)
    return result


def plan(connection: duckdb.DuckDBPyConnection, reports: PeriodReports, config: PipelineConfig,
         options: SendOptions, sender: Address, bcc: Address | None
         ) -> tuple[list[Outgoing], list[Skipped]]:
    """The message of every payer that is to get one now, and why the others get none."""
    from ledgerflow.render.build import statement_headers

    period = reports.period
    rounding = reports.settings.get("rounding") or config.money.rounding
    result = consolidate(connection, period, MoneySettings(rounding))
    statements = statement_headers(result, {})
    stems = unique_stems([s.payer for s in statements])
    owed = [s.payer.lower() for s in statements if s.closing < 0]
    debts = unpaid_debits(result, owed)
    on_cards = cards(connection)
    earlier: dict[str, list[record.Delivery]] = {}
    for attempt in record.history(connection, "statement", period.label):
        earlier.setdefault(attempt.payer.lower(), []).append(attempt)
    templates = MailTemplates(config.locale, config.templates)
    when = options.today or datetime.now(UTC)
    planned: list[Outgoing] = []
    skipped: list[Skipped] = []
    for statement in statements:
        key = statement.payer.lower()
        email, name = on_cards.get(key, (None, statement.name))
        if email is None or not str(email).strip():
            skipped.append(Skipped(statement.payer, NO_ADDRESS, "no e-mail on the card"))
            continue
        try:
            to = recipient(str(email), name)
        except ValueError as exc:
            skipped.append(Skipped(statement.payer, BAD_ADDRESS,
                                   f"the e-mail on the card cannot be used: {exc}"))
            continue
        stem = stems[statement.payer]
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
        overdue = sum((d.unpaid for d in debts.get(key, [])
                       if d.overdue(statement.deferral_days)), start=Decimal(0))
        subject, body = templates.render(
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
