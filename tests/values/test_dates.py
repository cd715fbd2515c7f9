"""values.dates: date cells and ISO, Russian and slash dates typed as text."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from parsed import IDX, listed, one

from ledgerflow.errors import UsageError
from ledgerflow.values import (
    excel_serial,
    parse_date,
    read_date,
)

# --------------------------------------------------------------------------------------------
# dates
# --------------------------------------------------------------------------------------------

D = pd.Timestamp


@pytest.mark.parametrize(
    "text",
    ["2026-10-05", "2026-10-05 00:00:00", "2026-10-05T13:00", "2026-10-05 23:59:59.123",
     "05.10.2026", "5.10.2026", "05.10.2026 13:45", "2026/10/05", " 2026-10-05 "],
)
def test_date_text_formats(text: str) -> None:
    assert one(parse_date(pd.Series([text]))) == (D("2026-10-05"), None, None)


def test_date_cells_keep_the_date_and_drop_the_time() -> None:
    cells = pd.Series(pd.to_datetime(["2026-10-05 13:45", None, "1969-12-31 23:59"]), index=IDX)
    parsed = parse_date(cells)
    assert parsed.values.tolist()[0] == D("2026-10-05")
    assert parsed.blank.tolist() == [False, True, False]
    assert parsed.values.tolist()[2] == D("1969-12-31")
    assert parsed.values.dtype == "datetime64[ns]"
    assert parsed.rule.isna().all()
    mixed = pd.Series([dt.datetime(2026, 1, 2, 3, 4), dt.date(2026, 5, 6), D("2026-07-08 09:00"),
                       np.datetime64("2020-01-01T10:00"), "1900-01-01"], dtype=object)
    assert parse_date(mixed).values.tolist() == [
        D("2026-01-02"), D("2026-05-06"), D("2026-07-08"), D("2020-01-01"), D("1900-01-01")]
    microseconds = pd.Series(pd.to_datetime(["2026-10-05 10:00"]).as_unit("us"))
    assert parse_date(microseconds).values.tolist() == [D("2026-10-05")]


def test_date_ambiguous_without_order() -> None:
    parsed = parse_date(pd.Series(["04/03/26", "04/03/2026"], index=[8, 9]))
    assert parsed.rule.tolist() == ["date_ambiguous"] * 2
    assert parsed.message.tolist()[0] == (
        "'04/03/26' is ambiguous: it may be 4 March 2026 or 3 April 2026; write the date like "
        "2026-03-04 or 04.03.2026, or set the date order (DMY or MDY)")
    assert parsed.values.isna().all()


def test_date_with_order() -> None:
    cells = pd.Series(["04/03/26", "04/03/2026", "4-3-2026"])
    assert parse_date(cells, "DMY").values.tolist() == [D("2026-03-04")] * 3
    assert parse_date(cells, "MDY").values.tolist() == [D("2026-04-03")] * 3
    assert parse_date(cells, "dmy").values.tolist() == [D("2026-03-04")] * 3
    wrong = one(parse_date(pd.Series(["25/03/2026"]), "MDY"))
    assert wrong[1] == "date_format"
    assert wrong[2] == ("'25/03/2026' is not a real date: there is no month 25 (read in MDY "
                        "order, as configured)")
    with pytest.raises(UsageError):
        parse_date(cells, "YMD")


def test_date_slash_that_reads_one_way_only() -> None:
    parsed = parse_date(pd.Series(["25/03/2026", "03/25/2026", "05/05/2026", "13/14/2026"]))
    assert parsed.values.tolist()[:3] == [D("2026-03-25"), D("2026-03-25"), D("2026-05-05")]
    assert parsed.rule.tolist()[3] == "date_format"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("31.02.2026", "'31.02.2026' is not a real date: February 2026 has 28 days"),
        ("2026-02-29", "'2026-02-29' is not a real date: February 2026 has 28 days"),
        ("2026-13-01", "'2026-13-01' is not a real date: there is no month 13"),
        ("00.10.2026", "'00.10.2026' is not a real date: there is no day 0"),
        ("2026-10-05 25:00", "'2026-10-05 25:00' has an impossible time of day: write it like "
                             "2026-10-05 or 05.10.2026"),
        ("45000", "'45000' is a number, not a date: format the cell as a date or write it like "
                  "2026-10-05 or 05.10.2026"),
        ("5 октября", "'5 октября' is not a date: write it like 2026-10-05 or 05.10.2026"),
        ("1000-01-01", "'1000-01-01' is out of range: dates must be between 1678 and 2261"),
    ],
)
def test_date_errors(text: str, message: str) -> None:
    assert one(parse_date(pd.Series([text]))) == (None, "date_format", message)


def test_date_leap_day_is_fine() -> None:
    assert one(parse_date(pd.Series(["29.02.2028"])))[0] == D("2028-02-29")


def test_date_numeric_cells_are_refused() -> None:
    parsed = parse_date(pd.Series([45000.0, np.nan, 45000.5], index=IDX))
    assert parsed.rule.tolist()[0] == "date_format"
    assert parsed.message.tolist()[0] == (
        "'45000' is a number, not a date: format the cell as a date or write it like "
        "2026-10-05 or 05.10.2026")
    assert parsed.blank.tolist() == [False, True, False]
    assert parsed.message.tolist()[2].startswith("'45000.5' is a number, not a date")
    ints = parse_date(pd.Series([45000]))
    assert ints.rule.tolist() == ["date_format"]
    in_text_column = parse_date(pd.Series([45000.0, "2026-10-05", True], dtype=object))
    assert in_text_column.rule.tolist()[0] == "date_format"
    assert in_text_column.values.tolist()[1] == D("2026-10-05")
    assert in_text_column.message.tolist()[2] == "'TRUE' is a yes/no value, not a date"


def test_date_many_distinct_texts() -> None:
    days = pd.date_range("1990-01-01", periods=5000, freq="D")
    texts = pd.Series(list(days.strftime("%Y-%m-%d")) + list(days.strftime("%d.%m.%Y")),
                      dtype="str")
    parsed = parse_date(texts)
    assert parsed.rule.isna().all()
    assert parsed.values.tolist() == list(days) * 2


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(st.text(alphabet="0123456789-.: T", min_size=6, max_size=19), min_size=1,
                      max_size=20))
def test_fast_date_path_agrees_with_slow_path(texts: list[str]) -> None:
    import pyarrow as pa

    from ledgerflow.values import dates as v

    positions, days = v._fast_dates(pa.array(texts, pa.large_string()))
    for pos, day in zip(positions, days, strict=True):
        assert v._date_unique(texts[pos], None) == (day, "", ""), texts[pos]


def test_fast_date_path_on_known_dates() -> None:
    import pyarrow as pa

    from ledgerflow.values import dates as v

    texts = ["2026-10-05", "05.10.2026", "2026-02-29", "31.04.2026", "2024-02-29 23:59",
             "1969-12-31", "1600-01-01", "2026-1-5", "5.1.2026T10:00"]
    positions, days = v._fast_dates(pa.array(texts, pa.large_string()))
    found = dict(zip(positions.tolist(), days.tolist(), strict=True))
    as_date = {texts[p]: (dt.date(1970, 1, 1) + dt.timedelta(days=d)).isoformat()
               for p, d in found.items()}
    assert as_date == {"2026-10-05": "2026-10-05", "05.10.2026": "2026-10-05",
                       "2024-02-29 23:59": "2024-02-29", "1969-12-31": "1969-12-31",
                       "2026-1-5": "2026-01-05", "5.1.2026T10:00": "2026-01-05"}


# --------------------------------------------------------------------------------------------
# the edges of a date, and the words of every date message
# --------------------------------------------------------------------------------------------

HOW = "write it like 2026-10-05 or 05.10.2026"
RANGE = "is out of range: dates must be between 1678 and 2261"


@pytest.mark.parametrize(("text", "day"), [
    ("05.10.68", "2068-10-05"), ("05.10.69", "1969-10-05"), ("05.10.26", "2026-10-05"),
    ("05.10.00", "2000-10-05"), ("1677-09-22", "1677-09-22"), ("2262-04-10", "2262-04-10"),
    ("1677/09/22", "1677-09-22"), ("2262.04.10", "2262-04-10"), ("22.09.1677", "1677-09-22"),
    ("10.04.2262 23:59", "2262-04-10"), ("2026-04-30", "2026-04-30"), ("2026-12-31", "2026-12-31"),
    ("2026-01-01", "2026-01-01"), ("2026-10-05T10:00Z", "2026-10-05"),
    ("2026-10-05 10:00+03:00", "2026-10-05"), ("2026-10-05 10:00:00,5", "2026-10-05"),
    ("2026-10-05 23:59:59", "2026-10-05"), ("25/03/2026 23:59", "2026-03-25"),
    ("2026/10/05 23:59:59", "2026-10-05"), ("2026-10-05T23:59:59Z", "2026-10-05"),
    ("3-25-26", "2026-03-25"), ("2028/02/29", "2028-02-29"), ("1.1.2026", "2026-01-01"),
    ("13/05/2026", "2026-05-13"), ("25/12/2026", "2026-12-25"), ("03/13/2026", "2026-03-13"),
    ("12/25/2026", "2026-12-25"), ("12/12/2026", "2026-12-12"),
])
def test_date_edges_that_are_dates(text: str, day: str) -> None:
    assert one(parse_date(pd.Series([text]))) == (D(day), None, None)


@pytest.mark.parametrize(("text", "message"), [
    ("1677-09-21", f"'1677-09-21' {RANGE}"), ("2262-04-11", f"'2262-04-11' {RANGE}"),
    ("1677/09/21", f"'1677/09/21' {RANGE}"), ("2262/04/11", f"'2262/04/11' {RANGE}"),
    ("0000-01-01", f"'0000-01-01' {RANGE}"), ("0000-02-30", f"'0000-02-30' {RANGE}"),
    ("0000-01-32", "'0000-01-32' is not a real date: there is no day 32"),
    ("0001-02-30", "'0001-02-30' is not a real date: February 1 has 28 days"),
    ("9999-02-30", "'9999-02-30' is not a real date: February 9999 has 28 days"),
    ("9999-12-31", f"'9999-12-31' {RANGE}"),
    ("2026-04-31", "'2026-04-31' is not a real date: April 2026 has 30 days"),
    ("2026/04/31", "'2026/04/31' is not a real date: April 2026 has 30 days"),
    ("2026-12-32", "'2026-12-32' is not a real date: there is no day 32"),
    ("2026-00-10", "'2026-00-10' is not a real date: there is no month 0"),
    ("2026-10-00", "'2026-10-00' is not a real date: there is no day 0"),
    ("32.01.2026", "'32.01.2026' is not a real date: there is no day 32"),
    ("2026-10-05 24:00", f"'2026-10-05 24:00' has an impossible time of day: {HOW}"),
    ("2026-10-05 23:60", f"'2026-10-05 23:60' has an impossible time of day: {HOW}"),
    ("2026-10-05 23:59:60", f"'2026-10-05 23:59:60' has an impossible time of day: {HOW}"),
    ("25/03/2026 10:61", f"'25/03/2026 10:61' has an impossible time of day: {HOW}"),
    ("05.10.2026 25:00", f"'05.10.2026 25:00' has an impossible time of day: {HOW}"),
    ("05.10.26 10:00:60", f"'05.10.26 10:00:60' has an impossible time of day: {HOW}"),
    ("13/14/2026", "'13/14/2026' is not a real date: neither 13 nor 14 is a month"),
    ("25/13/2026", "'25/13/2026' is not a real date: neither 25 nor 13 is a month"),
    ("05/12/2026", "'05/12/2026' is ambiguous: it may be 5 December 2026 or 12 May 2026; write "
                   "the date like 2026-12-05 or 05.12.2026, or set the date order (DMY or MDY)"),
    ("31/04/2026", "'31/04/2026' is not a real date: April 2026 has 30 days"),
    ("04/31/2026", "'04/31/2026' is not a real date: April 2026 has 30 days"),
    ("4/3/2026", "'4/3/2026' is ambiguous: it may be 4 March 2026 or 3 April 2026; write the "
                 "date like 2026-03-04 or 04.03.2026, or set the date order (DMY or MDY)"),
    ("12/1/2026", "'12/1/2026' is ambiguous: it may be 12 January 2026 or 1 December 2026; "
                  "write the date like 2026-01-12 or 12.01.2026, or set the date order (DMY or "
                  "MDY)"),
    ("2026-10.05", f"'2026-10.05' is not a date: {HOW}"),
    ("-5", f"'-5' is a number, not a date: format the cell as a date or {HOW}"),
    ("+5", f"'+5' is a number, not a date: format the cell as a date or {HOW}"),
    ("45000,5", f"'45000,5' is a number, not a date: format the cell as a date or {HOW}"),
])
def test_date_edges_that_are_not(text: str, message: str) -> None:
    rule = "date_ambiguous" if "ambiguous" in message else "date_format"
    assert one(parse_date(pd.Series([text]))) == (None, rule, message)


def test_date_order_named_in_the_message_only_when_set() -> None:
    parsed = parse_date(pd.Series(["31/04/2026", "04/31/2026"]), " dmy ")
    assert listed(parsed.message) == [
        "'31/04/2026' is not a real date: April 2026 has 30 days (read in DMY order, as "
        "configured)",
        "'04/31/2026' is not a real date: there is no month 31 (read in DMY order, as "
        "configured)"]
    with pytest.raises(UsageError, match=r"^date order must be DMY or MDY, not 'YMD'$"):
        parse_date(pd.Series(["2026-10-05"]), "YMD")


def test_date_cells_of_every_storage() -> None:
    late = pd.Series(np.array(["3000-01-01", "2026-10-05", "NaT"], dtype="datetime64[s]"),
                     index=[2, 3, 4])
    parsed = parse_date(late)
    assert listed(parsed.message) == [f"'3000-01-01' {RANGE}", None, None]
    assert listed(parsed.values) == [None, D("2026-10-05"), None]
    assert parsed.blank.tolist() == [False, False, True]
    assert listed(parsed.rule) == ["date_format", None, None]
    early = parse_date(pd.Series(np.array(["1600-01-01"], dtype="datetime64[s]")))
    assert listed(early.message) == [f"'1600-01-01' {RANGE}"]
    edges = parse_date(pd.Series(np.array(["1677-09-22", "2262-04-10", "1677-09-21 23:59",
                                           "2262-04-11"], dtype="datetime64[s]")))
    assert listed(edges.values)[:2] == [D("1677-09-22"), D("2262-04-10")]
    assert listed(edges.message) == [None, None, f"'1677-09-21 23:59:00' {RANGE}",
                                     f"'2262-04-11' {RANGE}"]
    yes_no = parse_date(pd.Series([True, None], dtype="boolean"))
    assert listed(yes_no.message) == ["'TRUE' is a yes/no value, not a date", None]
    assert yes_no.blank.tolist() == [False, True]
    whole = parse_date(pd.Series([45000, 1]))
    assert listed(whole.message) == [
        f"'45000' is a number, not a date: format the cell as a date or {HOW}",
        f"'1' is a number, not a date: format the cell as a date or {HOW}"]
    odd = parse_date(pd.Series([dt.time(9, 30), np.datetime64("3000-01-01"),
                                np.datetime64("2026-10-05"),
                                dt.date(1600, 1, 1), 12, np.nan, False], dtype=object))
    assert listed(odd.message) == [
        f"'09:30:00' is a time of day without a date: {HOW}", f"'3000-01-01' {RANGE}", None,
        f"'1600-01-01' {RANGE}",
        f"'12' is a number, not a date: format the cell as a date or {HOW}", None,
        "'FALSE' is a yes/no value, not a date"]
    assert listed(odd.rule) == ["date_format", "date_format", None, "date_format",
                                "date_format", None, "date_format"]
    assert listed(odd.values)[2] == D("2026-10-05")


def test_excel_serial_of_today() -> None:
    assert excel_serial(dt.date(2026, 12, 2)) == 46358
    assert excel_serial(dt.date(1970, 1, 1)) == 25569


def test_read_date_typed_outside_a_sheet() -> None:
    assert read_date(" 05.10.2026 ") == dt.date(2026, 10, 5)
    # pasted from a document: a byte-order mark, a zero-width and a no-break space around it
    assert read_date("\ufeff05.10.2026\u200b\u00a0") == dt.date(2026, 10, 5)
    assert read_date("2026-10-05") == dt.date(2026, 10, 5)
    assert read_date("1969-12-31") == dt.date(1969, 12, 31)
    assert read_date("04/03/2026", "MDY") == dt.date(2026, 4, 3)
    assert read_date("04/03/2026", "dmy") == dt.date(2026, 3, 4)
    with pytest.raises(ValueError, match=r"^'31\.02\.2026' is not a real date: February 2026 "
                                         r"has 28 days$"):
        read_date("31.02.2026")
    with pytest.raises(ValueError, match=r"^'04/03/2026' is ambiguous: it may be 4 March 2026 "):
        read_date("04/03/2026")
    with pytest.raises(UsageError, match=r"^date order must be DMY or MDY, not 'YMD'$"):
        read_date("2026-10-05", "YMD")


def test_a_date_cell_after_the_year_9999_is_out_of_range_not_a_crash() -> None:
    """A numpy date beyond what strftime writes (no reader makes one today) still gets the
    accountant's message, shown as ISO text."""
    parsed = parse_date(pd.Series([np.datetime64("10000-01-01"), "05.10.2026"], dtype=object))
    assert one(parsed) == (
        None, "date_format", "'10000-01-01' is out of range: dates must be between 1678 and 2261")
    assert one(parsed, 1)[1] is None


