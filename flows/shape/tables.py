"""What each column of a table holds, and what the table is: poll, timeline or other.

A column's role comes from what its cells hold (dates, shares, whole numbers, margins, short
names, prose), with the header label as evidence: a label the vocabulary knows ("Pollster",
"Sample size", "Lead") names the role, and the cells decide wherever the label says nothing
("Polling institute", "Publication date", a party's name). So a table is a *poll table* when it
has a date column read at day or month precision, a pollster column and answer columns holding
shares, whatever its headers are called; a *timeline table* when it has a date column and an
event column (named so, or a column of prose), in either order. Any other table is *other*: it is
counted, and one that holds dates and numbers is reported (`table_not_read`), never ignored in
silence. Each table keeps the evidence for its kind in `reason` (`article_tables.kind_reason`).

Precision matters as much as recall: a table whose dates are only years, or whose rows are
results (votes, seats) rather than polls, is not a poll table; loading a wrong poll is worse than
loading none.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace
from typing import Literal

from flows.article import SourceRow, SourceTable
from flows.shape.dates import numeric_order_of, parse_date_span
from flows.shape.values import (
    CellKind,
    ValueParseError,
    cell_kind,
    number_value,
    parse_share,
    rounding_allowance,
)
from flows.vocabulary import (
    AnswerClass,
    Role,
    answer_class_of_label,
    is_publication_date_label,
    is_result_label,
    role_of_label,
)

TableKind = Literal["poll", "timeline", "other"]


# A column is of a type when at least this share of its filled cells are of it.
TYPE_MAJORITY = 0.6


# Mean words per cell above which a text column is prose (a description), not names.
PROSE_WORDS = 8


# Unmarked numbers ("45", no "%") are shares only when, row by row, they add up like shares: in at
# least this share of the rows that hold two or more of them, their sum lies in this window.
UNMARKED_SUM_WINDOW = (70.0, 100.0)


UNMARKED_SUM_MAJORITY = 0.8


@dataclass(frozen=True)
class Column:
    index: int  # 0-based position in the table's grid
    label: str  # the header label as the reader sees it
    role: Role
    answer_class: AnswerClass | None = None
    # A match-up share column ("Democrat | % | Republican | %"): the column whose cell, in the
    # same row, names the option.
    option_column: int | None = None
    # A share of another base (abstention, turnout): loaded, but left out of the share sum.
    outside_total: bool = False
    # How the column writes numeric dates ("dmy", "mdy", "ymd"), when its cells make it certain.
    numeric_order: str | None = None
    # The question a share column answers when the header groups its columns ("Zapatero" over
    # "Approval | Disapproval"): shares of one group sum to 100, not all of them together.
    group: str = ""


@dataclass
class ClassifiedTable:
    table: SourceTable
    kind: TableKind
    columns: list[Column]
    reason: str  # the kind and the evidence for it: `article_tables.kind_reason`
    # An 'other' table that holds dates and numbers: why it was not read (`table_not_read`).
    not_read: str | None = None
    lists_every_answer: bool | None = None  # worked out once, by flows.shape.records

    def column(self, role: Role) -> Column | None:
        return next((column for column in self.columns if column.role == role), None)


ColumnType = Literal[
    "empty", "date", "share", "number", "count", "margin", "name", "prose", "mixed"
]


@dataclass(frozen=True)
class ColumnProfile:
    """Counts of what a column's written cells (span copies left out) look like."""

    filled: int = 0
    dates: int = 0
    year_dates: int = 0  # dates that name only a year ("2008")
    distinct_dates: int = 0
    shares: int = 0  # "42%", "<1%"
    small_numbers: int = 0  # numbers 0..100 without "%"
    counts: int = 0  # whole numbers of 100 and more, or with a population ("1,005 LV")
    margins: int = 0
    texts: int = 0
    words: int = 0  # words in the text cells
    numeric_dates: int = 0  # "14.03.2024": dates once the column's order is known

    @property
    def type(self) -> ColumnType:
        if not self.filled:
            return "empty"

        def most(count: int) -> bool:
            return count >= TYPE_MAJORITY * self.filled

        if most(self.dates):
            return "date"
        if most(self.margins):
            return "margin"
        if most(self.shares + self.small_numbers) and self.shares:
            return "share"
        if most(self.counts):
            return "count"
        if most(self.small_numbers + self.shares):
            return "number"
        if most(self.texts):
            return "prose" if self.words >= PROSE_WORDS * self.texts else "name"
        return "mixed"

    def describe(self) -> str:
        return {
            "date": f"{self.dates}/{self.filled} read as dates",
            "share": f"{self.shares + self.small_numbers}/{self.filled} shares",
            "number": f"{self.small_numbers}/{self.filled} numbers",
            "count": f"{self.counts}/{self.filled} whole numbers",
            "margin": f"{self.margins}/{self.filled} margins",
            "name": f"{self.texts}/{self.filled} names",
            "prose": f"{self.texts}/{self.filled} prose",
        }.get(self.type, f"{self.filled} cells of mixed kinds")


