"""flows.read.wikitext: real MediaWiki wikitext read into the same Article as the flattened form."""

from __future__ import annotations

import re
import time
from pathlib import Path

import mwparserfromhell
import pytest

from flows.article import Article, Cell, SourceTable, title_from_path
from flows.read import wikitext
from flows.read.errors import ArticleError
from flows.read.files import parse_article_file, parse_article_text
from flows.read.flattened import split_pipe_row
from flows.read.markup import MarkupError, render_cell
from flows.read.wikitext import MAX_GRID_COLUMNS, UNPARSED_NOTE, mask_opaque, parse_wikitext_article
from tests.conftest import FIXTURES, SAMPLE

CORPUS = FIXTURES / "corpus"
SAMPLE_WIKI = FIXTURES / "serbia_nato_relations.wiki"
HELP = CORPUS / "help-table.wiki"
RUGBY = CORPUS / "history-of-rugby-union-matches-between-scotland-and-wales.wiki"
EARTHQUAKES = CORPUS / "list-of-earthquakes-in-canada.wiki"
MYTHBUSTERS = CORPUS / "list-of-mythbusters-special-episodes.wiki"
UK_HEADER = (
    '{| class="wikitable"\n! Date(s) conducted !! Pollster !! Client !! Sample size !! Rejoin '
    "!! Stay out !! Neither !! Lead\n"
)
UK_COLUMNS = [
    "Date(s) conducted", "Pollster", "Client", "Sample size", "Rejoin", "Stay out", "Neither",
    "Lead",
]  # fmt: skip


def parse(text: str, source_path: str = "test.wiki") -> Article:
    return parse_wikitext_article(text, source_path, "sha")


def read(path: Path) -> Article:
    return parse(path.read_text(encoding="utf-8"), path.name)


def texts(cells: list[Cell]) -> list[str]:
    return [cell.text for cell in cells]


def uk_table(year: int) -> str:
    rows = (CORPUS / f"potential-re-accession-uk-eu__{year}.wiki").read_text(encoding="utf-8")
    return UK_HEADER + rows + "\n|}"


def only_table(text: str) -> SourceTable:
    article = parse(text)
    assert len(article.tables) == 1
    return article.tables[0]


# --- the sample article, written as real wikitext ------------------------------------------------


def test_sample_wikitext_matches_the_flattened_form() -> None:
    flat = parse_article_text(SAMPLE.read_text(encoding="utf-8"), "x.txt")
    wiki = read(SAMPLE_WIKI)
    assert wiki.format == "wikitext" and wiki.title == flat.title == "Serbia–NATO relations"
    assert [section.path for section in wiki.sections[: len(flat.sections)]] == [
        section.path for section in flat.sections
    ]
    assert len(wiki.tables) == len(flat.tables) == 2
    for flat_table, wiki_table in zip(flat.tables, wiki.tables, strict=True):
        assert wiki_table.header == flat_table.header
        assert wiki_table.section_path == flat_table.section_path
        assert len(wiki_table.rows) == len(flat_table.rows)
        for flat_row, wiki_row in zip(flat_table.rows, wiki_table.rows, strict=True):
            expected = texts(flat_row.cells)
            if expected[1] == "NSPM":  # the flattened row lost its empty Client cell
                expected = [*expected[:2], "", *expected[2:]]
                assert not any(expected[len(wiki_table.header) :])
                expected = expected[: len(wiki_table.header)]
            got = texts(wiki_row.cells)
            if wiki_row.cells[-1].origin == "colspan":  # an event row: the text spans the row
                sources = [cell.text for cell in wiki_row.cells if cell.origin == "source"]
                assert sources == [text for text in expected if text]
                assert set(got[1:]) == {expected[1]} and len(got) == len(wiki_table.header)
            else:
                assert got == expected


def test_sample_wikitext_details() -> None:
    article = parse_article_file(SAMPLE_WIKI, FIXTURES)  # .wiki goes to the wikitext reader
    assert article.format == "wikitext" and article.article_id == "serbia_nato_relations.wiki"
    polls = article.tables[0]
    assert polls.table_index == 1 and polls.line == 26
    assert polls.caption == "Opinion polls on Serbian membership of NATO"
    assert polls.header_raw.startswith("! Dates conducted !! Pollster")
    event, nspm = polls.rows[0], polls.rows[1]
    assert (event.row_index, event.line, nspm.row_index, nspm.line) == (1, 30, 2, 32)
    assert event.raw_text.startswith('style="background:#EEEEEE"\n| 7 March 2024 ||')
    assert [cell.origin for cell in event.cells] == ["source", "source"] + ["colspan"] * 6
    assert nspm.raw_text.startswith('| data-sort-value="2024-02" | February 2024\n')
    assert nspm.raw_text.endswith('| style="background:#F8C1BE" | 77%')
    date, pollster, client, sample = nspm.cells[:4]
    assert (date.text, date.sort_value) == ("February 2024", "2024-02")
    assert pollster.raw == "[[New Serbian Political Thought|NSPM]]" and pollster.text == "NSPM"
    assert client.raw == "" and client.text == ""
    assert sample.text == "1000" and sample.notes == ("NSPM survey of February 2024.",)
    assert nspm.cells[5].raw == "style=\"background:#F8C1BE\" | '''84.6%'''"
    assert nspm.cells[5].text == "84.6%"
    assert polls.rows[9].cells[3].text == "1228"  # {{nts|1228}}
    assert article.tables[1].section_path == ("Relationship timeline",)
    assert article.unknown_templates == {}  # the infobox is outside every table


