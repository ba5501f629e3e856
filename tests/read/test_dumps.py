"""MediaWiki XML dumps, streamed page by page, written into tmp_path in the export format."""

from __future__ import annotations

import bz2
import random
import re
import string
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import mwxml
import pytest

from flows.read.dumps import DumpError, DumpStats, _PrologGuard, iter_dump
from flows.read.files import parse_article_text
from flows.read.sources import make_source_article
from tests.builders import (
    FLATTENED,
    SAMPLE_PAGES,
    SERBIA,
    WIKITEXT,
    XML_DECLARATION,
    dump_xml,
    page_xml,
    write_dump,
)

# --- dumps ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["enwiki-sample.xml", "enwiki-sample.xml.bz2"])
def test_iter_dump_yields_the_latest_revision_of_article_pages_with_tables(
    tmp_path: Path, name: str
):
    path = write_dump(tmp_path / name, dump_xml(SAMPLE_PAGES))
    stats = DumpStats()

    articles = list(iter_dump(path, stats=stats))

    assert [article.source_path for article in articles] == [
        f"dump:{name}#{SERBIA}",
        f"dump:{name}#Serbia NATO polls (flattened)",
    ]
    serbia, flattened = articles
    assert serbia == make_source_article(
        WIKITEXT,
        f"dump:{name}#{SERBIA}",
        "wikitext",
        title=SERBIA,
        page_id=101,
        revision_id=9001,
        revision_timestamp="2024-01-01T00:00:00Z",
    )
    assert serbia.text == WIKITEXT
    assert flattened.format == "flattened" and flattened.text == FLATTENED
    assert stats == DumpStats(
        pages_seen=5,
        skipped_namespace=1,
        skipped_redirect=1,
        skipped_no_text=0,
        skipped_no_table=1,
        articles_yielded=2,
    )


def test_iter_dump_without_prefilter_and_with_more_namespaces(tmp_path: Path):
    path = write_dump(tmp_path / "enwiki.xml", dump_xml(SAMPLE_PAGES))
    stats = DumpStats()

    articles = list(iter_dump(path, namespaces=(0, 1), prefilter=False, stats=stats))

    assert [article.title for article in articles] == [
        SERBIA,
        "Talk:" + SERBIA,
        "Belgrade",
        "Serbia NATO polls (flattened)",
    ]
    assert articles[1].source_path == f"dump:enwiki.xml#Talk:{SERBIA}"
    assert articles[2].format == "wikitext"  # infobox lines are not a flattened table
    assert stats.skipped_namespace == 0 and stats.skipped_no_table == 0
    assert stats.skipped_redirect == 1 and stats.articles_yielded == 4


def test_iter_dump_skips_text_redirects_and_empty_pages(tmp_path: Path):
    pages = [
        page_xml("Old redirect", 0, 1, [(1, "2024-01-01T00:00:00Z", "#redirect [[Target]]")]),
        page_xml(
            "Blanked",
            0,
            2,
            [(2, "2024-01-01T00:00:00Z", "{| a |}"), (3, "2024-02-01T00:00:00Z", "")],
        ),
    ]
    stats = DumpStats()

    assert list(iter_dump(write_dump(tmp_path / "d.xml", dump_xml(pages)), stats=stats)) == []
    assert stats.skipped_redirect == 1 and stats.skipped_no_text == 1 and stats.pages_seen == 2


def test_dump_articles_go_through_the_parse_stage(tmp_path: Path):
    path = write_dump(tmp_path / "enwiki.xml.bz2", dump_xml(SAMPLE_PAGES))

    for source in iter_dump(path):
        article = parse_article_text(source.text, source.source_path, source.sha256, source.format)
        assert article.source_path == source.source_path
        assert article.content_sha256 == source.sha256
        assert article.format == source.format
        assert [table.header[:2] for table in article.tables] == [
            ["Dates conducted", "Pollster"],
            ["Event", "Date"],
        ]
        assert len(article.tables[0].rows) == 14


