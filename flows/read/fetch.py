"""Articles from the MediaWiki Action API, saved into the raw folder with where they came from.

`fetch_articles` asks `api.php` for the latest revisions of some titles, politely: batches of at
most 50 titles, a descriptive User-Agent, `maxlag`, timeouts, a bounded number of retries.
`save_fetched` writes them into raw/ with a JSON sidecar of the page and revision;
`read_sidecar` reads it back, so a later run credits the revision while the file still holds
that text.

Refuses unbounded retries: at most `max_retries` per request, with a cap on each wait. A server
that asks for a wait longer than two minutes is reported, not waited for; a long wait is
announced (`on_wait`) before it starts. Refuses, too, what a server could use to hang or flood
a run: a redirect away from the API's own scheme, host and port (or in a loop), an answer still
incomplete after `deadline_seconds`, an answer over `max_response_bytes` (read as a stream and
stopped there, gzip included), and an article over the file limit `wikipoll run` keeps. An
answer of the wrong shape is a line in the result's errors, never a traceback.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import string
import tempfile
import threading
import time
import unicodedata
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx

from flows.read.errors import ArticleError
from flows.read.sources import SourceArticle, make_source_article
from flows.settings import DEFAULTS, settings

MAX_TITLES_PER_REQUEST = 50  # the API's limit for clients without the apihighlimits right


BACKOFF_BASE = 1.0  # seconds before the first retry; doubled at each one


BACKOFF_CAP = 60.0


MAX_RETRY_AFTER = 120.0  # a longer Retry-After is reported rather than waited for


ANNOUNCED_WAIT = 5.0  # a wait this long or longer is told to `on_wait` before it starts


DEADLINE_SECONDS = 60.0  # for a whole answer: its connection, headers and body


# The API cuts an answer at about 12 MB (its $wgAPIMaxResultSize) and continues it; far more is
# a server gone wrong, not a big batch.
MAX_RESPONSE_BYTES = 64 * 1024**2


MAX_REDIRECTS = 5


INFLATE_STEP = 256 * 1024  # bytes of a gzipped answer unpacked at a time


@dataclass
class FetchResult:
    """What `fetch_articles` got: nothing in `missing` or `errors` was raised."""

    articles: list[SourceArticle] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    redirects: dict[str, str] = field(default_factory=dict)  # from → to, as the API followed them
    errors: list[str] = field(default_factory=list)
    normalized: dict[str, str] = field(default_factory=dict)  # as asked → the API's title
    api_url: str = DEFAULTS.api_url
    fetched_at: str = ""  # ISO 8601 UTC, when the fetch started


def user_agent() -> str:
    """The User-Agent Wikimedia's policy asks for: who we are, how to reach the operator, the
    library. The operator's contact (an email or a URL) comes from WIKIPOLL_CONTACT."""
    contact = settings().contact
    parts = (_project_url(), "data pipeline", f"contact: {contact}" if contact else "")
    about = "; ".join(part for part in parts if part)
    return f"wikipoll/{_version()} ({about}) httpx/{httpx.__version__}"


def _version() -> str:
    try:
        return metadata.version("wikipoll")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def _project_url() -> str:
    """The project's URL from its package metadata ([project.urls]), if it declares one."""
    try:
        urls = metadata.metadata("wikipoll").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        urls = []
    for entry in urls:  # "Repository, https://…"
        _, _, url = entry.partition(",")
        if url.strip().startswith("https://"):
            return url.strip()
    return ""


