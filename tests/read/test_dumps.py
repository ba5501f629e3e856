"""MediaWiki XML dumps, streamed page by page, written into tmp_path in the export format."""

from __future__ import annotations

import bz2
import io
import random
import re
import string
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import mwxml
import pytest

from flows.read.dumps import DumpError, DumpStats, _DumpReader, iter_dump
from flows.read.errors import ArticleError
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
    write_big_page_dump,
    write_dump,
    write_multistream_dump,
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
    dump = mwxml.Dump.from_file(_DumpReader(Trickle(safe, step), path))
    assert [page.title for page in dump] == [SERBIA]
    with pytest.raises(DumpError, match="declares <!DOCTYPE"):
        _DumpReader(Trickle(bomb_dump(9).encode(), step), path)


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
    stats = DumpStats()

    with pytest.raises(DumpError, match=r"truncated after \d+ pages") as refused:
        titles.extend(article.title or "" for article in iter_dump(path, stats=stats))

    assert str(refused.value).startswith(f"{path}: ")
    assert "Compressed file ended before the end-of-stream marker" in str(refused.value)
    assert 50 < len(titles) < 200 and titles[:2] == ["Page 1", "Page 2"]
    # Every page read whole before the cut came out: the run can say "truncated after N pages".
    assert stats.truncated and stats.pages_before_error == len(titles) == stats.articles_yielded


def test_the_pages_read_before_a_truncation_are_counted(tmp_path: Path):
    pages = [
        page_xml(f"Page {n}", 0, n, [(n, "2024-01-01T00:00:00Z", "{| a |}")]) for n in range(1, 9)
    ]
    whole = dump_xml(pages)
    cases = [
        # Cut on a stream boundary of a multistream dump: bz2 sees a clean end, the XML does not.
        (write_multistream_dump(tmp_path / "multistream.xml.bz2", pages, streams_kept=1 + 5), 5),
        (write_dump(tmp_path / "cut.xml", whole[: whole.index("<title>Page 4")]), 3),
    ]
    for path, before in cases:
        stats = DumpStats()
        titles: list[str] = []
        with pytest.raises(DumpError, match=f"truncated after {before} pages") as refused:
            titles.extend(article.title or "" for article in iter_dump(path, stats=stats))
        assert str(refused.value).startswith(f"{path}: ")
        assert titles == [f"Page {n}" for n in range(1, before + 1)]
        assert stats.truncated and stats.pages_before_error == before, stats


def test_a_malformed_dump_is_not_reported_as_truncated(tmp_path: Path):
    pages = [
        page_xml(f"Page {n}", 0, n, [(n, "2024-01-01T00:00:00Z", "{| a |}")]) for n in range(1, 5)
    ]
    pages[2] = pages[2].replace("</title>", "</titel>")
    stats = DumpStats()
    with pytest.raises(DumpError, match="malformed after 2 pages"):
        list(iter_dump(write_dump(tmp_path / "bad.xml.bz2", dump_xml(pages)), stats=stats))
    assert not stats.truncated and stats.pages_before_error == 2


# --- one title held twice ------------------------------------------------------------------------


def table(label: str) -> str:
    return f"{{| class=wikitable\n| {label} |}}"


def test_a_title_held_twice_yields_the_latest_revision_once(tmp_path: Path):
    pages = [
        page_xml("Kept later", 0, 1, [(10, "2024-01-01T00:00:00Z", table("old"))]),
        page_xml("Kept first", 0, 2, [(31, "2024-01-01T00:00:00Z", table("newest"))]),
        page_xml("Alone", 0, 3, [(5, "2024-01-01T00:00:00Z", table("alone"))]),
        page_xml("Talk:Alone", 1, 4, [(6, "2024-01-01T00:00:00Z", table("talk"))]),
        # Two revisions on the page: its latest, 20, is what counts against the other page.
        page_xml(
            "Kept later",
            0,
            5,
            [(12, "2024-01-01T00:00:00Z", ""), (20, "2024-02-01T00:00:00Z", table("new"))],
        ),
        page_xml("Kept first", 0, 6, [(30, "2024-02-01T00:00:00Z", table("older id"))]),
        page_xml("Tie", 0, 7, [(40, "2024-01-01T00:00:00Z", table("tie 1"))]),
        page_xml("Tie", 0, 8, [(40, "2024-01-01T00:00:00Z", table("tie 2"))]),
        # The latest copy is now a redirect: no article, and the older copy is not yielded.
        page_xml("Now a redirect", 0, 9, [(50, "2024-01-01T00:00:00Z", table("stale"))]),
        page_xml("Now a redirect", 0, 10, [(51, "2024-02-01T00:00:00Z", "#REDIRECT [[Alone]]")]),
    ]
    stats = DumpStats()

    articles = list(iter_dump(write_dump(tmp_path / "twice.xml.bz2", dump_xml(pages)), stats=stats))

    assert [(a.title, a.revision_id, a.text) for a in articles] == [
        ("Kept first", 31, table("newest")),
        ("Alone", 5, table("alone")),
        ("Kept later", 20, table("new")),
        ("Tie", 40, table("tie 2")),
    ]
    assert stats.duplicates == [
        ("Kept later", 20, 10), ("Kept first", 31, 30), ("Tie", 40, 40), ("Now a redirect", 51, 50),
    ]  # fmt: skip
    assert stats.skipped_namespace == 1 and stats.skipped_redirect == 1
    assert stats.pages_seen == 10 == counted(stats)


