"""The command line: parses options and calls one function per command; prints what it returns."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .errors import SfhotfixError


class _Group(click.Group):
    """Turns sfhotfix errors into one line on stderr and their exit code."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except SfhotfixError as exc:
            click.echo(f"sfhotfix: error: {exc}", err=True)
            sys.exit(exc.exit_code)


def _warn_unknown(unknown: list[str]) -> None:
    for path in unknown:
        click.echo(f"sfhotfix: warning: {path}: no metadata type claims this file", err=True)


@click.group(cls=_Group)
@click.version_option(package_name="sfhotfix")
def main() -> None:
    """Take a Salesforce hotfix from a sandbox to a production pull request."""


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def types(as_json: bool) -> None:
    """List every metadata type sfhotfix knows."""
    from .inventory import type_rows

    rows = type_rows()
    if as_json:
        click.echo(json.dumps(rows, indent=1))
        return
    for row in rows:
        click.echo(f"{row['name']:<45} {row['directoryName']:<35} {row['suffix'] or '-':<30} {row['strategy']}")


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--project", "project_dir", type=click.Path(path_type=Path), help="Folder of sfdx-project.json.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def components(path: Path, project_dir: Path | None, as_json: bool) -> None:
    """List the components of a folder or zip (either format)."""
    from .inventory import component_rows

    rows, unknown = component_rows(path, project_dir)
    _warn_unknown(unknown)
    if as_json:
        click.echo(json.dumps(rows, indent=1))
        return
    for row in rows:
        click.echo(f"{row['type']}:{row['fullName']}")


@main.command()
@click.argument("src", type=click.Path(path_type=Path))
@click.option("--to", "to", type=click.Choice(["source", "mdapi"]), required=True, help="Target format.")
@click.option("--output-dir", "-d", "out_dir", type=click.Path(path_type=Path), required=True)
@click.option("--project", "project_dir", type=click.Path(path_type=Path), default=Path("."),
              help="Folder of sfdx-project.json (default: the current directory).")
@click.option("--force", is_flag=True, help="Write into a non-empty output folder.")
def convert(src: Path, to: str, out_dir: Path, project_dir: Path, force: bool) -> None:
    """Convert between metadata-API and source format, as `sf project convert` does."""
    from .inventory import convert as run

    count, unknown = run(src, to, out_dir, project_dir, force)
    _warn_unknown(unknown)
    click.echo(f"{count} files written to {out_dir}", err=True)


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--output", type=click.Path(path_type=Path), help="Write here instead of stdout.")
@click.option("--project", "project_dir", type=click.Path(path_type=Path), help="Folder of sfdx-project.json.")
@click.option("--api-version", help="The <version> to write (default: sourceApiVersion).")
def manifest(path: Path, output: Path | None, project_dir: Path | None, api_version: str | None) -> None:
    """Print the package.xml of what PATH holds."""
    from .inventory import manifest_for

    data = manifest_for(path, project_dir, api_version)
    if output:
        output.write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