def fetch_articles(
    titles: list[str],
    *,
    api_url: str = DEFAULTS.api_url,
    client: httpx.Client | None = None,
    batch_size: int = MAX_TITLES_PER_REQUEST,
    max_retries: int = 5,
    timeout: float = 30.0,
    maxlag: int = 5,
    sleep: Callable[[float], None] = time.sleep,
    deadline_seconds: float = DEADLINE_SECONDS,
    max_response_bytes: int = MAX_RESPONSE_BYTES,
    max_article_bytes: int = DEFAULTS.max_file_bytes,
    on_wait: Callable[[str], None] | None = None,
) -> FetchResult:
    """The latest revision of each title, one request per batch, one request at a time.

    Missing pages, invalid titles and requests that kept failing are reported in the result.
    When a request still fails after its retries, the later batches are not sent (the server is
    struggling) and are reported as not fetched. `timeout` bounds each read or write,
    `deadline_seconds` each whole answer (a server trickling bytes beats any per-read timeout).
    An article over `max_article_bytes` is reported, not kept: `wikipoll run` would refuse the
    file. `on_wait` is told, before it starts, of each wait of ANNOUNCED_WAIT seconds or more.
    """
    if not 1 <= batch_size <= MAX_TITLES_PER_REQUEST:
        raise ValueError(f"batch_size must be 1 to {MAX_TITLES_PER_REQUEST}, not {batch_size}")
    if max_retries < 0:
        raise ValueError(f"max_retries must be 0 or more, not {max_retries}")
    for name, value in (
        ("deadline_seconds", deadline_seconds),
        ("max_response_bytes", max_response_bytes),
        ("max_article_bytes", max_article_bytes),
    ):
        if not value > 0:
            raise ValueError(f"{name} must be more than 0, not {value}")
    if httpx.URL(api_url).scheme not in ("http", "https"):
        raise ValueError(f"api_url must be an http(s) URL, not {api_url!r}")
    result = FetchResult(api_url=api_url, fetched_at=_utc_now())
    wanted: list[str] = []
    for title in titles:
        if not title.strip():
            result.errors.append(f"{title!r}: invalid title: empty")
        elif "|" in title or title.startswith("\x1f"):
            result.errors.append(f"{title!r}: invalid title: contains '|', which separates titles")
        elif title not in wanted:
            wanted.append(title)
    batches = [wanted[i : i + batch_size] for i in range(0, len(wanted), batch_size)]
    own_client = client is None
    http = client if client is not None else httpx.Client(timeout=timeout)
    api = _Api(
        http, api_url, max_retries, timeout, deadline_seconds, max_response_bytes, sleep, on_wait
    )
    pages: dict[str, SourceArticle] = {}
    try:
        for number, batch in enumerate(batches):
            try:
                _fetch_batch(api, batch, result, pages, maxlag, max_article_bytes)
            except _RequestFailed as failure:
                result.errors.append(f"{_title_list(batch)}: {failure}")
                if failure.transient:
                    for skipped in batches[number + 1 :]:
                        result.errors.append(
                            f"{_title_list(skipped)}: not requested: the API kept failing"
                        )
                    break
    finally:
        if own_client:
            http.close()
    result.articles = _in_request_order(wanted, result, pages)
    return result


class _RequestFailed(Exception):
    def __init__(self, reason: str, transient: bool):
        self.transient = transient
        super().__init__(reason)


class _TryAgain(Exception):
    """A failed attempt worth repeating: the connection broke, or the deadline passed."""


@dataclass(frozen=True)
class _Api:
    """How every request of one fetch is made, and the limits each one keeps."""

    http: httpx.Client
    url: str
    max_retries: int
    timeout: float
    deadline_seconds: float
    max_response_bytes: int
    sleep: Callable[[float], None]
    on_wait: Callable[[str], None] | None


def _fetch_batch(
    api: _Api,
    batch: list[str],
    result: FetchResult,
    pages: dict[str, SourceArticle],
    maxlag: int,
    max_article_bytes: int,
) -> None:
    params = {
        "action": "query",
        "prop": "revisions",
        "rvprop": "content|ids|timestamp",
        "rvslots": "main",
        "formatversion": "2",
        "format": "json",
        "redirects": "1",
        "maxlag": str(maxlag),
        "titles": "|".join(batch),
    }
    without_content: dict[str, str] = {}  # title → why, until a continuation brings its content
    answered: set[str] = set()  # the titles the answers speak of, found or not
    # A response over the API's size limit leaves some pages' content for a continuation request;
    # each one brings at least one page, so a batch needs at most len(batch) + 1 requests.
    for _ in range(len(batch) + 1):
        payload = _get_json(api, params, batch)
        query = payload.get("query", {})
        _read_query(query, result, pages, without_content, answered, max_article_bytes)
        continuation = payload.get("continue")
        if not continuation:
            break
        params = {**params, **{key: str(value) for key, value in continuation.items()}}
    else:
        result.errors.append(f"{_title_list(batch)}: the API kept asking to continue; gave up")
    for title, reason in without_content.items():
        if title not in pages:
            result.errors.append(f"{title}: {reason}")
    unanswered = [
        title
        for title in batch
        if not {title, result.normalized.get(title, title), _final_title(title, result)} & answered
    ]
    if unanswered:
        result.errors.append(f"{_title_list(unanswered)}: not in the API's answer")


