"""Article sources: MediaWiki XML dumps and the Action API, with real files and a real HTTP server.

Dumps are written into tmp_path in the MediaWiki export format. The API is a small `api.php` stand-in
on 127.0.0.1 (an ephemeral port) that records each request; it can fail on purpose (429, 503,
maxlag, a dropped connection) to exercise the retries. Nothing here reaches the internet, and no
test sleeps: `sleep` records the delays.
"""

from __future__ import annotations

import bz2
import hashlib
import json
import random
import re
import socket
import string
import threading
import time
import tracemalloc
from collections import deque
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape, quoteattr

import httpx
import mwxml
import pytest

from flows.read.dumps import DumpError, DumpStats, _PrologGuard, iter_dump
from flows.read.errors import ArticleError
from flows.read.fetch import (
    MAX_STEM_BYTES,
    FetchResult,
    fetch_articles,
    read_sidecar,
    safe_file_stem,
    save_fetched,
    sidecar_path,
)
from flows.read.files import find_article_files, parse_article_file, parse_article_text
from flows.read.sources import SourceArticle, make_source_article

FIXTURES = Path(__file__).resolve().parent / "fixtures"
WIKITEXT = (FIXTURES / "serbia_nato_relations.wiki").read_text(encoding="utf-8")
FLATTENED = (
    Path(__file__).resolve().parent.parent / "raw" / "serbia_nato_relations.txt"
).read_text(encoding="utf-8")
SERBIA = "Serbia–NATO relations"

# --- dumps ----------------------------------------------------------------------------------------

XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'
SITEINFO = """  <siteinfo>
    <sitename>Wikipedia</sitename>
    <dbname>enwiki</dbname>
    <base>https://en.wikipedia.org/wiki/Main_Page</base>
    <generator>MediaWiki 1.42.0-wmf.1</generator>
    <case>first-letter</case>
    <namespaces>
      <namespace key="0" case="first-letter" />
      <namespace key="1" case="first-letter">Talk</namespace>
    </namespaces>
  </siteinfo>
"""


def revision_xml(rev_id: int, timestamp: str, text: str) -> str:
    return f"""    <revision>
      <id>{rev_id}</id>
      <timestamp>{timestamp}</timestamp>
      <contributor><username>Editor</username><id>7</id></contributor>
      <model>wikitext</model>
      <format>text/x-wiki</format>
      <text bytes="{len(text.encode())}" xml:space="preserve">{escape(text)}</text>
      <sha1>phoiac9h4m842xq45sp7s6u21eteeq1</sha1>
    </revision>
"""


def page_xml(
    title: str,
    ns: int,
    page_id: int,
    revisions: list[tuple[int, str, str]],
    redirect: str | None = None,
) -> str:
    redirect_tag = f"    <redirect title={quoteattr(redirect)} />\n" if redirect else ""
    body = "".join(revision_xml(*revision) for revision in revisions)
    return (
        f"  <page>\n    <title>{escape(title)}</title>\n    <ns>{ns}</ns>\n"
        f"    <id>{page_id}</id>\n{redirect_tag}{body}  </page>\n"
    )


def dump_xml(pages: list[str], prolog: str = XML_DECLARATION, inside: str = "") -> str:
    return (
        f"{prolog}"
        '<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://www.mediawiki.org/xml/export-0.10/ '
        'http://www.mediawiki.org/xml/export-0.10.xsd" version="0.10" xml:lang="en">\n'
        f"{SITEINFO}{inside}{''.join(pages)}</mediawiki>\n"
    )


def write_dump(path: Path, xml: str) -> Path:
    data = xml.encode("utf-8")
    if path.name.endswith(".bz2"):
        path.write_bytes(bz2.compress(data))
    else:
        path.write_bytes(data)
    return path


SAMPLE_PAGES = [
    # An article page with two revisions: the latest holds the tables.
    page_xml(
        SERBIA,
        0,
        101,
        [
            (9000, "2023-12-01T00:00:00Z", "An older revision, before the polls were added."),
            (9001, "2024-01-01T00:00:00Z", WIKITEXT),
        ],
    ),
    page_xml(
        "NATO–Serbia relations",
        0,
        102,
        [(9100, "2024-01-01T00:00:00Z", f"#REDIRECT [[{SERBIA}]]")],
        redirect=SERBIA,
    ),
    page_xml("Talk:" + SERBIA, 1, 103, [(9200, "2024-01-02T00:00:00Z", WIKITEXT)]),
    # Infobox parameter lines start with "|", but this page has no table.
    page_xml(
        "Belgrade",
        0,
        104,
        [
            (
                9300,
                "2024-01-03T00:00:00Z",
                "{{Infobox settlement\n| name = Belgrade\n| country = Serbia\n}}\n"
                "'''Belgrade''' is the capital of [[Serbia]].",
            )
        ],
    ),
    page_xml("Serbia NATO polls (flattened)", 0, 105, [(9400, "2024-01-04T00:00:00Z", FLATTENED)]),
]


