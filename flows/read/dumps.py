"""MediaWiki XML dumps, streamed page by page.

`iter_dump` streams a `.xml` or `.xml.bz2` export through mwxml, keeping the latest revision of
each page and skipping redirects, other namespaces and pages without a table, as `SourceArticle`s.
A dump is read twice: a first pass, without the XML parser, notes each page's title and latest
revision id, so that the second, which yields the articles, yields a title held by two pages once.

Refuses:
- XML entity expansion. expat (through mwxml's `iterparse`) expands internal entities: with
  expat 2.5.0, an entity nested 5 deep grows a 1 kB dump into 300 kB of text, and a "billion
  laughs" dump is stopped by expat's amplification limit only after about 50 MB and 2 s. A dump
  never has a DTD, so the prolog is read before the parser sees a byte, and a DOCTYPE (or any
  `<!` declaration), a root other than <mediawiki>, an encoding other than UTF-8, or a prolog
  over 64 KiB is refused with a `DumpError`.
- Loading a whole dump: it is read in chunks of at most 64 KiB and one page at a time.
- Loading a whole page: expat hands on a text in pieces, but the tree builder joins them, so a
  2 KB `.xml.bz2` holding one 1.5 GB page took 5 GB. `_DumpReader`, between the file and the
  parser, passes on at most `max_page_bytes` of any element's text (the `--max-file-mb` limit of
  a file); such a page comes out as an `ArticleError` ("file_too_large") in the stream instead
  of an article, and the pages after it come out as usual. A tag over 64 KiB is refused with a
  `DumpError` (a tag of an export is a few dozen bytes), and comments are dropped unread.
- Two articles with one key: when pages share a title, the copy with the highest revision id
  (ties: the later page) is read, and the others are counted in `DumpStats.duplicates`.
- Carrying on past a broken dump: the pages before a truncation or malformed XML are yielded,
  then a `DumpError` names the file; `DumpStats` says whether the file was cut, and after how
  many pages, so a run can report it and go on with its other inputs.
"""

from __future__ import annotations

import bz2
import hashlib
import re
import struct
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import ParseError
from xml.parsers.expat import errors as expat_errors

import mwxml
from mwxml.errors import MalformedXML

from flows.read.errors import ArticleError
from flows.read.sources import (
    SourceArticle,
    detect_text_format,
    make_source_article,
    might_hold_table,
)
from flows.settings import DEFAULTS

_REDIRECT_TEXT = re.compile(r"\A\s*#redirect\s*:?\s*\[\[", re.IGNORECASE)


DUMP_SUFFIXES = (".xml", ".xml.bz2")


READ_CHUNK = 64 * 1024  # the most the parser gets from one read, whatever it asks for


MAX_PROLOG = 64 * 1024  # an export's prolog is an XML declaration: a few dozen bytes


MAX_TAG = 64 * 1024  # an export's tags are a few dozen bytes: a longer one is refused unread


class DumpError(Exception):
    """A dump that cannot be read safely or completely; the message names the file and says why."""

    def __init__(self, path: Path, reason: str, truncated: bool = False):
        self.path, self.reason, self.truncated = path, reason, truncated
        super().__init__(f"{path}: {reason}")


@dataclass
class DumpStats:
    """What `iter_dump` did with the pages: each page read whole is counted in one other field
    (`duplicates` by its length)."""

    pages_seen: int = 0
    skipped_namespace: int = 0
    skipped_redirect: int = 0
    skipped_no_text: int = 0  # the latest revision's text is empty or deleted
    skipped_no_table: int = 0
    refused_too_large: int = 0  # over `max_page_bytes`: an ArticleError in the stream
    articles_yielded: int = 0
    # A title another page holds with a later revision: (title, revision kept, revision dropped).
    duplicates: list[tuple[str, int, int]] = field(default_factory=list)
    error: str | None = None  # why a DumpError stopped the read (its reason, without the path)
    # Set when a DumpError stopped the read after the prolog: the pages read whole before it.
    pages_before_error: int | None = None
    truncated: bool = False  # the file ends before its XML does: a cut download or copy