def _read_query(
    query: dict[str, Any],
    result: FetchResult,
    pages: dict[str, SourceArticle],
    without_content: dict[str, str],
    answered: set[str],
    max_article_bytes: int,
) -> None:
    """Read an answer whose shape `_shape_problem` has checked."""
    for entry in query.get("normalized") or []:
        result.normalized[entry["from"]] = entry["to"]
    for entry in query.get("redirects") or []:
        result.redirects[entry["from"]] = entry["to"]
    for entry in query.get("interwiki") or []:
        answered.add(entry["title"])
        _report(
            result,
            f"{entry.get('title')}: an interwiki title ({entry.get('iw')}), not a page here",
        )
    for page in query.get("pages") or []:
        title = page["title"]
        answered.add(title)
        if page.get("invalid"):
            reason = page.get("invalidreason", "rejected by the API")
            _report(result, f"{title}: invalid title: {reason}")
        elif page.get("special"):
            _report(result, f"{title}: a special page, which has no revisions")
        elif page.get("missing"):
            if title not in result.missing:
                result.missing.append(title)
        elif not page.get("revisions"):
            without_content.setdefault(title, "the API returned no revision")
        else:
            revision = page["revisions"][0]
            slot = (revision.get("slots") or {}).get("main") or {}
            model = slot.get("contentmodel", "wikitext")
            if slot.get("texthidden") or "content" not in slot:
                without_content[title] = "the latest revision's text is hidden or missing"
            elif model != "wikitext":
                without_content[title] = f"content model {model!r}, not wikitext"
            else:
                article = make_source_article(
                    slot["content"],
                    title,
                    "wikitext",
                    title=title,
                    page_id=page.get("pageid"),
                    revision_id=revision.get("revid"),
                    revision_timestamp=revision.get("timestamp"),
                )
                size = len(article.text.encode("utf-8"))
                if size > max_article_bytes:
                    without_content[title] = _too_big(size, max_article_bytes)
                else:
                    pages[title] = article


def _report(result: FetchResult, message: str) -> None:
    """Add an error once: a continuation response repeats the batch's invalid titles."""
    if message not in result.errors:
        result.errors.append(message)


def _too_big(size: int, limit: int) -> str:
    """Why an article is not saved, in the words of `wikipoll run`'s refusal of a big file."""
    shown, allowed = _size(size), _size(limit)
    if shown == allowed:
        shown, allowed = f"{size:,} bytes", f"{limit:,} bytes"
    return f"the text is {shown}, over the limit of {allowed} (--max-file-mb); not saved"


def _size(count: int) -> str:
    return f"{count / 1024**2:.1f} MB" if count >= 1024**2 else f"{count:,} bytes"


