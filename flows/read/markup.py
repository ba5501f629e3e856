"""Cell markup to visible text: links to labels, footnotes aside, templates through a registry.

mwparserfromhell's own `strip_code()` keeps the words of a `<ref>` inside the value and drops every
template, so "46%<ref>poll</ref>" would read as "46%poll" and "{{nts|1228}}" as nothing. This module
walks the parse tree itself: footnotes go to `notes` (a `<ref>`'s note is its text with the notes
inside it, a citation template's is its title), templates that carry a value are rendered by
`TEMPLATES`, and an unknown template keeps the text of its first positional parameter (a guess a
reader can see) and is reported in `RenderedCell.unknown_templates`, never a crash.

Not the value either, so kept aside as notes: struck-out text (`<s>`, `<del>`, `<strike>`: an
old figure an editor corrected, "struck out: 45%") and `<sup>` (a footnote mark such as
"45%<sup>a</sup>", whose letters or digits would join the number; an ordinal suffix as in
"1<sup>st</sup>" stays text). Images show nothing (a flag is decoration), but what an image links
to, or else its alt text, is kept in `RenderedCell.image_labels`: a party shown in a header only by
its logo is named there. An inner tag's `data-sort-value` (`<span data-sort-value="2019-05-24">`)
is the cell's sort key, unless an earlier tag or a `{{sort}}` gives one.

This is the one place that decides what markup shows. Two readers feed it: `flows.read.fast_markup`
reads the common cell markup quickly and declines when unsure, and mwparserfromhell reads the rest
(`render_cell_with_parser`, also the reference the fast reader is tested against). Both trees go
through the same rules (`_link_text`, `_tag_text`, `_template_text`), so they differ only in how
they read, never in what they show.

Refused (`MarkupError`): a NUL character, and any parse that does not give back its input:
mwparserfromhell's C tokenizer drops everything after a NUL, and a silent loss of text would be a
silent loss of rows.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TypeVar

import mwparserfromhell
from mwparserfromhell.nodes import (
    Argument,
    Comment,
    ExternalLink,
    Heading,
    HTMLEntity,
    Tag,
    Template,
    Text,
    Wikilink,
)
from mwparserfromhell.wikicode import Wikicode

from flows.read import fast_markup
from flows.vocabulary import MONTH_NAMES


class MarkupError(ValueError):
    """Markup that cannot be read without losing text."""


@dataclass
class RenderedCell:
    text: str
    notes: list[str] = field(default_factory=list)
    unknown_templates: list[str] = field(default_factory=list)
    sort_value: str | None = None
    image_labels: list[str] = field(default_factory=list)  # what each image links to, or its alt


def parse_markup(source: str) -> Wikicode:
    """Parse with mwparserfromhell, refusing any parse that does not give back its input."""
    if "\x00" in source:
        raise MarkupError(
            "contains a NUL character, which the wikitext parser would cut the text at"
        )
    code = mwparserfromhell.parse(source)
    if str(code) != source:
        raise MarkupError("the wikitext parser did not give back the text it was given")
    return code


SPACES = re.compile(r"[\s\u00a0\u2009\u202f\u200b]+")  # every run of them reads as one space
_MARKUP_CHARACTERS = "[]{}<>'&"  # a text holding none of them is plain: nothing to parse


def collapse_spaces(text: str) -> str:
    """The text with every run of spaces (no-break and zero-width ones too) made one space."""
    return SPACES.sub(" ", text).strip()


def template_key(name: str) -> str:
    """The registry key of a template name: `{{Start_date}}` is `{{start date}}`."""
    return collapse_spaces(name).lower().replace("_", " ")


def render_cell(source: str) -> RenderedCell:
    """The visible text of one cell, with its footnotes and unknown templates kept aside.

    The common markup is read by `flows.read.fast_markup`, because a mwparserfromhell parse per cell
    costs more than the cell's share of a whole-page parse; what that reader declines goes to
    `render_cell_with_parser`. Both trees are rendered by the same rules, below.
    """
    if "\x00" in source:
        raise MarkupError(
            "contains a NUL character, which the wikitext parser would cut the text at"
        )
    if not any(ch in source for ch in _MARKUP_CHARACTERS):
        return RenderedCell(text=collapse_spaces(source))
    nodes = fast_markup.read_markup(source)
    if nodes is None:
        return render_cell_with_parser(source)
    rendered = RenderedCell(text="")
    rendered.text = _render_read(nodes, rendered)
    return _tidy(rendered)


def render_cell_with_parser(source: str) -> RenderedCell:
    """`render_cell` through mwparserfromhell only: the reference the fast reader is tested
    against, and the reading of whatever markup that reader declines."""
    if "\x00" in source:
        raise MarkupError(
            "contains a NUL character, which the wikitext parser would cut the text at"
        )
    if not any(ch in source for ch in _MARKUP_CHARACTERS):
        # Plain text: nothing for the parser to do (most cells of a flattened table).
        return RenderedCell(text=collapse_spaces(source))
    rendered = RenderedCell(text="")
    rendered.text = _render(parse_markup(source), rendered)
    return _tidy(rendered)


# Control characters an entity can spell (`&#27;[2J` decodes to ESC): the raw text's own were
# replaced before parsing, these only appear once entities are decoded, so they are replaced
# here, after rendering, by the same U+FFFD. No stored value can then act on a terminal.
_DECODED_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _tidy(rendered: RenderedCell) -> RenderedCell:
    rendered.text = _DECODED_CONTROL.sub("\ufffd", collapse_spaces(rendered.text))
    rendered.notes = [
        _DECODED_CONTROL.sub("\ufffd", collapse_spaces(note))
        for note in rendered.notes
        if note.strip()
    ]
    return rendered


# --- what each construct shows, whichever reader read it ------------------------------------------
#
# The rules take a construct's parts (a link's target, a tag's name, a template's parameters) and
# a `render` function for the subtrees, so that mwparserfromhell's tree and the fast reader's tree
# are rendered alike and cannot drift apart.

Tree = TypeVar("Tree")
Renderer = Callable[[Tree, RenderedCell], str]

_FOOTNOTE_TAGS = {"ref"}
_STRUCK_TAGS = {"s", "del", "strike"}  # an old value, corrected: a note, not the value
_MARK_TAGS = {"sup"}  # a footnote mark: its letters or digits would join the number before it
_ORDINAL_SUFFIXES = {"st", "nd", "rd", "th", "er", "re", "ère", "ème"}  # "1<sup>st</sup>": text
_DROPPED_TAGS = {"references", "gallery", "math", "timeline", "templatestyles"}
_LINE_BREAK_TAGS = {"br", "hr"}
_DROPPED_LINK_NAMESPACES = ("file:", "image:", "category:")


def _link_text(target: str, label: Tree | None, render: Renderer, out: RenderedCell) -> str:
    """A link shows its label, else its target. An image or a category tag shows nothing (an
    image keeps what it stands for aside); "[[:Category:X]]", with its colon, is a visible link."""
    lowered = target.lower()
    if lowered.startswith(_DROPPED_LINK_NAMESPACES):
        if label is not None and not lowered.startswith("category:"):
            _image_label(label, render, out)
        return ""
    return render(label, out) if label is not None else target.lstrip(":")


def _image_label(options: Tree, render: Renderer, out: RenderedCell) -> None:
    """What an image stands for: the page its `link=` names (its section left out), else its
    `alt=` text; nothing for an image with neither, such as a flag beside a name."""
    found: dict[str, str] = {}
    for option in render(options, RenderedCell(text="")).split("|"):
        key, equals, value = option.partition("=")
        key = key.strip().lower()
        if equals and key in ("link", "alt"):
            found[key] = value  # given twice, the last one counts, as in MediaWiki
    link = collapse_spaces(found.get("link", "").partition("#")[0].replace("_", " ")).lstrip(":")
    label = link or collapse_spaces(found.get("alt", ""))
    if label:
        out.image_labels.append(label)


def _external_link_text(label: Tree | None, render: Renderer, out: RenderedCell) -> str:
    return render(label, out) if label is not None else ""  # `[url]` or a free URL: nothing


def _tag_text(
    name: str,
    contents: Tree | None,
    render: Renderer,
    out: RenderedCell,
    sort_value: str | None = None,
) -> str:
    """`sort_value` is the tag's `data-sort-value` attribute as written, if it has one."""
    if sort_value is not None and out.sort_value is None:
        out.sort_value = html.unescape(sort_value).strip() or None
    if name in _FOOTNOTE_TAGS:
        if contents is not None:
            # The ref's note is its text, then the notes inside it, so that a ref holding only
            # `{{cite web|…}}` (a footnote template, with a note and no text) keeps its citation.
            inner = RenderedCell(text="")
            text = render(contents, inner)
            out.notes.append(" ".join([text, *inner.notes]))
        return ""
    if name in _STRUCK_TAGS or name in _MARK_TAGS:
        return _aside_text(name, contents, render, out) if contents is not None else ""
    if name in _DROPPED_TAGS:
        return ""
    if name in _LINE_BREAK_TAGS:
        return " "
    return render(contents, out) if contents is not None else ""


