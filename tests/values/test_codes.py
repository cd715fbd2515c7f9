"""values.text and values.codes: text, yes/no, choices, currencies, countries, e-mail."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from parsed import NBSP, NNBSP, listed, one

from ledgerflow.contract import CLIENT_STATUSES, CLIENT_TYPES
from ledgerflow.values import (
    currency_digits,
    is_email,
    minor_digits,
    parse_bool,
    parse_choice,
    parse_country,
    parse_currency,
    parse_text,
)
from ledgerflow.values.cells import show

# --------------------------------------------------------------------------------------------
# text, yes/no, choices, codes
# --------------------------------------------------------------------------------------------


def test_text() -> None:
    cells = pd.Series([f"{NBSP} Orhid_magazine {NNBSP}", 1001.0, 12.5, 0.1 + 0.2, 7, True,
                       dt.date(2026, 10, 5), dt.datetime(2026, 10, 5, 13, 0), "a  b", None],
                      dtype=object)
    parsed = parse_text(cells)
    assert parsed.values.tolist()[:9] == [
        "Orhid_magazine", "1001", "12.5", "0.3", "7", "TRUE", "2026-10-05", "2026-10-05 13:00:00",
        "a  b"]
    assert parsed.blank.tolist() == [False] * 9 + [True]
    floats = parse_text(pd.Series([1001.0, 12.5, np.nan, 1e20, -0.0, 1 / 3], index=range(6)))
    assert floats.values.tolist()[:2] == ["1001", "12.5"]
    assert floats.values.tolist()[3:] == ["100000000000000000000", "0", "0.333333333333333"]
    assert parse_text(pd.Series([5, 6])).values.tolist() == ["5", "6"]
    assert parse_text(pd.Series(pd.to_datetime(["2026-10-05 00:00", "2026-10-05 10:30"]))
                      ).values.tolist() == ["2026-10-05", "2026-10-05 10:30:00"]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("yes", True), ("No", False), ("да", True), ("НЕТ", False), ("true", True),
     ("FALSE", False), ("1", True), ("0", False), ("y", True), ("n", False), ("Д", True),
     ("н", False), (True, True), (False, False), (1.0, True), (0.0, False), (1, True),
     (" Да ", True), ("ИСТИНА", True), ("ложь", False)],
)
def test_bool_accepts(cell: object, expected: bool) -> None:
    assert one(parse_bool(pd.Series([cell], dtype=object))) == (expected, None, None)


def test_bool_errors() -> None:
    parsed = parse_bool(pd.Series(["maybe", 2.0, "2"], dtype=object))
    assert parsed.rule.tolist() == ["bool_format"] * 3
    assert parsed.message.tolist()[0] == (
        "'maybe' is not yes or no: write yes/no, да/нет, true/false or 1/0")
    numeric = parse_bool(pd.Series([1.0, 0.0, np.nan, 2.0], index=[1, 2, 3, 4]))
    assert numeric.values.tolist()[:2] == [True, False]
    assert numeric.blank.tolist() == [False, False, True, False]
    assert numeric.rule.tolist()[3] == "bool_format"


def test_choice() -> None:
    cells = pd.Series(["Юр. лицо", "  ИП ", "sole proprietor", "LEGAL", "физлицо", "юр.лицо",
                       "Физическое   лицо", "company", None], index=range(20, 29))
    parsed = parse_choice(cells, CLIENT_TYPES, "client_type")
    assert parsed.values.tolist()[:7] == [
        "legal", "sole_proprietor", "sole_proprietor", "legal", "individual", "legal",
        "individual"]
    assert one(parsed, 7) == (
        None, "choice",
        "'company' is not an accepted client_type: use legal, individual or sole_proprietor")
    assert parsed.blank.tolist()[-1]
    statuses = parse_choice(pd.Series(["Закрыт", "активён", "open"]), CLIENT_STATUSES, "status")
    assert statuses.values.tolist()[:2] == ["closed", "active"]
    assert statuses.message.tolist()[2] == (
        "'open' is not an accepted status: use active, blocked or closed")
    yo = parse_choice(pd.Series(["Платёж", "ПЛАТЕЖ"]), {"платёж": "payment"}, "kind")
    assert yo.values.tolist() == ["payment", "payment"]


def test_currency() -> None:
    parsed = parse_currency(pd.Series(["rub", " JPY ", "Usd", "RUR", "₽", "XXX", "abc", 1.0],
                                      index=range(8), dtype=object))
    assert parsed.values.tolist()[:3] == ["RUB", "JPY", "USD"]
    assert one(parsed, 3) == (None, "currency_code",
                              "'RUR' is not an ISO 4217 currency code: did you mean RUB?")
    assert one(parsed, 4)[2] == "'₽' is not an ISO 4217 currency code: did you mean RUB?"
    assert one(parsed, 5)[1] == "currency_code"
    assert one(parsed, 6) == (
        None, "currency_code",
        "'abc' is not an ISO 4217 currency code: use a three-letter code such as RUB, USD or EUR")
    assert one(parsed, 7)[1] == "currency_code"


def test_country() -> None:
    parsed = parse_country(pd.Series(["ru", "KZ", "RUS", "UK", "zz"], index=range(5)))
    assert parsed.values.tolist()[:2] == ["RU", "KZ"]
    assert one(parsed, 2) == (None, "country_code",
                              "'RUS' is not an ISO 3166 country code: did you mean RU?")
    assert one(parsed, 3)[2] == "'UK' is not an ISO 3166 country code: did you mean GB?"
    assert one(parsed, 4)[1] == "country_code"


def test_is_email() -> None:
    s = pd.Series(["a@b.ru", "first.last+tag@mail.example.com", "иван@почта.рф", None, "x",
                   "a b@c.com", "a@b", "a@@b.ru", "a@b..ru", "@b.ru"], index=range(10, 20))
    assert is_email(s).tolist() == [True, True, True, True, False, False, False, False, False,
                                    False]
    assert is_email(s).index.tolist() == list(range(10, 20))


# --------------------------------------------------------------------------------------------
# yes/no of every storage, the words of the messages
# --------------------------------------------------------------------------------------------

NOT_YES_NO = "is not yes or no: write yes/no, да/нет, true/false or 1/0"


def test_bool_of_every_storage() -> None:
    stored = parse_bool(pd.Series([True, None, False], dtype="boolean", index=[4, 5, 6]))
    assert listed(stored.values) == [True, None, False]
    assert stored.blank.tolist() == [False, True, False]
    assert stored.rule.isna().all()
    numbers = parse_bool(pd.Series([1, 0, 2, -1], index=[4, 5, 6, 7]))
    assert listed(numbers.values) == [True, False, None, None]
    assert listed(numbers.message) == [None, None, f"'2' {NOT_YES_NO}", f"'-1' {NOT_YES_NO}"]
    floats = parse_bool(pd.Series([1.0, 0.0, np.nan, 0.5]))
    assert listed(floats.values) == [True, False, None, None]
    assert listed(floats.message) == [None, None, None, f"'0.5' {NOT_YES_NO}"]
    assert floats.blank.tolist() == [False, False, True, False]
    dates = parse_bool(pd.Series(pd.to_datetime(["2026-10-05", None])))
    assert listed(dates.values) == [None, None]
    assert listed(dates.message) == [f"'2026-10-05' {NOT_YES_NO}", None]
    assert listed(dates.rule) == ["bool_format", None]
    assert dates.blank.tolist() == [False, True]


def test_bool_of_mixed_cells() -> None:
    parsed = parse_bool(pd.Series([np.int64(1), np.float64(0.0), Decimal("1"), Decimal("2"),
                                   "Да", "maybe", 2, np.bool_(False), None, "  "],
                                  index=range(10, 20), dtype=object))
    assert listed(parsed.values) == [True, False, True, None, True, None, None, False, None,
                                     None]
    assert listed(parsed.message) == [None, None, None, f"'2' {NOT_YES_NO}", None,
                                      f"'maybe' {NOT_YES_NO}", f"'2' {NOT_YES_NO}", None, None,
                                      None]
    assert parsed.blank.tolist() == [False] * 8 + [True] * 2


def test_choice_spellings_and_the_list_in_the_message() -> None:
    kinds = {"платёж": "payment", "оплата": "payment", "возврат": "refund",
             "full refund": "refund", "сторно": "reversal"}
    parsed = parse_choice(pd.Series(["Оплата", "ПЛАТЁЖ", "Воз-врат", "full.refund",
                                     "FULL_ - Refund", "СТОРНО\u00a0", "gift"]), kinds, "kind")
    assert listed(parsed.values) == ["payment", "payment", None, "refund", "refund", "reversal",
                                     None]
    assert listed(parsed.message)[6] == (
        "'gift' is not an accepted kind: use payment, refund or reversal")
    assert listed(parsed.message)[2] == (
        "'Воз-врат' is not an accepted kind: use payment, refund or reversal")
    two = parse_choice(pd.Series(["x"]), {"a": "alpha", "b": "beta"}, "letter")
    assert listed(two.message) == ["'x' is not an accepted letter: use alpha or beta"]
    single = parse_choice(pd.Series(["x", "A"]), {"a": "alpha"}, "letter")
    assert listed(single.message) == ["'x' is not an accepted letter: use alpha", None]
    assert listed(single.values) == [None, "alpha"]


def test_email_is_trimmed_and_blank_is_fine() -> None:
    s = pd.Series([f"{NBSP}a@b.ru ", np.nan, "a@b.r", "a.@b.ru", "a@-b.ru", "a@b-.ru",
                   "a@b.ru1", "A_B-c@x-y.example.ru", "\u200ba@b.ru\ufeff"], index=range(9))
    assert is_email(s).tolist() == [True, True, False, False, False, False, False, True, True]
    assert is_email(s).dtype == bool


# --------------------------------------------------------------------------------------------
# currencies and countries: minor units, the hints for what accountants write instead
# --------------------------------------------------------------------------------------------

ISO_4217_NOT_TWO = {  # ISO 4217's list one, the minor units that are not 2
    0: "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF",
    3: "BHD IQD JOD KWD LYD OMR TND",
    4: "CLF UYW",
}


def test_minor_units_follow_iso_4217() -> None:
    for digits, codes in ISO_4217_NOT_TWO.items():
        assert {code: minor_digits(code) for code in codes.split()} == dict.fromkeys(
            codes.split(), digits)
    assert [minor_digits(c) for c in ("RUB", "USD", "HUF", "IDR", "COP", " jpy ", "kwd")] == [
        2, 2, 2, 2, 2, 0, 3]
    digits = currency_digits(pd.Series(["JPY", None, "RUB", "KWD", "JPY"], index=[7, 8, 9, 1, 2]))
    assert listed(digits) == [0, None, 2, 3, 0]
    assert digits.index.tolist() == [7, 8, 9, 1, 2]
    assert digits.dtype == "Int64"


CURRENCY_HINTS = {
    "RUB": ["₽", "руб", "Руб.", "р", "р.", "rur", "рубль", "рубли", "рублей"],
    "USD": ["$", "us$", "долл", "доллар"], "EUR": ["€", "евро"], "GBP": ["£"],
    "JPY or CNY": ["¥"], "KZT": ["тенге", "₸"], "CNY": ["юань"], "BYN": ["byr"],
}


def test_currency_hints() -> None:
    for hint, spellings in CURRENCY_HINTS.items():
        parsed = parse_currency(pd.Series(spellings))
        assert listed(parsed.message) == [
            f"{show(s)} is not an ISO 4217 currency code: did you mean {hint}?"
            for s in spellings]
    placeholders = parse_currency(pd.Series(["xxx", "XTS"]))
    assert listed(placeholders.message) == [
        f"'{code}' is a placeholder code, not a currency: use a three-letter code such as RUB, "
        "USD or EUR" for code in ("xxx", "XTS")]
    assert listed(placeholders.rule) == ["currency_code"] * 2
    assert listed(parse_currency(pd.Series(["byn", "KZT", "CNY"])).values) == [
        "BYN", "KZT", "CNY"]


def test_country_hints() -> None:
    spellings = {"uk": "GB", "РФ": "RU", "Россия": "RU", "russia": "RU", "рб": "BY",
                 "Казахстан": "KZ", "Беларусь": "BY", "deu": "DE", "KAZ": "KZ"}
    parsed = parse_country(pd.Series(list(spellings)))
    assert listed(parsed.message) == [
        f"{show(s)} is not an ISO 3166 country code: did you mean {code}?"
        for s, code in spellings.items()]
    assert listed(parsed.rule) == ["country_code"] * len(spellings)
    unknown = parse_country(pd.Series(["zz", "by"]))
    assert listed(unknown.message) == [
        "'zz' is not an ISO 3166 country code: use a two-letter code such as RU, KZ or DE", None]
    assert listed(unknown.values) == [None, "BY"]


def test_text_of_typed_columns() -> None:
    floats = parse_text(pd.Series([2.0**53 - 1, 2.0**53, -(2.0**53), 1e16, math.inf, -2.5, -2.5,
                                   np.nan, 3.0], index=range(9)))
    # from 2**53 on a float is shown as Excel shows it, in 15 significant digits
    assert listed(floats.values) == ["9007199254740991", "9007199254740990",
                                     "-9007199254740990", "10000000000000000", "infinity",
                                     "-2.5", "-2.5", None, "3"]
    assert floats.blank.tolist() == [False] * 7 + [True, False]
    whole = parse_text(pd.Series([3.0, np.nan, -0.0], index=[4, 5, 6]))  # whole numbers only
    assert listed(whole.values) == ["3", None, "0"]
    ints = parse_text(pd.Series([1, None, -3], dtype="Int64", index=[5, 6, 7]))
    assert listed(ints.values) == ["1", None, "-3"]
    assert ints.blank.tolist() == [False, True, False]
    bools = parse_text(pd.Series([True, None, False], dtype="boolean"))
    assert listed(bools.values) == ["TRUE", None, "FALSE"]
    assert bools.blank.tolist() == [False, True, False]
    stamps = pd.Series(pd.to_datetime(["2026-10-05 10:30:00", None, "2026-10-05 00:00:00",
                                       "2026-10-05 10:30:00",
                                       "2026-10-06 00:00:01"]))
    assert listed(parse_text(stamps).values) == [
        "2026-10-05 10:30:00", None, "2026-10-05", "2026-10-05 10:30:00", "2026-10-06 00:00:01"]
    assert parse_text(stamps).blank.tolist() == [False, True, False, False, False]
    moscow = pd.Series(pd.to_datetime(["2026-10-05 23:30", "2026-10-05 00:00"]).tz_localize(
        "Europe/Moscow"))
    assert listed(parse_text(moscow).values) == ["2026-10-05 23:30:00", "2026-10-05"]
    for parsed in (floats, ints, bools):
        assert parsed.rule.isna().all() and parsed.message.isna().all()


def test_choices_and_yes_no_in_russian_list_the_russian_words() -> None:
    from ledgerflow.i18n import use_locale

    with use_locale("ru"):
        types = parse_choice(pd.Series(["ЮЛ", "ип"]), CLIENT_TYPES, "client_type")
        statuses = parse_choice(pd.Series(["open"]), CLIENT_STATUSES, "status")
        flags = parse_bool(pd.Series(["может быть"]))
    assert listed(types.message) == [
        "'ЮЛ' — недопустимый тип клиента: укажите юрлицо, физлицо или ИП", None]
    assert listed(types.values) == [None, "sole_proprietor"]
    assert listed(statuses.message) == [
        "'open' — недопустимый статус клиента: укажите активен, заблокирован или закрыт"]
    # each Russian word the message suggests is itself accepted
    words = pd.Series(["юрлицо", "физлицо", "ИП", "активен", "заблокирован", "закрыт"])
    assert listed(parse_choice(words[:3], CLIENT_TYPES, "client_type").values) == [
        "legal", "individual", "sole_proprietor"]
    assert listed(parse_choice(words[3:], CLIENT_STATUSES, "status").values) == [
        "active", "blocked", "closed"]
    assert listed(flags.message) == [
        "'может быть' — не «да» и не «нет»: пишите да/нет, yes/no, true/false или 1/0"]


@pytest.mark.parametrize(("cells", "values", "message"), [
    (pd.Series([True, False, None], dtype="boolean"), [True, False, None], None),
    (pd.Series([1.0, 0.0, np.nan]), [True, False, None], None),
    (pd.Series([1, 0, 2]), [True, False, None],
     "'2' is not yes or no: write yes/no, да/нет, true/false or 1/0"),
    (pd.Series(pd.to_datetime(["2026-10-05"])), [None],
     "'2026-10-05' is not yes or no: write yes/no, да/нет, true/false or 1/0"),
], ids=["boolean", "float", "int", "datetime"])
def test_a_typed_yes_no_column_is_read_without_factorising(monkeypatch, cells: pd.Series,
                                                          values: list[object],
                                                          message: str | None) -> None:
    from ledgerflow.values import codes as v

    def refused(raw: pd.Series) -> object:
        raise AssertionError("a typed column was read cell by cell")

    monkeypatch.setattr(v, "factorise", refused)
    parsed = parse_bool(cells)
    assert listed(parsed.values) == values
    assert listed(parsed.message)[-1] == message


def test_a_choice_message_lists_the_values_when_the_locale_words_are_not_accepted() -> None:
    """In Russian the accepted values are named in Russian words when the column accepts them
    (юрлицо …), and as they are when it does not."""
    from ledgerflow.i18n import use_locale

    english_only = {"legal": "legal", "individual": "individual"}
    with use_locale("ru"):
        assert listed(parse_choice(pd.Series(["x"]), english_only, "client_type").message) == [
            "'x' — недопустимый тип клиента: укажите legal или individual"]
        assert listed(parse_choice(pd.Series(["x"]), CLIENT_TYPES, "client_type").message) == [
            "'x' — недопустимый тип клиента: укажите юрлицо, физлицо или ИП"]