def _get_json(api: _Api, params: dict[str, str], titles: list[str]) -> dict[str, Any]:
    """One API answer, retried on 429, 5xx, connection errors, a passed deadline and `maxlag`."""
    problem = ""
    for attempt in range(api.max_retries + 1):
        retry_after: float | None = None
        try:
            status, headers, body = _send(api, params)
        except _TryAgain as failure:
            problem = str(failure)
        else:
            if status == 429 or 500 <= status < 600:
                problem = f"HTTP {status}"
                retry_after = _retry_after(headers.get("Retry-After"))
            elif status != 200:
                raise _RequestFailed(f"HTTP {status} from {api.url}", transient=False)
            else:
                payload = _parse(body, api.url)
                error = payload.get("error")
                if not error:
                    return payload
                code, info = error.get("code", "?"), error.get("info", "")
                if code != "maxlag":
                    raise _RequestFailed(f"API error {code}: {info}", transient=False)
                problem = f"API error maxlag: {info}"
                retry_after = _retry_after(headers.get("Retry-After"))
        if attempt == api.max_retries:
            break
        delay = min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt)
        why = problem
        if retry_after is not None:
            if retry_after > MAX_RETRY_AFTER:
                raise _RequestFailed(
                    f"{problem}, and the server asks to wait {retry_after:g} s; gave up",
                    transient=True,
                )
            if retry_after >= delay:
                delay, why = retry_after, f"{problem}; Retry-After from the server"
        if api.on_wait is not None and delay >= ANNOUNCED_WAIT:
            api.on_wait(f"waiting {delay:g} s before retrying {_title_list(titles)} ({why})")
        api.sleep(delay)
    raise _RequestFailed(f"gave up after {api.max_retries + 1} attempts: {problem}", transient=True)


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _send(api: _Api, params: dict[str, str]) -> tuple[int, httpx.Headers, bytearray]:
    """One attempt: the status, headers and (for a 200) body of the answer, following redirects
    on the API's own origin only, within the deadline and the size cap."""
    headers = {
        "User-Agent": user_agent(),
        "Accept": "application/json",
        "Accept-Encoding": "gzip",  # the one encoding `_read_body` unpacks, within its cap
        "Connection": "close",  # a fresh connection per request: its socket is the watchdog's
    }
    url = httpx.URL(api.url).copy_merge_params(params)
    seen = {str(url)}
    watchdog = _Watchdog(api.deadline_seconds)
    try:
        for _ in range(MAX_REDIRECTS + 1):
            request = api.http.build_request(
                "GET",
                url,
                headers=headers,
                timeout=min(api.timeout, max(watchdog.remaining(), 0.01)),
                extensions={"trace": watchdog.trace},
            )
            try:
                response = api.http.send(request, stream=True, follow_redirects=False)
                try:
                    watchdog.watch(response.extensions.get("network_stream"))
                    if response.next_request is not None:  # a redirect, with a Location
                        url = response.next_request.url
                        _check_redirect(api.url, url, seen)
                        continue
                    body = bytearray()
                    if response.status_code == 200:
                        body = _read_body(response, watchdog, api.max_response_bytes)
                    return response.status_code, response.headers, body
                finally:
                    response.close()
            except httpx.TransportError as error:
                if watchdog.expired():
                    raise _TryAgain(_past_deadline(api.deadline_seconds)) from None
                raise _TryAgain(f"connection error: {type(error).__name__}: {error}") from None
            except httpx.HTTPError as error:
                raise _RequestFailed(f"{type(error).__name__}: {error}", transient=False) from None
        raise _RequestFailed(
            f"redirected more than {MAX_REDIRECTS} times, last to {_short(url)}; not followed",
            transient=False,
        )
    finally:
        watchdog.stop()


def _past_deadline(seconds: float) -> str:
    return f"no complete answer within {seconds:g} s (deadline_seconds)"


def _check_redirect(api_url: str, target: httpx.URL, seen: set[str]) -> None:
    """A redirect may move within the API's origin, never to another: the request would carry
    our titles and User-Agent to a server nobody chose."""
    if _origin(target) != _origin(httpx.URL(api_url)):
        raise _RequestFailed(
            f"redirected to {_short(target)}, away from the API at "
            f"{_short(httpx.URL(api_url), path=False)}; not followed",
            transient=False,
        )
    if str(target) in seen:
        raise _RequestFailed(
            f"redirected in a loop, back to {_short(target)}; not followed", transient=False
        )
    seen.add(str(target))


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port or {"http": 80, "https": 443}.get(url.scheme)


def _short(url: httpx.URL, path: bool = True) -> str:
    """A URL without its query, which repeats every title of the batch."""
    return f"{url.scheme}://{url.netloc.decode('ascii')}" + (url.path if path else "")


