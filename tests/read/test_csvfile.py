"""read_csv(): encodings, delimiters, record numbers as Excel shows them, raw text cells."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ledgerflow.read.csvfile import CsvTable, read_csv
from ledgerflow.read.sniff import FileRefused


def write(tmp_path: Path, content: str | bytes, name: str = "payments.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def cells(table: CsvTable) -> dict[int, list[str | None]]:
    """Row number -> cells, with None for missing ones."""
    return {
        int(row): [None if pd.isna(v) else str(v) for v in values]
        for row, values in zip(table.frame.index, table.frame.itertuples(index=False), strict=True)
    }


def refused(path: Path) -> FileRefused:
    with pytest.raises(FileRefused) as info:
        read_csv(path)
    return info.value


def test_utf8_comma_keeps_text_as_typed(tmp_path: Path) -> None:
    table = read_csv(write(tmp_path, "payment_id,client_id,amount\n0012,acme, 10.50 \nP2,b,\n"))
    assert (table.encoding, table.delimiter, table.header_row) == ("utf-8", ",", 1)
    assert table.header == ["payment_id", "client_id", "amount"]
    assert cells(table) == {2: ["0012", "acme", " 10.50 "], 3: ["P2", "b", None]}
    assert list(table.frame.columns) == [0, 1, 2]


def test_utf8_bom(tmp_path: Path) -> None:
    table = read_csv(write(tmp_path, b"\xef\xbb\xbf" + "логин;сумма\nacme;1\n".encode()))
    assert table.encoding == "utf-8-sig"
    assert table.header == ["логин", "сумма"]  # no BOM glued to the first name


def test_cp1251_with_russian_headers(tmp_path: Path) -> None:
    text = "Логин;Наименование;Сумма\r\nOrhid;ООО «Орхидея»;1 234,56\r\n"
    table = read_csv(write(tmp_path, text.encode("cp1251")))
    assert (table.encoding, table.delimiter) == ("cp1251", ";")
    assert table.header == ["Логин", "Наименование", "Сумма"]
    assert cells(table) == {2: ["Orhid", "ООО «Орхидея»", "1 234,56"]}


def test_cp1251_without_letters_but_with_no_break_spaces(tmp_path: Path) -> None:
    table = read_csv(write(tmp_path, "id;amount\nP1;1\u00a0234,56\n".encode("cp1251")))
    assert table.encoding == "cp1251"
    assert cells(table) == {2: ["P1", "1\u00a0234,56"]}


def test_semicolon_with_decimal_commas(tmp_path: Path) -> None:
    text = "payment_id;amount;comment\nP1;1 234,56;a, b\nP2;0,5;\n"
    table = read_csv(write(tmp_path, text))
    assert table.delimiter == ";"
    assert cells(table) == {2: ["P1", "1 234,56", "a, b"], 3: ["P2", "0,5", None]}


def test_semicolon_header_with_a_comma_inside_a_name(tmp_path: Path) -> None:
    table = read_csv(write(tmp_path, '"amount, RUB";date\n"1,5";05.10.2026\n'))
    assert table.delimiter == ";"
    assert table.header == ["amount, RUB", "date"]


def test_tab_delimited(tmp_path: Path) -> None:
    table = read_csv(write(tmp_path, "a\tb\n1,5\t2\n"))
    assert table.delimiter == "\t"
    assert cells(table) == {2: ["1,5", "2"]}


def test_single_column_header_takes_the_delimiter_from_the_data(tmp_path: Path) -> None:
    table = read_csv(write(tmp_path, "client_id\nacme;extra\n"))
    assert table.delimiter == ";"
    assert table.header == ["client_id", "__extra_1"]


def test_quoted_newlines_keep_excel_row_numbers(tmp_path: Path) -> None:
    text = 'id,comment\n1,"line one\nline two"\n2,"a\r\nb\r\nc"\n3,plain\n'
    table = read_csv(write(tmp_path, text))
    assert cells(table) == {
        2: ["1", "line one\nline two"],
        3: ["2", "a\r\nb\r\nc"],
        4: ["3", "plain"],
    }


def test_leading_and_inner_empty_records(tmp_path: Path) -> None:
    text = "\n;;\n  \nid;amount\n1;2\n\n;;\n3;4\n"
    table = read_csv(write(tmp_path, text))
    assert table.header_row == 4
    assert table.header == ["id", "amount"]
    assert cells(table) == {5: ["1", "2"], 8: ["3", "4"]}


def test_crlf_and_cr_line_ends(tmp_path: Path) -> None:
    assert cells(read_csv(write(tmp_path, "a,b\r\n1,2\r\n3,4\r\n"))) == {2: ["1", "2"],
                                                                      3: ["3", "4"]}
    assert cells(read_csv(write(tmp_path, "a,b\r1,2\r3,4\r"))) == {2: ["1", "2"], 3: ["3", "4"]}


def test_trailing_delimiters_add_no_columns(tmp_path: Path) -> None:
    table = read_csv(write(tmp_path, "a;b;\n1;2;\n3;;\n"))
    assert table.header == ["a", "b"]
    assert cells(table) == {2: ["1", "2"], 3: ["3", None]}


def test_ragged_rows_keep_extra_cells_and_pad_short_ones(tmp_path: Path) -> None:
    table = read_csv(write(tmp_path, "a,b,c\n1,2,3,4,5\n6\n"))
    assert table.header == ["a", "b", "c", "__extra_1", "__extra_2"]
    assert cells(table) == {2: ["1", "2", "3", "4", "5"], 3: ["6", None, None, None, None]}


def test_a_wide_record_spanning_lines_is_read_whole(tmp_path: Path) -> None:
    # No physical line has more than 3 commas, but record 3 has 5 cells.
    text = 'a,b\n1,2\n3,"x\ny",4,5,6\n6,7,8,9\n'
    table = read_csv(write(tmp_path, text))
    assert table.header == ["a", "b", "__extra_1", "__extra_2", "__extra_3"]
    assert cells(table)[3] == ["3", "x\ny", "4", "5", "6"]
    assert cells(table)[4] == ["6", "7", "8", "9", None]


def test_whitespace_only_cells_are_missing(tmp_path: Path) -> None:
    table = read_csv(write(tmp_path, "a,b\n  ,x\n"))
    assert cells(table) == {2: [None, "x"]}


def test_doubled_quotes(tmp_path: Path) -> None:
    table = read_csv(write(tmp_path, 'a,b\n"say ""hi""","1,5"\n'))
    assert cells(table) == {2: ['say "hi"', "1,5"]}


