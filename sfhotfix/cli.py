"""The command line: parses options and calls one function per command; prints what it returns."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .errors import SfhotfixError, UsageError


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


def _filter_options(command):
    """--types, --exclude-types, --name, --status: the filters every compare-based command takes."""
    for option in reversed([
        click.option("--types", help="Only these types (comma-separated); a parent type includes its children."),
        click.option("--exclude-types", help="Leave these types out (comma-separated)."),
        click.option("--name", "name_glob", help="Only components whose fullName or selector matches this glob."),
        click.option("--status", help="Only these statuses: new, changed, deleted, identical (comma-separated)."),
        click.option("--changed-by", help="Only components an org says this user changed last (org: sides)."),
        click.option("--changed-since", help="Only components an org says were changed on or after this date."),
    ]):
        command = option(command)
    return command


def _compare_options(command):
    for option in reversed([
        click.option("--source", "source_spec", required=True, help="Folder, .zip, git:REF or git:REF:PATH."),
        click.option("--target", "target_spec", required=True, help="Folder, .zip, git:REF or git:REF:PATH."),
        click.option("--repo", type=click.Path(path_type=Path), help="Repository of git: specs (default: here)."),
        click.option("--project", "project_dir", type=click.Path(path_type=Path),
                     help="Folder of the sfdx-project.json to use for both sides (default: each tree's own)."),
    ]):
        command = option(command)
    return _filter_options(command)


@main.command()
@_compare_options
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
@click.option("--html", "html_file", type=click.Path(path_type=Path), help="Also write a self-contained HTML report.")
@click.option("--include-identical", is_flag=True, help="List identical components too.")
def compare(source_spec, target_spec, repo, project_dir, types, exclude_types, name_glob, status, changed_by,
            changed_since, as_json, html_file, include_identical) -> None:
    """Compare SOURCE with TARGET component by component (new, changed, deleted, identical).

    A SPEC is a folder or .zip in either format, git:REF[:PATH], or org:ALIAS (an org to retrieve)."""
    from .compare import Filters, compare as run
    from .compare.revisions import revision_report

    filters = Filters.parse(types, exclude_types, name_glob, status, changed_by, changed_since)
    texts = html_file is not None  # the HTML report shows both sides of each changed row
    # against a git revision: only what changed is built
    report = None if include_identical else revision_report(source_spec, target_spec, repo, project_dir, filters, texts)
    if report is None:
        report = run(source_spec, target_spec, repo, project_dir, filters, include_identical,
                     texts=texts).as_json(include_identical, texts=texts)
    if html_file:
        from .report.html import render_html

        html_file.write_text(render_html(report), encoding="utf-8")
        report["components"] = [{k: v for k, v in c.items() if k not in ("sourceText", "targetText")}
                                for c in report["components"]]
    if as_json:
        click.echo(json.dumps(report, indent=1, ensure_ascii=False))
        return
    from rich.console import Console

    from .report.terminal import print_comparison

    print_comparison(report, Console())
    if html_file:
        click.echo(f"HTML report written to {html_file}", err=True)


@main.command()
@_compare_options
@click.argument("selector")
def diff(source_spec, target_spec, repo, project_dir, types, exclude_types, name_glob, status, changed_by,
         changed_since, selector) -> None:
    """Print a readable diff of one component (SELECTOR as compare prints it)."""
    from .compare import Filters, compare as run
    from .compare.focus import focus
    from .registry import load_registry

    filters = Filters.parse(types, exclude_types, name_glob, status, changed_by, changed_since)
    comparison = run(source_spec, target_spec, repo, project_dir, filters, include_identical=True, texts=True,
                     focus=focus([selector], load_registry()))
    row = comparison.find(selector)
    if row is None:
        raise UsageError(f"{selector}: no such component in {source_spec} or {target_spec}")
    from rich.console import Console

    from .report.terminal import print_component_diff

    print_component_diff(row.as_json(texts=True), Console())


_TARGET_ORG = click.option("--target-org", "-o", help="sf CLI alias or username, or an [orgs] name of sfhotfix.toml; "
                           "default: the SF_* environment variables.")
def _WAIT(command):
    command = click.option("--poll-interval", type=click.FloatRange(0.0, 60.0), default=1.0, show_default=True,
                           help="Seconds before the first status check (then growing by half, up to 10 s).")(command)
    return click.option("--wait", "wait_minutes", type=float, default=30.0, show_default=True,
                        help="Minutes to poll before giving up (exit code 4).")(command)


def _polling(wait_minutes: float, poll_interval: float):
    from .org.retrieve import Polling

    return Polling(first=poll_interval, cap=max(10.0, poll_interval), timeout=wait_minutes * 60)


@main.command()
@_TARGET_ORG
@click.option("--types", help="Types to retrieve, comma-separated (every component of each).")
@click.option("--manifest", type=click.Path(path_type=Path), help="A package.xml naming what to retrieve.")
@click.option("--changed-since", help="Only what the org's source tracking says changed on or after this date "
                                      "(YYYY-MM-DD[THH:MM:SS], UTC; of --types if given); deleted ones are reported.")
@click.option("--output-dir", "-d", "out_dir", type=click.Path(path_type=Path), required=True)
@click.option("--format", "fmt", type=click.Choice(["source", "mdapi"]), default="source", show_default=True)
@click.option("--project", "project_dir", type=click.Path(path_type=Path), help="Folder of sfdx-project.json.")
@click.option("--parallel", type=click.IntRange(1, 10), default=3, show_default=True, help="Chunks retrieved at once.")
@click.option("--force", is_flag=True, help="Write into a non-empty output folder.")
@_WAIT
@click.option("--json", "as_json", is_flag=True)
def retrieve(target_org, types, manifest, changed_since, out_dir, fmt, project_dir, parallel, force, wait_minutes,
             poll_interval, as_json) -> None:
    """Retrieve metadata from an org, chunked under the API limits and in parallel."""
    from rich.progress import Progress

    from .org.actions import retrieve_to_folder

    type_list = [t.strip() for t in types.split(",") if t.strip()] if types else None
    with Progress(transient=True, disable=as_json) as progress:
        task = progress.add_task("Retrieving", total=None)
        report = retrieve_to_folder(target_org, type_list, manifest, out_dir, fmt, project_dir, parallel, force,
                                    _polling(wait_minutes, poll_interval),
                                    lambda what, done, total: progress.update(task, completed=done, total=total),
                                    changed_since=changed_since)
    for warning in report.warnings:
        click.echo(f"sfhotfix: warning: {warning}", err=True)
    if as_json:
        click.echo(json.dumps(report.as_json(), indent=1))
    else:
        click.echo(f"{report.files} files retrieved into {report.output_dir} in {report.chunks} chunk(s), "
                   f"{report.seconds:.1f} s")


DEPLOY_OPTIONS = [
    _TARGET_ORG,
    click.option("--test-level", type=click.Choice(["NoTestRun", "RunSpecifiedTests", "RunLocalTests",
                                                     "RunAllTestsInOrg", "RunRelevantTests"]),
                 help="The Apex tests to run (default for the pipeline commands: sfhotfix.toml's test_level)."),
    click.option("--tests", help="Test classes for RunSpecifiedTests, comma-separated."),
    _WAIT,
    click.option("--json", "as_json", is_flag=True),
]
PROJECT_OPTION = click.option("--project", "project_dir", type=click.Path(path_type=Path),
                              help="Folder of sfdx-project.json.")


def _deploy_options(command):
    for option in reversed([*DEPLOY_OPTIONS, PROJECT_OPTION]):
        command = option(command)
    return command


def with_deploy_progress(action: str, as_json: bool, run):
    """``run(update)`` under a progress bar that ``update(status)`` moves; what ``run`` returns."""
    from rich.progress import Progress

    with Progress(transient=True, disable=as_json) as progress:
        task = progress.add_task(action, total=None)

        def update(status) -> None:
            total = max(status.components_total + status.tests_total, 1)
            progress.update(task, completed=status.components_deployed + status.tests_completed, total=total,
                            description=f"{action}: {status.status}")

        return run(update)


def _run_deploy(action: str, as_json: bool, run) -> None:
    from rich.console import Console

    from .report.deploy import print_deploy_result

    status = with_deploy_progress(action, as_json, run)
    if as_json:
        click.echo(json.dumps(status.as_json(), indent=1))
    else:
        print_deploy_result(status, Console(), action)
    if not status.success:
        sys.exit(1)


@main.command()
@_deploy_options
@click.option("--validated-id", help="Quick-deploy this validation instead of deploying SRC.")
@click.argument("src", type=click.Path(path_type=Path), required=False)
def deploy(target_org, test_level, tests, project_dir, wait_minutes, poll_interval, as_json, validated_id, src) -> None:
    """Deploy SRC to an org, or quick-deploy a validated id."""
    from .org.actions import deploy as run

    test_list = [t.strip() for t in (tests or "").split(",") if t.strip()]
    _run_deploy("Deployment", as_json, lambda update: run(target_org, src, validated_id, test_level, test_list,
                                                            project_dir, _polling(wait_minutes, poll_interval),
                                                            update))


@main.command()
@click.option("--source", "source_spec", required=True, help="The hotfix: folder, .zip, git:REF or org:ALIAS.")
@click.option("--base", required=True, help="The branch to cut from (the production branch).")
@click.option("--branch", required=True, help="The new branch to create.")
@click.option("--select", "selects", multiple=True, help="A selector as compare prints it (repeatable).")
@click.option("--select-file", type=click.Path(path_type=Path), help="A file of selectors, one per line.")
@click.option("--from-comparison", type=click.Path(path_type=Path), help="A `compare --json` report: all its rows.")
@click.option("--message", "-m", required=True, help="The commit message.")
@click.option("--push", is_flag=True, help="Push the branch to origin with upstream set (never forced).")
@click.option("--repo", type=click.Path(path_type=Path), default=Path("."), help="The repository (default: here).")
@click.option("--author", help='Commit author, "Name <email>" (default: your git identity).')
@click.option("--reuse-branch", is_flag=True, help="Add to an existing branch instead of refusing.")
@click.option("--with-dependencies", is_flag=True, help="Also commit the related changes the hints list.")
@click.option("--project", "project_dir", type=click.Path(path_type=Path), help="Folder of sfdx-project.json.")
@click.option("--json", "as_json", is_flag=True)
def commit(source_spec, base, branch, selects, select_file, from_comparison, message, push, repo, author,
           reuse_branch, with_dependencies, project_dir, as_json) -> None:
    """Commit selected components from SOURCE to a new branch cut from BASE, in the repository's format."""
    from .act.commit import CommitRequest, commit_selection

    result = commit_selection(CommitRequest(source_spec, base, branch, message, selects, select_file,
                                            from_comparison, repo, push, author, reuse_branch, with_dependencies,
                                            project_dir))
    for warning in result.warnings:
        click.echo(f"sfhotfix: warning: {warning}", err=True)
    if as_json:
        click.echo(json.dumps(result.as_json(), indent=1))
        return
    click.echo(f"Committed {len(result.rows)} component(s) to {result.branch} ({result.commit[:10]}), "
               f"cut from {result.base}; {len(result.files)} file(s) changed" + (", pushed to origin" if result.pushed else ""))
    for row in result.rows:
        click.echo(f"  {row.status:<8} {row.selector}")
    if result.destructive:
        click.echo("For destructive changes: " + ", ".join(f"{t}:{n}" for t, n in result.destructive))
    if result.hints:
        click.echo("Related changes not selected (add them, or use --with-dependencies):")
        for row in result.hints:
            click.echo(f"  {row.status:<8} {row.selector}")


