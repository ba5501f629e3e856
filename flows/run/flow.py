"""The Prefect flow: list the sources, transform them in parallel batches, validate, load.

The flow reads as the story of a run, and each task is a thin wrapper around a function that
works without Prefect (`wikipoll validate` calls them directly). Articles are transformed in
batches (`flows.run.batches`), one Prefect task per batch (a task costs milliseconds of
orchestration, an article often less), each batch in a worker process (`flows.run.workers`) that
stops an article running over its time budget and validates the batch, so only compact frames come
back to the flow; the batches run in parallel on Prefect's thread pool (each thread only
supervises its worker process) or on a Dask cluster. A single writer then loads everything in one
transaction. One article that cannot be read, runs over its budget or trips a bug is reported with
the reason and kept aside; it never stops the others.
"""

# No `from __future__ import annotations` here: Prefect builds the flow's parameter model from
# these annotations when a deployment loads the flow, and string annotations fail there.
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
from prefect import flow, get_run_logger, task, unmapped
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext
from prefect.runtime import flow_run
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from flows.check.summary import article_summaries, validation_markdown
from flows.check.validate import ValidatedBatch, combine_batches, validate_batch
from flows.load.warehouse import LoadSummary, WarehouseLoad, begin_run, fail_run, stored_files
from flows.read.dumps import DumpStats, duplicate_notes
from flows.read.errors import ArticleError
from flows.read.files import source_path_of
from flows.read.folder import (
    RawFolder,
    SourceItem,
    find_sources,
    iter_dump_items,
    not_regular_errors,
    source_size,
)
from flows.records import RunInfo, new_run
from flows.run.batches import DUMP_BATCH_BYTES, plan_batches, split_unchanged, stream_batches
from flows.run.progress import ArticleProgress
from flows.run.workers import (
    start_fork_server,
    transform_isolated,
    worker_count,
)
from flows.settings import DEFAULTS


@task(name="list sources", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=1)
def list_sources(raw_dir: Path) -> RawFolder:
    return find_sources(raw_dir)


@task(name="transform and validate batch", cache_policy=NO_CACHE)
def transform_batch(
    paths: list[SourceItem],
    raw_dir: Path,
    run: RunInfo,
    budget_seconds: float,
    max_bytes: int,
    progress: ArticleProgress | None = None,
) -> ValidatedBatch:
    return transform_isolated(paths, raw_dir, run, budget_seconds, progress, max_bytes)


@task(name="publish artifacts", cache_policy=NO_CACHE)
def publish_artifacts(articles: pd.DataFrame, validated: ValidatedBatch) -> None:
    """What the run did, for the Prefect UI: counts per article, and the validation failures."""
    create_table_artifact(
        table=articles.to_dict("records"),
        key="wikipoll-articles",
        description="Per article: polls, events, rejected, repaired, skipped, warnings, tables.",
    )
    create_markdown_artifact(
        markdown=validation_markdown(validated),
        key="wikipoll-validation",
        description="Rows kept out of the load and quality warnings, with their reasons.",
    )


@task(name="record run start", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=2)
def begin_run_task(warehouse: Path, run: RunInfo, raw_dir: Path) -> list[str]:
    return begin_run(warehouse, run, raw_dir.as_posix())


@dataclass
class LoadPlan:
    """What the single writer does, in one transaction."""

    validated: ValidatedBatch  # the changed article files
    dumps: list[Path]
    stored: dict[str, tuple]  # what the warehouse held at the start: dump pages compare hashes
    keep: set[str] | None  # with --prune: every article key still present
    unchanged: int
    budget_seconds: float
    full_refresh: bool
    max_file_bytes: int


@dataclass
class LoadResult:
    summary: LoadSummary
    dump_articles: list[pd.DataFrame]  # per dump batch, its articles' counts (article_summaries)
    dump_refused: list[ArticleError]  # dump pages refused, and dumps that could not be read whole
    pruned: list[str]  # with --prune: the articles deleted because their files are gone


@task(name="load into DuckDB", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=2)
def load_task(warehouse: Path, plan: LoadPlan, run: RunInfo, raw_dir: Path) -> LoadResult:
    logger = get_run_logger()
    dump_articles: list[pd.DataFrame] = []
    dump_refused: list[ArticleError] = []
    pruned: list[str] = []
    with WarehouseLoad(warehouse, run, raw_dir.as_posix()) as load:
        load.write(plan.validated)
        keep = set(plan.keep) if plan.keep is not None else None
        for dump in plan.dumps:
            stats = load_dump(load, dump, raw_dir, run, plan, keep, dump_articles, dump_refused)
            logger.info("%s: %s", dump.name, stats)
            for note in duplicate_notes(dump.name, stats):
                logger.warning("%s", note)
        load.summary.articles_unchanged += plan.unchanged
        if keep is not None:
            pruned = load.prune(keep)
            logger.info("pruned %d articles whose files are gone: %s", len(pruned),
                        ", ".join(pruned) or "none")  # fmt: skip
    return LoadResult(load.summary, dump_articles, dump_refused, pruned)


