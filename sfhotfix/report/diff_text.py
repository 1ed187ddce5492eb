"""Presentation helpers shared by the terminal and HTML reports.

Everything here works on the plain comparison dict (the JSON that ``sfhotfix compare --json``
prints) and knows nothing about how the comparison was made.  Diffs always read *target → source*:
what the target (e.g. production) has now is the "old" side, what the source (e.g. the hotfix
sandbox) has is the "new" side.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

STATUSES: tuple[str, ...] = ("new", "changed", "deleted", "identical")
KINDS: tuple[str, ...] = ("added", "removed", "modified", "reordered")

#: Unchanged runs longer than this are folded, keeping ``CONTEXT`` lines either side of a change.
FOLD_MIN = 8
CONTEXT = 3


# --------------------------------------------------------------------------- counts and labels

def status_counts(components: Iterable[dict]) -> dict[str, int]:
    """How many rows have each status; every status in ``STATUSES`` is present, unknown ones are added."""
    counts = {status: 0 for status in STATUSES}
    for row in components:
        status = str(row.get("status") or "")
        counts[status] = counts.get(status, 0) + 1
    return counts


def summary_counts(report: dict) -> dict[str, int]:
    """The report's own ``summary`` when it has one, else counted from its components."""
    summary = report.get("summary")
    if isinstance(summary, dict) and summary:
        counts = {status: 0 for status in STATUSES}
        for key, value in summary.items():
            try:
                counts[str(key)] = int(value)
            except (TypeError, ValueError):
                continue
        return counts
    return status_counts(report.get("components") or [])


def format_counts(counts: dict[str, int], *, skip_zero: bool = False) -> str:
    """``"2 new, 1 changed, 0 deleted, 5 identical"`` (statuses in the usual order, then any others)."""
    keys = list(STATUSES) + sorted(k for k in counts if k not in STATUSES)
    parts = [f"{counts.get(k, 0)} {k}" for k in keys if not (skip_zero and not counts.get(k, 0))]
    return ", ".join(parts)


def short_date(value: Any) -> str:
    """``2024-05-02T10:15:00Z`` → ``2024-05-02 10:15``; anything else as it is."""
    text = "" if value is None else str(value)
    if len(text) > 16 and text[4:5] == "-" and text[10:11] == "T":
        return f"{text[:10]} {text[11:16]}"
    return text


def row_label(row: dict) -> str:
    """The selector, or ``Type:fullName`` when the row has none."""
    selector = row.get("selector")
    if selector:
        return str(selector)
    return f"{row.get('type', '')}:{row.get('fullName', '')}"


def change_count(row: dict) -> int:
    changes = row.get("changes")
    return len(changes) if isinstance(changes, list) else 0


def has_texts(row: dict) -> bool:
    """True when the row carries the text of at least one side."""
    return isinstance(row.get("sourceText"), str) or isinstance(row.get("targetText"), str)


def format_value(value: Any) -> str:
    """A change's value on one line-ish: strings as they are (quoted when they would read ambiguously),
    ``(none)`` for a missing side, compact JSON for nested values."""
    if value is None:
        return "(none)"
    if isinstance(value, str):
        if value == "" or value != value.strip() or "\n" in value or value == "(none)":
            return json.dumps(value, ensure_ascii=False)
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    try:
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "), sort_keys=False)
    except (TypeError, ValueError):
        return str(value)


# --------------------------------------------------------------------------- ordering rows

@dataclass
class Entry:
    """One row placed in the report: its depth under a present parent and the name to show."""

    row: dict
    depth: int
    label: str


def _key(type_name: Any, full_name: Any) -> tuple[str, str]:
    return (str(type_name or ""), str(full_name or ""))


def _sort_key(row: dict) -> tuple[str, str, str]:
    return (str(row.get("type") or "").casefold(), str(row.get("fullName") or "").casefold(), row_label(row))


def child_label(row: dict, parent: dict) -> str:
    """What a child row shows under its parent: its selector relative to the parent's."""
    selector = row_label(row)
    prefix = row_label(parent) + "/"
    if selector.startswith(prefix) and len(selector) > len(prefix):
        return selector[len(prefix):]
    type_name = str(row.get("type") or "")
    short = type_name.split(".", 1)[1] if "." in type_name else type_name
    return f"{short}:{row.get('fullName', '')}"


def grouped_rows(components: Iterable[dict]) -> list[tuple[str, list[Entry]]]:
    """Rows grouped by type (types in alphabetical order), each group sorted by name, with every row
    whose parent is also in the report placed right after that parent (depth + 1) instead of in a
    group of its own."""
    rows = [r for r in components if isinstance(r, dict)]
    by_key: dict[tuple[str, str], dict] = {}
    for row in rows:
        by_key.setdefault(_key(row.get("type"), row.get("fullName")), row)
    children: dict[int, list[dict]] = {}
    top: list[dict] = []
    for row in rows:
        parent_ref = row.get("parent")
        parent = None
        if isinstance(parent_ref, dict):
            parent = by_key.get(_key(parent_ref.get("type"), parent_ref.get("fullName")))
        if parent is not None and parent is not row:
            children.setdefault(id(parent), []).append(row)
        else:
            top.append(row)

    placed: set[int] = set()

    def walk(row: dict, depth: int, label: str) -> Iterator[Entry]:
        placed.add(id(row))
        yield Entry(row, depth, label)
        for child in sorted(children.get(id(row), []), key=_sort_key):
            if id(child) not in placed:
                yield from walk(child, depth + 1, child_label(child, row))

    groups: dict[str, list[Entry]] = {}
    for row in sorted(top, key=_sort_key):
        groups.setdefault(str(row.get("type") or ""), []).extend(walk(row, 0, row_label(row)))
    # Rows only reachable through a parent cycle: show them at top level rather than lose them.
    for row in sorted((r for r in rows if id(r) not in placed), key=_sort_key):
        groups.setdefault(str(row.get("type") or ""), []).extend(walk(row, 0, row_label(row)))
    return sorted(groups.items(), key=lambda item: item[0].casefold())