def test_date_messages_in_russian_decline_the_month() -> None:
    from ledgerflow.i18n import use_locale

    with use_locale("ru"):
        parsed = parse_date(pd.Series(["31.02.2026", "31.04.2026", "04/03/26", "завтра"]))
    assert listed(parsed.message) == [
        "'31.02.2026' — несуществующая дата: в феврале 2026 года всего 28 дней",
        "'31.04.2026' — несуществующая дата: в апреле 2026 года всего 30 дней",
        "'04/03/26' — неоднозначная дата: это может быть 4 марта 2026 или 3 апреля 2026; "
        "напишите дату как 04.03.2026 или 2026-03-04 либо задайте порядок даты (DMY или MDY)",
        "'завтра' — не дата: пишите так: 05.10.2026 или 2026-10-05"]


# --------------------------------------------------------------------------------------------
# the bulk readings: which cells they take (every other cell is read one by one)
# --------------------------------------------------------------------------------------------


def _fast_days(texts: list[str]) -> dict[str, str]:
    """The texts the vectorised reading takes, with the day it gives each."""
    import pyarrow as pa

    from ledgerflow.values import dates as v

    positions, days = v._fast_dates(pa.array(texts, pa.large_string()))
    return {texts[p]: (dt.date(1970, 1, 1) + dt.timedelta(days=d)).isoformat()
            for p, d in zip(positions.tolist(), days.tolist(), strict=True)}


