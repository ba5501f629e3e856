"""Tests for flows.shape.values: a cell's loose shape, and its strict reading as a share, count or lead."""

from __future__ import annotations

import pytest

from flows.read.markup import render_cell
from flows.shape.values import (
    CellKind,
    ValueParseError,
    cell_kind,
    is_whole_number,
    number_value,
    parse_count,
    parse_lead,
    parse_margin_of_error,
    parse_sample,
    parse_share,
    parse_share_bound,
    share_decimals,
)

NULL_TEXTS = [
    "",
    " ",
    "N/A",
    "n/a",
    "N/a",
    " n/a ",
    "NA",
    "—",
    "–",
    "-",
    "?",
    "n.a.",
    "none",
    "nil",
]
PARSERS = [parse_share, parse_count, parse_lead, parse_margin_of_error]


# --- null tokens ----------------------------------------------------------------------------------


@pytest.mark.parametrize("parse", PARSERS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("text", NULL_TEXTS)
def test_null_tokens_read_as_none(parse, text: str) -> None:
    assert parse(text) is None


@pytest.mark.parametrize("text", NULL_TEXTS)
def test_null_tokens_are_empty_cells(text: str) -> None:
    assert cell_kind(text) is CellKind.EMPTY


# --- parse_share --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7.6%", 7.6),
        ("6%", 6.0),
        ("84.6%", 84.6),
        ("84.6", 84.6),
        ("84.6 %", 84.6),
        (" 7.6% ", 7.6),
        ("0%", 0.0),
        ("0", 0.0),
        ("05%", 5.0),
        ("100%", 100.0),
        ("100.0%", 100.0),
        ("33.333%", 33.333),
    ],
)
def test_parse_share(text: str, expected: float) -> None:
    value = parse_share(text)
    assert value == expected
    assert isinstance(value, float)


@pytest.mark.parametrize("text", ["84,6%", "84,6", "7,5 %", "1,228"])
def test_parse_share_with_a_decimal_comma_says_use_a_decimal_point(text: str) -> None:
    with pytest.raises(ValueParseError) as error:
        parse_share(text)
    assert repr(text) in str(error.value)
    assert "decimal point" in str(error.value)


@pytest.mark.parametrize(
    "text",
    ["abc", "7.%", ".5%", "1e3", "7.6%[1]", "about 7%", "7-8%", "±3%", "+5%", "Tie", "1000%"],
)
def test_parse_share_refuses_what_is_not_a_percentage(text: str) -> None:
    with pytest.raises(ValueParseError, match="is not a percentage") as error:
        parse_share(text)
    assert repr(text) in str(error.value)
    assert "decimal point" not in str(error.value)


@pytest.mark.parametrize(("text", "expected"), [("101%", 101.0), ("150%", 150.0), ("999%", 999.0)])
def test_parse_share_over_100_is_read_not_clipped(text: str, expected: float) -> None:
    # "Nothing is rounded, guessed or clipped": the warehouse check "a share is outside 0–100"
    # is what flags such a value, so the parser hands it on as written.
    assert parse_share(text) == expected


@pytest.mark.parametrize("text", ["-5%", "\u22125%", "- 5%", "-0.5", "\u22120.5"])
def test_parse_share_refuses_negative_shares(text: str) -> None:
    with pytest.raises(ValueParseError, match="is not a percentage"):
        parse_share(text)


# --- parse_count -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,228", 1228),
        ("1228", 1228),
        ("1000", 1000),
        ("1,000", 1000),
        ("12,345,678", 12345678),
        (" 1,204 ", 1204),
        ("0", 0),
        ("1\u00a0228", 1228),
        ("12\u00a0345\u00a0678", 12345678),
        ("1\u2009228", 1228),
    ],
)
def test_parse_count(text: str, expected: int) -> None:
    value = parse_count(text)
    assert value == expected
    assert isinstance(value, int)


