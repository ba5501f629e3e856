"""What each column holds and what each table is: poll, timeline or other."""

from __future__ import annotations

import pytest

from flows.article import SourceTable
from flows.shape.rows import classify_row
from flows.shape.tables import classify_table
from flows.vocabulary import AnswerClass, Role
from tests.builders import SAMPLE_EVENTS, SAMPLE_HEADER, SAMPLE_ROLES, make_row, make_table, sample


def roles(table: SourceTable) -> list[tuple[Role, AnswerClass | None]]:
    return [(column.role, column.answer_class) for column in classify_table(table).columns]


# --- the sample article -----------------------------------------------------------------------


def test_the_sample_has_a_poll_table_and_a_timeline_table() -> None:
    kinds = [classify_table(table).kind for table in sample().tables]
    assert kinds == ["poll", "timeline"]


def test_the_sample_poll_table_header_roles() -> None:
    table = sample().tables[0]
    assert table.header == SAMPLE_HEADER
    classified = classify_table(table)
    assert classified.kind == "poll"
    assert classified.reason == (
        "poll: date column 'Dates conducted' (header + cells: 14/14 read as dates), "
        "pollster column 'Pollster' (header + cells: 14/14 names), 3 share columns"
    )
    assert [column.label for column in classified.columns] == SAMPLE_HEADER
    assert [column.index for column in classified.columns] == list(range(len(SAMPLE_HEADER)))
    assert roles(table) == SAMPLE_ROLES


@pytest.mark.parametrize(
    ("role", "index"),
    [
        (Role.DATE, 0),
        (Role.POLLSTER, 1),
        (Role.CLIENT, 2),
        (Role.SAMPLE_SIZE, 3),
        (Role.ANSWER, 4),
        (Role.LEAD, 7),
        (Role.MARGIN_OF_ERROR, None),
        (Role.EVENT, None),
    ],
)
def test_classified_table_column_lookup(role: Role, index: int | None) -> None:
    column = classify_table(sample().tables[0]).column(role)
    assert (column.index if column else None) == index


def test_the_sample_header_only_table_with_no_rows_is_not_a_poll_table() -> None:
    # The roles come from the header alone, but a poll table needs percentages in its rows.
    table = make_table(SAMPLE_HEADER, [])
    assert roles(table) == SAMPLE_ROLES
    classified = classify_table(table)
    assert classified.kind == "other"
    assert classified.reason == "other: the answer columns hold no percentages"


def test_the_sample_timeline_table() -> None:
    table = sample().tables[1]
    classified = classify_table(table)
    assert classified.kind == "timeline"
    assert classified.reason == (
        "timeline: date column 'Date' (header + cells: 1/1 read as dates), "
        "event column 'Event' (header + cells: 1/1 names)"
    )
    assert roles(table) == [(Role.EVENT, None), (Role.DATE, None)]
    assert [classify_row(row)[0] for row in table.rows] == ["event"]


def test_the_sample_poll_table_row_kinds() -> None:
    rows = sample().tables[0].rows
    kinds = {tuple(cell.text for cell in row.cells[:2]): classify_row(row)[0] for row in rows}
    assert sorted(key for key, kind in kinds.items() if kind == "event") == sorted(SAMPLE_EVENTS)
    assert list(kinds.values()).count("poll") == 9
    assert "summary" not in kinds.values()
    assert "blank" not in kinds.values()


@pytest.mark.parametrize(("when", "what"), SAMPLE_EVENTS)
def test_the_sample_event_markers_are_events(when: str, what: str) -> None:
    row = next(row for row in sample().tables[0].rows if row.cells[0].text == when)
    assert [cell.text for cell in row.cells[:2]] == [when, what]
    assert all(cell.text == "" for cell in row.cells[2:])
    assert classify_row(row) == ("event", "event marker: a date and one text cell")


@pytest.mark.parametrize("line", [34, 35, 40, 42, 43, 46])
def test_the_sample_poll_rows_are_polls(line: int) -> None:
    row = next(row for row in sample().tables[0].rows if row.line == line)
    assert classify_row(row) == ("poll", "")


# --- classify_table on built tables --------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [["Event", "Date"], ["Date", "Event"], ["Events", "Dates"], ["Date", "Description"]],
)
def test_event_and_date_columns_make_a_timeline(header: list[str]) -> None:
    rows = [["Partnership for Peace", "2006-12-14"]]
    if header[0].lower().startswith("date"):
        rows = [list(reversed(row)) for row in rows]
    classified = classify_table(make_table(header, rows))
    assert classified.kind == "timeline"
    assert classified.reason.startswith("timeline: ")
    assert {column.role for column in classified.columns} == {Role.EVENT, Role.DATE}


