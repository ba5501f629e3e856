"""Every default wikipoll runs with, and the environment variables that change them, in one place.

`DEFAULTS` holds the built-in values; `settings()` is what a run uses: the defaults, with any
`WIKIPOLL_*` environment variable of `ENVIRONMENT` read over them at the time it is called (a
scheduled run picks up a changed variable without a restart). Command-line options win over both;
`wikipoll COMMAND --help` shows each option's variable. A value that cannot be read is refused
with a message naming the variable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    raw_dir: Path = Path("raw")  # the folder of article files and dumps
    warehouse: Path = Path("warehouse") / "wikipoll.duckdb"  # the DuckDB file
    report: Path = Path("report.html")  # where `wikipoll report` writes
    parse_budget_seconds: float = 5.0  # an article taking longer to read is stopped...
    parse_seconds_per_mb: float = 5.0  # ...plus this much per MB of the article
    max_file_mb: float = 20.0  # a bigger file is refused unread; real articles are under 2 MB
    worker_memory_bytes: int = 4 * 1024**3  # the address space one worker may use
    lock_wait_seconds: float = 60.0  # how long to wait while another process holds the file
    load_memory_limit: str = "128MB"  # DuckDB's memory_limit during a load; it spills beyond
    contact: str = ""  # who to contact about `wikipoll fetch`'s requests (Wikimedia asks for it)
    api_url: str = "https://en.wikipedia.org/w/api.php"  # the wiki `wikipoll fetch` asks

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024**2)


DEFAULTS = Settings()

# The environment variables that set a value, by the field they set.
ENVIRONMENT = {
    "raw_dir": "WIKIPOLL_RAW",
    "warehouse": "WIKIPOLL_WAREHOUSE",
    "contact": "WIKIPOLL_CONTACT",
    "load_memory_limit": "WIKIPOLL_LOAD_MEMORY_LIMIT",
}


class SettingsError(ValueError):
    """An environment variable whose value cannot be read; the message names it."""


def settings(environ: dict[str, str] | None = None) -> Settings:
    """The defaults with the environment's `WIKIPOLL_*` variables read over them."""
    environ = os.environ if environ is None else environ
    changes: dict[str, object] = {}
    types = {field.name: type(getattr(DEFAULTS, field.name)) for field in fields(Settings)}
    for name, variable in ENVIRONMENT.items():
        value = environ.get(variable, "").strip()
        if not value:
            continue
        try:
            changes[name] = types[name](value)
        except ValueError:
            raise SettingsError(f"{variable}={value!r} is not a {types[name].__name__}") from None
    return replace(DEFAULTS, **changes)
