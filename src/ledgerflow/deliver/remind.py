"""`ledgerflow remind`: one notice per overdue payer, at the reminder level its debt has reached,
with the overdue lines of the ageing.

Levels are the pipeline's `[[reminders]]` tables (`settings.ReminderLevel`), numbered 1, 2, …
in the file's order; without any, three: 1 as soon as the debt is older than the payer's
deferral, 2 fifteen days later, 3 when it is older than `block_after_days` (the block date).
The age of a debt is the ageing's: the days from the payer's oldest unpaid debit to the period's
end (SPEC "Ageing"). A payer is at the highest level it has reached; a payer with no deferral
(unlimited) reaches only levels that count from the block date, and one with no
`block_after_days` never reaches those.

Each level is sent once per debt (SPEC): a reminder recorded in `deliveries` (sent, or left
`sending` by an interrupted run) is about the debt unpaid at the end of its period; the debt is
still that one while its oldest unpaid debit is dated no later than that end. So a payer who
stays in debt gets each level once, and a payer who paid everything and fell behind again is a
new debt, reminded from its own first level. A payer whose current level, or a higher one, was
sent for its debt gets nothing.

The message lists the overdue lines: the unpaid parts of the debits older than the deferral (or,
without one, than `block_after_days`), each with its date, kind, number, account, what is
unpaid and the days past. A dry run writes `reports/<period>/outbox/reminders/*.eml`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email.headerregistry import Address
from functools import partial

import duckdb

from ledgerflow.config import PipelineConfig
from ledgerflow.deliver import batch, record
from ledgerflow.deliver.batch import BatchResult, Outgoing, Skipped, books, run_batch
from ledgerflow.deliver.message import build_message, message_id
from ledgerflow.deliver.period import PeriodReports, period_reports
from ledgerflow.deliver.settings import DEFAULT_REMINDERS, ReminderLevel
from ledgerflow.pipeline import Progress, no_progress
from ledgerflow.render.model import Statement
from ledgerflow.render.paths import OUTBOX
from ledgerflow.rules.debts import UnpaidDebit
from ledgerflow.rules.period import Period

REMINDERS = "reminders"  # the dry run's folder, in the outbox


@dataclass(frozen=True)
class RemindOptions:
    deliver: bool = False
    resend_uncertain: bool = False
    force: bool = False
    today: datetime | None = None


def levels_of(config: PipelineConfig) -> tuple[ReminderLevel, ...]:
    return tuple(config.reminders) or DEFAULT_REMINDERS


def reached(level: ReminderLevel, age: int, statement: Statement) -> bool:
    """Whether a debt of this age (days) has reached the level, by the payer's card."""
    days = statement.deferral_days if level.after == "deferral" else statement.block_after_days
    return days is not None and age > days + level.days


def level_of(levels: tuple[ReminderLevel, ...], age: int, statement: Statement) -> int | None:
    """The highest level (1, 2, …) the payer's debt has reached; None: none."""
    found = [n for n, level in enumerate(levels, start=1) if reached(level, age, statement)]
    return max(found) if found else None


def period_end(label: str) -> date:
    """The last day of a period by its label (`2026-10`, or `2026-10-01_2026-10-15`)."""
    if re.fullmatch(r"\d{4}-\d{2}", label):
        return Period.month(label).end
    return date.fromisoformat(label.split("_")[-1])


def same_debt(attempt: record.Delivery, debt_since: date) -> bool:
    """Whether a reminder of `attempt` was about the debt whose oldest unpaid debit is dated
    `debt_since`: that debit was already unpaid at the end of the reminder's period."""
    return debt_since <= period_end(attempt.period)


def remind(config: PipelineConfig, period: Period, options: RemindOptions,
           progress: Progress = no_progress) -> BatchResult:
    reports = period_reports(config.reports, period, "remind", config.source)
    planner = partial(plan, reports=reports, config=config, options=options)
    return run_batch(config, reports, "reminder", reports.folder / OUTBOX / REMINDERS,
                     planner, deliver=options.deliver, force=options.force, progress=progress)