# --- the UK poll rows --------------------------------------------------------------------------

UK_EXPECTED = {
    2020: (
        13,
        ["10–14 December 2020", "Kantar", "N/A", "1,137", "32%", "34%", "34%", "2%"],
        ["4–5 February 2020", "YouGov", "Handelsblatt", "1,578", "42%", "40%", "20%", "2%"],
    ),
    2021: (
        24,
        ["23 December 2021", "Opinium", "The Observer", "1,904", "41%", "42%", "17%", "1%"],
        ["18–19 January 2021", "YouGov", "Eurotrack", "1,697", "42%", "40%", "18%", "2%"],
    ),
    2022: (
        35,
        ["21–22 December 2022", "Omnisis", "N/A", "1,243", "45%", "32%", "23%", "13%"],
        ["17–18 January 2022", "YouGov", "N/A", "1,695", "42%", "39%", "19%", "3%"],
    ),
}


@pytest.mark.parametrize("year", sorted(UK_EXPECTED))
def test_uk_poll_rows(year: int) -> None:
    count, first, last = UK_EXPECTED[year]
    table = only_table(uk_table(year))
    assert table.header == UK_COLUMNS
    assert len(table.rows) == count
    assert [row.row_index for row in table.rows] == list(range(1, count + 1))
    assert all(len(row.cells) == 8 for row in table.rows)
    assert all(
        cell.origin == "source" and not cell.is_header for r in table.rows for cell in r.cells
    )
    assert texts(table.rows[0].cells) == first
    assert texts(table.rows[-1].cells) == last
    assert table.rows[0].line == 4 and table.rows[0].cells[0].raw.startswith("{{opdrts|")
    leads = [cell for row in table.rows for cell in row.cells if cell.raw.startswith("style=")]
    assert leads and all("'''" not in cell.text and "style" not in cell.text for cell in leads)


def test_uk_bold_leader_cell_and_single_day_dates() -> None:
    table = only_table(uk_table(2022))
    leader = table.rows[-1].cells[4]
    assert leader.raw == "style=\"background:#DDE0EE\"|'''42%'''" and leader.text == "42%"
    table_2021 = only_table(uk_table(2021))
    assert table_2021.rows[0].cells[0].raw == "{{opdrts||23|Dec|2021|year}}"
    assert table_2021.rows[0].cells[0].text == "23 December 2021"
    assert "Tie" in [row.cells[7].text for row in table_2021.rows]


# --- Help:Table --------------------------------------------------------------------------------


def _example_regions(text: str) -> list[tuple[int, int]]:
    """Line ranges of <pre>, <nowiki> and <tt> blocks, found independently of the module."""
    regions = []
    for match in re.finditer(r"<(pre|nowiki|tt)\b[^>]*>.*?</\1>", text, re.S):
        regions.append(
            (text.count("\n", 0, match.start()) + 1, text.count("\n", 0, match.end()) + 1)
        )
    return regions


def test_help_table_counts_only_the_real_tables() -> None:
    text = HELP.read_text(encoding="utf-8")
    article = parse(text, HELP.name)
    assert len(re.findall(r"(?m)^\{\|", text)) == 98  # what the README counts, examples included
    assert len(article.tables) == 62
    assert [table.table_index for table in article.tables] == list(range(1, 63))
    regions = _example_regions(text)
    for table in article.tables:
        assert not any(start <= table.line <= end for start, end in regions), table.line
    # Captions and cells that only the examples inside <pre>/<nowiki> have:
    assert sum(table.caption == "Multiplication table" for table in article.tables) == 4
    every_text = {cell.text for table in article.tables for row in table.rows for cell in row.cells}
    assert "row two, column one" not in every_text  # only in the <pre> of "Conditional table row"
    header_raws = {table.header_raw for table in article.tables}
    assert not any('width="225" | Effect' in raw for raw in header_raws)  # the <pre> version
    assert any('style="width: 225px;" | Effect' in raw for raw in header_raws)


