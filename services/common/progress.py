"""Progress bars for long commands, drawn on stderr only (stdout may carry data).

A bar is shown when stderr is a terminal, or when asked for (`--progress`), and never
otherwise: piped or captured runs get no control characters. `rich` draws it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Protocol


class Tracker(Protocol):
    """What a long job reports to: work done and what it is doing now."""

    def advance(self, amount: float = 1) -> None: ...

    def describe(self, text: str) -> None: ...


class _Silent:
    def advance(self, amount: float = 1) -> None:
        return None

    def describe(self, text: str) -> None:
        return None


SILENT: Tracker = _Silent()


def wanted(asked: bool | None, stream: IO[str] | None = None) -> bool:
    """Whether to draw: `asked` when given (--progress / --no-progress), else whether stderr is
    a terminal."""
    if asked is not None:
        return asked
    return (stream or sys.stderr).isatty()


class _RichTracker:
    def __init__(self, progress: object, task: object) -> None:
        self._progress = progress
        self._task = task

    def advance(self, amount: float = 1) -> None:
        self._progress.advance(self._task, amount)  # type: ignore[attr-defined]

    def describe(self, text: str) -> None:
        self._progress.update(self._task, description=text)  # type: ignore[attr-defined]


@contextmanager
def progress_bar(
    total: float | None, description: str, *, enabled: bool, stream: IO[str] | None = None
) -> Iterator[Tracker]:
    """A bar over `total` units of work on stderr (or `stream`), or a silent tracker."""
    if not enabled:
        yield SILENT
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    target = stream or sys.stderr
    # A forced terminal when asked for explicitly, so that --progress draws even when piped.
    console = Console(file=target, force_terminal=True if not target.isatty() else None)
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn() if total and float(total).is_integer() and total < 10_000 else
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    # stdout is redirected above the bar only when it shares the terminal; piped, it stays data.
    # Into a file or pipe (asked for with --progress) redraw rarely: each redraw is a line there.
    with Progress(
        *columns, console=console, transient=False, redirect_stdout=sys.stdout.isatty(),
        refresh_per_second=10 if target.isatty() else 0.5,
    ) as progress:
        task = progress.add_task(description, total=total)
        yield _RichTracker(progress, task)
