"""One pandera schema per table kind, over the typed values the parsers produced.

Parsing (ledgerflow.values) decides what each cell holds; these schemas decide whether the
values are acceptable: required cells, ranges, formats, uniqueness, and the rules that look
at several columns of a row. Every check carries a name `column|rule` and an accountant's
message, which is how a pandera failure becomes a Problem record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa

from ledgerflow import values
from ledgerflow.contract import KINDS, TableKind

ID_PATTERN = r"^[A-Za-z0-9_.\-]{1,64}$"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
SCALE = 10**values.MONEY_SCALE
PERCENT_SCALE = 10**6  # parse_decimal(places=6)


@dataclass(frozen=True)
class RuleText:
    column: str
    rule: str
    message: str


def _check(column: str, rule: str, message: str, fn) -> pa.Check:  # type: ignore[no-untyped-def]
    """A check of one column's values; empty cells are left to the required-cell rule."""
    return pa.Check(fn, name=f"{column}|{rule}", error=message, ignore_na=True)


def _row_check(column: str, rule: str, message: str, fn) -> pa.Check:  # type: ignore[no-untyped-def]
    """A check across the columns of a row; a row whose inputs are empty passes (NA -> True)."""
    return pa.Check(lambda df: fn(df).fillna(True).astype(bool), name=f"{column}|{rule}",
                    error=message, ignore_na=False)


def _unique_ci(column: str, what: str) -> pa.Check:
    return _check(column, "duplicate_id",
                  f"This {what} appears more than once in the table (IDs compare ignoring case).",
                  lambda s: ~s.str.lower().duplicated(keep=False))


def _id(column: str, required: bool = True, unique: str | None = None) -> pa.Column:
    checks = [_check(column, "id_format",
                     "An ID must be 1–64 characters of Latin letters, digits, '_', '.' or '-'.",
                     lambda s: s.str.fullmatch(ID_PATTERN))]
    if unique:
        checks.append(_unique_ci(column, unique))
    return pa.Column(nullable=not required, checks=checks)


def _text(column: str, max_len: int = 200, required: bool = False) -> pa.Column:
    return pa.Column(nullable=not required, checks=[
        _check(column, "text_length", f"Text must be 1–{max_len} characters long.",
               lambda s: s.str.len().between(1, max_len)),
        _check(column, "text_control_chars",
               "Text contains control characters (tabs, line breaks or invisible codes).",
               lambda s: ~s.str.contains(_CONTROL)),
    ])


def _money(column: str, minimum: int | None, required: bool = False) -> pa.Column:
    checks = []
    if minimum is not None:
        checks.append(_check(column, "amount_negative", "The amount may not be negative.",
                             lambda s: s >= minimum))
    return pa.Column("Int64", nullable=not required, checks=checks)


def _whole(column: str, minimum: int, required: bool = False) -> pa.Column:
    return pa.Column("Int64", nullable=not required, checks=[
        _check(column, "whole_range", f"Must be a whole number of at least {minimum}.",
               lambda s: s >= minimum)])


def _percent(column: str, low: int, low_inclusive: bool, message: str) -> pa.Column:
    def within_percent_range(s: pd.Series) -> pd.Series:
        above = s >= low * PERCENT_SCALE if low_inclusive else s > low * PERCENT_SCALE
        return above & (s <= 100 * PERCENT_SCALE)

    return pa.Column("Int64", nullable=False, checks=[
        _check(column, "percent_range", message, within_percent_range)])


def _date(required: bool = False) -> pa.Column:
    return pa.Column("datetime64[ns]", nullable=not required)


def _code(required: bool = False) -> pa.Column:
    return pa.Column(nullable=not required)


def _client_checks() -> list[pa.Check]:
    def tax_id_required(df: pd.DataFrame) -> pd.Series:
        needs = df["client_type"].isin(["legal", "sole_proprietor"]) & (df["country"] == "RU")
        return ~needs | df["tax_id"].notna()

    def tax_id_valid(df: pd.DataFrame) -> pd.Series:
        return values.check_inn(df["tax_id"], df["client_type"], df["country"])

    return [
        _row_check("tax_id", "tax_id_required",
               "A legal entity or sole proprietor in Russia needs a tax ID (ИНН).",
               tax_id_required),
        _row_check("tax_id", "tax_id_invalid",
               "Not a valid Russian tax ID (ИНН): a company has 10 digits, a person or sole "
               "proprietor 12, and the check digits must match. If it starts with 0, format "
               "the cell as text so Excel keeps the zero.", tax_id_valid),
    ]


