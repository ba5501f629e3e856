"""Stage 1, parse: read an article file and find its title, sections, infobox and tables.

Two input forms land in the same `Article`: the flattened wiki-style text (headings `==X==`,
tables as runs of `| a | b |` lines whose first line is the header) parsed here, and real
MediaWiki wikitext (`{| … |}` tables) parsed by `flows.wikitext`. Headings and cell markup go
through mwparserfromhell; the line structure is read directly, because handing a whole article to
mwparserfromhell is slow (about 0.7 MB/s) and super-linear on broken markup.

Refuses, with an `ArticleError` naming the file: an empty file, a file that is not UTF-8, a binary
file (NUL bytes).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from pathlib import Path

from flows.article import Article, ArticleFormat, Cell, Section, SourceRow, SourceTable
from flows.dates import looks_like_date
from flows.markup import MarkupError, parse_markup, render_cell
from flows.values import CellKind, cell_kind
from schemas.checks import check

ARTICLE_SUFFIXES = (".txt", ".wiki", ".wikitext")
WIKITEXT_SUFFIXES = (".wiki", ".wikitext")


class ArticleError(Exception):
    """An article that cannot be read at all; the message names the file and says why."""

    def __init__(
        self,
        source_path: str,
        reason: str,
        line: int | None = None,
        check_name: str = "unreadable_file",
    ):
        check(check_name)  # a name the registry does not hold fails here, where it is made
        self.source_path, self.reason, self.line = source_path, reason, line
        self.check_name = check_name
        where = f"{source_path}:{line}" if line else source_path
        super().__init__(f"{where}: {reason}")

    def __reduce__(self):  # keeps every field when the error crosses a process boundary
        return (ArticleError, (self.source_path, self.reason, self.line, self.check_name))


# A bigger file is refused before it is read: real articles are well under 2 MB.
DEFAULT_MAX_FILE_BYTES = 20 * 1024**2
# A NUL this early means a binary file (git's test); later ones are replaced like other controls.
BINARY_SNIFF_BYTES = 8000
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def source_path_of(path: Path, raw_dir: Path) -> str:
    """The article's key: its path under raw/, as text that any database can store (a file name
    that is not UTF-8 keeps its odd bytes as \\x escapes)."""
    relative = path.relative_to(raw_dir).as_posix()
    return relative.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def find_article_files(raw_dir: Path) -> list[Path]:
    """Article files under `raw_dir`, nested folders included, in a stable order."""
    return sorted(
        path
        for path in raw_dir.rglob("*")
        if path.is_file()
        and path.suffix.lower() in ARTICLE_SUFFIXES
        and not any(part.startswith(".") for part in path.relative_to(raw_dir).parts)
    )


def read_article_text(
    path: Path,
    source_path: str,
    max_bytes: int = DEFAULT_MAX_FILE_BYTES,
    raw_dir: Path | None = None,
) -> tuple[str, str]:
    """The file's text and the SHA-256 of its bytes; refuses what is not a readable article:
    a link out of the raw folder, a file over `max_bytes`, an empty, binary or non-UTF-8 file."""
    if raw_dir is not None and path.is_symlink():
        target = path.resolve()
        if not target.is_relative_to(raw_dir.resolve()):
            raise ArticleError(source_path, f"a symbolic link to {target}, outside the raw folder")
    size = path.stat().st_size
    if size > max_bytes:
        raise ArticleError(
            source_path,
            f"the file is {size / 1024**2:.1f} MB, over the {max_bytes / 1024**2:g} MB limit "
            "(--max-file-mb); no article is this big",
            check_name="file_too_large",
        )
    data = path.read_bytes()
    if not data.strip():
        raise ArticleError(source_path, "the file is empty")
    if b"\x00" in data[:BINARY_SNIFF_BYTES]:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise ArticleError(source_path, "the file holds NUL bytes: binary, not an article", line)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ArticleError(
            source_path,
            f"not UTF-8 text (byte {data[error.start]:#04x} at offset {error.start})",
            line,
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n"), hashlib.sha256(data).hexdigest()


def detect_format(path: Path, text: str) -> ArticleFormat:
    """Wikitext by suffix, or by content: a line opening a `{|` table."""
    if path.suffix.lower() in WIKITEXT_SUFFIXES or re.search(r"^\s*\{\|", text, re.MULTILINE):
        return "wikitext"
    return "flattened"


def parse_article_file(
    path: Path, raw_dir: Path, max_bytes: int = DEFAULT_MAX_FILE_BYTES
) -> Article:
    """Read and parse one file of the raw folder."""
    source_path = source_path_of(path, raw_dir)
    text, sha256 = read_article_text(path, source_path, max_bytes, raw_dir)
    text, replaced = replace_control_characters(text)
    article = parse_article_text(text, source_path, sha256, detect_format(path, text))
    article.control_characters_replaced = replaced
    status = path.stat()
    article.file_size, article.file_mtime_ns = status.st_size, status.st_mtime_ns
    return article


def replace_control_characters(text: str) -> tuple[str, int]:
    """NUL and other control characters become U+FFFD, counted: mwparserfromhell's tokenizer
    cuts the text at a NUL, and a value holding one is then rejected with a visible reason."""
    replaced = 0

    def count(_: re.Match[str]) -> str:
        nonlocal replaced
        replaced += 1
        return "\ufffd"

    return _CONTROL_CHARACTERS.sub(count, text), replaced


def parse_article_text(
    text: str, source_path: str, sha256: str = "", article_format: ArticleFormat = "flattened"
) -> Article:
    """Parse an article's text in the given form."""
    sha256 = sha256 or hashlib.sha256(text.encode("utf-8")).hexdigest()
    if article_format == "wikitext":
        from flows.wikitext import parse_wikitext_article

        return parse_wikitext_article(text, source_path, sha256)
    return parse_flattened_article(text, source_path, sha256)


# --- the flattened form --------------------------------------------------------------------------

_HEADING_LINE = re.compile(r"^(={1,6})[^=].*?\1\s*$")
_INFOBOX_LINE = re.compile(r"^infobox\b", re.IGNORECASE)
_INFOBOX_FIELD = re.compile(r"^\s*-\s*([^:]+?)\s*:\s*(.*)$")


def title_from_path(source_path: str) -> str:
    """The file name as a title, for an article with none: "a__b.wiki" reads "a b"."""
    return " ".join(Path(source_path).stem.replace("_", " ").split())


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


def _is_label_text(text: str) -> bool:
    """A header label: words, not a number, a share or a date."""
    return cell_kind(text) is CellKind.TEXT and not looks_like_date(text, year_may_be_missing=True)
