"""Benchmark: the whole wikipoll pipeline, from one run, next to its targets.

    .venv/bin/python benchmarks/pipeline.py            # the full run (about 10 minutes)
    .venv/bin/python benchmarks/pipeline.py --quick    # a smoke run (under a minute, no 3b)
    .venv/bin/python benchmarks/pipeline.py --profile  # also cProfile the timed flow runs

What it measures, each against a target printed next to it:

1. Whole pipeline vs bare parse. A seeded corpus from `benchmarks/generate.py` (40 articles of
   20 KB to 1 MB by default) is written as `.wiki` files into a temporary raw folder. It times a
   bare `mwparserfromhell.parse` of every file, wikipoll's parse + normalize in this process, and
   the real Prefect flow (`flows.run.flow.wikipoll_flow`: parse, validate, load into a fresh
   DuckDB file), excluding Prefect's start-up: Prefect is pointed at local ephemeral mode with a
   temporary PREFECT_HOME before it is imported, and trivial flows (with a mapped task) run
   first so the ephemeral server is up. Target: the flow at 3x the bare parse, or more.
2. No-change re-run. 10,000 small articles (one poll table of 3 to 8 rows each) are loaded once
   by the flow, untimed; a second run with nothing changed is timed. Target: 5 s or less.
3. Peak RSS while streaming a MediaWiki XML dump of 1 GB or more, written to disk page by page
   (mostly prose pages without tables, plus redirects, talk pages, pages with small non-poll
   tables, and about 2% of poll articles), deleted afterwards. A child process streams it as the
   pipeline does (`flows.read.dumps.iter_dump` with its pre-filter,
   `flows.run.workers.transform_files` on batches of pages that hold tables); a second child runs
   the flow on it into DuckDB (3b; not with --quick unless --dump-flow), where
   `transform_isolated` starts worker processes (counted, and their peaks read just before each
   one stops). Peaks are VmHWM from /proc: read by the child itself at the end, and sampled every
   50 ms over its process tree (with VmRSS summed over the tree). Not `getrusage(...).ru_maxrss`:
   Linux starts an exec'd child's maxrss at the RSS of the process that forked it, so every child
   would read at least what this benchmark process held; the output shows `os.wait4`'s figure
   once, to compare. Target: under 500 MB.
4. DuckDB load rows/s. Generated articles are transformed and validated into a batch, whose frames
   are then replicated (ids suffixed, so rows stay distinct) to 1 M rows or more across tables;
   `flows.load.warehouse.WarehouseLoad(...).write(batch)` is timed into a fresh file, next to
   a DataFrame insert and `executemany` of the same poll rows (on a sample: executemany runs at
   about a thousand rows/s). Target: 1 M rows/s or more.
5. Correctness. Every generated article of sections 1 and 2 is also read by
   `benchmarks/reference.py` (whole-article mwparserfromhell parse, Tag walk, HTML span layout,
   `render_cell_with_parser`), and its tables, polls, poll_results, events, source_cells,
   rejected and skipped records must equal the fast path's, field by field. The first
   differences are printed and the script exits 1.

The flows, the dump streaming and the load run in child processes (this same file with --child),
so each one's memory can be measured and the benchmark process stays small. This process starts
the ephemeral Prefect server once, in a thread, while untimed work (writing and checking the small
articles) goes on; a flow child (one for sections 1 and 2, one for 3b) starts the workers' fork
server first, as `wikipoll run` does before Prefect starts, and warms up its own client on the
server, untimed; then its runs are timed. The children's peaks (flow process, workers, whole
tree) are printed too.
Missed speed or memory targets are printed as NOT MET; only a failed correctness check (exit 1)
or a section that could not run (exit 2) fails the run.
Figures are from one run on a shared machine: compare ratios more than absolute times.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Only light modules at the top: transform workers start from a fork server that imports this
# file as __mp_main__, so Prefect, pandas and DuckDB are imported where they are used.
from benchmarks.generate import SITEINFO, WORDS, _prose, corpus, poll_table  # noqa: E402

RUN_DATE = date(2025, 6, 30)  # after every generated date, so no row fails not_after_run_date
MB = 1e6
KB = 1024  # VmHWM, VmRSS and ru_maxrss are in KiB
DUMP_BATCH_BYTES = 4 * 1024**2  # as flows.run.batches.DUMP_BATCH_BYTES (not imported: Prefect)
MAX_BATCH_ARTICLES = 500  # as flows.run.batches.MAX_BATCH_ARTICLES
RECORD_KINDS = ("tables", "polls", "poll_results", "events", "source_cells", "rejected", "skipped")
# Fields a plain reader may legitimately read differently: none. The reference knows every row's
# line from node offsets in the text, so even source_line is compared.
IGNORED_FIELDS: frozenset[str] = frozenset()
SHOWN_DIFFERENCES = 5


# --- results --------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """One line of the final table."""

    measure: str
    figure: str
    target: str
    met: bool | None  # None: could not be measured


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    correctness_failed: bool = False

    def add(self, measure: str, figure: str, target: str, met: bool | None) -> None:
        self.outcomes.append(Outcome(measure, figure, target, met))


def say(text: str = "") -> None:
    print(text, flush=True)


def section(title: str) -> None:
    say()
    say(f"== {title} " + "=" * max(0, 96 - len(title)))


# --- corpora --------------------------------------------------------------------------------------


def write_corpus(raw: Path, seed: int, articles: int, min_bytes: int, max_bytes: int) -> int:
    """Write the seeded corpus of section 1, one file at a time; returns its bytes."""
    raw.mkdir(parents=True, exist_ok=True)
    total = 0
    for name, text, _ in corpus(seed, articles, min_bytes, max_bytes):
        data = text.encode("utf-8")
        (raw / name).write_bytes(data)
        total += len(data)
    return total


def small_articles(seed: int, count: int) -> Iterator[tuple[str, str]]:
    """Short articles with one poll table of 3 to 8 rows (1 to 3 KB): many files, little text,
    which is what a no-change re-run over a large raw folder looks like."""
    rng = random.Random(seed)
    for index in range(count):
        table, _ = poll_table(rng, rng.randint(3, 8), rng.randint(2005, 2024))
        text = (
            "{{Short description|Opinion polls}}\n"
            f"'''Topic {index}''' is polled. {_prose(rng, 1)}\n\n==Opinion polls==\n\n{table}\n\n"
            "==References==\n{{Reflist}}\n"
        )
        yield f"{index // 1000:02d}/small_{index:05d}.wiki", text


# --- correctness (section 5) ----------------------------------------------------------------------


_ABSENT = "<absent>"


def _same(left: Any, right: Any) -> bool:
    if isinstance(left, float) and isinstance(right, float) and math.isnan(left):
        return math.isnan(right)
    return left == right and type(left) is type(right)


def compare_articles(name: str, fast: Any, reference: Any) -> list[str]:
    """Differences between two NormalizedArticles, record by record and field by field."""
    found: list[str] = []
    for attribute in ("title", "sections", "unknown_templates"):
        left, right = getattr(fast.article, attribute), getattr(reference.article, attribute)
        if left != right:
            found.append(f"{name}: article.{attribute}: fast {left!r} != reference {right!r}")
    for kind in RECORD_KINDS:
        left, right = getattr(fast, kind), getattr(reference, kind)
        if len(left) != len(right):
            found.append(f"{name}: {kind}: fast has {len(left)} records, reference {len(right)}")
        for index, (one, other) in enumerate(zip(left, right, strict=False)):
            for key in sorted(set(one) | set(other)):
                if key in IGNORED_FIELDS or _same(one.get(key, _ABSENT), other.get(key, _ABSENT)):
                    continue
                where = one.get("poll_id") or one.get("event_id") or one.get("record_id") or ""
                found.append(
                    f"{name}: {kind}[{index}] {where} field {key!r}: fast "
                    f"{one.get(key, _ABSENT)!r} != reference {other.get(key, _ABSENT)!r}"
                )
            if len(found) >= SHOWN_DIFFERENCES:
                return found
    return found


@dataclass
class CheckTally:
    articles: int = 0
    records: int = 0
    differing_articles: int = 0
    differences: list[str] = field(default_factory=list)

    def add(self, name: str, fast: Any, reference: Any) -> None:
        self.articles += 1
        self.records += sum(len(getattr(fast, kind)) for kind in RECORD_KINDS)
        found = compare_articles(name, fast, reference)
        if found:
            self.differing_articles += 1
            self.differences += found[: max(0, SHOWN_DIFFERENCES - len(self.differences))]


def check_one(item: tuple[str, str]) -> tuple[str, Any, Any]:
    """The fast path and the reference on one article (run in a pool for many small ones)."""
    from benchmarks.reference import reference_normalized
    from flows.read.files import parse_article_text
    from flows.shape.records import normalize_article

    name, text = item
    fast = normalize_article(parse_article_text(text, name, "", "wikitext"))
    fast.article.tables = []  # only the records are compared; keep what crosses processes small
    reference = reference_normalized(text, name)
    reference.article.tables = []
    return name, fast, reference


# --- section 1: whole pipeline vs bare parse ------------------------------------------------------


@dataclass
class ParseTimes:
    megabytes: float = 0.0
    rows: int = 0  # data rows of poll and timeline tables, as the fast path reads them
    polls: int = 0
    bare_seconds: float = 0.0
    fast_seconds: float = 0.0


def time_parses(raw: Path, tally: CheckTally) -> ParseTimes:
    """Bare parse, fast path, and the reference check of every article, one article at a time:
    the reference reads the tree the timed bare parse made, so the slow parse runs once."""
    import mwparserfromhell

    from benchmarks.reference import reference_normalized
    from flows.read.files import parse_article_text
    from flows.shape.records import normalize_article

    times = ParseTimes()
    for path in sorted(raw.glob("*.wiki")):
        text = path.read_text(encoding="utf-8")
        times.megabytes += len(text.encode("utf-8")) / MB
        started = time.perf_counter()
        code = mwparserfromhell.parse(text)
        times.bare_seconds += time.perf_counter() - started
        started = time.perf_counter()
        fast = normalize_article(parse_article_text(text, path.name, "", "wikitext"))
        times.fast_seconds += time.perf_counter() - started
        times.rows += fast.row_count()
        times.polls += len(fast.polls)
        tally.add(path.name, fast, reference_normalized(text, path.name, code))
        del code, fast
    return times


def prefect_environment(home: Path, api_url: str | None = None) -> dict[str, str]:
    """Local ephemeral Prefect, as `wikipoll run` sets it (flows/cli.py), in a temporary home.

    The user's PREFECT_API_URL is dropped: the benchmark measures the documented local mode and
    never writes its runs into a real server. `api_url` is the benchmark's own ephemeral server.
    """
    from flows.cli import PREFECT_LOCAL_DEFAULTS

    env = {key: value for key, value in os.environ.items() if key != "PREFECT_API_URL"}
    env.update({key: value for key, value in PREFECT_LOCAL_DEFAULTS.items() if key not in env})
    env["PREFECT_HOME"] = str(home)
    env.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")  # one line per finding is noise here
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return env


def start_prefect(home: Path, api_url: str | None = None) -> float:
    """Point Prefect at a temporary home (and the benchmark's server), import the flow, then run
    trivial flows with a mapped task so client and server are warm; returns the seconds that
    took: the start-up every timed run excludes."""
    if "prefect" in sys.modules:
        raise RuntimeError("Prefect was imported before its settings were made")
    environment = prefect_environment(home, api_url)
    os.environ.pop("PREFECT_API_URL", None)
    os.environ.update(environment)
    from prefect import flow, task
    from prefect.task_runners import ThreadPoolTaskRunner

    import flows.run.flow  # noqa: F401  (its import is start-up too)

    @task
    def echo(value: int) -> int:
        return value

    @flow(name="benchmark warm-up", task_runner=ThreadPoolTaskRunner(max_workers=2))
    def warm_up() -> int:
        return sum(future.result() for future in echo.map([1, 2, 3]))

    started = time.perf_counter()
    warm_up()
    warm_up()  # the second run is the steady state: first-run caches are filled
    return time.perf_counter() - started


@contextlib.contextmanager
def maybe_profile(enabled: bool, top: int = 30) -> Iterator[list[str]]:
    """cProfile the block when asked; its top functions by cumulative time land in the list."""
    lines: list[str] = []
    if not enabled:
        yield lines
        return
    import cProfile
    import io
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    try:
        yield lines
    finally:
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
        lines += [line[:170] for line in out.getvalue().strip().splitlines()[3:]]


def run_flow(raw: Path, warehouse: Path, workers: int | None) -> tuple[float, Any]:
    from flows.run.flow import wikipoll_flow

    started = time.perf_counter()
    report = wikipoll_flow(
        raw_dir=str(raw), warehouse=str(warehouse), run_date=RUN_DATE, workers=workers
    )
    return time.perf_counter() - started, report


def section_one_parse(args: argparse.Namespace, work: Path, tally: CheckTally) -> ParseTimes:
    """Write the corpus, then time the bare parse and the fast path (and check every article)."""
    section(f"1. whole pipeline vs bare parse ({args.articles} articles, seed {args.seed})")
    started = time.perf_counter()
    total = write_corpus(work / "raw", args.seed, args.articles, args.min_bytes, args.max_bytes)
    say(
        f"wrote {args.articles} articles, {total / MB:.1f} MB, in "
        f"{time.perf_counter() - started:.0f} s"
    )
    times = time_parses(work / "raw", tally)
    say(f"bare parse, fast path and reference check done ({tally.articles} articles)")
    return times


def section_one(
    args: argparse.Namespace, report: Report, times: ParseTimes, flows: FlowRuns
) -> None:
    """The flow's figures next to the bare parse's."""
    seconds, summary = flows.seconds[0], flows.summaries[0]
    workers = args.workers or len(os.sched_getaffinity(0))
    rows, megabytes = times.rows, times.megabytes
    say(f"corpus: {megabytes:.1f} MB, {rows:,} table rows ({times.polls:,} polls)")
    say(f"{'':46}{'seconds':>9}{'MB/s':>8}{'rows/s':>10}")
    for label, spent in (
        ("mwparserfromhell.parse (whole article, 1 core)", times.bare_seconds),
        ("wikipoll parse + normalize (1 process)", times.fast_seconds),
        (f"wikipoll flow: parse → DuckDB ({workers} workers)", seconds),
    ):
        say(f"{label:46}{spent:9.2f}{megabytes / spent:8.2f}{rows / spent:10,.0f}")
    ratio = times.bare_seconds / seconds
    say(
        f"ratio: the whole pipeline runs at {ratio:.2f}x a bare full parse (target ≥ 3x); "
        f"parse + normalize alone: {times.bare_seconds / times.fast_seconds:.2f}x"
    )
    say(
        f"flow loaded {summary['articles']} articles: {summary['polls']:,} polls, "
        f"{summary['events']:,} events, {summary['rejected']:,} rejected, "
        f"{summary['skipped']:,} skipped; rows in {summary['rows_in']:,}"
    )
    flows.describe_memory()
    flows.print_profile("the flow run")
    if summary["rows_in"] != rows or summary["articles_refused"]:
        report.errors.append(
            f"section 1: the flow read {summary['rows_in']} rows ({summary['articles_refused']} "
            f"articles refused), the fast path {rows}"
        )
    report.add(
        "1. whole pipeline (flow → DuckDB) vs bare full parse",
        f"{ratio:.2f}x ({megabytes / seconds:.2f} vs {megabytes / times.bare_seconds:.2f} MB/s)",
        "≥ 3x",
        ratio >= 3,
    )


# --- section 2: no-change re-run ------------------------------------------------------------------


def prepare_small(args: argparse.Namespace, work: Path, tally: CheckTally) -> list[str]:
    """Write the small articles of section 2 and check them against the reference (untimed, so
    it runs while Prefect's server starts); returns the lines to print under section 2."""
    import multiprocessing

    raw = work / "raw-small"
    started = time.perf_counter()
    total = 0
    for name, text in small_articles(args.seed, args.rerun_articles):
        path = raw / name
        path.parent.mkdir(parents=True, exist_ok=True)
        data = text.encode("utf-8")
        path.write_bytes(data)
        total += len(data)
    lines = [
        f"wrote {args.rerun_articles:,} articles, {total / MB:.1f} MB, in "
        f"{time.perf_counter() - started:.0f} s"
    ]
    started = time.perf_counter()
    items = (
        (path.relative_to(raw).as_posix(), path.read_text(encoding="utf-8"))
        for path in sorted(raw.rglob("*.wiki"))
    )
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["flows.run.workers"])  # as flows.run.workers sets it
    with context.Pool(2) as pool:
        for name, fast, reference in pool.imap(check_one, items, chunksize=20):
            tally.add(name, fast, reference)
    lines.append(
        f"reference check of the {args.rerun_articles:,} articles: "
        f"{time.perf_counter() - started:.0f} s (2 processes)"
    )
    return lines


def section_two(
    args: argparse.Namespace, report: Report, lines: list[str], flows: FlowRuns
) -> None:
    """The re-run's time; the first load is there to be skipped."""
    section(f"2. no-change re-run of {args.rerun_articles:,} articles")
    for line in lines:
        say(line)
    first, loaded = flows.seconds[0], flows.summaries[0]
    seconds, summary = flows.seconds[1], flows.summaries[1]
    say(
        f"first load (untimed figure): {first:.1f} s, {loaded['articles']:,} articles, "
        f"{loaded['polls']:,} polls"
    )
    say(
        f"no-change re-run: {seconds:.2f} s; {summary['articles_unchanged']:,} unchanged, "
        f"{summary['articles']:,} read (target ≤ 5 s)"
    )
    flows.describe_memory()
    flows.print_profile("the no-change re-run")
    if summary["articles_unchanged"] != args.rerun_articles or summary["articles"]:
        report.errors.append(
            f"section 2: the re-run read {summary['articles']} articles and found "
            f"{summary['articles_unchanged']} unchanged, not {args.rerun_articles}"
        )
    report.add(
        f"2. no-change re-run of {args.rerun_articles:,} articles",
        f"{seconds:.2f} s",
        "≤ 5 s",
        seconds <= 5,
    )


# --- section 3: peak RSS while streaming a dump ---------------------------------------------------

DUMP_HEAD = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xsi:schemaLocation="http://www.mediawiki.org/xml/export-0.10/ '
    'http://www.mediawiki.org/xml/export-0.10.xsd" version="0.10" xml:lang="en">\n' + SITEINFO
)