def load_dump(
    load: WarehouseLoad,
    dump: Path,
    raw_dir: Path,
    run: RunInfo,
    plan: LoadPlan,
    keep: set[str] | None,
    articles: list[pd.DataFrame],
    refused: list[ArticleError],
) -> DumpStats:
    """Stream a dump into an open load: batches of pages are transformed and validated in a
    worker process and written, so memory holds one batch, never the dump. A page whose text is
    unchanged since its last load is counted and not read again. A page over the size limit, and
    a dump that cannot be read to its end, are refused (`iter_dump_items`): the pages read
    before a break load, and the run goes on. The run's per-article table gets each batch's
    articles (`articles`), and its refused list the refusals (`refused`)."""
    stats = DumpStats()

    def changed_pages() -> Iterator[tuple[SourceItem, int]]:
        for page in iter_dump_items(dump, raw_dir, stats, plan.max_file_bytes):
            if keep is not None:
                keep.add(page.source_path)
            if isinstance(page, ArticleError):
                yield page, 0
                continue
            known = plan.stored.get(page.source_path)
            if not plan.full_refresh and known is not None and known[2] == page.sha256:
                load.summary.articles_unchanged += 1
                continue
            yield page, source_size(page)

    for batch in stream_batches(changed_pages(), DUMP_BATCH_BYTES):
        validated = transform_isolated(batch.items, dump.parent, run, plan.budget_seconds,
                                       max_bytes=plan.max_file_bytes)  # fmt: skip
        articles.append(article_summaries(validated))
        refused.extend(validated.refused_files)
        load.spool(validated)
    return stats


@dataclass
class RunReport:
    summary: LoadSummary
    articles: pd.DataFrame  # one row per article file loaded: see article_summaries
    refused: list[ArticleError]
    interrupted_runs: list[str]
    pruned: list[str]  # articles deleted because their files are gone (--prune)


@flow(
    name="wikipoll", log_prints=False, task_runner=ThreadPoolTaskRunner(max_workers=worker_count())
)
def wikipoll_flow(
    raw_dir: str = str(DEFAULTS.raw_dir),
    warehouse: str = str(DEFAULTS.warehouse),
    run_date: date | None = None,
    parse_budget_seconds: float = DEFAULTS.parse_budget_seconds,
    max_file_bytes: int = DEFAULTS.max_file_bytes,
    workers: int | None = None,
    full_refresh: bool = False,
    prune: bool = False,
) -> RunReport:
    """Load the articles of `raw_dir` that changed since the last run into `warehouse`."""
    logger = get_run_logger()
    in_process = isinstance(_task_runner(), ThreadPoolTaskRunner)
    if in_process:
        start_fork_server()
    raw, warehouse_path = Path(raw_dir), Path(warehouse)
    run = new_run(run_id=str(flow_run.id) if flow_run.id else None, run_date=run_date)
    sources = list_sources(raw)
    interrupted = begin_run_task(warehouse_path, run, raw)
    for run_id in interrupted:
        logger.warning("run %s was interrupted before it finished: recorded as interrupted", run_id)
    try:
        stored = stored_files(warehouse_path)
        changed, unchanged = split_unchanged(sources.files, raw, stored, full_refresh)
        changed = [*not_regular_errors(sources), *changed]  # named and counted, never opened
        batches = plan_batches(changed, workers or worker_count())
        logger.info(
            "%d article files in %s: %d unchanged since their last load, %d to read in %d "
            "batches; %d dumps", len(sources.files), raw, len(unchanged), len(changed),
            len(batches), len(sources.dumps),
        )  # fmt: skip
        # Largest batches first, so the small ones fill the end and no worker waits idle at
        # the tail; results are put back in file order.
        order = sorted(range(len(batches)), key=lambda index: -batches[index].bytes)
        with ArticleProgress(len(changed), logger) as progress:
            futures = transform_batch.map(
                [batches[index].items for index in order], unmapped(raw), unmapped(run),
                unmapped(parse_budget_seconds), unmapped(max_file_bytes),
                unmapped(progress if in_process else None),
            )  # fmt: skip
            results = [future.result() for future in futures]
        results = [result for _, result in sorted(zip(order, results, strict=True))]
        validated = combine_batches(results) if results else validate_batch([], run)
        del results
        for refused in validated.refused_files:
            logger.warning("%s", refused)
        keep = None
        if prune:
            keep = {source_path_of(path, raw) for path in sources.files}
            keep |= {error.source_path for error in validated.refused_files}
        plan = LoadPlan(validated, sources.dumps, stored, keep, len(unchanged),
                        parse_budget_seconds, full_refresh, max_file_bytes)  # fmt: skip
        # quote(): Prefect would otherwise walk every value of these inputs looking for futures.
        loaded = load_task(warehouse_path, quote(plan), run, raw)
        summary = loaded.summary
        for refused in loaded.dump_refused:
            logger.warning("%s", refused)
    except BaseException as error:
        fail_run(warehouse_path, run, error)
        raise
    articles = pd.concat([article_summaries(validated), *loaded.dump_articles], ignore_index=True)
    publish_artifacts(articles, quote(validated))
    logger.info(
        "loaded %d articles (%d unchanged, %d pruned, %d refused of which %d keep stale rows): "
        "%d polls, %d events, %d rejected, %d repaired into %s", summary.articles,
        summary.articles_unchanged, summary.articles_pruned, summary.articles_refused,
        summary.articles_stale, summary.polls, summary.events, summary.rejected,
        summary.repaired, warehouse_path,
    )  # fmt: skip
    refused = [*validated.refused_files, *loaded.dump_refused]
    return RunReport(summary, articles, refused, interrupted, loaded.pruned)


def _task_runner() -> object:
    """The task runner of the flow run: only threads can share a progress bar."""
    context = FlowRunContext.get()
    return context.task_runner if context is not None else None