def test_a_timeline_needs_no_rows() -> None:
    assert classify_table(make_table(["Event", "Date"], [])).kind == "timeline"


@pytest.mark.parametrize(
    ("header", "rows", "kind", "reason"),
    [
        (
            ["Dates conducted", "Client", "Sample size", "Support", "Opposed"],
            [["March 2022", "IEA", "1228", "10%", "82%"]],
            "other",
            "other: no pollster column (no column of names)",
        ),
        (
            ["Pollster", "Support", "Opposed"],
            [["Ninamedia", "10%", "82%"]],
            "other",
            "other: no date column",
        ),
        (
            ["Name", "Value"],
            [["a", "10%"]],
            "other",
            "other: no date column",
        ),
        (
            # Not a poll table (no answer columns), but a timeline.
            ["Date", "Event", "Pollster"],
            [],
            "timeline",
            "timeline: date column 'Date' (header), event column 'Event' (header)",
        ),
    ],
)
def test_tables_that_are_not_poll_tables(header, rows, kind: str, reason: str) -> None:
    classified = classify_table(make_table(header, rows))
    assert classified.kind == kind
    assert classified.reason == reason


def test_a_table_with_no_pollster_is_other_with_a_reason() -> None:
    table = make_table(
        ["Date", "Support", "Opposed"], [["March 2022", "10%", "82%"], ["March 2017", "11%", "84%"]]
    )
    classified = classify_table(table)
    assert classified.kind == "other"
    assert classified.reason == "other: no pollster column (no column of names)"
    assert classified.column(Role.POLLSTER) is None
    # Dates and shares that go unread are reported, never ignored in silence.
    assert classified.not_read == (
        "a table of dates and numbers (Date | Support | Opposed) was not read: "
        "no pollster column (no column of names)"
    )


@pytest.mark.parametrize(
    "answers",
    [
        ["Yes", "No"],
        ["", ""],
        ["N/A", "—"],
        ["Tie", "Tie"],
    ],
)
def test_answer_columns_without_percentages_make_the_table_other(answers: list[str]) -> None:
    table = make_table(
        ["Dates conducted", "Pollster", "Support", "Opposed"],
        [["March 2022", "Ninamedia", *answers], ["March 2017", "Ninamedia", *answers]],
    )
    classified = classify_table(table)
    assert classified.kind == "other"
    assert classified.reason == "other: the answer columns hold no percentages"
    assert [column.role for column in classified.columns][2:] == [Role.ANSWER, Role.ANSWER]


def test_answer_labels_over_whole_numbers_are_counts_not_shares() -> None:
    table = make_table(
        ["Dates conducted", "Pollster", "Support", "Opposed"],
        [["March 2022", "Ninamedia", "1000", "1228"], ["March 2017", "Ninamedia", "990", "1100"]],
    )
    classified = classify_table(table)
    assert classified.kind == "other"
    assert [column.role for column in classified.columns][2:] == [Role.COUNT, Role.COUNT]
    assert classified.not_read is not None


def test_one_percentage_in_one_answer_column_is_enough_for_a_poll_table() -> None:
    table = make_table(
        ["Dates conducted", "Pollster", "Support", "Opposed"],
        [["March 2022", "Ninamedia", "Yes", "No"], ["March 2017", "Ninamedia", "10%", "No"]],
    )
    assert classify_table(table).kind == "poll"


def test_percentages_only_in_colspan_copies_do_not_count() -> None:
    table = make_table(["Dates conducted", "Pollster", "Support", "Opposed"], [])
    table.rows.append(
        make_row(
            ["March 2022", "Ninamedia", "Yes", "10%"],
            origins=["source", "source", "source", "colspan"],
        )
    )
    classified = classify_table(table)
    assert classified.kind == "other"
    assert classified.reason == "other: the answer columns hold no percentages"


def test_the_reason_for_a_table_with_no_answer_columns_reads_well() -> None:
    table = make_table(["Date", "Pollster", "Client"], [["March 2022", "Ninamedia", "IEA"]])
    classified = classify_table(table)
    assert classified.kind == "other"
    assert classified.reason == "other: no share columns and no event column"
    assert classified.not_read is None  # no numbers: nothing was left unread


