"""Stage 5, load: write a validated batch into the DuckDB warehouse in one transaction.

The tables are created from the pandera models in `schemas/` (their descriptions become column
comments, so `duckdb_columns()` is a data dictionary too). A run replaces, article by article,
every row the articles had before, so a re-run of the same input leaves the same rows and a changed
file has its rows replaced; a failure anywhere rolls the whole run back. Frames go in as whole
DataFrames: row-by-row inserts load about 2.6 k rows/s, a DataFrame scan millions. The many
batches of a dump are spooled to Parquet beside the warehouse first and go in as one bulk insert
per table, which keeps a long transaction's memory flat (see `WarehouseLoad.spool`).

A DuckDB writer locks every other process out of the file, readers included, so the connection is
opened only for the load, and a run that finds the file locked waits a bounded time for it.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_arrow
import pyarrow.parquet as pq

from flows.check.validate import ValidatedBatch
from flows.records import RunInfo
from flows.settings import DEFAULTS, settings
from schemas.warehouse import WAREHOUSE_TABLES, LoadRun

VIEWS_SQL = Path(__file__).resolve().parents[2] / "warehouse" / "views.sql"

# Tables whose rows belong to one article through an article_id column.
_ARTICLE_TABLES = ("articles", "article_tables", "polls", "events", "rejected_rows",
                   "skipped_rows", "quality_warnings")  # fmt: skip


class WarehouseError(Exception):
    """The warehouse file cannot be used: locked, of another layout, or not writable."""


@dataclass
class LoadSummary:
    """What a run wrote: the counts `load_runs` records and `wikipoll run` prints."""

    run_id: str
    articles: int = 0
    articles_unchanged: int = 0
    articles_refused: int = 0
    articles_pruned: int = 0
    polls: int = 0
    events: int = 0
    rejected: int = 0
    skipped: int = 0
    warnings: int = 0
    repaired: int = 0
    rows_in: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_skipped: int = 0

    def add(self, batch: ValidatedBatch) -> None:
        frames = batch.frames
        self.articles += len(frames["articles"])
        self.articles_refused += len(batch.refused_files)
        self.polls += len(frames["polls"])
        self.events += len(frames["events"])
        self.rejected += len(frames["rejected_rows"])
        self.skipped += len(frames["skipped_rows"])
        self.warnings += len(frames["quality_warnings"])
        self.repaired += int(frames["polls"]["repair"].notna().sum())
        self.rows_in += batch.accounting.rows_in
        self.rows_loaded += batch.accounting.loaded
        self.rows_rejected += batch.accounting.rejected
        self.rows_skipped += batch.accounting.skipped


def sql_type(column: pa.Column) -> str:
    """The DuckDB type of a model's column: its `metadata["sql_type"]`, else from its dtype."""
    if column.metadata and "sql_type" in column.metadata:
        return column.metadata["sql_type"]
    name = str(column.dtype).lower()
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
    raise TypeError(f"no DuckDB type for pandera dtype {column.dtype}")


# Built once, at import: pandera builds a model's schema lazily and again in every thread, and its
# first build imports more of pandera (and dask), which would otherwise land inside a run.
_SCHEMAS = {model: model.to_schema() for model in WAREHOUSE_TABLES.values()}


def _schema(model: type[pa.DataFrameModel]) -> pa.DataFrameSchema:
    return _SCHEMAS[model]


