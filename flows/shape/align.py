"""Put a row's cells under the right columns: shifted rows realigned by what the cells hold.

A row with a cell left out (so every later cell sits one column to the left) is realigned when
exactly one way of leaving header columns out fits what every cell holds best; the repair is
recorded. A row that two alignments fit equally well is rejected rather than guessed, and a
flattened row that lost its leading cells to a cell spanning it from above is kept aside naming
the row it continues.
"""

from __future__ import annotations

import itertools
import math

from flows.article import Cell, SourceRow, SourceTable
from flows.shape.dates import looks_like_date
from flows.shape.errors import RowRejected
from flows.shape.tables import Column
from flows.shape.values import CellKind, cell_kind, number_value, rounding_allowance
from flows.vocabulary import AnswerClass, Role
from schemas.checks import parameter

# Realigning a row tries every way of leaving header columns out; beyond this many we do not try.
MAX_ALIGNMENTS = 5_000


# Points between a stated lead and the gap computed from the shares, as the check allows.
LEAD_TOLERANCE = parameter("lead_mismatch", "tolerance")


def refuse_continuation(row: SourceRow, columns: list[Column], above: SourceRow | None) -> None:
    """A row that lacks its leading cells because they spanned it from the row above.

    In the flattened form a cell spanning several rows is written once, in its first row, so
    the rows under it start with a later column ("| 917 RV | ± 4.1% | 50% | …"). Which cells
    they share with the row above cannot be known without guessing: the row is kept aside,
    naming the row it continues. A row whose cells fit as written is never one.
    """
    if above is None or not row.cells or _fits(columns[0], row.cells[0]):
        return
    content = list(row.cells[: len(columns)])
    while content and cell_kind(content[-1].text) is CellKind.EMPTY:
        content.pop()
    date_column = next((c.index for c in columns if c.role == Role.DATE), 0)
    for missing in range(1, len(columns) - len(content) + 1):
        placed: list[Cell | None] = [None] * missing + content
        placed += [None] * (len(columns) - len(placed))
        if all(_fits(c, cell) for c, cell in zip(columns[missing:], placed[missing:], strict=True)):
            if date_column >= missing:
                return  # the row has its own date: not a continuation
            leading = ", ".join(repr(c.label) for c in columns[:missing])
            first = " | ".join(cell.text for cell in above.cells[:missing])
            raise RowRejected(
                "continuation_row",
                f"continues row {above.row_index} ({first}): its first cells ({leading}) "
                "spanned this row in the source and are written only once in the flattened "
                "text, so reading this row would mean guessing them",
                columns[0].label,
                row.cells[0].text,
            )


def check_width(row: SourceRow, table: SourceTable) -> None:
    extra = row.cells[len(table.header) :]
    if any(cell_kind(cell.text) is not CellKind.EMPTY for cell in extra):
        raise RowRejected(
            "too_many_cells",
            f"the row has {len(row.cells)} cells but the header has {len(table.header)} columns",
            value=" | ".join(cell.text for cell in extra),
        )


def _fits(column: Column, cell: Cell | None) -> bool:
    """Whether a cell's shape can be a value of the column (not whether the value is valid)."""
    text = cell.text if cell is not None else ""
    kind = cell_kind(text)
    role = column.role
    if role is Role.DATE:
        return looks_like_date(text, year_may_be_missing=True, numeric_order=column.numeric_order)
    if role is Role.POLLSTER:
        return kind is CellKind.TEXT and not looks_like_date(text)
    if role is Role.CLIENT:
        return kind is CellKind.EMPTY or (kind is CellKind.TEXT and not looks_like_date(text))
    if role is Role.SAMPLE_SIZE:
        return kind in (CellKind.EMPTY, CellKind.SAMPLE) or (
            kind is CellKind.NUMBER and "." not in text
        )
    if role is Role.OPTION:
        return kind in (CellKind.EMPTY, CellKind.TEXT)
    if role is Role.ANSWER or role is Role.LEAD or role is Role.MARGIN_OF_ERROR:
        if kind in (CellKind.EMPTY, CellKind.PERCENT):
            return True
        if kind is not CellKind.NUMBER:
            return _FITS_KIND.get(kind) is role
        value = number_value(text)
        return value is not None and 0 <= value <= 100
    return True


# Cell kinds that only one of the numeric roles takes.
_FITS_KIND = {
    CellKind.TIE: Role.LEAD, CellKind.BOUND: Role.ANSWER, CellKind.MARGIN: Role.MARGIN_OF_ERROR,
}  # fmt: skip


def _plausibility(columns: list[Column], cells: list[Cell | None]) -> int:
    """How many of the sum and lead checks an alignment passes: breaks ties between alignments."""
    shares: list[tuple[Column, float]] = []
    lead: float | None = None
    rounding = 0.0
    for column, cell in zip(columns, cells, strict=True):
        value = number_value(cell.text) if cell is not None else None
        if value is None or cell is None:
            continue
        if column.role == Role.ANSWER and not column.outside_total:
            shares.append((column, value))
            rounding += rounding_allowance(cell.text)
        elif column.role == Role.LEAD:
            lead = value
    score = int(sum(value for _, value in shares) <= 100 + rounding)
    gap = substantive_gap(shares)
    if lead is not None and gap is not None:
        score += int(abs(lead - gap) <= LEAD_TOLERANCE)
    return score


