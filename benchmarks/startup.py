"""How long the commands people type take to answer, beside bare DuckDB answering the same query.

`wikipoll query` on a small warehouse should answer in well under a second: it imports only what a
query needs (DuckDB and Typer), not pandas, pandera, Prefect or Dask. `--help`, `--version` and
`validate` start-up are measured the same way. Each command runs `--repeat` times in a fresh
process, and the median wall time is printed with its ratio to bare DuckDB in the same run (the
machine is shared and noisy: compare ratios, not seconds, across runs).

    .venv/bin/python benchmarks/startup.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "raw" / "serbia_nato_relations.txt"
BIN = Path(sys.executable).parent
WIKIPOLL = str(BIN / "wikipoll")
QUERY = "SELECT pollster, count(*) FROM polls GROUP BY pollster ORDER BY pollster"


def build_warehouse(folder: Path) -> Path:
    """The sample article loaded into a warehouse, without Prefect (as the tests load it)."""
    from flows.check.validate import validate_batch
    from flows.load.warehouse import load_batch
    from flows.read.files import parse_article_file
    from flows.records import new_run
    from flows.shape.records import normalize_article

    raw = folder / "raw"
    raw.mkdir()
    shutil.copy(SAMPLE, raw / SAMPLE.name)
    warehouse = folder / "w.duckdb"
    run = new_run()
    batch = validate_batch([normalize_article(parse_article_file(raw / SAMPLE.name, raw))], run)
    load_batch(warehouse, batch, run, raw_dir="raw")
    return warehouse


def median_seconds(command: list[str], repeat: int, cwd: Path) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
        times.append(time.perf_counter() - started)
        if done.returncode not in (0, 1):  # validate exits 1 on findings
            raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each command (default 5)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        warehouse = build_warehouse(folder)
        bare = [
            sys.executable, "-c",
            "import duckdb, sys; con = duckdb.connect(sys.argv[1], read_only=True); "
            "print(con.execute(sys.argv[2]).fetchall())",
            str(warehouse), QUERY,
        ]  # fmt: skip
        commands = {
            "bare DuckDB (python -c)": bare,
            "wikipoll query": [WIKIPOLL, "query", QUERY, "--warehouse", str(warehouse)],
            "wikipoll query --format json": [
                WIKIPOLL,
                "query",
                QUERY,
                "--warehouse",
                str(warehouse),
                "--format",
                "json",
            ],  # fmt: skip
            "wikipoll --version": [WIKIPOLL, "--version"],
            "wikipoll --help": [WIKIPOLL, "--help"],
            "wikipoll validate (the sample)": [WIKIPOLL, "validate", "--raw", "raw"],
        }
        results = {
            name: median_seconds(command, args.repeat, folder) for name, command in commands.items()
        }
    base = results["bare DuckDB (python -c)"]
    print(f"median of {args.repeat} runs each, in a fresh process; the sample's warehouse")
    print(f"{'command':<34} {'seconds':>8} {'x bare':>7}")
    for name, seconds in results.items():
        print(f"{name:<34} {seconds:>8.2f} {seconds / base:>7.1f}")
    print("target: wikipoll query well under 1 s on a small warehouse")


if __name__ == "__main__":
    main()
