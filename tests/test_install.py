"""A normal install works: the wheel holds everything the program reads (the views every load
creates are package data), and the installed `wikipoll` loads the sample from a folder outside
the checkout."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import duckdb
import pytest

from tests import prefect_server
from tests.conftest import REPO, SAMPLE


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel `pip wheel .` builds from this checkout (its build requirement, the pinned
    setuptools, comes from the package index `make install` uses)."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
         "--wheel-dir", str(out), str(REPO)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    (built,) = out.glob("wikipoll-*.whl")
    return built


def test_the_wheel_holds_every_file_the_program_reads(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "flows/load/views.sql" in names
    assert {"flows/cli.py", "flows/run/flow.py", "schemas/warehouse.py"} <= names
    assert not any(name.startswith(("tests/", "benchmarks/")) for name in names)


@pytest.mark.prefect
def test_the_installed_wheel_loads_the_sample_from_outside_the_checkout(
    wheel, tmp_path, prefect_api
):
    # A fresh virtualenv holding the wheel, installed by its own pip (never this virtualenv's:
    # that pip would first uninstall the checkout's editable install). Its dependencies are then
    # seen through a .pth file naming this virtualenv's site-packages (installing them again
    # would take minutes); the checkout is not on its path: a .pth line adds a folder, and the
    # .pth files in it (the editable install's) are not read.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "--no-deps", "--no-index", str(wheel)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    (Path(site) / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "raw").mkdir(parents=True)
    (elsewhere / "raw" / SAMPLE.name).write_bytes(SAMPLE.read_bytes())
    env = prefect_server.client_env(prefect_api, tmp_path / "prefect-home")
    env.pop("PYTHONPATH", None)

    where = subprocess.run(
        [str(python), "-c", "import flows.load.warehouse as w; print(w.__file__)"],
        cwd=elsewhere, env=env, check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    assert where.startswith(str(venv)), f"the checkout's flows was imported: {where}"
    run = subprocess.run(
        [str(venv / "bin" / "wikipoll"), "run", "--quiet"],  # raw/ and warehouse/ of the cwd
        cwd=elsewhere, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    with duckdb.connect(str(elsewhere / "warehouse" / "wikipoll.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM polls").fetchone() == (9,)
        views = {row[0] for row in con.execute("SELECT view_name FROM duckdb_views()").fetchall()}
    assert {"poll_answers", "poll_trend", "latest_polls"} <= views
