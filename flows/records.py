"""What the stages hand each other below the articles themselves: the run a batch is read for.

`RunInfo` is the run's identity (its id, when it started, and the day dates are checked against);
the shape stage does not need it, the check and load stages and the flow do.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime


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
