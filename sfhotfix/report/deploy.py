"""Deployment and validation results in the terminal: failures with file, line and problem; test failures."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..org.metadata import DeployStatus


def print_deploy_result(status: DeployStatus, console: Console, action: str) -> None:
    colour = "green" if status.success else "red"
    console.print(f"[bold {colour}]{action} {status.status}[/] (id {escape(status.id)}): "
                  f"{status.components_deployed}/{status.components_total} components, "
                  f"{status.tests_completed}/{status.tests_total} tests, "
                  f"{status.component_errors} component errors, {status.test_errors} test errors")
    if status.error_message:
        console.print(f"[red]{escape(status.error_message)}[/]")
    if status.component_failures:
        table = Table(title="Component failures", title_justify="left")
        for column in ("Type", "Component", "File:line", "Problem"):
            table.add_column(column)
        for p in status.component_failures:
            where = p.file_name + (f":{p.line}" if p.line else "") + (f":{p.column}" if p.column else "")
            table.add_row(escape(p.component_type), escape(p.full_name), escape(where), escape(p.problem))
        console.print(table)
    if status.test_failures:
        table = Table(title="Test failures", title_justify="left")
        for column in ("Class", "Method", "Message", "Stack trace"):
            table.add_column(column)
        for f in status.test_failures:
            table.add_row(escape(f.class_name), escape(f.method), escape(f.message), escape(f.stack_trace))
        console.print(table)
    for warning in status.coverage_warnings:
        console.print(f"[yellow]coverage: {escape(warning)}[/]")
