"""The comparison in a terminal: a table grouped by metadata type, and one component's diff.

Every piece of report text (names, XML, Apex) is printed as :class:`rich.text.Text`, never as
console markup, so a name like ``[bold]x`` or an Apex string with brackets prints as it is.
"""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from .diff_text import (
    STATUSES,
    change_count,
    format_counts,
    format_value,
    grouped_rows,
    has_texts,
    short_date,
    status_counts,
    summary_counts,
    unified_diff,
)

STATUS_STYLES = {"new": "green", "changed": "yellow", "deleted": "red", "identical": "dim"}
KIND_STYLES = {"added": "green", "removed": "red", "modified": "yellow", "reordered": "cyan"}


def _status_text(status: str) -> Text:
    return Text(status, style=STATUS_STYLES.get(status, ""))


def _group_header(type_name: str, entries: list) -> Text:
    own = status_counts(e.row for e in entries if e.depth == 0)
    sub = status_counts(e.row for e in entries if e.depth > 0)
    header = Text(type_name or "(no type)", style="bold")
    header.append("  ")
    header.append_text(_counts_text(own))
    if any(sub.values()):
        header.append("  · subcomponents: ", style="dim")
        header.append_text(_counts_text(sub))
    return header


def _counts_text(counts: dict[str, int]) -> Text:
    """``1 new, 2 changed`` with each count in its status colour; zero counts left out."""
    text = Text()
    first = True
    for status in list(STATUSES) + sorted(k for k in counts if k not in STATUSES):
        n = counts.get(status, 0)
        if not n:
            continue
        if not first:
            text.append(", ")
        text.append(f"{n} {status}", style=STATUS_STYLES.get(status, ""))
        first = False
    return text


IDENTICAL_LISTED = 50  # identical rows listed per type; a 45,000-file project has over a million


def _listed(entries: list) -> list:
    """The entries a type's group lists: every row that differs, with the rows it sits under, and the first
    identical ones; a terminal table of a million rows is neither readable nor quick to draw."""
    keep = [entry.row.get("status") != "identical" for entry in entries]
    above: list[int] = []  # the entries the current one sits under, by depth
    for index, entry in enumerate(entries):
        del above[entry.depth:]
        if keep[index]:
            for parent in above:
                keep[parent] = True
        above.append(index)
    allowed = IDENTICAL_LISTED
    for index, entry in enumerate(entries):
        if not keep[index] and allowed:
            keep[index] = True  # an identical row's parent comes before it, so it is kept too
            allowed -= 1
    return [entry for entry, kept in zip(entries, keep) if kept]


def print_comparison(report: dict, console: Console, *, show_identical: bool = True) -> None:
    """Print the comparison as one table grouped by type, then the summary line.

    Rows: status, selector (child rows indented under their parent when the parent is in the report),
    number of changes; "Changed by" / "Changed on" columns appear when any row has them."""
    components = [r for r in (report.get("components") or []) if isinstance(r, dict)]
    source, target = report.get("source"), report.get("target")
    if source or target:
        title = Text("Comparing ", style="bold")
        title.append(str(source or "source"), style="bold cyan")
        title.append(" → ", style="bold")
        title.append(str(target or "target"), style="bold cyan")
        title.append("  (source → target)", style="dim")
        console.print(title, highlight=False)

    shown = components if show_identical else [r for r in components if r.get("status") != "identical"]
    counts = summary_counts(report)
    if shown:
        who = any(r.get("changedBy") for r in shown)
        when = any(r.get("changedOn") for r in shown)
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=False, header_style="bold")
        table.add_column("Status", no_wrap=True)
        table.add_column("Component", overflow="fold")
        table.add_column("Changes", justify="right", no_wrap=True)
        if who:
            table.add_column("Changed by", overflow="fold")
        if when:
            table.add_column("Changed on", no_wrap=True)
        extra = int(who) + int(when)
        for index, (type_name, entries) in enumerate(grouped_rows(shown)):
            if index:
                table.add_section()
            table.add_row(Text(""), _group_header(type_name, entries), Text(""), *[Text("")] * extra)
            listed = _listed(entries)
            for entry in listed:
                row = entry.row
                name = Text("  " * (entry.depth + 1))
                if entry.depth:
                    name.append("└ ", style="dim")
                name.append(entry.label)
                if row.get("unknownType"):
                    name.append("  (unknown type)", style="dim italic")
                n = change_count(row)
                cells = [_status_text(str(row.get("status") or "")), name,
                         Text(str(n) if n else "–", style="" if n else "dim")]
                if who:
                    cells.append(Text(str(row.get("changedBy") or "")))
                if when:
                    cells.append(Text(short_date(row.get("changedOn"))))
                table.add_row(*cells, style="dim" if row.get("status") == "identical" else None)
            if len(listed) < len(entries):
                more = Text(f"  … {len(entries) - len(listed):,} more identical (all in --json, --html)",
                            style="dim italic")
                table.add_row(Text(""), more, Text(""), *[Text("")] * extra)
        console.print(table)
    elif components or any(counts.values()):  # identical rows are counted, not listed, without --include-identical
        console.print(Text("No differences.", style="dim"))
    else:
        console.print(Text("No components compared.", style="dim"))

    summary = Text()
    summary.append(format_counts(counts))
    console.print(summary, highlight=False)


