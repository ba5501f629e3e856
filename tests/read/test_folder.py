"""One stream of every source: files, then the pages of each dump."""

from __future__ import annotations

import os
import shutil
import socket
import threading
from pathlib import Path

from flows.read.dumps import DumpStats
from flows.read.errors import ArticleError
from tests.builders import (
    FLATTENED,
    SAMPLE_PAGES,
    SERBIA,
    dump_xml,
    write_big_page_dump,
    write_dump,
)
from tests.conftest import SAMPLE

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


def test_validate_names_a_fifo_a_cut_dump_and_a_title_held_twice(tmp_path: Path):
    import bz2

    from typer.testing import CliRunner

    from flows.cli import app
    from tests.builders import WIKITEXT, page_xml

    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(SAMPLE, raw / SAMPLE.name)
    os.mkfifo(raw / "pipe.txt")
    cut = bz2.compress(dump_xml(SAMPLE_PAGES).encode(), compresslevel=1)
    (raw / "cut.xml.bz2").write_bytes(cut[: len(cut) // 2])
    twice = [
        page_xml("Held twice", 0, 1, [(7, "2024-01-01T00:00:00Z", WIKITEXT)]),
        page_xml("Held twice", 0, 2, [(5, "2023-01-01T00:00:00Z", WIKITEXT)]),
    ]
    write_dump(raw / "twice.xml", dump_xml(twice))

    result = CliRunner().invoke(app, ["validate", "--raw", str(raw), "--run-date", "2026-11-28"])

    assert result.exit_code == 1, result.output  # each refusal is an error
    lines = result.output.splitlines()
    assert any(
        line.startswith(str(raw / "pipe.txt")) and "a FIFO (named pipe), not a regular file" in line
        for line in lines
    ), result.output
    assert any(
        line.startswith(str(raw / "cut.xml.bz2")) and "truncated after 0 pages" in line
        for line in lines
    )
    assert any(
        f"{raw / 'twice.xml'}: the title 'Held twice' is held by two pages: revision 7 read, revision 5 "
        "left out" in line
        for line in lines
    ), result.output
    # The sample and the page held twice would load; the FIFO is counted apart from the files.
    assert lines[-1] == (
        "2 errors, 0 warnings in 1 article files and 2 dump pages (and 1 entry that is not a "
        "file) (18 polls, 12 events would load)"
    )


# --- entries that are not regular files -------------------------------------------------------


def test_find_sources_names_what_is_not_a_regular_file_without_opening_it(tmp_path: Path):
    """A FIFO blocks whoever opens it until a writer comes: it is named, never opened."""
    from flows.read.folder import find_sources, iter_sources

    raw = tmp_path / "raw"
    (raw / "nested").mkdir(parents=True)
    (raw / "a.txt").write_text(FLATTENED, encoding="utf-8")
    os.mkfifo(raw / "pipe.txt")
    os.mkfifo(raw / "nested" / "pipe.xml.bz2")
    (raw / "pipe-link.wiki").symlink_to(raw / "pipe.txt")
    (raw / "gone.txt").symlink_to(tmp_path / "deleted.txt")
    (raw / "loop.txt").symlink_to(raw / "loop.txt")
    (raw / "subfolder-link").symlink_to(raw / "nested")  # a link to a folder is not reported
    (raw / "file-link.txt").symlink_to(raw / "a.txt")  # nor one to a file: it is read
    os.mkfifo(raw / ".hidden-pipe")  # hidden entries are left alone, as hidden files are
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(raw / "server.sock"))
    found: list = []
    try:
        finder = threading.Thread(target=lambda: found.append(find_sources(raw)), daemon=True)
        finder.start()
        finder.join(timeout=10)
        assert not finder.is_alive(), "find_sources blocked on an entry"
        items = list(iter_sources(found[0]))
    finally:
        sock.close()

    folder = found[0]
    assert folder.files == [raw / "a.txt", raw / "file-link.txt"] and folder.dumps == []
    assert [(entry.path, entry.kind) for entry in folder.not_regular] == [
        (raw / "gone.txt", f"a broken symbolic link (to {tmp_path / 'deleted.txt'})"),
        (raw / "loop.txt", "a symbolic link that loops"),
        (raw / "nested" / "pipe.xml.bz2", "a FIFO (named pipe)"),
        (raw / "pipe-link.wiki", "a symbolic link to a FIFO (named pipe)"),
        (raw / "pipe.txt", "a FIFO (named pipe)"),
        (raw / "server.sock", "a socket"),
    ]
    assert str(folder.not_regular[-1]) == f"{raw / 'server.sock'}: a socket, not a regular file"
    assert items[len(folder.not_regular) :] == folder.files  # each one refused, then the files
    assert [item.source_path for item in items[: len(folder.not_regular)]] == [
        "gone.txt", "loop.txt", "nested/pipe.xml.bz2", "pipe-link.wiki", "pipe.txt", "server.sock"
    ]  # fmt: skip
    assert not folder.is_empty()


def test_iter_sources_passes_a_page_over_the_limit_on_as_refused(tmp_path: Path):
    from flows.read.errors import ArticleError
    from flows.read.folder import find_sources, iter_sources, source_size

    raw = tmp_path / "raw"
    raw.mkdir()
    write_big_page_dump(raw / "big.xml.bz2", [SAMPLE_PAGES[0]], "Huge", 3, [])
    seen: list[DumpStats] = []
    items = list(
        iter_sources(find_sources(raw), on_dump=lambda _, stats: seen.append(stats),
                     max_page_bytes=2 * 1024**2)
    )  # fmt: skip
    assert [getattr(item, "title", None) for item in items] == [SERBIA, None]
    assert isinstance(items[1], ArticleError) and items[1].check_name == "file_too_large"
    assert source_size(items[1]) == 0
    assert seen[0].refused_too_large == 1


def test_a_broken_dump_does_not_stop_the_other_sources(tmp_path: Path):
    import bz2

    from flows.read.folder import find_sources, iter_sources

    raw = tmp_path / "raw"
    raw.mkdir()
    whole = bz2.compress(dump_xml(SAMPLE_PAGES * 40).encode(), compresslevel=1)
    (raw / "a-cut.xml.bz2").write_bytes(whole[: len(whole) // 2])
    (raw / "b-refused.xml").write_text("<!DOCTYPE x>" + dump_xml(SAMPLE_PAGES), encoding="utf-8")
    write_dump(raw / "c-good.xml", dump_xml(SAMPLE_PAGES))
    folder = find_sources(raw)
    seen: dict[str, DumpStats] = {}

    items = list(iter_sources(folder, on_dump=lambda dump, stats: seen.update({dump.name: stats})))

    cut, refused, good = seen["a-cut.xml.bz2"], seen["b-refused.xml"], seen["c-good.xml"]
    assert cut.truncated and cut.pages_before_error is not None and cut.pages_before_error > 5
    assert cut.error.startswith(f"truncated after {cut.pages_before_error} pages: ")
    assert refused.error.startswith("refused: the dump declares <!DOCTYPE")
    assert refused.pages_before_error is None and not refused.truncated
    assert good.error is None and good.articles_yielded == 2
    # Each broken dump comes last of its pages as an ArticleError naming it; the good dump after
    # them is read whole.
    errors = [item for item in items if isinstance(item, ArticleError)]
    assert [(e.source_path, e.check_name) for e in errors] == [
        ("a-cut.xml.bz2", "unreadable_file"),
        ("b-refused.xml", "unreadable_file"),
    ]
    assert errors[0].reason == f"{cut.error}; the pages before it were read"
    assert errors[1].reason == refused.error
    assert len(items) == cut.articles_yielded + 2 + len(errors)
    assert items.index(errors[0]) == cut.articles_yielded  # after the pages read before the cut


def test_entries_that_are_not_regular_files_come_first_as_refused(tmp_path: Path):
    from flows.read.folder import find_sources, iter_sources

    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(SAMPLE, raw / SAMPLE.name)
    os.mkfifo(raw / "pipe.txt")
    (raw / "gone.txt").symlink_to(raw / "nowhere.txt")

    items = list(iter_sources(find_sources(raw)))  # never blocks on the FIFO

    refused = [(item.source_path, item.reason) for item in items[:2]]
    assert refused == [
        (
            "gone.txt",
            f"a broken symbolic link (to {raw / 'nowhere.txt'}), not a regular file: not opened",
        ),
        ("pipe.txt", "a FIFO (named pipe), not a regular file: not opened"),
    ]
    assert items[2:] == [raw / SAMPLE.name]
