"""The pull request's description: what the hotfix changes, as reviewers read it on any of the four hosts.

One table per metadata type (types in name order, components in name order within), so the same
components always give the same text, whatever order they came in: a rerun that updates an open pull
request changes its body only when the hotfix changed.  Plain GitHub-flavoured markdown (headings, tables,
code spans), which GitHub, GitLab, Bitbucket Cloud and Azure DevOps all render.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping

STATUS_ORDER = ("new", "changed", "deleted", "identical")


def pr_body(components: Iterable[Mapping], summary_title: str | None = None) -> str:
    """Markdown listing ``components`` (rows shaped like ``{"type", "fullName", "selector", "status"}``, as
    ``sfhotfix compare --json`` prints them) grouped by type, each with its status.

    A Profile or Permission Set that changed only in entries listed below it (``changes`` empty) is not listed
    itself: the count is then what the commit counted, one field permission being one change, not two.
    """
    components = list(components)
    entries_of = {str(c.get("selector") or "").split("/", 1)[0] for c in components
                  if "/" in str(c.get("selector") or "")}
    rows = [_row(c) for c in components
            if not (c.get("status") == "changed" and "changes" in c and not c["changes"]
                    and c.get("selector") in entries_of)]
    lines: list[str] = []
    if summary_title:
        lines += [f"## {_one_line(summary_title)}", ""]
    counts = Counter(status for _, _, status in rows)
    if not rows:
        lines.append("No components.")
        return "\n".join(lines) + "\n"
    statuses = sorted(counts, key=lambda s: (STATUS_ORDER.index(s) if s in STATUS_ORDER else len(STATUS_ORDER), s))
    noun = "component" if len(rows) == 1 else "components"
    lines.append(f"**{len(rows)} {noun}**: " + ", ".join(f"{counts[s]} {s}" for s in statuses) + ".")
    by_type: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for type_name, name, status in rows:
        by_type[type_name].append((name, status))
    for type_name in sorted(by_type, key=lambda t: (t.casefold(), t)):
        entries = sorted(by_type[type_name], key=lambda e: (e[0].casefold(), e[0], e[1]))
        lines += ["", f"### {_one_line(type_name)} ({len(entries)})", "", "| Component | Status |", "| --- | --- |"]
        lines += [f"| {code_span(name)} | {table_cell(status)} |" for name, status in entries]
    return "\n".join(lines) + "\n"


def _row(component: Mapping) -> tuple[str, str, str]:
    type_name = str(component.get("type") or "Unknown")
    full_name = str(component.get("fullName") or "")
    selector = str(component.get("selector") or "")
    # a Profile or PermissionSet entry ("Profile:Admin/fieldPermissions:Account.Rating") is named by the part
    # of its selector after the type, as its fullName alone does not say which profile it belongs to
    prefix = type_name.split(".")[0] + ":"
    if selector and selector != f"{type_name}:{full_name}" and selector.startswith(prefix):
        name = selector[len(prefix):]
    else:
        name = full_name or selector
    return type_name, name, str(component.get("status") or "unknown")


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def table_cell(text: str) -> str:
    return _one_line(text).replace("|", "\\|")


def code_span(text: str) -> str:
    """A code span that survives backticks and pipes in a table cell."""
    text = _one_line(text)
    if not text:
        return ""
    ticks = "`"
    while ticks in text:
        ticks += "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text.replace('|', chr(92) + '|')}{pad}{ticks}"
