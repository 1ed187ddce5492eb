"""The ``delta`` command: registered on the main group by :func:`register` (called from cli.py)."""

from __future__ import annotations

import json
from pathlib import Path

import click


def register(main: click.Group) -> None:
    """Add ``sfhotfix delta`` to ``main``; its errors go through the group's one-line error handling."""
    main.add_command(delta)


@click.command()
@click.option("--from", "-f", "from_rev", required=True, help="The revision deployed already (commit, branch, tag).")
@click.option("--to", "-t", "to_rev", default="HEAD", show_default=True, help="The revision to deploy.")
@click.option("--output-dir", "--output", "-o", "output_dir", type=click.Path(path_type=Path), required=True,
              help="Where package/, destructiveChanges/ and the delta sources go; must be empty unless --force.")
@click.option("--generate-delta", "-d", is_flag=True, help="Also write the new and changed source files.")
@click.option("--repo", "--repo-dir", "-r", "repo", type=click.Path(path_type=Path), default=Path("."),
              show_default=True, help="The git repository.")
@click.option("--source-dir", "--source", "-s", "source_dirs", multiple=True,
              help="Only changes below this folder of the repository (repeatable; default: the whole repository).")
@click.option("--api-version", "-a", help="The <version> of the manifests (default: sourceApiVersion of TO).")
@click.option("--ignore-file", "--ignore", "-i", "ignore_file", type=click.Path(path_type=Path),
              help="Paths to leave out of the delta (gitignore syntax).")
@click.option("--ignore-destructive-file", "--ignore-destructive", "-D", "ignore_destructive_file",
              type=click.Path(path_type=Path), help="Deleted paths to leave out of destructiveChanges.xml "
                                                    "(default: --ignore-file).")
@click.option("--include-file", "--include", "-n", "include_file", type=click.Path(path_type=Path),
              help="Paths of TO to deploy whatever changed (gitignore syntax).")
@click.option("--include-destructive-file", "--include-destructive", "-N", "include_destructive_file",
              type=click.Path(path_type=Path), help="Paths of TO to list in destructiveChanges.xml whatever changed.")
@click.option("--pre-destructive", "destructive_name", flag_value="destructiveChangesPre",
              help="Write destructiveChangesPre.xml (deleted before the deployment) instead of destructiveChanges.xml.")
@click.option("--post-destructive", "destructive_name", flag_value="destructiveChangesPost",
              help="Write destructiveChangesPost.xml (deleted after the deployment) instead of destructiveChanges.xml.")
@click.option("--force", is_flag=True, help="Write into a non-empty output folder.")
@click.option("--json", "as_json", is_flag=True, help="Print the members, files and warnings as JSON.")
def delta(from_rev, to_rev, output_dir, generate_delta, repo, source_dirs, api_version, ignore_file,
          ignore_destructive_file, include_file, include_destructive_file, destructive_name, force, as_json) -> None:
    """What to deploy and what to delete between two git revisions, laid out as sfdx-git-delta lays it out.

    \b
    Into --output-dir:
      package/package.xml                        new and changed components
      destructiveChanges/destructiveChanges.xml  deleted ones (or ...Pre.xml / ...Post.xml)
      destructiveChanges/package.xml             empty, for deploying the deletions alone
    and with --generate-delta the new and changed source files at their repository paths, the in-file types
    (profiles, permission sets, translations, workflows, labels…) pruned to what changed, as sfdx-git-delta
    writes them."""
    from .act.delta import DeltaRequest, describe, run_delta

    result = run_delta(DeltaRequest(
        from_rev=from_rev, to_rev=to_rev, output_dir=output_dir, repo=repo, source_dirs=tuple(source_dirs),
        api_version=api_version, generate_delta=generate_delta,
        destructive_name=destructive_name or "destructiveChanges", force=force, ignore_file=ignore_file,
        ignore_destructive_file=ignore_destructive_file, include_file=include_file,
        include_destructive_file=include_destructive_file))
    for warning in result.warnings:
        click.echo(f"sfhotfix: warning: {warning}", err=True)
    if as_json:
        click.echo(json.dumps(result.as_json(), indent=1, ensure_ascii=False))
        return
    for line in describe(result):
        click.echo(line)
