"""MediaWiki XML dumps, streamed page by page.

`iter_dump` streams a `.xml` or `.xml.bz2` export through mwxml, keeping the latest revision of
each page and skipping redirects, other namespaces and pages without a table, as `SourceArticle`s.

Refuses:
- XML entity expansion. expat (through mwxml's `iterparse`) expands internal entities: with
  expat 2.5.0, an entity nested 5 deep grows a 1 kB dump into 300 kB of text, and a "billion
  laughs" dump is stopped by expat's amplification limit only after about 50 MB and 2 s. A dump
  never has a DTD, so the prolog is read before the parser sees a byte, and a DOCTYPE (or any
  `<!` declaration), a root other than <mediawiki>, an encoding other than UTF-8, or a prolog
  over 64 KiB is refused with a `DumpError`.
- Loading a whole dump: it is read in chunks of at most 64 KiB and one page at a time.
"""

from __future__ import annotations

import bz2
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import ParseError

import mwxml
from mwxml.errors import MalformedXML

from flows.read.sources import (
    SourceArticle,
    detect_text_format,
    make_source_article,
    might_hold_table,
)

_REDIRECT_TEXT = re.compile(r"\A\s*#redirect\s*:?\s*\[\[", re.IGNORECASE)


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