def _page(page_id: int, title: str, text: str, namespace: int = 0, redirect: str = "") -> bytes:
    redirect_tag = f'    <redirect title="{escape(redirect)}" />\n' if redirect else ""
    return (
        f"  <page>\n    <title>{escape(title)}</title>\n    <ns>{namespace}</ns>\n"
        f"    <id>{page_id}</id>\n{redirect_tag}    <revision>\n      <id>{page_id}</id>\n"
        "      <timestamp>2024-06-01T12:00:00Z</timestamp>\n"
        "      <contributor><username>Editor</username><id>7</id></contributor>\n"
        "      <model>wikitext</model>\n      <format>text/x-wiki</format>\n"
        f'      <text bytes="{len(text.encode("utf-8"))}" xml:space="preserve">{escape(text)}'
        "</text>\n      <sha1>phoiac9h4m842xq45sp7s6u21eteeq1</sha1>\n    </revision>\n"
        "  </page>\n"
    ).encode()


def _prose_page(rng: random.Random, with_table: bool) -> str:
    """A prose article: an infobox (its `| key = value` lines are no table), paragraphs, maybe a
    small table that is not a poll table (what most tables on Wikipedia are)."""
    parts = [
        "{{Infobox settlement\n| name = Somewhere\n| population = 1,234\n| area_km2 = 56\n}}",
        "'''Somewhere''' is a place. " + _prose(rng, rng.randint(5, 20)),
    ]
    for _ in range(rng.randint(1, 12)):
        parts.append(f"=={rng.choice(WORDS).title()}==")
        parts.append(_prose(rng, rng.randint(5, 40)))
    if with_table:
        rows = "\n".join(
            f"|-\n| {2000 + year} || [[{rng.choice(WORDS).title()} FC]] || {rng.randint(10, 99)}"
            for year in range(rng.randint(3, 15))
        )
        parts.append('{| class="wikitable"\n! Season !! Team !! Points\n' + rows + "\n|}")
    parts.append("==References==\n{{Reflist}}")
    return "\n\n".join(parts) + "\n"


