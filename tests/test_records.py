"""Typed records: a misspelt or forgotten field fails where the record is made."""

from __future__ import annotations

import pytest

from flows.check.validate import _frame
from flows.records import EventRecord, FindingRecord, PollRecord
from schemas.warehouse import Event, Poll, QualityWarning

FINDING = {
    "article_id": "a.txt", "article_title": "A", "source_path": "a.txt", "table_index": 1,
    "row_index": None, "source_line": 3, "poll_id": None, "check_name": "table_not_read",
    "column_name": "", "value": "", "detail": "a table of dates and numbers was not read",
}  # fmt: skip


def test_a_record_has_exactly_its_tables_columns():
    assert tuple(Poll.to_schema().columns) == PollRecord.COLUMNS
    assert tuple(Event.to_schema().columns) == EventRecord.COLUMNS
    record = FindingRecord(**FINDING)
    assert record["check_name"] == "table_not_read" and record.as_dict() == FINDING


def test_a_misspelt_field_fails_where_the_record_is_made():
    misspelt = {**FINDING, "detial": FINDING["detail"]}
    del misspelt["detail"]
    with pytest.raises(TypeError, match="detial"):
        FindingRecord(**misspelt)


def test_a_forgotten_field_fails_where_the_record_is_made():
    forgotten = dict(FINDING)
    del forgotten["poll_id"]
    with pytest.raises(TypeError, match="poll_id"):
        FindingRecord(**forgotten)


def test_a_frame_is_made_of_its_own_records_only():
    frame = _frame([FindingRecord(**FINDING)], QualityWarning)
    assert list(frame.columns) == list(QualityWarning.to_schema().columns)
    with pytest.raises(TypeError, match="Event frames are made of its own records"):
        _frame([FindingRecord(**FINDING)], Event)
