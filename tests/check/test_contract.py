"""Contract: the committed files are current, every check survives YAML/JSON, and validation still
reports each check with its name, severity, description and the values in `shows`."""

from __future__ import annotations

import copy
import re
from datetime import date, timedelta

import pandas as pd
import pandera.pandas as pa
import pytest

from flows.contract import (
    CONTRACT_MODELS,
    DATA_DICTIONARY,
    ContractError,
    check_keys,
    contract_files,
    data_dictionary,
    write_contract,
)
from flows.load.warehouse import sql_type
from schemas.warehouse import WAREHOUSE_TABLES, PollCandidate, PollResult
from tests.conftest import ARTICLES, REPO, RUN, SAMPLE, validate_files

CONTRACT_DIR = REPO / "schemas" / "contract"
REGENERATE = "run `wikipoll contract --out schemas/contract` and commit the result"

# The row checks and their severities, as the README lists them.
ROW_CHECKS = {
    "poll_candidates": [
        ("pollster_present", "error"),
        ("shares_sum_within_rounding", "error"),
        ("start_not_after_end", "error"),
        ("not_after_run_date", "error"),
        ("duplicate_poll", "error"),
        ("shares_sum_below_99", "warning"),
        ("lead_mismatch", "warning"),
        ("sample_size_missing", "warning"),
    ],
    "poll_results": [("share_in_range", "error")],
}


def test_committed_contract_is_up_to_date(tmp_path):
    written = write_contract(tmp_path)
    assert [path.name for path in written] == list(contract_files())
    generated = {path.name: path.read_bytes() for path in written}
    committed = {path.name: path.read_bytes() for path in CONTRACT_DIR.iterdir() if path.is_file()}
    changed = sorted(name for name in generated if committed.get(name) != generated[name])
    extra = sorted(set(committed) - set(generated))
    assert not changed, (
        f"schemas/contract/ is out of date with schemas/warehouse.py ({', '.join(changed)}): "
        f"{REGENERATE}"
    )
    assert not extra, (
        f"schemas/contract/ holds files the contract no longer has ({', '.join(extra)}): delete "
        f"them, then {REGENERATE}"
    )


@pytest.mark.parametrize("table", list(CONTRACT_MODELS))
def test_yaml_and_json_round_trips_keep_every_check(table):
    schema = CONTRACT_MODELS[table].to_schema()
    for read_back in (
        pa.DataFrameSchema.from_yaml(schema.to_yaml()),
        pa.DataFrameSchema.from_json(schema.to_json()),
    ):
        assert check_keys(read_back) == check_keys(schema)
        assert [c.statistics.get("shows") for c in read_back.checks] == [
            c.statistics.get("shows") for c in schema.checks
        ]


@pytest.mark.parametrize("table", list(ROW_CHECKS))
def test_the_committed_yaml_holds_the_row_checks_with_their_severities(table):
    read_back = pa.DataFrameSchema.from_yaml((CONTRACT_DIR / f"{table}.yaml").read_text("utf-8"))
    found = [(c.name, "warning" if c.raise_warning else "error") for c in read_back.checks]
    assert found == ROW_CHECKS[table]


@pytest.mark.parametrize("model", [PollCandidate, PollResult])
def test_row_checks_are_registered_and_reported_by_name(model):
    for check in model.to_schema().checks:
        # pandera reports a failing check by its `error`: it must be the name validate looks up.
        assert (check.registry_name, check.error) == (check.name, check.name)
        assert check.description
        assert check.statistics["shows"]


