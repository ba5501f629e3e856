"""Shared fixtures: the sample article, the hand-written test articles, a run on a fixed day."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import pytest

from flows.check.validate import ValidatedBatch, validate_batch
from flows.read.files import parse_article_file
from flows.records import RunInfo
from flows.shape.records import NormalizedArticle, normalize_article

REPO = Path(__file__).resolve().parent.parent
RAW = REPO / "raw"
SAMPLE = RAW / "serbia_nato_relations.txt"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
ARTICLES = FIXTURES / "articles"
CORPUS = FIXTURES / "corpus"

# Every test checks dates against the same day, so "after the run date" never depends on today.
RUN = RunInfo(
    run_id="test-run", started_at=datetime(2026, 11, 28, 12, 0), run_date=date(2026, 11, 28)
)


def normalize_file(path: Path) -> NormalizedArticle:
    return normalize_article(parse_article_file(path, path.parent))


def validate_files(*paths: Path) -> ValidatedBatch:
    return validate_batch([normalize_file(path) for path in paths], RUN)


@pytest.fixture
def raw_dir(tmp_path: Path) -> Path:
    """A raw folder holding a copy of the sample article."""
    folder = tmp_path / "raw"
    folder.mkdir()
    shutil.copy(SAMPLE, folder / SAMPLE.name)
    return folder
