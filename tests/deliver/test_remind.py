"""`ledgerflow remind` (issue 13): one notice per overdue payer at the level its debt has
reached, with the overdue lines of the ageing; each level sent once per debt."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from email.message import EmailMessage
from pathlib import Path

import duckdb
import pytest
from conftest import write_workbook
from deliver_helpers import PERIOD, MailServer, invoke, pipeline_file, run_copy, serving

run = pytest.fixture(name="run")(run_copy)
server = pytest.fixture(name="server")(serving)


def remind(run: Path, *options: str, period: str = PERIOD, port: int | None = None,
           extra: str = "") -> tuple[int, str]:
    return invoke("remind", str(pipeline_file(run, port, extra)), "--period", period,
                  *options)


def reminders(run: Path) -> list[tuple[str, str, int, dt.date, str]]:
    """(payer, period, level, debt_since, outcome) of every reminder sent, in order."""
    with duckdb.connect(str(run / "ledger.duckdb"), read_only=True) as connection:
        return [tuple(row) for row in connection.execute(
            "SELECT payer, period, level, debt_since, outcome FROM deliveries "
            "WHERE kind = 'reminder' ORDER BY delivery_id").fetchall()]


def text(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content()).replace("\r\n", "\n")


def outbox(run: Path, name: str) -> EmailMessage:
    path = run / "reports" / PERIOD / "outbox" / "reminders" / name
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_the_dry_run_writes_each_payers_notice_at_its_level_with_the_overdue_lines(
        run: Path) -> None:
    code, output = remind(run)

    assert code == 0, output
    folder = run / "reports" / PERIOD / "outbox" / "reminders"
    assert sorted(p.name for p in folder.iterdir()) == [
        "Orhid_magazine.level-3.eml", "acme.level-2.eml"]
    assert "Romashka: level 3 is due, but no e-mail on the card" in output

    orhid = outbox(run, "Orhid_magazine.level-3.eml")  # 72 days: past its 30 to the block
    assert orhid["Subject"].startswith("Последнее напоминание: услуги могут быть "
                                       "заблокированы")
    assert orhid["To"].addresses[0].addr_spec == "billing@orhid.example.ru"
    body = text(orhid)
    assert "Задолженность на 31.10.2026: 4\u00a0200,50\u00a0₽, из них просрочено: " \
        "4\u00a0200,50\u00a0₽." in body
    assert ("20.08.2026  расход E-1, Хостинг, август: не оплачено 2\u00a0000,00\u00a0₽ из "
            "3\u00a0000,00\u00a0₽, просрочено на 62 дн.") in body
    assert "05.09.2026  расход E-2 (Orhid_magazine_DIR), SMS, сентябрь: не оплачено " \
        "1\u00a0500,50\u00a0₽, просрочено на 46 дн." in body
    assert "10.10.2026  расход E-3 (Orhid_magazine_DIR)" in body

    acme = outbox(run, "acme.level-2.eml")  # 26 days: past its 5 of deferral by over 15
    assert acme["Subject"].startswith("Напоминание об оплате")
    body = text(acme)
    assert ("Напоминание 2: задолженность по лицевому счёту acme (ACME Ltd) не оплачена "
            "26 дн., при отсрочке 5 дн.") in body
    assert "не оплачено 70,00\u00a0$ из 120,00\u00a0$, просрочено на 21 дн." in body
    assert "заблокированы с 05.12.2026" in body  # its oldest unpaid debit + 60 days + 1
    assert not _has_table(run)  # a dry run records nothing


def _has_table(run: Path) -> bool:
    with duckdb.connect(str(run / "ledger.duckdb"), read_only=True) as connection:
        return bool(connection.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'deliveries'"
        ).fetchall()[0][0])


def test_each_level_is_sent_once_per_debt_and_a_higher_level_when_reached(
        run: Path, server: MailServer) -> None:
    code, output = remind(run, "--deliver", port=server.port)

    assert code == 0, output
    assert "2 of 2 reminder messages of 2026-10 sent." in output
    assert sorted((p, lvl, since) for p, _, lvl, since, _ in reminders(run)) == [
        ("Orhid_magazine", 3, dt.date(2026, 8, 20)), ("acme", 2, dt.date(2026, 10, 5))]
    assert len(server.to("ap@acme.example.com")) == 1

    code, output = remind(run, "--deliver", port=server.port)
    assert code == 0 and "0 of 0 reminder messages" in output
    assert "acme: level 2 was sent for this debt" in output

    # two months on, nothing paid: acme's debt is 87 days old, past its 60 to the block
    code, output = invoke("run", str(pipeline_file(run)), "--period", "2026-12")
    assert code == 4, output  # no new file, no line in December: a warning, reports written
    code, output = remind(run, "--deliver", port=server.port, period="2026-12")

    assert code == 0, output
    assert "1 of 1 reminder messages of 2026-12 sent." in output
    assert [(p, lvl) for p, _, lvl, _, _ in reminders(run)][-1] == ("acme", 3)
    [_, final] = server.to("ap@acme.example.com")
    assert final.message["Subject"].startswith("Последнее напоминание")


def test_a_debt_paid_off_and_run_up_again_is_a_new_debt(run: Path,
                                                         server: MailServer) -> None:
    assert remind(run, "--deliver", port=server.port)[0] == 0
    write_workbook(run / "inbox" / "november.xlsx", {
        "payments": [["payment_id", "client_id", "date", "amount", "currency", "kind"],
                     ["P-20", "acme", dt.date(2026, 11, 1), 70, "USD", "payment"]],
        "expenses": [["expense_id", "client_id", "date", "amount", "currency"],
                     ["E-20", "acme", dt.date(2026, 11, 10), 30, "USD"]]})
    assert invoke("run", str(pipeline_file(run)), "--period", "2026-11")[0] == 0

    code, output = remind(run, "--deliver", port=server.port, period="2026-11")

    assert code == 0, output
    assert [(p, lvl, since) for p, _, lvl, since, _ in reminders(run)][-1] == (
        "acme", 1, dt.date(2026, 11, 10))  # 20 days: level 1 again, for the new debt
    assert "Orhid_magazine: level 3 was sent for this debt" in output


def test_levels_and_their_templates_come_from_the_pipeline(run: Path) -> None:
    templates = run / "templates"
    (templates / "mail").mkdir(parents=True)
    (templates / "mail" / "final.ru.txt").write_text(
        "{% block subject %}Блокировка {{ payer }}, уровень {{ level }} из {{ levels }}"
        "{% endblock %}{% block body %}{% for line in lines %}{{ line.line_id }} "
        "{{ line.days_overdue }}\n{% endfor %}{% endblock %}", encoding="utf-8")
    levels = (f'templates = "{templates}"\n[[reminders]]\nafter = "deferral"\ndays = 30\n'
              '[[reminders]]\nafter = "block"\ndays = 40\ntemplate = "final"')

    code, output = remind(run, extra=levels)

    assert code == 0, output
    folder = run / "reports" / PERIOD / "outbox" / "reminders"
    # acme: 26 days, not 30 past its 5 of deferral; Orhid: 72 days, 42 past its block at 30
    assert sorted(p.name for p in folder.iterdir()) == ["Orhid_magazine.level-2.eml"]
    message = outbox(run, "Orhid_magazine.level-2.eml")
    assert message["Subject"] == "Блокировка Orhid_magazine, уровень 2 из 2"
    assert text(message) == "E-1 62\nE-2 46\nE-3 11\n"


def test_drafts_get_no_reminders_unless_forced(run: Path) -> None:
    (run / "inbox" / "payments_bad.csv").write_text(
        "payment_id,client_id,date,amount,currency\nP-10,acme,31.02.2026,5,USD\n",
        encoding="utf-8")
    assert invoke("run", str(pipeline_file(run)), "--period", PERIOD)[0] == 1

    code, output = remind(run)
    assert code == 2 and "are drafts" in output and "Nothing was written" in output

    code, output = remind(run, "--force")
    assert code == 0 and "Dry run: 2 reminder messages" in output
