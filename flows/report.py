"""The report: one self-contained HTML page of what the warehouse holds, for people to look at.

`write_report(warehouse, out)` reads the DuckDB warehouse read-only (through
`flows.load.warehouse.connect`, so it waits while a load holds the file) and writes one HTML
file. The header counts what the warehouse holds (articles, polls, events, rejected rows,
warnings), with the latest run on a line below it: a run that changed nothing loaded nothing, and
the page still shows everything the warehouse has. Then per article, ordered by title:
a chart of the answer shares over time, drawn here as inline SVG (one point per answer of a poll
at the middle of its fieldwork, a bar across the fieldwork when the date is only a month or a
year, the polling average of the view `poll_trend` as a line per answer, events as dashed lines);
a second panel of the last two years when the polls span more than three; the events, the polls
with the file and line each came from, and the rows that were rejected or warned about.

What it refuses:
- the network: no CDN, web font, script or image; the page's Content-Security-Policy forbids
  loading anything, so it reads the same offline and from an e-mail attachment;
- markup from the data: every value from the warehouse goes through `html.escape`, titles and
  cells included, because a hand-edited table can hold `<script>` as easily as a number;
- writing: the warehouse is opened read-only and only the output file is written;
- a damaged warehouse: a file cut short or unreadable is a WarehouseError, one line saying what to
  do, never a half page or a traceback;
- guessing: a poll is drawn at the middle of the fieldwork the warehouse recorded, with its span
  when that is a month or a year, never at a made-up day; every poll with a date is drawn. The one
  smoothed thing is the average line, which says its window on the page, comes from a view anyone
  can query, and is broken into a dashed stretch wherever its window held no poll;
- growing with the warehouse: 45,746 polls once made an 83 MB page that took 940 MB to write and
  half a minute to open. Each poll's text is on the page once, in its table row, never repeated
  per point; an article with more polls than its table shows (`rows_shown`) draws its points
  as one path per answer and lists its latest polls, with the `wikipoll query` that gives the
  rest; rejected rows, warnings and skipped rows are capped the same way; and the page is written
  to the file article by article, not built whole in memory.

It needs no Prefect: `python -m flows.report --warehouse FILE --out FILE` runs it.
"""

from __future__ import annotations

import argparse
import html
import itertools
import re
import shlex
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TextIO

import duckdb

from flows.load.connection import WarehouseError, connect, damaged_warehouse
from flows.load.warehouse import VIEWS_SQL
from flows.settings import DEFAULTS

Row = dict[str, Any]

# The polling average: the view `poll_trend` (flows/load/views.sql) computes it, the chart draws
# its rows, and the page states this window. The view holds the same number (its `window_days`
# column); tests/test_report.py fails if the two differ.
TREND_WINDOW_DAYS = 30
TREND_METHOD = (
    f"on each day with a poll, the mean share of the polls of the {TREND_WINDOW_DAYS} days up to "
    f"it, each weighted by (1 − age ÷ {TREND_WINDOW_DAYS} days)"
)

# What the page holds at most per article, so that its size follows the number of articles and
# not the number of polls; the rest is a query away, and the page says which query. Each table
# of an article (its polls, rejected rows, warnings, skipped rows) shows at most ROWS_SHOWN rows:
# the latest polls by end of fieldwork, the first other rows by source line. A page of many
# articles shares PAGE_ROWS among them, down to ROWS_SHOWN_MIN each (see `rows_shown`). An
# article whose polls are not all in its table draws them as one path per answer (lean).
ROWS_SHOWN = 100
ROWS_SHOWN_MIN = 10
PAGE_ROWS = 5_000