@dataclass
class DumpInfo:
    path: Path
    bytes: int = 0
    pages: int = 0
    poll_pages: int = 0
    poll_bytes: int = 0
    table_pages: int = 0  # prose pages with a small non-poll table
    seconds: float = 0.0


def write_dump(path: Path, target_bytes: int, poll_files: list[Path], seed: int) -> DumpInfo:
    """Stream-write a dump of about `target_bytes`: pages come from a small pool of prose bodies
    (each page its own title and id), with 2% of the bytes poll articles from section 1."""
    rng = random.Random(seed)
    started = time.perf_counter()
    pool = [(_prose_page(rng, with_table=index % 10 == 0), index % 10 == 0) for index in range(60)]
    info = DumpInfo(path)
    with path.open("wb", buffering=1024**2) as out:
        out.write(DUMP_HEAD.encode("utf-8"))
        page_id = 0
        while info.bytes < target_bytes:
            page_id += 1
            if poll_files and info.poll_bytes < 0.02 * info.bytes:
                source = poll_files[info.poll_pages % len(poll_files)]
                data = _page(page_id, f"Opinion polling {page_id}", source.read_text("utf-8"))
                info.poll_pages += 1
                info.poll_bytes += len(data)
            elif page_id % 20 == 0:
                data = _page(
                    page_id, f"Redirect {page_id}", "#REDIRECT [[Somewhere]]", redirect="Somewhere"
                )
            elif page_id % 20 == 1:
                text, _ = rng.choice(pool)
                data = _page(page_id, f"Talk:Page {page_id}", text, namespace=1)
            else:
                text, has_table = rng.choice(pool)
                data = _page(page_id, f"Page {page_id}", text)
                info.table_pages += has_table
            out.write(data)
            info.bytes += len(data)
            info.pages += 1
        out.write(b"</mediawiki>\n")
    info.bytes = path.stat().st_size
    info.seconds = time.perf_counter() - started
    return info