def test_the_bulk_reading_takes_each_pattern_alone_and_the_first_and_last_days() -> None:
    # one ISO date alone, Russian dates alone: each pattern is tried whatever the other found
    assert _fast_days(["2026-10-05", "x"]) == {"2026-10-05": "2026-10-05"}
    assert _fast_days(["05.10.2026", "1.1.2026"]) == {"05.10.2026": "2026-10-05",
                                                      "1.1.2026": "2026-01-01"}
    # the first day of a month, and the first and last days datetime64[ns] holds
    assert _fast_days(["2026-10-01", "01.02.2026", "1677-09-22", "2262-04-10", "1677-09-21",
                       "2262-04-11"]) == {
        "2026-10-01": "2026-10-01", "01.02.2026": "2026-02-01", "1677-09-22": "1677-09-22",
        "2262-04-10": "2262-04-10"}


def test_a_text_column_of_iso_and_russian_dates_is_read_in_bulk(monkeypatch) -> None:
    """No cell of such a column is read one by one (a million-row column stays fast)."""
    from ledgerflow.values import dates as v

    one_by_one: list[object] = []
    slow = v._date_unique

    def counted(cell: object, order: str | None) -> tuple[int, str, str]:
        one_by_one.append(cell)
        return slow(cell, order)

    monkeypatch.setattr(v, "_date_unique", counted)
    parsed = parse_date(pd.Series(["2026-10-01", "05.10.2026", None, "04/03/2026"]), "DMY")
    assert listed(parsed.values) == [D("2026-10-01"), D("2026-10-05"), None, D("2026-03-04")]
    assert one_by_one == ["04/03/2026"]