def rows_shown(articles: int) -> int:
    """The rows each table of an article shows, on a page of `articles` articles."""
    return max(ROWS_SHOWN_MIN, min(ROWS_SHOWN, PAGE_ROWS // max(articles, 1)))


# The second panel: when an article's polls span more than ZOOM_WHEN_SPAN_DAYS, its last
# ZOOM_MONTHS of polls are drawn again on their own axis, where a dense period can be read.
ZOOM_MONTHS = 24
ZOOM_WHEN_SPAN_DAYS = 3 * 365

# Answer classes keep one colour across articles; any other answer (a party, a candidate) takes
# the next colour of the palette. All are readable on white and tell apart in greyscale by tone.
CLASS_COLOURS = {"support": "#2166ac", "oppose": "#c0392b", "neutral": "#7f8c8d"}
PALETTE = ("#7b3294", "#e08214", "#1b9e77", "#d01c8b", "#4d9221", "#8c510a", "#3f007d", "#01665e")

# Chart geometry, in SVG user units (the SVG scales to the page width).
CHART_WIDTH = 1000
PLOT_LEFT, PLOT_RIGHT = 46, 18
PLOT_HEIGHT = 250
AXIS_HEIGHT = 26
LABEL_SIZE = 11  # the font size of event labels (svg.chart text in the CSS)
LABEL_ROW_HEIGHT = 14
LABEL_GAP = 6  # the least room between two labels of a row
MAX_LABEL_ROWS = 6
MAX_LABEL_CHARS = 40
SHARE_GRID = (0, 25, 50, 75, 100)

# Advance widths of the printable ASCII characters (space to `~`) in hundredths of an em, as
# Chromium measures them in DejaVu Sans, the widest of the fonts the page's font list falls back
# to (and the one a Debian machine draws with). Labels are placed by these widths, so they do
# not overlap in that font and have room to spare in narrower ones.
_ASCII_WIDTHS = (
    32, 41, 46, 84, 64, 96, 78, 28, 40, 40, 50, 84, 32, 37, 32, 34, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 34, 34, 84, 84, 84, 54, 100, 69, 69, 70, 78, 64, 58, 78, 76, 30, 30, 66, 56, 87,
    75, 79, 61, 79, 70, 64, 62, 74, 69, 99, 69, 62, 69, 40, 34, 40, 84, 50, 50, 62, 64, 55, 64,
    62, 36, 64, 64, 28, 28, 58, 28, 98, 64, 62, 64, 64, 42, 53, 40, 64, 60, 82, 60, 60, 53, 64,
    34, 64, 84,
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Point:
    """One answer of one dated poll: what the chart needs, and no more (there may be 150,000)."""

    poll_id: str
    start: int  # the first and last day of fieldwork, as day ordinals (`date.toordinal`)
    end: int
    precision: str
    option: str
    share: float

    @property
    def middle(self) -> float:
        return self.start + (self.end - self.start) / 2


@dataclass
class ArticleReport:
    """What one article contributes to the page, gathered from every table that names it."""

    article_id: str
    title: str
    source_path: str | None = None
    loaded_at: datetime | None = None
    run_id: str | None = None
    last_error: str | None = None  # why the latest read failed: the rows are older
    last_error_at: datetime | None = None
    polls: list[Row] = field(default_factory=list)  # the table's: all, or the latest shown
    results: list[Row] = field(default_factory=list)  # the answers of those polls
    options: list[tuple[str, str | None]] = field(default_factory=list)  # (option, class)
    points: list[Point] = field(default_factory=list)  # every answer of every dated poll
    trend: dict[str, list[tuple[int, float]]] = field(default_factory=dict)  # poll_trend's rows
    warned: set[str] = field(default_factory=set)  # the shown polls with a warning
    events: list[Row] = field(default_factory=list)  # all of them
    rejected: list[Row] = field(default_factory=list)  # the first `rows_shown`
    warnings: list[Row] = field(default_factory=list)
    skipped: list[Row] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # polls, rejected, warnings, skipped

    def count(self, what: str) -> int:
        """How many rows of a kind the warehouse holds, shown on the page or not."""
        return self.counts.get(what, len(getattr(self, what)))


@dataclass
class Warehouse:
    """Everything the page shows: the totals, the latest run, the articles."""

    name: str  # the file's name, as the page shows it
    path: Path  # as given, for the `wikipoll query` commands the page suggests
    totals: dict[str, int] = field(default_factory=dict)
    rows_shown: int = ROWS_SHOWN  # per table of an article
    run: Row | None = None
    articles: list[ArticleReport] = field(default_factory=list)


def write_report(
    warehouse: Path, out: Path, wait_seconds: float = DEFAULTS.lock_wait_seconds
) -> Path:
    """Render the warehouse into one HTML file at `out`; return `out`.

    The file is written next to its final name, article by article, and then moved into place,
    so a reader never sees half a report. A warehouse that cannot be read whole is a
    WarehouseError, one line with what to do, as `connect` refuses a damaged file.
    """
    if not warehouse.is_file():
        raise WarehouseError(f"{warehouse}: no such warehouse file; run `wikipoll run` first")
    con = connect(warehouse, read_only=True, wait_seconds=wait_seconds)
    try:
        data = read_warehouse(con, warehouse)
    except duckdb.Error as error:
        raise damaged_warehouse(warehouse, str(error)) from None
    finally:
        con.close()
        del con  # an exception kept to the process's exit would keep the connection alive
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    try:
        with partial.open("w", encoding="utf-8") as file:
            write_page(file, data)
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    return out


# --- reading ---------------------------------------------------------------------------------


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[object] = ()) -> list[Row]:
    cursor = con.execute(sql, list(params))
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


# Day ordinals (`date.toordinal`) in SQL: the charts place days by number.
_ORDINAL = "({} - DATE '0001-01-01' + 1)"


def read_warehouse(con: duckdb.DuckDBPyConnection, path: Path) -> Warehouse:
    """The totals, the latest run and every article's rows, ordered by title.

    A table that does not exist yet reads as empty: a warehouse no load has reached is a valid,
    empty report, not an error. Only what the page shows is read: every dated answer as a
    `Point`, the average's rows, all events, and of the other rows the capped few.
    """
    present = {
        name
        for (name,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = current_schema()"
        ).fetchall()
    }
    columns = {
        (table, column)
        for table, column in con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() "
            "WHERE schema_name = current_schema()"
        ).fetchall()
    }

    def rows(table: str, sql: str, params: Sequence[object] = ()) -> list[Row]:
        return _rows(con, sql, params) if table in present else []

    def count(table: str, what: str = "*") -> int:
        if table not in present:
            return 0
        return con.execute(f"SELECT count({what}) FROM {table}").fetchone()[0]

    data = Warehouse(name=path.name, path=path)
    data.totals = {
        "articles": count("articles"),
        "polls": count("polls"),
        "events": count("events"),
        "rejected": count("rejected_rows"),
        "warnings": count("quality_warnings"),
        "repaired": count("polls", "repair"),
        "skipped": count("skipped_rows"),
        # A warehouse of schema version 1 (not yet upgraded by a load) has no last_error.
        "stale": count("articles", "last_error") if ("articles", "last_error") in columns else 0,
    }
    data.rows_shown = rows_shown(data.totals["articles"])
    runs = rows(
        "load_runs",
        "SELECT * FROM load_runs ORDER BY finished_at DESC NULLS LAST, started_at DESC, run_id "
        "LIMIT 1",
    )
    data.run = runs[0] if runs else None
    articles: dict[str, ArticleReport] = {}

    def article(row: Row) -> ArticleReport:
        key = row["article_id"]
        if key not in articles:
            title = row.get("article_title") or key
            articles[key] = ArticleReport(article_id=key, title=title)
        return articles[key]

    for row in rows("articles", "SELECT * FROM articles"):
        report = article(row)
        report.title = row["title"] or row["article_id"]
        report.source_path, report.loaded_at = row["source_path"], row["loaded_at"]
        report.run_id = row["run_id"]
        report.last_error, report.last_error_at = row.get("last_error"), row.get("last_error_at")
    for table, what in (("polls", "polls"), ("rejected_rows", "rejected"),
                        ("quality_warnings", "warnings"), ("skipped_rows", "skipped")):  # fmt: skip
        for row in rows(
            table,
            f"SELECT article_id, any_value(article_title) AS article_title, count(*) AS n "
            f"FROM {table} GROUP BY article_id",
        ):
            article(row).counts[what] = row["n"]

    if "polls" in present:
        _read_polls(con, present, article, data.rows_shown)
    for row in rows("events", "SELECT * FROM events ORDER BY event_date, event_end, event_id"):
        article(row).events.append(row)
    for table, what, order in CAPPED_LISTS:
        for row in rows(
            table,
            f"SELECT * FROM {table} QUALIFY row_number() OVER (PARTITION BY article_id "
            f"ORDER BY {order}) <= ? ORDER BY article_id, {order}",
            [data.rows_shown],
        ):
            getattr(article(row), what).append(row)
    data.articles = sorted(
        articles.values(), key=lambda a: (a.title.casefold(), a.title, a.article_id)
    )
    return data


# Which rows a capped list shows (the first in this order) and the query for the rest uses.
CAPPED_LISTS = (
    ("rejected_rows", "rejected",
     "source_line NULLS FIRST, table_index, row_index, check_name, column_name, value"),
    ("quality_warnings", "warnings", "source_line, check_name, column_name, poll_id, value"),
    ("skipped_rows", "skipped", "source_line, table_index, row_index"),
)  # fmt: skip

# The polls a table shows: the latest, by end of fieldwork (then start, then id: a total order,
# so the query for the rest, with OFFSET, gives exactly the ones not shown).
POLL_ORDER = "fieldwork_end DESC, fieldwork_start DESC, poll_id"
SHOWN_POLLS = f"""SELECT * FROM polls
    QUALIFY row_number() OVER (PARTITION BY article_id ORDER BY {POLL_ORDER}) <= {{limit}}"""


def _read_polls(con: duckdb.DuckDBPyConnection, present: set[str], article, limit: int) -> None:
    """The shown polls and their answers, every dated answer as a Point, the average's rows."""
    shown = SHOWN_POLLS.format(limit=int(limit))
    for row in _rows(con, f"SELECT * FROM ({shown}) ORDER BY table_index, row_index, poll_id"):
        article(row).polls.append(row)
    if "poll_results" not in present:
        return
    for row in _rows(
        con,
        f"""SELECT r.*, p.article_id, p.article_title
            FROM poll_results AS r JOIN ({shown}) AS p USING (poll_id)
            ORDER BY p.table_index, r.column_index, r.option, r.poll_id""",
    ):
        article(row).results.append(row)
    # One series per answer option, in the order its column first comes in the source tables.
    for row in _rows(
        con,
        """SELECT p.article_id, p.article_title, r.option, r.answer_class
           FROM poll_results AS r JOIN polls AS p USING (poll_id)
           QUALIFY row_number() OVER (
               PARTITION BY p.article_id, r.option ORDER BY p.table_index, r.column_index, r.poll_id
           ) = 1
           ORDER BY p.article_id, p.table_index, r.column_index, r.option""",
    ):
        article(row).options.append((row["option"], row["answer_class"]))
    warned = (
        _rows(
            con,
            f"""SELECT DISTINCT w.poll_id, p.article_id FROM quality_warnings AS w
                JOIN ({shown}) AS p USING (poll_id)""",
        )
        if "quality_warnings" in present
        else []
    )
    for row in warned:
        article(row).warned.add(row["poll_id"])
    start, end = _ORDINAL.format("p.fieldwork_start"), _ORDINAL.format("p.fieldwork_end")
    cursor = con.execute(
        f"""SELECT p.article_id, p.poll_id, {start}, {end}, p.date_precision, r.option, r.share
            FROM polls AS p JOIN poll_results AS r USING (poll_id)
            WHERE r.share IS NOT NULL AND p.fieldwork_start IS NOT NULL
              AND p.fieldwork_end IS NOT NULL
            ORDER BY p.article_id, {start} + {end}, p.poll_id, r.column_index, r.option"""
    )
    while batch := cursor.fetchmany(50_000):
        for article_id, group in itertools.groupby(batch, key=lambda values: values[0]):
            points = article({"article_id": article_id}).points
            points.extend(Point(*values[1:]) for values in group)
    for article_id, option, day, share in _trend_rows(con):
        article({"article_id": article_id}).trend.setdefault(option, []).append((day, share))


def _trend_rows(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """poll_trend's rows: (article, option, day ordinal, average share), by article, option, day.

    A warehouse last loaded by an older wikipoll has no such view, and the report may not create
    one in it (it reads only): the view's own definition from flows/load/views.sql then runs as a
    temporary view of this connection, the same SQL the next load will store.
    """
    views = {name for (name,) in con.execute("SELECT view_name FROM duckdb_views()").fetchall()}
    if "poll_answers" not in views:
        return []
    if "poll_trend" not in views:
        definition = re.search(
            r"CREATE OR REPLACE VIEW poll_trend AS(.*?);",
            VIEWS_SQL.read_text(encoding="utf-8"),
            re.DOTALL,
        )
        if definition is None:
            return []
        con.execute(f"CREATE TEMPORARY VIEW poll_trend AS {definition.group(1)}")
    return con.execute(
        f"SELECT article_id, option, {_ORDINAL.format('day')}, average_share FROM poll_trend "
        "WHERE average_share IS NOT NULL ORDER BY article_id, option, day"
    ).fetchall()


# --- small formatting helpers ------------------------------------------------------------------


def esc(value: object) -> str:
    """Every value from the warehouse reaches the page through here."""
    return html.escape("" if value is None else str(value), quote=True)


def _number(value: float | None, suffix: str = "") -> str:
    return "" if value is None else f"{value:g}{suffix}"


def _count(value: int | None) -> str:
    return _missing() if value is None else esc(f"{value:,}")


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'s' * (n != 1)}"


def _missing() -> str:
    return '<span class="none">–</span>'


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "x"


class _Ids:
    """Unique HTML ids from warehouse keys, so a URL fragment can point at a row."""

    def __init__(self) -> None:
        self.used: set[str] = set()
        self.by_key: dict[tuple[str, str], str] = {}

    def get(self, prefix: str, key: str) -> str:
        if (prefix, key) not in self.by_key:
            base = candidate = f"{prefix}-{_slug(key)}"
            n = 2
            while candidate in self.used:
                candidate, n = f"{base}-{n}", n + 1
            self.used.add(candidate)
            self.by_key[prefix, key] = candidate
        return self.by_key[prefix, key]


def _text_width(text: str, size: float = LABEL_SIZE) -> float:
    """The width of `text` at `size` in the widest font the page may be drawn with (see
    `_ASCII_WIDTHS`); any other character counts as wide as an M, a CJK one as a square."""
    width = 0.0
    for ch in text:
        code = ord(ch)
        if 32 <= code < 127:
            width += _ASCII_WIDTHS[code - 32] / 100
        elif unicodedata.combining(ch):
            continue
        elif unicodedata.east_asian_width(ch) in "WF":
            width += 1.0
        else:
            width += 0.88  # a wide Latin, Greek or Cyrillic letter (Ж is 1.08; most are less)
    return width * size


def _shorten(text: str, limit: int = MAX_LABEL_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _where(row: Row) -> str:
    """`file:line`, or just the file when the whole file was refused."""
    line = row.get("source_line")
    return f"{row.get('source_path') or ''}{'' if line is None else f':{line}'}"


def _shell_quote(text: str) -> str:
    """`text` as one shell word: in double quotes, which read best around SQL with its single
    quotes; in single quotes when it holds a `!`, which an interactive shell expands even in
    double quotes."""
    if "!" in text:
        return shlex.quote(text)
    return '"' + re.sub(r'([\\"$`])', r"\\\1", text) + '"'


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def query_command(warehouse: Path, sql: str) -> str:
    """The `wikipoll query` command line that runs `sql` on this warehouse."""
    words = ["wikipoll", "query"]
    if warehouse != DEFAULTS.warehouse:
        words += ["--warehouse", shlex.quote(str(warehouse))]
    return " ".join([*words, _shell_quote(sql)])


# --- the chart ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Series:
    option: str
    colour: str


def _series(options: Sequence[tuple[str, str | None]]) -> list[_Series]:
    """One series per answer option, in the order the columns come in the source tables."""
    series: list[_Series] = []
    used: set[str] = set()
    for option, answer_class in options:
        if any(s.option == option for s in series):
            continue
        colour = CLASS_COLOURS.get(answer_class or "")
        if colour is None or colour in used:
            free = [c for c in PALETTE if c not in used]
            # More answers than colours (a many-party poll): colours repeat, the legend and the
            # tooltips still name each series.
            colour = free[0] if free else PALETTE[len(series) % len(PALETTE)]
        used.add(colour)
        series.append(_Series(option, colour))
    return series


@dataclass(frozen=True)
class _Axes:
    """Maps days and shares to SVG coordinates, over the days [start, end), never empty."""

    start: int  # day ordinals; end may be one past 31 December 9999
    end: int
    top: float

    @property
    def bottom(self) -> float:
        return self.top + PLOT_HEIGHT

    def x(self, day: float) -> float:
        width = CHART_WIDTH - PLOT_LEFT - PLOT_RIGHT
        return PLOT_LEFT + (day - self.start) / (self.end - self.start) * width

    def y(self, share: float) -> float:
        return self.bottom - min(max(share, 0.0), 100.0) / 100 * PLOT_HEIGHT


def _new_year(year: int) -> int:
    """The day number of 1 January of `year`; of 1 January 10000 too, which `date` cannot hold
    but which ends the axis of an event in 9999."""
    if year == date.max.year + 1:
        return date.max.toordinal() + 1
    return date(year, 1, 1).toordinal()


def _add_months(day: date, months: int) -> date:
    """The first of the month `months` after (or before) `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _year_ticks(first: int, last: int) -> list[int]:
    span = last - first
    steps = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000)
    step = next((s for s in steps if span / s <= 12), steps[-1])
    return [year for year in range(first, min(last, date.max.year) + 1) if year % step == 0]


def _ticks(axes: _Axes) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """Year ticks, and quarter ticks when the axis spans two years or less; the first quarter
    tick names its year too when the axis does not start on 1 January."""
    first_day = date.fromordinal(axes.start)
    first = first_day.year + (first_day != date(first_day.year, 1, 1))
    last = date.max.year + 1 if axes.end > date.max.toordinal() else date.fromordinal(axes.end).year
    years = [(_new_year(y), str(y)) for y in _year_ticks(first, last)]
    quarters: list[tuple[int, str]] = []
    if axes.end - axes.start <= 800:
        month = _add_months(first_day, 0 if first_day.day == 1 else 1)
        while month.toordinal() < axes.end and month.year <= date.max.year:
            if month.month in (4, 7, 10):
                label = f"{month:%b}" if quarters or first_day.month == 1 else f"{month:%b %Y}"
                quarters.append((month.toordinal(), label))
            if month.year == date.max.year and month.month == 12:
                break
            month = _add_months(month, 1)
    return years, quarters


def _place_labels(events: Sequence[Row], x_of: dict[str, float]) -> dict[str, tuple[int, str]]:
    """Put each event label in the first row where it overlaps no other: (row, text-anchor).

    Widths are those of the widest font the page may use (`_text_width`), with LABEL_GAP
    between labels. A label that fits in no row, or not inside the chart, is left out of the
    chart: its line keeps a tooltip, and every event is in the table under the chart.
    """
    taken: list[list[tuple[float, float]]] = [[] for _ in range(MAX_LABEL_ROWS)]
    placed: dict[str, tuple[int, str]] = {}
    for event in events:
        x = x_of[event["event_id"]]
        width = _text_width(_shorten(event["description"]))
        if x + 4 + width <= CHART_WIDTH - 2:
            anchor, span = "start", (x + 4, x + 4 + width)
        elif x - 4 - width >= 2:
            anchor, span = "end", (x - 4 - width, x - 4)
        else:
            continue
        for row, spans in enumerate(taken):
            if all(span[1] + LABEL_GAP <= a or span[0] >= b + LABEL_GAP for a, b in spans):
                spans.append(span)
                placed[event["event_id"]] = (row, anchor)
                break
    return placed


def _chart_days(article: ArticleReport) -> list[int]:
    days = [p.start for p in article.points] + [p.end for p in article.points]
    for e in article.events:
        if e["event_date"]:
            days += [e["event_date"].toordinal(), (e["event_end"] or e["event_date"]).toordinal()]
    return days


def _zoom_domain(article: ArticleReport) -> tuple[int, int] | None:
    """The days of the second panel, the last ZOOM_MONTHS of polls to the end of the month of
    the last one; None when the polls span ZOOM_WHEN_SPAN_DAYS or less."""
    if not article.points:
        return None
    first = min(p.start for p in article.points)
    last = max(p.end for p in article.points)
    if last - first <= ZOOM_WHEN_SPAN_DAYS:
        return None
    last_day = date.fromordinal(last)
    if last_day.year == date.max.year and last_day.month == 12:
        end = date.max.toordinal() + 1
        start = _add_months(last_day, 1 - ZOOM_MONTHS).toordinal()
    else:
        end_month = _add_months(last_day, 1)
        end, start = end_month.toordinal(), _add_months(end_month, -ZOOM_MONTHS).toordinal()
    return start, end


@dataclass(frozen=True)
class _Panel:
    svg: str
    events: int  # events drawn
    labelled: int  # of which with a label
    lean: bool  # points drawn as paths, without links


def chart_svg(article: ArticleReport, series: Sequence[_Series], ids: _Ids) -> str:
    """The inline SVG chart of one article; empty when it has neither a poll nor an event."""
    panel = _main_panel(article, series, ids)
    return panel.svg if panel else ""


def _main_panel(article: ArticleReport, series: Sequence[_Series], ids: _Ids) -> _Panel | None:
    """Every poll and event, over whole years."""
    days = _chart_days(article)
    if not days:
        return None
    first = date.fromordinal(min(days)).year
    last = date.fromordinal(min(max(days), date.max.toordinal())).year + 1
    return _panel(
        article, series, ids, _new_year(first), _new_year(last),
        title=f"Answer shares over time: {article.title}", css="chart",
        window=_zoom_domain(article),
    )  # fmt: skip


def zoom_svg(article: ArticleReport, series: Sequence[_Series], ids: _Ids) -> str:
    """The second panel: the last ZOOM_MONTHS of polls, or empty (see `_zoom_domain`)."""
    domain = _zoom_domain(article)
    if domain is None:
        return ""
    start, end = domain
    span = f"{date.fromordinal(start):%B %Y} to {date.fromordinal(end - 1):%B %Y}"
    return _panel(
        article, series, ids, start, end,
        title=f"The last {ZOOM_MONTHS} months, {span}: {article.title}", css="chart zoom",
        window=None,
    ).svg  # fmt: skip


def _panel(
    article: ArticleReport,
    series: Sequence[_Series],
    ids: _Ids,
    start: int,
    end: int,
    *,
    title: str,
    css: str,
    window: tuple[int, int] | None,
) -> _Panel:
    """One panel over the days [start, end): grid, axis, events, points, average lines.

    `window`, on the full panel, shades the days the second panel shows.
    """
    events = [
        e for e in article.events if e["event_date"] and start <= e["event_date"].toordinal() < end
    ]
    provisional = _Axes(start, end, top=0)
    x_of = {e["event_id"]: provisional.x(e["event_date"].toordinal()) for e in events}
    labels = _place_labels(events, x_of)
    label_rows = max((row for row, _ in labels.values()), default=-1) + 1
    axes = _Axes(start, end, top=14 + label_rows * LABEL_ROW_HEIGHT)
    height = axes.bottom + AXIS_HEIGHT
    left, right = PLOT_LEFT, CHART_WIDTH - PLOT_RIGHT
    points = [p for p in article.points if start <= p.middle < end]
    shown = {p["poll_id"]: p for p in article.polls}
    linked = all(p.poll_id in shown for p in points)
    parts = [
        f'<svg class="{css}{"" if linked else " lean"}" viewBox="0 0 {CHART_WIDTH} {height:g}" '
        f'role="img" aria-label="{esc(title)}" xmlns="http://www.w3.org/2000/svg" '
        f'data-events="{len(events)}" data-labelled="{len(labels)}">',
        f"<title>{esc(title)}</title>",
        '<g class="grid">',
    ]
    for share in SHARE_GRID:
        y = axes.y(share)
        parts.append(f'<line x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{share}%</text>')
    parts.append("</g>")
    parts.append('<g class="axis">')
    parts.append(f'<line x1="{left}" x2="{right}" y1="{axes.bottom}" y2="{axes.bottom}"/>')
    years, quarters = _ticks(axes)
    for day, label in years:
        x = axes.x(day)
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{axes.bottom}" y2="{axes.bottom + 5}"/>')
        parts.append(
            f'<text x="{x:.1f}" y="{axes.bottom + 18}" text-anchor="middle">{label}</text>'
        )
    for day, label in quarters:
        x = axes.x(day)
        parts.append(
            f'<line class="minor" x1="{x:.1f}" x2="{x:.1f}" y1="{axes.bottom}" '
            f'y2="{axes.bottom + 3}"/><text class="minor" x="{x:.1f}" '
            f'y="{axes.bottom + 18}" text-anchor="middle">{label}</text>'
        )
    parts.append("</g>")
    if window is not None:
        x1, x2 = axes.x(window[0]), axes.x(window[1])
        parts.append(
            f'<rect class="zoom-window" x="{x1:.1f}" y="{axes.top}" width="{x2 - x1:.1f}" '
            f'height="{PLOT_HEIGHT}"><title>The days drawn again below</title></rect>'
        )

    for event in events:
        parts.append(_event(axes, event, labels.get(event["event_id"])))
    colours = {s.option: s.colour for s in series}
    if linked:
        ordered = sorted(points, key=lambda p: (p.middle, p.poll_id))
        for poll_id, answers in itertools.groupby(ordered, key=lambda p: p.poll_id):
            href = "#" + ids.get("poll", poll_id)
            parts.append(_linked_poll(axes, shown[poll_id], list(answers), colours, href))
    else:
        parts.extend(_lean_points(axes, points, series))
    parts.extend(_trend_paths(axes, article.trend, series))
    parts.append("</svg>")
    return _Panel("\n".join(parts), len(events), len(labels), not linked)


def _event(axes: _Axes, event: Row, label: tuple[int, str] | None) -> str:
    """One event: a dashed line, its span shaded when its date is a month or a year, its label
    when it got a place, and a tooltip in any case."""
    x = axes.x(event["event_date"].toordinal())
    row, anchor = label if label else (None, "start")
    top = axes.top if row is None else 12 + row * LABEL_ROW_HEIGHT - 9
    tip = f"{event['date_text']}: {event['description']} ({_where(event)})"
    parts = [
        f'<g class="event{"" if label else " unlabelled"}" '
        f'data-event-id="{esc(event["event_id"])}">',
        f"<title>{esc(tip)}</title>",
    ]
    end = event["event_end"] or event["event_date"]
    if event["date_precision"] != "day" and end > event["event_date"]:
        x_end = axes.x(min(end.toordinal() + 1, axes.end))
        parts.append(
            f'<rect class="event-span" x="{x:.1f}" y="{axes.top}" width="{x_end - x:.1f}" '
            f'height="{PLOT_HEIGHT}"/>'
        )
    parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top:.1f}" y2="{axes.bottom}"/>')
    if row is not None:
        tx = x + 4 if anchor == "start" else x - 4
        parts.append(
            f'<text x="{tx:.1f}" y="{12 + row * LABEL_ROW_HEIGHT}" text-anchor="{anchor}">'
            f"{esc(_shorten(event['description']))}</text>"
        )
    parts.append("</g>")
    return "".join(parts)


def _linked_poll(
    axes: _Axes, poll: Row, answers: Sequence[Point], colours: dict[str, str], href: str
) -> str:
    """One poll, when every poll of the chart has its row on the page: a link to that row, a
    tooltip with the poll, and per answer a dot at the fieldwork's middle (hollow, with a bar
    across the fieldwork, when the date is only a month or a year)."""
    first = answers[0]
    start, end = date.fromordinal(first.start), date.fromordinal(first.end)
    who = poll["pollster"] or "no pollster"
    if poll["client"]:
        who += f" for {poll['client']}"
    sample = f", n = {poll['sample_size']:,}" if poll["sample_size"] is not None else ""
    lines = [f"{a.option}: {a.share:g}%" for a in answers]
    lines += [who, f"{poll['date_text']} ({start} – {end}, {first.precision}{sample})"]
    parts = [
        f'<a href="{esc(href)}"><g class="point {esc(first.precision)}" '
        f'data-poll-id="{esc(first.poll_id)}"><title>{esc(chr(10).join(lines))}</title>'
    ]
    x = axes.x(first.middle)
    imprecise = first.precision in ("month", "year")
    for answer in answers:
        y, colour = axes.y(answer.share), colours.get(answer.option, "#52606d")
        option = esc(answer.option)
        if imprecise:
            x1, x2 = axes.x(max(first.start, axes.start)), axes.x(min(first.end, axes.end))
            parts.append(
                f'<path class="span" stroke="{colour}" d="M{x1:.1f} {y - 3:.1f}v6M{x1:.1f} '
                f'{y:.1f}H{x2:.1f}M{x2:.1f} {y - 3:.1f}v6"/>'
            )
            # Hollow: the date is a month or a year; at a decade's scale a month's bar is
            # shorter than the dot, so the ring says it when the bar cannot.
            parts.append(
                f'<circle class="ring" cx="{x:.1f}" cy="{y:.1f}" r="3.4" stroke="{colour}" '
                f'data-option="{option}"/>'
            )
        else:
            parts.append(
                f'<circle class="dot" cx="{x:.1f}" cy="{y:.1f}" r="3.6" fill="{colour}" '
                f'data-option="{option}"/>'
            )
    parts.append("</g></a>")
    return "".join(parts)


def _half(value: float) -> str:
    """A coordinate to the nearest half unit, as short as it writes."""
    return f"{round(value * 2) / 2:g}"


def _lean_points(axes: _Axes, points: Sequence[Point], series: Sequence[_Series]) -> list[str]:
    """Every answer as a dot in one path per series (a zero-length stroke with round caps), the
    month- and year-precise ones hollow with their bar: a handful of elements for any number of
    polls. Coordinates are rounded to half a unit (a tenth of a dot), and a dot that falls where
    one of its series already is is not written twice."""
    parts = []
    for s in series:
        dots: dict[str, None] = {}
        rings: dict[str, None] = {}
        spans: dict[str, None] = {}
        for p in points:
            if p.option != s.option:
                continue
            x, y = _half(axes.x(p.middle)), _half(axes.y(p.share))
            if p.precision in ("month", "year"):
                rings[f"M{x} {y}h0"] = None
                x1, x2 = axes.x(max(p.start, axes.start)), axes.x(min(p.end, axes.end))
                spans[f"M{_half(x1)} {y}H{_half(x2)}"] = None
            else:
                dots[f"M{x} {y}h0"] = None
        if not dots and not rings:
            continue
        parts.append(f'<g class="dots" stroke="{s.colour}" data-option="{esc(s.option)}">')
        if dots:
            parts.append(f'<path class="dot" d="{"".join(dots)}"/>')
        if rings:
            parts.append(f'<path class="span" d="{"".join(spans)}"/>')
            ring = "".join(rings)
            parts.append(f'<path class="ring" d="{ring}"/><path class="hole" d="{ring}"/>')
        parts.append("</g>")
    return parts


def _trend_paths(
    axes: _Axes, trend: dict[str, list[tuple[int, float]]], series: Sequence[_Series]
) -> list[str]:
    """The polling average of each series, from poll_trend's rows, as they are: solid where
    two days with a poll are within the window, dashed across a longer gap (no average is
    defined there; the dashes only join the two sides). A vertex less than a unit (a thousandth
    of the width) after the last one drawn is skipped, so a line has at most a thousand, however
    many days it spans; the first and last of each solid run are always drawn."""
    parts = []
    for s in series:
        rows = [
            (day, share) for day, share in trend.get(s.option, ()) if axes.start <= day < axes.end
        ]
        if len(rows) < 2:
            continue
        solid: list[str] = []
        gaps: list[str] = []
        last_x, previous = 0.0, ""
        for index, (day, share) in enumerate(rows):
            x, y = axes.x(day), axes.y(share)
            vertex = f"{x:.1f} {y:.1f}"
            gap_before = index > 0 and day - rows[index - 1][0] > TREND_WINDOW_DAYS
            gap_after = index + 1 == len(rows) or rows[index + 1][0] - day > TREND_WINDOW_DAYS
            if index == 0 or gap_before:
                if gap_before:
                    gaps.append(f"M{previous} {vertex}")
                solid.append(f"M{vertex}")
            elif x - last_x >= 1 or gap_after:  # a run's last vertex is always drawn
                solid.append(f" {vertex}")
            else:
                continue  # within a unit of the last vertex drawn
            last_x, previous = x, vertex
        option = esc(s.option)
        if gaps:
            parts.append(
                f'<path class="trend gap" stroke="{s.colour}" d="{"".join(gaps)}" '
                f'data-option="{option}"/>'
            )
        parts.append(
            f'<path class="trend" stroke="{s.colour}" d="{"".join(solid)}" data-option="{option}"/>'
        )
    return parts


def legend_html(
    series: Sequence[_Series], precisions: set[str], events: tuple[int, int], lean: bool
) -> str:
    """The series' colours, then what a dot, a bar, a line and a dashed line mean."""
    items = [
        f'<li><svg width="12" height="12" aria-hidden="true"><circle cx="6" cy="6" r="4.5" '
        f'fill="{s.colour}"/></svg>{esc(s.option)}</li>'
        for s in series
    ]
    keys = []
    if "day" in precisions:
        keys.append(
            '<li><svg width="14" height="12" aria-hidden="true"><circle cx="7" cy="6" r="3.6" '
            'class="key"/></svg>fieldwork dates given to the day</li>'
        )
    if precisions & {"month", "year"}:
        keys.append(
            '<li><svg width="26" height="12" aria-hidden="true"><path class="key-span" '
            'd="M2 3v6M2 6H24M24 3v6"/><circle cx="13" cy="6" r="3.4" class="key-ring"/></svg>'
            "only the month or year given: the bar spans it</li>"
        )
    if series and precisions:
        keys.append(
            '<li><svg width="26" height="12" aria-hidden="true"><path class="key-trend" '
            f'd="M1 6H25"/></svg><span>polling average (view <code>poll_trend</code>): '
            f"{esc(TREND_METHOD)}; dashed across a gap of more than {TREND_WINDOW_DAYS} days "
            "without a poll</span></li>"
        )
    total, labelled = events
    if total:
        named = "labelled" if labelled == total else f"{labelled} of {total} labelled; hover a line"
        keys.append(
            '<li><svg width="10" height="14" aria-hidden="true"><line x1="5" x2="5" y1="0" '
            f'y2="14" class="key-event"/></svg>event ({esc(named)}; all are listed under '
            "Events)</li>"
        )
    if lean:
        hint = (
            '<p class="hint">Each poll is drawn at the middle of its fieldwork. Too many polls to '
            "point at one by one: each dot is an answer of a poll, the table lists the latest.</p>"
        )
    else:
        hint = (
            '<p class="hint">Each poll is drawn at the middle of its fieldwork. '
            "Hover a point for the poll; click it to go to its row.</p>"
        )
    return (
        f'<ul class="legend">{"".join(items)}</ul>'
        + (f'<ul class="keys">{"".join(keys)}</ul>' if keys else "")
        + (hint if series and precisions else "")
    )


# --- tables ------------------------------------------------------------------------------------


def _table(headers: Iterable[str], rows: Iterable[str], css: str) -> str:
    head = "".join(headers)
    return (
        f'<div class="scroll"><table class="{css}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _capped(shown: int, total: int, what: str, order: str, command: str) -> str:
    """The line under a capped table: how many are shown, of how many, and the query for the
    rest."""
    if shown >= total:
        return ""
    return (
        f'<p class="capped">{esc(_plural(total - shown, what))} more, not shown here '
        f"({esc(order)}); "
        f'the rest: <code class="query">{esc(command)}</code></p>'
    )


def polls_table(
    article: ArticleReport, series: Sequence[_Series], ids: _Ids, warehouse: Path
) -> str:
    """The polls as in the source table, each row with its source line and a link to itself;
    the latest `rows_shown` when there are more, with the query that lists the others."""
    if not article.polls:
        return '<p class="empty">No polls loaded for this article.</p>'
    shares: dict[tuple[str, str], Row] = {(r["poll_id"], r["option"]): r for r in article.results}
    headers = ['<th>Date</th><th>Pollster</th><th>Client</th><th class="num">Sample</th>']
    headers += [
        f'<th class="num"><span class="swatch" style="background:{s.colour}"></span>'
        f"{esc(s.option)}</th>"
        for s in series
    ]
    headers.append('<th class="num">Lead</th><th>Repair</th><th>Source</th>')
    rows = []
    for poll in article.polls:
        row_id = ids.get("poll", poll["poll_id"])
        dates = (
            f"{poll['fieldwork_start']} – {poll['fieldwork_end']} ({poll['date_precision']})"
            if poll["fieldwork_start"]
            else ""
        )
        cells = [
            f'<td class="date" title="{esc(dates)}">{esc(poll["date_text"])}</td>',
            f"<td>{esc(poll['pollster']) if poll['pollster'] else _missing()}</td>",
            f"<td>{esc(poll['client']) if poll['client'] else _missing()}</td>",
            f'<td class="num">{_count(poll["sample_size"])}</td>',
        ]
        for s in series:
            result = shares.get((poll["poll_id"], s.option))
            if result is None:
                cells.append(f'<td class="num">{_missing()}</td>')
                continue
            shown = _number(result["share"], "%")
            # The cell as written, when it says more than the number (a footnote, a bound).
            raw = result["raw_cell"]
            title = f' title="{esc(raw)}"' if raw and raw.strip() != shown else ""
            cells.append(f'<td class="num"{title}>{esc(shown)}</td>')
        cells.append(
            f'<td class="num">{esc(_number(poll["lead"])) if poll["lead"] is not None else "–"}'
            "</td>"
        )
        cells.append(
            f'<td class="repair">{esc(poll["repair"])}</td>' if poll["repair"] else "<td></td>"
        )
        cells.append(
            f'<td class="source" title="{esc(poll["raw_text"])}"><code>{esc(_where(poll))}</code>'
            f'<br><a class="permalink" href="#{esc(row_id)}"><code>{esc(poll["poll_id"])}</code>'
            "</a></td>"
        )
        css = ' class="warned"' if poll["poll_id"] in article.warned else ""
        rows.append(f'<tr id="{esc(row_id)}"{css}>{"".join(cells)}</tr>')
    sql = (
        "SELECT date_text, pollster, client, sample_size, support, oppose, neutral, lead, "
        f"source_line, poll_id FROM polls WHERE article_id = {_sql_text(article.article_id)} "
        f"ORDER BY {POLL_ORDER} OFFSET {len(article.polls)}"
    )
    capped = _capped(
        len(article.polls), article.count("polls"), "poll",
        f"the table shows the latest {len(article.polls):,} by end of fieldwork, in source order; "
        "poll_answers has every answer",
        query_command(warehouse, sql),
    )  # fmt: skip
    return _table(headers, rows, "polls") + capped


def events_table(article: ArticleReport) -> str:
    if not article.events:
        return ""
    rows = [
        f"<tr><td class='date'>{esc(e['date_text'])}</td><td>{esc(e['description'])}</td>"
        f"<td class='source'><code>{esc(_where(e))}</code></td></tr>"
        for e in article.events
    ]
    return _table(["<th>Date</th><th>Event</th><th>Source</th>"], rows, "events")


def _failing_value(row: Row) -> str:
    column, value = row.get("column_name") or "", row.get("value") or ""
    if column:
        return f"{column} = {value}" if value else f"{column} is empty"
    return value


def _list_rest(article: ArticleReport, what: str, warehouse: Path, columns: str) -> str:
    """The line under a capped list of rejected rows, warnings or skipped rows."""
    table, _, order = next(entry for entry in CAPPED_LISTS if entry[1] == what)
    shown = len(getattr(article, what))
    sql = (
        f"SELECT {columns} FROM {table} WHERE article_id = {_sql_text(article.article_id)} "
        f"ORDER BY {order} OFFSET {shown}"
    )
    words = {"rejected": "rejected row", "warnings": "warning", "skipped": "skipped row"}
    return _capped(
        shown, article.count(what), words[what], f"the first {shown:,} by source line are shown",
        query_command(warehouse, sql),
    )  # fmt: skip


def rejected_table(article: ArticleReport, warehouse: Path) -> str:
    if not article.rejected:
        return '<p class="empty">No rows rejected.</p>'
    rows = []
    for r in article.rejected:
        value = _failing_value(r)
        rows.append(
            f'<tr class="rejected"><td class="source"><code>{esc(_where(r))}</code></td>'
            f'<td><span class="check">{esc(r["check_name"])}</span></td>'
            f"<td>{esc(r['reason'])}"
            + (f'<div class="value">{esc(value)}</div>' if value else "")
            + f'</td><td><code class="raw">{esc(r["raw_text"])}</code></td></tr>'
        )
    table = _table(
        ["<th>Source</th><th>Check</th><th>Reason</th><th>Row as written</th>"], rows, "rejected"
    )
    columns = "source_line, check_name, column_name, value, reason, raw_text"
    return table + _list_rest(article, "rejected", warehouse, columns)


def warnings_table(article: ArticleReport, ids: _Ids, warehouse: Path) -> str:
    if not article.warnings:
        return '<p class="empty">No quality warnings.</p>'
    shown = {p["poll_id"] for p in article.polls}
    rows = []
    for w in article.warnings:
        value = _failing_value(w)
        poll = f"<code>{esc(w['poll_id'])}</code>" if w["poll_id"] else ""
        if w["poll_id"] in shown:  # a link only to a row that is on the page
            poll = f'<a class="permalink" href="#{esc(ids.get("poll", w["poll_id"]))}">{poll}</a>'
        rows.append(
            f'<tr class="warning"><td class="source"><code>{esc(_where(w))}</code><br>{poll}</td>'
            f'<td><span class="check warn">{esc(w["check_name"])}</span></td>'
            f"<td>{esc(w['detail'])}"
            + (f'<div class="value">{esc(value)}</div>' if value else "")
            + "</td></tr>"
        )
    table = _table(["<th>Source · poll</th><th>Check</th><th>Detail</th>"], rows, "warnings")
    columns = "source_line, poll_id, check_name, column_name, value, detail"
    return table + _list_rest(article, "warnings", warehouse, columns)


def skipped_details(article: ArticleReport, warehouse: Path) -> str:
    if not article.skipped:
        return ""
    rows = [
        f"<tr><td class='source'><code>{esc(_where(s))}</code></td><td>{esc(s['reason'])}</td>"
        f"<td><code class='raw'>{esc(s['raw_text'])}</code></td></tr>"
        for s in article.skipped
    ]
    table = _table(["<th>Source</th><th>Why</th><th>Row as written</th>"], rows, "skipped")
    rest = _list_rest(article, "skipped", warehouse, "source_line, reason, raw_text")
    return (
        f"<details><summary>{_plural(article.count('skipped'), 'row')} skipped as not "
        f"observations (summary or blank rows)</summary>{table}{rest}</details>"
    )


# --- the page ----------------------------------------------------------------------------------


def article_section(
    article: ArticleReport,
    latest_run_id: str | None,
    ids: _Ids,
    warehouse: Path = DEFAULTS.warehouse,
) -> str:
    series = _series(article.options)
    chart = _main_panel(article, series, ids)
    zoom = zoom_svg(article, series, ids)
    precisions = {p.precision for p in article.points}
    counts = [
        (article.count("polls"), "poll"),
        (len(article.events), "event"),
        (article.count("rejected"), "rejected row"),
        (article.count("warnings"), "warning"),
    ]
    facts = " · ".join(_plural(n, word) for n, word in counts)
    meta = [f"<code>{esc(article.source_path or article.article_id)}</code>", esc(facts)]
    if article.loaded_at:
        meta.append(f"loaded {esc(f'{article.loaded_at:%Y-%m-%d %H:%M}')} UTC")
    stale = ""
    if article.last_error:
        when = (
            f" in the run of {article.last_error_at:%Y-%m-%d %H:%M} UTC"
            if article.last_error_at
            else ""
        )
        stale = (
            f'<p class="stale">The latest read of this file failed{esc(when)}: '
            f"<code>{esc(article.last_error)}</code>. The rows below are from its last good read, "
            f"by run <code>{esc(article.run_id)}</code>; the next run reads the file again.</p>"
        )
    elif article.run_id and latest_run_id and article.run_id != latest_run_id:
        stale = (
            f'<p class="stale">Loaded by an earlier run, <code>{esc(article.run_id)}</code>; '
            "the latest run did not load it again (its file was unchanged, or not in the folder "
            "that run read).</p>"
        )
    if chart:
        figure = (
            f'<figure class="chart">{chart.svg}'
            f"{legend_html(series, precisions, (chart.events, chart.labelled), chart.lean)}"
            + (
                f'<h4 class="zoom">The last {ZOOM_MONTHS} months of polls</h4>{zoom}'
                if zoom
                else ""
            )
            + "</figure>"
        )
    else:
        figure = '<p class="empty">No dated polls or events to chart.</p>'
    events = events_table(article)
    return "\n".join(
        [
            f'<section class="article" id="{esc(ids.get("article", article.article_id))}">',
            f"<h2>{esc(article.title)}</h2>",
            f'<p class="meta">{" · ".join(meta)}</p>',
            stale,
            figure,
            f"<h3>Events <span class='count'>{len(article.events)}</span></h3>" if events else "",
            events,
            f"<h3>Polls <span class='count'>{article.count('polls'):,}</span></h3>",
            polls_table(article, series, ids, warehouse),
            f"<h3>Rejected rows <span class='count'>{article.count('rejected'):,}</span></h3>",
            rejected_table(article, warehouse),
            f"<h3>Quality warnings <span class='count'>{article.count('warnings'):,}</span></h3>",
            warnings_table(article, ids, warehouse),
            skipped_details(article, warehouse),
            "</section>",
        ]
    )


# The warehouse's totals in the header: (key, word, plural).
TOTALS = (
    ("articles", "article", "articles"),
    ("polls", "poll", "polls"),
    ("events", "event", "events"),
    ("rejected", "rejected row", "rejected rows"),
    ("warnings", "warning", "warnings"),
    ("repaired", "repaired poll", "repaired polls"),
    ("skipped", "skipped row", "skipped rows"),
    ("stale", "article kept stale", "articles kept stale"),
)

# The latest run's counts, in the line below them: (column of load_runs, word).
RUN_COUNTS = (
    ("articles", "loaded"),
    ("articles_unchanged", "unchanged"),
    ("articles_refused", "refused"),
    ("articles_stale", "kept stale"),
    ("articles_pruned", "pruned"),
    ("polls", "polls"),
    ("events", "events"),
    ("rejected", "rejected rows"),
    ("warnings", "warnings"),
    ("repaired", "repaired"),
    ("skipped", "skipped"),
)


def header_html(data: Warehouse) -> str:
    """What the warehouse holds, counted over its tables, and the latest run on a line below:
    a run that changed nothing loads nothing, and the warehouse is still all there."""
    chips = "".join(
        f'<li class="stat {key}{"" if data.totals.get(key) else " zero"}">'
        f"<b>{esc(f'{data.totals.get(key, 0):,}')}</b> "
        f"{one if data.totals.get(key) == 1 else many}</li>"
        for key, one, many in TOTALS
    )
    run = data.run
    if run is None:
        line = (
            f'<p class="run">No completed run in <code>{esc(data.name)}</code> yet: run '
            "<code>wikipoll run</code>.</p>"
        )
    else:
        finished = run.get("finished_at")
        when = f" {finished:%Y-%m-%d %H:%M:%S} UTC" if finished else ""
        counts = ", ".join(
            f"{esc(f'{run[key]:,}')} {word}" for key, word in RUN_COUNTS if run.get(key) is not None
        )
        error = f": <code>{esc(run['error'])}</code>" if run.get("error") else ""
        line = (
            f'<p class="run">Latest run <code>{esc(run["run_id"])}</code>, '
            f"{esc(run.get('status') or 'finished')}{esc(when)}{error}; it read "
            f"<code>{esc(run.get('raw_dir'))}/</code> into <code>{esc(data.name)}</code>: "
            f"{counts}.</p>"
        )
    return (
        f'<header><h1>wikipoll report</h1><p class="holds">In <code>{esc(data.name)}</code>:</p>'
        f'<ul class="stats">{chips}</ul>{line}</header>'
    )


def contents_html(articles: Sequence[ArticleReport], ids: _Ids) -> str:
    if len(articles) < 2:
        return ""
    items = "".join(
        f'<li><a href="#{esc(ids.get("article", a.article_id))}">{esc(a.title)}</a> '
        f'<span class="count">{_plural(a.count("polls"), "poll")}'
        + (f", {a.count('rejected'):,} rejected" if a.count("rejected") else "")
        + "</span></li>"
        for a in articles
    )
    return f'<nav><h2>Articles</h2><ol class="contents">{items}</ol></nav>'


def page_parts(data: Warehouse) -> Iterator[str]:
    """The whole HTML document, piece by piece: inline CSS, inline SVG, no script, nothing to
    fetch. An article's section is made when it is written, and then let go."""
    ids = _Ids()
    latest = data.run["run_id"] if data.run else None
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    yield f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">
<meta name="generator" content="wikipoll report">
<link rel="icon" href="data:,">
<title>wikipoll report</title>
<style>{CSS}</style>
</head>
<body>
<main>
{header_html(data)}
{contents_html(data.articles, ids)}
"""
    for article in data.articles:
        yield article_section(article, latest, ids, data.path)
    if not data.articles:
        yield '<p class="empty">The warehouse holds no articles.</p>'
    yield f"""
<footer>Generated {esc(generated)} by <code>flows/report.py</code> from
<code>{esc(data.name)}</code>. Every value is shown as the warehouse holds it.</footer>
</main>
</body>
</html>
"""


def write_page(file: TextIO, data: Warehouse) -> None:
    for part in page_parts(data):
        file.write(part)


def render_page(data: Warehouse) -> str:
    """The page as one string (`write_report` writes it piece by piece instead)."""
    return "".join(page_parts(data))


CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

# `content-visibility: auto` on the sections: the browser lays out and paints an article only
# when it comes into view, so a page of forty long articles opens as fast as one of a few (its
# tables were three quarters of the time to open). Links, find-in-page and printing still reach
# every section.
CSS = """
:root { --ink: #1f2933; --muted: #66727f; --line: #e3e7eb; --soft: #f5f7f9; --accent: #2166ac; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff; font-size: 14px; line-height: 1.45;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1240px; margin: 0 auto; padding: 28px 28px 40px; }
h1 { font-size: 22px; margin: 0 0 4px; letter-spacing: -0.01em; }
h2 { font-size: 19px; margin: 0 0 2px; }
h3 { font-size: 14px; margin: 22px 0 8px; text-transform: uppercase; letter-spacing: .04em;
  color: var(--muted); }
h4.zoom { font-size: 13px; margin: 18px 0 4px; color: var(--muted); font-weight: 600; }
code { font: 12px/1.4 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
header { border-bottom: 1px solid var(--line); padding-bottom: 14px; margin-bottom: 18px; }
.holds { margin: 0 0 4px; color: var(--muted); }
.run { margin: 10px 0 0; color: var(--muted); font-size: 13px; }
.stats, .legend, .keys, .contents { list-style: none; padding: 0; margin: 0; display: flex;
  flex-wrap: wrap; gap: 6px 18px; }
.stat b { font-size: 16px; font-variant-numeric: tabular-nums; }
.stat.rejected b { color: #b42318; } .stat.warnings b { color: #b54708; }
.stat.stale b { color: #b54708; }
.stat.zero b { color: inherit; }
nav { margin-bottom: 18px; } nav h2 { font-size: 14px; color: var(--muted); }
.contents { flex-direction: column; gap: 2px; }
.count { color: var(--muted); font-weight: normal; font-size: 12px; }
h3 .count { background: var(--soft); border-radius: 8px; padding: 0 6px; margin-left: 4px; }
.article { padding: 22px 0 26px; border-bottom: 1px solid var(--line);
  content-visibility: auto; contain-intrinsic-size: auto 1600px; }
.meta { margin: 0 0 12px; color: var(--muted); }
p.stale { background: #fffaeb; border: 1px solid #fedf89; padding: 6px 10px; border-radius: 6px; }
figure.chart { margin: 0; }
svg.chart { display: block; width: 100%; height: auto; overflow: visible; }
svg.chart text { font-size: 11px; fill: var(--muted); }
.grid line { stroke: var(--line); } .axis line { stroke: #9aa5b1; }
svg.chart text.minor { fill: #9aa5b1; font-size: 10px; }
.zoom-window { fill: #2166ac; opacity: .05; }
.event line { stroke: #8795a1; stroke-dasharray: 4 3; }
.event.unlabelled line { stroke: #b8c0c8; }
.event text { fill: #3e4c59; paint-order: stroke; stroke: #fff; stroke-width: 3px; }
.event-span { fill: #8795a1; opacity: .08; }
.trend { fill: none; stroke-width: 2; stroke-opacity: .9; stroke-linejoin: round;
  stroke-linecap: round; pointer-events: none; }
.trend.gap { stroke-width: 1.2; stroke-opacity: .5; stroke-dasharray: 2 4; }
.point .dot { stroke: #fff; stroke-width: 1; }
.point .ring { fill: #fff; stroke-width: 1.6; }
.point .span { fill: none; stroke-width: 1.6; stroke-opacity: .75; }
.point:hover .dot { stroke: var(--ink); stroke-width: 1.8; }
.point:hover .ring { stroke-width: 2.6; }
.dots path { fill: none; stroke-linecap: round; }
.dots .dot { stroke-width: 5; stroke-opacity: .45; }
.dots .ring { stroke-width: 6; stroke-opacity: .6; } .dots .hole { stroke: #fff; stroke-width: 3; }
.dots .span { stroke-width: 1.2; stroke-opacity: .4; stroke-linecap: butt; }
.legend { margin-top: 6px; font-size: 13px; }
.legend li, .keys li { display: flex; align-items: center; gap: 6px; }
.keys { color: var(--muted); font-size: 12px; margin-top: 4px; }
.key { fill: #52606d; } .key-ring { fill: #fff; stroke: #52606d; stroke-width: 1.6; }
.key-span { stroke: #52606d; stroke-width: 1.6; fill: none; }
.key-trend { stroke: #52606d; stroke-width: 2; }
.key-event { stroke: #8795a1; stroke-dasharray: 3 2; }
.hint { color: var(--muted); font-size: 12px; margin: 4px 0 0; }
.capped { color: var(--muted); font-size: 12px; margin: 6px 0 0; }
.capped code { word-break: break-all; color: var(--ink); }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th { text-align: left; font-weight: 600; color: var(--muted); font-size: 12px;
  border-bottom: 1px solid #cbd2d9; padding: 4px 7px; white-space: nowrap; }
td { border-bottom: 1px solid var(--line); padding: 5px 7px; vertical-align: top; }
tbody tr:nth-child(even) { background: #fafbfc; }
tr:target { background: #fff3bf !important; outline: 2px solid #f5c518; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.date { white-space: nowrap; }
.swatch { display: inline-block; width: 8px; height: 8px; border-radius: 50%;
  margin-right: 5px; vertical-align: 1px; }
.none { color: #b8c0c8; }
.repair { color: var(--muted); font-size: 12px; min-width: 180px; max-width: 260px; }
.source code { color: var(--muted); white-space: nowrap; font-size: 11.5px; }
.permalink code { color: var(--accent); font-size: 11px; }
tr.warned td:first-child { box-shadow: inset 3px 0 #f79009; }
.check { display: inline-block; font: 12px ui-monospace, Menlo, Consolas, monospace;
  background: #fef3f2; color: #b42318; border-radius: 4px; padding: 0 5px; white-space: nowrap; }
.check.warn { background: #fffaeb; color: #b54708; }
.value { color: var(--muted); font-size: 12px; margin-top: 2px; }
code.raw { white-space: pre-wrap; word-break: break-word; color: #3e4c59; }
.empty { color: var(--muted); font-style: italic; margin: 4px 0; }
details { margin-top: 14px; color: var(--muted); } summary { cursor: pointer; }
footer { margin-top: 24px; color: var(--muted); font-size: 12px; }
"""


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m flows.report`: the report without the Prefect flow or the CLI."""
    parser = argparse.ArgumentParser(prog="wikipoll report", description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, default=DEFAULTS.warehouse)
    parser.add_argument("--out", type=Path, default=DEFAULTS.report)
    args = parser.parse_args(argv)
    try:
        path = write_report(args.warehouse, args.out)
    except WarehouseError as error:
        print(f"wikipoll: error: {error}")
        return 2
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
