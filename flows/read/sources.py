"""An article's text with where it came from: a file, a page of a dump, or a page of the API.

Every source gives a `SourceArticle` (the text, its SHA-256, its form, and the page and revision it
came from), so the readers read them alike and the warehouse can say which revision a poll was
taken from. `might_hold_table` is the cheap pre-filter that lets a dump skip pages without a table
before any parse.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from flows.article import ArticleFormat


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


_WIKITEXT_TABLE_LINE = re.compile(r"^[ \t]*\{\|", re.MULTILINE)


# A row of the flattened form, `| a | b |`. A line that only starts with `|` is not enough: every
# infobox parameter line (`| name = value`) does, and would make every such page a "table".
_FLATTENED_ROW = re.compile(r"^[ \t]*\|[^\n]*\|[ \t]*$", re.MULTILINE)


def might_hold_table(text: str) -> bool:
    """The cheap test run before any parsing: a `{|` anywhere, or a `| a | b |` row."""
    return "{|" in text or _FLATTENED_ROW.search(text) is not None


def detect_text_format(text: str) -> ArticleFormat:
    """Wikitext when a line opens a `{|` table; the flattened form when only `| a |` rows do."""
    if _WIKITEXT_TABLE_LINE.search(text) or not _FLATTENED_ROW.search(text):
        return "wikitext"
    return "flattened"
