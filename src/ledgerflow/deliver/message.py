"""The messages: subject and body from jinja templates in the locale, built as
`email.message.EmailMessage` with `email.policy`, attachments and all.

Templates live in the package (`ledgerflow/templates/mail/`): `statement.<locale>.txt` for a
statement's message, `reminder.<locale>.txt` for a reminder (or `reminder_<level>.<locale>.txt`,
or the name a reminder level gives, when there is one). Each has two blocks, `subject` and
`body`. As the statement templates, a file of the same name in the pipeline's `templates`
folder (under `mail/`) replaces the package's; undefined variables are errors.

Text from the inputs is inert. In a body (plain text, no markup to escape), every value a
template prints has its control characters made visible (`escape.visible`, as the statements
do); a header gets `address.header_text` (one line, no CR or LF), and addresses come from
`address.recipient`/`address.mailbox`, which accept exactly one valid address. The `email`
package encodes what is not ASCII (RFC 2047 in headers, base64 or quoted-printable in the
body) and chooses MIME boundaries that no part contains.
"""

from __future__ import annotations

import copy
import email.policy
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import Policy
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import Any

import jinja2

from ledgerflow.deliver.address import header_text
from ledgerflow.errors import UsageError
from ledgerflow.render.escape import visible
from ledgerflow.render.formatting import Formatter

# CRLF line ends (RFC 5322), 7-bit transfer encodings (base64 or quoted-printable for text that
# is not ASCII), headers folded at 78 characters.
POLICY = email.policy.SMTP.clone(cte_type="7bit")
MIME_TYPES = {"pdf": ("application", "pdf"),
              "xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")}


@dataclass(frozen=True)
class Attachment:
    filename: str  # a safe file name (`render.paths.safe_stem` and a suffix)
    kind: str  # pdf | xlsx
    data: bytes


def _shown(value: Any) -> Any:
    """What a template prints: text with its control characters made visible (a CR before a
    LF is dropped: the line break stays a line break)."""
    return visible(value.replace("\r\n", "\n")) if isinstance(value, str) else value


class MailTemplates:
    """The subject and body templates of one locale, the user's folder first."""

    def __init__(self, locale: str = "ru", template_dir: Path | None = None) -> None:
        self.format = Formatter(locale)
        self.locale = self.format.locale
        self.template_dir = template_dir
        loaders: list[jinja2.BaseLoader] = []
        if template_dir is not None:
            loaders.append(jinja2.FileSystemLoader(str(template_dir)))
        loaders.append(jinja2.PackageLoader("ledgerflow", "templates"))
        self.env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders), autoescape=False,
            undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
            keep_trailing_newline=True, auto_reload=False, finalize=_shown)
        self.env.filters.update({"money": self._money, "date": self.format.date,
                                 "number": self.format.number, "kind": self.format.word})

    @jinja2.pass_context
    def _money(self, context: jinja2.runtime.Context, amount: Decimal,
               currency: str | None = None) -> str:
        """An amount in the context's currency (`currency`, `digits`) unless told another."""
        if currency is not None:
            return self.format.money(amount, currency)
        return self.format.money(amount, context["currency"], context.get("digits"))

    def name(self, base: str) -> str:
        return f"mail/{base}.{self.locale}.txt"

    def exists(self, base: str) -> bool:
        try:
            self.env.get_template(self.name(base))
        except jinja2.TemplateNotFound:
            return False
        return True

    def render(self, base: str, **context: Any) -> tuple[str, str]:
        """The template's subject (one line) and body."""
        name = self.name(base)
        context = {"period_text": None, **context}
        if "period" in context and context["period_text"] is None:
            context["period_text"] = self.format.period(context["period"].start,
                                                        context["period"].end)
        try:
            template = self.env.get_template(name)
            missing = {"subject", "body"} - set(template.blocks)
            if missing:
                raise UsageError(f"The mail template {name} has no block "
                                 f"{' and no block '.join(sorted(missing))}: it needs "
                                 "{% block subject %}...{% endblock %} and "
                                 "{% block body %}...{% endblock %}.")
            ctx = template.new_context(context)
            subject = "".join(template.blocks["subject"](ctx))
            body = "".join(template.blocks["body"](ctx))
        except jinja2.TemplateError as exc:
            where = f" ({exc.filename}, line {exc.lineno})" if isinstance(
                exc, jinja2.TemplateSyntaxError) else ""
            folder = f" in {self.template_dir}" if self.template_dir else ""
            raise UsageError(f"The mail template {name}{folder} cannot be rendered{where}: "
                             f"{exc}") from exc
        return header_text(subject), body.strip("\n") + "\n"