@pytest.mark.parametrize(
    ("party_cells", "expected"),
    [
        (["40%", "42%", "39%"], (Role.ANSWER, None)),
        (["40%", "42%", "N/A"], (Role.ANSWER, None)),  # empties are not counted
        (["40%", "42%", "n"], (Role.ANSWER, None)),  # 2 of 3: more than half
        (["40%", "x", "y"], (Role.NAME, None)),  # 1 of 3: mostly names
        (["40%", "x"], (Role.OTHER, None)),  # exactly half is not enough
        (["1000", "1100", "1228"], (Role.COUNT, None)),  # whole numbers, right of the answers
        (["", "", ""], (Role.OTHER, None)),
    ],
)
def test_a_party_named_column_holding_percentages_is_an_unclassed_answer(
    party_cells: list[str], expected
) -> None:
    rows = [
        [f"March {2020 + index}", "NSPM", "30%", cell] for index, cell in enumerate(party_cells)
    ]
    table = make_table(["Dates conducted", "Pollster", "SPS", "SNS"], rows)
    assert roles(table)[3] == expected


def test_a_poll_table_of_party_columns() -> None:
    table = make_table(
        ["Fieldwork date", "Polling firm", "Sample size", "SNS", "SPS", "Others", "Lead"],
        [
            ["7 March 2024", "NSPM", "1,000", "45%", "10%", "45%", "35%"],
            ["7 February 2024", "Ninamedia", "1,228", "47.1%", "9.9%", "43%", "37.2%"],
        ],
    )
    classified = classify_table(table)
    assert classified.kind == "poll"
    assert roles(table) == [
        (Role.DATE, None),
        (Role.POLLSTER, None),
        (Role.SAMPLE_SIZE, None),
        (Role.ANSWER, None),
        (Role.ANSWER, None),
        (Role.ANSWER, None),
        (Role.LEAD, None),
    ]


def test_an_unnamed_column_holding_percentages_is_not_an_answer() -> None:
    table = make_table(
        ["Dates conducted", "Pollster", "", "Support"],
        [["March 2022", "Ninamedia", "40%", "10%"]],
    )
    assert roles(table)[2] == (Role.OTHER, None)


def test_known_answer_labels_are_answers_whatever_their_cells_hold() -> None:
    table = make_table(
        ["Dates conducted", "Pollster", "Support", "No opinion"],
        [["March 2022", "Ninamedia", "10%", "text"]],
    )
    assert roles(table)[2:] == [
        (Role.ANSWER, AnswerClass.SUPPORT),
        (Role.ANSWER, AnswerClass.NEUTRAL),
    ]


def test_short_rows_do_not_break_column_classification() -> None:
    table = make_table(
        ["Dates conducted", "Pollster", "Support", "SNS"],
        [["March 2022", "Ninamedia", "10%"], ["March 2017", "Ninamedia", "11%", "40%"]],
    )
    classified = classify_table(table)
    assert classified.kind == "poll"
    assert classified.columns[3].role is Role.ANSWER


# --- roles from the cells, header words as evidence (rows copied from real articles) --------------
#
# Sources: the dev set's inputs, flattened from real Wikipedia pages (pizza_to_the_polls,
# WikiTableQuestions) and real wikitext (sweble's Saxby Chambliss article, mbaffert/sondax).

FLORIDA_ROWS = [  # pizza_to_the_polls data/raw_wiki/senate/Florida-wikipage.html, general election
    ["The Trafalgar Group (R)", "November 4–5, 2018", "1,484", "± 2.5%", "47%", "49%", "–", "4%"],
    ["HarrisX", "November 3–5, 2018", "600", "± 4.0%", "48%", "48%", "–", "–"],
    ["St. Pete Polls", "November 3–4, 2018", "3,088", "± 1.8%", "50%", "46%", "–", "4%"],
    [
        "Quinnipiac University",
        "October 29 – November 4, 2018",
        "1,142",
        "± 3.5%",
        "51%",
        "44%",
        "0%",
        "5%",
    ],
]


@pytest.mark.parametrize(
    "header",
    [
        [
            "Poll source",
            "Date(s) administered",
            "Sample size",
            "Margin of error",
            "Bill Nelson (D)",
            "Rick Scott (R)",
            "Other",
            "Undecided",
        ],
        # The same columns as other articles head them: no header word is needed.
        [
            "Polling institute",
            "Publication date",
            "Respondents",
            "±",
            "Nelson",
            "Scott",
            "Others",
            "Don't know",
        ],
        ["Poll company", "Month", "Base", "Error", "PD", "PR", "Misc.", "N/O"],
        ["", "", "", "", "Nelson", "Scott", "Other", "Undecided"],
    ],
    ids=["as-written", "european-words", "unknown-words", "unlabelled-keys"],
)
def test_a_poll_table_is_known_by_its_cells_whatever_its_headers(header: list[str]) -> None:
    classified = classify_table(make_table(header, FLORIDA_ROWS))
    assert classified.kind == "poll", classified.reason
    roles_found = [column.role for column in classified.columns]
    assert roles_found[:4] == [Role.POLLSTER, Role.DATE, Role.SAMPLE_SIZE, Role.MARGIN_OF_ERROR]
    assert roles_found[4:] == [Role.ANSWER] * 4


