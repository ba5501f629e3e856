"""Tests for flows.vocabulary: header labels to column roles and answer classes, null tokens."""

from __future__ import annotations

import pytest

from flows.vocabulary import (
    NULL_TOKENS,
    AnswerClass,
    Role,
    answer_class_of_label,
    is_null_token,
    normalize_label,
    role_of_label,
)

# --- normalize_label --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Date(s) conducted", "date s conducted"),
        ("Don't know", "don t know"),
        ("Don\u2019t know", "don t know"),
        ("  Sample   size ", "sample size"),
        ("Date(s)\nconducted", "date s conducted"),
        ("Margin of Error", "margin of error"),
        ("± error", "± error"),
        ("Neutral or", "neutral or"),
    ],
)
def test_normalize_label(label: str, expected: str) -> None:
    assert normalize_label(label) == expected


# --- role_of_label ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "role"),
    [
        ("Dates conducted", Role.DATE),
        ("Date(s) conducted", Role.DATE),
        ("Date(s)\nconducted", Role.DATE),
        ("Date conducted", Role.DATE),
        ("Date", Role.DATE),
        ("Dates", Role.DATE),
        ("Date(s)", Role.DATE),
        ("DATES CONDUCTED", Role.DATE),
        ("Fieldwork date", Role.DATE),
        ("Fieldwork dates", Role.DATE),
        ("Fieldwork", Role.DATE),
        ("Date of fieldwork", Role.DATE),
        ("Dates administered", Role.DATE),
        ("Date broadcast", Role.DATE),
        ("Pollster", Role.POLLSTER),
        ("Pollsters", Role.POLLSTER),
        ("Polling firm", Role.POLLSTER),
        ("Polling company", Role.POLLSTER),
        ("Polling organisation", Role.POLLSTER),
        ("Polling organization", Role.POLLSTER),
        ("Poll source", Role.POLLSTER),
        ("Conducted by", Role.POLLSTER),
        ("Client", Role.CLIENT),
        ("Clients", Role.CLIENT),
        ("Commissioned by", Role.CLIENT),
        ("Commissioner", Role.CLIENT),
        ("Sponsor", Role.CLIENT),
        ("Sample size", Role.SAMPLE_SIZE),
        ("Sample Size", Role.SAMPLE_SIZE),
        ("Sample", Role.SAMPLE_SIZE),
        ("N", Role.SAMPLE_SIZE),
        ("Respondents", Role.SAMPLE_SIZE),
        ("Lead", Role.LEAD),
        ("Net", Role.LEAD),
        ("Margin", Role.LEAD),
        ("Difference", Role.LEAD),
        ("Margin of error", Role.MARGIN_OF_ERROR),
        ("Margin of Error", Role.MARGIN_OF_ERROR),
        ("MoE", Role.MARGIN_OF_ERROR),
        ("Error margin", Role.MARGIN_OF_ERROR),
        ("± error", Role.MARGIN_OF_ERROR),
        ("Event", Role.EVENT),
        ("Events", Role.EVENT),
        ("Description", Role.EVENT),
    ],
)
def test_role_of_label(label: str, role: Role) -> None:
    assert role_of_label(label) is role


def test_margin_of_error_is_not_read_as_a_lead_margin() -> None:
    assert role_of_label("Margin of error") is Role.MARGIN_OF_ERROR
    assert role_of_label("Margin") is Role.LEAD


@pytest.mark.parametrize(
    "label",
    [
        "Support",
        "Opposed",
        "Neutral or",
        "SNS",
        "Labour",
        "Notes",
        "Myths",
        "Name",
        "",
        "Updated",
        "Datetime",
        "Pollsterx",
    ],
)
def test_labels_that_name_no_role(label: str) -> None:
    assert role_of_label(label) is None


