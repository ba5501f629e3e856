"""Score the reader on the shared development set in seconds, without Prefect.

`../shared/dev-set/run.sh` is the official scorer: it runs `wikipoll run` once per article (about
10 s each, most of it Prefect). This script runs the same stages in this process (parse,
normalize, validate, load into a real DuckDB file per article) and scores each warehouse with the
dev set's own `score.py`, so a change to a reading rule can be tried on every article in a few
seconds. Its figures match run.sh's, less run.sh's one "exit 0" check per article.

usage: .venv/bin/python benchmarks/devset.py [NAME ...] [--dev-set DIR] [--keep DIR]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from flows.check.validate import validate_batch
from flows.load.warehouse import load_batch
from flows.records import new_run
from flows.run.workers import transform_files

DEFAULT_DEV_SET = Path(__file__).resolve().parents[2] / "shared" / "dev-set"


def score_one(dev_set: Path, article: Path, work: Path) -> tuple[int, int, str]:
    raw = work / article.stem / "raw"
    raw.mkdir(parents=True)
    (raw / article.name).write_bytes(article.read_bytes())
    warehouse = work / article.stem / "w.duckdb"
    run = new_run()
    batch = transform_files([raw / article.name], raw)
    load_batch(warehouse, validate_batch(batch.articles, run, batch.refused), run, str(raw))
    done = subprocess.run(
        [sys.executable, str(dev_set / "score.py"), str(dev_set / "expected"), str(warehouse),
         article.name],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    last = done.stdout.strip().splitlines()[-1]
    passed, total = last.rsplit(" ", 2)[-2].split("/")
    return int(passed), int(total), done.stdout


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*")
    parser.add_argument("--dev-set", type=Path, default=DEFAULT_DEV_SET)
    parser.add_argument("--keep", type=Path, help="keep the warehouses in this folder")
    parser.add_argument("--quiet", action="store_true", help="one line per article")
    args = parser.parse_args(argv)
    inputs = sorted((args.dev_set / "inputs").iterdir())
    if args.names:
        inputs = [p for p in inputs if p.stem in args.names or p.name in args.names]
    work = args.keep or Path(tempfile.mkdtemp(prefix="wikipoll-devset-"))
    work.mkdir(parents=True, exist_ok=True)
    grand = [0, 0]
    for article in inputs:
        passed, total, out = score_one(args.dev_set, article, work)
        grand[0] += passed
        grand[1] += total
        print(out.strip().splitlines()[-1] if args.quiet else out.rstrip())
    print(f"devset: {grand[0]}/{grand[1]} checks passed across {len(inputs)} articles")
    return 0 if grand[0] == grand[1] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