def test_header_only(tmp_path: Path) -> None:
    table = read_csv(write(tmp_path, "a,b\n\n"))
    assert table.header == ["a", "b"]
    assert table.frame.empty
    assert table.frame.shape[1] == 2


def test_many_rows(tmp_path: Path) -> None:
    n = 100_000
    body = "".join(f"{i:06d};Имя {i};1 234,56\n" for i in range(n))
    table = read_csv(write(tmp_path, "id;name;amount\n" + body))
    assert table.frame.shape == (n, 3)
    assert table.frame.index[0] == 2 and table.frame.index[-1] == n + 1
    assert table.frame.iloc[0, 0] == "000000"


# --- refused -----------------------------------------------------------------------------------


def test_latin1_is_refused(tmp_path: Path) -> None:
    err = refused(write(tmp_path, "client,name\nacme,Café Müller à Genève\n".encode("latin-1")))
    assert err.rule == "csv_encoding"
    assert "neither UTF-8 nor Windows-1251" in err.message
    assert "CSV UTF-8" in err.message


def test_damaged_utf8_is_refused_not_read_as_cp1251(tmp_path: Path) -> None:
    content = "логин;сумма\nпервый;1\n".encode() + b"\xff;2\n" + "ещё;3\n".encode()
    err = refused(write(tmp_path, content))
    assert err.rule == "csv_encoding"
    assert "damaged" in err.message
    assert "line 3" in err.message


def test_utf16_is_refused(tmp_path: Path) -> None:
    err = refused(write(tmp_path, "a\tb\n".encode("utf-16")))
    assert err.rule == "csv_encoding"
    assert "UTF-16" in err.message


def test_binary_is_refused(tmp_path: Path) -> None:
    err = refused(write(tmp_path, b"a,b\n1,\x00\n"))
    assert err.rule == "csv_encoding"
    assert "line 2" in err.message


def test_unclosed_quote_is_refused_with_its_row(tmp_path: Path) -> None:
    err = refused(write(tmp_path, '\na,b\n1,2\n3,"never closed\n4,5\n'))
    assert err.rule == "csv_format"
    assert "row 4" in err.message
    assert "never closed" in err.message


@pytest.mark.parametrize("content", ["", "\n\n", ";;\n;;\n  \n", ",,\n"])
def test_empty_is_refused(tmp_path: Path, content: str) -> None:
    err = refused(write(tmp_path, content))
    assert err.rule == "csv_format"
    assert "empty" in err.message
