"""Turn the rows of poll and timeline tables into records: polls with their results, events, and
the rows kept aside.

Each data row ends in exactly one place: a poll (with one result per answer), an event, a skipped
row (blank, summary, marker) or a rejected row with the check and the reason. Values are read
strictly (`flows.shape.values`, `flows.shape.dates`): what identifies a poll (its date) must read
or the row is rejected; a measured value that cannot be read is refused alone, and the poll loads.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field, replace
from typing import Any

from flows.article import Article, Cell, SourceRow, SourceTable
from flows.records import (
    EventRecord,
    FindingRecord,
    PollRecord,
    PollResultRecord,
    RejectedRowRecord,
    SkippedRowRecord,
    SourceCellRecord,
    TableRecord,
)
from flows.shape.align import align_row, check_width, refuse_continuation, substantive_gap
from flows.shape.dates import DateParseError, DateSpan, looks_like_date, parse_date_span
from flows.shape.errors import RowRejected
from flows.shape.rows import SKIPPED_ROW_KINDS, classify_row, marker_year, split_dated_text
from flows.shape.tables import ClassifiedTable, Column, classify_table
from flows.shape.values import (
    CellKind,
    ValueParseError,
    cell_kind,
    parse_lead,
    parse_margin_of_error,
    parse_sample,
    parse_share,
    parse_share_bound,
    rounding_allowance,
)
from flows.vocabulary import AnswerClass, Role, is_catch_all_answer
from schemas.checks import check


@dataclass
class NormalizedArticle:
    """Everything one article gives, as typed records (`flows.records`) ready to become frames."""

    article: Article
    tables: list[TableRecord] = field(default_factory=list)
    polls: list[PollRecord] = field(default_factory=list)
    poll_results: list[PollResultRecord] = field(default_factory=list)
    events: list[EventRecord] = field(default_factory=list)
    source_cells: list[SourceCellRecord] = field(default_factory=list)
    rejected: list[RejectedRowRecord] = field(default_factory=list)
    skipped: list[SkippedRowRecord] = field(default_factory=list)
    # Warnings that are not about a poll's loaded values: a value refused in a poll that loads
    # (`value_refused`), a table of dates and numbers that was not read (`table_not_read`).
    findings: list[FindingRecord] = field(default_factory=list)

    def row_count(self) -> int:
        """Data rows of its poll and timeline tables (a rejected row may fail several checks)."""
        rejected_rows = {(r["table_index"], r["row_index"]) for r in self.rejected}
        return len(self.polls) + len(self.events) + len(self.skipped) + len(rejected_rows)


def normalize_article(article: Article) -> NormalizedArticle:
    result = NormalizedArticle(article)
    if not article.tables:  # said, not left to silence: the file may not be what was meant
        result.findings.append(
            FindingRecord(
                article_id=article.article_id, article_title=article.title,
                source_path=article.source_path, table_index=None, row_index=None,
                source_line=1, poll_id=None, check_name=check("no_tables").name, column_name="",
                value="", detail="no table at all: nothing in the article could be read",
            )
        )  # fmt: skip
    for table in article.tables:
        classified = classify_table(table)
        result.tables.append(_table_record(article, classified))
        if classified.kind == "poll":
            _normalize_poll_table(result, classified)
        elif classified.kind == "timeline":
            _normalize_timeline_table(result, classified)
        elif classified.not_read:
            result.findings.append(
                _finding(result.article, table, None, "table_not_read", "", "", classified.not_read)
            )
    return result


def _finding(
    article: Article,
    table: SourceTable,
    row: SourceRow | None,
    check_name: str,
    column: str,
    value: str,
    detail: str,
    poll_id: str | None = None,
) -> FindingRecord:
    """A warning that is not a check of a poll's loaded values (see `findings`)."""
    check(check_name)
    return FindingRecord(
        article_id=article.article_id,
        article_title=article.title,
        source_path=article.source_path,
        table_index=table.table_index,
        row_index=row.row_index if row is not None else None,
        source_line=row.line if row is not None else table.line,
        poll_id=poll_id,
        check_name=check_name,
        column_name=column,
        value=value,
        detail=detail,
    )


def _lineage(article: Article, table: SourceTable, row: SourceRow) -> dict[str, Any]:
    return {
        "article_id": article.article_id,
        "article_title": article.title,
        "source_path": article.source_path,
        "table_index": table.table_index,
        "row_index": row.row_index,
        "source_line": row.line,
    }


