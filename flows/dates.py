"""Read the date texts of Wikipedia poll tables and timelines into exact date spans.

A cell such as "4–14 March 2022", "30 December – 3 January 2025", "February 2024" or "2006-12-14"
becomes a `DateSpan`: the first and last day it can mean and how precise it is. The parser refuses
rather than guesses: extra words ("early March 2024"), numbers that are not plausibly years
("1000", which is usually a sample size), numeric dates whose day/month order is unknown
("03/04/2024"), impossible days and backwards ranges all raise `DateParseError`. Only the standard
library is used, so every stage can call it once per table row.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Literal

__all__ = [
    "MONTH_NAMES",
    "DateParseError",
    "DatePrecision",
    "DateSpan",
    "looks_like_date",
    "parse_date_span",
]

DatePrecision = Literal["day", "month", "year"]

# A bare four-digit number is read as a year only in this window: poll tables put sample sizes
# such as "1000" or "1228" next to their dates, and those must not become years.
BARE_YEAR_MIN = 1800
BARE_YEAR_MAX = 2199

_PRECISION_RANK: dict[str, int] = {"day": 0, "month": 1, "year": 2}

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
# Every spelling of a month we accept, without its optional dot: full names, 3-letter
# abbreviations and "sept".
_MONTH_WORDS: dict[str, int] = {
    **{name: number for number, name in enumerate(MONTH_NAMES, start=1)},
    **{name[:3]: number for number, name in enumerate(MONTH_NAMES, start=1)},
    "sept": 9,
}
_CONNECTIVE_WORDS = frozenset({"to"})

# Full names take no dot; abbreviations ("Mar", "Sept") may have one.
_MONTH = "(?:{})".format(
    "|".join(
        word if word in MONTH_NAMES and len(word) > 3 else word + r"\.?"
        for word in sorted(_MONTH_WORDS, key=len, reverse=True)
    )
)
_DAY = r"(?P<d>\d{1,2})"
_YEAR = r"(?P<y>[1-9]\d{3})"

# One side of a range (or the whole text), tried in this order with fullmatch on text whose
# whitespace is already collapsed to single spaces.
_SIDE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE))
    for kind, pattern in (
        ("iso", r"(?P<y>[1-9]\d{3})-(?P<m>\d{2})-(?P<d>\d{2})"),
        ("dmy", rf"{_DAY} (?P<mn>{_MONTH})(?: {_YEAR})?"),
        ("mdy", rf"(?P<mn>{_MONTH}) {_DAY}(?:(?:, ?| ){_YEAR})?"),
        ("my", rf"(?P<mn>{_MONTH})(?: {_YEAR})?"),
        ("y", _YEAR),
        ("dm_numeric", r"(?P<d>\d{1,2})/(?P<m>\d{1,2})"),
        ("day", rf"{_DAY}(?:(?:, ?| ){_YEAR})?"),
    )
)

# Range separators: hyphen-like dashes (hyphen, Unicode hyphens, figure/en/em dash, minus), with or
# without spaces, or the word "to".
_SEPARATOR = re.compile(r" ?[-\u2010\u2011\u2012\u2013\u2014\u2212] ?| to ", re.IGNORECASE)
# Trailing footnote markers: "[1]", "[a]", "[note 3]", "[lower-alpha 2]", possibly several.
_FOOTNOTES = re.compile(
    r"(?: ?\[(?:\d{1,3}|[a-z]{1,2}|[a-z][a-z -]{0,20} \d{1,3})\])+$", re.IGNORECASE
)
# Characters that are invisible in a rendered table and carry no meaning.
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
_WORD = re.compile(r"[^\W\d_]+")
# Numeric dates other than ISO YYYY-MM-DD: "03/04/2024", "3.4.24", "2024/03/04", "03-04-2024".
_NUMERIC_TRIPLE = re.compile(
    r"(?<![\d/.-])(?:\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}[/.]\d{1,2}[/.]\d{1,2})(?![\d/.-])"
)
# "2006-07" / "2006–07": ISO year-month or a season with a shortened end year; refuse both.
_YEAR_THEN_TWO_DIGITS = re.compile(r"\d{4} ?[-\u2010\u2011\u2012\u2013\u2014\u2212] ?\d{2}")
_ALL_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class DateSpan:
    """The days a date text can mean: `start`..`end` inclusive, at the coarsest precision."""

    start: date  # first day the text can mean
    end: date  # last day the text can mean
    precision: DatePrecision  # the coarsest precision of the two ends
    text: str  # the input text, stripped
    year_inferred: bool = False  # True when the year came from default_year, not from the text


class DateParseError(ValueError):
    """A text that is not a date we can read without guessing; the message says which and why."""


class _Refusal(Exception):
    """Internal: carries the reason a text is refused, so the cache can store the reason."""


@dataclass(frozen=True)
class _Side:
    """One side of a range as written: whichever of day, month and year the text gives."""

    kind: str
    text: str
    day: int | None
    month: int | None
    year: int | None


@dataclass(frozen=True)
class _Resolved:
    """A side with its year filled in, as an inclusive span."""

    start: date
    end: date
    precision: DatePrecision


def parse_date_span(text: str, default_year: int | None = None) -> DateSpan:
    """Read `text` as a date or date range; raise DateParseError instead of guessing.

    `default_year` is used only for texts that name no year at all ("12–14 Mar", "16/9"); it is
    the year of the end of a range, as a year written at the end would be.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be str, not {type(text).__name__}")
    if default_year is not None:
        if isinstance(default_year, bool) or not isinstance(default_year, int):
            raise TypeError(f"default_year must be int or None, not {type(default_year).__name__}")
        if not date.min.year <= default_year <= date.max.year:
            raise ValueError(
                f"default_year {default_year} is outside {date.min.year}..{date.max.year}"
            )
    # The default year only fills a missing year, so a text that reads without one reads the
    # same with any: one cached parse then serves every default year it is asked with.
    result = _parse_cached(text, None)
    if isinstance(result, str) and default_year is not None:
        result = _parse_cached(text, default_year)
    if isinstance(result, str):
        raise DateParseError(f"{text.strip()!r} is not a date: {result}")
    return result