def duplicate_notes(dump: Path | str, stats: DumpStats) -> list[str]:
    """One line per title the dump holds twice: the revision read and the one left out."""
    return [
        f"{dump}: the title {title!r} is held by two pages: revision {kept} read, revision "
        f"{dropped} left out (the latest revision is kept)"
        for title, kept, dropped in stats.duplicates
    ]


def iter_dump(
    path: Path,
    *,
    namespaces: Iterable[int] = (0,),
    prefilter: bool = True,
    stats: DumpStats | None = None,
    max_page_bytes: int = DEFAULTS.max_file_bytes,
) -> Iterator[SourceArticle | ArticleError]:
    """The latest revision of each page of a dump, streamed; pass `stats` to get the counts.

    A page is skipped, and counted, when it is outside `namespaces`, a redirect, has no text, or
    (with `prefilter`) has no table by `might_hold_table`; a title held by several pages comes
    out once, from its latest revision. A page whose latest text (or title) is over
    `max_page_bytes` comes out as an `ArticleError` ("file_too_large"). Raises `DumpError` for a
    dump that declares a DTD, is not UTF-8, is malformed or truncated; the articles before it
    were yielded.
    """
    stats = stats if stats is not None else DumpStats()
    try:
        yield from _iter_dump(path, frozenset(namespaces), prefilter, stats, max_page_bytes)
    except DumpError as error:
        stats.error = error.reason
        if error.truncated and stats.pages_before_error is None:  # cut before its first page
            stats.truncated, stats.pages_before_error = True, 0
        raise


def _iter_dump(
    path: Path, wanted: frozenset[int], prefilter: bool, stats: DumpStats, max_page_bytes: int
) -> Iterator[SourceArticle | ArticleError]:
    titles = _index_titles(path, wanted, max_page_bytes)
    copies_seen: dict[bytes, int] = {}  # of the titles held twice only
    with _open_dump(path) as raw:
        try:
            reader = _DumpReader(raw, path, max_page_bytes)
            pages = iter(mwxml.Dump.from_file(reader).pages)
        except _DUMP_READ_ERRORS as error:
            raise _unreadable(path, error) from error
        read_whole = 0
        while True:  # ends with the file
            try:
                page = next(pages, None)
                if page is None:
                    return
                stats.pages_seen += 1
                if stats.pages_seen > titles.pages:
                    raise DumpError(path, "the file changed while it was read: read it again")
                marks = reader.take_marks(stats.pages_seen)
                item = None
                if page.namespace not in wanted or not _dropped_copy(
                    path, page, marks, titles, copies_seen, stats
                ):
                    item = _read_page(page, marks, path, wanted, prefilter, max_page_bytes, stats)
                read_whole += 1
            except DumpError:
                stats.pages_before_error = read_whole
                raise
            except _DUMP_READ_ERRORS as error:
                stats.pages_before_error = read_whole
                stats.truncated = _is_truncation(error)
                broken = "truncated" if stats.truncated else "malformed"
                raise DumpError(path, f"{broken} after {read_whole} pages: {error}") from error
            if isinstance(item, ArticleError):
                stats.refused_too_large += 1
                yield item
            elif item is not None:
                stats.articles_yielded += 1
                yield item


_DUMP_READ_ERRORS = (ParseError, MalformedXML, EOFError, OSError, ValueError, TypeError)


# expat's errors that only come at the end of the input: the file stops before its XML does.
_END_OF_INPUT_ERRORS = frozenset(
    expat_errors.codes[message]
    for message in (
        expat_errors.XML_ERROR_NO_ELEMENTS,
        expat_errors.XML_ERROR_UNCLOSED_TOKEN,
        expat_errors.XML_ERROR_PARTIAL_CHAR,
        expat_errors.XML_ERROR_UNCLOSED_CDATA_SECTION,
    )
)


def _unreadable(path: Path, error: Exception) -> DumpError:
    """The error for a dump whose start cannot be read: cut short before its first page (a bz2
    file cut inside its first block holds nothing that can be read), or not an export at all."""
    if _is_truncation(error):
        return DumpError(path, f"truncated after 0 pages: {error}", truncated=True)
    return DumpError(path, f"not a readable MediaWiki export: {error}")


