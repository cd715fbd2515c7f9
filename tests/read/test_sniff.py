"""sniff(): what a file really is, decided from its bytes, and the caps on workbooks."""

from __future__ import annotations

import re
import struct
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from ledgerflow.read.sniff import Caps, FileRefused, sniff

OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")


def make_xlsx(path: Path, sheet: str = "Payments", rows: int = 3) -> Path:
    workbook = xlsxwriter.Workbook(str(path))
    ws = workbook.add_worksheet(sheet)
    ws.write_row(0, 0, ["payment_id", "client_id", "amount"])
    for r in range(1, rows + 1):
        ws.write_row(r, 0, [f"P{r}", "acme", r * 10])
    workbook.close()
    return path


def rezip(src: Path, dst: Path, change: dict[str, bytes | None] | None = None) -> Path:
    """Copy a ZIP member by member, replacing (bytes) or dropping (None) the named members."""
    change = change or {}
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename in change:
                data = change[info.filename]
                if data is None:
                    continue
            else:
                data = zin.read(info)
            zout.writestr(info.filename, data)
        for name, data in change.items():
            if data is not None and name not in zin.namelist():
                zout.writestr(name, data)
    return dst


def make_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def make_ole(path: Path, streams: list[str]) -> Path:
    """A minimal valid OLE2 compound file: header, one FAT sector, one directory sector."""
    header = bytearray(512)
    header[0:8] = OLE_MAGIC
    struct.pack_into("<HHHHH", header, 0x18, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<I", header, 0x2C, 1)  # one FAT sector
    struct.pack_into("<I", header, 0x30, 1)  # the directory starts in sector 1
    struct.pack_into("<I", header, 0x38, 4096)
    struct.pack_into("<III", header, 0x3C, 0xFFFFFFFE, 0, 0xFFFFFFFE)
    struct.pack_into("<I", header, 0x48, 0)
    struct.pack_into("<109I", header, 0x4C, 0, *([0xFFFFFFFF] * 108))
    fat = struct.pack("<128I", 0xFFFFFFFD, 0xFFFFFFFE, *([0xFFFFFFFF] * 126))
    directory = bytearray(512)
    for i, (name, kind) in enumerate([("Root Entry", 5)] + [(s, 2) for s in streams]):
        encoded = name.encode("utf-16-le")
        entry = i * 128
        directory[entry : entry + len(encoded)] = encoded
        struct.pack_into("<HB", directory, entry + 0x40, len(encoded) + 2, kind)
    path.write_bytes(bytes(header) + fat + bytes(directory))
    return path


def refused(path: Path, caps: Caps | None = None) -> FileRefused:
    with pytest.raises(FileRefused) as info:
        sniff(path, caps or Caps())
    return info.value


# --- accepted files ----------------------------------------------------------------------------


def test_real_xlsx_is_xlsx_whatever_the_case_of_its_extension(tmp_path: Path) -> None:
    assert sniff(make_xlsx(tmp_path / "payments.xlsx")) == "xlsx"
    assert sniff(make_xlsx(tmp_path / "PAYMENTS.XLSX")) == "xlsx"


def test_openpyxl_workbook_is_xlsx(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active.title = "Clients"
    wb.active.append(["client_id", "name"])
    wb.active.append(["acme", "ACME"])
    wb.save(tmp_path / "clients.xlsx")
    assert sniff(tmp_path / "clients.xlsx") == "xlsx"


def test_text_named_csv_is_csv(tmp_path: Path) -> None:
    path = tmp_path / "payments.CSV"
    path.write_text("payment_id;amount\nP1;1 234,56\n", encoding="utf-8")
    assert sniff(path) == "csv"
    path.write_bytes("логин;сумма\n".encode("cp1251"))
    assert sniff(path) == "csv"


# --- refused: what the file really is -----------------------------------------------------------


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "payments.xlsx"
    path.write_bytes(b"")
    err = refused(path)
    assert err.rule == "file_empty"
    assert "empty" in err.message


def test_encrypted_workbook(tmp_path: Path) -> None:
    path = make_ole(tmp_path / "clients.xlsx", ["EncryptionInfo", "EncryptedPackage"])
    err = refused(path)
    assert err.rule == "file_encrypted"
    assert "password" in err.message and ".xlsx" in err.message


def test_encrypted_workbook_with_an_unreadable_directory(tmp_path: Path) -> None:
    # Only the magic and the stream name: the directory cannot be walked, the name is searched.
    path = tmp_path / "clients.xlsx"
    path.write_bytes(OLE_MAGIC + bytes(600) + "EncryptedPackage".encode("utf-16-le") + bytes(64))
    assert refused(path).rule == "file_encrypted"


def test_legacy_xls(tmp_path: Path) -> None:
    err = refused(make_ole(tmp_path / "payments.xls", ["Workbook", "\x05SummaryInformation"]))
    assert err.rule == "file_legacy_xls"
    assert "legacy Excel 97-2003 workbook (.xls)" in err.message
    assert "save it as .xlsx" in err.message
    assert "although" not in err.message  # its name is right; its format is not


def test_legacy_xls_named_xlsx_or_csv_says_so(tmp_path: Path) -> None:
    err = refused(make_ole(tmp_path / "payments.xlsx", ["Workbook"]))
    assert err.rule == "file_legacy_xls"
    assert "'.xlsx'" in err.message
    err = refused(make_ole(tmp_path / "payments.csv", ["Book"]))
    assert err.rule == "file_legacy_xls"
    assert "'.csv'" in err.message


def test_word_document_in_ole(tmp_path: Path) -> None:
    err = refused(make_ole(tmp_path / "payments.xls", ["WordDocument"]))
    assert err.rule == "file_not_workbook"
    assert "Word" in err.message


@pytest.mark.parametrize(
    "content",
    [
        b"<!DOCTYPE html><html><body><table><tr><td>1</td></tr></table></body></html>",
        b"\xef\xbb\xbf\r\n  <html xmlns:o='urn:schemas-microsoft-com:office:office'><table>",
        b"<table><tr><td>payment_id</td></tr></table>",
        b'<?xml version="1.0"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><body/></html>',
        "<HTML>".encode("utf-16"),
    ],
)
def test_html_saved_as_xls(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "report.xls"
    path.write_bytes(content)
    err = refused(path)
    assert err.rule == "file_html"
    assert "web page (HTML) saved with a spreadsheet extension" in err.message


def test_html_named_csv(tmp_path: Path) -> None:
    path = tmp_path / "payments.csv"
    path.write_bytes(b"<html><table></table></html>")
    assert refused(path).rule == "file_html"


def test_xml_spreadsheet_2003(tmp_path: Path) -> None:
    path = tmp_path / "payments.xls"
    path.write_bytes(
        b'<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
        b'<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"></Workbook>'
    )
    err = refused(path)
    assert err.rule == "file_xml_spreadsheet"
    assert "XML Spreadsheet" in err.message


def test_csv_renamed_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "payments.xlsx"
    path.write_text("payment_id,client_id,amount\nP1,acme,10\n", encoding="utf-8")
    err = refused(path)
    assert err.rule == "file_renamed_csv"
    assert "text/CSV file renamed to .xlsx" in err.message
    assert "rename it to .csv" in err.message


def test_truncated_xlsx(tmp_path: Path) -> None:
    data = make_xlsx(tmp_path / "whole.xlsx").read_bytes()
    path = tmp_path / "payments.xlsx"
    path.write_bytes(data[: len(data) // 2])
    err = refused(path)
    assert err.rule == "file_corrupt"
    assert "damaged or incomplete" in err.message


def test_xlsx_with_broken_workbook_part(tmp_path: Path) -> None:
    src = make_xlsx(tmp_path / "whole.xlsx")
    path = rezip(src, tmp_path / "payments.xlsx", {"xl/workbook.xml": b"<workbook><sheets>"})
    err = refused(path)
    assert err.rule == "file_corrupt"
    assert "xl/workbook.xml" in err.message


def test_xlsx_without_content_types(tmp_path: Path) -> None:
    src = make_xlsx(tmp_path / "whole.xlsx")
    path = rezip(src, tmp_path / "payments.xlsx", {"[Content_Types].xml": None})
    err = refused(path)
    assert err.rule == "file_corrupt"
    assert "[Content_Types].xml" in err.message


def test_xlsx_without_workbook_part(tmp_path: Path) -> None:
    src = make_xlsx(tmp_path / "whole.xlsx")
    path = rezip(src, tmp_path / "payments.xlsx", {"xl/workbook.xml": None})
    assert refused(path).rule == "file_corrupt"


def test_entity_declarations_are_refused(tmp_path: Path) -> None:
    src = make_xlsx(tmp_path / "whole.xlsx")
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><workbook>&lol2;</workbook>'
    )
    path = rezip(src, tmp_path / "payments.xlsx", {"xl/workbook.xml": bomb})
    assert refused(path).rule == "file_unsafe_xml"


def test_ods(tmp_path: Path) -> None:
    """LibreOffice's own format is read like an .xlsx; named otherwise, encrypted or without
    its content part, it is refused with the reason."""
    parts = {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
             "content.xml": b"<x/>"}
    path = make_zip(tmp_path / "payments.ods", parts)
    assert sniff(path) == "ods"
    err = refused(path.rename(tmp_path / "payments.xlsx"))
    assert err.rule == "file_misnamed"
    assert "OpenDocument spreadsheet (.ods) named .xlsx: rename it to .ods" in err.message
    secret = make_zip(tmp_path / "secret.ods", {**parts, "META-INF/manifest.xml": (
        b'<manifest:manifest><manifest:file-entry manifest:full-path="content.xml">'
        b"<manifest:encryption-data/></manifest:file-entry></manifest:manifest>")})
    assert refused(secret).rule == "file_encrypted"
    hollow = make_zip(tmp_path / "hollow.ods", {"mimetype": parts["mimetype"]})
    assert refused(hollow).rule == "file_corrupt"


def test_xlsb(tmp_path: Path) -> None:
    path = make_zip(
        tmp_path / "payments.xlsx",
        {"[Content_Types].xml": b"<Types/>", "xl/workbook.bin": b"\x00\x01"},
    )
    err = refused(path)
    assert err.rule == "file_xlsb"
    assert "Excel Binary Workbook (.xlsb)" in err.message


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    err = refused(make_zip(tmp_path / "payments.xlsx", {"payments.csv": b"a,b\n"}))
    assert err.rule == "file_not_workbook"
    assert "ZIP archive" in err.message
    docx = make_zip(tmp_path / "letter.xlsx", {"[Content_Types].xml": b"<Types/>",
                                               "word/document.xml": b"<w/>"})
    err = refused(docx)
    assert err.rule == "file_not_workbook"
    assert "Word document" in err.message


def test_real_xlsx_with_the_wrong_extension_is_misnamed(tmp_path: Path) -> None:
    for name in ("payments.xls", "payments.csv", "payments.zip", "payments"):
        err = refused(make_xlsx(tmp_path / name))
        assert err.rule == "file_misnamed", name
        assert "rename it to .xlsx" in err.message
    assert ".xls:" in refused(make_xlsx(tmp_path / "again.xls")).message


def test_binary_named_csv(tmp_path: Path) -> None:
    path = tmp_path / "payments.csv"
    path.write_bytes(b"\x01\x02\x00\x00garbage\x00")
    err = refused(path)
    assert err.rule == "file_binary_csv"
    assert "not text" in err.message


def test_utf16_text(tmp_path: Path) -> None:
    path = tmp_path / "payments.csv"
    path.write_bytes("payment_id\tamount\r\nP1\t10\r\n".encode("utf-16"))
    err = refused(path)
    assert err.rule == "file_utf16"
    assert "CSV UTF-8" in err.message


def test_pdf(tmp_path: Path) -> None:
    path = tmp_path / "payments.xlsx"
    path.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    err = refused(path)
    assert err.rule == "file_pdf"
    assert "PDF" in err.message


@pytest.mark.parametrize("name", ["payments.txt", "payments.json", "payments"])
def test_unsupported_extension_of_text(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text('{"a": 1}' if name.endswith(".json") else "a,b\n1,2\n", encoding="utf-8")
    err = refused(path)
    assert err.rule == "file_unsupported"
    assert "only .xlsx and .ods workbooks and .csv files" in err.message


def test_refusal_as_problem(tmp_path: Path) -> None:
    path = tmp_path / "payments.xlsx"
    path.write_bytes(b"")
    problem = refused(path).problem("payments.xlsx")
    assert (problem.file, problem.rule, problem.row) == ("payments.xlsx", "file_empty", None)


# --- caps --------------------------------------------------------------------------------------


def test_cap_file_size(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "payments.xlsx")
    err = refused(path, Caps(max_file_bytes=1000))
    assert err.rule == "cap_file_size"
    assert "max_file_bytes" in err.message


def test_zip_bomb_ratio(tmp_path: Path) -> None:
    src = make_xlsx(tmp_path / "whole.xlsx")
    zeros = bytes(5 * 2**20)  # deflates about 1000 to 1
    path = rezip(src, tmp_path / "payments.xlsx", {"xl/media/padding.bin": zeros})
    err = refused(path)
    assert err.rule == "cap_zip_ratio"
    assert "xl/media/padding.bin" in err.message
    assert "200× limit (max_ratio)" in err.message
    assert "zip bomb" in err.message


def test_zip_bomb_unzipped_size(tmp_path: Path) -> None:
    src = make_xlsx(tmp_path / "whole.xlsx")
    path = rezip(src, tmp_path / "payments.xlsx", {"xl/media/padding.bin": bytes(3 * 2**20)})
    err = refused(path, Caps(max_unzipped_bytes=2 * 2**20, max_ratio=10_000))
    assert err.rule == "cap_unzipped_size"
    assert "3.0 MB, over the 2.0 MB limit (max_unzipped_bytes)" in err.message


def test_small_parts_with_a_high_ratio_are_fine(tmp_path: Path) -> None:
    src = make_xlsx(tmp_path / "whole.xlsx")
    path = rezip(src, tmp_path / "payments.xlsx", {"xl/media/padding.bin": bytes(500_000)})
    assert sniff(path) == "xlsx"


def test_cap_members(tmp_path: Path) -> None:
    err = refused(make_xlsx(tmp_path / "payments.xlsx"), Caps(max_members=3))
    assert err.rule == "cap_members"
    assert "max_members" in err.message


def _with_dimension(tmp_path: Path, ref: str | None) -> Path:
    src = make_xlsx(tmp_path / "whole.xlsx", sheet="Payments")
    with zipfile.ZipFile(src) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml")
    assert b"<dimension" in sheet
    if ref is None:
        sheet = re.sub(rb"<dimension [^>]*/>", b"", sheet)
    else:
        sheet = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="' + ref.encode() + b'"',
                       sheet)
    return rezip(src, tmp_path / "payments.xlsx", {"xl/worksheets/sheet1.xml": sheet})


def test_cap_cells_from_the_sheet_dimension(tmp_path: Path) -> None:
    path = _with_dimension(tmp_path, "A1:Z9999999")
    err = refused(path)
    assert err.rule == "cap_cells"
    assert "Sheet 'Payments'" in err.message
    assert "A1:Z9999999" in err.message
    assert "259,999,974 cells" in err.message
    assert "max_cells" in err.message


def test_cap_cells_against_a_small_limit(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "payments.xlsx", rows=99)  # A1:C100 = 300 cells
    assert sniff(path, Caps(max_cells=300)) == "xlsx"
    assert refused(path, Caps(max_cells=299)).rule == "cap_cells"


def test_no_dimension_no_cell_check(tmp_path: Path) -> None:
    path = _with_dimension(tmp_path, None)
    assert sniff(path, Caps(max_cells=1)) == "xlsx"
