"""Where article texts come from besides a raw/ folder: MediaWiki XML dumps and the Action API.

Both give `SourceArticle`s: the text, its SHA-256, its form, and the page and revision it came
from, so the parse stage (`parse_article_text`) reads them like files and the warehouse can say
which revision a poll was taken from.

- `iter_dump` streams a `.xml` or `.xml.bz2` export page by page through mwxml, keeping the latest
  revision of each page and skipping redirects, other namespaces and pages without a table.
- `fetch_articles` asks `api.php` for the latest revisions of some titles, politely: batches of at
  most 50 titles, a descriptive User-Agent, `maxlag`, timeouts, a bounded number of retries.
  `save_fetched` writes them into raw/ with a JSON sidecar; `read_sidecar` reads it back.

Refuses:
- XML entity expansion. expat (through mwxml's `iterparse`) expands internal entities: with
  expat 2.5.0, an entity nested 5 deep grows a 1 kB dump into 300 kB of text, and a "billion
  laughs" dump is stopped by expat's amplification limit only after about 50 MB and 2 s. A dump
  never has a DTD, so the prolog is read before the parser sees a byte, and a DOCTYPE (or any
  `<!` declaration), a root other than <mediawiki>, an encoding other than UTF-8, or a prolog
  over 64 KiB is refused with a `DumpError`.
- Loading a whole dump: it is read in chunks of at most 64 KiB and one page at a time.
- Unbounded retries: at most `max_retries` per request, with a cap on each wait. A server that
  asks for a wait longer than two minutes is reported, not waited for.
"""

from __future__ import annotations

import bz2
import hashlib
import json
import os
import re
import string
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from importlib import metadata
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import ParseError

import httpx
import mwxml
from mwxml.errors import MalformedXML

from flows.article import ArticleFormat
from flows.parse import ArticleError


@dataclass(frozen=True)
class SourceArticle:
    """An article's text with where it came from; the parse stage reads it like a file."""

    source_path: str  # the article's key: a path relative to raw/, or "dump:<file>#<page title>"
    text: str
    sha256: str  # of the UTF-8 text
    format: ArticleFormat
    title: str | None = None  # from page metadata where known
    page_id: int | None = None
    revision_id: int | None = None
    revision_timestamp: str | None = None  # ISO 8601 UTC


