"""One stream of every source: files, then the pages of each dump."""

from __future__ import annotations

from pathlib import Path

from tests.builders import FLATTENED, SAMPLE_PAGES, SERBIA, dump_xml, write_dump

# --- one stream of every source ---------------------------------------------------------------


def test_iter_sources_gives_files_then_the_pages_of_each_dump(tmp_path: Path):
    from flows.read.folder import find_sources, iter_sources

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.txt").write_text(FLATTENED, encoding="utf-8")
    write_dump(raw / "enwiki.xml.bz2", dump_xml(SAMPLE_PAGES))
    folder = find_sources(raw)
    seen: list[tuple[str, int]] = []
    items = list(
        iter_sources(
            folder, on_dump=lambda dump, stats: seen.append((dump.name, stats.articles_yielded))
        )
    )
    assert items[0] == raw / "a.txt"
    assert [item.source_path for item in items[1:]] == [
        f"dump:enwiki.xml.bz2#{SERBIA}", "dump:enwiki.xml.bz2#Serbia NATO polls (flattened)",
    ]  # fmt: skip
    assert seen == [("enwiki.xml.bz2", 2)]


def test_validate_reads_a_folder_holding_only_a_dump(tmp_path: Path):
    from typer.testing import CliRunner

    from flows.cli import app

    raw = tmp_path / "raw"
    raw.mkdir()
    write_dump(raw / "enwiki.xml", dump_xml(SAMPLE_PAGES))
    result = CliRunner().invoke(app, ["validate", "--raw", str(raw), "--run-date", "2026-11-28"])
    assert result.exit_code == 0, result.output
    # Both pages hold the sample article, one as wikitext, one flattened.
    assert "in 0 article files and 2 dump pages (18 polls, 12 events would load)" in result.output
    empty = tmp_path / "empty"
    empty.mkdir()
    refused = CliRunner().invoke(app, ["validate", "--raw", str(empty)])
    assert refused.exit_code == 2
    assert (
        "no article files (.txt, .wiki, .wikitext) or dumps (.xml, .xml.bz2) found"
        in refused.output
    )
