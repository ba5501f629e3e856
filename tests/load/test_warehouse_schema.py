"""The warehouse's layout: checked by type against the contract, upgraded in place when a newer
wikipoll adds to it, and a damaged file told apart from an empty one. Real DuckDB files only."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from flows.load.warehouse import (
    WarehouseError,
    begin_run,
    connect,
    stored_files,
)
from flows.records import new_run
from schemas.warehouse import SCHEMA_VERSION
from tests.builders import load_sample, query
from tests.conftest import ARTICLES, REPO, SAMPLE

FINLAND = ARTICLES / "finland_nato_relations.txt"

# What schema version 2 added to the tables of version 1 (wikipoll before schema versions).
ADDED_IN_2 = {"articles": ["last_error", "last_error_at"], "load_runs": ["articles_stale"]}


def layout(warehouse: Path) -> dict[str, dict[str, tuple[str, bool]]]:
    """Every table's columns by name: (DuckDB type, nullable)."""
    tables: dict[str, dict[str, tuple[str, bool]]] = {}
    for table, column, data_type, nullable in query(
        warehouse,
        "SELECT table_name, column_name, data_type, is_nullable FROM duckdb_columns() "
        "JOIN duckdb_tables() USING (database_name, schema_name, table_name)",
    ):
        tables.setdefault(table, {})[column] = (data_type, nullable)
    return tables


def previous_version(warehouse: Path) -> Path:
    """A warehouse as wikipoll wrote it before schema version 2: without its tables and columns."""
    load_sample(warehouse)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("DROP TABLE schema_versions")
        for table, columns in ADDED_IN_2.items():
            for column in columns:
                con.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    return warehouse


# --- types and nullability are the contract's ----------------------------------------------------


