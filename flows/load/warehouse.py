"""Stage 5, load: write a validated batch into the DuckDB warehouse in one transaction.

The tables are created from the pandera models in `schemas/` (their descriptions become column
comments, so `duckdb_columns()` is a data dictionary too). A run replaces, article by article,
every row the articles had before, so a re-run of the same input leaves the same rows and a changed
file has its rows replaced; a failure anywhere rolls the whole run back. Frames go in as whole
DataFrames: row-by-row inserts load about 2.6 k rows/s, a DataFrame scan millions. The many
batches of a dump are spooled to Parquet beside the warehouse first and go in as one bulk insert
per table, which keeps a long transaction's memory flat (see `WarehouseLoad.spool`).

An article's rows are replaced only by a successful read of it. A file refused by a run (over its
parse budget, its worker crashed, gone between listing and reading) keeps the rows of its last good
read; its `articles` row says why the read failed (`last_error`, `last_error_at`), the run counts it
in `articles_stale`, and the next run reads it again, changed or not. A refused file that was never
loaded is only in `rejected_rows`.

The tables are the contract's by name, DuckDB type and nullability, checked whenever a writer
opens the file (`ensure_tables`). A warehouse written by an earlier wikipoll is upgraded in place,
in the run's transaction: missing tables are created, missing columns added (NULL, or the column's
`upgrade_default` for a NOT NULL one), comments and views made again. Each time the layout changes,
a row of `schema_versions` records the version it now has (`schemas.warehouse.SCHEMA_VERSION`),
when, by which wikipoll, and what changed; a file without the table is version 1. What cannot be
done safely is refused with the way out: a column whose type or nullability differs (changed by
hand, or by another version), a column or a schema version this wikipoll does not know.

A damaged file is refused when it is opened, before anything is read or written (`connect`): one
DuckDB cannot open, one that ends before the last block its own index points to (a file cut short
opens, lists its tables and counts their rows; only reading the rows fails, later), one whose
tables' first rows cannot be read back.

A DuckDB writer locks every other process out of the file, readers included, so the connection is
opened only for the load, and a run that finds the file locked waits a bounded time for it. Every
connection is closed on every path, and let go: a failed task's exception is kept (by Prefect) to
the end of the process, and DuckDB reports each connection its frames still hold as leaked at exit.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.resources as resources
import os
import shutil
import socket
import sys
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_arrow
import pyarrow.parquet as pq

from flows.check.validate import ValidatedBatch
from flows.load.connection import WarehouseError, connect, damaged_warehouse, let_go
from flows.read.errors import ArticleError
from flows.records import RunInfo
from flows.settings import DEFAULTS, settings
from schemas.warehouse import SCHEMA_VERSION, WAREHOUSE_TABLES, LoadRun

# Package data (pyproject.toml), so an installed wikipoll finds it wherever it runs.
VIEWS_SQL = resources.files("flows.load").joinpath("views.sql")

# Tables whose rows belong to one article through an article_id column.
_ARTICLE_TABLES = ("articles", "article_tables", "polls", "events", "rejected_rows",
                   "skipped_rows", "quality_warnings")  # fmt: skip
# Tables the load writes itself; every other table's rows come from the validated batches.
_RUN_TABLES = ("load_runs", "schema_versions")


@dataclass
class LoadSummary:
    """What a run wrote: the counts `load_runs` records and `wikipoll run` prints."""

    run_id: str
    articles: int = 0
    articles_unchanged: int = 0
    articles_refused: int = 0
    articles_stale: int = 0  # refused, and keeping the rows of an earlier good read
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

    def add(self, batch: ValidatedBatch, kept: Collection[str] = ()) -> None:
        """Count a batch as written; `kept` are its refused articles that keep their rows (their
        refusal is on their `articles` row, not in `rejected_rows`)."""
        frames = batch.frames
        self.articles += len(frames["articles"])
        self.articles_refused += len(batch.refused_files)
        self.articles_stale += len(kept)
        self.polls += len(frames["polls"])
        self.events += len(frames["events"])
        rejected = frames["rejected_rows"]["article_id"]
        self.rejected += len(rejected) - int(rejected.isin(kept).sum())
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


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back, when there is something to: an error here must not hide the one that led
    here, and closing the connection discards an open transaction anyway."""
    with contextlib.suppress(duckdb.Error):
        con.execute("ROLLBACK")


# --- the layout: the contract's tables and columns, upgraded in place --------------------------


