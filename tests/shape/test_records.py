"""Rows into records: the sample article's exact rows, event markers, values as tables write them,
and rows kept aside."""

from __future__ import annotations

from datetime import date

import pytest

from flows.article import Cell
from flows.read.files import parse_article_file, parse_article_text
from flows.shape.records import normalize_article
from tests.conftest import ARTICLES, FIXTURES, SAMPLE, normalize_file


def test_sample_gives_nine_polls_six_events_nothing_rejected():
    normalized = normalize_file(SAMPLE)
    assert len(normalized.polls) == 9
    assert len(normalized.events) == 6
    assert normalized.rejected == []
    assert normalized.skipped == []
    assert sorted(e["source_kind"] for e in normalized.events) == ["poll_table"] * 5 + [
        "timeline_table"
    ]


def test_sample_february_2024_poll_is_read_exactly():
    polls = {p["date_text"]: p for p in normalize_file(SAMPLE).polls}
    poll = polls["February 2024"]
    assert poll["pollster"] == "NSPM"
    assert poll["client"] is None
    assert poll["sample_size"] == 1000
    assert (poll["support"], poll["oppose"], poll["neutral"], poll["lead"]) == (
        7.6,
        84.6,
        7.8,
        77.0,
    )
    assert (poll["fieldwork_start"], poll["fieldwork_end"]) == (date(2024, 2, 1), date(2024, 2, 29))
    assert poll["date_precision"] == "month"
    assert poll["repair"] == "realigned: 7 cells for 8 columns, read with 'Client' missing"
    assert poll["source_line"] == 34
    assert poll["raw_text"] == "| February 2024 | NSPM | 1000 | 7.6% | 84.6% | 7.8% | 77% | |"


def test_sample_rows_with_a_client_are_read_as_written():
    polls = {p["date_text"]: p for p in normalize_file(SAMPLE).polls}
    poll = polls["March 2022"]
    assert poll["repair"] is None
    assert poll["client"] == "Institute for European Affairs"
    assert poll["sample_size"] == 1228
    assert (poll["support"], poll["oppose"], poll["neutral"], poll["lead"]) == (10, 82, 8, 72)


def test_sample_every_lead_agrees_with_the_shares():
    for poll in normalize_file(SAMPLE).polls:
        assert poll["substantive_gap"] == pytest.approx(poll["lead"]), poll["date_text"]
        assert poll["answers_total"] == pytest.approx(100)


def test_sample_event_markers_and_timeline():
    events = {e["description"]: e for e in normalize_file(SAMPLE).events}
    invasion = events["Russia invades Ukraine"]
    assert invasion["event_date"] == date(2022, 2, 24)
    assert invasion["date_precision"] == "day"
    assert invasion["source_kind"] == "poll_table"
    assert invasion["source_line"] == 41
    assert set(events) == {
        "Sweden acceedes to NATO", "Finland acceedes to NATO", "Russia invades Ukraine",
        "Russia annexes Crimea", "Russia invades Georgia", "Partnership for Peace",
    }  # fmt: skip
    assert events["Partnership for Peace"]["source_kind"] == "timeline_table"
    assert events["Partnership for Peace"]["event_date"] == date(2006, 12, 14)


def test_every_poll_value_has_its_raw_cell():
    normalized = normalize_file(SAMPLE)
    cells = {(c["record_id"], c["field"]): c for c in normalized.source_cells}
    poll = normalized.polls[0]
    assert cells[(poll["poll_id"], "sample_size")]["raw_cell"] == "1000"
    assert cells[(poll["poll_id"], "sample_size")]["header_label"] == "Sample size"
    results = [r for r in normalized.poll_results if r["poll_id"] == poll["poll_id"]]
    assert [(r["option"], r["answer_class"], r["share"], r["raw_cell"]) for r in results] == [
        ("Support", "support", 7.6, "7.6%"),
        ("Opposed", "oppose", 84.6, "84.6%"),
        ("Neutral or", "neutral", 7.8, "7.8%"),
    ]


# --- a second article in the same form, with the hard cases written on purpose ---------------------


@pytest.fixture(scope="module")
def finland():
    return normalize_file(ARTICLES / "finland_nato_relations.txt")