def test_help_table_inline_cells() -> None:
    first = read(HELP).tables[0]
    assert first.line == 35 and first.section_path == ("Using the toolbar",)
    assert first.header == ["Header 1", "Header 2", "Header 3"]  # `!!`
    assert [texts(row.cells) for row in first.rows] == [
        [f"row {number}, cell {cell}" for cell in (1, 2, 3)] for number in (1, 2, 3)
    ]  # `||`


def test_help_table_row_headers_and_single_pipes() -> None:
    tables = {table.line: table for table in read(HELP).tables}
    pipes = tables[49]
    assert pipes.header == ["Column heading 1", "Column heading 2", "Column heading 3"]
    assert [[cell.is_header for cell in row.cells] for row in pipes.rows] == [
        [True, False, False]
    ] * 2
    merged = tables[107]  # "no more than 2 single pipes on a line"
    assert texts(merged.rows[0].cells) == [
        "These all |(including the pipes)|go into |the first cell"
    ]
    assert merged.header == [""]


def test_help_table_nested_tables() -> None:
    tables = {table.line: table for table in read(HELP).tables}
    outer = tables[794]
    nested = [tables[line] for line in (798, 806, 810, 815, 819)]
    assert [table.table_index for table in nested] == [
        outer.table_index + offset for offset in range(1, 6)
    ]
    assert texts(outer.rows[0].cells) == ["α", "cell2", "the original table again", "", ""]
    assert "{|" in outer.rows[0].cells[1].raw  # the nested table stays in the raw source
    assert [texts(row.cells) for row in nested[0].rows] == [["NESTED"], ["TABLE"]]
    assert texts(nested[2].rows[0].cells) == ["B", "B"]
    melange, inner = tables[636], tables[651]
    assert melange.caption == "An example table" and inner.caption == "A table in a table"
    assert texts(melange.rows[2].cells) == ["", "", ""]  # the cell holding the inner table
    assert texts(inner.rows[1].cells) == ["Two Wikipedia logos"] * 2
    decimal = tables[974]
    assert len(decimal.rows) == 3 and [texts(tables[line].rows[0].cells) for line in (976, 982, 988)] == [
        ["432", ".1"], ["43", ".21"], ["4", ".321"]
    ]  # fmt: skip


def test_help_table_rowspan_and_colspan() -> None:
    table = {table.line: table for table in read(HELP).tables}[849]
    assert table.header == ["", "", ""]  # no row of header cells
    grid = [[(cell.text, cell.origin) for cell in row.cells] for row in table.rows]
    assert grid == [
        [("Column 1", "source"), ("Column 2", "source"), ("Column 3", "source")],
        [("A", "source"), ("B", "source"), ("B", "colspan")],
        [("A", "rowspan"), ("C", "source"), ("D", "source")],
        [("E", "source"), ("F", "source"), ("F", "colspan")],
        [("G", "source"), ("F", "rowspan"), ("F", "rowspan")],
        [("H", "source"), ("H", "colspan"), ("H", "colspan")],
    ]
    melange = {table.line: table for table in read(HELP).tables}[636]
    assert melange.header == ["First header", "Second header", "Second header"]
    assert [cell.origin for cell in melange.rows[1].cells] == ["source", "source", "rowspan"]


def test_help_table_corner_cell_and_late_header_row() -> None:
    table = {table.line: table for table in read(HELP).tables}[1406]
    assert table.header == ["", "XHTML", "Wiki-pipe"]  # an empty data cell in the corner
    assert texts(table.rows[-1].cells) == ["", "XHTML", "Wiki-pipe"]  # a header row at the end
    assert table.rows[0].cells[2].raw == "<pre>{|\n|}</pre>"  # not a nested table


# --- rugby, earthquakes, mythbusters -----------------------------------------------------------


def test_rugby_results_rows_start_with_a_row_header() -> None:
    article = read(RUGBY)
    overall, records, results = article.tables
    assert results.section_path == ("Results",) and results.line == 84
    assert results.header == [
        "No.", "Date", "Venue", "Score", "Winner", "Competition", "Match report",
    ]  # fmt: skip
    assert len(results.rows) == 122
    assert all(row.cells[0].is_header for row in results.rows)
    assert not any(cell.is_header for row in results.rows for cell in row.cells[1:])
    assert [row.cells[0].text for row in results.rows] == [str(n) for n in range(122, 0, -1)]
    assert texts(results.rows[0].cells) == [
        "122", "25 February 2017", "Murrayfield, Edinburgh", "29–13", "SCO", "2017 Six Nations",
        "",
    ]  # fmt: skip
    assert results.rows[-1].cells[1].text == "8 January 1883"
    assert article.unknown_templates == {"ru": 121}


