"""Stage 5, load: write a validated batch into the DuckDB warehouse in one transaction.

The tables are created from the pandera models in `schemas/` (their descriptions become column
comments, so `duckdb_columns()` is a data dictionary too). A run replaces, article by article,
every row the articles had before, so a re-run of the same input leaves the same rows and a changed
file has its rows replaced; a failure anywhere rolls the whole run back. Frames go in as whole
DataFrames: row-by-row inserts load about 2.6 k rows/s, a DataFrame scan millions.

A DuckDB writer locks every other process out of the file, readers included, so the connection is
opened only for the load, and a run that finds the file locked waits a bounded time for it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pandera.pandas as pa

from flows.validate import RunInfo, ValidatedBatch
from schemas.warehouse import WAREHOUSE_TABLES, LoadRun

VIEWS_SQL = Path(__file__).resolve().parent.parent / "warehouse" / "views.sql"
DEFAULT_LOCK_WAIT_SECONDS = 60.0

# Tables whose rows belong to one article through an article_id column.
_ARTICLE_TABLES = ("articles", "article_tables", "polls", "events", "rejected_rows",
                   "skipped_rows", "quality_warnings")  # fmt: skip


class WarehouseError(Exception):
    """The warehouse file cannot be used: locked, of another layout, or not writable."""


@dataclass(frozen=True)
class LoadSummary:
    run_id: str
    articles: int
    polls: int
    events: int
    rejected: int
    skipped: int
    warnings: int
    repaired: int


def sql_type(dtype: object) -> str:
    name = str(dtype).lower()
    if name in ("str", "string", "string[pyarrow]", "string[python]"):
        return "VARCHAR"
    if name in ("int64", "int32"):
        return "INTEGER"
    if name.startswith("float"):
        return "DOUBLE"
    if name == "bool":
        return "BOOLEAN"
    if name == "date":
        return "DATE"
    if name.startswith("datetime64"):
        return "TIMESTAMP"
    raise TypeError(f"no DuckDB type for pandera dtype {dtype}")


def table_ddl(name: str, model: type[pa.DataFrameModel]) -> list[str]:
    """CREATE TABLE for a model, then a COMMENT per column carrying its description."""
    schema = model.to_schema()
    columns = ",\n  ".join(
        f"{column} {sql_type(spec.dtype)}{'' if spec.nullable else ' NOT NULL'}"
        for column, spec in schema.columns.items()
    )
    statements = [f"CREATE TABLE IF NOT EXISTS {name} (\n  {columns}\n)"]
    if schema.description or model.__doc__:
        statements.append(f"COMMENT ON TABLE {name} IS {_quote(model.__doc__ or '')}")
    statements += [
        f"COMMENT ON COLUMN {name}.{column} IS {_quote(spec.description or '')}"
        for column, spec in schema.columns.items()
    ]
    return statements


def _quote(text: str) -> str:
    return "'" + " ".join(text.split()).replace("'", "''") + "'"


def connect(
    path: Path,
    read_only: bool = False,
    wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS,
    on_wait: Callable[[str], None] | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse, waiting up to `wait_seconds` while another process holds its lock.

    `on_wait` is told once, with a message, when the wait begins, so a user sees why nothing
    happens yet.
    """
    if read_only and not path.exists():
        raise WarehouseError(f"{path}: no warehouse here yet; `wikipoll run` creates it")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_seconds
    delay = 0.05
    told = False
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as error:
            if "lock" not in str(error).lower():
                raise WarehouseError(f"{path}: {error}") from None
            if on_wait is not None and not told:
                on_wait(f"{path} is locked by a load; waiting up to {wait_seconds:.0f} s for it")
                told = True
            if time.monotonic() >= deadline:
                holder = re.search(r"PID \d+", str(error))
                raise WarehouseError(
                    f"{path} is locked by another process"
                    f"{f' ({holder.group(0)})' if holder else ''}; waited {wait_seconds:.0f} s. "
                    "A load holds the file while it writes; try again when it has finished."
                ) from None
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create missing tables; refuse a table whose columns are not the contract's."""
    existing = {
        table: [
            column
            for (column,) in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE table_name = ? AND schema_name = "
                "current_schema() ORDER BY column_index",
                [table],
            ).fetchall()
        ]
        for table in WAREHOUSE_TABLES
    }
    for name, model in WAREHOUSE_TABLES.items():
        expected = list(model.to_schema().columns)
        if not existing[name]:
            for statement in table_ddl(name, model):
                con.execute(statement)
        elif existing[name] != expected:
            raise WarehouseError(
                f"table {name} has columns {existing[name]}, this version of wikipoll expects "
                f"{expected}: the file was made by another version. Load into a new file, or "
                "delete this one and run again (it is rebuilt from raw/)."
            )


