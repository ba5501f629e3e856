"""The `wikipoll` command: `run` loads the warehouse through the Prefect flow, `validate` checks
the articles for CI without loading anything.

Prefect is imported only by `run`, after its settings are pointed at local ephemeral mode (unless
the user set `PREFECT_API_URL`), so `validate` starts in a second and never needs a server.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
from datetime import date, datetime, timedelta
from datetime import time as dt_time
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from flows.check.findings import (
    finding_line,
    findings,
    github_annotation,
    junit_report,
    printable,
    source_location,
)
from flows.settings import DEFAULTS, ENVIRONMENT

if TYPE_CHECKING:
    from flows.read.folder import RawFolder

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    invoke_without_command=True,
    pretty_exceptions_show_locals=False,
    help="ETL for the opinion-poll and timeline tables of Wikipedia articles, into DuckDB.",
)

RawOption = Annotated[
    Path,
    typer.Option(
        "--raw",
        envvar=ENVIRONMENT["raw_dir"],
        help="Folder of article files (.txt, .wiki, .wikitext) and dumps (.xml, .xml.bz2).",
    ),
]
WarehouseOption = Annotated[
    Path,
    typer.Option(
        "--warehouse",
        envvar=ENVIRONMENT["warehouse"],
        help="The DuckDB warehouse file to load into (created if missing).",
    ),
]
ReadWarehouseOption = Annotated[
    Path,
    typer.Option(
        "--warehouse",
        envvar=ENVIRONMENT["warehouse"],
        help="The DuckDB warehouse file to read (opened read-only).",
    ),
]
RunDateOption = Annotated[
    datetime | None,
    typer.Option(
        "--run-date", formats=["%Y-%m-%d"], help="Check dates against this day, not today."
    ),
]

BudgetOption = Annotated[
    float,
    typer.Option("--parse-budget", help="Seconds one article may take to parse before it is "
                 "stopped and reported (broken markup can make the parser very slow)."),
]  # fmt: skip
MaxFileOption = Annotated[
    float, typer.Option("--max-file-mb", help="Files bigger than this are refused unread.")
]
WorkersOption = Annotated[
    int | None, typer.Option("--workers", help="Parallel workers (default: one per core).")
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


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("wikipoll")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", help="Print wikipoll's version and exit.", is_eager=True)
    ] = False,
) -> None:
    """ETL for the opinion-poll and timeline tables of Wikipedia articles, into DuckDB."""
    if version:
        typer.echo(f"wikipoll {_version()}")
        raise typer.Exit(0)


def fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"wikipoll: error: {message}", err=True)
    return typer.Exit(code)


def _raw_folder(raw: Path) -> RawFolder:
    """The raw folder's articles and dumps; a missing or empty folder is a usage error."""
    from flows.read.folder import NoSuchFolder, find_sources

    try:
        folder = find_sources(raw)
    except NoSuchFolder as error:
        raise fail(str(error)) from None
    if folder.is_empty():
        raise fail(
            f"{raw}: no article files (.txt, .wiki, .wikitext) or dumps (.xml, .xml.bz2) found"
        )
    return folder


def _chosen_files(paths: list[Path]) -> RawFolder:
    """The files given to `validate`, as a folder of them: their deepest common folder, so each
    keeps the path it was given by (relative paths stay relative, as a hook's findings should)."""
    from flows.read.folder import RawFolder, source_kind

    files, dumps = [], []
    for path in dict.fromkeys(paths):  # each once, in the order given
        if not path.is_file():
            raise fail(f"{path}: no such file")
        kind = source_kind(path)
        if kind == "dump":
            dumps.append(path)
        elif kind == "article":
            files.append(path)
        else:
            raise fail(
                f"{path}: not an article file (.txt, .wiki, .wikitext) or a dump (.xml, .xml.bz2)"
            )
    chosen = [*files, *dumps]
    if any(path.is_absolute() or ".." in path.parts for path in chosen):
        files, dumps = [p.resolve() for p in files], [p.resolve() for p in dumps]
        chosen = [*files, *dumps]
    root = Path(os.path.commonpath([path.parent for path in chosen]))
    return RawFolder(root, files, dumps)