def test_rugby_colspan_sub_headers_and_totals_row() -> None:
    overall, records, _ = read(RUGBY).tables
    assert overall.header[2:4] == ["Won by SCO", "Won by WAL"]
    totals = overall.rows[-1]
    assert totals.css_class == "sortbottom"
    assert texts(totals.cells) == ["Overall", "122", "49", "70", "3", "1263", "1624"]
    assert records.header == ["Record", "Scotland", "Wales"] and len(records.rows) == 7
    sub_header = records.rows[1]
    assert [(cell.text, cell.origin, cell.is_header) for cell in sub_header.cells] == [
        ("Largest points for", "source", True),
        ("Largest points for", "colspan", True),
        ("Largest points for", "colspan", True),
    ]


def test_earthquakes_dates_in_link_text_unnamed_headers_comments() -> None:
    article = read(EARTHQUAKES)
    (table,) = article.tables
    assert table.section_path == ("List",)
    assert table.header == [
        "Date", "Time‡", "Place", "Lat", "Lon", "Deaths", "M", "", "I", "Comments", "",
    ]  # fmt: skip
    assert "<!--" in table.header_raw and "Intensity" not in "".join(table.header)
    assert len(table.rows) == 35
    first = table.rows[0]
    assert first.cells[0].raw == "[[1663 Charlevoix earthquake|1663-02-05]]"
    assert first.cells[0].text == "1663-02-05" and first.line == 19
    assert first.cells[2].text == "Charlevoix–Kamouraska Region, QC"
    assert table.rows[3].cells[0].text == "1791-12-06"
    assert all(len(row.cells) == 11 for row in table.rows)


def test_mythbusters_parses_and_keeps_the_row_template() -> None:
    article = read(MYTHBUSTERS)
    assert len(article.tables) == 8
    overview = article.tables[0]
    assert overview.header == ["Series #", "Season #", "Title", "Original airdate"]
    (row,) = overview.rows  # {{Episode list}} writes a row we cannot see: kept as one cell
    assert len(row.cells) == 1 and row.cells[0].raw.startswith("{{Episode list")
    assert row.cells[0].raw.endswith("}}") and row.line == 14
    assert article.unknown_templates.get("Episode list") == 1
    broadcast = article.tables[-1]
    assert broadcast.header == ["Date broadcast", "Myths"] and len(broadcast.rows) == 13


# --- the grid rules ----------------------------------------------------------------------------


def test_several_header_rows_combine_into_one_label_per_column() -> None:
    table = only_table(
        "{| class=wikitable\n"
        '! rowspan="3" | Polling firm !! rowspan="3" | Date !! colspan="2" | Lead\n'
        "|-\n"
        '! style="background:red" | !! style="background:blue" |\n'
        "|-\n"
        "! Lab !! Con\n"
        "|-\n"
        '| rowspan="2" | YouGov || 1 May || 40% || 30%\n'
        "|-\n"
        "| 8 May || 41% || 29%\n"
        "|}"
    )
    assert table.header == ["Polling firm", "Date", "Lead Lab", "Lead Con"]
    assert table.header_raw.startswith('! rowspan="3"') and table.header_raw.endswith(
        "! Lab !! Con"
    )
    assert [texts(row.cells) for row in table.rows] == [
        ["YouGov", "1 May", "40%", "30%"],
        ["YouGov", "8 May", "41%", "29%"],
    ]
    assert [row.row_index for row in table.rows] == [1, 2]
    assert table.rows[1].cells[0].origin == "rowspan" and table.rows[1].line == 10


def test_a_colspan_parent_over_nothing_keeps_its_label() -> None:
    table = only_table("{|\n! colspan=2 | Lead !! Other\n|-\n! A\n|-\n| 1 || 2 || 3\n|}")
    assert table.header == ["Lead A", "Lead", "Other"]


def test_attributes_sort_values_and_templates_at_line_start() -> None:
    table = only_table(
        "{|\n"
        "! Date !! Value\n"
        "|-\n"
        '| data-sort-value="2023-09-16" | {{sort|2023-09-01|16/9}} || [[a|b|c]] x\n'
        "|-\n"
        "| {{sort|2023-10-01|1/10}} || 42%\n"
        "{{efn|a footnote on its own line}}\n"
        "|-\n"
        "|\n"
        "{{yes}}\n"
        "|}"
    )
    first, second, third = table.rows
    assert (first.cells[0].text, first.cells[0].sort_value) == ("16/9", "2023-09-16")
    assert first.cells[1].text == "b|c x"  # the pipe inside [[…]] splits nothing
    assert second.cells[0].sort_value == "2023-10-01"
    assert second.cells[1].text == "42%" and second.cells[1].notes == (
        "a footnote on its own line",
    )
    assert texts(third.cells) == ["Yes"]  # a template alone on the line after an empty cell


