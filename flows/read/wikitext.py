"""Real MediaWiki wikitext to an `Article`: title, sections and every `{| … |}` table of the page.

What it reads: headings `=T=` … `======T======`, pipe-syntax tables (nested ones included, each a
table of its own, numbered in the order their `{|` appear), rows, header and data cells (`!` and
`|`, `!!` and `||`), captions, cell attributes, and `rowspan` / `colspan` laid out the way a
browser lays out an HTML table (copies carry `origin`, so a copied value is never counted twice).
Several header rows combine into one label per column; a column whose header cells show no text
(a party shown only by its logo or its colour) is named by what they stand for: the page its
images link to, else the party of a colour template (`{{party color|X}}`, `{{Party shading/X}}`).
An unclosed `{|` ends at the next heading, or at the end of the text.

What it does not read: HTML `<table>` markup; tables inside a template argument or built with
`{{!}}`; rows that a template writes (such a template, alone on its lines between cells, is kept
as a row of one cell holding it, so the row is visible rather than lost). It never takes for a
table of the page the examples inside `<pre>`, `<nowiki>`, `<source>`, `<syntaxhighlight>`,
`<code>`, `<tt>`, `<ref>` or `<!-- comments -->` (help pages are full of them).

What it refuses: a text holding a NUL character (`ArticleError`: binary, not an article). A cell
whose markup cannot be read keeps its text without markup characters and the note
`UNPARSED_NOTE`; the article is never lost for one cell.

Why lines are scanned instead of parsing the page: mwparserfromhell is slow on a whole article
(about 0.5 to 1.5 MB/s) and super-linear on broken markup (minutes for 100 KB of unclosed links),
and one unclosed construct can swallow the rest of the page. Table structure in MediaWiki is
line-based anyway (`{|`, `|-`, `|`, `!`, `|}` start a line), so a cheap scan finds tables and
headings once the opaque regions are masked out, and each cell's markup is rendered on its own
by `flows.read.markup.render_cell` (which reads the common cell markup without
mwparserfromhell), once per distinct cell source.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field, replace

from flows.article import Article, Cell, Section, SourceRow, SourceTable, title_from_path
from flows.read.errors import ArticleError
from flows.read.markup import (
    FOOTNOTE_TEMPLATES,
    TEMPLATES,
    RenderedCell,
    collapse_spaces,
    render_cell,
    template_key,
)

MAX_COLSPAN = 1000  # the HTML limit; a larger or broken value must not explode a row
MAX_ROWSPAN = 1000  # far beyond any real table; bounds the copies a broken value can make
UNPARSED_NOTE = "unparsed markup"


def parse_wikitext_article(text: str, source_path: str, sha256: str) -> Article:
    """Read a wikitext article into sections and tables; pure, no I/O."""
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise ArticleError(
            source_path, "the text holds NUL characters: binary, not an article", line
        )
    renderer = _CellRenderer()
    scan = _Scanner(text, renderer)
    scan.run()
    tables = [_build_table(table, text, renderer) for table in scan.tables]
    return Article(
        article_id=source_path,
        source_path=source_path,
        title=scan.title or title_from_path(source_path),
        format="wikitext",
        content_sha256=sha256,
        sections=scan.sections,
        tables=tables,
        unknown_templates=dict(renderer.unknown_templates),
    )


# --- masking the regions that hold no page markup -----------------------------------------------

# Extension tags whose contents are not tables of the page, plus <code>/<tt>, which help pages use
# to show table markup inline.
_OPAQUE_TAGS = (
    "pre", "nowiki", "source", "syntaxhighlight", "code", "tt", "math", "chem", "ce", "ref",
    "references", "gallery", "timeline", "score", "graph", "templatedata", "imagemap", "hiero",
)  # fmt: skip
_OPAQUE_OPEN = re.compile(r"<!--|<(" + "|".join(_OPAQUE_TAGS) + r")(?=[\s/>])[^<>]*>", re.I)
_OPAQUE_CLOSE = re.compile(r"</(" + "|".join(_OPAQUE_TAGS) + r")\s*>", re.I)


def _blank(region: str) -> str:
    return "\n".join(" " * len(part) for part in region.split("\n"))


def mask_opaque(text: str) -> str:
    """The text with comments and opaque tag regions blanked out, same length and same lines.

    A comment left open runs to the end of the text (as in MediaWiki); a tag left open is plain
    text. Whichever region opens first wins, so `<nowiki><!--</nowiki>` is not a comment.
    """
    if "<" not in text:
        return text
    closes: dict[str, list[int]] = {}
    for match in _OPAQUE_CLOSE.finditer(text):
        closes.setdefault(match.group(1).lower(), []).append(match.start())
    pieces: list[str] = []
    cursor = 0
    for match in _OPAQUE_OPEN.finditer(text):
        start = match.start()
        if start < cursor:
            continue
        if match.group(1) is None:  # a comment
            close = text.find("-->", match.end())
            end = len(text) if close < 0 else close + 3
        else:
            if match.group(0).endswith("/>"):
                continue  # <ref name="x"/>, <nowiki/>: nothing inside
            positions = closes.get(match.group(1).lower(), [])
            index = bisect_right(positions, match.end() - 1)
            if index == len(positions):
                continue  # never closed: plain text
            close_match = _OPAQUE_CLOSE.match(text, positions[index])
            end = close_match.end() if close_match else positions[index]
        pieces.append(text[cursor:start])
        pieces.append(_blank(text[start:end]))
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)


# --- template spans ----------------------------------------------------------------------------

_BRACES = re.compile(r"\{\{|\}\}")


class _Spans:
    """Sorted, non-overlapping [start, end) ranges, with a fast membership test."""

    def __init__(self, spans: list[tuple[int, int]]):
        self.starts = [start for start, _ in spans]
        self.ends = [end for _, end in spans]

    def find(self, position: int) -> int:
        """Index of the span holding `position`, or -1."""
        index = bisect_right(self.starts, position) - 1
        if index >= 0 and position < self.ends[index]:
            return index
        return -1

    def strictly_inside(self, position: int) -> bool:
        index = self.find(position)
        return index >= 0 and position > self.starts[index]


def template_spans(masked: str) -> list[tuple[int, int]]:
    """Outermost `{{ … }}` ranges, braces paired as MediaWiki's preprocessor pairs them.

    A `{{` never closed is plain text and does not hide what follows it.
    """
    if "{{" not in masked:
        return []
    stack: list[int] = []
    matched: list[tuple[int, int]] = []
    for match in _BRACES.finditer(masked):
        if match.group() == "{{":
            stack.append(match.start())
        elif stack:
            matched.append((stack.pop(), match.end()))
    matched.sort()
    outermost: list[tuple[int, int]] = []
    for start, end in matched:
        if outermost and start < outermost[-1][1]:
            continue
        outermost.append((start, end))
    return outermost


_NO_SPANS = _Spans([])
_LINK_BRACKETS = re.compile(r"\[\[|\]\]")


def _link_spans(line: str, offset: int) -> list[tuple[int, int]]:
    """Outermost `[[ … ]]` ranges of one line, as absolute positions."""
    if "[[" not in line:
        return []
    stack: list[int] = []
    matched: list[tuple[int, int]] = []
    for match in _LINK_BRACKETS.finditer(line):
        if match.group() == "[[":
            stack.append(match.start())
        elif stack:
            matched.append((stack.pop() + offset, match.end() + offset))
    matched.sort()
    outermost: list[tuple[int, int]] = []
    for start, end in matched:
        if not outermost or start >= outermost[-1][1]:
            outermost.append((start, end))
    return outermost


# --- the line scanner ----------------------------------------------------------------------------

_TABLE_OPEN = re.compile(r":*[ \t]*\{\|")
_DATA_SEPARATOR = re.compile(r"\|\|")
_HEADER_SEPARATOR = re.compile(r"\|\||!!")
_TEMPLATE_NAME = re.compile(r"\{\{([^{}|]*)")
_CELL_TEMPLATES = set(TEMPLATES) | set(FOOTNOTE_TEMPLATES)  # cell content, never rows

_ROW_MARK = re.compile(r"\|-+")


@dataclass
class _RawCell:
    kind: str  # "data", "header", "caption" or "template"
    start: int  # first character after the cell marker
    content_start: int  # first character after the attributes
    line: int
    attrs: str = ""
    end: int = -1
    excluded: list[tuple[int, int]] = field(default_factory=list)  # nested tables


@dataclass
class _RawRow:
    attrs: str
    raw_start: int
    raw_end: int = -1
    cells: list[_RawCell] = field(default_factory=list)


@dataclass
class _RawTable:
    index: int
    line: int
    section_path: tuple[str, ...]
    open_start: int  # start of the `{|` line
    close_end: int = -1
    rows: list[_RawRow] = field(default_factory=list)
    captions: list[_RawCell] = field(default_factory=list)
    row: _RawRow | None = None
    cell: _RawCell | None = None


class _Scanner:
    """One pass over the lines: headings, table starts and ends, rows and cells.

    Structure is read from the masked text (so examples and comments are invisible) and
    positions are shared with the original text, from which raw cell source is cut.
    """

    def __init__(self, text: str, renderer: _CellRenderer):
        self.text = text
        self.renderer = renderer
        self.masked = mask_opaque(text)
        self.templates = _Spans(template_spans(self.masked))
        self.title = ""
        self.sections: list[Section] = []
        self.section_stack: list[tuple[int, str]] = []
        self.tables: list[_RawTable] = []
        self.open: list[_RawTable] = []

    # The scan ----------------------------------------------------------------------------------

    def run(self) -> None:
        masked_lines = self.masked.split("\n")
        starts = [0] * len(masked_lines)
        offset = 0
        for number, line in enumerate(masked_lines):
            starts[number] = offset
            offset += len(line) + 1
        self.line_starts = starts
        unclosed = self._unclosed_tables(masked_lines)
        skip_until = -1
        for number, line in enumerate(masked_lines):
            line_start = starts[number]
            if line_start < skip_until:
                continue
            line_end = line_start + len(line)
            stripped = line.lstrip()
            first = line_start + len(line) - len(stripped)
            if not stripped or self.templates.strictly_inside(first):
                self._continue(line_end)
                continue
            if line.startswith("=") and self._heading(line, line_start, number + 1):
                self._close_unclosed_at(line_start, unclosed)
                self._continue(line_end)
                continue
            if _TABLE_OPEN.match(stripped):
                self._open_table(line_start, number + 1)
                continue
            if not self.open:
                continue
            skip_until = self._table_line(stripped, first, line_start, line_end, number + 1)
        while self.open:
            self._close_table(len(self.text), len(self.text))

    def _before(self, position: int) -> int:
        """Where the text before a line starting at `position` ends (its newline left out)."""
        if position > 0 and self.text[position - 1] == "\n":
            return position - 1
        return position

    def _unclosed_tables(self, masked_lines: list[str]) -> set[int]:
        """Line numbers of the `{|` that no `|}` closes: a heading may end those early."""
        stack: list[int] = []
        unclosed: set[int] = set()
        for number, line in enumerate(masked_lines):
            stripped = line.lstrip()
            if not stripped.startswith(("{|", ":", "|}")):
                continue
            first = self.line_starts[number] + len(line) - len(stripped)
            if self.templates.strictly_inside(first):
                continue
            if _TABLE_OPEN.match(stripped):
                stack.append(number)
            elif stripped.startswith("|}") and stack:
                stack.pop()
        unclosed.update(stack)
        return unclosed

    def _continue(self, line_end: int) -> None:
        """A line that is no table markup: the open cell (if any) goes on."""
        if self.open:
            table = self.open[-1]
            if table.cell is not None:
                table.cell.end = line_end

    # Headings ----------------------------------------------------------------------------------

    def _heading(self, line: str, line_start: int, number: int) -> bool:
        trimmed = line.rstrip()
        leading = len(trimmed) - len(trimmed.lstrip("="))
        trailing = len(trimmed) - len(trimmed.rstrip("="))
        if leading == len(trimmed):
            return False
        level = min(leading, trailing, 6)
        if level == 0:
            return False
        inner = self.text[line_start + level : line_start + len(trimmed) - level].strip()
        if not inner:
            return False
        title = self.renderer.render(inner, count=False)[0]
        if level == 1 and not self.title:
            self.title = title
            return True
        self.section_stack = [(lvl, name) for lvl, name in self.section_stack if lvl < level]
        self.section_stack.append((level, title))
        path = tuple(name for _, name in self.section_stack)
        self.sections.append(Section(level, title, number, path))
        return True

    def _close_unclosed_at(self, line_start: int, unclosed: set[int]) -> None:
        """A heading ends every open table that nothing else would close (and those inside it)."""
        for depth, table in enumerate(self.open):
            if table.line - 1 in unclosed:
                while len(self.open) > depth:
                    self._close_table(line_start, self._before(line_start))
                return

    # Tables ------------------------------------------------------------------------------------

    def _open_table(self, line_start: int, number: int) -> None:
        path = tuple(name for _, name in self.section_stack)
        table = _RawTable(
            index=len(self.tables) + 1, line=number, section_path=path, open_start=line_start
        )
        self.tables.append(table)
        self.open.append(table)

    def _end_cell(self, table: _RawTable, end: int) -> None:
        if table.cell is not None:
            table.cell.end = max(end, table.cell.content_start)
            table.cell = None

    def _end_row(self, table: _RawTable, end: int) -> None:
        if table.row is not None:
            table.row.raw_end = end
            if table.row.cells:
                table.rows.append(table.row)
            table.row = None

    def _close_table(self, line_start: int, close_end: int) -> None:
        """End the innermost open table; `line_start` is where its closing line begins."""
        table = self.open.pop()
        self._end_cell(table, self._before(line_start))
        self._end_row(table, line_start)
        table.close_end = close_end
        if self.open:
            parent = self.open[-1]
            if parent.cell is not None:
                parent.cell.excluded.append((table.open_start, close_end))
                parent.cell.end = max(parent.cell.end, close_end)

    def _table_line(
        self, stripped: str, first: int, line_start: int, line_end: int, number: int
    ) -> int:
        """Read one line inside a table; returns the position to skip to (row templates)."""
        table = self.open[-1]
        before = self._before(line_start)
        if stripped.startswith("|}"):
            self._close_table(line_start, line_end)
            return -1
        if stripped.startswith("|-"):
            self._end_cell(table, before)
            self._end_row(table, line_start)
            mark = _ROW_MARK.match(stripped)
            after = first + (mark.end() if mark else 2)
            table.row = _RawRow(attrs=self.text[after:line_end], raw_start=after)
            return -1
        if stripped.startswith("|+"):
            self._end_cell(table, before)
            caption = self._cell(first + 2, line_end, "caption", number)
            table.captions.append(caption)
            table.cell = caption
            return -1
        if stripped[0] in "|!":
            self._end_cell(table, before)
            self._cells(table, stripped[0], first, line_start, line_end, number)
            return -1
        template = self.templates.find(first)
        if template >= 0 and self.templates.starts[template] == first:
            end = self.templates.ends[template]
            end_line_end = self.text.find("\n", end)
            end_line_end = len(self.text) if end_line_end < 0 else end_line_end
            name = _TEMPLATE_NAME.match(self.text, first)
            known = name is not None and template_key(name.group(1)) in _CELL_TEMPLATES
            if not known and not self.masked[end:end_line_end].strip():
                cell = table.cell
                if cell is None or self.text[cell.content_start : before].strip():
                    self._row_template(table, first, end, line_start, number)
                    return end_line_end
        self._continue(line_end)
        return -1

    def _row_template(
        self, table: _RawTable, start: int, end: int, line_start: int, number: int
    ) -> None:
        """A template alone on its lines between cells: it writes rows we cannot see; keep it as
        one row of one cell so that nothing is lost silently."""
        self._end_cell(table, self._before(line_start))
        self._end_row(table, line_start)
        cell = _RawCell(kind="template", start=start, content_start=start, line=number, end=end)
        table.rows.append(_RawRow(attrs="", raw_start=start, raw_end=end, cells=[cell]))

    def _cells(
        self, table: _RawTable, marker: str, first: int, line_start: int, line_end: int, number: int
    ) -> None:
        """Split a `|` or `!` line into its cells (`||`, and `!!` on a header line)."""
        position = first + 1
        if self.masked[position : position + 1] == marker:
            position += 1  # `||x` or `!!x` opening a line: one marker, as MediaWiki reads it
        line = self.masked[line_start:line_end]
        links = _Spans(_link_spans(line, line_start)) if "[[" in line else _NO_SPANS
        separator = _HEADER_SEPARATOR if marker == "!" else _DATA_SEPARATOR
        pieces: list[tuple[int, int]] = []
        start = position
        for match in separator.finditer(self.masked, position, line_end):
            found = match.start()
            if self.templates.find(found) >= 0 or links.find(found) >= 0:
                continue
            pieces.append((start, found))
            start = match.end()
        pieces.append((start, line_end))
        if table.row is None:
            table.row = _RawRow(attrs="", raw_start=line_start)
        kind = "header" if marker == "!" else "data"
        for piece_start, piece_end in pieces:
            cell = self._cell(piece_start, piece_end, kind, number, links)
            cell.end = piece_end
            table.row.cells.append(cell)
        table.cell = table.row.cells[-1]

    def _cell(
        self, start: int, end: int, kind: str, number: int, links: _Spans | None = None
    ) -> _RawCell:
        """A cell from `start` (after its marker); attributes end at a lone `|` on its line."""
        if links is None:
            line_start = self.text.rfind("\n", 0, start) + 1
            line = self.masked[line_start:end]
            links = _Spans(_link_spans(line, line_start)) if "[[" in line else _NO_SPANS
        content_start = start
        search = start
        while True:
            bar = self.masked.find("|", search, end)
            if bar < 0:
                break
            if self.templates.find(bar) >= 0 or links.find(bar) >= 0:
                search = bar + 1
                continue
            if "[[" not in self.masked[start:bar]:
                content_start = bar + 1
            break
        attrs = self.text[start : content_start - 1] if content_start > start else ""
        return _RawCell(
            kind=kind, start=start, content_start=content_start, line=number, attrs=attrs, end=end
        )


# --- from raw cells to the grid -------------------------------------------------------------------

_ATTRIBUTE = re.compile(
    r"""(?:^|(?<=[\s"'/]))([a-zA-Z][\w:.-]*)\s*=\s*(?:"([^"]*)"?|'([^']*)'?|([^\s"'>]*))"""
)
_LEADING_INT = re.compile(r"\s*(\d+)")


def cell_attributes(attrs: str) -> dict[str, str]:
    """Attribute names (lower case) and values of a cell or row, entities decoded."""
    found: dict[str, str] = {}
    for match in _ATTRIBUTE.finditer(attrs):
        name = match.group(1).lower()
        if name not in found:
            value = next((group for group in match.groups()[1:] if group is not None), "")
            found[name] = html.unescape(value).strip()
    return found


def span_value(value: str | None, default: int = 1) -> int:
    """An HTML span attribute read as browsers read it: leading digits, else the default."""
    if value is None:
        return default
    match = _LEADING_INT.match(value)
    return int(match.group(1)) if match else default


_Rendered = tuple[str, tuple[str, ...], tuple[str, ...], "str | None", tuple[str, ...]]
_GridCell = tuple[Cell, int, int]  # the cell, its rowspan (0 = to the end) and colspan


class _CellRenderer:
    """Renders cell markup once per distinct source and counts unknown templates per use."""

    def __init__(self) -> None:
        self.cache: dict[str, _Rendered] = {}
        self.unknown_templates: Counter[str] = Counter()

    def render(self, source: str, count: bool = True) -> _Rendered:
        """(text, notes, unknown templates, sort value, image labels) of a cell's content."""
        cached = self.cache.get(source)
        if cached is None:
            try:
                rendered = render_cell(source)
            except ValueError:  # a MarkupError, or a template handler refusing its arguments
                rendered = _unparsed(source)
            cached = (
                rendered.text,
                tuple(rendered.notes),
                tuple(rendered.unknown_templates),
                rendered.sort_value,
                tuple(rendered.image_labels),
            )
            self.cache[source] = cached
        if count and cached[2]:
            self.unknown_templates.update(cached[2])
        return cached


