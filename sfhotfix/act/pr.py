"""Open the pull request of a hotfix branch, its body listing the components it changes by type."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..compare.revisions import revision_components
from ..config import Config, load_config
from ..errors import UsageError
from ..hosts import HostRef, PlannedRequest, PullRequest, PullRequestSpec, detect_host, open_pull_request, pr_body, remote_url
from ..textfile import read_text
from .commit import open_repo, resolve_base


@dataclass
class PrRequest:
    branch: str
    base: str | None = None
    title: str | None = None
    body_file: Path | None = None
    draft: bool = False
    reviewers: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    host_url: str | None = None
    host_kind: str | None = None
    api_url: str | None = None
    dry_run: bool = False
    repo: Path = Path(".")


def branch_components(repo: Path, branch: str, base: str) -> list[dict]:
    """The components ``branch`` changes relative to ``base`` (rows of ``compare --json``)."""
    git_repo = open_repo(repo)
    head, base_commit = resolve_base(git_repo, branch, "--branch"), resolve_base(git_repo, base)
    return revision_components(Path(git_repo.working_dir), head, base_commit)


def repository_host(repo: Path, config: Config, host_url: str | None, host_kind: str | None,
                    api_url: str | None) -> HostRef:
    """The repository on its host: the flags first, then sfhotfix.toml's [git], then origin's URL."""
    return detect_host(remote_url(repo), host_url or config.git.host_url, host_kind or config.git.host,
                       api_url or config.git.api_url)


def open_pr(request: PrRequest) -> PullRequest | PlannedRequest:
    config = load_config(request.repo)
    base = request.base or config.pipeline.production_branch
    host = repository_host(request.repo, config, request.host_url, request.host_kind, request.api_url)
    title = request.title or f"Hotfix: {request.branch}"
    if request.body_file is not None:
        if not request.body_file.is_file():
            raise UsageError(f"{request.body_file}: no such body file")
        body = read_text(request.body_file)
    else:
        body = pr_body(branch_components(request.repo, request.branch, base), title)
    spec = PullRequestSpec(request.branch, base, title, body, request.draft, request.reviewers, request.labels)
    return open_pull_request(host, spec, dry_run=request.dry_run)