def table_ddl(name: str, model: type[pa.DataFrameModel]) -> list[str]:
    """CREATE TABLE for a model, then a COMMENT per column carrying its description."""
    schema = _schema(model)
    columns = ",\n  ".join(
        f"{column} {sql_type(spec)}{'' if spec.nullable else ' NOT NULL'}"
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
    wait_seconds: float = DEFAULTS.lock_wait_seconds,
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
    existing: dict[str, list[str]] = {table: [] for table in WAREHOUSE_TABLES}
    for table, column in con.execute(
        "SELECT table_name, column_name FROM duckdb_columns() WHERE schema_name = "
        "current_schema() AND list_contains(?, table_name) ORDER BY table_name, column_index",
        [list(WAREHOUSE_TABLES)],
    ).fetchall():
        existing[table].append(column)
    missing: list[str] = []
    for name, model in WAREHOUSE_TABLES.items():
        expected = list(_schema(model).columns)
        if not existing[name]:
            missing += table_ddl(name, model)
        elif existing[name] != expected:
            raise WarehouseError(
                f"table {name} has columns {existing[name]}, this version of wikipoll expects "
                f"{expected}: the file was made by another version. Load into a new file, or "
                "delete this one and run again (it is rebuilt from raw/)."
            )
    if missing:  # one call: a statement per call costs milliseconds each, and there are ~150
        con.execute(";\n".join(missing))


def create_views(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(VIEWS_SQL.read_text(encoding="utf-8"))


def stored_files(warehouse: Path) -> dict[str, tuple[int | None, int | None, str]]:
    """Each loaded article's file size, mtime and content hash: what a re-run compares against."""
    if not warehouse.exists():
        return {}
    con = connect(warehouse, read_only=True)
    try:
        if not con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'articles'"
        ).fetchone()[0]:
            return {}
        rows = con.execute(
            "SELECT article_id, file_size, file_mtime_ns, content_sha256 FROM articles"
        ).fetchall()
    finally:
        con.close()
    return {article_id: (size, mtime, sha) for article_id, size, mtime, sha in rows}


def begin_run(warehouse: Path, run: RunInfo, raw_dir: str,
              wait_seconds: float = DEFAULTS.lock_wait_seconds) -> list[str]:  # fmt: skip
    """Record the run as 'running', and any earlier run whose process died as 'interrupted'.

    Returns the ids of the runs found interrupted. Committed on its own, so a run killed later
    (`kill -9`) leaves a 'running' row that the next run finds and marks.
    """
    con = connect(warehouse, wait_seconds=wait_seconds)
    try:
        con.execute("BEGIN TRANSACTION")
        ensure_tables(con)
        interrupted = [
            run_id
            for run_id, host, pid in con.execute(
                "SELECT run_id, host, pid FROM load_runs WHERE status = 'running'"
            ).fetchall()
            if host == socket.gethostname() and not _process_alive(pid)
        ]
        if interrupted:
            con.execute(
                "UPDATE load_runs SET status = 'interrupted' WHERE list_contains(?, run_id)",
                [interrupted],
            )
        _record_run(con, run, raw_dir, LoadSummary(run.run_id), "running")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.close()
    return interrupted


def fail_run(warehouse: Path, run: RunInfo, error: BaseException) -> None:
    """Mark the run 'failed' with the reason; the warehouse itself was left as it was."""
    try:
        con = connect(warehouse, wait_seconds=DEFAULTS.lock_wait_seconds)
    except WarehouseError:
        return  # the run's row stays 'running' and the next run marks it interrupted
    try:
        con.execute(
            "UPDATE load_runs SET status = 'failed', finished_at = ?, error = ? WHERE run_id = ?",
            [datetime.now(UTC).replace(tzinfo=None), f"{type(error).__name__}: {error}"[:2000],
             run.run_id],
        )  # fmt: skip
    finally:
        con.close()


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class WarehouseLoad:
    """One write transaction: replace articles batch by batch, then record the run and commit.

    Everything written inside it appears at once, at commit, or not at all: a failure or a
    killed process leaves the warehouse exactly as it was before the run.
    """

    def __init__(self, warehouse: Path, run: RunInfo, raw_dir: str,
                 wait_seconds: float = DEFAULTS.lock_wait_seconds):  # fmt: skip
        self.warehouse, self.run, self.raw_dir = warehouse, run, raw_dir
        self.wait_seconds = wait_seconds
        self.summary = LoadSummary(run.run_id)
        self.con: duckdb.DuckDBPyConnection | None = None
        # Batches written to Parquet beside the warehouse, loaded in bulk later: see spool().
        self.spool_dir = warehouse.with_name(warehouse.name + ".spool")
        self.spooled_files: dict[str, list[str]] = {}
        self.spooled_articles: set[str] = set()

    def __enter__(self) -> WarehouseLoad:
        self.con = connect(self.warehouse, wait_seconds=self.wait_seconds)
        # Flush each full row group of a bulk insert to disk rather than buffering five of them
        # per table, and keep DuckDB's buffers small (it spills to <warehouse>.tmp beyond): a
        # dump's bulk insert then adds about 25 MB instead of 170 MB.
        self.con.execute("SET write_buffer_row_group_count = 1")
        limit = settings().load_memory_limit  # WIKIPOLL_LOAD_MEMORY_LIMIT, else 128MB
        try:
            self.con.execute("SET memory_limit = ?", [limit])
        except duckdb.Error as error:
            self.con.close()
            raise WarehouseError(
                f"WIKIPOLL_LOAD_MEMORY_LIMIT={limit!r} is not a size DuckDB accepts: {error}"
            ) from None
        self.con.execute("BEGIN TRANSACTION")
        ensure_tables(self.con)
        shutil.rmtree(self.spool_dir, ignore_errors=True)  # left by a run that was killed
        return self

    def write(self, batch: ValidatedBatch) -> None:
        """Replace the batch's articles (and the refused files' earlier rows) with its rows."""
        assert self.con is not None
        self.load_spooled()
        _delete_articles(self.con, sorted(_article_ids(batch)))
        for name, frame in _frames_to_load(batch):
            _insert(self.con, name, frame)
        self.summary.add(batch)
        _pause_for_tests()

    def spool(self, batch: ValidatedBatch) -> None:
        """Like `write`, for one of many batches (a dump's): the batch goes to Parquet files
        beside the warehouse, and all of them are loaded in one bulk insert per table later.

        Each append inside a DuckDB transaction grows its uncommitted state for good, whatever
        `memory_limit` says (about 300 MB over the batches of a 1 GB dump), and so does a
        DuckDB `COPY ... TO` inside it; files written by pyarrow, then one bulk insert from
        Parquet per table, keep the load's memory flat (benchmarks/pipeline.py, section 3b).
        """
        assert self.con is not None
        article_ids = _article_ids(batch)
        if article_ids & self.spooled_articles:  # the same page twice: the later one wins
            self.load_spooled()
        self.spool_dir.mkdir(exist_ok=True)
        for name, frame in _frames_to_load(batch):
            files = self.spooled_files.setdefault(name, [])
            path = (self.spool_dir / f"{name}-{len(files):06d}.parquet").as_posix()
            table = pa_arrow.Table.from_pandas(
                frame, schema=_arrow_schema(name), preserve_index=False, safe=True
            )
            pq.write_table(table, path)
            files.append(path)
        self.spooled_articles |= article_ids
        self.summary.add(batch)
        _pause_for_tests()

    def load_spooled(self) -> None:
        """Replace the spooled batches' articles with their rows, one bulk insert per table."""
        assert self.con is not None
        if not self.spooled_articles:
            return
        _delete_articles(self.con, sorted(self.spooled_articles))
        for name, files in self.spooled_files.items():
            self.con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM read_parquet(?)", [files])
        self.spooled_files, self.spooled_articles = {}, set()
        shutil.rmtree(self.spool_dir, ignore_errors=True)

    def prune(self, keep: set[str]) -> int:
        """Delete every article not in `keep` (their files are gone); returns how many."""
        assert self.con is not None
        self.load_spooled()
        stored = {row[0] for row in self.con.execute("SELECT article_id FROM articles").fetchall()}
        stored |= {row[0] for row in self.con.execute(
            "SELECT DISTINCT article_id FROM rejected_rows").fetchall()}  # fmt: skip
        gone = sorted(stored - keep)
        _delete_articles(self.con, gone)
        self.summary.articles_pruned += len(gone)
        return len(gone)

    def __exit__(self, kind, error, traceback) -> None:
        assert self.con is not None
        try:
            if error is None:
                self.load_spooled()
                self.con.execute("DELETE FROM load_runs WHERE run_id = ?", [self.run.run_id])
                _record_run(self.con, self.run, self.raw_dir, self.summary, "completed")
                create_views(self.con)
                self.con.execute("COMMIT")
            else:
                self.con.execute("ROLLBACK")
        finally:
            self.con.close()
            shutil.rmtree(self.spool_dir, ignore_errors=True)


def _pause_for_tests() -> None:
    """A test hook: hold a load mid-transaction, so a test can kill the process there."""
    seconds = os.environ.get("WIKIPOLL_TEST_PAUSE_IN_LOAD")
    if seconds:
        print("wikipoll: test pause in load", file=sys.stderr, flush=True)
        time.sleep(float(seconds))


def load_batch(
    warehouse: Path,
    batch: ValidatedBatch,
    run: RunInfo,
    raw_dir: str,
    wait_seconds: float = DEFAULTS.lock_wait_seconds,
) -> LoadSummary:
    """Replace the batch's articles in the warehouse and record the run, all or nothing."""
    with WarehouseLoad(warehouse, run, raw_dir, wait_seconds) as load:
        load.write(batch)
    return load.summary


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


def _article_ids(batch: ValidatedBatch) -> set[str]:
    """The articles a batch replaces: those it loads, and the refused files' earlier rows."""
    article_ids = set(batch.frames["articles"]["article_id"])
    return article_ids | {error.source_path for error in batch.refused_files}


def _frames_to_load(batch: ValidatedBatch) -> list[tuple[str, pd.DataFrame]]:
    return [
        (name, batch.frames[name])
        for name in WAREHOUSE_TABLES
        if name != "load_runs" and len(batch.frames[name])
    ]


# What each column's DuckDB type is written as in a spooled Parquet file; DuckDB casts it back.
_ARROW_TYPES = {
    "VARCHAR": pa_arrow.string(),
    "INTEGER": pa_arrow.int64(),
    "BIGINT": pa_arrow.int64(),
    "DOUBLE": pa_arrow.float64(),
    "BOOLEAN": pa_arrow.bool_(),
    "DATE": pa_arrow.date32(),
    "TIMESTAMP": pa_arrow.timestamp("us"),
}


def _arrow_schema(table: str) -> pa_arrow.Schema:
    """The table's columns as an Arrow schema, so every spooled file of a table has the same
    one (a column that is empty in one batch has no type of its own)."""
    schema = _schema(WAREHOUSE_TABLES[table])
    return pa_arrow.schema(
        [(column, _ARROW_TYPES[sql_type(spec)]) for column, spec in schema.columns.items()]
    )


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    con.register("incoming_frame", frame)
    try:
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM incoming_frame")
    finally:
        con.unregister("incoming_frame")


def _record_run(
    con: duckdb.DuckDBPyConnection, run: RunInfo, raw_dir: str, summary: LoadSummary, status: str
) -> None:
    """Insert the run's row into load_runs: its counts, status and where it ran.

    One row of values we made ourselves: a parameterized INSERT, which DuckDB checks against the
    table's types, costs less than building and validating a frame.
    """
    counts = {name: getattr(summary, name) for name in LoadSummary.__dataclass_fields__}
    record = {
        **counts,
        "run_id": run.run_id,
        "started_at": run.started_at,
        "finished_at": None if status == "running" else datetime.now(UTC).replace(tzinfo=None),
        "status": status,
        "error": None,
        "raw_dir": raw_dir,
        "host": socket.gethostname(),
        "pid": os.getpid(),
    }
    assert set(record) == set(_schema(LoadRun).columns), "load_runs columns changed"
    con.execute(
        f"INSERT INTO load_runs ({', '.join(record)}) VALUES ({', '.join('?' * len(record))})",
        list(record.values()),
    )
