"""The sample inbox behind `ledgerflow sample` and the demo.

`write_sample_inbox` writes a realistic month-end inbox for period 2026-10 (data for August to
October 2026) that follows every rule of SPEC.md: clients, links, bank and cash payments,
expenses with rates, and discounts and taxes. The same bytes on every run (a fixed seed, fixed
document properties, in-memory zip with fixed timestamps).

The broken inbox that exercises the error paths lives with the tests (`tests/broken_inbox.py`),
the large generated workbooks with the benchmarks (`benchmarks/workbooks.py`); both write their
cells with `new_workbook` and `write_table` below.
"""

from __future__ import annotations

import csv
import io
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import xlsxwriter

from ledgerflow.values import complete_inn

# --------------------------------------------------------------------------------------------
# Constants
# --------------------------------------------------------------------------------------------

SAMPLE_SEED = 20261031
DOCUMENT_CREATED = datetime(2026, 11, 2, 9, 0, 0)
MONTHS = ((2026, 8), (2026, 9), (2026, 10))
NBSP = "\u00a0"
NARROW_NBSP = "\u202f"
APPROX_USD_RUB = Decimal("92")  # only to size top-ups; real conversions use the rates sheet

CellValue = str | Decimal | float | int | date | None

# --------------------------------------------------------------------------------------------
# Russian tax IDs (INN)
# --------------------------------------------------------------------------------------------


def random_inn(rng: random.Random, region: str, length: int) -> str:
    """A valid INN of `length` (10 or 12) digits starting with the two-digit region code."""
    stem_length = 9 if length == 10 else 10
    tail = "".join(str(rng.randrange(10)) for _ in range(stem_length - len(region)))
    return complete_inn(region + tail)


# --------------------------------------------------------------------------------------------
# Records of the sample inbox
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Client:
    client_id: str
    name: str
    client_type: str  # as an accountant types it: юрлицо / ип / физлицо
    tax_id: str | None
    currency: str
    country: str = "RU"
    credit_limit: Decimal = Decimal("0.00")
    postpay: bool = False
    deferral_days: int | None = None
    block_after_days: int | None = None
    manager: str | None = None
    status: str = "active"

    @property
    def email(self) -> str:
        return f"billing.{self.client_id.lower().replace('_', '-')}@example.com"


@dataclass(frozen=True)
class Link:
    master_id: str
    related_id: str
    linked_on: date
    unlinked_on: date | None = None

    def holds_on(self, day: date) -> bool:
        """SPEC: the link holds on dates d with linked_on <= d < unlinked_on."""
        return self.linked_on <= day and (self.unlinked_on is None or day < self.unlinked_on)


@dataclass(frozen=True)
class Payment:
    payment_id: str
    client_id: str
    date: date
    amount: Decimal
    currency: str
    kind: str
    reference: str | None = None
    comment: str | None = None


@dataclass(frozen=True)
class Expense:
    expense_id: str
    client_id: str
    date: date
    amount: Decimal
    currency: str
    product_type: str
    description: str


@dataclass(frozen=True)
class Rate:
    client_id: str | None
    base_currency: str
    currency: str
    rate: float
    units: int
    valid_from: date


@dataclass(frozen=True)
class SampleData:
    clients: tuple[Client, ...]
    links: tuple[Link, ...]
    bank_payments: tuple[Payment, ...]
    cash_payments: tuple[Payment, ...]
    expenses: tuple[Expense, ...]
    rates: tuple[Rate, ...]


# --------------------------------------------------------------------------------------------
# The sample's cast: masters, related accounts, standalone clients, links
# --------------------------------------------------------------------------------------------