def column_texts(table: SourceTable, index: int) -> list[str]:
    """The texts of a column's written cells (span copies left out)."""
    return [
        row.cells[index].text
        for row in table.rows
        if index < len(row.cells) and row.cells[index].origin == "source"
    ]


_NUMERIC_DATE = re.compile(r"\d[./-]\d{1,2}[./-]\d")


def _one_cell_rows(table: SourceTable) -> set[int]:
    """Rows of one filled cell in a table of three or more columns: markers, headings and
    events written across the row, whose text is no value of the column it starts in."""
    if len(table.header) < 3:
        return set()
    return {position for position, row in enumerate(table.rows) if _filled_cells(row, 2) == 1}


def _filled_cells(row: SourceRow, enough: int) -> int:
    """How many written cells of the row hold something, counting no further than `enough`."""
    count = 0
    for cell in row.cells:
        if cell.origin == "source" and cell_kind(cell.text) is not CellKind.EMPTY:
            count += 1
            if count >= enough:
                break
    return count


def profile_column(
    table: SourceTable, index: int, numeric_order: str | None = None, skip: set[int] = frozenset()
) -> ColumnProfile:
    counted = dict.fromkeys(
        ("date", "year_date", "share", "small", "count", "margin", "text", "numeric_date", "other"),
        0,
    )
    words = 0
    distinct: set[str] = set()
    for position, row in enumerate(table.rows):
        if index >= len(row.cells) or position in skip:
            continue
        cell = row.cells[index]
        if cell.origin != "source":
            continue
        shape, cell_words = _shape(cell.text, numeric_order)
        if shape == "empty":
            continue
        counted[shape] += 1
        words += cell_words
        if shape in ("date", "year_date"):
            distinct.add(cell.text)
    filled = sum(counted.values())
    dates = counted["date"] + counted["year_date"]
    return ColumnProfile(
        filled, dates, counted["year_date"], len(distinct), counted["share"], counted["small"],
        counted["count"], counted["margin"], counted["text"], words, counted["numeric_date"],
    )  # fmt: skip


@functools.lru_cache(maxsize=65_536)  # the same texts ("45%", "N/A", pollsters) recur down a column
def _shape(text: str, numeric_order: str | None) -> tuple[str, int]:
    """What one cell holds, for a column's profile, and its words when it is text."""
    kind = cell_kind(text)
    if kind is CellKind.EMPTY:
        return "empty", 0
    if kind is CellKind.TEXT or kind is CellKind.NUMBER:
        try:  # any year will do to ask whether a text without one is a date
            span = parse_date_span(text, default_year=2000, numeric_order=numeric_order)
        except ValueError:
            span = None
        if span is not None:
            return ("year_date" if span.precision == "year" else "date"), 0
        if numeric_order is None and _NUMERIC_DATE.search(text):
            return "numeric_date", 0  # a date once the column's order is known
    if kind in (CellKind.PERCENT, CellKind.BOUND):
        return "share", 0
    if kind is CellKind.NUMBER:
        value = number_value(text)
        if value is not None and 0 <= value <= 100 and not _looks_like_count(text):
            return "small", 0
        if value is not None and value == int(value) and value >= 0:
            return "count", 0
        return "other", 0
    if kind is CellKind.SAMPLE:
        return "count", 0
    if kind is CellKind.MARGIN:
        return "margin", 0
    if kind is CellKind.TEXT:
        return "text", len(text.split())
    return "other", 0


def _looks_like_count(text: str) -> bool:
    """'1,000' is a count; '45' and '7.5' may be shares."""
    return "," in text or " " in text.strip()


