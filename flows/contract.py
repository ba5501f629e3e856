"""`wikipoll contract`: the warehouse contract in `schemas/` written out as files others can read.

For every warehouse table, and for `poll_candidates` (the polls before loading, which carry the
row checks), it writes `<table>.yaml` and `<table>.json`, pandera's own serialization, and one
`data_dictionary.md`: each table's purpose, columns (DuckDB type, nullability, description) and
checks (severity, description). The bytes are the same on every run (a fixed order, no
timestamps), so a committed copy can be compared with a fresh one to catch a stale contract.

pandera reads the YAML and JSON back with `DataFrameSchema.from_yaml` / `from_json`, but only
after `import schemas.warehouse`, which registers the custom checks. It does not serialize a check's
description: the descriptions are in the data dictionary only.

It refuses to write a contract that lost a check: pandera leaves out a check it cannot serialize
(one that is not registered) with no more than a warning, so every schema is read back and its
checks compared before anything is written. It never deletes files from the output folder.
"""

from __future__ import annotations

from pathlib import Path

import pandera.pandas as pa

from flows.load.warehouse import sql_type
from schemas.checks import markdown_table
from schemas.warehouse import WAREHOUSE_TABLES, PollCandidate

DATA_DICTIONARY = "data_dictionary.md"

# The models written out, by table name: the warehouse tables in load order, then the staging
# model whose checks decide which polls load.
CONTRACT_MODELS: dict[str, type[pa.DataFrameModel]] = {
    **WAREHOUSE_TABLES,
    str(PollCandidate.to_schema().name): PollCandidate,
}

# A check as the contract must keep it: the column it is on (None for a row check), its name,
# its severity and its parameters.
CheckKey = tuple[str | None, str, str, str]


class ContractError(Exception):
    """The serialized contract would not be the schema: a check would be lost or changed."""


def write_contract(out_dir: Path) -> list[Path]:
    """Write the contract files into `out_dir` (created if missing); return them in order."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in contract_files().items():
        path = out_dir / name
        # Bytes, not text mode: the files must not get platform line endings.
        path.write_bytes(text.encode("utf-8"))
        written.append(path)
    return written


def contract_files(
    models: dict[str, type[pa.DataFrameModel]] | None = None,
) -> dict[str, str]:
    """Every contract file's name and text, in the order they are written."""
    models = CONTRACT_MODELS if models is None else models
    files: dict[str, str] = {}
    for table, model in models.items():
        schema = model.to_schema()
        yaml_text = schema.to_yaml()
        json_text = schema.to_json(indent=2, ensure_ascii=False) + "\n"
        _refuse_lost_checks(table, schema, pa.DataFrameSchema.from_yaml(yaml_text), "YAML")
        _refuse_lost_checks(table, schema, pa.DataFrameSchema.from_json(json_text), "JSON")
        files[f"{table}.yaml"] = yaml_text
        files[f"{table}.json"] = json_text
    files[DATA_DICTIONARY] = data_dictionary(models)
    return files


def check_keys(schema: pa.DataFrameSchema) -> list[CheckKey]:
    """The schema's checks, row checks first, as the contract must keep them."""
    keys: list[CheckKey] = [
        (None, check.name, severity(check), repr(check.statistics)) for check in schema.checks
    ]
    for column, spec in schema.columns.items():
        keys += [
            (column, check.name, severity(check), repr(check.statistics)) for check in spec.checks
        ]
    return keys


def severity(check: pa.Check) -> str:
    """'warning' or 'error', by the rule `flows.check.validate` applies."""
    return "warning" if check.raise_warning else "error"


def _refuse_lost_checks(
    table: str, schema: pa.DataFrameSchema, read_back: pa.DataFrameSchema, form: str
) -> None:
    expected, found = check_keys(schema), check_keys(read_back)
    if expected != found:
        lost = [key for key in expected if key not in found]
        raise ContractError(
            f"{table}: the {form} contract does not keep every check "
            f"(lost or changed: {', '.join(_describe(key) for key in lost) or 'their order'}). "
            "A custom check must be a registered check method "
            "(pandera.extensions.register_check_method), not an inline @dataframe_check; see "
            "schemas/warehouse.py."
        )


def _describe(key: CheckKey) -> str:
    column, name, level, _ = key
    return f"{name} ({level}{f', column {column}' if column else ''})"


def data_dictionary(models: dict[str, type[pa.DataFrameModel]] | None = None) -> str:
    """The Markdown data dictionary: per table its purpose, its columns and its checks."""
    models = CONTRACT_MODELS if models is None else models
    lines = [
        "# wikipoll data dictionary",
        "",
        "Generated by `wikipoll contract` from the pandera models in `schemas/warehouse.py`:",
        "do not edit it by hand. Each table's contract is also in `<table>.yaml` and",
        "`<table>.json` next to this file, in pandera's serialization (read them with",
        "`pandera.pandas.DataFrameSchema.from_yaml` after `import schemas.warehouse`, which",
        "registers the custom checks).",
        "",
        "A failed *error* check keeps the row out of the load and puts it in `rejected_rows`; a",
        "failed *warning* check loads the row and records the check in `quality_warnings`.",
    ]
    for table, model in models.items():
        checked_as = [
            name
            for name, other in models.items()
            if other is not model and issubclass(other, model)
        ]
        lines += ["", *_table_section(table, model, checked_as)]
    lines += [
        "",
        "## Every check",
        "",
        "All the checks wikipoll makes, from `schemas/checks.py`: made while reading a file, while",
        "shaping its rows, or by the row checks above; what a failure costs, and when it fails.",
        "",
        markdown_table(),
    ]
    return "\n".join(lines) + "\n"


def _table_section(table: str, model: type[pa.DataFrameModel], checked_as: list[str]) -> list[str]:
    schema = model.to_schema()
    staging = "" if table in WAREHOUSE_TABLES else " (staging: validated, never loaded)"
    lines = [f"## `{table}`{staging}", "", _cell(model.__doc__ or schema.description or "")]
    for name in checked_as:
        lines += ["", f"Its rows are checked as `{name}` before they load: see the checks there."]
    lines += ["", "| column | type | nullable | description |", "|---|---|---|---|"]
    lines += [
        f"| `{column}` | {sql_type(spec)} | {'yes' if spec.nullable else 'no'} "
        f"| {_cell(spec.description or '')} |"
        for column, spec in schema.columns.items()
    ]
    # Row checks are described by when they fail; a column check by pandera's name for the
    # constraint a value fails.
    lines += ["", "| check | on | severity | fails when |", "|---|---|---|---|"]
    lines += [
        f"| `{check.name}` | row | {severity(check)} | {_cell(check.description or '')} |"
        for check in schema.checks
    ]
    for column, spec in schema.columns.items():
        if spec.unique:
            lines.append(f"| `field_uniqueness` | `{column}` | error | a value is repeated |")
        lines += [
            f"| `{check.name}` | `{column}` | {severity(check)} "
            f"| {_cell(check.description or f'a value fails `{check.error or check.name}`')} |"
            for check in spec.checks
        ]
    return lines


def _cell(text: str) -> str:
    """Text on one line, with the pipes a Markdown table cell would split on escaped."""
    return " ".join(text.split()).replace("|", "\\|")
