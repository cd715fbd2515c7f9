"""Writing reports: atomically, unchanged files left alone, statements on every core.

A statement is rendered to a temporary file beside its target and renamed over it only when
complete, so a crash never leaves half a statement where a good one was; when the new bytes equal
the old ones the old file is kept untouched (its time stamp too).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import multiprocessing
import os
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from multiprocessing.pool import AsyncResult
from pathlib import Path
from typing import Any

from xlsxwriter.exceptions import FileCreateError

from ledgerflow.errors import LedgerflowError
from ledgerflow.render.build import StatementLines
from ledgerflow.render.cache import file_stats, still_valid
from ledgerflow.render.excel import LinesXml, write_statement_xlsx
from ledgerflow.render.html import HtmlRenderer
from ledgerflow.render.markup import LineMarkup
from ledgerflow.render.model import Statement


@dataclass(frozen=True)
class Written:
    path: Path
    sha256: str
    changed: bool


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def file_mode() -> int:
    """The mode the umask gives a new file (0o666 & ~umask). The umask is read from
    /proc/self/status: os.umask can only read it by changing it, for the whole process, under
    the render threads' feet."""
    try:
        with open("/proc/self/status", "rb") as status:
            umask = next(int(line.split()[1], 8) for line in status
                         if line.startswith(b"Umask:"))
    except (OSError, StopIteration, ValueError, IndexError):  # not Linux, or before 4.7
        umask = os.umask(0o022)
        os.umask(umask)
    return 0o666 & ~umask


def _give_mode(path: Path, mode: int) -> None:
    """A file kept as it was gets the umask's mode too (an older version wrote 0600); its
    time stamp stays, so the render cache still trusts it."""
    with contextlib.suppress(OSError):  # another user's file: left as it is
        if path.stat().st_mode & 0o777 != mode:
            os.chmod(path, mode)


def replace_if_changed(temp: Path, target: Path, digest: str | None = None) -> Written:
    """Move a finished temp file over target, unless target already has these bytes;
    `digest` is the temp file's SHA-256 when the caller knows it already.

    The file gets the mode the umask gives (0o666 & ~umask), as any file a program creates,
    not the 0600 of a temp file: reports written by a cron user are read by others. A target
    kept because its bytes are unchanged gets that mode too (an older version wrote 0600),
    its time stamp kept."""
    digest = digest or _sha256(temp)
    mode = file_mode()
    found = target.stat() if target.exists() else None
    same = found is not None and found.st_size == temp.stat().st_size \
        and _sha256(target) == digest
    if same and found is not None and found.st_mode & 0o777 != mode:
        try:
            os.chmod(target, mode)
        except OSError:  # another user's file: replaced by ours, which has the mode
            same = False
    if same:
        temp.unlink()
        return Written(target, digest, changed=False)
    os.chmod(temp, mode)
    os.replace(temp, target)
    return Written(target, digest, changed=True)


def write_file(target: Path, produce: Callable[[Path], object],
               digest: str | None = None) -> Written:
    """Let `produce` write a temp file beside target, then put it in place atomically
    (`digest`: the SHA-256 of what `produce` writes, when known).

    A file that cannot be written (a full disk, a read-only folder) stops the run with a
    message that names it, not a traceback; the file already there is left as it was and the
    temp file is removed."""
    temp: Path | None = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                        suffix=target.suffix)
        os.close(handle)
        temp = Path(name)
        produce(temp)
        return replace_if_changed(temp, target, digest)
    except (OSError, FileCreateError) as exc:  # xlsxwriter wraps the OSError in its own
        error = exc if isinstance(exc, OSError) else exc.__context__
        reason = getattr(error, "strerror", None) or str(exc)
        raise LedgerflowError(
            f"Could not write {target}: {reason}; {target.name} is left as it was. Make room "
            "on that disk or make the folder writable, then run again.") from exc
    finally:
        if temp is not None:
            temp.unlink(missing_ok=True)


def write_text(target: Path, text: str) -> Written:
    return write_bytes(target, text.encode())


def write_bytes(target: Path, data: bytes) -> Written:
    """Bytes in memory: their digest is taken here, not by reading the file back."""
    return write_file(target, lambda temp: temp.write_bytes(data),
                      hashlib.sha256(data).hexdigest())


@dataclass(frozen=True)
class StatementJob:
    statement: Statement
    html: Path | None
    xlsx: Path | None


@dataclass(frozen=True)
class RenderSettings:
    locale: str = "ru"
    template_dir: Path | None = None
    context: str = ""  # what else shapes the files (settings, renderer code): the fingerprint's
    previous: dict[str, Any] = field(default_factory=dict)  # the last run's cache entries


@dataclass
class RenderOutcome:
    written: list[Written]
    cache: dict[str, Any]  # payer -> {"fingerprint", "outputs": {file name: sha256}}
    rendered: int  # statements rendered (the others were unchanged and kept)


