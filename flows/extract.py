"""Stage 2, extract: decide what each table is, and what each of its rows is.

A table is a *poll table* when its header names a date column, a pollster column and answer columns
that hold percentages; a *timeline table* when it names an event column and a date column (either
order); any other table is ignored, but counted. Inside a poll table, a row holding a date and one
text cell with every other cell empty is an *event marker* ("24 February 2022 | Russia invades
Ukraine | | |"), a totals or average row is a *summary*, an all-empty row is *blank*, a row that
a template writes whole ({{Episode list}}) is a *template* row; the rest are poll rows. Nothing
here parses values beyond recognising what a cell looks like.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from flows.article import SourceRow, SourceTable
from flows.dates import looks_like_date
from flows.values import CellKind, cell_kind
from flows.vocabulary import AnswerClass, Role, answer_class_of_label, role_of_label

TableKind = Literal["poll", "timeline", "other"]
RowKind = Literal["poll", "event", "summary", "blank", "template"]
SKIPPED_ROW_KINDS = ("summary", "blank", "template")  # rows that are not observations


@dataclass(frozen=True)
class Column:
    index: int  # 0-based position in the table's grid
    label: str  # the header label as the reader sees it
    role: Role
    answer_class: AnswerClass | None = None


@dataclass
class ClassifiedTable:
    table: SourceTable
    kind: TableKind
    columns: list[Column]
    reason: str  # why the table got its kind: shown in the run summary for ignored tables

    def column(self, role: Role) -> Column | None:
        return next((column for column in self.columns if column.role == role), None)


def classify_table(table: SourceTable) -> ClassifiedTable:
    """Give each column a role from its header label (and its cells), then the table a kind."""
    columns = [_classify_column(table, index, label) for index, label in enumerate(table.header)]
    roles = {column.role for column in columns}
    answers = [column for column in columns if column.role == Role.ANSWER]
    if Role.DATE in roles and Role.POLLSTER in roles and answers:
        if any(_holds_percentages(table, column.index, share=0.0) for column in answers):
            return ClassifiedTable(table, "poll", columns, "date, pollster and answer columns")
        return ClassifiedTable(table, "other", columns, "answer columns hold no percentages")
    if Role.EVENT in roles and Role.DATE in roles:
        return ClassifiedTable(table, "timeline", columns, "event and date columns")
    missing = [f"{role.value} column" for role in (Role.DATE, Role.POLLSTER) if role not in roles]
    return ClassifiedTable(
        table, "other", columns, "no " + (" or ".join(missing) or "answer columns")
    )


def _classify_column(table: SourceTable, index: int, label: str) -> Column:
    role = role_of_label(label)
    if role is not None:
        return Column(index, label, role)
    answer_class = answer_class_of_label(label)
    if answer_class is not None or (label and _holds_percentages(table, index, share=0.5)):
        return Column(index, label, Role.ANSWER, answer_class)
    return Column(index, label, Role.OTHER)


def _holds_percentages(table: SourceTable, index: int, share: float) -> bool:
    """More than `share` of the column's non-empty cells look like percentages."""
    kinds = [
        cell_kind(row.cells[index].text)
        for row in table.rows
        if index < len(row.cells) and row.cells[index].origin == "source"
    ]
    filled = [kind for kind in kinds if kind is not CellKind.EMPTY]
    if not filled:
        return False
    percentages = sum(kind is CellKind.PERCENT for kind in filled)
    return percentages > 0 and percentages / len(filled) > share


_SUMMARY_LABEL = re.compile(r"^(average|mean|total|totals|median|aggregate)s?\b", re.IGNORECASE)


def classify_row(row: SourceRow) -> tuple[RowKind, str]:
    """What a row of a poll or timeline table is, with the reason for anything but a poll row."""
    written = [cell for cell in row.cells if cell.origin == "source"]
    if len(written) == 1 and written[0].raw.lstrip().startswith("{{"):
        name = written[0].raw.lstrip()[2:].split("|")[0].split("}")[0].strip()
        return "template", f"row written whole by the template {{{{{name}}}}}, not expanded"
    filled = [cell for cell in written if cell_kind(cell.text) is not CellKind.EMPTY]
    if not filled:
        return "blank", "blank row: every cell is empty"
    if "sortbottom" in row.css_class.split() or _SUMMARY_LABEL.match(filled[0].text):
        return "summary", f"summary row ({filled[0].text!r}), not a poll"
    if len(filled) == 2:
        kinds = [cell_kind(cell.text) for cell in filled]
        dates = [looks_like_date(cell.text, year_may_be_missing=True) for cell in filled]
        if dates.count(True) == 1 and kinds[dates.index(False)] is CellKind.TEXT:
            return "event", "event marker: a date and one text cell"
    return "poll", ""
