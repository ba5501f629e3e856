"""The report: one self-contained HTML page of what the warehouse holds, for people to look at.

`write_report(warehouse, out)` reads the DuckDB warehouse read-only (through
`flows.load.warehouse.connect`, so it waits while a load holds the file) and writes one HTML
file. Per article, ordered by title:
a chart of the answer shares over time, drawn here as inline SVG (one point per poll at the middle
of its fieldwork, a bar across the fieldwork when the date is only a month or a year, events as
dashed lines), the events, the polls with the file and line each came from, and the rows that were
rejected or warned about. The header names the latest run.

What it refuses:
- the network: no CDN, web font, script or image; the page's Content-Security-Policy forbids
  loading anything, so it reads the same offline and from an e-mail attachment;
- markup from the data: every value from the warehouse goes through `html.escape`, titles and
  cells included, because a hand-edited table can hold `<script>` as easily as a number;
- writing: the warehouse is opened read-only and only the output file is written;
- a damaged warehouse: a file cut short or unreadable is a WarehouseError, one line saying what to
  do, never a half page or a traceback;
- guessing: a poll is drawn at the middle of the fieldwork the warehouse recorded, with its span
  when that is a month or a year, never at a made-up day; nothing is smoothed or left out.

It needs no Prefect: `python -m flows.report --warehouse FILE --out FILE` runs it.
"""

from __future__ import annotations

import argparse
import html
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb

from flows.load.warehouse import WarehouseError, connect, damaged_warehouse
from flows.settings import DEFAULTS

Row = dict[str, Any]

# Answer classes keep one colour across articles; any other answer (a party, a candidate) takes
# the next colour of the palette. All are readable on white and tell apart in greyscale by tone.
CLASS_COLOURS = {"support": "#2166ac", "oppose": "#c0392b", "neutral": "#7f8c8d"}
PALETTE = ("#7b3294", "#e08214", "#1b9e77", "#d01c8b", "#4d9221", "#8c510a", "#3f007d", "#01665e")

# Chart geometry, in SVG user units (the SVG scales to the page width).
CHART_WIDTH = 1000
PLOT_LEFT, PLOT_RIGHT = 46, 18
PLOT_HEIGHT = 250
AXIS_HEIGHT = 26
LABEL_ROW_HEIGHT = 14
MAX_LABEL_ROWS = 6
MAX_LABEL_CHARS = 40
SHARE_GRID = (0, 25, 50, 75, 100)


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
    polls: list[Row] = field(default_factory=list)
    results: list[Row] = field(default_factory=list)
    events: list[Row] = field(default_factory=list)
    rejected: list[Row] = field(default_factory=list)
    warnings: list[Row] = field(default_factory=list)
    skipped: list[Row] = field(default_factory=list)


def write_report(
    warehouse: Path, out: Path, wait_seconds: float = DEFAULTS.lock_wait_seconds
) -> Path:
    """Render the warehouse into one HTML file at `out`; return `out`.

    The file is written next to its final name and then moved into place, so a reader never sees
    half a report. A warehouse that cannot be read whole is a WarehouseError, one line with what
    to do, as `connect` refuses a damaged file.
    """
    if not warehouse.is_file():
        raise WarehouseError(f"{warehouse}: no such warehouse file; run `wikipoll run` first")
    con = connect(warehouse, read_only=True, wait_seconds=wait_seconds)
    try:
        latest_run, articles = read_warehouse(con)
    except duckdb.Error as error:
        raise damaged_warehouse(warehouse, str(error)) from None
    finally:
        con.close()
        del con  # an exception kept to the process's exit would keep the connection alive
    page = render_page(latest_run, articles, warehouse_name=warehouse.name)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    try:
        partial.write_text(page, encoding="utf-8")
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    return out


# --- reading ---------------------------------------------------------------------------------


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[Row]:
    cursor = con.execute(sql)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


