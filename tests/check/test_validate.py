"""Validate: error checks keep rows aside, warning checks record and load, the good rows load."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from flows.check.validate import combine_batches, validate_batch
from flows.records import RunInfo
from tests.conftest import ARTICLES, RUN, SAMPLE, normalize_file, validate_files


def test_sample_validates_clean():
    frames = validate_files(SAMPLE).frames
    assert len(frames["polls"]) == 9
    assert len(frames["poll_results"]) == 27
    assert len(frames["events"]) == 6
    assert frames["rejected_rows"].empty
    assert frames["quality_warnings"].empty


@pytest.fixture(scope="module")
def finland_frames():
    return validate_files(ARTICLES / "finland_nato_relations.txt").frames


@pytest.mark.parametrize(
    ("line", "check_name", "reason_part"),
    [
        (24, "shares_sum_within_rounding", "answers_total=110, answers_rounding=1.5"),
        (25, "not_after_run_date", "fieldwork_start=2031-03-01"),
        (29, "duplicate_poll", "duplicate_of=finland_nato_relations.txt#1.1"),
    ],
)
def test_error_checks_reject_the_row(finland_frames, line, check_name, reason_part):
    rejected = finland_frames["rejected_rows"].set_index("source_line")
    assert rejected.loc[line, "check_name"] == check_name
    assert reason_part in rejected.loc[line, "reason"]
    assert line not in set(finland_frames["polls"]["source_line"])


@pytest.mark.parametrize(
    ("line", "check_name", "detail_part"),
    [
        (26, "shares_sum_below_99", "answers_total=90"),
        (27, "lead_mismatch", "lead=25, substantive_gap=20"),
        (28, "sample_size_missing", "sample_size missing"),
    ],
)
def test_warning_checks_load_the_row_and_record_the_check(
    finland_frames, line, check_name, detail_part
):
    warnings = finland_frames["quality_warnings"].set_index("source_line")
    assert warnings.loc[line, "check_name"] == check_name
    assert detail_part in warnings.loc[line, "detail"]
    assert line in set(finland_frames["polls"]["source_line"])


def test_rejected_polls_leave_no_results_or_cells_behind(finland_frames):
    loaded = set(finland_frames["polls"]["poll_id"])
    assert set(finland_frames["poll_results"]["poll_id"]) <= loaded
    poll_cells = finland_frames["source_cells"]
    poll_cells = poll_cells[poll_cells["field"] != "description"]
    poll_cells = poll_cells[~poll_cells["record_id"].isin(finland_frames["events"]["event_id"])]
    assert set(poll_cells["record_id"]) <= loaded


def test_a_tie_is_a_gap_of_zero_even_when_neutral_is_higher(finland_frames):
    polls = finland_frames["polls"].set_index("source_line")
    assert polls.loc[17, "lead"] == 0
    assert polls.loc[17, "substantive_gap"] == 0
    assert 17 not in set(finland_frames["quality_warnings"]["source_line"])


def test_the_run_date_decides_what_is_in_the_future():
    early = RunInfo("early", datetime(2023, 6, 1), date(2023, 6, 1))
    frames = validate_batch([normalize_file(SAMPLE)], early).frames
    rejected = frames["rejected_rows"]
    assert set(rejected["check_name"]) == {"not_after_run_date"}
    # February 2024 .. August 2023 start after the run date; June 2023 started on it.
    assert sorted(rejected["source_line"]) == [34, 35, 36]
    assert len(frames["polls"]) == 6


def test_the_same_poll_in_two_articles_is_not_a_duplicate(tmp_path):
    copy = tmp_path / "copy_of_sample.txt"
    copy.write_text(SAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    frames = validate_batch([normalize_file(SAMPLE), normalize_file(copy)], RUN).frames
    assert len(frames["polls"]) == 18
    assert frames["rejected_rows"].empty


def test_batches_validated_apart_combine_into_what_one_batch_gives():
    # The flow validates each batch in its own worker, then combines them.
    finland = ARTICLES / "finland_nato_relations.txt"
    together = validate_files(SAMPLE, finland)
    combined = combine_batches([validate_files(SAMPLE), validate_files(finland)])
    assert combined.accounting == together.accounting
    assert set(combined.frames) == set(together.frames)
    for name, frame in together.frames.items():
        pd.testing.assert_frame_equal(
            combined.frames[name].reset_index(drop=True), frame.reset_index(drop=True), obj=name
        )
    assert len(combined.frames["polls"]) > 9 and len(combined.frames["rejected_rows"]) > 0


@pytest.mark.parametrize(
    ("shares", "loads"),
    [
        (("34%", "33%", "34%"), True),  # 101: three whole numbers may round up to 101.5
        (("34%", "34%", "33.5%"), False),  # 101.5: beyond 100 + 0.5 + 0.5 + 0.05
        (("34%", "33%", "33.5%"), True),  # 100.5: within 101.05
        (("35%", "34%", "33%"), False),  # 102: beyond any rounding of three whole numbers
        (("33.4%", "33.3%", "33.4%"), True),  # 100.1: one decimal each allows 100.15
        (("33.5%", "33.4%", "33.4%"), False),  # 100.3: beyond 100.15
    ],
)
def test_the_sum_check_allows_exactly_what_rounding_allows(shares, loads):
    text = (
        "= Sums =\n| Date | Pollster | Sample size | Yes | No | Undecided |\n| 5 March 2023 | Ipsos | 1,000 | "
        + " | ".join(shares)
        + " |\n"
    )
    from flows.read.files import parse_article_text
    from flows.shape.records import normalize_article

    frames = validate_batch([normalize_article(parse_article_text(text, "sums.txt"))], RUN).frames
    assert len(frames["polls"]) == int(loads)
    assert set(frames["rejected_rows"]["check_name"]) == (
        set() if loads else {"shares_sum_within_rounding"}
    )
    assert frames["quality_warnings"].empty  # above 100 within rounding is no finding at all
