"""The block list: `reports/<period>/to_block.xlsx` and `to_block.csv`, written by every run.

It is what an operator acts on in the billing platform ("Блокировать через", SPEC "Delivery,
reminders, the block list"): every account whose payer's debt has passed the payer's
`block_after_days` at the period's end — the payer and each account related to it on that day,
as they share one balance. It derives from the consolidation alone: a payer is on it when it has
the `to_block` flag (the age of its oldest unpaid debit, SPEC "Ageing", is over its
`block_after_days`); the debt is the ageing's; what of it each account's own lines make up is
the ageing's parts (`rules.debts`).

One row per account, the payer's first, then its related accounts by login:

    payer, account, role (payer | related), name, status (as on the card), currency,
    debt (the payer's), account_debt (of it, the account's own lines), oldest_unpaid (date),
    days_unpaid (to the period's end), block_after_days, days_past (days_unpaid minus
    block_after_days: how long the block is overdue)

The workbook has the period and these columns under localized headers, amounts as numbers with
the currency's digits, dates as dates; the CSV (UTF-8, comma-separated, with a header of the
column names above) has amounts as exact decimals (`1234.50`) and dates as ISO text, every text
quoted and never a formula (`escape.csv_field`). Both are byte for byte the same for the same
warehouse and settings, and written only when they change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from ledgerflow.render.escape import csv_field
from ledgerflow.render.writer import Written, write_bytes, write_file
from ledgerflow.rules.consolidate import Consolidation
from ledgerflow.rules.debts import unpaid_debits
from ledgerflow.rules.period import Period

XLSX = "to_block.xlsx"
CSV = "to_block.csv"
NAMES = (XLSX, CSV)
COLUMNS = ("payer", "account", "role", "name", "status", "currency", "debt", "account_debt",
           "oldest_unpaid", "days_unpaid", "block_after_days", "days_past")
HEADERS = {
    "en": ("Payer", "Account", "Role", "Name", "Status", "Currency", "Debt",
           "Of it, this account's lines", "Oldest unpaid", "Days unpaid", "Block after, days",
           "Days past the block"),
    "ru": ("Плательщик", "Аккаунт", "Роль", "Наименование", "Статус", "Валюта", "Задолженность",
           "В т. ч. операции аккаунта", "Самый ранний неоплаченный", "Дней без оплаты",
           "Блокировать через, дней", "Дней после срока блокировки"),
}
TITLE = {"en": "To block", "ru": "К блокировке"}
ROLES = {"en": {"payer": "payer", "related": "related"},
         "ru": {"payer": "плательщик", "related": "связанный"}}
WIDTHS = (22, 24, 12, 36, 12, 9, 16, 16, 14, 10, 10, 12)


@dataclass(frozen=True)
class BlockRow:
    payer: str
    account: str
    role: str  # payer | related
    name: str
    status: str | None
    currency: str
    digits: int
    debt: Decimal
    account_debt: Decimal
    oldest_unpaid: date
    days_unpaid: int
    block_after_days: int

    @property
    def days_past(self) -> int:
        return self.days_unpaid - self.block_after_days


def block_list(result: Consolidation) -> list[BlockRow]:
    """The accounts to block at the period's end, by payer, the payer first."""
    payers = [p for p in result.payers.to_dict("records") if "to_block" in p["flags"]]
    if not payers:
        return []
    assert result.connection is not None
    keys = [str(p["payer_key"]) for p in payers]
    parts = unpaid_debits(result, keys)
    end = result.period.end
    cards = {key: (client_id, name, status) for key, client_id, name, status in
             result.connection.execute(
                 "SELECT row_key, client_id, name, status FROM clients").fetchall()}
    related: dict[str, list[str]] = {}
    for master, account in result.connection.execute(
            "SELECT DISTINCT lower(master_id), lower(related_id) FROM links "
            "WHERE linked_on <= $1 AND (unlinked_on IS NULL OR $1 < unlinked_on) "
            "ORDER BY 1, 2", [end]).fetchall():
        related.setdefault(master, []).append(account)
    debts = result.ageing.set_index("payer_key")["debt"]
    rows = []
    for payer in payers:
        key = str(payer["payer_key"])
        mine = parts.get(key, [])
        age = max(d.age for d in mine)
        digits = int(payer["digits"])
        step = Decimal(1).scaleb(-digits)
        by_account: dict[str, Decimal] = {}
        for part in mine:
            account = part.account.lower()
            by_account[account] = by_account.get(account, Decimal(0)) + part.unpaid
        for role, account in [("payer", key)] + [("related", a) for a in related.get(key, [])]:
            client_id, name, status = cards.get(account, (account, "", None))
            rows.append(BlockRow(
                str(payer["payer"]), client_id, role, name, status, str(payer["currency"]),
                digits, Decimal(debts[key]).quantize(step),
                by_account.get(account, Decimal(0)).quantize(step),
                end - timedelta(days=age), age, int(payer["block_after_days"])))
    return rows


def write_block_list(folder: Path, result: Consolidation, locale: str = "ru") -> list[Written]:
    """`to_block.xlsx` and `to_block.csv` in the period's folder (rewritten only when their
    bytes change)."""
    rows = block_list(result)
    return [write_file(folder / XLSX, lambda temp: _workbook(temp, rows, result.period, locale)),
            write_bytes(folder / CSV, csv_bytes(rows))]


def csv_bytes(rows: list[BlockRow]) -> bytes:
    lines = [",".join(COLUMNS)]
    for r in rows:
        lines.append(",".join((
            csv_field(r.payer), csv_field(r.account), r.role, csv_field(r.name),
            csv_field(r.status or ""), r.currency, str(r.debt), str(r.account_debt),
            r.oldest_unpaid.isoformat(), str(r.days_unpaid), str(r.block_after_days),
            str(r.days_past))))
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _workbook(path: Path, rows: list[BlockRow], period: Period, locale: str) -> None:
    from ledgerflow.render.excel import CREATED, DATE_FORMAT, money_format
    from ledgerflow.render.xlsx import Style, Workbook

    workbook = Workbook(f"{TITLE[locale]} {period.label}", CREATED)
    title = workbook.style(Style(bold=True, font_size=14))
    header = workbook.style(Style(bold=True, bg_color="#DDDDDD", border=True, text_wrap=True,
                                  valign="top"))
    day = workbook.style(Style(num_format=DATE_FORMAT))
    money = {d: workbook.style(Style(num_format=money_format(d))) for d in range(5)}
    sheet = workbook.sheet(TITLE[locale])
    sheet.row(0, [(0, TITLE[locale], title), (1, _serial(period.start), day),
                  (2, _serial(period.end), day)])
    sheet.row(2, [(col, text, header) for col, text in enumerate(HEADERS[locale])])
    roles = ROLES[locale]
    for number, r in enumerate(rows, start=3):
        amount = money[min(r.digits, 4)]
        sheet.row(number, [
            (0, r.payer, 0), (1, r.account, 0), (2, roles[r.role], 0), (3, r.name, 0),
            (4, r.status or "", 0), (5, r.currency, 0), (6, r.debt, amount),
            (7, r.account_debt, amount), (8, _serial(r.oldest_unpaid), day),
            (9, r.days_unpaid, 0), (10, r.block_after_days, 0), (11, r.days_past, 0)])
    sheet.freeze(3, 0)
    sheet.autofilter(2, 0, max(2, 2 + len(rows)), len(COLUMNS) - 1)
    sheet.widths(WIDTHS)
    workbook.save(path)


def _serial(day: date) -> int:
    """Excel's serial day number."""
    return day.toordinal() - date(1899, 12, 30).toordinal()