@dataclass
class TreeMemory:
    """Peaks of a child's process tree, sampled from /proc every 50 ms."""

    hwm_kb: dict[int, int] = field(default_factory=dict)  # pid → VmHWM
    kinds: dict[int, str] = field(default_factory=dict)  # pid → child, fork server, worker, server
    peak_total_kb: int = 0  # the largest sum of VmRSS over the tree (Prefect's server aside)
    samples: int = 0


def _descendants(pid: int) -> list[tuple[int, int]]:
    """(pid, parent pid) of `pid` and every process below it."""
    found: list[tuple[int, int]] = []
    stack = [(pid, 0)]
    while stack:
        current, parent = stack.pop()
        found.append((current, parent))
        with contextlib.suppress(OSError):
            for thread in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{thread}/children") as children:
                    stack += [(int(child), current) for child in children.read().split()]
    return found


def _status_kb(pid: int) -> dict[str, int]:
    values: dict[str, int] = {}
    with contextlib.suppress(OSError), open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(("VmHWM:", "VmRSS:")):
                values[line[:5]] = int(line.split()[1])
    return values


def _kind(pid: int, parent: int, root: int, kinds: dict[int, str]) -> str:
    if pid == root:
        return "child"
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            command = cmdline.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return "other"
    if "uvicorn" in command or "prefect.server" in command:
        return "prefect server"
    if "forkserver" in command:
        return "worker" if kinds.get(parent) == "fork server" else "fork server"
    return "other"


def sample_tree(root: int, memory: TreeMemory, stop: threading.Event) -> None:
    while not stop.is_set():
        total = 0
        for pid, parent in _descendants(root):
            if pid not in memory.kinds:
                memory.kinds[pid] = _kind(pid, parent, root, memory.kinds)
            values = _status_kb(pid)
            memory.hwm_kb[pid] = max(memory.hwm_kb.get(pid, 0), values.get("VmHWM", 0))
            if memory.kinds[pid] != "prefect server":
                total += values.get("VmRSS", 0)
        memory.peak_total_kb = max(memory.peak_total_kb, total)
        memory.samples += 1
        stop.wait(0.05)