# client_id, name, region, credit limit, deferral days, block after days, manager
MASTERS = (
    ("Orhid_magazine", "ООО «Орхидея»", "77", 50_000, 30, 60, "Иванова Е. П."),
    ("Severstal_group", "ПАО «Северсталь Групп»", "35", 500_000, 45, 90, "Петров А. С."),
    ("Romashka", "ООО «Ромашка»", "02", 20_000, 15, 45, "Иванова Е. П."),
    ("Northwind_trading", "Northwind Trading LLC", "78", 100_000, 30, None, "Smirnova K."),
)
# client_id, master_id, name, currency
RELATED = (
    ("Orhid_magazine_DIR", "Orhid_magazine", "ООО «Орхидея» — дирекция", "RUB"),
    ("Orhid_magazine_SPB", "Orhid_magazine", "ООО «Орхидея» — филиал Санкт-Петербург", "USD"),
    ("Severstal_group_NW", "Severstal_group", "ПАО «Северсталь Групп» — Северо-Запад", "RUB"),
    ("Severstal_group_URAL", "Severstal_group", "ПАО «Северсталь Групп» — Урал", "RUB"),
    ("Severstal_group_SIB", "Severstal_group", "ПАО «Северсталь Групп» — Сибирь", "RUB"),
    ("Romashka_MSK", "Romashka", "ООО «Ромашка» — Москва", "RUB"),
    ("Romashka_EKB", "Romashka", "ООО «Ромашка» — Екатеринбург", "RUB"),
    ("Northwind_trading_EXPORT", "Northwind_trading", "Northwind Trading LLC — export", "USD"),
    ("Northwind_trading_OLD", "Northwind_trading", "Northwind Trading LLC — old warehouse", "RUB"),
)
# master_id, related_id, linked_on, unlinked_on
LINKS = (
    Link("Orhid_magazine", "Orhid_magazine_DIR", date(2025, 2, 1)),
    Link("Orhid_magazine", "Orhid_magazine_SPB", date(2025, 5, 15)),
    Link("Severstal_group", "Severstal_group_NW", date(2024, 1, 10)),
    Link("Severstal_group", "Severstal_group_URAL", date(2024, 1, 10)),
    Link("Severstal_group", "Severstal_group_SIB", date(2024, 3, 1)),
    Link("Romashka", "Romashka_MSK", date(2025, 9, 1)),
    Link("Romashka", "Romashka_EKB", date(2026, 10, 12)),  # starts inside October
    Link("Northwind_trading", "Northwind_trading_EXPORT", date(2025, 11, 20)),
    Link("Northwind_trading", "Northwind_trading_OLD", date(2024, 6, 1), date(2026, 10, 20)),
)
# client_id, name, type, region (None: no INN), country, currency, credit limit, postpay,
# deferral days, block after days, manager, status
STANDALONE = (
    ("Vector_IT", "АО «Вектор ИТ»", "юрлицо", "77", "RU", "RUB", 30_000, False, 30, 60,
     "Петров А. С.", "active"),
    ("Sibirskie_seti", "ООО «Сибирские сети»", "юрлицо", "54", "RU", "RUB", 15_000, False, 20,
     45, "Петров А. С.", "active"),
    ("Blue_ocean", "Blue Ocean Logistics LLC", "юрлицо", "25", "RU", "USD", 1_000, False, 30,
     None, "Smirnova K.", "active"),
    ("Avtomir", "ООО «Автомир»", "юрлицо", "66", "RU", "RUB", 10_000, False, 10, 30,
     "Иванова Е. П.", "active"),
    ("Pekarnya_hleb", "ООО «Пекарня „Хлеб да Соль“»", "юрлицо", "05", "RU", "RUB", 5_000, False,
     None, None, "Иванова Е. П.", "active"),
    ("Stroymontazh", "ООО «Строймонтаж»", "юрлицо", "16", "RU", "RUB", 0, False, 0, 30,
     "Петров А. С.", "blocked"),
    ("Medcenter_zdorovie", "ООО «Медцентр „Здоровье“»", "юрлицо", "52", "RU", "RUB", 0, True,
     None, None, "Smirnova K.", "active"),
    ("Greenfield_agro", "Greenfield Agro JSC", "юрлицо", "23", "RU", "RUB", 40_000, False, 30, 90,
     "Smirnova K.", "active"),
    ("Kvant_soft", "ООО «Квант Софт»", "юрлицо", "50", "RU", "RUB", 25_000, False, 30, 60,
     "Петров А. С.", "active"),
    ("Skyline_media", "Skyline Media LLC", "юрлицо", "77", "RU", "RUB", 20_000, False, 15, 45,
     "Smirnova K.", "active"),
    ("Tehnopark", "ООО «Технопарк»", "юрлицо", "36", "RU", "RUB", 10_000, False, 30, None,
     "Иванова Е. П.", "active"),
    ("Polar_star", "Polar Star Consulting LLC", "юрлицо", "51", "RU", "USD", 500, False, 30, 60,
     "Smirnova K.", "active"),
    ("ip_Smirnov", "ИП Смирнов Олег Викторович", "ип", "07", "RU", "RUB", 3_000, False, 10, 30,
     "Иванова Е. П.", "active"),
    ("ip_Kuznetsova", "ИП Кузнецова Анна Сергеевна", "ип", "61", "RU", "RUB", 0, False, 10, 30,
     "Иванова Е. П.", "active"),
    ("ip_Volkov", "ИП Волков Дмитрий Игоревич", "ип", "74", "RU", "RUB", 2_000, False, None,
     None, "Петров А. С.", "active"),
    ("ip_Morozova", "ИП Морозова Татьяна Николаевна", "ип", "09", "RU", "RUB", 0, False, 5, 20,
     "Петров А. С.", "active"),
    ("fl_Sokolov", "Соколов Артём Павлович", "физлицо", "47", "RU", "RUB", 0, False, None, None,
     None, "active"),
    ("fl_Lebedeva", "Лебедева Мария Андреевна", "физлицо", None, "RU", "RUB", 0, False, None,
     None, None, "active"),
    ("fl_Novikov", "Новиков Илья Романович", "физлицо", "63", "RU", "RUB", 0, False, None, None,
     None, "active"),
    ("John_Smith", "John Smith", "физлицо", None, "GB", "USD", 0, False, None, None,
     "Smirnova K.", "active"),
    ("Acme_KZ", "Acme Trading KZ LLP", "юрлицо", None, "KZ", "USD", 2_000, False, 30, 60,
     "Smirnova K.", "active"),
)
FOREIGN_TAX_IDS = {"Acme_KZ": "180940021375"}  # a Kazakh BIN: 12 digits, not an INN
INN_TYPED_AS_NUMBER = ("Vector_IT", "Avtomir")  # as accountants often type it: a number cell
NO_EXPENSES = ("fl_Lebedeva",)
PERSONAL_DISCOUNT = ("Orhid_magazine_DIR", 10, "sms", date(2026, 9, 1))

