"""What tests build their inputs with: table rows, tables, dumps, wrapped corpus rows, warehouses.

Shared here rather than imported from one test module into another, so each test module reads
on its own.
"""

from __future__ import annotations

import bz2
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import duckdb

from benchmarks.generate import SITEINFO
from flows.article import Article, Cell, CellOrigin, SourceRow, SourceTable
from flows.check.validate import validate_batch
from flows.load.warehouse import load_batch
from flows.read.files import parse_article_file
from flows.records import new_run
from flows.vocabulary import AnswerClass, Role
from tests.conftest import CORPUS, FIXTURES, RAW, RUN, SAMPLE, normalize_file

# --- table rows and tables ---------------------------------------------------------------------


# The sample article's poll table, as rows and tables tests build on it.
SAMPLE_HEADER = [
    "Dates conducted",
    "Pollster",
    "Client",
    "Sample size",
    "Support",
    "Opposed",
    "Neutral or",
    "Lead",
]
SAMPLE_ROLES = [
    (Role.DATE, None),
    (Role.POLLSTER, None),
    (Role.CLIENT, None),
    (Role.SAMPLE_SIZE, None),
    (Role.ANSWER, AnswerClass.SUPPORT),
    (Role.ANSWER, AnswerClass.OPPOSE),
    (Role.ANSWER, AnswerClass.NEUTRAL),
    (Role.LEAD, None),
]
SAMPLE_EVENTS = [
    ("7 March 2024", "Sweden acceedes to NATO"),
    ("4 April 2023", "Finland acceedes to NATO"),
    ("24 February 2022", "Russia invades Ukraine"),
    ("16 March 2014", "Russia annexes Crimea"),
    ("7 August 2008", "Russia invades Georgia"),
]
POLL_ROW = [
    "March 2022",
    "Ninamedia",
    "Institute for European Affairs",
    "1228",
    "10%",
    "82%",
    "8%",
    "72%",
]


def make_row(
    cells: list[str],
    origins: list[CellOrigin] | None = None,
    css_class: str = "",
    row_index: int = 1,
) -> SourceRow:
    origins = origins or ["source"] * len(cells)
    return SourceRow(
        row_index=row_index,
        line=row_index + 1,
        raw_text="| " + " | ".join(cells) + " |",
        cells=[
            Cell(raw=text, text=text, origin=origin)
            for text, origin in zip(cells, origins, strict=True)
        ],
        css_class=css_class,
    )


def make_table(header: list[str], rows: list[list[str]]) -> SourceTable:
    return SourceTable(
        table_index=1,
        line=1,
        section_path=("Opinion polling",),
        header=header,
        header_raw="| " + " | ".join(header) + " |",
        rows=[make_row(cells, row_index=index) for index, cells in enumerate(rows, start=1)],
    )


def cells(*texts: str) -> list[Cell]:
    return [Cell(raw=text, text=text) for text in texts]


@cache
def sample() -> Article:
    """The sample article, parsed once."""
    return parse_article_file(SAMPLE, RAW)


# --- MediaWiki XML dumps ----------------------------------------------------------------------

WIKITEXT = (FIXTURES / "serbia_nato_relations.wiki").read_text(encoding="utf-8")
FLATTENED = (SAMPLE).read_text(encoding="utf-8")
SERBIA = "Serbia–NATO relations"

XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'


def revision_xml(rev_id: int, timestamp: str, text: str) -> str:
    return f"""    <revision>
      <id>{rev_id}</id>
      <timestamp>{timestamp}</timestamp>
      <contributor><username>Editor</username><id>7</id></contributor>
      <model>wikitext</model>
      <format>text/x-wiki</format>
      <text bytes="{len(text.encode())}" xml:space="preserve">{escape(text)}</text>
      <sha1>phoiac9h4m842xq45sp7s6u21eteeq1</sha1>
    </revision>
"""


def page_xml(
    title: str,
    ns: int,
    page_id: int,
    revisions: list[tuple[int, str, str]],
    redirect: str | None = None,
) -> str:
    redirect_tag = f"    <redirect title={quoteattr(redirect)} />\n" if redirect else ""
    body = "".join(revision_xml(*revision) for revision in revisions)
    return (
        f"  <page>\n    <title>{escape(title)}</title>\n    <ns>{ns}</ns>\n"
        f"    <id>{page_id}</id>\n{redirect_tag}{body}  </page>\n"
    )