def counted(stats: DumpStats) -> int:
    """Every page read is counted once: skipped, refused, dropped as a duplicate, or yielded."""
    return (
        stats.skipped_namespace + stats.skipped_redirect + stats.skipped_no_text
        + stats.skipped_no_table + stats.refused_too_large + len(stats.duplicates)
        + stats.articles_yielded
    )  # fmt: skip


def test_duplicates_are_found_in_other_namespaces_when_they_are_read(tmp_path: Path):
    pages = [page_xml("Talk:X", 1, n, [(n, "2024-01-01T00:00:00Z", table(str(n)))]) for n in (1, 2)]
    stats = DumpStats()
    path = write_dump(tmp_path / "talk.xml", dump_xml(pages))
    assert [a.revision_id for a in iter_dump(path, namespaces=(0, 1), stats=stats)] == [2]
    assert stats.duplicates == [("Talk:X", 2, 1)]
    assert [a.revision_id for a in iter_dump(path)] == []  # namespace 1 is not read by default


# --- a page over the size limit ------------------------------------------------------------------


def test_a_page_over_the_limit_is_refused_while_streaming_in_bounded_memory(tmp_path: Path):
    """A 200 MiB page compressed to a few kB: the parser never holds more than the limit of it."""
    before = page_xml("Before", 0, 1, [(1, "2024-01-01T00:00:00Z", table("before"))])
    after = page_xml("After", 0, 2, [(2, "2024-01-01T00:00:00Z", table("after"))])
    path = write_big_page_dump(tmp_path / "big.xml.bz2", [before], "Huge", 200, [after])
    assert path.stat().st_size < 100_000
    stats = DumpStats()

    tracemalloc.start()
    try:
        items = list(iter_dump(path, max_page_bytes=1024**2, stats=stats))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    before_article, refused, after_article = items
    assert isinstance(refused, ArticleError)
    assert refused.source_path == "dump:big.xml.bz2#Huge"
    assert refused.check_name == "file_too_large"
    assert refused.reason == (
        "the page's text is 200.0 MB, over the 1 MB limit (--max-file-mb); no article is this big"
    )
    assert before_article.title == "Before" and after_article.title == "After"
    assert stats.refused_too_large == 1 and stats.articles_yielded == 2
    assert stats.pages_seen == 3 == counted(stats)
    assert peak < 8 * 1024**2, f"peak {peak} bytes for a 200 MiB page"


def test_the_size_limit_defaults_to_the_file_limit(tmp_path: Path):
    path = write_big_page_dump(tmp_path / "big.xml.bz2", [], "Huge", 21, [])
    [refused] = list(iter_dump(path))
    assert isinstance(refused, ArticleError)
    assert "over the 20 MB limit (--max-file-mb)" in refused.reason


def test_only_the_latest_revision_counts_against_the_limit(tmp_path: Path):
    big, small = "{| " + "x" * 5000 + " |}", table("small")
    pages = [
        page_xml(
            "Shrunk", 0, 1, [(1, "2024-01-01T00:00:00Z", big), (2, "2024-02-01T00:00:00Z", small)]
        ),
        page_xml(
            "Grown", 0, 2, [(3, "2024-01-01T00:00:00Z", small), (4, "2024-02-01T00:00:00Z", big)]
        ),
        page_xml("Talk:Grown", 1, 3, [(5, "2024-02-01T00:00:00Z", big)]),  # not read: not refused
    ]
    stats = DumpStats()
    items = list(
        iter_dump(write_dump(tmp_path / "d.xml", dump_xml(pages)), max_page_bytes=4096, stats=stats)
    )
    assert [type(item).__name__ for item in items] == ["SourceArticle", "ArticleError"]
    assert items[0].text == small and items[1].source_path == "dump:d.xml#Grown"
    assert "the page's text is 0.0 MB, over the 0.00390625 MB limit" in items[1].reason
    assert stats.refused_too_large == 1 and stats.skipped_namespace == 1


# Text that is hard to cut: multi-byte characters, entities, a CDATA section and a comment.
TRICKY = "é€𝄞 &amp; &lt;ref&gt; &#233;&#x20AC; <![CDATA[ a < b & c ]]> <!-- note --> {| x |} "


