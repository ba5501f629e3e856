"""The pipeline as users run it: the pure transform, a real Prefect flow run, and `wikipoll run`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from flows.check.validate import validate_batch
from flows.cli import app
from flows.load.warehouse import load_batch
from flows.read.files import find_article_files
from flows.records import new_run
from flows.run.workers import transform_files
from tests import prefect_server
from tests.conftest import ARTICLES, RUN, SAMPLE


def write_bad_articles(folder: Path) -> None:
    """Files a user can put in raw/ by mistake, each of which must be reported, not crash a run."""
    (folder / "empty.txt").write_text("", encoding="utf-8")
    (folder / "binary.txt").write_bytes(b"= Title =\n\x00\x01\x02 binary")
    (folder / "latin1.txt").write_bytes("= Caf\xe9 =\n| a | b |\n".encode("latin-1"))
    (folder / "no_tables.txt").write_text("= Just prose =\n\nNo tables here.\n", encoding="utf-8")
    (folder / "notes.md").write_text("not an article: other suffixes are ignored", encoding="utf-8")


def test_bad_files_are_reported_and_the_rest_still_loads(raw_dir, tmp_path):
    write_bad_articles(raw_dir)
    transformed = transform_files(find_article_files(raw_dir), raw_dir)
    refused = {error.source_path: error for error in transformed.refused}
    assert set(refused) == {"empty.txt", "binary.txt", "latin1.txt"}
    assert refused["empty.txt"].reason == "the file is empty"
    assert "NUL" in refused["binary.txt"].reason and refused["binary.txt"].line == 2
    assert "not UTF-8" in refused["latin1.txt"].reason and refused["latin1.txt"].line == 1
    assert str(refused["latin1.txt"]) == "latin1.txt:1: not UTF-8 text (byte 0xe9 at offset 5)"
    assert sorted(a.article.article_id for a in transformed.articles) == [
        "no_tables.txt",
        "serbia_nato_relations.txt",
    ]

    warehouse = tmp_path / "w.duckdb"
    batch = validate_batch(transformed.articles, RUN, transformed.refused)
    summary = load_batch(warehouse, batch, new_run(run_date=RUN.run_date), raw_dir="raw")
    assert (summary.articles, summary.polls, summary.rejected) == (2, 9, 3)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        refused_rows = con.execute(
            "SELECT source_path, check_name FROM rejected_rows ORDER BY 1"
        ).fetchall()
    assert refused_rows == [
        ("binary.txt", "unreadable_file"),
        ("empty.txt", "unreadable_file"),
        ("latin1.txt", "unreadable_file"),
    ]


def test_a_crash_on_one_article_is_kept_aside_with_the_reason(raw_dir, monkeypatch):
    # A real bug would crash somewhere inside normalize; make one happen for one article only.
    import flows.run.workers as pipeline

    original = pipeline.normalize_article

    def crash_on_second(article):
        if article.article_id == "second.txt":
            raise KeyError("column")
        return original(article)

    monkeypatch.setattr(pipeline, "normalize_article", crash_on_second)
    shutil.copy(SAMPLE, raw_dir / "second.txt")
    transformed = transform_files(find_article_files(raw_dir), raw_dir)
    assert [a.article.article_id for a in transformed.articles] == ["serbia_nato_relations.txt"]
    (error,) = transformed.refused
    assert error.check_name == "processing_error"
    assert "KeyError" in error.reason and "please report it" in error.reason


# --- the command line -------------------------------------------------------------------------------

runner = CliRunner()


def test_validate_passes_the_sample():
    result = runner.invoke(
        app, ["validate", "--raw", str(SAMPLE.parent), "--run-date", "2026-11-28"]
    )
    assert result.exit_code == 0, result.output
    assert "0 errors, 0 warnings in 1 article files (9 polls, 6 events would load)" in result.output


def test_validate_reports_file_line_table_column_check_and_exits_1():
    result = runner.invoke(app, ["validate", "--raw", str(ARTICLES), "--run-date", "2026-11-28"])
    assert result.exit_code == 1
    path = (ARTICLES / "finland_nato_relations.txt").as_posix()
    assert (
        f"{path}:20: warning: value_refused (table 1, row 8, column 'Yes'): "
        "'84,6%' is not a percentage: use a decimal point (column 'Yes')"
    ) in result.output
    assert f"{path}:35: error: unparseable_value (table 2, row 3, column 'Date'):" in result.output
    assert f"{path}:27: warning: lead_mismatch (table 1, row 15, column 'lead'):" in result.output
    assert "6 errors, 5 warnings" in result.output


def test_validate_json_and_strict(tmp_path):
    result = runner.invoke(
        app, ["validate", "--raw", str(ARTICLES), "--format", "json", "--run-date", "2026-11-28"]
    )
    findings = json.loads(result.stdout)
    assert {f["severity"] for f in findings} == {"error", "warning"}
    first = next(f for f in findings if f["check"] == "too_many_cells")
    assert (first["line"], first["table"], first["row"], first["value"]) == (22, 1, 10, "12%")
    # Warnings alone pass, unless --strict.
    only_warnings = tmp_path / "raw"
    only_warnings.mkdir()
    (only_warnings / "a.txt").write_text(
        "= A =\n| Date | Pollster | Sample size | Yes | No | Lead |\n| March 2022 | X | | 50% | 40% | 10% |\n",
        encoding="utf-8",
    )
    assert runner.invoke(app, ["validate", "--raw", str(only_warnings)]).exit_code == 0
    assert runner.invoke(app, ["validate", "--raw", str(only_warnings), "--strict"]).exit_code == 1


def test_validate_exits_2_when_it_cannot_run(tmp_path):
    missing = runner.invoke(app, ["validate", "--raw", str(tmp_path / "nope")])
    assert missing.exit_code == 2
    assert "no such folder of articles" in missing.output
    empty = runner.invoke(app, ["validate", "--raw", str(tmp_path)])
    assert empty.exit_code == 2
    assert "no article files" in empty.output


# --- real Prefect -----------------------------------------------------------------------------------


@pytest.mark.prefect
def test_the_prefect_flow_runs_and_loads(raw_dir, tmp_path, prefect_api):
    from flows.run.flow import wikipoll_flow

    warehouse = tmp_path / "w.duckdb"
    write_bad_articles(raw_dir)
    with prefect_server.client_of(prefect_api):  # the session's server, as a test harness would
        state = wikipoll_flow(raw_dir=str(raw_dir), warehouse=str(warehouse), return_state=True)
        assert state.is_completed()
        report = state.result()
        artifacts = read_artifacts(state.state_details.flow_run_id)
    counts = {row["article_id"]: row for row in json.loads(artifacts["wikipoll-articles"].data)}
    assert counts["serbia_nato_relations.txt"]["polls"] == 9
    assert counts["serbia_nato_relations.txt"]["repaired"] == 6
    validation = artifacts["wikipoll-validation"].data
    assert "## Rejected rows (errors): 3" in validation
    assert "| empty.txt |  | `unreadable_file` | the file is empty |" in validation
    assert (report.summary.polls, report.summary.events) == (9, 6)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        (run_id,) = con.execute("SELECT run_id FROM load_runs").fetchone()
    assert run_id == str(state.state_details.flow_run_id)


def read_artifacts(flow_run_id) -> dict:
    """The artifacts a flow run published, by key, read back through the Prefect API."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(),
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])),
        )
    return {artifact.key: artifact for artifact in artifacts}