def test_the_reason_names_the_evidence_for_each_role() -> None:
    header = [
        "Polling institute",
        "Fieldwork date",
        "Sample size",
        "Margin of error",
        "Nelson",
        "Scott",
        "Other",
        "Undecided",
    ]
    classified = classify_table(make_table(header, FLORIDA_ROWS))
    assert classified.reason == (
        "poll: date column 'Fieldwork date' (header + cells: 4/4 read as dates), "
        "pollster column 'Polling institute' (cells: 4/4 names), 4 share columns"
    )


def test_a_publication_date_beside_fieldwork_dates_is_not_the_poll_date() -> None:
    header = ["Pollster", "Fieldwork date", "Publication date", "Yes", "No"]
    rows = [
        ["Ipsos", "1–3 May 2019", "5 May 2019", "40%", "60%"],
        ["Elabe", "2–4 May 2019", "6 May 2019", "45%", "55%"],
    ]
    classified = classify_table(make_table(header, rows))
    assert classified.kind == "poll"
    assert classified.column(Role.DATE).label == "Fieldwork date"
    assert classified.columns[2].role is Role.OTHER


def test_shares_written_without_percent_signs_are_shares_when_they_add_up() -> None:
    header = ["Pollster", "Date", "Sample", "Favor", "Oppose", "Unsure"]
    rows = [
        ["Gallup", "May 1–3, 2019", "1,012", "55", "40", "5"],
        ["Pew", "May 4–8, 2019", "998", "52", "44", "4"],
    ]
    classified = classify_table(make_table(header, rows))
    assert classified.kind == "poll"
    assert [c.role for c in classified.columns][3:] == [Role.ANSWER] * 3


def test_counts_that_do_not_add_up_like_shares_are_not_a_poll() -> None:
    # WikiTableQuestions page/204-page/514.html (List of terrorist incidents in the European
    # Union): deaths and injuries are numbers of 0-100 beside a date and names, not shares.
    header = ["Date", "Location", "Member state", "Deaths", "Injuries", "Type"]
    rows = [
        ["2 February 1995", "Oberwart", "Austria", "4", "-", "Improvised Explosive Device"],
        ["27 July 1980", "Antwerp", "Belgium", "1", "20", "Grenade"],
        ["13 July 1983", "Brussels", "Belgium", "1", "-", "Small arms fire"],
    ]
    assert classify_table(make_table(header, rows)).kind != "poll"


def test_dates_that_are_only_years_are_results_not_polls() -> None:
    # sweble's Saxby Chambliss article: "Year | Democrat | Votes | Pct | Republican | Votes | Pct".
    header = ["Year", "", "Democrat", "Votes", "Pct", "", "Republican", "Votes", "Pct"]
    rows = [
        ["1994", "", "Craig Mathis", "53,408", "37%", "", "Saxby Chambliss", "89,591", "63%"],
        ["1996", "", "Jim Wiggins", "81,022", "47%", "", "Saxby Chambliss", "93,619", "53%"],
    ]
    classified = classify_table(make_table(header, rows))
    assert classified.kind == "other"
    assert "years only" in classified.reason
    assert classified.not_read is not None and "Year | " in classified.not_read


def test_a_table_of_votes_with_no_pollster_named_is_results() -> None:
    header = ["Date", "Candidate", "Votes", "Pct", "Candidate", "Votes", "Pct"]
    rows = [["November 8, 2016", "Smith", "53,408", "37%", "Jones", "89,591", "63%"]]
    assert classify_table(make_table(header, rows)).kind == "other"


def test_a_match_up_table_names_each_option_in_the_row() -> None:
    header = ["Poll source", "Date(s) administered", "Democrat", "%", "Republican", "%"]
    rows = [
        ["Gravis Marketing", "October 1–3, 2018", "Bill Nelson", "48%", "Rick Scott", "45%"],
        ["Mason-Dixon", "October 4–6, 2018", "Bill Nelson", "47%", "Rick Scott", "46%"],
    ]
    classified = classify_table(make_table(header, rows))
    assert classified.kind == "poll"
    assert [c.role for c in classified.columns][2:] == [Role.OPTION, Role.ANSWER] * 2
    assert [c.option_column for c in classified.columns][2:] == [None, 2, None, 4]
    assert "(2 named by the row)" in classified.reason