class _Watchdog:
    """Ends an attempt at its deadline by shutting its socket down, which wakes the read a server
    trickling a byte at a time would otherwise keep going past every per-read timeout."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self._fired = False
        self._socket: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore's trace hook: each connection the attempt opens (TCP, then TLS) is watched."""
        if event.endswith((".connect_tcp.complete", ".start_tls.complete")):
            self.watch(info.get("return_value"))

    def watch(self, stream: Any) -> None:
        get_extra_info = getattr(stream, "get_extra_info", None)
        sock = get_extra_info("socket") if get_extra_info is not None else None
        if isinstance(sock, socket.socket):
            with self._lock:
                self._socket = sock
                if self._fired:
                    self._shut()

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def expired(self) -> bool:
        return self._fired or self.remaining() <= 0

    def stop(self) -> None:
        self._timer.cancel()
        with self._lock:
            self._socket = None

    def _fire(self) -> None:
        with self._lock:
            self._fired = True
            self._shut()

    def _shut(self) -> None:
        if self._socket is not None:
            # socket.socket's own shutdown: an SSLSocket's would also drop its TLS state
            with contextlib.suppress(OSError):
                socket.socket.shutdown(self._socket, socket.SHUT_RDWR)


def _read_body(response: httpx.Response, watchdog: _Watchdog, cap: int) -> bytearray:
    """The body, unpacked, read as a stream: stopped once over `cap` bytes, or at the deadline."""
    encoding = response.headers.get("Content-Encoding", "").strip().lower()
    if encoding not in ("", "identity", "gzip", "x-gzip"):
        raise _RequestFailed(f"an answer in {encoding!r}, not asked for", transient=False)
    unpacker = zlib.decompressobj(zlib.MAX_WBITS | 16) if "gzip" in encoding else None
    too_big = _RequestFailed(
        f"the answer is larger than {_size(cap)} (max_response_bytes); stopped reading it",
        transient=False,
    )
    length = response.headers.get("Content-Length", "")
    if unpacker is None and length.isdigit() and int(length) > cap:
        raise too_big
    body = bytearray()
    try:
        for chunk in response.iter_raw():
            if watchdog.expired():
                raise _TryAgain(_past_deadline(watchdog.seconds))
            for piece in [chunk] if unpacker is None else _inflate(unpacker, chunk):
                body += piece
                if len(body) > cap:
                    raise too_big
        if unpacker is not None:
            body += unpacker.flush()
    except zlib.error as error:
        raise _RequestFailed(f"a broken gzip answer: {error}", transient=False) from None
    if len(body) > cap:
        raise too_big
    return body


def _inflate(unpacker: Any, data: bytes) -> Iterator[bytes]:
    """Gzipped bytes unpacked INFLATE_STEP at a time: a small chunk can unpack to gigabytes."""
    while data:
        yield unpacker.decompress(data, INFLATE_STEP)
        data = unpacker.unconsumed_tail


def _parse(body: bytearray, api_url: str) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: arrays nested thousands deep
        raise _RequestFailed(f"not JSON from {api_url}", transient=False) from None
    problem = _shape_problem(payload)
    if problem:
        raise _RequestFailed(f"unexpected JSON from {api_url}: {problem}", transient=False)
    return payload


# The fields `_read_query` reads from an answer's entries, with their types; the first
# `required` of each must be there.
_ENTRIES: dict[str, tuple[dict[str, type], int]] = {
    "normalized": ({"from": str, "to": str}, 2),
    "redirects": ({"from": str, "to": str}, 2),
    "interwiki": ({"title": str}, 1),
    "pages": ({"title": str, "pageid": int, "invalidreason": str, "revisions": list}, 1),
}
_REVISION: dict[str, type] = {"revid": int, "timestamp": str, "slots": dict}
_SLOT: dict[str, type] = {"content": str, "contentmodel": str}
_TYPE_NAMES = {str: "a string", int: "a number", list: "a list", dict: "an object"}


