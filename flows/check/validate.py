"""Stage 4, validate: check the normalized records against the pandera contract in `schemas/`.

Validation is lazy (every failure of every row is collected, not just the first) and has two
severities, as dbt tests and Soda checks have them. A row that fails an *error* check leaves the
load and goes to `rejected_rows` with the check and the reason; a row that fails only *warning*
checks loads, and each failure is recorded in `quality_warnings`. The good rows always load.

pandera reports a warning check only as a Python warning with no row index, so the checks are run
on a copy of the schema in which every check raises; the severity is then read back from the
check's declaration.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import pandas as pd
import pandera.pandas as pa

from flows.read.errors import ArticleError
from flows.records import (
    ArticleRecord,
    FindingRecord,
    PollRecord,
    PollResultRecord,
    RejectedRowRecord,
    RunInfo,
)
from flows.shape.records import NormalizedArticle
from schemas.warehouse import (
    Article,
    ArticleTable,
    Event,
    Poll,
    PollCandidate,
    PollResult,
    QualityWarning,
    RejectedRow,
    SkippedRow,
    SourceCell,
)


@dataclass
class CheckFailure:
    check_name: str
    severity: str  # 'error' or 'warning'
    column_name: str
    value: str
    reason: str


@dataclass
class ValidatedBatch:
    """Frames shaped like the warehouse tables, ready to load, and what was kept aside."""

    frames: dict[str, pd.DataFrame]
    refused_files: list[ArticleError] = field(default_factory=list)
    accounting: RowAccounting = field(default_factory=lambda: RowAccounting(0, 0, 0, 0))

    def count(self, table: str) -> int:
        return len(self.frames[table])


def combine_batches(batches: list[ValidatedBatch]) -> ValidatedBatch:
    """One batch from batches of different articles (validation never looks across articles)."""
    if len(batches) == 1:
        return batches[0]
    frames = {
        name: pd.concat([batch.frames[name] for batch in batches], ignore_index=True)
        for name in batches[0].frames
    }
    accounting = RowAccounting(0, 0, 0, 0)
    for batch in batches:
        accounting += batch.accounting
    return ValidatedBatch(
        frames, [error for batch in batches for error in batch.refused_files], accounting
    )


class AccountingError(RuntimeError):
    """Rows read and rows accounted for differ: a bug that would lose rows silently."""


@dataclass(frozen=True)
class RowAccounting:
    """Every data row of every poll or timeline table is loaded, rejected or skipped, once."""

    rows_in: int
    loaded: int
    rejected: int
    skipped: int

    def __add__(self, other: RowAccounting) -> RowAccounting:
        return RowAccounting(
            self.rows_in + other.rows_in,
            self.loaded + other.loaded,
            self.rejected + other.rejected,
            self.skipped + other.skipped,
        )


def account_rows(frames: dict[str, pd.DataFrame]) -> RowAccounting:
    """Count the rows in and where they went; raise when the two disagree."""
    tables = frames["article_tables"]
    rows_in = int(tables.loc[tables["kind"].isin(["poll", "timeline"]), "data_rows"].sum())
    rejected = frames["rejected_rows"].dropna(subset=["table_index"])
    accounting = RowAccounting(
        rows_in=rows_in,
        loaded=len(frames["polls"]) + len(frames["events"]),
        rejected=len(rejected.drop_duplicates(["article_id", "table_index", "row_index"])),
        skipped=len(frames["skipped_rows"]),
    )
    accounted = accounting.loaded + accounting.rejected + accounting.skipped
    if accounted != rows_in:
        raise AccountingError(
            f"{rows_in} data rows were read but {accounted} are accounted for "
            f"({accounting.loaded} loaded, {accounting.rejected} rejected, "
            f"{accounting.skipped} skipped): refusing to load a batch that loses or doubles rows"
        )
    return accounting


def _frame(records: list, model: type[pa.DataFrameModel]) -> pd.DataFrame:
    """Typed records (`flows.records`) as a frame with exactly the model's columns, in its order.

    A record class has the model's columns by construction; one of another class is a bug, and
    is refused here rather than loaded with NULLs where its columns do not match.
    """
    columns = list(model.to_schema().columns)
    if not records:
        return pd.DataFrame({name: pd.Series(dtype="object") for name in columns})
    kinds = {type(record) for record in records}
    if len(kinds) != 1 or list(next(iter(kinds)).COLUMNS) != columns:
        names = ", ".join(sorted(kind.__name__ for kind in kinds))
        raise TypeError(f"{model.__name__} frames are made of its own records, not {names}")
    return pd.DataFrame.from_records([record.as_row() for record in records], columns=columns)


@cache
def _all_checks_raise(model: type[pa.DataFrameModel]) -> tuple[pa.DataFrameSchema, dict]:
    """The model's schema with warning checks made to raise, and each check's declaration."""
    schema = copy.deepcopy(model.to_schema())
    declared: dict[str, pa.Check] = {}
    for check in schema.checks:
        declared[check.name] = copy.copy(check)
        check.raise_warning = False
    for column in schema.columns.values():
        for check in column.checks:
            declared[check.name] = copy.copy(check)
            check.raise_warning = False
    return schema, declared


def run_checks(
    frame: pd.DataFrame, model: type[pa.DataFrameModel]
) -> dict[Any, list[CheckFailure]]:
    """Every check failure of every row, by the frame's index."""
    schema, declared = _all_checks_raise(model)
    try:
        schema.validate(frame, lazy=True)
        return {}
    except pa.errors.SchemaErrors as errors:
        failure_cases = errors.failure_cases
    failures: dict[Any, list[CheckFailure]] = {}
    seen: set[tuple[Any, str]] = set()
    for case in failure_cases.itertuples(index=False):
        check_name = str(case.check)
        if case.index is None or pd.isna(case.index):
            # A failure of the whole frame (a wrong dtype): a bug in normalize, not bad data.
            raise RuntimeError(f"{model.__name__}: {check_name} failed for column {case.column}")
        if (case.index, check_name) in seen:
            continue
        seen.add((case.index, check_name))
        check = declared.get(check_name)
        shows = (check.statistics or {}).get("shows", []) if check is not None else []
        row = frame.loc[case.index]
        shown = shows or [str(case.column)]
        values = ", ".join(
            f"{name}={_show(row[name])}" if _show(row[name]) else f"{name} missing"
            for name in shown
            if name in row
        )
        description = (check.description if check is not None else None) or check_name
        failures.setdefault(case.index, []).append(
            CheckFailure(
                check_name=check_name,
                severity="warning" if check is not None and check.raise_warning else "error",
                column_name=shown[0],
                value=_show(row[shown[0]]) if shown[0] in row else "",
                reason=f"{description} ({values})" if values else description,
            )
        )
    return failures