def read_warehouse(con: duckdb.DuckDBPyConnection) -> tuple[Row | None, list[ArticleReport]]:
    """The latest run and every article's rows, ordered by title.

    A table that does not exist yet reads as empty: a warehouse no load has reached is a valid,
    empty report, not an error.
    """
    present = {
        name
        for (name,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = current_schema()"
        ).fetchall()
    }

    def rows(table: str, sql: str) -> list[Row]:
        return _rows(con, sql) if table in present else []

    runs = rows("load_runs", "SELECT * FROM load_runs ORDER BY finished_at DESC, run_id LIMIT 1")
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
        # A warehouse of schema version 1 (not yet upgraded by a load) has no such columns.
        report.last_error, report.last_error_at = row.get("last_error"), row.get("last_error_at")
    for row in rows("polls", "SELECT * FROM polls ORDER BY table_index, row_index, poll_id"):
        article(row).polls.append(row)
    if "polls" in present and "poll_results" in present:
        for row in _rows(
            con,
            """SELECT r.*, p.article_id, p.article_title, p.table_index
               FROM poll_results AS r JOIN polls AS p USING (poll_id)
               ORDER BY p.table_index, r.column_index, r.option, r.poll_id""",
        ):
            article(row).results.append(row)
    for row in rows("events", "SELECT * FROM events ORDER BY event_date, event_end, event_id"):
        article(row).events.append(row)
    for row in rows(
        "rejected_rows",
        "SELECT * FROM rejected_rows "
        "ORDER BY source_line NULLS FIRST, table_index, row_index, check_name, column_name",
    ):
        article(row).rejected.append(row)
    for row in rows(
        "quality_warnings",
        "SELECT * FROM quality_warnings ORDER BY source_line, check_name, column_name",
    ):
        article(row).warnings.append(row)
    for row in rows("skipped_rows", "SELECT * FROM skipped_rows ORDER BY source_line"):
        article(row).skipped.append(row)
    ordered = sorted(articles.values(), key=lambda a: (a.title.casefold(), a.title, a.article_id))
    return (runs[0] if runs else None), ordered


# --- small formatting helpers ------------------------------------------------------------------


def esc(value: object) -> str:
    """Every value from the warehouse reaches the page through here."""
    return html.escape("" if value is None else str(value), quote=True)


def _number(value: float | None, suffix: str = "") -> str:
    return "" if value is None else f"{value:g}{suffix}"


def _count(value: int | None) -> str:
    return _missing() if value is None else esc(f"{value:,}")


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


def _text_width(text: str, size: float = 11) -> float:
    """A rough width of `text` in the page's sans-serif, enough to keep labels apart."""
    wide = sum(unicodedata.east_asian_width(ch) in "WF" for ch in text)
    return (len(text) - wide) * size * 0.56 + wide * size


def _shorten(text: str, limit: int = MAX_LABEL_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _where(row: Row) -> str:
    """`file:line`, or just the file when the whole file was refused."""
    line = row.get("source_line")
    return f"{row.get('source_path') or ''}{'' if line is None else f':{line}'}"


# --- the chart ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Series:
    option: str
    colour: str


def _series(results: Sequence[Row]) -> list[_Series]:
    """One series per answer option, in the order the columns come in the source tables."""
    series: list[_Series] = []
    used: set[str] = set()
    for row in results:
        if any(s.option == row["option"] for s in series):
            continue
        colour = CLASS_COLOURS.get(row["answer_class"] or "")
        if colour is None or colour in used:
            free = [c for c in PALETTE if c not in used]
            # More answers than colours (a many-party poll): colours repeat, the legend and the
            # tooltips still name each series.
            colour = free[0] if free else PALETTE[len(series) % len(PALETTE)]
        used.add(colour)
        series.append(_Series(row["option"], colour))
    return series


@dataclass(frozen=True)
class _Axes:
    """Maps days and shares to SVG coordinates; the time domain is whole years, never empty."""

    first_year: int
    last_year: int  # exclusive: the domain ends on 1 January of this year
    top: float

    @property
    def start(self) -> int:
        return _new_year(self.first_year)

    @property
    def end(self) -> int:
        return _new_year(self.last_year)

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


def _year_ticks(first: int, last: int) -> list[int]:
    span = last - first
    steps = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000)
    step = next((s for s in steps if span / s <= 12), steps[-1])
    return [year for year in range(first, min(last, date.max.year) + 1) if year % step == 0]


def _midpoint(row: Row) -> float:
    start, end = row["fieldwork_start"].toordinal(), row["fieldwork_end"].toordinal()
    return start + (end - start) / 2


