"""Tests for flows.dates: what the date parser reads, and what it refuses rather than guesses."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from flows.dates import DateParseError, DateSpan, looks_like_date, parse_date_span


def d(text: str) -> date:
    return date.fromisoformat(text)


MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


# --- accepted texts: (text, start, end, precision) ------------------------------------------

SINGLE_DATES = [
    ("7 March 2024", "2024-03-07", "2024-03-07", "day"),
    ("March 7, 2024", "2024-03-07", "2024-03-07", "day"),
    ("March 7 2024", "2024-03-07", "2024-03-07", "day"),
    ("March 7,2024", "2024-03-07", "2024-03-07", "day"),
    ("07 March 2024", "2024-03-07", "2024-03-07", "day"),
    ("2006-12-14", "2006-12-14", "2006-12-14", "day"),
    ("February 2024", "2024-02-01", "2024-02-29", "month"),
    ("Feb 2023", "2023-02-01", "2023-02-28", "month"),
    ("February 1900", "1900-02-01", "1900-02-28", "month"),  # not a leap year
    ("February 2000", "2000-02-01", "2000-02-29", "month"),  # a leap year
    ("29 February 2024", "2024-02-29", "2024-02-29", "day"),
    ("December 2023", "2023-12-01", "2023-12-31", "month"),
    ("April 2023", "2023-04-01", "2023-04-30", "month"),
    ("2007", "2007-01-01", "2007-12-31", "year"),
    ("1800", "1800-01-01", "1800-12-31", "year"),
    ("2199", "2199-01-01", "2199-12-31", "year"),
]

MONTH_SPELLINGS = [
    ("Sept 2021", 9),
    ("Sept. 2021", 9),
    ("Sep 2021", 9),
    ("Sep. 2021", 9),
    ("September 2021", 9),
    ("sept 2021", 9),
    ("SEPTEMBER 2021", 9),
    ("Jan. 2021", 1),
    ("jan 2021", 1),
    ("Jun 2021", 6),
    ("June 2021", 6),
    ("Jul. 2021", 7),
    ("May 2021", 5),
    ("Dec. 2021", 12),
    ("Nov 2021", 11),
    ("oct 2021", 10),
    ("Aug. 2021", 8),
    ("Apr 2021", 4),
    ("Mar. 2021", 3),
    ("Feb. 2021", 2),
]

RANGES = [
    ("4–14 March 2022", "2022-03-04", "2022-03-14", "day"),
    ("4 – 14 March 2022", "2022-03-04", "2022-03-14", "day"),
    ("4-14 March 2022", "2022-03-04", "2022-03-14", "day"),
    ("4 - 14 March 2022", "2022-03-04", "2022-03-14", "day"),
    ("4—14 March 2022", "2022-03-04", "2022-03-14", "day"),
    ("4 — 14 March 2022", "2022-03-04", "2022-03-14", "day"),
    ("4 to 14 March 2022", "2022-03-04", "2022-03-14", "day"),
    ("4 TO 14 March 2022", "2022-03-04", "2022-03-14", "day"),
    ("14–14 March 2022", "2022-03-14", "2022-03-14", "day"),
    ("30 Nov – 1 Dec 2023", "2023-11-30", "2023-12-01", "day"),
    ("30 Nov. – 1 Dec. 2023", "2023-11-30", "2023-12-01", "day"),
    ("28 February – 1 March 2024", "2024-02-28", "2024-03-01", "day"),
    ("30 December 2024 – 3 January 2025", "2024-12-30", "2025-01-03", "day"),
    ("30 December – 3 January 2025", "2024-12-30", "2025-01-03", "day"),
    ("30 Dec–3 Jan 2025", "2024-12-30", "2025-01-03", "day"),
    ("March 4–14, 2022", "2022-03-04", "2022-03-14", "day"),
    ("March 4 – 14, 2022", "2022-03-04", "2022-03-14", "day"),
    ("March 4–14 2022", "2022-03-04", "2022-03-14", "day"),
    ("March 30 – April 2, 2023", "2023-03-30", "2023-04-02", "day"),
    ("December 30, 2024 – January 3, 2025", "2024-12-30", "2025-01-03", "day"),
    ("December 30 – January 3, 2025", "2024-12-30", "2025-01-03", "day"),
    ("March–April 2023", "2023-03-01", "2023-04-30", "month"),
    ("March - April 2023", "2023-03-01", "2023-04-30", "month"),
    ("March to April 2023", "2023-03-01", "2023-04-30", "month"),
    ("Jan–Feb 2024", "2024-01-01", "2024-02-29", "month"),
    ("November 2023 – February 2024", "2023-11-01", "2024-02-29", "month"),
    ("November – February 2024", "2023-11-01", "2024-02-29", "month"),
    ("2006–2007", "2006-01-01", "2007-12-31", "year"),
    ("2006-2007", "2006-01-01", "2007-12-31", "year"),
    ("2006 to 2007", "2006-01-01", "2007-12-31", "year"),
    ("2006–2006", "2006-01-01", "2006-12-31", "year"),
    # mixed precision: the coarsest side decides
    ("December 2024 – 3 January 2025", "2024-12-01", "2025-01-03", "month"),
    ("3 December 2024 – January 2025", "2024-12-03", "2025-01-31", "month"),
    ("2024 – March 2025", "2024-01-01", "2025-03-31", "year"),
    ("March 2024 – 2025", "2024-03-01", "2025-12-31", "year"),
    # ISO on both sides, with any separator
    ("2024-03-01 – 2024-03-05", "2024-03-01", "2024-03-05", "day"),
    ("2024-03-01–2024-03-05", "2024-03-01", "2024-03-05", "day"),
    ("2024-03-01-2024-03-05", "2024-03-01", "2024-03-05", "day"),
    ("2024-03-01 to 2024-03-05", "2024-03-01", "2024-03-05", "day"),
    # year boundaries
    ("31 December 2023 – 1 January 2024", "2023-12-31", "2024-01-01", "day"),
    ("31 December – 1 January 2024", "2023-12-31", "2024-01-01", "day"),
    ("December – January 2024", "2023-12-01", "2024-01-31", "month"),
    ("Aug–Sept 2021", "2021-08-01", "2021-09-30", "month"),
    ("Sept. 28 – Oct. 2, 2021", "2021-09-28", "2021-10-02", "day"),
]


@pytest.mark.parametrize(("text", "start", "end", "precision"), SINGLE_DATES + RANGES)
def test_parses(text: str, start: str, end: str, precision: str) -> None:
    span = parse_date_span(text)
    assert (span.start, span.end, span.precision) == (d(start), d(end), precision)
    assert span.text == text
    assert span.year_inferred is False


@pytest.mark.parametrize(("text", "month"), MONTH_SPELLINGS)
def test_month_spellings(text: str, month: int) -> None:
    span = parse_date_span(text)
    assert span.start == date(2021, month, 1)
    assert span.precision == "month"


@pytest.mark.parametrize(
    "text",
    [
        "  7 March 2024  ",
        "\t7 March 2024\n",
        "7\u00a0March\u00a02024",  # no-break spaces
        "7\u2009March\u202f2024",  # thin and narrow no-break spaces
        "7   March    2024",
        "\u00a07 March 2024\u00a0",
        "7 March 2024[1]",
        "7 March 2024 [1]",
        "7 March 2024[a]",
        "7 March 2024[12][b]",
        "7 March 2024[note 3]",
        "7 March 2024\u00a0[1]",
        "7\u200b March 2024",  # zero-width space
    ],
)
def test_whitespace_and_footnotes_are_tolerated(text: str) -> None:
    span = parse_date_span(text)
    assert (span.start, span.end, span.precision) == (d("2024-03-07"), d("2024-03-07"), "day")
    assert span.text == text.strip()


def test_whitespace_around_range_dash() -> None:
    span = parse_date_span("4\u00a0–\u00a014 March 2022")
    assert (span.start, span.end) == (d("2022-03-04"), d("2022-03-14"))


# --- default_year ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start", "end", "precision"),
    [
        ("12–14 Mar", "2024-03-12", "2024-03-14", "day"),
        ("16 September", "2024-09-16", "2024-09-16", "day"),
        ("September 16", "2024-09-16", "2024-09-16", "day"),
        ("March", "2024-03-01", "2024-03-31", "month"),
        ("February", "2024-02-01", "2024-02-29", "month"),
        ("March–April", "2024-03-01", "2024-04-30", "month"),
        ("March 4–14", "2024-03-04", "2024-03-14", "day"),
        ("16/9", "2024-09-16", "2024-09-16", "day"),
        ("1/2", "2024-02-01", "2024-02-01", "day"),  # day/month order, British style
        ("16/9–18/9", "2024-09-16", "2024-09-18", "day"),
        ("16–18/9", "2024-09-16", "2024-09-18", "day"),
        # default_year is the year of the end, so a later start month falls in the year before
        ("30 December – 3 January", "2023-12-30", "2024-01-03", "day"),
        ("30/12–2/1", "2023-12-30", "2024-01-02", "day"),
    ],
)
def test_default_year_fills_a_missing_year(text: str, start: str, end: str, precision: str) -> None:
    span = parse_date_span(text, default_year=2024)
    assert (span.start, span.end, span.precision) == (d(start), d(end), precision)
    assert span.year_inferred is True


@pytest.mark.parametrize(
    "text", ["7 March 2024", "2024", "4–14 March 2024", "March 4–14, 2024", "2024-03-07"]
)
def test_default_year_does_not_override_a_written_year(text: str) -> None:
    with_default = parse_date_span(text, default_year=1999)
    assert with_default == parse_date_span(text)
    assert with_default.year_inferred is False
    assert with_default.start.year == 2024


def test_default_year_counts_as_inferred_in_left_side_of_written_range() -> None:
    # the left side borrows the written year: nothing is inferred
    span = parse_date_span("30 December – 3 January 2025", default_year=1999)
    assert (span.start, span.end) == (d("2024-12-30"), d("2025-01-03"))
    assert span.year_inferred is False


@pytest.mark.parametrize("text", ["12–14 Mar", "16 September", "March", "March 4–14", "Sept."])
def test_missing_year_without_default_is_refused(text: str) -> None:
    with pytest.raises(DateParseError, match="year is missing") as info:
        parse_date_span(text)
    assert repr(text) in str(info.value)


def test_numeric_day_month_needs_default_year() -> None:
    with pytest.raises(DateParseError, match="year is missing.*default year"):
        parse_date_span("16/9")
    assert not looks_like_date("16/9")


@pytest.mark.parametrize("text", ["16/9 – 3 October 2024", "3 October – 16/10"])
def test_numeric_day_month_does_not_mix_with_written_dates(text: str) -> None:
    with pytest.raises(DateParseError, match="numeric day/month"):
        parse_date_span(text, default_year=2024)


def test_leap_day_with_default_year() -> None:
    assert parse_date_span("29 Feb", default_year=2024).start == d("2024-02-29")
    with pytest.raises(DateParseError, match="day is out of range for month"):
        parse_date_span("29 Feb", default_year=2023)
    with pytest.raises(DateParseError, match="day is out of range for month"):
        parse_date_span("29/2", default_year=2023)


# --- refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("\u00a0", "empty"),
        ("[1]", "empty"),
        ("abc", "'abc', which is not a month name"),
        ("Russia invades Ukraine", "'Russia', which is not a month name"),
        ("NSPM", "'NSPM', which is not a month name"),
        ("early March 2024", "'early'"),
        ("March 2024 (online)", "'online'"),
        ("mid-March 2024", "'mid'"),
        ("c. 2020", "'c'"),
        ("2022–present", "'present'"),
        ("Saturday, 7 March 2024", "'Saturday'"),
        ("7th March 2024", "'th'"),
        ("Marc 2024", "'Marc'"),
        ("7 März 2024", "'März'"),
        ("1000", "1800..2199"),
        ("1228", "1800..2199"),
        ("1799", "1800..2199"),
        ("2200", "1800..2199"),
        ("12", "without a month"),
        ("123", "bare number"),
        ("7.6%", "no accepted date form"),
        ("84,6%", "no accepted date form"),
        ("84.6%", "no accepted date form"),
        ("1,228", "no accepted date form"),
        ("31 February 2024", "day is out of range for month"),
        ("29 February 2023", "day is out of range for month"),
        ("0 March 2024", "day is out of range for month"),
        ("32 March 2024", "day is out of range for month"),
        ("31 April 2024", "day is out of range for month"),
        ("2024-02-30", "day is out of range for month"),
        ("2024-13-01", "month must be in 1..12"),
        ("14–4 March 2022", "start 2022-03-14 is after the end 2022-03-04"),
        ("14 March – 4 March 2022", "is after the end"),
        ("2007–2006", "start 2007-01-01 is after the end 2006-12-31"),
        ("5 January 2025 – 3 January 2025", "is after the end"),
        ("March 2024 – 15 March 2024", "does not come before"),
        ("03/04/2024", "day/month order"),
        ("3/4/24", "day/month order"),
        ("03.04.2024", "day/month order"),
        ("03-04-2024", "day/month order"),
        ("2024/03/04", "day/month order"),
        ("2024-03", "YYYY-MM"),
        ("2006-07", "shortened end year"),
        ("2006–07", "shortened end year"),
        ("March 2024–25", "month of the end '25' is unclear"),
        ("7 March 2024 – 9 March", "has no year while the start has one"),
        ("March 4, 2022 – 14", "month of the end '14' is unclear"),
        ("4–14", "month of the start '4' is unclear"),
        ("4 – March 14, 2022", "month of the start '4' is unclear"),
        ("March – 2024", "year of the start 'March' is unclear"),
        ("1000–1100", "no accepted date form"),
        ("7 March 2024 7 March 2024", "no accepted date form"),
        ("1–2–3 March 2024", "no accepted date form"),
        ("March/April 2023", "no accepted date form"),
        ("7 March, 2024", "no accepted date form"),
        ("June. 2024", "no accepted date form"),
        ("7March 2024", "no accepted date form"),
        ("2024 March 7", "no accepted date form"),
        ("0999-01-01", "no accepted date form"),
        ("to", "no accepted date form"),
        ("7 March 2024 [citation needed]", "'citation'"),
    ],
)
def test_refused(text: str, reason: str) -> None:
    with pytest.raises(DateParseError) as info:
        parse_date_span(text)
    message = str(info.value)
    assert message.startswith(f"{text.strip()!r} is not a date: ")
    assert reason in message
    assert looks_like_date(text) is False


@pytest.mark.parametrize("text", ["03/04/2024", "14–4 March 2022", "early March 2024", "1000"])
def test_default_year_does_not_rescue_refused_texts(text: str) -> None:
    with pytest.raises(DateParseError):
        parse_date_span(text, default_year=2024)


def test_impossible_numeric_day_month() -> None:
    with pytest.raises(DateParseError, match=r"'13/13' is not a date: month must be in 1\.\.12"):
        parse_date_span("13/13", default_year=2024)
    with pytest.raises(DateParseError, match="'13/13' is not a date"):
        parse_date_span("13/13")
    with pytest.raises(DateParseError, match="day is out of range"):
        parse_date_span("31/4", default_year=2024)
    with pytest.raises(DateParseError, match="day is out of range"):
        parse_date_span("0/4", default_year=2024)


def test_error_message_example_from_spec() -> None:
    with pytest.raises(DateParseError) as info:
        parse_date_span("31 February 2024")
    assert str(info.value) == "'31 February 2024' is not a date: day is out of range for month"


def test_error_message_quotes_stripped_text() -> None:
    with pytest.raises(DateParseError) as info:
        parse_date_span("  early March 2024 ")
    assert str(info.value).startswith("'early March 2024' is not a date: ")


def test_date_parse_error_is_a_value_error() -> None:
    assert issubclass(DateParseError, ValueError)
    with pytest.raises(ValueError):
        parse_date_span("abc")


# --- arguments ---------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [None, 2024, b"7 March 2024", ["7 March 2024"]])
def test_non_string_text_is_a_type_error(bad: object) -> None:
    with pytest.raises(TypeError):
        parse_date_span(bad)  # type: ignore[arg-type]
    assert looks_like_date(bad) is False  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["2024", 2024.0, True])
def test_default_year_must_be_an_int(bad: object) -> None:
    with pytest.raises(TypeError):
        parse_date_span("March", default_year=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [0, -1, 10000])
def test_default_year_must_be_a_representable_year(bad: int) -> None:
    with pytest.raises(ValueError, match="default_year"):
        parse_date_span("March", default_year=bad)


# --- looks_like_date ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7 March 2024", True),
        ("February 2024", True),
        ("2006-12-14", True),
        ("2007", True),
        ("4–14 March 2022", True),
        ("7 March 2024[1]", True),
        ("Dates conducted", False),
        ("NSPM", False),
        ("1000", False),
        ("1100", False),
        ("7.6%", False),
        ("", False),
        ("March", False),  # would need default_year
        ("16/9", False),
        ("31 February 2024", False),
    ],
)
def test_looks_like_date(text: str, expected: bool) -> None:
    assert looks_like_date(text) is expected


def test_looks_like_date_matches_parse_on_sample_cells() -> None:
    cells = ["7 March 2024", "Sweden acceedes to NATO", "", "February 2024", "NSPM", "1000"]
    cells += ["7.6%", "84.6%", "77%", "September 2007", "TNS Medium Gallup", "1228", "2006-12-14"]
    for cell in cells:
        try:
            parse_date_span(cell)
        except DateParseError:
            parsed = False
        else:
            parsed = True
        assert looks_like_date(cell) is parsed, cell


# --- the result object and the cache -----------------------------------------------------------


def test_date_span_is_frozen() -> None:
    span = parse_date_span("7 March 2024")
    with pytest.raises(dataclasses.FrozenInstanceError):
        span.start = date(2000, 1, 1)  # type: ignore[misc]


def test_date_span_default_year_inferred_is_false() -> None:
    span = DateSpan(start=d("2024-03-07"), end=d("2024-03-07"), precision="day", text="x")
    assert span.year_inferred is False


def test_repeated_calls_give_equal_results_and_fresh_errors() -> None:
    assert parse_date_span("4–14 March 2022") == parse_date_span("4–14 March 2022")
    errors = []
    for _ in range(2):
        with pytest.raises(DateParseError) as info:
            parse_date_span("abc")
        errors.append(info.value)
    assert errors[0] is not errors[1]
    assert str(errors[0]) == str(errors[1])


def test_cache_keeps_default_year_apart() -> None:
    assert parse_date_span("March", default_year=2023).end == d("2023-03-31")
    assert parse_date_span("March", default_year=2024).end == d("2024-03-31")
    with pytest.raises(DateParseError):
        parse_date_span("March")


def test_text_keeps_the_input_but_stripped() -> None:
    assert parse_date_span(" 30 Nov – 1 Dec 2023[a] ").text == "30 Nov – 1 Dec 2023[a]"


def test_every_day_of_a_leap_year_in_every_written_form() -> None:
    day = date(2024, 1, 1)
    while day.year == 2024:
        month = MONTHS[day.month - 1]
        for text in (
            f"{day.day} {month} 2024",
            f"{month} {day.day}, 2024",
            f"{day.day} {month[:3]}. 2024",
            day.isoformat(),
        ):
            span = parse_date_span(text)
            assert (span.start, span.end, span.precision) == (day, day, "day"), text
        day = date.fromordinal(day.toordinal() + 1)


@pytest.mark.parametrize("month", range(1, 13))
def test_month_spans_end_on_the_last_day(month: int) -> None:
    span = parse_date_span(f"{MONTHS[month - 1]} 2023")
    next_first = date(2024, 1, 1) if month == 12 else date(2023, month + 1, 1)
    assert span.start == date(2023, month, 1)
    assert span.end.toordinal() == next_first.toordinal() - 1
