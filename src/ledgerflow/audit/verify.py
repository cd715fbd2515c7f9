"""A report folder, or a lone PDF statement, checked against the warehouse: `ledgerflow verify`.

Every output the folder's manifest lists is rendered again from the warehouse with the settings
the manifest recorded, into a temporary folder, by the very code that wrote it
(`render.report.render_reports`), and compared byte for byte. Each file is then:

- `identical`: as the manifest recorded it, and as the warehouse gives it now;
- `tampered` (changed since written): its SHA-256 is not the one the manifest recorded;
- `stale`: as written, but the warehouse has moved on (a load since, or one undone) and now
  gives other bytes — or a file the folder lacks;
- `not reproduced`: as written, the warehouse holds the same inputs, yet other bytes come out
  (another ledgerflow version or other templates);
- `missing`: listed by the manifest, not in the folder;
- `unexpected`: in the folder, not listed by the manifest.

Each input the manifest lists is checked against the load it came from (the load history in
the warehouse: the same load id, file and SHA-256, its rows still there) and, given the inbox,
against the file there if it is still there. The rejects workbook comes from the run's ingest,
not from the warehouse: it is checked against its recorded SHA-256 only.

A lone PDF statement is checked the same way: its title names the payer and the period, and it
is printed again from the warehouse (with the settings of the manifest beside it, when it is in
a report folder; else its language, and the rounding its identifier was made with).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from ledgerflow.errors import UsageError
from ledgerflow.read.inbox import file_sha256 as sha256
from ledgerflow.render.build import inputs_digest
from ledgerflow.render.cache import CACHE_NAME
from ledgerflow.render.paths import OUTBOX, REJECTS, STATEMENTS
from ledgerflow.render.report import ReportOptions
from ledgerflow.rules.consolidate import MoneySettings
from ledgerflow.rules.period import Period

MANIFEST = "manifest.json"
IDENTICAL = "identical"
STATUSES = (IDENTICAL, "tampered", "stale", "not reproduced", "missing", "unexpected")
# Input statuses: what the warehouse (and the inbox) say of a file the manifest names.
INPUT_OK = ("as loaded", "not in the inbox")


@dataclass(frozen=True)
class FileCheck:
    file: str  # relative to the period's folder, or the PDF's path
    status: str  # one of STATUSES
    note: str = ""


@dataclass(frozen=True)
class InputCheck:
    file: str
    load_id: int | None
    status: str  # "as loaded", "not in the inbox", "swapped", "gone", "undone since"
    note: str = ""


@dataclass
class Verification:
    target: str
    files: list[FileCheck] = field(default_factory=list)
    inputs: list[InputCheck] = field(default_factory=list)
    later_loads: list[str] = field(default_factory=list)  # loads the manifest does not know

    @property
    def ok(self) -> bool:
        """Everything identical, every input as loaded."""
        return all(f.status == IDENTICAL for f in self.files) and all(
            i.status in INPUT_OK for i in self.inputs)

    def counts(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for check in self.files:
            found[check.status] = found.get(check.status, 0) + 1
        return found

    def as_dict(self) -> dict[str, Any]:
        return {"target": self.target, "ok": self.ok, "counts": self.counts(),
                "files": [asdict(f) for f in self.files],
                "inputs": [asdict(i) for i in self.inputs], "later_loads": self.later_loads}


def read_manifest(folder: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((folder / MANIFEST).read_text("utf-8"))
    except OSError as exc:
        raise UsageError(f"{folder} is not a report folder of ledgerflow: it has no readable "
                         f"{MANIFEST} ({exc.strerror}).") from exc
    except ValueError as exc:
        raise UsageError(f"{folder / MANIFEST} is not a manifest of ledgerflow: {exc}") from exc
    if not isinstance(manifest, dict) or not isinstance(manifest.get("outputs"), list):
        raise UsageError(f"{folder / MANIFEST} is not a manifest of ledgerflow: it lists no "
                         "outputs.")
    return manifest


def options_of(manifest: dict[str, Any]) -> tuple[Period, ReportOptions]:
    """The period and the render settings a manifest recorded."""
    settings = manifest.get("settings") or {}
    period = manifest.get("period") or {}
    chosen = Period.between(period["start"], period["end"]) if "start" in period else \
        Period.month(str(settings.get("period")))
    templates = settings.get("templates")
    return chosen, ReportOptions(
        tuple(settings.get("outputs") or ("html", "xlsx")), settings.get("locale", "ru"),
        Path(templates) if templates else None,
        MoneySettings(settings.get("rounding", "half_up")),
        settings.get("on_refused", "draft"), settings.get("pdf_engine", "weasyprint"))


def _on_disk(folder: Path) -> Iterator[str]:
    """The folder's files, relative, but the manifest and what ledgerflow keeps for itself
    (the render cache, hidden files) or writes beside the reports (`send`'s outbox)."""
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.is_file() and not any(part.startswith(".") for part in relative.parts) \
                and relative.parts[0] != OUTBOX \
                and relative.as_posix() not in (MANIFEST, CACHE_NAME):
            yield relative.as_posix()


def _moved_on(connection: duckdb.DuckDBPyConnection, manifest: dict[str, Any]) -> bool:
    return bool(manifest.get("inputs_sha256") != inputs_digest(connection))


def verify_folder(connection: duckdb.DuckDBPyConnection, folder: Path,
                  inbox: Path | None = None) -> Verification:
    """Every file of a period's report folder and every input its manifest names, checked."""
    from ledgerflow.render.report import render_reports

    manifest = read_manifest(folder)
    period, options = options_of(manifest)
    recorded = {str(o["file"]): str(o["sha256"]) for o in manifest["outputs"]}
    result = Verification(str(folder))
    moved_on = _moved_on(connection, manifest)
    with tempfile.TemporaryDirectory(prefix="ledgerflow-verify-") as temp:
        again = Path(temp) / period.label
        again.mkdir()
        for name in (MANIFEST, REJECTS):  # a draft's standing refusals are the manifest's
            if (folder / name).is_file():
                shutil.copyfile(folder / name, again / name)
        render_reports(connection, period, Path(temp), options)
        drafts = manifest.get("complete") is False
        for name, digest in sorted(recorded.items()):
            result.files.append(_check(folder / name, again / name, name, digest, moved_on,
                                       drafts))
        derived = set(_on_disk(again)) - {REJECTS}
        for name in sorted(derived - set(recorded)):
            result.files.append(FileCheck(name, "stale", "the warehouse now gives this file; "
                                          "the folder's run had none"))
    for name in sorted(set(_on_disk(folder)) - set(recorded)):
        result.files.append(FileCheck(name, "unexpected", "not listed by the manifest"))
    result.inputs, result.later_loads = check_inputs(connection, manifest, inbox)
    return result


def _check(path: Path, again: Path, name: str, digest: str, moved_on: bool,
           draft: bool) -> FileCheck:
    """One file the manifest lists: on disk as recorded, and as the warehouse gives it now
    (`draft`: the run refused inputs, and its statements and index are drafts)."""
    if not path.is_file():
        return FileCheck(name, "missing", "listed by the manifest, not in the folder")
    found = sha256(path)
    if found != digest:
        return FileCheck(name, "tampered", f"changed since written: SHA-256 {found}, the "
                         f"manifest recorded {digest}")
    if name == REJECTS:
        return FileCheck(name, IDENTICAL, "as recorded (it comes from the run's ingest, not "
                         "from the warehouse)")
    if again.is_file() and again.stat().st_size == path.stat().st_size \
            and again.read_bytes() == path.read_bytes():
        return FileCheck(name, IDENTICAL)
    if moved_on:
        what = "gives other bytes" if again.is_file() else "gives no such file"
        return FileCheck(name, "stale", f"as written, but the warehouse has moved on since "
                         f"(loads since, or undone) and {what} now")
    if draft:
        return FileCheck(name, "not reproduced", "as written (its SHA-256 is the manifest's), "
                         "but a draft: which statements the refused rows touch, its banner and "
                         "marks say, the run's ingest knew and the warehouse does not keep")
    return FileCheck(name, "not reproduced", "as written, and the warehouse holds the same "
                     "inputs, yet rendering it again gives other bytes (another ledgerflow "
                     "version or other templates?)")


def check_inputs(connection: duckdb.DuckDBPyConnection, manifest: dict[str, Any],
                 inbox: Path | None) -> tuple[list[InputCheck], list[str]]:
    """Each input the manifest names against its load in the warehouse and, when given, the
    file in the inbox; and the loads since that the manifest does not know."""
    loads = {int(r[0]): r for r in connection.execute(
        "SELECT load_id, file, sha256, status FROM loads ORDER BY load_id").fetchall()}
    checks = []
    for entry in manifest.get("inputs", []):
        load_id, name, digest = int(entry["load_id"]), str(entry["file"]), str(entry["sha256"])
        load = loads.get(load_id)
        if load is None:
            checks.append(InputCheck(name, load_id, "gone", "the warehouse has no such load"))
        elif load[2] != digest or load[1] != name:
            checks.append(InputCheck(name, load_id, "swapped", f"load {load_id} of the "
                                     f"warehouse is {load[1]} with SHA-256 {load[2]}; the "
                                     f"manifest recorded {digest}"))
        elif load[3] != entry.get("status"):
            checks.append(InputCheck(name, load_id, "undone since", f"load {load_id} is "
                                     f"{load[3]} now, {entry.get('status')} when the run wrote "
                                     "the folder"))
        elif inbox is not None and (inbox / name).is_file() and sha256(inbox / name) != digest:
            checks.append(InputCheck(name, load_id, "swapped", f"the file in the inbox has "
                                     f"SHA-256 {sha256(inbox / name)}, not the {digest} load "
                                     f"{load_id} loaded"))
        elif inbox is not None and not (inbox / name).is_file():
            checks.append(InputCheck(name, load_id, "not in the inbox"))
        else:
            checks.append(InputCheck(name, load_id, "as loaded"))
    known = {int(e["load_id"]) for e in manifest.get("inputs", [])}
    later = [f"load {i}: {r[1]} ({r[3]})" for i, r in loads.items() if i not in known]
    return checks, later


# --- a lone PDF statement ------------------------------------------------------------------------


@dataclass(frozen=True)
class PdfFacts:
    """What a PDF statement says of itself."""

    title: str  # "<payer> <period>"
    lang: str
    identifier: bytes
    attachments: dict[str, bytes]


def read_pdf(path: Path) -> PdfFacts:
    import pypdf

    try:
        reader = pypdf.PdfReader(path)
        title = str(reader.metadata.title or "") if reader.metadata else ""
        root: Any = reader.trailer["/Root"]
        lang = str(root.get("/Lang", "ru"))
        ident: Any = reader.trailer.get("/ID")
        identifier = bytes(ident[0].original_bytes) if ident else b""
        attachments = {name: data[0] for name, data in reader.attachments.items() if data}
    except (OSError, pypdf.errors.PdfReadError, KeyError, ValueError) as exc:
        raise UsageError(f"{path} cannot be read as a PDF statement of ledgerflow: {exc}") \
            from exc
    return PdfFacts(title, lang, identifier, attachments)


def verify_pdf(connection: duckdb.DuckDBPyConnection, path: Path) -> Verification:
    """A PDF statement, alone or in its report folder, against the warehouse."""
    facts = read_pdf(path)
    payer, _, label = facts.title.rpartition(" ")
    if not payer or not label:
        raise UsageError(f"{path} is not a PDF statement of ledgerflow: its title is "
                         f"{facts.title!r}, not a payer and a period.")
    folder = path.resolve().parent.parent
    manifest: dict[str, Any] | None = None
    if (folder / MANIFEST).is_file():
        manifest = read_manifest(folder)
    result = Verification(str(path))
    if manifest is not None:
        period, options = options_of(manifest)
        chosen = [options]
        name = f"{STATEMENTS}/{path.name}"
        digest = {str(o["file"]): str(o["sha256"]) for o in manifest["outputs"]}.get(name)
        if digest is not None and sha256(path) != digest:
            result.files.append(FileCheck(str(path), "tampered", "changed since written: its "
                                          "SHA-256 is not the one the manifest recorded"))
            return result
    else:
        period = Period.month(label)
        chosen = [ReportOptions(("pdf",), facts.lang if facts.lang in ("ru", "en") else "ru",
                                None, MoneySettings(rounding)) for rounding in
                  ("half_up", "half_even")]
    result.files.append(_pdf_check(connection, path, payer, period, chosen, facts))
    return result


def _pdf_check(connection: duckdb.DuckDBPyConnection, path: Path, payer: str, period: Period,
               candidates: list[ReportOptions], facts: PdfFacts) -> FileCheck:
    """The PDF printed again from the warehouse with each candidate's settings (the first
    whose identifier is the PDF's, else the first) and compared."""
    from ledgerflow.audit.render_one import render_statement

    data = path.read_bytes()
    printed = None
    for options in candidates:
        again = render_statement(connection, period, payer, options, path.stem)
        if again is None:
            return FileCheck(str(path), "stale", f"the warehouse has no statement of {payer} "
                             f"for {period.label} now")
        if again.identifier == facts.identifier or printed is None:
            printed = again
        if again.identifier == facts.identifier:
            break
    assert printed is not None
    if printed.pdf == data:
        return FileCheck(str(path), IDENTICAL)
    lines = _lines_note(facts, printed.csv)
    if printed.identifier == facts.identifier:
        return FileCheck(str(path), "tampered", "changed since written: the warehouse holds "
                         f"the inputs it was printed from and gives other bytes; {lines}")
    return FileCheck(str(path), "stale", "printed from other inputs (the warehouse has moved "
                     f"on) or other settings; {lines}")


def _lines_note(facts: PdfFacts, csv: bytes) -> str:
    attached = next((d for n, d in facts.attachments.items() if n.endswith(".lines.csv")), None)
    if attached is None:
        return "it carries no lines"
    if attached == csv:
        return "its attached lines are the warehouse's"
    mine, theirs = attached.splitlines(), csv.splitlines()
    differing = len(set(mine[1:]) ^ set(theirs[1:]))
    return f"its attached lines differ from the warehouse's ({differing} lines differ)"


def as_text(result: Verification) -> list[str]:
    """The verification as the terminal shows it: every file and input that is not as it
    should be, then the counts."""
    out = [f"{c.status}: {c.file}" + (f" — {c.note}" if c.note else "")
           for c in result.files if c.status != IDENTICAL]
    out += [f"input {c.status}: {c.file}" + (f" (load {c.load_id})" if c.load_id else "")
            + (f" — {c.note}" if c.note else "") for c in result.inputs
            if c.status not in INPUT_OK]
    out += [f"loaded since the run: {later}" for later in result.later_loads]
    counts = result.counts()
    out.append(f"{len(result.files)} files: " + ", ".join(
        f"{counts[s]} {s}" for s in STATUSES if s in counts))
    if result.inputs:
        fine = sum(c.status in INPUT_OK for c in result.inputs)
        out.append(f"{len(result.inputs)} inputs: {fine} as loaded, "
                   f"{len(result.inputs) - fine} not")
    out.append("verified: everything is identical" if result.ok else "NOT verified")
    return out