# --------------------------------------------------------------------------- text diffs

def split_lines(text: str | None) -> list[str]:
    """Lines as an editor numbers them: split on ``\n`` (a ``\r`` before it dropped), no final empty line."""
    if not isinstance(text, str) or text == "":
        return []
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def unified_diff(target_text: str | None, source_text: str | None, *, target_label: str = "target",
                 source_label: str = "source", context: int = CONTEXT) -> list[str]:
    """A unified diff from the target's text to the source's: ``-`` lines are the target's, ``+`` the source's."""
    return list(difflib.unified_diff(split_lines(target_text), split_lines(source_text),
                                     fromfile=target_label, tofile=source_label, n=context, lineterm=""))


@dataclass
class SideRow:
    """One line pair of a side-by-side diff, or a fold of unchanged lines.

    ``kind`` is ``equal``, ``replace``, ``delete`` (only the target has the line), ``insert`` (only
    the source has it) or ``fold`` (``folded`` holds the hidden equal pairs).  Line numbers are
    1-based, ``None`` on the side that has no line."""

    kind: str
    left_no: int | None = None
    left: str | None = None
    right_no: int | None = None
    right: str | None = None
    folded: list["SideRow"] | None = None


def _equal_rows(t_lines: list[str], s_lines: list[str], i1: int, j1: int, n: int) -> list[SideRow]:
    return [SideRow("equal", i1 + k + 1, t_lines[i1 + k], j1 + k + 1, s_lines[j1 + k]) for k in range(n)]


def side_by_side(target_text: str | None, source_text: str | None, *, context: int = CONTEXT,
                 fold_min: int = FOLD_MIN) -> list[SideRow]:
    """Line-aligned rows (target on the left, source on the right) from ``SequenceMatcher`` opcodes.

    Unchanged runs longer than ``fold_min`` become one ``fold`` row, keeping ``context`` lines next to
    each change.  Identical texts give a single fold (or their few lines)."""
    t_lines, s_lines = split_lines(target_text), split_lines(source_text)
    # autojunk stays on: without it, the many repeated lines of a large Profile make matching quadratic.
    matcher = difflib.SequenceMatcher(None, t_lines, s_lines)
    opcodes = matcher.get_opcodes()
    out: list[SideRow] = []
    for index, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            n = i2 - i1
            lead = 0 if index == 0 else context  # lines kept after the previous change
            trail = 0 if index == len(opcodes) - 1 else context  # lines kept before the next change
            if n > fold_min and n > lead + trail:
                out.extend(_equal_rows(t_lines, s_lines, i1, j1, lead))
                hidden = n - lead - trail
                out.append(SideRow("fold", folded=_equal_rows(t_lines, s_lines, i1 + lead, j1 + lead, hidden)))
                out.extend(_equal_rows(t_lines, s_lines, i2 - trail, j2 - trail, trail))
            else:
                out.extend(_equal_rows(t_lines, s_lines, i1, j1, n))
        elif tag == "replace":
            for k in range(max(i2 - i1, j2 - j1)):
                i, j = i1 + k, j1 + k
                left_ok, right_ok = i < i2, j < j2
                kind = "replace" if left_ok and right_ok else ("delete" if left_ok else "insert")
                out.append(SideRow(kind, i + 1 if left_ok else None, t_lines[i] if left_ok else None,
                                   j + 1 if right_ok else None, s_lines[j] if right_ok else None))
        elif tag == "delete":
            out.extend(SideRow("delete", i + 1, t_lines[i], None, None) for i in range(i1, i2))
        elif tag == "insert":
            out.extend(SideRow("insert", None, None, j + 1, s_lines[j]) for j in range(j1, j2))
    return out


def inline_spans(old: str, new: str, *, max_len: int = 400) -> tuple[list[tuple[bool, str]], list[tuple[bool, str]]]:
    """Split two versions of a line into ``(changed, text)`` segments for intra-line highlighting.

    Lines too long, or too different to be worth it, come back as one unhighlighted segment each."""
    if len(old) > max_len or len(new) > max_len:
        return [(False, old)], [(False, new)]
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    if matcher.ratio() < 0.4:
        return [(False, old)], [(False, new)]
    left: list[tuple[bool, str]] = []
    right: list[tuple[bool, str]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        changed = tag != "equal"
        if i2 > i1:
            left.append((changed, old[i1:i2]))
        if j2 > j1:
            right.append((changed, new[j1:j2]))
    return left, right