def _place_labels(events: Sequence[Row], x_of: dict[str, float]) -> dict[str, tuple[int, str]]:
    """Put each event label in the first row where it overlaps no other: (row, text-anchor).

    A label that fits in no row is left out of the chart; its line keeps a tooltip, and the
    event is in the list under the chart.
    """
    taken: list[list[tuple[float, float]]] = [[] for _ in range(MAX_LABEL_ROWS)]
    placed: dict[str, tuple[int, str]] = {}
    for event in events:
        x = x_of[event["event_id"]]
        width = _text_width(_shorten(event["description"]))
        anchor = "start" if x + 4 + width <= CHART_WIDTH - 2 else "end"
        span = (x, x + 4 + width) if anchor == "start" else (x - 4 - width, x)
        for row, spans in enumerate(taken):
            if all(span[1] + 6 <= a or span[0] >= b + 6 for a, b in spans):
                spans.append(span)
                placed[event["event_id"]] = (row, anchor)
                break
    return placed


def chart_svg(article: ArticleReport, series: Sequence[_Series], ids: _Ids) -> str:
    """The inline SVG chart of one article; empty when it has neither a poll nor an event."""
    polls = [p for p in article.polls if p["fieldwork_start"] and p["fieldwork_end"]]
    events = [e for e in article.events if e["event_date"]]
    days = [p["fieldwork_start"] for p in polls] + [p["fieldwork_end"] for p in polls]
    days += [e["event_date"] for e in events] + [e["event_end"] or e["event_date"] for e in events]
    if not days:
        return ""
    provisional = _Axes(min(days).year, max(days).year + 1, top=0)
    x_of = {e["event_id"]: provisional.x(e["event_date"].toordinal()) for e in events}
    labels = _place_labels(events, x_of)
    label_rows = max((row for row, _ in labels.values()), default=-1) + 1
    axes = _Axes(provisional.first_year, provisional.last_year, top=14 + label_rows * 14)
    height = axes.bottom + AXIS_HEIGHT
    left, right = PLOT_LEFT, CHART_WIDTH - PLOT_RIGHT
    title = f"Answer shares over time: {article.title}"
    parts = [
        f'<svg class="chart" viewBox="0 0 {CHART_WIDTH} {height:g}" role="img" '
        f'aria-label="{esc(title)}" xmlns="http://www.w3.org/2000/svg">',
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
    for year in _year_ticks(axes.first_year, axes.last_year):
        x = axes.x(_new_year(year))
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{axes.bottom}" y2="{axes.bottom + 5}"/>')
        parts.append(f'<text x="{x:.1f}" y="{axes.bottom + 18}" text-anchor="middle">{year}</text>')
    if axes.last_year - axes.first_year <= 2:
        # A year or two of polls: quarters, so the reader need not guess the month.
        for year in range(axes.first_year, axes.last_year):
            for month, name in ((4, "Apr"), (7, "Jul"), (10, "Oct")):
                x = axes.x(date(year, month, 1).toordinal())
                parts.append(
                    f'<line class="minor" x1="{x:.1f}" x2="{x:.1f}" y1="{axes.bottom}" '
                    f'y2="{axes.bottom + 3}"/><text class="minor" x="{x:.1f}" '
                    f'y="{axes.bottom + 18}" text-anchor="middle">{name}</text>'
                )
    parts.append("</g>")

    for event in events:
        x = axes.x(event["event_date"].toordinal())
        row, anchor = labels.get(event["event_id"], (None, "start"))
        top = axes.top if row is None else 12 + row * LABEL_ROW_HEIGHT - 9
        tip = f"{event['date_text']}: {event['description']} ({_where(event)})"
        labelled = "" if row is not None else " unlabelled"
        parts.append(f'<g class="event{labelled}" data-event-id="{esc(event["event_id"])}">')
        parts.append(f"<title>{esc(tip)}</title>")
        end = event["event_end"] or event["event_date"]
        if event["date_precision"] != "day" and end > event["event_date"]:
            x_end = axes.x(end.toordinal() + 1)
            parts.append(
                f'<rect class="event-span" x="{x:.1f}" y="{axes.top}" width="{x_end - x:.1f}" '
                f'height="{PLOT_HEIGHT}"/>'
            )
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top:.1f}" y2="{axes.bottom}"/>')
        if row is not None:
            tx = x + 4 if anchor == "start" else x - 4
            ty = 12 + row * LABEL_ROW_HEIGHT
            parts.append(
                f'<text x="{tx:.1f}" y="{ty}" text-anchor="{anchor}">'
                f"{esc(_shorten(event['description']))}</text>"
            )
        parts.append("</g>")

    by_poll: dict[str, list[Row]] = {}
    for result in article.results:
        by_poll.setdefault(result["poll_id"], []).append(result)
    ordered = sorted(polls, key=lambda p: (_midpoint(p), p["poll_id"]))
    for s in series:
        points = [
            (axes.x(_midpoint(p)), axes.y(r["share"]))
            for p in ordered
            for r in by_poll.get(p["poll_id"], [])
            if r["option"] == s.option and r["share"] is not None
        ]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(
                f'<polyline class="trend" points="{path}" stroke="{s.colour}" '
                f'data-option="{esc(s.option)}"/>'
            )
    colours = {s.option: s.colour for s in series}
    for poll in ordered:
        href = "#" + ids.get("poll", poll["poll_id"])
        for result in by_poll.get(poll["poll_id"], []):
            if result["share"] is None:
                continue
            parts.append(_point(axes, poll, result, colours[result["option"]], href))
    parts.append("</svg>")
    return "\n".join(parts)


