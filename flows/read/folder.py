"""What a raw folder holds, and the one stream of its articles: files first, then dump pages.

Files, the pages of MediaWiki dumps, and the pages `wikipoll fetch` saved (files with a sidecar)
all come out of `iter_sources` as one stream of items, a file's path (read, under the time budget,
by the worker that transforms it) or a dump page's `SourceArticle`, so `wikipoll run` and
`wikipoll validate` put every source through the same batches, budgets, checks and accounting.
A folder holding only dumps is as good an input as one holding files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from flows.read.dumps import DumpStats, find_dump_files, iter_dump
from flows.read.files import find_article_files
from flows.read.sources import SourceArticle

# One article of the stream: a file to read, or a page already read from a dump.
SourceItem = Path | SourceArticle


@dataclass(frozen=True)
class RawFolder:
    root: Path
    files: list[Path]  # article files, in a stable order
    dumps: list[Path]  # MediaWiki XML dumps (.xml, .xml.bz2), streamed page by page

    def is_empty(self) -> bool:
        return not self.files and not self.dumps


class NoSuchFolder(FileNotFoundError):
    """The raw folder does not exist; the message names it."""


def find_sources(raw_dir: Path) -> RawFolder:
    """The article files and dumps under `raw_dir`, nested folders included."""
    if not raw_dir.is_dir():
        raise NoSuchFolder(f"{raw_dir}: no such folder of articles")
    return RawFolder(raw_dir, find_article_files(raw_dir), find_dump_files(raw_dir))


def iter_sources(
    folder: RawFolder,
    on_dump: Callable[[Path, DumpStats], None] | None = None,
) -> Iterator[SourceItem]:
    """Every article of the folder, files first, then each dump's pages as they stream;
    `on_dump` is told each dump's counts once it has been read."""
    yield from folder.files
    for dump in folder.dumps:
        stats = DumpStats()
        yield from iter_dump(dump, stats=stats)
        if on_dump is not None:
            on_dump(dump, stats)


def source_size(item: SourceItem) -> int:
    """An item's size in bytes: its file's, or its text's; 0 for a file that is gone (the
    worker reports it)."""
    if isinstance(item, SourceArticle):
        return len(item.text)
    try:
        return item.stat().st_size
    except OSError:
        return 0
