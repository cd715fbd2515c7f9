"""A progress bar on the terminal (rich), nothing at all when output goes to a file or a pipe."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


@contextmanager
def terminal_progress(label: str, total: int) -> Iterator[Callable[[int], None]]:
    if not sys.stdout.isatty() or total == 0:
        yield lambda _n: None
        return
    columns = (TextColumn("{task.description:<11}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)