class _Folded(str):
    """A header (Subject, From, To, Bcc) whose text is folded by `email.header.Header`: its
    RFC 2047 encoded words carry the spaces of the text inside them. (The policy's own folding
    of long non-ASCII text, in the Python versions ledgerflow runs on, can put a space between
    two encoded words, where a reader's decoder drops it, or split a word with one.) Read from
    the message it is the plain text; written, the encoded one."""

    name: str
    encoded: str

    def __new__(cls, name: str, text: str, encoded: str) -> _Folded:
        folded = super().__new__(cls, text)
        folded.name = name
        folded.encoded = encoded
        return folded

    def fold(self, *, policy: Policy) -> str:
        return f"{self.name}: {self.encoded.replace(chr(10), policy.linesep)}{policy.linesep}"


def _encoded(name: str, text: str) -> str:
    """Text for a header, RFC 2047 encoded when it is not ASCII, folded at 78 characters."""
    if text.isascii():
        return text
    return Header(text, "utf-8", header_name=name).encode(linesep="\n")


def _subject(text: str) -> _Folded:
    return _Folded("Subject", text, _encoded("Subject", text))


MAX_DISPLAY_NAME = 200  # characters of a name shown beside an address (SPEC: names <= 200)
MAX_DISPLAY_BYTES = 600  # its UTF-8 bytes: one encoded word of them fits a line (998)


def _mailbox(name: str, address: Address) -> _Folded:
    """An address with its display name; a name that is not ASCII is one encoded word (parsers
    read the words of a folded name apart), as `formataddr` writes it, and kept short enough
    for its line."""
    spec = address.addr_spec
    display = header_text(address.display_name, MAX_DISPLAY_NAME)
    while len(display.encode()) > MAX_DISPLAY_BYTES:
        display = display[:-2].rstrip() + "…"
    if not display:
        return _Folded(name, spec, spec)
    text = formataddr((display, spec))
    return _Folded(name, text, text)


def message_id(domain: str, *parts: object) -> str:
    """A Message-ID made of what the message is (kind, payer, period, statement digest, level,
    …): the same message gets the same ID in the outbox, when delivered, and when sent again
    after a failure, so a mail system that saw it once may know it again."""
    token = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:32]
    return f"<ledgerflow.{token}@{domain}>"


def build_message(*, sender: Address, to: Address, subject: str, body: str, message_id: str,
                  date: datetime, bcc: Address | None = None,
                  attachments: Sequence[Attachment] = (),
                  references: str | None = None) -> EmailMessage:
    """One message: headers from the given addresses and the subject (made header text), the
    body as text/plain in UTF-8, and each attachment as its own part."""
    message = EmailMessage(policy=POLICY)
    message["From"] = _mailbox("From", sender)
    message["To"] = _mailbox("To", to)
    if bcc is not None:  # shown in the outbox's copy only (`wire_bytes` leaves it out)
        message["Bcc"] = _mailbox("Bcc", bcc)
    message["Subject"] = _subject(header_text(subject))
    message["Date"] = format_datetime(date)
    message["Message-ID"] = message_id
    if references is not None:
        message["In-Reply-To"] = references
        message["References"] = references
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
    message.set_content(body, charset="utf-8")
    for attachment in attachments:
        maintype, subtype = MIME_TYPES[attachment.kind]
        message.add_attachment(attachment.data, maintype=maintype, subtype=subtype,
                               filename=attachment.filename)
    return message


def eml_bytes(message: EmailMessage) -> bytes:
    """The message as a `.eml` file (what a mail client opens), with its Bcc."""
    return message.as_bytes(policy=POLICY)


def wire_bytes(message: EmailMessage) -> bytes:
    """The message as it goes to the server: without its Bcc (the archive's address is not
    shown to the reader), flattened once, so the reader's and the archive's copies are the
    same bytes."""
    sent = copy.copy(message)
    del sent["Bcc"]
    return sent.as_bytes(policy=POLICY)