def _pr_output(result, as_json: bool) -> None:
    from dataclasses import asdict

    from .hosts import PlannedRequest

    if isinstance(result, PlannedRequest):
        if as_json:
            click.echo(json.dumps({"method": result.method, "url": result.url, "body": result.body}, indent=1))
        else:
            click.echo(f"Would send: {result.method} {result.url}")
            click.echo(json.dumps(result.body, indent=1))
        return
    for warning in result.warnings:
        click.echo(f"sfhotfix: warning: {warning}", err=True)
    if as_json:
        click.echo(json.dumps(asdict(result), indent=1))
    else:
        verb = "Opened" if result.created else "Updated the open"
        click.echo(f"{verb} pull request {result.number}: {result.url}")


HOST_OPTIONS = [
    click.option("--host-url", help="The repository on its host, e.g. https://github.com/acme/repo (default: origin)."),
    click.option("--host", "host_kind", type=click.Choice(["github", "gitlab", "bitbucket", "azure"]),
                 help="The kind of host, for self-managed hosts whose name says nothing."),
    click.option("--api-url", help="The host's REST API root when it is not where the host puts it."),
]
_PR_OPTIONS = [
    click.option("--title", help="PR title (default: Hotfix: BRANCH)."),
    click.option("--body-file", type=click.Path(path_type=Path), help="PR body (default: the components by type)."),
    click.option("--draft", is_flag=True),
    click.option("--reviewer", "reviewers", multiple=True, help="Reviewer (repeatable)."),
    click.option("--label", "labels", multiple=True, help="Label (repeatable)."),
    *HOST_OPTIONS,
    click.option("--dry-run", is_flag=True, help="Print the request instead of sending it."),
]


