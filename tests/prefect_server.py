"""One real Prefect server for the test session, and the processes that tests leave behind.

Prefect's ephemeral mode starts a server in every process that runs a flow (about 10 s each), so
the tests that run the flow, in this process or as `wikipoll run`, talk to one `prefect server
start` on a free loopback port instead, with its own PREFECT_HOME (and so its own SQLite
database) in a temporary folder. The fixtures are in tests/conftest.py.

Every process the tests start inherits SESSION_VARIABLE in its environment, Prefect's ephemeral
servers included, so the processes this session started are found in /proc whoever their parent
is now: the server of a `wikipoll run` that was killed is adopted by init, not by pytest.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

PREFECT = str(Path(sys.executable).parent / "prefect")

# Set in this process's environment when the session starts, so that every child inherits it.
SESSION_VARIABLE = "WIKIPOLL_TEST_SESSION"
# Set in the environment of a process that a test kills, so that all it started is found after it.
PROCESS_VARIABLE = "WIKIPOLL_TEST_PROCESS"


_session_token: str | None = None


def start_session() -> str:
    """A new token for this pytest process, set in the environment that every process the tests
    start inherits. Each pytest process (a pytest-xdist worker too) has its own, so it checks
    only what it started."""
    global _session_token
    _session_token = os.environ[SESSION_VARIABLE] = uuid.uuid4().hex
    return _session_token


def session_token() -> str:
    return _session_token or start_session()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(
    predicate: Callable, seconds: float, what: str, process: subprocess.Popen | None = None
):
    """The predicate's first true value, polled every 0.2 s; fails after `seconds`, or as soon as
    `process` (what should make it true) has exited."""
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value:
            return value
        if process is not None and process.poll() is not None:
            raise AssertionError(f"{what}: the process exited with {process.returncode}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {seconds} s")
        time.sleep(0.2)


def answers(api_url: str) -> bool:
    """Whether a Prefect server answers its health check at `api_url`."""
    try:
        return httpx.get(f"{api_url}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


# --- the session's server ------------------------------------------------------------------------


@dataclass
class PrefectServer:
    """A `prefect server start` on 127.0.0.1, in a process group of its own."""

    process: subprocess.Popen
    api_url: str
    log: Path

    def wait_ready(self, timeout: float = 180) -> str:
        """Its API URL, once its health endpoint answers (the first start migrates its database:
        10 s and more)."""
        try:
            wait_until(
                lambda: answers(self.api_url), timeout, "the Prefect server to answer", self.process
            )
        except AssertionError as error:
            self.stop()
            tail = self.log.read_text(encoding="utf-8", errors="replace")[-3000:]
            raise AssertionError(
                f"the tests' Prefect server did not start: {error}\n{tail}"
            ) from None
        return self.api_url

    def stop(self) -> None:
        stop_process_group(self.process)


def launch_server(home: Path, log: Path) -> PrefectServer:
    """Start a Prefect server on a free loopback port, its database under `home`, without waiting
    for it: `wait_ready` does."""
    port = free_port()
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_UI_ENABLED": "false",
        "PREFECT_UI_ENABLED": "false",
    }
    env.pop("PREFECT_API_URL", None)
    with log.open("w") as output:
        process = subprocess.Popen(
            [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=env, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,  # a process group of its own: stopped whole
        )  # fmt: skip
    return PrefectServer(process, f"http://127.0.0.1:{port}/api", log)


def stop_process_group(process: subprocess.Popen, timeout: float = 30) -> None:
    """SIGTERM to the process's group, SIGKILL after `timeout`; waits for the process."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    with contextlib.suppress(ProcessLookupError):  # whatever of its group outlived it
        os.killpg(process.pid, signal.SIGKILL)


def client_env(api_url: str, home: Path, **extra: str) -> dict[str, str]:
    """The environment of a subprocess (`wikipoll run`) that runs against the server at
    `api_url`, with a PREFECT_HOME of its own."""
    return {**os.environ, "PREFECT_HOME": str(home), "PREFECT_API_URL": api_url, **extra}