def record_id(article: Article, table: SourceTable, row: SourceRow) -> str:
    """A readable id that says where the row is: 'article.txt#2.5' is table 2, row 5."""
    return f"{article.article_id}#{table.table_index}.{row.row_index}"


def _table_record(article: Article, classified: ClassifiedTable) -> TableRecord:
    table = classified.table
    return TableRecord(
        article_id=article.article_id,
        table_index=table.table_index,
        source_line=table.line,
        section_path=" > ".join(table.section_path),
        caption=table.caption,
        kind=classified.kind,
        kind_reason=classified.reason,
        header=" | ".join(table.header),
        column_roles=" | ".join(column.role.value for column in classified.columns),
        data_rows=len(table.rows),
    )


def _reject(result: NormalizedArticle, table: SourceTable, row: SourceRow, error: RowRejected):
    result.rejected += [
        RejectedRowRecord(
            **_lineage(result.article, table, row),
            raw_text=row.raw_text,
            check_name=problem.check_name,
            column_name=problem.column,
            value=problem.value,
            reason=problem.reason,
        )
        for problem in (error, *error.also)
    ]


def _skip(result: NormalizedArticle, table: SourceTable, row: SourceRow, reason: str):
    result.skipped.append(
        SkippedRowRecord(
            **_lineage(result.article, table, row), raw_text=row.raw_text, reason=reason
        )
    )


def _source_cell(record: str, field_name: str, column: Column, cell: Cell) -> SourceCellRecord:
    return SourceCellRecord(
        record_id=record,
        field=field_name,
        column_index=column.index + 1,
        header_label=column.label,
        raw_cell=cell.raw,
        cell_text=cell.text,
        origin=cell.origin,
    )


def _event_record(
    result: NormalizedArticle,
    table: SourceTable,
    row: SourceRow,
    date_cell: tuple[Column, Cell],
    description_cell: tuple[Column, Cell],
    source_kind: str,
    block_year: int | None = None,
    texts: tuple[str, str] | None = None,
) -> None:
    """An event from a date cell and a description cell; `texts` gives the date and the
    description when both share one cell ("26 March: X is elected")."""
    (date_column, date), (description_column, description) = date_cell, description_cell
    date_text, description_text = texts or (date.text, description.text)
    span = _read_date(replace(date, text=date_text), date_column, table, block_year)
    if not description_text:
        raise RowRejected(
            "description_present", "the event has no description", description_column.label
        )
    event_id = record_id(result.article, table, row)
    result.events.append(
        EventRecord(
            event_id=event_id,
            **_lineage(result.article, table, row),
            event_date=span.start,
            event_end=span.end,
            date_precision=span.precision,
            date_text=date_text,
            year_inferred=span.year_inferred,
            description=description_text,
            source_kind=source_kind,
            notes="; ".join(dict.fromkeys(date.notes + description.notes)),
            raw_text=row.raw_text,
        )
    )
    result.source_cells += [
        _source_cell(event_id, "event_date", date_column, date),
        _source_cell(event_id, "description", description_column, description),
    ]


def _normalize_timeline_table(result: NormalizedArticle, classified: ClassifiedTable) -> None:
    table = classified.table
    date_column, event_column = classified.column(Role.DATE), classified.column(Role.EVENT)
    assert date_column is not None and event_column is not None
    kinds = [classify_row(row, classified) for row in table.rows]
    block_years = _block_years(table, kinds)
    for position, (row, (kind, reason)) in enumerate(zip(table.rows, kinds, strict=True)):
        if kind in SKIPPED_ROW_KINDS:
            _skip(result, table, row, reason)
            continue
        try:
            if kind == "event" and _spanning_event(result, classified, row, block_years[position]):
                continue
            check_width(row, table)
            cells = _cells_by_column(row, classified.columns)
            date, description = cells[date_column.index], cells[event_column.index]
            if date is None or description is None:
                raise RowRejected("missing_cell", "the row has no date or no event cell")
            _event_record(
                result,
                table,
                row,
                (date_column, date),
                (event_column, description),
                "timeline_table",
                block_years[position],
            )
        except RowRejected as error:
            _reject(result, table, row, error)