def _shape_problem(payload: Any) -> str:
    """What makes an answer other than the shape `_read_query` reads, or "" if nothing does:
    checked first, so a changed or broken API gives one line, not a traceback."""
    if not isinstance(payload, dict):
        return f"the answer is {_kind(payload)}, not an object"
    for key in ("error", "continue", "query"):
        if key in payload and not isinstance(payload[key], dict):
            return f"{key!r} is {_kind(payload[key])}, not an object"
    if "query" not in payload and "error" not in payload:
        return "no 'query' in the answer"
    query = payload.get("query", {})
    for key, (fields, required) in _ENTRIES.items():
        entries = query.get(key, [])
        if not isinstance(entries, list):
            return f"query.{key} is {_kind(entries)}, not a list"
        for index, entry in enumerate(entries):
            where = f"query.{key}[{index}]"
            problem = _fields_problem(entry, where, fields, required)
            if not problem and key == "pages":
                problem = _revisions_problem(entry.get("revisions", []), where)
            if problem:
                return problem
    return ""


def _revisions_problem(revisions: list[Any], page: str) -> str:
    for index, revision in enumerate(revisions):
        where = f"{page}.revisions[{index}]"
        problem = _fields_problem(revision, where, _REVISION)
        if problem:
            return problem
        slots = revision.get("slots", {})
        problem = _fields_problem(slots, f"{where}.slots", {"main": dict})
        if problem:
            return problem
        problem = _fields_problem(slots.get("main", {}), f"{where}.slots.main", _SLOT)
        if problem:
            return problem
    return ""


def _fields_problem(value: Any, where: str, fields: dict[str, type], required: int = 0) -> str:
    """The first of `fields` that is missing (of the first `required`) or of the wrong type."""
    if not isinstance(value, dict):
        return f"{where} is {_kind(value)}, not an object"
    for number, (name, kind) in enumerate(fields.items()):
        if name not in value:
            if number < required:
                return f"{where}.{name} is missing"
        elif not isinstance(value[name], kind) or (kind is int and isinstance(value[name], bool)):
            return f"{where}.{name} is {_kind(value[name])}, not {_TYPE_NAMES[kind]}"
    return ""


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a list" if isinstance(value, list) else "an object"


def _in_request_order(
    wanted: list[str], result: FetchResult, pages: dict[str, SourceArticle]
) -> list[SourceArticle]:
    """The articles in the order their titles were asked for, each once."""
    ordered: list[SourceArticle] = []
    seen: set[str] = set()
    for title in wanted:
        name = _final_title(title, result)
        if name in pages and name not in seen:
            ordered.append(pages[name])
            seen.add(name)
    ordered.extend(article for name, article in pages.items() if name not in seen)
    return ordered


def _final_title(title: str, result: FetchResult) -> str:
    """The page a title names once normalized and its redirects followed (a chain too)."""
    name = result.normalized.get(title, title)
    seen = {name}
    while name in result.redirects and result.redirects[name] not in seen:
        name = result.redirects[name]
        seen.add(name)
    return name


def _title_list(titles: list[str]) -> str:
    shown = ", ".join(titles[:5])
    return shown + (f" and {len(titles) - 5} more" if len(titles) > 5 else "")


def _utc_now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


MAX_STEM_BYTES = 150  # room for ".wiki.json" within the usual 255-byte limit on a file name


_SAFE_ASCII = frozenset(string.ascii_letters + string.digits + "-.,()!'+@")


_WINDOWS_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL"] + [f"{kind}{n}" for kind in ("COM", "LPT") for n in range(1, 10)]
)


