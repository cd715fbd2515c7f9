"""A batch of messages, planned by `send` or `remind`: written to the outbox (the dry run) or
handed to the mail server one by one, each recorded in `deliveries` before it leaves and given
its outcome after (`record`).

`run_batch` is what both commands do around their own planning: the sender, the password, the
warehouse (opened for writing only to deliver), the period's checks (`period.check_ready`),
then the outbox or the server. `books` is what both plan from: the period's statements as the
consolidation gives them, the debts behind their ageing, and the cards' addresses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from ledgerflow.deliver import record
from ledgerflow.deliver.address import mailbox, recipient
from ledgerflow.deliver.message import MailTemplates, eml_bytes
from ledgerflow.deliver.period import PeriodReports, check_ready, open_warehouse
from ledgerflow.deliver.settings import SmtpSettings
from ledgerflow.deliver.smtp import Dropped, Refused, SmtpSession, password
from ledgerflow.errors import UsageError
from ledgerflow.pipeline import Progress
from ledgerflow.render.model import Statement
from ledgerflow.render.paths import in_folder, inside, unique_stems
from ledgerflow.render.writer import write_bytes
from ledgerflow.rules.consolidate import MoneySettings, consolidate
from ledgerflow.rules.debts import UnpaidDebit, unpaid_debits
from ledgerflow.rules.period import Period

if TYPE_CHECKING:
    from ledgerflow.config import PipelineConfig


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


# The From of a dry run when the pipeline has no [smtp] table: a placeholder (.invalid is a
# name no domain can have, RFC 2606).
PLACEHOLDER_SENDER = Address("ledgerflow", "statements", "example.invalid")
Plan = Callable[[duckdb.DuckDBPyConnection, Address, Address | None],
                tuple[list[Outgoing], list[Skipped]]]


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


def run_batch(config: PipelineConfig, reports: PeriodReports, kind: str, outbox: Path,
              plan: Plan, *, deliver: bool, force: bool, progress: Progress) -> BatchResult:
    """Plan the batch on the warehouse and write it to `outbox`, or, to deliver, send it."""
    sender, bcc = sender_of(config, deliver)
    secret = password(config.smtp) if deliver and config.smtp is not None else None
    command = "send" if kind == "statement" else "remind"
    with open_warehouse(config.warehouse, write=deliver) as connection:
        check_ready(reports, connection, force=force, command=command, pipeline=config.source)
        planned, skipped = plan(connection, sender, bcc)
        result = BatchResult(kind, reports.period, planned, skipped, delivered=deliver)
        if deliver:
            assert config.smtp is not None
            with progress("sending", len(planned)) as advance:
                result.outcomes, result.stopped = send_all(connection, config.smtp, secret,
                                                           planned, advance)
        else:
            result.outbox = outbox
            result.written = write_outbox(outbox, planned)
    return result


@dataclass(frozen=True)
class Books:
    """What a batch is planned from."""

    statements: list[Statement]  # every payer's, without lines, in payer order
    stems: dict[str, str]  # payer -> its statement files' stem
    debts: dict[str, list[UnpaidDebit]]  # payer key -> the debits its debt is made of
    cards: dict[str, tuple[str | None, str]]  # client key -> (e-mail, name) on its card
    templates: MailTemplates  # the pipeline's locale, its templates folder first

    def reader(self, statement: Statement, due: str = "") -> Address | Skipped:
        """The payer's address from its card, or why it has none (`due`: what is due, said
        first)."""
        email, name = self.cards.get(statement.payer.lower(), (None, statement.name))
        if email is None or not str(email).strip():
            return Skipped(statement.payer, NO_ADDRESS, f"{due}no e-mail on the card")
        try:
            return recipient(str(email), name)
        except ValueError as exc:
            return Skipped(statement.payer, BAD_ADDRESS,
                           f"{due}the e-mail on the card cannot be used: {exc}")


def books(connection: duckdb.DuckDBPyConnection, reports: PeriodReports,
          config: PipelineConfig) -> Books:
    """The period consolidated with the rounding its reports were made with, the cards, and
    the templates."""
    from ledgerflow.render.build import statement_headers

    rounding = reports.settings.get("rounding") or config.money.rounding
    result = consolidate(connection, reports.period, MoneySettings(rounding))
    statements = statement_headers(result, {})
    owed = [s.payer.lower() for s in statements if s.closing < 0]
    cards = {key: (email, name) for key, email, name in connection.execute(
        "SELECT row_key, email, name FROM clients").fetchall()}
    return Books(statements, unique_stems([s.payer for s in statements]),
                 unpaid_debits(result, owed), cards,
                 MailTemplates(config.locale, config.templates))


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


def send_all(connection: duckdb.DuckDBPyConnection, settings: SmtpSettings,
             secret: str | None, messages: list[Outgoing],
             advance: Callable[[int], None] = lambda _n: None) -> tuple[list[Outcome], str | None]:
    """Send the messages over one connection; each is recorded (committed) before it leaves.
    The outcomes, and why the batch stopped early (None: it did not)."""
    record.ensure_table(connection)
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