@contextlib.contextmanager
def client_of(api_url: str) -> Iterator[None]:
    """Flows run in this process use the server at `api_url`, as inside Prefect's test harness
    (which would start a server of its own): settings overridden, since Prefect reads its
    environment once per process, and its log and event workers drained before leaving."""
    import prefect.context
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker
    from prefect.settings import PREFECT_API_URL, temporary_settings
    from prefect.utilities.asyncutils import run_coro_as_sync

    with contextlib.ExitStack() as stack:
        stack.enter_context(temporary_settings({PREFECT_API_URL: api_url}))
        stack.enter_context(
            prefect.context._temporary_global_settings_context(
                prefect.context.get_settings_context()
            )
        )
        yield

        async def drain() -> None:
            with contextlib.suppress(RuntimeError):  # a worker that never started
                drained = APILogWorker.instance().drain()
                if inspect.isawaitable(drained):
                    await drained
            drained = EventsWorker.drain_all()
            if inspect.isawaitable(drained):
                await drained

        run_coro_as_sync(drain())


# --- processes, as /proc shows them ----------------------------------------------------------------


@dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    argv: tuple[str, ...]

    @property
    def command(self) -> str:
        return " ".join(self.argv)


def read_proc(pid: int) -> Proc | None:
    """The process `pid`, or None when it is gone or a zombie (ended, only not yet waited for)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces: split after the last ')'.
    fields = stat[stat.rindex(")") + 2 :].split()
    if fields[0] in ("Z", "X"):
        return None
    argv = tuple(arg.decode(errors="replace") for arg in raw.split(b"\0") if arg)
    return Proc(pid, int(fields[1]), argv)


def processes() -> list[Proc]:
    return [
        proc
        for entry in os.listdir("/proc")
        if entry.isdigit() and (proc := read_proc(int(entry))) is not None
    ]


def descendants(pid: int) -> list[Proc]:
    """Every living process below `pid`: its children, their children, and so on."""
    by_parent: dict[int, list[Proc]] = {}
    for proc in processes():
        by_parent.setdefault(proc.ppid, []).append(proc)
    found, todo = [], [pid]
    while todo:
        for child in by_parent.get(todo.pop(), []):
            found.append(child)
            todo.append(child.pid)
    return found


def environment_of(pid: int) -> dict[str, str]:
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return {}
    pairs = (item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item)
    return {key.decode(errors="replace"): value.decode(errors="replace") for key, value in pairs}


def processes_marked(variable: str, value: str) -> list[Proc]:
    """The living processes (this one excluded) started with `variable=value` in their
    environment, or started by one that was."""
    me = os.getpid()
    return [p for p in processes() if p.pid != me and environment_of(p.pid).get(variable) == value]


def is_server(proc: Proc) -> bool:
    """A Prefect API server: `prefect server start`, or an ephemeral server's uvicorn."""
    names = [Path(arg).name for arg in proc.argv[:3]]
    return "uvicorn" in proc.argv[:3] or ("prefect" in names and "server" in proc.argv)


def is_wikipoll(proc: Proc) -> bool:
    return any(Path(arg).name == "wikipoll" for arg in proc.argv[:2])


def ephemeral_servers_of(pid: int) -> list[Proc]:
    """The Prefect servers that a process (a `wikipoll run`) started, among its descendants."""
    return [proc for proc in descendants(pid) if is_server(proc)]


def leftovers(token: str) -> list[Proc]:
    """The Prefect servers and `wikipoll` processes of the session holding `token` still
    running: children of pytest, and processes whose parent died (adopted by init)."""
    return [p for p in processes_marked(SESSION_VARIABLE, token) if is_server(p) or is_wikipoll(p)]


def describe_leftover(proc: Proc) -> str:
    test = environment_of(proc.pid).get("PYTEST_CURRENT_TEST", "?")
    parent = "pytest" if proc.ppid == os.getpid() else f"{proc.ppid}, its first parent gone"
    return f"pid {proc.pid} (parent {parent}), started in {test}: {proc.command[:160]}"


def kill(procs: list[Proc], timeout: float = 10) -> None:
    """SIGKILL to each process, then wait (up to `timeout`) until /proc no longer shows them."""
    for proc in procs:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(proc.pid, signal.SIGKILL)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(read_proc(p.pid) for p in procs):
        time.sleep(0.1)


@contextlib.contextmanager
def reaped(env: dict[str, str]) -> Iterator[dict[str, str]]:
    """An environment for processes that a test kills: on leaving, every process started with
    it and still alive (the process itself, the Prefect server or fork server it started, their
    workers) is killed, even when the test failed. They are found by a mark in their environment,
    since the children of a killed process are adopted by init."""
    mark = uuid.uuid4().hex
    try:
        yield {**env, PROCESS_VARIABLE: mark}
    finally:
        kill(processes_marked(PROCESS_VARIABLE, mark))