def _declared(sql_type_name: str, nullable: bool) -> str:
    return sql_type_name if nullable else f"{sql_type_name} NOT NULL"


def _literal(value: object) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _wikipoll_version() -> str:
    try:
        return importlib.metadata.version("wikipoll")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def ensure_tables(con: duckdb.DuckDBPyConnection, warehouse: Path | str = "the warehouse") -> str:
    """Bring the warehouse's tables to the contract's layout, or refuse with what differs.

    Missing tables are created, missing columns added, a NOT NULL the contract dropped is
    dropped, comments follow the descriptions; then the views are made again and the new
    schema version recorded. Refused, all at once, before anything changes: a column whose type
    differs or that allows NULL where the contract does not, a column the contract does not
    know, a NOT NULL column no value can be given to, a schema version newer than this one.
    Returns what changed ('' when nothing did). Run it inside the caller's transaction.
    """
    found: dict[str, dict[str, tuple[str, bool, str]]] = {}
    for table, column, data_type, nullable, comment in con.execute(
        "SELECT table_name, c.column_name, c.data_type, c.is_nullable, coalesce(c.comment, '') "
        "FROM duckdb_columns() AS c "
        "JOIN duckdb_tables() AS t USING (database_name, schema_name, table_name) "
        "WHERE database_name = current_database() AND schema_name = current_schema() "
        "AND list_contains(?, table_name) ORDER BY table_name, c.column_index",
        [list(WAREHOUSE_TABLES)],
    ).fetchall():
        found.setdefault(table, {})[column] = (data_type, nullable, comment)
    table_comments = dict(con.execute(
        "SELECT table_name, coalesce(comment, '') FROM duckdb_tables() "
        "WHERE database_name = current_database() AND schema_name = current_schema()"
    ).fetchall())  # fmt: skip
    recorded = _recorded_version(con, found, warehouse)

    statements: list[str] = []  # the layout's changes
    comments: list[str] = []  # descriptions that changed: no new version
    changes: list[str] = []
    problems: list[str] = []
    for name, model in WAREHOUSE_TABLES.items():
        schema = _schema(model)
        if name not in found:
            statements += table_ddl(name, model)
            changes.append(f"created table {name}")
            continue
        have = found[name]
        if table_comments.get(name, "") != _normalized(model.__doc__ or ""):
            comments.append(f"COMMENT ON TABLE {name} IS {_quote(model.__doc__ or '')}")
        for column, spec in schema.columns.items():
            wanted_type, wanted_null = sql_type(spec), spec.nullable
            if column not in have:
                added = _add_column(con, name, column, spec)
                if isinstance(added, str):
                    problems.append(added)
                else:
                    statements += added
                    changes.append(f"added {name}.{column}")
                continue
            data_type, nullable, comment = have[column]
            if data_type != wanted_type or (nullable and not wanted_null):
                problems.append(
                    f"{name}.{column} is {_declared(data_type, nullable)} in the file, "
                    f"{_declared(wanted_type, wanted_null)} in this version"
                )
            elif not nullable and wanted_null:
                statements.append(f"ALTER TABLE {name} ALTER {column} DROP NOT NULL")
                changes.append(f"{name}.{column} allows NULL")
            if comment != _normalized(spec.description or ""):
                comments.append(
                    f"COMMENT ON COLUMN {name}.{column} IS {_quote(spec.description or '')}"
                )
        problems += [
            f"{name}.{column} ({have[column][0]}) is in the file, unknown to this version"
            for column in have
            if column not in schema.columns
        ]
    if problems:
        raise WarehouseError(
            f"{warehouse}: its tables are not those this version of wikipoll "
            f"({_wikipoll_version()}, schema version {SCHEMA_VERSION}) writes, and cannot be "
            f"changed in place safely: {'; '.join(problems)}. To go on, load into a new file "
            "(give another --warehouse), or move this one away and run `wikipoll run` again: "
            "it is rebuilt from raw/ (the run history in load_runs starts anew)."
        )
    # One call: a statement per call costs milliseconds each, and a new warehouse needs ~150.
    if statements or comments:
        con.execute(";\n".join(statements + comments))
    if not statements and recorded == SCHEMA_VERSION:
        return ""
    create_views(con)  # a view over a changed table is made again over the new one
    if len(found) == 0:
        done = "created"
    else:
        done = f"from version {recorded}: " + ", ".join(changes or ["no change to the tables"])
    con.execute(
        "INSERT INTO schema_versions (version, applied_at, wikipoll_version, changes) "
        "VALUES (?, ?, ?, ?)",
        [SCHEMA_VERSION, datetime.now(UTC).replace(tzinfo=None), _wikipoll_version(), done],
    )
    return done


