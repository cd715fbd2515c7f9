"""Decide what an input file really is, from its bytes, before any parser sees it.

SPEC "Inputs": a file is an `.xlsx` workbook, an `.ods` spreadsheet (LibreOffice's own format) or
a `.csv` text file; anything else (a legacy `.xls`, an encrypted workbook, a web page saved as
`.xls`, a CSV renamed `.xlsx` ...) is refused
with a message that says what the file really is and what to do about it. Content decides first,
the extension second: a real workbook with a wrong extension is refused too, so that users fix the
names of their files.

Workbooks are also checked against `Caps` before a reader opens them, using only the ZIP central
directory, a bounded read of a few small parts (parsed with defusedxml) and the first 4 KiB of each
worksheet: nothing is decompressed in full, so a zip bomb or a sheet that declares billions of cells
is refused cheaply.
"""

from __future__ import annotations

import mmap
import posixpath
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NoReturn

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from ledgerflow.errors import Problem
from ledgerflow.i18n import N_, _
from ledgerflow.values.sheets import column_index

FileKind = Literal["xlsx", "ods", "csv"]

HEAD_BYTES = 64 * 1024  # how much of a file is looked at to classify it
SHEET_HEAD_BYTES = 4 * 1024  # how much of each worksheet part is read to find <dimension>
PART_READ_LIMIT = 64 * 2**20  # a bound on the small XML parts read whole (content types, workbook)

OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
EXCEL_EXTENSIONS = {".xlsx", ".xlsm", ".xltx", ".xltm", ".xls", ".xlsb", ".xlt", ".ods"}
TEMPLATE_OR_MACRO_EXTENSIONS = {".xlsm", ".xltx", ".xltm"}


@dataclass(frozen=True)
class Caps:
    """Limits a workbook must stay under before any reader opens it."""

    max_file_bytes: int = 512 * 2**20  # on-disk size
    max_unzipped_bytes: int = 2 * 2**30  # sum of decompressed member sizes of an .xlsx
    max_ratio: int = 200  # decompressed/compressed per member (zip bomb)
    max_cells: int = 50_000_000  # rows*cols from each sheet's <dimension ref="A1:H1000000">
    max_members: int = 10_000
    # The ratio cap applies to members that unpack to more than this: a small part with a high
    # ratio (a run of identical empty-row records) is harmless and common.
    ratio_floor_bytes: int = 2**20


