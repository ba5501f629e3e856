"""Property-based tests (hypothesis) of the parser and the normalizer.

1. Cell values: `parse_share`, `parse_count`, `parse_lead`, `parse_margin_of_error` return a value of
   the right type and range or raise `ValueParseError`, and a value read is the number written;
   `parse_date_span` gives start <= end or raises `DateParseError` (and reads every date we can
   write exactly); `looks_like_date` never raises; `render_cell` raises only `MarkupError`.
2. Articles of random poll, timeline and other tables, flattened and in wikitext, go through
   parse, normalize and validate: no unexpected exception, every data row of a poll or timeline
   table lands in exactly one of polls, events, skipped_rows and rejected_rows, and every loaded
   value is the one written in its source cell. A plain table reads the same in both forms.
3. Random wikitext fragments: `parse_wikitext_article` returns an Article or raises ArticleError,
   quickly, with a grid of `Cell`s whose copies say they are copies.
4. The sample article with whitespace added inside its cells reads the same.

Each property is a plain function `check_*` run by a test below and, with many more examples, by
`tests/fuzz.py` (see `PROPERTIES`). `WIKIPOLL_FUZZ_EXAMPLES` sets the number of examples (default
150; the pipeline properties run a quarter of it and the sample a tenth: each of their examples
costs a pandera validation).
The bugs these properties found are fixed; each is kept as a regression test at the end, pinning
its minimal failing example.
"""

from __future__ import annotations

import os
import re
import time
import unicodedata
from collections import Counter
from datetime import date, datetime, timedelta
from decimal import Decimal

import pandas as pd
from hypothesis import HealthCheck, Phase, assume, example, given, settings
from hypothesis import strategies as st

from flows.article import Cell
from flows.check.validate import validate_batch
from flows.read.errors import ArticleError
from flows.read.files import parse_article_text
from flows.read.markup import MarkupError, render_cell
from flows.read.wikitext import MAX_COLSPAN, parse_wikitext_article
from flows.records import RunInfo
from flows.shape.dates import DateParseError, DateSpan, _Refusal, looks_like_date, parse_date_span
from flows.shape.dates import _parse as _parse_uncached
from flows.shape.records import normalize_article
from flows.shape.values import (
    ValueParseError,
    parse_count,
    parse_lead,
    parse_margin_of_error,
    parse_share,
)
from tests.conftest import SAMPLE

