"""The warehouse contract: one pandera model per DuckDB table, declared once.

Each model is used three ways: `flows.check.validate` validates the frames against it before anything is
loaded, `flows.load.warehouse` creates the DuckDB tables from its columns and types, and `wikipoll contract`
(`flows.contract`) writes it out as YAML/JSON data contracts and the data dictionary.

Checks carry their severity and, in `statistics["shows"]`, the columns whose values explain a failure: a check with `raise_warning=True` is a *warning* (the row loads and
the check is recorded in `quality_warnings`), any other check is an *error* (the row goes to
`rejected_rows` with the check name and its description as the reason). Row-level checks that need
more than the loaded columns (the run date, the first poll of a duplicate) live on the `*Candidate` models, which
add those staging columns.

Every custom check is a registered pandera check method (registered when this module is imported),
never an inline `@dataframe_check`: pandera serializes only registered checks, and would drop any
other from the contract with no more than a warning. A check's parameters (`shows`, tolerances) are
its statistics, so they are written into the contract too.

The tables have a version, `SCHEMA_VERSION`, which each warehouse records in `schema_versions`
(see `SchemaVersion`). A newer wikipoll upgrades an older warehouse in place: missing tables are
created and missing columns added (`flows.load.warehouse.ensure_tables`). So a change to the tables
must be additive (a column whose type or meaning changes is a new column), must raise
`SCHEMA_VERSION`, and a NOT NULL column that the rows of an earlier version lack must say what
those rows get, in `metadata={"upgrade_default": ...}`; `tests/check/test_contract.py` fails until
the version is raised. Version 1 is every warehouse written before versions were recorded; version
2 added `articles.last_error`, `articles.last_error_at`, `load_runs.articles_stale` and
`schema_versions`; version 3 let `quality_warnings.table_index` be NULL, for a finding about a
whole article (`no_tables`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import pandera.pandas as pa
from pandera import dtypes
from pandera.engines import pandas_engine
from pandera.extensions import register_check_method
from pandera.typing import Series

from schemas.checks import check

DATE_PRECISIONS = ["day", "month", "year"]

# The version of the warehouse tables below: raise it with every change to them (see above).
SCHEMA_VERSION = 3


@pandas_engine.Engine.register_dtype
@dtypes.immutable(init=True)
class Date(pandas_engine.Date):
    """pandera's date, for every year a `datetime.date` holds (1..9999): pandera coerces through
    datetime64[ns] (1677-09-22..2262-04-11), seconds reach every year."""

    def coerce(self, data_container):
        return self._coerce(data_container, pandas_dtype="datetime64[s]")


def _text(description: str, nullable: bool = False, **kwargs) -> object:
    return pa.Field(description=description, nullable=nullable, **kwargs)


def _row_check_method(*parameters: str) -> Callable[[Callable], Callable]:
    """Register a frame-level check with `shows` and `parameters` as its statistics.

    A re-import of this module (a reload) registers the same names again; pandera refuses a name it
    already has, so the earlier registration is replaced.
    """

    def register(check_fn: Callable) -> Callable:
        pa.Check.REGISTERED_CUSTOM_CHECKS.pop(check_fn.__name__, None)
        return register_check_method(
            check_fn, statistics=["shows", *parameters], supported_types=pd.DataFrame
        )

    return register


def _row_check(name: str, shows: list[str]) -> dict[str, Any]:
    """A registered check as a model's `Config` declares it: its statistics and its options,
    its description, severity and parameters taken from the registry (`schemas.checks`).

    `error` is the name because pandera reports a failing check by its `error` when it has one, and
    a registered check with statistics would otherwise be reported as `name(shows=[...])`, in the
    schema and again after a YAML round trip; `flows.check.validate` looks checks up by name.
    """
    declared = check(name)
    if declared.stage != "check":
        raise ValueError(f"{name} is a {declared.stage} check, not a pandera row check")
    return {
        "shows": shows,
        **declared.parameters,
        "description": declared.fails_when,
        "raise_warning": declared.severity == "warning",
        "error": name,
    }


# The row-level checks. Each takes the frame, returns a boolean Series (True where the row passes),
# and is named after the check it implements. `shows` is not read by the check: it names the
# columns `flows.check.validate` reports a failure with.


@_row_check_method()
def pollster_present(df: pd.DataFrame, *, shows: list[str]) -> pd.Series:
    return df["pollster"].notna() & (df["pollster"].astype("string").str.strip() != "")


@_row_check_method("rounding_per_share")
def shares_sum_within_rounding(
    df: pd.DataFrame, *, shows: list[str], rounding_per_share: float
) -> pd.Series:
    # Printed shares are rounded: whole numbers by up to 0.5 each, one decimal by 0.05 each, so
    # they can sum to 100 plus those halves and no more. `answers_rounding` holds that sum for
    # each poll, worked out with `rounding_per_share` when its shares were read.
    return ~(df["answers_total"] > 100 + df["answers_rounding"]).fillna(False)


@_row_check_method()
def start_not_after_end(df: pd.DataFrame, *, shows: list[str]) -> pd.Series:
    return df["fieldwork_start"] <= df["fieldwork_end"]


@_row_check_method()
def not_after_run_date(df: pd.DataFrame, *, shows: list[str]) -> pd.Series:
    # A month or year precision date may end after today while it began before: only a
    # start after the run date, or a day-precise end after it, is impossible.
    day_precise = df["date_precision"] == "day"
    return (df["fieldwork_start"] <= df["run_date"]) & ~(
        day_precise & (df["fieldwork_end"] > df["run_date"])
    )


@_row_check_method()
def duplicate_poll(df: pd.DataFrame, *, shows: list[str]) -> pd.Series:
    return df["duplicate_of"] == df["poll_id"]


@_row_check_method("tolerance")
def shares_sum_below_99(df: pd.DataFrame, *, shows: list[str], tolerance: float) -> pd.Series:
    short = df["answers_complete"] & (df["answers_total"] < 100 - tolerance)
    return ~short.fillna(False)


@_row_check_method("tolerance")
def lead_mismatch(df: pd.DataFrame, *, shows: list[str], tolerance: float) -> pd.Series:
    off = (df["lead"] - df["substantive_gap"]).abs() > tolerance
    return ~off.fillna(False)


@_row_check_method()
def sample_size_missing(df: pd.DataFrame, *, shows: list[str]) -> pd.Series:
    return df["sample_size"].notna()


@_row_check_method()
def share_in_range(df: pd.DataFrame, *, shows: list[str]) -> pd.Series:
    share, bound = df["share"], df["share_upper_bound"]
    return (share.isna() | share.between(0, 100)) & (bound.isna() | bound.between(0, 100))


class Lineage(pa.DataFrameModel):
    """Where a row of the warehouse came from: every table that holds table rows has these."""

    article_id: Series[str] = pa.Field(
        description="The article's key: its file path relative to the raw folder."
    )
    article_title: Series[str] = pa.Field(description="The article's title.")
    source_path: Series[str] = pa.Field(description="The file the row was read from.")
    table_index: Series[int] = pa.Field(
        ge=1, description="1-based position of the table in the article."
    )
    row_index: Series[int] = pa.Field(
        ge=1,
        description="1-based position of the row among the table's data rows (header rows not counted).",
    )
    source_line: Series[int] = pa.Field(
        ge=1, description="1-based line of the file where the row starts."
    )

    class Config:
        coerce = True


class Article(pa.DataFrameModel):
    """An article as a successful read of its file gives it: the columns of `articles` that the
    check stage makes (the load keeps the rest, see `StoredArticle`)."""

    article_id: Series[str] = pa.Field(
        unique=True, description="The article's key: its file path relative to the raw folder."
    )
    title: Series[str] = pa.Field(
        description="The title from the article's `= Title =` line, else from its file name."
    )
    source_path: Series[str] = pa.Field(
        description="The file the article was read from, relative to the raw folder."
    )
    content_sha256: Series[str] = pa.Field(
        str_length=64,
        description="SHA-256 of the file's bytes: a changed file has its rows replaced.",
    )
    format: Series[str] = pa.Field(
        isin=["flattened", "wikitext"],
        description="'flattened' (wiki-style `| a | b |` lines) or 'wikitext' (MediaWiki `{| |}` markup).",
    )
    tables_found: Series[int] = pa.Field(
        ge=0, description="Tables found in the article, of any kind."
    )
    unknown_templates: Series[str] = pa.Field(
        description="Templates the cell reader does not know, as 'name×count', comma-separated."
    )
    loaded_at: Series[pd.Timestamp] = pa.Field(
        description="When the run that loaded the article started (UTC)."
    )
    run_id: Series[str] = pa.Field(
        description="The load run that loaded the article (see `load_runs`)."
    )
    file_size: Series[pd.Int64Dtype] = pa.Field(
        nullable=True,
        metadata={"sql_type": "BIGINT"},
        description="The file's size in bytes when loaded; with file_mtime_ns, how a re-run knows the file is unchanged without reading it. NULL for dump pages.",
    )
    file_mtime_ns: Series[pd.Int64Dtype] = pa.Field(
        nullable=True,
        metadata={"sql_type": "BIGINT"},
        description="The file's modification time (ns since the epoch) when loaded.",
    )
    control_characters_replaced: Series[int] = pa.Field(
        ge=0,
        description="NULs and other control characters read as U+FFFD (a value holding one is rejected with the reason).",
    )
    page_id: Series[pd.Int64Dtype] = pa.Field(
        nullable=True,
        metadata={"sql_type": "BIGINT"},
        description="The wiki page id, for pages from a dump or the API.",
    )
    revision_id: Series[pd.Int64Dtype] = pa.Field(
        nullable=True,
        metadata={"sql_type": "BIGINT"},
        description="The revision of the page the rows came from, for pages from a dump or the API.",
    )
    revision_timestamp: Series[str] = pa.Field(
        nullable=True, description="When that revision was saved (ISO 8601, UTC)."
    )

    class Config:
        coerce = True
        name = "articles"


class StoredArticle(Article):
    """`articles`: one row per article loaded, with the rows of its last good read; when a later
    read of its file failed, `last_error` says why and those rows are kept, now stale."""

    last_error: Series[str] = pa.Field(
        nullable=True,
        description="Why the latest read of the article failed, as '<check>: <reason>' (see the README's list of checks); the rows are then those of its last good read (loaded_at, run_id), kept rather than lost, and the file is read again on the next run. NULL when the latest read succeeded.",
    )
    last_error_at: Series[pd.Timestamp] = pa.Field(
        nullable=True,
        description="When the run whose read failed started (UTC); NULL when the latest read succeeded.",
    )

    class Config:
        coerce = True
        name = "articles"


class ArticleTable(pa.DataFrameModel):
    """`article_tables`: every table found, with the kind it was given and why."""

    article_id: Series[str] = pa.Field(description="The article's key.")
    table_index: Series[int] = pa.Field(
        ge=1, description="1-based position of the table in the article."
    )
    source_line: Series[int] = pa.Field(ge=1, description="1-based line where the table starts.")
    section_path: Series[str] = pa.Field(
        description="The headings the table sits under, outermost first, joined by ' > '."
    )
    caption: Series[str] = pa.Field(description="The table's caption, if any.")
    kind: Series[str] = pa.Field(
        isin=["poll", "timeline", "other"], description="'poll', 'timeline' or 'other' (ignored)."
    )
    kind_reason: Series[str] = pa.Field(description="Why the table got its kind.")
    header: Series[str] = pa.Field(description="The column labels, joined by ' | '.")
    column_roles: Series[str] = pa.Field(
        description="The role read from each label (date, pollster, answer, …), joined by ' | '."
    )
    data_rows: Series[int] = pa.Field(ge=0, description="Data rows in the table.")

    class Config:
        coerce = True
        name = "article_tables"


class Poll(Lineage):
    """`polls`: one row per poll, with the answers that map to support, oppose and neutral."""

    poll_id: Series[str] = pa.Field(
        unique=True, description="'<article_id>#<table_index>.<row_index>': says where the row is."
    )
    section_path: Series[str] = pa.Field(
        description="The headings the poll table sits under, joined by ' > '."
    )
    date_text: Series[str] = pa.Field(
        description="The fieldwork date as written in the cell (after markup)."
    )
    fieldwork_start: Series[Date] = pa.Field(
        description="First day of fieldwork the date text can mean."
    )
    fieldwork_end: Series[Date] = pa.Field(
        description="Last day of fieldwork the date text can mean ('February 2024' ends 2024-02-29)."
    )
    date_precision: Series[str] = pa.Field(
        isin=DATE_PRECISIONS, description="'day', 'month' or 'year': how precise the date text is."
    )
    year_inferred: Series[bool] = pa.Field(
        description="True when the date text had no year and it was taken from the cell's sort key or the table's caption or heading."
    )
    pollster: Series[str] = pa.Field(nullable=True, description="Who conducted the poll.")
    client: Series[str] = pa.Field(
        nullable=True, description="Who commissioned it; NULL when none is named (empty, 'N/A')."
    )
    sample_size: Series[pd.Int64Dtype] = pa.Field(
        nullable=True, description="Respondents; NULL when not given."
    )
    population: Series[str] = pa.Field(
        nullable=True,
        isin=["likely voters", "registered voters", "adults", "voters"],
        description="Who the sample was drawn from, when the sample size says so ('1,005 LV' is 'likely voters'; RV registered voters, A adults, V voters).",
    )
    lead: Series[float] = pa.Field(
        nullable=True, description="The lead as stated in the table, in points ('Tie' is 0)."
    )
    margin_of_error: Series[float] = pa.Field(
        nullable=True, description="The stated margin of error, in points."
    )
    support: Series[float] = pa.Field(
        nullable=True,
        description="Share for the answer labelled support/for/yes (synonyms in the README), in percent.",
    )
    oppose: Series[float] = pa.Field(
        nullable=True, description="Share for the answer labelled opposed/against/no, in percent."
    )
    neutral: Series[float] = pa.Field(
        nullable=True,
        description="Share for the answer labelled neutral/undecided/don't know/neither, in percent.",
    )
    answer_count: Series[int] = pa.Field(
        ge=0, description="Answers with a share (rows in `poll_results`)."
    )
    answers_total: Series[float] = pa.Field(
        nullable=True,
        description="Sum of the answer shares (a share of another base, answer_class 'outside_total', left out).",
    )
    answers_rounding: Series[float] = pa.Field(
        ge=0,
        description="How far above 100 the shares can sum from rounding alone: 0.5 per share printed as a whole number, 0.05 per share with one decimal, and so on.",
    )
    answers_complete: Series[bool] = pa.Field(
        description="True when the table lists every answer (it has a neutral, Other or None column) and this row has a share for each: only then should the shares sum to about 100."
    )
    substantive_gap: Series[float] = pa.Field(
        nullable=True,
        description="Gap between the two highest answers that are not neutral ones: what the lead should be.",
    )
    repair: Series[str] = pa.Field(
        nullable=True,
        description="How the row was realigned when its cells were shifted; NULL when read as written.",
    )
    notes: Series[str] = pa.Field(
        description="Footnotes removed from the row's cells, joined by '; '."
    )
    raw_text: Series[str] = pa.Field(description="The row as written in the source file.")

    class Config:
        coerce = True
        name = "polls"


class PollCandidate(Poll):
    """A poll before loading: the row-level checks and the staging columns they need."""

    run_date: Series[Date] = pa.Field(description="The run's date: no fieldwork can be after it.")
    duplicate_of: Series[str] = pa.Field(
        description="The poll_id of the first poll of the article with the same pollster, client, dates, sample and answers; its own id when it is the first."
    )

    class Config:
        coerce = True
        name = "poll_candidates"
        # The row checks (registered above), in the order their failures are reported.
        pollster_present = _row_check("pollster_present", shows=["pollster"])
        shares_sum_within_rounding = _row_check(
            "shares_sum_within_rounding", shows=["answers_total", "answers_rounding"]
        )
        start_not_after_end = _row_check(
            "start_not_after_end", shows=["fieldwork_start", "fieldwork_end"]
        )
        not_after_run_date = _row_check(
            "not_after_run_date", shows=["fieldwork_start", "fieldwork_end", "run_date"]
        )
        duplicate_poll = _row_check("duplicate_poll", shows=["duplicate_of"])
        shares_sum_below_99 = _row_check("shares_sum_below_99", shows=["answers_total"])
        lead_mismatch = _row_check("lead_mismatch", shows=["lead", "substantive_gap"])
        sample_size_missing = _row_check("sample_size_missing", shows=["sample_size"])


class PollResult(pa.DataFrameModel):
    """`poll_results`: one row per answer of a poll, so any number of answers or parties fits."""

    poll_id: Series[str] = pa.Field(description="The poll (see `polls`).")
    option: Series[str] = pa.Field(
        description="The answer: the column's label as the reader sees it."
    )
    answer_class: Series[str] = pa.Field(
        nullable=True,
        isin=["support", "oppose", "neutral", "outside_total"],
        description="'support', 'oppose' or 'neutral' where the label is a known synonym; 'outside_total' for a share of another base (abstention, turnout) that the other shares sum to 100 without; else NULL.",
    )
    share: Series[float] = pa.Field(
        nullable=True,
        description="The answer's share, in percent; NULL when the cell gives only a bound ('<1%').",
    )
    share_upper_bound: Series[float] = pa.Field(
        nullable=True,
        description="For a share written as below a bound ('<1%', '<0.5'): the bound; the share itself is NULL.",
    )
    raw_cell: Series[str] = pa.Field(
        description="The cell as written in the source, markup included."
    )
    column_index: Series[int] = pa.Field(
        ge=1, description="1-based column of the cell in the table."
    )
    origin: Series[str] = pa.Field(
        isin=["source", "rowspan", "colspan"],
        description="'source', or 'rowspan'/'colspan' when the value was copied by a span.",
    )

    class Config:
        coerce = True
        name = "poll_results"
        share_in_range = _row_check(
            "share_in_range", shows=["option", "share", "share_upper_bound"]
        )


class Event(Lineage):
    """`events`: dated events, from timeline tables and from marker rows inside poll tables."""

    event_id: Series[str] = pa.Field(
        unique=True, description="'<article_id>#<table_index>.<row_index>'."
    )
    event_date: Series[Date] = pa.Field(description="The first day the date text can mean.")
    event_end: Series[Date] = pa.Field(description="The last day the date text can mean.")
    date_precision: Series[str] = pa.Field(
        isin=DATE_PRECISIONS, description="'day', 'month' or 'year'."
    )
    date_text: Series[str] = pa.Field(description="The date as written in the cell.")
    year_inferred: Series[bool] = pa.Field(
        description="True when the date text had no year and it was taken from the cell's sort key or the table's caption or heading."
    )
    description: Series[str] = pa.Field(str_length={"min_value": 1}, description="What happened.")
    source_kind: Series[str] = pa.Field(
        isin=["timeline_table", "poll_table"],
        description="'timeline_table', or 'poll_table' for a marker row among polls.",
    )
    notes: Series[str] = pa.Field(description="Footnotes removed from the row's cells.")
    raw_text: Series[str] = pa.Field(description="The row as written in the source file.")

    class Config:
        coerce = True
        name = "events"


class SourceCell(pa.DataFrameModel):
    """`source_cells`: the raw cell behind every value of `polls` and `events`."""

    record_id: Series[str] = pa.Field(description="The poll_id or event_id the value belongs to.")
    field: Series[str] = pa.Field(
        description="What the cell gave: date, pollster, client, sample_size, answer, lead, event_date, description, …"
    )
    column_index: Series[int] = pa.Field(
        ge=1, description="1-based column of the cell in the table, after any realignment."
    )
    header_label: Series[str] = pa.Field(description="The column's header label.")
    raw_cell: Series[str] = pa.Field(description="The cell as written, markup included.")
    cell_text: Series[str] = pa.Field(description="The cell's visible text.")
    origin: Series[str] = pa.Field(
        isin=["source", "rowspan", "colspan"],
        description="'source', or 'rowspan'/'colspan' for a copy made by a span.",
    )

    class Config:
        coerce = True
        name = "source_cells"


class RejectedRow(pa.DataFrameModel):
    """`rejected_rows`: rows kept aside by an error check, with the reason; nothing is dropped."""

    article_id: Series[str] = pa.Field(description="The article's key.")
    article_title: Series[str] = pa.Field(description="The article's title.")
    source_path: Series[str] = pa.Field(description="The file the row was read from.")
    table_index: Series[pd.Int64Dtype] = pa.Field(
        nullable=True, description="1-based table; NULL when the whole file was refused."
    )
    row_index: Series[pd.Int64Dtype] = pa.Field(
        nullable=True, description="1-based data row; NULL when the whole file was refused."
    )
    source_line: Series[pd.Int64Dtype] = pa.Field(
        nullable=True, description="1-based line of the file."
    )
    raw_text: Series[str] = pa.Field(description="The row as written in the source file.")
    check_name: Series[str] = pa.Field(
        description="The check that failed (see the README's list of checks)."
    )
    column_name: Series[str] = pa.Field(
        description="The column the failing value is in, where one is."
    )
    value: Series[str] = pa.Field(description="The failing value as written, where one is.")
    reason: Series[str] = pa.Field(description="Why the row was rejected, in words.")

    class Config:
        coerce = True
        name = "rejected_rows"


class SkippedRow(Lineage):
    """`skipped_rows`: data rows that are not observations (blank rows, totals and averages)."""

    raw_text: Series[str] = pa.Field(description="The row as written in the source file.")
    reason: Series[str] = pa.Field(description="Why the row is not a poll or an event.")

    class Config:
        coerce = True
        name = "skipped_rows"


class QualityWarning(Lineage):
    """`quality_warnings`: checks a loaded poll failed at warning severity, values refused in
    polls that loaded, tables of dates and numbers that were not read, and articles with no
    table at all."""

    table_index: Series[pd.Int64Dtype] = pa.Field(
        nullable=True,
        ge=1,
        description="1-based position of the table in the article; NULL for a finding about the whole article.",
    )
    row_index: Series[pd.Int64Dtype] = pa.Field(
        nullable=True,
        description="1-based position of the row among the table's data rows; NULL for a finding about a whole table.",
    )
    poll_id: Series[str] = pa.Field(
        nullable=True,
        description="The poll (see `polls`), which was loaded; NULL for a finding about a whole table.",
    )
    check_name: Series[str] = pa.Field(description="The warning check that failed.")
    column_name: Series[str] = pa.Field(description="The column the check looked at, where one is.")
    value: Series[str] = pa.Field(description="The value that failed the check.")
    detail: Series[str] = pa.Field(description="What is wrong, in words, with the values involved.")

    class Config:
        coerce = True
        name = "quality_warnings"


class LoadRun(pa.DataFrameModel):
    """`load_runs`: one row per run that reached the warehouse, with its row accounting."""

    run_id: Series[str] = pa.Field(
        unique=True, description="The run's id (the Prefect flow run id when run by Prefect)."
    )
    started_at: Series[pd.Timestamp] = pa.Field(description="When the run started (UTC).")
    finished_at: Series[pd.Timestamp] = pa.Field(
        nullable=True,
        description="When its load committed or it failed (UTC); NULL while running or when interrupted.",
    )
    status: Series[str] = pa.Field(
        isin=["running", "completed", "failed", "interrupted"],
        description="'running'; 'completed' when its load committed; 'failed' (see error) or 'interrupted' (the process died; found by the next run) leave the warehouse as it was.",
    )
    error: Series[str] = pa.Field(nullable=True, description="Why a failed run failed.")
    raw_dir: Series[str] = pa.Field(description="The folder the articles were read from.")
    host: Series[str] = pa.Field(description="The machine the run ran on.")
    pid: Series[int] = pa.Field(
        description="The process that ran it: a 'running' row whose process is gone was interrupted."
    )
    articles: Series[int] = pa.Field(ge=0, description="Articles loaded (new or changed).")
    articles_unchanged: Series[int] = pa.Field(
        ge=0, description="Articles skipped because their file had not changed since it was loaded."
    )
    articles_refused: Series[int] = pa.Field(
        ge=0, description="Files that could not be read or parsed (see `rejected_rows`)."
    )
    articles_pruned: Series[int] = pa.Field(
        ge=0, description="Articles removed because their file is gone (only with --prune)."
    )
    polls: Series[int] = pa.Field(ge=0, description="Polls loaded.")
    events: Series[int] = pa.Field(ge=0, description="Events loaded.")
    rejected: Series[int] = pa.Field(
        ge=0, description="Rows of `rejected_rows` written (a row failing two checks counts twice)."
    )
    skipped: Series[int] = pa.Field(ge=0, description="Rows skipped (blank, summary, template).")
    warnings: Series[int] = pa.Field(ge=0, description="Quality warnings recorded.")
    repaired: Series[int] = pa.Field(ge=0, description="Polls whose shifted cells were realigned.")
    rows_in: Series[int] = pa.Field(
        ge=0,
        description="Data rows of the poll and timeline tables read: always rows_loaded + rows_rejected + rows_skipped, or the run fails.",
    )
    rows_loaded: Series[int] = pa.Field(ge=0, description="Data rows loaded as a poll or an event.")
    rows_rejected: Series[int] = pa.Field(
        ge=0,
        description="Data rows kept aside in `rejected_rows` (counted once however many checks they failed).",
    )
    rows_skipped: Series[int] = pa.Field(
        ge=0, description="Data rows skipped with a reason (`skipped_rows`)."
    )
    # Added in schema version 2, so last: a warehouse upgraded in place has it at the end too.
    articles_stale: Series[int] = pa.Field(
        ge=0,
        metadata={"upgrade_default": 0},  # before version 2 a refused file lost its rows
        description="Of the files refused, those whose article keeps the rows of an earlier good read, now stale (see `articles.last_error`).",
    )

    class Config:
        coerce = True
        name = "load_runs"


class SchemaVersion(pa.DataFrameModel):
    """`schema_versions`: one row each time wikipoll created the tables or changed their layout,
    with the version of the layout it left (`SCHEMA_VERSION`): the latest row is the file's."""

    version: Series[int] = pa.Field(
        ge=1,
        description="The schema version the tables have from then on: `SCHEMA_VERSION` of schemas/warehouse.py, whose docstring says what each version changed.",
    )
    applied_at: Series[pd.Timestamp] = pa.Field(description="When it was applied (UTC).")
    wikipoll_version: Series[str] = pa.Field(description="The wikipoll that applied it.")
    changes: Series[str] = pa.Field(
        description="What was done: 'created' for a new warehouse, else the tables created and the columns added or changed, by name."
    )

    class Config:
        coerce = True
        name = "schema_versions"


# The warehouse tables in load order, each with the model that defines it.
WAREHOUSE_TABLES: dict[str, type[pa.DataFrameModel]] = {
    "articles": StoredArticle,
    "article_tables": ArticleTable,
    "polls": Poll,
    "poll_results": PollResult,
    "events": Event,
    "source_cells": SourceCell,
    "rejected_rows": RejectedRow,
    "skipped_rows": SkippedRow,
    "quality_warnings": QualityWarning,
    "load_runs": LoadRun,
    "schema_versions": SchemaVersion,
}
