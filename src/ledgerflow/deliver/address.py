"""Addresses and header text made safe: text from the inputs (a client's name, its e-mail, a
template's subject) can never add a header, a recipient or a MIME part.

- `header_text`: any text for a header's value: control characters made visible
  (`escape.visible`), every run of white space (CR and LF among it) one space, cut short. The
  `email` package then encodes it (RFC 2047) and refuses CR or LF itself, a second guard.
- `recipient`: the address on a client's card, which must be exactly one plain address
  (`local@domain`): no display name, comment, group or second address, nothing the parser had
  to drop; the domain is written in ASCII (IDNA) when it is not. A local part that is not ASCII
  would need SMTPUTF8 and is refused here, to be listed, not sent.
- `mailbox`: an address of the pipeline file (`from`, `bcc`), which may carry a display name.
"""

from __future__ import annotations

import re
from email.errors import HeaderParseError, MessageError
from email.headerregistry import Address

from ledgerflow.render.escape import visible

_SPACE = re.compile(r"\s+")
MAX_HEADER_TEXT = 300  # characters of a subject or a display name


def header_text(text: str, limit: int = MAX_HEADER_TEXT) -> str:
    """Text for a header value: one line, visible, at most `limit` characters."""
    shown = _SPACE.sub(" ", visible(_SPACE.sub(" ", text))).strip()
    return shown if len(shown) <= limit else shown[:limit - 1].rstrip() + "…"


def _ascii_domain(domain: str) -> str:
    if domain.isascii():
        return domain
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValueError(f"the domain {domain!r} cannot be written in ASCII") from exc


def recipient(text: str, display_name: str = "") -> Address:
    """The address on a card as an `Address` (with `display_name`, made header text); a
    ValueError saying why when it is not exactly one plain, usable address."""
    spec = text.strip()
    if not spec:
        raise ValueError("it is empty")
    if spec != visible(spec) or _SPACE.search(spec):
        raise ValueError("it holds spaces or control characters")
    if any(c in spec for c in ",;<>()\"[]\\:"):
        raise ValueError("it is not one plain address (local@domain)")
    if spec.count("@") != 1:
        raise ValueError("it is not one address with one @")
    local, domain = spec.split("@")
    if not local or not domain or "." not in domain.strip(".") or domain.startswith(".") \
            or domain.endswith(".") or ".." in domain or ".." in local:
        raise ValueError("it is not an address like name@example.ru")
    if not local.isascii():
        raise ValueError("its name part is not ASCII (it would need SMTPUTF8)")
    spec = f"{local}@{_ascii_domain(domain)}"
    try:
        address = Address(display_name=header_text(display_name), addr_spec=spec)
    except (ValueError, IndexError, HeaderParseError, MessageError) as exc:
        raise ValueError("it is not a valid address") from exc
    if address.addr_spec != spec:  # the parser took part of it only
        raise ValueError("it is not a valid address")
    return address


_MAILBOX = re.compile(
    r'\s*(?:(?P<name>"[^"]*"|[^"<>]*?)\s*<(?P<spec>[^<>]*)>|(?P<bare>[^<>"]*?))\s*')


def mailbox(text: str) -> Address:
    """`Name <local@domain>` or `local@domain` (the pipeline's `from` and `bcc`): exactly one
    address; ValueError otherwise."""
    if text != visible(text) or "\n" in text or "\r" in text:
        raise ValueError("it holds control characters")
    found = _MAILBOX.fullmatch(text)
    if found is None:
        raise ValueError("it is not one address")
    name = (found.group("name") or "").strip()
    if len(name) >= 2 and name[0] == name[-1] == '"':
        name = name[1:-1]
    return recipient(found.group("spec") or found.group("bare") or "", name)