PRODUCTS = {  # product type -> (description, lowest and highest amount in RUB)
    "sms": ("SMS-рассылка", 300, 18_000),
    "voice": ("Телефония: исходящие вызовы", 500, 25_000),
    "hosting": ("Хостинг: виртуальный сервер", 1_500, 12_000),
    "storage": ("Облачное хранилище", 200, 6_000),
    "support": ("Техническая поддержка", 2_500, 30_000),
}


def money(value: int | Decimal) -> Decimal:
    """An amount with 2 decimals (kopecks, cents)."""
    return Decimal(value).quantize(Decimal("0.01"))


def _master_clients(rng: random.Random) -> list[Client]:
    return [
        Client(cid, name, "юрлицо", random_inn(rng, region, 10), "RUB",
               credit_limit=money(limit), deferral_days=deferral, block_after_days=block,
               manager=manager)
        for cid, name, region, limit, deferral, block, manager in MASTERS
    ]


def _related_clients(masters: list[Client]) -> list[Client]:
    by_id = {m.client_id: m for m in masters}
    return [
        Client(cid, name, "юрлицо", by_id[master].tax_id, currency,
               manager=by_id[master].manager)
        for cid, master, name, currency in RELATED
    ]


def _standalone_clients(rng: random.Random) -> list[Client]:
    clients = []
    for (cid, name, kind, region, country, currency, limit, postpay, deferral, block, manager,
         status) in STANDALONE:
        length = 10 if kind == "юрлицо" else 12
        tax_id = random_inn(rng, region, length) if region else FOREIGN_TAX_IDS.get(cid)
        clients.append(Client(cid, name, kind, tax_id, currency, country, money(limit), postpay,
                              deferral, block, manager, status))
    return clients


def sample_clients(rng: random.Random) -> list[Client]:
    masters = _master_clients(rng)
    return masters + _related_clients(masters) + _standalone_clients(rng)


def payer_of(client_id: str, day: date, links: tuple[Link, ...]) -> str:
    """SPEC: the payer of account A on day d is its master when A is related on d, else A."""
    return next((k.master_id for k in links if k.related_id == client_id and k.holds_on(day)),
                client_id)


# --------------------------------------------------------------------------------------------
# Expenses
# --------------------------------------------------------------------------------------------


