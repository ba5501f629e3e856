"""Benchmark: parse + extract throughput of wikipoll against a bare mwparserfromhell.parse.

    .venv/bin/python benchmarks/parse_throughput.py [--articles 40] [--seed 7]

Generates a seeded corpus of wikitext poll articles (benchmarks/generate.py), then times, on the
same texts in the same process, (1) `mwparserfromhell.parse` of each whole article and (2)
wikipoll's parse and normalize (find tables, build grids, read every cell and value). Prints MB/s
and rows/s of each and their ratio. Figures are ratios in one run: the machines are shared and
noisy, so absolute times mean little. It also checks that every generated poll row came out as a
poll or an event, so a fast path that loses rows cannot look fast.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import mwparserfromhell  # noqa: E402

from benchmarks.generate import corpus  # noqa: E402
from flows.read.files import parse_article_text  # noqa: E402
from flows.shape.records import normalize_article  # noqa: E402


def best_of(repeats: int, work) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    articles = list(corpus(args.seed, args.articles))
    megabytes = sum(len(text.encode("utf-8")) for _, text, _ in articles) / 1e6
    expected_rows = sum(polls for _, _, polls in articles)

    def bare_parse() -> None:
        for _, text, _ in articles:
            mwparserfromhell.parse(text)

    rows_seen = 0

    def wikipoll_parse() -> None:
        nonlocal rows_seen
        rows_seen = 0
        for name, text, _ in articles:
            normalized = normalize_article(parse_article_text(text, name, "", "wikitext"))
            rows_seen += len(normalized.polls) + len(normalized.rejected)

    bare = best_of(args.repeats, bare_parse)
    ours = best_of(args.repeats, wikipoll_parse)
    print(f"corpus: {len(articles)} articles, {megabytes:.1f} MB, {expected_rows} poll rows "
          f"(seed {args.seed})")  # fmt: skip
    print(f"{'':34}{'seconds':>9}{'MB/s':>9}{'rows/s':>11}")
    for label, seconds in (("mwparserfromhell.parse (whole)", bare),
                           ("wikipoll parse + normalize", ours)):  # fmt: skip
        print(f"{label:34}{seconds:9.2f}{megabytes / seconds:9.2f}{expected_rows / seconds:11.0f}")
    print(f"ratio: wikipoll is {bare / ours:.1f}x the speed of a bare full parse")
    if rows_seen != expected_rows:
        raise SystemExit(f"row check failed: generated {expected_rows} poll rows, read {rows_seen}")
    print(f"row check: all {rows_seen} generated poll rows read (as polls or rejected rows)")


if __name__ == "__main__":
    main()
