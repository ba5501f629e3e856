"""What each row of a poll or timeline table is."""

from __future__ import annotations

import pytest

from flows.article import CellOrigin
from flows.shape.rows import classify_row
from flows.shape.tables import classify_table
from tests.builders import POLL_ROW, make_row, make_table

# --- classify_row ----------------------------------------------------------------------------


def test_a_poll_row_is_a_poll() -> None:
    assert classify_row(make_row(POLL_ROW)) == ("poll", "")


@pytest.mark.parametrize(
    "cells",
    [
        ["", "", "", "", "", "", "", ""],
        ["N/A", "—", "–", "", "?", "n/a", "-", " "],
        [],
        [""],
    ],
)
def test_an_all_empty_row_is_blank(cells: list[str]) -> None:
    assert classify_row(make_row(cells)) == ("blank", "blank row: every cell is empty")


def test_a_row_of_only_copies_is_blank() -> None:
    row = make_row(["March 2022", "Ninamedia"], origins=["rowspan", "colspan"])
    assert classify_row(row)[0] == "blank"


@pytest.mark.parametrize(
    "cells",
    [
        ["Average", "", "", "", "10%", "82%", "8%", "72%"],
        ["average", "", "", "", "10%", "82%", "8%", "72%"],
        ["Averages", "", "", "", "10%", "82%", "8%", "72%"],
        ["Mean", "", "", "", "10%", "82%", "8%", "72%"],
        ["Median", "", "", "", "10%", "82%", "8%", "72%"],
        ["Total", "", "", "12,000", "", "", "", ""],
        ["Totals", "", "", "12,000", "", "", "", ""],
        ["Aggregate", "", "", "", "10%", "82%", "8%", "72%"],
        ["", "Average of polls", "", "", "10%", "82%", "8%", "72%"],
    ],
)
def test_an_average_or_total_first_cell_is_a_summary(cells: list[str]) -> None:
    kind, reason = classify_row(make_row(cells))
    assert kind == "summary"
    assert reason.startswith("summary row (")


@pytest.mark.parametrize("css_class", ["sortbottom", "sortbottom extra", "  sortbottom  "])
def test_a_sortbottom_row_is_a_summary(css_class: str) -> None:
    kind, reason = classify_row(make_row(POLL_ROW, css_class=css_class))
    assert kind == "summary"
    assert "March 2022" in reason


@pytest.mark.parametrize("css_class", ["", "sortable", "sortbottomless", "nosortbottom"])
def test_other_css_classes_do_not_make_a_summary(css_class: str) -> None:
    assert classify_row(make_row(POLL_ROW, css_class=css_class))[0] == "poll"


@pytest.mark.parametrize(
    "first", ["Totally Polling", "Meanwhile Research", "Averaged Ltd", "March 2022"]
)
def test_words_that_only_start_like_summary_labels_are_not_summaries(first: str) -> None:
    assert classify_row(make_row([first, "Ninamedia", "", "1228", "10%", "82%"]))[0] == "poll"


@pytest.mark.parametrize(
    "cells",
    [
        ["7 March 2024", "Sweden acceedes to NATO", "", "", "", "", "", ""],
        ["Sweden acceedes to NATO", "7 March 2024"],
        ["Partnership for Peace", "2006-12-14"],
        ["", "7 March 2024", "", "Sweden", ""],
        ["March 2024", "Sweden joins", "N/A", "—"],
        ["2022", "Russia invades Ukraine"],
    ],
)
def test_a_date_and_one_text_cell_is_an_event(cells: list[str]) -> None:
    assert classify_row(make_row(cells)) == ("event", "event marker: a date and one text cell")


@pytest.mark.parametrize(
    "cells",
    [
        ["7 March 2024", "8 March 2024"],  # two dates
        ["7 March 2024", "85%"],  # a date and a share
        ["7 March 2024", "1000"],  # a date and a count
        ["7 March 2024", "Tie"],  # a date and a tie
        ["Sweden", "NATO"],  # no date
        ["7 March 2024"],  # a date alone
        ["7 March 2024", "Sweden", "NATO"],  # three filled cells
    ],
)
def test_rows_that_are_not_event_markers(cells: list[str]) -> None:
    assert classify_row(make_row(cells))[0] == "poll"