@pytest.mark.parametrize(("cells", "message"), [
    (pd.Series(pd.to_datetime(["2026-10-05", None])), None),
    (pd.Series([45000.0, np.nan]),
     f"'45000' is a number, not a date: format the cell as a date or {HOW}"),
    (pd.Series([45000, 1]), f"'45000' is a number, not a date: format the cell as a date or {HOW}"),
    (pd.Series([True, None], dtype="boolean"), "'TRUE' is a yes/no value, not a date"),
    (pd.Series([False, True]), "'FALSE' is a yes/no value, not a date"),
], ids=["datetime", "float", "int", "boolean", "bool"])
def test_a_typed_column_is_read_without_factorising(monkeypatch, cells: pd.Series,
                                                   message: str | None) -> None:
    from ledgerflow.values import dates as v

    def refused(raw: pd.Series) -> object:
        raise AssertionError("a typed column was read cell by cell")

    monkeypatch.setattr(v, "factorise", refused)
    assert one(parse_date(cells))[2] == message


def test_an_infinite_number_cell_is_a_number_not_text() -> None:
    parsed = parse_date(pd.Series([float("inf"), float("-inf"), "2026-10-05"], dtype=object))
    assert listed(parsed.message) == [
        f"'infinity' is a number, not a date: format the cell as a date or {HOW}",
        f"'-infinity' is a number, not a date: format the cell as a date or {HOW}", None]