_MARKUP_CHARACTERS = re.compile(r"[\[\]{}<>|'=\x00]")


def _unparsed(source: str) -> RenderedCell:
    """A cell the wikitext parser cannot read: its text without markup characters, flagged."""
    text = collapse_spaces(_MARKUP_CHARACTERS.sub(" ", source))
    return RenderedCell(text=text, notes=[UNPARSED_NOTE])


def _content(text: str, cell: _RawCell) -> str:
    """The cell's content as written, nested tables left out."""
    end = max(cell.end, cell.content_start)
    if not cell.excluded:
        return text[cell.content_start : end]
    pieces: list[str] = []
    cursor = cell.content_start
    for start, stop in sorted(cell.excluded):
        if start > cursor:
            pieces.append(text[cursor : min(start, end)])
        cursor = max(cursor, stop)
    if cursor < end:
        pieces.append(text[cursor:end])
    return "".join(pieces)


def _grid_cell(text: str, raw: _RawCell, renderer: _CellRenderer) -> _GridCell:
    rendered_text, notes, _, sort_value, image_labels = renderer.render(_content(text, raw))
    rowspan = colspan = 1
    if raw.attrs:
        attributes = cell_attributes(raw.attrs)
        sort_value = attributes.get("data-sort-value", sort_value)
        rowspan = span_value(attributes.get("rowspan"))
        colspan = min(max(span_value(attributes.get("colspan")), 1), MAX_COLSPAN)
    cell = Cell(
        raw=text[raw.start : max(raw.end, raw.start)].strip(),
        text=rendered_text,
        notes=notes,
        is_header=raw.kind == "header",
        sort_value=sort_value,
        label_hint=" / ".join(image_labels) if image_labels and raw.kind == "header" else None,
    )
    return cell, rowspan, colspan


