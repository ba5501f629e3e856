"""The error every reader raises for a file it refuses: `ArticleError` names the file, the line
where one helps, the reason, and the registered check (`schemas/checks.py`) it fails.
"""

from __future__ import annotations

from schemas.checks import check


class ArticleError(Exception):
    """An article that cannot be read at all; the message names the file and says why."""

    def __init__(
        self,
        source_path: str,
        reason: str,
        line: int | None = None,
        check_name: str = "unreadable_file",
    ):
        check(check_name)  # a name the registry does not hold fails here, where it is made
        self.source_path, self.reason, self.line = source_path, reason, line
        self.check_name = check_name
        where = f"{source_path}:{line}" if line else source_path
        super().__init__(f"{where}: {reason}")

    def __reduce__(self):  # keeps every field when the error crosses a process boundary
        return (ArticleError, (self.source_path, self.reason, self.line, self.check_name))