def _print_changes(row: dict, console: Console) -> None:
    changes = [c for c in (row.get("changes") or []) if isinstance(c, dict)]
    if not changes:
        status = row.get("status")
        message = {
            "new": "New in the source; the target has no such component.",
            "deleted": "Only in the target; the source has no such component.",
        }.get(str(status), "No differences.")
        console.print(Text(message, style="dim"))
        return
    width = max(len(str(c.get("kind") or "")) for c in changes)
    for change in changes:
        diff = change.get("diff")
        if isinstance(diff, str) and diff:  # a content file's line diff (an Apex class, a bundle's file)
            _print_diff_lines(diff.splitlines(), console)
            continue
        kind = str(change.get("kind") or "")
        line = Text()
        line.append(kind.ljust(width), style=KIND_STYLES.get(kind, ""))
        line.append("  ")
        line.append(str(change.get("path") or ""), style="bold")
        line.append(": ")
        line.append(format_value(change.get("target")), style="red" if kind != "added" else "dim")
        line.append(" → ", style="dim")
        line.append(format_value(change.get("source")), style="green" if kind != "removed" else "dim")
        console.print(line, highlight=False)


def print_component_diff(row: dict, console: Console, *, source_label: str = "source",
                         target_label: str = "target") -> None:
    """Print one component's differences, read target → source.

    With the component's text on either side: a unified diff (``-`` lines are what the target has,
    ``+`` what the source has), coloured.  Without texts, or when the texts do not differ: the list
    of changes, ``path: target → source`` with their kinds."""
    header = Text()
    status = str(row.get("status") or "")
    header.append(str(row.get("selector") or f"{row.get('type', '')}:{row.get('fullName', '')}"), style="bold")
    header.append("  ")
    header.append_text(_status_text(status))
    if row.get("unknownType"):
        header.append("  (unknown type)", style="dim italic")
    console.print(header, highlight=False)
    who = " ".join(part for part in (f"by {row['changedBy']}" if row.get("changedBy") else "",
                                      f"on {row['changedOn']}" if row.get("changedOn") else "") if part)
    if who:
        console.print(Text(f"last changed {who}", style="dim"), highlight=False)

    lines: list[str] = []
    content_diffs = any(isinstance(c, dict) and c.get("diff") for c in row.get("changes") or [])
    if has_texts(row) and not content_diffs:  # a file of several (a bundle's) would show the first file only
        selector = str(row.get("selector") or row.get("fullName") or "")
        lines = unified_diff(row.get("targetText"), row.get("sourceText"),
                             target_label=f"{target_label}: {selector}", source_label=f"{source_label}: {selector}")
    if not lines:
        _print_changes(row, console)
        return
    _print_diff_lines(lines, console)


def _print_diff_lines(lines: list[str], console: Console) -> None:
    for line in lines:
        if line.startswith(("---", "+++")):
            style = "bold"
        elif line.startswith("@@"):
            style = "cyan"
        elif line.startswith("+"):
            style = "green"
        elif line.startswith("-"):
            style = "red"
        else:
            style = ""
        console.print(Text(line, style=style), highlight=False, soft_wrap=True)
