"""The pipeline: the pure `transform_*` functions, and the Prefect flow that runs them as tasks.

The flow reads as the story of a run: list the articles, transform them (parse, extract, normalize),
validate the batch, load it. Each task is a thin wrapper around a function that can be called
without Prefect (`wikipoll validate` does exactly that). One article that cannot be read or that
trips a bug is reported with the reason and kept aside; it never stops the others.
"""

# No `from __future__ import annotations` here: Prefect builds the flow's parameter model from
# these annotations when a deployment loads the flow, and string annotations fail there.
import traceback
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from flows.load import LoadSummary, load_batch
from flows.normalize import NormalizedArticle, normalize_article
from flows.parse import ArticleError, find_article_files, parse_article_file
from flows.progress import ArticleProgress
from flows.validate import RunInfo, ValidatedBatch, validate_batch

DEFAULT_RAW_DIR = Path("raw")
DEFAULT_WAREHOUSE = Path("warehouse") / "wikipoll.duckdb"


@dataclass
class TransformedBatch:
    articles: list[NormalizedArticle] = field(default_factory=list)
    refused: list[ArticleError] = field(default_factory=list)


def transform_file(path: Path, raw_dir: Path) -> NormalizedArticle | ArticleError:
    """Parse, extract and normalize one file; an unreadable file or a crash becomes an error."""
    source_path = path.relative_to(raw_dir).as_posix()
    try:
        return normalize_article(parse_article_file(path, raw_dir))
    except ArticleError as error:
        return error
    except Exception as error:  # a bug must cost one article, not the run: report it loudly
        where = traceback.extract_tb(error.__traceback__)[-1]
        return ArticleError(
            source_path,
            f"wikipoll failed on this article ({type(error).__name__}: {error}, at "
            f"{Path(where.filename).name}:{where.lineno}); please report it",
            check_name="processing_error",
        )


def transform_files(
    paths: list[Path], raw_dir: Path, progress: ArticleProgress | None = None
) -> TransformedBatch:
    batch = TransformedBatch()
    for path in paths:
        outcome = transform_file(path, raw_dir)
        if isinstance(outcome, ArticleError):
            batch.refused.append(outcome)
        else:
            batch.articles.append(outcome)
        if progress is not None:
            rows = 0 if isinstance(outcome, ArticleError) else outcome.row_count()
            progress.advance(rows)
    return batch


def new_run(run_id: str | None = None, run_date: date | None = None) -> RunInfo:
    started_at = datetime.now(UTC).replace(tzinfo=None)
    return RunInfo(
        run_id=run_id or uuid.uuid4().hex,
        started_at=started_at,
        run_date=run_date or started_at.date(),
    )


def article_summaries(validated: ValidatedBatch) -> pd.DataFrame:
    """Per article: polls, events, rejected, repaired, skipped, warnings and tables by kind."""
    frames = validated.frames
    summary = frames["articles"][["article_id", "title"]].set_index("article_id")
    for refused in validated.refused_files:
        summary.loc[refused.source_path, "title"] = f"(not read: {refused.reason})"
    counts = {
        "polls": frames["polls"].groupby("article_id").size(),
        "events": frames["events"].groupby("article_id").size(),
        "rejected": frames["rejected_rows"].groupby("article_id").size(),
        "repaired": frames["polls"][frames["polls"]["repair"].notna()].groupby("article_id").size(),
        "skipped": frames["skipped_rows"].groupby("article_id").size(),
        "warnings": frames["quality_warnings"].groupby("article_id").size(),
    }
    for name, series in counts.items():
        summary[name] = series.reindex(summary.index).fillna(0).astype(int)
    tables = frames["article_tables"].pivot_table(
        index="article_id", columns="kind", values="table_index", aggfunc="count"
    )
    for kind in ("poll", "timeline", "other"):
        column = tables[kind] if kind in tables else pd.Series(dtype=int)
        summary[f"{kind}_tables"] = column.reindex(summary.index).fillna(0).astype(int)
    return summary.reset_index()


def validation_markdown(validated: ValidatedBatch, limit: int = 200) -> str:
    """A Markdown summary of the rejected rows and warnings, grouped by check."""
    frames = validated.frames
    lines = ["# wikipoll validation", ""]
    for title, frame, message in (
        ("Rejected rows (errors)", frames["rejected_rows"], "reason"),
        ("Quality warnings", frames["quality_warnings"], "detail"),
    ):
        lines.append(f"## {title}: {len(frame)}")
        if frame.empty:
            lines += ["", "None.", ""]
            continue
        counts = frame.groupby("check_name").size().sort_values(ascending=False)
        lines += ["", "| check | rows |", "|---|---|"]
        lines += [f"| `{check}` | {count} |" for check, count in counts.items()]
        lines += ["", "| file:line | table.row | check | reason |", "|---|---|---|---|"]
        for row in frame.head(limit).itertuples(index=False):
            where = f"{row.source_path}:{row.source_line}" if pd.notna(row.source_line) else (
                row.source_path)  # fmt: skip
            place = f"{row.table_index}.{row.row_index}" if pd.notna(row.table_index) else ""
            text = str(getattr(row, message)).replace("|", "\\|")
            lines.append(f"| {where} | {place} | `{row.check_name}` | {text} |")
        if len(frame) > limit:
            lines.append(f"| … | | | {len(frame) - limit} more |")
        lines.append("")
    return "\n".join(lines)


# --- Prefect tasks: thin wrappers -----------------------------------------------------------------


@task(name="list articles", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=1)
def list_articles(raw_dir: Path) -> list[Path]:
    if not raw_dir.is_dir():
        raise FileNotFoundError(f"{raw_dir}: no such folder of articles")
    return find_article_files(raw_dir)


@task(name="transform articles", cache_policy=NO_CACHE)
def transform_task(paths: list[Path], raw_dir: Path) -> TransformedBatch:
    with ArticleProgress(len(paths), get_run_logger()) as progress:
        return transform_files(paths, raw_dir, progress)


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


@flow(name="wikipoll", log_prints=False)
def wikipoll_flow(
    raw_dir: str = str(DEFAULT_RAW_DIR),
    warehouse: str = str(DEFAULT_WAREHOUSE),
    run_date: date | None = None,
) -> RunReport:
    """Load every article of `raw_dir` into the DuckDB file `warehouse`."""
    logger = get_run_logger()
    raw, warehouse_path = Path(raw_dir), Path(warehouse)
    run = new_run(run_id=str(flow_run.id) if flow_run.id else None, run_date=run_date)
    paths = list_articles(raw)
    logger.info("%d article files in %s", len(paths), raw)
    transformed = transform_task(paths, raw)
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