@dataclass(frozen=True)
class LineSource:
    """Where a batch's statements, built without their lines, get them: laid out already
    (`markup`, by payer key) and, for templates that walk the lines themselves, as `Line`
    objects."""

    markup: dict[str, LineMarkup] | None = None
    lines: StatementLines | None = None


@dataclass(frozen=True)
class _Task:
    """One statement to render, with its lines and fingerprint: what a worker receives."""

    job: StatementJob
    markup: LineMarkup | None
    fingerprint: str


_Result = tuple[str, dict[str, Any], bool, list[tuple[str, str, bool]]]

# The settings reach the forked workers through these module globals; each worker builds its
# own renderer once.
_SETTINGS = RenderSettings()
_RENDERER: HtmlRenderer | None = None


def _render_one(task: _Task) -> _Result:
    """Render one statement."""
    global _RENDERER
    job, markup = task.job, task.markup
    statement = job.statement
    if _RENDERER is None:
        _RENDERER = HtmlRenderer(_SETTINGS.locale, _SETTINGS.template_dir)
    written = []
    if job.html is not None:
        html = _RENDERER.statement_bytes(statement, markup.html if markup is not None else None)
        result = write_bytes(job.html, html)
        written.append((str(result.path), result.sha256, result.changed))
    if job.xlsx is not None:
        lines = None if markup is None else LinesXml(markup.xml.decode(), markup.count,
                                                     markup.total)
        result = write_file(job.xlsx, lambda temp: write_statement_xlsx(
            temp, statement, _SETTINGS.locale, lines))
        written.append((str(result.path), result.sha256, result.changed))
    entry = {"fingerprint": task.fingerprint,
             "outputs": {Path(path).name: digest for path, digest, _ in written},
             "stats": {Path(path).name: file_stats(Path(path)) for path, _, _ in written}}
    return statement.payer, entry, True, written


def keep_unchanged(jobs: Sequence[StatementJob], prints: Sequence[str],
                   settings: RenderSettings) -> tuple[RenderOutcome, list[int]]:
    """The statements whose fingerprint and files match the last run's, kept as they are, and
    the positions of the jobs still to render."""
    kept = RenderOutcome([], {}, 0)
    todo = []
    mode = file_mode()
    for position, (job, print_) in enumerate(zip(jobs, prints, strict=True)):
        outputs = {p.name: p for p in (job.html, job.xlsx) if p is not None}
        entry = settings.previous.get(job.statement.payer)
        if entry is not None and still_valid(entry, print_, outputs):
            kept.written += [Written(path, entry["outputs"][name], changed=False)
                             for name, path in outputs.items()]
            for path in outputs.values():
                _give_mode(path, mode)
            kept.cache[job.statement.payer] = entry
        else:
            todo.append(position)
    return kept, todo


def _tasks(jobs: Sequence[tuple[StatementJob, str]], source: LineSource) -> list[_Task]:
    tasks = []
    for job, print_ in jobs:
        key = job.statement.payer.lower()
        markup = source.markup.get(key) if source.markup is not None else None
        if source.lines is not None and not job.statement.lines:
            job = dataclasses.replace(job, statement=dataclasses.replace(
                job.statement, lines=source.lines.of_payer(key)))
        tasks.append(_Task(job, markup, print_))
    return tasks


# Statements to render with their fingerprints, and where their lines come from.
Batch = tuple[Sequence[tuple[StatementJob, str]], LineSource]


def render_statements(batches: Iterable[Batch], settings: RenderSettings, count: int,
                      workers: int | None = None,
                      advance: Callable[[int], None] = lambda _n: None) -> RenderOutcome:
    """Render every job of every batch (`count` jobs in all), on all cores when there are
    enough statements to be worth it. A statement without lines gets them from its batch's
    source.

    The batches are taken one at a time: while the workers render one batch, the next is
    prepared here (its lines laid out), and no more than two are held at once."""
    global _SETTINGS, _RENDERER
    _SETTINGS, _RENDERER = settings, None
    workers = workers or os.cpu_count() or 1
    results: list[_Result] = []
    try:
        if workers > 1 and count >= 50 and "fork" in multiprocessing.get_all_start_methods():
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                queued: deque[list[AsyncResult[_Result]]] = deque()
                for jobs, source in batches:
                    queued.append([pool.apply_async(_render_one, (task,))
                                   for task in _tasks(jobs, source)])
                    while len(queued) > 1:
                        _collect(queued.popleft(), results, advance)
                while queued:
                    _collect(queued.popleft(), results, advance)
        else:
            for jobs, source in batches:
                for task in _tasks(jobs, source):
                    results.append(_render_one(task))
                    advance(1)
    finally:
        _RENDERER = None
    written = [Written(Path(p), digest, changed)
               for _, _, _, files in results for p, digest, changed in files]
    cache = {payer: entry for payer, entry, _, _ in results}
    return RenderOutcome(written, cache, sum(rendered for _, _, rendered, _ in results))


def _collect(pending: list[AsyncResult[_Result]], results: list[_Result],
             advance: Callable[[int], None]) -> None:
    for result in pending:
        results.append(result.get())
        advance(1)
