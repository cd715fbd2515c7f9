"""The connection to the mail server, as the pipeline's `[smtp]` table describes it.

`security`: `"tls"` talks TLS from the first byte (port 465), `"starttls"` upgrades a plain
connection before anything else is said (port 587; a server that does not offer STARTTLS is
refused rather than talked to in clear), `"none"` never encrypts (a relay on the local
network). Certificates are checked against the system's authorities (`SSL_CERT_FILE` names
others). The password comes from the environment variable `password_env` names, never from the
file.

Each message's fate is told apart:
- `Refused`: the server answered and will not take this message (a recipient refused, a
  message too large, a temporary refusal): the next message is tried;
- `Dropped`: the connection is gone (closed, reset, timed out, the server shutting down): the
  batch stops, and the next run sends what is missing.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from types import TracebackType

from ledgerflow.deliver.message import wire_bytes
from ledgerflow.deliver.settings import SmtpSettings
from ledgerflow.errors import LedgerflowError, UsageError


class Unreachable(LedgerflowError):
    """The server could not be reached, or would not let us in: nothing was sent."""

    exit_code = 1


class Refused(Exception):
    """The server refused this message; it may take the next."""

    def __init__(self, detail: str, temporary: bool = False) -> None:
        super().__init__(detail)
        self.detail = detail
        self.temporary = temporary


class Dropped(Exception):
    """The connection was lost while this message was being sent."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def password(settings: SmtpSettings) -> str | None:
    """The password from the environment, checked before anything is sent."""
    if settings.user is None:
        return None
    if settings.password_env is None:
        raise UsageError("[smtp] names a user but no password_env: say which environment "
                         "variable holds the password.")
    value = os.environ.get(settings.password_env)
    if not value:
        raise UsageError(f"The environment variable {settings.password_env} ([smtp] "
                         "password_env) is not set: it must hold the SMTP password.")
    return value


def _answer(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {' '.join(text.split())}"


class SmtpSession:
    """One connection to the server for a batch of messages."""

    def __init__(self, settings: SmtpSettings, secret: str | None) -> None:
        self.settings = settings
        self.secret = secret
        self.client: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpSession:
        self.open()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def open(self) -> None:
        s = self.settings
        where = f"{s.host}:{s.server_port}"
        context = ssl.create_default_context()
        client: smtplib.SMTP | None = None
        try:
            if s.security == "tls":
                client = smtplib.SMTP_SSL(s.host, s.server_port, timeout=s.timeout,
                                          context=context)
            else:
                client = smtplib.SMTP(s.host, s.server_port, timeout=s.timeout)
            client.ehlo()
            if s.security == "starttls":
                if not client.has_extn("starttls"):
                    raise Unreachable(f"The mail server {where} does not offer STARTTLS, and "
                                      '[smtp] says security = "starttls": nothing was sent in '
                                      "clear.")
                client.starttls(context=context)
                client.ehlo()
            if s.user is not None:
                client.login(s.user, self.secret or "")
        except Unreachable:
            _quit(client)
            raise
        except smtplib.SMTPAuthenticationError as exc:
            _quit(client)
            raise Unreachable(f"The mail server {where} refused the login of {s.user}: "
                              f"{_answer(exc.smtp_code, exc.smtp_error)}. Nothing was sent."
                              ) from exc
        except smtplib.SMTPNotSupportedError as exc:
            _quit(client)
            raise Unreachable(f"The mail server {where} does not take a login ({exc}); leave "
                              "user out of [smtp] or use another server. Nothing was sent."
                              ) from exc
        except ssl.SSLError as exc:
            _quit(client)
            raise Unreachable(f"TLS with the mail server {where} failed ({exc}). Nothing was "
                              "sent.") from exc
        except (smtplib.SMTPException, OSError) as exc:
            _quit(client)
            raise Unreachable(f"The mail server {where} cannot be reached ({exc}). Nothing "
                              "was sent.") from exc
        self.client = client

    def close(self) -> None:
        _quit(self.client)
        self.client = None

    def send(self, message: EmailMessage, sender: Address, reader: Address,
             archive: Address | None = None) -> str | None:
        """Hand one message to the server for its reader, then, once the reader's copy is
        taken, for the archive (the bcc), in a transaction of its own: a message the reader
        did not get is not archived as sent. What the server said of the archive's copy when
        it refused it (the reader's was taken all the same)."""
        data = wire_bytes(message)
        self._transaction(data, sender, reader)
        if archive is None:
            return None
        try:
            self._transaction(data, sender, archive)
        except Refused as refused:
            return f"the archive's copy was refused: {refused.detail}"
        except Dropped as dropped:  # the reader has it: sent, but the batch stops here
            return f"the archive's copy was not sent: {dropped.detail}"
        return None

    @property
    def connected(self) -> bool:
        return self.client is not None

    def _transaction(self, data: bytes, sender: Address, to: Address) -> None:
        if self.client is None:
            raise Dropped("not connected")
        try:
            self.client.sendmail(sender.addr_spec, [to.addr_spec], data)
        except smtplib.SMTPRecipientsRefused as exc:
            raise Refused(_refusals(exc.recipients), _temporary(exc.recipients)) from exc
        except smtplib.SMTPServerDisconnected as exc:
            self.client = None
            raise Dropped(f"the server closed the connection ({exc})") from exc
        except smtplib.SMTPResponseException as exc:  # sender refused, data refused, ...
            if exc.smtp_code == 421:  # the server is shutting the connection
                self.close()
                raise Dropped(_answer(exc.smtp_code, exc.smtp_error)) from exc
            raise Refused(_answer(exc.smtp_code, exc.smtp_error),
                          400 <= exc.smtp_code < 500) from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise Refused(str(exc)) from exc
        except (smtplib.SMTPException, OSError) as exc:  # reset, timed out, ...
            self.close()
            raise Dropped(f"{type(exc).__name__}: {exc}") from exc


def _refusals(recipients: dict[str, tuple[int, bytes]]) -> str:
    return "; ".join(f"{address}: {_answer(code, text)}"
                     for address, (code, text) in recipients.items())


def _temporary(recipients: dict[str, tuple[int, bytes]]) -> bool:
    return all(400 <= code < 500 for code, _ in recipients.values())


def _quit(client: smtplib.SMTP | None) -> None:
    if client is None:
        return
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()