def test_a_cell_of_another_kind_is_read_by_its_text() -> None:
    """A pandas Period shows as its ISO day, and is read as that day."""
    parsed = parse_date(pd.Series([pd.Period("2026-10-05", "D"), pd.Period("2026-10", "M")],
                                  dtype=object))
    assert listed(parsed.values) == [D("2026-10-05"), None]
    assert listed(parsed.message) == [None, f"'2026-10' is not a date: {HOW}"]


def test_a_typed_column_is_refused_in_the_locale_of_the_moment() -> None:
    """The messages of a typed column are prepared once per locale: a switch to Russian after
    an English parse gives Russian, and back."""
    from ledgerflow.i18n import use_locale

    late = pd.Series(np.array(["3000-01-01"], dtype="datetime64[s]"))
    columns = (late, pd.Series([45000]), pd.Series([True]))
    english = [f"'3000-01-01' {RANGE}",
               f"'45000' is a number, not a date: format the cell as a date or {HOW}",
               "'TRUE' is a yes/no value, not a date"]
    assert [one(parse_date(c))[2] for c in columns] == english
    with use_locale("ru"):
        assert [one(parse_date(c))[2] for c in columns] == [
            "'3000-01-01' вне допустимого диапазона: даты должны быть между 1678 и 2261 годами",
            "'45000' — число, а не дата: задайте ячейке формат даты или пишите так: 05.10.2026 "
            "или 2026-10-05",
            "'TRUE' — значение «да/нет», а не дата"]
    assert [one(parse_date(c))[2] for c in columns] == english