def _payment_amount_sign(df: pd.DataFrame) -> pd.Series:
    is_correction = df["kind"] == "correction"
    return (is_correction & (df["amount"] != 0)) | (~is_correction & (df["amount"] > 0))


def _dates_in_order(start: str, end: str):  # type: ignore[no-untyped-def]
    return lambda df: df[end].isna() | df[start].isna() | (df[end] > df[start])


def _dates_not_reversed(start: str, end: str):  # type: ignore[no-untyped-def]
    return lambda df: df[end].isna() | df[start].isna() | (df[end] >= df[start])


SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "clients": pa.DataFrameSchema({
        "client_id": _id("client_id", unique="client ID"),
        "name": _text("name", 200, required=True),
        "client_type": _code(required=True),
        "tax_id": _code(),
        "country": _code(required=True),
        "currency": _code(required=True),
        "credit_limit": _money("credit_limit", 0, required=True),
        "postpay": pa.Column("boolean", nullable=False),
        "deferral_days": _whole("deferral_days", 0),
        "block_after_days": _whole("block_after_days", 0),
        "email": pa.Column(nullable=True, checks=[_check(
            "email", "email_format", "Not an e-mail address.", values.is_email)]),
        "manager": _text("manager", 200),
        "status": _code(required=True),
    }, checks=_client_checks()),
    "links": pa.DataFrameSchema({
        "master_id": _id("master_id"),
        "related_id": _id("related_id"),
        "linked_on": _date(required=True),
        "unlinked_on": _date(),
    }, checks=[
        _row_check("related_id", "link_self",
               "An account cannot be linked to itself (rule L2: master and related differ).",
               lambda df: df["master_id"].str.lower() != df["related_id"].str.lower()),
        _row_check("unlinked_on", "link_dates",
               "The unlink date must be after the link date.",
               _dates_in_order("linked_on", "unlinked_on")),
    ]),
    "payments": pa.DataFrameSchema({
        "payment_id": _id("payment_id", unique="payment number"),
        "client_id": _id("client_id"),
        "date": _date(required=True),
        "amount": _money("amount", None, required=True),
        "currency": _code(required=True),
        "kind": _code(required=True),
        "reference": _text("reference", 200),
        "comment": _text("comment", 1000),
    }, checks=[_row_check(
        "amount", "amount_sign",
        "A payment, refund or withdrawal must be more than zero; only a correction is signed "
        "(and not zero).", _payment_amount_sign)]),
    "expenses": pa.DataFrameSchema({
        "expense_id": _id("expense_id", unique="expense number"),
        "client_id": _id("client_id"),
        "date": _date(required=True),
        "amount": _money("amount", 0, required=True),
        "currency": _code(required=True),
        "product_type": _text("product_type", 100),
        "description": _text("description", 1000),
    }),
    "rates": pa.DataFrameSchema({
        "client_id": _id("client_id", required=False),
        "base_currency": _code(required=True),
        "currency": _code(required=True),
        "rate": pa.Column("Int64", nullable=False, checks=[_check(
            "rate", "rate_positive", "A rate must be more than zero.", lambda s: s > 0)]),
        "units": _whole("units", 1, required=True),
        "valid_from": _date(required=True),
    }, checks=[_row_check(
        "currency", "rate_same_currency", "A rate converts between two different currencies.",
        lambda df: df["currency"] != df["base_currency"])]),
    "discounts": pa.DataFrameSchema({
        "client_id": _id("client_id"),
        "percent": _percent("percent", 0, False, "A discount is more than 0 and at most 100 %."),
        "product_type": _text("product_type", 100),
        "valid_from": _date(required=True),
        "valid_to": _date(),
    }, checks=[_row_check("valid_to", "valid_dates", "valid_to must not be before valid_from.",
                      _dates_not_reversed("valid_from", "valid_to"))]),
    "taxes": pa.DataFrameSchema({
        "client_id": _id("client_id", required=False),
        "rate_pct": _percent("rate_pct", 0, True, "A tax rate is from 0 to 100 %."),
        "product_type": _text("product_type", 100),
        "valid_from": _date(required=True),
        "valid_to": _date(),
    }, checks=[_row_check("valid_to", "valid_dates", "valid_to must not be before valid_from.",
                      _dates_not_reversed("valid_from", "valid_to"))]),
}


def schema_for(kind: TableKind) -> pa.DataFrameSchema:
    return SCHEMAS[kind.name]


assert set(SCHEMAS) == set(KINDS), "every table kind has a schema"
