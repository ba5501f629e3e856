"""The error a row is kept aside with: `RowRejected` carries the registered check it fails, the
reason, the column and the value, and any further problems of the same row.
"""

from __future__ import annotations

from schemas.checks import check


class RowRejected(Exception):
    """A row kept out of the load; `also` holds further problems of the same row, so a row
    with two bad cells reports both at once rather than one per run."""

    def __init__(self, check_name: str, reason: str, column: str = "", value: str = ""):
        check(check_name)  # a name the registry does not hold fails here, where it is made
        super().__init__(reason)
        self.check_name, self.reason, self.column, self.value = check_name, reason, column, value
        self.also: list[RowRejected] = []