def run_wikipoll(*args: str, home: Path, api_url: str | None = None) -> subprocess.CompletedProcess:
    """`wikipoll` as a user runs it: in Prefect's local ephemeral mode, or against the Prefect
    server at `api_url`."""
    env = {**os.environ, "PREFECT_HOME": str(home / "prefect-home")}
    env.pop("PREFECT_API_URL", None)
    if api_url:
        env["PREFECT_API_URL"] = api_url
    command = [str(Path(sys.executable).parent / "wikipoll"), *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)


@pytest.mark.prefect
def test_wikipoll_run_end_to_end_twice(raw_dir, tmp_path, prefect_api):
    warehouse = tmp_path / "warehouse" / "wikipoll.duckdb"
    # The first run as `make run` does it: no server, Prefect's local ephemeral mode.
    first = run_wikipoll("run", "--raw", str(raw_dir), "--warehouse", str(warehouse), home=tmp_path)
    assert first.returncode == 0, first.stderr[-2000:]
    assert "serbia_nato_relations.txt" in first.stdout
    assert (
        "1 articles loaded, 0 unchanged, 0 pruned; 9 polls, 6 events, 0 rejected, 6 repaired, "
        "0 warnings; rows: 15 in = 15 loaded + 0 rejected + 0 skipped"
    ) in first.stdout
    # Nothing changed: the article is not read again, and the warehouse keeps its rows. This
    # run goes to a Prefect server (PREFECT_API_URL), as a scheduled or shared setup runs.
    summary_json = tmp_path / "summary.json"
    second = run_wikipoll(
        "run", "--raw", str(raw_dir), "--warehouse", str(warehouse),
        "--summary-json", str(summary_json), home=tmp_path, api_url=prefect_api,
    )  # fmt: skip
    assert second.returncode == 0, second.stderr[-2000:]
    assert "0 articles loaded, 1 unchanged, 0 pruned; 0 polls" in second.stdout
    # The machine-readable summary, for orchestration outside Prefect.
    document = json.loads(summary_json.read_text(encoding="utf-8"))
    assert document["counts"]["articles_unchanged"] == 1 and document["counts"]["polls"] == 0
    assert (document["refused"], document["pruned"], document["articles"]) == ([], [], [])
    assert document["run_id"] in second.stdout
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM polls").fetchone() == (9,)
        assert con.execute("SELECT count(*) FROM events").fetchone() == (6,)
        assert con.execute("SELECT status, count(*) FROM load_runs GROUP BY ALL").fetchall() == [
            ("completed", 2)
        ]
        assert con.execute(
            "SELECT rows_in, rows_loaded FROM load_runs ORDER BY started_at"
        ).fetchall() == [(15, 15), (0, 0)]
        assert con.execute(
            "SELECT option, share FROM poll_answers WHERE pollster = 'TNS Medium Gallup' ORDER BY share DESC"
        ).fetchall() == [("Opposed", 55.0), ("Support", 28.0), ("Neutral or", 17.0)]


def test_wikipoll_run_fails_clearly_without_articles(tmp_path):
    result = run_wikipoll("run", "--raw", str(tmp_path / "missing"), home=tmp_path)
    assert result.returncode == 2
    assert "no such folder of articles" in result.stderr
