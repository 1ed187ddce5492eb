"""``sfhotfix changes`` in the terminal: one row per component the org's source tracking says changed."""

from __future__ import annotations

from datetime import datetime, timezone

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..org.tracking import ChangesReport


def print_changes(report: ChangesReport, console: Console) -> None:
    if not report.changes:
        console.print(f"No tracked change in {escape(report.org)}.")
        return
    table = Table(title=f"Changed in {escape(report.org)} (source tracking)", title_justify="left")
    table.add_column("Type")
    table.add_column("Name", overflow="fold")
    table.add_column("Changed by")
    table.add_column("Last modified (UTC)", no_wrap=True)
    table.add_column("Revision", justify="right")
    table.add_column("Deleted")
    for c in report.changes:
        table.add_row(escape(c.type), escape(c.full_name), escape(c.changed_by or ""), _when(c.last_modified),
                      str(c.revision), "[red]deleted[/]" if c.deleted else "")
    console.print(table)
    deleted = sum(1 for c in report.changes if c.deleted)
    console.print(f"{len(report.changes)} component(s) changed, {deleted} of them deleted; latest revision "
                  f"{report.latest_revision} (next time: --since-revision {report.latest_revision})")
    if report.select_file is not None:
        console.print(f"Selectors written to {escape(str(report.select_file))}")


def _when(stamp: str | None) -> str:
    """``2024-05-02T09:30:00.000+0000`` as ``2024-05-02 09:30:00``."""
    if not stamp:
        return ""
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return escape(stamp)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