@pytest.fixture(scope="module")
def failing_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Clean polls and results of the sample, with one row made to fail each row check."""
    frames = validate_files(SAMPLE).frames
    polls = frames["polls"].reset_index(drop=True)
    polls["run_date"] = RUN.run_date
    polls["duplicate_of"] = polls["poll_id"]
    polls.loc[0, "pollster"] = None
    polls.loc[1, "answers_total"] = 110.0
    polls.loc[2, "fieldwork_start"] = polls.loc[2, "fieldwork_end"] + timedelta(days=3)
    polls.loc[3, ["fieldwork_start", "fieldwork_end"]] = [date(2031, 3, 1), date(2031, 3, 31)]
    polls.loc[4, "duplicate_of"] = polls.loc[0, "poll_id"]
    polls.loc[5, ["answers_complete", "answers_total"]] = [True, 90.0]
    polls.loc[6, "lead"] = polls.loc[6, "substantive_gap"] + 5
    polls.loc[7, "sample_size"] = pd.NA
    results = frames["poll_results"].reset_index(drop=True)
    results.loc[0, "share"] = 120.0
    return polls, results


def _failures(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> set[tuple[str, int]]:
    """(check, row) of every failure, with warning checks made to raise as flows.check.validate does."""
    schema = copy.deepcopy(schema)
    for check in schema.checks:
        check.raise_warning = False
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
        return set(zip(cases["check"].astype(str), cases["index"].astype(int), strict=True))
    return set()


def test_round_tripped_schemas_fail_the_same_rows(failing_frames):
    polls, results = failing_frames
    for model, frame in ((PollCandidate, polls), (PollResult, results)):
        schema = model.to_schema()
        expected = _failures(schema, frame)
        assert {name for name, _ in expected} == {name for name, _ in ROW_CHECKS[schema.name]}
        assert _failures(pa.DataFrameSchema.from_yaml(schema.to_yaml()), frame) == expected
        assert _failures(pa.DataFrameSchema.from_json(schema.to_json()), frame) == expected


def test_a_check_that_cannot_be_serialized_is_refused():
    class Unregistered(pa.DataFrameModel):
        """A model whose check is an inline @dataframe_check."""

        a: pa.typing.Series[int]

        @pa.dataframe_check(name="a_positive")
        @classmethod
        def a_positive(cls, df: pd.DataFrame) -> pd.Series:
            return df["a"] > 0

    with (
        pytest.warns(UserWarning, match="Only registered checks"),
        pytest.raises(ContractError, match=r"a_positive \(error\).*register_check_method"),
    ):
        contract_files({"unregistered": Unregistered})


def _sections(markdown: str) -> dict[str, str]:
    return {
        match.group(1): match.group(2)
        for match in re.finditer(r"^## `(\w+)`[^\n]*\n(.*?)(?=^## |\Z)", markdown, re.M | re.S)
    }


def _rows(section: str, header: str) -> list[list[str]]:
    """The rows of the section's table whose header starts with `header`, cells unescaped."""
    table = section[section.index(f"| {header} |") :].split("\n\n")[0]
    return [
        [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", line)[1:-1]]
        for line in table.splitlines()[2:]
    ]


def test_data_dictionary_lists_every_column_with_its_type_and_description():
    sections = _sections((CONTRACT_DIR / DATA_DICTIONARY).read_text("utf-8"))
    assert list(sections) == list(CONTRACT_MODELS)
    for table, model in WAREHOUSE_TABLES.items():
        schema = model.to_schema()
        assert " ".join((model.__doc__ or "").split()) in sections[table]
        listed = {row[0].strip("`"): row[1:] for row in _rows(sections[table], "column")}
        assert list(listed) == list(schema.columns), table
        for column, spec in schema.columns.items():
            nullable = "yes" if spec.nullable else "no"
            assert listed[column] == [sql_type(spec), nullable, spec.description], (
                f"{table}.{column}"
            )


def test_data_dictionary_lists_every_check_with_its_severity_and_description():
    sections = _sections(data_dictionary())
    for table, model in CONTRACT_MODELS.items():
        schema = model.to_schema()
        listed = [row for row in _rows(sections[table], "check") if row[1] == "row"]
        assert listed == [
            [f"`{c.name}`", "row", "warning" if c.raise_warning else "error", c.description]
            for c in schema.checks
        ]
        on_columns = {row[1].strip("`") for row in _rows(sections[table], "check")} - {"row"}
        assert on_columns == {
            name for name, col in schema.columns.items() if col.checks or col.unique
        }


def test_validation_reports_each_registered_check_with_its_description_and_values():
    frames = validate_files(ARTICLES / "finland_nato_relations.txt").frames
    rejected = frames["rejected_rows"].set_index("source_line")
    warnings = frames["quality_warnings"].set_index("source_line")
    assert rejected.loc[24, ["check_name", "column_name", "value", "reason"]].tolist() == [
        "shares_sum_within_rounding",
        "answers_total",
        "110",
        "the answer shares sum to more than 100 plus what rounding the printed shares allows, impossible for exclusive answers (answers_total=110, answers_rounding=1.5)",
    ]
    assert rejected.loc[25, "check_name"] == "not_after_run_date"
    assert rejected.loc[25, "reason"] == (
        "the fieldwork date is after the run date "
        "(fieldwork_start=2031-03-01, fieldwork_end=2031-03-31, run_date=2026-11-28)"
    )
    assert rejected.loc[29, "check_name"] == "duplicate_poll"
    assert rejected.loc[29, "reason"].endswith("(duplicate_of=finland_nato_relations.txt#1.1)")
    assert warnings.loc[26, ["check_name", "detail"]].tolist() == [
        "shares_sum_below_99",
        "the table lists every answer and each has a share, but they sum to less than 100 − 1 (answers_total=90)",
    ]
    assert warnings.loc[27, ["check_name", "column_name", "value", "detail"]].tolist() == [
        "lead_mismatch",
        "lead",
        "25",
        "the stated lead differs by more than 0.15 from the gap between the two highest substantive answers (lead=25, substantive_gap=20)",
    ]
    assert warnings.loc[28, ["check_name", "detail"]].tolist() == [
        "sample_size_missing",
        "the poll gives no sample size (sample_size missing)",
    ]
    assert {24, 25, 29}.isdisjoint(frames["polls"]["source_line"])
    assert {26, 27, 28} <= set(frames["polls"]["source_line"])


# The layout of the warehouse tables at each schema version, as a fingerprint of every table's
# columns with their DuckDB types and nullability. A change to the tables needs a new version (and,
# for a NOT NULL column that existing rows lack, an `upgrade_default`): see SCHEMA_VERSION.
LAYOUT_FINGERPRINTS = {2: "c75cf07c4ae4d6d1", 3: "3820d5b1a29dd1b8"}


def _layout_fingerprint() -> str:
    import hashlib
    import json

    layout = [
        [table, column, sql_type(spec), spec.nullable]
        for table, model in WAREHOUSE_TABLES.items()
        for column, spec in model.to_schema().columns.items()
    ]
    return hashlib.sha256(json.dumps(layout).encode()).hexdigest()[:16]


def test_the_schema_version_changes_with_the_tables():
    from schemas.warehouse import SCHEMA_VERSION

    assert LAYOUT_FINGERPRINTS.get(SCHEMA_VERSION) == _layout_fingerprint(), (
        "the warehouse tables changed: raise SCHEMA_VERSION in schemas/warehouse.py, give a NOT "
        "NULL column the rows of an earlier version lack an `upgrade_default`, and add "
        f"{{{SCHEMA_VERSION + 1}: {_layout_fingerprint()!r}}} to LAYOUT_FINGERPRINTS"
    )