def _aside_text(name: str, contents: Tree, render: Renderer, out: RenderedCell) -> str:
    """Struck text and a `<sup>` mark go to the notes, with the notes inside them; an ordinal
    suffix (`1<sup>st</sup>`) is part of the text."""
    inner = RenderedCell(text="")
    text = collapse_spaces(render(contents, inner))
    shown = name in _MARK_TAGS and text.lower() in _ORDINAL_SUFFIXES
    if text and not shown:
        out.notes.append(f"struck out: {text}" if name in _STRUCK_TAGS else text)
    out.notes.extend(inner.notes)
    out.unknown_templates.extend(inner.unknown_templates)
    return text if shown else ""


def _template_text(
    raw_name: str, params: list[tuple[str | None, Tree]], render: Renderer, out: RenderedCell
) -> str:
    """A template through the registry; `params` are (lower-case key or None, value)."""
    name = collapse_spaces(raw_name)
    key = template_key(name)
    if ":" in key:  # parser functions such as {{formatnum:1,228}}
        function, _, argument = name.partition(":")
        handler = PARSER_FUNCTIONS.get(function.strip().lower())
        if handler is not None:
            return handler(argument.strip())
    if key in FOOTNOTE_TEMPLATES:
        positional, named = _arguments(params, render, RenderedCell(text=""))
        out.notes.append(_footnote_note(key, name, positional, named))
        return ""
    handler = TEMPLATES.get(key)
    positional, named = _arguments(params, render, out)
    if handler is not None:
        return handler(positional, named, out)
    out.unknown_templates.append(name)
    return positional[0] if positional else ""


