"""Cell markup to visible text: links to labels, footnotes aside, templates through a registry.

mwparserfromhell's own `strip_code()` keeps the words of a `<ref>` inside the value and drops every
template, so "46%<ref>poll</ref>" would read as "46%poll" and "{{nts|1228}}" as nothing. This module
walks the parse tree itself: footnotes go to `notes`, templates that carry a value are rendered by
`TEMPLATES`, and an unknown template keeps the text of its first positional parameter (a guess a
reader can see) and is reported in `RenderedCell.unknown_templates`, never a crash.

Every parse is checked to give back its input: mwparserfromhell's C tokenizer drops everything
after a NUL character, and a silent loss of text would be a silent loss of rows.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

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

from flows.dates import MONTH_NAMES


class MarkupError(ValueError):
    """Markup that cannot be read without losing text."""


@dataclass
class RenderedCell:
    text: str
    notes: list[str] = field(default_factory=list)
    unknown_templates: list[str] = field(default_factory=list)
    sort_value: str | None = None


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


_SPACES = re.compile(r"[\s\u00a0\u2009\u202f\u200b]+")


def render_cell(source: str) -> RenderedCell:
    """The visible text of one cell, with its footnotes and unknown templates kept aside."""
    if "\x00" in source:
        raise MarkupError(
            "contains a NUL character, which the wikitext parser would cut the text at"
        )
    if not any(ch in source for ch in "[]{}<>'&"):
        # Plain text: nothing for the parser to do (most cells of a flattened table).
        return RenderedCell(text=_SPACES.sub(" ", source).strip())
    rendered = RenderedCell(text="")
    rendered.text = _SPACES.sub(" ", _render(parse_markup(source), rendered)).strip()
    rendered.notes = [_SPACES.sub(" ", note).strip() for note in rendered.notes if note.strip()]
    return rendered


def _render(code: Wikicode, out: RenderedCell) -> str:
    return "".join(_render_node(node, out) for node in code.nodes)


_FOOTNOTE_TAGS = {"ref"}
_DROPPED_TAGS = {"references", "gallery", "math", "timeline", "templatestyles"}
_LINE_BREAK_TAGS = {"br", "hr"}
_DROPPED_LINK_NAMESPACES = ("file:", "image:", "category:")


def _render_node(node: object, out: RenderedCell) -> str:
    if isinstance(node, Text):
        return str(node.value)
    if isinstance(node, Wikilink):
        target = str(node.title).strip()
        if target.lower().startswith(_DROPPED_LINK_NAMESPACES):  # an image or a category tag;
            return ""  # "[[:Category:X]]", with its colon, is a visible link
        return _render(node.text, out) if node.text is not None else target.lstrip(":")
    if isinstance(node, ExternalLink):
        return _render(node.title, out) if node.title is not None else ""
    if isinstance(node, HTMLEntity):
        return node.normalize()
    if isinstance(node, Comment):
        return ""
    if isinstance(node, Tag):
        name = str(node.tag).strip().lower()
        if name in _FOOTNOTE_TAGS:
            if node.contents is not None:
                out.notes.append(_render(node.contents, RenderedCell(text="")))
            return ""
        if name in _DROPPED_TAGS:
            return ""
        if name in _LINE_BREAK_TAGS:
            return " "
        return _render(node.contents, out) if node.contents is not None else ""
    if isinstance(node, Template):
        return _render_template(node, out)
    if isinstance(node, Heading):
        return _render(node.title, out)
    if isinstance(node, Argument):
        return _render(node.default, out) if node.default is not None else ""
    return html.unescape(str(node))


# --- templates ------------------------------------------------------------------------------------

TemplateArgs = list[str]
TemplateHandler = Callable[[TemplateArgs, dict[str, str], RenderedCell], str]


def _positional_and_named(template: Template, out: RenderedCell) -> tuple[TemplateArgs, dict]:
    positional: list[str] = []
    named: dict[str, str] = {}
    for param in template.params:
        value = _SPACES.sub(" ", _render(param.value, out)).strip()
        if param.showkey:
            named[str(param.name).strip().lower()] = value
        else:
            positional.append(value)
    return positional, named


def _render_template(template: Template, out: RenderedCell) -> str:
    name = _SPACES.sub(" ", str(template.name)).strip()
    key = name.lower().replace("_", " ")
    if ":" in key:  # parser functions such as {{formatnum:1,228}}
        function, _, argument = name.partition(":")
        handler = PARSER_FUNCTIONS.get(function.strip().lower())
        if handler is not None:
            return handler(argument.strip())
    if key in FOOTNOTE_TEMPLATES:
        positional, named = _positional_and_named(template, RenderedCell(text=""))
        note = " ".join(positional) or " ".join(named.values()) or name
        out.notes.append(note)
        return ""
    handler = TEMPLATES.get(key)
    positional, named = _positional_and_named(template, out)
    if handler is not None:
        return handler(positional, named, out)
    out.unknown_templates.append(name)
    return positional[0] if positional else ""


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


def _percentage(args: TemplateArgs, named: dict[str, str], out: RenderedCell) -> str:
    """{{percentage|part|whole|decimals}} computes part / whole as a percentage."""
    try:
        part, whole = float(args[0].replace(",", "")), float(args[1].replace(",", ""))
        decimals = int(args[2]) if len(args) > 2 and args[2] else 0
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
    month_number = int(month) if month.isdigit() else _month_number(month) if month else None
    if month_number is None or not 1 <= month_number <= 12:
        return year
    month_name = _month_name(month_number)
    return f"{int(day)} {month_name} {year}" if day.isdigit() else f"{month_name} {year}"


def _dts(args: TemplateArgs, named: dict[str, str], out: RenderedCell) -> str:
    """{{dts|2024|3|7}}, {{dts|2024|March|7}} or {{dts|7 March 2024}}: a sortable date."""
    if len(args) == 1:
        return args[0]
    if args and args[0].isdigit() and len(args[0]) == 4:
        return _date_text(args[0], *(args[1:3]))
    return " ".join(args)


def _start_date(args: TemplateArgs, named: dict[str, str], out: RenderedCell) -> str:
    """{{start date|2024|3|7}}: year, month, day as numbers."""
    return _date_text(*args[:3]) if args and args[0].isdigit() else " ".join(args)


def _opdrts(args: TemplateArgs, named: dict[str, str], out: RenderedCell) -> str:
    """{{opdrts|D1|D2|Mon|YYYY|year}}: fieldwork dates of an opinion poll.

    An empty D1 means the single day D2. D1 greater than D2 means the range starts in the month
    before (and, in January, in the year before).
    """
    padded = [*args, "", "", "", ""]
    first_day, last_day, month, year = (value.strip() for value in padded[:4])
    month_number = _month_number(month)
    if not (last_day.isdigit() and year.isdigit() and month_number):
        return " ".join(value for value in args[:4] if value)
    try:
        end = date(int(year), month_number, int(last_day))
    except ValueError:  # e.g. 31 Feb: leave the text for the date parser to refuse, with a reason
        return " ".join(value for value in args[:4] if value)
    if not first_day:
        return f"{end.day} {_month_name(end.month)} {end.year}"
    if not first_day.isdigit():
        return f"{first_day}–{last_day} {month} {year}"
    if int(first_day) <= end.day:
        return f"{int(first_day)}–{end.day} {_month_name(end.month)} {end.year}"
    month_before = end.replace(day=1) - timedelta(days=1)
    return (
        f"{int(first_day)} {_month_name(month_before.month)} {month_before.year} – "
        f"{end.day} {_month_name(end.month)} {end.year}"
    )


FOOTNOTE_TEMPLATES = {
    "efn", "efn-ua", "efn-lr", "efn-ur", "efn-lg", "refn", "sfn", "sfnp", "r", "rp", "ref",
    "citation needed", "cn", "fact", "better source needed", "failed verification", "dubious",
    "clarify", "when", "who", "cite web", "cite news", "cite journal", "cite book",
}  # fmt: skip

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
}  # fmt: skip

PARSER_FUNCTIONS: dict[str, Callable[[str], str]] = {
    "formatnum": lambda argument: argument,
}
