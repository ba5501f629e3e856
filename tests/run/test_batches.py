"""Which articles a run reads, and in which batches."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from flows.run.batches import MAX_BATCH_ARTICLES, plan_batches, split_unchanged, stream_batches


def stored_as(path: Path) -> tuple[int, int, str]:
    """What the warehouse records of a loaded file: its size, mtime and content hash."""
    status = path.stat()
    return status.st_size, status.st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_file_rewritten_with_the_same_size_and_mtime_is_read_again(tmp_path: Path):
    raw = tmp_path / "raw"
    raw.mkdir()
    article = raw / "a.txt"
    article.write_text("| Date | Pollster | Yes | No |\n| March 2024 | Ipsos | 40% | 60% |\n")
    stored = {"a.txt": stored_as(article)}
    assert split_unchanged([article], raw, stored, full_refresh=False) == ([], ["a.txt"])
    # The same size and modification time, another text: the numbers changed, so it is read.
    before = article.stat()
    article.write_text("| Date | Pollster | Yes | No |\n| March 2024 | Ipsos | 45% | 55% |\n")
    os.utime(article, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert article.stat().st_size == before.st_size
    assert split_unchanged([article], raw, stored, full_refresh=False) == ([article], [])


def test_a_file_only_touched_is_unchanged_and_a_gone_one_is_read_to_be_reported(tmp_path: Path):
    raw = tmp_path / "raw"
    raw.mkdir()
    article = raw / "a.txt"
    article.write_text("| Date | Pollster | Yes |\n| March 2024 | Ipsos | 40% |\n")
    stored = {"a.txt": stored_as(article), "gone.txt": (10, 0, "0" * 64)}
    os.utime(article, ns=(0, 10**18))  # touched: another mtime, the same bytes
    gone = raw / "gone.txt"
    assert split_unchanged([article, gone], raw, stored, full_refresh=False) == ([gone], ["a.txt"])
    assert split_unchanged([article], raw, stored, full_refresh=True) == ([article], [])


def test_batches_end_before_their_target_or_their_article_count():
    items = [(f"item {n}", 100) for n in range(10)]
    assert [len(batch.items) for batch in stream_batches(items, 350)] == [3, 3, 3, 1]
    many = [(f"item {n}", 1) for n in range(MAX_BATCH_ARTICLES + 1)]
    assert [len(batch.items) for batch in stream_batches(many, 10**9)] == [MAX_BATCH_ARTICLES, 1]
    assert [batch.bytes for batch in stream_batches([("big", 1000), ("small", 1)], 10)] == [1000, 1]


def test_planned_batches_keep_file_order(tmp_path: Path):
    paths = []
    for n in range(6):
        path = tmp_path / f"{n}.txt"
        path.write_bytes(b"x" * 300_000)
        paths.append(path)
    batches = plan_batches(paths, workers=1)
    assert [item for batch in batches for item in batch.items] == paths
