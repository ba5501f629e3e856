"""The Prefect flow: list the articles, transform them in parallel batches, validate, load.

The flow reads as the story of a run, and each task is a thin wrapper around a function that
works without Prefect (`wikipoll validate` calls them directly). Articles are transformed in
batches, one Prefect task per batch (a task costs milliseconds of orchestration, an article
often less), each batch in a worker process that stops an article running over its time budget;
the batches run in parallel on Prefect's thread pool (each thread only supervises its worker
process) or on a Dask cluster. A single writer then loads everything in one transaction. One
article that cannot be read, runs over its budget or trips a bug is reported with the reason and
kept aside; it never stops the others.
"""

# No `from __future__ import annotations` here: Prefect builds the flow's parameter model from
# these annotations when a deployment loads the flow, and string annotations fail there.
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
from prefect import flow, get_run_logger, task, unmapped
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run
from prefect.task_runners import ThreadPoolTaskRunner

from flows.load import LoadSummary, load_batch
from flows.parse import DEFAULT_MAX_FILE_BYTES, ArticleError, find_article_files
from flows.progress import ArticleProgress
from flows.summary import article_summaries, validation_markdown
from flows.transform import (
    DEFAULT_PARSE_BUDGET_SECONDS,
    TransformedBatch,
    transform_isolated,
    worker_count,
)
from flows.validate import RunInfo, ValidatedBatch, new_run, validate_batch

DEFAULT_RAW_DIR = Path("raw")
DEFAULT_WAREHOUSE = Path("warehouse") / "wikipoll.duckdb"
BATCHES_PER_WORKER = 4  # enough to even out articles of very different sizes
MIN_BATCH_BYTES = 256 * 1024
MAX_BATCH_BYTES = 32 * 1024**2
MAX_BATCH_ARTICLES = 500


def plan_batches(paths: list[Path], workers: int) -> list[list[Path]]:
    """Split the articles into batches of about equal bytes, a few per worker.

    The batch size comes from the corpus: its total size over the number of batches wanted,
    kept between 256 KB and 32 MB and at most 500 articles, so a few large articles or many
    small ones both keep every worker busy without paying a task per article.
    """
    sizes = []
    for path in paths:
        try:
            sizes.append(path.stat().st_size)
        except OSError:  # a dangling link: the worker reports it
            sizes.append(0)
    target = total = sum(sizes)
    if paths:
        target = min(max(total / (workers * BATCHES_PER_WORKER), MIN_BATCH_BYTES), MAX_BATCH_BYTES)
    batches: list[list[Path]] = []
    current: list[Path] = []
    current_bytes = 0
    for path, size in zip(paths, sizes, strict=True):
        if current and (current_bytes + size > target or len(current) >= MAX_BATCH_ARTICLES):
            batches.append(current)
            current, current_bytes = [], 0
        current.append(path)
        current_bytes += size
    if current:
        batches.append(current)
    return batches


# --- Prefect tasks: thin wrappers -----------------------------------------------------------------


@task(name="list articles", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=1)
def list_articles(raw_dir: Path) -> list[Path]:
    if not raw_dir.is_dir():
        raise FileNotFoundError(f"{raw_dir}: no such folder of articles")
    return find_article_files(raw_dir)


@task(name="transform batch", cache_policy=NO_CACHE)
def transform_batch(
    paths: list[Path],
    raw_dir: Path,
    budget_seconds: float,
    max_bytes: int,
    progress: ArticleProgress | None = None,
) -> TransformedBatch:
    return transform_isolated(paths, raw_dir, budget_seconds, progress, max_bytes)


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


@task(name="validate", cache_policy=NO_CACHE)
def validate_task(batch: TransformedBatch, run: RunInfo) -> ValidatedBatch:
    return validate_batch(batch.articles, run, batch.refused)


@task(name="load into DuckDB", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=2)
def load_task(
    warehouse: Path, validated: ValidatedBatch, run: RunInfo, raw_dir: Path
) -> LoadSummary:
    return load_batch(warehouse, validated, run, raw_dir.as_posix())


@dataclass
class RunReport:
    summary: LoadSummary
    articles: pd.DataFrame  # one row per article: see article_summaries
    refused: list[ArticleError]


@flow(
    name="wikipoll", log_prints=False, task_runner=ThreadPoolTaskRunner(max_workers=worker_count())
)
def wikipoll_flow(
    raw_dir: str = str(DEFAULT_RAW_DIR),
    warehouse: str = str(DEFAULT_WAREHOUSE),
    run_date: date | None = None,
    parse_budget_seconds: float = DEFAULT_PARSE_BUDGET_SECONDS,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    workers: int | None = None,
) -> RunReport:
    """Load every article of `raw_dir` into the DuckDB file `warehouse`."""
    logger = get_run_logger()
    raw, warehouse_path = Path(raw_dir), Path(warehouse)
    run = new_run(run_id=str(flow_run.id) if flow_run.id else None, run_date=run_date)
    paths = list_articles(raw)
    batches = plan_batches(paths, workers or worker_count())
    logger.info("%d article files in %s, in %d batches", len(paths), raw, len(batches))
    transformed = TransformedBatch()
    with ArticleProgress(len(paths), logger) as progress:
        futures = transform_batch.map(
            batches, unmapped(raw), unmapped(parse_budget_seconds), unmapped(max_file_bytes),
            unmapped(progress),
        )  # fmt: skip
        for future in futures:
            transformed.extend(future.result())
    for refused in transformed.refused:
        logger.warning("%s", refused)
    validated = validate_task(transformed, run)
    summary = load_task(warehouse_path, validated, run, raw)
    articles = article_summaries(validated)
    publish_artifacts(articles, validated)
    logger.info(
        "loaded %d articles: %d polls, %d events, %d rejected, %d repaired into %s",
        summary.articles, summary.polls, summary.events, summary.rejected, summary.repaired,
        warehouse_path,
    )  # fmt: skip
    return RunReport(summary, articles, transformed.refused)