class LogLevel(StrEnum):
    debug = "DEBUG"
    info = "INFO"
    warning = "WARNING"
    error = "ERROR"


@app.command()
def run(
    raw: RawOption = DEFAULTS.raw_dir,
    warehouse: WarehouseOption = DEFAULTS.warehouse,
    run_date: RunDateOption = None,
    parse_budget: BudgetOption = DEFAULTS.parse_budget_seconds,
    max_file_mb: MaxFileOption = DEFAULTS.max_file_mb,
    workers: WorkersOption = None,
    full_refresh: Annotated[
        bool, typer.Option("--full-refresh", help="Reload every article, changed or not.")
    ] = False,
    prune: Annotated[
        bool,
        typer.Option("--prune", help="Remove articles whose files are gone (never by default)."),
    ] = False,
    dask: Annotated[
        str | None,
        typer.Option(
            "--dask",
            help="Run the batches on a Dask cluster: its scheduler address "
            "(tcp://host:8786), or 'local' for a cluster on this machine.",
        ),
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", help="Show full tracebacks when something fails.")
    ] = False,
    quiet: Annotated[
        bool,
        typer.Option("--quiet", help="Print only warnings, errors and the run's one-line summary."),
    ] = False,
    log_level: Annotated[
        LogLevel | None,
        typer.Option("--log-level", help="How much Prefect and the run log (default INFO)."),
    ] = None,
    summary_json: Annotated[
        Path | None,
        typer.Option(
            "--summary-json",
            help="Also write the run's summary (counts, articles, refusals) to this JSON file, "
            "for orchestration outside Prefect.",
        ),
    ] = None,
) -> None:
    """Run the Prefect flow: read, shape, check and load every article that changed."""
    _check_run_options(workers, parse_budget, max_file_mb)
    _raw_folder(raw)
    _check_warehouse_opens(warehouse)
    _check_prefect_server()
    if dask:
        _check_dask_address(dask)
    level = (log_level or (LogLevel.warning if quiet else LogLevel.info)).value
    os.environ["PREFECT_LOGGING_LEVEL"] = level
    _stop_cleanly_on_sigterm()
    if not dask:  # the workers' fork server gets ready while Prefect starts (seconds)
        from flows.run.workers import start_fork_server

        start_fork_server()
    for name, value in PREFECT_LOCAL_DEFAULTS.items():
        os.environ.setdefault(name, value)
    import duckdb

    from flows.check.validate import AccountingError
    from flows.load.connection import WarehouseError
    from flows.run.flow import wikipoll_flow

    if not verbose:
        _one_line_failures()

    try:
        flow_to_run = wikipoll_flow
        if dask:
            flow_to_run = wikipoll_flow.with_options(task_runner=dask_task_runner(dask, workers))
        report = flow_to_run(
            raw_dir=str(raw), warehouse=str(warehouse),
            run_date=run_date.date() if run_date else None,
            parse_budget_seconds=parse_budget, max_file_bytes=int(max_file_mb * 1024**2),
            workers=workers, full_refresh=full_refresh, prune=prune,
        )  # fmt: skip
    except WarehouseError as error:
        raise fail(str(error)) from None
    except (OSError, duckdb.Error) as error:
        raise fail(f"{warehouse}: cannot write the warehouse ({error}); it is as it was") from None
    except AccountingError as error:
        raise fail(str(error)) from None
    except KeyboardInterrupt:
        raise fail(f"stopped before it finished; {warehouse} is as it was", code=130) from None
    _print_summary(report, quiet)
    if summary_json is not None:
        _write_summary_json(report, summary_json)


def _check_run_options(workers: int | None, parse_budget: float, max_file_mb: float) -> None:
    """Options a run cannot work with are one line, before anything starts."""
    if workers is not None and workers < 1:
        raise fail(f"--workers {workers}: give 1 or more (default: one per core)")
    if not parse_budget > 0:
        raise fail(f"--parse-budget {parse_budget:g}: give a number of seconds above 0")
    if not max_file_mb > 0:
        raise fail(f"--max-file-mb {max_file_mb:g}: give a size in MB above 0")


