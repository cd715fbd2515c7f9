"""values.taxid: tax IDs as digit text, and the INN's check digits on the production path."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from conftest import write_workbook
from parsed import one

from ledgerflow.read.inbox import read_file
from ledgerflow.validate.table import validate_table
from ledgerflow.values import (
    check_inn,
    inn_is_valid,
    parse_tax_id,
)


def test_tax_id() -> None:
    cells = pd.Series(["0012345678", 7707083893.0, 500100732259, " 7707083893 ", "77-07083893",
                       "7707 083893", "7.70708E+09", 12.5, None], index=range(9), dtype=object)
    parsed = parse_tax_id(cells)
    assert parsed.values.tolist()[:4] == ["0012345678", "7707083893", "500100732259",
                                          "7707083893"]
    assert one(parsed, 4) == (None, "tax_id_format",
                              "'77-07083893' must contain digits only (found '-')")
    assert one(parsed, 5) == (None, "tax_id_format",
                              "'7707 083893' must contain digits only (found a space)")
    assert one(parsed, 6)[1] == "tax_id_format"
    assert "scientific notation" in str(one(parsed, 6)[2])
    assert one(parsed, 7)[1] == "tax_id_format"
    assert parsed.blank.tolist()[-1]
    numeric = parse_tax_id(pd.Series([7707083893.0, 12345678.0]))
    assert numeric.values.tolist() == ["7707083893", "12345678"]  # leading zero is lost


# --------------------------------------------------------------------------------------------
# INN, e-mail
# --------------------------------------------------------------------------------------------


def test_inn_check_digits() -> None:
    assert inn_is_valid("7707083893")  # Sberbank
    assert inn_is_valid("500100732259")
    assert not inn_is_valid("7707083894")
    assert not inn_is_valid("500100732258")
    assert not inn_is_valid("500100732249")
    assert not inn_is_valid("770708389")
    assert not inn_is_valid("77070838931")
    assert not inn_is_valid("77070838a3")
    assert not inn_is_valid("")


def test_check_inn() -> None:
    index = list(range(100, 110))
    tax_id = pd.Series(["7707083893", "500100732259", "500100732259", "7707083894",
                        "7707083893", None, "123", "123", "7707083893", "500100732258"],
                       index=index, dtype=object)
    client_type = pd.Series(["legal", "individual", "sole_proprietor", "legal", "individual",
                             "legal", "legal", "legal", None, None], index=index, dtype=object)
    country = pd.Series(["RU", "RU", "ru", "RU", "RU", "RU", "DE", "RU", None, "RU"], index=index,
                        dtype=object)
    result = check_inn(tax_id, client_type, country)
    assert result.index.tolist() == index
    assert result.dtype == bool
    assert result.tolist() == [True, True, True, False, False, True, True, False, True, False]


def test_check_digits_on_the_production_path(tmp_path: Path) -> None:
    """Each check digit refused through check_inn and the clients table (issue 15).

    500100732241: the 11th digit should be 5 (weights 7,2,4,10,3,5,9,4,6,8 give 115 % 11 = 5),
    but its 12th digit (1) matches the first eleven digits as written, so only the 11th-digit
    check refuses it. 500100732258: 11th right, 12th should be 9.
    """
    good10, bad10, good12, bad11, bad12 = ("7707083893", "7707083894", "500100732259",
                                           "500100732241", "500100732258")
    index = [5, 6, 7, 8, 9]
    tax_id = pd.Series([good10, bad10, good12, bad11, bad12], index=index, dtype=object)
    client_type = pd.Series(["legal", "legal", "individual", "individual", "sole_proprietor"],
                            index=index, dtype=object)
    country = pd.Series(["RU"] * 5, index=index, dtype=object)
    assert check_inn(tax_id, client_type, country).tolist() == [True, False, True, False, False]
    unknown_type = pd.Series([None] * 5, index=index, dtype=object)
    assert check_inn(tax_id, unknown_type, country).tolist() == [True, False, True, False, False]

    path = write_workbook(tmp_path / "clients.xlsx", {"Клиенты": [
        ["Логин", "Наименование", "Тип", "ИНН", "Валюта", "Страна"],
        ["c10", "Орхидея", "юрлицо", good10, "RUB", "RU"],
        ["c10bad", "Роза", "юрлицо", bad10, "RUB", "RU"],
        ["c12", "Иванов", "ИП", good12, "RUB", "RU"],
        ["c11bad", "Петров", "ИП", bad11, "RUB", "RU"],
        ["c12bad", "Сидоров", "ИП", bad12, "RUB", "RU"],
    ]})
    [table] = read_file(path, tmp_path).tables
    refused = sorted((p.row, p.column, p.value, p.rule) for p in validate_table(table).problems())
    assert refused == [(3, "ИНН", bad10, "tax_id_invalid"), (5, "ИНН", bad11, "tax_id_invalid"),
                       (6, "ИНН", bad12, "tax_id_invalid")]
    messages = {p.message for p in validate_table(table).problems()}
    assert len(messages) == 1
    assert "the check digits must match" in messages.pop()
