"""What the stages hand each other besides the articles: the run, and the typed records.

`RunInfo` is the run's identity (its id, when it started, and the day dates are checked against);
the check and load stages and the flow need it. The record classes below are what the shape stage
makes of an article's rows, one class per warehouse table, and the check stage validates.
"""

from __future__ import annotations

import operator
import uuid
from dataclasses import dataclass, make_dataclass
from datetime import UTC, date, datetime
from typing import Any

from schemas import warehouse


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    started_at: datetime  # UTC, naive: DuckDB TIMESTAMP
    run_date: date  # dates are checked against this day


def new_run(run_id: str | None = None, run_date: date | None = None) -> RunInfo:
    started_at = datetime.now(UTC).replace(tzinfo=None)
    return RunInfo(
        run_id=run_id or uuid.uuid4().hex,
        started_at=started_at,
        run_date=run_date or started_at.date(),
    )


# --- typed records: one class per warehouse table, made from its contract -----------------------
#
# The shape stage makes these, the check stage turns them into frames. Each class has exactly the
# columns of its pandera model (`schemas/warehouse.py`), as keyword-only fields with no defaults:
# a misspelt or a forgotten field is a TypeError where the record is made, never a NULL in the
# warehouse. They read like the rows they become (`record["pollster"]`).


def _record_class(model: type, name: str) -> type:
    columns = tuple(model.to_schema().columns)
    cls = make_dataclass(name, [(column, Any) for column in columns], slots=True, kw_only=True)
    row = operator.attrgetter(*columns)
    cls.__module__ = __name__
    cls.__doc__ = f"A row of `{model.Config.name}`: {model.__doc__ or ''}".strip()
    cls.COLUMNS = columns
    cls.as_row = lambda self: row(self)  # the values, in the model's column order
    cls.as_dict = lambda self: dict(zip(columns, row(self), strict=True))
    cls.__getitem__ = lambda self, key: getattr(self, key)
    return cls


ArticleRecord = _record_class(warehouse.Article, "ArticleRecord")
TableRecord = _record_class(warehouse.ArticleTable, "TableRecord")
PollRecord = _record_class(warehouse.Poll, "PollRecord")
PollResultRecord = _record_class(warehouse.PollResult, "PollResultRecord")
EventRecord = _record_class(warehouse.Event, "EventRecord")
SourceCellRecord = _record_class(warehouse.SourceCell, "SourceCellRecord")
RejectedRowRecord = _record_class(warehouse.RejectedRow, "RejectedRowRecord")
SkippedRowRecord = _record_class(warehouse.SkippedRow, "SkippedRowRecord")
FindingRecord = _record_class(warehouse.QualityWarning, "FindingRecord")
