"""What SQL users and CI jobs see: the views, `wikipoll query`, and validate's CI formats."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from datetime import date
from xml.etree import ElementTree

import duckdb
import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.builders import load_sample, query
from tests.conftest import ARTICLES, REPO, SAMPLE

runner = CliRunner()


@pytest.fixture
def warehouse(tmp_path):
    path = tmp_path / "w.duckdb"
    load_sample(path)
    load_sample(path, ARTICLES / "finland_nato_relations.txt")
    return path


def test_latest_poll_per_article_and_pollster(warehouse):
    rows = query(
        warehouse,
        "SELECT pollster, date_text FROM latest_polls WHERE article_id = ? ORDER BY pollster",
        [SAMPLE.name],
    )
    assert rows == [
        ("NSPM", "February 2024"),
        ("Ninamedia", "March 2022"),
        ("TNS Medium Gallup", "September 2007"),
    ]


def test_monthly_series_weighs_by_sample_size(warehouse):
    rows = query(
        warehouse,
        "SELECT month, polls, mean_share, weighted_share, respondents FROM monthly_series "
        "WHERE article_id = 'finland_nato_relations.txt' AND option = 'Yes' AND month = DATE '2020-11-01'",
    )
    # November 2020 holds one poll with no sample size: a mean, but no weighted share.
    assert rows == [(date(2020, 11, 1), 1, 50.0, None, None)]
    (weighted,) = query(
        warehouse,
        "SELECT weighted_share FROM monthly_series WHERE article_id = ? AND option = 'Support' AND month = DATE '2024-02-01'",
        [SAMPLE.name],
    )
    assert weighted == (7.6,)


def test_each_poll_with_the_latest_event_before_it(warehouse):
    rows = query(
        warehouse,
        "SELECT fieldwork_start, latest_event_date, latest_event FROM polls_with_latest_event "
        "WHERE article_id = ? ORDER BY fieldwork_start",
        [SAMPLE.name],
    )
    assert rows[0] == (date(2007, 9, 1), date(2006, 12, 14), "Partnership for Peace")
    assert rows[2] == (date(2022, 3, 1), date(2022, 2, 24), "Russia invades Ukraine")
    assert rows[-1] == (date(2024, 2, 1), date(2023, 4, 4), "Finland acceedes to NATO")


def test_query_formats(warehouse):
    sql = "SELECT pollster, fieldwork_start, client FROM polls WHERE article_id = 'serbia_nato_relations.txt' ORDER BY fieldwork_start LIMIT 2"
    table = runner.invoke(app, ["query", sql, "--warehouse", str(warehouse)])
    assert table.exit_code == 0, table.output
    assert table.output.splitlines()[0].split() == ["pollster", "fieldwork_start", "client"]
    assert "TNS Medium Gallup  2007-09-01       Angus Reid Global Monitor" in table.output
    assert table.output.rstrip().endswith("(2 rows)")
    csv_out = runner.invoke(app, ["query", sql, "--warehouse", str(warehouse), "--format", "csv"])
    assert csv_out.output.splitlines() == [
        "pollster,fieldwork_start,client",
        "TNS Medium Gallup,2007-09-01,Angus Reid Global Monitor",
        "Ninamedia,2017-03-01,Institute for European Affairs",
    ]
    records = json.loads(
        runner.invoke(app, ["query", sql, "--warehouse", str(warehouse), "--format", "json"]).output
    )
    assert records[0] == {
        "pollster": "TNS Medium Gallup",
        "fieldwork_start": "2007-09-01",
        "client": "Angus Reid Global Monitor",
    }


def test_query_is_read_only_and_reports_bad_sql(warehouse):
    deleted = runner.invoke(app, ["query", "DELETE FROM polls", "--warehouse", str(warehouse)])
    assert deleted.exit_code == 1
    assert "read-only" in deleted.output
    assert query(warehouse, "SELECT count(*) FROM polls")[0][0] > 0
    wrong = runner.invoke(app, ["query", "SELECT nope FROM polls", "--warehouse", str(warehouse)])
    assert wrong.exit_code == 1 and "query failed" in wrong.output
    missing = runner.invoke(
        app, ["query", "SELECT 1", "--warehouse", str(warehouse.parent / "none.duckdb")]
    )
    assert missing.exit_code == 2 and "no warehouse here yet" in missing.output


def test_query_waits_for_a_load_then_answers(warehouse):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); time.sleep(3)", str(warehouse)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        given_up = runner.invoke(
            app, ["query", "SELECT 1", "--warehouse", str(warehouse), "--wait", "0.3"]
        )
        assert given_up.exit_code == 2
        assert "locked by another process" in given_up.output
        waited = runner.invoke(
            app,
            [
                "query",
                "SELECT count(*) AS n FROM events",
                "--warehouse",
                str(warehouse),
                "--wait",
                "60",
            ],
        )
        assert waited.exit_code == 0, waited.output
        assert "is locked by a load; waiting up to 60 s" in waited.output
    finally:
        holder.kill()
        holder.wait()


def test_validate_junit_has_a_case_per_article_and_check():
    result = runner.invoke(
        app, ["validate", "--raw", str(ARTICLES), "--format", "junit", "--run-date", "2026-11-28"]
    )
    assert result.exit_code == 1
    xml = result.stdout[
        result.stdout.index("<?xml") : result.stdout.index("</testsuites>") + len("</testsuites>")
    ]
    root = ElementTree.fromstring(xml)
    (suite,) = root.findall("testsuite")
    cases = {case.get("name"): case for case in suite.findall("testcase")}
    assert (
        cases["unparseable_value"].find("failure").get("message") == "1 rows fail unparseable_value"
    )
    assert cases["lead_mismatch"].find("skipped") is not None  # a warning: visible, not failing
    assert cases["value_refused"].find("skipped") is not None
    assert (root.get("failures"), root.get("skipped")) == ("6", "4")
    strict = runner.invoke(
        app,
        [
            "validate",
            "--raw",
            str(ARTICLES),
            "--format",
            "junit",
            "--strict",
            "--run-date",
            "2026-11-28",
        ],
    )
    strict_root = ElementTree.fromstring(
        strict.stdout[strict.stdout.index("<?xml") : strict.stdout.index("</testsuites>") + 13]
    )
    assert strict_root.get("failures") == "10"


def test_validate_junit_passing_article_is_one_passing_case():
    result = runner.invoke(app, ["validate", "--raw", str(SAMPLE.parent), "--format", "junit"])
    assert result.exit_code == 0
    root = ElementTree.fromstring(
        result.stdout[result.stdout.index("<?xml") : result.stdout.index("</testsuites>") + 13]
    )
    (case,) = root.iter("testcase")
    assert case.get("name") == "all checks pass" and list(case) == []


def test_validate_github_annotations_point_at_the_raw_line():
    result = runner.invoke(
        app, ["validate", "--raw", str(ARTICLES), "--format", "github", "--run-date", "2026-11-28"]
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("::")]
    assert len(lines) == 11
    path = (ARTICLES / "finland_nato_relations.txt").as_posix()
    assert lines[0] == (
        f"::warning file={path},line=20,title=wikipoll value_refused::"
        "table 1, row 8: '84,6%25' is not a percentage: use a decimal point (column 'Yes'): "
        "the poll loads without a share there"
    )
    assert lines[2].startswith(f"::error file={path},line=22,title=wikipoll too_many_cells::")
    assert any(
        line.startswith(f"::warning file={path},line=27,title=wikipoll lead_mismatch::")
        for line in lines
    )


# --- output a terminal and a spreadsheet can trust --------------------------------------------


def test_control_characters_never_reach_a_terminal_but_machine_formats_keep_the_text(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    load_sample(warehouse)
    with duckdb.connect(str(warehouse)) as con:  # as an older wikipoll could have stored it
        con.execute(
            "UPDATE polls SET pollster = 'NSPM\x1b[2J\x9b' WHERE date_text = 'February 2024'"
        )
    sql = "SELECT pollster FROM polls WHERE date_text = 'February 2024'"
    table = runner.invoke(app, ["query", sql, "--warehouse", str(warehouse)])
    assert "\x1b" not in table.stdout and "\x9b" not in table.stdout
    assert "NSPM\\x1b[2J\\x9b" in table.stdout
    exact = runner.invoke(app, ["query", sql, "--warehouse", str(warehouse), "--format", "json"])
    assert json.loads(exact.stdout) == [{"pollster": "NSPM\x1b[2J\x9b"}]


def test_validate_prints_a_file_name_with_control_characters_escaped(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "evil\x1b[2J.txt").write_text(
        "= T =\n| Date | Pollster | Yes | No |\n| sometime | X | 40% | 60% |\n", encoding="utf-8"
    )
    result = runner.invoke(app, ["validate", "--raw", str(raw)])
    assert result.exit_code == 1
    assert (
        "\x1b" not in result.output
        and "evil\\x1b[2J.txt:3: error: unparseable_value" in result.output
    )


def test_csv_carries_formula_like_cells_exactly(tmp_path):
    # A machine format: what is stored, byte for byte. The README says to import, not open, such
    # a file in a spreadsheet.
    warehouse = tmp_path / "w.duckdb"
    load_sample(warehouse)
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "UPDATE polls SET pollster = '=HYPERLINK(\"http://x\")' WHERE date_text = 'February 2024'"
        )
    result = runner.invoke(
        app,
        ["query", "SELECT pollster FROM polls WHERE date_text = 'February 2024'",
         "--warehouse", str(warehouse), "--format", "csv"],
    )  # fmt: skip
    assert result.stdout.splitlines() == ["pollster", '"=HYPERLINK(""http://x"")"']


def test_a_run_that_cannot_open_its_warehouse_says_so_in_one_line(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(SAMPLE, raw / SAMPLE.name)
    not_a_file = tmp_path / "w.duckdb"
    not_a_file.mkdir()
    result = runner.invoke(app, ["run", "--raw", str(raw), "--warehouse", str(not_a_file)])
    assert result.exit_code == 2
    (line,) = result.output.strip().splitlines()
    assert line.startswith(f"wikipoll: error: {not_a_file}: ") and "give a --warehouse file" in line


# --- query is a read-only, exact SQL client ------------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "COPY (SELECT * FROM polls) TO '{out}/polls.csv'",
        "EXPORT DATABASE '{out}/export'",
        "ATTACH '{out}/other.duckdb'",
        "SELECT * FROM read_csv('{out}/../raw.csv')",
        "INSTALL httpfs",
        "SET enable_external_access = true",
        "DELETE FROM polls",
    ],
)
def test_query_refuses_anything_that_writes(tmp_path, sql):
    warehouse = tmp_path / "w.duckdb"
    load_sample(warehouse)
    out = tmp_path / "out"
    out.mkdir()
    result = runner.invoke(app, ["query", sql.format(out=out), "--warehouse", str(warehouse)])
    assert result.exit_code == 1
    assert result.output.startswith("wikipoll: error: query failed:")
    assert list(out.iterdir()) == []
    assert query(warehouse, "SELECT count(*) FROM polls") == [(9,)]


@pytest.mark.parametrize("sql", ["", "   ", ";", " ; ;"])
def test_query_without_a_statement_says_what_to_give(tmp_path, sql):
    warehouse = tmp_path / "w.duckdb"
    load_sample(warehouse)
    result = runner.invoke(app, ["query", sql, "--warehouse", str(warehouse)])
    assert result.exit_code == 2
    assert result.output.startswith("wikipoll: error: give a SQL statement to run")


def test_query_refuses_a_script_of_several_statements(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    load_sample(warehouse)
    result = runner.invoke(app, ["query", "SELECT 1; SELECT 2", "--warehouse", str(warehouse)])
    assert result.exit_code == 2 and "holds 2 statements; give one at a time" in result.output


def test_query_json_is_valid_json_of_values(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    load_sample(warehouse)
    sql = (
        "SELECT 'nan'::DOUBLE AS nan, 'inf'::DOUBLE AS inf, INTERVAL 3 DAY + INTERVAL 4 HOUR AS i,"
        " [1, 2] AS l, {'a': 1, 'b': [DATE '2024-03-07']} AS s, 1.25::DECIMAL(4, 2) AS d,"
        " TIME '12:30:00' AS t"
    )
    result = runner.invoke(app, ["query", sql, "--warehouse", str(warehouse), "--format", "json"])
    assert result.exit_code == 0
    assert "NaN" not in result.stdout and "Infinity" not in result.stdout
    assert json.loads(result.stdout) == [{
        "nan": None, "inf": None, "i": "P3DT4H", "l": [1, 2],
        "s": {"a": 1, "b": ["2024-03-07"]}, "d": 1.25, "t": "12:30:00",
    }]  # fmt: skip
    csv_out = runner.invoke(app, ["query", sql, "--warehouse", str(warehouse), "--format", "csv"])
    assert (
        csv_out.stdout.splitlines()[1]
        == ',,P3DT4H,"[1, 2]","{""a"": 1, ""b"": [""2024-03-07""]}",1.25,12:30:00'
    )


# --- the README's queries print what it shows ------------------------------------------------------

README = (REPO / "README.md").read_text(encoding="utf-8")
# A query in a shell block, then the block of what it prints.
EXAMPLE = re.compile(r'```sh\n\.venv/bin/wikipoll query "([^"\n]+)"\n```\n```\n(.*?)```', re.S)


@pytest.mark.parametrize(
    ("sql", "printed"),
    EXAMPLE.findall(README),
    ids=lambda value: value[:40] if "\n" not in value else "",
)
def test_every_example_query_of_the_readme_prints_what_it_shows(tmp_path, sql, printed):
    warehouse = tmp_path / "w.duckdb"
    load_sample(warehouse)
    result = runner.invoke(app, ["query", sql, "--warehouse", str(warehouse)])
    assert result.exit_code == 0, result.output
    assert result.stdout == printed


def test_the_readme_has_example_queries():
    assert len(EXAMPLE.findall(README)) >= 4


def test_the_readme_data_dictionary_query_gives_the_contracts_columns_with_comments(warehouse):
    from schemas.warehouse import WAREHOUSE_TABLES

    (sql,) = re.findall(r'wikipoll query "(SELECT table_name, column_name, comment [^"]+)"', README)
    rows = query(warehouse, sql)
    contract = {
        (table, column)
        for table, model in WAREHOUSE_TABLES.items()
        for column in model.to_schema().columns
    }
    assert {(table, column) for table, column, _ in rows} == contract
    assert len(rows) == len(contract)
    assert all(comment for _, _, comment in rows), "a column without its comment"


def test_query_imports_what_a_query_needs_only(warehouse):
    """`wikipoll query` answers in a fraction of a second because it imports DuckDB and Typer,
    not pandas, pandera, Prefect or Dask (benchmarks/startup.py measures it)."""
    script = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from flows.cli import app\n"
        f"result = CliRunner().invoke(app, ['query', 'SELECT count(*) FROM polls', '--warehouse', {str(warehouse)!r}])\n"
        "assert result.exit_code == 0, result.output\n"
        "print(sorted(m for m in ('pandas', 'pandera', 'prefect', 'dask', 'pyarrow') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"