def dump_xml(pages: list[str], prolog: str = XML_DECLARATION, inside: str = "") -> str:
    return (
        f"{prolog}"
        '<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://www.mediawiki.org/xml/export-0.10/ '
        'http://www.mediawiki.org/xml/export-0.10.xsd" version="0.10" xml:lang="en">\n'
        f"{SITEINFO}{inside}{''.join(pages)}</mediawiki>\n"
    )


def write_dump(path: Path, xml: str) -> Path:
    data = xml.encode("utf-8")
    if path.name.endswith(".bz2"):
        path.write_bytes(bz2.compress(data))
    else:
        path.write_bytes(data)
    return path


SAMPLE_PAGES = [
    # An article page with two revisions: the latest holds the tables.
    page_xml(
        SERBIA,
        0,
        101,
        [
            (9000, "2023-12-01T00:00:00Z", "An older revision, before the polls were added."),
            (9001, "2024-01-01T00:00:00Z", WIKITEXT),
        ],
    ),
    page_xml(
        "NATO–Serbia relations",
        0,
        102,
        [(9100, "2024-01-01T00:00:00Z", f"#REDIRECT [[{SERBIA}]]")],
        redirect=SERBIA,
    ),
    page_xml("Talk:" + SERBIA, 1, 103, [(9200, "2024-01-02T00:00:00Z", WIKITEXT)]),
    # Infobox parameter lines start with "|", but this page has no table.
    page_xml(
        "Belgrade",
        0,
        104,
        [
            (
                9300,
                "2024-01-03T00:00:00Z",
                "{{Infobox settlement\n| name = Belgrade\n| country = Serbia\n}}\n"
                "'''Belgrade''' is the capital of [[Serbia]].",
            )
        ],
    ),
    page_xml("Serbia NATO polls (flattened)", 0, 105, [(9400, "2024-01-04T00:00:00Z", FLATTENED)]),
]


# --- the UK corpus: poll rows only, given the article's header ------------------------------------

UK_HEADER = (
    '{| class="wikitable"\n'
    "! Date(s) conducted !! Pollster !! Client !! Sample size !! Rejoin !! Stay out !! Neither !! Lead\n"
)
UK_FILES = sorted(CORPUS.glob("potential-re-accession-uk-eu__*.wiki"))


def wrapped_uk(path: Path) -> str:
    """The corpus holds only the UK table's rows: give them the article's header and closing."""
    return UK_HEADER + path.read_text(encoding="utf-8") + "\n|}\n"


# --- warehouses -------------------------------------------------------------------------------


def load_sample(warehouse: Path, article: Path = SAMPLE, refused=()):
    batch = validate_batch([normalize_file(article)], RUN, list(refused))
    run = new_run(run_date=RUN.run_date)
    return load_batch(warehouse, batch, run, raw_dir="raw")


def query(warehouse: Path, sql: str, params=()):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, params).fetchall()


def write_multistream_dump(path: Path, pages: list[str], streams_kept: int | None = None) -> Path:
    """A `.xml.bz2` dump written as Wikimedia's multistream dumps are: the header, each page and
    the closing tag each a bz2 stream of their own. With `streams_kept`, only the first that many
    streams are written: the file is cut on a stream boundary, so bz2 sees no error and only the
    XML is left unfinished."""
    head, tail = dump_xml(["\x00"]).split("\x00")
    streams = [bz2.compress(part.encode("utf-8")) for part in [head, *pages, tail]]
    path.write_bytes(b"".join(streams[:streams_kept]))
    return path


BIG_TEXT_UNIT = "{| class=wikitable\n| lorem ipsum dolor sit amet || 45% |}\n"  # 56 bytes


def write_big_page_dump(
    path: Path, before: list[str], title: str, text_mib: int, after: list[str]
) -> Path:
    """A `.xml.bz2` dump holding, between `before` and `after`, one page whose text is
    `text_mib` MiB of `BIG_TEXT_UNIT`: concatenated bz2 streams, one MiB compressed once and
    repeated, so a 200 MiB page costs a few kB and milliseconds to write."""
    marker = "\x00"
    head, tail = dump_xml([*before, marker, *after]).split(marker)
    page_head, page_tail = page_xml(
        title, 0, 999_999, [(999_999, "2024-06-01T00:00:00Z", marker)]
    ).split(marker)
    mib = (BIG_TEXT_UNIT * (1024**2 // len(BIG_TEXT_UNIT) + 1)).encode()[: 1024**2]
    with path.open("wb") as out:
        out.write(bz2.compress((head + page_head).encode("utf-8")))
        block = bz2.compress(mib)
        for _ in range(text_mib):
            out.write(block)
        out.write(bz2.compress((page_tail + tail).encode("utf-8")))
    return path