def classify_table(table: SourceTable) -> ClassifiedTable:
    """Give each column a role from its cells and its label, then the table a kind."""
    skip = _one_cell_rows(table)
    profiles = [profile_column(table, index, None, skip) for index in range(len(table.header))]
    orders: list[str | None] = [None] * len(table.header)
    for index, profile in enumerate(profiles):
        if profile.numeric_dates:  # read the column again in the order its dates make certain
            orders[index] = numeric_order_of(column_texts(table, index))
            if orders[index] is not None:
                profiles[index] = profile_column(table, index, orders[index], skip)
    groups = table.column_groups or [""] * len(table.header)
    columns = [
        replace(
            _classify_column(index, label, profiles[index]),
            numeric_order=orders[index],
            group=groups[index] if index < len(groups) else "",
        )
        for index, label in enumerate(table.header)
    ]
    columns = _pick_one_date_column(columns, profiles)
    poll = _as_poll_table(table, columns, profiles)
    if poll is not None:
        return poll
    timeline = _as_timeline_table(table, columns, profiles)
    if timeline is not None:
        return timeline
    return _other_table(table, columns, profiles)


def _classify_column(index: int, label: str, profile: ColumnProfile) -> Column:
    """The label's role where the vocabulary knows it, else what the cells hold."""
    kind = profile.type
    role = role_of_label(label)
    if role in (Role.POLLSTER, Role.CLIENT, Role.EVENT) and kind == "date":
        role = Role.DATE  # "Source" over a column of dates: the cells are plainly dates
    if role is not None:
        return Column(index, label, role)
    answer_class = answer_class_of_label(label)
    if answer_class is not None and kind not in ("date", "count", "margin", "prose"):
        return Column(index, label, Role.ANSWER, answer_class)
    if kind == "share" and label:
        return Column(index, label, Role.ANSWER)
    by_type = {
        "date": Role.DATE, "margin": Role.MARGIN_OF_ERROR, "count": Role.COUNT,
        "number": Role.NUMBER, "name": Role.NAME, "prose": Role.PROSE,
    }  # fmt: skip
    return Column(index, label, by_type.get(kind, Role.OTHER))


def _pick_one_date_column(columns: list[Column], profiles: list[ColumnProfile]) -> list[Column]:
    """One date column per table: the one the header names, else the first that holds dates;
    a date labelled as when something was published only when there is no other."""
    dated = [column for column in columns if column.role == Role.DATE]
    if len(dated) <= 1:
        return columns
    named = [column for column in dated if role_of_label(column.label) == Role.DATE]
    happened = [column for column in dated if not is_publication_date_label(column.label)]
    chosen = (named or happened or dated)[0]
    return [
        replace(column, role=Role.OTHER) if column in dated and column is not chosen else column
        for column in columns
    ]


def _evidence(column: Column, profile: ColumnProfile, what: str) -> str:
    """'date column 'Fieldwork date' (header + cells: 41/41 read as dates)'."""
    from_header = role_of_label(column.label) is not None
    source = "header + cells" if from_header and profile.filled else "header"
    if not from_header:
        source = "cells"
    detail = f": {profile.describe()}" if profile.filled else ""
    return f"{what} column {column.label!r} ({source}{detail})"


