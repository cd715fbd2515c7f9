"""A batch of messages, planned by `send` or `remind`: written to the outbox (the dry run) or
handed to the mail server one by one, each recorded in `deliveries` before it leaves and given
its outcome after (`record`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path

import duckdb

from ledgerflow.deliver import record
from ledgerflow.deliver.message import eml_bytes
from ledgerflow.deliver.settings import SmtpSettings
from ledgerflow.deliver.smtp import Dropped, Refused, SmtpSession
from ledgerflow.render.paths import in_folder, inside
from ledgerflow.render.writer import write_bytes
from ledgerflow.rules.period import Period

OUTBOX = "outbox"  # in the period's folder

# Why a payer gets no message this time.
NO_ADDRESS = "no_address"  # no e-mail on its card
BAD_ADDRESS = "bad_address"  # an e-mail that is not one usable address
ALREADY_SENT = "already_sent"
CHANGED = "changed"  # delivered before, changed since: --resend-changed
UNCERTAIN = "uncertain"  # the run sending it was interrupted: --resend-uncertain
NO_FILE = "no_file"  # the statement file is missing or not the one the run wrote


@dataclass(frozen=True)
class Outgoing:
    """A message ready to go, and what `deliveries` records of it."""

    kind: str  # statement | reminder
    payer: str
    period: str
    to: Address
    sender: Address
    bcc: Address | None
    message: EmailMessage
    message_id: str
    sha256: str
    file_name: str  # its name in the outbox
    level: int | None = None
    debt_since: date | None = None
    replaces: str | None = None  # the Message-ID of the message it replaces

    @property
    def address(self) -> str:
        return self.to.addr_spec + (f", {self.bcc.addr_spec}" if self.bcc else "")


@dataclass(frozen=True)
class Skipped:
    payer: str
    reason: str  # one of the constants above
    detail: str


@dataclass(frozen=True)
class Outcome:
    message: Outgoing
    outcome: str  # sent | refused | failed
    detail: str | None = None


@dataclass
class BatchResult:
    kind: str
    period: Period
    planned: list[Outgoing]
    skipped: list[Skipped]
    outbox: Path | None = None  # the dry run's folder
    written: list[Path] = field(default_factory=list)  # the dry run's .eml files
    outcomes: list[Outcome] = field(default_factory=list)  # what delivery did
    stopped: str | None = None  # why the batch stopped early (the connection dropped)
    delivered: bool = False  # --deliver (else a dry run)

    @property
    def unsent(self) -> list[Outgoing]:
        """Planned messages the batch did not get to (it stopped)."""
        tried = {id(o.message) for o in self.outcomes}
        return [m for m in self.planned if id(m) not in tried] if self.delivered else []

    @property
    def exit_code(self) -> int:
        """1 when a message was not delivered (refused, failed, not tried, or left uncertain
        by an interrupted run); 0 otherwise."""
        if any(o.outcome != record.SENT for o in self.outcomes) or self.unsent \
                or self.stopped or any(s.reason == UNCERTAIN for s in self.skipped):
            return 1
        return 0


def write_outbox(folder: Path, messages: list[Outgoing]) -> list[Path]:
    """The dry run: each message as a `.eml` file in `folder`, which holds this batch's only
    (the files of an earlier dry run are removed)."""
    base = inside(folder.parent, folder.name)
    base.mkdir(parents=True, exist_ok=True)
    keep = {m.file_name for m in messages}
    for old in base.glob("*.eml"):
        if old.name not in keep:
            old.unlink()
    return [write_bytes(in_folder(base, m.file_name), eml_bytes(m.message)).path
            for m in messages]


def deliver(connection: duckdb.DuckDBPyConnection, settings: SmtpSettings,
            secret: str | None, messages: list[Outgoing],
            advance: Callable[[int], None] = lambda _n: None) -> tuple[list[Outcome], str | None]:
    """Send the messages over one connection; each is recorded (committed) before it leaves.
    The outcomes, and why the batch stopped early (None: it did not)."""
    ensure = record.ensure_table
    ensure(connection)
    outcomes: list[Outcome] = []
    if not messages:
        return outcomes, None
    with SmtpSession(settings, secret) as session:
        for message in messages:
            delivery = record.start(
                connection, kind=message.kind, payer=message.payer, period=message.period,
                sha256=message.sha256, address=message.address,
                message_id=message.message_id, level=message.level,
                debt_since=message.debt_since, replaces=message.replaces)
            try:
                note = session.send(message.message, message.sender, message.to, message.bcc)
            except Refused as refused:
                outcome = record.FAILED if refused.temporary else record.REFUSED
                record.finish(connection, delivery, outcome, refused.detail)
                outcomes.append(Outcome(message, outcome, refused.detail))
                advance(1)
                continue
            except Dropped as dropped:
                record.finish(connection, delivery, record.FAILED, dropped.detail)
                outcomes.append(Outcome(message, record.FAILED, dropped.detail))
                advance(1)
                return outcomes, dropped.detail
            record.finish(connection, delivery, record.SENT, note)
            outcomes.append(Outcome(message, record.SENT, note))
            advance(1)
            if not session.connected:  # lost after the reader's copy was taken
                return outcomes, note
    return outcomes, None