def _show(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _duplicate_key(poll: PollRecord, results: list[PollResultRecord]) -> str:
    answers = ";".join(f"{r['option']}={r['share']}" for r in results)
    fields = (
        poll["pollster"],
        poll["client"],
        poll["fieldwork_start"],
        poll["fieldwork_end"],
        poll["sample_size"],
        answers,
    )
    return "|".join("" if value is None else str(value) for value in fields)


def validate_batch(
    articles: list[NormalizedArticle], run: RunInfo, refused: list[ArticleError] | None = None
) -> ValidatedBatch:
    """Validate a batch of articles; split their rows into loadable, rejected and warned."""
    polls: list[PollRecord] = []
    duplicates_of: list[str] = []
    results_by_poll: dict[str, list[PollResultRecord]] = {}
    rejected: list[RejectedRowRecord] = []
    for normalized in articles:
        first_with_key: dict[str, str] = {}
        for result in normalized.poll_results:
            results_by_poll.setdefault(result.poll_id, []).append(result)
        for poll in normalized.polls:
            key = _duplicate_key(poll, results_by_poll.get(poll.poll_id, []))
            duplicates_of.append(first_with_key.setdefault(key, poll.poll_id))
            polls.append(poll)
        rejected += normalized.rejected

    # The polls with the staging columns their row checks need (see PollCandidate).
    poll_frame = _frame(polls, Poll).assign(run_date=run.run_date, duplicate_of=duplicates_of)
    poll_frame = poll_frame[list(PollCandidate.to_schema().columns)]
    results_frame = _frame([r for n in articles for r in n.poll_results], PollResult)
    failures = run_checks(poll_frame, PollCandidate)
    result_failures = run_checks(results_frame, PollResult)

    failures_by_poll: dict[str, list[CheckFailure]] = {}
    for index, found in failures.items():
        failures_by_poll.setdefault(poll_frame.at[index, "poll_id"], []).extend(found)
    for index, found in result_failures.items():
        failures_by_poll.setdefault(results_frame.at[index, "poll_id"], []).extend(found)

    warnings: list[FindingRecord] = []
    rejected_ids: set[str] = set()
    for poll in polls:
        found = failures_by_poll.get(poll.poll_id, [])
        errors = [failure for failure in found if failure.severity == "error"]
        lineage = {
            "article_id": poll.article_id, "article_title": poll.article_title,
            "source_path": poll.source_path, "table_index": poll.table_index,
            "row_index": poll.row_index, "source_line": poll.source_line,
        }  # fmt: skip
        if errors:
            rejected_ids.add(poll.poll_id)
            rejected += [
                RejectedRowRecord(
                    **lineage, raw_text=poll.raw_text, check_name=failure.check_name,
                    column_name=failure.column_name, value=failure.value, reason=failure.reason,
                )
                for failure in errors
            ]  # fmt: skip
            continue
        warnings += [
            FindingRecord(
                **lineage, poll_id=poll.poll_id, check_name=failure.check_name,
                column_name=failure.column_name, value=failure.value, detail=failure.reason,
            )
            for failure in found
        ]  # fmt: skip

    # Findings normalize made itself (a value refused, a table not read): warnings, kept with
    # their poll only when the poll loads.
    warnings += [
        finding
        for normalized in articles
        for finding in normalized.findings
        if finding.poll_id is None or finding.poll_id not in rejected_ids
    ]

    for error in refused or []:
        rejected.append(RejectedRowRecord(
            article_id=error.source_path, article_title=error.source_path,
            source_path=error.source_path, table_index=None, row_index=None,
            source_line=error.line, raw_text="", check_name=error.check_name,
            column_name="", value="", reason=error.reason,
        ))  # fmt: skip

    loaded_polls = poll_frame[~poll_frame["poll_id"].isin(rejected_ids)]
    frames = {
        "articles": _frame([_article_record(n, run) for n in articles], Article),
        "article_tables": _frame([t for n in articles for t in n.tables], ArticleTable),
        "polls": Poll.validate(loaded_polls.drop(columns=["run_date", "duplicate_of"])),
        "poll_results": results_frame[~results_frame["poll_id"].isin(rejected_ids)],
        "events": _frame([e for n in articles for e in n.events], Event),
        "source_cells": _frame(
            [c for n in articles for c in n.source_cells if c.record_id not in rejected_ids],
            SourceCell,
        ),
        "rejected_rows": _frame(rejected, RejectedRow),
        "skipped_rows": _frame([s for n in articles for s in n.skipped], SkippedRow),
        "quality_warnings": _frame(warnings, QualityWarning),
    }
    for name in (
        "articles",
        "article_tables",
        "events",
        "source_cells",
        "rejected_rows",
        "skipped_rows",
        "quality_warnings",
    ):
        frames[name] = _validate_contract(frames[name], name)
    frames["poll_results"] = PollResult.validate(frames["poll_results"])
    return ValidatedBatch(frames, list(refused or []), account_rows(frames))


_MODELS = {
    "articles": Article, "article_tables": ArticleTable, "events": Event,
    "source_cells": SourceCell, "rejected_rows": RejectedRow, "skipped_rows": SkippedRow,
    "quality_warnings": QualityWarning,
}  # fmt: skip


def _validate_contract(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """Coerce to the contract's types; a failure here is a bug in wikipoll, not bad input."""
    return _MODELS[name].validate(frame, lazy=True)


def _article_record(normalized: NormalizedArticle, run: RunInfo) -> ArticleRecord:
    article = normalized.article
    unknown = ", ".join(
        f"{name}×{count}" for name, count in sorted(article.unknown_templates.items())
    )
    return ArticleRecord(
        article_id=article.article_id,
        title=article.title,
        source_path=article.source_path,
        content_sha256=article.content_sha256,
        format=article.format,
        tables_found=len(normalized.tables),
        unknown_templates=unknown,
        loaded_at=pd.Timestamp(run.started_at),
        run_id=run.run_id,
        file_size=article.file_size,
        file_mtime_ns=article.file_mtime_ns,
        control_characters_replaced=article.control_characters_replaced,
        page_id=article.page_id,
        revision_id=article.revision_id,
        revision_timestamp=article.revision_timestamp,
    )
