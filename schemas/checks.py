"""Every check wikipoll makes, declared once: its name, stage, severity, what makes it fail, and
what happens to the data when it does.

Three kinds of code make checks, and all of them take the check from here: reading a file
(`flows.read`: a file refused whole), shaping rows (`flows.shape`: a row rejected, a value refused,
a table reported), and the pandera models of `schemas/warehouse.py` (row checks on the typed polls).
`flows.check` routes a failure by its severity: an *error* keeps the row out of the load and puts it
in `rejected_rows`; a *warning* loads the row and records the finding in `quality_warnings`.

The README's check table and the data dictionary are generated from `CHECKS`, and
`tests/test_checks.py` fails when code names a check this registry does not hold, or when the docs
disagree with it. Tolerances live here too, as a check's parameters, so a rule and its tolerance are
read in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]
# Where a check is made: reading a file, shaping its tables' rows, or the pandera row checks of
# the typed polls before loading.
Stage = Literal["read", "shape", "check"]

# What a failing check costs: the whole file, the row, the one value, or nothing (a finding only).
Outcome = Literal[
    "file refused",
    "row rejected",
    "value refused",
    "row loads",
    "table reported",
    "article reported",
]


@dataclass(frozen=True)
class Check:
    name: str
    stage: Stage
    severity: Severity
    outcome: Outcome
    fails_when: str  # one sentence, for the README, the data dictionary and the reason
    parameters: dict[str, float] = field(default_factory=dict)


_DECLARED = (
    # --- reading a file: the whole file is refused, the other files load ------------------------
    Check(
        "unreadable_file", "read", "error", "file refused",
        "a file that is empty, binary (a NUL in its first 8 KB), not UTF-8, or a link out of the "
        "raw folder; NULs and control characters later in a file are replaced by U+FFFD and "
        "counted in `articles.control_characters_replaced`, so the cell holding one is refused, "
        "not the article",
    ),
    Check(
        "file_too_large", "read", "error", "file refused",
        "a file over `--max-file-mb` (20 MB), refused before it is read",
    ),
    Check(
        "parse_timeout", "read", "error", "file refused",
        "reading the article took longer than its budget: `--parse-budget` (5 s) plus 5 s per MB "
        "of the article (broken markup makes mwparserfromhell super-linear); its worker is "
        "stopped and the run goes on",
    ),
    Check(
        "parse_memory", "read", "error", "file refused",
        "reading the article ran out of its worker's memory (4 GB of address space), or the "
        "system killed the worker for memory",
    ),
    Check(
        "parse_crashed", "read", "error", "file refused",
        "the worker parsing the article crashed",
    ),
    Check(
        "processing_error", "read", "error", "file refused",
        "an article wikipoll failed on (a bug: the message says where); the other articles load",
    ),
    # --- shaping rows: the row or the value is kept aside with the reason ------------------------
    Check(
        "unparseable_value", "shape", "error", "row rejected",
        "a date that cannot be read without guessing ('sometime', '03/04/2024' in a column that "
        "leaves the day/month order open)",
    ),
    Check(
        "too_many_cells", "shape", "error", "row rejected",
        "the row has more filled cells than the header has columns",
    ),
    Check(
        "misaligned_row", "shape", "error", "row rejected",
        "no alignment of the row's cells to the header fits what the cells hold",
    ),
    Check(
        "ambiguous_alignment", "shape", "error", "row rejected",
        "two alignments of the row's cells fit equally well: wikipoll does not guess",
    ),
    Check(
        "continuation_row", "shape", "error", "row rejected",
        "a flattened row that lost its leading cells to a cell spanning it from the row above: "
        "kept aside naming that row, never guessed",
    ),
    Check(
        "missing_cell", "shape", "error", "row rejected",
        "a timeline row with no date cell or no event cell",
    ),
    Check(
        "description_present", "shape", "error", "row rejected",
        "an event with no description",
    ),
    Check(
        "value_refused", "shape", "warning", "value refused",
        "a share, sample size, margin or lead that cannot be read ('84,6%', 'abc'): the poll "
        "loads with that value NULL, and the finding keeps the raw cell",
    ),
    Check(
        "table_not_read", "shape", "warning", "table reported",
        "a table of dates and numbers that was read as neither a poll nor a timeline table, "
        "with its header and why",
    ),
    Check(
        "no_tables", "shape", "warning", "article reported",
        "an article with no table at all: nothing in it could be read as polls or events",
    ),
    # --- the typed polls, before loading (pandera row checks in schemas/warehouse.py) ------------
    Check(
        "pollster_present", "check", "error", "row rejected",
        "the poll names no pollster",
    ),
    Check(
        "shares_sum_within_rounding", "check", "error", "row rejected",
        "the answer shares sum to more than 100 plus what rounding the printed shares allows, "
        "impossible for exclusive answers",
        {"rounding_per_share": 0.5},  # half a unit of the last printed digit, per share
    ),
    Check(
        "start_not_after_end", "check", "error", "row rejected",
        "fieldwork starts after it ends",
    ),
    Check(
        "not_after_run_date", "check", "error", "row rejected",
        "the fieldwork date is after the run date",
    ),
    Check(
        "duplicate_poll", "check", "error", "row rejected",
        "the same poll (pollster, client, dates, sample and answers) appears earlier in the "
        "article",
    ),
    Check(
        "share_in_range", "check", "error", "row rejected",
        "a share (or the bound of one) is outside 0–100",
    ),
    Check(
        "shares_sum_below_99", "check", "warning", "row loads",
        "the table lists every answer and each has a share, but they sum to less than 100 − 1",
        {"tolerance": 1.0},
    ),
    Check(
        "lead_mismatch", "check", "warning", "row loads",
        "the stated lead differs by more than 0.15 from the gap between the two highest "
        "substantive answers",
        {"tolerance": 0.15},
    ),
    Check(
        "sample_size_missing", "check", "warning", "row loads",
        "the poll gives no sample size",
    ),
)  # fmt: skip

CHECKS: dict[str, Check] = {check.name: check for check in _DECLARED}


def check(name: str) -> Check:
    """The registered check of that name; a name the registry does not hold is a bug, here."""
    try:
        return CHECKS[name]
    except KeyError:
        raise KeyError(f"{name!r} is not a check of schemas/checks.py") from None


def parameter(name: str, key: str) -> float:
    return check(name).parameters[key]


def markdown_table() -> str:
    """The README's check table."""
    lines = ["| check | stage | severity | what it costs | fails when |", "|---|---|---|---|---|"]
    lines += [
        f"| `{c.name}` | {c.stage} | {c.severity} | {c.outcome} | {c.fails_when} |"
        for c in _DECLARED
    ]
    return "\n".join(lines)
