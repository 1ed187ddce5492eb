"""The merge-driver commands: ``merge-driver`` (run by git) and ``install-merge-driver`` (run by the user).

Kept apart from ``cli.py``, which adds them with :func:`register`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command("merge-driver")
@click.argument("base", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("ours", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("theirs", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("path")
def merge_driver(base: Path, ours: Path, theirs: Path, path: str) -> None:
    """Merge a metadata file entry by entry (git runs this as `merge-driver %O %A %B %P`).

    Writes the result into OURS; exits 0 when resolved, 1 with git's conflict markers left in OURS.
    """
    from .act.merge import run_merge_driver

    sys.exit(run_merge_driver(base, ours, theirs, path))


@click.command("install-merge-driver")
@click.option("--repo", type=click.Path(path_type=Path, file_okay=False), default=Path("."),
              help="The repository (default: here).")
def install_merge_driver(repo: Path) -> None:
    """Register the metadata merge driver in a repository's git config and .gitattributes.

    Running it again changes nothing. The .gitattributes change is not committed: review and commit it.
    """
    from .act.merge import driver_command, install_merge_driver as install

    for line in install(repo, driver_command()):
        click.echo(line)


def register(main: click.Group) -> None:
    """Add both commands to sfhotfix's command group."""
    main.add_command(merge_driver)
    main.add_command(install_merge_driver)