def _normalized(text: str) -> str:
    return " ".join(text.split())


def _recorded_version(
    con: duckdb.DuckDBPyConnection, found: dict[str, dict], warehouse: Path | str
) -> int:
    """The schema version the file has: its latest `schema_versions` row, 1 for a file from
    before the table (0 for an empty one). A newer version than this one is refused."""
    if "schema_versions" not in found:
        return 1 if found else 0
    if not {"version", "wikipoll_version"} <= set(found["schema_versions"]):
        return 0  # the layout check names what is wrong with the table
    latest = con.execute(
        "SELECT version, wikipoll_version FROM schema_versions ORDER BY version DESC, "
        "applied_at DESC LIMIT 1"
    ).fetchall()
    if not latest:
        return 1
    ((version, by),) = latest
    if version > SCHEMA_VERSION:
        raise WarehouseError(
            f"{warehouse} has schema version {version}, written by wikipoll {by}; this wikipoll "
            f"({_wikipoll_version()}) knows schema versions up to {SCHEMA_VERSION} and will not "
            "write to it. Use that wikipoll or a newer one, or load into a new file (give "
            "another --warehouse)."
        )
    return version


def _add_column(
    con: duckdb.DuckDBPyConnection, table: str, column: str, spec: pa.Column
) -> list[str] | str:
    """The statements that add a missing column, or why it cannot be added (a NOT NULL column
    with no `upgrade_default`, to a table that has rows)."""
    declared = sql_type(spec)
    comment = f"COMMENT ON COLUMN {table}.{column} IS {_quote(spec.description or '')}"
    if spec.nullable:
        return [f"ALTER TABLE {table} ADD COLUMN {column} {declared}", comment]
    default = (spec.metadata or {}).get("upgrade_default")
    if default is not None:
        # The default fills the rows there are; a fresh table's column has none, so neither
        # does this one afterwards.
        return [
            f"ALTER TABLE {table} ADD COLUMN {column} {declared} NOT NULL "
            f"DEFAULT {_literal(default)}",
            f"ALTER TABLE {table} ALTER {column} DROP DEFAULT",
            comment,
        ]
    ((rows,),) = con.execute(f"SELECT count(*) FROM {table}").fetchall()
    if rows:
        return (
            f"{table}.{column} ({declared} NOT NULL) is missing from the file, and its {rows} "
            "rows have no value for it"
        )
    return [f"ALTER TABLE {table} ADD COLUMN {column} {declared} NOT NULL", comment]


def check_warehouse(
    warehouse: Path,
    wait_seconds: float = DEFAULTS.lock_wait_seconds,
    on_wait: Callable[[str], None] | None = None,
) -> None:
    """Open the warehouse for writing as a run does and check its tables, changing nothing.

    What a run would refuse (a damaged or locked file, tables it cannot upgrade, a newer schema
    version) is refused here, before a run starts anything; the upgrade itself is rolled back
    and left to the run, which makes it in its own transaction. A missing file is created empty.
    """
    con = connect(warehouse, wait_seconds=wait_seconds, on_wait=on_wait)
    try:
        con.execute("BEGIN TRANSACTION")
        ensure_tables(con, warehouse)
    except BaseException as error:
        let_go(error)
        raise
    finally:
        _rollback(con)
        con.close()
        del con  # see let_go


def create_views(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(VIEWS_SQL.read_text(encoding="utf-8"))


def stored_files(warehouse: Path) -> dict[str, tuple[int | None, int | None, str]]:
    """Each loaded article's file size, mtime and content hash: what a re-run compares against.

    An article whose latest read failed is left out, so the next run reads it again whether its
    file changed or not: the failure may have been the machine's (a worker killed, a busy disk).
    """
    if not warehouse.exists():
        return {}
    con = connect(warehouse, read_only=True)
    try:
        columns = {
            column
            for (column,) in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE table_name = 'articles' "
                "AND database_name = current_database() AND schema_name = current_schema()"
            ).fetchall()
        }
        if not columns:
            return {}
        failed = "last_error IS NOT NULL" if "last_error" in columns else "false"
        rows = con.execute(
            "SELECT article_id, file_size, file_mtime_ns, content_sha256 FROM articles "
            f"WHERE NOT ({failed})"
        ).fetchall()
    except duckdb.Error as error:
        raise damaged_warehouse(warehouse, str(error)) from None
    finally:
        con.close()
        del con  # see let_go
    return {article_id: (size, mtime, sha) for article_id, size, mtime, sha in rows}


