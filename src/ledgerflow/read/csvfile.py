"""Decode a CSV file and cut it into raw text cells, keeping each record's row number.

SPEC "Inputs": a CSV is UTF-8 (with or without BOM) or Windows-1251, delimited by `,` or `;`
(a tab is accepted too), detected. The header is the first non-empty record. Every cell stays text
exactly as typed ("0012" stays "0012"); typing values is the validator's job.

Row numbers are what Excel shows when it opens the CSV: one row per record, blank records
included, a quoted cell with line breaks staying in one row.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from operator import methodcaller
from pathlib import Path

import pandas as pd

from ledgerflow.i18n import _
from ledgerflow.read.sniff import FileRefused

MAX_COLUMNS = 16_384  # Excel's column limit
SAMPLE_CHARS = 256 * 1024  # how much text is looked at to find the header and delimiter
DELIMITERS = (";", "\t", ",")  # in order of preference
EXTRA_PREFIX = "__extra_"

_BLANK_LINE = re.compile(r'[\s;,"]*')
_LETTERS = re.compile(r"[^\W\d_]+")
_ASCII = frozenset(map(chr, range(128)))
_TYPOGRAPHY = frozenset("\u00a0№«»–—…‘’‚“”„•°±§")
_FIELD_COUNT = re.compile(r"Expected (\d+) fields in line \d+, saw (\d+)")
_EOF_IN_QUOTES = re.compile(r"EOF inside string starting at row (\d+)")


@dataclass
class CsvTable:
    """A CSV file as raw text cells.

    `header` holds the header record's cells, trimmed; trailing empty header cells are dropped,
    and a column that has data beyond the header is named "__extra_1", "__extra_2"... so that no
    cell is lost silently. `frame` has positional columns 0..len(header)-1 matching `header`,
    one row per non-empty data record, indexed by the record's 1-based row number as Excel shows
    it. Cells are strings exactly as typed; empty (or whitespace-only) cells are missing (NA).
    """

    encoding: str  # "utf-8-sig", "utf-8" or "cp1251"
    delimiter: str  # ",", ";" or "\t"
    header: list[str]
    header_row: int
    frame: pd.DataFrame


def read_csv(path: Path) -> CsvTable:
    """Read a CSV file; raise `FileRefused` (csv_encoding / csv_format) when it cannot be read."""
    data = Path(path).read_bytes()
    encoding, text = decode(data)
    delimiter = detect_delimiter(text)
    raw = _parse(text, delimiter)
    return _table(raw, encoding, delimiter)


# --- encoding ----------------------------------------------------------------------------------


def decode(data: bytes) -> tuple[str, str]:
    """(encoding, text) of a CSV file's bytes: UTF-8 with BOM, UTF-8, or Russian Windows-1251."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRefused(
            "csv_encoding",
            _("This CSV file is saved as UTF-16 (\"Unicode Text\"), which is not read: in Excel "
              "use Save As → \"CSV UTF-8 (Comma delimited)\"."),
        )
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise FileRefused(
            "csv_encoding",
            _("This CSV file is not plain text: it contains binary data (a NUL byte on line "
              "{line}). Export it again from the source as \"CSV UTF-8 (Comma delimited)\"."
              ).format(line=line),
        )
    bom = data.startswith(b"\xef\xbb\xbf")
    try:
        return ("utf-8-sig", data[3:].decode("utf-8")) if bom else ("utf-8", data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        start = exc.start + (3 if bom else 0)
        bad_line = data.count(b"\n", 0, start) + 1
        if bom or _mostly_utf8(data):
            raise FileRefused(
                "csv_encoding",
                _("This CSV file is in UTF-8 but has damaged characters (the first on line "
                  "{line}): it may have been cut or mixed with text in another encoding. Export "
                  "it again as \"CSV UTF-8 (Comma delimited)\".").format(line=bad_line),
            ) from exc
    try:
        text = data.decode("cp1251")
    except UnicodeDecodeError:
        text = None
    if text is not None and _looks_russian(text[:SAMPLE_CHARS * 4]):
        return "cp1251", text
    guess = _guess_encoding(data)
    found = _(" (it looks like {encoding})").format(encoding=guess) if guess else ""
    raise FileRefused(
        "csv_encoding",
        _("This CSV file's text is neither UTF-8 nor Windows-1251 (Cyrillic){found}: in Excel "
          "use Save As → \"CSV UTF-8 (Comma delimited)\" and drop it again.").format(
            found=found),
    )


def _mostly_utf8(data: bytes) -> bool:
    """True when most non-ASCII characters are valid UTF-8: a UTF-8 file with a few bad bytes."""
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    non_ascii = len(text) - len(text.encode("ascii", errors="ignore"))
    return non_ascii - bad > bad


def _looks_russian(text: str) -> bool:
    """True when the non-ASCII letters form Cyrillic words, as Russian text decoded from cp1251.

    Text in another 8-bit encoding decoded as cp1251 also yields Cyrillic letters, but scattered
    inside Latin words ("cafй"); real Russian has whole Cyrillic words.
    """
    in_words = mixed = 0
    for word in _LETTERS.findall(text):
        cyrillic = sum(1 for ch in word if "\u0400" <= ch <= "\u04ff")
        if not cyrillic:
            continue
        if cyrillic == len(word) and len(word) >= 2:
            in_words += cyrillic
        else:
            mixed += cyrillic
    if in_words:
        return in_words >= 4 * mixed
    # No Cyrillic word at all: still Windows-1251 when the only non-ASCII characters are the
    # typography a Russian-locale export uses (a no-break space grouping "1 234,56", "№", «»).
    non_ascii = set(text) - _ASCII
    return not mixed and bool(non_ascii) and non_ascii <= _TYPOGRAPHY


def _guess_encoding(data: bytes) -> str | None:
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - a dependency, but only used for a friendlier message
        return None
    best = from_bytes(data[: 64 * 1024]).best()
    return str(best.encoding) if best is not None else None


# --- delimiter ---------------------------------------------------------------------------------


def detect_delimiter(text: str) -> str:
    """The delimiter of a CSV text: from the header record, else from the lines below it.

    Counts `;`, tab and `,` outside quotes. `;` wins when the header has one: such files usually
    carry decimal commas ("1 234,56") in their data, which must not split cells.
    """
    lines = text[:SAMPLE_CHARS].splitlines()
    start = next((i for i, line in enumerate(lines) if not _BLANK_LINE.fullmatch(line)), None)
    if start is None:  # nothing but delimiters and blanks: the most frequent one, if any
        total = _counts(text[:SAMPLE_CHARS])
        best = max(DELIMITERS, key=lambda d: total[d])
        return best if total[best] else ","
    header = _counts(_first_record(lines, start))
    if header[";"] and header[";"] >= header["\t"]:
        return ";"
    if header["\t"]:
        return "\t"
    if header[","]:
        return ","
    # A single-column header: look at how the lines below are split.
    votes = dict.fromkeys(DELIMITERS, 0)
    for line in lines[start + 1 : start + 51]:
        for delim, n in _counts(line).items():
            votes[delim] += n > 0
    best = max(DELIMITERS, key=lambda d: votes[d])  # first of the preferred order on a tie
    return best if votes[best] else ","


def _first_record(lines: list[str], start: int) -> str:
    """The physical lines of the record starting at `start` (a quoted cell may hold line breaks)."""
    record = lines[start]
    i = start + 1
    while record.count('"') % 2 and i < len(lines) and i < start + 100:
        record += "\n" + lines[i]
        i += 1
    return record


def _counts(line: str) -> dict[str, int]:
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    return counts


# --- parsing -----------------------------------------------------------------------------------


def _parse(text: str, delimiter: str) -> pd.DataFrame:
    """Every record of the text as a row of strings ("" for empty), with positional columns.

    pandas' C tokenizer keeps quoted line breaks in their cell and, with skip_blank_lines=False,
    returns one row per record, so row i is record i+1. It needs the number of columns up front:
    the widest of the first lines gives it; when a later record is wider the tokenizer says so,
    and the read is repeated once with the widest line of the whole file (or that record's
    width, for a record whose quoted line breaks hide its width from a line count).
    """
    width = _widest(text[:SAMPLE_CHARS], delimiter)
    full_scan = False
    for _attempt in range(100):
        try:
            return pd.read_csv(
                io.StringIO(text),
                sep=delimiter,
                header=None,
                names=range(width),
                index_col=False,
                dtype=str,
                na_filter=False,
                keep_default_na=False,
                skip_blank_lines=False,
                quotechar='"',
                doublequote=True,
                engine="c",
            )
        except pd.errors.ParserError as exc:
            message = str(exc)
            eof = _EOF_IN_QUOTES.search(message)
            if eof:
                row = int(eof.group(1)) + 1
                raise FileRefused(
                    "csv_format",
                    _("A quoted cell that starts in row {row} is never closed (a missing closing "
                      "\" character), so the rest of the file would run into that one cell: fix "
                      "the quotes and export the file again.").format(row=row),
                ) from exc
            wider = _FIELD_COUNT.search(message)
            if wider is None or int(wider.group(2)) <= width:
                raise FileRefused(
                    "csv_format", _("The file cannot be read as CSV: {why}").format(
                        why=message.strip())
                ) from exc
            width = int(wider.group(2))
            if not full_scan:
                width = max(width, _widest(text, delimiter))
                full_scan = True
            if width > MAX_COLUMNS:
                raise FileRefused(
                    "csv_format",
                    _("A record has {cells} cells, more than the {columns} columns Excel can "
                      "hold: the delimiter or the quotes in this file are probably wrong.").format(
                        cells=f"{width:,}", columns=f"{MAX_COLUMNS:,}"),
                ) from exc
    raise FileRefused("csv_format",
                      _("The file cannot be read as CSV: its records are too ragged."))


def _widest(text: str, delimiter: str) -> int:
    """Cells in the widest physical line, counting every delimiter (an upper bound, at most
    MAX_COLUMNS: a quoted delimiter counts too, and a quoted line break splits a record)."""
    widest = max(map(methodcaller("count", delimiter), text.splitlines()), default=0) + 1
    return min(widest, MAX_COLUMNS)


def _table(raw: pd.DataFrame, encoding: str, delimiter: str) -> CsvTable:
    raw.index = pd.RangeIndex(1, len(raw) + 1)
    blank = pd.DataFrame({c: raw[c].str.strip().eq("") for c in raw.columns}, index=raw.index)
    filled = ~blank.all(axis=1)
    if not filled.any():
        raise FileRefused(
            "csv_format", _("The file has no header and no data: every line in it is empty.")
        )
    header_row = int(filled.idxmax())
    header = [str(v).strip() for v in raw.loc[header_row].tolist()]
    while header and not header[-1]:
        header.pop()

    keep = filled & (raw.index > header_row)
    frame = raw.loc[keep].mask(blank.loc[keep])
    used = [c for c in frame.columns if frame[c].notna().any()]
    width = max(len(header), (max(used) + 1) if used else 0)
    header += [f"{EXTRA_PREFIX}{i}" for i in range(1, width - len(header) + 1)]
    frame = frame.iloc[:, :width]
    frame.columns = pd.RangeIndex(width)
    return CsvTable(
        encoding=encoding, delimiter=delimiter, header=header, header_row=header_row, frame=frame
    )
