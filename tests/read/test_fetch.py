"""The Action API, with a real HTTP server: a small `api.php` stand-in on 127.0.0.1 (an ephemeral
port) that records each request; it can fail on purpose (429, 503, maxlag, a dropped connection,
a redirect, a wrong-shaped or oversized answer, an answer trickled a byte at a time) to exercise
the retries and the limits. Nothing here reaches the internet, and no test sleeps: `sleep`
records the delays (only the deadline tests wait, about a second per attempt, for the deadline)."""

from __future__ import annotations

import hashlib
import json
import re
import socket
import threading
import time
import tracemalloc
import zlib
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

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
from tests.builders import SERBIA, WIKITEXT

# --- the Action API -------------------------------------------------------------------------------

POLL_TEXT = "{{| class=wikitable\n! Date !! Pollster !! Support\n|-\n| {n} March 2024 || NSPM || 7.6%\n|}}\n"


class FakeApi:
    """`api.php` on 127.0.0.1: a few pages, a redirect, title normalization and continuation.

    `faults` holds what the next requests get instead of an answer: ("status", code, headers),
    ("maxlag", retry_after), ("error", code), ("drop",) to close the connection unanswered,
    ("raw", body) for a 200 with that body, ("trickle", "headers" or "body") for an answer sent a
    byte at a time, or ("big", "length" / "stream" / "gzip") for an answer of BIG_ANSWER bytes.
    `redirect_paths` sends a request for a path elsewhere (its query kept), before any fault.
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
        self.redirect_paths: dict[str, str] = {}
        self.stopped = threading.Event()  # set at the end of a test: trickling stops
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
            if url.path in self.redirect_paths:
                target = self.redirect_paths[url.path] + (f"?{url.query}" if url.query else "")
                self.reply(handler, 302, {}, {"Location": target})
                return
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
        elif fault[0] == "raw":
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json; charset=utf-8")
            handler.send_header("Content-Length", str(len(fault[1])))
            handler.end_headers()
            handler.wfile.write(fault[1])
        elif fault[0] == "trickle":
            self.trickle(handler, fault[1])
        elif fault[0] == "big":
            self.big(handler, fault[1])

    def trickle(self, handler: BaseHTTPRequestHandler, part: str) -> None:
        """A byte (or a header line) every TRICKLE_EVERY seconds, for TRICKLE_FOR seconds: each
        read gets something long before a per-read timeout."""
        handler.close_connection = True
        try:
            if part == "headers":
                handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
            else:
                handler.send_response(200)
                handler.send_header("Content-Type", "application/json")
                handler.send_header("Content-Length", "1000000")
                handler.end_headers()
            for _ in range(int(TRICKLE_FOR / TRICKLE_EVERY)):
                if self.stopped.wait(TRICKLE_EVERY):
                    return
                handler.wfile.write(b"X-Slow: a\r\n" if part == "headers" else b" ")
        except OSError:  # the client hung up
            pass

    def big(self, handler: BaseHTTPRequestHandler, how: str) -> None:
        """BIG_ANSWER bytes, made on the fly (tracemalloc sees this thread too): with a
        Content-Length, without one (until the connection closes), or gzipped."""
        handler.close_connection = True
        block = b"x" * 65536
        packer = zlib.compressobj(wbits=31) if how == "gzip" else None
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        if how == "length":
            handler.send_header("Content-Length", str(BIG_ANSWER))
        if packer is not None:
            handler.send_header("Content-Encoding", "gzip")
        handler.end_headers()
        try:
            for _ in range(BIG_ANSWER // len(block)):
                if self.stopped.is_set():
                    return
                data = block if packer is None else packer.compress(block)
                if data:
                    handler.wfile.write(data)
            if packer is not None:
                handler.wfile.write(packer.flush())
        except OSError:
            pass

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


TRICKLE_EVERY, TRICKLE_FOR = 0.2, 8.0
BIG_ANSWER = 50 * 1024**2


@contextmanager
def serve(fake: FakeApi) -> Iterator[str]:
    """The fake on 127.0.0.1 at an ephemeral port; yields its api.php URL."""

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
        yield f"http://127.0.0.1:{server.server_address[1]}/w/api.php"
    finally:
        fake.stopped.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def api() -> Iterator[tuple[FakeApi, str]]:
    fake = FakeApi()
    with serve(fake) as url:
        yield fake, url


@pytest.fixture
def other_api() -> Iterator[tuple[FakeApi, str]]:
    """A second server: another host, as far as a URL's origin goes (another port)."""
    fake = FakeApi()
    with serve(fake) as url:
        yield fake, url


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