@pytest.mark.parametrize(
    "text",
    [
        "abc",
        "1,22",
        "1,2345",
        ",228",
        "1228.0",
        "1.5",
        "-3",
        "\u22123",
        "+5",
        "7.6%",
        "1e3",
        "~1000",
    ],
)
def test_parse_count_refuses_what_is_not_a_whole_number(text: str) -> None:
    with pytest.raises(ValueParseError, match="is not a whole number") as error:
        parse_count(text)
    assert repr(text) in str(error.value)


@pytest.mark.parametrize("source", ["1\u00a0228", "1&nbsp;228", "1\u2009228", "1&thinsp;228"])
def test_a_count_grouped_with_no_break_spaces_survives_render_cell(source: str) -> None:
    assert parse_count(render_cell(source).text) == 1228


# --- parse_lead ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("77%", 77.0),
        ("76.7%", 76.7),
        ("72", 72.0),
        ("+5", 5.0),
        ("+ 5", 5.0),
        ("5 pts", 5.0),
        ("5 pt", 5.0),
        ("5 points", 5.0),
        ("0%", 0.0),
        ("Tie", 0.0),
        ("tie", 0.0),
        ("TIED", 0.0),
        ("Even", 0.0),
    ],
)
def test_parse_lead(text: str, expected: float) -> None:
    assert parse_lead(text) == expected


@pytest.mark.parametrize("text", ["abc", "84,6%", "-5", "\u22125", "-5%", "1000", "Labour +5"])
def test_parse_lead_refuses_what_is_not_a_lead(text: str) -> None:
    with pytest.raises(ValueParseError, match="is not a lead in points") as error:
        parse_lead(text)
    assert repr(text) in str(error.value)


# --- parse_margin_of_error ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("± 3.4%", 3.4),
        ("±3.4%", 3.4),
        ("± 10%", 10.0),
        ("+/- 3%", 3.0),
        ("+-2.5", 2.5),
        ("3%", 3.0),
        ("3", 3.0),
        ("2.83 %", 2.83),
    ],
)
def test_parse_margin_of_error(text: str, expected: float) -> None:
    assert parse_margin_of_error(text) == expected


@pytest.mark.parametrize("text", ["abc", "±", "± 100%", "±3,4%", "- 3%", "3.4% (95%)"])
def test_parse_margin_of_error_refuses_what_is_not_a_margin(text: str) -> None:
    with pytest.raises(ValueParseError, match="is not a margin of error") as error:
        parse_margin_of_error(text)
    assert repr(text) in str(error.value)


def test_value_parse_error_is_a_value_error() -> None:
    assert issubclass(ValueParseError, ValueError)


# --- cell_kind ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("7.6%", CellKind.PERCENT),
        ("6%", CellKind.PERCENT),
        ("84.6 %", CellKind.PERCENT),
        ("84,6%", CellKind.PERCENT),  # loose on purpose: parse_share then says what is wrong
        ("± 3.4%", CellKind.MARGIN),
        ("+/- 3", CellKind.MARGIN),
        ("<1%", CellKind.BOUND),
        ("< 0.5", CellKind.BOUND),
        ("1,005 LV", CellKind.SAMPLE),
        ("600 RV", CellKind.SAMPLE),
        ("2,000 A", CellKind.SAMPLE),
        ("917 (RV)", CellKind.SAMPLE),
        ("500 XY", CellKind.TEXT),  # not a population poll tables write
        ("+5%", CellKind.PERCENT),
        ("-5%", CellKind.PERCENT),
        ("\u22125%", CellKind.PERCENT),
        ("150%", CellKind.PERCENT),
        ("1228", CellKind.NUMBER),
        ("1,228", CellKind.NUMBER),
        ("1\u00a0228", CellKind.NUMBER),
        ("1\u2009228", CellKind.NUMBER),
        ("1 228", CellKind.NUMBER),
        ("84.6", CellKind.NUMBER),
        ("+5", CellKind.NUMBER),
        ("-3", CellKind.NUMBER),
        ("\u22123", CellKind.NUMBER),
        ("0", CellKind.NUMBER),
        ("", CellKind.EMPTY),
        ("N/A", CellKind.EMPTY),
        ("—", CellKind.EMPTY),
        ("Tie", CellKind.TIE),
        ("tied", CellKind.TIE),
        ("Even", CellKind.TIE),
        ("2006-12-14", CellKind.TEXT),
        ("7 March 2024", CellKind.TEXT),
        ("February 2024", CellKind.TEXT),
        ("NSPM", CellKind.TEXT),
        ("Institute for European Affairs", CellKind.TEXT),
        ("Russia invades Ukraine", CellKind.TEXT),
        ("abc", CellKind.TEXT),
        ("1e3", CellKind.TEXT),
        (".5%", CellKind.TEXT),
        ("7.6%[1]", CellKind.TEXT),
        ("5 pts", CellKind.TEXT),
    ],
)
def test_cell_kind(text: str, kind: CellKind) -> None:
    assert cell_kind(text) is kind


