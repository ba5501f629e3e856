"""The README's guarantees, each proved with real processes: killed loads, runs at once,
readers during loads, unwritable warehouses, hostile files. The runs go to the test session's
Prefect server (`prefect_env`), so none starts a server of its own; the processes a test kills are
started with `prefect_server.reaped`, so nothing they started outlives the test."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tests import prefect_server
from tests.conftest import FIXTURES, SAMPLE, validate_files

pytestmark = pytest.mark.prefect

WIKIPOLL = str(Path(sys.executable).parent / "wikipoll")


def environment(tmp_path: Path) -> dict[str, str]:
    """For a run that must fail before Prefect starts: no server at all."""
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect-home")}
    env.pop("PREFECT_API_URL", None)
    return env


def wikipoll(*args: str, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [WIKIPOLL, *args], capture_output=True, text=True, env=env, timeout=timeout
    )


def load_previous_state(raw: Path, warehouse: Path, prefect_env: dict[str, str]) -> None:
    """The state a test starts from: one run of the flow, made in this process. What the tests
    prove is in the `wikipoll run` processes that follow; a process for this one would first
    spend some five seconds starting up."""
    from flows.run.flow import wikipoll_flow

    with prefect_server.client_of(prefect_env["PREFECT_API_URL"]):
        summary = wikipoll_flow(raw_dir=str(raw), warehouse=str(warehouse)).summary
    assert summary.articles > 0 and summary.rejected == 0


def snapshot(warehouse: Path) -> dict[str, list]:
    tables = ["articles", "polls", "poll_results", "events", "source_cells", "rejected_rows"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in tables}


def test_a_run_killed_mid_load_leaves_the_previous_state(raw_dir, tmp_path, prefect_env):
    warehouse = tmp_path / "w.duckdb"
    env = prefect_env
    load_previous_state(raw_dir, warehouse, env)
    before = snapshot(warehouse)
    shutil.copy(FIXTURES / "articles" / "finland_nato_relations.txt", raw_dir / "finland.txt")
    # Whatever the killed run started (workers, a Prefect server) is killed with the test.
    with prefect_server.reaped({**env, "WIKIPOLL_TEST_PAUSE_IN_LOAD": "120"}) as paused:
        victim = subprocess.Popen(
            [WIKIPOLL, "run", "--raw", str(raw_dir), "--warehouse", str(warehouse), "--full-refresh"],
            env=paused, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 180
            for line in victim.stderr:
                if "test pause in load" in line or time.monotonic() > deadline:
                    break
            assert victim.poll() is None, "the run ended before it reached its load"
            victim.send_signal(signal.SIGKILL)
            victim.wait(timeout=30)
        finally:
            if victim.poll() is None:
                victim.kill()
                victim.wait()
    # The file reopens, holding exactly what it held before the killed run.
    assert snapshot(warehouse) == before
    with duckdb.connect(str(warehouse), read_only=True) as con:
        statuses = con.execute("SELECT status FROM load_runs ORDER BY started_at").fetchall()
    assert statuses == [("completed",), ("running",)]
    # The next run completes, and records the killed one as interrupted.
    after = wikipoll("run", "--raw", str(raw_dir), "--warehouse", str(warehouse), env=env)
    assert after.returncode == 0, after.stderr[-2000:]
    assert "was interrupted" in after.stderr
    with duckdb.connect(str(warehouse), read_only=True) as con:
        statuses = con.execute("SELECT status FROM load_runs ORDER BY started_at").fetchall()
        assert con.execute("SELECT count(*) FROM articles").fetchone() == (2,)
    assert statuses == [("completed",), ("interrupted",), ("completed",)]


def test_two_runs_at_once_never_double_a_load(raw_dir, tmp_path, prefect_env):
    warehouse = tmp_path / "w.duckdb"
    env = prefect_env
    shutil.copy(FIXTURES / "articles" / "finland_nato_relations.txt", raw_dir / "finland.txt")
    command = [
        WIKIPOLL,
        "run",
        "--raw",
        str(raw_dir),
        "--warehouse",
        str(warehouse),
        "--full-refresh",
    ]
    runs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]  # fmt: skip
    results = [run.communicate(timeout=600) for run in runs]
    codes = [run.returncode for run in runs]
    # Each either completes (waiting for the lock) or stops with a clear message.
    for code, (_, stderr) in zip(codes, results, strict=True):
        assert code == 0 or "locked by another process" in stderr, stderr[-2000:]
    assert 0 in codes
    # Exactly one load's rows, as the same articles validated in this process give them.
    once = validate_files(SAMPLE, raw_dir / "finland.txt").frames
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM polls").fetchone() == (len(once["polls"]),)
        assert con.execute("SELECT count(*) FROM poll_results").fetchone() == (
            len(once["poll_results"]),
        )
        assert con.execute("SELECT count(*) FROM articles").fetchone() == (2,)
        completed = con.execute(
            "SELECT count(*) FROM load_runs WHERE status = 'completed'"
        ).fetchone()[0]
    assert completed == codes.count(0)


def test_readers_never_fail_or_see_half_a_load(raw_dir, tmp_path, prefect_env):
    warehouse = tmp_path / "w.duckdb"
    env = prefect_env
    load_previous_state(raw_dir, warehouse, env)
    seen: list[str] = []
    deadline = time.monotonic() + 240
    # A load still running when the test stops is killed, with what it started.
    with prefect_server.reaped(env) as load_env:
        loads = [
            subprocess.Popen([WIKIPOLL, "run", "--raw", str(raw_dir), "--warehouse", str(warehouse),
                              "--full-refresh"], env=load_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ]  # fmt: skip
        try:
            while time.monotonic() < deadline:
                if loads[-1].poll() is not None:
                    if len(loads) == 2:
                        break
                    loads.append(subprocess.Popen(
                        [WIKIPOLL, "run", "--raw", str(raw_dir), "--warehouse", str(warehouse), "--full-refresh"],
                        env=load_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))  # fmt: skip
                result = wikipoll("query", "SELECT (SELECT count(*) FROM polls) || '/' || (SELECT count(*) FROM poll_results)",
                                  "--warehouse", str(warehouse), "--format", "csv", "--wait", "120", env=env, timeout=180)  # fmt: skip
                assert result.returncode == 0, result.stderr
                seen.append(result.stdout.splitlines()[1])
        finally:
            for load in loads:
                if load.poll() is None:
                    load.kill()
                load.wait()
    assert all(load.returncode == 0 for load in loads)
    assert len(seen) >= 3
    assert set(seen) == {"9/27"}, f"a query saw a partial load: {sorted(set(seen))}"


def test_an_unwritable_warehouse_location_fails_clearly_and_changes_nothing(raw_dir, tmp_path):
    env = environment(tmp_path)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the warehouse folder should be", encoding="utf-8")
    result = wikipoll(
        "run", "--raw", str(raw_dir), "--warehouse", str(blocker / "w.duckdb"), env=env
    )
    assert result.returncode == 2
    assert "wikipoll: error:" in result.stderr and "not-a-folder" in result.stderr
    assert blocker.read_text(encoding="utf-8").startswith("a file where")


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small tmpfs needs root")
def test_a_full_disk_fails_the_run_and_keeps_the_previous_state(raw_dir, tmp_path, prefect_env):
    env = prefect_env
    disk = tmp_path / "small-disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(disk)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.fail(f"could not mount a tmpfs to fill: {mounted.stderr.decode()}")
    try:
        warehouse = disk / "w.duckdb"
        load_previous_state(raw_dir, warehouse, env)
        before = snapshot(warehouse)
        subprocess.run(
            ["dd", "if=/dev/zero", f"of={disk / 'filler'}", "bs=64k"], capture_output=True
        )
        for index in range(30):
            shutil.copy(
                FIXTURES / "articles" / "finland_nato_relations.txt", raw_dir / f"f{index}.txt"
            )
        result = wikipoll("run", "--raw", str(raw_dir), "--warehouse", str(warehouse), env=env)
        assert result.returncode != 0
        assert "wikipoll: error:" in result.stderr or "No space left" in result.stderr
        (disk / "filler").unlink()
        assert snapshot(warehouse) == before
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True)
