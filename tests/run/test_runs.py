"""Runs over time, as a schedule makes them: unchanged files skipped, changed ones replaced,
pruning only when asked, broken articles stopped by the time budget, dumps, Dask, accounting."""

from __future__ import annotations

import bz2
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from flows.check.validate import AccountingError, account_rows
from tests import prefect_server
from tests.conftest import FIXTURES, RUN, SAMPLE, validate_files

pytestmark = pytest.mark.prefect


@pytest.fixture(scope="module")
def prefect(prefect_api):
    """Flow runs in this process go to the session's Prefect server: each costs a second or two,
    where a Prefect test harness would first start a server of its own (ten seconds and more)."""
    with prefect_server.client_of(prefect_api):
        yield


def run_flow(raw: Path, warehouse: Path, **options):
    from flows.run.flow import wikipoll_flow

    return wikipoll_flow(raw_dir=str(raw), warehouse=str(warehouse), **options)


def rows(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_unchanged_files_are_skipped_changed_ones_replaced(prefect, raw_dir, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    shutil.copy(FIXTURES / "articles" / "finland_nato_relations.txt", raw_dir / "finland.txt")
    first = run_flow(raw_dir, warehouse).summary
    assert (first.articles, first.articles_unchanged) == (2, 0)
    second = run_flow(raw_dir, warehouse).summary
    assert (second.articles, second.articles_unchanged, second.polls) == (0, 2, 0)
    assert rows(warehouse, "SELECT count(*) FROM polls") == [(18,)]
    article = raw_dir / SAMPLE.name
    article.write_text(
        article.read_text(encoding="utf-8").replace("| 1228 |", "| 1300 |"), encoding="utf-8"
    )
    third = run_flow(raw_dir, warehouse).summary
    assert (third.articles, third.articles_unchanged) == (1, 1)
    assert rows(warehouse, "SELECT sample_size FROM polls WHERE date_text = 'March 2022'") == [
        (1300,)
    ]
    refreshed = run_flow(raw_dir, warehouse, full_refresh=True).summary
    assert (refreshed.articles, refreshed.articles_unchanged) == (2, 0)
    assert rows(warehouse, "SELECT count(*) FROM polls") == [(18,)]


def test_removed_files_are_pruned_only_when_asked(prefect, raw_dir, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    shutil.copy(FIXTURES / "articles" / "finland_nato_relations.txt", raw_dir / "finland.txt")
    run_flow(raw_dir, warehouse)
    (raw_dir / "finland.txt").unlink()
    kept = run_flow(raw_dir, warehouse).summary
    assert kept.articles_pruned == 0
    assert rows(warehouse, "SELECT count(*) FROM articles") == [(2,)]
    report = run_flow(raw_dir, warehouse, prune=True)
    assert (report.summary.articles_pruned, report.pruned) == (1, ["finland.txt"])  # named
    assert rows(warehouse, "SELECT article_id FROM articles") == [(SAMPLE.name,)]
    for table in (
        "polls",
        "events",
        "rejected_rows",
        "skipped_rows",
        "quality_warnings",
        "article_tables",
    ):
        assert rows(
            warehouse, f"SELECT count(*) FROM {table} WHERE article_id = 'finland.txt'"
        ) == [(0,)]
    assert rows(
        warehouse, "SELECT count(*) FROM poll_results WHERE poll_id LIKE 'finland.txt#%'"
    ) == [(0,)]


def test_an_article_over_its_parse_budget_is_stopped_and_the_rest_load(prefect, raw_dir, tmp_path):
    # 1 MB of unclosed templates: mwparserfromhell would take hours on it.
    (raw_dir / "broken.wiki").write_text(
        "{|\n| x\n|-\n| " + "{{a|b " * 170_000 + "\n|}\n", encoding="utf-8"
    )
    warehouse = tmp_path / "w.duckdb"
    started = time.monotonic()
    report = run_flow(raw_dir, warehouse, parse_budget_seconds=2.0, workers=1)
    elapsed = time.monotonic() - started
    assert elapsed < 60, f"the run took {elapsed:.0f} s"
    (refused,) = report.refused
    assert refused.source_path == "broken.wiki" and refused.check_name == "parse_timeout"
    assert "(--parse-budget 2 s" in refused.reason
    assert report.summary.polls == 9
    assert rows(
        warehouse, "SELECT check_name FROM rejected_rows WHERE source_path = 'broken.wiki'"
    ) == [("parse_timeout",)]


def test_a_dump_in_raw_loads_its_pages_with_their_revisions(prefect, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    wikitext = (FIXTURES / "serbia_nato_relations.wiki").read_text(encoding="utf-8")
    from xml.sax.saxutils import escape

    pages = "".join(
        f"<page><title>{title}</title><ns>0</ns><id>{page_id}</id><revision><id>{page_id * 10}</id>"
        f'<timestamp>2024-03-01T00:00:00Z</timestamp><text xml:space="preserve">{escape(text)}</text></revision></page>'
        for page_id, title, text in [
            (1, "Serbia–NATO relations", wikitext),
            (2, "Prose only", "No tables."),
        ]
    )
    dump = (
        '<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" version="0.10" xml:lang="en">'
        "<siteinfo><sitename>Wikipedia</sitename><dbname>enwiki</dbname><base>https://en.wikipedia.org/</base>"
        '<generator>MediaWiki</generator><case>first-letter</case><namespaces><namespace key="0" case="first-letter" />'
        f"</namespaces></siteinfo>{pages}</mediawiki>"
    )
    (raw / "enwiki-test.xml.bz2").write_bytes(bz2.compress(dump.encode("utf-8")))
    warehouse = tmp_path / "w.duckdb"
    summary = run_flow(raw, warehouse).summary
    assert (summary.articles, summary.polls, summary.events) == (1, 9, 6)
    assert rows(
        warehouse,
        "SELECT article_id, title, page_id, revision_id, revision_timestamp FROM articles",
    ) == [
        (
            "dump:enwiki-test.xml.bz2#Serbia–NATO relations",
            "Serbia–NATO relations",
            1,
            10,
            "2024-03-01T00:00:00Z",
        )
    ]
    again = run_flow(raw, warehouse).summary
    assert (again.articles, again.articles_unchanged) == (0, 1)


def test_dask_gives_the_same_warehouse_as_a_plain_run(prefect, raw_dir, tmp_path):
    from flows.cli import dask_task_runner
    from flows.run.flow import wikipoll_flow

    shutil.copy(FIXTURES / "articles" / "finland_nato_relations.txt", raw_dir / "finland.txt")
    plain, distributed = tmp_path / "plain.duckdb", tmp_path / "dask.duckdb"
    run_flow(raw_dir, plain, run_date=RUN.run_date)
    on_dask = wikipoll_flow.with_options(task_runner=dask_task_runner("local", 2))
    on_dask(raw_dir=str(raw_dir), warehouse=str(distributed), run_date=RUN.run_date)
    for table in (
        "polls",
        "poll_results",
        "events",
        "rejected_rows",
        "quality_warnings",
        "source_cells",
    ):
        sql = f"SELECT * FROM {table} ORDER BY ALL"
        assert rows(plain, sql) == rows(distributed, sql), table
    articles = "SELECT * EXCLUDE (run_id, loaded_at) FROM articles ORDER BY ALL"
    assert rows(plain, articles) == rows(distributed, articles)


def test_a_batch_that_loses_a_row_is_refused():
    batch = validate_files(SAMPLE)
    frames = dict(batch.frames)
    frames["polls"] = frames["polls"].iloc[1:]
    with pytest.raises(AccountingError, match="15 data rows were read but 14 are accounted for"):
        account_rows(frames)
    assert batch.accounting.rows_in == 15 and batch.accounting.loaded == 15


def write_pathological_files(raw: Path) -> dict[str, str]:
    """Hostile files beside the sample; returns, per file, what its refusal must say (or '' when
    it loads, with nothing to refuse)."""
    (raw / "braces.wiki").write_bytes(b"{{" * (25 * 1024**2))  # 50 MB
    (raw / "huge.txt").write_bytes(b"= Huge =\n" + b"| a | b |\n" * (20 * 1024**2))  # 200 MB
    (raw / "nested.wiki").write_text("{|\n| " * 10_000 + "x" + "\n|}" * 10_000, encoding="utf-8")
    (raw / "unclosed.wiki").write_text(
        "= Unclosed =\n{|\n! Date !! Pollster !! Yes\n|-\n| 2020 || X || 50%\n", encoding="utf-8"
    )
    (raw / "nul.txt").write_bytes(
        b"= Nul =\n"
        + b"x" * 9000
        + b"\n| Date | Pollster | Yes | No |\n| 2020 | X\x00Y | 50% | 50% |\n"
    )
    (raw / "latin1.txt").write_bytes("= Café =\n| a |\n".encode("latin-1"))
    (raw / "empty.txt").write_bytes(b"")
    outside = raw.parent / "outside.txt"
    outside.write_text("= Outside =\n", encoding="utf-8")
    (raw / "link.txt").symlink_to(outside)
    (raw / "odd \udcff name;'--.txt").write_text(
        "= Odd =\n", encoding="utf-8", errors="surrogateescape"
    )
    return {
        "braces.wiki": "over the 20 MB limit",
        "huge.txt": "over the 20 MB limit",
        "latin1.txt": "not UTF-8",
        "empty.txt": "the file is empty",
        "link.txt": "outside the raw folder",
    }


def test_pathological_files_finish_in_bounded_time_and_the_rest_loads(prefect, raw_dir, tmp_path):
    expected = write_pathological_files(raw_dir)
    warehouse = tmp_path / "w.duckdb"
    started = time.monotonic()
    report = run_flow(raw_dir, warehouse, parse_budget_seconds=5.0)
    assert time.monotonic() - started < 120
    refused = {error.source_path: error for error in report.refused}
    for name, reason in expected.items():
        assert reason in refused[name].reason, (name, refused[name].reason)
        assert str(refused[name]).startswith(name)
    loaded = {row[0] for row in rows(warehouse, "SELECT article_id FROM articles")}
    assert {SAMPLE.name, "nested.wiki", "unclosed.wiki", "nul.txt"} <= loaded
    assert "odd \\xff name;'--.txt" in loaded  # an undecodable byte in a name is kept, escaped
    # The NUL is replaced and counted, and the cell holding it is rejected with the reason.
    assert rows(
        warehouse, "SELECT control_characters_replaced FROM articles WHERE article_id = 'nul.txt'"
    ) == [(1,)]
    assert rows(warehouse, "SELECT count(*) FROM polls WHERE article_id = 'nul.txt'") == [(1,)]
    assert rows(warehouse, "SELECT pollster FROM polls WHERE article_id = 'nul.txt'") == [
        ("X\ufffdY",)
    ]
    assert rows(warehouse, "SELECT count(*) FROM polls WHERE article_id = 'unclosed.wiki'") == [
        (1,)
    ]
    assert report.summary.polls == 9 + 1 + 1


def test_text_that_looks_like_sql_or_markup_is_stored_as_text(prefect, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "hostile.txt").write_text(
        "= '); DROP TABLE polls; -- =\n"
        "| Date | Pollster | Client | Yes | No |\n"
        "| 2020 | Robert'); DROP TABLE polls;-- | &lt;script&gt;alert(1)&lt;/script&gt; | 50% | 50% |\n",
        encoding="utf-8",
    )
    warehouse = tmp_path / "w.duckdb"
    run_flow(raw, warehouse)
    assert rows(warehouse, "SELECT title FROM articles") == [("'); DROP TABLE polls; --",)]
    assert rows(warehouse, "SELECT pollster, client FROM polls") == [
        ("Robert'); DROP TABLE polls;--", "<script>alert(1)</script>")
    ]


# --- what a stopped run leaves ----------------------------------------------------------------------

WIKIPOLL = str(Path(sys.executable).parent / "wikipoll")


def read_stderr_until(process: subprocess.Popen, text: str, seconds: float) -> list[str]:
    """The lines of the process's stderr up to the one holding `text`; fails if the process ends
    first or `seconds` pass (a thread reads, so a silent process cannot block the test)."""
    lines: list[str] = []
    found = threading.Event()

    def read() -> None:
        for line in process.stderr:
            lines.append(line)
            if text in line:
                found.set()
                return

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + seconds
    while not found.wait(0.2):
        if process.poll() is not None or time.monotonic() > deadline:
            tail = "".join(lines[-20:])
            pytest.fail(f"{text!r} not seen in the run's stderr (exit {process.poll()}):\n{tail}")
    return lines


@pytest.mark.leaks
def test_a_run_stopped_with_sigterm_stops_the_prefect_server_it_started(raw_dir, tmp_path):
    """`wikipoll run` without PREFECT_API_URL (`make run`) starts an ephemeral Prefect server in a
    process of its own. SIGTERM (a scheduler or `kill` stopping the run) must stop that server
    too: Prefect stops it only at interpreter exit, which Python's default SIGTERM skips, so it
    would live on, adopted by init, on every stopped run."""
    warehouse = tmp_path / "w.duckdb"
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect-home"),
           "WIKIPOLL_TEST_PAUSE_IN_LOAD": "300"}  # fmt: skip
    env.pop("PREFECT_API_URL", None)
    # Whatever happens, nothing this run started outlives the test.
    with prefect_server.reaped(env) as env:
        run = subprocess.Popen(
            [WIKIPOLL, "run", "--raw", str(raw_dir), "--warehouse", str(warehouse)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        read_stderr_until(run, "test pause in load", 240)
        servers = prefect_server.ephemeral_servers_of(run.pid)
        assert servers, "the run in ephemeral mode started no Prefect server of its own"
        run.send_signal(signal.SIGTERM)
        try:
            run.wait(timeout=60)
        except subprocess.TimeoutExpired:
            pytest.fail("the run did not stop within 60 s of SIGTERM")
        left = [
            p for p in servers if (now := prefect_server.read_proc(p.pid)) and now.argv == p.argv
        ]
        assert left == [], f"the run's Prefect server outlived it: {left}"
        assert run.returncode == 130
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = {
            name for (name,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
        }
        assert "polls" not in tables or con.execute("SELECT count(*) FROM polls").fetchone() == (0,)


# --- one bad input costs itself, never the run -------------------------------------------------------


def test_a_cut_dump_a_fifo_and_a_title_held_twice_cost_themselves_only(prefect, raw_dir, tmp_path):
    from tests.builders import WIKITEXT, dump_xml, page_xml, write_dump

    # Random filler keeps bz2 from packing every page into its first block, so the first half of
    # the file holds whole blocks, and so whole pages.
    filler = [os.urandom(3000).hex() for _ in range(30)]
    pages = [
        page_xml(f"Poll article {n}", 0, 1000 + n,
                 [(n * 10, "2024-01-01T00:00:00Z", f"{WIKITEXT}<!-- {filler[n]} -->")])
        for n in range(30)
    ]  # fmt: skip
    whole = bz2.compress(dump_xml(pages).encode("utf-8"), compresslevel=1)
    (raw_dir / "cut.xml.bz2").write_bytes(whole[: len(whole) // 2])
    twice = [
        page_xml("Held twice", 0, 1, [(7, "2024-01-01T00:00:00Z", WIKITEXT)]),
        page_xml("Held twice", 0, 2, [(5, "2023-01-01T00:00:00Z", "{| class=wikitable\n|}")]),
    ]
    write_dump(raw_dir / "twice.xml", dump_xml(twice))
    os.mkfifo(raw_dir / "pipe.txt")
    warehouse = tmp_path / "w.duckdb"

    report = run_flow(raw_dir, warehouse)

    refused = {error.source_path: error.reason for error in report.refused}
    assert sorted(refused) == ["cut.xml.bz2", "pipe.txt"]
    assert refused["pipe.txt"] == "a FIFO (named pipe), not a regular file: not opened"
    assert refused["cut.xml.bz2"].startswith("truncated after ")
    read_before_cut = int(refused["cut.xml.bz2"].split()[2])
    assert refused["cut.xml.bz2"].endswith("; the pages before it were read")
    cut_pages = rows(warehouse, "SELECT count(*) FROM articles WHERE article_id LIKE 'dump:cut%'")
    assert cut_pages == [(read_before_cut,)] and 0 < read_before_cut < 30
    # The title held twice loads once, from its latest revision; the sample file loads whole.
    assert rows(
        warehouse, "SELECT revision_id FROM articles WHERE article_id = 'dump:twice.xml#Held twice'"
    ) == [(7,)]
    assert rows(warehouse, f"SELECT count(*) FROM polls WHERE article_id = '{SAMPLE.name}'") == [
        (9,)
    ]
    # The refusals are in the warehouse, named, with their reasons.
    assert rows(
        warehouse,
        "SELECT source_path, check_name FROM rejected_rows WHERE row_index IS NULL ORDER BY 1",
    ) == [("cut.xml.bz2", "unreadable_file"), ("pipe.txt", "unreadable_file")]
    # Dump pages are in the run's per-article table.
    assert "dump:twice.xml#Held twice" in set(report.articles["article_id"])