def test_fetch_articles_follows_a_redirect_on_the_apis_own_host(api):
    fake, url = api
    fake.redirect_paths = {"/old/api.php": "/w/api.php"}

    result = fetch(url.replace("/w/api.php", "/old/api.php"), [SERBIA], [])

    assert [article.title for article in result.articles] == [SERBIA] and result.errors == []
    assert [request["path"] for request in fake.requests] == ["/old/api.php", "/w/api.php"]
    assert fake.requests[1]["params"]["titles"] == SERBIA


def test_fetch_articles_refuses_a_redirect_to_another_host(api, other_api):
    fake, url = api
    other, other_url = other_api
    fake.redirect_paths = {"/w/api.php": other_url}
    delays: list[float] = []

    result = fetch(url, [SERBIA, "Poll 1"], delays)

    assert result.articles == [] and delays == []
    origin = url.removesuffix("/w/api.php")
    assert result.errors == [
        f"{SERBIA}, Poll 1: redirected to {other_url}, away from the API at {origin}; not followed"
    ]
    assert other.requests == [], "a request reached the other host"


def test_fetch_articles_reports_a_redirect_loop_as_one_line(api):
    fake, url = api
    fake.redirect_paths = {"/a": "/b", "/b": "/a"}
    base = url.removesuffix("/w/api.php")

    result = fetch(f"{base}/a", ["Poll 1", "Poll 2"], [])

    assert result.articles == []
    assert result.errors == [
        f"Poll 1, Poll 2: redirected in a loop, back to {base}/a; not followed"
    ]
    assert [request["path"] for request in fake.requests] == ["/a", "/b"]


@pytest.mark.parametrize("part", ["headers", "body"])
def test_a_trickled_answer_ends_at_the_deadline_and_is_retried(api, part):
    """Each read gets a byte well within the per-read timeout (5 s); only the deadline ends it."""
    fake, url = api
    fake.faults.extend([("trickle", part)] * 2)
    delays: list[float] = []

    started = time.monotonic()
    result = fetch(url, [SERBIA], delays, max_retries=1, deadline_seconds=1.0)
    elapsed = time.monotonic() - started

    assert result.articles == [] and delays == [1] and len(fake.requests) == 2
    assert result.errors == [
        f"{SERBIA}: gave up after 2 attempts: no complete answer within 1 s (deadline_seconds)"
    ]
    assert elapsed < 4.0, f"two attempts of a 1 s deadline took {elapsed:.1f} s"


def test_a_trickled_answer_then_a_good_one_fetches_the_article(api):
    fake, url = api
    fake.faults.append(("trickle", "body"))
    delays: list[float] = []

    result = fetch(url, [SERBIA], delays, deadline_seconds=1.0)

    assert [article.title for article in result.articles] == [SERBIA]
    assert result.errors == [] and delays == [1]


@pytest.mark.parametrize("how", ["length", "stream", "gzip"])
def test_an_answer_over_max_response_bytes_is_refused_in_bounded_memory(api, how):
    """50 MB (or 50 MB gzipped into 50 kB) against a 1 MB cap: reading stops past the cap."""
    fake, url = api
    fake.faults.append(("big", how))
    delays: list[float] = []

    tracemalloc.start()
    try:
        result = fetch(url, ["Poll 1", "Poll 2"], delays, max_response_bytes=1024**2)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert result.articles == [] and delays == [] and len(fake.requests) == 1
    assert result.errors == [
        "Poll 1, Poll 2: the answer is larger than 1.0 MB (max_response_bytes); stopped reading it"
    ]
    assert peak < 8 * 1024**2, f"peak {peak / 1024**2:.1f} MB for a 1 MB cap"


