"""Progress of a long run: a bar on an interactive terminal, plain log lines anywhere else.

A scheduled run writes to a log, not a terminal, where a redrawn bar would be noise; a person
at a terminal wants to see articles done and rows per second. `ArticleProgress` picks one by
whether stderr is a terminal, and the transform stage just calls `advance()`.

While the bar is drawn, log lines (Prefect's among them) go through it and print above it: their
handlers hold the stderr they were made with, so `_route_logs` points them at the bar's stand-in
for stderr, and back when the bar stops. Otherwise each line would be drawn through the bar.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

LOG_EVERY_SECONDS = 10.0


class ArticleProgress:
    """Counts articles and rows; shows a bar on a terminal, else logs at most every 10 s."""

    def __init__(self, total: int, logger: logging.Logger | logging.LoggerAdapter | None = None,
                 interactive: bool | None = None, console: Console | None = None):  # fmt: skip
        self.total = total
        self.done = 0
        self.rows = 0
        self.logger = logger or logging.getLogger("wikipoll")
        self.interactive = sys.stderr.isatty() if interactive is None else interactive
        self.started = time.monotonic()
        self.last_log = self.started
        self._bar: Progress | None = None
        self._task = None
        self._lock = threading.Lock()  # batches report from several threads
        self._console = console  # None: Rich's own, on stderr
        self._routed: list[tuple] = []  # log handlers pointed at the bar, to give back

    def __enter__(self) -> ArticleProgress:
        if self.interactive and self.total > 1:
            self._bar = Progress(
                TextColumn("articles"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[rate]} rows/s"), TimeElapsedColumn(),
                transient=True, console=self._console,
            )  # fmt: skip
            terminal = sys.stderr
            self._bar.start()  # on a terminal: sys.stderr is now a stand-in printing above it
            if sys.stderr is not terminal:
                self._routed = _route_logs(terminal, sys.stderr, self._bar.console)
            self._task = self._bar.add_task("articles", total=self.total, rate="0")
        return self

    def advance(self, rows: int) -> None:
        with self._lock:
            self._advance(rows)

    def _advance(self, rows: int) -> None:
        self.done += 1
        self.rows += rows
        now = time.monotonic()
        rate = f"{self.rows / max(now - self.started, 1e-9):,.0f}"
        if self._bar is not None:
            self._bar.update(self._task, advance=1, rate=rate)
        elif now - self.last_log >= LOG_EVERY_SECONDS or self.done == self.total:
            self.last_log = now
            self.logger.info("%d/%d articles, %d rows, %s rows/s", self.done, self.total,
                             self.rows, rate)  # fmt: skip

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:  # fmt: skip
        if self._bar is not None:
            _restore(self._routed)
            self._routed = []
            self._bar.stop()


def _route_logs(old: object, new: object, console: Console) -> list[tuple]:
    """Point every logging handler that writes to `old` at `new` (the bar's stand-in for it), and
    one that prints through a Rich console (Prefect's) at the bar's console: Rich writes to the
    real file behind a stand-in, so only the bar's own console prints above the bar. Returns
    what `_restore` undoes."""
    loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    routed = []
    for logger in loggers:
        for handler in getattr(logger, "handlers", ()):
            if isinstance(handler, logging.StreamHandler) and handler.stream is old:
                own = getattr(handler, "console", None)
                routed.append((handler, old, own))
                handler.setStream(new)
                if isinstance(own, Console):
                    handler.console = console
    return routed


def _restore(routed: list[tuple]) -> None:
    for handler, stream, console in routed:
        handler.setStream(stream)
        if console is not None:
            handler.console = console
