"""A deliberately plain reader of wikitext tables: the reference the fast path is checked against.

    from benchmarks.reference import reference_article, reference_normalized

wikipoll's read stage (`flows/read/wikitext.py`) never hands a whole article to
mwparserfromhell: it scans lines to find tables and renders each distinct cell once, mostly
without the parser (`flows.read.fast_markup`). That is fast, and every shortcut in it is a place
where rows could come out different. This module does the slow, obvious thing instead, so the
two can be compared row by row:

- the WHOLE article goes through `mwparserfromhell.parse` (or a tree already parsed from it);
- its `table` / `tr` / `td` / `th` Tag nodes are walked (nested tables too, numbered in the order
  their `{|` appear); cells written straight under the table before any `|-` form the first row,
  as MediaWiki reads them; a `|+` cell is a caption (mwparserfromhell 0.7 reads it as a `td` whose
  text starts with `+`);
- `rowspan` / `colspan` are read from the tag attributes with the HTML rules for non-negative
  integers and laid out with the HTML table model (a slot is never covered twice);
- every cell is rendered with `flows.read.markup.render_cell_with_parser` (mwparserfromhell);
- headings come from the tree's Heading nodes, lines from the offsets of the nodes in the text
  (the tree gives back its input exactly, so a node's offset is the length of what precedes it);
- the `SourceTable`s go into an `Article`, then into `flows.shape.records.normalize_article`,
  which both paths share (it is what they are compared through, not what is tested here).

What it does not try to match, on purpose (none of it occurs in `benchmarks/generate.py` articles):
rows that a template writes (the fast path keeps such a template as a row of its own; here it is
part of the cell before it), text after a nested table's `|}` on the same line, a cell line that
opens with `||` (one marker to the fast path; to mwparserfromhell a `|` and an empty attribute
part), spans over 1000 rows (the fast path's cap; browsers allow 65534), and tables that
mwparserfromhell does not see (inside template arguments, or left unclosed before a heading).
"""

from __future__ import annotations

import hashlib
import html
import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field

import mwparserfromhell
from mwparserfromhell.nodes import Heading, Tag
from mwparserfromhell.wikicode import Wikicode

from flows.article import Article, Cell, Section, SourceRow, SourceTable
from flows.read.flattened import title_from_path
from flows.read.markup import RenderedCell, collapse_spaces, render_cell_with_parser
from flows.read.wikitext import UNPARSED_NOTE
from flows.shape.records import NormalizedArticle, normalize_article

# Tags whose contents are never tables or headings of the page (examples, footnotes, code).
OPAQUE_TAGS = {
    "pre",
    "nowiki",
    "source",
    "syntaxhighlight",
    "code",
    "tt",
    "math",
    "chem",
    "ce",
    "ref",
    "references",
    "gallery",
    "timeline",
    "score",
    "graph",
    "templatedata",
    "imagemap",
    "hiero",
}
MAX_COLSPAN = 1000  # HTML: a larger colspan is read as 1000
MAX_ROWSPAN = 1000  # HTML allows 65534; the fast path caps at 1000 (see the module docstring)
_MARKUP_CHARACTERS = re.compile(r"[\[\]{}<>|'=\x00]")
_HTML_INTEGER = re.compile(r"[ \t\n\f\r]*\+?(\d+)")


def reference_normalized(
    text: str, source_path: str, code: Wikicode | None = None
) -> NormalizedArticle:
    """The article read the plain way, then normalized as the pipeline normalizes."""
    return normalize_article(reference_article(text, source_path, code))


def reference_article(text: str, source_path: str, code: Wikicode | None = None) -> Article:
    """Parse the whole article with mwparserfromhell (unless `code`, its tree, is given) and build
    the same `Article` the fast path builds."""
    if code is None:
        code = mwparserfromhell.parse(text)
    if str(code) != text:
        raise ValueError(f"{source_path}: mwparserfromhell did not give back the article's text")
    reader = _Reader(text)
    reader.walk(code, 0)
    return Article(
        article_id=source_path,
        source_path=source_path,
        title=reader.title or title_from_path(source_path),
        format="wikitext",
        content_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        sections=reader.sections,
        tables=sorted(reader.tables, key=lambda table: table.table_index),
        unknown_templates=dict(reader.unknown_templates),
    )


# --- reading the tree -----------------------------------------------------------------------------


def _tag_name(node: object) -> str:
    return str(node.tag).strip().lower() if isinstance(node, Tag) else ""


def _is_wiki_table(node: object) -> bool:
    """A `{| … |}` table; HTML `<table>` markup is not read (by the pipeline either)."""
    return _tag_name(node) == "table" and node.wiki_markup == "{|"


def _prefix_length(tag: Tag) -> int:
    """Characters of `tag` before its contents (mirrors `Tag.__str__`)."""
    attributes = "".join(str(attribute) for attribute in tag.attributes)
    if tag.wiki_markup:
        return len(
            tag.wiki_markup + attributes + (tag.padding or "") + (tag.wiki_style_separator or "")
        )
    return len("<" + str(tag.tag) + attributes + (tag.padding or "") + ">")