def _month_days(year: int, month: int) -> int:
    following = date(year + month // 12, month % 12 + 1, 1)
    return (following - timedelta(days=1)).day


def _products_of(client_id: str, rng: random.Random) -> list[str]:
    products = rng.sample(sorted(PRODUCTS), 3)
    discounted, product = PERSONAL_DISCOUNT[0], PERSONAL_DISCOUNT[2]
    if client_id == discounted and product not in products:
        products[0] = product
    return products


def _expense_amount(product: str, currency: str, rng: random.Random) -> Decimal:
    _, low, high = PRODUCTS[product]
    divisor = 1 if currency == "RUB" else int(APPROX_USD_RUB)
    return Decimal(rng.randint(low * 100 // divisor, high * 100 // divisor)).scaleb(-2)


def _client_expenses(client: Client, rng: random.Random) -> list[Expense]:
    products = _products_of(client.client_id, rng)
    months = MONTHS[:1] if client.status == "blocked" else MONTHS
    expenses = []
    for year, month in months:
        for _ in range(rng.randint(2, 6)):
            product = rng.choice(products)
            day = date(year, month, rng.randint(1, _month_days(year, month)))
            amount = _expense_amount(product, client.currency, rng)
            expenses.append(Expense("", client.client_id, day, amount, client.currency, product,
                                    PRODUCTS[product][0]))
    return expenses


def sample_expenses(clients: list[Client], rng: random.Random) -> list[Expense]:
    unnumbered = [
        expense
        for client in clients if client.client_id not in NO_EXPENSES
        for expense in _client_expenses(client, rng)
    ]
    unnumbered.sort(key=lambda e: (e.date, e.client_id.lower(), e.amount))
    return [replace(e, expense_id=f"EXP-26-{n:05d}") for n, e in enumerate(unnumbered, 1)]


# --------------------------------------------------------------------------------------------
# Payments
# --------------------------------------------------------------------------------------------


def _in_currency(amount: Decimal, source: str, target: str) -> Decimal:
    if source == target:
        return amount
    return amount * APPROX_USD_RUB if target == "RUB" else amount / APPROX_USD_RUB


def _monthly_spend(clients: list[Client], expenses: list[Expense],
                   links: tuple[Link, ...]) -> dict[tuple[str, int], Decimal]:
    """Approximate spend per (payer, month) in the payer's currency, to size top-ups."""
    currency = {c.client_id: c.currency for c in clients}
    spend: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
    for e in expenses:
        payer = payer_of(e.client_id, e.date, links)
        spend[payer, e.date.month] += _in_currency(e.amount, e.currency, currency[payer])
    return spend


def _round_up_to(amount: Decimal, step: int) -> Decimal:
    steps = (amount / step).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return money(max(steps, Decimal(1)) * step)


def _pays_cash(client: Client) -> bool:
    return client.client_type in ("ип", "физлицо") and client.country == "RU"


def _top_up_amount(client: Client, spend: Decimal, rng: random.Random) -> tuple[Decimal, str]:
    """A round top-up, or (for cash and now and then by bank) an invoice paid to the kopeck."""
    target = spend * Decimal(rng.randint(70, 135)) / 100
    invoice = rng.randint(1000, 9999)
    if _pays_cash(client) or rng.random() < 0.4:
        return money(target), f"Оплата по счёту № {invoice}"
    step = 100 if client.currency == "RUB" else 10
    return _round_up_to(target, step), "Пополнение баланса"


def _top_up(client: Client, year: int, month: int, spend: Decimal,
            rng: random.Random) -> Payment | None:
    """The month's top-up of a paying account, or None when the account is related that day
    or (now and then) did not pay."""
    day = date(year, month, rng.randint(2, 9))
    amount, comment = _top_up_amount(client, spend, rng)
    missed = rng.random() < 0.12
    if spend == 0 or missed or payer_of(client.client_id, day, LINKS) != client.client_id:
        return None
    reference = None if _pays_cash(client) else f"п/п № {rng.randint(100, 9999)}"
    return Payment("", client.client_id, day, amount, client.currency, "payment", reference,
                   comment)


def _special_payments() -> list[Payment]:
    """Payments that exercise the other kinds and the edges of the hierarchy."""
    return [
        Payment("", "Vector_IT", date(2026, 9, 18), money(5000), "RUB", "refund",
                "Заявление № 41", "Возврат ошибочно зачисленного платежа"),
        Payment("", "Tehnopark", date(2026, 10, 27), money(12000), "RUB", "withdrawal",
                "Заявление № 57", "Вывод остатка средств по заявлению клиента"),
        Payment("", "Severstal_group_NW", date(2026, 10, 29), Decimal("1250.00"), "RUB",
                "correction", "Акт № 12", "Корректировка: двойное списание за хостинг"),
        Payment("", "Avtomir", date(2026, 10, 30), Decimal("-300.00"), "RUB", "correction",
                "Акт № 13", "Корректировка: недоначисление за SMS в сентябре"),
        Payment("", "Northwind_trading", date(2026, 10, 16), Decimal("1500.00"), "USD",
                "payment", "SWIFT 2026101600417", "Оплата в долларах по курсу"),
        Payment("", "Northwind_trading_OLD", date(2026, 10, 20), Decimal("8000.00"), "RUB",
                "payment", "п/п № 7781", "Первое пополнение после отвязки"),
        Payment("", "fl_Lebedeva", date(2026, 9, 14), Decimal("5000.00"), "RUB", "payment",
                None, "Аванс наличными"),
    ]


def _numbered(payments: list[Payment], prefix: str, width: int) -> list[Payment]:
    ordered = sorted(payments, key=lambda p: (p.date, p.client_id.lower(), p.amount))
    return [replace(p, payment_id=f"{prefix}{n:0{width}d}") for n, p in enumerate(ordered, 1)]


def sample_payments(clients: list[Client], expenses: list[Expense],
                    rng: random.Random) -> tuple[list[Payment], list[Payment]]:
    """(bank payments, cash payments) for August to October."""
    spend = _monthly_spend(clients, expenses, LINKS)
    top_ups = [
        payment
        for client in clients for year, month in MONTHS
        if (payment := _top_up(client, year, month, spend[client.client_id, month], rng))
    ]
    by_id = {c.client_id: c for c in clients}
    everything = top_ups + _special_payments()
    cash = [p for p in everything if _pays_cash(by_id[p.client_id])]
    bank = [p for p in everything if not _pays_cash(by_id[p.client_id])]
    return _numbered(bank, "PAY-26-", 4), _numbered(cash, "CASH-26-", 3)


def sample_rates() -> list[Rate]:
    """Default USD->RUB rates with a change in mid-October, and one personal rate."""
    return [
        Rate(None, "RUB", "USD", 91.8734, 1, date(2026, 8, 1)),
        Rate(None, "RUB", "USD", 93.1207, 1, date(2026, 9, 1)),
        Rate(None, "RUB", "USD", 94.0215, 1, date(2026, 10, 1)),
        Rate(None, "RUB", "USD", 92.4512, 1, date(2026, 10, 15)),
        Rate("Orhid_magazine", "RUB", "USD", 90.5, 1, date(2026, 9, 1)),
    ]


def sample_data() -> SampleData:
    rng = random.Random(SAMPLE_SEED)
    clients = sample_clients(rng)
    expenses = sample_expenses(clients, rng)
    bank, cash = sample_payments(clients, expenses, rng)
    return SampleData(tuple(clients), LINKS, tuple(bank), tuple(cash), tuple(expenses),
                      tuple(sample_rates()))


# --------------------------------------------------------------------------------------------
# Writing cells
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Styles:
    header: Any
    title: Any
    money: Any
    date: Any
    rate: Any


def new_workbook(path: Path) -> tuple[Any, Styles]:
    """A workbook whose bytes depend only on what is written to it."""
    workbook = xlsxwriter.Workbook(str(path), {"in_memory": True})
    workbook.set_properties({
        "title": path.stem, "author": "ledgerflow sample data", "created": DOCUMENT_CREATED,
    })
    styles = Styles(
        header=workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1}),
        title=workbook.add_format({"bold": True, "font_size": 14}),
        money=workbook.add_format({"num_format": "#,##0.00"}),
        date=workbook.add_format({"num_format": "dd.mm.yyyy"}),
        rate=workbook.add_format({"num_format": "0.0000"}),
    )
    return workbook, styles


def _write_cell(sheet: Any, row: int, col: int, value: CellValue, styles: Styles) -> None:
    """Write by type: Decimal is money (2 decimals), float a rate, date a date cell."""
    if value is None:
        return
    if isinstance(value, str):
        sheet.write_string(row, col, value)
    elif isinstance(value, Decimal):
        sheet.write_number(row, col, float(value), styles.money)
    elif isinstance(value, float):
        sheet.write_number(row, col, value, styles.rate)
    elif isinstance(value, int):
        sheet.write_number(row, col, value)
    else:
        sheet.write_datetime(row, col, datetime.combine(value, time()), styles.date)


def write_table(sheet: Any, header: tuple[str, ...], rows: Sequence[Sequence[CellValue]],
                 styles: Styles, first_row: int = 0) -> None:
    sheet.set_column(0, len(header) - 1, 18)
    for col, name in enumerate(header):
        sheet.write_string(first_row, col, name, styles.header)
    for r, row in enumerate(rows, first_row + 1):
        for col, value in enumerate(row):
            _write_cell(sheet, r, col, value, styles)


def _russian_money_text(amount: Decimal, separator: str = NBSP) -> str:
    """'1 234,56' with `separator` between thousands."""
    whole, fraction = f"{amount:.2f}".split(".")
    return f"{int(whole):,}".replace(",", separator) + "," + fraction


def _russian_date_text(day: date) -> str:
    return day.strftime("%d.%m.%Y")


# --------------------------------------------------------------------------------------------
# The sample inbox files
# --------------------------------------------------------------------------------------------

CLIENT_HEADER = ("логин", "наименование", "тип", "инн", "страна", "валюта", "кредитный лимит",
                 "оплата по факту", "отсрочка", "блокировать через", "email", "менеджер",
                 "статус")
LINK_HEADER = ("главный", "связанный", "дата связи", "дата отвязки")
PAYMENT_HEADER = ("payment_id", "client_id", "date", "amount", "currency", "kind", "reference",
                  "comment")
CASH_HEADER = ("номер платежа", "логин", "дата", "сумма", "валюта", "вид", "комментарий")
EXPENSE_HEADER = ("номер расхода", "логин", "дата", "сумма", "валюта", "тип продукта",
                  "описание")
RATE_HEADER = ("client_id", "base_currency", "currency", "rate", "units", "valid_from")
DISCOUNT_HEADER = ("client_id", "percent", "product_type", "valid_from", "valid_to")
TAX_HEADER = ("client_id", "rate_pct", "product_type", "valid_from", "valid_to")
EXPENSES_TITLE = "Расходы за октябрь 2026"


def _client_row(c: Client) -> tuple[CellValue, ...]:
    tax_id: CellValue = int(c.tax_id) if c.tax_id and c.client_id in INN_TYPED_AS_NUMBER \
        else c.tax_id
    return (c.client_id, c.name, c.client_type, tax_id, c.country, c.currency, c.credit_limit,
            "да" if c.postpay else "нет", c.deferral_days, c.block_after_days, c.email,
            c.manager, c.status)


def write_clients_sheet(path: Path, clients: tuple[Client, ...]) -> None:
    workbook, styles = new_workbook(path)
    sheet = workbook.add_worksheet("Клиенты")
    write_table(sheet, CLIENT_HEADER, [_client_row(c) for c in clients], styles)
    sheet.freeze_panes(1, 0)
    workbook.close()


def write_links_sheet(path: Path, links: tuple[Link, ...]) -> None:
    workbook, styles = new_workbook(path)
    sheet = workbook.add_worksheet("Связи")
    rows = [(k.master_id, k.related_id, k.linked_on, k.unlinked_on) for k in links]
    write_table(sheet, LINK_HEADER, rows, styles)
    workbook.close()


def _payment_row(n: int, p: Payment) -> tuple[CellValue, ...]:
    kind = None if p.kind == "payment" and n % 7 == 4 else p.kind  # blank kind = payment
    return (p.payment_id, p.client_id, p.date, p.amount, p.currency, kind, p.reference,
            p.comment)


def write_payments_workbook(path: Path, payments: tuple[Payment, ...]) -> None:
    workbook, styles = new_workbook(path)
    sheet = workbook.add_worksheet("payments")
    write_table(sheet, PAYMENT_HEADER, [_payment_row(n, p) for n, p in enumerate(payments)],
                 styles)
    workbook.close()


def write_cash_csv(path: Path, payments: tuple[Payment, ...]) -> None:
    """Windows-1251, ';' delimiter, Russian headers, dates and amounts as Russian text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(CASH_HEADER)
    for p in payments:
        writer.writerow((p.payment_id, p.client_id, _russian_date_text(p.date),
                         _russian_money_text(p.amount, " "), p.currency, "пополнение",
                         p.comment or ""))
    path.write_bytes(buffer.getvalue().encode("cp1251"))


def _expense_row(n: int, e: Expense) -> tuple[CellValue, ...]:
    """Every 11th amount is Russian text (one in five of those with a narrow NBSP), every 13th
    date is Russian text: mixed in the same columns as numbers and date cells."""
    separator = NARROW_NBSP if n % 55 == 3 else NBSP
    amount: CellValue = _russian_money_text(e.amount, separator) if n % 11 == 3 else e.amount
    day: CellValue = _russian_date_text(e.date) if n % 13 == 5 else e.date
    return (e.expense_id, e.client_id, day, amount, e.currency, e.product_type, e.description)


def _write_expenses_sheet(workbook: Any, styles: Styles, expenses: tuple[Expense, ...]) -> None:
    sheet = workbook.add_worksheet("Расходы")
    sheet.write_string(0, 0, EXPENSES_TITLE, styles.title)
    rows = [_expense_row(n, e) for n, e in enumerate(expenses)]
    write_table(sheet, EXPENSE_HEADER, rows, styles, first_row=2)
    sheet.freeze_panes(3, 0)


def _write_summary_sheet(workbook: Any, styles: Styles, expenses: tuple[Expense, ...]) -> None:
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for e in expenses:
        totals[e.date.strftime("%Y-%m"), e.currency] += e.amount
    sheet = workbook.add_worksheet("Сводка")
    rows: list[tuple[CellValue, ...]] = [(month, cur, total)
                                         for (month, cur), total in sorted(totals.items())]
    write_table(sheet, ("месяц", "валюта", "итого"), rows, styles)


def _write_notes_sheet(workbook: Any) -> None:
    sheet = workbook.add_worksheet("notes")
    notes = ("Курсы: ЦБ РФ на дату, с 15.10.2026 новый курс.",
             "Расходы филиала в Екатеринбурге с 12.10.2026 оплачивает ООО «Ромашка».",
             "Лист скрыт бухгалтером; не для загрузки.")
    for row, note in enumerate(notes):
        sheet.write_string(row, 0, note)
    sheet.hide()


def write_expenses_and_rates_workbook(path: Path, data: SampleData) -> None:
    workbook, styles = new_workbook(path)
    _write_expenses_sheet(workbook, styles, data.expenses)
    rates = [(r.client_id, r.base_currency, r.currency, r.rate, r.units, r.valid_from)
             for r in data.rates]
    write_table(workbook.add_worksheet("Курсы"), RATE_HEADER, rates, styles)
    _write_summary_sheet(workbook, styles, data.expenses)
    _write_notes_sheet(workbook)
    workbook.close()


def write_conditions_workbook(path: Path) -> None:
    """One personal discount on one product type; a default VAT 20% and a 0% export row."""
    workbook, styles = new_workbook(path)
    client_id, percent, product, valid_from = PERSONAL_DISCOUNT
    discounts: list[tuple[CellValue, ...]] = [(client_id, percent, product, valid_from, None)]
    taxes: list[tuple[CellValue, ...]] = [
        (None, 20, None, date(2026, 1, 1), None),
        ("Acme_KZ", 0, None, date(2026, 1, 1), None),
    ]
    write_table(workbook.add_worksheet("discounts"), DISCOUNT_HEADER, discounts, styles)
    write_table(workbook.add_worksheet("taxes"), TAX_HEADER, taxes, styles)
    workbook.close()


def write_sample_inbox(directory: Path) -> list[Path]:
    """Write the month-end sample inbox for period 2026-10; the same bytes on every run."""
    directory.mkdir(parents=True, exist_ok=True)
    data = sample_data()
    paths = {name: directory / name for name in (
        "clients.xlsx", "links.xlsx", "payments_2026.xlsx", "payments_cash.csv",
        "expenses_2026-10.xlsx", "conditions.xlsx")}
    write_clients_sheet(paths["clients.xlsx"], data.clients)
    write_links_sheet(paths["links.xlsx"], data.links)
    write_payments_workbook(paths["payments_2026.xlsx"], data.bank_payments)
    write_cash_csv(paths["payments_cash.csv"], data.cash_payments)
    write_expenses_and_rates_workbook(paths["expenses_2026-10.xlsx"], data)
    write_conditions_workbook(paths["conditions.xlsx"])
    return list(paths.values())