def test_a_column_retyped_by_hand_is_refused_naming_both_types(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    load_sample(warehouse)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("ALTER TABLE polls ALTER support TYPE INTEGER")  # 7.6 would be stored as 8
        con.execute("ALTER TABLE polls ALTER poll_id DROP NOT NULL")
        con.execute("ALTER TABLE events ADD COLUMN my_note VARCHAR")
    before = query(warehouse, "SELECT * FROM polls ORDER BY poll_id")
    with pytest.raises(WarehouseError) as refused:
        load_sample(warehouse, FINLAND)
    message = str(refused.value)
    assert str(warehouse) in message
    assert "polls.support is INTEGER in the file, DOUBLE in this version" in message
    assert "polls.poll_id is VARCHAR in the file, VARCHAR NOT NULL in this version" in message
    assert "events.my_note (VARCHAR) is in the file, unknown to this version" in message
    assert "load into a new file" in message and "rebuilt from raw/" in message
    assert query(warehouse, "SELECT * FROM polls ORDER BY poll_id") == before
    with pytest.raises(WarehouseError, match="polls.support is INTEGER"):
        begin_run(warehouse, new_run(), "raw")


def test_a_fresh_warehouse_has_the_contract_types(tmp_path):
    from flows.load.warehouse import sql_type
    from schemas.warehouse import WAREHOUSE_TABLES

    warehouse = tmp_path / "w.duckdb"
    load_sample(warehouse)
    assert layout(warehouse) == {
        table: {
            column: (sql_type(spec), spec.nullable)
            for column, spec in model.to_schema().columns.items()
        }
        for table, model in WAREHOUSE_TABLES.items()
    }


# --- upgrades in place -----------------------------------------------------------------------


def test_a_warehouse_of_the_previous_version_is_upgraded_in_place(tmp_path):
    fresh = tmp_path / "fresh.duckdb"
    load_sample(fresh)
    warehouse = previous_version(tmp_path / "w.duckdb")
    polls_before = query(warehouse, "SELECT * FROM polls ORDER BY poll_id")
    (old_run,) = query(warehouse, "SELECT run_id FROM load_runs")

    summary = load_sample(warehouse, FINLAND)

    assert layout(warehouse) == layout(fresh)  # columns added at the end, as a fresh file has them
    serbia = query(warehouse, "SELECT * FROM polls WHERE article_id = ? ORDER BY poll_id",
                   [SAMPLE.name])  # fmt: skip
    assert serbia == polls_before and summary.polls > 0
    assert query(
        warehouse, "SELECT articles_stale FROM load_runs WHERE run_id = ?", [old_run[0]]
    ) == [(0,)]  # refused files lost their rows before version 2: none kept stale ones
    assert query(warehouse, "SELECT count(*) FROM articles WHERE last_error IS NULL") == [(2,)]
    ((version, wikipoll_version, changes),) = query(
        warehouse, "SELECT version, wikipoll_version, changes FROM schema_versions"
    )
    assert version == SCHEMA_VERSION and wikipoll_version
    for added in ("articles.last_error", "articles.last_error_at", "load_runs.articles_stale",
                  "table schema_versions"):  # fmt: skip
        assert added in changes
    # The views were made again over the new columns, and the comments are there.
    assert query(warehouse, "SELECT count(*) FROM latest_polls WHERE article_id = ?",
                 [SAMPLE.name])[0][0] > 0  # fmt: skip
    assert query(
        warehouse,
        "SELECT comment FROM duckdb_columns() WHERE table_name = 'articles' "
        "AND column_name = 'last_error'",
    )[0][0].startswith("Why the latest read")
    load_sample(warehouse, FINLAND)  # nothing more to do: no second version row
    assert query(warehouse, "SELECT count(*) FROM schema_versions") == [(1,)]


def test_the_run_start_upgrades_and_records_the_version(tmp_path):
    warehouse = previous_version(tmp_path / "w.duckdb")
    begin_run(warehouse, new_run(), "raw")
    assert "articles_stale" in layout(warehouse)["load_runs"]
    assert query(warehouse, "SELECT count(*), max(version) FROM schema_versions") == [
        (1, SCHEMA_VERSION)
    ]
    assert query(warehouse, "SELECT count(*) FROM polls") == [(9,)]


def test_a_new_warehouse_records_its_version(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    load_sample(warehouse)
    assert query(warehouse, "SELECT version, changes FROM schema_versions") == [
        (SCHEMA_VERSION, "created")
    ]


def test_a_missing_column_no_value_can_fill_is_refused(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    load_sample(warehouse)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("ALTER TABLE articles DROP COLUMN title")
    with pytest.raises(WarehouseError) as refused:
        load_sample(warehouse)
    assert (
        "articles.title (VARCHAR NOT NULL) is missing from the file, and its 1 rows have no "
        "value for it" in str(refused.value)
    )
    assert "rebuilt from raw/" in str(refused.value)


def test_a_warehouse_of_a_newer_schema_version_is_refused(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    load_sample(warehouse)
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "INSERT INTO schema_versions VALUES (?, now()::TIMESTAMP, '9.0', 'from the future')",
            [SCHEMA_VERSION + 1],
        )
    with pytest.raises(WarehouseError) as refused:
        load_sample(warehouse)
    message = str(refused.value)
    assert f"schema version {SCHEMA_VERSION + 1}" in message and "wikipoll 9.0" in message
    assert f"knows schema versions up to {SCHEMA_VERSION}" in message


# --- a damaged file --------------------------------------------------------------------------


def cut_short(warehouse: Path) -> Path:
    with warehouse.open("r+b") as file:
        file.truncate(warehouse.stat().st_size // 2)
    return warehouse


def test_a_warehouse_cut_short_is_refused_when_opened(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    load_sample(warehouse)
    cut_short(warehouse)
    damaged = warehouse.read_bytes()
    for opening in (
        lambda: stored_files(warehouse),
        lambda: begin_run(warehouse, new_run(), "raw"),
        lambda: load_sample(warehouse),
        lambda: connect(warehouse, read_only=True),
    ):
        with pytest.raises(WarehouseError) as refused:
            opening()
        message = str(refused.value)
        assert str(warehouse) in message and "damaged" in message
        assert "restore it from a copy" in message and "rebuilt from raw/" in message
    assert warehouse.read_bytes() == damaged  # refused before anything was written


def test_a_file_that_is_not_a_warehouse_is_refused_with_what_to_do(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    warehouse.write_bytes(os.urandom(20_000))
    with pytest.raises(WarehouseError, match="damaged.*restore it from a copy"):
        stored_files(warehouse)


# --- no connection outlives its use -------------------------------------------------------------

LEAK_SCRIPT = """
import sys, threading, time
from pathlib import Path
import duckdb
from flows.check.validate import validate_batch
from flows.load.connection import connect
from flows.load.warehouse import WarehouseLoad, begin_run, load_batch, stored_files
from flows.records import new_run
from tests.builders import load_sample
from tests.conftest import RUN, SAMPLE, normalize_file

folder = Path(sys.argv[1])
kept = []  # as Prefect keeps a failed task's exception in its state, to the process's exit

def failing(step):
    try:
        step()
    except Exception as error:
        kept.append(error)
    else:
        raise SystemExit(f"{step} did not fail")

good = folder / "good.duckdb"
load_sample(good)
batch = validate_batch([normalize_file(SAMPLE)], RUN)
batch.frames["events"] = batch.frames["events"].assign(not_a_column=1)
failing(lambda: load_batch(good, batch, new_run(), raw_dir="raw"))

def spool_then_fail():
    with WarehouseLoad(good, new_run(), "raw") as load:
        load.spool(validate_batch([normalize_file(SAMPLE)], RUN))
        raise RuntimeError("disk on fire")
failing(spool_then_fail)

retyped = folder / "retyped.duckdb"
load_sample(retyped)
with duckdb.connect(str(retyped)) as con:
    con.execute("ALTER TABLE polls ALTER support TYPE INTEGER")
del con  # this script's own: a global lives to the exit too
failing(lambda: begin_run(retyped, new_run(), "raw"))
failing(lambda: load_sample(retyped))

damaged = folder / "damaged.duckdb"
load_sample(damaged)
with damaged.open("r+b") as file:
    file.truncate(damaged.stat().st_size // 2)
failing(lambda: connect(damaged).close())
failing(lambda: stored_files(damaged))
failing(lambda: begin_run(damaged, new_run(), "raw"))

threading.Thread(target=lambda errors=kept: time.sleep(600), daemon=True).start()
print(len(kept), "failures kept")
"""


def test_no_duckdb_connection_outlives_a_failure(tmp_path):
    """DuckDB reports every connection still alive at exit as leaked, about 40 lines of it: a
    connection must be closed and let go on every error path, even while the error is kept."""
    script = tmp_path / "leak.py"
    script.write_text(LEAK_SCRIPT, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path)], cwd=REPO, env=env,
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "7 failures kept"
    assert "leaked" not in done.stderr, done.stderr[:2000]


def test_a_warehouse_is_checked_before_a_run_without_being_changed(tmp_path):
    """What the command does before Prefect starts: a run's refusal, as one line, and nothing
    changed (the upgrade itself is the run's)."""
    from flows.load.warehouse import check_warehouse

    warehouse = previous_version(tmp_path / "w.duckdb")
    before = layout(warehouse)
    check_warehouse(warehouse)
    assert layout(warehouse) == before
    with duckdb.connect(str(warehouse)) as con:
        con.execute("ALTER TABLE polls ALTER support TYPE INTEGER")
    with pytest.raises(WarehouseError, match="polls.support is INTEGER in the file"):
        check_warehouse(warehouse)
    with pytest.raises(WarehouseError, match="damaged"):
        check_warehouse(cut_short(warehouse))
