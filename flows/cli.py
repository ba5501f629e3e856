"""The `wikipoll` command: `run` loads the warehouse through the Prefect flow, `validate` checks
the articles for CI without loading anything.

Prefect is imported only by `run`, after its settings are pointed at local ephemeral mode (unless
the user set `PREFECT_API_URL`), so `validate` starts in a second and never needs a server.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from flows.parse import find_article_files

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="ETL for the opinion-poll and timeline tables of Wikipedia articles, into DuckDB.",
)

RawOption = Annotated[
    Path, typer.Option("--raw", help="Folder of article files (.txt, .wiki, .wikitext).")
]
WarehouseOption = Annotated[
    Path, typer.Option("--warehouse", help="The DuckDB file to load into (created if missing).")
]
RunDateOption = Annotated[
    datetime | None,
    typer.Option(
        "--run-date", formats=["%Y-%m-%d"], help="Check dates against this day, not today."
    ),
]

# Prefect settings for a run with no server: local ephemeral mode, no telemetry. The user's own
# environment wins (setdefault), so PREFECT_API_URL points a run at a real server.
PREFECT_LOCAL_DEFAULTS = {
    "PREFECT_SERVER_EPHEMERAL_ENABLED": "true",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_TELEMETRY_ENABLE_RESOURCE_METRICS": "false",
    "PREFECT_LOGGING_TO_API_ENABLED": "false",
}


def fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"wikipoll: error: {message}", err=True)
    return typer.Exit(code)


def _article_files(raw: Path) -> list[Path]:
    if not raw.is_dir():
        raise fail(f"{raw}: no such folder of articles")
    files = find_article_files(raw)
    if not files:
        raise fail(f"{raw}: no article files (.txt, .wiki, .wikitext) found")
    return files


@app.command()
def run(
    raw: RawOption = Path("raw"),
    warehouse: WarehouseOption = Path("warehouse/wikipoll.duckdb"),
    run_date: RunDateOption = None,
) -> None:
    """Run the Prefect flow: parse, extract, normalize, validate and load every article."""
    _article_files(raw)
    for name, value in PREFECT_LOCAL_DEFAULTS.items():
        os.environ.setdefault(name, value)
    from flows.load import WarehouseError
    from flows.pipeline import wikipoll_flow

    try:
        report = wikipoll_flow(
            raw_dir=str(raw), warehouse=str(warehouse),
            run_date=run_date.date() if run_date else None,
        )  # fmt: skip
    except WarehouseError as error:
        raise fail(str(error)) from None
    except OSError as error:
        raise fail(f"{warehouse}: cannot write the warehouse: {error}") from None
    _print_summary(report)


def _print_summary(report) -> None:
    articles = report.articles
    columns = ["polls", "events", "rejected", "repaired", "skipped", "warnings"]
    typer.echo(f"{'article':<40} " + " ".join(f"{c:>8}" for c in columns) + "  tables")
    for row in articles.itertuples(index=False):
        counts = " ".join(f"{getattr(row, c):>8}" for c in columns)
        tables = f"{row.poll_tables} poll, {row.timeline_tables} timeline, {row.other_tables} other"
        typer.echo(f"{str(row.article_id)[:40]:<40} {counts}  {tables}")
    summary = report.summary
    typer.echo(
        f"run {summary.run_id}: {summary.articles} articles, {summary.polls} polls, "
        f"{summary.events} events, {summary.rejected} rejected, {summary.repaired} repaired, "
        f"{summary.warnings} warnings"
    )
    for refused in report.refused:
        typer.echo(f"not loaded: {refused}", err=True)


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


@app.command()
def validate(
    raw: RawOption = Path("raw"),
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="text for people, json for tools.")
    ] = OutputFormat.text,
    strict: Annotated[bool, typer.Option(help="Fail on warnings too.")] = False,
    run_date: RunDateOption = None,
) -> None:
    """Check every article without loading: exit 0 clean, 1 on any error (or warning with
    --strict), 2 when it could not run."""
    from flows.pipeline import new_run, transform_files
    from flows.validate import validate_batch

    files = _article_files(raw)
    transformed = transform_files(files, raw)
    run = new_run(run_id="validate", run_date=run_date.date() if run_date else None)
    validated = validate_batch(transformed.articles, run, transformed.refused)
    findings = _findings(validated.frames, raw)
    if output_format is OutputFormat.json:
        typer.echo(json.dumps(findings, indent=2, ensure_ascii=False))
    else:
        for finding in findings:
            typer.echo(_finding_line(finding))
    errors = sum(finding["severity"] == "error" for finding in findings)
    warnings = len(findings) - errors
    typer.echo(
        f"{errors} errors, {warnings} warnings in {len(files)} article files "
        f"({len(validated.frames['polls'])} polls, {len(validated.frames['events'])} events "
        "would load)",
        err=output_format is OutputFormat.json,
    )
    if errors or (strict and warnings):
        raise typer.Exit(1)


def _findings(frames, raw: Path) -> list[dict]:
    findings = []
    for severity, table, message_column in (
        ("error", "rejected_rows", "reason"),
        ("warning", "quality_warnings", "detail"),
    ):
        for row in frames[table].to_dict("records"):
            findings.append({
                "severity": severity,
                "file": (raw / row["source_path"]).as_posix(),
                "line": _int_or_none(row["source_line"]),
                "table": _int_or_none(row["table_index"]),
                "row": _int_or_none(row["row_index"]),
                "column": row["column_name"] or None,
                "check": row["check_name"],
                "value": row["value"] or None,
                "message": row[message_column],
            })  # fmt: skip
    return sorted(findings, key=lambda f: (f["file"], f["line"] or 0, f["check"]))


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _finding_line(finding: dict) -> str:
    where = f"{finding['file']}:{finding['line']}" if finding["line"] else finding["file"]
    place = []
    if finding["table"]:
        place.append(f"table {finding['table']}, row {finding['row']}")
    if finding["column"]:
        place.append(f"column {finding['column']!r}")
    located = f" ({', '.join(place)})" if place else ""
    return f"{where}: {finding['severity']}: {finding['check']}{located}: {finding['message']}"


def main() -> None:  # pragma: no cover - the console script calls app directly
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
