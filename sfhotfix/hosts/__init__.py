"""Open (or update) the hotfix's pull request on GitHub, GitLab, Bitbucket Cloud or Azure DevOps.

The CLI calls three things::

    ref = detect_host(remote_url(repo), host_url, kind)          # which host and repository
    spec = PullRequestSpec(head, base, title, pr_body(rows, title), draft, reviewers, labels)
    result = open_pull_request(ref, spec, token=None, dry_run=False)

:func:`open_pull_request` is idempotent: it looks for an open pull request from ``head`` into ``base``
first and, when there is one, updates its body (and adds missing reviewers and labels) instead of opening a
second one; ``PullRequest.created`` tells which happened.  ``dry_run=True`` sends nothing and returns the
create call as a :class:`PlannedRequest` (method, URL and the host's own JSON payload).

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
from collections.abc import Mapping

import requests

from ..errors import SfhotfixError
from .azure import Azure
from .base import (TOKEN_HINTS, Api, Host, HostRef, PlannedRequest, PullRequest, PullRequestSpec, Token,
                   env_first)
from .bitbucket import Bitbucket
from .body import pr_body
from .detect import KINDS, detect_host, remote_url
from .github import HEADERS as GITHUB_HEADERS
from .github import GitHub
from .gitlab import GitLab

__all__ = ["HostRef", "KINDS", "PlannedRequest", "PullRequest", "PullRequestSpec", "Token", "detect_host",
           "open_pull_request", "pr_body", "remote_url", "token_from_env"]

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
    if host.kind not in HOSTS:
        raise SfhotfixError(f"unknown host kind {host.kind!r}")
    spec.check()
    if dry_run:
        impl = HOSTS[host.kind](host, None)
        impl.check(spec)
        return impl.plan(spec)
    secret = as_token(host.kind, token) if token else token_from_env(host.kind)
    if secret is None:
        raise SfhotfixError(_no_token(host))
    own = session is None
    session = session or requests.Session()
    try:
        impl = HOSTS[host.kind](host, Api(host, session, secret, EXTRA_HEADERS.get(host.kind)))
        impl.check(spec)
        return impl.open(spec)
    finally:
        if own:
            session.close()


def _no_token(host: HostRef) -> str:
    if host.kind == "gitlab" and os.environ.get("CI_JOB_TOKEN"):
        return (f"{host.label}: no GITLAB_TOKEN: CI_JOB_TOKEN is set, but GitLab job tokens cannot create merge "
                f"requests; {TOKEN_HINTS['gitlab']} (e.g. a masked CI/CD variable)")
    return f"{host.label}: no token to open the pull request with; {TOKEN_HINTS[host.kind]}"

