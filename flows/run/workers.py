"""Stages 1–3 for a set of files: parse, extract and normalize each, one article at a time.

`transform_files` does it in this process. `transform_isolated` does it, then validates the batch
(stage 4), in a worker process that is stopped when one article runs over its time budget:
mwparserfromhell is super-linear on some broken markup (64 KB of unclosed `{{a|b ` takes 30 s,
1 MB would take hours), a thread cannot be stopped, and one broken article must never stall a
scheduled run. The article that ran over is reported as not parsed, with the reason, and a fresh
worker goes on with the rest.

Nothing here imports Prefect or DuckDB; workers are forked from a server that has already
imported pandas and pandera, so a worker starts fast.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver
import os
import resource
import signal
import traceback
from collections import deque
from dataclasses import dataclass, field
from datetime import date, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Protocol

from flows.article import Article
from flows.check.validate import ValidatedBatch, validate_batch
from flows.read.errors import ArticleError
from flows.read.fetch import read_sidecar
from flows.read.files import (
    parse_article_file,
    parse_article_text,
    replace_control_characters,
    source_path_of,
)
from flows.read.folder import source_size
from flows.read.sources import SourceArticle
from flows.records import RunInfo
from flows.settings import DEFAULTS
from flows.shape.records import NormalizedArticle, normalize_article


class Progress(Protocol):
    def advance(self, rows: int) -> None: ...


@dataclass
class TransformedBatch:
    articles: list[NormalizedArticle] = field(default_factory=list)
    refused: list[ArticleError] = field(default_factory=list)

    def add(self, outcome: NormalizedArticle | ArticleError) -> None:
        if isinstance(outcome, ArticleError):
            self.refused.append(outcome)
        else:
            self.articles.append(outcome)


def transform_file(
    path: Path, raw_dir: Path, max_bytes: int = DEFAULTS.max_file_bytes
) -> NormalizedArticle | ArticleError:
    """Parse, extract and normalize one file; an unreadable file or a crash becomes an error."""
    try:
        article = parse_article_file(path, raw_dir, max_bytes=max_bytes)
        _credit_revision(article, path)
        normalized = normalize_article(article)
    except ArticleError as error:
        return error
    except MemoryError:
        raise  # out of the worker's memory (parse_memory), not a bug: the worker reports it
    except Exception as error:  # a bug must cost one article, not the run: report it loudly
        return _crash(source_path_of(path, raw_dir), error)
    # The parsed cells are no longer needed once normalized; dropping them keeps what crosses
    # process boundaries (and what a run holds in memory) to the records themselves.
    normalized.article.tables = []
    return normalized


def _credit_revision(article: Article, path: Path) -> None:
    """A file `wikipoll fetch` saved carries its page's title and revision in a sidecar; they
    are credited only while the file still holds the text that was fetched."""
    sidecar = read_sidecar(path)
    if sidecar is None or not sidecar["content_matches"]:
        return
    article.title = sidecar.get("title") or article.title
    article.page_id = sidecar.get("page_id")
    article.revision_id = sidecar.get("revision_id")
    article.revision_timestamp = sidecar.get("revision_timestamp")


def transform_source(source: SourceArticle) -> NormalizedArticle | ArticleError:
    """Like `transform_file`, for a page from a dump or the API: its title and revision come
    from the page's metadata (real wikitext has no `= Title =` line)."""
    try:
        text, replaced = replace_control_characters(source.text)
        article = parse_article_text(text, source.source_path, source.sha256, source.format)
        article.control_characters_replaced = replaced
        article.title = source.title or article.title
        article.page_id, article.revision_id = source.page_id, source.revision_id
        article.revision_timestamp = source.revision_timestamp
        normalized = normalize_article(article)
    except ArticleError as error:
        return error
    except MemoryError:
        raise  # out of the worker's memory (parse_memory), not a bug: the worker reports it
    except Exception as error:
        return _crash(source.source_path, error)
    normalized.article.tables = []
    return normalized


def _crash(source_path: str, error: Exception) -> ArticleError:
    where = traceback.extract_tb(error.__traceback__)[-1]
    return ArticleError(
        source_path,
        f"wikipoll failed on this article ({type(error).__name__}: {error}, at "
        f"{Path(where.filename).name}:{where.lineno}); please report it",
        check_name="processing_error",
    )


