"""Read the date texts of Wikipedia poll tables and timelines into exact date spans.

A cell such as "4–14 March 2022", "Mar 14–16, 2008", "30 December – 3 January 2025", "February
2024" or "2006-12-14" becomes a `DateSpan`: the first and last day it can mean and how precise it
is. Read are day-first and month-first dates, and ranges of them joined by a dash or "to"
("September 26 to November 11, 1918", "28 April–May 3", "August to September, 1950"); lists of
days within one month ("May 1–2 & 5–6, 1930", "1, 3 and 5 May 2019"), read as their first to last
day; punctuation that cannot change the meaning ("January 26. 1944", "May 5,2018", a trailing dot
or comma); any year 1000..9999 written with a month ("14 October 1066"); and numeric dates
("14.03.2024", "03/14/2024", "2024/3/14", "24.05.19") once the caller knows the column's order
(`numeric_order`, which `numeric_order_of` works out from the whole column).

The parser refuses rather than guesses, raising `DateParseError` with the reason: extra words
("early March 2024"), numbers that are not plausibly years ("1000", which is usually a sample
size; a bare number is a year only in BARE_YEAR_MIN..BARE_YEAR_MAX), years of fewer than four
digits after a month ("7 March 24" is more often a shortened year than the year 24), numeric dates
whose day/month order is not given ("03/04/2024"), lists out of order, impossible days and
backwards ranges. Only the standard library is used, so every stage can call it once per table row.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Literal

from flows.vocabulary import MONTH_NAMES

__all__ = [
    "MONTH_NAMES",
    "DateParseError",
    "DatePrecision",
    "DateSpan",
    "NumericOrder",
    "looks_like_date",
    "numeric_order_of",
    "parse_date_span",
]

DatePrecision = Literal["day", "month", "year"]
# The order of the numbers of a numeric date: day-month-year, month-day-year or year-month-day.
NumericOrder = Literal["dmy", "mdy", "ymd"]
_ORDERS: tuple[str, ...] = ("dmy", "mdy", "ymd")
_ORDER_WORDS = {"dmy": "day, month, year", "mdy": "month, day, year", "ymd": "year, month, day"}

# A bare four-digit number is read as a year only in this window: poll tables put sample sizes
# such as "1000" or "1228" next to their dates, and those must not become years.
BARE_YEAR_MIN = 1800
BARE_YEAR_MAX = 2199

# The years a date can have: those of datetime.date. (The warehouse holds them all; a year written
# in a text has four digits, so texts give 1000..9999, and default_year the rest.)
MIN_YEAR, MAX_YEAR = date.min.year, date.max.year

_PRECISION_RANK: dict[str, int] = {"day": 0, "month": 1, "year": 2}

# Every spelling of a month we accept, without its optional dot: full names, 3-letter
# abbreviations and "sept".
_MONTH_WORDS: dict[str, int] = {
    **{name: number for number, name in enumerate(MONTH_NAMES, start=1)},
    **{name[:3]: number for number, name in enumerate(MONTH_NAMES, start=1)},
    "sept": 9,
}
# "to" joins a range, "and" a list of days.
_CONNECTIVE_WORDS = frozenset({"to", "and"})

# Full names take no dot; abbreviations ("Mar", "Sept") may have one.
_MONTH = "(?:{})".format(
    "|".join(
        word if word in MONTH_NAMES and len(word) > 3 else word + r"\.?"
        for word in sorted(_MONTH_WORDS, key=len, reverse=True)
    )
)
_DAY = r"(?P<d>\d{1,2})"
_YEAR = r"(?P<y>[1-9]\d{3})"
# Between a month-first day and its year: ", ", "," or " ", and ". " (a dot typed for the comma,
# "January 26. 1944"; never a bare dot, which would make "26.1944" a number).
_DAY_YEAR = r"(?:, ?|\. | )"
_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2212"  # hyphen, Unicode hyphens, dashes, minus

# One side of a range (or the whole text), tried in this order with fullmatch on text whose
# whitespace is already collapsed to single spaces.
_SIDE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE))
    for kind, pattern in (
        ("iso", r"(?P<y>[1-9]\d{3})-(?P<m>\d{2})-(?P<d>\d{2})"),
        ("dmy", rf"{_DAY} (?P<mn>{_MONTH})(?: {_YEAR})?"),
        ("mdy", rf"(?P<mn>{_MONTH}) {_DAY}(?:{_DAY_YEAR}{_YEAR})?"),
        ("my", rf"(?P<mn>{_MONTH})(?:,? {_YEAR})?"),
        ("y", _YEAR),
        ("dm_numeric", r"(?P<d>\d{1,2})/(?P<m>\d{1,2})"),
        ("day", rf"{_DAY}(?:{_DAY_YEAR}{_YEAR})?"),
    )
)
# A numeric date with the same separator twice ("14.03.2024", "3/14/24", "2024-3-14"): read only
# with a numeric_order, which says which number is which.
_NUMERIC_SIDE = re.compile(r"(?P<a>\d{1,4})(?P<sep>[./-])(?P<b>\d{1,2})(?P=sep)(?P<c>\d{1,4})")
# The same, found inside a longer text (a range), for numeric_order_of.
_NUMERIC_DATE = re.compile(r"(?<![\d./-])(\d{1,4})([./-])(\d{1,2})\2(\d{1,4})(?![\d/-]|\.\d)")

# A list of days within one month: items ("5" or "5–6") joined by commas, the last by "and" or
# "&", with the month before ("May 1–2 & 5–6, 1930") or after ("1, 3 and 5 May 2019").
_LIST_ITEM = rf"\d{{1,2}}(?: ?[{_DASHES}] ?\d{{1,2}})?"
_LIST_ITEMS = rf"(?P<items>{_LIST_ITEM}(?:, {_LIST_ITEM})*,? (?:and|&) {_LIST_ITEM})"
_LIST_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(rf"(?P<mn>{_MONTH}) {_LIST_ITEMS}(?:{_DAY_YEAR}{_YEAR})?", re.IGNORECASE),
    re.compile(rf"{_LIST_ITEMS} (?P<mn>{_MONTH})(?: {_YEAR})?", re.IGNORECASE),
)
_LIST_DAYS = re.compile(rf"(\d{{1,2}})(?: ?[{_DASHES}] ?(\d{{1,2}}))?")
_LIST_JOIN = re.compile(r" and |&", re.IGNORECASE)

# Range separators: hyphen-like dashes (hyphen, Unicode hyphens, figure/en/em dash, minus), with or
# without spaces, or the word "to".
_SEPARATOR = re.compile(rf" ?[{_DASHES}] ?| to ", re.IGNORECASE)
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
# "7 March 24", "March 7, 202": a month, then a number too short to be a year where one belongs.
_SHORT_YEAR = re.compile(
    rf"(?:\d{{1,2}} {_MONTH} |{_MONTH},? |{_MONTH} \d{{1,2}}{_DAY_YEAR})\d{{1,3}}", re.IGNORECASE
)

# Kinds of side: numeric day/month without a year (read only with default_year), and numeric
# dates with a year (read only with numeric_order).
_YEARLESS_NUMERIC = frozenset({"dm_numeric", "md_numeric"})
_DATED_NUMERIC = frozenset({"dmy_numeric", "mdy_numeric", "ymd_numeric"})


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


def parse_date_span(
    text: str, default_year: int | None = None, *, numeric_order: NumericOrder | None = None
) -> DateSpan:
    """Read `text` as a date or date range; raise DateParseError instead of guessing.

    `default_year` is used only for texts that name no year at all ("12–14 Mar", "16/9"); it is
    the year of the end of a range, as a year written at the end would be.

    `numeric_order` ("dmy", "mdy" or "ymd", as `numeric_order_of` finds it for the column) reads
    numeric dates in that order: "14.03.2024" with "dmy", "03/14/2024" with "mdy", "2024/3/14"
    with "ymd", and ranges of them ("14.03.2024 – 16.03.2024", "14–16.03.2024"); a day/month
    without a year ("16/9", read with default_year) then follows it too (month first unless
    "dmy"). Without it, only ISO YYYY-MM-DD is read. A two-digit year ("24.05.19") is the year of
    the century nearest default_year (refused when two are as near); with no default_year it is
    20YY, refused when that is after the current year.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be str, not {type(text).__name__}")
    if default_year is not None:
        if isinstance(default_year, bool) or not isinstance(default_year, int):
            raise TypeError(f"default_year must be int or None, not {type(default_year).__name__}")
        if not MIN_YEAR <= default_year <= MAX_YEAR:
            raise ValueError(f"default_year {default_year} is outside {MIN_YEAR}..{MAX_YEAR}")
    if numeric_order is None:
        # The default year only fills a missing year, so a text that reads without one reads the
        # same with any: one cached parse then serves every default year it is asked with.
        result = _parse_cached(text, None)
        if isinstance(result, str) and default_year is not None:
            result = _parse_cached(text, default_year)
    else:
        if numeric_order not in _ORDERS:
            if not isinstance(numeric_order, str):
                raise TypeError(
                    f"numeric_order must be str or None, not {type(numeric_order).__name__}"
                )
            raise ValueError(f"numeric_order must be 'dmy', 'mdy' or 'ymd', not {numeric_order!r}")
        # The default year also picks the century of a two-digit year: no sharing across years.
        result = _parse_cached(text, default_year, numeric_order)
    if isinstance(result, str):
        raise DateParseError(f"{text.strip()!r} is not a date: {result}")
    return result