# Any year will do to ask whether a text without one is a date; 2000 is a leap year, so "29 Feb"
# is one too.
_ANY_YEAR = 2000


def looks_like_date(text: str, year_may_be_missing: bool = False) -> bool:
    """True when `parse_date_span(text)` would succeed (given a default year, when the year may
    be missing, as in a table whose heading names the year); never raises."""
    try:
        parse_date_span(text, default_year=_ANY_YEAR if year_may_be_missing else None)
    except (ValueError, TypeError):
        return False
    return True


@lru_cache(maxsize=65_536)
def _parse_cached(text: str, default_year: int | None) -> DateSpan | str:
    """The parse, cached: a (frozen) DateSpan, or the reason the text is refused.

    Reasons are cached rather than exceptions so that every caller gets a fresh exception.
    """
    try:
        return _parse(text, default_year)
    except _Refusal as refusal:
        return str(refusal)


def _normalize(text: str) -> str:
    """Collapse all whitespace (including no-break and thin spaces) and drop footnote markers."""
    collapsed = " ".join(_INVISIBLE.sub("", text).split())
    return _FOOTNOTES.sub("", collapsed).strip()


def _parse(text: str, default_year: int | None) -> DateSpan:
    norm = _normalize(text)
    if not norm:
        raise _Refusal("the text is empty")
    for word in _WORD.findall(norm):
        if word.lower() not in _MONTH_WORDS and word.lower() not in _CONNECTIVE_WORDS:
            raise _Refusal(f"it contains the word {word!r}, which is not a month name")
    if _NUMERIC_TRIPLE.search(norm):
        raise _Refusal(
            "the day/month order of a numeric date is unknown; only ISO YYYY-MM-DD is accepted"
        )
    if _YEAR_THEN_TWO_DIGITS.fullmatch(norm):
        raise _Refusal(
            "two digits after a year could be a month (YYYY-MM) or a shortened end year; "
            "write the full date or both years"
        )

    single = _read_side(norm)
    if single is not None:
        resolved, inferred = _resolve_single(single, default_year)
        return _span(resolved, resolved, text, inferred)

    splits = []
    for sep in _SEPARATOR.finditer(norm):
        left = _read_side(norm[: sep.start()])
        right = _read_side(norm[sep.end() :])
        if left is not None and right is not None:
            splits.append((left, right))
    if len(splits) > 1:
        raise _Refusal("it can be split into a range in more than one way")
    if splits:
        left, right = splits[0]
        return _resolve_range(left, right, default_year, text)

    if _ALL_DIGITS.fullmatch(norm):
        if len(norm) == 4:
            raise _Refusal(
                f"a bare number is read as a year only in {BARE_YEAR_MIN}..{BARE_YEAR_MAX} "
                "(it may be a count)"
            )
        raise _Refusal("a bare number is not a date")
    raise _Refusal("it matches no accepted date form")