def transform_item(
    item: Path | SourceArticle | ArticleError,
    raw_dir: Path,
    max_bytes: int = DEFAULTS.max_file_bytes,
) -> NormalizedArticle | ArticleError:
    """One item of the stream read: a file, a dump page, or a page refused while it was read."""
    if isinstance(item, ArticleError):
        return item
    if isinstance(item, SourceArticle):
        return transform_source(item)
    return transform_file(item, raw_dir, max_bytes)


def _key(item: Path | SourceArticle, raw_dir: Path) -> str:
    return item.source_path if isinstance(item, SourceArticle) else source_path_of(item, raw_dir)


def _outcome_rows(outcome: NormalizedArticle | ArticleError) -> int:
    return 0 if isinstance(outcome, ArticleError) else outcome.row_count()


def transform_files(
    paths: list[Path | SourceArticle],
    raw_dir: Path,
    progress: Progress | None = None,
    max_bytes: int = DEFAULTS.max_file_bytes,
) -> TransformedBatch:
    """Transform files in this process (no time budget: for tests and trusted input)."""
    batch = TransformedBatch()
    for path in paths:
        outcome = transform_item(path, raw_dir, max_bytes)
        batch.add(outcome)
        if progress is not None:
            progress.advance(_outcome_rows(outcome))
    return batch


# --- in a worker process, under a time budget ----------------------------------------------------

# What the parent sends a worker after a batch's last article: validate what you hold, send it.
_VALIDATE = "validate"


@dataclass
class _Failed:
    """Validation raised in the worker: the parent raises it again, with the worker's traceback."""

    error: Exception
    traceback: str


def _worker(connection: Connection, raw_dir: str, max_bytes: int, memory_bytes: int) -> None:
    """The worker's loop: an article in, a short reply out; at the end, the validated batch.

    The worker keeps the normalized articles and answers each with its row count (or the reason
    it was refused), so the records cross the process boundary once, as compact frames.
    """
    if memory_bytes:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    held: list[NormalizedArticle] = []
    while True:
        message = connection.recv()
        if message is None:
            return
        if isinstance(message, tuple) and message[0] == _VALIDATE:
            _, run, refused = message
            try:
                connection.send(validate_batch(held, run, refused))
            except Exception as error:  # re-raised in the parent, where the run fails
                connection.send(_Failed(error, traceback.format_exc()))
            held = []
            continue
        try:
            outcome = transform_item(message, Path(raw_dir), max_bytes)
        except MemoryError:
            outcome = ArticleError(
                _key(message, Path(raw_dir)),
                f"not parsed: it needed more than the worker's {memory_bytes // 1024**2} MB",
                check_name="parse_memory",
            )
        if isinstance(outcome, ArticleError):
            connection.send(outcome)
        else:
            held.append(outcome)
            connection.send(outcome.row_count())


def _context() -> multiprocessing.context.BaseContext:
    # fork is unsafe in a process that runs threads (Prefect does); a fork server forks workers
    # from a clean process that has already imported this module (pandas and pandera with it)
    # and built the schemas (flows/run/preload.py), so they start ready, in milliseconds.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["__main__", "flows.run.preload"])
    return context


def warm_up() -> None:
    """Do once what every worker would do first: build pandera's schemas and its backends."""
    validate_batch([], RunInfo("warm-up", datetime(2000, 1, 1), date(2000, 1, 1)))


def start_fork_server() -> None:
    """Start the fork server now: its imports then overlap the run's other start-up work,
    instead of delaying the first batch."""
    _context()
    multiprocessing.forkserver.ensure_running()


