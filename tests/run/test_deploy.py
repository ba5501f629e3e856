"""The production deployment for real: prefect.yaml deployed on a Prefect server on loopback, a
process worker running its flow runs, one deployment run at a time, the rows in DuckDB, and no
process left behind.

Every command is the one docs/deploy.md tells a user to type. The deployment is made from a copy
of the files a checkout needs (flows/, schemas/, prefect.yaml), as from the
checkout a worker runs in; the flow runs get a temporary raw folder and warehouse as parameters.
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import duckdb
import httpx
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
PREFECT = str(Path(sys.executable).parent / "prefect")
WIKIPOLL = str(Path(sys.executable).parent / "wikipoll")
POOL = "wikipoll-process"
DEPLOYMENT = "wikipoll/wikipoll-daily"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, seconds: float, what: str, process: subprocess.Popen | None = None):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if process is not None and process.poll() is not None:
            raise AssertionError(f"{what}: the process exited with {process.returncode}")
        time.sleep(0.5)
    raise AssertionError(f"{what}: not within {seconds} s")


def processes_marked(marker: str) -> list[int]:
    """The live processes whose environment holds this test's marker: the server, the worker,
    the flow runs it started and whatever they started, all inherit it."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if f"WIKIPOLL_TEST_MARKER={marker}".encode() in environ.split(b"\0") and state != "Z":
            found.append(int(entry.name))
    return found