def _check_prefect_server() -> None:
    """With PREFECT_API_URL set, the run talks to that server: say so at once if none answers,
    rather than through Prefect's tracebacks."""
    api_url = os.environ.get("PREFECT_API_URL", "").strip()
    if not api_url:
        return
    import httpx

    try:
        httpx.get(api_url.rstrip("/") + "/health", timeout=5).raise_for_status()
    except httpx.HTTPError as error:
        raise fail(
            f"PREFECT_API_URL={api_url} but no Prefect server answers there ({error}). Start one "
            "with `prefect server start`, or unset PREFECT_API_URL to run in local ephemeral mode"
        ) from None


def _check_dask_address(address: str) -> None:
    """'local', or a scheduler that answers: a wrong address is one line before Prefect starts."""
    if address == "local":
        return
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.scheme not in ("tcp", "tls") or not parts.hostname:
        raise fail(
            f"--dask {address!r}: give 'local' or a scheduler address such as tcp://host:8786"
        )
    try:
        with socket.create_connection((parts.hostname, parts.port or 8786), timeout=5):
            pass
    except OSError as error:
        raise fail(
            f"--dask {address}: no Dask scheduler answers there ({error.strerror or error}); "
            "start one, or use --dask local"
        ) from None


def _write_summary_json(report, path: Path) -> None:
    summary = report.summary
    document = {
        "run_id": summary.run_id,
        "counts": {
            name: getattr(summary, name)
            for name in (
                "articles", "articles_unchanged", "articles_pruned", "articles_refused",
                "articles_stale", "polls", "events",
                "rejected", "repaired", "warnings", "rows_in", "rows_loaded", "rows_rejected",
                "rows_skipped",
            )
        },
        "articles": json.loads(report.articles.to_json(orient="records")),
        "refused": [
            {"source_path": error.source_path, "check": error.check_name, "reason": error.reason}
            for error in report.refused
        ],
        "interrupted_runs": list(report.interrupted_runs),
        "pruned": list(report.pruned),
    }  # fmt: skip
    try:
        path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")
    except OSError as error:
        raise fail(f"{path}: cannot write the summary ({error.strerror or error})") from None


def _check_warehouse_opens(warehouse: Path) -> None:
    """Open the warehouse for writing before Prefect starts: a file that cannot be written is
    one line, not a failed flow run."""
    from flows.load.connection import WarehouseError
    from flows.load.warehouse import check_warehouse

    try:
        check_warehouse(warehouse, on_wait=lambda message: typer.echo(message, err=True))
    except WarehouseError as error:
        raise fail(str(error)) from None
    except OSError as error:
        raise fail(
            f"{warehouse}: cannot open the warehouse ({error}); give a --warehouse in a "
            "folder you can write"
        ) from None


def _stop_cleanly_on_sigterm() -> None:
    """SIGTERM (a scheduler stopping the run, `kill`) ends the run as Ctrl-C would: the flow is
    marked failed, the warehouse left as it was, and the Prefect server this run started is
    stopped at exit instead of living on without a parent."""

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"stopped by signal {signum}")

    signal.signal(signal.SIGTERM, stop)