def test_templates_in_attributes_and_pipes_inside_templates() -> None:
    table = only_table(
        ":{| class=wikitable\n"
        '|+ style="font-size:90%" | Polls <ref>note</ref>\n'
        "! Pollster !! Lab !! Con\n"
        "|-\n"
        "| [[YouGov]] || style=\"background:{{party color|Labour}}\" | '''40%''' "
        "|| {{party shading/Conservative}} | {{sort|30|30%}}\n"
        "|}"
    )
    assert table.caption == "Polls"
    cells = table.rows[0].cells
    assert texts(cells) == ["YouGov", "40%", "30%"]
    assert cells[2].raw == "{{party shading/Conservative}} | {{sort|30|30%}}"
    assert cells[2].sort_value == "30"


def test_table_attributes_and_empty_rows_are_not_rows() -> None:
    table = only_table('{| class="wikitable"\nstyle="x"\n|-\n|-\n|-----\n| a\n|-\n|}\n')
    assert [texts(row.cells) for row in table.rows] == [["a"]]
    assert table.header == [""] and table.header_raw == ""


def test_short_rows_are_not_padded() -> None:
    table = only_table("{|\n! A !! B !! C\n|-\n| 1 || 2 || 3\n|-\n| 4\n|}")
    assert [len(row.cells) for row in table.rows] == [3, 1]


def test_a_hole_left_by_a_rowspan_is_filled_to_keep_columns() -> None:
    table = only_table("{|\n| a || b || rowspan=2 | c\n|-\n| d\n|}")
    assert [(cell.text, cell.origin) for cell in table.rows[1].cells] == [
        ("d", "source"), ("", "source"), ("c", "rowspan"),
    ]  # fmt: skip


def test_row_and_cell_markers_may_be_indented_and_doubled() -> None:
    table = only_table("{|\n  |-\n      ! scope=row | h\n    || x\n  !! y\n|}")
    assert [(cell.text, cell.is_header) for cell in table.rows[0].cells] == [
        ("h", True), ("x", False), ("y", True),
    ]  # fmt: skip


# --- header labels from images and party colours ---------------------------------------------

FRANCE = FIXTURES / "markup" / "france-2019-european-polls-excerpt.wiki"
# The labels the French table's header had before images and colours could name a column: its
# second header row is colour swatches (`{{party color|…}}`) under named columns, which keep
# their names exactly (the `<br>` inside "PS/<br>PP/ND" reads as a space).
FRANCE_HEADER = [
    "Polling firm", "Fieldwork date", "Sample size", "Abs.", "LO", "NPA", "FI", "PCF", "PS/ PP/ND",
    "G.s", "EELV", "GE/MEI/ MdP", "PA", "LREM/ MoDem", "UDI", "Agir", "LR/ LC", "DLF", "RN", "LP",
    "UPR", "R!", "AJ/GJ", "DIV",
]  # fmt: skip


def test_named_columns_over_colour_swatches_keep_their_names() -> None:
    table = read(FRANCE).tables[0]
    assert table.header == FRANCE_HEADER
    election, ipsos, harris = table.rows
    assert texts(ipsos.cells)[:4] == ["Ipsos", "24 May 2019", "5,877", "53%"]
    assert texts(harris.cells)[:3] == ["Harris Interactive", "23–24 May 2019", "1,015"]
    assert harris.cells[0].notes == () and read(FRANCE).unknown_templates == {}


# The header cells below are written as the lead engineer's brief quotes real UK poll tables.
CON_LOGO = "[[File:Conservative logo 2021.svg|110px|link=Conservative Party (UK)|alt=Conservative]]"
LAB_LOGO = "[[File:X.png|50px|link=Labour Party (UK)]]"


def test_a_column_shown_only_by_a_logo_is_named_by_its_link_or_alt() -> None:
    table = only_table(
        "{| class=wikitable\n"
        f"! Pollster !! {CON_LOGO} !! {LAB_LOGO} !! [[File:Y.png|50px|alt=Reform UK]]\n"
        "|-\n"
        "| [[File:Flag of the United Kingdom.svg|20px|link=United Kingdom]] YouGov || 25% || 45% || 15%\n"
        "|}"
    )
    assert table.header == ["Pollster", "Conservative Party (UK)", "Labour Party (UK)", "Reform UK"]
    (row,) = table.rows
    assert texts(row.cells) == ["YouGov", "25%", "45%", "15%"]  # a flag in data: decoration
    assert all(cell.label_hint is None for cell in row.cells)