# Any year will do to ask whether a text without one is a date; 2000 is a leap year, so "29 Feb"
# is one too.
_ANY_YEAR = 2000


def looks_like_date(
    text: str, year_may_be_missing: bool = False, *, numeric_order: NumericOrder | None = None
) -> bool:
    """True when `parse_date_span(text, numeric_order=...)` would succeed (given a default year,
    when the year may be missing, as in a table whose heading names the year); never raises."""
    try:
        parse_date_span(
            text,
            default_year=_ANY_YEAR if year_may_be_missing else None,
            numeric_order=numeric_order,
        )
    except (ValueError, TypeError):
        return False
    return True


def numeric_order_of(texts: Iterable[str]) -> NumericOrder | None:
    """The order of the numeric dates of a column, when its texts make it certain; else None.

    A date's order is seen in one column rather than one cell: "02.04.2024" alone may be either
    order, "14.03.2024" below it settles it. An order is certain when it is the only one that
    reads every numeric date of the column: a four-digit year first means "ymd"; with the year
    last, a first number above 12 anywhere means "dmy" and a second one above 12 "mdy". A date
    with a two-digit year must be a valid date in that order too, its year read as
    `parse_date_span` reads it without a default year (20YY, not after the current year).
    Texts without a numeric date are passed over; a column without one, or with dates that no one
    order reads, gives None.
    """
    possible = set(_ORDERS)
    found = False
    for text in texts:
        if not isinstance(text, str):
            raise TypeError(f"texts must be str, not {type(text).__name__}")
        for first, _, middle, last in _NUMERIC_DATE.findall(_normalize(text)):
            found = True
            possible &= _orders_reading(first, middle, last)
    if found and len(possible) == 1:
        return possible.pop()  # type: ignore[return-value]
    return None