def _spanning_event(
    result: NormalizedArticle, classified: ClassifiedTable, row: SourceRow, year: int | None
) -> bool:
    """One cell spanning the row, a date then what happened; False when the row is not one."""
    filled = [
        cell
        for cell in row.cells
        if cell.origin == "source" and cell_kind(cell.text) is not CellKind.EMPTY
    ]
    if len(filled) != 1:
        return False
    split = split_dated_text(filled[0].text)
    if split is None:
        return False
    index = row.cells.index(filled[0])
    column = classified.columns[index] if index < len(classified.columns) else _extra_column(index)
    source_kind = "timeline_table" if classified.kind == "timeline" else "poll_table"
    _event_record(
        result, classified.table, row, (column, filled[0]), (column, filled[0]), source_kind,
        year, split,
    )  # fmt: skip
    return True


def _event_marker(
    result: NormalizedArticle, classified: ClassifiedTable, row: SourceRow, year: int | None
) -> None:
    """A 'date | description | | |' row inside a poll table, or one cell spanning the row."""
    if _spanning_event(result, classified, row, year):
        return
    filled = [
        (
            classified.columns[index] if index < len(classified.columns) else _extra_column(index),
            cell,
        )
        for index, cell in enumerate(row.cells)
        if cell.origin == "source" and cell_kind(cell.text) is not CellKind.EMPTY
    ]
    date_first = looks_like_date(filled[0][1].text, year_may_be_missing=True)
    date_cell, description_cell = filled if date_first else filled[::-1]
    _event_record(result, classified.table, row, date_cell, description_cell, "poll_table", year)


def _extra_column(index: int) -> Column:
    return Column(index, f"column {index + 1}", Role.OTHER)


def _block_years(table: SourceTable, kinds: list[tuple[str, str]]) -> list[int | None]:
    """The year each row takes from the table's year markers (rows holding only a year).

    Markers open their block when the table starts with one (the rows below take its year),
    else they close it (the rows above take it).
    """
    markers = [
        (position, marker_year(row))
        for position, (row, (kind, _)) in enumerate(zip(table.rows, kinds, strict=True))
        if kind == "year"
    ]
    years: list[int | None] = [None] * len(table.rows)
    if not markers:
        return years
    first_data = next((p for p, (kind, _) in enumerate(kinds) if kind != "blank"), 0)
    opens = markers[0][0] == first_data
    for position in range(len(table.rows)):
        if opens:
            above = [year for at, year in markers if at <= position]
            years[position] = above[-1] if above else None
        else:
            below = [year for at, year in markers if at >= position]
            years[position] = below[0] if below else None
    return years


def _normalize_poll_table(result: NormalizedArticle, classified: ClassifiedTable) -> None:
    table = classified.table
    kinds = [classify_row(row, classified) for row in table.rows]
    block_years = _block_years(table, kinds)
    last_poll: SourceRow | None = None
    for position, (row, (kind, reason)) in enumerate(zip(table.rows, kinds, strict=True)):
        try:
            if kind in SKIPPED_ROW_KINDS:
                _skip(result, table, row, reason)
            elif kind == "event":
                _event_marker(result, classified, row, block_years[position])
            else:
                check_width(row, table)
                refuse_continuation(row, classified.columns, last_poll)
                last_poll = row
                aligned, repair = align_row(row.cells, classified.columns)
                _poll_record(result, classified, row, aligned, repair, block_years[position])
        except RowRejected as error:
            _reject(result, table, row, error)


def _cells_by_column(row: SourceRow, columns: list[Column]) -> list[Cell | None]:
    return [
        row.cells[column.index] if column.index < len(row.cells) else None for column in columns
    ]


_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|2[01]\d\d)(?!\d)")


@functools.lru_cache(maxsize=1024)
def context_year(caption: str, section_path: tuple[str, ...]) -> int | None:
    """The year a table's caption or nearest heading names ("===2023==="), if it names one."""
    for text in (caption, *reversed(section_path)):
        years = set(_YEAR.findall(text))
        if len(years) == 1:
            return int(years.pop())
        if years:  # "2011–2022: …" names a span, not the year of the rows
            return None
    return None