def test_finland_dates_of_every_precision(finland):
    polls = {p["source_line"]: p for p in finland.polls}
    assert (polls[13]["fieldwork_start"], polls[13]["fieldwork_end"]) == (
        date(2022, 3, 4), date(2022, 3, 14))  # fmt: skip
    assert (polls[15]["fieldwork_start"], polls[15]["fieldwork_end"]) == (
        date(2021, 12, 30), date(2022, 1, 3))  # fmt: skip
    assert (polls[16]["fieldwork_start"], polls[16]["fieldwork_end"]) == (
        date(2021, 11, 30), date(2021, 12, 1))  # fmt: skip
    assert polls[17]["date_precision"] == "year"
    assert polls[17]["fieldwork_end"] == date(2021, 12, 31)


def test_finland_markup_nulls_and_ties(finland):
    polls = {p["source_line"]: p for p in finland.polls}
    assert polls[13]["pollster"] == "Taloustutkimus"  # [[link]] becomes its label
    assert polls[13]["client"] == "Yle"  # ''italic'' markup removed
    assert polls[15]["client"] is None  # N/A
    assert polls[17]["client"] is None  # n/a
    assert polls[17]["lead"] == 0.0  # Tie
    assert polls[16]["pollster"] == "Kantar"
    assert polls[16]["notes"] == "Via Helsingin Sanomat"  # the <ref> is a note, not the value


def test_finland_summary_and_blank_rows_are_skipped_with_reason(finland):
    reasons = {s["source_line"]: s["reason"] for s in finland.skipped}
    assert reasons == {
        18: "summary row ('Average'), not a poll",
        19: "blank row: every cell is empty",
    }


@pytest.mark.parametrize(
    ("line", "detail_part"),
    [
        (20, "'84,6%' is not a percentage: use a decimal point (column 'Yes')"),
        (21, "'abc' is not a percentage (column 'Yes')"),
    ],
)
def test_finland_an_unreadable_share_is_refused_alone(finland, line, detail_part):
    # One unreadable answer costs that answer, never the rest of the poll that reads exactly.
    poll = next(p for p in finland.polls if p["source_line"] == line)
    assert poll["support"] is None and poll["oppose"] == 10.0
    assert poll["answers_complete"] is False  # the total is not known
    (finding,) = [f for f in finland.findings if f["source_line"] == line]
    assert (finding["check_name"], finding["poll_id"], finding["column_name"]) == (
        "value_refused",
        poll["poll_id"],
        "Yes",
    )
    assert detail_part in finding["detail"]
    assert finding["detail"].endswith("the poll loads without a share there")


@pytest.mark.parametrize(
    ("line", "check_name", "reason_part"),
    [
        (22, "too_many_cells", "the row has 9 cells but the header has 8 columns"),
        (23, "ambiguous_alignment", "fits equally well with"),
        (35, "unparseable_value", "'sometime' is not a date"),
    ],
)
def test_finland_rows_kept_aside_with_reason(finland, line, check_name, reason_part):
    rejected = {r["source_line"]: r for r in finland.rejected}
    assert rejected[line]["check_name"] == check_name
    assert reason_part in rejected[line]["reason"]
    assert rejected[line]["raw_text"].startswith("|")


def test_finland_no_row_is_lost(finland):
    article = finland.article
    data_rows = sum(len(t.rows) for t in article.tables if t.table_index in (1, 2))
    accounted = (
        len(finland.polls) + len(finland.events) + len(finland.rejected) + len(finland.skipped)
    )
    assert accounted == data_rows
    kinds = [t["kind"] for t in finland.tables]
    assert kinds == ["poll", "timeline", "other"]


def test_timeline_with_date_first_and_event_second(finland):
    timeline = [e for e in finland.events if e["source_kind"] == "timeline_table"]
    assert [(e["event_date"], e["description"]) for e in timeline] == [
        (date(2022, 5, 18), "Finland applies to join NATO"),
        (date(2023, 4, 4), "Finland joins NATO"),
    ]


# --- dates without a year take it from the table's context -------------------------------------------

YEARLESS = """= Polls by year =
==Polls==
===2023===
| Date | Pollster | Sample size | Yes | No | Lead |
| 12–14 Mar | Ipsos | 1,000 | 50% | 40% | 10% |
| 3 May | Referendum called | | | | |
| 7 June 2022 | Ipsos | 1,000 | 50% | 40% | 10% |
===2011–2022: earlier===
| Date | Pollster | Sample size | Yes | No | Lead |
| 16 September | Ipsos | 1,000 | 50% | 40% | 10% |
"""


