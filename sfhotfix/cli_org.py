"""The ``changes`` command: registered on the main group by :func:`register` (called from cli.py)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .cli import _TARGET_ORG


def register(main: click.Group) -> None:
    """Add ``sfhotfix changes`` to ``main``; its errors go through the group's one-line error handling."""
    main.add_command(changes)


@click.command()
@_TARGET_ORG
@click.option("--since", help="Only changes on or after this date: YYYY-MM-DD[THH:MM:SS], UTC.")
@click.option("--since-revision", type=click.IntRange(0), help="Only changes past this RevisionCounter.")
@click.option("--types", help="Only these types, comma-separated.")
@click.option("--select-file", type=click.Path(path_type=Path),
              help="Write the changed components here as TYPE:FULLNAME selectors, one a line "
                   "(what commit and hotfix --select-file read).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def changes(target_org, since, since_revision, types, select_file, as_json) -> None:
    """List what changed in a source-tracked sandbox (the Tooling API's SourceMember): type, name, who, when,
    revision, and whether it was deleted."""
    from rich.console import Console

    from .org.tracking import list_changes
    from .report.changes import print_changes

    type_list = [t.strip() for t in types.split(",") if t.strip()] if types else None
    report = list_changes(target_org, since, since_revision, type_list, select_file)
    if as_json:
        click.echo(json.dumps(report.as_json(), indent=1, ensure_ascii=False))
    else:
        print_changes(report, Console())
