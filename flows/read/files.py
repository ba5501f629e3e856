"""Read an article file from the raw folder: refusals, its text and hash, and which form it is in.

Two input forms land in the same `Article`: the flattened wiki-style text (`flows.read.flattened`)
and real MediaWiki wikitext (`flows.read.wikitext`); `parse_article_text` sends a text to its
reader. Refuses, with an `ArticleError` naming the file: a link out of the raw folder, a file over
the size limit, an empty file, a binary file (NUL bytes early on), a file that is not UTF-8.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from flows.article import Article, ArticleFormat
from flows.read.errors import ArticleError
from flows.read.flattened import parse_flattened_article
from flows.read.wikitext import parse_wikitext_article
from flows.settings import DEFAULTS

ARTICLE_SUFFIXES = (".txt", ".wiki", ".wikitext")


WIKITEXT_SUFFIXES = (".wiki", ".wikitext")


# A NUL this early means a binary file (git's test); later ones are replaced like other controls.
BINARY_SNIFF_BYTES = 8000


_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def source_path_of(path: Path, raw_dir: Path) -> str:
    """The article's key: its path under raw/, as text that any database can store (a file name
    that is not UTF-8 keeps its odd bytes as \\x escapes)."""
    relative = path.relative_to(raw_dir).as_posix()
    return relative.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def find_article_files(raw_dir: Path) -> list[Path]:
    """Article files under `raw_dir`, nested folders included, in a stable order."""
    return sorted(
        path
        for path in raw_dir.rglob("*")
        if path.is_file()
        and path.suffix.lower() in ARTICLE_SUFFIXES
        and not any(part.startswith(".") for part in path.relative_to(raw_dir).parts)
    )


def read_article_text(
    path: Path,
    source_path: str,
    max_bytes: int = DEFAULTS.max_file_bytes,
    raw_dir: Path | None = None,
) -> tuple[str, str]:
    """The file's text and the SHA-256 of its bytes; refuses what is not a readable article:
    a link out of the raw folder, a file over `max_bytes`, an empty, binary or non-UTF-8 file."""
    if raw_dir is not None and path.is_symlink():
        target = path.resolve()
        if not target.is_relative_to(raw_dir.resolve()):
            raise ArticleError(source_path, f"a symbolic link to {target}, outside the raw folder")
    size = path.stat().st_size
    if size > max_bytes:
        raise ArticleError(
            source_path,
            f"the file is {size / 1024**2:.1f} MB, over the {max_bytes / 1024**2:g} MB limit "
            "(--max-file-mb); no article is this big",
            check_name="file_too_large",
        )
    data = path.read_bytes()
    if not data.strip():
        raise ArticleError(source_path, "the file is empty")
    if b"\x00" in data[:BINARY_SNIFF_BYTES]:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise ArticleError(source_path, "the file holds NUL bytes: binary, not an article", line)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ArticleError(
            source_path,
            f"not UTF-8 text (byte {data[error.start]:#04x} at offset {error.start})",
            line,
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n"), hashlib.sha256(data).hexdigest()


def detect_format(path: Path, text: str) -> ArticleFormat:
    """Wikitext by suffix, or by content: a line opening a `{|` table."""
    if path.suffix.lower() in WIKITEXT_SUFFIXES or re.search(r"^\s*\{\|", text, re.MULTILINE):
        return "wikitext"
    return "flattened"


def parse_article_file(
    path: Path, raw_dir: Path, max_bytes: int = DEFAULTS.max_file_bytes
) -> Article:
    """Read and parse one file of the raw folder."""
    source_path = source_path_of(path, raw_dir)
    text, sha256 = read_article_text(path, source_path, max_bytes, raw_dir)
    text, replaced = replace_control_characters(text)
    article = parse_article_text(text, source_path, sha256, detect_format(path, text))
    article.control_characters_replaced = replaced
    status = path.stat()
    article.file_size, article.file_mtime_ns = status.st_size, status.st_mtime_ns
    return article


def replace_control_characters(text: str) -> tuple[str, int]:
    """NUL and other control characters become U+FFFD, counted: mwparserfromhell's tokenizer
    cuts the text at a NUL, and a value holding one is then rejected with a visible reason."""
    replaced = 0

    def count(_: re.Match[str]) -> str:
        nonlocal replaced
        replaced += 1
        return "\ufffd"

    return _CONTROL_CHARACTERS.sub(count, text), replaced


def parse_article_text(
    text: str, source_path: str, sha256: str = "", article_format: ArticleFormat = "flattened"
) -> Article:
    """Parse an article's text in the given form."""
    sha256 = sha256 or hashlib.sha256(text.encode("utf-8")).hexdigest()
    if article_format == "wikitext":
        return parse_wikitext_article(text, source_path, sha256)
    return parse_flattened_article(text, source_path, sha256)