# --- answer_class_of_label -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "answer_class"),
    [
        ("Support", AnswerClass.SUPPORT),
        ("SUPPORT", AnswerClass.SUPPORT),
        ("Supported", AnswerClass.SUPPORT),
        ("Support NATO membership", AnswerClass.SUPPORT),
        ("For", AnswerClass.SUPPORT),
        ("Yes", AnswerClass.SUPPORT),
        ("Yes (%)", AnswerClass.SUPPORT),
        ("Rejoin", AnswerClass.SUPPORT),
        ("Rejoin EU", AnswerClass.SUPPORT),
        ("Join", AnswerClass.SUPPORT),
        ("In favour", AnswerClass.SUPPORT),
        ("In favor", AnswerClass.SUPPORT),
        ("Approve", AnswerClass.SUPPORT),
        ("Opposed", AnswerClass.OPPOSE),
        ("Oppose", AnswerClass.OPPOSE),
        ("Oppose NATO membership", AnswerClass.OPPOSE),
        ("Against", AnswerClass.OPPOSE),
        ("No", AnswerClass.OPPOSE),
        ("No (%)", AnswerClass.OPPOSE),
        ("Stay out", AnswerClass.OPPOSE),
        ("Stay Out", AnswerClass.OPPOSE),
        ("Reject", AnswerClass.OPPOSE),
        ("Disapprove", AnswerClass.OPPOSE),
        ("Neutral", AnswerClass.NEUTRAL),
        ("Neutral or", AnswerClass.NEUTRAL),  # truncated "Neutral or undecided"
        ("Neutral or undecided", AnswerClass.NEUTRAL),
        ("Undecided", AnswerClass.NEUTRAL),
        ("Don't know", AnswerClass.NEUTRAL),
        ("Don\u2019t know", AnswerClass.NEUTRAL),
        ("Don't Know", AnswerClass.NEUTRAL),
        ("Don't know / refused", AnswerClass.NEUTRAL),
        ("DK", AnswerClass.NEUTRAL),
        ("Neither", AnswerClass.NEUTRAL),
        ("No opinion", AnswerClass.NEUTRAL),
        ("Not sure", AnswerClass.NEUTRAL),
        ("Unsure", AnswerClass.NEUTRAL),
        ("Can't say", AnswerClass.NEUTRAL),
        ("Undecided/Don't know", AnswerClass.NEUTRAL),
    ],
)
def test_answer_class_of_label(label: str, answer_class: AnswerClass) -> None:
    assert answer_class_of_label(label) is answer_class


@pytest.mark.parametrize("label", ["No opinion", "no opinion", "NO OPINION", "No opinion given"])
def test_no_opinion_is_neutral_not_oppose(label: str) -> None:
    assert answer_class_of_label(label) is AnswerClass.NEUTRAL
    assert answer_class_of_label(label) is not AnswerClass.OPPOSE


@pytest.mark.parametrize(
    "label",
    [
        "SNS",
        "Labour",
        "Conservative",
        "Serbian Progressive Party",
        "Others",
        "Other",
        "None",
        "Nobody",
        "Nope",
        "Nor",
        "Forward",
        "Fortune",
        "Yesterday",
        "Joint",
        "",
        "Lead",
        "Pollster",
    ],
)
def test_unknown_labels_have_no_answer_class(label: str) -> None:
    assert answer_class_of_label(label) is None


@pytest.mark.parametrize(
    "label",
    [
        "Dates conducted",
        "Date(s) conducted",
        "Fieldwork date",
        "Pollster",
        "Polling firm",
        "Client",
        "Commissioned by",
        "Sample size",
        "Lead",
        "Margin of error",
    ],
)
def test_role_labels_are_not_answers(label: str) -> None:
    assert role_of_label(label) is not None
    assert answer_class_of_label(label) is None


# --- null tokens ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "\t",
        "N/A",
        "n/a",
        "N/a",
        " n/a ",
        "NA",
        "na",
        "—",
        "—\u00a0",
        "–",
        "-",
        "?",
        "n.a.",
        "N.A.",
        "none",
        "None",
        "nil",
        "NIL",
    ],
)
def test_is_null_token(text: str) -> None:
    assert is_null_token(text)


@pytest.mark.parametrize(
    "text", ["0", "0%", "x", "Tie", "TBD", "Unknown", "N / A", "NSPM", "7.6%", "n/a n/a", "--"]
)
def test_is_not_null_token(text: str) -> None:
    assert not is_null_token(text)


@pytest.mark.parametrize("token", sorted(NULL_TOKENS))
def test_every_null_token_is_one(token: str) -> None:
    assert is_null_token(token)
    assert is_null_token(token.upper())
    assert is_null_token(f"  {token}  ")