def _is_truncation(error: Exception) -> bool:
    """A bz2 stream cut short, or XML that ends before its root element is closed."""
    if isinstance(error, EOFError):
        return True
    return isinstance(error, ParseError) and getattr(error, "code", None) in _END_OF_INPUT_ERRORS


def _open_dump(path: Path) -> IO[bytes]:
    name = path.name.lower()
    if name.endswith(".xml.bz2"):
        return bz2.open(path, "rb")
    if name.endswith(".xml"):
        return path.open("rb")
    raise DumpError(path, "not a MediaWiki XML dump: expected a .xml or .xml.bz2 file")


def _dropped_copy(
    path: Path,
    page: Any,
    marks: _PageMarks,
    titles: _TitleIndex,
    copies_seen: dict[bytes, int],
    stats: DumpStats,
) -> bool:
    """A copy of a title that another page of the dump holds with a later revision: counted in
    `stats.duplicates`, not read."""
    key = marks.title_key
    copies = titles.copies.get(key) if key is not None else None
    if key is None or copies is None:
        return False
    number = copies_seen.get(key, 0)
    copies_seen[key] = number + 1
    if number >= len(copies):
        if not titles.whole and stats.pages_seen == titles.pages:
            return False  # the page the first pass stopped in: reading it stops here too
        raise DumpError(path, "the file changed while it was read: read it again")
    kept = titles.kept[key]
    if number == kept:
        return False
    stats.duplicates.append((page.title, copies[kept], copies[number]))
    return True


def _read_page(
    page: Any,
    marks: _PageMarks,
    path: Path,
    namespaces: frozenset[int],
    prefilter: bool,
    max_page_bytes: int,
    stats: DumpStats,
) -> SourceArticle | ArticleError | None:
    if page.namespace not in namespaces:
        stats.skipped_namespace += 1
        return None
    if page.redirect is not None:
        stats.skipped_redirect += 1
        return None
    latest, latest_key, latest_number = None, (float("-inf"), -1), 0
    for number, revision in enumerate(page, start=1):  # usually oldest first; one text at a time
        when = revision.timestamp.unix() if revision.timestamp else float("-inf")
        key = (when, revision.id or -1)
        if key >= latest_key:
            latest, latest_key, latest_number = revision, key, number
    source_path = f"dump:{path.name}#{page.title}"
    # The reader passed on only the start of a text over the limit: `marks` says which it cut.
    cut = marks.cuts.get(0) or marks.cuts.get(latest_number)
    if cut is not None:
        element, size = cut
        return ArticleError(
            source_path,
            f"the page's {element} is {size / 1024**2:.1f} MB, over the "
            f"{max_page_bytes / 1024**2:g} MB limit (--max-file-mb); no article is this big",
            check_name="file_too_large",
        )
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
        source_path,
        detect_text_format(text),
        title=page.title,
        page_id=page.id,
        revision_id=latest.id,
        revision_timestamp=latest.timestamp.long_format() if latest.timestamp else None,
    )


# --- the first pass: which titles more than one page holds ----------------------------------------


@dataclass
class _TitleIndex:
    """What the first pass found: the titles held by more than one page, by digest."""

    pages: int  # the pages the first pass saw begin
    whole: bool  # read to its end: not stopped by a truncation or an error
    copies: dict[bytes, list[int]]  # the latest revision id of each copy, in dump order
    kept: dict[bytes, int]  # the copy that is read: the highest revision id, then the later


_RECORD = struct.Struct("<16sq")  # a title's digest and the page's latest revision id