def _attributes(tag: Tag) -> dict[str, str]:
    """Attribute names (lower case) and values, entities decoded; the first of a name wins."""
    found: dict[str, str] = {}
    for attribute in tag.attributes:
        name = str(attribute.name).strip().lower()
        if name not in found:
            value = "" if attribute.value is None else str(attribute.value)
            found[name] = html.unescape(value).strip()
    return found


def html_non_negative_integer(value: str | None) -> int | None:
    """HTML's rules for parsing a non-negative integer: spaces, an optional +, digits."""
    if value is None:
        return None
    match = _HTML_INTEGER.match(value)
    return int(match.group(1)) if match else None


@dataclass
class _Cell:
    node: Tag
    offset: int  # of the tag in the text


@dataclass
class _Row:
    cells: list[_Cell] = field(default_factory=list)
    start: int = -1  # where the row's text starts (after `|-`) and ends
    end: int = -1
    css_class: str = ""


class _Reader:
    """Walks the tree in document order, keeping the section path and numbering the tables."""

    def __init__(self, text: str):
        self.text = text
        self.newlines = [index for index, char in enumerate(text) if char == "\n"]
        self.title = ""
        self.sections: list[Section] = []
        self.stack: list[tuple[int, str]] = []
        self.tables: list[SourceTable] = []
        self.table_count = 0
        self.unknown_templates: Counter[str] = Counter()

    def line_of(self, offset: int) -> int:
        return bisect_right(self.newlines, offset - 1) + 1

    def walk(self, code: Wikicode, offset: int) -> None:
        """Headings and tables of the page: everything but templates, links and opaque tags."""
        position = offset
        for node in code.nodes:
            if isinstance(node, Heading):
                self.heading(node, position)
            elif _is_wiki_table(node):
                self.table(node, position)
            elif (
                isinstance(node, Tag)
                and node.contents is not None
                and (_tag_name(node) not in OPAQUE_TAGS)
            ):
                self.walk(node.contents, position + _prefix_length(node))
            position += len(str(node))

    def heading(self, node: Heading, offset: int) -> None:
        title = self.render(str(node.title), count=False).text
        if node.level == 1 and not self.title:
            self.title = title
            return
        self.stack = [(level, name) for level, name in self.stack if level < node.level]
        self.stack.append((node.level, title))
        path = tuple(name for _, name in self.stack)
        self.sections.append(Section(node.level, title, self.line_of(offset), path))

    def render(self, source: str, count: bool = True) -> RenderedCell:
        """The mwparserfromhell rendering; unreadable markup loses its markup characters and
        is flagged, as the pipeline documents it."""
        try:
            rendered = render_cell_with_parser(source)
        except ValueError:
            rendered = RenderedCell(
                text=collapse_spaces(_MARKUP_CHARACTERS.sub(" ", source)), notes=[UNPARSED_NOTE]
            )
        if count:
            self.unknown_templates.update(rendered.unknown_templates)
        return rendered

    # Tables ------------------------------------------------------------------------------------

    def table(self, node: Tag, offset: int) -> None:
        self.table_count += 1
        index, section_path = self.table_count, tuple(name for _, name in self.stack)
        rows: list[_Row] = []
        captions: list[_Cell] = []
        loose = _Row()  # cells straight under the table, before any `|-`
        position = offset + _prefix_length(node)
        for child in node.contents.nodes:
            name = _tag_name(child)
            if name in ("td", "th"):
                if name == "td" and str(child).startswith("|+"):
                    captions.append(_Cell(child, position))
                else:
                    loose.cells.append(_Cell(child, position))
            elif name == "tr":
                rows.append(self.row(child, position, captions))
            position += len(str(child))
        if loose.cells:
            first, last = loose.cells[0], loose.cells[-1]
            loose.start, loose.end = first.offset, last.offset + len(str(last.node))
            rows.insert(0, loose)
        rows = [row for row in rows if row.cells]
        self.tables.append(self.build(index, offset, section_path, rows, captions))

    def row(self, node: Tag, offset: int, captions: list[_Cell]) -> _Row:
        row = _Row(css_class=_attributes(node).get("class", ""))
        after_marker = offset + len(node.wiki_markup or "")
        while self.text.startswith("-", after_marker):  # `|--` is a row marker too
            after_marker += 1
        row.start, row.end = after_marker, offset + len(str(node))
        position = offset + _prefix_length(node)
        for child in node.contents.nodes:
            name = _tag_name(child)
            if name == "td" and str(child).startswith("|+"):
                captions.append(_Cell(child, position))  # a caption line ends no row
            elif name in ("td", "th"):
                row.cells.append(_Cell(child, position))
            position += len(str(child))
        return row

    def cell(self, cell: _Cell) -> tuple[Cell, int, int]:
        """The cell (nested tables read as tables of their own) with its rowspan and colspan."""
        node = cell.node
        content_offset = cell.offset + _prefix_length(node)
        pieces: list[str] = []
        for child in node.contents.nodes:
            if _is_wiki_table(child):
                self.table(child, content_offset)
            else:
                pieces.append(str(child))
            content_offset += len(str(child))
        rendered = self.render("".join(pieces))
        attributes = _attributes(node)
        rowspan = html_non_negative_integer(attributes.get("rowspan"))
        colspan = html_non_negative_integer(attributes.get("colspan"))
        made = Cell(
            raw=str(node)[len(node.wiki_markup or "") :].strip(),
            text=rendered.text,
            notes=tuple(rendered.notes),
            is_header=_tag_name(node) == "th",
            sort_value=attributes.get("data-sort-value", rendered.sort_value),
        )
        return made, 1 if rowspan is None else rowspan, min(max(colspan or 1, 1), MAX_COLSPAN)

    def caption(self, cell: _Cell) -> str:
        """A `|+` cell's text: mwparserfromhell reads the `+` as the start of the text, or, when
        attributes follow it, as the name of the first attribute."""
        node = cell.node
        contents = str(node.contents)
        if not node.attributes and contents.startswith("+"):
            contents = contents[1:]
        return self.render(contents).text

    def build(
        self,
        index: int,
        offset: int,
        section_path: tuple[str, ...],
        rows: list[_Row],
        captions: list[_Cell],
    ) -> SourceTable:
        grid = [[self.cell(cell) for cell in row.cells] for row in rows]
        laid_out = lay_out(grid)
        header_count = 0
        while header_count < len(laid_out) and is_header_row(laid_out[header_count]):
            header_count += 1
        if header_count and header_count == len(laid_out):
            header_count = 1
        width = max((len(row) for row in laid_out), default=0)
        header = [
            " ".join(
                dict.fromkeys(
                    row[column].text
                    for row in laid_out[:header_count]
                    if column < len(row) and row[column].text
                )
            )
            for column in range(width)
        ]
        header_raw = ""
        if header_count:
            header_raw = self.text[rows[0].start : rows[header_count - 1].end].strip()
        source_rows = [
            SourceRow(
                row_index=number,
                line=self.line_of(row.cells[0].offset),
                raw_text=self.text[row.start : row.end].strip(),
                cells=cells,
                css_class=row.css_class,
            )
            for number, (row, cells) in enumerate(
                zip(rows[header_count:], laid_out[header_count:], strict=True), start=1
            )
        ]
        caption = ""
        for cell in captions:
            caption = self.caption(cell)
            if caption:
                break
        return SourceTable(
            table_index=index,
            line=self.line_of(offset),
            section_path=section_path,
            header=header,
            header_raw=header_raw,
            rows=source_rows,
            caption=caption,
        )


