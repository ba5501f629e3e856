"""Real wikitext nobody on this project wrote: the corpus, end to end through the pipeline."""

from __future__ import annotations

import re
import shutil
from datetime import date, timedelta

import pytest
from typer.testing import CliRunner

from flows.check.validate import validate_batch
from flows.cli import app
from flows.read.files import find_article_files, parse_article_file, parse_article_text
from flows.run.workers import transform_files
from flows.shape.dates import MONTH_NAMES
from flows.shape.records import normalize_article
from tests.builders import UK_FILES, wrapped_uk
from tests.conftest import CORPUS, FIXTURES, RUN, SAMPLE, normalize_file


def expected_uk_row(raw_text: str) -> dict:
    """An independent reading of one UK row's source, straight from the corpus README's rules."""
    lines = [line[1:] for line in raw_text.splitlines() if line.startswith("|")]
    first, last, month, year = re.match(
        r"\{\{opdrts\|(\d*)\|(\d+)\|(\w+)\|(\d+)", lines[0]
    ).groups()
    month_number = [name[:3] for name in MONTH_NAMES].index(month.lower()[:3]) + 1
    end = date(int(year), month_number, int(last))
    if not first:
        start = end
    elif int(first) <= end.day:
        start = end.replace(day=int(first))
    else:  # the range starts in the month before, and in January the year before
        before = end.replace(day=1) - timedelta(days=1)
        start = before.replace(day=int(first))
    shares = [float(re.findall(r"(\d+)%", cell)[-1]) for cell in lines[4:7]]
    lead_cell = lines[7].split("|")[-1].strip()
    client = re.sub(r"''", "", lines[2]).strip()
    return {
        "fieldwork_start": start, "fieldwork_end": end,
        "client": None if client == "N/A" else client,
        "sample_size": int(lines[3].replace(",", "")),
        "support": shares[0], "oppose": shares[1], "neutral": shares[2],
        "lead": 0.0 if lead_cell == "Tie" else float(lead_cell.rstrip("%")),
    }  # fmt: skip


@pytest.mark.parametrize(
    ("path", "rows"),
    list(zip(UK_FILES, [13, 24, 35], strict=True)),
    ids=lambda p: getattr(p, "stem", p),
)
def test_every_uk_poll_is_read_exactly(path, rows):
    normalized = normalize_article(parse_article_text(wrapped_uk(path), path.name, "", "wikitext"))
    assert len(normalized.polls) == rows
    assert normalized.rejected == [] and normalized.events == [] and normalized.skipped == []
    for poll in normalized.polls:
        expected = expected_uk_row(poll["raw_text"])
        assert {key: poll[key] for key in expected} == expected, poll["raw_text"]
        assert poll["date_precision"] == "day"
        assert poll["repair"] is None


def test_uk_values_that_need_care():
    polls = [
        poll
        for path in UK_FILES
        for poll in normalize_article(
            parse_article_text(wrapped_uk(path), path.name, "", "wikitext")
        ).polls
    ]
    by_pollster = {(p["pollster"], p["fieldwork_start"]): p for p in polls}
    opinium = by_pollster[("Opinium", date(2021, 12, 23))]  # [url Opinium] and ''The Observer''
    assert (opinium["client"], opinium["sample_size"], opinium["oppose"]) == (
        "The Observer",
        1904,
        42.0,
    )
    assert sum(p["lead"] == 0.0 for p in polls) == 3  # the three 'Tie' leads of 2021
    assert {p["client"] for p in polls if "N/A" in p["raw_text"]} == {None}


def test_uk_real_slips_are_decided_by_the_check_severities():
    batch = validate_batch(
        [
            normalize_article(parse_article_text(wrapped_uk(p), p.name, "", "wikitext"))
            for p in UK_FILES
        ],
        RUN,
    )
    frames = batch.frames
    # 42% + 40% + 20% = 102: no rounding of three whole numbers gets there, so it is an error.
    (slip,) = frames["rejected_rows"].to_dict("records")
    assert (slip["source_path"], slip["source_line"], slip["check_name"]) == (
        "potential-re-accession-uk-eu__2020.wiki",
        112,
        "shares_sum_within_rounding",
    )
    # 97 and 98 are short of 100 in a table that lists every answer: a warning, the poll loads.
    short = frames["quality_warnings"][
        frames["quality_warnings"]["check_name"] == "shares_sum_below_99"
    ]
    assert len(short) == 2
    assert len(frames["polls"]) == 13 + 24 + 35 - 1