def _read_side(part: str) -> _Side | None:
    """Match one side against the accepted forms; None when it fits none."""
    for kind, pattern in _SIDE_PATTERNS:
        m = pattern.fullmatch(part)
        if m is None:
            continue
        groups = m.groupdict()
        year = int(groups["y"]) if groups.get("y") else None
        if kind == "y" and year is not None and not BARE_YEAR_MIN <= year <= BARE_YEAR_MAX:
            return None
        if groups.get("mn"):
            month: int | None = _MONTH_WORDS[groups["mn"].lower().rstrip(".")]
        elif groups.get("m"):
            month = int(groups["m"])
        else:
            month = None
        day = int(groups["d"]) if groups.get("d") else None
        return _Side(kind=kind, text=part, day=day, month=month, year=year)
    return None


def _resolve_single(side: _Side, default_year: int | None) -> tuple[_Resolved, bool]:
    """A text that is one date: fill a missing year from default_year, or refuse."""
    if side.kind == "day":
        raise _Refusal("a day number without a month is not a date")
    if side.year is not None:
        return _resolve(side, side.year), False
    return _resolve(side, _default_year(side, default_year)), True


def _default_year(side: _Side, default_year: int | None) -> int:
    if default_year is None:
        if side.kind == "dm_numeric":
            raise _Refusal(
                "the year is missing (a numeric day/month is read only with a default year)"
            )
        raise _Refusal("the year is missing and no default year was given")
    return default_year


def _resolve_range(left: _Side, right: _Side, default_year: int | None, text: str) -> DateSpan:
    """Join two sides, lending the right side's month and year to a left side that lacks them."""
    # "4–14 March 2022": the left side is a bare day and takes the right side's month.
    if left.kind == "day":
        if left.year is not None or right.kind not in ("dmy", "dm_numeric"):
            raise _Refusal(f"the month of the start {left.text!r} is unclear")
        left = _Side(right.kind, left.text, left.day, right.month, None)
    # "March 4–14, 2022": the right side is a bare day (maybe with the year) and takes the
    # left side's month; the year then belongs to the whole range.
    if right.kind == "day":
        if left.kind != "mdy" or left.year is not None:
            raise _Refusal(f"the month of the end {right.text!r} is unclear")
        right = _Side("mdy", right.text, right.day, left.month, right.year)

    # A numeric day/month is read only with default_year, so it never borrows a written year.
    if (left.kind == "dm_numeric") != (right.kind == "dm_numeric"):
        raise _Refusal("a numeric day/month cannot be joined to a date with a month name or year")

    inferred = False
    if right.year is None:
        if left.year is not None:
            raise _Refusal(f"the end {right.text!r} has no year while the start has one")
        right_year = _default_year(right, default_year)
        inferred = True
    else:
        right_year = right.year

    if left.year is not None:
        left_year = left.year
    else:
        if left.month is None or right.month is None:
            raise _Refusal(f"the year of the start {left.text!r} is unclear")
        # "30 December – 3 January 2025": a start month later than the end month is in the
        # year before.
        left_year = right_year - 1 if left.month > right.month else right_year

    start = _resolve(left, left_year)
    end = _resolve(right, right_year)
    if start.start > end.end:
        raise _Refusal(f"the start {start.start} is after the end {end.end}")
    if start.start > end.start or start.end > end.end:
        raise _Refusal(f"the start {left.text!r} does not come before the end {right.text!r}")
    return _span(start, end, text, inferred)


# The dates the warehouse can hold: pandas keeps dates as nanoseconds since 1970, which reach
# from 1677-09-22 to 2262-04-11; whole years inside that span are accepted.
MIN_YEAR, MAX_YEAR = 1678, 2261


def _resolve(side: _Side, year: int) -> _Resolved:
    """The days one side means once its year is known; impossible dates are refused."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise _Refusal(
            f"the year {year} is outside the years wikipoll stores ({MIN_YEAR}–{MAX_YEAR})"
        )
    try:
        if side.month is None:
            return _Resolved(date(year, 1, 1), date(year, 12, 31), "year")
        if side.day is None:
            first = date(year, side.month, 1)
            last = calendar.monthrange(year, side.month)[1]
            return _Resolved(first, first.replace(day=last), "month")
        day = date(year, side.month, side.day)
    except ValueError as exc:  # day/month/year out of range, reported in datetime's words
        raise _Refusal(str(exc)) from None
    return _Resolved(day, day, "day")


def _span(start: _Resolved, end: _Resolved, text: str, inferred: bool) -> DateSpan:
    precision = max(start.precision, end.precision, key=_PRECISION_RANK.__getitem__)
    return DateSpan(
        start=start.start,
        end=end.end,
        precision=precision,
        text=text.strip(),
        year_inferred=inferred,
    )
