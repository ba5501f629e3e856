"""Digest of the warehouses built from fixed inputs: proof that a change kept the data the same.

    .venv/bin/python benchmarks/same_warehouse.py > before.txt      # at the old commit
    .venv/bin/python benchmarks/same_warehouse.py > after.txt       # at the new one
    diff before.txt after.txt                                       # nothing: the same warehouse

Builds three warehouses with the real command (`wikipoll run`, so the flow, the workers and the
load are all in the path): from the sample article (`raw/`), from the UK re-accession corpus
(wrapped in its table header, as tests/test_corpus.py does) and from the seeded benchmark corpus
(`benchmarks/generate.py`, 40 articles). For every table it prints the row count and a SHA-256 of
its rows, sorted, with the columns that differ from run to run left out (run ids, load times,
file modification times). The first rows of a table that differs can be printed with --show.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.generate import corpus  # noqa: E402

# Columns whose values are those of the run, not of the data.
VOLATILE = {"run_id", "loaded_at", "file_mtime_ns", "started_at", "finished_at", "host", "pid"}
UK_HEADER = (
    '{| class="wikitable"\n'
    "! Date(s) conducted !! Pollster !! Client !! Sample size !! Rejoin !! Stay out !! Neither "
    "!! Lead\n"
)


def build(raw: Path, warehouse: Path) -> None:
    wikipoll = Path(sys.executable).parent / "wikipoll"
    done = subprocess.run(
        [str(wikipoll), "run", "--raw", str(raw), "--warehouse", str(warehouse),
         "--run-date", "2026-11-28"],
        capture_output=True, text=True, check=False,
        env={**os.environ, "PREFECT_LOGGING_LEVEL": "WARNING"},
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"wikipoll run failed on {raw}:\n{done.stderr[-3000:]}")


def digest(warehouse: Path, show: int) -> list[str]:
    lines = []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = [
            name
            for (name,) in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE table_name <> 'load_runs' "
                "ORDER BY table_name"
            ).fetchall()
        ]
        for table in tables:
            columns = [
                name
                for (name,) in con.execute(
                    "SELECT column_name FROM duckdb_columns() WHERE table_name = ? "
                    "ORDER BY column_name",
                    [table],
                ).fetchall()
                if name not in VOLATILE
            ]
            quoted = ", ".join(f'"{name}"' for name in columns)
            rows = sorted(
                repr(row) for row in con.execute(f'SELECT {quoted} FROM "{table}"').fetchall()
            )
            sha = hashlib.sha256("\n".join(rows).encode()).hexdigest()[:16]
            lines.append(f"{table}: {len(rows)} rows, {sha} ({', '.join(columns)})")
            lines += [f"    {row}" for row in rows[:show]]
    return lines


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", type=int, default=0, help="print this many rows of each table")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="wikipoll-same-"))
    try:
        sample = work / "sample"
        shutil.copytree(ROOT / "raw", sample)
        uk = work / "uk"
        uk.mkdir()
        for path in sorted((ROOT / "tests" / "fixtures" / "corpus").glob("potential-re-*.wiki")):
            text = UK_HEADER + path.read_text(encoding="utf-8") + "\n|}\n"
            (uk / path.name).write_text(text, encoding="utf-8")
        generated = work / "generated"
        generated.mkdir()
        for name, text, _ in corpus(7, 40):
            (generated / name).write_text(text, encoding="utf-8")
        for raw in (sample, uk, generated):
            warehouse = work / f"{raw.name}.duckdb"
            build(raw, warehouse)
            print(f"== {raw.name}")
            print("\n".join(digest(warehouse, args.show)))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