class _NoTraceback(logging.Filter):
    """Keeps a Prefect log record to its one line: the traceback is for --verbose."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info = record.exc_text = None
        if isinstance(record.msg, str) and "\nTraceback (most recent call last)" in record.msg:
            record.msg = record.msg.split("\nTraceback (most recent call last)")[0]
        return True


def _one_line_failures() -> None:
    for name in ("prefect.flow_runs", "prefect.task_runs", "prefect.flow_engine",
                 "prefect.task_engine"):  # fmt: skip
        logging.getLogger(name).addFilter(_NoTraceback())


@app.command()
def serve(
    cron: Annotated[str, typer.Option(help='When to run, as a cron expression: "0 6 * * *".')],
    raw: RawOption = DEFAULTS.raw_dir,
    warehouse: WarehouseOption = DEFAULTS.warehouse,
    timezone: Annotated[str, typer.Option(help="The time zone the cron expression is in.")] = "UTC",
    name: Annotated[str, typer.Option(help="The deployment's name.")] = "wikipoll-scheduled",
) -> None:
    """Register a scheduled deployment of the flow on a Prefect server and serve its runs.

    Scheduling needs a real Prefect server (`prefect server start`) and PREFECT_API_URL pointing
    at it: Prefect's ephemeral mode has no scheduler. The schedule stays active when this
    process stops; runs wait for a `wikipoll serve` to pick them up.
    """
    _raw_folder(raw)
    _check_timezone(timezone)
    api_url = os.environ.get("PREFECT_API_URL", "")
    if not api_url:
        raise fail(
            "scheduling needs a Prefect server, and PREFECT_API_URL is not set. Start one with "
            "`prefect server start` and run: PREFECT_API_URL=http://127.0.0.1:4200/api "
            "wikipoll serve --cron '…' (see the README, 'Scheduled runs')"
        )
    _check_prefect_server()
    from prefect.flows import EntrypointType
    from prefect.schedules import Cron

    from flows.run.flow import wikipoll_flow

    try:
        schedule = Cron(cron, timezone=timezone)
    except ValueError as error:
        raise fail(f"--cron {cron!r} --timezone {timezone!r}: {error}") from None
    typer.echo(f"serving deployment wikipoll/{name}: {cron} ({timezone}); Ctrl-C stops serving, "
               "the schedule stays active")  # fmt: skip
    wikipoll_flow.serve(
        name=name,
        schedules=[schedule],
        parameters={"raw_dir": str(raw.resolve()), "warehouse": str(warehouse.resolve())},
        pause_on_shutdown=False,
        entrypoint_type=EntrypointType.MODULE_PATH,
        print_starting_message=False,
    )


def _check_timezone(timezone: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise fail(
            f"--timezone {timezone!r}: not a time zone; give an IANA name such as "
            "Europe/Belgrade or UTC"
        ) from None


def dask_task_runner(address: str, workers: int | None):
    """Prefect's DaskTaskRunner for a scheduler address, or for a local cluster ('local')."""
    import dask
    from prefect_dask import DaskTaskRunner

    from flows.run.workers import worker_count

    if address == "local":
        # Worker processes that are not daemons may start the worker process that parses an
        # article under its time budget (a daemon process may not have children).
        dask.config.set({"distributed.worker.daemon": False})
        n_workers = workers or worker_count()
        return DaskTaskRunner(
            cluster_kwargs={"n_workers": n_workers, "threads_per_worker": 1, "processes": True}
        )
    return DaskTaskRunner(address=address)


def _print_summary(report, quiet: bool = False) -> None:
    """The per-article table (not with --quiet), then the run's one line, then what was kept
    out. Text from the articles is printed escaped (`printable`)."""
    articles = report.articles
    summary = report.summary
    if not quiet and len(articles):
        columns = ["polls", "events", "rejected", "repaired", "skipped", "warnings"]
        typer.echo(f"{'article':<40} " + " ".join(f"{c:>8}" for c in columns) + "  tables")
        for row in articles.itertuples(index=False):
            counts = " ".join(f"{getattr(row, c):>8}" for c in columns)
            tables = (
                f"{row.poll_tables} poll, {row.timeline_tables} timeline, {row.other_tables} other"
            )
            typer.echo(f"{_fit(printable(row.article_id), 40):<40} {counts}  {tables}")
    elif not quiet and not summary.articles:
        typer.echo(
            f"nothing to load: {summary.articles_unchanged} articles unchanged since their last "
            "load (--full-refresh reads them all again)"
        )
    typer.echo(
        f"run {summary.run_id}: {summary.articles} articles loaded, {summary.articles_unchanged} "
        f"unchanged, {summary.articles_pruned} pruned; {summary.polls} polls, {summary.events} "
        f"events, {summary.rejected} rejected, {summary.repaired} repaired, {summary.warnings} "
        f"warnings; rows: {summary.rows_in} in = {summary.rows_loaded} loaded + "
        f"{summary.rows_rejected} rejected + {summary.rows_skipped} skipped"
    )
    if summary.articles_stale:
        typer.echo(
            f"{summary.articles_stale} of the files not loaded keep the rows of their last good "
            "read, now stale: articles.last_error says why, and the next run reads them again",
            err=True,
        )
    for run_id in report.interrupted_runs:
        typer.echo(f"earlier run {run_id} was interrupted; recorded as such", err=True)
    for refused in report.refused:
        typer.echo(printable(f"not loaded: {refused}"), err=True)
    for article_id in report.pruned:
        typer.echo(printable(f"pruned: {article_id} (its file is gone)"), err=True)