def test_a_date_without_a_year_takes_the_year_of_its_heading():
    normalized = normalize_article(parse_article_text(YEARLESS, "yearless.txt"))
    polls = {p["date_text"]: p for p in normalized.polls}
    assert (polls["12–14 Mar"]["fieldwork_start"], polls["12–14 Mar"]["fieldwork_end"]) == (
        date(2023, 3, 12),
        date(2023, 3, 14),
    )
    assert polls["12–14 Mar"]["year_inferred"] is True
    assert polls["7 June 2022"]["year_inferred"] is False  # a written year always wins
    (event,) = normalized.events
    assert (event["event_date"], event["year_inferred"]) == (date(2023, 5, 3), True)


def test_a_heading_that_names_a_span_of_years_gives_no_year():
    normalized = normalize_article(parse_article_text(YEARLESS, "yearless.txt"))
    (rejected,) = normalized.rejected
    assert rejected["source_line"] == 10
    assert rejected["check_name"] == "unparseable_value"
    assert "16 September" in rejected["reason"]


def test_a_sort_key_gives_the_year_before_the_heading():
    from flows.article import SourceRow, SourceTable

    table = SourceTable(
        table_index=1, line=1, section_path=("2023",), header=["Date", "Pollster", "Yes", "No"],
        header_raw="", rows=[SourceRow(1, 2, "", [
            Cell(raw='data-sort-value="2024-09-16"|16/9', text="16/9", sort_value="2024-09-16"),
            Cell(raw="X", text="X"), Cell(raw="50%", text="50%"), Cell(raw="40%", text="40%"),
        ])],
    )  # fmt: skip
    from flows.article import Article

    article = Article("a.wiki", "a.wiki", "A", "wikitext", "0" * 64, tables=[table])
    (poll,) = normalize_article(article).polls
    assert poll["fieldwork_start"] == date(2024, 9, 16)
    assert poll["year_inferred"] is True


def test_a_row_with_two_bad_cells_reports_both():
    text = "= Two =\n| Date | Pollster | Sample size | Yes | No | Lead |\n| 2020 | X | 1,000 | 1,5% | abc | 3% |\n"
    normalized = normalize_article(parse_article_text(text, "two.txt"))
    (poll,) = normalized.polls
    assert (poll["sample_size"], poll["lead"], poll["answer_count"]) == (1000, 3.0, 0)
    (first, second) = normalized.findings
    assert (first["column_name"], first["value"]) == ("Yes", "1,5%")
    assert "use a decimal point" in first["detail"]
    assert (second["column_name"], second["value"]) == ("No", "abc")
    assert first["source_line"] == second["source_line"] == 3


def test_a_bad_date_still_rejects_the_row_with_every_bad_value_named():
    text = "= Two =\n| Date | Pollster | Yes | No |\n| sometime | X | 45% | 55% |\n"
    (rejected,) = normalize_article(parse_article_text(text, "two.txt")).rejected
    assert (rejected["check_name"], rejected["value"]) == ("unparseable_value", "sometime")


# --- cells as poll tables write them; rows that are not polls (real rows) ----------------------------
# Source: pizza_to_the_polls data/raw_wiki/senate/Florida-wikipage.html (2019 skin), flattened by
# the dev set's build.py: the LV/RV pair's second row lost its leading cells to a rowspan.

FLORIDA_TABLE = """= Florida =
==General election==
| Poll source | Date(s) administered | Sample size | Margin of error | Bill Nelson (D) | Rick Scott (R) | Other | Undecided |
| HarrisX | October 31 – November 2, 2018 | 600 | ± 4.0% | 46% | 48% | – | – |
| Marist College | October 30 – November 2, 2018 | 595 LV | ± 5.0% | 50% | 46% | <1% | 4% |
| 917 RV | ± 4.1% | 50% | 45% | <1% | 5% | | |
| Gravis Marketing (PDF) | October 29 – November 2, 2018 | 753 | ± 3.6% | 50% | 47% | – | 4% |
"""


@pytest.fixture(scope="module")
def florida():
    return normalize_article(parse_article_text(FLORIDA_TABLE, "florida.txt"))


def test_a_sample_size_with_its_population(florida):
    marist = next(p for p in florida.polls if p["pollster"] == "Marist College")
    assert (marist["sample_size"], marist["population"]) == (595, "likely voters")
    harrisx = next(p for p in florida.polls if p["pollster"] == "HarrisX")
    assert (harrisx["sample_size"], harrisx["population"]) == (600, None)