def _index_titles(path: Path, namespaces: frozenset[int], max_run_bytes: int) -> _TitleIndex:
    """Read the dump once without the XML parser, noting each page's title and latest revision.

    Memory is 24 bytes a page (a 128-bit digest of the title and a revision id), in 256 buckets
    by the digest's first byte; duplicates are then found one bucket at a time, so at most a
    bucket's worth of Python objects exists at once. Two different titles share a digest with
    odds of about n²/2¹²⁹: 1 in 10²³ for the 60 million pages of all of Wikipedia's namespaces.
    """
    buckets = [bytearray() for _ in range(256)]

    def note(marks: _PageMarks) -> None:
        key = marks.title_key
        if key is not None and (marks.namespace is None or marks.namespace in namespaces):
            buckets[key[0]] += _RECORD.pack(key, marks.latest_id)

    with _open_dump(path) as raw:
        try:
            reader = _DumpReader(raw, path, max_run_bytes, on_page=note)
        except _DUMP_READ_ERRORS as error:
            raise _unreadable(path, error) from error
        try:
            reader.drain()
            whole = not reader.open_elements  # a plain .xml cut short ends with open elements
        except (DumpError, *_DUMP_READ_ERRORS):
            whole = False  # the second pass yields the pages before the same error, then raises it
    copies: dict[bytes, list[int]] = {}
    for number, bucket in enumerate(buckets):
        records = bytes(bucket)
        buckets[number] = bytearray()
        keys = [records[at : at + 16] for at in range(0, len(records), _RECORD.size)]
        if len(set(keys)) == len(keys):
            continue
        held_twice = {key for key, count in Counter(keys).items() if count > 1}
        for key, latest_id in _RECORD.iter_unpack(records):
            if key in held_twice:
                copies.setdefault(key, []).append(latest_id)
    kept = {
        key: max(range(len(ids)), key=lambda number: (ids[number], number))
        for key, ids in copies.items()
    }
    return _TitleIndex(reader.pages, whole, copies, kept)


# --- the reader between the file and the parser ---------------------------------------------------


@dataclass
class _PageMarks:
    """What `_DumpReader` noted of one page while it passed the page on."""

    title_key: bytes | None = None  # a digest of the title, as mwxml reads it
    namespace: int | None = None
    revisions: int = 0
    latest_id: int = -1  # the highest revision id
    # Texts the reader cut at the limit: by revision number from 1 (0: outside any revision),
    # the element and its size in the dump's bytes.
    cuts: dict[int, tuple[str, int]] = field(default_factory=dict)


_DATA, _CDATA, _COMMENT, _INSTRUCTION = range(4)


# A start tag up to its `>`: a name, then attributes whose quoted values may hold a `>`.
_START_TAG = re.compile(rb"""<([^\s/>!?"'=<]+)(?:[^>"'<]++|"[^"<]*+"|'[^'<]*+')*+""")
# A text, then a whole start tag (group 2 empty) or end tag (group 2 "/"), name in group 3.
_TOKEN = re.compile(rb"""([^<]*+)<(/?)([^\s/>!?"'=<]++)(?:[^>"'<]++|"[^"<]*+"|'[^'<]*+')*+>""")


# The longest reference a dump can hold, "&#x10FFFF;", is 10 bytes; the limit leaves room.
MAX_REFERENCE = 16


