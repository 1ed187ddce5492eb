"""Open (or update) the hotfix's pull request on GitHub, GitLab, Bitbucket Cloud or Azure DevOps.

The CLI calls three things::

    ref = detect_host(remote_url(repo), host_url, kind)          # which host and repository
    spec = PullRequestSpec(head, base, title, pr_body(rows, title), draft, reviewers, labels)
    result = open_pull_request(ref, spec, token=None, dry_run=False)

:func:`open_pull_request` is idempotent: it looks for an open pull request from ``head`` into ``base``
first and, when there is one, updates its body (and adds missing reviewers and labels) instead of opening a
second one; ``PullRequest.created`` tells which happened.  ``dry_run=True`` sends nothing and returns the
create call as a :class:`PlannedRequest` (method, URL and the host's own JSON payload).

The validation gate and promotion use three more calls, the same on every host::

    info = get_pull_request(ref, 7)                       # PullRequestInfo: open | merged | closed, shas
    url = upsert_comment(ref, 7, report, "validate")      # one comment per marker, edited on re-runs
    set_commit_status(ref, info.head_sha, "success", "sfhotfix/validate", "Check-only deploy passed",
                      target_url=run_url, number=7)       # pending | success | failure | error

A pull request that does not exist is a one-line :class:`UsageError` naming the host, the repository and
the number; a refused token names the variable to set, as for :func:`open_pull_request`.

Tokens (:func:`token_from_env`), first one set wins:

============  ====================================================================================
GitHub        ``GH_TOKEN``, then ``GITHUB_TOKEN`` (the ``gh`` CLI's order)
GitLab        ``GITLAB_TOKEN``.  ``CI_JOB_TOKEN`` is deliberately not used: job tokens cannot create
              merge requests, so a pipeline that has only that one gets an error saying so
Bitbucket     ``BITBUCKET_TOKEN`` (access token, Bearer), then ``BITBUCKET_USERNAME`` +
              ``BITBUCKET_APP_PASSWORD`` (basic auth)
Azure DevOps  ``AZURE_DEVOPS_EXT_PAT`` (the ``az devops`` CLI's variable; basic auth), then
              ``SYSTEM_ACCESSTOKEN`` (an Azure Pipelines job token, Bearer)
============  ====================================================================================

A token passed as a plain string is sent the host's usual way (GitHub Bearer, GitLab ``PRIVATE-TOKEN``,
Bitbucket Bearer — or basic auth when it is ``username:app-password`` —, Azure DevOps PAT as basic auth);
a :class:`Token` says its scheme itself.  Per-host details are in each module's docstring.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import requests

from ..errors import SfhotfixError
from .azure import Azure
from .base import (STATUS_STATES, TOKEN_HINTS, Api, Host, HostRef, PlannedRequest, PullRequest, PullRequestInfo,
                   PullRequestSpec, Token, env_first, marker_line, pr_number, same_commit)
from .bitbucket import Bitbucket
from .body import pr_body
from .detect import KINDS, detect_host, remote_url
from .github import HEADERS as GITHUB_HEADERS
from .github import GitHub
from .gitlab import GitLab

__all__ = ["HostRef", "KINDS", "PlannedRequest", "PullRequest", "PullRequestInfo", "PullRequestSpec", "STATUS_STATES",
           "Token", "detect_host", "get_pull_request", "marker_line", "open_pull_request", "pr_body", "remote_url",
           "same_commit", "set_commit_status", "token_from_env", "upsert_comment"]

HOSTS: dict[str, type[Host]] = {"github": GitHub, "gitlab": GitLab, "bitbucket": Bitbucket, "azure": Azure}
EXTRA_HEADERS: dict[str, dict[str, str]] = {"github": GITHUB_HEADERS}


def token_from_env(kind: str, environ: Mapping[str, str] = os.environ) -> Token | None:
    """The token for ``kind`` from the environment (see the table above), or None."""
    if kind == "github":
        found = env_first(environ, "GH_TOKEN", "GITHUB_TOKEN")
        return Token(found[1], "bearer", found[0]) if found else None
    if kind == "gitlab":
        found = env_first(environ, "GITLAB_TOKEN")
        return Token(found[1], "private-token", found[0]) if found else None
    if kind == "bitbucket":
        found = env_first(environ, "BITBUCKET_TOKEN")
        if found:
            return Token(found[1], "bearer", found[0])
        user, password = env_first(environ, "BITBUCKET_USERNAME"), env_first(environ, "BITBUCKET_APP_PASSWORD")
        if user and password:
            return Token(password[1], "basic", "BITBUCKET_USERNAME and BITBUCKET_APP_PASSWORD", username=user[1])
        return None
    if kind == "azure":
        found = env_first(environ, "AZURE_DEVOPS_EXT_PAT")
        if found:
            return Token(found[1], "basic", found[0], username="")
        found = env_first(environ, "SYSTEM_ACCESSTOKEN")
        return Token(found[1], "bearer", found[0]) if found else None
    raise ValueError(f"unknown host kind {kind!r}")


def as_token(kind: str, token: str) -> Token:
    """A plain string token, sent the way ``kind`` usually takes it."""
    if isinstance(token, Token):
        return token
    if kind == "gitlab":
        return Token(token, "private-token", "the given token")
    if kind == "azure":
        return Token(token, "basic", "the given token", username="")
    if kind == "bitbucket" and ":" in token:
        user, _, password = token.partition(":")
        return Token(password, "basic", "the given token", username=user)
    return Token(token, "bearer", "the given token")


def open_pull_request(host: HostRef, spec: PullRequestSpec, token: str | None = None, dry_run: bool = False,
                      session: requests.Session | None = None) -> PullRequest | PlannedRequest:
    """Open the pull request ``spec`` describes on ``host``, or update the open one for the same branches.

    ``token`` defaults to :func:`token_from_env`; ``dry_run`` returns the create call unsent (no token
    needed); ``session`` lets a caller (or a test) bring its own ``requests.Session``."""
    spec.check()
    if dry_run:
        impl = _kind(host)(host, None)
        impl.check(spec)
        return impl.plan(spec)
    with _connected(host, token, session, "to open the pull request with") as impl:
        impl.check(spec)
        return impl.open(spec)


def get_pull_request(host: HostRef, number: int | str, token: str | None = None,
                     session: requests.Session | None = None) -> PullRequestInfo:
    """Pull request (GitLab: merge request) ``number`` on ``host``, whatever its state: open, merged or
    closed, with its branches, head commit and, once merged, merge commit."""
    number = pr_number(number)
    with _connected(host, token, session, "to read the pull request with") as impl:
        return impl.get(number)


def upsert_comment(host: HostRef, number: int | str, body: str, marker: str, token: str | None = None,
                   session: requests.Session | None = None) -> str:
    """Write ``body`` as sfhotfix's ``marker`` comment on pull request ``number``: the comment already carrying
    the hidden line ``<!-- sfhotfix:{marker} -->`` is updated, else one is created.  Returns its web URL."""
    number = pr_number(number)
    marker_line(marker)  # refuse a bad marker before any request
    with _connected(host, token, session, "to comment with") as impl:
        return impl.upsert_comment(number, body, marker)


def set_commit_status(host: HostRef, sha: str, state: str, context: str, description: str,
                      target_url: str | None = None, number: int | str | None = None, token: str | None = None,
                      session: requests.Session | None = None) -> None:
    """Set commit ``sha``'s ``context`` status to ``state`` (``pending``, ``success``, ``failure`` or
    ``error``, sent in the host's own words), ``description`` cut to the host's limit.  On Azure DevOps a
    ``number`` makes it a pull request status (which branch policies can require); elsewhere the status
    belongs to the commit and ``number`` only supplies Bitbucket's required link when there is no
    ``target_url``."""
    number = pr_number(number) if number is not None else None
    with _connected(host, token, session, "to set the status with") as impl:
        impl.set_status(sha, state, context, description, target_url, number)


def _kind(host: HostRef) -> type[Host]:
    if host.kind not in HOSTS:
        raise SfhotfixError(f"unknown host kind {host.kind!r}")
    return HOSTS[host.kind]


@contextmanager
def _connected(host: HostRef, token: str | None, session: requests.Session | None, purpose: str) -> Iterator[Host]:
    """The host's implementation with a token (given, else from the environment) and a session (given, else
    one of its own, closed afterwards)."""
    kind = _kind(host)
    secret = as_token(host.kind, token) if token else token_from_env(host.kind)
    if secret is None:
        raise SfhotfixError(_no_token(host, purpose))
    own = session is None
    session = session or requests.Session()
    try:
        yield kind(host, Api(host, session, secret, EXTRA_HEADERS.get(host.kind)))
    finally:
        if own:
            session.close()


def _no_token(host: HostRef, purpose: str) -> str:
    if host.kind == "gitlab" and os.environ.get("CI_JOB_TOKEN"):
        return (f"{host.label}: no GITLAB_TOKEN: CI_JOB_TOKEN is set, but GitLab job tokens cannot create merge "
                f"requests; {TOKEN_HINTS['gitlab']} (e.g. a masked CI/CD variable)")
    return f"{host.label}: no token {purpose}; {TOKEN_HINTS[host.kind]}"