def test_a_poll_row_with_only_date_and_pollster_is_read_as_an_event_marker() -> None:
    # Documented behaviour: a date and one text cell with every other cell empty is an event
    # marker, and a pollster name is a text cell. A poll whose values are all missing cannot be
    # told from "24 February 2022 | Russia invades Ukraine | | |" by its shape alone.
    row = make_row(["March 2022", "Ninamedia", "", "", "", "", "", ""])
    assert classify_row(row) == ("event", "event marker: a date and one text cell")


def test_a_poll_row_with_date_pollster_and_client_only_is_a_poll() -> None:
    row = make_row(["March 2022", "Ninamedia", "IEA", "", "", "", "", ""])
    assert classify_row(row) == ("poll", "")


@pytest.mark.parametrize("copy_origin", ["colspan", "rowspan"])
def test_span_copies_are_not_counted_as_filled_cells(copy_origin: CellOrigin) -> None:
    texts = ["7 March 2024", "Sweden acceedes to NATO", "Sweden acceedes to NATO"] + [
        "Sweden acceedes to NATO"
    ] * 5
    origins: list[CellOrigin] = ["source", "source"] + [copy_origin] * 6
    assert classify_row(make_row(texts, origins)) == (
        "event",
        "event marker: a date and one text cell",
    )


def test_the_same_cells_written_out_are_a_poll_row() -> None:
    texts = ["7 March 2024"] + ["Sweden acceedes to NATO"] * 7
    assert classify_row(make_row(texts))[0] == "poll"


def test_a_colspan_copied_date_does_not_make_an_event() -> None:
    row = make_row(["Sweden", "7 March 2024"], origins=["source", "colspan"])
    assert classify_row(row)[0] == "heading"  # one text cell spanning the row


def test_a_rowspan_copied_date_does_not_hide_a_poll_row() -> None:
    row = make_row(
        ["March 2022", "Ninamedia", "IEA", "1228", "10%", "82%", "8%", "72%"],
        origins=["rowspan", "source", "source", "source", "source", "source", "source", "source"],
    )
    assert classify_row(row) == ("poll", "")


# --- rows that are not polls, read as what they are -----------------------------------------------


@pytest.mark.parametrize(
    ("text", "date", "what"),
    [
        ("26 March: X is elected party leader", "26 March", "X is elected party leader"),
        ("1 January 2023 Something happens", "1 January 2023", "Something happens"),
        ("March 2022 – Russia invades Ukraine", "March 2022", "Russia invades Ukraine"),
    ],
)
def test_one_cell_spanning_the_row_with_a_date_is_an_event(text, date, what) -> None:
    row = make_row([text] + [text] * 5, origins=["source"] + ["colspan"] * 5)
    assert classify_row(row)[0] == "event"
    from flows.shape.rows import split_dated_text

    assert split_dated_text(text) == (date, what)


def test_a_row_holding_only_a_year_is_a_year_marker() -> None:
    row = make_row(["2023", "", "", "", ""])
    kind, reason = classify_row(row)
    assert kind == "year" and "2023" in reason


@pytest.mark.parametrize("text", ["Hypothetical polling", "With Smith as nominee"])
def test_one_text_cell_spanning_the_row_is_a_heading(text: str) -> None:
    assert classify_row(make_row([text, "", "", "", ""]))[0] == "heading"


def test_an_election_result_among_the_polls_is_a_result_row() -> None:
    header = ["Polling firm", "Fieldwork date", "Sample size", "LO", "FI"]
    rows = [
        ["2019 election", "26 May 2019", "–", "0.78%", "6.31%"],
        ["Ipsos", "24 May 2019", "5,877", "0.5%", "7.5%"],
    ]
    classified = classify_table(make_table(header, rows))
    kinds = [classify_row(row, classified)[0] for row in classified.table.rows]
    assert kinds == ["result", "poll"]