class _DumpReader:
    """A read-only byte stream between a dump file and the XML parser, which refuses a DTD
    before the parser sees the document, and passes on at most `max_run_bytes` of any element's
    text: past that, the text is dropped until the next tag, and its size noted in the page's
    `_PageMarks`. With `on_page` (the first pass), nothing is passed on: each page's marks are
    handed to `on_page` as the page ends.

    Entities can only be declared in a DOCTYPE, and a DOCTYPE can only stand in the prolog, before
    the root element: one found later is a syntax error to expat. So reading the prolog (XML
    declaration, comments, processing instructions) up to the root element's `<` is enough.

    After the prolog, the reader follows the markup as expat would (tags, comments, CDATA
    sections, processing instructions), because a text is only cut where expat still reads
    well-formed XML: never inside a character reference or a UTF-8 character, and a CDATA
    section is closed. Comments and processing instructions are dropped unread: the tree builder
    discards them, but expat would first hold each whole.
    """

    def __init__(
        self,
        raw: IO[bytes],
        path: Path,
        max_run_bytes: int = DEFAULTS.max_file_bytes,
        on_page: Callable[[_PageMarks], None] | None = None,
    ):
        self._raw, self._path, self._limit, self._on_page = raw, path, max_run_bytes, on_page
        prolog, root = self._read_prolog()
        self._out: bytearray | None = bytearray(prolog[:root]) if on_page is None else None
        self._buf = bytearray(prolog[root:])
        self._state = _DATA
        self._done = False
        self._kept_from = 0  # where the buffer is passed on from
        self._served = 0  # how much of `_out` the parser has read
        self._error: BaseException | None = None  # from the file, raised once the rest is passed on
        self._stack: list[bytes] = []  # the open elements' local names
        self._run = 0  # the bytes of text since the last tag
        self._cutting: tuple[_PageMarks | None, int, str] | None = None  # dropping a text
        self._collected: bytearray | None = None  # the text of a title, <ns> or revision <id>
        self.pages = 0  # the pages begun
        self._page: _PageMarks | None = None
        self._marks: dict[int, _PageMarks] = {}

    # --- the stream the parser reads

    def read(self, size: int | None = -1) -> bytes:
        size = READ_CHUNK if size is None or size < 0 else min(size, READ_CHUNK)
        out = self._out
        assert out is not None, "a reader with on_page passes nothing on"
        if self._served == len(out):
            out.clear()
            self._served = 0
            while not out and not self._done:
                self._fill()
            if not out and self._error is not None:
                error, self._error = self._error, None
                raise error
        start = self._served
        self._served = min(start + size, len(out))
        with memoryview(out) as view:
            return bytes(view[start : self._served])

    def drain(self) -> None:
        """Read the whole file, for `on_page`; raises what reading it raises."""
        while not self._done:
            self._fill()
        if self._error is not None:
            raise self._error

    @property
    def open_elements(self) -> int:
        return len(self._stack)

    def take_marks(self, page_number: int) -> _PageMarks:
        """The marks of the page of that number, from 1, once the parser has begun it; they are
        complete once the parser has read the page's end."""
        return self._marks.pop(page_number, None) or _PageMarks()

    def _fill(self) -> None:
        try:
            chunk = self._raw.read(READ_CHUNK)
        except (EOFError, OSError) as error:  # a cut bz2 stream: pass on what came before it
            self._error, chunk = error, b""
        self._buf += chunk
        try:
            self._scan(final=not chunk)
        except DumpError as error:  # raised once what came before is passed on, as above
            self._error, chunk = error, b""
        self._done = not chunk

    def _emit(self, data: bytes) -> None:
        if self._out is not None:
            self._out += data

    # --- following the markup
    #
    # What is passed on is the buffer as read, but for the ranges dropped (comments, processing
    # instructions, a text past the limit) and the `]]>` closing a CDATA section cut short: the
    # buffer is copied out in runs, from `_kept_from` up to the next range dropped.

    def _drop(self, start: int, stop: int) -> None:
        if self._out is not None and start > self._kept_from:
            self._out += self._buf[self._kept_from : start]
        self._kept_from = max(self._kept_from, stop)

    def _scan(self, final: bool) -> None:
        """Pass on what can be decided in the buffer; keep the rest (a tag, a reference, a
        UTF-8 character or a `]]>` cut by the read) for the next one."""
        buf, pos, end = self._buf, 0, len(self._buf)
        self._kept_from = 0
        token, limit = _TOKEN.match, self._limit
        while pos < end:
            if self._state == _DATA:
                # The common case, in one match: a text, then a whole start or end tag.
                match = token(buf, pos)
                if match is not None:
                    opening, after = match.end(1), match.end()
                    if after - opening > MAX_TAG:
                        self._refuse_long_tag(opening)
                    size = opening - pos
                    if self._cutting is None and self._collected is None:
                        if self._run + size > limit:
                            self._text(buf, pos, opening, cdata=False)
                    elif size:
                        self._text(buf, pos, opening, cdata=False)
                    if match.group(2):
                        self._end_tag()
                    else:
                        self._start_tag(match.group(3), buf[after - 2] == 0x2F)  # <a ... />
                    pos = after
                    continue
                found = buf.find(b"<", pos)
                if found < 0:
                    stop = end if final else _safe_end(buf, pos, end, True)
                    self._text(buf, pos, stop, cdata=False)
                    pos = stop
                    break
                self._text(buf, pos, found, cdata=False)
                after = self._markup(buf, found, final)
                if after is None:
                    pos = found
                    break  # the rest of the markup is in the next read
                pos = after
            elif self._state == _CDATA:
                found = buf.find(b"]]>", pos)
                if found < 0:
                    stop = end if final else _safe_end(buf, pos, max(pos, end - 2), False)
                    self._text(buf, pos, stop, cdata=True)
                    pos = stop
                    break
                self._text(buf, pos, found, cdata=True)
                if self._cutting is not None:
                    self._drop(found, found + 3)
                pos, self._state = found + 3, _DATA
            else:  # a comment or processing instruction, dropped
                closing = b"-->" if self._state == _COMMENT else b"?>"
                found = buf.find(closing, pos)
                if found < 0:
                    stop = end if final else max(pos, end - len(closing) + 1)
                    self._drop(pos, stop)
                    pos = stop
                    break
                self._drop(pos, found + len(closing))
                pos, self._state = found + len(closing), _DATA
        self._drop(pos, pos)
        del buf[:pos]

    def _markup(self, buf: bytearray, at: int, final: bool) -> int | None:
        """Where the markup at `at`, other than a whole tag, ends; None when the read ends first."""
        end = len(buf)
        for opening, state in ((b"<!--", _COMMENT), (b"<![CDATA[", _CDATA), (b"<?", _INSTRUCTION)):
            if buf.startswith(opening, at):
                self._state = state
                if state != _CDATA or self._cutting is not None:
                    self._drop(at, at + len(opening))
                return at + len(opening)
            if not final and end - at < len(opening) and opening.startswith(buf[at:end]):
                return None
        if buf.startswith(b"<!", at):
            return at + 2  # not well-formed (a DOCTYPE in the document): expat says where
        if buf.find(b">", at) < 0 or (
            (tag := _START_TAG.match(buf, at)) is not None
            and tag.end() < end
            and buf[tag.end()] in b"\"'"
            and buf.find(buf[tag.end() : tag.end() + 1], tag.end() + 1) < 0
        ):
            # A tag, or a quoted value, that goes on in the next read.
            if final:
                return end  # the file ends inside a tag: expat reports it
            if end - at > MAX_TAG:
                self._refuse_long_tag(at)
            return None
        return at + 1  # not well-formed (a `<` in a value, `< a>`...): expat says where

    def _refuse_long_tag(self, at: int) -> None:
        self._drop(at, at)  # what comes before it is passed on
        raise DumpError(
            self._path,
            f"refused: a tag over {MAX_TAG} bytes after {self.pages} pages "
            "(a MediaWiki export's tags are a few dozen bytes)",
        )

    def _start_tag(self, name: bytes, empty: bool) -> None:
        if self._cutting is not None or self._collected is not None:
            self._end_text()
        self._run = 0
        stack = self._stack
        if b":" in name:
            name = name.rpartition(b":")[2]
        depth = len(stack)
        if depth == 1:
            if name == b"page":
                self.pages += 1
                self._page = _PageMarks()
                if self._on_page is None:
                    self._marks[self.pages] = self._page
        elif depth <= 3 and self._page is not None and stack[1] == b"page":
            if depth == 2:
                if name == b"revision":
                    self._page.revisions += 1
                elif name == b"title" or name == b"ns":
                    self._collected = bytearray()
            elif name == b"id" and stack[2] == b"revision":
                self._collected = bytearray()
        stack.append(name)
        if empty:
            self._end_tag()

    def _end_tag(self) -> None:
        if self._cutting is not None or self._collected is not None:
            self._end_text()
        self._run = 0
        name = self._stack.pop() if self._stack else b""
        if name == b"page" and len(self._stack) == 1 and self._page is not None:
            if self._on_page is not None:
                self._on_page(self._page)
            self._page = None

    def _text(self, buf: bytearray, start: int, stop: int, cdata: bool) -> None:
        """Pass on the text between `start` and `stop`, up to the limit of the element's text."""
        size = stop - start
        if size <= 0:
            return
        if self._cutting is not None:
            self._run += size
            self._drop(start, stop)
            return
        room = self._limit - self._run
        self._run += size
        if size > room:
            cut = _cut_point(buf, start, start + room, references=not cdata)
            self._cutting = (self._page, self._revision_number(), self._element())
            self._drop(cut, cut)
            if cdata:
                self._emit(b"]]>")  # closes the section the dropped text is in
            self._drop(cut, stop)
            stop = cut
        if self._collected is not None:  # kept escaped, as text outside a CDATA section is
            text = buf[start:stop]
            self._collected += (
                text.replace(b"&", b"&amp;").replace(b"<", b"&lt;") if cdata else text
            )

    def _end_text(self) -> None:
        """At a tag: the text before it is whole; note it where it is kept."""
        if self._cutting is not None:
            page, revision, element = self._cutting
            if page is not None:
                page.cuts[revision] = (element, self._run)
            self._cutting = None
        if self._collected is not None and self._page is not None:
            self._keep_collected(_xml_text(bytes(self._collected)))
        self._collected = None

    def _keep_collected(self, text: str) -> None:
        page, element = self._page, self._stack[-1] if self._stack else b""
        assert page is not None
        if element == b"title":
            # mwxml writes "_" as " ", so "A_B" and "A B" are one key
            title = text.replace("_", " ").encode("utf-8", "surrogatepass")
            page.title_key = hashlib.blake2b(title, digest_size=16).digest()
        elif element in (b"ns", b"id"):
            try:
                number = int(text)
            except ValueError:
                return  # mwxml refuses it: the second pass stops there
            if element == b"ns":
                page.namespace = number
            else:
                page.latest_id = max(page.latest_id, number)

    def _revision_number(self) -> int:
        inside = (
            len(self._stack) >= 3 and self._stack[1] == b"page" and self._stack[2] == b"revision"
        )
        return self._page.revisions if inside and self._page is not None else 0

    def _element(self) -> str:
        return self._stack[-1].decode("utf-8", "replace") if self._stack else ""

    # --- the prolog

    def _read_prolog(self) -> tuple[bytes, int]:
        data = b""
        while True:  # at most MAX_PROLOG / READ_CHUNK + 1 reads
            chunk = self._raw.read(READ_CHUNK)
            data += chunk
            try:
                end = _prolog_end(data, at_eof=not chunk)
            except ValueError as error:
                raise DumpError(self._path, f"refused: {error}") from None
            if end is not None and end <= MAX_PROLOG:
                return data, end
            if end is not None or len(data) > MAX_PROLOG:
                raise DumpError(
                    self._path,
                    f"refused: no root element in the first {MAX_PROLOG} bytes "
                    "(a MediaWiki export starts with <mediawiki>)",
                )