def _orders_reading(first: str, middle: str, last: str) -> set[str]:
    """The orders in which one numeric date can be a date (see numeric_order_of)."""
    orders = set()
    for order in _ORDERS:
        parts = _numeric_parts(order, first, middle, last)
        if parts is None:
            continue
        day, month, year_text = int(parts[0]), int(parts[1]), parts[2]
        if len(year_text) == 4:
            if 1 <= month <= 12 and 1 <= day <= 31:
                orders.add(order)
            continue
        try:
            date(_full_year(year_text, None), month, day)
        except (_Refusal, ValueError):
            continue
        orders.add(order)
    return orders


def _numeric_parts(order: str, first: str, middle: str, last: str) -> tuple[str, str, str] | None:
    """(day, month, year) as written, when the numbers have the widths the order needs."""
    if order == "ymd":
        year, month, day = first, middle, last
    elif order == "dmy":
        day, month, year = first, middle, last
    else:
        month, day, year = first, middle, last
    if len(day) > 2 or len(month) > 2 or len(year) not in (2, 4):
        return None
    if len(year) == 4 and year[0] == "0":  # "0999": not how a year is written
        return None
    return day, month, year


def _this_year() -> int:
    """The current year: a two-digit year read without a default year must not be after it.
    (Asked when a text is first parsed; the process keeps the answer in the cache.)"""
    return date.today().year