def test_iter_dump_streams_page_by_page(tmp_path: Path):
    """About 6 MB of pages go through with a small fraction of that in memory at any time."""
    text = "{| class=wikitable\n! Date !! Pollster\n|-\n| 2024 || X\n|}\n" + "lorem ipsum " * 400
    pages = [page_xml(f"Page {n}", 0, n, [(n, "2024-01-01T00:00:00Z", text)]) for n in range(1200)]
    path = write_dump(tmp_path / "big.xml", dump_xml(pages))
    assert path.stat().st_size > 5_000_000

    tracemalloc.start()
    try:
        count = sum(1 for _ in iter_dump(path))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert count == 1200
    assert peak < 1_000_000, f"peak {peak} bytes while streaming a {path.stat().st_size}-byte dump"


def test_iter_dump_can_stop_early_and_closes_the_file(tmp_path: Path):
    path = write_dump(tmp_path / "enwiki.xml.bz2", dump_xml(SAMPLE_PAGES))
    articles = iter_dump(path)
    first = next(articles)
    articles.close()
    assert first.title == SERBIA


# --- entity expansion -----------------------------------------------------------------------------


def nested_entities(depth: int) -> str:
    declarations = ['<!ENTITY lol0 "lol">']
    declarations += [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, depth + 1)]
    return "\n  ".join(declarations)


def bomb_dump(depth: int) -> str:
    prolog = f"{XML_DECLARATION}<!DOCTYPE mediawiki [\n  {nested_entities(depth)}\n]>\n"
    page = (
        f"  <page>\n    <title>Bomb</title>\n    <ns>0</ns>\n    <id>1</id>\n    <revision>\n"
        f"      <id>2</id>\n      <timestamp>2024-01-01T00:00:00Z</timestamp>\n"
        f'      <text xml:space="preserve">{{| &lol{depth}; |}}</text>\n    </revision>\n  </page>\n'
    )
    return dump_xml([page], prolog=prolog)


def test_mwxml_alone_expands_entities_which_is_why_iter_dump_guards_the_prolog():
    """Documents the hazard: without the guard, three levels turn 'lol' into 3,000 characters."""
    import io

    dump = mwxml.Dump.from_file(io.BytesIO(bomb_dump(3).encode()))
    texts = [revision.text for page in dump for revision in page]
    assert len(texts[0]) == len("{|  |}") + 3 * 10**3


@pytest.mark.parametrize("name", ["bomb.xml", "bomb.xml.bz2"])
def test_iter_dump_refuses_a_billion_laughs_dump_without_expanding_it(tmp_path: Path, name: str):
    path = write_dump(tmp_path / name, bomb_dump(9))  # 10**9 "lol"s if expanded

    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(DumpError) as refused:
            list(iter_dump(path))
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert str(refused.value).startswith(f"{path}: refused: the dump declares <!DOCTYPE")
    assert refused.value.path == path
    assert peak < 300_000, f"peak {peak} bytes"
    assert elapsed < 1.0


@pytest.mark.parametrize(
    ("prolog", "reason"),
    [
        (  # external entity: would read a local file into the text
            XML_DECLARATION + '<!DOCTYPE mediawiki [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n',
            "declares <!DOCTYPE",
        ),
        (
            XML_DECLARATION + '<!DOCTYPE mediawiki SYSTEM "http://127.0.0.1:9/x.dtd">\n',
            "declares <!DOCTYPE",
        ),
        (XML_DECLARATION + "<!DOCTYPE mediawiki>\n", "declares <!DOCTYPE"),
        (  # hidden behind a comment and a processing instruction
            XML_DECLARATION
            + "<!-- a comment <mediawiki> -->\n<?pi x?>\n<!DOCTYPE m [<!ENTITY a 'b'>]>\n",
            "declares <!DOCTYPE",
        ),
        ("<!ENTITY a 'b'>\n", "declares <!ENTITY"),
        ('<?xml version="1.0" encoding="UTF-7"?>\n', "declares encoding 'UTF-7'"),
        ("<!--" + "x" * 70_000 + "-->\n", "no root element in the first 65536 bytes"),
        ("", None),  # the control: the same dump without a prolog problem is read
    ],
)
def test_iter_dump_refuses_any_dtd_before_the_parser_sees_it(
    tmp_path: Path, prolog: str, reason: str | None
):
    path = write_dump(tmp_path / "dump.xml", dump_xml(SAMPLE_PAGES[:1], prolog=prolog))
    if reason is None:
        assert len(list(iter_dump(path))) == 1
        return
    with pytest.raises(DumpError, match=re.escape(reason)) as refused:
        list(iter_dump(path))
    assert str(refused.value).startswith(f"{path}: refused: ")