def make_source_article(
    text: str, source_path: str, article_format: ArticleFormat, **metadata_fields: Any
) -> SourceArticle:
    """A `SourceArticle` with newlines normalized as `read_article_text` does, then hashed.

    Normalizing first makes the hash the same as that of the file `save_fetched` writes.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return SourceArticle(source_path, text, sha256, article_format, **metadata_fields)


# --- what holds a table ---------------------------------------------------------------------------

_WIKITEXT_TABLE_LINE = re.compile(r"^[ \t]*\{\|", re.MULTILINE)
# A row of the flattened form, `| a | b |`. A line that only starts with `|` is not enough: every
# infobox parameter line (`| name = value`) does, and would make every such page a "table".
_FLATTENED_ROW = re.compile(r"^[ \t]*\|[^\n]*\|[ \t]*$", re.MULTILINE)
_REDIRECT_TEXT = re.compile(r"\A\s*#redirect\s*:?\s*\[\[", re.IGNORECASE)


def might_hold_table(text: str) -> bool:
    """The cheap test run before any parsing: a `{|` anywhere, or a `| a | b |` row."""
    return "{|" in text or _FLATTENED_ROW.search(text) is not None


def detect_text_format(text: str) -> ArticleFormat:
    """Wikitext when a line opens a `{|` table; the flattened form when only `| a |` rows do."""
    if _WIKITEXT_TABLE_LINE.search(text) or not _FLATTENED_ROW.search(text):
        return "wikitext"
    return "flattened"


# --- MediaWiki XML dumps --------------------------------------------------------------------------

DUMP_SUFFIXES = (".xml", ".xml.bz2")


def find_dump_files(raw_dir: Path) -> list[Path]:
    """MediaWiki XML dumps under `raw_dir`, nested folders included, in a stable order."""
    return sorted(
        path
        for path in raw_dir.rglob("*")
        if path.is_file()
        and path.name.lower().endswith(DUMP_SUFFIXES)
        and not any(part.startswith(".") for part in path.relative_to(raw_dir).parts)
    )


READ_CHUNK = 64 * 1024  # the most the parser gets from one read, whatever it asks for
MAX_PROLOG = 64 * 1024  # an export's prolog is an XML declaration: a few dozen bytes


class DumpError(Exception):
    """A dump that cannot be read safely or completely; the message names the file and says why."""

    def __init__(self, path: Path, reason: str):
        self.path, self.reason = path, reason
        super().__init__(f"{path}: {reason}")


@dataclass
class DumpStats:
    """What `iter_dump` did with the pages: each page seen is counted in one other field."""

    pages_seen: int = 0
    skipped_namespace: int = 0
    skipped_redirect: int = 0
    skipped_no_text: int = 0  # the latest revision's text is empty or deleted
    skipped_no_table: int = 0
    articles_yielded: int = 0


def iter_dump(
    path: Path,
    *,
    namespaces: Iterable[int] = (0,),
    prefilter: bool = True,
    stats: DumpStats | None = None,
) -> Iterator[SourceArticle]:
    """The latest revision of each page of a dump, streamed; pass `stats` to get the counts.

    A page is skipped, and counted, when it is outside `namespaces`, a redirect, has no text, or
    (with `prefilter`) has no table by `might_hold_table`. Raises `DumpError` for a dump that
    declares a DTD, is not UTF-8, is malformed or truncated; the articles before it were yielded.
    """
    stats = stats if stats is not None else DumpStats()
    wanted_namespaces = frozenset(namespaces)
    with _open_dump(path) as raw:
        try:
            pages = iter(mwxml.Dump.from_file(_PrologGuard(raw, path)).pages)
        except _DUMP_READ_ERRORS as error:
            raise DumpError(path, f"not a readable MediaWiki export: {error}") from error
        while True:  # ends with the file
            try:
                page = next(pages, None)
                if page is None:
                    return
                stats.pages_seen += 1
                article = _read_page(page, path, wanted_namespaces, prefilter, stats)
            except _DUMP_READ_ERRORS as error:
                raise DumpError(
                    path, f"malformed or truncated after {stats.pages_seen - 1} pages: {error}"
                ) from error
            if article is not None:
                stats.articles_yielded += 1
                yield article


_DUMP_READ_ERRORS = (ParseError, MalformedXML, EOFError, OSError, ValueError, TypeError)


def _open_dump(path: Path) -> IO[bytes]:
    name = path.name.lower()
    if name.endswith(".xml.bz2"):
        return bz2.open(path, "rb")
    if name.endswith(".xml"):
        return path.open("rb")
    raise DumpError(path, "not a MediaWiki XML dump: expected a .xml or .xml.bz2 file")


def _read_page(
    page: Any, path: Path, namespaces: frozenset[int], prefilter: bool, stats: DumpStats
) -> SourceArticle | None:
    if page.namespace not in namespaces:
        stats.skipped_namespace += 1
        return None
    if page.redirect is not None:
        stats.skipped_redirect += 1
        return None
    latest, latest_key = None, (float("-inf"), -1)
    for revision in page:  # usually oldest first; keep one text at a time
        when = revision.timestamp.unix() if revision.timestamp else float("-inf")
        key = (when, revision.id or -1)
        if key >= latest_key:
            latest, latest_key = revision, key
    text = latest.text if latest is not None else None
    if not text or not text.strip():
        stats.skipped_no_text += 1
        return None
    if _REDIRECT_TEXT.match(text):  # an export without <redirect> tags
        stats.skipped_redirect += 1
        return None
    if prefilter and not might_hold_table(text):
        stats.skipped_no_table += 1
        return None
    return make_source_article(
        text,
        f"dump:{path.name}#{page.title}",
        detect_text_format(text),
        title=page.title,
        page_id=page.id,
        revision_id=latest.id,
        revision_timestamp=latest.timestamp.long_format() if latest.timestamp else None,
    )


class _PrologGuard:
    """A read-only byte stream that refuses a DTD before the XML parser sees the document.

    Entities can only be declared in a DOCTYPE, and a DOCTYPE can only stand in the prolog, before
    the root element: one found later is a syntax error to expat. So reading the prolog (XML
    declaration, comments, processing instructions) up to the root element's `<` is enough.
    """

    def __init__(self, raw: IO[bytes], path: Path):
        self._raw, self._path = raw, path
        self._pending = self._read_prolog()

    def read(self, size: int | None = -1) -> bytes:
        size = READ_CHUNK if size is None or size < 0 else min(size, READ_CHUNK)
        if self._pending:
            data, self._pending = self._pending[:size], self._pending[size:]
            return data
        return self._raw.read(size)

    def _read_prolog(self) -> bytes:
        data = b""
        while True:  # at most MAX_PROLOG / READ_CHUNK + 1 reads
            chunk = self._raw.read(READ_CHUNK)
            data += chunk
            try:
                end = _prolog_end(data, at_eof=not chunk)
            except ValueError as error:
                raise DumpError(self._path, f"refused: {error}") from None
            if end is not None and end <= MAX_PROLOG:
                return data
            if end is not None or len(data) > MAX_PROLOG:
                raise DumpError(
                    self._path,
                    f"refused: no root element in the first {MAX_PROLOG} bytes "
                    "(a MediaWiki export starts with <mediawiki>)",
                )


_UTF8_ENCODINGS = {"utf-8", "utf8", "us-ascii", "ascii"}
_ENCODING_DECL = re.compile(rb"""\bencoding\s*=\s*["']([A-Za-z0-9._-]*)["']""")


def _prolog_end(data: bytes, at_eof: bool) -> int | None:
    """Offset of the root element's `<`, or None when more bytes are needed.

    Raises ValueError for a DOCTYPE or any other `<!` declaration, a byte order mark or
    declaration of an encoding other than UTF-8, and text that is not markup.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00")) or b"\x00" in data[:4]:
        raise ValueError("not UTF-8 (a UTF-16 or UTF-32 document); MediaWiki exports are UTF-8")
    pos = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    while True:  # each turn moves past one prolog item, so at most len(data) turns
        while pos < len(data) and data[pos] in b" \t\r\n":
            pos += 1
        rest = data[pos : pos + 4]
        if len(rest) < 4 and not at_eof:
            return None
        if rest.startswith(b"<?"):
            end = data.find(b"?>", pos + 2)
            if end < 0:
                break
            declaration = data[pos : end + 2]
            if declaration.startswith((b"<?xml ", b"<?xml\t", b"<?xml\r", b"<?xml\n")):
                match = _ENCODING_DECL.search(declaration)
                if match and match.group(1).decode("ascii").lower() not in _UTF8_ENCODINGS:
                    raise ValueError(
                        f"declares encoding {match.group(1).decode('ascii')!r}; "
                        "MediaWiki exports are UTF-8"
                    )
            pos = end + 2
        elif rest.startswith(b"<!--"):
            end = data.find(b"-->", pos + 4)
            if end < 0:
                break
            pos = end + 3
        elif rest.startswith(b"<!"):
            if len(data) - pos < 12 and not at_eof:
                return None  # read on, to name the declaration
            kind = re.match(rb"<!([A-Za-z]*)", data[pos : pos + 20])
            name = kind.group(1).decode("ascii", "replace") if kind else ""
            raise ValueError(
                f"the dump declares <!{name}…> before its root element; a MediaWiki export has "
                "no DTD, and entity declarations are not expanded"
            )
        elif rest[:1] == b"<" and len(rest) > 1:
            root = re.match(rb"<([^\s/>]{0,64})([\s/>])?", data[pos : pos + 80])
            name = root.group(1) if root else b""
            if root and root.group(2) is None and len(name) < 64 and not at_eof:
                return None  # the name goes on in the next read
            if name != b"mediawiki":
                shown = name.decode("utf-8", "replace")
                raise ValueError(f"the root element <{shown}> is not <mediawiki>")
            return pos
        elif not rest:
            raise ValueError("the file ends before its root element")
        else:
            raise ValueError("not XML: the file does not start with markup")
    if at_eof:
        raise ValueError("the file ends inside its prolog")
    return None


# --- the MediaWiki Action API ---------------------------------------------------------------------

WIKIPEDIA_API = "https://en.wikipedia.org/w/api.php"
MAX_TITLES_PER_REQUEST = 50  # the API's limit for clients without the apihighlimits right
BACKOFF_BASE = 1.0  # seconds before the first retry; doubled at each one
BACKOFF_CAP = 60.0
MAX_RETRY_AFTER = 120.0  # a longer Retry-After is reported rather than waited for
# Placeholder until pyproject.toml has [project.urls]; Wikimedia asks for a way to reach us.


@dataclass
class FetchResult:
    """What `fetch_articles` got: nothing in `missing` or `errors` was raised."""

    articles: list[SourceArticle] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    redirects: dict[str, str] = field(default_factory=dict)  # from → to, as the API followed them
    errors: list[str] = field(default_factory=list)
    normalized: dict[str, str] = field(default_factory=dict)  # as asked → the API's title
    api_url: str = WIKIPEDIA_API
    fetched_at: str = ""  # ISO 8601 UTC, when the fetch started


def user_agent() -> str:
    """The User-Agent Wikimedia's policy asks for: who we are, how to reach the operator, the
    library. The operator's contact (an email or a URL) comes from WIKIPOLL_CONTACT."""
    contact = os.environ.get("WIKIPOLL_CONTACT", "").strip()
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
    api_url: str = WIKIPEDIA_API,
    client: httpx.Client | None = None,
    batch_size: int = MAX_TITLES_PER_REQUEST,
    max_retries: int = 5,
    timeout: float = 30.0,
    maxlag: int = 5,
    sleep: Callable[[float], None] = time.sleep,
) -> FetchResult:
    """The latest revision of each title, one request per batch, one request at a time.

    Missing pages, invalid titles and requests that kept failing are reported in the result.
    When a request still fails after its retries, the later batches are not sent (the server is
    struggling) and are reported as not fetched.
    """
    if not 1 <= batch_size <= MAX_TITLES_PER_REQUEST:
        raise ValueError(f"batch_size must be 1 to {MAX_TITLES_PER_REQUEST}, not {batch_size}")
    if max_retries < 0:
        raise ValueError(f"max_retries must be 0 or more, not {max_retries}")
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
    http = client if client is not None else httpx.Client(timeout=timeout, follow_redirects=True)
    pages: dict[str, SourceArticle] = {}
    try:
        for number, batch in enumerate(batches):
            try:
                _fetch_batch(
                    http, api_url, batch, result, pages, max_retries, timeout, maxlag, sleep
                )
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