def _full_year(two_digits: str, default_year: int | None) -> int:
    """The year a two-digit year means: the one nearest default_year, else 20YY up to now."""
    short = int(two_digits)
    if default_year is None:
        year = 2000 + short
        if year > _this_year():
            raise _Refusal(
                f"the two-digit year {two_digits} would be {year}, after the current year; "
                "without a default year one is read only as 2000 up to now"
            )
        return year
    base = default_year - default_year % 100
    nearest, *others = sorted(
        (year for year in (base - 100 + short, base + short, base + 100 + short)
         if MIN_YEAR <= year <= MAX_YEAR),
        key=lambda year: abs(year - default_year),
    )  # fmt: skip
    if others and abs(others[0] - default_year) == abs(nearest - default_year):
        raise _Refusal(
            f"the two-digit year {two_digits} is as near {default_year} in "
            f"{min(nearest, others[0])} as in {max(nearest, others[0])}"
        )
    return nearest


@lru_cache(maxsize=65_536)
def _parse_cached(
    text: str, default_year: int | None, numeric_order: str | None = None
) -> DateSpan | str:
    """The parse, cached: a (frozen) DateSpan, or the reason the text is refused.

    Reasons are cached rather than exceptions so that every caller gets a fresh exception. The
    key is the arguments as passed: a numeric_order is part of it whenever one is given.
    """
    try:
        return _parse(text, default_year, numeric_order)
    except _Refusal as refusal:
        return str(refusal)


def _normalize(text: str) -> str:
    """Collapse all whitespace (including no-break and thin spaces) and drop footnote markers."""
    collapsed = " ".join(_INVISIBLE.sub("", text).split())
    return _FOOTNOTES.sub("", collapsed).strip()


def _parse(text: str, default_year: int | None, numeric_order: str | None = None) -> DateSpan:
    norm = _normalize(text)
    if not norm:
        raise _Refusal("the text is empty")
    # A trailing dot or comma ends the sentence or the list the date was written in.
    if len(norm) > 1 and norm[-1] in ".,":
        norm = norm[:-1].rstrip()
    for word in _WORD.findall(norm):
        if word.lower() not in _MONTH_WORDS and word.lower() not in _CONNECTIVE_WORDS:
            raise _Refusal(f"it contains the word {word!r}, which is not a month name")
    if numeric_order is None and _NUMERIC_TRIPLE.search(norm):
        raise _Refusal(
            "the day/month order of a numeric date is unknown (no numeric_order was given); "
            "only ISO YYYY-MM-DD is read without one"
        )
    if _YEAR_THEN_TWO_DIGITS.fullmatch(norm):
        raise _Refusal(
            "two digits after a year could be a month (YYYY-MM) or a shortened end year; "
            "write the full date or both years"
        )

    single = _read_side(norm, numeric_order, default_year)
    if single is not None:
        resolved, inferred = _resolve_single(single, default_year)
        return _span(resolved, resolved, text, inferred)

    if _LIST_JOIN.search(norm):
        return _read_list(norm, default_year, text)

    splits = []
    for sep in _SEPARATOR.finditer(norm):
        left = _read_side(norm[: sep.start()], numeric_order, default_year)
        right = _read_side(norm[sep.end() :], numeric_order, default_year)
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
    if numeric_order is not None and _NUMERIC_DATE.search(norm):
        raise _Refusal(
            "it matches no accepted date form (numeric dates are read as "
            f"{_ORDER_WORDS[numeric_order]} here)"
        )
    if _SHORT_YEAR.fullmatch(norm):
        raise _Refusal("a year after a month is read only when written with four digits")
    raise _Refusal("it matches no accepted date form")


def _read_side(
    part: str, numeric_order: str | None = None, default_year: int | None = None
) -> _Side | None:
    """Match one side against the accepted forms; None when it fits none."""
    for kind, pattern in _SIDE_PATTERNS:
        m = pattern.fullmatch(part)
        if m is None:
            continue
        groups = m.groupdict()
        year = int(groups["y"]) if groups.get("y") else None
        if kind == "y" and year is not None and not BARE_YEAR_MIN <= year <= BARE_YEAR_MAX:
            return None
        day = int(groups["d"]) if groups.get("d") else None
        if groups.get("mn"):
            month: int | None = _MONTH_WORDS[groups["mn"].lower().rstrip(".")]
        elif groups.get("m"):
            month = int(groups["m"])
            # "16/9" is day/month, unless the column's numeric dates put the month first.
            if kind == "dm_numeric" and numeric_order in ("mdy", "ymd"):
                kind, day, month = "md_numeric", month, day
        else:
            month = None
        return _Side(kind=kind, text=part, day=day, month=month, year=year)
    if numeric_order is not None:
        return _numeric_side(part, numeric_order, default_year)
    return None