def test_a_share_below_a_bound_keeps_the_bound_and_the_poll(florida):
    marist = next(p for p in florida.polls if p["pollster"] == "Marist College")
    results = {r["option"]: r for r in florida.poll_results if r["poll_id"] == marist["poll_id"]}
    assert (results["Other"]["share"], results["Other"]["share_upper_bound"]) == (None, 1.0)
    assert results["Other"]["raw_cell"] == "<1%"
    assert results["Undecided"]["share"] == 4.0
    assert marist["answers_total"] == 100.0 and marist["answers_complete"] is False


def test_a_dash_is_no_share_at_all(florida):
    harrisx = next(p for p in florida.polls if p["pollster"] == "HarrisX")
    options = {r["option"] for r in florida.poll_results if r["poll_id"] == harrisx["poll_id"]}
    assert options == {"Bill Nelson (D)", "Rick Scott (R)"}


def test_a_flattened_row_that_lost_its_leading_cells_is_kept_aside_naming_its_row(florida):
    (rejected,) = florida.rejected
    assert rejected["check_name"] == "continuation_row"
    assert rejected["raw_text"] == "| 917 RV | ± 4.1% | 50% | 45% | <1% | 5% | | |"
    assert rejected["reason"].startswith(
        "continues row 2 (Marist College | October 30 – November 2, 2018): its first cells "
        "('Poll source', 'Date(s) administered') spanned this row"
    )
    assert len(florida.polls) == 3


def test_a_link_label_after_the_pollster_is_not_its_name(florida):
    assert "Gravis Marketing" in {p["pollster"] for p in florida.polls}


def test_wikitext_spans_read_every_row_in_full():
    # The same LV/RV pair as MediaWiki writes it: the spans are explicit, so both rows are polls.
    text = """{| class="wikitable"
! Poll source !! Date(s) administered !! Sample size !! Bill Nelson (D) !! Rick Scott (R) !! Other
|-
| rowspan=2 | Marist College || rowspan=2 | October 30 – November 2, 2018 || 595 LV || 50% || 46% || <1%
|-
| 917 RV || 50% || 45% || <1%
|}"""
    normalized = normalize_article(parse_article_text(text, "marist.wiki", "", "wikitext"))
    assert normalized.rejected == []
    assert [(p["pollster"], p["sample_size"], p["population"]) for p in normalized.polls] == [
        ("Marist College", 595, "likely voters"),
        ("Marist College", 917, "registered voters"),
    ]


def test_a_match_up_table_loads_each_option_named_by_its_row():
    text = """= Match-ups =
| Poll source | Date(s) administered | Democrat | % | Republican | % |
| Gravis Marketing | October 1–3, 2018 | Bill Nelson | 48% | Rick Scott | 45% |
| Mason-Dixon | October 4–6, 2018 | Bill Nelson | 47% | Ron DeSantis | 46% |
"""
    normalized = normalize_article(parse_article_text(text, "matchup.txt"))
    assert len(normalized.polls) == 2 and normalized.rejected == []
    second = normalized.polls[1]["poll_id"]
    assert sorted(
        (r["option"], r["share"]) for r in normalized.poll_results if r["poll_id"] == second
    ) == [("Bill Nelson", 47.0), ("Ron DeSantis", 46.0)]


def test_year_markers_give_the_year_to_their_block():
    text = """= Years =
| Date | Pollster | Yes | No |
| 2023 | | | |
| 12–14 March | Ipsos | 45% | 55% |
| 2024 | | | |
| 3 June | Ipsos | 40% | 60% |
"""
    normalized = normalize_article(parse_article_text(text, "years.txt"))
    assert [(p["fieldwork_start"], p["year_inferred"]) for p in normalized.polls] == [
        (date(2023, 3, 12), True),
        (date(2024, 6, 3), True),
    ]
    assert [s["reason"] for s in normalized.skipped] == [
        "year marker (2023): gives the year to the dates of its block",
        "year marker (2024): gives the year to the dates of its block",
    ]


