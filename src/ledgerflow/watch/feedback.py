"""The feedback folder: for each file the watcher took, what became of it.

A file with refused rows (refused whole, or loaded in part) gets its rejects workbook,
`<name>.rejects.xlsx`, ready to fix and drop again; any other gets a short note, `<name>.txt`
("loaded: 12 rows" per table, warnings, or why nothing was loaded), in the run's locale. Each
replaces the other, so the folder only ever says what became of a file's latest version.

Feedback names come from the input's name (its path in the inbox, folders joined with `__`),
made safe: no folder separator, no `..`, no control, direction, line-breaking or
Windows-reserved character, no leading dot, not over the file system's length limit (a long name
is cut and keeps a digest of the whole one) — a feedback file is always directly inside the
feedback folder.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from ledgerflow.i18n import _, active, ngettext
from ledgerflow.load.warehouse import LoadRecord
from ledgerflow.outcomes import FileOutcome, IngestReport
from ledgerflow.rejects import write_rejects
from ledgerflow.render.writer import write_text

NOTE_SUFFIX = ".txt"
REJECTS_SUFFIX = ".rejects.xlsx"
MAX_NAME_BYTES = 255 - len(REJECTS_SUFFIX.encode()) - 16  # room for the suffix and a temp's
UNSAFE = set('<>:"/\\|?*')
WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                    *(f"LPT{i}" for i in range(1, 10))}


def feedback_stem(name: str) -> str:
    """A file name for the feedback of the inbox file `name` (relative, POSIX style)."""
    parts = [part for part in name.split("/") if part not in ("", ".", "..")]
    text = "__".join(parts)
    text = "".join("_" if char in UNSAFE or unicodedata.category(char)[0] == "C"
                   or unicodedata.category(char) in ("Zl", "Zp") else char for char in text)
    text = text.strip(" .") or "file"
    if text.split(".")[0].upper() in WINDOWS_RESERVED:
        text = f"_{text}"
    if len(text.encode()) > MAX_NAME_BYTES:
        digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:12]
        keep = MAX_NAME_BYTES - len(digest) - 1
        text = text.encode()[:keep].decode("utf-8", "ignore").rstrip(" .") + "~" + digest
    return text


def feedback_paths(folder: Path, name: str) -> tuple[Path, Path]:
    """The note and the rejects workbook of the inbox file `name`, inside `folder`."""
    stem = feedback_stem(name)
    note, rejects = folder / f"{stem}{NOTE_SUFFIX}", folder / f"{stem}{REJECTS_SUFFIX}"
    for path in (note, rejects):
        if path.parent != folder or path.name in ("", ".", ".."):  # cannot happen: kept so
            raise ValueError(f"feedback for {name!r} would leave {folder}")
    return note, rejects


def write_feedback(folder: Path, name: str, report: IngestReport,
                   replaced: Sequence[LoadRecord] = ()) -> Path:
    """The feedback of one file's ingest (which replaced the loads `replaced`, when it loaded):
    its rejects workbook when rows were refused, else a note; the other one, an earlier
    version's, is removed. Returns the file written."""
    note, rejects = feedback_paths(folder, name)
    folder.mkdir(parents=True, exist_ok=True)
    if report.refused_anything:
        tables = [t for o in report.outcomes for t in o.tables]
        write_rejects(rejects, tables, report.problems(), report)
        note.unlink(missing_ok=True)
        return rejects
    write_text(note, "\n".join(note_lines(name, report, replaced)) + "\n")
    rejects.unlink(missing_ok=True)
    return note


def write_error_note(folder: Path, name: str, error: str) -> Path:
    """A note for a file that could not be taken at all (an unexpected error)."""
    note, rejects = feedback_paths(folder, name)
    folder.mkdir(parents=True, exist_ok=True)
    write_text(note, _("{file}: not loaded: {error}. It is taken again when it changes.")
               .format(file=name, error=error) + "\n")
    rejects.unlink(missing_ok=True)
    return note


def note_lines(name: str, report: IngestReport,
               replaced: Sequence[LoadRecord] = ()) -> list[str]:
    """What the note of a file says: its verdict, each table's rows loaded, the loads it
    replaced, its warnings."""
    lines: list[str] = []
    for outcome in report.outcomes:
        lines += _verdict(outcome)
        if outcome.status in ("loaded", "partial"):
            lines += [_("It replaces load {load_id} ({file}), whose rows left the warehouse.")
                      .format(load_id=r.load_id, file=r.file) for r in replaced]
        lines += [str(p) for p in outcome.problems() if p.severity != "error"]
    return lines or [_("{file}: nothing was loaded.").format(file=name)]


def _verdict(outcome: FileOutcome) -> list[str]:
    name = outcome.file.name
    if outcome.status == "skipped":
        return [_("{file}: not loaded again ({why}).").format(file=name, why=outcome.note)]
    if outcome.status == "nothing":
        return [_("{file}: nothing was loaded: it holds no table of a known kind.")
                .format(file=name)]
    if outcome.status not in ("loaded", "partial"):
        return [_("{file}: not loaded.").format(file=name)]
    lines = [_("{file}: loaded as load {load_id}.").format(file=name, load_id=outcome.load_id)]
    for table in outcome.tables:
        where = _table_name(table.raw.sheet, table.kind.name, table.kind.alias)
        count = len(table.to_load)
        lines.append(ngettext("{table}: loaded: {n} row", "{table}: loaded: {n} rows", count)
                     .format(table=where, n=count))
        kept = len(table.skipped)
        if kept:
            lines.append(ngettext("{table}: {n} row was loaded before and is kept as it is",
                                  "{table}: {n} rows were loaded before and are kept as they are",
                                  kept).format(table=where, n=kept))
    return lines


def _table_name(sheet: str, kind: str, alias: str) -> str:
    """A table as the accountant knows it: its sheet, and its kind when the sheet's name is
    not already that (in the locale's word)."""
    word = alias if active() == "ru" else kind
    return sheet if sheet.casefold() in (kind.casefold(), alias.casefold()) \
        else f"{sheet} ({word})"