def begin_run(warehouse: Path, run: RunInfo, raw_dir: str,
              wait_seconds: float = DEFAULTS.lock_wait_seconds) -> list[str]:  # fmt: skip
    """Record the run as 'running', and any earlier run whose process died as 'interrupted'.

    Returns the ids of the runs found interrupted. Committed on its own, so a run killed later
    (`kill -9`) leaves a 'running' row that the next run finds and marks. A warehouse of an
    earlier version is upgraded here, committed with it.
    """
    con = connect(warehouse, wait_seconds=wait_seconds)
    try:
        con.execute("BEGIN TRANSACTION")
        ensure_tables(con, warehouse)
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
    except BaseException as error:
        _rollback(con)
        let_go(error)
        raise
    finally:
        con.close()
        del con  # see let_go
    return interrupted


def fail_run(warehouse: Path, run: RunInfo, error: BaseException) -> None:
    """Mark the run 'failed' with the reason; the warehouse itself was left as it was.

    It never raises: it is called while the run's own error propagates, which must not be
    replaced by a second one. When the row cannot be written, it stays 'running' and the next
    run marks it interrupted.
    """
    try:
        con = connect(warehouse, wait_seconds=DEFAULTS.lock_wait_seconds)
    except WarehouseError:
        return
    try:
        con.execute(
            "UPDATE load_runs SET status = 'failed', finished_at = ?, error = ? WHERE run_id = ?",
            [datetime.now(UTC).replace(tzinfo=None), f"{type(error).__name__}: {error}"[:2000],
             run.run_id],
        )  # fmt: skip
    except duckdb.Error:
        pass
    finally:
        con.close()
        del con  # see let_go


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
        try:
            # Flush each full row group of a bulk insert to disk rather than buffering five of
            # them per table, and keep DuckDB's buffers small (it spills to <warehouse>.tmp
            # beyond): a dump's bulk insert then adds about 25 MB instead of 170 MB.
            self.con.execute("SET write_buffer_row_group_count = 1")
            limit = settings().load_memory_limit  # WIKIPOLL_LOAD_MEMORY_LIMIT, else 128MB
            try:
                self.con.execute("SET memory_limit = ?", [limit])
            except duckdb.Error as error:
                raise WarehouseError(
                    f"WIKIPOLL_LOAD_MEMORY_LIMIT={limit!r} is not a size DuckDB accepts: {error}"
                ) from None
            self.con.execute("BEGIN TRANSACTION")
            ensure_tables(self.con, self.warehouse)
        except BaseException as error:
            # __exit__ is not called when __enter__ fails: the connection is let go of here.
            _rollback(self.con)
            self.con.close()
            self.con = None
            let_go(error)
            raise
        shutil.rmtree(self.spool_dir, ignore_errors=True)  # left by a run that was killed
        return self

    def write(self, batch: ValidatedBatch) -> None:
        """Replace the batch's articles with its rows; a refused file's article keeps its rows
        when it has some (see `_keep_refused`), else its earlier refusal is replaced."""
        assert self.con is not None
        self.load_spooled()
        kept = self._keep_refused(batch)
        _delete_articles(self.con, sorted(_article_ids(batch) - kept))
        for name, frame in _frames_to_load(batch, kept):
            _insert(self.con, name, frame)
        self.summary.add(batch, kept)
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
        # The same page twice: the later one wins. A refused page keeps the rows of an earlier
        # one only once they are in the table, so that is loaded first too.
        if article_ids & self.spooled_articles:
            self.load_spooled()
        kept = self._keep_refused(batch)
        self.spool_dir.mkdir(exist_ok=True)
        for name, frame in _frames_to_load(batch, kept):
            files = self.spooled_files.setdefault(name, [])
            path = (self.spool_dir / f"{name}-{len(files):06d}.parquet").as_posix()
            table = pa_arrow.Table.from_pandas(
                frame, schema=_arrow_schema(name, frame.columns), preserve_index=False, safe=True
            )
            pq.write_table(table, path)
            files.append(path)
        self.spooled_articles |= article_ids - kept
        self.summary.add(batch, kept)
        _pause_for_tests()

    def _keep_refused(self, batch: ValidatedBatch) -> set[str]:
        """Mark each refused file's article that has rows with why its read failed; return them.

        Those articles keep the rows of their last good read, now stale: they are neither
        deleted nor given the refusal as a rejected row (`last_error` says it). A refused file
        that the batch also loads (the same page twice) is loaded.
        """
        assert self.con is not None
        loaded = set(batch.frames["articles"]["article_id"])
        errors = {e.source_path: e for e in batch.refused_files if e.source_path not in loaded}
        if not errors:
            return set()
        refused = pd.DataFrame({
            "article_id": pd.Series(list(errors), dtype="string"),
            "last_error": pd.Series([_error_text(e) for e in errors.values()], dtype="string"),
        })  # fmt: skip
        self.con.register("refused_frame", refused)
        try:
            kept = self.con.execute(
                "UPDATE articles SET last_error = r.last_error, last_error_at = ? "
                "FROM refused_frame AS r WHERE articles.article_id = r.article_id "
                "RETURNING articles.article_id",
                [self.run.started_at],
            ).fetchall()
        finally:
            _unregister(self.con, "refused_frame")
        return {article_id for (article_id,) in kept}

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

    def prune(self, keep: set[str]) -> list[str]:
        """Delete every article not in `keep` (their files are gone); returns their ids."""
        assert self.con is not None
        self.load_spooled()
        stored = {row[0] for row in self.con.execute("SELECT article_id FROM articles").fetchall()}
        stored |= {row[0] for row in self.con.execute(
            "SELECT DISTINCT article_id FROM rejected_rows").fetchall()}  # fmt: skip
        gone = sorted(stored - keep)
        _delete_articles(self.con, gone)
        self.summary.articles_pruned += len(gone)
        return gone

    def __exit__(self, kind, error, traceback_) -> None:
        assert self.con is not None
        try:
            if error is None:
                self.load_spooled()
                self.con.execute("DELETE FROM load_runs WHERE run_id = ?", [self.run.run_id])
                _record_run(self.con, self.run, self.raw_dir, self.summary, "completed")
                create_views(self.con)
                self.con.execute("COMMIT")
            else:
                _rollback(self.con)
        except BaseException as failure:
            let_go(failure)
            raise
        finally:
            self.con.close()
            self.con = None
            shutil.rmtree(self.spool_dir, ignore_errors=True)
            let_go(error)


