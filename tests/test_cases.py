"""Data-driven cases (tests/cases/): input -> expected output files for the cell markup readers,
the dates and the table kinds, every case run through both cell readers (the fast reader and
mwparserfromhell), and every table case in both input forms (flattened and wikitext).

Add a case by adding lines to a file there; the files say their format at the top.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from flows.read import flattened, markup, wikitext
from flows.read.files import parse_article_text
from flows.read.markup import render_cell, render_cell_with_parser
from flows.shape.dates import DateParseError, parse_date_span
from flows.shape.tables import classify_table

CASES = Path(__file__).resolve().parent / "cases"
READERS = {"fast": render_cell, "parser": render_cell_with_parser}


# --- cell markup ---------------------------------------------------------------------------------


@dataclass
class MarkupCase:
    name: str
    source: str
    text: str
    notes: list[str]


def markup_cases() -> list[MarkupCase]:
    cases: list[MarkupCase] = []
    lines = [
        line
        for line in (CASES / "markup.cases").read_text(encoding="utf-8").splitlines()
        if line.strip() and (line.startswith("### ") or not line.startswith("#"))
    ]
    for line in lines:
        if line.startswith("### "):
            cases.append(MarkupCase(line[4:], "", "", []))
        elif line.startswith("text: "):
            cases[-1].text = line[len("text: ") :]
        elif line.startswith("notes: "):
            cases[-1].notes = line[len("notes: ") :].split(" || ")
        else:
            cases[-1].source = line.replace("\\n", "\n")
    return cases


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("case", markup_cases(), ids=lambda case: case.name)
def test_markup_case(case: MarkupCase, reader: str) -> None:
    rendered = READERS[reader](case.source)
    assert (rendered.text, rendered.notes) == (case.text, case.notes)


# --- dates -------------------------------------------------------------------------------------


def date_cases() -> list[tuple[str, int | None, str | None, str]]:
    cases = []
    for line in (CASES / "dates.cases").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        text, year, order, expected = line.split("\t")[:4]
        cases.append((
            text, None if year == "-" else int(year), None if order == "-" else order,
            expected.split("#")[0].strip(),
        ))  # fmt: skip
    return cases


@pytest.mark.parametrize(("text", "year", "order", "expected"), date_cases())
def test_date_case(text: str, year: int | None, order: str | None, expected: str) -> None:
    if expected == "refused":
        with pytest.raises(DateParseError):
            parse_date_span(text, default_year=year, numeric_order=order)
        return
    span = parse_date_span(text, default_year=year, numeric_order=order)
    assert f"{span.start}..{span.end} {span.precision}" == expected


# --- table kinds and column roles ----------------------------------------------------------------


@dataclass
class TableCase:
    name: str
    kind: str
    roles: list[str]
    lines: list[str]  # the flattened table


def table_cases() -> list[TableCase]:
    cases = []
    for path in sorted((CASES / "tables").glob("*.table")):
        kind, roles, lines = "", [], []
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("kind: "):
                kind = line[len("kind: ") :]
            elif line.startswith("roles: "):
                roles = line[len("roles: ") :].split(" | ")
            elif line.startswith("|"):
                lines.append(line)
        cases.append(TableCase(path.stem, kind, roles, lines))
    return cases


def cells_of(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def as_wikitext(lines: list[str]) -> str:
    """The same table as MediaWiki writes it: `!` header cells, then one `|-` row each."""
    rows = ["! " + " !! ".join(cells_of(lines[0]))]
    rows += ["|-\n| " + " || ".join(cells_of(line)) for line in lines[1:]]
    return '{| class="wikitable"\n' + "\n".join(rows) + "\n|}\n"


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("form", ["flattened", "wikitext"])
@pytest.mark.parametrize("case", table_cases(), ids=lambda case: case.name)
def test_table_case(
    case: TableCase, form: str, reader: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for module in (flattened, wikitext, markup):
        monkeypatch.setattr(module, "render_cell", READERS[reader])
    text = "\n".join(case.lines) + "\n" if form == "flattened" else as_wikitext(case.lines)
    (table,) = parse_article_text(text, f"{case.name}.txt", "", form).tables
    classified = classify_table(table)
    assert classified.kind == case.kind, classified.reason
    assert [column.role.value for column in classified.columns] == case.roles