@dataclass
class ChildRun:
    result: dict[str, Any]
    wait4_maxrss_kb: int
    memory: TreeMemory
    seconds: float


def run_child(
    mode: str, argv: list[str], work: Path, env: dict[str, str] | None, label: str = ""
) -> ChildRun:
    """Run this file as `--child mode`, sampling its process tree; its result comes as JSON."""
    result_path = work / f"child-{label or mode}.json"
    log_path = work / f"child-{label or mode}.log"
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        mode,
        str(result_path),
        *argv,
    ]
    memory, stop = TreeMemory(), threading.Event()
    started = time.perf_counter()
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        sampler = threading.Thread(target=sample_tree, args=(process.pid, memory, stop))
        sampler.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            stop.set()
            sampler.join()
        process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if process.returncode != 0 or not result_path.exists():
        tail = log_path.read_text("utf-8", "replace").splitlines()[-15:]
        raise RuntimeError(
            f"child {mode} failed (exit {process.returncode}):\n    " + "\n    ".join(tail)
        )
    return ChildRun(json.loads(result_path.read_text()), usage.ru_maxrss, memory, seconds)


def _largest(memory: TreeMemory, kind: str) -> int:
    return max(
        (kb for pid, kb in memory.hwm_kb.items() if memory.kinds.get(pid) == kind), default=0
    )


def section_three(
    args: argparse.Namespace, work: Path, report: Report, server: PrefectServer
) -> None:
    corpus_raw = work / "raw"
    section(f"3. peak RSS while streaming a {args.dump_mb / 1000:.2f} GB MediaWiki dump")
    dump_dir = work / "dump"
    dump_dir.mkdir()
    try:
        poll_files = sorted(corpus_raw.glob("*.wiki"))
        info = write_dump(
            dump_dir / "enwiki-benchmark.xml", int(args.dump_mb * MB), poll_files, args.seed
        )
        say(
            f"wrote {info.path.name}: {info.bytes / 1e9:.2f} GB, {info.pages:,} pages "
            f"({info.poll_pages:,} poll articles, {info.poll_bytes / MB:.0f} MB; "
            f"{info.table_pages:,} with a small other table) in {info.seconds:.0f} s"
        )

        streamed = run_child("stream", [str(info.path)], work, None)
        result = streamed.result
        peak_mb = result["peak_kb"] / KB
        say(
            f"stream (iter_dump + transform_files in one process): {streamed.seconds:.0f} s, "
            f"{result['dump_mb_per_s']:.1f} MB/s of dump; {result['stats']}"
        )
        say(
            f"  {result['articles']:,} pages transformed in {result['batches']} batches: "
            f"{result['polls']:,} polls; rows in {result['rows']:,}"
        )
        say(
            f"  peak RSS of the streaming process: {peak_mb:.0f} MB (its VmHWM at the end; "
            f"{result['baseline_kb'] / KB:.0f} MB after imports; sampled "
            f"{_largest(streamed.memory, 'child') / KB:.0f} MB); worker processes: 0 "
            "(transform_files works in place)"
        )
        say(
            f"  (not used: os.wait4's ru_maxrss {streamed.wait4_maxrss_kb / KB:.0f} MB and the "
            f"child's getrusage {result['ru_maxrss_kb'] / KB:.0f} MB; Linux starts an exec'd "
            "child's maxrss at the RSS of the process that forked it, this benchmark's, up to "
            f"{_peak_kb() / KB:.0f} MB)"
        )
        report.add(
            f"3. peak RSS streaming a {info.bytes / 1e9:.2f} GB dump (iter_dump + transform)",
            f"{peak_mb:.0f} MB",
            "< 500 MB",
            peak_mb < 500,
        )
        if not args.dump_flow:
            say(
                "the dump through the flow (3b) is skipped (--no-dump-flow; the default of --quick)"
            )
            return
        flows = flows_in_child(args, work, server, [FlowJob("dump", dump_dir, 1)])["dump"]
        seconds, summary = flows.seconds[0], flows.summaries[0]
        say(
            f"flow (dump → DuckDB, Prefect start-up excluded): {seconds:.0f} s, "
            f"{info.bytes / MB / seconds:.1f} MB/s of dump; {summary['polls']:,} polls loaded"
        )
        flows.describe_memory()
        flows.print_profile("the dump flow run")
        largest = max(flows.peak_kb, flows.worker_peak_kb) / KB
        report.add(
            "3b. peak RSS, same dump through the flow (largest process)",
            f"{largest:.0f} MB ({flows.workers} workers)",
            "< 500 MB",
            largest < 500,
        )
    finally:
        shutil.rmtree(dump_dir, ignore_errors=True)


class PrefectServer:
    """Prefect's ephemeral server, started once by this process, in a thread, while untimed work
    goes on; every flow child reaches it over HTTP, as a client of any server does."""

    def __init__(self, home: Path):
        self.home = home
        self.api_url = ""
        self.seconds = 0.0
        self.error: BaseException | None = None
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        if self.thread is not None:
            return
        if "prefect" in sys.modules:
            raise RuntimeError("Prefect was imported before its settings were made")
        os.environ.pop("PREFECT_API_URL", None)
        os.environ.update(prefect_environment(self.home))
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        started = time.perf_counter()
        try:
            from prefect.server.api.server import SubprocessASGIServer

            server = SubprocessASGIServer()
            server.start()  # stopped at exit (atexit), as Prefect's own ephemeral mode does
            self.api_url = server.api_url
        except BaseException as error:  # reported when a flow needs the server
            self.error = error
        self.seconds = time.perf_counter() - started

    def child_environment(self, label: str) -> dict[str, str]:
        """Settings for a flow child, once the server is up."""
        self.start()
        assert self.thread is not None
        self.thread.join()
        if self.error is not None:
            raise RuntimeError(f"Prefect's ephemeral server did not start: {self.error}")
        return prefect_environment(self.home.with_name(f"prefect-home-{label}"), self.api_url)


@dataclass
class FlowJob:
    """Flow runs on one raw folder, into one warehouse, in a flow child."""

    label: str
    raw: Path
    runs: int


