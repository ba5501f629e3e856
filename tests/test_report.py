"""Report: a real warehouse built from the test articles, rendered, then read as HTML and in Chromium."""

from __future__ import annotations

import hashlib
import json
import re
import shlex
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest

from flows import report
from flows.check.validate import validate_batch
from flows.load.connection import WarehouseError
from flows.load.warehouse import load_batch
from flows.read.errors import ArticleError
from flows.report import write_report
from tests.conftest import ARTICLES, RUN, SAMPLE, normalize_file

FINLAND = ARTICLES / "finland_nato_relations.txt"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip

# Hostile text in every place a value can come from: the title, a pollster, a client, an event,
# and a rejected row's raw text. `&lt;` is how wikitext writes a literal `<` the parser keeps.
HOSTILE = """= &lt;script&gt;alert('title')&lt;/script&gt; '); DROP TABLE polls; -- =

==Polls==
| Dates conducted | Pollster | Client | Sample size | Support | Opposed | Neutral | Lead |
| March 2022 | &lt;script&gt;alert(1)&lt;/script&gt; | '); DROP TABLE polls; -- | 1000 | 10% | 80% | 10% | 70% |
| 7 March 2022 | &lt;img src=x onerror=alert(2)&gt; | | | | | | |
| May 2022 | P | x | 1000 | 1,5% | 80% | 10% | 70% <script>alert(3)</script> |
"""


# --- building a warehouse, reading the page ----------------------------------------------------


def build_warehouse(path: Path, *articles: Path, refused=()) -> Path:
    """Load articles as the flow does: one run validates and loads them."""
    load_batch(
        path,
        validate_batch([normalize_file(a) for a in articles], RUN, list(refused)),
        RUN,
        raw_dir="raw",
    )
    return path


