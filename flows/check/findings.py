"""The ways findings are shown: one line per finding for people, JSON for tools, JUnit XML for CI
test reports, GitHub Actions annotations on the raw file's line.

A finding is a rejected row (an error) or a quality warning, with the file, line, table, row,
column, check and reason; `findings(frames, raw)` makes them from a validated batch's frames.
"""

from __future__ import annotations

import re
from pathlib import Path

# Characters a terminal acts on rather than shows: C0 controls (tab and newline included, which
# would break a line of output), DEL, and C1 controls (U+0080-U+009F, some terminals read them too).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: object) -> str:
    """Text for a terminal: every control character shown as an escape (`\\x1b`), so a cell
    holding `&#27;[2J` prints as text and never clears a screen. Machine formats (JSON, CSV)
    carry the stored text exactly; only what people read goes through this."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


def findings(frames, raw: Path) -> list[dict]:
    found = []
    for severity, table, message_column in (
        ("error", "rejected_rows", "reason"),
        ("warning", "quality_warnings", "detail"),
    ):
        for row in frames[table].to_dict("records"):
            found.append({
                "severity": severity,
                "file": source_location(raw, row["source_path"]),
                "line": _int_or_none(row["source_line"]),
                "table": _int_or_none(row["table_index"]),
                "row": _int_or_none(row["row_index"]),
                "column": row["column_name"] or None,
                "check": row["check_name"],
                "value": row["value"] or None,
                "message": row[message_column],
            })  # fmt: skip
    return sorted(found, key=lambda f: (f["file"], f["line"] or 0, f["check"]))


def source_location(raw: Path, source_path: str) -> str:
    """Where an article is, for a person: its file, or its dump file and page title."""
    if source_path.startswith("dump:"):
        dump, _, title = source_path[len("dump:") :].partition("#")
        return f"{(raw / dump).as_posix()}#{title}"
    return (raw / source_path).as_posix()


def github_annotation(finding: dict) -> str:
    """A GitHub Actions workflow command, which the run page shows on the file's line."""
    level = "error" if finding["severity"] == "error" else "warning"
    where = f"file={_escape_property(finding['file'])}"
    if finding["line"]:
        where += f",line={finding['line']}"
    title = f"wikipoll {finding['check']}"
    return f"::{level} {where},title={_escape_property(title)}::{_escape_data(_describe(finding))}"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _describe(finding: dict) -> str:
    place = ""
    if finding["table"]:
        row = f", row {finding['row']}" if finding["row"] else ""
        place = f"table {finding['table']}{row}: "
    return f"{place}{finding['message']}"


def junit_report(findings: list[dict], articles: list[str], strict: bool = False) -> str:
    """JUnit XML: one test suite per article file, one test case per article and check.

    CI systems show JUnit files as test results; an article with no finding is one passing test
    case, each failing check one failing test case (warnings fail only with --strict, and are
    otherwise reported as skipped cases, so they stay visible).
    """
    from xml.etree import ElementTree as ET

    root = ET.Element("testsuites", name="wikipoll validate")
    by_file: dict[str, list[dict]] = {path: [] for path in articles}
    for finding in findings:
        by_file.setdefault(finding["file"], []).append(finding)
    total = failures = skipped = 0
    for path, found in sorted(by_file.items()):
        suite = ET.SubElement(root, "testsuite", name=path)
        by_check: dict[str, list[dict]] = {}
        for finding in found:
            by_check.setdefault(finding["check"], []).append(finding)
        if not by_check:
            ET.SubElement(suite, "testcase", classname=path, name="all checks pass")
        suite_failures = suite_skipped = 0
        for check, items in sorted(by_check.items()):
            case = ET.SubElement(suite, "testcase", classname=path, name=check)
            text = "\n".join(finding_line(item) for item in items)
            if items[0]["severity"] == "error" or strict:
                failure = ET.SubElement(case, "failure", message=f"{len(items)} rows fail {check}",
                                        type=items[0]["severity"])  # fmt: skip
                failure.text = text
                suite_failures += 1
            else:
                skip = ET.SubElement(case, "skipped", message=f"warning: {len(items)} rows")
                skip.text = text
                suite_skipped += 1
        cases = max(1, len(by_check))
        suite.set("tests", str(cases))
        suite.set("failures", str(suite_failures))
        suite.set("skipped", str(suite_skipped))
        total, failures, skipped = total + cases, failures + suite_failures, skipped + suite_skipped
    root.set("tests", str(total))
    root.set("failures", str(failures))
    root.set("skipped", str(skipped))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def finding_line(finding: dict) -> str:
    where = f"{finding['file']}:{finding['line']}" if finding["line"] else finding["file"]
    place = []
    if finding["table"]:
        place.append(f"table {finding['table']}")
    if finding["row"]:
        place.append(f"row {finding['row']}")
    if finding["column"]:
        place.append(f"column {finding['column']!r}")
    located = f" ({', '.join(place)})" if place else ""
    line = f"{where}: {finding['severity']}: {finding['check']}{located}: {finding['message']}"
    return printable(line)