def _arguments(
    params: list[tuple[str | None, Tree]], render: Renderer, out: RenderedCell
) -> tuple[TemplateArgs, dict[str, str]]:
    positional: TemplateArgs = []
    named: dict[str, str] = {}
    for key, value in params:
        text = collapse_spaces(render(value, out))
        if key is None:
            positional.append(text)
        else:
            named[key] = text
    return positional, named


def _footnote_note(key: str, name: str, positional: TemplateArgs, named: dict[str, str]) -> str:
    """A citation's note is its title (its URL, date and publisher would bury it); a cleanup
    tag's is its name, with its reason if it gives one (its date and bot are bookkeeping); any
    other footnote's is its words."""
    if key in CITATION_TEMPLATES and named.get("title"):
        return named["title"]
    if key in CLEANUP_TEMPLATES:
        return f"{name}: {named['reason']}" if named.get("reason") else name
    return " ".join(positional) or " ".join(named.values()) or name


# --- mwparserfromhell's tree ----------------------------------------------------------------------


def _render(code: Wikicode, out: RenderedCell) -> str:
    return "".join(_render_node(node, out) for node in code.nodes)


def _render_node(node: object, out: RenderedCell) -> str:
    if isinstance(node, Text):
        return str(node.value)
    if isinstance(node, Wikilink):
        return _link_text(str(node.title).strip(), node.text, _render, out)
    if isinstance(node, ExternalLink):
        return _external_link_text(node.title, _render, out)
    if isinstance(node, HTMLEntity):
        text = node.normalize()
        # "&#xD800;" names half of a UTF-16 pair, which no UTF-8 text can hold: keep it as written.
        return str(node) if any(0xD800 <= ord(ch) <= 0xDFFF for ch in text) else text
    if isinstance(node, Comment):
        return ""
    if isinstance(node, Tag):
        name = str(node.tag).strip().lower()
        return _tag_text(name, node.contents, _render, out, _sort_attribute(node))
    if isinstance(node, Template):
        params = [
            (str(param.name).strip().lower() if param.showkey else None, param.value)
            for param in node.params
        ]
        return _template_text(str(node.name), params, _render, out)
    if isinstance(node, Heading):
        return _render(node.title, out)
    if isinstance(node, Argument):
        return _render(node.default, out) if node.default is not None else ""
    return html.unescape(str(node))