def write_article(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def all(self, tag: str | None = None, cls: str | None = None) -> list[Node]:
        found = []
        for child in self.children:
            if isinstance(child, Node):
                if (tag is None or child.tag == tag) and (cls is None or cls in child.classes()):
                    found.append(child)
                found += child.all(tag, cls)
        return found

    def one(self, tag: str | None = None, cls: str | None = None) -> Node:
        (node,) = self.all(tag, cls)
        return node


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class TreeBuilder(HTMLParser):
    """A plain element tree from html.parser; character references come back decoded."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag):
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse(page: str) -> Node:
    builder = TreeBuilder()
    builder.feed(page)
    builder.close()
    return builder.root


def render(warehouse: Path, tmp_path: Path) -> tuple[str, Node]:
    out = write_report(warehouse, tmp_path / "out" / "report.html")
    page = out.read_text(encoding="utf-8")
    return page, parse(page)


def sections(doc: Node) -> dict[str, Node]:
    return {s.one("h2").text(): s for s in doc.all("section", "article")}


def query(warehouse: Path, sql: str):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def main_chart(section: Node) -> Node:
    """The chart of every poll and event (the second panel, of the last months, is `zoom`)."""
    (chart,) = [c for c in section.all("svg", "chart") if "zoom" not in c.classes()]
    return chart


def answer_marks(chart: Node) -> list[Node]:
    """One circle per answer of each poll the chart links to its row."""
    return [c for point in chart.all("g", "point") for c in point.all("circle")]


def headline(doc: Node) -> dict[str, str]:
    """The header's totals of the warehouse, by what they count (the class of each figure)."""
    return {
        next(c for c in li.classes() if c not in ("stat", "zero")): li.one("b").text()
        for li in doc.one("header").all("li", "stat")
    }


# --- the page ----------------------------------------------------------------------------------


def test_sample_report_has_one_chart_the_polls_and_the_events(tmp_path):
    warehouse = build_warehouse(tmp_path / "w.duckdb", SAMPLE)
    _, doc = render(warehouse, tmp_path)
    (serbia,) = sections(doc).values()
    assert serbia.one("h2").text() == "Serbia–NATO relations"
    chart = main_chart(serbia)
    assert len(chart.all("g", "point")) == 9  # one per poll, linked to its row
    assert len(answer_marks(chart)) == 27  # 9 polls × 3 answers
    series = {c.attrs["data-option"] for c in answer_marks(chart)}
    assert series == {"Support", "Opposed", "Neutral or"}
    # The polling average, one line per answer, from the view poll_trend.
    assert {t.attrs["data-option"] for t in chart.all("path", "trend")} == series
    legend = [li.text() for li in serbia.one("ul", "legend").all("li")]
    assert legend == ["Support", "Opposed", "Neutral or"]
    years = [t.text() for t in chart.one("g", "axis").all("text")]
    assert years == [str(y) for y in range(2006, 2025, 2)]  # 2006–2025, every other year
    assert [t.text() for t in chart.one("g", "grid").all("text")] == [
        "0%", "25%", "50%", "75%", "100%",
    ]  # fmt: skip

    events = chart.all("g", "event")
    labels = {e.one("text").text() for e in events}
    assert labels == {
        "Partnership for Peace", "Russia invades Georgia", "Russia annexes Crimea",
        "Russia invades Ukraine", "Finland acceedes to NATO", "Sweden acceedes to NATO",
    }  # fmt: skip
    for event in events:
        line = event.one("line")
        assert line.attrs["x1"] == line.attrs["x2"]  # vertical, dashed by the stylesheet
    ukraine = next(e for e in events if e.one("text").text() == "Russia invades Ukraine")
    assert ukraine.one("title").text().startswith("24 February 2022: Russia invades Ukraine")

    rows = serbia.one("table", "polls").one("tbody").all("tr")
    assert len(rows) == 9
    first = [td.text() for td in rows[0].all("td")]
    assert first[:8] == ["February 2024", "NSPM", "–", "1,000", "7.6%", "84.6%", "7.8%", "77"]
    assert first[8] == "realigned: 7 cells for 8 columns, read with 'Client' missing"
    assert not serbia.all("table", "rejected") and "No rows rejected." in serbia.text()

    # The polls span 2007 to 2024: the last two years are drawn again, on their own axis.
    zoom = serbia.one("svg", "zoom")
    assert zoom.attrs["aria-label"].startswith("The last 24 months, March 2022 to February 2024")
    zoomed = query(
        warehouse, "SELECT count(*) FROM poll_answers WHERE fieldwork_midpoint >= DATE '2022-03-01'"
    )[0][0]
    assert len(answer_marks(zoom)) == zoomed > 0


def test_the_header_names_the_latest_run_and_its_counts(tmp_path):
    warehouse = build_warehouse(tmp_path / "w.duckdb", SAMPLE)
    _, doc = render(warehouse, tmp_path)
    header = doc.one("header")
    run = header.one("p", "run").text()
    assert "test-run" in run and "1 loaded, 0 unchanged, 0 refused" in run
    assert headline(doc) == {
        "articles": "1", "polls": "9", "events": "6", "rejected": "0", "warnings": "0",
        "repaired": "6", "skipped": "0", "stale": "0",
    }  # fmt: skip
    assert [li.text() for li in header.all("li", "stat")][:2] == ["1 article", "9 polls"]
    finished = query(warehouse, "SELECT finished_at FROM load_runs")[0][0]
    assert f"{finished:%Y-%m-%d %H:%M:%S}" in header.text()


def test_the_headline_describes_the_warehouse_after_a_no_change_run(tmp_path):
    from flows.load.warehouse import WarehouseLoad
    from flows.records import new_run

    warehouse = build_warehouse(tmp_path / "w.duckdb", SAMPLE)
    # What the flow does when no file changed: an empty batch, the file counted as unchanged.
    quiet = new_run(run_id="no-change-run", run_date=RUN.run_date)
    with WarehouseLoad(warehouse, quiet, "raw") as load:
        load.write(validate_batch([], quiet))
        load.summary.articles_unchanged += 1
    assert query(warehouse, "SELECT articles, polls FROM load_runs WHERE run_id = 'no-change-run'") == [(0, 0)]  # fmt: skip

    _, doc = render(warehouse, tmp_path)
    assert headline(doc)["articles"] == "1" and headline(doc)["polls"] == "9"
    assert headline(doc)["events"] == "6"
    run = doc.one("header").one("p", "run").text()
    assert "no-change-run" in run and "0 loaded, 1 unchanged" in run and "0 polls" in run
    (serbia,) = sections(doc).values()
    assert len(answer_marks(main_chart(serbia))) == 27
    note = serbia.one("p", "stale").text()
    assert "Loaded by an earlier run, test-run" in note and "did not load it again" in note


def test_each_poll_row_links_back_to_its_source_line(tmp_path):
    warehouse = build_warehouse(tmp_path / "w.duckdb", SAMPLE, FINLAND)
    _, doc = render(warehouse, tmp_path)
    ids = [node.attrs["id"] for node in doc.all() if "id" in node.attrs]
    assert len(ids) == len(set(ids))
    polls = query(warehouse, "SELECT poll_id, source_path, source_line FROM polls")
    rows = {
        tr.attrs["id"]: tr for tr in doc.all("tr") if tr.attrs.get("id", "").startswith("poll-")
    }
    assert len(rows) == len(polls) == 18
    by_poll = {tr.one("td", "source").one("a", "permalink").text(): tr for tr in rows.values()}
    for poll_id, source_path, source_line in polls:
        source = by_poll[poll_id].one("td", "source")
        assert f"{source_path}:{source_line}" in source.text()
        assert source.one("a").attrs["href"] == "#" + by_poll[poll_id].attrs["id"]
    # Every chart point and every warning links to a row that is on the page.
    links = [a.attrs["href"] for a in doc.all("a") if a.attrs.get("href", "").startswith("#")]
    assert links and all(href[1:] in ids for href in links)
    for link in doc.all("a"):
        for point in link.all("g", "point"):
            assert link.attrs["href"] == "#" + by_poll[point.attrs["data-poll-id"]].attrs["id"]


def test_points_sit_at_the_middle_of_the_fieldwork_with_a_bar_unless_day_precise(tmp_path):
    warehouse = build_warehouse(tmp_path / "w.duckdb", FINLAND)
    _, doc = render(warehouse, tmp_path)
    chart = main_chart(doc)
    precision = dict(query(warehouse, "SELECT poll_id, date_precision FROM polls"))
    assert sorted(set(precision.values())) == ["day", "month", "year"]
    points = chart.all("g", "point")
    assert len(answer_marks(chart)) == query(warehouse, "SELECT count(*) FROM poll_results")[0][0] == 25  # fmt: skip
    for point in points:
        circles = point.all("circle")
        kind = precision[point.attrs["data-poll-id"]]
        spans = point.all("path", "span")
        assert len({c.attrs["cx"] for c in circles}) == 1  # the answers of a poll share its day
        if kind == "day":
            assert spans == [] and all("dot" in c.classes() for c in circles)
            continue
        assert len(spans) == len(circles)  # a bar per answer
        for circle, span in zip(circles, spans, strict=True):
            # M x1 y-3 v6  M x1 y H x2  M x2 y-3 v6: a bar from start to end with end caps
            x1 = float(re.match(r"M([\d.]+) ", span.attrs["d"]).group(1))
            x2 = float(re.search(r"H([\d.]+)", span.attrs["d"]).group(1))
            assert x1 < x2 and abs(float(circle.attrs["cx"]) - (x1 + x2) / 2) < 0.15
            assert "ring" in circle.classes()
    # The year poll "2021" spans the whole year; its middle is 2 July.
    gallup = next(p for p in points if p.attrs["data-poll-id"].endswith("#1.5"))
    tip = gallup.one("title").text()
    assert "Gallup" in tip and "2021-01-01 – 2021-12-31, year" in tip
    assert re.match(r"(Yes|No|Undecided): \d+%", tip)


# Five polls of known shares on known days: the average of 11 January weighs the poll of
# 1 January (10 days old) by 20/30 and the two of that day by 1; on 31 January the poll of
# 1 January is 30 days old and out of the window; 1 May is alone, after a gap.
TREND = """= Trend =

==Polls==
| Dates conducted | Pollster | Client | Sample size | Support | Opposed | Neutral | Lead |
| 1 January 2024 | A | | 1000 | 40% | 50% | 10% | 10% |
| 11 January 2024 | B | | 1000 | 50% | 40% | 10% | 10% |
| 11 January 2024 | C | | 1000 | 60% | 30% | 10% | 30% |
| 31 January 2024 | D | | 1000 | 45% | 45% | 10% | 0% |
| 1 May 2024 | E | | 1000 | 30% | 60% | 10% | 30% |
"""


def test_poll_trend_is_a_time_weighted_average_of_the_last_30_days(tmp_path):
    article = write_article(tmp_path / "raw", "trend.txt", TREND)
    warehouse = build_warehouse(tmp_path / "w.duckdb", article)
    rows = query(
        warehouse,
        "SELECT day::VARCHAR, polls_in_window, round(average_share, 6), window_days "
        "FROM poll_trend WHERE option = 'Support' ORDER BY day",
    )
    assert rows == [
        ("2024-01-01", 1, 40.0, 30),
        ("2024-01-11", 3, round((20 / 30 * 40 + 50 + 60) / (20 / 30 + 2), 6), 30),  # 51.25
        ("2024-01-31", 3, round((10 / 30 * (50 + 60) + 45) / (20 / 30 + 1), 6), 30),  # 49.0
        ("2024-05-01", 1, 30.0, 30),
    ]
    assert {r[0] for r in query(warehouse, "SELECT average_share FROM poll_trend WHERE option = 'Neutral'")} == {10.0}  # fmt: skip
    # The page draws these rows and states the same window as the view holds.
    assert rows[0][3] == report.TREND_WINDOW_DAYS
    _, doc = render(warehouse, tmp_path)
    chart = main_chart(doc)
    support = [t for t in chart.all("path", "trend") if t.attrs["data-option"] == "Support"]
    solid, gap = sorted(support, key=lambda t: "gap" in t.classes())
    assert solid.attrs["d"].count("M") == 2  # January, then 1 May after a gap of 91 days
    assert "gap" in gap.classes() and gap.attrs["d"].count("M") == 1
    assert f"{report.TREND_WINDOW_DAYS} days up to it" in doc.one("ul", "keys").text()


def test_the_average_is_drawn_from_a_warehouse_without_the_view(tmp_path):
    """A warehouse last loaded before poll_trend existed: the report, which only reads, runs
    the view's definition on its own connection and leaves the file as it was."""
    warehouse = build_warehouse(tmp_path / "w.duckdb", SAMPLE)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("DROP VIEW poll_trend")
    before = hashlib.sha256(warehouse.read_bytes()).hexdigest()
    _, doc = render(warehouse, tmp_path)
    assert len(main_chart(doc).all("path", "trend")) >= 3
    assert hashlib.sha256(warehouse.read_bytes()).hexdigest() == before


def test_event_labels_never_share_a_row_where_they_would_overlap():
    events = [
        {"event_id": f"e{i}", "description": text}
        for i, text in enumerate(["Treaty signed", "Prime minister replaced after a vote of no confidence", "Talks", "Жовтень", "会谈开始"] * 8)
    ]  # fmt: skip
    x_of = {e["event_id"]: 300 + 7 * i for i, e in enumerate(events)}  # 40 events in 280 units
    x_of["e39"] = report.CHART_WIDTH - 5  # too near the right edge: its label goes to the left
    placed = report._place_labels(events, x_of)
    assert 0 < len(placed) < len(events)  # the rest keep their line and tooltip
    assert placed["e39"][1] == "end"
    rows: dict[int, list[tuple[float, float]]] = {}
    for event in events:
        if event["event_id"] not in placed:
            continue
        row, anchor = placed[event["event_id"]]
        width = report._text_width(report._shorten(event["description"]))
        x = x_of[event["event_id"]]
        span = (x + 4, x + 4 + width) if anchor == "start" else (x - 4 - width, x - 4)
        assert span[0] >= 0 and span[1] <= report.CHART_WIDTH
        assert row < report.MAX_LABEL_ROWS
        for other in rows.setdefault(row, []):
            assert span[1] + report.LABEL_GAP <= other[0] or other[1] + report.LABEL_GAP <= span[0]
        rows[row].append(span)


def test_a_capped_table_says_how_to_get_the_rest_with_a_query(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from flows.cli import app

    monkeypatch.setattr(report, "ROWS_SHOWN", 4)
    monkeypatch.setattr(report, "ROWS_SHOWN_MIN", 4)
    warehouse = build_warehouse(tmp_path / "w.duckdb", SAMPLE, FINLAND)
    _, doc = render(warehouse, tmp_path)
    serbia, finland = (
        sections(doc)["Serbia–NATO relations"],
        sections(doc)["Finland–NATO relations"],
    )

    def rest(note: Node) -> list[dict]:
        """Run the command the note gives, as a user would paste it."""
        words = shlex.split(note.one("code", "query").text())
        assert words[:4] == ["wikipoll", "query", "--warehouse", str(warehouse)]
        result = CliRunner().invoke(app, [*words[1:], "--format", "json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.output)

    # The polls: the latest 4 in the table, the other 5 a query away.
    shown = [tr.one("td", "source").one("a").text() for tr in serbia.one("table", "polls").all("tr")[1:]]  # fmt: skip
    assert len(shown) == 4
    note = serbia.one("p", "capped")
    assert note.text().startswith("5 polls more, not shown here")
    others = [row["poll_id"] for row in rest(note)]
    every = query(warehouse, "SELECT poll_id, fieldwork_end FROM polls WHERE article_id = 'serbia_nato_relations.txt' ORDER BY fieldwork_end DESC")  # fmt: skip
    assert sorted(shown + others) == sorted(p for p, _ in every)
    assert set(shown) == {p for p, _ in every[:4]}  # the latest are the ones shown
    # The chart still draws every poll, without links: an answer is a dot in its series' path.
    chart = main_chart(serbia)
    assert "lean" in chart.classes() and not chart.all("g", "point")
    marks = [
        d.attrs["d"].count("h0")
        for g in chart.all("g", "dots")
        for d in g.all("path")
        if d.classes() & {"dot", "ring"}
    ]
    assert sum(marks) == 27
    assert "the table lists the latest" in serbia.one("p", "hint").text()

    # Rejected rows: the first 4 by source line, then the query for the 2 others.
    lines = [r[0] for r in query(warehouse, "SELECT source_line FROM rejected_rows ORDER BY source_line")]  # fmt: skip
    assert len(finland.one("table", "rejected").one("tbody").all("tr")) == 4
    (note,) = [n for n in finland.all("p", "capped") if "rejected" in n.text()]
    assert [row["source_line"] for row in rest(note)] == lines[4:]
    # Every link on the page goes to a row that is on it.
    ids = {node.attrs["id"] for node in doc.all() if "id" in node.attrs}
    assert all(a.attrs["href"][1:] in ids for a in doc.all("a") if a.attrs["href"].startswith("#"))


def test_rejected_rows_and_warnings_are_listed_with_their_reasons(tmp_path):
    warehouse = build_warehouse(tmp_path / "w.duckdb", SAMPLE, FINLAND)
    _, doc = render(warehouse, tmp_path)
    finland = sections(doc)["Finland–NATO relations"]
    assert list(sections(doc)) == ["Finland–NATO relations", "Serbia–NATO relations"]
    rejected = finland.one("table", "rejected").one("tbody").all("tr")
    expected = query(
        warehouse,
        "SELECT source_path || ':' || source_line, check_name, reason, raw_text FROM rejected_rows "
        "ORDER BY source_line",
    )
    assert len(rejected) == len(expected) == 6
    shown = [tuple(td.text() for td in tr.all("td")) for tr in rejected]
    for (where, check, reason, raw), cells in zip(expected, shown, strict=True):
        assert cells[0] == where and cells[1] == check
        assert cells[2].startswith(reason) and cells[3] == raw
    assert shown[0][:2] == ("finland_nato_relations.txt:22", "too_many_cells")

    warnings = finland.one("table", "warnings").one("tbody").all("tr")
    assert [tr.all("td")[1].text() for tr in warnings] == [
        "value_refused", "value_refused", "shares_sum_below_99", "lead_mismatch",
        "sample_size_missing",
    ]  # fmt: skip
    assert "'84,6%' is not a percentage: use a decimal point" in warnings[0].text()
    assert warnings[3].one("a").attrs["href"] == "#poll-finland_nato_relations.txt-1.15"
    assert "sample_size is empty" in warnings[4].text()
    assert "2 rows skipped" in finland.one("details").one("summary").text()


def test_every_warehouse_value_is_escaped(tmp_path):
    article = write_article(tmp_path / "raw", "hostile.txt", HOSTILE)
    warehouse = build_warehouse(tmp_path / "w.duckdb", article)
    assert query(warehouse, "SELECT pollster FROM polls ORDER BY source_line") == [
        ("<script>alert(1)</script>",), ("P",)]  # fmt: skip
    page, doc = render(warehouse, tmp_path)

    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page
    assert "&#x27;); DROP TABLE polls; --" in page
    assert not re.search(r"<\s*(script|img|iframe)", page, re.IGNORECASE)
    assert not doc.all("script") and not doc.all("img")
    assert not [n for n in doc.all() if any(a.startswith("on") for a in n.attrs)]

    (section,) = sections(doc).values()
    assert section.one("h2").text() == "<script>alert('title')</script> '); DROP TABLE polls; --"
    row = section.one("table", "polls").one("tbody").all("tr")[0]
    assert [td.text() for td in row.all("td")][1:3] == [
        "<script>alert(1)</script>", "'); DROP TABLE polls; --",
    ]  # fmt: skip
    assert section.one("g", "event").one("text").text() == "<img src=x onerror=alert(2)>"
    # The last row has two bad cells: each value is refused on its own, and the warning that
    # says so shows the raw cell, escaped.
    warnings = section.one("table", "warnings").one("tbody").all("tr")
    assert [tr.all("td")[1].text() for tr in warnings] == ["value_refused", "value_refused"]
    assert any("70% <script>alert(3)</script>" in tr.text() for tr in warnings)
    assert "70% &lt;script&gt;alert(3)&lt;/script&gt;" in page


@pytest.mark.parametrize(
    "rows",
    [
        pytest.param([], id="timeline-only"),
        pytest.param(
            ["| 7 March 2024 | Acme | | 1000 | 40% | 50% | 10% | 10% |"], id="one-day-poll"
        ),
        pytest.param(["| 2020 | Acme | | 1000 | 40% | 50% | 10% | 10% |"], id="one-year-poll"),
        pytest.param(
            [
                "| March 2023 | Acme | | 1000 | 40% | 50% | 10% | 10% |",
                "| March 2023 | Beta | | 900 | 45% | 45% | 10% | 0% |",
            ],  # fmt: skip
            id="all-month-same-month",
        ),
    ],
)
def test_degenerate_articles_render(tmp_path, rows):
    header = (
        "| Dates conducted | Pollster | Client | Sample size | Support | Opposed | Neutral | Lead |"
    )
    polls = "\n".join([header, *rows]) if rows else ""
    text = f"= Tiny =\n\n==Polls==\n{polls}\n\n==Timeline==\n| Event | Date |\n| Treaty | 2023-06-01 |\n"
    warehouse = build_warehouse(
        tmp_path / "w.duckdb", write_article(tmp_path / "raw", "t.txt", text)
    )
    _, doc = render(warehouse, tmp_path)
    (section,) = sections(doc).values()
    chart = main_chart(section)
    assert len(answer_marks(chart)) == 3 * len(rows)
    assert chart.one("g", "event").one("text").text() == "Treaty"
    numbers = [float(v) for n in chart.all() for k, v in n.attrs.items() if k in ("cx", "x1", "x2")]
    assert all(0 <= x <= 1000 for x in numbers)  # finite and inside the chart
    if not rows:
        assert "No polls loaded for this article." in section.text()


def test_an_empty_or_unloaded_warehouse_renders(tmp_path):
    fresh = tmp_path / "fresh.duckdb"
    duckdb.connect(str(fresh)).close()
    _, doc = render(fresh, tmp_path)
    assert "No completed run" in doc.one("header").text() and not sections(doc)

    refused = ArticleError("broken.txt", "not UTF-8 text (byte 0xe9 at offset 3)", line=1)
    only_refused = build_warehouse(tmp_path / "refused.duckdb", refused=[refused])
    _, doc = render(only_refused, tmp_path)
    (section,) = sections(doc).values()
    assert section.one("h2").text() == "broken.txt"
    assert "No dated polls or events to chart." in section.text()
    assert not section.all("svg", "chart")
    assert section.one("table", "rejected").one("tbody").one("tr").all("td")[1].text() == (
        "unreadable_file"
    )


def test_the_report_reads_without_writing_and_refuses_a_missing_file(tmp_path):
    warehouse = build_warehouse(tmp_path / "w.duckdb", SAMPLE)
    before = hashlib.sha256(warehouse.read_bytes()).hexdigest()
    out = write_report(warehouse, tmp_path / "report.html")
    assert out == tmp_path / "report.html" and out.stat().st_size > 0
    assert hashlib.sha256(warehouse.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html", "w.duckdb"]
    with pytest.raises(WarehouseError, match="no such warehouse file"):
        write_report(tmp_path / "missing.duckdb", tmp_path / "x.html")


def test_an_article_whose_latest_read_failed_says_so(tmp_path):
    from flows.records import new_run

    warehouse = build_warehouse(tmp_path / "w.duckdb", SAMPLE)
    refused = ArticleError(
        SAMPLE.name,
        "parsing the article took longer than its 5 s budget",
        check_name="parse_timeout",
    )
    run = new_run(run_id="refusing-run", run_date=RUN.run_date)
    load_batch(warehouse, validate_batch([], run, [refused]), run, raw_dir="raw")
    _, doc = render(warehouse, tmp_path)
    (serbia,) = sections(doc).values()
    note = serbia.one("p", "stale").text()
    assert "The latest read of this file failed" in note
    assert "parse_timeout: parsing the article took longer than its 5 s budget" in note
    assert "test-run" in note  # the run whose rows are shown
    assert len(serbia.one("table", "polls").one("tbody").all("tr")) == 9
    assert "No rows rejected." in serbia.text()
    assert headline(doc)["stale"] == "1" and headline(doc)["polls"] == "9"
    run = doc.one("header").one("p", "run").text()
    assert "refusing-run" in run and "1 refused, 1 kept stale" in run


def test_a_damaged_warehouse_is_one_line_not_a_traceback(tmp_path, capsys):
    from flows.report import main

    warehouse = build_warehouse(tmp_path / "w.duckdb", SAMPLE)
    with warehouse.open("r+b") as file:
        file.truncate(warehouse.stat().st_size // 2)
    with pytest.raises(WarehouseError, match="damaged.*restore it from a copy"):
        write_report(warehouse, tmp_path / "report.html")
    assert main(["--warehouse", str(warehouse), "--out", str(tmp_path / "r.html")]) == 2
    printed = capsys.readouterr()
    (line,) = printed.out.splitlines()
    assert line.startswith("wikipoll: error: ") and str(warehouse) in line
    assert "Traceback" not in printed.out + printed.err
    assert not (tmp_path / "r.html").exists() and not (tmp_path / "report.html").exists()


def test_the_page_needs_no_network(tmp_path):
    warehouse = build_warehouse(tmp_path / "w.duckdb", SAMPLE)
    page, doc = render(warehouse, tmp_path)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "@import" not in page and "url(" not in page
    csp = next(m for m in doc.all("meta") if m.attrs.get("http-equiv") == "Content-Security-Policy")
    assert csp.attrs["content"].startswith("default-src 'none'")


# --- in a browser ------------------------------------------------------------------------------

# What each article section shows, as the browser laid it out. Sections are made visible first:
# `content-visibility: auto` leaves the ones out of view unlaid out. Two event labels of one chart
# overlap when their boxes, as drawn in the page's font, intersect.
SHOWN = """() => {
    const overlaps = svg => {
        const boxes = [...svg.querySelectorAll('.event text')].map(t => t.getBoundingClientRect());
        let n = 0;
        boxes.forEach((a, i) => boxes.slice(i + 1).forEach(b => {
            if (a.left < b.right - 0.5 && b.left < a.right - 0.5
                && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5) n++;
        }));
        return n;
    };
    return [...document.querySelectorAll('section.article')].map(s => {
        s.style.contentVisibility = 'visible';
        const charts = [...s.querySelectorAll('svg.chart')];
        const main = s.querySelector('svg.chart:not(.zoom)');
        const dot = s.querySelector('svg.chart .point circle');
        return {
            title: s.querySelector('h2').textContent,
            charts: charts.length,
            zooms: s.querySelectorAll('svg.chart.zoom').length,
            answers: main ? main.querySelectorAll('.point circle').length : 0,
            lean: main ? main.classList.contains('lean') : false,
            events: main ? main.querySelectorAll('.event').length : 0,
            labels: charts.reduce((n, c) => n + c.querySelectorAll('.event text').length, 0),
            overlaps: charts.reduce((n, c) => n + overlaps(c), 0),
            trends: main ? main.querySelectorAll('path.trend:not(.gap)').length : 0,
            rows: s.querySelectorAll('table.polls tbody tr').length,
            capped: [...s.querySelectorAll('p.capped code.query')].map(c => c.textContent),
            pointWidth: dot ? dot.getBoundingClientRect().width : 0,
        };
    });
}"""


def open_in_chromium(page_file: Path, screenshot: Path | None = None) -> dict:
    """Load the page in headless system Chromium; return what it shows and what went wrong."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser test needs the system Chromium, so .ci/run must "
            "`apt-get install -y chromium` (Debian's package; `playwright install` cannot download here)"
        )
    from playwright.sync_api import sync_playwright

    from benchmarks.report_scale import watch_page

    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            watch_page(page, problems)
            page.goto(page_file.as_uri(), wait_until="load")
            scripts = page.evaluate("document.querySelectorAll('script, img, iframe').length")
            if screenshot is not None:
                page.screenshot(path=str(screenshot), full_page=True)
            shown = page.evaluate(SHOWN)
        finally:
            browser.close()
    return {"articles": shown, "problems": problems, "scripts": scripts}


@pytest.mark.browser
def test_report_renders_in_chromium_without_errors(tmp_path):
    hostile = write_article(tmp_path / "raw", "hostile.txt", HOSTILE)
    warehouse = build_warehouse(tmp_path / "w.duckdb", SAMPLE, FINLAND, hostile)
    page_file = write_report(warehouse, tmp_path / "report.html")
    seen = open_in_chromium(page_file, tmp_path / "report.png")

    assert seen["problems"] == [] and seen["scripts"] == 0
    expected = dict(
        query(
            warehouse,
            "SELECT a.title, count(r.poll_id) FROM articles a LEFT JOIN polls p USING (article_id) "
            "LEFT JOIN poll_results r USING (poll_id) GROUP BY a.title",
        )
    )
    shown = {a["title"]: a for a in seen["articles"]}
    assert {title: a["answers"] for title, a in shown.items()} == expected
    assert all(a["charts"] == 1 + a["zooms"] and a["overlaps"] == 0 for a in shown.values())
    serbia = shown["Serbia–NATO relations"]
    assert (serbia["answers"], serbia["events"], serbia["rows"]) == (27, 6, 9)
    assert serbia["zooms"] == 1 and serbia["trends"] == 3 and serbia["labels"] >= 6
    assert serbia["pointWidth"] > 4  # drawn at a visible size, not collapsed by the layout
    assert (tmp_path / "report.png").stat().st_size > 10_000  # kept in tmp_path to look at


@pytest.mark.browser
def test_the_report_of_50000_polls_is_small_and_opens_cleanly(tmp_path):
    """The warehouse of benchmarks/report_scale.py (which times it): 50,000 polls in 41
    articles, a few of them with thousands of polls and hundreds of events."""
    from benchmarks.report_scale import TARGET_BYTES
    from benchmarks.report_scale import build_warehouse as build_large

    warehouse = tmp_path / "large.duckdb"
    counts = build_large(warehouse, polls=50_000)
    page_file = write_report(warehouse, tmp_path / "report.html")
    assert page_file.stat().st_size < TARGET_BYTES
    seen = open_in_chromium(page_file)

    assert seen["problems"] == [] and seen["scripts"] == 0
    articles = seen["articles"]
    assert len(articles) == counts["articles"]
    polls = dict(query(warehouse, "SELECT article_title, count(*) FROM polls GROUP BY ALL"))
    limit = report.rows_shown(counts["articles"])
    for article in articles:
        total = polls.get(article["title"], 0)
        assert article["charts"] >= 1 and article["overlaps"] == 0, article["title"]
        assert article["rows"] == min(total, limit)
        if total > limit:  # the rest is a query away, and the chart draws them all, lean
            assert article["lean"] and any("FROM polls" in q for q in article["capped"])
        else:
            assert not article["capped"] or all("FROM polls" not in q for q in article["capped"])
    assert sum(a["labels"] for a in articles) > 100  # dense charts, labelled where there is room
    assert sum(a["zooms"] for a in articles) > 0