def _fit(text: str, width: int) -> str:
    """Text cut to a width with an ellipsis, so a long name still says it goes on."""
    return text if len(text) <= width else text[: width - 1] + "…"


class OutputFormat(StrEnum):
    text = "text"
    json = "json"
    junit = "junit"
    github = "github"


@app.command()
def validate(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Article files or dumps to check instead of the whole --raw folder (what a "
            "pre-commit hook gives: the files a commit changes).",
            show_default=False,
        ),
    ] = None,
    raw: RawOption = DEFAULTS.raw_dir,
    output_format: Annotated[
        OutputFormat,
        typer.Option(
            "--format",
            help="text for people, json for tools, junit for CI test reports, github for "
            "GitHub Actions annotations.",
        ),
    ] = OutputFormat.text,
    strict: Annotated[bool, typer.Option(help="Fail on warnings too.")] = False,
    run_date: RunDateOption = None,
    parse_budget: BudgetOption = DEFAULTS.parse_budget_seconds,
    max_file_mb: MaxFileOption = DEFAULTS.max_file_mb,
) -> None:
    """Check every article without loading: exit 0 clean, 1 on any error (or warning with
    --strict), 2 when it could not run."""
    from flows.check.validate import combine_batches, validate_batch
    from flows.read.dumps import duplicate_notes
    from flows.read.folder import iter_sources, source_size
    from flows.records import new_run
    from flows.run.batches import DUMP_BATCH_BYTES, stream_batches
    from flows.run.workers import transform_isolated

    _check_run_options(None, parse_budget, max_file_mb)
    folder = _chosen_files(paths) if paths else _raw_folder(raw)
    raw = folder.root
    run = new_run(run_id="validate", run_date=run_date.date() if run_date else None)
    max_bytes = int(max_file_mb * 1024**2)
    duplicates: list[str] = []  # a title two pages of a dump hold: the latest revision is read
    sources = iter_sources(
        folder,
        on_dump=lambda dump, stats: duplicates.extend(duplicate_notes(dump, stats)),
        max_page_bytes=max_bytes,
    )
    items = ((item, source_size(item)) for item in sources)
    batches = [
        transform_isolated(batch.items, raw, run, parse_budget, None, max_bytes)
        for batch in stream_batches(items, DUMP_BATCH_BYTES)
    ]
    validated = combine_batches(batches) if batches else validate_batch([], run)
    found = findings(validated.frames, raw)
    if output_format is OutputFormat.json:
        typer.echo(json.dumps(found, indent=2, ensure_ascii=False))
    elif output_format is OutputFormat.junit:
        articles = [
            source_location(raw, path) for path in validated.frames["articles"]["source_path"]
        ]
        articles += [source_location(raw, error.source_path) for error in validated.refused_files]
        typer.echo(junit_report(found, articles, strict=strict))
    elif output_format is OutputFormat.github:
        for finding in found:
            typer.echo(github_annotation(finding))
    else:
        for finding in found:
            typer.echo(finding_line(finding))
    errors = sum(finding["severity"] == "error" for finding in found)
    warnings = len(found) - errors
    for line in duplicates:
        typer.echo(printable(line), err=True)
    sources_read = len(validated.frames["articles"]) + len(validated.refused_files)
    pages = sources_read - len(folder.files) - len(folder.not_regular)
    typer.echo(
        f"{errors} errors, {warnings} warnings in {len(folder.files)} article files "
        + (f"and {pages} dump pages " if folder.dumps else "")
        + (f"({_not_files(len(folder.not_regular))}) " if folder.not_regular else "")
        + f"({len(validated.frames['polls'])} polls, {len(validated.frames['events'])} events "
        "would load)",
        err=output_format is not OutputFormat.text,
    )
    if errors or (strict and warnings):
        raise typer.Exit(1)


