"""What a pipeline file says about mail: the `[smtp]` table, the `[mail]` table and the reminder
levels (`[[reminders]]`). Checked as strictly as the rest of the file (`ledgerflow.config`).

    [smtp]
    host = "smtp.example.ru"
    port = 587
    security = "starttls"            # "none", "starttls" or "tls"
    user = "billing@example.ru"      # optional: no login without it
    password_env = "SMTP_PASSWORD"   # the environment variable holding the password
    from = "Бухгалтерия <billing@example.ru>"
    bcc = "archive@example.ru"       # optional: a copy of every message, for the archive

    [mail]
    attach = ["pdf", "xlsx"]         # the statement's files attached (default: the PDF)

    [[reminders]]                    # level 1: the debt is older than the deferral
    after = "deferral"
    [[reminders]]                    # level 2: 15 days later
    after = "deferral"
    days = 15
    [[reminders]]                    # level 3: the block date is reached
    after = "block"

Light to import: pydantic and the standard library only.
"""

from __future__ import annotations

import re
from email.headerregistry import Address
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

Security = Literal["none", "starttls", "tls"]
Attachment = Literal["pdf", "xlsx"]
ReminderAfter = Literal["deferral", "block"]  # which of the card's days the debt has passed
DEFAULT_PORTS = {"none": 25, "starttls": 587, "tls": 465}
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def parse_address(text: str) -> Address:
    """One e-mail address, with or without a display name (`Бухгалтерия <billing@x.ru>`), as
    an `Address`; ValueError when it is not exactly one valid address."""
    from ledgerflow.deliver.address import mailbox

    return mailbox(text)


class SmtpSettings(_Strict):
    """The `[smtp]` table: how messages leave (`--deliver`)."""

    host: str
    port: int | None = None  # default: 25, 587 or 465 by `security`
    security: Security = "starttls"
    user: str | None = None
    password_env: str | None = None
    sender: str = Field(alias="from")
    bcc: str | None = None
    timeout: int = 60  # seconds to wait for the server

    @field_validator("host")
    @classmethod
    def _a_host(cls, value: str) -> str:
        if not value.strip() or any(c.isspace() for c in value.strip()):
            raise PydanticCustomError("host", "not a host name")
        return value.strip()

    @field_validator("port")
    @classmethod
    def _a_port(cls, value: int | None) -> int | None:
        if value is not None and not 1 <= value <= 65535:
            raise PydanticCustomError("port", "not a port (1 to 65535)")
        return value

    @field_validator("timeout")
    @classmethod
    def _a_timeout(cls, value: int) -> int:
        if not 1 <= value <= 3600:
            raise PydanticCustomError("timeout", "not a number of seconds from 1 to 3600")
        return value

    @field_validator("password_env")
    @classmethod
    def _a_variable(cls, value: str | None) -> str | None:
        if value is not None and not _ENV_NAME.fullmatch(value):
            raise PydanticCustomError("password_env", "not the name of an environment variable")
        return value

    @field_validator("sender", "bcc")
    @classmethod
    def _an_address(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                parse_address(value)
            except ValueError as exc:
                raise PydanticCustomError("address", "not an e-mail address") from exc
        return value

    @model_validator(mode="after")
    def _login_needs_a_password(self) -> SmtpSettings:
        if self.password_env is not None and self.user is None:
            raise PydanticCustomError("login", "password_env is set but user is not")
        return self

    @property
    def server_port(self) -> int:
        return self.port if self.port is not None else DEFAULT_PORTS[self.security]


def _the_pdf_only() -> list[Attachment]:
    return ["pdf"]


class MailSettings(_Strict):
    """The `[mail]` table: what a statement's message carries."""

    attach: list[Attachment] = Field(default_factory=_the_pdf_only)

    @field_validator("attach")
    @classmethod
    def _the_pdf(cls, value: list[Attachment]) -> list[Attachment]:
        if "pdf" not in value:
            raise PydanticCustomError("attach_pdf", "must attach the PDF")
        return list(dict.fromkeys(value))


class ReminderLevel(_Strict):
    """One `[[reminders]]` table: a level reached when the payer's oldest unpaid debit is older
    than its deferral (`after = "deferral"`) or its `block_after_days` (`"block"`) by more than
    `days`. Levels are numbered 1, 2, … in the file's order; a payer is at the highest level it
    has reached."""

    after: ReminderAfter = "deferral"
    days: int = 0
    template: str | None = None  # default: reminder_<level>, else reminder (mail/ templates)

    @field_validator("days")
    @classmethod
    def _days(cls, value: int) -> int:
        if value < 0:
            raise PydanticCustomError("days", "not a number of days (0 or more)")
        return value

    @field_validator("template")
    @classmethod
    def _a_name(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", value):
            raise PydanticCustomError("template_name", "not a template name")
        return value


# The levels when a pipeline names none: 1 overdue, 2 fifteen days later, 3 the block date.
DEFAULT_REMINDERS = (ReminderLevel(), ReminderLevel(days=15), ReminderLevel(after="block"))