def _with(options):
    def decorate(command):
        for option in reversed(options):
            command = option(command)
        return command
    return decorate


@main.command()
@click.option("--branch", required=True, help="The branch to open the pull request from.")
@click.option("--base", help="The branch to merge into (default: the production branch of sfhotfix.toml, or main).")
@_with(_PR_OPTIONS)
@click.option("--repo", type=click.Path(path_type=Path), default=Path("."))
@click.option("--json", "as_json", is_flag=True)
def pr(branch, base, title, body_file, draft, reviewers, labels, host_url, host_kind, api_url, dry_run, repo,
       as_json) -> None:
    """Open the pull request of BRANCH on GitHub, GitLab, Bitbucket or Azure DevOps (or update the open one)."""
    from .act.pr import PrRequest, open_pr

    _pr_output(open_pr(PrRequest(branch, base, title, body_file, draft, reviewers, labels, host_url, host_kind,
                                 api_url, dry_run, repo)), as_json)


@main.command()
@click.option("--source", "source_spec", required=True, help="The hotfix sandbox: org:ALIAS, a folder or a .zip.")
@click.option("--base", help="The production branch (default: sfhotfix.toml's, or main).")
@click.option("--branch", required=True, help="The hotfix branch to create.")
@click.option("--select", "selects", multiple=True, help="A selector to commit (repeatable).")
@click.option("--select-file", type=click.Path(path_type=Path))
@click.option("--from-comparison", type=click.Path(path_type=Path))
@click.option("--message", "-m", help="Commit message (default: the PR title).")
@click.option("--push/--no-push", default=True, show_default=True, help="Push the branch to origin.")
@click.option("--pr/--no-pr", "open_pr_too", default=True, show_default=True, help="Open the pull request.")
@_with(_PR_OPTIONS)
@click.option("--with-dependencies", is_flag=True)
@click.option("--author")
@click.option("--repo", type=click.Path(path_type=Path), default=Path("."))
def hotfix(source_spec, base, branch, selects, select_file, from_comparison, message, push, open_pr_too, title,
           body_file, draft, reviewers, labels, host_url, host_kind, api_url, dry_run, with_dependencies, author,
           repo) -> None:
    """The whole hotfix path: compare SOURCE with production, pick, commit, push, open the PR."""
    from rich.console import Console

    from .act.commit import CommitRequest
    from .act.hotfix import HotfixRequest, compare_with_base, parse_pick, run_hotfix
    from .act.pr import PrRequest
    from .config import load_config
    from .report.terminal import print_comparison

    console = Console()
    base = base or load_config(repo).pipeline.production_branch
    title = title or f"Hotfix: {branch}"
    request = CommitRequest(source_spec, base, branch, message or title, selects, select_file, from_comparison,
                            repo, push, author, False, with_dependencies)
    console.rule(f"1. Compare {source_spec} with {base}")
    report, comparison = compare_with_base(request)
    print_comparison(report, console)
    if not (selects or select_file or from_comparison):
        rows = [row for row in report["components"] if row["status"] != "identical"]
        if not rows:
            raise UsageError(f"{source_spec} and {base} do not differ: nothing to commit")
        if not sys.stdin.isatty():
            raise UsageError("pick what to commit with --select, --select-file or --from-comparison "
                             "(the interactive picker needs a terminal)")
        console.rule("2. Pick the components to commit")
        for number, row in enumerate(rows, 1):
            console.print(f"{number:>3}  {row['status']:<8} {row['selector']}", markup=False, highlight=False)
        request.selectors = tuple(parse_pick(click.prompt("Rows to commit (e.g. 1,3-5 or all)"),
                                             [row["selector"] for row in rows]))
    console.rule(f"3. Commit to {branch}" + (" and push" if push else ""))
    pr_request = PrRequest(branch, base, title, body_file, draft, reviewers, labels, host_url, host_kind, api_url,
                           dry_run, repo) if open_pr_too else None
    result, pull = run_hotfix(HotfixRequest(request, pr_request), comparison, lambda text: console.print(text))
    for warning in result.warnings:
        console.print(f"warning: {warning}", style="yellow", markup=False)
    if pull is not None:
        console.rule("4. Pull request")
        _pr_output(pull, False)