def align_row(cells: list[Cell], columns: list[Column]) -> tuple[list[Cell | None], str | None]:
    """Assign a row's cells to columns; returns the cells by column and the repair made, if any.

    A row with a cell for every column wins as written when every cell fits its column. Otherwise
    (a misfit, or a row shorter than the header, where the missing cell could be any) every way
    of leaving out header columns is tried for the row's cells (trailing empty cells dropped); the
    alignments whose cells all fit are ranked by the sum and lead checks, and only a single best
    one is used. Reading a short row as written is one of those alignments, not a default.
    """
    as_written = [cells[index] if index < len(cells) else None for index in range(len(columns))]
    misfits = [
        (column, cell)
        for column, cell in zip(columns, as_written, strict=True)
        if not _fits(column, cell)
    ]
    if not misfits and len(cells) >= len(columns):
        return as_written, None
    content = list(cells[: len(columns)])
    while content and cell_kind(content[-1].text) is CellKind.EMPTY:
        content.pop()
    candidates: list[tuple[int, tuple[int, ...], list[Cell | None]]] = []
    if 0 < len(content) < len(columns) and math.comb(len(columns), len(content)) <= MAX_ALIGNMENTS:
        for positions in itertools.combinations(range(len(columns)), len(content)):
            placed: list[Cell | None] = [None] * len(columns)
            for position, cell in zip(positions, content, strict=True):
                placed[position] = cell
            if all(_fits(column, cell) for column, cell in zip(columns, placed, strict=True)):
                candidates.append((_plausibility(columns, placed), positions, placed))
    if not candidates and not misfits:  # only with more alignments than MAX_ALIGNMENTS
        raise RowRejected(
            "misaligned_row",
            f"the row has {len(content)} cells for {len(columns)} columns: too many alignments",
        )
    if not candidates:
        column, cell = misfits[0]
        shown = cell.text if cell is not None else ""
        if len(misfits) == 1 and len(cells) >= len(columns) and column.role in _READ_STRICTLY:
            # One bad value in a full row: read the row as written, so the strict reading
            # reports this cell and any other bad one together.
            return as_written, None
        if len(misfits) == 1 and len(cells) >= len(columns):
            raise RowRejected(
                "unparseable_value", _misfit_reason(column, shown), column.label, shown
            )
        described = "; ".join(_misfit_reason(c, x.text if x else "") for c, x in misfits)
        raise RowRejected(
            "misaligned_row",
            f"the cells fit no alignment to the header: {described}",
            column.label,
            shown,
        )
    best = max(score for score, _, _ in candidates)
    winners = [(positions, placed) for score, positions, placed in candidates if score == best]
    if len(winners) > 1:
        options = " or ".join(_missing_labels(columns, positions) for positions, _ in winners[:4])
        raise RowRejected(
            "ambiguous_alignment",
            f"the row has {len(content)} cells for {len(columns)} columns and fits "
            f"equally well with {options} missing; not guessing",
        )
    positions, placed = winners[0]
    if positions == tuple(range(len(content))):
        return placed, None  # a short row read as written: its last cells are empty
    return placed, (
        f"realigned: {len(content)} cells for {len(columns)} columns, read with "
        f"{_missing_labels(columns, positions)} missing"
    )


def _missing_labels(columns: list[Column], positions: tuple[int, ...]) -> str:
    missing = [
        repr(column.label or f"column {column.index + 1}")
        for column in columns
        if column.index not in positions
    ]
    return " and ".join(missing)


# Roles whose values the strict readers refuse when they are not what the column holds.
_READ_STRICTLY = (Role.DATE, Role.SAMPLE_SIZE, Role.ANSWER, Role.LEAD, Role.MARGIN_OF_ERROR)


_EXPECTED = {
    Role.DATE: "a date", Role.POLLSTER: "a pollster name", Role.CLIENT: "a client name",
    Role.SAMPLE_SIZE: "a whole number", Role.ANSWER: "a percentage", Role.LEAD: "a lead",
    Role.MARGIN_OF_ERROR: "a margin of error",
}  # fmt: skip


def _misfit_reason(column: Column, text: str) -> str:
    expected = _EXPECTED.get(column.role, "a value")
    if not text:
        return f"column {column.label!r} is empty but needs {expected}"
    return f"{text!r} in column {column.label!r} is not {expected}"


def substantive_gap(shares: list[tuple[Column, float]]) -> float | None:
    """The gap between the two highest answers that are not neutral ones (None if < 2)."""
    substantive = sorted(
        (value for column, value in shares if column.answer_class is not AnswerClass.NEUTRAL),
        reverse=True,
    )
    return round(substantive[0] - substantive[1], 6) if len(substantive) >= 2 else None
