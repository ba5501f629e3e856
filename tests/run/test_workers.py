"""Transforming and validating a batch in a worker process: the same rows as in place, an article
over its budget stopped without losing the articles its worker had finished."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pandas as pd
import pytest

from flows.check.validate import validate_batch
from flows.read.files import find_article_files
from flows.run.workers import transform_files, transform_isolated
from tests.conftest import ARTICLES, RUN, SAMPLE

BROKEN = "{|\n| x\n|-\n| " + "{{a|b " * 170_000 + "\n|}\n"  # hours for mwparserfromhell


class RowsSeen:
    def __init__(self) -> None:
        self.rows: list[int] = []

    def advance(self, rows: int) -> None:
        self.rows.append(rows)


def assert_same_batch(left, right) -> None:
    assert left.accounting == right.accounting
    assert [e.source_path for e in left.refused_files] == [
        e.source_path for e in right.refused_files
    ]
    for name, frame in right.frames.items():
        pd.testing.assert_frame_equal(
            left.frames[name].reset_index(drop=True), frame.reset_index(drop=True), obj=name
        )


def test_a_batch_read_in_a_worker_equals_one_read_in_place(tmp_path: Path):
    raw = tmp_path / "raw"
    shutil.copytree(ARTICLES, raw)
    shutil.copy(SAMPLE, raw)
    (raw / "empty.txt").write_bytes(b"")  # refused: reported the same way both times
    paths = find_article_files(raw)
    seen = RowsSeen()
    in_worker = transform_isolated(paths, raw, RUN, progress=seen)
    transformed = transform_files(paths, raw)
    assert_same_batch(in_worker, validate_batch(transformed.articles, RUN, transformed.refused))
    assert sum(seen.rows) == in_worker.accounting.rows_in > 0
    assert [e.check_name for e in in_worker.refused_files] == ["unreadable_file"]


def test_an_article_over_budget_is_stopped_and_its_workers_finished_articles_are_kept(
    tmp_path: Path,
):
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in ("a.txt", "c.txt"):
        shutil.copy(SAMPLE, raw / name)
    (raw / "b.wiki").write_text(BROKEN, encoding="utf-8")
    seen = RowsSeen()
    # a.txt is finished and held by the worker that b.wiki then stalls and that is killed.
    batch = transform_isolated(find_article_files(raw), raw, RUN, budget_seconds=2.0, progress=seen)
    (refused,) = batch.refused_files
    assert (refused.source_path, refused.check_name) == ("b.wiki", "parse_timeout")
    assert sorted(set(batch.frames["polls"]["article_id"])) == ["a.txt", "c.txt"]
    assert len(batch.frames["polls"]) == 18 and batch.accounting.rows_in == 30
    assert batch.frames["rejected_rows"]["source_path"].tolist() == ["b.wiki"]
    assert seen.rows == [15, 0, 15]  # a.txt counted once, though it was read twice


def test_a_batch_whose_only_article_is_stopped_is_still_reported(tmp_path: Path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "b.wiki").write_text(BROKEN, encoding="utf-8")
    batch = transform_isolated([raw / "b.wiki"], raw, RUN, budget_seconds=1.0)
    assert batch.frames["rejected_rows"]["check_name"].tolist() == ["parse_timeout"]
    assert batch.frames["polls"].empty and batch.accounting.rows_in == 0


def test_a_failure_while_validating_in_the_worker_fails_the_batch_with_its_cause(tmp_path: Path):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(SAMPLE, raw)
    broken_run = dataclasses.replace(RUN, started_at="not a time")
    with pytest.raises(ValueError) as raised:
        transform_isolated(find_article_files(raw), raw, broken_run)
    assert any("in the worker process" in note for note in raised.value.__notes__)


# --- budgets and memory ------------------------------------------------------------------------


def test_running_out_of_memory_is_not_reported_as_a_bug(monkeypatch, tmp_path):
    # In a worker, a MemoryError is reported as parse_memory; it must reach the worker's loop,
    # not be caught as a crash of wikipoll (processing_error) on the way.
    import flows.run.workers as workers

    def exhausted(*args, **kwargs):
        raise MemoryError

    article = tmp_path / "a.txt"
    article.write_text("| Date | Pollster | Yes |\n| March 2024 | Ipsos | 40% |\n")
    monkeypatch.setattr(workers, "parse_article_file", exhausted)
    with pytest.raises(MemoryError):
        workers.transform_item(article, tmp_path)


def test_the_budget_grows_with_the_article_and_says_how():
    from flows.run.workers import ArticleBudget

    small, large = ArticleBudget(5.0, 10_000), ArticleBudget(5.0, 2 * 1024**2)
    assert 5.0 < small.seconds < 5.1 and large.seconds == pytest.approx(15.0)
    assert str(large) == "budget of 15.0 s (--parse-budget 5 s, plus 10.0 s for its 2.0 MB)"
    assert ArticleBudget(0, 10**6).seconds == 0  # no budget: stopped at once, as before


def test_a_page_refused_while_it_was_read_passes_through_as_refused(tmp_path):
    from flows.read.errors import ArticleError

    refused = ArticleError(
        "dump:enwiki.xml#Big page", "the page is 200 MB", check_name="file_too_large"
    )
    batch = transform_isolated([refused], tmp_path, RUN)
    assert [error.source_path for error in batch.refused_files] == ["dump:enwiki.xml#Big page"]
    assert set(batch.frames["rejected_rows"]["check_name"]) == {"file_too_large"}