# --- the HTML table model -------------------------------------------------------------------------

_EMPTY = Cell(raw="", text="")


def lay_out(rows: list[list[tuple[Cell, int, int]]]) -> list[list[Cell]]:
    """Place cells in slots as the HTML table model does: each cell takes the first free column,
    spans `colspan` columns and `rowspan` rows (0: to the last row), never a taken slot. Copies
    carry origin "rowspan" below their row and "colspan" beside the cell; a free slot before a
    taken one is an empty cell."""
    slots: list[dict[int, Cell]] = [{} for _ in rows]
    for y, row in enumerate(rows):
        x = 0
        for cell, rowspan, colspan in row:
            while x in slots[y]:
                x += 1
            height = len(rows) - y if rowspan == 0 else min(rowspan, len(rows) - y, MAX_ROWSPAN)
            for dy in range(height):
                for dx in range(colspan):
                    if x + dx in slots[y + dy]:
                        continue
                    if dy:
                        copy = Cell(
                            cell.raw,
                            cell.text,
                            cell.notes,
                            cell.is_header,
                            "rowspan",
                            cell.sort_value,
                        )
                    elif dx:
                        copy = Cell(
                            cell.raw,
                            cell.text,
                            cell.notes,
                            cell.is_header,
                            "colspan",
                            cell.sort_value,
                        )
                    else:
                        copy = cell
                    slots[y + dy][x + dx] = copy
            x += colspan
    return [
        [taken.get(x, _EMPTY) for x in range(max(taken) + 1)] if taken else [] for taken in slots
    ]


def is_header_row(cells: list[Cell]) -> bool:
    """Header cells only (copies aside), after maybe some empty cells (a corner)."""
    written = [cell for cell in cells if cell.origin == "source"]
    headers = [index for index, cell in enumerate(written) if cell.is_header]
    if not headers:
        return False
    return all(not cell.text for cell in written[: headers[0]]) and all(
        cell.is_header for cell in written[headers[0] :]
    )
