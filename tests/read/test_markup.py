"""Tests for flows.read.markup: a cell's markup to the text a reader sees, footnotes and templates aside."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from flows.read import fast_markup, markup, wikitext
from flows.read import flattened as flattened_reader
from flows.read.files import parse_article_file
from flows.read.markup import (
    CITATION_TEMPLATES,
    CLEANUP_TEMPLATES,
    FOOTNOTE_TEMPLATES,
    TEMPLATES,
    MarkupError,
    RenderedCell,
    parse_markup,
    render_cell,
    render_cell_with_parser,
)
from flows.read.wikitext import parse_wikitext_article
from flows.shape.dates import DateParseError, parse_date_span
from tests.conftest import FIXTURES, SAMPLE

CORPUS = FIXTURES / "corpus"
BOTH_READERS = pytest.mark.parametrize(
    "render", [render_cell, render_cell_with_parser], ids=["render_cell", "with_parser"]
)


def text_of(source: str) -> str:
    return render_cell(source).text


# --- plain text -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("NSPM", "NSPM"),
        ("7.6%", "7.6%"),
        ("  Institute for European Affairs  ", "Institute for European Affairs"),
        ("two  spaces", "two spaces"),
        ("tab\tand\nnewline", "tab and newline"),
        ("no\u00a0break", "no break"),
        ("thin\u2009space", "thin space"),
        ("narrow\u202fspace", "narrow space"),
        ("zero\u200bwidth", "zero width"),
        ("", ""),
        ("   ", ""),
        ("24 February 2022", "24 February 2022"),
        ("Russia invades Ukraine", "Russia invades Ukraine"),
    ],
)
def test_plain_text_is_kept_with_spaces_collapsed(source: str, expected: str) -> None:
    assert render_cell(source) == RenderedCell(text=expected)


@pytest.mark.parametrize("source", ["NSPM", "1,228", "84.6%", "7 March 2024", "a | b"])
def test_plain_text_has_no_notes_unknown_templates_or_sort_value(source: str) -> None:
    rendered = render_cell(source)
    assert rendered.notes == []
    assert rendered.unknown_templates == []
    assert rendered.sort_value is None


# --- links --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("[[Ninamedia Research|Ninamedia]]", "Ninamedia"),
        ("[[NSPM]]", "NSPM"),
        ("[[Serbia–NATO relations]]", "Serbia–NATO relations"),
        ("[[Foo|'''Bar''']]", "Bar"),
        ("[[Gallup (company)|Gallup]] poll", "Gallup poll"),
        ("[[:Foo]]", "Foo"),
        ("[[A|B]] and [[C]]", "B and C"),
        ("[http://example.org Opinium]", "Opinium"),
        ("[http://example.org]", ""),
    ],
)
def test_links_render_as_their_label_or_target(source: str, expected: str) -> None:
    assert text_of(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("[[File:Flag of Serbia.svg|20px]] Serbia", "Serbia"),
        ("[[file:x.png]]Serbia", "Serbia"),
        ("[[Image:x.jpg|thumb|a caption]]", ""),
        ("[[image:x.jpg]]", ""),
        ("Serbia[[Category:Foreign relations of Serbia]]", "Serbia"),
        ("[[category:x]]", ""),
    ],
)
def test_file_image_and_category_links_are_dropped(source: str, expected: str) -> None:
    assert text_of(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [("[[:Category:Polls]]", "Category:Polls"), ("[[:File:Chart.png|chart]]", "chart")],
)
def test_colon_prefixed_category_and_file_links_are_shown(source: str, expected: str) -> None:
    assert text_of(source) == expected


# --- formatting, entities, tags, comments --------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("'''bold'''", "bold"),
        ("''italic''", "italic"),
        ("'''''both'''''", "both"),
        ("'''46%'''", "46%"),
        ("''N/A''", "N/A"),
        ("''The Observer''", "The Observer"),
        ("'''[[NSPM]]'''", "NSPM"),
        ("Don't know", "Don't know"),
    ],
)
def test_bold_and_italic_quotes_are_removed(source: str, expected: str) -> None:
    assert text_of(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("a&nbsp;b", "a b"),
        ("&nbsp;5&nbsp;%", "5 %"),
        ("&#160;", ""),
        ("&amp;", "&"),
        ("&lt;&gt;", "<>"),
        ("&eacute;", "é"),
        ("1&ndash;2", "1–2"),
        ("&#8211;", "–"),
        ("&#x2212;5", "\u22125"),
        ("&minus;5", "\u22125"),
        ("a&thinsp;b", "a b"),
    ],
)
def test_html_entities_are_decoded(source: str, expected: str) -> None:
    assert text_of(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("a<br/>b", "a b"),
        ("a<br />b", "a b"),
        ("a<br>b", "a b"),
        ("Ninamedia<br/>(online)", "Ninamedia (online)"),
        ("a<hr/>b", "a b"),
        ("<small>x</small>", "x"),
        ('<span style="color:red">y</span>', "y"),
        ("<sub>2</sub>", "2"),  # `<sup>` is a footnote mark (below); `<sub>` is text
        ("x<references/>", "x"),
        ("<nowiki>{{x}}</nowiki>", "{{x}}"),
    ],
)
def test_html_tags(source: str, expected: str) -> None:
    assert text_of(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("a<!-- hidden -->b", "ab"),
        ("<!-- only a comment -->", ""),
        ("7.6%<!-- checked 2024 -->", "7.6%"),
        ("a <!-- x --> b", "a b"),
        ("<!-- {{efn|not a note}} -->1", "1"),
    ],
)
def test_comments_are_dropped(source: str, expected: str) -> None:
    rendered = render_cell(source)
    assert rendered.text == expected
    assert rendered.notes == []


@BOTH_READERS
@pytest.mark.parametrize(
    ("source", "text", "notes"),
    [
        ("<s>45%</s> 47%", "47%", ["struck out: 45%"]),
        ("<del>1,200</del> 1,250", "1,250", ["struck out: 1,200"]),
        ("<strike>YouGov</strike> Opinium", "Opinium", ["struck out: YouGov"]),
        ("<S>45%</S>47%", "47%", ["struck out: 45%"]),
        ("'''<s>45%</s> 47%'''", "47%", ["struck out: 45%"]),
        ("<s>[[YouGov|YG]] 45%</s> 47%", "47%", ["struck out: YG 45%"]),
        ("<s>45%<ref>first release</ref></s> 47%", "47%", ["struck out: 45%", "first release"]),
        ("<s>45%{{efn|a typo}}</s> 47%", "47%", ["struck out: 45%", "a typo"]),
        ("<s> </s>47%", "47%", []),  # nothing struck, nothing noted
        ("47%<ref><s>45%</s> corrected</ref>", "47%", ["corrected struck out: 45%"]),
    ],
)
def test_struck_text_is_a_note_not_the_value(
    render: Callable[[str], RenderedCell], source: str, text: str, notes: list[str]
) -> None:
    rendered = render(source)
    assert (rendered.text, rendered.notes) == (text, notes)


@BOTH_READERS
@pytest.mark.parametrize(
    ("source", "text"),
    [("<u>45%</u>", "45%"), ("<ins>47%</ins>", "47%"), ("<small>45%</small> 47%", "45% 47%")],
)
def test_underlined_and_inserted_text_stays_text(
    render: Callable[[str], RenderedCell], source: str, text: str
) -> None:
    assert render(source) == RenderedCell(text=text)


@BOTH_READERS
@pytest.mark.parametrize(
    ("source", "text", "notes"),
    [
        ("45%<sup>a</sup>", "45%", ["a"]),
        ("1,005<sup>[3]</sup>", "1,005", ["[3]"]),
        ("45%<sup>[[#Notes|b]]</sup>", "45%", ["b"]),
        ("45%<sup>2</sup>", "45%", ["2"]),
        ("45% <sup>(R)</sup>", "45%", ["(R)"]),
        ("45%<SUP>a</SUP>", "45%", ["a"]),
        ("45%<sup>a<ref>the note</ref></sup>", "45%", ["a", "the note"]),
        ("45%<sup></sup>", "45%", []),
    ],
)
def test_sup_is_a_footnote_mark_not_digits(
    render: Callable[[str], RenderedCell], source: str, text: str, notes: list[str]
) -> None:
    rendered = render(source)
    assert (rendered.text, rendered.notes) == (text, notes)


@BOTH_READERS
@pytest.mark.parametrize(
    ("source", "text"),
    [
        ("CO<sub>2</sub>", "CO2"),  # `<sub>` is unchanged
        ("1<sup>st</sup> round", "1st round"),  # an ordinal suffix is text, not a mark
        ("2<sup>nd</sup>", "2nd"),
        ("3<sup>rd</sup>–4<sup>th</sup> May 2019", "3rd–4th May 2019"),
        ("1<sup>er</sup> tour", "1er tour"),
    ],
)
def test_sub_and_ordinal_suffixes_stay_text(
    render: Callable[[str], RenderedCell], source: str, text: str
) -> None:
    assert render(source) == RenderedCell(text=text)


@BOTH_READERS
@pytest.mark.parametrize(
    ("source", "sort_value"),
    [
        ('<span data-sort-value="2019-05-24">24 May 2019</span>', "2019-05-24"),
        ("<span data-sort-value='2019-05-24'>24 May 2019</span>", "2019-05-24"),
        ("<span data-sort-value=2019-05-24>24 May 2019</span>", "2019-05-24"),
        ('<span style="display:none" data-sort-value=" 0.5 ">x</span>', "0.5"),
        ('<span DATA-SORT-VALUE="a">x</span>', "a"),
        ('<span data-sort-value="a">x</span><span data-sort-value="b">y</span>', "a"),
        ("'''<span data-sort-value=\"a\">x</span>'''", "a"),
        ("{{nowrap|<span data-sort-value=2019-05-24>24 May</span>}}", "2019-05-24"),
        # A `{{sort}}` key is the cell's own, wherever it stands.
        ('<span data-sort-value="a">x</span>{{sort|b|y}}', "b"),
        ('{{sort|b|y}}<span data-sort-value="a">x</span>', "b"),
        # Not a sort key of the cell:
        ('<span title="data-sort-value">x</span>', None),
        ('<span data-sort-value="">x</span>', None),
        ("<span data-sort-value>x</span>", None),
        ('<span style="color:red">x</span>', None),
        ('x<ref><span data-sort-value="a">y</span></ref>', None),  # a footnote's key
        ('<s><span data-sort-value="a">y</span></s>', None),  # a struck value's key
    ],
)
def test_an_inner_data_sort_value_is_the_cell_sort_value(
    render: Callable[[str], RenderedCell], source: str, sort_value: str | None
) -> None:
    assert render(source).sort_value == sort_value


@pytest.mark.parametrize(
    "source",
    [
        '<span data-sort-value="2019-05-24">24 May 2019</span>',
        "<span style=\"display:none\" data-sort-value='x' title=y>z</span>",
        '<span title="data-sort-value">x</span>',
    ],
)
def test_a_plain_data_sort_value_is_read_by_the_fast_reader(source: str) -> None:
    nodes = fast_markup.read_markup(source)
    assert nodes is not None and isinstance(nodes[0], fast_markup.Tag)


@pytest.mark.parametrize(
    "source",
    [
        "<span data-sort-value=a data-sort-value=b>x</span>",  # which one? the parser says
        '<span data-sort-value="a"b>x</span>',  # one value, or two attributes?
        "<span data-sort-value=a`b>x</span>",
    ],
)
def test_a_data_sort_value_not_plainly_written_goes_to_the_parser(source: str) -> None:
    assert fast_markup.read_markup(source) is None
    assert render_cell(source) == render_cell_with_parser(source)


@BOTH_READERS
@pytest.mark.parametrize(
    ("source", "labels"),
    [
        (
            "[[File:Conservative logo 2021.svg|110px|link=Conservative Party (UK)|alt=Conservative]]",
            ["Conservative Party (UK)"],
        ),
        ("[[File:X.png|50px|link=Labour Party (UK)]]", ["Labour Party (UK)"]),
        ("[[File:X.png|50px|alt=Green Party]]", ["Green Party"]),
        ("[[File:X.png|alt=''Reform UK''|50px]]", ["Reform UK"]),
        ("[[Image:X.png|link=Liberal_Democrats_(UK)]]", ["Liberal Democrats (UK)"]),
        ("[[File:X.png|link=Labour Party (UK)#History|alt=Lab]]", ["Labour Party (UK)"]),
        ("[[File:X.png|link=|alt=Reform UK]]", ["Reform UK"]),  # no link: its alt text
        ("[[File:X.png| link = SNP |50px]]", ["SNP"]),
        ("[[file:X.png|link=SNP]]", ["SNP"]),
        (
            "[[File:A.svg|link=Plaid Cymru]] [[File:B.svg|link=Green Party of England and Wales]]",
            ["Plaid Cymru", "Green Party of England and Wales"],
        ),
        ("{{nowrap|[[File:X.png|link=SNP]]}}", ["SNP"]),
    ],
)
def test_an_image_shows_nothing_and_keeps_what_it_stands_for(
    render: Callable[[str], RenderedCell], source: str, labels: list[str]
) -> None:
    rendered = render(source)
    assert rendered.text == ""
    assert rendered.image_labels == labels
    assert rendered.notes == [] and rendered.unknown_templates == []


@BOTH_READERS
@pytest.mark.parametrize(
    ("source", "text"),
    [
        ("[[File:Flag of Serbia.svg|20px]] Serbia", "Serbia"),  # a flag: decoration, no label
        ("[[File:Flag of Serbia.svg]] Serbia", "Serbia"),
        ("[[File:X.png|thumb|a caption]]", ""),
        ("[[Category:Polls|link=X]]", ""),  # a category tag, not an image
        ("[[:File:Chart.png|link=X]]", "link=X"),  # a visible link to the file page
        ("[[Labour Party (UK)|Labour]]", "Labour"),  # a link, not an image
        # A URL names no page; mwparserfromhell reads the options after it as part of the URL.
        ("[[File:X.png|link=http://x.org/party|alt=SNP]]", ""),
        ("50px|link=Labour Party (UK)", "50px|link=Labour Party (UK)"),
        ("45%<ref>[[File:X.png|link=SNP]]</ref>", "45%"),  # inside a footnote
        ("<s>[[File:X.png|link=SNP]]</s>", ""),
    ],
)
def test_images_without_link_or_alt_and_other_links_give_no_image_label(
    render: Callable[[str], RenderedCell], source: str, text: str
) -> None:
    rendered = render(source)
    assert rendered.text == text
    assert rendered.image_labels == []


def test_images_struck_text_marks_and_inner_sort_keys_are_read_without_mwparserfromhell(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(source: str) -> None:
        raise AssertionError(f"parsed with mwparserfromhell: {source!r}")

    monkeypatch.setattr(markup, "parse_markup", refuse)
    rendered = render_cell(
        "[[File:Conservative logo 2021.svg|110px|link=Conservative Party (UK)|alt=Conservative]]"
        '<s>45%</s> <span data-sort-value="47">47%</span><sup>a</sup>'
    )
    assert rendered == RenderedCell(
        text="47%",
        notes=["struck out: 45%", "a"],
        sort_value="47",
        image_labels=["Conservative Party (UK)"],
    )


# --- footnotes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "text", "notes"),
    [
        ("46%<ref>poll says</ref>", "46%", ["poll says"]),
        ('46%<ref name="a">words here</ref>', "46%", ["words here"]),
        ("<ref group=n>grouped</ref>7", "7", ["grouped"]),
        ("46%<ref name=x/>", "46%", []),
        ('46%<ref name="x" />', "46%", []),
        ("<ref>a</ref><ref>b</ref>x", "x", ["a", "b"]),
        ("<ref>[[Ninamedia|Nina]] says</ref>1", "1", ["Nina says"]),
        ("<ref>[http://example.org Source page]</ref>1", "1", ["Source page"]),
        ("10%<ref>  spaced\n  out  </ref>", "10%", ["spaced out"]),
        ("10%<ref></ref>", "10%", []),
    ],
)
def test_ref_tags_go_to_notes_not_text(source: str, text: str, notes: list[str]) -> None:
    rendered = render_cell(source)
    assert rendered.text == text
    assert rendered.notes == notes
    for note in notes:
        assert note not in rendered.text


@pytest.mark.parametrize(
    ("source", "text", "notes"),
    [
        ("5{{efn|a note}}", "5", ["a note"]),
        ("5{{Efn|A note}}", "5", ["A note"]),
        ("5{{efn|name=n1|a note}}", "5", ["a note"]),
        ("5{{efn-ua|upper alpha}}", "5", ["upper alpha"]),
        ("5{{refn|group=n|note two}}", "5", ["note two"]),
        ("5{{sfn|Smith|2020|p=3}}", "5", ["Smith 2020"]),
        ("5{{sfnp|Smith|2020}}", "5", ["Smith 2020"]),
        ("5{{efn|see [[A|B]] {{small|z}}}}", "5", ["see B z"]),
        ("{{sfn|Smith|2020}}{{efn|X}}<ref>Y</ref>", "", ["Smith 2020", "X", "Y"]),
    ],
)
def test_footnote_templates_go_to_notes_not_text(source: str, text: str, notes: list[str]) -> None:
    rendered = render_cell(source)
    assert rendered.text == text
    assert rendered.notes == notes
    assert rendered.unknown_templates == []


@pytest.mark.parametrize(
    "template", ["{{citation needed}}", "{{Citation needed}}", "{{cn}}", "{{fact}}"]
)
def test_citation_needed_is_a_note_with_no_text(template: str) -> None:
    rendered = render_cell("84%" + template)
    assert rendered.text == "84%"
    assert len(rendered.notes) == 1
    assert rendered.unknown_templates == []


def test_citation_needed_with_a_date_parameter_is_a_note() -> None:
    rendered = render_cell("84%{{citation needed|date=May 2020}}")
    assert rendered.text == "84%"
    assert len(rendered.notes) == 1


@pytest.mark.parametrize("name", sorted(FOOTNOTE_TEMPLATES))
def test_every_footnote_template_leaves_no_text(name: str) -> None:
    rendered = render_cell(f"12%{{{{{name}|some words}}}}")
    assert rendered.text == "12%"
    assert rendered.notes == [name if name in CLEANUP_TEMPLATES else "some words"]


def test_footnote_templates_are_not_also_in_the_value_registry() -> None:
    assert not set(FOOTNOTE_TEMPLATES) & set(TEMPLATES)
    assert CITATION_TEMPLATES | CLEANUP_TEMPLATES <= FOOTNOTE_TEMPLATES


# The first Harris Interactive pollster cell of the French 2019 European election poll table
# (tests/fixtures/markup/france-2019-european-polls-excerpt.wiki, line 99): a `[url Name]` link,
# then an archived copy of the report.
FRENCH_HARRIS = (
    "[https://www.2019opinions.com/uploads/media/5ce806133b4d7_rapport-harris-interactive-x-agence"
    "-epoka-barometre-europeennes-vague-35.pdf Harris Interactive] {{Webarchive|url=https://web.arc"
    "hive.org/web/20190524182010/https://www.2019opinions.com/uploads/media/5ce806133b4d7_rapport-h"
    "arris-interactive-x-agence-epoka-barometre-europeennes-vague-35.pdf |date=24 May 2019 }}"
)


@BOTH_READERS
@pytest.mark.parametrize(
    ("source", "notes"),
    [
        (FRENCH_HARRIS, []),
        (
            "[http://x.org Ipsos] {{webarchive|url=http://archive.org/x|date=1 May 2019|title=T}}",
            [],
        ),
        ("[http://x.org Ipsos]{{wayback|url=http://x.org|date=20190501}}", []),
        ("[http://x.org Ipsos]{{cbignore}}", []),
        ("[http://x.org Ipsos]{{Cbignore|bot=medic}}", []),
        # InternetArchiveBot's tag, as the French article's later revisions write it.
        (
            "[http://x.org Ipsos] {{Dead link|date=August 2025 |bot=InternetArchiveBot "
            "|fix-attempted=yes }}",
            ["Dead link"],
        ),
        ("[http://x.org Ipsos]{{dead link|July 2019}}", ["dead link"]),  # a date, not a name
        ("[http://x.org Ipsos]{{Permanent dead link|date=May 2020}}", ["Permanent dead link"]),
        ("[http://x.org Ipsos]{{Failed verification|date=May 2020}}", ["Failed verification"]),
        (
            "[http://x.org Ipsos]{{failed verification|date=May 2020|reason=no such poll}}",
            ["failed verification: no such poll"],
        ),
        (
            "[http://x.org Ipsos] {{Webarchive|url=http://a.org/x|date=1 May 2019}}{{cbignore}}"
            "{{Dead link|date=May 2020}}",
            ["Dead link"],
        ),
    ],
)
def test_templates_after_a_pollster_link_add_no_text(
    render: Callable[[str], RenderedCell], source: str, notes: list[str]
) -> None:
    rendered = render(source)
    assert rendered.text == ("Harris Interactive" if source == FRENCH_HARRIS else "Ipsos")
    assert rendered.notes == notes
    assert rendered.unknown_templates == []


@BOTH_READERS
def test_an_unknown_template_after_a_pollster_link_still_shows_its_guess(
    render: Callable[[str], RenderedCell],
) -> None:
    rendered = render("[http://x.org Ipsos] {{Archive link|x}}")
    assert (rendered.text, rendered.unknown_templates) == ("Ipsos x", ["Archive link"])


@BOTH_READERS
@pytest.mark.parametrize(
    ("source", "notes"),
    [
        (
            "46%<ref>{{cite web|url=https://example.org/poll|title=Poll of March|website=Example}}</ref>",
            ["Poll of March"],
        ),
        (
            "46%<ref>{{Cite news|title=Serbs and NATO|work=N1|date=7 March 2024}}</ref>",
            ["Serbs and NATO"],
        ),
        ("46%<ref>{{cite journal|title=''Attitudes''|journal=J}}</ref>", ["Attitudes"]),
        (
            "46%<ref>Survey by NSPM. {{cite web|title=Results|url=http://x.org}}</ref>",
            ["Survey by NSPM. Results"],
        ),
        ("46%<ref>{{cite web|url=http://x.org|publisher=NSPM|date=2024}}</ref>", ["NSPM 2024"]),
        ("46%<ref>{{cite web|NSPM|2024}}</ref>", ["NSPM 2024"]),
        ("46%<ref>{{cite web|title=A}}</ref><ref>{{cite news|title=B}}</ref>", ["A", "B"]),
        ("46%<ref>see {{efn|the inner note}}</ref>", ["see the inner note"]),
        ("46%<ref>{{sfn|Smith|2020|p=3}}</ref>", ["Smith 2020"]),
        (
            '46%<ref name="n">[[NSPM|The institute]]: {{cite web|title=T}}</ref>',
            ["The institute: T"],
        ),
        ("46%<ref>{{cite web|title=T}} by NSPM</ref>", ["by NSPM T"]),  # its text, then its notes
        ("46%{{cite web|title=Bare citation|date=2024}}", ["Bare citation"]),
    ],
)
def test_a_citation_inside_a_ref_is_the_note(
    render: Callable[[str], RenderedCell], source: str, notes: list[str]
) -> None:
    """A ref's note is its text plus the notes inside it; a citation's note is its title."""
    rendered = render(source)
    assert rendered.text == "46%"
    assert rendered.notes == notes
    assert rendered.unknown_templates == []


# --- value templates -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{nowrap|7 March 2024}}", "7 March 2024"),
        ("{{Nowrap|x}}", "x"),
        ("{{nobr|x y}}", "x y"),
        ("{{small|(online)}}", "(online)"),
        ("{{smaller|s}}", "s"),
        ("{{big|B}}", "B"),
        ("{{small|{{nowrap|a b}}}}", "a b"),
        ("{{nts|1228}}", "1228"),
        ("{{Nts|1,228}}", "1,228"),
        ("{{ntsh|5}}", "5"),
        ("{{formatnum:1,228}}", "1,228"),
        ("{{formatnum:1228}}", "1228"),
        ("{{FORMATNUM:1228}}", "1228"),
        ("{{formatnum:}}", ""),
        ("{{N/A}}", "N/A"),
        ("{{n/a}}", "N/A"),
        ("{{N/a}}", "N/A"),
        ("{{NA}}", "N/A"),
        ("{{n/a|}}", "N/A"),
        ("{{yes}}", "Yes"),
        ("{{Yes}}", "Yes"),
        ("{{no}}", "No"),
        ("{{tie}}", "Tie"),
        ("{{Tie}}", "Tie"),
        ("{{lang|sr|Srbija}}", "Srbija"),
        ("a{{snd}}b", "a – b"),
        ("{{ndash}}", "–"),
        ("{{mdash}}", "—"),
        ("{{abbr|MoE|margin of error}}", "MoE"),
    ],
)
def test_value_templates(source: str, expected: str) -> None:
    rendered = render_cell(source)
    assert rendered.text == expected
    assert rendered.unknown_templates == []


@pytest.mark.parametrize(
    ("source", "text", "sort_value"),
    [
        ("{{sort|2024-03-07|7 March 2024}}", "7 March 2024", "2024-03-07"),
        ("{{sort|1228|1,228}}", "1,228", "1228"),
        ("{{Sort|b|Alpha}}", "Alpha", "b"),
        ("{{sort|abc}}", "abc", "abc"),
        ("{{sort}}", "", None),
    ],
)
def test_sort_shows_the_text_and_keeps_the_key(source: str, text: str, sort_value) -> None:
    rendered = render_cell(source)
    assert rendered.text == text
    assert rendered.sort_value == sort_value


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{percentage|1|4|1}}", "25.0%"),
        ("{{percentage|1|4}}", "25%"),
        ("{{percentage|1|3|2}}", "33.33%"),
        ("{{percentage|1|3}}", "33%"),
        ("{{percentage|1,228|2,456|1}}", "50.0%"),
        ("{{percentage|3|4|}}", "75%"),
    ],
)
def test_percentage_computes_part_over_whole(source: str, expected: str) -> None:
    assert text_of(source) == expected


@pytest.mark.parametrize(
    "source", ["{{percentage|1|0}}", "{{percentage|a|b}}", "{{percentage|1}}", "{{percentage}}"]
)
def test_percentage_that_cannot_be_computed_does_not_crash(source: str) -> None:
    rendered = render_cell(source)
    assert "%" not in rendered.text


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{increase}}", ""),
        ("{{decrease}}", ""),
        ("{{steady}}", ""),
        ("{{Increase}} 5", "5"),
        ("44% {{decrease}}", "44%"),
        ("{{flagicon|Serbia}} Serbia", "Serbia"),
        ("{{party color|SNS}}", ""),
    ],
)
def test_decoration_templates_render_nothing(source: str, expected: str) -> None:
    rendered = render_cell(source)
    assert rendered.text == expected
    assert rendered.unknown_templates == []


# --- date templates ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{dts|2024|3|7}}", "7 March 2024"),
        ("{{dts|2024|March|7}}", "7 March 2024"),
        ("{{dts|2024|Mar|7}}", "7 March 2024"),
        ("{{dts|2024|03|07}}", "7 March 2024"),
        ("{{dts|2024|3}}", "March 2024"),
        ("{{dts|2024}}", "2024"),
        ("{{dts|7 March 2024}}", "7 March 2024"),
        ("{{Dts|2006|12|14}}", "14 December 2006"),
        ("{{start date|2024|3|7}}", "7 March 2024"),
        ("{{Start date|2024|3|7}}", "7 March 2024"),
        ("{{start date|2024|3}}", "March 2024"),
        ("{{start date|2024}}", "2024"),
        ("{{end date|2024|3|7}}", "7 March 2024"),
        ("{{date|7 March 2024}}", "7 March 2024"),
    ],
)
def test_date_templates(source: str, expected: str) -> None:
    rendered = render_cell(source)
    assert rendered.text == expected
    assert rendered.unknown_templates == []


@pytest.mark.parametrize(
    ("source", "start", "end"),
    [
        ("{{dts|2024|3|7}}", date(2024, 3, 7), date(2024, 3, 7)),
        ("{{dts|2024|March|7}}", date(2024, 3, 7), date(2024, 3, 7)),
        ("{{start date|2024|3|7}}", date(2024, 3, 7), date(2024, 3, 7)),
        ("{{dts|2024|2}}", date(2024, 2, 1), date(2024, 2, 29)),
    ],
)
def test_date_templates_give_texts_the_date_parser_reads(source, start, end) -> None:
    span = parse_date_span(text_of(source))
    assert (span.start, span.end) == (start, end)


@pytest.mark.parametrize(
    "source", ["{{dts}}", "{{start date}}", "{{dts|2024|13|7}}", "{{dts|abc|def}}"]
)
def test_date_templates_with_odd_arguments_do_not_crash(source: str) -> None:
    assert isinstance(text_of(source), str)


def test_impossible_dts_date_is_left_for_the_date_parser_to_refuse() -> None:
    text = text_of("{{dts|2024|2|30}}")
    assert text == "30 February 2024"
    with pytest.raises(DateParseError):
        parse_date_span(text)


# --- opdrts ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected", "start", "end"),
    [
        # Empty D1: a single day.
        ("{{opdrts||7|Mar|2024|year}}", "7 March 2024", date(2024, 3, 7), date(2024, 3, 7)),
        ("{{opdrts||23|Dec|2021|year}}", "23 December 2021", date(2021, 12, 23), None),
        ("{{opdrts| |7|Mar|2024|year}}", "7 March 2024", date(2024, 3, 7), None),
        ("{{opdrts||02|Apr|2022}}", "2 April 2022", date(2022, 4, 2), None),
        # D1 <= D2: a range inside the month.
        ("{{opdrts|4|14|Mar|2022|year}}", "4–14 March 2022", date(2022, 3, 4), date(2022, 3, 14)),
        (
            "{{opdrts|10|12|Dec|2021|year}}",
            "10–12 December 2021",
            date(2021, 12, 10),
            date(2021, 12, 12),
        ),
        ("{{opdrts|02|03|Apr|2022}}", "2–3 April 2022", date(2022, 4, 2), date(2022, 4, 3)),
        ("{{opdrts|7|7|Mar|2024|year}}", "7–7 March 2024", date(2024, 3, 7), date(2024, 3, 7)),
        ("{{Opdrts|1|3|March|2024|year}}", "1–3 March 2024", date(2024, 3, 1), date(2024, 3, 3)),
        # D1 > D2: the range starts in the month before.
        (
            "{{opdrts|28|3|Apr|2022|year}}",
            "28 March 2022 – 3 April 2022",
            date(2022, 3, 28),
            date(2022, 4, 3),
        ),
        (
            "{{opdrts|29|1|Dec|2022|year}}",
            "29 November 2022 – 1 December 2022",
            date(2022, 11, 29),
            date(2022, 12, 1),
        ),
        (
            "{{opdrts|28|2|Mar|2024|year}}",
            "28 February 2024 – 2 March 2024",
            date(2024, 2, 28),
            date(2024, 3, 2),
        ),
        # ...and, in January, in the year before.
        (
            "{{opdrts|28|2|Jan|2021|year}}",
            "28 December 2020 – 2 January 2021",
            date(2020, 12, 28),
            date(2021, 1, 2),
        ),
        (
            "{{opdrts|28|2|Jan|2021}}",
            "28 December 2020 – 2 January 2021",
            date(2020, 12, 28),
            date(2021, 1, 2),
        ),
    ],
)
def test_opdrts(source: str, expected: str, start: date, end: date | None) -> None:
    rendered = render_cell(source)
    assert rendered.text == expected
    assert rendered.unknown_templates == []
    span = parse_date_span(rendered.text)
    assert span.start == start
    assert span.end == (end or start)
    assert span.precision == "day"
    assert not span.year_inferred


def test_opdrts_january_cross_year_reads_as_the_turn_of_the_year() -> None:
    span = parse_date_span(text_of("{{opdrts|28|2|Jan|2021|year}}"))
    assert (span.start, span.end) == (date(2020, 12, 28), date(2021, 1, 2))


def test_opdrts_first_day_after_the_end_of_a_short_month_is_refused_by_the_date_parser() -> None:
    # D1 = 31 > D2 = 2 in March: the month before is February, which has no 31st.
    text = text_of("{{opdrts|31|2|Mar|2024|year}}")
    with pytest.raises(DateParseError):
        parse_date_span(text)


@pytest.mark.parametrize(
    "source",
    [
        "{{opdrts}}",
        "{{opdrts|x|y}}",
        "{{opdrts|1|2|Foo|2024}}",
        "{{opdrts|a|7|Mar|2024}}",
        "{{opdrts|1|2|Mar}}",
    ],
)
def test_opdrts_with_unreadable_arguments_does_not_crash(source: str) -> None:
    rendered = render_cell(source)
    assert rendered.unknown_templates == []
    with pytest.raises(DateParseError):
        parse_date_span(rendered.text)


@pytest.mark.parametrize(
    "source",
    [
        "{{opdrts||31|Feb|2024|year}}",
        "{{opdrts|5|40|Mar|2024}}",
        "{{opdrts|1|0|Mar|2024}}",
        "{{opdrts|1|2|Mar|0}}",
    ],
)
def test_opdrts_with_an_impossible_end_date_does_not_crash(source: str) -> None:
    rendered = render_cell(source)
    with pytest.raises(DateParseError):
        parse_date_span(rendered.text)


@pytest.mark.parametrize(
    "path", sorted(CORPUS.glob("potential-re-accession-uk-eu__*.wiki")), ids=lambda p: p.name
)
def test_every_opdrts_of_the_uk_corpus_reads_as_a_day_span(path: Path) -> None:
    templates = re.findall(r"\{\{opdrts[^}]*\}\}", path.read_text(encoding="utf-8"))
    assert templates
    for template in templates:
        span = parse_date_span(text_of(template))
        assert span.precision == "day", template
        assert span.start <= span.end, template


# --- unknown templates ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "text", "unknown"),
    [
        ("{{foo|bar|baz}}", "bar", ["foo"]),
        ("{{tooltip|a|b}}", "a", ["tooltip"]),
        ("{{Foo Bar|x}}", "x", ["Foo Bar"]),
        ("{{foo|k=v|first}}", "first", ["foo"]),
        ("{{foo|[[A|B]]}}", "B", ["foo"]),
        ("10% {{foo|x}} {{bar|y}}", "10% x y", ["foo", "bar"]),
        ("{{foo|{{nowrap|inner}}}}", "inner", ["foo"]),
    ],
)
def test_unknown_template_keeps_its_first_positional_parameter(source, text, unknown) -> None:
    rendered = render_cell(source)
    assert rendered.text == text
    assert rendered.unknown_templates == unknown


@pytest.mark.parametrize("source", ["{{foo}}", "{{foo|}}", "{{foo|k=v}}", "{{ foo }}"])
def test_unknown_template_without_positional_parameters_renders_empty(source: str) -> None:
    rendered = render_cell(source)
    assert rendered.text == ""
    assert rendered.unknown_templates == ["foo"]


# --- broken markup, NUL, round trip --------------------------------------------------------------


@pytest.mark.parametrize(
    "source", ["{{unclosed|x", "[[a", "<ref>never closed", "x</ref>", "'''bold", "}} ]] >"]
)
def test_broken_markup_is_kept_as_text_not_a_crash(source: str) -> None:
    assert text_of(source) == source


@pytest.mark.parametrize(
    "source", ["a\x00b", "\x00", "[[a]]\x00", "{{nts|1\x00}}", "x\x00<ref>y</ref>"]
)
def test_parse_markup_refuses_a_nul_character(source: str) -> None:
    with pytest.raises(MarkupError, match="NUL"):
        parse_markup(source)


@pytest.mark.parametrize("source", ["[[a]]\x00b", "{{nts|1\x00}}", "x\x00<ref>y</ref>", "'\x00'"])
def test_render_cell_refuses_a_nul_character_in_markup(source: str) -> None:
    with pytest.raises(MarkupError):
        render_cell(source)


@pytest.mark.parametrize("source", ["a\x00b", "\x00"])
def test_render_cell_refuses_a_nul_character_in_plain_text(source: str) -> None:
    with pytest.raises(MarkupError):
        render_cell(source)


@pytest.mark.parametrize(
    "source",
    [
        "",
        "plain",
        "[[Ninamedia Research|Ninamedia]]",
        "46%<ref name=x/>",
        "{{opdrts|28|2|Jan|2021|year}}",
        "{{unclosed|x",
        "<ref>never closed",
        "a<!-- unclosed comment",
        "'''''x''",
        "== heading ==",
        "{| class=wikitable\n|a||b\n|}",
        "&nbsp;&bogus;&#xZZ;",
        "{{{1|def}}}",
        "[[File:x.png|thumb|[[nested]] caption]]",
        "Ünïcödé – ±3.4% \u2212 \u00a0",
    ],
)
def test_parse_markup_round_trips_its_input(source: str) -> None:
    assert str(parse_markup(source)) == source


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.wiki")), ids=lambda p: p.name)
def test_parse_markup_round_trips_the_real_corpus(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    assert str(parse_markup(source)) == source


# --- the fast reader renders as mwparserfromhell does ----------------------------------------------

TRICKY = [
    "'''42%'''", "''N/A''", "l'''amour'''", "'''a", "''a'''b'''c''", "'''a''b'''c''", "''''a''''",
    "[[a|b]]", "[[a]]", "[[:Category:X]]", "[[Category:X|y]]", "[[File:a.png|thumb|[[b]] c]]",
    "[[a|b|c]]", "[[a|b}}]]", "[http://x.org Label]", "[http://x.org]", "[http://x ]", "[1]",
    "see http://x.org now", "x http://x.org/a.", "{{nts|1,228}}", "{{formatnum:1,228}}",
    "{{opdrts||23|Dec|2021|year}}", "{{opdrts|30|2|Jan|2021|year}}", "{{sort|2023|x}}",
    "{{a|b=c=d|e}}", "{{a|''x=y''}}", "{{a|[[b]]=c}}", "{{a}}}", "{{a|{{b}}}}", "{{{1|x}}}",
    "{{cite web|url=http://x.org/a_b.php?t=1&u=2|title=T}}", "{{efn|x [[a|b]]}}", "a}}b",
    "<ref>a</ref>b", '<ref name="x"/>', "<ref name=x/>", "<small>(1T)</small> 0G", "x<br>y",
    "</br>", "<b>x", '<span title="a>b">c</span>', "&amp; &nbsp; &foo; &#124; &#x2013;",
    "x <5% y", "* [[a]]", "a\n* b [[c]]", "<!-- c -->'''d'''", "<!-- open", "{{a|\n b\n}}",
    "<nowiki>|</nowiki>", "{{-\n1}}", "{{ Nts | 3 }}", "<sup>[[a|1]]</sup>", "{{ru|SCO}}",
    "<ref>{{cite web|url=http://x.org|title=T}}</ref>", "<ref>a {{efn|b}} c</ref>d",
    "<ref>{{cite news|title=''T''|url=http://x.org/?a=b&c=d}} {{sfn|S|2020}}</ref>",
    "<ref>{{cite web|title=}}</ref>", "<ref><ref>nested</ref> outer</ref>",
    "<s>45%</s> 47%", "<del>a<s>b</s></del>c", "<strike>x", "45%<sup>a</sup>", "1<sup>st</sup>",
    "<sup><sup>1</sup></sup>", "<sup>{{efn|x}}</sup>", "[[File:a.png|50px|link=B#c|alt=D]]",
    "[[File:a.png|link=http://x.org|alt=D]]", "[[File:a.png|alt=[[b|c]]|link=]]",
    "[[File:a.png|link=[[b]]]]", "[[Image:a.png|link={{b|c}}]]", "[[File:a.png|LINK=b|Alt=c]]",
    '<span data-sort-value="a">b</span>', "<span data-sort-value=a data-sort-value=b>c</span>",
    '<span data-sort-value="a"b>c</span>', "<span data-sort-value>c</span>",
    '<br data-sort-value="x"/>', "<ref name=x data-sort-value=y/>", "<span data-sort-value=a/b>c",
    '<span data-sort-value="&amp;">c</span>', "<span data-sort-value='{{x}}'>c</span>",
    '<span data-sort-value="a">x</span>{{sort|b|y}}', "{{Dead link|date=May 2020|bot=x}}",
    "{{Webarchive|url=http://a.org/b|date=1 May}}", "{{cbignore}}", "{{dead link|July 2019}}",
]  # fmt: skip


def assert_same_as_parser(source: str) -> None:
    """`render_cell` gives what `render_cell_with_parser` gives. Where the parser refuses the
    markup (it cannot give it back, or a template handler refuses its arguments), `render_cell`
    may keep the fast reading, which is no worse, or refuse too; it never refuses alone."""
    try:
        reference: RenderedCell | None = render_cell_with_parser(source)
    except ValueError:
        reference = None
    try:
        rendered = render_cell(source)
    except ValueError:
        assert reference is None, source
        return
    if reference is not None:
        assert rendered == reference, source


def has_markup(source: str) -> bool:
    return any(ch in source for ch in "[]{}<>'&")


@pytest.mark.parametrize("source", TRICKY)
def test_render_cell_matches_the_parser_on_tricky_markup(source: str) -> None:
    assert_same_as_parser(source)


def corpus_cell_sources(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """Every distinct cell, caption and heading source the two article readers render."""
    seen: set[str] = set()

    def spy(source: str) -> RenderedCell:
        seen.add(source)
        return render_cell(source)

    monkeypatch.setattr(wikitext, "render_cell", spy)
    monkeypatch.setattr(flattened_reader, "render_cell", spy)
    wiki_files = [*sorted(CORPUS.glob("*.wiki")), *sorted((FIXTURES / "markup").glob("*.wiki"))]
    for path in [*wiki_files, FIXTURES / "serbia_nato_relations.wiki"]:
        text = path.read_text(encoding="utf-8")
        if path.name.startswith("potential-re-accession"):  # poll rows only: give them a table
            text = "{|\n" + text + "\n|}"
        parse_wikitext_article(text, path.name, "sha")
    for path in [SAMPLE, *sorted((FIXTURES / "articles").glob("*.txt"))]:
        parse_article_file(path, path.parent)
    return seen


def test_render_cell_matches_the_parser_on_every_corpus_cell(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sources = corpus_cell_sources(monkeypatch)
    for source in sources:
        assert_same_as_parser(source)
    fast = [s for s in sources if has_markup(s) and fast_markup.read_markup(s) is not None]
    assert len(fast) > 400  # the fast reader does handle most cells with markup


_PIECES = [
    "a", " ", "b c", "42%", "''", "'''", "'", "[[", "]]", "[", "]", "{{", "}}", "|", "=", "\n",
    "<small>", "</small>", "<br>", "<ref>", "</ref>", "<ref name=x/>", "&amp;", "&nbsp;", "&foo;",
    "http://x.y/z", "[http://a.b c]", "{{sort|", "{{opdrts|1|2|Mar|2020|year}}", "{{efn|",
    "[[a|", "[[File:x|", "<!--c-->", "*", "}", "{", "'''''", '<span style="a">', "</span>",
    "url=", "{{cite web|url=http://e.com/a?b=c&d|title=", "{{ru|SCO}}", "{{n/a}}", "[[:Category:z",
    "<s>", "</s>", "<del>", "</del>", "<sup>", "</sup>", "st", '<span data-sort-value="7">',
    "<span data-sort-value=x data-sort-value=y>", "[[File:l.svg|50px|link=", "|alt=", "#",
    "{{Dead link|date=", "{{Webarchive|url=http://a.b/c|date=", "{{cbignore}}",
]  # fmt: skip


def test_render_cell_matches_the_parser_on_random_markup() -> None:
    rng = random.Random(20261128)
    for _ in range(3000):
        assert_same_as_parser("".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 8))))


def test_common_markup_is_read_without_mwparserfromhell(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(source: str) -> None:
        raise AssertionError(f"parsed with mwparserfromhell: {source!r}")

    monkeypatch.setattr(markup, "parse_markup", refuse)
    rendered = render_cell(
        "'''[[Ninamedia Research|Ninamedia]]''' {{opdrts|28|2|Jan|2021|year}}"
        "<ref>{{cite web|url=https://example.org/p|title=The poll}}</ref>&nbsp;<br/>"
    )
    assert rendered == RenderedCell(
        text="Ninamedia 28 December 2020 – 2 January 2021", notes=["The poll"]
    )


def test_markup_the_fast_reader_declines_goes_to_the_parser() -> None:
    assert fast_markup.read_markup("* [[a]]\n* b") is None
    assert render_cell("* [[a]]\n* b") == render_cell_with_parser("* [[a]]\n* b")


@BOTH_READERS
def test_a_control_character_spelled_as_an_entity_is_replaced_once_decoded(render):
    # `&#27;[2J` decodes to ESC (clear the screen): replaced like the raw text's own controls.
    assert render("Ipsos &#27;[2J").text == "Ipsos \ufffd[2J"
    assert render("a&#x9b;b<ref>c&#7;d</ref>").text == "a\ufffdb"
    assert render("a&#x9b;b<ref>c&#7;d</ref>").notes == ["c\ufffdd"]
