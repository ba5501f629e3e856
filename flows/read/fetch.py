"""Articles from the MediaWiki Action API, saved into the raw folder with where they came from.

`fetch_articles` asks `api.php` for the latest revisions of some titles, politely: batches of at
most 50 titles, a descriptive User-Agent, `maxlag`, timeouts, a bounded number of retries.
`save_fetched` writes them into raw/ with a JSON sidecar of the page and revision;
`read_sidecar` reads it back, so a later run credits the revision while the file still holds
that text.

Refuses unbounded retries: at most `max_retries` per request, with a cap on each wait. A server
that asks for a wait longer than two minutes is reported, not waited for.
"""

from __future__ import annotations

import hashlib
import json
import os
import string
import tempfile
import time
import unicodedata
from collections.abc import Callable
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