_HOLE = Cell(raw="", text="")  # an empty slot left between taken ones


# Spans can make a grid grow without bound (every rowspan pushes later cells right); no real
# table comes near these, and past them a table is reported, not expanded.
MAX_GRID_COLUMNS = 1000
MAX_GRID_CELLS = 1_000_000


def expand_spans(rows: list[list[_GridCell]]) -> list[list[Cell]]:
    """Lay cells out as the HTML table model does, copying spanned cells into every slot.

    A cell with rowspan N takes the same column in the next N-1 rows (clamped to the table and
    to MAX_ROWSPAN; 0 means to the end), later cells in those rows shift right past taken slots,
    colspan N takes N columns. Copies keep the text and carry origin "rowspan" (any slot below
    the source row) or "colspan" (same row). Overlapping spans never overwrite a taken slot. A
    hole that a rowspan leaves before a taken slot is filled with an empty cell so that columns
    stay aligned.
    """
    count = len(rows)
    taken: list[dict[int, Cell]] = [{} for _ in range(count)]
    placed = 0
    for row_number, row in enumerate(rows):
        slots = taken[row_number]
        column = 0
        overflow: list[Cell] = []
        for cell, rowspan, colspan in row:
            while column in slots:
                column += 1
            if column >= MAX_GRID_COLUMNS:
                overflow.append(cell)
                continue
            if placed >= MAX_GRID_CELLS:  # enough copies: the rest keep their own slot only
                rowspan = colspan = 1
            colspan = min(colspan, MAX_GRID_COLUMNS - column)
            placed += max(rowspan, 1) * colspan
            if rowspan == 1 and colspan == 1:
                slots[column] = cell
                column += 1
                continue
            rowspan = rowspan if rowspan > 0 else count - row_number
            rowspan = min(rowspan, count - row_number, MAX_ROWSPAN)
            down = replace(cell, origin="rowspan")
            across = replace(cell, origin="colspan")
            for offset in range(rowspan):
                target = taken[row_number + offset]
                for extra in range(colspan):
                    if column + extra in target:
                        continue
                    if offset:
                        target[column + extra] = down
                    else:
                        target[column + extra] = across if extra else cell
            column += colspan
        if overflow:  # their text is kept in one last cell, which the width check reports
            slots[MAX_GRID_COLUMNS] = Cell(
                raw="", text=" ".join(cell.text for cell in overflow if cell.text)
            )
    grid_rows: list[list[Cell]] = []
    for slots in taken:
        width = max(slots) + 1 if slots else 0
        grid_rows.append([slots.get(column) or _HOLE for column in range(width)])
    return grid_rows


