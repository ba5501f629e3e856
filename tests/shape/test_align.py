"""Shifted rows realigned by what their cells hold, or rejected rather than guessed."""

from __future__ import annotations

import pytest

from flows.read.files import parse_article_text
from flows.shape.align import align_row
from flows.shape.errors import RowRejected
from flows.shape.records import normalize_article
from flows.shape.tables import Column
from flows.vocabulary import AnswerClass, Role
from tests.builders import cells
from tests.conftest import SAMPLE, normalize_file

# --- realignment on its own --------------------------------------------------------------------------

HEADER = [
    Column(0, "Dates conducted", Role.DATE),
    Column(1, "Pollster", Role.POLLSTER),
    Column(2, "Client", Role.CLIENT),
    Column(3, "Sample size", Role.SAMPLE_SIZE),
    Column(4, "Support", Role.ANSWER, AnswerClass.SUPPORT),
    Column(5, "Opposed", Role.ANSWER, AnswerClass.OPPOSE),
    Column(6, "Neutral", Role.ANSWER, AnswerClass.NEUTRAL),
    Column(7, "Lead", Role.LEAD),
]


def test_align_row_as_written():
    row = cells("March 2022", "Ninamedia", "IEA", "1228", "10%", "82%", "8%", "72%")
    aligned, repair = align_row(row, HEADER)
    assert repair is None
    assert [c.text if c else None for c in aligned] == [c.text for c in row]


def test_align_row_missing_sample_size_is_found_by_what_cells_hold():
    row = cells("March 2022", "Ninamedia", "IEA", "10%", "82%", "8%", "72%", "")
    aligned, repair = align_row(row, HEADER)
    assert aligned[3] is None
    assert aligned[4].text == "10%"
    assert repair == "realigned: 7 cells for 8 columns, read with 'Sample size' missing"


def test_align_row_missing_neutral_is_decided_by_the_lead():
    # Neutral missing: lead 72 = 82 - 10 fits; Lead missing: 10 + 82 + 72 > 101 does not.
    row = cells("March 2022", "Ninamedia", "IEA", "1228", "10%", "82%", "72%")
    aligned, repair = align_row(row, HEADER)
    assert aligned[6] is None and aligned[7].text == "72%"
    assert "'Neutral' missing" in repair


def test_align_row_refuses_to_guess_between_equal_fits():
    row = cells("March 2022", "Ninamedia", "IEA", "1228", "40%", "40%", "20%")
    with pytest.raises(RowRejected) as rejected:
        align_row(row, HEADER)
    assert rejected.value.check_name == "ambiguous_alignment"


def test_align_row_with_no_fitting_alignment():
    row = cells("March 2022", "1228", "10%", "82%")
    with pytest.raises(RowRejected) as rejected:
        align_row(row, HEADER)
    assert rejected.value.check_name == "misaligned_row"
    assert "'1228' in column 'Pollster' is not a pollster name" in rejected.value.reason


def test_header_synonyms_give_the_same_polls():
    text = SAMPLE.read_text(encoding="utf-8").replace(
        "| Dates conducted | Pollster | Client | Sample size | Support | Opposed | Neutral or | Lead |",
        "| Fieldwork date | Polling firm | Commissioned by | Sample | For | Against | Undecided | Lead |",
    )
    renamed = normalize_article(parse_article_text(text, "renamed.txt"))
    original = normalize_file(SAMPLE)
    fields = [
        "fieldwork_start",
        "pollster",
        "client",
        "sample_size",
        "support",
        "oppose",
        "neutral",
    ]
    assert [[p[f] for f in fields] for p in renamed.polls] == [
        [p[f] for f in fields] for p in original.polls
    ]