# Battles: WikiTableQuestions page/204-page/429.html and page/202-page/102.html.
TEXAS = (
    ["Battle", "Location", "Date(s)", "Engagement remarks", "Victor"],
    [
        [
            "Battle of Gonzales",
            "Gonzales",
            "October 2, 1835",
            "This battle resulted in the first casualties of the Texas Revolution. One Mexican soldier killed",
            "T",
        ],
        [
            "Battle of Lipantitlán",
            "San Patricio",
            "November 4–5, 1835",
            "Texians captured and destroyed Fort Lipantitlán. Most of the Mexican soldiers retreated to Matamoros.",
            "T",
        ],
    ],
)
LETHAL = (
    ["Battle, Siege, or Offensive", "Conflict", "Dates", "Estimated number of Americans killed"],
    [
        [
            "Meuse-Argonne Offensive",
            "World War I",
            "September 26 to November 11, 1918",
            "26,277 killed",
        ],
        [
            "Battle of the Bulge",
            "World War II",
            "December 16, 1944 to January 25, 1945",
            "19,276 killed",
        ],
    ],
)


@pytest.mark.parametrize(("header", "rows"), [TEXAS, LETHAL], ids=["texas", "lethal"])
def test_a_column_named_for_a_kind_of_event_makes_a_timeline(header, rows) -> None:
    classified = classify_table(make_table(header, rows))
    assert classified.kind == "timeline"
    assert classified.column(Role.EVENT).index == 0


def test_a_date_column_and_a_column_of_prose_make_a_timeline_whatever_its_name() -> None:
    # WikiTableQuestions page/204-page/514.html: the event column is "Description".
    header = ["Date", "Location", "Summary of what was seen"]
    rows = [
        [
            "2 February 1995",
            "Oberwart",
            "A pipe bomb concealed in a placard killed four people at a settlement.",
        ],
        [
            "27 July 1980",
            "Antwerp",
            "A Palestinian threw a hand grenade at a party of schoolchildren leaving for a vacation.",
        ],
    ]
    classified = classify_table(make_table(header, rows))
    assert classified.kind == "timeline"
    assert classified.column(Role.EVENT).label == "Summary of what was seen"
    assert "(cells: 2/2 prose)" in classified.reason


@pytest.mark.parametrize(
    ("header", "rows"),
    [
        # pizza_to_the_polls governor/Michigan: a debate schedule is not a timeline.
        (
            ["Host network", "Date", "Link(s)", "Participants"],
            [
                ["WOOD-TV", "May 9, 2018", "", "Invited"],
                ["WDIV-TV", "June 28, 2018", "", "Invited"],
            ],
        ),
        # pizza_to_the_polls governor/Michigan: ratings "as of" a date are not events.
        (
            ["Source", "Ranking", "As of"],
            [
                ["The Cook Political Report", "Lean D", "October 26, 2018"],
                ["FiveThirtyEight", "Likely D", "November 5, 2018"],
            ],
        ),
    ],
    ids=["debates", "predictions"],
)
def test_dated_tables_of_names_are_not_timelines(header, rows) -> None:
    assert classify_table(make_table(header, rows)).kind == "other"


def test_a_share_of_another_base_is_left_out_of_the_sum() -> None:
    # mbaffert/sondax 1306346350.wikitext (2019 European election in France): "Abs." is the
    # share who would abstain; the lists' shares sum to 100 without it.
    header = [
        "Polling firm",
        "Fieldwork date",
        "Sample size",
        "Abs.",
        "FI",
        "PS",
        "EELV",
        "LREM",
        "LR",
        "RN",
        "Other",
    ]
    rows = [
        [
            "Ipsos",
            "24 May 2019",
            "5,877",
            "53%",
            "7.5%",
            "5.5%",
            "9.5%",
            "23%",
            "13%",
            "25%",
            "16.5%",
        ],
        [
            "Elabe",
            "23–24 May 2019",
            "2,010",
            "55%",
            "8.5%",
            "4.5%",
            "9%",
            "22.5%",
            "13%",
            "25%",
            "17.5%",
        ],
    ]
    classified = classify_table(make_table(header, rows))
    assert classified.kind == "poll"
    assert [c.label for c in classified.columns if c.outside_total] == ["Abs."]
    assert "'Abs.' is a share of another base" in classified.reason