def _as_poll_table(
    table: SourceTable, columns: list[Column], profiles: list[ColumnProfile]
) -> ClassifiedTable | None:
    """The table as a poll table, or None when it is not one (the reason is given by
    `_other_table`)."""
    date = next((c for c in columns if c.role == Role.DATE), None)
    if date is None:
        return None
    columns = _pair_match_up_options(columns, profiles)
    pollster = next((c for c in columns if c.role == Role.POLLSTER), None)
    pollster_named = pollster is not None
    if _years_only(profiles[date.index]) and not pollster_named:
        return None  # election years of a results table, unless a column names the pollsters
    if pollster is None:
        pollster = next((c for c in columns if c.role == Role.NAME), None)
        if pollster is None:
            return None
    answers = [c for c in columns if c.role == Role.ANSWER]
    if not pollster_named:
        if _holds_results(columns):
            return None  # votes or seats by candidate: a results table, whatever its dates
        if len(answers) < 2:
            answers = _unmarked_shares(table, columns, profiles)
            if len(answers) < 2:
                return None
            columns = [c if c not in answers else replace(c, role=Role.ANSWER) for c in columns]
            answers = [c for c in columns if c.role == Role.ANSWER]
    if not answers:
        return None
    if not any(profiles[c.index].shares for c in answers) and not _unmarked_shares(
        table, columns, profiles
    ):
        return None
    columns = [replace(c, role=Role.POLLSTER) if c.index == pollster.index else c for c in columns]
    columns = _sample_size_from_cells(columns)
    columns, outside = _mark_outside_total(table, columns)
    answers = [c for c in columns if c.role == Role.ANSWER]
    options = sum(c.option_column is not None for c in answers)
    parts = [
        _evidence(columns[date.index], profiles[date.index], "date"),
        _evidence(columns[pollster.index], profiles[pollster.index], "pollster"),
        f"{len(answers)} share columns" + (f" ({options} named by the row)" if options else ""),
    ]
    parts += [
        f"{c.label!r} is a share of another base (the other shares sum to 100 without it)"
        for c in outside
    ]
    return ClassifiedTable(table, "poll", columns, "poll: " + ", ".join(parts))


def _sample_size_from_cells(columns: list[Column]) -> list[Column]:
    """With no column named a sample size, the one column of whole numbers left of the answers
    is it (a count right of them is something else, a party's seats say)."""
    if any(c.role == Role.SAMPLE_SIZE for c in columns):
        return columns
    first_answer = min((c.index for c in columns if c.role == Role.ANSWER), default=0)
    counts = [c for c in columns if c.role == Role.COUNT]
    if len(counts) != 1 or counts[0].index > first_answer:
        return columns
    return [replace(c, role=Role.SAMPLE_SIZE) if c is counts[0] else c for c in columns]


def _years_only(profile: ColumnProfile) -> bool:
    """Dates that are only years: election years of a results table, not fieldwork dates."""
    return profile.dates > 0 and profile.year_dates == profile.dates


def _holds_results(columns: list[Column]) -> bool:
    return any(is_result_label(c.label) for c in columns)


def _pair_match_up_options(columns: list[Column], profiles: list[ColumnProfile]) -> list[Column]:
    """ "Democrat | % | Republican | %": a name column followed by a share column whose label
    is not a name ('%', empty) names that share's option in each row."""
    paired = list(columns)
    pairs = 0
    for index in range(len(columns) - 1):
        name, share = columns[index], columns[index + 1]
        if (
            name.role in (Role.NAME, Role.OTHER)
            and profiles[name.index].type == "name"
            and profiles[share.index].type == "share"
            and _is_unit_label(share.label)
        ):
            paired[index] = replace(name, role=Role.OPTION)
            paired[index + 1] = replace(share, role=Role.ANSWER, option_column=name.index)
            pairs += 1
    return paired if pairs >= 2 else columns


def _is_unit_label(label: str) -> bool:
    return label.strip() in ("", "%", "(%)", "Percentage", "percentage", "Share", "share")


def _unmarked_shares(
    table: SourceTable, columns: list[Column], profiles: list[ColumnProfile]
) -> list[Column]:
    """Number columns with no '%' that are shares: row by row they add up like shares."""
    numbers = [c for c in columns if c.role in (Role.NUMBER, Role.ANSWER) and c.label]
    if len(numbers) < 2:
        return []
    sums: list[float] = []
    for row in table.rows:
        values = [
            number_value(row.cells[c.index].text)
            for c in numbers
            if c.index < len(row.cells) and row.cells[c.index].origin == "source"
        ]
        present = [v for v in values if v is not None]
        if len(present) >= 2:
            sums.append(sum(present))
    if not sums:
        return []
    low, high = UNMARKED_SUM_WINDOW
    within = sum(low <= total <= high + 0.5 * len(numbers) for total in sums)
    return numbers if within >= UNMARKED_SUM_MAJORITY * len(sums) else []