def _not_files(count: int) -> str:
    return "and 1 entry that is not a file" if count == 1 else f"and {count} entries not files"


@app.command()
def fetch(
    titles: Annotated[list[str], typer.Argument(help="Article titles, as on the wiki.")],
    raw: RawOption = DEFAULTS.raw_dir,
    api_url: Annotated[
        str, typer.Option("--api-url", help="The wiki's api.php.")
    ] = DEFAULTS.api_url,
    max_file_mb: Annotated[
        float,
        typer.Option(
            "--max-file-mb",
            help="An article bigger than this is refused unsaved, as `run` would refuse it.",
        ),
    ] = DEFAULTS.max_file_mb,
    contact: Annotated[
        str | None,
        typer.Option(
            help="Your email or URL for the User-Agent, as Wikimedia's policy asks "
            "(or set WIKIPOLL_CONTACT)."
        ),
    ] = None,
) -> None:
    """Save the current wikitext of articles into the raw folder, with their revision ids.

    Exit 0 when every title was fetched, 1 when some were missing or failed, 2 when nothing
    could be fetched or saved.
    """
    from flows.read.fetch import fetch_articles, save_fetched

    if contact:
        os.environ["WIKIPOLL_CONTACT"] = contact
    try:
        limit = int(max_file_mb * 1024**2)
        result = fetch_articles(
            titles, api_url=api_url, max_article_bytes=limit,
            on_wait=lambda message: typer.echo(f"wikipoll: {message}", err=True),
        )  # fmt: skip
        raw.mkdir(parents=True, exist_ok=True)
        saved = save_fetched(result, raw, max_bytes=limit)
    except (ValueError, OSError) as error:
        raise fail(str(error)) from None
    for path in saved:
        if not path.name.endswith(".json"):
            typer.echo(f"saved {path.as_posix()}")
    for origin, target in result.redirects.items():
        typer.echo(f"redirect: {origin} -> {target}")
    for title in result.missing:
        typer.echo(f"missing: {title}", err=True)
    for error in result.errors:
        typer.echo(f"error: {error}", err=True)
    if not result.articles:
        raise typer.Exit(2)
    if result.missing or result.errors:
        raise typer.Exit(1)


@app.command()
def report(
    warehouse: ReadWarehouseOption = DEFAULTS.warehouse,
    out: Annotated[Path, typer.Option("--out", help="The HTML file to write.")] = DEFAULTS.report,
) -> None:
    """Write one self-contained HTML report: charts, polls, events, rejected rows."""
    from flows.load.connection import WarehouseError
    from flows.report import write_report

    try:
        written = write_report(warehouse, out)
    except WarehouseError as error:
        raise fail(str(error)) from None
    except OSError as error:
        raise fail(f"{out}: cannot write the report: {error}") from None
    typer.echo(f"wrote {written.as_posix()}")


@app.command()
def contract(
    out: Annotated[
        Path, typer.Option("--out", help="Folder to write the contract files into.")
    ] = Path("schemas/contract"),
) -> None:
    """Write the pandera schemas as YAML/JSON data contracts and a Markdown data dictionary."""
    from flows.contract import ContractError, write_contract

    try:
        written = write_contract(out)
    except ContractError as error:
        raise fail(str(error)) from None
    except OSError as error:
        raise fail(f"{out}: cannot write the contract: {error}") from None
    for path in written:
        typer.echo(path.as_posix())


class QueryFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


