"""`ledgerflow send` (issue 13): statements e-mailed to the address on the card, against a real
SMTP server on localhost; the dry run's outbox; the deliveries record that keeps anything from
being sent twice, through refusals, dropped connections and a killed run."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import hashlib
import os
import signal
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

import duckdb
import pytest
from conftest import write_workbook
from deliver_helpers import (
    MAILED,
    PERIOD,
    Handler,
    MailServer,
    invoke,
    pipeline_file,
    run_copy,
    serving,
)

run = pytest.fixture(name="run")(run_copy)
server = pytest.fixture(name="server")(serving)

ADDRESSES = {"Orhid_magazine": "billing@orhid.example.ru", "acme": "ap@acme.example.com",
             "Kvant_soft": "buh@kvant.example.ru"}
ARCHIVE = "archive@ledger.example.ru"


def period_folder(run: Path) -> Path:
    return run / "reports" / PERIOD


def statement(run: Path, payer: str, kind: str = "pdf") -> bytes:
    return (period_folder(run) / "statements" / f"{payer}.{kind}").read_bytes()


def deliveries(run: Path) -> list[tuple[str, str, str, str, str, str]]:
    """(payer, period, sha256, address, message_id, outcome) of every attempt, in order."""
    with duckdb.connect(str(run / "ledger.duckdb"), read_only=True) as connection:
        found = connection.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'deliveries'").fetchall()
        if not found[0][0]:
            return []
        return [tuple(row) for row in connection.execute(
            "SELECT payer, period, sha256, address, message_id, outcome FROM deliveries "
            "ORDER BY delivery_id").fetchall()]


def send(run: Path, *options: str, port: int | None = None, extra: str = "",
         env: dict[str, str] | None = None) -> tuple[int, str]:
    return invoke("send", str(pipeline_file(run, port, extra)), "--period", PERIOD, *options,
                  env=env)


def attachments(message: EmailMessage) -> dict[str, bytes]:
    return {str(part.get_filename()): part.get_content() for part in message.iter_attachments()}


def test_the_dry_run_writes_one_eml_per_payer_with_an_address_and_lists_the_others(
        run: Path) -> None:
    code, output = send(run, extra='[mail]\nattach = ["pdf", "xlsx"]')

    assert code == 0, output
    outbox = period_folder(run) / "outbox"
    assert sorted(p.name for p in outbox.iterdir()) == sorted(f"{p}.eml" for p in MAILED)
    assert "Dry run: 3 statement messages of 2026-10" in output
    assert "acme -> ap@acme.example.com: acme.eml" in output
    assert "no e-mail on the card: 1" in output and "Romashka" in output
    assert "(From is ledgerflow <statements@example.invalid>: the pipeline has no [smtp]" \
        in output
    assert deliveries(run) == []  # a dry run records nothing

    parsed = email.message_from_bytes((outbox / "Orhid_magazine.eml").read_bytes(),
                                      policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    assert parsed["To"].addresses[0].addr_spec == "billing@orhid.example.ru"
    assert parsed["To"].addresses[0].display_name == "Орхидея"
    assert parsed["From"].addresses[0].addr_spec == "statements@example.invalid"  # no [smtp]
    assert parsed["Subject"] == ("Выписка за 01.10.2026 – 31.10.2026: Орхидея "
                                 "(Orhid_magazine)")
    assert parsed["Message-ID"].startswith("<ledgerflow.")
    assert parsed.get_content_type() == "multipart/mixed"
    assert [p.get_content_type() for p in parsed.iter_parts()] == [
        "text/plain", "application/pdf",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"]
    assert attachments(parsed) == {
        "Orhid_magazine_2026-10.pdf": statement(run, "Orhid_magazine"),
        "Orhid_magazine_2026-10.xlsx": statement(run, "Orhid_magazine", "xlsx")}
    body = parsed.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "01.10.2026 – 31.10.2026" in text
    assert "Исходящий остаток на 31.10.2026: -4\u00a0200,50\u00a0₽." in text
    assert "К оплате: 4\u00a0200,50\u00a0₽." in text
    assert "Из них просрочено" in text and "а также в формате Excel" in text

    credit = email.message_from_bytes((outbox / "Kvant_soft.eml").read_bytes(),
                                      policy=email.policy.default)
    credit_body = credit.get_body(("plain",))
    assert credit_body is not None and "Задолженности нет." in credit_body.get_content()


def test_a_second_dry_run_rewrites_the_outbox_with_what_would_go_now(run: Path) -> None:
    outbox = period_folder(run) / "outbox"
    send(run)
    (outbox / "stale.eml").write_bytes(b"From: nobody\r\n\r\nold\r\n")

    code, output = send(run, extra='locale = "en"')

    assert code == 0, output
    assert sorted(p.name for p in outbox.iterdir()) == sorted(f"{p}.eml" for p in MAILED)
    parsed = email.message_from_bytes((outbox / "acme.eml").read_bytes(),
                                      policy=email.policy.default)
    assert parsed["Subject"] == "Statement for Oct 1, 2026 – Oct 31, 2026: ACME Ltd (acme)"
    body = parsed.get_body(("plain",))
    assert body is not None and "Amount due: USD 70.00." in body.get_content()


def test_delivery_sends_each_statement_with_its_pdf_and_records_it(
        run: Path, server: MailServer) -> None:
    code, output = send(run, "--deliver", port=server.port)

    assert code == 0, output
    assert "3 of 3 statement messages of 2026-10 sent." in output
    assert "Romashka" in output  # listed: no e-mail on its card
    assert len(server.received) == 6  # each reader's copy, then the archive's
    archived = {r.message["Message-ID"]: r for r in server.to(ARCHIVE)}
    for payer, address in ADDRESSES.items():
        [got] = server.to(address)
        assert got.sender == "billing@ledger.example.ru"
        assert got.recipients == [address]
        message = got.message
        assert archived[message["Message-ID"]].data == got.data
        assert message["Bcc"] is None  # the archive's address is not shown to the reader
        assert message["From"].addresses[0].display_name == "Бухгалтерия"
        assert message["To"].addresses[0].addr_spec == address
        assert message["Auto-Submitted"] == "auto-generated"
        assert attachments(message) == {f"{payer}_2026-10.pdf": statement(run, payer)}
    recorded = deliveries(run)
    assert sorted(r[0] for r in recorded) == sorted(ADDRESSES)
    for payer, period, sha, address, message_id, outcome in recorded:
        [got] = server.to(ADDRESSES[payer])
        assert period == PERIOD and outcome == "sent"
        assert sha == hashlib.sha256(statement(run, payer)).hexdigest()
        assert address == f"{ADDRESSES[payer]}, {ARCHIVE}"
        assert message_id == got.message["Message-ID"]


def test_a_second_run_sends_nothing(run: Path, server: MailServer) -> None:
    assert send(run, "--deliver", port=server.port)[0] == 0

    code, output = send(run, "--deliver", port=server.port)

    assert code == 0, output
    assert "0 of 0 statement messages" in output and "sent already: 3" in output
    assert len(server.received) == 6
    assert len(deliveries(run)) == 3
    code, output = send(run)  # the dry run writes only what would go
    assert code == 0 and "Dry run: 0 statement messages" in output


def test_a_refused_recipient_is_sent_again_by_the_next_run_and_nothing_else(
        run: Path, server: MailServer) -> None:
    server.handler.refuse.add("ap@acme.example.com")

    code, output = send(run, "--deliver", port=server.port)

    assert code == 1
    assert "refused: acme -> ap@acme.example.com: ap@acme.example.com: 550" in output
    assert "2 of 3 statement messages" in output
    assert [r[5] for r in deliveries(run) if r[0] == "acme"] == ["refused"]
    # a message its reader did not get is not archived as sent
    assert sorted(a for r in server.received for a in r.recipients) == sorted(
        ["billing@orhid.example.ru", "buh@kvant.example.ru", ARCHIVE, ARCHIVE])

    server.handler.refuse.clear()
    code, output = send(run, "--deliver", port=server.port)

    assert code == 0, output
    assert "1 of 1 statement messages" in output
    assert len(server.received) == 6
    assert len(server.to("ap@acme.example.com")) == 1 and len(server.to(ARCHIVE)) == 3
    assert [r[5] for r in deliveries(run) if r[0] == "acme"] == ["refused", "sent"]


def test_a_connection_dropped_mid_batch_resumes_with_only_what_is_missing(
        run: Path, server: MailServer) -> None:
    server.handler.drop_at = 3  # the second message (after the first's archive copy): the
    # connection is cut at its DATA

    code, output = send(run, "--deliver", port=server.port)

    assert code == 1
    assert "1 of 3 statement messages" in output
    assert "The batch stopped" in output and "1 messages were not tried" in output
    first, archived = server.received  # the first message, and its archive copy
    assert archived.recipients == [ARCHIVE]
    outcomes = [r[5] for r in deliveries(run)]
    assert outcomes == ["sent", "failed"]  # the third was never handed over

    server.stop()
    again = MailServer().start()  # the server is back
    try:
        code, output = send(run, "--deliver", port=again.port)
        assert code == 0, output
        assert "2 of 2 statement messages" in output and "sent already: 1" in output
        everything = [r for r in server.received + again.received
                      if ARCHIVE not in r.recipients]
        assert sorted(r.recipients[0] for r in everything) == sorted(ADDRESSES.values())
        assert len(server.to(ARCHIVE) + again.to(ARCHIVE)) == 3
        failed = next(r for r in deliveries(run) if r[5] == "failed")
        resent = [r for r in again.received if r.message["Message-ID"] == failed[4]]
        assert [r.recipients for r in resent] == [[failed[3].split(", ")[0]], [ARCHIVE]]
        assert failed[3].split(", ")[0] != first.recipients[0]
    finally:
        again.stop()


def test_a_server_that_cannot_be_reached_sends_nothing_and_records_nothing(run: Path) -> None:
    down = MailServer()  # never started: nothing listens on its port

    code, output = send(run, "--deliver", port=down.port)

    assert code == 1
    assert "cannot be reached" in output and "Nothing was sent" in output
    assert deliveries(run) == []


def test_a_changed_statement_is_sent_again_only_when_asked_saying_it_replaces(
        run: Path, server: MailServer) -> None:
    assert send(run, "--deliver", port=server.port)[0] == 0
    first = {r[0]: r for r in deliveries(run)}
    write_workbook(run / "inbox" / "payments_late.xlsx", {"payments": [
        ["payment_id", "client_id", "date", "amount", "currency", "kind"],
        ["P-9", "acme", dt.date(2026, 10, 30), 70, "USD", "payment"]]})
    assert invoke("run", str(pipeline_file(run)), "--period", PERIOD)[0] == 0
    assert hashlib.sha256(statement(run, "acme")).hexdigest() != first["acme"][2]

    code, output = send(run, "--deliver", port=server.port)

    assert code == 0, output
    assert "changed since sent, not resent: 1" in output and "acme: changed since" in output
    assert len(server.received) == 6

    code, output = send(run, "--deliver", "--resend-changed", port=server.port)

    assert code == 0, output
    assert "1 of 1 statement messages" in output
    [old, new] = server.to("ap@acme.example.com")
    message = new.message
    assert message["References"] == old.message["Message-ID"] == first["acme"][4]
    assert message["Subject"].startswith("Исправленная выписка")
    body = message.get_body(("plain",))
    assert body is not None and "заменяет выписку за тот же период" in body.get_content()
    assert "Задолженности нет." in body.get_content()
    assert attachments(message)["acme_2026-10.pdf"] == statement(run, "acme")
    assert send(run, "--deliver", "--resend-changed", port=server.port)[1].count(
        "sent already: 3") == 1


def test_drafts_are_not_sent_unless_forced(run: Path, server: MailServer) -> None:
    (run / "inbox" / "payments_bad.csv").write_text(
        "payment_id,client_id,date,amount,currency\nP-10,acme,31.02.2026,5,USD\n",
        encoding="utf-8")
    code, _ = invoke("run", str(pipeline_file(run)), "--period", PERIOD)
    assert code == 1  # refused: the statements are drafts

    code, output = send(run, "--deliver", port=server.port)

    assert code == 2
    assert "are drafts" in output and "payments_bad.csv" in output and "--force" in output
    assert server.received == [] and deliveries(run) == []

    code, output = send(run, "--force")
    assert code == 0, output
    parsed = email.message_from_bytes(
        (period_folder(run) / "outbox" / "acme.eml").read_bytes(), policy=email.policy.default)
    body = parsed.get_body(("plain",))
    assert body is not None and "Выписка предварительная" in body.get_content()


def test_statements_the_warehouse_has_moved_on_from_are_not_sent(run: Path) -> None:
    later = run / "later"
    later.mkdir()
    write_workbook(later / "payments_nov.xlsx", {
        "payments": [["payment_id", "client_id", "date", "amount", "currency", "kind"],
                     ["P-11", "acme", dt.date(2026, 11, 2), 10, "USD", "payment"]]})
    assert invoke("load", str(later), "--warehouse", str(run / "ledger.duckdb"))[0] == 0

    code, output = send(run)

    assert code == 2
    assert "The warehouse has changed since the reports of 2026-10 were written" in output
    assert f"ledgerflow run {run / 'monthly.toml'} --period 2026-10" in output
    assert invoke("run", str(pipeline_file(run)), "--period", PERIOD)[0] == 0
    assert send(run)[0] == 0


def test_an_edited_statement_file_is_listed_not_sent(run: Path) -> None:
    pdf = period_folder(run) / "statements" / "acme.pdf"
    pdf.write_bytes(pdf.read_bytes() + b"%edited\n")

    code, output = send(run)

    assert code == 0
    assert "statement file missing or edited: 1" in output
    assert "acme: statements/acme.pdf is not the file the run wrote" in output
    assert not (period_folder(run) / "outbox" / "acme.eml").exists()


def test_no_period_run_no_smtp_table_and_a_missing_password_are_said_before_anything(
        run: Path, server: MailServer) -> None:
    code, output = invoke("send", str(pipeline_file(run)), "--period", "2026-09")
    assert code == 2 and "There are no reports of 2026-09" in output

    code, output = send(run, "--deliver")
    assert code == 2 and "has no [smtp] table" in output

    pipeline = pipeline_file(run, server.port,
                             smtp='user = "billing"\npassword_env = "LF_TEST_SMTP_PASSWORD"')
    environment = {k: v for k, v in os.environ.items() if k != "LF_TEST_SMTP_PASSWORD"}
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("LF_TEST_SMTP_PASSWORD", raising=False)
        code, output = invoke("send", str(pipeline), "--period", PERIOD, "--deliver",
                              env=environment)
    assert code == 2 and "LF_TEST_SMTP_PASSWORD" in output and "is not set" in output
    assert server.received == [] and deliveries(run) == []


def test_the_login_uses_the_password_from_the_environment(run: Path) -> None:
    from aiosmtpd.smtp import AuthResult, LoginPassword

    logins: list[tuple[str, str]] = []

    def authenticator(server: object, session: object, envelope: object, mechanism: str,
                      data: object) -> AuthResult:
        assert isinstance(data, LoginPassword)
        logins.append((data.login.decode(), data.password.decode()))
        return AuthResult(success=data.password == b"s3cret", handled=False)

    server = MailServer(authenticator=authenticator, auth_require_tls=False).start()
    try:
        login = 'user = "billing"\npassword_env = "LF_TEST_SMTP_PASSWORD"'
        pipeline = pipeline_file(run, server.port, smtp=login)
        code, output = invoke("send", str(pipeline), "--period", PERIOD, "--deliver",
                              env={"LF_TEST_SMTP_PASSWORD": "wrong"})
        assert code == 1 and "refused the login of billing" in output
        assert server.received == [] and deliveries(run) == []

        code, output = invoke("send", str(pipeline), "--period", PERIOD, "--deliver",
                              env={"LF_TEST_SMTP_PASSWORD": "s3cret"})
        assert code == 0, output
        assert set(logins) == {("billing", "wrong"), ("billing", "s3cret")}
        assert logins[-1] == ("billing", "s3cret")
        assert len(server.received) == 6  # three readers and the archive
    finally:
        server.stop()


def test_starttls_is_required_when_asked(run: Path, server: MailServer) -> None:
    pipeline = pipeline_file(run, server.port).read_text("utf-8").replace(
        'security = "none"', 'security = "starttls"')
    (run / "monthly.toml").write_text(pipeline, encoding="utf-8")

    code, output = invoke("send", str(run / "monthly.toml"), "--period", PERIOD, "--deliver")

    assert code == 1 and "does not offer STARTTLS" in output and "nothing was sent" in output
    assert server.received == [] and deliveries(run) == []


def test_a_run_killed_while_the_server_holds_a_message_never_sends_it_twice(
        run: Path) -> None:
    handler = Handler(hold_at=2)
    server = MailServer(handler).start()
    try:
        pipeline = pipeline_file(run, server.port, bcc=False)
        sending = subprocess.Popen(
            [sys.executable, "-c", "from ledgerflow.cli import main; main()", "send",
             str(pipeline), "--period", PERIOD, "--deliver"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            assert handler.holding.wait(60), "the second message never reached the server"
            sending.send_signal(signal.SIGKILL)
            sending.wait(30)
        finally:
            handler.release.set()
        deadline = time.monotonic() + 10
        while len(server.received) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(server.received) == 2  # the server did take the held message
        assert [r[5] for r in deliveries(run)] == ["sent", "sending"]

        code, output = invoke("send", str(pipeline), "--period", PERIOD, "--deliver")

        assert code == 1  # one message is uncertain: said, not resent
        assert "1 of 1 statement messages" in output
        assert "interrupted while sending, not resent: 1" in output
        assert sorted(r.recipients[0] for r in server.received) == sorted(ADDRESSES.values())

        held = server.received[1]
        code, output = invoke("send", str(pipeline), "--period", PERIOD, "--deliver",
                              "--resend-uncertain")
        assert code == 0, output
        [again] = server.received[3:]
        assert again.message["Message-ID"] == held.message["Message-ID"]
        assert [r[5] for r in deliveries(run)][-1] == "sent"
    finally:
        server.stop()


def test_a_connection_dropped_at_the_archive_copy_counts_the_reader_as_sent(
        run: Path, server: MailServer) -> None:
    server.handler.drop_at = 2  # the first message's archive copy

    code, output = send(run, "--deliver", port=server.port)

    assert code == 1
    assert "1 of 3 statement messages" in output and "The batch stopped" in output
    assert "the archive's copy was not sent" in output
    [reader] = server.received
    assert [r[5] for r in deliveries(run)] == ["sent"]

    server.stop()
    again = MailServer().start()
    try:
        code, output = send(run, "--deliver", port=again.port)
        assert code == 0, output
        assert "2 of 2 statement messages" in output
        readers = [r.recipients[0] for r in [reader, *again.received]
                   if ARCHIVE not in r.recipients]
        assert sorted(readers) == sorted(ADDRESSES.values())
    finally:
        again.stop()


def test_verify_takes_the_outbox_for_no_report_output(run: Path) -> None:
    assert send(run)[0] == 0

    code, output = invoke("verify", str(period_folder(run)), "--warehouse",
                          str(run / "ledger.duckdb"))

    assert code == 0, output
    assert "unexpected" not in output and "outbox" not in output
