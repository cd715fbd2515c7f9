"""values.taxid: tax IDs as digit text, and the INN's check digits on the production path."""

from __future__ import annotations

import random
from pathlib import Path

import pandas as pd
import pytest
from conftest import write_workbook
from parsed import listed, one

from ledgerflow.read.inbox import read_file
from ledgerflow.validate.table import validate_table
from ledgerflow.values import (
    check_inn,
    complete_inn,
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


# --------------------------------------------------------------------------------------------
# the words of the tax ID messages, and the check digits against an independent reckoning
# --------------------------------------------------------------------------------------------


def test_tax_id_messages_name_what_is_wrong() -> None:
    cells = pd.Series(["7.70708E+09", "0A12", "9/12", "7707\u00a0083893", "770708389З", "12-0",
                       "Ⅻ"], index=range(7))
    parsed = parse_tax_id(cells)
    assert listed(parsed.message) == [
        "'7.70708E+09' is a number in scientific notation and its digits are lost: format the "
        "column as text and type the tax ID in full",
        "'0A12' must contain digits only (found 'A')",
        "'9/12' must contain digits only (found '/')",
        "'7707\u00a0083893' must contain digits only (found a space)",
        "'770708389З' must contain digits only (found 'З')",
        "'12-0' must contain digits only (found '-')",
        "'Ⅻ' must contain digits only (found 'Ⅻ')"]
    assert listed(parsed.rule) == ["tax_id_format"] * 7
    assert listed(parsed.values) == [None] * 7


def _reference_inn_ok(inn: str) -> bool:
    """The INN's check digits reckoned apart from ledgerflow: weights of the tax service's
    order, each check digit the weighted sum mod 11, then mod 10."""
    def digit(weights: list[int], digits: str) -> int:
        return sum(w * int(d) for w, d in zip(weights, digits, strict=False)) % 11 % 10

    n = [int(d) for d in inn]
    if len(inn) == 10:
        return digit([2, 4, 10, 3, 5, 9, 4, 6, 8], inn) == n[9]
    return (digit([7, 2, 4, 10, 3, 5, 9, 4, 6, 8], inn) == n[10]
            and digit([3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8], inn) == n[11])


# Published INNs of large companies (Sberbank, Gazprom, VTB, Alfa-Bank, Tinkoff, Ozon), and the
# person's INN the other tests use
KNOWN_GOOD = ["7707083893", "7736050003", "7702070139", "7728168971", "7710140679",
              "7704217370", "500100732259"]


def test_check_digits_agree_with_an_independent_reckoning() -> None:
    draw = random.Random(15)
    ids = list(KNOWN_GOOD)
    for _ in range(400):
        stem = "".join(draw.choice("0123456789") for _ in range(draw.choice((9, 10))))
        good = complete_inn(stem)
        ids.append(good)
        spot = draw.randrange(len(good))
        ids.append(good[:spot] + str((int(good[spot]) + draw.randrange(1, 10)) % 10)
                   + good[spot + 1:])
    expected = [_reference_inn_ok(inn) for inn in ids]
    assert all(_reference_inn_ok(inn) for inn in KNOWN_GOOD)
    assert 300 < sum(expected) < 600  # both kinds are tried
    assert [inn_is_valid(inn) for inn in ids] == expected
    n = len(ids)
    tax_id = pd.Series(ids, index=range(1000, 1000 + n), dtype=object)
    unknown = pd.Series([None] * n, index=tax_id.index, dtype=object)
    russia = pd.Series(["RU"] * n, index=tax_id.index, dtype=object)
    assert check_inn(tax_id, unknown, russia).tolist() == expected


def test_inn_stems_and_what_is_not_an_inn() -> None:
    assert complete_inn("770708389") == "7707083893"
    assert complete_inn("5001007322") == "500100732259"
    for stem in ("77070838", "77070838931"):
        with pytest.raises(ValueError, match=f"^an INN stem has 9 or 10 digits, not {len(stem)}$"):
            complete_inn(stem)
    assert not inn_is_valid(7707083893)  # type: ignore[arg-type]
    assert not inn_is_valid("77070838931")  # 11 digits
    assert not inn_is_valid("7707083893 ")


def test_check_inn_by_client_type_country_and_alignment() -> None:
    good10, good12 = "7707083893", "500100732259"
    tax_id = pd.Series([good12, good10, good10, good12, f"\u00a0{good10} ", "77070838931",
                        "7707O83893", "bad", "bad", None], index=[9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
                       dtype=object)
    # the other columns come in another order of the same rows
    client_type = pd.Series(["legal", "individual", "sole_proprietor", "legal", "legal",
                             None, None, "legal", "legal", "legal"],
                            index=[9, 8, 7, 6, 5, 4, 3, 2, 1, 0], dtype=object).iloc[::-1]
    country = pd.Series(["RU", " ru ", "RU", None, "RU", "RU", "RU", "KZ", None, "RU"],
                        index=[9, 8, 7, 6, 5, 4, 3, 2, 1, 0], dtype=object).iloc[::-1]
    result = check_inn(tax_id, client_type, country)
    assert result.index.tolist() == [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]
    # 12 digits for a legal entity (and a blank country is RU), 10 for a person, 11 digits, a
    # letter O: refused; a tax ID in spaces is trimmed; another country's is not checked
    assert result.tolist() == [False, False, False, False, True, False, False, True, False,
                               True]
    foreign = check_inn(pd.Series(["bad", "123"], index=[5, 6]),
                        pd.Series(["legal", None], index=[5, 6]),
                        pd.Series(["DE", "KZ"], index=[5, 6]))
    assert foreign.tolist() == [True, True]
    assert foreign.index.tolist() == [5, 6]
    assert foreign.dtype == bool
    # a zero-width space or a byte-order mark around a tax ID or a country is trimmed too
    zero_width = check_inn(pd.Series(["\u200b7707083893\ufeff", "\u200b7707083894"]),
                           pd.Series(["legal", "legal"]), pd.Series(["ru\u200b", "\ufeffRU"]))
    assert zero_width.tolist() == [True, False]
    one_russian = check_inn(pd.Series(["123"]), pd.Series(["legal"]), pd.Series(["RU"]))
    assert one_russian.tolist() == [False]
