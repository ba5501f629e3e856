"""What a run did, for people: counts per article and a Markdown summary of the failures.

Used by `wikipoll run`'s closing table and by the flow's Prefect artifacts.
"""

from __future__ import annotations

import pandas as pd

from flows.check.validate import ValidatedBatch


def article_summaries(validated: ValidatedBatch) -> pd.DataFrame:
    """Per article: polls, events, rejected, repaired, skipped, warnings and tables by kind."""
    frames = validated.frames
    summary = frames["articles"][["article_id", "title"]].set_index("article_id")
    for refused in validated.refused_files:
        summary.loc[refused.source_path, "title"] = f"(not read: {refused.reason})"
    counts = {
        "polls": frames["polls"].groupby("article_id").size(),
        "events": frames["events"].groupby("article_id").size(),
        "rejected": frames["rejected_rows"].groupby("article_id").size(),
        "repaired": frames["polls"][frames["polls"]["repair"].notna()].groupby("article_id").size(),
        "skipped": frames["skipped_rows"].groupby("article_id").size(),
        "warnings": frames["quality_warnings"].groupby("article_id").size(),
    }
    for name, series in counts.items():
        summary[name] = series.reindex(summary.index).fillna(0).astype(int)
    tables = frames["article_tables"].pivot_table(
        index="article_id", columns="kind", values="table_index", aggfunc="count"
    )
    for kind in ("poll", "timeline", "other"):
        column = tables[kind] if kind in tables else pd.Series(dtype=int)
        summary[f"{kind}_tables"] = column.reindex(summary.index).fillna(0).astype(int)
    return summary.reset_index()


def validation_markdown(validated: ValidatedBatch, limit: int = 200) -> str:
    """A Markdown summary of the rejected rows and warnings, grouped by check."""
    frames = validated.frames
    lines = ["# wikipoll validation", ""]
    for title, frame, message in (
        ("Rejected rows (errors)", frames["rejected_rows"], "reason"),
        ("Quality warnings", frames["quality_warnings"], "detail"),
    ):
        lines.append(f"## {title}: {len(frame)}")
        if frame.empty:
            lines += ["", "None.", ""]
            continue
        counts = frame.groupby("check_name").size().sort_values(ascending=False)
        lines += ["", "| check | rows |", "|---|---|"]
        lines += [f"| `{check}` | {count} |" for check, count in counts.items()]
        lines += ["", "| file:line | table.row | check | reason |", "|---|---|---|---|"]
        for row in frame.head(limit).itertuples(index=False):
            where = f"{row.source_path}:{row.source_line}" if pd.notna(row.source_line) else (
                row.source_path)  # fmt: skip
            place = f"{row.table_index}" if pd.notna(row.table_index) else ""
            place += f".{row.row_index}" if place and pd.notna(row.row_index) else ""
            text = str(getattr(row, message)).replace("|", "\\|")
            lines.append(f"| {where} | {place} | `{row.check_name}` | {text} |")
        if len(frame) > limit:
            lines.append(f"| … | | | {len(frame) - limit} more |")
        lines.append("")
    return "\n".join(lines)
