"""What a raw folder holds, and the one stream of its articles: files first, then dump pages.

Files, the pages of MediaWiki dumps, and the pages `wikipoll fetch` saved (files with a sidecar)
all come out of `iter_sources` as one stream of items, a file's path (read, under the time budget,
by the worker that transforms it), a dump page's `SourceArticle`, or the `ArticleError` of a dump
page refused while it was read (over the size limit), so `wikipoll run` and `wikipoll validate`
put every source through the same batches, budgets, checks and accounting. A folder holding only
dumps is as good an input as one holding files.

Entries that are not regular files (FIFOs, sockets, device files, broken links) are never opened:
opening a FIFO waits for a writer, forever. `find_sources` names each in `RawFolder.not_regular`,
found with `lstat`/`stat` alone, so a run can report them rather than skip them in silence.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from flows.read.dumps import DUMP_SUFFIXES, DumpError, DumpStats, iter_dump
from flows.read.errors import ArticleError
from flows.read.files import ARTICLE_SUFFIXES, source_path_of
from flows.read.sources import SourceArticle
from flows.settings import DEFAULTS

# One article of the stream: a file to read, a page already read from a dump, or a dump page
# refused while it was read.
SourceItem = Path | SourceArticle | ArticleError


@dataclass(frozen=True)
class NotRegularFile:
    """An entry of the raw folder that is not read: what it is, in words."""

    path: Path
    kind: str  # "a FIFO (named pipe)", "a broken symbolic link (to …)", ...

    def __str__(self) -> str:
        return f"{self.path}: {self.kind}, not a regular file"


@dataclass(frozen=True)
class RawFolder:
    root: Path
    files: list[Path]  # article files, in a stable order
    dumps: list[Path]  # MediaWiki XML dumps (.xml, .xml.bz2), streamed page by page
    # Entries neither a regular file nor a folder, whatever their name, in a stable order.
    not_regular: list[NotRegularFile] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not self.files and not self.dumps


class NoSuchFolder(FileNotFoundError):
    """The raw folder does not exist; the message names it."""


def find_sources(raw_dir: Path) -> RawFolder:
    """The article files and dumps under `raw_dir`, nested folders included, and the entries
    that are not regular files (none of them opened), hidden ones left out; one walk of the
    folder, in a stable order."""
    if not raw_dir.is_dir():
        raise NoSuchFolder(f"{raw_dir}: no such folder of articles")
    folder = RawFolder(raw_dir, [], [])
    for path in sorted(raw_dir.rglob("*")):
        if any(part.startswith(".") for part in path.relative_to(raw_dir).parts):
            continue
        kind = _not_regular_kind(path)
        if kind is not None:
            folder.not_regular.append(NotRegularFile(path, kind))
        elif (source := source_kind(path)) == "article":
            folder.files.append(path)
        elif source == "dump":
            folder.dumps.append(path)
    return folder


def source_kind(path: Path) -> Literal["article", "dump"] | None:
    """What a regular file (or a link to one) is to wikipoll, by its name; None for a folder or
    a file of any other kind."""
    if not path.is_file():
        return None
    if path.name.lower().endswith(DUMP_SUFFIXES):
        return "dump"
    return "article" if path.suffix.lower() in ARTICLE_SUFFIXES else None


_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def _kind(mode: int) -> str | None:
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    return next((kind for test, kind in _KINDS if test(mode)), "a special file")


def _not_regular_kind(path: Path) -> str | None:
    """What the entry is when it is not a regular file or a folder; None when it is one (or
    vanished since the folder was listed)."""
    try:
        own = os.lstat(path)
    except FileNotFoundError:
        return None
    if not stat.S_ISLNK(own.st_mode):
        return _kind(own.st_mode)
    try:
        target = os.stat(path)
    except FileNotFoundError:
        return f"a broken symbolic link (to {os.readlink(path)})"
    except OSError:  # ELOOP: a link to itself, or a cycle of links
        return "a symbolic link that loops"
    kind = _kind(target.st_mode)
    return f"a symbolic link to {kind}" if kind is not None else None


def iter_sources(
    folder: RawFolder,
    on_dump: Callable[[Path, DumpStats], None] | None = None,
    max_page_bytes: int = DEFAULTS.max_file_bytes,
) -> Iterator[SourceItem]:
    """Every article of the folder: first the entries that are not regular files, as their
    `ArticleError`s, then the files, then each dump's pages as they stream (`iter_dump_items`);
    `on_dump` is told each dump's counts once it has been read."""
    yield from not_regular_errors(folder)
    yield from folder.files
    for dump in folder.dumps:
        stats = DumpStats()
        yield from iter_dump_items(dump, folder.root, stats, max_page_bytes)
        if on_dump is not None:
            on_dump(dump, stats)


def not_regular_errors(folder: RawFolder) -> list[ArticleError]:
    """Each entry of the folder that is not a regular file, as a refused source: named and
    counted in the run and by `validate`, never opened."""
    return [
        ArticleError(
            source_path_of(entry.path, folder.root),
            f"{entry.kind}, not a regular file: not opened",
        )
        for entry in folder.not_regular
    ]


def iter_dump_items(
    dump: Path,
    root: Path,
    stats: DumpStats,
    max_page_bytes: int = DEFAULTS.max_file_bytes,
) -> Iterator[SourceArticle | ArticleError]:
    """A dump's pages (a page over `max_page_bytes` as its `ArticleError`), and, when the dump
    cannot be read to its end (cut short, malformed, refused), an `ArticleError` naming the dump
    last: the pages before the break are kept, and the sources after it are read as usual."""
    try:
        yield from iter_dump(dump, stats=stats, max_page_bytes=max_page_bytes)
    except DumpError as error:
        kept = stats.pages_before_error
        reason = error.reason if not kept else f"{error.reason}; the pages before it were read"
        yield ArticleError(source_path_of(dump, root), reason)


def source_size(item: SourceItem) -> int:
    """An item's size in bytes: its file's, or its text's; 0 for a refused page, or for a file
    that is gone (the worker reports it)."""
    if isinstance(item, SourceArticle):
        return len(item.text)
    if isinstance(item, ArticleError):
        return 0
    try:
        return item.stat().st_size
    except OSError:
        return 0