def test_the_sample_written_as_wikitext_loads_the_same_polls_and_events():
    flattened = normalize_file(SAMPLE)
    wikitext = parse_article_file(FIXTURES / "serbia_nato_relations.wiki", FIXTURES)
    assert wikitext.format == "wikitext"
    from_wikitext = normalize_article(wikitext)
    fields = ["fieldwork_start", "fieldwork_end", "date_precision", "pollster", "client", "sample_size",
              "support", "oppose", "neutral", "lead"]  # fmt: skip
    assert [[p[f] for f in fields] for p in from_wikitext.polls] == [
        [p[f] for f in fields] for p in flattened.polls
    ]
    assert len(from_wikitext.polls) == 9
    event_fields = ["event_date", "date_precision", "description", "source_kind"]
    assert [[e[f] for f in event_fields] for e in from_wikitext.events] == [
        [e[f] for f in event_fields] for e in flattened.events
    ]
    assert len(from_wikitext.events) == 6
    assert from_wikitext.rejected == []
    # The wikitext NSPM rows have their empty Client cell, so nothing needed realigning.
    assert all(p["repair"] is None for p in from_wikitext.polls)
    assert "NSPM survey of February 2024." in from_wikitext.polls[0]["notes"]


def test_help_table_examples_are_not_tables_of_the_page():
    normalized = normalize_file(CORPUS / "help-table.wiki")
    assert normalized.polls == [] and normalized.rejected == []
    headers = " ".join(t["header"] for t in normalized.tables)
    assert "{|" not in headers
    # The rendered examples are tables of the page like any other: the two "Episode | Date |
    # Summary" examples (a date and a column of prose) read as timelines, nothing else does.
    timelines = [t for t in normalized.tables if t["kind"] == "timeline"]
    assert [t["header"] for t in timelines] == ["Episode | Date | Summary"] * 2
    assert {t["kind"] for t in normalized.tables} == {"other", "timeline"}
    assert [e["event_date"] for e in normalized.events] == [
        date(2010, 1, 1), date(2010, 1, 8), date(2010, 1, 15)] * 2  # fmt: skip


def test_template_rows_are_skipped_with_the_reason():
    mythbusters = normalize_file(CORPUS / "list-of-mythbusters-special-episodes.wiki")
    assert len(mythbusters.tables) == 8 and mythbusters.rejected == []
    text = """{| class="wikitable"
! Date !! Pollster !! Yes !! No
|-
| 3 March 2023 || Ipsos || 55% || 45%
|-
{{Opinion poll row|date=2023-02-01|pollster=YouGov|yes=50|no=50}}
|}"""
    normalized = normalize_article(parse_article_text(text, "rows.wiki", "", "wikitext"))
    assert len(normalized.polls) == 1
    (skipped,) = normalized.skipped
    assert (
        skipped["reason"] == "row written whole by the template {{Opinion poll row}}, not expanded"
    )


def test_every_corpus_file_runs_through_the_pipeline(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(CORPUS, raw, ignore=shutil.ignore_patterns("*.md"))
    for path in UK_FILES:
        (raw / path.name).write_text(wrapped_uk(path), encoding="utf-8")
    transformed = transform_files(find_article_files(raw), raw)
    assert transformed.refused == []
    assert len(transformed.articles) == 7
    batch = validate_batch(transformed.articles, RUN)
    assert len(batch.frames["polls"]) == 71
    assert set(batch.frames["articles"]["format"]) == {"wikitext"}
    result = CliRunner().invoke(
        app, ["validate", "--raw", str(raw), "--format", "json", "--run-date", "2026-11-28"]
    )
    assert result.exit_code == 1  # the UK slip of 102
    assert '"line": 112' in result.stdout