class _Worker:
    def __init__(self, raw_dir: Path, max_bytes: int, memory_bytes: int):
        context = _context()
        self.connection, child_end = context.Pipe()
        self.process = context.Process(
            target=_worker, args=(child_end, str(raw_dir), max_bytes, memory_bytes), daemon=True
        )
        self.process.start()
        child_end.close()

    def read(self, source_path: str, budget: ArticleBudget) -> tuple[int | ArticleError, bool]:
        """The worker's reply for one article, and whether the worker had to be stopped."""
        if not self.connection.poll(budget.seconds):
            self.stop(kill=True)
            return ArticleError(
                source_path,
                f"not parsed: reading it took longer than its {budget}; broken markup (an "
                "unclosed template) makes the wikitext parser super-linear, and a valid article "
                "this large may need more: raise --parse-budget. The run went on without it",
                check_name="parse_timeout",
            ), True
        try:
            return self.connection.recv(), False
        except (EOFError, OSError):  # the worker died: killed out of memory, a crash in C code
            code = self.process.exitcode
            self.stop(kill=True)
            if code == -signal.SIGKILL:
                return ArticleError(
                    source_path,
                    "not parsed: the worker reading it was killed (SIGKILL), most likely by the "
                    "system running out of memory",
                    check_name="parse_memory",
                ), True
            return ArticleError(
                source_path,
                f"not parsed: the worker parsing it stopped (exit code {code})",
                check_name="parse_crashed",
            ), True

    def validate(self, run: RunInfo, refused: list[ArticleError]) -> ValidatedBatch:
        self.connection.send((_VALIDATE, run, refused))
        try:
            reply = self.connection.recv()
        except EOFError:
            raise RuntimeError(
                f"the worker validating a batch stopped (exit code {self.process.exitcode})"
            ) from None
        if isinstance(reply, _Failed):
            reply.error.add_note(f"in the worker process:\n{reply.traceback}")
            raise reply.error
        return reply

    def stop(self, kill: bool = False) -> None:
        if kill:
            self.process.kill()
        else:
            try:
                self.connection.send(None)
            except OSError:
                self.process.kill()
        self.process.join(timeout=10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.connection.close()


def transform_isolated(
    paths: list[Path | SourceArticle],
    raw_dir: Path,
    run: RunInfo,
    budget_seconds: float = DEFAULTS.parse_budget_seconds,
    progress: Progress | None = None,
    max_bytes: int = DEFAULTS.max_file_bytes,
    memory_bytes: int = DEFAULTS.worker_memory_bytes,
) -> ValidatedBatch:
    """Transform and validate files in a worker process; an article over `budget_seconds` is
    stopped and reported, and the rest go on.

    The worker validates its batch itself, so the batches of a run are validated in parallel
    and only frames come back. A worker that has to be stopped loses the articles it had
    finished; the next worker reads them again (each finished once within its budget).
    Inside a daemon process (a Dask worker by default) no worker process can be started: the
    articles are then transformed and validated in place, without the budget.
    """
    if multiprocessing.current_process().daemon:
        transformed = transform_files(paths, raw_dir, progress, max_bytes)
        return validate_batch(transformed.articles, run, transformed.refused)
    refused: list[ArticleError] = [path for path in paths if isinstance(path, ArticleError)]
    # (article, not yet counted in the progress); a source refused while it was read (a dump
    # page over the size limit) comes as its ArticleError and is kept as refused.
    queue = deque((path, True) for path in paths if not isinstance(path, ArticleError))
    held: list[Path | SourceArticle] = []  # finished: the current worker holds their records
    worker: _Worker | None = None
    try:
        while queue:
            path, fresh = queue.popleft()
            if worker is None:
                worker = _Worker(raw_dir, max_bytes, memory_bytes)
            worker.connection.send(path)
            budget = ArticleBudget(budget_seconds, source_size(path))
            reply, stopped = worker.read(_key(path, raw_dir), budget)
            if isinstance(reply, int):
                held.append(path)
            else:
                refused.append(reply)
            if stopped:
                worker = None
                queue.extendleft((again, False) for again in reversed(held))
                held = []
            if fresh and progress is not None:
                progress.advance(reply if isinstance(reply, int) else 0)
        if worker is None:  # nothing held: no worker, or the last one was stopped
            return validate_batch([], run, refused)
        return worker.validate(run, refused)
    finally:
        if worker is not None:
            worker.stop()


@dataclass(frozen=True)
class ArticleBudget:
    """The time an article may take to read: the base budget plus more for a larger article.

    A valid article of a few MB takes seconds to parse (about 0.5 MB/s), while broken markup
    makes the parser super-linear (64 KB of unclosed `{{a|b ` takes 30 s): a budget that grows
    slowly with the size lets large articles through and still stops the pathological ones.
    """

    base_seconds: float
    size_bytes: int

    @property
    def seconds(self) -> float:
        if self.base_seconds <= 0:
            return self.base_seconds
        return self.base_seconds + DEFAULTS.parse_seconds_per_mb * self.size_bytes / 1024**2

    def __str__(self) -> str:
        extra = self.seconds - self.base_seconds
        return (
            f"budget of {self.seconds:.1f} s (--parse-budget {self.base_seconds:g} s, plus "
            f"{extra:.1f} s for its {self.size_bytes / 1024**2:.1f} MB)"
        )


def worker_count() -> int:
    """Parallel workers for this machine: one per core the process may use."""
    return max(1, len(os.sched_getaffinity(0)))