@pytest.mark.parametrize("step", [1, 2, 3, 5, 7, 11, 64 * 1024])
def test_the_reader_cuts_a_long_text_anywhere_and_the_dump_still_parses(tmp_path: Path, step: int):
    """Cut at every offset of the tricky text, whatever the reads bring: the page is refused,
    the dump stays well-formed, and a text just under the limit goes through unchanged."""
    escaped = dump_xml([page_xml("Long", 0, 1, [(1, "2024-01-01T00:00:00Z", "\x00")])])
    document = escaped.replace("\x00", TRICKY * 8).encode()
    [[whole]] = [
        [revision.text for revision in page] for page in mwxml.Dump.from_file(io.BytesIO(document))
    ]
    start = document.index(b'xml:space="preserve">') + len(b'xml:space="preserve">')
    # The text's size as the reader counts it: its bytes in the dump, without comments or the
    # CDATA markers (references count as written: "&amp;" is 5 bytes)
    size = len(
        re.sub(rb"<!--.*?-->|<!\[CDATA\[|\]\]>", b"", document[start : document.index(b"</text>")])
    )
    path = tmp_path / "piped.xml"
    for limit in range(size - 2 * len(TRICKY.encode()), size + 1):
        reader = _DumpReader(Trickle(document, step), path, max_run_bytes=limit)
        [[revision]] = [list(page) for page in mwxml.Dump.from_file(reader)]
        cuts = reader.take_marks(1).cuts
        if limit == size:
            assert cuts == {} and revision.text == whole
        else:
            assert cuts == {1: ("text", size)}, limit
            assert whole.startswith(revision.text) and len(revision.text.encode()) <= limit


def test_titles_written_differently_are_one_title(tmp_path: Path):
    """mwxml reads "A_B" as "A B", and references as what they stand for: so does the first
    pass, or the two would be two articles with one key."""
    pages = [
        page_xml("AT&T polls", 0, 1, [(1, "2024-01-01T00:00:00Z", table("1"))]),
        page_xml("AT&T_polls", 0, 2, [(2, "2024-01-01T00:00:00Z", table("2"))]),
        page_xml("AT&T polls", 0, 3, [(3, "2024-01-01T00:00:00Z", table("3"))]),
    ]
    xml = dump_xml(pages).replace(
        "<title>AT&amp;T polls</title>", "<title>AT&#38;T<![CDATA[ polls]]></title>", 1
    )
    stats = DumpStats()
    articles = list(iter_dump(write_dump(tmp_path / "d.xml", xml), stats=stats))
    assert [(a.title, a.revision_id) for a in articles] == [("AT&T polls", 3)]
    assert stats.duplicates == [("AT&T polls", 3, 1), ("AT&T polls", 3, 2)]


def test_a_tag_over_64_kib_is_refused_after_the_pages_before_it(tmp_path: Path):
    pages = [
        page_xml(f"Page {n}", 0, n, [(n, "2024-01-01T00:00:00Z", table(str(n)))]) for n in (1, 2, 3)
    ]
    pages[1] = pages[1].replace("<title>", f'<title junk="{"x" * 100_000}">')
    stats = DumpStats()
    titles: list[str] = []
    with pytest.raises(DumpError, match="refused: a tag over 65536 bytes after 2 pages"):
        titles.extend(
            a.title
            for a in iter_dump(write_dump(tmp_path / "d.xml.bz2", dump_xml(pages)), stats=stats)
        )
    assert titles == ["Page 1"]
    assert stats.pages_before_error == 1 and not stats.truncated


def test_a_dump_cut_inside_a_copy_of_a_title_yields_what_came_before(tmp_path: Path):
    """The first pass notes only whole pages: the copy the cut falls in is not one, and reading
    it stops the second pass as it stopped the first."""
    pages = [
        page_xml("A", 0, 1, [(1, "2024-01-01T00:00:00Z", table("1"))]),
        page_xml("B", 0, 2, [(2, "2024-01-01T00:00:00Z", table("2"))]),
        page_xml("A", 0, 3, [(3, "2024-01-01T00:00:00Z", table("3"))]),
        page_xml("A", 0, 4, [(4, "2024-01-01T00:00:00Z", table("4"))]),
    ]
    for copies in (pages[:3], pages):  # the cut copy is the second of its title, or the third
        text = dump_xml(copies)
        path = write_dump(
            tmp_path / f"cut-{len(copies)}.xml",
            text[: text.index("<timestamp>", text.index(f"<id>{len(copies)}</id>"))],
        )
        stats = DumpStats()
        titles: list[tuple[str, int]] = []
        with pytest.raises(DumpError, match=f"truncated after {len(copies) - 1} pages"):
            titles.extend((a.title, a.revision_id) for a in iter_dump(path, stats=stats))
        if len(copies) == 3:
            assert titles == [("A", 1), ("B", 2)] and stats.duplicates == []
        else:
            assert titles == [("B", 2), ("A", 3)] and stats.duplicates == [("A", 3, 1)]