@pytest.mark.parametrize("name", ["enwiki-sample.xml", "enwiki-sample.xml.bz2"])
def test_iter_dump_yields_the_latest_revision_of_article_pages_with_tables(
    tmp_path: Path, name: str
):
    path = write_dump(tmp_path / name, dump_xml(SAMPLE_PAGES))
    stats = DumpStats()

    articles = list(iter_dump(path, stats=stats))

    assert [article.source_path for article in articles] == [
        f"dump:{name}#{SERBIA}",
        f"dump:{name}#Serbia NATO polls (flattened)",
    ]
    serbia, flattened = articles
    assert serbia == make_source_article(
        WIKITEXT,
        f"dump:{name}#{SERBIA}",
        "wikitext",
        title=SERBIA,
        page_id=101,
        revision_id=9001,
        revision_timestamp="2024-01-01T00:00:00Z",
    )
    assert serbia.text == WIKITEXT
    assert flattened.format == "flattened" and flattened.text == FLATTENED
    assert stats == DumpStats(
        pages_seen=5,
        skipped_namespace=1,
        skipped_redirect=1,
        skipped_no_text=0,
        skipped_no_table=1,
        articles_yielded=2,
    )


def test_iter_dump_without_prefilter_and_with_more_namespaces(tmp_path: Path):
    path = write_dump(tmp_path / "enwiki.xml", dump_xml(SAMPLE_PAGES))
    stats = DumpStats()

    articles = list(iter_dump(path, namespaces=(0, 1), prefilter=False, stats=stats))

    assert [article.title for article in articles] == [
        SERBIA,
        "Talk:" + SERBIA,
        "Belgrade",
        "Serbia NATO polls (flattened)",
    ]
    assert articles[1].source_path == f"dump:enwiki.xml#Talk:{SERBIA}"
    assert articles[2].format == "wikitext"  # infobox lines are not a flattened table
    assert stats.skipped_namespace == 0 and stats.skipped_no_table == 0
    assert stats.skipped_redirect == 1 and stats.articles_yielded == 4


def test_iter_dump_skips_text_redirects_and_empty_pages(tmp_path: Path):
    pages = [
        page_xml("Old redirect", 0, 1, [(1, "2024-01-01T00:00:00Z", "#redirect [[Target]]")]),
        page_xml(
            "Blanked",
            0,
            2,
            [(2, "2024-01-01T00:00:00Z", "{| a |}"), (3, "2024-02-01T00:00:00Z", "")],
        ),
    ]
    stats = DumpStats()

    assert list(iter_dump(write_dump(tmp_path / "d.xml", dump_xml(pages)), stats=stats)) == []
    assert stats.skipped_redirect == 1 and stats.skipped_no_text == 1 and stats.pages_seen == 2


def test_dump_articles_go_through_the_parse_stage(tmp_path: Path):
    path = write_dump(tmp_path / "enwiki.xml.bz2", dump_xml(SAMPLE_PAGES))

    for source in iter_dump(path):
        article = parse_article_text(source.text, source.source_path, source.sha256, source.format)
        assert article.source_path == source.source_path
        assert article.content_sha256 == source.sha256
        assert article.format == source.format
        assert [table.header[:2] for table in article.tables] == [
            ["Dates conducted", "Pollster"],
            ["Event", "Date"],
        ]
        assert len(article.tables[0].rows) == 14


def test_iter_dump_streams_page_by_page(tmp_path: Path):
    """About 6 MB of pages go through with a small fraction of that in memory at any time."""
    text = "{| class=wikitable\n! Date !! Pollster\n|-\n| 2024 || X\n|}\n" + "lorem ipsum " * 400
    pages = [page_xml(f"Page {n}", 0, n, [(n, "2024-01-01T00:00:00Z", text)]) for n in range(1200)]
    path = write_dump(tmp_path / "big.xml", dump_xml(pages))
    assert path.stat().st_size > 5_000_000

    tracemalloc.start()
    try:
        count = sum(1 for _ in iter_dump(path))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert count == 1200
    assert peak < 1_000_000, f"peak {peak} bytes while streaming a {path.stat().st_size}-byte dump"