def _cut_point(buf: bytearray, start: int, at: int, references: bool) -> int:
    """The last offset at or before `at` (where `buf[at]` exists) where a text can be cut: not
    inside a character or entity reference, nor inside a UTF-8 character."""
    if references:
        amp = buf.rfind(b"&", max(start, at - MAX_REFERENCE), at)
        if amp >= 0 and buf.find(b";", amp, at) < 0:
            at = amp
    while at > start and buf[at] & 0xC0 == 0x80:
        at -= 1
    return at


def _safe_end(buf: bytearray, start: int, end: int, references: bool) -> int:
    """How much of a text running to the end of the buffer can be passed on now: not a reference
    or a UTF-8 character the read cut, so that a later cut can always be made where it falls."""
    if references:
        amp = buf.rfind(b"&", max(start, end - MAX_REFERENCE), end)
        if amp >= 0 and buf.find(b";", amp, end) < 0:
            end = amp
    back = end
    while back > start and end - back < 3 and buf[back - 1] & 0xC0 == 0x80:
        back -= 1
    if back > start and buf[back - 1] >= 0xC0:
        return back - 1
    return end


_REFERENCE = re.compile(r"&(?:#([0-9]+)|#x([0-9A-Fa-f]+)|(lt|gt|amp|quot|apos));")
_PREDEFINED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}


def _xml_text(raw: bytes) -> str:
    """A text as expat reads it: line ends normalized, then references replaced."""
    text = raw.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")

    def replace(match: re.Match[str]) -> str:
        decimal, hexadecimal, name = match.groups()
        if name:
            return _PREDEFINED[name]
        code = int(decimal) if decimal else int(hexadecimal, 16)
        return chr(code) if code < 0x110000 else match.group()

    return _REFERENCE.sub(replace, text)


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