def _read_date(
    cell: Cell, column: Column, table: SourceTable, block_year: int | None = None
) -> DateSpan:
    """The cell's date; a text without a year ("12–14 Mar") takes the year of its sort key
    (`data-sort-value`), else of the year marker row of its block, else the one the table's
    caption or heading names."""
    default_year = block_year or context_year(table.caption, table.section_path)
    if cell.sort_value and looks_like_date(cell.sort_value):
        default_year = parse_date_span(cell.sort_value).end.year
    try:
        return parse_date_span(
            cell.text, default_year=default_year, numeric_order=column.numeric_order
        )
    except DateParseError as error:
        raise RowRejected("unparseable_value", str(error), column.label, cell.text) from None


# A link's label written after a pollster's name: "Emerson College (PDF)", "Ipsos (report)".
_LINK_LABEL = re.compile(
    r"\s*\((?:pdf|report|full report|archived?|link|web|html?|xlsx?|docx?|results|"
    r"crosstabs?|toplines?|source|video)\)\s*$",
    re.IGNORECASE,
)


def pollster_name(text: str) -> str | None:
    """The pollster as named: the cell's text without a trailing link label."""
    name = text
    while (stripped := _LINK_LABEL.sub("", name)) != name:
        name = stripped
    return name.strip() or None


def _text_or_none(text: str) -> str | None:
    return None if cell_kind(text) is CellKind.EMPTY else text


# Readers of the measured values; what they refuse costs the value, never the poll.
_MEASURES = {
    Role.SAMPLE_SIZE: parse_sample, Role.LEAD: parse_lead,
    Role.MARGIN_OF_ERROR: parse_margin_of_error,
}  # fmt: skip


_EXPECTED_VALUE = {
    Role.SAMPLE_SIZE: "a sample size", Role.LEAD: "a lead",
    Role.MARGIN_OF_ERROR: "a margin of error", Role.ANSWER: "a share",
}  # fmt: skip


def _poll_record(
    result: NormalizedArticle,
    classified: ClassifiedTable,
    row: SourceRow,
    aligned: list[Cell | None],
    repair: str | None,
    block_year: int | None = None,
) -> None:
    """One poll, its results and the cells behind them.

    What identifies the poll (its date) must read, or the row is rejected. A measured value
    (a share, the sample size, the margin, the lead) that cannot be read is refused alone: the
    poll loads with that value NULL, and a `value_refused` warning keeps the raw cell and why.
    """
    article, table = result.article, classified.table
    poll_id = record_id(article, table, row)
    values: dict[Role, object] = {}
    cells_used: list[SourceCellRecord] = []
    shares: list[tuple[Column, float]] = []
    results: list[PollResultRecord] = []
    refused: list[FindingRecord] = []
    rounding: dict[str, float] = {}  # by question: see Column.group
    # The shares can only be expected to sum to about 100 when the table lists every answer.
    answers_complete = lists_every_answer(classified)
    span: DateSpan | None = None
    for column, cell in zip(classified.columns, aligned, strict=True):
        if column.role is Role.DATE:
            assert cell is not None  # a fitting alignment always has its date
            span = _read_date(cell, column, table, block_year)
        elif column.role is Role.POLLSTER:
            values[Role.POLLSTER] = pollster_name(cell.text) if cell is not None else None
        elif column.role is Role.CLIENT:
            values[Role.CLIENT] = _text_or_none(cell.text) if cell is not None else None
        elif column.role in _MEASURES and cell is not None:
            try:
                value = _MEASURES[column.role](cell.text)
            except ValueParseError as error:
                refused.append(_refusal(result, table, row, poll_id, column, cell, error))
                continue
            if column.role is Role.SAMPLE_SIZE:
                values[Role.SAMPLE_SIZE], values[Role.OPTION] = value
            else:
                values.setdefault(column.role, value)
        elif column.role is Role.ANSWER and cell is not None:
            option = _option_name(column, aligned)
            try:
                bound = parse_share_bound(cell.text)
                value = parse_share(cell.text) if bound is None else None
                if option is None and (value is not None or bound is not None):
                    raise ValueParseError("the share has no option named beside it")
            except ValueParseError as error:
                refused.append(_refusal(result, table, row, poll_id, column, cell, error))
                answers_complete = False
                continue
            if value is None and bound is None:
                answers_complete = False
                continue
            if bound is not None:
                answers_complete = False  # below a bound: the total is not known
            elif not column.outside_total:
                shares.append((column, value))
                rounding[column.group] = rounding.get(column.group, 0.0) + rounding_allowance(
                    cell.text
                )
            answer_class = "outside_total" if column.outside_total else (
                column.answer_class.value if column.answer_class else None
            )  # fmt: skip
            results.append(PollResultRecord(
                poll_id=poll_id, option=option, answer_class=answer_class,
                share=value, share_upper_bound=bound, raw_cell=cell.raw,
                column_index=column.index + 1, origin=cell.origin,
            ))  # fmt: skip
        else:
            continue
        if cell is not None:
            cells_used.append(_source_cell(poll_id, column.role.value, column, cell))
    assert span is not None
    by_class = {}
    for answer_class in AnswerClass:
        matching = [value for column, value in shares if column.answer_class is answer_class]
        by_class[answer_class.value] = matching[0] if len(matching) == 1 else None
    notes = [note for cell in aligned if cell is not None for note in cell.notes]
    total, allowance, gap = _sum_of_shares(shares, rounding)
    if len(rounding) > 1:
        answers_complete = False  # several questions: no one list of every answer
    result.polls.append(
        PollRecord(
            poll_id=poll_id,
            **_lineage(article, table, row),
            section_path=" > ".join(table.section_path),
            date_text=_date_text(classified, aligned),
            fieldwork_start=span.start,
            fieldwork_end=span.end,
            date_precision=span.precision,
            year_inferred=span.year_inferred,
            pollster=values.get(Role.POLLSTER),
            client=values.get(Role.CLIENT),
            sample_size=values.get(Role.SAMPLE_SIZE),
            population=values.get(Role.OPTION),
            lead=values.get(Role.LEAD),
            margin_of_error=values.get(Role.MARGIN_OF_ERROR),
            **by_class,
            answer_count=len(results),
            answers_total=total,
            answers_rounding=allowance,
            answers_complete=answers_complete and bool(shares),
            substantive_gap=gap,
            repair=repair,
            notes="; ".join(notes),
            raw_text=row.raw_text,
        )
    )
    result.poll_results += results
    result.source_cells += cells_used
    result.findings += refused