class FileRefused(Exception):
    """A whole file cannot be read. `rule` is a snake_case code, `message` is accountant English."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message

    def problem(self, file: str) -> Problem:
        """The refusal as a `Problem` about the whole file."""
        return Problem(file=file, rule=self.rule, message=self.message)


def sniff(path: Path, caps: Caps = Caps()) -> FileKind:
    """Return "xlsx", "ods" or "csv" for a file that may be read as such; raise `FileRefused`
    otherwise."""
    path = Path(path)
    ext = path.suffix.lower()
    size = path.stat().st_size
    if size == 0:
        raise FileRefused(
            "file_empty",
            _("The file is empty (0 bytes): it was probably not saved or copied completely. "
              "Export or copy it again."),
        )
    if size > caps.max_file_bytes:
        raise FileRefused(
            "cap_file_size",
            _("The file is {size}, over the {limit} limit (max_file_bytes): split it into "
              "smaller files, one per month or per table.").format(
                size=_size(size), limit=_size(caps.max_file_bytes)),
        )
    with path.open("rb") as f:
        head = f.read(HEAD_BYTES)

    if head.startswith(OLE_MAGIC):
        _refuse_ole(path, ext, size)
    if head.startswith(ZIP_MAGICS):
        return _sniff_zip(path, ext, caps)
    _refuse_known_binary(head, ext)
    _refuse_markup(head, ext)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRefused(
            "file_utf16",
            _("This is a UTF-16 \"Unicode Text\" file{named}, which is not read: in Excel use "
              "Save As → \"CSV UTF-8 (Comma delimited)\" and drop the .csv file instead.").format(
                named=_named(ext)),
        )
    if b"\x00" in head:
        _refuse_unknown_binary(ext)
    return _accept_text(head, ext)


# --- messages ---------------------------------------------------------------------------------


def _named(ext: str) -> str:
    if not ext:
        return _(", although its name has no extension")
    return _(", although its name ends in '{ext}'").format(ext=ext)


def _size(n: int | float) -> str:
    if n < 1024:
        return _("{n} bytes").format(n=int(n))
    if n < 2**20:
        return _("{n} KB").format(n=f"{n / 1024:.0f}")
    if n < 2**30:
        return _("{n} MB").format(n=f"{n / 2**20:.1f}")
    return _("{n} GB").format(n=f"{n / 2**30:.1f}")


_SAVE_AS_XLSX = N_("open it in Excel and save it as .xlsx (Excel Workbook)")
_ONLY_READ = N_("only .xlsx and .ods workbooks and .csv files are read")


# --- OLE2 compound files (legacy .xls, encrypted OOXML) ---------------------------------------

ENCRYPTED_STREAMS = {"encryptedpackage", "encryptioninfo"}


def _refuse_ole(path: Path, ext: str, size: int) -> NoReturn:
    names = _ole_directory_names(path, size)
    if names is None:
        # The directory could not be walked (a damaged or unusual file): look for the stream name.
        encrypted = _file_contains(path, "EncryptedPackage".encode("utf-16-le"))
        names = {"encryptedpackage"} if encrypted else set()
    lowered = {n.lower() for n in names}
    if lowered & ENCRYPTED_STREAMS:
        raise FileRefused(
            "file_encrypted",
            _("This workbook is protected with a password (encrypted), so it cannot be read: "
              "open it in Excel, remove the password (File → Info → Protect Workbook → Encrypt "
              "with Password, clear the box) and save it as .xlsx (Excel Workbook)."),
        )
    if "worddocument" in lowered:
        raise FileRefused(
            "file_not_workbook",
            _("This is a Word 97-2003 document (.doc){named}, not a workbook: put the table into "
              "Excel and save it as .xlsx (Excel Workbook).").format(named=_named(ext)),
        )
    if "powerpoint document" in lowered:
        raise FileRefused(
            "file_not_workbook",
            _("This is a PowerPoint 97-2003 presentation (.ppt){named}, not a workbook: put the "
              "table into Excel and save it as .xlsx (Excel Workbook).").format(
                named=_named(ext)),
        )
    named = "" if ext == ".xls" else _named(ext)
    what = (
        _("a legacy Excel 97-2003 workbook (.xls)")
        if lowered & {"workbook", "book"}
        else _("an old-format Microsoft Office file (most likely a legacy Excel 97-2003 "
               "workbook, .xls)")
    )
    raise FileRefused(
        "file_legacy_xls",
        _("This is {what}{named}, not .xlsx: {advice}.").format(
            what=what, named=named, advice=_(_SAVE_AS_XLSX)),
    )


def _ole_directory_names(path: Path, size: int) -> set[str] | None:
    """Names of the streams and storages in an OLE2 compound file; None when it cannot be walked.

    Reads the header, follows the directory's sector chain through the FAT (reading only the FAT
    sectors it needs) and decodes the UTF-16LE entry names. Bounded against loops and bad offsets.
    """
    free, end_of_chain, max_regular = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFA
    try:
        with path.open("rb") as f:
            header = f.read(512)
            if len(header) < 512:
                return None
            shift = struct.unpack_from("<H", header, 0x1E)[0]
            if shift not in (9, 12):
                return None
            sector = 1 << shift
            per_sector = sector // 4
            first_dir = struct.unpack_from("<I", header, 0x30)[0]
            first_difat = struct.unpack_from("<I", header, 0x44)[0]
            fat_sectors = [s for s in struct.unpack_from("<109I", header, 0x4C) if s <= max_regular]
            max_sectors = size // sector + 1

            def read_sector(n: int) -> bytes:
                if n >= max_sectors:
                    raise ValueError("sector out of range")
                f.seek((n + 1) * sector)
                data = f.read(sector)
                if len(data) < sector:
                    raise ValueError("short sector")
                return data

            # The DIFAT continues in a chain of sectors when there are more than 109 FAT sectors.
            seen: set[int] = set()
            nxt = first_difat
            while nxt <= max_regular and len(seen) < max_sectors:
                if nxt in seen:
                    return None
                seen.add(nxt)
                entries = struct.unpack(f"<{per_sector}I", read_sector(nxt))
                fat_sectors.extend(s for s in entries[:-1] if s <= max_regular)
                nxt = entries[-1]

            def fat_next(n: int) -> int:
                index, offset = divmod(n, per_sector)
                if index >= len(fat_sectors):
                    raise ValueError("FAT too short")
                return int(struct.unpack_from("<I", read_sector(fat_sectors[index]), offset * 4)[0])

            names: set[str] = set()
            visited: set[int] = set()
            current = first_dir
            while current not in (free, end_of_chain):
                if current in visited or len(visited) > max_sectors:
                    return None
                visited.add(current)
                block = read_sector(current)
                for start in range(0, sector, 128):
                    entry = block[start : start + 128]
                    name_len = struct.unpack_from("<H", entry, 0x40)[0]
                    kind = entry[0x42]
                    if kind == 0 or not 2 <= name_len <= 64:
                        continue
                    names.add(entry[: name_len - 2].decode("utf-16-le", errors="replace"))
                current = fat_next(current)
            return names
    except (OSError, ValueError, struct.error):
        return None


def _file_contains(path: Path, needle: bytes) -> bool:
    with path.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        return mm.find(needle) >= 0


# --- other binary formats ----------------------------------------------------------------------

BINARY_MAGICS: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "file_pdf", N_("a PDF document")),
    (b"\x89PNG\r\n\x1a\n", "file_not_workbook", N_("a PNG image")),
    (b"\xff\xd8\xff", "file_not_workbook", N_("a JPEG image")),
    (b"GIF87a", "file_not_workbook", N_("a GIF image")),
    (b"GIF89a", "file_not_workbook", N_("a GIF image")),
    (b"7z\xbc\xaf\x27\x1c", "file_not_workbook", N_("a 7-Zip archive")),
    (b"Rar!\x1a\x07", "file_not_workbook", N_("a RAR archive")),
    (b"\x1f\x8b", "file_not_workbook", N_("a gzip archive")),
    (b"{\\rtf", "file_not_workbook", N_("a Rich Text (RTF) document")),
)


def _refuse_known_binary(head: bytes, ext: str) -> None:
    for magic, rule, what in BINARY_MAGICS:
        if head.startswith(magic):
            if rule == "file_pdf":
                advice = _("a PDF cannot be read as a table: ask for the original Excel workbook "
                           "or a CSV export")
            else:
                advice = _(_ONLY_READ)
            raise FileRefused(rule, _("This is {what}{named}, not a spreadsheet: {advice}.").format(
                what=_(what), named=_named(ext), advice=advice))


def _refuse_unknown_binary(ext: str) -> NoReturn:
    if ext == ".csv":
        raise FileRefused(
            "file_binary_csv",
            _("This file is named .csv but is not text: it contains binary data (NUL bytes). If "
              "it came from Excel, open the original and use Save As → \"CSV UTF-8 (Comma "
              "delimited)\"."),
        )
    if ext == ".xlsx":
        raise FileRefused(
            "file_corrupt",
            _("This file is named .xlsx but is not an Excel workbook (it is not a ZIP-based .xlsx "
              "and not text): it may be damaged. Open the original in Excel and save it as .xlsx "
              "again, or get a fresh copy."),
        )
    raise FileRefused(
        "file_unsupported",
        _("This file{named} is not a format that is read: only .xlsx and .ods workbooks and .csv "
          "files are accepted.").format(named=_named(ext)),
    )


# --- HTML, XML and other text ------------------------------------------------------------------


def _text_head(head: bytes) -> str:
    """The start of the file as text, for pattern matching (lower case, without BOM/whitespace)."""
    if head.startswith(b"\xef\xbb\xbf"):
        text = head[3:].decode("utf-8", errors="replace")
    elif head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = head.decode("utf-16", errors="replace")
    else:
        text = head.decode("latin-1")
    return text.lstrip("\ufeff \t\r\n\x0b\x0c").lower()


HTML_STARTS = ("<!doctype html", "<html", "<table", "<head", "<body", "<meta", "<style")


def _refuse_markup(head: bytes, ext: str) -> None:
    text = _text_head(head)
    start = text[:4096]
    is_html = start.startswith(HTML_STARTS) or (
        start.startswith(("<?xml", "<!--")) and "<html" in start
    )
    if is_html:
        raise FileRefused(
            "file_html",
            _("This is a web page (HTML) saved with a spreadsheet extension{named}, not a real "
              "workbook: open it in Excel and save it as .xlsx (Excel Workbook), or export the "
              "report from the source system as .xlsx or CSV.").format(named=_named(ext)),
        )
    if start.startswith("mime-version:") or "content-type: multipart/related" in start[:2048]:
        raise FileRefused(
            "file_html",
            _("This is a single-file web page (MHTML){named}, not a real workbook: {advice}."
              ).format(named=_named(ext), advice=_(_SAVE_AS_XLSX)),
        )
    if start.startswith("<?xml"):
        if "urn:schemas-microsoft-com:office:spreadsheet" in start or "excel.sheet" in start:
            raise FileRefused(
                "file_xml_spreadsheet",
                _("This is an Excel 2003 XML Spreadsheet{named}, not .xlsx: {advice}.").format(
                    named=_named(ext), advice=_(_SAVE_AS_XLSX)),
            )
        raise FileRefused(
            "file_unsupported",
            _("This is an XML file{named}, not a spreadsheet: {advice}.").format(
                named=_named(ext), advice=_(_ONLY_READ)),
        )


def _accept_text(head: bytes, ext: str) -> FileKind:
    if ext == ".csv":
        return "csv"
    if ext in EXCEL_EXTENSIONS:
        raise FileRefused(
            "file_renamed_csv",
            _("This is a text/CSV file renamed to {ext}, not a real workbook: rename it to "
              ".csv.").format(ext=ext),
        )
    text = _text_head(head)
    what = _("a JSON file") if text.startswith(("{", "[")) else _("a text file")
    suffix = _("with the extension '{ext}'").format(ext=ext) if ext else _(
        "without an extension")
    raise FileRefused(
        "file_unsupported",
        _("This is {what} {suffix}: {advice}. If it is a CSV export, rename it to .csv.").format(
            what=what, suffix=suffix, advice=_(_ONLY_READ)),
    )


# --- ZIP containers (xlsx, xlsb, ods, docx ...) ------------------------------------------------

CORRUPT_ADVICE = N_(
    "open it in Excel; if it opens, save it again as .xlsx, otherwise get a fresh copy (it may "
    "have been cut short by a download, an e-mail or a full disk)"
)


def _corrupt(detail: str) -> FileRefused:
    """`detail`: what is wrong, in the active locale."""
    return FileRefused("file_corrupt", _(
        "This workbook is damaged or incomplete ({detail}): {advice}.").format(
        detail=detail, advice=_(CORRUPT_ADVICE)))


def _sniff_zip(path: Path, ext: str, caps: Caps) -> FileKind:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise _corrupt(_("its table of contents, the ZIP central directory, is missing")) from exc
    with zf:
        infos = zf.infolist()
        if len(infos) > caps.max_members:
            raise FileRefused(
                "cap_members",
                _("The file holds {count} parts, over the {limit} limit (max_members); this looks "
                  "like a zip bomb or an export error.").format(
                    count=f"{len(infos):,}", limit=f"{caps.max_members:,}"),
            )
        by_name = {_norm(i.filename): i for i in infos}
        if _opendocument_type(zf, by_name) == ODS_TYPE:
            _check_sizes(infos, caps)
            _check_ods(zf, by_name)
            if ext != ".ods":
                raise FileRefused(
                    "file_misnamed",
                    _("This is an OpenDocument spreadsheet (.ods) named {ext}: rename it to "
                      ".ods.").format(ext=ext or _("without an extension")))
            return "ods"
        _refuse_other_containers(zf, by_name, ext)
        _check_sizes(infos, caps)
        main = _workbook_part(zf, by_name, ext)
        return _check_workbook(zf, by_name, main, ext, caps)


def _norm(name: str) -> str:
    return posixpath.normpath("/" + name.replace("\\", "/")).lstrip("/").lower()


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    if info.flag_bits & 0x1:
        raise FileRefused(
            "file_encrypted",
            _("This file is a password-protected ZIP archive, so it cannot be read: save the "
              "workbook from Excel as .xlsx without a password."),
        )
    try:
        with zf.open(info) as member:
            return member.read(limit)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, RuntimeError,
            NotImplementedError) as exc:
        raise _corrupt(_("its part {part} cannot be unpacked").format(
            part=repr(info.filename))) from exc


ODS_TYPE = "application/vnd.oasis.opendocument.spreadsheet"


def _opendocument_type(zf: zipfile.ZipFile, by_name: dict[str, zipfile.ZipInfo]) -> str:
    """The OpenDocument media type of the container ("" when it is not one)."""
    mimetype = by_name.get("mimetype")
    if mimetype is None:
        return ""
    return _read_member(zf, mimetype, 200).decode("ascii", errors="replace").strip()


def _check_ods(zf: zipfile.ZipFile, by_name: dict[str, zipfile.ZipInfo]) -> None:
    """An .ods spreadsheet (LibreOffice's own format) is read like an .xlsx, unless it is
    password-protected or has lost its content part."""
    manifest = by_name.get("meta-inf/manifest.xml")
    if manifest is not None and b"encryption-data" in _read_member(zf, manifest, 2**20):
        raise FileRefused(
            "file_encrypted",
            _("This spreadsheet is protected by a password, so it cannot be read: open it in "
              "LibreOffice, save it without a password (File → Properties → Security) and drop it "
              "again."),
        )
    if "content.xml" not in by_name:
        raise _corrupt(_("its part content.xml is missing"))


def _refuse_other_containers(
    zf: zipfile.ZipFile, by_name: dict[str, zipfile.ZipInfo], ext: str
) -> None:
    """Refuse the containers that are not .xlsx (nor .ods), known by their member names."""
    kind = _opendocument_type(zf, by_name)
    if kind.startswith("application/vnd.oasis.opendocument"):
        raise FileRefused(
            "file_not_workbook",
            _("This is an OpenDocument file ({kind}){named}, not a spreadsheet: {advice}.").format(
                kind=kind, named=_named(ext), advice=_(_ONLY_READ)),
        )
    if "xl/workbook.bin" in by_name:
        raise FileRefused(
            "file_xlsb",
            _("This is an Excel Binary Workbook (.xlsb){named}, not .xlsx: {advice}.").format(
                named=_named(ext) if ext != ".xlsb" else "", advice=_(_SAVE_AS_XLSX)),
        )


def _workbook_part(zf: zipfile.ZipFile, by_name: dict[str, zipfile.ZipInfo], ext: str) -> str:
    """The workbook part's (normalised) name; refuse a ZIP container that has none."""
    main = _main_part(zf, by_name)
    if main in by_name:
        return main
    archive = False
    if "word/document.xml" in by_name:
        what = _("a Word document (.docx)")
    elif "ppt/presentation.xml" in by_name:
        what = _("a PowerPoint presentation (.pptx)")
    elif "[content_types].xml" in by_name and any(n.startswith("xl/") for n in by_name):
        raise _corrupt(_("its workbook part xl/workbook.xml is missing"))
    elif "[content_types].xml" in by_name:
        what = _("an Office document that is not a workbook")
    else:
        what, archive = _("a ZIP archive"), True
    raise FileRefused(
        "file_not_workbook",
        (_("This is {what}{named}, not a spreadsheet: {advice} (if the workbook is inside the "
           "archive, extract it).") if archive else
         _("This is {what}{named}, not a spreadsheet: {advice}.")).format(
            what=what, named=_named(ext), advice=_(_ONLY_READ)),
    )


def _parse_xml(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> Any:
    if info.file_size > PART_READ_LIMIT:
        raise _corrupt(_("its part {part} is implausibly large").format(
            part=repr(info.filename)))
    data = _read_member(zf, info, PART_READ_LIMIT)
    try:
        return SafeET.fromstring(data)
    except DefusedXmlException as exc:
        raise FileRefused(
            "file_unsafe_xml",
            _("This workbook's part {part} uses XML features Excel never writes (a document "
              "type or entity declarations), which can be used to attack the reader: open it in "
              "Excel and save it again as .xlsx.").format(part=repr(info.filename)),
        ) from exc
    except SafeET.ParseError as exc:
        raise _corrupt(_("its part {part} is not well-formed XML").format(
            part=repr(info.filename))) from exc


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _relationships(
    zf: zipfile.ZipFile, by_name: dict[str, zipfile.ZipInfo], rels_name: str, base_dir: str
) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type, normalised target part name); {} when the part is absent."""
    info = by_name.get(rels_name)
    if info is None:
        return {}
    out: dict[str, tuple[str, str]] = {}
    for rel in _parse_xml(zf, info).iter():
        if _local(rel.tag) != "Relationship" or rel.get("TargetMode") == "External":
            continue
        target = rel.get("Target") or ""
        joined = target if target.startswith("/") else posixpath.join(base_dir, target)
        out[rel.get("Id") or ""] = (rel.get("Type") or "", _norm(joined))
    return out


def _main_part(zf: zipfile.ZipFile, by_name: dict[str, zipfile.ZipInfo]) -> str:
    for rel_type, target in _relationships(zf, by_name, "_rels/.rels", "").values():
        if rel_type.endswith("/officeDocument") and target.startswith("xl/"):
            return target
    return "xl/workbook.xml"


def _check_sizes(infos: list[zipfile.ZipInfo], caps: Caps) -> None:
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > caps.ratio_floor_bytes:
            ratio = info.file_size / info.compress_size if info.compress_size else float("inf")
            if ratio > caps.max_ratio:
                shown = f"{ratio:,.0f}×" if ratio != float("inf") else _("an unlimited ratio")
                raise FileRefused(
                    "cap_zip_ratio",
                    _("The workbook part {part} would unpack from {packed} to {unpacked} "
                      "({ratio}), over the {limit}× limit (max_ratio); this looks like a zip bomb "
                      "or an export error.").format(
                        part=repr(info.filename), packed=_size(info.compress_size),
                        unpacked=_size(info.file_size), ratio=shown, limit=caps.max_ratio),
                )
    if total > caps.max_unzipped_bytes:
        raise FileRefused(
            "cap_unzipped_size",
            _("The workbook would unpack to {size}, over the {limit} limit (max_unzipped_bytes); "
              "this looks like a zip bomb or an export error.").format(
                size=_size(total), limit=_size(caps.max_unzipped_bytes)),
        )


def _check_workbook(
    zf: zipfile.ZipFile, by_name: dict[str, zipfile.ZipInfo], main: str, ext: str, caps: Caps
) -> FileKind:
    types_info = by_name.get("[content_types].xml")
    if types_info is None:
        raise _corrupt(_("its part [Content_Types].xml is missing"))
    types = _parse_xml(zf, types_info)
    main_type = ""
    for item in types.iter():
        if _local(item.tag) == "Override" and _norm(item.get("PartName") or "") == main:
            main_type = (item.get("ContentType") or "").lower()

    workbook = _parse_xml(zf, by_name[main])
    if _local(workbook.tag) != "workbook":
        raise _corrupt(_("its part {part} is not a workbook").format(part=repr(main)))
    sheets = [el for el in workbook.iter() if _local(el.tag) == "sheet"]
    if not sheets:
        raise _corrupt(_("it has no sheets"))

    if ext != ".xlsx":
        if ext in TEMPLATE_OR_MACRO_EXTENSIONS:
            what = {
                ".xlsm": N_("a macro-enabled workbook (.xlsm)"),
                ".xltx": N_("a workbook template (.xltx)"),
                ".xltm": N_("a macro-enabled workbook template (.xltm)"),
            }[ext]
            if "macroenabled" in main_type or "template" in main_type:
                raise FileRefused(
                    "file_unsupported",
                    _("This is {what}: only .xlsx workbooks are read. Open it in Excel and save a "
                      "copy as .xlsx (Excel Workbook).").format(what=_(what)),
                )
        raise FileRefused(
            "file_misnamed",
            _("This is an .xlsx workbook named {ext}: rename it to .xlsx.").format(
                ext=ext or _("without an extension")),
        )

    # Name each worksheet part after its sheet, for the messages.
    base = posixpath.dirname(main)
    rels_name = posixpath.join(base, "_rels", posixpath.basename(main) + ".rels")
    rels = _relationships(zf, by_name, rels_name, base)
    titles: dict[str, str] = {}
    for sheet in sheets:
        rid = next((v for k, v in sheet.attrib.items() if _local(k) == "id"), None)
        if rid in rels:
            titles[rels[rid][1]] = sheet.get("name") or rels[rid][1]
    worksheets = set(titles) | {
        name for name in by_name if name.startswith(posixpath.join(base, "worksheets") + "/")
        and name.endswith(".xml")
    }
    for part in sorted(worksheets):
        info = by_name.get(part)
        if info is None:
            continue
        _check_dimension(zf, info, titles.get(part), caps)
    return "xlsx"


DIMENSION_RE = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?dimension\b[^>]*?\bref\s*=\s*[\"']([^\"']*)[\"']"
)
CELL_RE = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,12})$")


def _check_dimension(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, title: str | None, caps: Caps
) -> None:
    head = _read_member(zf, info, SHEET_HEAD_BYTES)
    match = DIMENSION_RE.search(head)
    if match is None:
        return
    ref = match.group(1).decode("ascii", errors="replace").strip()
    size = _range_size(ref)
    if size is None:
        return
    rows, cols = size
    cells = rows * cols
    if cells > caps.max_cells:
        name = _("Sheet {sheet}").format(sheet=repr(title)) if title else _(
            "The worksheet part {part}").format(part=repr(info.filename))
        raise FileRefused(
            "cap_cells",
            _("{name} declares a used range of {ref} ({rows} rows × {columns} columns = {cells} "
              "cells), over the {limit}-cell limit (max_cells); this is usually formatting "
              "applied to whole rows or columns, or an export error: delete the empty rows and "
              "columns after the data and save again.").format(
                name=name, ref=ref, rows=f"{rows:,}", columns=f"{cols:,}", cells=f"{cells:,}",
                limit=f"{caps.max_cells:,}"),
        )


def _range_size(ref: str) -> tuple[int, int] | None:
    """(rows, columns) of an A1-style range such as "A1:H1000000"; None when it is not one."""
    parts = ref.split(":")
    if not 1 <= len(parts) <= 2:
        return None
    corners = []
    for part in parts:
        m = CELL_RE.match(part)
        if m is None:
            return None
        corners.append((int(m.group(2)), column_index(m.group(1)) + 1))
    (r1, c1), (r2, c2) = corners[0], corners[-1]
    return abs(r2 - r1) + 1, abs(c2 - c1) + 1