@dataclass
class FlowRuns:
    """What a flow child reports for one job: each run's seconds and load summary, its memory."""

    seconds: list[float]
    summaries: list[dict[str, int]]
    warm_up_seconds: float
    workers: int  # processes transform_isolated started during the job
    worker_peak_kb: int
    baseline_kb: int  # the flow process after Prefect's start-up
    peak_kb: int  # the flow process's VmHWM at the end of the job
    profile: list[str]
    tree: TreeMemory
    after: str  # the jobs that ran before it in the same process

    def describe_memory(self) -> None:
        shared = f", in the process that ran {self.after} first" if self.after else ""
        say(
            f"  peak RSS: flow process {self.peak_kb / KB:.0f} MB ({self.baseline_kb / KB:.0f} MB "
            f"after Prefect's start-up{shared}); {self.workers} worker processes started by "
            f"transform_isolated, largest {self.worker_peak_kb / KB:.0f} MB; fork server "
            f"{_largest(self.tree, 'fork server') / KB:.0f} MB; whole tree at once (sampled) "
            f"{self.tree.peak_total_kb / KB:.0f} MB"
        )

    def print_profile(self, label: str) -> None:
        if self.profile:
            say(f"--- cProfile of {label} (top functions by cumulative time; it slows the run)")
            say("\n".join(self.profile))


def flows_in_child(
    args: argparse.Namespace, work: Path, server: PrefectServer, jobs: list[FlowJob]
) -> dict[str, FlowRuns]:
    """Run the jobs' flows in one child process (one client start-up), after its warm-up
    flows; each job's last run is profiled when asked."""
    label = "-".join(job.label for job in jobs)
    spec = {
        "jobs": [
            {"raw": str(job.raw), "warehouse": str(work / f"{job.label}.duckdb"), "runs": job.runs}
            for job in jobs
        ],
        "workers": args.workers or 0,
        "profile": args.profile,
    }
    spec_path = work / f"flow-{label}.json"
    spec_path.write_text(json.dumps(spec))
    child = run_child("flow", [str(spec_path)], work, server.child_environment(label), label)
    result = child.result
    say(
        f"Prefect start-up, excluded from the timed runs: the ephemeral server took "
        f"{server.seconds:.1f} s (once, while untimed work ran); the flow child's two warm-up "
        f"flows {result['warm_up_seconds']:.1f} s"
    )
    return {
        job.label: FlowRuns(
            seconds=outcome["seconds"],
            summaries=outcome["summaries"],
            warm_up_seconds=result["warm_up_seconds"],
            workers=outcome["workers"],
            worker_peak_kb=max(outcome["worker_peaks_kb"], default=0),
            baseline_kb=result["baseline_kb"],
            peak_kb=outcome["peak_kb"],
            profile=outcome["profile"],
            tree=child.memory,
            after=", ".join(earlier.label for earlier in jobs[:index]),
        )
        for index, (job, outcome) in enumerate(zip(jobs, result["jobs"], strict=True))
    }


