"""A quick reader of common cell markup into a small tree, for `flows.read.markup` to render.

Parsing one small cell with mwparserfromhell costs more than the cell's share of a parse of the
whole page, so rendering every table cell that way would make reading an article slower than
parsing it whole. `read_markup` reads the constructs that make up nearly all table cells (bold
and italics, links, external links, templates, entities, comments, `<ref>`, `<br>` and simple
inline tags, with their `data-sort-value`) into a tree of `Link`, `ExternalLink`, `Tag` and
`Template` nodes and plain strings, the same shape mwparserfromhell would give. It only reads;
what each node shows is decided once, in `flows.read.markup`, for this tree and mwparserfromhell's
alike.

What it declines (returns None, and the cell goes to mwparserfromhell): anything it is not sure
to read exactly as mwparserfromhell does. Among them: lists, headings and horizontal rules at a line
start, `{{{arguments}}}`, protocol-relative and non-`//` links, free URLs in text, bold or italics
left open or crossing a line end, unknown named entities, tags other than simple inline ones,
tag attributes holding markup, a `data-sort-value` given twice or among attributes not plainly
written, template parameter keys holding markup, NUL characters, anything left unclosed and
nesting deeper than `MAX_DEPTH`. Declining is always safe, a wrong guess is not:
tests/test_markup.py checks that both readers render the same on every cell of the corpus, on a
set of tricky strings and on thousands of random ones.
"""

from __future__ import annotations

import html.entities
import re
from dataclasses import dataclass

from mwparserfromhell.definitions import URI_SCHEMES

MAX_DEPTH = 40  # deeper nesting goes to mwparserfromhell, which has its own limit


@dataclass(slots=True)
class Link:
    """`[[target]]` (label None) or `[[target|label]]`; the target is stripped, as written."""

    target: str
    label: list[Node] | None


@dataclass(slots=True)
class ExternalLink:
    """`[url label]`, or a bare `[url]` or a `url=` parameter value (label None)."""

    label: list[Node] | None


@dataclass(slots=True)
class Tag:
    """An HTML-style tag, name in lower case; contents None for `<br>` or `<ref name=x/>`;
    `sort_value` its `data-sort-value` attribute as written, if it has one."""

    name: str
    contents: list[Node] | None
    sort_value: str | None = None


@dataclass(slots=True)
class Template:
    """`{{name|a|key=b}}`: the raw name and each parameter's key (lower case, None if
    positional) and value."""

    name: str
    params: list[tuple[str | None, list[Node]]]


Node = str | Link | ExternalLink | Tag | Template


def read_markup(source: str) -> list[Node] | None:
    """The nodes of a cell's markup, or None when not sure to read it as mwparserfromhell does."""
    if _REFUSE.search(source):
        return None  # lists, headings, {{{arguments}}}, protocol-relative links, NUL
    try:
        nodes, position = _parse(source, 0, "", False, 0)
    except _GiveUp:
        return None
    return nodes if position == len(source) else None


class _GiveUp(Exception):
    """This reader is not sure to read the markup as mwparserfromhell does."""


@dataclass(frozen=True)
class _Style:
    quotes: int  # a run of '' (italics), ''' (bold) or ''''' (both)


@dataclass(frozen=True)
class _Equals:
    position: int  # an `=` at the top level of a template parameter: maybe its key's end


_Item = Node | _Style | _Equals  # what a context holds until its styles and keys are checked

