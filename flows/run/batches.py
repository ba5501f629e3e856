"""Which articles a run reads, and in which batches: unchanged files are skipped, the rest split
into batches of about equal bytes, a few per worker.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from flows.read.files import source_path_of
from flows.read.folder import SourceItem, source_size

BATCHES_PER_WORKER = 4  # enough to even out articles of very different sizes


MIN_BATCH_BYTES = 256 * 1024


MAX_BATCH_BYTES = 32 * 1024**2


MAX_BATCH_ARTICLES = 500


DUMP_BATCH_BYTES = 4 * 1024**2


class Batch(NamedTuple):
    items: list[SourceItem]  # files or dump pages, in stream order
    bytes: int  # their size on disk, to start the largest batches first


def plan_batches(paths: list[Path], workers: int) -> list[Batch]:
    """Split the articles into batches of about equal bytes, a few per worker.

    The batch size comes from the corpus: its total size over the number of batches wanted,
    kept between 256 KB and 32 MB and at most 500 articles, so a few large articles or many
    small ones both keep every worker busy without paying a task per article.
    """
    sizes = [source_size(path) for path in paths]
    target = total = sum(sizes)
    if paths:
        target = min(max(total / (workers * BATCHES_PER_WORKER), MIN_BATCH_BYTES), MAX_BATCH_BYTES)
    return list(stream_batches(zip(paths, sizes, strict=True), target))


def stream_batches(items: Iterable[tuple[SourceItem, int]], target_bytes: float) -> Iterator[Batch]:
    """Batches of (item, size) pairs, as they come: each ends before it would pass
    `target_bytes` or `MAX_BATCH_ARTICLES` (an item bigger than the target is a batch alone).
    Files and dump pages are batched by this one rule, whether planned up front or streamed."""
    current: list[SourceItem] = []
    current_bytes = 0
    for item, size in items:
        if current and (current_bytes + size > target_bytes or len(current) >= MAX_BATCH_ARTICLES):
            yield Batch(current, current_bytes)
            current, current_bytes = [], 0
        current.append(item)
        current_bytes += size
    if current:
        yield Batch(current, current_bytes)


def split_unchanged(
    paths: list[Path], raw_dir: Path, stored: dict[str, tuple], full_refresh: bool
) -> tuple[list[Path], list[str]]:
    """The files to transform, and the keys of those unchanged since their last load.

    A file is unchanged when its bytes hash to what the warehouse recorded: size and modification
    time can stay the same while the text changes (a copy with `cp -p`, an edit within the clock's
    resolution), so they only rule out: a file of another size has changed, unread. Hashing costs
    little next to parsing (a no-change re-run of 10,000 articles stays within seconds).
    """
    changed: list[Path] = []
    unchanged: list[str] = []
    for path in paths:
        key = source_path_of(path, raw_dir)
        known = stored.get(key)
        if not full_refresh and known is not None and _same_content(path, known):
            unchanged.append(key)
        else:
            changed.append(path)
    return changed, unchanged


def _same_content(path: Path, known: tuple) -> bool:
    """Whether the file holds what was loaded: (size, mtime, sha256) as stored."""
    size, _, sha256 = known
    try:
        if path.stat().st_size != size:
            return False
        return hashlib.sha256(path.read_bytes()).hexdigest() == sha256
    except OSError:
        return False  # gone or unreadable: the transform reports it