def stop(process: subprocess.Popen, sig: int, seconds: float = 60) -> None:
    if process.poll() is None:
        process.send_signal(sig)
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def prefect(args: list[str], env: dict, cwd: Path, timeout: float = 180) -> str:
    result = subprocess.run(
        [PREFECT, "--no-prompt", *args], env=env, cwd=cwd, capture_output=True, text=True,
        timeout=timeout,
    )  # fmt: skip
    assert result.returncode == 0, f"prefect {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def checkout_copy(target: Path) -> Path:
    """What a worker's checkout holds that the flow needs: the code and prefect.yaml."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO / "flows", target / "flows", ignore=ignore)
    shutil.copytree(REPO / "schemas", target / "schemas", ignore=ignore)
    (target / "warehouse").mkdir()
    shutil.copy(REPO / "prefect.yaml", target / "prefect.yaml")
    return target


def test_prefect_yaml_declares_the_production_deployment():
    config = yaml.safe_load((REPO / "prefect.yaml").read_text())
    (deployment,) = config["deployments"]
    assert deployment["entrypoint"] == "flows/run/flow.py:wikipoll_flow"
    assert (REPO / deployment["entrypoint"].split(":")[0]).is_file()
    assert deployment["work_pool"]["name"] == POOL
    assert [schedule["cron"] for schedule in deployment["schedules"]] == ["0 6 * * *"]
    assert deployment["concurrency_limit"] == {"limit": 1, "collision_strategy": "ENQUEUE"}
    env = deployment["work_pool"]["job_variables"]["env"]
    assert int(env["PREFECT_FLOWS_DEFAULT_RETRIES"]) >= 1
    # The documented commands name the same pool and deployment.
    guide = (REPO / "docs" / "deploy.md").read_text()
    assert f"prefect work-pool create {POOL} --type process" in guide
    assert f"prefect worker start --pool {POOL}" in guide
    assert f"prefect deployment run {DEPLOYMENT}" in guide


@pytest.mark.prefect
@pytest.mark.timeout(600)
def test_deploy_from_prefect_yaml_and_a_worker_runs_it(tmp_path, raw_dir):
    marker = uuid.uuid4().hex
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_API_URL": api_url,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "false",
        # A run waiting for the deployment's concurrency slot is looked at again after this
        # many seconds (30 by default), and the worker polls every second (15): a faster test.
        "PREFECT_SERVER_DEPLOYMENTS_CONCURRENCY_SLOT_WAIT_SECONDS": "3",
        "PREFECT_WORKER_QUERY_SECONDS": "1",
        "WIKIPOLL_TEST_MARKER": marker,
    }
    checkout = checkout_copy(tmp_path / "checkout")
    warehouse = tmp_path / "deployed.duckdb"
    server_log = (tmp_path / "server.log").open("w")
    worker_log = (tmp_path / "worker.log").open("w")
    server_env = {name: value for name, value in env.items() if name != "PREFECT_API_URL"}
    server = subprocess.Popen(
        [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=server_env, stdout=server_log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    worker = None
    try:

        def healthy() -> bool:
            try:
                return httpx.get(f"{api_url}/health", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(healthy, 180, "the Prefect server to answer", server)

        # docs/deploy.md, steps 3 to 5: the pool, the deployment, a worker.
        prefect(["work-pool", "create", POOL, "--type", "process"], env, checkout)
        deployed = prefect(["deploy", "--all"], env, checkout)
        assert "wikipoll/wikipoll-daily" in deployed, deployed
        # The worker as docs/wikipoll-worker.service starts it.
        worker = subprocess.Popen(
            [PREFECT, *unit_command("wikipoll-worker.service")[1:]],
            env=env, cwd=tmp_path, stdout=worker_log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

        from prefect.client.orchestration import get_client
        from prefect.settings import PREFECT_API_URL, temporary_settings

        with temporary_settings({PREFECT_API_URL: api_url}), get_client(sync_client=True) as client:
            found = client.read_deployment_by_name(DEPLOYMENT)
            assert found.entrypoint == "flows/run/flow.py:wikipoll_flow"
            assert found.work_pool_name == POOL
            (schedule,) = found.schedules
            assert schedule.schedule.cron == "0 6 * * *" and schedule.active
            assert found.global_concurrency_limit.limit == 1
            assert found.concurrency_options.collision_strategy == "ENQUEUE"
            assert found.job_variables["env"]["PREFECT_FLOWS_DEFAULT_RETRIES"] == "2"
            # `prefect deploy` recorded the checkout it ran in as the runs' working directory.
            (pull,) = found.pull_steps
            directory = pull["prefect.deployments.steps.set_working_directory"]["directory"]
            assert Path(directory) == checkout.resolve()

            # Two runs asked for at once: the deployment's limit runs them one after the other.
            params = ["--param", f"raw_dir={raw_dir}", "--param", f"warehouse={warehouse}"]
            run_ids = []
            for extra in ([], ["--param", "full_refresh=true"]):
                created = prefect(["deployment", "run", DEPLOYMENT, *params, *extra], env, tmp_path)
                run_ids.append(re.search(r"UUID: ([0-9a-f-]{36})", created).group(1))

            def finished():
                runs = [client.read_flow_run(run_id) for run_id in run_ids]
                for run in runs:  # a failed attempt would be retried minutes later: stop now
                    if run.state.name == "AwaitingRetry" or run.state.is_failed():
                        log = (tmp_path / "worker.log").read_text()[-3000:]
                        raise AssertionError(f"flow run {run.name}: {run.state}\n{log}")
                return runs if all(run.state.is_final() for run in runs) else None

            runs = wait_until(finished, 400, "both flow runs to finish", worker)
            for run in runs:
                assert run.state.is_completed(), (run.name, run.state)
                assert run.work_pool_name == POOL
                # The retries of prefect.yaml reached the flow, in the worker's flow-run process.
                assert run.empirical_policy.retries == 2
            first, second = sorted(runs, key=lambda run: run.start_time)
            assert first.end_time <= second.start_time, "two runs of the deployment overlapped"
            # When the worker took the second run up while the first still ran, the limit made
            # it wait. (On a loaded machine the worker may come to it only after the first ended.)
            states = sorted(client.read_flow_run_states(second.id), key=lambda s: s.timestamp)
            taken_up = next(state for state in states if state.name not in ("Scheduled", "Late"))
            if taken_up.timestamp < first.end_time:
                assert taken_up.name == "AwaitingConcurrencySlot", [s.name for s in states]
        # The check for processes left behind finds them while they run.
        assert {server.pid, worker.pid} <= set(processes_marked(marker))

        with duckdb.connect(str(warehouse), read_only=True) as con:
            assert con.execute("SELECT count(*) FROM polls").fetchone() == (9,)
            assert con.execute("SELECT count(*) FROM events").fetchone() == (6,)
            loads = dict(con.execute("SELECT run_id, status FROM load_runs").fetchall())
        assert loads == {run_id: "completed" for run_id in run_ids}
        # Nothing was written into the checkout: the parameters named the data's places.
        assert not (checkout / "warehouse" / "wikipoll.duckdb").exists()
    finally:
        # What a service manager does: SIGTERM (the worker stops polling and exits), then the
        # server. Only the processes this test started are signalled.
        if worker is not None:
            stop(worker, signal.SIGTERM)
        stop(server, signal.SIGTERM)
        server_log.close()
        worker_log.close()
        deadline = time.monotonic() + 30
        while (left := processes_marked(marker)) and time.monotonic() < deadline:
            time.sleep(0.5)
        for pid in left:  # only when the check below fails: never leave them running
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    assert not left, f"processes of the deployment were left behind: {left}"


# The systemd units of docs/: checked by systemd's own verifier, and their commands run for real
# (the worker's by the test above, `wikipoll serve`'s here).


def unit_options(name: str) -> dict[str, list[str]]:
    options: dict[str, list[str]] = {}
    for line in (REPO / "docs" / name).read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            options.setdefault(key.strip(), []).append(value.strip())
    return options


def unit_command(name: str) -> list[str]:
    (exec_start,) = unit_options(name)["ExecStart"]
    command = shlex.split(exec_start.replace("%H", socket.gethostname()))
    return [part.replace("/opt/wikipoll", str(REPO)) for part in command]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
@pytest.mark.parametrize("unit", ["wikipoll.service", "wikipoll-worker.service"])
def test_the_systemd_unit_verifies(tmp_path, unit):
    # Verified as installed over this checkout: its ExecStart must name a real executable.
    text = (REPO / "docs" / unit).read_text().replace("/opt/wikipoll", str(REPO))
    (tmp_path / unit).write_text(text)
    result = subprocess.run(
        ["systemd-analyze", "verify", str(tmp_path / unit)], capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert str(tmp_path / unit) not in result.stderr, result.stderr  # no warning about the unit
    options = unit_options(unit)
    assert options["WorkingDirectory"] == ["/opt/wikipoll"]
    assert "PREFECT_API_URL=http://127.0.0.1:4200/api" in options["Environment"]


def test_the_serve_unit_runs_a_real_serve_command(tmp_path):
    command = unit_command("wikipoll.service")
    assert command[:2] == [str(REPO / ".venv" / "bin" / "wikipoll"), "serve"]
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "home")}
    env.pop("PREFECT_API_URL", None)
    # Its options parse (typer would say "No such option"); with no server, serve says so.
    result = subprocess.run(
        [WIKIPOLL, *command[1:]], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2
    assert "scheduling needs a Prefect server" in result.stderr, result.stderr


def test_the_worker_unit_runs_the_documented_worker():
    command = unit_command("wikipoll-worker.service")
    assert command[0] == str(REPO / ".venv" / "bin" / "prefect")
    assert command[1:5] == ["worker", "start", "--pool", POOL]
    # test_deploy_from_prefect_yaml_and_a_worker_runs_it starts its worker with this command.


# The Dockerfile: no Docker engine runs here, so the image is never built. What can be checked:
# it copies files that exist and that .dockerignore keeps, installs requirements.lock and then
# the package, and its default command is a real wikipoll command, run here on the same layout.


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined, comments left out."""
    instructions, current = [], ""
    for line in (REPO / "Dockerfile").read_text().splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        current += line.rstrip()
        if current.endswith("\\"):
            current = current[:-1] + " "
            continue
        keyword, _, arguments = current.strip().partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        current = ""
    return instructions