_BAD_LINK_TARGET = re.compile(r"[\[\]{}<>\n]")
_LABEL_MARKUP = re.compile(r"[\[\]{}<&]|''")
_TOKEN = re.compile(r"[\[\]{}<&|=]|'{2,}")  # a single bracket or brace is looked at again
_REFUSE = re.compile(r"(?m)^(?:[*#:;=]|----)|\{\{\{|\[//|\x00")
_SCHEMES = frozenset(URI_SCHEMES)  # the schemes mwparserfromhell makes links of
_SCHEME_LENGTHS = sorted({len(scheme) for scheme in _SCHEMES})
_URI_SCHEME = re.compile("(?i)(?:" + "|".join(sorted(_SCHEMES, key=len, reverse=True)) + "):")
_EXTERNAL_URL = re.compile(r"[^\s\[\]<>\"'{}|]+")
# A whole parameter value that is a free URL, as `|url=https://…|` in citation templates.
_URL_VALUE = re.compile(r"([ \t\n]*)((?:https?|ftp)://[^\s\[\]<>\"'{}|]+)(?=[ \t\n]*(?:\||\}\}))")
_URL_TRAILING = set(",;.:!?)")
_ENTITY = re.compile(r"&(?:#([0-9]+)|#[xX]([0-9a-fA-F]+)|([A-Za-z][A-Za-z0-9]*));")
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)(\s[^<>]*?)?\s*(/?)>")
# Attributes as mwparserfromhell and browsers both read them: `name`, `name=value`, `name="value"`
# or `name='value'`, each after a space (`a="x"b` is read two ways: not plain).
_PLAIN_ATTRIBUTE = re.compile(
    r"""\s+([A-Za-z][\w:.-]*)(?:=(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?(?=\s|$)"""
)
_VOID_TAGS = {"br", "hr"}  # read without a closing tag, as mwparserfromhell reads them
_INLINE_TAGS = {
    "small", "big", "sub", "sup", "span", "font", "center", "div", "b", "i", "u", "s", "strike",
    "del", "ins", "em", "strong", "abbr", "cite", "q", "kbd", "var", "samp", "mark", "dfn", "ref",
}  # fmt: skip


def _parse(
    source: str, position: int, until: str, in_template: bool, depth: int
) -> tuple[list[Node], int]:
    """Nodes from `position` to the end of the context `until`; returns them and the position
    after the context's closing token ("" = end of text, "]]" link label, "]" external link
    label, "|" template parameter, "</name" tag contents). Bold and italics are checked and
    dropped here, except in a template parameter, where `_param` must first find the key."""
    if depth > MAX_DEPTH:
        raise _GiveUp
    nodes: list[_Item] = []
    while True:
        match = _TOKEN.search(source, position)
        if match is None:
            if until:
                raise _GiveUp  # a construct left open
            nodes.append(_plain(source[position:]))
            return _check_styles(nodes), len(source)
        token = match.group()
        if match.start() > position:
            nodes.append(_plain(source[position : match.start()]))
        if token in "[]{}" and source.startswith(token, match.end()):
            token += token
        position = match.start() + len(token)
        if token in "{}":
            nodes.append(token)  # a single brace is text
            continue
        if token == "]]":
            if until != "]]":
                raise _GiveUp
            break
        if token == "}}" or (token == "|" and until == "|"):
            if until != "|":
                raise _GiveUp
            return nodes, match.start()  # with its `_Equals` marks: `_param` checks them
        if token == "|" and in_template and until != "]]":
            raise _GiveUp  # would mwparserfromhell end the parameter here? leave it to it
        if token == "]":
            if until == "]":
                break
            nodes.append(token)
        elif token == "[[":
            if until in ("]]", "]"):
                raise _GiveUp
            node, position = _link(source, position, in_template, depth + 1)
            nodes.append(node)
        elif token == "[":
            if until in ("]]", "]"):
                raise _GiveUp
            node, position = _external_link(source, position, in_template, depth + 1)
            nodes.append(node)
        elif token == "{{":
            node, position = _template(source, position, depth + 1)
            nodes.append(node)
        elif token == "<":
            closing = _tag_close(source, match.start(), until)
            if closing is not None:
                position = closing
                break
            tag, position = _tag(source, match.start(), in_template, depth + 1)
            if tag is not None:
                nodes.append(tag)
        elif token == "&":
            entity = _ENTITY.match(source, match.start())
            if entity is None:
                nodes.append("&")
            else:
                nodes.append(_entity_text(entity))
                position = entity.end()
        elif token.startswith("''"):
            nodes.append(_Style(len(token)))
        elif token == "=" and until == "|":
            first_equals = not any(isinstance(node, _Equals) for node in nodes)
            nodes.append(_Equals(match.start()))
            url = _URL_VALUE.match(source, position) if first_equals else None
            if url is not None and url.group(2)[-1] not in _URL_TRAILING:
                nodes.extend((url.group(1), ExternalLink(None)))  # `url=https://…`
                position = url.end(2)
        else:  # "|" or "=" as text
            nodes.append(token)
    return _check_styles(nodes), position