def create_views(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(VIEWS_SQL.read_text(encoding="utf-8"))


def load_batch(
    warehouse: Path,
    batch: ValidatedBatch,
    run: RunInfo,
    raw_dir: str,
    wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS,
) -> LoadSummary:
    """Replace the batch's articles in the warehouse and record the run, all or nothing."""
    frames = batch.frames
    article_ids = sorted(
        set(frames["articles"]["article_id"]) | {error.source_path for error in batch.refused_files}
    )
    summary = LoadSummary(
        run_id=run.run_id,
        articles=len(frames["articles"]),
        polls=len(frames["polls"]),
        events=len(frames["events"]),
        rejected=len(frames["rejected_rows"]),
        skipped=len(frames["skipped_rows"]),
        warnings=len(frames["quality_warnings"]),
        repaired=int(frames["polls"]["repair"].notna().sum()),
    )
    con = connect(warehouse, wait_seconds=wait_seconds)
    try:
        con.execute("BEGIN TRANSACTION")
        ensure_tables(con)
        _delete_articles(con, article_ids)
        for name in WAREHOUSE_TABLES:
            if name != "load_runs" and len(frames[name]):
                _insert(con, name, frames[name])
        _insert(con, "load_runs", _load_run_frame(run, raw_dir, summary, batch))
        create_views(con)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.close()
    return summary


def _delete_articles(con: duckdb.DuckDBPyConnection, article_ids: list[str]) -> None:
    if not article_ids:
        return
    replaced = pd.DataFrame({"article_id": pd.Series(article_ids, dtype="string")})
    con.register("replaced_frame", replaced)
    con.execute("CREATE OR REPLACE TEMP TABLE replaced_articles AS SELECT * FROM replaced_frame")
    con.unregister("replaced_frame")
    con.execute("""
        DELETE FROM poll_results WHERE poll_id IN (
            SELECT poll_id FROM polls JOIN replaced_articles USING (article_id))
    """)
    con.execute("""
        DELETE FROM source_cells WHERE record_id IN (
            SELECT poll_id FROM polls JOIN replaced_articles USING (article_id)
            UNION ALL
            SELECT event_id FROM events JOIN replaced_articles USING (article_id))
    """)
    for table in _ARTICLE_TABLES:
        con.execute(
            f"DELETE FROM {table} WHERE article_id IN (SELECT article_id FROM replaced_articles)"
        )


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    con.register("incoming_frame", frame)
    try:
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM incoming_frame")
    finally:
        con.unregister("incoming_frame")


def _load_run_frame(
    run: RunInfo, raw_dir: str, summary: LoadSummary, batch: ValidatedBatch
) -> pd.DataFrame:
    record = {
        "run_id": run.run_id,
        "started_at": pd.Timestamp(run.started_at),
        "finished_at": pd.Timestamp(datetime.now(UTC).replace(tzinfo=None)),
        "status": "completed",
        "raw_dir": raw_dir,
        "articles": summary.articles,
        "articles_refused": len(batch.refused_files),
        "polls": summary.polls,
        "events": summary.events,
        "rejected": summary.rejected,
        "skipped": summary.skipped,
        "warnings": summary.warnings,
        "repaired": summary.repaired,
    }
    return LoadRun.validate(pd.DataFrame([record]))