def safe_file_stem(title: str) -> str:
    """A file name for a title: stable, and different for different titles.

    A space becomes `_`, and any character that is unsafe in a file name (`/`, `:`, `_`, `%`,
    `~`, a leading dot, controls, invisible and combining characters) becomes `%XX` of its UTF-8
    bytes, so the title can be read back. A name over MAX_STEM_BYTES is cut and ends with `~` and
    a hash of the whole title (`~` is quoted elsewhere, so a cut name never equals another).
    """
    pieces: list[str] = []
    for index, char in enumerate(title):
        if char == " ":
            pieces.append("_")
        elif (char in _SAFE_ASCII and not (index == 0 and char == ".")) or (
            ord(char) > 127 and unicodedata.category(char)[0] in "LNPS"
        ):
            pieces.append(char)
        else:
            pieces.append(_quote(char))
    if pieces and title.split(".")[0].upper() in _WINDOWS_RESERVED:
        pieces[0] = _quote(title[0])
    stem = "".join(pieces)
    if stem and len(stem.encode("utf-8")) <= MAX_STEM_BYTES:
        return stem
    digest = hashlib.sha256(title.encode("utf-8")).hexdigest()[:16]
    budget, kept = MAX_STEM_BYTES - len(digest) - 1, []
    for piece in pieces:  # cut between characters, never inside one or inside a %XX
        budget -= len(piece.encode("utf-8"))
        if budget < 0:
            break
        kept.append(piece)
    return "".join(kept) + "~" + digest


def _quote(char: str) -> str:
    return "".join(f"%{byte:02X}" for byte in char.encode("utf-8"))


def sidecar_path(article_path: Path) -> Path:
    """`x.wiki` → `x.wiki.json`: a suffix the raw/ reader ignores."""
    return article_path.with_name(article_path.name + ".json")


def save_fetched(
    result: FetchResult, raw_dir: Path, max_bytes: int = DEFAULTS.max_file_bytes
) -> list[Path]:
    """Write each fetched article as `<safe title>.wiki` with its `.wiki.json` sidecar.

    Each file is replaced atomically, so a reader never sees half an article. Refuses, with
    FileExistsError, to overwrite the file of a different title (two titles that differ only in
    case, on a case-insensitive file system). An article over `max_bytes` is not written, since
    `wikipoll run` would refuse the file: the refusal joins `result.errors`, the others are saved.
    """
    raw_dir.mkdir(parents=True, exist_ok=True)
    redirected_from: dict[str, list[str]] = {}
    for source, target in result.redirects.items():
        redirected_from.setdefault(target, []).append(source)
    written: list[Path] = []
    for article in result.articles:
        title = article.title or article.source_path
        data = article.text.encode("utf-8")
        if len(data) > max_bytes:
            _report(result, f"{title}: {_too_big(len(data), max_bytes)}")
            continue
        path = raw_dir / f"{safe_file_stem(title)}.wiki"
        existing = _sidecar_title(sidecar_path(path))
        if existing is not None and existing != title:
            raise FileExistsError(f"{path}: already holds {existing!r}, not {title!r}")
        sidecar = {
            "title": title,
            "page_id": article.page_id,
            "revision_id": article.revision_id,
            "revision_timestamp": article.revision_timestamp,
            "api_url": result.api_url,
            "fetched_at": result.fetched_at,
            "sha256": article.sha256,
            "redirected_from": sorted(redirected_from.get(title, [])),
        }
        _write_atomic(path, data)
        sidecar_text = json.dumps(sidecar, ensure_ascii=False, indent=2) + "\n"
        _write_atomic(sidecar_path(path), sidecar_text.encode("utf-8"))
        written.append(path)
    return written


def read_sidecar(path: Path) -> dict[str, Any] | None:
    """The sidecar of an article file, or None if it has none.

    Adds `content_matches`: whether the file still holds the text that was fetched, so a
    hand-edited file is not credited to a Wikipedia revision. Raises ArticleError, naming the
    sidecar, when it is not a JSON object.
    """
    side = sidecar_path(path)
    if not side.is_file():
        return None
    try:
        data = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ArticleError(str(side), f"unreadable sidecar: {error}") from None
    if not isinstance(data, dict):
        raise ArticleError(str(side), "unreadable sidecar: not a JSON object")
    try:
        actual = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        actual = None
    data["content_matches"] = actual is not None and data.get("sha256") == actual
    return data


def _sidecar_title(side: Path) -> str | None:
    try:
        data = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return data.get("title") if isinstance(data, dict) else None


def _write_atomic(path: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