def child_stream(result_path: Path, dump: Path) -> None:
    """Stream the dump as load_dump does, transforming batches of pages in this process."""
    from flows.read.dumps import DumpStats, iter_dump
    from flows.run.workers import transform_files

    baseline = _peak_kb()
    stats = DumpStats()
    totals = {"articles": 0, "batches": 0, "polls": 0, "rows": 0}
    pending: list[Any] = []
    pending_bytes = 0

    def flush() -> None:
        nonlocal pending, pending_bytes
        if pending:
            batch = transform_files(pending, dump.parent)
            totals["articles"] += len(batch.articles)
            totals["batches"] += 1
            totals["polls"] += sum(len(article.polls) for article in batch.articles)
            totals["rows"] += sum(article.row_count() for article in batch.articles)
        pending, pending_bytes = [], 0

    started = time.perf_counter()
    for page in iter_dump(dump, stats=stats):
        pending.append(page)
        pending_bytes += len(page.text)
        if pending_bytes >= DUMP_BATCH_BYTES or len(pending) >= MAX_BATCH_ARTICLES:
            flush()
    flush()
    seconds = time.perf_counter() - started
    result = {
        **totals,
        "seconds": seconds,
        "dump_mb_per_s": dump.stat().st_size / MB / seconds,
        "stats": ", ".join(f"{key} {value:,}" for key, value in vars(stats).items()),
        "baseline_kb": baseline,
        "peak_kb": _peak_kb(),
        "ru_maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }
    result_path.write_text(json.dumps(result))


def _peak_kb() -> int:
    """This process's peak RSS (VmHWM), which, unlike ru_maxrss, starts afresh at exec."""
    return _status_kb(os.getpid()).get("VmHWM", 0)


def _count_workers() -> tuple[list[int], list[int]]:
    """Instrument transform_isolated's workers: count them, and read each one's VmHWM just
    before it is stopped (when its peak is final). Benchmark-side only; flows/ is unchanged."""
    from flows.run import workers as transform

    started: list[int] = []
    peaks: list[int] = []
    original_init, original_stop = transform._Worker.__init__, transform._Worker.stop

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        started.append(self.process.pid)

    def stop(self: Any, kill: bool = False) -> None:
        peaks.append(_status_kb(self.process.pid).get("VmHWM", 0))
        original_stop(self, kill)

    transform._Worker.__init__ = init
    transform._Worker.stop = stop
    return started, peaks


def child_flow(result_path: Path, spec_path: Path) -> None:
    """Run each job's flows, after Prefect's start-up; the spec and the result are JSON."""
    import dataclasses

    spec = json.loads(spec_path.read_text())
    from flows.run.workers import start_fork_server

    start_fork_server()  # as `wikipoll run` does before Prefect starts
    warm = start_prefect(Path(os.environ["PREFECT_HOME"]), os.environ.get("PREFECT_API_URL"))
    baseline = _peak_kb()
    started, peaks = _count_workers()
    outcomes = []
    for job in spec["jobs"]:
        first_worker = len(peaks)
        outcome: dict[str, Any] = {"seconds": [], "summaries": [], "profile": []}
        for index in range(job["runs"]):
            with maybe_profile(spec["profile"] and index == job["runs"] - 1) as lines:
                spent, report = run_flow(
                    Path(job["raw"]), Path(job["warehouse"]), spec["workers"] or None
                )
            outcome["seconds"].append(spent)
            outcome["summaries"].append(dataclasses.asdict(report.summary))
            outcome["profile"] += lines
        outcome.update(
            workers=len(peaks) - first_worker,
            worker_peaks_kb=peaks[first_worker:],
            peak_kb=_peak_kb(),
        )
        outcomes.append(outcome)
    result = {"warm_up_seconds": warm, "baseline_kb": baseline, "jobs": outcomes}
    result_path.write_text(json.dumps(result))


# --- section 4: DuckDB load rows/s ----------------------------------------------------------------


def section_four(args: argparse.Namespace, work: Path, corpus_raw: Path, report: Report) -> None:
    section(f"4. DuckDB load of a validated batch of ≥ {args.load_rows:,} rows")
    loaded = run_child(
        "load",
        [str(corpus_raw), str(work), str(args.load_rows), str(args.executemany_rows)],
        work,
        None,
    )
    result = loaded.result
    rate = result["rows"] / result["write_seconds"]
    say(
        f"batch: {result['base_rows']:,} rows validated from {result['base_articles']} generated "
        f"articles ({result['base_seconds']:.0f} s to transform and validate), replicated "
        f"{result['copies']} times with suffixed ids: {result['rows']:,} rows"
    )
    say("  " + ", ".join(f"{name} {count:,}" for name, count in result["tables"].items()))
    say(
        f"WarehouseLoad.write(batch): {result['write_seconds']:.2f} s, {rate:,.0f} rows/s; with "
        f"the commit: {result['commit_seconds']:.2f} s more"
    )
    say(
        f"poll rows only ({result['sample']:,} of them): DataFrame insert "
        f"{result['frame_rate']:,.0f} rows/s, executemany {result['executemany_rate']:,.0f} "
        f"rows/s ({result['frame_rate'] / result['executemany_rate']:,.0f}x slower than the frame)"
    )
    say(f"child peak RSS {_largest(loaded.memory, 'child') / KB:.0f} MB (sampled VmHWM)")
    report.add(
        f"4. DuckDB load, WarehouseLoad.write of {result['rows']:,} rows",
        f"{rate:,.0f} rows/s (executemany {result['executemany_rate']:,.0f})",
        "≥ 1,000,000 rows/s",
        rate >= 1_000_000,
    )


def _replicate(frames: dict[str, Any], copies: int) -> dict[str, Any]:
    """Each frame `copies` times; copy k's ids end in `~k`, so no two rows share an id."""
    import pandas as pd

    ids = ("article_id", "poll_id", "event_id", "record_id", "source_path")
    replicated = {}
    for name, frame in frames.items():
        parts = [frame]
        for copy in range(1, copies):
            part = frame.copy()
            for column in ids:
                if column in part.columns:
                    part[column] = part[column] + f"~{copy}"
            parts.append(part)
        replicated[name] = pd.concat(parts, ignore_index=True)
    return replicated


def child_load(result_path: Path, raw: Path, work: Path, wanted: int, sample: int) -> None:
    """Build a batch of ≥ `wanted` rows, time WarehouseLoad.write, then the poll rows alone by
    DataFrame insert and by executemany."""
    import duckdb
    import pandas as pd

    from flows.check.validate import ValidatedBatch, validate_batch
    from flows.load.warehouse import WarehouseLoad, ensure_tables
    from flows.read.files import find_article_files
    from flows.records import new_run
    from flows.run.workers import transform_files

    run = new_run(run_date=RUN_DATE)
    started = time.perf_counter()
    articles: list[Any] = []
    rows = 0
    for path in find_article_files(raw):  # enough articles for a quarter of the rows
        batch = transform_files([path], raw)
        articles += batch.articles
        rows += sum(
            len(a.polls) * 2 + len(a.poll_results) + len(a.source_cells) for a in batch.articles
        )
        if rows >= wanted / 4:
            break
    validated = validate_batch(articles, run)
    base_rows = sum(len(frame) for frame in validated.frames.values())
    base_seconds = time.perf_counter() - started
    copies = max(1, math.ceil(wanted / base_rows))
    frames = _replicate(validated.frames, copies)
    batch = ValidatedBatch(frames)
    total = sum(len(frame) for frame in frames.values())

    with WarehouseLoad(work / "load.duckdb", run, str(raw)) as load:
        started = time.perf_counter()
        load.write(batch)
        write_seconds = time.perf_counter() - started
        started = time.perf_counter()
    commit_seconds = time.perf_counter() - started

    polls = frames["polls"].head(sample)
    columns = list(polls.columns)
    records = [
        tuple(None if pd.isna(value) else value for value in row)
        for row in polls.astype(object).itertuples(index=False, name=None)
    ]
    rates = {}
    for label in ("frame", "executemany"):
        con = duckdb.connect(str(work / f"{label}.duckdb"))
        ensure_tables(con)
        con.execute("BEGIN TRANSACTION")
        started = time.perf_counter()
        if label == "frame":
            con.register("incoming_frame", polls)
            con.execute("INSERT INTO polls BY NAME SELECT * FROM incoming_frame")
        else:
            marks = ", ".join("?" for _ in columns)
            con.executemany(f"INSERT INTO polls ({', '.join(columns)}) VALUES ({marks})", records)
        con.execute("COMMIT")
        rates[label] = len(polls) / (time.perf_counter() - started)
        con.close()
    result = {
        "rows": total,
        "tables": {name: len(frame) for name, frame in frames.items()},
        "base_rows": base_rows,
        "base_articles": len(articles),
        "base_seconds": base_seconds,
        "copies": copies,
        "write_seconds": write_seconds,
        "commit_seconds": commit_seconds,
        "sample": len(polls),
        "frame_rate": rates["frame"],
        "executemany_rate": rates["executemany"],
    }
    result_path.write_text(json.dumps(result))


# --- the run --------------------------------------------------------------------------------------


def section_five(tally: CheckTally, report: Report) -> None:
    section("5. correctness: fast path vs plain full parse (benchmarks/reference.py)")
    say(
        f"{tally.articles:,} articles, {tally.records:,} records compared field by field "
        f"({', '.join(RECORD_KINDS)}; ignored fields: {sorted(IGNORED_FIELDS) or 'none'})"
    )
    if not tally.articles:
        say("nothing checked: sections 1 and 2 did not run")
        report.add("5. fast path = plain full parse (reference.py)", "not run", "identical", None)
        return
    if tally.differences:
        report.correctness_failed = True
        say(f"DIFFERENCES in {tally.differing_articles} articles; the first ones:")
        for difference in tally.differences:
            say(f"  {difference}")
    else:
        say("identical")
    report.add(
        "5. fast path = plain full parse (reference.py)",
        f"{tally.articles:,} articles, {tally.differing_articles} differ",
        "identical",
        not tally.differences,
    )


def print_table(report: Report) -> None:
    section("summary")
    width = max(len(outcome.measure) for outcome in report.outcomes) if report.outcomes else 10
    figure_width = max((len(outcome.figure) for outcome in report.outcomes), default=6)
    say(f"{'measure':{width}} | {'figure':{figure_width}} | {'target':18} | met?")
    say(f"{'-' * width}-+-{'-' * figure_width}-+-{'-' * 18}-+-------")
    for outcome in report.outcomes:
        met = "n/a" if outcome.met is None else "yes" if outcome.met else "NOT MET"
        say(
            f"{outcome.measure:{width}} | {outcome.figure:{figure_width}} | "
            f"{outcome.target:18} | {met}"
        )
    for error in report.errors:
        say(f"ERROR: {error}")


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run: 5 articles, 500 re-run articles, a 50 MB dump, no 3b",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--articles", type=int, help="section 1 corpus (default 40; quick 5)")
    parser.add_argument("--min-bytes", type=int, default=20_000)
    parser.add_argument("--max-bytes", type=int, help="default 1000000; quick 200000")
    parser.add_argument("--rerun-articles", type=int, help="default 10000; quick 500")
    parser.add_argument("--dump-mb", type=float, help="dump size in MB (default 1050; quick 50)")
    parser.add_argument(
        "--dump-flow",
        action=argparse.BooleanOptionalAction,
        help="also run the dump through the flow (section 3b; default: yes, but not with --quick)",
    )
    parser.add_argument("--load-rows", type=int, help="default 1000000; quick 200000")
    parser.add_argument("--executemany-rows", type=int, help="default 10000; quick 2000")
    parser.add_argument("--workers", type=int, help="flow workers (default: one per core)")
    parser.add_argument("--sections", default="1,2,3,4", help="which of 1-4 to run (5 always)")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="cProfile the timed flow runs and print their top functions",
    )
    parser.add_argument("--tmp-dir", type=Path, help="where the temporary files go")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    defaults = {
        "articles": (40, 5),
        "max_bytes": (1_000_000, 200_000),
        "rerun_articles": (10_000, 500),
        "dump_mb": (1050.0, 50.0),
        "load_rows": (1_000_000, 200_000),
        "executemany_rows": (10_000, 2_000),
        "dump_flow": (True, False),
    }
    for name, (full, quick) in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)
    return args


