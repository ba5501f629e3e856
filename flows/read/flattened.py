"""The flattened wiki-style form: `= Title =`, headings `==X==`, and tables as runs of `| a | b |`
lines whose first line (or first two, see `flattened_header`) is the header.

Headings and cell markup go through `flows.read.markup`; the line structure is read directly,
because handing a whole article to mwparserfromhell is slow (about 0.7 MB/s) and super-linear on
broken markup. A cell whose markup cannot be read without losing text is refused with an
`ArticleError` naming the line.
"""

from __future__ import annotations

import re
from collections import Counter

from flows.article import Article, Cell, Section, SourceRow, SourceTable, title_from_path
from flows.read.errors import ArticleError
from flows.read.markup import MarkupError, parse_markup, render_cell
from flows.vocabulary import MONTH_NAMES

_HEADING_LINE = re.compile(r"^(={1,6})[^=].*?\1\s*$")


_INFOBOX_LINE = re.compile(r"^infobox\b", re.IGNORECASE)


_INFOBOX_FIELD = re.compile(r"^\s*-\s*([^:]+?)\s*:\s*(.*)$")


def parse_flattened_article(text: str, source_path: str, sha256: str) -> Article:
    article = Article(
        article_id=source_path,
        source_path=source_path,
        title="",
        format="flattened",
        content_sha256=sha256,
    )
    lines = text.split("\n")
    section_stack: list[tuple[int, str]] = []
    unknown_templates: Counter[str] = Counter()
    line_number = 0
    while line_number < len(lines):
        line = lines[line_number]
        stripped = line.strip()
        if _HEADING_LINE.match(stripped):
            level, heading = _read_heading(stripped, source_path, line_number + 1)
            if level == 1 and not article.title:
                article.title = heading
            else:
                section_stack = [(lvl, name) for lvl, name in section_stack if lvl < level]
                section_stack.append((level, heading))
                path = tuple(name for _, name in section_stack)
                article.sections.append(Section(level, heading, line_number + 1, path))
            line_number += 1
        elif _INFOBOX_LINE.match(stripped) and not article.tables:
            line_number = _read_infobox(lines, line_number + 1, article.infobox)
        elif stripped.startswith("|"):
            end = line_number
            while end < len(lines) and lines[end].strip().startswith("|"):
                end += 1
            section_path = tuple(name for _, name in section_stack)
            table = _read_pipe_table(
                lines,
                line_number,
                end,
                len(article.tables) + 1,
                section_path,
                source_path,
                unknown_templates,
            )
            article.tables.append(table)
            line_number = end
        else:
            line_number += 1
    article.title = article.title or title_from_path(source_path)
    article.unknown_templates = dict(unknown_templates)
    return article


def _read_heading(line: str, source_path: str, line_number: int) -> tuple[int, str]:
    try:
        headings = parse_markup(line).filter_headings()
    except MarkupError as error:
        raise ArticleError(source_path, f"heading: {error}", line_number) from None
    if not headings:  # e.g. "== a == b ==": not a heading the parser accepts; keep it readable
        level = len(line) - len(line.lstrip("="))
        return level, line.strip("= ").strip()
    heading = headings[0]
    return heading.level, render_cell(str(heading.title)).text


def _read_infobox(lines: list[str], start: int, infobox: dict[str, str]) -> int:
    """Read `- Key: value` lines after an `Infobox` line; return the first line after them."""
    line_number = start
    while line_number < len(lines):
        match = _INFOBOX_FIELD.match(lines[line_number])
        if not match:
            break
        infobox[match.group(1)] = render_cell(match.group(2)).text
        line_number += 1
    return line_number


def split_pipe_row(line: str) -> list[str]:
    """The raw cells of a `| a | b |` line; pipes inside links, templates and tags don't split."""
    body = line.strip()
    if not any(token in body for token in ("[[", "{{", "<")):
        parts = body.split("|")
    else:
        parts = [""]
        for node in parse_markup(body).nodes:
            text = str(node)
            if type(node).__name__ == "Text":
                pieces = text.split("|")
                parts[-1] += pieces[0]
                parts.extend(pieces[1:])
            else:
                parts[-1] += text
    if parts and not parts[0].strip():
        parts = parts[1:]  # before the leading pipe
    if body.endswith("|") and parts:
        parts = parts[:-1]  # after the trailing pipe
    return [part.strip() for part in parts]


