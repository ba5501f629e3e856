"""One settings object: the defaults, and the environment variables read over them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from flows.settings import DEFAULTS, ENVIRONMENT, Settings, SettingsError, settings
from tests.conftest import REPO


def test_the_defaults_are_those_the_readme_gives():
    assert (DEFAULTS.raw_dir, DEFAULTS.warehouse) == (
        Path("raw"),
        Path("warehouse/wikipoll.duckdb"),
    )
    assert (DEFAULTS.parse_budget_seconds, DEFAULTS.max_file_mb) == (5.0, 20.0)
    assert DEFAULTS.max_file_bytes == 20 * 1024**2
    assert DEFAULTS.load_memory_limit == "128MB"


def test_environment_variables_are_read_over_the_defaults():
    read = settings({"WIKIPOLL_CONTACT": " ops@example.org ", "WIKIPOLL_LOAD_MEMORY_LIMIT": "1GB"})
    assert (read.contact, read.load_memory_limit) == ("ops@example.org", "1GB")
    assert settings({}) == DEFAULTS
    assert settings({"WIKIPOLL_CONTACT": "  "}) == DEFAULTS  # blank is unset


def test_every_variable_sets_a_field():
    names = {field for field in Settings.__dataclass_fields__}
    assert set(ENVIRONMENT) <= names
    assert all(variable.startswith("WIKIPOLL_") for variable in ENVIRONMENT.values())


def test_a_value_that_cannot_be_read_names_its_variable(monkeypatch):
    monkeypatch.setitem(ENVIRONMENT, "parse_budget_seconds", "WIKIPOLL_TEST_BUDGET")
    with pytest.raises(SettingsError, match="WIKIPOLL_TEST_BUDGET='soon' is not a float"):
        settings({"WIKIPOLL_TEST_BUDGET": "soon"})


def test_no_module_reads_a_wikipoll_variable_but_settings():
    root = REPO / "flows"
    reads = re.compile(r"""environ(?:\.get\(|\[)\s*["']WIKIPOLL_(?!TEST_)""")
    readers = [
        path.relative_to(root).as_posix()
        for path in root.rglob("*.py")
        if reads.search(path.read_text(encoding="utf-8")) and path.name != "settings.py"
    ]
    # The command sets WIKIPOLL_CONTACT from its --contact option for the fetch it runs.
    assert readers == ["cli.py"]
