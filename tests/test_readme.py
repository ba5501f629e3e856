"""The README stays true: every test, module and file it names exists, and every package of
flows/ is on its map."""

from __future__ import annotations

import re

import pytest

from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "path, name", sorted(set(re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", README)))
)
def test_every_test_the_readme_names_exists(path: str, name: str) -> None:
    source = (REPO / path).read_text(encoding="utf-8")
    assert re.search(rf"^def {name}\(", source, re.MULTILINE), f"{path}::{name}"


# The default warehouse file is made by `make run`, not committed.
NAMED_FILES = set(re.findall(r"`((?:flows|schemas|tests|benchmarks|warehouse)/[\w/.]+)`", README))


@pytest.mark.parametrize("path", sorted(NAMED_FILES - {"warehouse/wikipoll.duckdb"}))
def test_every_file_the_readme_names_exists(path: str) -> None:
    assert (REPO / path).exists(), path


def test_every_package_of_flows_is_on_the_map() -> None:
    packages = sorted(p.parent.name for p in (REPO / "flows").glob("*/__init__.py"))
    assert packages == ["check", "load", "read", "run", "shape"]
    for package in packages:
        assert f"| `flows/{package}/` |" in README
