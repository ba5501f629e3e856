"""Benchmark: the report of a warehouse of 50,000 polls, next to its targets.

    .venv/bin/python benchmarks/report_scale.py                # 50,000 polls in 40 articles
    .venv/bin/python benchmarks/report_scale.py --polls 5000   # a quicker look
    .venv/bin/python benchmarks/report_scale.py --keep DIR     # keep the warehouse and the page

What it does:

1. Builds a warehouse the way a real one is made and then grows it: the sample article is loaded
   by a real load (`validate_batch` + `load_batch`, so the tables, the views and a `load_runs`
   row are the load's own), then `--polls` generated polls are written straight into the same
   tables with DuckDB, spread over `--articles` articles as `benchmarks/generate.py` spreads
   them (a few very long articles, many short ones; 10 to 500 polls a year, going back a year at
   a time), with their answers, events (3% of rows), rejected rows (1%) and warnings (polls
   without a sample size). One article in eight has six parties instead of three answers.
   Seeded: the same arguments give the same warehouse.
2. Writes the report in a child process (this file with `--child`), which times
   `flows.report.write_report` and reads its own peak RSS (VmHWM from /proc/self/status) when
   it is done, and before it starts (what importing wikipoll costs).
3. Opens the page in headless Chromium (Debian's, driven by Playwright, as the report's browser
   test does) and times it from the navigation to the load event and two frames after it (so
   layout and the first paint are in), with the console errors it logged.

Targets: a page under 10 MB, written in under 1 GB peak RSS, open in a few seconds (5 s here).
Figures are from one run on a shared machine: run it twice before believing a time.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script: `benchmarks/report_scale.py`
    sys.path.insert(0, str(REPO))

MB = 1_000_000
TARGET_BYTES = 10 * MB
TARGET_RSS_KB = 1_000_000  # 1 GB
TARGET_OPEN_SECONDS = 5.0
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]  # fmt: skip

POLLSTERS = ["YouGov", "Opinium", "Kantar", "Ipsos", "Savanta ComRes", "Deltapoll",
             "BMG Research", "Redfield & Wilton Strategies", "Survation", "Omnisis", "NSPM",
             "Ninamedia"]  # fmt: skip
CLIENTS = ["The Observer", None, "The Independent", "Eurotrack", None, "The Times"]
EVENTS = ["Election called", "Referendum announced", "Treaty signed", "Government resigns",
          "Summit held", "Invasion begins", "Prime minister replaced after a vote of no confidence",
          "Parliament ratifies the accession protocol", "Talks"]  # fmt: skip
ANSWERS = [("Support", "support"), ("Opposed", "oppose"), ("Neither", "neutral")]
PARTIES = [(f"Party {letter}", None) for letter in "ABCDEF"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]  # fmt: skip


# --- the warehouse --------------------------------------------------------------------------------


@dataclass
class Rows:
    """The generated rows, one list of dicts per table."""

    articles: list[dict[str, Any]] = field(default_factory=list)
    polls: list[dict[str, Any]] = field(default_factory=list)
    poll_results: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    rejected_rows: list[dict[str, Any]] = field(default_factory=list)
    quality_warnings: list[dict[str, Any]] = field(default_factory=list)


def _article_sizes(rng: random.Random, polls: int, articles: int) -> list[int]:
    """Polls per article: spread as `benchmarks/generate.py` spreads article sizes (20 KB to
    1 MB, skewed to the small end), scaled so they add up to `polls` exactly."""
    weights = [50 ** (rng.random() ** 2) for _ in range(articles)]
    sizes = [max(1, int(polls * w / sum(weights))) for w in weights]
    sizes[sizes.index(max(sizes))] += polls - sum(sizes)
    return sizes


def _shares(rng: random.Random, day: int, phase: float, parties: bool) -> list[int]:
    """Whole-number shares around a slow drift, so an average has something to follow."""
    if parties:
        base = [30 + 8 * math.sin(day / 500 + phase + i) - 4 * i for i in range(len(PARTIES))]
        shares = [max(1, round(b + rng.gauss(0, 2.5))) for b in base]
        return shares
    support = 42 + 12 * math.sin(day / 700 + phase) + rng.gauss(0, 3)
    oppose = 40 - 9 * math.sin(day / 700 + phase) + rng.gauss(0, 3)
    support, oppose = round(min(max(support, 5), 80)), round(min(max(oppose, 5), 80))
    return [support, oppose, max(0, 100 - support - oppose)]


def generate(polls: int, articles: int, seed: int) -> Rows:
    """`polls` polls in `articles` articles, with their answers, events, rejections, warnings."""
    rng = random.Random(seed)
    rows = Rows()
    for index, size in enumerate(_article_sizes(rng, polls, articles)):
        article_id = f"article_{index:05d}.wiki"
        title = f"Article {index:05d}–NATO relations"
        lineage = {"article_id": article_id, "article_title": title, "source_path": article_id}
        options = PARTIES if index % 8 == 3 else ANSWERS
        phase = rng.random() * 6
        rows.articles.append(
            {
                "article_id": article_id,
                "title": title,
                "source_path": article_id,
                "content_sha256": f"{index:064x}",
                "format": "wikitext",
                "tables_found": 0,
                "unknown_templates": "",
                "loaded_at": "2024-12-30 12:00:00",
                "run_id": "generated",
                "control_characters_replaced": 0,
            }  # fmt: skip
        )
        year, written, line, table = 2024, 0, 40, 0
        while written < size:
            table += 1
            in_year = min(rng.randint(10, 500), size - written)
            days = sorted((rng.randrange(365) for _ in range(in_year)), reverse=True)
            row = 0
            for day_of_year in days:
                row += 1
                line += 2
                where = {**lineage, "table_index": table, "row_index": row, "source_line": line}
                end = date(year, 1, 1) + timedelta(days=day_of_year)
                if rng.random() < 0.03:
                    text = rng.choice(EVENTS)
                    rows.events.append(
                        {
                            **where,
                            "event_id": f"{article_id}#{table}.{row}",
                            "event_date": end,
                            "event_end": end,
                            "date_precision": "day",
                            "year_inferred": False,
                            "date_text": f"{end.day} {MONTHS[end.month - 1]} {end.year}",
                            "description": text,
                            "source_kind": "poll_table",
                            "notes": "",
                            "raw_text": f"| {end:%d %B %Y} || colspan=7 | ''{text}''",
                        }  # fmt: skip
                    )
                    row += 1
                    line += 2
                    where = {**where, "row_index": row, "source_line": line}
                if rng.random() < 0.01:
                    rows.rejected_rows.append(
                        {
                            **where,
                            "raw_text": f"| {end:%d %b %Y} | | | 1,000 | 140% | | |",
                            "check_name": "share_in_range",
                            "column_name": "Support",
                            "value": "140%",
                            "reason": "a share is outside 0 to 100",
                        }  # fmt: skip
                    )
                    continue
                precision = "month" if rng.random() < 0.05 else "day"
                if precision == "month":
                    start = end.replace(day=1)
                    end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
                    date_text = f"{MONTHS[end.month - 1]} {end.year}"
                else:
                    start = end - timedelta(days=rng.randint(0, 3))
                    date_text = f"{start.day}–{end.day} {MONTHS[end.month - 1][:3]} {end.year}"
                shares = _shares(rng, end.toordinal(), phase, options is PARTIES)
                sample = None if rng.random() < 0.02 else rng.randint(900, 2500)
                pollster, client = rng.choice(POLLSTERS), rng.choice(CLIENTS)
                lead = abs(shares[0] - shares[1])
                poll_id = f"{article_id}#{table}.{row}"
                named = {cls: s for (_, cls), s in zip(options, shares, strict=True) if cls}
                rows.polls.append(
                    {
                        **where,
                        "poll_id": poll_id,
                        "section_path": f"Opinion polling > {year}",
                        "date_text": date_text,
                        "fieldwork_start": start,
                        "fieldwork_end": end,
                        "date_precision": precision,
                        "year_inferred": False,
                        "pollster": pollster,
                        "client": client,
                        "sample_size": sample,
                        "population": None,
                        "lead": float(lead),
                        "margin_of_error": None,
                        "support": named.get("support"),
                        "oppose": named.get("oppose"),
                        "neutral": named.get("neutral"),
                        "answer_count": len(shares),
                        "answers_total": float(sum(shares)),
                        "answers_rounding": 0.5 * len(shares),
                        "answers_complete": True,
                        "substantive_gap": float(lead),
                        "repair": None,
                        "notes": "",
                        "raw_text": f"| {date_text} | [[{pollster}]] | ''{client or 'N/A'}'' | "
                        f"{sample or ''} | "
                        + " | ".join(f"{s}%" for s in shares)
                        + f" | {lead}% |",
                    }  # fmt: skip
                )
                for column, ((option, cls), share) in enumerate(zip(options, shares, strict=True)):
                    rows.poll_results.append(
                        {"poll_id": poll_id, "option": option, "answer_class": cls,
                         "share": float(share), "share_upper_bound": None,
                         "raw_cell": f"{share}%", "column_index": 5 + column, "origin": "source"}
                    )  # fmt: skip
                if sample is None:
                    rows.quality_warnings.append(
                        {
                            **where,
                            "poll_id": poll_id,
                            "check_name": "sample_size_missing",
                            "column_name": "sample_size",
                            "value": "",
                            "detail": "sample_size is empty",
                        }  # fmt: skip
                    )
                written += 1
            year -= 1
    return rows


def build_warehouse(path: Path, polls: int = 50_000, articles: int = 40, seed: int = 7) -> dict:
    """A warehouse made by a real load of the sample, then grown by `polls` generated polls.

    Returns the row count of each table.
    """
    import duckdb
    import pandas as pd

    from flows.check.validate import validate_batch
    from flows.load.warehouse import load_batch
    from flows.read.files import parse_article_file
    from flows.records import new_run
    from flows.shape.records import normalize_article

    sample = REPO / "raw" / "serbia_nato_relations.txt"
    run = new_run(run_id="sample-run", run_date=date(2026, 11, 28))
    article = normalize_article(parse_article_file(sample, sample.parent))
    load_batch(path, validate_batch([article], run), run, raw_dir="raw")

    rows = generate(polls, articles, seed)
    con = duckdb.connect(str(path))
    try:
        con.execute("BEGIN TRANSACTION")
        for table in ("articles", "polls", "poll_results", "events", "rejected_rows",
                      "quality_warnings"):  # fmt: skip
            frame = pd.DataFrame(getattr(rows, table))  # noqa: F841 (read by DuckDB by name)
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM frame")
        con.execute("COMMIT")
        counts = {
            table: con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in (
                "articles",
                "polls",
                "poll_results",
                "events",
                "rejected_rows",
                "quality_warnings",
            )  # fmt: skip
        }
    finally:
        con.close()
    return counts


# --- writing the report, in a child -------------------------------------------------------------


def _vm_hwm_kb() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def child_write(warehouse: Path, out: Path, result: Path) -> None:
    """In the child: import, note the peak so far, write the report, note the peak again."""
    from flows.report import write_report

    before = _vm_hwm_kb()
    started = time.perf_counter()
    write_report(warehouse, out)
    seconds = time.perf_counter() - started
    result.write_text(json.dumps({"seconds": seconds, "hwm_kb": _vm_hwm_kb(), "import_kb": before}))


def write_in_child(warehouse: Path, out: Path) -> dict:
    """Write the report in a fresh process; its seconds, peak RSS and the size of the page."""
    result = out.with_suffix(".json")
    subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", str(warehouse), str(out),
         str(result)],
        check=True,
    )  # fmt: skip
    measured = json.loads(result.read_text())
    result.unlink()
    return {**measured, "bytes": out.stat().st_size}


# --- opening it ----------------------------------------------------------------------------------


def watch_page(page, problems: list[str]) -> None:
    """Note in `problems` what a self-contained page must never do: log a console error, throw,
    open a dialog, or request anything but itself."""
    page.on(
        "console",
        lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    page.on(
        "request",
        lambda r: (
            None if r.url.startswith(("file:", "data:")) else problems.append(f"request: {r.url}")
        ),
    )


def open_in_chromium(report: Path, timeout_seconds: float = 180) -> dict:
    """Open the page in headless Chromium; how long until it was loaded and painted, and what
    went wrong (console errors, page errors, requests that left the file)."""
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.set_default_timeout(timeout_seconds * 1000)
            watch_page(page, problems)
            started = time.perf_counter()
            page.goto(report.as_uri(), wait_until="load")
            two_frames = "done => requestAnimationFrame(() => requestAnimationFrame(done))"
            page.evaluate(f"() => new Promise({two_frames})")
            seconds = time.perf_counter() - started
            shown = page.evaluate(
                """() => ({
                    elements: document.getElementsByTagName('*').length,
                    sections: document.querySelectorAll('section.article').length,
                    charts: document.querySelectorAll('svg.chart').length,
                    rows: document.querySelectorAll('table.polls tbody tr').length,
                    height: document.documentElement.scrollHeight,
                })"""
            )
        finally:
            browser.close()
    return {"seconds": seconds, "problems": problems, **shown}


# --- the whole run -------------------------------------------------------------------------------


def verdict(met: bool) -> str:
    return "met" if met else "NOT MET"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--polls", type=int, default=50_000)
    parser.add_argument("--articles", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="build and write in this folder, and keep them")
    parser.add_argument("--no-browser", action="store_true", help="do not open the page")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child_write(*map(Path, args.child))
        return 0

    with tempfile.TemporaryDirectory(prefix="report-scale-") as scratch:
        work = args.keep or Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        warehouse, out = work / "scale.duckdb", work / "report.html"
        warehouse.unlink(missing_ok=True)
        started = time.perf_counter()
        counts = build_warehouse(warehouse, args.polls, args.articles, args.seed)
        print(
            f"warehouse: {counts['articles']} articles, {counts['polls']:,} polls "
            f"({counts['poll_results']:,} answers), {counts['events']:,} events, "
            f"{counts['rejected_rows']:,} rejected rows, {counts['quality_warnings']:,} warnings; "
            f"built in {time.perf_counter() - started:.1f} s"
        )
        written = write_in_child(warehouse, out)
        opened = None if args.no_browser else open_in_chromium(out)

        print(f"{'measure':34}{'figure':>14}  {'target':<12}")
        rows = [
            ("report size", f"{written['bytes'] / MB:.2f} MB", "< 10 MB",
             written["bytes"] < TARGET_BYTES),
            ("peak RSS writing it (VmHWM)", f"{written['hwm_kb'] / 1000:.0f} MB", "< 1 GB",
             written["hwm_kb"] < TARGET_RSS_KB),
            ("  of which after imports", f"{written['import_kb'] / 1000:.0f} MB", "", None),
            ("time to write", f"{written['seconds']:.1f} s", "", None),
        ]  # fmt: skip
        if opened:
            rows.append(
                ("time to open (load + paint)", f"{opened['seconds']:.1f} s",
                 f"≤ {TARGET_OPEN_SECONDS:g} s", opened["seconds"] <= TARGET_OPEN_SECONDS)
            )  # fmt: skip
            rows.append(
                ("console errors", str(len(opened["problems"])), "0", not opened["problems"])
            )
        for label, figure, target, met in rows:
            print(f"{label:34}{figure:>14}  {target:<12}{'' if met is None else verdict(met)}")
        if opened:
            print(
                f"page: {opened['elements']:,} elements, {opened['sections']} sections, "
                f"{opened['charts']} charts, {opened['rows']:,} poll rows, "
                f"{opened['height']:,} px tall"
            )
            for problem in opened["problems"][:10]:
                print(f"  {problem}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
