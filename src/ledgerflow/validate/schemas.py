"""One pandera schema per table kind, over the typed values the parsers produced.

Parsing (ledgerflow.values) decides what each cell holds; these schemas decide whether the
values are acceptable: required cells, ranges, formats, uniqueness, and the rules that look
at several columns of a row. Every check carries a name `column|rule` and an accountant's
message, which is how a pandera failure becomes a Problem record.

A check's message is a template in English (marked for the catalogs) with its values; it is
translated when a failure is recorded (`message_of`), the columns it names (`Header`) then
written as the table's own headers, as the accountant typed them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow
import pyarrow.compute as pc

from ledgerflow import values
from ledgerflow.contract import Column, TableKind
from ledgerflow.i18n import N_, _

ID_PATTERN = r"^[A-Za-z0-9_.\-]{1,64}$"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
SCALE = 10**values.MONEY_SCALE
PERCENT_SCALE = 10**6  # parse_decimal(places=6)


@dataclass(frozen=True)
class RuleText:
    column: str
    rule: str
    message: str


@dataclass(frozen=True)
class Header:
    """A column a message names: written as the table's header for it (as typed)."""

    column: str


# Each check's message: (English template, its values), by the check's name and English text
# (pandera copies a column's checks, so the object itself is not what the schema holds).
_MESSAGES: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}


def _described(check: pa.Check, template: str, params: dict[str, Any]) -> pa.Check:
    _MESSAGES[(str(check.name), str(check.error))] = (template, params)
    return check


def message_of(check: pa.Check, header: Callable[[str], str]) -> str:
    """A check's message in the active locale; `header` gives a column's header as typed."""
    template, params = _MESSAGES.get((str(check.name), str(check.error)), (str(check.error), {}))
    shown = {name: header(value.column) if isinstance(value, Header)
             else _(value) if isinstance(value, Noun) else value
             for name, value in params.items()}
    return _(template).format(**shown)


class Noun(str):
    """A value of a message that is itself a word to translate (marked with N_)."""


def _english(template: str, params: dict[str, Any]) -> str:
    """A message in English, the check's name for pandera."""
    return template.format(**{name: value.column if isinstance(value, Header) else value
                              for name, value in params.items()})


def _check(column: str, rule: str, message: str, fn, **params: Any) -> pa.Check:  # type: ignore[no-untyped-def]
    """A check of one column's values; empty cells are left to the required-cell rule."""
    return _described(pa.Check(fn, name=f"{column}|{rule}", error=_english(message, params),
                               ignore_na=True), message, params)


def _row_check(column: str, rule: str, message: str, fn, **params: Any) -> pa.Check:  # type: ignore[no-untyped-def]
    """A check across the columns of a row; a row whose inputs are empty passes (NA -> True)."""
    return _described(pa.Check(lambda df: fn(df).fillna(True).astype(bool),
                               name=f"{column}|{rule}", error=_english(message, params),
                               ignore_na=False), message, params)


def _unique_ci(column: str, what: str) -> pa.Check:
    return _check(column, "duplicate_id",
                  N_("This {what} appears more than once in the table (IDs compare ignoring "
                     "case)."),
                  _once_ignoring_case, what=Noun(what))


def _once_ignoring_case(s: pd.Series) -> pd.Series:
    """Whether each value occurs once in the column, compared ignoring case (counted over the
    column's Arrow dictionary: twice as fast as pandas' `duplicated` on a million IDs)."""
    lowered = pc.utf8_lower(pyarrow.array(s, type=pyarrow.large_string(), from_pandas=True))
    codes = pc.dictionary_encode(lowered, null_encoding="encode").indices.to_numpy()
    return pd.Series(np.bincount(codes)[codes] == 1, index=s.index)


def _percent_range(low: int, low_inclusive: bool):  # type: ignore[no-untyped-def]
    def within_percent_range(s: pd.Series) -> pd.Series:
        above = s >= low * PERCENT_SCALE if low_inclusive else s > low * PERCENT_SCALE
        return above & (s <= 100 * PERCENT_SCALE)

    return within_percent_range


# Checks of one column that its type and the contract do not imply: (kind, column) -> checks.
COLUMN_RULES: dict[tuple[str, str], list[pa.Check]] = {
    ("rates", "rate"): [_check("rate", "rate_positive", N_("A rate must be more than zero."),
                               lambda s: s > 0)],
    ("discounts", "percent"): [_check("percent", "percent_range",
                                      N_("A discount is more than 0 and at most 100 %."),
                                      _percent_range(0, False))],
    ("taxes", "rate_pct"): [_check("rate_pct", "percent_range",
                                   N_("A tax rate is from 0 to 100 %."),
                                   _percent_range(0, True))],
}