@main.command()
@click.option("--production", help="The production branch (default: sfhotfix.toml's, or main).")
@click.option("--integration", help="The integration branch (default: sfhotfix.toml's, or develop).")
@click.option("--releases", help="Pattern of release branches on origin (default: sfhotfix.toml's, or release/*).")
@click.option("--repo", type=click.Path(path_type=Path), default=Path("."))
@_with(HOST_OPTIONS)
@click.option("--dry-run", is_flag=True, help="Print the plan; push and open nothing.")
@click.option("--json", "as_json", is_flag=True)
def sync(production, integration, releases, repo, host_url, host_kind, api_url, dry_run, as_json) -> None:
    """Open sync PRs from production into the integration branch and every open release branch."""
    from .act.sync import SyncRequest, plan_and_sync

    plan = plan_and_sync(SyncRequest(repo, production, integration, releases, dry_run, host_url, host_kind, api_url))
    for warning in plan.warnings:
        click.echo(f"sfhotfix: warning: {warning}", err=True)
    if as_json:
        click.echo(json.dumps(plan.as_json(), indent=1))
    else:
        for target in plan.targets:
            detail = f" ({len(target.conflicts)} conflicting files)" if target.conflicts else ""
            done = f" → {target.pull_request}" if target.pull_request else ""
            click.echo(f"{target.branch:<30} {target.action}{detail}{done}")
    for target in plan.targets:
        if target.error:
            click.echo(f"sfhotfix: error: {target.branch}: {target.error}", err=True)
    if plan.failed:
        sys.exit(1)


