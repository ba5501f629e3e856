"""Plain data passed between the pipeline stages: an article, its tables, their rows and cells.

Both input forms (the flattened wiki-style text and real MediaWiki wikitext) are read into these
same classes, so everything after the parse stage is written once. Nothing here knows about
Prefect, pandera or DuckDB.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

ArticleFormat = Literal["flattened", "wikitext"]
CellOrigin = Literal["source", "rowspan", "colspan"]


@dataclass(frozen=True)
class Cell:
    """One table cell: the text as written and the value a reader sees.

    `origin` says whether the cell was written in the source or is a copy made by a rowspan or
    colspan, so a copied value is never counted as a second observation.
    """

    raw: str
    text: str
    notes: tuple[str, ...] = ()
    is_header: bool = False
    origin: CellOrigin = "source"
    sort_value: str | None = None
    # A header cell's label when it shows no text: what its images link to (or say, in `alt=`).
    label_hint: str | None = None


@dataclass
class SourceRow:
    """A data row of a table, with where it stands in the file."""

    row_index: int  # 1-based among the table's data rows (header rows not counted)
    line: int  # 1-based line of the file where the row starts
    raw_text: str
    cells: list[Cell]
    css_class: str = ""


@dataclass
class SourceTable:
    """A table as found in the article: one label per column, then its data rows."""

    table_index: int  # 1-based order of the table in the article
    line: int  # 1-based line of the "{|" (wikitext) or of the header row (flattened)
    section_path: tuple[str, ...]
    header: list[str]
    header_raw: str
    rows: list[SourceRow]
    caption: str = ""
    # Per column, the label of a header cell above it that spans several columns ("Zapatero"
    # over "Approval | Disapproval"): columns of one group answer one question. "" for none.
    column_groups: list[str] = field(default_factory=list)


@dataclass
class Section:
    level: int
    title: str
    line: int
    path: tuple[str, ...]


@dataclass
class Article:
    """An article read from `raw/` and parsed into sections and tables."""

    article_id: str  # the file's path relative to the raw folder: stable across runs
    source_path: str
    title: str
    format: ArticleFormat
    content_sha256: str
    sections: list[Section] = field(default_factory=list)
    infobox: dict[str, str] = field(default_factory=dict)
    tables: list[SourceTable] = field(default_factory=list)
    unknown_templates: dict[str, int] = field(default_factory=dict)  # name -> times seen
    control_characters_replaced: int = 0  # NULs and other controls read as U+FFFD
    # Where the text came from: the file's size and mtime (for unchanged-file skips), or the
    # wiki page and revision (for dump pages and fetched articles).
    file_size: int | None = None
    file_mtime_ns: int | None = None
    page_id: int | None = None
    revision_id: int | None = None
    revision_timestamp: str | None = None


def title_from_path(source_path: str) -> str:
    """The file name as a title, for an article with none: "a__b.wiki" reads "a b"."""
    return " ".join(Path(source_path).stem.replace("_", " ").split())
