"""The check registry (schemas/checks.py) is the one list of checks: the code names none other,
every check it holds is made somewhere, and the README and the data dictionary agree with it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from flows.contract import data_dictionary
from schemas.checks import CHECKS, check, markdown_table
from schemas.warehouse import WAREHOUSE_TABLES, PollCandidate
from tests.conftest import REPO

ROOT = REPO
CODE = sorted([*(ROOT / "flows").rglob("*.py"), *(ROOT / "schemas").rglob("*.py")])

# Calls whose string arguments (or `check_name=` keyword) name a check.
NAMING_CALLS = {"RowRejected", "ArticleError", "_finding", "check", "parameter", "_row_check"}


def named_checks(path: Path) -> set[str]:
    """The check names a module's code gives: string arguments of the calls that name checks,
    and every `check_name=` keyword."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef):  # a default: `check_name: str = "unreadable_file"`
            arguments = node.args.args[-len(node.args.defaults) :] if node.args.defaults else []
            names |= {
                default.value
                for argument, default in zip(arguments, node.args.defaults, strict=True)
                if argument.arg == "check_name" and isinstance(default, ast.Constant)
            }
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        arguments = [k.value for k in node.keywords if k.arg == "check_name"]
        if called in NAMING_CALLS:
            arguments += node.args[:1] if called not in ("_finding",) else node.args[3:4]
        names |= {
            a.value for a in arguments if isinstance(a, ast.Constant) and isinstance(a.value, str)
        }
    return names


def all_named_checks() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in CODE:
        if path.name == "checks.py":
            continue
        for name in named_checks(path):
            found.setdefault(name, []).append(str(path.relative_to(ROOT)))
    return found


def test_the_code_names_no_check_the_registry_does_not_hold():
    unknown = {name: paths for name, paths in all_named_checks().items() if name not in CHECKS}
    assert unknown == {}


def test_every_registered_check_is_made_somewhere():
    assert set(CHECKS) - set(all_named_checks()) == set()


def test_an_unknown_check_fails_where_it_is_made():
    from flows.read.errors import ArticleError
    from flows.shape.errors import RowRejected

    with pytest.raises(KeyError, match="not a check of schemas/checks.py"):
        RowRejected("no_such_check", "a reason")
    with pytest.raises(KeyError, match="not a check of schemas/checks.py"):
        ArticleError("a.txt", "a reason", check_name="no_such_check")
    assert check("value_refused").severity == "warning"


def test_the_pandera_row_checks_are_the_registry_stage_check():
    declared = set()
    for model in [*WAREHOUSE_TABLES.values(), PollCandidate]:
        declared |= {c.name for c in model.to_schema().checks}
    assert declared == {name for name, c in CHECKS.items() if c.stage == "check"}
    for model in [*WAREHOUSE_TABLES.values(), PollCandidate]:
        for pandera_check in model.to_schema().checks:
            registered = CHECKS[pandera_check.name]
            assert pandera_check.raise_warning == (registered.severity == "warning")
            assert pandera_check.description == registered.fails_when


def test_the_readme_check_table_is_the_registry():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert markdown_table() in readme, (
        "regenerate with: python -c 'from schemas.checks import markdown_table; print(markdown_table())'"
    )


def test_the_data_dictionary_lists_every_check():
    text = data_dictionary()
    assert markdown_table() in text
    for name in CHECKS:
        assert f"| `{name}` |" in text