class Trickle:
    """A byte stream that gives a few bytes per read, as a pipe may."""

    def __init__(self, data: bytes, step: int):
        self.data, self.step, self.offset = data, step, 0

    def read(self, size: int = -1) -> bytes:
        size = self.step if size < 0 else min(size, self.step)
        chunk = self.data[self.offset : self.offset + size]
        self.offset += len(chunk)
        return chunk


@pytest.mark.parametrize("step", [1, 3, 7, 4096])
def test_the_prolog_guard_reads_a_prolog_split_across_reads(tmp_path: Path, step: int):
    path = tmp_path / "piped.xml"
    safe = dump_xml(SAMPLE_PAGES[:1]).encode()
    dump = mwxml.Dump.from_file(_PrologGuard(Trickle(safe, step), path))
    assert [page.title for page in dump] == [SERBIA]
    with pytest.raises(DumpError, match="declares <!DOCTYPE"):
        _PrologGuard(Trickle(bomb_dump(9).encode(), step), path)


def test_iter_dump_refuses_a_utf16_dump(tmp_path: Path):
    path = tmp_path / "dump.xml"
    path.write_bytes(dump_xml(SAMPLE_PAGES[:1]).replace("utf-8", "utf-16").encode("utf-16"))
    with pytest.raises(DumpError, match="not UTF-8"):
        list(iter_dump(path))


def broken_dumps(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    # A DOCTYPE inside the document is a syntax error to expat: nothing is declared.
    inner_doctype = dump_xml(SAMPLE_PAGES[:1], inside="<!DOCTYPE m [<!ENTITY a 'b'>]>\n")
    yield write_dump(tmp_path / "inner-doctype.xml", inner_doctype), "not well-formed"
    undefined = dump_xml([page_xml("X", 0, 1, [(1, "2024-01-01T00:00:00Z", "{|")])]).replace(
        "{|", "{| &undefined;"
    )
    yield write_dump(tmp_path / "undefined-entity.xml", undefined), "undefined entity"
    whole = bz2.compress(dump_xml(SAMPLE_PAGES).encode())
    (tmp_path / "truncated.xml.bz2").write_bytes(whole[: len(whole) // 2])
    yield tmp_path / "truncated.xml.bz2", "Compressed file ended before the end-of-stream marker"
    yield write_dump(tmp_path / "not-a-dump.xml", "{| just wikitext |}"), "not XML"
    yield write_dump(tmp_path / "other-root.xml", "<html><body/></html>"), "root element <html>"
    yield write_dump(tmp_path / "dump.json", "{}"), "expected a .xml or .xml.bz2 file"


def test_iter_dump_names_the_file_of_a_broken_dump(tmp_path: Path):
    for path, reason in broken_dumps(tmp_path):
        with pytest.raises(DumpError) as refused:
            list(iter_dump(path))
        assert str(refused.value).startswith(f"{path}: "), str(refused.value)
        assert reason in str(refused.value), str(refused.value)


def test_iter_dump_yields_the_pages_before_a_truncation_then_names_the_file(tmp_path: Path):
    noise = random.Random(0)
    pages = [
        page_xml(
            f"Page {n}",
            0,
            n,
            [
                (
                    n,
                    "2024-01-01T00:00:00Z",
                    "{|\n" + "".join(noise.choices(string.ascii_letters, k=3000)),
                )
            ],
        )
        for n in range(1, 201)
    ]
    whole = bz2.compress(dump_xml(pages).encode(), compresslevel=1)  # blocks of 100 kB
    path = tmp_path / "truncated.xml.bz2"
    path.write_bytes(whole[: len(whole) // 2])
    titles: list[str] = []

    with pytest.raises(DumpError, match=r"malformed or truncated after \d+ pages") as refused:
        titles.extend(article.title or "" for article in iter_dump(path))

    assert str(refused.value).startswith(f"{path}: ")
    assert 50 < len(titles) < 200 and titles[:2] == ["Page 1", "Page 2"]
