"""The messages themselves: text from the inputs inert in headers and bodies (no header injection
through a client's name or e-mail), addresses checked, the templates overridable; and the
pipeline's [smtp], [mail] and [[reminders]] tables checked like the rest of the file."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import duckdb
import pytest
from deliver_helpers import PERIOD, MailServer, base_run, copy_run, invoke, pipeline_file

from ledgerflow.config import load_config
from ledgerflow.deliver.address import header_text, mailbox, recipient
from ledgerflow.deliver.message import (
    Attachment,
    MailTemplates,
    build_message,
    eml_bytes,
    wire_bytes,
)
from ledgerflow.errors import UsageError
from ledgerflow.rules.period import Period

HOSTILE_NAME = "Evil Corp\r\nBcc: victim@evil.example\r\n\r\n<b>body</b>\x07"


def parse(data: bytes) -> EmailMessage:
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


@pytest.mark.parametrize("text", [
    "a@b.ru, c@d.ru", "a@b.ru\r\nBcc: x@y.ru", "a@b.ru\nBcc: x@y.ru", "Name <a@b.ru>",
    "a@b.ru (comment)", "a b@c.ru", "@b.ru", "a@", "a@b", "a@@b.ru", "a@b..ru", "", "  ",
    "иван@почта.рф", "a@b.ru\x00", "\"a\"@b.ru", "a@[127.0.0.1]", "a@b.ru;c@d.ru"])
def test_an_address_on_a_card_must_be_one_plain_usable_address(text: str) -> None:
    with pytest.raises(ValueError):
        recipient(text, "Name")


def test_a_good_address_keeps_its_display_name_made_inert() -> None:
    address = recipient(" ap@acme.example.com ", HOSTILE_NAME)
    assert address.addr_spec == "ap@acme.example.com"
    assert "\r" not in address.display_name and "\n" not in address.display_name
    assert address.display_name == "Evil Corp Bcc: victim@evil.example <b>body</b>␇"
    assert recipient("a@почта.рф").addr_spec == "a@xn--80a1acny.xn--p1ai"


def test_header_text_is_one_visible_line() -> None:
    assert header_text("a\r\nb\tc\x1b  d") == "a b c␛ d"
    assert len(header_text("x" * 1000)) == 300


@pytest.mark.parametrize(("text", "spec", "name"), [
    ("Бухгалтерия <billing@example.ru>", "billing@example.ru", "Бухгалтерия"),
    ('"Billing, Inc." <billing@example.ru>', "billing@example.ru", "Billing, Inc."),
    ("billing@example.ru", "billing@example.ru", ""),
    ("<billing@example.ru>", "billing@example.ru", "")])
def test_a_mailbox_of_the_pipeline_may_have_a_name(text: str, spec: str, name: str) -> None:
    address = mailbox(text)
    assert (address.addr_spec, address.display_name) == (spec, name)


@pytest.mark.parametrize("text", ["a@b.ru, c@d.ru", "x <a@b.ru> y", "Bill <a@b.ru",
                                  "Bill\r\n <a@b.ru>", "nobody"])
def test_a_mailbox_of_the_pipeline_is_exactly_one_address(text: str) -> None:
    with pytest.raises(ValueError):
        mailbox(text)


def test_a_built_message_parses_with_its_parts_and_no_injected_header() -> None:
    pdf = b"%PDF-1.7\n" + bytes(range(256)) * 4
    message = build_message(
        sender=mailbox("Бухгалтерия <billing@example.ru>"),
        to=recipient("ap@acme.example.com", HOSTILE_NAME),
        bcc=mailbox("archive@example.ru"), subject=f"Statement: {HOSTILE_NAME}",
        body=f"Hello {HOSTILE_NAME}\n--boundary\n", message_id="<x.1@example.ru>",
        date=datetime(2026, 11, 2, 9, 0, tzinfo=UTC),
        attachments=[Attachment("acme_2026-10.pdf", "pdf", pdf)])

    for data in (eml_bytes(message), wire_bytes(message)):
        parsed = parse(data)
        assert [k.lower() for k in parsed] == [
            "from", "to", *(["bcc"] if data == eml_bytes(message) else []), "subject", "date",
            "message-id", "auto-submitted", "mime-version", "content-type"]
        assert parsed["To"].addresses[0].addr_spec == "ap@acme.example.com"
        assert len(parsed["To"].addresses) == 1
        assert "victim" not in str(parsed.get("Bcc", ""))
        assert parsed["Subject"] == ("Statement: Evil Corp Bcc: victim@evil.example "
                                     "<b>body</b>␇")
        assert parsed.defects == []
        parts = list(parsed.iter_parts())
        assert [p.get_content_type() for p in parts] == ["text/plain", "application/pdf"]
        assert parts[1].get_content() == pdf
        assert parts[1].get_filename() == "acme_2026-10.pdf"
        assert parts[0].get_content().replace("\r\n", "\n").startswith("Hello Evil Corp\n")
    headers = eml_bytes(message).split(b"\r\n\r\n")[0]  # the body may say anything
    assert b"\r\nBcc: victim" not in headers and b"\nBcc: archive@example.ru" in headers
    assert parse(wire_bytes(message))["Bcc"] is None


def test_templates_render_in_the_locale_and_a_users_folder_overrides_them(
        tmp_path: Path) -> None:
    context = {"payer": "acme", "name": HOSTILE_NAME, "period": Period.month(PERIOD)}
    folder = tmp_path / "templates"
    (folder / "mail").mkdir(parents=True)
    (folder / "mail" / "statement.en.txt").write_text(
        "{% block subject %}Yours, {{ name }}{% endblock %}"
        "{% block body %}Dear {{ name }}, {{ period_text }}{% endblock %}", encoding="utf-8")

    subject, body = MailTemplates("en", folder).render("statement", **context)

    assert subject == "Yours, Evil Corp Bcc: victim@evil.example <b>body</b>␇"
    assert body == ("Dear Evil Corp\nBcc: victim@evil.example\n\n<b>body</b>␇, "
                    "Oct 1, 2026 – Oct 31, 2026\n")
    assert MailTemplates("ru", folder).exists("statement")  # the package's, in Russian

    (folder / "mail" / "statement.en.txt").write_text("{% block subject %}x{% endblock %}",
                                                       encoding="utf-8")
    with pytest.raises(UsageError, match="has no block body"):
        MailTemplates("en", folder).render("statement", **context)
    (folder / "mail" / "statement.en.txt").write_text(
        "{% block subject %}{{ nope }}{% endblock %}{% block body %}{% endblock %}",
        encoding="utf-8")
    with pytest.raises(UsageError, match=r"cannot be rendered.*nope"):
        MailTemplates("en", folder).render("statement", **context)


def test_a_clients_name_and_e_mail_from_the_warehouse_cannot_inject_headers(
        tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> None:
    """The loader refuses control characters in a name and anything but an address in the
    e-mail column; the warehouse is changed by hand here to hold them all the same."""
    run = copy_run(base_run(tmp_path_factory), tmp_path / "run")
    with duckdb.connect(str(run / "ledger.duckdb")) as connection:
        connection.execute("UPDATE clients SET name = ? WHERE row_key = 'acme'",
                           [HOSTILE_NAME])
        connection.execute("UPDATE clients SET email = ? WHERE row_key = 'kvant_soft'",
                           ["buh@kvant.example.ru\r\nBcc: victim@evil.example"])
    server = MailServer().start()
    try:
        code, output = invoke("send", str(pipeline_file(run, server.port)), "--period",
                              PERIOD, "--deliver")
        assert code == 0, output
        assert "e-mail not usable: 1" in output and "Kvant_soft: the e-mail on the card" \
            in output
        recipients = sorted(a for r in server.received for a in r.recipients)
        assert "victim@evil.example" not in recipients
        assert recipients == sorted(["ap@acme.example.com", "billing@orhid.example.ru",
                                     "archive@ledger.example.ru", "archive@ledger.example.ru"])
        [acme] = server.to("ap@acme.example.com")
        message = acme.message
        assert message["Bcc"] is None and message.defects == []
        assert message["To"].addresses[0].display_name.startswith("Evil Corp Bcc: victim")
        assert "victim" not in message["Subject"] or "\n" not in message["Subject"]
        body = message.get_body(("plain",))
        assert body is not None
        assert "<b>body</b>␇" in body.get_content()
        assert [p.get_content_type() for p in message.iter_parts()] == [
            "text/plain", "application/pdf"]
    finally:
        server.stop()


SMTP = ('inbox = "i"\nwarehouse = "w.duckdb"\nreports = "r"\n[smtp]\nhost = "mail.example.ru"\n'
        'from = "Бухгалтерия <billing@example.ru>"\n')


def test_the_mail_tables_of_a_pipeline_are_read(tmp_path: Path) -> None:
    path = tmp_path / "monthly.toml"
    path.write_text(SMTP + 'security = "tls"\nuser = "billing"\npassword_env = "SMTP_PW"\n'
                    'bcc = "archive@example.ru"\n[mail]\nattach = ["pdf", "xlsx"]\n'
                    '[[reminders]]\nafter = "deferral"\n[[reminders]]\nafter = "block"\n'
                    'days = 5\ntemplate = "reminder_final"\n', encoding="utf-8")

    config = load_config(path)

    assert config.smtp is not None and config.smtp.server_port == 465
    assert config.smtp.sender == "Бухгалтерия <billing@example.ru>"
    assert config.attach == ("pdf", "xlsx")
    assert [(r.after, r.days, r.template) for r in config.reminders] == [
        ("deferral", 0, None), ("block", 5, "reminder_final")]
    path.write_text(SMTP, encoding="utf-8")
    plain = load_config(path)
    assert plain.smtp is not None and plain.smtp.server_port == 587
    assert plain.attach == ("pdf",) and plain.reminders == ()


@pytest.mark.parametrize(("extra", "expected"), [
    ('security = "ssl"', "line 7: smtp.security must be one of none, starttls, tls, "
                         'not "ssl".'),
    ("port = 70000", "line 7: smtp.port must be a port from 1 to 65535, not 70000."),
    ('port = "587"', 'line 7: smtp.port must be a whole number, not "587".'),
    ('password = "hunter2"', "line 7: smtp.password is not a setting of [smtp]; did you mean "
                             "password_env?"),
    ('bcc = "a@b.ru, c@d.ru"', 'line 7: smtp.bcc must be one e-mail address, like '
                               '"Бухгалтерия <billing@example.ru>", not "a@b.ru, c@d.ru".'),
    ('user = "u"\npassword_env = "hunter2 is my password"',
     "smtp.password_env must be the name of the environment variable that holds the password "
     '(like "SMTP_PASSWORD"), never the password itself.'),
    ('[mail]\nattach = ["xlsx"]', 'mail.attach must name "pdf"'),
    ('[[reminders]]\nafter = "soon"', 'reminders.after must be one of deferral, block, not '
                                      '"soon".'),
    ('[[reminders]]\ndays = -1', "reminders.days must be a number of days, 0 or more, not -1."),
    ('[[reminders]]\nlevel = 1', "reminders.level is not a setting of [reminders]; the "
                                 "settings are after, days, template."),
    ("reminders = 3", "reminders must be tables, each written as a [[reminders]] line"),
])
def test_the_mail_tables_are_checked_strictly(tmp_path: Path, extra: str,
                                               expected: str) -> None:
    path = tmp_path / "monthly.toml"
    path.write_text(SMTP.replace("[smtp]", "[smtp]") + extra + "\n"
                    if not extra.startswith("reminders =") else
                    extra + "\n" + SMTP, encoding="utf-8")
    with pytest.raises(UsageError) as raised:
        load_config(path)
    assert expected in str(raised.value)
    assert "hunter2" not in str(raised.value)


def test_long_russian_names_and_subjects_read_back_as_written() -> None:
    """Folding long text that is not ASCII must keep every space and no other (RFC 2047:
    a reader drops the white space between two encoded words)."""
    name = ("Общество с ограниченной ответственностью «Строительная компания Монтаж-Сервис»: "
            "дирекция по Уральскому федеральному округу")
    subject = ("Последнее напоминание: услуги могут быть заблокированы — " + name
               + " (Orhid_magazine), 4 200,50 ₽")
    message = build_message(
        sender=mailbox("Бухгалтерия ООО «Ледгерфлоу» <billing@example.ru>"),
        to=recipient("ap@acme.example.com", name), subject=subject, body="Текст\n",
        message_id="<x.2@example.ru>", date=datetime(2026, 11, 2, tzinfo=UTC))

    data = eml_bytes(message)
    parsed = parse(data)

    assert max(len(line) for line in data.split(b"\r\n")) < 998
    assert parsed["Subject"] == subject
    assert parsed["To"].addresses[0].display_name == name
    assert parsed["From"].addresses[0].display_name == "Бухгалтерия ООО «Ледгерфлоу»"
    assert parsed.defects == [] and parsed["To"].defects == ()
    emoji = recipient("ap@acme.example.com", "🙂" * 200)
    line = eml_bytes(build_message(sender=mailbox("billing@example.ru"), to=emoji, subject="x",
                                   body="x\n", message_id="<x.3@example.ru>",
                                   date=datetime(2026, 11, 2, tzinfo=UTC))).split(b"\r\n")[1]
    assert line.startswith(b"To: =?utf-8?b?") and len(line) < 998


def test_the_shipped_pipelines_mail_example_is_valid_once_uncommented(tmp_path: Path) -> None:
    root = Path(__file__).parent.parent.parent
    text = (root / "pipelines" / "monthly.toml").read_text("utf-8")
    start = text.index("# [smtp]")
    settings = "\n".join(line[2:] if re.match(r"# (\[|[a-z_]+ = )", line) else line
                         for line in text[start:].splitlines())
    path = tmp_path / "monthly.toml"
    path.write_text(text[:start].replace('"../', f'"{root}/') + settings, encoding="utf-8")

    config = load_config(path)

    assert config.smtp is not None and config.smtp.host == "smtp.example.ru"
    assert config.smtp.password_env == "LEDGERFLOW_SMTP_PASSWORD"
    assert config.attach == ("pdf", "xlsx")
    assert [(r.after, r.days) for r in config.reminders] == [
        ("deferral", 0), ("deferral", 15), ("block", 0)]