def _numeric_side(part: str, numeric_order: str, default_year: int | None) -> _Side | None:
    """A numeric date read in the column's order; None when its numbers do not fit the order."""
    m = _NUMERIC_SIDE.fullmatch(part)
    parts = _numeric_parts(numeric_order, m["a"], m["b"], m["c"]) if m else None
    if parts is None:
        return None
    day, month, year = parts
    full_year = int(year) if len(year) == 4 else _full_year(year, default_year)
    return _Side(f"{numeric_order}_numeric", part, int(day), int(month), full_year)


def _read_list(norm: str, default_year: int | None, text: str) -> DateSpan:
    """A list of days of one month, in increasing order: the span from the first to the last."""
    m = _LIST_PATTERNS[0].fullmatch(norm) or _LIST_PATTERNS[1].fullmatch(norm)
    if m is None:
        raise _Refusal(
            "a list of days is read only within one month, its days joined by commas and a last "
            "'and' or '&' (\"May 1–2 & 5–6, 1930\", \"1, 3 and 5 May 2019\")"
        )
    month = _MONTH_WORDS[m["mn"].lower().rstrip(".")]
    days = [(int(first), int(last or first)) for first, last in _LIST_DAYS.findall(m["items"])]
    previous_end = -1
    for first, last in days:
        if not previous_end < first <= last:
            raise _Refusal(f"the days {m['items']!r} are not in increasing order")
        previous_end = last
    inferred = m["y"] is None
    if m["y"] is not None:
        year = int(m["y"])
    elif default_year is not None:
        year = default_year
    else:
        raise _Refusal("the year is missing and no default year was given")
    start = _resolve(_Side("dmy", norm, days[0][0], month, year), year)
    end = _resolve(_Side("dmy", norm, days[-1][1], month, year), year)
    return _span(start, end, text, inferred)


def _resolve_single(side: _Side, default_year: int | None) -> tuple[_Resolved, bool]:
    """A text that is one date: fill a missing year from default_year, or refuse."""
    if side.kind == "day":
        raise _Refusal("a day number without a month is not a date")
    if side.year is not None:
        return _resolve(side, side.year), False
    return _resolve(side, _default_year(side, default_year)), True


def _default_year(side: _Side, default_year: int | None) -> int:
    if default_year is None:
        if side.kind in _YEARLESS_NUMERIC:
            raise _Refusal(
                "the year is missing (a numeric day/month is read only with a default year)"
            )
        raise _Refusal("the year is missing and no default year was given")
    return default_year


def _resolve_range(left: _Side, right: _Side, default_year: int | None, text: str) -> DateSpan:
    """Join two sides, lending the right side's month and year to a left side that lacks them."""
    # "4–14 March 2022", "14–16.03.2024": the left side is a bare day and takes the right side's
    # month.
    if left.kind == "day":
        if left.year is not None or right.kind not in ("dmy", "dm_numeric", "dmy_numeric"):
            raise _Refusal(f"the month of the start {left.text!r} is unclear")
        left = _Side(right.kind, left.text, left.day, right.month, None)
    # "March 4–14, 2022": the right side is a bare day (maybe with the year) and takes the
    # left side's month; the year then belongs to the whole range.
    if right.kind == "day":
        if left.kind != "mdy" or left.year is not None:
            raise _Refusal(f"the month of the end {right.text!r} is unclear")
        right = _Side("mdy", right.text, right.day, left.month, right.year)

    # A numeric day/month is read only with default_year, so it never borrows a written year.
    if (left.kind in _YEARLESS_NUMERIC) != (right.kind in _YEARLESS_NUMERIC):
        raise _Refusal("a numeric day/month cannot be joined to a date with a month name or year")
    if (left.kind in _DATED_NUMERIC) != (right.kind in _DATED_NUMERIC):
        raise _Refusal("a numeric date is joined only to another numeric date")

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


def _resolve(side: _Side, year: int) -> _Resolved:
    """The days one side means once its year is known; impossible dates are refused."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise _Refusal(f"the year {year} is outside {MIN_YEAR}..{MAX_YEAR}")
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
