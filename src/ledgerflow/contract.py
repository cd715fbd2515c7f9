"""The input contract of SPEC "Inputs": which tables exist, their columns, aliases and value types.

Everything that recognises a table or a column reads it from here, so the names an accountant may
type (English or Russian, any case, any spacing) are defined in one place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ledgerflow.i18n import N_, _

ValueType = Literal[
    "id", "text", "money", "date", "currency", "country", "tax_id", "bool", "whole", "decimal",
    "enum", "email",
]


# How each value type is stored in the warehouse: money and rates exact, never DOUBLE.
SQL_TYPES: dict[str, str] = {
    "money": "DECIMAL(18,4)", "decimal": "DECIMAL(18,6)", "whole": "BIGINT", "date": "DATE",
    "bool": "BOOLEAN",
}


@dataclass(frozen=True)
class Column:
    """One column of a table kind; validation, keys, references and storage are derived from it.

    A column with a default is never empty once validated (the default fills blank cells), so
    only a column that is neither required nor defaulted may be empty in the warehouse.
    """

    name: str
    # the Russian header an accountant may type instead of `name` (matched in any case; written
    # as here, first letter capitalised, in an input template: ledgerflow.workbook_template)
    alias: str
    type: ValueType
    required: bool = False
    choices: dict[str, str] | None = None  # accepted spelling (lower case) -> canonical value
    default: str | None = None
    key: bool = False  # part of what makes two rows the same record
    client_ref: bool = False  # when filled in, names a client (rule L1)
    max_length: int = 200  # text: at most this many characters
    minimum: int | None = None  # money and whole numbers: at least this
    # what a blank cell of an optional column without a default means, in words (the input
    # template's note says it: "blank means no limit")
    blank: str | None = None
    # Added after warehouses were made (optional, no default): an older warehouse gains it when
    # opened, and it joins a row's hash only when filled, so rows stored before keep theirs.
    added: bool = False

    @property
    def nullable(self) -> bool:
        return not self.required and self.default is None

    @property
    def sql_type(self) -> str:
        return SQL_TYPES.get(self.type, "VARCHAR")


@dataclass(frozen=True)
class TableKind:
    name: str
    alias: str
    columns: tuple[Column, ...]
    id_column: str | None = None  # unique within the table, compared ignoring case
    id_noun: str = ""  # what its ID is called in messages: "client ID" (N_: translated when shown)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def key_columns(self) -> tuple[str, ...]:
        """The columns whose values say two rows are the same record (IDs ignore case)."""
        return tuple(c.name for c in self.columns if c.key)

    @property
    def client_references(self) -> tuple[str, ...]:
        """The columns that, when filled in, must name a known client."""
        return tuple(c.name for c in self.columns if c.client_ref)


CLIENT_TYPES = {
    "legal": "legal", "юрлицо": "legal", "юр. лицо": "legal", "юридическое лицо": "legal",
    "individual": "individual", "физлицо": "individual", "физ. лицо": "individual",
    "физическое лицо": "individual",
    "sole_proprietor": "sole_proprietor", "ип": "sole_proprietor",
    "индивидуальный предприниматель": "sole_proprietor",
}
CLIENT_STATUSES = {
    "active": "active", "активен": "active", "активный": "active",
    "blocked": "blocked", "заблокирован": "blocked",
    "closed": "closed", "закрыт": "closed",
}
PAYMENT_KINDS = {
    "payment": "payment", "платеж": "payment", "платёж": "payment", "пополнение": "payment",
    "refund": "refund", "возврат": "refund",
    "withdrawal": "withdrawal", "вывод средств": "withdrawal", "вывод": "withdrawal",
    "correction": "correction", "корректировка": "correction",
}

CLIENTS = TableKind(
    "clients", "клиенты", id_column="client_id", id_noun=N_("client ID"), columns=(
        Column("client_id", "логин", "id", required=True, key=True),
        Column("name", "наименование", "text", required=True),
        Column("client_type", "тип", "enum", required=True, choices=CLIENT_TYPES),
        Column("tax_id", "ИНН", "tax_id"),  # an abbreviation, written in capitals
        Column("country", "страна", "country", default="RU"),
        Column("currency", "валюта", "currency", required=True),
        Column("credit_limit", "кредитный лимит", "money", default="0", minimum=0),
        Column("postpay", "оплата по факту", "bool", default="no"),
        Column("deferral_days", "отсрочка", "whole", minimum=0, blank=N_("no limit")),
        Column("block_after_days", "блокировать через", "whole", minimum=0,
               blank=N_("never blocked")),
        Column("email", "email", "email"),
        Column("manager", "менеджер", "text"),
        Column("status", "статус", "enum", choices=CLIENT_STATUSES, default="active"),
        # a multi-regional company's regional accounts: shown with the group on the index
        Column("region", "регион", "text", added=True),
    ),
)
LINKS = TableKind(
    "links", "связи", columns=(
        Column("master_id", "главный", "id", required=True, key=True, client_ref=True),
        Column("related_id", "связанный", "id", required=True, key=True, client_ref=True),
        Column("linked_on", "дата связи", "date", required=True, key=True),
        Column("unlinked_on", "дата отвязки", "date", blank=N_("still linked")),
    ),
)
PAYMENTS = TableKind(
    "payments", "платежи", id_column="payment_id", id_noun=N_("payment number"), columns=(
        Column("payment_id", "номер платежа", "id", required=True, key=True),
        Column("client_id", "логин", "id", required=True, client_ref=True),
        Column("date", "дата", "date", required=True),
        Column("amount", "сумма", "money", required=True),
        Column("currency", "валюта", "currency", required=True),
        Column("kind", "вид", "enum", choices=PAYMENT_KINDS, default="payment"),
        Column("reference", "документ", "text"),
        Column("comment", "комментарий", "text", max_length=1000),
    ),
)
EXPENSES = TableKind(
    "expenses", "расходы", id_column="expense_id", id_noun=N_("expense number"), columns=(
        Column("expense_id", "номер расхода", "id", required=True, key=True),
        Column("client_id", "логин", "id", required=True, client_ref=True),
        Column("date", "дата", "date", required=True),
        Column("amount", "сумма", "money", required=True, minimum=0),
        Column("currency", "валюта", "currency", required=True),
        Column("product_type", "тип продукта", "text", max_length=100),
        Column("description", "описание", "text", max_length=1000),
    ),
)
RATES = TableKind(
    "rates", "курсы", columns=(
        Column("client_id", "логин", "id", key=True, client_ref=True,
               blank=N_("the default for every client")),
        Column("base_currency", "базовая валюта", "currency", required=True, key=True),
        Column("currency", "валюта", "currency", required=True, key=True),
        Column("rate", "курс", "decimal", required=True),
        Column("units", "количество", "whole", default="1", minimum=1),
        Column("valid_from", "дата", "date", required=True, key=True),
    ),
)
DISCOUNTS = TableKind(
    "discounts", "скидки", columns=(
        Column("client_id", "логин", "id", required=True, key=True, client_ref=True),
        Column("percent", "процент", "decimal", required=True),
        Column("product_type", "тип продукта", "text", key=True, max_length=100,
               blank=N_("every product")),
        Column("valid_from", "действует с", "date", required=True, key=True),
        Column("valid_to", "действует по", "date", blank=N_("no end")),
    ),
)
TAXES = TableKind(
    "taxes", "налоги", columns=(
        Column("client_id", "логин", "id", key=True, client_ref=True,
               blank=N_("the default for every client")),
        Column("rate_pct", "ставка", "decimal", required=True),
        Column("product_type", "тип продукта", "text", key=True, max_length=100,
               blank=N_("every product")),
        Column("valid_from", "действует с", "date", required=True, key=True),
        Column("valid_to", "действует по", "date", blank=N_("no end")),
    ),
)

# Each kind of table as a message names it, in the reader's language (the Russian words are
# the kinds' aliases).
TABLE_WORDS = {"clients": N_("clients"), "links": N_("links"), "payments": N_("payments"),
               "expenses": N_("expenses"), "rates": N_("rates"), "discounts": N_("discounts"),
               "taxes": N_("taxes")}


def table_word(kind: str) -> str:
    """A kind of table named in the active locale: `payments`, `платежи`."""
    return _(TABLE_WORDS[kind]) if kind in TABLE_WORDS else kind


KINDS: dict[str, TableKind] = {
    k.name: k for k in (CLIENTS, LINKS, PAYMENTS, EXPENSES, RATES, DISCOUNTS, TAXES)
}
# Load order: a batch's clients must be known before the tables that refer to them.
LOAD_ORDER = ("clients", "rates", "discounts", "taxes", "links", "payments", "expenses")


def normalise_name(text: str) -> str:
    """Case- and space-insensitive form of a name: 'Номер  Платежа' -> 'номер платежа'."""
    return re.sub(r"[\s_]+", " ", str(text).replace("ё", "е").replace("Ё", "Е")).strip().lower()


_KIND_BY_NAME = {
    normalise_name(spelling): kind.name
    for kind in KINDS.values()
    for spelling in (kind.name, kind.alias)
}


def kind_of(sheet_or_stem: str) -> str | None:
    """The table kind a sheet name or a CSV file stem names, by its first word; None if none."""
    name = normalise_name(sheet_or_stem)
    if name in _KIND_BY_NAME:
        return _KIND_BY_NAME[name]
    first = re.split(r"[\s\-.]+", name, maxsplit=1)[0]
    return _KIND_BY_NAME.get(first)


# A unit after a header's name: "Сумма, руб.", "Amount (USD)", "Ставка, %".
_UNIT_SUFFIX = re.compile(r"\s*(?:,[^,]*|\([^()]*\))$")


def column_named(lookup: dict[str, str], header: str) -> str | None:
    """The contract column a header names (see `column_lookup`), also when the accountant added
    a unit after the name ("Сумма, руб." is сумма); None when it names none."""
    name = normalise_name(header)
    found = lookup.get(name)
    if found is None and (bare := _UNIT_SUFFIX.sub("", name)) != name:
        found = lookup.get(bare.strip())
    return found


def column_lookup(kind: TableKind) -> dict[str, str]:
    """Normalised header spelling -> canonical column name, English and Russian."""
    lookup: dict[str, str] = {}
    for col in kind.columns:
        lookup[normalise_name(col.name)] = col.name
        lookup[normalise_name(col.alias)] = col.name
    return lookup