@main.group()
def pipeline() -> None:
    """The pipeline of sfhotfix.toml: environments and branches."""


@pipeline.command("show")
@click.option("--repo", type=click.Path(path_type=Path), default=Path("."))
@click.option("--production", "production_branch", help="Override the production branch.")
@click.option("--integration", "integration_branch", help="Override the integration branch.")
@click.option("--releases", "release_branches", help="Override the release branch pattern.")
@click.option("--json", "as_json", is_flag=True)
def pipeline_show(repo, production_branch, integration_branch, release_branches, as_json) -> None:
    """Draw the environments and branches the hotfix path goes through."""
    from dataclasses import asdict

    from .act.pipeline import draw, effective_pipeline

    config, settings = effective_pipeline(repo, production_branch=production_branch,
                                          integration_branch=integration_branch, release_branches=release_branches)
    if as_json:
        click.echo(json.dumps({"pipeline": asdict(settings), "git": asdict(config.git), "orgs": config.orgs}, indent=1))
    else:
        click.echo(draw(settings, config), nl=False)


@main.group()
def ci() -> None:
    """CI templates that validate pull requests to production and open the sync PRs after a merge."""


@ci.command("init")
@click.argument("kind", type=click.Choice(["github", "gitlab", "azure", "bitbucket"]))
@click.option("--repo", type=click.Path(path_type=Path), default=Path("."))
@click.option("--force", is_flag=True, help="Replace existing files.")
def ci_init(kind, repo, force) -> None:
    """Write the workflow files for KIND, with the branches and test level of sfhotfix.toml."""
    from .act.pipeline import effective_pipeline, write_ci

    _, settings = effective_pipeline(repo)
    for path in write_ci(kind, repo, settings, force):
        click.echo(f"wrote {path}")


def _register_more() -> None:
    """Commands kept in modules of their own."""
    from .cli_delta import register as register_delta
    from .cli_gate import register as register_gate
    from .cli_merge import register as register_merge
    from .cli_org import register as register_org

    register_delta(main)
    register_gate(main)
    register_merge(main)
    register_org(main)


_register_more()
