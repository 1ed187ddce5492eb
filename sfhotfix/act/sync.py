"""Sync pull requests: carry production's hotfixes into the integration branch and every open release branch.

For each target (the integration branch and every branch on origin matching the release pattern): a
target that already contains production's head is up to date; for the others a branch
``sync/<target>-<short sha>`` is cut from production and pushed, the merge is pre-checked with
``git merge-tree`` (no checkout, nothing merged), and a pull request into the target is opened (the
host makes it idempotent), its body listing the hotfix components it carries and any conflicting files.
sfhotfix never merges by itself.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path

import git

from ..compare.revisions import revision_components
from ..config import load_config
from ..errors import SfhotfixError, UsageError
from ..hosts import PullRequestSpec, open_pull_request, pr_body
from .commit import fetch_origin, git_message, has_origin, open_repo
from .pr import repository_host


@dataclass
class SyncTarget:
    branch: str
    action: str  # "open-pr" | "up-to-date"
    head: str  # the target's commit
    conflicts: list[str] = field(default_factory=list)
    sync_branch: str | None = None
    pull_request: str | None = None
    error: str | None = None  # why this target's branch or pull request could not be made

    def as_json(self) -> dict:
        out = {"branch": self.branch, "action": self.action, "conflicts": self.conflicts, "head": self.head}
        for key, value in (("syncBranch", self.sync_branch), ("pullRequest", self.pull_request),
                           ("error", self.error)):
            if value:
                out[key] = value
        return out


@dataclass
class SyncPlan:
    targets: list[SyncTarget]
    warnings: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(t.error for t in self.targets)

    def as_json(self) -> dict:
        return {"targets": [t.as_json() for t in self.targets], "warnings": self.warnings}


@dataclass
class SyncRequest:
    repo: Path = Path(".")
    production: str | None = None
    integration: str | None = None
    releases: str | None = None
    dry_run: bool = False
    host_url: str | None = None
    host_kind: str | None = None
    api_url: str | None = None


def plan_and_sync(request: SyncRequest) -> SyncPlan:
    """Plan every target, then (unless a dry run) push and open each one's pull request; a target that
    fails (a protected or refused push, a host error) is reported and the others still go ahead."""
    config = load_config(request.repo)
    production = request.production or config.pipeline.production_branch
    integration = request.integration or config.pipeline.integration_branch
    pattern = request.releases or config.pipeline.release_branches
    repo = open_repo(request.repo)
    if not has_origin(repo):
        raise UsageError(f"{repo.working_dir}: no remote 'origin' to find the branches to sync")
    try:
        fetch_origin(repo)
    except git.GitCommandError as exc:
        raise SfhotfixError(f"origin: fetch failed ({str(exc.stderr).strip().splitlines()[-1:]})") from None
    remote = _remote_branches(repo)
    if production not in remote:
        raise UsageError(f"--production {production}: no such branch on origin")
    releases = sorted(b for b in remote if fnmatch.fnmatchcase(b, pattern) and b != production)
    names = ([integration] if integration in remote else []) + [b for b in releases if b != integration]
    if not names:
        raise UsageError(f"nothing to sync: origin has neither {integration} nor a branch matching {pattern}")
    warnings = [] if releases else [f"no branch on origin matches the release pattern {pattern}"]
    if integration not in remote:
        warnings.append(f"origin has no integration branch {integration}")
    prod_head = remote[production]
    plan = SyncPlan([_plan(repo, prod_head, name, remote[name]) for name in names], warnings)
    if not request.dry_run:
        for target in plan.targets:
            if target.action == "open-pr":
                try:
                    _open(repo, request, config, production, prod_head, target)
                except SfhotfixError as exc:
                    target.error = str(exc)
    return plan


def _remote_branches(repo: git.Repo) -> dict[str, str]:
    heads = {}
    for line in repo.git.for_each_ref("--format=%(refname:strip=3) %(objectname)", "refs/remotes/origin").splitlines():
        name, _, sha = line.partition(" ")
        if name and name != "HEAD":
            heads[name] = sha
    return heads


def _plan(repo: git.Repo, prod_head: str, branch: str, head: str) -> SyncTarget:
    try:
        repo.git.merge_base("--is-ancestor", prod_head, head)
        return SyncTarget(branch, "up-to-date", head)
    except git.GitCommandError:
        pass
    conflicts: list[str] = []
    try:
        repo.git.merge_tree("--write-tree", "--name-only", "--no-messages", head, prod_head)
    except git.GitCommandError as exc:  # exit 1: conflicts; the output lists the tree then the files
        lines = str(exc.stdout).strip().strip("'").replace("stdout:", "").strip().splitlines()
        conflicts = sorted({line.strip() for line in lines[1:] if line.strip()})
    return SyncTarget(branch, "open-pr", head, conflicts, f"sync/{branch}-{prod_head[:8]}")


def _open(repo: git.Repo, request: SyncRequest, config, production: str, prod_head: str, target: SyncTarget) -> None:
    assert target.sync_branch is not None
    try:
        repo.git.push("origin", f"{prod_head}:refs/heads/{target.sync_branch}")
    except git.GitCommandError as exc:
        if "already exists" not in str(exc.stderr) and "up-to-date" not in str(exc.stderr):
            raise SfhotfixError(f"push of {target.sync_branch} to origin was rejected ({git_message(exc)}); "
                                "nothing was forced") from None
    base = repo.git.merge_base(prod_head, target.head)
    rows = revision_components(Path(repo.working_dir), prod_head, base)
    title = f"Sync {production} into {target.branch}"
    body = pr_body(rows, title)
    if target.conflicts:
        body += "\n### Conflicts to resolve\n\n" + "".join(f"- `{path}`\n" for path in target.conflicts)
    host = repository_host(request.repo, config, request.host_url, request.host_kind, request.api_url)
    result = open_pull_request(host, PullRequestSpec(target.sync_branch, target.branch, title, body))
    target.pull_request = getattr(result, "url", None)