def _cell(raw: str, unknown_templates: Counter[str], is_header: bool = False) -> Cell:
    rendered = render_cell(raw)
    unknown_templates.update(rendered.unknown_templates)
    return Cell(
        raw=raw,
        text=rendered.text,
        notes=tuple(rendered.notes),
        is_header=is_header,
        sort_value=rendered.sort_value,
    )


def _read_pipe_table(
    lines: list[str],
    start: int,
    end: int,
    table_index: int,
    section_path: tuple[str, ...],
    source_path: str,
    unknown_templates: Counter[str],
) -> SourceTable:
    def cells_of(line_number: int, is_header: bool = False) -> list[Cell]:
        try:
            return [
                _cell(raw, unknown_templates, is_header)
                for raw in split_pipe_row(lines[line_number])
            ]
        except MarkupError as error:
            raise ArticleError(
                source_path, f"table {table_index}: {error}", line_number + 1
            ) from None

    header_cells = cells_of(start, is_header=True)
    second = cells_of(start + 1, is_header=True) if start + 1 < end else []
    header, caption, header_lines = flattened_header(
        [cell.text for cell in header_cells], [cell.text for cell in second]
    )
    first_row = start + header_lines
    rows = [
        SourceRow(
            row_index=offset,
            line=line_number + 1,
            raw_text=lines[line_number].strip(),
            cells=cells_of(line_number),
        )
        for offset, line_number in enumerate(range(first_row, end), start=1)
    ]
    return SourceTable(
        table_index=table_index,
        line=start + 1,
        section_path=section_path,
        header=header,
        header_raw="\n".join(line.strip() for line in lines[start:first_row]),
        rows=rows,
        caption=caption,
    )


def flattened_header(first: list[str], second: list[str]) -> tuple[list[str], str, int]:
    """The column labels of a flattened table, its caption, and how many lines they take.

    The flattened form writes a spanning cell once and pads every line at the end, so a header
    of two rows comes out as two lines: "| Campaign finance reports as of … | | |" (a title over
    the whole table) above the labels, or "| Host network | Date | Participants | | |" above
    "| Abdul El-Sayed | Shri Thanedar | Gretchen Whitmer | | |" (a group over its columns). A
    second line is read as header only when it holds names alone and exactly fills the columns
    its first line leaves open; anything else is data, and the first line is the header.
    """
    width = max(len(first), len(second))
    filled = _filled_prefix(first)
    labels = _filled_prefix(second)
    header = list(first)  # a wider row below is reported (too_many_cells), never a new column
    if filled is None or labels is None or not labels or filled == len(first):
        return header, "", 1
    if not all(_is_label_text(text) for text in second[:labels]):
        return header, "", 1
    if filled == 1 and labels >= 2:  # a title over the table
        return second + [""] * (width - len(second)), first[0], 2
    groups = filled + labels - width
    if not 1 <= groups <= filled:
        return header, "", 1
    kept = first[: filled - groups]
    group = first[filled - groups] if groups == 1 else ""
    under = [f"{group} {label}".strip() for label in second[:labels]]
    return kept + under, "", 2


def _filled_prefix(cells: list[str]) -> int | None:
    """How many cells a line fills before its padding, or None when it has gaps."""
    count = len(cells)
    while count and not cells[count - 1].strip():
        count -= 1
    if any(not cell.strip() for cell in cells[:count]):
        return None
    return count


_LABEL_WORD = re.compile(r"[^\W\d_]{2,}")
_MONTH_WORD = re.compile(
    r"\b(" + "|".join(name[:3] for name in MONTH_NAMES) + r")[a-z]*\.?\b", re.IGNORECASE
)


def _is_label_text(text: str) -> bool:
    """A header label: words, and neither a number, a share nor a date (a month with a number)."""
    if not _LABEL_WORD.search(text) or text.rstrip().endswith("%"):
        return False
    return not (_MONTH_WORD.search(text) and any(ch.isdigit() for ch in text))