EXAMPLES = max(1, int(os.environ.get("WIKIPOLL_FUZZ_EXAMPLES", "100")))
PIPELINE_EXAMPLES = max(1, EXAMPLES // 4)  # parse + normalize + pandera: about 0.3 s an example
SAMPLE_EXAMPLES = max(1, EXAMPLES // 10)  # the whole sample article: about 0.25 s an example
WIKITEXT_SECONDS = 4.0  # a fragment of a few KB must parse well within this


# The same fixed run as tests/conftest.py's RUN: "after the run date" never depends on today.
RUN = RunInfo(
    run_id="test-run", started_at=datetime(2026, 11, 28, 12, 0), run_date=date(2026, 11, 28)
)


def fuzz_settings(max_examples: int) -> settings:
    """Modest, deterministic by default (set WIKIPOLL_FUZZ_RANDOM=1 to explore), no database
    (nothing is written into the working tree)."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        derandomize=not os.environ.get("WIKIPOLL_FUZZ_RANDOM"),
        print_blob=True,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
            HealthCheck.large_base_example,
        ],
    )


# --- strategies: cell strings ---------------------------------------------------------------------


def _digit_set(base: int) -> str:
    return "".join(chr(base + offset) for offset in range(10))


# ASCII, Arabic-Indic, Extended Arabic-Indic, Devanagari, Bengali, fullwidth, mathematical bold.
DIGIT_SETS = tuple(_digit_set(base) for base in (0x30, 0x660, 0x6F0, 0x966, 0x9E6, 0xFF10, 0x1D7CE))
NON_DECIMAL_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹₀₁①"  # str.isdigit() but not decimal: int() refuses them
SPACES = (" ", "\t", "\u00a0", "\u2009", "\u202f", "\u2007", "\u2003", "\u3000", "  ")
INVISIBLE = ("\u200b", "\u200d", "\ufeff", "\u00ad", "\u2060")
CONTROL = (*(chr(code) for code in range(0x20) if code != 0x0A), "\x7f", "\x85", "\u2028")
EMOJI = ("😀", "🇷🇸", "👍🏽", "🗳️", "\U0001f600")
RTL = ("\u200f", "\u202e", "\u202b", "שלום", "مرحبا", "٪", "٫")
TOKENS = (
    "Tie", "tie", "TIED", "Even", "n/a", "N/A", "NA", "n.a.", "—", "–", "-", "−", "?", "none",
    "Nil", "", " ", "\u00a0", "TBA", "abc", "sometime", "Average", "Total",
)  # fmt: skip
MARKUP_PIECES = (
    "<ref>Source</ref>", '<ref name="a"/>', "<ref name=b>x|y</ref>", "<ref>", "</ref>",
    "[[Pollster|NSPM]]", "[[NSPM]]", "[[a|b]]", "[[", "]]", "[", "]", "{{", "}}", "{{{1}}}",
    "{|", "|}", "|", "||", "!", "!!", "=", "==", "<!-- c -->", "<!--", "-->", "''", "'''",
    "&nbsp;", "&#8722;", "&minus;", "&amp;", "&#0;", "&#x1F600;", "&bogus;", "<br>", "<br />",
    "<small>(n)</small>", "<sup>1</sup>", "<pre>x</pre>", "<nowiki>|</nowiki>", "<div>",
    "[http://example.org label]", "http://example.org", "{{efn|Note}}", "{{cn}}", "{{n/a}}",
    "{{N/A}}", "{{tie}}", "{{nts|1228}}", "{{sort|50|50%}}", "{{opdrts|4|14|Mar|2022|year}}",
    "{{opdrts||7|March|2024}}", "{{opdrts|30|2|Jan|2024}}", "{{dts|2024|3|7}}",
    "{{dts|7 March 2024}}", "{{start date|2024|3|7}}", "{{formatnum:1228}}",
    "{{percentage|1|3|1}}", "{{unknown|x|y}}", "{{lang|sr|Анкета}}", "{{flagicon|SRB}}",
    "{{·}}", "{{cite web|title=Poll|url=http://x.org}}",
)  # fmt: skip
TEMPLATE_NAMES = (
    "opdrts", "dts", "nts", "sort", "efn", "n/a", "tie", "start date", "end date", "nowrap",
    "lang", "formatnum:1", "cite web", "sortname", "·", "ndash", "small", "Unknown", "date",
)  # fmt: skip
WORDS = (
    "NSPM", "Ninamedia", "TNS Medium Gallup", "Kantar", "Institute for European Affairs",
    "Angus Reid Global Monitor", "Gallup", "Ipsos", "Yle", "HS", "Russia invades Ukraine",
    "Sweden acceedes to NATO", "Partnership for Peace", "March", "May", "to", "poll", "Ниндо",
    "Ankara", "Éire", "Ø", "x",
)  # fmt: skip
MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip


def _group(number: int, separator: str) -> str:
    return f"{number:,}".replace(",", separator) if separator else str(number)


@st.composite
def number_spellings(draw) -> str:
    """A number as people write one in a table: signs, groups, decimal marks, suffixes, scripts."""
    whole = draw(st.one_of(st.integers(0, 2000), st.integers(0, 10**7), st.integers(0, 10**25)))
    text = _group(whole, draw(st.sampled_from(("", "", ",", " ", "\u00a0", "\u2009", ".", "'"))))
    if draw(st.booleans()):
        mark = draw(st.sampled_from((".", ".", ",", "·", "٫")))
        text += mark + draw(st.text("0123456789", min_size=1, max_size=3))
    digits = draw(st.sampled_from(DIGIT_SETS[:1] * 4 + DIGIT_SETS[1:]))
    text = text.translate(str.maketrans("0123456789", digits))
    sign = draw(st.sampled_from(("",) * 6 + ("+", "-", "\u2212", "–", "±", "+/-", "+ ")))
    suffix = draw(
        st.sampled_from(
            ("", "", "%", "%", " %", "\u00a0%", "%%", " pts", " points", "pp", "%<ref>a</ref>")
        )
    )
    pad = draw(st.sampled_from(("", "", " ", "\u00a0", "\t")))
    return pad + sign + text + suffix + pad


@st.composite
def canonical_shares(draw) -> tuple[str, Decimal]:
    """A share as the README says it is written ("7.6%", "84.6", "6 %"), with its value."""
    whole = draw(st.integers(0, 999))
    decimals = draw(st.sampled_from(("", "", "0", "5", "25", "125")))
    written = f"{whole}.{decimals}" if decimals else str(whole)
    value = Decimal(written)
    digits = draw(st.sampled_from(DIGIT_SETS))
    text = written.translate(str.maketrans("0123456789", digits))
    text += draw(st.sampled_from(("%", "%", "", " %", "\u00a0%", "\u2009%")))
    pad = draw(st.sampled_from(("", " ", "\u00a0", "\t ")))
    return pad + text + pad, value


@st.composite
def canonical_counts(draw) -> tuple[str, int]:
    """A sample size as written ("1,228", "1 228", "1228"), with its value."""
    value = draw(st.integers(0, 10**9))
    text = _group(value, draw(st.sampled_from(("", ",", " ", "\u00a0", "\u2009", "\u202f"))))
    return text, value


# --- strategies: dates ----------------------------------------------------------------------------


def _last_day(day: date) -> date:
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


@st.composite
def month_words(draw, month: int) -> str:
    full = MONTHS[month - 1]
    spellings = [full, full[:3], full[:3] + ".", full.lower(), full.upper()]
    if month == 9:
        spellings += ["Sept", "Sept."]
    return draw(st.sampled_from(spellings))


_SEPARATORS = ("–", " – ", "-", " - ", "—", " — ", "\u2212", " to ", "\u2010")
_FOOTNOTE_MARKS = ("", "", "", "[1]", " [a]", "[note 3]", "[1][2]")


@st.composite
def valid_dates(
    draw, first_day: date = date(1900, 1, 1), last_day: date = date(2100, 11, 30)
) -> tuple[str, date, date, str]:
    """A date text the README says is read, with the span it means: (text, start, end, precision).

    Years stay in 1900..2100 by default, inside both the bare-year window and the range pandas
    can hold.
    """
    kind = draw(
        st.sampled_from(
            ("day", "month", "year", "iso", "mdy", "day_range", "dm_range", "full_range",
             "month_range", "mdy_range")
        )
    )  # fmt: skip
    first = draw(st.dates(first_day, last_day))
    later = first + timedelta(days=draw(st.integers(1, 400)))
    space = draw(st.sampled_from((" ", " ", "\u00a0", "  ", "\u2009")))
    sep = draw(st.sampled_from(_SEPARATORS))
    month = draw(month_words(first.month))
    if kind == "day":
        text, span = f"{first.day}{space}{month}{space}{first.year}", (first, first, "day")
    elif kind == "month":
        text = f"{month}{space}{first.year}"
        span = (first.replace(day=1), _last_day(first), "month")
    elif kind == "year":
        text = str(first.year)
        span = (date(first.year, 1, 1), date(first.year, 12, 31), "year")
    elif kind == "iso":
        text, span = first.isoformat(), (first, first, "day")
    elif kind == "mdy":
        comma = draw(st.sampled_from((", ", " ", ",")))
        text, span = f"{month} {first.day}{comma}{first.year}", (first, first, "day")
    elif kind in ("day_range", "mdy_range") and first.day < _last_day(first).day:
        end = first.replace(day=draw(st.integers(first.day + 1, _last_day(first).day)))
        if kind == "day_range":
            text = f"{first.day}{sep}{end.day} {month} {first.year}"
        else:
            text = f"{month} {first.day}{sep}{end.day}, {first.year}"
        span = (first, end, "day")
    elif kind == "dm_range" and (
        (later.year == first.year and later.month >= first.month)
        or (later.year == first.year + 1 and first.month > later.month)
    ):
        text = f"{first.day} {month}{sep}{later.day} {draw(month_words(later.month))} {later.year}"
        span = (first, later, "day")
    elif kind == "month_range" and first.month < 12:
        end_month = draw(st.integers(first.month + 1, 12))
        end = _last_day(first.replace(month=end_month, day=1))
        text = f"{month}{sep}{draw(month_words(end_month))} {first.year}"
        span = (first.replace(day=1), end, "month")
    else:
        text = (
            f"{first.day} {month} {first.year}{sep}"
            f"{later.day} {draw(month_words(later.month))} {later.year}"
        )
        span = (first, later, "day")
    return (text + draw(st.sampled_from(_FOOTNOTE_MARKS)), *span)


TRICKY_DATES = (
    "31 February 2024", "29 February 2023", "0 March 2024", "32 March 2024", "03/04/2024",
    "16/9", "2006-07", "2006–07", "early March 2024", "March 2024 – February 2024", "1000",
    "2024-13-01", "2024-02-30", "30 December – 3 January 2025", "Dec 2023 – Jan", "4–14",
    "March 4–14, 2022", "4 – 14 March 2022[1]", "7 March 2024[note 3]", "March 1677",
    "14 October 1066", "December 9999", "31 December 9999 – 1 January 10000", "9999",
    "1 January 1000", "Jan 1 – Feb 30, 2024", "May. 2020", "Sept. 2021", "Sep 31 2021",
    "4 to 14 March 2022", "4-14-2022", "2022–2023", "2022 – 2023", "1 March 2022 – 2023",
)  # fmt: skip


@st.composite
def date_like_texts(draw) -> str:
    """Date texts, valid and almost valid: other years, noise around, tricky forms."""
    text = draw(valid_dates())[0]
    mutation = draw(st.sampled_from(("keep", "year", "noise", "cut", "tricky")))
    if mutation == "year":
        year = str(draw(st.one_of(st.integers(1800, 2200), st.integers(0, 99_999))))
        return re.sub(r"\d{4}", year, text, count=1)
    if mutation == "noise":
        noise = draw(st.sampled_from(SPACES + INVISIBLE + EMOJI + RTL + TOKENS))
        position = draw(st.integers(0, len(text)))
        return text[:position] + noise + text[position:]
    if mutation == "cut":
        start = draw(st.integers(0, len(text)))
        return text[:start] + text[draw(st.integers(start, len(text))) :]
    if mutation == "tricky":
        return draw(st.sampled_from(TRICKY_DATES))
    return text


# --- strategies: markup and whole cells -----------------------------------------------------------

_LEAF = st.one_of(
    number_spellings(),
    st.sampled_from(WORDS + TOKENS + MONTHS + ("4", "14", "Mar", "2022", "year", "title=T")),
    st.text(max_size=6),
    date_like_texts(),
)


@st.composite
def templates(draw) -> str:
    name = draw(st.one_of(st.sampled_from(TEMPLATE_NAMES), st.sampled_from(WORDS)))
    arguments = draw(st.lists(_LEAF, max_size=5))
    text = "{{" + name + "".join("|" + argument for argument in arguments) + "}}"
    if draw(st.booleans()):  # {{percentage|part|whole|decimals}}, decimals kept small here
        part, whole = draw(st.integers(0, 10**6)), draw(st.integers(-5, 10**6))
        text += f"{{{{percentage|{part}|{whole}|{draw(st.integers(-2, 6))}}}}}"
    return text


PIECES = st.one_of(
    st.sampled_from(MARKUP_PIECES),
    st.sampled_from(SPACES + INVISIBLE + CONTROL + EMOJI + RTL + TOKENS),
    st.sampled_from(tuple(NON_DECIMAL_DIGITS)),
    number_spellings(),
    st.sampled_from(WORDS),
    templates(),
    st.text(max_size=4),
)


def cell_strings() -> st.SearchStrategy[str]:
    """Anything a table cell may hold: numbers, dates, null tokens, markup, noise."""
    return st.one_of(
        number_spellings(),
        st.sampled_from(TOKENS),
        date_like_texts(),
        templates(),
        st.text(max_size=30),
        st.lists(PIECES, min_size=1, max_size=6).map("".join),
    )


# --- oracles: the number written, read independently of flows/ ----------------------------------


def _ascii_digits(text: str) -> str:
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text)


def written_decimal(text: str, suffixes: tuple[str, ...] = ("%",)) -> Decimal | None:
    """The plain number a cell writes ("7.6%", " ٧٫٦ " is not one: only a "." decimal point)."""
    body = _ascii_digits(text).strip()
    for suffix in suffixes:
        if body.endswith(suffix):
            body = body[: -len(suffix)].rstrip()
            break
    if re.fullmatch(r"\d+(?:\.\d+)?", body, re.ASCII):
        return Decimal(body)
    return None


def written_count(text: str) -> int | None:
    """The whole number a cell writes, group separators left out ("1,228", "1 228")."""
    body = re.sub(r"[,\s]", "", _ascii_digits(text))
    return int(body) if re.fullmatch(r"\d+", body, re.ASCII) else None


_NOTES = re.compile(
    r"<ref[^<>]*/>|<ref[^<>/]*>.*?</ref>|<!--.*?-->|\{\{\s*(?:efn|cn)[^{}]*\}\}", re.S
)
_UNWRAP = (
    (re.compile(r"\{\{\s*nts\s*\|([^{}|]*)\}\}", re.I), r"\1"),
    (re.compile(r"\{\{\s*sort\s*\|[^{}|]*\|([^{}|]*)\}\}", re.I), r"\1"),
    (re.compile(r"\[\[[^\[\]|]*\|([^\[\]|]*)\]\]"), r"\1"),
    (re.compile(r"\[\[([^\[\]|]*)\]\]"), r"\1"),
    (re.compile(r"'''?"), ""),
)


def visible_plain(raw: str) -> str | None:
    """What a raw cell shows, for the simple markup the generators write; None when unsure."""
    text = _NOTES.sub("", raw)
    for pattern, replacement in _UNWRAP:
        text = pattern.sub(replacement, text)
    text = text.replace("&nbsp;", "\u00a0")
    if any(ch in text for ch in "[]{}<>&|'="):
        return None
    return text


# --- property 1: cell values ----------------------------------------------------------------------


def check_value_parsers(text: str) -> None:
    """Each strict reader returns None or a value of its type and range, or ValueParseError."""
    for parser, kind, low, high in (
        (parse_share, float, 0, 1000),
        (parse_lead, float, 0, 1000),
        (parse_margin_of_error, float, 0, 100),
        (parse_count, int, 0, None),
    ):
        try:
            value = parser(text)
        except ValueParseError:
            continue
        if value is None:
            continue
        assert type(value) is kind, (parser.__name__, text, value)
        assert low <= value and (high is None or value < high), (parser.__name__, text, value)

    share = _read(parse_share, text)
    if share is not None:  # "equal the number written"
        assert written_decimal(text) is not None, (text, share)
        assert share == float(written_decimal(text)), (text, share)
    count = _read(parse_count, text)
    if count is not None:
        assert count == written_count(text), (text, count)
    lead = _read(parse_lead, text)
    if lead is not None and lead != 0.0:
        written = written_decimal(
            text.strip().lstrip("+"),
            (" points", " point", "points", "point", " pts", "pts", "pt", "%"),
        )
        assert written is not None and lead == float(written), (text, lead)


def _read(parser, text: str):
    try:
        return parser(text)
    except ValueParseError:
        return None


def check_share_spelling(spelled: tuple[str, Decimal]) -> None:
    text, value = spelled
    assert parse_share(text) == float(value), text
    assert parse_lead(text) == float(value), text


def check_count_spelling(spelled: tuple[str, int]) -> None:
    text, value = spelled
    assert parse_count(text) == value, text


def check_dates(text: str, default_year: int | None) -> None:
    """A DateSpan with start <= end, or DateParseError; looks_like_date agrees and never raises."""
    try:
        span = parse_date_span(text, default_year=default_year)
    except DateParseError:
        span = None
    if span is not None:
        assert isinstance(span, DateSpan)
        assert span.start <= span.end, (text, span)
        assert span.precision in ("day", "month", "year"), span
        assert span.text == text.strip()
        assert not span.year_inferred or default_year is not None
    assert looks_like_date(text) == _parses(text, None)
    assert looks_like_date(text, year_may_be_missing=True) == _parses(text, 2000)
    # parse_date_span relies on this to parse a text once for every default year: a text that
    # reads without a default year reads the same with one (uncached parser, both ways).
    try:
        without = _parse_uncached(text, None)
    except _Refusal:
        return
    if default_year is not None:
        assert _parse_uncached(text, default_year) == without, (text, default_year)


def _parses(text: str, default_year: int | None) -> bool:
    try:
        parse_date_span(text, default_year=default_year)
    except DateParseError:
        return False
    return True


def check_valid_date(written: tuple[str, date, date, str]) -> None:
    """Every date written in a documented form reads as exactly the span it means."""
    text, start, end, precision = written
    span = parse_date_span(text)
    assert (span.start, span.end, span.precision) == (start, end, precision), text


def check_render_cell(source: str) -> None:
    """render_cell raises nothing but MarkupError, and gives text a warehouse can hold."""
    try:
        rendered = render_cell(source)
    except MarkupError:
        return
    for text in (rendered.text, *rendered.notes):
        assert isinstance(text, str)
        assert "\x00" not in text, (source, text)
        text.encode("utf-8")  # no lone surrogates: pandas/pyarrow and DuckDB need UTF-8
        assert "\n" not in text and text == text.strip(), (source, text)
    # Rendering shows what is written: it may drop markup, never multiply text.
    assert len(rendered.text) <= 2 * len(source) + 64, (source, len(rendered.text))


def check_render_cell_general(source: str) -> None:
    check_render_cell(source)


# --- property 2: random flattened tables through parse, normalize, validate ---------------------

LABELS = {
    "date": ("Dates conducted", "Date", "Fieldwork date", "Date(s) conducted", "Dates"),
    "pollster": ("Pollster", "Polling firm", "Poll source"),
    "client": ("Client", "Commissioned by"),
    "sample": ("Sample size", "Sample", "N"),
    "share": ("Support", "Opposed", "Neutral or", "Yes", "No", "Undecided", "Other", "SNS"),
    "lead": ("Lead", "Margin", "Lead (pp)"),
    "moe": ("Margin of error", "MoE"),
    "event": ("Event",),
    "other": ("Notes", "Area", "Remarks", "Vote"),
}


POLL_DATES = valid_dates(date(1990, 1, 1), date(2025, 6, 30))  # before the run date


def _share_text(tenths: int, style: str) -> str:
    value = f"{tenths // 10}.{tenths % 10}" if tenths % 10 else str(tenths // 10)
    return {"%": f"{value}%", "bare": value, "space": f"{value} %"}[style]


@st.composite
def share_cells(draw) -> str:
    tenths = draw(st.integers(0, 1000))
    return _share_text(tenths, draw(st.sampled_from(("%", "%", "bare", "space"))))


@st.composite
def poll_answers(draw, count: int) -> tuple[list[str], str]:
    """`count` shares that sum to about 100 (sometimes not), and a lead: the gap, or not."""
    total = draw(st.sampled_from((1000, 1000, 1000, 995, 1010, 1030, 900)))  # in tenths
    cuts = sorted(draw(st.lists(st.integers(0, total), min_size=count - 1, max_size=count - 1)))
    parts = [high - low for low, high in zip([0, *cuts], [*cuts, total], strict=True)]
    if draw(st.booleans()):
        parts = [part - part % 10 for part in parts]  # whole numbers
    style = draw(st.sampled_from(("%", "%", "bare", "space")))
    shares = [_share_text(part, style) for part in parts]
    top = sorted(parts, reverse=True) + [0]
    lead = _share_text(top[0] - top[1], style) if top[0] != top[1] else "Tie"
    return shares, lead if draw(st.integers(0, 3)) else draw(share_cells())


@st.composite
def role_cell(draw, role: str) -> str:
    """A cell that fits its column most of the time, and anything at all sometimes."""
    if draw(st.integers(0, 14)) == 0:
        return draw(cell_strings())
    if role == "date":
        if draw(st.integers(0, 6)) == 0:
            return draw(date_like_texts())
        return draw(POLL_DATES)[0]
    if role == "pollster":
        return draw(
            st.sampled_from(
                WORDS[:9] + ("[[Taloustutkimus]]", "Kantar<ref>Via HS</ref>", "''Yle''")
            )
        )
    if role == "client":
        return draw(
            st.sampled_from(("", "", "N/A", "—", "HS", "[[Yle]]", "Institute for European Affairs"))
        )
    if role == "sample":
        return draw(
            st.one_of(
                canonical_counts().map(lambda c: c[0]),
                st.sampled_from(("", "N/A", "{{nts|1228}}", "1,000<ref>a</ref>")),
            )
        )
    if role == "share":
        return draw(
            st.one_of(share_cells(), st.sampled_from(("", "N/A", "84,6%", "{{sort|50|50%}}")))
        )
    if role == "lead":
        return draw(st.one_of(share_cells(), st.sampled_from(("Tie", "+5", "5 pts", ""))))
    if role == "moe":
        return draw(st.sampled_from(("±3%", "± 3.4%", "3.1", "", "N/A")))
    if role == "event":
        return draw(st.sampled_from(WORDS[10:13] + ("Talks", "[[Riga Summit]]")))
    return draw(st.sampled_from(WORDS))


@st.composite
def table_rows(draw, roles: list[str]) -> list[str]:
    cells = [draw(role_cell(role)) for role in roles]
    shares, lead = draw(poll_answers(max(1, roles.count("share"))))
    for index, role in enumerate(roles):
        if role == "share" and shares and draw(st.integers(0, 14)):
            cells[index] = shares.pop(0)
        elif role == "lead" and draw(st.integers(0, 14)):
            cells[index] = lead
    shape = draw(
        st.sampled_from(
            ("as is",) * 5 + ("shifted", "no client", "no client", "extra empty", "extra cell",
                              "short", "random", "event", "summary", "blank")
        )
    )  # fmt: skip
    if shape == "shifted" and cells:
        del cells[draw(st.integers(0, len(cells) - 1))]
        cells.append("")
    elif shape == "no client" and "client" in roles:  # the sample's NSPM rows
        del cells[roles.index("client")]
        cells.append("")
    elif shape == "extra empty":
        cells += [""] * draw(st.integers(1, 3))
    elif shape == "extra cell":
        cells.append(draw(cell_strings()))
    elif shape == "short":
        cells = cells[: draw(st.integers(0, len(cells)))]
    elif shape == "random":
        cells = draw(st.lists(cell_strings(), max_size=len(roles) + 2))
    elif shape == "event":
        date_text = draw(st.one_of(POLL_DATES.map(lambda d: d[0]), date_like_texts()))
        pair = [date_text, draw(role_cell("event"))]
        if draw(st.integers(0, 4)) == 0:
            pair.reverse()
        cells = pair + [""] * max(0, len(roles) - 2 - draw(st.integers(0, 1)))
    elif shape == "summary":
        cells = [draw(st.sampled_from(("Average", "Total", "Mean")))] + cells[1:]
    elif shape == "blank":
        cells = [draw(st.sampled_from(("", " ", "N/A", "—"))) for _ in roles]
    return cells


def _pipe_line(cells: list[str], style: int) -> str:
    cells = [cell.replace("\n", " ") for cell in cells]
    if style == 0:
        return "| " + " | ".join(cells) + " |"
    if style == 1:
        return "|" + "|".join(cells) + "|"
    return "| " + " | ".join(cells)


@st.composite
def poll_like_tables(draw) -> tuple[list[str], list[list[str]]]:
    """A poll, timeline or other table as (header labels, rows of cell sources)."""
    kind = draw(st.sampled_from(("poll", "poll", "poll", "timeline", "random")))
    if kind == "poll":
        roles = ["date", "pollster"]
        roles += [role for role in ("client", "sample") if draw(st.booleans())]
        roles += ["share"] * draw(st.integers(1, 4))
        roles += [role for role in ("lead", "moe", "other") if draw(st.integers(0, 2)) == 0]
        if draw(st.integers(0, 4)) == 0:
            roles = draw(st.permutations(roles))
        labels = [draw(st.sampled_from(LABELS[role])) for role in roles]
    elif kind == "timeline":
        roles = draw(
            st.sampled_from((["event", "date"], ["date", "event"], ["date", "event", "other"]))
        )
        labels = [draw(st.sampled_from(LABELS[role])) for role in roles]
    else:
        labels = draw(
            st.lists(
                st.one_of(
                    st.sampled_from([label for group in LABELS.values() for label in group]),
                    st.text(
                        st.characters(exclude_characters="|\n", exclude_categories=("Cs",)),
                        max_size=8,
                    ),
                ),
                min_size=1,
                max_size=8,
            )
        )
        roles = ["other"] * len(labels)
    return labels, draw(st.lists(table_rows(roles), min_size=1, max_size=8))


@st.composite
def flattened_tables(draw) -> list[str]:
    labels, rows = draw(poll_like_tables())
    style = draw(st.integers(0, 2))
    lines = [_pipe_line(labels, style)]
    for cells in rows:
        lines.append(_pipe_line(cells, draw(st.sampled_from((style, style, 0, 1, 2)))))
    return lines


def _wiki_cell(draw, cell: str) -> str:
    cell = cell.replace("\n", " ")
    span = draw(st.integers(0, 11))
    if span == 0:
        return f"rowspan={draw(st.integers(2, 3))} | {cell}"
    if span == 1:
        return f"colspan=2 | {cell}"
    return cell


@st.composite
def wikitext_tables(draw) -> list[str]:
    """The same tables in MediaWiki markup, some cells spanning rows or columns."""
    labels, rows = draw(poll_like_tables())
    lines = [
        '{| class="wikitable"',
        "! " + " !! ".join(label.replace("\n", " ") for label in labels),
    ]
    for cells in rows:
        lines.append(draw(st.sampled_from(("|-", "|-", '|- class="x"'))))
        cells = [_wiki_cell(draw, cell) for cell in cells]
        if not cells:
            continue
        if draw(st.booleans()):
            lines.append("| " + " || ".join(cells))
        else:
            lines += ["| " + cell for cell in cells]
    lines.append("|}")
    return lines


_BETWEEN = ("", "==Opinion polling==", "===2023===", "=== Polls since 2021 ===", "Some prose.")


@st.composite
def flattened_articles(draw, tables=flattened_tables) -> str:
    lines = ["= Fuzz article =", ""]
    for table in draw(st.lists(tables(), min_size=1, max_size=3)):
        lines.append(draw(st.sampled_from(_BETWEEN)))
        lines += table
        lines.append("")
    return "\n".join(lines)


CHECK_NAMES = {  # README "Checks", plus the two event checks of flows/shape/records.py
    "unparseable_value", "too_many_cells", "misaligned_row", "ambiguous_alignment",
    "share_in_range", "shares_sum_within_rounding", "start_not_after_end", "not_after_run_date",
    "pollster_present", "duplicate_poll", "missing_cell", "description_present",
    "continuation_row",
}  # fmt: skip


def wikitext_articles() -> st.SearchStrategy[str]:
    return flattened_articles(tables=wikitext_tables)


def check_flattened_article(text: str) -> None:
    check_pipeline(text, "flattened")


def check_pipeline(text: str, article_format: str) -> None:
    """parse + normalize + validate: no surprise, every row accounted for, every value as written."""
    try:
        article = parse_article_text(text, "fuzz.txt", article_format=article_format)
    except ArticleError as error:  # a refused file: only for what the README says is refused
        assert "\x00" in text or "give back" in error.reason, error
        return
    normalized = normalize_article(article)
    batch = validate_batch([normalized], RUN)
    frames = batch.frames
    lines = text.split("\n")

    # Accounting: each data row of a poll or timeline table is in exactly one outcome.
    outcomes: dict[tuple[int, int], list[str]] = {}
    for name in ("polls", "events", "skipped_rows"):
        for table_index, row_index in zip(
            frames[name]["table_index"], frames[name]["row_index"], strict=True
        ):
            outcomes.setdefault((int(table_index), int(row_index)), []).append(name)
    rejected = frames["rejected_rows"]
    for table_index, row_index in set(
        zip(rejected["table_index"], rejected["row_index"], strict=True)
    ):
        outcomes.setdefault((int(table_index), int(row_index)), []).append("rejected_rows")
    expected = {
        (table["table_index"], row_index)
        for table in normalized.tables
        if table["kind"] in ("poll", "timeline")
        for row_index in range(1, table["data_rows"] + 1)
    }
    assert set(outcomes) == expected, (sorted(set(outcomes) ^ expected), text)
    doubled = {key: names for key, names in outcomes.items() if len(names) > 1}
    assert not doubled, doubled
    assert set(rejected["check_name"]) <= CHECK_NAMES, set(rejected["check_name"])

    # Every row's raw_text is its source line (in wikitext: its source, from that line on).
    for name in ("polls", "events", "skipped_rows", "rejected_rows"):
        for line, raw_text in zip(
            frames[name]["source_line"], frames[name]["raw_text"], strict=True
        ):
            if article_format == "flattened":
                assert raw_text == lines[int(line) - 1].strip(), (name, line, raw_text)
            else:
                assert raw_text in text, (name, line, raw_text)

    # Loaded polls: shares in range, summing to at most 100 plus what their rounding allows
    # (a share of another base left out), each the number written.
    polls, results = frames["polls"], frames["poll_results"]
    assert set(results["poll_id"]) <= set(polls["poll_id"])
    assert results["share"].dropna().between(0, 100).all(), results
    in_total = results[results["answer_class"].fillna("") != "outside_total"]
    totals = in_total.groupby("poll_id")["share"].sum()
    allowed = 100 + polls.set_index("poll_id")["answers_rounding"].reindex(totals.index)
    assert (totals <= allowed + 1e-6).all(), (totals, allowed)
    for column in ("support", "oppose", "neutral"):
        assert polls[column].dropna().between(0, 100).all(), polls[column]
    answer_counts = Counter(results["poll_id"])
    for poll_id, count in zip(polls["poll_id"], polls["answer_count"], strict=True):
        assert answer_counts[poll_id] == count, poll_id
    for share, raw_cell in zip(results["share"], results["raw_cell"], strict=True):
        shown = visible_plain(raw_cell)
        if shown is not None:
            assert written_decimal(shown) is not None, raw_cell
            assert share == float(written_decimal(shown)), (raw_cell, share)

    # Sample sizes are the digits of their source cell.
    cells = frames["source_cells"]
    sample_cells = cells[cells["field"] == "sample_size"]
    for poll_id, sample_size in zip(polls["poll_id"], polls["sample_size"], strict=True):
        if pd.isna(sample_size):
            continue
        raws = list(sample_cells.loc[sample_cells["record_id"] == poll_id, "raw_cell"])
        shown = [visible_plain(raw) for raw in raws]
        if raws and None not in shown:
            assert int(sample_size) in [written_count(text) for text in shown], (raws, sample_size)


def check_wikitext_article(text: str) -> None:
    check_pipeline(text, "wikitext")


# --- property 2, across forms: a table reads the same flattened and in wikitext -------------------

_NOT_CELL_TEXT = re.compile(r"[|!{}\[\]<>\n='&]")  # markup that means different things in each form


@st.composite
def plain_tables(draw) -> tuple[list[str], list[list[str]]]:
    """A table of plain cells (no markup), each row with at least one cell and no more cells than
    the header has labels (BUG G: a wider row widens a wikitext header)."""
    labels, rows = draw(poll_like_tables())
    labels = [_NOT_CELL_TEXT.sub("", label) for label in labels]
    rows = [[_NOT_CELL_TEXT.sub("", cell) for cell in row[: len(labels)]] for row in rows if row]
    assume(rows)
    return labels, rows


def _both_forms(labels: list[str], rows: list[list[str]]) -> tuple[str, str]:
    flattened = ["= T =", _pipe_line(labels, 0)] + [_pipe_line(row, 0) for row in rows]
    wikitext = ["= T =", "{|", "! " + " !! ".join(labels)]
    for row in rows:
        wikitext += ["|-", "| " + " || ".join(row)]
    return "\n".join(flattened) + "\n", "\n".join([*wikitext, "|}"]) + "\n"


_POLL_VALUES = (
    "fieldwork_start", "fieldwork_end", "date_precision", "pollster", "client", "sample_size",
    "lead", "margin_of_error", "support", "oppose", "neutral", "answers_total", "repair",
)  # fmt: skip


def _outcomes(text: str, article_format: str) -> dict[int, tuple] | str:
    """Each data row's outcome after normalize: poll values, event, skip or rejection check."""
    try:
        article = parse_article_text(text, "t", article_format=article_format)
    except ArticleError:
        return "refused"
    normalized = normalize_article(article)
    outcomes: dict[int, tuple] = {}
    for poll in normalized.polls:
        outcomes[poll["row_index"]] = ("poll", *(poll[key] for key in _POLL_VALUES))
    for event in normalized.events:
        outcomes[event["row_index"]] = ("event", event["event_date"], event["description"])
    for skipped in normalized.skipped:
        outcomes[skipped["row_index"]] = ("skipped", skipped["reason"])
    for rejected in normalized.rejected:
        outcomes[rejected["row_index"]] = ("rejected", rejected["check_name"])
    kinds = {table["kind"] for table in normalized.tables}
    return {"kinds": tuple(sorted(kinds)), **outcomes}


def check_forms_agree(table: tuple[list[str], list[list[str]]]) -> None:
    """The same plain table, flattened or in wikitext, gives the same polls, events, skips and
    rejections row by row."""
    flattened, wikitext = _both_forms(*table)
    assert _outcomes(flattened, "flattened") == _outcomes(wikitext, "wikitext"), (
        flattened,
        wikitext,
    )


# --- property 3: random wikitext fragments --------------------------------------------------------

_WIKI_FIXED = (
    "{|", '{| class="wikitable sortable"', "|-", '|- class="sortbottom"', "|}", "|+ Polls 2023",
    "! Date !! Pollster !! Yes !! No", "| 5 March 2023 || NSPM || 40% || 50%", "== Heading ==",
    "=== 2023 ===", "= Title =", "<pre>", "</pre>", "<!--", "-->", "<nowiki>", "</nowiki>", "{{",
    "}}", "{{Episode list", "|}}", ":{|", "::{|", "|| x", "!! y", "", " ", "|", "!", "<ref>",
    "</ref>", "{{opdrts|4|14|Mar|2022|year}}", "[[", "]]", "|-\n|", "\x00",
)  # fmt: skip
_SPAN_VALUES = st.one_of(
    st.integers(-2, 6).map(str),
    st.sampled_from(('"3"', "'2'", "0", "abc", "3px", "", "1000", "1001", "65534", "9" * 25, "-1")),
)


@st.composite
def wiki_cells(draw) -> str:
    attributes = []
    for name in ("rowspan", "colspan"):
        if draw(st.integers(0, 2)) == 0:
            attributes.append(f"{name}={draw(_SPAN_VALUES)}")
    if draw(st.integers(0, 4)) == 0:
        attributes.append(
            draw(st.sampled_from(('style="x"', 'data-sort-value="2023-03-05"', "class=a")))
        )
    content = draw(cell_strings()).replace("\n", " ")
    return (" ".join(attributes) + " | " if attributes else " ") + content


@st.composite
def wiki_lines(draw) -> str:
    kind = draw(st.integers(0, 9))
    if kind <= 3:
        return draw(st.sampled_from(_WIKI_FIXED))
    if kind <= 7:
        marker = draw(st.sampled_from(("|", "|", "!", "|+")))
        separator = " !! " if marker == "!" and draw(st.booleans()) else " || "
        return marker + separator.join(draw(st.lists(wiki_cells(), min_size=1, max_size=5)))
    if kind == 8:
        return draw(st.sampled_from(("|", "!", "x", "[[", "{{"))) * draw(st.integers(500, 8_000))
    return draw(cell_strings())


@st.composite
def wikitext_fragments(draw) -> str:
    return "\n".join(draw(st.lists(wiki_lines(), max_size=30)))


def _grid_cells(article) -> int:
    return sum(len(row.cells) for table in article.tables for row in table.rows)


def check_wikitext(text: str) -> None:
    """An Article or ArticleError (for a NUL only), fast, with a grid of Cells whose copies say
    where they come from."""
    started = time.perf_counter()
    try:
        article = parse_wikitext_article(text, "fuzz.wiki", "0" * 64)
    except ArticleError:
        assert "\x00" in text
        return
    elapsed = time.perf_counter() - started
    assert "\x00" not in text
    assert elapsed < WIKITEXT_SECONDS, elapsed
    # A span copies a cell at most MAX_COLSPAN times a row: the grid grows with the text.
    assert _grid_cells(article) <= MAX_COLSPAN * max(len(text), 1), _grid_cells(article)
    line_count = text.count("\n") + 1
    assert [table.table_index for table in article.tables] == list(
        range(1, len(article.tables) + 1)
    )
    for table in article.tables:
        assert all(isinstance(label, str) for label in table.header)
        assert [row.row_index for row in table.rows] == list(range(1, len(table.rows) + 1))
        seen_sources: set[int] = set()
        for position, row in enumerate(table.rows):
            assert 1 <= row.line <= line_count
            assert row.raw_text in text
            for column, cell in enumerate(row.cells):
                assert isinstance(cell, Cell), cell
                assert cell.origin in ("source", "rowspan", "colspan"), cell.origin
                assert "\x00" not in cell.text
                if cell.raw:
                    assert cell.raw in text, cell.raw
                if cell.origin == "source" and (cell.raw or cell.text):
                    assert id(cell) not in seen_sources, "a written cell placed twice"
                    seen_sources.add(id(cell))
                elif cell.origin == "colspan":  # a copy to the right of its cell, same row
                    assert any(
                        other.origin == "source" and other.raw == cell.raw
                        for other in row.cells[:column]
                    ), (row.row_index, column, cell)
                elif cell.origin == "rowspan":  # a copy below its cell (or below the header)
                    assert any(
                        other.origin == "source" and other.raw == cell.raw
                        for earlier in table.rows[:position]
                        for other in earlier.cells[: column + 1]
                    ) or any(cell.text in label for label in table.header), (
                        row.row_index,
                        column,
                        cell,
                    )


# --- property 4: the sample with whitespace added in its cells ------------------------------------

_PAD = st.text(
    st.sampled_from((" ", "\t", "\u00a0", "\u2009", "\u202f", "\u2003", "\u3000", "\x0b", "\x0c")),
    max_size=4,
)


@st.composite
def padded_sample(draw) -> str:
    lines = SAMPLE.read_text(encoding="utf-8").split("\n")
    out = []
    for line in lines:
        if not line.startswith("|"):
            out.append(line)
            continue
        cells = line.strip().strip("|").split("|")
        padded = []
        for cell in cells:
            content = cell.strip()
            words = content.split(" ")
            content = "".join(
                word + (draw(_PAD) + " " if index < len(words) - 1 else "")
                for index, word in enumerate(words)
            )
            if content.endswith("%") and draw(st.booleans()):
                content = content[:-1] + draw(_PAD) + "%"
            padded.append(draw(_PAD) + content + draw(_PAD))
        padded += [draw(_PAD) for _ in range(draw(st.integers(0, 3)))]
        out.append("|" + "|".join(padded) + "|" + draw(_PAD))
    return "\n".join(out)


def _sample_outcome(text: str) -> tuple[list, list, int, int]:
    frames = validate_batch([normalize_article(parse_article_text(text, "sample.txt"))], RUN).frames
    poll_columns = [
        "row_index", "date_text", "fieldwork_start", "fieldwork_end", "date_precision",
        "pollster", "client", "sample_size", "lead", "support", "oppose", "neutral", "repair",
    ]  # fmt: skip
    event_columns = [
        "table_index",
        "row_index",
        "event_date",
        "event_end",
        "date_text",
        "description",
    ]
    polls = (
        frames["polls"][poll_columns]
        .astype(object)
        .where(frames["polls"][poll_columns].notna(), None)
    )
    events = frames["events"][event_columns].astype(object)
    records = polls.to_dict("records")
    for record in records:  # its wording names the header's columns, which trailing cells extend
        record["repair"] = record["repair"] is not None
    return (
        records,
        events.to_dict("records"),
        len(frames["rejected_rows"]),
        len(frames["skipped_rows"]),
    )


_SAMPLE_BASELINE: list = []


def check_sample_roundtrip(text: str) -> None:
    if not _SAMPLE_BASELINE:
        _SAMPLE_BASELINE.append(_sample_outcome(SAMPLE.read_text(encoding="utf-8")))
    polls, events, rejected, skipped = _sample_outcome(text)
    base_polls, base_events, _, _ = _SAMPLE_BASELINE[0]
    assert (len(polls), len(events), rejected, skipped) == (9, 6, 0, 0)
    assert polls == base_polls
    assert events == base_events


# --- the tests ------------------------------------------------------------------------------------


@fuzz_settings(EXAMPLES)
@given(text=cell_strings())
@example(text="84,6%")
@example(text="٨٤٫٦%")
@example(text="1\u00a0228")
@example(text="999.5%")
def test_value_parsers_return_the_number_written_or_refuse(text: str) -> None:
    check_value_parsers(text)


@fuzz_settings(EXAMPLES)
@given(spelled=canonical_shares())
def test_every_share_written_plainly_is_read(spelled: tuple[str, Decimal]) -> None:
    check_share_spelling(spelled)


@fuzz_settings(EXAMPLES)
@given(spelled=canonical_counts())
def test_every_count_written_plainly_is_read(spelled: tuple[str, int]) -> None:
    check_count_spelling(spelled)


@fuzz_settings(EXAMPLES)
@given(
    text=st.one_of(date_like_texts(), cell_strings()),
    default_year=st.one_of(st.none(), st.integers(1, 9999)),
)
@example(text="30 December – 3 January", default_year=1)
@example(text="31 December 9999 – 1 January", default_year=9999)
def test_dates_read_as_a_span_or_refuse(text: str, default_year: int | None) -> None:
    check_dates(text, default_year)


@fuzz_settings(EXAMPLES)
@given(written=valid_dates())
def test_every_documented_date_form_reads_exactly(written: tuple[str, date, date, str]) -> None:
    check_valid_date(written)


@fuzz_settings(EXAMPLES)
@given(source=cell_strings())
def test_render_cell_raises_only_markup_error(source: str) -> None:
    check_render_cell_general(source)


@fuzz_settings(PIPELINE_EXAMPLES)
@given(text=flattened_articles())
def test_flattened_tables_account_for_every_row(text: str) -> None:
    check_flattened_article(text)


@fuzz_settings(PIPELINE_EXAMPLES)
@given(text=wikitext_articles())
def test_wikitext_tables_account_for_every_row(text: str) -> None:
    check_wikitext_article(text)


@fuzz_settings(EXAMPLES)
@given(table=plain_tables())
# A year marker beside a cell that reads as empty ('n/a'): its year is the year cell's (found by
# CI's long fuzz run; it crashed the timeline reader).
@example(table=(["Event", "Dates conducted"], [["n/a", "1800"]]))
def test_a_table_reads_the_same_flattened_and_in_wikitext(
    table: tuple[list[str], list[list[str]]],
) -> None:
    check_forms_agree(table)


@fuzz_settings(EXAMPLES)
@given(text=wikitext_fragments())
@example(text="{|\n| rowspan=0 colspan=1000 | x\n|-\n| y\n|}")
@example(text="{|\n! colspan=2 | h\n|-\n| rowspan=3 | a || b\n|-\n| c\n")
def test_wikitext_fragments_parse_or_refuse(text: str) -> None:
    check_wikitext(text)


@fuzz_settings(SAMPLE_EXAMPLES)
@given(text=padded_sample())
def test_sample_reads_the_same_with_whitespace_in_its_cells(text: str) -> None:
    check_sample_roundtrip(text)


# --- bugs found here, fixed: regression tests with their minimal failing examples ----------------


@fuzz_settings(10)
@given(
    source=st.builds(
        "{{{{{}|{}}}}}".format,
        st.sampled_from(("dts|2024", "start date|2024", "opdrts")),
        st.lists(st.sampled_from(("3", "7", "March", "²", "2024")), min_size=1, max_size=4).map(
            "|".join
        ),
    )
)
@example(source="{{dts|2024|²}}")
def test_bug_a_template_with_a_superscript_digit(source: str) -> None:
    check_render_cell(source)


@fuzz_settings(10)
@given(source=st.integers(1000, 100_000).map("{{{{percentage|1|3|{}}}}}".format))
@example(source="{{percentage|1|3|1000}}")
def test_bug_b_percentage_with_huge_decimals(source: str) -> None:
    check_render_cell(source)


@fuzz_settings(10)
@given(code=st.integers(0xD800, 0xDFFF), hexadecimal=st.booleans())
@example(code=0xD800, hexadecimal=True)
def test_bug_e_surrogate_entity(code: int, hexadecimal: bool) -> None:
    check_render_cell(f"&#x{code:X};" if hexadecimal else f"&#{code};")


_POLL_HEADER = "| Date | Pollster | Sample size | Yes | No |"


# Once BUG C: dates of years pandas' nanosecond timestamps cannot hold (before 1677-09-22,
# after 2262-04-11) made validate_batch raise for the whole batch. The warehouse's date type
# now holds every year 1..9999, and such rows validate and load like any other.
_YEARS_PANDAS_CANNOT_HOLD = st.one_of(st.integers(1000, 1677), st.integers(2263, 9999))


@fuzz_settings(10)
@given(year=_YEARS_PANDAS_CANNOT_HOLD)
@example(year=1677)
def test_bug_c_poll_dated_outside_pandas_range(year: int) -> None:
    text = f"= T =\n{_POLL_HEADER}\n| March {year} | NSPM | 1000 | 50% | 40% |\n"
    frames = validate_batch([normalize_article(parse_article_text(text, "fuzz.txt"))], RUN).frames
    loaded = frames["polls"]["fieldwork_start"].tolist() + [
        r
        for r in frames["rejected_rows"]["check_name"]  # a year after the run date
    ]
    assert loaded == [date(year, 3, 1)] or loaded == ["not_after_run_date"]


@fuzz_settings(10)
@given(year=_YEARS_PANDAS_CANNOT_HOLD)
@example(year=1066)
def test_bug_c_event_dated_outside_pandas_range(year: int) -> None:
    text = f"= T =\n| Event | Date |\n| Battle | 14 October {year} |\n"
    frames = validate_batch([normalize_article(parse_article_text(text, "fuzz.txt"))], RUN).frames
    assert frames["events"]["event_date"].tolist() == [date(year, 10, 14)]


@fuzz_settings(10)
@given(size=st.integers(2**63, 10**30))
@example(size=2**63)
def test_bug_f_sample_size_beyond_int64(size: int) -> None:
    text = f"= T =\n{_POLL_HEADER}\n| March 2020 | NSPM | {size} | 50% | 40% |\n"
    normalized = normalize_article(parse_article_text(text, "fuzz.txt"))
    rejected = validate_batch([normalized], RUN).frames["rejected_rows"]
    assert set(rejected["check_name"]) <= CHECK_NAMES, set(rejected["check_name"])


_PLAIN_HEADER = ["Date", "Pollster", "Client", "Sample size", "Yes", "No"]


@fuzz_settings(10)
@given(
    table=st.builds(
        lambda extra: (_PLAIN_HEADER, [["March 2023", "NSPM", "HS", "1000", "40%", "50%", extra]]),
        share_cells(),
    )
)
@example(table=(_PLAIN_HEADER, [["March 2023", "NSPM", "HS", "1000", "40%", "50%", "10%"]]))
@example(
    table=(
        _PLAIN_HEADER,
        [
            ["March 2023", "NSPM", "1000", "40%", "50%"],
            ["April 2023", "Ipsos", "HS", "1000", "40%", "50%", ""],
        ],
    )
)
def test_bug_g_a_wide_row_widens_the_wikitext_header(
    table: tuple[list[str], list[list[str]]],
) -> None:
    check_forms_agree(table)


@settings(fuzz_settings(3), phases=[Phase.explicit])  # each example costs seconds
@given(rows=st.integers(80, 100))
@example(rows=80)
def test_bug_d_span_grid_grows_cubically(rows: int) -> None:
    line = "| rowspan=1000 colspan=1000 | x"
    check_wikitext("{|\n" + "\n|-\n".join([line] * rows) + "\n|}")


# --- the properties tests/fuzz.py runs, with the strategies they draw from ------------------------

PROPERTIES = {
    "value_parsers": ({"text": cell_strings()}, check_value_parsers),
    "share_spellings": ({"spelled": canonical_shares()}, check_share_spelling),
    "count_spellings": ({"spelled": canonical_counts()}, check_count_spelling),
    "dates": (
        {
            "text": st.one_of(date_like_texts(), cell_strings()),
            "default_year": st.one_of(st.none(), st.integers(1, 9999)),
        },
        check_dates,
    ),
    "valid_dates": ({"written": valid_dates()}, check_valid_date),
    "render_cell": ({"source": cell_strings()}, check_render_cell_general),
    "flattened_pipeline": ({"text": flattened_articles()}, check_flattened_article),
    "wikitext_pipeline": ({"text": wikitext_articles()}, check_wikitext_article),
    "forms_agree": ({"table": plain_tables()}, check_forms_agree),
    "wikitext": ({"text": wikitext_fragments()}, check_wikitext),
    "sample_roundtrip": ({"text": padded_sample()}, check_sample_roundtrip),
}