def _plain(text: str) -> str:
    """Text between tokens; a free URL in it ends where only mwparserfromhell knows."""
    colon = text.find(":")
    while colon >= 0:
        start = colon
        while start > 0 and text[start - 1].isascii() and text[start - 1].isalpha():
            start -= 1
        word = text[start:colon].lower()
        if any(word[-length:] in _SCHEMES for length in _SCHEME_LENGTHS if length <= len(word)):
            raise _GiveUp
        colon = text.find(":", colon + 1)
    return text


def _check_styles(nodes: list[_Item]) -> list[Node]:
    """Bold and italics must open and close in proper order within one context, and not across
    a line end; then their quote marks are dropped, as rendering a Tag b/i drops them."""
    stack: list[str] = []
    for node in nodes:
        if isinstance(node, _Style):
            if node.quotes == 2:
                _toggle(stack, "i")
            elif node.quotes == 3:
                _toggle(stack, "b")
            elif node.quotes == 5:
                if stack and stack[-1] == "bi":
                    stack.pop()
                elif stack[-2:] in (["i", "b"], ["b", "i"]):
                    del stack[-2:]
                elif not stack:
                    stack.append("bi")
                else:
                    raise _GiveUp
            else:
                raise _GiveUp
        elif stack and isinstance(node, str) and "\n" in node:
            raise _GiveUp
    if stack:
        raise _GiveUp
    return [node for node in nodes if not isinstance(node, _Style)]


def _toggle(stack: list[str], style: str) -> None:
    other = "b" if style == "i" else "i"
    if not any(style in entry for entry in stack):
        stack.append(style)
    elif stack[-1] == style:
        stack.pop()
    elif stack[-1] == "bi":
        stack[-1] = other
    else:
        raise _GiveUp


def _link(source: str, position: int, in_template: bool, depth: int) -> tuple[Link, int]:
    """`[[target]]` or `[[target|label]]`, the `[[` already read."""
    close = source.find("]]", position)
    if close < 0:
        raise _GiveUp
    bar = source.find("|", position, close)
    target = source[position : close if bar < 0 else bar]
    if not target.strip() or _BAD_LINK_TARGET.search(target):
        raise _GiveUp
    _plain(target)
    if bar < 0:
        return Link(target.strip(), None), close + 2
    label = source[bar + 1 : close]
    if not _LABEL_MARKUP.search(label):  # the usual [[target|plain words]]
        return Link(target.strip(), [_plain(label)]), close + 2
    nodes, after = _parse(source, bar + 1, "]]", in_template, depth)
    return Link(target.strip(), nodes), after


def _external_link(
    source: str, position: int, in_template: bool, depth: int
) -> tuple[ExternalLink | str, int]:
    """`[url label]`; a `[` that opens no link is text."""
    scheme = _URI_SCHEME.match(source, position)
    if scheme is None:
        return "[", position
    if not source.startswith("//", scheme.end()):
        raise _GiveUp  # mailto: and the like, or not a link at all
    url = _EXTERNAL_URL.match(source, position)
    if url is None or url.end() >= len(source):
        raise _GiveUp
    after_url = url.end()
    if source[after_url] == "]":
        return ExternalLink(None), after_url + 1
    if source[after_url] not in " \t":
        raise _GiveUp
    label, after = _parse(source, after_url + 1, "]", in_template, depth)
    if any("\n" in node for node in label if isinstance(node, str)):
        raise _GiveUp
    return ExternalLink(label), after


