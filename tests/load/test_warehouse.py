"""Load: a real DuckDB file, asserted through SQL as a user would query it."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest

from flows.check.validate import validate_batch
from flows.load.connection import WarehouseError, connect
from flows.load.warehouse import load_batch
from flows.read.errors import ArticleError
from flows.records import new_run
from tests.builders import load_sample, query
from tests.conftest import ARTICLES, RUN, SAMPLE, normalize_file

ARTICLE_FINLAND = ARTICLES / "finland_nato_relations.txt"


def table_counts(warehouse: Path) -> dict[str, int]:
    tables = ["articles", "polls", "poll_results", "events", "source_cells", "rejected_rows"]
    return {t: query(warehouse, f"SELECT count(*) FROM {t}")[0][0] for t in tables}


def test_sample_loads_the_contract(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    summary = load_sample(warehouse)
    assert (summary.polls, summary.events, summary.rejected, summary.repaired) == (9, 6, 0, 6)
    assert table_counts(warehouse) == {
        "articles": 1, "polls": 9, "poll_results": 27, "events": 6, "source_cells": 78,
        "rejected_rows": 0,
    }  # fmt: skip
    row = query(
        warehouse,
        "SELECT pollster, client, sample_size, support, oppose, neutral, lead, fieldwork_start, "
        "fieldwork_end, date_precision FROM polls WHERE date_text = 'February 2024'",
    )
    assert row == [
        ("NSPM", None, 1000, 7.6, 84.6, 7.8, 77.0, date(2024, 2, 1), date(2024, 2, 29), "month")
    ]
    assert query(
        warehouse,
        "SELECT event_date, source_kind FROM events WHERE description = 'Russia invades Ukraine'",
    ) == [(date(2022, 2, 24), "poll_table")]


def test_column_types_and_comments_follow_the_schemas(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    load_sample(warehouse)
    types = dict(
        query(
            warehouse,
            "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'polls'",
        )
    )
    assert types["fieldwork_start"] == "DATE"
    assert types["sample_size"] == "INTEGER"
    assert types["lead"] == "DOUBLE"
    assert types["pollster"] == "VARCHAR"
    comment = query(
        warehouse,
        "SELECT comment FROM duckdb_columns() WHERE table_name = 'polls' AND column_name = 'client'",
    )
    assert "commissioned" in comment[0][0]


def test_every_value_traces_back_to_its_raw_cell(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    load_sample(warehouse)
    traced = query(
        warehouse,
        """SELECT p.article_title, p.table_index, p.row_index, p.source_line, c.header_label, c.raw_cell
           FROM polls p JOIN source_cells c ON c.record_id = p.poll_id AND c.field = 'sample_size'
           WHERE p.date_text = 'March 2022'""",
    )
    assert traced == [("Serbia–NATO relations", 1, 10, 42, "Sample size", "1228")]
    shares = query(
        warehouse,
        "SELECT option, raw_cell FROM poll_results JOIN polls USING (poll_id) WHERE date_text = 'March 2022' ORDER BY column_index",
    )
    assert shares == [("Support", "10%"), ("Opposed", "82%"), ("Neutral or", "8%")]


def test_rerun_is_idempotent(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    load_sample(warehouse)
    first = query(warehouse, "SELECT * FROM polls ORDER BY poll_id")
    load_sample(warehouse)
    assert query(warehouse, "SELECT * FROM polls ORDER BY poll_id") == first
    assert table_counts(warehouse)["poll_results"] == 27
    assert query(warehouse, "SELECT count(*) FROM load_runs")[0][0] == 2


def test_a_changed_article_has_its_rows_replaced(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    article = tmp_path / SAMPLE.name
    article.write_text(SAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    load_sample(warehouse, article)
    article.write_text(
        SAMPLE.read_text(encoding="utf-8").replace(
            "| 1228 | 10% | 82% | 8% | 72% |", "| 1300 | 12% | 80% | 8% | 68% |"
        ),
        encoding="utf-8",
    )
    load_sample(warehouse, article)
    assert query(
        warehouse, "SELECT sample_size, support FROM polls WHERE date_text = 'March 2022'"
    ) == [(1300, 12.0)]
    assert table_counts(warehouse)["polls"] == 9
    assert query(warehouse, "SELECT count(DISTINCT content_sha256) FROM articles")[0][0] == 1


def test_a_failure_mid_load_leaves_the_previous_state(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    load_sample(warehouse)
    before = {
        t: query(warehouse, f"SELECT * FROM {t} ORDER BY ALL")
        for t in ("polls", "events", "load_runs")
    }
    batch = validate_batch([normalize_file(SAMPLE)], RUN)
    # The events insert comes after the article's old rows were deleted: it must take them back.
    batch.frames["events"] = batch.frames["events"].assign(not_a_column=1)
    # The error DuckDB gave, not one about the aborted transaction after it.
    with pytest.raises(duckdb.Error, match="not_a_column"):
        load_batch(warehouse, batch, new_run(run_date=RUN.run_date), raw_dir="raw")
    after = {
        t: query(warehouse, f"SELECT * FROM {t} ORDER BY ALL")
        for t in ("polls", "events", "load_runs")
    }
    assert after == before


def test_a_refused_file_is_recorded_not_dropped(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    refused = ArticleError("broken.txt", "not UTF-8 text (byte 0xe9 at offset 3)", line=1)
    load_sample(warehouse, refused=[refused])
    assert query(warehouse, "SELECT source_path, check_name, reason FROM rejected_rows") == [
        ("broken.txt", "unreadable_file", "not UTF-8 text (byte 0xe9 at offset 3)")
    ]
    assert query(warehouse, "SELECT articles_refused FROM load_runs") == [(1,)]
    load_sample(warehouse, refused=[refused])
    assert table_counts(warehouse)["rejected_rows"] == 1


def test_a_warehouse_of_another_layout_is_refused_with_a_message(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("CREATE TABLE polls (poll_id VARCHAR)")
    with pytest.raises(
        WarehouseError, match="polls.poll_id is VARCHAR in the file, VARCHAR NOT NULL in this"
    ):
        load_sample(warehouse)


def test_a_locked_warehouse_is_waited_for_then_reported(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    load_sample(warehouse)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); time.sleep(4)", str(warehouse)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(WarehouseError, match="locked by another process"):
            connect(warehouse, read_only=True, wait_seconds=0.5)
        started = time.monotonic()
        con = connect(warehouse, read_only=True, wait_seconds=60)
        assert time.monotonic() - started < 30
        assert con.execute("SELECT count(*) FROM polls").fetchone() == (9,)
        con.close()
    finally:
        holder.kill()
        holder.wait()


def _all_rows(warehouse: Path) -> dict[str, list[tuple]]:
    from schemas.warehouse import WAREHOUSE_TABLES

    return {
        table: query(warehouse, f"SELECT * FROM {table} ORDER BY ALL")
        for table in WAREHOUSE_TABLES
        if table not in ("load_runs", "schema_versions")  # a run's own rows: times differ
    }


def test_spooled_batches_load_exactly_what_written_batches_load(tmp_path):
    from flows.load.warehouse import WarehouseLoad
    from flows.read.files import parse_article_text
    from flows.shape.records import normalize_article
    from tests.builders import UK_FILES, wrapped_uk

    changed = tmp_path / SAMPLE.name
    changed.write_text(
        SAMPLE.read_text(encoding="utf-8").replace("| 1228 |", "| 1300 |"), encoding="utf-8"
    )
    refused = ArticleError("gone.txt", "not readable", check_name="unreadable_file")
    batches = [
        validate_batch([normalize_file(SAMPLE)], RUN),
        validate_batch([normalize_file(ARTICLE_FINLAND)], RUN, [refused]),
        validate_batch(
            [
                normalize_article(parse_article_text(wrapped_uk(p), p.name, "", "wikitext"))
                for p in UK_FILES
            ],
            RUN,
        ),
        # the sample refused after it loaded in the same run: it keeps those rows, marked
        validate_batch([], RUN, [TIMEOUT]),
        validate_batch([normalize_file(changed)], RUN),  # the sample again: the later one wins
        validate_batch([], RUN, [ArticleError(ARTICLE_FINLAND.name, "vanished")]),
    ]
    written, spooled = tmp_path / "written.duckdb", tmp_path / "spooled.duckdb"
    run = new_run(run_date=RUN.run_date)  # the same run both ways: last_error_at is its start
    for warehouse, add in ((written, WarehouseLoad.write), (spooled, WarehouseLoad.spool)):
        with WarehouseLoad(warehouse, run, "raw") as load:
            for batch in batches:
                add(load, batch)
        assert not load.spool_dir.exists()
    rows = _all_rows(spooled)
    assert rows == _all_rows(written)
    assert len(rows["polls"]) > 80 and len(rows["rejected_rows"]) > 0
    assert query(spooled, "SELECT sample_size FROM polls WHERE date_text = 'March 2022'") == [
        (1300,)
    ]
    assert query(spooled, "SELECT polls, rows_in, articles_stale FROM load_runs") == query(
        written, "SELECT polls, rows_in, articles_stale FROM load_runs"
    )
    assert query(
        spooled, "SELECT article_id, last_error FROM articles WHERE last_error IS NOT NULL"
    ) == [(ARTICLE_FINLAND.name, "unreadable_file: vanished")]


def test_a_failure_after_spooling_leaves_the_warehouse_and_no_spool(tmp_path):
    from flows.load.warehouse import WarehouseLoad

    warehouse = tmp_path / "w.duckdb"
    load_sample(warehouse)
    before = _all_rows(warehouse)
    load = WarehouseLoad(warehouse, new_run(run_date=RUN.run_date), "raw")
    with pytest.raises(RuntimeError, match="disk on fire"), load:
        load.spool(validate_batch([normalize_file(ARTICLE_FINLAND)], RUN))
        assert any(load.spool_dir.iterdir())
        raise RuntimeError("disk on fire")
    assert not load.spool_dir.exists()
    assert _all_rows(warehouse) == before


def test_a_bad_load_memory_limit_is_named_and_changes_nothing(tmp_path, monkeypatch):
    warehouse = tmp_path / "w.duckdb"
    load_sample(warehouse)
    before = _all_rows(warehouse)
    monkeypatch.setenv("WIKIPOLL_LOAD_MEMORY_LIMIT", "lots")
    with pytest.raises(WarehouseError, match="WIKIPOLL_LOAD_MEMORY_LIMIT='lots'"):
        load_sample(warehouse, ARTICLE_FINLAND)
    assert _all_rows(warehouse) == before
    monkeypatch.setenv("WIKIPOLL_LOAD_MEMORY_LIMIT", "1GB")
    assert load_sample(warehouse, ARTICLE_FINLAND).polls > 0


# --- an article that fails a run keeps its last good rows ----------------------------------------

TIMEOUT = ArticleError(
    SAMPLE.name, "parsing the article took longer than its 5 s budget", check_name="parse_timeout"
)


def _refuse(warehouse: Path, *refused: ArticleError, articles=()):
    """A run that reads `articles` and refuses `refused`, as the flow loads it."""
    run = new_run(run_date=RUN.run_date)
    batch = validate_batch([normalize_file(a) for a in articles], RUN, list(refused))
    return run, load_batch(warehouse, batch, run, raw_dir="raw")


def _accounting_holds(warehouse: Path) -> None:
    for run_id, rows_in, loaded, rejected, skipped in query(
        warehouse, "SELECT run_id, rows_in, rows_loaded, rows_rejected, rows_skipped FROM load_runs"
    ):
        assert rows_in == loaded + rejected + skipped, run_id


def test_a_refused_article_keeps_its_last_good_rows_and_says_why(tmp_path):
    from flows.load.warehouse import stored_files

    warehouse = tmp_path / "w.duckdb"
    load_sample(warehouse)
    before = _all_rows(warehouse)
    run, summary = _refuse(warehouse, TIMEOUT, articles=[ARTICLE_FINLAND])
    assert (summary.articles_refused, summary.articles_stale) == (1, 1)
    assert (
        summary.rejected
        == query(
            warehouse,
            "SELECT count(*) FROM rejected_rows WHERE article_id = ?",
            [ARTICLE_FINLAND.name],
        )[0][0]
    )
    after = _all_rows(warehouse)
    for table in ("polls", "poll_results", "events", "source_cells", "article_tables"):
        serbia = [row for row in after[table] if SAMPLE.name in str(row)]
        assert serbia == before[table], table
    # The refusal is on the article's row, not among the rows of its last good read.
    assert query(
        warehouse, "SELECT count(*) FROM rejected_rows WHERE article_id = ?", [SAMPLE.name]
    ) == [(0,)]
    assert query(
        warehouse,
        "SELECT last_error, last_error_at, run_id <> ? FROM articles WHERE article_id = ?",
        [run.run_id, SAMPLE.name],
    ) == [
        ("parse_timeout: parsing the article took longer than its 5 s budget", run.started_at, True)
    ]
    assert query(
        warehouse, "SELECT articles_refused, articles_stale FROM load_runs WHERE run_id = ?",
        [run.run_id],
    ) == [(1, 1)]  # fmt: skip
    _accounting_holds(warehouse)
    # Read again on the next run, changed or not: the failure may have been the machine's.
    assert SAMPLE.name not in stored_files(warehouse)
    assert ARTICLE_FINLAND.name in stored_files(warehouse)

    load_sample(warehouse)  # a successful read replaces the rows and clears the failure
    assert query(
        warehouse, "SELECT last_error, last_error_at FROM articles WHERE article_id = ?",
        [SAMPLE.name],
    ) == [(None, None)]  # fmt: skip
    assert SAMPLE.name in stored_files(warehouse)
    _accounting_holds(warehouse)


def test_a_refused_article_never_loaded_is_only_in_rejected_rows(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    gone = ArticleError("gone.txt", "the file vanished between listing and reading")
    _, summary = _refuse(warehouse, gone, articles=[SAMPLE])
    assert (summary.articles_refused, summary.articles_stale) == (1, 0)
    assert query(warehouse, "SELECT count(*) FROM articles WHERE article_id = 'gone.txt'") == [(0,)]
    _refuse(warehouse, gone)
    assert query(
        warehouse, "SELECT check_name, reason FROM rejected_rows WHERE article_id = 'gone.txt'"
    ) == [("unreadable_file", "the file vanished between listing and reading")]
    assert query(warehouse, "SELECT sum(articles_stale) FROM load_runs") == [(0,)]