def dockerignored(path: str) -> bool:
    for pattern in (REPO / ".dockerignore").read_text().splitlines():
        pattern = pattern.strip()
        if not pattern or pattern.startswith("#"):
            continue
        pattern = pattern.rstrip("/").removeprefix("**/")
        parts = Path(path.rstrip("/")).parts
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if any(fnmatch.fnmatch(prefix, pattern) for prefix in prefixes):
            return True
    return False


def test_the_dockerfile_builds_from_the_lock_and_copies_what_exists():
    steps = dockerfile()
    assert steps[0] == ("FROM", "python:3.11-slim")
    copies = [arguments.split() for keyword, arguments in steps if keyword == "COPY"]
    for *sources, _target in copies:
        for source in sources:
            assert not source.startswith("--"), "COPY --from or --chown: check it by hand"
            assert (REPO / source).exists(), f"the Dockerfile copies {source}, which is missing"
            assert not dockerignored(source), f".dockerignore leaves out {source}"
    copied = [source.rstrip("/") for *sources, _ in copies for source in sources]
    # What the package needs to install and run: its code (views.sql is package data in flows/).
    for needed in ["requirements.lock", "pyproject.toml", "README.md", "flows", "schemas",
                   "prefect.yaml"]:  # fmt: skip
        assert needed in copied, needed
    runs = [arguments for keyword, arguments in steps if keyword == "RUN"]
    lock = next(i for i, run in enumerate(runs) if "pip install -r requirements.lock" in run)
    package = next(i for i, run in enumerate(runs) if "pip install --no-deps -e ." in run)
    assert lock < package
    order = [keyword for keyword, _ in steps]
    first_copy_of_lock = next(
        i for i, (keyword, arguments) in enumerate(steps)
        if keyword == "COPY" and "requirements.lock" in arguments
    )  # fmt: skip
    assert first_copy_of_lock < order.index("RUN", first_copy_of_lock)
    # Nothing the image needs is left out of the build context.
    assert not dockerignored("flows/run/flow.py") and dockerignored("flows/__pycache__/x.pyc")
    assert dockerignored(".venv") and dockerignored("warehouse/wikipoll.duckdb")