PAGE = {"pageid": 1001, "ns": 0, "title": "Poll 1"}


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ({"query": []}, "'query' is a list, not an object"),
        ([{"query": {}}], "the answer is a list, not an object"),
        ({"batchcomplete": True}, "no 'query' in the answer"),
        ({"error": "badtoken"}, "'error' is a string, not an object"),
        ({"query": {"pages": []}, "continue": ["x"]}, "'continue' is a list, not an object"),
        ({"query": {"pages": {"1001": PAGE}}}, "query.pages is an object, not a list"),
        ({"query": {"pages": [None]}}, "query.pages[0] is null, not an object"),
        ({"query": {"pages": [{"pageid": 1}]}}, "query.pages[0].title is missing"),
        ({"query": {"normalized": [{"from": "poll 1"}]}}, "query.normalized[0].to is missing"),
        (
            {"query": {"pages": [{**PAGE, "revisions": {"revid": 1}}]}},
            "query.pages[0].revisions is an object, not a list",
        ),
        (
            {"query": {"pages": [{**PAGE, "revisions": [{"slots": {"main": {"content": 7}}}]}]}},
            "query.pages[0].revisions[0].slots.main.content is a number, not a string",
        ),
        (
            {"query": {"pages": [{**PAGE, "revisions": [{"revid": "9", "slots": {}}]}]}},
            "query.pages[0].revisions[0].revid is a string, not a number",
        ),
    ],
)
def test_an_answer_of_the_wrong_shape_is_one_line_naming_the_titles(api, answer, problem):
    fake, url = api
    fake.faults.append(("raw", json.dumps(answer).encode()))

    result = fetch(url, ["Poll 1"], [])

    assert result.articles == []
    assert result.errors == [f"Poll 1: unexpected JSON from {url}: {problem}"]


def test_a_title_the_answer_leaves_out_is_reported(api):
    fake, url = api
    fake.faults.append(("raw", json.dumps({"query": {"pages": [PAGE]}}).encode()))

    result = fetch(url, ["Poll 1", "Poll 2", "poll 3"], [])

    assert result.articles == []
    assert result.errors == [
        "Poll 1: the API returned no revision",
        "Poll 2, poll 3: not in the API's answer",
    ]


def test_fetch_articles_refuses_an_article_over_max_article_bytes(api):
    _, url = api
    size = len(WIKITEXT.encode("utf-8"))
    limit = len(POLL_TEXT.format(n=1).encode("utf-8")) + 10
    assert size > limit

    result = fetch(url, [SERBIA, "Poll 1"], [], max_article_bytes=limit)

    assert [article.title for article in result.articles] == ["Poll 1"]
    assert result.errors == [
        f"{SERBIA}: the text is {size:,} bytes, over the limit of {limit:,} bytes "
        "(--max-file-mb); not saved"
    ]


def test_a_long_wait_is_announced_before_the_sleep(api):
    fake, url = api
    fake.faults.extend([("status", 503, {}), ("status", 429, {"Retry-After": "30"})])
    events: list[tuple[str, Any]] = []

    with httpx.Client(timeout=5.0) as client:
        result = fetch_articles(
            ["Poll 1", "Poll 2"],
            api_url=url,
            client=client,
            sleep=lambda seconds: events.append(("sleep", seconds)),
            on_wait=lambda message: events.append(("said", message)),
        )

    assert [article.title for article in result.articles] == ["Poll 1", "Poll 2"]
    assert events == [
        ("sleep", 1),  # a short backoff passes unannounced
        (
            "said",
            "waiting 30 s before retrying Poll 1, Poll 2 (HTTP 429; Retry-After from the server)",
        ),
        ("sleep", 30),
    ]


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


def test_save_fetched_refuses_an_article_over_max_bytes_and_saves_the_others(tmp_path: Path):
    small = make_source_article("{| a |}", "Small", "wikitext", title="Small")
    large = make_source_article("{| " + "é" * 100 + " |}", "Large", "wikitext", title="Large")
    result = FetchResult(articles=[large, small])

    paths = save_fetched(result, tmp_path, max_bytes=100)

    assert paths == [tmp_path / "Small.wiki"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Small.wiki", "Small.wiki.json"]
    assert result.errors == [
        "Large: the text is 206 bytes, over the limit of 100 bytes (--max-file-mb); not saved"
    ]