def _fetch_batch(
    http: httpx.Client,
    api_url: str,
    batch: list[str],
    result: FetchResult,
    pages: dict[str, SourceArticle],
    max_retries: int,
    timeout: float,
    maxlag: int,
    sleep: Callable[[float], None],
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
    # A response over the API's size limit leaves some pages' content for a continuation request;
    # each one brings at least one page, so a batch needs at most len(batch) + 1 requests.
    for _ in range(len(batch) + 1):
        payload = _get_json(http, api_url, params, max_retries, timeout, sleep)
        _read_query(payload.get("query") or {}, result, pages, without_content)
        continuation = payload.get("continue")
        if not continuation:
            break
        params = {**params, **{key: str(value) for key, value in continuation.items()}}
    else:
        result.errors.append(f"{_title_list(batch)}: the API kept asking to continue; gave up")
    for title, reason in without_content.items():
        if title not in pages:
            result.errors.append(f"{title}: {reason}")


def _read_query(
    query: dict[str, Any],
    result: FetchResult,
    pages: dict[str, SourceArticle],
    without_content: dict[str, str],
) -> None:
    for entry in query.get("normalized") or []:
        result.normalized[entry["from"]] = entry["to"]
    for entry in query.get("redirects") or []:
        result.redirects[entry["from"]] = entry["to"]
    for entry in query.get("interwiki") or []:
        _report(
            result,
            f"{entry.get('title')}: an interwiki title ({entry.get('iw')}), not a page here",
        )
    for page in query.get("pages") or []:
        title = page.get("title", "")
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
                pages[title] = make_source_article(
                    slot["content"],
                    title,
                    "wikitext",
                    title=title,
                    page_id=page.get("pageid"),
                    revision_id=revision.get("revid"),
                    revision_timestamp=revision.get("timestamp"),
                )


def _report(result: FetchResult, message: str) -> None:
    """Add an error once: a continuation response repeats the batch's invalid titles."""
    if message not in result.errors:
        result.errors.append(message)


def _get_json(
    http: httpx.Client,
    api_url: str,
    params: dict[str, str],
    max_retries: int,
    timeout: float,
    sleep: Callable[[float], None],
) -> dict[str, Any]:
    """One API response, retried on 429, 5xx, connection errors and `maxlag`."""
    headers = {"User-Agent": user_agent(), "Accept": "application/json"}
    problem = ""
    for attempt in range(max_retries + 1):
        retry_after: float | None = None
        try:
            response = http.get(
                api_url, params=params, headers=headers, timeout=timeout, follow_redirects=True
            )
        except httpx.TransportError as error:
            problem = f"connection error: {type(error).__name__}: {error}"
        else:
            status = response.status_code
            if status == 429 or 500 <= status < 600:
                problem = f"HTTP {status}"
                retry_after = _retry_after(response.headers.get("Retry-After"))
            elif status != 200:
                raise _RequestFailed(f"HTTP {status} from {api_url}", transient=False)
            else:
                try:
                    payload = response.json()
                except ValueError:
                    raise _RequestFailed(f"not JSON from {api_url}", transient=False) from None
                if not isinstance(payload, dict):
                    raise _RequestFailed(f"unexpected JSON from {api_url}", transient=False)
                error = payload.get("error")
                if not error:
                    return payload
                code, info = error.get("code", "?"), error.get("info", "")
                if code != "maxlag":
                    raise _RequestFailed(f"API error {code}: {info}", transient=False)
                problem = f"API error maxlag: {info}"
                retry_after = _retry_after(response.headers.get("Retry-After"))
        if attempt == max_retries:
            break
        delay = min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt)
        if retry_after is not None:
            if retry_after > MAX_RETRY_AFTER:
                raise _RequestFailed(
                    f"{problem}, and the server asks to wait {retry_after:g} s; gave up",
                    transient=True,
                )
            delay = max(delay, retry_after)
        sleep(delay)
    raise _RequestFailed(f"gave up after {max_retries + 1} attempts: {problem}", transient=True)


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