def _sort_attribute(tag: Tag) -> str | None:
    """The first `data-sort-value` of a tag, as written (the first one is the one HTML keeps)."""
    for attribute in tag.attributes:
        if str(attribute.name).strip().lower() == "data-sort-value":
            return str(attribute.value) if attribute.value is not None else None
    return None


# --- the fast reader's tree -----------------------------------------------------------------------


def _render_read(nodes: list[fast_markup.Node], out: RenderedCell) -> str:
    parts: list[str] = []
    for node in nodes:
        if isinstance(node, str):
            parts.append(node)
        elif isinstance(node, fast_markup.Link):
            parts.append(_link_text(node.target, node.label, _render_read, out))
        elif isinstance(node, fast_markup.Template):
            parts.append(_template_text(node.name, node.params, _render_read, out))
        elif isinstance(node, fast_markup.Tag):
            parts.append(_tag_text(node.name, node.contents, _render_read, out, node.sort_value))
        else:
            parts.append(_external_link_text(node.label, _render_read, out))
    return "".join(parts)


# --- templates ------------------------------------------------------------------------------------

TemplateArgs = list[str]
TemplateHandler = Callable[[TemplateArgs, dict[str, str], RenderedCell], str]


def _first(args: TemplateArgs, named: dict[str, str], out: RenderedCell) -> str:
    return args[0] if args else ""


def _last(args: TemplateArgs, named: dict[str, str], out: RenderedCell) -> str:
    return args[-1] if args else ""


def _nothing(args: TemplateArgs, named: dict[str, str], out: RenderedCell) -> str:
    return ""


def _constant(text: str) -> TemplateHandler:
    return lambda args, named, out: text


def _sort(args: TemplateArgs, named: dict[str, str], out: RenderedCell) -> str:
    """{{sort|key|text}}: the reader sees the text (or the key when there is none)."""
    if args:
        out.sort_value = args[0]
    return args[1] if len(args) > 1 else (args[0] if args else "")


MAX_PERCENTAGE_DECIMALS = 10


def _percentage(args: TemplateArgs, named: dict[str, str], out: RenderedCell) -> str:
    """{{percentage|part|whole|decimals}} computes part / whole as a percentage."""
    try:
        part, whole = float(args[0].replace(",", "")), float(args[1].replace(",", ""))
        decimals = int(args[2]) if len(args) > 2 and args[2] else 0
        if not 0 <= decimals <= MAX_PERCENTAGE_DECIMALS:
            return " ".join(args)  # {{percentage|1|3|100000}} would write 100 KB of digits
        return f"{100 * part / whole:.{decimals}f}%"
    except (IndexError, ValueError, ZeroDivisionError):
        return " ".join(args)


def _month_name(number: int) -> str:
    return MONTH_NAMES[number - 1].capitalize()


def _month_number(text: str) -> int | None:
    prefix = text.strip().lower()[:3]
    return next((n for n, name in enumerate(MONTH_NAMES, 1) if name[:3] == prefix), None)


def _date_text(year: str, month: str = "", day: str = "") -> str:
    """Year, month, day (as numbers or names) written the way the date parser reads them."""
    month_number = int(month) if month.isdecimal() else _month_number(month) if month else None
    if month_number is None or not 1 <= month_number <= 12:
        return year
    month_name = _month_name(month_number)
    return f"{int(day)} {month_name} {year}" if day.isdecimal() else f"{month_name} {year}"


