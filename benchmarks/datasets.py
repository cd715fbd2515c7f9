"""Deterministic benchmark inboxes S, M and L for period 2026-10 (data for August–October 2026).

    .venv/bin/python benchmarks/datasets.py S|M|L [--scale X] [--root DIR] [--workers 2]

writes benchmarks/data/inbox_<size>/ (inbox_<size>_x<scale>/ when scaled) and keeps it: while
its `.complete` marker is there, later runs reuse it. `--scale` shrinks every count (0.01 for a
test-sized inbox).

- S: 2,000 clients (500 masters, 1,500 related accounts), 10,000 payments, 100,000 expenses;
- M: 20,000 clients (5,000 masters, 15,000 related), 100,000 payments, 1,000,000 expenses in
  one workbook of three monthly sheets;
- L: the M cast with 10,000,000 expenses in ten workbooks of 1,000,000 rows each.

Every size has the same features: RUB, USD and EUR accounts with default rates that change on
15 October and a few personal ones; links that end or start inside October; regional master
accounts whose related accounts move to their head office's master in October (the regional
master's login begins with the head office's, so each moved account's login begins with both
masters' and naming rule L6 holds); a few personal discounts and a default tax. Everything
follows SPEC.md, so a load refuses nothing and reports no hierarchy finding.

The same bytes on every run: fixed seeds (numpy Generators), fixed document properties, and
xlsxwriter's fixed member timestamps. Workbooks are written with shared strings, as Excel saves
them (xlsxwriter's constant_memory mode would write inline strings, which fastexcel reads about a
third slower, so reading times would not be those of real files); a million-row workbook then
takes about 1 GB while it is written, one workbook per task in a pool of two worker processes.
On the development machine S takes about 10 s, M about a minute (its one expenses workbook) and L
about six minutes (two workers on two virtual cores get about 1.3 cores' work done).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import xlsxwriter

try:
    from ledgerflow.sample import DOCUMENT_CREATED, PRODUCTS
    from ledgerflow.values import complete_inn, excel_serial
except ModuleNotFoundError:  # run from a checkout without the package installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from ledgerflow.sample import DOCUMENT_CREATED, PRODUCTS
    from ledgerflow.values import complete_inn, excel_serial

DATA = Path(__file__).parent / "data"
MARKER = ".complete"
SEED = 20261128
STREAMS = {"cast": 1, "clients": 2, "payments": 3, "conditions": 4, "expenses": 5}

FIRST_DAY = date(2026, 8, 1)  # day 0 of the generated data
DAYS = 92  # August to October 2026
OCTOBER = 61  # the day number of 1 October
NEVER = 10**6  # the day number of a link that does not end
MONTHS = ("2026-08", "2026-09", "2026-10")
MONTH_STARTS = np.array([0, 31, OCTOBER])  # day numbers of the 1st of each month
EXCEL_ROW_LIMIT = 1_048_576

CURRENCIES = ("RUB", "USD", "EUR")
RUB_PER_UNIT = np.array([1.0, 92.0, 100.0])  # only to size amounts; the rates sheet converts

# masters, related accounts, payments, expenses, expense workbooks
FULL_SIZES = {
    "S": (500, 1_500, 10_000, 100_000, 1),
    "M": (5_000, 15_000, 100_000, 1_000_000, 1),
    "L": (5_000, 15_000, 100_000, 10_000_000, 10),
}


# --------------------------------------------------------------------------------------------
# Sizes
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    size: str
    scale: float
    masters: int
    related: int
    payments: int
    expenses: int
    expense_files: int

    @property
    def clients(self) -> int:
        return self.masters + self.related

    @property
    def folder_name(self) -> str:
        return f"inbox_{self.size}" if self.scale == 1 else f"inbox_{self.size}_x{self.scale:g}"

    def expense_rows(self, part: int) -> tuple[int, int]:
        """(expenses before workbook `part`, expenses in it); the last takes the remainder."""
        base = self.expenses // self.expense_files
        rows = base + (self.expenses % self.expense_files if part == self.expense_files - 1
                       else 0)
        return part * base, rows


def shape_of(size: str, scale: float = 1.0) -> Shape:
    if size not in FULL_SIZES:
        raise ValueError(f"size is one of {', '.join(FULL_SIZES)}, not {size!r}")
    if not 0 < scale <= 1:
        raise ValueError(f"scale is more than 0 and at most 1, not {scale}")
    masters, related, payments, expenses, files = FULL_SIZES[size]
    masters = max(2, round(masters * scale))  # at least a head office and its regional master
    return Shape(size, scale, masters, max(masters, round(related * scale)),
                 max(1, round(payments * scale)), max(files, round(expenses * scale)), files)


def _rng(stream: str, shape: Shape, part: int = 0) -> np.random.Generator:
    return np.random.default_rng([SEED, STREAMS[stream], shape.clients, part])


# --------------------------------------------------------------------------------------------
# The cast: masters, related accounts and their links
# --------------------------------------------------------------------------------------------

# (login stem, Russian name) of company names
WORDS_FIRST = (
    ("Vektor", "Вектор"), ("Romashka", "Ромашка"), ("Orhideya", "Орхидея"), ("Almaz", "Алмаз"),
    ("Granit", "Гранит"), ("Meridian", "Меридиан"), ("Gorizont", "Горизонт"),
    ("Voshod", "Восход"), ("Impuls", "Импульс"), ("Kvant", "Квант"), ("Sigma", "Сигма"),
    ("Raduga", "Радуга"), ("Sokol", "Сокол"), ("Polyus", "Полюс"), ("Atlant", "Атлант"),
    ("Feniks", "Феникс"), ("Titan", "Титан"), ("Progress", "Прогресс"), ("Strela", "Стрела"),
    ("Zvezda", "Звезда"), ("Ladoga", "Ладога"), ("Volga", "Волга"), ("Enisey", "Енисей"),
    ("Baykal", "Байкал"), ("Aurora", "Аврора"), ("Orbita", "Орбита"), ("Spektr", "Спектр"),
    ("Severnyi", "Северный"), ("Yuzhnyi", "Южный"), ("Kedr", "Кедр"),
)
WORDS_SECOND = (
    ("plus", "Плюс"), ("group", "Групп"), ("trade", "Трейд"), ("service", "Сервис"),
    ("soft", "Софт"), ("stroy", "Строй"), ("logistic", "Логистик"), ("media", "Медиа"),
    ("agro", "Агро"), ("telecom", "Телеком"), ("invest", "Инвест"), ("prom", "Пром"),
)
LEGAL_FORMS = ("ООО", "ООО", "ООО", "ООО", "АО", "ПАО")
SURNAMES = (
    ("Smirnov", "Смирнов"), ("Ivanov", "Иванов"), ("Kuznetsov", "Кузнецов"),
    ("Popov", "Попов"), ("Volkov", "Волков"), ("Morozov", "Морозов"), ("Lebedev", "Лебедев"),
    ("Sokolov", "Соколов"), ("Novikov", "Новиков"), ("Fedorov", "Фёдоров"),
)
INITIALS = ("А. С.", "О. В.", "Д. И.", "Е. П.", "М. А.", "И. Р.", "Т. Н.", "К. Л.")
REGIONS = ("77", "78", "50", "66", "16", "54", "02", "23", "52", "63", "74", "24", "36", "61")
# related accounts: (login suffix, what the accountant calls it)
BRANCHES = (
    ("DIR", "дирекция"), ("MSK", "филиал Москва"), ("SPB", "филиал Санкт-Петербург"),
    ("EKB", "филиал Екатеринбург"), ("NSK", "филиал Новосибирск"), ("KZN", "филиал Казань"),
    ("NNV", "филиал Нижний Новгород"), ("SAM", "филиал Самара"), ("ROV", "филиал Ростов"),
    ("KRD", "филиал Краснодар"), ("SALES", "отдел продаж"), ("IT", "ИТ-отдел"),
    ("HR", "отдел кадров"), ("LOG", "склад"), ("SHOP", "интернет-магазин"),
)
# regional masters: their login suffixes are none of BRANCHES', so logins stay unique
DIVISIONS = (("YUG", "дивизион Юг"), ("VOSTOK", "дивизион Восток"),
             ("SEVER", "дивизион Север"), ("ZAPAD", "дивизион Запад"))
REGIONAL_SHARE = 0.02  # of masters: regional masters, each paired with the master before it
UNLINKED_SHARE = 0.03  # of related accounts: unlinked in October
NEW_LINK_SHARE = 0.02  # of related accounts: linked in October (paid for themselves before)


@dataclass(frozen=True)
class Cast:
    """Clients as arrays over client numbers (masters first, then related accounts).

    A related account r is linked to master[r] on days linked_on[r] <= d < ends_on[r]; when
    moved_to[r] >= 0 a second link to that master starts on ends_on[r]. Days count from
    1 August 2026 (negative: before it)."""

    masters: int
    ids: list[str]
    names: list[str]
    sole_proprietor: np.ndarray  # per client: ИП rather than a legal entity (group-wide)
    tax_ids: list[str]
    currency: np.ndarray  # index into CURRENCIES
    activity: np.ndarray  # share of the expenses; sums to 1
    master: np.ndarray  # -1 for masters
    linked_on: np.ndarray
    ends_on: np.ndarray
    moved_to: np.ndarray

    @property
    def group(self) -> np.ndarray:
        """The master each client starts August under (a master: itself)."""
        return np.where(self.master < 0, np.arange(len(self.ids)), self.master)

    def own_payer_days(self) -> tuple[np.ndarray, np.ndarray]:
        """Per client, the days [from, until) on which it pays for itself: a master always; a
        related account before its link starts or after it is unlinked; else none."""
        related = self.master >= 0
        unlinked = related & (self.ends_on < DAYS) & (self.moved_to < 0)
        linked_late = related & (self.linked_on > 0)
        start = np.where(unlinked, self.ends_on, np.where(related & ~linked_late, DAYS, 0))
        until = np.where(linked_late, self.linked_on, DAYS)
        return start, until

    def link_rows(self) -> list[tuple[int, int, int, int]]:
        """(master, related, linked_on, ends_on) per link row, in related-account order."""
        rows = []
        for r in range(self.masters, len(self.ids)):
            rows.append((int(self.master[r]), r, int(self.linked_on[r]), int(self.ends_on[r])))
            if self.moved_to[r] >= 0:
                rows.append((int(self.moved_to[r]), r, int(self.ends_on[r]), NEVER))
        return rows


def _group_sizes(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    """Related accounts per master: at least one, skewed (a few large groups, many small)."""
    weights = rng.lognormal(0.0, 0.8, shape.masters)
    extra = rng.multinomial(shape.related - shape.masters, weights / weights.sum())
    return 1 + extra


def _regional_pairs(shape: Shape) -> tuple[np.ndarray, np.ndarray]:
    """(head offices, their regional masters): masters 0, 2, 4 … and 1, 3, 5 …"""
    pairs = max(1, round(shape.masters * REGIONAL_SHARE))
    heads = np.arange(0, 2 * pairs, 2)
    return heads, heads + 1


def _master_logins(rng: np.random.Generator, shape: Shape,
                   sole: np.ndarray) -> tuple[list[str], list[str]]:
    first = rng.integers(0, len(WORDS_FIRST), shape.masters)
    second = rng.integers(0, len(WORDS_SECOND), shape.masters)
    forms = rng.integers(0, len(LEGAL_FORMS), shape.masters)
    initials = rng.integers(0, len(INITIALS), shape.masters)
    ids, names = [], []
    for m in range(shape.masters):
        if sole[m]:
            latin, russian = SURNAMES[first[m] % len(SURNAMES)]
            ids.append(f"ip_{latin}_{m + 1:05d}")
            names.append(f"ИП {russian} {INITIALS[initials[m]]}")
        else:
            (latin1, russian1), (latin2, russian2) = WORDS_FIRST[first[m]], WORDS_SECOND[second[m]]
            ids.append(f"{latin1}_{latin2}_{m + 1:05d}")
            names.append(f"{LEGAL_FORMS[forms[m]]} «{russian1} {russian2}»")
    return ids, names


MasterCast = tuple[list[str], list[str], np.ndarray, list[str], np.ndarray]


def _masters(rng: np.random.Generator, shape: Shape) -> MasterCast:
    """Masters' logins, names, ИП flags, tax IDs and currencies; a regional master shares its
    head office's legal entity (L5) and begins its login with the head office's (L6)."""
    heads, regional = _regional_pairs(shape)
    entity = np.arange(shape.masters)
    entity[regional] = heads
    sole = (rng.random(shape.masters) < 0.15)[entity]
    ids, names = _master_logins(rng, shape, sole)
    for k, (head, reg) in enumerate(zip(heads.tolist(), regional.tolist(), strict=True)):
        suffix, label = DIVISIONS[k % len(DIVISIONS)]
        ids[reg], names[reg] = f"{ids[head]}_{suffix}", f"{names[head]} — {label}"
    region = rng.integers(0, len(REGIONS), shape.masters)[entity]
    # The stem holds the entity's number, so tax IDs are unique per legal entity.
    tax_ids = [complete_inn(f"{REGIONS[r]}{e + 1:08d}" if s else f"{REGIONS[r]}{e + 1:07d}")
               for r, e, s in zip(region.tolist(), entity.tolist(), sole.tolist(), strict=True)]
    currency = rng.choice(len(CURRENCIES), shape.masters, p=[0.85, 0.10, 0.05])[entity]
    return ids, names, sole, tax_ids, currency


def _related(rng: np.random.Generator, shape: Shape, ids: list[str], names: list[str],
             master_currency: np.ndarray) -> tuple[np.ndarray, list[str], list[str], np.ndarray]:
    """Related accounts' masters, logins (the master's login + a branch suffix), names and
    currencies (mostly the master's)."""
    master = np.repeat(np.arange(shape.masters), _group_sizes(rng, shape))
    starts = np.searchsorted(master, master, side="left")
    rel_ids, rel_names = [], []
    for m, j in zip(master.tolist(), (np.arange(shape.related) - starts).tolist(), strict=True):
        suffix, label = BRANCHES[j] if j < len(BRANCHES) else (f"OFFICE{j + 1}", f"офис {j + 1}")
        rel_ids.append(f"{ids[m]}_{suffix}")
        rel_names.append(f"{names[m]} — {label}")
    own = rng.random(shape.related) < 0.75
    currency = np.where(own, master_currency[master],
                        rng.choice(len(CURRENCIES), shape.related, p=[0.6, 0.3, 0.1]))
    return master, rel_ids, rel_names, currency


def _at_least_one(fate: np.ndarray, free: np.ndarray, value: int) -> None:
    """Make sure a small inbox still has a link of each kind: the first free account gets it."""
    if not (fate == value).any():
        candidates = np.flatnonzero(free & (fate == 0))
        if len(candidates):
            fate[candidates[0]] = value


def _link_days(rng: np.random.Generator, shape: Shape,
               master: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(linked_on, ends_on, moved_to) per related account."""
    heads, regional = _regional_pairs(shape)
    n = shape.related
    linked_on = -rng.integers(1, 3 * 365, n)  # linked in the last three years
    ends_on = np.full(n, NEVER)
    moved_to = np.full(n, -1)
    moving = np.isin(master, regional)
    move_day = np.full(shape.masters, NEVER)
    move_day[regional] = OCTOBER + rng.integers(4, 25, len(regional))
    head_of = np.full(shape.masters, -1)
    head_of[regional] = heads
    ends_on[moving] = move_day[master[moving]]
    moved_to[moving] = head_of[master[moving]]
    u = rng.random(n)
    fate = np.where(u < UNLINKED_SHARE, 1, np.where(u < UNLINKED_SHARE + NEW_LINK_SHARE, 2, 0))
    fate[moving] = 0
    _at_least_one(fate, ~moving, 1)
    _at_least_one(fate, ~moving, 2)
    october_days = OCTOBER + rng.integers(4, 25, n)  # 5 to 25 October
    ends_on[fate == 1] = october_days[fate == 1]
    linked_on[fate == 2] = october_days[fate == 2]
    return linked_on, ends_on, moved_to


def build_cast(shape: Shape) -> Cast:
    rng = _rng("cast", shape)
    ids, names, sole, tax_ids, currency = _masters(rng, shape)
    master, rel_ids, rel_names, rel_currency = _related(rng, shape, ids, names, currency)
    linked_on, ends_on, moved_to = _link_days(rng, shape, master)
    activity = rng.lognormal(0.0, 1.0, shape.clients)
    none = np.full(shape.masters, -1)
    return Cast(
        shape.masters, ids + rel_ids, names + rel_names,
        np.concatenate([sole, sole[master]]), tax_ids + [tax_ids[m] for m in master.tolist()],
        np.concatenate([currency, rel_currency]), activity / activity.sum(),
        np.concatenate([none, master]), np.concatenate([none, linked_on]),
        np.concatenate([none, ends_on]), np.concatenate([none, moved_to]))


# --------------------------------------------------------------------------------------------
# Writing sheets
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of a sheet: its header, how its cells are written, and its values (None:
    blank). Dates are Excel serial numbers, written as date cells."""

    header: str
    kind: str  # text | number | money | rate | date
    values: Sequence[Any]


def serials(days: np.ndarray) -> list[int]:
    """Excel serial numbers of day numbers (0 = 1 August 2026)."""
    return (days + excel_serial(FIRST_DAY)).tolist()


def _new_workbook(path: Path) -> tuple[Any, dict[str, Any]]:
    """A workbook whose bytes depend only on what is written to it."""
    workbook = xlsxwriter.Workbook(str(path))
    workbook.set_properties({"title": path.stem, "author": "ledgerflow benchmark data",
                             "created": DOCUMENT_CREATED})
    formats = {
        "header": workbook.add_format({"bold": True}),
        "text": None, "number": None,
        "money": workbook.add_format({"num_format": "#,##0.00"}),
        "rate": workbook.add_format({"num_format": "0.0000"}),
        "date": workbook.add_format({"num_format": "dd.mm.yyyy"}),
    }
    return workbook, formats


def _write_sheet(workbook: Any, formats: dict[str, Any], name: str, columns: list[Column],
                 rows: range) -> int:
    """Rows `rows` of the columns under a header row; returns how many rows were written."""
    if len(rows) >= EXCEL_ROW_LIMIT:
        raise ValueError(f"sheet {name!r} would have {len(rows):,} rows, over Excel's limit")
    sheet = workbook.add_worksheet(name)
    sheet.set_column(0, len(columns) - 1, 16)
    sheet.freeze_panes(1, 0)
    for c, column in enumerate(columns):
        sheet.write_string(0, c, column.header, formats["header"])
    plan = [(c, sheet.write_string if column.kind == "text" else sheet.write_number,
             column.values, formats[column.kind]) for c, column in enumerate(columns)]
    for row, r in enumerate(rows, 1):
        for c, write, values, cell_format in plan:
            value = values[r]
            if value is not None:
                write(row, c, value, cell_format)
    return len(rows)


def _write_workbook(path: Path, sheets: list[tuple[str, list[Column]]]) -> None:
    workbook, formats = _new_workbook(path)
    for name, columns in sheets:
        _write_sheet(workbook, formats, name, columns, range(len(columns[0].values)))
    workbook.close()


# --------------------------------------------------------------------------------------------
# clients.xlsx and links.xlsx (Russian headers, as accountants keep them)
# --------------------------------------------------------------------------------------------

MANAGERS = ("Иванова Е. П.", "Петров А. С.", "Smirnova K.", "Кузнецова О. В.", "Орлов Д. И.")
CREDIT_LIMITS = np.array([0, 0, 5_000, 10_000, 20_000, 50_000, 100_000, 250_000, 500_000])
DEFERRALS = (None, 0, 10, 15, 30, 30, 45)


def _masters_terms(rng: np.random.Generator, cast: Cast) -> dict[str, list[Any]]:
    """Credit terms of the masters (a related account's own are ignored while it is related,
    so they keep the defaults)."""
    m = cast.masters
    limit = rng.choice(CREDIT_LIMITS, m) / np.where(cast.currency[:m] == 0, 1, 100)
    deferral = [DEFERRALS[i] for i in rng.integers(0, len(DEFERRALS), m).tolist()]
    grace = rng.choice([15, 30, 60, -1], m).tolist()  # -1: never blocked
    return {
        "limit": limit.round(2).tolist(),
        "postpay": ["да" if p else "нет" for p in (rng.random(m) < 0.03).tolist()],
        "deferral": deferral,
        "block": [None if d is None or g < 0 else d + g for d, g in zip(deferral, grace,
                                                                          strict=True)],
        "manager": [MANAGERS[i] for i in rng.integers(0, len(MANAGERS), m).tolist()],
        "status": ["заблокирован" if b else "активен" for b in (rng.random(m) < 0.02).tolist()],
    }


def client_columns(cast: Cast, rng: np.random.Generator) -> list[Column]:
    terms = _masters_terms(rng, cast)
    related = len(cast.ids) - cast.masters
    group = cast.group.tolist()
    with_email = (cast.master < 0) | (rng.random(len(cast.ids)) < 0.5)
    emails = [f"billing.{cid.lower().replace('_', '-')}@example.com" if e else None
              for cid, e in zip(cast.ids, with_email.tolist(), strict=True)]
    return [
        Column("логин", "text", cast.ids), Column("наименование", "text", cast.names),
        Column("тип", "text", ["ип" if s else "юрлицо" for s in cast.sole_proprietor.tolist()]),
        Column("инн", "text", cast.tax_ids), Column("страна", "text", ["RU"] * len(cast.ids)),
        Column("валюта", "text", [CURRENCIES[c] for c in cast.currency.tolist()]),
        Column("кредитный лимит", "money", terms["limit"] + [0.0] * related),
        Column("оплата по факту", "text", terms["postpay"] + ["нет"] * related),
        Column("отсрочка", "number", terms["deferral"] + [None] * related),
        Column("блокировать через", "number", terms["block"] + [None] * related),
        Column("email", "text", emails),
        Column("менеджер", "text", [terms["manager"][g] for g in group]),
        Column("статус", "text", terms["status"] + ["активен"] * related),
    ]


def write_clients(path: Path, cast: Cast, shape: Shape) -> dict[str, int]:
    _write_workbook(path, [("Клиенты", client_columns(cast, _rng("clients", shape)))])
    return {"clients": len(cast.ids)}


def write_links(path: Path, cast: Cast, shape: Shape) -> dict[str, int]:
    rows = cast.link_rows()
    master, related, linked_on, ends_on = (np.array(c, dtype=np.int64) for c in zip(*rows,
                                                                                  strict=True))
    unlinked = [s if e < NEVER else None for s, e in zip(serials(ends_on), ends_on.tolist(),
                                                         strict=True)]
    _write_workbook(path, [("Связи", [
        Column("главный", "text", [cast.ids[m] for m in master.tolist()]),
        Column("связанный", "text", [cast.ids[r] for r in related.tolist()]),
        Column("дата связи", "date", serials(linked_on)),
        Column("дата отвязки", "date", unlinked),
    ])])
    return {"links": len(rows)}


# --------------------------------------------------------------------------------------------
# payments.xlsx (English headers, as a bank export)
# --------------------------------------------------------------------------------------------

PAYMENT_KINDS = ("payment", "refund", "withdrawal", "correction")
PAYMENT_KIND_SHARES = (0.93, 0.03, 0.02, 0.02)
TOP_UP_COVER = 1.3  # with the log-normal spread's mean, top-ups are 1.4x the expenses
PRODUCT_NAMES = tuple(PRODUCTS)
PRODUCT_SHARES = np.array([0.35, 0.25, 0.15, 0.15, 0.10])  # in the order of PRODUCTS
PRODUCT_LOW = np.array([PRODUCTS[p][1] for p in PRODUCT_NAMES])
PRODUCT_HIGH = np.array([PRODUCTS[p][2] for p in PRODUCT_NAMES])


def _top_up_weights(cast: Cast) -> np.ndarray:
    """Who tops up how often: a master by its group's spending; a related account that pays for
    itself part of the period by its own, for that part."""
    spend = np.bincount(cast.group, weights=cast.activity, minlength=len(cast.ids))
    start, until = cast.own_payer_days()
    share = np.clip(until - start, 0, DAYS) / DAYS
    weights = np.where(cast.master < 0, spend, cast.activity * share)
    return weights / weights.sum()


def _payment_clients(rng: np.random.Generator, cast: Cast, kind: np.ndarray) -> np.ndarray:
    """Top-ups go to payers only (P2); refunds and withdrawals to masters; a correction to any
    account."""
    n = len(cast.ids)
    client = rng.choice(n, len(kind), p=_top_up_weights(cast))
    masters = np.flatnonzero(cast.master < 0)
    spend = np.bincount(cast.group, weights=cast.activity, minlength=n)[masters]
    debit = np.isin(kind, (1, 2))
    client[debit] = rng.choice(masters, int(debit.sum()), p=spend / spend.sum())
    correction = kind == 3
    client[correction] = rng.choice(n, int(correction.sum()), p=cast.activity)
    return client


def _payment_days(rng: np.random.Generator, cast: Cast, kind: np.ndarray,
                  client: np.ndarray) -> np.ndarray:
    """Inside the days the account pays for itself; a master's top-up mostly between the 2nd and
    the 10th of a month, as invoices are paid."""
    start, until = cast.own_payer_days()
    top_up = kind == 0
    low = np.where(top_up, start[client], 0)
    high = np.where(top_up, until[client], DAYS)
    day = low + (rng.random(len(kind)) * (high - low)).astype(np.int64)
    early = top_up & (cast.master[client] < 0) & (rng.random(len(kind)) < 0.6)
    month_start = MONTH_STARTS[rng.integers(0, len(MONTH_STARTS), len(kind))]
    return np.where(early, month_start + rng.integers(1, 10, len(kind)), day)


def _payment_cents(rng: np.random.Generator, cast: Cast, shape: Shape, kind: np.ndarray,
                   client: np.ndarray) -> np.ndarray:
    """Top-ups sized so that payments roughly cover the expenses; most are round sums, some paid
    to the kopeck; debits smaller; corrections signed."""
    mean_expense = float(PRODUCT_SHARES @ (PRODUCT_LOW + PRODUCT_HIGH) / 2)
    # VAT comes on top of the expenses, and most clients pay a little ahead
    top_up_rub = TOP_UP_COVER * shape.expenses * mean_expense / max(1, int((kind == 0).sum()))
    n = len(kind)
    rub = np.select([kind == 0, kind == 3], [
        top_up_rub * rng.lognormal(0.0, 0.4, n),
        rng.uniform(100, 5_000, n) * rng.choice([-1, 1], n),
    ], top_up_rub * rng.uniform(0.05, 0.4, n))
    cents = np.rint(rub * 100 / RUB_PER_UNIT[cast.currency[client]]).astype(np.int64)
    step = np.where(cast.currency[client] == 0, 10_000, 1_000)  # 100 RUB, 10 USD or EUR
    rounded = (kind == 0) & (rng.random(n) < 0.6)
    cents = np.where(rounded, np.maximum(1, np.rint(cents / step)).astype(np.int64) * step,
                     cents)
    return np.where(cents == 0, 100, cents)  # never zero: a correction is signed, not empty


PAYMENT_TEXTS = {  # kind -> (reference, comment); {n} is a document number
    0: ("п/п № {n}", "Пополнение баланса"),
    1: ("Заявление № {n}", "Возврат ошибочно зачисленного платежа"),
    2: ("Заявление № {n}", "Вывод остатка средств по заявлению клиента"),
    3: ("Акт № {n}", "Корректировка начислений"),
}


def _payment_texts(rng: np.random.Generator, kind: list[int]) -> tuple[list[str], list[str]]:
    numbers = rng.integers(100, 99_999, len(kind)).tolist()
    invoice = (rng.random(len(kind)) < 0.4).tolist()
    references = [PAYMENT_TEXTS[k][0].format(n=n) for k, n in zip(kind, numbers, strict=True)]
    comments = [f"Оплата по счёту № {n // 10}" if k == 0 and i else PAYMENT_TEXTS[k][1]
                for k, n, i in zip(kind, numbers, invoice, strict=True)]
    return references, comments


def payment_columns(cast: Cast, shape: Shape) -> list[Column]:
    rng = _rng("payments", shape)
    kind = rng.choice(len(PAYMENT_KINDS), shape.payments, p=PAYMENT_KIND_SHARES)
    client = _payment_clients(rng, cast, kind)
    day = _payment_days(rng, cast, kind, client)
    cents = _payment_cents(rng, cast, shape, kind, client)
    order = np.lexsort((client, day))  # as the bank exports them: by date
    kind, client, day, cents = kind[order], client[order], day[order], cents[order]
    blank_kind = (rng.random(shape.payments) < 0.1) & (kind == 0)  # blank kind = payment
    references, comments = _payment_texts(rng, kind.tolist())
    return [
        Column("payment_id", "text", [f"PAY-26-{n:06d}" for n in range(1, shape.payments + 1)]),
        Column("client_id", "text", [cast.ids[c] for c in client.tolist()]),
        Column("date", "date", serials(day)), Column("amount", "money", (cents / 100).tolist()),
        Column("currency", "text", [CURRENCIES[c] for c in cast.currency[client].tolist()]),
        Column("kind", "text", [None if b else PAYMENT_KINDS[k]
                                for k, b in zip(kind.tolist(), blank_kind.tolist(), strict=True)]),
        Column("reference", "text", references), Column("comment", "text", comments),
    ]


def write_payments(path: Path, cast: Cast, shape: Shape) -> dict[str, int]:
    _write_workbook(path, [("payments", payment_columns(cast, shape))])
    return {"payments": shape.payments}


# --------------------------------------------------------------------------------------------
# conditions.xlsx: rates (Russian headers), discounts and taxes (English)
# --------------------------------------------------------------------------------------------

RATE_DATES = (date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1), date(2026, 10, 15))
DEFAULT_RATES = {  # (base currency, currency) -> rate on each of RATE_DATES
    ("RUB", "USD"): (91.8734, 93.1207, 94.0215, 92.4512),
    ("RUB", "EUR"): (99.5412, 101.2034, 102.3377, 100.8921),
    ("USD", "EUR"): (1.0834, 1.0868, 1.0885, 1.0913),  # EUR <-> USD accounts in one group
}
PERSONAL_RATE_SHARE = 0.004  # of masters, RUB ones: a negotiated USD rate from September
DISCOUNT_SHARE = 0.01  # of clients
DISCOUNT_PERCENTS = (5, 7.5, 10, 12.5, 15)


def _rate_rows(rng: np.random.Generator, cast: Cast) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = [
        (None, base, currency, rate, 1, excel_serial(day))
        for (base, currency), rates in DEFAULT_RATES.items()
        for day, rate in zip(RATE_DATES, rates, strict=True)]
    rub_masters = np.flatnonzero(cast.currency[:cast.masters] == 0)
    chosen = rng.choice(rub_masters, min(len(rub_masters), max(
        1, round(cast.masters * PERSONAL_RATE_SHARE))), replace=False)
    rows += [(cast.ids[m], "RUB", "USD", round(float(rng.uniform(89.5, 91.5)), 4), 1,
              excel_serial(date(2026, 9, 1))) for m in sorted(chosen.tolist())]
    return rows


def _discount_rows(rng: np.random.Generator, cast: Cast) -> list[tuple[Any, ...]]:
    """Personal discounts, one per client (so no two rows of one client overlap)."""
    n = len(cast.ids)
    chosen = sorted(rng.choice(n, min(n, max(2, round(n * DISCOUNT_SHARE))),
                               replace=False).tolist())
    rows = []
    for k, c in enumerate(chosen):
        product = PRODUCT_NAMES[int(rng.integers(0, len(PRODUCT_NAMES)))] if k % 2 else None
        since = date(2026, 9, 1) if k % 3 else date(2026, 1, 1)
        until = excel_serial(date(2026, 12, 31)) if k % 4 == 1 else None
        rows.append((cast.ids[c], DISCOUNT_PERCENTS[k % len(DISCOUNT_PERCENTS)], product,
                     excel_serial(since), until))
    return rows


def _tax_rows(cast: Cast) -> list[tuple[Any, ...]]:
    """VAT 20 % by default; 0 % for the first USD master (an export client), when there is one."""
    rows: list[tuple[Any, ...]] = [(None, 20, None, excel_serial(date(2026, 1, 1)), None)]
    usd = np.flatnonzero(cast.currency[:cast.masters] == 1)
    if len(usd):
        rows.append((cast.ids[int(usd[0])], 0, None, excel_serial(date(2026, 1, 1)), None))
    return rows


def _columns(headers: Sequence[tuple[str, str]], rows: list[tuple[Any, ...]]) -> list[Column]:
    values = list(zip(*rows, strict=True)) if rows else [()] * len(headers)
    return [Column(h, kind, v) for (h, kind), v in zip(headers, values, strict=True)]


def write_conditions(path: Path, cast: Cast, shape: Shape) -> dict[str, int]:
    rng = _rng("conditions", shape)
    rates, discounts, taxes = _rate_rows(rng, cast), _discount_rows(rng, cast), _tax_rows(cast)
    _write_workbook(path, [
        ("Курсы", _columns((("логин", "text"), ("базовая валюта", "text"), ("валюта", "text"),
                            ("курс", "rate"), ("количество", "number"), ("дата", "date")),
                           rates)),
        ("discounts", _columns((("client_id", "text"), ("percent", "number"),
                                ("product_type", "text"), ("valid_from", "date"),
                                ("valid_to", "date")), discounts)),
        ("taxes", _columns((("client_id", "text"), ("rate_pct", "number"),
                            ("product_type", "text"), ("valid_from", "date"),
                            ("valid_to", "date")), taxes)),
    ])
    return {"rates": len(rates), "discounts": len(discounts), "taxes": len(taxes)}


# --------------------------------------------------------------------------------------------
# expenses*.xlsx: one sheet per month
# --------------------------------------------------------------------------------------------

EXPENSE_HEADERS = {
    "ru": ("номер расхода", "логин", "дата", "сумма", "валюта", "тип продукта", "описание"),
    "en": ("expense_id", "client_id", "date", "amount", "currency", "product_type",
           "description"),
}
EXPENSE_SHEET = {"ru": "Расходы {month}", "en": "expenses {month}"}
ZERO_EXPENSE_SHARE = 0.001  # free usage lines: an expense of 0.00 is allowed


def _day_weights() -> np.ndarray:
    """Fewer expenses at weekends."""
    weekday = (np.arange(DAYS) + FIRST_DAY.weekday()) % 7
    weights = np.where(weekday >= 5, 0.4, 1.0)
    return weights / weights.sum()


def _expense_cents(rng: np.random.Generator, product: np.ndarray,
                   currency: np.ndarray) -> np.ndarray:
    rub_cents = rng.integers(PRODUCT_LOW[product] * 100, PRODUCT_HIGH[product] * 100 + 1)
    cents = np.maximum(1, np.rint(rub_cents / RUB_PER_UNIT[currency])).astype(np.int64)
    cents[rng.random(len(cents)) < ZERO_EXPENSE_SHARE] = 0
    return cents


def expense_columns(cast: Cast, shape: Shape, part: int,
                    language: str) -> tuple[list[Column], np.ndarray]:
    """The columns of expense workbook `part`, ordered by date, and the day of each row."""
    rng = _rng("expenses", shape, part)
    first, rows = shape.expense_rows(part)
    day = np.sort(rng.choice(DAYS, rows, p=_day_weights()))
    client = rng.choice(len(cast.ids), rows, p=cast.activity)
    product = rng.choice(len(PRODUCT_NAMES), rows, p=PRODUCT_SHARES)
    currency = cast.currency[client]
    cents = _expense_cents(rng, product, currency)
    headers = EXPENSE_HEADERS[language]
    names = [PRODUCTS[p][0] for p in PRODUCT_NAMES]
    product_list = product.tolist()
    return [
        Column(headers[0], "text", [f"EXP-26-{n:08d}" for n in range(first + 1,
                                                                     first + rows + 1)]),
        Column(headers[1], "text", [cast.ids[c] for c in client.tolist()]),
        Column(headers[2], "date", serials(day)),
        Column(headers[3], "money", (cents / 100).tolist()),
        Column(headers[4], "text", [CURRENCIES[c] for c in currency.tolist()]),
        Column(headers[5], "text", [PRODUCT_NAMES[p] for p in product_list]),
        Column(headers[6], "text", [names[p] for p in product_list]),
    ], day


def write_expenses(path: Path, cast: Cast, shape: Shape, part: int) -> dict[str, int]:
    """One workbook of expenses with a sheet per month; the parts of L alternate Russian and
    English sheet names and headers, as exports from different systems would."""
    language = "ru" if part % 2 == 0 else "en"
    columns, day = expense_columns(cast, shape, part, language)
    bounds = np.searchsorted(day, [*MONTH_STARTS.tolist(), DAYS]).tolist()
    workbook, formats = _new_workbook(path)
    written = 0
    for month, start, stop in zip(MONTHS, bounds, bounds[1:], strict=False):
        name = EXPENSE_SHEET[language].format(month=month)
        written += _write_sheet(workbook, formats, name, columns, range(start, stop))
    workbook.close()
    return {"expenses": written}


# --------------------------------------------------------------------------------------------
# The inbox
# --------------------------------------------------------------------------------------------

Task = tuple[Callable[..., dict[str, int]], Path, tuple[Any, ...]]


def _tasks(inbox: Path, cast: Cast, shape: Shape) -> list[Task]:
    """One task per workbook, the long expense workbooks first so the pool stays busy."""
    single = shape.expense_files == 1
    tasks: list[Task] = [
        (write_expenses, inbox / ("expenses.xlsx" if single else f"expenses_{part + 1:02d}.xlsx"),
         (cast, shape, part)) for part in range(shape.expense_files)]
    tasks += [(write_payments, inbox / "payments.xlsx", (cast, shape)),
              (write_clients, inbox / "clients.xlsx", (cast, shape)),
              (write_links, inbox / "links.xlsx", (cast, shape)),
              (write_conditions, inbox / "conditions.xlsx", (cast, shape))]
    return tasks


def _run_tasks(tasks: list[Task], workers: int) -> list[dict[str, int]]:
    if workers <= 1:
        return [write(path, *args) for write, path, args in tasks]
    # spawn, not fork: the caller (a test, a benchmark) may already run threads of its own
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [pool.submit(write, path, *args) for write, path, args in tasks]
        return [future.result() for future in futures]


def _summary(shape: Shape, tasks: list[Task], counts: list[dict[str, int]],
             seconds: float) -> dict[str, Any]:
    rows: dict[str, int] = {}
    files = {}
    for (_, path, _), count in zip(tasks, counts, strict=True):
        files[path.name] = {"rows": count, "bytes": path.stat().st_size}
        for kind, n in count.items():
            rows[kind] = rows.get(kind, 0) + n
    return {"size": shape.size, "scale": shape.scale, "rows": rows,
            "files": dict(sorted(files.items())), "seconds": round(seconds, 1)}


def make_inbox(size: str, root: Path = DATA, scale: float = 1.0, workers: int = 2) -> Path:
    """The inbox of `size` (S, M or L) under `root`, written unless its `.complete` marker is
    there. The marker holds what was written (rows per kind, files, seconds) as JSON."""
    shape = shape_of(size, scale)
    inbox = root / shape.folder_name
    if (inbox / MARKER).exists():
        return inbox
    started = time.perf_counter()
    shutil.rmtree(inbox, ignore_errors=True)  # a run that stopped half-way leaves no marker
    inbox.mkdir(parents=True)
    cast = build_cast(shape)
    tasks = _tasks(inbox, cast, shape)
    counts = _run_tasks(tasks, workers)
    summary = _summary(shape, tasks, counts, time.perf_counter() - started)
    (inbox / MARKER).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return inbox


def read_summary(inbox: Path) -> dict[str, Any]:
    """What make_inbox wrote into the inbox (its `.complete` marker)."""
    summary: dict[str, Any] = json.loads((inbox / MARKER).read_text(encoding="utf-8"))
    return summary


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size", choices=sorted(FULL_SIZES), help="which inbox")
    parser.add_argument("--scale", type=float, default=1.0, help="shrink every count (0 < X <= 1)")
    parser.add_argument("--root", type=Path, default=DATA, help="where the inbox folder goes")
    parser.add_argument("--workers", type=int, default=2, help="processes writing workbooks")
    return parser.parse_args(argv)


def describe(inbox: Path, reused: bool, seconds: float) -> list[str]:
    summary = read_summary(inbox)
    how = (f"reused (written earlier in {summary['seconds']:.1f} s)" if reused
           else f"written in {seconds:.1f} s")
    lines = [f"{inbox}: {how}"]
    total = 0
    for name, entry in summary["files"].items():
        total += entry["bytes"]
        rows = ", ".join(f"{n:,} {kind}" for kind, n in entry["rows"].items())
        lines.append(f"  {name:<20} {entry['bytes'] / 1e6:8.1f} MB  {rows}")
    lines.append(f"  {'total':<20} {total / 1e6:8.1f} MB")
    lines.append("  rows: " + ", ".join(f"{kind} {n:,}" for kind, n in summary["rows"].items()))
    return lines


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        shape = shape_of(args.size, args.scale)
    except ValueError as exc:
        sys.exit(str(exc))
    reused = (args.root / shape.folder_name / MARKER).exists()
    started = time.perf_counter()
    inbox = make_inbox(args.size, args.root, args.scale, args.workers)
    print("\n".join(describe(inbox, reused, time.perf_counter() - started)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