@pytest.mark.parametrize("text", ["7.6%", "6%", "84.6%", "0%", "100%"])
def test_every_readable_share_looks_like_a_percentage(text: str) -> None:
    assert cell_kind(text) is CellKind.PERCENT
    assert parse_share(text) is not None


@pytest.mark.parametrize("text", ["1,228", "1228", "1000", "12,345,678"])
def test_every_readable_count_looks_like_a_number(text: str) -> None:
    assert cell_kind(text) is CellKind.NUMBER
    assert is_whole_number(text)
    assert parse_count(text) is not None


@pytest.mark.parametrize("parse", PARSERS, ids=lambda f: f.__name__)
def test_a_lone_unicode_minus_is_empty_for_cell_kind_and_the_parsers_alike(parse) -> None:
    assert cell_kind("\u2212") is CellKind.EMPTY
    assert parse("\u2212") is None


# --- helpers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,228", True),
        ("1228", True),
        (" 1000 ", True),
        ("1,22", False),
        ("7.6", False),
        ("", False),
    ],
)
def test_is_whole_number(text: str, expected: bool) -> None:
    assert is_whole_number(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("84.6", 84.6),
        ("84.6%", 84.6),
        ("1,228", 1228.0),
        ("-5", -5.0),
        ("\u22125", -5.0),
        ("\u22125%", -5.0),
        ("abc", None),
        ("", None),
        ("± 3.4%", None),
    ],
)
def test_number_value(text: str, expected: float | None) -> None:
    assert number_value(text) == expected


# --- sample sizes with a population, shares below a bound, printed decimals ---------------------
# Cells from the dev set's real poll tables (pizza_to_the_polls, Florida and Georgia 2018).


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("595 LV", (595, "likely voters")),
        ("917 RV", (917, "registered voters")),
        ("1,005 LV", (1005, "likely voters")),
        ("2,000 A", (2000, "adults")),
        ("917 (RV)", (917, "registered voters")),
        ("1,484", (1484, None)),
        ("–", (None, None)),
    ],
)
def test_parse_sample_reads_the_count_and_its_population(text, expected) -> None:
    assert parse_sample(text) == expected


@pytest.mark.parametrize("text", ["500 XY", "LV", "about 500", "1,5 LV"])
def test_parse_sample_refuses_what_is_not_a_sample(text) -> None:
    with pytest.raises(ValueParseError):
        parse_sample(text)


@pytest.mark.parametrize(
    ("text", "bound"), [("<1%", 1.0), ("<0.5%", 0.5), ("< 5 %", 5.0), ("≤1%", 1.0), ("45%", None)]
)
def test_parse_share_bound(text, bound) -> None:
    assert parse_share_bound(text) == bound


@pytest.mark.parametrize("text", ["<abc", "<1,5%", "<"])
def test_parse_share_bound_refuses_a_bound_that_is_not_a_share(text) -> None:
    with pytest.raises(ValueParseError):
        parse_share_bound(text)


@pytest.mark.parametrize(("text", "decimals"), [("23%", 0), ("7.5%", 1), ("7.50 %", 2), ("45", 0)])
def test_share_decimals(text, decimals) -> None:
    assert share_decimals(text) == decimals
