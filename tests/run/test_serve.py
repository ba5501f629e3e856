"""Scheduled runs for real: a Prefect server on loopback (the test session's, see conftest.py),
`wikipoll serve`, a triggered run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests import prefect_server
from tests.prefect_server import free_port, wait_until

WIKIPOLL = str(Path(sys.executable).parent / "wikipoll")


@pytest.mark.prefect
@pytest.mark.timeout(600)
def test_serve_schedules_a_deployment_and_its_run_loads(prefect_api, raw_dir, tmp_path):
    api_url = prefect_api
    # The runner looks for runs to start every second, not every 10 s (Prefect's default).
    env = prefect_server.client_env(
        api_url, tmp_path / "prefect-home", PREFECT_RUNNER_POLL_FREQUENCY="1"
    )
    warehouse = tmp_path / "scheduled.duckdb"
    serve_log = (tmp_path / "serve.log").open("w")
    serving = subprocess.Popen(
        [WIKIPOLL, "serve", "--cron", "0 6 * * *", "--timezone", "Europe/Belgrade",
         "--raw", str(raw_dir), "--warehouse", str(warehouse)],
        env=env, stdout=serve_log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    # This test's own client talks to the same server. Prefect reads its settings once per
    # process, so an environment variable set now would be ignored: override them instead.
    settings = temporary_settings({PREFECT_API_URL: api_url})
    settings.__enter__()
    try:

        def deployment():
            with get_client(sync_client=True) as client:
                try:
                    return client.read_deployment_by_name("wikipoll/wikipoll-scheduled")
                except Exception:  # not registered yet
                    return None

        found = wait_until(deployment, 240, "the deployment to be registered", serving)
        (schedule,) = found.schedules
        assert schedule.schedule.cron == "0 6 * * *"
        assert schedule.schedule.timezone == "Europe/Belgrade"
        assert schedule.active

        flow_run = run_deployment("wikipoll/wikipoll-scheduled", timeout=300, poll_interval=1)
        assert flow_run.state.is_completed(), flow_run.state
        with duckdb.connect(str(warehouse), read_only=True) as con:
            assert con.execute("SELECT count(*) FROM polls").fetchone() == (9,)
            (run_id,) = con.execute("SELECT run_id FROM load_runs").fetchone()
        assert run_id == str(flow_run.id)

        # Stopping the server process keeps the schedule: runs wait for the next `serve`.
        serving.send_signal(signal.SIGINT)
        serving.wait(timeout=60)
        with get_client(sync_client=True) as client:
            after = client.read_deployment_by_name("wikipoll/wikipoll-scheduled")
        assert after.schedules[0].active and not after.paused
    finally:
        settings.__exit__(None, None, None)
        if serving.poll() is None:
            serving.kill()
            serving.wait()
        serve_log.close()


def test_serve_without_a_server_says_so(raw_dir, tmp_path):
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "home")}
    env.pop("PREFECT_API_URL", None)
    result = subprocess.run(
        [WIKIPOLL, "serve", "--cron", "0 6 * * *", "--raw", str(raw_dir)],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2
    assert "scheduling needs a Prefect server" in result.stderr
    assert "prefect server start" in result.stderr


def test_serve_with_an_unreachable_server_says_so(raw_dir, tmp_path):
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "home"),
           "PREFECT_API_URL": f"http://127.0.0.1:{free_port()}/api"}  # fmt: skip
    result = subprocess.run(
        [WIKIPOLL, "serve", "--cron", "0 6 * * *", "--raw", str(raw_dir)],
        env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert result.returncode == 2
    assert "no Prefect server answers there" in result.stderr
