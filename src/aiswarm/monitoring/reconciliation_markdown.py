"""Write a reconciliation report as Markdown, for people (the JSON is the report itself). No I/O."""

from __future__ import annotations

from aiswarm.clock import from_ns
from aiswarm.monitoring.reconciliation import ReconciliationReport

__all__ = ["to_markdown"]


def to_markdown(report: ReconciliationReport) -> str:
    """Return ``report`` as a Markdown page: the verdict, each section, each mismatch."""
    when = from_ns(report.ts_ns).isoformat()
    lines = [
        f"# Reconciliation {report.report_id}",
        "",
        f"Account `{report.account}` at venue `{report.venue}`, {when}.",
        "",
        f"**Action: {report.action.value}**"
        + (f": {report.action_reason}" if report.action_reason else ""),
        "",
        "| section | status | engine entries | venue entries | error |",
        "|---|---|---|---|---|",
    ]
    for section in report.sections:
        venue = "-" if section.venue_entries is None else str(section.venue_entries)
        lines.append(
            f"| {section.section.value} | {section.status.value} | {section.engine_entries} "
            f"| {venue} | {_cell(section.error or '')} |"
        )
    lines.append("")
    if not report.mismatches:
        lines.append("No mismatches.")
    else:
        lines += [
            "| section | kind | key | engine | venue | detail |",
            "|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {m.section.value} | {m.kind.value} | {_cell(m.key)} | {_cell(m.engine)} "
            f"| {_cell(m.venue)} | {_cell(m.detail)} |"
            for m in report.mismatches
        ]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    """Return ``text`` safe inside a table cell (no pipe, no line break)."""
    return text.replace("|", "\\|").replace("\n", " ")