def test_iter_dump_can_stop_early_and_closes_the_file(tmp_path: Path):
    path = write_dump(tmp_path / "enwiki.xml.bz2", dump_xml(SAMPLE_PAGES))
    articles = iter_dump(path)
    first = next(articles)
    articles.close()
    assert first.title == SERBIA


# --- entity expansion -----------------------------------------------------------------------------


def nested_entities(depth: int) -> str:
    declarations = ['<!ENTITY lol0 "lol">']
    declarations += [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, depth + 1)]
    return "\n  ".join(declarations)


def bomb_dump(depth: int) -> str:
    prolog = f"{XML_DECLARATION}<!DOCTYPE mediawiki [\n  {nested_entities(depth)}\n]>\n"
    page = (
        f"  <page>\n    <title>Bomb</title>\n    <ns>0</ns>\n    <id>1</id>\n    <revision>\n"
        f"      <id>2</id>\n      <timestamp>2024-01-01T00:00:00Z</timestamp>\n"
        f'      <text xml:space="preserve">{{| &lol{depth}; |}}</text>\n    </revision>\n  </page>\n'
    )
    return dump_xml([page], prolog=prolog)


def test_mwxml_alone_expands_entities_which_is_why_iter_dump_guards_the_prolog():
    """Documents the hazard: without the guard, three levels turn 'lol' into 3,000 characters."""
    import io

    dump = mwxml.Dump.from_file(io.BytesIO(bomb_dump(3).encode()))
    texts = [revision.text for page in dump for revision in page]
    assert len(texts[0]) == len("{|  |}") + 3 * 10**3


@pytest.mark.parametrize("name", ["bomb.xml", "bomb.xml.bz2"])
def test_iter_dump_refuses_a_billion_laughs_dump_without_expanding_it(tmp_path: Path, name: str):
    path = write_dump(tmp_path / name, bomb_dump(9))  # 10**9 "lol"s if expanded

    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(DumpError) as refused:
            list(iter_dump(path))
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert str(refused.value).startswith(f"{path}: refused: the dump declares <!DOCTYPE")
    assert refused.value.path == path
    assert peak < 300_000, f"peak {peak} bytes"
    assert elapsed < 1.0


@pytest.mark.parametrize(
    ("prolog", "reason"),
    [
        (  # external entity: would read a local file into the text
            XML_DECLARATION + '<!DOCTYPE mediawiki [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n',
            "declares <!DOCTYPE",
        ),
        (
            XML_DECLARATION + '<!DOCTYPE mediawiki SYSTEM "http://127.0.0.1:9/x.dtd">\n',
            "declares <!DOCTYPE",
        ),
        (XML_DECLARATION + "<!DOCTYPE mediawiki>\n", "declares <!DOCTYPE"),
        (  # hidden behind a comment and a processing instruction
            XML_DECLARATION
            + "<!-- a comment <mediawiki> -->\n<?pi x?>\n<!DOCTYPE m [<!ENTITY a 'b'>]>\n",
            "declares <!DOCTYPE",
        ),
        ("<!ENTITY a 'b'>\n", "declares <!ENTITY"),
        ('<?xml version="1.0" encoding="UTF-7"?>\n', "declares encoding 'UTF-7'"),
        ("<!--" + "x" * 70_000 + "-->\n", "no root element in the first 65536 bytes"),
        ("", None),  # the control: the same dump without a prolog problem is read
    ],
)
def test_iter_dump_refuses_any_dtd_before_the_parser_sees_it(
    tmp_path: Path, prolog: str, reason: str | None
):
    path = write_dump(tmp_path / "dump.xml", dump_xml(SAMPLE_PAGES[:1], prolog=prolog))
    if reason is None:
        assert len(list(iter_dump(path))) == 1
        return
    with pytest.raises(DumpError, match=re.escape(reason)) as refused:
        list(iter_dump(path))
    assert str(refused.value).startswith(f"{path}: refused: ")


class Trickle:
    """A byte stream that gives a few bytes per read, as a pipe may."""

    def __init__(self, data: bytes, step: int):
        self.data, self.step, self.offset = data, step, 0

    def read(self, size: int = -1) -> bytes:
        size = self.step if size < 0 else min(size, self.step)
        chunk = self.data[self.offset : self.offset + size]
        self.offset += len(chunk)
        return chunk


