"""Table validation: every error of a table in one pass, each named by row, column, value, rule."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from conftest import EXPENSE_HEADER, PAYMENT_HEADER, write_workbook

from ledgerflow.read.inbox import read_file
from ledgerflow.validate.table import TableResult, ValueSettings, validate_table

OCT = dt.date(2026, 10, 5)


def validated(tmp_path: Path, sheet: str, rows: list[list[object]],
              settings: ValueSettings | None = None) -> TableResult:
    path = write_workbook(tmp_path / "book.xlsx", {sheet: rows})
    read = read_file(path, tmp_path)
    [table] = read.tables
    return validate_table(table, settings)


def errors_of(result: TableResult) -> list[tuple[int, str, str, str]]:
    return sorted((p.row, p.column, p.rule, p.value) for p in result.problems())  # type: ignore[misc]


def test_every_client_error_is_found_in_one_pass(tmp_path: Path) -> None:
    result = validated(tmp_path, "Клиенты", [
        ["Логин", "Наименование", "Тип", "ИНН", "Валюта", "Кредитный лимит", "Страна"],
        ["ok_1", "Орхидея", "юрлицо", "7707083893", "RUB", "1 000,00", "RU"],
        ["bad id!", "X", "юрлицо", "7707083894", "RUR", -5, "RUS"],
        ["ok_1", "Y", "компания", None, "RUB", 0, None],
        ["ip", "ИП Иванов", "ИП", "500100732259", "rub", 10, None],
    ])

    assert errors_of(result) == [
        (2, "Логин", "duplicate_id", "ok_1"),
        (3, "Валюта", "currency_code", "RUR"),
        (3, "ИНН", "tax_id_invalid", "7707083894"),
        (3, "Кредитный лимит", "amount_negative", "-5"),
        (3, "Логин", "id_format", "bad id!"),
        (3, "Страна", "country_code", "RUS"),
        (4, "Логин", "duplicate_id", "ok_1"),
        (4, "Тип", "choice", "компания"),
    ]
    good = result.data.loc[5]
    assert (good["client_type"], good["currency"], good["country"]) == (
        "sole_proprietor", "RUB", "RU")
    assert result.data.loc[2, "credit_limit"] == 1000 * 10**4


def test_missing_required_cells_and_defaults(tmp_path: Path) -> None:
    result = validated(tmp_path, "payments", [
        PAYMENT_HEADER,
        ["P1", "acme", OCT, 10, "USD", None],
        ["P2", None, OCT, 10, "USD", "refund"],
        ["P3", "acme", None, None, "USD", "correction"],
    ])

    assert errors_of(result) == [
        (3, "client_id", "required", ""),
        (4, "amount", "required", ""),
        (4, "date", "required", ""),
    ]
    assert result.data.loc[2, "kind"] == "payment"
    required = next(p for p in result.problems() if p.row == 3)
    assert required.message == "A required cell is empty."


def test_payment_sign_rule_allows_signed_corrections_only(tmp_path: Path) -> None:
    result = validated(tmp_path, "payments", [
        PAYMENT_HEADER,
        ["P1", "acme", OCT, -10, "USD", "correction"],
        ["P2", "acme", OCT, -10, "USD", "payment"],
        ["P3", "acme", OCT, 0, "USD", "correction"],
    ])

    assert [(row, rule) for row, _c, rule, _v in errors_of(result)] == [
        (3, "amount_sign"), (4, "amount_sign")]


def test_money_precision_follows_the_currency(tmp_path: Path) -> None:
    result = validated(tmp_path, "expenses", [
        EXPENSE_HEADER,
        ["E1", "a", OCT, 1500, "JPY"],
        ["E2", "a", OCT, 15.5, "JPY"],
        ["E3", "a", OCT, 1.234, "RUB"],
        ["E4", "a", OCT, 1.234, "KWD"],
    ])

    assert [(row, rule) for row, _c, rule, _v in errors_of(result)] == [
        (3, "money_precision"), (4, "money_precision")]
    assert result.data.loc[5, "amount"] == 12340


def test_ambiguous_dates_are_errors_unless_an_order_is_set(tmp_path: Path) -> None:
    rows = [EXPENSE_HEADER, ["E1", "a", "04/03/26", 1, "RUB"], ["E2", "a", "31.02.2026", 1, "RUB"]]

    strict = validated(tmp_path, "expenses", rows)
    assert [(r, rule) for r, _c, rule, _v in errors_of(strict)] == [
        (2, "date_ambiguous"), (3, "date_format")]

    ordered = validated(tmp_path, "expenses", rows, ValueSettings(date_order="DMY"))
    assert [(r, rule) for r, _c, rule, _v in errors_of(ordered)] == [(3, "date_format")]
    assert ordered.data.loc[2, "date"].date() == dt.date(2026, 3, 4)


def test_links_rules_within_a_table(tmp_path: Path) -> None:
    result = validated(tmp_path, "Связи", [
        ["Главный", "Связанный", "Дата связи", "Дата отвязки"],
        ["m", "M", OCT, None],
        ["m", "r", OCT, dt.date(2026, 10, 1)],
        ["m", "r2", "05.10.2026", "06.10.2026"],
    ])

    assert [(r, c, rule) for r, c, rule, _v in errors_of(result)] == [
        (2, "Связанный", "link_self"), (3, "Дата отвязки", "link_dates")]


def test_a_rule_across_columns_names_them_as_typed(tmp_path: Path) -> None:
    from ledgerflow.i18n import use_locale

    rows = [["Логин", "Процент", "Действует с", "Действует по"],
            ["acme", 5, dt.date(2026, 10, 1), dt.date(2026, 9, 1)]]
    result = validated(tmp_path, "Скидки", rows)
    [problem] = result.problems()
    assert (problem.column, problem.rule) == ("Действует по", "valid_dates")
    assert problem.message == "Действует по must not be before Действует с."
    with use_locale("ru"):
        [problem] = validated(tmp_path, "Скидки", rows).problems()
    assert problem.message == "«Действует по» не может быть раньше «Действует с»."
    english = validated(tmp_path, "discounts", [
        ["client_id", "percent", "valid_from", "valid_to"], rows[1]]).problems()
    assert [p.message for p in english] == ["valid_to must not be before valid_from."]