def _error_text(error: ArticleError) -> str:
    """`articles.last_error`: the check, the reason, and the line when there is one."""
    where = f" (line {error.line})" if error.line else ""
    return f"{error.check_name}: {error.reason}{where}"


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
    try:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE replaced_articles AS SELECT * FROM replaced_frame"
        )
    finally:
        _unregister(con, "replaced_frame")
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
    """The articles a batch is about: those it loads, and those of its refused files."""
    article_ids = set(batch.frames["articles"]["article_id"])
    return article_ids | {error.source_path for error in batch.refused_files}


def _frames_to_load(
    batch: ValidatedBatch, kept: Collection[str] = ()
) -> list[tuple[str, pd.DataFrame]]:
    """The batch's non-empty frames, without the rows of the articles that keep theirs."""
    frames = []
    for name in WAREHOUSE_TABLES:
        if name in _RUN_TABLES:
            continue
        frame = batch.frames[name]
        if kept and "article_id" in frame.columns:
            frame = frame[~frame["article_id"].isin(kept)]
        if len(frame):
            frames.append((name, frame))
    return frames


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


def _arrow_schema(table: str, columns: Collection[str]) -> pa_arrow.Schema:
    """The frame's columns as an Arrow schema with the table's types, so every spooled file of a
    table has the same one (a column that is empty in one batch has no type of its own). A
    batch has no column the load fills itself (`articles.last_error`)."""
    schema = _schema(WAREHOUSE_TABLES[table])
    return pa_arrow.schema(
        [(column, _ARROW_TYPES[sql_type(schema.columns[column])]) for column in columns]
    )


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    con.register("incoming_frame", frame)
    try:
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM incoming_frame")
    finally:
        _unregister(con, "incoming_frame")


def _unregister(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Unregister a frame; after a failed statement DuckDB refuses (the transaction is aborted),
    and that refusal would hide the error that matters. The rollback drops the view anyway."""
    with contextlib.suppress(duckdb.Error):
        con.unregister(name)


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