def _template(source: str, position: int, depth: int) -> tuple[Template, int]:
    """`{{name|a|key=b}}`, the `{{` already read."""
    bar = source.find("|", position)
    close = source.find("}}", position)
    if close < 0:
        raise _GiveUp
    stop = close if bar < 0 or close < bar else bar
    name = source[position:stop]
    if not name.strip() or "\n" in name.strip() or any(ch in name for ch in "{}[]<>&'="):
        raise _GiveUp
    params: list[tuple[str | None, list[Node]]] = []
    position = stop
    while source.startswith("|", position):
        start = position + 1
        nodes, position = _parse(source, start, "|", True, depth)
        params.append(_param(source, start, nodes))
    if not source.startswith("}}", position):
        raise _GiveUp
    return Template(name, params), position + 2


def _param(source: str, start: int, nodes: list[_Item]) -> tuple[str | None, list[Node]]:
    """Split a parameter at its first top-level `=`: the key is its raw text, lower case."""
    key: str | None = None
    for index, node in enumerate(nodes):
        if isinstance(node, _Equals):
            key = source[start : node.position].strip().lower()
            nodes = nodes[index + 1 :]
            break
        if not isinstance(node, str):
            if any(isinstance(later, _Equals) for later in nodes[index:]):
                raise _GiveUp  # a key holding markup: leave it to mwparserfromhell
            break
    nodes = ["=" if isinstance(node, _Equals) else node for node in nodes]
    return key, _check_styles(nodes)


def _tag_close(source: str, start: int, until: str) -> int | None:
    """The position after `</name>` when it closes the tag context `until`."""
    if not until.startswith("</"):
        return None
    match = _TAG.match(source, start)
    if match and match.group(1) and "</" + match.group(2).lower() == until:
        return match.end()
    return None


def _tag(source: str, start: int, in_template: bool, depth: int) -> tuple[Node | None, int]:
    """A comment (None), a line break or a simple inline tag; `<` opening nothing is text."""
    if source.startswith("<!--", start):
        end = source.find("-->", start + 4)
        if end < 0:
            raise _GiveUp
        return None, end + 3
    following = source[start + 1 : start + 2]
    if not (following.isascii() and (following.isalpha() or following in "/!")):
        return "<", start + 1
    match = _TAG.match(source, start)
    if match is None or match.group(1):
        raise _GiveUp
    name = match.group(2).lower()
    attributes = match.group(3) or ""
    if (
        attributes.count('"') % 2
        or attributes.count("'") % 2
        or any(ch in attributes for ch in "{}[]|&")
    ):
        raise _GiveUp
    sort_value = _sort_attribute(attributes) if "data-sort-value" in attributes.lower() else None
    if name in _VOID_TAGS:
        return Tag(name, None, sort_value), match.end()
    if name not in _INLINE_TAGS:
        raise _GiveUp
    if match.group(4):  # self-closing
        if name != "ref":
            raise _GiveUp
        return Tag(name, None, sort_value), match.end()
    contents, after = _parse(source, match.end(), "</" + name, in_template, depth)
    return Tag(name, contents, sort_value), after


def _sort_attribute(attributes: str) -> str | None:
    """The `data-sort-value` of plainly written attributes; declines anything else."""
    values: list[str | None] = []
    position = 0
    while position < len(attributes):
        match = _PLAIN_ATTRIBUTE.match(attributes, position)
        if match is None:
            if attributes[position:].strip():
                raise _GiveUp
            break
        if match.group(1).lower() == "data-sort-value":
            values.append(next((value for value in match.groups()[1:] if value is not None), None))
        position = match.end()
    if len(values) > 1:
        raise _GiveUp  # named twice: which one counts is the parser's to say
    return values[0] if values else None  # the words were inside another attribute's value


def _entity_text(match: re.Match[str]) -> str:
    decimal, hexadecimal, name = match.groups()
    if name is not None:
        codepoint = html.entities.name2codepoint.get(name)
        if codepoint is None:
            raise _GiveUp
    else:
        codepoint = int(decimal) if decimal is not None else int(hexadecimal, 16)
        if not 0 < codepoint <= 0x10FFFF or 0xD800 <= codepoint <= 0xDFFF:
            raise _GiveUp
    return chr(codepoint)
