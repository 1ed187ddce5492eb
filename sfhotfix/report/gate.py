"""Validation, promotion and rollback results: the pull request comment (markdown) and the history table.

The comment is rewritten in place on every rerun (see hosts' ``upsert_comment``), so it says the current
state only: the result, what was deployed, the tests, the failures, and what to do next.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..act.history import Record
from ..hosts.body import code_span, table_cell
from ..org.metadata import DeployStatus

TITLES = {"validation": "Validation", "deployment": "Deployment", "quick-deployment": "Quick deployment",
          "rollback": "Rollback"}
MAX_ROWS = 50  # failures listed in a comment; the rest are counted


def gate_comment(record: Record, status: DeployStatus, notes: list[str]) -> str:
    """Markdown for the pull request: one heading, the figures, the failures, the notes."""
    mark = "✅" if record.success else "❌"
    lines = [f"## {mark} sfhotfix: {TITLES[record.kind]} {record.status} in `{record.org}`", ""]
    facts = [("Deploy id", code_span(record.id)), ("Commit", code_span((record.commit or "")[:12])),
             ("Test level", table_cell(record.test_level or "default")),
             ("Components", f"{status.components_deployed}/{status.components_total}"),
             ("Tests", f"{status.tests_completed}/{status.tests_total}, {status.test_errors} failed")]
    if record.tests:
        facts.append(("Test classes", ", ".join(code_span(t) for t in record.tests)))
    if record.validated_id:
        facts.append(("Validation quick-deployed", code_span(record.validated_id)))
    lines += ["| | |", "| --- | --- |"] + [f"| {k} | {v} |" for k, v in facts]
    members = sum(len(n) for n in record.package.values())
    deleted = sum(len(n) for n in record.destructive.values())
    lines += ["", f"{members} member(s) deployed, {deleted} deleted."]
    if status.component_failures:
        lines += ["", "### Component failures", "", "| Type | Component | Line | Problem |", "| --- | --- | --- | --- |"]
        lines += [f"| {table_cell(p.component_type)} | {code_span(p.full_name)} | {p.line or ''} | {table_cell(p.problem)} |"
                  for p in status.component_failures[:MAX_ROWS]]
    if status.test_failures:
        lines += ["", "### Test failures", "", "| Test | Message |", "| --- | --- |"]
        lines += [f"| {code_span(f'{f.class_name}.{f.method}')} | {table_cell(f.message)} |" for f in status.test_failures[:MAX_ROWS]]
    hidden = max(0, len(status.component_failures) - MAX_ROWS) + max(0, len(status.test_failures) - MAX_ROWS)
    if hidden:
        lines.append(f"\n…and {hidden} more failure(s): `sfhotfix history --json` has them all.")
    for warning in status.coverage_warnings[:MAX_ROWS]:
        lines.append(f"\n> coverage: {table_cell(warning)}")
    if notes:
        lines += [""] + [f"- {table_cell(note)}" for note in notes]
    if record.kind == "validation" and record.success and record.pr:
        lines += ["", f"After the merge, `sfhotfix promote --pr {record.pr}` quick-deploys this validation."]
    return "\n".join(lines) + "\n"


def print_history(records: list[Record], console: Console) -> None:
    table = Table(title="Deployment history", title_justify="left")
    for column in ("When (UTC)", "Kind", "Id", "Org", "PR", "Commit", "Result", "Who", "Validated id / of"):
        table.add_column(column)
    for r in records:
        colour = "green" if r.success else "red"
        table.add_row(r.when.replace("T", " ").rstrip("Z"), r.kind, escape(r.id), escape(r.org), escape(r.pr or ""),
                      (r.commit or "")[:8], f"[{colour}]{escape(r.status)}[/]", escape(r.who),
                      escape(r.validated_id or r.rollback_of or ""))
    console.print(table if records else "No deployments recorded yet.")