def _is_header_row(cells: list[Cell]) -> bool:
    """Header cells only, after maybe some empty data cells (the corner above row headers)."""
    sources = [cell for cell in cells if cell.origin == "source"]
    first = next((index for index, cell in enumerate(sources) if cell.is_header), None)
    if first is None:
        return False
    return all(not cell.text for cell in sources[:first]) and all(
        cell.is_header for cell in sources[first:]
    )


def _spans_the_row(cells: list[Cell]) -> bool:
    """One written cell across a row of two or more columns."""
    return (
        len(cells) > 1
        and sum(cell.origin == "source" for cell in cells) == 1
        and all(cell.origin in ("source", "colspan") for cell in cells)
    )


def combine_header(header_rows: list[list[Cell]], width: int) -> list[str]:
    """One label per column: the distinct non-empty texts of the header rows, top-down.

    A column whose header cells show no text at all takes the distinct labels of their images,
    else the parties their colour templates name; a column with text keeps its text alone.
    """
    labels: list[str] = []
    for column in range(width):
        cells = [row[column] for row in header_rows if column < len(row)]
        texts = _distinct([cell.text for cell in cells])
        if not texts:
            texts = _distinct([cell.label_hint for cell in cells]) or _distinct(
                [_colour_party(cell.raw) for cell in cells if cell.is_header]
            )
        labels.append(" ".join(texts))
    return labels


