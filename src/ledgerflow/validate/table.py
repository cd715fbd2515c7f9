"""Validate one raw table: parse every cell by the value rules, then run the kind's schema.

The result keeps the typed rows, and every error as a row of a small frame (row, column, value,
rule, message), so that a million-row table with three bad cells costs three records, and a table
where everything is wrong still yields every error in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import pandera.errors
import pandera.pandas as pa

from ledgerflow import values
from ledgerflow.contract import Column, TableKind
from ledgerflow.errors import Problem
from ledgerflow.i18n import N_, _
from ledgerflow.read.inbox import RawTable
from ledgerflow.validate.keys import row_keys
from ledgerflow.validate.schemas import message_of, schema_for

ERROR_COLUMNS = ["row", "column", "value", "rule", "message", "severity"]


@dataclass(frozen=True)
class ValueSettings:
    """How ambiguous values are read: None means ambiguity is an error."""

    date_order: str | None = None


@dataclass
class TableResult:
    raw: RawTable
    data: pd.DataFrame  # contract columns, typed; index = Excel row; every row, good or bad
    errors: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=ERROR_COLUMNS))
    keys: pd.Series = field(default_factory=lambda: pd.Series(dtype="string"))
    skipped: pd.Index = field(default_factory=lambda: pd.Index([], dtype="int64"))

    @property
    def kind(self) -> TableKind:
        return self.raw.kind

    @property
    def error_rows(self) -> pd.Index:
        """Rows refused: those with an error (a warning alone does not refuse a row)."""
        errors = self.errors
        return pd.Index(errors.loc[errors["severity"] == "error", "row"].unique())

    @property
    def valid(self) -> pd.DataFrame:
        return self.data.loc[~self.data.index.isin(self.error_rows)]

    @property
    def to_load(self) -> pd.Index:
        """Rows without errors that are not already in the warehouse."""
        index = self.data.index
        return index[~index.isin(self.error_rows) & ~index.isin(self.skipped)]

    def add_errors(self, rows: pd.Index, column: str, rule: str, message: str | pd.Series,
                   severity: str = "error") -> None:
        """Record one rule's failures; `message` may vary per row (a Series indexed by row)."""
        if len(rows) == 0:
            return
        texts = message.loc[rows].to_numpy() if isinstance(message, pd.Series) else message
        new = pd.DataFrame({
            "row": rows.to_numpy(), "column": column,
            "value": raw_values(self.raw, column, rows), "rule": rule, "message": texts,
            "severity": severity,
        })
        self.errors = new if self.errors.empty else pd.concat([self.errors, new],
                                                              ignore_index=True)

    def header(self, column: str) -> str:
        """A contract column as the accountant typed its header in this table (its name when
        the table has no such column)."""
        return self.raw.columns.get(column, column)

    def problems(self) -> list[Problem]:
        """Every finding, each naming its column as typed in the table's header."""
        raw = self.raw
        headers = raw.columns
        return [
            Problem(raw.file, rule, message, sheet=raw.sheet, row=int(row),
                    column=headers.get(column, column), value=value, severity=severity)
            for row, column, value, rule, message, severity in self.errors[
                ERROR_COLUMNS].sort_values(
                ["row", "column"], kind="stable").itertuples(index=False)
        ]


def raw_values(raw: RawTable, column: str, rows: pd.Index) -> list[str]:
    """The cells as the user typed them, as text, for error reports."""
    series = raw.column(column)
    if series is None:
        return [""] * len(rows)
    return [values.cell_text(v) for v in series.loc[rows].to_numpy()]


def validate_table(raw: RawTable, settings: ValueSettings | None = None) -> TableResult:
    settings = settings or ValueSettings()
    result = TableResult(raw, pd.DataFrame(index=raw.frame.index))
    currencies = None
    for col in _parse_order(raw.kind):
        parsed = _parse_column(raw, col, settings, currencies)
        _record_parse_errors(result, col.name, parsed)
        result.data[col.name] = _with_default(parsed, col, len(raw.frame))
        if col.name == "currency":
            currencies = result.data["currency"]
    result.data = result.data[raw.kind.column_names]
    _run_schema(result)
    result.keys = row_keys(raw.kind.name, result.data)
    return result


def _parse_order(kind: TableKind) -> list[Column]:
    # Money needs the row's currency to know its minor digits, so currency is parsed first.
    return sorted(kind.columns, key=lambda c: c.type == "money")