def test_a_column_shown_only_by_its_colour_is_named_by_the_party() -> None:
    table = only_table(
        "{| class=wikitable\n"
        "! Pollster\n"
        '! style="background:{{party color|Labour Party (UK)}};"|\n'
        '! style="background:{{Party colour|Conservative Party (UK)}}; width:40px"|\n'
        "! {{Party shading/Liberal Democrats}} |\n"
        "! {{party color|Lutte Ouvrière}}\n"
        '! style="background:#578937;"|\n'
        "|-\n"
        "| YouGov || 45% || 25% || 10% || 1% || 2%\n"
        "|}"
    )
    assert table.header == [
        "Pollster", "Labour Party (UK)", "Conservative Party (UK)", "Liberal Democrats",
        "Lutte Ouvrière", "",
    ]  # fmt: skip


def test_image_labels_come_before_colours_and_text_before_both() -> None:
    table = only_table(
        "{| class=wikitable\n"
        f'! style="background:{{{{party color|Labour Party (UK)}}}}" | {CON_LOGO}\n'
        '! style="background:{{party color|Labour Party (UK)}}" |\n'
        f"! {LAB_LOGO} Labour\n"
        "|-\n"
        f'! style="background:{{{{party color|Green Party}}}}" | !! {LAB_LOGO} !! \n'
        "|-\n"
        "| 1 || 2 || 3\n"
        "|}"
    )
    assert table.header == ["Conservative Party (UK)", "Labour Party (UK)", "Labour"]


def test_a_logo_spanning_columns_names_each_and_copies_are_counted_once() -> None:
    table = only_table(
        "{| class=wikitable\n"
        f"! rowspan=2 | Date !! colspan=2 | {LAB_LOGO}\n"
        "|-\n"
        "! !!\n"
        "|-\n"
        "| 1 May || 40% || 41%\n"
        "|}"
    )
    assert table.header == ["Date", "Labour Party (UK)", "Labour Party (UK)"]


def test_a_group_over_its_columns_keeps_one_label_per_column() -> None:
    table = only_table(
        "{| class=wikitable\n"
        "! rowspan=2 | Pollster !! colspan=2 | Remain\n"
        "|-\n"
        "! Yes !! No\n"
        "|-\n"
        "| Ipsos || 52% || 48%\n"
        "|}"
    )
    assert table.header == ["Pollster", "Remain Yes", "Remain No"]


def test_an_image_in_a_row_header_cell_gives_no_column_label() -> None:
    table = only_table(f"{{|\n! A !! B\n|-\n! {LAB_LOGO} || 40%\n|}}")
    assert table.header == ["A", "B"]
    assert table.rows[0].cells[0].text == "" and table.rows[0].cells[0].is_header


# --- templates after a pollster, inner sort keys -----------------------------------------------


def test_an_archive_template_on_the_line_after_a_pollster_is_cell_content_not_a_row() -> None:
    table = only_table(
        "{|\n! Pollster !! Share\n|-\n| [http://x.org Ipsos]\n"
        "{{Webarchive|url=https://web.archive.org/web/2019/http://x.org|date=24 May 2019}}\n"
        "{{Dead link|date=August 2025 |bot=InternetArchiveBot |fix-attempted=yes }}\n"
        "| 25%\n|}"
    )
    (row,) = table.rows
    assert texts(row.cells) == ["Ipsos", "25%"] and row.cells[0].notes == ("Dead link",)


def test_an_inner_span_sort_value_when_the_cell_has_none() -> None:
    table = only_table(
        "{|\n! Date !! Pollster\n|-\n"
        '| <span data-sort-value="2019-05-24">24 May 2019</span> || Ipsos\n|-\n'
        '| data-sort-value="2019-05-26" | <span data-sort-value="2019-05-24">24 May</span> || Elabe\n'
        "|-\n"
        '| 24 May 2019 || <span style="color:red">BVA</span>\n'
        "|}"
    )
    first, second, third = table.rows
    assert (first.cells[0].text, first.cells[0].sort_value) == ("24 May 2019", "2019-05-24")
    assert second.cells[0].sort_value == "2019-05-26"  # the cell's own attribute wins
    assert [cell.sort_value for cell in third.cells] == [None, None]


def test_an_inner_span_sort_value_in_a_flattened_line() -> None:
    line = '| <span data-sort-value="2019-05-24">24 May 2019</span> | Ipsos | <s>24%</s> 25% |'
    cells = split_pipe_row(line)
    assert len(cells) == 3
    date, pollster, share = (render_cell(cell) for cell in cells)
    assert (date.text, date.sort_value) == ("24 May 2019", "2019-05-24")
    assert pollster.sort_value is None
    assert (share.text, share.notes) == ("25%", ["struck out: 24%"])
    table = parse_article_text("= T =\n| Date | Pollster | Share |\n" + line + "\n", "x.txt")
    assert table.tables[0].rows[0].cells[0].sort_value == "2019-05-24"


# --- robustness --------------------------------------------------------------------------------


def test_unclosed_table_runs_to_the_end() -> None:
    table = only_table('{| class="wikitable"\n! A !! B\n|-\n| 1 || 2\n|-\n| 3 || 4')
    assert [texts(row.cells) for row in table.rows] == [["1", "2"], ["3", "4"]]