def plan(connection: duckdb.DuckDBPyConnection, sender: Address, bcc: Address | None, *,
         reports: PeriodReports, config: PipelineConfig, options: RemindOptions
         ) -> tuple[list[Outgoing], list[Skipped]]:
    """The notice of every payer whose debt has reached a level not yet sent for it."""
    period = reports.period
    levels = levels_of(config)
    found = books(connection, reports, config)
    earlier = record.by_payer(record.history(connection, "reminder"))
    when = options.today or datetime.now(UTC)
    planned: list[Outgoing] = []
    skipped: list[Skipped] = []
    for statement in found.statements:
        key = statement.payer.lower()
        parts = found.debts.get(key, [])
        if not parts:
            continue
        age = max(d.age for d in parts)
        number = level_of(levels, age, statement)
        if number is None:
            continue
        since = period.end - timedelta(days=age)
        done = [a for a in earlier.get(key, [])
                if a.outcome in (record.SENT, record.SENDING) and a.level is not None
                and a.level >= number and same_debt(a, since)]
        sent = [a for a in done if a.outcome == record.SENT]
        if sent:
            skipped.append(Skipped(statement.payer, batch.ALREADY_SENT,
                                   f"level {sent[-1].level} was sent for this debt on "
                                   f"{sent[-1].started_at.date().isoformat()} "
                                   f"({sent[-1].period})"))
            continue
        if done and not options.resend_uncertain:
            skipped.append(Skipped(
                statement.payer, batch.UNCERTAIN,
                f"a run sending its level {done[-1].level} to {done[-1].address} was "
                "interrupted while the server held it: it may have been delivered; "
                "--resend-uncertain sends it again"))
            continue
        to = found.reader(statement, f"level {number} is due, but ")
        if isinstance(to, Skipped):
            skipped.append(to)
            continue
        level = levels[number - 1]
        base = level.template or (f"reminder_{number}"
                                  if found.templates.exists(f"reminder_{number}") else "reminder")
        subject, body = found.templates.render(base, **_context(
            statement, parts, number, len(levels), level, age, since))
        sha = hashlib.sha256(f"{subject}\n{body}".encode()).hexdigest()
        identity = message_id(sender.domain, "reminder", key, number, since.isoformat(),
                              to.addr_spec)
        message = build_message(sender=sender, to=to, bcc=bcc, subject=subject, body=body,
                                message_id=identity, date=when)
        planned.append(Outgoing(
            "reminder", statement.payer, period.label, to, sender, bcc, message, identity,
            sha, f"{found.stems[statement.payer]}.level-{number}.eml", level=number,
            debt_since=since))
    return planned, skipped


def _context(statement: Statement, parts: list[UnpaidDebit], number: int, count: int,
             level: ReminderLevel, age: int, since: date) -> dict[str, object]:
    threshold = statement.deferral_days if statement.deferral_days is not None \
        else statement.block_after_days
    overdue = [d for d in parts if d.overdue(threshold)]
    block_on = None if statement.block_after_days is None \
        else since + timedelta(days=statement.block_after_days + 1)
    return {
        "payer": statement.payer, "name": statement.name, "period": statement.period,
        "currency": statement.currency, "digits": statement.digits,
        "closing": statement.closing, "debt": sum((d.unpaid for d in parts), Decimal(0)),
        "overdue": sum((d.unpaid for d in overdue), Decimal(0)),
        "level": number, "levels": count, "after": level.after,
        "final": level.after == "block", "age": age, "since": since,
        "deferral_days": statement.deferral_days,
        "block_after_days": statement.block_after_days, "block_on": block_on,
        "lines": [{"date": d.date, "kind": d.kind, "line_id": d.line_id,
                   "account": d.account, "description": d.description, "amount": d.amount,
                   "unpaid": d.unpaid, "age": d.age,
                   "days_overdue": d.age - (threshold or 0)} for d in overdue],
    }
