"""The progress of a run: a bar on a terminal that log lines print above, plain lines elsewhere."""

from __future__ import annotations

import io
import logging
import sys

from rich.console import Console

from flows.run.progress import ArticleProgress


def test_log_lines_print_above_the_bar_not_through_it():
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=100)
    handler = logging.StreamHandler(sys.stderr)  # as Prefect's handler: made before the bar
    logger = logging.getLogger("wikipoll.test_progress")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        with ArticleProgress(3, logger, interactive=True, console=console) as progress:
            assert handler.stream is not sys.__stderr__  # routed through the bar
            logger.warning("a line from the run")
            progress.advance(5)
        assert handler.stream is sys.stderr  # given back when the bar stops
    finally:
        logger.removeHandler(handler)
    assert "a line from the run" in screen.getvalue()


class RichHandler(logging.StreamHandler):
    """A handler that prints through a Rich console of its own, as Prefect's console handler."""

    def __init__(self):
        super().__init__(sys.stderr)
        self.console = Console(file=sys.stderr)

    def emit(self, record):
        self.console.print(self.format(record))


def test_a_handler_printing_through_rich_prints_through_the_bar():
    screen = io.StringIO()
    bar_console = Console(file=screen, force_terminal=True, width=100)
    handler = RichHandler()
    own = handler.console
    logger = logging.getLogger("wikipoll.test_progress_rich")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        with ArticleProgress(3, logger, interactive=True, console=bar_console) as progress:
            assert handler.console is bar_console
            logger.warning("a line from Prefect")
            progress.advance(5)
        assert handler.console is own and handler.stream is sys.stderr
    finally:
        logger.removeHandler(handler)
    assert "a line from Prefect" in screen.getvalue()


def test_without_a_terminal_it_logs_plain_lines(caplog):
    logger = logging.getLogger("wikipoll.test_progress_plain")
    with (
        caplog.at_level(logging.INFO, logger=logger.name),
        ArticleProgress(2, logger, interactive=False) as progress,
    ):
        progress.advance(4)
        progress.advance(6)
    assert [r.getMessage().split(", ")[:2] for r in caplog.records] == [["2/2 articles", "10 rows"]]