def test_unclosed_table_ends_at_the_next_heading() -> None:
    article = parse("{|\n| a\n== Next ==\n{|\n| b\n|}\n")
    assert [[texts(row.cells) for row in table.rows] for table in article.tables] == [
        [["a"]], [["b"]],
    ]  # fmt: skip
    assert article.tables[1].section_path == ("Next",)


def test_a_heading_inside_a_closed_table_does_not_close_it() -> None:
    article = parse("{|\n| a\n== Inside ==\n| b\n|}\n")
    (row,) = article.tables[0].rows  # the heading sits in the first cell, as MediaWiki shows it
    assert row.cells[0].raw == "a\n== Inside ==" and row.cells[1].text == "b"
    assert [section.title for section in article.sections] == ["Inside"]


@pytest.mark.parametrize("value", ["abc", "-2", "", '"x2"'])
def test_rowspan_that_is_no_number_counts_as_one(value: str) -> None:
    table = only_table(f"{{|\n| rowspan={value} | a || b\n|-\n| c || d\n|}}")
    assert [texts(row.cells) for row in table.rows] == [["a", "b"], ["c", "d"]]


def test_huge_rowspan_is_clamped_to_the_table() -> None:
    table = only_table("{|\n| rowspan=99999 | a || b\n|-\n| c\n|-\n| d\n|}")
    assert [[(cell.text, cell.origin) for cell in row.cells] for row in table.rows] == [
        [("a", "source"), ("b", "source")],
        [("a", "rowspan"), ("c", "source")],
        [("a", "rowspan"), ("d", "source")],
    ]


def test_rowspan_zero_runs_to_the_end_and_huge_colspan_is_clamped() -> None:
    table = only_table("{|\n| rowspan=0 | a || colspan=99999 | b\n|-\n| c\n|-\n| d\n|}")
    assert [texts(row.cells)[:2] for row in table.rows] == [["a", "b"], ["a", "c"], ["a", "d"]]
    # colspan is clamped to 1000, and the grid to 1000 columns in all.
    assert len(table.rows[0].cells) == MAX_GRID_COLUMNS


def test_tables_in_pre_nowiki_source_code_and_comments_are_not_tables() -> None:
    article = parse(
        "<pre>\n{|\n| in pre\n|}\n</pre>\n"
        "<nowiki>\n{|\n| in nowiki\n|}\n</nowiki>\n"
        '<syntaxhighlight lang="text">\n{|\n| in syntaxhighlight\n|}\n</syntaxhighlight>\n'
        "<source>\n{|\n| in source\n|}\n</source>\n"
        "<code>\n{|\n| in code\n|}\n</code>\n"
        "<!--\n{|\n| in a comment\n|}\n-->\n"
        "{|\n| real\n|}\n"
    )
    assert [texts(row.cells) for table in article.tables for row in table.rows] == [["real"]]


def test_an_unclosed_tag_is_text_and_an_unclosed_comment_hides_the_rest() -> None:
    assert len(parse("<pre>\n{|\n| a\n|}\n").tables) == 1
    assert parse("<!--\n{|\n| a\n|}\n").tables == []
    assert mask_opaque("a<!--b\nc-->d") == "a     \n    d"


def test_caption_only_empty_and_stray_close() -> None:
    caption_only = only_table("{|\n|+ Just a caption\n|}")
    assert (caption_only.caption, caption_only.header, caption_only.rows) == (
        "Just a caption", [], [],
    )  # fmt: skip
    empty = only_table("{|\n|}")
    assert (empty.header, empty.rows, empty.caption) == ([], [], "")
    stray = parse("text\n|}\n| not a cell\n")
    assert stray.tables == [] and stray.title == "test"


def test_nul_is_refused_for_the_whole_article() -> None:
    with pytest.raises(ArticleError) as raised:
        parse("{|\n| a\n| b\x00c\n|}")
    assert raised.value.line == 3 and raised.value.source_path == "test.wiki"