def test_an_event_written_in_one_spanning_cell_is_an_event():
    text = """{| class="wikitable"
! Date !! Pollster !! Yes !! No
|-
! colspan=4 | 2023
|-
| 3 March || Ipsos || 55% || 45%
|-
| colspan=4 | ''26 March: X is elected party leader''
|-
! colspan=4 | 2024
|-
| 5 May || Ipsos || 50% || 50%
|}"""
    normalized = normalize_article(parse_article_text(text, "spanning.wiki", "", "wikitext"))
    (event,) = normalized.events
    assert (event["event_date"], event["description"], event["source_kind"]) == (
        date(2023, 3, 26),
        "X is elected party leader",
        "poll_table",
    )
    assert [p["fieldwork_start"] for p in normalized.polls] == [date(2023, 3, 3), date(2024, 5, 5)]
    assert normalized.rejected == [] and len(normalized.skipped) == 2


def test_year_markers_that_close_their_block_give_the_rows_above_their_year():
    text = """= Years =
| Date | Pollster | Yes | No |
| 12–14 March | Ipsos | 45% | 55% |
| 2023 | | | |
| 3 June | Ipsos | 40% | 60% |
| 2024 | | | |
"""
    normalized = normalize_article(parse_article_text(text, "years.txt"))
    assert [p["fieldwork_start"] for p in normalized.polls] == [date(2023, 3, 12), date(2024, 6, 3)]


def test_an_election_result_among_the_polls_is_skipped_with_the_reason():
    # mbaffert/sondax 1306346350.wikitext: the first row is the 2019 election itself.
    text = """{| class="wikitable"
! Polling firm !! Fieldwork date !! Sample size !! LO !! FI !! RN
|- style="background:#E9E9E9;"
| [[2019 European Parliament election in France|2019 election]] || data-sort-value="2019-05-26"| 26 May 2019 || – || 0.78% || 6.31% || 23.34%
|-
| [https://www.ipsos.com Ipsos] || 24 May 2019 || 5,877 || 0.5% || 7.5% || 25%
|}"""
    normalized = normalize_article(parse_article_text(text, "france.wiki", "", "wikitext"))
    assert [p["pollster"] for p in normalized.polls] == ["Ipsos"]
    (skipped,) = normalized.skipped
    assert skipped["reason"] == "election result ('2019 election') among the polls, not a poll"


REAL_TABLES = FIXTURES / "real_tables"


def test_answers_grouped_under_two_questions_are_summed_question_by_question():
    # A real "Approval ratings" table (tests/fixtures/real_tables/README.md): Zapatero's and
    # Rajoy's approval and disapproval in one row, under a two-row header; year rows; a
    # "not asked" cell spanning Rajoy's two columns.
    path = REAL_TABLES / "es-approval-disapproval-year-rows.wiki"
    normalized = normalize_article(parse_article_file(path, REAL_TABLES))
    assert normalized.rejected == []
    sigma, noxa = normalized.polls[:2]
    # 49.9 + 49.1 for Zapatero alone: Rajoy was not asked, and there is no share for him.
    assert (sigma["pollster"], sigma["answers_total"], sigma["answer_count"]) == (
        "Sigma-2",
        99.0,
        2,
    )
    # 56.0 + 41.0 and 35.0 + 62.0: each question sums to 97, not the row to 194.
    assert (noxa["answers_total"], noxa["answers_rounding"]) == (97.0, 0.1)
    assert noxa["substantive_gap"] is None  # no single question to take a gap of
    options = [r["option"] for r in normalized.poll_results if r["poll_id"] == noxa["poll_id"]]
    assert options == [
        "Zapatero Approval",
        "Zapatero Disapproval",
        "Rajoy Approval",
        "Rajoy Disapproval",
    ]


def test_an_article_with_no_table_is_reported_not_silent():
    article = parse_article_text("= Just prose =\n\nNo tables here.\n", "prose.txt")
    normalized = normalize_article(article)
    assert (normalized.polls, normalized.events, normalized.rejected) == ([], [], [])
    (finding,) = normalized.findings
    assert finding["check_name"] == "no_tables"
    assert finding["table_index"] is None and finding["source_path"].endswith("prose.txt")
    assert "no table at all" in finding["detail"]


def test_an_article_with_tables_has_no_no_tables_finding():
    findings = normalize_file(SAMPLE).findings
    assert "no_tables" not in {f["check_name"] for f in findings}


def test_a_year_marker_beside_a_cell_that_reads_as_empty_gives_its_year():
    text = "==Timeline==\n| Event | Date |\n| n/a | 2019 |\n| Referendum held | 4 May |\n"
    normalized = normalize_article(parse_article_text(text, "marker.txt"))
    (event,) = normalized.events
    assert (event["description"], event["event_date"]) == ("Referendum held", date(2019, 5, 4))
