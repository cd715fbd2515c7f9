"""What the delivery tests share: a real SMTP server on localhost (aiosmtpd) that the tests can
make refuse a recipient, drop the connection or hold a message, and a small inbox with a group
(a master and its related account), a payer without an e-mail, an overdue debt and one past its
block date, run once per session with PDF and Excel statements."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import shutil
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner
from conftest import write_workbook

from ledgerflow.cli import main

PERIOD = "2026-10"
CLIENTS = [
    ["client_id", "name", "client_type", "tax_id", "currency", "credit_limit", "deferral_days",
     "block_after_days", "email"],
    # a group: Orhid_magazine pays for Orhid_magazine_DIR; its debt is past the block date
    ["Orhid_magazine", "Орхидея", "legal", "7707083893", "RUB", 1000, 10, 30,
     "billing@orhid.example.ru"],
    ["Orhid_magazine_DIR", "Орхидея дирекция", "legal", "7707083893", "RUB", 0, None, None,
     "dir@orhid.example.ru"],
    # overdue (older than its deferral), not yet at the block date
    ["acme", "ACME Ltd", "individual", "500100732259", "USD", 0, 5, 60, "ap@acme.example.com"],
    # in credit: nothing due
    ["Kvant_soft", "Квант Софт", "legal", "7736050003", "RUB", 0, 10, 30,
     "buh@kvant.example.ru"],
    # no e-mail on the card
    ["Romashka", "Ромашка", "legal", "7728168971", "RUB", 0, 10, 30, None],
]
LINKS = [["master_id", "related_id", "linked_on"],
         ["Orhid_magazine", "Orhid_magazine_DIR", dt.date(2026, 1, 1)]]
PAYMENTS = [
    ["payment_id", "client_id", "date", "amount", "currency", "kind"],
    ["P-1", "Orhid_magazine", dt.date(2026, 8, 1), 1000, "RUB", "payment"],
    ["P-2", "acme", dt.date(2026, 10, 1), 50, "USD", "payment"],
    ["P-3", "Kvant_soft", dt.date(2026, 10, 2), 5000, "RUB", "payment"],
    ["P-4", "Romashka", dt.date(2026, 10, 3), 100, "RUB", "payment"],
]
EXPENSES = [
    ["expense_id", "client_id", "date", "amount", "currency", "product_type", "description"],
    ["E-1", "Orhid_magazine", dt.date(2026, 8, 20), 3000, "RUB", "hosting", "Хостинг, август"],
    ["E-2", "Orhid_magazine_DIR", dt.date(2026, 9, 5), 1500.5, "RUB", "sms", "SMS, сентябрь"],
    ["E-3", "Orhid_magazine_DIR", dt.date(2026, 10, 10), 700, "RUB", "sms", "SMS, октябрь"],
    ["E-4", "acme", dt.date(2026, 10, 5), 120, "USD", "hosting", "Hosting, October"],
    ["E-5", "Kvant_soft", dt.date(2026, 10, 6), 1000, "RUB", "hosting", "Хостинг"],
    ["E-6", "Romashka", dt.date(2026, 9, 1), 900, "RUB", "hosting", "Хостинг"],
]
MAILED = ("Orhid_magazine", "Kvant_soft", "acme")  # the payers with an e-mail (Romashka has none)


def write_inbox(inbox: Path) -> None:
    inbox.mkdir(parents=True, exist_ok=True)
    write_workbook(inbox / "clients.xlsx", {"clients": CLIENTS, "links": LINKS})
    write_workbook(inbox / "payments.xlsx", {"payments": PAYMENTS})
    write_workbook(inbox / "expenses.xlsx", {"expenses": EXPENSES})


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env=env)
    return result.exit_code, result.output


def pipeline_file(folder: Path, port: int | None = None, extra: str = "",
                  smtp: str = "", bcc: bool = True) -> Path:
    """The folder's pipeline: its inbox, warehouse and reports; PDF and Excel statements; an
    [smtp] table for a server on localhost:`port` when given (with an archive's bcc)."""
    lines = [f'inbox = "{folder / "inbox"}"', f'warehouse = "{folder / "ledger.duckdb"}"',
             f'reports = "{folder / "reports"}"', 'outputs = ["pdf", "xlsx"]', extra]
    if port is not None:
        lines += ["[smtp]", 'host = "127.0.0.1"', f"port = {port}", 'security = "none"',
                  'from = "Бухгалтерия <billing@ledger.example.ru>"',
                  'bcc = "archive@ledger.example.ru"' if bcc else "", "timeout = 10", smtp]
    path = folder / "monthly.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def first_run(folder: Path) -> Path:
    """The inbox written and run for the period: the reports every test starts from."""
    write_inbox(folder / "inbox")
    code, output = invoke("run", str(pipeline_file(folder)), "--period", PERIOD)
    assert code == 0, output
    return folder


def copy_run(source: Path, target: Path) -> Path:
    """A copy of a run (the copy keeps modification times, which the render cache trusts)."""
    shutil.copytree(source, target)
    return target


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Handler:
    """What the server does: take every message, unless told to refuse some recipients, to
    drop the connection at the DATA of message number `drop_at` (1-based, counting the
    messages it was offered), or to hold message number `hold_at` until `release` is set."""

    received: list[Received] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    drop_at: int | None = None
    hold_at: int | None = None
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    offered: int = 0
    logins: list[tuple[str, str]] = field(default_factory=list)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          options: list[str]) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.offered += 1
        if self.drop_at is not None and self.offered >= self.drop_at:
            server.transport.abort()  # the connection is cut, no answer at all
            return "451 dropped"
        # the server has the message from here on, whether its answer reaches the client
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                       bytes(envelope.original_content)))
        if self.hold_at is not None and self.offered == self.hold_at:
            self.holding.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 30)
        return "250 2.0.0 Message accepted"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class MailServer:
    """An aiosmtpd server on 127.0.0.1, started and stopped by the tests."""

    def __init__(self, handler: Handler | None = None, **options: Any) -> None:
        self.handler = handler or Handler()
        self.port = free_port()
        self.options = options
        self.controller: Controller | None = None

    def start(self) -> MailServer:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port,
                                     ready_timeout=10, **self.options)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def to(self, address: str) -> list[Received]:
        """The messages whose envelope names this recipient."""
        return [r for r in self.received if address in r.recipients]


_BASE: dict[str, Path] = {}


def base_run(factory: Any) -> Path:
    """The first run of the small inbox, made once per test session (`factory`: pytest's
    tmp_path_factory); tests work on copies of it."""
    if "run" not in _BASE:
        _BASE["run"] = first_run(factory.mktemp("deliver-base"))
    return _BASE["run"]



def run_copy(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Path:
    """A copy of the session's first run of the small inbox (each module's `run` fixture)."""
    return copy_run(base_run(tmp_path_factory), tmp_path / "run")


def serving() -> Iterator[MailServer]:
    """An SMTP server on localhost taking every message (each module's `server` fixture)."""
    started = MailServer().start()
    try:
        yield started
    finally:
        started.stop()