def header_groups(header_rows: list[list[Cell]], width: int) -> list[str]:
    """Per column, the text of the lowest header cell above its own label that spans several
    columns: the question a group of answer columns belongs to ("" when none does)."""
    groups = [""] * width
    for row in header_rows[:-1]:
        for column in range(min(width, len(row))):
            cell = row[column]
            if cell.text and _spans_columns(row, column):
                groups[column] = cell.text
    return groups


def _spans_columns(row: list[Cell], column: int) -> bool:
    cell = row[column]
    if cell.origin == "colspan":
        return True
    following = row[column + 1] if column + 1 < len(row) else None
    return (
        cell.origin == "source"
        and following is not None
        and following.origin == "colspan"
        and following.raw == cell.raw
    )


def _distinct(texts: list[str | None]) -> list[str]:
    found: list[str] = []
    for text in texts:
        if text and text not in found:
            found.append(text)
    return found


_COLOUR_TEMPLATE = re.compile(r"\{\{([^{}|]*)(?:\|([^{}|]*))?")
_COLOUR_KEYS = {"party color", "party colour", "party color cell", "party colour cell"}


def _colour_party(raw: str) -> str | None:
    """The party a header cell is coloured for: `{{party color|X}}` (or `colour`, or `color
    cell`) in its attributes or content gives X, `{{Party shading/X}}` gives X."""
    if "{{" not in raw:
        return None
    for match in _COLOUR_TEMPLATE.finditer(raw):
        name = collapse_spaces(match.group(1))
        key = template_key(name)
        if key.startswith("party shading/"):
            party = name.partition("/")[2]
        elif key in _COLOUR_KEYS and match.group(2) is not None:
            party = match.group(2)
        else:
            continue
        party = collapse_spaces(party.replace("_", " "))
        if party:
            return party
    return None