def test_a_cell_whose_markup_cannot_be_read_is_kept_and_flagged(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(source: str) -> None:
        raise MarkupError("the wikitext parser did not give back the text it was given")

    monkeypatch.setattr(wikitext, "render_cell", refuse)
    table = only_table("{|\n| <pre>[[a|b]] {{c}}</pre> || d\n|}")
    cell = table.rows[0].cells[0]
    assert cell.text == "pre a b c /pre" and cell.notes == (UNPARSED_NOTE,)
    assert len(table.rows[0].cells) == 2  # the rest of the row is read as usual


def test_deeply_nested_tables_do_not_recurse() -> None:
    depth = 200
    article = parse("{|\n|\n" * depth + "| deepest\n" + "|}\n" * depth)
    assert len(article.tables) == depth
    assert texts(article.tables[-1].rows[0].cells) == ["", "deepest"]
    assert texts(article.tables[0].rows[0].cells) == [""]


def test_deeply_nested_templates_do_not_recurse() -> None:
    cell = only_table("{|\n| " + "{{a|" * 500 + "x" + "}}" * 500 + "\n|}").rows[0].cells[0]
    assert cell.raw.startswith("{{a|{{a|")


@pytest.mark.parametrize(
    "broken",
    [
        "{|\n| {{a\n| b\n|}",  # a template never closed: its `{{` is text
        "{|\n| [[a\n| b || c\n|}",
        "{|\n! a !! b\n|-\n|}}\n{{\n|}",
        "{|{|{|\n|-|-\n||||\n!!!!\n|+|+\n|}|}|}",
        "=\n==\n= =\n====== a ======\n======= b =======\n{|\n| a\n|}",
        "{|\n| <ref>a\n|}",
    ],
)
def test_broken_markup_never_crashes(broken: str) -> None:
    article = parse(broken)
    assert all(isinstance(table, SourceTable) for table in article.tables)


def test_headings_title_and_sections() -> None:
    article = parse(
        "Intro\n= The Title =\n== A ==\n=== A.1 ===<!-- c -->\n==B==\n= Second =\n== C ==\n",
        "some_file.wiki",
    )
    assert article.title == "The Title"
    assert [(s.level, s.title, s.line, s.path) for s in article.sections] == [
        (2, "A", 3, ("A",)),
        (3, "A.1", 4, ("A", "A.1")),
        (2, "B", 5, ("B",)),
        (1, "Second", 6, ("Second",)),
        (2, "C", 7, ("Second", "C")),
    ]
    assert parse("== A ==\n", "some_file.wiki").title == "some file"


@pytest.mark.parametrize(
    ("source_path", "title"),
    [
        ("some_file.wiki", "some file"),
        ("a__b.wiki", "a b"),
        ("nested/dir/_Serbia_–_NATO__relations_.txt", "Serbia – NATO relations"),
        ("tabs\tand  spaces.wiki", "tabs and spaces"),
    ],
)
def test_title_from_path_collapses_underscores_and_spaces(source_path: str, title: str) -> None:
    assert title_from_path(source_path) == title
    assert parse("== A ==\n", source_path).title == title


# --- speed -------------------------------------------------------------------------------------


def _best(function: object, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


@pytest.mark.parametrize("path", [HELP, RUGBY, EARTHQUAKES], ids=lambda path: path.stem[:20])
def test_faster_than_parsing_the_whole_page(path: Path) -> None:
    """A loose bound (the benchmark asks for 3x): scanning must clearly beat one full parse."""
    text = path.read_text(encoding="utf-8")
    whole = _best(lambda: mwparserfromhell.parse(text))
    ours = _best(lambda: parse(text))
    assert ours * 1.5 < whole, (ours, whole)


def test_broken_markup_stays_linear() -> None:
    """Unclosed constructs that make a whole-page parse super-linear cost the scan little."""
    row = "|-\n| {{a|[[b|'''c <ref>d\n| e || [[f]] || {{g|h}}\n"
    small, large = (parse("{|\n" + row * count + "|}") for count in (200, 800))
    assert len(large.tables[0].rows) == 4 * len(small.tables[0].rows)
    duration = _best(lambda: parse("{|\n" + row * 800 + "|}"), repeat=1)
    assert duration < 2.0


def test_a_header_cell_spanning_columns_groups_them_into_one_question():
    text = """{| class="wikitable"
! rowspan=2 | Date !! rowspan=2 | Polling firm !! colspan=2 | Zapatero !! colspan=2 | Rajoy
|-
! Approval !! Disapproval !! Approval !! Disapproval
|-
| 15–19 Dec 2008 || Noxa || 56.0% || 41.0% || 35.0% || 62.0%
|}"""
    (table,) = parse_wikitext_article(text, "groups.wiki", "").tables
    assert table.header == [
        "Date", "Polling firm", "Zapatero Approval", "Zapatero Disapproval", "Rajoy Approval",
        "Rajoy Disapproval",
    ]  # fmt: skip
    assert table.column_groups == ["", "", "Zapatero", "Zapatero", "Rajoy", "Rajoy"]


def test_a_year_row_below_the_header_is_not_a_label():
    text = """{| class="wikitable"
! Date !! Pollster !! Yes !! No
|-
! colspan=4 | 2023
|-
| 3 March || Ipsos || 55% || 45%
|}"""
    (table,) = parse_wikitext_article(text, "years.wiki", "").tables
    assert table.header == ["Date", "Pollster", "Yes", "No"]
    assert [cell.text for cell in table.rows[0].cells] == ["2023"] * 4