@pytest.mark.parametrize("step", [1, 3, 7, 4096])
def test_the_prolog_guard_reads_a_prolog_split_across_reads(tmp_path: Path, step: int):
    path = tmp_path / "piped.xml"
    safe = dump_xml(SAMPLE_PAGES[:1]).encode()
    dump = mwxml.Dump.from_file(_PrologGuard(Trickle(safe, step), path))
    assert [page.title for page in dump] == [SERBIA]
    with pytest.raises(DumpError, match="declares <!DOCTYPE"):
        _PrologGuard(Trickle(bomb_dump(9).encode(), step), path)


def test_iter_dump_refuses_a_utf16_dump(tmp_path: Path):
    path = tmp_path / "dump.xml"
    path.write_bytes(dump_xml(SAMPLE_PAGES[:1]).replace("utf-8", "utf-16").encode("utf-16"))
    with pytest.raises(DumpError, match="not UTF-8"):
        list(iter_dump(path))


def broken_dumps(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    # A DOCTYPE inside the document is a syntax error to expat: nothing is declared.
    inner_doctype = dump_xml(SAMPLE_PAGES[:1], inside="<!DOCTYPE m [<!ENTITY a 'b'>]>\n")
    yield write_dump(tmp_path / "inner-doctype.xml", inner_doctype), "not well-formed"
    undefined = dump_xml([page_xml("X", 0, 1, [(1, "2024-01-01T00:00:00Z", "{|")])]).replace(
        "{|", "{| &undefined;"
    )
    yield write_dump(tmp_path / "undefined-entity.xml", undefined), "undefined entity"
    whole = bz2.compress(dump_xml(SAMPLE_PAGES).encode())
    (tmp_path / "truncated.xml.bz2").write_bytes(whole[: len(whole) // 2])
    yield tmp_path / "truncated.xml.bz2", "Compressed file ended before the end-of-stream marker"
    yield write_dump(tmp_path / "not-a-dump.xml", "{| just wikitext |}"), "not XML"
    yield write_dump(tmp_path / "other-root.xml", "<html><body/></html>"), "root element <html>"
    yield write_dump(tmp_path / "dump.json", "{}"), "expected a .xml or .xml.bz2 file"


def test_iter_dump_names_the_file_of_a_broken_dump(tmp_path: Path):
    for path, reason in broken_dumps(tmp_path):
        with pytest.raises(DumpError) as refused:
            list(iter_dump(path))
        assert str(refused.value).startswith(f"{path}: "), str(refused.value)
        assert reason in str(refused.value), str(refused.value)


def test_iter_dump_yields_the_pages_before_a_truncation_then_names_the_file(tmp_path: Path):
    noise = random.Random(0)
    pages = [
        page_xml(
            f"Page {n}",
            0,
            n,
            [
                (
                    n,
                    "2024-01-01T00:00:00Z",
                    "{|\n" + "".join(noise.choices(string.ascii_letters, k=3000)),
                )
            ],
        )
        for n in range(1, 201)
    ]
    whole = bz2.compress(dump_xml(pages).encode(), compresslevel=1)  # blocks of 100 kB
    path = tmp_path / "truncated.xml.bz2"
    path.write_bytes(whole[: len(whole) // 2])
    titles: list[str] = []

    with pytest.raises(DumpError, match=r"malformed or truncated after \d+ pages") as refused:
        titles.extend(article.title or "" for article in iter_dump(path))

    assert str(refused.value).startswith(f"{path}: ")
    assert 50 < len(titles) < 200 and titles[:2] == ["Page 1", "Page 2"]


# --- the Action API -------------------------------------------------------------------------------

POLL_TEXT = "{{| class=wikitable\n! Date !! Pollster !! Support\n|-\n| {n} March 2024 || NSPM || 7.6%\n|}}\n"


class FakeApi:
    """`api.php` on 127.0.0.1: a few pages, a redirect, title normalization and continuation.

    `faults` holds what the next requests get instead of an answer: ("status", code, headers),
    ("maxlag", retry_after), ("error", code) or ("drop",) to close the connection unanswered.
    """

    def __init__(self) -> None:
        self.pages: dict[str, dict[str, Any]] = {
            SERBIA: {
                "pageid": 101,
                "revid": 9001,
                "timestamp": "2024-03-08T10:00:00Z",
                "content": WIKITEXT,
            }
        }
        for n in range(1, 61):
            self.pages[f"Poll {n}"] = {
                "pageid": 1000 + n,
                "revid": 5000 + n,
                "timestamp": "2024-03-01T00:00:00Z",
                "content": POLL_TEXT.format(n=n),
            }
        self.redirects = {"NATO–Serbia relations": SERBIA}
        self.faults: deque[tuple[Any, ...]] = deque()
        self.content_limit: int | None = None  # pages with content per response
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        url = urlsplit(handler.path)
        params = {
            key: values[0] for key, values in parse_qs(url.query, keep_blank_values=True).items()
        }
        with self._lock:
            self.requests.append(
                {
                    "path": url.path,
                    "params": params,
                    "user_agent": handler.headers.get("User-Agent"),
                }
            )
            fault = self.faults.popleft() if self.faults else None
        if fault is None:
            self.reply(handler, 200, self.answer(params))
        elif fault[0] == "drop":
            handler.close_connection = True
        elif fault[0] == "status":
            self.reply(handler, fault[1], {"error": "try later"}, fault[2])
        elif fault[0] == "maxlag":
            lag = {"code": "maxlag", "info": "Waiting for 10.64.0.1: 7 seconds lagged.", "lag": 7}
            self.reply(
                handler, 200, {"error": lag}, {"Retry-After": fault[1], "X-Database-Lag": "7"}
            )
        elif fault[0] == "error":
            self.reply(handler, 200, {"error": {"code": fault[1], "info": "Unrecognized value."}})

    @staticmethod
    def reply(
        handler: BaseHTTPRequestHandler,
        status: int,
        body: Any,
        headers: dict[str, str] | None = None,
    ) -> None:
        data = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            handler.send_header(key, value)
        handler.end_headers()
        handler.wfile.write(data)

    def answer(self, params: dict[str, str]) -> dict[str, Any]:
        assert params["action"] == "query" and params["formatversion"] == "2"
        normalized, redirects, pages = [], [], []
        for asked in params["titles"].split("|"):
            if any(char in asked for char in "<>[]{}#"):
                pages.append(
                    {
                        "title": asked,
                        "invalidreason": f'The requested page title contains invalid characters: "{asked}".',
                        "invalid": True,
                    }
                )
                continue
            title = asked.replace("_", " ").strip()
            title = title[:1].upper() + title[1:]
            if title != asked and {"from": asked, "to": title} not in normalized:
                normalized.append({"from": asked, "to": title})
            if title in self.redirects:
                redirects.append({"from": title, "to": self.redirects[title]})
                title = self.redirects[title]
            if title in self.pages:
                if all(page.get("title") != title for page in pages):
                    pages.append({"pageid": self.pages[title]["pageid"], "ns": 0, "title": title})
            else:
                pages.append({"ns": 0, "title": title, "missing": True})
        start = int(params.get("rvcontinue", "0"))
        given, payload = 0, {"batchcomplete": True, "query": {"pages": pages}}
        for index, page in enumerate(p for p in pages if "pageid" in p):
            if index < start:
                continue
            if self.content_limit is not None and given == self.content_limit:
                payload = {
                    "continue": {"rvcontinue": str(index), "continue": "||"},
                    "query": {"pages": pages},
                }
                break
            stored = self.pages[page["title"]]
            page["revisions"] = [
                {
                    "revid": stored["revid"],
                    "parentid": stored["revid"] - 1,
                    "timestamp": stored["timestamp"],
                    "slots": {
                        "main": {
                            "contentmodel": "wikitext",
                            "contentformat": "text/x-wiki",
                            "content": stored["content"],
                        }
                    },
                }
            ]
            given += 1
        if normalized:
            payload["query"]["normalized"] = normalized
        if redirects:
            payload["query"]["redirects"] = redirects
        return payload


@pytest.fixture
def api() -> Iterator[tuple[FakeApi, str]]:
    fake = FakeApi()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            fake.handle(self)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield fake, f"http://127.0.0.1:{server.server_address[1]}/w/api.php"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def fetch(url: str, titles: list[str], delays: list[float], **options: Any) -> FetchResult:
    with httpx.Client(timeout=5.0) as client:
        return fetch_articles(titles, api_url=url, client=client, sleep=delays.append, **options)


USER_AGENT = re.compile(
    r"^wikipoll/\d+\.\d+\.\d+\S* \((https://\S+; )?data pipeline(; contact: \S+)?\) httpx/0\.28\.1$"
)


def test_fetch_articles_follows_redirects_and_reports_missing_and_invalid_titles(api):
    fake, url = api
    delays: list[float] = []
    titles = [
        SERBIA,
        "NATO–Serbia relations",
        "serbia–NATO_relations",
        "No such poll page",
        "Bad<title>",
        "A|B",
        " ",
    ]

    result = fetch(url, titles, delays)

    assert result.articles == [
        make_source_article(
            WIKITEXT,
            SERBIA,
            "wikitext",
            title=SERBIA,
            page_id=101,
            revision_id=9001,
            revision_timestamp="2024-03-08T10:00:00Z",
        )
    ]
    assert result.missing == ["No such poll page"]
    assert result.redirects == {"NATO–Serbia relations": SERBIA}
    assert result.normalized == {"serbia–NATO_relations": SERBIA}
    assert result.errors == [
        "'A|B': invalid title: contains '|', which separates titles",
        "' ': invalid title: empty",
        'Bad<title>: invalid title: The requested page title contains invalid characters: "Bad<title>".',
    ]
    assert result.api_url == url and re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", result.fetched_at
    )
    assert delays == []
    [request] = fake.requests
    assert request["path"] == "/w/api.php"
    assert request["params"] == {
        "action": "query",
        "prop": "revisions",
        "rvprop": "content|ids|timestamp",
        "rvslots": "main",
        "formatversion": "2",
        "format": "json",
        "redirects": "1",
        "maxlag": "5",
        "titles": "|".join(titles[:5]),
    }
    assert USER_AGENT.match(request["user_agent"]), request["user_agent"]


def test_fetched_wikitext_goes_through_the_parse_stage(api):
    _, url = api
    [source] = fetch(url, [SERBIA], []).articles
    article = parse_article_text(source.text, source.source_path, source.sha256, source.format)
    assert article.title == SERBIA and article.source_path == SERBIA
    assert [table.header[1] for table in article.tables] == ["Pollster", "Date"]


def test_fetch_articles_batches_titles_fifty_at_a_time(api):
    fake, url = api
    titles = [f"Poll {n}" for n in range(1, 61)]
    delays: list[float] = []

    result = fetch(url, titles, delays, maxlag=3)

    assert [article.source_path for article in result.articles] == titles
    assert (
        result.articles[59].revision_id == 5060 and "| 60 March 2024 |" in result.articles[59].text
    )
    assert [request["params"]["titles"].split("|") for request in fake.requests] == [
        titles[:50],
        titles[50:],
    ]
    assert {request["params"]["maxlag"] for request in fake.requests} == {"3"}
    assert result.errors == [] and result.missing == [] and delays == []


def test_fetch_articles_batch_size_is_at_most_fifty(api):
    _, url = api
    with pytest.raises(ValueError, match="batch_size"):
        fetch(url, ["Poll 1"], [], batch_size=51)


def test_fetch_articles_follows_continuation_of_a_large_response(api):
    fake, url = api
    fake.content_limit = 1
    titles = ["Poll 1", "Poll 2", "Poll 3", "Bad<title>"]

    result = fetch(url, titles, [])

    assert [article.source_path for article in result.articles] == titles[:3]
    assert [request["params"].get("rvcontinue") for request in fake.requests] == [None, "1", "2"]
    assert {request["params"]["titles"] for request in fake.requests} == {"|".join(titles)}
    assert len(result.errors) == 1  # the invalid title, reported once though answered three times


def test_fetch_articles_retries_429_503_maxlag_and_a_dropped_connection(api):
    fake, url = api
    fake.faults.extend(
        [
            ("status", 429, {"Retry-After": "3"}),
            ("status", 503, {}),
            ("maxlag", "5"),
            ("drop",),
            ("status", 502, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}),  # a date, past
        ]
    )
    delays: list[float] = []

    result = fetch(url, [SERBIA], delays)

    assert [article.title for article in result.articles] == [SERBIA]
    assert result.errors == []
    # backoff 1, 2, 4, 8, 16 s, never before the server's Retry-After (3 s, then 5 s)
    assert delays == [3, 2, 5, 8, 16]
    assert len(fake.requests) == 6
    assert all(request["params"]["titles"] == SERBIA for request in fake.requests)


def test_fetch_articles_gives_up_after_max_retries_and_sends_no_more_batches(api):
    fake, url = api
    fake.faults.extend([("status", 503, {})] * 10)
    delays: list[float] = []

    result = fetch(url, ["Poll 1", "Poll 2"], delays, batch_size=1, max_retries=2)

    assert result.articles == []
    assert result.errors == [
        "Poll 1: gave up after 3 attempts: HTTP 503",
        "Poll 2: not requested: the API kept failing",
    ]
    assert delays == [1, 2]
    assert len(fake.requests) == 3


def test_fetch_articles_does_not_wait_for_a_long_retry_after(api):
    fake, url = api
    fake.faults.append(("status", 429, {"Retry-After": "3600"}))
    delays: list[float] = []

    result = fetch(url, [SERBIA], delays)

    assert result.articles == [] and delays == [] and len(fake.requests) == 1
    assert result.errors == [f"{SERBIA}: HTTP 429, and the server asks to wait 3600 s; gave up"]


def test_fetch_articles_reports_an_api_error_without_retrying(api):
    fake, url = api
    fake.faults.append(("error", "badvalue"))
    delays: list[float] = []

    result = fetch(url, ["Poll 1"], delays)

    assert result.errors == ["Poll 1: API error badvalue: Unrecognized value."]
    assert delays == [] and len(fake.requests) == 1


def test_fetch_articles_reports_an_unreachable_server():
    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    delays: list[float] = []

    result = fetch_articles(
        ["Poll 1"],
        api_url=f"http://127.0.0.1:{port}/w/api.php",
        max_retries=1,
        timeout=2.0,
        sleep=delays.append,
    )

    assert delays == [1]
    [error] = result.errors
    assert error.startswith("Poll 1: gave up after 2 attempts: connection error: ConnectError")


# --- fetched articles in raw/ ---------------------------------------------------------------------


def test_save_fetched_writes_the_article_and_its_sidecar(api, tmp_path: Path):
    _, url = api
    result = fetch(url, ["NATO–Serbia relations", "Poll 7"], [])
    raw = tmp_path / "raw"

    paths = save_fetched(result, raw)

    assert paths == [raw / "Serbia–NATO_relations.wiki", raw / "Poll_7.wiki"]
    assert paths[0].read_bytes() == WIKITEXT.encode("utf-8")
    assert json.loads(sidecar_path(paths[0]).read_text(encoding="utf-8")) == {
        "title": SERBIA,
        "page_id": 101,
        "revision_id": 9001,
        "revision_timestamp": "2024-03-08T10:00:00Z",
        "api_url": url,
        "fetched_at": result.fetched_at,
        "sha256": result.articles[0].sha256,
        "redirected_from": ["NATO–Serbia relations"],
    }
    # The raw/ reader takes the article, not the sidecar, and hashes it the same way.
    assert find_article_files(raw) == sorted(paths)
    article = parse_article_file(paths[0], raw)
    assert article.content_sha256 == result.articles[0].sha256
    assert article.article_id == "Serbia–NATO_relations.wiki"
    assert sorted(p.name for p in raw.iterdir()) == sorted(
        [
            "Poll_7.wiki",
            "Poll_7.wiki.json",
            "Serbia–NATO_relations.wiki",
            "Serbia–NATO_relations.wiki.json",
        ]
    )

    sidecar = read_sidecar(paths[0])
    assert (
        sidecar is not None
        and sidecar["revision_id"] == 9001
        and sidecar["content_matches"] is True
    )

    assert save_fetched(result, raw) == paths  # stable: a re-fetch replaces the same files


def test_read_sidecar_flags_an_edited_article_and_refuses_a_broken_sidecar(tmp_path: Path):
    result = FetchResult(
        articles=[make_source_article("{| a |}", "A", "wikitext", title="A", revision_id=1)]
    )
    [path] = save_fetched(result, tmp_path)

    path.write_text("{| edited |}", encoding="utf-8")
    assert read_sidecar(path)["content_matches"] is False

    sidecar_path(path).write_text("[1, 2", encoding="utf-8")
    with pytest.raises(ArticleError, match=re.escape(f"{sidecar_path(path)}: unreadable sidecar")):
        read_sidecar(path)

    lone = tmp_path / "hand-written.wiki"
    lone.write_text("{| x |}", encoding="utf-8")
    assert read_sidecar(lone) is None


def test_save_fetched_refuses_to_overwrite_the_file_of_another_title(tmp_path: Path):
    """On a case-insensitive file system "Nato" and "NATO" would share a file."""
    save_fetched(
        FetchResult(articles=[make_source_article("{|", "NATO", "wikitext", title="NATO")]),
        tmp_path,
    )
    (tmp_path / "Nato.wiki.json").write_text(json.dumps({"title": "NATO"}), encoding="utf-8")

    with pytest.raises(FileExistsError, match="already holds 'NATO', not 'Nato'"):
        save_fetched(
            FetchResult(articles=[make_source_article("{|", "Nato", "wikitext", title="Nato")]),
            tmp_path,
        )


def test_safe_file_stem_is_safe_stable_and_unique():
    titles = [
        SERBIA,
        "AC/DC",
        "Talk:Foo",
        ".hidden",
        "..",
        "A_B",
        "A B",
        "100%",
        "100%25",
        "CON",
        "Con",
        "con.txt",
        "Nul bytes\x00and\ttabs",
        "Right-to-left\u202emark",
        "Zero\u200bwidth",
        'Quote"star*?<>|\\',
        "~tilde",
        "Ελληνικά δημοσκοπήσεις",
        "日本の世論調査",
        "x" * 300,
        "x" * 299 + "y",
        "é" * 200,
        "",
    ]
    stems = [safe_file_stem(title) for title in titles]

    assert stems[:3] == ["Serbia–NATO_relations", "AC%2FDC", "Talk%3AFoo"]
    assert stems[3:5] == ["%2Ehidden", "%2E."]
    assert stems[5:7] == ["A%5FB", "A_B"]
    assert stems[9:12] == ["%43ON", "%43on", "%63on.txt"]
    assert stems[17:19] == ["Ελληνικά_δημοσκοπήσεις", "日本の世論調査"]
    assert len(set(stems)) == len(stems), "two titles share a file name"
    assert [safe_file_stem(title) for title in titles] == stems, "not stable"
    for title, stem in zip(titles, stems, strict=True):
        assert stem and not stem.startswith("."), title
        assert len(stem.encode("utf-8")) <= MAX_STEM_BYTES, title
        assert not set(stem) & set('/\\:*?"<>|\x00\t\u202e\u200b'), title
        assert ("~" in stem) == (title in ("", "x" * 300, "x" * 299 + "y", "é" * 200)), title


def test_source_article_is_frozen_and_hashes_normalized_text():
    article = make_source_article("a\r\nb\rc", "x", "flattened")
    assert article.text == "a\nb\nc"
    assert article == SourceArticle(
        "x", "a\nb\nc", hashlib.sha256(b"a\nb\nc").hexdigest(), "flattened"
    )
    with pytest.raises(AttributeError):
        article.text = "changed"  # type: ignore[misc]


# --- one stream of every source ---------------------------------------------------------------


def test_iter_sources_gives_files_then_the_pages_of_each_dump(tmp_path: Path):
    from flows.read.folder import find_sources, iter_sources

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.txt").write_text(FLATTENED, encoding="utf-8")
    write_dump(raw / "enwiki.xml.bz2", dump_xml(SAMPLE_PAGES))
    folder = find_sources(raw)
    seen: list[tuple[str, int]] = []
    items = list(
        iter_sources(
            folder, on_dump=lambda dump, stats: seen.append((dump.name, stats.articles_yielded))
        )
    )
    assert items[0] == raw / "a.txt"
    assert [item.source_path for item in items[1:]] == [
        f"dump:enwiki.xml.bz2#{SERBIA}", "dump:enwiki.xml.bz2#Serbia NATO polls (flattened)",
    ]  # fmt: skip
    assert seen == [("enwiki.xml.bz2", 2)]


def test_validate_reads_a_folder_holding_only_a_dump(tmp_path: Path):
    from typer.testing import CliRunner

    from flows.cli import app

    raw = tmp_path / "raw"
    raw.mkdir()
    write_dump(raw / "enwiki.xml", dump_xml(SAMPLE_PAGES))
    result = CliRunner().invoke(app, ["validate", "--raw", str(raw), "--run-date", "2026-11-28"])
    assert result.exit_code == 0, result.output
    # Both pages hold the sample article, one as wikitext, one flattened.
    assert "in 0 article files and 2 dump pages (18 polls, 12 events would load)" in result.output
    empty = tmp_path / "empty"
    empty.mkdir()
    refused = CliRunner().invoke(app, ["validate", "--raw", str(empty)])
    assert refused.exit_code == 2
    assert (
        "no article files (.txt, .wiki, .wikitext) or dumps (.xml, .xml.bz2) found"
        in refused.output
    )