def _build_table(raw: _RawTable, text: str, renderer: _CellRenderer) -> SourceTable:
    """Render the cells, lay out the grid, split the leading header rows from the data rows.

    A table made only of header rows keeps its first as the header and the rest as data, so
    that no row disappears; a table with no header row gets one empty label per column.
    """
    grid = [[_grid_cell(text, cell, renderer) for cell in row.cells] for row in raw.rows]
    expanded = expand_spans(grid)
    header_count = 0
    while header_count < len(expanded) and _is_header_row(expanded[header_count]):
        if header_count and _spans_the_row(expanded[header_count]):
            break  # "! colspan=8 | 2023" below the labels: a year or heading row, not a label
        header_count += 1
    if header_count and header_count == len(expanded):
        header_count = 1  # a table of header cells only: keep its rows as data
    # The header is as wide as its own rows: a data row with more cells than it is then
    # reported (too_many_cells) instead of widening the table with unlabelled columns.
    widths = [len(row) for row in (expanded[:header_count] or expanded)]
    header = combine_header(expanded[:header_count], max(widths, default=0))
    groups = header_groups(expanded[:header_count], len(header))
    header_raw = ""
    if header_count:
        header_raw = text[raw.rows[0].raw_start : raw.rows[header_count - 1].raw_end].strip()
    rows = [
        SourceRow(
            row_index=index,
            line=raw_row.cells[0].line,
            raw_text=text[raw_row.raw_start : raw_row.raw_end].strip(),
            cells=cells,
            css_class=cell_attributes(raw_row.attrs).get("class", "") if raw_row.attrs else "",
        )
        for index, (raw_row, cells) in enumerate(
            zip(raw.rows[header_count:], expanded[header_count:], strict=True), start=1
        )
    ]
    caption = ""
    for caption_cell in raw.captions:
        caption = renderer.render(_content(text, caption_cell))[0]
        if caption:
            break
    return SourceTable(
        table_index=raw.index,
        line=raw.line,
        section_path=raw.section_path,
        header=header,
        header_raw=header_raw,
        rows=rows,
        caption=caption,
        column_groups=groups,
    )