def _dts(args: TemplateArgs, named: dict[str, str], out: RenderedCell) -> str:
    """{{dts|2024|3|7}}, {{dts|2024|March|7}} or {{dts|7 March 2024}}: a sortable date."""
    if len(args) == 1:
        return args[0]
    if args and args[0].isdecimal() and len(args[0]) == 4:
        return _date_text(args[0], *(args[1:3]))
    return " ".join(args)


def _start_date(args: TemplateArgs, named: dict[str, str], out: RenderedCell) -> str:
    """{{start date|2024|3|7}}: year, month, day as numbers."""
    return _date_text(*args[:3]) if args and args[0].isdecimal() else " ".join(args)


def _opdrts(args: TemplateArgs, named: dict[str, str], out: RenderedCell) -> str:
    """{{opdrts|D1|D2|Mon|YYYY|year}}: fieldwork dates of an opinion poll.

    An empty D1 means the single day D2. D1 greater than D2 means the range starts in the month
    before (and, in January, in the year before).
    """
    padded = [*args, "", "", "", ""]
    first_day, last_day, month, year = (value.strip() for value in padded[:4])
    month_number = _month_number(month)
    if not (last_day.isdecimal() and year.isdecimal() and month_number):
        return " ".join(value for value in args[:4] if value)
    try:
        end = date(int(year), month_number, int(last_day))
    except ValueError:  # e.g. 31 Feb: leave the text for the date parser to refuse, with a reason
        return " ".join(value for value in args[:4] if value)
    if not first_day:
        return f"{end.day} {_month_name(end.month)} {end.year}"
    if not first_day.isdecimal():
        return f"{first_day}–{last_day} {month} {year}"
    if int(first_day) <= end.day:
        return f"{int(first_day)}–{end.day} {_month_name(end.month)} {end.year}"
    month_before = end.replace(day=1) - timedelta(days=1)
    return (
        f"{int(first_day)} {_month_name(month_before.month)} {month_before.year} – "
        f"{end.day} {_month_name(end.month)} {end.year}"
    )


CITATION_TEMPLATES = {"cite web", "cite news", "cite journal", "cite book"}  # noted by title
# Cleanup tags put after a claim or a source link, noted by name: "{{Dead link|date=August 2025
# |bot=InternetArchiveBot}}" is "Dead link", not "August 2025 InternetArchiveBot".
CLEANUP_TEMPLATES = {
    "citation needed", "cn", "fact", "better source needed", "failed verification", "dubious",
    "clarify", "when", "who", "dead link", "permanent dead link",
}  # fmt: skip
FOOTNOTE_TEMPLATES = {
    "efn", "efn-ua", "efn-lr", "efn-ur", "efn-lg", "refn", "sfn", "sfnp", "r", "rp", "ref",
} | CITATION_TEMPLATES | CLEANUP_TEMPLATES  # fmt: skip

TEMPLATES: dict[str, TemplateHandler] = {
    # Wrappers whose visible text is their first argument.
    "nowrap": _first, "nobr": _first, "small": _first, "smaller": _first, "big": _first,
    "center": _first, "nts": _first, "ntsh": _first, "date": _first, "abbr": _first,
    "lang": _last, "sort": _sort, "sortname": lambda a, n, o: " ".join(a[:2]),
    # Dates.
    "dts": _dts, "start date": _start_date, "end date": _start_date, "opdrts": _opdrts,
    # Values written as templates.
    "n/a": _constant("N/A"), "na": _constant("N/A"), "yes": _constant("Yes"),
    "no": _constant("No"), "tie": _constant("Tie"), "percentage": _percentage,
    # Decoration with no value.
    "increase": _nothing, "decrease": _nothing, "steady": _nothing, "flagicon": _nothing,
    "party color": _nothing, "party colour": _nothing, "legend": _nothing, "·": _constant(" · "),
    "snd": _constant(" – "), "ndash": _constant("–"), "mdash": _constant("—"),
    # Bookkeeping after a source link: an archived copy, a note to bots. Nothing to read.
    "webarchive": _nothing, "wayback": _nothing, "cbignore": _nothing,
}  # fmt: skip

PARSER_FUNCTIONS: dict[str, Callable[[str], str]] = {
    "formatnum": lambda argument: argument,
}