def _point(axes: _Axes, poll: Row, result: Row, colour: str, href: str) -> str:
    """One answer of one poll: a dot at the fieldwork's middle, a bar across it if imprecise."""
    start, end = poll["fieldwork_start"], poll["fieldwork_end"]
    x, y = axes.x(_midpoint(poll)), axes.y(result["share"])
    who = poll["pollster"] or "no pollster"
    if poll["client"]:
        who += f" for {poll['client']}"
    sample = f", n = {poll['sample_size']:,}" if poll["sample_size"] is not None else ""
    tip = (
        f"{result['option']}: {result['share']:g}%\n{who}\n"
        f"{poll['date_text']} ({start.isoformat()} – {end.isoformat()}, "
        f"{poll['date_precision']}{sample})"
    )
    parts = [
        f'<a href="{esc(href)}"><g class="point {esc(poll["date_precision"])}" '
        f'data-poll-id="{esc(poll["poll_id"])}" data-option="{esc(result["option"])}">',
        f"<title>{esc(tip)}</title>",
    ]
    if poll["date_precision"] in ("month", "year"):
        x1, x2 = axes.x(start.toordinal()), axes.x(end.toordinal())
        parts.append(
            f'<path class="span" stroke="{colour}" d="M{x1:.1f} {y - 3:.1f}v6M{x1:.1f} {y:.1f}'
            f'H{x2:.1f}M{x2:.1f} {y - 3:.1f}v6"/>'
        )
        # Hollow: the date is a month or a year; at a decade's scale a month's bar is shorter
        # than the dot, so the ring says it when the bar cannot.
        parts.append(f'<circle class="ring" cx="{x:.1f}" cy="{y:.1f}" r="3.4" stroke="{colour}"/>')
    else:
        parts.append(f'<circle class="dot" cx="{x:.1f}" cy="{y:.1f}" r="3.6" fill="{colour}"/>')
    parts.append("</g></a>")
    return "".join(parts)


def legend_html(series: Sequence[_Series], precisions: set[str], has_events: bool) -> str:
    """The series' colours, then what a dot, a bar and a dashed line mean."""
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
    if has_events:
        keys.append(
            '<li><svg width="10" height="14" aria-hidden="true"><line x1="5" x2="5" y1="0" '
            'y2="14" class="key-event"/></svg>event</li>'
        )
    hint = (
        '<p class="hint">Each poll is drawn at the middle of its fieldwork. '
        "Hover a point for the poll; click it to go to its row.</p>"
    )
    return (
        f'<ul class="legend">{"".join(items)}</ul>'
        + (f'<ul class="keys">{"".join(keys)}</ul>' if keys else "")
        + (hint if series else "")
    )


# --- tables ------------------------------------------------------------------------------------


