"""The gate commands: ``validate`` (a folder, a branch or a pull request), ``promote``, ``rollback``, ``history``.

Registered on the main group by :func:`register` (called from cli.py); errors go through its one-line handling.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .cli import DEPLOY_OPTIONS, HOST_OPTIONS, PROJECT_OPTION, _polling, _run_deploy, _with, with_deploy_progress


def register(main: click.Group) -> None:
    for command in (validate, promote, rollback, history):
        main.add_command(command)


_GATE_OPTIONS = [
    click.option("--repo", type=click.Path(path_type=Path), default=Path("."), show_default=True,
                 help="The git repository."),
    *HOST_OPTIONS,
]


def _split(tests: str | None) -> tuple[str, ...]:
    return tuple(t.strip() for t in (tests or "").split(",") if t.strip())


def _run_gate(action: str, as_json: bool, run) -> None:
    """Run a gate action with a progress bar; print its deploy result, notes and warnings; exit 1 on failure."""
    from rich.console import Console

    from .report.deploy import print_deploy_result

    result = with_deploy_progress(action, as_json, run)
    for warning in result.warnings:
        click.echo(f"sfhotfix: warning: {warning}", err=True)
    if as_json:
        click.echo(json.dumps(result.as_json(), indent=1))
    else:
        console = Console()
        print_deploy_result(result.status, console, action)
        for note in result.notes:
            console.print(f"note: {note}", markup=False)
        console.print(f"recorded as {result.record.kind} {result.record.id} in the deployment history", markup=False)
        if result.comment:
            console.print(f"posted on the pull request: {result.comment}", markup=False)
    if not result.status.success:
        sys.exit(1)


def _request(repo, host_url, host_kind, api_url, target_org, test_level, tests, wait_minutes, poll_interval,
             progress, **more):
    from .act.gate import GateRequest

    return GateRequest(repo=repo, host_url=host_url, host_kind=host_kind, api_url=api_url, target_org=target_org,
                       test_level=test_level, tests=_split(tests), polling=_polling(wait_minutes, poll_interval),
                       progress=progress, **more)


@click.command()
@_with(DEPLOY_OPTIONS)
@PROJECT_OPTION
@click.option("--branch", help="Validate what this branch changes against production (the base).")
@click.option("--pr", help="Validate what this pull request changes; the result is posted on it.")
@click.option("--base", help="The base to compare with (default: the PR's base, or sfhotfix.toml's production branch).")
@click.option("--post/--no-post", default=True, show_default=True,
              help="With --pr: comment on the pull request and set a commit status.")
@_with(_GATE_OPTIONS)
@click.argument("src", type=click.Path(path_type=Path), required=False)
def validate(target_org, test_level, tests, wait_minutes, poll_interval, as_json, project_dir, branch, pr, base, post,
             repo, host_url, host_kind, api_url, src) -> None:
    """A check-only deploy with the chosen Apex test level: of SRC (a folder or zip), or of what --branch B or
    --pr N changes against its base (recorded in the history; with --pr, posted on the pull request).

    With RunSpecifiedTests and no --tests, the test classes are picked from the changed Apex: those named after
    it (FooTest, Foo_Test, TestFoo…) and those that mention it."""
    if src is not None and (branch or pr):
        raise click.UsageError("give SRC, or --branch / --pr, not both")
    if src is None:
        from .act.gate import validate as run_gate

        _run_gate("Validation", as_json, lambda update: run_gate(_request(
            repo, host_url, host_kind, api_url, target_org, test_level, tests, wait_minutes, poll_interval, update,
            branch=branch, pr=pr, base=base, post=post)))
        return
    from .org.actions import validate as run

    _run_deploy("Validation", as_json, lambda update: run(target_org, src, test_level, list(_split(tests)),
                                                            project_dir, _polling(wait_minutes, poll_interval),
                                                            update))


@click.command()
@_with(DEPLOY_OPTIONS)
@click.option("--pr", required=True, help="The merged pull request to deploy.")
@click.option("--backup/--no-backup", default=True, show_default=True,
              help="Retrieve the org's versions of what changes first, so that the deployment can be rolled back.")
@click.option("--post/--no-post", default=True, show_default=True, help="Comment the result on the pull request.")
@_with(_GATE_OPTIONS)
def promote(target_org, test_level, tests, wait_minutes, poll_interval, as_json, pr, backup, post, repo,
            host_url, host_kind, api_url) -> None:
    """Deploy a merged pull request to production: quick-deploy its validation while the org still accepts it,
    otherwise deploy the merge's delta in full (the reason is noted). Recorded in the history."""
    from .act.gate import promote as run_gate

    _run_gate("Deployment", as_json, lambda update: run_gate(_request(
        repo, host_url, host_kind, api_url, target_org, test_level, tests, wait_minutes, poll_interval, update,
        pr=pr, backup=backup, post=post)))


@click.command()
@_with(DEPLOY_OPTIONS)
@click.option("--deployment", required=True, help="The id of the deployment to undo (see `sfhotfix history`).")
@click.option("--force", is_flag=True, help="Roll back even though a later deployment changed the same components.")
@_with(_GATE_OPTIONS)
def rollback(target_org, test_level, tests, wait_minutes, poll_interval, as_json, deployment, force,
             repo, host_url, host_kind, api_url) -> None:
    """Undo a deployment: redeploy the versions retrieved from the org before it, and delete what it added."""
    from .act.gate import rollback as run_gate

    _run_gate("Rollback", as_json, lambda update: run_gate(_request(
        repo, host_url, host_kind, api_url, target_org, test_level, tests, wait_minutes, poll_interval, update,
        deployment=deployment, force=force)))


@click.command()
@click.option("--repo", type=click.Path(path_type=Path), default=Path("."), show_default=True)
@click.option("--pr", help="Only this pull request's records.")
@click.option("--kind", type=click.Choice(["validation", "deployment", "quick-deployment", "rollback"]))
@click.option("--limit", type=click.IntRange(1), help="Only the newest N records.")
@click.option("--fetch/--no-fetch", default=True, show_default=True, help="Join origin's history first.")
@click.option("--json", "as_json", is_flag=True)
def history(repo, pr, kind, limit, fetch, as_json) -> None:
    """Every validation, deployment and rollback: who, when, what, the result and the validated id."""
    from rich.console import Console

    from .act.commit import open_repo
    from .act.history import History
    from .report.gate import print_history

    store = History(open_repo(repo))
    for warning in store.sync() if fetch else []:
        click.echo(f"sfhotfix: warning: {warning}", err=True)
    records = [r for r in store.records() if (pr is None or r.pr == pr) and (kind is None or r.kind == kind)]
    records = records[-limit:] if limit else records
    if as_json:
        click.echo(json.dumps({"records": [r.as_json() for r in records]}, indent=1))
    else:
        print_history(records, Console())
