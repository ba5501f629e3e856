"""The words wikipoll reads tables by: header synonyms, answer classes and null tokens.

This is the explicit synonyms table the README documents. A header label is normalized (lower
case, punctuation to spaces) and matched against these patterns in order; the first match wins.
Answer labels that match no answer class still become answers (a party, a candidate) when their
column holds percentages; they only do not fill `polls.support/oppose/neutral`.
"""

from __future__ import annotations

import functools
import re
from enum import StrEnum

# Spelled out rather than taken from calendar.month_name, which follows the process locale.
MONTH_NAMES: tuple[str, ...] = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)


class Role(StrEnum):
    DATE = "date"
    POLLSTER = "pollster"
    CLIENT = "client"
    SAMPLE_SIZE = "sample_size"
    MARGIN_OF_ERROR = "margin_of_error"
    LEAD = "lead"
    EVENT = "event"
    ANSWER = "answer"
    OPTION = "option"  # a match-up table's cell naming the answer beside it
    # What the cells hold where the label names no role; used by the table's kind, not loaded.
    NAME = "name"  # short texts
    PROSE = "prose"  # descriptions
    NUMBER = "number"  # numbers 0-100 without "%"
    COUNT = "count"  # whole numbers
    OTHER = "other"


class AnswerClass(StrEnum):
    SUPPORT = "support"
    OPPOSE = "oppose"
    NEUTRAL = "neutral"  # not a substantive answer: left out of the lead check


# Order matters: "Margin of error" before "Lead"/"Margin", "No opinion" (neutral) before "No".
ROLE_PATTERNS: list[tuple[Role, str]] = [
    (Role.MARGIN_OF_ERROR, r"^(margin of error|moe|error margin|±)"),
    (Role.SAMPLE_SIZE, r"^(sample( size)?|n|size|respondents|number polled)$"),
    (Role.POLLSTER, r"^(pollster|poll(ing)? (firm|company|organi[sz]ation|agency|source)|"
                    r"conducted by|firm|source)s?( (client|commissioner|sponsor)s?)?$"),
    (Role.CLIENT, r"^(client|commissioned( by)?|commissioner|sponsor|media partner)s?$"),
    (Role.DATE, r"^(dates?( s)?( conducted| administered| of fieldwork| broadcast)?|"
                r"fieldwork( dates?)?|conducted|date s conducted|when|period)$"),
    (Role.LEAD, r"^(lead|net|margin|difference)( pp| points?| pts?)?$"),
    # What happened: "Event", "Description", or a kind of event named in the header ("Battle").
    (Role.EVENT, r"^(events?|description|details|what happened|incidents?|happenings?|"
                 r"occurrences?|milestones?|battles?|engagements?|sieges?|offensives?|"
                 r"operations?|attacks?|accidents?|disasters?)\b"),
]  # fmt: skip

# A date column labelled as when something was published or last updated, not when it happened.
PUBLICATION_DATE_PATTERN = r"\b(publi(shed|cation)|released?|as of|updated|retrieved|accessed)\b"
# Columns that only a results table has: votes or seats won.
RESULT_PATTERN = r"^(votes?|seats?|popular vote|won|elected)\b"
# The name cell of a results row among polls: "2019 election", "Election results".
ELECTION_PATTERN = r"\b(elections?|results?|referendum|by-elections?)\b"

ANSWER_PATTERNS: list[tuple[AnswerClass, str]] = [
    (AnswerClass.NEUTRAL, r"^(neutral|undecided|don t know|dk|neither|unsure|no opinion|"
                          r"not sure|indifferent|can t say)\b"),
    (AnswerClass.SUPPORT, r"^(support|supported|for|yes|in favou?r|favou?r|approve|rejoin|join)\b"),
    (AnswerClass.OPPOSE, r"^(oppose|opposed|against|no|disapprove|reject|stay out)\b"),
]  # fmt: skip

# An answer column that catches everyone else (a neutral answer, "Other", "None", "Refused"): a
# table with one lists every answer, so its shares should sum to about 100. A table of Yes/No
# only, or of parties with no "Other" column, may leave answers out.
CATCH_ALL_PATTERN = r"^(others?|other parties|none|refused|no answer|would not vote)\b"

# Cell texts that mean "no value". Compared after normalizing case and spaces.
NULL_TOKENS = frozenset({"", "n/a", "na", "—", "–", "-", "\u2212", "?", "n.a.", "none", "nil"})

TIE_TOKENS = frozenset({"tie", "tied", "even"})

_COMPILED_ROLES = [(role, re.compile(pattern)) for role, pattern in ROLE_PATTERNS]
_COMPILED_ANSWERS = [(cls, re.compile(pattern)) for cls, pattern in ANSWER_PATTERNS]
_NOT_WORD = re.compile(r"[^\w±]+")
_FOOTNOTE_MARK = re.compile(r"\[\w{1,3}\]")


def normalize_label(label: str) -> str:
    """Lower case, no punctuation or footnote marks: 'Date(s)[1]' -> 'date s'."""
    return _NOT_WORD.sub(" ", _FOOTNOTE_MARK.sub("", label).lower()).strip()


def role_of_label(label: str) -> Role | None:
    """The column role a header label names, or None when it names no known role."""
    normalized = normalize_label(label)
    for role, pattern in _COMPILED_ROLES:
        if pattern.search(normalized):
            return role
    return None


def answer_class_of_label(label: str) -> AnswerClass | None:
    normalized = normalize_label(label)
    for answer_class, pattern in _COMPILED_ANSWERS:
        if pattern.search(normalized):
            return answer_class
    return None


_COMPILED_CATCH_ALL = re.compile(CATCH_ALL_PATTERN)
_COMPILED_PUBLICATION = re.compile(PUBLICATION_DATE_PATTERN)
_COMPILED_RESULT = re.compile(RESULT_PATTERN)
_COMPILED_ELECTION = re.compile(ELECTION_PATTERN)


def is_publication_date_label(label: str) -> bool:
    return _COMPILED_PUBLICATION.search(normalize_label(label)) is not None


def is_result_label(label: str) -> bool:
    return _COMPILED_RESULT.search(normalize_label(label)) is not None


@functools.lru_cache(maxsize=4096)  # asked for every row, of a table's few pollsters
def names_an_election(text: str) -> bool:
    """Whether a pollster cell names an election or its result instead of a pollster."""
    return _COMPILED_ELECTION.search(normalize_label(text)) is not None


@functools.lru_cache(maxsize=4096)  # asked for every row of a table, of its few labels
def is_catch_all_answer(label: str) -> bool:
    """Whether an answer column takes every respondent the other answers do not."""
    return (
        answer_class_of_label(label) is AnswerClass.NEUTRAL
        or _COMPILED_CATCH_ALL.search(normalize_label(label)) is not None
    )


# Words a table writes where it has no figure: "not asked", "not polled", "not included".
NO_FIGURE_PATTERN = (
    r"^(not|never) (asked|polled|included|listed|offered|named|tested|given|available|"
    r"applicable|running|standing|a candidate)$"
)
_COMPILED_NO_FIGURE = re.compile(NO_FIGURE_PATTERN)


def is_null_token(text: str) -> bool:
    normalized = " ".join(text.split()).lower()
    if normalized in NULL_TOKENS:
        return True
    return normalized[:1] == "n" and _COMPILED_NO_FIGURE.match(normalized) is not None
