"""What each row of a poll or timeline table is.

A poll (or event) row, or one of: an *event marker* (a date and one text cell, or one cell spanning
the row that opens with a date: "26 March: X is elected leader"), a *year marker* (a row holding
only a year: it gives the year to the rows of its block), a *heading* row (one text cell spanning
the row, or header cells only), a *result* row (the election's result among the polls), a
*summary* (totals, averages), a *blank* row, or a *template* row (written whole by a template we
cannot expand). Nothing here reads values beyond recognising what a cell looks like.
"""

from __future__ import annotations

import re
from typing import Literal

from flows.article import SourceRow
from flows.shape.dates import looks_like_date
from flows.shape.tables import ClassifiedTable
from flows.shape.values import CellKind, cell_kind
from flows.vocabulary import (
    Role,
    names_an_election,
)

RowKind = Literal["poll", "event", "summary", "blank", "template", "year", "heading", "result"]


# Rows that are not observations: skipped, with the reason.
SKIPPED_ROW_KINDS = ("summary", "blank", "template", "year", "heading", "result")


_SUMMARY_LABEL = re.compile(r"^(average|mean|total|totals|median|aggregate)s?\b", re.IGNORECASE)


_BARE_YEAR = re.compile(r"^\d{4}$")


def split_dated_text(text: str) -> tuple[str, str] | None:
    """'26 March: X is elected leader' -> ('26 March', 'X is elected leader'); None when the
    text does not open with a date. The longest date that reads is taken."""
    words = text.split(" ")
    for count in range(min(len(words) - 1, 8), 0, -1):
        head = " ".join(words[:count]).rstrip(":,.–—- ")
        rest = " ".join(words[count:]).lstrip(":–—- ").strip()
        if rest and looks_like_date(head, year_may_be_missing=True):
            if cell_kind(rest) is not CellKind.TEXT:
                return None
            return head, rest
    return None


def marker_year(row: SourceRow) -> int:
    """The year of a row `classify_row` calls a year marker: its one filled cell (a cell such as
    'n/a' or '–' beside it counts as empty, as it does there)."""
    written = (cell.text.strip() for cell in row.cells if cell.origin == "source")
    return int(next(text for text in written if _BARE_YEAR.match(text)))


def classify_row(row: SourceRow, classified: ClassifiedTable | None = None) -> tuple[RowKind, str]:
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
    if len(filled) == 1:
        text = filled[0].text
        if _BARE_YEAR.match(text) and looks_like_date(text):
            return "year", f"year marker ({text}): gives the year to the dates of its block"
        if cell_kind(text) is CellKind.TEXT and not looks_like_date(text, True):
            if split_dated_text(text) is not None:
                return "event", "event row: one cell spanning the row, a date and what happened"
            spans_row = len(written) == 1 or written.index(filled[0]) == 0
            if spans_row or all(cell.is_header for cell in written):
                return "heading", f"heading row ({text!r}) inside the table, not a poll"
    if written and all(cell.is_header for cell in filled) and len(filled) > 1:
        return "heading", "a row of header cells inside the table, not a poll"
    if len(filled) == 2:
        kinds = [cell_kind(cell.text) for cell in filled]
        dates = [looks_like_date(cell.text, year_may_be_missing=True) for cell in filled]
        if dates.count(True) == 1 and kinds[dates.index(False)] is CellKind.TEXT:
            return "event", "event marker: a date and one text cell"
    if classified is not None and classified.kind == "poll":
        pollster = classified.column(Role.POLLSTER)
        if pollster is not None and pollster.index < len(row.cells):
            name = row.cells[pollster.index].text
            if names_an_election(name):
                return "result", f"election result ({name!r}) among the polls, not a poll"
    return "poll", ""