def _parse_column(raw: RawTable, col: Column, settings: ValueSettings,
                  currencies: pd.Series | None) -> values.Parsed:
    series = raw.column(col.name)
    if series is None:
        series = pd.Series(pd.NA, index=raw.frame.index, dtype="object")
    match col.type:
        case "money":
            digits = 2 if currencies is None else values.currency_digits(currencies)
            return values.parse_money(series, digits)
        case "date":
            return values.parse_date(series, settings.date_order)
        case "currency":
            return values.parse_currency(series)
        case "country":
            return values.parse_country(series)
        case "tax_id":
            return values.parse_tax_id(series)
        case "bool":
            return values.parse_bool(series)
        case "whole":
            return values.parse_whole(series)
        case "decimal":
            return values.parse_decimal(series, places=6)
        case "enum":
            assert col.choices is not None
            return values.parse_choice(series, col.choices, col.name)
        case _:
            return values.parse_text(series)


def _with_default(parsed: values.Parsed, col: Column, length: int) -> pd.Series:
    if col.default is None:
        return parsed.values
    default = _parse_column_default(col)
    filled = parsed.values.copy()
    filled[parsed.blank.to_numpy()] = default
    return filled


def _parse_column_default(col: Column) -> object:
    one = pd.Series([col.default])
    fake = RawTable("", "", None, 0, [col.name], {col.name: col.name}, one.to_frame(col.name))  # type: ignore[arg-type]
    parsed = _parse_column(fake, col, ValueSettings(), pd.Series(["RUB"]))
    return parsed.values.iloc[0]


def _record_parse_errors(result: TableResult, column: str, parsed: values.Parsed) -> None:
    failed = parsed.rule.notna()
    if not failed.any():
        return
    for rule, group in parsed.rule[failed].groupby(parsed.rule[failed], sort=True):
        group_rows = pd.Index(group.index)
        result.add_errors(group_rows, column, str(rule), parsed.message.loc[group_rows])


_REQUIRED = N_("A required cell is empty.")


def _run_schema(result: TableResult) -> None:
    schema = schema_for(result.kind)
    try:
        schema.validate(result.data, lazy=True)
    except pandera.errors.SchemaErrors as failure:
        _record_schema_failures(result, failure.failure_cases)


def _record_schema_failures(result: TableResult, cases: pd.DataFrame) -> None:
    rowless = cases[cases["index"].isna()]
    if not rowless.empty:  # a dtype mismatch means a parser broke its contract: a bug, not data
        raise RuntimeError(f"schema failure without a row: {rowless.to_dict('records')}")
    already = set(zip(result.errors["row"], result.errors["column"], strict=True))
    names, checks = _check_names(result.kind)
    # pandera names a row-wide check by its error text and repeats it for every column
    cases = cases.assign(check=cases["check"].map(lambda c: names.get(str(c), str(c))))
    cases.loc[cases["check"].str.contains("|", regex=False), "column"] = ""
    cases = cases.drop_duplicates(["column", "check", "index"])
    messages = {name: message_of(check, result.header) for name, check in checks.items()}
    for (column, check), group in cases.groupby(["column", "check"], dropna=False, sort=True):
        column_name, rule, message = _describe(column, str(check), messages)
        rows = pd.Index(group["index"].astype("int64").unique())
        if rule == "required":
            rows = pd.Index([r for r in rows if (r, column_name) not in already])
        result.add_errors(rows, column_name, rule, message)


def _check_names(kind: TableKind) -> tuple[dict[str, str], dict[str, pa.Check]]:
    """Both a check's name and its error text -> its name `column|rule`; and each name's
    check."""
    schema = schema_for(kind)
    checks = list(schema.checks)
    for col in schema.columns.values():
        checks.extend(col.checks)
    names = {str(c.name): str(c.name) for c in checks}
    names.update({str(c.error): str(c.name) for c in checks})
    return names, {str(c.name): c for c in checks}


def _describe(column: object, check: str, messages: dict[str, str]) -> tuple[str, str, str]:
    if "|" in check:
        column_name, rule = check.split("|", 1)
        return column_name, rule, messages.get(check, check)
    name = str(column) if isinstance(column, str) else ""
    if check == "not_nullable":
        return name, "required", _(_REQUIRED)
    return name, "value_type", _("The value is not of the expected type ({check}).").format(
        check=check)
