"""The command: every bad usage is one line and exit 2, before anything starts; its options and
variables do what the README says."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.conftest import REPO, SAMPLE

runner = CliRunner()


def one_line_error(result) -> str:
    assert result.exit_code == 2, result.output
    (line,) = result.output.strip().splitlines()
    assert line.startswith("wikipoll: error: ")
    return line


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("wikipoll ")


@pytest.mark.parametrize(
    ("options", "says"),
    [
        (["--workers", "0"], "--workers 0: give 1 or more"),
        (["--parse-budget", "-1"], "--parse-budget -1: give a number of seconds above 0"),
        (["--max-file-mb", "-1"], "--max-file-mb -1: give a size in MB above 0"),
        (["--dask", "foo://x"], "--dask 'foo://x': give 'local' or a scheduler address"),
        (["--dask", "tcp://127.0.0.1:9"], "--dask tcp://127.0.0.1:9: no Dask scheduler answers"),
    ],
)
def test_run_refuses_options_it_cannot_work_with_in_one_line(tmp_path, options, says):
    result = runner.invoke(
        app,
        ["run", "--raw", str(SAMPLE.parent), "--warehouse", str(tmp_path / "w.duckdb"), *options],
    )
    assert says in one_line_error(result)


def test_validate_refuses_a_negative_budget(tmp_path):
    result = runner.invoke(app, ["validate", "--raw", str(SAMPLE.parent), "--parse-budget", "-1"])
    assert "--parse-budget -1" in one_line_error(result)


def test_validate_checks_the_files_it_is_given_and_no_others(tmp_path, monkeypatch):
    """As a pre-commit hook runs it: the files a commit changes, by the paths it gives; a bad
    article beside them that the commit does not touch is not checked."""
    (tmp_path / "raw").mkdir()
    (tmp_path / "drafts").mkdir()
    shutil.copy(SAMPLE, tmp_path / "raw" / SAMPLE.name)
    bad = SAMPLE.read_text().replace("| February 2024 | NSPM |", "| 31 February 2024 | NSPM |")
    (tmp_path / "drafts" / "broken.txt").write_text(bad)
    (tmp_path / "drafts" / "good.txt").write_text(SAMPLE.read_text())
    monkeypatch.chdir(tmp_path)

    good = runner.invoke(app, ["validate", f"raw/{SAMPLE.name}", "drafts/good.txt"])
    assert good.exit_code == 0, good.output
    assert good.output.splitlines()[-1].startswith("0 errors, 0 warnings in 2 article files")

    both = runner.invoke(app, ["validate", "drafts/broken.txt", f"raw/{SAMPLE.name}"])
    assert both.exit_code == 1
    (finding,) = [line for line in both.output.splitlines() if ": error: " in line]
    assert finding.startswith("drafts/broken.txt:")  # the path as given
    assert both.output.splitlines()[-1].startswith("1 errors, 0 warnings in 2 article files")

    elsewhere = runner.invoke(app, ["validate", str(tmp_path / "drafts" / "broken.txt")])
    assert elsewhere.exit_code == 1 and "broken.txt" in elsewhere.output


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("missing.txt", "missing.txt: no such file"),
        ("NOTES.md", "NOTES.md: not an article file (.txt, .wiki, .wikitext) or a dump"),
    ],
)
def test_validate_refuses_a_path_it_cannot_check_in_one_line(tmp_path, monkeypatch, name, says):
    (tmp_path / "NOTES.md").write_text("not an article\n")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["validate", name])
    assert result.exit_code == 2 and says in one_line_error(result)


def test_a_prefect_server_that_does_not_answer_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    result = runner.invoke(
        app, ["run", "--raw", str(SAMPLE.parent), "--warehouse", str(tmp_path / "w.duckdb")]
    )
    line = one_line_error(result)
    assert "PREFECT_API_URL=http://127.0.0.1:9/api but no Prefect server answers there" in line
    assert "unset PREFECT_API_URL" in line


def test_serve_refuses_a_time_zone_that_does_not_exist():
    result = runner.invoke(app, ["serve", "--cron", "0 6 * * *", "--timezone", "Mars/Olympus"])
    assert "--timezone 'Mars/Olympus': not a time zone" in one_line_error(result)


def test_the_raw_folder_and_warehouse_can_be_set_by_environment_variables(tmp_path, monkeypatch):
    raw = tmp_path / "articles"
    raw.mkdir()
    shutil.copy(SAMPLE, raw / SAMPLE.name)
    monkeypatch.setenv("WIKIPOLL_RAW", str(raw))
    result = runner.invoke(app, ["validate", "--format", "json"])
    assert result.exit_code == 0 and json.loads(result.stdout) == []
    monkeypatch.setenv("WIKIPOLL_WAREHOUSE", str(tmp_path / "none.duckdb"))
    missing = runner.invoke(app, ["query", "SELECT 1"])
    assert f"{tmp_path / 'none.duckdb'}: no warehouse here yet" in one_line_error(missing)
    # An option given on the command line wins over the variable.
    assert runner.invoke(app, ["validate", "--raw", str(tmp_path / "nope")]).exit_code == 2


def test_the_readme_command_table_lists_every_option_of_every_command():
    from typer.main import get_command

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    rows = {
        line.split("`")[1].split()[1]: line.split("`")[1]
        for line in readme.splitlines()
        if line.startswith("| `wikipoll ") and not line.startswith("| `wikipoll --")
    }
    commands = get_command(app).commands
    assert set(rows) == set(commands)
    for name, command in commands.items():
        for param in command.params:
            if param.param_type_name == "option" and param.name != "help":
                assert param.opts[0] in rows[name], f"{name} {param.opts[0]}"


def test_help_says_what_warehouse_means_for_each_command():
    for command, meaning in (("run", "to load into"), ("query", "to read"), ("report", "to read")):
        result = runner.invoke(app, [command, "--help"], terminal_width=200)
        assert result.exit_code == 0 and meaning in result.output, command