def lists_every_answer(classified: ClassifiedTable) -> bool:
    """Whether the table has an answer column that takes everyone else (Other, None, a neutral
    answer): only then should a poll's shares sum to about 100."""
    if classified.lists_every_answer is None:
        classified.lists_every_answer = any(
            column.role is Role.ANSWER and is_catch_all_answer(column.label)
            for column in classified.columns
        )
    return classified.lists_every_answer


def _sum_of_shares(
    shares: list[tuple[Column, float]], rounding: dict[str, float]
) -> tuple[float | None, float, float | None]:
    """The shares' sum, what rounding allows above 100, and the gap between the two highest.

    When the header groups the answers into several questions ("Zapatero: Approval,
    Disapproval", "Rajoy: …"), each question's shares sum to 100 on their own: the sum given is
    that of the question furthest above its bound (the one the sum check must see), and there
    is no single gap.
    """
    if not shares:
        return None, 0.0, None
    if len(rounding) <= 1:
        allowance = next(iter(rounding.values()), 0.0)
        return round(sum(v for _, v in shares), 6), round(allowance, 6), substantive_gap(shares)
    totals = {group: sum(v for c, v in shares if c.group == group) for group in rounding}
    worst = max(totals, key=lambda group: totals[group] - rounding[group])
    return round(totals[worst], 6), round(rounding[worst], 6), None


def _option_name(column: Column, aligned: list[Cell | None]) -> str | None:
    """The answer's name: its column's label, or in a match-up table the cell beside it."""
    if column.option_column is None:
        return column.label
    cell = aligned[column.option_column]
    return _text_or_none(cell.text) if cell is not None else None


def _refusal(
    result: NormalizedArticle,
    table: SourceTable,
    row: SourceRow,
    poll_id: str,
    column: Column,
    cell: Cell,
    error: ValueParseError,
) -> FindingRecord:
    expected = _EXPECTED_VALUE.get(column.role, "a value")
    detail = f"{error} (column {column.label!r}): the poll loads without {expected} there"
    return _finding(
        result.article, table, row, "value_refused", column.label, cell.raw, detail, poll_id
    )


def _date_text(classified: ClassifiedTable, aligned: list[Cell | None]) -> str:
    date_column = classified.column(Role.DATE)
    assert date_column is not None
    cell = aligned[classified.columns.index(date_column)]
    return cell.text if cell is not None else ""