def _in_request_order(
    wanted: list[str], result: FetchResult, pages: dict[str, SourceArticle]
) -> list[SourceArticle]:
    """The articles in the order their titles were asked for, each once."""
    ordered: list[SourceArticle] = []
    seen: set[str] = set()
    for title in wanted:
        name = result.normalized.get(title, title)
        name = result.redirects.get(name, name)
        if name in pages and name not in seen:
            ordered.append(pages[name])
            seen.add(name)
    ordered.extend(article for name, article in pages.items() if name not in seen)
    return ordered


def _title_list(titles: list[str]) -> str:
    shown = ", ".join(titles[:5])
    return shown + (f" and {len(titles) - 5} more" if len(titles) > 5 else "")


def _utc_now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


# --- fetched articles in raw/ ---------------------------------------------------------------------

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


def save_fetched(result: FetchResult, raw_dir: Path) -> list[Path]:
    """Write each fetched article as `<safe title>.wiki` with its `.wiki.json` sidecar.

    Each file is replaced atomically, so a reader never sees half an article. Refuses, with
    FileExistsError, to overwrite the file of a different title (two titles that differ only in
    case, on a case-insensitive file system).
    """
    raw_dir.mkdir(parents=True, exist_ok=True)
    redirected_from: dict[str, list[str]] = {}
    for source, target in result.redirects.items():
        redirected_from.setdefault(target, []).append(source)
    written: list[Path] = []
    for article in result.articles:
        title = article.title or article.source_path
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
        _write_atomic(path, article.text.encode("utf-8"))
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