def _type_checks(kind: TableKind, col: Column) -> list[pa.Check]:
    """The checks a column's type and contract imply."""
    name = col.name
    if col.type == "id":
        checks = [_check(name, "id_format",
                         N_("An ID must be 1–64 characters of Latin letters, digits, '_', '.' "
                            "or '-'."),
                         lambda s: s.str.fullmatch(ID_PATTERN))]
        if kind.id_column == name:
            checks.append(_unique_ci(name, kind.id_noun or N_("ID")))
        return checks
    if col.type == "text":
        longest = col.max_length
        return [
            _check(name, "text_length", N_("Text must be 1–{longest} characters long."),
                   lambda s: s.str.len().between(1, longest), longest=longest),
            _check(name, "text_control_chars",
                   N_("Text contains control characters (tabs, line breaks or invisible codes)."),
                   lambda s: ~s.str.contains(_CONTROL)),
        ]
    least = col.minimum
    if col.type == "money" and least is not None:
        return [_check(name, "amount_negative", N_("The amount may not be negative."),
                       lambda s: s >= least)]
    if col.type == "whole" and least is not None:
        return [_check(name, "whole_range", N_("Must be a whole number of at least {least}."),
                       lambda s: s >= least, least=least)]
    if col.type == "email":
        return [_check(name, "email_format", N_("Not an e-mail address."), values.is_email)]
    return []


_DTYPES = {"money": "Int64", "decimal": "Int64", "whole": "Int64", "date": "datetime64[ns]",
           "bool": "boolean"}


def _column(kind: TableKind, col: Column) -> pa.Column:
    checks = _type_checks(kind, col) + COLUMN_RULES.get((kind.name, col.name), [])
    return pa.Column(_DTYPES.get(col.type), nullable=col.nullable, checks=checks)


def _client_checks() -> list[pa.Check]:
    def tax_id_required(df: pd.DataFrame) -> pd.Series:
        needs = df["client_type"].isin(["legal", "sole_proprietor"]) & (df["country"] == "RU")
        return ~needs | df["tax_id"].notna()

    def tax_id_valid(df: pd.DataFrame) -> pd.Series:
        return values.check_inn(df["tax_id"], df["client_type"], df["country"])

    return [
        _row_check("tax_id", "tax_id_required",
               N_("A legal entity or sole proprietor in Russia needs a tax ID (ИНН)."),
               tax_id_required),
        _row_check("tax_id", "tax_id_invalid",
               N_("Not a valid Russian tax ID (ИНН): a company has 10 digits, a person or sole "
                  "proprietor 12, and the check digits must match. If it starts with 0, format "
                  "the cell as text so Excel keeps the zero."), tax_id_valid),
    ]


def _payment_amount_sign(df: pd.DataFrame) -> pd.Series:
    is_correction = df["kind"] == "correction"
    return (is_correction & (df["amount"] != 0)) | (~is_correction & (df["amount"] > 0))


def _dates_in_order(start: str, end: str):  # type: ignore[no-untyped-def]
    return lambda df: df[end].isna() | df[start].isna() | (df[end] > df[start])


def _dates_not_reversed(start: str, end: str):  # type: ignore[no-untyped-def]
    return lambda df: df[end].isna() | df[start].isna() | (df[end] >= df[start])


_VALID_DATES = N_("{end} must not be before {start}.")
# Checks across the columns of a row, per table kind.
ROW_RULES: dict[str, list[pa.Check]] = {
    "clients": _client_checks(),
    "links": [
        _row_check("related_id", "link_self",
               N_("An account cannot be linked to itself (rule L2: master and related differ)."),
               lambda df: df["master_id"].str.lower() != df["related_id"].str.lower()),
        _row_check("unlinked_on", "link_dates",
               N_("The unlink date must be after the link date."),
               _dates_in_order("linked_on", "unlinked_on")),
    ],
    "payments": [_row_check(
        "amount", "amount_sign",
        N_("A payment, refund or withdrawal must be more than zero; only a correction is signed "
           "(and not zero)."), _payment_amount_sign)],
    "rates": [_row_check(
        "currency", "rate_same_currency",
        N_("A rate converts between two different currencies."),
        lambda df: df["currency"] != df["base_currency"])],
    "discounts": [_row_check("valid_to", "valid_dates", _VALID_DATES,
                             _dates_not_reversed("valid_from", "valid_to"),
                             end=Header("valid_to"), start=Header("valid_from"))],
    "taxes": [_row_check("valid_to", "valid_dates", _VALID_DATES,
                         _dates_not_reversed("valid_from", "valid_to"),
                         end=Header("valid_to"), start=Header("valid_from"))],
}
_SCHEMAS: dict[int, tuple[TableKind, pa.DataFrameSchema]] = {}


def schema_for(kind: TableKind) -> pa.DataFrameSchema:
    """The kind's pandera schema, derived from its contract (built once per kind)."""
    built = _SCHEMAS.get(id(kind))
    if built is None or built[0] is not kind:
        schema = pa.DataFrameSchema({col.name: _column(kind, col) for col in kind.columns},
                                    checks=ROW_RULES.get(kind.name, []))
        built = _SCHEMAS[id(kind)] = (kind, schema)
    return built[1]