def _table(headers: Iterable[str], rows: Iterable[str], css: str) -> str:
    head = "".join(headers)
    return (
        f'<div class="scroll"><table class="{css}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def polls_table(article: ArticleReport, series: Sequence[_Series], ids: _Ids) -> str:
    """The polls as in the source table, each row with its source line and a link to itself."""
    if not article.polls:
        return '<p class="empty">No polls loaded for this article.</p>'
    shares: dict[tuple[str, str], Row] = {(r["poll_id"], r["option"]): r for r in article.results}
    warned = {w["poll_id"] for w in article.warnings}
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
            cells.append(
                f'<td class="num" title="{esc(result["raw_cell"])}">'
                f"{esc(_number(result['share'], '%'))}</td>"
                if result
                else f'<td class="num">{_missing()}</td>'
            )
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
        css = ' class="warned"' if poll["poll_id"] in warned else ""
        rows.append(f'<tr id="{esc(row_id)}"{css}>{"".join(cells)}</tr>')
    return _table(headers, rows, "polls")


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


def rejected_table(article: ArticleReport) -> str:
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
    return _table(
        ["<th>Source</th><th>Check</th><th>Reason</th><th>Row as written</th>"], rows, "rejected"
    )


def warnings_table(article: ArticleReport, ids: _Ids) -> str:
    if not article.warnings:
        return '<p class="empty">No quality warnings.</p>'
    rows = []
    for w in article.warnings:
        value = _failing_value(w)
        rows.append(
            f'<tr class="warning"><td class="source"><code>{esc(_where(w))}</code><br>'
            f'<a class="permalink" href="#{esc(ids.get("poll", w["poll_id"]))}">'
            f"<code>{esc(w['poll_id'])}</code></a></td>"
            f'<td><span class="check warn">{esc(w["check_name"])}</span></td>'
            f"<td>{esc(w['detail'])}"
            + (f'<div class="value">{esc(value)}</div>' if value else "")
            + "</td></tr>"
        )
    return _table(["<th>Source · poll</th><th>Check</th><th>Detail</th>"], rows, "warnings")


def skipped_details(article: ArticleReport) -> str:
    if not article.skipped:
        return ""
    rows = [
        f"<tr><td class='source'><code>{esc(_where(s))}</code></td><td>{esc(s['reason'])}</td>"
        f"<td><code class='raw'>{esc(s['raw_text'])}</code></td></tr>"
        for s in article.skipped
    ]
    table = _table(["<th>Source</th><th>Why</th><th>Row as written</th>"], rows, "skipped")
    n = len(article.skipped)
    return (
        f"<details><summary>{n} row{'s' * (n != 1)} skipped as not observations "
        f"(summary or blank rows)</summary>{table}</details>"
    )


# --- the page ----------------------------------------------------------------------------------


def article_section(article: ArticleReport, latest_run_id: str | None, ids: _Ids) -> str:
    series = _series(article.results)
    chart = chart_svg(article, series, ids)
    precisions = {p["date_precision"] for p in article.polls}
    counts = [
        (len(article.polls), "poll"),
        (len(article.events), "event"),
        (len(article.rejected), "rejected row"),
        (len(article.warnings), "warning"),
    ]
    facts = " · ".join(f"{n} {word}{'s' * (n != 1)}" for n, word in counts)
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
            f'<p class="stale">Loaded by an earlier run, <code>{esc(article.run_id)}</code>: '
            "the latest run did not read this file.</p>"
        )
    if chart:
        figure = (
            f'<figure class="chart">{chart}'
            f"{legend_html(series, precisions, bool(article.events))}</figure>"
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
            f"<h3>Polls <span class='count'>{len(article.polls)}</span></h3>",
            polls_table(article, series, ids),
            f"<h3>Rejected rows <span class='count'>{len(article.rejected)}</span></h3>",
            rejected_table(article),
            f"<h3>Quality warnings <span class='count'>{len(article.warnings)}</span></h3>",
            warnings_table(article, ids),
            skipped_details(article),
            "</section>",
        ]
    )


def header_html(run: Row | None, warehouse_name: str) -> str:
    """The run the page reflects: the latest row of `load_runs`, with its counts."""
    if run is None:
        return (
            '<header><h1>wikipoll report</h1><p class="run">No completed run in '
            f"<code>{esc(warehouse_name)}</code> yet: run <code>wikipoll run</code>.</p></header>"
        )
    stats = [
        ("articles", "articles"),
        ("polls", "polls"),
        ("events", "events"),
        ("rejected", "rejected"),
        ("warnings", "warnings"),
        ("repaired", "repaired"),
        ("skipped", "skipped"),
        ("articles_refused", "files refused"),
        ("articles_stale", "kept stale"),
    ]
    chips = "".join(
        f'<li class="stat {key}{" zero" if not run.get(key) else ""}">'
        f"<b>{esc(run.get(key))}</b> {label}</li>"
        for key, label in stats
        if key in run
    )
    finished = run["finished_at"]
    when = f"{finished:%Y-%m-%d %H:%M:%S} UTC" if finished else "?"
    return (
        "<header><h1>wikipoll report</h1>"
        f'<p class="run">Run <code>{esc(run["run_id"])}</code>, finished {esc(when)}, '
        f"read <code>{esc(run.get('raw_dir'))}/</code> into <code>{esc(warehouse_name)}</code>."
        f'</p><ul class="stats">{chips}</ul></header>'
    )


