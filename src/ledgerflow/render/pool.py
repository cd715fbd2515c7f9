"""Every statement of a period rendered: the changed ones only, a batch of payers at a time,
on every core.

A statement's fingerprint (`cache.fingerprint` over the statement, a digest of its lines and
the render settings) says whether it changed since the files in the folder were written,
before anything is laid out. The changed ones go in batches of about `LINES_PER_BATCH` lines:
DuckDB lays out a batch's lines (`markup`) while the worker processes wrap the previous batch's
into files — the page, the workbook and the PDF printed from the page.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.pool import AsyncResult
from pathlib import Path
from typing import Any

from ledgerflow.render.cache import file_stats, fingerprint, still_valid
from ledgerflow.render.excel import line_styles, write_statement_xlsx
from ledgerflow.render.html import HtmlRenderer
from ledgerflow.render.layout import LINES, LineLayout
from ledgerflow.render.markup import LineMarkup, csv_header, line_markup, statement_markup
from ledgerflow.render.model import Statement
from ledgerflow.render.writer import Written, _give_mode, file_mode, write_bytes, write_file
from ledgerflow.rules.consolidate import Consolidation

FORMATS = ("html", "xlsx", "pdf")  # what a statement may be written as, in this order
LINES_PER_BATCH = 50_000  # lines laid out at once: bounds the memory of any month's run
FIRST_BATCH = 5_000  # a small first batch, so the workers start early


@dataclass(frozen=True)
class StatementJob:
    statement: Statement
    files: dict[str, Path]  # format -> where it goes

    def path(self, kind: str) -> Path | None:
        return self.files.get(kind)


@dataclass(frozen=True)
class RenderSettings:
    locale: str = "ru"
    template_dir: Path | None = None
    context: str = ""  # what else shapes the files (settings, renderer code): the fingerprint's
    previous: dict[str, Any] = field(default_factory=dict)  # the last run's cache entries
    layout: LineLayout = LINES
    pdf_engine: str = "weasyprint"


@dataclass
class RenderOutcome:
    written: list[Written]
    cache: dict[str, Any]  # payer -> {"fingerprint", "outputs": {file name: sha256}}
    rendered: int  # statements rendered (the others were unchanged and kept)
    payers: list[str] = field(default_factory=list)  # the payers of the rendered ones


def render_changed(result: Consolidation, jobs: list[StatementJob], settings: RenderSettings,
                   advance: Callable[[int], None] = lambda _n: None) -> RenderOutcome:
    """Render the statements whose fingerprint changed since the last run; keep the others."""
    digests = result.line_digests()
    prints = [fingerprint(job.statement, settings.context
                          + digests.get(job.statement.payer.lower(), "")) for job in jobs]
    outcome, todo = keep_unchanged(jobs, prints, settings)
    advance(len(jobs) - len(todo))
    currency = {job.statement.payer.lower(): job.statement.currency for job in jobs}
    wanted = {kind for job in jobs for kind in job.files}
    # What `markup` lays out: a PDF is printed from the page, its lines attached as CSV.
    outputs = tuple(part for part, needed in (
        ("html", bool(wanted & {"html", "pdf"})), ("xlsx", "xlsx" in wanted),
        ("csv", "pdf" in wanted)) if needed)
    styles = line_styles()

    def batches() -> Iterator[list[_Task]]:
        ordered = sorted(todo, key=lambda i: jobs[i].statement.payer.lower())
        for batch in _batches([jobs[i] for i in ordered], [prints[i] for i in ordered]):
            payers = [job.statement.payer.lower() for job, _ in batch]
            markup = line_markup(result.connection, result.lines(payers),  # type: ignore[arg-type]
                                 settings.locale, currency, styles, outputs, settings.layout)
            yield [_Task(job, markup.get(job.statement.payer.lower()), print_)
                   for job, print_ in batch]

    rendered = render_statements(batches(), settings, len(todo), advance=advance)
    outcome.written += rendered.written
    outcome.cache.update(rendered.cache)
    outcome.rendered = rendered.rendered
    outcome.payers = rendered.payers
    return outcome


def _batches(jobs: list[StatementJob],
             prints: list[str]) -> list[list[tuple[StatementJob, str]]]:
    """Consecutive jobs, about `LINES_PER_BATCH` lines to a batch."""
    batches: list[list[tuple[StatementJob, str]]] = [[]]
    lines = 0
    for job, print_ in zip(jobs, prints, strict=True):
        limit = FIRST_BATCH if len(batches) == 1 else LINES_PER_BATCH
        if batches[-1] and lines + job.statement.lines_count > limit:
            batches.append([])
            lines = 0
        batches[-1].append((job, print_))
        lines += job.statement.lines_count
    return [batch for batch in batches if batch]


@dataclass(frozen=True)
class _Task:
    """One statement to render, with its lines laid out and its fingerprint: what a worker
    receives."""

    job: StatementJob
    markup: LineMarkup | None
    fingerprint: str


_Result = tuple[str, dict[str, Any], bool, list[tuple[str, str, bool]]]

# The settings reach the forked workers through these module globals; each worker builds its
# own renderer once.
_SETTINGS = RenderSettings()
_RENDERER: HtmlRenderer | None = None


def _render_one(task: _Task) -> _Result:
    """Render one statement in each format it is wanted in."""
    global _RENDERER
    job, markup = task.job, task.markup
    statement = job.statement
    if _RENDERER is None:
        _RENDERER = HtmlRenderer(_SETTINGS.locale, _SETTINGS.template_dir, _SETTINGS.layout)
    written = []
    html_path, xlsx_path, pdf_path = (job.path(kind) for kind in FORMATS)
    page = None
    if html_path is not None or pdf_path is not None:
        page = _RENDERER.statement_bytes(statement, markup.html if markup is not None else None)
    if html_path is not None and page is not None:
        written.append(write_bytes(html_path, page))
    if xlsx_path is not None:
        written.append(write_file(xlsx_path, lambda temp: write_statement_xlsx(
            temp, statement, _SETTINGS.locale, markup, _SETTINGS.layout)))
    if pdf_path is not None and page is not None:
        written.append(write_bytes(pdf_path, _pdf(page, statement, markup, pdf_path)))
    entry = {"fingerprint": task.fingerprint,
             "outputs": {w.path.name: w.sha256 for w in written},
             "stats": {w.path.name: file_stats(w.path) for w in written}}
    return (statement.payer, entry, True,
            [(str(w.path), w.sha256, w.changed) for w in written])


def _pdf(page: bytes, statement: Statement, markup: LineMarkup | None, path: Path) -> bytes:
    """The statement printed from its page, its lines (with their source file, sheet and row)
    attached as a CSV file for the auditor."""
    from ledgerflow.render.pdf import pdf_bytes  # WeasyPrint loads slowly: only when wanted

    if markup is None:
        markup = statement_markup(statement, _SETTINGS.locale, ("csv",), _SETTINGS.layout)
    attachment = (f"{path.stem}.lines.csv", csv_header(_SETTINGS.layout) + markup.csv)
    return pdf_bytes(page, run_id=statement.run_id, inputs_sha256=statement.inputs_sha256,
                     title=f"{statement.payer} {statement.period.label}",
                     lang=_SETTINGS.locale, attachment=attachment, engine=_SETTINGS.pdf_engine)


def keep_unchanged(jobs: Sequence[StatementJob], prints: Sequence[str],
                   settings: RenderSettings) -> tuple[RenderOutcome, list[int]]:
    """The statements whose fingerprint and files match the last run's, kept as they are, and
    the positions of the jobs still to render."""
    kept = RenderOutcome([], {}, 0)
    todo = []
    mode = file_mode()
    for position, (job, print_) in enumerate(zip(jobs, prints, strict=True)):
        outputs = {p.name: p for p in job.files.values()}
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


def render_statements(batches: Iterable[Sequence[_Task]], settings: RenderSettings, count: int,
                      workers: int | None = None,
                      advance: Callable[[int], None] = lambda _n: None) -> RenderOutcome:
    """Render every task of every batch (`count` in all), on all cores when there are enough
    statements to be worth it.

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
                for tasks in batches:
                    queued.append([pool.apply_async(_render_one, (task,)) for task in tasks])
                    while len(queued) > 1:
                        _collect(queued.popleft(), results, advance)
                while queued:
                    _collect(queued.popleft(), results, advance)
        else:
            for tasks in batches:
                for task in tasks:
                    results.append(_render_one(task))
                    advance(1)
    finally:
        _RENDERER = None
    written = [Written(Path(p), digest, changed)
               for _, _, _, files in results for p, digest, changed in files]
    cache = {payer: entry for payer, entry, _, _ in results}
    return RenderOutcome(written, cache, sum(rendered for _, _, rendered, _ in results),
                         [payer for payer, _, _, _ in results])


def _collect(pending: list[AsyncResult[_Result]], results: list[_Result],
             advance: Callable[[int], None]) -> None:
    for result in pending:
        results.append(result.get())
        advance(1)