def _mark_outside_total(
    table: SourceTable, columns: list[Column]
) -> tuple[list[Column], list[Column]]:
    """A share column of another base ("Abs.", turnout) makes most rows sum far above 100;
    when leaving out exactly one column brings those rows within rounding, that column is
    marked, so the sum check reads the others."""
    answers = [c for c in columns if c.role == Role.ANSWER and c.option_column is None]
    if len(answers) < 3:
        return columns, []
    rows_read = rows_over = 0
    fixed = dict.fromkeys((c.index for c in answers), 0)
    for row in table.rows:
        values: dict[int, float] = {}
        allowance = 0.0
        for c in answers:
            if c.index < len(row.cells) and row.cells[c.index].origin == "source":
                text = row.cells[c.index].text
                value = _share_or_none(text) if cell_kind(text) is CellKind.PERCENT else None
                if value is not None:
                    values[c.index] = value
                    allowance += rounding_allowance(text)
        total = sum(values.values())
        if len(values) < 3:
            continue
        rows_read += 1
        if total <= 100 + allowance:
            continue
        rows_over += 1
        for index, value in values.items():
            if total - value <= 100 + allowance:
                fixed[index] += 1
    # Most rows, not a slip or two: a column of another base puts nearly every row over 100.
    if rows_over < max(2, 0.5 * rows_read):
        return columns, []
    best = [index for index, count in fixed.items() if count >= 0.8 * rows_over]
    if len(best) != 1:
        return columns, []
    marked = [replace(c, outside_total=True) if c.index == best[0] else c for c in columns]
    return marked, [c for c in marked if c.outside_total]


def _mostly_distinct(table: SourceTable, index: int) -> bool:
    """Events differ from row to row; the same few words down a column are a category."""
    texts = [
        row.cells[index].text
        for row in table.rows
        if index < len(row.cells)
        and row.cells[index].origin == "source"
        and cell_kind(row.cells[index].text) is not CellKind.EMPTY
    ]
    return len(texts) < 5 or len(set(texts)) >= 0.6 * len(texts)


@functools.lru_cache(maxsize=65_536)
def _share_or_none(text: str) -> float | None:
    try:
        return parse_share(text)
    except ValueParseError:
        return None


def _as_timeline_table(
    table: SourceTable, columns: list[Column], profiles: list[ColumnProfile]
) -> ClassifiedTable | None:
    date = next((c for c in columns if c.role == Role.DATE), None)
    if date is None:
        return None
    event = next((c for c in columns if c.role == Role.EVENT), None)
    if event is not None and not _mostly_distinct(table, event.index):
        return None  # "Event: 400 m" repeated down an athlete's results: a discipline
    if event is None:
        # A column of prose describes each row only where most rows have it.
        rows = max(profiles[date.index].dates, 1)
        event = next(
            (c for c in columns if c.role == Role.PROSE and profiles[c.index].texts >= 0.6 * rows),
            None,
        )
        if event is None:
            return None
        columns = [replace(c, role=Role.EVENT) if c is event else c for c in columns]
    reason = (
        f"timeline: {_evidence(date, profiles[date.index], 'date')}, "
        f"{_evidence(event, profiles[event.index], 'event')}"
    )
    return ClassifiedTable(table, "timeline", columns, reason)


def _other_table(
    table: SourceTable, columns: list[Column], profiles: list[ColumnProfile]
) -> ClassifiedTable:
    """Not a poll or timeline table: say why, and whether its dates and numbers go unread."""
    date = next((c for c in columns if c.role == Role.DATE), None)
    numbers = [
        c for c in columns if profiles[c.index].type in ("share", "number", "count", "margin")
    ]
    pollster = next((c for c in columns if c.role in (Role.POLLSTER, Role.NAME)), None)
    answers = [c for c in columns if c.role == Role.ANSWER]
    if date is None:
        why = "no date column"
    elif pollster is None:
        why = "no pollster column (no column of names)"
    elif _years_only(profiles[date.index]) and not any(c.role == Role.POLLSTER for c in columns):
        why = f"the dates of {date.label!r} are years only: results by year, not fieldwork dates"
    elif not answers and not numbers:
        why = "no share columns and no event column"
    elif _holds_results(columns):
        why = "it holds votes or seats: a results table"
    elif answers and not any(profiles[c.index].shares for c in answers):
        why = "the answer columns hold no percentages"
    else:
        why = "fewer than two share columns and no event column"
    not_read = None
    if date is not None and numbers and profiles[date.index].dates:
        header = " | ".join(table.header)
        not_read = f"a table of dates and numbers ({header}) was not read: {why}"
    return ClassifiedTable(table, "other", columns, f"other: {why}", not_read)