def image_layout() -> tuple[str, list[str], list[str]]:
    steps = dockerfile()
    workdir = [arguments for keyword, arguments in steps if keyword == "WORKDIR"][-1]
    (volumes,) = [json.loads(arguments) for keyword, arguments in steps if keyword == "VOLUME"]
    (command,) = [json.loads(arguments) for keyword, arguments in steps if keyword == "CMD"]
    return workdir, volumes, command


def test_the_dockerfile_default_command_is_a_real_wikipoll_command():
    workdir, volumes, command = image_layout()
    assert command[:2] == ["wikipoll", "run"]
    assert volumes == [f"{workdir}/raw", f"{workdir}/warehouse"]
    options = [part for part in command if part.startswith("--")]
    helped = subprocess.run(
        [WIKIPOLL, *command[1:2], "--help"], capture_output=True, text=True, timeout=60
    )
    assert helped.returncode == 0, helped.stderr
    for option in options:
        assert option in helped.stdout, option
    # Its relative paths fall in the volumes.
    raw, warehouse = command[command.index("--raw") + 1], command[command.index("--warehouse") + 1]
    assert f"{workdir}/{raw}" in volumes
    assert f"{workdir}/{Path(warehouse).parent}" in volumes


@pytest.mark.prefect
@pytest.mark.timeout(300)
def test_the_dockerfile_default_command_loads_the_sample_on_the_image_layout(tmp_path, prefect_env):
    """The image's CMD, run outside a container on the image's layout: WORKDIR holding raw/
    (the sample the image copies there) and warehouse/. (Against the tests' Prefect server: the
    container's ephemeral mode is that of `make run`, tested in tests/run/test_flow.py.)"""
    _workdir, _volumes, command = image_layout()
    data = tmp_path / "data"
    shutil.copytree(REPO / "raw", data / "raw")
    (data / "warehouse").mkdir()
    result = subprocess.run(
        [WIKIPOLL, *command[1:]], cwd=data, env=prefect_env, capture_output=True, text=True,
        timeout=280,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    with duckdb.connect(str(data / "warehouse" / "wikipoll.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM polls").fetchone() == (9,)
