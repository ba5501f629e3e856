"""Shared fixtures: the sample article, the hand-written test articles, a run on a fixed day, one
Prefect server for the session; and a check that no process the tests started outlives them."""

from __future__ import annotations

import os
import shutil
import time
from datetime import date, datetime
from pathlib import Path

import pytest

from flows.check.validate import ValidatedBatch, validate_batch
from flows.read.files import parse_article_file
from flows.records import RunInfo
from flows.shape.records import NormalizedArticle, normalize_article
from tests import prefect_server

REPO = Path(__file__).resolve().parent.parent
RAW = REPO / "raw"
SAMPLE = RAW / "serbia_nato_relations.txt"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
ARTICLES = FIXTURES / "articles"
CORPUS = FIXTURES / "corpus"

# Every test checks dates against the same day, so "after the run date" never depends on today.
RUN = RunInfo(
    run_id="test-run", started_at=datetime(2026, 11, 28, 12, 0), run_date=date(2026, 11, 28)
)


def normalize_file(path: Path) -> NormalizedArticle:
    return normalize_article(parse_article_file(path, path.parent))


def validate_files(*paths: Path) -> ValidatedBatch:
    return validate_batch([normalize_file(path) for path in paths], RUN)


@pytest.fixture
def raw_dir(tmp_path: Path) -> Path:
    """A raw folder holding a copy of the sample article."""
    folder = tmp_path / "raw"
    folder.mkdir()
    shutil.copy(SAMPLE, folder / SAMPLE.name)
    return folder


def pytest_xdist_auto_num_workers(config):
    """`-n auto`: a worker per core and one more (the tests that run the flow spend much of their
    time waiting for processes they started), at most 4 (each worker that runs the flow starts a
    Prefect server of its own: more would cost more than they save)."""
    return max(1, min(4, (os.cpu_count() or 1) + 1))


# --- one Prefect server for the session ---------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def _prefect_server_launch(request, tmp_path_factory):
    """The session's Prefect server, launched as the session starts when a selected test needs it,
    and not waited for here: it boots (10 s and more, its database migrated on the first start)
    while the tests before the first that needs it run. Stopped when the session ends."""
    needed = any(
        "prefect_api" in getattr(item, "fixturenames", ()) for item in request.session.items
    )
    if not needed:
        yield None
        return
    folder = tmp_path_factory.mktemp("prefect-server")
    server = prefect_server.launch_server(folder / "prefect-home", folder / "server.log")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def prefect_api(_prefect_server_launch, tmp_path_factory):
    """The API URL of one real Prefect server (`prefect server start` on a free loopback port, its
    SQLite database under its own PREFECT_HOME) shared by every test that runs the flow: a run
    against it costs seconds, where a process in ephemeral mode (or a Prefect test harness) first
    starts a server of its own. Subprocesses get it as PREFECT_API_URL (`prefect_env`), this
    process through `prefect_server.client_of`."""
    if _prefect_server_launch is not None:
        yield _prefect_server_launch.wait_ready()
        return
    # Asked for by a test that did not name it (request.getfixturevalue): launched now.
    folder = tmp_path_factory.mktemp("prefect-server")
    server = prefect_server.launch_server(folder / "prefect-home", folder / "server.log")
    try:
        yield server.wait_ready()
    finally:
        server.stop()


@pytest.fixture
def prefect_env(prefect_api, tmp_path) -> dict[str, str]:
    """The environment for a `wikipoll` subprocess that runs against the session's server, with a
    PREFECT_HOME of its own."""
    return prefect_server.client_env(prefect_api, tmp_path / "prefect-home")


# --- nothing outlives the tests --------------------------------------------------------------------


def pytest_configure(config):
    # Every process the tests start inherits this token, so the check below finds what this
    # session started even when init has adopted it.
    prefect_server.start_session()


def pytest_sessionfinish(session, exitstatus):
    """Fail the session if a Prefect server (`prefect server start`, an ephemeral server's
    uvicorn) or a `wikipoll` process that this session started is still running: a child of
    pytest, or one whose parent died. The leftovers are reported, then killed."""
    token = prefect_server.session_token()
    deadline = time.monotonic() + 10  # a process that is being stopped gets a moment to exit
    while left := prefect_server.leftovers(token):
        if time.monotonic() > deadline:
            break
        time.sleep(0.2)
    if not left:
        return
    lines = [prefect_server.describe_leftover(proc) for proc in left]
    prefect_server.kill(left)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    message = (
        f"{len(left)} process(es) started by the tests outlived them (now killed); each test "
        "must stop the servers and runs it starts:\n  " + "\n  ".join(lines)
    )
    if reporter is not None:
        reporter.write("\n")
        reporter.write_sep("=", "processes left running", red=True)
        reporter.write_line(message)
    else:
        print(message)
    if session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