@app.command()
def query(
    sql: Annotated[str, typer.Argument(help="The SQL to run; the warehouse is opened read-only.")],
    warehouse: ReadWarehouseOption = DEFAULTS.warehouse,
    output_format: Annotated[
        QueryFormat, typer.Option("--format", help="table for people, csv or json for tools.")
    ] = QueryFormat.table,
    wait: Annotated[
        float, typer.Option(help="Seconds to wait while a load holds the file's lock.")
    ] = DEFAULTS.lock_wait_seconds,
) -> None:
    """Run one read-only SQL statement against the warehouse and print its result.

    Read-only means read-only: the warehouse is opened read-only, and file system access is
    switched off for the session (COPY … TO, EXPORT, ATTACH, read_csv of other files and
    extensions are refused), so a query can neither change the warehouse nor write anywhere.
    """
    import duckdb

    from flows.load.connection import WarehouseError, connect

    statements = _one_statement(sql, duckdb)
    try:
        con = connect(
            warehouse, read_only=True, wait_seconds=wait,
            on_wait=lambda message: typer.echo(f"wikipoll: {message}", err=True),
        )  # fmt: skip
    except WarehouseError as error:
        raise fail(str(error)) from None
    try:
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        result = con.execute(statements)
        columns = [column[0] for column in result.description or []]
        rows = result.fetchall()
    except duckdb.Error as error:
        raise fail(f"query failed: {error}", code=1) from None
    finally:
        con.close()
    typer.echo(format_rows(columns, rows, output_format), nl=False)


def _one_statement(sql: str, duckdb) -> str:
    """The query's one statement; none (empty, `;`, a comment) or several is a usage error."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as error:
        raise fail(f"query failed: {error}", code=1) from None
    if not statements:
        raise fail('give a SQL statement to run, e.g. wikipoll query "SELECT * FROM polls LIMIT 5"')
    if len(statements) > 1:
        raise fail(
            f"the query holds {len(statements)} statements; give one at a time (each prints "
            "its own result)"
        )
    return sql


def format_rows(columns: list[str], rows: list[tuple], output_format: QueryFormat) -> str:
    """Rows as an aligned text table, CSV, or JSON records (dates as ISO 8601)."""
    import csv
    import io

    if output_format is QueryFormat.json:
        records = [
            {column: _json_value(value) for column, value in zip(columns, row, strict=True)}
            for row in rows
        ]
        return json.dumps(records, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    if output_format is QueryFormat.csv:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(["" if value is None else _csv_value(value) for value in row]
                         for row in rows)  # fmt: skip
        return buffer.getvalue()
    cells = [["NULL" if value is None else printable(value) for value in row] for row in rows]
    widths = [
        max([len(column), *(len(row[i]) for row in cells)]) for i, column in enumerate(columns)
    ]
    lines = [
        "  ".join(column.ljust(width) for column, width in zip(columns, widths, strict=True)),
        "  ".join("-" * width for width in widths),
        *("  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True))
          for row in cells),
    ]  # fmt: skip
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(line.rstrip() for line in lines) + "\n"


def _json_value(value: object) -> object:
    """A DuckDB value as JSON has it: NaN and infinities are null (JSON has none), dates ISO
    8601, intervals and UUIDs as text, lists and structs as arrays and objects, Decimals as
    numbers."""
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    if isinstance(value, date | datetime | dt_time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return _iso_duration(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    if isinstance(value, dict):
        return {str(key): _json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(item) for item in value]
    if isinstance(value, bytes | bytearray):
        return value.hex()
    return str(value)


def _csv_value(value: object) -> object:
    """A value for a CSV cell: the JSON reading, lists and structs written as JSON text."""
    converted = _json_value(value)
    if isinstance(converted, list | dict):
        return json.dumps(converted, ensure_ascii=False)
    return "" if converted is None else converted


def _iso_duration(value: timedelta) -> str:
    """'P3DT4H5M6S', as ISO 8601 writes a duration."""
    seconds = value.total_seconds()
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, rest = divmod(rest, 60)
    time_part = "".join(
        f"{amount:g}{unit}"
        for amount, unit in ((hours, "H"), (minutes, "M"), (rest, "S"))
        if amount
    )
    return (
        f"{sign}P{days:g}D" + (f"T{time_part}" if time_part else "")
        if days
        else (f"{sign}PT{time_part or '0S'}")
    )


def main() -> None:  # pragma: no cover - the console script calls app directly
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
