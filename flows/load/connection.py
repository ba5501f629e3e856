"""Opening the warehouse file: waiting for a load's lock (bounded, said), and refusing a damaged
file before anything reads or writes it, in one message with the way out.

Kept apart from the loader so that what only reads (`wikipoll query`) imports DuckDB alone, not
pandas, pandera or the contract: a query answers in a fraction of a second.
"""

from __future__ import annotations

import re
import time
import traceback
from collections.abc import Callable
from pathlib import Path

import duckdb

from flows.settings import DEFAULTS

# A DuckDB file starts with three 4 KB headers; its blocks follow.
_HEADER_BYTES = 3 * 4096

# What DuckDB says of a file that is not (or no longer) a whole DuckDB database.
_DAMAGE_SIGNS = ("not a valid duckdb database file", "could not read enough bytes", "corrupt",
                 "checksum")  # fmt: skip


class WarehouseError(Exception):
    """The warehouse file cannot be used: locked, damaged, of another layout, or not writable."""


def damaged_warehouse(path: Path, detail: str) -> WarehouseError:
    """The error for a warehouse file that cannot be read back whole, with the ways out."""
    return WarehouseError(
        f"{path} is damaged ({' '.join(detail.split())}); wikipoll neither reads nor writes it: "
        f"restore it from a copy, or move it away (mv {path} {path}.damaged) and run `wikipoll "
        "run` again: it is rebuilt from raw/ (the run history in load_runs starts anew)."
    )


def connect(
    path: Path,
    read_only: bool = False,
    wait_seconds: float = DEFAULTS.lock_wait_seconds,
    on_wait: Callable[[str], None] | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse, waiting up to `wait_seconds` while another process holds its lock.

    `on_wait` is told once, with a message, when the wait begins, so a user sees why nothing
    happens yet. A damaged file is refused here, before anything reads or writes it.
    """
    if read_only and not path.exists():
        raise WarehouseError(f"{path}: no warehouse here yet; `wikipoll run` creates it")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_seconds
    delay = 0.05
    told = False
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            break
        except duckdb.IOException as error:
            if "lock" not in str(error).lower():
                raise _open_error(path, error) from None
            if on_wait is not None and not told:
                on_wait(f"{path} is locked by a load; waiting up to {wait_seconds:.0f} s for it")
                told = True
            if time.monotonic() >= deadline:
                holder = re.search(r"PID \d+", str(error))
                raise WarehouseError(
                    f"{path} is locked by another process"
                    f"{f' ({holder.group(0)})' if holder else ''}; waited {wait_seconds:.0f} s. "
                    "A load holds the file while it writes; try again when it has finished."
                ) from None
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
        except duckdb.Error as error:
            raise _open_error(path, error) from None
    damage = _damage(con, path)
    if damage is None:
        return con
    con.close()
    del con  # see let_go
    raise damaged_warehouse(path, damage)


def _open_error(path: Path, error: duckdb.Error) -> WarehouseError:
    if any(sign in str(error).lower() for sign in _DAMAGE_SIGNS):
        return damaged_warehouse(path, str(error))
    return WarehouseError(
        f"{path}: {error}; give a --warehouse file (new or a wikipoll warehouse) in a folder "
        "you can write"
    )


def _damage(con: duckdb.DuckDBPyConnection, path: Path) -> str | None:
    """What is wrong with an opened warehouse file, or None: cheap checks, no full read.

    DuckDB opens a file cut short, lists its tables and counts their rows from its index; only
    reading the rows fails, later. So the file must reach the last block the index points to
    (its metadata, and the data of every table: not `total_blocks`, which counts free blocks
    DuckDB may have cut off the end itself), and the first rows of each table are read back
    (each block read is checked against its checksum).
    """
    try:
        # fetchall, never fetchone: DuckDB keeps a result that was not read to its end open, and
        # refuses register() on the connection until it is.
        ((block_size,),) = con.execute(
            "SELECT block_size FROM pragma_database_size() WHERE database_name = current_database()"
        ).fetchall()
        tables = [
            table
            for (table,) in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
                "AND schema_name = current_schema()"
            ).fetchall()
        ]
        blocks = ["SELECT block_id FROM pragma_metadata_info()"] + [
            f"SELECT block_id FROM pragma_storage_info('{table}')" for table in tables
        ]
        ((last_block,),) = con.execute(
            f"SELECT max(block_id) FROM ({' UNION ALL '.join(blocks)})"
        ).fetchall()
        size = path.stat().st_size
        blocks_used = 0 if last_block is None else last_block + 1
        needed = _HEADER_BYTES + block_size * blocks_used
        if size < needed:
            return (
                f"it has {size:,} bytes, its index points up to byte {needed:,}: it was cut short"
            )
        for table in tables:
            con.execute(f"SELECT * FROM {table} LIMIT 1").fetchall()
    except (duckdb.Error, OSError) as error:
        return str(error)
    return None


def let_go(error: BaseException | None) -> None:
    """Clear the locals of the finished frames an exception's traceback holds, and of the
    exceptions it chains to.

    A failed task's exception is kept to the end of the process (Prefect keeps it in the task's
    state), and with it every frame it passed through: a `con` in one of them keeps a DuckDB
    connection alive, closed or not, and DuckDB prints about 40 lines on it at exit. The frames
    still running (the caller's) are left as they are; their code lets go of `con` itself.
    """
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        traceback.clear_frames(error.__traceback__)
        error = error.__cause__ or error.__context__