def contents_html(articles: Sequence[ArticleReport], ids: _Ids) -> str:
    if len(articles) < 2:
        return ""
    items = "".join(
        f'<li><a href="#{esc(ids.get("article", a.article_id))}">{esc(a.title)}</a> '
        f'<span class="count">{len(a.polls)} polls'
        + (f", {len(a.rejected)} rejected" if a.rejected else "")
        + "</span></li>"
        for a in articles
    )
    return f'<nav><h2>Articles</h2><ol class="contents">{items}</ol></nav>'


def render_page(run: Row | None, articles: Sequence[ArticleReport], warehouse_name: str) -> str:
    """The whole HTML document: inline CSS, inline SVG, no script, nothing to fetch."""
    ids = _Ids()
    latest = run["run_id"] if run else None
    sections = [article_section(article, latest, ids) for article in articles]
    body = sections or ['<p class="empty">The warehouse holds no articles.</p>']
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!doctype html>
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
{header_html(run, warehouse_name)}
{contents_html(articles, ids)}
{"".join(body)}
<footer>Generated {esc(generated)} by <code>flows/report.py</code> from
<code>{esc(warehouse_name)}</code>. Every value is shown as the warehouse holds it.</footer>
</main>
</body>
</html>
"""


CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

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
code { font: 12px/1.4 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
header { border-bottom: 1px solid var(--line); padding-bottom: 14px; margin-bottom: 18px; }
.run { margin: 0 0 10px; color: var(--muted); }
.stats, .legend, .keys, .contents { list-style: none; padding: 0; margin: 0; display: flex;
  flex-wrap: wrap; gap: 6px 18px; }
.stat b { font-size: 16px; font-variant-numeric: tabular-nums; }
.stat.rejected b { color: #b42318; } .stat.warnings b { color: #b54708; }
.stat.zero b { color: inherit; }
nav { margin-bottom: 18px; } nav h2 { font-size: 14px; color: var(--muted); }
.contents { flex-direction: column; gap: 2px; }
.count { color: var(--muted); font-weight: normal; font-size: 12px; }
h3 .count { background: var(--soft); border-radius: 8px; padding: 0 6px; margin-left: 4px; }
.article { padding: 22px 0 26px; border-bottom: 1px solid var(--line); }
.meta { margin: 0 0 12px; color: var(--muted); }
.stale { background: #fffaeb; border: 1px solid #fedf89; padding: 6px 10px; border-radius: 6px; }
figure.chart { margin: 0; }
svg.chart { display: block; width: 100%; height: auto; overflow: visible; }
svg.chart text { font-size: 11px; fill: var(--muted); }
.grid line { stroke: var(--line); } .axis line { stroke: #9aa5b1; }
svg.chart text.minor { fill: #9aa5b1; font-size: 10px; }
.event line { stroke: #8795a1; stroke-dasharray: 4 3; }
.event text { fill: #3e4c59; paint-order: stroke; stroke: #fff; stroke-width: 3px; }
.event-span { fill: #8795a1; opacity: .08; }
.trend { fill: none; stroke-width: 1.4; stroke-opacity: .35; stroke-linejoin: round; }
.point .dot { stroke: #fff; stroke-width: 1; }
.point .ring { fill: #fff; stroke-width: 1.6; }
.point .span { fill: none; stroke-width: 1.6; stroke-opacity: .75; }
.point:hover .dot { stroke: var(--ink); stroke-width: 1.8; }
.point:hover .ring { stroke-width: 2.6; }
.legend { margin-top: 6px; font-size: 13px; }
.legend li, .keys li { display: flex; align-items: center; gap: 6px; }
.keys { color: var(--muted); font-size: 12px; margin-top: 4px; }
.key { fill: #52606d; } .key-ring { fill: #fff; stroke: #52606d; stroke-width: 1.6; }
.key-span { stroke: #52606d; stroke-width: 1.6; fill: none; }
.key-event { stroke: #8795a1; stroke-dasharray: 3 2; }
.hint { color: var(--muted); font-size: 12px; margin: 4px 0 0; }
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