def run_child_mode(child: list[str]) -> None:
    mode, result_path, *rest = child
    handlers: dict[str, Callable[..., None]] = {
        "stream": lambda dump: child_stream(Path(result_path), Path(dump)),
        "flow": lambda spec: child_flow(Path(result_path), Path(spec)),
        "load": lambda raw, work, wanted, sample: child_load(
            Path(result_path), Path(raw), Path(work), int(wanted), int(sample)
        ),
    }
    handlers[mode](*rest)


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(sys.argv[1:] if argv is None else argv)
    if args.child:
        run_child_mode(args.child)
        return 0
    wanted = {part.strip() for part in args.sections.split(",")}
    report, tally = Report(), CheckTally()
    began = time.perf_counter()
    say(
        f"wikipoll pipeline benchmark{' (quick)' if args.quick else ''}: seed {args.seed}, "
        f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, load average "
        f"{os.getloadavg()[0]:.1f} (other processes' load skews every figure)"
    )
    with tempfile.TemporaryDirectory(prefix="wikipoll-bench-", dir=args.tmp_dir) as temporary:
        work = Path(temporary)
        server = PrefectServer(work / "prefect-home")
        state: dict[str, Any] = {}
        steps: list[tuple[str, Callable[[], Any]]] = []
        if "1" in wanted:
            steps.append(("1", lambda: state.update(times=section_one_parse(args, work, tally))))
        else:  # sections 3 and 4 read the corpus
            corpus_args = (args.seed, args.articles, args.min_bytes, args.max_bytes)
            steps.append(("corpus", lambda: write_corpus(work / "raw", *corpus_args)))
        if wanted & {"1", "2"} or ("3" in wanted and args.dump_flow):
            steps.append(("prefect", server.start))
        if "2" in wanted:
            steps.append(("2", lambda: state.update(small=prepare_small(args, work, tally))))
        jobs = [FlowJob("section1", work / "raw", 1)] if "1" in wanted else []
        jobs += [FlowJob("section2", work / "raw-small", 2)] if "2" in wanted else []
        if jobs:  # one flow child for both: one client start-up
            steps.append(
                ("1+2", lambda: state.update(flows=flows_in_child(args, work, server, jobs)))
            )
        if "1" in wanted:
            steps.append(
                ("1", lambda: section_one(args, report, state["times"], state["flows"]["section1"]))
            )
        if "2" in wanted:
            steps.append(
                ("2", lambda: section_two(args, report, state["small"], state["flows"]["section2"]))
            )
        if "3" in wanted:
            steps.append(("3", lambda: section_three(args, work, report, server)))
        if "4" in wanted:
            steps.append(("4", lambda: section_four(args, work, work / "raw", report)))
        for name, step in steps:
            try:
                step()
            except Exception as error:  # one broken section must not hide the others' figures
                report.errors.append(f"section {name}: {type(error).__name__}: {error}")
                say(f"section {name} could not run: {type(error).__name__}: {error}")
        section_five(tally, report)
        print_table(report)
    say(
        f"benchmark took {time.perf_counter() - began:.0f} s; load average now "
        f"{os.getloadavg()[0]:.1f}; the benchmark process's own peak RSS {_peak_kb() / KB:.0f} MB"
    )
    if report.correctness_failed:
        return 1
    return 2 if report.errors else 0


if __name__ == "__main__":
    sys.exit(main())
